/* The first program the guest runs: prints a greeting, its arguments and
 * what the kernel put on its initial stack. Natively it prints the same,
 * given the same argv[0] and the same environment (env -i NAME=VALUE...). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	int nenv = 0;

	printf("hello\n");
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		nenv++;
	printf("envc=%d\n", nenv);
	for (int i = 0; i < nenv; i++)
		printf("env[%d]=%s\n", i, environ[i]);
	printf("pagesz=%lu\n", getauxval(AT_PAGESZ));
	printf("uid=%d euid=%d secure=%lu\n", getuid() == getauxval(AT_UID),
	       geteuid() == getauxval(AT_EUID), getauxval(AT_SECURE));
	/* main is entered with rsp = 8 mod 16 (the call pushed the return address). */
	printf("stack aligned=%d\n", ((uintptr_t)__builtin_frame_address(0) & 15) == 0);
	fflush(stdout);
	/* The same text through write(2) and writev(2) directly. */
	static const char w[] = "write ok\n";
	if (write(1, w, strlen(w)) != (ssize_t)strlen(w))
		return 2;
	return 0;
}
