/* System calls: Linux x86_64 numbers, argument order and errno values.
 * Handlers take the saved frame (arguments in f->arg[0..5]) and return the
 * value user mode gets in RAX: >= 0, or -errno. */
#ifndef GUEST_KERNEL_SYSCALL_H
#define GUEST_KERNEL_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/syscall_arch.h"

#define SYSCALL_NR 512   /* table size; Linux x86_64 numbers are below */

/* Linux arch/x86/entry/syscalls/syscall_64.tbl */
enum {
	SYS_read = 0,
	SYS_write = 1,
	SYS_open = 2,
	SYS_close = 3,
	SYS_stat = 4,
	SYS_fstat = 5,
	SYS_lstat = 6,
	SYS_lseek = 8,
	SYS_mmap = 9,
	SYS_mprotect = 10,
	SYS_munmap = 11,
	SYS_brk = 12,
	SYS_rt_sigaction = 13,
	SYS_rt_sigprocmask = 14,
	SYS_rt_sigreturn = 15,
	SYS_ioctl = 16,
	SYS_pread64 = 17,
	SYS_pwrite64 = 18,
	SYS_readv = 19,
	SYS_writev = 20,
	SYS_access = 21,
	SYS_pipe = 22,
	SYS_sched_yield = 24,
	SYS_mremap = 25,
	SYS_msync = 26,
	SYS_mincore = 27,
	SYS_madvise = 28,
	SYS_dup = 32,
	SYS_dup2 = 33,
	SYS_nanosleep = 35,
	SYS_getpid = 39,
	SYS_clone = 56,
	SYS_fork = 57,
	SYS_vfork = 58,
	SYS_exit = 60,
	SYS_wait4 = 61,
	SYS_kill = 62,
	SYS_uname = 63,
	SYS_fcntl = 72,
	SYS_fsync = 74,
	SYS_fdatasync = 75,
	SYS_truncate = 76,
	SYS_ftruncate = 77,
	SYS_getcwd = 79,
	SYS_chdir = 80,
	SYS_fchdir = 81,
	SYS_rename = 82,
	SYS_mkdir = 83,
	SYS_rmdir = 84,
	SYS_creat = 85,
	SYS_unlink = 87,
	SYS_umask = 95,
	SYS_gettimeofday = 96,
	SYS_getrlimit = 97,
	SYS_getuid = 102,
	SYS_getgid = 104,
	SYS_geteuid = 107,
	SYS_getegid = 108,
	SYS_getppid = 110,
	SYS_rt_sigpending = 127,
	SYS_sigaltstack = 131,
	SYS_statfs = 137,
	SYS_fstatfs = 138,
	SYS_mlock = 149,
	SYS_munlock = 150,
	SYS_mlockall = 151,
	SYS_munlockall = 152,
	SYS_arch_prctl = 158,
	SYS_setrlimit = 160,
	SYS_sync = 162,
	SYS_gettid = 186,
	SYS_tkill = 200,
	SYS_getdents64 = 217,
	SYS_set_tid_address = 218,
	SYS_clock_gettime = 228,
	SYS_clock_nanosleep = 230,
	SYS_exit_group = 231,
	SYS_tgkill = 234,
	SYS_waitid = 247,
	SYS_openat = 257,
	SYS_mkdirat = 258,
	SYS_newfstatat = 262,
	SYS_unlinkat = 263,
	SYS_renameat = 264,
	SYS_faccessat = 269,
	SYS_dup3 = 292,
	SYS_pipe2 = 293,
	SYS_prlimit64 = 302,
	SYS_renameat2 = 316,
	SYS_getrandom = 318,
	SYS_mlock2 = 325,
};

/* struct iovec, x86_64 */
struct iovec {
	uint64_t base, len;
};

typedef long (*syscall_fn)(struct syscall_frame *f);
extern const syscall_fn syscall_table[SYSCALL_NR];

/* Numbers with no handler (called from syscall_entry.S). */
long syscall_unknown(struct syscall_frame *f);

