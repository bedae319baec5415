/*
 * An in-process TEEP Agent for the TAM's tests and benchmarks (see
 * sim_agent.h).
 */
#include "sim_agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyfile.h"
#include "tam.h"
#include "teepkit/cbor.h"
#include "teepkit/suit.h"
#include "teepkit/suit_build.h"

static const uint8_t sim_oemid[3] = {0x0a, 0x0b, 0x0c};

/* ---- TAM keys ----------------------------------------------------------- */

tk_err sim_tam_keys_load(sim_tam_keys *keys, const tk_crypto *crypto,
                         const char *key_dir, char *msg, size_t cap)
{
    static const char *const names[2] = {TK_TAM_COSE_ESP256,
                                         TK_TAM_COSE_ED25519};
    memset(keys, 0, sizeof(*keys));
    tk_key_init(&keys->key[0]);
    tk_key_init(&keys->key[1]);
    for (size_t i = 0; i < 2; i++) {
        char path[1024];
        tk_keyfile_info info;
        snprintf(path, sizeof(path), "%s/%s", key_dir, names[i]);
        tk_err err =
            tk_keyfile_load(crypto, path, &keys->key[i], &info, msg, cap);
        if (err != TK_OK)
            return err;
        if (info.kid_len == 0 || info.kid_len > SIM_KID_MAX) {
            snprintf(msg, cap, "%s has no kid; run teepkit tam init", path);
            return TK_ERR_NOT_FOUND;
        }
        memcpy(keys->kid[i], info.kid, info.kid_len);
        keys->kid_len[i] = info.kid_len;
        keys->key[i].kid = (tk_view){keys->kid[i], info.kid_len};
    }
    return TK_OK;
}

void sim_tam_keys_release(sim_tam_keys *keys)
{
    tk_key_release(&keys->key[0]);
    tk_key_release(&keys->key[1]);
}

/* ---- Callbacks of the state machine ------------------------------------- */

static int64_t sim_now(void *ctx)
{
    const sim_agent *a = ctx;
    if (a->cfg.now != NULL)
        return a->cfg.now(a->cfg.now_ctx);
    return (int64_t)time(NULL);
}

