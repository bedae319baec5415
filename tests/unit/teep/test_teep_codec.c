/*
 * Tests of the TEEP message codec: the published messages of
 * draft-ietf-teep-protocol Appendix D decode to the values of their
 * diagnostic notation and re-encode to the same bytes; malformed,
 * duplicated, unknown and truncated input gives specific errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/teep.h"
#include "tk_edn.h"
#include "tk_test.h"

static const uint8_t example_token[16] = {
    0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF,
};

/* A published message: its hex dump and its diagnostic notation. */
typedef struct vector {
    uint8_t *hex;
    size_t hex_len;
    uint8_t *diag;
    size_t diag_len;
} vector;

/*
 * Loads name.hex.txt and name.diag.txt and fails loudly when the two
 * disagree: the notation is converted to CBOR independently of lib/cbor.
 */
static vector load_vector(const char *name)
{
    char path[128];
    vector v;
    snprintf(path, sizeof(path), "teep/%s.hex.txt", name);
    v.hex = tk_test_read_hex(tk_test_vector(path), &v.hex_len);
    snprintf(path, sizeof(path), "teep/%s.diag.txt", name);
    v.diag = tk_edn_read_vector(path, &v.diag_len);
    if (v.hex_len != v.diag_len || memcmp(v.hex, v.diag, v.hex_len) != 0)
        fail_msg("%s: the hex dump and the diagnostic notation disagree "
                 "(%zu and %zu bytes)",
                 name, v.hex_len, v.diag_len);
    return v;
}

static void free_vector(vector *v)
{
    free(v->hex);
    free(v->diag);
}

static void assert_view(tk_view v, const void *bytes, size_t len)
{
    assert_int_equal(v.len, len);
    assert_memory_equal(v.ptr, bytes, len);
}

/* Re-encodes msg and checks that the bytes equal the input. */
static void assert_reencodes(const tk_teep_message *msg, const uint8_t *in,
                             size_t in_len)
{
    uint8_t out[2048];
    size_t len = 0;
    assert_int_equal(tk_teep_encode(msg, out, sizeof(out), &len), TK_OK);
    assert_int_equal(len, in_len);
    assert_memory_equal(out, in, in_len);
}

static void query_request_vector(void **state)
{
    (void)state;
    vector v = load_vector("query_request");
    tk_teep_message msg;
    assert_int_equal(tk_teep_decode(v.hex, v.hex_len, &msg, NULL), TK_OK);
    assert_int_equal(msg.type, TK_TEEP_QUERY_REQUEST);
    assert_true(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_TOKEN));
    assert_view(msg.token, example_token, sizeof(example_token));
    assert_true(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_VERSIONS));
    assert_int_equal(msg.version_count, 1);
    assert_int_equal(msg.versions[0], 0);
    assert_false(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_CHALLENGE));
    assert_int_equal(msg.suite_count, 2);
    assert_int_equal(msg.suites[0].count, 1);
    assert_int_equal(msg.suites[0].ops[0].cose_type, 18);
    assert_int_equal(msg.suites[0].ops[0].alg, -9);
    assert_int_equal(msg.suites[1].ops[0].cose_type, 18);
    assert_int_equal(msg.suites[1].ops[0].alg, -19);
    assert_int_equal(msg.profile_count, 4);
    const int64_t profiles[4][4] = {
        {-16, -9, -29, -65534},
        {-16, -19, -29, -65534},
        {-16, -9, -29, 1},
        {-16, -19, -29, 24},
    };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(msg.profiles[i].count, 4);
        for (size_t j = 0; j < 4; j++)
            assert_int_equal(msg.profiles[i].algs[j], profiles[i][j]);
    }
    assert_int_equal(msg.data_items, TK_TEEP_ITEM_ATTESTATION |
                                         TK_TEEP_ITEM_TRUSTED_COMPONENTS);
    assert_int_equal(msg.unknown_count, 0);
    assert_reencodes(&msg, v.hex, v.hex_len);
    free_vector(&v);
}

