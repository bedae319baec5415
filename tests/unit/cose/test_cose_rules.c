/*
 * Header and structure rules of every COSE structure: duplicate labels,
 * crit, alg location, value types, tags, detached payloads, kid selection,
 * IV rules, and truncated input at every byte. Messages are built by hand
 * so that each breaks exactly one rule, with a valid signature or MAC
 * where that matters: the rule must fail them all the same.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cose_test.h"
#include "tk_crypto_fault.h"
#include "tk_test.h"

/* Test state: the backend wrapped to count calls, and the keys. */
typedef struct rules {
    tk_crypto_fault fault;
    tk_key p256;
    tk_key hmac;
    tk_key aes128;
} rules;

static int setup(void **state)
{
    rules *r = calloc(1, sizeof(*r));

    tk_crypto_fault_init(&r->fault, cose_test_crypto());
    cose_test_p256_key(&r->p256, true);
    cose_test_sym_key(&r->hmac, 32, 0x5a);
    cose_test_sym_key(&r->aes128, 16, 0x33);
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    rules *r = *state;

    tk_key_release(&r->p256);
    tk_key_release(&r->hmac);
    tk_key_release(&r->aes128);
    free(r);
    return 0;
}

/* Options with one key and no other setting. */
static tk_cose_opts key_opts(const tk_key *key)
{
    tk_cose_opts o;

    memset(&o, 0, sizeof(o));
    o.key = key;
    o.signature_index = TK_COSE_ANY_SIGNATURE;
    return o;
}

/*
 * Builds 18([prot, unprot, payload, signature]) where prot_map is the hex
 * of the protected map (empty for h''), unprot the hex of the unprotected
 * map and payload_hex the hex payload (NULL for nil). The signature is an
 * ES256 signature over the Sig_structure with signed_payload, computed
 * from the exact protected bytes.
 */
static tk_view sign1(cose_buf *m, const tk_key *key, const char *prot_map,
                     const char *unprot, const char *payload_hex,
                     tk_view signed_payload)
{
    cose_buf prot = {.n = 0};

    cose_buf_hex(&prot, prot_map);
    m->n = 0;
    cose_buf_hex(m, "D2 84");
    cose_buf_bstr(m, prot.b, prot.n);
    cose_buf_hex(m, unprot);
    if (payload_hex == NULL) {
        cose_buf_hex(m, "F6");
    } else {
        cose_buf_head(m, 2, strlen(payload_hex) / 2);
        cose_buf_hex(m, payload_hex);
    }
    cose_buf_sign1_sig(m, key, TK_ALG_ES256, cose_buf_view(&prot),
                       (tk_view){NULL, 0}, signed_payload);
    return cose_buf_view(m);
}

static const uint8_t content[] = "This is the content.";
#define CONTENT ((tk_view){content, sizeof(content) - 1})
#define CONTENT_HEX "546869732069732074686520636F6E74656E742E"

static void test_sign1_valid_reference(void **state)
{
    rules *r = *state;
    cose_buf m;
    tk_cose_opts o = key_opts(&r->p256);
    tk_cose_sign1 out;

    sign1(&m, &r->p256, "A10126", "A104423131", CONTENT_HEX, CONTENT);
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, &out),
                     TK_OK);
    assert_int_equal(out.hdr.alg, TK_ALG_ES256);
    assert_int_equal(out.hdr.kid.len, 2);
    assert_memory_equal(out.payload.ptr, content, sizeof(content) - 1);
    assert_false(out.detached);
}

/* Fault row 4: {1: -7, 1: -8} in the protected header, and the same
 * label in both buckets, are rejected before any crypto runs. */
