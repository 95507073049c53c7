/*
 * fuzz_wave.c - the wave module's readers of hostile text: the subject normalizer, the body
 * fingerprint, the name collector, the date parser and the registrable-domain cut.
 *
 * Input: any bytes, used whole as every one of them (a subject, a To
 * header, a body, a Date value, a host), so one corpus serves all five. The normalized
 * subject must be valid UTF-8 whenever the input is, NUL-terminated within its buffer, and
 * parsed dates must be plausible when accepted.
 */
#include "fuzz_common.h"

#include "wave/wave.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy with no NUL beyond it, so over-reads are caught by ASan */
    char *txt = malloc(size + 1);
    if (txt == NULL)
        return 0;
    memcpy(txt, data, size);
    txt[size] = '\0';
    wave_names nm = {.n = 0};
    wave_names_add_text(&nm, txt, size);
    if (nm.n > WAVE_NAMES_MAX)
        fz_die("INVARIANT too many names", NULL);
    char out[WAVE_SUBJECT_MAX];
    wave_subject_normalize(txt, size, &nm, out, sizeof out);
    if (strnlen(out, sizeof out) >= sizeof out)
        fz_die("INVARIANT normalized subject not terminated", NULL);
    if (fz_bad_utf8(txt, 0) < 0 && strlen(txt) == size && fz_bad_utf8(out, 0) >= 0)
        fz_die("INVARIANT normalized subject of UTF-8 input is not UTF-8", out);
    size_t words;
    (void)wave_body_simhash(txt, size, &nm, &words);
    if (words > size)
        fz_die("INVARIANT more words than bytes", NULL);
    long long t = wave_parse_date(txt, size);
    if (t != -1 && (t < -62135596800LL || t > 253402300799LL + 86400))
        fz_die("INVARIANT date out of range", txt);
    size_t st, n = wave_registrable_domain(txt, size, &st);
    if (st > size || n > size - st)
        fz_die("INVARIANT domain outside its host", NULL);
    free(txt);
    return 0;
}
