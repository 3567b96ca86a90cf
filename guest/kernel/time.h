/* The kernel's clocks: monotonic time from the TSC since boot, and the wall
 * clock as that plus the real time at one known TSC value, from mapvisor's
 * boot info or, without one, the CMOS RTC (docs/syscalls.md). */
#ifndef GUEST_KERNEL_TIME_H
#define GUEST_KERNEL_TIME_H

#include <stdint.h>

/* First thing at boot: the TSC now is "boot", and wall_clock_ns (0 if the
 * loader gave none) is the real time at that moment; tsc_khz is the TSC's
 * rate if the loader knows it, else 0 (then CPUID, then a guess). */
void time_init(uint64_t wall_clock_ns, uint32_t tsc_khz);
/* Nanoseconds since time_init. */
uint64_t time_mono_ns(void);
/* Nanoseconds since the epoch; counts from the epoch at boot when neither
 * the loader nor an RTC gave the time. */
uint64_t time_real_ns(void);
/* Do nothing for ns nanoseconds: the host sleeps for the guest when the
 * hypercall port is there (spinning would be emulated instruction by
 * instruction), otherwise spin on the TSC. Never returns early. */
void time_sleep_ns(uint64_t ns);
/* Seconds since the epoch of a UTC calendar date; 0 if it is not a valid
 * date at or after 1970-01-01 00:00:00. */
uint64_t time_from_calendar(uint32_t year, uint32_t mon, uint32_t day, uint32_t hour,
			    uint32_t min, uint32_t sec);

#endif
