/*
 * test_json.c - wp_report_to_json(): one line of valid JSON (parsed back with jansson, which
 * also rejects invalid UTF-8), schema "1.1", every array present, values equal to the report
 * they came from, and still valid for hostile input (control characters, invalid UTF-8,
 * quotes, bidi controls in subject, filenames and source).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wpt.h"

/* Serialise, check it is one line, parse strictly; returns the parsed root. */
static json_t *
to_json(const wp_report *r)
{
    char *s = NULL;
    assert_int_equal(wp_report_to_json(r, &s), WP_OK);
    assert_non_null(s);
    assert_null(strchr(s, '\n'));
    assert_true(s[0] == '{');
    json_error_t err;
    json_t *root = json_loads(s, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL)
        fail_msg("invalid JSON (%s at line %d col %d pos %d): %.300s", err.text, err.line,
                 err.column, err.position, s + (err.position > 40 ? err.position - 40 : 0));
    free(s);
    assert_true(json_is_object(root));
    return root;
}

static const char *
jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL)
        return NULL;
    if (!json_is_string(v))
        fail_msg("'%s' is not a string", k);
    return json_string_value(v);
}

static json_t *
jarr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL || !json_is_array(v))
        fail_msg("'%s' is missing or not an array", k);
    return v;
}

static void
assert_jstr_eq(json_t *o, const char *k, const char *want)
{
    const char *got = jstr(o, k);
    if (want == NULL) {
        if (got != NULL)
            fail_msg("'%s' present (\"%s\") but NULL in the report", k, got);
        return;
    }
    if (got == NULL)
        fail_msg("'%s' missing, report has \"%s\"", k, want);
    assert_string_equal(got, want);
}

