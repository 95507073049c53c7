/*
 * tokenize.c - what the learned classifier sees of a message.
 *
 * Tokens come from the Subject ("s:"), the From display name ("f:") and the registrable part
 * of its address domain ("fd:"), the registrable part of every URL host ("u:"), each
 * attachment's true type ("a:") and name extension ("ae:"), and the visible body text ("b:")
 * that the mail walker gathered (text and HTML parts decoded to UTF-8, markup removed).
 *
 * Words are maximal runs of letters and digits (UTF-8 decoded, lower-cased for Latin, Greek
 * and Cyrillic, full-width Latin folded to ASCII, zero-width characters ignored so they cannot
 * split a word); Chinese, Japanese and Korean runs become character bigrams. A word is kept
 * when it has 3 to 24 characters.
 *
 * Era artifacts are left out on purpose (docs/BAYES.md says why, item by item): a corpus whose
 * good mail is from 2002 and whose bad mail is from 2024 can be told apart by dates alone, and
 * a site's model would learn the calendar instead of the mail. So: no token with a digit at
 * all (years, dates, times, versions, prices, ids), no month, weekday or time-zone names, no
 * body line that is a quoted header (Date:, Message-ID:, X-Mailer:, Received: ...), no long
 * runs that look like ids or base64, no MIME and HTML vocabulary, no mail-program names, and
 * no "http"/"https"/"www" (the https share of links is itself a date). Headers other than
 * Subject and From are never read; emoji and symbols are separators.
 *
 * Identity is left out too: e-mail addresses in the text, and the words of the message's own
 * recipients (To and Cc display names and local parts) wherever they occur. Every message to
 * a person names that person; in the public corpora those are also where the collectors'
 * anonymisation markers sit ("Hallo phishing@pot", "[zzzzteana]"), which name the corpus,
 * and so the class, of a message.
 *
 * Limits: the body is the walker's capped text (WP_BODY_TEXT_MAX); the caller's set caps the
 * unique tokens. Nothing here allocates.
 */
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "bayes_int.h"
#include "core/util.h"

enum cclass { C_SEP, C_LETTER, C_DIGIT, C_CJK, C_IGNORE };

/* Decode one UTF-8 sequence; invalid bytes decode as U+FFFD of length 1. */
static uint32_t
utf8_next(const unsigned char *p, size_t n, size_t *adv)
{
    unsigned c = p[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else {
        *adv = 1;
        return 0xFFFD;
    }
    if (len > n) {
        *adv = 1;
        return 0xFFFD;
    }
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            *adv = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *adv = 1;
        return 0xFFFD;
    }
    *adv = len;
    return cp;
}

static size_t
utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A coarse Unicode classification: enough to split words in the scripts mail is written in,
 * without a property database. Unlisted scripts count as letters. */
static enum cclass
classify(uint32_t cp)
{
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return C_LETTER;
        return cp >= '0' && cp <= '9' ? C_DIGIT : C_SEP;
    }
    if (cp == 0xAD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF ||
        cp == 0x61C || cp == 0x34F || (cp >= 0x180B && cp <= 0x180F))
        return C_IGNORE; /* soft hyphen, zero-width and invisible format characters: word
                            splitters in spam, and never part of a token */
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
        return C_SEP; /* C1 controls, Latin-1 punctuation and signs */
    if (cp < 0x2000) {
        if ((cp >= 0x660 && cp <= 0x669) || (cp >= 0x6F0 && cp <= 0x6F9) ||
            (cp >= 0x966 && cp <= 0x96F))
            return C_DIGIT; /* Arabic-Indic and Devanagari digits */
        if (cp == 0x60C || cp == 0x61B || cp == 0x61F || cp == 0x6D4 || cp == 0x37E ||
            cp == 0x387 || cp == 0x589 || cp == 0x5BE || cp == 0x5C0 || cp == 0x5C3)
            return C_SEP;
        return C_LETTER;
    }
    if (cp < 0x2C00)
        return C_SEP; /* punctuation, symbols, arrows, box drawing, dingbats */
    if (cp < 0x2E00)
        return C_LETTER;
    if (cp < 0x3040)
        return C_SEP; /* supplemental punctuation, CJK radicals, CJK punctuation */
    if (cp == 0x30FB)
        return C_SEP; /* katakana middle dot */
    if (cp < 0x3200)
        return C_CJK; /* kana, bopomofo, hangul jamo */
    if (cp < 0x3400)
        return C_SEP; /* enclosed and compatibility CJK */
    if (cp < 0x4DC0 || (cp >= 0x4E00 && cp < 0xA000))
        return C_CJK;
    if (cp < 0x4E00)
        return C_SEP; /* hexagrams */
    if (cp < 0xAC00)
        return C_LETTER;
    if (cp < 0xD7B0)
        return C_CJK; /* hangul syllables */
    if (cp < 0xF900)
        return C_SEP; /* private use */
    if (cp < 0xFB00)
        return C_CJK;
    if (cp < 0xFE00)
        return C_LETTER;
    if (cp < 0xFE70)
        return C_SEP; /* variation selectors, small and vertical forms */
    if (cp < 0xFF00)
        return C_LETTER;
    if (cp >= 0xFF10 && cp <= 0xFF19)
        return C_DIGIT;
    if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A))
        return C_LETTER;
    if (cp >= 0xFF66 && cp <= 0xFFDC)
        return C_CJK; /* half-width katakana and hangul */
    if (cp < 0x10000)
        return C_SEP;
    if (cp >= 0x20000 && cp < 0x40000)
        return C_CJK;
    if (cp >= 0x1D000)
        return C_SEP; /* musical and math symbols, emoji, tags */
    return C_LETTER;
}

