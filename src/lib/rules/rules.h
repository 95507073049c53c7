/*
 * rules.h - content rules: header/body/URL/attachment-name regular expressions, compiled
 * with Hyperscan, each with a category and a weight (docs/CONTENT-RULES.md).
 *
 * A wp_ruleset is built in three steps: wp_rules_parse() for each rule file (one rule per
 * logical line), wp_rules_resolve() (meta rules' names to indices, rules.disable), and
 * wp_rules_compile() (one Hyperscan block-mode database per target). After that it is
 * immutable and shared by every scanner thread; the only mutable part is the pool of
 * Hyperscan scratch spaces, guarded by its own mutex. wp_rules_free(NULL) is a no-op.
 *
 * Errors name the file and line: "/etc/wp/x.rules:12: rule FOO: unknown target 'bdy'".
 */
#ifndef WATCHPOST_RULES_RULES_H
#define WATCHPOST_RULES_RULES_H

#include <hs/hs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/scan.h"
#include "watchpost/finding.h"

/* Hard bounds on rule files (a rule file is configuration, but a wrong path can point the
 * parser at anything). */
#define WP_RULES_MAX_RULES     10000u
#define WP_RULES_MAX_LINE      8192u                /* one logical line, continuations joined */
#define WP_RULES_MAX_PATTERN   4096u                /* one regular expression */
#define WP_RULES_MAX_NAME      64u                  /* rule names and header names */
#define WP_RULES_MAX_DESC      512u                 /* description */
#define WP_RULES_MAX_FILE      (4u * 1024u * 1024u) /* bytes of one rule file */
#define WP_RULES_MAX_FILES     256u                 /* rule files, all directories together */
#define WP_RULES_MAX_META_TOK  128u                 /* tokens of one meta expression */
#define WP_RULES_MAX_HEADERS   64u                  /* distinct header:Name targets */
#define WP_RULES_MAX_WEIGHT    100                  /* |weight| of one rule */
#define WP_RULES_HDR_VALUE_MAX (16u * 1024u)        /* unfolded header value scanned */
#define WP_RULES_HDR_FIELDS    1000u                /* header fields looked at per message */
#define WP_RULES_EXCERPT       60u                  /* bytes of matched text quoted in evidence */

typedef enum wp_rule_target {
    WP_RT_SUBJECT,
    WP_RT_FROM,
    WP_RT_HEADER, /* header:Name */
    WP_RT_BODY,
    WP_RT_URL,
    WP_RT_ATTACHMENT_NAME,
    WP_RT_META, /* not a target: a combination of other rules */
    WP_RT__COUNT
} wp_rule_target;

/* Meta expressions are kept in reverse Polish notation: operands are rule indices >= 0,
 * operators are the negative codes below. */
enum { WP_META_NOT = -1, WP_META_AND = -2, WP_META_OR = -3 };

typedef struct wp_rule {
    char *name;
    wp_category cat;
    int weight;
    wp_rule_target target;
    char *header;   /* WP_RT_HEADER: the header name as written */
    char *pattern;  /* the expression without delimiters and flags */
    unsigned flags; /* HS_FLAG_* */
    char *desc;     /* "" when none */
    char *file;     /* where the rule was defined, for errors */
    unsigned line;
    char *meta_src; /* WP_RT_META: the expression as written, resolved later */
    int *rpn;       /* WP_RT_META after wp_rules_resolve() */
    size_t n_rpn;
    bool disabled; /* rules.disable: never fires, metas see it as false */
} wp_rule;

/* One Hyperscan database: all rules of one target (and one header name). */
typedef struct wp_rule_db {
    wp_rule_target target;
    char *header; /* WP_RT_HEADER */
    hs_database_t *db;
    bool utf8; /* some expression has HS_FLAG_UTF8: input must be valid UTF-8 */
} wp_rule_db;

typedef struct wp_scratch_pool {
    pthread_mutex_t mu;
    hs_scratch_t *proto; /* big enough for every database; cloned, never scanned with */
    hs_scratch_t **idle;
    size_t n_idle, cap_idle;
} wp_scratch_pool;

typedef struct wp_ruleset {
    wp_rule *rules;
    size_t n_rules, cap_rules;
    size_t max_rules; /* WP_RULES_MAX_RULES unless lowered (the fuzzer lowers it) */
    wp_rule_db *dbs;
    size_t n_dbs;
    bool pool_ready;
    wp_scratch_pool pool;
    char *cache_dir; /* compiled databases kept here (cache.c); NULL: always compile */
} wp_ruleset;

wp_ruleset *wp_rules_new(void);
void wp_rules_free(wp_ruleset *rs);

/* Parse one rule file's text (len bytes, not NUL-terminated) and append its rules. file is
 * the name used in errors. Stops at the first error. */
wp_status wp_rules_parse(wp_ruleset *rs, const char *file, const char *text, size_t len, char *err,
                         size_t errlen);
/* Load a file, or every *.rules file of a directory in name order. */
wp_status wp_rules_load_path(wp_ruleset *rs, const char *path, char *err, size_t errlen);
/* Index of the rule called name, -1 when none. */
long wp_rules_find(const wp_ruleset *rs, const char *name);
/* Resolve meta expressions (meta.c) and mark the named rules disabled. */
wp_status wp_rules_resolve(wp_ruleset *rs, const char *const *disable, size_t n_disable, char *err,
                           size_t errlen);
/* Compile one database per target and the scratch prototype (compile.c). */
wp_status wp_rules_compile(wp_ruleset *rs, char *err, size_t errlen);

/* meta.c: parse a meta expression into RPN over rules defined before index self. */
wp_status wp_meta_compile(const wp_ruleset *rs, size_t self, char *err, size_t errlen);
/* Evaluate rule i's RPN against fired[]; the expression is well formed by construction. */
bool wp_meta_eval(const wp_rule *r, const unsigned char *fired);

/* compile.c: a scratch space for this thread's scan, and back. NULL when out of memory. */
hs_scratch_t *wp_scratch_take(wp_ruleset *rs);
void wp_scratch_give(wp_ruleset *rs, hs_scratch_t *sc);

/* cache.c: compiled databases on disk, keyed by the SHA-256 of what they were compiled from.
 * Loading returns NULL on any miss or doubt; storing is best effort. */
bool wp_rules_cache_default(char *buf, size_t cap);
void wp_rules_cache_key(const char *const *expr, const unsigned *flags, const unsigned *ids,
                        size_t n, char hex[65]);
hs_database_t *wp_rules_cache_load(const char *dir, const char *key);
void wp_rules_cache_store(const char *dir, const char *key, const hs_database_t *db);

/* match.c: run every rule on the scan and add RULE_<CATEGORY> findings. */
void wp_rules_analyze(wp_scan *s, wp_ruleset *rs);

const char *wp_rule_target_name(wp_rule_target t);

#endif
