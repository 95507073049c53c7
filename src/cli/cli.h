/*
 * cli.h - the watchpost command: shared declarations of the subcommands and helpers.
 * The front end owns all printing, exit codes and I/O; judgement stays in libwatchpost.
 */
#ifndef WATCHPOST_CLI_H
#define WATCHPOST_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "watchpost/watchpost.h"

#include "common/config.h"
#include "common/timefmt.h"

int cmd_scan(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_learn(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_milter(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv); /* also `watchpost token` */
int cmd_ingest(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_hunt(int argc, char **argv);

/* times on the command line and in listings: common/timefmt.h */
/* Option values for the store commands: print "watchpost: OPT ..." and return false when bad. */
bool cli_opt_long(const char *opt, const char *s, long lo, long hi, long *out);
bool cli_opt_time(const char *opt, const char *s, long long *out);
/* Copies s into buf (len bytes) cut at a UTF-8 boundary, "..." marking a cut; NULL -> "-". */
const char *cli_cut(const char *s, char *buf, size_t len);
/* JSON for a string that may be NULL (null), and for a time (ISO-8601, or null when 0). */
struct json_t *cli_json_str(const char *s);
struct json_t *cli_json_time(long long t);
/* One decision as a JSON object (every field, findings and reasons); NULL when out of memory. */
struct json_t *cli_event_json(const wp_event *e);
/* ... printed as one line; false when out of memory. */
bool cli_print_event_json(FILE *out, const wp_event *e);

/* input.c: enumerate messages from files, directories (Maildir), mbox files and stdin. */
typedef struct input_msg {
    char *source; /* "path", "path#3" for the third message of an mbox, "-" */
    unsigned char *data;
    size_t len;
    uint64_t total; /* the message's size; above len when max_message_bytes cut it */
} input_msg;

typedef int (*input_cb)(void *ctx, input_msg *m); /* takes ownership of m's buffers */
typedef void (*input_err_cb)(void *ctx, const char *source, const char *what);
/* Walk one argument; returns the number of messages produced. */
size_t input_walk(const char *arg, size_t max_bytes, input_cb cb, input_err_cb err, void *ctx);

/* summary.c */
void summary_print(FILE *out, const wp_report *r, bool color);

#endif
