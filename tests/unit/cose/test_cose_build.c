/*
 * Builders and verifiers together: every structure and algorithm made by
 * teepkit verifies or decrypts again, detached forms, several signers and
 * recipients, wrong keys, buffer sizes, the prepare calls with the SUIT
 * encryption examples, and COSE_Key with its RFC 9679 thumbprint.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cose_test.h"
#include "tk_test.h"

static const uint8_t content[] = "This is the content.";
#define CONTENT ((tk_view){content, sizeof(content) - 1})

typedef struct keys {
    tk_key p256;
    tk_key p256b;
    tk_key hmac;
    tk_key aes128;
    tk_key aes256;
} keys;

static int setup(void **state)
{
    keys *k = calloc(1, sizeof(*k));
    const tk_crypto *c = cose_test_crypto();

    cose_test_p256_key(&k->p256, true);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &k->p256b), TK_OK);
    cose_test_sym_key(&k->hmac, 32, 0x5a);
    cose_test_sym_key(&k->aes128, 16, 0x33);
    cose_test_sym_key(&k->aes256, 32, 0x44);
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    keys *k = *state;

    tk_key_release(&k->p256);
    tk_key_release(&k->p256b);
    tk_key_release(&k->hmac);
    tk_key_release(&k->aes128);
    tk_key_release(&k->aes256);
    free(k);
    return 0;
}

static tk_cose_opts opts_with(const tk_key *key)
{
    tk_cose_opts o;

    memset(&o, 0, sizeof(o));
    o.key = key;
    o.signature_index = TK_COSE_ANY_SIGNATURE;
    return o;
}

/* ---------------------------------------------------------------------- */
/* Signatures                                                             */
/* ---------------------------------------------------------------------- */

static void test_sign1_roundtrip(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    static const uint8_t aad[] = {1, 2, 3};
    tk_cose_build b;
    tk_cose_opts o = opts_with(&k->p256);
    tk_cose_sign1 out;
    uint8_t msg[256];
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_ES256;
    b.key = &k->p256;
    b.kid = TK_VIEW_STR("11");
    b.flags = TK_COSE_BUILD_CONTENT_TYPE;
    b.content_type = 60;
    b.external_aad = (tk_view){aad, sizeof(aad)};
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_OK);
    /* 18([<<{1: -7, 3: 60}>>, {4: '11'}, payload, sig]) */
    assert_memory_equal(msg, "\xd2\x84\x46\xa2\x01\x26\x03\x18\x3c\xa1\x04",
                        11);
    o.external_aad = (tk_view){aad, sizeof(aad)};
    assert_int_equal(tk_cose_sign1_verify(c, (tk_view){msg, len}, &o, &out),
                     TK_OK);
    assert_true((out.hdr.present & TK_COSE_HAS_CONTENT_TYPE) != 0);
    assert_int_equal(out.hdr.content_type, 60);
    /* Without the external AAD the signature fails. */
    o.external_aad = (tk_view){NULL, 0};
    assert_int_equal(tk_cose_sign1_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_ERR_COSE_SIGNATURE_INVALID);
    /* The other key does not verify it. */
    o = opts_with(&k->p256b);
    o.external_aad = (tk_view){aad, sizeof(aad)};
    assert_int_equal(tk_cose_sign1_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_ERR_COSE_SIGNATURE_INVALID);
}

static void test_sign1_detached_untagged(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    tk_cose_build b;
    tk_cose_opts o = opts_with(&k->p256);
    tk_view detached = CONTENT;
    tk_cose_sign1 out;
    uint8_t msg[256];
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_ESP256;
    b.key = &k->p256;
    b.kid = TK_VIEW_STR("kid");
    b.flags = TK_COSE_BUILD_DETACHED | TK_COSE_BUILD_UNTAGGED |
              TK_COSE_BUILD_KID_PROTECTED;
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_OK);
    assert_int_equal(msg[0], 0x84);
    o.flags = TK_COSE_OPT_UNTAGGED_OK;
    o.detached = &detached;
    assert_int_equal(tk_cose_sign1_verify(c, (tk_view){msg, len}, &o, &out),
                     TK_OK);
    assert_true(out.detached);
    assert_true((out.hdr.in_protected & TK_COSE_HAS_KID) != 0);
    assert_int_equal(out.hdr.alg, TK_ALG_ESP256);
}

static void test_sign1_buffer_sizes(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    tk_cose_build b;
    uint8_t msg[256];
    size_t needed = 0;
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_ES256;
    b.key = &k->p256;
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, NULL, 0, &needed),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msg, needed - 1,
                                        &len),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, needed);
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msg, needed, &len),
                     TK_OK);
    assert_int_equal(len, needed);
    /* Wrong algorithm classes and missing keys. */
    b.alg = TK_ALG_HMAC_256_256;
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_ERR_COSE_ALG_UNSUPPORTED);
    b.alg = TK_ALG_ES256;
    b.key = NULL;
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_ERR_INVALID_ARG);
    b.key = &k->hmac;
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_ERR_CRYPTO_KEY_MISMATCH);
}

