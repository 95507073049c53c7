/*
 * blob.c - wp_content_analyze(): record one blob and send it to the analyzer for its kind.
 *
 * Every decoded MIME part, archive member, TNEF attachment and uuencoded block passes here
 * once. The blob is hashed, typed (own sniffing always; libmagic for attachments, whose true
 * type is reported), name-checked, taken apart when it is a container, and scanned by YARA.
 */
#include <stdio.h>
#include <string.h>

#include "content.h"
#include "core/util.h"
#include "dlp/dlp.h"
#include "mail/mail.h"

static const char *
magic_type(wp_scan *s, const uint8_t *data, size_t len)
{
    if (s->sc->magic == NULL || len == 0)
        return NULL;
    const char *t = magic_buffer(s->sc->magic, data, len);
    if (t == NULL)
        return NULL;
    size_t n = strcspn(t, ";");
    return wp_arena_strndup(s->a, t, n);
}

static void
pe_finding(wp_scan *s, const uint8_t *d, size_t len, const char *where)
{
    const char *what = "MS-DOS executable";
    uint32_t off = len >= 0x40 ? wp_le32(d + 0x3c) : 0;
    if (off >= 0x40 && (size_t)off + 24 <= len && memcmp(d + off, "PE\0\0", 4) == 0) {
        uint16_t machine = wp_le16(d + off + 4);
        uint16_t chars = wp_le16(d + off + 22);
        const char *arch = machine == 0x14c    ? "x86"
                           : machine == 0x8664 ? "x86-64"
                           : machine == 0xaa64 ? "ARM64"
                           : machine == 0x1c4  ? "ARM"
                                               : "other";
        what = (chars & 0x2000) ? (arch[0] == 'x' && arch[1] == '8' ? "PE DLL (x86)" : "PE DLL")
                                : "PE executable";
        wp_scan_finding(s, "ATTACH_EXECUTABLE", where, "%s for %s (machine 0x%04x)", what, arch,
                        machine);
        return;
    }
    wp_scan_finding(s, "ATTACH_EXECUTABLE", where, "%s (MZ header)", what);
}

void
wp_content_child(wp_scan *s, const wp_content_info *parent, const char *name, const uint8_t *data,
                 size_t len)
{
    if ((uint64_t)parent->depth + 1 > wp_limit(s->lim, WP_LIMIT_ARCHIVE_DEPTH)) {
        wp_scan_limit(s, WP_LIMIT_ARCHIVE_DEPTH, parent->where,
                      "embedded file nested %d deep; not analysed (max_archive_depth %llu)",
                      parent->depth + 1,
                      (unsigned long long)wp_limit(s->lim, WP_LIMIT_ARCHIVE_DEPTH));
        return;
    }
    char *mname = wp_arena_strdup(s->a, name);
    char *where = mname ? wp_arena_printf(s->a, "%s/%s", parent->where,
                                          wp_arena_sanitize(s->a, mname, strlen(mname), 200))
                        : NULL;
    if (where == NULL)
        return;
    wp_content_info ci = {.name = mname, .where = where, .depth = parent->depth + 1};
    wp_content_analyze(s, data, len, &ci);
}

void
wp_content_analyze(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info)
{
    if (wp_scan_out_of_time(s, info->where))
        return;
    wp_kind kind = info->encrypted ? WP_KIND_DATA : wp_sniff(data, len);
    if (kind == WP_KIND_ZIP && memmem(data, len, "[Content_Types].xml", 19) != NULL)
        kind = WP_KIND_OOXML;

    bool deep = info->is_attachment || info->depth > 0;
    wp_object *o = wp_scan_add_object(s);
    if (o != NULL) {
        o->where = info->where;
        o->name = info->name ? wp_arena_sanitize(s->a, info->name, strlen(info->name), 1024) : NULL;
        o->declared_type = info->declared_type;
        o->kind = wp_kind_name(kind);
        o->size = len;
        o->depth = info->depth;
        o->is_attachment = info->is_attachment || info->depth > 0;
        o->encrypted = info->encrypted;
        o->truncated = info->truncated;
        /* files are hashed (indicators match on them); body text is not a file */
        if (!info->encrypted && deep) {
            wp_hash_all(data, len, &o->hashes);
            o->has_hashes = true;
        }
        const char *t = NULL;
        if (deep && !info->encrypted)
            t = magic_type(s, data, len);
        if (t == NULL)
            t = wp_kind_mime(kind);
        if (t == NULL)
            t = info->declared_type;
        o->true_type = t;
    }
    if (info->encrypted)
        return;

    if (deep) {
        wp_filename_check(s, info->name, info->where, kind, info->declared_type);
        /* body text parts are searched decoded to UTF-8 (scan->body) by the module itself */
        wp_dlp_scan_bytes(s, data, len, info->where);
    }

    switch (kind) {
    case WP_KIND_PE:
        pe_finding(s, data, len, info->where);
        break;
    case WP_KIND_ELF:
        wp_scan_finding(s, "ATTACH_EXECUTABLE", info->where, "ELF executable (%s-bit)",
                        len > 4 && data[4] == 2 ? "64" : "32");
        break;
    case WP_KIND_MACHO:
        wp_scan_finding(s, "ATTACH_EXECUTABLE", info->where, "Mach-O executable");
        break;
    case WP_KIND_SCRIPT:
        if (deep) {
            /* a Unix interpreter line: a script, but not one a Windows desktop runs on a
             * double click, so it weighs less than .js/.vbs/.hta (filename.c) */
            size_t n = 0;
            while (n < len && n < 80 && data[n] != '\n' && data[n] != '\r')
                n++;
            wp_scan_finding_weighted(s, "ATTACH_SCRIPT", 2, info->where,
                                     "Unix script with interpreter line '%s'",
                                     wp_arena_sanitize(s->a, (const char *)data, n, 80));
        }
        break;
    case WP_KIND_DISK_IMAGE:
        wp_scan_finding(s, "ATTACH_DISK_IMAGE", info->where, "disk image (%zu bytes)", len);
        break;
    case WP_KIND_ONENOTE:
        wp_scan_finding(s, "ATTACH_ONENOTE", info->where, "OneNote section (%zu bytes)", len);
        break;
    case WP_KIND_CHM:
        wp_scan_finding(s, "ATTACH_CHM", info->where, "compiled HTML help (CHM) file");
        break;
    case WP_KIND_LNK:
        wp_scan_finding(s, "ATTACH_SHORTCUT", info->where, "Windows shell link (.lnk)");
        break;
    case WP_KIND_OLE2:
        wp_office_ole2(s, data, len, info);
        break;
    case WP_KIND_RTF:
        wp_rtf_analyze(s, data, len, info);
        break;
    case WP_KIND_PDF:
        wp_pdf_analyze(s, data, len, info->where);
        break;
    case WP_KIND_TNEF:
        wp_tnef_analyze(s, data, len, info);
        break;
    case WP_KIND_HTML:
        if (deep)
            wp_html_analyze(s, (const char *)data, len, info->where);
        break;
    default:
        if (wp_kind_is_archive(kind) || kind == WP_KIND_OOXML)
            wp_archive_walk(s, data, len, info, kind);
        break;
    }
    wp_yara_scan(s, data, len, info->where);
}
