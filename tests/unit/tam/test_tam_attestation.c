/*
 * The TAM's verifier: evidence signed by an unregistered key, a wrong
 * hwmodel, a stale nonce, a warning, a blocked device. Each failure is
 * stored with its reason, audited, and no manifest reaches the agent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tam_test_env.h"

static tam_env env;
static test_agent agent;
static exchange ex;
static int64_t device;

static void open_with(const char *const *config)
{
    env_open(&env, config);
    agent_init(&agent, &env, 2);
    int64_t app = env_add_component(&env, "app", 1);
    env_policy(&env, &agent, app, false);
    device = agent_device_id(&env, &agent);
}

static int setup(void **state)
{
    (void)state;
    open_with(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_release(&agent);
    env_close(&env);
    return 0;
}

/* Reads the reason text of the newest attestation result. */
static void latest_reason(char *out, size_t cap)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_attestation at;
    assert_int_equal(tk_store_attestation_latest(env.store, device, &mem,
                                                 &at, NULL),
                     TK_OK);
    snprintf(out, cap, "%s", at.reason);
    tk_store_mem_free(&mem);
}

/* Runs an exchange that must fail attestation with reason. The TAM
 * replies with an Update carrying ERR_ATTESTATION_REQUIRED, to which the
 * agent has nothing to reply, and nothing is installed or reported. */
static void expect_refused(tk_err reason, tk_store_verdict verdict)
{
    assert_int_equal(run_exchange(&env, &agent, &ex), 2);
    assert_int_equal(ex.status[1], 200);
    assert_int_equal(ex.reply_type[1], TK_TEEP_UPDATE);
    assert_int_equal(ex.last_agent.out_len, 0);
    assert_int_equal(ex.last_agent.tam_err_code,
                     TK_TEEP_ERR_ATTESTATION_REQUIRED);
    assert_int_equal(agent.sim.process_calls, 0);
    assert_int_equal(agent_sequence(&agent, "app"), 0);

    tk_store_attestation at;
    assert_int_equal(count_attestations(&env, device, &at), 1);
    assert_int_equal(at.verdict, verdict);
    assert_int_equal(at.reason_code, reason);
    char text[256];
    latest_reason(text, sizeof(text));
    assert_non_null(strstr(text, tk_errname(reason)));
    assert_int_equal(count_audit(&env, "attestation.failed"), 1);
    assert_int_equal(count_installed(&env, device, NULL, NULL), 0);
    assert_int_equal(count_reports(&env, device), 0);
    assert_int_equal(count_audit(&env, "update.success"), 0);

    tk_tam_stats stats;
    tk_tam_stats_get(env.tam, &stats);
    assert_int_equal(stats.attestation_failed, 1);
    assert_int_equal(stats.updates_sent, 1);
}

static void test_attestation_affirming(void **state)
{
    (void)state;
    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    tk_store_attestation at;
    assert_int_equal(count_attestations(&env, device, &at), 1);
    assert_int_equal(at.verdict, TK_STORE_VERDICT_AFFIRMING);
    assert_int_equal(at.reason_code, TK_OK);
    assert_int_equal(count_audit(&env, "attestation.failed"), 0);

    /* The first affirming result activates the device. */
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    assert_int_equal(tk_store_device_get(env.store, device, &mem, &d, NULL),
                     TK_OK);
    assert_int_equal(d.state, TK_STORE_DEVICE_ACTIVE);
    assert_true(d.last_seen > 0);
    tk_store_attestation full;
    assert_int_equal(tk_store_attestation_latest(env.store, device, &mem,
                                                 &full, NULL),
                     TK_OK);
    assert_non_null(strstr(full.claims, "\"hwmodel\":\"0102\""));
    assert_non_null(strstr(full.claims, "\"hwversion\":\"1.0\""));
    tk_store_mem_free(&mem);
}

/* The claims summary is JSON whatever the evidence's text contains. */
static void test_attestation_claims_escaped(void **state)
{
    (void)state;
    agent.hwversion = "2.0 \"rc\" \\ \n\x01";
    run_exchange(&env, &agent, &ex);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_attestation full;
    assert_int_equal(tk_store_attestation_latest(env.store, device, &mem,
                                                 &full, NULL),
                     TK_OK);
    assert_non_null(strstr(full.claims,
                           "\"hwversion\":\"2.0 \\\"rc\\\" \\\\ "
                           "\\n\\u0001\""));
    assert_non_null(strstr(full.claims, "\"ueid\":\""));
    assert_int_equal(full.claims[0], '{');
    assert_int_equal(full.claims[strlen(full.claims) - 1], '}');
    tk_store_mem_free(&mem);
}

static void test_attestation_wrong_key(void **state)
{
    (void)state;
    agent.fault = AGENT_WRONG_ATTESTATION_KEY;
    expect_refused(TK_ERR_EAT_UNKNOWN_KEY, TK_STORE_VERDICT_CONTRAINDICATED);
}

static void test_attestation_wrong_hwmodel(void **state)
{
    (void)state;
    agent.fault = AGENT_WRONG_HWMODEL;
    expect_refused(TK_ERR_EAT_HWMODEL_UNKNOWN,
                   TK_STORE_VERDICT_CONTRAINDICATED);
}

