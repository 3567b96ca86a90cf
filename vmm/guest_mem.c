#include "guest_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "mv_boot.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

static const char *human(uint64_t v, char *buf, size_t n)
{
	if (v >= (1ull << 30) && !(v & ((1ull << 30) - 1)))
		snprintf(buf, n, "%llu GiB", (unsigned long long)(v >> 30));
	else if (v >= (1ull << 20) && !(v & ((1ull << 20) - 1)))
		snprintf(buf, n, "%llu MiB", (unsigned long long)(v >> 20));
	else
		snprintf(buf, n, "%llu bytes", (unsigned long long)v);
	return buf;
}

long gm_hugepages_free(uint64_t pagesize)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%llukB/free_hugepages",
		 (unsigned long long)(pagesize >> 10));
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long n = -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static int check_hugepages(uint64_t size, uint64_t pagesize, struct mv_err *e)
{
	char b[32];
	long avail = gm_hugepages_free(pagesize);
	unsigned long long need = size / pagesize;
	if (avail < 0)
		return mv_errf(e, "mem: this host has no %s hugepages (no /sys/kernel/mm/hugepages/hugepages-%llukB)",
			       human(pagesize, b, sizeof(b)), (unsigned long long)(pagesize >> 10));
	if ((unsigned long long)avail < need)
		return mv_errf(e, "mem: %llu free %s hugepages needed, %ld free; reserve them as root with:\n"
			       "  echo %llu > /sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
			       need, human(pagesize, b, sizeof(b)), avail, need,
			       (unsigned long long)(pagesize >> 10));
	return 0;
}

/* Existing files: a larger file is never truncated (only its first `size`
 * bytes become RAM); a shared file that is too small is extended, which keeps
 * its data; a private mapping of a too-small file is an error, since guest RAM
 * past the end of the file would raise SIGBUS in the monitor. */
