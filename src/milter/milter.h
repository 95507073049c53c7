/*
 * milter.h - `watchpost milter`: the daemon in front of Postfix or Sendmail (docs/MILTER.md).
 *
 * cmd_milter.c parses the command line and hands over a wpm_options; wpm_run() opens the
 * socket, drops privileges, opens the store, builds the engine and serves until SIGTERM.
 */
#ifndef WATCHPOST_MILTER_H
#define WATCHPOST_MILTER_H

#include <stdbool.h>

#include "common/config.h"

#define WPM_DEFAULT_LISTEN "unix:/run/watchpost/milter.sock"

/* Fills a fresh cli_config from the configuration files and command-line overrides; called
 * at start and again on every SIGHUP. Prints why and returns false on error. */
typedef bool (*wpm_load_fn)(void *ctx, cli_config *out);

typedef struct wpm_options {
    const char *listen; /* NULL: milter.listen, else WPM_DEFAULT_LISTEN */
    const char *user;   /* NULL: milter.user; needed when started as root */
    const char *db;     /* NULL: store.db, else CLI_DEFAULT_STORE_DB */
    const char *spool;  /* NULL: store.spool, else CLI_DEFAULT_STORE_SPOOL */
    bool foreground;    /* stay attached, log to stderr as well */
    wpm_load_fn load;
    void *load_ctx;
} wpm_options;

/* Runs the daemon; returns the process exit status. */
int wpm_run(const wpm_options *o);

#endif
