/*
 * seenset.h - a bounded "seen before?" set of 64-bit hashes, in two generations.
 *
 * First-contact memory must not grow with every sender domain a spam run invents. The set
 * keeps at most max hashes: the current generation takes new and re-seen hashes; when it
 * holds max/2 it becomes the previous one and the older previous generation is dropped.
 * A hash seen again while in the previous generation moves to the current one, so whatever
 * keeps being seen is kept; what was not seen for a whole generation is forgotten (and is a
 * first contact again). Memory: two tables of at most max/2 live slots at load <= 1/2, so
 * at most 2 * max * 8 bytes (16 MB for the default million).
 */
#ifndef WATCHPOST_SEENSET_H
#define WATCHPOST_SEENSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wp_seen_gen {
    uint64_t *slot; /* 0: empty; hashes are never 0 */
    size_t n, cap;
} wp_seen_gen;

typedef struct wp_seenset {
    wp_seen_gen cur, prev;
    size_t max;         /* at most this many hashes remembered */
    unsigned rotations; /* generations dropped so far */
} wp_seenset;

#define WP_SEENSET_DEFAULT_MAX 1000000u

void wp_seenset_init(wp_seenset *s, size_t max);
void wp_seenset_free(wp_seenset *s);
typedef enum wp_seen {
    WP_SEEN_NEW,     /* never seen (or forgotten): now remembered */
    WP_SEEN_CURRENT, /* seen in the current generation */
    WP_SEEN_REVIVED  /* seen in the previous generation: moved to the current one */
} wp_seen;

/* Looks h up and remembers it. Out of memory answers WP_SEEN_CURRENT: never invent a first
 * contact. h must not be 0. */
wp_seen wp_seenset_add(wp_seenset *s, uint64_t h);
/* Hashes remembered now (both generations). */
size_t wp_seenset_count(const wp_seenset *s);

#endif
