/*
 * scan.c - appending to the report under construction, each append bounded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <strings.h>

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
    [WP_LIMIT_SCAN_TIME_MS] = "LIMIT_TIME",
};

static void add_finding(wp_scan *s, const char *code, int weight, const char *where,
                        const char *fmt, va_list ap) WP_PRINTF(5, 0);

static void
add_finding(wp_scan *s, const char *code, int weight, const char *where, const char *fmt,
            va_list ap)
{
    const wp_finding_def *def = wp_finding_lookup(code);
    if (def == NULL) {
        /* A code missing from the catalogue is a programming error, not an input problem;
         * the library does not abort or print for it (the front end owns the process): it
         * says so through the engine's log and drops the finding. tests/unit keeps the
         * catalogue and every code in use equal. */
        if (s->eng != NULL && s->eng->log != NULL) {
            char msg[160];
            snprintf(msg, sizeof msg, "BUG: finding code %.64s is not in the catalogue", code);
            s->eng->log(s->eng->log_ctx, WP_LOG_ERROR, msg);
        }
        return;
    }
    wp_report *r = s->r;
    char *raw = wp_arena_vprintf(s->a, fmt, ap);
    if (raw == NULL)
        return;
    /* Evidence is one printable line of valid UTF-8 whatever an analyzer quoted from the
     * message (a folded header, a domain taken from a raw 8-bit header, a bidi control): the
     * one place every finding passes, so no analyzer can get it wrong. Invalid bytes become
     * U+FFFD, controls and hidden format characters a visible [U+XXXX] (core/arena.c). The
     * cap leaves room for that expansion, so nothing is cut. */
    size_t rawlen = strlen(raw);
    char *ev = wp_arena_sanitize(s->a, raw, rawlen, rawlen * 8 + 8);
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
            *f = (wp_finding){ld->code,
                              ld->category,
                              ld->weight,
                              wp_arena_printf(s->a, "more than %llu findings; the rest dropped",
                                              (unsigned long long)max),
                              "message",
                              0};
        }
        return;
    }
    if (!wp_arena_grow(s->a, (void **)&r->findings, &s->cap_findings, r->n_findings + 1,
                       sizeof(wp_finding)))
        return;
    r->findings[r->n_findings++] =
        (wp_finding){def->code, def->category, weight, ev, wp_arena_strdup(s->a, where), 0};
    if (r->findings[r->n_findings - 1].where == NULL)
        r->findings[r->n_findings - 1].where = "message";
}

