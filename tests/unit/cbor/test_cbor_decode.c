/*
 * Decoder tests: faults that other CBOR decoders shipped (unbounded
 * searches, trusted counts, depth limits bypassed with tags, break framing,
 * truncated heads), the validity checks, and every typed helper.
 *
 * Inputs are copied into heap buffers of their exact size, so that
 * AddressSanitizer catches any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/cbor.h"
#include "tk_test.h"

/* An input decoded from hex into a heap buffer of exactly its size. */
typedef struct input {
    uint8_t *ptr;
    size_t len;
} input;

static input from_hex(const char *hex)
{
    uint8_t tmp[256];
    input in;
    in.len = tk_test_hex_decode(hex, tmp, sizeof tmp);
    in.ptr = malloc(in.len > 0 ? in.len : 1);
    assert_non_null(in.ptr);
    memcpy(in.ptr, tmp, in.len);
    return in;
}

/* Validates hex with flags and checks the error and its offset. */
static void expect_validate(const char *hex, uint32_t flags, tk_err err,
                            size_t off)
{
    input in = from_hex(hex);
    size_t got_off = 12345;
    tk_err got = tk_cbor_validate(in.ptr, in.len, flags, &got_off);
    if (got != err || got_off != off)
        fail_msg("%s: got %s at %zu, expected %s at %zu", hex,
                 tk_errname(got), got_off, tk_errname(err), off);
    free(in.ptr);
}

/* ---- fault rows ------------------------------------------------------- */

/* A map search meets a key that is not an integer: the error ends the
 * search and stays, so a second search cannot resume. */
static void map_find_bad_label_stops(void **state)
{
    (void)state;
    input in = from_hex("A2 F6 00 01 02"); /* {null: 0, 1: 2} */
    tk_cbor_dec dec;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_map(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 1), TK_ERR_CBOR_BAD_MAP_LABEL);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 1);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 1), TK_ERR_CBOR_BAD_MAP_LABEL);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 7), TK_ERR_CBOR_BAD_MAP_LABEL);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 1);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_ERR_CBOR_BAD_MAP_LABEL);
    free(in.ptr);
}

/* {1: 1("abc")}: an epoch date on a text string. With the tag check on,
 * skipping the value during a search fails and the failure stays. */
static void map_find_bad_tag_content_stops(void **state)
{
    (void)state;
    input in = from_hex("A1 01 C1 63 616263");
    tk_cbor_dec dec;

    tk_cbor_dec_init(&dec, in.ptr, in.len, TK_CBOR_CHECK_TAG_CONTENT);
    assert_int_equal(tk_cbor_dec_enter_map(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 5),
                     TK_ERR_CBOR_BAD_TAG_CONTENT);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 3);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 5),
                     TK_ERR_CBOR_BAD_TAG_CONTENT);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 1),
                     TK_ERR_CBOR_BAD_TAG_CONTENT);

    /* Without the check the tag is only structure. */
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_map(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 5), TK_ERR_NOT_FOUND);
    assert_int_equal(tk_cbor_dec_error(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 1), TK_OK);
    uint64_t tag;
    tk_view text;
    assert_int_equal(tk_cbor_dec_get_tag(&dec, &tag), TK_OK);
    assert_int_equal(tag, 1);
    assert_int_equal(tk_cbor_dec_get_tstr(&dec, &text), TK_OK);
    assert_int_equal(text.len, 3);
    assert_memory_equal(text.ptr, "abc", 3);
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
    free(in.ptr);
}

/* Declared counts are checked against the remaining input before any
 * item is read, without multiplying them. */
static void huge_counts_rejected(void **state)
{
    (void)state;
    expect_validate("A2 9B 80 00 00 00 00 00 00 00", 0,
                    TK_ERR_CBOR_COUNT_TOO_LARGE, 1);
    expect_validate("9B FF FF FF FF FF FF FF FF 00", 0,
                    TK_ERR_CBOR_COUNT_TOO_LARGE, 0);
    /* 2 * pairs would wrap around to 0 in 64 bits. */
    expect_validate("BB 80 00 00 00 00 00 00 00 00", 0,
                    TK_ERR_CBOR_COUNT_TOO_LARGE, 0);
    expect_validate("5B FF FF FF FF FF FF FF FF 00", 0,
                    TK_ERR_CBOR_TRUNCATED, 0);
    expect_validate("7B 80 00 00 00 00 00 00 00 00", 0,
                    TK_ERR_CBOR_TRUNCATED, 0);

    /* The same through the typed helpers. */
    input in = from_hex("A2 9B 80 00 00 00 00 00 00 00");
    tk_cbor_dec dec;
    int64_t label;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_map(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_label(&dec, &label),
                     TK_ERR_CBOR_COUNT_TOO_LARGE);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 1);
    assert_int_equal(tk_cbor_dec_map_find(&dec, 1),
                     TK_ERR_CBOR_COUNT_TOO_LARGE);
    free(in.ptr);
}

/* Builds prefix_byte * prefix_count, middle, fill_byte * fill_count,
 * tail_byte * tail_count in a heap buffer of exactly that size. */
static input build_chain(uint8_t prefix_byte, size_t prefix_count,
                         uint8_t middle, uint8_t fill_byte, size_t fill_count,
                         uint8_t tail_byte, size_t tail_count)
{
    input in;
    in.len = prefix_count + 1 + fill_count + tail_count;
    in.ptr = malloc(in.len);
    assert_non_null(in.ptr);
    memset(in.ptr, prefix_byte, prefix_count);
    in.ptr[prefix_count] = middle;
    memset(in.ptr + prefix_count + 1, fill_byte, fill_count);
    memset(in.ptr + prefix_count + 1 + fill_count, tail_byte, tail_count);
    return in;
}

