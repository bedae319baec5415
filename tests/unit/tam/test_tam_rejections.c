/*
 * Messages the TAM must drop, through its handler in-process: replayed
 * QueryResponse and Success, unknown and expired tokens, unsupported
 * suites, unknown and wrong-direction types, unknown keys, bad media
 * types. Each gets its status and leaves the store as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tam_test_env.h"
#include "teepkit/cbor.h"
#include "teepkit/cose.h"

static tam_env env;
static test_agent agent;
static int64_t device;
static uint8_t reply[ENV_MESSAGE_MAX];
static size_t reply_len;
static uint8_t msg[ENV_MESSAGE_MAX];
static uint8_t scratch[ENV_MESSAGE_MAX];

static int setup(void **state)
{
    (void)state;
    const char *const config[] = {"log_level=off", NULL};
    env_open(&env, config);
    agent_init(&agent, &env, 3);
    int64_t app = env_add_component(&env, "app", 1);
    env_policy(&env, &agent, app, false);
    device = agent_device_id(&env, &agent);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_release(&agent);
    env_close(&env);
    return 0;
}

/* What the store holds, for before-and-after comparisons. */
typedef struct snapshot {
    tk_store_summary summary;
    size_t installed;
    size_t reports;
} snapshot;

static void take_snapshot(snapshot *s)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(tk_store_summary_get(env.store, &s->summary, NULL),
                     TK_OK);
    s->installed = count_installed(&env, device, NULL, NULL);
    s->reports = count_reports(&env, device);
}

static void assert_unchanged(const snapshot *before)
{
    snapshot now;
    take_snapshot(&now);
    assert_memory_equal(&now.summary, &before->summary,
                        sizeof(now.summary));
    assert_int_equal(now.installed, before->installed);
    assert_int_equal(now.reports, before->reports);
}

static unsigned post(const uint8_t *body, size_t len)
{
    unsigned status = 0;
    env_post(&env, body, len, &status, reply, sizeof(reply), &reply_len);
    return status;
}

/* Passes the last reply to the agent; returns the length of its reply,
 * which is left in msg. */
static size_t agent_answer(void)
{
    tk_teep_agent_result res;
    tk_teep_agent_handle(&agent.sim.machine, &agent.sim.state,
                         (tk_view){reply, reply_len}, msg, sizeof(msg), &res);
    return res.out_len;
}

/* Reads the TEEP payload of a COSE_Sign1 or COSE_Sign. */
static tk_view payload_of(const uint8_t *cose, size_t len)
{
    tk_cose_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.flags = TK_COSE_OPT_UNTAGGED_OK;
    tk_cose_sign1 s1;
    if (tk_cose_sign1_decode((tk_view){cose, len}, &opts, &s1) == TK_OK)
        return s1.payload;
    tk_cose_sign s;
    assert_int_equal(tk_cose_sign_decode((tk_view){cose, len}, &opts, &s),
                     TK_OK);
    return s.payload;
}

/* Copies the token of the last reply into token. */
static size_t reply_token(uint8_t *token)
{
    tk_view p = payload_of(reply, reply_len);
    tk_teep_message m;
    assert_int_equal(tk_teep_decode(p.ptr, p.len, &m, NULL), TK_OK);
    memcpy(token, m.token.ptr, m.token.len);
    return m.token.len;
}

/* Signs payload with signer into out; returns the length. */
static size_t sign(const tk_teep_signer *signer, const uint8_t *payload,
                   size_t len, uint8_t *out, size_t cap)
{
    size_t out_len = 0;
    assert_int_equal(tk_teep_sign(tk_crypto_openssl(), signer, 1,
                                  (tk_view){payload, len}, scratch,
                                  sizeof(scratch), out, cap, &out_len),
                     TK_OK);
    return out_len;
}

/* Encodes [type, {20: token}] (any type, even reserved ones). */
static size_t bare_message(uint32_t type, const uint8_t *token, size_t len,
                           uint8_t *out, size_t cap)
{
    tk_cbor_enc enc;
    size_t out_len = 0;
    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_uint(&enc, type);
    tk_cbor_enc_put_map(&enc, 1);
    tk_cbor_enc_put_uint(&enc, TK_TEEP_LABEL_TOKEN);
    tk_cbor_enc_put_bstr(&enc, token, len);
    assert_int_equal(tk_cbor_enc_finish(&enc, &out_len), TK_OK);
    return out_len;
}

