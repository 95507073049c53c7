/*
 * normalize.c - the similarity keys of the wave module.
 *
 * Bulk mail is one template sent many times with per-recipient details filled in: a name, a
 * tracking number, an order id, a personal link. Both keys therefore read text as a stream of
 * tokens in which those details become placeholders:
 *
 *   number   a run of digits                         -> "#"
 *   id       a token mixing letters and digits, or longer than 24 bytes -> "*"
 *   name     a token of the recipient's name (To display name and local part, envelope
 *            recipients)                               -> "@"
 *   url      a chunk with "://" or starting "www."   -> "url" (domains are kept apart)
 *   email    a chunk with '@' inside                 -> "email"
 *
 * The normalized subject is those tokens joined by spaces, lower case, with [tags] and reply
 * and forward prefixes removed. The body key is a 64-bit simhash (Charikar) of the 3-token
 * shingles of the body text: near-duplicate texts give hashes a few bits apart. Everything
 * is bounded: subjects are read up to 512 bytes, bodies up to WAVE_BODY_SCAN bytes and 256
 * shingles.
 */
#include <pthread.h>
#include <string.h>

#include "engine/scan.h"
#include "wave.h"

#define SUBJECT_SCAN 512u
#define MAX_SHINGLES 256u
#define TOKEN_LONG   24u
#define NAME_SCAN    512u

enum tok_kind { T_WORD, T_NUM, T_ID, T_NAME, T_URL, T_EMAIL };

static inline uint64_t
mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

uint64_t
wave_hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return mix64(h);
}

/* FNV-1a of the lower-cased token */
static uint64_t
hash_lower(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ lower(p[i])) * 0x100000001b3ULL;
    return mix64(h);
}

enum { C_SPACE = 1, C_ALPHA = 2, C_DIGIT = 4, C_HIGH = 8 };

/* byte classes: one load per byte in the tokenizer's loops */
static const unsigned char cls[256] = {
    [' '] = C_SPACE,         ['\t'] = C_SPACE,        ['\r'] = C_SPACE,
    ['\n'] = C_SPACE,        ['\f'] = C_SPACE,        ['\v'] = C_SPACE,
    ['0' ... '9'] = C_DIGIT, ['a' ... 'z'] = C_ALPHA, ['A' ... 'Z'] = C_ALPHA,
    [0x80 ... 0xFF] = C_HIGH};

static inline bool
is_space(unsigned char c)
{
    return cls[c] & C_SPACE;
}

/* letters, digits and every byte of a UTF-8 sequence (non-ASCII letters) */
static inline bool
is_word(unsigned char c)
{
    return cls[c] & (C_ALPHA | C_DIGIT | C_HIGH);
}

static inline bool
is_digit(unsigned char c)
{
    return cls[c] & C_DIGIT;
}

static bool
names_has(const wave_names *nm, uint64_t h)
{
    for (size_t i = 0; nm != NULL && i < nm->n; i++)
        if (nm->h[i] == h)
            return true;
    return false;
}

/* ---- the tokenizer ---- */

typedef struct tok {
    enum tok_kind kind;
    const unsigned char *p; /* the word (T_WORD) */
    size_t n;
    uint64_t h;
} tok;

typedef struct tokenizer {
    const unsigned char *p, *end;
    const unsigned char *chunk_end; /* inside a chunk being split into words */
    const wave_names *nm;
    bool skip_quotes; /* body: skip lines starting with '>' */
    bool line_start;
} tokenizer;

static bool
chunk_is_url(const unsigned char *p, size_t n, bool colon)
{
    if (n >= 4 && lower(p[0]) == 'w' && lower(p[1]) == 'w' && lower(p[2]) == 'w' && p[3] == '.')
        return true;
    return colon && n > 3 && memmem(p, n, "://", 3) != NULL;
}

static bool
chunk_is_email(const unsigned char *p, size_t n)
{
    const unsigned char *at = memchr(p, '@', n);
    return at != NULL && at > p && is_word(at[-1]) && at + 1 < p + n && is_word(at[1]);
}