/* Checks that every reader of in fails with TK_ERR_CBOR_TOO_DEEP at off. */
static void expect_too_deep_everywhere(input in, size_t off)
{
    tk_cbor_dec dec;
    size_t got = 0, needed;
    char out[64];

    assert_int_equal(tk_cbor_validate(in.ptr, in.len, 0, &got),
                     TK_ERR_CBOR_TOO_DEEP);
    assert_int_equal(got, off);
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_skip(&dec, NULL), TK_ERR_CBOR_TOO_DEEP);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), off);
    got = 0;
    assert_int_equal(tk_cbor_diag(in.ptr, in.len, out, sizeof out, &needed,
                                  TK_CBOR_DIAG_EMBEDDED, NULL, NULL, &got),
                     TK_ERR_CBOR_TOO_DEEP);
    assert_int_equal(got, off);

    tk_cbor_enc enc;
    uint8_t buf[16];
    tk_cbor_enc_init(&enc, buf, sizeof buf, 0);
    assert_int_equal(tk_cbor_enc_put_raw(&enc, in.ptr, in.len),
                     TK_ERR_CBOR_TOO_DEEP);
}

/* Tags count toward the nesting limit, so a tag between containers does
 * not reset it, and a deep input fails at the limit without recursion. */
static void depth_limit_holds_through_tags(void **state)
{
    (void)state;
    const size_t limit = TK_CBOR_MAX_DEPTH;
    const size_t deep = 100000;

    input in = build_chain(0x9f, limit, 0xc0, 0x9f, deep, 0xff, limit + deep);
    expect_too_deep_everywhere(in, limit);
    free(in.ptr);

    in = build_chain(0x81, limit - 1, 0xc0, 0x81, deep, 0x00, 1);
    expect_too_deep_everywhere(in, limit);
    free(in.ptr);

    /* A chain of tags alone. */
    in = build_chain(0xc0, deep, 0xc0, 0xc0, 0, 0x00, 1);
    expect_too_deep_everywhere(in, limit);
    free(in.ptr);

    /* Exactly the limit is allowed; one more is not. */
    in = build_chain(0x81, limit - 1, 0x81, 0x00, 0, 0x00, 1);
    assert_int_equal(tk_cbor_validate(in.ptr, in.len, 0, NULL), TK_OK);
    free(in.ptr);
    in = build_chain(0x81, limit, 0x81, 0x00, 0, 0x00, 1);
    expect_too_deep_everywhere(in, limit);
    free(in.ptr);
}

static void depth_limit_per_decoder(void **state)
{
    (void)state;
    input ok = from_hex("81 81 C1 81 00");
    input deep = from_hex("81 81 C1 81 81 00");
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_err err;

    tk_cbor_dec_init(&dec, ok.ptr, ok.len, 0);
    assert_int_equal(tk_cbor_dec_set_max_depth(&dec, 4), TK_OK);
    while ((err = tk_cbor_dec_next(&dec, &item)) == TK_OK)
        ;
    assert_int_equal(err, TK_ERR_CBOR_END);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);

    tk_cbor_dec_init(&dec, deep.ptr, deep.len, 0);
    assert_int_equal(tk_cbor_dec_set_max_depth(&dec, 4), TK_OK);
    while ((err = tk_cbor_dec_next(&dec, &item)) == TK_OK)
        ;
    assert_int_equal(err, TK_ERR_CBOR_TOO_DEEP);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 4);

    tk_cbor_dec_init(&dec, ok.ptr, ok.len, 0);
    assert_int_equal(tk_cbor_dec_set_max_depth(&dec, 0), TK_ERR_INVALID_ARG);
    tk_cbor_dec_init(&dec, ok.ptr, ok.len, 0);
    assert_int_equal(tk_cbor_dec_set_max_depth(&dec, TK_CBOR_MAX_DEPTH + 1),
                     TK_ERR_INVALID_ARG);
    free(ok.ptr);
    free(deep.ptr);
}

static void break_framing_rejected(void **state)
{
    (void)state;
    expect_validate("FF", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 0);
    expect_validate("81 FF", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 1);
    expect_validate("83 01 FF 02", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 2);
    expect_validate("A1 FF 01", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 1);
    expect_validate("A1 01 FF", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 2);
    expect_validate("C0 FF", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 1);
    expect_validate("BF 61 61 FF", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 3);
    expect_validate("BF 61 61 01 61 62 FF", 0, TK_ERR_CBOR_UNEXPECTED_BREAK, 6);
    expect_validate("9F 01", 0, TK_ERR_CBOR_TRUNCATED, 2);
    expect_validate("5F 41 00 61 62 FF", 0, TK_ERR_CBOR_BAD_CHUNK, 3);
}

static void break_framing_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        const char *diag;
    } cases[] = {
        {"9F FF", "[_ ]"},
        {"BF FF", "{_ }"},
        {"9F 01 9F 02 FF FF", "[_ 1, [_ 2]]"},
    };
    for (size_t i = 0; i < 3; i++) {
        input in = from_hex(cases[i].hex);
        char out[32];
        size_t needed;
        assert_int_equal(tk_cbor_diag(in.ptr, in.len, out, sizeof out,
                                      &needed, 0, NULL, NULL, NULL),
                         TK_OK);
        assert_string_equal(out, cases[i].diag);
        free(in.ptr);
    }

    /* [1, [2]] through the typed helpers. */
    input in = from_hex("9F 01 9F 02 FF FF");
    tk_cbor_dec dec;
    uint64_t count, value;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, &count), TK_OK);
    assert_true(count == TK_CBOR_INDEFINITE);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &value), TK_OK);
    assert_int_equal(value, 1);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &value), TK_OK);
    assert_int_equal(value, 2);
    assert_false(tk_cbor_dec_more(&dec));
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_false(tk_cbor_dec_more(&dec));
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
    free(in.ptr);
}