static uint64_t rejected(void)
{
    tk_tam_stats stats;
    tk_tam_stats_get(env.tam, &stats);
    return stats.rejected;
}

/* A second copy of a QueryResponse and of a Success gets 409 and changes
 * nothing. */
static void test_replay_query_response_and_success(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    size_t qresp_len = agent_answer();
    assert_true(qresp_len > 0);
    static uint8_t qresp[ENV_MESSAGE_MAX];
    memcpy(qresp, msg, qresp_len);
    assert_int_equal(post(qresp, qresp_len), 200);
    static uint8_t update[ENV_MESSAGE_MAX];
    size_t update_len = reply_len;
    memcpy(update, reply, reply_len);

    snapshot before;
    take_snapshot(&before);
    assert_int_equal(post(qresp, qresp_len), 409);
    assert_int_equal(reply_len, 0);
    assert_unchanged(&before);
    assert_int_equal(count_attestations(&env, device, NULL), 1);

    memcpy(reply, update, update_len);
    reply_len = update_len;
    size_t success_len = agent_answer();
    assert_true(success_len > 0);
    static uint8_t success[ENV_MESSAGE_MAX];
    memcpy(success, msg, success_len);
    assert_int_equal(post(success, success_len), 204);
    assert_int_equal(count_reports(&env, device), 1);

    take_snapshot(&before);
    assert_int_equal(post(success, success_len), 409);
    assert_unchanged(&before);
    assert_int_equal(count_reports(&env, device), 1);
    assert_int_equal(count_audit(&env, "update.success"), 1);
    assert_int_equal(rejected(), 2);
}

/* A token the TAM never issued: here, one issued by another TAM with the
 * same keys but another store. */
static void test_unknown_token(void **state)
{
    (void)state;
    char msg_text[256];
    char other_db[256];
    snprintf(other_db, sizeof(other_db), "%s/other.db", env.dir);
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    tk_tam_config_set(&cfg, "db", other_db, msg_text, sizeof(msg_text));
    tk_tam_config_set(&cfg, "key_dir", env.key_dir, msg_text,
                      sizeof(msg_text));
    tk_tam *other = NULL;
    assert_int_equal(tk_tam_open(&cfg, NULL, &other, msg_text,
                                 sizeof(msg_text)),
                     TK_OK);
    tk_tam_config_free(&cfg);
    tk_net_request req;
    memset(&req, 0, sizeof(req));
    req.method = TK_NET_POST;
    req.request_id = "other";
    tk_net_response resp;
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(tk_tam_handle(other, &req, &resp), TK_OK);
    assert_int_equal(resp.status, 200);
    memcpy(reply, resp.body, resp.body_len);
    reply_len = resp.body_len;
    tk_net_response_clear(&resp);
    tk_tam_close(other);

    size_t len = agent_answer();
    assert_true(len > 0);
    snapshot before;
    take_snapshot(&before);
    assert_int_equal(post(msg, len), 409);
    assert_unchanged(&before);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
}

/* A response after the session lifetime gets 409. */
static void test_expired_token(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    env.now += 24 * 3600 + 1;
    size_t len = agent_answer();
    assert_true(len > 0);
    snapshot before;
    take_snapshot(&before);
    assert_int_equal(post(msg, len), 409);
    assert_unchanged(&before);
    assert_int_equal(rejected(), 1);
}

/* A QueryResponse signed with ES384, which the TAM does not offer, is
 * dropped with 400 before its token is touched. */
static void test_unsupported_suite_signature(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    size_t len = agent_answer();
    tk_view p = payload_of(msg, len);
    static uint8_t payload[ENV_MESSAGE_MAX];
    size_t payload_len = p.len;
    memcpy(payload, p.ptr, p.len);

    tk_key p384;
    tk_key_init(&p384);
    const tk_crypto *c = tk_crypto_openssl();
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P384, &p384), TK_OK);
    tk_teep_signer es384 = {TK_ALG_ES384, &p384, {agent.sim.kid, 32}};
    static uint8_t forged[ENV_MESSAGE_MAX];
    size_t forged_len = sign(&es384, payload, payload_len, forged,
                             sizeof(forged));
    tk_key_release(&p384);

    snapshot before;
    take_snapshot(&before);
    assert_int_equal(post(forged, forged_len), 400);
    assert_unchanged(&before);
    /* The real response still works: its token was not consumed. */
    assert_int_equal(post(msg, len), 200);
}

