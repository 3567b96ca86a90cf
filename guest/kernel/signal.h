/* Signals: actions, the blocked mask, pending signals, the alternate
 * stack, and delivery to user handlers through a Linux x86_64 rt_sigframe
 * (arch/x86/kernel/signal.c's layout), so musl's sigsetjmp/siglongjmp,
 * SA_SIGINFO handlers and their ucontext work unchanged. One thread per
 * process: a signal is delivered when the process next returns to user
 * mode (end of a system call, or the fault that raised it). */
#ifndef GUEST_KERNEL_SIGNAL_H
#define GUEST_KERNEL_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/syscall_arch.h"
#include "arch/x86/trap.h"

/* Linux x86_64 numbers (include/uapi/asm-generic/signal.h). */
#define SIGHUP    1
#define SIGINT    2
#define SIGQUIT   3
#define SIGILL    4
#define SIGTRAP   5
#define SIGABRT   6
#define SIGBUS    7
#define SIGFPE    8
#define SIGKILL   9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGWINCH  28
#define SIGRTMIN  32
#define SIG_NSIG  64
#define SIG_QUEUE_MAX 32   /* further instances of one real-time signal */

/* si_code values (include/uapi/asm-generic/siginfo.h). */
#define SI_USER      0
#define SI_TKILL     (-6)
#define SI_KERNEL    0x80
#define BUS_ADRALN   1
#define BUS_OBJERR   3
#define CLD_EXITED   1
#define CLD_KILLED   2
#define SEGV_MAPERR  1
#define SEGV_ACCERR  2
#define BUS_ADRERR   2
#define ILL_ILLOPN   2
#define FPE_INTDIV   1
#define TRAP_BRKPT   1

/* sa_flags */
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO   0x00000004u
#define SA_ONSTACK   0x08000000u
#define SA_RESTORER  0x04000000u
#define SA_RESTART   0x10000000u
#define SA_NODEFER   0x40000000u
#define SA_RESETHAND 0x80000000u

#define SIG_DFL 0ull
#define SIG_IGN 1ull

/* sigaltstack ss_flags */
#define SS_ONSTACK  1
#define SS_DISABLE  2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048

/* The kernel's struct sigaction on x86_64 (rt_sigaction's argument). */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};
_Static_assert(sizeof(struct k_sigaction) == 32, "struct sigaction, x86_64");

/* stack_t */
struct k_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};
_Static_assert(sizeof(struct k_stack) == 24, "stack_t, x86_64");

/* What is recorded for a pending signal: the siginfo fields we fill. */
struct sig_info {
	int32_t code;
	uint64_t addr;      /* faults: si_addr */
	int32_t pid;        /* kill: sender; SIGCHLD: the child */
	int32_t status;     /* SIGCHLD: exit code or signal */
};

struct sigstate {
	struct k_sigaction action[SIG_NSIG + 1];   /* [1..64] */
	uint64_t blocked;                          /* bit sig - 1 */
	uint64_t pending;
	struct sig_info info[SIG_NSIG + 1];        /* the pending instance's */
	uint8_t queued[SIG_NSIG + 1];              /* real-time: instances beyond
						      the first (same info) */
	struct k_stack altstack;                   /* flags: SS_DISABLE when none */
};

#define SIG_BIT(sig) (1ull << ((sig) - 1))

/* The default action of sig is to ignore it (signal(7)). */
bool signal_default_ignored(int sig);
/* "SIGSEGV" ... for messages. */
const char *signal_name(int sig);
/* Fresh state: every action SIG_DFL, nothing blocked, no altstack. */
void signal_init(struct sigstate *s);
struct proc;
/* Raises sig on p (kill, tgkill, SIGCHLD, SIGPIPE). */
void signal_raise(struct proc *p, int sig, const struct sig_info *info);
/* A blocking call should give up: a signal is deliverable. It then
 * returns -ERESTARTSYS, which never reaches user mode (restart or EINTR,
 * by the handler's SA_RESTART). */
bool signal_interrupts(void);
/* One pending, unblocked signal of the current process on f (its handler
 * runs when f returns to user mode), or its default action. */
void signal_deliver(struct trap_frame *f);
/* A user-mode fault raised sig: delivered now, on this trap frame (the
 * handler runs when the frame returns), or the process dies. Blocked or
 * ignored fault signals kill as Linux's force_sig does. */
void signal_fault(struct trap_frame *f, int sig, int code, uint64_t addr);
/* Anything deliverable on return to user mode? (kept in signal_work for
 * the entry code's fast test) */
void signal_recalc(void);
extern volatile uint8_t signal_work;

/* From syscall_entry.S when signal_work is set after a system call:
 * callee is rbx, rbp, r12..r15 as user mode had them. Does not return. */
_Noreturn void signal_deliver_syscall(struct syscall_frame *sf, const uint64_t *callee, long ret);
/* rt_sigreturn: every register from the frame the handler got. */
_Noreturn void signal_return(struct syscall_frame *sf);

/* Leave to user mode with every register from f (trap_entry.S). */
_Noreturn void trap_return(const struct trap_frame *f);

#endif
