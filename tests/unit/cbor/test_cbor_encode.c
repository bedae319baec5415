/*
 * Encoder tests: exact bytes of preferred serialization, deterministic map
 * order, byte-string wrapping, float width selection, and the size report
 * of every put function when the buffer is too small.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/cbor.h"
#include "tk_test.h"

/* Checks that buf[0..len) equals the bytes of hex. */
static void expect_bytes(const uint8_t *buf, size_t len, const char *hex)
{
    uint8_t want[512];
    size_t n = tk_test_hex_decode(hex, want, sizeof want);
    if (len != n || memcmp(buf, want, n) != 0) {
        char got[1025];
        for (size_t i = 0; i < len && i < 512; i++)
            snprintf(got + 2 * i, 3, "%02x", buf[i]);
        got[2 * (len < 512 ? len : 512)] = '\0';
        fail_msg("encoded %s, expected %s", got, hex);
    }
}

/* ---- scenarios run at every buffer size ------------------------------- */

typedef void (*scenario)(tk_cbor_enc *enc);

static void sc_uint(tk_cbor_enc *enc)
{
    tk_cbor_enc_put_array(enc, 5);
    tk_cbor_enc_put_uint(enc, 23);
    tk_cbor_enc_put_uint(enc, 24);
    tk_cbor_enc_put_uint(enc, 65536);
    tk_cbor_enc_put_uint(enc, UINT64_MAX);
    tk_cbor_enc_put_uint(enc, 0);
}
static void sc_int(tk_cbor_enc *enc)
{
    tk_cbor_enc_put_array(enc, 3);
    tk_cbor_enc_put_int(enc, INT64_MIN);
    tk_cbor_enc_put_int(enc, INT64_MAX);
    tk_cbor_enc_put_nint(enc, UINT64_MAX);
}
static void sc_strings(tk_cbor_enc *enc)
{
    static const uint8_t bytes[30] = {1, 2, 3};
    tk_cbor_enc_put_array(enc, 3);
    tk_cbor_enc_put_bstr(enc, bytes, sizeof bytes);
    tk_cbor_enc_put_tstr(enc, "teep", 4);
    tk_cbor_enc_put_text(enc, "suit");
}
static void sc_counted(tk_cbor_enc *enc)
{
    tk_cbor_enc_put_map(enc, 1);
    tk_cbor_enc_put_uint(enc, 1);
    tk_cbor_enc_put_array(enc, 0);
}
static void sc_open_array(tk_cbor_enc *enc)
{
    tk_cbor_enc_array_begin(enc);
    for (unsigned i = 0; i < 30; i++)
        tk_cbor_enc_put_uint(enc, i);
    tk_cbor_enc_array_end(enc);
}
static void sc_open_map(tk_cbor_enc *enc)
{
    tk_cbor_enc_map_begin(enc);
    for (unsigned i = 0; i < 30; i++) {
        tk_cbor_enc_put_uint(enc, 29 - i);
        tk_cbor_enc_put_bool(enc, i & 1);
    }
    tk_cbor_enc_map_end(enc);
}
static void sc_indefinite(tk_cbor_enc *enc)
{
    tk_cbor_enc_indef_array(enc);
    tk_cbor_enc_indef_map(enc);
    tk_cbor_enc_put_uint(enc, 1);
    tk_cbor_enc_indef_bstr(enc);
    tk_cbor_enc_put_bstr(enc, (const uint8_t *)"ab", 2);
    tk_cbor_enc_indef_end(enc);
    tk_cbor_enc_indef_end(enc);
    tk_cbor_enc_indef_tstr(enc);
    tk_cbor_enc_put_text(enc, "x");
    tk_cbor_enc_end(enc);
    tk_cbor_enc_end(enc);
}
static void sc_wrap(tk_cbor_enc *enc)
{
    static const uint8_t sig[300] = {9};
    tk_cbor_enc_put_array(enc, 2);
    tk_cbor_enc_bstr_wrap_begin(enc);
    tk_cbor_enc_put_map(enc, 1);
    tk_cbor_enc_put_uint(enc, 1);
    tk_cbor_enc_put_int(enc, -7);
    tk_cbor_enc_bstr_wrap_end(enc);
    tk_cbor_enc_bstr_wrap_begin(enc);
    tk_cbor_enc_put_bstr(enc, sig, sizeof sig);
    tk_cbor_enc_bstr_wrap_end(enc);
}
static void sc_tag_simple(tk_cbor_enc *enc)
{
    tk_cbor_enc_put_tag(enc, 55799);
    tk_cbor_enc_put_array(enc, 6);
    tk_cbor_enc_put_bool(enc, true);
    tk_cbor_enc_put_bool(enc, false);
    tk_cbor_enc_put_null(enc);
    tk_cbor_enc_put_undefined(enc);
    tk_cbor_enc_put_simple(enc, 16);
    tk_cbor_enc_put_simple(enc, 255);
}
static void sc_floats(tk_cbor_enc *enc)
{
    tk_cbor_enc_put_array(enc, 6);
    tk_cbor_enc_put_float(enc, 1.5);
    tk_cbor_enc_put_float(enc, 100000.0);
    tk_cbor_enc_put_float(enc, 1.1);
    tk_cbor_enc_put_half(enc, 2.0);
    tk_cbor_enc_put_single(enc, 2.0);
    tk_cbor_enc_put_double(enc, 2.0);
}
static void sc_raw(tk_cbor_enc *enc)
{
    static const uint8_t item[] = {0x82, 0x01, 0x41, 0x02};
    tk_cbor_enc_put_array(enc, 2);
    tk_cbor_enc_put_raw(enc, item, sizeof item);
    tk_cbor_enc_put_raw(enc, item + 1, 1);
}

