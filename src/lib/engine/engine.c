/*
 * engine.c - engines (shared, immutable), scanners (per thread) and wp_scan_message().
 *
 * libyara and GMime need one process-wide initialisation each; it is done once behind a
 * pthread_once so the library keeps no other global state. Rule files are compiled once at
 * engine creation; a compile error names the file and line and fails the creation.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "content/content.h"
#include "core/util.h"
#include "mail/mail.h"
#include "scan.h"

typedef struct wp_report_priv {
    wp_report pub; /* first: a wp_report* is a wp_report_priv* */
    wp_arena *arena;
    const wp_yara_match *yara;
    size_t n_yara;
} wp_report_priv;

static pthread_once_t yara_once = PTHREAD_ONCE_INIT;
static int yara_init_rc = ERROR_SUCCESS;

static void
yara_init(void)
{
    yara_init_rc = yr_initialize();
}

void
wp_engine_config_init(wp_engine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    wp_limits_init(&cfg->limits);
}

typedef struct compile_ctx {
    char *err;
    size_t errlen;
    int errors;
} compile_ctx;

static void
on_compile_error(int level, const char *file, int line, const YR_RULE *rule, const char *msg,
                 void *user)
{
    (void)rule;
    compile_ctx *c = user;
    if (level != YARA_ERROR_LEVEL_ERROR)
        return;
    if (c->errors++ == 0)
        snprintf(c->err, c->errlen, "%s:%d: %s", file ? file : "(rules)", line, msg);
}

static bool
is_rule_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".yar") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".yara") == 0);
}

static wp_status
add_rule_file(YR_COMPILER *comp, const char *path, compile_ctx *cc)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(cc->err, cc->errlen, "%s: %s", path, strerror(errno));
        return WP_EIO;
    }
    int errors = yr_compiler_add_file(comp, f, NULL, path);
    fclose(f);
    return errors > 0 ? WP_EPARSE : WP_OK;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory contributes its *.yar and *.yara files (not recursive), in name order. */
static wp_status
add_rule_path(YR_COMPILER *comp, const char *path, compile_ctx *cc, size_t *nfiles)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(cc->err, cc->errlen, "%s: %s", path, strerror(errno));
        return WP_EIO;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*nfiles)++;
        return add_rule_file(comp, path, cc);
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        snprintf(cc->err, cc->errlen, "%s: %s", path, strerror(errno));
        return WP_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    wp_status st2 = WP_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !is_rule_file(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof(char *));
            if (nn == NULL) {
                st2 = WP_ENOMEM;
                break;
            }
            names = nn;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            st2 = WP_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (st2 == WP_OK)
        qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (st2 == WP_OK) {
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", path, names[i]);
            (*nfiles)++;
            st2 = add_rule_file(comp, full, cc);
        }
        free(names[i]);
    }
    free(names);
    return st2;
}

wp_status
wp_engine_new(const wp_engine_config *cfg, wp_engine **out, char *err, size_t errlen)
{
    char dummy[8];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    pthread_once(&yara_once, yara_init);
    if (yara_init_rc != ERROR_SUCCESS) {
        snprintf(err, errlen, "yr_initialize failed (%d)", yara_init_rc);
        return WP_EINTERNAL;
    }
    wp_mail_global_init();
    wp_engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return WP_ENOMEM;
    e->limits = cfg->limits;
    e->log = cfg->log;
    e->log_ctx = cfg->log_ctx;
    if (cfg->magic_file != NULL && (e->magic_file = strdup(cfg->magic_file)) == NULL) {
        free(e);
        return WP_ENOMEM;
    }
    if (cfg->n_rule_paths > 0) {
        YR_COMPILER *comp = NULL;
        if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
            wp_engine_free(e);
            return WP_ENOMEM;
        }
        compile_ctx cc = {.err = err, .errlen = errlen};
        yr_compiler_set_callback(comp, on_compile_error, &cc);
        wp_status st = WP_OK;
        size_t nfiles = 0;
        for (size_t i = 0; i < cfg->n_rule_paths && st == WP_OK; i++)
            st = add_rule_path(comp, cfg->rule_paths[i], &cc, &nfiles);
        if (st == WP_OK && yr_compiler_get_rules(comp, &e->rules) != ERROR_SUCCESS) {
            snprintf(err, errlen, "cannot build YARA rules");
            st = WP_EINTERNAL;
        }
        yr_compiler_destroy(comp);
        if (st != WP_OK) {
            wp_engine_free(e);
            return st;
        }
        YR_RULE *rule;
        yr_rules_foreach(e->rules, rule)
        {
            e->rule_count++;
        }
    }
    wp_status mst = wp_modules_open(e, cfg, err, errlen);
    if (mst != WP_OK) {
        wp_engine_free(e);
        return mst;
    }
    *out = e;
    return WP_OK;
}

void
wp_engine_free(wp_engine *e)
{
    if (e == NULL)
        return;
    wp_modules_close(e);
    if (e->rules != NULL)
        yr_rules_destroy(e->rules);
    free(e->magic_file);
    free(e);
}

size_t
wp_engine_rule_count(const wp_engine *e)
{
    return e->rule_count;
}

struct scanner_priv {
    struct wp_scanner pub;
    wp_mail_ctx *mail;
};

