/*
 * Fault injection: every platform callback and every crypto call of a
 * procedure is made to fail in turn. Each run must fail closed (an error,
 * no invoke after a failed check) and leave every committed component and
 * rollback record unchanged.
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
#include "tk_crypto_fault.h"
#include "teepkit/suit.h"

static const uint8_t aaaa[32] = {
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};

/* One procedure to break. */
typedef struct scenario {
    const char *name;
    const char *envelope;   /* vector file */
    tk_suit_operation op;
    const char *uri[2];     /* URIs to serve */
    const char *payload[2]; /* vector files served for them */
    bool hex_payload[2];
    bool teep_ids;
    bool map;
} scenario;

static const scenario scenarios[] = {
    {"download and install", "suit/manifest/example1.hex",
     TK_SUIT_OP_UPDATE_AND_BOOT,
     {"http://example.com/file.bin", NULL},
     {"suit/teep/8d82573a-926d-4754-9353-32dc29997f74.ta", NULL},
     {false, false}, false, false},
    {"AES-KW fetch and decrypting copy",
     "suit/encryption/suit-manifest-aes-kw.hex.signed", TK_SUIT_OP_UPDATE,
     {"coaps://example.com/encrypted-firmware", NULL},
     {"suit/encryption/encrypted-payload-aes-kw-aes-gcm.hex", NULL},
     {true, false}, false, false},
    {"fetched dependency", "suit/trust-domains/example1_process.hex",
     TK_SUIT_OP_UPDATE_AND_BOOT,
     {"http://example.com/dependent.suit", NULL},
     {"suit/trust-domains/example0_dependent.hex", NULL},
     {true, false}, false, false},
    {"personalization with dependency and ECDH content",
     "suit/teep/suit_personalization.hex.txt", TK_SUIT_OP_UPDATE,
     {"https://example.org/8d82573a-926d-4754-9353-32dc29997f74.suit",
      "https://example.org/8d82573a-926d-4754-9353-32dc29997f74.ta"},
     {"suit/teep/suit_uri.hex.txt",
      "suit/teep/8d82573a-926d-4754-9353-32dc29997f74.ta"},
     {true, false}, true, true},
};

static const uint8_t teep_vendor[16] = {
    0xc0, 0xdd, 0xd5, 0xf1, 0x52, 0x43, 0x56, 0x60,
    0x87, 0xdb, 0x4f, 0x5b, 0x0a, 0xa2, 0x6c, 0x2f};
static const uint8_t teep_class[16] = {
    0xdb, 0x42, 0xf7, 0x09, 0x3d, 0x8c, 0x55, 0xba,
    0xa8, 0xc5, 0x26, 0x5f, 0xc5, 0x82, 0x0f, 0x4e};

typedef struct world {
    tp_platform tp;
    tk_crypto_fault fault;
    tk_suit_processor proc;
    tk_suit_record records[64];
    uint8_t work[4096];
    tk_key mac_key;
    tk_key kek;
    tk_key receiver;
    uint8_t *envelope;
    size_t envelope_len;
    uint8_t *payload[2];
    size_t payload_len[2];
    uint8_t fingerprint[32];
} world;

/* Builds the platform of scenario s, with an older image installed so
 * that an unchanged state is not an empty one. */
