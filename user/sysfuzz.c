/* sysfuzz SEED COUNT [DIR [trace]]: a seeded random system-call fuzzer.
 *
 * COUNT raw system calls (syscall(2)), in batches of BATCH; each batch
 * runs in a child the parent forks and waits for, and the parent prints
 * one line per batch: how the child ended and how many calls it made
 * ("batch 3: exit 0 after 250 calls", "batch 4: killed by SIGSEGV after
 * 17 calls"). A child killed by a signal is fine: the point is that the
 * kernel under it survives whatever the child passes.
 *
 * The calls: the mmap family (mmap, munmap, mprotect, mremap, brk, madvise,
 * mincore, msync, mlock, mlock2, munlock, mlockall, munlockall), the signal
 * calls (rt_sigaction, rt_sigprocmask, rt_sigreturn with a garbage or a
 * crafted frame, sigaltstack, kill/tkill/tgkill to itself), rlimits
 * (getrlimit, setrlimit, prlimit64), processes (fork, wait4, waitid; at
 * most MAX_KIDS children of the batch's child, which do a few calls of
 * their own and exit), pipes and files under DIR (pipe2, open, read,
 * write, pread64, pwrite64, ftruncate, unlink, close), and plain loads,
 * stores and calls into its own mappings, with a SIGSEGV/SIGBUS handler
 * that siglongjmps back. Arguments are a mix of sensible values (pages of
 * its own mappings, small lengths) and hostile ones (0, -1, huge and
 * unaligned lengths, kernel and non-canonical addresses, NULL, pointers
 * into PROT_NONE or unmapped memory, bad descriptors, unknown flags).
 *
 * Mappings with MAP_FIXED go only into a PROT_NONE arena of its own, or to
 * addresses no process can map, so the program never replaces its own
 * text, data or stack on purpose; hostile ranges may still hit them, which
 * ends that batch. Signals go only to the process itself (never pid 0 or
 * -1, which natively would reach the whole process group or every
 * process).
 *
 * Output is the batch lines only, so that a native run and a guest run can
 * be compared; results of hostile calls may legitimately differ. With
 * "trace" every call is printed as it returns (arguments as symbols, not
 * addresses), for finding where the two first part. */
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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "observe.h"

#define PG       4096UL
#define BATCH    250
#define NREG     24
#define NFD      16
#define ARENA_PG 256
#define MAX_KIDS 3
#define KID_OPS  30
#define NFILES   4

#define NONCANON1 0x0000800000000000UL
#define NONCANON2 0x8000000000000000UL
#define NONCANON3 0x0000900000000000UL
#define KERNADDR  0xffffffff80000000UL

/* ---- random numbers ---- */
static uint64_t rs;
static uint64_t rnd(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static uint64_t rn(uint64_t n) { return n ? rnd() % n : 0; }
static int chance(int pct) { return (int)rn(100) < pct; }

/* ---- trace output (raw write: no stdio in the child) ---- */
static int tracing;
static char tbuf[512];
static size_t tlen;

static void tput(const char *s)
{
	while (*s && tlen < sizeof(tbuf) - 2)
		tbuf[tlen++] = *s++;
}
static void tnum(long n)
{
	char b[24], *e = b + sizeof(b) - 1;
	unsigned long u = n < 0 ? -(unsigned long)n : (unsigned long)n;
	*e = 0;
	do
		*--e = (char)('0' + u % 10);
	while (u /= 10);
	if (n < 0)
		*--e = '-';
	tput(e);
}
static void thex(uint64_t n)
{
	char b[24], *e = b + sizeof(b) - 1;
	*e = 0;
	do
		*--e = "0123456789abcdef"[n & 15];
	while (n >>= 4);
	*--e = 'x';
	*--e = '0';
	tput(e);
}
static void tflush(void)
{
	if (tracing && tlen) {
		tbuf[tlen++] = '\n';
		ssize_t r = write(1, tbuf, tlen);
		(void)r;
	}
	tlen = 0;
}

/* ---- what the process owns ---- */
struct region {
	uint64_t addr, len;
};
static struct region reg[NREG];
static int nreg;
static uint64_t arena;                 /* ARENA_PG pages, PROT_NONE at start */
static uint64_t noneprot;              /* a PROT_NONE page of its own */
static uint64_t rdonly;                /* a read-only page of its own */
static int fds[NFD], nfds;
static const char *dir = "tmp";
static int depth;                      /* 0 in the batch's child, 1 in its children */
static int kids;                       /* children not yet reaped */
static int pid_self;
static volatile uint64_t *progress;    /* shared with the parent: calls made */
static unsigned char vec[1 << 20];     /* mincore vectors */
static unsigned char iobuf[1 << 16];
static uint64_t cur_brk;

static void add_region(uint64_t a, uint64_t len)
{
	if (len == 0)
		return;
	int i = nreg < NREG ? nreg++ : (int)rn(NREG);
	reg[i].addr = a;
	reg[i].len = len;
}

static void add_fd(int fd)
{
	if (fd < 0)
		return;
	if (nfds < NFD) {
		fds[nfds++] = fd;
		return;
	}
	int i = (int)rn(NFD);
	syscall(SYS_close, fds[i]);
	fds[i] = fd;
}

/* ---- faults during loads and stores ---- */
static sigjmp_buf fault_jb;
static volatile sig_atomic_t fault_armed;
static volatile int fault_sig;
static volatile long handled;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	fault_sig = sig;
	if (fault_armed) {
		fault_armed = 0;
		siglongjmp(fault_jb, 1);
	}
	signal(sig, SIG_DFL);   /* unexpected: the retried access kills */
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	handled++;
}

/* The restorer every handler installed here returns through. */
void sf_restore_rt(void);
__asm__(".text\n.globl sf_restore_rt\n.type sf_restore_rt,@function\n"
	"sf_restore_rt:\n\tmov $15, %eax\n\tsyscall\n\thlt\n");

/* Linux's struct sigaction as rt_sigaction takes it. */
struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

