/* guest/lib/ on the host: string helpers and the small vsnprintf, linked
 * under guest_* names (guest_lib_names.h) and checked against libc. */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_lib_names.h"
#include "lib/string.h"
#undef memcpy
#undef memset
#undef memcmp
#undef strlen
#undef strcmp
#undef strncmp
#undef vsnprintf
#undef snprintf

/* guest_snprintf's output must equal libc's for the same format and args. */
#define CK_FMT(...)                                                                                \
	do {                                                                                       \
		char want_[128], got_[128];                                                        \
		int wn_ = snprintf(want_, sizeof(want_), __VA_ARGS__);                             \
		int gn_ = guest_snprintf(got_, sizeof(got_), __VA_ARGS__);                         \
		ck_assert_str_eq(got_, want_);                                                     \
		ck_assert_int_eq(gn_, wn_);                                                        \
	} while (0)

/* No format attribute: for formats gcc rightly rejects at compile time. */
static int unchecked(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = guest_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* The kernel's arch_memcpy_bulk hands long copies to the host; this fake
 * records what it was offered and takes it only when told to. */
static size_t bulk_offered;
static bool bulk_take;

bool arch_memcpy_bulk(void *dst, const void *src, size_t n)
{
	bulk_offered = n;
	if (bulk_take)
		memmove(dst, src, n);
	return bulk_take;
}

/* The same for memset to zero. */
static size_t zero_offered;
static bool zero_take;

bool arch_memzero_bulk(void *dst, size_t n)
{
	zero_offered = n;
	if (zero_take)
		memset(dst, 0, n);
	return zero_take;
}

START_TEST(memset_offers_only_long_zeroing_to_the_bulk_hook)
{
	static char buf[MEMSET_BULK_MIN + 10];
	zero_take = false;
	zero_offered = 0;
	memset(buf, 'x', sizeof(buf));
	ck_assert_ptr_eq(guest_memset(buf, 0, MEMSET_BULK_MIN - 1), buf);
	ck_assert_uint_eq(zero_offered, 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], i < MEMSET_BULK_MIN - 1 ? 0 : 'x');
	/* not zero: never offered */
	ck_assert_ptr_eq(guest_memset(buf, 'y', sizeof(buf)), buf);
	ck_assert_uint_eq(zero_offered, 0);
	/* refused: memset zeroes it itself */
	ck_assert_ptr_eq(guest_memset(buf, 0, sizeof(buf)), buf);
	ck_assert_uint_eq(zero_offered, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 0);
	/* taken: the hook's zeroing is the result */
	memset(buf, 'x', sizeof(buf));
	zero_take = true;
	zero_offered = 0;
	ck_assert_ptr_eq(guest_memset(buf + 1, 0, MEMSET_BULK_MIN), buf + 1);
	ck_assert_uint_eq(zero_offered, MEMSET_BULK_MIN);
	ck_assert_int_eq(buf[0], 'x');
	ck_assert_int_eq(buf[MEMSET_BULK_MIN + 1], 'x');
	for (size_t i = 1; i <= MEMSET_BULK_MIN; i++)
		ck_assert_int_eq(buf[i], 0);
}
END_TEST

START_TEST(memcpy_offers_only_long_copies_to_the_bulk_hook)
{
	static char src[MEMCPY_BULK_MIN + 10], dst[sizeof(src)];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (char)(i * 7 + 1);
	bulk_take = false;
	bulk_offered = 0;
	ck_assert_ptr_eq(guest_memcpy(dst, src, MEMCPY_BULK_MIN - 1), dst);
	ck_assert_uint_eq(bulk_offered, 0);
	ck_assert_mem_eq(dst, src, MEMCPY_BULK_MIN - 1);
	/* refused: memcpy copies it itself */
	memset(dst, 0, sizeof(dst));
	ck_assert_ptr_eq(guest_memcpy(dst, src, sizeof(src)), dst);
	ck_assert_uint_eq(bulk_offered, sizeof(src));
	ck_assert_mem_eq(dst, src, sizeof(src));
	/* taken: the hook's copy is the result */
	memset(dst, 0, sizeof(dst));
	bulk_take = true;
	bulk_offered = 0;
	ck_assert_ptr_eq(guest_memcpy(dst, src, MEMCPY_BULK_MIN), dst);
	ck_assert_uint_eq(bulk_offered, MEMCPY_BULK_MIN);
	ck_assert_mem_eq(dst, src, MEMCPY_BULK_MIN);
	bulk_take = false;
}
END_TEST

START_TEST(memcpy_copies_n_bytes_and_returns_dst)
{
	char dst[8] = "xxxxxxx";
	ck_assert_ptr_eq(guest_memcpy(dst, "abcdef", 3), dst);
	ck_assert_str_eq(dst, "abcxxxx");
	ck_assert_ptr_eq(guest_memcpy(dst, "zz", 0), dst);
	ck_assert_str_eq(dst, "abcxxxx");
}
END_TEST

START_TEST(memset_fills_with_low_byte_and_returns_dst)
{
	unsigned char b[6] = {1, 1, 1, 1, 1, 1};
	ck_assert_ptr_eq(guest_memset(b + 1, 0x1ab, 4), b + 1);
	ck_assert_uint_eq(b[0], 1);
	for (int i = 1; i < 5; i++)
		ck_assert_uint_eq(b[i], 0xab);
	ck_assert_uint_eq(b[5], 1);
}
END_TEST