static void query_response_vector(void **state)
{
    (void)state;
    static const uint8_t component[15] = {1, 2,  3,  4,  5,  6,  7, 8,
                                          9, 10, 11, 12, 13, 14, 15};
    static const uint8_t digest_prefix[4] = {0x82, 0x2F, 0x58, 0x20};
    vector v = load_vector("query_response");
    tk_teep_message msg;
    assert_int_equal(tk_teep_decode(v.hex, v.hex_len, &msg, NULL), TK_OK);
    assert_int_equal(msg.type, TK_TEEP_QUERY_RESPONSE);
    assert_view(msg.token, example_token, sizeof(example_token));
    assert_true(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_SELECTED_VERSION));
    assert_int_equal(msg.selected_version, 0);
    assert_true(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_ATTESTATION_PAYLOAD));
    assert_int_equal(msg.attestation_payload.len, 0);
    assert_false(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_ATTESTATION_FORMAT));
    assert_int_equal(msg.tc_count, 1);

    tk_teep_tc_info info;
    assert_int_equal(tk_teep_tc_info_decode(msg.tc_list[0], &info), TK_OK);
    /* system-component-id [h'0102...0F'] as encoded CBOR. */
    assert_int_equal(info.component_id.len, 17);
    assert_int_equal(info.component_id.ptr[0], 0x81);
    assert_int_equal(info.component_id.ptr[1], 0x4F);
    assert_memory_equal(info.component_id.ptr + 2, component, 15);
    assert_int_equal(info.image_digest.len, 36);
    assert_memory_equal(info.image_digest.ptr, digest_prefix, 4);
    assert_int_equal(info.image_digest.ptr[4], 0xA7);
    assert_int_equal(info.image_digest.ptr[35], 0x09);
    assert_false(info.has_sequence);
    assert_reencodes(&msg, v.hex, v.hex_len);
    free_vector(&v);
}

static void update_vector(void **state)
{
    (void)state;
    vector v = load_vector("update");
    tk_teep_message msg;
    assert_int_equal(tk_teep_decode(v.hex, v.hex_len, &msg, NULL), TK_OK);
    assert_int_equal(msg.type, TK_TEEP_UPDATE);
    assert_view(msg.token, example_token, sizeof(example_token));
    assert_true(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_MANIFEST_LIST));
    assert_int_equal(msg.manifest_count, 1);
    /* 0x14E bytes; the dump's comment says 336 but the head says 334. */
    assert_int_equal(msg.manifests[0].len, 334);
    /* The envelope map starts {2: << auth >>, 3: << manifest >>}. */
    assert_int_equal(msg.manifests[0].ptr[0], 0xA2);
    assert_int_equal(msg.manifests[0].ptr[1], 0x02);
    assert_false(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_ERR_CODE));
    assert_reencodes(&msg, v.hex, v.hex_len);
    free_vector(&v);
}

static void success_vector(void **state)
{
    (void)state;
    vector v = load_vector("teep_success");
    tk_teep_message msg;
    assert_int_equal(tk_teep_decode(v.hex, v.hex_len, &msg, NULL), TK_OK);
    assert_int_equal(msg.type, TK_TEEP_SUCCESS);
    assert_view(msg.token, example_token, sizeof(example_token));
    assert_int_equal(msg.present, 1u << TK_TEEP_LABEL_TOKEN);
    assert_reencodes(&msg, v.hex, v.hex_len);
    free_vector(&v);
}

static void error_vector(void **state)
{
    (void)state;
    vector v = load_vector("teep_error");
    tk_teep_message msg;
    assert_int_equal(tk_teep_decode(v.hex, v.hex_len, &msg, NULL), TK_OK);
    assert_int_equal(msg.type, TK_TEEP_ERROR);
    assert_view(msg.token, example_token, sizeof(example_token));
    assert_view(msg.err_msg, "disk-full", 9);
    assert_int_equal(msg.err_code, TK_TEEP_ERR_MANIFEST_PROCESSING_FAILED);
    assert_reencodes(&msg, v.hex, v.hex_len);
    free_vector(&v);
}

