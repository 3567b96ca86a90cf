/* ext2 block map, §3.5.13: i_block[0..11] map logical blocks 0-11 directly;
 * i_block[12] names a block of 32-bit pointers (single indirect), [13] a
 * block of pointers to such blocks (double), [14] one level more (triple).
 * A zero pointer is a hole at any level.
 *
 *   logical block          path
 *   ---------------------- ----------------------------------------
 *   0 .. 11                i_block[l]
 *   12 .. 12+A-1           i_block[12] -> [l']
 *   .. +A^2                i_block[13] -> [l'/A] -> [l'%A]
 *   .. +A^3                i_block[14] -> [l'/A^2] -> [..] -> [l'%A]
 *   (A = block_size / 4, l' = l minus the blocks mapped by earlier rows)
 *
 * Pointers are read from the block cache in place and written four bytes
 * at a time (write-through): no buffer per level. */
#include "fs/ext2_int.h"

/* Index at each level for logical block lblk; returns the depth (0 =
 * direct), -EFBIG past the triple indirect range, or -EIO for an inode
 * mapped by extents (ext4's, not read here). */
static int bmap_path(const struct ext2_fs *fs, const struct ext2_inode *in, uint64_t lblk,
		     uint32_t idx[4])
{
	uint64_t apb = fs->addr_per_block;

	if (in->i_flags & EXT2_EXTENTS_FL)
		return -EIO;

	if (lblk < EXT2_NDIR_BLOCKS) {
		idx[0] = (uint32_t)lblk;
		return 0;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	if (lblk < apb) {
		idx[0] = EXT2_IND_BLOCK;
		idx[1] = (uint32_t)lblk;
		return 1;
	}
	lblk -= apb;
	if (lblk < apb * apb) {
		idx[0] = EXT2_DIND_BLOCK;
		idx[1] = (uint32_t)(lblk / apb);
		idx[2] = (uint32_t)(lblk % apb);
		return 2;
	}
	lblk -= apb * apb;
	if (lblk < apb * apb * apb) {
		idx[0] = EXT2_TIND_BLOCK;
		idx[1] = (uint32_t)(lblk / (apb * apb));
		idx[2] = (uint32_t)(lblk / apb % apb);
		idx[3] = (uint32_t)(lblk % apb);
		return 3;
	}
	return -EFBIG;
}

/* A new block for the file, counted in i_blocks, zeroed unless the caller
 * is about to overwrite all of it. An indirect block (meta) is zeroed in
 * the block cache, where the next lookup will want it. */
static int alloc_block(struct ext2_fs *fs, struct ext2_inode *in, uint32_t goal, bool zero,
		       bool meta, uint32_t *blk)
{
	uint32_t spb = ext2_sectors_per_block(fs);
	int err;

	if (in->i_blocks > UINT32_MAX - spb)
		return -EFBIG;
	err = ext2_balloc(fs, goal, blk);
	if (err)
		return err;
	if (zero) {
		err = ext2_zero_block(fs, *blk, meta);
		if (err) {
			ext2_bfree(fs, *blk);
			return err;
		}
	}
	in->i_blocks += spb;
	return 0;
}

int ext2_bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk,
	      unsigned flags, uint32_t *pblk)
{
	uint32_t idx[4], blk, goal;
	uint64_t slot = 0; /* disk offset of the pointer being followed */
	uint8_t *ind;
	int depth, err;

	depth = bmap_path(fs, in, lblk, idx);
	if (depth < 0)
		return depth;
	/* Goal for a new block: right after the previous direct block, else
	 * the start of the inode's group. */
	goal = fs->sb.s_first_data_block +
	       (ino - 1) / fs->sb.s_inodes_per_group * fs->sb.s_blocks_per_group;
	if (idx[0] > 0 && idx[0] < EXT2_NDIR_BLOCKS && in->i_block[idx[0] - 1])
		goal = in->i_block[idx[0] - 1] + 1;

	blk = in->i_block[idx[0]];
	for (int lvl = 0;; lvl++) {
		if (blk == 0) {
			bool zero = lvl < depth || !(flags & EXT2_BMAP_NOZERO);

			if (!(flags & EXT2_BMAP_ALLOC))
				break;
			err = alloc_block(fs, in, goal, zero, lvl < depth, &blk);
			if (err)
				return err;
			if (lvl == 0) {
				in->i_block[idx[0]] = blk;
			} else {
				err = ext2_dev_write(fs, slot, &blk, sizeof(blk));
				if (err) {
					ext2_bfree(fs, blk);
					in->i_blocks -= ext2_sectors_per_block(fs);
					return err;
				}
			}
		} else if (!ext2_blk_ok(fs, blk)) {
			return -EIO;
		}
		if (lvl == depth)
			break;
		/* The next level's blocks go right after this one. */
		goal = blk + 1;
		slot = ext2_blk_off(fs, blk) + (uint64_t)idx[lvl + 1] * sizeof(uint32_t);
		err = ext2_block(fs, blk, &ind);
		if (err)
			return err;
		blk = ext2_get32(ind + idx[lvl + 1] * sizeof(uint32_t));
	}
	*pblk = blk;
	return 0;
}

