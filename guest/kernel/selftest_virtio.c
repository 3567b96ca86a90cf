/* Self-tests of the virtio-mmio discovery and the virtio-blk disk behind
 * the block layer. The disk test writes only the last 4 KiB block and puts
 * its old contents back; on a read-only disk it expects -EROFS instead.
 * Data is compared a word at a time where it can be: every instruction of
 * kernel code is emulated. */
#include <stdint.h>

#include "drivers/virtio_blk.h"
#include "drivers/virtio_mmio.h"
#include "kernel/blk.h"
#include "kernel/printk.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "x86.h"

#define VT_BLOCK      4096u
#define VT_PATTERN    0x6d61707669736f72ull   /* "rosivpam" */
#define VT_BENCH_READS 1000

int selftest_virtio_parse(char *why, size_t len)
{
	struct vmmio_window w[3];
	int n = vmmio_parse("quiet virtio_mmio.device=4K@0xd0000000:5 x=1 "
			    "virtio_mmio.device=512@0xfeb00e00:12:3 virtio_mmio.device=1M@0x1000",
			    w, 3, false);

	SELFTEST_CHECK(n == 2, "parsed %d windows, expected 2 (the third is malformed)", n);
	SELFTEST_CHECK(w[0].base == 0xd0000000 && w[0].size == 4096 && w[0].irq == 5,
		       "window 0: %lx+%lx irq %u", w[0].base, w[0].size, w[0].irq);
	SELFTEST_CHECK(w[1].base == 0xfeb00e00 && w[1].size == 512 && w[1].irq == 12,
		       "window 1: %lx+%lx irq %u", w[1].base, w[1].size, w[1].irq);
	n = vmmio_parse("virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6", w,
			1, false);
	SELFTEST_CHECK(n == 1, "parsed %d windows into a table of 1", n);
	n = vmmio_parse("novirtio_mmio.device=4K@0xd0000000:5", w, 3, false);
	SELFTEST_CHECK(n == 0, "matched inside a word");
	return SELFTEST_OK;
}

