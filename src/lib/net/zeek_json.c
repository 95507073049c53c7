/*
 * zeek_json.c - Zeek logs written as JSON lines (LogAscii::use_json): one object per line,
 * keys flat and dotted ("id.orig_h"; nested "id": {...} objects give the same paths), "ts"
 * as epoch seconds or an ISO 8601 string.
 *
 * The kind comes from "_path" when the writer added it, else from the file name given to
 * wp_netlog_parser_reset() ("dns.log.gz", "conn.18:00:00-19:00:00.log", "open_conn.log"),
 * else from the fields present (query+qtype_name is dns, conn_state is conn...). A line of
 * a log we do not use is skipped-unknown.
 */
#include <string.h>

#include "netlog_int.h"

void
net_zeek_json(wp_netlog_parser *p)
{
    int kind;
    const net_val *path = &p->v[S_PATH];
    if (path->n > 0) {
        kind = net_kind_of_name(path->p, path->n);
    } else if (p->hint_kind != NET_KIND_NONE) {
        kind = p->hint_kind;
    } else {
        uint8_t present[S__COUNT];
        for (size_t i = 0; i < S__COUNT; i++)
            present[i] = p->v[i].type != V_ABSENT;
        kind = net_kind_from_fields(present);
    }
    if (kind < 0) {
        net_unknown(p);
        return;
    }
    const wp_net_record *r = net_build(p, (wp_net_kind)kind, false, NET_PARTS_ALL);
    if (r != NULL)
        net_emit(p, r);
}
