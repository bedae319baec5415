/* The TAM, the agent and the EAT helpers of the tests; see hs.h. */
#include "hs.h"

#include <string.h>

#define HS_NOW 1767225600 /* 2026-01-01, the clock of both peers */

const uint8_t hs_device_ueid[17] = {0x01, 0x98, 0xf5, 0x0a, 0x4f, 0xf6,
                                    0xc0, 0x58, 0x61, 0xc8, 0x86, 0x0d,
                                    0x13, 0xa6, 0x38, 0xea, 0x4f};
static const uint8_t device_oemid[3] = {0x89, 0x48, 0x23};
const uint8_t hs_device_hwmodel[4] = {0x54, 0x9d, 0xce, 0xcc};

static bool view_is(tk_view v, const void *p, size_t len)
{
    return v.len == len && (len == 0 || memcmp(v.ptr, p, len) == 0);
}

static bool is_p256_alg(tk_alg alg)
{
    return alg == TK_ALG_ES256 || alg == TK_ALG_ESP256;
}

static bool is_ed25519_alg(tk_alg alg)
{
    return alg == TK_ALG_EDDSA || alg == TK_ALG_ED25519;
}

/* ---- EAT ------------------------------------------------------------- */

void hs_eat_claims(tk_eat_claims *c, tk_view nonce, int64_t iat)
{
    const hs_keys *k = hs_keys_get();
    memset(c, 0, sizeof *c);
    c->present = TK_EAT_HAS_UEID | TK_EAT_HAS_OEMID | TK_EAT_HAS_HWMODEL |
                 TK_EAT_HAS_HWVERSION | TK_EAT_HAS_MANIFESTS | TK_EAT_HAS_CNF |
                 TK_EAT_HAS_IAT;
    c->ueid = hs_view(hs_device_ueid, sizeof hs_device_ueid);
    c->oemid = hs_view(device_oemid, sizeof device_oemid);
    c->hwmodel = hs_view(hs_device_hwmodel, sizeof hs_device_hwmodel);
    c->hwversion.version = hs_str("1.0");
    c->manifest_count = 1;
    c->manifests[0].content_type = 60;
    c->manifests[0].content = hs_view("\xa0", 1);
    c->cnf_kind = TK_EAT_CNF_KID;
    c->cnf = hs_view(k->agent_kid, sizeof k->agent_kid);
    c->iat = iat;
    if (nonce.len > 0) {
        c->present |= TK_EAT_HAS_NONCE;
        c->nonce_count = 1;
        c->nonce[0] = nonce;
    }
}

const tk_eat_reference *hs_eat_reference(void)
{
    static tk_eat_attester attester;
    static tk_view hwmodel;
    static tk_eat_reference ref;
    const hs_keys *k = hs_keys_get();
    attester.kid = hs_str(HS_ATTESTER_KID);
    attester.alg = TK_ALG_ESP256;
    attester.key = &k->attester;
    attester.ueid = hs_view(hs_device_ueid, sizeof hs_device_ueid);
    hwmodel = hs_view(hs_device_hwmodel, sizeof hs_device_hwmodel);
    memset(&ref, 0, sizeof ref);
    ref.attesters = &attester;
    ref.attester_count = 1;
    ref.hwmodels = &hwmodel;
    ref.hwmodel_count = 1;
    return &ref;
}

/* ---- Keys of the peers ----------------------------------------------- */

