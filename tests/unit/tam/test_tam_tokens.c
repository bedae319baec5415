/*
 * The self-authenticating tokens of the QueryRequests that start
 * sessions: an empty POST stores nothing, a token whose tag, expiry or
 * data items were altered gets 409, a token is valid until its expiry,
 * every worker of a database accepts it, a racing second use gets 409,
 * a token of a TAM with another database gets 409, a replay reports no
 * verdict, and a dropped message that was validly signed uses its token.
 * With token_rotation each epoch has its own secret, and a token serves
 * into the next epoch but not beyond. Without it one secret serves.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keyfile.h"
#include "tam_test_env.h"
#include "teepkit/cose.h"

/* Layout of the token (apps/tam/tam_token.c). */
#define TOKEN_LEN 46
#define AT_SECRET 1
#define AT_ITEMS 2
#define AT_EXPIRES 6
#define AT_TAG 30

static tam_env env;
static test_agent agent;
static int64_t device;
static tk_tam *second;
static uint8_t reply[ENV_MESSAGE_MAX];
static size_t reply_len;
static uint8_t msg[ENV_MESSAGE_MAX];
static uint8_t scratch[ENV_MESSAGE_MAX];

/* Opens the TAM with config, a device agent and a component for it. */
static void open_env(const char *const *config)
{
    env_open(&env, config);
    agent_init(&agent, &env, 5);
    int64_t app = env_add_component(&env, "app", 1);
    env_policy(&env, &agent, app, false);
    device = agent_device_id(&env, &agent);
}

static int setup(void **state)
{
    (void)state;
    const char *const config[] = {"log_level=off", NULL};
    open_env(config);
    return 0;
}

/* Secrets of one hour, as long as a session. */
static int setup_rotating(void **state)
{
    (void)state;
    const char *const config[] = {"log_level=off", "session_lifetime=3600",
                                  "token_rotation=3600", NULL};
    open_env(config);
    return 0;
}

/* One secret for ever. */
static int setup_fixed(void **state)
{
    (void)state;
    const char *const config[] = {"log_level=off", "token_rotation=0", NULL};
    open_env(config);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_tam_close(second);
    second = NULL;
    agent_release(&agent);
    env_close(&env);
    return 0;
}

static unsigned post(const uint8_t *body, size_t len)
{
    unsigned status = 0;
    env_post(&env, body, len, &status, reply, sizeof(reply), &reply_len);
    return status;
}

/* Posts to tam in-process; the reply goes to reply. */
static unsigned post_to(tk_tam *tam, const uint8_t *body, size_t len)
{
    tk_net_request req;
    memset(&req, 0, sizeof(req));
    req.method = TK_NET_POST;
    req.method_name = "POST";
    req.path = "/tam";
    req.content_type = len > 0 ? TK_NET_MEDIA_TEEP : NULL;
    req.body = (tk_view){body, len};
    req.request_id = "tokens";
    tk_net_response resp;
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(tk_tam_handle(tam, &req, &resp), TK_OK);
    assert_true(resp.body_len <= sizeof(reply));
    if (resp.body_len > 0)
        memcpy(reply, resp.body, resp.body_len);
    reply_len = resp.body_len;
    unsigned status = resp.status;
    tk_net_response_clear(&resp);
    return status;
}

/* Passes the last reply to the agent; its answer is left in msg. */
static size_t agent_answer(void)
{
    tk_teep_agent_result res;
    tk_teep_agent_handle(&agent.sim.machine, &agent.sim.state,
                         (tk_view){reply, reply_len}, msg, sizeof(msg), &res);
    return res.out_len;
}

/* The last request that the on_request hook of a second worker saw. */
static tk_tam_request_info seen;

static void on_request(void *ctx, const tk_tam_request_info *info)
{
    (void)ctx;
    seen = *info;
}

/* Opens a second TAM worker with the key folder of the first, on the
 * database db, with the on_request hook when observe is set and the
 * settings rotation gives to token_rotation and session_lifetime (NULL:
 * the defaults). Returns what tk_tam_open() returned, with its message in
 * text (capacity 256). */
