#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "observe.h"

#include "mm_common.h"
/* ---- mm_fork ----
 * Children never print: they report lines through a pipe (say()) that the
 * parent prints, so the output's order does not depend on scheduling. The
 * only synchronisation is wait and pipes (the guest does not preempt). */
#define RW (PROT_READ | PROT_WRITE)
#define SHANON (MAP_SHARED | MAP_ANONYMOUS)
#define PRANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define BIG (200 * 1024)

static int res_w = -1, res_r = -1, go[2];   /* child -> parent lines; parent -> child "go" */
static pid_t parent_pid;
static volatile int *shm;                   /* a shared anonymous page for pids */

static const char *signame(int sig)
{
	switch (sig) {
	case 0: return "0";
	case SIGKILL: return "SIGKILL";
	case SIGABRT: return "SIGABRT";
	case SIGPIPE: return "SIGPIPE";
	case SIGCHLD: return "SIGCHLD";
	}
	return sig_name(sig);
}

static const char *cld_name(int code)
{
	static char b[16];
	switch (code) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	}
	snprintf(b, sizeof(b), "%d", code);
	return b;
}

static const char *how(int st)
{
	static char b[48];
	if (WIFEXITED(st))
		snprintf(b, sizeof(b), "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(b, sizeof(b), "killed by %s", signame(WTERMSIG(st)));
	else
		snprintf(b, sizeof(b), "status %#x", st);
	return b;
}

/* Child: one line to the parent. */
static void say(const char *fmt, ...)
{
	char b[200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof(b) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(b) - 2)
		n = sizeof(b) - 2;
	b[n++] = '\n';
	if (write(res_w, b, n) != n)
		_exit(99);
}

static void ctouch(const char *what, void *p, int w)
{
	unsigned char v = 0;
	const char *r = touch(p, w, 0x77, &v);
	if (r[0] == 'o' && !w)
		say("%s: read %u", what, v);
	else
		say("%s: %s", what, r);
}

static void wait_go(void)
{
	char c;
	if (read(go[0], &c, 1) != 1)
		_exit(98);
}

static void send_go(void)
{
	if (write(go[1], "g", 1) != 1)
		printf("send go: -1 %s\n", errname(errno));
}

/* fork; the child runs fn(arg) and _exits with what it returns. */
static pid_t spawn(int (*fn)(void *), void *arg)
{
	int r[2];
	if (pipe(r) || pipe(go)) {
		printf("pipe: -1 %s\n", errname(errno));
		exit(1);
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(r[0]);
		close(go[1]);
		res_w = r[1];
		_exit(fn(arg));
	}
	close(r[1]);
	close(go[0]);
	res_r = r[0];
	if (pid < 0)
		show("fork", -1);
	return pid;
}

/* Parent: prints one of the child's lines; 0 at EOF. */
static int relay_line(void)
{
	char b[256];
	size_t n = 0;
	while (n < sizeof(b) - 1 && read(res_r, b + n, 1) == 1 && b[n] != '\n')
		n++;
	if (!n)
		return 0;
	b[n] = 0;
	printf("  child: %s\n", b);
	return 1;
}

/* Parent: reaps the child (pid > 0), then prints the rest of its lines;
 * the status. Waiting first: see kill_eof(). */
static int finish(pid_t pid)
{
	int st = 0;
	if (pid > 0 && waitpid(pid, &st, 0) != pid)
		printf("waitpid: -1 %s\n", errname(errno));
	while (relay_line())
		;
	close(res_r);
	close(go[1]);
	return st;
}

static int c_ids(void *a)
{
	(void)a;
	shm[0] = getpid();
	shm[1] = getppid();
	return 7;
}

static int c_ret(void *a)
{
	return (int)(long)a;
}

static int c_block(void *a)
{
	say("blocks reading a pipe");
	wait_go();
	return (int)(long)a;
}

static void on_term(int sig)
{
	(void)sig;
	_exit(42);
}

static int c_term_handler(void *a)
{
	signal(SIGTERM, on_term);
	return c_block(a);
}

static int c_store(void *a)
{
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	*(volatile char *)a = 1;
	return 0;
}

static int c_abort(void *a)
{
	(void)a;
	abort();
}

static void show_si(const char *what, long r, siginfo_t *si, pid_t pid)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, errname(errno));
	else
		printf("%s: %ld, si_pid %s, si_signo %s, si_code %s, si_status %d\n", what, r,
		       si->si_pid == pid ? "the child" : si->si_pid == 0 ? "0" : "WRONG",
		       signame(si->si_signo), si->si_code ? cld_name(si->si_code) : "0",
		       si->si_status);
}