static const struct {
    const char *name;
    scenario run;
    uint32_t flags;
    const char *hex;
} scenarios[] = {
    {"uint", sc_uint, 0, "85 17 1818 1a00010000 1bffffffffffffffff 00"},
    {"int", sc_int, 0,
     "83 3b7fffffffffffffff 1b7fffffffffffffff 3bffffffffffffffff"},
    {"strings", sc_strings, 0,
     "83 581e 010203000000000000000000000000000000000000000000000000000000"
     " 6474656570 6473756974"},
    {"counted", sc_counted, 0, "a1 01 80"},
    {"open array", sc_open_array, 0,
     "981e 000102030405060708090a0b0c0d0e0f1011121314151617 1818 1819 181a"
     " 181b 181c 181d"},
    {"open map", sc_open_map, 0,
     "b81e 181df4 181cf5 181bf4 181af5 1819f4 1818f5 17f4 16f5 15f4 14f5"
     " 13f4 12f5 11f4 10f5 0ff4 0ef5 0df4 0cf5 0bf4 0af5 09f4 08f5 07f4"
     " 06f5 05f4 04f5 03f4 02f5 01f4 00f5"},
    {"sorted map", sc_open_map, TK_CBOR_ENC_DETERMINISTIC,
     "b81e 00f5 01f4 02f5 03f4 04f5 05f4 06f5 07f4 08f5 09f4 0af5 0bf4"
     " 0cf5 0df4 0ef5 0ff4 10f5 11f4 12f5 13f4 14f5 15f4 16f5 17f4"
     " 1818f5 1819f4 181af5 181bf4 181cf5 181df4"},
    {"indefinite", sc_indefinite, 0, "9f bf 01 5f 426162 ff ff 7f 6178 ff ff"},
    {"wrap", sc_wrap, 0,
     "82 43a10126 59012f 59012c "
     "09000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000"},
    {"tag and simple", sc_tag_simple, 0, "d9d9f7 86 f5 f4 f6 f7 f0 f8ff"},
    {"floats", sc_floats, 0,
     "86 f93e00 fa47c35000 fb3ff199999999999a f94000 fa40000000"
     " fb4000000000000000"},
    {"raw", sc_raw, 0, "82 82014102 01"},
};

/* Runs each scenario into a buffer of every size below the full one: each
 * reports TK_ERR_BUFFER_TOO_SMALL with the full size and writes nothing
 * past the buffer, which is heap memory of exactly that size. */
