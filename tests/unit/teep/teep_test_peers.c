/* In-memory TAM and agent for the state machine tests; see the header. */
#include "teep_test_peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teepkit/cbor.h"
#include "teepkit/cose.h"

peer_keys g_keys;
static bool keys_ready;

static const char tam_p256_kid[] = "tam-p256";
static const char tam_ed25519_kid[] = "tam-ed25519";
static const char device1[] = "device-1";
static const char device2[] = "device-2";

/* Claims of the simulated device. */
static const uint8_t device_ueid[16] = {0x01, 0x98, 0xf5, 0x0a, 0x4f, 0xf6,
                                        0xc0, 0x58, 0x61, 0xc8, 0x86, 0x0d,
                                        0x13, 0xa6, 0x38, 0xea};
static const uint8_t device_oemid[3] = {0x89, 0x48, 0x23};
static const uint8_t device_hwmodel[4] = {0x54, 0x9d, 0xce, 0xcc};

static void die(const char *what, tk_err err)
{
    fprintf(stderr, "test peers: %s: %s\n", what, tk_errname(err));
    abort();
}

static void generate(int32_t crv, tk_key *key)
{
    const tk_crypto *c = tk_crypto_openssl();
    tk_key_init(key);
    tk_err err = c->key_generate(c->ctx, crv, key);
    if (err != TK_OK)
        die("key generation failed", err);
}

static void thumbprint(const tk_key *key, uint8_t out[32])
{
    tk_err err = tk_cose_key_thumbprint(tk_crypto_openssl(), key, out);
    if (err != TK_OK)
        die("thumbprint failed", err);
}

void peers_keys_init(void)
{
    if (keys_ready)
        return;
    generate(TK_CRV_P256, &g_keys.tam_p256);
    generate(TK_CRV_ED25519, &g_keys.tam_ed25519);
    generate(TK_CRV_P256, &g_keys.agent_p256);
    generate(TK_CRV_ED25519, &g_keys.agent_ed25519);
    generate(TK_CRV_P256, &g_keys.other_p256);
    generate(TK_CRV_P256, &g_keys.attester);
    thumbprint(&g_keys.agent_p256, g_keys.agent_kid);
    thumbprint(&g_keys.agent_ed25519, g_keys.agent_ed_kid);
    thumbprint(&g_keys.other_p256, g_keys.other_kid);
    memcpy(g_keys.attester_kid, "attest01", 8);
    keys_ready = true;
}

void peers_keys_release(void)
{
    tk_key_release(&g_keys.tam_p256);
    tk_key_release(&g_keys.tam_ed25519);
    tk_key_release(&g_keys.agent_p256);
    tk_key_release(&g_keys.agent_ed25519);
    tk_key_release(&g_keys.other_p256);
    tk_key_release(&g_keys.attester);
    keys_ready = false;
}

static tk_view view_of(const void *p, size_t len)
{
    return (tk_view){(const uint8_t *)p, len};
}

static bool view_is(tk_view v, const void *p, size_t len)
{
    return v.len == len && memcmp(v.ptr, p, len) == 0;
}

static bool is_p256_alg(tk_alg alg)
{
    return alg == TK_ALG_ES256 || alg == TK_ALG_ESP256;
}

static bool is_ed25519_alg(tk_alg alg)
{
    return alg == TK_ALG_EDDSA || alg == TK_ALG_ED25519;
}

/* ---- TAM callbacks --------------------------------------------------- */

static int64_t tam_now(void *ctx)
{
    return ((tam_peer *)ctx)->now;
}

static tk_err tam_save(void *ctx, const tk_teep_tam_session *s)
{
    tam_peer *p = ctx;
    if (p->session_count == PEERS_MAX_SESSIONS)
        return TK_ERR_LIMIT;
    p->sessions[p->session_count++] = *s;
    p->saves++;
    return TK_OK;
}

