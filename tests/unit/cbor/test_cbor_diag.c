/*
 * Diagnostic notation tests: the printed forms of every item type,
 * pretty printing, embedded CBOR, label names and buffer handling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/cbor.h"
#include "tk_test.h"

/* Prints hex with flags (and names) and compares with want. */
static void expect_diag_named(const char *hex, uint32_t flags,
                              tk_cbor_label_name_fn names, void *ctx,
                              const char *want)
{
    uint8_t in[256];
    char out[1024];
    size_t needed = 0;
    size_t len = tk_test_hex_decode(hex, in, sizeof in);
    tk_err err =
        tk_cbor_diag(in, len, out, sizeof out, &needed, flags, names, ctx,
                     NULL);
    if (err != TK_OK)
        fail_msg("%s: %s", hex, tk_errname(err));
    if (strcmp(out, want) != 0)
        fail_msg("%s: printed\n%s\nexpected\n%s", hex, out, want);
    assert_int_equal(needed, strlen(want));
}

static void expect_diag(const char *hex, uint32_t flags, const char *want)
{
    expect_diag_named(hex, flags, NULL, NULL, want);
}

static void scalar_forms(void **state)
{
    (void)state;
    expect_diag("00", 0, "0");
    expect_diag("3bffffffffffffffff", 0, "-18446744073709551616");
    expect_diag("3b7fffffffffffffff", 0, "-9223372036854775808");
    expect_diag("40", 0, "h''");
    expect_diag("43 00ff10", 0, "h'00ff10'");
    expect_diag("60", 0, "\"\"");
    expect_diag("f7", 0, "undefined");
    expect_diag("f0", 0, "simple(16)");
    expect_diag("f820", 0, "simple(32)");
    expect_diag("f8ff", 0, "simple(255)");
    expect_diag("c1 1a514b67b0", 0, "1(1363896240)");
    expect_diag("d9d9f7 c0 60", 0, "55799(0(\"\"))");
    expect_diag("fb 3fb999999999999a", 0, "0.1");
    expect_diag("fb 0000000000000001", 0, "5.0e-324");
    expect_diag("fb 7fefffffffffffff", 0, "1.7976931348623157e+308");
    expect_diag("fb 4340000000000000", 0, "9007199254740992.0");
    expect_diag("fb 44b52d02c7e14af6", 0, "1.0e+23");
    expect_diag("fb 3eb0c6f7a0b5ed8d", 0, "0.000001");
    expect_diag("fb 3e7ad7f29abcaf48", 0, "1.0e-7");
    expect_diag("fb c1d452d9ec200000", 0, "-1363896240.5");
    expect_diag("fa 7fc00001", 0, "NaN");
}

static void string_escapes(void **state)
{
    (void)state;
    expect_diag("62 225c", 0, "\"\\\"\\\\\"");
    expect_diag("63 0a0d09", 0, "\"\\n\\r\\t\"");
    expect_diag("62 017f", 0, "\"\\u0001\\u007f\"");
    expect_diag("62 c3bc", 0, "\"\xc3\xbc\"");
    /* Text that is not UTF-8 cannot be a JSON string. */
    expect_diag("62 c328", 0, "/ invalid UTF-8 text / h'c328'");
}

static void indefinite_forms(void **state)
{
    (void)state;
    expect_diag("5f ff", 0, "''_");
    expect_diag("7f ff", 0, "\"\"_");
    expect_diag("5f 40 ff", 0, "(_ h'')");
    expect_diag("7f 6161 60 ff", 0, "(_ \"a\", \"\")");
    expect_diag("9f ff", 0, "[_ ]");
    expect_diag("bf ff", 0, "{_ }");
    expect_diag("bf 01 9f 02 ff ff", 0, "{_ 1: [_ 2]}");
}

static void container_forms(void **state)
{
    (void)state;
    expect_diag("a3 01 82 01 02 02 a0 03 80", 0, "{1: [1, 2], 2: {}, 3: []}");
    expect_diag("a3 01 82 01 02 02 a0 03 80", TK_CBOR_DIAG_PRETTY,
                "{\n  1: [\n    1,\n    2\n  ],\n  2: {},\n  3: []\n}");
    expect_diag("d2 84 43 a10126 a0 f6 41 00", TK_CBOR_DIAG_PRETTY,
                "18([\n  h'a10126',\n  {},\n  null,\n  h'00'\n])");
    expect_diag("81 81 81 80", 0, "[[[[]]]]");
    expect_diag("a1 80 a1 f6 f5", 0, "{[]: {null: true}}");
}

