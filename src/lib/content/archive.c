/*
 * archive.c - archive members through libarchive (zip, rar, 7z, tar, cab, gz, bz2, xz ...).
 *
 * Bounds, all per message and checked before a byte is kept: member count
 * (max_archive_members), bytes expanded (max_archive_bytes), expansion ratio of each archive
 * (max_archive_ratio, with a 1 MiB floor so small compressible files pass), bytes kept per
 * member (max_part_bytes) and nesting (max_archive_depth). Hitting one records a LIMIT_*
 * finding and stops expanding; what was read so far is still analysed.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "core/util.h"

#define READ_CHUNK  (64 * 1024)
#define RATIO_FLOOR (1024 * 1024)

static bool
ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static bool
mentions_encryption(struct archive *ar)
{
    const char *e = archive_error_string(ar);
    return e != NULL && (strstr(e, "ncrypt") != NULL || strstr(e, "assphrase") != NULL ||
                         strstr(e, "assword") != NULL);
}

/* libarchive's error text quotes names from the archive: sanitise it like any hostile text */
static const char *
ar_error(wp_scan *s, struct archive *ar, const char *fallback)
{
    const char *e = archive_error_string(ar);
    if (e == NULL)
        return fallback;
    const char *c = wp_arena_sanitize(s->a, e, strlen(e), 200);
    return c ? c : fallback;
}

/* Name for the single member of a gz/bz2/xz stream: the parent's name without its suffix. */
static const char *
raw_member_name(wp_scan *s, const wp_content_info *info)
{
    if (info->name == NULL)
        return "data";
    char *n = wp_arena_strdup(s->a, info->name);
    if (n == NULL)
        return "data";
    char *dot = strrchr(n, '.');
    if (dot != NULL && dot != n)
        *dot = '\0';
    return n;
}

static void
encrypted_member(wp_scan *s, const char *mname, const char *where, const char *shown, int depth)
{
    wp_scan_finding(s, "ARCHIVE_ENCRYPTED", where, "member '%s' is encrypted%s", shown,
                    s->n_passwords ? " (no password found in the message opens it)" : "");
    wp_content_info ci = {.name = mname, .where = where, .depth = depth, .encrypted = true};
    wp_content_analyze(s, NULL, 0, &ci);
    /* the name is still worth checking: encrypted.zip/invoice.pdf.exe */
    wp_filename_check(s, mname, where, WP_KIND_DATA, NULL);
}

