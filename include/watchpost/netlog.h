/*
 * watchpost/netlog.h - network metadata logs (Zeek TSV and JSON, Suricata EVE) as records.
 *
 * A parser turns one log line at a time into a wp_net_record and hands it to a callback.
 * The record borrows from the line and the parser: it is valid only during the callback.
 * Every line is accounted for in wp_netlog_stats: a line that is not a record is counted as
 * a header, a comment, skipped-bad (with the first few reasons kept) or skipped-unknown
 * (a well-formed line of a log kind we do not use, such as stats.log); nothing is dropped
 * silently.
 *
 * Formats, detected per line: a Zeek TSV header line ("#fields", "#path", "#separator"...)
 * sets the layout for the data lines that follow it; a line starting with '{' is JSON, a
 * Suricata EVE event when it has "event_type", otherwise a Zeek JSON log whose kind comes
 * from "_path", the file name hint, or the fields present.
 *
 * Thread safety: a parser is used by one thread at a time; separate parsers are independent.
 */
#ifndef WATCHPOST_NETLOG_H
#define WATCHPOST_NETLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum wp_net_kind {
    WP_NET_CONN,  /* Zeek conn.log, EVE "flow" */
    WP_NET_DNS,   /* Zeek dns.log, EVE "dns" (queries and answers) */
    WP_NET_HTTP,  /* Zeek http.log, EVE "http" */
    WP_NET_TLS,   /* Zeek ssl.log, EVE "tls" */
    WP_NET_FILE,  /* Zeek files.log, EVE "fileinfo" */
    WP_NET_ALERT, /* EVE "alert" */
    WP_NET_HOST,  /* who is where: Zeek dhcp.log, known_hosts.log, kerberos.log */
    WP_NET__COUNT
} wp_net_kind;

WP_API const char *wp_net_kind_name(wp_net_kind k);

/* A borrowed piece of the line; n == 0 means absent (Zeek "-" and "(empty)" are absent). */
typedef struct wp_net_str {
    const char *p;
    size_t n;
} wp_net_str;

#define WP_NET_UNSET (-1) /* integer fields: not in the log line */

typedef struct wp_net_record {
    wp_net_kind kind;
    double ts;         /* seconds since the epoch; 0 when the line has none */
    wp_net_str uid;    /* Zeek uid, or Suricata flow_id as text */
    wp_net_str src_ip; /* originator (id.orig_h, src_ip) */
    wp_net_str dst_ip; /* responder (id.resp_h, dest_ip) */
    int src_port;      /* WP_NET_UNSET when absent */
    int dst_port;
    wp_net_str proto;   /* "tcp", "udp", "icmp": lower case (EVE's "UDP" is lower-cased) */
    wp_net_str service; /* Zeek service, EVE app_proto */

    /* conn / flow */
    double duration;    /* seconds; < 0 when absent */
    int64_t orig_bytes; /* payload bytes originator -> responder; WP_NET_UNSET absent */
    int64_t resp_bytes; /* payload bytes responder -> originator */
    int64_t orig_pkts;
    int64_t resp_pkts;
    wp_net_str conn_state; /* Zeek conn_state ("SF", "S0"...), EVE flow.state */

    /* dns */
    wp_net_str query;
    wp_net_str qtype;   /* "A", "TXT"... (Zeek qtype_name, EVE rrtype) */
    wp_net_str rcode;   /* "NOERROR", "NXDOMAIN"... */
    wp_net_str answers; /* as logged: Zeek's set separator, or EVE answers joined by ',' */

    /* http */
    wp_net_str method;
    wp_net_str host;
    wp_net_str uri;
    wp_net_str user_agent;
    wp_net_str referrer;
    wp_net_str post_body; /* when the sensor logs request bodies (Zeek post_body, EVE
                             http_request_body decoded by the caller); else absent */
    int status_code;      /* WP_NET_UNSET absent */
    int64_t request_body_len;
    int64_t response_body_len;

    /* tls */
    wp_net_str sni;
    wp_net_str ja3;
    wp_net_str ja3s;
    wp_net_str tls_version;
    wp_net_str subject;
    wp_net_str issuer;

    /* files, and the http/fileinfo hashes when present */
    wp_net_str md5;
    wp_net_str sha1;
    wp_net_str sha256;
    wp_net_str mime_type; /* Zeek mime_type; EVE fileinfo.magic (libmagic's description) */
    wp_net_str filename;

    /* alert */
    wp_net_str signature;
    int64_t signature_id;
    int alert_severity; /* Suricata: 1 high .. 3 low; WP_NET_UNSET absent */
    wp_net_str alert_category;

    /* host: the address in src_ip is (now) this machine or user */
    wp_net_str host_name; /* dhcp host_name, known_hosts has none */
    wp_net_str mac;
    wp_net_str user; /* kerberos client principal */
} wp_net_record;

typedef struct wp_netlog_limits {
    size_t max_line_bytes; /* longer lines are skipped-bad (default 64 KiB) */
    unsigned max_fields;   /* columns in a #fields header (default 256) */
    unsigned json_depth;   /* nesting in a JSON line (default 32) */
} wp_netlog_limits;
/* wp_netlog_parser_new() clamps them: lines 256 B .. 16 MiB, fields 1 .. 4096, depth 1 .. 256.
 * A parser allocates twice max_line_bytes of scratch space once, nothing per line. */

