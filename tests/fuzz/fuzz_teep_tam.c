/*
 * Fuzz target of the TAM state machine (tk_teep_tam_handle) with the real
 * evidence appraisal.
 *
 * Input: one mode byte, then bytes. Mode bits 0-1: 0 hands the bytes in
 * as they are; 1 and 2 sign them as a COSE_Sign1 payload with the agent's
 * ESP256 or Ed25519 key, and 3 as a COSE_Sign with both. Bits 2-3 choose
 * the sessions: 0 a session table holding the QueryRequest that
 * tk_teep_tam_start() just sent, 1 any token found as an outstanding
 * QueryRequest, 2 any token found as an outstanding Update, 3 no session.
 * Bit 4 requeries on attestation failure, bit 5 accepts warnings, bit 6
 * binds the any-token session to the device.
 *
 * Checked: a rejected message produces nothing to send; a message that
 * fails before its signature verified consumes no session; every message
 * the TAM sends verifies with its key and has the type the outcome names.
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

static hs_tam g_tam;
static uint8_t g_out[HS_BUF];
static uint8_t g_envelope[2048];
static size_t g_envelope_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The manifest the policy sends: a small signed envelope. */
    static const uint8_t manifest[] = {0xa3, 0x01, 0x01, 0x02, 0x05, 0x03,
                                       0x45, 0xa1, 0x02, 0x81, 0x81, 0x40};
    if (hs_suit_envelope(hs_view(manifest, sizeof manifest), hs_view(NULL, 0),
                         0, &hs_keys_get()->suit_p256, TK_ALG_ESP256,
                         g_envelope, sizeof g_envelope,
                         &g_envelope_len) != TK_OK)
        abort();
    return 0;
}

static size_t sign_as_agent(unsigned signing, const uint8_t *payload,
                            size_t len, uint8_t *out, size_t cap)
{
    const hs_keys *k = hs_keys_get();
    tk_teep_signer signers[2] = {
        {TK_ALG_ESP256, &k->agent_p256,
         hs_view(k->agent_kid, sizeof k->agent_kid)},
        {TK_ALG_ED25519, &k->agent_ed25519,
         hs_view(k->agent_ed_kid, sizeof k->agent_ed_kid)}};
    const tk_teep_signer *first = signing == 2 ? &signers[1] : &signers[0];
    size_t count = signing == 3 ? 2 : 1;
    static uint8_t scratch[HS_BUF + 256];
    size_t n = 0;
    if (tk_teep_sign(hs_crypto(), first, count, hs_view(payload, len), scratch,
                     sizeof scratch, out, cap, &n) != TK_OK)
        return 0;
    return n;
}

static bool before_signature(tk_err err)
{
    return err == TK_ERR_TEEP_NOT_COSE || err == TK_ERR_TEEP_UNKNOWN_KEY ||
           err == TK_ERR_TEEP_SIGNATURE || ((int)err >= 80 && (int)err < 120);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > HS_BUF - 512)
        return 0;
    uint8_t mode = data[0];
    static uint8_t signed_msg[HS_BUF];
    const uint8_t *msg = data + 1;
    size_t len = size - 1;
    unsigned signing = mode & 3u;
    if (signing != 0) {
        len = sign_as_agent(signing, data + 1, size - 1, signed_msg,
                            sizeof signed_msg);
        if (len == 0)
            return 0;
        msg = signed_msg;
    }
    uint8_t *in = malloc(len == 0 ? 1 : len);
    if (in == NULL)
        return 0;
    memcpy(in, msg, len);

    hs_tam_init(&g_tam);
    g_tam.policy_count = 1;
    g_tam.policy_manifests[0] = hs_view(g_envelope, g_envelope_len);
    if (mode & 16)
        g_tam.tam.flags |= TK_TEEP_TAM_REQUERY_ON_ATTESTATION_FAILURE;
    if (mode & 32)
        g_tam.tam.flags |= TK_TEEP_TAM_ACCEPT_WARNING;
    unsigned sessions = (mode >> 2) & 3u;
    tk_teep_tam_result res;
    if (sessions == 0) {
        memset(&res, 0, sizeof res);
        CHECK(tk_teep_tam_start(&g_tam.tam, hs_view(NULL, 0), TK_ALG_NONE,
                                g_out, sizeof g_out, &res) == TK_OK);
    } else if (sessions != 3) {
        tk_teep_tam_session *s = &g_tam.any_session;
        memset(s, 0, sizeof *s);
        s->challenge_len = 32;
        memset(s->challenge, 0xc5, 32);
        s->data_items =
            TK_TEEP_ITEM_ATTESTATION | TK_TEEP_ITEM_TRUSTED_COMPONENTS;
        s->freshness = 1u << TK_TEEP_FRESHNESS_NONCE;
        s->alg = TK_ALG_ESP256;
        s->created = g_tam.now - 10;
        s->expires = g_tam.now + 3600;
        if (mode & 64) {
            s->device_id_len = strlen(HS_DEVICE_ID);
            memcpy(s->device_id, HS_DEVICE_ID, s->device_id_len);
        }
        g_tam.any_token_kind =
            sessions == 1 ? TK_TEEP_QUERY_REQUEST : TK_TEEP_UPDATE;
    }
    unsigned long takes_before = g_tam.takes;

    memset(&res, 0, sizeof res);
    tk_err err = tk_teep_tam_handle(&g_tam.tam, hs_view(in, len), g_out,
                                    sizeof g_out, &res);
    CHECK(res.out_len <= sizeof g_out);
    if (err != TK_OK) {
        CHECK(res.outcome == TK_TEEP_TAM_REJECTED);
        CHECK(res.out_len == 0);
        if (before_signature(err))
            CHECK(g_tam.takes == takes_before);
    }
    if (res.outcome == TK_TEEP_TAM_SEND_QUERY ||
        res.outcome == TK_TEEP_TAM_SEND_UPDATE) {
        CHECK(res.out_len > 0);
        static tk_teep_message reply;
        static uint8_t copy[HS_BUF];
        CHECK(hs_open(hs_view(g_out, res.out_len), &reply, copy, sizeof copy) ==
              TK_OK);
        CHECK(reply.type == (res.outcome == TK_TEEP_TAM_SEND_QUERY
                                 ? TK_TEEP_QUERY_REQUEST
                                 : TK_TEEP_UPDATE));
    } else {
        CHECK(res.out_len == 0);
    }
    free(in);
    return 0;
}