static void overflow_reports_needed_size(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
        uint8_t full[1024];
        tk_cbor_enc enc;
        size_t n;
        tk_cbor_enc_init(&enc, full, sizeof full, scenarios[s].flags);
        scenarios[s].run(&enc);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        expect_bytes(full, n, scenarios[s].hex);

        for (size_t cap = 0; cap <= n; cap++) {
            uint8_t *buf = malloc(cap > 0 ? cap : 1);
            size_t needed = 12345;
            assert_non_null(buf);
            tk_cbor_enc_init(&enc, cap > 0 ? buf : NULL, cap,
                             scenarios[s].flags);
            scenarios[s].run(&enc);
            tk_err err = tk_cbor_enc_finish(&enc, &needed);
            if (cap < n) {
                if (err != TK_ERR_BUFFER_TOO_SMALL)
                    fail_msg("%s at cap %zu: %s", scenarios[s].name, cap,
                             tk_errname(err));
                assert_int_equal(needed, n);
            } else {
                assert_int_equal(err, TK_OK);
                assert_int_equal(needed, n);
                assert_memory_equal(buf, full, n);
            }
            free(buf);
        }
    }
}

/* The encodings decode back with the deterministic checks where the
 * scenario promises them. */
static void scenarios_decode_back(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
        uint8_t buf[1024];
        tk_cbor_enc enc;
        size_t n;
        tk_cbor_enc_init(&enc, buf, sizeof buf, scenarios[s].flags);
        scenarios[s].run(&enc);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        assert_int_equal(tk_cbor_validate(buf, n, 0, NULL), TK_OK);
        if (scenarios[s].flags & TK_CBOR_ENC_DETERMINISTIC)
            assert_int_equal(
                tk_cbor_validate(buf, n, TK_CBOR_CHECK_DETERMINISTIC, NULL),
                TK_OK);
    }
}

/* ---- exact encodings -------------------------------------------------- */

/* The TEEP Success and Error messages with a token: shortest heads and
 * definite lengths, whichever way the containers are opened. */
