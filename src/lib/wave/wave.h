/*
 * wave.h - spam-wave (surge) detection: the pieces of the wave module, internal to the library.
 *
 *   normalize.c  similarity keys: the normalized subject, the body simhash (word shingles with
 *                numbers, e-mail addresses, URLs, ids and the recipient's names masked), the
 *                registrable domains of the message's URLs;
 *   msgtime.c    when a message happened: envelope time, else the newest Received stamp, else
 *                Date (a bounded RFC 5322 parser that also takes the common broken forms);
 *   table.c      the shared counting state: clusters with sliding windows, waves, the overall
 *                volume; one mutex, bounded memory (LRU eviction);
 *   store.c      optional SQLite persistence, written behind by a thread of its own;
 *   module.c     the wp_module: settings, open/close, analyze -> findings.
 *
 * docs/WAVES.md explains the keys, the formula and what an analyst sees.
 */
#ifndef WATCHPOST_WAVE_H
#define WATCHPOST_WAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchpost/engine.h"

struct wp_scan;

/* ---- normalize.c ---- */

enum { WAVE_KEY_NONE = 0, WAVE_KEY_BODY = 1, WAVE_KEY_SUBJECT = 2 };

#define WAVE_NAMES_MAX    16  /* personal-name tokens masked per message */
#define WAVE_SUBJECT_MAX  160 /* normalized subject, bytes with the NUL */
#define WAVE_DOMAINS_MAX  8   /* registrable domains kept per message */
#define WAVE_DOMAINS_TEXT 160 /* their comma-separated text, with the NUL */
#define WAVE_BODY_SCAN \
    (2u * 1024u) /* body bytes fingerprinted: a campaign shows in its first screenful */
#define WAVE_BODY_MIN_WORDS 12 /* fewer plain words: the body does not key a cluster */

/* Hashes of the recipient's name tokens ("John Smith <j.smith@...>" -> john, smith), which
 * personalised bulk mail repeats in subject and body; masked like numbers. */
typedef struct wave_names {
    uint64_t h[WAVE_NAMES_MAX];
    size_t n;
} wave_names;

void wave_names_add_text(wave_names *nm, const char *txt, size_t len);

/* Normalized subject into out (always NUL-terminated); returns the number of plain words
 * (tokens that are neither numbers, ids nor names). */
size_t wave_subject_normalize(const char *subj, size_t len, const wave_names *nm, char *out,
                              size_t outcap);

/* 64-bit simhash of the 3-word shingles of the first WAVE_BODY_SCAN bytes of body text
 * (quoted "> " lines skipped). *words receives the number of plain words. */
uint64_t wave_body_simhash(const char *body, size_t len, const wave_names *nm, size_t *words);

/* The registrable domain of a lower-case host ("a.b.example.co.uk" -> "example.co.uk");
 * an approximation without the public suffix list (docs/WAVES.md). Returns its length and
 * sets *start. */
size_t wave_registrable_domain(const char *host, size_t len, size_t *start);

uint64_t wave_hash_bytes(const void *p, size_t n);

/* Everything the module derives from one message. */
typedef struct wave_sig {
    int kind; /* WAVE_KEY_* */
    uint64_t key;
    size_t body_words, subject_words;
    char subject[WAVE_SUBJECT_MAX];
    char domains[WAVE_DOMAINS_TEXT];
} wave_sig;

void wave_sig_compute(const struct wp_scan *s, wave_sig *sig);

/* ---- msgtime.c ---- */

/* Seconds since the epoch of an RFC 5322 date (also: no weekday, 2-digit years, missing
 * seconds, named zones, asctime() order, ISO 8601); -1 when it does not parse. At most the
 * first 200 bytes are read. */
long long wave_parse_date(const char *s, size_t len);

/* Plausible message times: after 1990 and at most a day after now. */
#define WAVE_TIME_MIN 631152000LL /* 1990-01-01 */

typedef enum wave_time_source {
    WAVE_TIME_ENVELOPE,
    WAVE_TIME_RECEIVED,
    WAVE_TIME_DATE,
    WAVE_TIME_NOW
} wave_time_source;

long long wave_message_time(const struct wp_scan *s, long long now, wave_time_source *src);

/* ---- table.c ---- */

typedef struct wave_params {
    uint32_t min_count;          /* window count that makes a surge */
    double ratio;                /* window count vs earlier rate per window */
    uint32_t window;             /* seconds */
    uint32_t baseline;           /* seconds: time constant of a cluster's earlier rate */
    uint32_t volume_baseline;    /* seconds: time constant of the overall mean rate */
    uint32_t volume_min_count;   /* messages per window before volume can surge */
    uint32_t volume_min_history; /* seconds of history before volume is judged */
    uint32_t max_clusters;
    uint32_t max_waves;    /* open waves kept in memory */
    uint32_t max_distance; /* simhash Hamming distance that still matches */
} wave_params;