static inline void
placeholder(tok *t, enum tok_kind k)
{
    t->kind = k;
    t->h = 0x5157a9e0d1c3b2a1ULL * (uint64_t)(k + 1);
}

/* t->p, t->n set; h the FNV-1a state of the lower-cased bytes, digits their digit count */
static void
classify(tokenizer *tz, tok *t, uint64_t h, size_t digits)
{
    if (digits == t->n) {
        placeholder(t, T_NUM);
    } else if (digits > 0 || t->n > TOKEN_LONG) {
        placeholder(t, T_ID);
    } else {
        t->h = mix64(h);
        if (names_has(tz->nm, t->h))
            placeholder(t, T_NAME);
        else
            t->kind = T_WORD;
    }
}

/* The next token, or false at the end. */
static bool
next_token(tokenizer *tz, tok *t)
{
    for (;;) {
        if (tz->chunk_end != NULL) {
            while (tz->p < tz->chunk_end && !is_word(*tz->p))
                tz->p++;
            if (tz->p < tz->chunk_end) {
                const unsigned char *s = tz->p, *ce = tz->chunk_end;
                uint64_t h = 0xcbf29ce484222325ULL;
                size_t digits = 0;
                if (*s < 0x80) {
                    /* ASCII letters and digits; c | 0x20 lower-cases letters, keeps digits */
                    const unsigned char *q = s;
                    unsigned char c;
                    while (q < ce && (cls[c = *q] & (C_ALPHA | C_DIGIT))) {
                        digits += (cls[c] & C_DIGIT) != 0;
                        h = (h ^ (c | 0x20u)) * 0x100000001b3ULL;
                        q++;
                    }
                    tz->p = q;
                } else {
                    /* non-ASCII: two characters a token, so unspaced scripts (Chinese,
                     * Japanese) give words rather than one long id */
                    for (int cp = 0; cp < 2 && tz->p < ce && *tz->p >= 0x80; cp++)
                        do
                            h = (h ^ *tz->p++) * 0x100000001b3ULL;
                        while (tz->p < ce && (*tz->p & 0xC0) == 0x80);
                }
                t->p = s;
                t->n = (size_t)(tz->p - s);
                classify(tz, t, h, digits);
                return true;
            }
            tz->chunk_end = NULL;
        }
        while (tz->p < tz->end && is_space(*tz->p)) {
            if (*tz->p == '\n')
                tz->line_start = true;
            tz->p++;
        }
        if (tz->p >= tz->end)
            return false;
        if (tz->skip_quotes && tz->line_start && *tz->p == '>') {
            const unsigned char *nl = memchr(tz->p, '\n', (size_t)(tz->end - tz->p));
            tz->p = nl != NULL ? nl : tz->end;
            continue;
        }
        tz->line_start = false;
        const unsigned char *s = tz->p;
        bool colon = false, at = false;
        while (tz->p < tz->end && !is_space(*tz->p)) {
            colon |= *tz->p == ':';
            at |= *tz->p == '@';
            tz->p++;
        }
        size_t n = (size_t)(tz->p - s);
        bool url = chunk_is_url(s, n, colon);
        if (url || (at && chunk_is_email(s, n))) {
            placeholder(t, url ? T_URL : T_EMAIL);
            t->p = s;
            t->n = n;
            return true;
        }
        tz->chunk_end = tz->p;
        tz->p = s;
    }
}

/* ---- names ---- */

static bool
common_word(const unsigned char *p, size_t n)
{
    static const char *const w[] = {"undisclosed", "recipients", "recipient", "info",
                                    "sales",       "support",    "admin",     "contact",
                                    "team",        "mail",       "office",    "service"};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strlen(w[i]) == n && strncasecmp(w[i], (const char *)p, n) == 0)
            return true;
    return false;
}

