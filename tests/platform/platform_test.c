/* Platform tests: pin down what the host's /dev/kvm does with a 64-bit guest,
 * so that a change of host (kernel update, kvm-pvm replaced by hardware KVM,
 * a fix in kvm-pvm) shows up as a failing test instead of a mysterious guest.
 *
 * Each case builds a tiny VM from scratch: identity-mapped page tables, a GDT
 * with kernel and user segments, a real 64-bit TSS with an I/O bitmap, an IDT
 * whose stubs report the vector and stop, and a few instructions assembled
 * below. The vCPU starts in 64-bit mode at CPL 0 (set up through sregs) and
 * the guest talks to us only through `out` to the TEST_PORT_* ports.
 *
 * Output: one PASS/FAIL/SKIP line per case, INFO lines with measured costs
 * (never asserted: timing on shared machines is noise), and a final count.
 * Exit status 0 when nothing failed. See docs/platform.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "x86.h"

/* ---- guest physical layout (one 16 MiB slot, identical in every case) ---- */
enum {
	GPA_PML4      = 0x1000,   /* tree A: what the vCPU starts with */
	GPA_PDPT      = 0x2000,
	GPA_PD_LOW    = 0x3000,   /* 0..4 MiB identity (2 MiB pages), shared by A and B */
	GPA_GDT       = 0x4000,
	GPA_TSS       = 0x5000,
	GPA_IDT       = 0x6000,   /* 256 gates x 16 bytes = one page */
	GPA_PT_FAULT  = 0x7000,   /* 4 KiB PTEs for the fault window, initially empty */
	GPA_PML4_B    = 0x8000,   /* tree B: loaded by the VMM in set_sregs_cr3_switch */
	GPA_PDPT_B    = 0x9000,
	GPA_PD_HIGH_A = 0xa000,
	GPA_PD_HIGH_B = 0xb000,
	GPA_ENTRY     = 0x10000,  /* CPL 0 code the vCPU starts at */
	GPA_STUBS     = 0x11000,  /* one reporting stub per exception vector */
	GPA_LSTAR     = 0x12000,  /* where `syscall` goes */
	GPA_PF        = 0x13000,  /* the one-PTE #PF handler */
	GPA_UD        = 0x14000,  /* #UD handler that completes a syscall */
	GPA_USER      = 0x20000,  /* CPL 3 code */
	USER_STACK    = 0x300000,
	KERNEL_STACK  = 0x380000, /* RSP0 in the TSS */
	FAULT_WINDOW  = 0x400000, /* VA == PA, 2 MiB of not-yet-present 4 KiB pages */
	PAGE_A        = 0x600000, /* what VA 0x40000000 maps to in tree A ... */
	PAGE_B        = 0x800000, /* ... and in tree B */
	VA_SWITCHED   = 0x40000000,
	MEM_SIZE      = 16 << 20,
};

/* GDT selectors. STAR below derives the syscall/sysret selectors from them. */
enum {
	SEL_KCODE = 0x08, SEL_KDATA = 0x10, SEL_UDATA = 0x18, SEL_UCODE = 0x20, SEL_TSS = 0x28,
};

/* Ports the guest reports through (none of them is a real device). */
enum {
	TEST_PORT_DONE   = 0x6f0, /* eax = result; the scenario is over */
	TEST_PORT_REPORT = 0x6f1, /* eax = a value to record; continue */
	TEST_PORT_TRAP   = 0x6f2, /* eax = vector: an IDT stub ran */
	TEST_PORT_CR3    = 0x6f3, /* please load tree B into CR3 */
	TEST_PORT_SNAP   = 0x6f4, /* checkpoint: save, destroy, restore */
	TEST_PORT_RETARGET = 0x6f5, /* the VMM rewrites tree A's VA_SWITCHED entry */
	PORT_NOISE       = 0x80,  /* exits the VMM ignores (cost of an `out`) */
	IOMAP_BYTES      = 0x700 / 8, /* I/O bitmap covers ports 0..0x6ff */
	TSS_LIMIT        = X86_TSS64_SIZE + IOMAP_BYTES, /* includes the 0xff byte */
};

#define RFLAGS_FIXED  0x002ull
#define RFLAGS_IF     0x200ull
#define RFLAGS_IOPL3  0x3000ull
#define RFLAGS_USER   (RFLAGS_FIXED | RFLAGS_IF)  /* IOPL 0: the I/O bitmap decides */
#define TSS64_BUSY    (0xbull << 40)

/* ---- tiny assembler: one function per instruction, encoding in the body ---- */
struct code { uint8_t *p; size_t n, cap; };

enum reg { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11 };

static void byte(struct code *c, uint8_t b)
{
	if (c->n >= c->cap) {
		fprintf(stderr, "platform_test: guest code buffer overflow\n");
		abort();
	}
	c->p[c->n++] = b;
}
static void bytes(struct code *c, const uint8_t *b, size_t n) { while (n--) byte(c, *b++); }
#define EMIT(c, ...) bytes((c), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
static void imm16(struct code *c, uint16_t v) { bytes(c, (const uint8_t *)&v, 2); }
static void imm32(struct code *c, uint32_t v) { bytes(c, (const uint8_t *)&v, 4); }
static void imm64(struct code *c, uint64_t v) { bytes(c, (const uint8_t *)&v, 8); }
static uint8_t rex_w(enum reg r) { return 0x48 | (r >= R8 ? 1 : 0); }

