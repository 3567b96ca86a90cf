/* Guest RAM: one host mapping (anonymous, a file shared or private, or
 * hugetlbfs) cut into the guest-physical regions of mv_boot.h, and the one
 * checked translation every guest-physical access goes through. */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"

typedef uint64_t gpa_t;   /* guest-physical address; never a host pointer */

#define GM_MAX_REGIONS 2
#define GM_MIN_SIZE    (16ull << 20)
#define GM_MAX_SIZE    (1ull << 40)
#define GM_ALIGN       (2ull << 20)   /* the direct map's smallest page */

enum gm_kind { GM_ANON, GM_FILE, GM_HUGETLB };

struct gm_config {
	uint64_t size;
	const char *path;     /* NULL: no file (anonymous, or a hugetlb memfd) */
	bool shared;          /* MAP_SHARED rather than MAP_PRIVATE */
	uint64_t hugepage;    /* 0, 2 MiB or 1 GiB */
	bool prefault;        /* MAP_POPULATE */
	bool thp;             /* anonymous RAM: MADV_HUGEPAGE */
};

struct gm_region {
	const char *name;
	gpa_t gpa;
	uint64_t size;
	uint64_t offset;      /* in the host mapping and in the backing file */
	uint8_t *hva;
	uint32_t slot;        /* KVM memory slot */
};

struct guest_mem {
	struct gm_config cfg;
	enum gm_kind kind;
	uint8_t *base;        /* host mapping of all RAM */
	uint64_t size;
	int fd;               /* backing file, or -1 */
	char path[PATH_MAX];  /* backing path as reported ("" when anonymous) */
	uint64_t page_size;   /* host page size of the mapping */
	int mmap_flags;
	bool thp_advised;     /* MADV_HUGEPAGE was taken */
	bool file_created;    /* mapvisor created the file */
	bool file_extended;   /* mapvisor grew the file to the RAM size */
	bool fresh_zero;      /* anonymous and untouched since mmap: reads as
	                       * zero; whoever writes first clears it */
	bool zero_at_start;   /* RAM read as zero when mapped: anonymous, a
	                       * hugetlb memfd, or a file that was empty (the
	                       * guest is told, and skips zeroing pages it
	                       * never used: mv_boot.h MV_BOOT_F_RAM_ZERO) */
	int nregions;
	struct gm_region region[GM_MAX_REGIONS];
};

int gm_init(struct guest_mem *gm, const struct gm_config *cfg, struct mv_err *e);
void gm_destroy(struct guest_mem *gm);

/* Host pointer for [gpa, gpa + len) when that range lies wholly inside one
 * RAM region; NULL otherwise (overflow, hole, past the end). */
void *gm_ptr(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* Guest-physical address of the RAM end (exclusive) of the highest region. */
gpa_t gm_end(const struct guest_mem *gm);

/* Pages of region r the host has resident now (mincore). */
int gm_resident_pages(const struct guest_mem *gm, const struct gm_region *r,
		      uint64_t *resident);

/* Bytes of the RAM mapping the host holds in transparent huge pages now
 * (AnonHugePages in /proc/self/smaps); -1 if that cannot be read. */
int64_t gm_thp_bytes(const struct guest_mem *gm);

const char *gm_kind_name(enum gm_kind k);

/* Free hugepages of the given size, from sysfs; -1 if the size is unknown. */
long gm_hugepages_free(uint64_t pagesize);

#endif
