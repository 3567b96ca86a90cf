/* getpid_loop N: N raw getpid system calls, to price one kernel round trip
 * (compare the kernel's counters for N and 2N). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], 0, 10) : 1000;
	long first = syscall(SYS_getpid), bad = 0;

	for (long i = 0; i < n; i++)
		if (syscall(SYS_getpid) != first)
			bad++;
	printf("getpid_loop: %ld calls, %ld inconsistent\n", n, bad);
	return bad != 0;
}
