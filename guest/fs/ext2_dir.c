/* ext2 directories, §4.1: a directory's blocks hold a chain of entries
 * (inode, rec_len, name_len, file_type, name) where rec_len leads to the
 * next entry and the last one runs to the end of the block. A removed entry
 * is absorbed into its predecessor's rec_len, or gets inode 0 when it opens
 * the block. Hashed-index directories (§4.2) keep this linear format valid,
 * so they are read linearly and lose their index flag when we change them.
 *
 * Each block is checked as a whole (block_check) right after it is read and
 * before any entry in it is believed; all entries then stay inside it.
 *
 * Blocks are worked on in the block cache (fs->dirbuf points there):
 * read in place, changed in place and written through from there. */
#include "fs/ext2_int.h"

struct dent {
	uint32_t ino;
	uint16_t rec_len;
	uint16_t name_len;
	uint8_t type;
};

static void dent_get(const struct ext2_fs *fs, const uint8_t *p, struct dent *d)
{
	d->ino = ext2_get32(p);
	d->rec_len = ext2_get16(p + 4);
	if (fs->filetype) {
		d->name_len = p[6];
		d->type = p[7];
	} else {
		/* Without the feature the length field is 16 bits wide. */
		d->name_len = ext2_get16(p + 6);
		d->type = EXT2_FT_UNKNOWN;
	}
}

static void dent_put(const struct ext2_fs *fs, uint8_t *p, uint32_t ino, uint32_t rec_len,
		     const char *name, size_t len, uint8_t type)
{
	ext2_put32(p, ino);
	ext2_put16(p + 4, (uint16_t)rec_len);
	if (fs->filetype) {
		p[6] = (uint8_t)len;
		p[7] = type;
	} else {
		ext2_put16(p + 6, (uint16_t)len);
	}
	memcpy(p + EXT2_DIRENT_HDR, name, len);
	/* Padding up to the 4-byte boundary is zero, as e2fsck expects. */
	memset(p + EXT2_DIRENT_HDR + len, 0, EXT2_DIRENT_LEN(len) - EXT2_DIRENT_HDR - len);
}

static int block_check(const struct ext2_fs *fs, const uint8_t *b)
{
	uint32_t off = 0, bs = fs->block_size;

	while (off < bs) {
		struct dent d;

		if (bs - off < EXT2_DIRENT_HDR)
			return -EIO;
		dent_get(fs, b + off, &d);
		if (d.rec_len < EXT2_DIRENT_HDR || d.rec_len % 4 || d.rec_len > bs - off)
			return -EIO;
		if (d.name_len > EXT2_NAME_LEN || EXT2_DIRENT_HDR + d.name_len > d.rec_len)
			return -EIO;
		if (d.ino > fs->sb.s_inodes_count || (d.ino && d.name_len == 0))
			return -EIO;
		off += d.rec_len;
	}
	return 0;
}

static int dir_nblocks(const struct ext2_fs *fs, const struct ext2_inode *din, uint32_t *n)
{
	if (!ext2_is_dir(din))
		return -ENOTDIR;
	/* Whole blocks, at least one (it holds "." and ".."). */
	if (din->i_size == 0 || din->i_size & (fs->block_size - 1))
		return -EIO;
	*n = din->i_size >> fs->block_shift;
	return 0;
}

/* Directory block lblk at fs->dirbuf, checked. */
static int dir_block(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din, uint32_t lblk,
		     uint32_t *pblk)
{
	int err = ext2_bmap(fs, dir, din, lblk, 0, pblk);

	if (err)
		return err;
	if (*pblk == 0)
		return -EIO; /* directories have no holes */
	err = ext2_block(fs, *pblk, &fs->dirbuf);
	return err ? err : block_check(fs, fs->dirbuf);
}

static int dirbuf_write(struct ext2_fs *fs, uint32_t pblk)
{
	return ext2_dev_write(fs, ext2_blk_off(fs, pblk), fs->dirbuf, fs->block_size);
}

