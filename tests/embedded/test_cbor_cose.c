/*
 * CBOR and COSE on Cortex-M4. CBOR: encodings and decodings from RFC 8949
 * appendix A, the decoder's errors on malformed and invalid input, and
 * the items of flat sequences read whole with a decoder.
 * COSE: a published COSE_Sign1 and COSE_Mac0 of the COSE working group's
 * examples (sign1-tests/sign-pass-02, mac0-tests/HMac-01), and a
 * COSE_Sign1 and a COSE_Encrypt0 built and opened on the target.
 */
#include "device.h"
#include "target_util.h"
#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "tk_runner.h"

/* {1: h'0102', "a": [1, -1000, true, null]}, item by item. */
static void cbor_encode_items(void)
{
    uint8_t buf[32];
    size_t len = 0;
    tk_cbor_enc enc;
    tk_view expected = tkt_hex("a201420102616184013903e7f5f6");
    static const uint8_t bytes[2] = {1, 2};

    TK_CHECK_OK(tk_cbor_enc_init(&enc, buf, sizeof(buf), 0));
    tk_cbor_enc_put_map(&enc, 2);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_bstr(&enc, bytes, sizeof(bytes));
    tk_cbor_enc_put_text(&enc, "a");
    tk_cbor_enc_put_array(&enc, 4);
    tk_cbor_enc_put_int(&enc, 1);
    tk_cbor_enc_put_int(&enc, -1000);
    tk_cbor_enc_put_bool(&enc, true);
    tk_cbor_enc_put_null(&enc);
    TK_CHECK_OK(tk_cbor_enc_finish(&enc, &len));
    TK_CHECK_INT(len, expected.len);
    TK_CHECK_MEM(buf, expected.ptr, len);

    /* Too small a buffer reports the size needed. */
    TK_CHECK_OK(tk_cbor_enc_init(&enc, buf, 2, 0));
    tk_cbor_enc_put_bstr(&enc, bytes, sizeof(bytes));
    TK_CHECK_ERR(tk_cbor_enc_finish(&enc, &len), TK_ERR_BUFFER_TOO_SMALL);
    TK_CHECK_INT(len, 3);
}

/* Map keys sorted bytewise by the deterministic encoder (RFC 8949
 * section 4.2.1): 10 (0a), -1 (20), "b" (6162). */
static void cbor_encode_deterministic(void)
{
    uint8_t buf[16];
    size_t len = 0;
    tk_cbor_enc enc;
    tk_view expected = tkt_hex("a30a01200261620f");

    TK_CHECK_OK(tk_cbor_enc_init(&enc, buf, sizeof(buf),
                                 TK_CBOR_ENC_DETERMINISTIC));
    tk_cbor_enc_put_map(&enc, 3);
    tk_cbor_enc_put_text(&enc, "b");
    tk_cbor_enc_put_uint(&enc, 15);
    tk_cbor_enc_put_uint(&enc, 10);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_int(&enc, -1);
    tk_cbor_enc_put_uint(&enc, 2);
    TK_CHECK_OK(tk_cbor_enc_finish(&enc, &len));
    TK_CHECK_INT(len, expected.len);
    TK_CHECK_MEM(buf, expected.ptr, len);
}