static void test_eddsa_roundtrip(void **state)
{
    const tk_crypto *c = cose_test_crypto();
    tk_key ed;
    tk_cose_build b;
    tk_cose_opts o = opts_with(&ed);
    uint8_t msg[256];
    uint8_t big[600];
    uint8_t scratch[800];
    size_t len = 0;
    tk_err err;

    (void)state;
    tk_key_init(&ed);
    err = c->key_generate(c->ctx, TK_CRV_ED25519, &ed);
    if (cose_test_is_mbedtls()) {
        assert_int_equal(err, TK_ERR_CRYPTO_UNSUPPORTED_ALG);
        return;
    }
    assert_int_equal(err, TK_OK);
    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_EDDSA;
    b.key = &ed;
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_OK);
    assert_int_equal(tk_cose_sign1_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_OK);
    /* A payload too large for the stack structure needs scratch. */
    memset(big, 0x42, sizeof(big));
    b.alg = TK_ALG_ED25519;
    assert_int_equal(tk_cose_sign1_sign(c, &b, (tk_view){big, sizeof(big)},
                                        scratch, sizeof(scratch), &len),
                     TK_ERR_COSE_SCRATCH_TOO_SMALL);
    b.scratch = scratch;
    b.scratch_len = sizeof(scratch);
    {
        uint8_t out[800];

        assert_int_equal(tk_cose_sign1_sign(c, &b,
                                            (tk_view){big, sizeof(big)}, out,
                                            sizeof(out), &len),
                         TK_OK);
        assert_int_equal(tk_cose_sign1_verify(c, (tk_view){out, len}, &o,
                                              NULL),
                         TK_ERR_COSE_SCRATCH_TOO_SMALL);
        o.scratch = scratch;
        o.scratch_len = TK_COSE_TBS_SIZE(3, 0, 0, sizeof(big));
        assert_int_equal(tk_cose_sign1_verify(c, (tk_view){out, len}, &o,
                                              NULL),
                         TK_OK);
    }
    tk_key_release(&ed);
}

