/*
 * marking.h - classification markings: how a configured pattern is prepared, and where in a
 * buffer of UTF-8 or UTF-16LE text it counts as a marking rather than a word of prose.
 *
 * ASCII letters of a pattern are upper-cased when it is configured, and the text must carry
 * them upper-case and as whole words: "SECRET" and "[SECRET]" count, "Secret", "secret" and
 * "SECRETARY" do not. A pattern that is one non-ASCII character ("秘") counts only standing as
 * a marking: in brackets (【秘】, (秘), （秘）, [秘], ［秘］, 〔秘〕) or alone on its line (or
 * alone in an XML/HTML text node), so 秘密 and 神秘 in prose do not.
 */
#ifndef WATCHPOST_DLP_MARKING_H
#define WATCHPOST_DLP_MARKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchpost/status.h"

#define DLP_MARKING_MAX_BYTES 64 /* per pattern, UTF-8 */
#define DLP_MARKINGS_MAX      64 /* patterns per configuration */

typedef struct dlp_marking {
    char *text; /* UTF-8, ASCII letters upper-cased */
    size_t len;
    uint8_t *u16; /* the same in UTF-16LE (Office binary text) */
    size_t u16_len;
    bool lead_word;  /* starts with an ASCII letter or digit: needs a word boundary before */
    bool tail_word;  /* ends with one: needs a word boundary after */
    bool standalone; /* one non-ASCII character: needs brackets or a line of its own */
} dlp_marking;

/* Prepare pattern; err says why it is refused (empty, too long, not UTF-8, control
 * characters or a quote). */
wp_status dlp_marking_make(const char *pattern, dlp_marking *out, char *err, size_t errlen);
void dlp_marking_free(dlp_marking *m);

/* Index of the first of the n markings that occurs as a marking in data (UTF-8 text when
 * utf16 is false, UTF-16LE otherwise), or -1. Bounded: at most a fixed number of raw
 * occurrences of each pattern are examined. */
int dlp_marking_find(const dlp_marking *m, size_t n, const uint8_t *data, size_t len, bool utf16);

#endif
