/*
 * fuzz_auth.c - the auth module's handling of hostile header text, with no network:
 *
 *   1. auth_ar_parse() on the input as an Authentication-Results value;
 *   2. trust mode (authserv-id mx.example.org) on a hand-built scan whose only A-R header is
 *      the input, so the findings and their evidence go through the report invariants;
 *   3. auth_dkim_verify() on a message whose DKIM-Signature value is the input, with a DNS
 *      session that is already dead: libopendkim's signature parsing, dkim_sig_syntax() and
 *      the raw header splitter run, key lookups fail at once (temperror), nothing is sent.
 *
 * Input: header value bytes (an embedded NUL ends the value, as in a parsed header).
 */
#include "fuzz_internal.h"

#include "auth/auth_int.h"

static void *dkim_lib;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *v = malloc(size + 1);
    if (v == NULL)
        return 0;
    memcpy(v, data, size);
    v[size] = '\0';
    size_t len = strlen(v);

    auth_ar ar;
    const char *why;
    auth_ar_parse(v, len, &ar, &why);
    auth_ar_free(&ar);

    static auth_state st;
    if (st.n_authserv_id == 0) {
        char err[128];
        st.mode = AUTH_MODE_TRUST;
        st.authserv_id[0] = "mx.example.org";
        st.n_authserv_id = 1;
        st.dns_timeout_ms = 1;
        if (!auth_resolver_parse("127.0.0.1:9", &st.resolver, err, sizeof err))
            fz_die("auth_resolver_parse", err);
        if ((dkim_lib = auth_dkim_lib_new()) == NULL)
            fz_die("auth_dkim_lib_new", NULL);
    }
    wp_scan s;
    if (fz_scan_begin(&s, fz_scanner(0), size)) {
        /* the mail walker hands analyzers sanitised values; so does this target */
        const char *ar_values[2] = {wp_arena_sanitize(s.a, v, len, len + 16),
                                    "mx.example.org; dkim=pass header.d=example.com"};
        s.r->parsed = true;
        s.r->from = "Chief <ceo@example.com>";
        s.r->authentication_results = ar_values;
        s.r->n_authentication_results = ar_values[0] != NULL ? 2 : 0;
        auth_trust_analyze(&s, &st);
        s.r->authentication_results = NULL;
        s.r->n_authentication_results = 0;
        fz_scan_end(&s);
    }

    static const char head[] = "DKIM-Signature: ";
    static const char tail[] = "\r\nFrom: ceo@example.com\r\nSubject: x\r\n\r\nbody\r\n";
    size_t mlen = sizeof head - 1 + len + sizeof tail - 1;
    char *msg = malloc(mlen);
    if (msg != NULL) {
        memcpy(msg, head, sizeof head - 1);
        memcpy(msg + sizeof head - 1, v, len);
        memcpy(msg + sizeof head - 1 + len, tail, sizeof tail - 1);
        auth_dns dns;
        auth_dns_init(&dns, &st.resolver, 1);
        dns.dead = true; /* no network: every lookup is a temperror */
        auth_dkim_result res;
        auth_dkim_verify(dkim_lib, &dns, (const uint8_t *)msg, mlen, &res);
        for (size_t i = 0; i < res.n_sig; i++)
            if (res.sig[i].result == AUTH_R_PASS)
                fz_die("INVARIANT DKIM pass without a key", v);
        free(msg);
    }
    free(v);
    return 0;
}
