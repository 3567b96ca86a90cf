/* Self-test of lib/: memory helpers and the printk formatter. */
#include "kernel/selftest.h"
#include "lib/string.h"

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
	return SELFTEST_OK;
}
