/*
 * catalogue.c - every finding code this build can emit, with its category, default weight
 * and meaning. docs/FINDINGS.md is generated from the same rows (`watchpost findings`), so
 * a new code is added here and nowhere else.
 *
 * Weights are on one additive scale: 0 informational, 1-3 suspicious alone, 4-6 strong,
 * 7+ malicious on its own. The verdict module reads them from configuration ("weight.CODE")
 * with these as defaults. Each analyzer module keeps its rows in its own codes.inc.
 */
#include <string.h>

#include "watchpost/finding.h"

#define A   WP_CAT_ANOMALY
#define M   WP_CAT_MALWARE
#define P   WP_CAT_PHISHING
#define POL WP_CAT_POLICY
#define S   WP_CAT_SPAM
#define I   WP_CAT_IMPERSONATION
#define D   WP_CAT_DLP

static const wp_finding_def catalogue[] = {
    /* message and header structure */
    {"MSG_NOT_MAIL", A, 1, "input has no RFC 5322 header block; analysed as a raw object"},
    {"HDR_MISSING_FROM", A, 1, "no From header"},
    {"HDR_MISSING_DATE", A, 0, "no Date header"},
    {"HDR_MISSING_MESSAGE_ID", A, 0, "no Message-ID header"},
    {"HDR_DUPLICATE", A, 2, "a header that must appear once appears more than once"},
    {"HDR_RAW_8BIT", A, 1, "raw 8-bit bytes in headers (not RFC 2047 encoded)"},
    {"HDR_CONFLICTING", A, 2, "a header that must appear once appears with different values"},
    {"HDR_BAD_ENCODED_WORD", A, 0, "invalid RFC 2047 encoded word"},
    {"HDR_BAD_ADDRESS", A, 1, "address list that does not parse"},
    {"HDR_BAD_NAME", A, 1, "invalid header field name"},
    {"MSG_TRUNCATED", A, 1, "message ends early (truncated)"},
    {"MSG_MALFORMED", A, 1, "message structure is malformed"},
    /* MIME structure */
    {"MIME_BOUNDARY_MISSING", A, 1, "multipart part declares no boundary"},
    {"MIME_BOUNDARY_NOT_FOUND", A, 1, "declared multipart boundary never occurs in the body"},
    {"MIME_UNTERMINATED_MULTIPART", A, 0, "multipart has no closing boundary"},
    {"MIME_EMPTY_MULTIPART", A, 0, "multipart with no parts"},
    {"MIME_BOUNDARY_RECOVERED", A, 1,
     "the declared boundary never occurs; parts found under another delimiter were analysed"},
    {"MIME_BAD_CONTENT_TYPE", A, 1, "Content-Type that does not parse"},
    {"MIME_CONFLICTING_PARAMETER", A, 2,
     "a MIME parameter (e.g. filename) given twice, differently"},
    {"MIME_NAME_MISMATCH", A, 3, "Content-Disposition filename and Content-Type name differ"},
    {"MIME_PART_EMPTY", A, 1, "MIME part with neither headers nor content"},
    {"MIME_BAD_CHARSET", A, 0, "declared charset unknown; text decoded as best effort"},
    {"MIME_BAD_ENCODING", A, 1, "unknown Content-Transfer-Encoding"},
    {"MIME_UUENCODE", A, 1, "uuencoded file inside a text body"},
    {"MIME_PARTIAL", A, 1, "message/partial fragment: the whole cannot be analysed"},
    {"MIME_ENCRYPTED", POL, 0, "encrypted MIME content (S/MIME or PGP) cannot be inspected"},
    /* attachments: names and types */
    {"ATTACH_EXECUTABLE", M, 8, "executable code (PE, ELF, Mach-O) in an attachment"},
    {"ATTACH_SCRIPT", M, 6, "script (JScript, VBScript, PowerShell, HTA, batch, shell)"},
    {"ATTACH_DANGEROUS_EXT", M, 5, "file name with an extension Windows executes or mounts"},
    {"ATTACH_DOUBLE_EXT", M, 5, "document-looking name hiding a dangerous extension"},
    {"ATTACH_RLO_NAME", M, 8, "file name with right-to-left override or other bidi controls"},
    {"ATTACH_SPACES_NAME", M, 4, "file name with a long run of spaces hiding its extension"},
    {"ATTACH_EXT_MISMATCH", A, 3, "file name extension disagrees with the true type"},
    {"ATTACH_TYPE_MISMATCH", A, 2, "declared Content-Type disagrees with the true type"},
    {"ATTACH_DISK_IMAGE", M, 5, "disk image (ISO 9660, UDF, VHD) that Windows mounts on a click"},
    {"ATTACH_SHORTCUT", M, 6, "Windows shortcut (.lnk) file"},
    {"ATTACH_ONENOTE", M, 4, "OneNote section: a 2023 carrier of embedded scripts and executables"},
    {"ATTACH_CHM", M, 6, "compiled HTML help (.chm): runs script when opened"},
    /* archives */
    {"ARCHIVE_ENCRYPTED", M, 4, "password-protected archive member (contents not inspectable)"},
    {"ARCHIVE_CORRUPT", A, 1, "archive could not be read completely"},
    /* Office, RTF, PDF */
    {"OFFICE_MACRO", M, 6, "Office document with VBA macros"},
    {"OFFICE_XLM_MACRO", M, 6, "Excel 4.0 (XLM) macro sheet"},
    {"OFFICE_EXTERNAL_REF", M, 6, "Office document loads a remote template or object"},
    {"OFFICE_DDE", M, 7, "Office document with a DDE field that can run a command"},
    {"OFFICE_OLE_OBJECT", M, 3, "Office document with an embedded OLE object or package"},
    {"OFFICE_ENCRYPTED", A, 3, "encrypted Office document (contents not inspectable)"},
    {"RTF_OBJECT", M, 5, "RTF document with an embedded object"},
    {"PDF_JAVASCRIPT", M, 5, "PDF contains JavaScript"},
    {"PDF_AUTO_ACTION", M, 2, "PDF runs an action when opened (OpenAction or AA)"},
    {"PDF_LAUNCH", M, 7, "PDF Launch action (starts a program)"},
    {"PDF_EMBEDDED_FILE", M, 3, "PDF carries an embedded file"},
    {"PDF_URI", P, 0, "PDF contains URI link actions (URLs listed in the report)"},
    {"PDF_NAME_OBFUSCATION", M, 4, "PDF names hidden with #xx escapes"},
    {"PDF_FORM", P, 1, "PDF with an interactive form (AcroForm or XFA)"},
    {"PDF_ENCRYPTED", A, 1, "encrypted PDF (streams not inspectable)"},
    {"PDF_TOO_COMPLEX", A, 1,
     "PDF beyond the tokenizer's bounds (nesting, tokens, object streams)"},
    {"TNEF_CORRUPT", A, 1, "TNEF (winmail.dat) stream is malformed"},
    /* rules */
    {"YARA_MATCH", M, 5, "a YARA rule matched (weight from the rule's 'weight' meta)"},
    {"YARA_ERROR", A, 0, "YARA could not scan an object"},
    /* limits: the scan went on with what was within bounds */
    {"LIMIT_MESSAGE_SIZE", A, 1, "message larger than max_message_bytes; the rest not parsed"},
    {"LIMIT_HEADER_SIZE", A, 1, "a header field longer than max_header_bytes"},
    {"LIMIT_HEADER_COUNT", A, 1, "more header fields than max_header_count"},
    {"LIMIT_MIME_PARTS", A, 2, "more MIME parts than max_mime_parts"},
    {"LIMIT_MIME_DEPTH", A, 3, "MIME nesting deeper than max_mime_depth"},
    {"LIMIT_PART_SIZE", A, 1, "a part or member larger than max_part_bytes was truncated"},
    {"LIMIT_URLS", A, 1, "more URLs than max_urls"},
    {"LIMIT_ARCHIVE_DEPTH", A, 3, "archives nested deeper than max_archive_depth"},
    {"LIMIT_ARCHIVE_MEMBERS", A, 2, "more archive members than max_archive_members"},
    {"LIMIT_ARCHIVE_BYTES", A, 3, "archives expand to more than max_archive_bytes"},
    {"LIMIT_ARCHIVE_RATIO", A, 4, "archive expansion ratio above max_archive_ratio (zip bomb)"},
    {"LIMIT_YARA_TIMEOUT", A, 2, "YARA scan of an object exceeded yara_timeout_ms"},
    {"LIMIT_FINDINGS", A, 1, "more findings than max_findings; the rest dropped"},
    {"LIMIT_MEMORY", A, 3, "per-message memory budget (max_memory_bytes) exhausted"},
    {"LIMIT_TIME", A, 3, "the scan reached its time budget (max_scan_ms); the rest not analysed"},
/* the analyzer modules' codes, one file each */
#include "analyze/codes.inc"
#include "auth/codes.inc"
#include "bayes/codes.inc"
#include "dlp/codes.inc"
#include "intel/codes.inc"
#include "rules/codes.inc"
#include "verdict/codes.inc"
#include "wave/codes.inc"
};

static const char *const category_names[WP_CAT__COUNT] = {
    [WP_CAT_SPAM] = "spam",       [WP_CAT_PHISHING] = "phishing",
    [WP_CAT_MALWARE] = "malware", [WP_CAT_IMPERSONATION] = "impersonation",
    [WP_CAT_DLP] = "dlp",         [WP_CAT_C2] = "c2",
    [WP_CAT_EXFIL] = "exfil",     [WP_CAT_ANOMALY] = "anomaly",
    [WP_CAT_POLICY] = "policy",
};

const char *
wp_category_name(wp_category cat)
{
    return (unsigned)cat < WP_CAT__COUNT ? category_names[cat] : "unknown";
}

const wp_finding_def *
wp_finding_lookup(const char *code)
{
    for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
        if (strcmp(catalogue[i].code, code) == 0)
            return &catalogue[i];
    return NULL;
}

const wp_finding_def *
wp_finding_catalogue(size_t *n)
{
    *n = sizeof(catalogue) / sizeof(catalogue[0]);
    return catalogue;
}
