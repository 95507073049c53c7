/*
 * scan.c - appending to the report under construction, each append bounded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "scan.h"

static const char *const limit_codes[WP_LIMIT__COUNT] = {
    [WP_LIMIT_MESSAGE_BYTES] = "LIMIT_MESSAGE_SIZE",
    [WP_LIMIT_HEADER_BYTES] = "LIMIT_HEADER_SIZE",
    [WP_LIMIT_HEADER_COUNT] = "LIMIT_HEADER_COUNT",
    [WP_LIMIT_MIME_PARTS] = "LIMIT_MIME_PARTS",
    [WP_LIMIT_MIME_DEPTH] = "LIMIT_MIME_DEPTH",
    [WP_LIMIT_PART_BYTES] = "LIMIT_PART_SIZE",
    [WP_LIMIT_URLS] = "LIMIT_URLS",
    [WP_LIMIT_ARCHIVE_DEPTH] = "LIMIT_ARCHIVE_DEPTH",
    [WP_LIMIT_ARCHIVE_MEMBERS] = "LIMIT_ARCHIVE_MEMBERS",
    [WP_LIMIT_ARCHIVE_TOTAL_BYTES] = "LIMIT_ARCHIVE_BYTES",
    [WP_LIMIT_ARCHIVE_RATIO] = "LIMIT_ARCHIVE_RATIO",
    [WP_LIMIT_YARA_TIMEOUT_MS] = "LIMIT_YARA_TIMEOUT",
    [WP_LIMIT_FINDINGS] = "LIMIT_FINDINGS",
    [WP_LIMIT_MEMORY_BYTES] = "LIMIT_MEMORY",
};

static void add_finding(wp_scan *s, const char *code, int weight, const char *where,
                        const char *fmt, va_list ap) WP_PRINTF(5, 0);

static void
add_finding(wp_scan *s, const char *code, int weight, const char *where, const char *fmt,
            va_list ap)
{
    const wp_finding_def *def = wp_finding_lookup(code);
    if (def == NULL) {
        /* a code missing from the catalogue is a programming error, not an input problem */
        fprintf(stderr, "watchpost: BUG: finding code %s not in catalogue\n", code);
        abort();
    }
    wp_report *r = s->r;
    char *ev = wp_arena_vprintf(s->a, fmt, ap);
    if (ev == NULL)
        return;
    if (where == NULL)
        where = "message";
    /* the same code at the same place with the same evidence is one finding */
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].code == def->code && strcmp(r->findings[i].where, where) == 0 &&
            strcmp(r->findings[i].evidence, ev) == 0)
            return;
    uint64_t max = wp_limit(s->lim, WP_LIMIT_FINDINGS);
    if (r->n_findings >= max) {
        if (!(s->limits_reported & (1u << WP_LIMIT_FINDINGS))) {
            s->limits_reported |= 1u << WP_LIMIT_FINDINGS;
            /* replace the last slot so the reader learns that findings were dropped */
            wp_finding *f = &r->findings[r->n_findings - 1];
            const wp_finding_def *ld = wp_finding_lookup("LIMIT_FINDINGS");
            *f = (wp_finding){ld->code, ld->category, ld->weight,
                              wp_arena_printf(s->a, "more than %llu findings; the rest dropped",
                                              (unsigned long long)max),
                              "message"};
        }
        return;
    }
    if (!wp_arena_grow(s->a, (void **)&r->findings, &s->cap_findings, r->n_findings + 1,
                       sizeof(wp_finding)))
        return;
    r->findings[r->n_findings++] =
        (wp_finding){def->code, def->category, weight, ev, wp_arena_strdup(s->a, where)};
    if (r->findings[r->n_findings - 1].where == NULL)
        r->findings[r->n_findings - 1].where = "message";
}

void
wp_scan_finding(wp_scan *s, const char *code, const char *where, const char *fmt, ...)
{
    const wp_finding_def *def = wp_finding_lookup(code);
    va_list ap;
    va_start(ap, fmt);
    add_finding(s, code, def ? def->weight : 0, where, fmt, ap);
    va_end(ap);
}

void
wp_scan_finding_weighted(wp_scan *s, const char *code, int weight, const char *where,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_finding(s, code, weight, where, fmt, ap);
    va_end(ap);
}

bool
wp_scan_limit(wp_scan *s, wp_limit_id id, const char *where, const char *fmt, ...)
{
    if ((unsigned)id >= WP_LIMIT__COUNT || (s->limits_reported & (1u << id)))
        return false;
    s->limits_reported |= 1u << id;
    va_list ap;
    va_start(ap, fmt);
    const wp_finding_def *def = wp_finding_lookup(limit_codes[id]);
    add_finding(s, limit_codes[id], def ? def->weight : 0, where, fmt, ap);
    va_end(ap);
    return false;
}

wp_part *
wp_scan_add_part(wp_scan *s)
{
    wp_report *r = s->r;
    if (!wp_arena_grow(s->a, (void **)&r->parts, &s->cap_parts, r->n_parts + 1, sizeof(wp_part))) {
        wp_scan_limit(s, WP_LIMIT_MEMORY_BYTES, "message", "memory budget exhausted");
        return NULL;
    }
    wp_part *p = &r->parts[r->n_parts++];
    memset(p, 0, sizeof(*p));
    return p;
}

wp_object *
wp_scan_add_object(wp_scan *s)
{
    wp_report *r = s->r;
    if (!wp_arena_grow(s->a, (void **)&r->objects, &s->cap_objects, r->n_objects + 1,
                       sizeof(wp_object))) {
        wp_scan_limit(s, WP_LIMIT_MEMORY_BYTES, "message", "memory budget exhausted");
        return NULL;
    }
    wp_object *o = &r->objects[r->n_objects++];
    memset(o, 0, sizeof(*o));
    return o;
}

void
wp_scan_add_text(wp_scan *s, const char *txt, size_t len)
{
    s->r->text_bytes += len;
    if (s->text_len >= WP_TEXT_EXCERPT)
        return;
    if (s->text == NULL) {
        s->text = wp_arena_alloc(s->a, WP_TEXT_EXCERPT * 8 + 1);
        if (s->text == NULL)
            return;
    }
    /* skip leading whitespace of each chunk, join chunks with one space */
    while (len > 0 && (*txt == ' ' || *txt == '\n' || *txt == '\r' || *txt == '\t')) {
        txt++;
        len--;
    }
    if (len == 0)
        return;
    size_t room = WP_TEXT_EXCERPT - s->text_len;
    size_t take = len < room ? len : room;
    /* do not cut a UTF-8 sequence */
    while (take > 0 && take < len && ((unsigned char)txt[take] & 0xC0) == 0x80)
        take--;
    char *clean = wp_arena_sanitize(s->a, txt, take, take);
    if (clean == NULL)
        return;
    size_t cl = strlen(clean);
    /* collapse runs of spaces produced by sanitising newlines */
    size_t o = s->text_len;
    if (o > 0 && s->text[o - 1] != ' ')
        s->text[o++] = ' ';
    for (size_t i = 0; i < cl && o < WP_TEXT_EXCERPT * 8; i++) {
        if (clean[i] == ' ' && o > 0 && s->text[o - 1] == ' ')
            continue;
        s->text[o++] = clean[i];
    }
    s->text[o] = '\0';
    s->text_len = o;
}
