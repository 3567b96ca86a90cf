/* Identity, exit, thread pointer, resource limits. */
#include <stdint.h>

#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "mm/uvm.h"

#define ARCH_SET_FS  0x1002
#define ARCH_GET_FS  0x1003

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

long sys_sched_yield(struct syscall_frame *f)
{
	(void)f;
	return 0;   /* nobody else to run */
}

static long rlimit_get(struct proc *p, uint64_t res, uint64_t uold)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (uold && copy_to_user(uold, &p->rlim[res], sizeof(struct rlimit64)))
		return -EFAULT;
	return 0;
}

/* Root may raise hard limits (CAP_SYS_RESOURCE); a soft limit above its
 * hard one is EINVAL; NOFILE cannot pass the descriptor table's size. */
static long rlimit_set(struct proc *p, uint64_t res, uint64_t unew, uint64_t uold)
{
	struct rlimit64 nl;

	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (unew && copy_from_user(&nl, unew, sizeof(nl)))
		return -EFAULT;
	if (unew && nl.cur > nl.max)
		return -EINVAL;
	if (unew && res == RLIMIT_NOFILE && nl.max > FD_MAX)
		return -EPERM;
	long err = rlimit_get(p, res, uold);
	if (err)
		return err;
	if (unew)
		p->rlim[res] = nl;
	return 0;
}

long sys_getrlimit(struct syscall_frame *f)
{
	return rlimit_get(proc_current, f->arg[0], f->arg[1]);
}

long sys_setrlimit(struct syscall_frame *f)
{
	if (!f->arg[1])
		return -EFAULT;
	return rlimit_set(proc_current, f->arg[0], f->arg[1], 0);
}

long sys_prlimit64(struct syscall_frame *f)
{
	if (f->arg[0] && (int64_t)f->arg[0] != proc_current->pid)
		return -ESRCH;
	return rlimit_set(proc_current, f->arg[1], f->arg[2], f->arg[3]);
}
