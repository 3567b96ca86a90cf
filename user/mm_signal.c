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
/* The handlers write into a log; main prints it (no stdio in handlers). */
static char logbuf[4096];
static volatile size_t loglen;

static void logs(const char *s)
{
	while (*s && loglen < sizeof(logbuf) - 1)
		logbuf[loglen++] = *s++;
	logbuf[loglen] = 0;
}

static void logn(long n)
{
	char b[24], *e = b + sizeof(b) - 1;
	int neg = n < 0;
	*e = 0;
	if (neg)
		n = -n;
	do
		*--e = (char)('0' + n % 10);
	while (n /= 10);
	if (neg)
		*--e = '-';
	logs(e);
}

static void flush_log(const char *what)
{
	printf("%s: %s\n", what, loglen ? logbuf : "(nothing)");
	loglen = 0;
	logbuf[0] = 0;
}

static int blocked(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	return sigismember(&cur, sig);
}

static volatile int depth, max_depth, count;
static volatile int reraise;
static char *alt_lo, *alt_hi;
static sigjmp_buf jb;
static char *nested_target;   /* an unmapped page */

static void h_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char here;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	count++;
	logs("[");
	logn(sig);
	logs(" ");
	logs(code_name(sig, si->si_code));
	if (si->si_code == SI_USER || si->si_code == SI_TKILL)
		logs(si->si_pid == getpid() ? " pid=ok" : " pid=WRONG");
	if (blocked(sig))
		logs(" self-blocked");
	if (blocked(SIGUSR2) && sig != SIGUSR2)
		logs(" usr2-blocked");
	if (alt_lo && &here >= alt_lo && &here < alt_hi)
		logs(" on-altstack");
	if (reraise > 0) {
		reraise--;
		raise(sig);
		logs(" after-raise");
	}
	logs("]");
	depth--;
}

static void h_jump(int sig)
{
	logs("[jump ");
	logn(sig);
	logs("]");
	siglongjmp(jb, 1);
}

static void h_alt(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char here;
	stack_t ss, nss;
	logs("[");
	logs(sig_name(sig));
	logs(" ");
	logs(code_name(sig, si->si_code));
	logs(&here >= alt_lo && &here < alt_hi ? " on-altstack" : " NOT-on-altstack");
	if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK))
		logs(" SS_ONSTACK");
	memset(&nss, 0, sizeof(nss));
	nss.ss_flags = SS_DISABLE;
	if (sigaltstack(&nss, NULL) != 0) {
		logs(" change:");
		logs(errname(errno));
	}
	if (sig == SIGSEGV) {
		logs(si->si_addr == fault_addr ? " si_addr=ok" : " si_addr=WRONG");
		logs("]");
		siglongjmp(jb, 1);
	}
	logs("]");
}

/* A SIGUSR1 handler that takes a fault itself and recovers from it. */
static void h_nested(int sig)
{
	logs("[usr1 ");
	logs(touch(nested_target, 0, 0, NULL));
	logs(blocked(sig) ? " usr1-still-blocked" : "");
	logs("]");
	(void)sig;
}

/* A fault with every general register but RSP and RBP holding a known
 * value, resolved by the kernel (a first touch) or by a handler (mprotect,
 * then return): the handler's ucontext shows them, and the interrupted
 * code has them all back afterwards. */
#define NREGS 14
static const int greg_index[NREGS] = { REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI,
				       REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12,
				       REG_R13, REG_R14, REG_R15, REG_RDI };
static const char *const greg_name[NREGS] = { "rax", "rbx", "rcx", "rdx", "rsi", "r8",  "r9",
					      "r10", "r11", "r12", "r13", "r14", "r15", "rdi" };
static uint64_t greg_want[NREGS];
uint64_t regs_after[NREGS];   /* the asm below stores here by name */
static char *regs_page;

static uint64_t reg_value(int i)
{
	return 0x0123456789abcdefULL ^ ((uint64_t)(i + 1) * 0x1111111111111111ULL);
}

static void h_regs(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int ok = 1;
	(void)sig;
	for (int i = 0; i < NREGS; i++)
		if ((uint64_t)uc->uc_mcontext.gregs[greg_index[i]] != greg_want[i]) {
			logs(" handler saw a wrong ");
			logs(greg_name[i]);
			ok = 0;
		}
	if (ok)
		logs(" handler saw every register");
	logs(si->si_addr == regs_page ? " si_addr=ok" : " si_addr=WRONG");
	logs(" trapno=");
	logn((long)uc->uc_mcontext.gregs[REG_TRAPNO]);
	logs(" err=");
	logn((long)uc->uc_mcontext.gregs[REG_ERR]);
	mprotect(regs_page, PG, PROT_READ | PROT_WRITE);
}

