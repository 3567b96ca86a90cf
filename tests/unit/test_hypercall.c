/* The page and byte-range hypercalls on guest memory: results, and -EFAULT touching nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "guest_mem.h"
#include "hypercall.h"
#include "mv_boot.h"
#include "mv_hypercall.h"
#include "unit.h"

#include <time.h>
#include "x86.h"

#define MiB  (1ull << 20)
#define GiB  (1ull << 30)
#define PAGE X86_PAGE_SIZE
#define RAM  (16 * MiB)

static struct guest_mem gm;

static void ram_init(uint64_t size)
{
	struct gm_config c = { .size = size };
	struct mv_err e = { "" };
	ck_assert_msg(gm_init(&gm, &c, &e) == 0, "gm_init: %s", e.msg);
}

/* Each page gets its own recognisable bytes. */
static uint8_t pattern(gpa_t gpa)
{
	return (uint8_t)((gpa >> 12) * 31 + (gpa & 0xfff) + 1) | 1;
}

static void fill_pattern(gpa_t gpa, uint64_t len)
{
	uint8_t *p = gm_ptr(&gm, gpa, len);
	ck_assert_ptr_nonnull(p);
	for (uint64_t i = 0; i < len; i++)
		p[i] = pattern(gpa + i);
}

static bool has_pattern(gpa_t gpa, uint64_t len)
{
	const uint8_t *p = gm_ptr(&gm, gpa, len);
	ck_assert_ptr_nonnull(p);
	for (uint64_t i = 0; i < len; i++)
		if (p[i] != pattern(gpa + i))
			return false;
	return true;
}