static void test_duplicate_label_before_crypto(void **state)
{
    rules *r = *state;
    cose_buf m = {.n = 0};
    tk_cose_opts o = key_opts(&r->p256);
    tk_view detached = CONTENT;

    cose_buf_hex(&m, "D2 84 45 A2 01 26 01 27 A0 F6 58 40");
    for (int i = 0; i < 64; i++) {
        cose_buf_hex(&m, "00");
    }
    o.detached = &detached;
    tk_crypto_fault_arm(&r->fault, 0, TK_OK);
    assert_int_equal(tk_cose_sign1_verify(&r->fault.table, cose_buf_view(&m),
                                          &o, NULL),
                     TK_ERR_COSE_DUPLICATE_LABEL);
    o.detached = NULL;
    assert_int_equal(tk_cose_sign1_verify(&r->fault.table, cose_buf_view(&m),
                                          &o, NULL),
                     TK_ERR_COSE_DUPLICATE_LABEL);
    assert_int_equal(r->fault.calls, 0);

    /* Cross-bucket, with a signature that is valid over these bytes. */
    sign1(&m, &r->p256, "A10126", "A10127", CONTENT_HEX, CONTENT);
    assert_int_equal(tk_cose_sign1_verify(&r->fault.table, cose_buf_view(&m),
                                          &o, NULL),
                     TK_ERR_COSE_DUPLICATE_LABEL);
    assert_int_equal(r->fault.calls, 0);

    /* Duplicate text labels and duplicates in the unprotected map. */
    sign1(&m, &r->p256, "A20126616101", "A0", CONTENT_HEX, CONTENT);
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_OK);
    sign1(&m, &r->p256, "A301266161016161F5", "A0", CONTENT_HEX, CONTENT);
    assert_int_equal(tk_cose_sign1_verify(&r->fault.table, cose_buf_view(&m),
                                          &o, NULL),
                     TK_ERR_COSE_DUPLICATE_LABEL);
    sign1(&m, &r->p256, "A10126", "A2044131044132", CONTENT_HEX, CONTENT);
    assert_int_equal(tk_cose_sign1_verify(&r->fault.table, cose_buf_view(&m),
                                          &o, NULL),
                     TK_ERR_COSE_DUPLICATE_LABEL);
    sign1(&m, &r->p256, "A2012661610A", "A1616101", CONTENT_HEX, CONTENT);
    assert_int_equal(tk_cose_sign1_verify(&r->fault.table, cose_buf_view(&m),
                                          &o, NULL),
                     TK_ERR_COSE_DUPLICATE_LABEL);
    assert_int_equal(r->fault.calls, 0);
}

/* Duplicate labels in the other structures, in each layer. */
static void test_duplicate_label_every_structure(void **state)
{
    rules *r = *state;
    static const char *const msgs[] = {
        /* COSE_Mac0: {1: 5, 1: 5} */
        "D1 84 45 A2 01 05 01 05 A0 41 00 41 00",
        /* COSE_Mac0 across buckets */
        "D1 84 43 A1 01 05 A1 01 05 41 00 41 00",
        /* COSE_Encrypt0: IV in both buckets */
        "D0 83 46 A2 01 01 05 41 00 A1 05 41 00 41 00",
        /* COSE_Sign body duplicate */
        "D8 62 84 45 A2 03 00 03 00 A0 41 00 81 83 43 A1 01 26 A0 41 00",
        /* COSE_Sign signature layer duplicate across buckets */
        "D8 62 84 40 A0 41 00 81 83 43 A1 01 26 A1 01 26 41 00",
        /* COSE_Mac recipient duplicate kid */
        "D8 61 85 43 A1 01 05 A0 41 00 41 00 81 83 40"
        " A3 01 25 04 41 31 04 41 32 40",
        /* COSE_Encrypt recipient duplicate alg across buckets */
        "D8 60 84 43 A1 01 01 A1 05 4C 000000000000000000000000 41 00 81 83"
        " 43 A1 01 25 A1 01 25 40",
    };
    tk_cose_opts o = key_opts(&r->hmac);
    uint8_t plain[64];
    size_t plain_len;

    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        cose_buf m = {.n = 0};
        tk_view v;
        tk_err err;

        cose_buf_hex(&m, msgs[i]);
        v = cose_buf_view(&m);
        tk_crypto_fault_arm(&r->fault, 0, TK_OK);
        switch (tk_cose_type_of(v)) {
        case TK_COSE_TYPE_ENCRYPT0:
            err = tk_cose_encrypt0_decrypt(&r->fault.table, v, &o, plain,
                                           sizeof(plain), &plain_len, NULL);
            break;
        case TK_COSE_TYPE_ENCRYPT:
            err = tk_cose_encrypt_decrypt(&r->fault.table, v, &o, plain,
                                          sizeof(plain), &plain_len, NULL);
            break;
        default:
            err = tk_cose_verify(&r->fault.table, v, &o, NULL);
            break;
        }
        if (err != TK_ERR_COSE_DUPLICATE_LABEL) {
            fail_msg("message %zu: expected TK_ERR_COSE_DUPLICATE_LABEL, "
                     "got %s", i, tk_errname(err));
        }
        assert_int_equal(r->fault.calls, 0);
    }
}

/* Fault row 10: a payload in the message and detached content supplied
 * is an error, whatever the signature covers. */