static void truncated_heads_rejected(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        tk_err err;
    } cases[] = {
        {"FA 47 80 00", TK_ERR_CBOR_TRUNCATED},
        {"FB 3F F0", TK_ERR_CBOR_TRUNCATED},
        {"F9 3C", TK_ERR_CBOR_TRUNCATED},
        {"19 01", TK_ERR_CBOR_TRUNCATED},
        {"1A 00 00 01", TK_ERR_CBOR_TRUNCATED},
        {"1B 00 00 00 00 00 00 00", TK_ERR_CBOR_TRUNCATED},
        {"38", TK_ERR_CBOR_TRUNCATED},
        {"98", TK_ERR_CBOR_TRUNCATED},
        {"D8", TK_ERR_CBOR_TRUNCATED},
        /* A container whose items cannot fit is truncated too, and is
         * found at its head. */
        {"B8 01 01", TK_ERR_CBOR_COUNT_TOO_LARGE},
        {"82 01", TK_ERR_CBOR_COUNT_TOO_LARGE},
        {"A1 01", TK_ERR_CBOR_COUNT_TOO_LARGE},
        {"", TK_ERR_CBOR_TRUNCATED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_validate(cases[i].hex, 0, cases[i].err, 0);

    static const struct {
        const char *hex;
        double value;
    } floats[] = {{"FA 47 80 00 00", 65536.0}, {"F9 3C 00", 1.0}};
    for (size_t i = 0; i < 2; i++) {
        input in = from_hex(floats[i].hex);
        tk_cbor_dec dec;
        double v;
        tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
        assert_int_equal(tk_cbor_dec_get_float(&dec, &v), TK_OK);
        assert_true(v == floats[i].value);
        assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
        free(in.ptr);
    }
}

/* ---- validity checks -------------------------------------------------- */

static void duplicate_keys_rejected(void **state)
{
    (void)state;
    const uint32_t dup = TK_CBOR_CHECK_DUP_KEYS;
    expect_validate("A2 01 26 01 27", 0, TK_OK, 0);
    expect_validate("A2 01 26 01 27", dup, TK_ERR_CBOR_DUP_KEY, 3);
    /* The same key in a longer head (allowed when not preferred). */
    expect_validate("A2 01 26 18 01 27", dup, TK_ERR_CBOR_DUP_KEY, 3);
    expect_validate("A2 20 00 38 00 01", dup, TK_ERR_CBOR_DUP_KEY, 3);
    expect_validate("A2 61 61 00 78 01 61 01", dup, TK_ERR_CBOR_DUP_KEY, 4);
    /* A definite and a chunked string with the same content. */
    expect_validate("A2 62 61 62 00 7F 61 61 61 62 FF 01", dup,
                    TK_ERR_CBOR_DUP_KEY, 5);
    /* Floats of different widths with the same value. */
    expect_validate("A2 F9 3C 00 00 FB 3F F0 00 00 00 00 00 00 01", dup,
                    TK_ERR_CBOR_DUP_KEY, 5);
    /* Arrays and tags as keys, definite against indefinite. */
    expect_validate("A2 82 01 02 00 9F 01 02 FF 01", dup, TK_ERR_CBOR_DUP_KEY,
                    5);
    expect_validate("A2 C1 01 00 C1 18 01 01", dup, TK_ERR_CBOR_DUP_KEY, 4);
    /* Duplicates in an indefinite map and in a nested map. */
    expect_validate("BF 01 00 01 00 FF", dup, TK_ERR_CBOR_DUP_KEY, 3);
    expect_validate("82 00 A3 01 00 02 00 01 00", dup, TK_ERR_CBOR_DUP_KEY, 7);
    /* Values that only look alike are different keys. */
    expect_validate("A2 01 00 20 00", dup, TK_OK, 0);
    expect_validate("A2 41 61 00 61 61 00", dup, TK_OK, 0);
    expect_validate("A2 01 00 F9 3C 00 00", dup, TK_OK, 0);
    expect_validate("A2 82 01 02 00 82 01 03 00", dup, TK_OK, 0);
    expect_validate("A2 82 81 01 02 00 81 82 01 02 00", dup, TK_OK, 0);
    expect_validate("A2 C1 01 00 C2 01 00", dup, TK_OK, 0);
    expect_validate("A2 F4 00 F5 00", dup, TK_OK, 0);
}

/* A COSE protected header map with a duplicate label, read through
 * get_bstr_cbor() as COSE does. */
static void duplicate_label_in_wrapped_map(void **state)
{
    (void)state;
    input in = from_hex("45 A2 01 26 01 27");
    tk_cbor_dec outer, inner;
    int64_t label, value;

    tk_cbor_dec_init(&outer, in.ptr, in.len, TK_CBOR_CHECK_DUP_KEYS);
    assert_int_equal(
        tk_cbor_dec_get_bstr_cbor(&outer, &inner, TK_CBOR_CHECK_DUP_KEYS),
        TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&outer), TK_OK);
    assert_int_equal(tk_cbor_dec_enter_map(&inner, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_label(&inner, &label), TK_OK);
    assert_int_equal(label, 1);
    assert_int_equal(tk_cbor_dec_get_int(&inner, &value), TK_OK);
    assert_int_equal(value, -7);
    assert_int_equal(tk_cbor_dec_get_label(&inner, &label),
                     TK_ERR_CBOR_DUP_KEY);
    assert_int_equal(tk_cbor_dec_error_offset(&inner), 3);
    assert_int_equal(tk_cbor_dec_finish(&inner), TK_ERR_CBOR_DUP_KEY);
    free(in.ptr);
}

static void deterministic_order_checked(void **state)
{
    (void)state;
    const uint32_t det = TK_CBOR_CHECK_DETERMINISTIC;
    expect_validate("A3 01 00 0A 00 18 64 00", det, TK_OK, 0);
    expect_validate("A2 01 00 20 00", det, TK_OK, 0);
    expect_validate("A2 01 00 01 00", det, TK_ERR_CBOR_DUP_KEY, 3);
    expect_validate("A2 02 00 01 00", det, TK_ERR_CBOR_UNSORTED, 3);
    /* Bytewise, not by value: -1 (20) sorts after 100 (18 64). */
    expect_validate("A2 20 00 18 64 00", det, TK_ERR_CBOR_UNSORTED, 3);
    expect_validate("A2 18 64 00 0A 00", det, TK_ERR_CBOR_UNSORTED, 4);
    expect_validate("A2 62 61 61 00 61 62 00", det, TK_ERR_CBOR_UNSORTED, 5);
    expect_validate("9F FF", det, TK_ERR_CBOR_INDEFINITE, 0);
    expect_validate("5F FF", det, TK_ERR_CBOR_INDEFINITE, 0);
    expect_validate("81 BF FF", det, TK_ERR_CBOR_INDEFINITE, 1);
    expect_validate("18 01", det, TK_ERR_CBOR_NOT_PREFERRED, 0);
    /* Unsorted keys are fine when only duplicates are checked. */
    expect_validate("A2 02 00 01 00", TK_CBOR_CHECK_DUP_KEYS, TK_OK, 0);
}

static void utf8_checked(void **state)
{
    (void)state;
    const uint32_t utf8 = TK_CBOR_CHECK_UTF8;
    expect_validate("62 C3 BC", utf8, TK_OK, 0);
    expect_validate("63 E6 B0 B4", utf8, TK_OK, 0);
    expect_validate("64 F0 90 85 91", utf8, TK_OK, 0);
    expect_validate("64 F4 8F BF BF", utf8, TK_OK, 0); /* U+10FFFF */
    expect_validate("63 EF BF BF", utf8, TK_OK, 0);    /* U+FFFF */
    /* Overlong forms. */
    expect_validate("62 C0 80", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("62 C1 BF", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("63 E0 80 80", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("64 F0 80 80 80", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    /* Surrogates and values above U+10FFFF. */
    expect_validate("63 ED A0 80", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("63 ED BF BF", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("64 F4 90 80 80", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("61 F5", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    /* Truncated sequences and stray continuation bytes. */
    expect_validate("62 E6 B0", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("63 F0 90 85", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("62 C3 41", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("61 80", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    expect_validate("61 FF", utf8, TK_ERR_CBOR_BAD_UTF8, 0);
    /* A character split across chunks, and a bad key in a map. */
    expect_validate("7F 61 C3 61 BC FF", utf8, TK_ERR_CBOR_BAD_UTF8, 1);
    expect_validate("A1 61 80 00", utf8, TK_ERR_CBOR_BAD_UTF8, 1);
    /* Byte strings are not text, and the check is off by default. */
    expect_validate("41 80", utf8, TK_OK, 0);
    expect_validate("61 80", 0, TK_OK, 0);
}

static void preferred_heads_checked(void **state)
{
    (void)state;
    const uint32_t pref = TK_CBOR_CHECK_PREFERRED;
    expect_validate("17", pref, TK_OK, 0);
    expect_validate("18 18", pref, TK_OK, 0);
    expect_validate("18 17", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("19 00 FF", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("1A 00 00 FF FF", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("1B 00 00 00 00 FF FF FF FF", pref,
                    TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("38 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("58 01 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("98 01 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("B8 01 00 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("D8 01 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("82 00 19 00 01", pref, TK_ERR_CBOR_NOT_PREFERRED, 2);
    expect_validate("5F 58 01 00 FF", pref, TK_ERR_CBOR_NOT_PREFERRED, 1);
    /* Preferred serialization leaves definite/indefinite to the encoder. */
    expect_validate("9F FF", pref, TK_OK, 0);
    expect_validate("F8 20", pref, TK_OK, 0);
}

static void preferred_floats_checked(void **state)
{
    (void)state;
    const uint32_t pref = TK_CBOR_CHECK_PREFERRED;
    expect_validate("F9 3C 00", pref, TK_OK, 0);
    expect_validate("FA 3F 80 00 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("FB 3F F0 00 00 00 00 00 00", pref,
                    TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("FB 3F F8 00 00 00 00 00 00", pref,
                    TK_ERR_CBOR_NOT_PREFERRED, 0); /* 1.5 */
    expect_validate("FB 40 F8 6A 00 00 00 00 00", pref,
                    TK_ERR_CBOR_NOT_PREFERRED, 0); /* 100000.0 fits single */
    expect_validate("FA 7F C0 00 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("FA 7F 80 00 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("FB 7F F0 00 00 00 00 00 00", pref,
                    TK_ERR_CBOR_NOT_PREFERRED, 0);
    /* Half subnormal 2^-24 in single precision. */
    expect_validate("FA 33 80 00 00", pref, TK_ERR_CBOR_NOT_PREFERRED, 0);
    expect_validate("FA 47 C3 50 00", pref, TK_OK, 0); /* 100000.0 */
    expect_validate("FA 33 00 00 00", pref, TK_OK, 0); /* 2^-25 */
    expect_validate("FB 3F F1 99 99 99 99 99 9A", pref, TK_OK, 0);
    /* A NaN payload that a half cannot hold. */
    expect_validate("FA 7F C0 00 01", pref, TK_OK, 0);
    expect_validate("F9 7E 00", pref, TK_OK, 0);
}

static void tag_content_checked(void **state)
{
    (void)state;
    const uint32_t tags = TK_CBOR_CHECK_TAG_CONTENT;
    expect_validate("C0 60", tags, TK_OK, 0);
    expect_validate("C0 01", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 1);
    expect_validate("C1 1A 51 4B 67 B0", tags, TK_OK, 0);
    expect_validate("C1 3A 51 4B 67 B0", tags, TK_OK, 0);
    expect_validate("C1 F9 3C 00", tags, TK_OK, 0);
    expect_validate("C1 63 61 62 63", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 1);
    expect_validate("C1 F6", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 1);
    expect_validate("C2 40", tags, TK_OK, 0);
    expect_validate("C2 01", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 1);
    expect_validate("C3 80", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 1);
    expect_validate("D8 18 41 00", tags, TK_OK, 0);
    expect_validate("D8 18 61 00", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 2);
    expect_validate("D8 20 41 00", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 2);
    expect_validate("D8 40 40", tags, TK_OK, 0);
    expect_validate("D8 57 80", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 2);
    expect_validate("D8 58 80", tags, TK_OK, 0);
    /* Nested tags: the inner tag head is the content of the outer one. */
    expect_validate("C0 C0 60", tags, TK_ERR_CBOR_BAD_TAG_CONTENT, 1);
    expect_validate("D9 D9F7 C0 60", tags, TK_OK, 0);
    expect_validate("C0 01", 0, TK_OK, 0);
}

/* ---- typed helpers ---------------------------------------------------- */

/* Runs one typed call on the single item in hex and checks that it fails
 * with err at offset off, and that the error stays. */
typedef tk_err (*typed_call)(tk_cbor_dec *dec);

static void expect_typed(const char *hex, typed_call call, tk_err err,
                         size_t off)
{
    input in = from_hex(hex);
    tk_cbor_dec dec;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(call(&dec), err);
    assert_int_equal(tk_cbor_dec_error(&dec), err);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), off);
    assert_int_equal(call(&dec), err);
    assert_int_equal(tk_cbor_dec_finish(&dec), err);
    free(in.ptr);
}

static tk_err call_enter_array(tk_cbor_dec *dec)
{
    return tk_cbor_dec_enter_array(dec, NULL);
}
static tk_err call_enter_map(tk_cbor_dec *dec)
{
    return tk_cbor_dec_enter_map(dec, NULL);
}
static tk_err call_get_uint(tk_cbor_dec *dec)
{
    uint64_t v;
    return tk_cbor_dec_get_uint(dec, &v);
}
static tk_err call_get_int(tk_cbor_dec *dec)
{
    int64_t v;
    return tk_cbor_dec_get_int(dec, &v);
}
static tk_err call_get_bstr(tk_cbor_dec *dec)
{
    tk_view v;
    return tk_cbor_dec_get_bstr(dec, &v);
}
static tk_err call_get_tstr(tk_cbor_dec *dec)
{
    tk_view v;
    return tk_cbor_dec_get_tstr(dec, &v);
}
static tk_err call_get_bool(tk_cbor_dec *dec)
{
    bool v;
    return tk_cbor_dec_get_bool(dec, &v);
}
static tk_err call_get_null(tk_cbor_dec *dec)
{
    return tk_cbor_dec_get_null(dec);
}
static tk_err call_get_float(tk_cbor_dec *dec)
{
    double v;
    return tk_cbor_dec_get_float(dec, &v);
}
static tk_err call_get_tag(tk_cbor_dec *dec)
{
    uint64_t v;
    return tk_cbor_dec_get_tag(dec, &v);
}
static tk_err call_expect_tag_24(tk_cbor_dec *dec)
{
    return tk_cbor_dec_expect_tag(dec, 24);
}
static tk_err call_get_label(tk_cbor_dec *dec)
{
    int64_t v;
    return tk_cbor_dec_get_label(dec, &v);
}
static tk_err call_map_then_label(tk_cbor_dec *dec)
{
    int64_t v;
    tk_err err = tk_cbor_dec_enter_map(dec, NULL);
    return err != TK_OK ? err : tk_cbor_dec_get_label(dec, &v);
}
static tk_err call_get_bstr_cbor(tk_cbor_dec *dec)
{
    tk_cbor_dec inner;
    return tk_cbor_dec_get_bstr_cbor(dec, &inner, 0);
}
static tk_err call_exit(tk_cbor_dec *dec)
{
    return tk_cbor_dec_exit(dec);
}
static tk_err call_map_find(tk_cbor_dec *dec)
{
    return tk_cbor_dec_map_find(dec, 1);
}
static tk_err call_container_raw(tk_cbor_dec *dec)
{
    tk_view v;
    return tk_cbor_dec_container_raw(dec, &v);
}

static void typed_wrong_types(void **state)
{
    (void)state;
    expect_typed("A0", call_enter_array, TK_ERR_CBOR_TYPE, 0);
    expect_typed("80", call_enter_map, TK_ERR_CBOR_TYPE, 0);
    expect_typed("20", call_get_uint, TK_ERR_CBOR_TYPE, 0);
    expect_typed("60", call_get_int, TK_ERR_CBOR_TYPE, 0);
    expect_typed("F9 3C 00", call_get_int, TK_ERR_CBOR_TYPE, 0);
    expect_typed("60", call_get_bstr, TK_ERR_CBOR_TYPE, 0);
    expect_typed("40", call_get_tstr, TK_ERR_CBOR_TYPE, 0);
    expect_typed("F6", call_get_bool, TK_ERR_CBOR_TYPE, 0);
    expect_typed("01", call_get_bool, TK_ERR_CBOR_TYPE, 0);
    expect_typed("F4", call_get_null, TK_ERR_CBOR_TYPE, 0);
    expect_typed("F7", call_get_null, TK_ERR_CBOR_TYPE, 0);
    expect_typed("01", call_get_float, TK_ERR_CBOR_TYPE, 0);
    expect_typed("01", call_get_tag, TK_ERR_CBOR_TYPE, 0);
    expect_typed("01", call_expect_tag_24, TK_ERR_CBOR_TYPE, 0);
    expect_typed("D8 19 40", call_expect_tag_24, TK_ERR_CBOR_WRONG_TAG, 0);
    expect_typed("60", call_get_bstr_cbor, TK_ERR_CBOR_TYPE, 0);
    expect_typed("82 01 02", call_get_uint, TK_ERR_CBOR_TYPE, 0);
}

static void typed_label_errors(void **state)
{
    (void)state;
    expect_typed("01", call_get_label, TK_ERR_STATE, 0);
    expect_typed("A1 61 61 01", call_map_then_label,
                 TK_ERR_CBOR_BAD_MAP_LABEL, 1);
    expect_typed("A1 F6 01", call_map_then_label, TK_ERR_CBOR_BAD_MAP_LABEL,
                 1);
    expect_typed("A1 80 01", call_map_then_label, TK_ERR_CBOR_BAD_MAP_LABEL,
                 1);
    expect_typed("A1 F9 3C 00 01", call_map_then_label,
                 TK_ERR_CBOR_BAD_MAP_LABEL, 1);
    expect_typed("A1 1B 80 00 00 00 00 00 00 00 01", call_map_then_label,
                 TK_ERR_CBOR_BAD_MAP_LABEL, 1);
    expect_typed("A1 3B 80 00 00 00 00 00 00 00 01", call_map_then_label,
                 TK_ERR_CBOR_BAD_MAP_LABEL, 1);
    expect_typed("01", call_exit, TK_ERR_STATE, 0);
    expect_typed("01", call_map_find, TK_ERR_STATE, 0);
    expect_typed("01", call_container_raw, TK_ERR_STATE, 0);

    /* A label read in value position is a misuse too. */
    input in = from_hex("A1 01 02");
    tk_cbor_dec dec;
    int64_t label;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_map(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_label(&dec, &label), TK_OK);
    assert_int_equal(tk_cbor_dec_get_label(&dec, &label), TK_ERR_STATE);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 2);
    free(in.ptr);

    /* Labels at the int64_t extremes. */
    in = from_hex("A2 1B 7F FF FF FF FF FF FF FF 00 3B 7F FF FF FF FF FF FF FF"
                  " 00");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_map(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_label(&dec, &label), TK_OK);
    assert_true(label == INT64_MAX);
    assert_int_equal(tk_cbor_dec_skip(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_label(&dec, &label), TK_OK);
    assert_true(label == INT64_MIN);
    free(in.ptr);
}

static void typed_int_range(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        int64_t value;
    } ok[] = {
        {"00", 0},
        {"17", 23},
        {"20", -1},
        {"38 18", -25},
        {"1B 7F FF FF FF FF FF FF FF", INT64_MAX},
        {"3B 7F FF FF FF FF FF FF FF", INT64_MIN},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        input in = from_hex(ok[i].hex);
        tk_cbor_dec dec;
        int64_t v;
        tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
        assert_int_equal(tk_cbor_dec_get_int(&dec, &v), TK_OK);
        assert_true(v == ok[i].value);
        assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
        free(in.ptr);
    }
    expect_typed("1B 80 00 00 00 00 00 00 00", call_get_int,
                 TK_ERR_CBOR_INT_RANGE, 0);
    expect_typed("3B 80 00 00 00 00 00 00 00", call_get_int,
                 TK_ERR_CBOR_INT_RANGE, 0);
    expect_typed("3B FF FF FF FF FF FF FF FF", call_get_int,
                 TK_ERR_CBOR_INT_RANGE, 0);

    input in = from_hex("1B FF FF FF FF FF FF FF FF");
    tk_cbor_dec dec;
    uint64_t u;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &u), TK_OK);
    assert_true(u == UINT64_MAX);
    free(in.ptr);
}

static void typed_chunked_string(void **state)
{
    (void)state;
    expect_typed("5F 41 01 FF", call_get_bstr, TK_ERR_CBOR_CHUNKED, 0);
    expect_typed("7F 61 61 FF", call_get_tstr, TK_ERR_CBOR_CHUNKED, 0);

    /* next() and copy_str() read it. */
    input in = from_hex("5F 42 01 02 40 43 03 04 05 FF");
    tk_cbor_dec dec;
    tk_cbor_item item;
    uint8_t out[8];
    size_t len;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
    assert_int_equal(item.type, TK_CBOR_BSTR);
    assert_int_equal(item.flags, TK_CBOR_ITEM_INDEFINITE);
    assert_int_equal(item.value, 5);
    assert_int_equal(tk_cbor_item_copy_str(&item, out, 4, &len),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 5);
    assert_int_equal(tk_cbor_item_copy_str(&item, out, 5, &len), TK_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "\x01\x02\x03\x04\x05", 5);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
    free(in.ptr);
}

static void typed_no_more_items(void **state)
{
    (void)state;
    input in = from_hex("82 01 A1 02 03");
    tk_cbor_dec dec;
    uint64_t v;
    int64_t label;

    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(tk_cbor_dec_enter_map(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_label(&dec, &label), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(v, 3);
    assert_false(tk_cbor_dec_more(&dec));
    /* The map ended: a read does not fall out into the array. */
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_ERR_CBOR_NO_MORE);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 5);
    free(in.ptr);

    in = from_hex("01");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_false(tk_cbor_dec_more(&dec));
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_ERR_CBOR_NO_MORE);
    free(in.ptr);
}

static void map_find_hits_and_misses(void **state)
{
    (void)state;
    /* {1: "a", -1: "bb", 10: "ccc"} as a counted and an indefinite map. */
    static const char *const maps[] = {
        "A3 01 61 61 20 62 62 62 0A 63 63 63 63",
        "BF 01 61 61 20 62 62 62 0A 63 63 63 63 FF",
    };
    for (size_t m = 0; m < 2; m++) {
        input in = from_hex(maps[m]);
        tk_cbor_dec dec;
        tk_view text;
        int64_t label;
        tk_cbor_dec_init(&dec, in.ptr, in.len, TK_CBOR_CHECK_DUP_KEYS);
        assert_int_equal(tk_cbor_dec_enter_map(&dec, NULL), TK_OK);

        assert_int_equal(tk_cbor_dec_map_find(&dec, 10), TK_OK);
        assert_int_equal(tk_cbor_dec_get_tstr(&dec, &text), TK_OK);
        assert_int_equal(text.len, 3);
        assert_int_equal(tk_cbor_dec_map_find(&dec, -1), TK_OK);
        assert_int_equal(tk_cbor_dec_get_tstr(&dec, &text), TK_OK);
        assert_memory_equal(text.ptr, "bb", 2);
        assert_int_equal(tk_cbor_dec_map_find(&dec, 1), TK_OK);
        assert_int_equal(tk_cbor_dec_get_tstr(&dec, &text), TK_OK);
        assert_memory_equal(text.ptr, "a", 1);

        /* A miss is not an error and rewinds to the first entry. */
        assert_int_equal(tk_cbor_dec_map_find(&dec, 7), TK_ERR_NOT_FOUND);
        assert_int_equal(tk_cbor_dec_error(&dec), TK_OK);
        assert_int_equal(tk_cbor_dec_get_label(&dec, &label), TK_OK);
        assert_int_equal(label, 1);
        assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
        assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
        free(in.ptr);
    }
}

static void skip_returns_raw_items(void **state)
{
    (void)state;
    input in = from_hex("84 01 A1 02 82 03 04 C1 05 5F 41 06 FF");
    tk_cbor_dec dec;
    tk_view raw;
    uint64_t v;

    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(tk_cbor_dec_skip(&dec, &raw), TK_OK);
    assert_ptr_equal(raw.ptr, in.ptr + 2);
    assert_int_equal(raw.len, 5);
    assert_int_equal(tk_cbor_dec_skip(&dec, &raw), TK_OK);
    assert_ptr_equal(raw.ptr, in.ptr + 7);
    assert_int_equal(raw.len, 2);
    assert_int_equal(tk_cbor_dec_skip(&dec, &raw), TK_OK);
    assert_ptr_equal(raw.ptr, in.ptr + 9);
    assert_int_equal(raw.len, 4);
    assert_int_equal(tk_cbor_dec_skip(&dec, &raw), TK_ERR_CBOR_NO_MORE);
    free(in.ptr);

    /* Skipping the content of a tag read with get_tag closes the tag. */
    in = from_hex("82 D8 18 42 01 02 07");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_expect_tag(&dec, 24), TK_OK);
    assert_int_equal(tk_cbor_dec_skip(&dec, &raw), TK_OK);
    assert_int_equal(raw.len, 3);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(v, 7);
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
    free(in.ptr);
}

static void exit_partially_read(void **state)
{
    (void)state;
    input in = from_hex("83 01 82 02 03 9F 04 A1 05 06 FF");
    tk_cbor_dec dec;
    uint64_t v;

    /* Leave the outer array after its first item. */
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_depth(&dec), 0);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);

    /* Leave an inner array half read, then an indefinite one unread. */
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(v, 2);
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_false(tk_cbor_dec_more(&dec));
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);

    /* Stopping early is caught by finish(). */
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_ERR_CBOR_NOT_CLOSED);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 2);
    free(in.ptr);

    /* A malformed rest is found by exit(). */
    in = from_hex("83 01 82 02 FF 03");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_ERR_CBOR_UNEXPECTED_BREAK);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 4);
    free(in.ptr);
}

static void nested_bstr_cbor(void **state)
{
    (void)state;
    /* [1, << {1: << << 0 >> >>} >>] */
    input in = from_hex("82 01 45 A1 01 42 41 00");
    tk_cbor_dec dec, inner, inner2, inner3;
    uint64_t v;
    int64_t label;

    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(tk_cbor_dec_get_bstr_cbor(&dec, &inner,
                                               TK_CBOR_CHECK_DUP_KEYS),
                     TK_OK);
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);

    assert_int_equal(tk_cbor_dec_enter_map(&inner, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_label(&inner, &label), TK_OK);
    assert_int_equal(tk_cbor_dec_get_bstr_cbor(&inner, &inner2, 0), TK_OK);
    assert_int_equal(tk_cbor_dec_exit(&inner), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&inner), TK_OK);

    assert_int_equal(tk_cbor_dec_get_bstr_cbor(&inner2, &inner3, 0), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&inner2), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&inner3, &v), TK_OK);
    assert_int_equal(v, 0);
    assert_int_equal(tk_cbor_dec_finish(&inner3), TK_OK);
    /* Offsets of an inner decoder count from the start of its content. */
    assert_int_equal(tk_cbor_dec_offset(&inner3), 1);
    free(in.ptr);

    /* Malformed content is the inner decoder's error. */
    in = from_hex("42 82 01");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_get_bstr_cbor(&dec, &inner, 0), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_enter_array(&inner, NULL),
                     TK_ERR_CBOR_COUNT_TOO_LARGE);
    free(in.ptr);
}

static void container_raw_views(void **state)
{
    (void)state;
    input in = from_hex("82 01 9F 02 03 FF");
    tk_cbor_dec dec;
    tk_view raw;
    uint64_t v;

    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(tk_cbor_dec_container_raw(&dec, &raw), TK_OK);
    assert_ptr_equal(raw.ptr, in.ptr);
    assert_int_equal(raw.len, 6);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_container_raw(&dec, &raw), TK_OK);
    assert_ptr_equal(raw.ptr, in.ptr + 2);
    assert_int_equal(raw.len, 4);
    /* The view does not move the decoder. */
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_OK);
    assert_int_equal(v, 2);
    free(in.ptr);

    in = from_hex("82 01 82 02");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_container_raw(&dec, &raw),
                     TK_ERR_CBOR_COUNT_TOO_LARGE);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 2);
    free(in.ptr);
}