/* Key lookup over two P-256 keys by kid. */
static tk_err two_key_lookup(void *arg, tk_view kid, tk_alg alg,
                             const tk_key **key)
{
    keys *k = arg;

    (void)alg;
    if (kid.len == 1 && kid.ptr[0] == 'a') {
        *key = &k->p256;
        return TK_OK;
    }
    if (kid.len == 1 && kid.ptr[0] == 'b') {
        *key = &k->p256b;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static void test_sign_several_signers(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    tk_cose_signer signers[2] = {
        {TK_ALG_ES256, &k->p256, TK_VIEW_STR("a")},
        {TK_ALG_ESP256, &k->p256b, TK_VIEW_STR("b")},
    };
    tk_cose_build b;
    tk_cose_opts o = opts_with(NULL);
    tk_cose_sign out;
    uint8_t msg[512];
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    b.signers = signers;
    b.signer_count = 2;
    assert_int_equal(tk_cose_sign_sign(c, &b, CONTENT, msg, sizeof(msg),
                                       &len),
                     TK_OK);
    o.lookup = two_key_lookup;
    o.lookup_arg = k;
    o.flags = TK_COSE_OPT_ALL_SIGNATURES;
    assert_int_equal(tk_cose_sign_verify(c, (tk_view){msg, len}, &o, &out),
                     TK_OK);
    assert_int_equal(out.signature_count, 2);
    assert_int_equal(out.verified, 3);

    /* One chosen signature. */
    o.flags = 0;
    o.signature_index = 1;
    assert_int_equal(tk_cose_sign_verify(c, (tk_view){msg, len}, &o, &out),
                     TK_OK);
    assert_int_equal(out.verified, 2);
    assert_int_equal(out.verified_index, 1);
    o.signature_index = 2;
    assert_int_equal(tk_cose_sign_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_ERR_COSE_NO_SIGNATURE);

    /* Any: only the second key is known, so the first is skipped. */
    o.lookup = NULL;
    o.key = &k->p256b;
    o.signature_index = TK_COSE_ANY_SIGNATURE;
    assert_int_equal(tk_cose_sign_verify(c, (tk_view){msg, len}, &o, &out),
                     TK_OK);
    assert_int_equal(out.verified_index, 1);
    /* All, with one key for both: the first fails. */
    o.flags = TK_COSE_OPT_ALL_SIGNATURES;
    assert_int_equal(tk_cose_sign_verify(c, (tk_view){msg, len}, &o, &out),
                     TK_ERR_COSE_SIGNATURE_INVALID);
    assert_int_equal(out.verified, 0);
    /* Too many signers to build. */
    b.signer_count = TK_COSE_MAX_SIGNATURES + 1;
    assert_int_equal(tk_cose_sign_sign(c, &b, CONTENT, msg, sizeof(msg),
                                       &len),
                     TK_ERR_COSE_TOO_MANY_SIGNATURES);
}

/* ---------------------------------------------------------------------- */
/* MAC                                                                    */
/* ---------------------------------------------------------------------- */

static void test_mac0_roundtrip(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    static const tk_alg algs[] = {TK_ALG_HMAC_256_64, TK_ALG_HMAC_256_256,
                                  TK_ALG_HMAC_384_384, TK_ALG_HMAC_512_512};
    tk_cose_build b;
    tk_cose_opts o = opts_with(&k->hmac);
    tk_cose_mac0 out;
    uint8_t msg[256];
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    b.key = &k->hmac;
    for (size_t i = 0; i < 4; i++) {
        b.alg = algs[i];
        assert_int_equal(tk_cose_mac0_create(c, &b, CONTENT, msg, sizeof(msg),
                                             &len),
                         TK_OK);
        assert_int_equal(tk_cose_mac0_verify(c, (tk_view){msg, len}, &o,
                                             &out),
                         TK_OK);
        assert_int_equal(out.tag.len, algs[i] == TK_ALG_HMAC_256_64
                                          ? 8
                                          : tk_crypto_hash_size(algs[i]));
        msg[len - 1] ^= 1;
        assert_int_equal(tk_cose_mac0_verify(c, (tk_view){msg, len}, &o,
                                             NULL),
                         TK_ERR_COSE_MAC_INVALID);
    }
}

static void test_mac_recipients(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    tk_cose_recipient_params rp[2] = {
        {.alg = TK_ALG_A256KW, .key = &k->aes256, .kid = TK_VIEW_STR("w")},
        {.alg = TK_COSE_ALG_ECDH_ES_A128KW, .key = &k->p256,
         .kid = TK_VIEW_STR("e")},
    };
    tk_cose_build b;
    tk_cose_opts o = opts_with(&k->p256);
    uint8_t msg[512];
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_HMAC_256_256;
    b.recipients = rp;
    b.recipient_count = 2;
    assert_int_equal(tk_cose_mac_create(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_OK);
    /* Either recipient's key opens it. */
    assert_int_equal(tk_cose_mac_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_OK);
    o.key = &k->aes256;
    assert_int_equal(tk_cose_mac_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_OK);
    o.key = &k->aes128;
    assert_int_equal(tk_cose_mac_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_ERR_COSE_NO_RECIPIENT);
    o.key = NULL;
    assert_int_equal(tk_cose_mac_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_ERR_COSE_KEY_NOT_FOUND);

    /* Direct: the key is the MAC key; a wrong one fails the tag. */
    rp[0] = (tk_cose_recipient_params){.alg = TK_COSE_ALG_DIRECT,
                                       .key = &k->hmac};
    b.recipient_count = 1;
    b.alg = TK_ALG_HMAC_256_64;
    assert_int_equal(tk_cose_mac_create(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_OK);
    o.key = &k->hmac;
    assert_int_equal(tk_cose_mac_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_OK);
    o.key = &k->aes256;
    assert_int_equal(tk_cose_mac_verify(c, (tk_view){msg, len}, &o, NULL),
                     TK_ERR_COSE_MAC_INVALID);
    /* A direct recipient cannot share the message with another. */
    b.recipient_count = 2;
    assert_int_equal(tk_cose_mac_create(c, &b, CONTENT, msg, sizeof(msg),
                                        &len),
                     TK_ERR_INVALID_ARG);
}

/* ---------------------------------------------------------------------- */
/* Encryption                                                             */
/* ---------------------------------------------------------------------- */

static void test_encrypt0_algorithms(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    static const struct {
        tk_alg alg;
        size_t key_len;
    } cases[] = {
        {TK_ALG_A128GCM, 16},           {TK_ALG_A192GCM, 24},
        {TK_ALG_A256GCM, 32},           {TK_ALG_CHACHA20_POLY1305, 32},
        {TK_ALG_A128CTR, 16},           {TK_ALG_A192CTR, 24},
        {TK_ALG_A256CTR, 32},
    };

    (void)k;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_key key;
        tk_cose_build b;
        tk_cose_opts o = opts_with(&key);
        tk_cose_encrypt0 out;
        uint8_t msg[256];
        uint8_t plain[64];
        size_t len = 0;
        size_t plain_len = 0;
        tk_err err;

        cose_test_sym_key(&key, cases[i].key_len, (uint8_t)(0x10 + i));
        memset(&b, 0, sizeof(b));
        b.alg = cases[i].alg;
        b.key = &key;
        b.kid = TK_VIEW_STR("k");
        err = tk_cose_encrypt0_encrypt(c, &b, CONTENT, msg, sizeof(msg),
                                       &len);
        if (err == TK_ERR_CRYPTO_UNSUPPORTED_ALG) {
            /* Only ChaCha20/Poly1305 may be missing from a backend. */
            assert_int_equal(cases[i].alg, TK_ALG_CHACHA20_POLY1305);
            continue;
        }
        assert_int_equal(err, TK_OK);
        assert_int_equal(tk_cose_encrypt0_decrypt(c, (tk_view){msg, len}, &o,
                                                  plain, sizeof(plain),
                                                  &plain_len, &out),
                         TK_OK);
        assert_int_equal(plain_len, CONTENT.len);
        assert_memory_equal(plain, content, plain_len);
        if (cases[i].alg >= TK_ALG_A128CTR && cases[i].alg <= TK_ALG_A256CTR) {
            /* AES-CTR: empty protected header, alg unprotected. */
            assert_int_equal(out.hdr.protected_bytes.len, 0);
            assert_int_equal(out.hdr.iv.len, 16);
        } else {
            assert_true((out.hdr.in_protected & TK_COSE_HAS_ALG) != 0);
            /* A changed ciphertext fails the tag. */
            msg[len - 1] ^= 1;
            assert_int_equal(tk_cose_encrypt0_decrypt(
                                 c, (tk_view){msg, len}, &o, plain,
                                 sizeof(plain), &plain_len, NULL),
                             TK_ERR_COSE_DECRYPT_FAILED);
        }
        tk_key_release(&key);
    }
}

static void test_encrypt0_sizes_and_aad(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    static const uint8_t aad[] = {9, 9};
    static const uint8_t iv[12] = {1};
    tk_cose_build b;
    tk_cose_opts o = opts_with(&k->aes128);
    uint8_t msg[256];
    uint8_t plain[64];
    size_t len = 0;
    size_t plain_len = 0;

    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_A128GCM;
    b.key = &k->aes128;
    b.iv = (tk_view){iv, sizeof(iv)};
    b.external_aad = (tk_view){aad, sizeof(aad)};
    assert_int_equal(tk_cose_encrypt0_encrypt(c, &b, CONTENT, msg, sizeof(msg),
                                              &len),
                     TK_OK);
    assert_int_equal(tk_cose_encrypt0_decrypt(c, (tk_view){msg, len}, &o,
                                              plain, sizeof(plain),
                                              &plain_len, NULL),
                     TK_ERR_COSE_DECRYPT_FAILED);
    o.external_aad = (tk_view){aad, sizeof(aad)};
    assert_int_equal(tk_cose_encrypt0_decrypt(c, (tk_view){msg, len}, &o,
                                              plain, 3, &plain_len, NULL),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(plain_len, CONTENT.len);
    assert_int_equal(tk_cose_encrypt0_decrypt(c, (tk_view){msg, len}, &o,
                                              plain, sizeof(plain),
                                              &plain_len, NULL),
                     TK_OK);
    /* AES-CTR cannot authenticate external AAD. */
    b.alg = TK_ALG_A128CTR;
    b.iv = (tk_view){NULL, 0};
    assert_int_equal(tk_cose_encrypt0_encrypt(c, &b, CONTENT, msg, sizeof(msg),
                                              &len),
                     TK_ERR_COSE_AAD_NOT_ALLOWED);
    b.external_aad = (tk_view){NULL, 0};
    b.iv = (tk_view){iv, sizeof(iv)};
    assert_int_equal(tk_cose_encrypt0_encrypt(c, &b, CONTENT, msg, sizeof(msg),
                                              &len),
                     TK_ERR_COSE_IV);
    /* The size that a too small buffer reports is exact. */
    b.alg = TK_ALG_A256GCM;
    b.key = &k->aes256;
    b.iv = (tk_view){NULL, 0};
    assert_int_equal(tk_cose_encrypt0_encrypt(c, &b, CONTENT, msg, 10, &len),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(tk_cose_encrypt0_encrypt(c, &b, CONTENT, msg, len, &len),
                     TK_OK);
}

/* Encrypts with one recipient of alg and decrypts with dec_key. */
static tk_err encrypt_roundtrip(tk_alg content_alg,
                                const tk_cose_recipient_params *rp,
                                size_t nrp, const tk_key *dec_key,
                                size_t *msg_len)
{
    const tk_crypto *c = cose_test_crypto();
    tk_cose_build b;
    tk_cose_opts o = opts_with(dec_key);
    uint8_t msg[1024];
    uint8_t plain[64];
    size_t len = 0;
    size_t plain_len = 0;
    tk_err err;

    memset(&b, 0, sizeof(b));
    b.alg = content_alg;
    b.recipients = rp;
    b.recipient_count = nrp;
    err = tk_cose_encrypt_encrypt(c, &b, CONTENT, msg, sizeof(msg), &len);
    if (err != TK_OK) {
        return err;
    }
    *msg_len = len;
    err = tk_cose_encrypt_decrypt(c, (tk_view){msg, len}, &o, plain,
                                  sizeof(plain), &plain_len, NULL);
    if (err == TK_OK) {
        assert_int_equal(plain_len, CONTENT.len);
        assert_memory_equal(plain, content, plain_len);
    }
    return err;
}

static void test_encrypt_recipients(void **state)
{
    keys *k = *state;
    tk_cose_recipient_params rp[2];
    size_t len;

    memset(rp, 0, sizeof(rp));
    rp[0] = (tk_cose_recipient_params){.alg = TK_COSE_ALG_DIRECT,
                                       .key = &k->aes128,
                                       .kid = TK_VIEW_STR("d")};
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, rp, 1, &k->aes128,
                                       &len),
                     TK_OK);
    /* A key of the wrong size for the content algorithm opens no
     * recipient; building with one is rejected outright. */
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, rp, 1, &k->hmac, &len),
                     TK_ERR_COSE_NO_RECIPIENT);
    assert_int_equal(encrypt_roundtrip(TK_ALG_A256GCM, rp, 1, &k->aes128,
                                       &len),
                     TK_ERR_COSE_KEY_MISMATCH);

    rp[0] = (tk_cose_recipient_params){.alg = TK_ALG_A128KW,
                                       .key = &k->aes128};
    assert_int_equal(encrypt_roundtrip(TK_ALG_A256GCM, rp, 1, &k->aes128,
                                       &len),
                     TK_OK);
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128CTR, rp, 1, &k->aes128,
                                       &len),
                     TK_OK);
    rp[0].alg = TK_ALG_A256KW;
    rp[0].key = &k->aes256;
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, rp, 1, &k->aes128,
                                       &len),
                     TK_ERR_COSE_NO_RECIPIENT);

    rp[0] = (tk_cose_recipient_params){.alg = TK_COSE_ALG_ECDH_ES_HKDF_256,
                                       .key = &k->p256,
                                       .salt = TK_VIEW_STR("salt")};
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, rp, 1, &k->p256, &len),
                     TK_OK);
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, rp, 1, &k->p256b,
                                       &len),
                     TK_ERR_COSE_DECRYPT_FAILED);

    rp[0].alg = TK_COSE_ALG_ECDH_ES_A256KW;
    rp[1] = (tk_cose_recipient_params){.alg = TK_ALG_A128KW,
                                       .key = &k->aes128};
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, rp, 2, &k->p256, &len),
                     TK_OK);
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, rp, 2, &k->aes128,
                                       &len),
                     TK_OK);
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, rp, 2, &k->p256b,
                                       &len),
                     TK_ERR_COSE_NO_RECIPIENT);
}

