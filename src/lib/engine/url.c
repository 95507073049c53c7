/*
 * url.c - URLs: extraction from plain text, host parsing, the bounded URL list.
 *
 * Extraction finds scheme-prefixed URLs (http, https, ftp, hxxp/hxxps defanged) and bare
 * "www." hosts. Duplicates are dropped with a small open-addressing set of hashes, so a
 * newsletter that repeats one link 300 times costs 300 hash probes, not 300 string scans.
 */
#include <ctype.h>
#include <string.h>

#include "core/util.h"
#include "scan.h"

#define URL_MAX      2048
#define SEEN_INITIAL 256 /* slots; doubled at half load */

static uint64_t
fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static bool
seen_insert(uint64_t *slots, size_t cap, uint64_t h)
{
    for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (slots[i] == h)
            return true;
        if (slots[i] == 0) {
            slots[i] = h;
            return false;
        }
    }
}

/* true when h was already present; inserts it otherwise */
static bool
seen(wp_scan *s, uint64_t h)
{
    if (h == 0)
        h = 1;
    if (s->n_seen * 2 >= s->cap_seen) {
        size_t ncap = s->cap_seen ? s->cap_seen * 2 : SEEN_INITIAL;
        uint64_t *ns = wp_arena_alloc(s->a, ncap * sizeof(uint64_t));
        if (ns == NULL)
            return false;
        for (size_t i = 0; i < s->cap_seen; i++)
            if (s->url_seen[i] != 0)
                seen_insert(ns, ncap, s->url_seen[i]);
        s->url_seen = ns;
        s->cap_seen = ncap;
    }
    bool dup = seen_insert(s->url_seen, s->cap_seen, h);
    if (!dup)
        s->n_seen++;
    return dup;
}

static const char *
parse_host(wp_scan *s, const char *u, size_t n)
{
    const char *p = u, *end = u + n;
    const char *sep = memmem(p, n, "://", 3);
    if (sep != NULL) {
        p = sep + 3;
    } else if (wp_has_prefix_ci(p, n, "mailto:") || wp_has_prefix_ci(p, n, "javascript:") ||
               wp_has_prefix_ci(p, n, "data:") || wp_has_prefix_ci(p, n, "tel:") ||
               wp_has_prefix_ci(p, n, "cid:")) {
        return NULL;
    } else if (p < end && (*p == '/' || *p == '#' || *p == '?')) {
        return NULL; /* relative */
    } else if (!(n > 2 && p[0] == '/' && p[1] == '/') && !wp_has_prefix_ci(p, n, "www.")) {
        return NULL;
    }
    while (p < end && *p == '/')
        p++;
    const char *h = p;
    while (p < end && *p != '/' && *p != '?' && *p != '#' && *p != '\\')
        p++;
    /* userinfo: the host is after the last '@' of the authority */
    const char *at = NULL;
    for (const char *q = h; q < p; q++)
        if (*q == '@')
            at = q;
    if (at != NULL)
        h = at + 1;
    const char *he = p;
    if (h < he && *h == '[') { /* IPv6 literal */
        const char *rb = memchr(h, ']', (size_t)(he - h));
        he = rb ? rb + 1 : he;
    } else if (h < he) {
        const char *colon = memchr(h, ':', (size_t)(he - h));
        if (colon != NULL)
            he = colon;
    }
    while (he > h && he[-1] == '.')
        he--;
    if (he <= h || he - h > 255)
        return NULL;
    char *host = wp_arena_sanitize(s->a, h, (size_t)(he - h), 255);
    wp_ascii_lower(host);
    return host;
}

void
wp_scan_add_url(wp_scan *s, const char *url, size_t len, const char *text, size_t tlen,
                const char *source, const char *where)
{
    while (len > 0 && isspace((unsigned char)*url)) {
        url++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)url[len - 1]))
        len--;
    if (len == 0)
        return;
    if (len > URL_MAX)
        len = URL_MAX;
    bool plain = strcmp(source, "text") == 0;
    uint64_t hu = fnv(1469598103934665603ULL, url, len);
    uint64_t hk = fnv(fnv(hu, source, strlen(source)), text ? text : "", text ? tlen : 0);
    if (plain) {
        if (seen(s, hu))
            return;
    } else {
        seen(s, hu); /* so the same URL in visible text is not listed again */
        if (seen(s, hk ^ 0x9e3779b97f4a7c15ULL))
            return;
    }
    wp_report *r = s->r;
    if (r->n_urls >= wp_limit(s->lim, WP_LIMIT_URLS)) {
        wp_scan_limit(s, WP_LIMIT_URLS, where, "more than %llu URLs; the rest not recorded",
                      (unsigned long long)wp_limit(s->lim, WP_LIMIT_URLS));
        return;
    }
    if (!wp_arena_grow(s->a, (void **)&r->urls, &s->cap_urls, r->n_urls + 1, sizeof(wp_url)))
        return;
    wp_url *u = &r->urls[r->n_urls];
    u->url = wp_arena_sanitize(s->a, url, len, URL_MAX);
    if (u->url == NULL)
        return;
    u->host = parse_host(s, url, len);
    u->text = (text != NULL && tlen > 0) ? wp_arena_sanitize(s->a, text, tlen, 512) : NULL;
    u->source = source;
    u->where = where;
    r->n_urls++;
}

static bool
url_char(unsigned char c)
{
    return c > 32 && c != '<' && c != '>' && c != '"' && c != '`' && c != '{' && c != '}' &&
           c != '|' && c != '\\' && c != '^' && c != 0x7f;
}

void
wp_scan_text_urls(wp_scan *s, const char *txt, size_t len, const char *where)
{
    static const char *const prefixes[] = {"http://",  "https://", "hxxp://",
                                           "hxxps://", "ftp://",   "www."};
    if (txt == NULL || len == 0)
        return;
    const char *p = txt, *end = txt + len;
    const char *c2 = NULL;
    bool no_www = false;
    while (p < end) {
        /* cheap pre-filter: every prefix contains ':' or starts with "www."; the next "www." is
         * kept until passed so the search stays linear */
        const char *c1 = memchr(p, ':', (size_t)(end - p));
        if (!no_www && (c2 == NULL || c2 < p)) {
            c2 = wp_memcasemem(p, (size_t)(end - p), "www.", 4);
            no_www = c2 == NULL;
        }
        if (no_www)
            c2 = NULL;
        if (c1 == NULL && c2 == NULL)
            return;
        const char *cand = c1 == NULL ? c2 : (c2 == NULL || c1 < c2 ? c1 : c2);
        const char *start = NULL;
        if (cand == c2 && (c1 == NULL || c2 < c1)) {
            if (cand == txt || !isalnum((unsigned char)cand[-1]))
                start = cand;
        } else {
            /* back up over the scheme */
            const char *b = cand;
            while (b > txt && b > cand - 6 && isalpha((unsigned char)b[-1]))
                b--;
            for (size_t k = 0; k < 5; k++)
                if (wp_has_prefix_ci(b, (size_t)(end - b), prefixes[k]))
                    start = b;
        }
        if (start == NULL) {
            p = cand + 1;
            continue;
        }
        const char *q = start;
        while (q < end && url_char((unsigned char)*q))
            q++;
        /* trailing punctuation belongs to the sentence */
        while (q > start && strchr(".,;:!?)]'*", q[-1]) != NULL)
            q--;
        size_t n = (size_t)(q - start);
        if (n > 7)
            wp_scan_add_url(s, start, n, NULL, 0, "text", where);
        p = q > cand ? q : cand + 1;
    }
}
