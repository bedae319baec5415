/*
 * Two TAM workers on one PostgreSQL database (label pg): consecutive
 * messages of one agent go to different workers, and two workers that
 * receive the same QueryResponse at once reply to it exactly once.
 *
 * Usage: test_tam_pg CONNINFO_FILE (written by tools/pg-test-server.sh)
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tam_test_env.h"

static char conninfo[512];
static tam_env env;
static tk_tam *second;
static test_agent agent;

/* A worker's reply. */
typedef struct reply {
    unsigned status;
    uint8_t body[ENV_MESSAGE_MAX];
    size_t len;
} reply;

static void post_to(tk_tam *tam, const uint8_t *body, size_t len,
                    reply *out)
{
    tk_net_request req;
    memset(&req, 0, sizeof(req));
    req.method = TK_NET_POST;
    req.method_name = "POST";
    req.path = "/tam";
    req.content_type = len > 0 ? TK_NET_MEDIA_TEEP : NULL;
    req.body = (tk_view){body, len};
    req.request_id = "pg";
    tk_net_response resp;
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(tk_tam_handle(tam, &req, &resp), TK_OK);
    out->status = resp.status;
    assert_true(resp.body_len <= sizeof(out->body));
    if (resp.body_len > 0)
        memcpy(out->body, resp.body, resp.body_len);
    out->len = resp.body_len;
    tk_net_response_clear(&resp);
}

/* Passes a TAM reply to the agent; the agent's reply goes to msg. */
static size_t answer(const reply *in, uint8_t *msg, size_t cap)
{
    tk_teep_agent_result res;
    tk_teep_agent_handle(&agent.sim.machine, &agent.sim.state,
                         (tk_view){in->body, in->len}, msg, cap, &res);
    return res.out_len;
}

static int setup(void **state)
{
    (void)state;
    char db[600];
    snprintf(db, sizeof(db), "db=%s", conninfo);
    const char *const config[] = {db, "log_level=error", NULL};
    env_open(&env, config);
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    char msg[256];
    tk_tam_config_set(&cfg, "db", conninfo, msg, sizeof(msg));
    tk_tam_config_set(&cfg, "key_dir", env.key_dir, msg, sizeof(msg));
    tk_tam_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.clock = env_clock;
    opt.clock_ctx = &env;
    assert_int_equal(tk_tam_open(&cfg, &opt, &second, msg, sizeof(msg)),
                     TK_OK);
    tk_tam_config_free(&cfg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_tam_close(second);
    env_close(&env);
    return 0;
}

/* Empty POST to the first worker, QueryResponse to the second, Success
 * to the first again. */
static void test_pg_alternating_workers(void **state)
{
    (void)state;
    agent_init(&agent, &env, 7);
    assert_string_equal(tk_store_backend(env.store), "postgresql");
    int64_t app = env_add_component(&env, "pg-app", 6);
    env_policy(&env, &agent, app, false);
    int64_t device = agent_device_id(&env, &agent);

    static reply r;
    static uint8_t msg[ENV_MESSAGE_MAX];
    post_to(env.tam, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    size_t len = answer(&r, msg, sizeof(msg));
    assert_true(len > 0);
    post_to(second, msg, len, &r);
    assert_int_equal(r.status, 200);
    len = answer(&r, msg, sizeof(msg));
    assert_true(len > 0);
    post_to(env.tam, msg, len, &r);
    assert_int_equal(r.status, 204);
    assert_int_equal(agent_sequence(&agent, "pg-app"), 6);
    uint64_t seq = 0;
    assert_int_equal(count_installed(&env, device, "pg-app", &seq), 1);
    assert_int_equal(seq, 6);
    assert_int_equal(count_reports(&env, device), 1);
    assert_int_equal(count_attestations(&env, device, NULL), 1);

    /* Either worker rejects the replayed Success. */
    post_to(second, msg, len, &r);
    assert_int_equal(r.status, 409);
    post_to(env.tam, msg, len, &r);
    assert_int_equal(r.status, 409);
    assert_int_equal(count_reports(&env, device), 1);
    agent_release(&agent);
}

/* The same QueryResponse reaches both workers at once. */
typedef struct racer {
    tk_tam *tam;
    const uint8_t *msg;
    size_t len;
    reply out;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    post_to(r->tam, r->msg, r->len, &r->out);
    return NULL;
}

static void test_pg_racing_workers(void **state)
{
    (void)state;
    agent_init(&agent, &env, 8);
    int64_t app = env_add_component(&env, "pg-race", 2);
    env_policy(&env, &agent, app, false);
    int64_t device = agent_device_id(&env, &agent);

    static reply r;
    static uint8_t msg[ENV_MESSAGE_MAX];
    post_to(env.tam, NULL, 0, &r);
    size_t len = answer(&r, msg, sizeof(msg));
    assert_true(len > 0);
    static racer racers[2];
    racers[0] = (racer){env.tam, msg, len, {0, {0}, 0}};
    racers[1] = (racer){second, msg, len, {0, {0}, 0}};
    pthread_t threads[2];
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]),
                         0);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    unsigned a = racers[0].out.status;
    unsigned b = racers[1].out.status;
    assert_true((a == 200 && b == 409) || (a == 409 && b == 200));
    assert_int_equal(count_attestations(&env, device, NULL), 1);

    /* The winner's Update completes the session. */
    const reply *won = a == 200 ? &racers[0].out : &racers[1].out;
    len = answer(won, msg, sizeof(msg));
    assert_true(len > 0);
    post_to(second, msg, len, &r);
    assert_int_equal(r.status, 204);
    assert_int_equal(agent_sequence(&agent, "pg-race"), 2);
    assert_int_equal(count_reports(&env, device), 1);
    agent_release(&agent);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CONNINFO_FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL || fgets(conninfo, sizeof(conninfo), f) == NULL) {
        fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
        return 2;
    }
    fclose(f);
    conninfo[strcspn(conninfo, "\r\n")] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pg_alternating_workers),
        cmocka_unit_test(test_pg_racing_workers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
