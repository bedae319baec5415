/*
 * The published CBOR examples. Every example of RFC 8949 Appendix A decodes
 * to its listed value or diagnostic notation and, where marked, encodes
 * back to the same bytes. Every not-well-formed item of Appendix F.1 fails
 * with its specific error and offset, on every path that reads CBOR.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "teepkit/cbor.h"
#include "tk_test.h"

/* ---- value comparison ------------------------------------------------- */

/* Returns the value of a tag 2 or 3 bignum whose content is the next item,
 * as a double (Appendix A's bignums are exact in a double). */
static double read_bignum(tk_cbor_dec *dec, uint64_t tag)
{
    tk_view content;
    assert_int_equal(tk_cbor_dec_get_bstr(dec, &content), TK_OK);
    double v = 0;
    for (size_t i = 0; i < content.len; i++)
        v = v * 256.0 + content.ptr[i];
    return tag == 2 ? v : -1.0 - v;
}

/*
 * Checks that the next item of dec equals the JSON value json, using the
 * typed helpers. Numbers are compared as doubles because jansson reads the
 * file with JSON_DECODE_INT_AS_REAL (its integers stop at 2^63 - 1).
 */
static void check_json_value(tk_cbor_dec *dec, json_t *json)
{
    tk_cbor_item item;
    assert_int_equal(tk_cbor_dec_peek(dec, &item), TK_OK);

    if (json_is_real(json)) {
        double want = json_real_value(json);
        double got;
        uint64_t tag;
        if (item.type == TK_CBOR_UINT) {
            assert_int_equal(tk_cbor_dec_get_uint(dec, &tag), TK_OK);
            got = (double)tag;
        } else if (item.type == TK_CBOR_NINT) {
            assert_int_equal(tk_cbor_dec_next(dec, &item), TK_OK);
            got = -1.0 - (double)item.value;
        } else if (item.type == TK_CBOR_TAG) {
            assert_int_equal(tk_cbor_dec_get_tag(dec, &tag), TK_OK);
            assert_true(tag == 2 || tag == 3);
            got = read_bignum(dec, tag);
        } else {
            assert_int_equal(item.type, TK_CBOR_FLOAT);
            assert_int_equal(tk_cbor_dec_get_float(dec, &got), TK_OK);
            assert_int_equal(signbit(got) != 0, signbit(want) != 0);
        }
        assert_true(got == want);
    } else if (json_is_string(json)) {
        uint8_t text[64];
        size_t len;
        assert_int_equal(tk_cbor_dec_next(dec, &item), TK_OK);
        assert_int_equal(item.type, TK_CBOR_TSTR);
        assert_int_equal(tk_cbor_item_copy_str(&item, text, sizeof text, &len),
                         TK_OK);
        assert_int_equal(len, json_string_length(json));
        assert_memory_equal(text, json_string_value(json), len);
    } else if (json_is_boolean(json)) {
        bool value;
        assert_int_equal(tk_cbor_dec_get_bool(dec, &value), TK_OK);
        assert_int_equal(value, json_is_true(json));
    } else if (json_is_null(json)) {
        assert_int_equal(tk_cbor_dec_get_null(dec), TK_OK);
    } else if (json_is_array(json)) {
        uint64_t count;
        size_t i = 0;
        assert_int_equal(tk_cbor_dec_enter_array(dec, &count), TK_OK);
        while (tk_cbor_dec_more(dec)) {
            assert_true(i < json_array_size(json));
            check_json_value(dec, json_array_get(json, i++));
        }
        assert_int_equal(i, json_array_size(json));
        if (count != TK_CBOR_INDEFINITE)
            assert_int_equal(count, i);
        assert_int_equal(tk_cbor_dec_exit(dec), TK_OK);
    } else {
        assert_true(json_is_object(json));
        size_t pairs = 0;
        assert_int_equal(tk_cbor_dec_enter_map(dec, NULL), TK_OK);
        while (tk_cbor_dec_more(dec)) {
            tk_view key;
            assert_int_equal(tk_cbor_dec_get_tstr(dec, &key), TK_OK);
            json_t *value = json_object_getn(json, (const char *)key.ptr,
                                             key.len);
            assert_non_null(value);
            check_json_value(dec, value);
            pairs++;
        }
        assert_int_equal(pairs, json_object_size(json));
        assert_int_equal(tk_cbor_dec_exit(dec), TK_OK);
    }
}

