/*
 * Key handling, streaming states, randomness, the backend-neutral helpers
 * and the fault-injection wrapper, against the backend under test.
 */
#include "crypto_test.h"
#include "tk_crypto_fault.h"

/* RFC 6979 appendix A.2.5 P-256 key pair. */
#define P256_D "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
#define P256_X "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
#define P256_Y "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
/* Order n of P-256 (SEC 2 section 2.4.2). */
#define P256_N "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"

/* Tells whether every byte of the key struct is zero except the enum-like
 * fields that tk_key_init sets, which are zero as well. */
static bool key_is_wiped(const tk_key *key)
{
    const unsigned char *p = (const unsigned char *)key;

    for (size_t i = 0; i < sizeof(*key); i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

static void test_key_release_wipes(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;

    assert_tk_err(tk_test_import(c, &key, TK_KTY_EC2, TK_CRV_P256, NULL,
                                 NULL, P256_D),
                  TK_OK);
    assert_true(key.has_private);
    assert_false(key_is_wiped(&key));
    tk_key_release(&key);
    assert_true(key_is_wiped(&key));
    assert_int_equal(key.kty, TK_KTY_NONE);
    assert_null(key.backend);

    /* Releasing again, or a NULL key, is harmless. */
    tk_key_release(&key);
    assert_true(key_is_wiped(&key));
    tk_key_release(NULL);

    /* A symmetric key is wiped the same way. */
    tk_test_symmetric(&key, "00112233445566778899aabbccddeeff");
    assert_int_equal(key.k_len, 16);
    tk_key_release(&key);
    assert_true(key_is_wiped(&key));
}

static void test_wipe_and_ct_equal(void **state)
{
    (void)state;
    uint8_t buf[40];
    uint8_t other[40];

    memset(buf, 0xa5, sizeof(buf));
    tk_crypto_wipe(buf, sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 0);
    }
    tk_crypto_wipe(NULL, 0);

    memset(buf, 7, sizeof(buf));
    memset(other, 7, sizeof(other));
    assert_true(tk_crypto_ct_equal(buf, other, sizeof(buf)));
    other[39] = 6;
    assert_false(tk_crypto_ct_equal(buf, other, sizeof(buf)));
    assert_true(tk_crypto_ct_equal(buf, other, 39));
    other[0] = 0x87;
    assert_false(tk_crypto_ct_equal(buf, other, 1));
    assert_true(tk_crypto_ct_equal(NULL, NULL, 0));
}

/* A single flipped bit is found at every position, in the four-byte
 * steps and in the tail, from unaligned starts too. */
static void test_ct_equal_every_position(void **state)
{
    (void)state;
    uint8_t a[48];
    uint8_t b[48];

    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)(i * 37u + 1u);
    for (size_t start = 0; start < 4; start++) {
        for (size_t len = 0; len + start <= 40; len++) {
            memcpy(b, a, sizeof(b));
            assert_true(tk_crypto_ct_equal(a + start, b + start, len));
            for (size_t pos = 0; pos < len; pos++) {
                b[start + pos] ^= 0x10;
                assert_false(tk_crypto_ct_equal(a + start, b + start, len));
                b[start + pos] ^= 0x10;
            }
        }
    }
}

static void test_algorithm_sizes(void **state)
{
    (void)state;
    assert_int_equal(tk_crypto_curve_size(TK_CRV_P256), 32);
    assert_int_equal(tk_crypto_curve_size(TK_CRV_P384), 48);
    assert_int_equal(tk_crypto_curve_size(TK_CRV_X25519), 32);
    assert_int_equal(tk_crypto_curve_size(TK_CRV_ED448), 57);
    assert_int_equal(tk_crypto_curve_size(99), 0);
    assert_int_equal(tk_crypto_hash_size(TK_ALG_SHA384), 48);
    assert_int_equal(tk_crypto_hash_size(TK_ALG_HMAC_256_64), 32);
    assert_int_equal(tk_crypto_hash_size(TK_ALG_ES256), 0);
    assert_int_equal(tk_crypto_key_size(TK_ALG_A192KW), 24);
    assert_int_equal(tk_crypto_key_size(TK_ALG_A256CTR), 32);
    assert_int_equal(tk_crypto_key_size(TK_ALG_CHACHA20_POLY1305), 32);
    assert_int_equal(tk_crypto_key_size(TK_ALG_HMAC_256_256), 0);
    assert_int_equal(tk_crypto_sig_size(TK_ALG_ESP384), 96);
    assert_int_equal(tk_crypto_sig_size(TK_ALG_ED25519), 64);
    assert_int_equal(tk_crypto_sig_curve(TK_ALG_ESP256), TK_CRV_P256);
    assert_int_equal(tk_crypto_sig_curve(TK_ALG_EDDSA), TK_CRV_ED25519);
    assert_int_equal(tk_crypto_sig_curve(TK_ALG_A128GCM), TK_CRV_NONE);
}

