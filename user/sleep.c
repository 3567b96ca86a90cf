/* Sleeping as a program sees it: nanosleep and clock_nanosleep (relative
 * and absolute) wait at least as long as asked, and bad arguments give
 * Linux's errors. Prints only pass/fail observations, never durations, so a
 * native run and a guest run print the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "observe.h"

static long long now_ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

int main(void)
{
	struct timespec req = { 0, 30 * 1000000 }, rem = { 7, 7 };
	long long t0 = now_ns(CLOCK_MONOTONIC);
	show("nanosleep 30ms", nanosleep(&req, &rem));
	long long dt = now_ns(CLOCK_MONOTONIC) - t0;
	printf("slept at least 30ms: %s\n", dt >= 30 * 1000000 ? "yes" : "no");
	printf("slept less than 5s: %s\n", dt < 5000000000ll ? "yes" : "no");
	printf("rem untouched: %s\n", rem.tv_sec == 7 && rem.tv_nsec == 7 ? "yes" : "no");

	struct timespec zero = { 0, 0 };
	show("nanosleep 0", nanosleep(&zero, NULL));
	struct timespec bad = { 0, 1000000000 };
	show("nanosleep nsec=1e9", syscall(SYS_nanosleep, &bad, NULL));
	struct timespec neg = { -1, 0 };
	show("nanosleep sec=-1", syscall(SYS_nanosleep, &neg, NULL));
	show("nanosleep bad pointer", syscall(SYS_nanosleep, (void *)8, NULL));

	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += 20 * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	long r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
	show("clock_nanosleep abs +20ms", r);
	long long after = now_ns(CLOCK_MONOTONIC);
	printf("woke after the deadline: %s\n",
	       after >= until.tv_sec * 1000000000ll + until.tv_nsec ? "yes" : "no");
	struct timespec past = { 1, 0 };
	show("clock_nanosleep abs in the past", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC,
						       TIMER_ABSTIME, &past, NULL));
	show("clock_nanosleep realtime 10ms",
	     syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &(struct timespec){ 0, 10000000 },
		     NULL));
	show("clock_nanosleep thread cputime",
	     syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &zero, NULL));
	show("clock_nanosleep clock 99", syscall(SYS_clock_nanosleep, 99, 0, &zero, NULL));
	return 0;
}
