/* CMOS RTC reader. Register layout and status bits: the MC146818A data
 * sheet, which every PC-compatible RTC (and QEMU's) follows. */
#include "arch/x86/rtc.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "lib/errno.h"

#define CMOS_INDEX    0x70
#define CMOS_DATA     0x71

#define RTC_SEC       0x00
#define RTC_MIN       0x02
#define RTC_HOUR      0x04
#define RTC_DAY       0x07
#define RTC_MON       0x08
#define RTC_YEAR      0x09
#define RTC_STATUS_A  0x0a
#define RTC_STATUS_B  0x0b
#define RTC_CENTURY   0x32   /* not in the data sheet: the PC convention (ACPI FADT) */

#define RTC_A_UIP     0x80   /* update in progress: the time registers are changing */
#define RTC_A_DV      0x70   /* divider: 010 is a 32.768 kHz time base, running */
#define RTC_A_DV_RUN  0x20
#define RTC_B_24H     0x02
#define RTC_B_BINARY  0x04   /* DM: binary, else BCD */
#define RTC_HOUR_PM   0x80   /* 12-hour mode only */

/* UIP stays set for under 2 ms, so this many polls (each an exit, a few
 * microseconds) is far beyond any working chip; it only stops a broken one
 * from hanging the first clock call. */
#define RTC_POLLS     10000
#define RTC_TRIES     8

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

struct rtc_raw {
	uint8_t sec, min, hour, day, mon, year, century;
};

static bool rtc_wait_update(void)
{
	for (int i = 0; i < RTC_POLLS; i++)
		if (!(cmos_read(RTC_STATUS_A) & RTC_A_UIP))
			return true;
	return false;
}

static void rtc_read_raw(struct rtc_raw *r)
{
	r->sec = cmos_read(RTC_SEC);
	r->min = cmos_read(RTC_MIN);
	r->hour = cmos_read(RTC_HOUR);
	r->day = cmos_read(RTC_DAY);
	r->mon = cmos_read(RTC_MON);
	r->year = cmos_read(RTC_YEAR);
	r->century = cmos_read(RTC_CENTURY);
}

static bool raw_equal(const struct rtc_raw *a, const struct rtc_raw *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
	       a->mon == b->mon && a->year == b->year && a->century == b->century;
}

/* -1 when v is not two BCD digits: an absent chip reads 0xff. */
static int bcd(uint8_t v)
{
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static int field(uint8_t v, bool binary)
{
	return binary ? v : bcd(v);
}

int arch_rtc_read(struct rtc_time *t)
{
	struct rtc_raw a, b;
	int tries = 0;

	/* Nothing at the ports reads 0xff, a divider in reset: give up at
	 * once instead of polling a UIP bit that never clears. */
	if ((cmos_read(RTC_STATUS_A) & RTC_A_DV) != RTC_A_DV_RUN)
		return -ENODEV;

	/* Read until two reads agree with no update in between: an update
	 * could otherwise land between the seconds and the minutes. */
	do {
		if (tries++ == RTC_TRIES || !rtc_wait_update())
			return -ENODEV;
		rtc_read_raw(&a);
		if (!rtc_wait_update())
			return -ENODEV;
		rtc_read_raw(&b);
	} while (!raw_equal(&a, &b));

	uint8_t sb = cmos_read(RTC_STATUS_B);
	bool binary = sb & RTC_B_BINARY;
	bool pm = !(sb & RTC_B_24H) && (a.hour & RTC_HOUR_PM);
	int sec = field(a.sec, binary), min = field(a.min, binary), day = field(a.day, binary);
	int mon = field(a.mon, binary), year = field(a.year, binary);
	int hour = field(sb & RTC_B_24H ? a.hour : a.hour & ~RTC_HOUR_PM, binary);
	int century = field(a.century, binary);
	if (sec < 0 || min < 0 || hour < 0 || day < 0 || mon < 0 || year < 0 || year > 99)
		return -ENODEV;
	/* 12-hour mode counts 12, 1, ..., 11: 12 AM is hour 0, 12 PM hour 12. */
	if (!(sb & RTC_B_24H))
		hour = hour % 12 + (pm ? 12 : 0);
	/* No usable century register: this century, the only one a guest
	 * booting now can be in. */
	if (century < 19 || century > 99)
		century = 20;
	*t = (struct rtc_time){ .year = (uint32_t)(century * 100 + year), .mon = (uint32_t)mon,
				.day = (uint32_t)day, .hour = (uint32_t)hour, .min = (uint32_t)min,
				.sec = (uint32_t)sec };
	return 0;
}