static void install_fault_handler(int onstack)
{
	struct ksigaction ka = { (uint64_t)on_fault, SA_SIGINFO | SA_RESTORER | SA_NODEFER,
				 (uint64_t)sf_restore_rt, 0 };
	if (onstack)
		ka.flags |= SA_ONSTACK;
	syscall(SYS_rt_sigaction, SIGSEGV, &ka, NULL, 8);
	syscall(SYS_rt_sigaction, SIGBUS, &ka, NULL, 8);
}

/* ---- argument pickers; each adds a symbol to the trace ---- */
static const uint64_t hostile_addrs[] = {
	0, 1, 0xfff, 0x1000, 0x10000, KERNADDR, NONCANON1, NONCANON2, NONCANON3,
	0xffffffffffe00000UL, 0xffff800000000000UL, 0xfffffffffffff000UL,
	0x00007ffffffff000UL, 0x00007fffffffe000UL, 0x00007ffffffff800UL, ~0UL,
};

static uint64_t pick_region_addr(void)
{
	int i;
	uint64_t a;

	if (nreg == 0 || chance(15)) {
		a = arena + rn(ARENA_PG) * PG;
		tput(" arena+");
		tnum((long)((a - arena) / PG));
		return a;
	}
	i = (int)rn(nreg);
	a = reg[i].addr + rn((reg[i].len + PG - 1) / PG + 1) * PG;
	tput(" r");
	tnum(i);
	tput("+");
	tnum((long)((a - reg[i].addr) / PG));
	return a;
}

static uint64_t pick_addr(void)
{
	int r = (int)rn(100);
	uint64_t a;

	if (r < 65)
		return pick_region_addr();
	if (r < 72) {
		a = pick_region_addr() + 1 + rn(PG - 1);
		tput("~");
		return a;
	}
	if (r < 76) {
		tput(" noneprot");
		return noneprot;
	}
	if (r < 78) {
		tput(" rdonly");
		return rdonly;
	}
	a = hostile_addrs[rn(sizeof(hostile_addrs) / sizeof(hostile_addrs[0]))];
	tput(" ");
	thex(a);
	return a;
}

static uint64_t pick_len(void)
{
	static const uint64_t hostile[] = {
		0, ~0UL, ~0UL - PG + 1, 1UL << 47, 1UL << 62, 0x7fffffffffffUL, 1UL << 40,
		1UL << 32, 0x7ffffffff000UL,
	};
	int r = (int)rn(100);
	uint64_t l;

	if (r < 70)
		l = (1 + rn(16)) * PG;
	else if (r < 85)
		l = 1 + rn(3 * PG);
	else if (r < 88)
		l = (64 + rn(1024)) * PG;
	else
		l = hostile[rn(sizeof(hostile) / sizeof(hostile[0]))];
	tput(" len=");
	thex(l);
	return l;
}

/* a user pointer for a buffer of n bytes the kernel reads or writes */
static uint64_t pick_buf(size_t n)
{
	int r = (int)rn(100);

	if (r < 50 && n <= sizeof(iobuf)) {
		tput(" buf");
		return (uint64_t)iobuf;
	}
	return pick_addr();
}

static int pick_fd(void)
{
	static const int bad[] = { -1, 255, 999, 1000000, 0x7fffffff };
	int fd;

	if (nfds && chance(85)) {
		int i = (int)rn(nfds);
		fd = fds[i];
		tput(" fd");
		tnum(i);
		return fd;
	}
	fd = bad[rn(sizeof(bad) / sizeof(bad[0]))];
	tput(" badfd");
	tnum(fd);
	return fd;
}

static int pick_sig(void)
{
	static const int sigs[] = {
		SIGUSR1, SIGUSR2, SIGUSR1, SIGUSR2, SIGCHLD, SIGURG, SIGWINCH, SIGPIPE, SIGALRM,
		SIGTERM, 35, 38, 64, SIGCONT, SIGTSTP, 0, 65, -1, 1000,
		SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,
	};
	int s = sigs[rn(sizeof(sigs) / sizeof(sigs[0]))];
	tput(" sig");
	tnum(s);
	return s;
}

/* Signals the fuzzer may send itself: deadly ones are rare. */
static int pick_kill_sig(void)
{
	static const int sigs[] = {
		SIGUSR1, SIGUSR2, SIGCHLD, SIGURG, SIGWINCH, 35, 38,
		64, SIGCONT, 0, 65, -1,
	};
	int s;

	if (chance(3))
		s = chance(50) ? SIGPIPE : SIGALRM;
	else
		s = sigs[rn(sizeof(sigs) / sizeof(sigs[0]))];
	tput(" sig");
	tnum(s);
	return s;
}

static void path_of(char *b, size_t n, int i)
{
	snprintf(b, n, "%s/sf.%d", dir, i);
}

/* a pathname argument */
static uint64_t pick_path(char *b, size_t n)
{
	int r = (int)rn(100);

	if (r < 80) {
		int i = (int)rn(NFILES);
		path_of(b, n, i);
		tput(" f");
		tnum(i);
		return (uint64_t)b;
	}
	if (r < 84) {
		snprintf(b, n, "%s", dir);
		tput(" dir");
		return (uint64_t)b;
	}
	if (r < 88) {
		memset(b, 'a', n - 1);
		b[n - 1] = 0;
		tput(" longname");
		return (uint64_t)b;
	}
	if (r < 91) {
		snprintf(b, n, "%s/nodir/x", dir);
		tput(" nodir");
		return (uint64_t)b;
	}
	return pick_addr();
}

/* the result of a call, into the trace: the value, a region hit, or errno */
static long done(long r)
{
	tput(" =");
	if (r == -1) {
		tput(" -");
		tput(errname(errno));
	} else if ((uint64_t)r >= arena && (uint64_t)r < arena + ARENA_PG * PG) {
		tput(" arena+");
		tnum((long)(((uint64_t)r - arena) / PG));
	} else if ((uint64_t)r > 0x100000000UL) {
		tput(" addr");
	} else {
		tput(" ");
		tnum(r);
	}
	tflush();
	return r;
}

/* ---- the calls ---- */

/* Whether a MAP_FIXED or MREMAP_FIXED target of *len bytes at a may be
 * used: in the arena (the length cut to end at most 64 pages past it), or
 * where nothing can be mapped (from the last user page up, non-canonical,
 * kernel). Anywhere else it could replace the program's own text, data or
 * stack, and a program that runs zeros in a big mapping (there is no
 * preemption in the guest) hangs the VM. */
