/*
 * sniff.c - watchpost's own fast type identification from leading bytes.
 *
 * libmagic gives the reported true MIME type of attachments; this sniffer decides which
 * analyzer runs, and does so for every blob (body text included) at a few nanoseconds, so the
 * common case of plain text mail never pays for libmagic.
 */
#include <string.h>

#include "content.h"
#include "core/util.h"

static bool
at(const uint8_t *d, size_t len, size_t off, const char *magic, size_t mlen)
{
    return len >= off + mlen && memcmp(d + off, magic, mlen) == 0;
}

static bool
looks_html(const uint8_t *d, size_t len)
{
    size_t i = 0;
    if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
        i = 3;
    while (i < len && i < 256 && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
        i++;
    const char *p = (const char *)d + i;
    size_t n = len - i;
    static const char *const starts[] = {"<!doctype html", "<html",   "<head",   "<body",
                                         "<meta",          "<script", "<iframe", "<form",
                                         "<div",           "<table",  "<!--"};
    for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++)
        if (wp_has_prefix_ci(p, n, starts[k]))
            return true;
    return false;
}

static bool
looks_message(const uint8_t *d, size_t len)
{
    static const char *const starts[] = {"Received:",     "Return-Path:",  "From:", "Message-ID:",
                                         "MIME-Version:", "Delivered-To:", "Date:", "Subject:"};
    for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++)
        if (wp_has_prefix_ci((const char *)d, len, starts[k]))
            return true;
    return false;
}

static bool
looks_text(const uint8_t *d, size_t len)
{
    size_t n = len < 1024 ? len : 1024;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = d[i];
        if (c == 0)
            return false;
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b)
            bad++;
    }
    return bad * 20 < n; /* under 5% control bytes */
}

wp_kind
wp_sniff(const uint8_t *d, size_t len)
{
    if (len == 0)
        return WP_KIND_EMPTY;
    if (at(d, len, 0, "MZ", 2) && len >= 64) {
        /* a PE header where e_lfanew points, or at least a DOS executable */
        return WP_KIND_PE;
    }
    if (at(d, len, 0,
           "\x7f"
           "ELF",
           4))
        return WP_KIND_ELF;
    if (len >= 8) {
        uint32_t be =
            ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3];
        if (be == 0xFEEDFACE || be == 0xFEEDFACF || be == 0xCEFAEDFE || be == 0xCFFAEDFE)
            return WP_KIND_MACHO;
        /* 0xCAFEBABE is both a fat Mach-O and a Java class; fat binaries hold few archs */
        if (be == 0xCAFEBABE && d[4] == 0 && d[5] == 0 && d[6] == 0 && d[7] > 0 && d[7] < 20)
            return WP_KIND_MACHO;
    }
    if (at(d, len, 0, "PK\x03\x04", 4) || at(d, len, 0, "PK\x05\x06", 4) ||
        at(d, len, 0, "PK\x07\x08", 4))
        return WP_KIND_ZIP;
    if (at(d, len, 0, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8))
        return WP_KIND_OLE2;
    if (at(d, len, 0, "{\\rt", 4))
        return WP_KIND_RTF;
    if (at(d, len, 0, "Rar!\x1a\x07", 6))
        return WP_KIND_RAR;
    if (at(d, len, 0, "7z\xBC\xAF\x27\x1C", 6))
        return WP_KIND_7Z;
    if (at(d, len, 0, "\x1f\x8b", 2))
        return WP_KIND_GZIP;
    if (at(d, len, 0, "BZh", 3) && len > 4 && d[3] >= '1' && d[3] <= '9')
        return WP_KIND_BZIP2;
    if (at(d, len, 0,
           "\xFD"
           "7zXZ\x00",
           6))
        return WP_KIND_XZ;
    if (at(d, len, 0, "MSCF\0\0\0\0", 8))
        return WP_KIND_CAB;
    if (at(d, len, 257, "ustar", 5))
        return WP_KIND_TAR;
    if (at(d, len, 0, "\x78\x9f\x3e\x22", 4))
        return WP_KIND_TNEF;
    if (at(d, len, 0, "L\0\0\0\x01\x14\x02\0", 8))
        return WP_KIND_LNK;
    /* OneNote section: {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3} */
    if (at(d, len, 0, "\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D\xAE\xB1\x53\x78\xD0\x29\x96\xD3", 16))
        return WP_KIND_ONENOTE;
    if (at(d, len, 0, "ITSF\x03\0\0\0", 8))
        return WP_KIND_CHM;
    if (at(d, len, 0x8001, "CD001", 5) || at(d, len, 0x8801, "CD001", 5) ||
        at(d, len, 0x9001, "CD001", 5) || at(d, len, 0x8001, "BEA01", 5) ||
        at(d, len, 0, "conectix", 8) || at(d, len, 0, "vhdxfile", 8) ||
        (len >= 512 && memcmp(d + len - 512, "conectix", 8) == 0))
        return WP_KIND_DISK_IMAGE;
    if (at(d, len, 0, "\x89PNG", 4) || at(d, len, 0, "\xFF\xD8\xFF", 3) ||
        at(d, len, 0, "GIF8", 4) || at(d, len, 0, "II*\0", 4) || at(d, len, 0, "MM\0*", 4) ||
        (at(d, len, 0, "RIFF", 4) && at(d, len, 8, "WEBP", 4)) || at(d, len, 0, "\0\0\1\0", 4))
        return WP_KIND_IMAGE;
    /* %PDF- may follow some junk; readers accept it within the first 1024 bytes */
    {
        size_t n = len < 1024 ? len : 1024;
        if (wp_memcasemem((const char *)d, n, "%PDF-", 5) != NULL)
            return WP_KIND_PDF;
    }
    if (at(d, len, 0, "#!", 2))
        return WP_KIND_SCRIPT;
    if (looks_html(d, len))
        return WP_KIND_HTML;
    if (looks_text(d, len))
        return looks_message(d, len) ? WP_KIND_MESSAGE : WP_KIND_TEXT;
    return WP_KIND_DATA;
}

