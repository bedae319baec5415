/*
 * Tests of the decoder's fast path (TK_CBOR_FAST_PATH): without check
 * flags, tk_cbor_dec_next() and the typed helpers read most items with an
 * inline reader and leave the rest to the general reader. Each test here
 * decodes the same bytes on both paths and checks that the items, errors
 * and offsets are the same. The inputs sit where the head size changes
 * (23/24, 255/256, 65535/65536, 2^32-1/2^32) and where a count or length
 * just fits the input or just does not.
 *
 * The general path is forced with TK_CBOR_CHECK_TAG_CONTENT, a check that
 * every input here passes: tag 0 carries text and every other tag a byte
 * string, which tag 24 requires. In builds without the fast
 * path (-Os, the test_cbor_*_size programs) both decoders take the general
 * path, and the tests check the values alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/cbor.h"

/* Arguments around each change of head size, and the largest. */
static const uint64_t boundary_args[] = {
    0,
    23,
    24,
    255,
    256,
    65535,
    65536,
    0xffffffffu,
    UINT64_C(0x100000000),
    UINT64_MAX - 1,
    UINT64_MAX,
};
#define ARG_COUNT (sizeof boundary_args / sizeof boundary_args[0])

/* Largest string length or item count whose content the tests write out;
 * longer ones are declared without their content. */
#define CONTENT_MAX 65536u

/* A growing byte buffer. */
typedef struct buffer {
    uint8_t *data;
    size_t len;
    size_t cap;
} buffer;

static void append(buffer *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

static void append_byte(buffer *b, uint8_t byte)
{
    append(b, &byte, 1);
}

/* Appends a head of major type major with argument arg in size bytes (1,
 * 2, 3, 5 or 9), which may be longer than the shortest form. */
static void append_head(buffer *b, unsigned major, uint64_t arg, size_t size)
{
    static const uint8_t ai_of_size[10] = {0, 0, 24, 25, 0, 26, 0, 0, 0, 27};
    uint8_t head[9];
    head[0] = (uint8_t)(major << 5 | (size == 1 ? arg : ai_of_size[size]));
    for (size_t i = size - 1; i >= 1; i--) {
        head[i] = (uint8_t)arg;
        arg >>= 8;
    }
    append(b, head, size);
}

/* Returns the head sizes that can carry arg: every form from the shortest
 * up, in sizes[] (at least 5 entries). */
static size_t head_sizes(uint64_t arg, size_t *sizes)
{
    size_t n = 0;
    if (arg < 24)
        sizes[n++] = 1;
    if (arg <= 0xff)
        sizes[n++] = 2;
    if (arg <= 0xffff)
        sizes[n++] = 3;
    if (arg <= 0xffffffffu)
        sizes[n++] = 5;
    sizes[n++] = 9;
    return n;
}

/* Checks that every field of two items is the same. */
static void assert_items_equal(const tk_cbor_item *a, const tk_cbor_item *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->depth, b->depth);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->float_width, b->float_width);
    assert_int_equal(a->offset, b->offset);
    assert_true(a->value == b->value);
    assert_memory_equal(&a->f, &b->f, sizeof a->f);
    assert_ptr_equal(a->str.ptr, b->str.ptr);
    assert_int_equal(a->str.len, b->str.len);
}

/*
 * Walks in[0..len) with next() on both paths and checks that each call
 * returns the same result, item, offset and depth, that the first error
 * and its offset are the same, and that finish() agrees. Returns the
 * result that ended the walk: TK_ERR_CBOR_END or the error.
 */
static tk_err expect_same_walks(const uint8_t *in, size_t len)
{
    tk_cbor_dec fast, general;
    tk_cbor_item a, b;
    tk_err err;

    assert_int_equal(tk_cbor_dec_init(&fast, in, len, 0), TK_OK);
    assert_int_equal(
        tk_cbor_dec_init(&general, in, len, TK_CBOR_CHECK_TAG_CONTENT), TK_OK);
    do {
        memset(&a, 0x5a, sizeof a);
        memset(&b, 0xa5, sizeof b);
        err = tk_cbor_dec_next(&fast, &a);
        assert_int_equal(err, tk_cbor_dec_next(&general, &b));
        assert_int_equal(tk_cbor_dec_offset(&fast),
                         tk_cbor_dec_offset(&general));
        assert_int_equal(tk_cbor_dec_depth(&fast), tk_cbor_dec_depth(&general));
        if (err == TK_OK)
            assert_items_equal(&a, &b);
    } while (err == TK_OK);
    assert_int_equal(tk_cbor_dec_error_offset(&fast),
                     tk_cbor_dec_error_offset(&general));
    assert_int_equal(tk_cbor_dec_finish(&fast), tk_cbor_dec_finish(&general));
    return err;
}