static void test_detached_payload_confusion(void **state)
{
    rules *r = *state;
    static const uint8_t good[] = {0x60, 0x0d};
    static const uint8_t other[] = {0x60, 0x0e};
    tk_view detached = {good, sizeof(good)};
    tk_view wrong = {other, sizeof(other)};
    tk_cose_opts o = key_opts(&r->p256);
    tk_cose_sign1 out;
    cose_buf m;

    /* The signature covers 600D; the message carries BAD0. */
    sign1(&m, &r->p256, "A10126", "A0", "BAD0", detached);
    o.detached = &detached;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_PAYLOAD_CONFLICT);

    /* The proper detached form verifies only with the signed content. */
    sign1(&m, &r->p256, "A10126", "A0", NULL, detached);
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, &out),
                     TK_OK);
    assert_true(out.detached);
    assert_ptr_equal(out.payload.ptr, good);
    o.detached = &wrong;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_SIGNATURE_INVALID);
    o.detached = NULL;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_PAYLOAD_MISSING);

    /* An empty detached content is content too. */
    tk_view empty = {NULL, 0};
    sign1(&m, &r->p256, "A10126", "A0", NULL, empty);
    o.detached = &empty;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_OK);
}

/* Fault row 11: a truncated protected header fails with a header-decode
 * error even though the tag or signature over those bytes is correct. */
static void test_truncated_protected_header(void **state)
{
    rules *r = *state;
    static const uint8_t prot[] = {0xa1, 0x01};
    static const uint8_t payload[] = {0x00};
    tk_cose_opts o = key_opts(&r->hmac);
    cose_buf m = {.n = 0};

    cose_buf_hex(&m, "D1 84 42 A1 01 A0 41 00");
    cose_buf_mac_tag(&m, &r->hmac, TK_ALG_HMAC_256_64, "MAC0",
                     (tk_view){prot, 2}, (tk_view){NULL, 0},
                     (tk_view){payload, 1});
    tk_crypto_fault_arm(&r->fault, 0, TK_OK);
    assert_int_equal(tk_cose_mac0_verify(&r->fault.table, cose_buf_view(&m),
                                         &o, NULL),
                     TK_ERR_COSE_HEADER_DECODE);
    assert_int_equal(r->fault.calls, 0);

    sign1(&m, &r->p256, "A101", "A0", "00", (tk_view){payload, 1});
    o = key_opts(&r->p256);
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_HEADER_DECODE);

    /* Not a map, and a map with bytes after it. */
    sign1(&m, &r->p256, "820126", "A0", "00", (tk_view){payload, 1});
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_HEADER_DECODE);
    sign1(&m, &r->p256, "A1012600", "A0", "00", (tk_view){payload, 1});
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_HEADER_DECODE);
}

/* crit: where it may be, what it may list. */
static void test_crit_rules(void **state)
{
    rules *r = *state;
    tk_cose_label understood[2] = {
        {false, 99, {NULL, 0}},
        {true, 0, TK_VIEW_STR("reserved")},
    };
    static const struct {
        const char *prot;
        const char *unprot;
        bool with_understood;
        tk_err want;
    } cases[] = {
        /* crit listing alg, present: fine */
        {"A2 01 26 02 81 01", "A0", false, TK_OK},
        /* crit in the unprotected header */
        {"A1 01 26", "A1 02 81 01", false, TK_ERR_COSE_CRIT_INVALID},
        /* empty crit array */
        {"A2 01 26 02 80", "A0", false, TK_ERR_COSE_CRIT_INVALID},
        /* crit not an array */
        {"A2 01 26 02 01", "A0", false, TK_ERR_COSE_CRIT_INVALID},
        /* crit listing a non-label */
        {"A2 01 26 02 81 40", "A0", false, TK_ERR_COSE_CRIT_INVALID},
        /* listed label missing from the protected header */
        {"A2 01 26 02 81 04", "A1 04 41 31", false,
         TK_ERR_COSE_CRIT_MISSING},
        /* listed label present but not understood */
        {"A3 01 26 02 81 18 63 18 63 00", "A0", false,
         TK_ERR_COSE_CRIT_UNKNOWN},
        /* the same, understood by the caller */
        {"A3 01 26 02 81 18 63 18 63 00", "A0", true, TK_OK},
        /* a text label, understood by the caller */
        {"A3 01 26 02 81 68 7265736572766564 68 7265736572766564 F4", "A0",
         true, TK_OK},
        {"A3 01 26 02 81 68 7265736572766564 68 7265736572766564 F4", "A0",
         false, TK_ERR_COSE_CRIT_UNKNOWN},
        /* crit naming an algorithm label this library processes */
        {"A3 01 26 02 81 33 33 41 00", "A0", false, TK_OK},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_cose_opts o = key_opts(&r->p256);
        cose_buf m;
        tk_err err;

        if (cases[i].with_understood) {
            o.understood = understood;
            o.understood_count = 2;
        }
        sign1(&m, &r->p256, cases[i].prot, cases[i].unprot, CONTENT_HEX,
              CONTENT);
        err = tk_cose_sign1_verify(cose_test_crypto(), cose_buf_view(&m), &o,
                                   NULL);
        if (err != cases[i].want) {
            fail_msg("case %zu: expected %s, got %s", i,
                     tk_errname(cases[i].want), tk_errname(err));
        }
    }
}

