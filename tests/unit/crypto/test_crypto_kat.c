/*
 * Known-answer tests of every primitive, from the RFCs and NIST documents
 * that define them. Built once per backend; an algorithm the backend does
 * not support must fail with TK_ERR_CRYPTO_UNSUPPORTED_ALG.
 */
#include "crypto_test.h"

/* RFC 8439 section 2.8.2 plaintext. */
static const char sunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only "
    "one tip for the future, sunscreen would be it.";

static void test_sha2_abc(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_view abc = TK_VIEW_STR("abc");
    uint8_t md[TK_CRYPTO_MAX_HASH_SIZE];
    size_t len = 0;
    static const struct {
        tk_alg alg;
        const char *digest;
    } cases[] = {
        /* FIPS 180-2 appendices B.1, D.1 and C.1. */
        {TK_ALG_SHA256,
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {TK_ALG_SHA384,
         "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
         "8086072ba1e7cc2358baeca134c825a7"},
        {TK_ALG_SHA512,
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_tk_err(c->hash(c->ctx, cases[i].alg, &abc, 1, md, sizeof(md),
                              &len),
                      TK_OK);
        tk_test_assert_bytes(md, len, tk_test_hex(cases[i].digest));
    }
}

static void test_sha256_parts_and_stream(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_view parts[3] = {TK_VIEW_STR("a"), {NULL, 0}, TK_VIEW_STR("bc")};
    tk_view expected = tk_test_hex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t md[32];
    size_t len = 0;

    assert_tk_err(c->hash(c->ctx, TK_ALG_SHA256, parts, 3, md, sizeof(md),
                          &len),
                  TK_OK);
    tk_test_assert_bytes(md, len, expected);

    tk_crypto_hash_state st;
    assert_tk_err(c->hash_start(c->ctx, &st, TK_ALG_SHA256), TK_OK);
    assert_tk_err(c->hash_update(c->ctx, &st, (const uint8_t *)"ab", 2),
                  TK_OK);
    assert_tk_err(c->hash_update(c->ctx, &st, NULL, 0), TK_OK);
    assert_tk_err(c->hash_update(c->ctx, &st, (const uint8_t *)"c", 1),
                  TK_OK);
    assert_tk_err(c->hash_finish(c->ctx, &st, md, sizeof(md), &len), TK_OK);
    tk_test_assert_bytes(md, len, expected);

    /* The state is ended: a further update is a state error. */
    assert_tk_err(c->hash_update(c->ctx, &st, (const uint8_t *)"c", 1),
                  TK_ERR_STATE);
    c->hash_abort(c->ctx, &st);
}

static void test_hash_errors(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_view abc = TK_VIEW_STR("abc");
    uint8_t md[64];
    size_t len = 99;

    assert_tk_err(c->hash(c->ctx, TK_ALG_SHA256, &abc, 1, md, 31, &len),
                  TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 32);
    assert_tk_err(c->hash(c->ctx, TK_ALG_A128GCM, &abc, 1, md, 64, &len),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    assert_tk_err(c->hash(c->ctx, TK_ALG_SHA256, NULL, 1, md, 64, &len),
                  TK_ERR_INVALID_ARG);

    tk_crypto_hash_state st;
    memset(&st, 0, sizeof(st));
    assert_tk_err(c->hash_update(c->ctx, &st, md, 1), TK_ERR_STATE);
    assert_tk_err(c->hash_finish(c->ctx, &st, md, 64, &len), TK_ERR_STATE);
    assert_tk_err(c->hash_start(c->ctx, &st, TK_ALG_HMAC_256_256),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
}

/* RFC 4231 sections 4.2 and 4.3 (test cases 1 and 2). */
static void test_hmac_rfc4231(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    uint8_t tag[TK_CRYPTO_MAX_MAC_SIZE];
    size_t len = 0;

    tk_test_symmetric(&key, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    tk_view msg = TK_VIEW_STR("Hi There");
    assert_tk_err(c->mac(c->ctx, TK_ALG_HMAC_256_256, &key, &msg, 1, tag,
                         sizeof(tag), &len),
                  TK_OK);
    tk_test_assert_bytes(tag, len,
                         tk_test_hex("b0344c61d8db38535ca8afceaf0bf12b"
                                     "881dc200c9833da726e9376c2e32cff7"));
    tk_key_release(&key);

    /* Key "Jefe", message split in two parts; HMAC 256/64 gives the full
     * tag too, because truncation is the COSE layer's job. */
    assert_tk_err(tk_key_init_symmetric(&key, TK_VIEW_STR("Jefe")), TK_OK);
    tk_view parts[2] = {TK_VIEW_STR("what do ya want "),
                        TK_VIEW_STR("for nothing?")};
    tk_view expected = tk_test_hex("5bdcc146bf60754e6a042426089575c7"
                                   "5a003f089d2739839dec58b964ec3843");
    assert_tk_err(c->mac(c->ctx, TK_ALG_HMAC_256_256, &key, parts, 2, tag,
                         sizeof(tag), &len),
                  TK_OK);
    tk_test_assert_bytes(tag, len, expected);
    assert_tk_err(c->mac(c->ctx, TK_ALG_HMAC_256_64, &key, parts, 2, tag,
                         sizeof(tag), &len),
                  TK_OK);
    tk_test_assert_bytes(tag, len, expected);

    assert_tk_err(c->mac(c->ctx, TK_ALG_HMAC_256_256, &key, parts, 2, tag,
                         31, &len),
                  TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 32);
    assert_tk_err(c->mac(c->ctx, TK_ALG_SHA256, &key, parts, 2, tag,
                         sizeof(tag), &len),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);

    /* The same case with HMAC-SHA-384 and HMAC-SHA-512 (RFC 4231
     * section 4.3). */
    assert_tk_err(c->mac(c->ctx, TK_ALG_HMAC_384_384, &key, parts, 2, tag,
                         sizeof(tag), &len),
                  TK_OK);
    tk_test_assert_bytes(tag, len,
                         tk_test_hex("af45d2e376484031617f78d2b58a6b1b"
                                     "9c7ef464f5a01b47e42ec3736322445e"
                                     "8e2240ca5e69e2c78b3239ecfab21649"));
    assert_tk_err(c->mac(c->ctx, TK_ALG_HMAC_512_512, &key, parts, 2, tag,
                         sizeof(tag), &len),
                  TK_OK);
    tk_test_assert_bytes(tag, len,
                         tk_test_hex("164b7a7bfcf819e2e395fbe73b56e0a3"
                                     "87bd64222e831fd610270cd7ea250554"
                                     "9758bf75c05a994a6d034f65f8f0e6fd"
                                     "caeab1a34d4a6b4b636e070a38bce737"));
    tk_key_release(&key);
}

/* RFC 5869 appendix A.1 and A.3. */
static void test_hkdf_rfc5869(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    uint8_t okm[42];
    tk_view ikm = tk_test_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");

    assert_tk_err(c->hkdf(c->ctx, TK_ALG_SHA256,
                          tk_test_hex("000102030405060708090a0b0c"), ikm,
                          tk_test_hex("f0f1f2f3f4f5f6f7f8f9"), okm,
                          sizeof(okm)),
                  TK_OK);
    tk_test_assert_bytes(okm, sizeof(okm),
                         tk_test_hex("3cb25f25faacd57a90434f64d0362f2a"
                                     "2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                                     "34007208d5b887185865"));

    tk_view empty = {NULL, 0};
    assert_tk_err(c->hkdf(c->ctx, TK_ALG_SHA256, empty, ikm, empty, okm,
                          sizeof(okm)),
                  TK_OK);
    tk_test_assert_bytes(okm, sizeof(okm),
                         tk_test_hex("8da4e775a563c18f715f802a063c5a31"
                                     "b8a11f5c5ee1879ec3454e5f3c738d2d"
                                     "9d201395faa4b61a96c8"));

    assert_tk_err(c->hkdf(c->ctx, TK_ALG_SHA256, empty, ikm, empty, okm, 0),
                  TK_ERR_CRYPTO_OUTPUT_LENGTH);
    uint8_t big[255 * 32 + 1];
    assert_tk_err(c->hkdf(c->ctx, TK_ALG_SHA256, empty, ikm, empty, big,
                          sizeof(big)),
                  TK_ERR_CRYPTO_OUTPUT_LENGTH);
    assert_tk_err(c->hkdf(c->ctx, TK_ALG_SHA256, empty, ikm, empty, big,
                          sizeof(big) - 1),
                  TK_OK);
    assert_tk_err(c->hkdf(c->ctx, TK_ALG_A128KW, empty, ikm, empty, okm, 16),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
}

/* RFC 3394 sections 4.1 (128-bit KEK, 128-bit key) and 4.6 (256-bit KEK,
 * 256-bit key). */
static void test_key_wrap_rfc3394(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    static const struct {
        tk_alg alg;
        const char *kek;
        const char *plain;
        const char *wrapped;
    } cases[] = {
        {TK_ALG_A128KW, "000102030405060708090a0b0c0d0e0f",
         "00112233445566778899aabbccddeeff",
         "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
        {TK_ALG_A256KW,
         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f",
         "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326"
         "cbc7f0e71a99f43bfb988b9b7a02dd21"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_key kek;
        uint8_t out[64];
        size_t len = 0;
        tk_view wrapped = tk_test_hex(cases[i].wrapped);
        tk_view plain = tk_test_hex(cases[i].plain);

        tk_test_symmetric(&kek, cases[i].kek);
        assert_tk_err(c->key_wrap(c->ctx, cases[i].alg, &kek, plain, out,
                                  sizeof(out), &len),
                      TK_OK);
        tk_test_assert_bytes(out, len, wrapped);
        assert_tk_err(c->key_unwrap(c->ctx, cases[i].alg, &kek, wrapped,
                                    out, sizeof(out), &len),
                      TK_OK);
        tk_test_assert_bytes(out, len, plain);

        /* One flipped bit fails the integrity check and wipes out. */
        uint8_t bad[40];
        memcpy(bad, wrapped.ptr, wrapped.len);
        bad[wrapped.len - 1] ^= 1;
        assert_tk_err(c->key_unwrap(c->ctx, cases[i].alg, &kek,
                                    (tk_view){bad, wrapped.len}, out,
                                    sizeof(out), &len),
                      TK_ERR_CRYPTO_UNWRAP_INVALID);
        assert_int_equal(len, 0);
        for (size_t j = 0; j < plain.len; j++) {
            assert_int_equal(out[j], 0);
        }
        tk_key_release(&kek);
    }
}

static void test_key_wrap_errors(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key kek;
    uint8_t in[40] = {0};
    uint8_t out[48];
    size_t len = 7;

    tk_test_symmetric(&kek, "000102030405060708090a0b0c0d0e0f");
    /* Not a multiple of 8, and below two blocks. */
    assert_tk_err(c->key_wrap(c->ctx, TK_ALG_A128KW, &kek,
                              (tk_view){in, 20}, out, sizeof(out), &len),
                  TK_ERR_CRYPTO_INPUT_LENGTH);
    assert_tk_err(c->key_wrap(c->ctx, TK_ALG_A128KW, &kek, (tk_view){in, 8},
                              out, sizeof(out), &len),
                  TK_ERR_CRYPTO_INPUT_LENGTH);
    assert_tk_err(c->key_unwrap(c->ctx, TK_ALG_A128KW, &kek,
                                (tk_view){in, 16}, out, sizeof(out), &len),
                  TK_ERR_CRYPTO_INPUT_LENGTH);
    assert_tk_err(c->key_unwrap(c->ctx, TK_ALG_A128KW, &kek,
                                (tk_view){in, 28}, out, sizeof(out), &len),
                  TK_ERR_CRYPTO_INPUT_LENGTH);
    /* The KEK length must match the algorithm. */
    assert_tk_err(c->key_wrap(c->ctx, TK_ALG_A256KW, &kek,
                              (tk_view){in, 16}, out, sizeof(out), &len),
                  TK_ERR_CRYPTO_KEY_INVALID);
    assert_tk_err(c->key_wrap(c->ctx, TK_ALG_A128KW, &kek,
                              (tk_view){in, 16}, out, 23, &len),
                  TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 24);
    assert_tk_err(c->key_wrap(c->ctx, TK_ALG_A128GCM, &kek,
                              (tk_view){in, 16}, out, sizeof(out), &len),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    tk_key_release(&kek);
}

/* RFC 8439 section 2.8.2. */
static void test_chacha20_poly1305_rfc8439(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    tk_view iv = tk_test_hex("070000004041424344454647");
    tk_view aad = tk_test_hex("50515253c0c1c2c3c4c5c6c7");
    tk_view plain = {(const uint8_t *)sunscreen, sizeof(sunscreen) - 1};
    tk_view expected = tk_test_hex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116"
        "1ae10b594f09e26a7e902ecbd0600691");
    uint8_t out[256];
    size_t len = 0;

    tk_test_symmetric(&key, "808182838485868788898a8b8c8d8e8f"
                            "909192939495969798999a9b9c9d9e9f");
    tk_err err = c->aead_encrypt(c->ctx, TK_ALG_CHACHA20_POLY1305, &key, iv,
                                 aad, plain, out, sizeof(out), &len);
    if (!tk_test_supports(c, TK_ALG_CHACHA20_POLY1305, TK_CRV_NONE)) {
        assert_tk_err(err, TK_ERR_CRYPTO_UNSUPPORTED_ALG);
        tk_key_release(&key);
        return;
    }
    assert_tk_err(err, TK_OK);
    tk_test_assert_bytes(out, len, expected);

    assert_tk_err(c->aead_decrypt(c->ctx, TK_ALG_CHACHA20_POLY1305, &key, iv,
                                  aad, expected, out, sizeof(out), &len),
                  TK_OK);
    tk_test_assert_bytes(out, len, plain);

    /* Encrypt and decrypt in place. */
    memcpy(out, plain.ptr, plain.len);
    assert_tk_err(c->aead_encrypt(c->ctx, TK_ALG_CHACHA20_POLY1305, &key, iv,
                                  aad, (tk_view){out, plain.len}, out,
                                  sizeof(out), &len),
                  TK_OK);
    tk_test_assert_bytes(out, len, expected);
    assert_tk_err(c->aead_decrypt(c->ctx, TK_ALG_CHACHA20_POLY1305, &key, iv,
                                  aad, (tk_view){out, len}, out, sizeof(out),
                                  &len),
                  TK_OK);
    tk_test_assert_bytes(out, len, plain);

    /* Altered AAD: tag mismatch, output wiped. */
    uint8_t aad2[12];
    memcpy(aad2, aad.ptr, sizeof(aad2));
    aad2[0] ^= 0x80;
    assert_tk_err(c->aead_decrypt(c->ctx, TK_ALG_CHACHA20_POLY1305, &key, iv,
                                  (tk_view){aad2, 12}, expected, out,
                                  sizeof(out), &len),
                  TK_ERR_CRYPTO_TAG_INVALID);
    assert_int_equal(len, 0);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[plain.len - 1], 0);
    tk_key_release(&key);
}

/* The GCM specification's test cases 2 and 4 (McGrew and Viega, "The
 * Galois/Counter Mode of Operation", appendix B), as in NIST's GCM
 * validation data. */
static void test_aes_gcm_vectors(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    static const struct {
        const char *key;
        const char *iv;
        const char *aad;
        const char *plain;
        const char *out;
    } cases[] = {
        {"00000000000000000000000000000000", "000000000000000000000000", "",
         "00000000000000000000000000000000",
         "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf"},
        {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
         "feedfacedeadbeeffeedfacedeadbeefabaddad2",
         "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
         "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
         "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
         "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
         "5bc94fbc3221a5db94fae95ae7121a47"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_key key;
        uint8_t out[128];
        size_t len = 0;
        tk_view iv = tk_test_hex(cases[i].iv);
        tk_view aad = tk_test_hex(cases[i].aad);
        tk_view plain = tk_test_hex(cases[i].plain);
        tk_view expected = tk_test_hex(cases[i].out);

        tk_test_symmetric(&key, cases[i].key);
        assert_tk_err(c->aead_encrypt(c->ctx, TK_ALG_A128GCM, &key, iv, aad,
                                      plain, out, sizeof(out), &len),
                      TK_OK);
        tk_test_assert_bytes(out, len, expected);

        /* Encrypt and decrypt in place. */
        memcpy(out, plain.ptr, plain.len);
        assert_tk_err(c->aead_encrypt(c->ctx, TK_ALG_A128GCM, &key, iv, aad,
                                      (tk_view){out, plain.len}, out,
                                      sizeof(out), &len),
                      TK_OK);
        tk_test_assert_bytes(out, len, expected);
        memcpy(out, expected.ptr, expected.len);
        assert_tk_err(c->aead_decrypt(c->ctx, TK_ALG_A128GCM, &key, iv, aad,
                                      (tk_view){out, expected.len}, out,
                                      sizeof(out), &len),
                      TK_OK);
        tk_test_assert_bytes(out, len, plain);

        /* A flipped tag bit is rejected. */
        memcpy(out, expected.ptr, expected.len);
        out[expected.len - 1] ^= 1;
        assert_tk_err(c->aead_decrypt(c->ctx, TK_ALG_A128GCM, &key, iv, aad,
                                      (tk_view){out, expected.len}, out,
                                      sizeof(out), &len),
                      TK_ERR_CRYPTO_TAG_INVALID);
        tk_key_release(&key);
    }
}

static void test_aead_errors(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    uint8_t buf[64] = {0};
    size_t len = 5;
    tk_view iv12 = {buf, 12};
    tk_view none = {NULL, 0};

    tk_test_symmetric(&key, "000102030405060708090a0b0c0d0e0f");
    assert_tk_err(c->aead_encrypt(c->ctx, TK_ALG_A128GCM, &key,
                                  (tk_view){buf, 8}, none, (tk_view){buf, 4},
                                  buf + 32, 32, &len),
                  TK_ERR_CRYPTO_IV_LENGTH);
    assert_tk_err(c->aead_encrypt(c->ctx, TK_ALG_A256GCM, &key, iv12, none,
                                  (tk_view){buf, 4}, buf + 32, 32, &len),
                  TK_ERR_CRYPTO_KEY_INVALID);
    assert_tk_err(c->aead_encrypt(c->ctx, TK_ALG_A128GCM, &key, iv12, none,
                                  (tk_view){buf, 4}, buf + 32, 19, &len),
                  TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 20);
    assert_tk_err(c->aead_decrypt(c->ctx, TK_ALG_A128GCM, &key, iv12, none,
                                  (tk_view){buf, 15}, buf + 32, 32, &len),
                  TK_ERR_CRYPTO_INPUT_LENGTH);
    assert_tk_err(c->aead_encrypt(c->ctx, TK_ALG_A128CTR, &key, iv12, none,
                                  (tk_view){buf, 4}, buf + 32, 32, &len),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    tk_key_release(&key);

    /* An EC key is not an AEAD key. */
    tk_key ec;
    tk_key_init(&ec);
    ec.kty = TK_KTY_EC2;
    assert_tk_err(c->aead_encrypt(c->ctx, TK_ALG_A128GCM, &ec, iv12, none,
                                  (tk_view){buf, 4}, buf + 32, 32, &len),
                  TK_ERR_CRYPTO_KEY_MISMATCH);
}

/* NIST SP 800-38A appendix F.5.1 (CTR-AES128.Encrypt), streamed in
 * uneven chunks, and F.5.2 for decryption. */
static void test_aes_ctr_sp800_38a(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    tk_view iv = tk_test_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    tk_view plain = tk_test_hex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    tk_view cipher = tk_test_hex(
        "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
        "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee");
    static const size_t chunks[] = {1, 15, 17, 0, 3, 28};
    uint8_t out[64];
    tk_crypto_cipher_state st;
    tk_view none = {NULL, 0};

    tk_test_symmetric(&key, "2b7e151628aed2a6abf7158809cf4f3c");
    for (int dir = TK_CRYPTO_ENCRYPT; dir <= TK_CRYPTO_DECRYPT; dir++) {
        tk_view in = dir == TK_CRYPTO_ENCRYPT ? plain : cipher;
        tk_view expected = dir == TK_CRYPTO_ENCRYPT ? cipher : plain;
        size_t pos = 0;

        assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A128CTR, &key, iv,
                                      none, (tk_crypto_dir)dir),
                      TK_OK);
        for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
            assert_tk_err(c->cipher_update(c->ctx, &st, in.ptr + pos,
                                           chunks[i], out + pos),
                          TK_OK);
            pos += chunks[i];
        }
        assert_int_equal(pos, 64);
        assert_tk_err(c->cipher_finish(c->ctx, &st, none, NULL, 0), TK_OK);
        tk_test_assert_bytes(out, pos, expected);
    }

    /* CTR takes a 16-byte IV and no AAD. */
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A128CTR, &key,
                                  (tk_view){iv.ptr, 12}, none,
                                  TK_CRYPTO_ENCRYPT),
                  TK_ERR_CRYPTO_IV_LENGTH);
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A128CTR, &key, iv, iv,
                                  TK_CRYPTO_ENCRYPT),
                  TK_ERR_INVALID_ARG);
    /* ChaCha20/Poly1305 streams too, but needs a 32-byte key. */
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_CHACHA20_POLY1305,
                                  &key, (tk_view){iv.ptr, 12}, none,
                                  TK_CRYPTO_ENCRYPT),
                  TK_ERR_CRYPTO_KEY_INVALID);
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A128KW, &key, iv, none,
                                  TK_CRYPTO_ENCRYPT),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    tk_key_release(&key);
}

/* The RFC 8439 section 2.8.2 vector streamed in uneven chunks, in both
 * directions, then in place with a wrong tag and a wrong IV length. */
static void test_chacha20_poly1305_streaming(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    tk_view iv = tk_test_hex("070000004041424344454647");
    tk_view aad = tk_test_hex("50515253c0c1c2c3c4c5c6c7");
    tk_view plain = {(const uint8_t *)sunscreen, sizeof(sunscreen) - 1};
    tk_view cipher = tk_test_hex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116");
    tk_view tag = tk_test_hex("1ae10b594f09e26a7e902ecbd0600691");
    /* Chunks across the 64-byte ChaCha20 block and 16-byte Poly1305
     * block boundaries, with an empty one: 114 bytes. */
    static const size_t chunks[] = {1, 15, 0, 17, 31, 2, 48};
    uint8_t out[114];
    uint8_t tag_out[16];
    tk_crypto_cipher_state st;
    tk_view none = {NULL, 0};

    assert_int_equal(plain.len, sizeof(out));
    tk_test_symmetric(&key, "808182838485868788898a8b8c8d8e8f"
                            "909192939495969798999a9b9c9d9e9f");
    for (int dir = TK_CRYPTO_ENCRYPT; dir <= TK_CRYPTO_DECRYPT; dir++) {
        tk_view in = dir == TK_CRYPTO_ENCRYPT ? plain : cipher;
        tk_view expected = dir == TK_CRYPTO_ENCRYPT ? cipher : plain;
        size_t pos = 0;

        assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_CHACHA20_POLY1305,
                                      &key, iv, aad, (tk_crypto_dir)dir),
                      TK_OK);
        for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
            assert_tk_err(c->cipher_update(c->ctx, &st, in.ptr + pos,
                                           chunks[i], out + pos),
                          TK_OK);
            pos += chunks[i];
        }
        assert_int_equal(pos, sizeof(out));
        if (dir == TK_CRYPTO_ENCRYPT) {
            assert_tk_err(c->cipher_finish(c->ctx, &st, none, tag_out, 16),
                          TK_OK);
            tk_test_assert_bytes(tag_out, 16, tag);
        } else {
            assert_tk_err(c->cipher_finish(c->ctx, &st, tag, NULL, 0), TK_OK);
        }
        tk_test_assert_bytes(out, pos, expected);
    }

    /* In place, all at once: a wrong tag is caught at finish. */
    uint8_t bad_tag[16];
    memcpy(bad_tag, tag.ptr, 16);
    bad_tag[15] ^= 0x01;
    memcpy(out, cipher.ptr, cipher.len);
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_CHACHA20_POLY1305, &key,
                                  iv, aad, TK_CRYPTO_DECRYPT),
                  TK_OK);
    assert_tk_err(c->cipher_update(c->ctx, &st, out, sizeof(out), out),
                  TK_OK);
    tk_test_assert_bytes(out, sizeof(out), plain);
    assert_tk_err(c->cipher_finish(c->ctx, &st, (tk_view){bad_tag, 16}, NULL,
                                   0),
                  TK_ERR_CRYPTO_TAG_INVALID);
    assert_tk_err(c->cipher_finish(c->ctx, &st, tag, NULL, 0), TK_ERR_STATE);

    /* Other AAD gives another tag; a short tag is rejected. */
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_CHACHA20_POLY1305, &key,
                                  iv, none, TK_CRYPTO_DECRYPT),
                  TK_OK);
    assert_tk_err(c->cipher_update(c->ctx, &st, cipher.ptr, cipher.len, out),
                  TK_OK);
    assert_tk_err(c->cipher_finish(c->ctx, &st, tag, NULL, 0),
                  TK_ERR_CRYPTO_TAG_INVALID);
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_CHACHA20_POLY1305, &key,
                                  iv, aad, TK_CRYPTO_DECRYPT),
                  TK_OK);
    assert_tk_err(c->cipher_finish(c->ctx, &st, (tk_view){tag.ptr, 15}, NULL,
                                   0),
                  TK_ERR_CRYPTO_INPUT_LENGTH);

    /* The nonce is 96 bits; abort releases a started state. */
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_CHACHA20_POLY1305, &key,
                                  (tk_view){iv.ptr, 8}, aad,
                                  TK_CRYPTO_ENCRYPT),
                  TK_ERR_CRYPTO_IV_LENGTH);
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_CHACHA20_POLY1305, &key,
                                  iv, aad, TK_CRYPTO_ENCRYPT),
                  TK_OK);
    c->cipher_abort(c->ctx, &st);
    assert_tk_err(c->cipher_update(c->ctx, &st, out, 1, out), TK_ERR_STATE);
    tk_key_release(&key);
}

