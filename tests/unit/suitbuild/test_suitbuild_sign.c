/*
 * Signing with the SUIT builder: several signers at build time, signatures
 * added to existing envelopes (unsigned, signed, published), the checks
 * made before signing, and streamed payload digests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "suitbuild_test.h"
#include "teepkit/cbor.h"
#include "teepkit/suit_build.h"
#include "tk_test.h"

#define ENVELOPE_MAX 2048

struct keys {
    tk_key p256;
    tk_key ed25519;
};

static struct keys keys;

static int setup_keys(void **state)
{
    const tk_crypto *crypto = tk_crypto_openssl();

    (void)state;
    tk_key_init(&keys.p256);
    tk_key_init(&keys.ed25519);
    if (crypto->key_generate(crypto->ctx, TK_CRV_P256, &keys.p256) != TK_OK ||
        crypto->key_generate(crypto->ctx, TK_CRV_ED25519, &keys.ed25519) !=
            TK_OK)
        return -1;
    return 0;
}

static int teardown_keys(void **state)
{
    (void)state;
    tk_key_release(&keys.p256);
    tk_key_release(&keys.ed25519);
    return 0;
}

/* Builds a one-component manifest with an install sequence into out. */
static size_t build(const tk_suit_build_signer *signers, size_t count,
                    uint8_t *out)
{
    static const tk_view segment = {(const uint8_t *)"app", 3};
    static const tk_suit_build_component_id component = {&segment, 1};
    tk_suit_build_command install[2] = {
        tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_FETCH, 2),
        tk_suit_build_cmd_policy(TK_SUIT_BUILD_COND_IMAGE_MATCH, 15),
    };
    tk_suit_build_manifest manifest = {0};
    tk_suit_build_envelope envelope = {0};
    size_t len;

    manifest.sequence_number = 7;
    manifest.components = &component;
    manifest.component_count = 1;
    manifest.install = (tk_suit_build_sequence){install, 2};
    envelope.manifest = &manifest;
    assert_int_equal(tk_suit_build_encode_envelope(&envelope,
                                                   tk_crypto_openssl(),
                                                   signers, count, out,
                                                   ENVELOPE_MAX, &len, NULL),
                     TK_OK);
    return len;
}

