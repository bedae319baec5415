/*
 * Both backends in one program: a key imported (and cached) by one
 * backend works with the other through its raw fields, and each backend
 * verifies, unwraps, decrypts and agrees on what the other produced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/crypto.h"

#define P256_D "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"

static void hex_to(const char *hex, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned v = 0;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void test_cross_sign_verify(void **state)
{
    (void)state;
    const tk_crypto *backends[2] = {tk_crypto_openssl(), tk_crypto_mbedtls()};
    uint8_t d[32];
    tk_view msg = TK_VIEW_STR("signed by one, verified by the other");
    tk_key_params params = {.kty = TK_KTY_EC2, .crv = TK_CRV_P256};

    assert_non_null(backends[0]);
    assert_non_null(backends[1]);
    hex_to(P256_D, d, sizeof(d));
    params.d = (tk_view){d, sizeof(d)};
    for (int i = 0; i < 2; i++) {
        const tk_crypto *signer = backends[i];
        const tk_crypto *verifier = backends[1 - i];
        tk_key key;
        uint8_t sig[64];
        size_t len = 0;

        assert_int_equal(signer->key_import(signer->ctx, &params, &key),
                         TK_OK);
        assert_int_equal(signer->sign(signer->ctx, TK_ALG_ESP256, &key, &msg,
                                      1, sig, sizeof(sig), &len),
                         TK_OK);
        /* The same key value, cached or not by the signer. */
        assert_int_equal(verifier->verify(verifier->ctx, TK_ALG_ES256, &key,
                                          &msg, 1, (tk_view){sig, len}),
                         TK_OK);
        sig[5] ^= 0x40;
        assert_int_equal(verifier->verify(verifier->ctx, TK_ALG_ES256, &key,
                                          &msg, 1, (tk_view){sig, len}),
                         TK_ERR_CRYPTO_SIGNATURE_INVALID);
        tk_key_release(&key);
    }
}

static void test_cross_ecdh_x25519(void **state)
{
    (void)state;
    const tk_crypto *o = tk_crypto_openssl();
    const tk_crypto *m = tk_crypto_mbedtls();
    tk_key a;
    tk_key b;
    uint8_t s1[32];
    uint8_t s2[32];
    size_t l1 = 0;
    size_t l2 = 0;

    assert_int_equal(o->key_generate(o->ctx, TK_CRV_X25519, &a), TK_OK);
    assert_int_equal(m->key_generate(m->ctx, TK_CRV_X25519, &b), TK_OK);
    assert_int_equal(o->ecdh(o->ctx, &a, &b, s1, sizeof(s1), &l1), TK_OK);
    assert_int_equal(m->ecdh(m->ctx, &b, &a, s2, sizeof(s2), &l2), TK_OK);
    assert_int_equal(l1, 32);
    assert_int_equal(l2, 32);
    assert_memory_equal(s1, s2, 32);
    tk_key_release(&a);
    tk_key_release(&b);
}

static void test_cross_wrap_and_gcm(void **state)
{
    (void)state;
    const tk_crypto *o = tk_crypto_openssl();
    const tk_crypto *m = tk_crypto_mbedtls();
    tk_key kek;
    uint8_t k[32];
    uint8_t cek[32];
    uint8_t wrapped[40];
    uint8_t unwrapped[32];
    size_t len = 0;

    assert_int_equal(o->random(o->ctx, k, sizeof(k)), TK_OK);
    assert_int_equal(m->random(m->ctx, cek, sizeof(cek)), TK_OK);
    assert_int_equal(tk_key_init_symmetric(&kek, (tk_view){k, 32}), TK_OK);
    assert_int_equal(o->key_wrap(o->ctx, TK_ALG_A256KW, &kek,
                                 (tk_view){cek, 32}, wrapped,
                                 sizeof(wrapped), &len),
                     TK_OK);
    assert_int_equal(m->key_unwrap(m->ctx, TK_ALG_A256KW, &kek,
                                   (tk_view){wrapped, len}, unwrapped,
                                   sizeof(unwrapped), &len),
                     TK_OK);
    assert_memory_equal(unwrapped, cek, 32);

    /* A GCM payload encrypted by Mbed TLS in one shot is decrypted by
     * OpenSSL. */
    tk_key key;
    uint8_t iv[12] = {1, 2, 3};
    uint8_t plain[300];
    uint8_t ct[316];
    uint8_t back[300];
    memset(plain, 0x42, sizeof(plain));
    assert_int_equal(tk_key_init_symmetric(&key, (tk_view){cek, 32}), TK_OK);
    assert_int_equal(m->aead_encrypt(m->ctx, TK_ALG_A256GCM, &key,
                                     (tk_view){iv, 12}, TK_VIEW_STR("aad"),
                                     (tk_view){plain, sizeof(plain)}, ct,
                                     sizeof(ct), &len),
                     TK_OK);
    assert_int_equal(o->aead_decrypt(o->ctx, TK_ALG_A256GCM, &key,
                                     (tk_view){iv, 12}, TK_VIEW_STR("aad"),
                                     (tk_view){ct, len}, back, sizeof(back),
                                     &len),
                     TK_OK);
    assert_memory_equal(back, plain, sizeof(plain));
    tk_key_release(&key);
    tk_key_release(&kek);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_sign_verify),
        cmocka_unit_test(test_cross_ecdh_x25519),
        cmocka_unit_test(test_cross_wrap_and_gcm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
