/* virtio-blk driver (see virtio_blk.h for the queue page). A request is
 * built in place, published with one store of the available index, sent
 * with one QueueNotify write (a VM exit) and, because mapvisor completes it
 * before the vCPU resumes, normally found done on the first look at the
 * used index. */
#include "drivers/virtio_blk.h"

#include "arch/x86/cpu.h"
#include "kernel/printk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"

/* Written before each request; a status the device never wrote reads as
 * this and fails the request. */
#define VBLK_STATUS_NONE 0xffu

/* Status byte to errno, virtio 1.2 §5.2.6. */
static const int vblk_errno[] = {
	[VIRTIO_BLK_S_OK] = 0,
	[VIRTIO_BLK_S_IOERR] = -EIO,
	[VIRTIO_BLK_S_UNSUPP] = -EOPNOTSUPP,
};

#define VBLK_NR_STATUS (sizeof(vblk_errno) / sizeof(vblk_errno[0]))
_Static_assert(VBLK_NR_STATUS == VIRTIO_BLK_S_UNSUPP + 1, "one errno per status");
_Static_assert(VBLK_QSIZE_MAX * sizeof(struct virtq_desc) <= VBLK_OFF_AVAIL, "desc fits");
_Static_assert(VBLK_OFF_AVAIL + VIRTQ_AVAIL_BYTES(VBLK_QSIZE_MAX) <= VBLK_OFF_USED, "avail fits");
_Static_assert(VBLK_OFF_USED + VIRTQ_USED_BYTES(VBLK_QSIZE_MAX) <= VBLK_OFF_HDR, "used fits");
_Static_assert(VBLK_OFF_USED % VIRTQ_USED_ALIGN == 0, "used ring alignment, virtio 1.2 §2.7");
_Static_assert(BLK_SEGS_MAX + 2 <= VBLK_QSIZE_MAX, "header, data and status in the queue");
_Static_assert(VBLK_OFF_ID + 20 <= 4096, "the queue page holds it all");

/* The parts of the queue page, at constant offsets from one pointer. */
static inline struct virtq_desc *vblk_desc(const struct vblk *d)
{
	return (struct virtq_desc *)(d->q + VBLK_OFF_DESC);
}

static inline struct virtq_avail *vblk_avail(const struct vblk *d)
{
	return (struct virtq_avail *)(d->q + VBLK_OFF_AVAIL);
}

static inline volatile uint16_t *vblk_used_idx(const struct vblk *d)
{
	return &((struct virtq_used *)(d->q + VBLK_OFF_USED))->idx;
}

static inline struct virtio_blk_req_hdr *vblk_hdr(const struct vblk *d)
{
	return (struct virtio_blk_req_hdr *)(d->q + VBLK_OFF_HDR);
}

static inline volatile uint8_t *vblk_status(const struct vblk *d)
{
	return d->q + VBLK_OFF_STATUS;
}

static int vblk_read_start(void *dev, uint64_t sector, uint64_t pa, uint32_t len);
static int vblk_read_finish(void *dev);

static const struct blk_ops vblk_ops = {
	.rw = vblk_rw_one,
	.xfer = vblk_xfer,
	.flush = vblk_flush,
	.get_id = vblk_get_id,
	.read_start = vblk_read_start,
	.read_finish = vblk_read_finish,
};

static struct vblk vblk_devs[VBLK_DEVS_MAX];
static unsigned vblk_ndevs;

struct vblk *vblk_get(unsigned i)
{
	return i < vblk_ndevs ? &vblk_devs[i] : NULL;
}

/* The slow path: the device completes in another thread (QEMU). */
static int vblk_wait(struct vblk *d, uint16_t idx)
{
	uint64_t start = rdtsc();

	d->late++;
	while (*vblk_used_idx(d) != idx) {
		if (rdtsc() - start > VBLK_POLL_TICKS)
			return -EIO;
		cpu_relax();
	}
	return 0;
}

/* Sends the request whose nseg data descriptors (1..nseg) are written:
 * header and status around them, publish, notify, wait. */