/* GCM test case 4 again, streamed in uneven chunks, in both directions. */
static void test_aes_gcm_streaming(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    tk_view iv = tk_test_hex("cafebabefacedbaddecaf888");
    tk_view aad = tk_test_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    tk_view plain = tk_test_hex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    tk_view cipher = tk_test_hex(
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
    tk_view tag = tk_test_hex("5bc94fbc3221a5db94fae95ae7121a47");
    static const size_t chunks[] = {5, 11, 16, 1, 0, 27};
    uint8_t out[60];
    uint8_t tag_out[16];
    tk_crypto_cipher_state st;
    tk_view none = {NULL, 0};

    tk_test_symmetric(&key, "feffe9928665731c6d6a8f9467308308");
    for (int dir = TK_CRYPTO_ENCRYPT; dir <= TK_CRYPTO_DECRYPT; dir++) {
        tk_view in = dir == TK_CRYPTO_ENCRYPT ? plain : cipher;
        tk_view expected = dir == TK_CRYPTO_ENCRYPT ? cipher : plain;
        size_t pos = 0;

        assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A128GCM, &key, iv,
                                      aad, (tk_crypto_dir)dir),
                      TK_OK);
        for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
            assert_tk_err(c->cipher_update(c->ctx, &st, in.ptr + pos,
                                           chunks[i], out + pos),
                          TK_OK);
            pos += chunks[i];
        }
        assert_int_equal(pos, 60);
        if (dir == TK_CRYPTO_ENCRYPT) {
            assert_tk_err(c->cipher_finish(c->ctx, &st, none, tag_out, 16),
                          TK_OK);
            tk_test_assert_bytes(tag_out, 16, tag);
        } else {
            assert_tk_err(c->cipher_finish(c->ctx, &st, tag, NULL, 0), TK_OK);
        }
        tk_test_assert_bytes(out, pos, expected);
    }

    /* A wrong tag is caught at finish, in place decryption. */
    uint8_t bad_tag[16];
    memcpy(bad_tag, tag.ptr, 16);
    bad_tag[3] ^= 0x10;
    memcpy(out, cipher.ptr, cipher.len);
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A128GCM, &key, iv, aad,
                                  TK_CRYPTO_DECRYPT),
                  TK_OK);
    assert_tk_err(c->cipher_update(c->ctx, &st, out, 60, out), TK_OK);
    assert_tk_err(c->cipher_finish(c->ctx, &st, (tk_view){bad_tag, 16}, NULL,
                                   0),
                  TK_ERR_CRYPTO_TAG_INVALID);
    /* The state is released: finish again is a state error. */
    assert_tk_err(c->cipher_finish(c->ctx, &st, tag, NULL, 0), TK_ERR_STATE);

    /* Abort releases a started state, and twice is harmless. */
    assert_tk_err(c->cipher_start(c->ctx, &st, TK_ALG_A128GCM, &key, iv, aad,
                                  TK_CRYPTO_ENCRYPT),
                  TK_OK);
    c->cipher_abort(c->ctx, &st);
    c->cipher_abort(c->ctx, &st);
    assert_tk_err(c->cipher_update(c->ctx, &st, out, 1, out), TK_ERR_STATE);
    tk_key_release(&key);
}

/* RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2. */
static void test_ed25519_rfc8032(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    uint8_t sig[64];
    size_t len = 0;
    tk_view msg = tk_test_hex("72");
    tk_view expected = tk_test_hex(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");

    tk_err err = tk_test_import(
        c, &key, TK_KTY_OKP, TK_CRV_ED25519, NULL, NULL,
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
    if (!tk_test_supports(c, TK_ALG_EDDSA, TK_CRV_ED25519)) {
        assert_tk_err(err, TK_ERR_CRYPTO_UNSUPPORTED_ALG);
        /* A hand-filled key is refused by sign and verify as well. */
        tk_key_init(&key);
        key.kty = TK_KTY_OKP;
        key.crv = TK_CRV_ED25519;
        key.coord_len = 32;
        key.has_public = true;
        key.has_private = true;
        assert_tk_err(c->sign(c->ctx, TK_ALG_EDDSA, &key, &msg, 1, sig,
                              sizeof(sig), &len),
                      TK_ERR_CRYPTO_UNSUPPORTED_ALG);
        assert_tk_err(c->verify(c->ctx, TK_ALG_ED25519, &key, &msg, 1,
                                expected),
                      TK_ERR_CRYPTO_UNSUPPORTED_ALG);
        assert_tk_err(c->key_generate(c->ctx, TK_CRV_ED25519, &key),
                      TK_ERR_CRYPTO_UNSUPPORTED_ALG);
        return;
    }
    assert_tk_err(err, TK_OK);
    /* The public key is derived from the private key. */
    tk_test_assert_bytes(key.x, key.coord_len,
                         tk_test_hex("3d4017c3e843895a92b70aa74d1b7ebc"
                                     "9c982ccf2ec4968cc0cd55f12af4660c"));
    assert_tk_err(c->sign(c->ctx, TK_ALG_EDDSA, &key, &msg, 1, sig,
                          sizeof(sig), &len),
                  TK_OK);
    tk_test_assert_bytes(sig, len, expected);
    assert_tk_err(c->verify(c->ctx, TK_ALG_ED25519, &key, &msg, 1, expected),
                  TK_OK);
    tk_key_release(&key);

    /* TEST 1: empty message, public key only. */
    assert_tk_err(tk_test_import(c, &key, TK_KTY_OKP, TK_CRV_ED25519,
                                 "d75a980182b10ab7d54bfed3c964073a"
                                 "0ee172f3daa62325af021a68f707511a",
                                 NULL, NULL),
                  TK_OK);
    tk_view sig1 = tk_test_hex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert_tk_err(c->verify(c->ctx, TK_ALG_EDDSA, &key, NULL, 0, sig1),
                  TK_OK);
    assert_tk_err(c->verify(c->ctx, TK_ALG_EDDSA, &key, &msg, 1, sig1),
                  TK_ERR_CRYPTO_SIGNATURE_INVALID);
    assert_tk_err(c->sign(c->ctx, TK_ALG_EDDSA, &key, NULL, 0, sig,
                          sizeof(sig), &len),
                  TK_ERR_CRYPTO_KEY_NOT_PRIVATE);
    /* EdDSA takes the message as one part. */
    tk_view two[2] = {msg, msg};
    assert_tk_err(c->verify(c->ctx, TK_ALG_EDDSA, &key, two, 2, sig1),
                  TK_ERR_INVALID_ARG);
    tk_key_release(&key);
}

/* RFC 6979 appendix A.2.5: P-256, SHA-256, message "sample". ECDSA
 * signatures are randomized in both backends, so the known signature is
 * verified and a fresh one is checked by verification. */
static void test_ecdsa_p256_rfc6979(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key key;
    tk_view sig = tk_test_hex(
        "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
        "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    tk_view parts[3] = {TK_VIEW_STR("sa"), TK_VIEW_STR("m"),
                        TK_VIEW_STR("ple")};
    uint8_t out[TK_CRYPTO_MAX_SIG_SIZE];
    size_t len = 0;

    assert_tk_err(
        tk_test_import(
            c, &key, TK_KTY_EC2, TK_CRV_P256, NULL, NULL,
            "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"),
        TK_OK);
    tk_test_assert_bytes(key.x, key.coord_len,
                         tk_test_hex("60fed4ba255a9d31c961eb74c6356d68"
                                     "c049b8923b61fa6ce669622e60f29fb6"));
    tk_test_assert_bytes(key.y, key.coord_len,
                         tk_test_hex("7903fe1008b8bc99a41ae9e95628bc64"
                                     "f2f1b20c2d7e9f5177a3c294d4462299"));
    assert_tk_err(c->verify(c->ctx, TK_ALG_ES256, &key, parts, 3, sig),
                  TK_OK);
    assert_tk_err(c->verify(c->ctx, TK_ALG_ESP256, &key, parts, 3, sig),
                  TK_OK);
    assert_tk_err(c->verify(c->ctx, TK_ALG_ES256, &key, parts, 2, sig),
                  TK_ERR_CRYPTO_SIGNATURE_INVALID);

    assert_tk_err(c->sign(c->ctx, TK_ALG_ESP256, &key, parts, 3, out,
                          sizeof(out), &len),
                  TK_OK);
    assert_int_equal(len, 64);
    assert_tk_err(c->verify(c->ctx, TK_ALG_ES256, &key, parts, 3,
                            (tk_view){out, len}),
                  TK_OK);
    out[10] ^= 1;
    assert_tk_err(c->verify(c->ctx, TK_ALG_ES256, &key, parts, 3,
                            (tk_view){out, len}),
                  TK_ERR_CRYPTO_SIGNATURE_INVALID);
    /* A truncated signature is an invalid signature, not a key error. */
    assert_tk_err(c->verify(c->ctx, TK_ALG_ES256, &key, parts, 3,
                            (tk_view){sig.ptr, 63}),
                  TK_ERR_CRYPTO_SIGNATURE_INVALID);
    /* The key must fit the algorithm. */
    assert_tk_err(c->verify(c->ctx, TK_ALG_ES384, &key, parts, 3, sig),
                  TK_ERR_CRYPTO_KEY_MISMATCH);
    /* Without EdDSA support, the algorithm is refused before the key. */
    assert_tk_err(c->verify(c->ctx, TK_ALG_EDDSA, &key, parts, 1, sig),
                  tk_test_supports(c, TK_ALG_EDDSA, TK_CRV_NONE)
                      ? TK_ERR_CRYPTO_KEY_MISMATCH
                      : TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    assert_tk_err(c->sign(c->ctx, TK_ALG_ES256, &key, parts, 3, out, 63,
                          &len),
                  TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 64);
    assert_tk_err(c->verify(c->ctx, TK_ALG_HMAC_256_256, &key, parts, 3, sig),
                  TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    tk_key_release(&key);
}

/* RFC 7748 section 6.1. */
static void test_x25519_rfc7748(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key alice;
    tk_key bob;
    uint8_t secret[TK_CRYPTO_MAX_SECRET_SIZE];
    size_t len = 0;
    tk_view shared = tk_test_hex(
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

    assert_tk_err(
        tk_test_import(
            c, &alice, TK_KTY_OKP, TK_CRV_X25519, NULL, NULL,
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
        TK_OK);
    tk_test_assert_bytes(alice.x, 32,
                         tk_test_hex("8520f0098930a754748b7ddcb43ef75a"
                                     "0dbf3a0d26381af4eba4a98eaa9b4e6a"));
    assert_tk_err(
        tk_test_import(
            c, &bob, TK_KTY_OKP, TK_CRV_X25519,
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            NULL, NULL),
        TK_OK);
    assert_tk_err(c->ecdh(c->ctx, &alice, &bob, secret, sizeof(secret), &len),
                  TK_OK);
    tk_test_assert_bytes(secret, len, shared);
    assert_tk_err(c->ecdh(c->ctx, &bob, &alice, secret, sizeof(secret), &len),
                  TK_ERR_CRYPTO_KEY_NOT_PRIVATE);
    tk_key_release(&bob);

    /* Bob's private key gives his public key and the same secret. */
    assert_tk_err(
        tk_test_import(
            c, &bob, TK_KTY_OKP, TK_CRV_X25519,
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            NULL,
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
        TK_OK);
    assert_tk_err(c->ecdh(c->ctx, &bob, &alice, secret, sizeof(secret), &len),
                  TK_OK);
    tk_test_assert_bytes(secret, len, shared);
    assert_tk_err(c->ecdh(c->ctx, &bob, &alice, secret, 31, &len),
                  TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 32);
    tk_key_release(&bob);

    /* A low-order peer point (zero) gives an all-zero secret. */
    assert_tk_err(
        tk_test_import(
            c, &bob, TK_KTY_OKP, TK_CRV_X25519,
            "0000000000000000000000000000000000000000000000000000000000000000",
            NULL, NULL),
        TK_OK);
    assert_tk_err(c->ecdh(c->ctx, &alice, &bob, secret, sizeof(secret), &len),
                  TK_ERR_CRYPTO_SHARED_SECRET_ZERO);
    assert_int_equal(len, 0);
    tk_key_release(&bob);
    tk_key_release(&alice);
}

/* RFC 5903 section 8.1: ECDH on P-256. */
static void test_ecdh_p256_rfc5903(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    tk_key ours;
    tk_key peer;
    uint8_t secret[TK_CRYPTO_MAX_SECRET_SIZE];
    size_t len = 0;

    assert_tk_err(
        tk_test_import(
            c, &ours, TK_KTY_EC2, TK_CRV_P256,
            "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
            "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
            "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433"),
        TK_OK);
    assert_tk_err(
        tk_test_import(
            c, &peer, TK_KTY_EC2, TK_CRV_P256,
            "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
            "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
            NULL),
        TK_OK);
    assert_tk_err(c->ecdh(c->ctx, &ours, &peer, secret, sizeof(secret), &len),
                  TK_OK);
    tk_test_assert_bytes(secret, len,
                         tk_test_hex("d6840f6b42f6edafd13116e0e1256520"
                                     "2fef8e9ece7dce03812464d04b9442de"));
    tk_key_release(&peer);

    /* Curves must match. */
    assert_tk_err(
        tk_test_import(
            c, &peer, TK_KTY_OKP, TK_CRV_X25519,
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            NULL, NULL),
        TK_OK);
    assert_tk_err(c->ecdh(c->ctx, &ours, &peer, secret, sizeof(secret), &len),
                  TK_ERR_CRYPTO_KEY_MISMATCH);
    tk_key_release(&peer);
    tk_key_release(&ours);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha2_abc),
        cmocka_unit_test(test_sha256_parts_and_stream),
        cmocka_unit_test(test_hash_errors),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_key_wrap_rfc3394),
        cmocka_unit_test(test_key_wrap_errors),
        cmocka_unit_test(test_chacha20_poly1305_rfc8439),
        cmocka_unit_test(test_aes_gcm_vectors),
        cmocka_unit_test(test_aead_errors),
        cmocka_unit_test(test_aes_ctr_sp800_38a),
        cmocka_unit_test(test_aes_gcm_streaming),
        cmocka_unit_test(test_chacha20_poly1305_streaming),
        cmocka_unit_test(test_ed25519_rfc8032),
        cmocka_unit_test(test_ecdsa_p256_rfc6979),
        cmocka_unit_test(test_x25519_rfc7748),
        cmocka_unit_test(test_ecdh_p256_rfc5903),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
