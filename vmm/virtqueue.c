#include "virtqueue.h"

#include <string.h>

#include "virtio.h"

/* Rings are little-endian (virtio 1.2 §1.4) and read in place. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "virtqueue.c assumes a little-endian host");
_Static_assert(VQ_MAX_SIZE <= VIRTQ_MAX_SIZE && (VQ_MAX_SIZE & (VQ_MAX_SIZE - 1)) == 0,
	       "VQ_MAX_SIZE must be a power of 2 the spec allows");

int vq_validate(const struct guest_mem *gm, const struct vq_state *q)
{
	uint32_t n = q->num;
	if (n == 0 || n > VQ_MAX_SIZE || (n & (n - 1)))
		return -VQ_E_LAYOUT;
	if (q->desc % VIRTQ_DESC_ALIGN || q->driver % VIRTQ_AVAIL_ALIGN ||
	    q->device % VIRTQ_USED_ALIGN)
		return -VQ_E_LAYOUT;
	if (!gm_ptr(gm, q->desc, VIRTQ_DESC_BYTES(n)) ||
	    !gm_ptr(gm, q->driver, VIRTQ_AVAIL_BYTES(n)) ||
	    !gm_ptr(gm, q->device, VIRTQ_USED_BYTES(n)))
		return -VQ_E_RING;
	return 0;
}

/* Ring fields are re-translated on every access rather than cached: the cost
 * is a compare or two, and nothing can go stale across a reset. */
static bool load16(const struct guest_mem *gm, gpa_t gpa, uint16_t *v)
{
	const uint16_t *p = gm_ptr(gm, gpa, sizeof(*p));
	if (!p)
		return false;
	*v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return true;
}

int vq_pop(const struct guest_mem *gm, struct vq_state *q, struct vq_chain *c,
	   unsigned max_segs)
{
	uint8_t seen[VQ_MAX_SIZE / 8] = { 0 };
	uint16_t avail_idx, head;

	c->head = VQ_NO_HEAD;
	c->nseg = c->nread = 0;
	c->read_bytes = c->write_bytes = 0;
	if (!q->ready)
		return -VQ_E_NOT_READY;
	if (q->num == 0 || q->num > VQ_MAX_SIZE || (q->num & (q->num - 1)))
		return -VQ_E_LAYOUT;   /* state restored from elsewhere: never trust it */
	if (max_segs > VQ_MAX_SIZE)
		max_segs = VQ_MAX_SIZE;

	if (!load16(gm, q->driver + offsetof(struct virtq_avail, idx), &avail_idx))
		return -VQ_E_RING;
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);   /* wraps at 65536 */
	if (pending == 0)
		return 0;
	if (pending > q->num)
		return -VQ_E_AVAIL_IDX;
	/* q->num is a power of 2, so the slot index is in range by construction */
	gpa_t slot = q->driver + sizeof(struct virtq_avail) +
		     2ull * (q->last_avail & (q->num - 1));
	if (!load16(gm, slot, &head))
		return -VQ_E_RING;
	q->last_avail++;
	if (head >= q->num)
		return -VQ_E_HEAD;
	c->head = head;

	for (uint32_t i = head;;) {
		struct virtq_desc d;
		if (seen[i / 8] & (1u << (i % 8)))
			return -VQ_E_LOOP;
		seen[i / 8] |= (uint8_t)(1u << (i % 8));
		if (c->nseg >= max_segs)
			return -VQ_E_TOO_LONG;
		const void *dp = gm_ptr(gm, q->desc + sizeof(d) * i, sizeof(d));
		if (!dp)
			return -VQ_E_RING;
		memcpy(&d, dp, sizeof(d));   /* one snapshot: the guest may rewrite it */
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return -VQ_E_INDIRECT;
		if (d.len == 0)
			return -VQ_E_ZERO_LEN;
		uint8_t *p = gm_ptr(gm, d.addr, d.len);
		if (!p)
			return -VQ_E_ADDR;
		bool w = d.flags & VIRTQ_DESC_F_WRITE;
		if (!w && c->nseg > c->nread)
			return -VQ_E_ORDER;
		if (w)
			c->write_bytes += d.len;
		else
			c->read_bytes += d.len, c->nread++;
		if (c->read_bytes + c->write_bytes > (1ull << 32))
			return -VQ_E_TOO_BIG;
		c->seg[c->nseg++] = (struct vq_seg){ .hva = p, .len = d.len, .write = w };
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 1;
		if (d.next >= q->num)
			return -VQ_E_NEXT;
		i = d.next;
	}
}