static void embedded_cbor(void **state)
{
    (void)state;
    /* 18([<<{1: -7}>>, {}, null, h'00']) */
    const char *sign1 = "d2 84 43 a10126 a0 f6 41 00";
    expect_diag(sign1, TK_CBOR_DIAG_EMBEDDED,
                "18([<< {1: -7} >>, {}, null, h'00'])");
    expect_diag(sign1, TK_CBOR_DIAG_EMBEDDED | TK_CBOR_DIAG_PRETTY,
                "18([\n  << {\n    1: -7\n  } >>,\n  {},\n  null,\n"
                "  h'00'\n])");
    /* Nested wraps, tags, and strings that are not one well-formed
     * structure. */
    expect_diag("44 81 42 81 00", TK_CBOR_DIAG_EMBEDDED,
                "<< [<< [0] >>] >>");
    expect_diag("42 c1 00", TK_CBOR_DIAG_EMBEDDED, "<< 1(0) >>");
    expect_diag("41 00", TK_CBOR_DIAG_EMBEDDED, "h'00'");
    expect_diag("42 0102", TK_CBOR_DIAG_EMBEDDED, "h'0102'");
    expect_diag("42 8201", TK_CBOR_DIAG_EMBEDDED, "h'8201'");
    expect_diag("43 8101 00", TK_CBOR_DIAG_EMBEDDED, "h'810100'");
    expect_diag("41 ff", TK_CBOR_DIAG_EMBEDDED, "h'ff'");
    expect_diag("40", TK_CBOR_DIAG_EMBEDDED, "h''");
    /* An embedded item in key position. */
    expect_diag("a1 41 80 01", TK_CBOR_DIAG_EMBEDDED, "{<< [] >>: 1}");
    /* Content that fails the requested checks stays hex. */
    expect_diag("43 a1 0100", TK_CBOR_DIAG_EMBEDDED | TK_CBOR_CHECK_DETERMINISTIC,
                "<< {1: 0} >>");
    expect_diag("45 a2 0100 0100",
                TK_CBOR_DIAG_EMBEDDED | TK_CBOR_CHECK_DUP_KEYS,
                "h'a201000100'");
}

/* Names SUIT-like labels: 2 and 3 at the top, 1 inside 3. Records every
 * call so the paths can be checked. */
typedef struct name_log {
    unsigned calls;
    int64_t last_path[4];
    size_t last_path_len;
} name_log;

static const char *name_label(void *ctx, const int64_t *path, size_t path_len,
                              int64_t key)
{
    name_log *log = ctx;
    log->calls++;
    log->last_path_len = path_len;
    for (size_t i = 0; i < path_len && i < 4; i++)
        log->last_path[i] = path[i];
    if (path_len == 0 && key == 2)
        return "authentication-wrapper";
    if (path_len == 0 && key == 3)
        return "manifest";
    if (path_len == 1 && path[0] == 3 && key == 1)
        return "manifest-version";
    return NULL;
}

static void label_names(void **state)
{
    (void)state;
    name_log log = {0};
    /* {2: h'', 3: << {1: 1, 7: [{1: 0}]} >>} */
    const char *hex = "a2 02 40 03 48 a2 01 01 07 81 a1 01 00";
    expect_diag_named(hex, TK_CBOR_DIAG_EMBEDDED, name_label, &log,
                      "{2 / authentication-wrapper /: h'', 3 / manifest /: "
                      "<< {1 / manifest-version /: 1, 7: [{1: 0}]} >>}");
    /* Keys 2, 3, 1 and 7, and the 1 inside the array under 7. */
    assert_int_equal(log.calls, 5);
    assert_int_equal(log.last_path_len, 2);
    assert_true(log.last_path[0] == 3);
    assert_true(log.last_path[1] == 7);

    /* Below a key that is not an integer, no name is asked for. */
    memset(&log, 0, sizeof log);
    expect_diag_named("a2 61 78 a1 01 02 20 00", 0, name_label, &log,
                      "{\"x\": {1: 2}, -1: 0}");
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.last_path_len, 0);
}

static void buffer_too_small(void **state)
{
    (void)state;
    static const uint8_t in[] = {0x82, 0x01, 0x02}; /* "[1, 2]" */
    char out[8];
    size_t needed = 0;

    for (size_t cap = 0; cap <= 6; cap++) {
        char *buf = malloc(cap > 0 ? cap : 1);
        assert_non_null(buf);
        assert_int_equal(tk_cbor_diag(in, sizeof in, cap > 0 ? buf : NULL,
                                      cap, &needed, 0, NULL, NULL, NULL),
                         TK_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(needed, 6);
        if (cap > 0) {
            assert_int_equal(strlen(buf), cap - 1);
            assert_memory_equal(buf, "[1, 2]", cap - 1);
        }
        free(buf);
    }
    assert_int_equal(tk_cbor_diag(in, sizeof in, out, 7, &needed, 0, NULL,
                                  NULL, NULL),
                     TK_OK);
    assert_string_equal(out, "[1, 2]");
}

static void malformed_input_reported(void **state)
{
    (void)state;
    static const uint8_t in[] = {0x82, 0x01, 0xa1, 0x01};
    char out[32];
    size_t needed = 7, off = 0;
    assert_int_equal(tk_cbor_diag(in, sizeof in, out, sizeof out, &needed, 0,
                                  NULL, NULL, &off),
                     TK_ERR_CBOR_COUNT_TOO_LARGE);
    assert_int_equal(off, 2);
    assert_int_equal(needed, 0);
    assert_string_equal(out, "");

    /* The decoder checks apply when asked for. */
    static const uint8_t dup[] = {0xa2, 0x01, 0x00, 0x01, 0x00};
    assert_int_equal(tk_cbor_diag(dup, sizeof dup, out, sizeof out, &needed,
                                  TK_CBOR_CHECK_DUP_KEYS, NULL, NULL, &off),
                     TK_ERR_CBOR_DUP_KEY);
    assert_int_equal(off, 3);
    assert_int_equal(tk_cbor_diag(dup, sizeof dup, out, sizeof out, &needed,
                                  0x80000000u, NULL, NULL, &off),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_cbor_diag(dup, sizeof dup, out, sizeof out, NULL, 0,
                                  NULL, NULL, &off),
                     TK_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalar_forms),
        cmocka_unit_test(string_escapes),
        cmocka_unit_test(indefinite_forms),
        cmocka_unit_test(container_forms),
        cmocka_unit_test(embedded_cbor),
        cmocka_unit_test(label_names),
        cmocka_unit_test(buffer_too_small),
        cmocka_unit_test(malformed_input_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
