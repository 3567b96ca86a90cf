/* The root file system, path names, vnodes, and file data through the
 * page cache. One process and no interrupts that touch files: nothing
 * here is locked. */
#include "kernel/vfs.h"

#include "arch/x86/syscall_arch.h"

#include "kernel/mm.h"
#include "kernel/pcache.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"

#define EXT2_SUPER_MAGIC_FS 0xef53   /* statfs f_type, = EXT2_SUPER_MAGIC */
#define ROOT_DEV  0x0800ull          /* st_dev of the disk's files (8:0) */
#define DEVFS_DEV 0x0005ull          /* st_dev of the kernel's devices */
#define ST_RDONLY 1                  /* statfs f_flags */
#define PAGE_ROUND(x) (((x) + PCACHE_PAGE - 1) >> PCACHE_SHIFT)

static struct ext2_fs root_fs;
struct ext2_fs *vfs_root;
uint32_t vfs_umask = VFS_UMASK;
static struct vnode vnodes[VFS_VNODES];
/* write(): user bytes land here first, so a fault halfway leaves neither
 * the cache nor the disk with half a chunk. */
static uint8_t wbuf[PCACHE_PAGE] __attribute__((aligned(PCACHE_PAGE)));

int vfs_mount_root(void *dev, uint64_t dev_bytes, bool ro)
{
	int err = ext2_mount(&root_fs, dev, dev_bytes, ro ? EXT2_MOUNT_RDONLY : 0);

	if (err)
		return err;
	vfs_root = &root_fs;
	return 0;
}

/* Pages dirtied through shared mappings first: every file that has any
 * is held open by its mapping, so its vnode knows the size to stop at. */
int vfs_sync(void)
{
	int err = 0;

	if (!vfs_root)
		return 0;
	for (uint32_t i = 0; i < VFS_VNODES; i++)
		if (vnodes[i].ino && (vnodes[i].mode & EXT2_S_IFMT) == EXT2_S_IFREG) {
			int e = pcache_sync(vfs_root, vnodes[i].ino, vnodes[i].size);
			if (e && !err)
				err = e;
		}
	int e = ext2_sync(vfs_root);
	return err ? err : e;
}

void vfs_shutdown(void)
{
	if (!vfs_root)
		return;
	vfs_sync();               /* nothing to do about a failure now */
	ext2_unmount(vfs_root);
	vfs_root = NULL;
	pcache_reset();
}

