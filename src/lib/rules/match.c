/*
 * match.c - running the content rules on one message.
 *
 * Each target's database is scanned over its inputs: the decoded Subject and From of the
 * report, each header field named by a header:Name rule (taken from the raw header block,
 * unfolded, RFC 2047-decoded, at most WP_RULES_HDR_VALUE_MAX bytes of it and
 * WP_RULES_HDR_FIELDS fields), the visible body text (s->body, at most WP_BODY_TEXT_MAX
 * bytes), every URL and every attachment or member name. A rule fires at most once per
 * message; the first match is remembered with where it was and the text before its end (an
 * excerpt; Hyperscan reports match ends, not starts, in single-match mode). Meta rules are
 * then evaluated in definition order.
 *
 * Scoring: the verdict counts a finding code once per message, at its highest weight, so
 * per-rule findings of one code would not add up. Instead the fired rules of each category
 * are summed into ONE finding, RULE_<CATEGORY>, whose evidence lists every contributing rule
 * with its weight, location and excerpt; its weight is the sum, capped at the code's
 * configured weight ("weight.RULE_PHISHING", catalogue default) so that phrases alone cannot
 * outweigh every other analyzer.
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "core/arena.h"
#include "rules.h"

typedef struct match_ctx {
    wp_scan *s;
    const wp_ruleset *rs;
    unsigned char *fired;
    const char **where;
    const char **excerpt;
    const char *in; /* the input being scanned, for excerpts */
    const char *cur_where;
} match_ctx;

static const char *const cat_codes[WP_CAT__COUNT] = {
    [WP_CAT_PHISHING] = "RULE_PHISHING",
    [WP_CAT_SPAM] = "RULE_SPAM",
    [WP_CAT_MALWARE] = "RULE_MALWARE",
    [WP_CAT_ANOMALY] = "RULE_ANOMALY",
    [WP_CAT_IMPERSONATION] = "RULE_IMPERSONATION",
    [WP_CAT_POLICY] = "RULE_POLICY",
    [WP_CAT_DLP] = "RULE_DLP",
};

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF), as Hyperscan's
 * UTF-8 mode requires of its input. */
static bool
utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else
            return false;
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
         void *ctx)
{
    (void)from;
    (void)flags;
    match_ctx *m = ctx;
    if (id >= m->rs->n_rules || m->fired[id] || m->rs->rules[id].disabled)
        return 0;
    m->fired[id] = 1;
    m->where[id] = m->cur_where;
    /* the excerpt: up to WP_RULES_EXCERPT bytes ending at the match, from a word start */
    size_t end = (size_t)to, start = end > WP_RULES_EXCERPT ? end - WP_RULES_EXCERPT : 0;
    if (start > 0) {
        size_t k = start;
        while (k < end && m->in[k] != ' ' && m->in[k] != '\n')
            k++;
        if (k + 1 < end && end - k > 8)
            start = k + 1;
        while (start < end && ((unsigned char)m->in[start] & 0xC0) == 0x80)
            start++;
    }
    m->excerpt[id] = wp_arena_sanitize(m->s->a, m->in + start, end - start, WP_RULES_EXCERPT * 4);
    return 0;
}

/* Byte length of an invisible character that phishers put inside words to break phrase
 * matching (soft hyphen, zero-width space/joiners, word joiner, BOM) at p, else 0. */
static size_t
invisible_at(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0xC2 && p[1] == 0xAD)
        return 2;
    if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x8B && p[2] <= 0x8D)
        return 3;
    if (n >= 3 && p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0xA0)
        return 3;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        return 3;
    return 0;
}

/* The text rules see: invisible characters removed and no-break spaces made plain spaces, so
 * that "verify\u00a0your acc\u200bount" still reads "verify your account". A copy is made
 * only when there is something to change. */
