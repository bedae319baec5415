/*
 * Differential fuzz target of the lite SUIT processor (lib/suit/lite)
 * against the full one, on the in-memory device of tests/hostile/support.
 *
 * Input: the format of fuzz_suit_process.c: one mode byte, then an
 * envelope. Mode bit 0 signs the envelope's manifest again (bits 1-2
 * choose ESP256, ES256, Ed25519 or EdDSA) so that mutated manifests run;
 * bits 3-5 choose the operation (update, boot, update and boot, stage,
 * install, uninstall); bit 6 gives the device the vendor and class
 * identifiers of the SUIT manifest examples instead of those of the TEEP
 * examples.
 *
 * Each processor starts from the same device: two installed components
 * and two URIs. Checked: the lite processor's error context holds its
 * result with an offset inside the input; when it fails, the device is
 * unchanged (after a committed update, for update and boot; an invoke
 * that ran before the failure, as in the full processor, changes no
 * image); when it succeeds, the full processor succeeds too and
 * leaves the same images, rollback records and number of invocations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"
#include "teepkit/suit_lite.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static hs_device g_dev;
static tk_suit_processor g_proc;
static tk_suit_lite g_lite;

/* Vendor and class identifiers of draft-ietf-suit-manifest-37 appendix B. */
static const uint8_t g_vendor[16] = {0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad,
                                     0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63,
                                     0xe4, 0xd4, 0x1f, 0xfe};
static const uint8_t g_class[16] = {0x14, 0x92, 0xaf, 0x14, 0x25, 0x69,
                                    0x5e, 0x48, 0xbf, 0x42, 0x9b, 0x2d,
                                    0x51, 0xf2, 0xab, 0x45};

/* Resets the device; mode bit 6 gives it the identifiers of the SUIT
 * manifest examples. */
static void device_reset(uint8_t mode)
{
    hs_device_reset_fuzz(&g_dev);
    if (mode & 0x40) {
        memcpy(g_dev.vendor_id, g_vendor, sizeof g_vendor);
        memcpy(g_dev.class_id, g_class, sizeof g_class);
    }
}

/* The lite fetch callback: serves the device's URIs in 7-byte chunks. */
static tk_err lite_fetch(void *ctx, const tk_suit_fetch_request *req,
                         tk_suit_lite_sink *sink)
{
    hs_device *dev = ctx;
    for (size_t i = 0; i < dev->nuris; i++) {
        const hs_uri *u = &dev->uris[i];
        if (strlen(u->uri) != req->uri.len ||
            memcmp(u->uri, req->uri.ptr, req->uri.len) != 0)
            continue;
        for (size_t off = 0; off < u->len; off += 7) {
            size_t n = u->len - off < 7 ? u->len - off : 7;
            tk_err e = tk_suit_lite_sink_write(sink, u->data + off, n);
            if (e != TK_OK)
                return e;
        }
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

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
    tk_suit_operation op = (tk_suit_operation)(1 + ((mode >> 3) & 7u) % 6u);
    tk_view input = hs_view(buf, len);

    /* The lite processor. */
    uint8_t before[32];
    uint8_t lite_after[32];
    device_reset(mode);
    hs_device_fingerprint(&g_dev, before);
    tk_suit_lite_config lcfg;
    memset(&lcfg, 0, sizeof lcfg);
    lcfg.crypto = hs_crypto();
    lcfg.platform = &g_dev.pf;
    lcfg.fetch = lite_fetch;
    lcfg.fetch_ctx = &g_dev;
    CHECK(tk_suit_lite_init(&g_lite, &lcfg) == TK_OK);
    tk_err lite = tk_suit_lite_process(&g_lite, input, op);
    const tk_suit_lite_error *le = tk_suit_lite_error_of(&g_lite);
    CHECK(le->code == lite);
    CHECK(le->offset <= len);
    CHECK(!g_dev.in_procedure);
    hs_device_fingerprint(&g_dev, lite_after);
    unsigned long lite_invokes = g_dev.invokes;
    if (lite != TK_OK && g_dev.commits == 0)
        CHECK(memcmp(before, lite_after, sizeof before) == 0);

    /* The full processor on the same device. */
    uint8_t full_after[32];
    device_reset(mode);
    tk_suit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.crypto = hs_crypto();
    cfg.platform = &g_dev.pf;
    CHECK(tk_suit_processor_init(&g_proc, &cfg) == TK_OK);
    tk_err full = tk_suit_process(&g_proc, input, op);
    hs_device_fingerprint(&g_dev, full_after);
    if (lite == TK_OK) {
        CHECK(full == TK_OK);
        CHECK(memcmp(lite_after, full_after, sizeof lite_after) == 0);
        CHECK(lite_invokes == g_dev.invokes);
    }
    free(buf);
    return 0;
}