static void next_walks_document_order(void **state)
{
    (void)state;
    /* [1(1), {"a": [_ ]}, -2] */
    input in = from_hex("83 C1 01 A1 61 61 9F FF 21");
    static const struct {
        tk_cbor_type type;
        unsigned depth;
        size_t offset;
        uint64_t value;
    } want[] = {
        {TK_CBOR_ARRAY, 0, 0, 3}, {TK_CBOR_TAG, 1, 1, 1},
        {TK_CBOR_UINT, 2, 2, 1},  {TK_CBOR_MAP, 1, 3, 1},
        {TK_CBOR_TSTR, 2, 4, 1},  {TK_CBOR_ARRAY, 2, 6, TK_CBOR_INDEFINITE},
        {TK_CBOR_NINT, 1, 8, 1},
    };
    tk_cbor_dec dec;
    tk_cbor_item item, peeked;

    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(tk_cbor_dec_peek(&dec, &peeked), TK_OK);
        assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
        assert_int_equal(item.type, want[i].type);
        assert_int_equal(item.depth, want[i].depth);
        assert_int_equal(item.offset, want[i].offset);
        assert_true(item.value == want[i].value);
        assert_int_equal(peeked.offset, item.offset);
        assert_int_equal(peeked.type, item.type);
    }
    assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_ERR_CBOR_END);
    assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_ERR_CBOR_END);
    assert_int_equal(tk_cbor_dec_error(&dec), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
    free(in.ptr);
}

