/* The JSON report: how guest RAM is backed, how the run ended, and what KVM
 * and the host counted. Format documented in docs/report.md. Built as a
 * json_t so the control socket can serve the same document later. */
#ifndef VMM_REPORT_H
#define VMM_REPORT_H

#include <jansson.h>

struct vm;

#define REPORT_FORMAT_VERSION 1

json_t *report_build(struct vm *vm);
/* path "-" is stdout. Returns 0 or -1 with errno. */
int report_write(struct vm *vm, const char *path);

#endif
