/*
 * Known-answer tests of the device crypto configuration on Cortex-M4: the
 * Mbed TLS backend built with embedded/mbedtls/tk_mbedtls_config.h. Each
 * algorithm that the device side uses is checked against its defining
 * document, and the algorithms the configuration leaves out must fail.
 */
#include "target_util.h"
#include "tk_dev_crypto.h"
#include "tk_runner.h"

/* FIPS 180-2 appendix B.1, in one call and streamed in three parts. */
static void sha256_abc(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_view abc = TK_VIEW_STR("abc");
    tk_view expected = tkt_hex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t md[32];
    size_t len = 0;
    tk_crypto_hash_state st;

    TK_CHECK_OK(c->hash(c->ctx, TK_ALG_SHA256, &abc, 1, md, sizeof(md), &len));
    TK_CHECK_INT(len, 32);
    TK_CHECK_MEM(md, expected.ptr, 32);

    TK_CHECK_OK(c->hash_start(c->ctx, &st, TK_ALG_SHA256));
    TK_CHECK_OK(c->hash_update(c->ctx, &st, (const uint8_t *)"a", 1));
    TK_CHECK_OK(c->hash_update(c->ctx, &st, NULL, 0));
    TK_CHECK_OK(c->hash_update(c->ctx, &st, (const uint8_t *)"bc", 2));
    TK_CHECK_OK(c->hash_finish(c->ctx, &st, md, sizeof(md), &len));
    TK_CHECK_MEM(md, expected.ptr, 32);
    /* A finished state must be started again. */
    TK_CHECK_ERR(c->hash_update(c->ctx, &st, md, 1), TK_ERR_STATE);
}

/* RFC 4231 section 4.3 (test case 2), the message in two parts. */
static void hmac_sha256_rfc4231(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_view parts[2] = {TK_VIEW_STR("what do ya want "),
                        TK_VIEW_STR("for nothing?")};
    tk_view expected = tkt_hex("5bdcc146bf60754e6a042426089575c7"
                               "5a003f089d2739839dec58b964ec3843");
    uint8_t tag[32];
    size_t len = 0;

    TK_CHECK_OK(tk_key_init_symmetric(&key, TK_VIEW_STR("Jefe")));
    TK_CHECK_OK(c->mac(c->ctx, TK_ALG_HMAC_256_256, &key, parts, 2, tag,
                       sizeof(tag), &len));
    TK_CHECK_INT(len, 32);
    TK_CHECK_MEM(tag, expected.ptr, 32);
    tk_key_release(&key);
}

