/* printk goes to the console; panic reports and stops the VM with
 * MV_EXIT_GUEST_CRASH. */
#include <stdarg.h>

#include "arch/x86/machine.h"
#include "kernel/console.h"
#include "kernel/printk.h"
#include "mv_exit.h"

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cons_vprintf(fmt, ap);
	va_end(ap);
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	printk("panic: ");
	va_start(ap, fmt);
	cons_vprintf(fmt, ap);
	va_end(ap);
	printk("\n");
	machine_exit(MV_EXIT_GUEST_CRASH);
}
