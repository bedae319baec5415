/*
 * Rollback through every path at the TEEP layer, with real SUIT envelopes
 * processed by the real SUIT processor: the agent has the Trusted
 * Component installed by a manifest with sequence number 5, and an Update
 * brings (a) sequence 4, (b) sequence 5 with another manifest digest, and
 * (c) sequence 4 right after a sequence 6 whose install failed part-way.
 * Every one must be answered with an Error carrying
 * ERR_MANIFEST_PROCESSING_FAILED (17) and a SUIT report whose nonce is the
 * Update's token, and the component's image and its stored sequence
 * number must stay those of sequence 5.
 */
#include <stdlib.h>
#include <string.h>

#include "hs.h"
#include "ht.h"

static hs_device g_dev;
static hs_agent g_agent;

static const uint8_t g_token[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                    0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
                                    0xac, 0xad, 0xae, 0xaf};

/* The SUIT_Digest bytes (SHA-256) of the bstr-wrapped manifest of env. */
static void manifest_digest(const uint8_t *env, size_t len, uint8_t out[32])
{
    tk_suit_envelope e;
    assert_int_equal(tk_suit_envelope_decode(hs_view(env, len), &e, NULL),
                     TK_OK);
    hs_sha256(e.manifest_wrapped.ptr, e.manifest_wrapped.len, out);
}

/* Installs sequence 5 (fetched form) on a fresh device and readies the
 * agent for an Update. */
static void setup_device(void)
{
    hs_device_free(&g_dev);
    hs_device_init(&g_dev);
    hs_device_add_uri(&g_dev, hs_tc_uri, hs_tc_payload, sizeof hs_tc_payload);
    uint8_t env[4096];
    size_t len = hs_tc_envelope(5, false, env, sizeof env);
    tk_suit_installed rec;
    memset(&rec, 0, sizeof rec);
    rec.sequence_number = 5;
    rec.digest_alg = TK_ALG_SHA256;
    rec.digest_len = 32;
    manifest_digest(env, len, rec.digest);
    hs_device_set(&g_dev, hs_view(hs_tc_id, sizeof hs_tc_id), hs_tc_payload,
                  sizeof hs_tc_payload, &rec);
    hs_agent_init(&g_agent, &g_dev);
    g_agent.state.phase = 1;
    g_agent.state.alg = TK_ALG_ESP256;
    g_agent.state.deadline = g_agent.now + 3600;
    g_agent.state.tam_kid_len = 3;
    memcpy(g_agent.state.tam_kid, "tam", 3);
}

/* Sends an Update with one envelope to the agent; returns the decoded
 * reply in *reply. */
static tk_err send_update(const uint8_t *env, size_t env_len,
                          const uint8_t *token, tk_teep_agent_result *res,
                          tk_teep_message *reply)
{
    tk_teep_message m;
    memset(&m, 0, sizeof m);
    m.type = TK_TEEP_UPDATE;
    m.token = hs_view(token, 16);
    TK_TEEP_SET(&m, TK_TEEP_LABEL_TOKEN);
    m.manifest_count = 1;
    m.manifests[0] = hs_view(env, env_len);
    TK_TEEP_SET(&m, TK_TEEP_LABEL_MANIFEST_LIST);
    static uint8_t msg[HS_BUF], out[HS_BUF], copy[HS_BUF];
    size_t len = 0;
    const hs_keys *k = hs_keys_get();
    tk_teep_signer tam = {TK_ALG_ESP256, &k->tam_p256, hs_str(HS_TAM_P256_KID)};
    assert_int_equal(hs_teep_sign(&m, &tam, msg, sizeof msg, &len), TK_OK);
    memset(res, 0, sizeof *res);
    tk_err err = tk_teep_agent_handle(&g_agent.agent, &g_agent.state,
                                      hs_view(msg, len), out, sizeof out, res);
    assert_true(res->out_len > 0);
    assert_int_equal(
        hs_open(hs_view(out, res->out_len), reply, copy, sizeof copy), TK_OK);
    return err;
}

/* Checks the Error 17, its report, and that sequence 5 is still what the
 * device holds. */
