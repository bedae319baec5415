/*
 * Tests of the simulated device's update-management callbacks
 * (draft-ietf-suit-update-management-14 and
 * draft-ietf-suit-trust-domains-11 section 5.6.5): battery, update
 * authorization, component versions, custom commands, wait events, the
 * fixed clock and unlink, each through a signed manifest run by
 * tk_suit_process(), and the device settings file that sets them.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suitdev.h"
#include "suitdev_test.h"
#include "teepkit/suit.h"
#include "teepkit/suit_build.h"

#define ENVELOPE_MAX 2048

/* A custom command label of the tests. */
#define CUSTOM_LABEL (-257)

struct fixture {
    char *dir;
    tk_suitdev *dev;
    tk_key key;
    const tk_key *trusted[1];
    tk_suitdev_policy policy;
    tk_suitdev_state state;
    int64_t custom_label;
    int custom_calls;
};

static void count_custom(void *arg, int64_t label, const tk_suitdev_id *id,
                         tk_view argument, bool result)
{
    struct fixture *f = arg;

    (void)id;
    (void)argument;
    (void)result;
    f->custom_label = label;
    f->custom_calls++;
}

static int setup(void **state)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    struct fixture *f = calloc(1, sizeof(*f));

    f->dir = suitdev_test_tempdir();
    f->dev = suitdev_test_open(f->dir, NULL);
    tk_key_init(&f->key);
    if (crypto->key_generate(crypto->ctx, TK_CRV_ED25519, &f->key) != TK_OK)
        return -1;
    f->trusted[0] = &f->key;
    f->policy.manifest_keys = f->trusted;
    f->policy.manifest_key_count = 1;
    f->policy.state = &f->state;
    f->policy.on_custom = count_custom;
    f->policy.custom_arg = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    tk_suitdev_close(f->dev);
    tk_key_release(&f->key);
    suitdev_test_remove_tree(f->dir);
    free(f);
    return 0;
}

static const tk_view app_segment = {(const uint8_t *)"app", 3};
static const tk_suit_build_component_id app_id = {&app_segment, 1};

/* Signs a manifest for component ['app'] with sequence number seq whose
 * install sequence is commands[0..count). */
static size_t build(struct fixture *f, uint64_t seq,
                    const tk_suit_build_command *commands, size_t count,
                    uint8_t *out)
{
    tk_suit_build_manifest m = {0};
    tk_suit_build_envelope env = {0};
    tk_suit_build_signer signer = {TK_ALG_ED25519, &f->key, {NULL, 0}};
    size_t len;

    m.sequence_number = seq;
    m.components = &app_id;
    m.component_count = 1;
    m.install = (tk_suit_build_sequence){commands, count};
    env.manifest = &m;
    assert_int_equal(tk_suit_build_encode_envelope(&env, tk_crypto_openssl(),
                                                   &signer, 1, out,
                                                   ENVELOPE_MAX, &len, NULL),
                     TK_OK);
    return len;
}

/* Runs the update procedure of a manifest whose install sequence sets
 * param and runs the command label, and returns the result. */
