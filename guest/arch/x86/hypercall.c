/* Hypercalls: one `outl` to the port from mv_boot_info, one VM exit.
 * The third argument travels in RCX because DX holds the port. */
#include "arch/x86/hypercall.h"
#include "lib/errno.h"

static uint16_t hc_port;

void hc_init(uint16_t port)
{
	hc_port = port;
}

bool hc_available(void)
{
	return hc_port != 0;
}

long hc_call(uint64_t op, uint64_t a0, uint64_t a1)
{
	long ret;

	if (!hc_port)
		return -ENOSYS;
	__asm__ volatile("outl %%eax, %%dx"
			 : "=a"(ret)
			 : "a"(op), "D"(a0), "S"(a1), "d"(hc_port)
			 : "memory");
	return ret;
}

long hc_call3(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	long ret;

	if (!hc_port)
		return -ENOSYS;
	__asm__ volatile("outl %%eax, %%dx"
			 : "=a"(ret)
			 : "a"(op), "D"(a0), "S"(a1), "c"(a2), "d"(hc_port)
			 : "memory");
	return ret;
}
