/* Shared helpers for the Check unit tests: one TCase per behaviour, error
 * text assertions, visible skips and scratch files under /tmp. */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* A failing call returns -1 and says `substr` in its mv_err. */
#define ck_assert_fails_with(rc, err, substr)                                          \
	do {                                                                           \
		ck_assert_int_eq((rc), -1);                                            \
		ck_assert_msg(strstr((err).msg, (substr)) != NULL,                     \
			      "error \"%s\" does not mention \"%s\"", (err).msg, (substr)); \
	} while (0)

/* One test case per behaviour, named after the test. */
#define UNIT_CASE(suite, fn)                                                           \
	do {                                                                           \
		TCase *tc_ = tcase_create(#fn);                                        \
		tcase_set_timeout(tc_, 60);                                            \
		tcase_add_test(tc_, fn);                                               \
		suite_add_tcase((suite), tc_);                                         \
	} while (0)

static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A test that cannot run here says so on a line of its own. */
static inline void __attribute__((format(printf, 1, 2))) unit_skip(const char *fmt, ...)
{
	va_list ap;
	fputs("SKIP: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* A fresh empty file under /tmp; path receives its name. */
static inline int unit_tmpfile(char path[64])
{
	snprintf(path, 64, "/tmp/mapvisor-unit-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp failed");
	return fd;
}

/* A name under /tmp where nothing exists (yet). */
static inline void unit_tmpname(char path[64])
{
	int fd = unit_tmpfile(path);
	close(fd);
	ck_assert_int_eq(unlink(path), 0);
}

#endif