/* Exact bytes of a Success and an Error with an 8-byte token. */
static void encoder_preferred_bytes(void **state)
{
    (void)state;
    static const uint8_t token[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t success[] = {0x82, 0x05, 0xA1, 0x14, 0x48, 1, 2,
                                      3,    4,    5,    6,    7,    8};
    static const uint8_t error[] = {0x83, 0x06, 0xA1, 0x14, 0x48, 1, 2,
                                    3,    4,    5,    6,    7,    8, 0x01};
    tk_teep_message msg;
    uint8_t out[64];
    size_t len = 0;

    memset(&msg, 0, sizeof(msg));
    msg.type = TK_TEEP_SUCCESS;
    msg.token = (tk_view){token, sizeof(token)};
    TK_TEEP_SET(&msg, TK_TEEP_LABEL_TOKEN);
    assert_int_equal(tk_teep_encode(&msg, out, sizeof(out), &len), TK_OK);
    assert_int_equal(len, sizeof(success));
    assert_memory_equal(out, success, sizeof(success));

    msg.type = TK_TEEP_ERROR;
    msg.err_code = TK_TEEP_ERR_PERMANENT_ERROR;
    assert_int_equal(tk_teep_encode(&msg, out, sizeof(out), &len), TK_OK);
    assert_int_equal(len, sizeof(error));
    assert_memory_equal(out, error, sizeof(error));

    /* Too small a buffer reports the size it needs. */
    assert_int_equal(tk_teep_encode(&msg, out, 4, &len),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, sizeof(error));
}

static void encoder_rejects_bad_values(void **state)
{
    (void)state;
    static const uint8_t short_token[7] = {0};
    tk_teep_message msg;
    uint8_t out[64];
    size_t len = 0;

    memset(&msg, 0, sizeof(msg));
    msg.type = TK_TEEP_SUCCESS;
    msg.token = (tk_view){short_token, sizeof(short_token)};
    TK_TEEP_SET(&msg, TK_TEEP_LABEL_TOKEN);
    assert_int_equal(tk_teep_encode(&msg, out, sizeof(out), &len),
                     TK_ERR_TEEP_BAD_OPTION);

    memset(&msg, 0, sizeof(msg));
    msg.type = TK_TEEP_ERROR;
    msg.err_code = 0;
    assert_int_equal(tk_teep_encode(&msg, out, sizeof(out), &len),
                     TK_ERR_TEEP_BAD_ERR_CODE);

    memset(&msg, 0, sizeof(msg));
    msg.type = 4;
    assert_int_equal(tk_teep_encode(&msg, out, sizeof(out), &len),
                     TK_ERR_TEEP_UNKNOWN_TYPE);

    /* manifest-list is not an option of Success. */
    memset(&msg, 0, sizeof(msg));
    msg.type = TK_TEEP_SUCCESS;
    TK_TEEP_SET(&msg, TK_TEEP_LABEL_MANIFEST_LIST);
    assert_int_equal(tk_teep_encode(&msg, out, sizeof(out), &len),
                     TK_ERR_TEEP_BAD_OPTION);
}

/* Decodes hex text and returns the decoder's result. */
static tk_err decode_hex(const char *hex, tk_teep_message *msg)
{
    static uint8_t buf[512];
    size_t len = tk_test_hex_decode(hex, buf, sizeof(buf));
    return tk_teep_decode(buf, len, msg, NULL);
}

static void duplicate_option_rejected(void **state)
{
    (void)state;
    tk_teep_message msg;
    /* [5, {20: h'0102030405060708', 20: h'0102030405060708'}] */
    assert_int_equal(decode_hex("8205A2144801020304050607081448010203040506"
                                "0708",
                                &msg),
                     TK_ERR_TEEP_DUPLICATE_OPTION);
    /* The same label twice even when the second is not preferred. */
    assert_int_equal(decode_hex("8205A21448010203040506070818144801020304050"
                                "60708",
                                &msg),
                     TK_ERR_TEEP_DUPLICATE_OPTION);
    /* An unknown label twice is a duplicate too. */
    assert_int_equal(decode_hex("8205A2181E01181E02", &msg),
                     TK_ERR_TEEP_DUPLICATE_OPTION);
    /* A duplicate key inside a tc-list entry and inside the value of an
     * unknown option. */
    assert_int_equal(decode_hex("8202A10881A2008000 80", &msg),
                     TK_ERR_TEEP_DUPLICATE_OPTION);
    assert_int_equal(decode_hex("8205A1181EA201010102", &msg),
                     TK_ERR_TEEP_DUPLICATE_OPTION);
    /* A duplicate key inside a requested-tc-info map. */
    assert_int_equal(decode_hex("8202A10E81A21081410110814101", &msg),
                     TK_ERR_TEEP_DUPLICATE_OPTION);
}

static void unknown_options_ignored(void **state)
{
    (void)state;
    tk_teep_message msg;
    /* [5, {30: "x", 100: [1, 2], 20: h'0102030405060708'}] */
    assert_int_equal(
        decode_hex("8205A3181E6178186482010214480102030405060708", &msg),
        TK_OK);
    assert_int_equal(msg.unknown_count, 2);
    assert_int_equal(msg.token.len, 8);
    /* manifest-list (10) is not an option of Success: ignored. */
    assert_int_equal(decode_hex("8205A10A8140", &msg), TK_OK);
    assert_int_equal(msg.unknown_count, 1);
    assert_int_equal(msg.manifest_count, 0);
}

static void bad_labels_rejected(void **state)
{
    (void)state;
    tk_teep_message msg;
    /* A negative label and a text label. */
    assert_int_equal(decode_hex("8205A12001", &msg), TK_ERR_TEEP_BAD_LABEL);
    assert_int_equal(decode_hex("8205A1617801", &msg), TK_ERR_TEEP_BAD_LABEL);
}

static void bad_option_values(void **state)
{
    (void)state;
    tk_teep_message msg;
    /* A token of 7 bytes and of 65 bytes. */
    assert_int_equal(decode_hex("8205A1144701020304050607", &msg),
                     TK_ERR_TEEP_BAD_OPTION);
    char hex[300] = "8205A1145841";
    for (int i = 0; i < 65; i++)
        strcat(hex, "00");
    assert_int_equal(decode_hex(hex, &msg), TK_ERR_TEEP_BAD_OPTION);
    /* A token given as text. */
    assert_int_equal(decode_hex("8205A114686162636465666768", &msg),
                     TK_ERR_TEEP_BAD_OPTION);
    /* err-code 0 in an Error. */
    assert_int_equal(decode_hex("8306A000", &msg), TK_ERR_TEEP_BAD_ERR_CODE);
    /* An empty err-msg. */
    assert_int_equal(decode_hex("8306A10C6001", &msg), TK_ERR_TEEP_BAD_OPTION);
    /* requested-tc-info without component-id. */
    assert_int_equal(decode_hex("8202A10E81A11101", &msg),
                     TK_ERR_TEEP_BAD_OPTION);
    /* have-binary true without a sequence number. */
    assert_int_equal(decode_hex("8202A10E81A21081410112F5", &msg),
                     TK_ERR_TEEP_BAD_OPTION);
    /* A versions entry above 32 bits (in an Error, which may list them). */
    assert_int_equal(decode_hex("8306A103811B000000010000000001", &msg),
                     TK_ERR_TEEP_BAD_OPTION);
}

static void unknown_error_code_kept(void **state)
{
    (void)state;
    tk_teep_message msg;
    /* Codes above 23 are unknown errors, not malformed messages. */
    assert_int_equal(decode_hex("8306A01863", &msg), TK_OK);
    assert_int_equal(msg.err_code, 99);
}

static void unknown_types_keep_token(void **state)
{
    (void)state;
    tk_teep_message msg;
    /* [4, {20: h'0102030405060708'}]: reserved type 4. */
    assert_int_equal(decode_hex("8204A1144801020304050607 08", &msg),
                     TK_ERR_TEEP_UNKNOWN_TYPE);
    assert_int_equal(msg.type, 4);
    assert_true(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_TOKEN));
    assert_int_equal(msg.token.len, 8);
    /* [99, {}] */
    assert_int_equal(decode_hex("821863A0", &msg), TK_ERR_TEEP_UNKNOWN_TYPE);
    assert_int_equal(msg.type, 99);
    assert_false(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_TOKEN));
    /* [0, {}]: type 0 is reserved. */
    assert_int_equal(decode_hex("8200A0", &msg), TK_ERR_TEEP_UNKNOWN_TYPE);
}