static void world_setup(world *w, const scenario *s)
{
    uint8_t id[3];
    tk_suit_config cfg;
    tp_init(&w->tp);
    tp_add_key(&w->tp, TK_SUIT_KEY_MANIFEST, TK_ALG_ES256, NULL, -1,
               tu_example_public());
    tp_add_key(&w->tp, TK_SUIT_KEY_MANIFEST, TK_ALG_ESP256, NULL, -1,
               tu_example_public());
    tp_add_key(&w->tp, TK_SUIT_KEY_MANIFEST, TK_ALG_HMAC_256_256, NULL, -1,
               &w->mac_key);
    tp_add_key(&w->tp, TK_SUIT_KEY_DECRYPTION, TK_ALG_A128KW, NULL, -1,
               &w->kek);
    tp_add_key(&w->tp, TK_SUIT_KEY_DECRYPTION, -29, NULL, -1, &w->receiver);
    if (s->teep_ids) {
        memcpy(w->tp.vendor, teep_vendor, 16);
        memcpy(w->tp.class_id, teep_class, 16);
    }
    w->tp.use_map = s->map;
    for (size_t i = 0; i < 2; i++)
        if (s->uri[i] != NULL)
            tp_add_uri(&w->tp, s->uri[i], w->payload[i], w->payload_len[i]);
    tp_set_image(&w->tp, tp_id_byte(id, 0x00), (const uint8_t *)"old", 3);
    tp_set_record(&w->tp, tp_id_byte(id, 0x00), 0, NULL, 0);
    /* Example 1 checks a placeholder digest: report it for the payload. */
    static const uint8_t digest_p[32] = {
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
        0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
        0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    if (w->payload[0] != NULL)
        tp_add_alias(&w->tp, (tk_view){NULL, 0}, w->payload[0],
                     w->payload_len[0], digest_p);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = &w->fault.table;
    cfg.platform = &w->tp.pf;
    cfg.records = w->records;
    cfg.record_cap = 64;
    cfg.work = w->work;
    cfg.work_len = sizeof(w->work);
    assert_int_equal(tk_suit_processor_init(&w->proc, &cfg), TK_OK);
    tp_fingerprint(&w->tp, w->fingerprint);
}

static void world_load(world *w, const scenario *s)
{
    memset(w, 0, sizeof(*w));
    tk_key_init(&w->mac_key);
    tk_key_init(&w->kek);
    assert_int_equal(tk_key_init_symmetric(&w->mac_key, (tk_view){aaaa, 32}),
                     TK_OK);
    assert_int_equal(tk_key_init_symmetric(&w->kek, (tk_view){aaaa, 16}),
                     TK_OK);
    tu_key("suit/encryption/receiver-private-key-kid-2.cose.hex",
           &w->receiver);
    tk_crypto_fault_init(&w->fault, tu_crypto());
    w->envelope = tu_vector(s->envelope, &w->envelope_len);
    for (size_t i = 0; i < 2; i++) {
        if (s->payload[i] == NULL)
            continue;
        w->payload[i] = s->hex_payload[i]
                            ? tu_vector(s->payload[i], &w->payload_len[i])
                            : tu_file(s->payload[i], &w->payload_len[i]);
    }
}

static void world_free(world *w)
{
    tp_free(&w->tp);
    tk_key_release(&w->mac_key);
    tk_key_release(&w->kek);
    tk_key_release(&w->receiver);
    free(w->envelope);
    free(w->payload[0]);
    free(w->payload[1]);
}

static tk_err world_run(world *w, const scenario *s)
{
    return tk_suit_process(&w->proc, (tk_view){w->envelope, w->envelope_len},
                           s->op);
}

/* Asserts the run failed and left the committed state as it was. */
static void assert_failed_closed(world *w, tk_err e, const char *what,
                                 const scenario *s, unsigned long n)
{
    uint8_t after[32];
    if (e == TK_OK)
        fail_msg("%s: %s call %lu failed but the run succeeded", s->name,
                 what, n);
    tp_fingerprint(&w->tp, after);
    if (memcmp(after, w->fingerprint, 32) != 0)
        fail_msg("%s: %s call %lu failed and changed the components",
                 s->name, what, n);
    if (w->tp.begins > 0 && w->tp.commits > 0 &&
        s->op != TK_SUIT_OP_UPDATE_AND_BOOT)
        fail_msg("%s: %s call %lu failed but a procedure committed", s->name,
                 what, n);
}

/* Makes every platform callback fail in turn. */
static void platform_faults(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        const scenario *s = &scenarios[i];
        world *w = calloc(1, sizeof(*w));
        assert_non_null(w);
        world_load(w, s);
        world_setup(w, s);
        assert_int_equal(world_run(w, s), TK_OK);
        unsigned long calls = w->tp.calls;
        print_message("%s: %lu platform calls\n", s->name, calls);
        assert_true(calls > 5);
        for (unsigned long n = 1; n <= calls; n++) {
            tp_free(&w->tp);
            world_setup(w, s);
            w->tp.fail_at = n;
            tk_err e = world_run(w, s);
            /* The two-procedure scenarios may commit the update and then
             * fail the boot: only the update's state is kept then. */
            if (s->op == TK_SUIT_OP_UPDATE_AND_BOOT && w->tp.commits == 1) {
                assert_int_not_equal(e, TK_OK);
                continue;
            }
            assert_failed_closed(w, e, "platform", s, n);
        }
        world_free(w);
        free(w);
    }
}

/* Makes every crypto call fail in turn. */
static void crypto_faults(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        const scenario *s = &scenarios[i];
        world *w = calloc(1, sizeof(*w));
        assert_non_null(w);
        world_load(w, s);
        world_setup(w, s);
        tk_crypto_fault_arm(&w->fault, 0, TK_ERR_CRYPTO_FAULT_INJECTED);
        assert_int_equal(world_run(w, s), TK_OK);
        unsigned long calls = w->fault.calls;
        print_message("%s: %lu crypto calls\n", s->name, calls);
        assert_true(calls >= 2); /* at least a digest and a verify */
        for (unsigned long n = 1; n <= calls; n++) {
            tp_free(&w->tp);
            world_setup(w, s);
            tk_crypto_fault_arm(&w->fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
            tk_err e = world_run(w, s);
            assert_int_equal(w->fault.failures, 1);
            if (s->op == TK_SUIT_OP_UPDATE_AND_BOOT && w->tp.commits == 1) {
                assert_int_not_equal(e, TK_OK);
                continue;
            }
            assert_failed_closed(w, e, "crypto", s, n);
        }
        world_free(w);
        free(w);
    }
}

/* A verification whose signature check reports "invalid" through the
 * crypto layer is a signature failure, never an accepted manifest. */
static void crypto_says_invalid(void **state)
{
    (void)state;
    const scenario *s = &scenarios[0];
    world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    world_load(w, s);
    world_setup(w, s);
    /* Call 1 hashes the manifest; call 2 verifies the signature. */
    tk_crypto_fault_arm(&w->fault, 2, TK_ERR_CRYPTO_SIGNATURE_INVALID);
    assert_int_equal(world_run(w, s), TK_ERR_SUIT_SIGNATURE);
    assert_int_equal(w->tp.begins, 0);
    world_free(w);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(platform_faults),
        cmocka_unit_test(crypto_faults),
        cmocka_unit_test(crypto_says_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
