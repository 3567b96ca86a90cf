/* Clocks. The TSC rate comes from mapvisor's boot info or else from CPUID
 * on the first clock call, not at boot: each CPUID is an exit, and the boot
 * path pays for every one. The RTC, too, is read only when real time is
 * first asked for, because each of its port accesses is an exit. */
#include "kernel/time.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/rtc.h"
#include "mv_hypercall.h"
#include "arch/x86/syscall_arch.h"

/* When neither the loader nor CPUID gives the TSC frequency: a guess, so
 * that time still moves forward at roughly the right rate (docs/syscalls.md). */
#define TSC_KHZ_DEFAULT 2000000
#define NS_PER_SEC      1000000000ull
#define NS_PER_MS       1000000ull

static uint64_t tsc_boot, tsc_khz;
static uint64_t wall_ns, wall_tsc;   /* real time at TSC value wall_tsc */
static const char *wall_source;      /* "boot info", "rtc", "none"; NULL: not yet
				      * settled (kept for a debugger's eyes) */

void time_init(uint64_t wall_clock_ns, uint32_t khz)
{
	tsc_boot = arch_rdtsc();
	tsc_khz = khz;
	if (wall_clock_ns) {
		wall_ns = wall_clock_ns;
		wall_tsc = tsc_boot;
		wall_source = "boot info";
	}
}

static uint64_t tsc_to_ns(uint64_t d)
{
	if (!tsc_khz) {
		tsc_khz = arch_tsc_per_us() * 1000;
		if (!tsc_khz)
			tsc_khz = TSC_KHZ_DEFAULT;
	}
	/* In two parts so that d * NS_PER_MS cannot overflow. */
	return d / tsc_khz * NS_PER_MS + d % tsc_khz * NS_PER_MS / tsc_khz;
}

uint64_t time_mono_ns(void)
{
	return tsc_to_ns(arch_rdtsc() - tsc_boot);
}

static bool leap(uint32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years in [1, y]. */
static uint64_t leaps_through(uint32_t y)
{
	return y / 4 - y / 100 + y / 400;
}

uint64_t time_from_calendar(uint32_t year, uint32_t mon, uint32_t day, uint32_t hour,
			    uint32_t min, uint32_t sec)
{
	static const uint16_t days_before[12] = { 0,   31,  59,  90,  120, 151,
						  181, 212, 243, 273, 304, 334 };
	static const uint8_t mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] ||
	    (mon == 2 && day == 29 && !leap(year)) || hour > 23 || min > 59 || sec > 59)
		return 0;
	uint64_t days = (uint64_t)(year - 1970) * 365 + leaps_through(year - 1) -
			leaps_through(1969) + days_before[mon - 1] + (day - 1);
	if (mon > 2 && leap(year))
		days++;
	return ((days * 24 + hour) * 60 + min) * 60 + sec;
}

/* No time from the loader: the RTC, paired with the TSC right after the
 * read. It has whole seconds, so this clock may be up to a second late. */
static void wall_from_rtc(void)
{
	struct rtc_time t;

	wall_source = "none";
	wall_tsc = tsc_boot;
	if (arch_rtc_read(&t))
		return;
	uint64_t tsc = arch_rdtsc();
	uint64_t s = time_from_calendar(t.year, t.mon, t.day, t.hour, t.min, t.sec);
	if (!s)
		return;
	wall_ns = s * NS_PER_SEC;
	wall_tsc = tsc;
	wall_source = "rtc";
}

uint64_t time_real_ns(void)
{
	if (!wall_source)
		wall_from_rtc();
	return wall_ns + tsc_to_ns(arch_rdtsc() - wall_tsc);
}

void time_sleep_ns(uint64_t ns)
{
	uint64_t now0 = time_mono_ns();
	/* "sleep for ever" asks for ~2^63 s: saturate rather than wrap */
	uint64_t end = ns > UINT64_MAX - now0 ? UINT64_MAX : now0 + ns;

	/* The host may wake the vCPU a little early by the guest's TSC rate
	 * estimate; the loop finishes the remainder either way. */
	for (uint64_t now = time_mono_ns(); now < end; now = time_mono_ns()) {
		uint64_t left = end - now;
		if (!hc_available() ||
		    hc_call(MV_HC_SLEEP, left < MV_HC_SLEEP_MAX_NS ? left : MV_HC_SLEEP_MAX_NS, 0))
			cpu_relax();
	}
}
