/*
 * scan.h - the per-message scan context that the mail walker and the content analyzers share.
 *
 * One wp_scan lives for one wp_scan_message() call on one thread. It owns the arena the report
 * is built in, the running totals that limits are checked against, and the helpers that append
 * parts, objects, URLs and findings to the report. Every append is bounded: a full list records
 * a LIMIT_* finding once and drops the rest.
 */
#ifndef WATCHPOST_ENGINE_SCAN_H
#define WATCHPOST_ENGINE_SCAN_H

#include <magic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yara.h>

#include "core/arena.h"
#include "module.h"
#include "watchpost/engine.h"
#include "watchpost/report.h"

struct wp_engine {
    wp_limits limits;
    YR_RULES *rules; /* NULL when no rules were loaded */
    size_t rule_count;
    char *magic_file;
    wp_log_fn log;
    void *log_ctx;
    void *mod_state[WP_MOD__COUNT]; /* each analyzer module's state; NULL: module skipped */
};

struct wp_settings {
    void *mod[WP_MOD__COUNT]; /* each module's settings; NULL: nothing configured */
};

struct wp_scanner {
    wp_engine *eng;
    magic_t magic;       /* libmagic handles are not thread-safe: one per scanner */
    YR_SCANNER *yara;    /* NULL when no rules */
    struct wp_scan *cur; /* the scan in progress, for the YARA callback */
};

/* A YARA match, kept beside the findings so the JSON can show rule, tags and meta. */
typedef struct wp_yara_match {
    const char *where;
    const char *rule;
    const char *ns;
    const char *tags; /* comma-separated */
    const char **meta_keys;
    const char **meta_values;      /* strings as text; integers and booleans as literals */
    unsigned char *meta_is_string; /* per meta: 1 when the value is a string */
    size_t n_meta;
} wp_yara_match;

typedef struct wp_scan {
    wp_scanner *sc;
    wp_engine *eng;
    const wp_limits *lim;
    wp_arena *a;
    wp_report *r;
    size_t cap_parts, cap_objects, cap_urls, cap_findings, cap_received, cap_ar, cap_yara;
    wp_yara_match *yara;
    size_t n_yara;
    uint64_t archive_members;
    uint64_t archive_bytes;
    uint32_t limits_reported; /* bit per wp_limit_id already reported */
    uint64_t *url_seen;       /* url.c's open-addressing set of URL hashes */
    size_t n_seen, cap_seen;
    const char *passwords[8]; /* candidates seen in body text ("password: 1234"), tried on
                                 encrypted archive members */
    size_t n_passwords;
    bool want_passwords; /* the message carries a file a password might open */
    char *text;          /* visible text excerpt buffer */
    size_t text_len;
    /* For the analyzers: the raw message, what the MTA said, and the visible text of every
     * body part (text and HTML, decoded to UTF-8, parts separated by "\n"), capped at
     * WP_BODY_TEXT_MAX bytes. */
    const uint8_t *raw;
    size_t raw_len;
    const wp_envelope *env; /* NULL when scanning a stored file */
    char *body;
    size_t body_len, body_cap;
    bool body_truncated;
    uint64_t deadline_ns; /* CLOCK_MONOTONIC; past it the scan stops (max_scan_ms) */
    bool out_of_time;     /* LIMIT_TIME recorded: every later check says stop */
} wp_scan;

#define WP_BODY_TEXT_MAX (256u * 1024u)

/* modules.c: open every module's state at engine creation, close them, run them on a scan. */
wp_status wp_modules_open(wp_engine *e, const wp_engine_config *cfg, char *err, size_t errlen);
void wp_modules_close(wp_engine *e);
void wp_modules_analyze(wp_scan *s);
/* The verdict module: score the findings into the report's verdict (last of all). */
void wp_modules_score(wp_scan *s);

/* The weight of a finding code under this engine's configuration ("weight.CODE"), or the
 * catalogue default (verdict/score.c). def may be NULL (then 0). */
int wp_scan_weight(const wp_scan *s, const wp_finding_def *def);

/* The state of module id in this scan's engine (NULL when the module is skipped). */
static inline void *
wp_scan_module(const wp_scan *s, int id)
{
    return s->eng->mod_state[id];
}

/* Findings: category and weight from the catalogue; a code missing from it is a bug. */
void wp_scan_finding(wp_scan *s, const char *code, const char *where, const char *fmt, ...)
    WP_PRINTF(4, 5);
void wp_scan_finding_weighted(wp_scan *s, const char *code, int weight, const char *where,
                              const char *fmt, ...) WP_PRINTF(5, 6);
/* Record that limit id was hit (once per message per limit); returns false always so
 * callers can write `return wp_scan_limit(...)`. */
bool wp_scan_limit(wp_scan *s, wp_limit_id id, const char *where, const char *fmt, ...)
    WP_PRINTF(4, 5);

/* True once the scan is past its deadline (max_scan_ms); the first time, records LIMIT_TIME
 * at where. Checked where work repeats (MIME parts, archive members, decoded objects,
 * analyzers), so a message built to be slow costs its budget and no more. */
bool wp_scan_out_of_time(wp_scan *s, const char *where);
/* Milliseconds left before the deadline (at least 1 while time remains, 0 after). */
uint64_t wp_scan_ms_left(const wp_scan *s);

wp_part *wp_scan_add_part(wp_scan *s);
wp_object *wp_scan_add_object(wp_scan *s);
/* URL as found, with optional visible text; host is derived. Hostile text is sanitised. */
void wp_scan_add_url(wp_scan *s, const char *url, size_t len, const char *text, size_t tlen,
                     const char *source, const char *where);
/* Append visible body text (for the excerpt and text_bytes). */
void wp_scan_add_text(wp_scan *s, const char *txt, size_t len);
/* Remember archive password candidates announced in text ("password: 4711"); at most 8. */
void wp_scan_note_passwords(wp_scan *s, const char *txt, size_t len);
/* Extract URLs from plain text. */
void wp_scan_text_urls(wp_scan *s, const char *txt, size_t len, const char *where);

/* The YARA matches of a finished report (rule, namespace, tags, meta). */
const wp_yara_match *wp_report_yara(const wp_report *r, size_t *n);

/* Size of the visible-text excerpt kept in the report. */
#define WP_TEXT_EXCERPT 400

#endif