/* The shape every report has, and agreement with the C structure. */
static void
check_shape(json_t *root, const wp_report *r)
{
    assert_jstr_eq(root, "schema", "1.1");
    assert_jstr_eq(root, "source", r->source);
    assert_true(json_is_integer(json_object_get(root, "size")));
    assert_int_equal(json_integer_value(json_object_get(root, "size")), r->size);
    assert_true(json_is_boolean(json_object_get(root, "parsed")));
    assert_int_equal(json_is_true(json_object_get(root, "parsed")), r->parsed);
    assert_true(json_is_number(json_object_get(root, "scan_ms")));
    assert_true(json_number_value(json_object_get(root, "scan_ms")) >= 0);

    json_t *h = json_object_get(root, "headers");
    assert_true(json_is_object(h));
    assert_jstr_eq(h, "from", r->from);
    assert_jstr_eq(h, "to", r->to);
    assert_jstr_eq(h, "subject", r->subject);
    assert_jstr_eq(h, "message_id", r->message_id);
    assert_jstr_eq(h, "date", r->date);
    assert_int_equal(json_array_size(jarr(h, "received")), r->n_received);
    assert_int_equal(json_array_size(jarr(h, "authentication_results")),
                     r->n_authentication_results);
    for (size_t i = 0; i < r->n_received; i++)
        assert_string_equal(json_string_value(json_array_get(jarr(h, "received"), i)),
                            r->received[i]);

    json_t *parts = jarr(root, "parts");
    assert_int_equal(json_array_size(parts), r->n_parts);
    for (size_t i = 0; i < r->n_parts; i++) {
        json_t *p = json_array_get(parts, i);
        assert_jstr_eq(p, "id", r->parts[i].id);
        assert_jstr_eq(p, "parent", r->parts[i].parent);
        assert_jstr_eq(p, "content_type", r->parts[i].content_type);
        assert_jstr_eq(p, "filename", r->parts[i].filename);
        assert_int_equal(json_is_true(json_object_get(p, "container")), r->parts[i].is_container);
        assert_int_equal(json_integer_value(json_object_get(p, "depth")), r->parts[i].depth);
    }

    json_t *objs = jarr(root, "objects");
    assert_int_equal(json_array_size(objs), r->n_objects);
    for (size_t i = 0; i < r->n_objects; i++) {
        json_t *o = json_array_get(objs, i);
        const wp_object *b = &r->objects[i];
        assert_jstr_eq(o, "where", b->where);
        assert_jstr_eq(o, "name", b->name);
        assert_jstr_eq(o, "kind", b->kind);
        assert_jstr_eq(o, "true_type", b->true_type);
        assert_int_equal(json_integer_value(json_object_get(o, "size")), b->size);
        assert_int_equal(json_is_true(json_object_get(o, "attachment")), b->is_attachment);
        if (b->has_hashes) {
            assert_jstr_eq(o, "sha256", b->hashes.sha256);
            assert_jstr_eq(o, "md5", b->hashes.md5);
            assert_jstr_eq(o, "sha1", b->hashes.sha1);
        } else {
            assert_null(json_object_get(o, "sha256"));
        }
    }

    json_t *urls = jarr(root, "urls");
    assert_int_equal(json_array_size(urls), r->n_urls);
    for (size_t i = 0; i < r->n_urls; i++) {
        json_t *u = json_array_get(urls, i);
        assert_jstr_eq(u, "url", r->urls[i].url);
        assert_jstr_eq(u, "host", r->urls[i].host);
        assert_jstr_eq(u, "text", r->urls[i].text);
        assert_jstr_eq(u, "source", r->urls[i].source);
        assert_jstr_eq(u, "where", r->urls[i].where);
    }

    jarr(root, "yara");

    json_t *fs = jarr(root, "findings");
    assert_int_equal(json_array_size(fs), r->n_findings);
    for (size_t i = 0; i < r->n_findings; i++) {
        json_t *f = json_array_get(fs, i);
        assert_true(json_is_object(f));
        assert_jstr_eq(f, "code", r->findings[i].code);
        assert_jstr_eq(f, "category", wp_category_name(r->findings[i].category));
        assert_true(json_is_integer(json_object_get(f, "weight")));
        assert_int_equal(json_integer_value(json_object_get(f, "weight")), r->findings[i].weight);
        assert_jstr_eq(f, "evidence", r->findings[i].evidence);
        assert_jstr_eq(f, "where", r->findings[i].where);
    }
    assert_true(json_is_integer(json_object_get(root, "weight")));
    assert_int_equal(json_integer_value(json_object_get(root, "weight")), wp_report_weight(r));

    json_t *body = json_object_get(root, "body");
    assert_true(json_is_object(body));
    assert_int_equal(json_integer_value(json_object_get(body, "text_bytes")), r->text_bytes);
    assert_jstr_eq(body, "excerpt", r->text_excerpt);
}

static void
test_json_fixtures(void **state)
{
    (void)state;
    static const char *const files[] = {"eicar_nested.eml",  "html_links.eml",    "rlo_name.eml",
                                        "js_pdf.eml",        "not_mail.bin",      "broken_mime.eml",
                                        "tnef.eml",          "encrypted_zip.eml", "clean.eml",
                                        "rfc822_nested.eml", "latin1_body.eml",   NULL};
    for (size_t i = 0; files[i] != NULL; i++) {
        wp_report *r = wpt_scan_fixture(wpt_shared(), files[i]);
        assert_int_equal(wp_report_set_source(r, files[i]), WP_OK);
        json_t *root = to_json(r);
        check_shape(root, r);
        assert_jstr_eq(root, "source", files[i]);
        json_decref(root);
        wp_report_free(r);
    }
}