/* How many of ptrs[0, lim) go blk, blk + 1, ... (ptrs[0] == blk). Two
 * pointers a compare, (blk + n, blk + n + 1) as one word, eight a turn:
 * ~2 instructions a block, each emulated on kvm-pvm, where the host
 * counts long runs instead (fs_word_run, one exit). */
static uint32_t run_of(const uint8_t *ptrs, uint32_t lim, uint32_t blk)
{
	long host = lim > 1 ? fs_word_run(ptrs + sizeof(uint32_t), lim - 1, blk + 1) : -1;
	uint32_t n = 1;

	if (host >= 0)
		return 1 + (uint32_t)host;
	const uint64_t two = 2ull << 32 | 2;
	uint64_t pair = (uint64_t)(blk + 1) | (uint64_t)(blk + 2) << 32;
	const uint8_t *q = ptrs + sizeof(uint32_t);
	for (uint32_t turns = (lim - 1) / 8; turns; turns--, q += 32, pair += 4 * two) {
		if (ext2_get64(q) != pair || ext2_get64(q + 8) != pair + two ||
		    ext2_get64(q + 16) != pair + 2 * two || ext2_get64(q + 24) != pair + 3 * two)
			break;
		n += 8;
	}
	while (n + 1 < lim && ext2_get64(ptrs + n * sizeof(uint32_t)) == pair) {
		n += 2;
		pair += two;
	}
	while (n < lim && ext2_get32(ptrs + n * sizeof(uint32_t)) == blk + n)
		n++;
	return n;
}

int ext2_bmap_run(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t lblk, uint32_t max,
		  uint32_t want, uint32_t *pblk, uint32_t *run)
{
	uint32_t idx[4], blk;
	uint8_t *ind = NULL;
	int depth, err;

	depth = bmap_path(fs, in, lblk, idx);
	if (depth < 0)
		return depth;
	*run = 1;
	blk = in->i_block[idx[0]];
	for (int lvl = 0; lvl < depth; lvl++) {
		if (blk == 0) {   /* a hole above the leaf: this block alone */
			*pblk = 0;
			return 0;
		}
		if (!ext2_blk_ok(fs, blk))
			return -EIO;
		err = ext2_block(fs, blk, &ind);
		if (err)
			return err;
		blk = ext2_get32(ind + idx[lvl + 1] * sizeof(uint32_t));
	}
	if (blk && !ext2_blk_ok(fs, blk))
		return -EIO;
	*pblk = blk;
	if (want != EXT2_RUN_ANY && blk != want)
		return 0;   /* *run is 1 */
	/* The leaf's pointers: i_block's direct ones, or the block read last.
	 * A large page-cache unit reads 512 of them a fault, each emulated
	 * on kvm-pvm: the loop only compares, and since blk is valid and the
	 * run consecutive, one bound check at the end covers the whole run
	 * (ext2_blk_ok is a range). A bad pointer ends the run: the next
	 * lookup reports it. */
	uint32_t i = idx[depth], end = depth ? fs->addr_per_block : EXT2_NDIR_BLOCKS;
	uint32_t lim = end - i < max ? end - i : max, n = 1;
	const uint8_t *ptrs = depth ? ind + i * sizeof(uint32_t) : (const uint8_t *)&in->i_block[i];
	if (blk) {
		n = run_of(ptrs, lim, blk);
		if (n - 1 > fs->sb.s_blocks_count - 1 - blk)
			n = fs->sb.s_blocks_count - blk;   /* past the volume's end */
	} else {
		while (n < lim && ext2_get32(ptrs + n * sizeof(uint32_t)) == 0)
			n++;
	}
	*run = n;
	return 0;
}