static int open_backing_file(struct guest_mem *gm, struct mv_err *e)
{
	const struct gm_config *c = &gm->cfg;
	char b[32], b2[32];
	struct stat st;
	int flags = O_CLOEXEC | (c->shared ? O_RDWR | O_CREAT : O_RDONLY);

	if (c->shared && access(c->path, F_OK) != 0)
		gm->file_created = true;
	gm->fd = open(c->path, flags, 0600);
	if (gm->fd < 0) {
		if (!c->shared && errno == ENOENT)
			return mv_errf(e, "mem: %s: %s (a private mapping needs an existing file of at least %s; --mem-share shared creates one)",
				       c->path, strerror(errno), human(c->size, b, sizeof(b)));
		return mv_errf(e, "mem: open %s: %s", c->path, strerror(errno));
	}
	if (fstat(gm->fd, &st) < 0)
		return mv_errf(e, "mem: fstat %s: %s", c->path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mv_errf(e, "mem: %s is not a regular file", c->path);

	struct statfs sfs;
	if (fstatfs(gm->fd, &sfs) < 0)
		return mv_errf(e, "mem: fstatfs %s: %s", c->path, strerror(errno));
	bool on_hugetlbfs = (unsigned long)sfs.f_type == (unsigned long)HUGETLBFS_MAGIC;
	if (c->hugepage && !on_hugetlbfs)
		return mv_errf(e, "mem: %s is not on a hugetlbfs mount, but --hugepages was given", c->path);
	if (on_hugetlbfs) {
		if (c->hugepage && (uint64_t)sfs.f_bsize != c->hugepage)
			return mv_errf(e, "mem: %s is on a hugetlbfs mount of %s pages, not %s",
				       c->path, human(sfs.f_bsize, b, sizeof(b)),
				       human(c->hugepage, b2, sizeof(b2)));
		gm->kind = GM_HUGETLB;
		gm->page_size = sfs.f_bsize;
		if (c->size % gm->page_size)
			return mv_errf(e, "mem: RAM size is not a multiple of the hugepage size %s",
				       human(gm->page_size, b, sizeof(b)));
		uint64_t missing = (uint64_t)st.st_size < c->size ? c->size - st.st_size : 0;
		if (missing && check_hugepages(missing, gm->page_size, e) < 0)
			return -1;
	}

	gm->zero_at_start = st.st_size == 0;   /* every byte from ftruncate */
	if ((uint64_t)st.st_size < c->size) {
		if (!c->shared)
			return mv_errf(e, "mem: %s is %llu bytes, smaller than the RAM size %s; a private mapping cannot extend it",
				       c->path, (unsigned long long)st.st_size, human(c->size, b, sizeof(b)));
		if (ftruncate(gm->fd, c->size) < 0)
			return mv_errf(e, "mem: ftruncate %s to %llu: %s", c->path,
				       (unsigned long long)c->size, strerror(errno));
		gm->file_extended = !gm->file_created;
		if (gm->file_extended)
			log_info("mem: extended %s from %llu to %llu bytes", c->path,
				 (unsigned long long)st.st_size, (unsigned long long)c->size);
	}
	if (!realpath(c->path, gm->path))
		snprintf(gm->path, sizeof(gm->path), "%s", c->path);
	return 0;
}

static int open_hugetlb_memfd(struct guest_mem *gm, struct mv_err *e)
{
	int shift = __builtin_ctzll(gm->cfg.hugepage);
	if (check_hugepages(gm->cfg.size, gm->cfg.hugepage, e) < 0)
		return -1;
	gm->fd = memfd_create("mapvisor-ram", MFD_CLOEXEC | MFD_HUGETLB |
				     ((unsigned)shift << MFD_HUGE_SHIFT));
	if (gm->fd < 0)
		return mv_errf(e, "mem: memfd_create(MFD_HUGETLB): %s", strerror(errno));
	if (ftruncate(gm->fd, gm->cfg.size) < 0)
		return mv_errf(e, "mem: ftruncate hugetlb memfd: %s", strerror(errno));
	snprintf(gm->path, sizeof(gm->path), "memfd:mapvisor-ram");
	gm->zero_at_start = true;   /* a new memfd's pages are zero-filled */
	gm->kind = GM_HUGETLB;
	gm->page_size = gm->cfg.hugepage;
	return 0;
}

static void cut_regions(struct guest_mem *gm)
{
	uint64_t low = gm->size < MV_GPA_MMIO_BASE ? gm->size : MV_GPA_MMIO_BASE;
	gm->region[0] = (struct gm_region){ .name = "ram-low", .gpa = 0, .size = low,
					    .offset = 0, .hva = gm->base, .slot = 0 };
	gm->nregions = 1;
	if (gm->size > low) {
		gm->region[1] = (struct gm_region){ .name = "ram-high", .gpa = MV_GPA_HIGH_RAM,
						    .size = gm->size - low, .offset = low,
						    .hva = gm->base + low, .slot = 1 };
		gm->nregions = 2;
	}
}

int gm_init(struct guest_mem *gm, const struct gm_config *cfg, struct mv_err *e)
{
	char b[32], b2[32];
	memset(gm, 0, sizeof(*gm));
	gm->cfg = *cfg;
	gm->fd = -1;
	gm->size = cfg->size;
	gm->kind = GM_ANON;
	gm->page_size = (uint64_t)sysconf(_SC_PAGESIZE);

	if (cfg->size < GM_MIN_SIZE || cfg->size > GM_MAX_SIZE)
		return mv_errf(e, "mem: RAM size %llu out of range [%s, %s]",
			       (unsigned long long)cfg->size, human(GM_MIN_SIZE, b, sizeof(b)),
			       human(GM_MAX_SIZE, b2, sizeof(b2)));
	if (cfg->size % GM_ALIGN)
		return mv_errf(e, "mem: RAM size must be a multiple of 2 MiB");
	if (cfg->hugepage && cfg->hugepage != (2ull << 20) && cfg->hugepage != (1ull << 30))
		return mv_errf(e, "mem: hugepage size must be 2M or 1G");
	if (cfg->hugepage && cfg->size % cfg->hugepage)
		return mv_errf(e, "mem: RAM size %s is not a multiple of the hugepage size %s",
			       human(cfg->size, b, sizeof(b)), human(cfg->hugepage, b2, sizeof(b2)));

	int flags = cfg->shared ? MAP_SHARED : MAP_PRIVATE;
	if (cfg->path) {
		gm->kind = GM_FILE;
		if (open_backing_file(gm, e) < 0)
			goto fail;
	} else if (cfg->hugepage) {
		if (open_hugetlb_memfd(gm, e) < 0)
			goto fail;
	} else {
		flags |= MAP_ANONYMOUS | MAP_NORESERVE;
	}
	if (cfg->prefault)
		flags |= MAP_POPULATE;
	gm->mmap_flags = flags;
	gm->base = mmap(NULL, cfg->size, PROT_READ | PROT_WRITE, flags, gm->fd, 0);
	if (gm->base == MAP_FAILED) {
		gm->base = NULL;
		mv_errf(e, "mem: mmap %s of %s (%s): %s", gm_kind_name(gm->kind),
			human(cfg->size, b, sizeof(b)), cfg->shared ? "MAP_SHARED" : "MAP_PRIVATE",
			strerror(errno));
		goto fail;
	}
	/* Anonymous RAM in 2 MiB host pages where the host can: one host fault
	 * and one shadow entry for 2 MiB instead of 512 (as other VMMs ask for
	 * guest RAM). A host without THP refuses, and RAM stays in 4K pages. */
	if (gm->kind == GM_ANON && cfg->thp)
		gm->thp_advised = madvise(gm->base, cfg->size, MADV_HUGEPAGE) == 0;
	cut_regions(gm);
	gm->fresh_zero = gm->kind == GM_ANON;
	if (gm->kind == GM_ANON)
		gm->zero_at_start = true;
	return 0;
fail:
	gm_destroy(gm);
	if (gm->file_created)
		unlink(cfg->path);   /* leave no half-made file behind */
	return -1;
}

void gm_destroy(struct guest_mem *gm)
{
	if (gm->base)
		munmap(gm->base, gm->size);
	if (gm->fd >= 0)
		close(gm->fd);
	gm->base = NULL;
	gm->fd = -1;
	gm->nregions = 0;
}

void *gm_ptr(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
	for (int i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->region[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->hva + off;
	}
	return NULL;
}

gpa_t gm_end(const struct guest_mem *gm)
{
	const struct gm_region *r = &gm->region[gm->nregions - 1];
	return r->gpa + r->size;
}

int gm_resident_pages(const struct guest_mem *gm, const struct gm_region *r,
		      uint64_t *resident)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t n = r->size / pg;
	unsigned char *vec = malloc(n);
	(void)gm;
	if (!vec)
		return -1;
	if (mincore(r->hva, r->size, vec) < 0) {
		free(vec);
		return -1;
	}
	uint64_t c = 0;
	for (uint64_t i = 0; i < n; i++)
		c += vec[i] & 1;
	free(vec);
	*resident = c;
	return 0;
}

int64_t gm_thp_bytes(const struct guest_mem *gm)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	uint64_t lo = (uintptr_t)gm->base, hi = lo + gm->size, kib;
	int64_t total = 0;
	bool inside = false, seen = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		if (sscanf(line, "%llx-%llx ", &a, &b) == 2) {   /* a mapping's first line */
			inside = a >= lo && b <= hi;
			seen |= inside;
		} else if (inside && sscanf(line, "AnonHugePages: %" SCNu64 " kB", &kib) == 1) {
			total += (int64_t)(kib << 10);
		}
	}
	fclose(f);
	return seen ? total : -1;
}

const char *gm_kind_name(enum gm_kind k)
{
	static const char *const names[] = {
		[GM_ANON] = "anonymous",
		[GM_FILE] = "file",
		[GM_HUGETLB] = "hugetlbfs",
	};
	return names[k];
}
