/* KVM's binary statistics (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst
 * 4.133): the instruments of the fault study on a shadow-paging host. */
#ifndef VMM_KVM_STATS_H
#define VMM_KVM_STATS_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_stats {
	int fd;
	struct kvm_stats_header hdr;
	uint32_t ndesc;
	size_t desc_stride;   /* sizeof(kvm_stats_desc) + name_size */
	char *desc;
	uint64_t *data;
	size_t data_words;
};

int kvm_stats_open(struct kvm_stats *st, int fd);
void kvm_stats_close(struct kvm_stats *st);
int kvm_stats_refresh(struct kvm_stats *st);   /* re-read all values */

/* Index of the named statistic, or -1. */
int kvm_stats_find(const struct kvm_stats *st, const char *name);
const char *kvm_stats_name(const struct kvm_stats *st, int i);
/* First value of statistic i (histograms: bucket 0) from the last refresh. */
uint64_t kvm_stats_value(const struct kvm_stats *st, int i);
/* 1 for a plain counter or gauge, 0 for histograms the report skips. */
int kvm_stats_is_scalar(const struct kvm_stats *st, int i);

#endif
