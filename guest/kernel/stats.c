/* Counters for the monitor: one struct in kernel memory whose address the
 * monitor learns at boot; events cost no exit, and the struct is filled
 * from the subsystems' own counters when the VM ends. */
#include "kernel/stats.h"

#include "arch/x86/hypercall.h"
#include "drivers/virtio_blk.h"
#include "kernel/fault.h"
#include "kernel/pcache.h"
#include "kernel/printk.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mv_guest_stats.h"
#include "mv_hypercall.h"

bool stats_print_at_exit;
uint64_t stats_forks;

static struct mv_guest_stats published;

void stats_publish(void)
{
	published.magic = MV_GUEST_STATS_MAGIC;
	published.version = MV_GUEST_STATS_VERSION;
	hc_call(MV_HC_PUBLISH_STATS, kernel_virt_to_phys(&published), sizeof(published));
}

void stats_at_exit(void)
{
	const struct fault_stats *f = &fault_stats;
	struct mv_guest_stats *s = &published;
	struct pcache_stats pc;

	pcache_get_stats(&pc);
	s->fault[MV_FAULT_ANON_ZERO] = f->anon_zero;
	s->fault[MV_FAULT_PCACHE_HIT] = f->pcache_hit;
	s->fault[MV_FAULT_DISK_READ] = f->disk_read;
	s->fault[MV_FAULT_AROUND] = f->around;
	s->fault[MV_FAULT_COW] = f->cow;
	s->fault[MV_FAULT_SHARED_DIRTY] = f->shared_dirty;
	s->fault[MV_FAULT_STACK_GROW] = f->stack_grow;
	s->fault[MV_FAULT_SIGSEGV] = f->sigsegv;
	s->fault[MV_FAULT_SIGBUS] = f->sigbus;
	s->fault[MV_FAULT_SPURIOUS] = f->spurious;
	s->pcache[MV_PCACHE_HITS] = pc.hits;
	s->pcache[MV_PCACHE_MISSES] = pc.misses;
	s->pcache[MV_PCACHE_READAHEAD] = pc.readahead;
	s->pcache[MV_PCACHE_EVICTIONS] = pc.evictions;
	s->pcache[MV_PCACHE_WRITEBACKS] = pc.writebacks;
	s->disk_requests = vblk_requests();
	s->forks = stats_forks;
	s->large[MV_LARGE_MAPPED] = f->large;
	s->large[MV_LARGE_UNITS] = pc.units;
	s->large[MV_LARGE_FILLS] = pc.unit_fills;
	s->large[MV_LARGE_HITS] = pc.unit_hits;
	s->large[MV_LARGE_RECLAIMS] = pc.unit_reclaims;
	struct page_stats ps;
	page_get_stats(&ps);
	if (ps.zero_wrong)   /* only with zero_check: the loader's promise broken */
		printk("mm: %lu pages said to be zero were not (zeroed them)\n", ps.zero_wrong);
	if (!stats_print_at_exit)
		return;
	printk("mmstats: faults anon_zero %lu pcache_hit %lu disk_read %lu around %lu cow %lu "
	       "shared_dirty %lu stack_grow %lu sigsegv %lu sigbus %lu spurious %lu large %lu\n",
	       f->anon_zero, f->pcache_hit, f->disk_read, f->around, f->cow, f->shared_dirty,
	       f->stack_grow, f->sigsegv, f->sigbus, f->spurious, f->large);
	printk("mmstats: pcache units %lu unit_fills %lu unit_hits %lu unit_reclaims %lu\n",
	       pc.units, pc.unit_fills, pc.unit_hits, pc.unit_reclaims);
	printk("mmstats: pcache hits %lu misses %lu readahead %lu evictions %lu writebacks %lu, "
	       "disk requests %lu, forks %lu\n",
	       pc.hits, pc.misses, pc.readahead, pc.evictions, pc.writebacks, s->disk_requests,
	       stats_forks);
	printk("mmstats: pages zero_skipped %lu zero_wrong %lu\n", ps.zero_skipped, ps.zero_wrong);
}
