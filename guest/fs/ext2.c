/* ext2: mount-time validation, the superblock, group descriptors, inodes.
 *
 * Trust model: after ext2_mount() the superblock geometry is known to be
 * self-consistent and inside the device, so every later check is a plain
 * range test against s_blocks_count / s_inodes_count. Everything else on the
 * disk (descriptors, inodes, indirect blocks, directories, bitmaps) is
 * checked where it is read, every time it is read. */
#include "fs/ext2_int.h"

/* Feature bits this driver understands (include/ext2.h has the meaning). */
#define EXT2_INCOMPAT_SUPP EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPP                                                                        \
	(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

int ext2_dev_read(struct ext2_fs *fs, uint64_t off, void *buf, size_t len)
{
	int err = blk_read(fs->dev, off, buf, len);

	return err > 0 ? -EIO : err;
}

int ext2_dev_write(struct ext2_fs *fs, uint64_t off, const void *buf, size_t len)
{
	int err;

	/* Every mutating entry point checks first; this is the backstop. */
	if (fs->rdonly)
		err = -EROFS;
	else
		err = blk_write(fs->dev, off, buf, len);
	/* Also after a failure: a block changed in place and not written
	 * must not stay in the cache. */
	ext2_cache_wrote(fs, off, buf, len, err == 0);
	if (fs->last_ino && off < fs->last_ino_off + sizeof(fs->last_inode) &&
	    fs->last_ino_off < off + len)
		fs->last_ino = 0;
	return err > 0 ? -EIO : err;
}

int ext2_zero_block(struct ext2_fs *fs, uint32_t blk, bool cache)
{
	uint8_t *p = fs->scratch;

	if (cache) {
		int err = ext2_block_new(fs, blk, &p);

		if (err)
			return err;
	} else {
		fs_page_zero(p);
	}
	return ext2_dev_write(fs, ext2_blk_off(fs, blk), p, fs->block_size);
}

bool ext2_blk_ok(const struct ext2_fs *fs, uint32_t blk)
{
	/* Nothing below the group descriptor table is ever file data. */
	return blk > fs->sb.s_first_data_block && blk < fs->sb.s_blocks_count;
}

uint32_t ext2_group_blocks(const struct ext2_fs *fs, uint32_t group)
{
	uint32_t bpg = fs->sb.s_blocks_per_group;
	uint32_t start = fs->sb.s_first_data_block + group * bpg;
	uint32_t left = fs->sb.s_blocks_count - start;

	/* Only the last group may be short. */
	return left < bpg ? left : bpg;
}

static uint64_t gd_off(const struct ext2_fs *fs, uint32_t group)
{
	return ext2_blk_off(fs, fs->gdt_block) + (uint64_t)group * sizeof(struct ext2_group_desc);
}

int ext2_gd_read(struct ext2_fs *fs, uint32_t group, struct ext2_group_desc *gd)
{
	int err;

	if (group >= fs->groups)
		return -EIO;
	err = ext2_meta_read(fs, gd_off(fs, group), gd, sizeof(*gd));
	if (err)
		return err;
	/* The bitmaps and the whole inode table must lie inside the volume;
	 * the counts must fit the group. */
	if (!ext2_blk_ok(fs, gd->bg_block_bitmap) || !ext2_blk_ok(fs, gd->bg_inode_bitmap) ||
	    !ext2_blk_ok(fs, gd->bg_inode_table) ||
	    (uint64_t)gd->bg_inode_table + fs->itable_blocks > fs->sb.s_blocks_count ||
	    gd->bg_free_blocks_count > ext2_group_blocks(fs, group) ||
	    gd->bg_free_inodes_count > fs->sb.s_inodes_per_group ||
	    gd->bg_used_dirs_count > fs->sb.s_inodes_per_group)
		return -EIO;
	return 0;
}

int ext2_gd_write(struct ext2_fs *fs, uint32_t group, const struct ext2_group_desc *gd)
{
	return ext2_dev_write(fs, gd_off(fs, group), gd, sizeof(*gd));
}

static int inode_off(struct ext2_fs *fs, uint32_t ino, uint64_t *off)
{
	struct ext2_group_desc gd;
	uint32_t ipg = fs->sb.s_inodes_per_group;
	int err;

	if (ino == 0 || ino > fs->sb.s_inodes_count)
		return -EINVAL;
	err = ext2_gd_read(fs, (ino - 1) / ipg, &gd);
	if (err)
		return err;
	*off = ext2_blk_off(fs, gd.bg_inode_table) + (uint64_t)((ino - 1) % ipg) * fs->inode_size;
	return 0;
}

int ext2_inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	uint64_t off;
	int err;

	if (ino && ino == fs->last_ino) {
		ext2_copy(in, &fs->last_inode, sizeof(*in));
		return 0;
	}
	if ((err = inode_off(fs, ino, &off)) || (err = ext2_meta_read(fs, off, in, sizeof(*in))))
		return err;
	ext2_copy(&fs->last_inode, in, sizeof(*in));
	fs->last_ino = ino;
	fs->last_ino_off = off;
	return 0;
}