/* An Error ERR_UNSUPPORTED_CIPHER_SUITES that lists no suite of the TAM
 * ends the exchange: 204, recorded, and the token is used up. */
static void test_unsupported_suite_error(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    uint8_t token[64];
    size_t token_len = reply_token(token);
    size_t qresp_len = agent_answer();
    static uint8_t qresp[ENV_MESSAGE_MAX];
    memcpy(qresp, msg, qresp_len);

    tk_teep_message m;
    memset(&m, 0, sizeof(m));
    m.type = TK_TEEP_ERROR;
    m.token = (tk_view){token, token_len};
    TK_TEEP_SET(&m, TK_TEEP_LABEL_TOKEN);
    m.err_code = TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES;
    m.suite_count = 1;
    tk_teep_suite_sign1(&m.suites[0], TK_ALG_ES384);
    TK_TEEP_SET(&m, TK_TEEP_LABEL_SUPPORTED_SUITES);
    uint8_t payload[256];
    size_t payload_len = 0;
    assert_int_equal(tk_teep_encode(&m, payload, sizeof(payload),
                                    &payload_len),
                     TK_OK);
    size_t len =
        sign(&agent.sim.signer, payload, payload_len, msg, sizeof(msg));
    assert_int_equal(post(msg, len), 204);
    assert_int_equal(count_audit(&env, "query.error"), 1);
    assert_int_equal(post(qresp, qresp_len), 409);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
}

/* Reserved and wrong-direction types are dropped with 400, and the
 * token they carry stays usable. */
static void test_unknown_and_wrong_types(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    uint8_t token[64];
    size_t token_len = reply_token(token);
    size_t qresp_len = agent_answer();
    static uint8_t qresp[ENV_MESSAGE_MAX];
    memcpy(qresp, msg, qresp_len);

    static const uint32_t types[] = {0, 4, 7, 23, 200, TK_TEEP_QUERY_REQUEST,
                                     TK_TEEP_UPDATE};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        uint8_t payload[128];
        size_t payload_len = bare_message(types[i], token, token_len,
                                          payload, sizeof(payload));
        size_t len =
            sign(&agent.sim.signer, payload, payload_len, msg, sizeof(msg));
        snapshot before;
        take_snapshot(&before);
        assert_int_equal(post(msg, len), 400);
        assert_unchanged(&before);
    }
    assert_int_equal(post(qresp, qresp_len), 200);
    assert_int_equal(rejected(), 7);
}

/* A message whose signer is not registered gets 403; garbage and a
 * truncated message get 400. */
static void test_unknown_key_and_garbage(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    size_t len = agent_answer();
    tk_view p = payload_of(msg, len);
    static uint8_t payload[ENV_MESSAGE_MAX];
    size_t payload_len = p.len;
    memcpy(payload, p.ptr, p.len);
    tk_teep_signer rogue = {TK_ALG_ESP256, &agent.rogue,
                            {agent.rogue_kid, 32}};
    static uint8_t forged[ENV_MESSAGE_MAX];
    size_t forged_len = sign(&rogue, payload, payload_len, forged,
                             sizeof(forged));
    snapshot before;
    take_snapshot(&before);
    assert_int_equal(post(forged, forged_len), 403);

    /* The right kid with another key's signature. */
    tk_teep_signer impostor = {
        TK_ALG_ESP256, &agent.rogue, {agent.sim.kid, 32}};
    forged_len = sign(&impostor, payload, payload_len, forged,
                      sizeof(forged));
    assert_int_equal(post(forged, forged_len), 403);

    static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(post(garbage, sizeof(garbage)), 400);
    assert_int_equal(post(msg, len - 1), 400);
    assert_unchanged(&before);
    assert_int_equal(post(msg, len), 200);
}

/* A body with another media type gets 415 from the handler itself. */
static void test_bad_media_type(void **state)
{
    (void)state;
    tk_net_request req;
    memset(&req, 0, sizeof(req));
    req.method = TK_NET_POST;
    req.content_type = "application/cbor";
    req.body = (tk_view){(const uint8_t *)"\x80", 1};
    req.request_id = "media";
    tk_net_response resp;
    memset(&resp, 0, sizeof(resp));
    snapshot before;
    take_snapshot(&before);
    assert_int_equal(tk_tam_handle(env.tam, &req, &resp), TK_OK);
    assert_int_equal(resp.status, 415);
    assert_int_equal(resp.body_len, 0);
    tk_net_response_clear(&resp);
    assert_unchanged(&before);
}

