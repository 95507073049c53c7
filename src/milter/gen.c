/*
 * gen.c - engine generations: build, publish (swap under a mutex), acquire/release by
 * reference count, and a pool of scanners per generation (one scanner per concurrent scan,
 * which is one per libmilter worker thread at most).
 */
#include "gen.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define POOL_MAX 64 /* idle scanners kept; more are freed on return */

struct wpm_gen {
    wp_engine *eng;
    wp_netlist *nets;
    size_t max_message_bytes;
    unsigned number;
    unsigned refs; /* under mu; the current generation holds one itself */
    wp_scanner *pool[POOL_MAX];
    size_t n_pool;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static wpm_gen *current;
static unsigned generations;

static void
gen_free(wpm_gen *g)
{
    for (size_t i = 0; i < g->n_pool; i++)
        wp_scanner_free(g->pool[i]);
    wp_engine_free(g->eng);
    wp_netlist_free(g->nets);
    free(g);
}

wpm_gen *
wpm_gen_build(const cli_config *cfg, char *err, size_t errlen)
{
    wpm_gen *g = calloc(1, sizeof *g);
    if (g == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    err[0] = '\0';
    /* a missing default rule set is logged through wpm_log_engine as a warning */
    wp_status st = cli_engine_new(cfg, wpm_log_engine, &g->eng, err, errlen);
    if (st != WP_OK) {
        if (err[0] == '\0')
            snprintf(err, errlen, "%s", wp_strerror(st));
        free(g);
        return NULL;
    }
    g->nets = cfg->milter_networks ? wp_netlist_dup(cfg->milter_networks) : wp_netlist_new();
    if (g->nets == NULL) {
        snprintf(err, errlen, "out of memory");
        gen_free(g);
        return NULL;
    }
    g->max_message_bytes = (size_t)wp_limit(&cfg->limits, WP_LIMIT_MESSAGE_BYTES);
    return g;
}

void
wpm_gen_publish(wpm_gen *g)
{
    pthread_mutex_lock(&mu);
    wpm_gen *old = current;
    g->number = ++generations;
    g->refs = 1;
    current = g;
    bool free_old = old != NULL && --old->refs == 0;
    pthread_mutex_unlock(&mu);
    if (free_old)
        gen_free(old);
}

wpm_gen *
wpm_gen_acquire(void)
{
    pthread_mutex_lock(&mu);
    wpm_gen *g = current;
    if (g != NULL)
        g->refs++;
    pthread_mutex_unlock(&mu);
    return g;
}

void
wpm_gen_release(wpm_gen *g)
{
    if (g == NULL)
        return;
    pthread_mutex_lock(&mu);
    bool last = --g->refs == 0;
    pthread_mutex_unlock(&mu);
    if (last)
        gen_free(g);
}

void
wpm_gen_shutdown(void)
{
    pthread_mutex_lock(&mu);
    wpm_gen *g = current;
    current = NULL;
    pthread_mutex_unlock(&mu);
    wpm_gen_release(g);
}

unsigned
wpm_gen_number(const wpm_gen *g)
{
    return g->number;
}

size_t
wpm_gen_limit_message_bytes(const wpm_gen *g)
{
    return g->max_message_bytes;
}

const wp_netlist *
wpm_gen_networks(const wpm_gen *g)
{
    return g->nets;
}

wp_scanner *
wpm_gen_scanner(wpm_gen *g)
{
    wp_scanner *s = NULL;
    pthread_mutex_lock(&mu);
    if (g->n_pool > 0)
        s = g->pool[--g->n_pool];
    pthread_mutex_unlock(&mu);
    if (s == NULL && wp_scanner_new(g->eng, &s) != WP_OK)
        return NULL;
    return s;
}

void
wpm_gen_scanner_done(wpm_gen *g, wp_scanner *s)
{
    pthread_mutex_lock(&mu);
    if (g->n_pool < POOL_MAX) {
        g->pool[g->n_pool++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&mu);
    wp_scanner_free(s);
}