void
wave_names_add_text(wave_names *nm, const char *txt, size_t len)
{
    const unsigned char *p = (const unsigned char *)txt;
    const unsigned char *end = p + (len < NAME_SCAN ? len : NAME_SCAN);
    while (p < end && nm->n < WAVE_NAMES_MAX) {
        while (p < end && (is_space(*p) || *p == ','))
            p++;
        const unsigned char *c = p;
        while (p < end && !is_space(*p) && *p != ',')
            p++;
        /* of an address only the local part: the domain is not a name */
        const unsigned char *ce = p;
        const unsigned char *at = memchr(c, '@', (size_t)(ce - c));
        if (at != NULL)
            ce = at;
        for (const unsigned char *q = c; q < ce && nm->n < WAVE_NAMES_MAX;) {
            while (q < ce && !is_word(*q))
                q++;
            const unsigned char *w = q;
            size_t digits = 0;
            while (q < ce && is_word(*q))
                digits += is_digit(*q++);
            size_t n = (size_t)(q - w);
            if (n < 3 || n > TOKEN_LONG || digits > 0 || common_word(w, n))
                continue;
            uint64_t h = hash_lower(w, n);
            if (!names_has(nm, h))
                nm->h[nm->n++] = h;
        }
    }
}

/* ---- subject ---- */

static const char *const reply_prefixes[] = {"re", "fw",   "fwd",  "aw",   "wg",  "sv",  "vs",
                                             "tr", "antw", "rif",  "rv",   "enc", "ref", "odp",
                                             "r",  "réf",  "回复", "答复", "转发"};

/* Length of a reply/forward prefix at p ("Re:", "FWD:", "Re[2]:", "Re^3:"), 0 when none. */
static size_t
prefix_len(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof reply_prefixes / sizeof reply_prefixes[0]; i++) {
        size_t k = strlen(reply_prefixes[i]);
        if (k >= n || strncasecmp(p, reply_prefixes[i], k) != 0)
            continue;
        size_t j = k;
        if (p[j] == '[' || p[j] == '^') {
            j++;
            while (j < n && j < k + 6 && is_digit((unsigned char)p[j]))
                j++;
            if (j < n && p[j] == ']')
                j++;
        }
        while (j < n && p[j] == ' ')
            j++;
        if (j < n && (p[j] == ':' || (unsigned char)p[j] == 0xEF)) {
            /* ':' or the full-width colon U+FF1A (EF BC 9A) */
            if (p[j] == ':')
                return j + 1;
            if (j + 2 < n && (unsigned char)p[j + 1] == 0xBC && (unsigned char)p[j + 2] == 0x9A)
                return j + 3;
        }
    }
    return 0;
}

size_t
wave_subject_normalize(const char *subj, size_t len, const wave_names *nm, char *out, size_t outcap)
{
    if (outcap == 0)
        return 0;
    out[0] = '\0';
    if (subj == NULL)
        return 0;
    if (len > SUBJECT_SCAN)
        len = SUBJECT_SCAN;
    /* drop [tags] anywhere (list names, "[SPAM]", "[EXTERNAL]") */
    char buf[SUBJECT_SCAN];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (subj[i] == '[') {
            const char *close = memchr(subj + i, ']', len - i < 42 ? len - i : 42);
            if (close != NULL) {
                i = (size_t)(close - subj);
                buf[n++] = ' ';
                continue;
            }
        }
        buf[n++] = subj[i];
    }
    /* then every leading reply and forward prefix */
    size_t off = 0;
    for (;;) {
        while (off < n && is_space((unsigned char)buf[off]))
            off++;
        size_t k = prefix_len(buf + off, n - off);
        if (k == 0)
            break;
        off += k;
    }
    tokenizer tz = {
        .p = (const unsigned char *)buf + off, .end = (const unsigned char *)buf + n, .nm = nm};
    tok t;
    size_t o = 0, words = 0;
    enum tok_kind prev = T_WORD;
    bool first = true;
    while (next_token(&tz, &t)) {
        const char *s;
        size_t sl;
        switch (t.kind) {
        case T_WORD:
            s = (const char *)t.p;
            sl = t.n;
            words++;
            break;
        case T_NUM:
            s = "#";
            sl = 1;
            break;
        case T_ID:
            s = "*";
            sl = 1;
            break;
        case T_NAME:
            s = "@";
            sl = 1;
            break;
        case T_URL:
            s = "url";
            sl = 3;
            break;
        default:
            s = "email";
            sl = 5;
            break;
        }
        /* "555 123 4567" is one number */
        if (!first && t.kind != T_WORD && t.kind == prev)
            continue;
        if (o + sl + 2 > outcap)
            break;
        if (!first)
            out[o++] = ' ';
        for (size_t i = 0; i < sl; i++)
            out[o++] = (char)lower((unsigned char)s[i]);
        first = false;
        prev = t.kind;
    }
    /* a word cut inside a UTF-8 sequence is impossible (tokens are copied whole or not at
     * all), so out stays valid UTF-8 */
    out[o] = '\0';
    return words;
}

