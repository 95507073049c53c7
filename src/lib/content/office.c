/*
 * office.c - macros, remote templates, DDE and embedded objects in Office documents.
 *
 * OOXML: called for each member of the zip by archive.c; looks at member names
 * (vbaProject.bin, macrosheets/, embeddings/), relationship files (TargetMode="External"
 * templates and objects: remote template injection) and the document XML (DDE fields).
 * OLE2 (.doc/.xls/.ppt, also vbaProject.bin itself): a bounded reader of the Compound File
 * directory (MS-CFB) that lists storage and stream names: a "VBA" storage or "_VBA_PROJECT"
 * stream means macros, "EncryptedPackage" an encrypted document, "\1Ole10Native" an embedded
 * package. Every sector number is range-checked and every chain walk is bounded by the
 * number of sectors in the file, so loops in a hostile FAT end.
 */
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "core/util.h"

static bool
has_suffix_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Copy attribute value attr="..." found inside [p, end) into out; false when absent. */
static bool
xml_attr(const char *p, const char *end, const char *attr, char *out, size_t outlen)
{
    size_t alen = strlen(attr);
    const char *q = wp_memcasemem(p, (size_t)(end - p), attr, alen);
    if (q == NULL)
        return false;
    q += alen;
    while (q < end && (*q == ' ' || *q == '='))
        q++;
    if (q >= end || (*q != '"' && *q != '\''))
        return false;
    char quote = *q++;
    size_t i = 0;
    while (q < end && *q != quote && i + 1 < outlen)
        out[i++] = *q++;
    out[i] = '\0';
    return true;
}

static void
scan_rels(wp_scan *s, const char *x, size_t len, const char *where)
{
    const char *p = x, *end = x + len;
    int reported = 0;
    while (p < end && reported < 20) {
        const char *rel = wp_memcasemem(p, (size_t)(end - p), "<Relationship ", 14);
        if (rel == NULL)
            break;
        const char *close = memchr(rel, '>', (size_t)(end - rel));
        if (close == NULL)
            break;
        char mode[32], type[256], target[1024];
        if (xml_attr(rel, close, "TargetMode", mode, sizeof mode) &&
            strcasecmp(mode, "External") == 0 &&
            xml_attr(rel, close, "Target", target, sizeof target)) {
            const char *t =
                xml_attr(rel, close, "Type", type, sizeof type) ? strrchr(type, '/') : NULL;
            t = t ? t + 1 : "unknown";
            if (strcmp(t, "hyperlink") != 0) {
                wp_scan_finding(s, "OFFICE_EXTERNAL_REF", where, "external %s relationship to '%s'",
                                wp_arena_sanitize(s->a, t, strlen(t), 64),
                                wp_arena_sanitize(s->a, target, strlen(target), 300));
                reported++;
            }
            wp_scan_add_url(s, target, strlen(target), NULL, 0, "office", where);
        }
        p = close + 1;
    }
}