static void teep_messages_exact(void **state)
{
    (void)state;
    static const uint8_t token[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t buf[32];
    tk_cbor_enc enc;
    size_t n;

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_uint(&enc, 5);
    tk_cbor_enc_put_map(&enc, 1);
    tk_cbor_enc_put_uint(&enc, 20);
    tk_cbor_enc_put_bstr(&enc, token, sizeof token);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    expect_bytes(buf, n, "82 05 A1 14 48 0102030405060708");

    tk_cbor_enc_init(&enc, buf, sizeof buf, TK_CBOR_ENC_DETERMINISTIC);
    tk_cbor_enc_array_begin(&enc);
    tk_cbor_enc_put_uint(&enc, 6);
    tk_cbor_enc_map_begin(&enc);
    tk_cbor_enc_put_uint(&enc, 20);
    tk_cbor_enc_put_bstr(&enc, token, sizeof token);
    tk_cbor_enc_map_end(&enc);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_array_end(&enc);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    expect_bytes(buf, n, "83 06 A1 14 48 0102030405060708 01");
}

static void integer_boundaries(void **state)
{
    (void)state;
    static const struct {
        int64_t value;
        const char *hex;
    } cases[] = {
        {0, "00"},
        {23, "17"},
        {24, "1818"},
        {255, "18ff"},
        {256, "190100"},
        {65535, "19ffff"},
        {65536, "1a00010000"},
        {4294967295, "1affffffff"},
        {4294967296, "1b0000000100000000"},
        {-1, "20"},
        {-24, "37"},
        {-25, "3818"},
        {-256, "38ff"},
        {-257, "390100"},
        {INT64_MAX, "1b7fffffffffffffff"},
        {INT64_MIN, "3b7fffffffffffffff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[16];
        tk_cbor_enc enc;
        size_t n;
        tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
        tk_cbor_enc_put_int(&enc, cases[i].value);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        expect_bytes(buf, n, cases[i].hex);
    }
}

/* The heads of every put function at the arguments where the head grows,
 * where the 32-bit and 64-bit handling meet, and at the largest. The
 * heads are compared as soon as they are written, before the content of
 * a tag, array or map. */
static void heads_at_size_boundaries(void **state)
{
    (void)state;
    static const struct {
        uint64_t arg;
        const char *head; /* the head with major type 0 */
    } args[] = {
        {23, "17"},
        {24, "1818"},
        {255, "18ff"},
        {256, "190100"},
        {65535, "19ffff"},
        {65536, "1a00010000"},
        {0xffffffffu, "1affffffff"},
        {UINT64_C(0x100000000), "1b0000000100000000"},
        {UINT64_MAX / 2, "1b7fffffffffffffff"},
        {UINT64_MAX, "1bffffffffffffffff"},
    };
    static const struct {
        tk_err (*put)(tk_cbor_enc *, uint64_t);
        uint8_t major;
    } puts[] = {
        {tk_cbor_enc_put_uint, 0},  {tk_cbor_enc_put_nint, 1},
        {tk_cbor_enc_put_array, 4}, {tk_cbor_enc_put_map, 5},
        {tk_cbor_enc_put_tag, 6},
    };
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
        for (size_t p = 0; p < sizeof puts / sizeof puts[0]; p++) {
            uint8_t buf[16] = {0};
            uint8_t want[16];
            size_t n = tk_test_hex_decode(args[i].head, want, sizeof want);
            tk_cbor_enc enc;
            want[0] = (uint8_t)(want[0] | puts[p].major << 5);
            tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
            tk_err err = puts[p].put(&enc, args[i].arg);
            if (puts[p].major == 5 && args[i].arg > UINT64_MAX / 2) {
                /* 2 * pairs items cannot be counted. */
                assert_int_equal(err, TK_ERR_INVALID_ARG);
                continue;
            }
            assert_int_equal(err, TK_OK);
            assert_memory_equal(buf, want, n);
        }
    }

    /* Byte and text strings, and the heads that array_end() and
     * map_end() write over their reserved byte. */
    static const struct {
        size_t len;
        size_t head_len;
    } lengths[] = {{23, 1},  {24, 2},    {255, 2},
                   {256, 3}, {65535, 3}, {65536, 5}};
    static uint8_t content[65536];
    static uint8_t buf[65536 * 2 + 16];
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        size_t len = lengths[i].len;
        size_t head_len = lengths[i].head_len;
        tk_cbor_enc enc;
        size_t n;
        tk_cbor_dec dec;
        uint64_t count;

        tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
        assert_int_equal(tk_cbor_enc_put_tstr(&enc, (const char *)content, len),
                         TK_OK);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        assert_int_equal(n, head_len + len);
        tk_cbor_dec_init(&dec, buf, n, TK_CBOR_CHECK_PREFERRED);
        assert_int_equal(tk_cbor_dec_get_tstr(&dec, NULL), TK_OK);
        assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);

        tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
        tk_cbor_enc_array_begin(&enc);
        for (size_t k = 0; k < len; k++)
            tk_cbor_enc_put_uint(&enc, 0);
        assert_int_equal(tk_cbor_enc_array_end(&enc), TK_OK);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        assert_int_equal(n, head_len + len);
        tk_cbor_dec_init(&dec, buf, n, TK_CBOR_CHECK_PREFERRED);
        assert_int_equal(tk_cbor_dec_enter_array(&dec, &count), TK_OK);
        assert_true(count == len);
        assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
        assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);

        tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
        tk_cbor_enc_map_begin(&enc);
        for (size_t k = 0; k < len; k++) {
            tk_cbor_enc_put_uint(&enc, 0);
            tk_cbor_enc_put_uint(&enc, 0);
        }
        assert_int_equal(tk_cbor_enc_map_end(&enc), TK_OK);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        assert_int_equal(n, head_len + 2 * len);
        tk_cbor_dec_init(&dec, buf, n, TK_CBOR_CHECK_PREFERRED);
        assert_int_equal(tk_cbor_dec_enter_map(&dec, &count), TK_OK);
        assert_true(count == len);
    }
}

/* Encodes one float with put_float and compares with hex. */
static void expect_float(double value, const char *hex)
{
    uint8_t buf[16];
    tk_cbor_enc enc;
    size_t n;
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_put_float(&enc, value), TK_OK);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    expect_bytes(buf, n, hex);

    /* Decoding gives the same value back, and the preferred check
     * accepts the width. */
    tk_cbor_dec dec;
    double back;
    tk_cbor_dec_init(&dec, buf, n, TK_CBOR_CHECK_PREFERRED);
    assert_int_equal(tk_cbor_dec_get_float(&dec, &back), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
    if (isnan(value))
        assert_true(isnan(back));
    else
        assert_memory_equal(&back, &value, sizeof back);
}

