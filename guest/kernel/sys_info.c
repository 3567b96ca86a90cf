/* uname, clocks and random bytes. */
#include <stdint.h>

#include "arch/x86/syscall_arch.h"
#include "kernel/random.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"

#define UTS_LEN        65
#define CLOCK_BOOTTIME 7
#define GRND_NONBLOCK  1
#define GRND_RANDOM    2
#define GRND_INSECURE  4
#define GETRANDOM_MAX  33554431   /* Linux caps one call at 32 MiB - 1 */
#define CHUNK          256
/* When CPUID gives no TSC frequency: a guess, so that time still moves
 * forward at roughly the right rate (docs/syscalls.md). */
#define TSC_PER_US_DEFAULT 2000

struct utsname {
	char sysname[UTS_LEN], nodename[UTS_LEN], release[UTS_LEN];
	char version[UTS_LEN], machine[UTS_LEN], domainname[UTS_LEN];
};

struct timespec64 {
	int64_t sec, nsec;
};

static uint64_t tsc_boot, tsc_per_us;

long sys_uname(struct syscall_frame *f)
{
	static struct utsname u;

	if (!u.sysname[0]) {
		memcpy(u.sysname, "Linux", 6);
		memcpy(u.nodename, "mapvisor", 9);
		memcpy(u.release, "6.1.0-mapvisor", 15);
		memcpy(u.version, "#1", 3);
		memcpy(u.machine, "x86_64", 7);
		memcpy(u.domainname, "(none)", 7);
	}
	return copy_to_user(f->arg[0], &u, sizeof(u));
}

/* Nanoseconds since the first clock call, from the TSC. Every clock is this
 * one for now: there is no RTC, so CLOCK_REALTIME starts at the epoch. */
static uint64_t clock_ns(void)
{
	if (!tsc_per_us) {
		tsc_per_us = arch_tsc_per_us();
		if (!tsc_per_us)
			tsc_per_us = TSC_PER_US_DEFAULT;
		tsc_boot = arch_rdtsc();
	}
	uint64_t d = arch_rdtsc() - tsc_boot;
	return d / tsc_per_us * 1000 + d % tsc_per_us * 1000 / tsc_per_us;
}

long sys_clock_gettime(struct syscall_frame *f)
{
	if (f->arg[0] > CLOCK_BOOTTIME)
		return -EINVAL;
	uint64_t ns = clock_ns();
	struct timespec64 ts = { (int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000) };
	return copy_to_user(f->arg[1], &ts, sizeof(ts));
}

long sys_gettimeofday(struct syscall_frame *f)
{
	uint64_t ns = clock_ns();
	struct timespec64 tv = { (int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000 / 1000) };
	static const int32_t tz[2];   /* UTC, no DST */

	if (f->arg[0] && copy_to_user(f->arg[0], &tv, sizeof(tv)))
		return -EFAULT;
	if (f->arg[1] && copy_to_user(f->arg[1], tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

long sys_getrandom(struct syscall_frame *f)
{
	uint64_t buf = f->arg[0], n = f->arg[1], done = 0;
	uint8_t tmp[CHUNK];

	if (f->arg[2] & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) ||
	    (f->arg[2] & GRND_RANDOM && f->arg[2] & GRND_INSECURE))
		return -EINVAL;
	if (n > GETRANDOM_MAX)
		n = GETRANDOM_MAX;
	while (done < n) {
		uint64_t c = n - done < CHUNK ? n - done : CHUNK;
		random_fill(tmp, c);
		if (copy_to_user(buf + done, tmp, c))
			return done ? (long)done : -EFAULT;
		done += c;
	}
	return (long)done;
}