static tk_err try_worker(const char *db, bool observe, const char *rotation,
                         const char *lifetime, char *text)
{
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    assert_int_equal(tk_tam_config_set(&cfg, "db", db, text, 256), TK_OK);
    assert_int_equal(tk_tam_config_set(&cfg, "key_dir", env.key_dir, text,
                                       256),
                     TK_OK);
    if (rotation != NULL)
        assert_int_equal(tk_tam_config_set(&cfg, "token_rotation", rotation,
                                           text, 256),
                         TK_OK);
    if (lifetime != NULL)
        assert_int_equal(tk_tam_config_set(&cfg, "session_lifetime",
                                           lifetime, text, 256),
                         TK_OK);
    tk_tam_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.clock = env_clock;
    opt.clock_ctx = &env;
    if (observe)
        opt.on_request = on_request;
    tk_err err = tk_tam_open(&cfg, &opt, &second, text, 256);
    tk_tam_config_free(&cfg);
    return err;
}

/* Opens a second TAM worker with the default settings. */
static void open_worker(const char *db, bool observe)
{
    char text[256];
    assert_int_equal(try_worker(db, observe, NULL, NULL, text), TK_OK);
}

/* Opens a second TAM worker on the same database and key folder. */
static void open_second(void)
{
    open_worker(env.db, false);
}

static size_t count_sessions(void)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_sessions list;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    assert_int_equal(tk_store_session_list(env.store, 0, &page, &mem, &list,
                                           NULL),
                     TK_OK);
    size_t n = list.count;
    tk_store_mem_free(&mem);
    return n;
}

static uint64_t rejected(void)
{
    tk_tam_stats stats;
    tk_tam_stats_get(env.tam, &stats);
    return stats.rejected;
}

/* Decodes the last reply, a QueryRequest of the TAM, into *m and sets
 * *payload to its signed payload. */
static void decode_query(tk_teep_message *m, tk_view *payload)
{
    tk_cose_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.flags = TK_COSE_OPT_UNTAGGED_OK;
    tk_cose_sign signed_query;
    assert_int_equal(tk_cose_sign_decode((tk_view){reply, reply_len}, &opts,
                                         &signed_query),
                     TK_OK);
    *payload = signed_query.payload;
    assert_int_equal(tk_teep_decode(payload->ptr, payload->len, m, NULL),
                     TK_OK);
    assert_int_equal(m->token.len, TOKEN_LEN);
}

/*
 * Replaces the last reply, a QueryRequest of the TAM, with the same
 * message whose token is changed by alter(), signed again with the TAM's
 * own ESP256 key. Only a forger who holds the TAM's key but not the token
 * secret could send it.
 */
static void forge_query(void (*alter)(uint8_t *token))
{
    tk_view payload;
    tk_teep_message m;
    decode_query(&m, &payload);
    static uint8_t body[ENV_MESSAGE_MAX];
    memcpy(body, payload.ptr, payload.len);
    alter(body + (m.token.ptr - payload.ptr));

    char path[256];
    char text[256];
    tk_keyfile_info info;
    tk_key key;
    snprintf(path, sizeof(path), "%s/%s", env.key_dir, TK_TAM_KEY_ESP256);
    assert_int_equal(tk_keyfile_load(tk_crypto_openssl(), path, &key, &info,
                                     text, sizeof(text)),
                     TK_OK);
    tk_teep_signer signer = {
        TK_ALG_ESP256, &key, {env.tam_keys.kid[0], env.tam_keys.kid_len[0]}};
    assert_int_equal(tk_teep_sign(tk_crypto_openssl(), &signer, 1,
                                  (tk_view){body, payload.len}, scratch,
                                  sizeof(scratch), reply, sizeof(reply),
                                  &reply_len),
                     TK_OK);
    tk_key_release(&key);
}

/* Returns the secret id in the token of the last reply, a QueryRequest. */
static uint8_t last_secret_id(void)
{
    tk_view payload;
    tk_teep_message m;
    decode_query(&m, &payload);
    return m.token.ptr[AT_SECRET];
}