static int vblk_run(struct vblk *d, uint32_t type, uint64_t sector, unsigned nseg)
{
	struct virtio_blk_req_hdr *hdr = vblk_hdr(d);

	if (d->broken)
		return -EIO;
	hdr->type = type;
	hdr->sector = sector;
	*vblk_status(d) = VBLK_STATUS_NONE;
	vblk_desc(d)[0].next = nseg ? 1 : d->desc_status;
	uint16_t idx = ++d->avail_idx;
	d->requests++;
	/* The chain is complete in memory before the index publishes it. */
	barrier();
	*(volatile uint16_t *)&vblk_avail(d)->idx = idx;
	mmio_write32(d->notify, 0);
	if (*vblk_used_idx(d) != idx && vblk_wait(d, idx)) {
		/* The device may still complete it later and would then find
		 * a reused chain: stop using the queue. */
		d->broken = true;
		printk("virtio-blk: %s: request lost, disk disabled\n", d->blk->name);
		return -EIO;
	}
	uint8_t st = *vblk_status(d);
	return st < VBLK_NR_STATUS ? vblk_errno[st] : -EIO;
}

static inline void vblk_set_data(struct virtq_desc *desc, unsigned i, uint64_t pa, uint32_t len,
				 uint16_t flags, uint16_t next)
{
	desc[i].addr = pa;
	desc[i].len = len;
	desc[i].flags = flags;
	desc[i].next = next;
}

int vblk_rw_one(void *dev, bool write, uint64_t sector, uint64_t pa, uint32_t len)
{
	struct vblk *d = dev;

	if (write && d->ro)
		return -EROFS;
	vblk_set_data(vblk_desc(d), 1, pa, len,
		      write ? VIRTQ_DESC_F_NEXT : VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
		      d->desc_status);
	return vblk_run(d, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, 1);
}

int vblk_xfer(void *dev, bool write, uint64_t sector, const struct blk_seg *seg, unsigned nseg)
{
	struct vblk *d = dev;
	uint16_t flags = write ? VIRTQ_DESC_F_NEXT : VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE;

	if (write && d->ro)
		return -EROFS;
	if (!nseg || nseg > BLK_SEGS_MAX || nseg > d->seg_max)
		return -EINVAL;
	for (unsigned i = 0; i < nseg; i++)
		vblk_set_data(vblk_desc(d), 1 + i, seg[i].pa, seg[i].len, flags,
			      (uint16_t)(i + 1 < nseg ? i + 2 : d->desc_status));
	return vblk_run(d, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, nseg);
}

int vblk_rw(struct vblk *d, uint64_t sector, uint64_t buf_pa, uint32_t len, bool write)
{
	if (!len || len & (VIRTIO_BLK_SECTOR_SIZE - 1) || sector > d->capacity ||
	    len >> VIRTIO_BLK_SECTOR_SHIFT > d->capacity - sector)
		return -EINVAL;
	return vblk_rw_one(d, write, sector, buf_pa, len);
}

/* Without VIRTIO_BLK_F_FLUSH a completed write is already stable
 * (virtio 1.2 §5.2.6.2), so there is nothing to do. */
int vblk_flush(void *dev)
{
	struct vblk *d = dev;

	if (!(d->features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH)))
		return 0;
	return vblk_run(d, VIRTIO_BLK_T_FLUSH, 0, 0);
}

int vblk_get_id(void *dev, char *out, size_t len)
{
	struct vblk *d = dev;
	size_t n = 0;

	if (!len)
		return -EINVAL;
	vblk_set_data(vblk_desc(d), 1, d->page_pa + VBLK_OFF_ID, VIRTIO_BLK_ID_BYTES,
		      VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, d->desc_status);
	int err = vblk_run(d, VIRTIO_BLK_T_GET_ID, 0, 1);
	if (err)
		return err;
	/* NUL-padded, and not terminated when all 20 bytes are used. */
	const char *id = (const char *)(d->q + VBLK_OFF_ID);
	while (n < VIRTIO_BLK_ID_BYTES && n + 1 < len && id[n]) {
		out[n] = id[n];
		n++;
	}
	out[n] = '\0';
	return 0;
}

/* The background queue's parts, in its own page at the queue-0 offsets. */
static inline struct virtq_desc *bg_desc(const struct vblk *d)
{
	return (struct virtq_desc *)(d->bg + VBLK_OFF_DESC);
}

static inline volatile uint16_t *bg_used_idx(const struct vblk *d)
{
	return &((struct virtq_used *)(d->bg + VBLK_OFF_USED))->idx;
}