static void item_fields_of_scalars(void **state)
{
    (void)state;
    input in = from_hex("88 F4 F5 F6 F7 F0 F8 FF FA 47 C3 50 00 62 68 69");
    tk_cbor_dec dec;
    tk_cbor_item item;
    static const tk_cbor_type types[] = {
        TK_CBOR_FALSE, TK_CBOR_TRUE,   TK_CBOR_NULL,  TK_CBOR_UNDEFINED,
        TK_CBOR_SIMPLE, TK_CBOR_SIMPLE, TK_CBOR_FLOAT, TK_CBOR_TSTR,
    };
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
        assert_int_equal(item.type, types[i]);
        assert_int_equal(item.depth, 1);
    }
    assert_int_equal(item.str.len, 2);
    assert_memory_equal(item.str.ptr, "hi", 2);
    free(in.ptr);

    in = from_hex("F0");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
    assert_int_equal(item.value, 16);
    free(in.ptr);

    in = from_hex("FA 47 C3 50 00");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
    assert_int_equal(item.float_width, 4);
    assert_int_equal(item.value, 0x47c35000);
    assert_true(item.f == 100000.0);
    free(in.ptr);
}

static void errors_are_sticky(void **state)
{
    (void)state;
    input in = from_hex("82 1C 01");
    tk_cbor_dec dec;
    tk_cbor_item item;
    uint64_t v;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_ERR_CBOR_RESERVED_AI);
    size_t off = tk_cbor_dec_offset(&dec);
    assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_ERR_CBOR_RESERVED_AI);
    assert_int_equal(tk_cbor_dec_peek(&dec, &item), TK_ERR_CBOR_RESERVED_AI);
    assert_false(tk_cbor_dec_more(&dec));
    assert_int_equal(tk_cbor_dec_exit(&dec), TK_ERR_CBOR_RESERVED_AI);
    assert_int_equal(tk_cbor_dec_skip(&dec, NULL), TK_ERR_CBOR_RESERVED_AI);
    assert_int_equal(tk_cbor_dec_offset(&dec), off);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 1);
    /* A later format error does not replace the first one. */
    assert_int_equal(tk_cbor_dec_fail(&dec, TK_ERR_CBOR_TYPE),
                     TK_ERR_CBOR_RESERVED_AI);
    free(in.ptr);

    /* fail() records a format's own error at the current offset. */
    in = from_hex("82 01 02");
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
    assert_int_equal(tk_cbor_dec_fail(&dec, TK_ERR_CBOR_WRONG_TAG),
                     TK_ERR_CBOR_WRONG_TAG);
    assert_int_equal(tk_cbor_dec_error_offset(&dec), 1);
    assert_int_equal(tk_cbor_dec_get_uint(&dec, &v), TK_ERR_CBOR_WRONG_TAG);
    free(in.ptr);
}

