/*
 * dkim.c - DKIM verification (RFC 6376) with OpenDKIM's libopendkim.
 *
 * The raw header block is split here (folding kept, as libopendkim wants each field whole)
 * and handed over with the body. Keys are fetched through dkim_set_key_lookup() with dns.c,
 * so libopendkim never touches the system resolver; a failed lookup is remembered per
 * signature and reported as a temperror, whatever libopendkim makes of it.
 *
 * Bounds, because the signature headers are the attacker's: at most AUTH_MAX_DKIM_SIGS
 * signatures are verified (each costs a DNS query and an RSA operation; the rest are counted
 * and not given to the library), a DKIM-Signature longer than AUTH_MAX_DKIM_SIG_LEN is
 * refused as malformed, and a header block over AUTH_MAX_HDR_BLOCK bytes or
 * AUTH_MAX_HDR_FIELDS fields is not verified at all. Every signature header is first checked
 * with libopendkim's own dkim_sig_syntax(), so a malformed one is reported as such with the
 * library's reason and kept away from verification.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "auth_int.h"

/* ---- header block ---- */

static size_t
line_end(const uint8_t *raw, size_t len, size_t pos)
{
    const uint8_t *nl = memchr(raw + pos, '\n', len - pos);
    return nl != NULL ? (size_t)(nl - raw) : len;
}

size_t
auth_split_headers(const uint8_t *raw, size_t len, auth_hdr *out, size_t max, size_t *body,
                   bool *over)
{
    size_t pos = 0, n = 0;
    *over = false;
    if (len >= 5 && memcmp(raw, "From ", 5) == 0) /* mbox separator line */
        pos = line_end(raw, len, 0) + 1;
    while (pos < len) {
        if (raw[pos] == '\n' || (raw[pos] == '\r' && pos + 1 < len && raw[pos + 1] == '\n')) {
            *body = pos + (raw[pos] == '\r' ? 2 : 1);
            return n;
        }
        if (pos > AUTH_MAX_HDR_BLOCK) {
            *over = true;
            break;
        }
        size_t start = pos, end = line_end(raw, len, pos);
        while (end + 1 < len && (raw[end + 1] == ' ' || raw[end + 1] == '\t'))
            end = line_end(raw, len, end + 1);
        pos = end + 1;
        size_t flen = end - start;
        if (flen > 0 && raw[start + flen - 1] == '\r')
            flen--;
        const uint8_t *colon = memchr(raw + start, ':', flen);
        if (colon == NULL || colon == raw + start)
            continue; /* not a header field: libopendkim would refuse the message */
        if (n == max) {
            *over = true;
            break;
        }
        out[n++] = (auth_hdr){(const char *)raw + start, flen, (size_t)(colon - raw - start)};
    }
    *body = len;
    return n;
}

/* ---- signatures ---- */

static bool
is_sig_header(const auth_hdr *h)
{
    return h->nlen == 14 && strncasecmp(h->field, "DKIM-Signature", 14) == 0;
}

/* A tag of a DKIM tag list (d=, s=), for evidence; cut and sanitised later. */
static void
sig_tag(const char *v, size_t len, char tag, char *out, size_t outlen)
{
    out[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        size_t j = i;
        while (j < len && (v[j] == ' ' || v[j] == '\t' || v[j] == '\r' || v[j] == '\n'))
            j++;
        if (j + 1 < len && v[j] == tag) {
            size_t k = j + 1;
            while (k < len && (v[k] == ' ' || v[k] == '\t'))
                k++;
            if (k < len && v[k] == '=') {
                k++;
                while (k < len && (v[k] == ' ' || v[k] == '\t'))
                    k++;
                size_t e = k;
                while (e < len && v[e] != ';' && v[e] != ' ' && v[e] != '\r' && v[e] != '\n')
                    e++;
                if (!auth_domain_clean(v + k, e - k, out, outlen) && tag == 's')
                    snprintf(out, outlen, "%.*s", (int)(e - k < outlen - 1 ? e - k : outlen - 1),
                             v + k);
                return;
            }
        }
        const char *semi = memchr(v + i, ';', len - i);
        if (semi == NULL)
            return;
        i = (size_t)(semi - v);
    }
}