static uint32_t
lower(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp >= 0xFF21 && cp <= 0xFF3A)
        return cp - 0xFF21 + 'a'; /* full-width Latin: the same word as ASCII */
    if (cp >= 0xFF41 && cp <= 0xFF5A)
        return cp - 0xFF41 + 'a';
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 32;
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return cp | 1;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return (cp & 1) ? cp + 1 : cp;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
        return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 80;
    return cp;
}

/* Words that are never tokens, sorted (bsearch; test_bayes checks the order). */
static const char *const stopwords[] = {
    "alternative", /* MIME: multipart/alternative */
    "april",       "ascii",        "aug",      "august",    "bgcolor",  "boundary",  "cdt",
    "cellpadding", "cellspacing",  "cest",     "cet",       "charset",  "claws",     "colspan",
    "cst",         "dec",          "december", "doctype",   "ehlo",     "esmtp",     "eudora",
    "feb",         "february",     "fri",      "friday",    "gmt",      "groupwise", "helo",
    "href",        "html",         "http",     "https",     "imap",     "iso",       "jan",
    "january",     "jst",          "jul",      "july",      "jun",      "june",      "kmail",
    "localhost",   "mailer",       "mailto",   "mar",       "march",    "may",       "mdt",
    "mime",        "mon",          "monday",   "mozilla",   "msmail",   "mst",       "multipart",
    "mutt",        "nbsp",         "netscape", "nextpart",  "nov",      "november",  "oct",
    "october",     "pdt",          "pegasus",  "printable", "pst",      "received",  "roundcube",
    "rowspan",     "sat",          "saturday", "sep",       "sept",     "september", "smtp",
    "span",        "squirrelmail", "sun",      "sunday",    "sylpheed", "tbody",     "thu",
    "thunderbird", "thur",         "thurs",    "thursday",  "tue",      "tues",      "tuesday",
    "utc",         "valign",       "wed",      "wednesday", "www",      "xmlns",
};

