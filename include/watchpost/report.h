/*
 * watchpost/report.h - the analysis of one message: metadata, part tree, analysed objects
 * (attachments, archive members), URLs and findings.
 *
 * Ownership: a wp_report and every string and array reachable from it live in one arena that
 * wp_report_free() releases at once. Reports are immutable after the scan that made them and
 * may be read from any thread. Strings are UTF-8 and NUL-terminated; text taken from the
 * message has control characters replaced, so it is safe to print.
 */
#ifndef WATCHPOST_REPORT_H
#define WATCHPOST_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "status.h"

#define WP_REPORT_SCHEMA_VERSION "1.1"

typedef struct wp_hashes {
    char md5[33];
    char sha1[41];
    char sha256[65];
} wp_hashes;

/* One node of the MIME tree. */
typedef struct wp_part {
    const char *id;     /* "1", "1.2", "2.1.1" (IMAP-style numbering) */
    const char *parent; /* id of the enclosing part, NULL for the root */
    int depth;
    const char *content_type; /* as declared, lower case "type/subtype" */
    const char *charset;      /* declared charset or NULL */
    const char *encoding;     /* Content-Transfer-Encoding or NULL */
    const char *disposition;  /* "inline", "attachment" or NULL */
    const char *filename;     /* decoded (RFC 2047/2231) name or NULL */
    uint64_t size;            /* decoded bytes (0 for containers) */
    bool is_container;        /* multipart or message/rfc822 */
} wp_part;

/* Something that was taken apart: a leaf MIME part, an archive member, a uuencoded block, a
 * TNEF attachment. Every one gets hashes, a true type and its own findings. */
typedef struct wp_object {
    const char *where;         /* "2/invoice.zip/invoice.pdf.exe" */
    const char *name;          /* declared or member name, NULL when none */
    const char *declared_type; /* Content-Type for MIME parts, NULL for members */
    const char *true_type;     /* MIME type from libmagic or watchpost's own sniffing */
    const char *kind;          /* coarse family: text, html, image, pdf, office, ole2, rtf,
                                  archive, pe, elf, macho, script, tnef, message, data ... */
    uint64_t size;
    int depth;          /* 0 = MIME part, 1 = member of an archive in it, ... */
    bool is_attachment; /* false for body text parts */
    bool encrypted;     /* an encrypted archive member */
    bool truncated;     /* only a prefix was analysed (a limit was hit) */
    bool has_hashes;
    wp_hashes hashes;
} wp_object;

typedef struct wp_url {
    const char *url;    /* as found (entities decoded), capped in length */
    const char *host;   /* lower case host, NULL when none could be parsed */
    const char *text;   /* visible text of the link (HTML anchors), NULL otherwise */
    const char *source; /* "text", "href", "src", "action", "pdf", "refresh" */
    const char *where;  /* part id or object path */
} wp_url;

/* The judgement of a message (docs/VERDICTS.md). */
typedef enum wp_verdict_class {
    WP_VERDICT_CLEAN,
    WP_VERDICT_SPAM,
    WP_VERDICT_PHISHING,
    WP_VERDICT_MALWARE,
    WP_VERDICT_TARGETED, /* malicious and aimed at us */
    WP_VERDICT__COUNT
} wp_verdict_class;

typedef enum wp_action {
    WP_ACTION_DELIVER,
    WP_ACTION_TAG, /* deliver with X-Watchpost-* headers / subject tag */
    WP_ACTION_QUARANTINE,
    WP_ACTION_REJECT,
    WP_ACTION__COUNT
} wp_action;

typedef struct wp_verdict {
    wp_verdict_class cls;
    int score;    /* sum of the findings' contributions */
    int severity; /* 0-5, the scale of docs/SEVERITY.md */
    wp_action action;
    int category_score[WP_CAT__COUNT];
    const char **reasons; /* a few sentences: why this class, why this severity */
    size_t n_reasons;
} wp_verdict;

WP_API const char *wp_verdict_name(wp_verdict_class c);
WP_API const char *wp_action_name(wp_action a);
WP_API const char *wp_severity_name(int level);

typedef struct wp_report {
    const char *schema_version;
    const char *source; /* set by the front end: file path, "mbox:path#n", "-" */
    uint64_t size;      /* raw bytes of the message */
    bool parsed;        /* false when the input had no recognisable message structure */

    /* Headers of interest, decoded to UTF-8; NULL when absent. */
    const char *from;
    const char *sender;
    const char *reply_to;
    const char *return_path;
    const char *to;
    const char *cc;
    const char *subject;
    const char *message_id;
    const char *date;
    const char *in_reply_to;
    const char *x_mailer;
    const char **received; /* the Received chain, top (newest) first */
    size_t n_received;
    const char **authentication_results;
    size_t n_authentication_results;

    wp_part *parts;
    size_t n_parts;
    wp_object *objects;
    size_t n_objects;
    wp_url *urls;
    size_t n_urls;
    wp_finding *findings;
    size_t n_findings;

    uint64_t text_bytes;      /* visible text gathered from text and HTML bodies */
    const char *text_excerpt; /* first few hundred characters of that text */
    double scan_ms;           /* wall time of the scan */

    wp_verdict verdict;
} wp_report;

WP_API void wp_report_free(wp_report *r);

/* Sum of finding weights, and whether any finding has weight > 0. */
WP_API int wp_report_weight(const wp_report *r);

/* Set the source label (copied into the report's arena). */
WP_API wp_status wp_report_set_source(wp_report *r, const char *source);

/* Serialise to one line of JSON (no trailing newline); caller free()s *out. */
WP_API wp_status wp_report_to_json(const wp_report *r, char **out);

#endif
