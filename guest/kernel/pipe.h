/* Pipes: a 64 KiB ring (Linux's default capacity) of pages allocated on
 * first write. There is one process and no scheduler, so nothing can ever
 * wait: where Linux would block (read of an empty pipe whose write end is
 * open, write to a full one) the call returns what it could, or -EAGAIN
 * when it could do nothing. A write with no reader left is -EPIPE (no
 * SIGPIPE: signals are not delivered yet). */
#ifndef GUEST_KERNEL_PIPE_H
#define GUEST_KERNEL_PIPE_H

#include <stdbool.h>
#include <stdint.h>

#define PIPE_PAGES 16u
#define PIPES_MAX  32u
#define PIPE_BUF   4096u   /* writes up to this size are atomic (pipe(7)) */

struct pipe;

/* A new pipe with one reader and one writer reference, or NULL. */
struct pipe *pipe_create(void);
/* Drops a reader (write_end false) or writer reference. */
void pipe_release(struct pipe *p, bool write_end);
int64_t pipe_read(struct pipe *p, uint64_t ubuf, uint64_t len);
int64_t pipe_write(struct pipe *p, uint64_t ubuf, uint64_t len);
/* Bytes a write would take now; read ends still open. */
uint64_t pipe_space(const struct pipe *p);
uint32_t pipe_readers(const struct pipe *p);

#endif