/* The directory changed: new times, and any hashed index is now stale. */
static int dir_touch(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din)
{
	din->i_mtime = din->i_ctime = fs_now();
	din->i_flags &= ~EXT2_INDEX_FL;
	return ext2_inode_write(fs, dir, din);
}

static bool name_is(const uint8_t *ent, const struct dent *d, const char *name, size_t len)
{
	return d->name_len == len && !memcmp(ent + EXT2_DIRENT_HDR, name, len);
}

int ext2_dir_find(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din, const char *name,
		  size_t len, struct ext2_dir_loc *loc)
{
	uint32_t n, pblk;
	int err = dir_nblocks(fs, din, &n);

	if (err)
		return err;
	for (uint32_t lblk = 0; lblk < n; lblk++) {
		err = dir_block(fs, dir, din, lblk, &pblk);
		if (err)
			return err;
		for (uint32_t off = 0; off < fs->block_size;) {
			struct dent d;

			dent_get(fs, fs->dirbuf + off, &d);
			if (d.ino && name_is(fs->dirbuf + off, &d, name, len)) {
				loc->lblk = lblk;
				loc->pblk = pblk;
				loc->off = off;
				loc->ino = d.ino;
				loc->type = d.type;
				return 0;
			}
			off += d.rec_len;
		}
	}
	return -ENOENT;
}

int ext2_dir_add(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din, const char *name,
		 size_t len, uint32_t ino, uint8_t type)
{
	uint32_t need = EXT2_DIRENT_LEN(len), n, pblk;
	int err = dir_nblocks(fs, din, &n);

	if (err)
		return err;
	if (len == 0 || len > EXT2_NAME_LEN)
		return -EINVAL;
	for (uint32_t lblk = 0; lblk < n; lblk++) {
		err = dir_block(fs, dir, din, lblk, &pblk);
		if (err)
			return err;
		for (uint32_t off = 0; off < fs->block_size;) {
			uint8_t *ent = fs->dirbuf + off;
			struct dent d;
			uint32_t used;

			dent_get(fs, ent, &d);
			used = d.ino ? EXT2_DIRENT_LEN(d.name_len) : 0;
			if (d.rec_len - used >= need) {
				/* Take the slack at the end of this entry. */
				if (used) {
					ext2_put16(ent + 4, (uint16_t)used);
					ent += used;
				}
				dent_put(fs, ent, ino, d.rec_len - used, name, len, type);
				err = dirbuf_write(fs, pblk);
				return err ? err : dir_touch(fs, dir, din);
			}
			off += d.rec_len;
		}
	}

	/* No room: one more block holding just this entry. */
	if ((uint64_t)din->i_size + fs->block_size > 0x7fffffffu)
		return -EFBIG;
	err = ext2_bmap(fs, dir, din, n, EXT2_BMAP_ALLOC | EXT2_BMAP_NOZERO, &pblk);
	if (!err)
		err = ext2_block_new(fs, pblk, &fs->dirbuf);
	if (!err) {
		dent_put(fs, fs->dirbuf, ino, fs->block_size, name, len, type);
		err = dirbuf_write(fs, pblk);
		if (err) /* nothing points at it yet */
			ext2_free_blocks_from(fs, din, n);
		else
			din->i_size += fs->block_size;
	}
	/* Written either way: the block map may have changed. */
	{
		int werr = dir_touch(fs, dir, din);

		return err ? err : werr;
	}
}

/* Finds the entry at loc->off in the (reloaded) block; *prev is the
 * preceding entry's offset or UINT32_MAX when it opens the block. */
