/*
 * Fault injection: each crypto call, SUIT platform callback and TEEP
 * callback fails in turn, and the top-level call must fail closed.
 *
 * Each test first runs the operation with nothing armed and counts the
 * calls, then for each n from 1 to that count arms a failure of call n
 * and runs the operation again on fresh state. It asserts that an error
 * comes back (or, where the protocol answers a failure with a message, an
 * Error that reports it), that no component was written, that nothing was
 * recorded as a success, and that a rejected message changed no state.
 */
#include <stdlib.h>
#include <string.h>

#include "hs.h"
#include "ht.h"
#include "tk_crypto_fault.h"

static tk_crypto_fault g_fault;

static const tk_crypto *faulty(void)
{
    tk_crypto_fault_init(&g_fault, hs_crypto());
    return &g_fault.table;
}

static const uint8_t g_payload[] = "This is the content.";

/* ---- COSE verify and decrypt ------------------------------------------ */

static tk_err cose_lookup(void *arg, tk_view kid, tk_alg alg,
                          const tk_key **key)
{
    const hs_keys *k = arg;
    (void)kid;
    if (tk_crypto_sig_curve(alg) == TK_CRV_P256)
        *key = &k->suit_p256;
    else if (tk_crypto_sig_curve(alg) == TK_CRV_ED25519)
        *key = &k->suit_ed25519;
    else if (alg == TK_ALG_HMAC_256_256)
        *key = &k->hmac256;
    else if (alg == TK_ALG_A128GCM || alg == TK_ALG_A128KW)
        *key = &k->aes128;
    else if (alg == TK_COSE_ALG_ECDH_ES_A128KW)
        *key = &k->ecdh_p256;
    else
        return TK_ERR_NOT_FOUND;
    return TK_OK;
}

typedef enum cose_kind {
    SIGN1,
    SIGN,
    MAC0,
    MAC,
    ENC0,
    ENC,
    ENC_ECDH
} cose_kind;

static size_t cose_build(cose_kind kind, uint8_t *out, size_t cap)
{
    const hs_keys *keys = hs_keys_get();
    static uint8_t scratch[4096];
    tk_cose_build b;
    memset(&b, 0, sizeof b);
    b.scratch = scratch;
    b.scratch_len = sizeof scratch;
    tk_view payload = hs_view(g_payload, sizeof g_payload - 1);
    tk_cose_signer signers[2] = {
        {TK_ALG_ESP256, &keys->suit_p256, hs_str("a")},
        {TK_ALG_ED25519, &keys->suit_ed25519, hs_str("b")}};
    tk_cose_recipient_params kw = {
        TK_ALG_A128KW, &keys->aes128, hs_str("k"), NULL, {NULL, 0}};
    tk_cose_recipient_params ecdh = {TK_COSE_ALG_ECDH_ES_A128KW,
                                     &keys->ecdh_p256,
                                     hs_str("e"),
                                     NULL,
                                     {NULL, 0}};
    const tk_crypto *c = hs_crypto();
    size_t len = 0;
    tk_err err;
    switch (kind) {
    case SIGN1:
        b.alg = TK_ALG_ESP256;
        b.key = &keys->suit_p256;
        err = tk_cose_sign1_sign(c, &b, payload, out, cap, &len);
        break;
    case SIGN:
        b.signers = signers;
        b.signer_count = 2;
        err = tk_cose_sign_sign(c, &b, payload, out, cap, &len);
        break;
    case MAC0:
        b.alg = TK_ALG_HMAC_256_256;
        b.key = &keys->hmac256;
        err = tk_cose_mac0_create(c, &b, payload, out, cap, &len);
        break;
    case MAC:
        b.alg = TK_ALG_HMAC_256_256;
        b.recipients = &kw;
        b.recipient_count = 1;
        err = tk_cose_mac_create(c, &b, payload, out, cap, &len);
        break;
    case ENC0:
        b.alg = TK_ALG_A128GCM;
        b.key = &keys->aes128;
        err = tk_cose_encrypt0_encrypt(c, &b, payload, out, cap, &len);
        break;
    case ENC:
        b.alg = TK_ALG_A128GCM;
        b.recipients = &kw;
        b.recipient_count = 1;
        err = tk_cose_encrypt_encrypt(c, &b, payload, out, cap, &len);
        break;
    case ENC_ECDH:
    default:
        b.alg = TK_ALG_A128GCM;
        b.recipients = &ecdh;
        b.recipient_count = 1;
        err = tk_cose_encrypt_encrypt(c, &b, payload, out, cap, &len);
        break;
    }
    assert_int_equal(err, TK_OK);
    return len;
}

