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
#include <sys/wait.h>
#include <unistd.h>

#include "observe.h"

#include "mm_common.h"
/* ---- mm_random ---- */
#define WP 64        /* window pages */
#define FP 40        /* pages of mm_random.dat (shared mappings, pread/pwrite) */
#define RP 40        /* pages of mm_random.ro (private mappings only, never written) */
#define RW (PROT_READ | PROT_WRITE)

enum { T_NONE, T_ANON, T_SHANON, T_SHFILE, T_PRFILE };

static uint64_t digest = 0xcbf29ce484222325ULL;   /* FNV-1a 64 */
static uint64_t rng;
static char *win;
static int seg[WP], typ[WP], next_id = 1;
static int fd_dat, fd_ro, trace, forks;
static long n_segv, n_bus, n_err;
static char line[200];

static void mixb(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		digest ^= b[i];
		digest *= 0x100000001b3ULL;
	}
}

static void mix(long v)
{
	mixb(&v, sizeof(v));
}

static unsigned rnd(unsigned n)   /* xorshift64*, uniform enough */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

/* Records a system call's result: the value (or offset in the window for
 * addresses) or the errno. */
static long rec(long r, int is_addr)
{
	long v = r;
	if (r == -1) {
		v = -1000 - errno;
		n_err++;
	} else if (is_addr) {
		v = (char *)r >= win && (char *)r < win + WP * PG ? ((char *)r - win) : -1;
	}
	mix(v);
	if (trace) {
		if (r == -1)
			printf("%s: -1 %s\n", line, errname(errno));
		else
			printf("%s: %ld\n", line, v);
	}
	return r;
}

static void refresh(int a, int n)   /* the range may have become VMAs of its own */
{
	int map[WP] = { 0 };
	for (int i = a; i < a + n; i++)
		if (seg[i]) {
			if (!map[i - a]) {
				int old = seg[i], fresh = next_id++;
				for (int k = i; k < a + n; k++)
					if (seg[k] == old) {
						seg[k] = fresh;
						map[k - a] = 1;
					}
			}
		}
}

static void set_range(int a, int n, int id, int t)
{
	for (int i = a; i < a + n; i++) {
		seg[i] = id;
		typ[i] = id ? t : T_NONE;
	}
}

static const int prots[] = { PROT_NONE, PROT_READ, RW, PROT_WRITE, PROT_READ | PROT_EXEC,
			     RW | PROT_EXEC, RW, RW };

static void pick(int *a, int *n)
{
	*a = (int)rnd(WP);
	int max = WP - *a, want = rnd(8) == 0 ? 1 + (int)rnd(24) : 1 + (int)rnd(6);
	*n = want < max ? want : max;
}

