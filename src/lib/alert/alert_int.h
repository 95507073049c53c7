/*
 * alert_int.h - internals of the alerter (docs/ALERTS.md): the queued alert, the payload
 * builders and the delivery channels.
 */
#ifndef WATCHPOST_ALERT_INT_H
#define WATCHPOST_ALERT_INT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "watchpost/alert.h"

/* One alert, built in the caller's thread from the report (which dies with the caller). */
typedef struct alert_item {
    json_t *payload;   /* everything but sent_at, which each attempt sets */
    char *syslog_line; /* one line, key=value */
    char *subject;     /* mail subject, ASCII */
    char *ref;         /* NULL when none */
    int severity;
    double detected_at;
} alert_item;

void alert_item_free(alert_item *it);

/* payload.c: NULL on allocation failure. */
alert_item *alert_item_build(const wp_report *r, const wp_envelope *env, const char *ref,
                             double detected_at);

alert_item *alert_item_build_incident(const wp_incident_alert *ia);

/* What a channel attempt came to. */
typedef enum alert_result { ALERT_OK, ALERT_RETRY, ALERT_FATAL } alert_result;

/* send.c: one attempt each; why receives a short reason on failure (no secrets). stop is
 * polled during the transfer so shutdown aborts it. */
typedef struct alert_sender alert_sender;
alert_sender *alert_sender_new(const wp_alert_config *cfg, const atomic_bool *stop);
void alert_sender_free(alert_sender *s);
alert_result alert_send_webhook(alert_sender *s, const char *body, char *why, size_t whylen);
alert_result alert_send_mail(alert_sender *s, const alert_item *it, const char *body, char *why,
                             size_t whylen);

/* The curl_global_init() of the process, once. false when it failed. */
bool alert_curl_init(void);

#endif