/* A Success signed by another device than the one the Update went to
 * gets 403. */
static void test_other_device_success(void **state)
{
    (void)state;
    test_agent *other = malloc(sizeof(*other));
    assert_non_null(other);
    agent_init(other, &env, 4);
    assert_int_equal(post(NULL, 0), 200);
    size_t len = agent_answer();
    assert_int_equal(post(msg, len), 200);
    uint8_t token[64];
    size_t token_len = reply_token(token);
    uint8_t payload[128];
    size_t payload_len = bare_message(TK_TEEP_SUCCESS, token, token_len,
                                      payload, sizeof(payload));
    len = sign(&other->sim.signer, payload, payload_len, msg, sizeof(msg));
    snapshot before;
    take_snapshot(&before);
    assert_int_equal(post(msg, len), 403);
    assert_unchanged(&before);
    agent_release(other);
    free(other);
}

/* An agent key removed from the store stops working at once, although
 * the TAM keeps the parsed key. */
static void test_removed_key_rejected(void **state)
{
    (void)state;
    exchange *ex = malloc(sizeof(*ex));
    assert_non_null(ex);
    assert_int_equal(run_exchange(&env, &agent, ex), 3);
    assert_int_equal(post(NULL, 0), 200);
    size_t len = agent_answer();
    assert_true(len > 0);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_key key;
    assert_int_equal(tk_store_key_find(env.store, TK_STORE_KEY_AGENT,
                                       (tk_view){agent.sim.kid, 32}, &mem, &key,
                                       NULL),
                     TK_OK);
    assert_int_equal(tk_store_key_delete(env.store, key.id, NULL, NULL),
                     TK_OK);
    tk_store_mem_free(&mem);
    snapshot before;
    take_snapshot(&before);
    assert_int_equal(post(msg, len), 403);
    assert_unchanged(&before);
    free(ex);
}

/* Signs a QueryResponse with the agent key: an empty tc-list, the token
 * (when token_len > 0) and an attestation payload with format (when
 * payload is not NULL). */
static size_t query_response(const uint8_t *token, size_t token_len,
                             const char *format, const char *payload)
{
    tk_teep_message m;
    memset(&m, 0, sizeof(m));
    m.type = TK_TEEP_QUERY_RESPONSE;
    if (token_len > 0) {
        m.token = (tk_view){token, token_len};
        TK_TEEP_SET(&m, TK_TEEP_LABEL_TOKEN);
    }
    TK_TEEP_SET(&m, TK_TEEP_LABEL_TC_LIST);
    if (payload != NULL) {
        m.attestation_payload = (tk_view){(const uint8_t *)payload,
                                          strlen(payload)};
        TK_TEEP_SET(&m, TK_TEEP_LABEL_ATTESTATION_PAYLOAD);
    }
    if (format != NULL) {
        m.attestation_format = (tk_view){(const uint8_t *)format,
                                         strlen(format)};
        TK_TEEP_SET(&m, TK_TEEP_LABEL_ATTESTATION_FORMAT);
    }
    uint8_t payload_buf[512];
    size_t len = 0;
    assert_int_equal(tk_teep_encode(&m, payload_buf, sizeof(payload_buf),
                                    &len),
                     TK_OK);
    return sign(&agent.sim.signer, payload_buf, len, msg, sizeof(msg));
}

/* Reads the err-code of the Update in the last reply (0 when none). */
static uint32_t reply_err_code(size_t *manifests)
{
    tk_view p = payload_of(reply, reply_len);
    tk_teep_message m;
    assert_int_equal(tk_teep_decode(p.ptr, p.len, &m, NULL), TK_OK);
    assert_int_equal(m.type, TK_TEEP_UPDATE);
    *manifests = m.manifest_count;
    return TK_TEEP_HAS(&m, TK_TEEP_LABEL_ERR_CODE) ? m.err_code : 0;
}

/* Checks the newest attestation result: failed, with reason. */
static void assert_failed_attestation(tk_err reason)
{
    tk_store_attestation at;
    assert_int_equal(count_attestations(&env, device, &at), 1);
    assert_int_equal(at.verdict, TK_STORE_VERDICT_FAILED);
    assert_int_equal(at.reason_code, reason);
    assert_int_equal(count_audit(&env, "attestation.failed"), 1);
}