static int
cmp_word(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static bool
is_stopword(const char *w)
{
    return bsearch(w, stopwords, sizeof stopwords / sizeof stopwords[0], sizeof stopwords[0],
                   cmp_word) != NULL;
}

/* For test_bayes: the stop list must stay sorted for bsearch. */
bool wp_bayes_stopwords_sorted(void);
bool
wp_bayes_stopwords_sorted(void)
{
    for (size_t i = 1; i < sizeof stopwords / sizeof stopwords[0]; i++)
        if (strcmp(stopwords[i - 1], stopwords[i]) >= 0)
            return false;
    return true;
}

/* The word being built, with what the filters need to know about it. */
typedef struct word {
    char buf[WP_BAYES_WORD_MAX * 4 + 8];
    size_t len;        /* bytes in buf */
    size_t chars;      /* characters seen (may exceed WP_BAYES_WORD_MAX) */
    size_t ascii;      /* ASCII letters */
    size_t vowels;     /* ASCII vowels */
    size_t case_flips; /* lower case followed by upper case inside the word */
    bool digit;
    bool prev_lower;
} word;

/* The words of the message's own recipients (To, Cc: display names and address local parts),
 * which are never evidence: every message to a person names that person, and the corpora's
 * anonymisation markers ("phishing@pot", "zzzz...") live exactly there. */
#define WP_BAYES_MAX_RECIPIENT_WORDS 64
typedef struct recips {
    uint64_t h[WP_BAYES_MAX_RECIPIENT_WORDS];
    size_t n;
} recips;

typedef struct tk {
    const recips *ex; /* NULL: no exclusions */
    const char *prefix;
    size_t plen;
    wp_bayes_emit_fn emit;
    void *ctx;
    word w;
    uint32_t cjk_prev; /* previous character of a CJK run, 0 outside one */
    size_t cjk_run;
} tk;

static void
emit_tok(tk *t, const char *text, size_t len)
{
    char tok[8 + sizeof t->w.buf];
    if (t->plen + 1 + len > sizeof tok)
        return;
    memcpy(tok, t->prefix, t->plen);
    tok[t->plen] = ':';
    memcpy(tok + t->plen + 1, text, len);
    t->emit(t->ctx, tok, t->plen + 1 + len);
}

/* A letter run long enough to be a word but with almost no vowels, or whose case flips
 * back and forth, is an encoded id (base64, message-id local parts, tracking codes). */
static bool
looks_like_id(const word *w)
{
    if (w->ascii == w->chars && w->chars >= 12 && w->vowels * 5 < w->chars)
        return true;
    return w->chars >= 8 && w->case_flips >= 3;
}

static void
flush_word(tk *t)
{
    word *w = &t->w;
    if (w->chars >= WP_BAYES_WORD_MIN && w->chars <= WP_BAYES_WORD_MAX && !w->digit &&
        !looks_like_id(w)) {
        w->buf[w->len] = '\0';
        bool excluded = is_stopword(w->buf);
        if (!excluded && t->ex != NULL) {
            uint64_t h = wp_bayes_hash(w->buf, w->len);
            for (size_t i = 0; i < t->ex->n && !excluded; i++)
                excluded = t->ex->h[i] == h;
        }
        if (!excluded)
            emit_tok(t, w->buf, w->len);
    }
    w->len = w->chars = w->ascii = w->vowels = w->case_flips = 0;
    w->digit = w->prev_lower = false;
}

static void
add_char(tk *t, uint32_t cp, enum cclass c)
{
    word *w = &t->w;
    w->chars++;
    if (c == C_DIGIT) {
        w->digit = true;
        w->prev_lower = false;
        return;
    }
    bool is_upper = (cp >= 'A' && cp <= 'Z'), is_lower = (cp >= 'a' && cp <= 'z');
    if (is_upper && w->prev_lower)
        w->case_flips++;
    w->prev_lower = is_lower;
    uint32_t lc = lower(cp);
    if (lc < 0x80) {
        w->ascii++;
        if (strchr("aeiouy", (int)lc) != NULL)
            w->vowels++;
    }
    if (w->chars <= WP_BAYES_WORD_MAX)
        w->len += utf8_put(lc, w->buf + w->len);
}

static void
end_cjk(tk *t)
{
    if (t->cjk_run == 1) {
        char b[4];
        emit_tok(t, b, utf8_put(t->cjk_prev, b));
    }
    t->cjk_prev = 0;
    t->cjk_run = 0;
}

static void
add_cjk(tk *t, uint32_t cp)
{
    if (t->cjk_prev != 0) {
        char b[8];
        size_t n = utf8_put(t->cjk_prev, b);
        n += utf8_put(cp, b + n);
        emit_tok(t, b, n);
    }
    t->cjk_prev = cp;
    t->cjk_run++;
}

static void
tk_run(tk *t, const char *txt, size_t len)
{
    const unsigned char *p = (const unsigned char *)txt;
    size_t i = 0;
    while (i < len) {
        size_t adv;
        uint32_t cp = utf8_next(p + i, len - i, &adv);
        i += adv;
        enum cclass c = classify(cp);
        if (c == C_IGNORE)
            continue;
        if (c == C_CJK) {
            flush_word(t);
            add_cjk(t, cp);
            continue;
        }
        if (t->cjk_run > 0)
            end_cjk(t);
        if (c == C_LETTER || c == C_DIGIT)
            add_char(t, cp, c);
        else
            flush_word(t);
    }
    flush_word(t);
    end_cjk(t);
}

static bool
addr_left(unsigned char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("._%+-'", c) != NULL);
}

