/*
 * filename.c - the tricks attackers play with attachment names.
 *
 * Checks the raw UTF-8 name (before sanitising, so the tricks are still visible):
 * bidi controls (RLO "invoice\u202Etxt.exe" shows as "invoiceexe.txt"), double extensions
 * ("report.pdf.exe"), runs of spaces that push the real extension out of view, dangerous
 * extensions, and extensions or declared types that disagree with the true type.
 */
#include <ctype.h>
#include <string.h>

#include "content.h"
#include "core/util.h"

/* Extensions Windows (or a mail client on it) executes, interprets, or mounts on a click. */
static const char *const dangerous_ext[] = {"exe",       "scr",         "com",
                                            "pif",       "bat",         "cmd",
                                            "js",        "jse",         "vbs",
                                            "vbe",       "wsf",         "wsh",
                                            "hta",       "lnk",         "iso",
                                            "img",       "vhd",         "vhdx",
                                            "chm",       "msi",         "msp",
                                            "ps1",       "psm1",        "jar",
                                            "cpl",       "reg",         "dll",
                                            "scf",       "inf",         "xll",
                                            "appx",      "msix",        "one",
                                            "url",       "application", "gadget",
                                            "appref-ms", "library-ms",  "settingcontent-ms",
                                            "mht",       "sct",         "wsc",
                                            "msc",       "xbap",        "ace",
                                            "udf",       "svg-exe",     NULL};

static const char *const script_ext[] = {"js",  "jse",  "vbs", "vbe", "wsf", "wsh", "hta",
                                         "ps1", "psm1", "bat", "cmd", "sct", "wsc", NULL};

/* Extensions a victim reads as "a document": the first half of a double extension. */
static const char *const decoy_ext[] = {
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "rtf", "txt", "jpg", "jpeg", "png", "gif",
    "zip", "rar", "mp3",  "mp4", "csv",  "htm", "html", "odt", "eml", "msg", "tif",  "bmp", NULL};

static bool
in_list(const char *const *list, const char *ext)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], ext) == 0)
            return true;
    return false;
}

/* Coarse families for comparing a name or a declared type with the true type. */
typedef enum fam { F_UNKNOWN, F_PDF, F_IMAGE, F_TEXT, F_OFFICE, F_ARCHIVE, F_EXEC, F_DISK } fam;

static const char *const fam_names[] = {"unknown", "PDF",     "image",      "text",
                                        "Office",  "archive", "executable", "disk image"};

static fam
kind_family(wp_kind k)
{
    switch (k) {
    case WP_KIND_PDF:
        return F_PDF;
    case WP_KIND_IMAGE:
        return F_IMAGE;
    case WP_KIND_TEXT:
    case WP_KIND_HTML:
        return F_TEXT;
    case WP_KIND_OOXML:
    case WP_KIND_OLE2:
    case WP_KIND_RTF:
        return F_OFFICE;
    case WP_KIND_PE:
    case WP_KIND_ELF:
    case WP_KIND_MACHO:
        return F_EXEC;
    case WP_KIND_DISK_IMAGE:
        return F_DISK;
    case WP_KIND_CHM:
    case WP_KIND_ONENOTE:
    case WP_KIND_LNK:
        return F_EXEC; /* things a click runs */
    default:
        return wp_kind_is_archive(k) ? F_ARCHIVE : F_UNKNOWN;
    }
}

static fam
ext_family(const char *ext)
{
    static const char *const pdf[] = {"pdf", NULL};
    static const char *const img[] = {"jpg", "jpeg", "png",  "gif", "bmp",
                                      "tif", "tiff", "webp", NULL};
    static const char *const txt[] = {"txt", "csv", "log", "htm", "html", NULL};
    static const char *const off[] = {"doc",  "docx", "docm", "dot",  "dotm", "xls", "xlsx",
                                      "xlsm", "xlsb", "ppt",  "pptx", "pptm", "rtf", NULL};
    static const char *const arc[] = {"zip", "rar", "7z",  "gz",  "tgz",
                                      "bz2", "xz",  "tar", "cab", NULL};
    static const char *const exe[] = {"exe", "dll", "scr", "com", "cpl", "sys", NULL};
    static const char *const dsk[] = {"iso", "img", "vhd", "vhdx", NULL};
    if (in_list(pdf, ext))
        return F_PDF;
    if (in_list(img, ext))
        return F_IMAGE;
    if (in_list(txt, ext))
        return F_TEXT;
    if (in_list(off, ext))
        return F_OFFICE;
    if (in_list(arc, ext))
        return F_ARCHIVE;
    if (in_list(exe, ext))
        return F_EXEC;
    if (in_list(dsk, ext))
        return F_DISK;
    return F_UNKNOWN;
}

static fam
type_family(const char *t)
{
    if (t == NULL)
        return F_UNKNOWN;
    if (strcmp(t, "application/pdf") == 0)
        return F_PDF;
    if (strncmp(t, "image/", 6) == 0)
        return F_IMAGE;
    if (strcmp(t, "text/plain") == 0 || strcmp(t, "text/html") == 0 || strcmp(t, "text/csv") == 0)
        return F_TEXT;
    if (strcmp(t, "application/msword") == 0 || strcmp(t, "application/rtf") == 0 ||
        strcmp(t, "text/rtf") == 0 || strncmp(t, "application/vnd.ms-", 19) == 0 ||
        strncmp(t, "application/vnd.openxmlformats", 30) == 0)
        return F_OFFICE;
    if (strcmp(t, "application/zip") == 0 || strcmp(t, "application/x-zip-compressed") == 0 ||
        strcmp(t, "application/x-rar-compressed") == 0 || strcmp(t, "application/gzip") == 0 ||
        strcmp(t, "application/x-7z-compressed") == 0 || strcmp(t, "application/x-tar") == 0)
        return F_ARCHIVE;
    if (strcmp(t, "application/x-msdownload") == 0 || strcmp(t, "application/x-dosexec") == 0)
        return F_EXEC;
    return F_UNKNOWN;
}

