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
#include "keyfile.h"
#include "util.h"
#include "tam_test_env.h"
#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "teepkit/suit.h"
#include "teepkit/suit_build.h"

static const uint8_t device_oemid[3] = {0x0a, 0x0b, 0x0c};
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

/* Loads a TAM public key as the agents trust it, with its kid. */
static void load_tam_key(tam_env *env, size_t i, const char *name)
{
    char path[256];
    tk_keyfile_info info;
    char msg[256];
    snprintf(path, sizeof(path), "%s/%s", env->key_dir, name);
    tk_key_init(&env->tam_keys[i]);
    assert_int_equal(tk_keyfile_load(crypto(), path, &env->tam_keys[i],
                                     &info, msg, sizeof(msg)),
                     TK_OK);
    assert_true(info.kid_len > 0);
    memcpy(env->tam_kids[i], info.kid, info.kid_len);
    env->tam_kid_len[i] = info.kid_len;
    env->tam_keys[i].kid = (tk_view){env->tam_kids[i], info.kid_len};
}

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
    load_tam_key(env, 0, TK_TAM_COSE_ESP256);
    load_tam_key(env, 1, TK_TAM_COSE_ED25519);
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
    tk_key_release(&env->tam_keys[0]);
    tk_key_release(&env->tam_keys[1]);
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
    tk_view id_parts[2] = {{(const uint8_t *)"tc", 2},
                           {(const uint8_t *)name, strlen(name)}};
    tk_view manifest_parts[3] = {id_parts[0], id_parts[1],
                                 {(const uint8_t *)"suit", 4}};
    tk_suit_build_component_id component_id = {id_parts, 2};
    tk_suit_build_component_id manifest_id = {manifest_parts, 3};
    tk_suit_build_manifest m;
    memset(&m, 0, sizeof(m));
    m.sequence_number = sequence;
    m.components = &component_id;
    m.component_count = 1;
    m.manifest_component_id = &manifest_id;
    tk_suit_build_envelope e;
    memset(&e, 0, sizeof(e));
    e.manifest = &m;
    tk_suit_build_signer signer = {TK_ALG_ESP256, &env->component_signer,
                                   {NULL, 0}};
    uint8_t buf[2048];
    size_t len = 0;
    assert_int_equal(tk_suit_build_encode_envelope(&e, crypto(), &signer, 1,
                                                   buf, sizeof(buf), &len,
                                                   NULL),
                     TK_OK);

    const tk_key *signers[1] = {&env->component_signer};
    tk_tam_envelope_info info;
    char msg[256];
    assert_int_equal(tk_tam_envelope_inspect(crypto(), (tk_view){buf, len},
                                             signers, 1, &info, msg,
                                             sizeof(msg)),
                     TK_OK);
    tk_store_version v;
    memset(&v, 0, sizeof(v));
    v.sequence = info.sequence;
    v.digest = info.digest;
    v.envelope = (tk_view){buf, len};
    v.size = len;
    int64_t component = 0;
    int64_t version = 0;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_version_upload(env->store, info.component_id, name,
                                         &v, "test", &component, &version,
                                         &detail);
    if (err != TK_OK)
        fail_msg("version upload: %s", detail.text);
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

/* ---- Agent callbacks ---------------------------------------------------- */

static int64_t agent_now(void *ctx)
{
    return ((test_agent *)ctx)->env->now;
}

static bool same_family(tk_alg a, tk_alg b)
{
    return tk_crypto_sig_curve(a) == tk_crypto_sig_curve(b);
}