static void test_encrypt_x25519(void **state)
{
    const tk_crypto *c = cose_test_crypto();
    tk_cose_recipient_params rp;
    tk_key x;
    size_t len;
    tk_err err;

    (void)state;
    tk_key_init(&x);
    err = c->key_generate(c->ctx, TK_CRV_X25519, &x);
    if (err == TK_ERR_CRYPTO_UNSUPPORTED_ALG) {
        /* Only the Mbed TLS backend may lack X25519. */
        assert_true(cose_test_is_mbedtls());
        return;
    }
    assert_int_equal(err, TK_OK);
    memset(&rp, 0, sizeof(rp));
    rp.alg = TK_COSE_ALG_ECDH_ES_A128KW;
    rp.key = &x;
    assert_int_equal(encrypt_roundtrip(TK_ALG_CHACHA20_POLY1305, &rp, 1, &x,
                                       &len),
                     TK_OK);
    rp.alg = TK_COSE_ALG_ECDH_ES_HKDF_256;
    assert_int_equal(encrypt_roundtrip(TK_ALG_A128GCM, &rp, 1, &x, &len),
                     TK_OK);
    tk_key_release(&x);
}

/* ---------------------------------------------------------------------- */
/* Prepare calls and the SUIT encryption examples                         */
/* ---------------------------------------------------------------------- */