static void fault_with_known_registers(char *page)
{
	struct sigaction sa, old;
	regs_page = page;
	for (int i = 0; i < NREGS - 1; i++)
		greg_want[i] = reg_value(i);
	greg_want[NREGS - 1] = (uint64_t)(uintptr_t)page;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h_regs;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	__asm__ volatile("movabs %[v0], %%rax\n\t"
			 "movabs %[v1], %%rbx\n\t"
			 "movabs %[v2], %%rcx\n\t"
			 "movabs %[v3], %%rdx\n\t"
			 "movabs %[v4], %%rsi\n\t"
			 "movabs %[v5], %%r8\n\t"
			 "movabs %[v6], %%r9\n\t"
			 "movabs %[v7], %%r10\n\t"
			 "movabs %[v8], %%r11\n\t"
			 "movabs %[v9], %%r12\n\t"
			 "movabs %[v10], %%r13\n\t"
			 "movabs %[v11], %%r14\n\t"
			 "movabs %[v12], %%r15\n\t"
			 "movb $1, (%%rdi)\n\t"
			 "mov %%rax, regs_after+0(%%rip)\n\t"
			 "mov %%rbx, regs_after+8(%%rip)\n\t"
			 "mov %%rcx, regs_after+16(%%rip)\n\t"
			 "mov %%rdx, regs_after+24(%%rip)\n\t"
			 "mov %%rsi, regs_after+32(%%rip)\n\t"
			 "mov %%r8, regs_after+40(%%rip)\n\t"
			 "mov %%r9, regs_after+48(%%rip)\n\t"
			 "mov %%r10, regs_after+56(%%rip)\n\t"
			 "mov %%r11, regs_after+64(%%rip)\n\t"
			 "mov %%r12, regs_after+72(%%rip)\n\t"
			 "mov %%r13, regs_after+80(%%rip)\n\t"
			 "mov %%r14, regs_after+88(%%rip)\n\t"
			 "mov %%r15, regs_after+96(%%rip)\n\t"
			 "mov %%rdi, regs_after+104(%%rip)"
			 :
			 : "D"(page), [v0] "i"(reg_value(0)), [v1] "i"(reg_value(1)),
			   [v2] "i"(reg_value(2)), [v3] "i"(reg_value(3)), [v4] "i"(reg_value(4)),
			   [v5] "i"(reg_value(5)), [v6] "i"(reg_value(6)), [v7] "i"(reg_value(7)),
			   [v8] "i"(reg_value(8)), [v9] "i"(reg_value(9)), [v10] "i"(reg_value(10)),
			   [v11] "i"(reg_value(11)), [v12] "i"(reg_value(12))
			 : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13",
			   "r14", "r15", "memory");
	sigaction(SIGSEGV, &old, NULL);
	int ok = 1;
	for (int i = 0; i < NREGS; i++)
		if (regs_after[i] != greg_want[i]) {
			printf("  %s afterwards: wrong\n", greg_name[i]);
			ok = 0;
		}
	printf("  every register back afterwards: %s\n", ok ? "ok" : "NO");
	printf("  the store landed: %d\n", page[0]);
}

static void set(int sig, void *h, int flags, int mask_usr2)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	if (flags & SA_SIGINFO)
		sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))h;
	else
		sa.sa_handler = (void (*)(int))h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (mask_usr2 == 1)
		sigaddset(&sa.sa_mask, SIGUSR2);
	if (mask_usr2 == 2)
		sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		printf("sigaction %d: %s\n", sig, errname(errno));
}

