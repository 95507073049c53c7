/*
 * fuzz_html.c - wp_html_analyze(): visible text and links of hostile HTML.
 *
 * Input: an HTML document as message.c passes it (already converted to UTF-8 when the
 * declared charset allowed; raw bytes otherwise). Visible text goes through
 * wp_scan_add_text() and wp_scan_text_urls(), links through wp_scan_add_url().
 */
#include "fuzz_internal.h"

#include "mail/mail.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_scanner *sc = fz_scanner(0); /* no YARA involved */
    wp_scan s;
    if (!fz_scan_begin(&s, sc, size))
        return 0;
    wp_html_analyze(&s, size ? (const char *)data : "", size, "1.2");
    fz_scan_end(&s);
    return 0;
}
