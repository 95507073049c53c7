/*
 * callbacks.c - libmilter callbacks: collect the envelope and the message, hand over to
 * actions.c at end of message. Each callback runs in a libmilter worker thread with its
 * own connection context (smfi_getpriv), so nothing here is shared but the store.
 */
#include "callbacks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "actions.h"
#include "gen.h"
#include "log.h"
#include "msg.h"

static wp_store *the_store;

static wpm_conn *
conn_of(SMFICTX *ctx)
{
    return smfi_getpriv(ctx);
}

static void
sockaddr_text(const _SOCK_ADDR *sa, char *out, size_t len)
{
    out[0] = '\0';
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)len);
}

static sfsistat
on_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
    wpm_conn *c = wpm_conn_new();
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    char ip[INET6_ADDRSTRLEN];
    sockaddr_text(sa, ip, sizeof ip);
    if (ip[0] == '\0') { /* local submission or unknown: the macro may still say */
        const char *m = smfi_getsymval(ctx, "{client_addr}");
        snprintf(ip, sizeof ip, "%s", m ? m : "");
    }
    c->client_ip = ip[0] ? wpm_field(c, ip, false) : NULL;
    /* Postfix passes "[1.2.3.4]" when the name is unknown */
    c->client_name = hostname && hostname[0] != '[' ? wpm_field(c, hostname, false) : NULL;
    if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
        wpm_conn_free(c);
        return SMFIS_TEMPFAIL;
    }
    return SMFIS_CONTINUE;
}

static sfsistat
on_helo(SMFICTX *ctx, char *helo)
{
    wpm_conn *c = conn_of(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    free(c->helo);
    c->helo = wpm_field(c, helo, false);
    return SMFIS_CONTINUE;
}

static sfsistat
on_envfrom(SMFICTX *ctx, char **argv)
{
    wpm_conn *c = conn_of(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    wpm_conn_reset_message(c);
    c->mail_from = wpm_field(c, argv[0], true);
    const char *auth = smfi_getsymval(ctx, "{auth_authen}");
    c->authenticated = auth != NULL && auth[0] != '\0';
    wpm_gen *g = wpm_gen_acquire();
    size_t lim = g ? wpm_gen_limit_message_bytes(g) : 64u << 20;
    wpm_gen_release(g);
    c->limit = lim + 1; /* one byte over lets the scan see (and report) the truncation */
    return SMFIS_CONTINUE;
}

static sfsistat
on_envrcpt(SMFICTX *ctx, char **argv)
{
    wpm_conn *c = conn_of(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    c->n_rcpt_total++;
    if (c->n_rcpt < WPM_MAX_RCPT) {
        char *r = wpm_field(c, argv[0], true);
        if (r != NULL)
            c->rcpt[c->n_rcpt++] = r;
    }
    return SMFIS_CONTINUE;
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
    wpm_conn *c = conn_of(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    for (int h = 0; h < WPM_N_OWN_HDRS; h++)
        if (strcasecmp(name, wpm_own_headers[h]) == 0)
            c->own_hdrs[h]++;
    wpm_conn_append(c, name, strlen(name));
    wpm_conn_append(c, ": ", 2);
    wpm_conn_append(c, value, strlen(value));
    wpm_conn_append(c, "\r\n", 2);
    return SMFIS_CONTINUE;
}

static sfsistat
on_eoh(SMFICTX *ctx)
{
    wpm_conn *c = conn_of(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    wpm_conn_append(c, "\r\n", 2);
    return SMFIS_CONTINUE;
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    wpm_conn *c = conn_of(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    wpm_conn_append(c, chunk, len);
    return SMFIS_CONTINUE;
}

static sfsistat
on_eom(SMFICTX *ctx)
{
    wpm_conn *c = conn_of(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    sfsistat r = wpm_end_of_message(ctx, c, the_store);
    wpm_conn_reset_message(c);
    return r;
}

static sfsistat
on_abort(SMFICTX *ctx)
{
    wpm_conn *c = conn_of(ctx);
    if (c != NULL)
        wpm_conn_reset_message(c);
    return SMFIS_CONTINUE;
}

static sfsistat
on_close(SMFICTX *ctx)
{
    wpm_conn_free(conn_of(ctx));
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "watchpost",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
    .xxfi_connect = on_connect,
    .xxfi_helo = on_helo,
    .xxfi_envfrom = on_envfrom,
    .xxfi_envrcpt = on_envrcpt,
    .xxfi_header = on_header,
    .xxfi_eoh = on_eoh,
    .xxfi_body = on_body,
    .xxfi_eom = on_eom,
    .xxfi_abort = on_abort,
    .xxfi_close = on_close,
};

struct smfiDesc *
wpm_callbacks(wp_store *store)
{
    the_store = store;
    return &desc;
}