static tk_err find_agent_key(tk_alg alg, tk_view kid, const tk_key **key,
                             tk_view *peer_id)
{
    const hs_keys *k = hs_keys_get();
    if (view_is(kid, k->agent_kid, sizeof k->agent_kid) && is_p256_alg(alg)) {
        *key = &k->agent_p256;
        *peer_id = hs_str(HS_DEVICE_ID);
        return TK_OK;
    }
    if (view_is(kid, k->agent_ed_kid, sizeof k->agent_ed_kid) &&
        is_ed25519_alg(alg)) {
        *key = &k->agent_ed25519;
        *peer_id = hs_str(HS_DEVICE_ID);
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err find_tam_key(tk_alg alg, tk_view kid, const tk_key **key)
{
    const hs_keys *k = hs_keys_get();
    if (view_is(kid, HS_TAM_P256_KID, strlen(HS_TAM_P256_KID)) &&
        is_p256_alg(alg)) {
        *key = &k->tam_p256;
        return TK_OK;
    }
    if (view_is(kid, HS_TAM_ED25519_KID, strlen(HS_TAM_ED25519_KID)) &&
        is_ed25519_alg(alg)) {
        *key = &k->tam_ed25519;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err open_key(void *ctx, tk_alg alg, tk_view kid, const tk_key **key,
                       tk_view *peer_id)
{
    (void)ctx;
    if (find_tam_key(alg, kid, key) == TK_OK)
        return TK_OK;
    return find_agent_key(alg, kid, key, peer_id);
}

tk_err hs_open(tk_view msg, tk_teep_message *out, uint8_t *copy,
               size_t copy_cap)
{
    uint8_t scratch[HS_BUF + 256];
    tk_teep_verified v;
    tk_err err = tk_teep_verify(hs_crypto(), msg, NULL, 0, open_key, NULL,
                                scratch, sizeof scratch, &v);
    if (err != TK_OK)
        return err;
    if (v.payload.len > copy_cap)
        return TK_ERR_BUFFER_TOO_SMALL;
    memcpy(copy, v.payload.ptr, v.payload.len);
    return tk_teep_decode(copy, v.payload.len, out, NULL);
}

tk_err hs_teep_sign(const tk_teep_message *msg, const tk_teep_signer *signer,
                    uint8_t *out, size_t cap, size_t *len)
{
    uint8_t payload[HS_BUF];
    uint8_t scratch[HS_BUF + 256];
    size_t n = 0;
    tk_err err = tk_teep_encode(msg, payload, sizeof payload, &n);
    if (err != TK_OK)
        return err;
    return tk_teep_sign(hs_crypto(), signer, 1, hs_view(payload, n), scratch,
                        sizeof scratch, out, cap, len);
}

/* ---- TAM ------------------------------------------------------------- */

static bool tam_hit(hs_tam *t, const char *name)
{
    t->calls++;
    if (t->fail_at != 0 && t->calls == t->fail_at) {
        t->failed_callback = name;
        return true;
    }
    return false;
}

static int64_t tam_now(void *ctx)
{
    return ((hs_tam *)ctx)->now;
}

static tk_err tam_save(void *ctx, const tk_teep_tam_session *s)
{
    hs_tam *t = ctx;
    if (tam_hit(t, "session_save"))
        return t->fail_err;
    if (t->session_count == HS_MAX_SESSIONS)
        return TK_ERR_LIMIT;
    t->sessions[t->session_count++] = *s;
    t->saves++;
    return TK_OK;
}

static tk_err tam_take(void *ctx, tk_view token, tk_teep_tam_session *out)
{
    hs_tam *t = ctx;
    if (tam_hit(t, "session_take"))
        return t->fail_err;
    if (t->any_token_kind != 0) {
        if (token.len > TK_TEEP_TOKEN_MAX)
            return TK_ERR_NOT_FOUND;
        *out = t->any_session;
        out->kind = t->any_token_kind;
        out->token_len = token.len;
        if (token.len > 0)
            memcpy(out->token, token.ptr, token.len);
        t->takes++;
        return TK_OK;
    }
    for (size_t i = 0; i < t->session_count; i++) {
        tk_teep_tam_session *s = &t->sessions[i];
        if (!view_is(token, s->token, s->token_len))
            continue;
        *out = *s;
        t->sessions[i] = t->sessions[t->session_count - 1];
        t->session_count--;
        t->takes++;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err tam_agent_key(void *ctx, tk_alg alg, tk_view kid,
                            const tk_key **key, tk_view *peer_id)
{
    hs_tam *t = ctx;
    if (tam_hit(t, "agent_key"))
        return t->fail_err;
    return find_agent_key(alg, kid, key, peer_id);
}

static tk_err tam_appraise(void *ctx, const tk_teep_evidence *ev,
                           tk_eat_result *result)
{
    hs_tam *t = ctx;
    if (tam_hit(t, "appraise"))
        return t->fail_err;
    t->appraisals++;
    uint8_t scratch[4096];
    tk_teep_tam_appraise(hs_crypto(), ev, hs_eat_reference(), 60, scratch,
                         sizeof scratch, result);
    return TK_OK;
}

static tk_err tam_policy(void *ctx, const tk_teep_policy_input *in,
                         tk_teep_policy_output *out)
{
    hs_tam *t = ctx;
    (void)in;
    if (tam_hit(t, "policy"))
        return t->fail_err;
    t->policies++;
    out->manifest_count = t->policy_count;
    for (size_t i = 0; i < t->policy_count; i++)
        out->manifests[i] = t->policy_manifests[i];
    out->unneeded_count = 0;
    return TK_OK;
}

static tk_err tam_record(void *ctx, const tk_teep_record *rec)
{
    hs_tam *t = ctx;
    if (tam_hit(t, "record"))
        return t->fail_err;
    t->records++;
    t->last_record_type = rec->message->type;
    return TK_OK;
}

void hs_tam_init(hs_tam *t)
{
    const hs_keys *k = hs_keys_get();
    memset(t, 0, sizeof *t);
    t->now = HS_NOW;
    t->signers[0] =
        (tk_teep_signer){TK_ALG_ESP256, &k->tam_p256, hs_str(HS_TAM_P256_KID)};
    t->signers[1] = (tk_teep_signer){TK_ALG_ED25519, &k->tam_ed25519,
                                     hs_str(HS_TAM_ED25519_KID)};
    tk_teep_tam_init(&t->tam);
    t->tam.crypto = hs_crypto();
    t->tam.signers = t->signers;
    t->tam.signer_count = 2;
    t->tam.scratch = t->scratch;
    t->tam.scratch_cap = sizeof t->scratch;
    tk_teep_tam_ops *ops = &t->tam.ops;
    ops->ctx = t;
    ops->now = tam_now;
    ops->session_save = tam_save;
    ops->session_take = tam_take;
    ops->agent_key = tam_agent_key;
    ops->appraise = tam_appraise;
    ops->policy = tam_policy;
    ops->record = tam_record;
    t->fail_err = TK_ERR_CALLBACK;
}

void hs_tam_arm(hs_tam *t, unsigned long fail_at, tk_err err)
{
    t->calls = 0;
    t->fail_at = fail_at;
    t->fail_err = err;
    t->failed_callback = NULL;
}

/* ---- Agent ----------------------------------------------------------- */

static bool agent_hit(hs_agent *a, const char *name)
{
    a->calls++;
    if (a->fail_at != 0 && a->calls == a->fail_at) {
        a->failed_callback = name;
        return true;
    }
    return false;
}

static int64_t agent_now(void *ctx)
{
    return ((hs_agent *)ctx)->now;
}

static tk_err agent_tam_key(void *ctx, tk_alg alg, tk_view kid,
                            const tk_key **key, tk_view *peer_id)
{
    hs_agent *a = ctx;
    if (agent_hit(a, "tam_key"))
        return a->fail_err;
    *peer_id = hs_str("tam");
    return find_tam_key(alg, kid, key);
}

static tk_err agent_evidence(void *ctx, const tk_teep_evidence_request *req,
                             uint8_t *buf, size_t cap, size_t *len,
                             tk_view *format)
{
    hs_agent *a = ctx;
    (void)format;
    *len = 0;
    if (agent_hit(a, "evidence"))
        return a->fail_err;
    tk_eat_claims claims;
    hs_eat_claims(&claims, hs_view(NULL, 0), a->now);
    claims.present &= ~(uint32_t)(TK_EAT_HAS_CNF | TK_EAT_HAS_IAT);
    const hs_keys *k = hs_keys_get();
    tk_eat_signer signer = {TK_ALG_ESP256, &k->attester,
                            hs_str(HS_ATTESTER_KID)};
    uint8_t scratch[4096];
    return tk_teep_agent_evidence(hs_crypto(), &signer, &claims, req, a->now,
                                  scratch, sizeof scratch, buf, cap, len);
}

static tk_err agent_component(void *ctx, size_t index, tk_teep_tc_info *info)
{
    hs_agent *a = ctx;
    if (agent_hit(a, "component"))
        return a->fail_err;
    size_t seen = 0;
    for (size_t i = 0; i < a->dev->ncomps; i++) {
        const hs_component *c = &a->dev->comps[i];
        if (!c->committed.present)
            continue;
        if (seen++ != index)
            continue;
        memset(info, 0, sizeof *info);
        info->component_id = hs_view(c->id, c->id_len);
        info->has_sequence = c->has_record;
        info->sequence = c->record.sequence_number;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err agent_process(void *ctx, tk_view envelope, tk_view token,
                            uint8_t *report, size_t cap, size_t *report_len)
{
    hs_agent *a = ctx;
    *report_len = 0;
    if (agent_hit(a, "process_manifest"))
        return a->fail_err;
    a->processed++;
    tk_suit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    /* The agent's crypto, so that a fault wrapper there reaches the
     * processor too. */
    cfg.crypto = a->agent.crypto;
    cfg.platform = &a->dev->pf;
    cfg.records = a->records;
    cfg.record_cap = sizeof a->records / sizeof a->records[0];
    tk_err err = tk_suit_processor_init(&a->proc, &cfg);
    if (err != TK_OK)
        return err;
    err = tk_suit_process(&a->proc, envelope, TK_SUIT_OP_UPDATE);
    /* A report needs an authenticated manifest; without one there is
     * nothing to report. */
    if (tk_suit_report_encode(&a->proc, token, false, report, cap,
                              report_len) != TK_OK)
        *report_len = 0;
    return err;
}

static tk_err agent_unlink(void *ctx, tk_view id)
{
    hs_agent *a = ctx;
    if (agent_hit(a, "unlink_manifest"))
        return a->fail_err;
    a->unlinked++;
    (void)id;
    return TK_OK;
}

void hs_agent_init(hs_agent *a, hs_device *dev)
{
    const hs_keys *k = hs_keys_get();
    memset(a, 0, sizeof *a);
    a->now = HS_NOW;
    a->dev = dev;
    a->signers[0] =
        (tk_teep_signer){TK_ALG_ESP256, &k->agent_p256,
                         hs_view(k->agent_kid, sizeof k->agent_kid)};
    a->signers[1] =
        (tk_teep_signer){TK_ALG_ED25519, &k->agent_ed25519,
                         hs_view(k->agent_ed_kid, sizeof k->agent_ed_kid)};
    tk_teep_agent_init(&a->agent);
    tk_teep_agent_state_init(&a->state);
    a->agent.crypto = hs_crypto();
    a->agent.signers = a->signers;
    a->agent.signer_count = 2;
    a->agent.scratch = a->scratch;
    a->agent.scratch_cap = sizeof a->scratch;
    a->agent.evidence_buf = a->evidence;
    a->agent.evidence_cap = sizeof a->evidence;
    a->agent.report_buf = a->reports;
    a->agent.report_cap = sizeof a->reports;
    tk_teep_agent_ops *ops = &a->agent.ops;
    ops->ctx = a;
    ops->now = agent_now;
    ops->tam_key = agent_tam_key;
    ops->evidence = agent_evidence;
    ops->component = agent_component;
    ops->process_manifest = agent_process;
    ops->unlink_manifest = agent_unlink;
    a->fail_err = TK_ERR_CALLBACK;
}

void hs_agent_arm(hs_agent *a, unsigned long fail_at, tk_err err)
{
    a->calls = 0;
    a->fail_at = fail_at;
    a->fail_err = err;
    a->failed_callback = NULL;
}
