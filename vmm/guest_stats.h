/* The guest's own counters (include/mv_guest_stats.h), read from guest RAM
 * into the report when the VM ends. */
#ifndef VMM_GUEST_STATS_H
#define VMM_GUEST_STATS_H

#include <jansson.h>

#include "guest_mem.h"

/* Where the guest said its struct is (MV_HC_PUBLISH_STATS); size 0: not
 * published. */
struct guest_stats_ref {
	gpa_t gpa;
	uint64_t size;
};

/* MV_HC_PUBLISH_STATS: checks the range against guest RAM and keeps it.
 * 0, -EINVAL (smaller than the header), -EFAULT (outside guest RAM). */
int64_t guest_stats_publish(const struct guest_mem *gm, struct guest_stats_ref *ref, gpa_t gpa,
			    uint64_t size);
/* The report's "guest" object: null when nothing was published, else the
 * counters by name, or {"error": why} when the struct is not one. */
json_t *guest_stats_json(const struct guest_mem *gm, const struct guest_stats_ref *ref);

#endif
