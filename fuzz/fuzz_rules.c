/*
 * fuzz_rules.c - the content rule-file parser (src/lib/rules/parse.c), meta-expression
 * resolution (meta.c) and, for what parses, the Hyperscan compile (compile.c).
 *
 * Input: the text of one rule file. At most 16 rules may be defined (the ruleset's max_rules
 * is lowered) and only inputs whose patterns total 512 bytes or less are compiled, so a
 * Hyperscan compile stays in the milliseconds. Nothing is cached on disk. Each compiled set
 * is also run once over a small wp_scan built from the input itself (as body and subject), so
 * the match callback, excerpts and evidence are checked against the report invariants.
 */
#include "fuzz_internal.h"

#include "rules/rules.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_ruleset *rs = wp_rules_new();
    if (rs == NULL)
        return 0;
    rs->max_rules = 16;
    char err[512];
    const char *txt = size ? (const char *)data : "";
    wp_status st = wp_rules_parse(rs, "fuzz.rules", txt, size, err, sizeof err);
    if (st == WP_OK)
        st = wp_rules_resolve(rs, NULL, 0, err, sizeof err);
    size_t pat = 0;
    for (size_t i = 0; i < rs->n_rules; i++)
        pat += rs->rules[i].pattern ? strlen(rs->rules[i].pattern) : 0;
    if (st == WP_OK && pat <= 512)
        st = wp_rules_compile(rs, err, sizeof err);
    else
        st = WP_ELIMIT;
    if (st == WP_OK) {
        wp_scanner *sc = fz_scanner(0);
        wp_scan s;
        if (fz_scan_begin(&s, sc, size)) {
            size_t n = size < 4096 ? size : 4096;
            char *body = wp_arena_strndup(s.a, txt, n);
            if (body != NULL) {
                s.body = body;
                s.body_len = n;
                s.r->subject = wp_arena_sanitize(s.a, txt, n, 256);
                s.raw = (const uint8_t *)txt;
                s.raw_len = n;
                wp_rules_analyze(&s, rs);
            }
            fz_scan_end(&s);
        }
    }
    wp_rules_free(rs);
    return 0;
}
