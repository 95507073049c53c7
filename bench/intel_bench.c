/*
 * intel_bench.c - the driver of bench/intel_bench.sh: load indicator files into one set and
 * time lookups through the public API (watchpost/intel.h), printing key=value lines.
 *
 *   intel_bench [-r ROUNDS] QUERIES.tsv FILE...
 *
 * Measured: load wall time of all files; resident memory before and after (VmRSS from
 * /proc/self/status) and the peak (VmHWM), so the set's real cost includes allocator slack
 * and the loader's buffers; the set's own accounting (wp_intel_memory); lookups per second
 * over the queries ("kind<TAB>value<TAB>expect", see bench/intel_gen.py), hits and misses
 * timed apart, ROUNDS passes each (default 5). Every answer is checked against its expected
 * value; a wrong answer is counted and makes the exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watchpost/intel.h"

typedef struct query {
    char kind;
    char *value;
    size_t len;
    int expect;
} query;

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* kB of a /proc/self/status field ("VmRSS", "VmHWM") */
static long
status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f != NULL)
        fclose(f);
    return v;
}

static void
on_error(void *ctx, const char *file, unsigned long line, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "intel_bench: %s:%lu: %s\n", file, line, msg);
}

static bool
lookup(const wp_intel_set *set, const query *q)
{
    switch (q->kind) {
    case 'h':
        return wp_intel_lookup_hash(set, q->value, q->len, NULL);
    case 'e':
        return wp_intel_lookup_email(set, q->value, q->len, NULL);
    case 'd':
        return wp_intel_lookup_domain(set, q->value, q->len, NULL);
    case 'u':
        return wp_intel_lookup_url(set, q->value, q->len, NULL);
    default:
        return wp_intel_lookup_ip(set, q->value, q->len, NULL);
    }
}

static query *
read_queries(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    size_t cap = 1024, k = 0;
    query *q = malloc(cap * sizeof(*q));
    char line[4096];
    while (q != NULL && fgets(line, sizeof line, f) != NULL) {
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t1 == NULL || t2 == NULL)
            continue;
        if (k == cap) {
            cap *= 2;
            query *nq = realloc(q, cap * sizeof(*q));
            if (nq == NULL)
                break;
            q = nq;
        }
        *t2 = '\0';
        q[k] = (query){line[0], strdup(t1 + 1), (size_t)(t2 - t1 - 1), t2[1] == '1'};
        k++;
    }
    fclose(f);
    *n = k;
    return q;
}

int
main(int argc, char **argv)
{
    int rounds = 5, a = 1;
    if (argc > 2 && strcmp(argv[1], "-r") == 0) {
        rounds = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
        a = 3;
    }
    if (argc - a < 2) {
        fprintf(stderr, "usage: intel_bench [-r ROUNDS] QUERIES.tsv FILE...\n");
        return 2;
    }
    size_t nq;
    query *q = read_queries(argv[a], &nq);
    if (q == NULL)
        return 2;
    long rss0 = status_kb("VmRSS"), hwm0 = status_kb("VmHWM");
    wp_intel_options o;
    wp_intel_options_init(&o);
    o.on_error = on_error;
    wp_intel_set *set = NULL;
    if (wp_intel_set_new(&o, &set) != WP_OK)
        return 2;
    double t0 = now();
    size_t added = 0, dups = 0, bad = 0;
    for (int i = a + 1; i < argc; i++) {
        wp_intel_load_stats st;
        char err[1024];
        if (wp_intel_load_file(set, argv[i], &st, err, sizeof err) != WP_OK) {
            fprintf(stderr, "intel_bench: %s\n", err);
            return 2;
        }
        added += st.added;
        dups += st.duplicates;
        bad += st.bad;
    }
    double load_s = now() - t0;
    long rss1 = status_kb("VmRSS"), hwm1 = status_kb("VmHWM");
    size_t total = wp_intel_count(set, WP_INTEL__COUNT);

    size_t wrong = 0;
    double t_hit = 0, t_miss = 0;
    size_t n_hit = 0, n_miss = 0;
    for (int pass = 0; pass < 2; pass++) { /* hits, then misses */
        double t = now();
        size_t n = 0;
        for (int r = 0; r < rounds; r++)
            for (size_t i = 0; i < nq; i++) {
                if (q[i].expect != (pass == 0))
                    continue;
                if (lookup(set, &q[i]) != (q[i].expect == 1)) {
                    if (r == 0 && wrong < 10)
                        fprintf(stderr, "intel_bench: wrong answer for %c %s (expected %s)\n",
                                q[i].kind, q[i].value, q[i].expect ? "hit" : "miss");
                    wrong += r == 0;
                }
                n++;
            }
        t = now() - t;
        if (pass == 0) {
            t_hit = t;
            n_hit = n;
        } else {
            t_miss = t;
            n_miss = n;
        }
    }
    printf("indicators=%zu\n", total);
    printf("added=%zu\nduplicates=%zu\nbad_lines=%zu\n", added, dups, bad);
    printf("load_s=%.3f\n", load_s);
    printf("load_indicators_per_s=%.0f\n", (double)total / load_s);
    printf("rss_before_kb=%ld\nrss_after_kb=%ld\n", rss0, rss1);
    printf("peak_rss_before_kb=%ld\npeak_rss_after_kb=%ld\n", hwm0, hwm1);
    printf("rss_delta_bytes_per_indicator=%.1f\n", (double)(rss1 - rss0) * 1024.0 / (double)total);
    printf("peak_rss_delta_bytes_per_indicator=%.1f\n",
           (double)(hwm1 - hwm0) * 1024.0 / (double)total);
    printf("set_memory_bytes=%zu\n", wp_intel_memory(set));
    printf("set_bytes_per_indicator=%.1f\n", (double)wp_intel_memory(set) / (double)total);
    printf("lookups_hit=%zu\nlookups_miss=%zu\n", n_hit, n_miss);
    printf("hit_lookups_per_s=%.0f\n", (double)n_hit / t_hit);
    printf("miss_lookups_per_s=%.0f\n", (double)n_miss / t_miss);
    printf("wrong_answers=%zu\n", wrong);
    wp_intel_set_free(set);
    for (size_t i = 0; i < nq; i++)
        free(q[i].value);
    free(q);
    return wrong == 0 ? 0 : 1;
}
