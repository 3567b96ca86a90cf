#include "blk_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio.h"

#define HDR_BYTES sizeof(struct virtio_blk_req_hdr)

/* Guest RAM <-> image, one contiguous piece of the chain at a time. Short
 * transfers are retried; end of file or an error stops the request. */
struct io_cursor {
	int fd;
	uint64_t off;
	bool to_image;
};

static int io_piece(void *arg, uint8_t *p, size_t n)
{
	struct io_cursor *io = arg;
	while (n) {
		ssize_t r = io->to_image ? pwrite(io->fd, p, n, (off_t)io->off)
					 : pread(io->fd, p, n, (off_t)io->off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		io->off += (uint64_t)r;
	}
	return 0;
}

static bool sync_image(struct virtio_blk *b)
{
	int r;
	do
		r = fdatasync(b->fd);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		log_debug("%s: fdatasync %s: %s", b->name, b->path, strerror(errno));
		return false;
	}
	b->stats.fdatasyncs++;
	return true;
}

/* [sector, sector + bytes / 512) inside the image, without overflow. */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	return bytes && !(bytes % VIRTIO_BLK_SECTOR_SIZE) && sector <= b->capacity &&
	       (bytes >> VIRTIO_BLK_SECTOR_SHIFT) <= b->capacity - sector;
}