static void init_rejects_bad_arguments(void **state)
{
    (void)state;
    tk_cbor_dec dec;
    tk_cbor_item item;
    assert_int_equal(tk_cbor_dec_init(NULL, NULL, 0, 0), TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_dec_init(&dec, NULL, 3, 0), TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_ERR_INVALID_ARG);
    static const uint8_t one = 1;
    assert_int_equal(tk_cbor_dec_init(&dec, &one, 1, 0x8000),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_dec_init(&dec, &one, 1, 0), TK_OK);
    assert_int_equal(tk_cbor_dec_next(&dec, NULL), TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_dec_init(&dec, NULL, 0, 0), TK_OK);
    assert_int_equal(tk_cbor_dec_finish(&dec), TK_ERR_CBOR_TRUNCATED);
    assert_int_equal(tk_cbor_dec_next(NULL, &item), TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_dec_error(NULL), TK_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(map_find_bad_label_stops),
        cmocka_unit_test(map_find_bad_tag_content_stops),
        cmocka_unit_test(huge_counts_rejected),
        cmocka_unit_test(depth_limit_holds_through_tags),
        cmocka_unit_test(depth_limit_per_decoder),
        cmocka_unit_test(break_framing_rejected),
        cmocka_unit_test(break_framing_accepted),
        cmocka_unit_test(truncated_heads_rejected),
        cmocka_unit_test(duplicate_keys_rejected),
        cmocka_unit_test(duplicate_label_in_wrapped_map),
        cmocka_unit_test(deterministic_order_checked),
        cmocka_unit_test(utf8_checked),
        cmocka_unit_test(preferred_heads_checked),
        cmocka_unit_test(preferred_floats_checked),
        cmocka_unit_test(tag_content_checked),
        cmocka_unit_test(typed_wrong_types),
        cmocka_unit_test(typed_label_errors),
        cmocka_unit_test(typed_int_range),
        cmocka_unit_test(typed_chunked_string),
        cmocka_unit_test(typed_no_more_items),
        cmocka_unit_test(map_find_hits_and_misses),
        cmocka_unit_test(skip_returns_raw_items),
        cmocka_unit_test(exit_partially_read),
        cmocka_unit_test(nested_bstr_cbor),
        cmocka_unit_test(container_raw_views),
        cmocka_unit_test(next_walks_document_order),
        cmocka_unit_test(item_fields_of_scalars),
        cmocka_unit_test(errors_are_sticky),
        cmocka_unit_test(init_rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
