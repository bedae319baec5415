/*
 * Test bed of the TAM service (see tam_test_env.h).
 */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "coap_client.h"
#include "http_client.h"
#include "util.h"
#include "tam_test_env.h"
#include "teepkit/cbor.h"
#include "teepkit/cose.h"

static const uint8_t device_hwmodel[2] = {0x01, 0x02};
static const uint8_t other_hwmodel[2] = {0x09, 0x99};
static const uint8_t stale_nonce[32] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                        0x5a, 0x5a, 0x5a};

static const tk_crypto *crypto(void)
{
    const tk_crypto *c = tk_crypto_openssl();
    assert_non_null(c);
    return c;
}

int64_t env_clock(void *ctx)
{
    return ((tam_env *)ctx)->now;
}

/* ---- TAM side ----------------------------------------------------------- */

void env_open(tam_env *env, const char *const *config)
{
    memset(env, 0, sizeof(*env));
    snprintf(env->dir, sizeof(env->dir), "/tmp/tk-tam-test.XXXXXX");
    assert_non_null(mkdtemp(env->dir));
    snprintf(env->db, sizeof(env->db), "%s/tam.db", env->dir);
    snprintf(env->key_dir, sizeof(env->key_dir), "%s/keys", env->dir);
    env->now = 1800000000;

    char msg[512] = "";
    bool created = false;
    assert_int_equal(tk_tam_keys_create(crypto(), env->key_dir, &created,
                                        msg, sizeof(msg)),
                     TK_OK);
    assert_true(created);
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    assert_int_equal(tk_tam_config_set(&cfg, "db", env->db, msg, sizeof(msg)),
                     TK_OK);
    assert_int_equal(tk_tam_config_set(&cfg, "key_dir", env->key_dir, msg,
                                       sizeof(msg)),
                     TK_OK);
    assert_int_equal(tk_tam_config_set(&cfg, "log_level", "warn", msg,
                                       sizeof(msg)),
                     TK_OK);
    for (size_t i = 0; config != NULL && config[i] != NULL; i++) {
        char key[64];
        const char *eq = strchr(config[i], '=');
        assert_non_null(eq);
        snprintf(key, sizeof(key), "%.*s", (int)(eq - config[i]), config[i]);
        assert_int_equal(tk_tam_config_set(&cfg, key, eq + 1, msg,
                                           sizeof(msg)),
                         TK_OK);
    }
    tk_log_set_level(cfg.log_level);
    tk_tam_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.clock = env_clock;
    opt.clock_ctx = env;
    tk_err err = tk_tam_open(&cfg, &opt, &env->tam, msg, sizeof(msg));
    if (err != TK_OK)
        fail_msg("tk_tam_open: %s", msg);
    tk_tam_config_free(&cfg);
    env->store = tk_tam_store(env->tam);

    tk_key_init(&env->component_signer);
    assert_int_equal(crypto()->key_generate(crypto()->ctx, TK_CRV_P256,
                                            &env->component_signer),
                     TK_OK);
    if (sim_tam_keys_load(&env->tam_keys, crypto(), env->key_dir, msg,
                          sizeof(msg)) != TK_OK)
        fail_msg("TAM keys: %s", msg);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void env_close(tam_env *env)
{
    tk_coap_server_stop(env->coap);
    tk_http_server_stop(env->http);
    tk_tam_close(env->tam);
    tk_key_release(&env->component_signer);
    sim_tam_keys_release(&env->tam_keys);
    nftw(env->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void env_start_http(tam_env *env)
{
    tk_http_route route;
    memset(&route, 0, sizeof(route));
    route.path = "/tam";
    route.methods = TK_NET_POST;
    route.kind = TK_HTTP_ROUTE_TEEP;
    route.handler = tk_tam_handle;
    route.ctx = env->tam;
    tk_http_server_config cfg;
    tk_http_server_config_init(&cfg);
    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 2;
    cfg.routes = &route;
    cfg.route_count = 1;
    assert_int_equal(tk_http_server_start(&cfg, &env->http), TK_OK);
    snprintf(env->url, sizeof(env->url), "http://127.0.0.1:%u/tam",
             (unsigned)tk_http_server_port(env->http));
}

void env_start_coap(tam_env *env)
{
    tk_coap_server_config cfg;
    tk_coap_server_config_init(&cfg);
    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.handler = tk_tam_handle;
    cfg.ctx = env->tam;
    assert_int_equal(tk_coap_server_start(&cfg, &env->coap), TK_OK);
    snprintf(env->url, sizeof(env->url), "coap://127.0.0.1:%u/tam",
             (unsigned)tk_coap_server_port(env->coap));
}

void component_ids(const char *name, agent_component *c)
{
    tk_cbor_enc enc;
    memset(c, 0, sizeof(*c));
    tk_cbor_enc_init(&enc, c->id, sizeof(c->id), 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_bstr(&enc, (const uint8_t *)"tc", 2);
    tk_cbor_enc_put_bstr(&enc, (const uint8_t *)name, strlen(name));
    assert_int_equal(tk_cbor_enc_finish(&enc, &c->id_len), TK_OK);
    tk_cbor_enc_init(&enc, c->manifest_id, sizeof(c->manifest_id), 0);
    tk_cbor_enc_put_array(&enc, 3);
    tk_cbor_enc_put_bstr(&enc, (const uint8_t *)"tc", 2);
    tk_cbor_enc_put_bstr(&enc, (const uint8_t *)name, strlen(name));
    tk_cbor_enc_put_bstr(&enc, (const uint8_t *)"suit", 4);
    assert_int_equal(tk_cbor_enc_finish(&enc, &c->manifest_id_len), TK_OK);
}

int64_t env_add_component(tam_env *env, const char *name, uint64_t sequence)
{
    tk_view id[2] = {{(const uint8_t *)"tc", 2},
                     {(const uint8_t *)name, strlen(name)}};
    sim_upload up = {.id = id,
                     .id_count = 2,
                     .manifest_id = true,
                     .sequence = sequence,
                     .name = name,
                     .actor = "test",
                     .signer = &env->component_signer};
    int64_t component = 0;
    char msg[256];
    if (sim_upload_component(env->store, crypto(), &up, &component, msg,
                             sizeof(msg)) != TK_OK)
        fail_msg("version upload: %s", msg);
    return component;
}

void env_policy(tam_env *env, const test_agent *agent, int64_t component,
                bool absent)
{
    tk_store_policy rule;
    memset(&rule, 0, sizeof(rule));
    rule.device_id = agent_device_id(env, agent);
    rule.component = component;
    rule.action = absent ? TK_STORE_POLICY_FORBID : TK_STORE_POLICY_INSTALL;
    int64_t id = 0;
    assert_int_equal(tk_store_policy_set(env->store, &rule, "test", &id,
                                         NULL),
                     TK_OK);
}

/* ---- Agents ------------------------------------------------------------- */

/* Applies the agent's fault and hwversion to its evidence. */
static void agent_faults(void *user, tk_eat_claims *c,
                         tk_teep_evidence_request *request,
                         tk_eat_signer *signer)
{
    test_agent *a = user;
    if (a->fault == AGENT_WRONG_HWMODEL)
        c->hwmodel = (tk_view){other_hwmodel, sizeof(other_hwmodel)};
    if (a->hwversion != NULL)
        c->hwversion.version =
            (tk_view){(const uint8_t *)a->hwversion, strlen(a->hwversion)};
    if (a->fault == AGENT_STALE_NONCE)
        request->challenge = (tk_view){stale_nonce, sizeof(stale_nonce)};
    if (a->fault == AGENT_WRONG_ATTESTATION_KEY) {
        signer->key = &a->rogue;
        signer->kid = (tk_view){a->rogue_kid, sizeof(a->rogue_kid)};
    }
}

static tk_err agent_requested(void *ctx, size_t index,
                              tk_teep_requested_tc *tc)
{
    const test_agent *a = ((sim_agent *)ctx)->user;
    if (index >= a->requested_count)
        return TK_ERR_NOT_FOUND;
    memset(tc, 0, sizeof(*tc));
    tc->component_id = (tk_view){a->requested[index].id,
                                 a->requested[index].id_len};
    return TK_OK;
}

static tk_err agent_unneeded(void *ctx, size_t index, tk_view *manifest_id)
{
    const test_agent *a = ((sim_agent *)ctx)->user;
    if (index >= a->unneeded_count)
        return TK_ERR_NOT_FOUND;
    *manifest_id = (tk_view){a->unneeded[index].manifest_id,
                             a->unneeded[index].manifest_id_len};
    return TK_OK;
}

void agent_init(test_agent *a, tam_env *env, unsigned n)
{
    memset(a, 0, sizeof(*a));
    a->env = env;
    sim_agent_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto();
    cfg.tam = &env->tam_keys;
    cfg.now = env_clock;
    cfg.now_ctx = env;
    cfg.hwmodel = (tk_view){device_hwmodel, sizeof(device_hwmodel)};
    cfg.hwversion_reference = true;
    cfg.manifest_signer = &env->component_signer;
    cfg.evidence_hook = agent_faults;
    uint8_t ueid[SIM_UEID_LEN];
    ueid[0] = 0x01; /* RAND type, RFC 9711 section 4.2.1 */
    for (size_t i = 1; i < sizeof(ueid); i++)
        ueid[i] = (uint8_t)(0x30 + i + 16 * n);
    assert_int_equal(sim_agent_init(&a->sim, &cfg, ueid), TK_OK);
    a->sim.user = a;
    a->sim.machine.ops.requested = agent_requested;
    a->sim.machine.ops.unneeded = agent_unneeded;
    assert_int_equal(sim_new_key(crypto(), &a->rogue, a->rogue_kid), TK_OK);
    tk_util_hex_encode(ueid, sizeof(ueid), a->id_hex);
    assert_int_equal(
        sim_agent_register(&a->sim, env->store, 0, "test", NULL, NULL), TK_OK);
}

void agent_release(test_agent *a)
{
    sim_agent_release(&a->sim);
    tk_key_release(&a->rogue);
}

void agent_install(test_agent *a, const char *name, uint64_t sequence)
{
    agent_component c;
    component_ids(name, &c);
    assert_int_equal(
        sim_agent_record(&a->sim, (tk_view){c.id, c.id_len},
                         (tk_view){c.manifest_id, c.manifest_id_len}, sequence),
        TK_OK);
}

uint64_t agent_sequence(const test_agent *a, const char *name)
{
    agent_component c;
    component_ids(name, &c);
    const sim_component *found =
        sim_agent_find(&a->sim, (tk_view){c.id, c.id_len});
    return found != NULL ? found->sequence : 0;
}

/* ---- Transport ---------------------------------------------------------- */

static void post_in_process(tam_env *env, const uint8_t *body, size_t len,
                            unsigned *status, uint8_t *reply, size_t cap,
                            size_t *reply_len)
{
    tk_net_request req;
    memset(&req, 0, sizeof(req));
    req.transport = TK_NET_HTTP;
    req.method = TK_NET_POST;
    req.method_name = "POST";
    req.path = "/tam";
    req.content_type = len > 0 ? TK_NET_MEDIA_TEEP : NULL;
    req.content_format = -1;
    req.body = (tk_view){body, len};
    req.request_id = "test";
    req.peer = "127.0.0.1:1";
    tk_net_response resp;
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(tk_tam_handle(env->tam, &req, &resp), TK_OK);
    *status = resp.status;
    assert_true(resp.body_len <= cap);
    if (resp.body_len > 0)
        memcpy(reply, resp.body, resp.body_len);
    *reply_len = resp.body_len;
    tk_net_response_clear(&resp);
}

static void post_http(tam_env *env, const uint8_t *body, size_t len,
                      unsigned *status, uint8_t *reply, size_t cap,
                      size_t *reply_len)
{
    tk_http_client_config cfg;
    tk_http_client_config_init(&cfg);
    tk_http_client *client = NULL;
    assert_int_equal(tk_http_client_new(&cfg, &client), TK_OK);
    tk_net_reply r;
    memset(&r, 0, sizeof(r));
    tk_err err = tk_http_client_post(client, env->url, body, len, &r);
    assert_true(err == TK_OK || err == TK_ERR_NET_STATUS);
    *status = r.status;
    *reply_len = 0;
    if (err == TK_OK && r.body.len > 0) {
        assert_true(r.body.len <= cap);
        memcpy(reply, r.body.ptr, r.body.len);
        *reply_len = r.body.len;
    }
    tk_http_client_free(client);
}

/* CoAP replies 2.04 with or without payload, so the payload tells the
 * TAM's 200 from its 204. */
static void post_coap(tam_env *env, const uint8_t *body, size_t len,
                      unsigned *status, uint8_t *reply, size_t cap,
                      size_t *reply_len)
{
    tk_coap_client_config cfg;
    tk_coap_client_config_init(&cfg);
    tk_coap_client *client = NULL;
    assert_int_equal(tk_coap_client_new(&cfg, &client), TK_OK);
    tk_net_reply r;
    memset(&r, 0, sizeof(r));
    tk_err err = tk_coap_client_post(client, env->url, body, len, &r);
    assert_true(err == TK_OK || err == TK_ERR_NET_STATUS);
    *status = r.status;
    if (err == TK_OK)
        *status = r.done ? 204 : 200;
    *reply_len = 0;
    if (err == TK_OK && r.body.len > 0) {
        assert_true(r.body.len <= cap);
        memcpy(reply, r.body.ptr, r.body.len);
        *reply_len = r.body.len;
    }
    tk_coap_client_free(client);
}

void env_post(tam_env *env, const uint8_t *body, size_t len,
              unsigned *status, uint8_t *reply, size_t cap,
              size_t *reply_len)
{
    if (env->coap != NULL)
        post_coap(env, body, len, status, reply, cap, reply_len);
    else if (env->http != NULL)
        post_http(env, body, len, status, reply, cap, reply_len);
    else
        post_in_process(env, body, len, status, reply, cap, reply_len);
}

/* Returns the TEEP type of a signed message, 0 when unreadable. */
static uint32_t message_type(const uint8_t *msg, size_t len)
{
    tk_cose_sign1 s1;
    tk_cose_sign s;
    tk_cose_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.flags = TK_COSE_OPT_UNTAGGED_OK;
    tk_view payload = {NULL, 0};
    if (tk_cose_sign1_decode((tk_view){msg, len}, &opts, &s1) == TK_OK)
        payload = s1.payload;
    else if (tk_cose_sign_decode((tk_view){msg, len}, &opts, &s) == TK_OK)
        payload = s.payload;
    tk_teep_message m;
    if (tk_teep_decode(payload.ptr, payload.len, &m, NULL) != TK_OK)
        return 0;
    return m.type;
}

size_t run_exchange(tam_env *env, test_agent *agent, exchange *ex)
{
    static uint8_t reply[ENV_MESSAGE_MAX];
    memset(ex, 0, sizeof(*ex));
    size_t reply_len = 0;
    size_t n = 0;
    unsigned status = 0;
    env_post(env, NULL, 0, &status, reply, sizeof(reply), &reply_len);
    ex->status[n] = status;
    ex->reply_type[n] = message_type(reply, reply_len);
    n++;
    while (status == 200 && n < ENV_MAX_MESSAGES) {
        tk_teep_agent_result res;
        tk_teep_agent_handle(&agent->sim.machine, &agent->sim.state,
                             (tk_view){reply, reply_len}, ex->sent[n],
                             ENV_MESSAGE_MAX, &res);
        ex->last_agent = res;
        if (res.out_len == 0)
            break;
        ex->sent_len[n] = res.out_len;
        ex->sent_type[n] = res.sent_type;
        env_post(env, ex->sent[n], res.out_len, &status, reply,
                 sizeof(reply), &reply_len);
        ex->status[n] = status;
        ex->reply_type[n] = status == 200 ? message_type(reply, reply_len)
                                          : 0;
        n++;
    }
    ex->count = n;
    return n;
}

/* ---- Store queries ------------------------------------------------------ */

int64_t agent_device_id(tam_env *env, const test_agent *agent)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    assert_int_equal(tk_store_device_find(
                         env->store,
                         (tk_view){agent->sim.ueid, sizeof(agent->sim.ueid)},
                         &mem, &d, NULL),
                     TK_OK);
    tk_store_mem_free(&mem);
    return d.id;
}

size_t count_attestations(tam_env *env, int64_t device,
                          tk_store_attestation *latest)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_attestations list;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    assert_int_equal(tk_store_attestation_list(env->store, device, &page,
                                               &mem, &list, NULL),
                     TK_OK);
    if (latest != NULL) {
        memset(latest, 0, sizeof(*latest));
        if (list.count > 0) {
            *latest = list.items[list.count - 1];
            latest->reason = NULL;
            latest->claims = NULL;
        }
    }
    size_t n = list.count;
    tk_store_mem_free(&mem);
    return n;
}

size_t count_reports(tam_env *env, int64_t device)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_reports list;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    assert_int_equal(tk_store_report_list(env->store, device, 0, &page, &mem,
                                          &list, NULL),
                     TK_OK);
    size_t n = list.count;
    tk_store_mem_free(&mem);
    return n;
}

size_t count_audit(tam_env *env, const char *action)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_audits list;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    assert_int_equal(tk_store_audit_list(env->store, NULL, &page, &mem,
                                         &list, NULL),
                     TK_OK);
    size_t n = 0;
    for (size_t i = 0; i < list.count; i++)
        if (strcmp(list.items[i].action, action) == 0)
            n++;
    tk_store_mem_free(&mem);
    return n;
}

size_t count_installed(tam_env *env, int64_t device, const char *name,
                       uint64_t *sequence)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_installeds list;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    assert_int_equal(tk_store_installed_list(env->store, device, &page,
                                             &mem, &list, NULL),
                     TK_OK);
    size_t n = list.count;
    if (name != NULL) {
        agent_component c;
        component_ids(name, &c);
        n = 0;
        for (size_t i = 0; i < list.count; i++)
            if (list.items[i].component_id.len == c.id_len &&
                memcmp(list.items[i].component_id.ptr, c.id, c.id_len) ==
                    0) {
                n++;
                if (sequence != NULL)
                    *sequence = list.items[i].sequence;
            }
    }
    tk_store_mem_free(&mem);
    return n;
}