/* kernel/sys_io.c */
long sys_write(struct syscall_frame *f);
long sys_writev(struct syscall_frame *f);
long sys_ioctl(struct syscall_frame *f);
/* User bytes to the console, one hypercall per 4 KiB (console files). */
int64_t io_console_write(uint64_t ubuf, uint64_t len);
/* kernel/sys_file.c: calls on descriptors */
struct file;
/* readv/writev/preadv core: the iovec array at uiov, cnt entries. */
long sys_rwv(struct file *fp, uint64_t uiov, uint64_t cnt, uint64_t *pos, bool write);
long sys_read(struct syscall_frame *f);
long sys_readv(struct syscall_frame *f);
long sys_pread64(struct syscall_frame *f);
long sys_pwrite64(struct syscall_frame *f);
long sys_close(struct syscall_frame *f);
long sys_lseek(struct syscall_frame *f);
long sys_fstat(struct syscall_frame *f);
long sys_fstatfs(struct syscall_frame *f);
long sys_fcntl(struct syscall_frame *f);
long sys_dup(struct syscall_frame *f);
long sys_dup2(struct syscall_frame *f);
long sys_dup3(struct syscall_frame *f);
long sys_pipe(struct syscall_frame *f);
long sys_pipe2(struct syscall_frame *f);
long sys_getdents64(struct syscall_frame *f);
long sys_fsync(struct syscall_frame *f);
long sys_ftruncate(struct syscall_frame *f);
long sys_fchdir(struct syscall_frame *f);
/* kernel/sys_fs.c: calls on path names */
long sys_open(struct syscall_frame *f);
long sys_openat(struct syscall_frame *f);
long sys_creat(struct syscall_frame *f);
long sys_stat(struct syscall_frame *f);
long sys_lstat(struct syscall_frame *f);
long sys_newfstatat(struct syscall_frame *f);
long sys_statfs(struct syscall_frame *f);
long sys_access(struct syscall_frame *f);
long sys_faccessat(struct syscall_frame *f);
long sys_mkdir(struct syscall_frame *f);
long sys_mkdirat(struct syscall_frame *f);
long sys_rmdir(struct syscall_frame *f);
long sys_unlink(struct syscall_frame *f);
long sys_unlinkat(struct syscall_frame *f);
long sys_rename(struct syscall_frame *f);
long sys_renameat(struct syscall_frame *f);
long sys_renameat2(struct syscall_frame *f);
long sys_truncate(struct syscall_frame *f);
long sys_getcwd(struct syscall_frame *f);
long sys_chdir(struct syscall_frame *f);
long sys_umask(struct syscall_frame *f);
long sys_sync(struct syscall_frame *f);
/* kernel/sys_mm.c */
long sys_brk(struct syscall_frame *f);
long sys_mprotect(struct syscall_frame *f);
long sys_mremap(struct syscall_frame *f);
/* kernel/sys_mmadv.c */
long sys_msync(struct syscall_frame *f);
long sys_mincore(struct syscall_frame *f);
long sys_mlock(struct syscall_frame *f);
long sys_mlock2(struct syscall_frame *f);
long sys_munlock(struct syscall_frame *f);
long sys_mlockall(struct syscall_frame *f);
long sys_munlockall(struct syscall_frame *f);
/* kernel/sys_signal.c */
long sys_rt_sigreturn(struct syscall_frame *f);
long sys_rt_sigpending(struct syscall_frame *f);
long sys_sigaltstack(struct syscall_frame *f);
long sys_kill(struct syscall_frame *f);
long sys_tkill(struct syscall_frame *f);
long sys_tgkill(struct syscall_frame *f);
/* kernel/sys_proc.c */
long sys_sched_yield(struct syscall_frame *f);
long sys_getrlimit(struct syscall_frame *f);
long sys_setrlimit(struct syscall_frame *f);
long sys_prlimit64(struct syscall_frame *f);
long sys_wait4(struct syscall_frame *f);
long sys_waitid(struct syscall_frame *f);
/* fork, vfork, clone: arch/x86/syscall_entry.S, then proc_fork_syscall */
long sys_fork_entry(struct syscall_frame *f);
long proc_fork_syscall(struct syscall_frame *sf, const uint64_t *callee);
long sys_mmap(struct syscall_frame *f);
long sys_munmap(struct syscall_frame *f);
long sys_madvise(struct syscall_frame *f);
/* kernel/sys_proc.c */
long sys_getpid(struct syscall_frame *f);
long sys_gettid(struct syscall_frame *f);
long sys_getppid(struct syscall_frame *f);
long sys_getuid(struct syscall_frame *f);
long sys_exit(struct syscall_frame *f);
long sys_exit_group(struct syscall_frame *f);
long sys_arch_prctl(struct syscall_frame *f);
long sys_set_tid_address(struct syscall_frame *f);
long sys_rt_sigaction(struct syscall_frame *f);
long sys_rt_sigprocmask(struct syscall_frame *f);
/* kernel/sys_info.c */
long sys_uname(struct syscall_frame *f);
long sys_clock_gettime(struct syscall_frame *f);
long sys_gettimeofday(struct syscall_frame *f);
long sys_getrandom(struct syscall_frame *f);
long sys_nanosleep(struct syscall_frame *f);
long sys_clock_nanosleep(struct syscall_frame *f);

#endif