/* alg: required, an integer, protected, and of the structure's kind. */
static void test_alg_rules(void **state)
{
    rules *r = *state;
    static const struct {
        const char *prot;
        const char *unprot;
        uint32_t flags;
        tk_err want;
    } cases[] = {
        {"", "A1 01 26", 0, TK_ERR_COSE_ALG_UNPROTECTED},
        {"", "A1 01 26", TK_COSE_OPT_ALG_UNPROTECTED_OK, TK_OK},
        {"A0", "A1 01 26", TK_COSE_OPT_ALG_UNPROTECTED_OK, TK_OK},
        {"", "A0", 0, TK_ERR_COSE_ALG_MISSING},
        {"A1 01 65 4553323536", "A0", 0, TK_ERR_COSE_ALG_UNSUPPORTED},
        {"A1 01 05", "A0", 0, TK_ERR_COSE_ALG_UNSUPPORTED},
        {"A1 01 39 03E6", "A0", 0, TK_ERR_COSE_ALG_UNSUPPORTED},
        {"A1 01 41 26", "A0", 0, TK_ERR_COSE_HEADER_VALUE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_cose_opts o = key_opts(&r->p256);
        cose_buf m;
        tk_err err;

        o.flags = cases[i].flags;
        sign1(&m, &r->p256, cases[i].prot, cases[i].unprot, CONTENT_HEX,
              CONTENT);
        err = tk_cose_sign1_verify(cose_test_crypto(), cose_buf_view(&m), &o,
                                   NULL);
        if (err != cases[i].want) {
            fail_msg("case %zu: expected %s, got %s", i,
                     tk_errname(cases[i].want), tk_errname(err));
        }
    }
}

/* Types of the header values and labels. */
static void test_header_value_types(void **state)
{
    rules *r = *state;
    static const struct {
        const char *prot;
        const char *unprot;
        tk_err want;
    } cases[] = {
        {"A1 01 26", "A1 04 01", TK_ERR_COSE_HEADER_VALUE},
        {"A1 01 26", "A1 05 01", TK_ERR_COSE_HEADER_VALUE},
        {"A1 01 26", "A1 03 20", TK_ERR_COSE_HEADER_VALUE},
        {"A1 01 26", "A1 03 63 746578", TK_OK},
        {"A1 01 26", "A1 41 00 01", TK_ERR_COSE_HEADER_LABEL},
        {"A1 01 26", "A1 F6 01", TK_ERR_COSE_HEADER_LABEL},
        {"A1 01 26", "A1 3B 8000000000000000 01", TK_ERR_COSE_HEADER_LABEL},
        {"A1 01 26", "A1 20 01", TK_ERR_COSE_HEADER_VALUE},
        {"A1 01 26", "A1 33 01", TK_ERR_COSE_HEADER_VALUE},
        {"A1 01 26", "A2 05 41 00 06 41 00", TK_ERR_COSE_IV},
        {"A1 01 26", "A2 18 64 01 19 03E8 82 01 02", TK_OK},
        {"A1 01 26", "A1 04 5F 41 31 FF", TK_ERR_COSE_HEADER_VALUE},
        {"A1 01 26", "80", TK_ERR_COSE_MALFORMED},
        {"A1 01 26",
         "B1 00 00 07 00 08 00 09 00 0A 00 0B 00 0C 00 0D 00 0E 00 0F 00"
         " 10 00 11 00 12 00 13 00 14 00 15 00 16 00",
         TK_ERR_COSE_TOO_MANY_LABELS},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_cose_opts o = key_opts(&r->p256);
        cose_buf m;
        tk_err err;

        sign1(&m, &r->p256, cases[i].prot, cases[i].unprot, CONTENT_HEX,
              CONTENT);
        err = tk_cose_sign1_verify(cose_test_crypto(), cose_buf_view(&m), &o,
                                   NULL);
        if (err != cases[i].want) {
            fail_msg("case %zu: expected %s, got %s", i,
                     tk_errname(cases[i].want), tk_errname(err));
        }
    }
}

/* The protected bucket must be a byte string; an empty map in it is the
 * same as an empty byte string. */
static void test_protected_bucket_forms(void **state)
{
    rules *r = *state;
    tk_cose_opts o = key_opts(&r->p256);
    cose_buf m = {.n = 0};
    tk_cose_sign1 out;

    o.flags = TK_COSE_OPT_ALG_UNPROTECTED_OK;
    /* h'A0' signed as received */
    sign1(&m, &r->p256, "A0", "A1 01 26", CONTENT_HEX, CONTENT);
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, &out),
                     TK_OK);
    assert_int_equal(out.hdr.protected_bytes.len, 1);
    assert_int_equal(out.hdr.protected_labels, 0);

    /* a map instead of a bstr */
    m.n = 0;
    cose_buf_hex(&m, "D2 84 A1 01 26 A0 41 00 41 00");
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_MALFORMED);
    /* an indefinite-length bstr */
    m.n = 0;
    cose_buf_hex(&m, "D2 84 5F 43 A1 01 26 FF A0 41 00 41 00");
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_MALFORMED);
}

