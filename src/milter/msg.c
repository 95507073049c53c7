/*
 * msg.c - per-connection and per-message state of the milter.
 */
#include "msg.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const wpm_own_headers[WPM_N_OWN_HDRS] = {
    "X-Watchpost-Verdict", "X-Watchpost-Score", "X-Watchpost-Severity", "X-Watchpost-Findings"};

wpm_conn *
wpm_conn_new(void)
{
    return calloc(1, sizeof(wpm_conn));
}

void
wpm_conn_reset_message(wpm_conn *c)
{
    free(c->mail_from);
    c->mail_from = NULL;
    for (size_t i = 0; i < c->n_rcpt; i++)
        free(c->rcpt[i]);
    c->n_rcpt = c->n_rcpt_total = 0;
    c->authenticated = false;
    memset(c->own_hdrs, 0, sizeof c->own_hdrs);
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = c->limit = 0;
    c->total = 0;
    c->failed = false;
}

void
wpm_conn_free(wpm_conn *c)
{
    if (c == NULL)
        return;
    wpm_conn_reset_message(c);
    free(c->client_ip);
    free(c->client_name);
    free(c->helo);
    free(c);
}

char *
wpm_field(wpm_conn *c, const char *s, bool strip_angles)
{
    if (s == NULL)
        s = "";
    size_t n = strnlen(s, WPM_MAX_FIELD);
    if (strip_angles && n >= 2 && s[0] == '<' && s[n - 1] == '>') {
        s++;
        n -= 2;
    }
    char *d = strndup(s, n);
    if (d == NULL)
        c->failed = true;
    return d;
}

void
wpm_conn_append(wpm_conn *c, const void *p, size_t n)
{
    c->total += n;
    if (c->failed || c->len >= c->limit)
        return;
    size_t take = n < c->limit - c->len ? n : c->limit - c->len;
    if (c->len + take > c->cap) {
        size_t nc = c->cap ? c->cap : 64 * 1024;
        while (nc < c->len + take)
            nc = nc > c->limit / 2 ? c->limit : nc * 2;
        uint8_t *nb = realloc(c->buf, nc);
        if (nb == NULL) {
            c->failed = true;
            return;
        }
        c->buf = nb;
        c->cap = nc;
    }
    memcpy(c->buf + c->len, p, take);
    c->len += take;
}

void
wpm_conn_envelope(const wpm_conn *c, bool client_internal, wp_envelope *env)
{
    memset(env, 0, sizeof *env);
    env->client_ip = c->client_ip;
    env->client_name = c->client_name;
    env->helo = c->helo;
    env->mail_from = c->mail_from ? c->mail_from : "";
    env->rcpt = (const char *const *)c->rcpt;
    env->n_rcpt = c->n_rcpt;
    env->authenticated = c->authenticated;
    env->direction = c->authenticated || client_internal ? WP_DIR_OUTBOUND : WP_DIR_INBOUND;
    env->time = (long long)time(NULL);
}