/* ---- body ---- */

/* spread[x]: byte i of the result is bit i of x, so adding spread[byte] to a uint64 counts
 * eight bits at once in eight byte-wide lanes */
static uint64_t spread[256];
static pthread_once_t spread_once = PTHREAD_ONCE_INIT;

static void
spread_init(void)
{
    for (unsigned x = 0; x < 256; x++)
        for (unsigned i = 0; i < 8; i++)
            if (x & (1u << i))
                spread[x] |= 1ULL << (8 * i);
}

/* add the byte lanes into the 64 bit counters and clear them */
static void
lanes_flush(uint64_t lanes[8], uint32_t v[64])
{
    for (int j = 0; j < 8; j++) {
        for (int i = 0; i < 8; i++)
            v[8 * j + i] += (uint32_t)(lanes[j] >> (8 * i)) & 0xFFu;
        lanes[j] = 0;
    }
}

uint64_t
wave_body_simhash(const char *body, size_t len, const wave_names *nm, size_t *words)
{
    *words = 0;
    if (body == NULL || len == 0)
        return 0;
    if (len > WAVE_BODY_SCAN)
        len = WAVE_BODY_SCAN;
    pthread_once(&spread_once, spread_init);
    tokenizer tz = {.p = (const unsigned char *)body,
                    .end = (const unsigned char *)body + len,
                    .nm = nm,
                    .skip_quotes = true,
                    .line_start = true};
    uint32_t v[64] = {0};
    uint64_t lanes[8] = {0};
    uint64_t w0 = 0, w1 = 0;
    bool w0_word = false, w1_word = false;
    size_t ntok = 0, nsh = 0;
    tok t;
    while (nsh < MAX_SHINGLES && next_token(&tz, &t)) {
        *words += t.kind == T_WORD;
        ntok++;
        /* a shingle of placeholders only ("# * url") says nothing about the template */
        bool informative = t.kind == T_WORD || w0_word || w1_word;
        if (ntok >= 3 && informative) {
            uint64_t h = mix64(w0 * 0x9E3779B97F4A7C15ULL ^ (w1 << 21 | w1 >> 43) ^ t.h);
            for (int j = 0; j < 8; j++)
                lanes[j] += spread[(h >> (8 * j)) & 0xFFu];
            if (++nsh % 255 == 0)
                lanes_flush(lanes, v);
        }
        w0 = w1;
        w1 = t.h;
        w0_word = w1_word;
        w1_word = t.kind == T_WORD;
    }
    if (nsh == 0)
        return mix64(w0 ^ (w1 << 1));
    lanes_flush(lanes, v);
    uint64_t out = 0;
    for (int b = 0; b < 64; b++)
        if (2u * v[b] > nsh)
            out |= 1ULL << b;
    return out;
}

/* ---- URL domains ---- */

