/*
 * JSON manifest descriptions (apps/suitdev/suitspec.c): the teepkit form
 * builds the manifest it describes, payload files give digests and sizes,
 * and every kind of fault is reported with its JSON path.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suitbuild_test.h"
#include "suitspec.h"
#include "teepkit/cbor.h"
#include "teepkit/suit_build.h"

static char folder[] = "/tmp/tk-suitspec-XXXXXX";
static char payload_path[64];

static int setup(void **state)
{
    FILE *f;

    (void)state;
    if (mkdtemp(folder) == NULL)
        return -1;
    snprintf(payload_path, sizeof(payload_path), "%s/app.bin", folder);
    f = fopen(payload_path, "wb");
    if (f == NULL || fwrite("abc", 1, 3, f) != 3 || fclose(f) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(payload_path);
    rmdir(folder);
    return 0;
}

/* Parses json; on success builds the unsigned envelope into out. Returns
 * the parse or build error, with the message in msg. */
static tk_err build_json(const char *json, uint8_t *out, size_t *len,
                         char *msg, size_t msg_size)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suitspec *spec;
    tk_err err = tk_suitspec_parse(json, strlen(json), folder, crypto, &spec,
                                   msg, msg_size);

    if (err != TK_OK)
        return err;
    err = tk_suit_build_encode_envelope(tk_suitspec_envelope(spec), crypto,
                                        NULL, 0, out, 4096, len, NULL);
    tk_suitspec_free(spec);
    return err;
}

/* Returns true when needle occurs in hay. */
static bool contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle,
                     size_t needle_len)
{
    for (size_t i = 0; i + needle_len <= hay_len; i++) {
        if (memcmp(hay + i, needle, needle_len) == 0)
            return true;
    }
    return false;
}

/* Returns the content of manifest member label of envelope env. */
static tk_view member(tk_view env, int64_t label)
{
    tk_view wrapped, manifest, value = {NULL, 0};

    assert_true(suitbuild_map_get(env, 3, &wrapped));
    assert_true(suitbuild_bstr_content(wrapped, &manifest));
    suitbuild_map_get(manifest, label, &value);
    return value;
}