static const char suit_plain[] = "This is a real firmware image.";

/* Reads one file of the SUIT encryption examples. */
static uint8_t *suit_file(const char *name, size_t *len)
{
    char path[128];

    snprintf(path, sizeof(path), "cose/suit-encryption/%s", name);
    return tk_test_read_hex(tk_test_vector(path), len);
}

/* Decrypts a detached payload with the streaming cipher, as a SUIT
 * processor does, from what tk_cose_decrypt_prepare returned. */
static void stream_decrypt(const tk_cose_content_key *ck, tk_view ct,
                           uint8_t *plain, size_t *plain_len)
{
    const tk_crypto *c = cose_test_crypto();
    tk_crypto_cipher_state st;
    bool ctr = ck->alg >= TK_ALG_A128CTR && ck->alg <= TK_ALG_A256CTR;
    size_t body = ctr ? ct.len : ct.len - TK_CRYPTO_AEAD_TAG_SIZE;

    memset(&st, 0, sizeof(st));
    assert_int_equal(c->cipher_start(c->ctx, &st, ck->alg, &ck->cek,
                                     (tk_view){ck->iv, ck->iv_len}, ck->aad,
                                     TK_CRYPTO_DECRYPT),
                     TK_OK);
    /* Two chunks, to stream for real. */
    assert_int_equal(c->cipher_update(c->ctx, &st, ct.ptr, 7, plain), TK_OK);
    assert_int_equal(c->cipher_update(c->ctx, &st, ct.ptr + 7, body - 7,
                                      plain + 7),
                     TK_OK);
    assert_int_equal(c->cipher_finish(c->ctx, &st,
                                      ctr ? (tk_view){NULL, 0}
                                          : (tk_view){ct.ptr + body,
                                                      TK_CRYPTO_AEAD_TAG_SIZE},
                                      NULL, 0),
                     TK_OK);
    *plain_len = body;
}

static const uint8_t kek_bytes[16] = "aaaaaaaaaaaaaaaa";

/* Imports the P-256 recipient key of the ECDH-ES examples. */
static void suit_ecdh_key(tk_key *key)
{
    static const char x[] =
        "5886CD61DD875862E5AAA820E7A15274C968A9BC96048DDCACE32F50C3651BA3";
    static const char y[] =
        "9EED8125E932CD60C0EAD3650D0A485CF726D378D1B016ED4298B2961E258F1B";
    static const char d[] =
        "60FE6DD6D85D5740A5349B6F91267EEAC5BA81B8CB53EE249E4B4EB102C476B3";
    uint8_t xb[32];
    uint8_t yb[32];
    uint8_t db[32];
    tk_key_params p;

    memset(&p, 0, sizeof(p));
    p.kty = TK_KTY_EC2;
    p.crv = TK_CRV_P256;
    p.x = (tk_view){xb, tk_test_hex_decode(x, xb, 32)};
    p.y = (tk_view){yb, tk_test_hex_decode(y, yb, 32)};
    p.d = (tk_view){db, tk_test_hex_decode(d, db, 32)};
    tk_key_init(key);
    assert_int_equal(cose_test_crypto()->key_import(cose_test_crypto()->ctx,
                                                    &p, key),
                     TK_OK);
}