/* ---- re-encoding ------------------------------------------------------ */

/*
 * Encodes again, item by item, what the decoder reads from in[0..len):
 * counted containers stay counted, indefinite ones stay indefinite, and
 * floats take their preferred width. Returns the encoded size.
 */
static size_t reencode(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                       uint32_t enc_flags)
{
    tk_cbor_dec dec;
    tk_cbor_enc enc;
    tk_cbor_item item;
    unsigned indef_depth[TK_CBOR_MAX_DEPTH]; /* depth of open indefinite */
    unsigned open = 0;
    tk_err err;

    assert_int_equal(tk_cbor_dec_init(&dec, in, len, 0), TK_OK);
    assert_int_equal(tk_cbor_enc_init(&enc, out, cap, enc_flags), TK_OK);
    while ((err = tk_cbor_dec_next(&dec, &item)) == TK_OK) {
        while (open > 0 && indef_depth[open - 1] >= item.depth) {
            assert_int_equal(tk_cbor_enc_indef_end(&enc), TK_OK);
            open--;
        }
        bool indef = (item.flags & TK_CBOR_ITEM_INDEFINITE) != 0;
        switch (item.type) {
        case TK_CBOR_UINT:
            tk_cbor_enc_put_uint(&enc, item.value);
            break;
        case TK_CBOR_NINT:
            tk_cbor_enc_put_nint(&enc, item.value);
            break;
        case TK_CBOR_BSTR:
        case TK_CBOR_TSTR: {
            uint8_t text[64];
            size_t n;
            const uint8_t *content = item.str.ptr;
            n = item.str.len;
            if (indef) {
                assert_int_equal(
                    tk_cbor_item_copy_str(&item, text, sizeof text, &n),
                    TK_OK);
                content = text;
            }
            if (item.type == TK_CBOR_BSTR)
                tk_cbor_enc_put_bstr(&enc, content, n);
            else
                tk_cbor_enc_put_tstr(&enc, (const char *)content, n);
            break;
        }
        case TK_CBOR_ARRAY:
        case TK_CBOR_MAP:
            if (indef) {
                if (item.type == TK_CBOR_ARRAY)
                    tk_cbor_enc_indef_array(&enc);
                else
                    tk_cbor_enc_indef_map(&enc);
                indef_depth[open++] = item.depth;
            } else if (item.type == TK_CBOR_ARRAY) {
                tk_cbor_enc_put_array(&enc, item.value);
            } else {
                tk_cbor_enc_put_map(&enc, item.value);
            }
            break;
        case TK_CBOR_TAG:
            tk_cbor_enc_put_tag(&enc, item.value);
            break;
        case TK_CBOR_FLOAT:
            tk_cbor_enc_put_float(&enc, item.f);
            break;
        case TK_CBOR_FALSE:
        case TK_CBOR_TRUE:
        case TK_CBOR_NULL:
        case TK_CBOR_UNDEFINED:
        case TK_CBOR_SIMPLE:
            tk_cbor_enc_put_simple(&enc, (uint8_t)item.value);
            break;
        }
    }
    assert_int_equal(err, TK_ERR_CBOR_END);
    while (open-- > 0)
        assert_int_equal(tk_cbor_enc_indef_end(&enc), TK_OK);
    size_t n;
    assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
    return n;
}

/* ---- Appendix A ------------------------------------------------------- */

static json_t *load_appendix_a(void)
{
    json_error_t error;
    json_t *root = json_load_file(tk_test_vector("cbor/appendix_a.json"),
                                  JSON_DECODE_INT_AS_REAL, &error);
    if (root == NULL)
        fail_msg("appendix_a.json: %s (line %d)", error.text, error.line);
    assert_true(json_is_array(root));
    return root;
}

static size_t entry_bytes(json_t *entry, uint8_t *buf, size_t cap)
{
    const char *hex = json_string_value(json_object_get(entry, "hex"));
    assert_non_null(hex);
    return tk_test_hex_decode(hex, buf, cap);
}

/* f818 is simple(24) in the vector file (RFC 7049), but RFC 8949 section
 * 3.3 and Appendix F.1 make it not well-formed. */
static bool is_f818(const uint8_t *buf, size_t len)
{
    return len == 2 && buf[0] == 0xf8 && buf[1] == 0x18;
}

