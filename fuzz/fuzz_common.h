/*
 * fuzz_common.h - shared set-up and report invariants for the libFuzzer targets.
 *
 * Every target builds one engine and one scanner, lazily, on its first input and keeps them
 * for the life of the process (the same engine and scanner serve every input, as they do in
 * the CLI). The limits are the library defaults except a few that are lowered for speed;
 * they are set with wp_limits_set(), so the clamping code is exercised too.
 *
 * After each scan the report is checked against what report.h promises: every string is
 * valid UTF-8 with no control characters ("safe to print") and the bounded lists respect
 * their limits. A broken promise aborts with "watchpost-fuzz: INVARIANT ..." so libFuzzer
 * records the input like any crash. WP_FUZZ_INVARIANTS selects how strict the string check
 * is: "all" (default) no C0/C1 control characters or DEL at all; "ws" allows TAB, LF and CR
 * (to keep fuzzing past a known stray newline while still catching ESC and the like);
 * "utf8" checks UTF-8 validity only; "none" switches every check off.
 *
 * The same sources build with a plain compiler for fuzz/replay (no libFuzzer).
 */
#ifndef WATCHPOST_FUZZ_COMMON_H
#define WATCHPOST_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watchpost/watchpost.h"

#ifndef WP_RULES_DIR
#error "build with -DWP_RULES_DIR=\"/path/to/rules\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- engine ---- */

