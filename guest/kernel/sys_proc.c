/* Identity, exit, thread pointer and the signal stubs. */
#include <stdint.h>

#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "mm/uvm.h"

#define ARCH_SET_FS  0x1002
#define ARCH_GET_FS  0x1003
#define SIGSET_BYTES 8          /* Linux's kernel sigset_t on x86_64 */
#define NSIG         64
#define SIGKILL      9
#define SIGSTOP      19
#define SIG_SETMASK  2
#define KSIGACTION_BYTES 32     /* handler, flags, restorer, mask */

long sys_getpid(struct syscall_frame *f)
{
	(void)f;
	return proc_current->pid;
}

long sys_gettid(struct syscall_frame *f)
{
	(void)f;
	return proc_current->pid;   /* one thread per process */
}

long sys_getppid(struct syscall_frame *f)
{
	(void)f;
	return proc_current->ppid;
}

long sys_getuid(struct syscall_frame *f)
{
	(void)f;
	return 0;
}

/* One thread: exit and exit_group are the same. */
long sys_exit(struct syscall_frame *f)
{
	proc_exit((int)f->arg[0]);
}

long sys_exit_group(struct syscall_frame *f)
{
	proc_exit((int)f->arg[0]);
}

long sys_arch_prctl(struct syscall_frame *f)
{
	switch (f->arg[0]) {
	case ARCH_SET_FS:
		if (f->arg[1] >= UVM_TOP)
			return -EPERM;
		proc_current->fs_base = f->arg[1];
		arch_set_fs_base(f->arg[1]);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(f->arg[1], &proc_current->fs_base, sizeof(uint64_t));
	default:
		return -EINVAL;
	}
}

/* Remembered for the day threads exit; returns the caller's tid. */
long sys_set_tid_address(struct syscall_frame *f)
{
	proc_current->clear_child_tid = f->arg[0];
	return proc_current->pid;
}

/* Stubs: no signal is ever delivered yet (faults kill directly), so every
 * action "is" SIG_DFL and the mask stays empty. musl calls these around
 * abort(), raise() and thread start-up and only needs them to succeed;
 * the argument checks are Linux's, so misuse fails the same way. */
long sys_rt_sigaction(struct syscall_frame *f)
{
	static const uint8_t dfl[KSIGACTION_BYTES];
	uint64_t sig = f->arg[0];

	if (f->arg[3] != SIGSET_BYTES || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (f->arg[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (f->arg[2] && copy_to_user(f->arg[2], dfl, sizeof(dfl)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(struct syscall_frame *f)
{
	static const uint64_t empty;
	uint64_t set;

	if (f->arg[3] != SIGSET_BYTES)
		return -EINVAL;
	if (f->arg[1]) {
		if (f->arg[0] > SIG_SETMASK)
			return -EINVAL;
		if (copy_from_user(&set, f->arg[1], sizeof(set)))
			return -EFAULT;
	}
	if (f->arg[2] && copy_to_user(f->arg[2], &empty, sizeof(empty)))
		return -EFAULT;
	return 0;
}
