/* splitmix64 (a Weyl sequence through a 64-bit finaliser): every state
 * gives a well-mixed output, so a TSC seed is enough. We do not use
 * RDRAND: kernel code is emulated on kvm-pvm and the emulator cannot be
 * relied on to implement it. */
#include "kernel/random.h"
#include "arch/x86/syscall_arch.h"

#define GOLDEN 0x9e3779b97f4a7c15ull

static uint64_t random_state;

uint64_t random_u64(void)
{
	if (!random_state)
		random_state = arch_rdtsc() | 1;
	uint64_t z = (random_state += GOLDEN);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void random_fill(void *buf, size_t n)
{
	uint8_t *b = buf;

	while (n) {
		uint64_t v = random_u64();
		for (int i = 0; i < 8 && n; i++, n--, v >>= 8)
			*b++ = (uint8_t)v;
	}
}