const struct ext2_inode *ext2_inode_ref(struct ext2_fs *fs, uint32_t ino, int *err)
{
	struct ext2_inode tmp;

	if (!ino || ino != fs->last_ino) {
		if ((*err = ext2_inode_read(fs, ino, &tmp)))
			return NULL;
	}
	return &fs->last_inode;
}

/* Only the 128-byte base: whatever follows in a larger slot (extra
 * timestamps, in-inode attributes) is left as it was. */
int ext2_inode_write(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	uint64_t off;
	int err = inode_off(fs, ino, &off);

	return err ? err : ext2_dev_write(fs, off, in, sizeof(*in));
}

int ext2_inode_init(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	uint64_t off;
	int err = inode_off(fs, ino, &off);

	if (err)
		return err;
	/* A zero i_extra_isize tells readers the extra space holds nothing. */
	fs_page_zero(fs->scratch);
	ext2_copy(fs->scratch, in, sizeof(*in));
	return ext2_dev_write(fs, off, fs->scratch, fs->inode_size);
}

uint64_t ext2_inode_size(const struct ext2_inode *in)
{
	uint64_t size = in->i_size;

	/* i_dir_acl holds the high half for regular files only. */
	if (ext2_is_reg(in))
		size |= (uint64_t)in->i_dir_acl << 32;
	return size;
}

void ext2_inode_set_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size)
{
	in->i_size = (uint32_t)size;
	if (!ext2_is_reg(in))
		return;
	in->i_dir_acl = (uint32_t)(size >> 32);
	/* A file of 2 GiB or more needs the feature that says i_dir_acl is a
	 * size, so that older readers refuse to write the volume. */
	if (size > 0x7fffffffull &&
	    !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)) {
		fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
		fs->sb_dirty = true;
	}
}

uint64_t ext2_max_file_size(const struct ext2_fs *fs)
{
	uint64_t apb = fs->addr_per_block;
	uint64_t blocks = EXT2_NDIR_BLOCKS + apb + apb * apb + apb * apb * apb;
	uint64_t bytes = blocks << fs->block_shift;
	/* i_blocks is 32 bits of sectors and counts indirect blocks too:
	 * leave it a margin of 1/128 for them. */
	uint64_t by_iblocks = (0xffffffffull << 9) - (0xffffffffull << 2);

	return bytes < by_iblocks ? bytes : by_iblocks;
}

/* The extended attribute block may be shared: drop one reference. */
static int release_xattr(struct ext2_fs *fs, struct ext2_inode *in)
{
	struct ext2_xattr_header h;
	uint32_t blk = in->i_file_acl;
	uint64_t off = ext2_blk_off(fs, blk);
	int err;

	if (!ext2_blk_ok(fs, blk))
		return -EIO;
	err = ext2_meta_read(fs, off, &h, sizeof(h));
	if (err)
		return err;
	if (h.h_magic != EXT2_XATTR_MAGIC)
		return -EIO;
	if (h.h_refcount > 1) {
		h.h_refcount--;
		err = ext2_dev_write(fs, off, &h, sizeof(h));
	} else {
		err = ext2_bfree(fs, blk);
		if (!err && in->i_blocks >= ext2_sectors_per_block(fs))
			in->i_blocks -= ext2_sectors_per_block(fs);
	}
	if (!err)
		in->i_file_acl = 0;
	return err;
}

