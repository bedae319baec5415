/*
 * Fuzz target of the SUIT envelope decoder, the authentication check, the
 * manifest decoder and the SUIT report decoder.
 *
 * Input: one mode byte, then the bytes. Mode bit 4 selects the report
 * decoder (plain, or a COSE_Sign1 verified with the fixed SUIT signer key).
 * Otherwise the bytes are an envelope. With mode bit 0 set and an input
 * that is a map with a byte-string manifest (member 3), the target first
 * signs that manifest again (bits 1-2 choose ESP256, ES256, Ed25519 or
 * EdDSA), so that mutated manifests pass authentication and reach the
 * manifest decoder. Bit 3 accepts unknown manifest members.
 *
 * Checked: every view of the decoded envelope and manifest lies inside the
 * input, error offsets too, and a manifest decodes only after its envelope
 * verified.
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

static const uint8_t *g_buf;
static size_t g_len;

static void check_view(tk_view v)
{
    if (v.len == 0)
        return;
    CHECK(v.ptr >= g_buf && v.ptr + v.len <= g_buf + g_len);
}

static hs_device g_dev;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hs_device_init(&g_dev);
    return 0;
}

static void fuzz_report(const uint8_t *buf, size_t len)
{
    tk_suit_report report;
    tk_suit_record records[8];
    memset(&report, 0, sizeof report);
    tk_err err =
        tk_suit_report_decode(hs_view(buf, len), hs_crypto(),
                              &hs_keys_get()->suit_p256, &report, records, 8);
    if (err == TK_OK) {
        check_view(report.reference_uri);
        check_view(report.manifest_digest.bytes);
        check_view(report.nonce);
        CHECK(report.record_count <= 8);
    }
}

static void fuzz_envelope(const uint8_t *buf, size_t len, uint32_t flags)
{
    tk_suit_envelope env;
    tk_suit_error e;
    memset(&e, 0, sizeof e);
    tk_err err = tk_suit_envelope_decode(hs_view(buf, len), &env, &e);
    CHECK(e.offset <= len);
    if (err != TK_OK)
        return;
    CHECK(!env.verified);
    check_view(env.raw);
    check_view(env.authentication);
    check_view(env.manifest);
    check_view(env.manifest_wrapped);
    check_view(env.delegation);
    CHECK(env.integrated_count <= TK_SUIT_MAX_INTEGRATED);
    for (size_t i = 0; i < env.integrated_count; i++) {
        check_view(env.integrated[i].key);
        check_view(env.integrated[i].bytes);
    }

    tk_suit_manifest m;
    /* A manifest of an envelope that did not verify is never decoded. */
    CHECK(tk_suit_manifest_decode(&env, hs_crypto(), flags, &m, NULL) ==
          TK_ERR_SUIT_NOT_VERIFIED);

    err = tk_suit_envelope_verify(&env, hs_crypto(), g_dev.pf.find_key,
                                  g_dev.pf.ctx, 0, hs_view(NULL, 0), &e);
    CHECK(e.offset <= len);
    if (err != TK_OK) {
        CHECK(!env.verified);
        return;
    }
    CHECK(env.verified);
    err = tk_suit_manifest_decode(&env, hs_crypto(), flags, &m, &e);
    if (err != TK_OK)
        return;
    CHECK(m.version == 1);
    CHECK(m.component_count <= TK_SUIT_MAX_COMPONENTS);
    CHECK(m.dependency_count <= TK_SUIT_MAX_DEPENDENCIES);
    check_view(m.common);
    check_view(m.reference_uri);
    check_view(m.shared_sequence);
    for (size_t i = 0; i < m.component_count; i++) {
        check_view(m.components[i]);
        tk_view part;
        for (size_t p = 0; p < 3; p++)
            if (tk_suit_component_id_part(m.components[i], p, &part) == TK_OK)
                check_view(part);
    }
    for (size_t i = 0; i < TK_SUIT_SECTION_COUNT; i++)
        check_view(m.sequence[i].bytes);
    tk_view value;
    if (tk_suit_text_get(&m, hs_view(NULL, 0), hs_view(NULL, 0), 1, &value) ==
        TK_OK)
        check_view(value);
    if (m.component_count > 0 &&
        tk_suit_text_get(&m, hs_str("en"), m.components[0], 1, &value) == TK_OK)
        check_view(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    /* Only envelopes are signed again, never reports. */
    int signer = (mode & 0x11) == 1 ? (mode >> 1) & 3 : -1;
    size_t len;
    uint8_t *buf = hs_fuzz_envelope(data + 1, size - 1, signer, &len);
    if (buf == NULL)
        return 0;

    if (mode & 0x10) {
        g_buf = buf;
        g_len = len;
        fuzz_report(buf, len);
        free(buf);
        return 0;
    }
    g_buf = buf;
    g_len = len;
    uint32_t flags = (mode & 8) ? TK_SUIT_FLAG_ALLOW_UNKNOWN_MEMBERS : 0;
    fuzz_envelope(buf, len, flags);
    free(buf);
    return 0;
}
