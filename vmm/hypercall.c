#include "hypercall.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "mv_exit.h"
#include "mv_hypercall.h"
#include "vm.h"
#include "x86.h"

#define HC_MAX_PAGES (1ull << 30 >> X86_PAGE_SHIFT)   /* 1 GiB a call */

static void *page_range(struct guest_mem *gm, gpa_t gpa, uint64_t pages)
{
	if ((gpa & (X86_PAGE_SIZE - 1)) || pages == 0 || pages > HC_MAX_PAGES)
		return NULL;
	return gm_ptr(gm, gpa, pages << X86_PAGE_SHIFT);
}

int64_t hc_page_zero(struct guest_mem *gm, gpa_t gpa, uint64_t pages)
{
	void *p = page_range(gm, gpa, pages);
	if (!p)
		return -EFAULT;
	memset(p, 0, pages << X86_PAGE_SHIFT);
	return 0;
}

int64_t hc_page_copy(struct guest_mem *gm, gpa_t dst, gpa_t src, uint64_t pages)
{
	void *d = page_range(gm, dst, pages);
	void *s = page_range(gm, src, pages);
	if (!d || !s)
		return -EFAULT;
	memmove(d, s, pages << X86_PAGE_SHIFT);
	return 0;
}

/* Byte ranges of any alignment: the guest's copies between kernel and user
 * memory (one call per physically contiguous run). len 0 is a no-op that
 * checks nothing, as memmove's is; a length over the maximum is -EINVAL
 * before the addresses are looked at. */
int64_t hc_mem_copy(struct guest_mem *gm, gpa_t dst, gpa_t src, uint64_t len)
{
	if (len > MV_HC_MEM_COPY_MAX)
		return -EINVAL;
	if (len == 0)
		return 0;
	void *d = gm_ptr(gm, dst, len);
	const void *s = gm_ptr(gm, src, len);
	if (!d || !s)
		return -EFAULT;
	memmove(d, s, len);
	return 0;
}

/* Contents become zero; the host may take the memory back. Only private
 * anonymous memory reads back as zero after MADV_DONTNEED: a file mapping
 * would read the file again, so there the pages are zeroed instead. */
int64_t hc_page_discard(struct guest_mem *gm, gpa_t gpa, uint64_t pages)
{
	void *p = page_range(gm, gpa, pages);
	if (!p)
		return -EFAULT;
	if (gm->kind == GM_ANON && !gm->cfg.shared) {
		uint64_t hp = gm->page_size;
		if (((uintptr_t)p % hp) == 0 && ((pages << X86_PAGE_SHIFT) % hp) == 0 &&
		    madvise(p, pages << X86_PAGE_SHIFT, MADV_DONTNEED) == 0)
			return 0;
	}
	memset(p, 0, pages << X86_PAGE_SHIFT);
	return 0;
}

/* Words are read as little-endian, the guest's order, whatever the host's. */
int64_t hc_word_run(struct guest_mem *gm, gpa_t gpa, uint64_t count, uint64_t first)
{
	if ((gpa & 3) || count > MV_HC_WORD_RUN_MAX)
		return -EINVAL;
	if (count == 0)
		return 0;
	const uint8_t *p = gm_ptr(gm, gpa, count * 4);
	if (!p)
		return -EFAULT;
	uint32_t want = (uint32_t)first;
	uint64_t n = 0;
	for (; n < count; n++, p += 4, want++) {
		uint32_t w;
		memcpy(&w, p, 4);
		if (le32toh(w) != want)
			break;
	}
	return (int64_t)n;
}

int64_t hc_sleep(uint64_t ns)
{
	if (ns > MV_HC_SLEEP_MAX_NS)
		return -EINVAL;
	struct timespec t = { .tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull) };
	/* A signal (e.g. a profiler's) must not shorten the guest's sleep. */
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &t, &t) == EINTR)
		;
	return 0;
}

static int64_t hc_console_write(struct vm *vm, gpa_t gpa, uint64_t len)
{
	if (len > MV_HC_CONSOLE_MAX)
		len = MV_HC_CONSOLE_MAX;
	const void *p = gm_ptr(&vm->mem, gpa, len);
	if (!p)
		return -EFAULT;
	serial_emit(&vm->serial, p, len);
	return (int64_t)len;
}