/* RFC 5869 appendix A.1. */
static void hkdf_sha256_rfc5869(void)
{
    const tk_crypto *c = tkt_crypto();
    uint8_t okm[42];
    tk_view expected = tkt_hex("3cb25f25faacd57a90434f64d0362f2a"
                               "2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                               "34007208d5b887185865");

    TK_CHECK_OK(c->hkdf(c->ctx, TK_ALG_SHA256,
                        tkt_hex("000102030405060708090a0b0c"),
                        tkt_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                        tkt_hex("f0f1f2f3f4f5f6f7f8f9"), okm, sizeof(okm)));
    TK_CHECK_MEM(okm, expected.ptr, sizeof(okm));
}

/* RFC 3394 section 4.1, and a flipped bit rejected with the output
 * wiped. */
static void aes_key_wrap_rfc3394(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key kek;
    tk_view plain = tkt_hex("00112233445566778899aabbccddeeff");
    tk_view wrapped =
        tkt_hex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
    uint8_t out[24];
    uint8_t bad[24];
    size_t len = 0;

    TK_CHECK_OK(tk_key_init_symmetric(
        &kek, tkt_hex("000102030405060708090a0b0c0d0e0f")));
    TK_CHECK_OK(c->key_wrap(c->ctx, TK_ALG_A128KW, &kek, plain, out,
                            sizeof(out), &len));
    TK_CHECK_INT(len, 24);
    TK_CHECK_MEM(out, wrapped.ptr, 24);
    TK_CHECK_OK(c->key_unwrap(c->ctx, TK_ALG_A128KW, &kek, wrapped, out,
                              sizeof(out), &len));
    TK_CHECK_INT(len, 16);
    TK_CHECK_MEM(out, plain.ptr, 16);

    memcpy(bad, wrapped.ptr, sizeof(bad));
    bad[23] ^= 1;
    TK_CHECK_ERR(c->key_unwrap(c->ctx, TK_ALG_A128KW, &kek,
                               (tk_view){bad, sizeof(bad)}, out, sizeof(out),
                               &len),
                 TK_ERR_CRYPTO_UNWRAP_INVALID);
    TK_CHECK_INT(len, 0);
    for (size_t i = 0; i < 16; i++) {
        TK_CHECK_INT(out[i], 0);
    }
    tk_key_release(&kek);
}

/* The GCM specification's test case 4 (McGrew and Viega, appendix B):
 * one-shot encryption, streamed decryption, and a flipped tag bit. */
static void aes_gcm_test_case_4(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_view iv = tkt_hex("cafebabefacedbaddecaf888");
    tk_view aad = tkt_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    tk_view plain = tkt_hex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    tk_view expected = tkt_hex(
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
        "5bc94fbc3221a5db94fae95ae7121a47");
    uint8_t out[80];
    size_t len = 0;
    tk_crypto_cipher_state st;
    static const size_t chunks[] = {5, 11, 16, 1, 0, 27};
    size_t pos = 0;

    TK_CHECK_OK(tk_key_init_symmetric(
        &key, tkt_hex("feffe9928665731c6d6a8f9467308308")));
    TK_CHECK_OK(c->aead_encrypt(c->ctx, TK_ALG_A128GCM, &key, iv, aad, plain,
                                out, sizeof(out), &len));
    TK_CHECK_INT(len, expected.len);
    TK_CHECK_MEM(out, expected.ptr, expected.len);

    TK_CHECK_OK(c->cipher_start(c->ctx, &st, TK_ALG_A128GCM, &key, iv, aad,
                                TK_CRYPTO_DECRYPT));
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        TK_CHECK_OK(c->cipher_update(c->ctx, &st, expected.ptr + pos,
                                     chunks[i], out + pos));
        pos += chunks[i];
    }
    TK_CHECK_INT(pos, plain.len);
    TK_CHECK_OK(c->cipher_finish(c->ctx, &st,
                                 (tk_view){expected.ptr + plain.len, 16},
                                 NULL, 0));
    TK_CHECK_MEM(out, plain.ptr, plain.len);

    memcpy(out, expected.ptr, expected.len);
    out[expected.len - 1] ^= 1;
    TK_CHECK_ERR(c->aead_decrypt(c->ctx, TK_ALG_A128GCM, &key, iv, aad,
                                 (tk_view){out, expected.len}, out,
                                 sizeof(out), &len),
                 TK_ERR_CRYPTO_TAG_INVALID);
    tk_key_release(&key);
}

/* NIST SP 800-38A appendix F.5.1 (CTR-AES128.Encrypt) in uneven chunks. */
static void aes_ctr_sp800_38a(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_view iv = tkt_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    tk_view plain = tkt_hex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    tk_view cipher = tkt_hex(
        "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
        "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee");
    static const size_t chunks[] = {1, 15, 17, 0, 3, 28};
    tk_crypto_cipher_state st;
    uint8_t out[64];
    size_t pos = 0;

    TK_CHECK_OK(tk_key_init_symmetric(
        &key, tkt_hex("2b7e151628aed2a6abf7158809cf4f3c")));
    TK_CHECK_OK(c->cipher_start(c->ctx, &st, TK_ALG_A128CTR, &key, iv,
                                (tk_view){NULL, 0}, TK_CRYPTO_ENCRYPT));
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        TK_CHECK_OK(c->cipher_update(c->ctx, &st, plain.ptr + pos, chunks[i],
                                     out + pos));
        pos += chunks[i];
    }
    TK_CHECK_INT(pos, 64);
    TK_CHECK_OK(c->cipher_finish(c->ctx, &st, (tk_view){NULL, 0}, NULL, 0));
    TK_CHECK_MEM(out, cipher.ptr, 64);
    tk_key_release(&key);
}

/* RFC 6979 appendix A.2.5 (P-256, SHA-256, "sample"). The device
 * configuration signs deterministically, so the signature equals the
 * RFC's byte for byte. */
