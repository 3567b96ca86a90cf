/* One virtual machine: its KVM handles, RAM, devices and what it ended with. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "guest_mem.h"
#include "guest_stats.h"
#include "mv_boot.h"
#include "io_bus.h"
#include "kvm.h"
#include "kvm_stats.h"
#include "mmio_bus.h"
#include "serial.h"
#include "blk_dev.h"
#include "x86_boot.h"

enum vm_exit_source {
	VM_EXIT_NONE,
	VM_EXIT_GUEST,     /* the guest wrote its status */
	VM_EXIT_CRASH,     /* triple fault, bad exit, guest broke a device contract */
	VM_EXIT_MONITOR,   /* the monitor itself failed while running */
};

/* KVM statistics sampled at a point of the guest's life. */
struct vm_sample {
	bool taken;
	uint64_t exits;
	uint64_t insn_emulation;
	uint64_t wall_ns;      /* since the first KVM_RUN */
};

struct vm {
	struct kvm kvm;
	struct guest_mem mem;
	struct io_bus io;
	struct mmio_bus mmio;
	struct serial serial;
	int ndisks;                 /* disk[0..ndisks) are open */
	struct virtio_blk disk[MV_VIRTIO_MMIO_MAX];
	struct kvm_stats vcpu_stats;
	struct kvm_stats vm_stats;
	int console_fd;             /* where guest console output goes */
	enum boot_entry entry;
	struct boot_params boot;

	bool stopped;
	enum vm_exit_source exit_source;
	int exit_status;
	char exit_reason[512];

	struct timespec t_start;    /* process start, for wall times */
	struct timespec t_run;      /* first KVM_RUN */
	uint64_t setup_ns;          /* process start to first KVM_RUN */
	struct vm_sample boot_done; /* at MV_MARK_BOOT_DONE */
	struct vm_sample at_exit;
	uint64_t hypercalls;
	struct guest_stats_ref guest_stats; /* MV_HC_PUBLISH_STATS */
	uint64_t kvm_run_cpu_ns;    /* CPU spent inside KVM_RUN: the guest and
	                             * KVM's emulation of it, not the monitor */
};

void vm_stop(struct vm *vm, enum vm_exit_source src, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void vm_sample(struct vm *vm, struct vm_sample *s);
uint64_t vm_ns_since(const struct timespec *t);
uint64_t vm_thread_cpu_ns(void);

/* Run until the guest exits or crashes; returns the process exit status. */
int vm_run(struct vm *vm);

/* Registers and control state on stderr, for crashes. */
void vm_dump_regs(struct vm *vm);

#endif
