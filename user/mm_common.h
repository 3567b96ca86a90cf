/* What the mm_* test programs share: faults turned into observations
 * (touch, catch_faults), signal and si_code names, and small helpers for
 * mappings and files. Header-only, like observe.h: each program is still
 * one static binary built from one .c file plus these headers. The
 * includes the helpers need come first in each program (_GNU_SOURCE). */
#ifndef USER_MM_COMMON_H
#define USER_MM_COMMON_H

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "observe.h"

#define HELPER static __attribute__((unused))
#define PG 4096UL

/* Faults become observations: touch() arms a sigsetjmp, the handler records
 * signal, si_code and si_addr and jumps back. An unexpected fault (not
 * armed) restores the default action, so the retried access kills us. */
static sigjmp_buf fault_jb;
static volatile sig_atomic_t fault_armed;
static volatile int fault_sig, fault_code;
static void *volatile fault_addr;

HELPER void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	if (fault_armed)
		siglongjmp(fault_jb, 1);
	signal(sig, SIG_DFL);
}

HELPER void catch_faults(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

HELPER const char *sig_name(int sig)
{
	static char b[16];
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGTERM: return "SIGTERM";
	}
	snprintf(b, sizeof(b), "signal %d", sig);
	return b;
}

HELPER const char *code_name(int sig, int code)
{
	static char b[16];
	if (code == SI_USER) return "SI_USER";
	if (code == SI_TKILL) return "SI_TKILL";
	if (code == SI_QUEUE) return "SI_QUEUE";
	if (code == SI_KERNEL) return "SI_KERNEL";
	if (sig == SIGSEGV && code == SEGV_MAPERR) return "SEGV_MAPERR";
	if (sig == SIGSEGV && code == SEGV_ACCERR) return "SEGV_ACCERR";
	if (sig == SIGBUS && code == BUS_ADRALN) return "BUS_ADRALN";
	if (sig == SIGBUS && code == BUS_ADRERR) return "BUS_ADRERR";
	if (sig == SIGBUS && code == BUS_OBJERR) return "BUS_OBJERR";
	snprintf(b, sizeof(b), "si_code %d", code);
	return b;
}

/* Reads (w == 0, value into *got) or writes v to the byte at p. "ok", or
 * the signal, its si_code and whether si_addr was p. */
HELPER const char *touch(void *p, int w, unsigned char v, unsigned char *got)
{
	static char desc[80];
	volatile unsigned char *q = p;
	fault_sig = 0;
	if (sigsetjmp(fault_jb, 1) == 0) {
		fault_armed = 1;
		if (w) {
			*q = v;
		} else {
			unsigned char x = *q;
			if (got)
				*got = x;
		}
		fault_armed = 0;
		return "ok";
	}
	fault_armed = 0;
	snprintf(desc, sizeof(desc), "%s %s%s", sig_name(fault_sig),
		 code_name(fault_sig, fault_code),
		 fault_addr == p ? " si_addr=ok" : " si_addr=WRONG");
	return desc;
}

HELPER void rd(const char *what, void *p)
{
	unsigned char v = 0;
	const char *r = touch(p, 0, 0, &v);
	if (r[0] == 'o')
		printf("%s: read %u\n", what, v);
	else
		printf("%s: %s\n", what, r);
}

HELPER void wr(const char *what, void *p, unsigned char v)
{
	printf("%s: %s\n", what, touch(p, 1, v, NULL));
}

/* Raw system calls, so the kernel's answer is seen, not libc's checks. */
HELPER long rmmap(void *a, size_t len, int prot, int flags, int fd, long off)
{
	return syscall(SYS_mmap, a, len, prot, flags, fd, off);
}

/* mmap; prints "at expected" (or "mapped" when expect is NULL) or the errno. */
HELPER char *mm(const char *what, void *expect, void *a, size_t len, int prot, int flags,
		int fd, long off)
{
	long r = rmmap(a, len, prot, flags, fd, off);
	if (r == -1) {
		printf("%s: -1 %s\n", what, errname(errno));
		return NULL;
	}
	if (!expect)
		printf("%s: mapped\n", what);
	else
		printf("%s: %s\n", what, (void *)r == expect ? "at expected" : "mapped ELSEWHERE");
	return (char *)r;
}

/* mincore as a string of 0/1, or the errno. */
HELPER void resident(const char *what, void *p, size_t pages)
{
	unsigned char vec[64];
	char s[65];
	if (pages > 64)
		pages = 64;
	if (syscall(SYS_mincore, p, pages * PG, vec) != 0) {
		printf("%s: mincore -1 %s\n", what, errname(errno));
		return;
	}
	for (size_t i = 0; i < pages; i++)
		s[i] = '0' + (vec[i] & 1);
	s[pages] = 0;
	printf("%s: mincore %s\n", what, s);
}

/* A PROT_NONE reservation: MAP_FIXED inside it gives addresses we chose. */
HELPER char *reserve(size_t pages)
{
	long r = rmmap(NULL, pages * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (r == -1) {
		printf("reserve %zu pages: -1 %s\n", pages, errname(errno));
		fflush(stdout);
		_exit(3);
	}
	return (char *)r;
}

HELPER int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

#endif