typedef struct key_ctx {
    auth_dns *dns;
    struct {
        char domain[256], selector[128];
    } failed[AUTH_MAX_DKIM_SIGS];
    size_t n_failed;
} key_ctx;

static DKIM_CBSTAT
key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
    key_ctx *kc = dkim_get_user_context(dkim);
    const char *dom = (const char *)dkim_sig_getdomain(sig);
    const char *sel = (const char *)dkim_sig_getselector(sig);
    if (kc == NULL || dom == NULL || sel == NULL || buflen == 0)
        return DKIM_CBSTAT_ERROR;
    char name[600];
    if ((size_t)snprintf(name, sizeof name, "%s._domainkey.%s", sel, dom) >= sizeof name)
        return DKIM_CBSTAT_NOTFOUND;
    auth_dns_answer *ans = malloc(sizeof(*ans));
    if (ans == NULL)
        return DKIM_CBSTAT_ERROR;
    auth_dns_status st = auth_dns_query(kc->dns, name, 16 /* TXT */, ans);
    DKIM_CBSTAT ret = DKIM_CBSTAT_NOTFOUND;
    if (st == AUTH_DNS_OK && ans->n > 0) {
        size_t n = ans->rr[0].len < buflen - 1 ? ans->rr[0].len : buflen - 1;
        memcpy(buf, ans->pool + ans->rr[0].off, n);
        buf[n] = '\0';
        ret = DKIM_CBSTAT_CONTINUE;
    } else if (st == AUTH_DNS_TEMPFAIL) {
        if (kc->n_failed < AUTH_MAX_DKIM_SIGS) {
            snprintf(kc->failed[kc->n_failed].domain, sizeof kc->failed[0].domain, "%s", dom);
            snprintf(kc->failed[kc->n_failed].selector, sizeof kc->failed[0].selector, "%s", sel);
            kc->n_failed++;
        }
        ret = DKIM_CBSTAT_TRYAGAIN;
    }
    free(ans);
    return ret;
}

static bool
key_failed(const key_ctx *kc, const char *dom, const char *sel)
{
    for (size_t i = 0; i < kc->n_failed; i++)
        if (strcmp(kc->failed[i].domain, dom) == 0 && strcmp(kc->failed[i].selector, sel) == 0)
            return true;
    return false;
}

void *
auth_dkim_lib_new(void)
{
    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (lib == NULL)
        return NULL;
    unsigned int flags = 0;
    dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
    flags |= DKIM_LIBFLAGS_FIXCRLF; /* stored files often have LF line ends */
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
    dkim_set_key_lookup(lib, key_lookup);
    return lib;
}

void
auth_dkim_lib_free(void *lib)
{
    if (lib != NULL)
        dkim_close(lib);
}