/* mov $imm, %r64 */            static void mov_imm64(struct code *c, enum reg r, uint64_t v) { EMIT(c, rex_w(r), 0xb8 + (r & 7)); imm64(c, v); }
/* mov $imm, %eax */            static void mov_eax_imm(struct code *c, uint32_t v) { EMIT(c, 0xb8); imm32(c, v); }
/* mov $port, %dx */            static void mov_dx_imm(struct code *c, uint16_t v) { EMIT(c, 0x66, 0xba); imm16(c, v); }
/* out %eax, %dx */             static void out_eax_dx(struct code *c) { EMIT(c, 0xef); }
/* dec %r64 */                  static void dec(struct code *c, enum reg r) { EMIT(c, rex_w(r), 0xff, 0xc8 + (r & 7)); }
/* add $imm8, %r64 */           static void add_imm8(struct code *c, enum reg r, int8_t v) { EMIT(c, rex_w(r), 0x83, 0xc0 + (r & 7), (uint8_t)v); }
/* push $imm32 (sign-ext) */    static void push_imm(struct code *c, uint32_t v) { EMIT(c, 0x68); imm32(c, v); }
/* push %r64 */                 static void push(struct code *c, enum reg r) { if (r >= R8) EMIT(c, 0x41); EMIT(c, 0x50 + (r & 7)); }
/* pop %r64 */                  static void pop(struct code *c, enum reg r) { if (r >= R8) EMIT(c, 0x41); EMIT(c, 0x58 + (r & 7)); }
/* mov %rsp, %rdx */            static void mov_rsp_rdx(struct code *c) { EMIT(c, 0x48, 0x89, 0xe2); }
/* mov %rbx, %rax */            static void mov_rbx_rax(struct code *c) { EMIT(c, 0x48, 0x89, 0xd8); }
/* xor %ebx, %ebx */            static void zero_rbx(struct code *c) { EMIT(c, 0x31, 0xdb); }
/* mov %cs, %eax */             static void mov_cs_eax(struct code *c) { EMIT(c, 0x8c, 0xc8); }
/* mov %cr2, %rax */            static void mov_cr2_rax(struct code *c) { EMIT(c, 0x0f, 0x20, 0xd0); }
/* mov %cr3, %rax */            static void mov_cr3_rax(struct code *c) { EMIT(c, 0x0f, 0x20, 0xd8); }
/* movl $imm, (%rbx) */         static void store_imm_at_rbx(struct code *c, uint32_t v) { EMIT(c, 0xc7, 0x03); imm32(c, v); }
/* mov (%rbx), %eax */          static void load_eax_at_rbx(struct code *c) { EMIT(c, 0x8b, 0x03); }
/* mov (%rbx), %rax */          static void load_rax_at_rbx(struct code *c) { EMIT(c, 0x48, 0x8b, 0x03); }
/* syscall */                   static void syscall_(struct code *c) { EMIT(c, 0x0f, 0x05); }
/* sysretq */                   static void sysretq(struct code *c) { EMIT(c, 0x48, 0x0f, 0x07); }
/* iretq */                     static void iretq(struct code *c) { EMIT(c, 0x48, 0xcf); }
/* hlt */                       static void hlt(struct code *c) { EMIT(c, 0xf4); }
/* ud2 */                       static void ud2(struct code *c) { EMIT(c, 0x0f, 0x0b); }
/* jnz label (backwards) */
static void jnz_back(struct code *c, size_t label)
{
	long rel = (long)label - (long)(c->n + 2);
	if (rel < -128) {
		fprintf(stderr, "platform_test: jnz too far\n");
		abort();
	}
	EMIT(c, 0x75, (uint8_t)rel);
}
/* mov $port,%dx; out %eax,%dx: the guest's way to tell us something */
static void report_eax(struct code *c, uint16_t port) { mov_dx_imm(c, port); out_eax_dx(c); }
/* mov $value,%eax; mov $port,%dx; out %eax,%dx */
static void report_imm(struct code *c, uint16_t port, uint32_t v) { mov_eax_imm(c, v); report_eax(c, port); }

/* ---- a VM with one vCPU ---- */
struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
};

static int kvm_fd = -1;
static int on_pvm;

static uint64_t *u64_at(struct vm *v, uint64_t gpa) { return (uint64_t *)(v->mem + gpa); }
static struct code code_at(struct vm *v, uint64_t gpa) { return (struct code){ v->mem + gpa, 0, 0x1000 - (gpa & 0xfff) }; }

