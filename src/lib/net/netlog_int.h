/*
 * netlog_int.h - internals shared by the network-log parsers (src/lib/net/).
 *
 * Every format ends in the same place: the values of one line are gathered into an array of
 * "slots" (one per record field we use, named after the Zeek field), borrowed from the line
 * or from the parser's scratch buffer, and net_build() turns them into a wp_net_record. A
 * TSV header maps each column to a slot once; a JSON line maps each value's dotted path
 * ("id.orig_h", "flow.bytes_toserver") through the same name table.
 */
#ifndef WATCHPOST_NET_NETLOG_INT_H
#define WATCHPOST_NET_NETLOG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchpost/netlog.h"

/* Hard ceilings for wp_netlog_limits (parser_new clamps to them). */
#define NET_MAX_LINE_CEIL  (16u * 1024 * 1024)
#define NET_MAX_LINE_FLOOR 256u
#define NET_MAX_FIELDS     4096u
#define NET_MAX_DEPTH      256u
#define NET_PATH_MAX       128 /* dotted JSON paths longer than this match nothing */

typedef enum net_slot {
    S_NONE = 0,
    S_TS,
    S_UID,
    S_SRC_IP,
    S_DST_IP,
    S_SRC_PORT,
    S_DST_PORT,
    S_PROTO,
    S_SERVICE,
    S_DURATION,
    S_ORIG_BYTES,
    S_RESP_BYTES,
    S_ORIG_PKTS,
    S_RESP_PKTS,
    S_CONN_STATE,
    S_QUERY,
    S_QTYPE,
    S_RCODE,
    S_ANSWERS,
    S_METHOD,
    S_HOST,      /* Zeek "host": http Host header, known_hosts address (EVE: sensor name) */
    S_HTTP_HOST, /* EVE http.hostname */
    S_URI,
    S_USER_AGENT,
    S_REFERRER,
    S_POST_BODY,
    S_STATUS,
    S_REQ_LEN,
    S_RESP_LEN,
    S_SNI,
    S_JA3,
    S_JA3S,
    S_VERSION,     /* Zeek "version": TLS version in ssl.log (HTTP version elsewhere) */
    S_TLS_VERSION, /* EVE tls.version */
    S_SUBJECT,
    S_ISSUER,
    S_MD5,
    S_SHA1,
    S_SHA256,
    S_MIME,
    S_FILENAME,
    S_TX_HOSTS,
    S_RX_HOSTS,
    S_CONN_UIDS,
    S_FUID,
    S_ASSIGNED,
    S_CLIENT_ADDR,
    S_SERVER_ADDR,
    S_HOST_NAME,
    S_MAC,
    S_CLIENT,
    S_SIGNATURE,
    S_SIG_ID,
    S_SEVERITY,
    S_CATEGORY,
    S_START, /* EVE flow.start */
    S_END,   /* EVE flow.end */
    S_EVENT_TYPE,
    S_PATH,    /* Zeek JSON "_path" */
    S_QUERIES, /* EVE dns v3 queries[].rrname */
    S_GROUPED, /* EVE dns v2 grouped.<type>[] */
    S_RDATA,   /* EVE dns v1 answer rdata */
    /* present only to tell a Zeek log's kind from its fields */
    S_P_HISTORY,
    S_P_TRANS_ID,
    S_P_LEASE,
    S_P_REQUEST_TYPE,
    S_P_CURVE,
    S__COUNT
} net_slot;

enum { V_ABSENT = 0, V_STRING, V_NUMBER, V_LITERAL };

typedef struct net_val {
    const char *p;
    uint32_t n;
    uint8_t type;
    uint8_t joined; /* an array: several values joined by the join separator */
} net_val;

/* kinds beyond wp_net_kind used while classifying */
#define NET_KIND_NONE  (-1) /* not known (yet) */
#define NET_KIND_OTHER (-2) /* a log we know and do not use: skipped_unknown */

typedef struct net_name_ent {
    const char *name;
    uint16_t len;
    uint8_t slot;
} net_name_ent;

#define NET_NAME_BUCKETS 512

typedef struct net_tsv {
    bool have_fields;
    char sep;
    char set_sep;
    char empty[32];
    size_t empty_n;
    char unset[32];
    size_t unset_n;
    int path_kind; /* from #path; NET_KIND_NONE when there is none */
    char path[32];
    unsigned n_fields;
    uint8_t *map;   /* column -> slot, max_fields entries */
    int field_kind; /* told by the #fields present, NET_KIND_NONE when they tell nothing */
    unsigned parts; /* the NET_PART_* the columns feed */
    int kind;       /* resolved at #fields / #path: path, else file name, else fields */
    bool vals_ok;   /* the slots hold only what the current layout writes */
} net_tsv;