void
wp_archive_walk(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info,
                wp_kind kind)
{
    const wp_limits *lim = s->lim;
    bool ooxml = kind == WP_KIND_OOXML;
    bool single = kind == WP_KIND_GZIP || kind == WP_KIND_BZIP2 || kind == WP_KIND_XZ;

    if ((uint64_t)info->depth + 1 > wp_limit(lim, WP_LIMIT_ARCHIVE_DEPTH)) {
        wp_scan_limit(s, WP_LIMIT_ARCHIVE_DEPTH, info->where,
                      "archive nested %d deep; members not opened (max_archive_depth %llu)",
                      info->depth + 1, (unsigned long long)wp_limit(lim, WP_LIMIT_ARCHIVE_DEPTH));
        return;
    }

    struct archive *ar = archive_read_new();
    if (ar == NULL)
        return;
    archive_read_support_filter_all(ar);
    archive_read_support_format_all(ar);
    if (single)
        archive_read_support_format_raw(ar); /* lowest bid: only when no real format fits */
    /* lures carry the password in the text: "the password is 4711" */
    for (size_t i = 0; i < s->n_passwords; i++)
        archive_read_add_passphrase(ar, s->passwords[i]);
    if (archive_read_open_memory(ar, data, len) != ARCHIVE_OK) {
        wp_scan_finding(s, "ARCHIVE_CORRUPT", info->where, "cannot open %s archive: %s",
                        wp_kind_name(kind), ar_error(s, ar, "?"));
        archive_read_free(ar);
        return;
    }

    uint64_t expanded = 0;
    uint64_t ratio_cap;
    if (__builtin_mul_overflow((uint64_t)len, wp_limit(lim, WP_LIMIT_ARCHIVE_RATIO), &ratio_cap))
        ratio_cap = UINT64_MAX;
    if (ratio_cap < RATIO_FLOOR)
        ratio_cap = RATIO_FLOOR;
    uint64_t part_cap = wp_limit(lim, WP_LIMIT_PART_BYTES);
    uint8_t *buf = NULL;
    size_t bufcap = 0;
    bool stop = false;

    for (;;) {
        if (wp_scan_out_of_time(s, info->where))
            break;
        struct archive_entry *ent = NULL;
        int rc = archive_read_next_header(ar, &ent);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            if (mentions_encryption(ar))
                wp_scan_finding(s, "ARCHIVE_ENCRYPTED", info->where,
                                "%s archive with encrypted headers", wp_kind_name(kind));
            else
                wp_scan_finding(s, "ARCHIVE_CORRUPT", info->where, "%s archive: %s",
                                wp_kind_name(kind), ar_error(s, ar, "read error"));
            break;
        }
        if (archive_entry_filetype(ent) != AE_IFREG)
            continue;
        if (++s->archive_members > wp_limit(lim, WP_LIMIT_ARCHIVE_MEMBERS)) {
            wp_scan_limit(s, WP_LIMIT_ARCHIVE_MEMBERS, info->where,
                          "more than %llu archive members in the message; the rest not opened",
                          (unsigned long long)wp_limit(lim, WP_LIMIT_ARCHIVE_MEMBERS));
            break;
        }
        const char *raw = archive_entry_pathname_utf8(ent);
        if (raw == NULL)
            raw = archive_entry_pathname(ent);
        if (raw == NULL || (single && strcmp(raw, "data") == 0))
            raw = single ? raw_member_name(s, info) : "(unnamed)";
        const char *mname = wp_arena_strdup(s->a, raw);
        char *where = wp_arena_printf(s->a, "%s/%s", info->where,
                                      wp_arena_sanitize(s->a, raw, strlen(raw), 200));
        if (mname == NULL || where == NULL)
            break;

        bool encrypted = archive_entry_is_encrypted(ent);
        const char *shown = wp_arena_sanitize(s->a, raw, strlen(raw), 200);
        if (encrypted && s->n_passwords == 0) {
            encrypted_member(s, mname, where, shown, info->depth + 1);
            continue;
        }
        /* read the member, bounded by max_part_bytes and by the memory budget left: the
         * buffer is heap, not arena, but max_memory_bytes is meant to bound the message */
        uint64_t room = wp_arena_remaining(s->a);
        uint64_t mcap = part_cap < room ? part_cap : room;
        size_t n = 0;
        bool truncated = false, unreadable = false;
        for (;;) {
            if (bufcap - n < READ_CHUNK) {
                size_t ncap = bufcap ? bufcap * 2 : READ_CHUNK * 2;
                uint8_t *nb = realloc(buf, ncap);
                if (nb == NULL) {
                    stop = true;
                    break;
                }
                buf = nb;
                bufcap = ncap;
            }
            size_t want = READ_CHUNK;
            if ((uint64_t)n + want > mcap)
                want = mcap > n ? (size_t)(mcap - n) : 0;
            if (want == 0) {
                truncated = true;
                break;
            }
            la_ssize_t got = archive_read_data(ar, buf + n, want);
            if (got == 0)
                break;
            if (got < 0) {
                if (encrypted || mentions_encryption(ar)) {
                    encrypted_member(s, mname, where, shown, info->depth + 1);
                    n = 0;
                    encrypted = false; /* reported; nothing to analyse */
                    unreadable = true;
                } else
                    wp_scan_finding(s, "ARCHIVE_CORRUPT", where, "member unreadable: %s",
                                    ar_error(s, ar, "?"));
                if (got == ARCHIVE_FATAL)
                    stop = true;
                break;
            }
            n += (size_t)got;
            expanded += (uint64_t)got;
            s->archive_bytes += (uint64_t)got;
            if (expanded > ratio_cap) {
                wp_scan_limit(s, WP_LIMIT_ARCHIVE_RATIO, where,
                              "archive of %zu bytes expands past %llu bytes (ratio over %llu:1)",
                              len, (unsigned long long)ratio_cap,
                              (unsigned long long)wp_limit(lim, WP_LIMIT_ARCHIVE_RATIO));
                stop = true;
                truncated = true;
                break;
            }
            if (s->archive_bytes > wp_limit(lim, WP_LIMIT_ARCHIVE_TOTAL_BYTES)) {
                wp_scan_limit(s, WP_LIMIT_ARCHIVE_TOTAL_BYTES, where,
                              "archives in this message expand past %llu bytes",
                              (unsigned long long)wp_limit(lim, WP_LIMIT_ARCHIVE_TOTAL_BYTES));
                stop = true;
                truncated = true;
                break;
            }
        }
        if (unreadable) {
            if (stop)
                break;
            continue;
        }
        if (encrypted)
            wp_scan_finding(s, "ARCHIVE_ENCRYPTED", where,
                            "member '%s' is encrypted; opened with a password found in the "
                            "message text",
                            shown);
        if (truncated && !stop && mcap < part_cap) {
            wp_scan_limit(s, WP_LIMIT_MEMORY_BYTES, where,
                          "member larger than the %llu bytes of memory budget left "
                          "(max_memory_bytes); only that much analysed",
                          (unsigned long long)mcap);
        } else if (truncated && !stop) {
            wp_scan_limit(s, WP_LIMIT_PART_BYTES, where,
                          "member larger than %llu bytes; only that much analysed",
                          (unsigned long long)part_cap);
        }

        if (ooxml) {
            wp_office_ooxml_member(s, mname, buf, n, where);
            /* the XML parts of an Office file are its text, not attachments */
            if (ends_with_ci(mname, ".xml") || ends_with_ci(mname, ".rels")) {
                if (stop)
                    break;
                continue;
            }
        }
        wp_content_info ci = {
            .name = mname, .where = where, .depth = info->depth + 1, .truncated = truncated};
        wp_content_analyze(s, buf ? buf : (const uint8_t *)"", n, &ci);
        if (stop)
            break;
    }
    free(buf);
    archive_read_free(ar);
}
