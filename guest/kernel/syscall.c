/* The system call table, indexed by number (syscall_entry.S indexes it
 * directly: a NULL entry or a number past the end is "not implemented"). */
#include "kernel/syscall.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "lib/errno.h"

const syscall_fn syscall_table[SYSCALL_NR] = {
	[SYS_write] = sys_write,
	[SYS_mmap] = sys_mmap,
	[SYS_munmap] = sys_munmap,
	[SYS_brk] = sys_brk,
	[SYS_rt_sigaction] = sys_rt_sigaction,
	[SYS_rt_sigprocmask] = sys_rt_sigprocmask,
	[SYS_ioctl] = sys_ioctl,
	[SYS_writev] = sys_writev,
	[SYS_madvise] = sys_madvise,
	[SYS_getpid] = sys_getpid,
	[SYS_exit] = sys_exit,
	[SYS_uname] = sys_uname,
	[SYS_gettimeofday] = sys_gettimeofday,
	/* one process, run as root: every id is 0 */
	[SYS_getuid] = sys_getuid,
	[SYS_getgid] = sys_getuid,
	[SYS_geteuid] = sys_getuid,
	[SYS_getegid] = sys_getuid,
	[SYS_getppid] = sys_getppid,
	[SYS_arch_prctl] = sys_arch_prctl,
	[SYS_gettid] = sys_gettid,
	[SYS_set_tid_address] = sys_set_tid_address,
	[SYS_clock_gettime] = sys_clock_gettime,
	[SYS_exit_group] = sys_exit_group,
	[SYS_getrandom] = sys_getrandom,
};
_Static_assert(sizeof(syscall_table) / sizeof(syscall_table[0]) == SYSCALL_NR,
	       "syscall_entry.S bounds the index by SYSCALL_NR");

long syscall_unknown(struct syscall_frame *f)
{
	if (!proc_quiet)
		printk("syscall %lu not implemented (-ENOSYS)\n", f->nr);
	return -ENOSYS;
}