/* Single items of RFC 8949 appendix A. */
static void cbor_decode_appendix_a(void)
{
    static const struct {
        const char *hex;
        tk_cbor_type type;
        uint64_t value;
    } cases[] = {
        {"00", TK_CBOR_UINT, 0},
        {"1a000f4240", TK_CBOR_UINT, 1000000},
        {"1bffffffffffffffff", TK_CBOR_UINT, UINT64_MAX},
        {"3903e7", TK_CBOR_NINT, 999},
        {"6449455446", TK_CBOR_TSTR, 4},
        {"4401020304", TK_CBOR_BSTR, 4},
        {"f4", TK_CBOR_FALSE, 20},
        {"f0", TK_CBOR_SIMPLE, 16},
        {"f93e00", TK_CBOR_FLOAT, 0x3e00},
        {"c11a514b67b0", TK_CBOR_TAG, 1},
        {"83010203", TK_CBOR_ARRAY, 3},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_view in = tkt_hex(cases[i].hex);
        tk_cbor_dec dec;
        tk_cbor_item item;

        TK_CHECK_OK(tk_cbor_dec_init(&dec, in.ptr, in.len, 0));
        TK_CHECK_OK(tk_cbor_dec_next(&dec, &item));
        TK_CHECK_INT(item.type, cases[i].type);
        if (item.type == TK_CBOR_TSTR || item.type == TK_CBOR_BSTR) {
            TK_CHECK_INT(item.str.len, cases[i].value);
        } else {
            TK_CHECK(item.value == cases[i].value);
        }
        TK_CHECK_OK(tk_cbor_validate(in.ptr, in.len, 0, NULL));
    }
}

/* {"a": 1, "b": [2, 3]} through the structure calls; then 1.5 as a
 * half-precision float, when floats are built in. */
static void cbor_decode_structure(void)
{
    tk_view in = tkt_hex("a26161016162820203");
    tk_view half = tkt_hex("f93e00");
    tk_cbor_dec dec;
    uint64_t n = 0;
    uint64_t v = 0;
    tk_view text;
    double f = 0;

    TK_CHECK_OK(tk_cbor_dec_init(&dec, in.ptr, in.len,
                                 TK_CBOR_CHECK_DUP_KEYS));
    TK_CHECK_OK(tk_cbor_dec_enter_map(&dec, &n));
    TK_CHECK_INT(n, 2);
    TK_CHECK_OK(tk_cbor_dec_get_tstr(&dec, &text));
    TK_CHECK_INT(text.len, 1);
    TK_CHECK_INT(text.ptr[0], 'a');
    TK_CHECK_OK(tk_cbor_dec_get_uint(&dec, &v));
    TK_CHECK_INT(v, 1);
    TK_CHECK_OK(tk_cbor_dec_get_tstr(&dec, &text));
    TK_CHECK_OK(tk_cbor_dec_enter_array(&dec, &n));
    TK_CHECK_INT(n, 2);
    TK_CHECK_OK(tk_cbor_dec_get_uint(&dec, &v));
    TK_CHECK_INT(v, 2);
    TK_CHECK_OK(tk_cbor_dec_get_uint(&dec, &v));
    TK_CHECK_INT(v, 3);
    TK_CHECK_OK(tk_cbor_dec_exit(&dec));
    TK_CHECK_OK(tk_cbor_dec_exit(&dec));
    TK_CHECK_OK(tk_cbor_dec_finish(&dec));

    TK_CHECK_OK(tk_cbor_dec_init(&dec, half.ptr, half.len, 0));
#if TK_CBOR_WITH_FLOAT
    TK_CHECK_OK(tk_cbor_dec_get_float(&dec, &f));
    TK_CHECK(f == 1.5);
#else
    /* A build without floats rejects them instead of guessing. */
    TK_CHECK_ERR(tk_cbor_dec_get_float(&dec, &f), TK_ERR_UNSUPPORTED);
#endif
}

/* Malformed input (RFC 8949 appendix F) and invalid input under the
 * validity checks, each with its error and offset. */