static void
test_json_finding_fields(void **state)
{
    (void)state;
    wp_report *r = wpt_scan_fixture(wpt_shared(), "eicar_nested.eml");
    json_t *root = to_json(r);
    check_shape(root, r);
    json_t *fs = jarr(root, "findings");
    bool seen = false;
    for (size_t i = 0; i < json_array_size(fs); i++) {
        json_t *f = json_array_get(fs, i);
        if (strcmp(jstr(f, "code"), "YARA_MATCH") != 0)
            continue;
        seen = true;
        assert_jstr_eq(f, "category", "malware");
        assert_int_equal(json_integer_value(json_object_get(f, "weight")), 10);
        assert_jstr_eq(f, "where", "2/docs.zip/inner.zip/eicar.com");
        assert_str_contains(jstr(f, "evidence"), "EICAR_Test_File");
    }
    assert_true(seen);
    /* the YARA match row: rule, namespace, tags, meta from the rule */
    json_t *y = jarr(root, "yara");
    assert_int_equal(json_array_size(y), 1);
    json_t *m = json_array_get(y, 0);
    assert_jstr_eq(m, "rule", "EICAR_Test_File");
    assert_jstr_eq(m, "where", "2/docs.zip/inner.zip/eicar.com");
    json_t *tags = jarr(m, "tags");
    assert_int_equal(json_array_size(tags), 1);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "test");
    json_t *meta = json_object_get(m, "meta");
    assert_true(json_is_object(meta));
    assert_int_equal(json_integer_value(json_object_get(meta, "weight")), 10);
    assert_string_equal(json_string_value(json_object_get(meta, "description")),
                        "EICAR anti-malware test file");
    /* the member object carries its hashes */
    json_t *objs = jarr(root, "objects");
    bool found = false;
    for (size_t i = 0; i < json_array_size(objs); i++) {
        json_t *o = json_array_get(objs, i);
        if (strcmp(jstr(o, "where"), "2/docs.zip/inner.zip/eicar.com") == 0) {
            found = true;
            assert_jstr_eq(o, "sha256",
                           "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
            assert_int_equal(json_integer_value(json_object_get(o, "depth")), 2);
        }
    }
    assert_true(found);
    assert_true(json_integer_value(json_object_get(root, "weight")) >= 10);
    json_decref(root);
    wp_report_free(r);
}

/* no control characters survive in any decoded string of the document */
static void
assert_no_controls(json_t *v)
{
    if (json_is_string(v)) {
        const unsigned char *p = (const unsigned char *)json_string_value(v);
        for (size_t i = 0; i < json_string_length(v); i++)
            if (p[i] < 0x20 || p[i] == 0x7F)
                fail_msg("control 0x%02x in JSON string \"%s\"", p[i], (const char *)p);
        /* no raw bidi override either: U+202E is E2 80 AE */
        if (strstr((const char *)p, "\xE2\x80\xAE") != NULL)
            fail_msg("raw U+202E in JSON string");
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) assert_no_controls(x);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) assert_no_controls(x);
    }
}

static void
test_json_hostile(void **state)
{
    (void)state;
    /* raw control characters, invalid UTF-8, quotes and backslashes in headers and names */
    const char *pe_b64 = "TVoAAA==\n";
    wpt_buf b = {0};
    wpt_buf_printf(
        &b,
        "From: \"Evil\\\" \x01Name\" <evil@x.example>\n"
        "To: b@y.example\n"
        "Subject: ctl\x01\x02\x1b[2J \"quoted\" back\\slash \xff\xfe\xc3 bad \xe2\x80\xae rlo\n"
        "Subject: =?UTF-8?B?4oCuZXhlLnBkZgEC?=\n"
        "Date: Mon, 01 Jan 2024 12:00:00 +0000\n"
        "Message-ID: <hostile@x>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"H\"\n\n"
        "--H\nContent-Type: text/html; charset=utf-8\n\n"
        "<a href=\"http://x.example/\x01\x7f\xff\">t\x02xt \xe2\x80\xae</a>&#1;&#x202E;&#0;\n"
        "--H\nContent-Type: application/octet-stream; name=\"a\x01\xff\\\"b.exe\"\n"
        "Content-Disposition: attachment; filename=\"a\x01\xff\\\"b.exe\"\n"
        "Content-Transfer-Encoding: base64\n\n%s"
        "--H\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename*=UTF-8''evil%%01%%FF%%E2%%80%%AEfdp.exe\n"
        "Content-Transfer-Encoding: base64\n\n%s"
        "--H--\n",
        pe_b64, pe_b64);
    wp_report *r = wpt_scan(wpt_shared(), b.p, b.n);
    wpt_buf_free(&b);
    assert_true(r->parsed);
    assert_non_null(r->subject);
    assert_int_equal(wp_report_set_source(r, "dir/\x01we\xffird\"name\\.eml"), WP_OK);
    json_t *root = to_json(r);
    check_shape(root, r);
    assert_no_controls(root);
    /* the hostile names were seen, escaped, not dropped */
    assert_true(json_array_size(jarr(root, "objects")) >= 3);
    assert_str_contains(jstr(json_object_get(root, "headers"), "subject"), "quoted");
    assert_str_contains(jstr(root, "source"), "[U+0001]");
    bool rlo = false;
    json_t *fs = jarr(root, "findings");
    for (size_t i = 0; i < json_array_size(fs); i++)
        rlo = rlo || strcmp(jstr(json_array_get(fs, i), "code"), "ATTACH_RLO_NAME") == 0;
    assert_true(rlo);
    json_decref(root);
    wp_report_free(r);
}

