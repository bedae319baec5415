/*
 * Tests of the TAM and agent state machines, driven in memory: an agent
 * and a TAM exchange byte buffers through their handle functions with the
 * stub callbacks of teep_test_peers.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teep_test_peers.h"
#include "tk_crypto_fault.h"
#include "tk_test.h"

static const tk_alg both_algs[2] = {TK_ALG_ESP256, TK_ALG_ED25519};
static const tk_alg p256_only[1] = {TK_ALG_ESP256};

/* A TAM and an agent with the message buffers between them. */
typedef struct pair {
    tam_peer tam;
    agent_peer agent;
    uint8_t to_agent[PEERS_BUF];
    size_t to_agent_len;
    uint8_t to_tam[PEERS_BUF];
    size_t to_tam_len;
    tk_teep_tam_result tam_res;
    tk_teep_agent_result agent_res;
} pair;

static pair *new_pair(void)
{
    pair *p = calloc(1, sizeof(*p));
    tam_peer_init(&p->tam, both_algs, 2);
    agent_peer_init(&p->agent, p256_only, 1);
    return p;
}

static tk_view view(const uint8_t *p, size_t len)
{
    return (tk_view){p, len};
}

/* The TAM starts a session with an unknown device (COSE_Sign). */
static void tam_starts(pair *p)
{
    assert_int_equal(tk_teep_tam_start(&p->tam.tam, view(NULL, 0), TK_ALG_NONE,
                                       p->to_agent, sizeof(p->to_agent),
                                       &p->tam_res),
                     TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_QUERY);
    p->to_agent_len = p->tam_res.out_len;
}

static tk_err agent_handles(pair *p)
{
    tk_err err = tk_teep_agent_handle(
        &p->agent.agent, &p->agent.state, view(p->to_agent, p->to_agent_len),
        p->to_tam, sizeof(p->to_tam), &p->agent_res);
    p->to_tam_len = p->agent_res.out_len;
    return err;
}

static tk_err tam_handles(pair *p)
{
    tk_err err =
        tk_teep_tam_handle(&p->tam.tam, view(p->to_tam, p->to_tam_len),
                           p->to_agent, sizeof(p->to_agent), &p->tam_res);
    p->to_agent_len = p->tam_res.out_len;
    return err;
}

/* Sets the policy of the TAM to send the test manifests given. */
static void policy_sends(pair *p, const char *m1, const char *m2)
{
    p->tam.policy_manifest_count = 0;
    if (m1 != NULL)
        p->tam.policy_manifests[p->tam.policy_manifest_count++] =
            view((const uint8_t *)m1, strlen(m1));
    if (m2 != NULL)
        p->tam.policy_manifests[p->tam.policy_manifest_count++] =
            view((const uint8_t *)m2, strlen(m2));
}

/* Runs QueryRequest, QueryResponse and (when the policy wants) Update. */
static void run_to_update(pair *p)
{
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_QUERY_RESPONSE);
    assert_int_equal(tam_handles(p), TK_OK);
}

static void full_install_session(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    tam_starts(p);

    /* The first QueryRequest is a COSE_Sign for both mandatory suites. */
    tk_teep_message msg;
    peers_open(p->to_agent, p->to_agent_len, &msg);
    assert_int_equal(p->to_agent[0], 0xD8);
    assert_int_equal(p->to_agent[1], TK_COSE_TYPE_SIGN);
    assert_int_equal(msg.type, TK_TEEP_QUERY_REQUEST);
    assert_int_equal(msg.token.len, 16);
    assert_int_equal(msg.challenge.len, 32);
    assert_int_equal(msg.suite_count, 2);
    assert_int_equal(msg.data_items, TK_TEEP_ITEM_ATTESTATION |
                                         TK_TEEP_ITEM_TRUSTED_COMPONENTS);
    assert_int_equal(p->tam.session_count, 1);

    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.received_type, TK_TEEP_QUERY_REQUEST);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_QUERY_RESPONSE);
    assert_int_equal(p->agent.state.phase, 1);
    assert_int_equal(p->agent.state.alg, TK_ALG_ESP256);
    tk_alg alg = peers_open(p->to_tam, p->to_tam_len, &msg);
    assert_int_equal(alg, TK_ALG_ESP256);
    assert_int_equal(msg.type, TK_TEEP_QUERY_RESPONSE);
    assert_true(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_ATTESTATION_PAYLOAD));
    assert_true(TK_TEEP_HAS(&msg, TK_TEEP_LABEL_TC_LIST));
    assert_int_equal(msg.tc_count, 0);

    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_UPDATE);
    assert_int_equal(p->tam_res.reason, TK_OK);
    assert_int_equal(p->tam_res.attestation, TK_EAT_STATUS_AFFIRMING);
    assert_int_equal(p->tam_res.manifests_sent, 1);
    assert_int_equal(p->tam_res.device_id_len, 8);
    assert_memory_equal(p->tam_res.device_id, "device-1", 8);
    assert_int_equal(p->tam.appraise_calls, 1);
    assert_int_equal(p->tam.policy_calls, 1);
    assert_int_equal(p->tam.session_count, 1);
    assert_int_equal(p->tam.sessions[0].kind, TK_TEEP_UPDATE);

    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.received_type, TK_TEEP_UPDATE);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_SUCCESS);
    assert_int_equal(p->agent_res.installed, 1);
    assert_int_equal(p->agent_res.failed, 0);
    assert_int_equal(agent_peer_sequence(&p->agent, "app"), 1);
    assert_int_equal(p->agent.state.phase, 0);

    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
    assert_int_equal(p->tam_res.reason, TK_OK);
    assert_int_equal(p->tam_res.out_len, 0);
    assert_int_equal(p->tam.record_calls, 1);
    assert_int_equal(p->tam.record_type, TK_TEEP_SUCCESS);
    assert_int_equal(p->tam.record_reports, 1);
    assert_int_equal(p->tam.session_count, 0);
    free(p);
}

