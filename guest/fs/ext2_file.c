/* ext2 regular file data: read, write, truncate. Data moves straight
 * between the caller's buffer and the device, no bounce through a block
 * buffer: the block map says where, the hooks take byte offsets. */
#include "fs/ext2_int.h"

/* Access times follow the relatime rule: only when the file changed since
 * the last access or a day has passed, so reads rarely write. */
#define ATIME_MAX_AGE 86400u

/* A regular file in use: linked, or an orphan kept for an open file (no
 * dtime). */
static int file_ok(const struct ext2_inode *in)
{
	if (ext2_is_dir(in))
		return -EISDIR;
	if (!ext2_is_reg(in) || (in->i_links_count == 0 && in->i_dtime))
		return -EINVAL;
	return 0;
}

static int file_inode(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int err = ext2_inode_read(fs, ino, in);

	return err ? err : file_ok(in);
}

/* The caller's copy of the inode may be older than the disk: between
 * ext2_pages_map and the read, the page cache may write back another page
 * of the same file to make room (filling a hole changes i_block). So the
 * inode is read again (the one read last, at no cost) and only its atime
 * changed. */
static void touch_atime(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_inode cur;

	if (fs->rdonly)
		return;   /* before the clock: ~60 emulated instructions a read */
	uint32_t now = fs_now();
	if (ext2_inode_read(fs, ino, &cur))
		return;
	if (cur.i_atime <= cur.i_mtime || cur.i_atime <= cur.i_ctime ||
	    now - cur.i_atime >= ATIME_MAX_AGE) {
		cur.i_atime = now;
		ext2_inode_write(fs, ino, &cur); /* best effort: the data is read */
	}
}

int64_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;
	struct ext2_inode in;
	uint64_t size, done = 0;
	int err = file_inode(fs, ino, &in);

	if (err)
		return err;
	size = ext2_inode_size(&in);
	if (off >= size || len == 0)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	if (len > INT64_MAX)
		len = INT64_MAX;
	while (done < len) {
		uint64_t pos = off + done;
		uint32_t boff = (uint32_t)(pos & (fs->block_size - 1)), pblk;
		size_t n = fs->block_size - boff;

		if (n > len - done)
			n = (size_t)(len - done);
		err = ext2_bmap(fs, ino, &in, pos >> fs->block_shift, 0, &pblk);
		if (err)
			break;
		if (pblk == 0)
			memset(dst + done, 0, n);
		else if ((err = ext2_dev_read(fs, ext2_blk_off(fs, pblk) + boff, dst + done, n)))
			break;
		done += n;
	}
	if (done == 0)
		return err;
	touch_atime(fs, ino);
	return (int64_t)done;
}

/* A run is pages whose blocks are all holes, or all mapped and each the
 * disk block after the one before: then one request (or none) reads them.
 * A first page that is neither (blocks smaller than a page, mixed or
 * scattered) is a run of one read block by block. Blocks past the end of
 * the file do not count. With ahead, the run is followed that many pages
 * further and remembered (fs->run_memo), with whether it ended there; the
 * next pieces of the reader inside it walk no block map. */