static int fixed_ok(uint64_t a, uint64_t *len)
{
	if (a >= arena && a < arena + ARENA_PG * PG) {
		uint64_t room = arena + (ARENA_PG + 64) * PG - a;
		if (*len > room && *len < (1UL << 46))
			*len = room;
		return 1;
	}
	return a >= 0x00007fffffffe000UL;
}
static void do_mmap(void)
{
	static const int extra[] = { MAP_POPULATE, MAP_LOCKED, MAP_NORESERVE, MAP_GROWSDOWN,
				     MAP_STACK, MAP_FIXED_NOREPLACE, MAP_FIXED, 0x4000000,
				     MAP_HUGETLB, MAP_SYNC, MAP_32BIT, MAP_DENYWRITE };
	uint64_t addr = 0, len, off = 0;
	long prot, flags, fd = -1;
	int r;

	tput("mmap");
	r = (int)rn(100);
	if (r < 45) {
		tput(" 0");
	} else if (r < 80) {
		addr = arena + rn(ARENA_PG) * PG;
		tput(" arena+");
		tnum((long)((addr - arena) / PG));
	} else {
		addr = pick_addr();
	}
	if (chance(90)) {
		len = (1 + rn(chance(80) ? 16 : 64)) * PG;
		tput(" len=");
		thex(len);
	} else {
		len = pick_len();
		if (len >= (64UL << 20) && len < (1UL << 46))
			len = 64UL << 20;   /* big but bounded: populate/mlockall */
	}
	prot = (long)rn(8);
	if (chance(5))
		prot |= 1L << (4 + rn(28));
	tput(" prot=");
	thex((uint64_t)prot);

	r = (int)rn(100);
	if (r < 50) {
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
	} else if (r < 65) {
		flags = MAP_SHARED | MAP_ANONYMOUS;
	} else if (r < 85) {
		flags = chance(50) ? MAP_SHARED : MAP_PRIVATE;
		fd = pick_fd();
		off = chance(80) ? rn(8) * PG : (chance(50) ? 123 : ~0UL - PG + 1);
	} else if (r < 92) {
		flags = MAP_SHARED_VALIDATE | (chance(50) ? MAP_ANONYMOUS : 0);
		if (!(flags & MAP_ANONYMOUS))
			fd = pick_fd();
	} else {
		flags = (long)rn(0x200000);
		fd = chance(50) ? -1 : pick_fd();
	}
	for (int i = (int)rn(3); i > 0; i--)
		flags |= extra[rn(sizeof(extra) / sizeof(extra[0]))];
	/* MAP_FIXED only where it cannot replace the program itself */
	if ((flags & MAP_FIXED) && !fixed_ok(addr, &len)) {
		flags &= ~(long)MAP_FIXED;
		flags |= MAP_FIXED_NOREPLACE;
	}
	if ((flags & (MAP_POPULATE | MAP_LOCKED)) && len > (64UL << 20))
		flags &= ~(long)(MAP_POPULATE | MAP_LOCKED);
	if (flags & MAP_HUGETLB)
		flags &= ~0xfc000000L;   /* no odd huge page sizes */
	tput(" flags=");
	thex((uint64_t)flags);
	tput(" off=");
	thex(off);
	long res = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	done(res);
	if (res != -1)
		add_region((uint64_t)res, len);
}

static void do_munmap(void)
{
	tput("munmap");
	uint64_t a = pick_addr(), l = pick_len();
	done(syscall(SYS_munmap, a, l));
}

static void do_mprotect(void)
{
	tput("mprotect");
	uint64_t a = pick_addr(), l = pick_len();
	long prot = (long)rn(8);
	if (chance(10))
		prot |= chance(50) ? PROT_GROWSDOWN : (chance(50) ? PROT_GROWSUP : 0x100);
	tput(" prot=");
	thex((uint64_t)prot);
	done(syscall(SYS_mprotect, a, l, prot));
}

static void do_mremap(void)
{
	static const long fl[] = { 0, MREMAP_MAYMOVE, MREMAP_MAYMOVE | MREMAP_FIXED,
				   MREMAP_MAYMOVE, MREMAP_MAYMOVE | MREMAP_FIXED, MREMAP_FIXED,
				   MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 8, -1 };
	uint64_t old, oldlen, newlen, na = 0;
	long flags = fl[rn(sizeof(fl) / sizeof(fl[0]))];
	int r = (int)rn(100);

	tput("mremap");
	old = pick_addr();
	if (r < 75) {
		oldlen = (chance(10) ? 0 : (1 + rn(16))) * PG;
		newlen = (1 + rn(24)) * PG;
		tput(" old=");
		thex(oldlen);
		tput(" new=");
		thex(newlen);
	} else {
		oldlen = pick_len();
		newlen = pick_len();
	}
	tput(" flags=");
	thex((uint64_t)flags);
	if (flags & MREMAP_FIXED || flags == (MREMAP_MAYMOVE | MREMAP_DONTUNMAP)) {
		r = (int)rn(100);
		if (r < 30) {
			/* overlapping the old range in odd ways */
			int64_t d = ((int64_t)rn(9) - 4) * (int64_t)PG;
			if (chance(20))
				d += (int64_t)rn(PG);
			na = old + (uint64_t)d;
			tput(" at old");
			tnum(d);
		} else if (r < 80) {
			na = arena + rn(ARENA_PG) * PG;
			tput(" at arena+");
			tnum((long)((na - arena) / PG));
		} else {
			tput(" at");
			na = pick_addr();
		}
		/* never onto the program's own text, data or stack */
		if (!fixed_ok(na, &newlen))
			na = NONCANON1;
	}
	long res = syscall(SYS_mremap, old, oldlen, newlen, flags, na);
	done(res);
	if (res != -1)
		add_region((uint64_t)res, newlen);
}

