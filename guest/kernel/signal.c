/* Signal state and delivery. The frame built on the user stack is Linux's
 * x86_64 rt_sigframe: return address (sa_restorer), ucontext (flags, link,
 * stack_t, sigcontext, mask), siginfo; the FXSAVE image of the user's x87
 * and SSE state sits above it, 64-byte aligned, pointed to by
 * sigcontext.fpstate. musl's handlers, sigsetjmp/siglongjmp and
 * getcontext-style code read exactly these offsets. */
#include "kernel/signal.h"

#include "arch/x86/asm.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/uvm.h"
#include "x86.h"

/* arch/x86/include/uapi/asm/sigcontext.h, struct sigcontext (64-bit) */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;          /* user address of the FXSAVE image */
	uint64_t reserved1[8];
};
_Static_assert(sizeof(struct k_sigcontext) == 256, "struct sigcontext, x86_64");

/* include/uapi/asm-generic/ucontext.h */
struct k_ucontext {
	uint64_t flags;
	uint64_t link;
	struct k_stack stack;
	struct k_sigcontext mcontext;
	uint64_t sigmask;
};
_Static_assert(sizeof(struct k_ucontext) == 304, "struct ucontext, x86_64");

/* include/uapi/asm-generic/siginfo.h: 128 bytes; the fields used here */
struct k_siginfo {
	int32_t signo, errno_, code, pad;
	union {
		uint64_t addr;          /* SIGSEGV, SIGBUS, SIGILL, SIGFPE */
		struct {
			int32_t pid;    /* kill, tgkill */
			uint32_t uid;
		} kill;
		struct {
			int32_t pid;    /* SIGCHLD */
			uint32_t uid;
			int32_t status;
		} child;
	};
	uint8_t rest[128 - 32];   /* after the 16-byte union */
};
_Static_assert(sizeof(struct k_siginfo) == 128, "siginfo_t");

struct rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	struct k_siginfo info;
};

#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FPSTATE_SIZE 512           /* FXSAVE image */
#define REDZONE      128           /* psABI 3.2.2: below RSP, the callee's */
#define UNBLOCKABLE  (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define MXCSR_OFFSET 24
#define MXCSR_MASK_OFFSET 28

/* The MXCSR bits this CPU has (FXSAVE's MXCSR_MASK field; 0 there means
 * the architectural default 0xffbf, SDM Vol. 1 11.6.6). Learnt once. */
static uint32_t cpu_mxcsr_mask(void)
{
	static uint8_t area[FPSTATE_SIZE] __attribute__((aligned(16)));
	static uint32_t mask;

	if (!mask) {
		arch_fpu_save(area);
		memcpy(&mask, area + MXCSR_MASK_OFFSET, 4);
		if (!mask)
			mask = 0xffbf;
	}
	return mask;
}

/* iretq to a non-canonical RIP faults in the kernel, not in user mode:
 * such an address must never reach a frame. */
static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

volatile uint8_t signal_work;