size_t
wave_registrable_domain(const char *host, size_t len, size_t *start)
{
    *start = 0;
    while (len > 0 && host[len - 1] == '.')
        len--;
    bool ip = len > 0;
    for (size_t i = 0; i < len; i++)
        if (!is_digit((unsigned char)host[i]) && host[i] != '.' && host[i] != ':')
            ip = false;
    if (ip || memchr(host, ':', len) != NULL || memchr(host, '[', len) != NULL)
        return len;
    /* dots from the right: d1 before the TLD, d2 before the second-level label */
    size_t dots[3] = {0}, nd = 0;
    for (size_t i = len; i > 0 && nd < 3; i--)
        if (host[i - 1] == '.')
            dots[nd++] = i - 1;
    if (nd < 2)
        return len;
    size_t tld_len = len - dots[0] - 1;
    size_t sld_len = dots[0] - dots[1] - 1;
    const char *sld = host + dots[1] + 1;
    static const char *const second[] = {"co",  "com", "net", "org", "gov", "edu", "ac",
                                         "or",  "ne",  "go",  "gob", "mil", "nom", "sch",
                                         "ltd", "plc", "gen", "biz", "info"};
    bool cc_second = false;
    for (size_t i = 0; tld_len == 2 && i < sizeof second / sizeof second[0]; i++)
        if (strlen(second[i]) == sld_len && strncmp(sld, second[i], sld_len) == 0)
            cc_second = true;
    if (!cc_second) {
        *start = dots[1] + 1;
        return len - *start;
    }
    *start = nd >= 3 ? dots[2] + 1 : 0;
    return len - *start;
}

static void
collect_domains(const wp_report *r, char *out, size_t cap)
{
    const char *d[WAVE_DOMAINS_MAX];
    size_t dl[WAVE_DOMAINS_MAX], nd = 0;
    for (size_t i = 0; i < r->n_urls && i < 256 && nd < WAVE_DOMAINS_MAX; i++) {
        const char *h = r->urls[i].host;
        if (h == NULL || *h == '\0')
            continue;
        size_t st, n = wave_registrable_domain(h, strlen(h), &st);
        if (n == 0 || n > 63)
            continue;
        bool dup = false;
        for (size_t k = 0; k < nd && !dup; k++)
            dup = dl[k] == n && memcmp(d[k], h + st, n) == 0;
        if (dup)
            continue;
        /* insertion sort: the set reads the same whatever the link order */
        size_t k = nd++;
        while (k > 0) {
            size_t m = dl[k - 1] < n ? dl[k - 1] : n;
            int c = memcmp(d[k - 1], h + st, m);
            if (c < 0 || (c == 0 && dl[k - 1] < n))
                break;
            d[k] = d[k - 1];
            dl[k] = dl[k - 1];
            k--;
        }
        d[k] = h + st;
        dl[k] = n;
    }
    size_t o = 0;
    out[0] = '\0';
    for (size_t k = 0; k < nd; k++) {
        if (o + dl[k] + 2 > cap)
            break;
        if (k > 0)
            out[o++] = ',';
        memcpy(out + o, d[k], dl[k]);
        o += dl[k];
        out[o] = '\0';
    }
}

void
wave_sig_compute(const wp_scan *s, wave_sig *sig)
{
    const wp_report *r = s->r;
    memset(sig, 0, sizeof(*sig));
    wave_names nm = {.n = 0};
    if (r->to != NULL)
        wave_names_add_text(&nm, r->to, strlen(r->to));
    for (size_t i = 0; s->env != NULL && i < s->env->n_rcpt && i < 4; i++)
        if (s->env->rcpt[i] != NULL)
            wave_names_add_text(&nm, s->env->rcpt[i], strlen(s->env->rcpt[i]));
    if (r->subject != NULL)
        sig->subject_words = wave_subject_normalize(r->subject, strlen(r->subject), &nm,
                                                    sig->subject, sizeof sig->subject);
    uint64_t sh = wave_body_simhash(s->body, s->body_len, &nm, &sig->body_words);
    collect_domains(r, sig->domains, sizeof sig->domains);
    if (sig->body_words >= WAVE_BODY_MIN_WORDS) {
        sig->kind = WAVE_KEY_BODY;
        sig->key = sh;
    } else if (sig->subject_words >= 2 && strlen(sig->subject) >= 10) {
        sig->kind = WAVE_KEY_SUBJECT;
        sig->key = wave_hash_bytes(sig->subject, strlen(sig->subject));
    }
}
