/*
 * Payload encryption of the SUIT builder: the encryption info decodes with
 * the COSE library, the recipient's key recovers the content key, and the
 * streamed ciphertext decrypts to the payload, for AES-KW and ECDH-ES
 * recipients with AES-GCM and AES-CTR content.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "teepkit/suit_build.h"

#define PAYLOAD_LEN 1000

static uint8_t payload[PAYLOAD_LEN];

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 31 + 7);
    return 0;
}

/* Encrypts payload in three chunks; returns the ciphertext length (with
 * the GCM tag) and the info length in *info_len. */
static size_t encrypt(const tk_suit_build_encryption *params, uint8_t *info,
                      size_t *info_len, uint8_t *out)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_build_encryptor enc;
    size_t tag_len;

    assert_int_equal(tk_suit_build_encrypt_start(&enc, crypto, params, info,
                                                 512, info_len),
                     TK_OK);
    assert_int_equal(tk_suit_build_encrypt_update(&enc, payload, 100, out),
                     TK_OK);
    assert_int_equal(tk_suit_build_encrypt_update(&enc, payload + 100, 0,
                                                  out + 100),
                     TK_OK);
    assert_int_equal(tk_suit_build_encrypt_update(&enc, payload + 100, 900,
                                                  out + 100),
                     TK_OK);
    assert_int_equal(tk_suit_build_encrypt_finish(&enc, out + PAYLOAD_LEN, 16,
                                                  &tag_len),
                     TK_OK);
    return PAYLOAD_LEN + tag_len;
}

struct lookup {
    const tk_key *key;
};

static tk_err find(void *arg, tk_view kid, tk_alg alg, const tk_key **key)
{
    struct lookup *l = arg;

    (void)kid;
    (void)alg;
    *key = l->key;
    return TK_OK;
}

/* Decrypts ciphertext with the encryption info and key, as a device
 * does, and checks that the payload comes back. */
static void assert_decrypts(const uint8_t *info, size_t info_len,
                            const tk_key *key, const uint8_t *ciphertext,
                            size_t len, tk_alg content)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_cose_opts opts;
    tk_cose_content_key ck;
    struct lookup l = {key};
    uint8_t aad[256], plain[PAYLOAD_LEN];
    tk_crypto_cipher_state state;
    size_t body = content == TK_ALG_A128GCM ? len - 16 : len;

    memset(&opts, 0, sizeof(opts));
    opts.lookup = find;
    opts.lookup_arg = &l;
    opts.kdf_supp_pub_other = TK_VIEW_STR("SUIT Payload Encryption");
    assert_int_equal(tk_cose_decrypt_prepare(crypto, (tk_view){info, info_len},
                                             &opts, aad, sizeof(aad), &ck),
                     TK_OK);
    assert_int_equal(ck.alg, content);
    assert_true(ck.detached);
    assert_int_equal(crypto->cipher_start(crypto->ctx, &state, ck.alg,
                                          &ck.cek,
                                          (tk_view){ck.iv, ck.iv_len},
                                          content == TK_ALG_A128GCM
                                              ? ck.aad
                                              : (tk_view){NULL, 0},
                                          TK_CRYPTO_DECRYPT),
                     TK_OK);
    assert_int_equal(crypto->cipher_update(crypto->ctx, &state, ciphertext,
                                           body, plain),
                     TK_OK);
    assert_int_equal(crypto->cipher_finish(crypto->ctx, &state,
                                           content == TK_ALG_A128GCM
                                               ? (tk_view){ciphertext + body,
                                                           16}
                                               : (tk_view){NULL, 0},
                                           NULL, 0),
                     TK_OK);
    tk_key_release(&ck.cek);
    assert_int_equal(body, PAYLOAD_LEN);
    assert_memory_equal(plain, payload, PAYLOAD_LEN);
}

static void aes_kw_round_trips(void **state)
{
    (void)state;
    static const uint8_t kek_bytes[16] = {1, 2, 3, 4, 5, 6, 7, 8,
                                          9, 10, 11, 12, 13, 14, 15, 16};
    const tk_alg contents[2] = {TK_ALG_A128GCM, TK_ALG_A128CTR};
    tk_key kek;

    assert_int_equal(tk_key_init_symmetric(&kek, (tk_view){kek_bytes, 16}),
                     TK_OK);
    for (size_t i = 0; i < 2; i++) {
        tk_suit_build_encryption params = {contents[i], TK_ALG_A128KW, &kek,
                                           TK_VIEW_STR("kid-1"), NULL};
        uint8_t info[512], out[PAYLOAD_LEN + 16];
        size_t info_len;
        size_t len = encrypt(&params, info, &info_len, out);

        /* SUIT_Encryption_Info is a tagged COSE_Encrypt (tag 96). */
        assert_int_equal(info[0], 0xd8);
        assert_int_equal(info[1], 96);
        assert_int_equal(len, contents[i] == TK_ALG_A128GCM
                                  ? PAYLOAD_LEN + 16
                                  : PAYLOAD_LEN);
        assert_memory_not_equal(out, payload, 64);
        assert_decrypts(info, info_len, &kek, out, len, contents[i]);
    }
    tk_key_release(&kek);
}

