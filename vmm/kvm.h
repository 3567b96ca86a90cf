/* Every KVM ioctl mapvisor issues, each behind a wrapper named after it so a
 * failure names the ioctl: "kvm: KVM_SET_USER_MEMORY_REGION slot=1 ...: EINVAL". */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"

struct kvm {
	int sys_fd;               /* /dev/kvm */
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;      /* shared vCPU run area */
	int run_size;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID */
};

int kvm_open(struct kvm *k, struct mv_err *e);
void kvm_close(struct kvm *k);
int kvm_create_vm(struct kvm *k, struct mv_err *e);
int kvm_set_user_memory_region(struct kvm *k, uint32_t slot, uint64_t gpa, uint64_t size,
			       void *hva, struct mv_err *e);
int kvm_create_vcpu(struct kvm *k, struct mv_err *e);
int kvm_set_cpuid2(struct kvm *k, struct mv_err *e);
bool kvm_cpu_has_1g_pages(const struct kvm *k);
int kvm_get_regs(struct kvm *k, struct kvm_regs *r);
int kvm_set_regs(struct kvm *k, const struct kvm_regs *r);
int kvm_get_sregs(struct kvm *k, struct kvm_sregs *s);
int kvm_set_sregs(struct kvm *k, const struct kvm_sregs *s);
int kvm_set_msrs(struct kvm *k, const uint32_t *index, const uint64_t *data, int n,
		 struct mv_err *e);
/* The guest's TSC rate in kHz, or -1 (errno) when KVM cannot say. */
int kvm_get_tsc_khz(struct kvm *k);
int kvm_run(struct kvm *k);
int kvm_get_vcpu_stats_fd(struct kvm *k);
int kvm_get_vm_stats_fd(struct kvm *k);

#endif