/* Checks expect_same_walks() on every prefix of in[0..len) too, so each
 * truncation point meets the same error. The prefixes are copied into
 * buffers of their exact size for AddressSanitizer. Long inputs are cut
 * only around their heads and their end. */
static void expect_same_walks_truncated(const uint8_t *in, size_t len)
{
    for (size_t cut = 0; cut < len; cut++) {
        if (cut > 24 && cut + 24 < len)
            continue;
        uint8_t *prefix = malloc(cut > 0 ? cut : 1);
        assert_non_null(prefix);
        memcpy(prefix, in, cut);
        assert_int_not_equal(expect_same_walks(prefix, cut), TK_ERR_CBOR_END);
        free(prefix);
    }
}

/* Returns whether the tests write out the content that arg declares for
 * major type major: a string length, or an item count (2 per map pair). */
static bool content_fits(unsigned major, uint64_t arg)
{
    return arg <= (major == 5 ? CONTENT_MAX / 2 : CONTENT_MAX);
}

/*
 * Builds [0, item, 1], or [_ 0, item, 1] with indef, where item has major
 * type major and argument arg in a head of size bytes. When content_fits(),
 * its content follows: arg bytes of a string, arg items 00 of an array or
 * arg pairs 00 00 of a map. A tag carries an empty string.
 */
static buffer build_input(unsigned major, uint64_t arg, size_t size, bool indef)
{
    buffer b = {NULL, 0, 0};
    append_byte(&b, indef ? 0x9f : 0x83);
    append_byte(&b, 0x00);
    append_head(&b, major, arg, size);
    if (content_fits(major, arg)) {
        size_t items = (size_t)arg * (major == 5 ? 2 : 1);
        if (major == 2 || major == 3) {
            for (size_t i = 0; i < items; i++)
                append_byte(&b, (uint8_t)('a' + i % 26));
        } else if (major == 4 || major == 5) {
            for (size_t i = 0; i < items; i++)
                append_byte(&b, 0x00);
        }
    }
    if (major == 6) /* tag 0 needs text, tag 24 a byte string */
        append_byte(&b, arg == 0 ? 0x60 : 0x40);
    append_byte(&b, 0x01);
    if (indef)
        append_byte(&b, 0xff);
    return b;
}

/* Every major type with an argument, in every head size, around each
 * boundary: both paths return the same items, or the same error for a
 * string or count that the input cannot hold. */
static void boundaries_same_on_both_paths(void **state)
{
    (void)state;
    static const unsigned majors[] = {0, 1, 2, 3, 4, 5, 6};
    for (size_t m = 0; m < sizeof majors / sizeof majors[0]; m++) {
        for (size_t i = 0; i < ARG_COUNT; i++) {
            uint64_t arg = boundary_args[i];
            size_t sizes[5];
            size_t n = head_sizes(arg, sizes);
            for (size_t s = 0; s < n; s++) {
                for (int indef = 0; indef <= 1; indef++) {
                    unsigned major = majors[m];
                    buffer b = build_input(major, arg, sizes[s], indef);
                    tk_err want = TK_ERR_CBOR_END;
                    if (!content_fits(major, arg))
                        want = major == 4 || major == 5
                                   ? TK_ERR_CBOR_COUNT_TOO_LARGE
                                   : TK_ERR_CBOR_TRUNCATED;
                    if (major <= 1 || major == 6)
                        want = TK_ERR_CBOR_END;
                    assert_int_equal(expect_same_walks(b.data, b.len), want);
                    if (b.len <= 300)
                        expect_same_walks_truncated(b.data, b.len);
                    free(b.data);
                }
            }
        }
    }
}

/* The value of each boundary argument comes out of the fast path intact,
 * through next() and through the typed helpers. */
