/*
 * eve.c - Suricata EVE JSON events: flow, dns, http, tls, fileinfo and alert become records;
 * any other event_type (stats, dhcp, anomaly...) is skipped-unknown.
 *
 * Mapping (see fields.c): src_ip/dest_ip/src_port/dest_port, proto lower-cased ("UDP" ->
 * "udp", as Zeek writes it), app_proto as the service, flow_id as the uid (its digits),
 * "timestamp" with its UTC offset. flow.bytes_toserver/toclient and pkts_* are the byte and
 * packet counts, flow.state the connection state, duration flow.end - flow.start (absent
 * when either is). dns: rrname/rrtype/rcode of EVE v1 and v2, queries[0] of v3; answers
 * from answers[].rdata (v2/v3), else the grouped values (v2 "grouped" format), else rdata
 * (one v1 answer event per record), joined with ','. fileinfo.magic (libmagic's description)
 * goes into mime_type. An alert keeps the flow's fields it carries and its signature, id,
 * severity and category.
 */
#include <string.h>

#include "netlog_int.h"

static const struct {
    const char *name;
    wp_net_kind kind;
} events[] = {
    {"flow", WP_NET_CONN}, {"dns", WP_NET_DNS},       {"http", WP_NET_HTTP},
    {"tls", WP_NET_TLS},   {"fileinfo", WP_NET_FILE}, {"alert", WP_NET_ALERT},
};

void
net_eve(wp_netlog_parser *p)
{
    const net_val *et = &p->v[S_EVENT_TYPE];
    int kind = -1;
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        if (strlen(events[i].name) == et->n && memcmp(events[i].name, et->p, et->n) == 0)
            kind = (int)events[i].kind;
    }
    if (kind < 0) {
        net_unknown(p);
        return;
    }
    const wp_net_record *r = net_build(p, (wp_net_kind)kind, true, NET_PARTS_ALL);
    if (r != NULL)
        net_emit(p, r);
}
