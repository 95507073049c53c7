/*
 * set.c - the storage of an indicator set: fixed-size records in dense arrays, an
 * open-addressing index over each, one string pool, and interned labels.
 *
 * Why this shape: a million indicators must cost well under 100 bytes each. A record is the
 * key alone (16-32 bytes for digests, an 8-byte fingerprint plus a pool offset for text, 5 or
 * 17 bytes for networks) and 8 bytes of label and line; the index adds 4 bytes per slot at a
 * load of 3/8 to 3/4. Lookups hash once and probe a few adjacent slots, whatever the size.
 * Records are never moved or deleted except by rolling back a failed load, so record numbers
 * are stable and a duplicate costs nothing but its count.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "set.h"

static const uint8_t key_lens[T__COUNT] = {
    [T_MD5] = 16, [T_SHA1] = 20, [T_SHA256] = 32, [T_EMAIL] = 8, [T_DOMAIN] = 8,
    [T_URL] = 8,  [T_IPV4] = 5,  [T_IPV6] = 17,   [T_JA3] = 16,
};

uint64_t
intel_hash64(const void *p, size_t n)
{
    return wp_hash_mix64(wp_fnv1a64(p, n, WP_FNV_BASIS));
}

/* 8 bits of the hash beside each slot: a probe compares them before touching a record */
#define TAG(h) ((uint8_t)((h) >> 56))

static uint64_t
rec_hash(const intel_table *t, const uint8_t *key)
{
    if (t->has_str) {
        uint64_t fp;
        memcpy(&fp, key, sizeof fp);
        return fp; /* already a hash of the text */
    }
    return intel_hash64(key, t->key_len);
}

static uint32_t
rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

/* Does record r hold key k? */
static bool
rec_equal(const wp_intel_set *set, const intel_table *t, const uint8_t *r, const intel_key *k)
{
    if (memcmp(r, k->key, t->key_len) != 0)
        return false;
    if (!t->has_str)
        return true;
    /* a fingerprint match is checked against the text, so a 64-bit collision cannot make an
     * innocent value match */
    const char *s = set->pool + rd32(r + t->key_len);
    return strncmp(s, k->str, k->str_len) == 0 && s[k->str_len] == '\0';
}

static void
index_insert(intel_table *t, uint32_t recno)
{
    size_t mask = t->nslot - 1;
    uint64_t h = rec_hash(t, t->rec + (size_t)recno * t->rec_size);
    size_t i = (size_t)h & mask;
    while (t->slot[i] != 0)
        i = (i + 1) & mask;
    t->slot[i] = recno + 1;
    t->tag[i] = TAG(h);
}

/* Rebuild the index with nslot slots from the records. */
static bool
index_rebuild(intel_table *t, size_t nslot)
{
    uint32_t *s = calloc(nslot, sizeof(*s));
    uint8_t *tag = malloc(nslot);
    if (s == NULL || tag == NULL) {
        free(s);
        free(tag);
        return false;
    }
    free(t->slot);
    free(t->tag);
    t->slot = s;
    t->tag = tag;
    t->nslot = nslot;
    for (size_t i = 0; i < t->n; i++)
        index_insert(t, (uint32_t)i);
    return true;
}

const uint8_t *
intel_table_find(const wp_intel_set *set, const intel_key *k)
{
    const intel_table *t = &set->t[k->table];
    if (t->n == 0)
        return NULL;
    size_t mask = t->nslot - 1;
    uint64_t h = rec_hash(t, k->key);
    uint8_t tag = TAG(h);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint32_t s = t->slot[i];
        if (s == 0)
            return NULL;
        if (t->tag[i] != tag) /* most other keys end here, without touching their record */
            continue;
        const uint8_t *r = t->rec + (size_t)(s - 1) * t->rec_size;
        if (rec_equal(set, t, r, k))
            return r;
    }
}

