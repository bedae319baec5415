/*
 * The examples of draft-ietf-suit-manifest-37 appendix B, built from their
 * JSON descriptions (the component form of tk_suitspec) and compared with
 * the published envelopes: byte for byte where the example is
 * reproducible, and member by member in any case. Signatures made with the
 * example key verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suitbuild_test.h"
#include "suitspec.h"
#include "teepkit/cbor.h"
#include "teepkit/suit_build.h"
#include "tk_test.h"

#define ENVELOPE_MAX 4096

/* Builds example n into out, signed with key when it is not NULL. */
static size_t build_example(int n, const tk_key *key, bool omit_severed,
                            uint8_t *out)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    char path[64], msg[512];
    tk_suitspec *spec;
    tk_suit_build_envelope env;
    tk_suit_build_signer signer = {TK_ALG_ES256, key, {NULL, 0}};
    size_t len = 0;
    tk_err err;

    snprintf(path, sizeof(path), "suitbuild/manifest/example%d.json", n);
    err = tk_suitspec_load(tk_test_vector(path), crypto, &spec, msg,
                           sizeof(msg));
    if (err != TK_OK)
        fprintf(stderr, "example%d.json: %s\n", n, msg);
    assert_int_equal(err, TK_OK);
    env = *tk_suitspec_envelope(spec);
    env.omit_severed = omit_severed;
    err = tk_suit_build_encode_envelope(&env, crypto, &signer,
                                        key != NULL ? 1 : 0, out,
                                        ENVELOPE_MAX, &len, NULL);
    assert_int_equal(err, TK_OK);
    tk_suitspec_free(spec);
    return len;
}

static uint8_t *read_example(int n, const char *suffix, size_t *len)
{
    char path[64];

    snprintf(path, sizeof(path), "suitbuild/manifest/example%d%s", n,
             suffix);
    return tk_test_read_hex(tk_test_vector(path), len);
}

/* Returns the content of the manifest bstr of an envelope. */
static tk_view manifest_of(tk_view envelope)
{
    tk_view wrapped, content;

    assert_true(suitbuild_map_get(envelope, 3, &wrapped));
    assert_true(suitbuild_bstr_content(wrapped, &content));
    return content;
}

/*
 * Compares the manifests of two envelopes member by member, and each
 * member item by item; the member skip (0 for none) is left out.
 */
static void assert_same_manifest(tk_view expected_env, tk_view actual_env,
                                 int64_t skip)
{
    tk_view expected = manifest_of(expected_env);
    tk_view actual = manifest_of(actual_env);
    static const int64_t members[] = {1, 2, 3, 4, 5, 6, 7, 8, 9,
                                      15, 16, 18, 20, 23, 24};
    char why[160];

    assert_int_equal(suitbuild_map_size(actual),
                     suitbuild_map_size(expected));
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        tk_view e, a;
        bool has_e = suitbuild_map_get(expected, members[i], &e);
        bool has_a = suitbuild_map_get(actual, members[i], &a);

        if (members[i] == skip)
            continue;
        assert_int_equal(has_a, has_e);
        if (!has_e)
            continue;
        if (!suitbuild_cbor_equal(e, a, why, sizeof(why)))
            fail_msg("manifest member %lld: %s", (long long)members[i], why);
    }
}

/* Examples 0, 1, 3, 4 and 5 come out byte for byte as published. */
static void examples_are_byte_identical(void **state)
{
    (void)state;
    static const int reproducible[] = {0, 1, 3, 4, 5};
    uint8_t out[ENVELOPE_MAX];

    for (size_t i = 0; i < 5; i++) {
        int n = reproducible[i];
        size_t expected_len;
        uint8_t *expected = read_example(n, "-unsigned.hex", &expected_len);
        size_t len = build_example(n, NULL, false, out);

        assert_int_equal(len, expected_len);
        assert_memory_equal(out, expected, len);
        free(expected);
    }
}

/* Every example's manifest matches the signed published envelope's. */
static void examples_match_published_manifests(void **state)
{
    (void)state;
    uint8_t out[ENVELOPE_MAX];

    for (int n = 0; n <= 5; n++) {
        size_t expected_len;
        uint8_t *expected = read_example(n, ".hex", &expected_len);
        size_t len = build_example(n, NULL, true, out);

        /* Example 2's text digest differs (see example2_text below). */
        assert_same_manifest((tk_view){expected, expected_len},
                             (tk_view){out, len}, n == 2 ? 23 : 0);
        free(expected);
    }
}