static int entry_at(struct ext2_fs *fs, const struct ext2_dir_loc *loc, uint32_t *prev)
{
	int err = ext2_block(fs, loc->pblk, &fs->dirbuf);

	if (err)
		return err;
	err = block_check(fs, fs->dirbuf);
	if (err)
		return err;
	*prev = UINT32_MAX;
	for (uint32_t off = 0; off < fs->block_size;) {
		struct dent d;

		dent_get(fs, fs->dirbuf + off, &d);
		if (off == loc->off)
			return d.ino == loc->ino ? 0 : -EIO;
		*prev = off;
		off += d.rec_len;
	}
	return -EIO;
}

int ext2_dir_remove(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
		    const struct ext2_dir_loc *loc)
{
	uint32_t prev;
	int err = entry_at(fs, loc, &prev);

	if (err)
		return err;
	if (prev == UINT32_MAX) {
		ext2_put32(fs->dirbuf + loc->off, 0);
	} else {
		uint8_t *p = fs->dirbuf + prev;
		uint32_t merged = ext2_get16(p + 4) + ext2_get16(fs->dirbuf + loc->off + 4);

		ext2_put16(p + 4, (uint16_t)merged);
	}
	err = dirbuf_write(fs, loc->pblk);
	return err ? err : dir_touch(fs, dir, din);
}

int ext2_dir_retarget(struct ext2_fs *fs, const struct ext2_dir_loc *loc, uint32_t ino,
		      uint8_t type)
{
	uint32_t prev;
	int err = entry_at(fs, loc, &prev);

	if (err)
		return err;
	ext2_put32(fs->dirbuf + loc->off, ino);
	if (fs->filetype)
		fs->dirbuf[loc->off + 7] = type;
	return dirbuf_write(fs, loc->pblk);
}

int ext2_dir_is_empty(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din)
{
	uint32_t n, pblk;
	int err = dir_nblocks(fs, din, &n);

	if (err)
		return err;
	for (uint32_t lblk = 0; lblk < n; lblk++) {
		err = dir_block(fs, dir, din, lblk, &pblk);
		if (err)
			return err;
		for (uint32_t off = 0; off < fs->block_size;) {
			const uint8_t *ent = fs->dirbuf + off;
			struct dent d;

			dent_get(fs, ent, &d);
			if (d.ino && !name_is(ent, &d, ".", 1) && !name_is(ent, &d, "..", 2))
				return 0;
			off += d.rec_len;
		}
	}
	return 1;
}

int ext2_dir_init_block(struct ext2_fs *fs, uint32_t pblk, uint32_t self, uint32_t parent)
{
	uint32_t dot = EXT2_DIRENT_LEN(1);
	int err = ext2_block_new(fs, pblk, &fs->dirbuf);

	if (err)
		return err;
	dent_put(fs, fs->dirbuf, self, dot, ".", 1, EXT2_FT_DIR);
	dent_put(fs, fs->dirbuf + dot, parent, fs->block_size - dot, "..", 2, EXT2_FT_DIR);
	return dirbuf_write(fs, pblk);
}

/* i_mode type nibble -> dirent file type, §4.1.4. */
static const uint8_t ftype_of_mode[16] = {
    [EXT2_S_IFREG >> 12] = EXT2_FT_REG_FILE, [EXT2_S_IFDIR >> 12] = EXT2_FT_DIR,
    [EXT2_S_IFCHR >> 12] = EXT2_FT_CHRDEV,   [EXT2_S_IFBLK >> 12] = EXT2_FT_BLKDEV,
    [EXT2_S_IFIFO >> 12] = EXT2_FT_FIFO,     [EXT2_S_IFSOCK >> 12] = EXT2_FT_SOCK,
    [EXT2_S_IFLNK >> 12] = EXT2_FT_SYMLINK,
};
_Static_assert(sizeof(ftype_of_mode) == (EXT2_S_IFMT >> 12) + 1, "one entry per type nibble");

uint8_t ext2_mode_to_ftype(uint16_t mode)
{
	return ftype_of_mode[(mode & EXT2_S_IFMT) >> 12];
}