static void do_brk(void)
{
	static const uint64_t hostile[] = { 0, 1, 0x400000, KERNADDR, NONCANON1, ~0UL,
					    0x00007ffffffff000UL };
	uint64_t a;
	int r = (int)rn(100);

	tput("brk");
	if (!cur_brk)
		cur_brk = (uint64_t)syscall(SYS_brk, 0);
	if (r < 40) {
		a = cur_brk + rn(16) * PG + (chance(20) ? rn(PG) : 0);
		tput(" +");
	} else if (r < 70) {
		a = cur_brk - rn(8) * PG;
		tput(" -");
	} else if (r < 75) {
		a = cur_brk + (64UL << 20);
		tput(" +64M");
	} else {
		a = hostile[rn(sizeof(hostile) / sizeof(hostile[0]))];
		tput(" ");
		thex(a);
	}
	long res = syscall(SYS_brk, a);
	tput(" = ");
	tput((uint64_t)res == a ? "moved" : "kept");
	tflush();
	if ((uint64_t)res > cur_brk)
		add_region(cur_brk, (uint64_t)res - cur_brk);
	cur_brk = (uint64_t)res;
}

static void do_madvise(void)
{
	/* never MADV_HWPOISON (100) or MADV_SOFT_OFFLINE (101) natively */
	static const long adv[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
				    MADV_DONTNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE,
				    MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_HUGEPAGE,
				    MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_WIPEONFORK,
				    MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, 22, 23, 12345, -1 };
	tput("madvise");
	uint64_t a = pick_addr(), l = pick_len();
	long v = adv[rn(sizeof(adv) / sizeof(adv[0]))];
	tput(" advice=");
	tnum(v);
	done(syscall(SYS_madvise, a, l, v));
}

static void do_mincore(void)
{
	tput("mincore");
	uint64_t a = pick_addr(), l = pick_len(), v;
	if (chance(70)) {
		v = (uint64_t)vec;
		tput(" vec");
		if (l / PG + 1 > sizeof(vec))
			l = PG * (sizeof(vec) - 1);   /* never past vec */
	} else {
		v = pick_addr();
	}
	done(syscall(SYS_mincore, a, l, v));
}

static void do_msync(void)
{
	static const long fl[] = { MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_SYNC | MS_INVALIDATE,
				   MS_ASYNC | MS_SYNC, 0, 8, -1 };
	tput("msync");
	uint64_t a = pick_addr(), l = pick_len();
	long f = fl[rn(sizeof(fl) / sizeof(fl[0]))];
	tput(" flags=");
	thex((uint64_t)f);
	done(syscall(SYS_msync, a, l, f));
}

static void do_mlock(void)
{
	int r = (int)rn(5);
	uint64_t a, l;
	long f;

	switch (r) {
	case 0:
		tput("mlock");
		a = pick_addr();
		l = pick_len();
		done(syscall(SYS_mlock, a, l));
		break;
	case 1:
		tput("mlock2");
		a = pick_addr();
		l = pick_len();
		f = chance(70) ? (long)rn(2) : (long)rnd();
		tput(" flags=");
		thex((uint64_t)f);
		done(syscall(SYS_mlock2, a, l, f));
		break;
	case 2:
		tput("munlock");
		a = pick_addr();
		l = pick_len();
		done(syscall(SYS_munlock, a, l));
		break;
	case 3:
		f = chance(80) ? (long)rn(8) : (long)rnd();
		tput("mlockall flags=");
		thex((uint64_t)f);
		done(syscall(SYS_mlockall, f));
		break;
	default:
		tput("munlockall");
		done(syscall(SYS_munlockall));
	}
}

static uint64_t sigset_value(void)
{
	uint64_t s = rnd() & rnd();
	/* faults must stay deliverable, mostly */
	if (!chance(3))
		s &= ~((1UL << (SIGSEGV - 1)) | (1UL << (SIGBUS - 1)));
	return s;
}

static uint64_t pick_sigsetsize(void)
{
	if (chance(90))
		return 8;
	static const uint64_t bad[] = { 0, 4, 16, ~0UL };
	uint64_t n = bad[rn(4)];
	tput(" setsize=");
	thex(n);
	return n;
}

static void do_sigaction(void)
{
	static struct ksigaction ka, oka;
	uint64_t act = (uint64_t)&ka, oact = 0, ss;
	int sig;

	tput("rt_sigaction");
	sig = pick_sig();
	if (sig == SIGSEGV || sig == SIGBUS) {
		/* the fault handler itself: only move it on or off the
		 * alternate stack */
		tput(" fault-handler");
		install_fault_handler(chance(20));
		tflush();
		return;
	}
	int r = (int)rn(100);
	if (r < 50)
		ka.handler = (uint64_t)on_signal, tput(" handler");
	else if (r < 65)
		ka.handler = (uint64_t)SIG_IGN, tput(" IGN");
	else if (r < 68)
		ka.handler = (uint64_t)SIG_DFL, tput(" DFL");
	else if (r < 83)
		ka.handler = KERNADDR, tput(" handler=kernel");
	else if (r < 86)
		ka.handler = 1, tput(" handler=1");
	else
		ka.handler = (uint64_t)on_signal, tput(" handler");
	ka.flags = SA_RESTORER | SA_SIGINFO;
	if (chance(30))
		ka.flags |= rnd() & (SA_NODEFER | SA_RESETHAND | SA_ONSTACK | SA_RESTART |
				     SA_NOCLDSTOP | SA_NOCLDWAIT);
	if (chance(3))
		ka.flags = rnd() | SA_RESTORER;
	ka.restorer = (uint64_t)sf_restore_rt;
	if (chance(3))
		ka.restorer = chance(50) ? 0 : NONCANON1;
	tput(" flags=");
	thex(ka.flags);
	ka.mask = sigset_value();
	if (chance(10))
		act = chance(30) ? 0 : pick_addr();
	if (chance(40))
		oact = chance(70) ? (uint64_t)&oka : pick_addr();
	ss = pick_sigsetsize();
	done(syscall(SYS_rt_sigaction, sig, act, oact, ss));
}

static void do_sigprocmask(void)
{
	static uint64_t set, oset;
	uint64_t how = rn(3), ps = (uint64_t)&set, po = 0;

	tput("rt_sigprocmask how=");
	if (chance(5))
		how = chance(50) ? 3 : ~0UL;
	thex(how);
	set = sigset_value();
	if (chance(10))
		ps = chance(40) ? 0 : pick_addr();
	if (chance(40))
		po = chance(70) ? (uint64_t)&oset : pick_addr();
	done(syscall(SYS_rt_sigprocmask, how, ps, po, pick_sigsetsize()));
}

