/* Block layer (see blk.h). The request path is short on purpose: every
 * instruction of kernel code is emulated, so an aligned transfer goes from
 * blk_read() to the driver with one range check, one address translation
 * and one segment, and a transfer of any size is one request per
 * BLK_REQ_MAX bytes, never one per sector. */
#include "kernel/blk.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mv_boot.h"

#define BLK_SECTOR_MASK    (BLK_SECTOR_SIZE - 1)
/* The direct map spans at most 64 TiB (PML4 slots 256..383). */
#define BLK_DIRECT_MAP_END (MV_DIRECT_MAP_BASE + (1ull << 46))

static struct blk_dev blk_devs[BLK_DEVS_MAX];
static unsigned blk_ndevs;

struct blk_dev *blk_register(const struct blk_ops *ops, void *priv, uint64_t bytes,
			     uint32_t blk_size, bool ro, uint32_t segs)
{
	if (blk_ndevs == BLK_DEVS_MAX)
		return NULL;
	uint64_t bounce = page_alloc();
	if (!bounce)
		return NULL;
	struct blk_dev *b = &blk_devs[blk_ndevs];
	b->ops = ops;
	b->priv = priv;
	b->bytes = bytes & ~(uint64_t)BLK_SECTOR_MASK;
	b->blk_size = blk_size;
	b->ro = ro;
	b->segs = segs < BLK_SEGS_MAX ? segs : BLK_SEGS_MAX;
	snprintf(b->name, sizeof(b->name), "vd%c", 'a' + blk_ndevs);
	b->bounce_pa = bounce;
	blk_ndevs++;
	return b;
}

unsigned blk_count(void)
{
	return blk_ndevs;
}

struct blk_dev *blk_get(unsigned i)
{
	return i < blk_ndevs ? &blk_devs[i] : NULL;
}

int blk_get_id(struct blk_dev *b, char *out, size_t len)
{
	return b->ops->get_id ? b->ops->get_id(b->priv, out, len) : -EOPNOTSUPP;
}

/* Guest-physical address of a kernel buffer: the direct map and the kernel
 * image are each one physically contiguous range, so the whole buffer is
 * one segment. Anything else (user or scratch mappings) is refused. */
static int blk_dma_addr(const void *buf, uint64_t *pa)
{
	uint64_t va = (uint64_t)buf;

	/* kernel_virt_to_phys() spelled out: a call here would give
	 * blk_rw() a stack frame, a dozen emulated instructions a request. */
	if (va >= MV_KERNEL_VIRT_BASE)
		*pa = va - MV_KERNEL_VIRT_BASE;
	else if (va >= MV_DIRECT_MAP_BASE && va < BLK_DIRECT_MAP_END)
		*pa = va - MV_DIRECT_MAP_BASE;
	else
		return -EFAULT;
	return 0;
}

static int blk_xfer(struct blk_dev *b, bool write, uint64_t sector, uint64_t pa, uint32_t len)
{
	return b->ops->rw(b->priv, write, sector, pa, len);
}

/* [off, off + len) with a partial sector at either end, as one request.
 * The bounce area holds sector `first` at +0 and sector `last` at +512
 * (both at +0 when they are the same sector). A write first reads the
 * partial sectors, in one request when they are adjacent. */
static __attribute__((noinline)) int blk_rw_unaligned(struct blk_dev *b, bool write, uint64_t off, uint64_t pa,
			    uint32_t len)
{
	uint64_t first = off >> BLK_SECTOR_SHIFT;
	uint64_t last = (off + len - 1) >> BLK_SECTOR_SHIFT;
	uint32_t head = off & BLK_SECTOR_MASK;
	uint32_t tail = -(uint32_t)(off + len) & BLK_SECTOR_MASK;
	uint64_t tail_pa = b->bounce_pa + (last == first ? 0 : BLK_SECTOR_SIZE) +
			   ((off + len) & BLK_SECTOR_MASK);
	struct blk_seg seg[BLK_SEGS_MAX];
	unsigned n = 0;
	int err = 0;

	if (write) {
		if (last == first || (head && tail && last == first + 1)) {
			err = blk_xfer(b, false, first, b->bounce_pa,
				       (uint32_t)(last - first + 1) << BLK_SECTOR_SHIFT);
		} else {
			if (head)
				err = blk_xfer(b, false, first, b->bounce_pa, BLK_SECTOR_SIZE);
			if (tail && !err)
				err = blk_xfer(b, false, last, b->bounce_pa + BLK_SECTOR_SIZE,
					       BLK_SECTOR_SIZE);
		}
		if (err)
			return err;
	}
	if (head)
		seg[n++] = (struct blk_seg){ b->bounce_pa, head };
	seg[n++] = (struct blk_seg){ pa, len };
	if (tail)
		seg[n++] = (struct blk_seg){ tail_pa, tail };
	return b->ops->xfer(b->priv, write, first, seg, n);
}

/* Any range: requests of at most BLK_REQ_MAX bytes. Kept out of line so
 * the common case in blk_rw() stays a leaf-sized function. */