static void appendix_a_decodes(void **state)
{
    (void)state;
    json_t *root = load_appendix_a();
    size_t i;
    json_t *entry;
    size_t checked = 0;

    assert_int_equal(json_array_size(root), 82);
    json_array_foreach(root, i, entry)
    {
        uint8_t buf[128];
        size_t len = entry_bytes(entry, buf, sizeof buf);
        size_t err_off = 99;
        tk_err err = tk_cbor_validate(buf, len, 0, &err_off);
        if (is_f818(buf, len)) {
            assert_int_equal(err, TK_ERR_CBOR_BAD_SIMPLE);
            assert_int_equal(err_off, 0);
            continue;
        }
        assert_int_equal(err, TK_OK);

        json_t *diag = json_object_get(entry, "diagnostic");
        if (diag != NULL) {
            char text[256];
            size_t needed;
            assert_int_equal(tk_cbor_diag(buf, len, text, sizeof text,
                                          &needed, 0, NULL, NULL, NULL),
                             TK_OK);
            assert_string_equal(text, json_string_value(diag));
            assert_int_equal(needed, strlen(text));
        } else {
            tk_cbor_dec dec;
            json_t *value = json_object_get(entry, "decoded");
            assert_non_null(value);
            assert_int_equal(tk_cbor_dec_init(&dec, buf, len, 0), TK_OK);
            check_json_value(&dec, value);
            assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
        }
        checked++;
    }
    assert_int_equal(checked, 81);
    json_decref(root);
}

static void appendix_a_roundtrips(void **state)
{
    (void)state;
    json_t *root = load_appendix_a();
    size_t i;
    json_t *entry;
    size_t checked = 0;

    json_array_foreach(root, i, entry)
    {
        uint8_t buf[128], out[128];
        size_t len = entry_bytes(entry, buf, sizeof buf);
        if (!json_is_true(json_object_get(entry, "roundtrip")) ||
            is_f818(buf, len))
            continue;
        size_t n = reencode(buf, len, out, sizeof out, 0);
        assert_int_equal(n, len);
        assert_memory_equal(out, buf, len);
        /* The examples with maps have their keys sorted already, so the
         * deterministic encoder must give the same bytes. */
        n = reencode(buf, len, out, sizeof out, TK_CBOR_ENC_DETERMINISTIC);
        assert_int_equal(n, len);
        assert_memory_equal(out, buf, len);
        /* And the deterministic checks accept them. */
        assert_int_equal(
            tk_cbor_validate(buf, len, TK_CBOR_CHECK_DETERMINISTIC, NULL),
            TK_OK);
        checked++;
    }
    assert_int_equal(checked, 64);
    json_decref(root);
}

/* The non-roundtrip examples use longer float forms or indefinite lengths,
 * which the preferred and deterministic checks reject. */
static void appendix_a_non_preferred_rejected(void **state)
{
    (void)state;
    json_t *root = load_appendix_a();
    size_t i;
    json_t *entry;
    size_t checked = 0;

    json_array_foreach(root, i, entry)
    {
        uint8_t buf[128];
        size_t len = entry_bytes(entry, buf, sizeof buf);
        if (json_is_true(json_object_get(entry, "roundtrip")))
            continue;
        tk_err err =
            tk_cbor_validate(buf, len, TK_CBOR_CHECK_DETERMINISTIC, NULL);
        if (buf[0] == 0xfa || buf[0] == 0xfb)
            assert_int_equal(err, TK_ERR_CBOR_NOT_PREFERRED);
        else
            assert_int_equal(err, TK_ERR_CBOR_INDEFINITE);
        checked++;
    }
    assert_int_equal(checked, 17);
    json_decref(root);
}

/* Appendix A's diagnostic column for the examples the vector file gives
 * as JSON values, floats above all. */
