/*
 * fuzz_message.c - the whole public path: wp_scan_message() on raw bytes, then
 * wp_report_set_source() and wp_report_to_json(), as the CLI does for every message.
 *
 * Input: one raw RFC 5322 message (or anything else: non-mail input is analysed as a raw
 * object, so this target reaches the content analyzers too).
 *
 * Beyond the report invariants of fuzz_common.h, the JSON text (written by watchpost's own
 * writer) must parse with jansson and hold as many parts, objects, URLs and findings as the
 * report does.
 */
#include <jansson.h>

#include "fuzz_common.h"

static void
check_array_len(json_t *root, const char *key, size_t want, const char *json)
{
    json_t *a = json_object_get(root, key);
    if (!json_is_array(a) || json_array_size(a) != want) {
        fprintf(stderr,
                "watchpost-fuzz: INVARIANT JSON \"%s\" has %zu entries, the report %zu: %.2000s\n",
                key, json_is_array(a) ? json_array_size(a) : (size_t)0, want, json);
        abort();
    }
}

static void
check_json(const wp_report *r, const char *json)
{
    if (fz_check_level() == FZ_CHECK_NONE)
        return;
    json_error_t err;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL || !json_is_object(root)) {
        fprintf(stderr,
                "watchpost-fuzz: INVARIANT wp_report_to_json output is not a JSON object "
                "(line %d col %d pos %d: %s): %.2000s\n",
                err.line, err.column, err.position, err.text, json);
        abort();
    }
    check_array_len(root, "parts", r->n_parts, json);
    check_array_len(root, "objects", r->n_objects, json);
    check_array_len(root, "urls", r->n_urls, json);
    check_array_len(root, "findings", r->n_findings, json);
    json_decref(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_scanner *sc = fz_scanner(1);
    static wp_limits lim;
    static int lim_ready;
    if (!lim_ready) {
        fz_limits(&lim);
        lim_ready = 1;
    }
    wp_report *r = NULL;
    wp_status st = wp_scan_message(sc, data, size, &r);
    if (st != WP_OK) {
        /* only an exhausted environment may fail a scan; hostile input must not */
        if (st == WP_ENOMEM)
            return 0;
        fprintf(stderr, "watchpost-fuzz: INVARIANT wp_scan_message returned %d\n", (int)st);
        abort();
    }
    if (r->size != size)
        fz_die("INVARIANT report size differs from input size", NULL);
    if (wp_report_set_source(r, "fuzz:input") != WP_OK) {
        wp_report_free(r);
        return 0;
    }
    fz_check_report(r, &lim);
    char *json = NULL;
    if (wp_report_to_json(r, &json) == WP_OK) {
        if (json == NULL)
            fz_die("INVARIANT wp_report_to_json returned WP_OK and no text", NULL);
        check_json(r, json);
        free(json);
    }
    wp_report_free(r);
    return 0;
}