static void do_sigaltstack(void)
{
	static stack_t ss, oss;
	uint64_t pss = (uint64_t)&ss, poss = 0;
	int r = (int)rn(100);

	tput("sigaltstack sp=");
	if (r < 50) {
		ss.ss_sp = (void *)pick_region_addr();
	} else if (r < 60) {
		ss.ss_sp = (void *)noneprot;
		tput(" noneprot");
	} else {
		ss.ss_sp = (void *)pick_addr();
	}
	static const size_t sizes[] = { 8192, 16384, 65536, MINSIGSTKSZ - 1, 0, ~0UL,
					1UL << 40 };
	ss.ss_size = chance(80) ? sizes[rn(3)] : sizes[rn(7)];
	static const int flags[] = { 0, 0, SS_DISABLE, SS_ONSTACK, SS_AUTODISARM, 7, -1 };
	ss.ss_flags = flags[rn(7)];
	tput(" size=");
	thex(ss.ss_size);
	tput(" flags=");
	tnum(ss.ss_flags);
	if (chance(10))
		pss = chance(50) ? 0 : pick_addr();
	if (chance(30))
		poss = chance(70) ? (uint64_t)&oss : pick_addr();
	done(syscall(SYS_sigaltstack, pss, poss));
}

static void do_kill(void)
{
	int r = (int)rn(4), sig;

	if (r == 0) {
		tput("kill self");
		sig = pick_kill_sig();
		done(syscall(SYS_kill, pid_self, sig));
	} else if (r == 1) {
		tput("kill 0x7fffffff");
		sig = pick_kill_sig();
		done(syscall(SYS_kill, 0x7fffffff, sig));
	} else if (r == 2) {
		long tid = chance(80) ? pid_self : (chance(50) ? 0 : -5);
		tput("tgkill tid=");
		tnum(tid == pid_self ? 1 : tid);
		sig = pick_kill_sig();
		done(syscall(SYS_tgkill, pid_self, tid, sig));
	} else {
		tput("tkill self");
		sig = pick_kill_sig();
		done(syscall(SYS_tkill, pid_self, sig));
	}
}

static void do_rlimit(void)
{
	static struct rlimit rl;
	static const int res[] = { RLIMIT_AS, RLIMIT_STACK, RLIMIT_NOFILE, RLIMIT_MEMLOCK,
				   RLIMIT_DATA, RLIMIT_NOFILE, 99, -1 };
	static const uint64_t vals[] = { 0, 1, 64, 1 << 20, 64 << 20, 1UL << 30, 1UL << 40,
					 RLIM_INFINITY };
	int r = (int)rn(3), resource = res[rn(sizeof(res) / sizeof(res[0]))];
	uint64_t p = (uint64_t)&rl, pold = 0;

	if (chance(10))
		p = chance(30) ? 0 : pick_addr();
	rl.rlim_cur = vals[rn(8)];
	rl.rlim_max = chance(70) ? RLIM_INFINITY : vals[rn(8)];
	if (resource == RLIMIT_AS && rl.rlim_cur < (256UL << 20) && chance(80))
		rl.rlim_cur = 256UL << 20;   /* mostly leave room to run */
	if (resource == RLIMIT_STACK && rl.rlim_cur < (1UL << 20))
		rl.rlim_cur = 1UL << 20;
	if (r == 0) {
		tput("getrlimit res=");
		tnum(resource);
		done(syscall(SYS_getrlimit, resource, p));
	} else if (r == 1) {
		tput("setrlimit res=");
		tnum(resource);
		tput(" cur=");
		thex(rl.rlim_cur);
		tput(" max=");
		thex(rl.rlim_max);
		done(syscall(SYS_setrlimit, resource, p));
	} else {
		static struct rlimit old;
		long pid = chance(80) ? 0 : (chance(50) ? pid_self : 0x7fffffff);
		tput("prlimit64 pid=");
		tnum(pid == pid_self ? 1 : pid);
		tput(" res=");
		tnum(resource);
		if (chance(50))
			pold = chance(80) ? (uint64_t)&old : pick_addr();
		if (chance(30))
			p = 0;
		done(syscall(SYS_prlimit64, pid, resource, p, pold));
	}
}

static void fuzz_ops(int n);

static void do_fork(void)
{
	tput("fork");
	if (depth > 0 || kids >= MAX_KIDS) {
		tput(" skipped");
		tflush();
		return;
	}
	uint64_t child_seed = rnd();
	long r = syscall(SYS_fork);
	if (r == 0) {
		depth = 1;
		kids = 0;
		tracing = 0;
		tlen = 0;
		pid_self = (int)syscall(SYS_getpid);
		rs = child_seed;
		fuzz_ops(KID_OPS);
		syscall(SYS_exit_group, 7);
	}
	done(r > 0 ? 0 : r);
	if (r > 0)
		kids++;
}

static void do_wait(void)
{
	static int st;
	static siginfo_t si;
	uint64_t p;
	long r;

	if (chance(50)) {
		long pid = chance(80) ? -1 : (chance(50) ? 0 : 0x7fffffff);
		long opt = chance(70) ? 0 : (chance(50) ? WNOHANG : (long)rnd() & 0xffff);
		tput("wait4 pid=");
		tnum(pid);
		tput(" opt=");
		thex((uint64_t)opt);
		p = chance(80) ? (uint64_t)&st : pick_addr();
		uint64_t ru = chance(80) ? 0 : pick_addr();
		r = syscall(SYS_wait4, pid, p, opt, ru);
		/* the result depends on the children's progress natively */
		tput(r > 0 ? " = child" : (r == 0 ? " = 0" : " = err"));
		tflush();
		if (r > 0)
			kids--;
	} else {
		long type = chance(80) ? P_ALL : (chance(50) ? P_PID : 77);
		long opt = chance(70) ? WEXITED : (chance(50) ? WEXITED | WNOHANG :
			   (chance(50) ? WEXITED | WNOWAIT : (long)rnd() & 0xffff));
		tput("waitid type=");
		tnum(type);
		tput(" opt=");
		thex((uint64_t)opt);
		p = chance(80) ? (uint64_t)&si : pick_addr();
		memset(&si, 0, sizeof(si));
		r = syscall(SYS_waitid, type, type == P_PID ? 0x7fffffff : 0, p, opt, 0);
		tput(r == 0 ? " = 0" : " = err");
		tflush();
		if (r == 0 && p == (uint64_t)&si && si.si_pid && !(opt & WNOWAIT))
			kids--;
	}
}