static tk_err run_one(struct fixture *f, const tk_suit_build_param *param,
                      int64_t label)
{
    tk_suit_build_command commands[2];
    uint8_t env[ENVELOPE_MAX];
    size_t n = 0, len;
    tk_suitdev_session *session;
    tk_suit_processor *proc = calloc(1, sizeof(*proc));
    tk_suit_config cfg;
    tk_err err;

    if (param != NULL)
        commands[n++] = tk_suit_build_cmd_params(
            TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS, param, 1);
    commands[n++] = tk_suit_build_cmd_policy(label, 0);
    len = build(f, 1, commands, n, env);
    assert_int_equal(tk_suitdev_session_open(f->dev, &f->policy, &session),
                     TK_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tk_crypto_openssl();
    cfg.platform = tk_suitdev_session_platform(session);
    cfg.flags = TK_SUIT_FLAG_ALLOW_ROLLBACK;
    assert_int_equal(tk_suit_processor_init(proc, &cfg), TK_OK);
    err = tk_suit_process(proc, (tk_view){env, len}, TK_SUIT_OP_UPDATE);
    tk_suitdev_session_close(session);
    free(proc);
    return err;
}

/* Runs a manifest of commands (update procedure) and returns the result. */
static tk_err run_commands(struct fixture *f,
                           const tk_suit_build_command *commands,
                           size_t count)
{
    uint8_t env[ENVELOPE_MAX];
    size_t len = build(f, 1, commands, count, env);
    tk_suitdev_session *session;
    tk_suit_processor *proc = calloc(1, sizeof(*proc));
    tk_suit_config cfg;
    tk_err err;

    assert_int_equal(tk_suitdev_session_open(f->dev, &f->policy, &session),
                     TK_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tk_crypto_openssl();
    cfg.platform = tk_suitdev_session_platform(session);
    cfg.flags = TK_SUIT_FLAG_ALLOW_ROLLBACK;
    assert_int_equal(tk_suit_processor_init(proc, &cfg), TK_OK);
    err = tk_suit_process(proc, (tk_view){env, len}, TK_SUIT_OP_UPDATE);
    tk_suitdev_session_close(session);
    free(proc);
    return err;
}

static void minimum_battery(void **state)
{
    struct fixture *f = *state;
    tk_suit_build_param p =
        tk_suit_build_param_uint(TK_SUIT_BUILD_PARAM_MINIMUM_BATTERY, 3000);

    assert_int_equal(run_one(f, &p, TK_SUIT_BUILD_COND_MINIMUM_BATTERY),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    assert_non_null(strstr(tk_suitdev_last_error(f->dev), "battery-mwh"));
    f->state.has_battery = true;
    f->state.battery_mwh = 4200;
    assert_int_equal(run_one(f, &p, TK_SUIT_BUILD_COND_MINIMUM_BATTERY),
                     TK_OK);
    f->state.battery_mwh = 3000;
    assert_int_equal(run_one(f, &p, TK_SUIT_BUILD_COND_MINIMUM_BATTERY),
                     TK_OK);
    f->state.battery_mwh = 2999;
    assert_int_equal(run_one(f, &p, TK_SUIT_BUILD_COND_MINIMUM_BATTERY),
                     TK_ERR_SUIT_BATTERY);
}

static void update_authorized(void **state)
{
    struct fixture *f = *state;
    tk_suit_build_param p = {TK_SUIT_BUILD_PARAM_UPDATE_PRIORITY,
                             TK_SUIT_BUILD_VALUE_INT, 0, 5, false,
                             {NULL, 0}, NULL};
    const int64_t label = TK_SUIT_BUILD_COND_UPDATE_AUTHORIZED;

    assert_int_equal(run_one(f, &p, label), TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    f->state.authorization = TK_SUITDEV_AUTHORIZE_ALL;
    assert_int_equal(run_one(f, &p, label), TK_OK);
    f->state.authorization = TK_SUITDEV_AUTHORIZE_NONE;
    assert_int_equal(run_one(f, &p, label), TK_ERR_SUIT_UPDATE_UNAUTHORIZED);
    /* Smaller priorities are more urgent: 5 passes a limit of 5, not 4. */
    f->state.authorization = TK_SUITDEV_AUTHORIZE_PRIORITY;
    f->state.max_priority = 5;
    assert_int_equal(run_one(f, &p, label), TK_OK);
    f->state.max_priority = 4;
    assert_int_equal(run_one(f, &p, label), TK_ERR_SUIT_UPDATE_UNAUTHORIZED);
}

static void component_version(void **state)
{
    struct fixture *f = *state;
    /* [greater-equal, [1, 2]] */
    static const uint8_t at_least_1_2[] = {0x82, 0x02, 0x82, 0x01, 0x02};
    tk_suit_build_param p = tk_suit_build_param_bytes(
        TK_SUIT_BUILD_PARAM_VERSION, TK_SUIT_BUILD_VALUE_BSTR_CBOR,
        (tk_view){at_least_1_2, sizeof(at_least_1_2)});
    const int64_t label = TK_SUIT_BUILD_COND_VERSION;
    char msg[256];

    assert_int_equal(run_one(f, &p, label), TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    assert_non_null(strstr(tk_suitdev_last_error(f->dev), "c_sapp"));
    assert_int_equal(tk_suitdev_state_set_version(&f->state, "c_sapp=1.2.0",
                                                  msg, sizeof(msg)),
                     TK_OK);
    assert_int_equal(run_one(f, &p, label), TK_OK);
    assert_int_equal(tk_suitdev_state_set_version(&f->state, "c_sapp=1.1.9",
                                                  msg, sizeof(msg)),
                     TK_OK);
    assert_int_equal(f->state.version_count, 1);
    assert_int_equal(run_one(f, &p, label), TK_ERR_SUIT_COMPONENT_VERSION);
    assert_int_equal(tk_suitdev_state_set_version(&f->state, "c_sapp=2",
                                                  msg, sizeof(msg)),
                     TK_OK);
    assert_int_equal(run_one(f, &p, label), TK_OK);
}

static void custom_command(void **state)
{
    struct fixture *f = *state;
    static const uint8_t argument[] = {0x07};
    tk_suit_build_command c = {0};

    c.label = CUSTOM_LABEL;
    c.raw = (tk_view){argument, sizeof(argument)};
    assert_int_equal(run_commands(f, &c, 1), TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    assert_int_equal(f->custom_calls, 0);
    f->state.custom[0].label = CUSTOM_LABEL;
    f->state.custom[0].result = true;
    f->state.custom_count = 1;
    assert_int_equal(run_commands(f, &c, 1), TK_OK);
    assert_int_equal(f->custom_calls, 1);
    assert_int_equal(f->custom_label, CUSTOM_LABEL);
    f->state.custom[0].result = false;
    assert_int_equal(run_commands(f, &c, 1), TK_ERR_SUIT_CONDITION_FAILED);
    assert_int_equal(f->custom_calls, 2);
}

/* Runs directive-wait with the wait events in info (an encoded map). */
static tk_err wait_for(struct fixture *f, const uint8_t *info, size_t len)
{
    tk_suit_build_param p = tk_suit_build_param_bytes(
        TK_SUIT_BUILD_PARAM_WAIT_INFO, TK_SUIT_BUILD_VALUE_BSTR_CBOR,
        (tk_view){info, len});

    return run_one(f, &p, TK_SUIT_BUILD_DIR_WAIT);
}

static void wait_for_time(void **state)
{
    struct fixture *f = *state;
    static const uint8_t at_1000[] = {0xa1, 0x05, 0x19, 0x03, 0xe8};

    f->state.has_time = true;
    f->state.time = 999;
    assert_int_equal(wait_for(f, at_1000, sizeof(at_1000)), TK_ERR_SUIT_WAIT);
    f->state.time = 1000;
    assert_int_equal(wait_for(f, at_1000, sizeof(at_1000)), TK_OK);
}

static void wait_for_day_and_hour(void **state)
{
    struct fixture *f = *state;
    /* 1970-01-01 was a Thursday (4); 7200 s is 02:00 UTC. */
    static const uint8_t thursday[] = {0xa1, 0x09, 0x04};
    static const uint8_t sunday[] = {0xa1, 0x09, 0x00};
    static const uint8_t after_one[] = {0xa1, 0x08, 0x19, 0x0e, 0x10};
    static const uint8_t after_three[] = {0xa1, 0x08, 0x19, 0x2a, 0x30};

    f->state.has_time = true;
    f->state.time = 7200;
    assert_int_equal(wait_for(f, thursday, sizeof(thursday)), TK_OK);
    assert_int_equal(wait_for(f, sunday, sizeof(sunday)), TK_ERR_SUIT_WAIT);
    assert_int_equal(wait_for(f, after_one, sizeof(after_one)), TK_OK);
    assert_int_equal(wait_for(f, after_three, sizeof(after_three)),
                     TK_ERR_SUIT_WAIT);
    f->state.time = 3 * 86400 + 7200; /* the next Sunday */
    assert_int_equal(wait_for(f, sunday, sizeof(sunday)), TK_OK);
}

static void wait_for_power_network_authorization(void **state)
{
    struct fixture *f = *state;
    /* {power: 3000, network: 1} and {authorization: 2} */
    static const uint8_t power_network[] = {0xa2, 0x02, 0x19, 0x0b,
                                            0xb8, 0x03, 0x01};
    static const uint8_t authorization[] = {0xa1, 0x01, 0x02};

    assert_int_equal(wait_for(f, power_network, sizeof(power_network)),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    f->state.has_battery = true;
    f->state.battery_mwh = 5000;
    f->state.has_network = true;
    f->state.network = 1;
    assert_int_equal(wait_for(f, power_network, sizeof(power_network)),
                     TK_OK);
    f->state.network = 2;
    assert_int_equal(wait_for(f, power_network, sizeof(power_network)),
                     TK_ERR_SUIT_WAIT);
    assert_non_null(strstr(tk_suitdev_last_error(f->dev), "wait event 3"));
    f->state.network = 1;
    f->state.battery_mwh = 100;
    assert_int_equal(wait_for(f, power_network, sizeof(power_network)),
                     TK_ERR_SUIT_WAIT);
    f->state.authorization = TK_SUITDEV_AUTHORIZE_PRIORITY;
    f->state.max_priority = 1;
    assert_int_equal(wait_for(f, authorization, sizeof(authorization)),
                     TK_ERR_SUIT_WAIT);
    f->state.max_priority = 2;
    assert_int_equal(wait_for(f, authorization, sizeof(authorization)),
                     TK_OK);
}

/* Local time and other devices need definitions the simulated device does
 * not have (draft-ietf-suit-update-management-14 section 4.6). */
static void wait_unsupported_events(void **state)
{
    struct fixture *f = *state;
    static const uint8_t local_time[] = {0xa1, 0x06, 0x01};
    static const uint8_t local_day[] = {0xa1, 0x07, 0x01};
    static const uint8_t other_device[] = {0xa1, 0x04, 0x82, 0x41, 0x01,
                                           0x81, 0x82, 0x02, 0x81, 0x01};
    static const uint8_t unknown[] = {0xa1, 0x0a, 0x01};
    static const uint8_t not_int[] = {0xa1, 0x05, 0x40};

    f->state.has_time = true;
    assert_int_equal(wait_for(f, local_time, sizeof(local_time)),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    assert_int_equal(wait_for(f, local_day, sizeof(local_day)),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    assert_int_equal(wait_for(f, other_device, sizeof(other_device)),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    assert_int_equal(wait_for(f, unknown, sizeof(unknown)),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    assert_int_equal(wait_for(f, not_int, sizeof(not_int)),
                     TK_ERR_SUIT_MALFORMED);
}

/* suit-condition-use-before reads the fixed clock of the settings. */
static void use_before_fixed_clock(void **state)
{
    struct fixture *f = *state;
    tk_suit_build_param p =
        tk_suit_build_param_uint(TK_SUIT_BUILD_PARAM_USE_BEFORE, 5000);

    f->state.has_time = true;
    f->state.time = 4999;
    assert_int_equal(run_one(f, &p, TK_SUIT_BUILD_COND_USE_BEFORE), TK_OK);
    f->state.time = 5000;
    assert_int_equal(run_one(f, &p, TK_SUIT_BUILD_COND_USE_BEFORE),
                     TK_ERR_SUIT_EXPIRED);
}

/* Installs "image" as ['app'] with a write directive. */
static void install_app(struct fixture *f)
{
    tk_suit_build_param p = tk_suit_build_param_bytes(
        TK_SUIT_BUILD_PARAM_CONTENT, TK_SUIT_BUILD_VALUE_BSTR,
        (tk_view){(const uint8_t *)"image", 5});
    tk_suit_build_command c[2] = {
        tk_suit_build_cmd_params(TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS, &p,
                                 1),
        tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_WRITE, 0)};

    assert_int_equal(run_commands(f, c, 2), TK_OK);
    assert_int_equal(suitdev_test_count_files(f->dir), 2);
}

/* Unlink removes the image and the metadata in the commit of a successful
 * procedure only. */
static void unlink_removes_component(void **state)
{
    struct fixture *f = *state;
    tk_suitdev_id id = {.segment = {{(const uint8_t *)"app", 3}}, .count = 1};
    tk_suitdev_meta meta;
    tk_suit_build_command unlink_abort[2] = {
        tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_UNLINK, 0),
        tk_suit_build_cmd_policy(TK_SUIT_BUILD_COND_ABORT, 0)};
    tk_suit_build_command unlink_twice[2] = {
        tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_UNLINK, 0),
        tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_UNLINK, 0)};

    install_app(f);
    assert_int_equal(run_commands(f, unlink_abort, 2), TK_ERR_SUIT_ABORT);
    assert_int_equal(tk_suitdev_get_meta(f->dev, &id, &meta), TK_OK);
    assert_int_equal(suitdev_test_count_files(f->dir), 2);
    /* A component already unlinked in this procedure is gone. */
    assert_int_equal(run_commands(f, unlink_twice, 2),
                     TK_ERR_SUIT_COMPONENT_ABSENT);
    assert_int_equal(suitdev_test_count_files(f->dir), 2);
    assert_int_equal(run_commands(f, unlink_twice, 1), TK_OK);
    assert_int_equal(tk_suitdev_get_meta(f->dev, &id, &meta),
                     TK_ERR_NOT_FOUND);
    assert_int_equal(suitdev_test_count_files(f->dir), 0);
    assert_int_equal(run_commands(f, unlink_twice, 1),
                     TK_ERR_SUIT_COMPONENT_ABSENT);
}

/* Writes text to a settings file in the fixture's folder, loads it into a
 * fresh state and returns the result. */
static tk_err load_settings(struct fixture *f, const char *text,
                            tk_suitdev_state *out, char *msg, size_t cap)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/settings.json", f->dir);
    suitdev_test_write(path, text, strlen(text));
    memset(out, 0, sizeof(*out));
    tk_err err = tk_suitdev_state_load(path, out, msg, cap);
    remove(path);
    return err;
}

static void settings_file(void **state)
{
    struct fixture *f = *state;
    tk_suitdev_state s;
    char msg[512];

    assert_int_equal(
        load_settings(f,
                      "{\"battery-mwh\": 4200, \"authorize\": "
                      "{\"max-priority\": 10}, \"network\": -1, "
                      "\"time\": 1767225600, \"versions\": [{\"component\": "
                      "[\"app\", {\"hex\": \"00ff\"}], \"version\": [1, -2, "
                      "3]}], \"custom\": [{\"label\": -257, \"result\": "
                      "false}]}",
                      &s, msg, sizeof(msg)),
        TK_OK);
    assert_true(s.has_battery);
    assert_int_equal(s.battery_mwh, 4200);
    assert_int_equal(s.authorization, TK_SUITDEV_AUTHORIZE_PRIORITY);
    assert_int_equal(s.max_priority, 10);
    assert_true(s.has_network);
    assert_int_equal(s.network, -1);
    assert_true(s.has_time);
    assert_int_equal(s.time, 1767225600u);
    assert_int_equal(s.version_count, 1);
    assert_string_equal(s.versions[0].name, "c_sapp_h00ff");
    assert_int_equal(s.versions[0].count, 3);
    assert_int_equal(s.versions[0].parts[1], -2);
    assert_int_equal(s.custom_count, 1);
    assert_int_equal(s.custom[0].label, -257);
    assert_false(s.custom[0].result);

    assert_int_equal(load_settings(f, "{\"authorize\": false}", &s, msg,
                                   sizeof(msg)),
                     TK_OK);
    assert_int_equal(s.authorization, TK_SUITDEV_AUTHORIZE_NONE);
    assert_false(s.has_battery);
}

static void settings_file_errors(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"{\"batery-mwh\": 1}", "unknown member \"batery-mwh\""},
        {"{\"battery-mwh\": -1}", "battery-mwh"},
        {"{\"authorize\": \"yes\"}", "authorize"},
        {"{\"network\": 1.5}", "network"},
        {"{\"versions\": [{\"component\": [\"a\"], \"version\": []}]}",
         "version"},
        {"{\"versions\": [{\"component\": [\"a\"], \"version\": [1.5]}]}",
         "version part 0"},
        {"{\"versions\": [{\"component\": [{\"hex\": \"0\"}], "
         "\"version\": [1]}]}",
         "invalid hex"},
        {"{\"custom\": [{\"label\": 5, \"result\": true}]}", "custom[0]"},
        {"[1]", "JSON object"},
        {"{\"time\": 1,}", "settings.json:1"},
        {"{\"time\": 1, \"time\": 2}", "settings.json"},
    };
    struct fixture *f = *state;
    tk_suitdev_state s;
    char msg[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(load_settings(f, cases[i].text, &s, msg,
                                       sizeof(msg)),
                         TK_ERR_INVALID_ARG);
        assert_non_null(strstr(msg, cases[i].message));
    }
}

static void version_option_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "c_sapp", "=1.2", "c_sapp=", "c_sapp=1..2", "c_sapp=1.x",
        "c_sapp=1.2.", "c_sapp=1.2.3.4.5.6.7.8.9",
    };
    tk_suitdev_state s;
    char msg[256];

    memset(&s, 0, sizeof(s));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tk_suitdev_state_set_version(&s, bad[i], msg,
                                                      sizeof(msg)),
                         TK_ERR_INVALID_ARG);
    assert_int_equal(s.version_count, 0);
    assert_int_equal(tk_suitdev_state_set_version(&s, "c_h00=-1.0.7", msg,
                                                  sizeof(msg)),
                     TK_OK);
    assert_int_equal(s.versions[0].count, 3);
    assert_int_equal(s.versions[0].parts[0], -1);
    assert_int_equal(s.versions[0].parts[2], 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(minimum_battery, setup, teardown),
        cmocka_unit_test_setup_teardown(update_authorized, setup, teardown),
        cmocka_unit_test_setup_teardown(component_version, setup, teardown),
        cmocka_unit_test_setup_teardown(custom_command, setup, teardown),
        cmocka_unit_test_setup_teardown(wait_for_time, setup, teardown),
        cmocka_unit_test_setup_teardown(wait_for_day_and_hour, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(wait_for_power_network_authorization,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(wait_unsupported_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(use_before_fixed_clock, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unlink_removes_component, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(settings_file, setup, teardown),
        cmocka_unit_test_setup_teardown(settings_file_errors, setup,
                                        teardown),
        cmocka_unit_test(version_option_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