static void float_shortest_form(void **state)
{
    (void)state;
    expect_float(0.0, "f90000");
    expect_float(-0.0, "f98000");
    expect_float(1.0, "f93c00");
    expect_float(-4.0, "f9c400");
    expect_float(65504.0, "f97bff");
    expect_float(2048.0, "f96800");
    /* 2049 needs 12 significant bits, one more than a half has. */
    expect_float(2049.0, "fa45001000");
    expect_float(65505.0, "fa477fe100");
    expect_float(100000.0, "fa47c35000");
    expect_float(3.4028234663852886e+38, "fa7f7fffff");
    expect_float(1.1, "fb3ff199999999999a");
    expect_float(1.0e+300, "fb7e37e43c8800759c");
    /* 1 + 2^-23 fits a single; 1 + 2^-24 would lose its last bit. */
    expect_float(1.0 + ldexp(1.0, -23), "fa3f800001");
    expect_float(1.0 + ldexp(1.0, -24), "fb3ff0000010000000");
    /* Subnormals: the smallest half, below it, the smallest single. */
    expect_float(ldexp(1.0, -24), "f90001");
    expect_float(ldexp(1.0, -14), "f90400");
    expect_float(ldexp(1023.0, -24), "f903ff");
    expect_float(ldexp(1.0, -25), "fa33000000");
    expect_float(ldexp(3.0, -25), "fa33c00000");
    expect_float(ldexp(1.0, -149), "fa00000001");
    expect_float(ldexp(1.0, -150), "fb3690000000000000");
    expect_float(ldexp(1.0, -1074), "fb0000000000000001");
    /* Infinities and NaN. */
    expect_float(INFINITY, "f97c00");
    expect_float(-INFINITY, "f9fc00");
    expect_float(NAN, "f97e00");
    expect_float(-NAN, "f97e00");
}

/* Runs a fixed-width put and checks the bytes or the error. */
static void expect_fixed(tk_err (*put)(tk_cbor_enc *, double), double value,
                         tk_err err, const char *hex)
{
    uint8_t buf[16];
    tk_cbor_enc enc;
    size_t n;
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(put(&enc, value), err);
    if (err == TK_OK) {
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        expect_bytes(buf, n, hex);
    } else {
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), err);
        assert_int_equal(n, 0);
    }
}

