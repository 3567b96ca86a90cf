/* Exception dispatch: faults inside a probe resume at their fixup; anything
 * else is fatal and dumps the machine state with a backtrace. */
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/machine.h"
#include "arch/x86/trap.h"
#include "kernel/fault.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "mv_exit.h"
#include "x86.h"

/* One entry per instruction that may fault on purpose (trap_entry.S). */
struct trap_extable {
	uint64_t insn;
	uint64_t fixup;
};

extern const struct trap_extable __extable_start[], __extable_end[];
extern const uint8_t _kernel_start[], _kernel_end[];

#define BACKTRACE_MAX 16

static const char *const trap_names[X86_NR_EXCEPTIONS] = {
	[0] = "#DE divide error",     [1] = "#DB debug",
	[2] = "NMI",                  [3] = "#BP breakpoint",
	[4] = "#OF overflow",         [5] = "#BR bound range",
	[6] = "#UD invalid opcode",   [7] = "#NM device not available",
	[8] = "#DF double fault",     [9] = "coprocessor overrun",
	[10] = "#TS invalid TSS",     [11] = "#NP segment not present",
	[12] = "#SS stack fault",     [13] = "#GP general protection",
	[14] = "#PF page fault",      [16] = "#MF x87 error",
	[17] = "#AC alignment check", [18] = "#MC machine check",
	[19] = "#XM SIMD error",      [20] = "#VE virtualization",
	[21] = "#CP control protection",
};

static struct trap_fault last_fault;

const struct trap_fault *trap_last_fault(void)
{
	return &last_fault;
}

static const struct trap_extable *trap_find_fixup(uint64_t rip)
{
	for (const struct trap_extable *e = __extable_start; e < __extable_end; e++)
		if (e->insn == rip)
			return e;
	return 0;
}

static int trap_in_kernel(uint64_t a)
{
	return a >= (uint64_t)_kernel_start && a + 16 <= (uint64_t)_kernel_end;
}

static void trap_backtrace(uint64_t rbp)
{
	printk("backtrace:\n");
	for (int i = 0; i < BACKTRACE_MAX && trap_in_kernel(rbp) && !(rbp & 7); i++) {
		const uint64_t *fp = (const uint64_t *)rbp;
		printk("  [%d] %lx\n", i, fp[1]);
		if (fp[0] <= rbp) /* stacks grow down: callers live higher */
			break;
		rbp = fp[0];
	}
}

static _Noreturn void trap_fatal(const struct trap_frame *f, uint64_t cr2)
{
	const char *name = f->vector < X86_NR_EXCEPTIONS && trap_names[f->vector]
				   ? trap_names[f->vector]
				   : "reserved";

	printk("\nunhandled exception %lu (%s) error %lx\n", f->vector, name, f->error);
	printk("RIP %04lx:%016lx RFLAGS %016lx\n", f->cs, f->rip, f->rflags);
	printk("RSP %04lx:%016lx", f->ss, f->rsp);
	if (f->vector == X86_VEC_PF)
		printk(" CR2 %016lx (%s %s %s)", cr2, f->error & X86_PF_P ? "protection" : "not-present",
		       f->error & X86_PF_I ? "fetch" : f->error & X86_PF_W ? "write" : "read",
		       f->error & X86_PF_U ? "user" : "kernel");
	printk("\nRAX %016lx RBX %016lx RCX %016lx\n", f->rax, f->rbx, f->rcx);
	printk("RDX %016lx RSI %016lx RDI %016lx\n", f->rdx, f->rsi, f->rdi);
	printk("RBP %016lx R8  %016lx R9  %016lx\n", f->rbp, f->r8, f->r9);
	printk("R10 %016lx R11 %016lx R12 %016lx\n", f->r10, f->r11, f->r12);
	printk("R13 %016lx R14 %016lx R15 %016lx\n", f->r13, f->r14, f->r15);
	printk("  [-] %lx\n", f->rip);
	trap_backtrace(f->rbp);
	machine_exit(MV_EXIT_GUEST_CRASH);
}

/* What a user-mode exception other than a page fault raises (Linux's
 * traps.c): signal and si_code. */