/* DDE: a field instruction whose first word is DDE or DDEAUTO, or an Excel ddeLink. */
static bool
has_dde(const char *x, size_t len)
{
    if (wp_memcasemem(x, len, "DDEAUTO", 7) != NULL || wp_memcasemem(x, len, "<ddeLink", 8) != NULL)
        return true;
    const char *p = x, *end = x + len;
    while (p < end) {
        const char *q = wp_memcasemem(p, (size_t)(end - p), "DDE", 3);
        if (q == NULL)
            return false;
        /* preceded by '>' or a quote (instr="), allowing spaces; followed by a space */
        const char *b = q;
        while (b > x && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        bool starts = b > x && (b[-1] == '>' || b[-1] == '"');
        if (starts && q + 3 < end && (q[3] == ' ' || q[3] == '"'))
            return true;
        p = q + 3;
    }
    return false;
}

void
wp_office_ooxml_member(wp_scan *s, const char *member, const uint8_t *data, size_t len,
                       const char *where)
{
    const char *x = (const char *)data;
    if (has_suffix_ci(member, "vbaProject.bin")) {
        wp_scan_finding(s, "OFFICE_MACRO", where, "VBA project '%s' (%zu bytes)",
                        wp_arena_sanitize(s->a, member, strlen(member), 200), len);
    } else if (wp_memcasemem(member, strlen(member), "macrosheets/", 12) != NULL) {
        wp_scan_finding(s, "OFFICE_XLM_MACRO", where, "Excel 4.0 macro sheet '%s'",
                        wp_arena_sanitize(s->a, member, strlen(member), 200));
    } else if (wp_memcasemem(member, strlen(member), "embeddings/", 11) != NULL &&
               (wp_memcasemem(member, strlen(member), "oleObject", 9) != NULL ||
                has_suffix_ci(member, ".bin"))) {
        wp_scan_finding(s, "OFFICE_OLE_OBJECT", where, "embedded OLE object '%s'",
                        wp_arena_sanitize(s->a, member, strlen(member), 200));
    } else if (has_suffix_ci(member, ".rels")) {
        scan_rels(s, x, len, where);
    } else if (has_suffix_ci(member, ".xml") && has_dde(x, len)) {
        wp_scan_finding(s, "OFFICE_DDE", where, "DDE field instruction in '%s'",
                        wp_arena_sanitize(s->a, member, strlen(member), 200));
    }
}

/* ---- OLE2 / Compound File Binary ---- */

#define CFB_FREE 0xFFFFFFFFu
#define CFB_END  0xFFFFFFFEu

typedef struct cfb {
    const uint8_t *d;
    size_t len;
    size_t ss;      /* sector size */
    uint32_t nsect; /* sectors in the file after the header */
    uint32_t *fat;
    uint32_t nfat;    /* FAT entries */
    size_t budget;    /* the message's memory budget left when the file was opened */
    bool over_budget; /* a stream was cut to it (LIMIT_MEMORY) */
} cfb;

static const uint8_t *
cfb_sector(const cfb *c, uint32_t sid)
{
    if (sid >= c->nsect)
        return NULL;
    return c->d + c->ss * ((size_t)sid + 1);
}

static bool
cfb_load_fat(cfb *c)
{
    const uint8_t *h = c->d;
    uint32_t nfatsect = wp_le32(h + 0x2C);
    uint32_t difat_sid = wp_le32(h + 0x44);
    uint32_t per = (uint32_t)(c->ss / 4);
    if (nfatsect == 0 || nfatsect > c->nsect)
        return false;
    size_t nent = (size_t)nfatsect * per;
    c->fat = calloc(nent, sizeof(uint32_t));
    if (c->fat == NULL)
        return false;
    uint32_t loaded = 0;
    /* the first 109 FAT sector numbers are in the header */
    for (uint32_t i = 0; i < 109 && loaded < nfatsect; i++) {
        const uint8_t *sec = cfb_sector(c, wp_le32(h + 0x4C + 4 * i));
        if (sec == NULL)
            return false;
        for (uint32_t k = 0; k < per; k++)
            c->fat[(size_t)loaded * per + k] = wp_le32(sec + 4 * k);
        loaded++;
    }
    /* the rest through the DIFAT chain, at most nsect hops */
    for (uint32_t hops = 0; loaded < nfatsect && hops < c->nsect; hops++) {
        const uint8_t *dsec = cfb_sector(c, difat_sid);
        if (dsec == NULL)
            break;
        for (uint32_t i = 0; i + 1 < per && loaded < nfatsect; i++) {
            const uint8_t *sec = cfb_sector(c, wp_le32(dsec + 4 * i));
            if (sec == NULL)
                return false;
            for (uint32_t k = 0; k < per; k++)
                c->fat[(size_t)loaded * per + k] = wp_le32(sec + 4 * k);
            loaded++;
        }
        difat_sid = wp_le32(dsec + 4 * (per - 1));
    }
    c->nfat = (uint32_t)((size_t)loaded * per);
    return loaded > 0;
}

/* Directory entry name (UTF-16LE) folded to ASCII; non-ASCII becomes '?'. */
static void
cfb_name(const uint8_t *e, char *out, size_t outlen)
{
    uint16_t nlen = wp_le16(e + 0x40);
    if (nlen > 64)
        nlen = 64;
    size_t i = 0;
    for (size_t k = 0; k + 1 < nlen && i + 1 < outlen; k += 2) {
        uint16_t ch = wp_le16(e + k);
        if (ch == 0)
            break;
        out[i++] = ch < 0x80 ? (char)ch : '?';
    }
    out[i] = '\0';
}

/* How much of a stream of the declared size to allocate: a chain cannot hold more than the
 * file's own sectors, and the buffer counts against the message's memory budget. The
 * declared size alone used to decide (64 MiB for a 3 KB file). */
static size_t
cfb_want(cfb *c, uint64_t size, size_t cap)
{
    size_t want = size < cap ? (size_t)size : cap;
    size_t file_max = (size_t)c->nsect * c->ss;
    if (want > file_max)
        want = file_max;
    if (want > c->budget) {
        want = c->budget;
        c->over_budget = true;
    }
    return want;
}

/* Read a stream stored in regular sectors (size >= the 4096-byte mini-stream cutoff), at
 * most cap bytes. NULL when the chain is broken. */
static uint8_t *
cfb_read(cfb *c, uint32_t sid, uint64_t size, size_t cap, size_t *outlen)
{
    size_t want = cfb_want(c, size, cap);
    uint8_t *out = malloc(want ? want : 1);
    if (out == NULL)
        return NULL;
    size_t n = 0;
    for (uint32_t hops = 0; n < want && hops < c->nsect; hops++) {
        const uint8_t *sec = cfb_sector(c, sid);
        if (sec == NULL)
            break;
        size_t take = want - n < c->ss ? want - n : c->ss;
        memcpy(out + n, sec, take);
        n += take;
        sid = sid < c->nfat ? c->fat[sid] : CFB_END;
    }
    *outlen = n;
    return out;
}

/* Read any stream: below the mini-stream cutoff it lives in 64-byte mini sectors inside the
 * root entry's stream, chained by the mini FAT. Every chain walk is bounded. */
static uint8_t *
cfb_read_stream(cfb *c, uint32_t sid, uint64_t size, uint32_t root_sid, uint64_t root_size,
                size_t cap, size_t *outlen)
{
    uint32_t cutoff = wp_le32(c->d + 0x38);
    if (size >= cutoff || root_sid == CFB_END)
        return cfb_read(c, sid, size, cap, outlen);
    size_t mlen = 0, flen = 0;
    uint8_t *mini = cfb_read(c, root_sid, root_size, 64 * 1024 * 1024, &mlen);
    size_t budget = c->budget; /* the mini stream is held while the rest is read */
    c->budget -= mlen < budget ? mlen : budget;
    uint8_t *mfat = cfb_read(c, wp_le32(c->d + 0x3C), (uint64_t)wp_le32(c->d + 0x40) * c->ss,
                             16 * 1024 * 1024, &flen);
    c->budget = budget;
    size_t want = size < cap ? (size_t)size : cap;
    if (want > mlen) /* a mini stream lives inside the root stream */
        want = mlen;
    uint8_t *out = (mini && mfat) ? malloc(want ? want : 1) : NULL;
    size_t n = 0, nmfat = flen / 4;
    for (size_t hops = 0; out != NULL && n < want && hops <= nmfat; hops++) {
        if ((uint64_t)sid * 64 + 64 > mlen)
            break;
        size_t take = want - n < 64 ? want - n : 64;
        memcpy(out + n, mini + (size_t)sid * 64, take);
        n += take;
        sid = sid < nmfat ? wp_le32(mfat + 4 * (size_t)sid) : CFB_END;
    }
    free(mini);
    free(mfat);
    *outlen = n;
    return out;
}

/* A zero-terminated string of at most what is left; returns the bytes consumed (0: none). */
static size_t
cstr(const uint8_t *p, size_t n, const char **out)
{
    const uint8_t *z = memchr(p, 0, n);
    if (z == NULL)
        return 0;
    *out = (const char *)p;
    return (size_t)(z - p) + 1;
}

void
wp_ole_package(wp_scan *s, const uint8_t *p, size_t n, const wp_content_info *parent)
{
    /* OLE Packager native data: u16 type, label\0, source path\0, u32, u32, temp path\0,
     * u32 size, the file. Layout as documented by oletools' oleobj; any field that does not
     * fit what is left ends the attempt (the object was already reported). */
    const char *label = NULL, *src = NULL, *tmp = NULL;
    size_t off = 2, k;
    if (n < 2 || (k = cstr(p + off, n - off, &label)) == 0)
        return;
    off += k;
    if ((k = cstr(p + off, n - off, &src)) == 0)
        return;
    off += k;
    if (n - off < 8)
        return;
    off += 8;
    if ((k = cstr(p + off, n - off, &tmp)) == 0)
        return;
    off += k;
    if (n - off < 4)
        return;
    uint32_t size = wp_le32(p + off);
    off += 4;
    if (size > n - off)
        size = (uint32_t)(n - off);
    /* the name a user sees is the label; fall back to the last element of the source path */
    const char *name = label;
    if (name == NULL || *name == '\0') {
        const char *b = strrchr(src, '\\');
        name = b ? b + 1 : src;
    }
    wp_content_child(s, parent, *name ? name : "package.bin", p + off, size);
}

/* Excel BIFF8 globals: BOUNDSHEET records of type macro sheet (Excel 4.0 / XLM macros, often
 * "very hidden") and FILEPASS (RC4-encrypted workbook). Bounded by the stream length. */
static void
biff_scan(wp_scan *s, const uint8_t *d, size_t n, const char *where)
{
    size_t off = 0;
    unsigned macros = 0, hidden = 0;
    bool filepass = false;
    for (unsigned recs = 0; off + 4 <= n && recs < 100000; recs++) {
        uint16_t type = wp_le16(d + off), rlen = wp_le16(d + off + 2);
        const uint8_t *rd = d + off + 4;
        if ((size_t)rlen > n - off - 4)
            break;
        if (type == 0x0085 && rlen >= 6 && rd[5] == 0x01) {
            macros++;
            if (rd[4] != 0)
                hidden++;
        } else if (type == 0x002F) {
            filepass = true;
        } else if (type == 0x000A) {
            break; /* EOF of the globals substream */
        }
        off += 4 + (size_t)rlen;
    }
    if (macros)
        wp_scan_finding(s, "OFFICE_XLM_MACRO", where, "%u Excel 4.0 macro sheet(s) in BIFF8%s",
                        macros, hidden ? ", hidden" : "");
    if (filepass)
        wp_scan_finding(s, "OFFICE_ENCRYPTED", where, "Excel workbook with FILEPASS (encrypted)");
}

void
wp_office_ole2(wp_scan *s, const uint8_t *data, size_t len, const wp_content_info *info)
{
    const char *where = info->where;
    cfb c = {.d = data, .len = len, .budget = wp_arena_remaining(s->a)};
    if (len < 512)
        return;
    uint16_t shift = wp_le16(data + 0x1E);
    if (shift != 9 && shift != 12)
        return;
    c.ss = (size_t)1 << shift;
    if (len < c.ss * 2)
        return;
    size_t ns = (len - c.ss) / c.ss;
    c.nsect = ns > 0x7FFFFFF0u ? 0x7FFFFFF0u : (uint32_t)ns;
    bool macro = false, encrypted = false, ole_native = false;
    uint32_t book_sid = CFB_END, word_sid = CFB_END, root_sid = CFB_END;
    uint64_t root_size = 0;
    uint32_t native_sid[8];
    uint64_t native_size[8];
    size_t n_native = 0;
    uint64_t book_size = 0;
    char vba_what[64] = "";
    if (!cfb_load_fat(&c))
        goto raw;

    uint32_t sid = wp_le32(data + 0x30);
    uint32_t per_sector = (uint32_t)(c.ss / 128);
    for (uint32_t hops = 0; sid != CFB_END && hops < c.nsect; hops++) {
        const uint8_t *sec = cfb_sector(&c, sid);
        if (sec == NULL)
            break;
        for (uint32_t k = 0; k < per_sector; k++) {
            const uint8_t *e = sec + 128 * k;
            uint8_t type = e[0x42];
            if (type == 0)
                continue;
            char name[40];
            cfb_name(e, name, sizeof name);
            if (type == 5) {
                root_sid = wp_le32(e + 0x74);
                root_size = wp_le32(e + 0x78);
            }
            if (strcmp(name, "_VBA_PROJECT") == 0 || strcmp(name, "_VBA_PROJECT_CUR") == 0 ||
                (type == 1 && strcmp(name, "VBA") == 0)) {
                macro = true;
                snprintf(vba_what, sizeof vba_what, "%s %s", type == 1 ? "storage" : "stream",
                         name);
            } else if (strcmp(name, "EncryptedPackage") == 0 ||
                       strcmp(name, "EncryptedSummary") == 0) {
                encrypted = true;
            } else if (type == 2 && (strcmp(name, "Workbook") == 0 || strcmp(name, "Book") == 0)) {
                book_sid = wp_le32(e + 0x74);
                book_size = wp_le32(e + 0x78);
            } else if (type == 2 && strcmp(name, "WordDocument") == 0 &&
                       wp_le32(e + 0x78) >= 4096) {
                word_sid = wp_le32(e + 0x74);
            } else if (strcmp(name, "\x01Ole10Native") == 0 || strcmp(name, "?Ole10Native") == 0) {
                ole_native = true;
                if (type == 2 && n_native < 8) {
                    native_sid[n_native] = wp_le32(e + 0x74);
                    native_size[n_native++] = wp_le32(e + 0x78);
                }
            }
        }
        sid = sid < c.nfat ? c.fat[sid] : CFB_END;
    }
    if (book_sid != CFB_END && book_size >= 4096) {
        size_t n = 0;
        uint8_t *wb = cfb_read(&c, book_sid, book_size, 4 * 1024 * 1024, &n);
        if (wb != NULL)
            biff_scan(s, wb, n, where);
        free(wb);
    }
    /* embedded packages: take the file out and analyse it like an attachment */
    for (size_t i = 0; i < n_native; i++) {
        size_t n = 0;
        uint8_t *nat = cfb_read_stream(&c, native_sid[i], native_size[i], root_sid, root_size,
                                       (size_t)wp_limit(s->lim, WP_LIMIT_PART_BYTES), &n);
        /* Ole10Native: a 32-bit size, then the package */
        if (nat != NULL && n > 4)
            wp_ole_package(s, nat + 4, n - 4, info);
        free(nat);
    }
    if (word_sid != CFB_END) {
        /* File Information Block: fEncrypted is bit 8 of the flags word at offset 0x0A */
        const uint8_t *fib = cfb_sector(&c, word_sid);
        if (fib != NULL && wp_le16(fib) == 0xA5EC && (wp_le16(fib + 0x0A) & 0x0100))
            encrypted = true;
    }
raw:
    free(c.fat);
    if (c.over_budget) {
        wp_scan_limit(s, WP_LIMIT_MEMORY_BYTES, where,
                      "an OLE2 stream is larger than the memory budget left (max_memory_bytes); "
                      "read in part");
    }
    /* a vbaProject.bin inside OOXML was already reported by its member name */
    size_t wl = strlen(where);
    if (macro && !(wl >= 14 && strcasecmp(where + wl - 14, "vbaProject.bin") == 0))
        wp_scan_finding(s, "OFFICE_MACRO", where, "OLE2 document with VBA (%s)", vba_what);
    if (encrypted)
        wp_scan_finding(s, "OFFICE_ENCRYPTED", where, "OLE2 EncryptedPackage stream");
    if (ole_native)
        wp_scan_finding(s, "OFFICE_OLE_OBJECT", where, "embedded OLE Package (Ole10Native)");
    /* DDE field codes in Word binary documents are stored as plain or UTF-16 text */
    if (memmem(data, len, "DDEAUTO", 7) != NULL ||
        memmem(data, len, "D\0D\0E\0A\0U\0T\0O\0", 14) != NULL)
        wp_scan_finding(s, "OFFICE_DDE", where, "DDEAUTO field in OLE2 document");
}
