/* The system call table, indexed by number (syscall_entry.S indexes it
 * directly: a NULL entry or a number past the end is "not implemented"). */
#include "kernel/syscall.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "lib/errno.h"

const syscall_fn syscall_table[SYSCALL_NR] = {
	[SYS_read] = sys_read,
	[SYS_write] = sys_write,
	[SYS_open] = sys_open,
	[SYS_close] = sys_close,
	[SYS_stat] = sys_stat,
	[SYS_fstat] = sys_fstat,
	[SYS_lstat] = sys_lstat,
	[SYS_lseek] = sys_lseek,
	[SYS_pread64] = sys_pread64,
	[SYS_pwrite64] = sys_pwrite64,
	[SYS_readv] = sys_readv,
	[SYS_access] = sys_access,
	[SYS_pipe] = sys_pipe,
	[SYS_dup] = sys_dup,
	[SYS_dup2] = sys_dup2,
	[SYS_fcntl] = sys_fcntl,
	[SYS_fsync] = sys_fsync,
	[SYS_fdatasync] = sys_fsync,   /* write-through: the same flush */
	[SYS_truncate] = sys_truncate,
	[SYS_ftruncate] = sys_ftruncate,
	[SYS_getcwd] = sys_getcwd,
	[SYS_chdir] = sys_chdir,
	[SYS_fchdir] = sys_fchdir,
	[SYS_rename] = sys_rename,
	[SYS_mkdir] = sys_mkdir,
	[SYS_rmdir] = sys_rmdir,
	[SYS_creat] = sys_creat,
	[SYS_unlink] = sys_unlink,
	[SYS_umask] = sys_umask,
	[SYS_statfs] = sys_statfs,
	[SYS_fstatfs] = sys_fstatfs,
	[SYS_sync] = sys_sync,
	[SYS_getdents64] = sys_getdents64,
	[SYS_openat] = sys_openat,
	[SYS_mkdirat] = sys_mkdirat,
	[SYS_newfstatat] = sys_newfstatat,
	[SYS_unlinkat] = sys_unlinkat,
	[SYS_renameat] = sys_renameat,
	[SYS_faccessat] = sys_faccessat,
	[SYS_dup3] = sys_dup3,
	[SYS_pipe2] = sys_pipe2,
	[SYS_renameat2] = sys_renameat2,
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
	[SYS_nanosleep] = sys_nanosleep,
	[SYS_clock_nanosleep] = sys_clock_nanosleep,
};
_Static_assert(sizeof(syscall_table) / sizeof(syscall_table[0]) == SYSCALL_NR,
	       "syscall_entry.S bounds the index by SYSCALL_NR");

long syscall_unknown(struct syscall_frame *f)
{
	if (!proc_quiet)
		printk("syscall %lu not implemented (-ENOSYS)\n", f->nr);
	return -ENOSYS;
}
