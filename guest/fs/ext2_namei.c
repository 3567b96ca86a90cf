/* ext2 namespace changes: create, mkdir, unlink, rmdir, rename.
 *
 * Link counts follow the usual rule: a file has one link per name; a
 * directory has its name, its own "." and one ".." per subdirectory. Each
 * operation writes in an order where an error part-way leaves no entry
 * naming a free inode: allocate, initialise, then link; unlink, then free. */
#include "fs/ext2_int.h"

/* Bound on ".." hops when checking that a directory is not moved under
 * itself; only a corrupt tree (a ".." cycle) comes near it. */
#define RENAME_ANCESTRY_MAX 4096u

static bool is_dot_or_dotdot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

static int parent_of(struct ext2_fs *fs, const char *path, uint32_t *dir, struct ext2_inode *din,
		     const char **name, size_t *len)
{
	int err = ext2_walk(fs, path, true, dir, name, len);

	return err ? err : ext2_inode_read(fs, *dir, din);
}

static int make_node(struct ext2_fs *fs, const char *path, uint16_t mode, uint32_t *out)
{
	bool is_dir = (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
	struct ext2_inode din, in;
	struct ext2_dir_loc loc;
	const char *name;
	uint32_t dir, ino, pblk, now;
	size_t len;
	int err;

	if (fs->rdonly)
		return -EROFS;
	err = parent_of(fs, path, &dir, &din, &name, &len);
	if (err)
		return err;
	if (!name || is_dot_or_dotdot(name, len))
		return -EEXIST;
	err = ext2_dir_find(fs, dir, &din, name, len, &loc);
	if (err != -ENOENT)
		return err ? err : -EEXIST;
	if (din.i_links_count == 0)
		return -ENOENT; /* parent already removed */
	if (is_dir && din.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;

	err = ext2_ialloc(fs, dir, is_dir, &ino);
	if (err)
		return err;
	now = fs_now();
	memset(&in, 0, sizeof(in));
	in.i_mode = mode;
	in.i_links_count = is_dir ? 2 : 1;
	in.i_atime = in.i_ctime = in.i_mtime = now;
	if (is_dir) {
		err = ext2_bmap(fs, ino, &in, 0, EXT2_BMAP_ALLOC | EXT2_BMAP_NOZERO, &pblk);
		if (!err)
			err = ext2_dir_init_block(fs, pblk, ino, dir);
		if (!err)
			in.i_size = fs->block_size;
	}
	if (!err)
		err = ext2_inode_init(fs, ino, &in);
	if (!err)
		err = ext2_dir_add(fs, dir, &din, name, len, ino, ext2_mode_to_ftype(mode));
	if (err) {
		ext2_inode_release(fs, ino, &in);
		return err;
	}
	if (is_dir) {
		din.i_links_count++; /* the new ".." */
		err = ext2_inode_write(fs, dir, &din);
	}
	if (out)
		*out = ino;
	return err;
}

int ext2_create(struct ext2_fs *fs, const char *path, uint16_t mode, uint32_t *ino)
{
	return make_node(fs, path, EXT2_S_IFREG | (mode & EXT2_S_PERM), ino);
}

int ext2_mkdir(struct ext2_fs *fs, const char *path, uint16_t mode, uint32_t *ino)
{
	return make_node(fs, path, EXT2_S_IFDIR | (mode & EXT2_S_PERM), ino);
}

/* One name fewer for a non-directory; the last one frees it, unless the
 * caller keeps it for an open file (*orphan then says so). */
static int drop_link(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, bool *orphan)
{
	if (in->i_links_count)
		in->i_links_count--;
	in->i_ctime = fs_now();
	if (in->i_links_count == 0 && !orphan)
		return ext2_inode_release(fs, ino, in);
	if (orphan)
		*orphan = in->i_links_count == 0;
	return ext2_inode_write(fs, ino, in);
}

int ext2_orphan_release(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_inode in;
	int err = ext2_inode_read(fs, ino, &in);

	if (err)
		return err;
	return in.i_links_count || in.i_dtime ? 0 : ext2_inode_release(fs, ino, &in);
}

int ext2_unlink(struct ext2_fs *fs, const char *path)
{
	return ext2_unlink_keep(fs, path, NULL);
}

int ext2_unlink_keep(struct ext2_fs *fs, const char *path, bool *orphan)
{
	struct ext2_inode din, in;
	struct ext2_dir_loc loc;
	const char *name;
	uint32_t dir;
	size_t len;
	int err;

	if (fs->rdonly)
		return -EROFS;
	err = parent_of(fs, path, &dir, &din, &name, &len);
	if (err)
		return err;
	if (!name || is_dot_or_dotdot(name, len))
		return -EISDIR;
	err = ext2_dir_find(fs, dir, &din, name, len, &loc);
	if (!err)
		err = ext2_inode_read(fs, loc.ino, &in);
	if (err)
		return err;
	if (ext2_is_dir(&in))
		return -EISDIR;
	err = ext2_dir_remove(fs, dir, &din, &loc);
	return err ? err : drop_link(fs, loc.ino, &in, orphan);
}

int ext2_rmdir(struct ext2_fs *fs, const char *path)
{
	struct ext2_inode din, in;
	struct ext2_dir_loc loc;
	const char *name;
	uint32_t dir;
	size_t len;
	int err;

	if (fs->rdonly)
		return -EROFS;
	err = parent_of(fs, path, &dir, &din, &name, &len);
	if (err)
		return err;
	if (!name)
		return -EBUSY;
	if (len == 1 && name[0] == '.')
		return -EINVAL;
	if (is_dot_or_dotdot(name, len))
		return -ENOTEMPTY;
	err = ext2_dir_find(fs, dir, &din, name, len, &loc);
	if (!err)
		err = ext2_inode_read(fs, loc.ino, &in);
	if (err)
		return err;
	if (!ext2_is_dir(&in))
		return -ENOTDIR;
	if (loc.ino == EXT2_ROOT_INO)
		return -EBUSY;
	err = ext2_dir_is_empty(fs, loc.ino, &in);
	if (err <= 0)
		return err ? err : -ENOTEMPTY;
	/* Its ".." goes away with it; dir_remove writes the parent. */
	if (din.i_links_count > 2)
		din.i_links_count--;
	err = ext2_dir_remove(fs, dir, &din, &loc);
	return err ? err : ext2_inode_release(fs, loc.ino, &in);
}

/* -EINVAL when directory `dir` is `victim` or lies below it. */
static int check_not_under(struct ext2_fs *fs, uint32_t dir, uint32_t victim)
{
	struct ext2_inode din;
	struct ext2_dir_loc loc;
	int err;

	for (unsigned hops = 0; hops < RENAME_ANCESTRY_MAX; hops++) {
		if (dir == victim)
			return -EINVAL;
		if (dir == EXT2_ROOT_INO)
			return 0;
		err = ext2_inode_read(fs, dir, &din);
		if (!err)
			err = ext2_dir_find(fs, dir, &din, "..", 2, &loc);
		if (err)
			return err == -ENOENT ? -EIO : err;
		dir = loc.ino;
	}
	return -ELOOP;
}

int ext2_rename(struct ext2_fs *fs, const char *from, const char *to)
{
	return ext2_rename_keep(fs, from, to, NULL);
}

int ext2_rename_keep(struct ext2_fs *fs, const char *from, const char *to, bool *orphan)
{
	struct ext2_inode odin, ndin_own, *ndin, src, tgt, sin;
	struct ext2_dir_loc oloc, nloc, dloc;
	const char *oname, *nname;
	uint32_t odir, ndir, sino;
	size_t olen, nlen;
	bool src_dir, replace;
	int err;

	if (fs->rdonly)
		return -EROFS;
	err = parent_of(fs, from, &odir, &odin, &oname, &olen);
	if (err)
		return err;
	err = ext2_walk(fs, to, true, &ndir, &nname, &nlen);
	if (err)
		return err;
	if (!oname || !nname)
		return -EBUSY;
	if (is_dot_or_dotdot(oname, olen) || is_dot_or_dotdot(nname, nlen))
		return -EINVAL;
	/* One in-memory copy per directory inode, so writes never race. */
	ndin = ndir == odir ? &odin : &ndin_own;
	if (ndin == &ndin_own && (err = ext2_inode_read(fs, ndir, ndin)))
		return err;

	err = ext2_dir_find(fs, odir, &odin, oname, olen, &oloc);
	if (!err)
		err = ext2_inode_read(fs, oloc.ino, &src);
	if (err)
		return err;
	sino = oloc.ino;
	src_dir = ext2_is_dir(&src);
	if (src_dir && odir != ndir && (err = check_not_under(fs, ndir, sino)))
		return err;

	err = ext2_dir_find(fs, ndir, ndin, nname, nlen, &nloc);
	if (err && err != -ENOENT)
		return err;
	replace = !err;
	if (replace) {
		if (nloc.ino == sino)
			return 0; /* two names of one inode: nothing to do */
		err = ext2_inode_read(fs, nloc.ino, &tgt);
		if (err)
			return err;
		if (src_dir && !ext2_is_dir(&tgt))
			return -ENOTDIR;
		if (!src_dir && ext2_is_dir(&tgt))
			return -EISDIR;
		if (src_dir && (err = ext2_dir_is_empty(fs, nloc.ino, &tgt)) <= 0)
			return err ? err : -ENOTEMPTY;
		err = ext2_dir_retarget(fs, &nloc, sino, ext2_mode_to_ftype(src.i_mode));
	} else {
		if (src_dir && odir != ndir && ndin->i_links_count >= EXT2_LINK_MAX)
			return -EMLINK;
		err =
		    ext2_dir_add(fs, ndir, ndin, nname, nlen, sino, ext2_mode_to_ftype(src.i_mode));
	}
	if (err)
		return err;

	/* The new name exists; drop the old one. Look it up again: adding
	 * may have reshaped the block it was in. */
	err = ext2_dir_find(fs, odir, &odin, oname, olen, &oloc);
	if (!err && oloc.ino != sino)
		err = -EIO;
	if (!err)
		err = ext2_dir_remove(fs, odir, &odin, &oloc);
	if (err)
		return err;

	if (src_dir && odir != ndir) {
		/* Its ".." now names the new parent. */
		err = ext2_inode_read(fs, sino, &sin);
		if (!err)
			err = ext2_dir_find(fs, sino, &sin, "..", 2, &dloc);
		if (!err)
			err = ext2_dir_retarget(fs, &dloc, ndir, EXT2_FT_DIR);
		if (err)
			return err;
		if (odin.i_links_count > 2)
			odin.i_links_count--;
		ndin->i_links_count++;
	}
	if (replace && ext2_is_dir(&tgt) && ndin->i_links_count > 2)
		ndin->i_links_count--; /* the replaced directory's ".." */

	src.i_ctime = fs_now();
	ndin->i_mtime = ndin->i_ctime = src.i_ctime;
	ndin->i_flags &= ~EXT2_INDEX_FL;
	err = ext2_inode_write(fs, sino, &src);
	if (!err)
		err = ext2_inode_write(fs, odir, &odin);
	if (!err && ndin != &odin)
		err = ext2_inode_write(fs, ndir, ndin);
	if (err || !replace)
		return err;
	if (ext2_is_dir(&tgt)) {
		tgt.i_links_count = 0;
		return ext2_inode_release(fs, nloc.ino, &tgt);
	}
	return drop_link(fs, nloc.ino, &tgt, orphan);
}
