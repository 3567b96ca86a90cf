/* The kernel's counters for the outside: published to the monitor
 * (include/mv_guest_stats.h) and, with "mmstats" on the command line,
 * printed when the VM ends (for runs without a monitor's report). */
#ifndef GUEST_KERNEL_STATS_H
#define GUEST_KERNEL_STATS_H

#include <stdbool.h>
#include <stdint.h>

extern bool stats_print_at_exit;
extern uint64_t stats_forks;

/* Tells the monitor where the counters are (one hypercall; nothing
 * without the port). */
void stats_publish(void);
/* Brings the published copy up to date and prints it if asked: the VM is
 * about to end. */
void stats_at_exit(void);

#endif
