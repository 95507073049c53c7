/*
 * netlist.h - a bounded list of IPv4/IPv6 networks (CIDR) and a membership test, for
 * milter.internal_networks: a client inside one of them sends outbound mail.
 */
#ifndef WATCHPOST_MILTER_NETLIST_H
#define WATCHPOST_MILTER_NETLIST_H

#include <stdbool.h>
#include <stddef.h>

#define WPM_MAX_NETWORKS 1024 /* entries in one list; more is a configuration error */

typedef struct wpm_netlist wpm_netlist;

wpm_netlist *wpm_netlist_new(void);
void wpm_netlist_free(wpm_netlist *l);
/* Adds every network of spec: "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", several separated
 * by commas or blanks. On bad input returns false, err says which item and why, and the
 * list is unchanged. */
bool wpm_netlist_add(wpm_netlist *l, const char *spec, char *err, size_t errlen);
size_t wpm_netlist_count(const wpm_netlist *l);
/* ip is textual IPv4 or IPv6, an IPv4-mapped IPv6 address matches IPv4 networks; anything
 * unparsable matches nothing. */
bool wpm_netlist_contains(const wpm_netlist *l, const char *ip);
/* A copy (for a reload), NULL when out of memory. */
wpm_netlist *wpm_netlist_dup(const wpm_netlist *l);

#endif
