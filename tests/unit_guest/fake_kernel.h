/* The rest of the guest kernel, as far as kernel/fault.c, kernel/mm.c and
 * kernel/pcache.c reach it, on the host (test_guest_fault). Built on the
 * fake machine (fake_machine.h): CR3 loads set fake.cr3, whole-page copies
 * are memcpy in fake RAM. */
#ifndef TESTS_UNIT_GUEST_FAKE_KERNEL_H
#define TESTS_UNIT_GUEST_FAKE_KERNEL_H

#include "kernel/file.h"
#include "kernel/proc.h"

struct fake_kernel {
	unsigned file_puts;      /* file_put calls */
	unsigned files_freed;    /* of which dropped the last reference */
	unsigned cr3_loads;      /* arch_load_cr3 calls */
	unsigned page_copies;    /* page_copy calls */
	/* kernel/uaccess.c's two paths: host copies by physical address
	 * (phys_copy, offered while phys_copy_on is set) and the instruction
	 * path (arch_uaccess_copy, here a walk of the current page tables that
	 * calls fault_handle where the CPU would fault) */
	bool phys_copy_on;
	unsigned phys_copies;
	unsigned insn_copies;
	unsigned insn_faults;    /* fault_handle calls by the instruction path */
};

extern struct fake_kernel fake_kernel;

#endif