static const struct {
	uint8_t sig;
	int8_t code;
} user_exception[X86_NR_EXCEPTIONS] = {
	[X86_VEC_DE] = { SIGFPE, FPE_INTDIV }, [X86_VEC_DB] = { SIGTRAP, TRAP_BRKPT },
	[X86_VEC_BP] = { SIGTRAP, SI_KERNEL }, [X86_VEC_UD] = { SIGILL, ILL_ILLOPN },
	[X86_VEC_GP] = { SIGSEGV, SI_KERNEL }, [X86_VEC_MF] = { SIGFPE, 0 },
	[X86_VEC_AC] = { SIGBUS, BUS_ADRALN }, [X86_VEC_XM] = { SIGFPE, 0 },
};

static void trap_user(struct trap_frame *f, uint64_t cr2, enum fault_result r)
{
	if (f->vector == X86_VEC_PF) {
		switch (r) {
		case FAULT_SEGV_MAPERR:
			signal_fault(f, SIGSEGV, SEGV_MAPERR, cr2);
			return;
		case FAULT_SEGV_ACCERR:
			signal_fault(f, SIGSEGV, SEGV_ACCERR, cr2);
			return;
		case FAULT_BUS_ADRERR:
		case FAULT_BUS_IO:
			fault_stats.sigbus++;
			signal_fault(f, SIGBUS, r == FAULT_BUS_IO ? BUS_OBJERR : BUS_ADRERR, cr2);
			return;
		default:
			proc_death_printk("pid %d killed by SIGKILL (out of memory at %lx)\n", proc_current->pid,
			       cr2);
			proc_kill(SIGKILL);
		}
	}
	if (f->vector < X86_NR_EXCEPTIONS && user_exception[f->vector].sig)
		signal_fault(f, user_exception[f->vector].sig, user_exception[f->vector].code,
			     f->vector == X86_VEC_GP ? 0 : f->rip);
	else
		signal_fault(f, SIGSEGV, SI_KERNEL, 0);
}

extern const uint8_t syscall_iretq[], trap_iretq[], trap_pf_iretq[];

/* An iretq back to user mode faults at CPL 0 when the frame's RIP is not
 * canonical, and user code can arrange that: jump into the syscall alias
 * page's ud2 with any RCX (it becomes the return address), or return from
 * a handler through a frame it built. Such a return kills the process
 * with SIGSEGV, which is what the same program gets on Linux, instead of
 * the kernel. */
static void trap_bad_iret(const struct trap_frame *f)
{
	if ((f->cs & 3) || !proc_current ||
	    (f->vector != X86_VEC_GP && f->vector != X86_VEC_SS && f->vector != X86_VEC_NP) ||
	    (f->rip != (uint64_t)syscall_iretq && f->rip != (uint64_t)trap_iretq &&
	     f->rip != (uint64_t)trap_pf_iretq))
		return;
	proc_death_printk("pid %d killed by SIGSEGV (return to user mode faulted: RIP %lx)\n",
	       proc_current->pid, *(const uint64_t *)f->rsp);
	proc_kill(SIGSEGV);
}

/* After a page fault that was more than a missing page, and after any
 * other exception: user-mode exceptions become signals, then kernel
 * fixups; anything else is fatal. */
static void trap_finish(struct trap_frame *f, uint64_t cr2, enum fault_result r)
{
	if ((f->cs & 3) == 3) {
		trap_user(f, cr2, r);
		return;
	}

	trap_bad_iret(f);

	const struct trap_extable *e = trap_find_fixup(f->rip);

	if (e && f->vector != X86_VEC_DF) {
		last_fault.vector = f->vector;
		last_fault.error = f->error;
		last_fault.cr2 = cr2;
		last_fault.rip = f->rip;
		f->rip = e->fixup;
		return;
	}
	trap_fatal(f, cr2);
}

/* A page fault fault_handle did not settle (or met with no process): a
 * signal, a fixup of the kernel's access to user memory, or fatal. */
void trap_pf_slow(struct trap_frame *f, int result, uint64_t cr2)
{
	enum fault_result r = (enum fault_result)result;

	if (proc_current && (r == FAULT_SEGV_MAPERR || r == FAULT_SEGV_ACCERR))
		fault_stats.sigsegv++;
	trap_finish(f, cr2, r);
}

void trap_dispatch(struct trap_frame *f)
{
	trap_finish(f, 0, FAULT_SEGV_MAPERR);
}
