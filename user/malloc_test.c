/* A few thousand malloc/realloc/free calls of deterministic sizes (small
 * ones from brk-backed heap, large ones through mmap), every byte written
 * and read back; prints a checksum that must equal the native one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS  256
#define ROUNDS 4000

static uint32_t rng = 12345;

static uint32_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

int main(void)
{
	unsigned char *slot[SLOTS] = { 0 };
	size_t size[SLOTS] = { 0 };
	uint64_t sum = 0;
	long ops = 0, bad = 0;

	for (int r = 0; r < ROUNDS; r++) {
		unsigned i = next() % SLOTS;
		if (slot[i]) {
			for (size_t k = 0; k < size[i]; k++)
				if (slot[i][k] != (unsigned char)(i + k))
					bad++;
			sum = sum * 31 + slot[i][size[i] - 1] + size[i];
			free(slot[i]);
			slot[i] = 0;
			ops++;
			continue;
		}
		uint32_t kind = next() % 64;
		size_t n = kind == 0 ? 200000 + next() % 100000   /* mmap-sized */
			   : kind < 8 ? 1 + next() % 8000 : 1 + next() % 200;
		slot[i] = malloc(n);
		if (!slot[i]) {
			printf("malloc(%zu) failed\n", n);
			return 1;
		}
		size[i] = n;
		for (size_t k = 0; k < n; k++)
			slot[i][k] = (unsigned char)(i + k);
		if (kind == 1) {   /* grow in place or move, contents kept */
			unsigned char *p = realloc(slot[i], n * 2);
			if (!p)
				return 1;
			for (size_t k = n; k < 2 * n; k++)
				p[k] = (unsigned char)(i + k);
			slot[i] = p;
			size[i] = 2 * n;
		}
		ops++;
	}
	for (unsigned i = 0; i < SLOTS; i++)
		free(slot[i]);
	char *s = strdup("heap string");
	printf("malloc_test: %ld ops, %ld bad bytes, checksum %016llx, %s\n", ops, bad,
	       (unsigned long long)sum, s);
	free(s);
	return bad != 0;
}
