/* The signal system calls; delivery is kernel/signal.c's. */
#include <stdint.h>

#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"

#define SIGSET_BYTES 8          /* the kernel's sigset_t on x86_64 */
#define SIG_BLOCK    0
#define SIG_UNBLOCK  1
#define SIG_SETMASK  2
#define UNBLOCKABLE  (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
/* sa_flags bits Linux knows (others are kept and reported back). */

long sys_rt_sigaction(struct syscall_frame *f)
{
	struct sigstate *s = &proc_current->sig;
	uint64_t sig = f->arg[0];
	struct k_sigaction act;

	if (f->arg[3] != SIGSET_BYTES || sig < 1 || sig > SIG_NSIG)
		return -EINVAL;
	if (f->arg[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (f->arg[1] && copy_from_user(&act, f->arg[1], sizeof(act)))
		return -EFAULT;
	/* Linux installs the new action before it reports a bad oact */
	struct k_sigaction old = s->action[sig];
	if (f->arg[1]) {
		act.mask &= ~UNBLOCKABLE;
		s->action[sig] = act;
		/* POSIX: setting SIG_IGN (or a default of ignore) discards a
		 * pending instance */
		if (act.handler == SIG_IGN ||
		    (act.handler == SIG_DFL && signal_default_ignored((int)sig))) {
			s->pending &= ~SIG_BIT(sig);
			s->queued[sig] = 0;
			signal_recalc();
		}
	}
	if (f->arg[2] && copy_to_user(f->arg[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(struct syscall_frame *f)
{
	struct sigstate *s = &proc_current->sig;
	uint64_t set, old = s->blocked;

	/* Linux's order: the set is read, then how checked, the mask
	 * changed, and only then the old one written */
	if (f->arg[3] != SIGSET_BYTES)
		return -EINVAL;
	if (f->arg[1]) {
		if (copy_from_user(&set, f->arg[1], sizeof(set)))
			return -EFAULT;
		if (f->arg[0] > SIG_SETMASK)
			return -EINVAL;
	}
	if (f->arg[1]) {
		if (f->arg[0] == SIG_BLOCK)
			s->blocked |= set;
		else if (f->arg[0] == SIG_UNBLOCK)
			s->blocked &= ~set;
		else
			s->blocked = set;
		s->blocked &= ~UNBLOCKABLE;
		signal_recalc();
	}
	if (f->arg[2] && copy_to_user(f->arg[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(struct syscall_frame *f)
{
	const struct sigstate *s = &proc_current->sig;
	uint64_t set = s->pending & s->blocked;

	if (f->arg[1] > SIGSET_BYTES)
		return -EINVAL;
	return copy_to_user(f->arg[0], &set, f->arg[1]) ? -EFAULT : 0;
}

long sys_rt_sigreturn(struct syscall_frame *f)
{
	signal_return(f);
}

long sys_sigaltstack(struct syscall_frame *f)
{
	struct sigstate *s = &proc_current->sig;
	struct k_stack ss, old = s->altstack;
	bool on = !(old.flags & SS_DISABLE) && f->rsp > old.sp && f->rsp - old.sp <= old.size;

	if (f->arg[0] && copy_from_user(&ss, f->arg[0], sizeof(ss)))
		return -EFAULT;
	if (f->arg[1]) {
		if (old.flags & SS_DISABLE)
			old = (struct k_stack){ .flags = SS_DISABLE };
		else
			old.flags = (old.flags & SS_AUTODISARM) | (on ? SS_ONSTACK : 0);
		if (copy_to_user(f->arg[1], &old, sizeof(old)))
			return -EFAULT;
	}
	if (f->arg[0]) {
		if (on)
			return -EPERM;
		int mode = ss.flags & ~(int32_t)SS_AUTODISARM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			s->altstack = (struct k_stack){ .flags = SS_DISABLE };
			return 0;
		}
		if (ss.size < MINSIGSTKSZ)
			return -ENOMEM;
		s->altstack = (struct k_stack){ .sp = ss.sp, .size = ss.size,
						.flags = ss.flags & (int32_t)SS_AUTODISARM };
	}
	return 0;
}

/* pid > 0: that process; 0 and -1: the caller (one process group, and
 * kill(-1) would end init's children too: not modelled). */
static long sig_send(uint64_t pid, uint64_t sig, int code)
{
	struct proc *self = proc_current;
	struct proc *p = (int64_t)pid > 0 ? proc_find((int)pid) : self;

	/* the target first, then the signal (Linux: ESRCH before EINVAL) */
	if ((int64_t)pid < -1 || !p)
		return -ESRCH;
	if (sig > SIG_NSIG)
		return -EINVAL;
	if (!sig || p->state == PROC_ZOMBIE)
		return 0;   /* a zombie still exists, and ignores everything */
	struct sig_info si = { .code = code, .pid = self->pid };
	signal_raise(p, (int)sig, &si);
	return 0;
}

long sys_kill(struct syscall_frame *f)
{
	return sig_send(f->arg[0], f->arg[1], SI_USER);
}

long sys_tkill(struct syscall_frame *f)
{
	if ((int64_t)f->arg[0] <= 0)
		return -EINVAL;
	return sig_send(f->arg[0], f->arg[1], SI_TKILL);
}

long sys_tgkill(struct syscall_frame *f)
{
	if ((int64_t)f->arg[0] <= 0 || (int64_t)f->arg[1] <= 0)
		return -EINVAL;
	if (f->arg[0] != f->arg[1])
		return -ESRCH;   /* one thread per process */
	return sig_send(f->arg[1], f->arg[2], SI_TKILL);
}