int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *pos, struct ext2_dir_item *item)
{
	struct ext2_inode din;
	uint32_t n, pblk;
	int err = ext2_inode_read(fs, dir, &din);

	if (err)
		return err;
	err = dir_nblocks(fs, &din, &n);
	if (err)
		return err;
	for (uint64_t lblk = *pos >> fs->block_shift; lblk < n;
	     lblk++, *pos = lblk << fs->block_shift) {
		uint32_t from = (uint32_t)(*pos & (fs->block_size - 1));

		err = dir_block(fs, dir, &din, (uint32_t)lblk, &pblk);
		if (err)
			return err;
		/* Walk from the block start: *pos may fall inside an entry if
		 * the directory changed since the last call; resume at the next
		 * boundary after it. */
		for (uint32_t off = 0; off < fs->block_size;) {
			const uint8_t *ent = fs->dirbuf + off;
			uint32_t start = off;
			struct dent d;

			dent_get(fs, ent, &d);
			off += d.rec_len;
			if (start < from || !d.ino)
				continue;
			item->ino = d.ino;
			item->name_len = (uint8_t)d.name_len;
			memcpy(item->name, ent + EXT2_DIRENT_HDR, d.name_len);
			item->name[d.name_len] = '\0';
			item->type = d.type < EXT2_FT_MAX ? d.type : EXT2_FT_UNKNOWN;
			if (item->type == EXT2_FT_UNKNOWN) {
				struct ext2_inode in;

				if (!ext2_inode_read(fs, d.ino, &in))
					item->type = ext2_mode_to_ftype(in.i_mode);
			}
			*pos = (lblk << fs->block_shift) + off;
			return 1;
		}
	}
	return 0;
}

/* One step of a path walk from directory *cur. */
static int walk_step(struct ext2_fs *fs, uint32_t *cur, const char *name, size_t len)
{
	struct ext2_inode din;
	struct ext2_dir_loc loc;
	int err = ext2_inode_read(fs, *cur, &din);

	if (err)
		return err;
	if (!ext2_is_dir(&din))
		return -ENOTDIR;
	if (len == 1 && name[0] == '.')
		return 0;
	/* The root's ".." is itself; elsewhere the entry on disk is right. */
	if (len == 2 && name[0] == '.' && name[1] == '.' && *cur == EXT2_ROOT_INO)
		return 0;
	err = ext2_dir_find(fs, *cur, &din, name, len, &loc);
	if (err)
		return err;
	*cur = loc.ino;
	return 0;
}

int ext2_walk(struct ext2_fs *fs, const char *path, bool parent, uint32_t *ino, const char **last,
	      size_t *last_len)
{
	uint32_t cur = EXT2_ROOT_INO;
	const char *p = path;
	unsigned hops = 0;
	size_t plen = 0;
	int err;

	if (!path || path[0] != '/')
		return -EINVAL;
	while (path[plen])
		if (++plen > EXT2_PATH_MAX)
			return -ENAMETOOLONG;
	if (parent) {
		*last = NULL;
		*last_len = 0;
	}
	for (;;) {
		const char *name, *rest;
		size_t len = 0;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		name = p;
		while (name[len] && name[len] != '/')
			len++;
		if (len > EXT2_NAME_LEN || ++hops > EXT2_PATH_HOPS)
			return -ENAMETOOLONG;
		p = name + len;
		for (rest = p; *rest == '/'; rest++)
			;
		if (parent && !*rest) {
			*last = name;
			*last_len = len;
			break;
		}
		err = walk_step(fs, &cur, name, len);
		if (err)
			return err;
	}
	if (parent) {
		struct ext2_inode din;

		err = ext2_inode_read(fs, cur, &din);
		if (err)
			return err;
		if (!ext2_is_dir(&din))
			return -ENOTDIR;
	}
	*ino = cur;
	return 0;
}

int ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino)
{
	return ext2_walk(fs, path, false, ino, NULL, NULL);
}
