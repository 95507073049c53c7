/*
 * map.c - the hash table under every egress table: open addressing with linear probing over
 * entry pointers, the full 64-bit hash kept beside each slot so a probe rarely touches an
 * entry, load at most 3/4, and backward-shift deletion so that expiring idle entries leaves
 * no tombstones behind (a long-running follower removes as many entries as it adds).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "egress_int.h"

uint64_t
eg_hash(const void *p, size_t n, uint64_t seed)
{
    return wp_hash_mix64(wp_fnv1a64(p, n, WP_FNV_BASIS ^ (seed * 0x9e3779b97f4a7c15ULL)));
}

void *
eg_map_get(const eg_map *m, uint64_t h, const void *key, size_t klen, eg_eq_fn eq)
{
    if (m->n == 0)
        return NULL;
    size_t mask = m->nslot - 1;
    for (size_t i = (size_t)h & mask; m->ent[i] != NULL; i = (i + 1) & mask)
        if (m->hash[i] == h && eq(m->ent[i], key, klen))
            return m->ent[i];
    return NULL;
}

static void
place(void **ent, uint64_t *hash, size_t nslot, uint64_t h, void *e)
{
    size_t mask = nslot - 1;
    size_t i = (size_t)h & mask;
    while (ent[i] != NULL)
        i = (i + 1) & mask;
    ent[i] = e;
    hash[i] = h;
}

static bool
grow(eg_map *m)
{
    size_t nslot = m->nslot ? m->nslot * 2 : 64;
    void **ent = calloc(nslot, sizeof(*ent));
    uint64_t *hash = malloc(nslot * sizeof(*hash));
    if (ent == NULL || hash == NULL) {
        free(ent);
        free(hash);
        return false;
    }
    for (size_t i = 0; i < m->nslot; i++)
        if (m->ent[i] != NULL)
            place(ent, hash, nslot, m->hash[i], m->ent[i]);
    free(m->ent);
    free(m->hash);
    m->ent = ent;
    m->hash = hash;
    m->nslot = nslot;
    return true;
}

bool
eg_map_put(eg_map *m, uint64_t h, void *ent)
{
    if ((m->n + 1) * 4 > m->nslot * 3 && !grow(m))
        return false;
    place(m->ent, m->hash, m->nslot, h, ent);
    m->n++;
    return true;
}

/* Empty slot i and pull later entries of its cluster back, so every entry stays reachable
 * from its home slot without tombstones. */
static void
remove_at(eg_map *m, size_t i)
{
    size_t mask = m->nslot - 1;
    for (size_t j = (i + 1) & mask; m->ent[j] != NULL; j = (j + 1) & mask) {
        size_t home = (size_t)m->hash[j] & mask;
        /* the entry at j may fill the hole at i unless its home lies in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays)
            continue;
        m->ent[i] = m->ent[j];
        m->hash[i] = m->hash[j];
        i = j;
    }
    m->ent[i] = NULL;
    m->n--;
}

size_t
eg_map_sweep(eg_map *m, bool (*drop)(void *ctx, void *ent), void *ctx)
{
    size_t removed = 0;
    /* after a removal the slot holds a pulled-back entry: look at it again. An entry pulled
     * across the end of the array is seen twice, which drop() tolerates (same answer). */
    for (size_t i = 0; i < m->nslot;) {
        if (m->ent[i] != NULL && drop(ctx, m->ent[i])) {
            remove_at(m, i);
            removed++;
            continue;
        }
        i++;
    }
    return removed;
}

void
eg_map_fini(eg_map *m, void (*free_ent)(void *ent))
{
    for (size_t i = 0; i < m->nslot; i++)
        if (m->ent[i] != NULL)
            free_ent(m->ent[i]);
    free(m->ent);
    free(m->hash);
    memset(m, 0, sizeof(*m));
}
