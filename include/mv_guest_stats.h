/* What the guest kernel counts and the monitor reports: the guest keeps one
 * struct mv_guest_stats in its own memory and tells the monitor where with
 * one MV_HC_PUBLISH_STATS call at boot (mv_hypercall.h); from then on no
 * event costs an exit. The guest brings the struct up to date when the VM
 * ends, and the monitor reads it then, through the same bounds-checked
 * translation as every guest address, into the report's "guest" object
 * (docs/report.md). The monitor trusts nothing in it: a wrong magic,
 * version or size is reported as such.
 *
 * Layout (little endian, 8-byte fields after the header):
 *
 *   offset | field
 *   -------+---------------------------------------------------
 *   0      | magic, version (u32 each)
 *   8      | fault[MV_FAULT_NR]: user page faults by kind
 *   ...    | pcache[MV_PCACHE_NR]: page-cache events
 *   ...    | disk_requests, forks
 *   ...    | large[MV_LARGE_NR]: 2 MiB file entries (version 2)
 *
 * Later versions only add fields at the end: the monitor reads a version 1
 * struct (the first four parts) as before. */
#ifndef MAPVISOR_MV_GUEST_STATS_H
#define MAPVISOR_MV_GUEST_STATS_H

#include <stdint.h>

#define MV_GUEST_STATS_MAGIC   0x5453474du   /* "MGST" little endian */
#define MV_GUEST_STATS_VERSION 2u

/* The fault path's classification (guest/kernel/fault.c). */
enum mv_fault_kind {
	MV_FAULT_ANON_ZERO,      /* anonymous or shared-anonymous first touch */
	MV_FAULT_PCACHE_HIT,     /* file page found in the page cache */
	MV_FAULT_DISK_READ,      /* file page read through the block device */
	MV_FAULT_AROUND,         /* cached neighbours mapped by one read fault */
	MV_FAULT_COW,            /* private copy (file page, or shared since fork) */
	MV_FAULT_SHARED_DIRTY,   /* first store to a shared file page */
	MV_FAULT_STACK_GROW,     /* a GROWSDOWN VMA extended */
	MV_FAULT_SIGSEGV,
	MV_FAULT_SIGBUS,
	MV_FAULT_SPURIOUS,       /* nothing to do: a stale TLB entry */
	MV_FAULT_NR
};

enum mv_pcache_event {
	MV_PCACHE_HITS,
	MV_PCACHE_MISSES,
	MV_PCACHE_READAHEAD,     /* pages read beyond the one a miss asked for */
	MV_PCACHE_EVICTIONS,
	MV_PCACHE_WRITEBACKS,    /* dirty pages written to their file */
	MV_PCACHE_NR
};

/* Large entries (docs/mm.md): a file's 2 MiB mapped by one page-directory
 * entry, from the page cache's 2 MiB units. Version 2. */
enum mv_large_event {
	MV_LARGE_MAPPED,         /* entries made by faults (their own region or
				    ahead of a walk in order); each also
				    counted as pcache_hit or disk_read, or as
				    around when ahead */
	MV_LARGE_UNITS,          /* units made (2 MiB of RAM each, kept) */
	MV_LARGE_FILLS,          /* units read from the disk */
	MV_LARGE_HITS,           /* units found in the cache */
	MV_LARGE_RECLAIMS,       /* units taken back from their mappings */
	MV_LARGE_NR
};

struct mv_guest_stats {
	uint32_t magic;
	uint32_t version;
	uint64_t fault[MV_FAULT_NR];
	uint64_t pcache[MV_PCACHE_NR];
	uint64_t disk_requests;  /* virtio-blk requests, flushes included */
	uint64_t forks;
	uint64_t large[MV_LARGE_NR];   /* version 2 */
};

/* Bytes of each version's struct. */
#define MV_GUEST_STATS_V1_SIZE (8 + 8 * (MV_FAULT_NR + MV_PCACHE_NR + 2))
#define MV_GUEST_STATS_V2_SIZE (MV_GUEST_STATS_V1_SIZE + 8 * MV_LARGE_NR)

_Static_assert(sizeof(struct mv_guest_stats) == MV_GUEST_STATS_V2_SIZE,
	       "mv_guest_stats layout");

#endif