static void test_attestation_stale_nonce(void **state)
{
    (void)state;
    agent.fault = AGENT_STALE_NONCE;
    expect_refused(TK_ERR_EAT_NONCE_MISMATCH,
                   TK_STORE_VERDICT_CONTRAINDICATED);
}

/* A device without an attestation key cannot be affirmed. */
static void test_attestation_no_key(void **state)
{
    (void)state;
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_key key;
    assert_int_equal(tk_store_key_find(env.store, TK_STORE_KEY_ATTESTATION,
                                       (tk_view){agent.sim.attester_kid, 32},
                                       &mem, &key, NULL),
                     TK_OK);
    assert_int_equal(tk_store_key_delete(env.store, key.id, NULL, NULL),
                     TK_OK);
    tk_store_mem_free(&mem);
    expect_refused(TK_ERR_EAT_UNKNOWN_KEY, TK_STORE_VERDICT_CONTRAINDICATED);
}

/* With requery_on_attestation_failure the TAM sends a new QueryRequest
 * instead. */
static void test_attestation_requery(void **state)
{
    (void)state;
    agent_release(&agent);
    env_close(&env);
    const char *const config[] = {"requery_on_attestation_failure=true",
                                  NULL};
    open_with(config);
    agent.fault = AGENT_STALE_NONCE;
    size_t n = run_exchange(&env, &agent, &ex);
    assert_true(n >= 3);
    assert_int_equal(ex.reply_type[1], TK_TEEP_QUERY_REQUEST);
    assert_int_equal(agent.sim.process_calls, 0);
    assert_true(count_attestations(&env, device, NULL) >= 2);
    assert_int_equal(count_installed(&env, device, NULL, NULL), 0);
}

/* A hwversion outside the reference values is a warning: refused by
 * default, let through with accept_warning. */
static void add_hwversion_reference(const char *version)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_refvals values;
    assert_int_equal(tk_store_refval_for_device(env.store, device, &mem,
                                                &values, NULL),
                     TK_OK);
    for (size_t i = 0; i < values.count; i++)
        if (values.items[i].kind == TK_STORE_REF_HWVERSION)
            assert_int_equal(tk_store_refval_delete(env.store,
                                                    values.items[i].id, NULL,
                                                    NULL),
                             TK_OK);
    tk_store_mem_free(&mem);
    tk_store_refval v;
    memset(&v, 0, sizeof(v));
    v.device_id = device;
    v.kind = TK_STORE_REF_HWVERSION;
    v.value = (tk_view){(const uint8_t *)version, strlen(version)};
    assert_int_equal(tk_store_refval_add(env.store, &v, NULL, NULL, NULL),
                     TK_OK);
}

static void test_attestation_warning_refused(void **state)
{
    (void)state;
    add_hwversion_reference("2.0");
    assert_int_equal(run_exchange(&env, &agent, &ex), 2);
    assert_int_equal(ex.last_agent.tam_err_code,
                     TK_TEEP_ERR_ATTESTATION_REQUIRED);
    assert_int_equal(agent.sim.process_calls, 0);
    tk_store_attestation at;
    assert_int_equal(count_attestations(&env, device, &at), 1);
    assert_int_equal(at.verdict, TK_STORE_VERDICT_WARNING);
    assert_int_equal(at.reason_code, TK_ERR_EAT_HWVERSION_UNKNOWN);
    assert_int_equal(count_audit(&env, "attestation.warning"), 1);
}

static void test_attestation_warning_accepted(void **state)
{
    (void)state;
    agent_release(&agent);
    env_close(&env);
    const char *const config[] = {"accept_warning=true", NULL};
    open_with(config);
    add_hwversion_reference("2.0");
    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(agent_sequence(&agent, "app"), 1);
    tk_store_attestation at;
    assert_int_equal(count_attestations(&env, device, &at), 1);
    assert_int_equal(at.verdict, TK_STORE_VERDICT_WARNING);
}

/* A blocked device is refused before any appraisal: 403, nothing
 * stored, and its token is not burnt by the refusal of its key. */
static void test_attestation_blocked_device(void **state)
{
    (void)state;
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    assert_int_equal(tk_store_device_get(env.store, device, &mem, &d, NULL),
                     TK_OK);
    d.state = TK_STORE_DEVICE_BLOCKED;
    assert_int_equal(tk_store_device_update(env.store, &d, NULL, NULL),
                     TK_OK);
    tk_store_mem_free(&mem);

    assert_int_equal(run_exchange(&env, &agent, &ex), 2);
    assert_int_equal(ex.status[1], 403);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
    assert_int_equal(agent.sim.process_calls, 0);
    tk_tam_stats stats;
    tk_tam_stats_get(env.tam, &stats);
    assert_int_equal(stats.rejected, 1);
}

/* Without require_attestation the TAM requests no evidence. */
static void test_attestation_not_required(void **state)
{
    (void)state;
    agent_release(&agent);
    env_close(&env);
    const char *const config[] = {"require_attestation=false", NULL};
    open_with(config);
    agent.fault = AGENT_WRONG_ATTESTATION_KEY;
    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(agent_sequence(&agent, "app"), 1);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attestation_affirming, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attestation_claims_escaped,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_attestation_wrong_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attestation_wrong_hwmodel,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_attestation_stale_nonce, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attestation_no_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attestation_requery, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attestation_warning_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_attestation_warning_accepted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_attestation_blocked_device,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_attestation_not_required, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
