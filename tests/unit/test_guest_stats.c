/* The guest's published counters: where the guest may put them, and what
 * the report makes of what it finds there, trusting nothing. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "guest_mem.h"
#include "guest_stats.h"
#include "mv_guest_stats.h"
#include "unit.h"

#define MiB (1ull << 20)
#define RAM (16 * MiB)
#define AT  (4 * MiB + 8)   /* where the test's guest keeps its struct */

static struct guest_mem gm;

static void ram_init(void)
{
	struct gm_config c = { .size = RAM };
	struct mv_err e = { "" };
	ck_assert_msg(gm_init(&gm, &c, &e) == 0, "gm_init: %s", e.msg);
}

static struct mv_guest_stats *guest_struct(void)
{
	struct mv_guest_stats *s = gm_ptr(&gm, AT, sizeof(*s));
	ck_assert_ptr_nonnull(s);
	memset(s, 0, sizeof(*s));
	s->magic = MV_GUEST_STATS_MAGIC;
	s->version = MV_GUEST_STATS_VERSION;
	for (unsigned i = 0; i < MV_FAULT_NR; i++)
		s->fault[i] = 100 + i;
	for (unsigned i = 0; i < MV_PCACHE_NR; i++)
		s->pcache[i] = 200 + i;
	s->disk_requests = 300;
	s->forks = 7;
	for (unsigned i = 0; i < MV_LARGE_NR; i++)
		s->large[i] = 400 + i;
	return s;
}

static json_int_t field(json_t *o, const char *obj, const char *name)
{
	json_t *parent = obj ? json_object_get(o, obj) : o;
	ck_assert_msg(json_is_object(parent), "no object %s", obj ? obj : "(root)");
	json_t *v = json_object_get(parent, name);
	ck_assert_msg(json_is_integer(v), "no integer %s", name);
	return json_integer_value(v);
}

static const char *error_of(json_t *o)
{
	json_t *e = json_object_get(o, "error");
	ck_assert_msg(json_is_string(e), "no error in the report");
	return json_string_value(e);
}

START_TEST(publish_keeps_a_range_inside_guest_ram)
{
	struct guest_stats_ref ref = { 0 };

	ram_init();
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, AT, sizeof(struct mv_guest_stats)), 0);
	ck_assert_uint_eq(ref.gpa, AT);
	ck_assert_uint_eq(ref.size, sizeof(struct mv_guest_stats));
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, RAM - 8, 8), 0);   /* the last bytes */
	gm_destroy(&gm);
}
END_TEST

START_TEST(publish_refuses_ranges_outside_guest_ram_and_keeps_the_old_one)
{
	struct guest_stats_ref ref = { AT, 64 };

	ram_init();
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, RAM - 8, 16), -EFAULT);
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, RAM, 8), -EFAULT);
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, UINT64_MAX - 7, 16), -EFAULT);
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, AT, UINT64_MAX), -EFAULT);
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, AT, 7), -EINVAL);
	ck_assert_uint_eq(ref.gpa, AT);
	ck_assert_uint_eq(ref.size, 64);
	gm_destroy(&gm);
}
END_TEST

START_TEST(report_is_null_when_nothing_was_published)
{
	struct guest_stats_ref ref = { 0 };

	ram_init();
	json_t *o = guest_stats_json(&gm, &ref);
	ck_assert(json_is_null(o));
	json_decref(o);
	gm_destroy(&gm);
}
END_TEST

