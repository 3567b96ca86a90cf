#include "vm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mv_exit.h"

uint64_t vm_ns_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t->tv_sec) * 1000000000ull + now.tv_nsec - t->tv_nsec;
}

uint64_t vm_thread_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

void vm_stop(struct vm *vm, enum vm_exit_source src, int status, const char *fmt, ...)
{
	va_list ap;
	if (vm->stopped)
		return;
	vm->stopped = true;
	vm->exit_source = src;
	vm->exit_status = status;
	va_start(ap, fmt);
	vsnprintf(vm->exit_reason, sizeof(vm->exit_reason), fmt, ap);
	va_end(ap);
}

void vm_sample(struct vm *vm, struct vm_sample *s)
{
	kvm_stats_refresh(&vm->vcpu_stats);
	s->taken = true;
	s->exits = kvm_stats_value(&vm->vcpu_stats, kvm_stats_find(&vm->vcpu_stats, "exits"));
	s->insn_emulation =
		kvm_stats_value(&vm->vcpu_stats, kvm_stats_find(&vm->vcpu_stats, "insn_emulation"));
	s->wall_ns = vm_ns_since(&vm->t_run);
}

void vm_dump_regs(struct vm *vm)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (kvm_get_regs(&vm->kvm, &r) < 0 || kvm_get_sregs(&vm->kvm, &s) < 0) {
		log_err("guest registers unavailable: %s", strerror(errno));
		return;
	}
	fprintf(stderr,
		"guest registers:\n"
		"  rip %016llx  rsp %016llx  rbp %016llx  rflags %08llx\n"
		"  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx\n"
		"  rsi %016llx  rdi %016llx  r8  %016llx  r9  %016llx\n"
		"  r10 %016llx  r11 %016llx  r12 %016llx  r13 %016llx\n"
		"  r14 %016llx  r15 %016llx\n"
		"  cs %04x (dpl %u, %s)  ss %04x  cr0 %08llx  cr2 %016llx  cr3 %016llx\n"
		"  cr4 %08llx  efer %08llx  gdt %016llx/%x  idt %016llx/%x\n",
		r.rip, r.rsp, r.rbp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.r8,
		r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cs.selector, s.cs.dpl,
		s.cs.l ? "64-bit" : s.cs.db ? "32-bit" : "16-bit", s.ss.selector, s.cr0, s.cr2,
		s.cr3, s.cr4, s.efer, s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

static void crash(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void crash(struct vm *vm, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vm_stop(vm, VM_EXIT_CRASH, MV_EXIT_GUEST_CRASH, "%s", msg);
}

static void handle_exit(struct vm *vm)
{
	struct kvm_run *run = vm->kvm.run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint64_t bytes = (uint64_t)run->io.size * run->io.count;
		if (run->io.data_offset + bytes > (uint64_t)vm->kvm.run_size) {
			crash(vm, "KVM_EXIT_IO data outside the run area");
			return;
		}
		io_bus_dispatch(&vm->io, vm, run->io.direction, run->io.port, run->io.size,
				run->io.count, (uint8_t *)run + run->io.data_offset);
		return;
	}
	case KVM_EXIT_MMIO:
		if (!mmio_bus_dispatch(&vm->mmio, vm, run->mmio.phys_addr, run->mmio.data,
				       (int)run->mmio.len, run->mmio.is_write))
			crash(vm, "guest %s of %u bytes at GPA 0x%llx: no RAM or device there",
			      run->mmio.is_write ? "write" : "read", run->mmio.len,
			      (unsigned long long)run->mmio.phys_addr);
		return;
	case KVM_EXIT_HLT:
		crash(vm, "guest halted with nothing to wake it (no interrupt sources)");
		return;
	case KVM_EXIT_SHUTDOWN:
		crash(vm, "guest shutdown (triple fault)");
		return;
	case KVM_EXIT_FAIL_ENTRY:
		crash(vm, "KVM entry failed, hardware reason 0x%llx",
		      (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return;
	case KVM_EXIT_INTERNAL_ERROR:
		crash(vm, "KVM internal error, suberror %u", run->internal.suberror);
		return;
	case KVM_EXIT_SYSTEM_EVENT:
		crash(vm, "guest system event %u", run->system_event.type);
		return;
	default:
		crash(vm, "unhandled KVM exit reason %u", run->exit_reason);
		return;
	}
}

int vm_run(struct vm *vm)
{
	clock_gettime(CLOCK_MONOTONIC, &vm->t_run);
	vm->setup_ns = vm_ns_since(&vm->t_start) - vm_ns_since(&vm->t_run);
	boot_stamp_time(&vm->mem, &vm->kvm, vm->entry);
	while (!vm->stopped) {
		uint64_t cpu0 = vm_thread_cpu_ns();
		int r = kvm_run(&vm->kvm);
		vm->kvm_run_cpu_ns += vm_thread_cpu_ns() - cpu0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_stop(vm, VM_EXIT_MONITOR, MV_EXIT_MONITOR, "kvm: KVM_RUN: %s",
				strerror(errno));
			break;
		}
		handle_exit(vm);
	}
	vm_sample(vm, &vm->at_exit);
	serial_flush(&vm->serial);
	if (vm->exit_source == VM_EXIT_CRASH) {
		log_err("guest crashed: %s", vm->exit_reason);
		vm_dump_regs(vm);
	} else if (vm->exit_source == VM_EXIT_MONITOR) {
		log_err("%s", vm->exit_reason);
	}
	return vm->exit_status;
}