void wave_params_default(wave_params *p);

#define WAVE_RING 6 /* buckets per window */

/* A sliding window of WAVE_RING buckets plus an exponentially decayed count of what left it. */
typedef struct wave_counter {
    uint32_t head; /* bucket number (time / bucket length) of the newest bucket */
    uint32_t ring[WAVE_RING];
    float old; /* decayed count of messages older than the window */
} wave_counter;

/* One wave, as the analyst sees it and as the waves table stores it. */
typedef struct wave_info {
    uint64_t id;
    int kind;
    uint64_t key;
    long long first; /* first message of the run that surged */
    long long start; /* the message that crossed the threshold */
    long long last;
    uint64_t count; /* messages of the run, the early ones included */
    uint32_t peak;  /* highest window count */
    bool ended;
    char subject[WAVE_SUBJECT_MAX]; /* the crossing message's subject, as written */
    char domains[WAVE_DOMAINS_TEXT];
} wave_info;

typedef struct wave_volume_info {
    uint64_t id;
    long long start, last;
    uint32_t window_count; /* messages in the window when it crossed */
    double ratio;          /* window rate / trailing mean rate when it crossed */
    double peak_ratio;
    bool ended;
} wave_volume_info;

/* What observing one message concluded. */
typedef struct wave_result {
    bool clustered;
    uint64_t cluster_key; /* the cluster's key (its first message's), when clustered */
    bool member;          /* the cluster is in an open wave */
    bool surge_start;
    wave_info wave; /* valid when member */
    uint32_t window_count;
    double earlier_per_window;
    bool volume_start;
    wave_volume_info volume; /* valid when volume_start */
    uint64_t since_flush;    /* messages counted since the last persistence flush */
} wave_result;

typedef struct wave_table wave_table;

wave_table *wave_table_new(const wave_params *p);
void wave_table_free(wave_table *t);
/* Count one message at time t in cluster (kind, key) (kind NONE: volume only). subject and
 * domains are what a new wave records. */
void wave_table_observe(wave_table *t, int kind, uint64_t key, long long time, const char *subject,
                        const char *domains, wave_result *res);

typedef struct wave_stats {
    size_t clusters;
    size_t waves_open;
    uint64_t waves_total;
    uint64_t evicted;
    uint64_t messages;
    size_t bytes; /* memory held by the table */
} wave_stats;

void wave_table_stats(wave_table *t, wave_stats *st);
/* The parameters in force (after clamping). */
void wave_table_params(const wave_table *t, wave_params *p);

/* ---- persistence hooks (table.c side, used by store.c) ---- */

typedef struct wave_cluster_rec {
    int kind;
    uint64_t key;
    long long first_seen, last_seen, run_start;
    uint64_t run_count, total;
    wave_counter c;
    uint64_t wave_id;
} wave_cluster_rec;

typedef struct wave_global_rec {
    long long first_seen, last_seen;
    uint64_t messages;
    wave_counter c;
    uint64_t next_wave_id;
    uint64_t next_volume_id;
    wave_volume_info volume; /* the open volume surge (id 0: none) */
} wave_global_rec;

/* Take what changed since the last call (under the table lock; the arrays are malloc'd and
 * the caller frees them). Returns false on memory exhaustion (nothing taken). */
typedef struct wave_dirty {
    wave_cluster_rec *clusters;
    size_t n_clusters;
    wave_info *waves;
    size_t n_waves;
    wave_volume_info *volumes;
    size_t n_volumes;
    wave_global_rec global;
} wave_dirty;

bool wave_table_take_dirty(wave_table *t, wave_dirty *d);
void wave_dirty_free(wave_dirty *d);
/* Restore (at open, before any scan). */
void wave_table_restore_global(wave_table *t, const wave_global_rec *g);
void wave_table_restore_cluster(wave_table *t, const wave_cluster_rec *c, const wave_info *w);
uint64_t wave_table_messages_since_flush(wave_table *t);

/* ---- module.c ---- */

/* The table of a module state (engine->mod_state[WP_MOD_WAVE]), for tests and tools. */
wave_table *wave_state_table(void *state);

/* ---- store.c ---- */

typedef struct wave_store wave_store;

/* Opens (creating) the database, loads its state into t and starts the writer thread, which
 * flushes every flush_seconds or when kicked. Errors while running go to log. */
int wave_store_open(const char *path, wave_table *t, uint32_t flush_seconds, wp_log_fn log,
                    void *log_ctx, wave_store **out, char *err, size_t errlen);
/* Ask for a flush soon (called after a scan when enough messages were counted). */
void wave_store_kick(wave_store *st);
/* Flush everything now (synchronously); 0 on success. */
int wave_store_flush(wave_store *st);
/* Final flush, stop the writer thread, close the database. */
void wave_store_close(wave_store *st);

#endif