/* Append text to the pool; its offset, or UINT32_MAX when it cannot grow. */
static uint32_t
pool_add(char **pool, size_t *len, size_t *cap, const char *s, size_t n)
{
    size_t need;
    if (__builtin_add_overflow(*len, n + 1, &need) || need > UINT32_MAX)
        return UINT32_MAX;
    if (need > *cap) {
        size_t ncap = *cap ? *cap : 4096;
        while (ncap < need)
            ncap *= 2;
        char *p = realloc(*pool, ncap);
        if (p == NULL)
            return UINT32_MAX;
        *pool = p;
        *cap = ncap;
    }
    uint32_t off = (uint32_t)*len;
    memcpy(*pool + off, s, n);
    (*pool)[off + n] = '\0';
    *len = need;
    return off;
}

/* The filter and the per-/16 lengths, allocated with the first IPv4 key (so that neither
 * misses a key added before it): false when out of memory. */
static bool
v4_filters_alloc(wp_intel_set *set)
{
    if (set->v4_bloom == NULL)
        set->v4_bloom = calloc(INTEL_V4_BLOOM_BITS / 64, sizeof(uint64_t));
    if (set->v4_by16 == NULL)
        set->v4_by16 = calloc(INTEL_V4_BY16, sizeof(uint32_t));
    return set->v4_bloom != NULL && set->v4_by16 != NULL;
}

/* An IPv4 key into the lengths listed, the filter and its /16's lengths. */
static void
v4_filters_add(wp_intel_set *set, const intel_key *k)
{
    unsigned plen = k->key[4];
    uint32_t a = (uint32_t)k->key[0] << 24 | (uint32_t)k->key[1] << 16 | (uint32_t)k->key[2] << 8 |
                 k->key[3];
    set->v4_lens |= 1ULL << plen;
    uint32_t b = intel_v4_bloom_bit(a, plen);
    set->v4_bloom[b / 64] |= 1ULL << (b % 64);
    if (plen >= 16)
        set->v4_by16[a >> 16] |= 1u << (plen - 16);
}

intel_add_result
intel_set_add(wp_intel_set *set, const intel_key *k, uint32_t label, uint32_t line)
{
    intel_table *t = &set->t[k->table];
    if (intel_table_find(set, k) != NULL)
        return ADD_DUP;
    if (set->total >= set->opt.max_indicators)
        return ADD_LIMIT;
    if (k->table == T_IPV4 && !v4_filters_alloc(set))
        return ADD_NOMEM;
    if ((t->n + 1) * 4 > t->nslot * 3 && !index_rebuild(t, t->nslot ? t->nslot * 2 : 64))
        return ADD_NOMEM;
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        uint8_t *r = realloc(t->rec, ncap * t->rec_size);
        if (r == NULL)
            return ADD_NOMEM;
        t->rec = r;
        t->cap = ncap;
    }
    uint8_t *r = t->rec + t->n * t->rec_size;
    memcpy(r, k->key, t->key_len);
    size_t o = t->key_len;
    if (t->has_str) {
        uint32_t off = pool_add(&set->pool, &set->pool_len, &set->pool_cap, k->str, k->str_len);
        if (off == UINT32_MAX)
            return set->pool_len + k->str_len + 1 > UINT32_MAX ? ADD_LIMIT : ADD_NOMEM;
        wr32(r + o, off);
        o += 4;
    }
    wr32(r + o, label);
    wr32(r + o + 4, line);
    index_insert(t, (uint32_t)t->n);
    t->n++;
    set->total++;
    if (k->table == T_IPV4)
        v4_filters_add(set, k);
    else if (k->table == T_IPV6)
        set->v6_lens[k->key[16] / 64] |= 1ULL << (k->key[16] % 64);
    return ADD_NEW;
}

void
intel_set_mark(const wp_intel_set *set, intel_mark *mk)
{
    for (int i = 0; i < T__COUNT; i++)
        mk->n[i] = set->t[i].n;
    mk->pool_len = set->pool_len;
    mk->total = set->total;
    mk->v4_lens = set->v4_lens;
    memcpy(mk->v6_lens, set->v6_lens, sizeof mk->v6_lens);
}

void
intel_set_rollback(wp_intel_set *set, const intel_mark *mk)
{
    for (int i = 0; i < T__COUNT; i++) {
        intel_table *t = &set->t[i];
        if (t->n == mk->n[i])
            continue;
        t->n = mk->n[i];
        /* the index keeps its size, so rebuilding it needs no memory */
        memset(t->slot, 0, t->nslot * sizeof(*t->slot));
        for (size_t j = 0; j < t->n; j++)
            index_insert(t, (uint32_t)j);
    }
    set->pool_len = mk->pool_len;
    set->total = mk->total;
    set->v4_lens = mk->v4_lens;
    memcpy(set->v6_lens, mk->v6_lens, sizeof set->v6_lens);
}

