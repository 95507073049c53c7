/*
 * bayes_int.h - the learned token classifier: pieces shared by the scan-time module
 * (module.c), the learner (learn.c) and the tests.
 *
 *   hash.c      SipHash-2-4 of a token under a fixed key, never 0
 *   tokset.c    the set of one message's unique token hashes, capped
 *   tokenize.c  message -> tokens ("s:invoice", "u:example.com"), era artifacts left out
 *   model.c     the in-memory token table and Robinson/Fisher chi-square combining
 *   store.c     the SQLite file: schema, version check, loading the table
 *   module.c    the analyzer module (settings, open, analyze, close)
 *   learn.c     the public learner of watchpost/bayes.h
 *
 * The tokenizer version is stored in the database: a change to what tokenize.c emits must
 * bump WP_BAYES_TOKENIZER_VERSION, so a model trained on other tokens is refused instead of
 * silently mismatching.
 */
#ifndef WATCHPOST_BAYES_INT_H
#define WATCHPOST_BAYES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "engine/scan.h"
#include "watchpost/bayes.h"

#define WP_BAYES_SCHEMA_VERSION    1
#define WP_BAYES_TOKENIZER_VERSION 1

#define WP_BAYES_WORD_MIN   3    /* characters; shorter words carry no signal */
#define WP_BAYES_WORD_MAX   24   /* characters; longer runs are ids, base64, junk */
#define WP_BAYES_MAX_TOKENS 3000 /* unique tokens per message */
#define WP_BAYES_TOKSET_CAP 8192 /* hash slots: a power of two, > 2 x WP_BAYES_MAX_TOKENS */
#define WP_BAYES_MAX_MODEL  (8u * 1024u * 1024u) /* tokens loaded from a database */

/* ---- hash.c ---- */
uint64_t wp_bayes_hash(const void *data, size_t len); /* never 0 (0 marks an empty slot) */

/* ---- tokset.c ---- */
typedef struct wp_bayes_tokset {
    uint64_t slot[WP_BAYES_TOKSET_CAP];
    uint64_t list[WP_BAYES_MAX_TOKENS]; /* insertion order */
    size_t n;
    bool full; /* tokens were dropped at WP_BAYES_MAX_TOKENS */
} wp_bayes_tokset;

void wp_bayes_tokset_clear(wp_bayes_tokset *t);
/* false when the set is full (the token is dropped) */
bool wp_bayes_tokset_add(wp_bayes_tokset *t, uint64_t h);
bool wp_bayes_tokset_has(const wp_bayes_tokset *t, uint64_t h);
/* A key for "the same message": the hash of the sorted token set. 0 for an empty set. */
uint64_t wp_bayes_tokset_key(const wp_bayes_tokset *t);

/* ---- tokenize.c ---- */
/* tok is "<prefix>:<text>", not NUL-terminated, valid UTF-8 without controls. */
typedef void (*wp_bayes_emit_fn)(void *ctx, const char *tok, size_t len);

/* Every token of the message in s (its report's headers, URLs and objects, and s->body),
 * with duplicates; callers dedupe. Bounded by the body size cap of the walker. */
void wp_bayes_tokenize(const wp_scan *s, wp_bayes_emit_fn emit, void *ctx);
/* The same over one piece of text with a prefix ("b", "s", ...): for tests and the fuzzer. */
void wp_bayes_tokenize_text(const char *prefix, const char *txt, size_t len, wp_bayes_emit_fn emit,
                            void *ctx);
/* Registrable part of a host name ("a.b.example.co.uk" -> "example.co.uk"), written to out
 * (lower case); "ip" for address literals; false when nothing usable is left. */
bool wp_bayes_registrable(const char *host, char *out, size_t outlen);

/* Emit callback that adds the hash of each token to a wp_bayes_tokset (ctx). */
void wp_bayes_emit_to_set(void *ctx, const char *tok, size_t len);

/* ---- model.c ---- */
typedef struct wp_bayes_entry {
    uint64_t h; /* 0: empty */
    uint32_t spam, ham;
} wp_bayes_entry;

typedef struct wp_bayes_model {
    wp_bayes_entry *tab;
    size_t cap, n; /* cap: a power of two */
    uint64_t nspam, nham;
} wp_bayes_model;

wp_status wp_bayes_model_init(wp_bayes_model *m, size_t expected);
void wp_bayes_model_fini(wp_bayes_model *m);
/* Adds counts to a token (insert when new); the table never grows past its init size x 2. */
wp_status wp_bayes_model_put(wp_bayes_model *m, uint64_t h, uint32_t spam, uint32_t ham);
const wp_bayes_entry *wp_bayes_model_get(const wp_bayes_model *m, uint64_t h);

#define WP_BAYES_MAX_CLUES 150

typedef struct wp_bayes_clue {
    uint64_t h;
    double prob; /* Robinson's f(w) */
} wp_bayes_clue;

typedef struct wp_bayes_result {
    double prob; /* 0 = ham, 1 = spam, 0.5 = no opinion */
    size_t n_clues;
    wp_bayes_clue clues[WP_BAYES_MAX_CLUES]; /* most significant first */
} wp_bayes_result;

/* Robinson/Fisher chi-square combining over the most significant tokens of set. */
void wp_bayes_classify(const wp_bayes_model *m, const wp_bayes_tokset *set, wp_bayes_result *out);
/* chi-square survival function for even degrees of freedom (exposed for tests) */
double wp_bayes_chi2q(double x2, unsigned dof);

/* ---- store.c ---- */
/* Open (and with create, make) a database and check its versions. err names the path. */
wp_status wp_bayes_store_open(const char *path, bool create, sqlite3 **out, char *err,
                              size_t errlen);
/* Load totals and every token into m (initialised here). */
wp_status wp_bayes_store_load(sqlite3 *db, const char *path, wp_bayes_model *m, char *err,
                              size_t errlen);

/* ---- module.c ---- */
/* The module's state; the learner installs one with capture set in its private engine, so
 * analyze hands the tokens to the learner instead of classifying. */
typedef struct wp_bayes_state {
    wp_bayes_model model;
    unsigned min_learned;
    wp_bayes_tokset *capture;
} wp_bayes_state;

#endif
