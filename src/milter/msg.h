/*
 * msg.h - what the milter collects about one SMTP connection and its current message: the
 * envelope, and the message bytes rebuilt from libmilter's header and body callbacks into a
 * buffer bounded by max_message_bytes (the excess is counted, not kept: the scan then sees a
 * truncated message and says so with LIMIT_MESSAGE_SIZE).
 */
#ifndef WATCHPOST_MILTER_MSG_H
#define WATCHPOST_MILTER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchpost/engine.h"

#define WPM_MAX_RCPT   1000 /* recipients kept per message (as the store keeps) */
#define WPM_MAX_FIELD  1024 /* one envelope field (address, HELO, host name) */
#define WPM_N_OWN_HDRS 4    /* X-Watchpost-* headers we add (and strip when a sender forged them) */

extern const char *const wpm_own_headers[WPM_N_OWN_HDRS];

typedef struct wpm_conn {
    /* connection */
    char *client_ip, *client_name, *helo;
    /* message */
    char *mail_from;
    char *rcpt[WPM_MAX_RCPT];
    size_t n_rcpt, n_rcpt_total;
    bool authenticated;
    int own_hdrs[WPM_N_OWN_HDRS]; /* how many of each arrived with the message */
    uint8_t *buf;
    size_t len, cap, limit; /* limit: bytes kept (max_message_bytes + 1) */
    uint64_t total;         /* bytes seen, kept or not */
    bool failed;            /* out of memory while collecting: tempfail at the end */
} wpm_conn;

wpm_conn *wpm_conn_new(void);
void wpm_conn_free(wpm_conn *c);
/* Forgets the current message (after EOM or abort), keeps the connection's data. */
void wpm_conn_reset_message(wpm_conn *c);
/* Copy of s bounded by WPM_MAX_FIELD, without surrounding <>; sets c->failed when out of memory. */
char *wpm_field(wpm_conn *c, const char *s, bool strip_angles);
/* Appends bytes to the message buffer (up to c->limit; the rest is only counted). */
void wpm_conn_append(wpm_conn *c, const void *p, size_t n);
/* The envelope as wp_scan_message_env() wants it; internal networks decide the direction. */
void wpm_conn_envelope(const wpm_conn *c, bool client_internal, wp_envelope *env);

#endif