static void appendix_a_diag_forms(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        const char *diag;
    } cases[] = {
        {"1bffffffffffffffff", "18446744073709551615"},
        {"c249010000000000000000", "2(h'010000000000000000')"},
        {"3bffffffffffffffff", "-18446744073709551616"},
        {"3903e7", "-1000"},
        {"f90000", "0.0"},
        {"f98000", "-0.0"},
        {"f93c00", "1.0"},
        {"fb3ff199999999999a", "1.1"},
        {"f93e00", "1.5"},
        {"f97bff", "65504.0"},
        {"fa47c35000", "100000.0"},
        {"fa7f7fffff", "3.4028234663852886e+38"},
        {"fb7e37e43c8800759c", "1.0e+300"},
        {"f90001", "5.960464477539063e-8"},
        {"f90400", "0.00006103515625"},
        {"f9c400", "-4.0"},
        {"fbc010666666666666", "-4.1"},
        {"f4", "false"},
        {"f5", "true"},
        {"f6", "null"},
        {"6161", "\"a\""},
        {"62225c", "\"\\\"\\\\\""},
        {"62c3bc", "\"\xc3\xbc\""},
        {"80", "[]"},
        {"8301820203820405", "[1, [2, 3], [4, 5]]"},
        {"a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}"},
        {"7f657374726561646d696e67ff", "(_ \"strea\", \"ming\")"},
        {"9fff", "[_ ]"},
        {"9f018202039f0405ffff", "[_ 1, [2, 3], [_ 4, 5]]"},
        {"bf6346756ef563416d7421ff", "{_ \"Fun\": true, \"Amt\": -2}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[64];
        char text[128];
        size_t needed;
        size_t len = tk_test_hex_decode(cases[i].hex, buf, sizeof buf);
        assert_int_equal(tk_cbor_diag(buf, len, text, sizeof text, &needed,
                                      0, NULL, NULL, NULL),
                         TK_OK);
        assert_string_equal(text, cases[i].diag);
    }
}

/* The TEEP and SUIT examples kept for the benchmark decode and encode
 * back to the same bytes, so their examples use preferred serialization. */
static void spec_examples_roundtrip(void **state)
{
    (void)state;
    static const char *const files[] = {
        "cbor/bench/teep_claims_299B.hex",
        "cbor/bench/suit_example2.hex",
        "cbor/bench/teep_query_response.hex.txt",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        uint8_t *in = tk_test_read_hex(tk_test_vector(files[i]), &len);
        uint8_t *out = malloc(len);
        assert_non_null(out);
        assert_int_equal(
            tk_cbor_validate(in, len, TK_CBOR_CHECK_PREFERRED, NULL), TK_OK);
        size_t n = reencode(in, len, out, len, 0);
        assert_int_equal(n, len);
        assert_memory_equal(out, in, len);
        free(out);
        free(in);
    }
}

/* ---- Appendix F ------------------------------------------------------- */

/* Expected error and offset of every line of not_well_formed.txt. A count
 * that the rest of the input cannot hold is found at the array or map
 * head, before its missing items or a misplaced break. */
