/* Self-test of lib/: memory helpers and the printk formatter. */
#include "kernel/selftest.h"
#include "lib/string.h"

/* memset to zero and memcpy of 64 bytes or more take the bulk paths
 * (arch/x86/page_ops.c: the host under mapvisor, string instructions
 * otherwise): a range inside a page, one across a page boundary, and one
 * with a partial page, a whole page and a partial page again, against
 * what the byte loops would leave, with neighbours on each side. Small,
 * as the checks are byte loops (emulated on kvm-pvm). */
static unsigned char bulk_buf[3 * 4096] __attribute__((aligned(4096)));
static unsigned char bulk_src[3 * 4096];

static int selftest_bulk(char *why, size_t len)
{
	static const struct {
		unsigned off, n;
	} r[] = { { 5, 100 }, { 4090, 70 }, { 4000, 4200 } };

	for (unsigned k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
		unsigned lo = r[k].off - 5, hi = r[k].off + r[k].n + 8;
		for (unsigned i = lo; i < hi; i++) {
			bulk_buf[i] = 0xa5;
			bulk_src[i] = (unsigned char)(i * 13 + 7);
		}
		memset(bulk_buf + r[k].off, 0, r[k].n);
		for (unsigned i = lo; i < hi; i++) {
			unsigned char want = i >= r[k].off && i < r[k].off + r[k].n ? 0 : 0xa5;
			SELFTEST_CHECK(bulk_buf[i] == want, "memset(+%u, 0, %u): byte %u is 0x%x",
				       r[k].off, r[k].n, i, bulk_buf[i]);
		}
		memcpy(bulk_buf + r[k].off, bulk_src + r[k].off, r[k].n);
		for (unsigned i = lo; i < hi; i++) {
			unsigned char want = i >= r[k].off && i < r[k].off + r[k].n ? bulk_src[i] : 0xa5;
			SELFTEST_CHECK(bulk_buf[i] == want, "memcpy(+%u, %u bytes): byte %u is 0x%x",
				       r[k].off, r[k].n, i, bulk_buf[i]);
		}
	}
	return SELFTEST_OK;
}

int selftest_string(char *why, size_t len)
{
	char buf[128], a[16];
	int n;

	memset(a, 'x', sizeof(a));
	memcpy(a, "hello", 6);
	SELFTEST_CHECK(!strcmp(a, "hello") && a[6] == 'x', "memcpy/memset");
	SELFTEST_CHECK(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && !strcmp("", ""),
		       "strcmp order");
	SELFTEST_CHECK(!memcmp("abc", "abc", 3) && memcmp("abc", "abd", 3) < 0, "memcmp");
	SELFTEST_CHECK(strlen("mapvisor") == 8, "strlen");

	n = snprintf(buf, sizeof(buf), "%d|%u|%x|%lx|%lu|%c|%s|%%|%5d|%05x|%p", -42, 42u,
		     0xbeefu, 0xffffffff80000000ul, 18446744073709551615ul, 'z', "hi", 7, 0xab,
		     (void *)0x1000);
	const char *want = "-42|42|beef|ffffffff80000000|18446744073709551615|z|hi|%|    7|000ab|"
			   "0x1000";
	SELFTEST_CHECK(!strcmp(buf, want) && n == (int)strlen(want), "snprintf gave '%s'", buf);

	n = snprintf(buf, 4, "abcdef");
	SELFTEST_CHECK(n == 6 && !strcmp(buf, "abc"), "truncation: %d '%s'", n, buf);
	n = snprintf(buf, sizeof(buf), "%05d|%3s|%ld", -12, "x", -9000000000l);
	SELFTEST_CHECK(!strcmp(buf, "-0012|  x|-9000000000"), "signed pad: '%s'", buf);
	return selftest_bulk(why, len);
}