WP_API void wp_netlog_limits_init(wp_netlog_limits *l);

#define WP_NETLOG_REASONS 8 /* the first reasons for skipped-bad lines are kept verbatim */

typedef struct wp_netlog_stats {
    unsigned long long lines;           /* every line seen */
    unsigned long long records;         /* handed to the callback */
    unsigned long long headers;         /* '#' lines of a TSV log */
    unsigned long long skipped_bad;     /* truncated, wrong field count, bad JSON, too long */
    unsigned long long skipped_unknown; /* well formed, of a kind not used; blank lines */
    unsigned long long out_of_order;    /* ts earlier than the previous record's (kept) */
    unsigned long long bytes;
    unsigned n_reasons;
    struct {
        unsigned long long line; /* 1-based line number in the current input */
        char text[160];
    } reasons[WP_NETLOG_REASONS];
} wp_netlog_stats;

/* The callback returns false to stop the parse (wp_netlog_feed returns WP_EINVAL then). */
typedef bool (*wp_net_record_fn)(void *ctx, const wp_net_record *r);

typedef struct wp_netlog_parser wp_netlog_parser;

WP_API wp_status wp_netlog_parser_new(const wp_netlog_limits *lim, wp_netlog_parser **out);
WP_API void wp_netlog_parser_free(wp_netlog_parser *p); /* NULL: no-op */

/* A new input begins: forget the TSV layout and line count. hint is the file name (may be
 * NULL), used to tell a Zeek JSON log's kind when it has no "_path" ("dns.log.gz",
 * "conn.18:00:00-19:00:00.log"). */
WP_API void wp_netlog_parser_reset(wp_netlog_parser *p, const char *hint);

/* One line without its terminator (a trailing '\r' is tolerated). */
WP_API wp_status wp_netlog_feed_line(wp_netlog_parser *p, const char *line, size_t len,
                                     wp_net_record_fn fn, void *ctx);

/* A buffer of whole lines; a final line without '\n' is parsed too. */
WP_API wp_status wp_netlog_feed(wp_netlog_parser *p, const char *buf, size_t len,
                                wp_net_record_fn fn, void *ctx);

WP_API const wp_netlog_stats *wp_netlog_parser_stats(const wp_netlog_parser *p);

/*
 * Files. A cursor says how far a file was read and which file it was, so a restart resumes
 * without re-reading or skipping, and a rotated, truncated or replaced file is noticed:
 *   rotated   the path names a new inode: the old file is read to its end first (still open
 *             in a follower; after a restart, found again by its inode in the same directory
 *             when it was renamed there), then the new one from 0. When the old file cannot
 *             be found, its unread tail is counted as lost_bytes (reported, never silent);
 *   truncated same inode, size below the offset: read again from 0 (counted);
 *   replaced  same inode or not, size >= offset, but the first bytes differ from those seen:
 *             read from 0 (counted).
 * A gzip file (by its magic) is read whole, decompressed, once; its cursor offset counts
 * compressed bytes and equals the file size when done.
 */
typedef struct wp_netlog_cursor {
    uint64_t dev, ino;
    uint64_t offset;    /* bytes of the file consumed, at a line boundary */
    uint64_t head_hash; /* FNV-1a 64 of the first head_len bytes */
    uint32_t head_len;  /* min(size, 256), growing with the file up to 256 */
    uint64_t size;      /* the file's size when the cursor was taken: after a restart, a
                           rotated file that cannot be found counts size - offset lost */
} wp_netlog_cursor;

typedef struct wp_netlog_file_stats {
    unsigned long long rotations, truncations, replacements;
    unsigned long long lost_bytes; /* of a rotated file that could not be found again (at
                                      least: what was appended after the cursor is unknown) */
    unsigned long long lost_files; /* rotated files that could not be found again */
} wp_netlog_file_stats;

/* Batch: read path whole (plain or gzip) from the start; the parser is reset with path as
 * its hint. A last line without '\n' is parsed. */
WP_API wp_status wp_netlog_read_file(wp_netlog_parser *p, const char *path, wp_net_record_fn fn,
                                     void *ctx, char *err, size_t errlen);

/* Follow one growing file (as tail -F). */
typedef struct wp_netlog_follower wp_netlog_follower;

/* cur: where a previous run stopped (NULL: from the start of the file as it is now). */
WP_API wp_status wp_netlog_follower_new(const char *path, const wp_netlog_cursor *cur,
                                        wp_netlog_follower **out);
WP_API void wp_netlog_follower_free(wp_netlog_follower *f);

/* Read what was appended since the last call (and handle rotation/truncation/replacement);
 * pass the same parser to every poll of a follower (it is reset when a new file begins);
 * a last line without '\n' is left for the next call. *n_records (may be NULL) gets how
 * many records this call produced. A missing file is not an error (it may be being
 * rotated): WP_OK with nothing read. */
WP_API wp_status wp_netlog_follower_poll(wp_netlog_follower *f, wp_netlog_parser *p,
                                         wp_net_record_fn fn, void *ctx, size_t *n_records,
                                         char *err, size_t errlen);

/* The position to save (after a poll, it is at a line boundary). */
WP_API void wp_netlog_follower_cursor(const wp_netlog_follower *f, wp_netlog_cursor *cur);
WP_API const wp_netlog_file_stats *wp_netlog_follower_stats(const wp_netlog_follower *f);

#endif
