/* Process state, limits and death. */
#include "kernel/proc.h"
#include "arch/x86/machine.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "lib/errno.h"
#include "mm/uvm.h"
#include "x86.h"

struct proc *proc_current;
bool proc_quiet;

/* x86 has no write-only or execute-only pages: W and X imply R. */
static const uint64_t prot_pte[VMA_PROT_MASK + 1] = {
	[0] = 0,   /* PROT_NONE: never present */
	[VMA_PROT_READ] = X86_PTE_NX,
	[VMA_PROT_WRITE] = X86_PTE_W | X86_PTE_NX,
	[VMA_PROT_READ | VMA_PROT_WRITE] = X86_PTE_W | X86_PTE_NX,
	[VMA_PROT_EXEC] = 0,
	[VMA_PROT_READ | VMA_PROT_EXEC] = 0,
	[VMA_PROT_WRITE | VMA_PROT_EXEC] = X86_PTE_W,
	[VMA_PROT_READ | VMA_PROT_WRITE | VMA_PROT_EXEC] = X86_PTE_W,
};

uint64_t proc_prot_pte(uint32_t prot)
{
	return prot_pte[prot & VMA_PROT_MASK];
}

int proc_files_init(struct proc *p)
{
	struct file *con = file_alloc(FILE_CONSOLE, O_RDWR);

	if (!con)
		return -ENFILE;
	con->refs = 3;
	for (int fd = 0; fd < 3; fd++)
		fd_install(&p->files, con, fd, false);
	p->cwd[0] = '/';
	p->cwd[1] = '\0';
	return 0;
}

/* What a Linux 6.x init hands its children by default. */
void proc_limits_init(struct proc *p)
{
	for (unsigned i = 0; i < RLIM_NLIMITS; i++)
		p->rlim[i] = (struct rlimit64){ RLIM_INFINITY, RLIM_INFINITY };
	p->rlim[RLIMIT_STACK].cur = 8ull << 20;
	p->rlim[RLIMIT_CORE].cur = 0;
	p->rlim[RLIMIT_NOFILE] = (struct rlimit64){ FD_MAX, FD_MAX };
	p->rlim[RLIMIT_MEMLOCK] = (struct rlimit64){ 8ull << 20, 8ull << 20 };
}

/* init is the only process: its end is the VM's end, and its status the
 * VM's, as a container runtime passes it through. Its mappings go first
 * (dirty shared pages reach the file), then its files; the file system is
 * left clean and on the disk. */
static _Noreturn void proc_end(int vm_status)
{
	if (proc_current) {
		mm_destroy(proc_current);
		fd_close_all(&proc_current->files);
	}
	vfs_shutdown();
	machine_exit(vm_status & 0xff);
}

_Noreturn void proc_exit(int code)
{
	proc_end(code & 0xff);
}

/* What a shell reports for a child killed by a signal. */
_Noreturn void proc_kill(int sig)
{
	proc_end(128 + sig);
}
