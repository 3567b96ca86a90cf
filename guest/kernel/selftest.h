/* Built-in self-tests, selected with selftest=all or selftest=a,b,c. */
#ifndef GUEST_KERNEL_SELFTEST_H
#define GUEST_KERNEL_SELFTEST_H

#include <stddef.h>

#define SELFTEST_OK   0
#define SELFTEST_FAIL (-1)
#define SELFTEST_SKIP 1

/* A test returns SELFTEST_*; on failure it writes the reason into why. */
struct selftest {
	const char *name;
	int (*run)(char *why, size_t len);
};

/* Returns the number of failed tests. */
int selftest_run(const char *list);

int selftest_alloc(char *why, size_t len);
int selftest_pgtable(char *why, size_t len);
int selftest_pagefault(char *why, size_t len);
int selftest_paravirt(char *why, size_t len);
int selftest_string(char *why, size_t len);
int selftest_virtio_parse(char *why, size_t len);
int selftest_virtio(char *why, size_t len);
int selftest_virtio_bench(char *why, size_t len);

/* Fail with a formatted reason when cond does not hold. */
#define SELFTEST_CHECK(cond, ...)                        \
	do {                                             \
		if (!(cond)) {                           \
			snprintf(why, len, __VA_ARGS__); \
			return SELFTEST_FAIL;            \
		}                                        \
	} while (0)

#endif
