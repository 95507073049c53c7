/*
 * smtp.h - one message handed to an SMTP server through libcurl (no shell, no sendmail):
 * alert mail and releases from quarantine.
 */
#ifndef WP_ALERT_SMTP_H
#define WP_ALERT_SMTP_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct wp_smtp_job {
    const char *url;       /* smtp[s]://host:port or host:port */
    const char *mail_from; /* envelope sender without brackets; "" for the null sender */
    const char *const *rcpt;
    size_t n_rcpt;
    const char *data; /* the message; bare LF line ends become CRLF on the way */
    size_t len;
    long timeout_ms;
    const atomic_bool *stop; /* may be NULL: a set flag aborts the transfer */
} wp_smtp_job;

typedef enum wp_smtp_result {
    WP_SMTP_OK,
    WP_SMTP_RETRY, /* 4xx or transport trouble: the server may take it later */
    WP_SMTP_FATAL  /* 5xx, a bad URL or an aborted transfer */
} wp_smtp_result;

/* Starts libcurl once per process; false when it cannot. */
bool wp_smtp_global_init(void);

/* c: a handle to reuse (reset here), or NULL for a fresh one. why gets the reason on
 * failure: curl's words and the server's reply code. */
wp_smtp_result wp_smtp_send(CURL *c, const wp_smtp_job *job, char *why, size_t whylen);

#endif
