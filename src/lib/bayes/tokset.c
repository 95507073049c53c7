/*
 * tokset.c - the unique tokens of one message: an open-addressing set of hashes with a fixed
 * capacity, so a message with a million distinct words costs no more than one with 3000.
 */
#include <stdlib.h>
#include <string.h>

#include "bayes_int.h"

void
wp_bayes_tokset_clear(wp_bayes_tokset *t)
{
    memset(t->slot, 0, sizeof t->slot);
    t->n = 0;
    t->full = false;
}

static size_t
probe(const wp_bayes_tokset *t, uint64_t h)
{
    size_t i = (size_t)(h ^ (h >> 29)) & (WP_BAYES_TOKSET_CAP - 1);
    while (t->slot[i] != 0 && t->slot[i] != h)
        i = (i + 1) & (WP_BAYES_TOKSET_CAP - 1);
    return i;
}

bool
wp_bayes_tokset_add(wp_bayes_tokset *t, uint64_t h)
{
    size_t i = probe(t, h);
    if (t->slot[i] == h)
        return true;
    if (t->n >= WP_BAYES_MAX_TOKENS) {
        t->full = true;
        return false;
    }
    t->slot[i] = h;
    t->list[t->n++] = h;
    return true;
}

bool
wp_bayes_tokset_has(const wp_bayes_tokset *t, uint64_t h)
{
    return t->slot[probe(t, h)] == h;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t
wp_bayes_tokset_key(const wp_bayes_tokset *t)
{
    if (t->n == 0)
        return 0;
    uint64_t *sorted = malloc(t->n * sizeof(uint64_t));
    if (sorted == NULL)
        return 0;
    memcpy(sorted, t->list, t->n * sizeof(uint64_t));
    qsort(sorted, t->n, sizeof(uint64_t), cmp_u64);
    /* hash the little-endian bytes, so the key does not depend on the host's byte order */
    uint8_t *bytes = (uint8_t *)sorted;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t v = sorted[i];
        for (int k = 0; k < 8; k++)
            bytes[i * 8 + (size_t)k] = (uint8_t)(v >> (8 * k));
    }
    uint64_t key = wp_bayes_hash(bytes, t->n * 8);
    free(sorted);
    return key;
}

void
wp_bayes_emit_to_set(void *ctx, const char *tok, size_t len)
{
    wp_bayes_tokset_add(ctx, wp_bayes_hash(tok, len));
}
