/*
 * netlist.h - a bounded list of IPv4/IPv6 networks (CIDR) and a membership test: the
 * milter's internal networks, the incidents' classified networks.
 */
#ifndef WATCHPOST_NETLIST_H
#define WATCHPOST_NETLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#define WP_MAX_NETWORKS 1024 /* entries in one list; more is a configuration error */

typedef struct wp_netlist wp_netlist;

WP_API wp_netlist *wp_netlist_new(void);
WP_API void wp_netlist_free(wp_netlist *l);
/* Adds every network of spec: "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", several separated
 * by commas or blanks. On bad input returns false, err says which item and why, and the
 * list is unchanged. */
WP_API bool wp_netlist_add(wp_netlist *l, const char *spec, char *err, size_t errlen);
WP_API size_t wp_netlist_count(const wp_netlist *l);
/* ip is textual IPv4 or IPv6, an IPv4-mapped IPv6 address matches IPv4 networks; anything
 * unparsable matches nothing. */
WP_API bool wp_netlist_contains(const wp_netlist *l, const char *ip);
/* A copy (for a reload), NULL when out of memory. */
WP_API wp_netlist *wp_netlist_dup(const wp_netlist *l);

#endif