static tk_err agent_tam_key(void *ctx, tk_alg alg, tk_view kid,
                            const tk_key **key, tk_view *peer_id)
{
    test_agent *a = ctx;
    tam_env *env = a->env;
    for (size_t i = 0; i < 2; i++) {
        if (kid.len == env->tam_kid_len[i] &&
            memcmp(kid.ptr, env->tam_kids[i], kid.len) == 0 &&
            same_family(alg, i == 0 ? TK_ALG_ESP256 : TK_ALG_ED25519)) {
            *key = &env->tam_keys[i];
            *peer_id = (tk_view){(const uint8_t *)"tam", 3};
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err agent_evidence(void *ctx, const tk_teep_evidence_request *req,
                             uint8_t *buf, size_t cap, size_t *len,
                             tk_view *format)
{
    test_agent *a = ctx;
    (void)format;
    tk_eat_claims c;
    memset(&c, 0, sizeof(c));
    c.present = TK_EAT_HAS_UEID | TK_EAT_HAS_OEMID | TK_EAT_HAS_HWMODEL |
                TK_EAT_HAS_HWVERSION | TK_EAT_HAS_MANIFESTS;
    c.ueid = (tk_view){a->ueid, sizeof(a->ueid)};
    c.oemid = (tk_view){device_oemid, sizeof(device_oemid)};
    c.hwmodel = (tk_view){device_hwmodel, sizeof(device_hwmodel)};
    if (a->fault == AGENT_WRONG_HWMODEL)
        c.hwmodel = (tk_view){other_hwmodel, sizeof(other_hwmodel)};
    const char *hwversion = a->hwversion != NULL ? a->hwversion : "1.0";
    c.hwversion.version = (tk_view){(const uint8_t *)hwversion,
                                    strlen(hwversion)};
    c.manifest_count = 1;
    c.manifests[0].content_type = 60;
    c.manifests[0].content = (tk_view){(const uint8_t *)"\xa0", 1};
    tk_teep_evidence_request request = *req;
    if (a->fault == AGENT_STALE_NONCE)
        request.challenge = (tk_view){stale_nonce, sizeof(stale_nonce)};
    tk_eat_signer signer = {TK_ALG_ESP256, &a->attester,
                            {a->attester_kid, sizeof(a->attester_kid)}};
    if (a->fault == AGENT_WRONG_ATTESTATION_KEY) {
        signer.key = &a->rogue;
        signer.kid = (tk_view){a->rogue_kid, sizeof(a->rogue_kid)};
    }
    return tk_teep_agent_evidence(crypto(), &signer, &c, &request,
                                  a->env->now, a->evidence_scratch,
                                  sizeof(a->evidence_scratch), buf, cap, len);
}

static tk_err cb_component(void *ctx, size_t index, tk_teep_tc_info *info)
{
    test_agent *a = ctx;
    if (index >= a->installed_count)
        return TK_ERR_NOT_FOUND;
    memset(info, 0, sizeof(*info));
    info->component_id = (tk_view){a->installed[index].id,
                                   a->installed[index].id_len};
    info->has_sequence = true;
    info->sequence = a->installed[index].sequence;
    return TK_OK;
}

static tk_err agent_requested(void *ctx, size_t index,
                              tk_teep_requested_tc *tc)
{
    test_agent *a = ctx;
    if (index >= a->requested_count)
        return TK_ERR_NOT_FOUND;
    memset(tc, 0, sizeof(*tc));
    tc->component_id = (tk_view){a->requested[index].id,
                                 a->requested[index].id_len};
    return TK_OK;
}

static tk_err agent_unneeded(void *ctx, size_t index, tk_view *manifest_id)
{
    test_agent *a = ctx;
    if (index >= a->unneeded_count)
        return TK_ERR_NOT_FOUND;
    *manifest_id = (tk_view){a->unneeded[index].manifest_id,
                             a->unneeded[index].manifest_id_len};
    return TK_OK;
}

static tk_err signer_key(void *ctx, const tk_suit_key_request *req,
                         const tk_key **key)
{
    if (req->use != TK_SUIT_KEY_MANIFEST)
        return TK_ERR_NOT_FOUND;
    *key = ctx;
    return TK_OK;
}

/* Writes {2: token, 3: [], 4: true, 99: ["", digest]}. */
static tk_err write_report(tk_view token, const tk_suit_digest *digest,
                           uint8_t *out, size_t cap, size_t *len)
{
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_map(&enc, 4);
    tk_cbor_enc_put_uint(&enc, 2);
    tk_cbor_enc_put_bstr(&enc, token.ptr, token.len);
    tk_cbor_enc_put_uint(&enc, 3);
    tk_cbor_enc_put_array(&enc, 0);
    tk_cbor_enc_put_uint(&enc, 4);
    tk_cbor_enc_put_bool(&enc, true);
    tk_cbor_enc_put_uint(&enc, 99);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_text(&enc, "");
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, digest->alg);
    tk_cbor_enc_put_bstr(&enc, digest->bytes.ptr, digest->bytes.len);
    return tk_cbor_enc_finish(&enc, len);
}

static agent_component *find_component(test_agent *a, tk_view id)
{
    for (size_t i = 0; i < a->installed_count; i++)
        if (a->installed[i].id_len == id.len &&
            memcmp(a->installed[i].id, id.ptr, id.len) == 0)
            return &a->installed[i];
    return NULL;
}

/* Verifies and "installs" an envelope: records its component and
 * sequence, rejecting a sequence number that is not newer. */
static tk_err agent_process(void *ctx, tk_view envelope, tk_view token,
                            uint8_t *report, size_t cap, size_t *report_len)
{
    test_agent *a = ctx;
    a->process_calls++;
    tk_suit_envelope env;
    tk_suit_manifest m;
    tk_err err = tk_suit_envelope_decode(envelope, &env, NULL);
    if (err == TK_OK)
        err = tk_suit_envelope_verify(&env, crypto(), signer_key,
                                      &a->env->component_signer, 0,
                                      (tk_view){NULL, 0}, NULL);
    if (err == TK_OK)
        err = tk_suit_manifest_decode(&env, crypto(), 0, &m, NULL);
    if (err != TK_OK)
        return err;
    agent_component *c = find_component(a, m.components[0]);
    if (c != NULL && c->sequence >= m.sequence_number)
        return TK_ERR_SUIT_ROLLBACK;
    if (c == NULL) {
        assert_true(a->installed_count < ENV_MAX_COMPONENTS);
        c = &a->installed[a->installed_count++];
        memset(c, 0, sizeof(*c));
        memcpy(c->id, m.components[0].ptr, m.components[0].len);
        c->id_len = m.components[0].len;
        memcpy(c->manifest_id, m.component_id.ptr, m.component_id.len);
        c->manifest_id_len = m.component_id.len;
    }
    c->sequence = m.sequence_number;
    return write_report(token, &env.digest, report, cap, report_len);
}

static tk_err agent_unlink(void *ctx, tk_view manifest_id)
{
    test_agent *a = ctx;
    a->unlink_calls++;
    for (size_t i = 0; i < a->installed_count; i++) {
        agent_component *c = &a->installed[i];
        if (c->manifest_id_len == manifest_id.len &&
            memcmp(c->manifest_id, manifest_id.ptr, manifest_id.len) == 0) {
            a->installed[i] = a->installed[--a->installed_count];
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

/* ---- Agent set-up ------------------------------------------------------- */

static void new_key(tk_key *key, uint8_t kid[32])
{
    tk_key_init(key);
    assert_int_equal(crypto()->key_generate(crypto()->ctx, TK_CRV_P256, key),
                     TK_OK);
    assert_int_equal(tk_cose_key_thumbprint(crypto(), key, kid), TK_OK);
}

static void register_key(tam_env *env, int64_t device, tk_store_key_use use,
                         const tk_key *key, const uint8_t kid[32])
{
    uint8_t cose[256];
    size_t len = 0;
    tk_key pub = *key;
    pub.kid = (tk_view){NULL, 0};
    assert_int_equal(tk_cose_key_encode(&pub, TK_ALG_ESP256, false, cose,
                                        sizeof(cose), &len),
                     TK_OK);
    tk_store_key row;
    memset(&row, 0, sizeof(row));
    row.device_id = device;
    row.use = use;
    row.kid = (tk_view){kid, 32};
    row.alg = TK_ALG_ESP256;
    row.cose_key = (tk_view){cose, len};
    assert_int_equal(tk_store_key_add(env->store, &row, "test", NULL, NULL),
                     TK_OK);
}

static void register_device(test_agent *a)
{
    tam_env *env = a->env;
    tk_store_device d;
    memset(&d, 0, sizeof(d));
    d.ueid = (tk_view){a->ueid, sizeof(a->ueid)};
    int64_t id = 0;
    assert_int_equal(tk_store_device_add(env->store, &d, "test", &id, NULL),
                     TK_OK);
    register_key(env, id, TK_STORE_KEY_AGENT, &a->key, a->kid);
    register_key(env, id, TK_STORE_KEY_ATTESTATION, &a->attester,
                 a->attester_kid);
    tk_store_refval v;
    memset(&v, 0, sizeof(v));
    v.device_id = id;
    v.kind = TK_STORE_REF_HWMODEL;
    v.value = (tk_view){device_hwmodel, sizeof(device_hwmodel)};
    assert_int_equal(tk_store_refval_add(env->store, &v, "test", NULL, NULL),
                     TK_OK);
    v.kind = TK_STORE_REF_HWVERSION;
    v.value = (tk_view){(const uint8_t *)"1.0", 3};
    assert_int_equal(tk_store_refval_add(env->store, &v, "test", NULL, NULL),
                     TK_OK);
}

void agent_init(test_agent *a, tam_env *env, unsigned n)
{
    memset(a, 0, sizeof(*a));
    a->env = env;
    new_key(&a->key, a->kid);
    new_key(&a->attester, a->attester_kid);
    new_key(&a->rogue, a->rogue_kid);
    a->ueid[0] = 0x01; /* RAND type, RFC 9711 section 4.2.1 */
    for (size_t i = 1; i < sizeof(a->ueid); i++)
        a->ueid[i] = (uint8_t)(0x30 + i + 16 * n);
    tk_util_hex_encode(a->ueid, sizeof(a->ueid), a->id_hex);
    register_device(a);

    a->signer.alg = TK_ALG_ESP256;
    a->signer.key = &a->key;
    a->signer.kid = (tk_view){a->kid, sizeof(a->kid)};
    tk_teep_agent_init(&a->agent);
    tk_teep_agent_state_init(&a->state);
    a->agent.crypto = crypto();
    a->agent.signers = &a->signer;
    a->agent.signer_count = 1;
    a->agent.scratch = a->scratch;
    a->agent.scratch_cap = sizeof(a->scratch);
    a->agent.evidence_buf = a->evidence;
    a->agent.evidence_cap = sizeof(a->evidence);
    a->agent.report_buf = a->reports;
    a->agent.report_cap = sizeof(a->reports);
    tk_teep_agent_ops *ops = &a->agent.ops;
    ops->ctx = a;
    ops->now = agent_now;
    ops->tam_key = agent_tam_key;
    ops->evidence = agent_evidence;
    ops->component = cb_component;
    ops->requested = agent_requested;
    ops->unneeded = agent_unneeded;
    ops->process_manifest = agent_process;
    ops->unlink_manifest = agent_unlink;
}

void agent_release(test_agent *a)
{
    tk_key_release(&a->key);
    tk_key_release(&a->attester);
    tk_key_release(&a->rogue);
}

void agent_install(test_agent *a, const char *name, uint64_t sequence)
{
    agent_component c;
    component_ids(name, &c);
    c.sequence = sequence;
    assert_true(a->installed_count < ENV_MAX_COMPONENTS);
    a->installed[a->installed_count++] = c;
}

uint64_t agent_sequence(const test_agent *a, const char *name)
{
    agent_component c;
    component_ids(name, &c);
    for (size_t i = 0; i < a->installed_count; i++)
        if (a->installed[i].id_len == c.id_len &&
            memcmp(a->installed[i].id, c.id, c.id_len) == 0)
            return a->installed[i].sequence;
    return 0;
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
        tk_teep_agent_handle(&agent->agent, &agent->state,
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
    assert_int_equal(tk_store_device_find(env->store,
                                          (tk_view){agent->ueid,
                                                    sizeof(agent->ueid)},
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
