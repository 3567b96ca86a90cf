/* Everything mapvisor sets up so the kernel starts with nothing left to do in
 * emulated code: start info, memory map, boot GDT, page tables, vCPU state.
 * The layout is the contract in include/mv_boot.h. */
#ifndef VMM_X86_BOOT_H
#define VMM_X86_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "elf_load.h"
#include "guest_mem.h"
#include "kvm.h"

enum boot_entry { BOOT_ENTRY_AUTO, BOOT_ENTRY_64, BOOT_ENTRY_PVH };

struct boot_params {
	const char *cmdline;
	enum boot_entry entry;
	bool hc;                /* offer the hypercall port */
	bool cpl0_emulated;     /* tell the kernel its CPL 0 code is emulated */
	uint16_t hc_port;
	bool gbpages;           /* the CPU has 1 GiB pages */
	bool ram_zero;          /* RAM read as zero before the boot data and
				 * the kernel were written (guest_mem.zero_at_start) */
};

/* Write the boot data into guest RAM (pure: no KVM). Returns the entry used. */
int boot_write_tables(struct guest_mem *gm, const struct elf_info *elf,
		      const struct boot_params *bp, enum boot_entry *used, struct mv_err *e);

/* Write the time base into mv_boot_info (64-bit entry only): the TSC rate
 * from KVM (k may be NULL: rate unknown) and the host's CLOCK_REALTIME.
 * Called right before the first KVM_RUN: the kernel pairs the time with
 * the TSC it reads at entry, so every microsecond of set-up in between
 * would make the guest's clock late by as much. */
void boot_stamp_time(struct guest_mem *gm, struct kvm *k, enum boot_entry entry);

/* Load the vCPU registers for the chosen entry. */
int boot_set_vcpu(struct kvm *k, const struct elf_info *elf, enum boot_entry entry,
		  struct mv_err *e);

const char *boot_entry_name(enum boot_entry b);

#endif
