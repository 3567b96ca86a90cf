/* Console output. printk formats straight into the line buffer; the
 * paravirtual backend sends the buffer with one MV_HC_CONSOLE_WRITE when a
 * printk ends a line (one exit per line, not per byte), the UART backend
 * writes each printk out at once. */
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/hypercall.h"
#include "arch/x86/uart.h"
#include "kernel/console.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mv_hypercall.h"

#define CONS_BUF_SIZE 2048
#define CONS_LINE_MAX 512   /* longest single printk kept whole */

static char cons_buf[CONS_BUF_SIZE];
static size_t cons_len;
static bool cons_hc;
static bool cons_batching;   /* hold lines until cons_batch(false) */

void cons_init(bool paravirt)
{
	cons_hc = paravirt && hc_available();
	if (!cons_hc)
		uart_init();
}

void cons_flush(void)
{
	if (!cons_len)
		return;
	if (cons_hc)
		hc_call(MV_HC_CONSOLE_WRITE, kernel_virt_to_phys(cons_buf), cons_len);
	else
		uart_write(cons_buf, cons_len);
	cons_len = 0;
}

void cons_vprintf(const char *fmt, va_list ap)
{
	if (cons_len > CONS_BUF_SIZE - CONS_LINE_MAX)
		cons_flush();
	size_t room = CONS_BUF_SIZE - cons_len;
	int n = vsnprintf(cons_buf + cons_len, room, fmt, ap);
	cons_len += (size_t)n < room ? (size_t)n : room - 1;
	if (!cons_hc || (!cons_batching && cons_len && cons_buf[cons_len - 1] == '\n'))
		cons_flush();
}

/* Several lines, one exit: the boot banner is sent whole. The buffer still
 * flushes when it fills, so nothing is lost by batching too much. */
void cons_batch(bool on)
{
	cons_batching = on;
	if (!on)
		cons_flush();
}

/* Bytes from user programs, exactly as given: pending kernel text first,
 * then s in as few hypercalls as the port's per-call limit allows. s must
 * lie in the kernel image (its GPA is handed to the VMM). */
void cons_write(const char *s, size_t n)
{
	cons_flush();
	if (!cons_hc) {
		uart_write(s, n);
		return;
	}
	while (n) {
		long done = hc_call(MV_HC_CONSOLE_WRITE, kernel_virt_to_phys(s), n);
		if (done <= 0)
			return;
		s += done;
		n -= (size_t)done;
	}
}
