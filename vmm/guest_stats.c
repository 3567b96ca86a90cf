/* The guest's counters in the report. The struct lives in guest memory,
 * which the guest may have scribbled on: every read is one bounds-checked
 * copy, and magic, version and size are checked before anything is named. */
#include "guest_stats.h"

#include <errno.h>
#include <string.h>

#include "mv_guest_stats.h"

static const char *const fault_names[MV_FAULT_NR] = {
	[MV_FAULT_ANON_ZERO] = "anon_zero",     [MV_FAULT_PCACHE_HIT] = "pcache_hit",
	[MV_FAULT_DISK_READ] = "disk_read",     [MV_FAULT_AROUND] = "around",
	[MV_FAULT_COW] = "cow",                 [MV_FAULT_SHARED_DIRTY] = "shared_dirty",
	[MV_FAULT_STACK_GROW] = "stack_grow",   [MV_FAULT_SIGSEGV] = "sigsegv",
	[MV_FAULT_SIGBUS] = "sigbus",           [MV_FAULT_SPURIOUS] = "spurious",
};
_Static_assert(sizeof(fault_names) / sizeof(fault_names[0]) == MV_FAULT_NR, "a name per kind");

static const char *const pcache_names[MV_PCACHE_NR] = {
	[MV_PCACHE_HITS] = "hits",           [MV_PCACHE_MISSES] = "misses",
	[MV_PCACHE_READAHEAD] = "readahead", [MV_PCACHE_EVICTIONS] = "evictions",
	[MV_PCACHE_WRITEBACKS] = "writebacks",
};
_Static_assert(sizeof(pcache_names) / sizeof(pcache_names[0]) == MV_PCACHE_NR,
	       "a name per event");

static const char *const large_names[MV_LARGE_NR] = {
	[MV_LARGE_MAPPED] = "mapped", [MV_LARGE_UNITS] = "units", [MV_LARGE_FILLS] = "fills",
	[MV_LARGE_HITS] = "hits",     [MV_LARGE_RECLAIMS] = "reclaims",
};
_Static_assert(sizeof(large_names) / sizeof(large_names[0]) == MV_LARGE_NR,
	       "a name per large event");

int64_t guest_stats_publish(const struct guest_mem *gm, struct guest_stats_ref *ref, gpa_t gpa,
			    uint64_t size)
{
	if (size < 8)
		return -EINVAL;
	if (!gm_ptr(gm, gpa, size))
		return -EFAULT;
	ref->gpa = gpa;
	ref->size = size;
	return 0;
}

static json_t *error_json(const char *why)
{
	return json_pack("{s:s}", "error", why);
}

static json_t *counters_json(const uint64_t *v, const char *const *names, unsigned n)
{
	json_t *o = json_object();

	for (unsigned i = 0; i < n; i++)
		json_object_set_new(o, names[i], json_integer((json_int_t)v[i]));
	return o;
}

json_t *guest_stats_json(const struct guest_mem *gm, const struct guest_stats_ref *ref)
{
	struct mv_guest_stats s;

	if (!ref->size)
		return json_null();
	if (ref->size < MV_GUEST_STATS_V1_SIZE)
		return error_json("shorter than struct mv_guest_stats version 1");
	/* the range was checked at publish time, but check again: cheap */
	size_t have = ref->size < sizeof(s) ? (size_t)ref->size : sizeof(s);
	const void *p = gm_ptr(gm, ref->gpa, have);
	if (!p)
		return error_json("outside guest RAM");
	memset(&s, 0, sizeof(s));
	memcpy(&s, p, have);
	if (s.magic != MV_GUEST_STATS_MAGIC)
		return error_json("bad magic");
	if (s.version < 1)
		return error_json("bad version");
	if (s.version >= 2 && have < MV_GUEST_STATS_V2_SIZE)
		return error_json("shorter than struct mv_guest_stats version 2");
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(s.version));
	json_object_set_new(o, "faults", counters_json(s.fault, fault_names, MV_FAULT_NR));
	json_object_set_new(o, "page_cache", counters_json(s.pcache, pcache_names, MV_PCACHE_NR));
	json_object_set_new(o, "disk_requests", json_integer((json_int_t)s.disk_requests));
	json_object_set_new(o, "forks", json_integer((json_int_t)s.forks));
	if (s.version >= 2)
		json_object_set_new(o, "large", counters_json(s.large, large_names, MV_LARGE_NR));
	return o;
}