int ext2_pages_map_ahead(struct ext2_fs *fs, uint32_t ino, uint64_t idx, unsigned max,
			 unsigned ahead, struct ext2_pages *m)
{
	uint32_t bpp = FS_PAGE_SIZE >> fs->block_shift; /* blocks per page */
	uint64_t pages, nblk, lblk;
	uint32_t expect = 0;
	int err = 0;
	/* no copy: nothing below reads another inode or writes the device */
	const struct ext2_inode *in = ext2_inode_ref(fs, ino, &err);

	if (!in)
		return err;
	if ((err = file_ok(in)))
		return err;
	m->idx = idx;
	m->size = ext2_inode_size(in);
	m->pblk = 0;
	m->n = 0;
	m->split = false;
	pages = (m->size + FS_PAGE_SIZE - 1) / FS_PAGE_SIZE;
	if (idx >= pages || max == 0)
		return 0;
	if (max > pages - idx)
		max = (unsigned)(pages - idx);
	nblk = (m->size + fs->block_size - 1) >> fs->block_shift;
	uint64_t first = idx * bpp, want = (uint64_t)max * bpp;
	/* the pages asked for end at stop, the search at end */
	uint64_t stop = first + want < nblk ? first + want : nblk;
	uint64_t more = (uint64_t)ahead * bpp;
	uint64_t end = more < nblk - stop ? stop + more : nblk;
	bool ended = false;
	lblk = first;
	if (fs->run_memo.ino == ino && first >= fs->run_memo.lblk &&
	    first - fs->run_memo.lblk < fs->run_memo.n) {
		uint64_t known = fs->run_memo.lblk + fs->run_memo.n;
		m->pblk = fs->run_memo.pblk + (uint32_t)(first - fs->run_memo.lblk);
		lblk = known < end ? known : end;
		expect = m->pblk + (uint32_t)(lblk - first);
		if (lblk >= stop || fs->run_memo.ended) {
			if (lblk > stop)
				lblk = stop;
			goto pages;   /* all known: no block map walked */
		}
	}
	/* Blocks [first, lblk) continue the run of block first. */
	while (lblk < end) {
		uint32_t p, run;
		uint64_t left = end - lblk;

		err = ext2_bmap_run(fs, in, lblk, left < UINT32_MAX ? (uint32_t)left : UINT32_MAX,
				    lblk > first ? expect : EXT2_RUN_ANY, &p, &run);
		if (err) {
			if (lblk - first < bpp)
				return err;   /* the bad page is read (and fails) alone */
			break;
		}
		if (lblk == first)
			m->pblk = expect = p;
		if (p != expect) {
			ended = true;
			break;
		}
		lblk += run;
		if (expect)
			expect += run;
	}
	if (ahead && m->pblk && lblk - first > bpp) {
		fs->run_memo.ino = ino;
		fs->run_memo.lblk = first;
		fs->run_memo.pblk = m->pblk;
		fs->run_memo.n = lblk - first;
		fs->run_memo.ended = ended;
	}
	if (lblk > stop)
		lblk = stop;
pages:
	/* Whole pages of the run; the file's last page may have fewer blocks. */
	m->n = lblk == nblk ? (unsigned)((lblk - first + bpp - 1) / bpp)
			    : (unsigned)((lblk - first) / bpp);
	if (m->n == 0) {   /* page idx's own blocks are not one run */
		m->split = true;
		m->n = 1;
	}
	return 0;
}

int ext2_pages_map(struct ext2_fs *fs, uint32_t ino, uint64_t idx, unsigned max,
		   struct ext2_pages *m)
{
	return ext2_pages_map_ahead(fs, ino, idx, max, 0, m);
}

/* The run into pages[k] or, when dst is set, into n contiguous pages at
 * dst (a large page-cache unit: one buffer, so no page list and no
 * segment a page; the block layer splits it at BLK_REQ_MAX). */
/* The file bytes of the run (less than its pages at the end of the file). */
static uint64_t run_len(const struct ext2_pages *m)
{
	uint64_t len = m->size - m->idx * FS_PAGE_SIZE;

	return len < (uint64_t)m->n * FS_PAGE_SIZE ? len : (uint64_t)m->n * FS_PAGE_SIZE;
}

/* Whole blocks: the last one is the file's, so inside the volume, and its
 * tail lands inside the last page. */
static uint64_t run_bytes(const struct ext2_fs *fs, const struct ext2_pages *m)
{
	return (run_len(m) + fs->block_size - 1) & ~(uint64_t)(fs->block_size - 1);
}

static int64_t pages_read(struct ext2_fs *fs, uint32_t ino, struct ext2_pages *m,
			  uint8_t *const *pages, uint8_t *dst)
{
	uint64_t start = m->idx * FS_PAGE_SIZE, len;
	int err = 0;

	if (m->n == 0)
		return 0;
	len = run_len(m);
	if (m->split)
		return ext2_read(fs, ino, start, dst ? dst : pages[0], (size_t)len);
	if (m->pblk) {
		uint64_t bytes = run_bytes(fs, m);
		uint64_t off = ext2_blk_off(fs, m->pblk);

		err = dst ? blk_read(fs->dev, off, dst, (size_t)bytes)
			  : blk_read_pages(fs->dev, off, pages, (size_t)bytes);
		if (err)
			return err > 0 ? -EIO : err;
	} else {
		for (unsigned k = 0; k < m->n; k++)
			fs_page_zero(dst ? dst + (uint64_t)k * FS_PAGE_SIZE : pages[k]);
	}
	touch_atime(fs, ino);
	return (int64_t)len;
}