static int64_t hc_load_cr3(struct vm *vm, uint64_t cr3)
{
	struct kvm_sregs s;
	if (!gm_ptr(&vm->mem, cr3 & X86_PTE_ADDR, X86_PAGE_SIZE))
		return -EFAULT;
	if (kvm_get_sregs(&vm->kvm, &s) < 0)
		return -errno;
	s.cr3 = cr3;
	if (kvm_set_sregs(&vm->kvm, &s) < 0)
		return -errno;
	return 0;
}

static void hypercall_out(struct vm *vm, void *opaque, uint16_t port, const uint8_t *data,
			  int size)
{
	struct kvm_regs r;
	int64_t ret;
	(void)opaque;
	(void)port;
	(void)data;
	if (size != 4) {
		vm_stop(vm, VM_EXIT_CRASH, MV_EXIT_GUEST_CRASH,
			"hypercall port written with a %d-byte access (must be outl)", size);
		return;
	}
	if (kvm_get_regs(&vm->kvm, &r) < 0) {
		vm_stop(vm, VM_EXIT_MONITOR, MV_EXIT_MONITOR, "kvm: KVM_GET_REGS: %s", strerror(errno));
		return;
	}
	vm->hypercalls++;
	switch (r.rax) {
	case MV_HC_VERSION:
		ret = MV_HC_ABI_VERSION;
		break;
	case MV_HC_EXIT:
		vm_stop(vm, VM_EXIT_GUEST, (int)(r.rdi & 0xff), "guest exit (hypercall)");
		return;
	case MV_HC_CONSOLE_WRITE:
		ret = hc_console_write(vm, r.rdi, r.rsi);
		break;
	case MV_HC_PAGE_ZERO:
		ret = hc_page_zero(&vm->mem, r.rdi, r.rsi);
		break;
	case MV_HC_PAGE_COPY:
		ret = hc_page_copy(&vm->mem, r.rdi, r.rsi, r.rcx);
		break;
	case MV_HC_PAGE_DISCARD:
		ret = hc_page_discard(&vm->mem, r.rdi, r.rsi);
		break;
	case MV_HC_LOAD_CR3:
		ret = hc_load_cr3(vm, r.rdi);
		break;
	case MV_HC_MEM_COPY:
		ret = hc_mem_copy(&vm->mem, r.rdi, r.rsi, r.rcx);
		break;
	case MV_HC_SLEEP:
		ret = hc_sleep(r.rdi);
		break;
	case MV_HC_WORD_RUN:
		ret = hc_word_run(&vm->mem, r.rdi, r.rsi, r.rcx);
		break;
	case MV_HC_PUBLISH_STATS:
		ret = guest_stats_publish(&vm->mem, &vm->guest_stats, r.rdi, r.rsi);
		break;
	case MV_HC_BOOT_MARK:
		if (r.rdi == MV_MARK_BOOT_DONE && !vm->boot_done.taken)
			vm_sample(vm, &vm->boot_done);
		ret = r.rdi > 0 && r.rdi < MV_MARK_NR ? 0 : -EINVAL;
		break;
	default:
		ret = -ENOSYS;
		break;
	}
	r.rax = (uint64_t)ret;
	if (kvm_set_regs(&vm->kvm, &r) < 0)
		vm_stop(vm, VM_EXIT_MONITOR, MV_EXIT_MONITOR, "kvm: KVM_SET_REGS: %s", strerror(errno));
}

int hypercall_register(struct vm *vm, uint16_t port)
{
	struct io_dev d = { .name = "mv-hypercall", .base = port, .len = 1, .out = hypercall_out };
	return io_bus_register(&vm->io, &d);
}

static void exit_port_out(struct vm *vm, void *opaque, uint16_t port, const uint8_t *data,
			  int size)
{
	(void)opaque;
	(void)port;
	(void)size;
	vm_stop(vm, VM_EXIT_GUEST, data[0], "guest exit (port 0x%x)", MV_PORT_EXIT);
}

int exit_port_register(struct vm *vm)
{
	struct io_dev d = { .name = "exit", .base = MV_PORT_EXIT, .len = 4, .out = exit_port_out };
	return io_bus_register(&vm->io, &d);
}