static tk_err sim_tam_key(void *ctx, tk_alg alg, tk_view kid,
                          const tk_key **key, tk_view *peer_id)
{
    const sim_tam_keys *tam = ((const sim_agent *)ctx)->cfg.tam;
    for (size_t i = 0; i < 2; i++) {
        if (kid.len == tam->kid_len[i] &&
            memcmp(kid.ptr, tam->kid[i], kid.len) == 0 &&
            tk_crypto_sig_curve(alg) == tam->key[i].crv) {
            *key = &tam->key[i];
            *peer_id = (tk_view){(const uint8_t *)"tam", 3};
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

static const char *sim_hwversion(const sim_agent *a)
{
    return a->cfg.hwversion != NULL ? a->cfg.hwversion : "1.0";
}

static tk_err sim_evidence(void *ctx, const tk_teep_evidence_request *req,
                           uint8_t *buf, size_t cap, size_t *len,
                           tk_view *format)
{
    sim_agent *a = ctx;
    (void)format;
    tk_eat_claims c;
    memset(&c, 0, sizeof(c));
    c.present = TK_EAT_HAS_UEID | TK_EAT_HAS_OEMID | TK_EAT_HAS_HWMODEL |
                TK_EAT_HAS_HWVERSION | TK_EAT_HAS_MANIFESTS;
    c.ueid = (tk_view){a->ueid, sizeof(a->ueid)};
    c.oemid = (tk_view){sim_oemid, sizeof(sim_oemid)};
    c.hwmodel = a->cfg.hwmodel;
    const char *hwversion = sim_hwversion(a);
    c.hwversion.version =
        (tk_view){(const uint8_t *)hwversion, strlen(hwversion)};
    c.manifest_count = 1;
    c.manifests[0].content_type = 60; /* application/cbor */
    c.manifests[0].content = (tk_view){(const uint8_t *)"\xa0", 1};
    tk_teep_evidence_request request = *req;
    tk_eat_signer signer = {TK_ALG_ESP256,
                            &a->attester,
                            {a->attester_kid, sizeof(a->attester_kid)}};
    if (a->cfg.evidence_hook != NULL)
        a->cfg.evidence_hook(a->user, &c, &request, &signer);
    return tk_teep_agent_evidence(a->cfg.crypto, &signer, &c, &request,
                                  sim_now(a), a->evidence_scratch,
                                  sizeof(a->evidence_scratch), buf, cap, len);
}

static tk_err sim_component_info(void *ctx, size_t index, tk_teep_tc_info *info)
{
    const sim_agent *a = ctx;
    if (index >= a->installed_count)
        return TK_ERR_NOT_FOUND;
    memset(info, 0, sizeof(*info));
    info->component_id =
        (tk_view){a->installed[index].id, a->installed[index].id_len};
    info->has_sequence = true;
    info->sequence = a->installed[index].sequence;
    return TK_OK;
}

static tk_err sim_signer_key(void *ctx, const tk_suit_key_request *req,
                             const tk_key **key)
{
    if (req->use != TK_SUIT_KEY_MANIFEST)
        return TK_ERR_NOT_FOUND;
    *key = ctx;
    return TK_OK;
}

/*
 * Writes a SUIT report (draft-ietf-suit-report): {suit-report-nonce (2):
 * token, suit-report-records (3): [], suit-report-result (4): true,
 * suit-reference (99): ["", digest]}. The digest lets the TAM match the
 * report to the manifest it sent.
 */
static tk_err sim_write_report(tk_view token, const tk_suit_digest *digest,
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

/* Accepts one envelope as sim_agent_config describes, records its
 * component and writes its report. */
static tk_err sim_process(void *ctx, tk_view envelope, tk_view token,
                          uint8_t *report, size_t cap, size_t *report_len)
{
    sim_agent *a = ctx;
    a->process_calls++;
    tk_suit_envelope env;
    tk_suit_manifest m;
    tk_view id = a->cfg.component;
    tk_view manifest_id = {NULL, 0};
    uint64_t sequence = a->cfg.sequence;
    tk_err err = tk_suit_envelope_decode(envelope, &env, NULL);
    if (err == TK_OK && a->cfg.manifest_signer != NULL) {
        err = tk_suit_envelope_verify(&env, a->cfg.crypto, sim_signer_key,
                                      (void *)a->cfg.manifest_signer, 0,
                                      (tk_view){NULL, 0}, NULL);
        if (err == TK_OK)
            err = tk_suit_manifest_decode(&env, a->cfg.crypto, 0, &m, NULL);
        if (err == TK_OK) {
            id = m.components[0];
            manifest_id = m.component_id;
            sequence = m.sequence_number;
            const sim_component *c = sim_agent_find(a, id);
            if (c != NULL && c->sequence >= sequence)
                err = TK_ERR_SUIT_ROLLBACK;
        }
    }
    if (err == TK_OK)
        err = sim_agent_record(a, id, manifest_id, sequence);
    if (err != TK_OK)
        return err;
    a->accepted++;
    return sim_write_report(token, &env.digest, report, cap, report_len);
}

static tk_err sim_unlink(void *ctx, tk_view manifest_id)
{
    sim_agent *a = ctx;
    a->unlink_calls++;
    for (size_t i = 0; i < a->installed_count; i++) {
        sim_component *c = &a->installed[i];
        if (c->manifest_id_len == manifest_id.len &&
            memcmp(c->manifest_id, manifest_id.ptr, manifest_id.len) == 0) {
            a->installed[i] = a->installed[--a->installed_count];
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

/* ---- Inventory ---------------------------------------------------------- */

/* The index of the inventory entry with id, or installed_count. */
static size_t sim_find_index(const sim_agent *a, tk_view id)
{
    size_t i = 0;
    while (i < a->installed_count &&
           (a->installed[i].id_len != id.len ||
            memcmp(a->installed[i].id, id.ptr, id.len) != 0))
        i++;
    return i;
}

const sim_component *sim_agent_find(const sim_agent *a, tk_view id)
{
    size_t i = sim_find_index(a, id);
    return i < a->installed_count ? &a->installed[i] : NULL;
}

tk_err sim_agent_record(sim_agent *a, tk_view id, tk_view manifest_id,
                        uint64_t sequence)
{
    size_t i = sim_find_index(a, id);
    sim_component *c = i < a->installed_count ? &a->installed[i] : NULL;
    if (c == NULL) {
        if (a->installed_count == SIM_MAX_COMPONENTS || id.len > SIM_ID_MAX ||
            manifest_id.len > SIM_ID_MAX)
            return TK_ERR_LIMIT;
        c = &a->installed[a->installed_count++];
        memset(c, 0, sizeof(*c));
        if (id.len > 0)
            memcpy(c->id, id.ptr, id.len);
        c->id_len = id.len;
        if (manifest_id.len > 0)
            memcpy(c->manifest_id, manifest_id.ptr, manifest_id.len);
        c->manifest_id_len = manifest_id.len;
    }
    c->sequence = sequence;
    return TK_OK;
}

void sim_agent_forget(sim_agent *a)
{
    a->installed_count = 0;
    a->process_calls = 0;
    a->accepted = 0;
    a->unlink_calls = 0;
}

/* ---- Set-up ------------------------------------------------------------- */

tk_err sim_new_key(const tk_crypto *crypto, tk_key *key,
                   uint8_t kid[TK_COSE_THUMBPRINT_SIZE])
{
    tk_key_init(key);
    tk_err err = crypto->key_generate(crypto->ctx, TK_CRV_P256, key);
    if (err == TK_OK)
        err = tk_cose_key_thumbprint(crypto, key, kid);
    return err;
}

tk_err sim_agent_init(sim_agent *a, const sim_agent_config *cfg,
                      const uint8_t ueid[SIM_UEID_LEN])
{
    memset(a, 0, sizeof(*a));
    a->cfg = *cfg;
    memcpy(a->ueid, ueid, sizeof(a->ueid));
    tk_key_init(&a->attester);
    tk_err err = sim_new_key(cfg->crypto, &a->key, a->kid);
    if (err == TK_OK)
        err = sim_new_key(cfg->crypto, &a->attester, a->attester_kid);
    if (err != TK_OK)
        return err;
    a->signer =
        (tk_teep_signer){TK_ALG_ESP256, &a->key, {a->kid, sizeof(a->kid)}};
    tk_teep_agent_init(&a->machine);
    tk_teep_agent_state_init(&a->state);
    a->machine.crypto = cfg->crypto;
    a->machine.signers = &a->signer;
    a->machine.signer_count = 1;
    a->machine.scratch = a->scratch;
    a->machine.scratch_cap = sizeof(a->scratch);
    a->machine.evidence_buf = a->evidence;
    a->machine.evidence_cap = sizeof(a->evidence);
    a->machine.report_buf = a->reports;
    a->machine.report_cap = sizeof(a->reports);
    tk_teep_agent_ops *ops = &a->machine.ops;
    ops->ctx = a;
    ops->now = sim_now;
    ops->tam_key = sim_tam_key;
    ops->evidence = sim_evidence;
    ops->component = sim_component_info;
    ops->process_manifest = sim_process;
    ops->unlink_manifest = sim_unlink;
    return TK_OK;
}

void sim_agent_release(sim_agent *a)
{
    tk_key_release(&a->key);
    tk_key_release(&a->attester);
}

static void sim_detail(tk_store_detail *detail, const char *text)
{
    if (detail != NULL)
        snprintf(detail->text, sizeof(detail->text), "%s", text);
}

/* Stores the public half of key with its kid for device. */
static tk_err sim_register_key(tk_store *store, int64_t device,
                               tk_store_key_use use, const tk_key *key,
                               const uint8_t *kid, const char *actor,
                               tk_store_detail *detail)
{
    uint8_t cose[256];
    size_t len = 0;
    tk_key pub = *key;
    pub.kid = (tk_view){NULL, 0};
    tk_err err = tk_cose_key_encode(&pub, TK_ALG_ESP256, false, cose,
                                    sizeof(cose), &len);
    if (err != TK_OK) {
        sim_detail(detail, "cannot encode a public key as a COSE_Key");
        return err;
    }
    tk_store_key row;
    memset(&row, 0, sizeof(row));
    row.device_id = device;
    row.use = use;
    row.kid = (tk_view){kid, TK_COSE_THUMBPRINT_SIZE};
    row.alg = TK_ALG_ESP256;
    row.cose_key = (tk_view){cose, len};
    return tk_store_key_add(store, &row, actor, NULL, detail);
}

tk_err sim_agent_register(const sim_agent *a, tk_store *store, int64_t class_id,
                          const char *actor, int64_t *device_id,
                          tk_store_detail *detail)
{
    tk_store_device d;
    memset(&d, 0, sizeof(d));
    d.ueid = (tk_view){a->ueid, sizeof(a->ueid)};
    d.class_id = class_id;
    int64_t id = 0;
    tk_err err = tk_store_device_add(store, &d, actor, &id, detail);
    if (err == TK_OK)
        err = sim_register_key(store, id, TK_STORE_KEY_AGENT, &a->key, a->kid,
                               actor, detail);
    if (err == TK_OK)
        err = sim_register_key(store, id, TK_STORE_KEY_ATTESTATION,
                               &a->attester, a->attester_kid, actor, detail);
    tk_store_refval v;
    memset(&v, 0, sizeof(v));
    v.device_id = id;
    v.kind = TK_STORE_REF_HWMODEL;
    v.value = a->cfg.hwmodel;
    if (err == TK_OK)
        err = tk_store_refval_add(store, &v, actor, NULL, detail);
    const char *hwversion = sim_hwversion(a);
    v.kind = TK_STORE_REF_HWVERSION;
    v.value = (tk_view){(const uint8_t *)hwversion, strlen(hwversion)};
    if (err == TK_OK && a->cfg.hwversion_reference)
        err = tk_store_refval_add(store, &v, actor, NULL, detail);
    if (err == TK_OK && device_id != NULL)
        *device_id = id;
    return err;
}

/* ---- The component ------------------------------------------------------ */

tk_err sim_upload_component(tk_store *store, const tk_crypto *crypto,
                            const sim_upload *up, int64_t *component, char *msg,
                            size_t cap)
{
    tk_view manifest_parts[8];
    if (up->id_count + 1 > sizeof(manifest_parts) / sizeof(manifest_parts[0])) {
        snprintf(msg, cap, "a component id of %zu segments is too long",
                 up->id_count);
        return TK_ERR_LIMIT;
    }
    memcpy(manifest_parts, up->id, up->id_count * sizeof(tk_view));
    manifest_parts[up->id_count] = (tk_view){(const uint8_t *)"suit", 4};
    tk_suit_build_component_id id = {up->id, up->id_count};
    tk_suit_build_component_id manifest_id = {manifest_parts, up->id_count + 1};
    tk_suit_build_manifest m;
    memset(&m, 0, sizeof(m));
    m.sequence_number = up->sequence;
    m.components = &id;
    m.component_count = 1;
    if (up->manifest_id)
        m.manifest_component_id = &manifest_id;
    uint8_t *payload = calloc(1, up->payload + 1);
    tk_suit_build_integrated member = {{(const uint8_t *)"#app", 4},
                                       {payload, up->payload}};
    tk_suit_build_envelope e;
    memset(&e, 0, sizeof(e));
    e.manifest = &m;
    e.payloads = &member;
    e.payload_count = up->payload > 0 ? 1 : 0;
    tk_suit_build_signer signer = {TK_ALG_ESP256, up->signer, {NULL, 0}};
    size_t buf_cap = up->payload + 4096;
    uint8_t *buf = malloc(buf_cap);
    size_t len = 0;
    tk_err err = TK_ERR_INTERNAL;
    snprintf(msg, cap, "out of memory");
    if (payload != NULL && buf != NULL) {
        err = tk_suit_build_encode_envelope(&e, crypto, &signer, 1, buf,
                                            buf_cap, &len, NULL);
        if (err != TK_OK)
            snprintf(msg, cap, "cannot build the SUIT envelope: %s",
                     tk_errname(err));
    }
    const tk_key *signers[1] = {up->signer};
    tk_tam_envelope_info info;
    if (err == TK_OK)
        err = tk_tam_envelope_inspect(crypto, (tk_view){buf, len}, signers, 1,
                                      &info, msg, cap);
    if (err == TK_OK) {
        tk_store_version v;
        memset(&v, 0, sizeof(v));
        v.sequence = info.sequence;
        v.digest = info.digest;
        v.envelope = (tk_view){buf, len};
        v.size = len;
        int64_t version = 0;
        tk_store_detail detail = {{0}};
        err = tk_store_version_upload(store, info.component_id, up->name, &v,
                                      up->actor, component, &version, &detail);
        if (err != TK_OK)
            snprintf(msg, cap, "cannot store the component: %s", detail.text);
    }
    free(payload);
    free(buf);
    return err;
}

tk_err sim_add_install_class(tk_store *store, const char *class_name,
                             int64_t component, const char *actor,
                             int64_t *class_id, tk_store_detail *detail)
{
    tk_store_class cls;
    memset(&cls, 0, sizeof(cls));
    cls.name = class_name;
    tk_err err = tk_store_class_add(store, &cls, actor, class_id, detail);
    if (err != TK_OK)
        return err;
    tk_store_policy rule;
    memset(&rule, 0, sizeof(rule));
    rule.class_id = *class_id;
    rule.component = component;
    rule.action = TK_STORE_POLICY_INSTALL;
    return tk_store_policy_set(store, &rule, actor, NULL, detail);
}