static bool
addr_right(unsigned char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

/* Text with every e-mail address left out: an address names a person or a mailbox, not what
 * the message says. keep_local keeps the part before '@' (to collect recipients' names). */
static void
tk_text(tk *t, const char *txt, size_t len, bool keep_local)
{
    size_t pos = 0;
    const char *at;
    while (pos < len && (at = memchr(txt + pos, '@', len - pos)) != NULL) {
        size_t a = (size_t)(at - txt), lo = a, hi = a + 1;
        while (lo > pos && addr_left((unsigned char)txt[lo - 1]))
            lo--;
        while (hi < len && addr_right((unsigned char)txt[hi]))
            hi++;
        if (lo < a && hi > a + 1) {
            tk_run(t, txt + pos, (keep_local ? a : lo) - pos);
            pos = hi;
        } else {
            tk_run(t, txt + pos, a + 1 - pos);
            pos = a + 1;
        }
    }
    if (pos < len)
        tk_run(t, txt + pos, len - pos);
}

static void
tk_init(tk *t, const char *prefix, wp_bayes_emit_fn emit, void *ctx)
{
    memset(t, 0, sizeof(*t));
    t->prefix = prefix;
    t->plen = strlen(prefix);
    t->emit = emit;
    t->ctx = ctx;
}

void
wp_bayes_tokenize_text(const char *prefix, const char *txt, size_t len, wp_bayes_emit_fn emit,
                       void *ctx)
{
    if (txt == NULL)
        return;
    tk t;
    tk_init(&t, prefix, emit, ctx);
    tk_text(&t, txt, len, false);
}

static void
add_recipient_word(void *ctx, const char *tok, size_t len)
{
    recips *ex = ctx;
    if (len < 2 || ex->n >= WP_BAYES_MAX_RECIPIENT_WORDS)
        return;
    ex->h[ex->n++] = wp_bayes_hash(tok + 1, len - 1); /* the word after the empty prefix */
}

static void
collect_recipients(const char *hdr, recips *ex)
{
    if (hdr == NULL)
        return;
    size_t n = strlen(hdr);
    tk t;
    tk_init(&t, "", add_recipient_word, ex);
    tk_text(&t, hdr, n < 4096 ? n : 4096, true);
}

/* A body line that is a quoted header ("Date: Tue, 6 Aug 2002 ...", "X-Mailer: ...") carries
 * the dates, ids and mailer versions that make up an era, and nothing of the message. */
static bool
is_header_line(const char *p, size_t n)
{
    static const char *const names[] = {
        "content-disposition",
        "content-transfer-encoding",
        "content-type",
        "date",
        "delivered-to",
        "errors-to",
        "importance",
        "in-reply-to",
        "message-id",
        "mime-version",
        "precedence",
        "received",
        "references",
        "return-path",
        "sent",
        "thread-index",
        "user-agent",
    };
    size_t i = 0;
    while (i < n && (p[i] == '>' || p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t start = i;
    char name[40];
    while (i < n && i - start < sizeof name - 1 &&
           (((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') || p[i] == '-')) {
        name[i - start] = (char)(p[i] | 0x20);
        i++;
    }
    size_t nl = i - start;
    if (nl == 0 || i >= n || p[i] != ':')
        return false;
    name[nl] = '\0';
    if (strncmp(name, "x-", 2) == 0 || strncmp(name, "list-", 5) == 0)
        return true;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcmp(name, names[k]) == 0)
            return true;
    return false;
}

static void
tokenize_body(const char *body, size_t len, const recips *ex, wp_bayes_emit_fn emit, void *ctx)
{
    tk t;
    tk_init(&t, "b", emit, ctx);
    t.ex = ex;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(body + i, '\n', len - i);
        size_t end = nl != NULL ? (size_t)(nl - body) : len;
        if (!is_header_line(body + i, end - i))
            tk_text(&t, body + i, end - i, false);
        i = end + 1;
    }
}

bool
wp_bayes_registrable(const char *host, char *out, size_t outlen)
{
    char h[256];
    size_t n = 0;
    if (host == NULL || outlen < 3 || strlen(host) > 254)
        return false; /* longer than any DNS name (253, or 254 with the root dot) */
    for (const char *p = host; *p && n < sizeof h - 1; p++)
        h[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    while (n > 0 && h[n - 1] == '.')
        n--;
    h[n] = '\0';
    if (n == 0)
        return false;
    bool ipish = true;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == ':' || c == '[')
            ipish = true, i = n; /* IPv6 literal */
        else if (!((c >= '0' && c <= '9') || c == '.'))
            ipish = false;
    }
    if (ipish) {
        memcpy(out, "ip", 3);
        return true;
    }
    /* the public suffix list compiled into libpsl; for names it does not know, the last
     * two labels, or three under a two-letter country code with a generic second level */
    const char *reg = psl_registrable_domain(psl_builtin(), h);
    if (reg != NULL) {
        size_t rl = strlen(reg);
        if (rl + 1 > outlen)
            return false;
        memcpy(out, reg, rl + 1);
        return true;
    }
    static const char *const sld[] = {"ac",  "co",  "com", "edu", "go",  "gob", "gov",
                                      "ltd", "mil", "ne",  "net", "nic", "or",  "org"};
    size_t dots[3] = {0}, nd = 0;
    for (size_t i = n; i-- > 0 && nd < 3;)
        if (h[i] == '.')
            dots[nd++] = i;
    if (nd == 0)
        return false; /* a bare name: "localhost" */
    size_t from = nd >= 2 ? dots[1] + 1 : 0;
    size_t tld_len = n - dots[0] - 1;
    if (tld_len == 2 && nd >= 2) {
        size_t sl = dots[0] - dots[1] - 1;
        for (size_t k = 0; k < sizeof sld / sizeof sld[0]; k++)
            if (strlen(sld[k]) == sl && memcmp(h + dots[1] + 1, sld[k], sl) == 0)
                from = nd >= 3 ? dots[2] + 1 : 0;
    }
    if (n - from + 1 > outlen)
        return false;
    memcpy(out, h + from, n - from + 1);
    return true;
}

/* Tokens that are names, not words (hosts, types, extensions): kept whole when they are
 * plain ASCII names without digits. */
static void
emit_name(const char *prefix, const char *name, size_t maxlen, wp_bayes_emit_fn emit, void *ctx)
{
    size_t n = strlen(name);
    if (n == 0 || n > maxlen)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || c == '.' || c == '-' || c == '/' || c == '+' || c == '_'))
            return; /* digits (an era or an id), upper case, anything odd */
    }
    tk t;
    tk_init(&t, prefix, emit, ctx);
    emit_tok(&t, name, n);
}

