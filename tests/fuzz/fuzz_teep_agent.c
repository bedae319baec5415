/*
 * Fuzz target of the TEEP Agent state machine (tk_teep_agent_handle), with
 * manifests processed by the real SUIT processor on the in-memory device.
 *
 * Input: one mode byte, then bytes. Mode bits 0-1: 0 hands the bytes in
 * as they are (a COSE message); 1 and 2 sign them as a COSE_Sign1 payload
 * with the TAM's ESP256 or Ed25519 key, and 3 as a COSE_Sign with both, so
 * that mutated TEEP messages pass verification. Bit 2 starts the agent
 * waiting for an Update from that TAM instead of idle; bit 3 requires TAM
 * attestation; bit 4 sets TK_TEEP_STRICT_ALG_IDS.
 *
 * Checked: a rejected message leaves the agent state and the device
 * unchanged, and every reply verifies with the agent's key and decodes to
 * the type the result names.
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
static hs_agent g_agent;
static uint8_t g_out[HS_BUF];

static const uint8_t g_id_tc[] = {
    0x84, 0x4b, 'T',  'E',  'E',  'P',  '-',  'D',  'e',  'v',  'i',
    'c',  'e',  0x48, 'S',  'e',  'c',  'u',  'r',  'e',  'F',  'S',
    0x50, 0x8d, 0x82, 0x57, 0x3a, 0x92, 0x6d, 0x47, 0x54, 0x93, 0x53,
    0x32, 0xdc, 0x29, 0x99, 0x7f, 0x74, 0x42, 't',  'a'};
static const uint8_t g_payload_tc[] = "Hello, Secure World!";

static void setup(uint8_t mode)
{
    hs_device_free(&g_dev);
    hs_device_init(&g_dev);
    tk_suit_installed rec;
    memset(&rec, 0, sizeof rec);
    rec.sequence_number = 2;
    hs_device_set(&g_dev, hs_view(g_id_tc, sizeof g_id_tc), g_payload_tc,
                  sizeof g_payload_tc - 1, &rec);
    hs_device_add_uri(&g_dev,
                      "https://example.org/"
                      "8d82573a-926d-4754-9353-32dc29997f74.ta",
                      g_payload_tc, sizeof g_payload_tc - 1);
    hs_agent_init(&g_agent, &g_dev);
    if (mode & 4) {
        g_agent.state.phase = 1;
        g_agent.state.alg = TK_ALG_ESP256;
        g_agent.state.deadline = g_agent.now + 3600;
        g_agent.state.tam_kid_len = 3;
        memcpy(g_agent.state.tam_kid, "tam", 3);
    }
    if (mode & 8)
        g_agent.agent.flags |= TK_TEEP_AGENT_REQUIRE_TAM_ATTESTATION;
    if (mode & 16)
        g_agent.agent.flags |= TK_TEEP_STRICT_ALG_IDS;
}

/* Signs payload as the TAM; returns the message length or 0. */
static size_t sign_as_tam(unsigned signing, const uint8_t *payload, size_t len,
                          uint8_t *out, size_t cap)
{
    const hs_keys *k = hs_keys_get();
    tk_teep_signer signers[2] = {
        {TK_ALG_ESP256, &k->tam_p256, hs_str(HS_TAM_P256_KID)},
        {TK_ALG_ED25519, &k->tam_ed25519, hs_str(HS_TAM_ED25519_KID)}};
    const tk_teep_signer *first = signing == 2 ? &signers[1] : &signers[0];
    size_t count = signing == 3 ? 2 : 1;
    static uint8_t scratch[HS_BUF + 256];
    size_t n = 0;
    if (tk_teep_sign(hs_crypto(), first, count, hs_view(payload, len), scratch,
                     sizeof scratch, out, cap, &n) != TK_OK)
        return 0;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > HS_BUF - 512)
        return 0;
    uint8_t mode = data[0];
    size_t len = size - 1;
    static uint8_t signed_msg[HS_BUF];
    const uint8_t *msg = data + 1;
    unsigned signing = mode & 3u;
    if (signing != 0) {
        len = sign_as_tam(signing, data + 1, size - 1, signed_msg,
                          sizeof signed_msg);
        if (len == 0)
            return 0;
        msg = signed_msg;
    }
    uint8_t *in = malloc(len == 0 ? 1 : len);
    if (in == NULL)
        return 0;
    memcpy(in, msg, len);

    setup(mode);
    tk_teep_agent_state before;
    memcpy(&before, &g_agent.state, sizeof before);
    uint8_t fp_before[32];
    hs_device_fingerprint(&g_dev, fp_before);

    tk_teep_agent_result res;
    memset(&res, 0, sizeof res);
    tk_err err =
        tk_teep_agent_handle(&g_agent.agent, &g_agent.state, hs_view(in, len),
                             g_out, sizeof g_out, &res);
    CHECK(res.out_len <= sizeof g_out);
    CHECK(!g_dev.in_procedure);
    if (err != TK_OK) {
        CHECK(memcmp(&before, &g_agent.state, sizeof before) == 0);
        uint8_t fp_after[32];
        hs_device_fingerprint(&g_dev, fp_after);
        CHECK(memcmp(fp_before, fp_after, sizeof fp_before) == 0);
        CHECK(res.installed == 0);
    }
    if (res.out_len > 0) {
        static tk_teep_message reply;
        static uint8_t copy[HS_BUF];
        CHECK(hs_open(hs_view(g_out, res.out_len), &reply, copy, sizeof copy) ==
              TK_OK);
        CHECK(reply.type == res.sent_type);
        if (reply.type == TK_TEEP_ERROR)
            CHECK(reply.err_code == res.err_code);
    } else {
        CHECK(res.sent_type == 0);
    }
    free(in);
    return 0;
}
