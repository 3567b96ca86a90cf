/* Messages from the monitor. Setup failures name subsystem, call and errno. */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdarg.h>
#include <stddef.h>

extern int log_verbose;   /* -v: device and exit tracing */
extern int log_quiet;     /* -q: only errors */

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Error text carried out of a function that fails, for tests and for main. */
struct mv_err {
	char msg[512];
};
int mv_errf(struct mv_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
