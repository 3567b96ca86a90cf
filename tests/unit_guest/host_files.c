/* Host-side pattern files (host_files.h). */
#include "host_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t host_pattern_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)seed * 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return (uint8_t)(x ^ (x >> 17));
}

void host_need(bool ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(EXIT_FAILURE);
	}
}

void host_pattern_file(const char *dir, const char *rel, uint64_t n, uint32_t seed)
{
	char path[512];
	uint8_t *p = malloc(n ? n : 1);
	int fd;

	host_need(p != NULL, "malloc");
	for (uint64_t i = 0; i < n; i++)
		p[i] = host_pattern_byte(seed, i);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	host_need(fd >= 0, path);
	host_need(write(fd, p, n) == (ssize_t)n, path);
	host_need(fchmod(fd, 0644) == 0, path);
	close(fd);
	free(p);
}