static int vblk_read_start(void *dev, uint64_t sector, uint64_t pa, uint32_t len)
{
	struct vblk *d = dev;

	if (!d->bg || d->broken)
		return -EOPNOTSUPP;
	if (d->bg_busy)
		return -EBUSY;
	struct virtio_blk_req_hdr *hdr = (struct virtio_blk_req_hdr *)(d->bg + VBLK_OFF_HDR);
	hdr->type = VIRTIO_BLK_T_IN;
	hdr->sector = sector;
	d->bg[VBLK_OFF_STATUS] = VBLK_STATUS_NONE;
	bg_desc(d)[1].addr = pa;
	bg_desc(d)[1].len = len;
	uint16_t idx = ++d->bg_idx;
	d->requests++;
	d->bg_busy = true;
	barrier();   /* the chain is in memory before the index publishes it */
	*(volatile uint16_t *)&((struct virtq_avail *)(d->bg + VBLK_OFF_AVAIL))->idx = idx;
	mmio_write32(d->notify, VBLK_BG_QUEUE);
	return 0;
}

static int vblk_read_finish(void *dev)
{
	struct vblk *d = dev;

	if (!d->bg_busy)
		return -EINVAL;
	d->bg_busy = false;
	uint64_t start = rdtsc();
	while (*bg_used_idx(d) != d->bg_idx) {
		if (rdtsc() - start > VBLK_POLL_TICKS) {
			/* the device may still write the buffer: stop using it */
			d->broken = true;
			printk("virtio-blk: %s: background read lost, disk disabled\n",
			       d->blk->name);
			return -EIO;
		}
		cpu_relax();
	}
	barrier();   /* the data and status after the index */
	uint8_t st = d->bg[VBLK_OFF_STATUS];
	return st < VBLK_NR_STATUS ? vblk_errno[st] : -EIO;
}

/* The background queue, when the device has it: one page, a read's chain
 * set up once (header, data, status; the data descriptor changes). No
 * such queue is no error: reads are then all done in the notify. */
