/*
 * names.h - type names of indicator files (intel/names.c).
 */
#ifndef WATCHPOST_INTEL_NAMES_H
#define WATCHPOST_INTEL_NAMES_H

#include <stddef.h>

#include "set.h"

typedef enum intel_kind {
    K_UNKNOWN, /* not a type name: a bad line */
    K_IGNORED, /* a known type watchpost does not match (MISP "mutex") */
    K_AUTO,    /* infer from the value */
    K_MD5,
    K_SHA1,
    K_SHA256,
    K_HASH, /* any of the three, by length */
    K_EMAIL,
    K_DOMAIN,
    K_URL,
    K_IP,
    K_JA3 /* a TLS JA3/JA3S fingerprint: an MD5, kept apart from file hashes */
} intel_kind;

/* Case-insensitive; "" is K_AUTO. */
intel_kind intel_kind_of(const char *s, size_t n);
/* The digest table of K_MD5/K_SHA1/K_SHA256; -1 for other kinds. */
int intel_kind_table(intel_kind k);

#endif
