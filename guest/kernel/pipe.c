/* The ring: bytes [head, head + len) modulo the capacity, page by page. */
#include "kernel/pipe.h"

#include "fs/fs_hooks.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"

#define PIPE_PAGE 4096u
#define PIPE_CAP  (PIPE_PAGES * PIPE_PAGE)

struct pipe {
	uint32_t readers, writers;   /* file references on each end; 0/0: free */
	uint32_t head, len;
	uint8_t *page[PIPE_PAGES];   /* allocated on first use, freed with the pipe */
};

static struct pipe pipes[PIPES_MAX];

struct pipe *pipe_create(void)
{
	for (uint32_t i = 0; i < PIPES_MAX; i++) {
		struct pipe *p = &pipes[i];
		if (!p->readers && !p->writers) {
			p->readers = p->writers = 1;
			p->head = p->len = 0;
			return p;
		}
	}
	return NULL;
}

void pipe_release(struct pipe *p, bool write_end)
{
	if (write_end)
		p->writers--;
	else
		p->readers--;
	if (p->readers || p->writers)
		return;
	for (uint32_t i = 0; i < PIPE_PAGES; i++) {
		fs_page_free(p->page[i]);
		p->page[i] = NULL;
	}
}

int64_t pipe_read(struct pipe *p, uint64_t ubuf, uint64_t len)
{
	uint64_t done = 0;

	if (!p->len)
		return p->writers && len ? -EAGAIN : 0;
	while (done < len && p->len) {
		uint32_t in = p->head % PIPE_PAGE, n = PIPE_PAGE - in;
		if (n > p->len)
			n = p->len;
		if (n > len - done)
			n = (uint32_t)(len - done);
		if (copy_to_user(ubuf + done, p->page[p->head / PIPE_PAGE] + in, n))
			return done ? (int64_t)done : -EFAULT;
		p->head = (p->head + n) % PIPE_CAP;
		p->len -= n;
		done += n;
	}
	return (int64_t)done;
}

int64_t pipe_write(struct pipe *p, uint64_t ubuf, uint64_t len)
{
	uint64_t done = 0;

	if (!p->readers)
		return -EPIPE;
	if (p->len == PIPE_CAP && len)
		return -EAGAIN;
	while (done < len && p->len < PIPE_CAP) {
		uint32_t tail = (p->head + p->len) % PIPE_CAP, in = tail % PIPE_PAGE;
		uint32_t n = PIPE_PAGE - in, pg = tail / PIPE_PAGE;
		if (n > PIPE_CAP - p->len)
			n = PIPE_CAP - p->len;
		if (n > len - done)
			n = (uint32_t)(len - done);
		if (!p->page[pg] && !(p->page[pg] = fs_page_alloc()))
			return done ? (int64_t)done : -ENOMEM;
		if (copy_from_user(p->page[pg] + in, ubuf + done, n))
			return done ? (int64_t)done : -EFAULT;
		p->len += n;
		done += n;
	}
	return (int64_t)done;
}

uint64_t pipe_space(const struct pipe *p)
{
	return PIPE_CAP - p->len;
}

uint32_t pipe_readers(const struct pipe *p)
{
	return p->readers;
}
