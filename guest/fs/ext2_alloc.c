/* ext2 block and inode allocation, §3.3-3.4: one bitmap block per group and
 * kind, bit i set when item i of the group is in use. A change touches the
 * bitmap byte, the group descriptor and the superblock count together, so
 * e2fsck's summary pass agrees after every call. The superblock reaches the
 * disk on sync; descriptors and bitmaps are written at once.
 *
 * Policy, kept simple on purpose: search from a goal (the previous block of
 * the file, or the parent's group for an inode) and take the first free bit,
 * wrapping around the groups. */
#include "fs/ext2_int.h"

/* First clear bit in [from, to), or -1. */
static int64_t find_clear(const uint8_t *map, uint32_t from, uint32_t to)
{
	uint32_t i = from;

	while (i < to) {
		if (!(i & 7) && i + 8 <= to && map[i >> 3] == 0xff) {
			i += 8;
			continue;
		}
		if (!(map[i >> 3] & (1u << (i & 7))))
			return i;
		i++;
	}
	return -1;
}

/* Bitmap bit of one group: read, flip, write back just that byte. want is
 * the new state; finding it already there means the bitmaps lie. */
static int flip_bit(struct ext2_fs *fs, uint32_t bitmap_blk, uint32_t bit, bool want)
{
	uint64_t off = ext2_blk_off(fs, bitmap_blk) + bit / 8;
	uint8_t byte, mask = (uint8_t)(1u << (bit & 7)), *map;
	int err = ext2_block(fs, bitmap_blk, &map);

	if (err)
		return err;
	byte = map[bit / 8];
	if (!!(byte & mask) == want)
		return -EIO;
	byte ^= mask;
	return ext2_dev_write(fs, off, &byte, 1);
}

static bool is_group_metadata(const struct ext2_fs *fs, const struct ext2_group_desc *gd,
			      uint32_t blk)
{
	return blk == gd->bg_block_bitmap || blk == gd->bg_inode_bitmap ||
	       (blk >= gd->bg_inode_table && blk - gd->bg_inode_table < fs->itable_blocks);
}

int ext2_balloc(struct ext2_fs *fs, uint32_t goal, uint32_t *blk)
{
	uint32_t fdb = fs->sb.s_first_data_block, bpg = fs->sb.s_blocks_per_group;
	struct ext2_group_desc gd;
	uint32_t g0, start;
	uint8_t *map;
	int err;

	fs->run_memo.ino = 0;   /* a block map changes */
	if (fs->sb.s_free_blocks_count == 0)
		return -ENOSPC;
	if (goal < fdb || goal >= fs->sb.s_blocks_count)
		goal = fdb;
	g0 = (goal - fdb) / bpg;
	start = (goal - fdb) % bpg;
	for (uint32_t i = 0; i < fs->groups; i++, start = 0) {
		uint32_t g = (g0 + i) % fs->groups, n = ext2_group_blocks(fs, g);
		int64_t bit;

		err = ext2_gd_read(fs, g, &gd);
		if (err)
			return err;
		if (gd.bg_free_blocks_count == 0)
			continue;
		err = ext2_block(fs, gd.bg_block_bitmap, &map);
		if (err)
			return err;
		bit = find_clear(map, start, n);
		if (bit < 0)
			bit = find_clear(map, 0, start);
		if (bit < 0)
			continue; /* the count was wrong; e2fsck will say so */
		*blk = fdb + g * bpg + (uint32_t)bit;
		/* A free bit over the group's own metadata would hand out the
		 * inode table: refuse rather than overwrite it. */
		if (!ext2_blk_ok(fs, *blk) || is_group_metadata(fs, &gd, *blk))
			return -EIO;
		err = flip_bit(fs, gd.bg_block_bitmap, (uint32_t)bit, true);
		if (err)
			return err;
		gd.bg_free_blocks_count--;
		err = ext2_gd_write(fs, g, &gd);
		if (err)
			return err;
		fs->sb.s_free_blocks_count--;
		fs->sb_dirty = true;
		return 0;
	}
	return -ENOSPC;
}

