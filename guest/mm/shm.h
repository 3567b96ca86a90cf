/* Shared anonymous memory objects: what a MAP_SHARED | MAP_ANONYMOUS (or
 * MAP_SHARED of /dev/zero) mapping maps. Like Linux's shmem file behind
 * such a mapping, the object has the size the mapping was created with;
 * its pages are zero-filled on first use and live as long as the object,
 * so MADV_DONTNEED only drops a mapping's entries and a mapping grown by
 * mremap past the object's size gets SIGBUS there.
 *
 * Pages are found through a two-level index of page frames:
 *
 *   root page: 512 x physical address of a leaf page (0: none yet)
 *   leaf page: 512 x physical address of a data page (0: none yet)
 *
 * so an object holds at most 512 * 512 pages (1 GiB). */
#ifndef GUEST_MM_SHM_H
#define GUEST_MM_SHM_H

#include <stdbool.h>
#include <stdint.h>

#define SHM_MAX_PAGES (512ull * 512ull)
#define SHM_OBJECTS   256u

struct shm;

/* An object of npages zero pages (none allocated yet), or NULL when
 * npages is over SHM_MAX_PAGES or nothing is left. */
struct shm *shm_create(uint64_t npages);
/* Frees the object and every page it holds. */
void shm_destroy(struct shm *s);
uint64_t shm_npages(const struct shm *s);
/* The data page at idx (< npages): its physical address, allocated and
 * zeroed first when alloc is set; 0 when there is none (or no memory). */
uint64_t shm_page(struct shm *s, uint64_t idx, bool alloc);
/* Frees the data pages of [from, to) (to clipped to npages): they read as
 * zeros when next used, as after MADV_REMOVE's hole punch. The caller has
 * taken them out of every mapping first. */
void shm_punch(struct shm *s, uint64_t from, uint64_t to);

#endif
