/*
 * tnef.c - open TNEF (winmail.dat) so the attachments inside it are analysed too.
 *
 * A TNEF stream is a signature, a key, then attributes: level (1 message, 2 attachment),
 * id, length, data, 16-bit checksum. attAttachRendData starts a new attachment,
 * attAttachTitle names it and attAttachData carries its bytes. Written here rather than
 * through libytnef because only these three attributes matter and a bounded reader of them
 * is short enough to fuzz exhaustively; every length is checked against what is left.
 */
#include <string.h>

#include "content.h"
#include "core/util.h"

#define ATT_RENDDATA   0x00069002u
#define ATT_TITLE      0x00018010u
#define ATT_DATA       0x0006800Fu
#define MAX_ATTRIBUTES 100000

static void
emit(wp_scan *s, const wp_content_info *info, const char *title, const uint8_t *d, size_t n,
     unsigned idx)
{
    if (++s->archive_members > wp_limit(s->lim, WP_LIMIT_ARCHIVE_MEMBERS)) {
        wp_scan_limit(s, WP_LIMIT_ARCHIVE_MEMBERS, info->where, "too many TNEF attachments");
        return;
    }
    const char *name = title != NULL ? title : wp_arena_printf(s->a, "attachment%u", idx);
    if (name != NULL)
        wp_content_child(s, info, name, d, n);
}

void
wp_tnef_analyze(wp_scan *s, const uint8_t *d, size_t len, const wp_content_info *info)
{
    if (len < 6 || wp_le32(d) != 0x223E9F78u) {
        wp_scan_finding(s, "TNEF_CORRUPT", info->where, "bad TNEF signature");
        return;
    }
    size_t off = 6;
    const char *title = NULL;
    const uint8_t *adata = NULL;
    size_t alen = 0;
    bool open = false;
    unsigned idx = 0;
    for (unsigned n = 0; off < len && n < MAX_ATTRIBUTES; n++) {
        if (len - off < 9) {
            wp_scan_finding(s, "TNEF_CORRUPT", info->where, "truncated attribute at offset %zu",
                            off);
            break;
        }
        uint8_t level = d[off];
        uint32_t id = wp_le32(d + off + 1);
        uint32_t alength = wp_le32(d + off + 5);
        off += 9;
        if (alength > len - off || len - off - alength < 2) {
            wp_scan_finding(s, "TNEF_CORRUPT", info->where,
                            "attribute 0x%08x length %u runs past the end", id, alength);
            break;
        }
        const uint8_t *v = d + off;
        off += (size_t)alength + 2; /* data + checksum (not verified: Outlook does not) */
        if (level != 2)
            continue;
        if (id == ATT_RENDDATA) {
            if (open && adata != NULL)
                emit(s, info, title, adata, alen, idx++);
            open = true;
            title = NULL;
            adata = NULL;
            alen = 0;
        } else if (id == ATT_TITLE) {
            size_t tl = strnlen((const char *)v, alength);
            title = wp_arena_strndup(s->a, (const char *)v, tl);
            open = true;
        } else if (id == ATT_DATA) {
            adata = v;
            alen = alength;
            open = true;
        }
    }
    if (open && adata != NULL)
        emit(s, info, title, adata, alen, idx);
}
