/* uname, clocks and random bytes. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/syscall_arch.h"
#include "kernel/proc.h"
#include "kernel/random.h"
#include "kernel/signal.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"

#define UTS_LEN               65
#define CLOCK_REALTIME        0
#define CLOCK_MONOTONIC       1
#define CLOCK_PROCESS_CPUTIME 2
#define CLOCK_THREAD_CPUTIME  3
#define TIMER_ABSTIME         1
#define NSEC_PER_SEC          1000000000ull
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_BOOTTIME        7
#define GRND_NONBLOCK         1
#define GRND_RANDOM           2
#define GRND_INSECURE         4
#define GETRANDOM_MAX         33554431   /* Linux caps one call at 32 MiB - 1 */
#define CHUNK                 256

struct utsname {
	char sysname[UTS_LEN], nodename[UTS_LEN], release[UTS_LEN];
	char version[UTS_LEN], machine[UTS_LEN], domainname[UTS_LEN];
};

struct timespec64 {
	int64_t sec, nsec;
};

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

/* The realtime clocks are the wall clock (kernel/time.c); every other id up
 * to CLOCK_BOOTTIME is time since boot: nothing is suspended, and CPU-time
 * clocks are approximated by elapsed time. */
long sys_clock_gettime(struct syscall_frame *f)
{
	uint64_t id = f->arg[0];

	if (id > CLOCK_BOOTTIME)
		return -EINVAL;
	uint64_t ns = id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE ? time_real_ns()
									   : time_mono_ns();
	struct timespec64 ts = { (int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000) };
	return copy_to_user(f->arg[1], &ts, sizeof(ts));
}

long sys_gettimeofday(struct syscall_frame *f)
{
	uint64_t ns = time_real_ns();
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

/* Sleeping: the other processes run first (they are the only ones that
 * can send a signal; with no preemption they run until they wait, yield
 * or end), then the host sleeps the rest. A signal that became
 * deliverable meanwhile ends the sleep with EINTR and, for a relative
 * sleep, the time left in *rem, as on Linux. */
static long sleep_for(uint64_t req_ptr, uint64_t clock, bool absolute, uint64_t rem_ptr)
{
	struct timespec64 ts;

	if (copy_from_user(&ts, req_ptr, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	uint64_t ns = (uint64_t)ts.sec > UINT64_MAX / NSEC_PER_SEC - 1
			      ? UINT64_MAX
			      : (uint64_t)ts.sec * NSEC_PER_SEC + (uint64_t)ts.nsec;
	if (absolute) {
		uint64_t now = clock == CLOCK_REALTIME ? time_real_ns() : time_mono_ns();
		ns = ns > now ? ns - now : 0;
	}
	uint64_t t0 = time_mono_ns();
	uint64_t end = ns > UINT64_MAX - t0 ? UINT64_MAX : t0 + ns;
	for (uint64_t now = t0; now < end; now = time_mono_ns()) {
		if (signal_interrupts()) {
			uint64_t left = end - now;
			struct timespec64 r = { (int64_t)(left / NSEC_PER_SEC),
						(int64_t)(left % NSEC_PER_SEC) };
			if (!absolute && rem_ptr && copy_to_user(rem_ptr, &r, sizeof(r)))
				return -EFAULT;
			return -EINTR;
		}
		if (!proc_yield_to_other()) {
			time_sleep_ns(end - now);
			break;
		}
	}
	return 0;
}

long sys_nanosleep(struct syscall_frame *f)
{
	return sleep_for(f->arg[0], CLOCK_MONOTONIC, false, f->arg[1]);
}

/* The clocks Linux sleeps on: the thread CPU-time clock is "not supported",
 * unknown clocks are invalid; flag bits other than TIMER_ABSTIME are
 * ignored, as Linux ignores them. */
long sys_clock_nanosleep(struct syscall_frame *f)
{
	uint64_t clock = f->arg[0], flags = f->arg[1];

	if (clock == CLOCK_THREAD_CPUTIME)
		return -EOPNOTSUPP;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC &&
	    clock != CLOCK_PROCESS_CPUTIME && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	return sleep_for(f->arg[2], clock, flags & TIMER_ABSTIME, f->arg[3]);
}