static auth_result
classify(int err, int bh, unsigned int flags)
{
    if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH)
        return AUTH_R_PASS;
    switch (err) {
    case DKIM_SIGERROR_KEYFAIL:
        return AUTH_R_TEMPERROR;
    case DKIM_SIGERROR_NOKEY:
    case DKIM_SIGERROR_DNSSYNTAX:
    case DKIM_SIGERROR_MULTIREPLY:
    case DKIM_SIGERROR_KEYREVOKED:
    case DKIM_SIGERROR_KEYTOOSMALL:
    case DKIM_SIGERROR_KEYHASHMISMATCH:
    case DKIM_SIGERROR_KEYUNKNOWNHASH:
    case DKIM_SIGERROR_KEYTYPEMISSING:
    case DKIM_SIGERROR_KEYTYPEUNKNOWN:
    case DKIM_SIGERROR_KEYDECODE:
    case DKIM_SIGERROR_KEYVERSION:
    case DKIM_SIGERROR_NOTEMAILKEY:
        return AUTH_R_PERMERROR;
    case DKIM_SIGERROR_VERSION:
    case DKIM_SIGERROR_DOMAIN:
    case DKIM_SIGERROR_INVALID_HC:
    case DKIM_SIGERROR_INVALID_BC:
    case DKIM_SIGERROR_MISSING_A:
    case DKIM_SIGERROR_INVALID_A:
    case DKIM_SIGERROR_MISSING_H:
    case DKIM_SIGERROR_INVALID_L:
    case DKIM_SIGERROR_INVALID_Q:
    case DKIM_SIGERROR_INVALID_QO:
    case DKIM_SIGERROR_MISSING_D:
    case DKIM_SIGERROR_EMPTY_D:
    case DKIM_SIGERROR_MISSING_S:
    case DKIM_SIGERROR_EMPTY_S:
    case DKIM_SIGERROR_MISSING_B:
    case DKIM_SIGERROR_EMPTY_B:
    case DKIM_SIGERROR_CORRUPT_B:
    case DKIM_SIGERROR_MISSING_BH:
    case DKIM_SIGERROR_EMPTY_BH:
    case DKIM_SIGERROR_CORRUPT_BH:
    case DKIM_SIGERROR_EMPTY_H:
    case DKIM_SIGERROR_INVALID_H:
    case DKIM_SIGERROR_TOOLARGE_L:
    case DKIM_SIGERROR_MISSING_V:
    case DKIM_SIGERROR_EMPTY_V:
        return AUTH_R_MALFORMED;
    default:
        return AUTH_R_FAIL;
    }
}

static void
set_why(auth_dkim_sig *g, const char *why)
{
    snprintf(g->why, sizeof g->why, "%s", why != NULL ? why : "unknown error");
}