static void update_session(void **state)
{
    (void)state;
    pair *p = new_pair();
    agent_peer_install(&p->agent, "app", 1);
    policy_sends(p, "app:2", "lib:1");
    run_to_update(p);
    assert_int_equal(p->tam.seen_tc_count, 1);
    assert_int_equal(p->tam_res.manifests_sent, 2);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.installed, 2);
    assert_int_equal(agent_peer_sequence(&p->agent, "app"), 2);
    assert_int_equal(agent_peer_sequence(&p->agent, "lib"), 1);
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
    assert_int_equal(p->tam.record_reports, 2);
    free(p);
}

static void delete_session(void **state)
{
    (void)state;
    pair *p = new_pair();
    static uint8_t id[32];
    agent_peer_install(&p->agent, "old", 3);
    size_t id_len = peers_component_id("old", id, sizeof(id));
    p->tam.policy_unneeded[0] = view(id, id_len);
    p->tam.policy_unneeded_count = 1;
    run_to_update(p);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_UPDATE);
    assert_int_equal(p->tam_res.unneeded_sent, 1);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_SUCCESS);
    assert_int_equal(p->agent_res.unlinked, 1);
    assert_int_equal(p->agent.component_count, 0);
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
    free(p);
}

static void nothing_needed_ends_session(void **state)
{
    (void)state;
    pair *p = new_pair();
    run_to_update(p);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
    assert_int_equal(p->tam_res.reason, TK_OK);
    assert_int_equal(p->tam_res.out_len, 0);
    assert_int_equal(p->tam.session_count, 0);
    free(p);
}

/* Row 5: a replayed QueryResponse, Success or unknown token changes
 * nothing. */
static void replayed_responses_rejected(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    uint8_t response[PEERS_BUF];
    size_t response_len = p->to_tam_len;
    memcpy(response, p->to_tam, response_len);
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_UPDATE);
    size_t saves = p->tam.saves;

    /* The same QueryResponse again. */
    memcpy(p->to_tam, response, response_len);
    p->to_tam_len = response_len;
    uint8_t update[PEERS_BUF];
    memcpy(update, p->to_agent, p->to_agent_len);
    size_t update_len = p->to_agent_len;
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_TOKEN_UNKNOWN);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_REJECTED);
    assert_int_equal(p->tam_res.out_len, 0);
    assert_int_equal(p->tam.saves, saves);
    assert_int_equal(p->tam.policy_calls, 1);
    assert_int_equal(p->tam.session_count, 1);

    /* The Success, then the same Success again. */
    memcpy(p->to_agent, update, update_len);
    p->to_agent_len = update_len;
    assert_int_equal(agent_handles(p), TK_OK);
    memcpy(response, p->to_tam, p->to_tam_len);
    response_len = p->to_tam_len;
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam.record_calls, 1);
    memcpy(p->to_tam, response, response_len);
    p->to_tam_len = response_len;
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_TOKEN_UNKNOWN);
    assert_int_equal(p->tam.record_calls, 1);

    /* A QueryResponse with a token the TAM never issued. */
    static const uint8_t forged[] = {0x82, 0x02, 0xA1, 0x14, 0x48, 1, 2,
                                     3,    4,    5,    6,    7,    8};
    p->to_tam_len = peers_sign(&p->agent.signers[0], forged, sizeof(forged),
                               p->to_tam, sizeof(p->to_tam));
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_TOKEN_UNKNOWN);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_REJECTED);
    free(p);
}

static void expired_token_rejected(void **state)
{
    (void)state;
    pair *p = new_pair();
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    p->tam.now += p->tam.tam.session_lifetime + 1;
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_TOKEN_EXPIRED);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_REJECTED);
    assert_int_equal(p->tam.policy_calls, 0);
    free(p);
}

/* Signs payload (hex) with the TAM's ESP256 key and lets the agent handle
 * it; returns the decoded reply. */
static tk_err agent_gets_signed(pair *p, const char *hex,
                                tk_teep_message *reply)
{
    uint8_t payload[256];
    size_t len = tk_test_hex_decode(hex, payload, sizeof(payload));
    p->to_agent_len = peers_sign(&p->tam.signers[0], payload, len, p->to_agent,
                                 sizeof(p->to_agent));
    tk_err err = agent_handles(p);
    memset(reply, 0, sizeof(*reply));
    if (p->to_tam_len > 0)
        peers_open(p->to_tam, p->to_tam_len, reply);
    return err;
}

/* Row 7, agent side: unknown, reserved and wrong-direction types and a
 * bare array get ERR_PERMANENT_ERROR with the token echoed. */