static void flip_tag(uint8_t *token)
{
    token[TOKEN_LEN - 1] ^= 0x01;
}

static void extend_expiry(uint8_t *token)
{
    token[AT_EXPIRES + 5] += 1; /* 65536 s later */
}

static void drop_attestation(uint8_t *token)
{
    token[AT_ITEMS] &= (uint8_t)~TK_TEEP_ITEM_ATTESTATION;
}

/* Checks that a forged QueryRequest's answer gets 409 and stores
 * nothing. */
static void assert_forgery_rejected(void (*alter)(uint8_t *token))
{
    assert_int_equal(post(NULL, 0), 200);
    forge_query(alter);
    size_t len = agent_answer();
    assert_true(len > 0);
    uint64_t before = rejected();
    assert_int_equal(post(msg, len), 409);
    assert_int_equal(reply_len, 0);
    assert_int_equal(rejected(), before + 1);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
    assert_int_equal(count_sessions(), 0);
}

/* The empty POST writes nothing to the store. */
static void start_stores_nothing(void **state)
{
    (void)state;
    tk_store_summary before;
    tk_store_summary after;
    assert_int_equal(tk_store_summary_get(env.store, &before, NULL), TK_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(post(NULL, 0), 200);
    assert_int_equal(tk_store_summary_get(env.store, &after, NULL), TK_OK);
    assert_memory_equal(&before, &after, sizeof(before));
    assert_int_equal(count_sessions(), 0);
    tk_tam_stats stats;
    tk_tam_stats_get(env.tam, &stats);
    assert_int_equal(stats.sessions_started, 3);
}

static void forged_tag_rejected(void **state)
{
    (void)state;
    assert_forgery_rejected(flip_tag);
}

static void altered_expiry_rejected(void **state)
{
    (void)state;
    assert_forgery_rejected(extend_expiry);
}

/* Without this check a device could skip its attestation. */
static void altered_items_rejected(void **state)
{
    (void)state;
    assert_forgery_rejected(drop_attestation);
}

/* A token serves until the second before its expiry (24 hours). */
static void token_valid_until_expiry(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    env.now += 24 * 3600 - 1;
    size_t len = agent_answer();
    assert_true(len > 0);
    assert_int_equal(post(msg, len), 200);
    assert_int_equal(count_attestations(&env, device, NULL), 1);
    assert_int_equal(count_sessions(), 1);
    len = agent_answer();
    assert_true(len > 0);
    assert_int_equal(post(msg, len), 204);
    assert_int_equal(count_reports(&env, device), 1);
}

/* A worker accepts the token that another worker of its database
 * issued, and either rejects it once it is used. */
static void workers_share_tokens(void **state)
{
    (void)state;
    open_second();
    assert_int_equal(post(NULL, 0), 200);
    size_t len = agent_answer();
    assert_true(len > 0);
    static uint8_t query_response[ENV_MESSAGE_MAX];
    memcpy(query_response, msg, len);
    assert_int_equal(post_to(second, query_response, len), 200);
    size_t success = agent_answer();
    assert_true(success > 0);
    assert_int_equal(post(msg, success), 204);
    assert_int_equal(count_reports(&env, device), 1);
    assert_int_equal(post(query_response, len), 409);
    assert_int_equal(post_to(second, query_response, len), 409);
    assert_int_equal(count_attestations(&env, device, NULL), 1);
}

/* A token that a TAM of another database issued fails the tag check,
 * because each database keeps its own secret. */
static void other_secret_rejected(void **state)
{
    (void)state;
    char db[256];
    snprintf(db, sizeof(db), "%s/other.db", env.dir);
    open_worker(db, false);
    assert_int_equal(post_to(second, NULL, 0), 200);
    size_t len = agent_answer();
    assert_true(len > 0);
    uint64_t before = rejected();
    assert_int_equal(post(msg, len), 409);
    assert_int_equal(reply_len, 0);
    assert_int_equal(rejected(), before + 1);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
    assert_int_equal(count_sessions(), 0);
}

/* A replayed QueryResponse is found used only when its exchange is
 * recorded, after the appraisal, and reports no verdict. */
static void replay_reports_no_verdict(void **state)
{
    (void)state;
    open_worker(env.db, true);
    assert_int_equal(post_to(second, NULL, 0), 200);
    size_t len = agent_answer();
    assert_true(len > 0);
    static uint8_t query_response[ENV_MESSAGE_MAX];
    memcpy(query_response, msg, len);
    assert_int_equal(post_to(second, query_response, len), 200);
    assert_int_equal(seen.status, 200);
    assert_int_equal(seen.attestation, TK_EAT_STATUS_AFFIRMING);
    assert_int_equal(post_to(second, query_response, len), 409);
    assert_int_equal(seen.status, 409);
    assert_int_equal(seen.received_type, TK_TEEP_QUERY_RESPONSE);
    assert_int_equal(seen.reason, TK_ERR_TEEP_TOKEN_UNKNOWN);
    assert_int_equal(seen.attestation, TK_EAT_STATUS_NONE);
    assert_int_equal(count_attestations(&env, device, NULL), 1);
}

typedef struct racer {
    tk_tam *tam;
    const uint8_t *body;
    size_t len;
    unsigned status;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    tk_net_request req;
    memset(&req, 0, sizeof(req));
    req.method = TK_NET_POST;
    req.method_name = "POST";
    req.path = "/tam";
    req.content_type = TK_NET_MEDIA_TEEP;
    req.body = (tk_view){r->body, r->len};
    req.request_id = "race";
    tk_net_response resp;
    memset(&resp, 0, sizeof(resp));
    tk_tam_handle(r->tam, &req, &resp);
    r->status = resp.status;
    tk_net_response_clear(&resp);
    return NULL;
}

/* The same QueryResponse reaches two workers of one SQLite file at once:
 * one replies, the other gets 409, and the session is stored once. */
static void racing_workers(void **state)
{
    (void)state;
    open_second();
    for (int round = 0; round < 4; round++) {
        assert_int_equal(post(NULL, 0), 200);
        size_t len = agent_answer();
        assert_true(len > 0);
        racer racers[2] = {{env.tam, msg, len, 0}, {second, msg, len, 0}};
        pthread_t threads[2];
        for (size_t i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&threads[i], NULL, race,
                                            &racers[i]),
                             0);
        for (size_t i = 0; i < 2; i++)
            assert_int_equal(pthread_join(threads[i], NULL), 0);
        unsigned a = racers[0].status;
        unsigned b = racers[1].status;
        assert_true((a == 200 && b == 409) || (a == 409 && b == 200));
        assert_int_equal(count_attestations(&env, device, NULL),
                         (size_t)round + 1);
        assert_int_equal(count_sessions(), (size_t)round + 1);
        tk_teep_agent_state_init(&agent.sim.state);
    }
}

