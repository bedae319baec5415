/*
 * SUIT reports (draft-ietf-suit-report-18): the report of a run carries
 * the reference, the nonce, the records and the result; it round-trips
 * through the decoder, unprotected and in a COSE_Sign1; malformed reports
 * are rejected with specific codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suit_test_platform.h"
#include "suit_test_util.h"
#include "teepkit/suit.h"

static const uint8_t digest_p[32] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
    0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
    0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
static const uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};

typedef struct fixture {
    tp_platform tp;
    tk_suit_processor proc;
    tk_suit_record records[16];
    tk_suit_record decoded[16];
    uint8_t *envelope;
    size_t envelope_len;
    uint8_t report[4096];
    size_t report_len;
    uint8_t image[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_suit_config cfg;
    uint8_t id[3];
    assert_non_null(f);
    tp_init(&f->tp);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    memset(f->image, 0x5a, sizeof(f->image));
    tp_add_alias(&f->tp, (tk_view){NULL, 0}, f->image, sizeof(f->image),
                 digest_p);
    tp_set_image(&f->tp, tp_id_byte(id, 0), f->image, sizeof(f->image));
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tu_crypto();
    cfg.platform = &f->tp.pf;
    cfg.records = f->records;
    cfg.record_cap = 16;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    f->envelope = tu_vector("suit/manifest/example0.hex", &f->envelope_len);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tp_free(&f->tp);
    free(f->envelope);
    free(f);
    return 0;
}

static tk_err boot(fixture *f)
{
    return tk_suit_process(&f->proc, (tk_view){f->envelope, f->envelope_len},
                           TK_SUIT_OP_BOOT);
}

static void encode(fixture *f, bool invoke_pending)
{
    assert_int_equal(tk_suit_report_encode(&f->proc,
                                           (tk_view){nonce, sizeof(nonce)},
                                           invoke_pending, f->report,
                                           sizeof(f->report), &f->report_len),
                     TK_OK);
}

static void success_report(void **state)
{
    fixture *f = *state;
    tk_suit_report r;
    assert_int_equal(boot(f), TK_OK);
    encode(f, false);
    /* {2: nonce, 3: [5 records], 4: true, 99: [...]} in deterministic
     * order. */
    static const uint8_t head[] = {0xa4, 0x02, 0x48, 1, 2, 3, 4, 5,
                                   6, 7, 8, 0x03, 0x85};
    assert_memory_equal(f->report, head, sizeof(head));
    assert_int_equal(tk_suit_report_decode((tk_view){f->report,
                                                     f->report_len},
                                           NULL, NULL, &r, f->decoded, 16),
                     TK_OK);
    assert_true(r.success);
    assert_int_equal(r.record_count, 5);
    assert_int_equal(r.nonce.len, 8);
    assert_memory_equal(r.nonce.ptr, nonce, 8);
    assert_int_equal(r.reference_uri.len, 0);
    assert_int_equal(r.manifest_digest.alg, -16);
    assert_int_equal(r.manifest_digest.bytes.len, 32);
    const tk_suit_manifest *m = tk_suit_processor_manifest(&f->proc);
    assert_non_null(m);
    /* The reference digest is the authentication wrapper's. */
    tk_suit_envelope env;
    assert_int_equal(tk_suit_envelope_decode((tk_view){f->envelope,
                                                       f->envelope_len},
                                             &env, NULL),
                     TK_OK);
    assert_int_equal(tk_suit_envelope_verify(&env, tu_crypto(),
                                             f->tp.pf.find_key, &f->tp, 0,
                                             (tk_view){NULL, 0}, NULL),
                     TK_OK);
    assert_memory_equal(r.manifest_digest.bytes.ptr, env.digest.bytes.ptr,
                        32);
    /* Records: the image match in validate with its measured digest. */
    assert_int_equal(f->decoded[2].section, 7);
    assert_int_equal(f->decoded[2].offset, 1);
    assert_int_equal(f->decoded[2].component, 0);
    assert_int_equal(f->decoded[2].manifest_depth, 0);
    assert_int_equal(f->decoded[2].measured_len, 32);
    assert_memory_equal(f->decoded[2].measured, digest_p, 32);
    /* The vendor check reports the vendor id it consumed. */
    assert_int_equal(f->decoded[0].param_key, TK_SUIT_PARAM_VENDOR_ID);
    assert_int_equal(f->decoded[0].param_value.len, 16);
}