/* A message that trips many findings and limits still serialises. */
static void
test_json_many_findings(void **state)
{
    (void)state;
    wpt_buf b = {0};
    wpt_std_headers(&b, "many");
    wpt_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"M\"\n\n");
    for (int i = 0; i < 40; i++)
        wpt_buf_printf(&b,
                       "--M\nContent-Type: application/pdf\n"
                       "Content-Disposition: attachment; filename=\"doc%d.pdf.scr\"\n\nMZ\n",
                       i);
    wpt_buf_printf(&b, "--M--\n");
    wp_report *r = wpt_scan(wpt_shared(), b.p, b.n);
    wpt_buf_free(&b);
    assert_true(r->n_findings >= 80);
    json_t *root = to_json(r);
    check_shape(root, r);
    json_decref(root);
    wp_report_free(r);
}

/* BUG (yara_scan.c on_match + json.c): the YARA meta object is built as raw JSON text in a
 * 1 KiB buffer, cut byte-wise, and json.c copies it into the output unescaped. A rule whose
 * description is long and non-ASCII is cut inside a UTF-8 sequence and the report line is
 * no longer valid JSON (jansson: "unable to decode byte"). */
static void
bug_json_yara_meta_utf8_cut(void **state)
{
    (void)state;
    char dir[] = "/tmp/wpt_metaXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[300];
    snprintf(path, sizeof path, "%s/long_meta.yar", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("rule Long_Meta\n{\n    meta:\n        description = \"", f);
    for (int i = 0; i < 600; i++)
        fputs("\xC3\xA9", f); /* é */
    fputs("\"\n        weight = 3\n    strings:\n        $a = \"TRIGGER_LONG_META\"\n"
          "    condition:\n        $a\n}\n",
          f);
    fclose(f);
    wp_engine_config cfg;
    wp_engine_config_init(&cfg);
    const char *paths[] = {path};
    cfg.rule_paths = paths;
    cfg.n_rule_paths = 1;
    wp_engine *e = NULL;
    char err[512] = "";
    assert_int_equal(wp_engine_new(&cfg, &e, err, sizeof err), WP_OK);
    remove(path);
    rmdir(dir);
    wp_scanner *sc = NULL;
    assert_int_equal(wp_scanner_new(e, &sc), WP_OK);
    const char *msg = "From: a@x.example\nSubject: t\n\nTRIGGER_LONG_META\n";
    wp_report *r = NULL;
    assert_int_equal(wp_scan_message(sc, (const uint8_t *)msg, strlen(msg), &r), WP_OK);
    wp_scanner_free(sc);
    wp_engine_free(e);
    assert_non_null(wpt_find(r, "YARA_MATCH", NULL));
    char *s = NULL;
    assert_int_equal(wp_report_to_json(r, &s), WP_OK);
    wp_report_free(r);
    json_error_t jerr;
    json_t *root = json_loads(s, 0, &jerr);
    free(s);
    if (root == NULL)
        fail_msg("report JSON invalid: %s", jerr.text);
    json_decref(root);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_fixtures),
        cmocka_unit_test(test_json_finding_fields),
        cmocka_unit_test(test_json_hostile),
        cmocka_unit_test(test_json_many_findings),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(bug_json_yara_meta_utf8_cut),
    };
    return WPT_MAIN("json", tests, bugs, wpt_group_setup_rules, wpt_group_teardown);
}