static void malformed_frames(void **state)
{
    (void)state;
    tk_teep_message msg;
    const char *cases[] = {
        "80",         /* [] */
        "A0",         /* {} */
        "8105",       /* [5]: no options */
        "8205A0FF",   /* trailing break */
        "8205A000",   /* trailing byte */
        "82054101",   /* options not a map */
        "82614105",   /* type not an integer */
        "83054101A0", /* Success with an extra element */
        "8401A08080", /* QueryRequest without data-item-requested */
        "8306A0",     /* Error without err-code */
        "",           /* empty input */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_err err = decode_hex(cases[i], &msg);
        if (err != TK_ERR_TEEP_MALFORMED)
            fail_msg("case %zu (%s): %s", i, cases[i], tk_errname(err));
    }
}

static void limits_reported(void **state)
{
    (void)state;
    tk_teep_message msg;
    char hex[256] = "8203A10A89";
    for (int i = 0; i < TK_TEEP_MAX_MANIFESTS + 1; i++)
        strcat(hex, "40");
    assert_int_equal(decode_hex(hex, &msg), TK_ERR_TEEP_TOO_MANY);
}

/* Every prefix of every published message must fail cleanly. */
static void truncation_fails_cleanly(void **state)
{
    (void)state;
    const char *names[] = {"query_request", "query_response", "update",
                           "teep_success", "teep_error"};
    for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
        vector v = load_vector(names[n]);
        for (size_t len = 0; len < v.hex_len; len++) {
            tk_teep_message msg;
            uint8_t *copy = malloc(len + 1);
            memcpy(copy, v.hex, len);
            tk_err err = tk_teep_decode(copy, len, &msg, NULL);
            if (err == TK_OK)
                fail_msg("%s truncated to %zu bytes decoded", names[n], len);
            assert_int_equal(msg.present, 0);
            free(copy);
        }
        free_vector(&v);
    }
}