/* A Success that carries the QueryRequest's token is dropped (400), and
 * because its signature verified, the token is used: the QueryResponse
 * that follows gets 409. */
static void dropped_message_uses_token(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    size_t len = agent_answer();
    assert_true(len > 0);
    static uint8_t query_response[ENV_MESSAGE_MAX];
    memcpy(query_response, msg, len);
    tk_cose_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.flags = TK_COSE_OPT_UNTAGGED_OK;
    tk_cose_sign1 s1;
    assert_int_equal(tk_cose_sign1_decode((tk_view){msg, len}, &opts, &s1),
                     TK_OK);
    tk_teep_message m;
    assert_int_equal(tk_teep_decode(s1.payload.ptr, s1.payload.len, &m,
                                    NULL),
                     TK_OK);
    tk_teep_message wrong;
    memset(&wrong, 0, sizeof(wrong));
    wrong.type = TK_TEEP_SUCCESS;
    wrong.token = m.token;
    TK_TEEP_SET(&wrong, TK_TEEP_LABEL_TOKEN);
    static uint8_t body[1024];
    size_t body_len = 0;
    assert_int_equal(tk_teep_encode(&wrong, body, sizeof(body), &body_len),
                     TK_OK);
    static uint8_t success[4096];
    size_t success_len = 0;
    assert_int_equal(tk_teep_sign(tk_crypto_openssl(), &agent.sim.signer, 1,
                                  (tk_view){body, body_len}, scratch,
                                  sizeof(scratch), success, sizeof(success),
                                  &success_len),
                     TK_OK);
    assert_int_equal(post(success, success_len), 400);
    assert_int_equal(post(query_response, len), 409);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
    assert_int_equal(count_sessions(), 0);
}

