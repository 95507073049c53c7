/*
 * gen.h - one generation of the scanning setup: an engine, the internal networks and a pool
 * of scanners for it, reference counted so that SIGHUP can swap in a new generation while
 * messages still being scanned finish with the one they started with.
 */
#ifndef WATCHPOST_MILTER_GEN_H
#define WATCHPOST_MILTER_GEN_H

#include <stddef.h>

#include "common/config.h"
#include "watchpost/netlist.h"

typedef struct wpm_gen wpm_gen;

/* Builds an engine from cfg (default rules, configured rules, limits, settings). On error
 * returns NULL with err set. */
wpm_gen *wpm_gen_build(const cli_config *cfg, char *err, size_t errlen);
/* Makes g the current generation; the previous one is freed when its last user lets go. */
void wpm_gen_publish(wpm_gen *g);
/* The current generation with a reference held, NULL before the first publish. */
wpm_gen *wpm_gen_acquire(void);
void wpm_gen_release(wpm_gen *g);
/* Drops the current generation at shutdown. */
void wpm_gen_shutdown(void);

unsigned wpm_gen_number(const wpm_gen *g);
size_t wpm_gen_limit_message_bytes(const wpm_gen *g);
const wp_netlist *wpm_gen_networks(const wpm_gen *g);
/* A scanner of this generation from its pool (or a new one), NULL when out of memory. */
wp_scanner *wpm_gen_scanner(wpm_gen *g);
void wpm_gen_scanner_done(wpm_gen *g, wp_scanner *s);

#endif
