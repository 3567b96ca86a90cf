/* Dereferences NULL: the kernel must kill it with SIGSEGV (status 139 from
 * a shell), not crash itself. */
#include <stdio.h>

int main(void)
{
	printf("fault: writing to NULL\n");
	fflush(stdout);
	*(volatile int *)0 = 1;
	printf("fault: still alive\n");
	return 0;
}
