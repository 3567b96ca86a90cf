/* Reference counts of anonymous pages shared copy-on-write after fork.
 * A page starts with one owner and no entry here; each further owner adds
 * one. Counts are kept per frame, one byte each, in table pages made on
 * first use for each 16 MiB of physical memory; frames above
 * PAGEREF_LIMIT have no table and cannot be shared (fork copies them). */
#ifndef GUEST_MM_PAGEREF_H
#define GUEST_MM_PAGEREF_H

#include <stdbool.h>
#include <stdint.h>

#define PAGEREF_LIMIT (64ull << 30)
#define PAGEREF_MAX   255u   /* owners: far more than processes */

/* One more owner of pa. false: pa cannot be shared (above the limit, at
 * PAGEREF_MAX, or no memory for its table); nothing changed. */
bool pageref_get(uint64_t pa);
/* One owner less; true if that was the last (the caller frees pa). */
bool pageref_put(uint64_t pa);
/* Owners of pa (1 for a page never shared). */
unsigned pageref_count(uint64_t pa);

#endif
