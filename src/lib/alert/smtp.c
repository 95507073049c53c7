/*
 * smtp.c - one message handed to an SMTP server through libcurl.
 *
 * libcurl speaks the dialogue and does the dot-stuffing; what it does not do is line ends,
 * so a message stored with bare LF (as many MTAs and every test file write it) is sent
 * with CRLF: a bare LF in DATA is refused by strict servers and mangled by lax ones.
 * Addresses go to curl already bracketed, so an empty sender is the null sender "<>".
 */
#include "alert/smtp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ok;

static void
curl_init_once(void)
{
    curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

bool
wp_smtp_global_init(void)
{
    pthread_once(&curl_once, curl_init_once);
    return curl_ok;
}

typedef struct upload {
    const char *data;
    size_t len, off;
    bool cr_pending; /* a bare LF was met: "\r" went out, its "\n" is owed */
} upload;

/* Copies the message out, turning every LF not preceded by CR into CRLF. */
static size_t
read_upload(char *buf, size_t size, size_t nmemb, void *ud)
{
    upload *u = ud;
    size_t cap = size * nmemb, n = 0;
    if (u->cr_pending && n < cap) {
        buf[n++] = '\n';
        u->cr_pending = false;
        u->off++;
    }
    while (n < cap && u->off < u->len) {
        char ch = u->data[u->off];
        if (ch == '\n' && (u->off == 0 || u->data[u->off - 1] != '\r')) {
            buf[n++] = '\r';
            if (n == cap) {
                u->cr_pending = true;
                break;
            }
            buf[n++] = '\n';
        } else {
            buf[n++] = ch;
        }
        u->off++;
    }
    return n;
}

static int
progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const atomic_bool *stop = ud;
    return stop != NULL && atomic_load(stop) ? 1 : 0; /* non-zero aborts the transfer */
}

static struct curl_slist *
bracketed_list(const char *const *rcpt, size_t n)
{
    struct curl_slist *l = NULL;
    for (size_t i = 0; i < n; i++) {
        char b[520];
        snprintf(b, sizeof b, "<%s>", rcpt[i]);
        struct curl_slist *t = curl_slist_append(l, b);
        if (t == NULL) {
            curl_slist_free_all(l);
            return NULL;
        }
        l = t;
    }
    return l;
}

wp_smtp_result
wp_smtp_send(CURL *reuse, const wp_smtp_job *job, char *why, size_t whylen)
{
    if (!wp_smtp_global_init()) {
        snprintf(why, whylen, "libcurl failed to initialise");
        return WP_SMTP_FATAL;
    }
    if (job->n_rcpt == 0) {
        snprintf(why, whylen, "no recipients");
        return WP_SMTP_FATAL;
    }
    char url[600], from[520];
    snprintf(url, sizeof url, "%s%s", strstr(job->url, "://") ? "" : "smtp://", job->url);
    snprintf(from, sizeof from, "<%s>", job->mail_from != NULL ? job->mail_from : "");
    struct curl_slist *rcpt = bracketed_list(job->rcpt, job->n_rcpt);
    CURL *c = reuse != NULL ? reuse : curl_easy_init();
    if (rcpt == NULL || c == NULL) {
        curl_slist_free_all(rcpt);
        if (reuse == NULL && c != NULL)
            curl_easy_cleanup(c);
        snprintf(why, whylen, "out of memory");
        return WP_SMTP_RETRY;
    }
    upload u = {job->data, job->len, 0, false};
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, job->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, job->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)job->stop);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    if (reuse == NULL)
        curl_easy_cleanup(c);
    if (rc == CURLE_OK)
        return WP_SMTP_OK;
    snprintf(why, whylen, "%s (SMTP %ld)", curl_easy_strerror(rc), code);
    /* a 5xx reply is permanent; so are a bad URL, a missing protocol and an abort */
    if (code >= 500 && code < 600)
        return WP_SMTP_FATAL;
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_LOGIN_DENIED:
        return WP_SMTP_FATAL;
    default:
        return WP_SMTP_RETRY;
    }
}
