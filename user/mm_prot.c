#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "observe.h"

#include "mm_common.h"
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

/* Calls the code at f; "returned N" or the signal. */
static const char *call_at(void *f)
{
	static char desc[80];
	int (*fn)(void);
	memcpy(&fn, &f, sizeof(fn));
	fault_sig = 0;
	if (sigsetjmp(fault_jb, 1) == 0) {
		fault_armed = 1;
		int r = fn();
		fault_armed = 0;
		snprintf(desc, sizeof(desc), "returned %d", r);
		return desc;
	}
	fault_armed = 0;
	snprintf(desc, sizeof(desc), "%s %s%s", sig_name(fault_sig), code_name(fault_sig, fault_code),
		 fault_addr == f ? " si_addr=ok" : " si_addr=WRONG");
	return desc;
}

static volatile int fixes;

/* A SIGSEGV handler that makes the page writable and returns: the store is retried. */
static void fixer(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fixes++;
	mprotect((void *)((uintptr_t)si->si_addr & ~(PG - 1)), PG, PROT_READ | PROT_WRITE);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_faults();
	char *w = reserve(64);
	char *p = w + 8 * PG;

	printf("== mprotect splits a mapping\n");
	mm("mmap 8 pages RW", p, p, 8 * PG, RW, ANON | MAP_FIXED, -1, 0);
	for (int i = 0; i < 8; i++)
		memset(p + i * PG, i + 1, PG);
	show("mprotect pages 2..3 PROT_READ", mprotect(p + 2 * PG, 2 * PG, PROT_READ));
	wr("write page 1", p + PG + 4095, 1);
	wr("write page 2", p + 2 * PG, 1);
	wr("write page 3", p + 3 * PG + 4095, 1);
	wr("write page 4", p + 4 * PG, 1);
	rd("read page 2", p + 2 * PG + 7);
	show("mprotect page 3 RW", mprotect(p + 3 * PG, PG, RW));
	wr("write page 3", p + 3 * PG + 4095, 2);
	wr("write page 2", p + 2 * PG + 1, 1);
	show("mprotect all PROT_NONE", mprotect(p, 8 * PG, PROT_NONE));
	rd("read page 0", p);
	wr("write page 7", p + 7 * PG + 9, 1);
	resident("mincore of PROT_NONE pages", p, 8);
	show("mprotect all RW", mprotect(p, 8 * PG, RW));
	int kept = 1;
	for (int i = 0; i < 8; i++)
		for (size_t k = 2; k < PG - 1; k++)
			kept &= p[i * PG + k] == i + 1;
	printf("contents kept: %s\n", kept ? "ok" : "mismatch");
	show("mprotect PROT_WRITE only", mprotect(p, PG, PROT_WRITE));
	rd("read a PROT_WRITE page", p + 5);
	wr("write it", p + 5, 6);
	show("mprotect PROT_EXEC|PROT_READ", mprotect(p, PG, PROT_READ | PROT_EXEC));
	wr("write it", p + 5, 6);
	rd("read it", p + 5);

	printf("== execute permission\n");
	char *c = w + 20 * PG;
	mm("mmap code page RW", c, c, PG, RW, ANON | MAP_FIXED, -1, 0);
	static const unsigned char code[] = { 0xb8, 42, 0, 0, 0, 0xc3 };   /* mov $42,%eax; ret */
	memcpy(c, code, sizeof(code));
	printf("call RW page: %s\n", call_at(c));
	show("mprotect PROT_READ|PROT_EXEC", mprotect(c, PG, PROT_READ | PROT_EXEC));
	printf("call R+X page: %s\n", call_at(c));
	show("mprotect PROT_READ", mprotect(c, PG, PROT_READ));
	printf("call R page: %s\n", call_at(c));
	show("munmap", munmap(c, PG));
	printf("call unmapped: %s\n", call_at(c));

	printf("== mprotect errors and holes (raw system calls)\n");
	show("unaligned", syscall(SYS_mprotect, p + 1, PG, PROT_READ));
	show("length 0", syscall(SYS_mprotect, p, 0, PROT_READ));
	show("length 1 (one page)", syscall(SYS_mprotect, p + 6 * PG, 1, PROT_READ));
	wr("write page 6", p + 6 * PG + 100, 1);
	wr("write page 7", p + 7 * PG, 1);
	show("unknown prot bit 0x10", syscall(SYS_mprotect, p, PG, PROT_READ | 0x10));
	show("PROT_GROWSDOWN on a plain mapping", syscall(SYS_mprotect, p, PG, PROT_READ | PROT_GROWSDOWN));
	show("munmap page 4", munmap(p + 4 * PG, PG));
	show("mprotect 2..6 across the hole", mprotect(p + 2 * PG, 4 * PG, PROT_READ));
	wr("write page 2 (before the hole)", p + 2 * PG, 1);
	wr("write page 3 (before the hole)", p + 3 * PG, 1);
	wr("write page 5 (after the hole)", p + 5 * PG, 1);
	show("mprotect inside the hole", mprotect(p + 4 * PG, PG, PROT_READ));
	show("mprotect starting in the hole", mprotect(p + 4 * PG, 2 * PG, PROT_READ));
	wr("write page 5", p + 5 * PG, 1);
	show("mprotect across 2^56", syscall(SYS_mprotect, (void *)((1UL << 56) - PG), 2 * PG, PROT_READ));

	printf("== a handler that fixes the protection\n");
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fixer;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	show("mprotect page 0 PROT_READ", mprotect(p, PG, PROT_READ));
	p[77] = 77;
	printf("store retried: %s, handler ran %d time(s)\n", p[77] == 77 ? "ok" : "mismatch", fixes);
	sigaction(SIGSEGV, &old, NULL);

	printf("== the kernel's copies honour protection\n");
	int z = open("/dev/zero", O_RDONLY);
	show("mprotect page 0 PROT_READ", mprotect(p, PG, PROT_READ));
	show("read /dev/zero into PROT_READ", read(z, p, 100));
	show("mprotect page 0 PROT_NONE", mprotect(p, PG, PROT_NONE));
	show("read /dev/zero into PROT_NONE", read(z, p, 100));
	show("read /dev/zero into the hole", read(z, p + 4 * PG, 100));
	show("read /dev/zero into RW", read(z, p + 7 * PG, 100));
	printf("  zeroed: %s\n", all_bytes((unsigned char *)p + 7 * PG, 100, 0) ? "ok" : "mismatch");
	close(z);
	int fds[2];
	show("pipe", pipe(fds));
	show("write from PROT_NONE", write(fds[1], p, 10));
	show("mprotect page 0 PROT_READ", mprotect(p, PG, PROT_READ));
	show("write from PROT_READ", write(fds[1], p + 77, 1));
	char b = 0;
	show("read it", read(fds[0], &b, 1));
	printf("  byte: %d\n", b);
	close(fds[0]);
	close(fds[1]);

	printf("== an uncaught SIGSEGV kills the process\n");
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	signal(SIGSEGV, SIG_DFL);
	printf("writing to a PROT_READ page\n");
	fflush(stdout);
	*(volatile char *)p = 1;
	printf("still alive\n");
	return 0;
}