static void boundary_values_read(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARG_COUNT; i++) {
        uint64_t arg = boundary_args[i];
        size_t sizes[5];
        size_t n = head_sizes(arg, sizes);
        for (size_t s = 0; s < n; s++) {
            buffer b = build_input(0, arg, sizes[s], false);
            tk_cbor_dec dec;
            tk_cbor_item item;
            uint64_t value = 0;

            tk_cbor_dec_init(&dec, b.data, b.len, 0);
            assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
            assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
            assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
            assert_int_equal(item.type, TK_CBOR_UINT);
            assert_int_equal(item.offset, 2);
            assert_true(item.value == arg);
            assert_int_equal(tk_cbor_dec_offset(&dec), 2 + sizes[s]);

            tk_cbor_dec_init(&dec, b.data, b.len, 0);
            assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
            assert_int_equal(tk_cbor_dec_get_uint(&dec, &value), TK_OK);
            assert_true(value == 0);
            assert_int_equal(tk_cbor_dec_get_uint(&dec, &value), TK_OK);
            assert_true(value == arg);
            assert_int_equal(tk_cbor_dec_exit(&dec), TK_OK);
            assert_int_equal(tk_cbor_dec_finish(&dec), TK_OK);
            free(b.data);

            b = build_input(6, arg, sizes[s], false);
            tk_cbor_dec_init(&dec, b.data, b.len, 0);
            assert_int_equal(tk_cbor_dec_enter_array(&dec, NULL), TK_OK);
            assert_int_equal(tk_cbor_dec_get_uint(&dec, &value), TK_OK);
            assert_int_equal(tk_cbor_dec_get_tag(&dec, &value), TK_OK);
            assert_true(value == arg);
            assert_int_equal(tk_cbor_dec_depth(&dec), 2);
            assert_int_equal(tk_cbor_dec_next(&dec, &item), TK_OK);
            assert_int_equal(item.type, arg == 0 ? TK_CBOR_TSTR : TK_CBOR_BSTR);
            /* The tag closes with its content. */
            assert_int_equal(tk_cbor_dec_depth(&dec), 1);
            free(b.data);
        }
    }
}

/* Strings and containers whose content ends exactly at the end of the
 * input, and the same one byte short. */
static void exact_fit_and_one_short(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint8_t bytes[12];
        size_t len;
        tk_err err;
        size_t err_off;
    } cases[] = {
        {"bstr fits", {0x81, 0x43, 1, 2, 3}, 5, TK_ERR_CBOR_END, 0},
        {"bstr short", {0x81, 0x43, 1, 2}, 4, TK_ERR_CBOR_TRUNCATED, 1},
        {"tstr 1-byte length",
         {0x81, 0x78, 0x02, 'a', 'b'},
         5,
         TK_ERR_CBOR_END,
         0},
        {"tstr 1-byte length short",
         {0x81, 0x78, 0x02, 'a'},
         4,
         TK_ERR_CBOR_TRUNCATED,
         1},
        {"array count fits", {0x81, 0x83, 1, 2, 3}, 5, TK_ERR_CBOR_END, 0},
        {"array count short",
         {0x81, 0x84, 1, 2, 3},
         5,
         TK_ERR_CBOR_COUNT_TOO_LARGE,
         1},
        {"map pairs fit", {0x81, 0xa2, 1, 2, 3, 4}, 6, TK_ERR_CBOR_END, 0},
        {"map pairs short",
         {0x81, 0xa2, 1, 2, 3},
         5,
         TK_ERR_CBOR_COUNT_TOO_LARGE,
         1},
        {"2-byte count short",
         {0x81, 0x99, 0x00, 0x03, 1, 2},
         6,
         TK_ERR_CBOR_COUNT_TOO_LARGE,
         1},
        {"head short", {0x81, 0x1a, 0, 0, 1}, 5, TK_ERR_CBOR_TRUNCATED, 1},
        {"tag without content",
         {0x81, 0xd8, 0x64},
         3,
         TK_ERR_CBOR_TRUNCATED,
         3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *in = malloc(cases[i].len);
        assert_non_null(in);
        memcpy(in, cases[i].bytes, cases[i].len);
        tk_err err = expect_same_walks(in, cases[i].len);
        if (err != cases[i].err)
            fail_msg("%s: got %s, expected %s", cases[i].name, tk_errname(err),
                     tk_errname(cases[i].err));
        if (err != TK_ERR_CBOR_END) {
            tk_cbor_dec dec;
            tk_cbor_item item;
            tk_cbor_dec_init(&dec, in, cases[i].len, 0);
            while (tk_cbor_dec_next(&dec, &item) == TK_OK)
                ;
            assert_int_equal(tk_cbor_dec_error_offset(&dec), cases[i].err_off);
        }
        free(in);
    }
}

