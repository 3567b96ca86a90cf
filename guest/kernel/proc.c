/* Processes: the table, fork, exit, wait, and who runs. There is no
 * preemption (no timer interrupt): a process runs until it waits for a
 * child, yields in a pipe or sched_yield, or exits. */
#include "kernel/proc.h"
#include "arch/x86/machine.h"
#include "arch/x86/syscall_arch.h"
#include "kernel/stats.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/uvm.h"
#include "x86.h"

#define KSTACK_SIZE 16384

struct proc *proc_current;
struct proc proc_table[PROC_MAX];
unsigned proc_slots;
bool proc_quiet;

/* pid 1 runs on the boot trap stack; the others on these */
static uint8_t kstacks[PROC_MAX][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_pid = 1;

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

static struct proc *proc_alloc(void)
{
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (proc_table[i].state == PROC_FREE) {
			struct proc *p = &proc_table[i];
			memset(p, 0, sizeof(*p));
			p->pid = next_pid++;
			p->kstack_top = (uint64_t)(kstacks[i] + KSTACK_SIZE);
			if (proc_slots <= i)
				proc_slots = i + 1;
			return p;
		}
	return NULL;
}

struct proc *proc_init_alloc(void)
{
	struct proc *p = proc_alloc();

	if (p)
		p->state = PROC_RUNNABLE;
	return p;
}

struct proc *proc_find(int pid)
{
	for (unsigned i = 0; i < proc_slots; i++)
		if (proc_table[i].state != PROC_FREE && proc_table[i].pid == pid)
			return &proc_table[i];
	return NULL;
}

static void proc_switch_to(struct proc *next)
{
	struct proc *prev = proc_current;

	if (next == prev)
		return;
	proc_current = next;
	arch_load_cr3(next->cr3);
	arch_set_fs_base(next->fs_base);
	arch_set_kstack(next->kstack_top);
	signal_recalc();
	arch_switch(&prev->kernel_rsp, next->kernel_rsp);
}

/* The next runnable process after the current one, round robin. */
static struct proc *proc_pick(void)
{
	unsigned cur = (unsigned)(proc_current - proc_table);

	for (unsigned k = 1; k <= proc_slots; k++) {
		struct proc *p = &proc_table[(cur + k) % proc_slots];
		if (p->state == PROC_RUNNABLE && p != proc_current)
			return p;
	}
	return NULL;
}

bool proc_yield_to_other(void)
{
	struct proc *next = proc_pick();

	if (next)
		proc_switch_to(next);
	return next != NULL;
}

void proc_yield(void)
{
	proc_yield_to_other();
}

bool proc_block(void)
{
	struct proc *next = proc_pick();

	if (!next)
		return false;
	proc_current->state = PROC_BLOCKED;
	proc_switch_to(next);
	return true;
}

void proc_wake(struct proc *p)
{
	if (p && p->state == PROC_BLOCKED)
		p->state = PROC_RUNNABLE;
}

/* A new process's first code: its copy of the parent's registers. */
static _Noreturn void proc_child_start(void)
{
	struct trap_frame *f = &proc_current->fork_frame;

	if (signal_work)
		signal_deliver(f);
	trap_return(f);
}

/* Unmaps everything (dirty shared pages reach their files) and closes
 * the files of p, whose address space must be current. */
static void proc_release(struct proc *p)
{
	mm_destroy(p);
	fd_close_all(&p->files);
}

int proc_fork(const struct trap_frame *frame)
{
	struct proc *parent = proc_current, *c = proc_alloc();

	if (!c)
		return -EAGAIN;
	c->ppid = parent->pid;
	if (!(c->cr3 = uvm_create()))
		return -ENOMEM;   /* c stays free */
	mm_init(c);
	int err = mm_fork(parent, c);
	if (err) {
		arch_load_cr3(c->cr3);
		mm_destroy(c);
		arch_load_cr3(parent->cr3);
		uvm_destroy(c->cr3);
		return err;
	}
	c->brk_start = parent->brk_start;
	c->brk = parent->brk;
	c->fs_base = parent->fs_base;
	memcpy(c->rlim, parent->rlim, sizeof(c->rlim));
	/* actions, mask and alternate stack are inherited; pending is not */
	c->sig = parent->sig;
	c->sig.pending = 0;
	memset(c->sig.queued, 0, sizeof(c->sig.queued));
	c->files = parent->files;
	for (int fd = 0; fd < FD_MAX; fd++)
		if (c->files.fd[fd])
			c->files.fd[fd]->refs++;
	memcpy(c->cwd, parent->cwd, sizeof(c->cwd));

	c->fork_frame = *frame;
	c->fork_frame.rax = 0;
	/* arch_switch pops six zeros, then returns into proc_child_start
	 * with RSP 8 below a 16-byte boundary, as after a call */
	uint64_t *sp = (uint64_t *)(c->kstack_top - 16);
	*sp = (uint64_t)proc_child_start;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	c->kernel_rsp = (uint64_t)sp;
	c->state = PROC_RUNNABLE;
	stats_forks++;
	return c->pid;
}

/* init is the VM: when it ends, every other process ends too (their
 * mappings written back, their files closed), the file system is left
 * clean, and the VM's status is what a shell reports for init. */
static _Noreturn void proc_end_vm(int vm_status)
{
	struct proc *self = proc_current;

	for (unsigned i = 0; i < proc_slots; i++) {
		struct proc *p = &proc_table[i];
		if (p == self || p->state == PROC_FREE || p->state == PROC_ZOMBIE)
			continue;
		arch_load_cr3(p->cr3);
		proc_current = p;
		proc_release(p);
	}
	proc_current = self;
	if (self) {
		arch_load_cr3(self->cr3);
		proc_release(self);
	}
	vfs_shutdown();
	stats_at_exit();
	machine_exit(vm_status & 0xff);
}

/* Any other process becomes a zombie holding its wait status; its
 * children go to init; its parent is woken and sent SIGCHLD. */
static _Noreturn void proc_end(int wstatus, int vm_status)
{
	struct proc *p = proc_current, *init = proc_find(1);

	if (!p || p->pid == 1 || !init)
		proc_end_vm(vm_status);
	proc_release(p);
	arch_load_cr3(init->cr3);
	uvm_destroy(p->cr3);
	for (unsigned i = 0; i < proc_slots; i++)
		if (proc_table[i].state != PROC_FREE && proc_table[i].ppid == p->pid) {
			proc_table[i].ppid = 1;
			if (proc_table[i].state == PROC_ZOMBIE)
				proc_wake(init);
		}
	p->wstatus = wstatus;
	p->state = PROC_ZOMBIE;
	struct proc *parent = proc_find(p->ppid);
	if (parent) {
		const struct k_sigaction *a = &parent->sig.action[SIGCHLD];
		struct sig_info si = {
			.code = wstatus & 0x7f ? CLD_KILLED : CLD_EXITED,
			.pid = p->pid,
			.status = wstatus & 0x7f ? wstatus & 0x7f : (wstatus >> 8) & 0xff,
		};
		/* a parent that ignores SIGCHLD (or asks SA_NOCLDWAIT) leaves
		 * no zombies: its waits find nothing (wait(2)) */
		if (a->handler == SIG_IGN || a->flags & SA_NOCLDWAIT)
			p->state = PROC_FREE;
		signal_raise(parent, SIGCHLD, &si);
		proc_wake(parent);
	}
	struct proc *next = proc_pick();
	if (!next) {
		printk("every process is waiting: the VM ends\n");
		proc_current = init;
		proc_end_vm(125);
	}
	proc_switch_to(next);
	__builtin_unreachable();   /* a zombie is never switched back to */
}

_Noreturn void proc_exit(int code)
{
	proc_end((code & 0xff) << 8, code & 0xff);
}

bool proc_tell_death(void)
{
	return !proc_quiet || !proc_current || proc_current->pid == 1;
}

/* What a shell reports for a child killed by a signal. */
_Noreturn void proc_kill(int sig)
{
	proc_end(sig & 0x7f, 128 + sig);
}

int proc_wait(int pid, bool nohang, bool reap, int *wstatus)
{
	struct proc *self = proc_current;

	for (;;) {
		bool have = false;
		for (unsigned i = 0; i < proc_slots; i++) {
			struct proc *c = &proc_table[i];
			if (c->state == PROC_FREE || c->ppid != self->pid || (pid > 0 && c->pid != pid))
				continue;
			have = true;
			if (c->state != PROC_ZOMBIE)
				continue;
			*wstatus = c->wstatus;
			if (reap)
				c->state = PROC_FREE;
			return c->pid;
		}
		if (!have)
			return -ECHILD;
		if (nohang)
			return 0;
		if (signal_interrupts())
			return -ERESTARTSYS;
		if (!proc_block())
			return -EDEADLK;   /* children that can never run */
	}
}