static void failure_report(void **state)
{
    fixture *f = *state;
    tk_suit_report r;
    uint8_t id[3];
    tp_set_image(&f->tp, tp_id_byte(id, 0), (const uint8_t *)"other", 5);
    assert_int_equal(boot(f), TK_ERR_SUIT_IMAGE_MISMATCH);
    encode(f, false);
    assert_int_equal(tk_suit_report_decode((tk_view){f->report,
                                                     f->report_len},
                                           NULL, NULL, &r, f->decoded, 16),
                     TK_OK);
    assert_false(r.success);
    assert_int_equal(r.result_code, TK_ERR_SUIT_IMAGE_MISMATCH);
    assert_int_equal(r.reason, TK_SUIT_REASON_CONDITION_FAILED);
    assert_int_equal(r.result_record.section, 7);
    assert_int_equal(r.result_record.offset, 1);
    assert_int_equal(r.result_record.component, 0);
    assert_int_equal(r.result_record.measured_len, 32);
    assert_int_equal(r.record_count, 3);
}

static void invoke_pending_report(void **state)
{
    fixture *f = *state;
    tk_suit_report r;
    assert_int_equal(boot(f), TK_OK);
    encode(f, true);
    assert_int_equal(tk_suit_report_decode((tk_view){f->report,
                                                     f->report_len},
                                           NULL, NULL, &r, f->decoded, 16),
                     TK_OK);
    assert_false(r.success);
    assert_int_equal(r.result_code, 0);
    assert_int_equal(r.reason, TK_SUIT_REASON_INVOKE_PENDING);
    assert_int_equal(r.result_record.section, 9);
}

static void reference_uri_report(void **state)
{
    fixture *f = *state;
    tk_suit_report r;
    free(f->envelope);
    f->envelope = tu_vector("suit/manifest/example2-signed-severed.hex",
                            &f->envelope_len);
    assert_int_equal(boot(f), TK_OK);
    encode(f, false);
    assert_int_equal(tk_suit_report_decode((tk_view){f->report,
                                                     f->report_len},
                                           NULL, NULL, &r, f->decoded, 16),
                     TK_OK);
    assert_int_equal(r.reference_uri.len, 20);
    assert_memory_equal(r.reference_uri.ptr, "https://git.io/JJYoj", 20);
}

static void signed_report(void **state)
{
    fixture *f = *state;
    tk_suit_report r;
    uint8_t signed_report[4096];
    size_t len = 0;
    assert_int_equal(boot(f), TK_OK);
    encode(f, false);
    assert_int_equal(tk_suit_report_sign((tk_view){f->report, f->report_len},
                                         tu_crypto(), TK_ALG_ESP256,
                                         tu_example_private(),
                                         TK_VIEW_STR("device"),
                                         signed_report, sizeof(signed_report),
                                         &len),
                     TK_OK);
    assert_int_equal(signed_report[0], 0xd2); /* tag 18 */
    assert_int_equal(tk_suit_report_decode((tk_view){signed_report, len},
                                           tu_crypto(), tu_example_public(),
                                           &r, f->decoded, 16),
                     TK_OK);
    assert_true(r.success);
    assert_int_equal(r.record_count, 5);
    /* A changed byte of the signed report fails its signature. */
    signed_report[len - 1] ^= 0x01;
    assert_int_equal(tk_suit_report_decode((tk_view){signed_report, len},
                                           tu_crypto(), tu_example_public(),
                                           &r, f->decoded, 16),
                     TK_ERR_SUIT_SIGNATURE);
    /* A protected report needs a key. */
    assert_int_equal(tk_suit_report_decode((tk_view){signed_report, len},
                                           NULL, NULL, &r, f->decoded, 16),
                     TK_ERR_INVALID_ARG);
}

static void encode_errors(void **state)
{
    fixture *f = *state;
    uint8_t small[8];
    size_t len = 0;
    /* Nothing processed yet. */
    assert_int_equal(tk_suit_report_encode(&f->proc, (tk_view){NULL, 0},
                                           false, f->report,
                                           sizeof(f->report), &len),
                     TK_ERR_STATE);
    assert_int_equal(boot(f), TK_OK);
    assert_int_equal(tk_suit_report_encode(&f->proc, (tk_view){NULL, 0},
                                           false, small, sizeof(small), &len),
                     TK_ERR_BUFFER_TOO_SMALL);
    size_t needed = len;
    assert_true(needed > sizeof(small));
    assert_int_equal(tk_suit_report_encode(&f->proc, (tk_view){NULL, 0},
                                           false, f->report, needed, &len),
                     TK_OK);
    assert_int_equal(len, needed);
    /* A run that failed before authentication has no reference. */
    f->envelope[f->envelope_len - 1] ^= 0x01;
    assert_int_not_equal(boot(f), TK_OK);
    assert_int_equal(tk_suit_report_encode(&f->proc, (tk_view){NULL, 0},
                                           false, f->report,
                                           sizeof(f->report), &len),
                     TK_ERR_STATE);
}

