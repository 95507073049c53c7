/*
 * dests.c - the site's memory of outside destinations: every address an internal host has
 * opened an outbound connection to (allow-list excepted). It is what "new destination"
 * means for NET_EXFIL_NEW_DEST: never contacted by any host of the site, not merely by the
 * host at hand, so a host's very first upload is judged too.
 *
 * Bounded by max_dests. The entries are kept on a list in order of last contact; when the
 * table is full the least recently contacted destination is forgotten (counted in
 * stats.dests_evicted) to make room, so the memory never refuses a new destination and
 * what it forgets is what the site has not used for longest. A forgotten destination
 * contacted again is new again. About 64 bytes per destination plus its hash slot.
 */
#include <stdlib.h>
#include <string.h>

#include "egress_int.h"

struct eg_dest {
    uint8_t ip[16];
    uint64_t hash;
    eg_dest *newer, *older; /* the recency list, newest at e->dest_mru */
};

static bool
dest_eq(const void *ent, const void *key, size_t klen)
{
    (void)klen;
    return memcmp(((const eg_dest *)ent)->ip, key, sizeof((const eg_dest *)ent)->ip) == 0;
}

static void
unlink_dest(wp_egress *e, eg_dest *d)
{
    if (d->newer != NULL) {
        d->newer->older = d->older;
    } else {
        e->dest_mru = d->older;
    }
    if (d->older != NULL) {
        d->older->newer = d->newer;
    } else {
        e->dest_lru = d->newer;
    }
    d->newer = d->older = NULL;
}

static void
push_newest(wp_egress *e, eg_dest *d)
{
    d->newer = NULL;
    d->older = e->dest_mru;
    if (e->dest_mru != NULL)
        e->dest_mru->newer = d;
    e->dest_mru = d;
    if (e->dest_lru == NULL)
        e->dest_lru = d;
}

bool
eg_dest_first(wp_egress *e, eg_rec *x)
{
    uint64_t h = eg_hash(x->dst, 16, EG_SEED_DEST);
    eg_dest *d = eg_map_get(&e->dests, h, x->dst, 16, dest_eq);
    if (d != NULL) {
        if (e->dest_mru != d) {
            unlink_dest(e, d);
            push_newest(e, d);
        }
        return false;
    }
    if (e->dests.n >= e->cfg.max_dests && e->dest_lru != NULL) {
        /* full: the least recently contacted goes, and its entry is reused */
        d = e->dest_lru;
        unlink_dest(e, d);
        eg_map_del(&e->dests, d->hash, d);
        e->st.dests_evicted++;
    } else {
        d = malloc(sizeof(*d));
    }
    if (d == NULL)
        return false; /* out of memory: claim seen, never invent a first contact */
    memcpy(d->ip, x->dst, 16);
    d->hash = h;
    if (!eg_map_put(&e->dests, h, d)) {
        free(d);
        return false;
    }
    push_newest(e, d);
    return true;
}

static void
free_ent(void *p)
{
    free(p);
}

void
eg_dests_fini(wp_egress *e)
{
    eg_map_fini(&e->dests, free_ent);
    e->dest_mru = e->dest_lru = NULL;
}
