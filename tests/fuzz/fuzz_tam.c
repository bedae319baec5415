/*
 * Fuzz target of the TAM request path: tk_tam_handle() of apps/tam
 * in-process, as the HTTP and CoAP servers call it, over a real SQLite
 * store that contains one device and one Trusted Component.
 *
 * Input: one mode byte, then bytes. Mode bits 0-1:
 *   0  the bytes are the request body as they are;
 *   1  they are signed as a COSE_Sign1 payload with the device's ESP256
 *      agent key, and 2 with its Ed25519 agent key;
 *   3  an empty POST starts a session first, then the bytes, when they
 *      decode as a TEEP message, get that session's token (and with mode
 *      bit 2 valid evidence for its challenge) before they are signed with
 *      the ESP256 key, so that mutated messages reach the session logic.
 *
 * Checked: every status is one that docs/tam.md lists and never 500 (a
 * message from an agent is never a TAM failure); a 200 reply verifies with
 * the TAM's keys and is a QueryRequest or an Update; a rejected message
 * that did not carry a live token changes no session or token.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_service.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static hs_service g_svc;
static uint8_t g_reply[HS_BUF];
static uint8_t g_msg[HS_BUF];

static void cleanup(void)
{
    hs_service_close(&g_svc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hs_service_open(&g_svc, NULL);
    atexit(cleanup);
    return 0;
}

static size_t sign_as_agent(bool ed25519, const uint8_t *payload, size_t len,
                            uint8_t *out, size_t cap)
{
    const hs_keys *k = hs_keys_get();
    tk_teep_signer signer =
        ed25519 ? (tk_teep_signer){TK_ALG_ED25519, &k->agent_ed25519,
                                   hs_view(k->agent_ed_kid, 32)}
                : (tk_teep_signer){TK_ALG_ESP256, &k->agent_p256,
                                   hs_view(k->agent_kid, 32)};
    static uint8_t scratch[HS_BUF + 256];
    size_t n = 0;
    if (tk_teep_sign(hs_crypto(), &signer, 1, hs_view(payload, len), scratch,
                     sizeof scratch, out, cap, &n) != TK_OK)
        return 0;
    return n;
}

/*
 * Starts a session and rewrites payload into a message of that session:
 * its token and, with evidence set, valid evidence for its challenge.
 * Returns the signed message length, or 0 when nothing could be built.
 */
static size_t in_session(const uint8_t *payload, size_t len, bool evidence,
                         uint8_t *out, size_t cap)
{
    size_t reply_len = 0;
    unsigned status =
        hs_service_post(&g_svc, NULL, 0, g_reply, sizeof g_reply, &reply_len);
    CHECK(status == 200);
    static tk_teep_message query;
    static uint8_t query_copy[HS_BUF];
    CHECK(hs_service_open_reply(&g_svc, hs_view(g_reply, reply_len), &query,
                                query_copy, sizeof query_copy) == TK_OK);
    CHECK(query.type == TK_TEEP_QUERY_REQUEST);

    static tk_teep_message m;
    static uint8_t copy[HS_BUF];
    if (len > sizeof copy)
        return 0;
    memcpy(copy, payload, len);
    if (tk_teep_decode(copy, len, &m, NULL) != TK_OK)
        return sign_as_agent(false, payload, len, out, cap);
    m.token = query.token;
    TK_TEEP_SET(&m, TK_TEEP_LABEL_TOKEN);
    static uint8_t ev[4096];
    if (evidence && m.type == TK_TEEP_QUERY_RESPONSE) {
        const hs_keys *k = hs_keys_get();
        tk_eat_claims claims;
        hs_eat_claims(&claims, hs_view(NULL, 0), g_svc.now);
        claims.present &= ~(uint32_t)(TK_EAT_HAS_CNF | TK_EAT_HAS_IAT);
        tk_eat_signer attester = {TK_ALG_ESP256, &k->attester,
                                  hs_str(HS_ATTESTER_KID)};
        tk_teep_signer agent = {TK_ALG_ESP256, &k->agent_p256,
                                hs_view(k->agent_kid, 32)};
        tk_teep_evidence_request req = {query.challenge,
                                        TK_TEEP_FRESHNESS_NONCE, &agent};
        static uint8_t scratch[8192];
        size_t ev_len = 0;
        if (tk_teep_agent_evidence(hs_crypto(), &attester, &claims, &req,
                                   g_svc.now, scratch, sizeof scratch, ev,
                                   sizeof ev, &ev_len) == TK_OK) {
            m.attestation_payload = hs_view(ev, ev_len);
            TK_TEEP_SET(&m, TK_TEEP_LABEL_ATTESTATION_PAYLOAD);
            m.present &= ~(1u << TK_TEEP_LABEL_ATTESTATION_FORMAT);
        }
    }
    static uint8_t encoded[HS_BUF];
    size_t n = 0;
    if (tk_teep_encode(&m, encoded, sizeof encoded, &n) != TK_OK)
        return 0;
    return sign_as_agent(false, encoded, n, out, cap);
}

