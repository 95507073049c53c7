/*
 * fuzz_content.c - the content analyzers on raw bytes: wp_content_analyze() directly, as
 * message.c calls it for a decoded attachment "a.bin" (application/octet-stream).
 *
 * Input: the attachment's bytes. The sniffer picks the analyzer (zip/OOXML, rar, 7z, gzip,
 * bzip2, xz, tar, cab through libarchive; OLE2, PDF, RTF, TNEF, HTML, PE ...); archive and
 * TNEF members come back through wp_content_analyze() with depth + 1, and every blob is
 * hashed, typed with libmagic and scanned with the default YARA rules.
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
    /* a password "announced in the text", so encrypted members go down the decryption path */
    s.passwords[0] = "infected";
    s.n_passwords = 1;
    s.want_passwords = true;
    wp_content_info ci = {.name = "a.bin",
                          .declared_type = "application/octet-stream",
                          .where = "2/a.bin",
                          .depth = 0,
                          .is_attachment = true};
    /* never hand NULL to the analyzers: message.c does not either */
    wp_content_analyze(&s, size ? data : (const uint8_t *)"", size, &ci);
    fz_scan_end(&s);
    return 0;
}