static const struct {
    const char *name;
    const char *mime;
} kinds[WP_KIND__COUNT] = {
    [WP_KIND_DATA] = {"data", "application/octet-stream"},
    [WP_KIND_EMPTY] = {"empty", "application/x-empty"},
    [WP_KIND_TEXT] = {"text", "text/plain"},
    [WP_KIND_HTML] = {"html", "text/html"},
    [WP_KIND_IMAGE] = {"image", NULL},
    [WP_KIND_PDF] = {"pdf", "application/pdf"},
    [WP_KIND_ZIP] = {"archive", "application/zip"},
    [WP_KIND_OOXML] = {"office", NULL},
    [WP_KIND_RAR] = {"archive", "application/x-rar"},
    [WP_KIND_7Z] = {"archive", "application/x-7z-compressed"},
    [WP_KIND_GZIP] = {"archive", "application/gzip"},
    [WP_KIND_BZIP2] = {"archive", "application/x-bzip2"},
    [WP_KIND_XZ] = {"archive", "application/x-xz"},
    [WP_KIND_TAR] = {"archive", "application/x-tar"},
    [WP_KIND_CAB] = {"archive", "application/vnd.ms-cab-compressed"},
    [WP_KIND_OLE2] = {"ole2", "application/x-ole-storage"},
    [WP_KIND_RTF] = {"rtf", "text/rtf"},
    [WP_KIND_PE] = {"pe", "application/x-dosexec"},
    [WP_KIND_ELF] = {"elf", "application/x-executable"},
    [WP_KIND_MACHO] = {"macho", "application/x-mach-binary"},
    [WP_KIND_SCRIPT] = {"script", "text/x-script"},
    [WP_KIND_TNEF] = {"tnef", "application/vnd.ms-tnef"},
    [WP_KIND_DISK_IMAGE] = {"disk-image", "application/x-iso9660-image"},
    [WP_KIND_LNK] = {"shortcut", "application/x-ms-shortcut"},
    [WP_KIND_MESSAGE] = {"message", "message/rfc822"},
    [WP_KIND_ONENOTE] = {"onenote", "application/onenote"},
    [WP_KIND_CHM] = {"chm", "application/vnd.ms-htmlhelp"},
};

const char *
wp_kind_name(wp_kind k)
{
    return (unsigned)k < WP_KIND__COUNT ? kinds[k].name : "data";
}

const char *
wp_kind_mime(wp_kind k)
{
    return (unsigned)k < WP_KIND__COUNT ? kinds[k].mime : NULL;
}

bool
wp_kind_is_archive(wp_kind k)
{
    switch (k) {
    case WP_KIND_ZIP:
    case WP_KIND_RAR:
    case WP_KIND_7Z:
    case WP_KIND_GZIP:
    case WP_KIND_BZIP2:
    case WP_KIND_XZ:
    case WP_KIND_TAR:
    case WP_KIND_CAB:
        return true;
    default:
        return false;
    }
}
