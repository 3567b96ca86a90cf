/* User page faults: classify, then do exactly one of zero-fill, file page
 * or copy-on-write (kernel/mm.h draws the PTE kinds). The trap code turns
 * the result into a retry, SIGSEGV or SIGBUS. */
#ifndef GUEST_KERNEL_FAULT_H
#define GUEST_KERNEL_FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct proc;

enum fault_result {
	FAULT_DONE,          /* retry the access */
	FAULT_SEGV_MAPERR,   /* no VMA there */
	FAULT_SEGV_ACCERR,   /* the VMA forbids the access */
	FAULT_BUS_ADRERR,    /* a file page wholly past the end of the file */
	FAULT_BUS_IO,        /* the file page could not be read */
	FAULT_OOM,
};

/* Counts by kind, for the report and benchmarks. */
struct fault_stats {
	uint64_t anon_zero;      /* anonymous first touch */
	uint64_t pcache_hit;     /* file page found in the page cache */
	uint64_t disk_read;      /* file page read through the block device */
	uint64_t around;         /* cached neighbours mapped by fault-around */
	uint64_t cow;            /* private copy of a file page */
	uint64_t shared_dirty;   /* first store to a shared file page */
	uint64_t stack_grow;     /* GROWSDOWN VMA extended */
	uint64_t sigsegv, sigbus;
	uint64_t spurious;       /* nothing to do (stale TLB entry) */
	uint64_t large;          /* 2 MiB of file mapped by one entry (also
				    counted as pcache_hit or disk_read) */
};

extern struct fault_stats fault_stats;   /* published by kernel/stats.c */

/* A fault at addr with x86 error code bits (X86_PF_W, X86_PF_I, X86_PF_P). */
enum fault_result fault_handle(struct proc *p, uint64_t addr, uint64_t error);

#endif
