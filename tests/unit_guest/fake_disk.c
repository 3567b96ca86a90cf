/* Fake block device, clock and page source for guest/fs/; see fake_disk.h. */
#include "fake_disk.h"

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/fs_hooks.h"
#include "lib/errno.h"

uint32_t fake_fs_time;
int fake_pages_out;
bool fake_page_alloc_fails;
void *(*fake_page_alloc_hook)(void);
void (*fake_page_free_hook)(void *page);

void fake_disk_open(struct fake_disk *d, const char *path)
{
	struct stat st;

	d->fd = open(path, O_RDWR);
	ck_assert_msg(d->fd >= 0, "open %s failed", path);
	ck_assert_int_eq(fstat(d->fd, &st), 0);
	d->size = (uint64_t)st.st_size;
	d->reads = d->writes = d->flushes = d->out_of_range = 0;
	d->fail_writes_after = -1;
}

void fake_disk_close(struct fake_disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

static bool inside(struct fake_disk *d, uint64_t off, size_t len)
{
	if (off > d->size || len > d->size - off) {
		d->out_of_range++;
		return false;
	}
	return true;
}

int blk_read(void *dev, uint64_t byte_off, void *buf, size_t len)
{
	struct fake_disk *d = dev;

	d->reads++;
	if (!inside(d, byte_off, len))
		return -EIO;
	return pread(d->fd, buf, len, (off_t)byte_off) == (ssize_t)len ? 0 : -EIO;
}

int blk_read_start(void *dev, uint64_t byte_off, void *buf, size_t len)
{
	struct fake_disk *d = dev;

	if (!d->async)
		return -EOPNOTSUPP;
	if (d->started)
		return -EBUSY;
	d->started = true;
	d->start_buf = buf;
	d->start_off = byte_off;
	d->start_len = len;
	memset(buf, 0xa5, len);   /* not there yet */
	return 0;
}

int blk_read_finish(void *dev)
{
	struct fake_disk *d = dev;

	if (!d->started)
		return -EINVAL;
	d->started = false;
	d->async_reads++;
	if (d->async_fails)
		return -EIO;   /* the buffer keeps its junk */
	return blk_read(dev, d->start_off, d->start_buf, d->start_len);
}

int blk_write(void *dev, uint64_t byte_off, const void *buf, size_t len)
{
	struct fake_disk *d = dev;

	d->writes++;
	if (!inside(d, byte_off, len))
		return -EIO;
	if (d->fail_writes_after >= 0 && d->fail_writes_after-- == 0)
		return -EIO;
	return pwrite(d->fd, buf, len, (off_t)byte_off) == (ssize_t)len ? 0 : -EIO;
}

/* One counted read, as the kernel's block layer makes one request of it
 * when the pages are physically adjacent. */
int blk_read_pages(void *dev, uint64_t byte_off, uint8_t *const *pages, size_t len)
{
	struct fake_disk *d = dev;

	len = (len + 511) & ~(size_t)511;
	d->reads++;
	if ((byte_off & 511) || !inside(d, byte_off, len))
		return -EIO;
	for (size_t i = 0; len; i++) {
		size_t n = len < FS_PAGE_SIZE ? len : FS_PAGE_SIZE;

		if (pread(d->fd, pages[i], n, (off_t)byte_off) != (ssize_t)n)
			return -EIO;
		byte_off += n;
		len -= n;
	}
	return 0;
}

int blk_flush(void *dev)
{
	struct fake_disk *d = dev;

	d->flushes++;
	return fdatasync(d->fd) ? -EIO : 0;
}

uint32_t fs_now(void)
{
	return fake_fs_time ? fake_fs_time : (uint32_t)time(NULL);
}

void *fs_page_alloc(void)
{
	void *p;

	if (fake_page_alloc_fails)
		return NULL;
	if (fake_page_alloc_hook) {
		if (!(p = fake_page_alloc_hook()))
			return NULL;
	} else {
		p = aligned_alloc(4096, 4096);
		ck_assert_ptr_nonnull(p);
	}
	fake_pages_out++;
	return p;
}

void fs_page_free(void *page)
{
	if (!page)
		return;
	fake_pages_out--;
	if (fake_page_free_hook)
		fake_page_free_hook(page);
	else
		free(page);
}

void *(*fake_run_alloc_hook)(size_t npages, size_t align);
int fake_runs_out;

/* Kept for good by the caller, so kept reachable here (no leak report). */
static void *runs_kept[4096];

void *fs_pages_alloc_run(size_t npages, size_t align, bool zero)
{
	void *p;

	if (fake_page_alloc_fails || fake_runs_out >= (int)(sizeof(runs_kept) / sizeof(runs_kept[0])))
		return NULL;
	if (fake_run_alloc_hook)
		p = fake_run_alloc_hook(npages, align);
	else
		p = aligned_alloc(align, npages * FS_PAGE_SIZE);
	if (p) {
		runs_kept[fake_runs_out++] = p;
		/* not asked for zeros: bytes no caller may rely on */
		memset(p, zero ? 0 : 0xa5, npages * FS_PAGE_SIZE);
	}
	return p;
}

bool fake_word_run_host;
unsigned fake_word_runs;

long fs_word_run(const void *p, uint32_t n, uint32_t first)
{
	const uint8_t *b = p;
	uint32_t k = 0;

	if (!fake_word_run_host)
		return -1;
	fake_word_runs++;
	for (; k < n; k++, first++, b += 4)
		if ((uint32_t)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24) != first)
			break;
	return k;
}

void fs_page_zero(void *page)
{
	memset(page, 0, FS_PAGE_SIZE);
}