START_TEST(memcmp_orders_by_first_differing_unsigned_byte)
{
	ck_assert_int_eq(guest_memcmp("abc", "abd", 2), 0);
	ck_assert_int_lt(guest_memcmp("abc", "abd", 3), 0);
	ck_assert_int_gt(guest_memcmp("\x80", "\x01", 1), 0);
	ck_assert_int_eq(guest_memcmp("a", "b", 0), 0);
}
END_TEST

START_TEST(strlen_counts_to_nul)
{
	ck_assert_uint_eq(guest_strlen(""), 0);
	ck_assert_uint_eq(guest_strlen("mapvisor"), 8);
}
END_TEST

START_TEST(strcmp_orders_like_libc)
{
	static const char *s[] = {"", "a", "ab", "abc", "abd", "b", "\x80", "\x7f"};
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < 8; j++)
			ck_assert_msg(sign(guest_strcmp(s[i], s[j])) == sign(strcmp(s[i], s[j])),
				      "strcmp(s[%u], s[%u])", i, j);
}
END_TEST

START_TEST(strncmp_stops_at_n_or_nul)
{
	ck_assert_int_eq(guest_strncmp("abcX", "abcY", 3), 0);
	ck_assert_int_lt(guest_strncmp("abcX", "abcY", 4), 0);
	ck_assert_int_eq(guest_strncmp("ab\0x", "ab\0y", 4), 0);
	ck_assert_int_gt(guest_strncmp("ab", "a", 5), 0);
	ck_assert_int_eq(guest_strncmp("a", "b", 0), 0);
}
END_TEST

START_TEST(vsnprintf_formats_decimals_like_libc)
{
	CK_FMT("%d|%d|%d|%d", 0, 42, -42, INT_MIN);
	CK_FMT("%u|%u", 0u, UINT_MAX);
	CK_FMT("%ld|%ld|%lu", LONG_MIN, LONG_MAX, ULONG_MAX);
	CK_FMT("%zu|%lld", SIZE_MAX, LLONG_MIN);
}
END_TEST

START_TEST(vsnprintf_formats_hex_and_pointers_like_libc)
{
	CK_FMT("%x|%x|%lx", 0u, 0xdeadbeefu, 0xffffc00000123000ul);
	CK_FMT("%p", (void *)0x1234);
	CK_FMT("%016lx|%8x", 0xabcul, 0x1fu);
}
END_TEST

START_TEST(vsnprintf_pads_to_width_like_libc)
{
	CK_FMT("[%5d][%05d][%5d][%05d]", 42, 42, -42, -42);
	CK_FMT("[%3d][%03u]", 12345, 7u);
	CK_FMT("[%5s][%2s]", "ab", "abcd");
}
END_TEST

START_TEST(vsnprintf_formats_strings_chars_and_percent)
{
	CK_FMT("%s-%c-%%-%s", "mm", 'x', "");
	char b[16];
	unchecked(b, sizeof(b), "%s", (char *)NULL);
	ck_assert_str_eq(b, "(null)");
}
END_TEST

START_TEST(vsnprintf_echoes_unknown_conversions)
{
	char b[16];
	ck_assert_int_eq(unchecked(b, sizeof(b), "a%qb"), 4);
	ck_assert_str_eq(b, "a%qb");
	ck_assert_int_eq(unchecked(b, sizeof(b), "end%"), 3);
	ck_assert_str_eq(b, "end");
}
END_TEST

START_TEST(vsnprintf_truncates_and_returns_full_length)
{
	char b[8];
	memset(b, '#', sizeof(b));
	ck_assert_int_eq(guest_snprintf(b, 5, "%s=%d", "pages", 1234), 10);
	ck_assert_str_eq(b, "page");
	ck_assert_int_eq(b[5], '#');
}
END_TEST

START_TEST(vsnprintf_with_size_zero_writes_nothing)
{
	char b[4] = "xyz";
	ck_assert_int_eq(guest_snprintf(b, 0, "%d", 12345), 5);
	ck_assert_str_eq(b, "xyz");
	ck_assert_int_eq(guest_snprintf(NULL, 0, "abc"), 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_lib");
	const TTest *t[] = {
	    memcpy_copies_n_bytes_and_returns_dst,
	    memcpy_offers_only_long_copies_to_the_bulk_hook,
	    memset_offers_only_long_zeroing_to_the_bulk_hook,
	    memset_fills_with_low_byte_and_returns_dst,
	    memcmp_orders_by_first_differing_unsigned_byte,
	    strlen_counts_to_nul,
	    strcmp_orders_like_libc,
	    strncmp_stops_at_n_or_nul,
	    vsnprintf_formats_decimals_like_libc,
	    vsnprintf_formats_hex_and_pointers_like_libc,
	    vsnprintf_pads_to_width_like_libc,
	    vsnprintf_formats_strings_chars_and_percent,
	    vsnprintf_echoes_unknown_conversions,
	    vsnprintf_truncates_and_returns_full_length,
	    vsnprintf_with_size_zero_writes_nothing,
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		TCase *tc = tcase_create(t[i]->name);
		tcase_add_test(tc, t[i]);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