int vfs_path_join(const char *base, const char *path, char out[VFS_PATH_MAX], bool *must_dir)
{
	size_t len = 0, n;
	const char *c = path, *s;

	if (!path[0])
		return -ENOENT;
	if (path[0] != '/') {
		len = strlen(base);
		if (len >= VFS_PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(out, base, len);
		if (len == 1)
			len = 0;   /* "/" + "/name" */
	}
	*must_dir = false;
	while (*c) {
		while (*c == '/')
			c++;
		if (!*c) {
			*must_dir = true;
			break;
		}
		for (s = c; *c && *c != '/'; c++)
			;
		n = (size_t)(c - s);
		*must_dir = false;
		if (n == 1 && s[0] == '.') {
			*must_dir = true;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			*must_dir = true;
			continue;
		}
		if (n > EXT2_NAME_LEN || len + 1 + n >= VFS_PATH_MAX)
			return -ENAMETOOLONG;
		out[len++] = '/';
		memcpy(out + len, s, n);
		len += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
}

enum vfs_dev vfs_devfs(const char *path)
{
	if (strncmp(path, "/dev/", 5))
		return VFS_DEV_NONE;
	if (!strcmp(path + 5, "null"))
		return VFS_DEV_NULL;
	if (!strcmp(path + 5, "zero"))
		return VFS_DEV_ZERO;
	return VFS_DEV_NONE;
}

int vfs_lookup(const char *path, bool must_dir, uint32_t *ino, struct ext2_stat *st)
{
	int err;

	if (!vfs_root)
		return -ENOENT;
	if ((err = ext2_lookup(vfs_root, path, ino)) || (err = ext2_stat(vfs_root, *ino, st)))
		return err;
	if (must_dir && (st->mode & EXT2_S_IFMT) != EXT2_S_IFDIR)
		return -ENOTDIR;
	return 0;
}

void vfs_stat_fill(const struct ext2_stat *es, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = ROOT_DEV;
	st->st_ino = es->ino;
	st->st_nlink = es->nlink;
	st->st_mode = es->mode;
	st->st_uid = es->uid;
	st->st_gid = es->gid;
	st->st_size = (int64_t)es->size;
	st->st_blksize = es->blksize;
	st->st_blocks = (int64_t)es->blocks;
	st->st_atime = es->atime;
	st->st_mtime = es->mtime;
	st->st_ctime = es->ctime;
}

/* Linux's numbers for them: char devices 1:3 and 1:5, mode 0666. */
void vfs_stat_dev(enum vfs_dev dev, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = DEVFS_DEV;
	st->st_ino = dev;
	st->st_nlink = 1;
	st->st_mode = EXT2_S_IFCHR | 0666;
	st->st_rdev = dev == VFS_DEV_NULL ? 0x103 : 0x105;
	st->st_blksize = PCACHE_PAGE;
}

int vfs_stat(const char *path, bool must_dir, struct linux_stat *st)
{
	enum vfs_dev dev = vfs_devfs(path);
	struct ext2_stat es;
	uint32_t ino;
	int err;

	if (dev) {
		if (must_dir)
			return -ENOTDIR;
		vfs_stat_dev(dev, st);
		return 0;
	}
	if ((err = vfs_lookup(path, must_dir, &ino, &es)))
		return err;
	vfs_stat_fill(&es, st);
	return 0;
}

int vfs_statfs(struct linux_statfs *st)
{
	const struct ext2_super *sb;

	if (!vfs_root)
		return -ENOSYS;
	sb = &vfs_root->sb;
	memset(st, 0, sizeof(*st));
	st->f_type = EXT2_SUPER_MAGIC_FS;
	st->f_bsize = st->f_frsize = vfs_root->block_size;
	st->f_blocks = sb->s_blocks_count;
	st->f_bfree = sb->s_free_blocks_count;
	st->f_bavail = sb->s_free_blocks_count > sb->s_r_blocks_count
			       ? sb->s_free_blocks_count - sb->s_r_blocks_count : 0;
	st->f_files = sb->s_inodes_count;
	st->f_ffree = sb->s_free_inodes_count;
	st->f_namelen = EXT2_NAME_LEN;
	st->f_flags = vfs_root->rdonly ? ST_RDONLY : 0;
	return 0;
}

struct vnode *vnode_get(uint32_t ino, const struct ext2_stat *st)
{
	struct vnode *free = NULL;

	for (uint32_t i = 0; i < VFS_VNODES; i++) {
		if (vnodes[i].ino == ino) {
			vnodes[i].refs++;
			return &vnodes[i];
		}
		if (!vnodes[i].ino && !free)
			free = &vnodes[i];
	}
	if (!free)
		return NULL;
	free->ino = ino;
	free->refs = 1;
	free->mode = st->mode;
	free->size = st->size;
	return free;
}

/* The last reference to an unlinked file frees it: until then its data
 * stays readable through open descriptors and mappings, as on Linux. */
void vnode_put(struct vnode *vn)
{
	if (!vn || --vn->refs)
		return;
	if (vn->orphan) {
		pcache_drop(vn->ino, 0, PAGE_ROUND(vn->size));
		if (vfs_root)
			ext2_orphan_release(vfs_root, vn->ino);
		vn->orphan = false;
	}
	vn->ino = 0;
}

static struct vnode *vnode_find(uint32_t ino)
{
	for (uint32_t i = 0; i < VFS_VNODES; i++)
		if (vnodes[i].ino == ino)
			return &vnodes[i];
	return NULL;
}

int vfs_create(const char *path, uint16_t mode, uint32_t *ino)
{
	if (!vfs_root)
		return -ENOENT;
	return ext2_create(vfs_root, path, mode & 07777 & ~vfs_umask, ino);
}

int vfs_mkdir(const char *path, uint16_t mode)
{
	if (!vfs_root)
		return -ENOENT;
	return ext2_mkdir(vfs_root, path, mode & 07777 & ~vfs_umask, NULL);
}

/* A name is about to lose its inode: once ext2 frees it the number may
 * be reused, so its cached pages must go. (Open files of it keep their
 * vnode; see docs/files.md for what that means.) */
static void vfs_forget(uint32_t ino, uint64_t size)
{
	struct vnode *vn = vnode_find(ino);

	pcache_drop(ino, 0, PAGE_ROUND(vn && vn->size > size ? vn->size : size));
}

int vfs_unlink(const char *path)
{
	struct ext2_stat st;
	uint32_t ino;
	int err;

	if (vfs_devfs(path))
		return -EPERM;
	if ((err = vfs_lookup(path, false, &ino, &st)))
		return err;
	if ((st.mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
		return -EISDIR;
	struct vnode *vn = vnode_find(ino);
	bool orphan = false;
	if ((err = ext2_unlink_keep(vfs_root, path, vn ? &orphan : NULL)))
		return err;
	if (orphan)
		vn->orphan = true;   /* still open: its pages stay */
	else if (st.nlink <= 1)
		vfs_forget(ino, st.size);
	return 0;
}

int vfs_rmdir(const char *path)
{
	if (!vfs_root)
		return -ENOENT;
	if (!strcmp(path, "/"))
		return -EBUSY;
	return ext2_rmdir(vfs_root, path);
}

int vfs_rename(const char *from, const char *to)
{
	struct ext2_stat st, tst;
	uint32_t ino, tino;
	int err;

	if (vfs_devfs(from) || vfs_devfs(to))
		return -EXDEV;
	if ((err = vfs_lookup(from, false, &ino, &st)))
		return err;
	bool replaces = !vfs_lookup(to, false, &tino, &tst) && tino != ino;
	/* a replaced file that is open or mapped lives on, as for unlink */
	struct vnode *tvn = replaces ? vnode_find(tino) : NULL;
	bool orphan = false;
	if ((err = ext2_rename_keep(vfs_root, from, to, tvn ? &orphan : NULL)))
		return err;
	if (orphan)
		tvn->orphan = true;
	else if (replaces && tst.nlink <= 1 && (tst.mode & EXT2_S_IFMT) != EXT2_S_IFDIR)
		vfs_forget(tino, tst.size);
	return 0;
}

int vfs_truncate(struct vnode *vn, uint64_t size)
{
	int err;

	if ((vn->mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
		return -EISDIR;
	if ((vn->mode & EXT2_S_IFMT) != EXT2_S_IFREG)
		return -EINVAL;
	if ((err = ext2_truncate(vfs_root, vn->ino, size)))
		return err;
	uint64_t old = vn->size;
	vn->size = size;
	if (size >= old)
		return 0;
	/* Mappings of whole pages past the end go first (their next access
	 * is SIGBUS); the page holding the new end stays, mapped or not,
	 * with zeros past the end as on the disk. */
	mm_file_truncated(vn->ino, size);
	uint8_t *tail = (size & (PCACHE_PAGE - 1)) ? pcache_find(vn->ino, size >> PCACHE_SHIFT) : NULL;
	if (tail)
		arch_uaccess_zero(tail + (size & (PCACHE_PAGE - 1)),
				  PCACHE_PAGE - (size & (PCACHE_PAGE - 1)));
	pcache_drop(vn->ino, PAGE_ROUND(size), PAGE_ROUND(old));
	return 0;
}

int64_t vfs_read(struct vnode *vn, uint64_t off, uint64_t ubuf, uint64_t len)
{
	uint64_t done = 0;
	uint8_t *page;

	if (off >= vn->size)
		return 0;
	if (len > vn->size - off)
		len = vn->size - off;
	while (done < len) {
		uint64_t pos = off + done, in = pos & (PCACHE_PAGE - 1);
		uint64_t n = PCACHE_PAGE - in < len - done ? PCACHE_PAGE - in : len - done;
		/* Pinned while copied from: a fault on ubuf (a file mapping
		 * not yet there) fills the cache, and with every other page
		 * mapped this one would be the victim, its bytes replaced
		 * halfway through the copy. */
		int err = pcache_get_pinned(vfs_root, vn->ino, pos >> PCACHE_SHIFT, PCACHE_RA_AUTO,
					    &page);
		if (err >= 0) {
			err = copy_to_user(ubuf + done, page + in, n) ? -EFAULT : 0;
			if (pcache_unpin(page))
				pcache_writeback(vfs_root, page, vn->size);
		}
		if (err)
			return done ? (int64_t)done : err;
		done += n;
	}
	return (int64_t)done;
}

int64_t vfs_write(struct vnode *vn, uint64_t off, uint64_t ubuf, uint64_t len)
{
	uint64_t done = 0;

	if (off > INT64_MAX || len > INT64_MAX - off)
		return -EFBIG;
	while (done < len) {
		uint64_t pos = off + done, in = pos & (PCACHE_PAGE - 1);
		uint64_t n = PCACHE_PAGE - in < len - done ? PCACHE_PAGE - in : len - done;
		int64_t w;

		if (copy_from_user(wbuf, ubuf + done, n)) {
			w = -EFAULT;
		} else {
			w = ext2_write(vfs_root, vn->ino, pos, wbuf, n);
			uint8_t *page = pcache_find(vn->ino, pos >> PCACHE_SHIFT);
			if (w > 0 && page)
				kernel_copy(page + in, wbuf, (size_t)w);
		}
		if (w > 0 && pos + (uint64_t)w > vn->size)
			vn->size = pos + (uint64_t)w;
		if (w <= 0)
			return done ? (int64_t)done : (w ? w : -EIO);
		done += (uint64_t)w;
		if ((uint64_t)w < n)
			break;
	}
	return (int64_t)done;
}