static void test_suit_encryption_examples(void **state)
{
    static const struct {
        const char *info;
        const char *payload;
        bool ecdh;
        tk_alg alg;
    } cases[] = {
        {"suit-encryption-info-aes-kw-aes-gcm.hex",
         "encrypted-payload-aes-kw-aes-gcm.hex", false, TK_ALG_A128GCM},
        {"suit-encryption-info-aes-kw-aes-ctr.hex",
         "encrypted-payload-aes-kw-aes-ctr.hex", false, TK_ALG_A128CTR},
        {"suit-encryption-info-es-ecdh-aes-gcm.hex",
         "encrypted-payload-es-ecdh-aes-gcm.hex", true, TK_ALG_A128GCM},
        {"suit-encryption-info-es-ecdh-aes-ctr.hex",
         "encrypted-payload-es-ecdh-aes-ctr.hex", true, TK_ALG_A128CTR},
    };
    tk_key kek;
    tk_key ecdh;

    (void)state;
    assert_int_equal(tk_key_init_symmetric(&kek, (tk_view){kek_bytes, 16}),
                     TK_OK);
    suit_ecdh_key(&ecdh);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t info_len;
        size_t ct_len;
        uint8_t *info = suit_file(cases[i].info, &info_len);
        uint8_t *ct = suit_file(cases[i].payload, &ct_len);
        tk_view detached = {ct, ct_len};
        tk_cose_opts o = opts_with(cases[i].ecdh ? &ecdh : &kek);
        tk_cose_content_key ck;
        uint8_t aad[64];
        uint8_t plain[64];
        size_t plain_len = 0;

        o.kdf_supp_pub_other = TK_VIEW_STR("SUIT Payload Encryption");
        assert_int_equal(tk_cose_decrypt_prepare(cose_test_crypto(),
                                                 (tk_view){info, info_len},
                                                 &o, aad, sizeof(aad), &ck),
                         TK_OK);
        assert_int_equal(ck.alg, cases[i].alg);
        assert_true(ck.detached);
        stream_decrypt(&ck, detached, plain, &plain_len);
        assert_int_equal(plain_len, strlen(suit_plain));
        assert_memory_equal(plain, suit_plain, plain_len);
        tk_key_release(&ck.cek);

        /* The one-shot call decrypts the same with the detached
         * ciphertext. */
        o.detached = &detached;
        assert_int_equal(tk_cose_encrypt_decrypt(cose_test_crypto(),
                                                 (tk_view){info, info_len},
                                                 &o, plain, sizeof(plain),
                                                 &plain_len, NULL),
                         TK_OK);
        assert_memory_equal(plain, suit_plain, plain_len);

        /* Without the KDF's "other" the ECDH key differs: the key unwrap
         * fails and no recipient opens. */
        if (cases[i].ecdh) {
            o.kdf_supp_pub_other = (tk_view){NULL, 0};
            assert_int_equal(tk_cose_encrypt_decrypt(
                                 cose_test_crypto(),
                                 (tk_view){info, info_len}, &o, plain,
                                 sizeof(plain), &plain_len, NULL),
                             TK_ERR_COSE_NO_RECIPIENT);
        }
        free(info);
        free(ct);
    }
    tk_key_release(&kek);
    tk_key_release(&ecdh);
}

/* The AES key wrap examples are deterministic: rebuilding them with the
 * example's CEK and IV gives the same bytes. */
static void test_suit_encryption_rebuilt(void **state)
{
    static const struct {
        const char *info;
        const char *cek;
        const char *iv;
        tk_alg alg;
    } cases[] = {
        {"suit-encryption-info-aes-kw-aes-gcm.hex",
         "15F785B5C931414411B4B71373A9C0F7", "F14AAB9D81D51F7AD943FE87",
         TK_ALG_A128GCM},
        {"suit-encryption-info-aes-kw-aes-ctr.hex",
         "261DE6165070FB8951EC5D7B92A065FE",
         "DAE613B2E0DC55F4322BE38BDBA9DC68", TK_ALG_A128CTR},
    };
    tk_key kek;

    (void)state;
    assert_int_equal(tk_key_init_symmetric(&kek, (tk_view){kek_bytes, 16}),
                     TK_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t info_len;
        uint8_t *info = suit_file(cases[i].info, &info_len);
        uint8_t cek[16];
        uint8_t iv[16];
        tk_cose_recipient_params rp = {.alg = TK_ALG_A128KW, .key = &kek,
                                       .kid = TK_VIEW_STR("kid-1")};
        tk_cose_build b;
        tk_cose_content_key ck;
        uint8_t out[256];
        uint8_t aad[64];
        size_t len = 0;

        memset(&b, 0, sizeof(b));
        b.alg = cases[i].alg;
        b.cek = (tk_view){cek, tk_test_hex_decode(cases[i].cek, cek, 16)};
        b.iv = (tk_view){iv, tk_test_hex_decode(cases[i].iv, iv, 16)};
        b.recipients = &rp;
        b.recipient_count = 1;
        assert_int_equal(tk_cose_encrypt_prepare(cose_test_crypto(), &b, out,
                                                 sizeof(out), &len, aad,
                                                 sizeof(aad), &ck),
                         TK_OK);
        assert_int_equal(len, info_len);
        assert_memory_equal(out, info, len);
        assert_int_equal(ck.cek.k_len, 16);
        assert_memory_equal(ck.cek.k, cek, 16);
        if (cases[i].alg == TK_ALG_A128GCM) {
            /* ["Encrypt", h'A10101', h''] */
            assert_int_equal(ck.aad.len, 14);
            assert_memory_equal(ck.aad.ptr,
                                "\x83\x67" "Encrypt" "\x43\xa1\x01\x01\x40",
                                14);
        } else {
            assert_int_equal(ck.aad.len, 0);
        }
        tk_key_release(&ck.cek);
        free(info);
    }
    tk_key_release(&kek);
}