/*
 * Example 2's JSON gives four text fields for its component, but the
 * published text carries only vendor-domain (3) and component-description
 * (5): the builder keeps model-info (4) and component-version (6) too, so
 * the text member and its digest differ from the published ones and
 * nothing else does.
 */
static void example2_text_keeps_every_field(void **state)
{
    (void)state;
    uint8_t out[ENVELOPE_MAX];
    size_t expected_len;
    uint8_t *expected = read_example(2, ".hex", &expected_len);
    size_t len = build_example(2, NULL, false, out);
    tk_view text_e, text_a, map_e, map_a, lang_e, lang_a, comp_e, comp_a;
    tk_cbor_dec dec;
    char why[160];

    assert_true(suitbuild_map_get((tk_view){expected, expected_len}, 23,
                                  &text_e));
    assert_true(suitbuild_map_get((tk_view){out, len}, 23, &text_a));
    assert_true(suitbuild_bstr_content(text_e, &map_e));
    assert_true(suitbuild_bstr_content(text_a, &map_a));

    /* {"en-US": {1: description, [h'00']: {...}}} */
    tk_cbor_dec_init(&dec, map_e.ptr, map_e.len, 0);
    tk_cbor_dec_enter_map(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    assert_int_equal(tk_cbor_dec_skip(&dec, &lang_e), TK_OK);
    tk_cbor_dec_init(&dec, map_a.ptr, map_a.len, 0);
    tk_cbor_dec_enter_map(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    assert_int_equal(tk_cbor_dec_skip(&dec, &lang_a), TK_OK);

    tk_view desc_e, desc_a;
    assert_true(suitbuild_map_get(lang_e, 1, &desc_e));
    assert_true(suitbuild_map_get(lang_a, 1, &desc_a));
    assert_true(suitbuild_cbor_equal(desc_e, desc_a, why, sizeof(why)));

    /* The component map is the second entry of the language map. */
    tk_cbor_dec_init(&dec, lang_e.ptr, lang_e.len, 0);
    tk_cbor_dec_enter_map(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    assert_int_equal(tk_cbor_dec_skip(&dec, &comp_e), TK_OK);
    tk_cbor_dec_init(&dec, lang_a.ptr, lang_a.len, 0);
    tk_cbor_dec_enter_map(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    assert_int_equal(tk_cbor_dec_skip(&dec, &comp_a), TK_OK);

    assert_int_equal(suitbuild_map_size(comp_e), 2);
    assert_int_equal(suitbuild_map_size(comp_a), 4);
    for (int64_t key = 3; key <= 5; key += 2) {
        tk_view e, a;

        assert_true(suitbuild_map_get(comp_e, key, &e));
        assert_true(suitbuild_map_get(comp_a, key, &a));
        assert_true(suitbuild_cbor_equal(e, a, why, sizeof(why)));
    }
    tk_view model, version;
    assert_true(suitbuild_map_get(comp_a, 4, &model));
    assert_true(suitbuild_map_get(comp_a, 6, &version));
    assert_memory_equal(model.ptr, "\x64suit", 5);
    assert_memory_equal(version.ptr, "\x66v1.0.1", 7);
    free(expected);
}

/* With the severable members left out, example 2 has the structure of the
 * published severed envelope. */
static void example2_severed_matches(void **state)
{
    (void)state;
    uint8_t out[ENVELOPE_MAX];
    size_t expected_len;
    uint8_t *expected = read_example(2, "-signed-severed.hex", &expected_len);
    size_t len = build_example(2, NULL, true, out);
    tk_view unused;

    assert_int_equal(suitbuild_map_size((tk_view){out, len}), 2);
    assert_false(suitbuild_map_get((tk_view){out, len}, 20, &unused));
    assert_false(suitbuild_map_get((tk_view){out, len}, 23, &unused));
    assert_same_manifest((tk_view){expected, expected_len},
                         (tk_view){out, len}, 23);
    free(expected);
}

/* Signed with the example key, every example verifies, and its manifest
 * digest is the published one where the manifest is byte-identical. */
static void examples_signed_verify(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_key priv, pub;
    uint8_t out[ENVELOPE_MAX];

    suitbuild_load_key(crypto, "suitbuild/manifest/example-es256-private-key.pem",
                       &priv);
    suitbuild_load_key(crypto, "suitbuild/manifest/example-es256-public-key.pem",
                       &pub);
    for (int n = 0; n <= 5; n++) {
        size_t expected_len;
        uint8_t *expected = read_example(n, ".hex", &expected_len);
        size_t len = build_example(n, &priv, false, out);
        tk_view env = {out, len};
        tk_view published = {expected, expected_len};
        tk_view auth_a, auth_e;

        assert_int_equal(suitbuild_block_count(env), 1);
        assert_int_equal(suitbuild_check_signature(crypto, env, 0, &pub),
                         TK_ALG_ES256);
        /* The helper accepts the published signature too. */
        assert_int_equal(suitbuild_check_signature(crypto, published, 0,
                                                   &pub),
                         TK_ALG_ES256);
        if (n != 2) {
            /* Same manifest, same digest: the wrappers differ only in the
             * ECDSA signature, which is randomized. */
            assert_true(suitbuild_map_get(env, 2, &auth_a));
            assert_true(suitbuild_map_get(published, 2, &auth_e));
            assert_int_equal(auth_a.len, auth_e.len);
            assert_memory_equal(auth_a.ptr, auth_e.ptr, 2 + 1 + 38);
        }
        free(expected);
    }
    tk_key_release(&priv);
    tk_key_release(&pub);
}

/* Builds a trust-domains description unsigned into out. */
static size_t build_trust_domains(const char *name, uint8_t *out)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    char path[96], msg[512];
    tk_suitspec *spec;
    size_t len = 0;
    tk_err err;

    snprintf(path, sizeof(path), "suitbuild/trust-domains/%s.json", name);
    err = tk_suitspec_load(tk_test_vector(path), crypto, &spec, msg,
                           sizeof(msg));
    if (err != TK_OK)
        fprintf(stderr, "%s.json: %s\n", name, msg);
    assert_int_equal(err, TK_OK);
    assert_int_equal(tk_suit_build_encode_envelope(tk_suitspec_envelope(spec),
                                                   crypto, NULL, 0, out,
                                                   ENVELOPE_MAX, &len, NULL),
                     TK_OK);
    tk_suitspec_free(spec);
    return len;
}

/*
 * The examples of draft-ietf-suit-trust-domains-11 appendix B, described
 * in the teepkit form: the manifests (with dependencies past the component
 * list, manifest component ids, dependency resolution and process
 * dependency) come out byte for byte, and so does the integrated
 * dependency.
 */
static void trust_domain_examples_identical(void **state)
{
    (void)state;
    static const char *const names[] = {
        "example0_dependent", "example1_process", "example2_integrated",
    };
    uint8_t out[ENVELOPE_MAX];

    for (size_t i = 0; i < 3; i++) {
        char path[96];
        size_t expected_len, len = build_trust_domains(names[i], out);
        uint8_t *expected;
        tk_view m_e, m_a;

        snprintf(path, sizeof(path), "suitbuild/trust-domains/%s.hex",
                 names[i]);
        expected = tk_test_read_hex(tk_test_vector(path), &expected_len);
        assert_true(suitbuild_map_get((tk_view){expected, expected_len}, 3,
                                      &m_e));
        assert_true(suitbuild_map_get((tk_view){out, len}, 3, &m_a));
        assert_int_equal(m_a.len, m_e.len);
        assert_memory_equal(m_a.ptr, m_e.ptr, m_e.len);
        if (i == 2) {
            /* From the manifest on, the whole envelope is identical: the
             * manifest, then the "#dependent.suit" entry. */
            size_t tail_e = expected_len - (size_t)(m_e.ptr - expected);
            size_t tail_a = len - (size_t)(m_a.ptr - out);

            assert_int_equal(tail_a, tail_e);
            assert_memory_equal(m_a.ptr, m_e.ptr, tail_e);
        }
        free(expected);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trust_domain_examples_identical),
        cmocka_unit_test(examples_are_byte_identical),
        cmocka_unit_test(examples_match_published_manifests),
        cmocka_unit_test(example2_text_keeps_every_field),
        cmocka_unit_test(example2_severed_matches),
        cmocka_unit_test(examples_signed_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
