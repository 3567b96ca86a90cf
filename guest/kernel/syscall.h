/* System calls: Linux x86_64 numbers, argument order and errno values.
 * Handlers take the saved frame (arguments in f->arg[0..5]) and return the
 * value user mode gets in RAX: >= 0, or -errno. */
#ifndef GUEST_KERNEL_SYSCALL_H
#define GUEST_KERNEL_SYSCALL_H

#include "arch/x86/syscall_arch.h"

#define SYSCALL_NR 512   /* table size; Linux x86_64 numbers are below */

/* Linux arch/x86/entry/syscalls/syscall_64.tbl */
enum {
	SYS_write = 1,
	SYS_mmap = 9,
	SYS_munmap = 11,
	SYS_brk = 12,
	SYS_rt_sigaction = 13,
	SYS_rt_sigprocmask = 14,
	SYS_ioctl = 16,
	SYS_writev = 20,
	SYS_madvise = 28,
	SYS_getpid = 39,
	SYS_exit = 60,
	SYS_uname = 63,
	SYS_gettimeofday = 96,
	SYS_getuid = 102,
	SYS_getgid = 104,
	SYS_geteuid = 107,
	SYS_getegid = 108,
	SYS_getppid = 110,
	SYS_arch_prctl = 158,
	SYS_gettid = 186,
	SYS_set_tid_address = 218,
	SYS_clock_gettime = 228,
	SYS_exit_group = 231,
	SYS_getrandom = 318,
};

typedef long (*syscall_fn)(struct syscall_frame *f);
extern const syscall_fn syscall_table[SYSCALL_NR];

/* Numbers with no handler (called from syscall_entry.S). */
long syscall_unknown(struct syscall_frame *f);

/* kernel/sys_io.c */
long sys_write(struct syscall_frame *f);
long sys_writev(struct syscall_frame *f);
long sys_ioctl(struct syscall_frame *f);
/* kernel/sys_mm.c */
long sys_brk(struct syscall_frame *f);
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

#endif