int ext2_bfree(struct ext2_fs *fs, uint32_t blk)
{
	uint32_t fdb = fs->sb.s_first_data_block, bpg = fs->sb.s_blocks_per_group;
	struct ext2_group_desc gd;
	uint32_t g;
	int err;

	fs->run_memo.ino = 0;   /* a block map changes */
	if (!ext2_blk_ok(fs, blk))
		return -EIO;
	g = (blk - fdb) / bpg;
	err = ext2_gd_read(fs, g, &gd);
	if (err)
		return err;
	if (is_group_metadata(fs, &gd, blk))
		return -EIO;
	err = flip_bit(fs, gd.bg_block_bitmap, (blk - fdb) % bpg, false);
	if (err)
		return err;
	gd.bg_free_blocks_count++;
	err = ext2_gd_write(fs, g, &gd);
	if (err)
		return err;
	if (fs->sb.s_free_blocks_count < fs->sb.s_blocks_count)
		fs->sb.s_free_blocks_count++;
	fs->sb_dirty = true;
	return 0;
}

int ext2_ialloc(struct ext2_fs *fs, uint32_t parent, bool is_dir, uint32_t *ino)
{
	uint32_t ipg = fs->sb.s_inodes_per_group;
	struct ext2_group_desc gd;
	uint32_t g0;
	uint8_t *map;
	int err;

	if (fs->sb.s_free_inodes_count == 0)
		return -ENOSPC;
	if (parent == 0 || parent > fs->sb.s_inodes_count)
		parent = EXT2_ROOT_INO;
	g0 = (parent - 1) / ipg;
	for (uint32_t i = 0; i < fs->groups; i++) {
		uint32_t g = (g0 + i) % fs->groups;
		uint64_t group_first = (uint64_t)g * ipg + 1;
		uint32_t lo = 0;
		int64_t bit;

		/* Inodes below s_first_ino are reserved whatever the bitmap says. */
		if (group_first < fs->first_ino) {
			if (fs->first_ino - group_first >= ipg)
				continue;
			lo = (uint32_t)(fs->first_ino - group_first);
		}
		err = ext2_gd_read(fs, g, &gd);
		if (err)
			return err;
		if (gd.bg_free_inodes_count == 0)
			continue;
		err = ext2_block(fs, gd.bg_inode_bitmap, &map);
		if (err)
			return err;
		bit = find_clear(map, lo, ipg);
		if (bit < 0)
			continue;
		err = flip_bit(fs, gd.bg_inode_bitmap, (uint32_t)bit, true);
		if (err)
			return err;
		gd.bg_free_inodes_count--;
		if (is_dir)
			gd.bg_used_dirs_count++;
		err = ext2_gd_write(fs, g, &gd);
		if (err)
			return err;
		fs->sb.s_free_inodes_count--;
		fs->sb_dirty = true;
		*ino = (uint32_t)(group_first + (uint64_t)bit);
		return 0;
	}
	return -ENOSPC;
}

int ext2_ifree(struct ext2_fs *fs, uint32_t ino, bool is_dir)
{
	uint32_t ipg = fs->sb.s_inodes_per_group;
	struct ext2_group_desc gd;
	uint32_t g;
	int err;

	if (ino < fs->first_ino || ino > fs->sb.s_inodes_count)
		return -EIO;
	g = (ino - 1) / ipg;
	err = ext2_gd_read(fs, g, &gd);
	if (err)
		return err;
	err = flip_bit(fs, gd.bg_inode_bitmap, (ino - 1) % ipg, false);
	if (err)
		return err;
	gd.bg_free_inodes_count++;
	if (is_dir && gd.bg_used_dirs_count)
		gd.bg_used_dirs_count--;
	err = ext2_gd_write(fs, g, &gd);
	if (err)
		return err;
	if (fs->sb.s_free_inodes_count < fs->sb.s_inodes_count)
		fs->sb.s_free_inodes_count++;
	fs->sb_dirty = true;
	return 0;
}
