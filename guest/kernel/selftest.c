/* Self-test runner: parses the selection, runs each test, prints one line
 * per test and a summary. */
#include "kernel/printk.h"
#include "kernel/selftest.h"
#include "lib/string.h"

static const struct selftest selftests[] = {
	{ "string", selftest_string },
	{ "alloc", selftest_alloc },
	{ "pgtable", selftest_pgtable },
	{ "pagefault", selftest_pagefault },
	{ "paravirt", selftest_paravirt },
	{ "virtio_parse", selftest_virtio_parse },
	{ "virtio", selftest_virtio },
	{ "virtio_bench", selftest_virtio_bench },
};

#define NR_SELFTESTS (sizeof(selftests) / sizeof(selftests[0]))
#define NAME_MAX 32

static int selftest_one(const struct selftest *t, int *passed)
{
	char why[128] = "";
	int r = t->run(why, sizeof(why));

	if (r == SELFTEST_FAIL) {
		printk("selftest %s: FAIL %s\n", t->name, why);
		return 1;
	}
	printk("selftest %s: %s%s\n", t->name, r == SELFTEST_SKIP ? "skipped " : "ok", why);
	(*passed)++;
	return 0;
}

static const struct selftest *selftest_find(const char *name)
{
	for (unsigned i = 0; i < NR_SELFTESTS; i++)
		if (!strcmp(selftests[i].name, name))
			return &selftests[i];
	return 0;
}

int selftest_run(const char *list)
{
	int passed = 0, failed = 0;

	if (!strcmp(list, "all")) {
		for (unsigned i = 0; i < NR_SELFTESTS; i++)
			failed += selftest_one(&selftests[i], &passed);
	} else {
		while (*list) {
			char name[NAME_MAX];
			size_t n = 0;
			while (*list && *list != ',') {
				if (n + 1 < sizeof(name))
					name[n++] = *list;
				list++;
			}
			name[n] = '\0';
			if (*list == ',')
				list++;
			if (!n)
				continue;
			const struct selftest *t = selftest_find(name);
			if (t) {
				failed += selftest_one(t, &passed);
			} else {
				printk("selftest %s: FAIL unknown selftest\n", name);
				failed++;
			}
		}
	}
	printk("selftests: %d passed, %d failed\n", passed, failed);
	return failed;
}
