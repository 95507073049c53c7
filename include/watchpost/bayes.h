/*
 * watchpost/bayes.h - teaching the learned classifier a site's own mail.
 *
 * A wp_bayes is a learner on one SQLite model file (the file "bayes.db" names for scanning;
 * docs/BAYES.md). It owns a private engine built with the caller's limits, so a message is
 * taken apart and tokenized exactly as a scan with those limits takes it apart: pass the
 * limits you scan with. That engine runs the MIME walk only (no rules, no DNS).
 *
 *   wp_bayes *b; wp_bayes_open("/var/lib/watchpost/bayes.db", &cfg, &b, err, sizeof err);
 *   wp_bayes_learn(b, bytes, len, true, &outcome);   ... more messages ...
 *   wp_bayes_commit(b); wp_bayes_close(b);
 *
 * Learning is batched: changes are written in one transaction when wp_bayes_commit() is
 * called, every WP_BAYES_BATCH messages, and by wp_bayes_close(). A message is identified
 * by its token set: learning it twice as the same class changes nothing, learning it as the
 * other class moves it.
 *
 * Thread safety: one wp_bayes per thread. Scanning engines read a snapshot of the model
 * taken when they were created; a running engine does not see later learning.
 * Errors: calls return wp_status; wp_bayes_errmsg() says why, naming the file.
 */
#ifndef WATCHPOST_BAYES_H
#define WATCHPOST_BAYES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "status.h"

typedef struct wp_bayes wp_bayes;

#define WP_BAYES_BATCH 1000

typedef enum wp_bayes_outcome {
    WP_BAYES_LEARNED,   /* new message, counted */
    WP_BAYES_ALREADY,   /* learned before as this class: nothing changed */
    WP_BAYES_MOVED,     /* learned before as the other class: moved */
    WP_BAYES_FORGOTTEN, /* wp_bayes_forget: removed */
    WP_BAYES_UNKNOWN,   /* wp_bayes_forget: was never learned */
    WP_BAYES_NO_TOKENS  /* nothing to learn from (no text, no links, no attachments) */
} wp_bayes_outcome;

typedef struct wp_bayes_stats {
    uint64_t nspam, nham; /* learned messages per class */
    uint64_t ntokens;     /* distinct tokens in the model */
    int schema_version, tokenizer_version;
} wp_bayes_stats;

/* Open or create the model file at path. cfg supplies limits and magic_file (its rule paths
 * and settings are not used); NULL means the defaults. *out written only on success. */
WP_API wp_status wp_bayes_open(const char *path, const wp_engine_config *cfg, wp_bayes **out,
                               char *err, size_t errlen);
/* Commits what is pending (errors are lost: call wp_bayes_commit() first to see them). */
WP_API void wp_bayes_close(wp_bayes *b);

/* Learn one raw message (RFC 5322 bytes) as spam (is_spam) or ham. out may be NULL. */
WP_API wp_status wp_bayes_learn(wp_bayes *b, const uint8_t *data, size_t len, bool is_spam,
                                wp_bayes_outcome *out);
/* Remove a learned message. out may be NULL. */
WP_API wp_status wp_bayes_forget(wp_bayes *b, const uint8_t *data, size_t len,
                                 wp_bayes_outcome *out);
/* Write everything pending in one transaction. */
WP_API wp_status wp_bayes_commit(wp_bayes *b);
/* Totals as committed (pending changes are committed first). */
WP_API wp_status wp_bayes_get_stats(wp_bayes *b, wp_bayes_stats *out);

/* The "bayes.db" setting in cfg (set with wp_engine_config_set), or NULL: lets a front end
 * learn into the file its scans read. Borrowed from cfg. */
WP_API const char *wp_bayes_config_db(const wp_engine_config *cfg);

/* The reason for the last failure, or "". */
WP_API const char *wp_bayes_errmsg(const wp_bayes *b);
WP_API const char *wp_bayes_outcome_name(wp_bayes_outcome o);

#endif