/* The prepare calls agree with each other for every recipient kind. */
static void test_prepare_roundtrip(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    tk_cose_recipient_params rp = {.alg = TK_COSE_ALG_ECDH_ES_A128KW,
                                   .key = &k->p256};
    tk_cose_build b;
    tk_cose_opts o = opts_with(&k->p256);
    tk_cose_content_key enc;
    tk_cose_content_key dec;
    uint8_t info[512];
    uint8_t aad1[64];
    uint8_t aad2[64];
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_A256GCM;
    b.recipients = &rp;
    b.recipient_count = 1;
    b.kdf_supp_pub_other = TK_VIEW_STR("SUIT Payload Encryption");
    assert_int_equal(tk_cose_encrypt_prepare(c, &b, info, sizeof(info), &len,
                                             aad1, sizeof(aad1), &enc),
                     TK_OK);
    o.kdf_supp_pub_other = b.kdf_supp_pub_other;
    assert_int_equal(tk_cose_decrypt_prepare(c, (tk_view){info, len}, &o,
                                             aad2, sizeof(aad2), &dec),
                     TK_OK);
    assert_int_equal(dec.alg, TK_ALG_A256GCM);
    assert_int_equal(dec.cek.k_len, 32);
    assert_memory_equal(dec.cek.k, enc.cek.k, 32);
    assert_int_equal(dec.iv_len, 12);
    assert_memory_equal(dec.iv, enc.iv, 12);
    assert_int_equal(dec.aad.len, enc.aad.len);
    assert_memory_equal(dec.aad.ptr, enc.aad.ptr, enc.aad.len);
    tk_key_release(&enc.cek);
    tk_key_release(&dec.cek);

    /* COSE_Encrypt0 encryption info: the caller's key is the CEK. */
    b.recipient_count = 0;
    b.key = &k->aes256;
    assert_int_equal(tk_cose_encrypt_prepare(c, &b, info, sizeof(info), &len,
                                             aad1, sizeof(aad1), &enc),
                     TK_OK);
    assert_int_equal(info[0], 0xd0);
    o.key = &k->aes256;
    assert_int_equal(tk_cose_decrypt_prepare(c, (tk_view){info, len}, &o,
                                             aad2, sizeof(aad2), &dec),
                     TK_OK);
    assert_memory_equal(dec.aad.ptr, "\x83\x68" "Encrypt0", 10);
    tk_key_release(&enc.cek);
    tk_key_release(&dec.cek);
    /* An AAD buffer too small for the Enc_structure. */
    assert_int_equal(tk_cose_decrypt_prepare(c, (tk_view){info, len}, &o,
                                             aad2, 5, &dec),
                     TK_ERR_BUFFER_TOO_SMALL);
}

/* ---------------------------------------------------------------------- */
/* Any structure                                                          */
/* ---------------------------------------------------------------------- */

static void test_verify_dispatch(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    tk_cose_build b;
    tk_cose_opts o = opts_with(&k->hmac);
    tk_cose_verified v;
    tk_view found;
    bool prot;
    uint8_t msg[256];
    size_t len = 0;

    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_HMAC_256_256;
    b.key = &k->hmac;
    b.kid = TK_VIEW_STR("m");
    assert_int_equal(tk_cose_mac0_create(c, &b, CONTENT, msg, sizeof(msg),
                                         &len),
                     TK_OK);
    assert_int_equal(tk_cose_verify(c, (tk_view){msg, len}, &o, &v), TK_OK);
    assert_int_equal(v.type, TK_COSE_TYPE_MAC0);
    assert_int_equal(v.payload.len, CONTENT.len);
    assert_int_equal(tk_cose_headers_find(&v.hdr,
                                          (tk_cose_label){false, 4, {0}},
                                          &found, &prot),
                     TK_OK);
    assert_false(prot);
    assert_int_equal(found.len, 2); /* 41 6D */
    assert_int_equal(tk_cose_headers_find(&v.hdr,
                                          (tk_cose_label){false, 1, {0}},
                                          &found, &prot),
                     TK_OK);
    assert_true(prot);
    assert_int_equal(tk_cose_headers_find(&v.hdr,
                                          (tk_cose_label){false, 9, {0}},
                                          &found, &prot),
                     TK_ERR_NOT_FOUND);

    b.alg = TK_ALG_A128GCM;
    b.key = &k->aes128;
    assert_int_equal(tk_cose_encrypt0_encrypt(c, &b, CONTENT, msg, sizeof(msg),
                                              &len),
                     TK_OK);
    assert_int_equal(tk_cose_verify(c, (tk_view){msg, len}, &o, &v),
                     TK_ERR_COSE_WRONG_TAG);
}

/* ---------------------------------------------------------------------- */
/* COSE_Key                                                               */
/* ---------------------------------------------------------------------- */

static void test_key_thumbprint_rfc9679(void **state)
{
    /* The example key of RFC 9679 section 6 and its thumbprint. */
    static const char key_hex[] =
        "A5 01 02 02 58 24 6D65726961646F632E6272616E64796275636B40"
        "6275636B6C616E642E6578616D706C65 20 01 21 58 20"
        "65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d"
        " 22 58 20"
        "1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c";
    static const char expected[] =
        "496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec";
    uint8_t digest[TK_COSE_THUMBPRINT_SIZE];
    uint8_t want[TK_COSE_THUMBPRINT_SIZE];
    cose_buf cbor = {.n = 0};
    tk_cose_key info;
    tk_key key;

    (void)state;
    cose_buf_hex(&cbor, key_hex);
    tk_key_init(&key);
    assert_int_equal(tk_cose_key_import(cose_test_crypto(),
                                        cose_buf_view(&cbor), &key, &info),
                     TK_OK);
    assert_int_equal(info.params.kid.len, 36);
    assert_int_equal(tk_cose_key_thumbprint(cose_test_crypto(), &key, digest),
                     TK_OK);
    tk_test_hex_decode(expected, want, sizeof(want));
    assert_memory_equal(digest, want, sizeof(want));
    tk_key_release(&key);
}

