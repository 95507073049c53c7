/*
 * fuzz_text.c - what message.c does with a text/plain body: wp_scan_add_text(),
 * wp_scan_text_urls() and, when "begin " occurs, wp_uuencode_extract() (whose decoded blocks
 * go on to wp_content_analyze() as attachments, with the default YARA rules).
 *
 * Input: the decoded, UTF-8 body text.
 */
#include "fuzz_internal.h"

#include "content/content.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_scanner *sc = fz_scanner(1);
    wp_scan s;
    if (!fz_scan_begin(&s, sc, size))
        return 0;
    const char *txt = size ? (const char *)data : "";
    wp_scan_add_text(&s, txt, size);
    wp_scan_text_urls(&s, txt, size, "1");
    if (memmem(txt, size, "begin ", 6) != NULL)
        wp_uuencode_extract(&s, txt, size, "1");
    fz_scan_end(&s);
    return 0;
}