static bool vt_words_equal(const uint64_t *a, const uint64_t *b, size_t bytes)
{
	for (size_t i = 0; i < bytes / 8; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static void vt_hex8(char *out, const uint8_t *p)
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Writes at `off`, aligned and not, and checks what reads back. `old` holds
 * the block's contents, `pat` and `buf` are scratch pages. */
static int vt_write(struct blk_dev *b, uint64_t off, uint8_t *old, uint64_t *pat, uint64_t *buf,
		    char *why, size_t len)
{
	static const char mark[] = "UNALIGN";
	uint8_t *p = (uint8_t *)pat, small[16];
	int err;

	for (unsigned i = 0; i < VT_BLOCK / 8; i++)
		pat[i] = VT_PATTERN ^ i;
	err = blk_write(b, off, pat, VT_BLOCK);
	SELFTEST_CHECK(!err, "write of the last block: error %d", err);
	err = blk_flush(b);
	SELFTEST_CHECK(!err, "flush: error %d", err);
	err = blk_read(b, off, buf, VT_BLOCK);
	SELFTEST_CHECK(!err && vt_words_equal(pat, buf, VT_BLOCK),
		       "pattern did not read back (error %d)", err);

	/* Partial sectors: far apart (two reads first), in adjacent sectors
	 * (one read of both), in one sector; from the direct map, from the
	 * kernel image. */
	err = blk_write(b, off + 100, old + 100, 1500);
	SELFTEST_CHECK(!err, "write of 1500 bytes at +100: error %d", err);
	memcpy(p + 100, old + 100, 1500);
	err = blk_write(b, off + 509, mark, 7);
	SELFTEST_CHECK(!err, "write of 7 bytes at +509: error %d", err);
	memcpy(p + 509, mark, 7);
	err = blk_write(b, off + 3000, mark, 1);
	SELFTEST_CHECK(!err, "write of 1 byte at +3000: error %d", err);
	p[3000] = mark[0];
	err = blk_read(b, off, buf, VT_BLOCK);
	SELFTEST_CHECK(!err && vt_words_equal(pat, buf, VT_BLOCK),
		       "unaligned writes did not read back (error %d)", err);
	err = blk_read(b, off + 505, small, sizeof(small));
	SELFTEST_CHECK(!err && !memcmp(small, p + 505, sizeof(small)),
		       "16 bytes at +505 read wrong (error %d)", err);
	err = blk_read(b, off + 1000, (uint8_t *)buf + 1, 2000);
	SELFTEST_CHECK(!err && !memcmp((uint8_t *)buf + 1, p + 1000, 2000),
		       "2000 bytes at +1000 read wrong (error %d)", err);
	return SELFTEST_OK;
}

int selftest_virtio(char *why, size_t len)
{
	struct blk_dev *b = blk_get(0);
	struct vblk *v = vblk_get(0);
	uint64_t pa[3] = { 0, 0, 0 };
	char id[VIRTIO_BLK_ID_BYTES + 1] = "", first[17], last[17];
	int err, r = SELFTEST_FAIL;

	if (!b || !v) {
		snprintf(why, len, "(no device)");
		return SELFTEST_SKIP;
	}
	for (int i = 0; i < 3; i++) {
		pa[i] = page_alloc();
		if (!pa[i]) {
			snprintf(why, len, "out of pages");
			goto out;
		}
	}
	uint8_t *old = phys_to_virt(pa[0]);
	uint64_t *pat = phys_to_virt(pa[1]), *buf = phys_to_virt(pa[2]);
	uint64_t off = (b->bytes - VT_BLOCK) & ~(uint64_t)(VT_BLOCK - 1);
	if (b->bytes < 2 * VT_BLOCK) {
		snprintf(why, len, "disk of %lu bytes is too small", b->bytes);
		goto out;
	}

	/* Sector 0 through the driver, the last one through the block layer. */
	err = vblk_rw(v, 0, pa[2], VIRTIO_BLK_SECTOR_SIZE, false);
	if (err) {
		snprintf(why, len, "read of sector 0: error %d", err);
		goto out;
	}
	vt_hex8(first, (uint8_t *)buf);
	err = blk_read(b, b->bytes - BLK_SECTOR_SIZE, buf, BLK_SECTOR_SIZE);
	if (err) {
		snprintf(why, len, "read of the last sector: error %d", err);
		goto out;
	}
	vt_hex8(last, (uint8_t *)buf);
	printk("virtio: %s: sector 0 starts %s, last sector starts %s\n", b->name, first, last);

	/* What must fail, and how. */
	err = blk_read(b, b->bytes - 8, buf, 16);
	if (err != -EIO) {
		snprintf(why, len, "read past the end: %d, expected -EIO", err);
		goto out;
	}
	err = vblk_rw(v, 0, pa[2], 100, false);
	if (err != -EINVAL) {
		snprintf(why, len, "read of 100 bytes: %d, expected -EINVAL", err);
		goto out;
	}

	err = blk_get_id(b, id, sizeof(id));
	if (err && err != -EOPNOTSUPP) {
		snprintf(why, len, "GET_ID: error %d", err);
		goto out;
	}

	err = blk_read(b, off, old, VT_BLOCK);
	if (err) {
		snprintf(why, len, "read of the last block: error %d", err);
		goto out;
	}
	if (b->ro) {
		err = blk_write(b, off, old, VT_BLOCK);
		if (err != -EROFS) {
			snprintf(why, len, "write to a read-only disk: %d, expected -EROFS", err);
			goto out;
		}
	} else {
		r = vt_write(b, off, old, pat, buf, why, len);
		/* Put the block back whatever happened. */
		err = blk_write(b, off, old, VT_BLOCK);
		if (!err)
			err = blk_flush(b);
		if (!err)
			err = blk_read(b, off, buf, VT_BLOCK);
		if (r != SELFTEST_OK)
			goto out;
		r = SELFTEST_FAIL;
		if (err || !vt_words_equal((uint64_t *)old, buf, VT_BLOCK)) {
			snprintf(why, len, "old contents not restored (error %d)", err);
			goto out;
		}
	}
	snprintf(why, len, " (%s: %lu sectors, block %u, id '%s', %lu late%s)", b->name,
		 b->bytes >> BLK_SECTOR_SHIFT, b->blk_size, id, v->late,
		 b->ro ? ", read-only: write refused with -EROFS" : "");
	r = SELFTEST_OK;
out:
	for (int i = 0; i < 3; i++)
		if (pa[i])
			page_free(pa[i]);
	return r;
}

/* VT_BENCH_READS aligned 4 KiB reads of block 0 into one page. Run it once
 * and twice (selftest=virtio_bench,virtio_bench) and compare the VM's
 * counters: the difference is the cost of VT_BENCH_READS reads. */
int selftest_virtio_bench(char *why, size_t len)
{
	struct blk_dev *b = blk_get(0);
	uint64_t pa;

	if (!b) {
		snprintf(why, len, "(no device)");
		return SELFTEST_SKIP;
	}
	pa = page_alloc();
	SELFTEST_CHECK(pa, "out of pages");
	void *buf = phys_to_virt(pa);
	for (int i = 0; i < VT_BENCH_READS; i++) {
		int err = blk_read(b, 0, buf, VT_BLOCK);
		if (err) {
			page_free(pa);
			SELFTEST_CHECK(0, "read %d: error %d", i, err);
		}
	}
	page_free(pa);
	snprintf(why, len, " (%d reads of 4 KiB)", VT_BENCH_READS);
	return SELFTEST_OK;
}