static void expect_rejected(ht_table *t, tk_err err,
                            const tk_teep_agent_result *res,
                            const tk_teep_message *reply,
                            const uint8_t fingerprint[32], const char *what)
{
    ht_expect(t, err, TK_OK, what); /* the Update itself is accepted */
    ht_true(t, res->failed == 1, what);
    ht_true(t, res->installed == 0, what);
    ht_true(t, reply->type == TK_TEEP_ERROR, what);
    ht_true(t, reply->err_code == TK_TEEP_ERR_MANIFEST_PROCESSING_FAILED, what);
    ht_true(t, reply->report_count == 1, what);
    tk_suit_report report;
    tk_suit_record records[16];
    if (reply->report_count == 1) {
        ht_expect(t,
                  tk_suit_report_decode(reply->suit_reports[0], NULL, NULL,
                                        &report, records, 16),
                  TK_OK, what);
        ht_true(t, !report.success, what);
        ht_true(t,
                report.nonce.len == 16 &&
                    memcmp(report.nonce.ptr, reply->token.ptr, 16) == 0,
                what);
    }
    uint8_t now[32];
    hs_device_fingerprint(&g_dev, now);
    ht_true(t, memcmp(now, fingerprint, 32) == 0, what);
    const hs_image *img =
        hs_device_image(&g_dev, hs_view(hs_tc_id, sizeof hs_tc_id));
    ht_true(t, img != NULL && img->len == sizeof hs_tc_payload, what);
    ht_true(t, g_dev.comps[0].record.sequence_number == 5, what);
}

static void rollback_every_path(void **state)
{
    (void)state;
    ht_table table = {"rollback paths", 0, 0};
    uint8_t env[4096];
    uint8_t fingerprint[32];
    tk_teep_agent_result res;
    static tk_teep_message reply;

    /* (a) Sequence 4, directly in the Update. */
    setup_device();
    hs_device_fingerprint(&g_dev, fingerprint);
    size_t len = hs_tc_envelope(4, false, env, sizeof env);
    tk_err err = send_update(env, len, g_token, &res, &reply);
    expect_rejected(&table, err, &res, &reply, fingerprint, "sequence 4");

    /* (b) Sequence 5 again, but another manifest (the integrated form). */
    setup_device();
    hs_device_fingerprint(&g_dev, fingerprint);
    len = hs_tc_envelope(5, true, env, sizeof env);
    err = send_update(env, len, g_token, &res, &reply);
    expect_rejected(&table, err, &res, &reply, fingerprint,
                    "sequence 5 with another digest");

    /* (c) Sequence 6 fails part-way (its payload cannot be fetched), then
     * sequence 4 arrives in the next Update. */
    setup_device();
    hs_device_fingerprint(&g_dev, fingerprint);
    g_dev.nuris = 0;
    len = hs_tc_envelope(6, false, env, sizeof env);
    err = send_update(env, len, g_token, &res, &reply);
    expect_rejected(&table, err, &res, &reply, fingerprint,
                    "sequence 6 whose fetch fails");
    hs_device_add_uri(&g_dev, hs_tc_uri, hs_tc_payload, sizeof hs_tc_payload);
    g_agent.state.phase = 1;
    g_agent.state.deadline = g_agent.now + 3600;
    uint8_t token2[16];
    memcpy(token2, g_token, 16);
    token2[15] ^= 0xff;
    len = hs_tc_envelope(4, false, env, sizeof env);
    err = send_update(env, len, token2, &res, &reply);
    expect_rejected(&table, err, &res, &reply, fingerprint,
                    "sequence 4 after the failed sequence 6");

    /* And sequence 6 with its payload available is installed. */
    setup_device();
    len = hs_tc_envelope(6, false, env, sizeof env);
    err = send_update(env, len, g_token, &res, &reply);
    ht_expect(&table, err, TK_OK, "sequence 6");
    ht_true(&table, res.installed == 1, "sequence 6 installed");
    ht_true(&table, reply.type == TK_TEEP_SUCCESS, "sequence 6 succeeds");
    ht_true(&table, g_dev.comps[0].record.sequence_number == 6,
            "sequence 6 recorded");
    hs_device_free(&g_dev);
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rollback_every_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