static int release_block(struct ext2_fs *fs, struct ext2_inode *in, uint32_t blk)
{
	uint32_t spb = ext2_sectors_per_block(fs);
	int err = ext2_bfree(fs, blk);

	if (!err)
		in->i_blocks = in->i_blocks >= spb ? in->i_blocks - spb : 0;
	return err;
}

/* Pointers are scanned in chunks: a 256-byte window per level keeps the
 * kernel stack small even three levels deep. */
#define PTR_CHUNK 64u

/* Frees what indirect block blk (level lvl: 1 = its entries are data
 * blocks) maps at relative logical block `from` and beyond. *empty says
 * whether it maps nothing at all afterwards, so the caller may free it. */
static int free_tree(struct ext2_fs *fs, struct ext2_inode *in, uint32_t blk, unsigned lvl,
		     uint64_t from, bool *empty)
{
	uint32_t apb = fs->addr_per_block, chunk[PTR_CHUNK];
	uint64_t span = 1; /* logical blocks under one entry */
	uint32_t first;
	bool kept = false;
	int err = 0;

	for (unsigned i = 1; i < lvl; i++)
		span *= apb;
	first = (uint32_t)(from / span);
	for (uint32_t base = 0; base < apb && !err; base += PTR_CHUNK) {
		uint64_t off = ext2_blk_off(fs, blk) + (uint64_t)base * sizeof(uint32_t);
		bool dirty = false;

		err = ext2_meta_read(fs, off, chunk, sizeof(chunk));
		if (err)
			return err;
		for (uint32_t i = 0; i < PTR_CHUNK && !err; i++) {
			uint32_t e = base + i, p = chunk[i];
			bool sub_empty = true;

			if (p == 0)
				continue;
			if (e < first) {
				kept = true;
				continue;
			}
			if (!ext2_blk_ok(fs, p)) {
				err = -EIO;
				break;
			}
			if (lvl > 1) {
				uint64_t sub = e == first ? from - (uint64_t)first * span : 0;

				err = free_tree(fs, in, p, lvl - 1, sub, &sub_empty);
				if (err)
					break;
			}
			if (!sub_empty) {
				kept = true;
				continue;
			}
			err = release_block(fs, in, p);
			if (!err) {
				chunk[i] = 0;
				dirty = true;
			}
		}
		/* Written even when blk is about to be freed: if a later step
		 * fails, no pointer to a freed block stays behind. */
		if (dirty) {
			int werr = ext2_dev_write(fs, off, chunk, sizeof(chunk));

			if (!err)
				err = werr;
		}
	}
	*empty = !kept;
	return err;
}

int ext2_free_blocks_from(struct ext2_fs *fs, struct ext2_inode *in, uint64_t first)
{
	uint64_t start = EXT2_NDIR_BLOCKS, span = fs->addr_per_block;
	int err;

	if (in->i_flags & EXT2_EXTENTS_FL)
		return -EIO;
	for (uint64_t i = first; i < EXT2_NDIR_BLOCKS; i++) {
		uint32_t p = in->i_block[i];

		if (!p)
			continue;
		err = release_block(fs, in, p);
		if (err)
			return err;
		in->i_block[i] = 0;
	}
	for (unsigned lvl = 1; lvl <= 3; lvl++, start += span, span *= fs->addr_per_block) {
		uint32_t *slot = &in->i_block[EXT2_NDIR_BLOCKS - 1 + lvl];
		uint64_t from = first > start ? first - start : 0;
		bool empty;

		if (!*slot || first >= start + span)
			continue;
		if (!ext2_blk_ok(fs, *slot))
			return -EIO;
		err = free_tree(fs, in, *slot, lvl, from, &empty);
		if (err)
			return err;
		if (empty) {
			err = release_block(fs, in, *slot);
			if (err)
				return err;
			*slot = 0;
		}
	}
	return 0;
}