/* A fast symbolic link keeps its target in i_block itself. */
static bool has_data_blocks(const struct ext2_fs *fs, const struct ext2_inode *in)
{
	uint32_t acl = in->i_file_acl ? ext2_sectors_per_block(fs) : 0;

	if ((in->i_mode & EXT2_S_IFMT) == EXT2_S_IFLNK)
		return in->i_blocks > acl;
	/* Devices, fifos and sockets keep a device number or nothing. */
	return ext2_is_reg(in) || ext2_is_dir(in);
}

/* To e2fsck a dtime of 0 means "in use" and one below s_inodes_count is
 * the next inode of the orphan list: a clock still near the epoch (the
 * guest has no wall clock yet, fs_now() is 0) must give neither. */
static uint32_t release_time(const struct ext2_fs *fs)
{
	uint32_t t = fs_now();

	return t >= fs->sb.s_inodes_count ? t : fs->sb.s_inodes_count;
}

int ext2_inode_release(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int err = 0, err2;

	if (has_data_blocks(fs, in))
		err = ext2_free_blocks_from(fs, in, 0);
	if (!err && in->i_file_acl)
		err = release_xattr(fs, in);
	in->i_links_count = 0;
	in->i_dtime = release_time(fs);
	ext2_inode_set_size(fs, in, 0);
	err2 = ext2_inode_write(fs, ino, in);
	if (err)
		return err;
	if (err2)
		return err2;
	return ext2_ifree(fs, ino, ext2_is_dir(in));
}

int ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st)
{
	struct ext2_inode in;
	int err = ext2_inode_read(fs, ino, &in);

	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	st->ino = ino;
	st->mode = in.i_mode;
	st->nlink = in.i_links_count;
	st->uid = in.i_uid | (uint32_t)in.i_uid_high << 16;
	st->gid = in.i_gid | (uint32_t)in.i_gid_high << 16;
	st->size = ext2_inode_size(&in);
	st->blocks = in.i_blocks;
	st->blksize = fs->block_size;
	st->atime = in.i_atime;
	st->mtime = in.i_mtime;
	st->ctime = in.i_ctime;
	return 0;
}

static uint32_t div_up(uint64_t a, uint32_t b)
{
	return (uint32_t)((a + b - 1) / b);
}

/* Geometry first: all later range checks lean on these numbers. */
static int super_check(struct ext2_fs *fs, uint64_t dev_bytes)
{
	const struct ext2_super *sb = &fs->sb;
	uint32_t bs, isz, gdt_blocks;
	uint64_t groups;

	if (sb->s_magic != EXT2_SUPER_MAGIC || sb->s_rev_level != EXT2_DYNAMIC_REV)
		return -EINVAL;
	if (sb->s_log_block_size > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG)
		return -EINVAL;
	fs->block_shift = EXT2_MIN_BLOCK_LOG + sb->s_log_block_size;
	fs->block_size = bs = 1u << fs->block_shift;
	fs->addr_per_block = bs / sizeof(uint32_t);

	/* The superblock sits at byte 1024: in block 1 for 1 KiB blocks,
	 * otherwise inside block 0. */
	if (sb->s_first_data_block != (bs == 1024 ? 1u : 0u))
		return -EINVAL;
	if (sb->s_blocks_count <= sb->s_first_data_block ||
	    ((uint64_t)sb->s_blocks_count << fs->block_shift) > dev_bytes)
		return -EINVAL;
	/* One bitmap block describes a group. */
	if (sb->s_blocks_per_group == 0 || sb->s_blocks_per_group > 8 * bs ||
	    sb->s_blocks_per_group % 8)
		return -EINVAL;
	if (sb->s_inodes_per_group == 0 || sb->s_inodes_per_group > 8 * bs)
		return -EINVAL;
	isz = sb->s_inode_size;
	if (isz < EXT2_GOOD_OLD_INODE_SIZE || isz > bs || (isz & (isz - 1)))
		return -EINVAL;
	fs->inode_size = isz;

	groups = div_up(sb->s_blocks_count - sb->s_first_data_block, sb->s_blocks_per_group);
	if ((uint64_t)sb->s_inodes_count != groups * sb->s_inodes_per_group)
		return -EINVAL;
	fs->groups = (uint32_t)groups;
	if (sb->s_first_ino < EXT2_GOOD_OLD_FIRST_INO || sb->s_first_ino > sb->s_inodes_count)
		return -EINVAL;
	fs->first_ino = sb->s_first_ino;
	if (sb->s_free_blocks_count > sb->s_blocks_count ||
	    sb->s_r_blocks_count > sb->s_blocks_count ||
	    sb->s_free_inodes_count > sb->s_inodes_count)
		return -EINVAL;

	fs->itable_blocks = div_up((uint64_t)sb->s_inodes_per_group * isz, bs);
	if (fs->itable_blocks >= sb->s_blocks_per_group)
		return -EINVAL;
	fs->gdt_block = sb->s_first_data_block + 1;
	gdt_blocks = div_up(groups * sizeof(struct ext2_group_desc), bs);
	if ((uint64_t)fs->gdt_block + gdt_blocks > sb->s_blocks_count)
		return -EINVAL;

	if (sb->s_feature_incompat & ~EXT2_INCOMPAT_SUPP)
		return -EINVAL;
	/* Unknown read-only features: reading stays safe, writing is not. */
	if (sb->s_feature_ro_compat & ~EXT2_RO_COMPAT_SUPP)
		fs->rdonly = true;
	fs->filetype = sb->s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	return 0;
}