static void ecdh_es_round_trips(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    const int32_t curves[2] = {TK_CRV_P256, TK_CRV_X25519};

    for (size_t i = 0; i < 2; i++) {
        tk_key device;
        uint8_t info[512], out[PAYLOAD_LEN + 16];
        size_t info_len;

        tk_key_init(&device);
        assert_int_equal(crypto->key_generate(crypto->ctx, curves[i],
                                              &device),
                         TK_OK);
        tk_suit_build_encryption params = {
            TK_ALG_A128GCM, TK_COSE_ALG_ECDH_ES_A128KW, &device, {NULL, 0},
            NULL};
        size_t len = encrypt(&params, info, &info_len, out);
        tk_cose_opts opts;
        tk_cose_content_key ck;
        uint8_t aad[256];

        assert_decrypts(info, info_len, &device, out, len, TK_ALG_A128GCM);
        /* The key derivation context names SUIT: without it the derived
         * key-encryption key differs and no recipient unwraps. */
        memset(&opts, 0, sizeof(opts));
        opts.key = &device;
        assert_int_equal(tk_cose_decrypt_prepare(crypto,
                                                 (tk_view){info, info_len},
                                                 &opts, aad, sizeof(aad),
                                                 &ck),
                         TK_ERR_COSE_NO_RECIPIENT);
        tk_key_release(&device);
    }
}

/* Two encryptions of the same payload use different content keys. */
static void content_keys_are_fresh(void **state)
{
    (void)state;
    static const uint8_t kek_bytes[16] = {0};
    tk_key kek;
    uint8_t info[512], a[PAYLOAD_LEN + 16], b[PAYLOAD_LEN + 16];
    size_t info_len;

    assert_int_equal(tk_key_init_symmetric(&kek, (tk_view){kek_bytes, 16}),
                     TK_OK);
    tk_suit_build_encryption params = {TK_ALG_A128CTR, TK_ALG_A128KW, &kek,
                                       {NULL, 0}, NULL};
    encrypt(&params, info, &info_len, a);
    encrypt(&params, info, &info_len, b);
    assert_memory_not_equal(a, b, PAYLOAD_LEN);
    tk_key_release(&kek);
}

static void unsupported_algorithms(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    static const uint8_t kek_bytes[16] = {0};
    tk_key kek;
    tk_suit_build_encryptor enc;
    uint8_t info[512];
    size_t info_len;

    assert_int_equal(tk_key_init_symmetric(&kek, (tk_view){kek_bytes, 16}),
                     TK_OK);
    tk_suit_build_encryption params = {TK_ALG_ES256, TK_ALG_A128KW, &kek,
                                       {NULL, 0}, NULL};
    assert_int_equal(tk_suit_build_encrypt_start(&enc, crypto, &params, info,
                                                 sizeof(info), &info_len),
                     TK_ERR_SUIT_BUILD_BAD_ENCRYPTION);
    params.content_alg = TK_ALG_A128GCM;
    params.key_alg = -6; /* direct: the content key would be the KEK */
    assert_int_equal(tk_suit_build_encrypt_start(&enc, crypto, &params, info,
                                                 sizeof(info), &info_len),
                     TK_ERR_SUIT_BUILD_BAD_ENCRYPTION);
    /* A stream that never started takes no data. */
    assert_int_equal(tk_suit_build_encrypt_update(&enc, info, 1, info),
                     TK_ERR_STATE);
    params.recipient = NULL;
    assert_int_equal(tk_suit_build_encrypt_start(&enc, crypto, &params, info,
                                                 sizeof(info), &info_len),
                     TK_ERR_INVALID_ARG);
    tk_key_release(&kek);
}

static void gcm_tag_needs_room(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    static const uint8_t kek_bytes[16] = {0};
    tk_key kek;
    tk_suit_build_encryptor enc;
    uint8_t info[512], out[16], tag[8];
    size_t info_len, tag_len;

    assert_int_equal(tk_key_init_symmetric(&kek, (tk_view){kek_bytes, 16}),
                     TK_OK);
    tk_suit_build_encryption params = {TK_ALG_A128GCM, TK_ALG_A128KW, &kek,
                                       {NULL, 0}, NULL};
    assert_int_equal(tk_suit_build_encrypt_start(&enc, crypto, &params, info,
                                                 sizeof(info), &info_len),
                     TK_OK);
    assert_int_equal(tk_suit_build_encrypt_update(&enc, payload, 16, out),
                     TK_OK);
    assert_int_equal(tk_suit_build_encrypt_finish(&enc, tag, sizeof(tag),
                                                  &tag_len),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(tag_len, 0);
    tk_key_release(&kek);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aes_kw_round_trips),
        cmocka_unit_test(ecdh_es_round_trips),
        cmocka_unit_test(content_keys_are_fresh),
        cmocka_unit_test(unsupported_algorithms),
        cmocka_unit_test(gcm_tag_needs_room),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