static double nan_with_payload(uint64_t payload)
{
    uint64_t bits = UINT64_C(0x7ff8000000000000) | payload;
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void float_fixed_widths(void **state)
{
    (void)state;
    expect_fixed(tk_cbor_enc_put_half, 1.5, TK_OK, "f93e00");
    expect_fixed(tk_cbor_enc_put_half, 1.1, TK_ERR_CBOR_FLOAT_INEXACT, NULL);
    expect_fixed(tk_cbor_enc_put_half, 65536.0, TK_ERR_CBOR_FLOAT_INEXACT,
                 NULL);
    expect_fixed(tk_cbor_enc_put_half, ldexp(1.0, -25),
                 TK_ERR_CBOR_FLOAT_INEXACT, NULL);
    expect_fixed(tk_cbor_enc_put_half, INFINITY, TK_OK, "f97c00");
    expect_fixed(tk_cbor_enc_put_half, nan_with_payload(0), TK_OK, "f97e00");
    expect_fixed(tk_cbor_enc_put_half, nan_with_payload(1),
                 TK_ERR_CBOR_FLOAT_INEXACT, NULL);
    expect_fixed(tk_cbor_enc_put_single, 1.0, TK_OK, "fa3f800000");
    expect_fixed(tk_cbor_enc_put_single, 1.1, TK_ERR_CBOR_FLOAT_INEXACT,
                 NULL);
    expect_fixed(tk_cbor_enc_put_single, 1e300, TK_ERR_CBOR_FLOAT_INEXACT,
                 NULL);
    expect_fixed(tk_cbor_enc_put_single, nan_with_payload(UINT64_C(1) << 29),
                 TK_OK, "fa7fc00001");
    expect_fixed(tk_cbor_enc_put_double, 1.0, TK_OK, "fb3ff0000000000000");
    expect_fixed(tk_cbor_enc_put_double, nan_with_payload(1), TK_OK,
                 "fb7ff8000000000001");
}

/* ---- deterministic maps ----------------------------------------------- */

static void deterministic_sorts_keys(void **state)
{
    (void)state;
    uint8_t buf[64];
    tk_cbor_enc enc;
    size_t n;

    /* Keys in bytewise order of their encodings: 1, 10, 100, -1, "a", "b",
     * [1]; each value moves with its key, nested maps are sorted too. */
    tk_cbor_enc_init(&enc, buf, sizeof buf, TK_CBOR_ENC_DETERMINISTIC);
    tk_cbor_enc_map_begin(&enc);
    tk_cbor_enc_put_text(&enc, "b");
    tk_cbor_enc_put_uint(&enc, 2);
    tk_cbor_enc_put_int(&enc, -1);
    tk_cbor_enc_put_map(&enc, 2);
    tk_cbor_enc_put_uint(&enc, 5);
    tk_cbor_enc_put_null(&enc);
    tk_cbor_enc_put_uint(&enc, 4);
    tk_cbor_enc_put_null(&enc);
    tk_cbor_enc_put_uint(&enc, 100);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_uint(&enc, 7);
    tk_cbor_enc_put_uint(&enc, 8);
    tk_cbor_enc_put_array(&enc, 1);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_uint(&enc, 9);
    tk_cbor_enc_put_uint(&enc, 10);
    tk_cbor_enc_put_text(&enc, "ten");
    tk_cbor_enc_put_text(&enc, "a");
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_text(&enc, "one");
    tk_cbor_enc_map_end(&enc);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    expect_bytes(buf, n,
                 "a7 01 636f6e65 0a 6374656e 1864 820708 20 a204f605f6"
                 " 6161 01 6162 02 8101 09");
    assert_int_equal(
        tk_cbor_validate(buf, n, TK_CBOR_CHECK_DETERMINISTIC, NULL), TK_OK);

    /* The same keys without the flag keep their order. */
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_put_map(&enc, 2);
    tk_cbor_enc_put_uint(&enc, 2);
    tk_cbor_enc_put_uint(&enc, 0);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_uint(&enc, 0);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    expect_bytes(buf, n, "a2 0200 0100");
}

static void deterministic_rejects_duplicates(void **state)
{
    (void)state;
    uint8_t buf[64];
    tk_cbor_enc enc;
    size_t n;

    tk_cbor_enc_init(&enc, buf, sizeof buf, TK_CBOR_ENC_DETERMINISTIC);
    tk_cbor_enc_put_map(&enc, 3);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_int(&enc, -7);
    tk_cbor_enc_put_uint(&enc, 4);
    tk_cbor_enc_put_int(&enc, -7);
    tk_cbor_enc_put_uint(&enc, 1);
    assert_int_equal(tk_cbor_enc_put_int(&enc, -8), TK_ERR_CBOR_DUP_KEY);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_ERR_CBOR_DUP_KEY);
    assert_int_equal(n, 0);

    /* A duplicate that sorts before the last key is found too. */
    tk_cbor_enc_init(&enc, buf, sizeof buf, TK_CBOR_ENC_DETERMINISTIC);
    tk_cbor_enc_map_begin(&enc);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_null(&enc);
    tk_cbor_enc_put_uint(&enc, 5);
    tk_cbor_enc_put_null(&enc);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_null(&enc);
    assert_int_equal(tk_cbor_enc_map_end(&enc), TK_ERR_CBOR_DUP_KEY);

    /* Indefinite lengths have no deterministic form. */
    tk_cbor_enc_init(&enc, buf, sizeof buf, TK_CBOR_ENC_DETERMINISTIC);
    assert_int_equal(tk_cbor_enc_indef_array(&enc), TK_ERR_CBOR_INDEFINITE);
    static const uint8_t indef[] = {0x9f, 0xff};
    tk_cbor_enc_init(&enc, buf, sizeof buf, TK_CBOR_ENC_DETERMINISTIC);
    assert_int_equal(tk_cbor_enc_put_raw(&enc, indef, sizeof indef),
                     TK_ERR_CBOR_INDEFINITE);
}

/* ---- byte-string wrapping --------------------------------------------- */