/* A small deterministic generator for the mutation test. */
static uint32_t next_random(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/*
 * Mutates each published message 4000 times (a changed byte, a removed
 * or an inserted one) and decodes the result. Nothing may crash or read
 * outside the input (ASan), and whatever decodes must encode again.
 */
static void mutations_never_crash(void **state)
{
    (void)state;
    const char *names[] = {"query_request", "query_response", "update",
                           "teep_success", "teep_error"};
    uint32_t seed = 1;
    for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
        vector v = load_vector(names[n]);
        for (int round = 0; round < 4000; round++) {
            uint8_t *copy = malloc(v.hex_len + 1);
            size_t len = v.hex_len;
            memcpy(copy, v.hex, len);
            size_t at = next_random(&seed) % len;
            switch (next_random(&seed) % 3) {
            case 0:
                copy[at] = (uint8_t)next_random(&seed);
                break;
            case 1:
                memmove(copy + at, copy + at + 1, len - at - 1);
                len--;
                break;
            default:
                memmove(copy + at + 1, copy + at, len - at);
                copy[at] = (uint8_t)next_random(&seed);
                len++;
                break;
            }
            tk_teep_message msg;
            if (tk_teep_decode(copy, len, &msg, NULL) == TK_OK) {
                uint8_t out[1024];
                size_t out_len = 0;
                tk_err err = tk_teep_encode(&msg, out, sizeof(out), &out_len);
                assert_true(err == TK_OK || err == TK_ERR_TEEP_BAD_OPTION ||
                            err == TK_ERR_TEEP_BAD_ERR_CODE);
            }
            free(copy);
        }
        free_vector(&v);
    }
}