static void ecdsa_p256_rfc6979(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_view parts[2] = {TK_VIEW_STR("sam"), TK_VIEW_STR("ple")};
    tk_view expected = tkt_hex(
        "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
        "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    tk_view x = tkt_hex(
        "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6");
    uint8_t sig[64];
    size_t len = 0;

    TK_CHECK_OK(tkt_import_p256(
        &key, NULL, NULL,
        "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"));
    /* The public key is derived from d alone. */
    TK_CHECK_INT(key.coord_len, 32);
    TK_CHECK_MEM(key.x, x.ptr, 32);
    TK_CHECK_OK(c->sign(c->ctx, TK_ALG_ES256, &key, parts, 2, sig,
                        sizeof(sig), &len));
    TK_CHECK_INT(len, 64);
    TK_CHECK_MEM(sig, expected.ptr, 64);
    TK_CHECK_OK(c->verify(c->ctx, TK_ALG_ESP256, &key, parts, 2, expected));
    sig[10] ^= 1;
    TK_CHECK_ERR(c->verify(c->ctx, TK_ALG_ES256, &key, parts, 2,
                           (tk_view){sig, 64}),
                 TK_ERR_CRYPTO_SIGNATURE_INVALID);
    TK_CHECK_ERR(c->verify(c->ctx, TK_ALG_ES256, &key, parts, 1, expected),
                 TK_ERR_CRYPTO_SIGNATURE_INVALID);
    tk_key_release(&key);
}

/* RFC 5903 section 8.1. */
static void ecdh_p256_rfc5903(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key ours;
    tk_key peer;
    uint8_t secret[32];
    size_t len = 0;
    tk_view expected = tkt_hex(
        "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de");

    TK_CHECK_OK(tkt_import_p256(
        &ours,
        "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
        "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
        "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433"));
    TK_CHECK_OK(tkt_import_p256(
        &peer,
        "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
        "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
        NULL));
    TK_CHECK_OK(c->ecdh(c->ctx, &ours, &peer, secret, sizeof(secret), &len));
    TK_CHECK_INT(len, 32);
    TK_CHECK_MEM(secret, expected.ptr, 32);
    tk_key_release(&peer);
    tk_key_release(&ours);
}

/* A generated key pair signs and verifies, and a point off the curve is
 * rejected at import. */
static void p256_generate_and_check(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_key bad;
    tk_view msg = TK_VIEW_STR("device");
    uint8_t sig[64];
    size_t len = 0;

    tk_key_init(&key);
    TK_CHECK_OK(c->key_generate(c->ctx, TK_CRV_P256, &key));
    TK_CHECK(key.has_private);
    TK_CHECK_OK(c->sign(c->ctx, TK_ALG_ESP256, &key, &msg, 1, sig,
                        sizeof(sig), &len));
    TK_CHECK_OK(c->verify(c->ctx, TK_ALG_ESP256, &key, &msg, 1,
                          (tk_view){sig, len}));
    tk_key_release(&key);

    /* RFC 5903's x with y + 1 is not on P-256. */
    TK_CHECK_ERR(
        tkt_import_p256(
            &bad,
            "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
            "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ac",
            NULL),
        TK_ERR_CRYPTO_KEY_INVALID);
}

/* What the device configuration leaves out (SHA-384/512,
 * ChaCha20/Poly1305, P-384, Curve25519) is unsupported, both in
 * supports() and in every call, instead of failing while it computes. */
