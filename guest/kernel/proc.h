/* Processes. There is one so far: the init program named on the command
 * line; when it ends, the VM ends with its status. */
#ifndef GUEST_KERNEL_PROC_H
#define GUEST_KERNEL_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/file.h"
#include "kernel/signal.h"
#include "kernel/vfs.h"
#include "mm/vma.h"

/* VMAs kept inside struct proc; more move to the process's slot of the
 * VMA window (kernel/vma_window.h), up to Linux's vm.max_map_count. */
#define PROC_VMA_INLINE 32

/* getrlimit resources, Linux include/uapi/asm-generic/resource.h */
#define RLIMIT_CPU     0
#define RLIMIT_FSIZE   1
#define RLIMIT_DATA    2
#define RLIMIT_STACK   3
#define RLIMIT_CORE    4
#define RLIMIT_RSS     5
#define RLIMIT_NPROC   6
#define RLIMIT_NOFILE  7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS      9
#define RLIM_NLIMITS   16
#define RLIM_INFINITY  (~0ull)

struct rlimit64 {
	uint64_t cur, max;
};

#define PROC_MAX 64   /* processes at once, zombies included */

enum proc_state {
	PROC_FREE,
	PROC_RUNNABLE,   /* running, or ready to */
	PROC_BLOCKED,    /* waiting for a child or a pipe: proc_wake */
	PROC_ZOMBIE,     /* exited, not yet waited for */
};

struct proc {
	int pid, ppid;
	enum proc_state state;
	int wstatus;             /* ZOMBIE: the wait status (exit << 8, or signal) */
	uint64_t kstack_top;     /* its kernel stack: system calls and traps */
	uint64_t kernel_rsp;     /* saved by sched_switch while another runs */
	struct trap_frame fork_frame;   /* a new child's first return to user mode */
	uint64_t cr3;            /* PML4 (physical) */
	uint64_t brk_start;      /* page-aligned end of the program image */
	uint64_t brk;            /* current break, as brk(2) reports it */
	uint64_t fs_base;
	uint64_t clear_child_tid;
	uint32_t def_flags;      /* mlockall(MCL_FUTURE): VMA_LOCKED for new maps */
	struct vma_set vmas;
	struct vma_ops vma_ops;  /* mm/vma.h hooks, ctx = this process */
	unsigned vma_window_pages;   /* mapped in its VMA window slot */
	struct vma vma_inline[PROC_VMA_INLINE];
	struct rlimit64 rlim[RLIM_NLIMITS];
	struct sigstate sig;
	struct fdtable files;
	char cwd[VFS_PATH_MAX];  /* absolute, normalized (vfs_path_join) */
};

extern struct proc *proc_current;
extern struct proc proc_table[PROC_MAX];
/* Entries of proc_table ever used (a high-water mark): walks of the table
 * stop there, since every step is emulated on kvm-pvm and most of a
 * 64-entry table is usually free. */
extern unsigned proc_slots;
extern bool proc_quiet;      /* "quiet" on the command line: no syscall log */

/* Descriptors 0, 1 and 2 on the console, cwd "/". 0 or -errno. */
int proc_files_init(struct proc *p);
/* Linux's defaults for a new process (rlimits). */
void proc_limits_init(struct proc *p);
/* The process ends: its mappings are written back and its files closed;
 * then the VM ends with what a shell reports: the exit code, or 128 +
 * the signal (the caller has printed why). */
_Noreturn void proc_exit(int code);
_Noreturn void proc_kill(int sig);
/* Why a process dies, on the console: always for init (what a shell would
 * report for the program), for other processes only without "quiet" (a
 * shell says nothing of its grandchildren, and the console then carries
 * exactly what the program and its children wrote). */
bool proc_tell_death(void);
#define proc_death_printk(...)                  \
	do {                                    \
		if (proc_tell_death())          \
			printk(__VA_ARGS__);    \
	} while (0)

/* The first process (pid 1): its kernel stack is the boot trap stack. */
struct proc *proc_init_alloc(void);
/* fork: a copy of the current process, runnable, returning 0 to user mode
 * with every other register as in frame. The child's pid, or -errno. */
int proc_fork(const struct trap_frame *frame);
/* The process with this pid (not free), or NULL. */
struct proc *proc_find(int pid);
/* Give the CPU to another runnable process, if any (sched_yield); the
 * current one stays runnable. proc_yield_to_other: false when there was
 * none, so a caller waiting for another process knows it never will. */
void proc_yield(void);
bool proc_yield_to_other(void);
/* The current process waits until proc_wake: false (and nothing waited)
 * when no other process could ever run to wake it. */
bool proc_block(void);
void proc_wake(struct proc *p);
/* wait4/waitid core: a zombie child matching pid (-1: any) is reaped into
 * *wstatus and its pid returned; 0 with WNOHANG and none yet; -ECHILD. */
int proc_wait(int pid, bool nohang, bool reap, int *wstatus);

#endif