static void fork_and_wait(void)
{
	siginfo_t si;
	int st = 0;
	printf("== fork, wait4, waitid\n");
	pid_t pid = spawn(c_ids, NULL);
	printf("fork returns > 0 in the parent: %s\n", pid > 0 ? "yes" : "no");
	finish(0);
	pid_t w = waitpid(pid, &st, 0);
	printf("waitpid returns the child's pid: %s\n", w == pid ? "yes" : "no");
	printf("child getpid == fork return: %s\n", shm[0] == pid ? "yes" : "no");
	printf("child getppid == parent getpid: %s\n", shm[1] == parent_pid ? "yes" : "no");
	printf("WIFEXITED %d WEXITSTATUS %d WIFSIGNALED %d\n", !!WIFEXITED(st), WEXITSTATUS(st),
	       !!WIFSIGNALED(st));
	show("waitpid(reaped child, WNOHANG)", waitpid(pid, &st, WNOHANG));
	show("waitpid(-1, WNOHANG), no children", waitpid(-1, &st, WNOHANG));
	show("wait4(-1), no children", wait4(-1, &st, 0, NULL));
	show("waitpid(own pid)", waitpid(getpid(), &st, 0));
	show("waitpid(-1, options 0x100)", waitpid(-1, &st, 0x100));

	pid = spawn(c_block, (void *)4);
	relay_line();
	show("waitpid(child, WNOHANG) while it blocks", waitpid(pid, &st, WNOHANG));
	show("waitpid(-1, WNOHANG) while it blocks", waitpid(-1, &st, WNOHANG));
	memset(&si, 0, sizeof(si));
	show_si("waitid(P_ALL, WEXITED|WNOHANG) while it blocks", waitid(P_ALL, 0, &si, WEXITED | WNOHANG),
		&si, pid);
	send_go();
	finish(0);
	w = waitpid(-1, &st, 0);
	printf("waitpid(-1) returns the child: %s, %s\n", w == pid ? "yes" : "no", how(st));

	pid = spawn(c_ret, (void *)5);
	finish(0);
	memset(&si, 0, sizeof(si));
	show_si("waitid(P_PID, WEXITED|WNOWAIT)", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), &si, pid);
	memset(&si, 0, sizeof(si));
	show_si("waitid(P_ALL, WEXITED)", waitid(P_ALL, 0, &si, WEXITED), &si, pid);
	show_si("waitid(P_ALL, WEXITED|WNOHANG), none left", waitid(P_ALL, 0, &si, WEXITED | WNOHANG),
		&si, pid);
	show_si("waitid(P_ALL, 0)", waitid(P_ALL, 0, &si, 0), &si, pid);
	pid = spawn(c_block, NULL);
	relay_line();
	show("kill(child, SIGKILL)", kill(pid, SIGKILL));
	memset(&si, 0, sizeof(si));
	show_si("waitid(P_PID, WEXITED)", waitid(P_PID, pid, &si, WEXITED), &si, pid);
	finish(0);
}

