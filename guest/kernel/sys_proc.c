/* Identity, exit, thread pointer, resource limits. */
#include <stdint.h>

#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/signal.h"
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
	proc_yield();
	return 0;
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

	/* Linux reads the new limit before it looks at the resource */
	if (unew && copy_from_user(&nl, unew, sizeof(nl)))
		return -EFAULT;
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
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

#define CSIGNAL     0xff        /* clone: the exit signal */
#define WNOHANG     0x00000001
#define WUNTRACED   0x00000002
#define WSTOPPED    WUNTRACED
#define WEXITED     0x00000004
#define WCONTINUED  0x00000008
#define WNOWAIT     0x01000000
#define WAIT_KNOWN  (WNOHANG | WUNTRACED | WCONTINUED | 0x20000000 | 0x40000000 | 0x80000000u)
#define P_ALL  0
#define P_PID  1
#define P_PGID 2
#define RUSAGE_BYTES 144

/* From sys_fork_entry (syscall_entry.S): fork, vfork (a copy too: the
 * child may do anything vfork allows, and more), and clone with nothing
 * but an exit signal. */
long proc_fork_syscall(struct syscall_frame *sf, const uint64_t *callee)
{
	struct trap_frame tf;

	if (sf->nr == SYS_clone && (sf->arg[0] & ~(uint64_t)CSIGNAL || sf->arg[1]))
		return -EINVAL;   /* threads and the like: not here */
	syscall_frame_full(sf, callee, 0, &tf);
	return proc_fork(&tf);
}

long sys_wait4(struct syscall_frame *f)
{
	int pid = (int)f->arg[0], status;
	uint64_t options = f->arg[2];

	if (options & ~(uint64_t)WAIT_KNOWN)
		return -EINVAL;
	int r = proc_wait(pid == 0 || pid < -1 ? -1 : pid, options & WNOHANG, true, &status);
	if (r > 0 && f->arg[1] && copy_to_user(f->arg[1], &status, sizeof(status)))
		return -EFAULT;
	if (r >= 0 && f->arg[3]) {
		static const uint8_t zero[RUSAGE_BYTES];
		if (copy_to_user(f->arg[3], zero, sizeof(zero)))
			return -EFAULT;
	}
	return r;
}

/* siginfo_t as waitid fills it (include/uapi/asm-generic/siginfo.h) */
struct waitid_info {
	int32_t signo, errno_, code, pad;
	int32_t pid;
	uint32_t uid;
	int32_t status;
	uint8_t rest[128 - 28];
};
_Static_assert(sizeof(struct waitid_info) == 128, "siginfo_t");

long sys_waitid(struct syscall_frame *f)
{
	uint64_t idtype = f->arg[0], options = f->arg[3];
	int pid, status;

	if (options & ~(uint64_t)(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT) ||
	    !(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	if (idtype == P_ALL || idtype == P_PGID)
		pid = -1;
	else if (idtype == P_PID && (int)f->arg[1] > 0)
		pid = (int)f->arg[1];
	else
		return -EINVAL;
	int r = 0;
	if (options & WEXITED)
		r = proc_wait(pid, options & WNOHANG, !(options & WNOWAIT), &status);
	else if (!(options & WNOHANG))
		return -EDEADLK;   /* nothing ever stops or continues here */
	if (r < 0)
		return r;
	struct waitid_info si = { 0 };
	if (r > 0) {
		si.signo = SIGCHLD;
		si.pid = r;
		si.code = status & 0x7f ? CLD_KILLED : CLD_EXITED;
		si.status = status & 0x7f ? status & 0x7f : (status >> 8) & 0xff;
	}
	if (f->arg[2] && copy_to_user(f->arg[2], &si, sizeof(si)))
		return -EFAULT;
	return 0;
}