static bool all_zero(gpa_t gpa, uint64_t len)
{
	const uint8_t *p = gm_ptr(&gm, gpa, len);
	ck_assert_ptr_nonnull(p);
	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

START_TEST(hc_page_zero_clears_exactly_the_pages)
{
	ram_init(RAM);
	fill_pattern(0x10000, 8 * PAGE);
	ck_assert_int_eq(hc_page_zero(&gm, 0x11000, 3), 0);
	ck_assert(has_pattern(0x10000, PAGE));
	ck_assert(all_zero(0x11000, 3 * PAGE));
	ck_assert(has_pattern(0x14000, 4 * PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_zero_reaches_last_page_of_ram)
{
	ram_init(RAM);
	fill_pattern(RAM - 2 * PAGE, 2 * PAGE);
	ck_assert_int_eq(hc_page_zero(&gm, RAM - PAGE, 1), 0);
	ck_assert(has_pattern(RAM - 2 * PAGE, PAGE));
	ck_assert(all_zero(RAM - PAGE, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_zero_rejects_unaligned_gpa)
{
	ram_init(RAM);
	fill_pattern(0x10000, 2 * PAGE);
	ck_assert_int_eq(hc_page_zero(&gm, 0x10001, 1), -EFAULT);
	ck_assert_int_eq(hc_page_zero(&gm, 0x10800, 1), -EFAULT);
	ck_assert(has_pattern(0x10000, 2 * PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_zero_rejects_range_past_end)
{
	ram_init(RAM);
	fill_pattern(RAM - PAGE, PAGE);
	ck_assert_int_eq(hc_page_zero(&gm, RAM - PAGE, 2), -EFAULT);
	ck_assert_int_eq(hc_page_zero(&gm, RAM, 1), -EFAULT);
	ck_assert_int_eq(hc_page_zero(&gm, 1ull << 40, 1), -EFAULT);
	ck_assert(has_pattern(RAM - PAGE, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_zero_rejects_zero_pages)
{
	ram_init(RAM);
	ck_assert_int_eq(hc_page_zero(&gm, 0x10000, 0), -EFAULT);
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_zero_rejects_overflowing_ranges)
{
	ram_init(RAM);
	fill_pattern(0, 4 * PAGE);
	/* gpa + length wraps to the start of RAM */
	ck_assert_int_eq(hc_page_zero(&gm, UINT64_MAX & ~(PAGE - 1), 2), -EFAULT);
	ck_assert_int_eq(hc_page_zero(&gm, 0xfffffffffff00000ull, 0x101), -EFAULT);
	/* pages << 12 wraps to 0 or to a small length */
	ck_assert_int_eq(hc_page_zero(&gm, 0, 1ull << 52), -EFAULT);
	ck_assert_int_eq(hc_page_zero(&gm, 0, (1ull << 52) + 1), -EFAULT);
	ck_assert_int_eq(hc_page_zero(&gm, 0, UINT64_MAX), -EFAULT);
	ck_assert(has_pattern(0, 4 * PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_zero_rejects_range_into_mmio_hole)
{
	ram_init(4 * GiB);
	fill_pattern(MV_GPA_MMIO_BASE - PAGE, PAGE);
	ck_assert_int_eq(hc_page_zero(&gm, MV_GPA_MMIO_BASE - PAGE, 2), -EFAULT);
	ck_assert_int_eq(hc_page_zero(&gm, MV_GPA_MMIO_BASE, 1), -EFAULT);
	ck_assert_int_eq(hc_page_zero(&gm, MV_GPA_HIGH_RAM - PAGE, 2), -EFAULT);
	ck_assert(has_pattern(MV_GPA_MMIO_BASE - PAGE, PAGE));
	fill_pattern(MV_GPA_HIGH_RAM, 2 * PAGE);
	ck_assert_int_eq(hc_page_zero(&gm, MV_GPA_HIGH_RAM, 1), 0);
	ck_assert(all_zero(MV_GPA_HIGH_RAM, PAGE));
	ck_assert(has_pattern(MV_GPA_HIGH_RAM + PAGE, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_copy_copies_pages)
{
	ram_init(RAM);
	fill_pattern(0x20000, 3 * PAGE);
	ck_assert_int_eq(hc_page_zero(&gm, 0x80000, 5), 0);
	ck_assert_int_eq(hc_page_copy(&gm, 0x81000, 0x20000, 3), 0);
	ck_assert_mem_eq(gm_ptr(&gm, 0x81000, 3 * PAGE), gm_ptr(&gm, 0x20000, 3 * PAGE), 3 * PAGE);
	ck_assert(has_pattern(0x20000, 3 * PAGE));
	ck_assert(all_zero(0x80000, PAGE));
	ck_assert(all_zero(0x84000, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_copy_handles_overlap)
{
	ram_init(RAM);
	static uint8_t before[4 * PAGE];
	fill_pattern(0x40000, 5 * PAGE);
	memcpy(before, gm_ptr(&gm, 0x40000, 4 * PAGE), sizeof(before));
	ck_assert_int_eq(hc_page_copy(&gm, 0x41000, 0x40000, 4), 0);   /* forward overlap */
	ck_assert_mem_eq(gm_ptr(&gm, 0x41000, 4 * PAGE), before, sizeof(before));
	fill_pattern(0x40000, 5 * PAGE);
	memcpy(before, gm_ptr(&gm, 0x41000, 4 * PAGE), sizeof(before));
	ck_assert_int_eq(hc_page_copy(&gm, 0x40000, 0x41000, 4), 0);   /* backward overlap */
	ck_assert_mem_eq(gm_ptr(&gm, 0x40000, 4 * PAGE), before, sizeof(before));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_copy_rejects_bad_source_untouched)
{
	ram_init(RAM);
	fill_pattern(0x10000, 2 * PAGE);
	ck_assert_int_eq(hc_page_copy(&gm, 0x10000, RAM - PAGE, 2), -EFAULT);
	ck_assert_int_eq(hc_page_copy(&gm, 0x10000, 0x30010, 1), -EFAULT);
	ck_assert_int_eq(hc_page_copy(&gm, 0x10000, UINT64_MAX & ~(PAGE - 1), 1), -EFAULT);
	ck_assert(has_pattern(0x10000, 2 * PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_copy_rejects_bad_destination_untouched)
{
	ram_init(RAM);
	fill_pattern(RAM - PAGE, PAGE);
	fill_pattern(0x10000, 2 * PAGE);
	ck_assert_int_eq(hc_page_copy(&gm, RAM - PAGE, 0x10000, 2), -EFAULT);
	ck_assert_int_eq(hc_page_copy(&gm, 0x20008, 0x10000, 1), -EFAULT);
	ck_assert_int_eq(hc_page_copy(&gm, 0x20000, 0x10000, 0), -EFAULT);
	ck_assert(has_pattern(RAM - PAGE, PAGE));
	ck_assert(all_zero(0x20000, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_discard_anonymous_reads_zero)
{
	ram_init(RAM);
	fill_pattern(0x100000, 6 * PAGE);
	ck_assert_int_eq(hc_page_discard(&gm, 0x101000, 4), 0);
	ck_assert(has_pattern(0x100000, PAGE));
	ck_assert(all_zero(0x101000, 4 * PAGE));
	ck_assert(has_pattern(0x105000, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_discard_releases_anonymous_memory)
{
	ram_init(RAM);
	uint64_t before, after;
	memset(gm_ptr(&gm, 0, RAM), 0x11, RAM);
	ck_assert_int_eq(gm_resident_pages(&gm, &gm.region[0], &before), 0);
	ck_assert_int_eq(hc_page_discard(&gm, 0, RAM / PAGE), 0);
	ck_assert_int_eq(gm_resident_pages(&gm, &gm.region[0], &after), 0);
	ck_assert_uint_eq(before, RAM / PAGE);
	ck_assert_uint_eq(after, 0);
	ck_assert(all_zero(0, RAM));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_page_discard_file_backed_reads_zero)
{
	char path[64];
	int fd = unit_tmpfile(path);
	static uint8_t buf[64 << 10];
	memset(buf, 0x5a, sizeof(buf));
	for (uint64_t off = 0; off < RAM; off += sizeof(buf))
		ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), off), (ssize_t)sizeof(buf));
	close(fd);
	struct gm_config c = { .size = RAM, .path = path };   /* private: reads the file */
	struct mv_err e = { "" };
	ck_assert_msg(gm_init(&gm, &c, &e) == 0, "gm_init: %s", e.msg);
	uint8_t *p = gm_ptr(&gm, 0x200000, 2 * PAGE);
	ck_assert_uint_eq(p[0], 0x5a);
	p[0] = 0x77;
	ck_assert_int_eq(hc_page_discard(&gm, 0x200000, 2), 0);
	ck_assert(all_zero(0x200000, 2 * PAGE));
	ck_assert_uint_eq(*(uint8_t *)gm_ptr(&gm, 0x202000, 1), 0x5a);
	gm_destroy(&gm);
	unlink(path);
}
END_TEST

START_TEST(hc_page_discard_rejects_bad_ranges_untouched)
{
	ram_init(RAM);
	fill_pattern(RAM - PAGE, PAGE);
	fill_pattern(0x10000, PAGE);
	ck_assert_int_eq(hc_page_discard(&gm, 0x10004, 1), -EFAULT);
	ck_assert_int_eq(hc_page_discard(&gm, 0x10000, 0), -EFAULT);
	ck_assert_int_eq(hc_page_discard(&gm, RAM - PAGE, 2), -EFAULT);
	ck_assert_int_eq(hc_page_discard(&gm, UINT64_MAX & ~(PAGE - 1), 2), -EFAULT);
	ck_assert_int_eq(hc_page_discard(&gm, 0x10000, 1ull << 52), -EFAULT);
	ck_assert(has_pattern(RAM - PAGE, PAGE));
	ck_assert(has_pattern(0x10000, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_mem_copy_copies_exactly_the_bytes)
{
	ram_init(RAM);
	fill_pattern(0x20000, 2 * PAGE);
	ck_assert_int_eq(hc_page_zero(&gm, 0x80000, 3), 0);
	/* unaligned on both sides, across page boundaries */
	ck_assert_int_eq(hc_mem_copy(&gm, 0x80ffd, 0x20123, 4099), 0);
	ck_assert_mem_eq(gm_ptr(&gm, 0x80ffd, 4099), gm_ptr(&gm, 0x20123, 4099), 4099);
	ck_assert(all_zero(0x80000, 0xffd));
	ck_assert(all_zero(0x80ffd + 4099, 0x83000 - (0x80ffd + 4099)));
	ck_assert(has_pattern(0x20000, 2 * PAGE));
	/* one byte */
	ck_assert_int_eq(hc_mem_copy(&gm, 0x82fff, 0x20000, 1), 0);
	ck_assert_uint_eq(*(uint8_t *)gm_ptr(&gm, 0x82fff, 1), pattern(0x20000));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_mem_copy_handles_overlap)
{
	ram_init(RAM);
	static uint8_t before[3000];
	fill_pattern(0x40000, 2 * PAGE);
	memcpy(before, gm_ptr(&gm, 0x40100, sizeof(before)), sizeof(before));
	ck_assert_int_eq(hc_mem_copy(&gm, 0x40107, 0x40100, sizeof(before)), 0);  /* forward */
	ck_assert_mem_eq(gm_ptr(&gm, 0x40107, sizeof(before)), before, sizeof(before));
	fill_pattern(0x40000, 2 * PAGE);
	memcpy(before, gm_ptr(&gm, 0x40107, sizeof(before)), sizeof(before));
	ck_assert_int_eq(hc_mem_copy(&gm, 0x40100, 0x40107, sizeof(before)), 0);  /* backward */
	ck_assert_mem_eq(gm_ptr(&gm, 0x40100, sizeof(before)), before, sizeof(before));
	fill_pattern(0x40000, PAGE);
	ck_assert_int_eq(hc_mem_copy(&gm, 0x40000, 0x40000, PAGE), 0);           /* onto itself */
	ck_assert(has_pattern(0x40000, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_mem_copy_zero_length_is_a_no_op)
{
	ram_init(RAM);
	fill_pattern(0x10000, PAGE);
	ck_assert_int_eq(hc_mem_copy(&gm, 0x10000, 0x10800, 0), 0);
	/* nothing is read or written, so nothing is checked either */
	ck_assert_int_eq(hc_mem_copy(&gm, RAM, UINT64_MAX, 0), 0);
	ck_assert(has_pattern(0x10000, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_mem_copy_reaches_the_last_byte_of_ram)
{
	ram_init(RAM);
	fill_pattern(0x10000, PAGE);
	ck_assert_int_eq(hc_mem_copy(&gm, RAM - 100, 0x10000, 100), 0);
	ck_assert_mem_eq(gm_ptr(&gm, RAM - 100, 100), gm_ptr(&gm, 0x10000, 100), 100);
	ck_assert_int_eq(hc_mem_copy(&gm, 0x10000, RAM - 1, 1), 0);
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_mem_copy_rejects_ranges_past_the_end_untouched)
{
	ram_init(RAM);
	fill_pattern(RAM - PAGE, PAGE);
	fill_pattern(0x10000, PAGE);
	ck_assert_int_eq(hc_mem_copy(&gm, RAM - 100, 0x10000, 101), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, RAM, 0x10000, 1), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, 0x10000, RAM - 1, 2), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, 0x10000, 1ull << 40, 16), -EFAULT);
	ck_assert(has_pattern(RAM - PAGE, PAGE));
	ck_assert(has_pattern(0x10000, PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_mem_copy_rejects_overflowing_ranges_untouched)
{
	ram_init(RAM);
	fill_pattern(0, 4 * PAGE);
	/* gpa + len wraps past 2^64 to the start of RAM */
	ck_assert_int_eq(hc_mem_copy(&gm, UINT64_MAX - 15, 0x1000, 32), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, 0x1000, UINT64_MAX, 2), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, 0xfffffffffff00000ull, 0, MV_HC_MEM_COPY_MAX), -EFAULT);
	ck_assert(has_pattern(0, 4 * PAGE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_mem_copy_rejects_lengths_over_the_maximum)
{
	ram_init(RAM);
	fill_pattern(0, 4 * PAGE);
	ck_assert_int_eq(hc_mem_copy(&gm, 2 * MiB, 0, MV_HC_MEM_COPY_MAX + 1ull), -EINVAL);
	ck_assert_int_eq(hc_mem_copy(&gm, 2 * MiB, 0, UINT64_MAX), -EINVAL);
	ck_assert(all_zero(2 * MiB, 2 * PAGE));
	/* the maximum itself is fine */
	ck_assert_int_eq(hc_mem_copy(&gm, 2 * MiB, 0, MV_HC_MEM_COPY_MAX), 0);
	ck_assert(has_pattern(0, 4 * PAGE));
	ck_assert_mem_eq(gm_ptr(&gm, 2 * MiB, 4 * PAGE), gm_ptr(&gm, 0, 4 * PAGE), 4 * PAGE);
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_mem_copy_rejects_ranges_into_the_mmio_hole)
{
	ram_init(4 * GiB);
	fill_pattern(MV_GPA_MMIO_BASE - PAGE, PAGE);
	fill_pattern(MV_GPA_HIGH_RAM, PAGE);
	/* crossing from low RAM into the hole, from the hole into high RAM,
	 * and inside the hole, on either side */
	ck_assert_int_eq(hc_mem_copy(&gm, MV_GPA_MMIO_BASE - 8, 0x10000, 16), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, 0x10000, MV_GPA_MMIO_BASE - 8, 16), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, MV_GPA_HIGH_RAM - 8, 0x10000, 16), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, MV_GPA_MMIO_BASE, 0x10000, 1), -EFAULT);
	ck_assert_int_eq(hc_mem_copy(&gm, 0x10000, MV_GPA_MMIO_BASE + PAGE, 1), -EFAULT);
	ck_assert(has_pattern(MV_GPA_MMIO_BASE - PAGE, PAGE));
	ck_assert(all_zero(0x10000, PAGE));
	/* low RAM to high RAM is a plain copy */
	ck_assert_int_eq(hc_mem_copy(&gm, 0x10010, MV_GPA_HIGH_RAM + 3, 100), 0);
	ck_assert_mem_eq(gm_ptr(&gm, 0x10010, 100), gm_ptr(&gm, MV_GPA_HIGH_RAM + 3, 100), 100);
	gm_destroy(&gm);
}
END_TEST

/* n little-endian words from first at gpa */
static void put_words(gpa_t gpa, uint32_t first, unsigned n)
{
	uint8_t *p = gm_ptr(&gm, gpa, (uint64_t)n * 4);
	ck_assert_ptr_nonnull(p);
	for (unsigned i = 0; i < n; i++) {
		uint32_t v = first + i;
		for (unsigned b = 0; b < 4; b++)
			p[4 * i + b] = (uint8_t)(v >> (8 * b));
	}
}

START_TEST(hc_word_run_counts_the_words_that_continue_the_run)
{
	ram_init(RAM);
	put_words(0x3000, 0x1234fffe, 600);   /* crosses 0x12350000: carries */
	ck_assert_int_eq(hc_word_run(&gm, 0x3000, 600, 0x1234fffe), 600);
	ck_assert_int_eq(hc_word_run(&gm, 0x3000, 17, 0x1234fffe), 17);
	ck_assert_int_eq(hc_word_run(&gm, 0x3004, 599, 0x1234ffff), 599);
	/* a break: counted up to it */
	put_words(0x3000 + 4 * 300, 7, 1);
	ck_assert_int_eq(hc_word_run(&gm, 0x3000, 600, 0x1234fffe), 300);
	/* the first word already differs */
	ck_assert_int_eq(hc_word_run(&gm, 0x3000, 600, 0x1234ffff), 0);
	/* wraps at 2^32 as the guest's 32-bit sum does */
	put_words(0x8000, 0xfffffffe, 4);
	ck_assert_int_eq(hc_word_run(&gm, 0x8000, 4, 0xfffffffe), 4);
	/* the last word of RAM, and the maximum count */
	put_words(RAM - 4 * MV_HC_WORD_RUN_MAX, 5, MV_HC_WORD_RUN_MAX);
	ck_assert_int_eq(hc_word_run(&gm, RAM - 4 * MV_HC_WORD_RUN_MAX, MV_HC_WORD_RUN_MAX, 5),
			 MV_HC_WORD_RUN_MAX);
	gm_destroy(&gm);
}
END_TEST

START_TEST(hc_word_run_rejects_bad_ranges_and_counts)
{
	ram_init(4 * GiB);
	ck_assert_int_eq(hc_word_run(&gm, 0x3002, 4, 0), -EINVAL);
	ck_assert_int_eq(hc_word_run(&gm, 0x3000, MV_HC_WORD_RUN_MAX + 1ull, 0), -EINVAL);
	ck_assert_int_eq(hc_word_run(&gm, 0x3000, UINT64_MAX, 0), -EINVAL);
	ck_assert_int_eq(hc_word_run(&gm, 0x3000, 0, 0), 0);
	ck_assert_int_eq(hc_word_run(&gm, MV_GPA_MMIO_BASE - 8, 4, 0), -EFAULT);
	ck_assert_int_eq(hc_word_run(&gm, MV_GPA_MMIO_BASE, 1, 0), -EFAULT);
	ck_assert_int_eq(hc_word_run(&gm, UINT64_MAX - 3, 2, 0), -EFAULT);
	ck_assert_int_eq(hc_word_run(&gm, 1ull << 44, 1, 0), -EFAULT);
	gm_destroy(&gm);
}
END_TEST

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* A lower bound only: the guest's nanosleep relies on never waking early. */
START_TEST(hc_sleep_idles_at_least_as_long_as_asked)
{
	uint64_t t0 = mono_ns();
	ck_assert_int_eq(hc_sleep(20000000), 0);
	ck_assert_uint_ge(mono_ns() - t0, 20000000);
	ck_assert_int_eq(hc_sleep(0), 0);
}
END_TEST

START_TEST(hc_sleep_rejects_more_than_the_maximum)
{
	uint64_t t0 = mono_ns();
	ck_assert_int_eq(hc_sleep(MV_HC_SLEEP_MAX_NS + 1), -EINVAL);
	ck_assert_int_eq(hc_sleep(UINT64_MAX), -EINVAL);
	ck_assert_uint_lt(mono_ns() - t0, MV_HC_SLEEP_MAX_NS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hypercall");
	UNIT_CASE(s, hc_page_zero_clears_exactly_the_pages);
	UNIT_CASE(s, hc_page_zero_reaches_last_page_of_ram);
	UNIT_CASE(s, hc_page_zero_rejects_unaligned_gpa);
	UNIT_CASE(s, hc_page_zero_rejects_range_past_end);
	UNIT_CASE(s, hc_page_zero_rejects_zero_pages);
	UNIT_CASE(s, hc_page_zero_rejects_overflowing_ranges);
	UNIT_CASE(s, hc_page_zero_rejects_range_into_mmio_hole);
	UNIT_CASE(s, hc_page_copy_copies_pages);
	UNIT_CASE(s, hc_page_copy_handles_overlap);
	UNIT_CASE(s, hc_page_copy_rejects_bad_source_untouched);
	UNIT_CASE(s, hc_page_copy_rejects_bad_destination_untouched);
	UNIT_CASE(s, hc_page_discard_anonymous_reads_zero);
	UNIT_CASE(s, hc_page_discard_releases_anonymous_memory);
	UNIT_CASE(s, hc_page_discard_file_backed_reads_zero);
	UNIT_CASE(s, hc_page_discard_rejects_bad_ranges_untouched);
	UNIT_CASE(s, hc_mem_copy_copies_exactly_the_bytes);
	UNIT_CASE(s, hc_mem_copy_handles_overlap);
	UNIT_CASE(s, hc_mem_copy_zero_length_is_a_no_op);
	UNIT_CASE(s, hc_mem_copy_reaches_the_last_byte_of_ram);
	UNIT_CASE(s, hc_mem_copy_rejects_ranges_past_the_end_untouched);
	UNIT_CASE(s, hc_mem_copy_rejects_overflowing_ranges_untouched);
	UNIT_CASE(s, hc_mem_copy_rejects_lengths_over_the_maximum);
	UNIT_CASE(s, hc_word_run_counts_the_words_that_continue_the_run);
	UNIT_CASE(s, hc_word_run_rejects_bad_ranges_and_counts);
	UNIT_CASE(s, hc_mem_copy_rejects_ranges_into_the_mmio_hole);
	UNIT_CASE(s, hc_sleep_idles_at_least_as_long_as_asked);
	UNIT_CASE(s, hc_sleep_rejects_more_than_the_maximum);
	return unit_run(s);
}