static void vblk_bg_init(struct vblk *d, struct vmmio_dev *m)
{
	/* num_queues is the upper half of the 32-bit word at 32 */
	const unsigned nq = offsetof(struct virtio_blk_config, num_queues);
	_Static_assert(offsetof(struct virtio_blk_config, num_queues) % 4 == 2, "upper half");
	if (!(d->features & VIRTIO_BIT(VIRTIO_BLK_F_MQ)) ||
	    (vmmio_config32(m, nq & ~3u) >> 16) <= VBLK_BG_QUEUE ||
	    vmmio_queue_max(m, VBLK_BG_QUEUE) < VBLK_BG_QSIZE)
		return;
	uint64_t pa = page_alloc();
	if (!pa)
		return;
	page_zero(pa);
	uint8_t *q = phys_to_virt(pa);
	struct virtq_desc *desc = (struct virtq_desc *)(q + VBLK_OFF_DESC);
	desc[0] = (struct virtq_desc){ pa + VBLK_OFF_HDR, sizeof(struct virtio_blk_req_hdr),
				       VIRTQ_DESC_F_NEXT, 1 };
	desc[1] = (struct virtq_desc){ 0, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	desc[2] = (struct virtq_desc){ pa + VBLK_OFF_STATUS, 1, VIRTQ_DESC_F_WRITE, 0 };
	((struct virtq_avail *)(q + VBLK_OFF_AVAIL))->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	if (vmmio_queue_enable(m, VBLK_BG_QUEUE, VBLK_BG_QSIZE, pa + VBLK_OFF_DESC,
			       pa + VBLK_OFF_AVAIL, pa + VBLK_OFF_USED)) {
		page_free(pa);
		return;
	}
	d->bg = q;
	d->bg_pa = pa;
}

/* Queue 0 in one page (layout in virtio_blk.h). */
static int vblk_queue_init(struct vblk *d, struct vmmio_dev *m)
{
	uint32_t qmax = vmmio_queue_max(m, 0);
	unsigned q = VBLK_QSIZE_MAX;

	while (q > qmax) /* the size must be a power of 2 (virtio 1.2 §2.7) */
		q >>= 1;
	if (q < VBLK_QSIZE_MIN)
		return -ENODEV;
	uint64_t pa = page_alloc();
	if (!pa)
		return -ENOMEM;
	page_zero(pa);
	d->q = phys_to_virt(pa);
	d->qsize = (uint16_t)q;
	d->desc_status = (uint16_t)(q - 1);
	d->avail_idx = 0;
	d->page_pa = pa;
	vblk_desc(d)[0] = (struct virtq_desc){ pa + VBLK_OFF_HDR,
					       sizeof(struct virtio_blk_req_hdr), VIRTQ_DESC_F_NEXT,
					       1 };
	vblk_desc(d)[d->desc_status] =
		(struct virtq_desc){ pa + VBLK_OFF_STATUS, 1, VIRTQ_DESC_F_WRITE, 0 };
	/* We poll: ask the device not to interrupt (a hint, §2.7.7). */
	vblk_avail(d)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	int err = vmmio_queue_enable(m, 0, q, pa + VBLK_OFF_DESC, pa + VBLK_OFF_AVAIL,
				     pa + VBLK_OFF_USED);
	if (err)
		page_free(pa);
	return err;
}

int vblk_probe(struct vmmio_dev *m)
{
	const uint64_t wanted = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_BLK_F_RO) |
				VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
				VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_MQ);
	struct vblk *d;
	int err;

	if (vblk_ndevs == VBLK_DEVS_MAX)
		return -ENOSPC;
	d = &vblk_devs[vblk_ndevs];
	if (m->size < VIRTIO_MMIO_CONFIG + sizeof(struct virtio_blk_config))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->mmio = m;
	d->notify = (volatile uint32_t *)(m->regs + VIRTIO_MMIO_QUEUE_NOTIFY);
	err = vmmio_negotiate(m, wanted, VIRTIO_BIT(VIRTIO_F_VERSION_1), &d->features);
	if (err)
		return err;
	err = vblk_queue_init(d, m);
	if (err)
		return err;
	vblk_bg_init(d, m);

	d->capacity = vmmio_config64(m, offsetof(struct virtio_blk_config, capacity));
	d->blk_size = VIRTIO_BLK_SECTOR_SIZE;
	if (d->features & VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE))
		d->blk_size = vmmio_config32(m, offsetof(struct virtio_blk_config, blk_size));
	/* Ours, what the queue holds between header and status, and the
	 * device's SEG_MAX (0 or absent: no limit stated). Unaligned I/O
	 * needs 3 (head padding, data, tail padding). */
	d->seg_max = BLK_SEGS_MAX < d->qsize - 2u ? BLK_SEGS_MAX : d->qsize - 2u;
	if (d->features & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX)) {
		uint32_t s = vmmio_config32(m, offsetof(struct virtio_blk_config, seg_max));
		if (s && s < d->seg_max)
			d->seg_max = s;
	}
	if (d->seg_max < 3) {
		err = -ENODEV;
		goto free_queue;
	}
	d->ro = (d->features & VIRTIO_BIT(VIRTIO_BLK_F_RO)) != 0;
	if (!d->capacity || d->capacity > UINT64_MAX >> VIRTIO_BLK_SECTOR_SHIFT) {
		err = -EINVAL;
		goto free_queue;
	}
	err = vmmio_driver_ok(m);
	if (err)
		goto free_queue;
	d->blk = blk_register(&vblk_ops, d, d->capacity << VIRTIO_BLK_SECTOR_SHIFT, d->blk_size,
			      d->ro, d->seg_max);
	if (!d->blk) {
		err = -ENOMEM;
		goto free_queue;
	}
	vblk_ndevs++;
	if (m->verbose)
		printk("%s: virtio-blk at %lx irq %u: %lu sectors (%lu KiB), block %u, "
		       "features %lx%s\n",
		       d->blk->name, m->base, m->irq, d->capacity, d->capacity >> 1, d->blk_size,
		       d->features, d->ro ? ", read-only" : "");
	return 0;

free_queue:
	/* The device has no request to look at the page for; the caller
	 * marks it FAILED. */
	page_free(d->page_pa);
	if (d->bg)
		page_free(d->bg_pa);
	return err;
}

uint64_t vblk_requests(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vblk_ndevs; i++)
		n += vblk_devs[i].requests;
	return n;
}