static void agent_rejects_bad_types(void **state)
{
    (void)state;
    static const uint8_t token[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    pair *p = new_pair();
    tk_teep_agent_state before = p->agent.state;
    tk_teep_message reply;
    const struct {
        const char *hex;
        tk_err reason;
        bool token;
    } cases[] = {
        {"8204A1144801020304050607 08", TK_ERR_TEEP_UNKNOWN_TYPE, true},
        {"821863A0", TK_ERR_TEEP_UNKNOWN_TYPE, false},
        {"8202A1144801020304050607 08", TK_ERR_TEEP_WRONG_DIRECTION, true},
        {"80", TK_ERR_TEEP_MALFORMED, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(agent_gets_signed(p, cases[i].hex, &reply),
                         cases[i].reason);
        assert_int_equal(reply.type, TK_TEEP_ERROR);
        assert_int_equal(reply.err_code, TK_TEEP_ERR_PERMANENT_ERROR);
        assert_int_equal(p->agent_res.err_code, TK_TEEP_ERR_PERMANENT_ERROR);
        if (cases[i].token) {
            assert_true(TK_TEEP_HAS(&reply, TK_TEEP_LABEL_TOKEN));
            assert_memory_equal(reply.token.ptr, token, 8);
        } else {
            assert_false(TK_TEEP_HAS(&reply, TK_TEEP_LABEL_TOKEN));
        }
        assert_memory_equal(&p->agent.state, &before, sizeof(before));
        assert_int_equal(p->agent.process_calls, 0);
    }
    free(p);
}

/* Row 7, TAM side: a signed QueryRequest or Update from an agent is
 * rejected without a reply. */
static void tam_rejects_wrong_direction(void **state)
{
    (void)state;
    pair *p = new_pair();
    static const uint8_t query[] = {0x85, 0x01, 0xA0, 0x80, 0x80, 0x00};
    static const uint8_t update[] = {0x82, 0x03, 0xA0};
    static const uint8_t reserved[] = {0x82, 0x04, 0xA0};
    p->to_tam_len = peers_sign(&p->agent.signers[0], query, sizeof(query),
                               p->to_tam, sizeof(p->to_tam));
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_WRONG_DIRECTION);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_REJECTED);
    assert_int_equal(p->tam_res.received_type, TK_TEEP_QUERY_REQUEST);
    assert_int_equal(p->tam_res.out_len, 0);
    p->to_tam_len = peers_sign(&p->agent.signers[0], update, sizeof(update),
                               p->to_tam, sizeof(p->to_tam));
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_WRONG_DIRECTION);
    p->to_tam_len = peers_sign(&p->agent.signers[0], reserved, sizeof(reserved),
                               p->to_tam, sizeof(p->to_tam));
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_UNKNOWN_TYPE);
    assert_int_equal(p->tam.saves, 0);
    free(p);
}

/* Builds a QueryRequest payload with the given suites, versions and
 * freshness options (hex fragments) and the mandatory rest. */
static tk_err agent_gets_query(pair *p, const char *options, const char *suites,
                               tk_teep_message *reply, tk_alg *reply_alg)
{
    char hex[512];
    snprintf(hex, sizeof(hex), "8501%s%s8184%s03", options, suites,
             "2F28381C39FFFD");
    uint8_t payload[256];
    size_t len = tk_test_hex_decode(hex, payload, sizeof(payload));
    p->to_agent_len = peers_sign(&p->tam.signers[0], payload, len, p->to_agent,
                                 sizeof(p->to_agent));
    tk_err err = agent_handles(p);
    memset(reply, 0, sizeof(*reply));
    *reply_alg = TK_ALG_NONE;
    if (p->to_tam_len > 0)
        *reply_alg = peers_open(p->to_tam, p->to_tam_len, reply);
    return err;
}

/* Options {20: token, 2: challenge} of the QueryRequests below. */
#define QR_OPTIONS "A21448010203040506070802480102030405060708"
#define MANDATORY_SUITES "82818212288182123281"

/* Row 8: no common cipher suite, version or freshness mechanism. */
static void agent_negotiation_errors(void **state)
{
    (void)state;
    pair *p = new_pair();
    agent_peer_init(&p->agent, both_algs, 2);
    p->agent.agent.flags |= TK_TEEP_STRICT_ALG_IDS;
    tk_teep_message reply;
    tk_alg alg;

    /* (a) only [[18, -7]], which a strict agent does not support. */
    assert_int_equal(
        agent_gets_query(p, QR_OPTIONS, "81818212 26", &reply, &alg),
        TK_ERR_TEEP_NO_COMMON_SUITE);
    assert_int_equal(reply.type, TK_TEEP_ERROR);
    assert_int_equal(reply.err_code, TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES);
    assert_true(TK_TEEP_HAS(&reply, TK_TEEP_LABEL_SUPPORTED_SUITES));
    assert_int_equal(reply.suite_count, 2);
    assert_int_equal(reply.suites[0].ops[0].alg, TK_ALG_ESP256);
    assert_int_equal(reply.suites[1].ops[0].alg, TK_ALG_ED25519);
    assert_true(alg == TK_ALG_ESP256 || alg == TK_ALG_ED25519);
    assert_int_equal(p->agent.state.phase, 0);

    /* (b) versions [99]. */
    assert_int_equal(agent_gets_query(p,
                                      "A3144801020304050607080248010203"
                                      "0405060708038118 63",
                                      "818182122 8", &reply, &alg),
                     TK_ERR_TEEP_NO_COMMON_VERSION);
    assert_int_equal(reply.err_code, TK_TEEP_ERR_UNSUPPORTED_MSG_VERSION);
    assert_int_equal(reply.version_count, 1);
    assert_int_equal(reply.versions[0], 0);
    assert_true(alg == TK_ALG_ESP256 || alg == TK_ALG_ED25519);

    /* (c) supported-freshness-mechanisms [7]. */
    assert_int_equal(agent_gets_query(p,
                                      "A314480102030405060708024801020304"
                                      "050607081581 07",
                                      "8181821228", &reply, &alg),
                     TK_ERR_TEEP_NO_COMMON_FRESHNESS);
    assert_int_equal(reply.err_code,
                     TK_TEEP_ERR_UNSUPPORTED_FRESHNESS_MECHANISMS);
    assert_int_equal(reply.freshness_count, 1);
    assert_int_equal(reply.freshness[0], TK_TEEP_FRESHNESS_NONCE);
    assert_int_equal(p->agent.state.phase, 0);
    free(p);
}

/* A TAM that offers only the legacy id [[18, -7]] gets replies signed
 * with -7; one that offers both gets the current id. */
static void legacy_ids_accepted(void **state)
{
    (void)state;
    pair *p = new_pair();
    tk_teep_message reply;
    tk_alg alg;
    assert_int_equal(
        agent_gets_query(p, QR_OPTIONS, "8181821226", &reply, &alg), TK_OK);
    assert_int_equal(reply.type, TK_TEEP_QUERY_RESPONSE);
    assert_int_equal(alg, TK_ALG_ES256);
    assert_int_equal(p->agent.state.alg, TK_ALG_ES256);
    assert_int_equal(
        agent_gets_query(p, QR_OPTIONS, "828182122681821228", &reply, &alg),
        TK_OK);
    assert_int_equal(alg, TK_ALG_ESP256);
    free(p);
}