static void bstr_wrap_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 22, 23, 24, 255, 256, 1000, 70000};
    static uint8_t content[70000];
    static uint8_t buf[70100];
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (uint8_t)(i * 7);

    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        tk_cbor_enc enc;
        tk_cbor_dec dec, inner;
        size_t n;
        tk_view got;
        /* Wrap a byte string whose encoding is sizes[s] bytes long (a bstr
         * with its own head), or nothing for size 0. */
        tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
        tk_cbor_enc_bstr_wrap_begin(&enc);
        size_t body = 0;
        if (sizes[s] > 0) {
            body = sizes[s] - 1;
            if (body >= 24)
                body--;
            if (body >= 256)
                body--;
            if (body >= 65536)
                body -= 2;
            tk_cbor_enc_put_bstr(&enc, content, body);
        }
        assert_int_equal(tk_cbor_enc_bstr_wrap_end(&enc), TK_OK);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);

        tk_cbor_dec_init(&dec, buf, n, TK_CBOR_CHECK_PREFERRED);
        if (sizes[s] == 0) {
            assert_int_equal(tk_cbor_dec_get_bstr(&dec, &got), TK_OK);
            assert_int_equal(got.len, 0);
            continue;
        }
        assert_int_equal(tk_cbor_dec_get_bstr_cbor(&dec, &inner, 0), TK_OK);
        assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
        assert_int_equal(tk_cbor_dec_get_bstr(&inner, &got), TK_OK);
        assert_int_equal(tk_cbor_dec_finish(&inner), TK_OK);
        assert_int_equal(got.len, body);
        assert_memory_equal(got.ptr, content, body);
    }
}

static void bstr_wrap_nested(void **state)
{
    (void)state;
    uint8_t buf[64];
    tk_cbor_enc enc;
    size_t n;

    /* A COSE_Sign1-like structure: 18([<<{1: -7}>>, {}, null, h'00']). */
    tk_cbor_enc_init(&enc, buf, sizeof buf, TK_CBOR_ENC_DETERMINISTIC);
    tk_cbor_enc_put_tag(&enc, 18);
    tk_cbor_enc_put_array(&enc, 4);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_cbor_enc_map_begin(&enc);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_int(&enc, -7);
    tk_cbor_enc_map_end(&enc);
    tk_cbor_enc_bstr_wrap_end(&enc);
    tk_cbor_enc_put_map(&enc, 0);
    tk_cbor_enc_put_null(&enc);
    tk_cbor_enc_put_bstr(&enc, (const uint8_t *)"", 1);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    expect_bytes(buf, n, "d2 84 43a10126 a0 f6 4100");

    /* << << 0 >> >> */
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_cbor_enc_put_uint(&enc, 0);
    tk_cbor_enc_bstr_wrap_end(&enc);
    tk_cbor_enc_bstr_wrap_end(&enc);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    expect_bytes(buf, n, "42 41 00");
}

/* ---- misuse ----------------------------------------------------------- */

static void nesting_misuse_rejected(void **state)
{
    (void)state;
    uint8_t buf[64];
    tk_cbor_enc enc;
    size_t n;

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_array_end(&enc), TK_ERR_CBOR_NESTING);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_array_begin(&enc);
    assert_int_equal(tk_cbor_enc_map_end(&enc), TK_ERR_CBOR_NESTING);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_uint(&enc, 1);
    assert_int_equal(tk_cbor_enc_end(&enc), TK_ERR_CBOR_NESTING);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_indef_array(&enc);
    assert_int_equal(tk_cbor_enc_bstr_wrap_end(&enc), TK_ERR_CBOR_NESTING);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_map_begin(&enc);
    tk_cbor_enc_put_uint(&enc, 1);
    assert_int_equal(tk_cbor_enc_map_end(&enc), TK_ERR_CBOR_ODD_MAP);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_indef_map(&enc);
    tk_cbor_enc_put_uint(&enc, 1);
    assert_int_equal(tk_cbor_enc_indef_end(&enc), TK_ERR_CBOR_ODD_MAP);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_uint(&enc, 1);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_ERR_CBOR_NOT_CLOSED);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_put_tag(&enc, 1);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_ERR_CBOR_NOT_CLOSED);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_ERR_CBOR_NO_ITEMS);

    /* Only definite strings of the same type go into a chunked string. */
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_indef_bstr(&enc);
    assert_int_equal(tk_cbor_enc_put_text(&enc, "x"), TK_ERR_CBOR_BAD_CHUNK);
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_indef_tstr(&enc);
    assert_int_equal(tk_cbor_enc_indef_tstr(&enc), TK_ERR_CBOR_BAD_CHUNK);
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_indef_bstr(&enc);
    assert_int_equal(tk_cbor_enc_put_uint(&enc, 1), TK_ERR_CBOR_BAD_CHUNK);

    /* Errors stay: later calls do nothing. */
    assert_int_equal(tk_cbor_enc_put_uint(&enc, 1), TK_ERR_CBOR_BAD_CHUNK);
    assert_int_equal(tk_cbor_enc_error(&enc), TK_ERR_CBOR_BAD_CHUNK);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_ERR_CBOR_BAD_CHUNK);
}