/* Tags: wrong ones always fail, a missing one only when allowed. */
static void test_tags(void **state)
{
    rules *r = *state;
    tk_cose_opts o = key_opts(&r->p256);
    cose_buf m;
    cose_buf untagged = {.n = 0};

    sign1(&m, &r->p256, "A10126", "A0", CONTENT_HEX, CONTENT);
    cose_buf_bytes(&untagged, m.b + 1, m.n - 1);
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&untagged), &o, NULL),
                     TK_ERR_COSE_TAG_MISSING);
    o.flags = TK_COSE_OPT_UNTAGGED_OK;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&untagged), &o, NULL),
                     TK_OK);
    m.b[0] = 0xd1; /* COSE_Mac0's tag */
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_WRONG_TAG);
    m.b[0] = 0xc1; /* an epoch date */
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_WRONG_TAG);
    m.b[0] = 0xd2;

    /* Trailing bytes, a short array and a long array. */
    cose_buf_hex(&m, "00");
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_TRAILING);
    m.n = 0;
    cose_buf_hex(&m, "D2 83 43 A1 01 26 A0 41 00");
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_MALFORMED);
    m.n = 0;
    cose_buf_hex(&m, "D2 85 43 A1 01 26 A0 41 00 41 00 00");
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_MALFORMED);
    m.n = 0;
    cose_buf_hex(&m, "D2 9F 43 A1 01 26 A0 41 00 41 00 00 FF");
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_MALFORMED);
    /* Tag helpers. */
    assert_int_equal(tk_cose_type_of(cose_buf_view(&untagged)),
                     TK_COSE_TYPE_UNKNOWN);
    assert_int_equal(tk_cose_verify(cose_test_crypto(),
                                    cose_buf_view(&untagged), &o, NULL),
                     TK_ERR_COSE_UNTAGGED_TYPE);
}

/* Key lookup: kid and alg only select a key. */
typedef struct lookup_log {
    const tk_key *give;
    tk_err result;
    uint8_t kid[16];
    size_t kid_len;
    tk_alg alg;
    int calls;
} lookup_log;

static tk_err logging_lookup(void *arg, tk_view kid, tk_alg alg,
                             const tk_key **key)
{
    lookup_log *log = arg;

    log->calls++;
    log->kid_len = kid.len < sizeof(log->kid) ? kid.len : sizeof(log->kid);
    if (log->kid_len > 0) {
        memcpy(log->kid, kid.ptr, log->kid_len);
    }
    log->alg = alg;
    *key = log->give;
    return log->result;
}

static void test_kid_selects_key(void **state)
{
    rules *r = *state;
    tk_key other;
    lookup_log log = {.give = NULL, .result = TK_OK};
    tk_cose_opts o = key_opts(NULL);
    cose_buf m;

    cose_test_p256_key(&other, false);
    /* A different key pair: flip the key to its own public part of
     * another point by generating one. */
    tk_key_release(&other);
    assert_int_equal(cose_test_crypto()->key_generate(
                         cose_test_crypto()->ctx, TK_CRV_P256, &other),
                     TK_OK);
    o.lookup = logging_lookup;
    o.lookup_arg = &log;
    sign1(&m, &r->p256, "A10126", "A104423131", CONTENT_HEX, CONTENT);

    log.give = &r->p256;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_OK);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.kid_len, 2);
    assert_memory_equal(log.kid, "11", 2);
    assert_int_equal(log.alg, TK_ALG_ES256);

    /* The kid names a key, but the signature must still verify with it. */
    log.give = &other;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_SIGNATURE_INVALID);
    log.give = NULL;
    log.result = TK_ERR_NOT_FOUND;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_KEY_NOT_FOUND);
    log.result = TK_ERR_CALLBACK;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_CALLBACK);
    /* No lookup and no key. */
    o.lookup = NULL;
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_KEY_NOT_FOUND);
    /* A kid that is not a byte string is rejected before the lookup. */
    o.lookup = logging_lookup;
    log.calls = 0;
    sign1(&m, &r->p256, "A10126", "A1046131", CONTENT_HEX, CONTENT);
    assert_int_equal(tk_cose_sign1_verify(cose_test_crypto(),
                                          cose_buf_view(&m), &o, NULL),
                     TK_ERR_COSE_HEADER_VALUE);
    assert_int_equal(log.calls, 0);
    tk_key_release(&other);
}