/* Signs an Error [6, {20: token, 1: [[[18, -19]]]}, 5] with the agent's
 * Ed25519 key, as an agent that lacks ESP256 would reply. */
static void agent_lacks_esp256(pair *p, tk_view token)
{
    uint8_t payload[64] = {0x83, 0x06, 0xA2, 0x14, 0x50};
    memcpy(payload + 5, token.ptr, 16);
    static const uint8_t rest[] = {0x01, 0x81, 0x81, 0x82, 0x12, 0x32, 0x05};
    memcpy(payload + 21, rest, sizeof(rest));
    tk_teep_signer ed = {TK_ALG_ED25519, &g_keys.agent_ed25519,
                         view(g_keys.agent_ed_kid, 32)};
    p->to_tam_len = peers_sign(&ed, payload, 21 + sizeof(rest), p->to_tam,
                               sizeof(p->to_tam));
}

/* After ERR_UNSUPPORTED_CIPHER_SUITES the TAM sends a new QueryRequest
 * with the suite that the agent's Error lists, a bounded number of
 * times. */
static void tam_retries_common_suite(void **state)
{
    (void)state;
    pair *p = new_pair();
    assert_int_equal(tk_teep_tam_start(&p->tam.tam,
                                       view((const uint8_t *)"device-1", 8),
                                       TK_ALG_ESP256, p->to_agent,
                                       sizeof(p->to_agent), &p->tam_res),
                     TK_OK);
    p->to_agent_len = p->tam_res.out_len;
    for (uint32_t attempt = 1; attempt <= TK_TEEP_TAM_MAX_RETRIES + 1;
         attempt++) {
        tk_teep_message query;
        tk_alg alg = peers_open(p->to_agent, p->to_agent_len, &query);
        assert_int_equal(alg, attempt == 1 ? TK_ALG_ESP256 : TK_ALG_ED25519);
        agent_lacks_esp256(p, query.token);
        assert_int_equal(tam_handles(p), TK_OK);
        assert_int_equal(p->tam_res.reason, TK_ERR_TEEP_NO_COMMON_SUITE);
        assert_int_equal(p->tam_res.err_code,
                         TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES);
        assert_int_equal(p->tam.record_calls, attempt);
        if (attempt <= TK_TEEP_TAM_MAX_RETRIES) {
            assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_QUERY);
            assert_int_equal(p->tam.sessions[0].retries, attempt);
            assert_int_equal(p->tam.sessions[0].alg, TK_ALG_ED25519);
        } else {
            assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
            assert_int_equal(p->tam.session_count, 0);
        }
    }

    /* Our own agent replies to a QueryRequest it cannot verify with Error 5
     * and no token, which the TAM cannot match to a request. */
    static const tk_alg ed_only[1] = {TK_ALG_ED25519};
    agent_peer_init(&p->agent, ed_only, 1);
    assert_int_equal(tk_teep_tam_start(&p->tam.tam,
                                       view((const uint8_t *)"device-1", 8),
                                       TK_ALG_ESP256, p->to_agent,
                                       sizeof(p->to_agent), &p->tam_res),
                     TK_OK);
    p->to_agent_len = p->tam_res.out_len;
    assert_int_equal(agent_handles(p), TK_ERR_TEEP_SUITE_MISMATCH);
    assert_int_equal(p->agent_res.err_code,
                     TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES);
    tk_teep_message reply;
    assert_int_equal(peers_open(p->to_tam, p->to_tam_len, &reply),
                     TK_ALG_ED25519);
    assert_int_equal(reply.suite_count, 1);
    assert_int_equal(reply.suites[0].ops[0].alg, TK_ALG_ED25519);
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_TOKEN_MISSING);
    free(p);
}

/* Row 14 (a): attestation requested but missing. */
static void attestation_missing_installs_nothing(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    tam_starts(p);
    tk_teep_message query;
    peers_open(p->to_agent, p->to_agent_len, &query);
    /* [2, {20: token, 8: []}] signed by the agent. */
    uint8_t payload[64] = {0x82, 0x02, 0xA2, 0x14, 0x50};
    memcpy(payload + 5, query.token.ptr, 16);
    payload[21] = 0x08;
    payload[22] = 0x80;
    p->to_tam_len = peers_sign(&p->agent.signers[0], payload, 23, p->to_tam,
                               sizeof(p->to_tam));
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_UPDATE);
    assert_int_equal(p->tam_res.reason, TK_ERR_TEEP_ATTESTATION_MISSING);
    assert_int_equal(p->tam_res.err_code, TK_TEEP_ERR_ATTESTATION_REQUIRED);
    assert_int_equal(p->tam_res.manifests_sent, 0);
    assert_int_equal(p->tam.policy_calls, 0);
    assert_int_equal(p->tam.appraise_calls, 0);
    tk_teep_message update;
    peers_open(p->to_agent, p->to_agent_len, &update);
    assert_int_equal(update.type, TK_TEEP_UPDATE);
    assert_int_equal(update.err_code, TK_TEEP_ERR_ATTESTATION_REQUIRED);
    assert_true(TK_TEEP_HAS(&update, TK_TEEP_LABEL_ERR_MSG));
    assert_int_equal(update.manifest_count, 0);
    free(p);
}

/* Row 14 (b): an unsolicited QueryResponse gets a fresh QueryRequest. */
static void unsolicited_response_requeried(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    static const uint8_t payload[] = {0x82, 0x02, 0xA1, 0x08, 0x80};
    p->to_tam_len = peers_sign(&p->agent.signers[0], payload, sizeof(payload),
                               p->to_tam, sizeof(p->to_tam));
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_QUERY);
    assert_int_equal(p->tam_res.reason, TK_ERR_TEEP_TOKEN_MISSING);
    assert_int_equal(p->tam.policy_calls, 0);
    tk_teep_message query;
    tk_alg alg = peers_open(p->to_agent, p->to_agent_len, &query);
    assert_int_equal(alg, TK_ALG_ESP256);
    assert_int_equal(query.type, TK_TEEP_QUERY_REQUEST);
    assert_int_equal(query.challenge.len, 32);
    assert_int_equal(p->tam.sessions[0].device_id_len, 8);
    free(p);
}