static void depth_limit_enforced(void **state)
{
    (void)state;
    uint8_t buf[64];
    tk_cbor_enc enc;
    size_t n;

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    for (unsigned i = 0; i < TK_CBOR_MAX_DEPTH; i++)
        assert_int_equal(tk_cbor_enc_put_array(&enc, 1), TK_OK);
    assert_int_equal(tk_cbor_enc_put_uint(&enc, 0), TK_OK);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    assert_int_equal(n, TK_CBOR_MAX_DEPTH + 1);

    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    for (unsigned i = 0; i < TK_CBOR_MAX_DEPTH - 1; i++)
        tk_cbor_enc_put_array(&enc, 1);
    assert_int_equal(tk_cbor_enc_put_tag(&enc, 1), TK_OK);
    assert_int_equal(tk_cbor_enc_put_array(&enc, 1), TK_ERR_CBOR_TOO_DEEP);

    /* put_raw counts the nesting inside the raw item. */
    static const uint8_t nested[] = {0x81, 0x81, 0x00};
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    for (unsigned i = 0; i < TK_CBOR_MAX_DEPTH - 2; i++)
        tk_cbor_enc_put_array(&enc, 1);
    assert_int_equal(tk_cbor_enc_put_raw(&enc, nested, sizeof nested), TK_OK);
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    for (unsigned i = 0; i < TK_CBOR_MAX_DEPTH - 1; i++)
        tk_cbor_enc_put_array(&enc, 1);
    assert_int_equal(tk_cbor_enc_put_raw(&enc, nested, sizeof nested),
                     TK_ERR_CBOR_TOO_DEEP);
}

static void bad_arguments_rejected(void **state)
{
    (void)state;
    uint8_t buf[16];
    tk_cbor_enc enc;
    size_t n;
    static const uint8_t two_items[] = {0x01, 0x02};
    static const uint8_t broken[] = {0x82, 0x01};

    assert_int_equal(tk_cbor_enc_init(NULL, buf, 1, 0), TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_enc_init(&enc, NULL, 4, 0), TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_enc_init(&enc, buf, sizeof buf, 0x80),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_enc_put_uint(&enc, 1), TK_ERR_INVALID_ARG);

    for (unsigned v = 24; v < 32; v++) {
        tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
        assert_int_equal(tk_cbor_enc_put_simple(&enc, (uint8_t)v),
                         TK_ERR_INVALID_ARG);
    }
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_put_bstr(&enc, NULL, 3), TK_ERR_INVALID_ARG);
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_put_text(&enc, NULL), TK_ERR_INVALID_ARG);
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_put_map(&enc, UINT64_MAX),
                     TK_ERR_INVALID_ARG);
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_put_raw(&enc, two_items, 2),
                     TK_ERR_CBOR_TRAILING);
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_put_raw(&enc, broken, 2),
                     TK_ERR_CBOR_COUNT_TOO_LARGE);
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_put_raw(&enc, NULL, 0), TK_ERR_INVALID_ARG);

    /* A measuring run with no buffer at all. */
    tk_cbor_enc_init(&enc, NULL, 0, 0);
    tk_cbor_enc_put_text(&enc, "measure");
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 8);
}

/* A CBOR sequence: several top-level items in one encoding. */
static void sequence_of_items(void **state)
{
    (void)state;
    uint8_t buf[16];
    tk_cbor_enc enc;
    size_t n;
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_text(&enc, "a");
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    expect_bytes(buf, n, "01 6161");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overflow_reports_needed_size),
        cmocka_unit_test(scenarios_decode_back),
        cmocka_unit_test(teep_messages_exact),
        cmocka_unit_test(integer_boundaries),
        cmocka_unit_test(heads_at_size_boundaries),
        cmocka_unit_test(float_shortest_form),
        cmocka_unit_test(float_fixed_widths),
        cmocka_unit_test(deterministic_sorts_keys),
        cmocka_unit_test(deterministic_rejects_duplicates),
        cmocka_unit_test(bstr_wrap_sizes),
        cmocka_unit_test(bstr_wrap_nested),
        cmocka_unit_test(nesting_misuse_rejected),
        cmocka_unit_test(depth_limit_enforced),
        cmocka_unit_test(bad_arguments_rejected),
        cmocka_unit_test(sequence_of_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