static void absent_algorithms_fail(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_view abc = TK_VIEW_STR("abc");
    uint8_t md[64];
    uint8_t out[64];
    size_t len = 1;
    tk_key key;
    tk_key_params params;
    tk_crypto_hash_state hash;
    tk_crypto_cipher_state cipher;

    static const tk_alg absent[] = {
        TK_ALG_SHA384,        TK_ALG_SHA512,        TK_ALG_HMAC_384_384,
        TK_ALG_HMAC_512_512,  TK_ALG_CHACHA20_POLY1305, TK_ALG_ES384,
        TK_ALG_ESP384,        TK_ALG_EDDSA,         TK_ALG_ED25519};
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        TK_CHECK_ERR(c->supports(c->ctx, absent[i], TK_CRV_NONE),
                     TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    TK_CHECK_ERR(c->supports(c->ctx, TK_ALG_NONE, TK_CRV_P384),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    TK_CHECK_ERR(c->supports(c->ctx, TK_ALG_NONE, TK_CRV_X25519),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    static const tk_alg present[] = {
        TK_ALG_SHA256, TK_ALG_HMAC_256_256, TK_ALG_ES256, TK_ALG_ESP256,
        TK_ALG_A128KW, TK_ALG_A128GCM,      TK_ALG_A128CTR};
    for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++)
        TK_CHECK_OK(c->supports(c->ctx, present[i], TK_CRV_NONE));
    TK_CHECK_OK(c->supports(c->ctx, TK_ALG_NONE, TK_CRV_P256));
    TK_CHECK_OK(c->supports(c->ctx, TK_ALG_ESP256, TK_CRV_P256));

    TK_CHECK_ERR(c->hash(c->ctx, TK_ALG_SHA384, &abc, 1, md, sizeof(md),
                         &len),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    TK_CHECK_INT(len, 0);
    TK_CHECK_ERR(c->hash_start(c->ctx, &hash, TK_ALG_SHA512),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    c->hash_abort(c->ctx, &hash);

    tk_key_init(&key);
    TK_CHECK_OK(tk_key_init_symmetric(&key, tkt_hex("000102030405060708090a"
                                                    "0b0c0d0e0f101112131415"
                                                    "161718191a1b1c1d1e1f")));
    TK_CHECK_ERR(c->mac(c->ctx, TK_ALG_HMAC_512_512, &key, &abc, 1, md,
                        sizeof(md), &len),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    TK_CHECK_ERR(c->hkdf(c->ctx, TK_ALG_SHA512, (tk_view){NULL, 0}, abc,
                         (tk_view){NULL, 0}, md, 32),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    tk_view nonce = tkt_hex("000000000000000000000000");
    TK_CHECK_ERR(c->aead_encrypt(c->ctx, TK_ALG_CHACHA20_POLY1305, &key,
                                 nonce, (tk_view){NULL, 0}, abc, out,
                                 sizeof(out), &len),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    TK_CHECK_ERR(c->cipher_start(c->ctx, &cipher, TK_ALG_CHACHA20_POLY1305,
                                 &key, nonce, (tk_view){NULL, 0},
                                 TK_CRYPTO_DECRYPT),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    c->cipher_abort(c->ctx, &cipher);
    tk_key_release(&key);

    memset(&params, 0, sizeof(params));
    params.kty = TK_KTY_EC2;
    params.crv = TK_CRV_P384;
    params.d = tkt_hex("0100000000000000000000000000000000000000000000000000"
                       "00000000000000000000000000000000000000000000");
    TK_CHECK_ERR(c->key_import(c->ctx, &params, &key),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    params.kty = TK_KTY_OKP;
    params.crv = TK_CRV_X25519;
    params.d = tkt_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992a"
                       "b177fba51db92c2a");
    TK_CHECK_ERR(c->key_import(c->ctx, &params, &key),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    TK_CHECK_ERR(c->key_generate(c->ctx, TK_CRV_P384, &key),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    TK_CHECK_ERR(c->key_generate(c->ctx, TK_CRV_X25519, &key),
                 TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    tk_key_release(&key);
}

/* The arena held every operation above. */
static void heap_within_arena(void)
{
    size_t used = tk_dev_heap_high_water();

    tk_runner_note("Mbed TLS arena high-water mark (bytes):", (int64_t)used);
    TK_CHECK(used > 0);
    TK_CHECK(used < TK_DEV_HEAP_SIZE);
}

int main(void)
{
    static const tk_runner_case cases[] = {
        TK_RUNNER_CASE(sha256_abc),
        TK_RUNNER_CASE(hmac_sha256_rfc4231),
        TK_RUNNER_CASE(hkdf_sha256_rfc5869),
        TK_RUNNER_CASE(aes_key_wrap_rfc3394),
        TK_RUNNER_CASE(aes_gcm_test_case_4),
        TK_RUNNER_CASE(aes_ctr_sp800_38a),
        TK_RUNNER_CASE(ecdsa_p256_rfc6979),
        TK_RUNNER_CASE(ecdh_p256_rfc5903),
        TK_RUNNER_CASE(p256_generate_and_check),
        TK_RUNNER_CASE(absent_algorithms_fail),
        TK_RUNNER_CASE(heap_within_arena),
    };

    if (tkt_crypto() == NULL) {
        return 100;
    }
    return tk_runner_main("device crypto", cases,
                          sizeof(cases) / sizeof(cases[0]));
}