/* A QueryResponse without the evidence that was requested installs
 * nothing: the Update carries ERR_ATTESTATION_REQUIRED. */
static void test_attestation_missing(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    uint8_t token[64];
    size_t token_len = reply_token(token);
    size_t len = query_response(token, token_len, NULL, NULL);
    assert_int_equal(post(msg, len), 200);
    size_t manifests = 99;
    assert_int_equal(reply_err_code(&manifests),
                     TK_TEEP_ERR_ATTESTATION_REQUIRED);
    assert_int_equal(manifests, 0);
    assert_failed_attestation(TK_ERR_TEEP_ATTESTATION_MISSING);
    assert_int_equal(count_installed(&env, device, NULL, NULL), 0);
}

/* Evidence in an unknown format never reaches the verifier. */
static void test_attestation_unknown_format(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    uint8_t token[64];
    size_t token_len = reply_token(token);
    size_t len = query_response(token, token_len, "application/unknown",
                                "not evidence");
    assert_int_equal(post(msg, len), 200);
    size_t manifests = 99;
    assert_int_equal(reply_err_code(&manifests),
                     TK_TEEP_ERR_ATTESTATION_REQUIRED);
    assert_int_equal(manifests, 0);
    assert_failed_attestation(TK_ERR_TEEP_ATTESTATION_FORMAT);
}

/* An unsolicited QueryResponse (no token) gets a fresh QueryRequest and
 * installs nothing. */
static void test_unsolicited_query_response(void **state)
{
    (void)state;
    size_t len = query_response(NULL, 0, NULL, NULL);
    assert_int_equal(post(msg, len), 200);
    tk_view p = payload_of(reply, reply_len);
    tk_teep_message m;
    assert_int_equal(tk_teep_decode(p.ptr, p.len, &m, NULL), TK_OK);
    assert_int_equal(m.type, TK_TEEP_QUERY_REQUEST);
    assert_true(TK_TEEP_HAS(&m, TK_TEEP_LABEL_CHALLENGE));
    assert_int_equal(count_installed(&env, device, NULL, NULL), 0);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
}

/* A bare [] and [99, {}], correctly signed, get 400. */
static void test_malformed_payloads(void **state)
{
    (void)state;
    static const uint8_t empty[] = {0x80};
    static const uint8_t type99[] = {0x82, 0x18, 0x63, 0xa0};
    snapshot before;
    take_snapshot(&before);
    size_t len =
        sign(&agent.sim.signer, empty, sizeof(empty), msg, sizeof(msg));
    assert_int_equal(post(msg, len), 400);
    len = sign(&agent.sim.signer, type99, sizeof(type99), msg, sizeof(msg));
    assert_int_equal(post(msg, len), 400);
    assert_unchanged(&before);
}

/* The status of each rejection reason. */
static void test_status_mapping(void **state)
{
    (void)state;
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_MALFORMED), 400);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_UNKNOWN_TYPE), 400);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_WRONG_DIRECTION), 400);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_NOT_COSE), 400);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_SUITE_MISMATCH), 400);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_REPORT_NONCE), 400);
    assert_int_equal(tk_tam_status_for(TK_ERR_CBOR_TRUNCATED), 400);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_UNKNOWN_KEY), 403);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_SIGNATURE), 403);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_DEVICE_MISMATCH), 403);
    assert_int_equal(tk_tam_status_for(TK_ERR_TAM_DEVICE_BLOCKED), 403);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_TOKEN_UNKNOWN), 409);
    assert_int_equal(tk_tam_status_for(TK_ERR_TEEP_TOKEN_EXPIRED), 409);
    assert_int_equal(tk_tam_status_for(TK_ERR_STORE_BUSY), 503);
    assert_int_equal(tk_tam_status_for(TK_ERR_STORE_TIMEOUT), 503);
    assert_int_equal(tk_tam_status_for(TK_ERR_STORE_BACKEND), 500);
    assert_int_equal(tk_tam_status_for(TK_ERR_TAM_SESSION_CONTEXT), 500);
    assert_int_equal(tk_tam_status_for(TK_ERR_CRYPTO_RANDOM), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_replay_query_response_and_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_suite_signature,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_suite_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_wrong_types, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_and_garbage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_media_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_device_success, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_removed_key_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attestation_missing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attestation_unknown_format,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsolicited_query_response,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_payloads, setup,
                                        teardown),
        cmocka_unit_test(test_status_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
