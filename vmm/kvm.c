#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CPUID_MAX_ENTRIES 256
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EDX_PDPE1GB  (1u << 26)   /* SDM Vol. 2A CPUID 80000001H:EDX[26] */

int kvm_open(struct kvm *k, struct mv_err *e)
{
	memset(k, 0, sizeof(*k));
	k->sys_fd = k->vm_fd = k->vcpu_fd = -1;
	k->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0)
		return mv_errf(e, "kvm: open /dev/kvm: %s", strerror(errno));
	int v = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION)
		return mv_errf(e, "kvm: KVM_GET_API_VERSION: %d, expected %d", v, KVM_API_VERSION);
	return 0;
}

void kvm_close(struct kvm *k)
{
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	free(k->cpuid);
	memset(k, 0, sizeof(*k));
	k->sys_fd = k->vm_fd = k->vcpu_fd = -1;
}

int kvm_create_vm(struct kvm *k, struct mv_err *e)
{
	k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0)
		return mv_errf(e, "kvm: KVM_CREATE_VM: %s", strerror(errno));
	return 0;
}

int kvm_set_user_memory_region(struct kvm *k, uint32_t slot, uint64_t gpa, uint64_t size,
			       void *hva, struct mv_err *e)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return mv_errf(e, "kvm: KVM_SET_USER_MEMORY_REGION slot=%u gpa=0x%llx size=0x%llx: %s",
			       slot, (unsigned long long)gpa, (unsigned long long)size,
			       strerror(errno));
	return 0;
}

int kvm_create_vcpu(struct kvm *k, struct mv_err *e)
{
	k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
	if (k->vcpu_fd < 0)
		return mv_errf(e, "kvm: KVM_CREATE_VCPU: %s", strerror(errno));
	k->run_size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->run_size < (int)sizeof(struct kvm_run))
		return mv_errf(e, "kvm: KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return mv_errf(e, "kvm: mmap vcpu run area: %s", strerror(errno));
	}
	return 0;
}

/* The guest sees what KVM supports; long mode in particular must be
 * advertised before EFER.LME can be set. */
int kvm_set_cpuid2(struct kvm *k, struct mv_err *e)
{
	size_t sz = sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	k->cpuid = calloc(1, sz);
	if (!k->cpuid)
		return mv_errf(e, "kvm: out of memory");
	k->cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID, k->cpuid) < 0)
		return mv_errf(e, "kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	if (ioctl(k->vcpu_fd, KVM_SET_CPUID2, k->cpuid) < 0)
		return mv_errf(e, "kvm: KVM_SET_CPUID2: %s", strerror(errno));
	return 0;
}

bool kvm_cpu_has_1g_pages(const struct kvm *k)
{
	if (!k->cpuid)
		return false;
	for (uint32_t i = 0; i < k->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *c = &k->cpuid->entries[i];
		if (c->function == CPUID_EXT_FEATURES)
			return c->edx & CPUID_EDX_PDPE1GB;
	}
	return false;
}

int kvm_get_regs(struct kvm *k, struct kvm_regs *r)
{
	return ioctl(k->vcpu_fd, KVM_GET_REGS, r);
}

int kvm_set_regs(struct kvm *k, const struct kvm_regs *r)
{
	return ioctl(k->vcpu_fd, KVM_SET_REGS, r);
}

int kvm_get_sregs(struct kvm *k, struct kvm_sregs *s)
{
	return ioctl(k->vcpu_fd, KVM_GET_SREGS, s);
}

int kvm_set_sregs(struct kvm *k, const struct kvm_sregs *s)
{
	return ioctl(k->vcpu_fd, KVM_SET_SREGS, s);
}

int kvm_set_msrs(struct kvm *k, const uint32_t *index, const uint64_t *data, int n,
		 struct mv_err *e)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry ent[16];
	} m;
	if (n > 16)
		return mv_errf(e, "kvm: KVM_SET_MSRS: too many MSRs (%d)", n);
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = n;
	for (int i = 0; i < n; i++) {
		m.ent[i].index = index[i];
		m.ent[i].data = data[i];
	}
	int r = ioctl(k->vcpu_fd, KVM_SET_MSRS, &m);
	if (r != n)
		return mv_errf(e, "kvm: KVM_SET_MSRS: set %d of %d (first failing 0x%x): %s", r, n,
			       r >= 0 && r < n ? index[r] : 0, r < 0 ? strerror(errno) : "refused");
	return 0;
}

int kvm_get_tsc_khz(struct kvm *k)
{
	return ioctl(k->vcpu_fd, KVM_GET_TSC_KHZ, 0);
}

int kvm_run(struct kvm *k)
{
	return ioctl(k->vcpu_fd, KVM_RUN, 0);
}

int kvm_get_vcpu_stats_fd(struct kvm *k)
{
	return ioctl(k->vcpu_fd, KVM_GET_STATS_FD, NULL);
}

int kvm_get_vm_stats_fd(struct kvm *k)
{
	return ioctl(k->vm_fd, KVM_GET_STATS_FD, NULL);
}
