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
    return eg_hash_resume(eg_hash_state(NULL, 0, seed), p, n);
}

uint64_t
eg_hash_state(const void *p, size_t n, uint64_t seed)
{
    return wp_fnv1a64(p, n, WP_FNV_BASIS ^ (seed * 0x9e3779b97f4a7c15ULL));
}

uint64_t
eg_hash_resume(uint64_t state, const void *p, size_t n)
{
    return wp_hash_mix64(wp_fnv1a64(p, n, state));
}

uint64_t
eg_hash_addr_key(const wp_egress *e, const uint8_t *key, size_t n, int which)
{
    if (!eg_addr_is_v4(key))
        return eg_hash(key, n, which == EG_KEY_PAIR ? EG_SEED_PAIR : EG_SEED_HOST);
    return eg_hash_resume(e->v4_key_state[which], key + 12, n - 12);
}

static void
place(eg_slot *slot, size_t nslot, uint64_t h, void *e)
{
    size_t mask = nslot - 1;
    size_t i = (size_t)h & mask;
    while (slot[i].ent != NULL)
        i = (i + 1) & mask;
    slot[i] = (eg_slot){h, e};
}

static bool
grow(eg_map *m)
{
    size_t nslot = m->nslot ? m->nslot * 2 : 64;
    eg_slot *slot = calloc(nslot, sizeof(*slot));
    if (slot == NULL)
        return false;
    for (size_t i = 0; i < m->nslot; i++)
        if (m->slot[i].ent != NULL)
            place(slot, nslot, m->slot[i].hash, m->slot[i].ent);
    free(m->slot);
    m->slot = slot;
    m->nslot = nslot;
    return true;
}

bool
eg_map_put(eg_map *m, uint64_t h, void *ent)
{
    if ((m->n + 1) * 4 > m->nslot * 3 && !grow(m))
        return false;
    place(m->slot, m->nslot, h, ent);
    m->n++;
    return true;
}

/* Empty slot i and pull later entries of its cluster back, so every entry stays reachable
 * from its home slot without tombstones. */
static void
remove_at(eg_map *m, size_t i)
{
    size_t mask = m->nslot - 1;
    for (size_t j = (i + 1) & mask; m->slot[j].ent != NULL; j = (j + 1) & mask) {
        size_t home = (size_t)m->slot[j].hash & mask;
        /* the entry at j may fill the hole at i unless its home lies in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays)
            continue;
        m->slot[i] = m->slot[j];
        i = j;
    }
    m->slot[i].ent = NULL;
    m->n--;
}

void
eg_map_del(eg_map *m, uint64_t h, const void *ent)
{
    if (m->n == 0)
        return;
    size_t mask = m->nslot - 1;
    for (size_t i = (size_t)h & mask; m->slot[i].ent != NULL; i = (i + 1) & mask) {
        if (m->slot[i].ent == ent) {
            remove_at(m, i);
            return;
        }
    }
}

size_t
eg_map_sweep(eg_map *m, bool (*drop)(void *ctx, void *ent), void *ctx)
{
    size_t removed = 0;
    /* after a removal the slot holds a pulled-back entry: look at it again. An entry pulled
     * across the end of the array is seen twice, which drop() tolerates (same answer). */
    for (size_t i = 0; i < m->nslot;) {
        if (m->slot[i].ent != NULL && drop(ctx, m->slot[i].ent)) {
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
        if (m->slot[i].ent != NULL)
            free_ent(m->slot[i].ent);
    free(m->slot);
    memset(m, 0, sizeof(*m));
}