wp_status
wp_scanner_new(wp_engine *e, wp_scanner **out)
{
    struct scanner_priv *sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        return WP_ENOMEM;
    wp_scanner *s = &sp->pub;
    s->eng = e;
    /* MIME types only; compressed-file and ELF-detail checks cost time and add nothing to
     * what the sniffer and libarchive already tell */
    s->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
                          MAGIC_NO_CHECK_TAR | MAGIC_ERROR);
    if (s->magic == NULL || magic_load(s->magic, e->magic_file) != 0) {
        if (e->log != NULL)
            e->log(e->log_ctx, WP_LOG_WARN,
                   "libmagic database not loaded; true types from "
                   "watchpost's own sniffing only");
        if (s->magic != NULL)
            magic_close(s->magic);
        s->magic = NULL;
    }
    if (e->rules != NULL) {
        if (yr_scanner_create(e->rules, &s->yara) != ERROR_SUCCESS) {
            wp_scanner_free(s);
            return WP_ENOMEM;
        }
        /* NO_TRYCATCH: YARA only ever scans heap buffers here, never a mapped file that
         * could shrink under it, so the SIGSEGV/SIGBUS guard (two sigaction calls and a
         * sigsetjmp per scanned part, ~2% of all time on phishing mail) buys nothing. */
        yr_scanner_set_flags(s->yara, SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH);
    }
    sp->mail = wp_mail_ctx_new();
    if (sp->mail == NULL) {
        wp_scanner_free(s);
        return WP_ENOMEM;
    }
    *out = s;
    return WP_OK;
}

void
wp_scanner_free(wp_scanner *s)
{
    if (s == NULL)
        return;
    struct scanner_priv *sp = (struct scanner_priv *)s;
    if (s->magic != NULL)
        magic_close(s->magic);
    if (s->yara != NULL)
        yr_scanner_destroy(s->yara);
    wp_mail_ctx_free(sp->mail);
    free(sp);
}

wp_status
wp_scan_message(wp_scanner *sc, const uint8_t *data, size_t len, wp_report **out)
{
    return wp_scan_message_env(sc, data, len, NULL, out);
}

wp_status
wp_scan_message_env(wp_scanner *sc, const uint8_t *data, size_t len, const wp_envelope *env,
                    wp_report **out)
{
    struct timespec ts0;
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    wp_arena *a = wp_arena_new((size_t)wp_limit(&sc->eng->limits, WP_LIMIT_MEMORY_BYTES));
    if (a == NULL)
        return WP_ENOMEM;
    wp_report_priv *rp = wp_arena_alloc(a, sizeof(*rp));
    if (rp == NULL) {
        wp_arena_free(a);
        return WP_ENOMEM;
    }
    rp->arena = a;
    wp_report *r = &rp->pub;
    r->schema_version = WP_REPORT_SCHEMA_VERSION;
    r->size = len;
    if (data == NULL)
        data = (const uint8_t *)"";
    wp_scan s = {.sc = sc,
                 .eng = sc->eng,
                 .lim = &sc->eng->limits,
                 .a = a,
                 .r = r,
                 .raw = data,
                 .raw_len = len,
                 .env = env};
    s.deadline_ns = (uint64_t)ts0.tv_sec * 1000000000u + (uint64_t)ts0.tv_nsec +
                    wp_limit(&sc->eng->limits, WP_LIMIT_SCAN_TIME_MS) * 1000000u;
    /* room for findings up front, so LIMIT_MEMORY can still be recorded when the budget is
     * spent (it needs no allocation then: static strings, a reserved slot) */
    wp_arena_grow(a, (void **)&r->findings, &s.cap_findings, 16, sizeof(wp_finding));
    sc->cur = &s;
    wp_mail_walk(&s, ((struct scanner_priv *)sc)->mail, data, len);
    sc->cur = NULL;
    wp_modules_analyze(&s);
    const wp_finding_def *d = wp_finding_lookup("LIMIT_MEMORY");
    bool recorded = false;
    for (size_t i = 0; i < r->n_findings; i++)
        recorded = recorded || r->findings[i].code == d->code;
    /* the limit bit may be set while the finding itself could not be allocated: check the
     * list, not the bit */
    if (wp_arena_exhausted(a) && !recorded && r->findings != NULL && s.cap_findings > 0) {
        size_t slot = r->n_findings < s.cap_findings ? r->n_findings++ : r->n_findings - 1;
        r->findings[slot] = (wp_finding){d->code,
                                         d->category,
                                         d->weight,
                                         "per-message memory budget (max_memory_bytes) "
                                         "exhausted; the analysis is incomplete",
                                         "message",
                                         0};
    }
    if (s.text != NULL)
        r->text_excerpt = s.text;
    wp_modules_score(&s);
    rp->yara = s.yara;
    rp->n_yara = s.n_yara;
    struct timespec ts1;
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    r->scan_ms =
        (double)(ts1.tv_sec - ts0.tv_sec) * 1e3 + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6;
    *out = r;
    return WP_OK;
}

void
wp_report_free(wp_report *r)
{
    if (r == NULL)
        return;
    wp_arena_free(((wp_report_priv *)r)->arena);
}

wp_status
wp_report_set_source(wp_report *r, const char *source)
{
    wp_arena *a = ((wp_report_priv *)r)->arena;
    const char *c = wp_arena_sanitize(a, source, strlen(source), 4096);
    if (c == NULL)
        return WP_ENOMEM;
    r->source = c;
    return WP_OK;
}

const wp_yara_match *
wp_report_yara(const wp_report *r, size_t *n)
{
    const wp_report_priv *rp = (const wp_report_priv *)r;
    *n = rp->n_yara;
    return rp->yara;
}

int
wp_report_weight(const wp_report *r)
{
    int w = 0;
    for (size_t i = 0; i < r->n_findings; i++)
        w += r->findings[i].weight;
    return w;
}