static void teepkit_form_builds(void **state)
{
    (void)state;
    static const char json[] =
        "{\"manifest-sequence-number\": 9,"
        " \"components\": [[\"TEEP-Device\", {\"hex\": \"00ff\"}]],"
        " \"reference-uri\": \"https://example.com/m.suit\","
        " \"shared-sequence\": ["
        "   {\"directive-override-parameters\": {"
        "     \"vendor-id\": \"fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe\","
        "     \"image-digest\": {\"file\": \"app.bin\"},"
        "     \"image-size\": {\"file\": \"app.bin\"}}},"
        "   {\"condition-vendor-identifier\": 15}],"
        " \"install\": ["
        "   {\"directive-set-component-index\": true},"
        "   {\"directive-try-each\": [[{\"condition-abort\": 0}],"
        "                            [{\"directive-fetch\": 2}], null]},"
        "   {\"custom\": {\"label\": -3, \"value\": \"x\"}}],"
        " \"text\": {\"en\": {\"manifest-description\": \"demo\"}},"
        " \"sever\": true}";
    /* SHA-256("abc") */
    static const uint8_t abc_digest[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    uint8_t out[4096];
    size_t len;
    char msg[256];
    tk_view env, seq, install, text, unused;

    assert_int_equal(build_json(json, out, &len, msg, sizeof(msg)), TK_OK);
    env = (tk_view){out, len};
    seq = member(env, 2);
    assert_int_equal(seq.len, 1);
    assert_int_equal(seq.ptr[0], 9);
    assert_memory_equal(member(env, 4).ptr, "\x78\x1a" "https://", 10);
    /* The digest of app.bin is in the shared sequence. */
    assert_true(contains(out, len, abc_digest, 32));
    /* "sever": true severs install and text: digests in the manifest,
     * bstrs in the envelope. */
    install = member(env, 20);
    text = member(env, 23);
    assert_int_equal(install.ptr[0], 0x82);
    assert_int_equal(text.ptr[0], 0x82);
    assert_true(suitbuild_map_get(env, 20, &unused));
    assert_true(suitbuild_map_get(env, 23, &unused));
    assert_false(suitbuild_map_get(env, 7, &unused));
}

static void install_sequence_encoding(void **state)
{
    (void)state;
    static const char json[] =
        "{\"manifest-sequence-number\": 1, \"components\": [[\"a\"], [\"b\"]],"
        " \"install\": ["
        "   {\"directive-set-component-index\": [0, 1]},"
        "   {\"directive-override-parameters\": {\"slot\": 1,"
        "     \"version\": {\"comparison\": \"greater-equal\","
        "                  \"value\": [1, 2]}, \"-7\": true}},"
        "   {\"directive-run-sequence\": [{\"condition-component-slot\": 5}]}"
        " ]}";
    /* [12, [0, 1], 20, {5: 1, 28: <<[2, [1, 2]]>>, -7: true},
     *  32, <<[5, 5]>>] */
    static const uint8_t expected[] = {
        0x86, 0x0c, 0x82, 0x00, 0x01, 0x14, 0xa3, 0x05, 0x01, 0x18, 0x1c,
        0x45, 0x82, 0x02, 0x82, 0x01, 0x02, 0x26, 0xf5, 0x18, 0x20, 0x43,
        0x82, 0x05, 0x05,
    };
    uint8_t out[4096];
    size_t len;
    char msg[256];
    tk_view install, content;

    assert_int_equal(build_json(json, out, &len, msg, sizeof(msg)), TK_OK);
    install = member((tk_view){out, len}, 20);
    assert_true(suitbuild_bstr_content(install, &content));
    assert_int_equal(content.len, sizeof(expected));
    assert_memory_equal(content.ptr, expected, sizeof(expected));
}

/* Each fault is reported with the JSON path that leads to it. */
static void faults_name_their_path(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        tk_err err;
        const char *message;
    } cases[] = {
        {"{\"components\": [[\"a\"]]}", TK_ERR_INVALID_ARG,
         "manifest-sequence-number: missing"},
        {"{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
         " \"install\": [{\"directive-fetch\": 2}, {\"directive-fetchh\": 2}]}",
         TK_ERR_INVALID_ARG, "install[1].directive-fetchh: unknown command"},
        {"{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
         " \"install\": [{\"directive-override-parameters\": {\"colour\": 1}}]}",
         TK_ERR_INVALID_ARG,
         "install[0].directive-override-parameters.colour: unknown parameter"},
        {"{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
         " \"install\": [{\"directive-override-parameters\":"
         " {\"vendor-id\": \"fa6b4a53\"}}]}",
         TK_ERR_INVALID_ARG, "is not a UUID"},
        {"{\"manifest-sequence-number\": 1, \"components\": [[{\"hex\": \"0\"}]]}",
         TK_ERR_INVALID_ARG, "components[0][0]: hex text"},
        {"{\"manifest-sequence-number\": -1, \"components\": [[\"a\"]]}",
         TK_ERR_INVALID_ARG, "expected an unsigned integer"},
        {"{\"manifest-sequence-number\": 1, \"manifest-sequence-number\": 2}",
         TK_ERR_INVALID_ARG, "duplicate"},
        {"{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
         " \"colour\": 1}",
         TK_ERR_INVALID_ARG, "colour: unknown member"},
        {"{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
         " \"install\": [{\"directive-override-parameters\":"
         " {\"image-digest\": {\"file\": \"missing.bin\"}}}]}",
         TK_ERR_NOT_FOUND, "missing.bin"},
        {"{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
         " \"install\": [{\"directive-fetch\": 2, \"directive-copy\": 2}]}",
         TK_ERR_INVALID_ARG, "one key"},
        {"{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
         " \"sever\": [\"validate\"]}",
         TK_ERR_INVALID_ARG, "sever: only"},
        {"{\"manifest-sequence-number\": 1, \"components\": [{\"bootable\": 1}]}",
         TK_ERR_INVALID_ARG, "components[0]: unknown field \"bootable\"|"
                             "components[0]: install-id is missing"},
        {"{\"manifest-sequence-number\": 1, \"components\": ["
         " {\"install-id\": [\"00\"], \"slot\": 0},"
         " {\"install-id\": [\"00\"], \"slot\": 0}]}",
         TK_ERR_INVALID_ARG, "components[1]: another image of this "
                             "install-id already uses slot 0"},
        {"[1, 2]", TK_ERR_INVALID_ARG, "expected a JSON object"},
        {"{", TK_ERR_INVALID_ARG, "line 1"},
    };
    const tk_crypto *crypto = tk_crypto_openssl();

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_suitspec *spec = NULL;
        char msg[512];
        tk_err err = tk_suitspec_parse(cases[i].json, strlen(cases[i].json),
                                       folder, crypto, &spec, msg,
                                       sizeof(msg));
        const char *alt = strchr(cases[i].message, '|');
        bool found;

        assert_int_equal(err, cases[i].err);
        assert_null(spec);
        if (alt == NULL) {
            found = strstr(msg, cases[i].message) != NULL;
        } else {
            char first[128];

            snprintf(first, sizeof(first), "%.*s",
                     (int)(alt - cases[i].message), cases[i].message);
            found = strstr(msg, first) != NULL || strstr(msg, alt + 1);
        }
        if (!found)
            fail_msg("case %zu: message '%s' lacks '%s'", i, msg,
                     cases[i].message);
    }
}