static const char *
normalize(wp_scan *s, const char *data, size_t *len)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t n = *len, i = 0;
    /* only 0xC2, 0xE2 and 0xEF can start what we change: skip everything else fast */
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0xC2 || (c != 0xC2 && c != 0xE2 && c != 0xEF)) {
            i++;
            continue;
        }
        if ((c == 0xC2 && i + 1 < n && p[i + 1] == 0xA0) || invisible_at(p + i, n - i))
            break;
        i++;
    }
    if (i == n)
        return data;
    char *out = wp_arena_alloc_raw(s->a, n + 1);
    if (out == NULL)
        return data;
    memcpy(out, data, i);
    size_t o = i;
    while (i < n) {
        size_t k = invisible_at(p + i, n - i);
        if (k > 0) {
            i += k;
        } else if (p[i] == 0xC2 && i + 1 < n && p[i + 1] == 0xA0) {
            out[o++] = ' ';
            i += 2;
        } else {
            out[o++] = data[i++];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

static void
scan_one(match_ctx *m, const wp_rule_db *d, hs_scratch_t *sc, const char *data, size_t len,
         const char *where)
{
    if (data == NULL || len == 0)
        return;
    if (d->utf8 && !utf8_valid((const unsigned char *)data, len)) {
        /* invalid sequences become U+FFFD (and controls "[U+XXXX]"), so the input is valid */
        data = wp_arena_sanitize(m->s->a, data, len, len * 3);
        if (data == NULL)
            return;
        len = strlen(data);
    }
    data = normalize(m->s, data, &len);
    m->in = data;
    m->cur_where = where;
    hs_scan(d->db, data, (unsigned)len, 0, sc, on_match, m);
}

/* ---- header:Name targets, from the raw header block ---- */

static bool
any_header_db(const wp_ruleset *rs)
{
    for (size_t k = 0; k < rs->n_dbs; k++)
        if (rs->dbs[k].target == WP_RT_HEADER)
            return true;
    return false;
}

/* Unfold the value [v, e) into buf (at most cap-1 bytes): line breaks go, the white space
 * that follows them stays (RFC 5322 3.2.2); leading white space is trimmed. */
static size_t
unfold(const char *v, const char *e, char *buf, size_t cap)
{
    size_t o = 0;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    for (; v < e && o + 1 < cap; v++)
        if (*v != '\r' && *v != '\n')
            buf[o++] = *v;
    while (o > 0 && (buf[o - 1] == ' ' || buf[o - 1] == '\t'))
        o--;
    buf[o] = '\0';
    return o;
}

static void
scan_headers(match_ctx *m, hs_scratch_t *sc)
{
    const wp_scan *s = m->s;
    if (s->raw == NULL || s->raw_len == 0 || !any_header_db(m->rs))
        return;
    char *buf = wp_arena_alloc_raw(m->s->a, WP_RULES_HDR_VALUE_MAX + 1);
    if (buf == NULL)
        return;
    const char *p = (const char *)s->raw, *end = p + s->raw_len;
    for (unsigned fields = 0; p < end && fields < WP_RULES_HDR_FIELDS; fields++) {
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
            break; /* the empty line: end of the header block */
        /* the field: its first line and every continuation line */
        const char *f = p;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        while (nl != NULL && nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t'))
            nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
        const char *fe = nl ? nl : end;
        p = nl ? nl + 1 : end;
        const char *colon = memchr(f, ':', (size_t)(fe - f));
        if (colon == NULL || colon == f || (size_t)(colon - f) > WP_RULES_MAX_NAME)
            continue;
        size_t nlen = (size_t)(colon - f);
        while (nlen > 0 && (f[nlen - 1] == ' ' || f[nlen - 1] == '\t'))
            nlen--;
        for (size_t k = 0; k < m->rs->n_dbs; k++) {
            const wp_rule_db *d = &m->rs->dbs[k];
            if (d->target != WP_RT_HEADER || strlen(d->header) != nlen ||
                strncasecmp(d->header, f, nlen) != 0)
                continue;
            size_t n = unfold(colon + 1, fe, buf, WP_RULES_HDR_VALUE_MAX + 1);
            const char *val = buf;
            char *dec = NULL;
            if (memmem(buf, n, "=?", 2) != NULL &&
                (dec = g_mime_utils_header_decode_text(NULL, buf)) != NULL) {
                val = wp_arena_strdup(m->s->a, dec);
                g_free(dec);
            }
            if (val == NULL)
                continue;
            const char *where = wp_arena_printf(m->s->a, "header:%s", d->header);
            if (where != NULL)
                scan_one(m, d, sc, val, strlen(val), where);
        }
    }
}

/* ---- the findings ---- */

typedef struct ev {
    char buf[1536];
    size_t n;
    size_t dropped;
} ev;

/* Append s only when it fits whole, so a UTF-8 sequence is never cut. */
static void
ev_add(ev *e, const char *s)
{
    size_t l = strlen(s);
    if (e->n + l + 1 > sizeof e->buf) {
        e->dropped++;
        return;
    }
    memcpy(e->buf + e->n, s, l + 1);
    e->n += l;
}

static int
by_weight(const void *a, const void *b, void *ctx)
{
    const wp_ruleset *rs = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int wi = rs->rules[i].weight, wj = rs->rules[j].weight;
    if (wi != wj)
        return wi > wj ? -1 : 1;
    return i < j ? -1 : i > j;
}

static void
emit(match_ctx *m, wp_category cat, size_t *idx)
{
    const wp_ruleset *rs = m->rs;
    wp_scan *s = m->s;
    int sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < rs->n_rules; i++) {
        const wp_rule *r = &rs->rules[i];
        if (!m->fired[i] || r->cat != cat || r->weight == 0)
            continue;
        sum += r->weight;
        idx[n++] = i;
    }
    if (n == 0 || sum <= 0)
        return;
    const char *code = cat_codes[cat];
    int cap = wp_scan_weight(s, wp_finding_lookup(code));
    int weight = sum < cap ? sum : cap;
    if (weight <= 0)
        return;
    qsort_r(idx, n, sizeof(*idx), by_weight, (void *)rs);
    /* where: the strongest rule that matched somewhere (metas have no place) */
    const char *where = "message";
    for (size_t k = 0; k < n; k++)
        if (m->where[idx[k]] != NULL) {
            where = m->where[idx[k]];
            break;
        }
    ev e = {.n = 0};
    e.buf[0] = '\0';
    ev_add(&e, "content rules");
    for (size_t k = 0; k < n; k++) {
        const wp_rule *r = &rs->rules[idx[k]];
        const char *at = m->where[idx[k]] ? m->where[idx[k]] : "message";
        char part[WP_RULES_MAX_NAME * 2 + WP_RULES_EXCERPT * 4 + 128];
        if (r->target == WP_RT_META)
            snprintf(part, sizeof part, "%s %s %+d (meta)", k ? ";" : ":", r->name, r->weight);
        else if (r->target == WP_RT_URL || r->target == WP_RT_ATTACHMENT_NAME)
            snprintf(part, sizeof part, "%s %s %+d %s in %s '%s'", k ? ";" : ":", r->name,
                     r->weight, r->target == WP_RT_URL ? "url" : "name", at,
                     m->excerpt[idx[k]] ? m->excerpt[idx[k]] : "");
        else
            snprintf(part, sizeof part, "%s %s %+d %s '%s'", k ? ";" : ":", r->name, r->weight, at,
                     m->excerpt[idx[k]] ? m->excerpt[idx[k]] : "");
        ev_add(&e, part);
    }
    if (e.dropped > 0) {
        char more[48];
        snprintf(more, sizeof more, "; and %zu more", e.dropped);
        e.dropped = 0;
        ev_add(&e, more);
    }
    if (sum > cap) {
        char capped[64];
        snprintf(capped, sizeof capped, " (sum %d capped at %d)", sum, cap);
        ev_add(&e, capped);
    }
    wp_scan_finding_weighted(s, code, weight, where, "%s", e.buf);
}

void
wp_rules_analyze(wp_scan *s, wp_ruleset *rs)
{
    if (rs->n_rules == 0)
        return;
    match_ctx m = {.s = s, .rs = rs};
    m.fired = wp_arena_alloc(s->a, rs->n_rules);
    m.where = wp_arena_alloc(s->a, rs->n_rules * sizeof(char *));
    m.excerpt = wp_arena_alloc(s->a, rs->n_rules * sizeof(char *));
    if (m.fired == NULL || m.where == NULL || m.excerpt == NULL) {
        wp_scan_limit(s, WP_LIMIT_MEMORY_BYTES, "message", "memory budget exhausted");
        return;
    }
    hs_scratch_t *sc = rs->pool_ready ? wp_scratch_take(rs) : NULL;
    const wp_report *r = s->r;
    for (size_t k = 0; sc != NULL && k < rs->n_dbs; k++) {
        const wp_rule_db *d = &rs->dbs[k];
        switch (d->target) {
        case WP_RT_SUBJECT:
            if (r->subject != NULL)
                scan_one(&m, d, sc, r->subject, strlen(r->subject), "header:Subject");
            break;
        case WP_RT_FROM:
            if (r->from != NULL)
                scan_one(&m, d, sc, r->from, strlen(r->from), "header:From");
            break;
        case WP_RT_BODY: {
            size_t n = s->body_len < WP_BODY_TEXT_MAX ? s->body_len : WP_BODY_TEXT_MAX;
            scan_one(&m, d, sc, s->body, n, "body");
            break;
        }
        case WP_RT_URL:
            for (size_t i = 0; i < r->n_urls; i++)
                if (r->urls[i].url != NULL)
                    scan_one(&m, d, sc, r->urls[i].url, strlen(r->urls[i].url),
                             r->urls[i].where ? r->urls[i].where : "url");
            break;
        case WP_RT_ATTACHMENT_NAME:
            for (size_t i = 0; i < r->n_objects; i++)
                if (r->objects[i].name != NULL)
                    scan_one(&m, d, sc, r->objects[i].name, strlen(r->objects[i].name),
                             r->objects[i].where ? r->objects[i].where : "attachment");
            break;
        default:
            break; /* headers: one pass over the header block below */
        }
    }
    if (sc != NULL)
        scan_headers(&m, sc);
    wp_scratch_give(rs, sc);
    for (size_t i = 0; i < rs->n_rules; i++)
        if (rs->rules[i].target == WP_RT_META && !rs->rules[i].disabled)
            m.fired[i] = wp_meta_eval(&rs->rules[i], m.fired);
    size_t *idx = wp_arena_alloc(s->a, rs->n_rules * sizeof(size_t));
    for (int c = 0; idx != NULL && c < WP_CAT__COUNT; c++)
        if (cat_codes[c] != NULL)
            emit(&m, (wp_category)c, idx);
}