static __attribute__((noinline)) int blk_rw_split(struct blk_dev *b, bool write, uint64_t off,
						   uint64_t pa, size_t len)
{
	if (write && b->ro)
		return -EROFS; /* before reading for a read-modify-write */
	while (len) {
		/* Chunks end on BLK_REQ_MAX boundaries of the disk, so only the
		 * first can start and only the last can end inside a sector. */
		uint32_t n = BLK_REQ_MAX - (uint32_t)(off & (BLK_REQ_MAX - 1));
		if (n > len)
			n = (uint32_t)len;
		int err = (off | n) & BLK_SECTOR_MASK
				  ? blk_rw_unaligned(b, write, off, pa, n)
				  : blk_xfer(b, write, off >> BLK_SECTOR_SHIFT, pa, n);
		if (err)
			return err;
		off += n;
		pa += n;
		len -= n;
	}
	return 0;
}

/* [off, off + len) inside the disk and buf where the device can reach it:
 * 0 and its physical address, or -EIO / -EFAULT. */
static inline __attribute__((always_inline)) int blk_check(const struct blk_dev *b, uint64_t off,
							   const void *buf, size_t len, uint64_t *pa)
{
	if (off > b->bytes || len > b->bytes - off)
		return -EIO;
	return blk_dma_addr(buf, pa);
}

static int blk_rw(struct blk_dev *b, bool write, uint64_t off, const void *buf, size_t len)
{
	uint64_t pa;
	int err;

	if (!b)
		return -ENODEV;
	if ((err = blk_check(b, off, buf, len, &pa)))
		return err;
	/* The common case, whole sectors in one request, goes straight to
	 * the driver (which refuses writes to a read-only disk itself). */
	if (!((off | len) & BLK_SECTOR_MASK) && len - 1 < BLK_REQ_MAX)
		return blk_xfer(b, write, off >> BLK_SECTOR_SHIFT, pa, (uint32_t)len);
	return blk_rw_split(b, write, off, pa, len);
}

int blk_read_start(void *dev, uint64_t byte_off, void *buf, size_t len)
{
	struct blk_dev *b = dev;
	uint64_t pa;
	int err;

	if (!b || !b->ops->read_start || ((byte_off | len) & BLK_SECTOR_MASK) || !len ||
	    len > BLK_REQ_MAX)
		return -EOPNOTSUPP;
	if ((err = blk_check(b, byte_off, buf, len, &pa)))
		return err;
	return b->ops->read_start(b->priv, byte_off >> BLK_SECTOR_SHIFT, pa, (uint32_t)len);
}

int blk_read_finish(void *dev)
{
	struct blk_dev *b = dev;

	return b && b->ops->read_finish ? b->ops->read_finish(b->priv) : -EOPNOTSUPP;
}

int blk_read(void *dev, uint64_t byte_off, void *buf, size_t len)
{
	return blk_rw(dev, false, byte_off, buf, len);
}

int blk_write(void *dev, uint64_t byte_off, const void *buf, size_t len)
{
	return blk_rw(dev, true, byte_off, buf, len);
}

/* Pages that follow each other in physical memory (the page allocator
 * hands out ascending addresses, so a batch allocated together mostly
 * does) share a segment; a request carries up to the disk's segs and
 * BLK_REQ_MAX bytes, and a new one starts when either is full. */
int blk_read_pages(void *dev, uint64_t byte_off, uint8_t *const *pages, size_t len)
{
	struct blk_dev *b = dev;
	struct blk_seg seg[BLK_SEGS_MAX];
	unsigned n = 0;
	uint32_t req = 0;         /* bytes in seg[0..n) */
	uint64_t sector;

	if (!b)
		return -ENODEV;
	len = (len + BLK_SECTOR_MASK) & ~(size_t)BLK_SECTOR_MASK;
	if ((byte_off & BLK_SECTOR_MASK) || byte_off > b->bytes || len > b->bytes - byte_off)
		return -EIO;
	sector = byte_off >> BLK_SECTOR_SHIFT;
	for (size_t i = 0; len; i++) {
		uint32_t part = len < FS_PAGE_SIZE ? (uint32_t)len : FS_PAGE_SIZE;
		uint64_t pa;

		if (blk_dma_addr(pages[i], &pa))
			return -EFAULT;
		if (n && seg[n - 1].pa + seg[n - 1].len == pa && req + part <= BLK_REQ_MAX) {
			seg[n - 1].len += part;
		} else {
			if (n == b->segs || (n && req + part > BLK_REQ_MAX)) {
				int err = b->ops->xfer(b->priv, false, sector, seg, n);
				if (err)
					return err;
				sector += req >> BLK_SECTOR_SHIFT;
				n = 0;
				req = 0;
			}
			seg[n++] = (struct blk_seg){ pa, part };
		}
		req += part;
		len -= part;
	}
	return n ? b->ops->xfer(b->priv, false, sector, seg, n) : 0;
}

int blk_flush(void *dev)
{
	struct blk_dev *b = dev;

	return b ? b->ops->flush(b->priv) : -ENODEV;
}