static void decode_errors(void **state)
{
    fixture *f = *state;
    tk_suit_report r;
    uint8_t buf[512];
    size_t n;
    static const char *const missing[] = {
        "{3: [], 4: true}",                                /* reference */
        "{99: [\"\", [-16, h'00']], 4: true}",             /* records */
        "{99: [\"\", [-16, h'00']], 3: []}",               /* result */
        "{99: [\"\", [-16, h'00']], 3: [], 4: {5: 1}}",    /* result map */
        "{99: [\"\", [-16, h'00']], 3: [7], 4: true}",     /* record type */
        "[]",
    };
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        n = tu_edn(missing[i], buf, sizeof(buf));
        assert_int_equal(tk_suit_report_decode((tk_view){buf, n}, NULL, NULL,
                                               &r, f->decoded, 16),
                         TK_ERR_SUIT_REPORT);
    }
    n = tu_edn("{99: [\"\", [-16, h'00']], 3: [], 3: [], 4: true}", buf,
               sizeof(buf));
    assert_int_equal(tk_suit_report_decode((tk_view){buf, n}, NULL, NULL, &r,
                                           f->decoded, 16),
                     TK_ERR_SUIT_DUPLICATE_KEY);
    /* Two records into a table of one. */
    n = tu_edn("{99: [\"\", [-16, h'00']], 3: [[[], 7, 0, 0, {}],"
               " [[], 7, 1, 0, {}], {0: [h'00'], 14: 5}], 4: true}",
               buf, sizeof(buf));
    assert_int_equal(tk_suit_report_decode((tk_view){buf, n}, NULL, NULL, &r,
                                           f->decoded, 1),
                     TK_ERR_LIMIT);
    assert_int_equal(tk_suit_report_decode((tk_view){buf, n}, NULL, NULL, &r,
                                           f->decoded, 16),
                     TK_OK);
    assert_int_equal(r.record_count, 2);
    assert_int_equal(r.property_count, 1);
    assert_int_equal(f->decoded[1].offset, 1);
}

/* Every SUIT error code maps to a report reason; the groups are the
 * ones draft-ietf-suit-report-18 section 4.2 lists. */
static void reasons(void **state)
{
    (void)state;
    assert_int_equal(tk_suit_error_reason(TK_OK), TK_SUIT_REASON_OK);
    assert_int_equal(tk_suit_error_reason(TK_ERR_CBOR_TRUNCATED),
                     TK_SUIT_REASON_CBOR_PARSE);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_SIGNATURE),
                     TK_SUIT_REASON_UNAUTHORISED);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_DIGEST_ALG),
                     TK_SUIT_REASON_ALG_UNSUPPORTED);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_COMMAND_UNSUPPORTED),
                     TK_SUIT_REASON_COMMAND_UNSUPPORTED);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_COMPONENT_INDEX),
                     TK_SUIT_REASON_COMPONENT_UNSUPPORTED);
    assert_int_equal(tk_suit_error_reason(
                         TK_ERR_SUIT_COMPONENT_UNAUTHORIZED),
                     TK_SUIT_REASON_COMPONENT_UNAUTHORISED);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_PARAMETER_UNSUPPORTED),
                     TK_SUIT_REASON_PARAMETER_UNSUPPORTED);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_SEVERED_MISSING),
                     TK_SUIT_REASON_SEVERING_UNSUPPORTED);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_VENDOR_ID),
                     TK_SUIT_REASON_CONDITION_FAILED);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_DECRYPT),
                     TK_SUIT_REASON_OPERATION_FAILED);
    for (int v = 120; v < 180; v++) {
        tk_suit_reason reason = tk_suit_error_reason((tk_err)v);
        assert_true(reason >= TK_SUIT_REASON_CBOR_PARSE &&
                    reason <= TK_SUIT_REASON_OPERATION_FAILED);
    }
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(success_report),  T(failure_report), T(invoke_pending_report),
        T(reference_uri_report), T(signed_report), T(encode_errors),
        T(decode_errors),   T(reasons),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