void
wp_scan_finding(wp_scan *s, const char *code, const char *where, const char *fmt, ...)
{
    const wp_finding_def *def = wp_finding_lookup(code);
    va_list ap;
    va_start(ap, fmt);
    add_finding(s, code, wp_scan_weight(s, def), where, fmt, ap);
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
    add_finding(s, limit_codes[id], wp_scan_weight(s, def), where, fmt, ap);
    va_end(ap);
    return false;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool
wp_scan_out_of_time(wp_scan *s, const char *where)
{
    if (s->out_of_time)
        return true;
    if (s->deadline_ns == 0 || now_ns() < s->deadline_ns)
        return false;
    s->out_of_time = true;
    wp_scan_limit(s, WP_LIMIT_SCAN_TIME_MS, where,
                  "the scan took more than %llu ms (max_scan_ms) and stopped here; the rest of "
                  "the message was not analysed",
                  (unsigned long long)wp_limit(s->lim, WP_LIMIT_SCAN_TIME_MS));
    return true;
}

uint64_t
wp_scan_ms_left(const wp_scan *s)
{
    if (s->out_of_time)
        return 0;
    if (s->deadline_ns == 0)
        return wp_limit(s->lim, WP_LIMIT_SCAN_TIME_MS);
    uint64_t t = now_ns();
    return t >= s->deadline_ns ? 0 : (s->deadline_ns - t) / 1000000u + 1;
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

/* Words that introduce an archive password in a lure ("the password is 4711"). */
static const char *const pw_words[] = {
    "password",
    "passwort",
    "passcode",
    "pass:",
    "pwd",
    "kennwort",
    "mot de passe",
    "contrase\xc3\xb1"
    "a",
    "senha",
    "\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c",
    "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89", /* パスワード */
    "\xe5\xaf\x86\xe7\xa0\x81",                                     /* 密码 */
    "\xeb\xb9\x84\xeb\xb0\x80\xeb\xb2\x88\xed\x98\xb8",             /* 비밀번호 */
    NULL};

static bool
pw_sep(unsigned char c)
{
    return c == ' ' || c == ':' || c == '=' || c == '"' || c == '\'' || c == '\t' || c == '-' ||
           c == '(' || c == '[' || c == 0xEF || c == 0xBC || c == 0x9A || c == 0xE3 || c == 0x80 ||
           c == 0x8C || c == 0x8D; /* full-width colon, CJK brackets */
}

void
wp_scan_note_passwords(wp_scan *s, const char *txt, size_t len)
{
    for (size_t k = 0; pw_words[k] != NULL && s->n_passwords < 8; k++) {
        size_t wl = strlen(pw_words[k]);
        const char *p = txt, *end = txt + len;
        while (p < end && s->n_passwords < 8) {
            const char *hit = wp_memcasemem(p, (size_t)(end - p), pw_words[k], wl);
            if (hit == NULL)
                break;
            const char *q = hit + wl;
            /* skip separators and the filler words "is" / "ist" / "est" */
            for (int guard = 0; guard < 24 && q < end; guard++) {
                if (pw_sep((unsigned char)*q)) {
                    q++;
                } else if (end - q >= 3 && (strncasecmp(q, "is ", 3) == 0)) {
                    q += 3;
                } else if (end - q >= 4 &&
                           (strncasecmp(q, "ist ", 4) == 0 || strncasecmp(q, "est ", 4) == 0)) {
                    q += 4;
                } else {
                    break;
                }
            }
            const char *t = q;
            while (q < end && q - t < 64 && *q != ' ' && *q != '\n' && *q != '\r' && *q != '\t' &&
                   *q != '"' && *q != '\'' && *q != '<')
                q++;
            size_t tl = (size_t)(q - t);
            while (tl > 0 && strchr(".,;)]", t[tl - 1]) != NULL)
                tl--;
            if (tl >= 3 && tl <= 64) {
                bool dup = false;
                for (size_t i = 0; i < s->n_passwords; i++)
                    dup = dup ||
                          (strlen(s->passwords[i]) == tl && memcmp(s->passwords[i], t, tl) == 0);
                char *pw = dup ? NULL : wp_arena_strndup(s->a, t, tl);
                if (pw != NULL)
                    s->passwords[s->n_passwords++] = pw;
            }
            p = hit + wl;
        }
    }
}

static void
add_body_text(wp_scan *s, const char *txt, size_t len)
{
    if (len == 0 || s->body_truncated)
        return;
    size_t need = s->body_len + len + 2;
    if (need > WP_BODY_TEXT_MAX + 2) {
        s->body_truncated = true;
        len = WP_BODY_TEXT_MAX - s->body_len;
        while (len > 0 && ((unsigned char)txt[len] & 0xC0) == 0x80)
            len--; /* do not cut a UTF-8 sequence */
        need = s->body_len + len + 2;
    }
    if (!wp_arena_grow(s->a, (void **)&s->body, &s->body_cap, need, 1))
        return;
    if (s->body_len > 0)
        s->body[s->body_len++] = '\n';
    memcpy(s->body + s->body_len, txt, len);
    s->body_len += len;
    s->body[s->body_len] = '\0';
}

void
wp_scan_add_text(wp_scan *s, const char *txt, size_t len)
{
    s->r->text_bytes += len;
    add_body_text(s, txt, len);
    if (s->want_passwords && s->n_passwords < 8 && len > 0)
        wp_scan_note_passwords(s, txt, len);
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