static void killed(const char *what, int (*fn)(void *), void *arg, int sig)
{
	pid_t pid = spawn(fn, arg);
	if (sig) {
		relay_line();
		show("kill", kill(pid, sig));
	}
	int st = finish(pid);
	printf("%s: %s (WIFSIGNALED %d WTERMSIG %d)\n", what, how(st), !!WIFSIGNALED(st),
	       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Before fork p[0] = 1; after it the parent stores p[0] = 5, p[PG] = 3 and
 * lets the child go, which reads them and stores p[1] = 9, p[2 * PG] = 2. */
static int c_share(void *a)
{
	volatile unsigned char *p = a;
	wait_go();
	say("reads p[0] %u, p[PG] %u", p[0], p[PG]);
	p[1] = 9;
	p[2 * PG] = 2;
	say("reads back its stores: %u %u", p[1], p[2 * PG]);
	return 0;
}

static void share(const char *what, void *a)
{
	volatile unsigned char *p = a;
	printf("-- %s\n", what);
	if (!a)
		return;
	p[0] = 1;
	pid_t pid = spawn(c_share, a);
	p[0] = 5;
	p[PG] = 3;
	send_go();
	int st = finish(pid);
	printf("  parent reads p[0] %u, p[1] %u, p[PG] %u, p[2*PG] %u; child %s\n", p[0], p[1], p[PG],
	       p[2 * PG], how(st));
}

static int c_unmap(void *a)
{
	char *p = a;
	say("munmap page 0: %d", munmap(p, PG));
	say("mprotect page 1 PROT_NONE: %d", mprotect(p + PG, PG, PROT_NONE));
	ctouch("read page 0", p, 0);
	ctouch("read page 1", p + PG, 0);
	ctouch("write page 2", p + 2 * PG, 1);
	ctouch("read page 2", p + 2 * PG, 0);
	return 0;
}

static int c_after(void *a)
{
	char *p = a;
	wait_go();
	ctouch("read page 0", p, 0);
	ctouch("read page 1", p + PG, 0);
	ctouch("write page 1", p + PG, 1);
	ctouch("read page 2", p + 2 * PG, 0);
	return 0;
}

static void coherence(void)
{
	printf("== munmap/mprotect after fork\n");
	char *p = mm("private anon 3 pages", NULL, NULL, 3 * PG, RW, PRANON, -1, 0);
	memset(p, 0x42, 3 * PG);
	finish(spawn(c_unmap, p));
	rd("parent reads page 0", p);
	rd("parent reads page 1", p + PG);
	rd("parent reads page 2", p + 2 * PG);
	munmap(p, 3 * PG);
	for (int shared = 0; shared < 2; shared++) {
		p = mm(shared ? "shared anon 3 pages" : "private anon 3 pages", NULL, NULL, 3 * PG, RW,
		       shared ? SHANON : PRANON, -1, 0);
		memset(p, 0x42, 3 * PG);
		pid_t pid = spawn(c_after, p);
		show("parent munmap page 0", munmap(p, PG));
		show("parent mprotect page 1 PROT_NONE", mprotect(p + PG, PG, PROT_NONE));
		p[2 * PG] = 0x43;
		rd("parent reads page 0", p);
		rd("parent reads page 1", p + PG);
		printf("child goes on (parent stored 0x43 in page 2)\n");
		send_go();
		finish(pid);
		rd("parent reads page 2", p + 2 * PG);
		munmap(p, 3 * PG);
	}

	printf("== MADV_DONTFORK\n");
	p = mm("private anon 3 pages", NULL, NULL, 3 * PG, RW, PRANON, -1, 0);
	memset(p, 7, 3 * PG);
	show("madvise page 0 DONTFORK", madvise(p, PG, MADV_DONTFORK));
	show("madvise page 2 DONTFORK", madvise(p + 2 * PG, PG, MADV_DONTFORK));
	show("madvise page 2 DOFORK", madvise(p + 2 * PG, PG, MADV_DOFORK));
	pid_t pid = spawn(c_after, p);
	send_go();
	finish(pid);
	rd("parent reads page 0", p);
	munmap(p, 3 * PG);
}

/* The child shortens a file both map to one page and punches pages 1..2
 * of a shared anonymous mapping both have: the parent's mappings see
 * both changes, as they would had the parent made them. */
static struct {
	int fd;
	char *anon;
} cut;

static int c_cut(void *a)
{
	(void)a;
	say("ftruncate the file to 1 page: %d", ftruncate(cut.fd, PG));
	say("MADV_REMOVE shared anon pages 1..2: %s",
	    madvise(cut.anon + PG, 2 * PG, MADV_REMOVE) ? errname(errno) : "0");
	return 0;
}

static void cuts(const char *dir)
{
	char path[512], page[PG];
	printf("== truncate and MADV_REMOVE in another process\n");
	snprintf(path, sizeof(path), "%s/mm_fork.cut", dir);
	cut.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(page, 'C', PG);
	for (int i = 0; i < 3; i++)
		if (write(cut.fd, page, PG) != (ssize_t)PG)
			printf("write %s: -1 %s\n", path, errname(errno));
	char *f = mm("shared file 3 pages", NULL, NULL, 3 * PG, RW, MAP_SHARED, cut.fd, 0);
	cut.anon = mm("shared anon 4 pages", NULL, NULL, 4 * PG, RW, SHANON, -1, 0);
	if (!f || !cut.anon)
		return;
	memset(cut.anon, 0x5a, 4 * PG);
	rd("parent reads file page 2", f + 2 * PG);
	printf("child %s\n", how(finish(spawn(c_cut, NULL))));
	rd("parent reads file page 0", f);
	rd("parent reads file page 1", f + PG);
	rd("parent reads file page 2", f + 2 * PG);
	for (int i = 0; i < 4; i++) {
		char what[40];
		snprintf(what, sizeof(what), "parent reads anon page %d", i);
		rd(what, cut.anon + i * PG);
	}
	munmap(f, 3 * PG);
	munmap(cut.anon, 4 * PG);
	close(cut.fd);
	unlink(path);
}

static unsigned char patt(long i)
{
	return (unsigned char)(i * 7 + i / 4099);
}

static int c_bigw(void *a)
{
	static unsigned char b[8192];
	int fd = (int)(long)a;
	for (long i = 0, n; i < BIG; i += n) {
		n = 1 + (i * 13) % 8191;
		if (n > BIG - i)
			n = BIG - i;
		for (long k = 0; k < n; k++)
			b[k] = patt(i + k);
		if (write(fd, b, n) != n)
			return 1;
	}
	return 0;
}

static int c_bigr(void *a)
{
	static unsigned char b[5000];
	int *d = a, ok = 1;
	long got = 0, n;
	uint32_t h = 2166136261u;
	close(d[1]);
	while ((n = read(d[0], b, sizeof(b))) > 0)
		for (long k = 0; k < n; k++, got++) {
			ok &= b[k] == patt(got);
			h = (h ^ b[k]) * 16777619u;
		}
	say("read %ld bytes, then %ld; pattern %s, hash %08x", got, n, ok ? "ok" : "mismatch", h);
	return 0;
}

static int c_sigpipe(void *a)
{
	int *d = a;
	signal(SIGPIPE, SIG_DFL);
	close(d[0]);
	wait_go();
	say("write: %ld", (long)write(d[1], "x", 1));
	return 0;
}

static void pipes(void)
{
	static unsigned char b[65536 + 17];
	int d[2];
	printf("== pipes\n");
	if (pipe(d))
		return;
	pid_t pid = spawn(c_bigw, (void *)(long)d[1]);
	close(d[1]);
	long got = 0, n;
	int ok = 1;
	uint32_t h = 2166136261u;
	while ((n = read(d[0], b, 3000)) > 0)
		for (long k = 0; k < n; k++, got++) {
			ok &= b[k] == patt(got);
			h = (h ^ b[k]) * 16777619u;
		}
	close(d[0]);
	printf("child -> parent: read %ld bytes, then %ld; pattern %s, hash %08x; child %s\n", got, n,
	       ok ? "ok" : "mismatch", h, how(finish(pid)));

	if (pipe(d))
		return;
	pid = spawn(c_bigr, d);
	close(d[0]);
	for (long i = 0; i < BIG; i += n) {
		n = BIG - i < (long)sizeof(b) ? BIG - i : (long)sizeof(b);
		for (long k = 0; k < n; k++)
			b[k] = patt(i + k);
		if (write(d[1], b, n) != n)
			printf("write: -1 %s\n", errname(errno));
	}
	close(d[1]);
	printf("parent -> child: child %s\n", how(finish(pid)));

	signal(SIGPIPE, SIG_IGN);
	if (pipe(d))
		return;
	pid = spawn(c_ret, NULL);
	close(d[0]);
	finish(pid);
	show("write, the only reader exited, SIGPIPE ignored", write(d[1], "x", 1));
	close(d[1]);
	if (pipe(d))
		return;
	pid = spawn(c_sigpipe, d);
	close(d[0]);
	close(d[1]);
	send_go();
	printf("child writes to a pipe without readers: %s\n", how(finish(pid)));
	signal(SIGPIPE, SIG_DFL);
}

static volatile sig_atomic_t chld_n, chld_code, chld_status, chld_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_n++;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid = si->si_pid;
}

static void sigchld(void)
{
	struct sigaction sa;
	printf("== SIGCHLD\n");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	for (int i = 0; i < 2; i++) {
		pid_t pid = spawn(i ? c_block : c_ret, (void *)3);
		if (i) {
			relay_line();
			kill(pid, SIGKILL);
		}
		int st = finish(pid);
		printf("child %s: handler ran %d times, si_code %s, si_status %d, si_pid %s\n", how(st),
		       (int)chld_n, cld_name(chld_code), (int)chld_status,
		       chld_pid == pid ? "the child" : "WRONG");
	}
	signal(SIGCHLD, SIG_IGN);
	pid_t pid = spawn(c_ret, (void *)3);
	finish(0);
	int st;
	pid_t w = waitpid(pid, &st, 0);
	if (w == pid)
		printf("waitpid with SIGCHLD ignored: the child, %s\n", how(st));
	else
		show("waitpid with SIGCHLD ignored", w);
	signal(SIGCHLD, SIG_DFL);
}

/* More children at once than a small process table would hold. */
#define SEVERAL 40

static void several(void)
{
	printf("== %d children at once\n", SEVERAL);
	volatile int *arr = shm + 16;
	pid_t pids[SEVERAL];
	int forked = 0;
	for (int i = 0; i < SEVERAL; i++)
		arr[i] = -1;
	fflush(stdout);
	for (int i = 0; i < SEVERAL; i++) {
		if ((pids[i] = fork()) == 0) {
			arr[i] = i * 11;
			_exit(10 + i);
		}
		forked += pids[i] > 0;
	}
	int st, n = 0, ours = 1;
	uint64_t codes = 0;
	pid_t w;
	while ((w = waitpid(-1, &st, 0)) > 0) {
		n++;
		int mine = 0;
		for (int i = 0; i < SEVERAL; i++)
			mine |= pids[i] == w;
		ours &= mine;
		if (WIFEXITED(st) && WEXITSTATUS(st) >= 10 && WEXITSTATUS(st) < 10 + SEVERAL)
			codes |= 1ull << (WEXITSTATUS(st) - 10);
	}
	printf("forked %d, reaped %d, all ours: %s, exit codes 10..%d each seen: %s, then %s\n",
	       forked, n, ours ? "yes" : "no", 9 + SEVERAL,
	       codes == (1ull << SEVERAL) - 1 ? "yes" : "no", errname(errno));
	int right = 0;
	for (int i = 0; i < SEVERAL; i++)
		right += arr[i] == i * 11;
	printf("shared array: %d of %d entries as each child wrote\n", right, SEVERAL);
}

/* A process with many mappings forks: every one reaches the child with
 * its protection and contents, and both sides copy on write. */
static void many_mappings(void)
{
	enum { N = 1000 };
	printf("== fork with %d mappings\n", N);
	char *r = mmap(NULL, N * PG, RW, PRANON, -1, 0);
	if (r == MAP_FAILED) {
		printf("mmap: %s\n", errname(errno));
		return;
	}
	for (int i = 0; i < N; i++) {
		r[i * PG] = (char)(i * 7);
		if (i % 2)
			mprotect(r + i * PG, PG, PROT_READ);
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int same = 0, ro = 0;
		for (int i = 0; i < N; i++) {
			same += r[i * PG] == (char)(i * 7);
			if (i % 2)
				ro += !strcmp(touch(r + i * PG, 1, (unsigned char)(i * 7), NULL),
					      "SIGSEGV SEGV_ACCERR si_addr=ok");
			else
				r[i * PG] = 1;
		}
		_exit(same == N && ro == N / 2 ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("child: contents and protections as the parent's: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : how(st));
	int same = 0;
	for (int i = 0; i < N; i++)
		same += r[i * PG] == (char)(i * 7);
	printf("parent's pages after the child wrote its copies: %d of %d unchanged\n", same, N);
	show("munmap", munmap(r, N * PG));
}

static void do_vfork(void)
{
	int st = 0;
	printf("== vfork\n");
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0)
		_exit(getppid() == parent_pid ? 21 : 22);
	printf("parent continues after vfork: %s\n", pid > 0 ? "yes" : "no");
	pid_t w = waitpid(pid, &st, 0);
	printf("waitpid returns the child: %s, %s (getppid in the child %s)\n", w == pid ? "yes" : "no",
	       how(st), WEXITSTATUS(st) == 21 ? "ok" : "WRONG");
}

/* A child killed while it blocks reading a pipe closes its end of another
 * pipe the parent reads. Polled (O_NONBLOCK, sched_yield, 1 to 2 s) so
 * that a kernel which never lets the child die does not hang the test. */
static void kill_eof(int sig)
{
	struct timespec t0, t;
	char c;
	long r;
	printf("== kill while the parent reads the child's pipe\n");
	pid_t pid = spawn(c_block, NULL);
	relay_line();
	show("kill", kill(pid, sig));
	fcntl(res_r, F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if ((r = read(res_r, &c, 1)) < 0)
			sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (r < 0 && errno == EAGAIN && t.tv_sec - t0.tv_sec < 2);
	show("read, polled for 1 to 2 s (0: EOF)", r);
	printf("child %s\n", how(finish(pid)));
}

static int c_msync(void *a)
{
	char *m = a;
	wait_go();
	memcpy(m + 100, "msync'd", 8);
	say("msync MS_SYNC: %d", msync(m, PG, MS_SYNC));
	memcpy(m + PG + 200, "no msync", 9);
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A sleeping parent lets its child run, and a signal from the child ends
 * the sleep with EINTR and the time left. */
static void sleeping(void)
{
	int fds[2];
	char b = 0;
	struct timespec ts = { 0, 200000000 }, rem = { 0, 0 };

	printf("== sleeping\n");
	show("pipe", pipe(fds));
	pid_t c = fork();
	if (c == 0) {
		b = 'x';
		_exit(write(fds[1], &b, 1) == 1 ? 0 : 1);
	}
	show("nanosleep 0.2 s", nanosleep(&ts, NULL));
	show("the child's byte is there after it", read(fds[0], &b, 1));
	int st = 0;
	waitpid(c, &st, 0);
	printf("child %s\n", how(st));
	close(fds[0]);
	close(fds[1]);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pid_t parent = getpid();
	c = fork();
	if (c == 0)
		_exit(kill(parent, SIGUSR1) ? 1 : 0);
	/* long enough that the child has always run by then natively */
	ts.tv_sec = 20;
	ts.tv_nsec = 0;
	show("nanosleep 20 s, a child sends SIGUSR1", nanosleep(&ts, &rem));
	printf("time left more than 1 s: %s\n", rem.tv_sec >= 1 ? "yes" : "no");
	waitpid(c, &st, 0);
	printf("child %s\n", how(st));
	signal(SIGUSR1, SIG_DFL);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tmp";
	char dat[512], ro[512], stackbuf[3 * PG];
	static char bss[3 * PG] __attribute__((aligned(4096)));
	static unsigned char page[4096];
	struct rlimit nocore = { 0, 0 };
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_faults();
	setrlimit(RLIMIT_CORE, &nocore);
	parent_pid = getpid();
	shm = (volatile int *)mm("shared anon page", NULL, NULL, PG, RW, SHANON, -1, 0);
	snprintf(dat, sizeof(dat), "%s/mm_fork.dat", dir);
	snprintf(ro, sizeof(ro), "%s/mm_fork.ro", dir);
	int fd_dat = open(dat, O_RDWR | O_CREAT | O_TRUNC, 0644);
	int fd_ro = open(ro, O_RDWR | O_CREAT | O_TRUNC, 0644);
	show("ftruncate dat 4 pages", ftruncate(fd_dat, 4 * PG));
	for (int i = 0; i < 3; i++) {
		memset(page, 'A' + i, PG);
		if (write(fd_ro, page, PG) != (ssize_t)PG)
			printf("write %s: -1 %s\n", ro, errname(errno));
	}

	fork_and_wait();

	printf("== children killed by signals\n");
	killed("NULL store", c_store, NULL, 0);
	char *p = mm("map and unmap a page", NULL, NULL, PG, RW, PRANON, -1, 0);
	munmap(p, PG);
	killed("store to the unmapped page", c_store, p, 0);
	p = mm("private map 4 pages of a 3-page file", NULL, NULL, 4 * PG, RW, MAP_PRIVATE, fd_ro, 0);
	killed("store past EOF", c_store, p + 3 * PG, 0);
	munmap(p, 4 * PG);
	killed("abort()", c_abort, NULL, 0);
	killed("kill SIGKILL", c_block, NULL, SIGKILL);
	killed("kill SIGTERM", c_block, NULL, SIGTERM);
	killed("kill SIGTERM, handler _exit(42)", c_term_handler, NULL, SIGTERM);

	printf("== shared stays shared, private copies on write\n");
	char *fsh = mm("shared file 4 pages", NULL, NULL, 4 * PG, RW, MAP_SHARED, fd_dat, 0);
	share("MAP_SHARED file", fsh);
	share("MAP_SHARED|MAP_ANONYMOUS", mm("map", NULL, NULL, 3 * PG, RW, SHANON, -1, 0));
	int zfd = open("/dev/zero", O_RDWR);
	share("MAP_SHARED /dev/zero", mm("map", NULL, NULL, 3 * PG, RW, MAP_SHARED, zfd, 0));
	close(zfd);
	share("MAP_PRIVATE|MAP_ANONYMOUS", mm("map", NULL, NULL, 3 * PG, RW, PRANON, -1, 0));
	share("MAP_PRIVATE file", mm("map", NULL, NULL, 3 * PG, RW, MAP_PRIVATE, fd_ro, 0));
	char *heap = malloc(3 * PG);
	memset(heap, 0, 3 * PG);
	share("malloc'd buffer", heap);
	free(heap);
	memset(stackbuf, 0, sizeof(stackbuf));
	share("stack buffer", stackbuf);
	share("bss buffer", bss);

	coherence();

	printf("== msync and exit in the child\n");
	char buf[16] = { 0 };
	pid_t pid = spawn(c_msync, fsh);
	show("parent munmap its shared file mapping", munmap(fsh, 4 * PG));
	send_go();
	printf("child %s\n", how(finish(pid)));
	show("pread 8 at 100", pread(fd_dat, buf, 8, 100));
	printf("  \"%s\"\n", buf);
	show("pread 9 at PG+200", pread(fd_dat, buf, 9, PG + 200));
	printf("  \"%s\"\n", buf);

	cuts(dir);
	pipes();
	sigchld();
	several();
	many_mappings();
	do_vfork();

	kill_eof(SIGKILL);
	kill_eof(SIGTERM);
	sleeping();

	close(fd_dat);
	close(fd_ro);
	unlink(dat);
	unlink(ro);
	return 0;
}