/* Row 14 (c): an unknown attestation format is never appraised. */
static void unknown_format_not_forwarded(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    p->agent.evidence_format = "application/unknown";
    run_to_update(p);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_UPDATE);
    assert_int_equal(p->tam_res.reason, TK_ERR_TEEP_ATTESTATION_FORMAT);
    assert_int_equal(p->tam_res.err_code, TK_TEEP_ERR_ATTESTATION_REQUIRED);
    assert_int_equal(p->tam.appraise_calls, 0);
    assert_int_equal(p->tam.policy_calls, 0);
    free(p);
}

/* Row 14 (d): evidence with another nonce than the challenge. */
static void wrong_nonce_installs_nothing(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    p->agent.evidence_wrong_nonce = true;
    run_to_update(p);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_UPDATE);
    assert_int_equal(p->tam_res.reason, TK_ERR_EAT_NONCE_MISMATCH);
    assert_int_equal(p->tam_res.attestation, TK_EAT_STATUS_CONTRAINDICATED);
    assert_int_equal(p->tam_res.manifests_sent, 0);
    assert_int_equal(p->tam.policy_calls, 0);

    /* The agent takes the Update with err-code 7 and replies nothing. */
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.tam_err_code,
                     TK_TEEP_ERR_ATTESTATION_REQUIRED);
    assert_int_equal(p->agent_res.out_len, 0);
    assert_int_equal(p->agent.process_calls, 0);

    /* Configured to ask again instead. */
    pair *q = new_pair();
    q->tam.tam.flags |= TK_TEEP_TAM_REQUERY_ON_ATTESTATION_FAILURE;
    q->agent.evidence_wrong_nonce = true;
    run_to_update(q);
    assert_int_equal(q->tam_res.outcome, TK_TEEP_TAM_SEND_QUERY);
    assert_int_equal(q->tam_res.reason, TK_ERR_EAT_NONCE_MISMATCH);
    free(p);
    free(q);
}

/* An Update replayed, sent before any QueryRequest or after the wait. */
static void agent_rejects_replayed_update(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    run_to_update(p);
    uint8_t update[PEERS_BUF];
    size_t update_len = p->to_agent_len;
    memcpy(update, p->to_agent, update_len);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent.process_calls, 1);

    tk_teep_agent_state before = p->agent.state;
    memcpy(p->to_agent, update, update_len);
    p->to_agent_len = update_len;
    assert_int_equal(agent_handles(p), TK_ERR_TEEP_UNEXPECTED_UPDATE);
    assert_int_equal(p->agent_res.err_code, TK_TEEP_ERR_PERMANENT_ERROR);
    assert_int_equal(p->agent.process_calls, 1);
    assert_memory_equal(&p->agent.state, &before, sizeof(before));

    /* Even inside a new exchange the old token is refused. */
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    memcpy(p->to_agent, update, update_len);
    p->to_agent_len = update_len;
    assert_int_equal(agent_handles(p), TK_ERR_TEEP_UNEXPECTED_UPDATE);
    assert_int_equal(p->agent.process_calls, 1);

    /* An Update that arrives after the wait expired. */
    pair *q = new_pair();
    policy_sends(q, "app:1", NULL);
    run_to_update(q);
    q->agent.now += q->agent.agent.update_wait + 1;
    assert_int_equal(agent_handles(q), TK_ERR_TEEP_UNEXPECTED_UPDATE);
    assert_int_equal(q->agent.process_calls, 0);
    free(p);
    free(q);
}

/* Row 6 at the TEEP layer: a rollback manifest gives Error 17 with the
 * SUIT report, and the TAM records it. */
static void manifest_failure_reported(void **state)
{
    (void)state;
    pair *p = new_pair();
    agent_peer_install(&p->agent, "app", 5);
    policy_sends(p, "app:4", NULL);
    run_to_update(p);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_ERROR);
    assert_int_equal(p->agent_res.err_code,
                     TK_TEEP_ERR_MANIFEST_PROCESSING_FAILED);
    assert_int_equal(p->agent_res.failed, 1);
    assert_int_equal(agent_peer_sequence(&p->agent, "app"), 5);
    tk_teep_message reply;
    peers_open(p->to_tam, p->to_tam_len, &reply);
    assert_int_equal(reply.type, TK_TEEP_ERROR);
    assert_int_equal(reply.err_code, 17);
    assert_int_equal(reply.report_count, 1);
    assert_int_equal(reply.token.len, 16);

    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
    assert_int_equal(p->tam_res.reason, TK_ERR_TEEP_PEER_ERROR);
    assert_int_equal(p->tam_res.err_code, 17);
    assert_int_equal(p->tam.record_err_code, 17);
    free(p);
}

static void report_nonce_checked(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    p->agent.wrong_report_nonce = true;
    run_to_update(p);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_REPORT_NONCE);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_REJECTED);
    assert_int_equal(p->tam.record_calls, 0);
    free(p);
}

