/* A real TAM on a temporary store; see hs_service.h. */
#define _XOPEN_SOURCE 700

#include "hs_service.h"

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyfile.h"
#include "log.h"

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "hostile TAM: %s: %s\n", what, detail);
    abort();
}

static void check(tk_err err, const char *what, const char *detail)
{
    if (err != TK_OK)
        die(what, detail[0] != 0 ? detail : tk_errname(err));
}

static int64_t service_clock(void *ctx)
{
    return ((hs_service *)ctx)->now;
}

static void add_key(hs_service *s, tk_store_key_use use, const tk_key *key,
                    tk_alg alg, tk_view kid)
{
    uint8_t cose[256];
    size_t len = 0;
    tk_key pub = *key;
    pub.kid = hs_view(NULL, 0);
    check(tk_cose_key_encode(&pub, alg, false, cose, sizeof cose, &len),
          "encoding a device key failed", "");
    tk_store_key row;
    memset(&row, 0, sizeof row);
    row.device_id = s->device;
    row.use = use;
    row.kid = kid;
    row.alg = alg;
    row.cose_key = hs_view(cose, len);
    tk_store_detail detail = {{0}};
    check(tk_store_key_add(s->store, &row, "test", NULL, &detail),
          "adding a device key failed", detail.text);
}

static void add_refval(hs_service *s, tk_store_refval_kind kind, tk_view value)
{
    tk_store_refval v;
    memset(&v, 0, sizeof v);
    v.device_id = s->device;
    v.kind = kind;
    v.value = value;
    tk_store_detail detail = {{0}};
    check(tk_store_refval_add(s->store, &v, "test", NULL, &detail),
          "adding a reference value failed", detail.text);
}

static void register_device(hs_service *s)
{
    const hs_keys *k = hs_keys_get();
    tk_store_device d;
    memset(&d, 0, sizeof d);
    d.ueid = hs_view(hs_device_ueid, sizeof hs_device_ueid);
    tk_store_detail detail = {{0}};
    check(tk_store_device_add(s->store, &d, "test", &s->device, &detail),
          "adding the device failed", detail.text);
    add_key(s, TK_STORE_KEY_AGENT, &k->agent_p256, TK_ALG_ESP256,
            hs_view(k->agent_kid, sizeof k->agent_kid));
    add_key(s, TK_STORE_KEY_AGENT, &k->agent_ed25519, TK_ALG_ED25519,
            hs_view(k->agent_ed_kid, sizeof k->agent_ed_kid));
    add_key(s, TK_STORE_KEY_ATTESTATION, &k->attester, TK_ALG_ESP256,
            hs_str(HS_ATTESTER_KID));
    add_refval(s, TK_STORE_REF_HWMODEL,
               hs_view(hs_device_hwmodel, sizeof hs_device_hwmodel));
    add_refval(s, TK_STORE_REF_HWVERSION, hs_str("1.0"));
}

static void add_component(hs_service *s)
{
    uint8_t env[2048];
    size_t len = hs_tc_envelope(3, true, env, sizeof env);
    if (len == 0)
        die("building the component envelope failed", "");
    const tk_key *signers[1] = {&hs_keys_get()->suit_p256};
    tk_tam_envelope_info info;
    char msg[256] = "";
    check(tk_tam_envelope_inspect(hs_crypto(), hs_view(env, len), signers, 1,
                                  &info, msg, sizeof msg),
          "inspecting the component envelope failed", msg);
    tk_store_version v;
    memset(&v, 0, sizeof v);
    v.sequence = info.sequence;
    v.digest = info.digest;
    v.envelope = hs_view(env, len);
    v.size = len;
    int64_t version = 0;
    tk_store_detail detail = {{0}};
    check(tk_store_version_upload(s->store, info.component_id, "tc", &v, "test",
                                  &s->component, &version, &detail),
          "uploading the component failed", detail.text);
    tk_store_policy rule;
    memset(&rule, 0, sizeof rule);
    rule.device_id = s->device;
    rule.component = s->component;
    rule.action = TK_STORE_POLICY_INSTALL;
    check(tk_store_policy_set(s->store, &rule, "test", NULL, &detail),
          "adding the policy rule failed", detail.text);
}

static void load_tam_key(hs_service *s, size_t i, const char *name)
{
    char path[256];
    char msg[256] = "";
    tk_keyfile_info info;
    snprintf(path, sizeof path, "%s/%s", s->key_dir, name);
    tk_key_init(&s->tam_keys[i]);
    check(tk_keyfile_load(hs_crypto(), path, &s->tam_keys[i], &info, msg,
                          sizeof msg),
          "loading a TAM key failed", msg);
    if (info.kid_len > sizeof s->tam_kids[i])
        die("TAM kid too long", path);
    memcpy(s->tam_kids[i], info.kid, info.kid_len);
    s->tam_keys[i].kid = hs_view(s->tam_kids[i], info.kid_len);
}