/* Families that may legitimately be mistaken for each other: Office files are archives
 * underneath; HTML arrives as text. */
static bool
families_agree(fam claimed, fam actual)
{
    if (claimed == F_UNKNOWN || actual == F_UNKNOWN || claimed == actual)
        return true;
    if (claimed == F_ARCHIVE && actual == F_OFFICE)
        return true;
    return false;
}

static bool
has_bidi(const char *name, char *which, size_t wlen)
{
    const unsigned char *p = (const unsigned char *)name;
    for (; *p; p++) {
        /* U+202A..U+202E: E2 80 AA..AE; U+2066..U+2069: E2 81 A6..A9;
         * U+200E/U+200F: E2 80 8E/8F; U+061C: D8 9C */
        if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) {
            snprintf(which, wlen, "U+%04X", 0x2000 + (p[2] - 0x80));
            return true;
        }
        if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9) {
            snprintf(which, wlen, "U+%04X", 0x2040 + (p[2] - 0x80));
            return true;
        }
        if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x8E || p[2] == 0x8F)) {
            snprintf(which, wlen, "U+%04X", 0x2000 + (p[2] - 0x80));
            return true;
        }
        if (p[0] == 0xD8 && p[1] == 0x9C) {
            snprintf(which, wlen, "U+061C");
            return true;
        }
    }
    return false;
}

/* The extension as Windows sees it: after the last dot, bidi controls and trailing
 * spaces/dots removed (Windows strips those when it saves the file). */
static void
effective_ext(const char *name, char *ext, size_t elen)
{
    char clean[512];
    size_t o = 0;
    /* the extension is at the end: a long name must not push it out of the buffer */
    size_t nl = strlen(name);
    const unsigned char *p = (const unsigned char *)name + (nl > 400 ? nl - 400 : 0);
    while (*p && o + 1 < sizeof(clean)) {
        if (p[0] == 0xE2 && (p[1] == 0x80 || p[1] == 0x81) && p[2] != 0) {
            p += 3; /* drop format characters */
            continue;
        }
        clean[o++] = (char)*p++;
    }
    while (o > 0 && (clean[o - 1] == ' ' || clean[o - 1] == '.'))
        o--;
    clean[o] = '\0';
    wp_extension(clean, ext, elen);
}

void
wp_filename_check(wp_scan *s, const char *name, const char *where, wp_kind kind,
                  const char *declared_type)
{
    char ext[32] = "", which[16];
    fam actual = kind_family(kind);

    if (name != NULL && *name != '\0') {
        char *shown = wp_arena_sanitize(s->a, name, strlen(name), 256);
        if (has_bidi(name, which, sizeof which))
            wp_scan_finding(s, "ATTACH_RLO_NAME", where,
                            "name '%s' contains bidirectional control %s", shown, which);
        effective_ext(name, ext, sizeof ext);
        bool dangerous = ext[0] != '\0' && in_list(dangerous_ext, ext);
        if (dangerous)
            wp_scan_finding(s, "ATTACH_DANGEROUS_EXT", where, "name '%s' ends in .%s", shown, ext);

        /* a run of spaces */
        size_t run = 0, best = 0;
        for (const char *p = name; *p; p++) {
            run = (*p == ' ' || *p == '_') ? run + 1 : 0;
            if (*p == ' ' && run > best)
                best = run;
        }
        if (best >= 5)
            wp_scan_finding(s, "ATTACH_SPACES_NAME", where,
                            "name '%s' contains a run of %zu spaces", shown, best);

        /* double extension: the one before the last is a decoy */
        if (dangerous) {
            char stem[256];
            size_t nlen = strlen(name);
            snprintf(stem, sizeof stem, "%s", name + (nlen > 200 ? nlen - 200 : 0));
            char *last = strrchr(stem, '.');
            if (last != NULL) {
                *last = '\0';
                size_t sl = strlen(stem);
                while (sl > 0 && stem[sl - 1] == ' ')
                    stem[--sl] = '\0';
                char prev[32];
                wp_extension(stem, prev, sizeof prev);
                if (prev[0] != '\0' && in_list(decoy_ext, prev))
                    wp_scan_finding(s, "ATTACH_DOUBLE_EXT", where, "name '%s' shows .%s but is .%s",
                                    shown, prev, ext);
            }
        }
        if (ext[0] != '\0' && in_list(script_ext, ext) &&
            (kind == WP_KIND_TEXT || kind == WP_KIND_HTML || kind == WP_KIND_SCRIPT))
            wp_scan_finding(s, "ATTACH_SCRIPT", where, "script file '%s' (.%s)", shown, ext);

        fam claimed = ext_family(ext);
        if (!families_agree(claimed, actual))
            wp_scan_finding(s, "ATTACH_EXT_MISMATCH", where,
                            "name '%s' says %s but the content is %s (%s)", shown,
                            fam_names[claimed], fam_names[actual], wp_kind_name(kind));
    }
    fam declared = type_family(declared_type);
    if (!families_agree(declared, actual))
        wp_scan_finding(s, "ATTACH_TYPE_MISMATCH", where, "declared %s but the content is %s (%s)",
                        declared_type, fam_names[actual], wp_kind_name(kind));
}
