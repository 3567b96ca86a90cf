/* Pipes and descriptor juggling: pipe, write then read, EOF, EPIPE,
 * O_NONBLOCK, dup/dup2/dup3, fcntl descriptor flags, and stdout sent into
 * a pipe with dup2 and read back. One process only, so nothing here may
 * wait: every read has its bytes already written. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "observe.h"

int main(void)
{
	static char big[40000], back[40000];
	char buf[64];
	int p[2];
	struct stat st;

	signal(SIGPIPE, SIG_IGN);   /* see EPIPE instead of dying */

	printf("== pipe\n");
	show("pipe", pipe(p));
	printf("fds %d %d\n", p[0], p[1]);
	show("write ping", write(p[1], "ping", 4));
	show("write pong", write(p[1], "pong!", 5));
	memset(buf, 0, sizeof(buf));
	show("read 6", read(p[0], buf, 6));
	printf("  got '%s'\n", buf);
	show("read rest", read(p[0], buf, sizeof(buf)));
	printf("  got '%.3s'\n", buf);
	show("fstat", fstat(p[0], &st));
	printf("  fifo=%d\n", S_ISFIFO(st.st_mode));
	show("lseek on a pipe", lseek(p[0], 0, SEEK_SET));
	show("read from the write end", read(p[1], buf, 1));
	show("write to the read end", write(p[0], "x", 1));
	show("F_GETFL read end & O_ACCMODE", fcntl(p[0], F_GETFL) & O_ACCMODE);
	show("F_GETFL write end & O_ACCMODE", fcntl(p[1], F_GETFL) & O_ACCMODE);

	printf("== bulk\n");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 251);
	show("write 40000", write(p[1], big, sizeof(big)));
	size_t got = 0;
	while (got < sizeof(back)) {
		ssize_t r = read(p[0], back + got, 7000);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	printf("read back %zu, same=%d\n", got, !memcmp(big, back, sizeof(big)));

	printf("== end of file and broken pipe\n");
	show("close write end", close(p[1]));
	show("read at EOF", read(p[0], buf, sizeof(buf)));
	show("pipe again", pipe(p));
	show("close read end", close(p[0]));
	show("write without reader", write(p[1], "x", 1));
	close(p[1]);

	printf("== O_NONBLOCK and O_CLOEXEC\n");
	show("pipe2", pipe2(p, O_NONBLOCK | O_CLOEXEC));
	show("read empty", read(p[0], buf, 1));
	show("F_GETFD", fcntl(p[0], F_GETFD));
	show("F_GETFL & O_NONBLOCK", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
	show("F_SETFD 0", fcntl(p[0], F_SETFD, 0));
	show("F_GETFD", fcntl(p[0], F_GETFD));
	show("pipe2 bad flags", pipe2(p, 0x1));
	close(p[0]);
	close(p[1]);

	printf("== dup\n");
	show("pipe", pipe(p));
	int d = dup(p[1]);
	show("dup is the lowest free", d == p[1] + 1 ? 0 : -1);
	show("write through dup", write(d, "via dup;", 8));
	show("F_DUPFD 20", fcntl(p[1], F_DUPFD, 20));
	show("F_DUPFD_CLOEXEC 20", fcntl(p[1], F_DUPFD_CLOEXEC, 20));
	show("F_GETFD 21", fcntl(21, F_GETFD));
	show("dup2 to itself", dup2(p[1], p[1]) == p[1] ? 0 : -1);
	show("dup2 bad old", dup2(99, 30));
	show("dup3 same", dup3(p[1], p[1], 0));
	show("dup3 O_CLOEXEC", dup3(p[1], 30, O_CLOEXEC));
	show("F_GETFD 30", fcntl(30, F_GETFD));
	show("close 20", close(20));
	show("close 21", close(21));
	show("close 30", close(30));
	show("close dup", close(d));
	show("write after closing dups", write(p[1], "still open;", 11));

	memset(buf, 0, sizeof(buf));
	show("read what the dups wrote", read(p[0], buf, sizeof(buf) - 1));
	printf("  got '%s'\n", buf);

	printf("== stdout into the pipe\n");
	fflush(stdout);
	int saved = dup(1);
	int moved = dup2(p[1], 1);
	printf("this line went through the pipe\n");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	show("dup2 pipe onto stdout", moved == 1 ? 0 : -1);
	memset(buf, 0, sizeof(buf));
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	printf("read back %zd bytes: %s", n, buf);
	close(p[0]);
	close(p[1]);
	show("close closed", close(p[0]));
	return 0;
}
