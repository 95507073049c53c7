/*
 * log.h - the milter's log: syslog (facility mail, ident "watchpost-milter"), copied to
 * stderr in --foreground.
 */
#ifndef WATCHPOST_MILTER_LOG_H
#define WATCHPOST_MILTER_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "watchpost/engine.h"

void wpm_log_open(bool foreground);
void wpm_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* wp_log_fn for the engine */
void wpm_log_engine(void *ctx, wp_log_level level, const char *msg);

#endif