/* A token issued in the last seconds of an epoch serves in the next one,
 * on this worker and on one that starts then, and the new epoch's tokens
 * carry another secret id. */
static void rotation_keeps_previous_epoch(void **state)
{
    (void)state;
    env.now = (env.now / 3600 + 1) * 3600 - 10;
    assert_int_equal(post(NULL, 0), 200);
    uint8_t first = last_secret_id();
    size_t len = agent_answer();
    assert_true(len > 0);
    env.now += 20;
    char text[256];
    assert_int_equal(try_worker(env.db, false, "3600", "3600", text), TK_OK);
    static uint8_t query_response[ENV_MESSAGE_MAX];
    memcpy(query_response, msg, len);
    assert_int_equal(post_to(second, query_response, len), 200);
    assert_int_equal(count_attestations(&env, device, NULL), 1);
    assert_int_equal(post(query_response, len), 409);
    assert_int_equal(post(NULL, 0), 200);
    assert_int_not_equal(last_secret_id(), first);
    assert_int_not_equal(last_secret_id(), 1);
}

/* Two epochs on, the token is refused as expired, though its secret is
 * gone, and nothing is stored. */
static void rotation_drops_older_epochs(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    size_t len = agent_answer();
    assert_true(len > 0);
    env.now += 2 * 3600;
    char text[256];
    assert_int_equal(try_worker(env.db, true, "3600", "3600", text), TK_OK);
    assert_int_equal(post_to(second, msg, len), 409);
    assert_int_equal(seen.reason, TK_ERR_TEEP_TOKEN_EXPIRED);
    assert_int_equal(count_attestations(&env, device, NULL), 0);
    assert_int_equal(count_sessions(), 0);
}

/* A rotation shorter than a session's lifetime is raised to it, so that
 * a token never outlives both secrets that are accepted. A token of a
 * 3600-second session, issued at the end of a 60-second epoch, still
 * serves 3599 seconds later. */
static void short_rotation_raised_to_lifetime(void **state)
{
    (void)state;
    char text[256];
    assert_int_equal(try_worker(env.db, false, "60", "3600", text), TK_OK);
    env.now = (env.now / 3600 + 1) * 3600 - 1;
    assert_int_equal(post_to(second, NULL, 0), 200);
    size_t len = agent_answer();
    assert_true(len > 0);
    env.now += 3599;
    assert_int_equal(post_to(second, msg, len), 200);
    assert_int_equal(count_attestations(&env, device, NULL), 1);
}

/* Without rotation every token carries the one secret of id 1 and serves
 * until its expiry. */
static void fixed_secret_without_rotation(void **state)
{
    (void)state;
    assert_int_equal(post(NULL, 0), 200);
    assert_int_equal(last_secret_id(), 1);
    size_t len = agent_answer();
    assert_true(len > 0);
    env.now += 24 * 3600 - 1;
    assert_int_equal(post(msg, len), 200);
    assert_int_equal(count_attestations(&env, device, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(start_stores_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(forged_tag_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(altered_expiry_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(altered_items_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(token_valid_until_expiry, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(workers_share_tokens, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(racing_workers, setup, teardown),
        cmocka_unit_test_setup_teardown(other_secret_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(replay_reports_no_verdict, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dropped_message_uses_token, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rotation_keeps_previous_epoch,
                                        setup_rotating, teardown),
        cmocka_unit_test_setup_teardown(rotation_drops_older_epochs,
                                        setup_rotating, teardown),
        cmocka_unit_test_setup_teardown(short_rotation_raised_to_lifetime,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(fixed_secret_without_rotation,
                                        setup_fixed, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