static void do_pipe(void)
{
	static int pfd[2];
	tput("pipe2");
	uint64_t p = chance(90) ? (uint64_t)pfd : pick_addr();
	long fl = chance(90) ? O_NONBLOCK : (O_NONBLOCK | (chance(50) ? O_CLOEXEC : 0x8));
	long r = syscall(SYS_pipe2, p, fl);
	done(r);
	if (r == 0 && p == (uint64_t)pfd) {
		add_fd(pfd[0]);
		add_fd(pfd[1]);
	}
}

static void do_open(void)
{
	static char pb[300];
	static const long fl[] = { O_RDWR | O_CREAT, O_RDWR | O_CREAT | O_TRUNC, O_RDONLY,
				   O_WRONLY | O_CREAT | O_APPEND, O_RDWR | O_CREAT | O_EXCL,
				   O_RDWR, O_DIRECTORY, O_WRONLY };
	tput("open");
	uint64_t p = pick_path(pb, sizeof(pb));
	long f = fl[rn(sizeof(fl) / sizeof(fl[0]))];
	if (chance(5))
		f |= (long)(rnd() & 0x3fff00) & ~(long)(O_NOCTTY | O_PATH | O_TMPFILE | O_DIRECT |
						       O_ASYNC | O_LARGEFILE);
	tput(" flags=");
	thex((uint64_t)f);
	long r = syscall(SYS_open, p, f, 0644);
	done(r);
	if (r >= 0)
		add_fd((int)r);
}

static size_t io_len(void)
{
	int r = (int)rn(100);
	size_t l;

	if (r < 80)
		l = rn(3 * PG);
	else if (r < 95)
		l = rn(sizeof(iobuf));
	else
		l = chance(50) ? ~0UL : (1UL << 40);
	tput(" n=");
	thex(l);
	return l;
}

static void do_rw(void)
{
	int r = (int)rn(4);
	int fd;
	size_t n;
	uint64_t b;

	if (r == 0 || r == 1) {
		tput(r ? "write" : "read");
		fd = pick_fd();
		n = io_len();
		b = pick_buf(n);
		/* a huge count only with something that stops it */
		if (n > sizeof(iobuf) && b == (uint64_t)iobuf)
			n = sizeof(iobuf);
		if (r)
			for (size_t i = 0; i < 64; i++)
				iobuf[i] = (unsigned char)(i * 7 + 1);
		done(syscall(r ? SYS_write : SYS_read, fd, b, n));
	} else {
		uint64_t off = chance(80) ? rn(64 * PG) : (chance(50) ? ~0UL : 1UL << 40);
		tput(r == 3 ? "pwrite64" : "pread64");
		fd = pick_fd();
		n = io_len();
		b = pick_buf(n);
		if (n > sizeof(iobuf) && b == (uint64_t)iobuf)
			n = sizeof(iobuf);
		tput(" off=");
		thex(off);
		done(syscall(r == 3 ? SYS_pwrite64 : SYS_pread64, fd, b, n, off));
	}
}

static void do_file_misc(void)
{
	static char pb[300];
	int r = (int)rn(3);

	if (r == 0) {
		static const long lens[] = { 0, 1, 4095, 4096, 8192, 65536, 100000, 1 << 20,
					     16 << 20, -1, 1L << 62 };
		tput("ftruncate");
		int fd = pick_fd();
		long l = lens[rn(sizeof(lens) / sizeof(lens[0]))];
		tput(" len=");
		tnum(l);
		done(syscall(SYS_ftruncate, fd, l));
	} else if (r == 1) {
		tput("unlink");
		done(syscall(SYS_unlink, pick_path(pb, sizeof(pb))));
	} else {
		tput("close");
		if (nfds && chance(85)) {
			int i = (int)rn(nfds);
			tput(" fd");
			tnum(i);
			done(syscall(SYS_close, fds[i]));
			fds[i] = fds[--nfds];
		} else {
			done(syscall(SYS_close, pick_fd()));
		}
	}
}

/* loads, stores and calls into its own memory */
static void do_touch(void)
{
	static const uint64_t bad[] = { 0, 8, KERNADDR, NONCANON1, NONCANON2,
					0xffffffffffe00000UL };
	volatile unsigned char *p;
	int kind = (int)rn(3);
	uint64_t a;

	tput(kind == 0 ? "load" : (kind == 1 ? "store" : "call"));
	if (chance(90)) {
		a = pick_region_addr() + rn(PG);
	} else {
		a = bad[rn(sizeof(bad) / sizeof(bad[0]))];
		tput(" ");
		thex(a);
	}
	p = (volatile unsigned char *)a;
	fault_sig = 0;
	if (sigsetjmp(fault_jb, 1) == 0) {
		fault_armed = 1;
		if (kind == 0) {
			(void)*p;
		} else if (kind == 1) {
			*p = (unsigned char)rnd();
		} else {
			*p = 0xc3;   /* ret */
			((void (*)(void))a)();
		}
		fault_armed = 0;
		tput(" = ok");
	} else {
		tput(fault_sig == SIGBUS ? " = SIGBUS" : " = SIGSEGV");
	}
	tflush();
}

/* ---- the special cases: most of them end the process ---- */

/* rt_sigreturn through a frame built here: the handler's return popped
 * pretcode, so RSP points at the ucontext. */
static sigjmp_buf sr_jb;
static uint64_t sr_stack[1024] __attribute__((aligned(16)));
static unsigned char sr_fpu[512] __attribute__((aligned(64)));

static void sr_landing(void)
{
	siglongjmp(sr_jb, 1);
}

