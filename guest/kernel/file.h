/* Open files and the per-process descriptor table. A struct file is what
 * open() creates and dup() shares (offset, status flags); the descriptor
 * table maps numbers to files plus the per-descriptor FD_CLOEXEC. */
#ifndef GUEST_KERNEL_FILE_H
#define GUEST_KERNEL_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/vfs.h"

/* open(2) flags, Linux x86_64 (include/uapi/asm-generic/fcntl.h) */
#define O_ACCMODE   03
#define O_RDONLY    00
#define O_WRONLY    01
#define O_RDWR      02
#define O_CREAT     0100
#define O_EXCL      0200
#define O_NOCTTY    0400
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000
/* What F_GETFL reports and F_SETFL may change. */
#define FILE_STATUS_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_LARGEFILE)
#define FILE_SETFL_MASK   (O_APPEND | O_NONBLOCK)

#define FD_MAX     256        /* descriptors per process */
#define FILES_MAX  256        /* open files in the system */
#define FD_CLOEXEC 1

enum file_kind {
	FILE_FREE,
	FILE_CONSOLE,   /* fds 0/1/2 at start: writes go to the console */
	FILE_NULL,
	FILE_ZERO,
	FILE_REG,
	FILE_DIR,
	FILE_PIPE_R,
	FILE_PIPE_W,
	FILE_SHM,       /* shared anonymous memory: held by mappings only */
	FILE_PROCMAPS,  /* /proc/self/maps */
	FILE_KINDS
};

struct pipe;

struct file {
	uint32_t refs;          /* descriptor slots pointing here */
	uint8_t kind;           /* enum file_kind; FILE_FREE: unused */
	uint32_t flags;         /* FILE_STATUS_FLAGS bits */
	uint64_t pos;           /* FILE_REG: byte offset; FILE_DIR: ext2 cookie */
	struct vnode *vn;       /* FILE_REG, FILE_DIR: one reference */
	struct pipe *pipe;      /* FILE_PIPE_*: one reference on that end */
	struct shm *shm;        /* FILE_SHM: the object, owned */
	char *path;             /* FILE_DIR, FILE_REG: its absolute path (a
				 * page), for openat() and fchdir() relative
				 * to a directory, and /proc/self/maps */
};

struct fdtable {
	struct file *fd[FD_MAX];
	uint8_t fdflags[FD_MAX];  /* FD_CLOEXEC */
};

/* A fresh file with one reference, or NULL (-ENFILE). */
struct file *file_alloc(enum file_kind kind, uint32_t flags);
void file_put(struct file *f);

/* Lowest free descriptor >= min holding f (the reference passes to the
 * table), or -EMFILE. */
int fd_install(struct fdtable *t, struct file *f, int min, bool cloexec);
/* The file behind fd in t, or NULL. */
struct file *fd_get(struct fdtable *t, uint64_t fd);
int fd_close(struct fdtable *t, uint64_t fd);
/* newfd refers to oldfd's file (dup2/dup3 after their checks). */
int fd_dup_to(struct fdtable *t, int oldfd, int newfd, bool cloexec);
void fd_close_all(struct fdtable *t);

/* read/write through the file's kind. pos is the offset to use and
 * advance (&f->pos, or a pread/pwrite local). >= 0 bytes, or -errno. */
int64_t file_read(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos);
int64_t file_write(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos);
bool file_seekable(const struct file *f);
int file_stat(struct file *f, struct linux_stat *st);

#endif
