/*
 * seenset.c - the bounded two-generation set of seenset.h.
 */
#include <stdlib.h>

#include "seenset.h"

void
wp_seenset_init(wp_seenset *s, size_t max)
{
    s->cur = (wp_seen_gen){0};
    s->prev = (wp_seen_gen){0};
    s->max = max < 16 ? 16 : max;
    s->rotations = 0;
}

void
wp_seenset_free(wp_seenset *s)
{
    free(s->cur.slot);
    free(s->prev.slot);
    s->cur = (wp_seen_gen){0};
    s->prev = (wp_seen_gen){0};
}

static bool
gen_has(const wp_seen_gen *g, uint64_t h)
{
    if (g->cap == 0)
        return false;
    for (size_t j = (size_t)h & (g->cap - 1); g->slot[j] != 0; j = (j + 1) & (g->cap - 1)) {
        if (g->slot[j] == h)
            return true;
    }
    return false;
}

/* Inserts h (known absent); false when the table could not grow. */
static bool
gen_put(wp_seen_gen *g, uint64_t h)
{
    if ((g->n + 1) * 2 > g->cap) {
        size_t ncap = g->cap ? g->cap * 2 : 1024;
        uint64_t *ns = calloc(ncap, sizeof(uint64_t));
        if (ns == NULL)
            return false;
        for (size_t i = 0; i < g->cap; i++) {
            uint64_t v = g->slot[i];
            if (v == 0)
                continue;
            size_t j = (size_t)v & (ncap - 1);
            while (ns[j] != 0)
                j = (j + 1) & (ncap - 1);
            ns[j] = v;
        }
        free(g->slot);
        g->slot = ns;
        g->cap = ncap;
    }
    size_t j = (size_t)h & (g->cap - 1);
    while (g->slot[j] != 0)
        j = (j + 1) & (g->cap - 1);
    g->slot[j] = h;
    g->n++;
    return true;
}

wp_seen
wp_seenset_add(wp_seenset *s, uint64_t h)
{
    if (gen_has(&s->cur, h))
        return WP_SEEN_CURRENT;
    bool known = gen_has(&s->prev, h);
    if (s->cur.n >= s->max / 2) {
        free(s->prev.slot);
        s->prev = s->cur;
        s->cur = (wp_seen_gen){0};
        s->rotations++;
    }
    if (!gen_put(&s->cur, h))
        return WP_SEEN_CURRENT;
    return known ? WP_SEEN_REVIVED : WP_SEEN_NEW;
}

size_t
wp_seenset_count(const wp_seenset *s)
{
    return s->cur.n + s->prev.n;
}
