/*
 * log.c - syslog with an optional stderr copy (LOG_PERROR keeps the two in step).
 */
#include "log.h"

#include <stdarg.h>

void
wpm_log_open(bool foreground)
{
    openlog("watchpost-milter", LOG_PID | LOG_NDELAY | (foreground ? LOG_PERROR : 0), LOG_MAIL);
}

void
wpm_log(int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsyslog(prio, fmt, ap);
    va_end(ap);
}

void
wpm_log_engine(void *ctx, wp_log_level level, const char *msg)
{
    static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
    int p = (unsigned)level < sizeof prio / sizeof prio[0] ? prio[level] : LOG_INFO;
    syslog(p, "engine: %s", msg);
}