static void tc_info_round_trip(void **state)
{
    (void)state;
    static const uint8_t id[] = {0x81, 0x41, 0x07};
    static const uint8_t digest[] = {0x82, 0x2F, 0x41, 0x00};
    tk_teep_tc_info info, back;
    memset(&info, 0, sizeof(info));
    info.component_id = (tk_view){id, sizeof(id)};
    info.image_digest = (tk_view){digest, sizeof(digest)};
    info.has_image_size = true;
    info.image_size = 20;
    info.has_sequence = true;
    info.sequence = 5;
    uint8_t buf[64];
    size_t len = 0;
    assert_int_equal(tk_teep_tc_info_encode(&info, buf, sizeof(buf), &len),
                     TK_OK);
    assert_int_equal(tk_teep_tc_info_decode((tk_view){buf, len}, &back), TK_OK);
    assert_view(back.component_id, id, sizeof(id));
    assert_view(back.image_digest, digest, sizeof(digest));
    assert_true(back.has_image_size);
    assert_int_equal(back.image_size, 20);
    assert_true(back.has_sequence);
    assert_int_equal(back.sequence, 5);
    /* A duplicate key in the entry. */
    static const uint8_t dup[] = {0xA2, 0x00, 0x80, 0x00, 0x80};
    assert_int_equal(tk_teep_tc_info_decode((tk_view){dup, sizeof(dup)}, &back),
                     TK_ERR_TEEP_DUPLICATE_OPTION);
}

static void suite_helpers(void **state)
{
    (void)state;
    tk_teep_suite a, b;
    tk_teep_suite_sign1(&a, TK_ALG_ES256);
    tk_teep_suite_sign1(&b, TK_ALG_ESP256);
    assert_int_equal(tk_teep_suite_alg(&a, false), TK_ALG_ESP256);
    assert_int_equal(tk_teep_suite_alg(&a, true), TK_ALG_ES256);
    assert_int_equal(tk_teep_suite_alg(&b, true), TK_ALG_ESP256);
    assert_false(tk_teep_suite_equal(&a, &b));
    tk_teep_suite_sign1(&a, TK_ALG_EDDSA);
    assert_int_equal(tk_teep_suite_alg(&a, false), TK_ALG_ED25519);
    a.ops[0].cose_type = TK_TEEP_COSE_SIGN;
    assert_int_equal(tk_teep_suite_alg(&a, false), TK_ALG_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_request_vector),
        cmocka_unit_test(query_response_vector),
        cmocka_unit_test(update_vector),
        cmocka_unit_test(success_vector),
        cmocka_unit_test(error_vector),
        cmocka_unit_test(encoder_preferred_bytes),
        cmocka_unit_test(encoder_rejects_bad_values),
        cmocka_unit_test(duplicate_option_rejected),
        cmocka_unit_test(unknown_options_ignored),
        cmocka_unit_test(bad_labels_rejected),
        cmocka_unit_test(bad_option_values),
        cmocka_unit_test(unknown_error_code_kept),
        cmocka_unit_test(unknown_types_keep_token),
        cmocka_unit_test(malformed_frames),
        cmocka_unit_test(limits_reported),
        cmocka_unit_test(truncation_fails_cleanly),
        cmocka_unit_test(mutations_never_crash),
        cmocka_unit_test(tc_info_round_trip),
        cmocka_unit_test(suite_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