static uint8_t do_in(struct virtio_blk *b, const struct vq_chain *c,
		     const struct virtio_blk_req_hdr *h)
{
	uint64_t len = c->write_bytes - 1;   /* the last writable byte is the status */
	b->stats.in++;
	if (c->read_bytes != HDR_BYTES || !in_range(b, h->sector, len))
		return VIRTIO_BLK_S_IOERR;
	struct io_cursor io = { .fd = b->fd, .off = h->sector << VIRTIO_BLK_SECTOR_SHIFT };
	if (vq_chain_foreach(c, true, 0, len, io_piece, &io))
		return VIRTIO_BLK_S_IOERR;
	b->stats.bytes_read += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_out(struct virtio_blk *b, const struct vq_chain *c,
		      const struct virtio_blk_req_hdr *h)
{
	uint64_t len = c->read_bytes - HDR_BYTES;
	b->stats.out++;
	/* virtio 1.2 §5.2.6.2: with RO offered, IOERR and no data written */
	if (b->ro || c->write_bytes != 1 || !in_range(b, h->sector, len))
		return VIRTIO_BLK_S_IOERR;
	struct io_cursor io = { .fd = b->fd, .off = h->sector << VIRTIO_BLK_SECTOR_SHIFT,
				.to_image = true };
	if (vq_chain_foreach(c, false, HDR_BYTES, len, io_piece, &io))
		return VIRTIO_BLK_S_IOERR;
	b->stats.bytes_written += len;
	/* virtio 1.2 §5.2.6.2: FLUSH offered but not negotiated means the driver
	 * may take every completed write as stable: make it so */
	if (!virtio_mmio_negotiated(&b->mmio, VIRTIO_BLK_F_FLUSH) && !sync_image(b))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_flush(struct virtio_blk *b)
{
	b->stats.flush++;
	return sync_image(b) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static uint8_t do_get_id(struct virtio_blk *b, const struct vq_chain *c)
{
	b->stats.get_id++;
	/* virtio 1.2 §5.2.6.1: the data is exactly 20 bytes */
	if (c->read_bytes != HDR_BYTES || c->write_bytes != VIRTIO_BLK_ID_BYTES + 1)
		return VIRTIO_BLK_S_IOERR;
	if (vq_chain_write(c, 0, b->id, VIRTIO_BLK_ID_BYTES))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/* One well-formed chain. Returns the status written, or -1 when the chain
 * has no writable byte to hold one. */
static int request(struct virtio_blk *b, const struct vq_chain *c)
{
	struct virtio_blk_req_hdr h;
	uint8_t st;
	if (c->write_bytes == 0)
		return -1;
	/* the header may be split over descriptors (virtio 1.2 §2.7.4) */
	if (vq_chain_read(c, 0, &h, sizeof(h)) < 0) {
		st = VIRTIO_BLK_S_IOERR;   /* e.g. the header sits in a writable buffer */
	} else {
		switch (h.type) {
		case VIRTIO_BLK_T_IN:
			st = do_in(b, c, &h);
			break;
		case VIRTIO_BLK_T_OUT:
			st = do_out(b, c, &h);
			break;
		case VIRTIO_BLK_T_FLUSH:
			st = do_flush(b);
			break;
		case VIRTIO_BLK_T_GET_ID:
			st = do_get_id(b, c);
			break;
		default:
			b->stats.other++;
			st = VIRTIO_BLK_S_UNSUPP;
			break;
		}
	}
	b->stats.ioerr += st == VIRTIO_BLK_S_IOERR;
	b->stats.unsupp += st == VIRTIO_BLK_S_UNSUPP;
	if (vq_chain_write(c, c->write_bytes - 1, &st, 1) < 0)
		return -1;   /* unreachable: write_bytes >= 1 */
	return st;
}

/* Every available chain of queue qi, with chain as scratch. */
static unsigned serve_queue(struct virtio_mmio_dev *t, unsigned qi, struct vq_chain *c)
{
	struct virtio_blk *b = t->dev;
	struct vq_state *q = &t->st.queue[qi];
	unsigned used = 0;
	int r = 0;
	/* One notify serves at most one ring's worth of chains. A driver never
	 * has more outstanding, but a chain can be aimed at the available ring
	 * itself (a read whose data lands on avail->idx and on its own header),
	 * so that every request publishes the next one: without a bound that
	 * loops inside this exit for ever. The rest waits for the next notify. */
	uint32_t budget = q->num;
	for (; budget > 0; budget--) {
		if ((r = vq_pop(t->gm, q, c, VQ_MAX_SIZE)) <= 0)
			break;
		int st = request(b, c);
		if (st < 0) {
			r = 0;
			break;
		}
		/* used length: the whole writable part, data and status. On an
		 * error the data part is not meaningful; the status is */
		int pr = vq_push(t->gm, q, c->head, (uint32_t)c->write_bytes);
		if (pr < 0) {
			virtio_mmio_fail(t, "queue %u: used ring: %s", qi, vq_strerror(pr));
			return used;
		}
		used++;
	}
	if (budget == 0 || (r == 0 && c->head == VQ_NO_HEAD))
		return used;   /* budget spent, or ring empty: the normal ways out */
	/* malformed chain, or no status byte: give the head back with nothing
	 * written so a polling driver stops waiting, then demand a reset */
	b->stats.bad_chains++;
	if (c->head != VQ_NO_HEAD && vq_push(t->gm, q, c->head, 0) == 0)
		used++;
	if (r < 0)
		virtio_mmio_fail(t, "queue %u: %s", qi, vq_strerror(r));
	else
		virtio_mmio_fail(t, "queue %u: request with no device-writable status byte", qi);
	return used;
}

/* The background queue's thread: the device lock is held while it serves
 * the queue (reads included), as it is around every register access; the
 * vCPU runs meanwhile unless it touches the device. */
static void *bg_worker(void *arg)
{
	struct virtio_blk *b = arg;
	struct virtio_mmio_dev *t = &b->mmio;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (!b->bg_kicked && !b->bg_stop)
			pthread_cond_wait(&b->bg_cv, &b->lock);
		if (b->bg_stop)
			break;
		b->bg_kicked = false;
		/* the driver may have reset or failed since its notify */
		uint32_t s = t->st.status;
		if (!(s & VIRTIO_STATUS_DRIVER_OK) || (s & VIRTIO_STATUS_DEVICE_NEEDS_RESET) ||
		    !t->st.queue[VIRTIO_BLK_BG_QUEUE].ready)
			continue;
		if (serve_queue(t, VIRTIO_BLK_BG_QUEUE, &b->bg_chain) > 0)
			t->st.interrupt_status |= VIRTIO_MMIO_INT_VRING;
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* Called with the device lock held (virtio_mmio_write). Queue 0 completes
 * within the notify exit; the background queue is handed to the thread,
 * which is started on its first use (without one, it is served here). */
static unsigned blk_notify(struct virtio_mmio_dev *t, unsigned qi)
{
	struct virtio_blk *b = t->dev;

	if (qi != VIRTIO_BLK_BG_QUEUE)
		return serve_queue(t, qi, &b->chain);
	if (!b->bg_started && !b->bg_failed) {
		if (pthread_create(&b->bg_thread, NULL, bg_worker, b) == 0)
			b->bg_started = true;
		else
			b->bg_failed = true;
	}
	if (!b->bg_started)
		return serve_queue(t, qi, &b->bg_chain);
	b->bg_kicked = true;
	pthread_cond_signal(&b->bg_cv);
	return 0;
}

static const struct virtio_dev_ops blk_ops = {
	.notify = blk_notify,
};

static int image_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return -1;
	*size = (uint64_t)end;
	return 0;
}

int virtio_blk_init(struct virtio_blk *b, const struct guest_mem *gm, const char *path,
		    bool ro, unsigned index, gpa_t base, uint32_t irq, struct mv_err *e)
{
	struct stat st;
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->ro = ro;
	snprintf(b->name, sizeof(b->name), "virtio-blk%u", index);

	/* no O_CREAT: a mistyped path must not become an empty disk */
	b->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return mv_errf(e, "disk: open %s%s: %s", path, ro ? " (read-only)" : "",
			       strerror(errno));
	if (fstat(b->fd, &st) < 0) {
		mv_errf(e, "disk: fstat %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		mv_errf(e, "disk: %s is not a regular file or block device", path);
		goto fail;
	}
	/* two writers would corrupt the file system on the image */
	if (flock(b->fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		mv_errf(e, "disk: %s is in use: another --disk or another process holds a %s lock "
			"on it (flock: %s)", path, ro ? "write" : "", strerror(errno));
		goto fail;
	}
	if (image_size(b->fd, &st, &b->size) < 0) {
		mv_errf(e, "disk: size of %s: %s", path, strerror(errno));
		goto fail;
	}
	b->capacity = b->size >> VIRTIO_BLK_SECTOR_SHIFT;
	if (b->capacity == 0) {
		mv_errf(e, "disk: %s is %" PRIu64 " bytes, smaller than one 512-byte sector", path,
			b->size);
		goto fail;
	}
	if (b->size % VIRTIO_BLK_SECTOR_SIZE)
		log_info("disk: %s: the last %" PRIu64
			 " bytes are not a whole sector and stay unused",
			 path, b->size % VIRTIO_BLK_SECTOR_SIZE);
	if (!realpath(path, b->path))
		snprintf(b->path, sizeof(b->path), "%s", path);

	/* GET_ID: the file name, NUL-padded, cut at 20 bytes (virtio 1.2 §5.2.6) */
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", b->path);
	const char *base_name = basename(tmp);
	size_t idlen = strlen(base_name);
	memcpy(b->id, base_name, idlen < sizeof(b->id) ? idlen : sizeof(b->id));

	b->cfg = (struct virtio_blk_config){
		.capacity = b->capacity,
		.seg_max = VQ_MAX_SIZE - 2,   /* a chain also holds the header and status */
		.blk_size = VIRTIO_BLK_BLK_SIZE,
	};
	b->cfg.num_queues = VIRTIO_BLK_QUEUES;
	uint64_t features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
			    VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_MQ) |
			    (ro ? VIRTIO_BIT(VIRTIO_BLK_F_RO) : 0);
	virtio_mmio_init(&b->mmio, gm, b->name, base, irq, VIRTIO_ID_BLOCK, features,
			 VIRTIO_BLK_QUEUES, &b->cfg, sizeof(b->cfg), &blk_ops, b);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->bg_cv, NULL);
	b->mmio.lock = &b->lock;
	b->lock_ready = true;
	return 0;
fail:
	close(b->fd);
	b->fd = -1;
	return -1;
}

void virtio_blk_quiesce(struct virtio_blk *b)
{
	if (!b->bg_started)
		return;
	pthread_mutex_lock(&b->lock);
	b->bg_stop = true;
	pthread_cond_signal(&b->bg_cv);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->bg_thread, NULL);
	b->bg_started = false;
}

void virtio_blk_close(struct virtio_blk *b)
{
	virtio_blk_quiesce(b);
	if (b->lock_ready) {
		pthread_cond_destroy(&b->bg_cv);
		pthread_mutex_destroy(&b->lock);
		b->lock_ready = false;
	}
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}
