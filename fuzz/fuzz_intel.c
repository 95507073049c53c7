/*
 * fuzz_intel.c - the indicator-file loader (wp_intel_load_buffer(): format detection, CSV
 * quoting, type names, every value normalizer) and the lookups.
 *
 * Input: the bytes of an indicator file. Each input gets a fresh set with small bounds
 * (1,000 indicators, 512-byte lines, so the limit paths are reached too). After the load,
 * the first 64 lines of the input are looked up as every type, and each match is checked
 * for a stable canonical form: looking up the matched value again must match the same
 * indicator (normalizing twice changes nothing). A broken promise aborts with
 * "watchpost-fuzz: INVARIANT ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "watchpost/intel.h"

static void
invariant(const char *what, const wp_intel_match *m)
{
    fprintf(stderr, "watchpost-fuzz: INVARIANT %s (type %s, value '%.200s')\n", what,
            wp_intel_type_name(m->type), m->value);
    abort();
}

typedef bool (*lookup_fn)(const wp_intel_set *, const char *, size_t, wp_intel_match *);

static void
check_lookup(const wp_intel_set *set, lookup_fn fn, const char *p, size_t n)
{
    wp_intel_match m, again;
    if (!fn(set, p, n, &m))
        return;
    if (m.file == NULL || strcmp(m.file, "fuzz.csv") != 0 || m.line == 0)
        invariant("match without its file and line", &m);
    size_t vlen = strlen(m.value);
    if (vlen == 0 || vlen > WP_INTEL_MAX_VALUE)
        invariant("match value empty or too long", &m);
    /* a network's value is "addr/len": look up its first address instead */
    char v[WP_INTEL_MAX_VALUE + 1];
    memcpy(v, m.value, vlen + 1);
    char *slash = m.type == WP_INTEL_IP ? strchr(v, '/') : NULL;
    if (slash != NULL)
        *slash = '\0';
    if (!fn(set, v, strlen(v), &again))
        invariant("the matched value does not match itself", &m);
    if (m.type != WP_INTEL_IP && m.type != WP_INTEL_DOMAIN && strcmp(again.value, m.value) != 0)
        invariant("the matched value matches a different indicator", &m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_intel_options o;
    wp_intel_options_init(&o);
    o.max_indicators = 1000;
    o.max_line_bytes = 512;
    wp_intel_set *set = NULL;
    if (wp_intel_set_new(&o, &set) != WP_OK)
        return 0;
    wp_intel_load_stats st;
    char err[512];
    wp_status s = wp_intel_load_buffer(set, "fuzz.csv", data, size, &st, err, sizeof err);
    if (s == WP_OK && wp_intel_count(set, WP_INTEL__COUNT) == 0)
        fz_die("INVARIANT a successful load added nothing", NULL);
    if (s != WP_OK && s != WP_EPARSE && s != WP_ELIMIT && s != WP_ENOMEM)
        fz_die("INVARIANT unexpected load status", wp_strerror(s));
    if (s != WP_OK && wp_intel_count(set, WP_INTEL__COUNT) != 0)
        fz_die("INVARIANT a failed load left indicators behind", err);
    if (s != WP_OK && err[0] == '\0')
        fz_die("INVARIANT a failed load without a message", NULL);
    const char *p = (const char *)data, *end = p + size;
    for (int line = 0; line < 64 && p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        /* the whole line, and its last comma-separated field (a CSV value) */
        const char *comma = memrchr(p, ',', n);
        const char *parts[2] = {p, comma ? comma + 1 : p};
        size_t lens[2] = {n, comma ? (size_t)(p + n - comma - 1) : n};
        for (int k = 0; k < (comma ? 2 : 1); k++) {
            check_lookup(set, wp_intel_lookup_hash, parts[k], lens[k]);
            check_lookup(set, wp_intel_lookup_email, parts[k], lens[k]);
            check_lookup(set, wp_intel_lookup_domain, parts[k], lens[k]);
            check_lookup(set, wp_intel_lookup_url, parts[k], lens[k]);
            check_lookup(set, wp_intel_lookup_ip, parts[k], lens[k]);
        }
        p += n + 1;
    }
    wp_intel_set_free(set);
    return 0;
}