/* Returns true when the TEEP message in payload carries a token that the
 * store contains unconsumed. The fuzzer can learn such a token from the
 * comparisons of the store's lookups, and a validly signed message
 * consumes its token even when it is dropped (docs/tam.md). */
static bool carries_live_token(const uint8_t *payload, size_t len)
{
    static tk_teep_message m;
    static uint8_t copy[HS_BUF];
    if (len > sizeof copy)
        return false;
    memcpy(copy, payload, len);
    if (tk_teep_decode(copy, len, &m, NULL) != TK_OK || m.token.len == 0 ||
        m.token.len > 64)
        return false;
    char sql[256];
    int n = snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM tokens WHERE NOT consumed AND "
                     "value = x'");
    for (size_t i = 0; i < m.token.len; i++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, "%02x",
                      m.token.ptr[i]);
    snprintf(sql + n, sizeof sql - (size_t)n, "'");
    return hs_service_count(&g_svc, sql) > 0;
}

static bool status_known(unsigned status)
{
    return status == 200 || status == 204 || status == 400 || status == 403 ||
           status == 409 || status == 503;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > HS_BUF - 1024)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *payload = data + 1;
    size_t len = size - 1;
    unsigned signing = mode & 3u;
    const uint8_t *body = payload;
    if (signing == 1 || signing == 2) {
        len = sign_as_agent(signing == 2, payload, len, g_msg, sizeof g_msg);
        if (len == 0)
            return 0;
        body = g_msg;
    } else if (signing == 3) {
        len = in_session(payload, len, (mode & 4) != 0, g_msg, sizeof g_msg);
        if (len == 0)
            return 0;
        body = g_msg;
    }
    uint8_t *in = malloc(len == 0 ? 1 : len);
    if (in == NULL)
        return 0;
    memcpy(in, body, len);

    bool check_state = signing != 3 && len > 0;
    bool live_token = (signing == 1 || signing == 2) &&
                      carries_live_token(payload, size - 1);
    hs_service_snapshot before, after;
    if (check_state)
        hs_service_state(&g_svc, &before);
    size_t reply_len = 0;
    unsigned status =
        hs_service_post(&g_svc, in, len, g_reply, sizeof g_reply, &reply_len);
    CHECK(status_known(status));
    if (status == 200) {
        static tk_teep_message reply;
        static uint8_t copy[HS_BUF];
        CHECK(hs_service_open_reply(&g_svc, hs_view(g_reply, reply_len), &reply,
                                    copy, sizeof copy) == TK_OK);
        CHECK(reply.type == TK_TEEP_QUERY_REQUEST ||
              reply.type == TK_TEEP_UPDATE);
    }
    if (status >= 400 && check_state) {
        hs_service_state(&g_svc, &after);
        if (!live_token) {
            CHECK(after.sessions == before.sessions);
            CHECK(after.tokens == before.tokens);
            CHECK(after.consumed == before.consumed);
        }
        CHECK(after.installed == before.installed);
    }
    free(in);
    return 0;
}
