/*
 * Whole TEEP sessions through the TAM's handler in-process: install,
 * update, delete, nothing to do, RequestTA and UnrequestTA, and the store
 * contents after each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tam_test_env.h"

static tam_env env;
static test_agent agent;
static exchange ex;

static int setup(void **state)
{
    (void)state;
    env_open(&env, NULL);
    agent_init(&agent, &env, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_release(&agent);
    env_close(&env);
    return 0;
}

/* Empty POST, QueryRequest, QueryResponse, Update, Success, 204. */
static void test_session_install(void **state)
{
    (void)state;
    int64_t app = env_add_component(&env, "app", 3);
    env_policy(&env, &agent, app, false);
    int64_t device = agent_device_id(&env, &agent);

    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(ex.status[0], 200);
    assert_int_equal(ex.reply_type[0], TK_TEEP_QUERY_REQUEST);
    assert_int_equal(ex.sent_type[1], TK_TEEP_QUERY_RESPONSE);
    assert_int_equal(ex.status[1], 200);
    assert_int_equal(ex.reply_type[1], TK_TEEP_UPDATE);
    assert_int_equal(ex.sent_type[2], TK_TEEP_SUCCESS);
    assert_int_equal(ex.status[2], 204);
    assert_int_equal(agent.sim.process_calls, 1);
    assert_int_equal(agent_sequence(&agent, "app"), 3);

    tk_store_attestation at;
    assert_int_equal(count_attestations(&env, device, &at), 1);
    assert_int_equal(at.verdict, TK_STORE_VERDICT_AFFIRMING);
    assert_int_equal(at.reason_code, TK_OK);
    assert_int_equal(count_reports(&env, device), 1);
    uint64_t seq = 0;
    assert_int_equal(count_installed(&env, device, "app", &seq), 1);
    assert_int_equal(seq, 3);
    assert_int_equal(count_installed(&env, device, NULL, NULL), 1);
    assert_int_equal(count_audit(&env, "update.success"), 1);
    assert_int_equal(count_audit(&env, "attestation.failed"), 0);

    tk_tam_stats stats;
    tk_tam_stats_get(env.tam, &stats);
    assert_int_equal(stats.requests, 3);
    assert_int_equal(stats.sessions_started, 1);
    assert_int_equal(stats.updates_sent, 1);
    assert_int_equal(stats.done, 1);
    assert_int_equal(stats.rejected, 0);
}

/* A newer sequence number than the installed one is sent as an update. */
static void test_session_update(void **state)
{
    (void)state;
    agent_install(&agent, "app", 2);
    int64_t app = env_add_component(&env, "app", 2);
    env_add_component(&env, "app", 5);
    env_policy(&env, &agent, app, false);
    int64_t device = agent_device_id(&env, &agent);

    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(ex.reply_type[1], TK_TEEP_UPDATE);
    assert_int_equal(ex.status[2], 204);
    assert_int_equal(agent.sim.process_calls, 1);
    assert_int_equal(agent_sequence(&agent, "app"), 5);
    uint64_t seq = 0;
    assert_int_equal(count_installed(&env, device, "app", &seq), 1);
    assert_int_equal(seq, 5);
    assert_int_equal(count_reports(&env, device), 1);

    /* Up to date now: the next session ends after the QueryResponse. */
    assert_int_equal(run_exchange(&env, &agent, &ex), 2);
    assert_int_equal(ex.status[1], 204);
    assert_int_equal(agent.sim.process_calls, 1);
    assert_int_equal(count_attestations(&env, device, NULL), 2);
    assert_int_equal(count_reports(&env, device), 1);
}

/* A device that has the newest version gets nothing; its tc-list is
 * stored as its installed state. */
static void test_session_nothing_needed(void **state)
{
    (void)state;
    agent_install(&agent, "app", 4);
    agent_install(&agent, "other", 9);
    int64_t app = env_add_component(&env, "app", 4);
    env_policy(&env, &agent, app, false);
    int64_t device = agent_device_id(&env, &agent);

    assert_int_equal(run_exchange(&env, &agent, &ex), 2);
    assert_int_equal(ex.status[1], 204);
    assert_int_equal(agent.sim.process_calls, 0);
    assert_int_equal(count_installed(&env, device, NULL, NULL), 2);
    uint64_t seq = 0;
    assert_int_equal(count_installed(&env, device, "other", &seq), 1);
    assert_int_equal(seq, 9);
    assert_int_equal(count_reports(&env, device), 0);
    assert_int_equal(count_audit(&env, "update.success"), 0);
    tk_store_attestation at;
    assert_int_equal(count_attestations(&env, device, &at), 1);
    assert_int_equal(at.verdict, TK_STORE_VERDICT_AFFIRMING);
}

/* A component that a rule marks absent is deleted through
 * unneeded-manifest-list. */