/* IV rules of the content layer, and the AES-CTR rules of RFC 9459. */
static void test_iv_and_ctr_rules(void **state)
{
    rules *r = *state;
    static const struct {
        const char *msg;
        const char *aad;
        const char *base_iv;
        tk_err want;
    } cases[] = {
        /* AES-GCM with an 11-byte IV */
        {"D0 83 43 A1 01 01 A1 05 4B 0000000000000000000000 51 "
         "00000000000000000000000000000000 00",
         NULL, NULL, TK_ERR_COSE_IV},
        /* no IV at all */
        {"D0 83 43 A1 01 01 A0 51 00000000000000000000000000000000 00", NULL,
         NULL, TK_ERR_COSE_IV},
        /* Partial IV without a base IV */
        {"D0 83 43 A1 01 01 A1 06 42 61A7 51 "
         "00000000000000000000000000000000 00",
         NULL, NULL, TK_ERR_COSE_IV},
        /* Partial IV longer than the IV */
        {"D0 83 43 A1 01 01 A1 06 4D 00000000000000000000000000 51 "
         "00000000000000000000000000000000 00",
         NULL, "000000000000000000000000", TK_ERR_COSE_IV},
        /* AES-CTR with alg protected */
        {"D0 83 45 A1 01 39 FFFD A1 05 50 00000000000000000000000000000000"
         " 41 00",
         NULL, NULL, TK_ERR_COSE_PROTECTED_NOT_EMPTY},
        /* AES-CTR with external AAD */
        {"D0 83 40 A2 01 39 FFFD 05 50 00000000000000000000000000000000"
         " 41 00",
         "01", NULL, TK_ERR_COSE_AAD_NOT_ALLOWED},
        /* AES-CTR with a 12-byte IV */
        {"D0 83 40 A2 01 39 FFFD 05 4C 000000000000000000000000 41 00", NULL,
         NULL, TK_ERR_COSE_IV},
        /* AEAD ciphertext shorter than its tag */
        {"D0 83 43 A1 01 01 A1 05 4C 000000000000000000000000 43 000000",
         NULL, NULL, TK_ERR_COSE_DECRYPT_FAILED},
        /* key wrap recipient with a protected header */
        {"D8 60 84 43 A1 01 01 A1 05 4C 000000000000000000000000 41 00 81 83"
         " 43 A1 01 22 A0 58 18 000000000000000000000000000000000000000000000000",
         NULL, NULL, TK_ERR_COSE_PROTECTED_NOT_EMPTY},
        /* direct recipient with a ciphertext */
        {"D8 60 84 43 A1 01 01 A1 05 4C 000000000000000000000000 41 00 81 83"
         " 40 A1 01 25 41 00",
         NULL, NULL, TK_ERR_COSE_MALFORMED},
        /* ECDH-ES recipient without an ephemeral key */
        {"D8 60 84 43 A1 01 01 A1 05 4C 000000000000000000000000 41 00 81 83"
         " 44 A1 01 38 18 A0 40",
         NULL, NULL, TK_ERR_COSE_EPHEMERAL_KEY},
        /* a recipient with a content algorithm */
        {"D8 60 84 43 A1 01 01 A1 05 4C 000000000000000000000000 41 00 81 83"
         " 40 A1 01 01 40",
         NULL, NULL, TK_ERR_COSE_ALG_UNSUPPORTED},
        /* an empty recipient array */
        {"D8 60 84 43 A1 01 01 A1 05 4C 000000000000000000000000 41 00 80",
         NULL, NULL, TK_ERR_COSE_MALFORMED},
        /* five recipients, one over TK_COSE_MAX_RECIPIENTS */
        {"D8 60 84 43 A1 01 01 A1 05 4C 000000000000000000000000 41 00 85"
         " 83 40 A1 01 25 40 83 40 A1 01 25 40 83 40 A1 01 25 40"
         " 83 40 A1 01 25 40 83 40 A1 01 25 40",
         NULL, NULL, TK_ERR_COSE_TOO_MANY_RECIPIENTS},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_cose_opts o = key_opts(&r->aes128);
        uint8_t aad[8];
        uint8_t biv[16];
        uint8_t plain[64];
        size_t plain_len;
        cose_buf m = {.n = 0};
        tk_err err;

        cose_buf_hex(&m, cases[i].msg);
        if (cases[i].aad != NULL) {
            o.external_aad.len = tk_test_hex_decode(cases[i].aad, aad,
                                                    sizeof(aad));
            o.external_aad.ptr = aad;
        }
        if (cases[i].base_iv != NULL) {
            o.base_iv.len = tk_test_hex_decode(cases[i].base_iv, biv,
                                               sizeof(biv));
            o.base_iv.ptr = biv;
        }
        if (tk_cose_type_of(cose_buf_view(&m)) == TK_COSE_TYPE_ENCRYPT) {
            err = tk_cose_encrypt_decrypt(cose_test_crypto(),
                                          cose_buf_view(&m), &o, plain,
                                          sizeof(plain), &plain_len, NULL);
        } else {
            err = tk_cose_encrypt0_decrypt(cose_test_crypto(),
                                           cose_buf_view(&m), &o, plain,
                                           sizeof(plain), &plain_len, NULL);
        }
        if (err != cases[i].want) {
            fail_msg("case %zu: expected %s, got %s", i,
                     tk_errname(cases[i].want), tk_errname(err));
        }
    }
}

