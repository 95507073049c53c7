/*
 * fuzz_bayes.c - the learned classifier's tokenizer (src/lib/bayes/tokenize.c) on hostile
 * text, as the bayes module runs it on a scan: Subject, From, To and the visible body text.
 *
 * Input: up to three header lines, then the body: "SUBJECT\nFROM\nTO\nBODY..." (missing lines
 * are absent headers). Besides the report invariants, every token must be printable UTF-8,
 * carry a known prefix, hold no ASCII digit (the era-artifact rule) and be short enough.
 */
#include "fuzz_internal.h"

#include "bayes/bayes_int.h"

static void
check_token(void *ctx, const char *tok, size_t len)
{
    char buf[256];
    if (len == 0 || len >= sizeof buf)
        fz_die("bayes token length out of range", NULL);
    memcpy(buf, tok, len);
    buf[len] = '\0';
    if (memchr(tok, '\0', len) != NULL || fz_bad_utf8(buf, 2) >= 0)
        fz_die("bayes token is not printable UTF-8", buf);
    const char *colon = memchr(buf, ':', len);
    static const char *const prefixes[] = {"b", "s", "f", "fd", "u", "a", "ae"};
    int known = 0;
    for (size_t i = 0; colon != NULL && i < sizeof prefixes / sizeof prefixes[0]; i++)
        known |= strlen(prefixes[i]) == (size_t)(colon - buf) &&
                 memcmp(buf, prefixes[i], (size_t)(colon - buf)) == 0;
    if (!known || colon[1] == '\0')
        fz_die("bayes token without a known prefix or text", buf);
    for (const char *p = colon + 1; *p; p++)
        if (*p >= '0' && *p <= '9')
            fz_die("bayes token with a digit", buf);
    wp_bayes_emit_to_set(ctx, tok, len);
}

/* The next line of [*p, end) as a NUL-terminated arena string; NULL when none is left. */
static const char *
next_line(wp_scan *s, const char **p, const char *end)
{
    if (*p >= end)
        return NULL;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *e = nl != NULL ? nl : end;
    const char *line = wp_arena_strndup(s->a, *p, (size_t)(e - *p));
    *p = nl != NULL ? nl + 1 : end;
    return line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static wp_bayes_tokset *set;
    if (set == NULL && (set = malloc(sizeof(*set))) == NULL)
        return 0;
    wp_scanner *sc = fz_scanner(0);
    wp_scan s;
    if (!fz_scan_begin(&s, sc, size))
        return 0;
    const char *p = (const char *)data, *end = p + size;
    s.r->subject = next_line(&s, &p, end);
    s.r->from = next_line(&s, &p, end);
    s.r->to = next_line(&s, &p, end);
    if (p < end) {
        s.body = wp_arena_strndup(s.a, p, (size_t)(end - p));
        s.body_len = s.body != NULL ? (size_t)(end - p) : 0;
    }
    wp_bayes_tokset_clear(set);
    wp_bayes_tokenize(&s, check_token, set);
    if (set->n > WP_BAYES_MAX_TOKENS)
        fz_die("bayes token set over its cap", NULL);
    char reg[256];
    /* cut at label boundaries only: valid UTF-8 in, valid UTF-8 out */
    if (s.r->from != NULL && fz_bad_utf8(s.r->from, 0) < 0 &&
        wp_bayes_registrable(s.r->from, reg, sizeof reg) && fz_bad_utf8(reg, 0) >= 0)
        fz_die("registrable domain is not UTF-8", reg);
    /* the report's own strings are not sanitized here (set by hand): check only the
     * invariants that hold for any report */
    s.r->subject = s.r->from = s.r->to = NULL;
    fz_scan_end(&s);
    return 0;
}
