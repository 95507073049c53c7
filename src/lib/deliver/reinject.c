/*
 * reinject.c - a released message goes back into the mail flow over SMTP.
 *
 * Apart from the store (src/lib/store), which must not depend on the SMTP client: the store
 * keeps messages, this module sends them.
 *
 * To its original envelope (sender and every recorded recipient), byte for byte, with one
 * trace header in front saying who released it: a recipient who sees the message days late
 * can tell why, and the MTA's log ties the delivery to the reference. The server should be
 * a listener without the milter (Postfix: a second smtpd with -o smtpd_milters=, see
 * contrib/postfix-master.cf.snippet), or the milter would judge the message again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/smtp.h"
#include "watchpost/deliver.h"

/* A value for a header line: printable ASCII only, so a name cannot fold or inject. */
static void
header_safe(char *dst, size_t cap, const char *src)
{
    size_t j = 0;
    for (; src != NULL && *src && j + 1 < cap; src++)
        dst[j++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
    dst[j] = '\0';
}

wp_status
wp_deliver_reinject(const wp_quarantine_message *m, const char *smtp_url, const char *by,
                    long timeout_ms, char *err, size_t errlen)
{
    if (m == NULL || smtp_url == NULL || *smtp_url == '\0') {
        snprintf(err, errlen, "release: no SMTP server to re-inject into");
        return WP_EINVAL;
    }
    /* the store refuses to claim these; a caller that skipped the claim is refused here */
    if (m->entry.truncated) {
        (void)snprintf(err, errlen, "release: %s is a truncated copy and is never re-injected",
                       m->entry.ref);
        return WP_EINVAL;
    }
    if (m->entry.state != WP_QUARANTINE_RELEASING) {
        (void)snprintf(err, errlen, "release: %s is %s, not claimed for release", m->entry.ref,
                       wp_quarantine_state_name(m->entry.state));
        return WP_EINVAL;
    }
    if (m->env.n_rcpt == 0) {
        snprintf(err, errlen, "release: %s has no recorded recipients", m->entry.ref);
        return WP_EINVAL;
    }
    char who[WP_STORE_MAX_ACTOR + 1], date[64];
    header_safe(who, sizeof who, by != NULL ? by : "?");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    char trace[WP_STORE_MAX_ACTOR + 160];
    int tn = snprintf(trace, sizeof trace, "X-Watchpost-Released: %s by %s; %s\r\n", m->entry.ref,
                      who, date);
    char *msg = malloc((size_t)tn + m->len);
    if (msg == NULL) {
        snprintf(err, errlen, "release: out of memory");
        return WP_ENOMEM;
    }
    memcpy(msg, trace, (size_t)tn);
    memcpy(msg + tn, m->data, m->len);
    wp_smtp_job job = {
        .url = smtp_url,
        .mail_from = m->env.mail_from != NULL ? m->env.mail_from : "",
        .rcpt = m->env.rcpt,
        .n_rcpt = m->env.n_rcpt,
        .data = msg,
        .len = (size_t)tn + m->len,
        .timeout_ms = timeout_ms > 0 ? timeout_ms : 30000,
    };
    char why[300];
    wp_smtp_result r = wp_smtp_send(NULL, &job, why, sizeof why);
    free(msg);
    if (r == WP_SMTP_OK)
        return WP_OK;
    snprintf(err, errlen, "release: %s refused or unreachable: %s", smtp_url, why);
    return WP_EIO;
}