/* A description can be valid JSON and still break a rule of the manifest
 * format: the builder then rejects it. */
static void builder_rules_still_apply(void **state)
{
    (void)state;
    static const char json[] =
        "{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
        " \"install\": [{\"directive-set-component-index\": 3}]}";
    uint8_t out[4096];
    size_t len;
    char msg[256];

    assert_int_equal(build_json(json, out, &len, msg, sizeof(msg)),
                     TK_ERR_SUIT_BUILD_BAD_INDEX);
}

static void integrated_payloads(void **state)
{
    (void)state;
    static const char json[] =
        "{\"manifest-sequence-number\": 1, \"components\": [[\"a\"]],"
        " \"install\": [{\"directive-override-parameters\":"
        "                 {\"uri\": \"#app\"}}, {\"directive-fetch\": 2}],"
        " \"integrated-payloads\": {\"#app\": {\"file\": \"app.bin\"}}}";
    uint8_t out[4096];
    size_t len;
    char msg[256];
    tk_cbor_dec dec;
    tk_view value;

    assert_int_equal(build_json(json, out, &len, msg, sizeof(msg)), TK_OK);
    assert_int_equal(suitbuild_map_size((tk_view){out, len}), 3);
    /* The text key sorts after the integer keys. */
    tk_cbor_dec_init(&dec, out, len, 0);
    tk_cbor_dec_get_tag(&dec, NULL);
    tk_cbor_dec_enter_map(&dec, NULL);
    for (int i = 0; i < 4; i++)
        tk_cbor_dec_skip(&dec, NULL);
    assert_int_equal(tk_cbor_dec_get_tstr(&dec, &value), TK_OK);
    assert_memory_equal(value.ptr, "#app", 4);
    assert_int_equal(tk_cbor_dec_get_bstr(&dec, &value), TK_OK);
    assert_int_equal(value.len, 3);
    assert_memory_equal(value.ptr, "abc", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(teepkit_form_builds),
        cmocka_unit_test(install_sequence_encoding),
        cmocka_unit_test(faults_name_their_path),
        cmocka_unit_test(builder_rules_still_apply),
        cmocka_unit_test(integrated_payloads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