/* Every one-byte and two-byte simple value, false, true, null,
 * undefined, and the floats, which the fast path leaves to the general
 * reader. */
static void simple_values_same_on_both_paths(void **state)
{
    (void)state;
    for (unsigned value = 0; value < 256; value++) {
        buffer b = {NULL, 0, 0};
        append_byte(&b, 0x82);
        if (value < 24) {
            append_byte(&b, (uint8_t)(0xe0 | value));
        } else {
            append_byte(&b, 0xf8);
            append_byte(&b, (uint8_t)value);
        }
        append_byte(&b, 0x00);
        tk_err want = value >= 24 && value < 32 ? TK_ERR_CBOR_BAD_SIMPLE
                                                : TK_ERR_CBOR_END;
        assert_int_equal(expect_same_walks(b.data, b.len), want);
        free(b.data);
    }
    static const uint8_t floats[] = {0x82, 0xf9, 0x3c, 0x00, 0xfa,
                                     0x47, 0xc3, 0x50, 0x00};
    uint8_t *in = malloc(sizeof floats);
    assert_non_null(in);
    memcpy(in, floats, sizeof floats);
    assert_int_equal(expect_same_walks(in, sizeof floats), TK_ERR_CBOR_END);
    expect_same_walks_truncated(in, sizeof floats);
    free(in);
}

/* Nesting up to the decoder's limit and one level beyond it, with arrays,
 * maps and tags, which the fast path pushes and closes itself. */
static void depth_limit_same_on_both_paths(void **state)
{
    (void)state;
    static const uint8_t openers[][2] = {
        {0x81, 0}, {0xa1, 0x00}, {0xc6, 0}, {0x9f, 0}};
    for (size_t o = 0; o < sizeof openers / sizeof openers[0]; o++) {
        for (size_t levels = TK_CBOR_MAX_DEPTH - 1; levels <= TK_CBOR_MAX_DEPTH;
             levels++) {
            buffer b = {NULL, 0, 0};
            for (size_t i = 0; i < levels; i++) {
                append_byte(&b, openers[o][0]);
                if (openers[o][0] == 0xa1)
                    append_byte(&b, openers[o][1]);
            }
            append_byte(&b, 0x80); /* an empty array: one more level */
            if (openers[o][0] == 0x9f) {
                for (size_t i = 0; i < levels; i++)
                    append_byte(&b, 0xff);
            }
            tk_err want = levels + 1 > TK_CBOR_MAX_DEPTH ? TK_ERR_CBOR_TOO_DEEP
                                                         : TK_ERR_CBOR_END;
            assert_int_equal(expect_same_walks(b.data, b.len), want);
            free(b.data);
        }
    }
}

/* Containers that close one after another, and arrays, maps and strings
 * inside tags, which the fast path closes and counts itself. */
static void nested_closing_same_on_both_paths(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        /* [[[1]], [2, [3, [4]]], 5] */
        "83 81 81 01 82 02 82 03 81 04 05",
        /* {1: [2, {3: 4}], 5: 6(7(h'')), 8: []} */
        "A3 01 82 02 A1 03 04 05 C6 C7 40 08 80",
        /* [6([1, 2]), 7({1: 2}), 8("a"), [_ 1, [2]], 3] */
        "85 C6 82 01 02 C7 A1 01 02 C8 61 61 9F 01 81 02 FF 03",
        /* [[], {}, [[]], 1] */
        "84 80 A0 81 80 01",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        uint8_t bytes[64];
        size_t len = 0;
        for (const char *p = inputs[i]; *p != '\0';) {
            unsigned value;
            int used;
            if (sscanf(p, " %2x%n", &value, &used) != 1)
                break;
            bytes[len++] = (uint8_t)value;
            p += used;
        }
        uint8_t *in = malloc(len);
        assert_non_null(in);
        memcpy(in, bytes, len);
        assert_int_equal(expect_same_walks(in, len), TK_ERR_CBOR_END);
        expect_same_walks_truncated(in, len);
        free(in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(boundaries_same_on_both_paths),
        cmocka_unit_test(boundary_values_read),
        cmocka_unit_test(exact_fit_and_one_short),
        cmocka_unit_test(simple_values_same_on_both_paths),
        cmocka_unit_test(depth_limit_same_on_both_paths),
        cmocka_unit_test(nested_closing_same_on_both_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