static void do_sigreturn_crafted(void)
{
	static uint64_t uc[64] __attribute__((aligned(16)));
	/* offsets in 8-byte words: flags 0, link 1, stack 2..4, mcontext 5..36,
	 * sigmask 37 */
	enum { R8 = 5, RDI = 13, RSP = 20, RIP = 21, EFL = 22, CSGSFSSS = 23, FPST = 28,
	       MASK = 37 };
	static const uint64_t rips[] = { NONCANON1, NONCANON2, NONCANON3, KERNADDR, 0,
					 0xffffffffffe00000UL, 0x00007ffffffff000UL };
	int r = (int)rn(100);

	tput("rt_sigreturn crafted");
	for (int i = 0; i < 64; i++)
		uc[i] = chance(50) ? 0 : rnd();
	uc[0] = chance(80) ? 0x6 : rnd();   /* UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
	uc[1] = 0;
	uc[2] = 0, uc[3] = 2 /* SS_DISABLE */, uc[4] = 0;
	if (r < 45) {
		uc[RIP] = (uint64_t)sr_landing;
		uc[RSP] = (uint64_t)&sr_stack[1000] - 8;
		tput(" rip=landing");
	} else {
		uc[RIP] = rips[rn(sizeof(rips) / sizeof(rips[0]))];
		uc[RSP] = chance(50) ? (uint64_t)&sr_stack[1000] - 8 : rnd();
		tput(" rip=");
		thex(uc[RIP]);
	}
	uc[EFL] = chance(80) ? 0x202 : rnd();
	if (chance(80))
		uc[CSGSFSSS] = 0x33 | (0x2bUL << 48);   /* cs, gs, fs, ss */
	r = (int)rn(100);
	if (r < 40) {
		uc[FPST] = 0;
	} else if (r < 80) {
		for (size_t i = 0; i < sizeof(sr_fpu); i++)
			sr_fpu[i] = chance(80) ? 0 : (unsigned char)rnd();
		uint32_t mxcsr = chance(50) ? 0x1f80 : (uint32_t)rnd();
		uint32_t mask = chance(50) ? 0 : (chance(50) ? 0xffff : (uint32_t)rnd());
		memcpy(sr_fpu + 24, &mxcsr, 4);
		memcpy(sr_fpu + 28, &mask, 4);
		uc[FPST] = (uint64_t)sr_fpu;
		tput(" fpstate mxcsr=");
		thex(mxcsr);
		tput(" mask=");
		thex(mask);
	} else {
		uc[FPST] = pick_addr();
	}
	uc[MASK] = sigset_value();
	if (uc[RIP] == (uint64_t)sr_landing)
		uc[EFL] &= ~0x40400UL;   /* no DF or AC under musl's string code */
	if (chance(20))
		uc[EFL] |= 0x100;   /* TF */
	tput(" eflags=");
	thex(uc[EFL]);
	tflush();
	if (sigsetjmp(sr_jb, 1) == 0) {
		__asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall\n\tud2"
				 : : "r"(uc) : "memory", "rax");
	}
	tput("rt_sigreturn came back");
	tflush();
}

/* an address the compiler cannot see through */
static uint64_t bad_ptr(uint64_t a)
{
	static volatile uint64_t v;
	v = a;
	return v;
}

static void do_special(void)
{
	int r = (int)rn(100);

	if (r < 30) {
		do_sigreturn_crafted();
	} else if (r < 40) {
		/* a garbage frame: random words where the ucontext should be
		 * (not the real stack: what that restores is not repeatable
		 * natively, and a RIP from it can run on forever, which with
		 * no preemption in the guest hangs the VM) */
		static uint64_t junk[80] __attribute__((aligned(16)));
		for (int i = 0; i < 80; i++)
			junk[i] = rnd();
		tput("rt_sigreturn garbage");
		tflush();
		__asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall\n\tud2"
				 : : "r"(junk) : "memory", "rax");
	} else if (r < 55) {
		/* a handler at a non-canonical address, then the signal */
		static const uint64_t h[] = { NONCANON3, NONCANON1, NONCANON2 };
		struct ksigaction ka = { h[rn(3)], SA_RESTORER | SA_SIGINFO,
					 (uint64_t)sf_restore_rt, 0 };
		int sig = chance(50) ? SIGUSR2 : 36;
		tput("noncanonical handler");
		thex(ka.handler);
		done(syscall(SYS_rt_sigaction, sig, &ka, NULL, 8));
		tput("raise");
		done(syscall(SYS_tkill, pid_self, sig));
	} else if (r < 75) {
		/* an alternate stack in memory that is not there, then a fault
		 * handled on it */
		stack_t ss = { 0 };
		int how = (int)rn(4);
		ss.ss_size = 16384;
		if (how == 0) {
			ss.ss_sp = (void *)(arena + rn(ARENA_PG - 4) * PG);
			syscall(SYS_munmap, ss.ss_sp, ss.ss_size);
			tput("altstack unmapped");
		} else if (how == 1) {
			ss.ss_sp = (void *)noneprot;
			ss.ss_size = PG;
			tput("altstack noneprot");
		} else if (how == 2) {
			ss.ss_sp = (void *)(NONCANON1 - 8192);
			tput("altstack below-noncanonical");
		} else {
			ss.ss_sp = (void *)(rdonly);
			ss.ss_size = PG;
			tput("altstack rdonly");
		}
		done(syscall(SYS_sigaltstack, &ss, NULL));
		install_fault_handler(1);
		tput("fault on altstack");
		fault_sig = 0;
		if (sigsetjmp(fault_jb, 1) == 0) {
			fault_armed = 1;
			*(volatile int *)bad_ptr(8) = 1;
		}
		fault_armed = 0;
		tput(" handled");
		tflush();
	} else if (r < 85) {
		/* an alternate stack in one of its mappings, then a fault on it */
		stack_t ss = { 0 };
		ss.ss_sp = (void *)pick_region_addr();
		ss.ss_size = 8192;
		ss.ss_flags = chance(50) ? 0 : SS_AUTODISARM;
		tput("altstack");
		done(syscall(SYS_sigaltstack, &ss, NULL));
		install_fault_handler(1);
		tput("fault on altstack");
		if (sigsetjmp(fault_jb, 1) == 0) {
			fault_armed = 1;
			*(volatile int *)bad_ptr(NONCANON1) = 1;
		}
		fault_armed = 0;
		tput(" handled");
		tflush();
	} else if (r < 92) {
		/* a signal whose default is to end the process */
		static const int deadly[] = { SIGTERM, SIGUSR1, SIGALRM, SIGPIPE, SIGHUP };
		struct ksigaction ka = { (uint64_t)SIG_DFL, SA_RESTORER, (uint64_t)sf_restore_rt,
					 0 };
		int sig = deadly[rn(5)];
		syscall(SYS_rt_sigaction, sig, &ka, NULL, 8);
		tput("deadly");
		tnum(sig);
		done(syscall(SYS_kill, pid_self, sig));
	} else {
		/* the fault signals blocked: the next fault kills */
		uint64_t set = (1UL << (SIGSEGV - 1)) | (1UL << (SIGBUS - 1));
		tput("block SEGV then fault");
		done(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8));
		*(volatile int *)bad_ptr(16) = 1;
	}
}