static tk_err cose_check(const tk_crypto *c, cose_kind kind, const uint8_t *msg,
                         size_t len, uint8_t *plain, size_t *plain_len)
{
    tk_cose_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.lookup = cose_lookup;
    opts.lookup_arg = (void *)hs_keys_get();
    opts.signature_index = TK_COSE_ANY_SIGNATURE;
    opts.flags = kind == SIGN ? TK_COSE_OPT_ALL_SIGNATURES : 0;
    tk_view in = hs_view(msg, len);
    *plain_len = 0;
    switch (kind) {
    case SIGN1:
        return tk_cose_sign1_verify(c, in, &opts, NULL);
    case SIGN:
        return tk_cose_sign_verify(c, in, &opts, NULL);
    case MAC0:
        return tk_cose_mac0_verify(c, in, &opts, NULL);
    case MAC:
        return tk_cose_mac_verify(c, in, &opts, NULL);
    case ENC0:
        return tk_cose_encrypt0_decrypt(c, in, &opts, plain, 256, plain_len,
                                        NULL);
    default:
        return tk_cose_encrypt_decrypt(c, in, &opts, plain, 256, plain_len,
                                       NULL);
    }
}

static void cose_crypto_faults(void **state)
{
    (void)state;
    ht_table table = {"cose crypto faults", 0, 0};
    static const char *const names[] = {
        "sign1", "sign", "mac0", "mac", "encrypt0", "encrypt", "encrypt ecdh"};
    uint8_t msg[4096], plain[256];
    size_t plain_len;
    char what[96];
    for (int k = SIGN1; k <= ENC_ECDH; k++) {
        size_t len = cose_build((cose_kind)k, msg, sizeof msg);
        const tk_crypto *c = faulty();
        assert_int_equal(
            cose_check(c, (cose_kind)k, msg, len, plain, &plain_len), TK_OK);
        unsigned long calls = g_fault.calls;
        assert_true(calls > 0);
        for (unsigned long n = 1; n <= calls; n++) {
            tk_crypto_fault_arm(&g_fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
            memset(plain, 0x55, sizeof plain);
            tk_err err =
                cose_check(c, (cose_kind)k, msg, len, plain, &plain_len);
            snprintf(what, sizeof what, "%s, call %lu of %lu", names[k], n,
                     calls);
            ht_true(&table, err != TK_OK, what);
            ht_true(&table, g_fault.failures == 1, what);
            /* No plaintext is released from a failed decryption. */
            ht_true(&table, plain_len == 0, what);
            ht_true(&table, memcmp(plain, g_payload, sizeof g_payload - 1) != 0,
                    what);
        }
    }
    ht_done(&table);
}

/* ---- SUIT: crypto and platform callbacks ------------------------------ */

static hs_device g_dev;

static void device_reset(void)
{
    hs_device_free(&g_dev);
    hs_device_init(&g_dev);
    tk_suit_installed rec;
    memset(&rec, 0, sizeof rec);
    rec.sequence_number = 2;
    hs_device_set(&g_dev, hs_view(hs_tc_id, sizeof hs_tc_id),
                  (const uint8_t *)"old image", 9, &rec);
    hs_device_add_uri(&g_dev, hs_tc_uri, hs_tc_payload, sizeof hs_tc_payload);
}

static tk_err suit_run(const tk_crypto *c, const uint8_t *env, size_t len,
                       tk_suit_operation op)
{
    static tk_suit_processor proc;
    static tk_suit_record records[32];
    tk_suit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.crypto = c;
    cfg.platform = &g_dev.pf;
    cfg.records = records;
    cfg.record_cap = 32;
    assert_int_equal(tk_suit_processor_init(&proc, &cfg), TK_OK);
    return tk_suit_process(&proc, hs_view(env, len), op);
}

static void suit_faults(void **state)
{
    (void)state;
    ht_table table = {"suit faults", 0, 0};
    static uint8_t envs[2][4096];
    size_t lens[2] = {hs_tc_envelope(3, false, envs[0], sizeof envs[0]),
                      hs_tc_envelope(4, true, envs[1], sizeof envs[1])};
    static const char *const names[2] = {"fetched", "integrated"};
    char what[128];
    for (size_t e = 0; e < 2; e++) {
        /* Crypto calls. */
        device_reset();
        const tk_crypto *c = faulty();
        assert_int_equal(suit_run(c, envs[e], lens[e], TK_SUIT_OP_UPDATE),
                         TK_OK);
        unsigned long calls = g_fault.calls;
        for (unsigned long n = 1; n <= calls; n++) {
            device_reset();
            uint8_t before[32], after[32];
            hs_device_fingerprint(&g_dev, before);
            tk_crypto_fault_arm(&g_fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
            tk_err err = suit_run(c, envs[e], lens[e], TK_SUIT_OP_UPDATE);
            hs_device_fingerprint(&g_dev, after);
            snprintf(what, sizeof what, "%s, crypto call %lu of %lu", names[e],
                     n, calls);
            ht_true(&table, err != TK_OK, what);
            ht_true(&table, memcmp(before, after, 32) == 0, what);
            ht_true(&table, g_dev.commits == 0, what);
        }

        /* Platform callbacks. */
        device_reset();
        hs_device_arm(&g_dev, 0, TK_OK);
        assert_int_equal(
            suit_run(hs_crypto(), envs[e], lens[e], TK_SUIT_OP_UPDATE), TK_OK);
        calls = g_dev.calls;
        assert_true(calls > 0);
        for (unsigned long n = 1; n <= calls; n++) {
            device_reset();
            uint8_t before[32], after[32];
            hs_device_fingerprint(&g_dev, before);
            hs_device_arm(&g_dev, n, TK_ERR_CALLBACK);
            tk_err err =
                suit_run(hs_crypto(), envs[e], lens[e], TK_SUIT_OP_UPDATE);
            hs_device_fingerprint(&g_dev, after);
            snprintf(what, sizeof what, "%s, callback %lu of %lu (%s)",
                     names[e], n, calls,
                     g_dev.failed_callback ? g_dev.failed_callback : "?");
            ht_true(&table, g_dev.failed_callback != NULL, what);
            ht_true(&table, err != TK_OK, what);
            ht_true(&table, memcmp(before, after, 32) == 0, what);
            ht_true(&table, g_dev.commits == 0, what);
            ht_true(&table, !g_dev.in_procedure, what);
        }
    }
    hs_device_free(&g_dev);
    ht_done(&table);
}

/* ---- EAT appraisal ---------------------------------------------------- */

static void eat_crypto_faults(void **state)
{
    (void)state;
    ht_table table = {"eat crypto faults", 0, 0};
    static const uint8_t nonce[16] = {7, 7, 7, 7, 7, 7, 7, 7, 7};
    const hs_keys *k = hs_keys_get();
    tk_eat_claims claims;
    hs_eat_claims(&claims, hs_view(nonce, sizeof nonce), 1767225600);
    uint8_t encoded[1024], token[2048];
    size_t elen = 0, tlen = 0;
    assert_int_equal(
        tk_eat_encode_claims(&claims, encoded, sizeof encoded, &elen), TK_OK);
    assert_int_equal(hs_sign1(&k->attester, TK_ALG_ESP256,
                              hs_str(HS_ATTESTER_KID), hs_view(encoded, elen),
                              token, sizeof token, &tlen),
                     TK_OK);
    tk_eat_appraisal a;
    memset(&a, 0, sizeof a);
    a.crypto = faulty();
    a.ref = hs_eat_reference();
    a.flags = TK_EAT_PROFILE_TEEP;
    a.nonce = hs_view(nonce, sizeof nonce);
    a.now = 1767225600;
    a.cnf_kid = hs_view(k->agent_kid, sizeof k->agent_kid);
    static tk_eat_result res;
    assert_int_equal(tk_eat_appraise(&a, token, tlen, &res), TK_OK);
    unsigned long calls = g_fault.calls;
    assert_true(calls > 0);
    char what[64];
    for (unsigned long n = 1; n <= calls; n++) {
        tk_crypto_fault_arm(&g_fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
        tk_err err = tk_eat_appraise(&a, token, tlen, &res);
        snprintf(what, sizeof what, "appraisal, call %lu of %lu", n, calls);
        ht_true(&table, err != TK_OK, what);
        ht_true(&table, res.status == TK_EAT_STATUS_CONTRAINDICATED, what);
        ht_true(&table, res.reason == err, what);
    }
    ht_done(&table);
}

/* ---- TEEP: a whole exchange with a fault at one step ------------------ */

typedef struct exchange {
    hs_tam tam;
    hs_agent agent;
    uint8_t msg[HS_BUF];
    size_t len;
    uint8_t envelope[4096];
} exchange;

static hs_device g_agent_dev;

static void exchange_init(exchange *x)
{
    hs_device_free(&g_agent_dev);
    hs_device_init(&g_agent_dev);
    hs_device_add_uri(&g_agent_dev, hs_tc_uri, hs_tc_payload,
                      sizeof hs_tc_payload);
    hs_tam_init(&x->tam);
    hs_agent_init(&x->agent, &g_agent_dev);
    size_t n = hs_tc_envelope(3, false, x->envelope, sizeof x->envelope);
    assert_true(n > 0);
    x->tam.policy_count = 1;
    x->tam.policy_manifests[0] = hs_view(x->envelope, n);
}

/* The steps of an exchange. Each returns the status of its handler; the
 * message it produced is in x->msg. */
static tk_err step_query(exchange *x, tk_teep_tam_result *res)
{
    memset(res, 0, sizeof *res);
    tk_err err = tk_teep_tam_start(&x->tam.tam, hs_view(NULL, 0), TK_ALG_NONE,
                                   x->msg, sizeof x->msg, res);
    x->len = res->out_len;
    return err;
}

static tk_err step_agent(exchange *x, tk_teep_agent_result *res)
{
    static uint8_t out[HS_BUF];
    memset(res, 0, sizeof *res);
    tk_err err =
        tk_teep_agent_handle(&x->agent.agent, &x->agent.state,
                             hs_view(x->msg, x->len), out, sizeof out, res);
    memcpy(x->msg, out, res->out_len);
    x->len = res->out_len;
    return err;
}

static tk_err step_tam(exchange *x, tk_teep_tam_result *res)
{
    static uint8_t out[HS_BUF];
    memset(res, 0, sizeof *res);
    tk_err err = tk_teep_tam_handle(&x->tam.tam, hs_view(x->msg, x->len), out,
                                    sizeof out, res);
    memcpy(x->msg, out, res->out_len);
    x->len = res->out_len;
    return err;
}

/* Runs the exchange up to (not including) step stop: 0 QueryRequest,
 * 1 QueryResponse, 2 Update, 3 Success, 4 the TAM's record. */
static void run_until(exchange *x, int stop)
{
    tk_teep_tam_result tr;
    tk_teep_agent_result ar;
    if (stop > 0)
        assert_int_equal(step_query(x, &tr), TK_OK);
    if (stop > 1) {
        assert_int_equal(step_agent(x, &ar), TK_OK);
        assert_int_equal(ar.sent_type, TK_TEEP_QUERY_RESPONSE);
    }
    if (stop > 2) {
        assert_int_equal(step_tam(x, &tr), TK_OK);
        assert_int_equal(tr.outcome, TK_TEEP_TAM_SEND_UPDATE);
        assert_int_equal(tr.manifests_sent, 1);
    }
    if (stop > 3) {
        assert_int_equal(step_agent(x, &ar), TK_OK);
        assert_int_equal(ar.sent_type, TK_TEEP_SUCCESS);
        assert_int_equal(ar.installed, 1);
    }
}

static bool tc_installed(void)
{
    return hs_device_image(&g_agent_dev, hs_view(hs_tc_id, sizeof hs_tc_id)) !=
           NULL;
}

/* Checks one faulted step of the exchange. */
static void check_step(ht_table *t, exchange *x, int step, const char *what)
{
    if (step == 0) {
        tk_teep_tam_result res;
        tk_err err = step_query(x, &res);
        /* A QueryRequest goes out only when its session was saved. */
        ht_true(t, err == TK_OK || res.out_len == 0, what);
        ht_true(t, err != TK_OK || x->tam.session_count == 1, what);
        ht_true(t, err != TK_OK || res.out_len > 0, what);
        return;
    }
    if (step == 1 || step == 3) {
        tk_teep_agent_state before;
        memcpy(&before, &x->agent.state, sizeof before);
        tk_teep_agent_result res;
        tk_err err = step_agent(x, &res);
        if (err != TK_OK)
            ht_true(t, memcmp(&before, &x->agent.state, sizeof before) == 0,
                    what);
        if (step == 1) {
            /* Without its evidence or inventory, the agent sends no
             * QueryResponse. */
            ht_true(t,
                    err != TK_OK || res.sent_type != TK_TEEP_QUERY_RESPONSE ||
                        x->agent.failed_callback == NULL,
                    what);
        } else {
            /* Success only for an installed component. A failure after
             * the install (signing the reply) cannot undo it, but the
             * result names it and nothing claims success. */
            ht_true(t, res.sent_type != TK_TEEP_SUCCESS || tc_installed(),
                    what);
            ht_true(t,
                    !tc_installed() || res.sent_type == TK_TEEP_SUCCESS ||
                        res.reason != TK_OK,
                    what);
            ht_true(t, res.installed == 0 || tc_installed(), what);
        }
        return;
    }
    /* The TAM handles a QueryResponse (2) or a Success (4). */
    unsigned long takes = x->tam.takes;
    unsigned long records = x->tam.records;
    tk_teep_tam_result res;
    tk_err err = step_tam(x, &res);
    if (err != TK_OK) {
        ht_true(t, res.outcome == TK_TEEP_TAM_REJECTED, what);
        ht_true(t, res.out_len == 0, what);
    }
    if (step == 2) {
        /* An Update with manifests only after every step succeeded. */
        ht_true(t, res.manifests_sent == 0, what);
        ht_true(t, takes <= x->tam.takes, what);
    } else {
        ht_true(t, x->tam.records == records, what);
    }
}

static void teep_crypto_faults(void **state)
{
    (void)state;
    ht_table table = {"teep crypto faults", 0, 0};
    static exchange x;
    char what[96];
    for (int step = 0; step <= 4; step++) {
        /* Count the crypto calls of this step. */
        exchange_init(&x);
        run_until(&x, step);
        const tk_crypto *c = faulty();
        x.tam.tam.crypto = c;
        x.agent.agent.crypto = c;
        tk_teep_tam_result tr;
        tk_teep_agent_result ar;
        if (step == 0)
            assert_int_equal(step_query(&x, &tr), TK_OK);
        else if (step == 1 || step == 3)
            assert_int_equal(step_agent(&x, &ar), TK_OK);
        else
            assert_int_equal(step_tam(&x, &tr), TK_OK);
        unsigned long calls = g_fault.calls;
        for (unsigned long n = 1; n <= calls; n++) {
            exchange_init(&x);
            run_until(&x, step);
            c = faulty();
            x.tam.tam.crypto = c;
            x.agent.agent.crypto = c;
            tk_crypto_fault_arm(&g_fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
            snprintf(what, sizeof what, "step %d, crypto call %lu of %lu", step,
                     n, calls);
            check_step(&table, &x, step, what);
            ht_true(&table, g_fault.failures == 1, what);
            if (step < 3)
                ht_true(&table, !tc_installed(), what);
        }
    }
    hs_device_free(&g_agent_dev);
    ht_done(&table);
}

static void teep_callback_faults(void **state)
{
    (void)state;
    ht_table table = {"teep callback faults", 0, 0};
    static exchange x;
    char what[128];
    for (int step = 0; step <= 4; step++) {
        exchange_init(&x);
        run_until(&x, step);
        hs_tam_arm(&x.tam, 0, TK_OK);
        hs_agent_arm(&x.agent, 0, TK_OK);
        tk_teep_tam_result tr;
        tk_teep_agent_result ar;
        bool agent_step = step == 1 || step == 3;
        if (step == 0)
            assert_int_equal(step_query(&x, &tr), TK_OK);
        else if (agent_step)
            assert_int_equal(step_agent(&x, &ar), TK_OK);
        else
            assert_int_equal(step_tam(&x, &tr), TK_OK);
        unsigned long calls = agent_step ? x.agent.calls : x.tam.calls;
        for (unsigned long n = 1; n <= calls; n++) {
            exchange_init(&x);
            run_until(&x, step);
            if (agent_step)
                hs_agent_arm(&x.agent, n, TK_ERR_CALLBACK);
            else
                hs_tam_arm(&x.tam, n, TK_ERR_CALLBACK);
            snprintf(what, sizeof what, "step %d, callback %lu of %lu", step, n,
                     calls);
            unsigned long takes = x.tam.takes;
            check_step(&table, &x, step, what);
            const char *failed =
                agent_step ? x.agent.failed_callback : x.tam.failed_callback;
            snprintf(what, sizeof what, "step %d, callback %lu of %lu (%s)",
                     step, n, calls, failed ? failed : "?");
            ht_true(&table, failed != NULL, what);
            /* A message whose signer is not known consumes no session. */
            if (failed != NULL && strcmp(failed, "agent_key") == 0)
                ht_true(&table, x.tam.takes == takes, what);
            if (step < 3)
                ht_true(&table, !tc_installed(), what);
        }
    }
    hs_device_free(&g_agent_dev);
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cose_crypto_faults),
        cmocka_unit_test(suit_faults),
        cmocka_unit_test(eat_crypto_faults),
        cmocka_unit_test(teep_crypto_faults),
        cmocka_unit_test(teep_callback_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