static int super_write(struct ext2_fs *fs)
{
	int err = ext2_dev_write(fs, EXT2_SUPER_OFFSET, &fs->sb, sizeof(fs->sb));

	if (!err)
		fs->sb_dirty = false;
	return err;
}

int ext2_mount(struct ext2_fs *fs, void *dev, uint64_t dev_bytes, unsigned flags)
{
	struct ext2_group_desc gd;
	struct ext2_inode root;
	int err;

	memset(fs, 0, sizeof(*fs));
	ext2_cache_init(fs);
	fs->dev = dev;
	fs->rdonly = flags & EXT2_MOUNT_RDONLY;
	if (dev_bytes < EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE)
		return -EINVAL;
	err = ext2_dev_read(fs, EXT2_SUPER_OFFSET, &fs->sb, sizeof(fs->sb));
	if (err)
		return err;
	err = super_check(fs, dev_bytes);
	if (err)
		return err;

	fs->scratch = fs_page_alloc();
	if (!fs->scratch)
		return -ENOMEM;

	/* A bad descriptor or root is a bad image, not an I/O error. */
	for (uint32_t g = 0; g < fs->groups; g++) {
		err = ext2_gd_read(fs, g, &gd);
		if (err)
			goto fail_bad;
	}
	err = ext2_inode_read(fs, EXT2_ROOT_INO, &root);
	if (err)
		goto fail_bad;
	err = -EINVAL;
	if (!ext2_is_dir(&root) || root.i_links_count < 2)
		goto fail_scratch;

	fs->mount_state = fs->sb.s_state;
	if (!fs->rdonly) {
		/* Marked not clean while mounted: a crash now means a check. */
		fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
		fs->sb.s_mnt_count++;
		fs->sb.s_mtime = fs_now();
		err = super_write(fs);
		if (err)
			goto fail_scratch;
	}
	return 0;

fail_bad:
	if (err == -EIO)
		err = -EINVAL;
fail_scratch:
	ext2_cache_release(fs);
	fs_page_free(fs->scratch);
	fs->dirbuf = fs->scratch = NULL;
	return err;
}

int ext2_sync(struct ext2_fs *fs)
{
	int err;

	if (fs->rdonly)
		return 0;
	fs->sb.s_wtime = fs_now();
	err = super_write(fs);
	if (err)
		return err;
	return blk_flush(fs->dev);
}

int ext2_unmount(struct ext2_fs *fs)
{
	int err = 0;

	if (!fs->rdonly) {
		/* Back to whatever state the volume had when we found it. */
		fs->sb.s_state = fs->mount_state;
		err = ext2_sync(fs);
	}
	ext2_cache_release(fs);
	fs_page_free(fs->scratch);
	fs->dirbuf = fs->scratch = NULL;
	return err;
}
