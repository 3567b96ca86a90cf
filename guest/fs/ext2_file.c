/* ext2 regular file data: read, write, truncate. Data moves straight
 * between the caller's buffer and the device, no bounce through a block
 * buffer: the block map says where, the hooks take byte offsets. */
#include "fs/ext2_int.h"

/* Access times follow the relatime rule: only when the file changed since
 * the last access or a day has passed, so reads rarely write. */
#define ATIME_MAX_AGE 86400u

static int file_inode(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int err = ext2_inode_read(fs, ino, in);

	if (err)
		return err;
	if (ext2_is_dir(in))
		return -EISDIR;
	if (!ext2_is_reg(in) || in->i_links_count == 0)
		return -EINVAL;
	return 0;
}

int64_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;
	struct ext2_inode in;
	uint64_t size, done = 0;
	uint32_t now;
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

	now = fs_now();
	if (!fs->rdonly && (in.i_atime <= in.i_mtime || in.i_atime <= in.i_ctime ||
			    now - in.i_atime >= ATIME_MAX_AGE)) {
		in.i_atime = now;
		ext2_inode_write(fs, ino, &in); /* best effort: the data is read */
	}
	return (int64_t)done;
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
	memset(fs->scratch, 0, fs->block_size - boff);
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
