/* /proc/self/maps (and /proc/PID/maps for the caller's own pid): the
 * caller's VMAs in Linux's text format (proc(5)). Nothing else of /proc. */
#ifndef GUEST_KERNEL_PROCFS_H
#define GUEST_KERNEL_PROCFS_H

#include <stdbool.h>
#include <stdint.h>

struct file;

/* True if path (absolute, normalized) is under /proc. */
bool procfs_path(const char *path);
/* A file for path: 0 and *out, or -ENOENT (anything but maps), -EACCES
 * (opened for writing), -ENFILE. */
int procfs_open(const char *path, uint32_t flags, struct file **out);
/* read(2) of an open maps file from *pos: the text as it is now. */
int64_t procfs_maps_read(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos);

#endif
