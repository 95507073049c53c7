/*
 * netconfig.c - the egress.* and incident.* keys of the configuration (docs/EGRESS.md,
 * docs/INCIDENTS.md), and the intel.file list the network side shares with the mail side.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

/* Numeric egress keys: name, where, kind ('u' unsigned, 'd' double, 'z' size/bytes), bounds. */
typedef struct num_key {
    const char *name;
    size_t off;
    char kind;
    double lo, hi;
} num_key;

#define EK(f, k, lo, hi)                                       \
    {                                                          \
        "egress." #f, offsetof(wp_egress_config, f), k, lo, hi \
    }
static const num_key egress_keys[] = {
    EK(beacon_min_conns, 'u', 3, 1e6),
    EK(beacon_threshold, 'd', 0, 1),
    EK(beacon_window, 'd', 60, 30 * 86400.0),
    EK(beacon_max_samples, 'u', 8, 1 << 20),
    EK(long_conn_seconds, 'd', 1, 30 * 86400.0),
    EK(dns_min_unique, 'u', 1, 1e9),
    EK(dns_entropy, 'd', 0, 8),
    EK(dns_label_len, 'u', 1, 63),
    EK(exfil_min_bytes, 'q', 0, 1e15),
    EK(exfil_factor, 'd', 1, 1e6),
    EK(new_dest_min_bytes, 'q', 0, 1e15),
    EK(volume_window, 'd', 60, 30 * 86400.0),
    EK(exfil_conn_bytes, 'q', 0, 1e15),
    EK(exfil_dest_bytes, 'q', 0, 1e15),
    EK(rare_warmup, 'd', 0, 365 * 86400.0),
    EK(max_pairs, 'z', 1, 1e9),
    EK(max_hosts, 'z', 1, 1e9),
    EK(max_domains, 'z', 1, 1e9),
    EK(max_dests, 'z', 1, 1e9),
};

static bool
push(char ***v, size_t *n, const char *s, char *err, size_t errlen)
{
    if (*n >= 4096) {
        snprintf(err, errlen, "too many values (4096 at most)");
        return false;
    }
    char **nv = realloc(*v, (*n + 1) * sizeof **v);
    if (nv == NULL || (nv[*n] = strdup(s)) == NULL) {
        if (nv != NULL)
            *v = nv;
        snprintf(err, errlen, "out of memory");
        return false;
    }
    *v = nv;
    (*n)++;
    return true;
}

static void
free_list(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

void
cli_netconfig_init(cli_netconfig *nc)
{
    memset(nc, 0, sizeof *nc);
    wp_egress_config_init(&nc->egress);
    wp_incident_config_init(&nc->incident);
    nc->poll_ms = 1000;
}

void
cli_netconfig_fini(cli_netconfig *nc)
{
    free_list(&nc->internal, &nc->n_internal);
    free_list(&nc->allow, &nc->n_allow);
    free_list(&nc->hosts, &nc->n_hosts);
    free_list(&nc->classified, &nc->n_classified);
    free_list(&nc->intel_files, &nc->n_intel_files);
}

/* Each value: comma/blank separated items. */
static bool
push_items(char ***v, size_t *n, const char *val, char *err, size_t errlen)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", val);
    char *save = NULL;
    for (char *t = strtok_r(buf, ", \t", &save); t != NULL; t = strtok_r(NULL, ", \t", &save))
        if (!push(v, n, t, err, errlen))
            return false;
    return true;
}

static bool
parse_number(const num_key *k, const char *val, void *base, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double d = strtod(val, &end);
    double mult = 1;
    if (end != val && (k->kind == 'q' || k->kind == 'z') && *end != '\0' && end[1] == '\0') {
        mult = *end == 'K' || *end == 'k' ? 1e3 : *end == 'M' ? 1e6 : *end == 'G' ? 1e9 : 0;
        if (mult > 0)
            end++;
    }
    d *= mult;
    if (errno != 0 || end == val || *end != '\0' || !isfinite(d) || d < k->lo || d > k->hi ||
        (k->kind != 'd' && d != floor(d))) {
        snprintf(err, errlen, "%s: want a %snumber from %g to %g, not '%.40s'", k->name,
                 k->kind == 'd' ? "" : "whole ", k->lo, k->hi, val);
        return false;
    }
    char *p = (char *)base + k->off;
    switch (k->kind) {
    case 'u':
        *(unsigned *)p = (unsigned)d;
        break;
    case 'd':
        *(double *)p = d;
        break;
    case 'q':
        *(uint64_t *)p = (uint64_t)d;
        break;
    default:
        *(size_t *)p = (size_t)d;
        break;
    }
    return true;
}

bool
cli_netconfig_set(cli_netconfig *nc, const char *key, const char *val, char *err, size_t errlen)
{
    if (strcmp(key, "egress.internal_networks") == 0)
        return push_items(&nc->internal, &nc->n_internal, val, err, errlen);
    if (strcmp(key, "egress.allow") == 0)
        return push_items(&nc->allow, &nc->n_allow, val, err, errlen);
    if (strcmp(key, "egress.poll_ms") == 0) {
        long v = strtol(val, NULL, 10);
        if (v < 50 || v > 600000) {
            snprintf(err, errlen, "egress.poll_ms: want 50 to 600000, not '%.40s'", val);
            return false;
        }
        nc->poll_ms = v;
        return true;
    }
    for (size_t i = 0; i < sizeof egress_keys / sizeof egress_keys[0]; i++)
        if (strcmp(key, egress_keys[i].name) == 0)
            return parse_number(&egress_keys[i], val, &nc->egress, err, errlen);
    if (strcmp(key, "incident.host") == 0) {
        char u[256], a[256], extra[2];
        if (sscanf(val, "%255s %255s %1s", u, a, extra) != 2) {
            snprintf(err, errlen, "incident.host: want 'USER ADDRESS', not '%.80s'", val);
            return false;
        }
        return push(&nc->hosts, &nc->n_hosts, val, err, errlen);
    }
    if (strcmp(key, "incident.classified_networks") == 0) {
        wp_netlist *probe = wp_netlist_new();
        bool ok = probe != NULL && wp_netlist_add(probe, val, err, errlen);
        wp_netlist_free(probe);
        return ok && push_items(&nc->classified, &nc->n_classified, val, err, errlen);
    }
    if (strcmp(key, "incident.link_window") == 0) {
        num_key k = {"incident.link_window", 0, 'd', 60, 365 * 86400.0};
        return parse_number(&k, val, &nc->incident.link_window, err, errlen);
    }
    snprintf(err, errlen, "unknown key '%s' (docs/EGRESS.md, docs/INCIDENTS.md)", key);
    return false;
}

/* Point the library configurations at the lists (valid while nc lives). */
void
cli_netconfig_apply(cli_netconfig *nc)
{
    nc->egress.internal_nets = (const char *const *)nc->internal;
    nc->egress.n_internal_nets = nc->n_internal;
    nc->egress.allow = (const char *const *)nc->allow;
    nc->egress.n_allow = nc->n_allow;
    nc->incident.host_map = (const char *const *)nc->hosts;
    nc->incident.n_host_map = nc->n_hosts;
    nc->incident.classified_nets = (const char *const *)nc->classified;
    nc->incident.n_classified_nets = nc->n_classified;
}

bool
cli_netconfig_set_intel(cli_netconfig *nc, const char *path, char *err, size_t errlen)
{
    return push(&nc->intel_files, &nc->n_intel_files, path, err, errlen);
}