static void fuzz_one(void)
{
	int r = (int)rn(1000);

	if (r < 120)
		do_mmap();
	else if (r < 190)
		do_munmap();
	else if (r < 260)
		do_mprotect();
	else if (r < 330)
		do_mremap();
	else if (r < 350)
		do_brk();
	else if (r < 400)
		do_madvise();
	else if (r < 430)
		do_mincore();
	else if (r < 460)
		do_msync();
	else if (r < 500)
		do_mlock();
	else if (r < 540)
		do_sigaction();
	else if (r < 570)
		do_sigprocmask();
	else if (r < 600)
		do_sigaltstack();
	else if (r < 630)
		do_kill();
	else if (r < 660)
		do_rlimit();
	else if (r < 675)
		do_fork();
	else if (r < 695)
		do_wait();
	else if (r < 715)
		do_pipe();
	else if (r < 750)
		do_open();
	else if (r < 800)
		do_rw();
	else if (r < 830)
		do_file_misc();
	else if (r < 996)
		do_touch();
	else
		do_special();
}

static __attribute__((noinline)) void count_call(void)
{
	/* the counter's page may be gone or read-only by now */
	if (sigsetjmp(fault_jb, 1) == 0) {
		fault_armed = 1;
		(*progress)++;
	}
	fault_armed = 0;
}

static void fuzz_ops(int n)
{
	for (int i = 0; i < n; i++) {
		fuzz_one();
		if (depth == 0 && progress)
			count_call();
	}
}

static void setup(void)
{
	arena = (uint64_t)mmap(NULL, ARENA_PG * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			       MAP_NORESERVE, -1, 0);
	noneprot = (uint64_t)mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rdonly = (uint64_t)mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == (uint64_t)MAP_FAILED || noneprot == (uint64_t)MAP_FAILED ||
	    rdonly == (uint64_t)MAP_FAILED)
		_exit(100);
	/* a few ordinary mappings to start from */
	for (int i = 0; i < 4; i++) {
		uint64_t a = arena + (uint64_t)(i * 32) * PG;
		mmap((void *)a, 8 * PG, PROT_READ | PROT_WRITE,
		     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		add_region(a, 8 * PG);
	}
	add_region(noneprot, PG);
	install_fault_handler(0);
	/* the signals it sends itself start out handled */
	static const int handled_sigs[] = { SIGUSR1, SIGUSR2, 35, 36, 38, 64, SIGPIPE, SIGALRM };
	struct ksigaction ka = { (uint64_t)on_signal, SA_SIGINFO | SA_RESTORER,
				 (uint64_t)sf_restore_rt, 0 };
	for (size_t i = 0; i < sizeof(handled_sigs) / sizeof(handled_sigs[0]); i++)
		syscall(SYS_rt_sigaction, handled_sigs[i], &ka, NULL, 8);
	pid_self = (int)syscall(SYS_getpid);
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
}

static const char *signame(int sig)
{
	static char b[16];
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGTERM: return "SIGTERM";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGALRM: return "SIGALRM";
	case SIGPIPE: return "SIGPIPE";
	case SIGHUP: return "SIGHUP";
	case SIGXFSZ: return "SIGXFSZ";
	case SIGSYS: return "SIGSYS";
	}
	snprintf(b, sizeof(b), "signal %d", sig);
	return b;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sysfuzz SEED COUNT [DIR [trace]]\n");
		return 2;
	}
	uint64_t seed = strtoull(argv[1], NULL, 0);
	long count = strtol(argv[2], NULL, 0);
	if (argc > 3)
		dir = argv[3];
	tracing = argc > 4 && strcmp(argv[4], "trace") == 0;
	prctl(PR_SET_CHILD_SUBREAPER, 1);   /* orphans come back here natively too */

	volatile uint64_t *shared = mmap(NULL, PG, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		printf("mmap shared: %s\n", strerror(errno));
		return 1;
	}
	int batches = (int)((count + BATCH - 1) / BATCH);
	int bad = 0;
	for (int b = 0; b < batches; b++) {
		int n = count - (long)b * BATCH < BATCH ? (int)(count - (long)b * BATCH) : BATCH;
		*shared = 0;
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			printf("batch %d: fork: %s\n", b, strerror(errno));
			bad = 1;
			break;
		}
		if (pid == 0) {
			rs = seed;
			rs = rnd() ^ ((uint64_t)b << 32);
			rs = rnd();
			progress = shared;
			setup();
			fuzz_ops(n);
			/* reap its own children before it goes */
			while (syscall(SYS_wait4, -1, NULL, 0, NULL) > 0 || errno == EINTR)
				;
			syscall(SYS_exit_group, 0);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		/* orphans of a child that was killed */
		while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
			;
		if (WIFEXITED(st))
			printf("batch %d: exit %d after %lu calls\n", b, WEXITSTATUS(st),
			       (unsigned long)*shared);
		else if (WIFSIGNALED(st))
			printf("batch %d: killed by %s after %lu calls\n", b, signame(WTERMSIG(st)),
			       (unsigned long)*shared);
		else
			printf("batch %d: status %#x\n", b, st);
		for (int i = 0; i < NFILES; i++) {
			char p[300];
			path_of(p, sizeof(p), i);
			unlink(p);
		}
	}
	printf("sysfuzz %s %ld: %d batches done\n", argv[1], count, batches);
	return bad;
}