static void device_and_signature_checks(void **state)
{
    (void)state;
    pair *p = new_pair();
    /* A session bound to device-2 answered by device-1. */
    assert_int_equal(tk_teep_tam_start(&p->tam.tam,
                                       view((const uint8_t *)"device-2", 8),
                                       TK_ALG_NONE, p->to_agent,
                                       sizeof(p->to_agent), &p->tam_res),
                     TK_OK);
    p->to_agent_len = p->tam_res.out_len;
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_DEVICE_MISMATCH);

    /* A broken signature consumes no session; the genuine message then
     * still works. */
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    size_t sessions = p->tam.session_count;
    p->to_tam[p->to_tam_len - 1] ^= 0x01;
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_SIGNATURE);
    assert_int_equal(p->tam.session_count, sessions);
    p->to_tam[p->to_tam_len - 1] ^= 0x01;
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);

    /* A message from an unknown key. */
    tk_teep_signer stranger = p->agent.signers[0];
    stranger.kid = view((const uint8_t *)"nobody", 6);
    static const uint8_t success[] = {0x82, 0x05, 0xA0};
    p->to_tam_len = peers_sign(&stranger, success, sizeof(success), p->to_tam,
                               sizeof(p->to_tam));
    assert_int_equal(tam_handles(p), TK_ERR_TEEP_UNKNOWN_KEY);
    free(p);
}

static void ed25519_session(void **state)
{
    (void)state;
    static const tk_alg ed_only[1] = {TK_ALG_ED25519};
    pair *p = new_pair();
    agent_peer_init(&p->agent, ed_only, 1);
    policy_sends(p, "app:1", NULL);
    run_to_update(p);
    assert_int_equal(p->agent.state.alg, TK_ALG_ED25519);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_UPDATE);
    tk_teep_message update;
    assert_int_equal(peers_open(p->to_agent, p->to_agent_len, &update),
                     TK_ALG_ED25519);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_SUCCESS);
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
    free(p);
}

/* Every prefix of every message of a full session fails cleanly and
 * leaves the receiver's state unchanged. */
static void truncated_messages_fail(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    tam_starts(p);
    for (int step = 0; step < 4; step++) {
        bool to_agent = step % 2 == 0;
        uint8_t msg[PEERS_BUF];
        size_t len = to_agent ? p->to_agent_len : p->to_tam_len;
        memcpy(msg, to_agent ? p->to_agent : p->to_tam, len);
        for (size_t n = 0; n < len; n++) {
            tk_err err;
            if (to_agent) {
                tk_teep_agent_state before = p->agent.state;
                memcpy(p->to_agent, msg, n);
                p->to_agent_len = n;
                err = agent_handles(p);
                assert_memory_equal(&p->agent.state, &before, sizeof(before));
            } else {
                size_t sessions = p->tam.session_count;
                memcpy(p->to_tam, msg, n);
                p->to_tam_len = n;
                err = tam_handles(p);
                assert_int_equal(p->tam.session_count, sessions);
                assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_REJECTED);
            }
            if (err == TK_OK)
                fail_msg("step %d: message truncated to %zu of %zu bytes "
                         "was accepted",
                         step, n, len);
        }
        /* Then the whole message moves the session on. */
        if (to_agent) {
            memcpy(p->to_agent, msg, len);
            p->to_agent_len = len;
            assert_int_equal(agent_handles(p), TK_OK);
        } else {
            memcpy(p->to_tam, msg, len);
            p->to_tam_len = len;
            assert_int_equal(tam_handles(p), TK_OK);
        }
    }
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
    assert_int_equal(p->tam.record_type, TK_TEEP_SUCCESS);
    free(p);
}

static void output_buffer_too_small(void **state)
{
    (void)state;
    pair *p = new_pair();
    size_t saves = p->tam.saves;
    assert_int_equal(tk_teep_tam_start(&p->tam.tam, view(NULL, 0), TK_ALG_NONE,
                                       p->to_agent, 16, &p->tam_res),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_REJECTED);
    assert_int_equal(p->tam.saves, saves);
    free(p);
}

/*
 * Fails every crypto call of the library in turn while the TAM handles a
 * QueryResponse: each run must fail closed, never sending a manifest. A
 * failure before the signature is verified must leave the session.
 */
static void tam_fails_closed_on_crypto_faults(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    uint8_t response[PEERS_BUF];
    size_t response_len = p->to_tam_len;
    memcpy(response, p->to_tam, response_len);
    tk_teep_tam_session session = p->tam.sessions[0];

    tk_crypto_fault fault;
    tk_crypto_fault_init(&fault, tk_crypto_openssl());
    p->tam.tam.crypto = &fault.table;
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.manifests_sent, 1);
    unsigned long calls = fault.calls;
    assert_true(calls > 2);

    for (unsigned long n = 1; n <= calls; n++) {
        p->tam.sessions[0] = session;
        p->tam.session_count = 1;
        memcpy(p->to_tam, response, response_len);
        p->to_tam_len = response_len;
        tk_crypto_fault_arm(&fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
        tk_err err = tam_handles(p);
        assert_int_equal(fault.failures, 1);
        if (err == TK_OK) {
            /* Only an attestation failure may still be answered. */
            assert_int_equal(p->tam_res.manifests_sent, 0);
            assert_int_not_equal(p->tam_res.attestation,
                                 TK_EAT_STATUS_AFFIRMING);
        } else {
            assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_REJECTED);
            assert_int_equal(p->tam_res.out_len, 0);
        }
    }
    free(p);
}