int vq_push(const struct guest_mem *gm, struct vq_state *q, uint32_t head, uint32_t len)
{
	if (!q->ready)
		return -VQ_E_NOT_READY;
	if (q->num == 0 || q->num > VQ_MAX_SIZE || (q->num & (q->num - 1)))
		return -VQ_E_LAYOUT;
	if (head >= q->num)
		return -VQ_E_HEAD;
	gpa_t slot = q->device + sizeof(struct virtq_used) +
		     sizeof(struct virtq_used_elem) * (q->used_idx & (q->num - 1));
	struct virtq_used_elem *e = gm_ptr(gm, slot, sizeof(*e));
	uint16_t *idx = gm_ptr(gm, q->device + offsetof(struct virtq_used, idx), sizeof(*idx));
	if (!e || !idx)
		return -VQ_E_RING;
	e->id = head;
	e->len = len;
	q->used_idx++;
	/* virtio 1.2 §2.7.8: len is set before the used idx moves */
	__atomic_store_n(idx, q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

int vq_chain_foreach(const struct vq_chain *c, bool write, uint64_t off, uint64_t len,
		     int (*fn)(void *arg, uint8_t *p, size_t n), void *arg)
{
	int first = write ? c->nread : 0, end = write ? c->nseg : c->nread;
	for (int i = first; i < end && len; i++) {
		const struct vq_seg *s = &c->seg[i];
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint64_t n = s->len - off < len ? s->len - off : len;
		int r = fn(arg, s->hva + off, n);
		if (r)
			return r;
		len -= n;
		off = 0;
	}
	return len ? -1 : 0;
}

struct copy_cursor {
	uint8_t *buf;
	bool to_chain;
};

static int copy_piece(void *arg, uint8_t *p, size_t n)
{
	struct copy_cursor *cc = arg;
	if (cc->to_chain)
		memcpy(p, cc->buf, n);
	else
		memcpy(cc->buf, p, n);
	cc->buf += n;
	return 0;
}

int vq_chain_read(const struct vq_chain *c, uint64_t off, void *buf, size_t len)
{
	if (off > c->read_bytes || len > c->read_bytes - off)
		return -1;
	struct copy_cursor cc = { .buf = buf, .to_chain = false };
	return vq_chain_foreach(c, false, off, len, copy_piece, &cc);
}

int vq_chain_write(const struct vq_chain *c, uint64_t off, const void *buf, size_t len)
{
	if (off > c->write_bytes || len > c->write_bytes - off)
		return -1;
	struct copy_cursor cc = { .buf = (uint8_t *)(uintptr_t)buf, .to_chain = true };
	return vq_chain_foreach(c, true, off, len, copy_piece, &cc);
}

const char *vq_strerror(int err)
{
	static const char *const msg[VQ_E_NR] = {
	    [0] = "no error",
	    [VQ_E_NOT_READY] = "queue not ready",
	    [VQ_E_LAYOUT] = "queue size not a power of 2 within QueueNumMax, or a ring misaligned",
	    [VQ_E_RING] = "ring outside guest RAM",
	    [VQ_E_AVAIL_IDX] = "available index more than a queue size ahead",
	    [VQ_E_HEAD] = "chain head index out of range",
	    [VQ_E_NEXT] = "descriptor next index out of range",
	    [VQ_E_LOOP] = "descriptor chain loops",
	    [VQ_E_TOO_LONG] = "descriptor chain too long",
	    [VQ_E_ADDR] = "buffer outside guest RAM",
	    [VQ_E_ZERO_LEN] = "zero-length descriptor",
	    [VQ_E_INDIRECT] = "indirect descriptor (not negotiated)",
	    [VQ_E_ORDER] = "device-readable descriptor after a device-writable one",
	    [VQ_E_TOO_BIG] = "chain longer than 4 GiB",
	};
	if (err < 0)
		err = -err;
	return err < VQ_E_NR ? msg[err] : "unknown virtqueue error";
}