static void
text_ex(const char *prefix, const char *txt, size_t len, const recips *ex, wp_bayes_emit_fn emit,
        void *ctx)
{
    tk t;
    tk_init(&t, prefix, emit, ctx);
    t.ex = ex;
    tk_text(&t, txt, len, false);
}

static void
tokenize_from(const char *from, const recips *ex, wp_bayes_emit_fn emit, void *ctx)
{
    if (from == NULL)
        return;
    size_t n = strlen(from);
    const char *lt = memchr(from, '<', n);
    const char *addr = from, *name = NULL;
    size_t name_len = 0;
    if (lt != NULL) {
        name = from;
        name_len = (size_t)(lt - from);
        addr = lt + 1;
    } else {
        const char *paren = memchr(from, '(', n);
        if (paren != NULL) {
            name = paren + 1;
            name_len = n - (size_t)(paren + 1 - from);
        }
    }
    if (name != NULL)
        text_ex("f", name, name_len, ex, emit, ctx);
    const char *at = NULL;
    for (const char *p = addr; *p && *p != '>' && *p != ' ' && *p != '('; p++)
        if (*p == '@')
            at = p;
    if (at == NULL)
        return;
    char dom[256];
    size_t dn = 0;
    for (const char *p = at + 1; *p && *p != '>' && *p != ' ' && *p != '(' && dn < sizeof dom - 1;
         p++)
        dom[dn++] = *p;
    dom[dn] = '\0';
    char reg[256];
    if (wp_bayes_registrable(dom, reg, sizeof reg) && strcmp(reg, "ip") != 0)
        emit_name("fd", reg, 64, emit, ctx);
}

void
wp_bayes_tokenize(const wp_scan *s, wp_bayes_emit_fn emit, void *ctx)
{
    const wp_report *r = s->r;
    recips ex = {.n = 0};
    collect_recipients(r->to, &ex);
    collect_recipients(r->cc, &ex);
    /* the short, strong sources first: a body that fills the token cap cannot crowd them out */
    if (r->subject != NULL)
        text_ex("s", r->subject, strlen(r->subject), &ex, emit, ctx);
    tokenize_from(r->from, &ex, emit, ctx);
    for (size_t i = 0; i < r->n_urls; i++) {
        char reg[256];
        if (wp_bayes_registrable(r->urls[i].host, reg, sizeof reg))
            emit_name("u", reg, 64, emit, ctx);
    }
    for (size_t i = 0; i < r->n_objects; i++) {
        const wp_object *o = &r->objects[i];
        if (!o->is_attachment)
            continue;
        if (o->true_type != NULL)
            emit_name("a", o->true_type, 64, emit, ctx);
        if (o->name != NULL) {
            char ext[16];
            wp_extension(o->name, ext, sizeof ext);
            emit_name("ae", ext, 8, emit, ctx);
        }
    }
    if (s->body != NULL)
        tokenize_body(s->body, s->body_len, &ex, emit, ctx);
}