struct wp_netlog_parser {
    wp_netlog_limits lim;
    wp_netlog_stats st;
    unsigned long long lineno;
    double last_ts;
    int hint_kind; /* from the file name: a wp_net_kind, NET_KIND_OTHER or NET_KIND_NONE */
    bool quiet;    /* restoring a TSV header after a restart: no counting, no records */
    bool stopped;  /* the callback returned false */
    net_tsv tsv;
    char join_sep; /* separator of set values in S_ANSWERS and friends for this line */
    net_val v[S__COUNT];
    char *scratch; /* unescaped JSON strings, joined arrays, lower-cased EVE proto */
    size_t scratch_cap, scratch_len;
    net_name_ent names[NET_NAME_BUCKETS];
    wp_net_record_fn fn;
    void *ctx;
    /* The record handed to the callback, rebuilt in place line after line: each part built
     * writes every field it owns, so only a change of parts needs the whole of it blanked
     * (a record is 616 bytes: clearing it per line was two thirds of net_build()). */
    wp_net_record rec;
    unsigned rec_parts; /* the parts rec was built with; NET_PARTS_NONE: not yet */
};

/* netlog.c */
void net_bad(wp_netlog_parser *p, const char *fmt, ...) WP_PRINTF(2, 3);
void net_unknown(wp_netlog_parser *p);
void net_header(wp_netlog_parser *p);
void net_emit(wp_netlog_parser *p, const wp_net_record *r);
int net_kind_of_name(const char *s, size_t n); /* "conn" -> WP_NET_CONN, "x509" -> OTHER */
/* The follower's entry points: a too-long line seen only in part, and the quiet header
 * restore of a resumed TSV file. */
void net_line_too_long(wp_netlog_parser *p, unsigned long long n_seen);
void net_restore_header(wp_netlog_parser *p, const char *line, size_t len);

/* fields.c */
void net_names_init(wp_netlog_parser *p);
net_slot net_lookup(const wp_netlog_parser *p, const char *name, size_t n);
const char *net_slot_name(net_slot s);
void net_vals_clear(wp_netlog_parser *p);
/* The parts of a record net_build() fills beyond the common head (time, uid, addresses,
 * ports, protocol, service). A part whose fields a layout does not have is left as absent
 * without reading its slots: a conn.log line skips the other kinds' thirty-odd fields. */
enum {
    NET_PART_CONN = 1 << 0,
    NET_PART_DNS = 1 << 1,
    NET_PART_HTTP = 1 << 2,
    NET_PART_TLS = 1 << 3,
    NET_PART_FILE = 1 << 4,
    NET_PART_ALERT = 1 << 5,
    NET_PART_HOST = 1 << 6,
    NET_PARTS_ALL = (1 << 7) - 1,
    NET_PARTS_NONE = 1 << 7 /* no parts value: rec is to be blanked */
};
/* The parts the slots present (present[slot] nonzero) feed. */
unsigned net_parts_of(const uint8_t *present);
/* Build the record of kind from p->v, reading the slots of the given parts only (the others
 * must be absent), into p->rec; NULL when a value is malformed (reason recorded). */
const wp_net_record *net_build(wp_netlog_parser *p, wp_net_kind kind, bool eve, unsigned parts);
/* The kind a Zeek log's field names tell (present[slot] nonzero), or NET_KIND_NONE. */
int net_kind_from_fields(const uint8_t *present);
/* first element of a set value ("a,b" -> "a") */
wp_net_str net_first(const net_val *v, char sep);

/* num.c */
bool net_parse_u64(const char *s, size_t n, uint64_t *out);
bool net_parse_double(const char *s, size_t n, double *out);
/* epoch seconds ("1517336042.090842") or ISO 8601 with zone ("2019-01-08T21:21:53.01+0000") */
bool net_parse_time(const char *s, size_t n, double *out);
uint64_t net_fnv64(const void *d, size_t n);

/* zeek_tsv.c */
void net_tsv_reset(wp_netlog_parser *p);
void net_tsv_header(wp_netlog_parser *p, const char *s, size_t n);
void net_tsv_data(wp_netlog_parser *p, const char *s, size_t n);

/* json.c: scan one JSON object into p->v; false with *why on malformed JSON */
bool net_json_scan(wp_netlog_parser *p, const char *s, size_t n, const char **why);
/* scratch: reserve n bytes at the end, NULL when exhausted */
char *net_scratch(wp_netlog_parser *p, size_t n);

/* zeek_json.c, eve.c: the line was scanned into p->v */
void net_zeek_json(wp_netlog_parser *p);
void net_eve(wp_netlog_parser *p);

#endif
