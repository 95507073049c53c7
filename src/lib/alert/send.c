/*
 * send.c - the delivery channels, one attempt each: the webhook (JSON POST) and mail (SMTP),
 * both through libcurl, with no shell-outs.
 *
 * A sender belongs to the alerter's one sending thread and keeps its curl handles, so
 * connections are reused between alerts. Every transfer polls the alerter's stop flag and
 * aborts when it is set, so shutdown never waits for a slow peer. Failure reasons name the
 * channel and what happened, never the URL path, a header value or the payload.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert_int.h"
#include "alert/smtp.h"

struct alert_sender {
    const wp_alert_config *cfg; /* the alerter's own copy, outlives the sender */
    const atomic_bool *stop;
    CURL *http;
    CURL *smtp;
    struct curl_slist *http_headers;
    char smtp_url[600];
};

bool
alert_curl_init(void)
{
    return wp_smtp_global_init();
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    return size * nmemb;
}

static int
progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const atomic_bool *stop = ud;
    return atomic_load(stop) ? 1 : 0; /* non-zero aborts the transfer */
}

alert_sender *
alert_sender_new(const wp_alert_config *cfg, const atomic_bool *stop)
{
    alert_sender *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cfg = cfg;
    s->stop = stop;
    if (cfg->webhook != NULL) {
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
        s->http_headers = h;
        for (size_t i = 0; h != NULL && i < cfg->n_headers; i++)
            s->http_headers = h = curl_slist_append(h, cfg->headers[i]);
        /* Without "Expect:" curl waits up to a second for 100-continue on large bodies. */
        if (h != NULL)
            s->http_headers = h = curl_slist_append(h, "Expect:");
        if (h == NULL || (s->http = curl_easy_init()) == NULL)
            goto fail;
    }
    if (cfg->mail_to != NULL) {
        const char *srv = cfg->smtp != NULL ? cfg->smtp : "127.0.0.1:25";
        snprintf(s->smtp_url, sizeof s->smtp_url, "%s%s", strstr(srv, "://") ? "" : "smtp://", srv);
        if ((s->smtp = curl_easy_init()) == NULL)
            goto fail;
    }
    return s;
fail:
    alert_sender_free(s);
    return NULL;
}

void
alert_sender_free(alert_sender *s)
{
    if (s == NULL)
        return;
    curl_easy_cleanup(s->http);
    curl_easy_cleanup(s->smtp);
    curl_slist_free_all(s->http_headers);
    free(s);
}

static void
common_opts(alert_sender *s, CURL *c)
{
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->cfg->webhook_timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)s->cfg->webhook_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)s->stop);
}

/* Transport errors worth another try: the peer may come back. A bad URL, an unsupported
 * protocol or an aborted transfer will not get better. */
static alert_result
classify_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_LOGIN_DENIED:
        return ALERT_FATAL;
    default:
        return ALERT_RETRY;
    }
}

alert_result
alert_send_webhook(alert_sender *s, const char *body, char *why, size_t whylen)
{
    CURL *c = s->http;
    curl_easy_reset(c);
    common_opts(s, c);
    curl_easy_setopt(c, CURLOPT_URL, s->cfg->webhook);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->http_headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "watchpost-alert/" WP_VERSION_STRING);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "webhook: %s", curl_easy_strerror(rc));
        return classify_curl(rc);
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300)
        return ALERT_OK;
    snprintf(why, whylen, "webhook: HTTP status %ld", code);
    /* 408 and 429 ask to come back; other 4xx say the request itself is wrong. */
    return code >= 500 || code == 408 || code == 429 ? ALERT_RETRY : ALERT_FATAL;
}

/* The message: our own headers (ASCII), a short text summary and the JSON document,
 * pretty-printed so no line comes near the 998-byte limit of RFC 5322 (every string in it
 * is capped at WP_ALERT_MAX_FIELD). libcurl does the SMTP dot-stuffing. */
static char *
build_mail(const wp_alert_config *cfg, const alert_item *it, const char *body)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    const char *from = cfg->mail_from != NULL ? cfg->mail_from : "watchpost@localhost";
    char *msg = NULL;
    int n = asprintf(&msg,
                     "From: %s\r\nTo: %s\r\nDate: %s\r\nSubject: %s\r\n"
                     "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n\r\n"
                     "%s\r\n\r\n%s\r\n",
                     from, cfg->mail_to, date, it->subject, it->syslog_line, body);
    return n < 0 ? NULL : msg; /* bare LF (jansson's) becomes CRLF in wp_smtp_send() */
}

alert_result
alert_send_mail(alert_sender *s, const alert_item *it, const char *body, char *why, size_t whylen)
{
    char *msg = build_mail(s->cfg, it, body);
    if (msg == NULL) {
        snprintf(why, whylen, "mail: out of memory");
        return ALERT_RETRY;
    }
    const char *to[1] = {s->cfg->mail_to};
    wp_smtp_job job = {
        .url = s->smtp_url,
        .mail_from = s->cfg->mail_from != NULL ? s->cfg->mail_from : "watchpost@localhost",
        .rcpt = to,
        .n_rcpt = 1,
        .data = msg,
        .len = strlen(msg),
        .timeout_ms = (long)s->cfg->webhook_timeout_ms,
        .stop = s->stop,
    };
    char r[256];
    wp_smtp_result res = wp_smtp_send(s->smtp, &job, r, sizeof r);
    free(msg);
    if (res == WP_SMTP_OK)
        return ALERT_OK;
    snprintf(why, whylen, "mail: %s", r);
    return res == WP_SMTP_FATAL ? ALERT_FATAL : ALERT_RETRY;
}
