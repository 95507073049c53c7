/*
 * names.h - domains, addresses and raw headers as the sender and URL analyzers need them.
 *
 * Registrable domains come from the Public Suffix List through libpsl (its built-in copy,
 * immutable and thread-safe), punycode from libidn2. Everything takes hostile input and
 * bounded buffers; nothing allocates except into the scan's arena.
 */
#ifndef WATCHPOST_ANALYZE_NAMES_H
#define WATCHPOST_ANALYZE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/scan.h"

#define WP_DOMAIN_MAX 256

/* "Name <user@host>" or "user@host": the display name (may be "") and the lower-cased
 * address ("" when none) of the first mailbox. Returns false when no address was found. */
bool wp_mailbox_split(const char *hdr, char *name, size_t nlen, char *addr, size_t alen);
/* The domain part of an address (pointer into addr), NULL when none. */
const char *wp_addr_domain(const char *addr);
/* Registrable domain ("eTLD+1") of a lower-case host into out; the host itself when it is an
 * IP literal or has no known suffix. false when host is empty or too long. */
bool wp_registrable(const char *host, char *out, size_t outlen);
/* Public suffix of a registrable domain: pointer into dom after the first label, or NULL. */
const char *wp_domain_suffix(const char *dom);
/* true when host is an IPv4/IPv6 literal, including the decimal, octal and hex forms
 * browsers accept for IPv4 ("3232235777", "0xC0A80001"). */
bool wp_host_is_ip(const char *host);
/* true for loopback, RFC 1918, link-local and documentation-free private ranges. */
bool wp_ip_is_private(const char *host);
/* Unicode form of a host with xn-- labels (UTF-8) into out; false when not punycode or
 * invalid. */
bool wp_host_unicode(const char *host, char *out, size_t outlen);
/* Value of the first top-level header field called name (case-insensitive), unfolded and
 * capped at outlen-1 bytes; false when absent. Reads s->raw, never past the header block. */
bool wp_raw_header(const wp_scan *s, const char *name, char *out, size_t outlen);
/* Freemail providers (gmail.com, outlook.com ...): anyone can have an address there. */
bool wp_domain_is_freemail(const char *regdom);

#endif