static inline void
fz_die(const char *what, const char *detail)
{
    fprintf(stderr, "watchpost-fuzz: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* Limits lowered for throughput; documented in fuzz/README.md. */
static inline void
fz_limits(wp_limits *lim)
{
    wp_limits_init(lim);
    if (wp_limits_set(lim, WP_LIMIT_PART_BYTES, 1024 * 1024) != WP_OK ||
        wp_limits_set(lim, WP_LIMIT_ARCHIVE_TOTAL_BYTES, 16 * 1024 * 1024) != WP_OK ||
        wp_limits_set(lim, WP_LIMIT_YARA_TIMEOUT_MS, 1000) != WP_OK ||
        wp_limits_set(lim, WP_LIMIT_MEMORY_BYTES, 64 * 1024 * 1024) != WP_OK)
        fz_die("wp_limits_set failed", NULL);
}

/* One engine (with or without the default rules) and one scanner for the process. */
static inline wp_scanner *
fz_scanner(int with_rules)
{
    static wp_engine *eng;
    static wp_scanner *sc;
    if (sc != NULL)
        return sc;
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    fz_limits(&cfg.limits);
    static const char *const paths[] = {WP_RULES_DIR};
    if (with_rules) {
        cfg.rule_paths = paths;
        cfg.n_rule_paths = 1;
    }
    char err[512];
    if (wp_engine_new(&cfg, &eng, err, sizeof err) != WP_OK)
        fz_die("wp_engine_new failed", err);
    if (with_rules && wp_engine_rule_count(eng) == 0)
        fz_die("no YARA rules compiled from", WP_RULES_DIR);
    if (wp_scanner_new(eng, &sc) != WP_OK)
        fz_die("wp_scanner_new failed", NULL);
    return sc;
}

/* ---- invariants ---- */

enum { FZ_CHECK_NONE, FZ_CHECK_UTF8, FZ_CHECK_WS, FZ_CHECK_ALL };

static inline int
fz_check_level(void)
{
    static int level = -1;
    if (level < 0) {
        const char *e = getenv("WP_FUZZ_INVARIANTS");
        level = e == NULL || strcmp(e, "all") == 0 ? FZ_CHECK_ALL
                : strcmp(e, "ws") == 0             ? FZ_CHECK_WS
                : strcmp(e, "utf8") == 0           ? FZ_CHECK_UTF8
                : strcmp(e, "none") == 0           ? FZ_CHECK_NONE
                                                   : FZ_CHECK_ALL;
    }
    return level;
}

/* Strict UTF-8 (no overlongs, surrogates, > U+10FFFF); with `printable` 2, no C0/C1
 * controls and no DEL either; with 1, the same but TAB, LF and CR allowed. Returns the
 * offset of the first bad byte, or -1. */
static inline long
fz_bad_utf8(const char *str, int printable)
{
    const unsigned char *p = (const unsigned char *)str;
    size_t i = 0;
    while (p[i] != 0) {
        unsigned c = p[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            len = 1;
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return (long)i;
        }
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return (long)i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        if (printable && (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) &&
            !(printable == 1 && (cp == '\t' || cp == '\n' || cp == '\r')))
            return (long)i;
        i += len;
    }
    return -1;
}

static inline void
fz_check_str(const char *field, size_t idx, const char *v)
{
    int level = fz_check_level();
    if (v == NULL || level == FZ_CHECK_NONE)
        return;
    long bad = fz_bad_utf8(v, level == FZ_CHECK_ALL ? 2 : level == FZ_CHECK_WS ? 1 : 0);
    if (bad >= 0) {
        fprintf(stderr,
                "watchpost-fuzz: INVARIANT report string %s[%zu] is not printable UTF-8 "
                "(byte 0x%02x at offset %ld): ",
                field, idx, (unsigned)(unsigned char)v[bad], bad);
        for (const unsigned char *q = (const unsigned char *)v;
             *q && q - (const unsigned char *)v < 300; q++)
            fprintf(stderr, *q >= 0x20 && *q < 0x7F ? "%c" : "\\x%02x", *q);
        fputc('\n', stderr);
        abort();
    }
}

static inline void
fz_check_bound(const char *what, size_t n, uint64_t max)
{
    if (fz_check_level() != FZ_CHECK_NONE && (uint64_t)n > max) {
        fprintf(stderr, "watchpost-fuzz: INVARIANT %s: %zu entries, limit %llu\n", what, n,
                (unsigned long long)max);
        abort();
    }
}

/* Check a finished report (public fields only). */
static inline void
fz_check_report(const wp_report *r, const wp_limits *lim)
{
    if (fz_check_level() == FZ_CHECK_NONE)
        return;
    fz_check_bound("findings", r->n_findings, wp_limit(lim, WP_LIMIT_FINDINGS));
    fz_check_bound("urls", r->n_urls, wp_limit(lim, WP_LIMIT_URLS));
    /* parts: the walker stops at max_mime_parts */
    fz_check_bound("parts", r->n_parts, wp_limit(lim, WP_LIMIT_MIME_PARTS));
    fz_check_str("source", 0, r->source);
    const char *hdr[] = {r->from,    r->sender,     r->reply_to, r->return_path, r->to,      r->cc,
                         r->subject, r->message_id, r->date,     r->in_reply_to, r->x_mailer};
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++)
        fz_check_str("header", i, hdr[i]);
    for (size_t i = 0; i < r->n_received; i++)
        fz_check_str("received", i, r->received[i]);
    for (size_t i = 0; i < r->n_authentication_results; i++)
        fz_check_str("authentication_results", i, r->authentication_results[i]);
    for (size_t i = 0; i < r->n_parts; i++) {
        const wp_part *p = &r->parts[i];
        fz_check_str("part.id", i, p->id);
        fz_check_str("part.parent", i, p->parent);
        fz_check_str("part.content_type", i, p->content_type);
        fz_check_str("part.charset", i, p->charset);
        fz_check_str("part.encoding", i, p->encoding);
        fz_check_str("part.disposition", i, p->disposition);
        fz_check_str("part.filename", i, p->filename);
    }
    for (size_t i = 0; i < r->n_objects; i++) {
        const wp_object *o = &r->objects[i];
        fz_check_str("object.where", i, o->where);
        fz_check_str("object.name", i, o->name);
        fz_check_str("object.declared_type", i, o->declared_type);
        fz_check_str("object.true_type", i, o->true_type);
        fz_check_str("object.kind", i, o->kind);
    }
    for (size_t i = 0; i < r->n_urls; i++) {
        const wp_url *u = &r->urls[i];
        fz_check_str("url.url", i, u->url);
        fz_check_str("url.host", i, u->host);
        fz_check_str("url.text", i, u->text);
        fz_check_str("url.source", i, u->source);
        fz_check_str("url.where", i, u->where);
    }
    for (size_t i = 0; i < r->n_findings; i++) {
        const wp_finding *f = &r->findings[i];
        fz_check_str("finding.code", i, f->code);
        fz_check_str("finding.evidence", i, f->evidence);
        fz_check_str("finding.where", i, f->where);
    }
    fz_check_str("text_excerpt", 0, r->text_excerpt);
}

#endif