static int vm_attach(struct vm *v, uint8_t *mem, char *err, size_t errlen)
{
	v->kvm = kvm_fd;
	v->mem = mem;
	v->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (v->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	v->vcpu = ioctl(v->fd, KVM_CREATE_VCPU, 0);
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (v->vcpu < 0 || size <= 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		snprintf(err, errlen, "mmap kvm_run: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Closes the VM but leaves guest memory alone (a restore may reuse it). */
static void vm_detach(struct vm *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->vcpu = v->fd = -1;
}

static void vm_destroy(struct vm *v)
{
	vm_detach(v);
	if (v->mem)
		munmap(v->mem, MEM_SIZE);
	v->mem = NULL;
}

static uint8_t *guest_ram(void)
{
	void *m = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

/* ---- guest tables ---- */
static uint64_t code_desc(int dpl)
{
	return X86_DESC_LIMIT_MAX | X86_DESC_A | X86_DESC_RW | X86_DESC_CODE | X86_DESC_S |
	       (dpl ? X86_DESC_DPL3 : 0) | X86_DESC_P | X86_DESC_L | X86_DESC_G;
}
static uint64_t data_desc(int dpl)
{
	return X86_DESC_LIMIT_MAX | X86_DESC_A | X86_DESC_RW | X86_DESC_S | (dpl ? X86_DESC_DPL3 : 0) | X86_DESC_P |
	       X86_DESC_DB | X86_DESC_G;
}

static void set_gate(struct vm *v, int vec, uint64_t handler)
{
	uint64_t *g = u64_at(v, GPA_IDT + 16 * (uint64_t)vec);
	/* 64-bit interrupt gate (type 0xe), present, DPL 0, kernel CS, no IST */
	g[0] = (handler & 0xffff) | ((uint64_t)SEL_KCODE << 16) | (0x8eull << 40) | (((handler >> 16) & 0xffff) << 48);
	g[1] = handler >> 32;
}

/* Page tables, GDT, TSS and IDT. Everything user code touches carries U=1, so
 * the only faults are the ones a case provokes. */
static void build_tables(struct vm *v)
{
	const uint64_t pt = X86_PTE_P | X86_PTE_W | X86_PTE_U;
	u64_at(v, GPA_PML4)[0] = GPA_PDPT | pt;
	u64_at(v, GPA_PDPT)[0] = GPA_PD_LOW | pt;
	u64_at(v, GPA_PDPT)[1] = GPA_PD_HIGH_A | pt;
	u64_at(v, GPA_PD_LOW)[0] = 0x000000 | pt | X86_PTE_PS;
	u64_at(v, GPA_PD_LOW)[1] = 0x200000 | pt | X86_PTE_PS;
	u64_at(v, GPA_PD_LOW)[2] = GPA_PT_FAULT | pt;           /* the fault window */
	u64_at(v, GPA_PD_HIGH_A)[0] = PAGE_A | pt | X86_PTE_PS;
	u64_at(v, GPA_PML4_B)[0] = GPA_PDPT_B | pt;
	u64_at(v, GPA_PDPT_B)[0] = GPA_PD_LOW | pt;
	u64_at(v, GPA_PDPT_B)[1] = GPA_PD_HIGH_B | pt;
	u64_at(v, GPA_PD_HIGH_B)[0] = PAGE_B | pt | X86_PTE_PS;

	uint64_t *gdt = u64_at(v, GPA_GDT);
	gdt[SEL_KCODE / 8] = code_desc(0);
	gdt[SEL_KDATA / 8] = data_desc(0);
	gdt[SEL_UDATA / 8] = data_desc(3);
	gdt[SEL_UCODE / 8] = code_desc(3);
	/* TSS descriptor, marked busy because KVM_SET_SREGS loads TR as busy */
	gdt[SEL_TSS / 8] = TSS_LIMIT | ((uint64_t)(GPA_TSS & 0xffffff) << 16) | TSS64_BUSY | X86_DESC_P |
			   ((uint64_t)((GPA_TSS >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = (uint64_t)GPA_TSS >> 32;

	/* An honest TSS: RSP0 for exceptions from CPL 3, and the I/O map base at the
	 * limit, i.e. no I/O permission bitmap at all. */
	uint8_t *tss = v->mem + GPA_TSS;
	uint64_t rsp0 = KERNEL_STACK;
	uint16_t iomap = X86_TSS64_SIZE;
	memcpy(tss + X86_TSS64_RSP0, &rsp0, 8);
	memcpy(tss + X86_TSS64_IOMAP, &iomap, 2);
	/* The I/O permission bitmap lets CPL 3 reach exactly the test ports (an
	 * `out %eax` checks all four bits of its port range, so the last port
	 * brings three more); the trailing 0xff byte is the one x86 requires
	 * after the map. */
	memset(tss + X86_TSS64_SIZE, 0xff, IOMAP_BYTES + 1);
	for (unsigned port = TEST_PORT_DONE; port < TEST_PORT_RETARGET + 4; port++)
		tss[X86_TSS64_SIZE + port / 8] &= (uint8_t)~(1u << (port % 8));
	for (unsigned port = PORT_NOISE; port < PORT_NOISE + 4; port++)
		tss[X86_TSS64_SIZE + port / 8] &= (uint8_t)~(1u << (port % 8));

	/* Every exception vector reports itself and stops; cases replace a gate
	 * when they want to handle the exception instead. */
	for (int vec = 0; vec < X86_NR_EXCEPTIONS; vec++) {
		struct code c = code_at(v, GPA_STUBS + 16 * (uint64_t)vec);
		c.cap = 16;
		report_imm(&c, TEST_PORT_TRAP, (uint32_t)vec);
		hlt(&c);
		set_gate(v, vec, GPA_STUBS + 16 * (uint64_t)vec);
	}

	u64_at(v, PAGE_A)[0] = 0xaaaa0001;
	u64_at(v, PAGE_B)[0] = 0xbbbb0002;
}

/* CPL 0 code at GPA_ENTRY that drops to user code with the given RFLAGS. */
static void write_enter_user(struct vm *v, uint64_t rflags)
{
	struct code c = code_at(v, GPA_ENTRY);
	push_imm(&c, SEL_UDATA | 3);   /* SS */
	push_imm(&c, USER_STACK);      /* RSP */
	push_imm(&c, (uint32_t)rflags);/* RFLAGS */
	push_imm(&c, SEL_UCODE | 3);   /* CS */
	push_imm(&c, GPA_USER);        /* RIP */
	iretq(&c);
}

/* The smallest useful #PF handler: map the faulting page 1:1 with one PTE
 * store and retry. With `report`, it first tells us its CS and CR2. */
static void write_pf_handler(struct vm *v, int report)
{
	struct code c = code_at(v, GPA_PF);
	add_imm8(&c, RSP, 8);                  /* drop the error code */
	push(&c, RAX);
	push(&c, RCX);
	if (report) {
		push(&c, RDX);
		mov_cs_eax(&c);
		report_eax(&c, TEST_PORT_REPORT);
		mov_cr2_rax(&c);
		report_eax(&c, TEST_PORT_REPORT);
		pop(&c, RDX);
	}
	mov_cr2_rax(&c);
	EMIT(&c, 0x48, 0x89, 0xc1);               /* mov %rax,%rcx */
	EMIT(&c, 0x48, 0xc1, 0xe8, 0x0c);         /* shr $12,%rax */
	EMIT(&c, 0x25); imm32(&c, 0x1ff);         /* and $0x1ff,%eax: PTE index */
	EMIT(&c, 0x48, 0x81, 0xe1); imm32(&c, 0xfffff000); /* and $-4096,%rcx */
	EMIT(&c, 0x48, 0x83, 0xc9, 0x07);         /* or $7,%rcx: P|W|U */
	EMIT(&c, 0x48, 0x89, 0x0c, 0xc5); imm32(&c, GPA_PT_FAULT); /* mov %rcx,GPA_PT_FAULT(,%rax,8) */
	pop(&c, RCX);
	pop(&c, RAX);
	iretq(&c);
	set_gate(v, X86_VEC_PF, GPA_PF);
}

static int set_msr(struct vm *v, uint32_t index, uint64_t value)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m;
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.e.index = index;
	m.e.data = value;
	return ioctl(v->vcpu, KVM_SET_MSRS, &m) == 1 ? 0 : -1;
}

static struct kvm_segment segment(uint16_t sel, int code)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = code ? 11 : 3, .present = 1,
		.dpl = 0, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

/* Put the vCPU straight into 64-bit mode at CPL 0 (no 16/32-bit code at all:
 * on kvm-pvm every such instruction would be emulated) and point it at `rip`. */
static int vcpu_start(struct vm *v, uint64_t rip, char *err, size_t errlen)
{
	struct kvm_sregs s;
	if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
		goto fail;
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_PG;
	s.cr4 = X86_CR4_PAE;
	s.cr3 = GPA_PML4;
	s.efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	s.cs = segment(SEL_KCODE, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = segment(SEL_KDATA, 0);
	s.gdt.base = GPA_GDT;
	s.gdt.limit = SEL_TSS + 16 - 1;
	s.idt.base = GPA_IDT;
	s.idt.limit = 256 * 16 - 1;
	s.tr = (struct kvm_segment){ .base = GPA_TSS, .limit = TSS_LIMIT, .selector = SEL_TSS,
				     .type = 11, .present = 1 };
	if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0)
		goto fail;
	/* syscall: CS = STAR[47:32]; sysret: CS = STAR[63:48] + 16, SS = + 8 */
	if (set_msr(v, X86_MSR_STAR, ((uint64_t)SEL_KDATA << 48) | ((uint64_t)SEL_KCODE << 32)) ||
	    set_msr(v, X86_MSR_LSTAR, GPA_LSTAR) ||
	    set_msr(v, X86_MSR_FMASK, RFLAGS_IF | 0x700)) /* IF, TF, DF as Linux does */
		goto fail;
	struct kvm_regs r = { .rip = rip, .rsp = KERNEL_STACK, .rflags = RFLAGS_FIXED };
	if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "vCPU set-up: %s", strerror(errno));
	return -1;
}

/* A VM with tables built, the vCPU ready at GPA_ENTRY; the case writes code. */
static int vm_new(struct vm *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->fd = v->vcpu = -1;
	uint8_t *mem = guest_ram();
	if (!mem) {
		snprintf(err, errlen, "mmap guest RAM: %s", strerror(errno));
		return -1;
	}
	if (vm_attach(v, mem, err, errlen) < 0) {
		vm_destroy(v);
		return -1;
	}
	build_tables(v);
	if (vcpu_start(v, GPA_ENTRY, err, errlen) < 0) {
		vm_destroy(v);
		return -1;
	}
	return 0;
}

/* ---- KVM binary statistics (KVM_GET_STATS_FD) ---- */
static int stat_read(int obj_fd, const char *name, uint64_t *out)
{
	int fd = ioctl(obj_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -1;
	int rc = -1;
	struct kvm_stats_header h;
	char *descs = NULL;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		goto out;
	size_t stride = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(stride * h.num_desc);
	if (!descs || pread(fd, descs, stride * h.num_desc, h.desc_offset) != (ssize_t)(stride * h.num_desc))
		goto out;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(descs + i * stride);
		if (strcmp(d->name, name) == 0) {
			rc = pread(fd, out, 8, h.data_offset + d->offset) == 8 ? 0 : -1;
			break;
		}
	}
out:
	free(descs);
	close(fd);
	return rc;
}

/* ---- running a guest ---- */
enum stop { STOP_DONE, STOP_TRAP, STOP_SHUTDOWN, STOP_OTHER_EXIT, STOP_TIMEOUT, STOP_ERROR };
static const char *const stop_names[] = { "done", "exception", "shutdown", "unexpected exit", "timeout", "KVM_RUN error" };

#define MAX_REPORTS 8
struct outcome {
	enum stop why;
	uint32_t value;         /* DONE: eax; TRAP: vector */
	uint32_t exit_reason;   /* of the last exit */
	struct { uint8_t direction, size; uint16_t port; uint32_t count; } io; /* of the last I/O exit */
	uint64_t trap_rip, trap_error; /* TRAP: from the exception frame */
	uint16_t trap_cs;
	uint32_t reports[MAX_REPORTS];
	int nreports;
	uint64_t exits;         /* KVM_RUN returns */
	double seconds;
};

/* Called for TEST_PORT_CR3 and TEST_PORT_SNAP; may replace v's VM. */
typedef int (*io_hook)(struct vm *v, uint16_t port, void *arg);

static volatile sig_atomic_t timed_out;
static void on_alarm(int sig) { (void)sig; timed_out = 1; }

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint32_t io_value(struct kvm_run *run)
{
	uint32_t v = 0;
	memcpy(&v, (uint8_t *)run + run->io.data_offset, run->io.size <= 4 ? run->io.size : 4);
	return v;
}

/* Vectors that push an error code (SDM 3A 6.13). */
static int has_error_code(uint32_t vec)
{
	return vec == X86_VEC_DF || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30;
}

/* The stubs run on an identity-mapped stack, so RSP is also a guest-physical address. */
static void read_trap_frame(struct vm *v, struct outcome *o)
{
	struct kvm_regs r;
	if (ioctl(v->vcpu, KVM_GET_REGS, &r) < 0 || r.rsp + 40 > MEM_SIZE)
		return;
	const uint64_t *sp = (const uint64_t *)(v->mem + r.rsp);
	if (has_error_code(o->value))
		o->trap_error = *sp++;
	o->trap_rip = sp[0];
	o->trap_cs = (uint16_t)sp[1];
}

static struct outcome run_guest(struct vm *v, io_hook hook, void *arg)
{
	struct outcome o = { .why = STOP_ERROR };
	timed_out = 0;
	alarm(20);      /* a guest spinning at CPL 3 would otherwise hang the suite */
	double t0 = now();
	for (;;) {
		if (ioctl(v->vcpu, KVM_RUN, 0) < 0) {
			o.why = (errno == EINTR && timed_out) ? STOP_TIMEOUT : STOP_ERROR;
			if (errno == EINTR && !timed_out)
				continue;
			break;
		}
		o.exits++;
		struct kvm_run *run = v->run;
		o.exit_reason = run->exit_reason;
		if (run->exit_reason == KVM_EXIT_SHUTDOWN) {
			o.why = STOP_SHUTDOWN;
			break;
		}
		if (run->exit_reason != KVM_EXIT_IO) {
			o.why = STOP_OTHER_EXIT;
			break;
		}
		o.io.direction = run->io.direction;
		o.io.size = run->io.size;
		o.io.port = run->io.port;
		o.io.count = run->io.count;
		uint32_t val = io_value(run);
		if (run->io.port == TEST_PORT_DONE || run->io.port == TEST_PORT_TRAP) {
			o.why = run->io.port == TEST_PORT_DONE ? STOP_DONE : STOP_TRAP;
			o.value = val;
			if (o.why == STOP_TRAP)
				read_trap_frame(v, &o);
			break;
		}
		if (run->io.port == TEST_PORT_REPORT) {
			if (o.nreports < MAX_REPORTS)
				o.reports[o.nreports++] = val;
			continue;
		}
		if (hook && hook(v, run->io.port, arg) == 0)
			continue;
		o.why = STOP_OTHER_EXIT;
		break;
	}
	o.seconds = now() - t0;
	alarm(0);
	return o;
}

static const char *describe(const struct outcome *o)
{
	static char buf[160];
	switch (o->why) {
	case STOP_DONE: snprintf(buf, sizeof(buf), "done with value %#x", o->value); break;
	case STOP_TRAP:
		snprintf(buf, sizeof(buf), "exception vector %u (error code %#llx) at %#llx, CS %#x reached the guest IDT",
			 o->value, (unsigned long long)o->trap_error, (unsigned long long)o->trap_rip, o->trap_cs);
		break;
	case STOP_OTHER_EXIT:
		snprintf(buf, sizeof(buf), "unexpected exit reason %u (last port %#x)", o->exit_reason, o->io.port);
		break;
	default: snprintf(buf, sizeof(buf), "%s", stop_names[o->why]); break;
	}
	return buf;
}

/* ---- results ---- */
static int n_pass, n_fail, n_skip;

static void result(const char *kind, const char *name, const char *fmt, va_list ap)
{
	printf("%s: %s", kind, name);
	if (fmt) {
		printf(": ");
		vprintf(fmt, ap);
	}
	printf("\n");
	fflush(stdout);
}
static void pass(const char *name) { n_pass++; printf("PASS: %s\n", name); fflush(stdout); }
static void fail(const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	n_fail++;
	result("FAIL", name, fmt, ap);
	va_end(ap);
}
static void skip(const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	n_skip++;
	result("SKIP", name, fmt, ap);
	va_end(ap);
}

/* Inside a case: `v`, `err` and a `done:` label that destroys v. */
#define REQUIRE(cond, ...) do { if (!(cond)) { fail(NAME, __VA_ARGS__); goto done; } } while (0)
#define NEW_VM() REQUIRE(vm_new(&v, err, sizeof(err)) == 0, "%s", err)
#define PVM_ONLY() do { if (!on_pvm) { \
		skip(NAME, "hardware KVM: this is a kvm-pvm fact (/sys/module/kvm_pvm absent)"); return; } } while (0)

/* ---- cases ---- */

/* A loop of n iterations, 2 instructions each, then `out` of %rcx. */
static void write_loop(struct code *c, uint64_t n)
{
	mov_imm64(c, RCX, n);
	size_t top = c->n;
	dec(c, RCX);
	jnz_back(c, top);
	EMIT(c, 0x89, 0xc8);                  /* mov %ecx,%eax */
	report_eax(c, TEST_PORT_DONE);
}

static double ns_per_emulated_insn = -1;

static void case_cpl0_code_is_emulated(void)
{
#define NAME "cpl0_code_is_emulated"
	PVM_ONLY();
	const uint64_t n = 50000;
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	uint64_t before, after, exits0 = 0, exits1 = 0;
	NEW_VM();
	struct code c = code_at(&v, GPA_ENTRY);
	write_loop(&c, n);
	REQUIRE(stat_read(v.vcpu, "insn_emulation", &before) == 0, "vcpu stat insn_emulation unreadable: %s", strerror(errno));
	stat_read(v.vcpu, "exits", &exits0);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_DONE && o.value == 0, "loop did not finish: %s", describe(&o));
	REQUIRE(stat_read(v.vcpu, "insn_emulation", &after) == 0, "vcpu stat insn_emulation unreadable");
	stat_read(v.vcpu, "exits", &exits1);
	uint64_t d = after - before;
	ns_per_emulated_insn = o.seconds * 1e9 / (double)(d ? d : 1);
	REQUIRE(d >= 19 * n / 10 && d <= 22 * n / 10 + 50,
		"insn_emulation grew by %llu for a %llu-iteration CPL 0 loop (2 instructions each), expected %llu..%llu",
		(unsigned long long)d, (unsigned long long)n, (unsigned long long)(19 * n / 10),
		(unsigned long long)(22 * n / 10 + 50));
	printf("INFO: %s: %llu loop instructions -> insn_emulation +%llu, %.0f ns each, exits stat +%llu, "
	       "%llu KVM_RUN returns\n", NAME, (unsigned long long)(2 * n), (unsigned long long)d, ns_per_emulated_insn,
	       (unsigned long long)(exits1 - exits0), (unsigned long long)o.exits);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

static void case_cpl3_code_runs_natively(void)
{
#define NAME "cpl3_code_runs_natively"
	const uint64_t n = 1000000;
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	uint64_t before, after;
	NEW_VM();
	write_enter_user(&v, RFLAGS_USER);
	struct code c = code_at(&v, GPA_USER);
	write_loop(&c, n);
	REQUIRE(stat_read(v.vcpu, "insn_emulation", &before) == 0, "vcpu stat insn_emulation unreadable: %s", strerror(errno));
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_DONE && o.value == 0, "user loop did not finish: %s", describe(&o));
	REQUIRE(stat_read(v.vcpu, "insn_emulation", &after) == 0, "vcpu stat insn_emulation unreadable");
	uint64_t d = after - before;
	REQUIRE(d < n / 10, "insn_emulation grew by %llu for a %llu-iteration CPL 3 loop", (unsigned long long)d,
		(unsigned long long)n);
	printf("INFO: %s: %llu loop instructions at CPL 3 -> insn_emulation +%llu, %.2f ms, %.2f G insn/s\n", NAME,
	       (unsigned long long)(2 * n), (unsigned long long)d, o.seconds * 1e3, 2.0 * (double)n / o.seconds / 1e9);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

static void case_iretq_returns_to_user(void)
{
#define NAME "iretq_returns_to_user"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_enter_user(&v, RFLAGS_USER);
	struct code c = code_at(&v, GPA_USER);
	mov_cs_eax(&c);
	report_eax(&c, TEST_PORT_DONE);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_DONE, "user code did not report: %s", describe(&o));
	REQUIRE((o.value & 3) == 3, "CS after iretq to CPL 3 is %#x (RPL %u)", o.value, o.value & 3);
	printf("INFO: %s: user code reads CS = %#x (GDT user selector %#x)\n", NAME, o.value, SEL_UCODE | 3);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* User code that does one `syscall`; the case writes what runs at LSTAR. */
static void write_user_syscall(struct vm *v)
{
	write_enter_user(v, RFLAGS_USER);
	struct code c = code_at(v, GPA_USER);
	syscall_(&c);
	report_imm(&c, TEST_PORT_DONE, 0x5e5e);   /* only reached if something returns */
}

static void case_syscall_lands_at_cpl3(void)
{
#define NAME "syscall_lands_at_cpl3"
	PVM_ONLY();
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_user_syscall(&v);
	struct code c = code_at(&v, GPA_LSTAR);
	mov_cs_eax(&c);
	report_eax(&c, TEST_PORT_REPORT);
	report_imm(&c, TEST_PORT_DONE, 0x1a5);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_DONE && o.value == 0x1a5 && o.nreports == 1, "LSTAR code did not run through: %s",
		describe(&o));
	REQUIRE((o.reports[0] & 3) == 3, "code at LSTAR sees CS = %#x: CPL %u, expected 3", o.reports[0],
		o.reports[0] & 3);
	printf("INFO: %s: code at LSTAR reads CS = %#x (STAR says %#x)\n", NAME, o.reports[0], SEL_KCODE);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

static void case_privileged_insn_at_lstar_raises_gp(void)
{
#define NAME "privileged_insn_at_lstar_raises_gp"
	PVM_ONLY();
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_user_syscall(&v);
	struct code c = code_at(&v, GPA_LSTAR);
	mov_cr3_rax(&c);
	report_eax(&c, TEST_PORT_DONE);   /* would report CR3 if it were allowed */
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_TRAP && o.value == X86_VEC_GP && o.trap_rip == GPA_LSTAR,
		"mov %%cr3,%%rax at LSTAR (%#x): %s, expected #GP there", GPA_LSTAR, describe(&o));
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* With a working IDT, sysretq at LSTAR is just a privileged instruction at CPL 3. */
static void case_sysret_at_lstar_raises_gp(void)
{
#define NAME "sysret_at_lstar_raises_gp"
	PVM_ONLY();
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_user_syscall(&v);
	struct code c = code_at(&v, GPA_LSTAR);
	sysretq(&c);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_TRAP && o.value == X86_VEC_GP && o.trap_rip == GPA_LSTAR,
		"sysretq at LSTAR (%#x): %s, expected #GP there", GPA_LSTAR, describe(&o));
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* Without an IDT entry for the #GP the same sysretq ends the VM: this is the
 * triple fault first seen by the probes, which ran without an IDT. */
static void case_sysret_triple_faults(void)
{
#define NAME "sysret_triple_faults"
	PVM_ONLY();
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_user_syscall(&v);
	struct code c = code_at(&v, GPA_LSTAR);
	sysretq(&c);
	/* #GP and #DF gates not present: #GP -> #DF -> shutdown */
	memset(v.mem + GPA_IDT + 16 * X86_VEC_GP, 0, 16);
	memset(v.mem + GPA_IDT + 16 * X86_VEC_DF, 0, 16);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_SHUTDOWN, "sysretq at LSTAR with no #GP/#DF gate: %s, expected KVM_EXIT_SHUTDOWN",
		describe(&o));
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* Ends a #UD handler reached from `syscall`: rewrites the exception frame
 * to return where sysret would (RIP from RCX, RFLAGS from R11, user CS/SS)
 * and iretqs. */
static void iretq_like_sysret(struct code *c)
{
	EMIT(c, 0x48, 0x89, 0x0c, 0x24);                      /* mov %rcx,(%rsp) */
	EMIT(c, 0x48, 0xc7, 0x44, 0x24, 0x08); imm32(c, SEL_UCODE | 3); /* movq $ucode,8(%rsp) */
	EMIT(c, 0x4c, 0x89, 0x5c, 0x24, 0x10);                /* mov %r11,16(%rsp) */
	EMIT(c, 0x48, 0xc7, 0x44, 0x24, 0x20); imm32(c, SEL_UDATA | 3); /* movq $udata,32(%rsp) */
	iretq(c);
}

/* The syscall entry the design proposes for this host: `ud2` at LSTAR, and a
 * #UD handler (at CPL 0 on any host) that returns to the caller like sysret
 * would: RIP from RCX, RFLAGS from R11, user CS/SS. With `report`, it first
 * tells us its CS and the faulting RIP. */
static void write_ud_syscall_path(struct vm *v, int report)
{
	struct code l = code_at(v, GPA_LSTAR);
	ud2(&l);
	struct code c = code_at(v, GPA_UD);
	if (report) {
		mov_cs_eax(&c);
		report_eax(&c, TEST_PORT_REPORT);
		EMIT(&c, 0x48, 0x8b, 0x04, 0x24);             /* mov (%rsp),%rax: faulting RIP */
		report_eax(&c, TEST_PORT_REPORT);
	}
	iretq_like_sysret(&c);
	set_gate(v, X86_VEC_UD, GPA_UD);
}

static void case_ud2_at_lstar_enters_cpl0(void)
{
#define NAME "ud2_at_lstar_enters_cpl0"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_enter_user(&v, RFLAGS_USER);
	write_ud_syscall_path(&v, 1);
	struct code c = code_at(&v, GPA_USER);
	syscall_(&c);
	mov_cs_eax(&c);
	report_eax(&c, TEST_PORT_DONE);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_DONE && o.nreports == 2, "syscall -> ud2 -> #UD -> iretq: %s", describe(&o));
	REQUIRE((o.reports[0] & 3) == 0, "#UD handler runs with CS = %#x, expected CPL 0", o.reports[0]);
	REQUIRE(o.reports[1] == GPA_LSTAR, "#UD frame RIP is %#x, expected LSTAR %#x", o.reports[1], GPA_LSTAR);
	REQUIRE((o.value & 3) == 3, "back in user code CS = %#x, expected CPL 3", o.value);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

static void case_exception_enters_cpl0(void)
{
#define NAME "exception_enters_cpl0"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_enter_user(&v, RFLAGS_USER);
	write_pf_handler(&v, 1);
	struct code c = code_at(&v, GPA_USER);
	mov_imm64(&c, RBX, FAULT_WINDOW + 0x3000);
	store_imm_at_rbx(&c, 0x5a5a1234);     /* faults: the page is not present */
	load_eax_at_rbx(&c);
	report_eax(&c, TEST_PORT_DONE);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_DONE, "user store did not complete: %s", describe(&o));
	REQUIRE(o.nreports == 2, "#PF handler ran %d times, expected once", o.nreports / 2);
	REQUIRE((o.reports[0] & 3) == 0, "#PF handler runs with CS = %#x (CPL %u), expected CPL 0", o.reports[0],
		o.reports[0] & 3);
	REQUIRE(o.reports[1] == FAULT_WINDOW + 0x3000, "CR2 in the handler is %#x, expected %#x", o.reports[1],
		FAULT_WINDOW + 0x3000);
	uint32_t stored;
	memcpy(&stored, v.mem + FAULT_WINDOW + 0x3000, 4);
	REQUIRE(o.value == 0x5a5a1234 && stored == 0x5a5a1234, "user store after the handler: read %#x, memory %#x",
		o.value, stored);
	printf("INFO: %s: #PF handler CS = %#x, CR2 = %#x\n", NAME, o.reports[0], o.reports[1]);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

static void case_out_exits_to_vmm(void)
{
#define NAME "out_exits_to_vmm"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	struct code c = code_at(&v, GPA_ENTRY);
	report_imm(&c, TEST_PORT_DONE, 0x12345678);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_DONE, "%s", describe(&o));
	REQUIRE(o.exits == 1, "took %llu exits, expected 1", (unsigned long long)o.exits);
	REQUIRE(o.io.direction == KVM_EXIT_IO_OUT && o.io.size == 4 && o.io.count == 1 && o.io.port == TEST_PORT_DONE &&
			o.value == 0x12345678,
		"exit: dir %u size %u count %u port %#x value %#x; expected out, 4, 1, %#x, 0x12345678", o.io.direction,
		o.io.size, o.io.count, o.io.port, o.value, TEST_PORT_DONE);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

static int load_tree_b(struct vm *v, uint16_t port, void *arg)
{
	(void)arg;
	struct kvm_sregs s;
	if (port != TEST_PORT_CR3 || ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
		return -1;
	s.cr3 = GPA_PML4_B;
	return ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0 ? -1 : 0;
}

static void case_set_sregs_cr3_switch(void)
{
#define NAME "set_sregs_cr3_switch"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	struct code c = code_at(&v, GPA_ENTRY);
	mov_imm64(&c, RBX, VA_SWITCHED);
	load_rax_at_rbx(&c);
	report_eax(&c, TEST_PORT_REPORT);     /* through tree A */
	report_eax(&c, TEST_PORT_CR3);        /* the VMM loads tree B */
	load_rax_at_rbx(&c);
	report_eax(&c, TEST_PORT_DONE);       /* through tree B */
	struct outcome o = run_guest(&v, load_tree_b, NULL);
	REQUIRE(o.why == STOP_DONE && o.nreports == 1, "%s", describe(&o));
	REQUIRE(o.reports[0] == 0xaaaa0001, "before the switch VA %#x read %#x, expected 0xaaaa0001", VA_SWITCHED,
		o.reports[0]);
	REQUIRE(o.value == 0xbbbb0002, "after KVM_SET_SREGS(cr3) VA %#x read %#x, expected 0xbbbb0002", VA_SWITCHED,
		o.value);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* At TEST_PORT_RETARGET: point tree A's VA_SWITCHED at PAGE_B by a host store
 * into the page table, as a host-side page copy or zero would. */
static int retarget_from_host(struct vm *v, uint16_t port, void *arg)
{
	(void)arg;
	if (port != TEST_PORT_RETARGET)
		return -1;
	u64_at(v, GPA_PD_HIGH_A)[0] = PAGE_B | X86_PTE_P | X86_PTE_W | X86_PTE_U | X86_PTE_PS;
	return 0;
}

/* A shadow MMU learns of page-table changes from the guest's own stores; the
 * VMM's stores into guest RAM bypass it. User code reads VA_SWITCHED (tree A
 * shadowed), the VMM retargets the entry from the host, and a `syscall`
 * reaches a #UD handler that reloads CR3 (a full flush), and on the second
 * call first rewrites the low two bytes of the table's first entry with
 * what they already hold. The last user read must see the host's entry: the
 * guest kernel's page_table_claim() relies on that narrow store
 * (guest/arch/x86/page_ops.c). Whether the flush alone was enough is INFO. */
static void case_host_write_to_table_needs_guest_store(void)
{
#define NAME "host_write_to_table_needs_guest_store"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_enter_user(&v, RFLAGS_USER);
	struct code l = code_at(&v, GPA_LSTAR);
	ud2(&l);
	struct code h = code_at(&v, GPA_UD);
	EMIT(&h, 0x48, 0x85, 0xf6);                           /* test %rsi,%rsi */
	EMIT(&h, 0x74, 16);                                   /* jz: skip the next 16 bytes */
	mov_imm64(&h, RDI, GPA_PD_HIGH_A);                    /* 10 bytes */
	EMIT(&h, 0x66, 0x8b, 0x07);                           /* mov (%rdi),%ax */
	EMIT(&h, 0x66, 0x89, 0x07);                           /* mov %ax,(%rdi) */
	mov_cr3_rax(&h);
	EMIT(&h, 0x0f, 0x22, 0xd8);                           /* mov %rax,%cr3 */
	iretq_like_sysret(&h);
	set_gate(&v, X86_VEC_UD, GPA_UD);

	struct code c = code_at(&v, GPA_USER);
	mov_imm64(&c, RBX, VA_SWITCHED);
	load_rax_at_rbx(&c);
	report_eax(&c, TEST_PORT_REPORT);                     /* tree A, shadowed now */
	report_imm(&c, TEST_PORT_RETARGET, 0);
	EMIT(&c, 0x31, 0xf6);                                 /* xor %esi,%esi */
	syscall_(&c);                                         /* flush only */
	load_rax_at_rbx(&c);
	report_eax(&c, TEST_PORT_REPORT);
	EMIT(&c, 0xbe); imm32(&c, 1);                         /* mov $1,%esi */
	syscall_(&c);                                         /* narrow store, flush */
	load_rax_at_rbx(&c);
	report_eax(&c, TEST_PORT_DONE);
	struct outcome o = run_guest(&v, retarget_from_host, NULL);
	REQUIRE(o.why == STOP_DONE && o.nreports == 2, "%s", describe(&o));
	REQUIRE(o.reports[0] == 0xaaaa0001, "before the host store VA %#x read %#x, expected 0xaaaa0001",
		VA_SWITCHED, o.reports[0]);
	REQUIRE(o.value == 0xbbbb0002,
		"after the host store, a guest store of 2 bytes into the table and a CR3 reload VA %#x read %#x, "
		"expected 0xbbbb0002", VA_SWITCHED, o.value);
	printf("INFO: %s: after the host store and a CR3 reload alone, user code read %#x (%s)\n", NAME,
	       o.reports[1], o.reports[1] == 0xbbbb0002 ? "the host's entry" : "the stale shadow");
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* At TEST_PORT_SNAP: save the vCPU, destroy the VM, copy guest RAM into fresh
 * memory (as a snapshot clone would) and restore into a new VM. */
struct snap { int taken; uint64_t rbx_at_snap; char err[200]; };

static int snapshot_restore(struct vm *v, uint16_t port, void *arg)
{
	struct snap *sn = arg;
	if (port != TEST_PORT_SNAP)
		return -1;
	struct kvm_regs r;
	struct kvm_sregs s;
	static const uint32_t msr_list[] = { X86_MSR_EFER, X86_MSR_STAR, X86_MSR_LSTAR, X86_MSR_FMASK,
					     X86_MSR_KERNEL_GS_BASE };
	enum { NMSR = sizeof(msr_list) / sizeof(msr_list[0]) };
	struct { struct kvm_msrs h; struct kvm_msr_entry e[NMSR]; } m;
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = NMSR;
	for (int i = 0; i < NMSR; i++)
		m.e[i].index = msr_list[i];
	if (ioctl(v->vcpu, KVM_GET_REGS, &r) < 0 || ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0 ||
	    ioctl(v->vcpu, KVM_GET_MSRS, &m) != NMSR) {
		snprintf(sn->err, sizeof(sn->err), "saving the vCPU: %s", strerror(errno));
		return -1;
	}
	sn->taken = 1;
	sn->rbx_at_snap = r.rbx;
	uint8_t *copy = guest_ram();
	if (!copy) {
		snprintf(sn->err, sizeof(sn->err), "mmap: %s", strerror(errno));
		return -1;
	}
	memcpy(copy, v->mem, MEM_SIZE);
	vm_destroy(v);
	if (vm_attach(v, copy, sn->err, sizeof(sn->err)) < 0)
		return -1;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0 || ioctl(v->vcpu, KVM_SET_MSRS, &m) != NMSR ||
	    ioctl(v->vcpu, KVM_SET_REGS, &r) < 0) {
		snprintf(sn->err, sizeof(sn->err), "restoring the vCPU: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void case_vcpu_state_restores_into_new_vm(void)
{
#define NAME "vcpu_state_restores_into_new_vm"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	struct snap sn = { 0 };
	NEW_VM();
	write_enter_user(&v, RFLAGS_USER);
	write_pf_handler(&v, 0);
	/* rbx += 3 a thousand times, checkpoint, rbx += 5 a thousand times, then
	 * a page fault so the restored VM must use its IDT, TSS and RSP0 too. */
	struct code c = code_at(&v, GPA_USER);
	zero_rbx(&c);
	mov_imm64(&c, R8, 1000);
	size_t l1 = c.n;
	add_imm8(&c, RBX, 3);
	dec(&c, R8);
	jnz_back(&c, l1);
	report_eax(&c, TEST_PORT_SNAP);
	mov_imm64(&c, R8, 1000);
	size_t l2 = c.n;
	add_imm8(&c, RBX, 5);
	dec(&c, R8);
	jnz_back(&c, l2);
	mov_imm64(&c, RCX, FAULT_WINDOW + 0x5000);
	EMIT(&c, 0x88, 0x19);                 /* mov %bl,(%rcx): faults */
	mov_rbx_rax(&c);
	report_eax(&c, TEST_PORT_DONE);
	struct outcome o = run_guest(&v, snapshot_restore, &sn);
	REQUIRE(sn.taken, "no checkpoint: %s %s", describe(&o), sn.err);
	REQUIRE(sn.rbx_at_snap == 3000, "rbx at the checkpoint is %llu, expected 3000",
		(unsigned long long)sn.rbx_at_snap);
	REQUIRE(o.why == STOP_DONE, "restored VM: %s %s", describe(&o), sn.err);
	REQUIRE(o.value == 8000, "restored VM finished with rbx = %u, expected 8000", o.value);
	REQUIRE(v.mem[FAULT_WINDOW + 0x5000] == (uint8_t)8000, "the store after the #PF did not land in the restored RAM");
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* Load TR with a limit that ends at the TSS proper: the I/O map base (104)
 * then lies beyond the limit, which x86 reads as "no bitmap". */
static int drop_io_bitmap(struct vm *v)
{
	struct kvm_sregs s;
	if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
		return -1;
	s.tr.limit = X86_TSS64_SIZE - 1;
	uint64_t *d = u64_at(v, GPA_GDT + SEL_TSS);
	*d = (*d & ~0xffffull) | (X86_TSS64_SIZE - 1);
	return ioctl(v->vcpu, KVM_SET_SREGS, &s);
}

/* User code: one `out` to the done port; returns the out's address. */
static uint64_t write_user_out(struct vm *v, uint64_t rflags)
{
	write_enter_user(v, rflags);
	struct code c = code_at(v, GPA_USER);
	mov_eax_imm(&c, 1);
	mov_dx_imm(&c, TEST_PORT_DONE);
	uint64_t at = GPA_USER + c.n;
	out_eax_dx(&c);
	return at;
}

static void case_user_io_without_iomap_faults(void)
{
#define NAME "user_io_without_iomap_faults"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	uint64_t at = write_user_out(&v, RFLAGS_USER);
	REQUIRE(drop_io_bitmap(&v) == 0, "KVM_SET_SREGS: %s", strerror(errno));
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_TRAP && o.value == X86_VEC_GP && o.trap_rip == at,
		"out at CPL 3, IOPL 0, no I/O bitmap: %s, expected #GP at %#llx", describe(&o), (unsigned long long)at);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* The positive control of the case above: the bitmap build_tables() writes
 * is what lets every other case's user code report through `out`. */
static void case_user_io_through_iomap_exits(void)
{
#define NAME "user_io_through_iomap_exits"
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	write_user_out(&v, RFLAGS_USER);
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_DONE && o.value == 1, "out at CPL 3 to a port the bitmap allows: %s", describe(&o));
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* x86 lets CPL 3 do any port I/O when IOPL is 3; kvm-pvm does not. */
static void case_iopl3_does_not_grant_user_io(void)
{
#define NAME "iopl3_does_not_grant_user_io"
	PVM_ONLY();
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	NEW_VM();
	uint64_t at = write_user_out(&v, RFLAGS_USER | RFLAGS_IOPL3);
	REQUIRE(drop_io_bitmap(&v) == 0, "KVM_SET_SREGS: %s", strerror(errno));
	struct outcome o = run_guest(&v, NULL, NULL);
	REQUIRE(o.why == STOP_TRAP && o.value == X86_VEC_GP && o.trap_rip == at,
		"out at CPL 3, IOPL 3, no I/O bitmap: %s, expected #GP at %#llx", describe(&o), (unsigned long long)at);
	pass(NAME);
done:
	vm_destroy(&v);
#undef NAME
}

/* ---- measurements (printed, never asserted) ---- */
/* Runs the scenario `write` builds for n operations and prints the cost of
 * one: wall time, exits and emulated instructions from the vCPU's stats. */
static void measure(void (*write)(struct vm *, uint64_t), uint64_t n, io_hook hook, const char *what)
{
	struct vm v = { .fd = -1, .vcpu = -1 };
	char err[200];
	uint64_t e0 = 0, e1 = 0, x0 = 0, x1 = 0;
	if (vm_new(&v, err, sizeof(err)) < 0) {
		printf("INFO: %s: not measured: %s\n", what, err);
		return;
	}
	write(&v, n);
	int have_stats = stat_read(v.vcpu, "insn_emulation", &e0) == 0 && stat_read(v.vcpu, "exits", &x0) == 0;
	struct outcome o = run_guest(&v, hook, NULL);
	have_stats = have_stats && stat_read(v.vcpu, "insn_emulation", &e1) == 0 && stat_read(v.vcpu, "exits", &x1) == 0;
	if (o.why != STOP_DONE)
		printf("INFO: %s: not measured: %s\n", what, describe(&o));
	else if (!have_stats)
		printf("INFO: %s: %.2f us each, %.2f KVM_RUN returns each (no stats) (n=%llu)\n", what,
		       o.seconds * 1e6 / (double)n, (double)o.exits / (double)n, (unsigned long long)n);
	else
		printf("INFO: %s: %.2f us, %.2f exits, %.1f emulated insns each (n=%llu)\n", what,
		       o.seconds * 1e6 / (double)n, (double)(x1 - x0) / (double)n, (double)(e1 - e0) / (double)n,
		       (unsigned long long)n);
	vm_destroy(&v);
}

static void write_syscall_roundtrips(struct vm *v, uint64_t n)
{
	write_enter_user(v, RFLAGS_USER);
	struct code u = code_at(v, GPA_USER);
	mov_imm64(&u, R8, n);
	size_t top = u.n;
	syscall_(&u);
	dec(&u, R8);
	jnz_back(&u, top);
	report_imm(&u, TEST_PORT_DONE, 0);
	/* the return to user is built by hand: iretq with the frame syscall left in rcx/r11 */
	struct code k = code_at(v, GPA_LSTAR);
	mov_rsp_rdx(&k);
	push_imm(&k, SEL_UDATA | 3);
	push(&k, RDX);
	push(&k, R11);
	push_imm(&k, SEL_UCODE | 3);
	push(&k, RCX);
	iretq(&k);
}

static void write_ud_roundtrips(struct vm *v, uint64_t n)
{
	write_enter_user(v, RFLAGS_USER);
	write_ud_syscall_path(v, 0);
	struct code u = code_at(v, GPA_USER);
	mov_imm64(&u, R8, n);
	size_t top = u.n;
	syscall_(&u);
	dec(&u, R8);
	jnz_back(&u, top);
	report_imm(&u, TEST_PORT_DONE, 0);
}

static void write_user_faults(struct vm *v, uint64_t n)
{
	write_enter_user(v, RFLAGS_USER);
	write_pf_handler(v, 0);
	struct code u = code_at(v, GPA_USER);
	mov_imm64(&u, RBX, FAULT_WINDOW);
	mov_imm64(&u, R8, n);
	size_t top = u.n;
	EMIT(&u, 0xc6, 0x03, 0x01);                       /* movb $1,(%rbx) */
	EMIT(&u, 0x48, 0x81, 0xc3); imm32(&u, 0x1000);    /* add $4096,%rbx */
	dec(&u, R8);
	jnz_back(&u, top);
	report_imm(&u, TEST_PORT_DONE, 0);
}

/* n `out`s to PORT_NOISE, from CPL 3 (through the I/O bitmap) or from CPL 0. */
static void write_outs(struct vm *v, uint64_t n, int user)
{
	if (user)
		write_enter_user(v, RFLAGS_USER);
	struct code u = code_at(v, user ? GPA_USER : GPA_ENTRY);
	mov_imm64(&u, R8, n);
	mov_dx_imm(&u, PORT_NOISE);
	size_t top = u.n;
	out_eax_dx(&u);
	dec(&u, R8);
	jnz_back(&u, top);
	report_imm(&u, TEST_PORT_DONE, 0);
}
static void write_user_outs(struct vm *v, uint64_t n) { write_outs(v, n, 1); }
static void write_kernel_outs(struct vm *v, uint64_t n) { write_outs(v, n, 0); }

static int ignore_noise(struct vm *v, uint16_t port, void *arg) { (void)v; (void)arg; return port == PORT_NOISE ? 0 : -1; }

static void measurements(void)
{
	measure(write_syscall_roundtrips, 20000, NULL, "syscall -> iretq round trip");
	measure(write_ud_roundtrips, 2000, NULL, "syscall -> ud2 -> #UD handler (CPL 0) -> iretq round trip");
	measure(write_user_faults, 500, NULL, "user #PF, one-PTE CPL 0 handler, iretq");
	measure(write_user_outs, 5000, ignore_noise, "out from CPL 3 (I/O bitmap) to the VMM and back, + dec/jnz");
	measure(write_kernel_outs, 5000, ignore_noise, "out from CPL 0 to the VMM and back, + dec/jnz");
	if (ns_per_emulated_insn > 0)
		printf("INFO: emulated CPL 0 instruction: %.0f ns each (from cpl0_code_is_emulated)\n", ns_per_emulated_insn);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = { .sa_handler = on_alarm };  /* no SA_RESTART: KVM_RUN must return */
	sigaction(SIGALRM, &sa, NULL);

	static const char *const all_cases[] = {
		"cpl0_code_is_emulated", "cpl3_code_runs_natively", "iretq_returns_to_user", "syscall_lands_at_cpl3",
		"privileged_insn_at_lstar_raises_gp", "sysret_at_lstar_raises_gp", "sysret_triple_faults",
		"ud2_at_lstar_enters_cpl0", "exception_enters_cpl0", "out_exits_to_vmm", "set_sregs_cr3_switch",
		"host_write_to_table_needs_guest_store", "vcpu_state_restores_into_new_vm",
		"user_io_without_iomap_faults", "user_io_through_iomap_exits", "iopl3_does_not_grant_user_io",
	};
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		int e = errno;
		for (size_t i = 0; i < sizeof(all_cases) / sizeof(all_cases[0]); i++)
			skip(all_cases[i], "/dev/kvm: %s", strerror(e));
		printf("%d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
		return 0;
	}
	on_pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	printf("INFO: host: %s\n", on_pvm ? "kvm-pvm (/sys/module/kvm_pvm present)" : "hardware KVM");

	case_cpl0_code_is_emulated();
	case_cpl3_code_runs_natively();
	case_iretq_returns_to_user();
	case_syscall_lands_at_cpl3();
	case_privileged_insn_at_lstar_raises_gp();
	case_sysret_at_lstar_raises_gp();
	case_sysret_triple_faults();
	case_ud2_at_lstar_enters_cpl0();
	case_exception_enters_cpl0();
	case_out_exits_to_vmm();
	case_set_sregs_cr3_switch();
	case_host_write_to_table_needs_guest_store();
	case_vcpu_state_restores_into_new_vm();
	case_user_io_without_iomap_faults();
	case_user_io_through_iomap_exits();
	case_iopl3_does_not_grant_user_io();
	measurements();

	printf("%d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
