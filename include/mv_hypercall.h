/* The mapvisor paravirtual port: work that is cheap on the host and dear in
 * an emulated guest kernel (ABI version MV_HC_ABI_VERSION).
 *
 * Calling convention (one VM exit per call):
 *   rax = operation (MV_HC_*), rdi, rsi, rcx = arguments,
 *   then  `outl %eax, %dx` with dx = mv_boot_info.hc_port
 *   (rdx holds the port, so the third argument travels in rcx).
 *   On return rax holds the result: >= 0 success, -errno (Linux values) on error.
 *   No other register is changed.
 *
 * All addresses are guest-physical; every (gpa, length) is bounds-checked by
 * the VMM against guest RAM, and a bad one returns -EFAULT without touching
 * anything. The port exists only when mv_boot_info.flags has MV_BOOT_F_HC;
 * a kernel booted any other way (QEMU, PVH entry) uses plain instructions.
 */
#ifndef MAPVISOR_MV_HYPERCALL_H
#define MAPVISOR_MV_HYPERCALL_H

/* Version 2 added MV_HC_MEM_COPY (byte ranges), version 3 MV_HC_SLEEP,
 * version 4 MV_HC_PUBLISH_STATS, version 5 MV_HC_WORD_RUN; earlier numbers
 * are unchanged, so an older VMM answers a newer call with -ENOSYS. */
#define MV_HC_ABI_VERSION   5u
#define MV_HC_PORT_DEFAULT  0x0510

enum mv_hc_op {
	MV_HC_VERSION       = 0,  /* -> MV_HC_ABI_VERSION */
	MV_HC_EXIT          = 1,  /* rdi = status; does not return */
	MV_HC_CONSOLE_WRITE = 2,  /* rdi = gpa, rsi = len -> bytes written */
	MV_HC_PAGE_ZERO     = 3,  /* rdi = gpa (4 KiB aligned), rsi = pages -> 0 */
	MV_HC_PAGE_COPY     = 4,  /* rdi = dst gpa, rsi = src gpa, rcx = pages -> 0 */
	MV_HC_PAGE_DISCARD  = 5,  /* rdi = gpa, rsi = pages: contents become zero,
	                           * host memory may be given back -> 0 */
	MV_HC_LOAD_CR3      = 6,  /* rdi = new CR3 -> 0 */
	MV_HC_BOOT_MARK     = 7,  /* rdi = MV_MARK_*: VMM samples KVM stats -> 0 */
	MV_HC_MEM_COPY      = 8,  /* rdi = dst gpa, rsi = src gpa, rcx = bytes
	                           * (<= MV_HC_MEM_COPY_MAX, any alignment, ranges
	                           * may overlap) -> 0; -EINVAL if too long */
	MV_HC_SLEEP         = 9,  /* rdi = nanoseconds (<= MV_HC_SLEEP_MAX_NS): the
	                           * vCPU is idle that long, the host thread sleeps
	                           * instead of the guest spinning in emulated code
	                           * -> 0; -EINVAL if too long */
	MV_HC_PUBLISH_STATS = 10, /* rdi = gpa, rsi = size of the guest's struct
	                           * mv_guest_stats (mv_guest_stats.h), read when
	                           * the VM ends -> 0; -EFAULT outside guest RAM,
	                           * -EINVAL if smaller than its header */
	MV_HC_WORD_RUN      = 11, /* rdi = gpa (4-byte aligned) of rsi little-
	                           * endian 32-bit words (<= MV_HC_WORD_RUN_MAX),
	                           * rcx = a value -> how many words from the
	                           * first go rcx, rcx + 1, rcx + 2 ... (mod 2^32):
	                           * a file system's block map checked for one
	                           * disk run (2 emulated instructions a word
	                           * otherwise); -EINVAL if misaligned or too long */
	MV_HC_NR
};

/* Points in the guest's life that the VMM records KVM statistics at. */
enum mv_mark {
	MV_MARK_BOOT_DONE = 1,    /* kernel could start a user program now */
	MV_MARK_NR
};

/* Console writes longer than this are clamped (the call returns what it wrote). */
#define MV_HC_CONSOLE_MAX   4096u
/* Longest MV_HC_MEM_COPY: bounds the time one exit can take (a 1 MiB
 * memmove is well under a millisecond on the host); longer copies are split. */
#define MV_HC_MEM_COPY_MAX  (1u << 20)
/* Longest MV_HC_WORD_RUN: a 64 KiB block's worth of 32-bit pointers. */
#define MV_HC_WORD_RUN_MAX  16384u
/* Longest MV_HC_SLEEP: one exit never holds the vCPU for more than a second,
 * so a longer sleep is a loop the guest can see through. */
#define MV_HC_SLEEP_MAX_NS  1000000000ull

#endif
