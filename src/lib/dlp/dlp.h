/*
 * dlp.h - the one hook the content layer calls for the dlp module (outbound classification
 * markings): every attachment and archive member passes its decoded bytes here, so markings
 * inside files are found without the content layer keeping extracted text.
 */
#ifndef WATCHPOST_DLP_H
#define WATCHPOST_DLP_H

#include <stddef.h>
#include <stdint.h>

struct wp_scan;

/* Search the markings (UTF-8 and UTF-16LE forms) in data, a blob found at where; a hit
 * becomes a DLP_CLASSIFIED_MARKING finding. Returns at once when the module is off or the
 * message's direction is not checked. */
void wp_dlp_scan_bytes(struct wp_scan *s, const uint8_t *data, size_t len, const char *where);

#endif