uint32_t
intel_set_file(wp_intel_set *set, const char *name)
{
    if (set->n_files == set->cap_files) {
        size_t ncap = set->cap_files ? set->cap_files * 2 : 8;
        char **f = realloc(set->files, ncap * sizeof(*f));
        if (f == NULL)
            return UINT32_MAX;
        set->files = f;
        set->cap_files = ncap;
    }
    if (set->n_files >= UINT32_MAX - 1 || (set->files[set->n_files] = strdup(name)) == NULL)
        return UINT32_MAX;
    return (uint32_t)set->n_files++;
}

static uint64_t
label_hash(uint32_t file, const char *src, size_t slen)
{
    return (src ? intel_hash64(src, slen) : 0) ^ ((uint64_t)file * 0x9e3779b97f4a7c15ULL);
}

static bool
label_equal(const wp_intel_set *set, const intel_label *l, uint32_t file, const char *src,
            size_t slen)
{
    if (l->file != file || (l->source == UINT32_MAX) != (src == NULL))
        return false;
    if (src == NULL)
        return true;
    const char *s = set->lpool + l->source;
    return strncmp(s, src, slen) == 0 && s[slen] == '\0';
}

static void
label_index_insert(wp_intel_set *set, uint32_t id)
{
    const intel_label *l = &set->labels[id];
    const char *src = l->source == UINT32_MAX ? NULL : set->lpool + l->source;
    size_t mask = set->n_label_slot - 1;
    size_t i = (size_t)label_hash(l->file, src, src ? strlen(src) : 0) & mask;
    while (set->label_slot[i] != 0)
        i = (i + 1) & mask;
    set->label_slot[i] = id + 1;
}

uint32_t
intel_set_label(wp_intel_set *set, uint32_t file, const char *src, size_t slen)
{
    if (src != NULL && slen > INTEL_SOURCE_MAX)
        slen = INTEL_SOURCE_MAX;
    if (set->n_label_slot > 0) {
        size_t mask = set->n_label_slot - 1;
        size_t i = (size_t)label_hash(file, src, slen) & mask;
        for (uint32_t s; (s = set->label_slot[i]) != 0; i = (i + 1) & mask)
            if (label_equal(set, &set->labels[s - 1], file, src, slen))
                return s - 1;
    }
    if (src != NULL && set->n_labels >= INTEL_LABELS_MAX)
        return intel_set_label(set, file, NULL, 0); /* too many sources: file and line only */
    if ((set->n_labels + 1) * 2 > set->n_label_slot) {
        size_t nslot = set->n_label_slot ? set->n_label_slot * 2 : 64;
        uint32_t *s = calloc(nslot, sizeof(*s));
        if (s == NULL)
            return UINT32_MAX;
        free(set->label_slot);
        set->label_slot = s;
        set->n_label_slot = nslot;
        for (size_t i = 0; i < set->n_labels; i++)
            label_index_insert(set, (uint32_t)i);
    }
    if (set->n_labels == set->cap_labels) {
        size_t ncap = set->cap_labels ? set->cap_labels * 2 : 16;
        intel_label *l = realloc(set->labels, ncap * sizeof(*l));
        if (l == NULL)
            return UINT32_MAX;
        set->labels = l;
        set->cap_labels = ncap;
    }
    intel_label l = {file, UINT32_MAX};
    if (src != NULL) {
        l.source = pool_add(&set->lpool, &set->lpool_len, &set->lpool_cap, src, slen);
        if (l.source == UINT32_MAX)
            return UINT32_MAX;
    }
    uint32_t id = (uint32_t)set->n_labels++;
    set->labels[id] = l;
    label_index_insert(set, id);
    return id;
}

/* ---- public: lifetime and sizes ---- */

void
wp_intel_options_init(wp_intel_options *o)
{
    memset(o, 0, sizeof(*o));
    o->max_indicators = WP_INTEL_MAX_INDICATORS_DEFAULT;
    o->max_line_bytes = WP_INTEL_MAX_LINE_DEFAULT;
    o->max_messages = WP_INTEL_MESSAGES_DEFAULT;
}

