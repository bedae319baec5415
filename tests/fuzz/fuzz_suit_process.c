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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    size_t len;
    uint8_t *buf =
        hs_fuzz_envelope(data + 1, size - 1, (mode & 1) ? (mode >> 1) & 3 : -1,
                         &len);
    if (buf == NULL)
        return 0;

    hs_device_reset_fuzz(&g_dev);
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
