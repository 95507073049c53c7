/*
 * fuzz_internal.h - a wp_scan built by hand, as engine.c's wp_scan_message() builds one, so a
 * target can call an internal analyzer (wp_content_analyze, wp_html_analyze ...) directly
 * without paying for MIME parsing and transfer decoding on every input.
 *
 * The report lives in the scan's arena and is released with it; it is not a wp_report from
 * wp_scan_message() (engine.c keeps private data after it), so it must not be given to
 * wp_report_free(), wp_report_set_source() or wp_report_to_json(). Its public fields and the
 * YARA matches are checked with the invariants of fuzz_common.h instead.
 */
#ifndef WATCHPOST_FUZZ_INTERNAL_H
#define WATCHPOST_FUZZ_INTERNAL_H

#include "fuzz_common.h"

#include "core/arena.h"
#include "engine/scan.h"

static inline int
fz_scan_begin(wp_scan *s, wp_scanner *sc, size_t size)
{
    memset(s, 0, sizeof(*s));
    wp_arena *a = wp_arena_new((size_t)wp_limit(&sc->eng->limits, WP_LIMIT_MEMORY_BYTES));
    if (a == NULL)
        return 0;
    wp_report *r = wp_arena_alloc(a, sizeof(*r));
    if (r == NULL) {
        wp_arena_free(a);
        return 0;
    }
    r->schema_version = WP_REPORT_SCHEMA_VERSION;
    r->size = size;
    s->sc = sc;
    s->eng = sc->eng;
    s->lim = &sc->eng->limits;
    s->a = a;
    s->r = r;
    sc->cur = s;
    return 1;
}

static inline void
fz_scan_end(wp_scan *s)
{
    s->sc->cur = NULL;
    if (s->text != NULL)
        s->r->text_excerpt = s->text;
    fz_check_report(s->r, s->lim);
    for (size_t i = 0; i < s->n_yara; i++) {
        fz_check_str("yara.where", i, s->yara[i].where);
        fz_check_str("yara.rule", i, s->yara[i].rule);
        fz_check_str("yara.tags", i, s->yara[i].tags);
    }
    wp_arena_free(s->a);
    s->a = NULL;
}

#endif
