/* /proc/self/maps. Each read regenerates the text up to what it returns,
 * so the cost follows the position, and a reader going on after the
 * mappings changed sees the new ones (as Linux's seq_file, line-wise). */
#include "kernel/procfs.h"

#include "kernel/file.h"
#include "kernel/mm.h"
#include "kernel/proc.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/uvm.h"

#define LINE_MAX    (128 + VFS_PATH_MAX)
#define NAME_COLUMN 73           /* Linux pads the fields to here */
#define ROOT_DEV    "fe:00"      /* virtio-blk's major, as /dev/vda on Linux */
#define SHM_DEV     "00:01"

static int own_pid_dir(const char *p)
{
	if (!strncmp(p, "self/", 5))
		return 5;
	int pid = 0, n = 0;
	while (p[n] >= '0' && p[n] <= '9' && n < 9)
		pid = pid * 10 + (p[n++] - '0');
	return n && p[n] == '/' && pid == proc_current->pid ? n + 1 : 0;
}

bool procfs_path(const char *path)
{
	return !strncmp(path, "/proc/", 6) || !strcmp(path, "/proc");
}

int procfs_open(const char *path, uint32_t flags, struct file **out)
{
	int n = strncmp(path, "/proc/", 6) ? 0 : own_pid_dir(path + 6);

	if (!n || strcmp(path + 6 + n, "maps"))
		return -ENOENT;
	if ((flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	if (!(*out = file_alloc(FILE_PROCMAPS, flags)))
		return -ENFILE;
	return 0;
}

static char *put_hex(char *o, uint64_t v, int min)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n < min)
		tmp[n++] = '0';
	while (n)
		*o++ = tmp[--n];
	return o;
}

static char *put_dec(char *o, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = tmp[--n];
	return o;
}

static char *put_str(char *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o, s, n);
	return o + n;
}

/* One line: "start-end perms offset dev inode", then the name at column 73. */
static size_t maps_line(const struct vma *v, char *o0)
{
	const struct file *f = v->file;
	struct vnode *vn = mm_vma_vnode(v);
	const char *name = NULL;
	char *o = o0;

	o = put_hex(o, v->start, 8);
	*o++ = '-';
	o = put_hex(o, v->end, 8);
	*o++ = ' ';
	*o++ = v->prot & VMA_PROT_READ ? 'r' : '-';
	*o++ = v->prot & VMA_PROT_WRITE ? 'w' : '-';
	*o++ = v->prot & VMA_PROT_EXEC ? 'x' : '-';
	*o++ = v->flags & VMA_SHARED ? 's' : 'p';
	*o++ = ' ';
	o = put_hex(o, f ? v->pgoff << 12 : 0, 8);
	*o++ = ' ';
	if (vn) {
		o = put_str(o, ROOT_DEV " ");
		o = put_dec(o, vn->ino);
		name = f->path;
	} else if (f) {
		o = put_str(o, SHM_DEV " ");
		o = put_dec(o, (uint64_t)(uintptr_t)f->shm / 16 % 1000000);   /* any number */
		name = "/dev/zero (deleted)";
	} else {
		o = put_str(o, "00:00 0");
		if (v->flags & VMA_HEAP)
			name = "[heap]";
		else if (v->start < UVM_STACK_TOP && UVM_STACK_TOP <= v->end)
			name = "[stack]";
	}
	*o++ = ' ';
	if (name) {
		while (o - o0 < NAME_COLUMN)
			*o++ = ' ';
		o = put_str(o, name);
		if (vn && vn->orphan)
			o = put_str(o, " (deleted)");
	}
	*o++ = '\n';
	return (size_t)(o - o0);
}

int64_t procfs_maps_read(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	static char line[LINE_MAX];
	const struct vma_set *s = &proc_current->vmas;
	uint64_t off = 0, done = 0;

	(void)f;
	for (unsigned i = 0; i < s->n && done < len; i++) {
		size_t n = maps_line(&s->v[i], line);
		if (off + n > *pos) {
			uint64_t from = *pos > off ? *pos - off : 0;
			uint64_t k = n - from < len - done ? n - from : len - done;
			if (copy_to_user(ubuf + done, line + from, k))
				return done ? (int64_t)done : -EFAULT;
			done += k;
		}
		off += n;
	}
	*pos += done;
	return (int64_t)done;
}