static const struct {
    const char *hex;
    tk_err err;
    size_t off;
} not_well_formed[] = {
    {"18", TK_ERR_CBOR_TRUNCATED, 0},
    {"19", TK_ERR_CBOR_TRUNCATED, 0},
    {"1a", TK_ERR_CBOR_TRUNCATED, 0},
    {"1b", TK_ERR_CBOR_TRUNCATED, 0},
    {"1901", TK_ERR_CBOR_TRUNCATED, 0},
    {"1a0102", TK_ERR_CBOR_TRUNCATED, 0},
    {"1b01020304050607", TK_ERR_CBOR_TRUNCATED, 0},
    {"38", TK_ERR_CBOR_TRUNCATED, 0},
    {"58", TK_ERR_CBOR_TRUNCATED, 0},
    {"78", TK_ERR_CBOR_TRUNCATED, 0},
    {"98", TK_ERR_CBOR_TRUNCATED, 0},
    {"9a01ff00", TK_ERR_CBOR_TRUNCATED, 0},
    {"b8", TK_ERR_CBOR_TRUNCATED, 0},
    {"d8", TK_ERR_CBOR_TRUNCATED, 0},
    {"f8", TK_ERR_CBOR_TRUNCATED, 0},
    {"f900", TK_ERR_CBOR_TRUNCATED, 0},
    {"fa0000", TK_ERR_CBOR_TRUNCATED, 0},
    {"fb000000", TK_ERR_CBOR_TRUNCATED, 0},
    {"41", TK_ERR_CBOR_TRUNCATED, 0},
    {"61", TK_ERR_CBOR_TRUNCATED, 0},
    {"5affffffff00", TK_ERR_CBOR_TRUNCATED, 0},
    {"5bffffffffffffffff010203", TK_ERR_CBOR_TRUNCATED, 0},
    {"7affffffff00", TK_ERR_CBOR_TRUNCATED, 0},
    {"7b7fffffffffffffff010203", TK_ERR_CBOR_TRUNCATED, 0},
    {"81", TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
    {"818181818181818181", TK_ERR_CBOR_COUNT_TOO_LARGE, 8},
    {"8200", TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
    {"a1", TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
    {"a20102", TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
    {"a100", TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
    {"a2000000", TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
    {"c0", TK_ERR_CBOR_TRUNCATED, 1},
    {"5f4100", TK_ERR_CBOR_TRUNCATED, 3},
    {"7f6100", TK_ERR_CBOR_TRUNCATED, 3},
    {"9f", TK_ERR_CBOR_TRUNCATED, 1},
    {"9f0102", TK_ERR_CBOR_TRUNCATED, 3},
    {"bf", TK_ERR_CBOR_TRUNCATED, 1},
    {"bf01020102", TK_ERR_CBOR_TRUNCATED, 5},
    {"819f", TK_ERR_CBOR_TRUNCATED, 2},
    {"9f8000", TK_ERR_CBOR_TRUNCATED, 3},
    {"9f9f9f9f9fffffffff", TK_ERR_CBOR_TRUNCATED, 9},
    {"9f819f819f9fffffff", TK_ERR_CBOR_TRUNCATED, 9},
    {"1c", TK_ERR_CBOR_RESERVED_AI, 0},
    {"1d", TK_ERR_CBOR_RESERVED_AI, 0},
    {"1e", TK_ERR_CBOR_RESERVED_AI, 0},
    {"3c", TK_ERR_CBOR_RESERVED_AI, 0},
    {"3d", TK_ERR_CBOR_RESERVED_AI, 0},
    {"3e", TK_ERR_CBOR_RESERVED_AI, 0},
    {"5c", TK_ERR_CBOR_RESERVED_AI, 0},
    {"5d", TK_ERR_CBOR_RESERVED_AI, 0},
    {"5e", TK_ERR_CBOR_RESERVED_AI, 0},
    {"7c", TK_ERR_CBOR_RESERVED_AI, 0},
    {"7d", TK_ERR_CBOR_RESERVED_AI, 0},
    {"7e", TK_ERR_CBOR_RESERVED_AI, 0},
    {"9c", TK_ERR_CBOR_RESERVED_AI, 0},
    {"9d", TK_ERR_CBOR_RESERVED_AI, 0},
    {"9e", TK_ERR_CBOR_RESERVED_AI, 0},
    {"bc", TK_ERR_CBOR_RESERVED_AI, 0},
    {"bd", TK_ERR_CBOR_RESERVED_AI, 0},
    {"be", TK_ERR_CBOR_RESERVED_AI, 0},
    {"dc", TK_ERR_CBOR_RESERVED_AI, 0},
    {"dd", TK_ERR_CBOR_RESERVED_AI, 0},
    {"de", TK_ERR_CBOR_RESERVED_AI, 0},
    {"fc", TK_ERR_CBOR_RESERVED_AI, 0},
    {"fd", TK_ERR_CBOR_RESERVED_AI, 0},
    {"fe", TK_ERR_CBOR_RESERVED_AI, 0},
    {"f800", TK_ERR_CBOR_BAD_SIMPLE, 0},
    {"f801", TK_ERR_CBOR_BAD_SIMPLE, 0},
    {"f818", TK_ERR_CBOR_BAD_SIMPLE, 0},
    {"f81f", TK_ERR_CBOR_BAD_SIMPLE, 0},
    {"5f00ff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"5f21ff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"5f6100ff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"5f80ff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"5fa0ff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"5fc000ff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"5fe0ff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"7f4100ff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"5f5f4100ffff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"7f7f6100ffff", TK_ERR_CBOR_BAD_CHUNK, 1},
    {"ff", TK_ERR_CBOR_UNEXPECTED_BREAK, 0},
    {"81ff", TK_ERR_CBOR_UNEXPECTED_BREAK, 1},
    {"8200ff", TK_ERR_CBOR_UNEXPECTED_BREAK, 2},
    {"a1ff", TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
    {"a1ff00", TK_ERR_CBOR_UNEXPECTED_BREAK, 1},
    {"a100ff", TK_ERR_CBOR_UNEXPECTED_BREAK, 2},
    {"a20000ff", TK_ERR_CBOR_COUNT_TOO_LARGE, 0},
    {"9f81ff", TK_ERR_CBOR_UNEXPECTED_BREAK, 2},
    {"9f829f819f9fffffffff", TK_ERR_CBOR_UNEXPECTED_BREAK, 9},
    {"bf00ff", TK_ERR_CBOR_UNEXPECTED_BREAK, 2},
    {"bf000000ff", TK_ERR_CBOR_UNEXPECTED_BREAK, 4},
    {"1f", TK_ERR_CBOR_BAD_INDEFINITE, 0},
    {"3f", TK_ERR_CBOR_BAD_INDEFINITE, 0},
    {"df", TK_ERR_CBOR_BAD_INDEFINITE, 0},
};

#define NOT_WELL_FORMED_COUNT \
    (sizeof not_well_formed / sizeof not_well_formed[0])

/* Returns the index of hex in not_well_formed[], failing when absent. */
static size_t expectation_of(const char *hex)
{
    for (size_t i = 0; i < NOT_WELL_FORMED_COUNT; i++) {
        if (strcmp(not_well_formed[i].hex, hex) == 0)
            return i;
    }
    fail_msg("no expected error for not-well-formed item %s", hex);
    return 0;
}

/* Decodes in[0..len) with tk_cbor_dec_skip() and finish(). */
static tk_err decode_by_skip(const uint8_t *in, size_t len, size_t *off)
{
    tk_cbor_dec dec;
    tk_cbor_dec_init(&dec, in, len, 0);
    tk_err err = tk_cbor_dec_skip(&dec, NULL);
    if (err == TK_OK)
        err = tk_cbor_dec_finish(&dec);
    *off = tk_cbor_dec_error_offset(&dec);
    /* The error is sticky: a second call returns it again. */
    assert_int_equal(tk_cbor_dec_skip(&dec, NULL), err);
    return err;
}

static void appendix_f_fails_on_every_path(void **state)
{
    (void)state;
    size_t len;
    char *text = (char *)tk_test_read_file(
        tk_test_vector("cbor/not_well_formed.txt"), &len);
    size_t lines = 0;
    bool seen[NOT_WELL_FORMED_COUNT] = {false};

    for (char *line = strtok(text, "\n"); line != NULL;
         line = strtok(NULL, "\n")) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *hex = strrchr(line, '|');
        assert_non_null(hex);
        hex++;
        size_t at = expectation_of(hex);
        seen[at] = true;
        tk_err want = not_well_formed[at].err;
        size_t want_off = not_well_formed[at].off;

        uint8_t buf[32];
        size_t n = tk_test_hex_decode(hex, buf, sizeof buf);
        size_t off = 99;
        /* Every path reports the same error at the same offset. */
        assert_int_equal(tk_cbor_validate(buf, n, 0, &off), want);
        assert_int_equal(off, want_off);
        assert_int_equal(decode_by_skip(buf, n, &off), want);
        assert_int_equal(off, want_off);
        char out[64];
        size_t needed;
        off = 99;
        assert_int_equal(tk_cbor_diag(buf, n, out, sizeof out, &needed, 0,
                                      NULL, NULL, &off),
                         want);
        assert_int_equal(off, want_off);
        assert_string_equal(out, "");
        lines++;
    }
    assert_int_equal(lines, 94);
    for (size_t i = 0; i < NOT_WELL_FORMED_COUNT; i++)
        assert_true(seen[i]);
    free(text);
}

/* Kind 1 of Appendix F: bytes after a complete item. */
static void appendix_f_trailing_bytes(void **state)
{
    (void)state;
    static const uint8_t inputs[][4] = {{0x00, 0x00}, {0x80, 0x01},
                                        {0x9f, 0xff, 0xff}, {0x41, 0x00, 0x00}};
    static const size_t lens[] = {2, 2, 3, 3};
    static const size_t offs[] = {1, 1, 2, 2};
    for (size_t i = 0; i < 4; i++) {
        size_t off = 99;
        assert_int_equal(tk_cbor_validate(inputs[i], lens[i], 0, &off),
                         TK_ERR_CBOR_TRAILING);
        assert_int_equal(off, offs[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appendix_a_decodes),
        cmocka_unit_test(appendix_a_roundtrips),
        cmocka_unit_test(appendix_a_non_preferred_rejected),
        cmocka_unit_test(appendix_a_diag_forms),
        cmocka_unit_test(spec_examples_roundtrip),
        cmocka_unit_test(appendix_f_fails_on_every_path),
        cmocka_unit_test(appendix_f_trailing_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
