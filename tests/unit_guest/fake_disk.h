/* The machine under guest/fs/ on the host (fs/fs_hooks.h): the block device
 * is an image file reached with pread/pwrite, pages come from the C heap,
 * the clock is settable. Accesses are counted, and any attempt to touch a
 * byte past the end of the device is recorded: the file system must never
 * make one, whatever the image says. */
#ifndef TESTS_UNIT_GUEST_FAKE_DISK_H
#define TESTS_UNIT_GUEST_FAKE_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake_disk {
	int fd;
	uint64_t size;         /* device size in bytes */
	unsigned reads, writes, flushes;
	unsigned out_of_range; /* accesses refused for crossing the end */
	int fail_writes_after; /* < 0: never; n: the write after n more fails */
	/* blk_read_start: with async, the read is taken and done only at
	 * blk_read_finish (the buffer holds junk until then); without, it is
	 * refused (-EOPNOTSUPP) and the caller reads the plain way. */
	bool async;
	bool async_fails;      /* the background read ends in -EIO */
	bool started;
	void *start_buf;
	uint64_t start_off;
	size_t start_len;
	unsigned async_reads;  /* started and finished */
};

/* Opens path read-write; size is the file's size. */
void fake_disk_open(struct fake_disk *d, const char *path);
void fake_disk_close(struct fake_disk *d);

extern uint32_t fake_fs_time;  /* fs_now(): this value, or time(NULL) if 0 */
extern int fake_pages_out;     /* fs_page_alloc() minus fs_page_free() */
extern bool fake_page_alloc_fails;
/* Where fs_page_alloc/fs_page_free get their pages: the C heap, unless a
 * test sets both hooks (test_guest_fault: pages inside its fake RAM, as
 * the kernel's come from the direct map, so page-cache pages have a
 * physical address). The hook may return NULL (memory short). */
extern void *(*fake_page_alloc_hook)(void);
extern void (*fake_page_free_hook)(void *page);
/* fs_pages_alloc_run: aligned_alloc, unless the hook is set (fake RAM);
 * runs are never freed (the page cache keeps them); fake_runs_out counts. */
extern void *(*fake_run_alloc_hook)(size_t npages, size_t align);
extern int fake_runs_out;
/* fs_word_run: -1 (the caller counts), unless fake_word_run_host, when it
 * counts as the host would; fake_word_runs counts those calls. */
extern bool fake_word_run_host;
extern unsigned fake_word_runs;

#endif