/* The same for the agent handling a QueryRequest and an Update. */
static void agent_fails_closed_on_crypto_faults(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    tam_starts(p);
    uint8_t query[PEERS_BUF];
    size_t query_len = p->to_agent_len;
    memcpy(query, p->to_agent, query_len);

    tk_crypto_fault fault;
    tk_crypto_fault_init(&fault, tk_crypto_openssl());
    p->agent.agent.crypto = &fault.table;
    tk_teep_agent_state idle = p->agent.state;
    assert_int_equal(agent_handles(p), TK_OK);
    unsigned long calls = fault.calls;
    for (unsigned long n = 1; n <= calls; n++) {
        p->agent.state = idle;
        memcpy(p->to_agent, query, query_len);
        p->to_agent_len = query_len;
        tk_crypto_fault_arm(&fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
        tk_err err = agent_handles(p);
        assert_int_not_equal(err, TK_OK);
        assert_int_not_equal(p->agent_res.sent_type, TK_TEEP_QUERY_RESPONSE);
        assert_memory_equal(&p->agent.state, &idle, sizeof(idle));
    }

    /* Now a real exchange up to the Update, then faults on the Update. */
    tk_crypto_fault_arm(&fault, 0, TK_OK);
    memcpy(p->to_agent, query, query_len);
    p->to_agent_len = query_len;
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(tam_handles(p), TK_OK);
    uint8_t update[PEERS_BUF];
    size_t update_len = p->to_agent_len;
    memcpy(update, p->to_agent, update_len);
    tk_teep_agent_state waiting = p->agent.state;
    tk_crypto_fault_arm(&fault, 0, TK_OK);
    assert_int_equal(agent_handles(p), TK_OK);
    calls = fault.calls;
    for (unsigned long n = 1; n <= calls; n++) {
        p->agent.state = waiting;
        p->agent.component_count = 0;
        size_t processed = p->agent.process_calls;
        memcpy(p->to_agent, update, update_len);
        p->to_agent_len = update_len;
        tk_crypto_fault_arm(&fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
        tk_err err = agent_handles(p);
        if (err != TK_OK) {
            /* Rejected before any manifest was touched. */
            assert_int_equal(p->agent.process_calls, processed);
            assert_memory_equal(&p->agent.state, &waiting, sizeof(waiting));
        } else {
            /* Processed, but the Success could not be signed. */
            assert_int_equal(p->agent_res.out_len, 0);
            assert_int_not_equal(p->agent_res.reason, TK_OK);
        }
    }
    free(p);
}

/* Timestamp freshness: evidence without a challenge is appraised by its
 * age. */
static void evidence_without_challenge(void **state)
{
    (void)state;
    pair *p = new_pair();
    tk_teep_evidence_request request;
    memset(&request, 0, sizeof(request));
    request.freshness = TK_TEEP_FRESHNESS_TIMESTAMP;
    request.signer = &p->agent.signers[0];
    uint8_t token[2048];
    size_t len = 0;
    tk_view format = {NULL, 0};
    const tk_teep_agent_ops *ops = &p->agent.agent.ops;
    assert_int_equal(
        ops->evidence(ops->ctx, &request, token, sizeof(token), &len, &format),
        TK_OK);

    tk_teep_evidence ev;
    memset(&ev, 0, sizeof(ev));
    ev.payload = view(token, len);
    ev.agent_key = p->agent.signers[0].key;
    ev.agent_alg = TK_ALG_ESP256;
    ev.now = p->agent.now + 10;
    tk_eat_result result;
    const tk_teep_tam_ops *tops = &p->tam.tam.ops;
    assert_int_equal(tops->appraise(tops->ctx, &ev, &result), TK_OK);
    assert_int_equal(result.status, TK_EAT_STATUS_AFFIRMING);
    assert_false(result.claims.present & TK_EAT_HAS_NONCE);

    ev.now = p->agent.now + TK_TEEP_EVIDENCE_MAX_AGE + 61;
    assert_int_equal(tops->appraise(tops->ctx, &ev, &result), TK_OK);
    assert_int_equal(result.status, TK_EAT_STATUS_CONTRAINDICATED);
    assert_int_equal(result.reason, TK_ERR_EAT_STALE);

    /* Signed by another agent key than the one that signs the messages. */
    ev.now = p->agent.now;
    ev.agent_key = &g_keys.other_p256;
    assert_int_equal(tops->appraise(tops->ctx, &ev, &result), TK_OK);
    assert_int_equal(result.reason, TK_ERR_EAT_CNF_MISMATCH);
    free(p);
}

/* The agent picks the suite of the signature it verified in a COSE_Sign,
 * so the Update, signed by the TAM key of that suite, is accepted even
 * when the two sides list their suites in different orders. */
static void suite_order_differs(void **state)
{
    (void)state;
    static const tk_alg ed_first[2] = {TK_ALG_ED25519, TK_ALG_ESP256};
    pair *p = new_pair();
    tam_peer_init(&p->tam, ed_first, 2);
    agent_peer_init(&p->agent, both_algs, 2);
    policy_sends(p, "app:1", NULL);
    run_to_update(p);
    assert_int_equal(p->agent.state.alg, TK_ALG_ED25519);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_SEND_UPDATE);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_SUCCESS);
    assert_int_equal(tam_handles(p), TK_OK);
    assert_int_equal(p->tam_res.outcome, TK_TEEP_TAM_DONE);
    free(p);
}

/* With a peer id for the TAM, the Update may come from either TAM key;
 * a peer id too long to keep is rejected. */
static void tam_peer_id_used(void **state)
{
    (void)state;
    static const tk_alg ed_first[2] = {TK_ALG_ED25519, TK_ALG_ESP256};
    pair *p = new_pair();
    tam_peer_init(&p->tam, ed_first, 2);
    agent_peer_init(&p->agent, both_algs, 2);
    p->agent.tam_peer_id = "tam-1";
    policy_sends(p, "app:1", NULL);
    run_to_update(p);
    assert_int_equal(p->agent.state.tam_kid_len, 5);
    assert_memory_equal(p->agent.state.tam_kid, "tam-1", 5);
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_SUCCESS);

    static char long_id[TK_TEEP_MAX_KID + 2];
    memset(long_id, 'x', sizeof(long_id) - 1);
    p->agent.tam_peer_id = long_id;
    tk_teep_agent_state before = p->agent.state;
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_ERR_LIMIT);
    assert_memory_equal(&p->agent.state, &before, sizeof(before));
    free(p);
}