/* Returns the unprotected header map of authentication block i. */
static tk_view unprotected_of(tk_view envelope, size_t i)
{
    tk_view auth, content, block, unprotected;
    tk_cbor_dec dec;

    assert_true(suitbuild_map_get(envelope, 2, &auth));
    assert_true(suitbuild_bstr_content(auth, &content));
    tk_cbor_dec_init(&dec, content.ptr, content.len, 0);
    tk_cbor_dec_enter_array(&dec, NULL);
    for (size_t k = 0; k <= i + 1; k++)
        assert_int_equal(tk_cbor_dec_get_bstr(&dec, &block), TK_OK);
    tk_cbor_dec_init(&dec, block.ptr, block.len, 0);
    tk_cbor_dec_expect_tag(&dec, 18);
    tk_cbor_dec_enter_array(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    assert_int_equal(tk_cbor_dec_skip(&dec, &unprotected), TK_OK);
    return unprotected;
}

static void two_signers_both_verify(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signers[2] = {
        {TK_ALG_ES256, &keys.p256, {NULL, 0}},
        {TK_ALG_ED25519, &keys.ed25519, TK_VIEW_STR("ed-key")},
    };
    uint8_t out[ENVELOPE_MAX];
    tk_view env = {out, build(signers, 2, out)};
    tk_view unprotected, kid;

    assert_int_equal(suitbuild_block_count(env), 2);
    assert_int_equal(suitbuild_check_signature(crypto, env, 0, &keys.p256),
                     TK_ALG_ES256);
    assert_int_equal(suitbuild_check_signature(crypto, env, 1,
                                               &keys.ed25519),
                     TK_ALG_ED25519);
    /* A signature never verifies with the other signer's key. */
    assert_int_equal(suitbuild_check_signature(crypto, env, 1, &keys.p256),
                     0);
    unprotected = unprotected_of(env, 0);
    assert_int_equal(unprotected.len, 1);
    assert_int_equal(unprotected.ptr[0], 0xa0);
    unprotected = unprotected_of(env, 1);
    assert_true(suitbuild_map_get(unprotected, 4, &kid));
    assert_memory_equal(kid.ptr, "\x46" "ed-key", 7);
}

static void esp256_and_eddsa_ids(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signers[2] = {
        {TK_ALG_ESP256, &keys.p256, {NULL, 0}},
        {TK_ALG_EDDSA, &keys.ed25519, {NULL, 0}},
    };
    uint8_t out[ENVELOPE_MAX];
    tk_view env = {out, build(signers, 2, out)};

    assert_int_equal(suitbuild_check_signature(crypto, env, 0, &keys.p256),
                     TK_ALG_ESP256);
    assert_int_equal(suitbuild_check_signature(crypto, env, 1,
                                               &keys.ed25519),
                     TK_ALG_EDDSA);
}

/* Signing an unsigned envelope keeps its manifest and adds one block. */
static void sign_unsigned_envelope(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signer = {TK_ALG_ES256, &keys.p256, {NULL, 0}};
    uint8_t in[ENVELOPE_MAX], out[ENVELOPE_MAX];
    size_t in_len = build(NULL, 0, in), out_len;
    tk_view m_in, m_out;

    assert_int_equal(suitbuild_block_count((tk_view){in, in_len}), 0);
    assert_int_equal(tk_suit_build_sign(crypto, (tk_view){in, in_len},
                                        &signer, 1, out, sizeof(out),
                                        &out_len, NULL),
                     TK_OK);
    assert_int_equal(suitbuild_block_count((tk_view){out, out_len}), 1);
    assert_int_equal(suitbuild_check_signature(crypto, (tk_view){out, out_len},
                                               0, &keys.p256),
                     TK_ALG_ES256);
    assert_true(suitbuild_map_get((tk_view){in, in_len}, 3, &m_in));
    assert_true(suitbuild_map_get((tk_view){out, out_len}, 3, &m_out));
    assert_int_equal(m_in.len, m_out.len);
    assert_memory_equal(m_in.ptr, m_out.ptr, m_in.len);
    assert_int_equal(out[0], 0xd8);
    assert_int_equal(out[1], 107);
}

/* A second signer is appended after the first block, which stays as it
 * was: here over the published example 0 and its ES256 signature. */
static void countersign_published_example(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signer = {TK_ALG_ED25519, &keys.ed25519, {NULL, 0}};
    size_t in_len, out_len;
    uint8_t *in = tk_test_read_hex(
        tk_test_vector("suitbuild/manifest/example0.hex"), &in_len);
    uint8_t out[ENVELOPE_MAX];
    tk_key example;

    suitbuild_load_key(crypto, "suitbuild/manifest/example-es256-public-key.pem",
                       &example);
    assert_int_equal(tk_suit_build_sign(crypto, (tk_view){in, in_len},
                                        &signer, 1, out, sizeof(out),
                                        &out_len, NULL),
                     TK_OK);
    assert_int_equal(suitbuild_block_count((tk_view){out, out_len}), 2);
    assert_int_equal(suitbuild_check_signature(crypto, (tk_view){out, out_len},
                                               0, &example),
                     TK_ALG_ES256);
    assert_int_equal(suitbuild_check_signature(crypto, (tk_view){out, out_len},
                                               1, &keys.ed25519),
                     TK_ALG_ED25519);
    tk_key_release(&example);
    free(in);
}

/* An untagged envelope stays untagged; one without an authentication
 * wrapper gets one. */
static void sign_untagged_without_wrapper(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signer = {TK_ALG_ES256, &keys.p256, {NULL, 0}};
    uint8_t in[ENVELOPE_MAX], out[ENVELOPE_MAX], bare[ENVELOPE_MAX];
    size_t in_len = build(NULL, 0, in), out_len, bare_len;
    tk_view manifest;
    tk_cbor_enc enc;

    /* {3: manifest}, untagged. */
    assert_true(suitbuild_map_get((tk_view){in, in_len}, 3, &manifest));
    tk_cbor_enc_init(&enc, bare, sizeof(bare), 0);
    tk_cbor_enc_put_map(&enc, 1);
    tk_cbor_enc_put_uint(&enc, 3);
    tk_cbor_enc_put_raw(&enc, manifest.ptr, manifest.len);
    assert_int_equal(tk_cbor_enc_finish(&enc, &bare_len), TK_OK);

    assert_int_equal(tk_suit_build_sign(crypto, (tk_view){bare, bare_len},
                                        &signer, 1, out, sizeof(out),
                                        &out_len, NULL),
                     TK_OK);
    assert_int_equal(out[0], 0xa2);
    assert_int_equal(suitbuild_check_signature(crypto, (tk_view){out, out_len},
                                               0, &keys.p256),
                     TK_ALG_ES256);
}

/* The signer checks the digest before signing: a changed manifest is not
 * signed. */
static void sign_rejects_changed_manifest(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signer = {TK_ALG_ES256, &keys.p256, {NULL, 0}};
    uint8_t in[ENVELOPE_MAX], out[ENVELOPE_MAX];
    size_t in_len = build(NULL, 0, in), out_len = 99;
    tk_view manifest;

    assert_true(suitbuild_map_get((tk_view){in, in_len}, 3, &manifest));
    /* The sequence number 7 follows "a4 01 01 02" (a one-byte bstr head:
     * the manifest is short). */
    assert_int_equal(manifest.ptr[5], 0x07);
    in[manifest.ptr + 5 - in] = 0x06;
    assert_int_equal(tk_suit_build_sign(crypto, (tk_view){in, in_len},
                                        &signer, 1, out, sizeof(out),
                                        &out_len, NULL),
                     TK_ERR_SUIT_BUILD_DIGEST_MISMATCH);
    assert_int_equal(out_len, 0);
}

static void sign_rejects_malformed_envelopes(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signer = {TK_ALG_ES256, &keys.p256, {NULL, 0}};
    uint8_t out[ENVELOPE_MAX];
    size_t out_len, off = 0;
    static const struct {
        const char *hex;
        tk_err err;
    } cases[] = {
        {"", TK_ERR_SUIT_BUILD_BAD_ENVELOPE},            /* empty */
        {"a0", TK_ERR_SUIT_BUILD_BAD_ENVELOPE},          /* no manifest */
        {"a10301", TK_ERR_SUIT_BUILD_BAD_ENVELOPE},      /* manifest int */
        {"d86aa0", TK_ERR_SUIT_BUILD_BAD_ENVELOPE},      /* tag 106 */
        {"a2034100034100", TK_ERR_SUIT_BUILD_BAD_ENVELOPE}, /* key twice */
        {"a20341000241", TK_ERR_SUIT_BUILD_BAD_ENVELOPE},   /* truncated */
        {"a2f6410003410000", TK_ERR_SUIT_BUILD_BAD_ENVELOPE}, /* null key */
        {"a203410002420102", TK_ERR_SUIT_BUILD_BAD_ENVELOPE}, /* bad auth */
        /* A wrapper whose digest uses SHAKE128. */
        {"a20341000246814482314100", TK_ERR_SUIT_BUILD_BAD_DIGEST},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t in[64];
        size_t n = tk_test_hex_decode(cases[i].hex, in, sizeof(in));

        assert_int_equal(tk_suit_build_sign(crypto, (tk_view){in, n},
                                            &signer, 1, out, sizeof(out),
                                            &out_len, &off),
                         cases[i].err);
    }
}

static void sign_respects_signer_limit(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signers[TK_SUIT_BUILD_MAX_SIGNERS];
    uint8_t in[ENVELOPE_MAX], out[ENVELOPE_MAX];
    size_t in_len, out_len;

    for (size_t i = 0; i < TK_SUIT_BUILD_MAX_SIGNERS; i++)
        signers[i] = (tk_suit_build_signer){TK_ALG_ED25519, &keys.ed25519,
                                            {NULL, 0}};
    in_len = build(signers, TK_SUIT_BUILD_MAX_SIGNERS, in);
    assert_int_equal(tk_suit_build_sign(crypto, (tk_view){in, in_len},
                                        signers, 1, out, sizeof(out),
                                        &out_len, NULL),
                     TK_ERR_LIMIT);
    assert_int_equal(tk_suit_build_sign(crypto, (tk_view){in, in_len},
                                        signers, 0, out, sizeof(out),
                                        &out_len, NULL),
                     TK_OK);
    assert_int_equal(out_len, in_len);
    assert_memory_equal(out, in, in_len);
}

static void sign_buffer_too_small(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_signer signer = {TK_ALG_ES256, &keys.p256, {NULL, 0}};
    uint8_t in[ENVELOPE_MAX], out[64];
    size_t in_len = build(NULL, 0, in), out_len;

    assert_int_equal(tk_suit_build_sign(crypto, (tk_view){in, in_len},
                                        &signer, 1, out, sizeof(out),
                                        &out_len, NULL),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_true(out_len > sizeof(out));
}

/* A digest streamed in uneven chunks equals the one-shot digest. */
static void payload_digest_streams(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    uint8_t data[1000], expected[32];
    size_t expected_len;
    tk_view part = {data, sizeof(data)};
    tk_suit_build_payload payload;
    tk_suit_build_digest digest;
    uint64_t size;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    assert_int_equal(crypto->hash(crypto->ctx, TK_ALG_SHA256, &part, 1,
                                  expected, sizeof(expected), &expected_len),
                     TK_OK);
    assert_int_equal(tk_suit_build_payload_start(&payload, crypto,
                                                 TK_ALG_NONE),
                     TK_OK);
    tk_suit_build_payload_update(&payload, data, 1);
    tk_suit_build_payload_update(&payload, data + 1, 0);
    tk_suit_build_payload_update(&payload, data + 1, 600);
    tk_suit_build_payload_update(&payload, data + 601, 399);
    assert_int_equal(tk_suit_build_payload_finish(&payload, &digest, &size),
                     TK_OK);
    assert_int_equal(size, 1000);
    assert_int_equal(digest.alg, TK_ALG_SHA256);
    assert_int_equal(digest.len, 32);
    assert_memory_equal(digest.bytes, expected, 32);
    /* A finished stream takes no more data. */
    assert_int_equal(tk_suit_build_payload_update(&payload, data, 1),
                     TK_ERR_STATE);
}

static void payload_digest_errors(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_payload payload;
    tk_suit_build_digest digest;
    uint64_t size = 5;

    assert_int_equal(tk_suit_build_payload_start(&payload, crypto,
                                                 TK_ALG_ES256),
                     TK_ERR_SUIT_BUILD_BAD_DIGEST);
    assert_int_equal(tk_suit_build_payload_start(&payload, crypto,
                                                 TK_ALG_SHA512),
                     TK_OK);
    assert_int_equal(tk_suit_build_payload_update(&payload, NULL, 3),
                     TK_ERR_INVALID_ARG);
    /* The first error stays. */
    assert_int_equal(tk_suit_build_payload_finish(&payload, &digest, &size),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(size, 0);
    assert_int_equal(digest.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_signers_both_verify),
        cmocka_unit_test(esp256_and_eddsa_ids),
        cmocka_unit_test(sign_unsigned_envelope),
        cmocka_unit_test(countersign_published_example),
        cmocka_unit_test(sign_untagged_without_wrapper),
        cmocka_unit_test(sign_rejects_changed_manifest),
        cmocka_unit_test(sign_rejects_malformed_envelopes),
        cmocka_unit_test(sign_respects_signer_limit),
        cmocka_unit_test(sign_buffer_too_small),
        cmocka_unit_test(payload_digest_streams),
        cmocka_unit_test(payload_digest_errors),
    };
    return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