/* Builds one valid message of each structure with the builders. */
static size_t build_all(rules *r, uint8_t msgs[6][512], size_t lens[6])
{
    const tk_crypto *c = cose_test_crypto();
    tk_cose_signer signers[1] = {{TK_ALG_ES256, &r->p256, TK_VIEW_STR("11")}};
    tk_cose_recipient_params rp = {.alg = TK_ALG_A128KW, .key = &r->aes128,
                                   .kid = TK_VIEW_STR("kek")};
    tk_cose_build b;

    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_ES256;
    b.key = &r->p256;
    b.kid = TK_VIEW_STR("11");
    assert_int_equal(tk_cose_sign1_sign(c, &b, CONTENT, msgs[0], 512,
                                        &lens[0]),
                     TK_OK);
    b.signers = signers;
    b.signer_count = 1;
    assert_int_equal(tk_cose_sign_sign(c, &b, CONTENT, msgs[1], 512,
                                       &lens[1]),
                     TK_OK);
    b.alg = TK_ALG_HMAC_256_64;
    b.key = &r->hmac;
    assert_int_equal(tk_cose_mac0_create(c, &b, CONTENT, msgs[2], 512,
                                         &lens[2]),
                     TK_OK);
    b.recipients = &rp;
    b.recipient_count = 1;
    assert_int_equal(tk_cose_mac_create(c, &b, CONTENT, msgs[3], 512,
                                        &lens[3]),
                     TK_OK);
    b.alg = TK_ALG_A128GCM;
    b.key = &r->aes128;
    assert_int_equal(tk_cose_encrypt0_encrypt(c, &b, CONTENT, msgs[4], 512,
                                              &lens[4]),
                     TK_OK);
    assert_int_equal(tk_cose_encrypt_encrypt(c, &b, CONTENT, msgs[5], 512,
                                             &lens[5]),
                     TK_OK);
    return 6;
}

/* Runs the verifier or decrypter of message i. */
static tk_err check_one(rules *r, size_t i, tk_view msg)
{
    const tk_crypto *c = cose_test_crypto();
    tk_cose_opts o = key_opts(NULL);
    uint8_t plain[512];
    size_t plain_len;

    o.key = i < 2 ? &r->p256 : i == 2 ? &r->hmac : &r->aes128;
    switch (i) {
    case 0:
        return tk_cose_sign1_verify(c, msg, &o, NULL);
    case 1:
        return tk_cose_sign_verify(c, msg, &o, NULL);
    case 2:
        return tk_cose_mac0_verify(c, msg, &o, NULL);
    case 3:
        return tk_cose_mac_verify(c, msg, &o, NULL);
    case 4:
        return tk_cose_encrypt0_decrypt(c, msg, &o, plain, sizeof(plain),
                                        &plain_len, NULL);
    default:
        return tk_cose_encrypt_decrypt(c, msg, &o, plain, sizeof(plain),
                                       &plain_len, NULL);
    }
}

/* Every prefix of every structure is an error, read without overrun
 * (the prefix is copied into an exactly sized buffer for ASan). */
static void test_truncated_at_every_byte(void **state)
{
    rules *r = *state;
    uint8_t msgs[6][512];
    size_t lens[6];
    size_t n = build_all(r, msgs, lens);

    for (size_t i = 0; i < n; i++) {
        assert_int_equal(check_one(r, i, (tk_view){msgs[i], lens[i]}), TK_OK);
        for (size_t len = 0; len < lens[i]; len++) {
            uint8_t *copy = malloc(len > 0 ? len : 1);
            tk_err err;

            memcpy(copy, msgs[i], len);
            err = check_one(r, i, (tk_view){copy, len});
            free(copy);
            if (err == TK_OK) {
                fail_msg("structure %zu truncated to %zu of %zu bytes "
                         "verified", i, len, lens[i]);
            }
        }
    }
}