/* An Update without a token is recognized by its digest when replayed. */
static void tokenless_update_replay(void **state)
{
    (void)state;
    pair *p = new_pair();
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    /* [3, {10: ['app:1']}] signed by the TAM key of the QueryRequest. */
    static const uint8_t update[] = {0x82, 0x03, 0xA1, 0x0A, 0x81, 0x45,
                                     'a',  'p',  'p',  ':',  '1'};
    uint8_t signed_update[PEERS_BUF];
    size_t len = peers_sign(&p->tam.signers[0], update, sizeof(update),
                            signed_update, sizeof(signed_update));
    memcpy(p->to_agent, signed_update, len);
    p->to_agent_len = len;
    assert_int_equal(agent_handles(p), TK_OK);
    assert_int_equal(p->agent_res.sent_type, TK_TEEP_SUCCESS);
    assert_int_equal(p->agent.process_calls, 1);
    tk_teep_message reply;
    peers_open(p->to_tam, p->to_tam_len, &reply);
    assert_false(TK_TEEP_HAS(&reply, TK_TEEP_LABEL_TOKEN));

    /* The same bytes inside a new exchange. */
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    memcpy(p->to_agent, signed_update, len);
    p->to_agent_len = len;
    assert_int_equal(agent_handles(p), TK_ERR_TEEP_UNEXPECTED_UPDATE);
    assert_int_equal(p->agent.process_calls, 1);
    free(p);
}

static uint32_t next_random(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* Changes, removes or inserts one byte of buf (length *len, capacity at
 * least *len + 1). */
static void mutate(uint8_t *buf, size_t *len, uint32_t *seed)
{
    size_t at = next_random(seed) % *len;
    switch (next_random(seed) % 3) {
    case 0:
        buf[at] = (uint8_t)next_random(seed);
        break;
    case 1:
        memmove(buf + at, buf + at + 1, *len - at - 1);
        (*len)--;
        break;
    default:
        memmove(buf + at + 1, buf + at, *len - at);
        buf[at] = (uint8_t)next_random(seed);
        (*len)++;
        break;
    }
}

/*
 * Validly signed but mutated QueryResponses and Updates: the handlers
 * must never crash, the TAM must send manifests only to an affirmed
 * agent, and the agent must leave its state alone unless it accepted.
 */
static void signed_mutations_handled(void **state)
{
    (void)state;
    pair *p = new_pair();
    policy_sends(p, "app:1", NULL);
    tam_starts(p);
    assert_int_equal(agent_handles(p), TK_OK);
    tk_teep_message response;
    peers_open(p->to_tam, p->to_tam_len, &response);
    tk_teep_tam_session session = p->tam.sessions[0];

    /* Re-encode the decoded QueryResponse to get its payload bytes. */
    uint8_t payload[PEERS_BUF];
    size_t payload_len = 0;
    assert_int_equal(
        tk_teep_encode(&response, payload, sizeof(payload), &payload_len),
        TK_OK);
    uint32_t seed = 3;
    for (int round = 0; round < 600; round++) {
        uint8_t mutated[PEERS_BUF];
        size_t len = payload_len;
        memcpy(mutated, payload, len);
        mutate(mutated, &len, &seed);
        p->to_tam_len = peers_sign(&p->agent.signers[0], mutated, len,
                                   p->to_tam, sizeof(p->to_tam));
        p->tam.sessions[0] = session;
        p->tam.session_count = 1;
        tam_handles(p);
        if (p->tam_res.manifests_sent > 0)
            assert_int_equal(p->tam_res.attestation, TK_EAT_STATUS_AFFIRMING);
    }

    /* A fresh exchange up to the Update, then mutated Updates. */
    p->tam.session_count = 0;
    run_to_update(p);
    tk_teep_message update;
    peers_open(p->to_agent, p->to_agent_len, &update);
    assert_int_equal(
        tk_teep_encode(&update, payload, sizeof(payload), &payload_len), TK_OK);
    tk_teep_agent_state waiting = p->agent.state;
    for (int round = 0; round < 600; round++) {
        uint8_t mutated[PEERS_BUF];
        size_t len = payload_len;
        memcpy(mutated, payload, len);
        mutate(mutated, &len, &seed);
        p->to_agent_len = peers_sign(&p->tam.signers[0], mutated, len,
                                     p->to_agent, sizeof(p->to_agent));
        p->agent.state = waiting;
        tk_err err = agent_handles(p);
        if (err != TK_OK)
            assert_memory_equal(&p->agent.state, &waiting, sizeof(waiting));
        else
            assert_int_equal(p->agent.state.phase, 0);
    }
    free(p);
}

static int teardown(void **state)
{
    (void)state;
    peers_keys_release();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_install_session),
        cmocka_unit_test(update_session),
        cmocka_unit_test(delete_session),
        cmocka_unit_test(nothing_needed_ends_session),
        cmocka_unit_test(replayed_responses_rejected),
        cmocka_unit_test(expired_token_rejected),
        cmocka_unit_test(agent_rejects_bad_types),
        cmocka_unit_test(tam_rejects_wrong_direction),
        cmocka_unit_test(agent_negotiation_errors),
        cmocka_unit_test(legacy_ids_accepted),
        cmocka_unit_test(tam_retries_common_suite),
        cmocka_unit_test(attestation_missing_installs_nothing),
        cmocka_unit_test(unsolicited_response_requeried),
        cmocka_unit_test(unknown_format_not_forwarded),
        cmocka_unit_test(wrong_nonce_installs_nothing),
        cmocka_unit_test(agent_rejects_replayed_update),
        cmocka_unit_test(manifest_failure_reported),
        cmocka_unit_test(report_nonce_checked),
        cmocka_unit_test(device_and_signature_checks),
        cmocka_unit_test(ed25519_session),
        cmocka_unit_test(truncated_messages_fail),
        cmocka_unit_test(output_buffer_too_small),
        cmocka_unit_test(tam_fails_closed_on_crypto_faults),
        cmocka_unit_test(evidence_without_challenge),
        cmocka_unit_test(suite_order_differs),
        cmocka_unit_test(tam_peer_id_used),
        cmocka_unit_test(tokenless_update_replay),
        cmocka_unit_test(signed_mutations_handled),
        cmocka_unit_test(agent_fails_closed_on_crypto_faults),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