wp_status
wp_intel_set_new(const wp_intel_options *opt, wp_intel_set **out)
{
    if (out == NULL)
        return WP_EINVAL;
    wp_intel_set *set = calloc(1, sizeof(*set));
    if (set == NULL)
        return WP_ENOMEM;
    if (opt != NULL)
        set->opt = *opt;
    else
        wp_intel_options_init(&set->opt);
    /* clamp: a configuration may loosen a bound, never remove it; 0 means the default */
    if (set->opt.max_indicators == 0)
        set->opt.max_indicators = WP_INTEL_MAX_INDICATORS_DEFAULT;
    if (set->opt.max_indicators > WP_INTEL_MAX_INDICATORS_CEILING)
        set->opt.max_indicators = WP_INTEL_MAX_INDICATORS_CEILING;
    if (set->opt.max_line_bytes == 0)
        set->opt.max_line_bytes = WP_INTEL_MAX_LINE_DEFAULT;
    if (set->opt.max_line_bytes > WP_INTEL_MAX_LINE_CEILING)
        set->opt.max_line_bytes = WP_INTEL_MAX_LINE_CEILING;
    for (int i = 0; i < T__COUNT; i++) {
        intel_table *t = &set->t[i];
        t->key_len = key_lens[i];
        t->has_str = i == T_EMAIL || i == T_DOMAIN || i == T_URL;
        t->rec_size = (uint8_t)(t->key_len + (t->has_str ? 4 : 0) + 8);
    }
    *out = set;
    return WP_OK;
}

void
wp_intel_set_free(wp_intel_set *set)
{
    if (set == NULL)
        return;
    for (int i = 0; i < T__COUNT; i++) {
        free(set->t[i].rec);
        free(set->t[i].slot);
        free(set->t[i].tag);
    }
    free(set->pool);
    for (size_t i = 0; i < set->n_files; i++)
        free(set->files[i]);
    free(set->files);
    free(set->labels);
    free(set->label_slot);
    free(set->lpool);
    free(set->v4_bloom);
    free(set->v4_by16);
    free(set);
}

size_t
wp_intel_count(const wp_intel_set *set, wp_intel_type t)
{
    if (set == NULL)
        return 0;
    switch (t) {
    case WP_INTEL_MD5:
        return set->t[T_MD5].n;
    case WP_INTEL_SHA1:
        return set->t[T_SHA1].n;
    case WP_INTEL_SHA256:
        return set->t[T_SHA256].n;
    case WP_INTEL_EMAIL:
        return set->t[T_EMAIL].n;
    case WP_INTEL_DOMAIN:
        return set->t[T_DOMAIN].n;
    case WP_INTEL_URL:
        return set->t[T_URL].n;
    case WP_INTEL_IP:
        return set->t[T_IPV4].n + set->t[T_IPV6].n;
    case WP_INTEL_JA3:
        return set->t[T_JA3].n;
    default:
        return set->total;
    }
}

size_t
wp_intel_memory(const wp_intel_set *set)
{
    if (set == NULL)
        return 0;
    size_t m = sizeof(*set);
    for (int i = 0; i < T__COUNT; i++)
        m += set->t[i].cap * set->t[i].rec_size + set->t[i].nslot * (sizeof(uint32_t) + 1);
    m += set->pool_cap + set->lpool_cap + set->cap_labels * sizeof(intel_label) +
         set->n_label_slot * sizeof(uint32_t) + set->cap_files * sizeof(char *);
    for (size_t i = 0; i < set->n_files; i++)
        m += strlen(set->files[i]) + 1;
    if (set->v4_bloom != NULL)
        m += INTEL_V4_BLOOM_BITS / 8;
    if (set->v4_by16 != NULL)
        m += INTEL_V4_BY16 * sizeof(uint32_t);
    return m;
}

const char *
wp_intel_type_name(wp_intel_type t)
{
    static const char *const names[WP_INTEL__COUNT] = {"md5",    "sha1", "sha256", "email",
                                                       "domain", "url",  "ip",     "ja3"};
    return (unsigned)t < WP_INTEL__COUNT ? names[t] : "unknown";
}