static void cbor_decode_errors(void)
{
    static const struct {
        const char *hex;
        uint32_t flags;
        tk_err err;
        size_t offset;
    } cases[] = {
        {"18", 0, TK_ERR_CBOR_TRUNCATED, 0},
        {"0001", 0, TK_ERR_CBOR_TRAILING, 1},
        {"ff", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 0},
        {"1c", 0, TK_ERR_CBOR_RESERVED_AI, 0},
        {"8301", 0, TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
        {"a201020103", TK_CBOR_CHECK_DUP_KEYS, TK_ERR_CBOR_DUP_KEY, 3},
        {"1801", TK_CBOR_CHECK_PREFERRED, TK_ERR_CBOR_NOT_PREFERRED, 0},
        {"62c328", TK_CBOR_CHECK_UTF8, TK_ERR_CBOR_BAD_UTF8, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_view in = tkt_hex(cases[i].hex);
        size_t offset = SIZE_MAX;

        TK_CHECK_ERR(tk_cbor_validate(in.ptr, in.len, cases[i].flags,
                                      &offset),
                     cases[i].err);
        TK_CHECK_INT(offset, cases[i].offset);
    }
}

/* Reads every item of the decoder's input. Returns the first error, or
 * TK_OK when the input is one complete item. */
static tk_err decode_all(tk_cbor_dec *dec)
{
    tk_cbor_item item;
    tk_err err = TK_OK;

    while (err == TK_OK)
        err = tk_cbor_dec_next(dec, &item);
    return err == TK_ERR_CBOR_END ? tk_cbor_dec_finish(dec) : err;
}

/* The check table that tk_cbor_dec_init() passes for check flags: check
 * flags without it are rejected, and without flags none is needed. */
static void cbor_decode_check_table(void)
{
    tk_view in = tkt_hex("a201020103"); /* {1: 2, 1: 3} */
    tk_cbor_dec dec;

    TK_CHECK_ERR(tk_cbor_dec_init_with(&dec, in.ptr, in.len,
                                       TK_CBOR_CHECK_DUP_KEYS, NULL),
                 TK_ERR_INVALID_ARG);
    TK_CHECK_ERR(decode_all(&dec), TK_ERR_INVALID_ARG);

    TK_CHECK_OK(tk_cbor_dec_init_with(&dec, in.ptr, in.len, 0, NULL));
    TK_CHECK_OK(decode_all(&dec));

#if TK_CBOR_WITH_CHECKS
    TK_CHECK_OK(tk_cbor_dec_init_with(&dec, in.ptr, in.len,
                                      TK_CBOR_CHECK_DUP_KEYS,
                                      &tk_cbor_dec_checks_all));
    TK_CHECK_ERR(decode_all(&dec), TK_ERR_CBOR_DUP_KEY);
    TK_CHECK_INT(tk_cbor_dec_error_offset(&dec), 3);
#endif
}

/* Nesting one level deeper than TK_CBOR_MAX_DEPTH is an error, never a
 * stack overflow. */
static void cbor_decode_too_deep(void)
{
    uint8_t in[TK_CBOR_MAX_DEPTH + 2];

    memset(in, 0x81, sizeof(in) - 1);
    in[sizeof(in) - 1] = 0x00;
    TK_CHECK_ERR(tk_cbor_validate(in, sizeof(in), 0, NULL),
                 TK_ERR_CBOR_TOO_DEEP);
    TK_CHECK_OK(tk_cbor_validate(in + 1, sizeof(in) - 1, 0, NULL));
}

/* Input of 200,000 nested containers with a tag after the depth limit
 * (the codec fault "depth limit bypassed with tags"): every reader stops
 * at the limit, on a small and bounded stack. */
static uint8_t deep_input[2 * 100000 + 2 * TK_CBOR_MAX_DEPTH + 1]
    __attribute__((section(".tk_storage")));

static void cbor_deep_input_bounded_stack(void)
{
    const size_t limit = TK_CBOR_MAX_DEPTH;
    const size_t deep = 100000;
    size_t offset = 0;
    size_t used;
    uintptr_t base;
    tk_cbor_dec dec;

    /* 9F x L, C0, 9F x 100000, FF x (L + 100000) */
    memset(deep_input, 0x9f, limit);
    deep_input[limit] = 0xc0;
    memset(deep_input + limit + 1, 0x9f, deep);
    memset(deep_input + limit + 1 + deep, 0xff, limit + deep);

    tk_stack_paint();
    base = tk_stack_pointer();
    TK_CHECK_ERR(tk_cbor_validate(deep_input, sizeof(deep_input), 0, &offset),
                 TK_ERR_CBOR_TOO_DEEP);
    used = tk_stack_used_below(base);
    TK_CHECK_INT(offset, limit);
    tk_runner_note("stack of tk_cbor_validate (bytes):", (int64_t)used);
    TK_CHECK(used < 2048);

    TK_CHECK_OK(tk_cbor_dec_init(&dec, deep_input, sizeof(deep_input), 0));
    TK_CHECK_ERR(tk_cbor_dec_skip(&dec, NULL), TK_ERR_CBOR_TOO_DEEP);
}

/* sign1-tests/sign-pass-02 of the COSE working group's examples: ES256
 * with external AAD. */
static void cose_sign1_published(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_cose_opts opts;
    tk_cose_sign1 out;
    tk_view msg = tkt_hex(
        "d28443a10126a10442313154546869732069732074686520636f6e74656e742e"
        "584010729cd711cb3813d8d8e944a8da7111e7b258c9bdca6135f7ae1adbee95"
        "09891267837e1e33bd36c150326ae62755c6bd8e540c3e8f92d7d225e8db72b8"
        "820b");

    TK_CHECK_OK(tkt_import_p256(
        &key,
        "bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff",
        "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e",
        NULL));
    memset(&opts, 0, sizeof(opts));
    opts.key = &key;
    opts.external_aad = tkt_hex("11aa22bb33cc44dd55006699");
    TK_CHECK_OK(tk_cose_sign1_verify(c, msg, &opts, &out));
    TK_CHECK_INT(out.hdr.alg, TK_ALG_ES256);
    TK_CHECK_INT(out.payload.len, 20);
    TK_CHECK_MEM(out.payload.ptr, "This is the content.", 20);

    /* Without the external AAD the signature does not verify. */
    opts.external_aad = (tk_view){NULL, 0};
    TK_CHECK_ERR(tk_cose_sign1_verify(c, msg, &opts, &out),
                 TK_ERR_COSE_SIGNATURE_INVALID);
    tk_key_release(&key);
}

/* Skips every item of the array in hex, as the SUIT processor takes the
 * arguments of a command sequence, and checks the error that ends it. */
static void skipping_items_ends_with(const char *hex, tk_err expected)
{
    tk_view in = tkt_hex(hex);
    tk_cbor_dec dec;
    size_t items = 0;

    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (tk_cbor_dec_more(&dec) && tk_cbor_dec_skip(&dec, NULL) == TK_OK)
        items++;
    tk_cbor_dec_exit(&dec);
    TK_CHECK_ERR(tk_cbor_dec_finish(&dec), expected);
    tk_runner_note("items read:", (int64_t)items);
}

/* A flat sequence read item by item with a decoder of the device's depth:
 * well-formed arrays, definite and indefinite, and the errors that end
 * malformed ones. */
static void cbor_sequence_items(void)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_view raw;
    tk_view seq = tkt_hex("83 0c 82 01 02 41 aa");

    TK_CHECK_OK(tk_cbor_dec_init(&dec, seq.ptr, seq.len, 0));
    TK_CHECK_OK(tk_cbor_dec_enter_array(&dec, NULL));
    TK_CHECK_OK(tk_cbor_dec_get_uint(&dec, &item.value));
    TK_CHECK_INT(item.value, 12);
    TK_CHECK_OK(tk_cbor_dec_peek(&dec, &item));
    TK_CHECK_INT(item.type, TK_CBOR_ARRAY);
    TK_CHECK_OK(tk_cbor_dec_skip(&dec, &raw));
    TK_CHECK_INT(raw.len, 3);
    TK_CHECK_OK(tk_cbor_dec_get_bstr(&dec, &raw));
    TK_CHECK_INT(raw.len, 1);
    TK_CHECK_INT(raw.ptr[0], 0xaa);
    TK_CHECK(!tk_cbor_dec_more(&dec));
    TK_CHECK_ERR(tk_cbor_dec_skip(&dec, NULL), TK_ERR_CBOR_NO_MORE);
    TK_CHECK_INT(tk_cbor_dec_error_offset(&dec), 7);

    skipping_items_ends_with("83 01 a1 01 02 5f 41 01 42 0203 ff", TK_OK);
    skipping_items_ends_with("9f 01 9f 02 ff f6 ff", TK_OK);
    skipping_items_ends_with("83 01 02", TK_ERR_CBOR_COUNT_TOO_LARGE);
    skipping_items_ends_with("83 01 02 42 00", TK_ERR_CBOR_TRUNCATED);
    skipping_items_ends_with("82 01 5a 00 00 01 00", TK_ERR_CBOR_TRUNCATED);
    skipping_items_ends_with("9f 01 02", TK_ERR_CBOR_TRUNCATED);
    skipping_items_ends_with("82 01 ff", TK_ERR_CBOR_UNEXPECTED_BREAK);
    skipping_items_ends_with("82 01 1c", TK_ERR_CBOR_RESERVED_AI);
    skipping_items_ends_with("82 01 5f 01 ff", TK_ERR_CBOR_BAD_CHUNK);
    skipping_items_ends_with("81 01 02", TK_ERR_CBOR_TRAILING);
    skipping_items_ends_with("81 81 81 81 81 81 81 81 81 81 81 81 81 81 81 "
                             "81 81 01",
                             TK_ERR_CBOR_TOO_DEEP);
    tkt_hex_reset();
}

/* mac0-tests/HMac-01: HMAC 256/256 with a direct key. */
static void cose_mac0_published(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_cose_opts opts;
    tk_view msg = tkt_hex(
        "d18443a10105a054546869732069732074686520636f6e74656e742e5820a1a8"
        "48d3471f9d61ee49018d244c824772f223ad4f935293f1789fc3a08d8c58");
    uint8_t bad[64];

    TK_CHECK_OK(tk_key_init_symmetric(
        &key, tkt_hex("849b57219dae48de646d07dbb533566e"
                      "976686457c1491be3a76dcea6c427188")));
    memset(&opts, 0, sizeof(opts));
    opts.key = &key;
    if (!TK_COSE_WITH_MAC) {
        /* Without COSE_Mac0 support both calls fail with
           TK_ERR_COSE_STRUCTURE_UNSUPPORTED, whatever the tag. */
        TK_CHECK_ERR(tk_cose_mac0_verify(c, msg, &opts, NULL),
                     TK_ERR_COSE_STRUCTURE_UNSUPPORTED);
        TK_CHECK_ERR(tk_cose_verify(c, msg, &opts, NULL),
                     TK_ERR_COSE_STRUCTURE_UNSUPPORTED);
        tk_key_release(&key);
        return;
    }
    TK_CHECK_OK(tk_cose_mac0_verify(c, msg, &opts, NULL));
    TK_CHECK(msg.len <= sizeof(bad));
    memcpy(bad, msg.ptr, msg.len);
    bad[msg.len - 1] ^= 1;
    TK_CHECK_ERR(tk_cose_mac0_verify(c, (tk_view){bad, msg.len}, &opts, NULL),
                 TK_ERR_COSE_MAC_INVALID);
    tk_key_release(&key);
}

/* A COSE_Sign1 signed on the target verifies; a changed payload byte
 * does not. */
static void cose_sign1_round_trip(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_cose_build build;
    tk_cose_opts opts;
    tk_cose_sign1 out;
    uint8_t msg[160];
    size_t len = 0;
    static const char payload[] = "teepkit on Cortex-M4";

    tk_key_init(&key);
    TK_CHECK_OK(c->key_generate(c->ctx, TK_CRV_P256, &key));
    memset(&build, 0, sizeof(build));
    build.alg = TK_ALG_ESP256;
    build.key = &key;
    build.kid = TK_VIEW_STR("device");
    TK_CHECK_OK(tk_cose_sign1_sign(c, &build,
                                   (tk_view){(const uint8_t *)payload,
                                             sizeof(payload) - 1},
                                   msg, sizeof(msg), &len));
    memset(&opts, 0, sizeof(opts));
    opts.key = &key;
    TK_CHECK_OK(tk_cose_sign1_verify(c, (tk_view){msg, len}, &opts, &out));
    TK_CHECK_INT(out.hdr.alg, TK_ALG_ESP256);
    TK_CHECK_INT(out.hdr.kid.len, 6);
    TK_CHECK_INT(out.payload.len, sizeof(payload) - 1);

    /* The payload's last byte sits just before the 64-byte signature and
     * its 2-byte head. */
    msg[len - 67] ^= 1;
    TK_CHECK_ERR(tk_cose_sign1_verify(c, (tk_view){msg, len}, &opts, &out),
                 TK_ERR_COSE_SIGNATURE_INVALID);
    tk_key_release(&key);
}

/* COSE_Encrypt0 with A128GCM: encrypted and decrypted on the target, and
 * a flipped ciphertext bit rejected with the output wiped. */
static void cose_encrypt0_round_trip(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_key key;
    tk_cose_build build;
    tk_cose_opts opts;
    uint8_t msg[96];
    uint8_t plain[32];
    size_t len = 0;
    size_t plain_len = 0;
    static const char secret[] = "component key";

    TK_CHECK_OK(tk_key_init_symmetric(
        &key, tkt_hex("000102030405060708090a0b0c0d0e0f")));
    memset(&build, 0, sizeof(build));
    build.alg = TK_ALG_A128GCM;
    build.key = &key;
    build.iv = tkt_hex("02d1f7e6f26c43d4868d87ce");
    if (!TK_COSE_WITH_ENCRYPT) {
        TK_CHECK_ERR(tk_cose_encrypt0_encrypt(
                         c, &build,
                         (tk_view){(const uint8_t *)secret,
                                   sizeof(secret) - 1},
                         msg, sizeof(msg), &len),
                     TK_ERR_COSE_STRUCTURE_UNSUPPORTED);
        TK_CHECK_INT(len, 0);
        tk_key_release(&key);
        return;
    }
    TK_CHECK_OK(tk_cose_encrypt0_encrypt(
        c, &build,
        (tk_view){(const uint8_t *)secret, sizeof(secret) - 1}, msg,
        sizeof(msg), &len));
    memset(&opts, 0, sizeof(opts));
    opts.key = &key;
    TK_CHECK_OK(tk_cose_encrypt0_decrypt(c, (tk_view){msg, len}, &opts, plain,
                                         sizeof(plain), &plain_len, NULL));
    TK_CHECK_INT(plain_len, sizeof(secret) - 1);
    TK_CHECK_MEM(plain, secret, plain_len);

    msg[len - 20] ^= 1;
    TK_CHECK_ERR(tk_cose_encrypt0_decrypt(c, (tk_view){msg, len}, &opts,
                                          plain, sizeof(plain), &plain_len,
                                          NULL),
                 TK_ERR_COSE_DECRYPT_FAILED);
    for (size_t i = 0; i < sizeof(secret) - 1; i++) {
        TK_CHECK_INT(plain[i], 0);
    }
    tk_key_release(&key);
}

int main(void)
{
    static const tk_runner_case cases[] = {
        TK_RUNNER_CASE(cbor_encode_items),
        TK_RUNNER_CASE(cbor_encode_deterministic),
        TK_RUNNER_CASE(cbor_decode_appendix_a),
        TK_RUNNER_CASE(cbor_decode_structure),
        TK_RUNNER_CASE(cbor_decode_errors),
        TK_RUNNER_CASE(cbor_decode_check_table),
        TK_RUNNER_CASE(cbor_decode_too_deep),
        TK_RUNNER_CASE(cbor_deep_input_bounded_stack),
        TK_RUNNER_CASE(cbor_sequence_items),
        TK_RUNNER_CASE(cose_sign1_published),
        TK_RUNNER_CASE(cose_mac0_published),
        TK_RUNNER_CASE(cose_sign1_round_trip),
        TK_RUNNER_CASE(cose_encrypt0_round_trip),
    };

    if (tkt_crypto() == NULL) {
        return 100;
    }
    return tk_runner_main("CBOR and COSE", cases,
                          sizeof(cases) / sizeof(cases[0]));
}
