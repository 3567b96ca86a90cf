/* The machine under guest/mm/ on the host (mm/mm_hooks.h plus page_zero):
 * guest physical memory is an anonymous mapping, phys_to_virt(pa) = ram + pa;
 * CR3 is a variable; invlpg, page_zero and page_table_claim calls are
 * recorded.
 *
 * guest/mm/ keeps its state in file-scope statics with no reset, so every
 * test must run in its own process: fake_run() forces Check's fork mode. */
#ifndef TESTS_UNIT_GUEST_FAKE_MACHINE_H
#define TESTS_UNIT_GUEST_FAKE_MACHINE_H

#include <check.h>
#include <stdint.h>

#define FAKE_RAM_SIZE (64ull << 20)
#define FAKE_INVLPG_MAX 64
#define FAKE_CLAIM_MAX 64

struct fake_machine {
	uint8_t *ram; /* FAKE_RAM_SIZE bytes at gpa 0 */
	uint64_t cr3;
	uint64_t invlpg[FAKE_INVLPG_MAX]; /* VAs passed to arch_invlpg, in order */
	unsigned ninvlpg;
	unsigned npage_zero;
	uint64_t claimed[FAKE_CLAIM_MAX]; /* pages passed to page_table_claim, in order */
	unsigned nclaimed;
	unsigned nlarge_unmapped;   /* mm_large_unmapped calls (mm/pgtable.h) */
	uint64_t large_unmapped;    /* ... the last one's entry */
};

extern struct fake_machine fake;

/* Checked fixture: fresh RAM (zero-filled) and empty logs. */
void fake_setup(void);
void fake_teardown(void);
/* A host pointer into fake RAM, range-checked like phys_to_virt. */
void *fake_ptr(uint64_t pa);
/* Every test case in its own process, whatever CK_FORK says. */
int fake_run(Suite *s);

#endif
