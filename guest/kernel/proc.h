/* Processes. There is one so far: the init program named on the command
 * line; when it ends, the VM ends with its status. */
#ifndef GUEST_KERNEL_PROC_H
#define GUEST_KERNEL_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/file.h"
#include "kernel/vfs.h"
#include "mm/uregion.h"

struct proc {
	int pid, ppid;
	uint64_t cr3;            /* PML4 (physical) */
	uint64_t brk_start;      /* page-aligned end of the program image */
	uint64_t brk;            /* current break, as brk(2) reports it */
	uint64_t mmap_low;       /* anonymous mmap hands out below this */
	uint64_t fs_base;
	uint64_t clear_child_tid;
	struct uregion_set regions;
	struct fdtable files;
	char cwd[VFS_PATH_MAX];  /* absolute, normalized (vfs_path_join) */
};

extern struct proc *proc_current;
extern bool proc_quiet;      /* "quiet" on the command line: no syscall log */

/* PROT_* -> PTE bits (P and U added by the mapper). */
uint64_t proc_prot_pte(uint32_t prot);
/* A page fault at addr (user mode, or the kernel touching user memory):
 * 0 if a page was supplied and the access can be retried, else -EFAULT. */
int proc_handle_fault(uint64_t addr, uint64_t error);
/* A user-mode exception that is not a system call: the process dies with
 * the signal Linux would send, and so does the VM (status 128 + signal). */
_Noreturn void proc_kill_fault(uint64_t vector, uint64_t error, uint64_t rip, uint64_t addr);
/* Descriptors 0, 1 and 2 on the console, cwd "/". 0 or -errno. */
int proc_files_init(struct proc *p);
_Noreturn void proc_exit(int status);

#endif
