/*
 * content.h - what a blob really is, and the analyzers that take blobs apart.
 *
 * wp_content_analyze() is the one entry point: it records the blob as a report object
 * (hashes, true type), checks its name, runs the analyzer for its kind (archive, Office, PDF,
 * RTF, TNEF, executable) and YARA. Containers feed their members back into it with depth + 1;
 * the depth is bounded by max_archive_depth, so the recursion is bounded too.
 */
#ifndef WATCHPOST_CONTENT_H
#define WATCHPOST_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/scan.h"

typedef enum wp_kind {
    WP_KIND_DATA,
    WP_KIND_EMPTY,
    WP_KIND_TEXT,
    WP_KIND_HTML,
    WP_KIND_IMAGE,
    WP_KIND_PDF,
    WP_KIND_ZIP,
    WP_KIND_OOXML,
    WP_KIND_RAR,
    WP_KIND_7Z,
    WP_KIND_GZIP,
    WP_KIND_BZIP2,
    WP_KIND_XZ,
    WP_KIND_TAR,
    WP_KIND_CAB,
    WP_KIND_OLE2,
    WP_KIND_RTF,
    WP_KIND_PE,
    WP_KIND_ELF,
    WP_KIND_MACHO,
    WP_KIND_SCRIPT,
    WP_KIND_TNEF,
    WP_KIND_DISK_IMAGE,
    WP_KIND_LNK,
    WP_KIND_MESSAGE,
    WP_KIND_ONENOTE,
    WP_KIND_CHM,
    WP_KIND__COUNT
} wp_kind;

typedef struct wp_content_info {
    const char *name;          /* raw (unsanitised) UTF-8 name, NULL when none */
    const char *declared_type; /* lower-case type/subtype, NULL for archive members */
    const char *where;         /* location path of this blob */
    int depth;                 /* archive nesting: 0 for MIME parts */
    bool is_attachment;        /* false for body text */
    bool truncated;            /* the blob was cut at max_part_bytes */
    bool encrypted;            /* archive member we could not decrypt (no data) */
} wp_content_info;

void wp_content_analyze(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info);
/* A file found inside parent (TNEF attachment, OLE package, RTF object): analysed at
 * parent/name with depth + 1, or a LIMIT_ARCHIVE_DEPTH finding when that is too deep. */
void wp_content_child(wp_scan *s, const wp_content_info *parent, const char *name,
                      const uint8_t *data, size_t len);

/* sniff.c */
wp_kind wp_sniff(const uint8_t *data, size_t len);
const char *wp_kind_name(wp_kind k);
const char *wp_kind_mime(wp_kind k); /* a MIME type for kinds we identify ourselves */
bool wp_kind_is_archive(wp_kind k);

/* filename.c: name tricks; returns true when the extension is dangerous */
void wp_filename_check(wp_scan *s, const char *name, const char *where, wp_kind kind,
                       const char *declared_type);

/* archive.c: members go back through wp_content_analyze */
void wp_archive_walk(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info,
                     wp_kind kind);
/* office.c */
void wp_office_ooxml_member(wp_scan *s, const char *member, const uint8_t *data, size_t len,
                            const char *where);
void wp_office_ole2(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info);
/* OLE Packager native data (Ole10Native stream, RTF objdata "Package"): the file inside is
 * analysed as a member of the parent */
void wp_ole_package(wp_scan *s, const uint8_t *p, size_t n, const wp_content_info *parent);
/* rtf.c, pdf.c, tnef.c */
void wp_rtf_analyze(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info);
void wp_pdf_analyze(wp_scan *s, const uint8_t *data, size_t len, const char *where);
void wp_tnef_analyze(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info);
/* yara_scan.c */
void wp_yara_scan(wp_scan *s, const uint8_t *data, size_t len, const char *where);
/* uuencode.c: decode uuencoded blocks in a text body as attachments */
void wp_uuencode_extract(wp_scan *s, const char *text, size_t len, const char *where);

#endif
