/* The CMOS real-time clock (MC146818 and compatibles) at ports 0x70/0x71:
 * the wall clock of a kernel booted without mapvisor's boot info (QEMU's
 * PVH entry; QEMU microvm has one with `-M microvm,rtc=on`). */
#ifndef GUEST_ARCH_X86_RTC_H
#define GUEST_ARCH_X86_RTC_H

#include <stdint.h>

/* Calendar time as the chip holds it, decoded to binary and 24 hours;
 * year in full (e.g. 2026). Not range-checked beyond the encoding. */
struct rtc_time {
	uint32_t year, mon, day, hour, min, sec;
};

/* Reads a consistent time (no update in progress, two equal reads).
 * 0, or -ENODEV when nothing answers like an RTC (a bus that reads all
 * ones, digits that are not BCD) or the chip never settles. */
int arch_rtc_read(struct rtc_time *t);

#endif
