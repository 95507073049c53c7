/*
 * lookalike.h - is one domain dressed up as another?
 */
#ifndef WATCHPOST_ANALYZE_LOOKALIKE_H
#define WATCHPOST_ANALYZE_LOOKALIKE_H

#include <stdbool.h>
#include <stddef.h>

/* When host (lower case, punycode or not) imitates the protected registrable domain prot
 * without being it or under it, writes how ("edit distance 1", "homoglyphs", "TLD swap",
 * "hyphenated", "protected name as a subdomain", "protected name as a label") into why and
 * returns true. */
bool wp_lookalike(const char *host, const char *prot, char *why, size_t whylen);
/* Damerau-Levenshtein (optimal string alignment) distance, capped: returns cap+1 when the
 * distance exceeds cap. Strings longer than 63 bytes compare as cap+1. */
int wp_edit_distance(const char *a, const char *b, int cap);

#endif