static tk_err tam_take(void *ctx, tk_view token, tk_teep_tam_session *out)
{
    tam_peer *p = ctx;
    for (size_t i = 0; i < p->session_count; i++) {
        tk_teep_tam_session *s = &p->sessions[i];
        if (!view_is(token, s->token, s->token_len))
            continue;
        *out = *s;
        p->sessions[i] = p->sessions[p->session_count - 1];
        p->session_count--;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err tam_agent_key(void *ctx, tk_alg alg, tk_view kid,
                            const tk_key **key, tk_view *peer_id)
{
    (void)ctx;
    if (view_is(kid, g_keys.agent_kid, 32) && is_p256_alg(alg)) {
        *key = &g_keys.agent_p256;
        *peer_id = view_of(device1, sizeof(device1) - 1);
        return TK_OK;
    }
    if (view_is(kid, g_keys.agent_ed_kid, 32) && is_ed25519_alg(alg)) {
        *key = &g_keys.agent_ed25519;
        *peer_id = view_of(device1, sizeof(device1) - 1);
        return TK_OK;
    }
    if (view_is(kid, g_keys.other_kid, 32) && is_p256_alg(alg)) {
        *key = &g_keys.other_p256;
        *peer_id = view_of(device2, sizeof(device2) - 1);
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err tam_appraise(void *ctx, const tk_teep_evidence *ev,
                           tk_eat_result *result)
{
    tam_peer *p = ctx;
    p->appraise_calls++;
    tk_eat_attester attester = {view_of(g_keys.attester_kid, 8), TK_ALG_ESP256,
                                &g_keys.attester,
                                view_of(device_ueid, sizeof(device_ueid))};
    tk_view hwmodel = view_of(device_hwmodel, sizeof(device_hwmodel));
    tk_eat_reference ref;
    memset(&ref, 0, sizeof(ref));
    ref.attesters = &attester;
    ref.attester_count = 1;
    ref.hwmodels = &hwmodel;
    ref.hwmodel_count = 1;
    static uint8_t scratch[4096];
    tk_teep_tam_appraise(tk_crypto_openssl(), ev, &ref, 60, scratch,
                         sizeof(scratch), result);
    p->last_status = result->status;
    return TK_OK;
}

static tk_err tam_policy(void *ctx, const tk_teep_policy_input *in,
                         tk_teep_policy_output *out)
{
    tam_peer *p = ctx;
    p->policy_calls++;
    p->seen_tc_count = in->response->tc_count;
    out->manifest_count = p->policy_manifest_count;
    for (size_t i = 0; i < p->policy_manifest_count; i++)
        out->manifests[i] = p->policy_manifests[i];
    out->unneeded_count = p->policy_unneeded_count;
    for (size_t i = 0; i < p->policy_unneeded_count; i++)
        out->unneeded[i] = p->policy_unneeded[i];
    return TK_OK;
}

static tk_err tam_record(void *ctx, const tk_teep_record *rec)
{
    tam_peer *p = ctx;
    p->record_calls++;
    p->record_type = rec->message->type;
    p->record_err_code = rec->message->err_code;
    p->record_reports = rec->message->report_count;
    return TK_OK;
}

static tk_teep_signer tam_signer(tk_alg alg)
{
    tk_teep_signer s;
    memset(&s, 0, sizeof(s));
    s.alg = alg;
    if (is_p256_alg(alg)) {
        s.key = &g_keys.tam_p256;
        s.kid = view_of(tam_p256_kid, sizeof(tam_p256_kid) - 1);
    } else {
        s.key = &g_keys.tam_ed25519;
        s.kid = view_of(tam_ed25519_kid, sizeof(tam_ed25519_kid) - 1);
    }
    return s;
}

void tam_peer_init(tam_peer *p, const tk_alg *tam_algs, size_t count)
{
    peers_keys_init();
    memset(p, 0, sizeof(*p));
    p->now = 1700000000;
    for (size_t i = 0; i < count; i++)
        p->signers[i] = tam_signer(tam_algs[i]);
    tk_teep_tam_init(&p->tam);
    p->tam.crypto = tk_crypto_openssl();
    p->tam.signers = p->signers;
    p->tam.signer_count = count;
    p->tam.scratch = p->scratch;
    p->tam.scratch_cap = sizeof(p->scratch);
    tk_teep_tam_ops *ops = &p->tam.ops;
    ops->ctx = p;
    ops->now = tam_now;
    ops->session_save = tam_save;
    ops->session_take = tam_take;
    ops->agent_key = tam_agent_key;
    ops->appraise = tam_appraise;
    ops->policy = tam_policy;
    ops->record = tam_record;
}

/* ---- Agent callbacks ------------------------------------------------- */

static int64_t agent_now(void *ctx)
{
    return ((agent_peer *)ctx)->now;
}

static tk_err agent_tam_key(void *ctx, tk_alg alg, tk_view kid,
                            const tk_key **key, tk_view *peer_id)
{
    const agent_peer *p = ctx;
    if (p != NULL && p->tam_peer_id != NULL)
        *peer_id = view_of(p->tam_peer_id, strlen(p->tam_peer_id));
    if (view_is(kid, tam_p256_kid, sizeof(tam_p256_kid) - 1) &&
        is_p256_alg(alg)) {
        *key = &g_keys.tam_p256;
        return TK_OK;
    }
    if (view_is(kid, tam_ed25519_kid, sizeof(tam_ed25519_kid) - 1) &&
        is_ed25519_alg(alg)) {
        *key = &g_keys.tam_ed25519;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err agent_evidence(void *ctx, const tk_teep_evidence_request *req,
                             uint8_t *buf, size_t cap, size_t *len,
                             tk_view *format)
{
    agent_peer *p = ctx;
    static const uint8_t wrong[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    tk_eat_claims c;
    memset(&c, 0, sizeof(c));
    c.present = TK_EAT_HAS_UEID | TK_EAT_HAS_OEMID | TK_EAT_HAS_HWMODEL |
                TK_EAT_HAS_HWVERSION | TK_EAT_HAS_MANIFESTS;
    c.ueid = view_of(device_ueid, sizeof(device_ueid));
    c.oemid = view_of(device_oemid, sizeof(device_oemid));
    c.hwmodel = view_of(device_hwmodel, sizeof(device_hwmodel));
    c.hwversion.version = view_of("1.0", 3);
    c.manifest_count = 1;
    c.manifests[0].content_type = 60;
    c.manifests[0].content = view_of("\xa0", 1);
    tk_teep_evidence_request request = *req;
    if (p->evidence_wrong_nonce)
        request.challenge = view_of(wrong, sizeof(wrong));
    tk_eat_signer signer = {TK_ALG_ESP256, &g_keys.attester,
                            view_of(g_keys.attester_kid, 8)};
    tk_err err = tk_teep_agent_evidence(
        tk_crypto_openssl(), &signer, &c, &request, p->now, p->evidence_scratch,
        sizeof(p->evidence_scratch), buf, cap, len);
    if (p->evidence_format != NULL)
        *format = view_of(p->evidence_format, strlen(p->evidence_format));
    return err;
}

size_t peers_component_id(const char *name, uint8_t *buf, size_t cap)
{
    tk_cbor_enc enc;
    size_t len = 0;
    tk_cbor_enc_init(&enc, buf, cap, 0);
    tk_cbor_enc_put_array(&enc, 1);
    tk_cbor_enc_put_bstr(&enc, (const uint8_t *)name, strlen(name));
    if (tk_cbor_enc_finish(&enc, &len) != TK_OK)
        abort();
    return len;
}

bool agent_peer_install(agent_peer *p, const char *name, uint64_t sequence)
{
    for (size_t i = 0; i < p->component_count; i++) {
        if (strcmp(p->components[i].name, name) == 0) {
            p->components[i].sequence = sequence;
            return true;
        }
    }
    if (p->component_count == PEERS_MAX_COMPONENTS)
        return false;
    peer_component *c = &p->components[p->component_count++];
    /* Names longer than the field are cut; tests use short ones. */
    size_t n = strlen(name);
    if (n >= sizeof(c->name))
        n = sizeof(c->name) - 1;
    memcpy(c->name, name, n);
    c->name[n] = 0;
    c->sequence = sequence;
    c->id_len = peers_component_id(c->name, c->id, sizeof(c->id));
    return true;
}

uint64_t agent_peer_sequence(const agent_peer *p, const char *name)
{
    for (size_t i = 0; i < p->component_count; i++)
        if (strcmp(p->components[i].name, name) == 0)
            return p->components[i].sequence;
    return 0;
}

static tk_err agent_component(void *ctx, size_t index, tk_teep_tc_info *info)
{
    agent_peer *p = ctx;
    if (index >= p->component_count)
        return TK_ERR_NOT_FOUND;
    info->component_id =
        view_of(p->components[index].id, p->components[index].id_len);
    info->has_sequence = true;
    info->sequence = p->components[index].sequence;
    return TK_OK;
}

/* Writes a SUIT_Report: {2: nonce, 3: [], 4: true or a failure result,
 * 99: [name, [-16, h'00']]}. */
static tk_err write_report(tk_view nonce, const char *name, bool ok,
                           uint8_t *out, size_t cap, size_t *len)
{
    static const uint8_t digest[1] = {0};
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_map(&enc, nonce.len > 0 ? 4 : 3);
    if (nonce.len > 0) {
        tk_cbor_enc_put_uint(&enc, 2);
        tk_cbor_enc_put_bstr(&enc, nonce.ptr, nonce.len);
    }
    tk_cbor_enc_put_uint(&enc, 3);
    tk_cbor_enc_put_array(&enc, 0);
    tk_cbor_enc_put_uint(&enc, 4);
    if (ok) {
        tk_cbor_enc_put_bool(&enc, true);
    } else {
        tk_cbor_enc_put_map(&enc, 3);
        tk_cbor_enc_put_uint(&enc, 5);
        tk_cbor_enc_put_uint(&enc, 1);
        tk_cbor_enc_put_uint(&enc, 6);
        tk_cbor_enc_put_array(&enc, 5);
        tk_cbor_enc_put_array(&enc, 0);
        tk_cbor_enc_put_uint(&enc, 0);
        tk_cbor_enc_put_uint(&enc, 0);
        tk_cbor_enc_put_uint(&enc, 0);
        tk_cbor_enc_put_map(&enc, 0);
        tk_cbor_enc_put_uint(&enc, 7);
        tk_cbor_enc_put_uint(&enc, 10);
    }
    tk_cbor_enc_put_uint(&enc, 99);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_text(&enc, name);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, -16);
    tk_cbor_enc_put_bstr(&enc, digest, sizeof(digest));
    return tk_cbor_enc_finish(&enc, len);
}

/* Processes a test manifest "name:sequence": installs or updates the
 * component, and rejects a sequence not above the installed one. */
static tk_err agent_process(void *ctx, tk_view envelope, tk_view token,
                            uint8_t *report, size_t cap, size_t *report_len)
{
    agent_peer *p = ctx;
    static const uint8_t wrong[8] = {7, 7, 7, 7, 7, 7, 7, 7};
    char text[64];
    p->process_calls++;
    if (envelope.len >= sizeof(text))
        return TK_ERR_INVALID_ARG;
    memcpy(text, envelope.ptr, envelope.len);
    text[envelope.len] = 0;
    char *colon = strchr(text, ':');
    if (colon == NULL)
        return TK_ERR_INVALID_ARG;
    *colon = 0;
    uint64_t sequence = strtoull(colon + 1, NULL, 10);
    bool ok = sequence > agent_peer_sequence(p, text);
    if (ok)
        ok = agent_peer_install(p, text, sequence);
    tk_view nonce =
        p->wrong_report_nonce ? view_of(wrong, sizeof(wrong)) : token;
    tk_err err = write_report(nonce, text, ok, report, cap, report_len);
    if (err != TK_OK)
        return err;
    return ok ? TK_OK : TK_ERR_STATE;
}

static tk_err agent_unlink(void *ctx, tk_view id)
{
    agent_peer *p = ctx;
    p->unlink_calls++;
    for (size_t i = 0; i < p->component_count; i++) {
        peer_component *c = &p->components[i];
        if (!view_is(id, c->id, c->id_len))
            continue;
        p->components[i] = p->components[p->component_count - 1];
        p->component_count--;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_teep_signer agent_signer(tk_alg alg)
{
    tk_teep_signer s;
    memset(&s, 0, sizeof(s));
    s.alg = alg;
    if (is_p256_alg(alg)) {
        s.key = &g_keys.agent_p256;
        s.kid = view_of(g_keys.agent_kid, 32);
    } else {
        s.key = &g_keys.agent_ed25519;
        s.kid = view_of(g_keys.agent_ed_kid, 32);
    }
    return s;
}

void agent_peer_init(agent_peer *p, const tk_alg *agent_algs, size_t count)
{
    peers_keys_init();
    memset(p, 0, sizeof(*p));
    p->now = 1700000000;
    for (size_t i = 0; i < count; i++)
        p->signers[i] = agent_signer(agent_algs[i]);
    tk_teep_agent_init(&p->agent);
    tk_teep_agent_state_init(&p->state);
    p->agent.crypto = tk_crypto_openssl();
    p->agent.signers = p->signers;
    p->agent.signer_count = count;
    p->agent.scratch = p->scratch;
    p->agent.scratch_cap = sizeof(p->scratch);
    p->agent.evidence_buf = p->evidence;
    p->agent.evidence_cap = sizeof(p->evidence);
    p->agent.report_buf = p->reports;
    p->agent.report_cap = sizeof(p->reports);
    tk_teep_agent_ops *ops = &p->agent.ops;
    ops->ctx = p;
    ops->now = agent_now;
    ops->tam_key = agent_tam_key;
    ops->evidence = agent_evidence;
    ops->component = agent_component;
    ops->process_manifest = agent_process;
    ops->unlink_manifest = agent_unlink;
}

/* ---- Helpers --------------------------------------------------------- */

size_t peers_sign(const tk_teep_signer *signer, const uint8_t *payload,
                  size_t len, uint8_t *out, size_t cap)
{
    static uint8_t scratch[PEERS_BUF];
    size_t out_len = 0;
    tk_err err =
        tk_teep_sign(tk_crypto_openssl(), signer, 1, view_of(payload, len),
                     scratch, sizeof(scratch), out, cap, &out_len);
    if (err != TK_OK)
        die("signing failed", err);
    return out_len;
}

static tk_err any_key(void *ctx, tk_alg alg, tk_view kid, const tk_key **key,
                      tk_view *peer_id)
{
    if (tam_agent_key(ctx, alg, kid, key, peer_id) == TK_OK)
        return TK_OK;
    return agent_tam_key(ctx, alg, kid, key, peer_id);
}

tk_alg peers_open(const uint8_t *msg, size_t len, tk_teep_message *out)
{
    static uint8_t scratch[PEERS_BUF];
    tk_teep_verified v;
    tk_err err = tk_teep_verify(tk_crypto_openssl(), view_of(msg, len), NULL, 0,
                                any_key, NULL, scratch, sizeof(scratch), &v);
    if (err != TK_OK)
        die("cannot verify a message of the test", err);
    err = tk_teep_decode(v.payload.ptr, v.payload.len, out, NULL);
    if (err != TK_OK)
        die("cannot decode a message of the test", err);
    return v.alg;
}
