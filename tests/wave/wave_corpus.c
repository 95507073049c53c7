/*
 * wave_corpus.c - measure the wave module on a directory of messages (not run by ctest).
 *
 *   wave_corpus DIR [--rounds N] [--replay SECONDS] [--only on|off] [key=value ...]
 *
 * Reads every file of DIR into memory, then scans them all through one engine twice: with the
 * wave module off (wave.enable = no) and on (with the given settings), three rounds each, and
 * prints the best time per message of each, the difference, the clusters held and the waves
 * found with their evidence. --replay S gives message i the envelope time T0 + i*S (messages
 * in file order), as if the corpus arrived in one burst; without it each message is dated by
 * its own headers (Received, then Date). --only runs one of the two passes, for counting
 * instructions with `perf stat`, which a busy machine does not disturb as it does time.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/module.h"
#include "engine/scan.h"
#include "watchpost/watchpost.h"
#include "wave/wave.h"

typedef struct msg {
    char *name;
    unsigned char *data;
    size_t len;
} msg;

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const msg *)a)->name, ((const msg *)b)->name);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static msg *
load_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    msg *m = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fseek(f, 0, SEEK_SET);
        if (sz < 0 || sz > 64L * 1024 * 1024) {
            fclose(f);
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            m = realloc(m, cap * sizeof(*m));
        }
        m[*n].name = strdup(de->d_name);
        m[*n].data = malloc((size_t)sz + 1);
        m[*n].len = fread(m[*n].data, 1, (size_t)sz, f);
        fclose(f);
        (*n)++;
    }
    closedir(d);
    qsort(m, *n, sizeof(*m), by_name);
    return m;
}

static wp_engine *
engine(int argc, char **argv, int first, bool wave)
{
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    char err[512];
    for (int i = first; wave && i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        if (wp_engine_config_set(&cfg, argv[i], eq + 1, err, sizeof err) != WP_OK) {
            fprintf(stderr, "%s: %s\n", argv[i], err);
            exit(2);
        }
        *eq = '=';
    }
    if (!wave && wp_engine_config_set(&cfg, "wave.enable", "no", err, sizeof err) != WP_OK)
        exit(2);
    wp_engine *e;
    if (wp_engine_new(&cfg, &e, err, sizeof err) != WP_OK) {
        fprintf(stderr, "engine: %s\n", err);
        exit(2);
    }
    wp_engine_config_fini(&cfg);
    return e;
}

/* one pass over the corpus; prints the wave findings when `show` */
static double
pass(wp_engine *e, const msg *m, size_t n, long long replay, bool show)
{
    wp_scanner *sc;
    if (wp_scanner_new(e, &sc) != WP_OK)
        exit(2);
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        wp_envelope env = {.time = replay > 0 ? 1794700800LL + (long long)i * replay : 0};
        wp_report *r;
        if (wp_scan_message_env(sc, m[i].data, m[i].len, &env, &r) != WP_OK)
            continue;
        for (size_t k = 0; show && k < r->n_findings; k++) {
            const wp_finding *f = &r->findings[k];
            if (!strcmp(f->code, "WAVE_SURGE_START") || !strcmp(f->code, "VOLUME_SURGE"))
                printf("  %s %s: %s\n", m[i].name, f->code, f->evidence);
        }
        wp_report_free(r);
    }
    double dt = now_s() - t0;
    wp_scanner_free(sc);
    return dt;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wave_corpus DIR [--rounds N] [--replay SECONDS] [--only on|off] "
                        "[key=value ...]\n");
        return 2;
    }
    long long replay = 0;
    int first = 2, rounds = 3;
    const char *only = "";
    while (argc > first + 1 && !strncmp(argv[first], "--", 2)) {
        if (!strcmp(argv[first], "--replay"))
            replay = atoll(argv[first + 1]);
        else if (!strcmp(argv[first], "--only"))
            only = argv[first + 1];
        else if (!strcmp(argv[first], "--rounds"))
            rounds = atoi(argv[first + 1]) > 0 ? atoi(argv[first + 1]) : 1;
        first += 2;
    }
    size_t n;
    msg *m = load_dir(argv[1], &n);
    if (m == NULL || n == 0) {
        fprintf(stderr, "no messages in %s\n", argv[1]);
        return 2;
    }
    double best_off = 1e9, best_on = 1e9;
    for (int round = 0; round < rounds; round++) {
        wp_engine *e;
        double t;
        if (strcmp(only, "on") != 0) {
            e = engine(argc, argv, first, false);
            t = pass(e, m, n, replay, false);
            best_off = t < best_off ? t : best_off;
            wp_engine_free(e);
        }
        if (!strcmp(only, "off"))
            continue;
        e = engine(argc, argv, first, true);
        if (round == rounds - 1)
            printf("waves (surge starts):\n");
        t = pass(e, m, n, replay, round == rounds - 1);
        best_on = t < best_on ? t : best_on;
        if (round == rounds - 1) {
            wave_stats st;
            wave_table_stats(wave_state_table(e->mod_state[WP_MOD_WAVE]), &st);
            printf("messages %zu, clusters %zu, waves %llu, memory %zu bytes\n", n, st.clusters,
                   (unsigned long long)st.waves_total, st.bytes);
        }
        wp_engine_free(e);
    }
    printf("scan without wave: %.1f us/message; with wave: %.1f us/message; module cost "
           "%.1f us/message (%.1f%%)\n",
           best_off / n * 1e6, best_on / n * 1e6, (best_on - best_off) / n * 1e6,
           (best_on - best_off) / best_off * 100);
    for (size_t i = 0; i < n; i++) {
        free(m[i].name);
        free(m[i].data);
    }
    free(m);
    return 0;
}