static void op_mmap(int kind)
{
	int a, n, prot = prots[rnd(8)], flags = MAP_FIXED, fd = -1, t;
	long off = 0;
	pick(&a, &n);
	if (kind == 0) {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		t = T_ANON;
	} else if (kind == 1) {
		flags |= MAP_SHARED | MAP_ANONYMOUS;
		t = T_SHANON;
	} else if (kind == 2) {
		flags |= MAP_SHARED;
		fd = fd_dat;
		off = (long)rnd(FP + 4) * PG;
		t = T_SHFILE;
	} else {
		flags |= MAP_PRIVATE;
		fd = fd_ro;
		off = (long)rnd(RP + 4) * PG;
		t = T_PRFILE;
	}
	unsigned x = rnd(16);
	if (x == 0)
		flags |= MAP_POPULATE;
	else if (x == 1)
		flags |= MAP_LOCKED;
	else if (x == 2)
		flags |= MAP_NORESERVE;
	else if (x < 6)
		flags = (flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE;
	snprintf(line, sizeof(line), "mmap %d+%d type %d prot %d flags %#x off %ld", a, n, t, prot,
		 flags, off / (long)PG);
	if (rec(syscall(SYS_mmap, win + a * PG, n * PG, prot, flags, fd, off), 1) != -1)
		set_range(a, n, next_id++, t);
}

static void op_munmap(void)
{
	int a, n;
	pick(&a, &n);
	snprintf(line, sizeof(line), "munmap %d+%d", a, n);
	if (rec(munmap(win + a * PG, n * PG), 0) == 0)
		set_range(a, n, 0, T_NONE);
}

static void op_mprotect(void)
{
	int a, n, prot = prots[rnd(8)];
	pick(&a, &n);
	snprintf(line, sizeof(line), "mprotect %d+%d prot %d", a, n, prot);
	rec(mprotect(win + a * PG, n * PG, prot), 0);
	refresh(a, n);
}

static void op_mremap(void)
{
	int p = (int)rnd(WP), v = (int)rnd(10);
	long r;
	if (v == 0 || !seg[p]) {   /* cases that fail the same way whatever the VMAs are */
		int w = (int)rnd(4), re = p;
		if (seg[p])
			while (re < WP && seg[re] == seg[p])
				re++;
		if (!seg[p] || w == 0) {   /* starts in a hole (EFAULT) or grows across one */
			if (seg[p] && (re == WP || seg[re]))
				w = 1;
			else {
				int ol = seg[p] ? re - p + 1 : 1;
				if (p + ol + 1 > WP)
					return;
				snprintf(line, sizeof(line), "mremap %d+%d -> %d (hole)", p, ol, ol + 1);
				rec(syscall(SYS_mremap, win + p * PG, ol * PG, (ol + 1) * PG, 0, NULL), 1);
				return;
			}
		}
		if (w == 1) {
			snprintf(line, sizeof(line), "mremap %d+1 fixed onto itself", p);
			rec(syscall(SYS_mremap, win + p * PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED,
				    win + p * PG), 1);
		} else if (w == 2) {
			snprintf(line, sizeof(line), "mremap %d unaligned", p);
			rec(syscall(SYS_mremap, win + p * PG + 8, PG, 2 * PG, 0, NULL), 1);
		} else {
			snprintf(line, sizeof(line), "mremap %d to length 0", p);
			rec(syscall(SYS_mremap, win + p * PG, PG, 0, 0, NULL), 1);
		}
		return;
	}
	/* A range inside one run of the model: one VMA on any kernel. */
	int rs = p, re = p;
	while (rs > 0 && seg[rs - 1] == seg[p])
		rs--;
	while (re < WP && seg[re] == seg[p])
		re++;
	int a = rs + (int)rnd(re - rs);
	int ol = 1 + (int)rnd(re - a), t = typ[a], id = seg[a];
	if (v <= 3) {   /* shrink in place */
		if (ol == 1)
			return;
		int nl = 1 + (int)rnd(ol - 1);
		snprintf(line, sizeof(line), "mremap %d+%d -> %d", a, ol, nl);
		if (rec(syscall(SYS_mremap, win + a * PG, ol * PG, nl * PG, 0, NULL), 1) != -1)
			set_range(a + nl, ol - nl, 0, T_NONE);
	} else if (v <= 6) {   /* grow in place, or ENOMEM */
		int room = WP - a - ol;
		if (t == T_SHANON || room < 1)
			return;
		int nl = ol + 1 + (int)rnd(room < 8 ? room : 8);
		snprintf(line, sizeof(line), "mremap %d+%d -> %d", a, ol, nl);
		if (rec(syscall(SYS_mremap, win + a * PG, ol * PG, nl * PG, 0, NULL), 1) != -1)
			set_range(a + ol, nl - ol, id, t);
	} else {   /* move to a fixed place, maybe resized */
		int nl = ol;
		if (t != T_SHANON && rnd(3) == 0)
			nl = ol + 1 + (int)rnd(4);
		else if (ol > 1 && rnd(3) == 0)
			nl = 1 + (int)rnd(ol - 1);
		if (nl > WP)
			return;
		int to = (int)rnd(WP - nl + 1);
		int overlap = to < a + ol && a < to + nl;
		snprintf(line, sizeof(line), "mremap %d+%d -> %d fixed at %d", a, ol, nl, to);
		r = rec(syscall(SYS_mremap, win + a * PG, ol * PG, nl * PG,
				MREMAP_MAYMOVE | MREMAP_FIXED, win + to * PG), 1);
		if (r != -1 && !overlap) {
			set_range(a, ol, 0, T_NONE);
			set_range(to, nl, next_id++, t);
		}
	}
}

static void op_madvise(void)
{
	static const int adv[] = { MADV_DONTNEED, MADV_DONTNEED, MADV_DONTNEED, MADV_WILLNEED,
				   MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, 12345 };
	int a, n, k = (int)rnd(8);
	pick(&a, &n);
	snprintf(line, sizeof(line), "madvise %d+%d advice %d", a, n, adv[k]);
	rec(syscall(SYS_madvise, win + a * PG, n * PG, adv[k]), 0);
	if (k >= 4)
		refresh(a, n);
}

static void op_msync(void)
{
	static const int fl[] = { MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_SYNC | MS_INVALIDATE,
				  MS_ASYNC | MS_SYNC };
	int a, n, k = (int)rnd(5);
	pick(&a, &n);
	snprintf(line, sizeof(line), "msync %d+%d flags %d", a, n, fl[k]);
	rec(msync(win + a * PG, n * PG, fl[k]), 0);
}

static void op_mlock(void)
{
	int a, n, k = (int)rnd(3);
	pick(&a, &n);
	snprintf(line, sizeof(line), "%s %d+%d", k == 0 ? "mlock" : k == 1 ? "munlock" : "mlock2 onfault", a, n);
	if (k == 0)
		rec(mlock(win + a * PG, n * PG), 0);
	else if (k == 1)
		rec(munlock(win + a * PG, n * PG), 0);
	else
		rec(syscall(SYS_mlock2, win + a * PG, n * PG, MLOCK_ONFAULT), 0);
	refresh(a, n);
}

static void op_touch(void)
{
	int p = (int)rnd(WP), w = (int)rnd(2);
	unsigned off = rnd(PG), v = rnd(256);
	unsigned char got = 0;
	const char *r = touch(win + p * PG + off, w, (unsigned char)v, &got);
	if (r[0] == 'o') {
		mix(w ? 0 : got);
	} else {
		mix(fault_sig);
		mix(fault_code);
		mix(fault_addr == win + p * PG + off);
		if (fault_sig == SIGSEGV)
			n_segv++;
		else
			n_bus++;
	}
	if (trace)
		printf("%s %d:%u: %s %u\n", w ? "write" : "read", p, off, r, w ? v : got);
	line[0] = 'x';
}

static void op_file(void)
{
	static unsigned char buf[512];
	unsigned len = 1 + rnd(sizeof(buf));
	long off = (long)rnd(FP * PG - len);
	if (rnd(2)) {
		for (unsigned i = 0; i < len; i++)
			buf[i] = (unsigned char)rnd(256);
		snprintf(line, sizeof(line), "pwrite %ld+%u", off, len);
		rec(pwrite(fd_dat, buf, len, off), 0);
	} else {
		snprintf(line, sizeof(line), "pread %ld+%u", off, len);
		if (rec(pread(fd_dat, buf, len, off), 0) > 0)
			mixb(buf, len);
	}
}

static void op_mincore(void)
{
	static unsigned char vec[WP];
	int a, n;
	pick(&a, &n);
	snprintf(line, sizeof(line), "mincore %d+%d", a, n);
	rec(syscall(SYS_mincore, win + a * PG, n * PG, vec), 0);   /* residency itself is not compared */
}

static int make(const char *path, int pages, int flags)
{
	static unsigned char page[4096];
	unlink(path);
	int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
	for (int i = 0; i < pages; i++) {
		for (size_t k = 0; k < PG; k++)
			page[k] = (unsigned char)rnd(256);
		if (write(fd, page, PG) != (ssize_t)PG)
			printf("write %s: %s\n", path, errname(errno));
	}
	close(fd);
	return open(path, flags);
}

static uint64_t win_hash(void)   /* every window page as a reader sees it, or its fault */
{
	uint64_t saved = digest, h;
	digest = 0xcbf29ce484222325ULL;
	for (int p = 0; p < WP; p++) {
		const char *r = touch(win + p * PG, 0, 0, NULL);
		if (r[0] == 'o')
			mixb(win + p * PG, PG);
		else
			mix(fault_sig * 100 + fault_code);
	}
	h = digest;
	digest = saved;
	return h;
}

static void one_step(void);

/* "fork": a child does FORK_OPS steps of its own on its copy (shared
 * mappings and the file are shared with the parent), hashes them and its
 * window, and sends the hash; the parent waits, then folds the hash and
 * the exit status into its digest, and goes on with whatever the child
 * left in shared memory and the file. */
#define FORK_EVERY 200
#define FORK_OPS 25
static void op_fork(void)
{
	int fds[2];
	uint64_t h = 0;
	if (pipe(fds) != 0) {
		rec(-1, 0);
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		trace = 0;   /* the parent prints */
		digest = 0xcbf29ce484222325ULL;
		rng ^= 0x5DEECE66DULL;   /* not the parent's next steps */
		for (int i = 0; i < FORK_OPS; i++)
			one_step();
		h = digest ^ win_hash();
		_exit(write(fds[1], &h, sizeof(h)) == (ssize_t)sizeof(h) ? 0 : 1);
	}
	close(fds[1]);
	int st = 0;
	long w = pid > 0 ? (waitpid(pid, &st, 0) == pid ? 0 : -1) : -1;
	long r = read(fds[0], &h, sizeof(h));
	close(fds[0]);
	mix(w);
	mix(st);
	mix(r);
	mixb(&h, sizeof(h));
	if (trace)
		printf("fork: wait %ld, status %#x, child's hash %016llx\n", w, st, (unsigned long long)h);
}

static void one_step(void)
{
	unsigned r = rnd(100);
	mix(r);
	if (r < 10)
		op_mmap(0);
	else if (r < 13)
		op_mmap(1);
	else if (r < 20)
		op_mmap(2);
	else if (r < 27)
		op_mmap(3);
	else if (r < 34)
		op_munmap();
	else if (r < 42)
		op_mprotect();
	else if (r < 52)
		op_mremap();
	else if (r < 58)
		op_madvise();
	else if (r < 62)
		op_msync();
	else if (r < 65)
		op_mlock();
	else if (r < 68)
		op_mincore();
	else if (r < 92)
		op_touch();
	else
		op_file();
}

int main(int argc, char **argv)
{
	char dat[512], ro[512];
	if (argc < 3) {
		fprintf(stderr, "usage: mm_random SEED STEPS [DIR [trace] [fork]]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned long seed = strtoul(argv[1], NULL, 0);
	long steps = strtol(argv[2], NULL, 0);
	const char *dir = argc > 3 ? argv[3] : "tmp";
	for (int i = 4; i < argc; i++) {
		trace |= !strcmp(argv[i], "trace");
		forks |= !strcmp(argv[i], "fork");
	}
	rng = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
	rnd(2);
	catch_faults();
	snprintf(dat, sizeof(dat), "%s/mm_random.dat", dir);
	snprintf(ro, sizeof(ro), "%s/mm_random.ro", dir);
	fd_dat = make(dat, FP, O_RDWR);
	fd_ro = make(ro, RP, O_RDONLY);
	char *res = reserve(WP + 32);
	win = res + 16 * PG;   /* guard pages (PROT_NONE) on both sides, the window itself a hole */
	if (munmap(win, WP * PG) != 0)
		printf("munmap window: %s\n", errname(errno));
	printf("mm_random seed %lu steps %ld%s\n", seed, steps, forks ? " fork" : "");

	for (long s = 1; s <= steps; s++) {
		if (trace)
			printf("[%ld] ", s);
		one_step();
		if (trace && line[0] == 0)
			printf("nothing to do\n");
		line[0] = 0;
		if (forks && s % FORK_EVERY == 0)
			op_fork();
		if (s % 1000 == 0)
			printf("step %ld digest %016llx\n", s, (unsigned long long)digest);
	}

	/* Final state: every window page as a reader sees it, and the file. */
	uint64_t ev = digest;
	uint64_t memd = win_hash();
	digest = 0xcbf29ce484222325ULL;
	static unsigned char all[FP * 4096 + 1];
	long got = pread(fd_dat, all, sizeof(all), 0);
	mix(got);
	if (got > 0)
		mixb(all, (size_t)got);
	printf("events %016llx memory %016llx file %016llx\n", (unsigned long long)ev,
	       (unsigned long long)memd, (unsigned long long)digest);
	printf("faults: SIGSEGV %ld SIGBUS %ld; failed calls %ld\n", n_segv, n_bus, n_err);
	munmap(res, (WP + 32) * PG);
	close(fd_dat);
	close(fd_ro);
	unlink(dat);
	unlink(ro);
	return 0;
}