static void test_symmetric_key_limits(void **state)
{
    (void)state;
    tk_key key;
    uint8_t big[TK_CRYPTO_MAX_SYMMETRIC_SIZE + 1] = {0};

    assert_tk_err(tk_key_init_symmetric(&key, (tk_view){big, sizeof(big)}),
                  TK_ERR_CRYPTO_KEY_INVALID);
    assert_int_equal(key.kty, TK_KTY_NONE);
    assert_tk_err(tk_key_init_symmetric(&key, (tk_view){big, 0}),
                  TK_ERR_CRYPTO_KEY_INVALID);
    assert_tk_err(
        tk_key_init_symmetric(&key, (tk_view){big, sizeof(big) - 1}),
        TK_OK);
    assert_int_equal(key.k_len, TK_CRYPTO_MAX_SYMMETRIC_SIZE);
    tk_key_release(&key);
}

static void test_import_rejects_bad_ec_keys(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;

    /* y changed in its last bit: not on the curve. */
    assert_tk_err(
        tk_test_import(c, &key, TK_KTY_EC2, TK_CRV_P256, P256_X,
                       "7903fe1008b8bc99a41ae9e95628bc64"
                       "f2f1b20c2d7e9f5177a3c294d4462298",
                       NULL),
        TK_ERR_CRYPTO_KEY_INVALID);
    assert_int_equal(key.kty, TK_KTY_NONE);
    assert_false(key.has_public);
    /* x one byte short. */
    assert_tk_err(tk_test_import(c, &key, TK_KTY_EC2, TK_CRV_P256,
                                 "60fed4ba255a9d31c961eb74c6356d68"
                                 "c049b8923b61fa6ce669622e60f29f",
                                 P256_Y, NULL),
                  TK_ERR_CRYPTO_KEY_INVALID);
    /* Private scalar 0 and n are out of range. */
    assert_tk_err(
        tk_test_import(
            c, &key, TK_KTY_EC2, TK_CRV_P256, NULL, NULL,
            "0000000000000000000000000000000000000000000000000000000000000000"),
        TK_ERR_CRYPTO_KEY_INVALID);
    assert_tk_err(tk_test_import(c, &key, TK_KTY_EC2, TK_CRV_P256, NULL,
                                 NULL, P256_N),
                  TK_ERR_CRYPTO_KEY_INVALID);
    /* A private key that does not match the given public key. */
    assert_tk_err(
        tk_test_import(
            c, &key, TK_KTY_EC2, TK_CRV_P256, P256_X, P256_Y,
            "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6722"),
        TK_ERR_CRYPTO_KEY_INVALID);
    assert_int_equal(key.kty, TK_KTY_NONE);
    /* No material at all. */
    assert_tk_err(tk_test_import(c, &key, TK_KTY_EC2, TK_CRV_P256, NULL,
                                 NULL, NULL),
                  TK_ERR_CRYPTO_KEY_INVALID);
    /* Curves and key types that no backend here implements. */
    assert_tk_err(tk_test_import(c, &key, TK_KTY_EC2, TK_CRV_P521, P256_X,
                                 P256_Y, NULL),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    assert_tk_err(tk_test_import(c, &key, TK_KTY_OKP, TK_CRV_ED448, P256_X,
                                 NULL, NULL),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    assert_tk_err(tk_test_import(c, &key, 3, TK_CRV_NONE, P256_X, NULL,
                                 NULL),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    /* An X25519 key is OKP, not EC2. */
    assert_tk_err(tk_test_import(c, &key, TK_KTY_EC2, TK_CRV_X25519, P256_X,
                                 NULL, NULL),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
}

static void test_import_compressed_point(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key_params params = {.kty = TK_KTY_EC2, .crv = TK_CRV_P256};
    tk_key key;

    /* y of the RFC 6979 key ends in 0x99, so its parity bit is 1. */
    params.x = tk_test_hex(P256_X);
    params.y_bit = 1;
    assert_tk_err(c->key_import(c->ctx, &params, &key), TK_OK);
    tk_test_assert_bytes(key.y, key.coord_len, tk_test_hex(P256_Y));
    tk_key_release(&key);

    /* The other bit gives p - y. */
    params.y_bit = 0;
    assert_tk_err(c->key_import(c->ctx, &params, &key), TK_OK);
    tk_test_assert_bytes(key.y, key.coord_len,
                         tk_test_hex("86fc01eef74743675be51616a9d7439b"
                                     "0d0e4df4d28160ae885c3d6b2bb9dd66"));
    tk_key_release(&key);

    /* x = 1 is not the x-coordinate of a P-256 point: 1 - 3 + b is not a
     * square mod p. */
    params.x = tk_test_hex("00000000000000000000000000000000"
                           "00000000000000000000000000000001");
    assert_tk_err(c->key_import(c->ctx, &params, &key),
                  TK_ERR_CRYPTO_KEY_INVALID);
    params.x = tk_test_hex(P256_X);
    params.y_bit = 2;
    assert_tk_err(c->key_import(c->ctx, &params, &key),
                  TK_ERR_CRYPTO_KEY_INVALID);
}

static void test_import_keeps_kid_and_exports(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key_params params = {.kty = TK_KTY_EC2, .crv = TK_CRV_P256};
    tk_key_params out;
    tk_key key;
    static const char kid[] = "11";

    params.x = tk_test_hex(P256_X);
    params.y = tk_test_hex(P256_Y);
    params.kid = TK_VIEW_STR(kid);
    assert_tk_err(c->key_import(c->ctx, &params, &key), TK_OK);
    assert_false(key.has_private);
    assert_ptr_equal(key.kid.ptr, kid);
    assert_int_equal(key.kid.len, 2);

    assert_tk_err(tk_key_export_public(&key, &out), TK_OK);
    assert_int_equal(out.kty, TK_KTY_EC2);
    assert_int_equal(out.crv, TK_CRV_P256);
    tk_test_assert_bytes(out.x.ptr, out.x.len, tk_test_hex(P256_X));
    tk_test_assert_bytes(out.y.ptr, out.y.len, tk_test_hex(P256_Y));
    assert_int_equal(out.d.len, 0);
    assert_ptr_equal(out.kid.ptr, kid);
    tk_key_release(&key);
    assert_tk_err(tk_key_export_public(&key, &out),
                  TK_ERR_CRYPTO_KEY_INVALID);

    /* Symmetric keys go through key_import too. */
    memset(&params, 0, sizeof(params));
    params.kty = TK_KTY_SYMMETRIC;
    params.k = tk_test_hex("000102030405060708090a0b0c0d0e0f");
    assert_tk_err(c->key_import(c->ctx, &params, &key), TK_OK);
    assert_int_equal(key.kty, TK_KTY_SYMMETRIC);
    assert_int_equal(key.k_len, 16);
    assert_tk_err(tk_key_export_public(&key, &out),
                  TK_ERR_CRYPTO_KEY_INVALID);
    tk_key_release(&key);
}

/* Copies the raw fields of src into dst without the backend cache, as a
 * caller that fills a tk_key by hand would. */
static void copy_raw(const tk_key *src, tk_key *dst)
{
    tk_key_init(dst);
    dst->kty = src->kty;
    dst->crv = src->crv;
    dst->coord_len = src->coord_len;
    dst->has_public = src->has_public;
    dst->has_private = src->has_private;
    memcpy(dst->x, src->x, sizeof(dst->x));
    memcpy(dst->y, src->y, sizeof(dst->y));
    memcpy(dst->d, src->d, sizeof(dst->d));
}

/* Generates a signing key on crv, signs, verifies with the key, with a
 * hand-filled copy and with a re-import of the private part. */
static void sign_roundtrip(const tk_crypto *c, tk_alg alg, int32_t crv)
{
    tk_key key;
    tk_key copy;
    tk_key again;
    tk_view msg = TK_VIEW_STR("teepkit signature round trip");
    uint8_t sig[TK_CRYPTO_MAX_SIG_SIZE];
    size_t len = 0;

    tk_err err = c->key_generate(c->ctx, crv, &key);
    if (!tk_test_supports(c, alg, crv)) {
        assert_tk_err(err, TK_ERR_CRYPTO_UNSUPPORTED_ALG);
        return;
    }
    assert_tk_err(err, TK_OK);
    assert_int_equal(key.crv, crv);
    assert_true(key.has_public);
    assert_true(key.has_private);
    assert_tk_err(c->sign(c->ctx, alg, &key, &msg, 1, sig, sizeof(sig),
                          &len),
                  TK_OK);
    assert_int_equal(len, tk_crypto_sig_size(alg));
    assert_tk_err(c->verify(c->ctx, alg, &key, &msg, 1, (tk_view){sig, len}),
                  TK_OK);

    copy_raw(&key, &copy);
    assert_tk_err(c->verify(c->ctx, alg, &copy, &msg, 1,
                            (tk_view){sig, len}),
                  TK_OK);
    assert_tk_err(c->sign(c->ctx, alg, &copy, &msg, 1, sig, sizeof(sig),
                          &len),
                  TK_OK);
    assert_tk_err(c->verify(c->ctx, alg, &key, &msg, 1, (tk_view){sig, len}),
                  TK_OK);

    tk_key_params params = {.kty = key.kty, .crv = crv};
    params.d = (tk_view){key.d, key.coord_len};
    assert_tk_err(c->key_import(c->ctx, &params, &again), TK_OK);
    tk_test_assert_bytes(again.x, again.coord_len,
                         (tk_view){key.x, key.coord_len});
    tk_test_assert_bytes(again.y, again.coord_len,
                         (tk_view){key.y, key.coord_len});
    tk_key_release(&again);
    tk_key_release(&copy);
    tk_key_release(&key);
}

static void test_generate_sign_roundtrip(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();

    sign_roundtrip(c, TK_ALG_ESP256, TK_CRV_P256);
    sign_roundtrip(c, TK_ALG_ES384, TK_CRV_P384);
    sign_roundtrip(c, TK_ALG_ED25519, TK_CRV_ED25519);
}

/* Two generated key pairs on crv agree on the same secret. */
static void ecdh_roundtrip(const tk_crypto *c, int32_t crv)
{
    tk_key a;
    tk_key b;
    tk_key b_public;
    uint8_t s1[TK_CRYPTO_MAX_SECRET_SIZE];
    uint8_t s2[TK_CRYPTO_MAX_SECRET_SIZE];
    size_t len1 = 0;
    size_t len2 = 0;
    tk_key_params params;

    assert_tk_err(c->key_generate(c->ctx, crv, &a), TK_OK);
    assert_tk_err(c->key_generate(c->ctx, crv, &b), TK_OK);
    assert_tk_err(tk_key_export_public(&b, &params), TK_OK);
    assert_tk_err(c->key_import(c->ctx, &params, &b_public), TK_OK);
    assert_false(b_public.has_private);

    assert_tk_err(c->ecdh(c->ctx, &a, &b_public, s1, sizeof(s1), &len1),
                  TK_OK);
    assert_tk_err(c->ecdh(c->ctx, &b, &a, s2, sizeof(s2), &len2), TK_OK);
    assert_int_equal(len1, tk_crypto_curve_size(crv));
    tk_test_assert_bytes(s1, len1, (tk_view){s2, len2});
    tk_key_release(&a);
    tk_key_release(&b);
    tk_key_release(&b_public);
}

static void test_generate_ecdh_roundtrip(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();

    ecdh_roundtrip(c, TK_CRV_P256);
    ecdh_roundtrip(c, TK_CRV_P384);
    ecdh_roundtrip(c, TK_CRV_X25519);

    tk_key key;
    assert_tk_err(c->key_generate(c->ctx, TK_CRV_P521, &key),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    assert_int_equal(key.kty, TK_KTY_NONE);

    /* A signing-only curve is not a key-agreement curve. */
    if (tk_test_supports(c, TK_ALG_EDDSA, TK_CRV_ED25519)) {
        tk_key ed;
        uint8_t secret[32];
        size_t len = 0;
        assert_tk_err(c->key_generate(c->ctx, TK_CRV_ED25519, &ed), TK_OK);
        assert_tk_err(c->ecdh(c->ctx, &ed, &ed, secret, sizeof(secret), &len),
                      TK_ERR_CRYPTO_KEY_MISMATCH);
        tk_key_release(&ed);
    }
}

static void test_supports_matches_operations(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();

    assert_tk_err(c->supports(c->ctx, TK_ALG_ESP256, TK_CRV_P256), TK_OK);
    assert_tk_err(c->supports(c->ctx, TK_ALG_ESP256, TK_CRV_P384),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    assert_tk_err(c->supports(c->ctx, TK_ALG_A128KW, TK_CRV_NONE), TK_OK);
    assert_tk_err(c->supports(c->ctx, TK_ALG_A256CTR, TK_CRV_NONE), TK_OK);
    assert_tk_err(c->supports(c->ctx, TK_ALG_NONE, TK_CRV_X25519), TK_OK);
    assert_tk_err(c->supports(c->ctx, TK_ALG_NONE, TK_CRV_NONE),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    assert_tk_err(c->supports(c->ctx, TK_ALG_NONE, TK_CRV_ED448),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    assert_tk_err(c->supports(c->ctx, -260, TK_CRV_NONE),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    if (strcmp(c->name, "mbedtls") == 0) {
        /* Mbed TLS 2.28 has no EdDSA. */
        assert_tk_err(c->supports(c->ctx, TK_ALG_EDDSA, TK_CRV_NONE),
                      TK_ERR_CRYPTO_UNSUPPORTED_ALG);
        assert_tk_err(c->supports(c->ctx, TK_ALG_NONE, TK_CRV_ED25519),
                      TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    } else {
        assert_string_equal(c->name, "openssl");
        assert_tk_err(c->supports(c->ctx, TK_ALG_ED25519, TK_CRV_ED25519),
                      TK_OK);
    }
}

static void test_random_bytes(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    uint8_t a[32];
    uint8_t b[32];
    uint8_t zero[32] = {0};

    assert_tk_err(c->random(c->ctx, a, sizeof(a)), TK_OK);
    assert_tk_err(c->random(c->ctx, b, sizeof(b)), TK_OK);
    /* A chance of 2^-256 each. */
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_tk_err(c->random(c->ctx, NULL, 0), TK_OK);
    assert_tk_err(c->random(c->ctx, NULL, 1), TK_ERR_INVALID_ARG);

    /* More than one DRBG request in a single call. */
    size_t big_len = 3000;
    uint8_t big[3000];
    memset(big, 0, sizeof(big));
    assert_tk_err(c->random(c->ctx, big, big_len), TK_OK);
    assert_memory_not_equal(big + big_len - 32, zero, 32);
}

/* The streaming hash gives the one-shot digest for any chunking, and a
 * state copied mid-stream finishes to the same digest. */
static void test_hash_stream_chunks(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    static const tk_alg algs[] = {TK_ALG_SHA256, TK_ALG_SHA384,
                                  TK_ALG_SHA512};
    uint8_t data[1000];

    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7 + 3);
    }
    for (size_t a = 0; a < 3; a++) {
        uint8_t expected[64];
        uint8_t got[64];
        size_t expected_len = 0;
        size_t len = 0;
        tk_view whole = {data, sizeof(data)};

        assert_tk_err(c->hash(c->ctx, algs[a], &whole, 1, expected,
                              sizeof(expected), &expected_len),
                      TK_OK);
        for (size_t chunk = 1; chunk <= 257; chunk += 64) {
            tk_crypto_hash_state st;
            tk_crypto_hash_state moved;
            assert_tk_err(c->hash_start(c->ctx, &st, algs[a]), TK_OK);
            for (size_t pos = 0; pos < sizeof(data); pos += chunk) {
                size_t n = sizeof(data) - pos < chunk ? sizeof(data) - pos
                                                      : chunk;
                assert_tk_err(c->hash_update(c->ctx, &st, data + pos, n),
                              TK_OK);
                if (pos == 0) {
                    memcpy(&moved, &st, sizeof(st));
                    assert_tk_err(c->hash_update(c->ctx, &moved,
                                                 data + n,
                                                 sizeof(data) - n),
                                  TK_OK);
                }
            }
            assert_tk_err(c->hash_finish(c->ctx, &st, got, sizeof(got), &len),
                          TK_OK);
            tk_test_assert_bytes(got, len, (tk_view){expected, expected_len});
            assert_tk_err(c->hash_finish(c->ctx, &moved, got, sizeof(got),
                                         &len),
                          TK_OK);
            tk_test_assert_bytes(got, len, (tk_view){expected, expected_len});
        }
    }
}

static void test_hash_finish_small_buffer(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_crypto_hash_state st;
    uint8_t md[64];
    size_t len = 0;

    assert_tk_err(c->hash_start(c->ctx, &st, TK_ALG_SHA384), TK_OK);
    assert_tk_err(c->hash_finish(c->ctx, &st, md, 47, &len),
                  TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 48);
    /* The state ended with the failure. */
    assert_tk_err(c->hash_update(c->ctx, &st, md, 1), TK_ERR_STATE);
}

/* The CTR counter runs across the whole 16-byte block: chunked and
 * one-call encryption agree, from a counter about to carry. */
static void test_ctr_counter_carry(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    tk_view iv = tk_test_hex("00112233445566778899fffffffffffe");
    uint8_t plain[100];
    uint8_t one[100];
    uint8_t chunked[100];
    tk_crypto_cipher_state st;
    tk_view none = {NULL, 0};

    memset(plain, 0x3c, sizeof(plain));
    tk_test_symmetric(&key, "603deb1015ca71be2b73aef0857d7781"
                            "1f352c073b6108d72d9810a30914dff4");
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A256CTR, &key, iv,
                                  none, TK_CRYPTO_ENCRYPT),
                  TK_OK);
    assert_tk_err(c->cipher_update(c->ctx, &st, plain, 100, one), TK_OK);
    assert_tk_err(c->cipher_finish(c->ctx, &st, none, NULL, 0), TK_OK);

    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A256CTR, &key, iv,
                                  none, TK_CRYPTO_ENCRYPT),
                  TK_OK);
    memcpy(chunked, plain, sizeof(plain));
    for (size_t pos = 0; pos < 100; pos += 9) {
        size_t n = 100 - pos < 9 ? 100 - pos : 9;
        assert_tk_err(c->cipher_update(c->ctx, &st, chunked + pos, n,
                                       chunked + pos),
                      TK_OK);
    }
    assert_tk_err(c->cipher_finish(c->ctx, &st, none, NULL, 0), TK_OK);
    assert_memory_equal(one, chunked, sizeof(one));
    assert_memory_not_equal(one, plain, sizeof(one));
    tk_key_release(&key);
}

/* ---------------------------------------------------------------------- */
/* Fault injection                                                        */
/* ---------------------------------------------------------------------- */

/* Imports a key and signs and verifies through the table t, returning the
 * first error. */
static tk_err sign_and_verify(const tk_crypto *t)
{
    tk_key key;
    tk_key_params params = {.kty = TK_KTY_EC2, .crv = TK_CRV_P256};
    tk_view msg = TK_VIEW_STR("payload");
    uint8_t sig[64];
    size_t len = 0;

    params.d = tk_test_hex(P256_D);
    tk_err err = t->key_import(t->ctx, &params, &key);
    if (err == TK_OK) {
        err = t->sign(t->ctx, TK_ALG_ESP256, &key, &msg, 1, sig, sizeof(sig),
                      &len);
    }
    if (err == TK_OK) {
        err = t->verify(t->ctx, TK_ALG_ESP256, &key, &msg, 1,
                        (tk_view){sig, len});
    }
    tk_key_release(&key);
    return err;
}

static void test_fault_fails_each_call(void **state)
{
    (void)state;
    tk_crypto_fault fault;

    tk_crypto_fault_init(&fault, tk_test_crypto());
    assert_string_equal(fault.table.name, "fault");
    assert_tk_err(sign_and_verify(&fault.table), TK_OK);
    assert_int_equal(fault.calls, 3);
    assert_int_equal(fault.failures, 0);

    for (unsigned long n = 1; n <= 3; n++) {
        tk_crypto_fault_arm(&fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
        assert_tk_err(sign_and_verify(&fault.table),
                      TK_ERR_CRYPTO_FAULT_INJECTED);
        assert_int_equal(fault.calls, n);
        assert_int_equal(fault.failures, 1);
    }

    /* A chosen error code, on the verify. */
    tk_crypto_fault_arm(&fault, 3, TK_ERR_CRYPTO_SIGNATURE_INVALID);
    assert_tk_err(sign_and_verify(&fault.table),
                  TK_ERR_CRYPTO_SIGNATURE_INVALID);

    /* Disarmed, everything passes again; supports is never counted. */
    tk_crypto_fault_arm(&fault, 0, TK_ERR_CRYPTO_FAULT_INJECTED);
    assert_tk_err(fault.table.supports(fault.table.ctx, TK_ALG_ESP256,
                                       TK_CRV_P256),
                  TK_OK);
    assert_tk_err(sign_and_verify(&fault.table), TK_OK);
    assert_int_equal(fault.calls, 3);
}

static void test_fault_releases_streams(void **state)
{
    (void)state;
    tk_crypto_fault fault;
    const tk_crypto *t;
    tk_key key;
    tk_crypto_cipher_state st;
    uint8_t buf[32] = {0};
    tk_view iv = {buf, 12};
    tk_view none = {NULL, 0};

    tk_crypto_fault_init(&fault, tk_test_crypto());
    t = &fault.table;
    tk_test_symmetric(&key, "000102030405060708090a0b0c0d0e0f");

    /* Failing the second call (an update) releases the state. */
    tk_crypto_fault_arm(&fault, 2, TK_ERR_CRYPTO_FAULT_INJECTED);
    assert_tk_err(t->cipher_start(t->ctx, &st, TK_ALG_A128GCM, &key, iv,
                                  none, TK_CRYPTO_DECRYPT),
                  TK_OK);
    assert_tk_err(t->cipher_update(t->ctx, &st, buf, 16, buf),
                  TK_ERR_CRYPTO_FAULT_INJECTED);
    assert_tk_err(t->cipher_update(t->ctx, &st, buf, 16, buf), TK_ERR_STATE);
    t->cipher_abort(t->ctx, &st);

    /* Every call from the first on fails with fail_after. */
    tk_crypto_fault_arm(&fault, 1, TK_ERR_CRYPTO_RANDOM);
    fault.fail_after = true;
    assert_tk_err(t->random(t->ctx, buf, 8), TK_ERR_CRYPTO_RANDOM);
    assert_tk_err(t->random(t->ctx, buf, 8), TK_ERR_CRYPTO_RANDOM);
    assert_int_equal(fault.failures, 2);

    /* A failed hash start leaves a state that abort accepts. */
    tk_crypto_hash_state hs;
    assert_tk_err(t->hash_start(t->ctx, &hs, TK_ALG_SHA256),
                  TK_ERR_CRYPTO_RANDOM);
    t->hash_abort(t->ctx, &hs);
    tk_key_release(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_release_wipes),
        cmocka_unit_test(test_wipe_and_ct_equal),
        cmocka_unit_test(test_ct_equal_every_position),
        cmocka_unit_test(test_algorithm_sizes),
        cmocka_unit_test(test_symmetric_key_limits),
        cmocka_unit_test(test_import_rejects_bad_ec_keys),
        cmocka_unit_test(test_import_compressed_point),
        cmocka_unit_test(test_import_keeps_kid_and_exports),
        cmocka_unit_test(test_generate_sign_roundtrip),
        cmocka_unit_test(test_generate_ecdh_roundtrip),
        cmocka_unit_test(test_supports_matches_operations),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_hash_stream_chunks),
        cmocka_unit_test(test_hash_finish_small_buffer),
        cmocka_unit_test(test_ctr_counter_carry),
        cmocka_unit_test(test_fault_fails_each_call),
        cmocka_unit_test(test_fault_releases_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
