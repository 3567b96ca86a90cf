/* Process state, demand paging of the user regions, and death. */
#include "kernel/proc.h"
#include "arch/x86/machine.h"
#include "kernel/printk.h"
#include "lib/errno.h"
#include "mm/uvm.h"
#include "x86.h"

#define SIGILL  4
#define SIGTRAP 5
#define SIGBUS  7
#define SIGFPE  8
#define SIGSEGV 11
#define PAGE_MASK (X86_PAGE_SIZE - 1)

struct proc *proc_current;
bool proc_quiet;

/* x86 has no write-only or execute-only pages: W and X imply R. */
static const uint64_t prot_pte[UPROT_MASK + 1] = {
	[0] = 0,   /* PROT_NONE: never mapped */
	[UPROT_READ] = X86_PTE_NX,
	[UPROT_WRITE] = X86_PTE_W | X86_PTE_NX,
	[UPROT_READ | UPROT_WRITE] = X86_PTE_W | X86_PTE_NX,
	[UPROT_EXEC] = 0,
	[UPROT_READ | UPROT_EXEC] = 0,
	[UPROT_WRITE | UPROT_EXEC] = X86_PTE_W,
	[UPROT_READ | UPROT_WRITE | UPROT_EXEC] = X86_PTE_W,
};

uint64_t proc_prot_pte(uint32_t prot)
{
	return prot_pte[prot & UPROT_MASK];
}

/* Signals Linux sends for each exception taken in user mode. */
static const struct {
	uint8_t sig;
	const char *name;
} fault_signal[X86_NR_EXCEPTIONS] = {
	[X86_VEC_DE] = { SIGFPE, "SIGFPE" },   [X86_VEC_DB] = { SIGTRAP, "SIGTRAP" },
	[X86_VEC_BP] = { SIGTRAP, "SIGTRAP" }, [X86_VEC_UD] = { SIGILL, "SIGILL" },
	[X86_VEC_GP] = { SIGSEGV, "SIGSEGV" }, [X86_VEC_PF] = { SIGSEGV, "SIGSEGV" },
	[X86_VEC_MF] = { SIGFPE, "SIGFPE" },   [X86_VEC_AC] = { SIGBUS, "SIGBUS" },
	[X86_VEC_XM] = { SIGFPE, "SIGFPE" },
};

int proc_handle_fault(uint64_t addr, uint64_t error)
{
	struct proc *p = proc_current;

	if (!p || addr >= UVM_TOP)
		return -EFAULT;
	const struct uregion *r = uregion_find(&p->regions, addr);
	/* A present page already has all its region's rights: a fault
	 * there is a protection fault. ELF pages are populated at exec. */
	if (!r || r->kind == UREGION_ELF || error & X86_PF_P || !(r->prot & UPROT_MASK))
		return -EFAULT;
	if ((error & X86_PF_W && !(r->prot & UPROT_WRITE)) ||
	    (error & X86_PF_I && !(r->prot & UPROT_EXEC)))
		return -EFAULT;
	return uvm_map_zero(addr & ~PAGE_MASK, proc_prot_pte(r->prot), 0) ? -EFAULT : 0;
}

_Noreturn void proc_kill_fault(uint64_t vector, uint64_t error, uint64_t rip, uint64_t addr)
{
	int sig = SIGSEGV;
	const char *name = "SIGSEGV";

	if (vector < X86_NR_EXCEPTIONS && fault_signal[vector].sig) {
		sig = fault_signal[vector].sig;
		name = fault_signal[vector].name;
	}
	printk("pid %d killed by %s (vector %lu error %lx at rip %lx", proc_current->pid, name,
	       vector, error, rip);
	if (vector == X86_VEC_PF)
		printk(", address %lx", addr);
	printk(")\n");
	proc_exit(128 + sig);
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

_Noreturn void proc_exit(int status)
{
	/* init is the only process: its end is the VM's end, and its status
	 * the VM's, as a container runtime passes it through. Its files are
	 * closed and the file system is left clean and on the disk first. */
	if (proc_current)
		fd_close_all(&proc_current->files);
	vfs_shutdown();
	machine_exit(status & 0xff);
}