static const char *const sig_names[SIG_NSIG + 1] = {
	[SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",     [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP",   [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",     [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",   [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",   [SIGTERM] = "SIGTERM",
	[SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",   [SIGSTOP] = "SIGSTOP",
	[SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",   [SIGTTOU] = "SIGTTOU",
	[SIGURG] = "SIGURG",   [SIGWINCH] = "SIGWINCH",
};

const char *signal_name(int sig)
{
	return sig > 0 && sig <= SIG_NSIG && sig_names[sig] ? sig_names[sig] : "signal";
}

/* Default action "ignore" (signal(7)). The stop signals are ignored too:
 * there is nobody to continue the VM's only process. */
bool signal_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH ||
	       sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void signal_init(struct sigstate *s)
{
	memset(s, 0, sizeof(*s));
	s->altstack.flags = SS_DISABLE;
}

void signal_recalc(void)
{
	const struct sigstate *s = &proc_current->sig;

	signal_work = (s->pending & ~s->blocked) != 0;
}

void signal_raise(struct proc *p, int sig, const struct sig_info *info)
{
	struct sigstate *s = &p->sig;
	uint64_t handler = s->action[sig].handler;

	/* An ignored signal is discarded when sent, not when delivered. */
	if (handler == SIG_IGN || (handler == SIG_DFL && signal_default_ignored(sig)))
		return;
	if (!(s->pending & SIG_BIT(sig)))
		s->info[sig] = *info;
	else if (sig >= SIGRTMIN && s->queued[sig] < SIG_QUEUE_MAX)
		s->queued[sig]++;   /* real-time signals queue; standard ones do not */
	s->pending |= SIG_BIT(sig);
	if (p == proc_current)
		signal_recalc();
	else if (!(s->blocked & SIG_BIT(sig)))
		proc_wake(p);   /* a wait it is blocked in gives up for it */
}

static bool on_altstack(const struct sigstate *s, uint64_t sp)
{
	return !(s->altstack.flags & SS_DISABLE) && sp > s->altstack.sp &&
	       sp - s->altstack.sp <= s->altstack.size;
}

/* Build the frame for sig on the user stack and point f at the handler.
 * A frame that cannot be written kills with SIGSEGV, as Linux does. */
static void signal_setup(struct trap_frame *f, int sig, const struct sig_info *si)
{
	static uint8_t fpu[FPSTATE_SIZE] __attribute__((aligned(16)));
	struct sigstate *s = &proc_current->sig;
	struct k_sigaction *act = &s->action[sig];
	struct rt_sigframe fr;
	uint64_t sp = f->rsp - REDZONE;
	bool was_on = on_altstack(s, f->rsp);

	if ((act->flags & SA_ONSTACK) && !(s->altstack.flags & SS_DISABLE) && !was_on)
		sp = s->altstack.sp + s->altstack.size;
	uint64_t fp_va = (sp - FPSTATE_SIZE) & ~63ull;
	uint64_t frame = ((fp_va - sizeof(fr)) & ~15ull) - 8;

	/* A handler running on the alternate stack whose next frame would
	 * fall off its bottom: Linux gives up (get_sigframe), or the frames
	 * would start again at the top over live ones, for ever. */
	if (was_on && !on_altstack(s, frame)) {
		proc_death_printk("pid %d killed by SIGSEGV (alternate stack overflow delivering %s)\n",
		       proc_current->pid, signal_name(sig));
		proc_kill(SIGSEGV);
	}

	memset(&fr, 0, sizeof(fr));
	fr.pretcode = act->restorer;
	fr.uc.flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	fr.uc.stack = s->altstack;
	if (!(s->altstack.flags & SS_DISABLE))
		fr.uc.stack.flags = was_on ? SS_ONSTACK : 0;
	struct k_sigcontext *mc = &fr.uc.mcontext;
	mc->r8 = f->r8, mc->r9 = f->r9, mc->r10 = f->r10, mc->r11 = f->r11;
	mc->r12 = f->r12, mc->r13 = f->r13, mc->r14 = f->r14, mc->r15 = f->r15;
	mc->rdi = f->rdi, mc->rsi = f->rsi, mc->rbp = f->rbp, mc->rbx = f->rbx;
	mc->rdx = f->rdx, mc->rax = f->rax, mc->rcx = f->rcx, mc->rsp = f->rsp;
	mc->rip = f->rip, mc->eflags = f->rflags;
	mc->cs = ASM_SEL_UCODE_RPL3, mc->ss = ASM_SEL_UDATA_RPL3;
	mc->err = f->vector < X86_NR_EXCEPTIONS ? f->error : 0;
	mc->trapno = f->vector < X86_NR_EXCEPTIONS ? f->vector : 0;
	mc->oldmask = s->blocked;
	mc->cr2 = si->addr;
	mc->fpstate = fp_va;
	fr.uc.sigmask = s->blocked;
	fr.info.signo = sig;
	fr.info.code = si->code;
	/* sent by a process (kill, tgkill: codes <= 0), a child's end, or
	 * a fault */
	if (si->code <= 0) {
		fr.info.kill.pid = si->pid;
	} else if (sig == SIGCHLD) {
		fr.info.child.pid = si->pid;
		fr.info.child.status = si->status;
	} else {
		fr.info.addr = si->addr;
	}

	arch_fpu_save(fpu);
	if (!canonical(act->handler)) {
		/* where Linux's iret would fault in user mode */
		proc_death_printk("pid %d killed by SIGSEGV (%s handler at %lx)\n", proc_current->pid,
		       signal_name(sig), act->handler);
		proc_kill(SIGSEGV);
	}
	if (copy_to_user(fp_va, fpu, sizeof(fpu)) || copy_to_user(frame, &fr, sizeof(fr))) {
		proc_death_printk("pid %d killed by SIGSEGV (no room for the %s frame at %lx)\n",
		       proc_current->pid, signal_name(sig), frame);
		proc_kill(SIGSEGV);
	}
	if (act->flags & SA_ONSTACK && s->altstack.flags & SS_AUTODISARM) {
		s->altstack.sp = s->altstack.size = 0;
		s->altstack.flags = SS_DISABLE;
	}

	uint64_t handler = act->handler;
	s->blocked |= act->mask;
	if (!(act->flags & SA_NODEFER))
		s->blocked |= SIG_BIT(sig);
	s->blocked &= ~UNBLOCKABLE;
	if (act->flags & SA_RESETHAND) {
		act->handler = SIG_DFL;
		act->flags &= ~SA_SIGINFO;
	}
	f->rdi = (uint64_t)sig;
	f->rsi = frame + __builtin_offsetof(struct rt_sigframe, info);
	f->rdx = frame + __builtin_offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rsp = frame;
	f->rip = handler;
	f->rflags &= ~(X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_RF | X86_RFLAGS_AC);
	f->cs = ASM_SEL_UCODE_RPL3;
	f->ss = ASM_SEL_UDATA_RPL3;
}

/* Deliver one pending, unblocked signal on f: its handler, or its default
 * action (ignore, or the end of the process). */
/* The action signal_deliver will take next, for a system call deciding
 * between restarting and -EINTR: 0 when nothing is deliverable. */
static int signal_next(uint64_t *flags)
{
	const struct sigstate *s = &proc_current->sig;
	uint64_t ready = s->pending & ~s->blocked;

	if (!ready)
		return 0;
	int sig = __builtin_ctzll(ready) + 1;
	*flags = s->action[sig].handler > SIG_IGN ? s->action[sig].flags : SA_RESTART;
	return sig;
}

bool signal_interrupts(void)
{
	const struct sigstate *s = &proc_current->sig;

	return (s->pending & ~s->blocked) != 0;
}

void signal_deliver(struct trap_frame *f)
{
	struct sigstate *s = &proc_current->sig;
	uint64_t ready = s->pending & ~s->blocked;

	if (!ready) {
		signal_recalc();
		return;
	}
	int sig = __builtin_ctzll(ready) + 1;
	struct sig_info si = s->info[sig];
	if (s->queued[sig])
		s->queued[sig]--;   /* another instance stays pending */
	else
		s->pending &= ~SIG_BIT(sig);
	uint64_t handler = s->action[sig].handler;
	if (handler == SIG_DFL) {
		if (!signal_default_ignored(sig)) {
			proc_death_printk("pid %d killed by %s\n", proc_current->pid, signal_name(sig));
			proc_kill(sig);
		}
	} else if (handler != SIG_IGN) {
		signal_setup(f, sig, &si);
	}
	signal_recalc();
}

void signal_fault(struct trap_frame *f, int sig, int code, uint64_t addr)
{
	struct sigstate *s = &proc_current->sig;
	uint64_t handler = s->action[sig].handler;
	struct sig_info si = { .code = code, .addr = addr };

	/* Linux's force_sig: a blocked or ignored fault signal is not
	 * deliverable, so the default action (death) applies. */
	if (handler == SIG_DFL || handler == SIG_IGN || (s->blocked & SIG_BIT(sig))) {
		proc_death_printk("pid %d killed by %s (vector %lu error %lx at rip %lx", proc_current->pid,
		       signal_name(sig), f->vector, f->error, f->rip);
		if (f->vector == X86_VEC_PF)
			proc_death_printk(", address %lx", addr);
		proc_death_printk(")\n");
		proc_kill(sig);
	}
	signal_setup(f, sig, &si);
	signal_recalc();
}

_Noreturn void signal_deliver_syscall(struct syscall_frame *sf, const uint64_t *callee, long ret)
{
	static struct trap_frame tf;
	uint64_t flags = 0;

	syscall_frame_full(sf, callee, ret, &tf);
	/* A call a signal interrupted runs again after a SA_RESTART handler
	 * (RAX back to its number, RIP back onto the 2-byte `syscall`), and
	 * fails with EINTR after any other. */
	if (ret == -ERESTARTSYS) {
		if (!signal_next(&flags) || flags & SA_RESTART) {
			tf.rax = sf->nr;
			tf.rip -= 2;
		} else {
			tf.rax = (uint64_t)-EINTR;
		}
	}
	signal_deliver(&tf);
	trap_return(&tf);
}

_Noreturn void signal_return(struct syscall_frame *sf)
{
	static uint8_t fpu[FPSTATE_SIZE] __attribute__((aligned(16)));
	static struct trap_frame tf;
	struct sigstate *s = &proc_current->sig;
	struct k_ucontext uc;

	/* The handler's `ret` popped pretcode: RSP is at the ucontext. */
	if (copy_from_user(&uc, sf->rsp, sizeof(uc))) {
		proc_death_printk("pid %d killed by SIGSEGV (bad rt_sigreturn frame at %lx)\n",
		       proc_current->pid, sf->rsp);
		proc_kill(SIGSEGV);
	}
	const struct k_sigcontext *mc = &uc.mcontext;
	if (!canonical(mc->rip)) {
		proc_death_printk("pid %d killed by SIGSEGV (rt_sigreturn to %lx)\n", proc_current->pid,
		       mc->rip);
		proc_kill(SIGSEGV);
	}
	if (mc->fpstate) {
		if (copy_from_user(fpu, mc->fpstate, sizeof(fpu))) {
			proc_death_printk("pid %d killed by SIGSEGV (bad fpstate at %lx)\n", proc_current->pid,
			       mc->fpstate);
			proc_kill(SIGSEGV);
		}
		/* reserved MXCSR bits would make FXRSTOR fault: the CPU's
		 * own mask, not the one the frame claims */
		uint32_t mxcsr;
		memcpy(&mxcsr, fpu + MXCSR_OFFSET, 4);
		mxcsr &= cpu_mxcsr_mask();
		memcpy(fpu + MXCSR_OFFSET, &mxcsr, 4);
		arch_fpu_restore(fpu);
	}
	s->blocked = uc.sigmask & ~UNBLOCKABLE;
	/* the stack_t as sigaltstack(2) would take it; a bad one is ignored */
	uc.stack.flags &= ~SS_ONSTACK;
	if (!on_altstack(s, sf->rsp) && !(uc.stack.flags & ~(SS_DISABLE | SS_AUTODISARM)) &&
	    (uc.stack.flags & SS_DISABLE || uc.stack.size >= MINSIGSTKSZ))
		s->altstack = uc.stack;
	tf = (struct trap_frame){
		.r8 = mc->r8, .r9 = mc->r9, .r10 = mc->r10, .r11 = mc->r11,
		.r12 = mc->r12, .r13 = mc->r13, .r14 = mc->r14, .r15 = mc->r15,
		.rdi = mc->rdi, .rsi = mc->rsi, .rbp = mc->rbp, .rbx = mc->rbx,
		.rdx = mc->rdx, .rax = mc->rax, .rcx = mc->rcx,
		.vector = ~0ull,
		.rip = mc->rip, .cs = ASM_SEL_UCODE_RPL3,
		.rflags = (mc->eflags & ASM_RFLAGS_USER) | ASM_RFLAGS_FIXED,
		.rsp = mc->rsp, .ss = ASM_SEL_UDATA_RPL3,
	};
	signal_recalc();
	if (signal_work)
		signal_deliver(&tf);
	trap_return(&tf);
}