int64_t ext2_pages_read(struct ext2_fs *fs, uint32_t ino, struct ext2_pages *m,
			uint8_t *const *pages)
{
	return pages_read(fs, ino, m, pages, NULL);
}

int64_t ext2_pages_read_into(struct ext2_fs *fs, uint32_t ino, struct ext2_pages *m,
			     uint8_t *dst)
{
	return pages_read(fs, ino, m, NULL, dst);
}

int ext2_pages_read_start(struct ext2_fs *fs, struct ext2_pages *m, uint8_t *dst)
{
	if (m->n == 0 || m->split || !m->pblk)
		return 1;
	int err = blk_read_start(fs->dev, ext2_blk_off(fs, m->pblk), dst, (size_t)run_bytes(fs, m));
	if (err == -EOPNOTSUPP || err == -EBUSY)
		return 1;
	return err > 0 ? -EIO : err;
}

int64_t ext2_pages_read_finish(struct ext2_fs *fs, uint32_t ino, struct ext2_pages *m)
{
	int err = blk_read_finish(fs->dev);

	if (err)
		return err > 0 ? -EIO : err;
	touch_atime(fs, ino);
	return (int64_t)run_len(m);
}

/* Zeroes the bytes between size and the end of its block, so that a later
 * grow exposes zeros rather than old data. */
static int zero_tail(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t size)
{
	uint32_t boff = (uint32_t)(size & (fs->block_size - 1)), pblk;
	int err;

	if (boff == 0)
		return 0;
	err = ext2_bmap(fs, ino, in, size >> fs->block_shift, 0, &pblk);
	if (err || pblk == 0)
		return err;
	fs_page_zero(fs->scratch);
	return ext2_dev_write(fs, ext2_blk_off(fs, pblk) + boff, fs->scratch,
			      fs->block_size - boff);
}

int64_t ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len)
{
	const uint8_t *src = buf;
	struct ext2_inode in;
	uint64_t size, done = 0;
	int err, werr;

	if (fs->rdonly)
		return -EROFS;
	err = file_inode(fs, ino, &in);
	if (err)
		return err;
	if (len == 0)
		return 0;
	if (off >= ext2_max_file_size(fs) || len > ext2_max_file_size(fs) - off)
		return -EFBIG;
	size = ext2_inode_size(&in);
	if (off > size) {
		err = zero_tail(fs, ino, &in, size);
		if (err)
			return err;
	}
	while (done < len) {
		uint64_t pos = off + done;
		uint32_t boff = (uint32_t)(pos & (fs->block_size - 1)), pblk;
		size_t n = fs->block_size - boff;
		unsigned flags = EXT2_BMAP_ALLOC;

		if (n > len - done)
			n = (size_t)(len - done);
		if (n == fs->block_size)
			flags |= EXT2_BMAP_NOZERO;
		err = ext2_bmap(fs, ino, &in, pos >> fs->block_shift, flags, &pblk);
		if (err)
			break;
		err = ext2_dev_write(fs, ext2_blk_off(fs, pblk) + boff, src + done, n);
		if (err)
			break;
		done += n;
	}
	if (off + done > size)
		ext2_inode_set_size(fs, &in, off + done);
	if (done)
		in.i_mtime = in.i_ctime = fs_now();
	/* Also after a failure: the block map may have grown. */
	werr = ext2_inode_write(fs, ino, &in);
	if (done)
		return werr ? werr : (int64_t)done;
	return err ? err : werr;
}

int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
	struct ext2_inode in;
	uint64_t old;
	int err, werr;

	if (fs->rdonly)
		return -EROFS;
	err = file_inode(fs, ino, &in);
	if (err)
		return err;
	if (size > ext2_max_file_size(fs))
		return -EFBIG;
	old = ext2_inode_size(&in);
	if (size < old) {
		uint64_t keep = (size + fs->block_size - 1) >> fs->block_shift;

		err = ext2_free_blocks_from(fs, &in, keep);
		if (!err)
			err = zero_tail(fs, ino, &in, size);
	} else if (size > old) {
		err = zero_tail(fs, ino, &in, old);
	}
	if (!err)
		ext2_inode_set_size(fs, &in, size);
	in.i_mtime = in.i_ctime = fs_now();
	werr = ext2_inode_write(fs, ino, &in);
	return err ? err : werr;
}
