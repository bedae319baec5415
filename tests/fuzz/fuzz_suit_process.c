/*
 * Fuzz target of the SUIT processor on the in-memory device of
 * tests/hostile/support: decode, authenticate, rollback checks and every
 * command sequence, then the SUIT report of the run.
 *
 * Input: one mode byte, then an envelope. Mode bit 0 signs the envelope's
 * manifest again (bits 1-2 choose ESP256, ES256, Ed25519 or EdDSA) so that
 * mutated manifests run; bits 3-5 choose the operation (update, boot,
 * update and boot, stage, install, uninstall); bit 6 accepts unknown
 * members; bit 7 records every command.
 *
 * The device starts every run with two installed components and serves
 * two URIs. Checked: a procedure that fails leaves every committed image
 * and rollback record unchanged, every begin() is matched by an end(), the
 * error offset lies inside the input, and the report of a run with an
 * authenticated manifest decodes again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static hs_device g_dev;
static tk_suit_processor g_proc;
static tk_suit_record g_records[32];
static uint8_t g_work[64 * 1024];

/* [h'00'] and the Trusted Component of the published TEEP examples. */
static const uint8_t g_id0[] = {0x81, 0x41, 0x00};
static const uint8_t g_id_tc[] = {
    0x84, 0x4b, 'T',  'E',  'E',  'P',  '-',  'D',  'e',  'v',  'i',
    'c',  'e',  0x48, 'S',  'e',  'c',  'u',  'r',  'e',  'F',  'S',
    0x50, 0x8d, 0x82, 0x57, 0x3a, 0x92, 0x6d, 0x47, 0x54, 0x93, 0x53,
    0x32, 0xdc, 0x29, 0x99, 0x7f, 0x74, 0x42, 't',  'a'};
static const uint8_t g_image0[] = "an image installed before the run";
static const uint8_t g_payload[] = "This is a test image";
static const uint8_t g_payload_tc[] = "Hello, Secure World!";

static const tk_alg g_algs[4] = {TK_ALG_ESP256, TK_ALG_ES256, TK_ALG_ED25519,
                                 TK_ALG_EDDSA};

static void device_reset(void)
{
    hs_device_free(&g_dev);
    hs_device_init(&g_dev);
    tk_suit_installed rec;
    memset(&rec, 0, sizeof rec);
    rec.sequence_number = 1;
    hs_device_set(&g_dev, hs_view(g_id0, sizeof g_id0), g_image0,
                  sizeof g_image0 - 1, &rec);
    rec.sequence_number = 2;
    hs_device_set(&g_dev, hs_view(g_id_tc, sizeof g_id_tc), g_payload_tc,
                  sizeof g_payload_tc - 1, &rec);
    hs_device_add_uri(&g_dev, "http://example.com/file.bin", g_payload,
                      sizeof g_payload - 1);
    hs_device_add_uri(&g_dev,
                      "https://example.org/"
                      "8d82573a-926d-4754-9353-32dc29997f74.ta",
                      g_payload_tc, sizeof g_payload_tc - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    size_t len = size - 1;
    uint8_t *buf = malloc(len == 0 ? 1 : len);
    if (buf == NULL)
        return 0;
    memcpy(buf, data + 1, len);

    if (mode & 1) {
        const hs_keys *k = hs_keys_get();
        unsigned signer_index = (mode >> 1) & 3u;
        const tk_key *key = signer_index < 2 ? &k->suit_p256 : &k->suit_ed25519;
        size_t cap = len + 1024;
        uint8_t *signed_env = malloc(cap);
        size_t n = 0;
        if (signed_env != NULL &&
            hs_suit_resign(hs_view(buf, len), key, g_algs[signer_index],
                           signed_env, cap, &n) == TK_OK) {
            uint8_t *exact = malloc(n);
            if (exact != NULL) {
                memcpy(exact, signed_env, n);
                free(buf);
                buf = exact;
                len = n;
            }
        }
        free(signed_env);
    }

    device_reset();
    uint8_t before[32];
    hs_device_fingerprint(&g_dev, before);

    tk_suit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.crypto = hs_crypto();
    cfg.platform = &g_dev.pf;
    cfg.records = g_records;
    cfg.record_cap = sizeof g_records / sizeof g_records[0];
    cfg.work = g_work;
    cfg.work_len = sizeof g_work;
    if (mode & 0x40)
        cfg.flags |= TK_SUIT_FLAG_ALLOW_UNKNOWN_MEMBERS;
    if (mode & 0x80)
        cfg.flags |= TK_SUIT_FLAG_RECORD_ALL;
    CHECK(tk_suit_processor_init(&g_proc, &cfg) == TK_OK);

    tk_suit_operation op = (tk_suit_operation)(1 + ((mode >> 3) & 7u) % 6u);
    tk_err err = tk_suit_process(&g_proc, hs_view(buf, len), op);
    const tk_suit_error *e = tk_suit_processor_error(&g_proc);
    CHECK(e->code == err);
    CHECK(!g_dev.in_procedure);
    CHECK(tk_suit_processor_record_count(&g_proc) <= cfg.record_cap);
    /* Update-and-boot commits the update before booting, so only its
     * failed update phase must leave the device unchanged. */
    if (err != TK_OK &&
        (op != TK_SUIT_OP_UPDATE_AND_BOOT || g_dev.commits == 0)) {
        uint8_t after[32];
        hs_device_fingerprint(&g_dev, after);
        CHECK(memcmp(before, after, sizeof before) == 0);
        CHECK(g_dev.commits == 0);
    }
    if (e->manifest_depth == 0)
        CHECK(e->offset <= len);

    uint8_t report[4096];
    size_t report_len = 0;
    static const uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    tk_err rerr =
        tk_suit_report_encode(&g_proc, hs_view(nonce, sizeof nonce), false,
                              report, sizeof report, &report_len);
    if (rerr == TK_OK) {
        tk_suit_report back;
        tk_suit_record back_records[32];
        tk_err derr = tk_suit_report_decode(hs_view(report, report_len), NULL,
                                            NULL, &back, back_records, 32);
        CHECK(derr == TK_OK);
        CHECK(back.success == (err == TK_OK));
        CHECK(back.nonce.len == sizeof nonce);
    }
    free(buf);
    return 0;
}