START_TEST(report_names_every_counter_the_guest_wrote)
{
	struct guest_stats_ref ref = { 0 };

	ram_init();
	guest_struct();
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, AT, sizeof(struct mv_guest_stats)), 0);
	json_t *o = guest_stats_json(&gm, &ref);
	ck_assert_int_eq(field(o, NULL, "version"), MV_GUEST_STATS_VERSION);
	ck_assert_int_eq(field(o, "faults", "anon_zero"), 100 + MV_FAULT_ANON_ZERO);
	ck_assert_int_eq(field(o, "faults", "pcache_hit"), 100 + MV_FAULT_PCACHE_HIT);
	ck_assert_int_eq(field(o, "faults", "disk_read"), 100 + MV_FAULT_DISK_READ);
	ck_assert_int_eq(field(o, "faults", "around"), 100 + MV_FAULT_AROUND);
	ck_assert_int_eq(field(o, "faults", "cow"), 100 + MV_FAULT_COW);
	ck_assert_int_eq(field(o, "faults", "shared_dirty"), 100 + MV_FAULT_SHARED_DIRTY);
	ck_assert_int_eq(field(o, "faults", "stack_grow"), 100 + MV_FAULT_STACK_GROW);
	ck_assert_int_eq(field(o, "faults", "sigsegv"), 100 + MV_FAULT_SIGSEGV);
	ck_assert_int_eq(field(o, "faults", "sigbus"), 100 + MV_FAULT_SIGBUS);
	ck_assert_int_eq(field(o, "faults", "spurious"), 100 + MV_FAULT_SPURIOUS);
	ck_assert_uint_eq(json_object_size(json_object_get(o, "faults")), MV_FAULT_NR);
	ck_assert_int_eq(field(o, "page_cache", "hits"), 200 + MV_PCACHE_HITS);
	ck_assert_int_eq(field(o, "page_cache", "misses"), 200 + MV_PCACHE_MISSES);
	ck_assert_int_eq(field(o, "page_cache", "readahead"), 200 + MV_PCACHE_READAHEAD);
	ck_assert_int_eq(field(o, "page_cache", "evictions"), 200 + MV_PCACHE_EVICTIONS);
	ck_assert_int_eq(field(o, "page_cache", "writebacks"), 200 + MV_PCACHE_WRITEBACKS);
	ck_assert_int_eq(field(o, NULL, "disk_requests"), 300);
	ck_assert_int_eq(field(o, NULL, "forks"), 7);
	/* the report's names, in the order of enum mv_large_event */
	static const char *const large[] = { "mapped", "units", "fills", "hits", "reclaims" };
	_Static_assert(sizeof(large) / sizeof(large[0]) == MV_LARGE_NR, "every large event");
	for (unsigned i = 0; i < MV_LARGE_NR; i++)
		ck_assert_int_eq(field(o, "large", large[i]), 400 + i);
	ck_assert_uint_eq(json_object_size(json_object_get(o, "large")), MV_LARGE_NR);
	json_decref(o);
	gm_destroy(&gm);
}
END_TEST

/* A kernel of version 1 publishes the shorter struct: reported as before. */
START_TEST(report_reads_a_version_1_struct_without_the_later_fields)
{
	struct guest_stats_ref ref = { 0 };

	ram_init();
	struct mv_guest_stats *s = guest_struct();
	s->version = 1;
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, AT, MV_GUEST_STATS_V1_SIZE), 0);
	json_t *o = guest_stats_json(&gm, &ref);
	ck_assert_int_eq(field(o, NULL, "version"), 1);
	ck_assert_int_eq(field(o, "faults", "spurious"), 100 + MV_FAULT_SPURIOUS);
	ck_assert_int_eq(field(o, NULL, "forks"), 7);
	ck_assert_ptr_null(json_object_get(o, "large"));
	json_decref(o);
	/* but a version 2 struct must be whole */
	s->version = 2;
	o = guest_stats_json(&gm, &ref);
	ck_assert_str_eq(error_of(o), "shorter than struct mv_guest_stats version 2");
	json_decref(o);
	gm_destroy(&gm);
}
END_TEST

START_TEST(report_says_what_is_wrong_with_a_scribbled_struct)
{
	struct guest_stats_ref ref = { 0 };
	json_t *o;

	ram_init();
	struct mv_guest_stats *s = guest_struct();
	ck_assert_int_eq(guest_stats_publish(&gm, &ref, AT, 16), 0);
	o = guest_stats_json(&gm, &ref);
	ck_assert_str_eq(error_of(o), "shorter than struct mv_guest_stats version 1");
	json_decref(o);

	ck_assert_int_eq(guest_stats_publish(&gm, &ref, AT, sizeof(*s)), 0);
	s->magic = 0xdeadbeef;   /* the guest overwrote it after publishing */
	o = guest_stats_json(&gm, &ref);
	ck_assert_str_eq(error_of(o), "bad magic");
	json_decref(o);

	s->magic = MV_GUEST_STATS_MAGIC;
	s->version = 0;
	o = guest_stats_json(&gm, &ref);
	ck_assert_str_eq(error_of(o), "bad version");
	json_decref(o);
	gm_destroy(&gm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_stats");
	UNIT_CASE(s, publish_keeps_a_range_inside_guest_ram);
	UNIT_CASE(s, publish_refuses_ranges_outside_guest_ram_and_keeps_the_old_one);
	UNIT_CASE(s, report_is_null_when_nothing_was_published);
	UNIT_CASE(s, report_names_every_counter_the_guest_wrote);
	UNIT_CASE(s, report_says_what_is_wrong_with_a_scribbled_struct);
	UNIT_CASE(s, report_reads_a_version_1_struct_without_the_later_fields);
	return unit_run(s);
}