static void test_session_delete(void **state)
{
    (void)state;
    agent_install(&agent, "app", 3);
    agent_install(&agent, "keep", 1);
    int64_t app = env_add_component(&env, "app", 3);
    env_policy(&env, &agent, app, true);
    int64_t device = agent_device_id(&env, &agent);

    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(ex.reply_type[1], TK_TEEP_UPDATE);
    assert_int_equal(ex.sent_type[2], TK_TEEP_SUCCESS);
    assert_int_equal(ex.status[2], 204);
    assert_int_equal(agent.sim.unlink_calls, 1);
    assert_int_equal(agent.sim.process_calls, 0);
    assert_int_equal(agent_sequence(&agent, "app"), 0);
    assert_int_equal(agent_sequence(&agent, "keep"), 1);
    assert_int_equal(count_installed(&env, device, "app", NULL), 0);
    assert_int_equal(count_installed(&env, device, "keep", NULL), 1);
    assert_int_equal(count_audit(&env, "update.success"), 1);
}

/* Without any rule, a component the device has stays. */
static void test_session_unknown_component_stays(void **state)
{
    (void)state;
    agent_install(&agent, "foreign", 1);
    env_add_component(&env, "app", 1);
    int64_t device = agent_device_id(&env, &agent);
    assert_int_equal(run_exchange(&env, &agent, &ex), 2);
    assert_int_equal(ex.status[1], 204);
    assert_int_equal(agent.sim.unlink_calls, 0);
    assert_int_equal(count_installed(&env, device, "foreign", NULL), 1);
}

/* requested-tc-list installs a component that no rule forbids. */
static void test_session_request(void **state)
{
    (void)state;
    env_add_component(&env, "extra", 7);
    component_ids("extra", &agent.requested[0]);
    agent.requested_count = 1;
    int64_t device = agent_device_id(&env, &agent);

    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(ex.reply_type[1], TK_TEEP_UPDATE);
    assert_int_equal(agent_sequence(&agent, "extra"), 7);
    assert_int_equal(count_installed(&env, device, "extra", NULL), 1);
}

/* A request for a component that a rule forbids, or one the TAM does not
 * have, gets nothing. */
static void test_session_request_refused(void **state)
{
    (void)state;
    int64_t secret = env_add_component(&env, "secret", 1);
    env_policy(&env, &agent, secret, true);
    component_ids("secret", &agent.requested[0]);
    component_ids("missing", &agent.requested[1]);
    agent.requested_count = 2;
    int64_t device = agent_device_id(&env, &agent);

    assert_int_equal(run_exchange(&env, &agent, &ex), 2);
    assert_int_equal(ex.status[1], 204);
    assert_int_equal(agent.sim.process_calls, 0);
    assert_int_equal(count_installed(&env, device, NULL, NULL), 0);
}

/* unneeded-manifest-list deletes a component that no rule requires. */
static void test_session_unrequest(void **state)
{
    (void)state;
    agent_install(&agent, "app", 2);
    env_add_component(&env, "app", 2);
    component_ids("app", &agent.unneeded[0]);
    agent.unneeded_count = 1;
    int64_t device = agent_device_id(&env, &agent);

    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(ex.reply_type[1], TK_TEEP_UPDATE);
    assert_int_equal(agent.sim.unlink_calls, 1);
    assert_int_equal(agent_sequence(&agent, "app"), 0);
    assert_int_equal(count_installed(&env, device, NULL, NULL), 0);
}

/* A component that a rule requires stays, whatever the agent requests. */
static void test_session_unrequest_required(void **state)
{
    (void)state;
    agent_install(&agent, "app", 2);
    int64_t app = env_add_component(&env, "app", 2);
    env_policy(&env, &agent, app, false);
    component_ids("app", &agent.unneeded[0]);
    agent.unneeded_count = 1;

    assert_int_equal(run_exchange(&env, &agent, &ex), 2);
    assert_int_equal(ex.status[1], 204);
    assert_int_equal(agent.sim.unlink_calls, 0);
    assert_int_equal(agent_sequence(&agent, "app"), 2);
}

/* Rules of the device's class apply; a device rule overrides them. */
static void test_session_class_policy(void **state)
{
    (void)state;
    int64_t app = env_add_component(&env, "app", 1);
    int64_t tool = env_add_component(&env, "tool", 1);
    tk_store_class cls;
    memset(&cls, 0, sizeof(cls));
    cls.name = "lab";
    int64_t class_id = 0;
    assert_int_equal(tk_store_class_add(env.store, &cls, NULL, &class_id,
                                        NULL),
                     TK_OK);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    assert_int_equal(tk_store_device_get(env.store,
                                         agent_device_id(&env, &agent), &mem,
                                         &d, NULL),
                     TK_OK);
    d.class_id = class_id;
    assert_int_equal(tk_store_device_update(env.store, &d, NULL, NULL),
                     TK_OK);
    tk_store_mem_free(&mem);
    tk_store_policy rule;
    memset(&rule, 0, sizeof(rule));
    rule.class_id = class_id;
    rule.action = TK_STORE_POLICY_INSTALL;
    rule.component = app;
    assert_int_equal(tk_store_policy_set(env.store, &rule, NULL, NULL, NULL),
                     TK_OK);
    rule.component = tool;
    assert_int_equal(tk_store_policy_set(env.store, &rule, NULL, NULL, NULL),
                     TK_OK);
    env_policy(&env, &agent, tool, true);

    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(agent_sequence(&agent, "app"), 1);
    assert_int_equal(agent_sequence(&agent, "tool"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_session_install, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_update, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_nothing_needed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_unknown_component_stays,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_request_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_unrequest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_unrequest_required,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_class_policy, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