static void test_key_encode_decode(void **state)
{
    keys *k = *state;
    const tk_crypto *c = cose_test_crypto();
    uint8_t buf[256];
    size_t len = 0;
    tk_cose_key info;
    tk_key back;

    /* Public EC2 key with kid and alg, deterministic order. */
    assert_int_equal(tk_cose_key_encode(&k->p256, TK_ALG_ES256, false, buf,
                                        sizeof(buf), &len),
                     TK_OK);
    assert_memory_equal(buf, "\xa6\x01\x02\x02\x42" "11" "\x03\x26\x20\x01",
                        10);
    tk_key_init(&back);
    assert_int_equal(tk_cose_key_import(c, (tk_view){buf, len}, &back, &info),
                     TK_OK);
    assert_true(info.has_alg);
    assert_int_equal(info.alg, TK_ALG_ES256);
    assert_false(back.has_private);
    assert_memory_equal(back.x, k->p256.x, 32);
    tk_key_release(&back);

    /* Private key: d is written only on request. */
    assert_int_equal(tk_cose_key_encode(&k->p256, TK_ALG_NONE, true, buf,
                                        sizeof(buf), &len),
                     TK_OK);
    assert_int_equal(tk_cose_key_import(c, (tk_view){buf, len}, &back, &info),
                     TK_OK);
    assert_true(back.has_private);
    assert_int_equal(info.params.d.len, 32);
    tk_key_release(&back);

    /* Symmetric key. */
    assert_int_equal(tk_cose_key_encode(&k->aes128, TK_ALG_A128KW, false, buf,
                                        sizeof(buf), &len),
                     TK_OK);
    assert_int_equal(tk_cose_key_import(c, (tk_view){buf, len}, &back, &info),
                     TK_OK);
    assert_int_equal(back.kty, TK_KTY_SYMMETRIC);
    assert_int_equal(back.k_len, 16);
    tk_key_release(&back);
    assert_int_equal(tk_cose_key_encode(&k->aes128, TK_ALG_NONE, false, buf,
                                        4, &len),
                     TK_ERR_BUFFER_TOO_SMALL);
}

static void test_key_decode_errors(void **state)
{
    static const struct {
        const char *hex;
        tk_err want;
    } cases[] = {
        {"A0", TK_ERR_COSE_KEY_DECODE},                   /* no kty */
        {"80", TK_ERR_COSE_KEY_DECODE},                   /* not a map */
        {"A2 01 02 20 01", TK_ERR_COSE_KEY_DECODE},       /* no x, no d */
        {"A3 01 02 01 02 20 01", TK_ERR_COSE_DUPLICATE_LABEL},
        {"A3 01 02 20 01 21 41 00", TK_ERR_COSE_KEY_DECODE}, /* short x */
        {"A3 01 02 20 06 21 41 00", TK_ERR_COSE_KEY_DECODE}, /* OKP curve */
        {"A2 01 04 20 40", TK_ERR_COSE_KEY_DECODE},       /* empty k */
        {"A2 01 04 20 01", TK_ERR_COSE_KEY_DECODE},       /* k not a bstr */
        {"A2 01 07 20 41 00", TK_ERR_COSE_KEY_DECODE},    /* unknown kty */
        {"A3 01 04 20 41 00 04 81 0B", TK_ERR_COSE_KEY_DECODE}, /* key_ops */
        {"A3 01 04 20 41 00 04 82 01 02", TK_OK},
        {"A3 01 04 20 41 00 63 616263 01", TK_OK},        /* text label */
        {"A2 01 04 20 41", TK_ERR_COSE_KEY_DECODE},       /* truncated */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cose_buf cbor = {.n = 0};
        tk_cose_key info;
        tk_err err;

        cose_buf_hex(&cbor, cases[i].hex);
        err = tk_cose_key_decode(cose_buf_view(&cbor), &info);
        if (err != cases[i].want) {
            fail_msg("case %zu: expected %s, got %s", i,
                     tk_errname(cases[i].want), tk_errname(err));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign1_roundtrip),
        cmocka_unit_test(test_sign1_detached_untagged),
        cmocka_unit_test(test_sign1_buffer_sizes),
        cmocka_unit_test(test_eddsa_roundtrip),
        cmocka_unit_test(test_sign_several_signers),
        cmocka_unit_test(test_mac0_roundtrip),
        cmocka_unit_test(test_mac_recipients),
        cmocka_unit_test(test_encrypt0_algorithms),
        cmocka_unit_test(test_encrypt0_sizes_and_aad),
        cmocka_unit_test(test_encrypt_recipients),
        cmocka_unit_test(test_encrypt_x25519),
        cmocka_unit_test(test_suit_encryption_examples),
        cmocka_unit_test(test_suit_encryption_rebuilt),
        cmocka_unit_test(test_prepare_roundtrip),
        cmocka_unit_test(test_verify_dispatch),
        cmocka_unit_test(test_key_thumbprint_rfc9679),
        cmocka_unit_test(test_key_encode_decode),
        cmocka_unit_test(test_key_decode_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
