/*
 * mail.h - raw bytes to message: headers, MIME tree, bodies, URLs. GMime stays in here.
 */
#ifndef WATCHPOST_MAIL_H
#define WATCHPOST_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/scan.h"

/* Per-scanner GMime state (parser options with the warning callback). */
typedef struct wp_mail_ctx wp_mail_ctx;
wp_mail_ctx *wp_mail_ctx_new(void);
void wp_mail_ctx_free(wp_mail_ctx *m);

/* Parse and walk one message, filling s->r. Never fails on hostile input. */
void wp_mail_walk(wp_scan *s, wp_mail_ctx *m, const uint8_t *data, size_t len);

/* html.c: visible text and links of an HTML document. */
void wp_html_analyze(wp_scan *s, const char *html, size_t len, const char *where);

/* Process-wide one-time GMime initialisation (thread-safe). */
void wp_mail_global_init(void);

#endif