static void unblock_all(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void block(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_BLOCK, &s, NULL);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	unblock_all();
	if (argc > 2 && !strcmp(argv[2], "die")) {
		signal(SIGTERM, SIG_DFL);
		printf("raising SIGTERM with the default action\n");
		fflush(stdout);
		raise(SIGTERM);
		printf("still alive\n");
		return 0;
	}
	catch_faults();

	printf("== SA_SIGINFO: kill and raise\n");
	set(SIGUSR1, h_info, SA_SIGINFO, 0);
	show("kill(getpid(), SIGUSR1)", kill(getpid(), SIGUSR1));
	flush_log("handled");
	show("raise(SIGUSR1)", raise(SIGUSR1));
	flush_log("handled");
	show("kill(getpid(), 0)", kill(getpid(), 0));
	show("kill(getpid(), 65)", kill(getpid(), 65));
	set(SIGSEGV, h_info, SA_SIGINFO, 0);
	show("raise(SIGSEGV) is not a fault", raise(SIGSEGV));
	flush_log("handled");
	catch_faults();

	printf("== sigaction\n");
	struct sigaction old;
	show("query SIGUSR1", sigaction(SIGUSR1, NULL, &old));
	printf("  handler=%s SA_SIGINFO=%d\n", old.sa_sigaction == h_info ? "ours" : "OTHER",
	       !!(old.sa_flags & SA_SIGINFO));
	show("query SIGKILL", sigaction(SIGKILL, NULL, &old));
	printf("  default=%d\n", old.sa_handler == SIG_DFL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	show("set SIGKILL", sigaction(SIGKILL, &sa, NULL));
	show("set SIGSTOP", sigaction(SIGSTOP, &sa, NULL));
	show("rt_sigaction signal 0", syscall(SYS_rt_sigaction, 0, NULL, &old, 8));
	show("rt_sigaction signal 65", syscall(SYS_rt_sigaction, 65, NULL, &old, 8));
	show("rt_sigaction sigsetsize 4", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4));
	signal(SIGUSR2, SIG_IGN);
	show("raise ignored SIGUSR2", raise(SIGUSR2));
	signal(SIGCHLD, SIG_DFL);
	show("raise SIGCHLD (default: ignore)", raise(SIGCHLD));
	signal(SIGURG, SIG_DFL);
	show("raise SIGURG (default: ignore)", raise(SIGURG));
	printf("still here\n");

	printf("== blocking and pending\n");
	block(SIGUSR1);
	count = 0;
	raise(SIGUSR1);
	raise(SIGUSR1);
	printf("while blocked: handled %d\n", count);
	sigset_t pend;
	sigpending(&pend);
	printf("pending SIGUSR1=%d SIGUSR2=%d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2));
	unblock_all();
	printf("after unblocking: handled %d (standard signals do not queue)\n", count);
	flush_log("log");
	set(SIGRTMIN, h_info, SA_SIGINFO, 0);
	block(SIGRTMIN);
	count = 0;
	raise(SIGRTMIN);
	raise(SIGRTMIN);
	raise(SIGRTMIN);
	unblock_all();
	printf("SIGRTMIN raised 3 times while blocked: handled %d\n", count);
	flush_log("log");
	set(SIGUSR1, h_info, SA_SIGINFO, 2);
	set(SIGUSR2, h_info, SA_SIGINFO, 2);
	set(SIGTERM, h_info, SA_SIGINFO, 2);
	set(SIGRTMIN, h_info, SA_SIGINFO, 2);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	raise(SIGRTMIN);
	raise(SIGTERM);
	raise(SIGUSR2);
	raise(SIGUSR1);
	unblock_all();
	flush_log("four pending, unblocked at once");
	sigprocmask(SIG_SETMASK, &all, NULL);
	sigset_t got;
	sigprocmask(SIG_SETMASK, NULL, &got);
	printf("block everything: SIGKILL=%d SIGSTOP=%d SIGUSR1=%d\n", sigismember(&got, SIGKILL),
	       sigismember(&got, SIGSTOP), sigismember(&got, SIGUSR1));
	unblock_all();
	show("sigprocmask how=7", syscall(SYS_rt_sigprocmask, 7, &all, NULL, 8));
	show("rt_sigprocmask sigsetsize 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 4));
	show("sigprocmask query only", sigprocmask(SIG_BLOCK, NULL, &got));
	printf("  nothing blocked: %s\n", sigismember(&got, SIGUSR1) || sigismember(&got, SIGTERM) ? "no" : "yes");

	printf("== inside a handler\n");
	set(SIGUSR1, h_info, SA_SIGINFO, 1);
	set(SIGUSR2, h_info, SA_SIGINFO, 0);
	reraise = 1;
	max_depth = 0;
	raise(SIGUSR1);
	printf("re-raised from the handler: max depth %d\n", max_depth);
	flush_log("log");
	printf("SIGUSR1 blocked after the handler: %d\n", blocked(SIGUSR1));
	set(SIGUSR1, h_info, SA_SIGINFO | SA_NODEFER, 0);
	reraise = 1;
	max_depth = 0;
	raise(SIGUSR1);
	printf("SA_NODEFER: max depth %d\n", max_depth);
	flush_log("log");
	set(SIGUSR1, h_info, SA_SIGINFO | SA_RESETHAND, 0);
	raise(SIGUSR1);
	flush_log("SA_RESETHAND");
	sigaction(SIGUSR1, NULL, &old);
	printf("  disposition now default: %d\n", old.sa_handler == SIG_DFL);

	printf("== siglongjmp out of a handler\n");
	set(SIGUSR1, h_jump, 0, 0);
	if (sigsetjmp(jb, 1) == 0) {
		raise(SIGUSR1);
		printf("not reached\n");
	}
	flush_log("sigsetjmp(env, 1)");
	printf("  SIGUSR1 blocked afterwards: %d\n", blocked(SIGUSR1));
	if (sigsetjmp(jb, 0) == 0) {
		raise(SIGUSR1);
		printf("not reached\n");
	}
	flush_log("sigsetjmp(env, 0)");
	printf("  SIGUSR1 blocked afterwards: %d\n", blocked(SIGUSR1));
	unblock_all();
	char *w = reserve(16);
	printf("fault caught: %s\n", touch(w, 0, 0, NULL));
	printf("  SIGSEGV blocked afterwards: %d\n", blocked(SIGSEGV));

	printf("== sigaltstack\n");
	stack_t ss, os;
	show("query", sigaltstack(NULL, &os));
	printf("  disabled: %d\n", !!(os.ss_flags & SS_DISABLE));
	char *stk = mm("mmap 8 pages for the stack", w + 8 * PG, w + 8 * PG, 8 * PG,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	alt_lo = stk;
	alt_hi = stk + 8 * PG;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = stk;
	ss.ss_size = MINSIGSTKSZ - 1;
	show("size below MINSIGSTKSZ", sigaltstack(&ss, NULL));
	ss.ss_size = 8 * PG;
	ss.ss_flags = 0x10;
	show("unknown flag", sigaltstack(&ss, NULL));
	ss.ss_flags = 0;
	show("set", sigaltstack(&ss, NULL));
	show("query", sigaltstack(NULL, &os));
	printf("  sp=%s size=%zu flags=%d\n", os.ss_sp == stk ? "ours" : "OTHER", os.ss_size, os.ss_flags);
	set(SIGUSR1, h_info, SA_SIGINFO, 0);
	raise(SIGUSR1);
	flush_log("handler without SA_ONSTACK");
	set(SIGUSR1, h_info, SA_SIGINFO | SA_ONSTACK, 0);
	raise(SIGUSR1);
	flush_log("handler with SA_ONSTACK");
	set(SIGUSR2, h_alt, SA_SIGINFO | SA_ONSTACK, 0);
	raise(SIGUSR2);
	flush_log("sigaltstack inside the handler");
	set(SIGSEGV, h_alt, SA_SIGINFO | SA_ONSTACK, 0);
	/* A push with RSP pointing just above an unmapped page: only the
	 * alternate stack can take the signal frame. */
	char *top = w + PG;
	fault_addr = top - 8;
	if (sigsetjmp(jb, 1) == 0) {
		__asm__ volatile("mov %%rsp, %%r12\n\t"
				 "mov %0, %%rsp\n\t"
				 "pushq $0\n\t"
				 "mov %%r12, %%rsp"
				 :
				 : "r"(top)
				 : "r12", "memory");
		printf("push did not fault\n");
	}
	flush_log("SIGSEGV with a bad stack pointer");
	catch_faults();

	printf("== registers across a first touch\n");
	char *rp = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fault_with_known_registers(rp);
	flush_log("log");
	munmap(rp, PG);
	printf("== registers across a fault a handler resolves\n");
	rp = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fault_with_known_registers(rp);
	flush_log("log");
	munmap(rp, PG);

	printf("== a fault inside a handler\n");
	show("munmap a page", munmap(w + 2 * PG, PG));
	nested_target = w + 2 * PG + 5;
	set(SIGUSR1, h_nested, 0, 0);
	raise(SIGUSR1);
	flush_log("log");
	printf("  SIGUSR1 blocked afterwards: %d\n", blocked(SIGUSR1));
	ss.ss_flags = SS_DISABLE;
	show("disable the alternate stack", sigaltstack(&ss, NULL));
	show("query", sigaltstack(NULL, &os));
	printf("  disabled: %d\n", !!(os.ss_flags & SS_DISABLE));
	munmap(w, 16 * PG);
	printf("== done\n");
	return 0;
}