void
auth_dkim_verify(void *lib, auth_dns *d, const uint8_t *raw, size_t len, auth_dkim_result *out)
{
    memset(out, 0, sizeof(*out));
    if (lib == NULL || raw == NULL)
        return;
    auth_hdr *h = malloc((AUTH_MAX_HDR_FIELDS + 1) * sizeof(*h));
    if (h == NULL)
        return;
    size_t body = len;
    bool over = false;
    size_t nh = auth_split_headers(raw, len, h, AUTH_MAX_HDR_FIELDS, &body, &over);
    size_t nsig = 0;
    for (size_t i = 0; i < nh; i++)
        nsig += is_sig_header(&h[i]);
    if (nsig == 0 && !over) {
        free(h);
        return;
    }
    if (over) {
        out->too_big = true;
        snprintf(out->why, sizeof out->why,
                 "header block larger than %u bytes or %u fields: DKIM not verified",
                 AUTH_MAX_HDR_BLOCK, AUTH_MAX_HDR_FIELDS);
        free(h);
        return;
    }
    DKIM_STAT st;
    DKIM *dk = dkim_verify(lib, (const unsigned char *)"watchpost", NULL, &st);
    if (dk == NULL) {
        snprintf(out->why, sizeof out->why, "libopendkim: %s", dkim_getresultstr(st));
        free(h);
        return;
    }
    key_ctx kc = {.dns = d};
    dkim_set_user_context(dk, &kc);
    size_t seen = 0, fed = 0;
    auth_dkim_sig pending[AUTH_MAX_DKIM_SIGS]; /* d= and s= of the signatures handed over */
    for (size_t i = 0; i < nh; i++) {
        if (is_sig_header(&h[i])) {
            if (seen++ >= AUTH_MAX_DKIM_SIGS) {
                out->n_skipped++;
                continue;
            }
            const char *v = h[i].field + h[i].nlen + 1;
            size_t vlen = h[i].flen - h[i].nlen - 1;
            auth_dkim_sig *g = &out->sig[out->n_sig];
            sig_tag(v, vlen, 'd', g->domain, sizeof g->domain);
            sig_tag(v, vlen, 's', g->selector, sizeof g->selector);
            if (h[i].flen > AUTH_MAX_DKIM_SIG_LEN) {
                g->result = AUTH_R_MALFORMED;
                set_why(g, "DKIM-Signature longer than 16384 bytes");
                out->n_sig++;
                continue;
            }
            /* dkim_sig_syntax() takes the tag list alone, without folding, and reads it
             * with strlcpy(): it must be NUL-terminated whatever the length says */
            char *flat = malloc(vlen + 1);
            size_t fl = 0;
            for (size_t k = 0; flat != NULL && k < vlen; k++)
                if (v[k] != '\r' && v[k] != '\n' && v[k] != '\0')
                    flat[fl++] = v[k];
            if (flat != NULL)
                flat[fl] = '\0';
            DKIM_STAT ss = flat != NULL ? dkim_sig_syntax(dk, (u_char *)flat, fl) : DKIM_STAT_OK;
            free(flat);
            if (ss != DKIM_STAT_OK) {
                g->result = AUTH_R_MALFORMED;
                const char *e = dkim_geterror(dk);
                set_why(g, e != NULL && e[0] != '\0' ? e : "does not parse");
                out->n_sig++;
                continue;
            }
            pending[fed++] = *g;
        }
        dkim_header(dk, (u_char *)h[i].field, h[i].flen);
    }
    if (fed == 0)
        goto done;
    st = dkim_eoh(dk);
    if (st == DKIM_STAT_OK) {
        if (body < len)
            dkim_body(dk, (u_char *)raw + body, len - body);
        st = dkim_eom(dk, NULL);
    }
    DKIM_SIGINFO **sigs = NULL;
    int ns = 0;
    if (dkim_getsiglist(dk, &sigs, &ns) != DKIM_STAT_OK)
        ns = 0;
    if (ns == 0) {
        /* libopendkim gave up before listing them (a key lookup failed, or the header block
         * did not parse): every signature handed over gets that outcome, never a silence */
        for (size_t i = 0; i < fed && out->n_sig < AUTH_MAX_DKIM_SIGS; i++) {
            auth_dkim_sig *g = &out->sig[out->n_sig++];
            *g = pending[i];
            bool temp = key_failed(&kc, g->domain, g->selector) || st == DKIM_STAT_CBTRYAGAIN;
            g->result = temp ? AUTH_R_TEMPERROR : AUTH_R_FAIL;
            set_why(g, temp && d->error[0] ? d->error : dkim_getresultstr(st));
        }
    }
    for (int i = 0; i < ns && out->n_sig < AUTH_MAX_DKIM_SIGS; i++) {
        auth_dkim_sig *g = &out->sig[out->n_sig++];
        const char *dom = (const char *)dkim_sig_getdomain(sigs[i]);
        const char *sel = (const char *)dkim_sig_getselector(sigs[i]);
        if (dom == NULL || !auth_domain_clean(dom, strlen(dom), g->domain, sizeof g->domain))
            snprintf(g->domain, sizeof g->domain, "%s", dom != NULL ? dom : "");
        snprintf(g->selector, sizeof g->selector, "%s", sel != NULL ? sel : "");
        unsigned int flags = dkim_sig_getflags(sigs[i]);
        int err = dkim_sig_geterror(sigs[i]), bh = dkim_sig_getbh(sigs[i]);
        if (dom != NULL && sel != NULL && key_failed(&kc, dom, sel)) {
            g->result = AUTH_R_TEMPERROR;
            set_why(g, d->error[0] ? d->error : "key lookup failed");
        } else if (!(flags & DKIM_SIGFLAG_PROCESSED) && err == DKIM_SIGERROR_OK) {
            g->result = AUTH_R_TEMPERROR;
            set_why(g, dkim_getresultstr(st));
        } else {
            g->result = classify(err, bh, flags);
            if (g->result == AUTH_R_PASS)
                set_why(g, "signature verified");
            else if (err == DKIM_SIGERROR_OK && bh == DKIM_SIGBH_MISMATCH)
                set_why(g, "body hash mismatch (body changed after signing)");
            else
                set_why(g, dkim_sig_geterrorstr(err));
        }
    }
done:
    dkim_free(dk);
    free(h);
}