/* Ranges of a message that no signature or MAC covers: unprotected maps
 * and the recipient array. */
typedef struct ranges {
    tk_view r[3];
    size_t n;
} ranges;

static void unprotected_ranges(rules *r, size_t i, tk_view msg, ranges *out)
{
    tk_cose_opts o = key_opts(NULL);
    tk_cose_sign1 s1;
    tk_cose_sign s;
    tk_cose_mac0 m0;
    tk_cose_encrypt0 e0;
    uint8_t plain[512];
    size_t plain_len;
    tk_cose_mac m;
    tk_cose_encrypt e;

    out->n = 0;
    o.key = i < 2 ? &r->p256 : i == 2 ? &r->hmac : &r->aes128;
    switch (i) {
    case 0:
        assert_int_equal(tk_cose_sign1_decode(msg, &o, &s1), TK_OK);
        out->r[out->n++] = s1.hdr.unprotected_map;
        break;
    case 1:
        assert_int_equal(tk_cose_sign_decode(msg, &o, &s), TK_OK);
        out->r[out->n++] = s.hdr.unprotected_map;
        out->r[out->n++] = s.signatures[0].hdr.unprotected_map;
        break;
    case 2:
        assert_int_equal(tk_cose_mac0_decode(msg, &o, &m0), TK_OK);
        out->r[out->n++] = m0.hdr.unprotected_map;
        break;
    case 3:
        assert_int_equal(tk_cose_mac_verify(cose_test_crypto(), msg, &o, &m),
                         TK_OK);
        out->r[out->n++] = m.hdr.unprotected_map;
        out->r[out->n++] = m.recipients;
        break;
    case 4:
        assert_int_equal(tk_cose_encrypt0_decrypt(cose_test_crypto(), msg,
                                                  &o, plain, sizeof(plain),
                                                  &plain_len, &e0),
                         TK_OK);
        out->r[out->n++] = e0.hdr.unprotected_map;
        break;
    default:
        assert_int_equal(tk_cose_encrypt_decrypt(cose_test_crypto(), msg, &o,
                                                 plain, sizeof(plain),
                                                 &plain_len, &e),
                         TK_OK);
        out->r[out->n++] = e.hdr.unprotected_map;
        out->r[out->n++] = e.recipients;
        break;
    }
}

static bool in_ranges(const ranges *rg, const uint8_t *p)
{
    for (size_t i = 0; i < rg->n; i++) {
        if (p >= rg->r[i].ptr && p < rg->r[i].ptr + rg->r[i].len) {
            return true;
        }
    }
    return false;
}

/* Flipping any bit of a structure never crashes, and a flip is accepted
 * only in bytes that nothing authenticates: the unprotected maps (a kid
 * byte, a label turned into an unknown one) and recipient headers. */
static void test_bit_flips(void **state)
{
    rules *r = *state;
    uint8_t msgs[6][512];
    size_t lens[6];
    size_t n = build_all(r, msgs, lens);

    for (size_t i = 0; i < n; i++) {
        ranges rg;

        unprotected_ranges(r, i, (tk_view){msgs[i], lens[i]}, &rg);
        for (size_t pos = 0; pos < lens[i]; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                tk_err err;

                msgs[i][pos] ^= (uint8_t)(1u << bit);
                err = check_one(r, i, (tk_view){msgs[i], lens[i]});
                msgs[i][pos] ^= (uint8_t)(1u << bit);
                if (err == TK_OK && !in_ranges(&rg, &msgs[i][pos])) {
                    fail_msg("structure %zu accepted a flip of bit %d at "
                             "byte %zu", i, bit, pos);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign1_valid_reference),
        cmocka_unit_test(test_duplicate_label_before_crypto),
        cmocka_unit_test(test_duplicate_label_every_structure),
        cmocka_unit_test(test_detached_payload_confusion),
        cmocka_unit_test(test_truncated_protected_header),
        cmocka_unit_test(test_crit_rules),
        cmocka_unit_test(test_alg_rules),
        cmocka_unit_test(test_header_value_types),
        cmocka_unit_test(test_protected_bucket_forms),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_kid_selects_key),
        cmocka_unit_test(test_iv_and_ctr_rules),
        cmocka_unit_test(test_truncated_at_every_byte),
        cmocka_unit_test(test_bit_flips),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