void hs_service_open(hs_service *s, const char *const *config)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/tk-hostile-tam.XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        die("mkdtemp failed", s->dir);
    snprintf(s->db, sizeof s->db, "%s/tam.db", s->dir);
    snprintf(s->key_dir, sizeof s->key_dir, "%s/keys", s->dir);
    s->now = 1767225600;

    char msg[512] = "";
    bool created = false;
    check(
        tk_tam_keys_create(hs_crypto(), s->key_dir, &created, msg, sizeof msg),
        "creating the TAM keys failed", msg);
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    check(tk_tam_config_set(&cfg, "db", s->db, msg, sizeof msg), "config db",
          msg);
    check(tk_tam_config_set(&cfg, "key_dir", s->key_dir, msg, sizeof msg),
          "config key_dir", msg);
    check(tk_tam_config_set(&cfg, "log_level", "off", msg, sizeof msg),
          "config log_level", msg);
    for (size_t i = 0; config != NULL && config[i] != NULL; i++) {
        char key[64];
        const char *eq = strchr(config[i], '=');
        if (eq == NULL)
            die("configuration override without '='", config[i]);
        snprintf(key, sizeof key, "%.*s", (int)(eq - config[i]), config[i]);
        check(tk_tam_config_set(&cfg, key, eq + 1, msg, sizeof msg),
              "config override", msg);
    }
    tk_log_set_level(cfg.log_level);
    tk_tam_options opt;
    memset(&opt, 0, sizeof opt);
    opt.clock = service_clock;
    opt.clock_ctx = s;
    opt.crypto = hs_crypto();
    check(tk_tam_open(&cfg, &opt, &s->tam, msg, sizeof msg),
          "opening the TAM failed", msg);
    tk_tam_config_free(&cfg);
    s->store = tk_tam_store(s->tam);
    register_device(s);
    add_component(s);
    load_tam_key(s, 0, TK_TAM_COSE_ESP256);
    load_tam_key(s, 1, TK_TAM_COSE_ED25519);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void hs_service_close(hs_service *s)
{
    tk_tam_close(s->tam);
    s->tam = NULL;
    tk_key_release(&s->tam_keys[0]);
    tk_key_release(&s->tam_keys[1]);
    nftw(s->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

unsigned hs_service_post(hs_service *s, const uint8_t *body, size_t len,
                         uint8_t *reply, size_t cap, size_t *reply_len)
{
    tk_net_request req;
    memset(&req, 0, sizeof req);
    req.transport = TK_NET_HTTP;
    req.method = TK_NET_POST;
    req.method_name = "POST";
    req.path = "/tam";
    req.content_type = len > 0 ? TK_NET_MEDIA_TEEP : NULL;
    req.content_format = -1;
    req.body = hs_view(body, len);
    req.request_id = "hostile";
    req.peer = "127.0.0.1:1";
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    tk_err err = tk_tam_handle(s->tam, &req, &resp);
    unsigned status = err != TK_OK ? 500 : resp.status;
    if (status == 0)
        status = resp.body_len > 0 ? 200 : 204;
    *reply_len = 0;
    if (resp.body_len > 0 && resp.body_len <= cap) {
        memcpy(reply, resp.body, resp.body_len);
        *reply_len = resp.body_len;
    }
    tk_net_response_clear(&resp);
    return status;
}

static tk_err find_tam_key(void *ctx, tk_alg alg, tk_view kid,
                           const tk_key **key, tk_view *peer_id)
{
    hs_service *s = ctx;
    (void)peer_id;
    for (size_t i = 0; i < 2; i++) {
        const tk_key *k = &s->tam_keys[i];
        if (k->kid.len == kid.len &&
            memcmp(k->kid.ptr, kid.ptr, kid.len) == 0 &&
            tk_crypto_sig_curve(alg) == k->crv) {
            *key = k;
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

tk_err hs_service_open_reply(hs_service *s, tk_view msg, tk_teep_message *out,
                             uint8_t *copy, size_t copy_cap)
{
    static uint8_t scratch[HS_BUF + 256];
    tk_teep_verified v;
    tk_err err = tk_teep_verify(hs_crypto(), msg, NULL, 0, find_tam_key, s,
                                scratch, sizeof scratch, &v);
    if (err != TK_OK)
        return err;
    if (v.payload.len > copy_cap)
        return TK_ERR_BUFFER_TOO_SMALL;
    memcpy(copy, v.payload.ptr, v.payload.len);
    return tk_teep_decode(copy, v.payload.len, out, NULL);
}

static sqlite3 *open_read_only(hs_service *s)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("opening the store read-only failed", s->db);
    return db;
}

static size_t count_on(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    size_t count = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die("invalid store query", sql);
    if (sqlite3_step(st) == SQLITE_ROW)
        count = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return count;
}

size_t hs_service_count(hs_service *s, const char *sql)
{
    sqlite3 *db = open_read_only(s);
    size_t count = count_on(db, sql);
    sqlite3_close(db);
    return count;
}

void hs_service_state(hs_service *s, hs_service_snapshot *out)
{
    sqlite3 *db = open_read_only(s);
    out->sessions = count_on(db, "SELECT count(*) FROM sessions");
    out->tokens = count_on(db, "SELECT count(*) FROM tokens");
    out->consumed = count_on(db, "SELECT count(*) FROM tokens WHERE consumed");
    out->attestations =
        count_on(db, "SELECT count(*) FROM attestation_results");
    out->installed = count_on(db, "SELECT count(*) FROM installed");
    out->reports = count_on(db, "SELECT count(*) FROM reports");
    sqlite3_close(db);
}

tk_view hs_service_component_id(void)
{
    return hs_view(hs_tc_id, sizeof hs_tc_id);
}
