/*
 * The TAM's view of devices: agent keys for the signature of every
 * message, and the verifier that appraises EAT evidence against the
 * reference values in the store (tk_eat_appraise with the TEEP profile).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tam_internal.h"
#include "teepkit/cbor.h"
#include "teepkit/cose.h"

/* ESP256 and ES256, Ed25519 and EdDSA are the same computations. */
static tk_alg canonical_alg(tk_alg alg)
{
    if (alg == TK_ALG_ES256)
        return TK_ALG_ESP256;
    if (alg == TK_ALG_EDDSA)
        return TK_ALG_ED25519;
    return alg;
}

/* Tells whether a stored key (alg as registered, 0 when unknown) may
 * verify a signature with alg. */
static bool key_allows(int64_t stored_alg, const tk_key *key, tk_alg alg)
{
    if (tk_crypto_sig_curve(alg) != key->crv)
        return false;
    return stored_alg == 0 ||
           canonical_alg((tk_alg)stored_alg) == canonical_alg(alg);
}

/* Finds a key already imported during this request. */
static const tam_request_key *cached_key(const tam_request *r, tk_alg alg,
                                         tk_view kid)
{
    for (size_t i = 0; i < r->key_count; i++) {
        const tam_request_key *k = &r->keys[i];
        if (canonical_alg(k->alg) == canonical_alg(alg) &&
            tam_view_equal((tk_view){k->kid, k->kid_len}, kid))
            return k;
    }
    return NULL;
}

/* Takes the device that owns an agent key (read with the key), once per
 * request, and rejects a device that must not be served. */
static tk_err load_device(tam_request *r, const tk_store_device *device)
{
    if (r->has_device)
        return r->device.id == device->id ? TK_OK : TK_ERR_NOT_FOUND;
    if (device->state == TK_STORE_DEVICE_BLOCKED ||
        device->state == TK_STORE_DEVICE_RETIRED) {
        tam_set_detail(r, "device %lld is %s", (long long)device->id,
                       device->state == TK_STORE_DEVICE_BLOCKED ? "blocked"
                                                                : "retired");
        return TK_ERR_TAM_DEVICE_BLOCKED;
    }
    r->device = *device;
    r->has_device = true;
    return TK_OK;
}

/*
 * agent_key callback: finds the agent key with this kid in the store,
 * checks that it may verify alg and that its device is served, and
 * returns the key with the device's UEID as peer id.
 */
tk_err tam_agent_key(void *ctx, tk_alg alg, tk_view kid, const tk_key **key,
                     tk_view *peer_id)
{
    tam_request *r = ctx;
    tk_tam *tam = r->tam;
    const tam_request_key *known = cached_key(r, alg, kid);
    if (known != NULL) {
        *key = known->key;
        *peer_id = r->device.ueid;
        return TK_OK;
    }
    if (kid.len == 0 || kid.len > TK_TEEP_MAX_KID)
        return TK_ERR_NOT_FOUND;
    if (r->key_count == TAM_MAX_REQUEST_KEYS)
        return TK_ERR_NOT_FOUND;

    tk_store_key stored;
    tk_store_device owner;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_key_find_device(tam->store, TK_STORE_KEY_AGENT, kid,
                                          &r->mem, &stored, &owner, &detail);
    if (err == TK_ERR_STORE_NOT_FOUND)
        return TK_ERR_NOT_FOUND;
    if (err != TK_OK) {
        tam_set_detail(r, "%s", detail.text);
        return err;
    }
    tam_request_key *k = &r->keys[r->key_count];
    err = tam_key_get(tam, stored.cose_key, &k->own, &k->owned, &k->key);
    if (err != TK_OK) {
        tam_set_detail(r, "agent key %lld of device %lld cannot be read",
                       (long long)stored.id, (long long)stored.device_id);
        return err;
    }
    if (key_allows(stored.alg, k->key, alg))
        err = load_device(r, &owner);
    else
        err = TK_ERR_NOT_FOUND;
    if (err != TK_OK) {
        if (k->owned)
            tk_key_release(&k->own);
        return err;
    }
    k->alg = alg;
    k->kid_len = kid.len;
    memcpy(k->kid, kid.ptr, kid.len);
    r->key_count++;
    *key = k->key;
    *peer_id = r->device.ueid;
    return TK_OK;
}

void tam_request_keys_release(tam_request *r)
{
    for (size_t i = 0; i < r->key_count; i++)
        if (r->keys[i].owned)
            tk_key_release(&r->keys[i].own);
    r->key_count = 0;
}

/* Reference values of one device, and the keys they own. */
typedef struct tam_reference {
    tk_eat_reference ref;
    size_t attester_count;
    tk_eat_attester attesters[2 * TAM_MAX_ATTESTERS];
    size_t key_count;
    tk_key keys[TAM_MAX_ATTESTERS];     /* imported when the cache is full */
    bool owned[TAM_MAX_ATTESTERS];
    tk_view hwmodels[TK_STORE_MAX_REFVALS];
    tk_view hwversions[TK_STORE_MAX_REFVALS];
    tk_view oemids[TK_STORE_MAX_REFVALS];
    tk_eat_format_entry measurements[TK_STORE_MAX_REFVALS];
} tam_reference;

/* Allocates an empty tam_reference. Its lists are filled and read only
 * below their counts, so only the counts and the rest are zeroed, not the
 * 23 KiB of entries. */
static tam_reference *reference_new(void)
{
    tam_reference *ref = malloc(sizeof(*ref));
    if (ref == NULL)
        return NULL;
    memset(&ref->ref, 0, sizeof(ref->ref));
    ref->attester_count = 0;
    ref->key_count = 0;
    memset(ref->owned, 0, sizeof(ref->owned));
    return ref;
}

/*
 * Adds an attestation key twice: under its kid, and without a kid for
 * evidence whose header carries none. Both entries are bound to the
 * device's UEID, so the key vouches for this device only.
 */
static tk_err add_attester(tam_request *r, tam_reference *ref, tk_view kid,
                           int64_t stored_alg, tk_view cose_key)
{
    if (ref->key_count == TAM_MAX_ATTESTERS)
        return TK_OK;
    size_t n = ref->key_count;
    const tk_key *key = NULL;
    tk_cose_key info;
    tk_err err = tk_cose_key_decode(cose_key, &info);
    if (err == TK_OK)
        err = tam_key_get(r->tam, cose_key, &ref->keys[n], &ref->owned[n],
                          &key);
    if (err != TK_OK) {
        tam_set_detail(r, "an attestation key of device %lld cannot be read",
                       (long long)r->device.id);
        return TK_OK;
    }
    ref->key_count++;
    tk_alg alg = (tk_alg)stored_alg;
    if (alg == TK_ALG_NONE && info.has_alg)
        alg = info.alg;
    if (alg == TK_ALG_NONE)
        alg = key->crv == TK_CRV_ED25519 ? TK_ALG_ED25519 : TK_ALG_ESP256;
    tk_eat_attester a = {kid, alg, key, r->device.ueid};
    ref->attesters[ref->attester_count++] = a;
    a.kid = (tk_view){NULL, 0};
    ref->attesters[ref->attester_count++] = a;
    return TK_OK;
}

/* Reads a measurement reference value: an encoded [content-type,
 * content] entry of the measurements claim. */
static bool read_measurement(tk_view value, tk_eat_format_entry *entry)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    uint64_t count = 0;
    tk_cbor_dec_init(&dec, value.ptr, value.len, 0);
    tk_cbor_dec_enter_array(&dec, &count);
    tk_cbor_dec_get_uint(&dec, &entry->content_type);
    entry->wrapped = tk_cbor_dec_peek(&dec, &item) == TK_OK &&
                     item.type == TK_CBOR_BSTR;
    if (entry->wrapped)
        tk_cbor_dec_get_bstr(&dec, &entry->content);
    else
        tk_cbor_dec_skip(&dec, &entry->content);
    tk_cbor_dec_exit(&dec);
    return count == 2 && tk_cbor_dec_finish(&dec) == TK_OK;
}

/* Sorts one reference value of the store into ref. */
static tk_err add_refval(tam_request *r, tam_reference *ref,
                         const tk_store_refval *v)
{
    tk_eat_reference *e = &ref->ref;
    switch (v->kind) {
    case TK_STORE_REF_HWMODEL:
        ref->hwmodels[e->hwmodel_count++] = v->value;
        break;
    case TK_STORE_REF_HWVERSION:
        ref->hwversions[e->hwversion_count++] = v->value;
        break;
    case TK_STORE_REF_OEMID:
        ref->oemids[e->oemid_count++] = v->value;
        break;
    case TK_STORE_REF_MEASUREMENT:
        if (read_measurement(v->value,
                             &ref->measurements[e->measurement_count]))
            e->measurement_count++;
        else
            tam_set_detail(r, "reference value %lld is not a measurement "
                              "entry",
                           (long long)v->id);
        break;
    case TK_STORE_REF_ATTEST_KEY:
        return add_attester(r, ref, v->label, 0, v->value);
    }
    return TK_OK;
}

/* Loads the device's attestation keys and reference values, and with
 * them, from the same snapshot, the installed state that the policy
 * reads next. */
static tk_err load_reference(tam_request *r, tam_reference *ref)
{
    tk_store_detail detail = {{0}};
    tk_store_device_context dc;
    tk_err err = tk_store_device_context_get(r->tam->store, r->device.id,
                                             &r->mem, &dc, &detail);
    if (err == TK_OK) {
        r->installed = dc.installed;
        r->has_installed = true;
    }
    for (size_t i = 0; err == TK_OK && i < dc.keys.count; i++) {
        const tk_store_key *k = &dc.keys.items[i];
        if (k->use == TK_STORE_KEY_ATTESTATION)
            err = add_attester(r, ref, k->kid, k->alg, k->cose_key);
    }
    for (size_t i = 0; err == TK_OK && i < dc.refvals.count; i++)
        err = add_refval(r, ref, &dc.refvals.items[i]);
    if (err != TK_OK && detail.text[0] != '\0')
        tam_set_detail(r, "%s", detail.text);
    tk_eat_reference *e = &ref->ref;
    e->attesters = ref->attesters;
    e->attester_count = ref->attester_count;
    e->hwmodels = ref->hwmodels;
    e->hwversions = ref->hwversions;
    e->oemids = ref->oemids;
    e->measurements = ref->measurements;
    return err;
}

static void release_reference(tam_reference *ref)
{
    for (size_t i = 0; i < ref->key_count; i++)
        if (ref->owned[i])
            tk_key_release(&ref->keys[i]);
}

/* Runs tk_eat_appraise with the TEEP profile and the bindings of the
 * exchange: the challenge (or, without one, the maximum evidence age) and
 * the thumbprint of the agent key as the expected cnf kid. */
static tk_err run_appraisal(tam_request *r, const tk_teep_evidence *ev,
                            const tam_reference *ref, tk_eat_result *result)
{
    tk_tam *tam = r->tam;
    uint8_t thumbprint[TK_COSE_THUMBPRINT_SIZE];
    tk_err err = tk_cose_key_thumbprint(tam->crypto, ev->agent_key,
                                        thumbprint);
    if (err != TK_OK)
        return err;
    size_t scratch_cap = ev->payload.len + 256;
    uint8_t *scratch = malloc(scratch_cap);
    if (scratch == NULL)
        return TK_ERR_STORE_NOMEM;
    tk_eat_appraisal a;
    memset(&a, 0, sizeof(a));
    a.crypto = tam->crypto;
    a.ref = &ref->ref;
    a.flags = TK_EAT_PROFILE_TEEP;
    a.nonce = ev->challenge;
    if (ev->challenge.len == 0)
        a.max_age = tam->cfg.evidence_max_age;
    a.now = ev->now;
    a.skew = tam->cfg.clock_skew;
    a.cnf_kid = (tk_view){thumbprint, sizeof(thumbprint)};
    a.scratch = scratch;
    a.scratch_cap = scratch_cap;
    tk_eat_appraise(&a, ev->payload.ptr, ev->payload.len, result);
    free(scratch);
    return TK_OK;
}

/*
 * appraise callback. The result (status and reason) goes to the state
 * machine, which lets only an affirming result (or a warning, with
 * accept_warning) through to the policy. Returns an error only when the
 * appraisal could not run at all.
 */
tk_err tam_appraise(void *ctx, const tk_teep_evidence *evidence,
                    tk_eat_result *result)
{
    tam_request *r = ctx;
    if (!r->has_device)
        return TK_ERR_TEEP_ATTESTATION_FAILED;
    tam_reference *ref = reference_new();
    if (ref == NULL)
        return TK_ERR_STORE_NOMEM;
    tk_err err = load_reference(r, ref);
    if (err == TK_OK && ref->attester_count == 0) {
        tam_set_detail(r, "device %lld has no attestation key",
                       (long long)r->device.id);
        result->status = TK_EAT_STATUS_CONTRAINDICATED;
        result->reason = TK_ERR_EAT_UNKNOWN_KEY;
    } else if (err == TK_OK) {
        err = run_appraisal(r, evidence, ref, result);
    }
    release_reference(ref);
    free(ref);
    if (err != TK_OK)
        return err;
    r->appraised = true;
    r->appraisal = *result;
    return TK_OK;
}

/* Maps an appraisal outcome to the verdict column of the store. */
static tk_store_verdict verdict_of(const tam_request *r,
                                   const tk_teep_tam_result *res)
{
    if (!r->appraised)
        return TK_STORE_VERDICT_FAILED;
    switch (r->appraisal.status) {
    case TK_EAT_STATUS_AFFIRMING:
        return TK_STORE_VERDICT_AFFIRMING;
    case TK_EAT_STATUS_WARNING:
        return TK_STORE_VERDICT_WARNING;
    default:
        (void)res;
        return TK_STORE_VERDICT_CONTRAINDICATED;
    }
}

/* A JSON text being written into a fixed buffer; full is set when it
 * does not fit. */
typedef struct json_text {
    char *buf;
    size_t cap;
    size_t len;
    bool full;
} json_text;

static void json_put(json_text *t, const char *s, size_t n)
{
    if (t->full || t->cap - t->len <= n) {
        t->full = true;
        return;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* Appends "key": after a comma, unless it is the first member. */
static void json_key(json_text *t, const char *key)
{
    if (t->len > 1)
        json_put(t, ",", 1);
    json_put(t, "\"", 1);
    json_put(t, key, strlen(key));
    json_put(t, "\":", 2);
}

static void json_put_hex(json_text *t, const char *key, tk_view v)
{
    char hex[2 * 64 + 1];
    tam_hex(v.ptr, v.len, hex, sizeof(hex));
    json_key(t, key);
    json_put(t, "\"", 1);
    json_put(t, hex, strlen(hex));
    json_put(t, "\"", 1);
}

/* True when s is well-formed UTF-8 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static bool utf8_valid(tk_view s)
{
    size_t i = 0;
    while (i < s.len) {
        uint8_t c = s.ptr[i];
        size_t extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1
                                  : (c & 0xf0) == 0xe0 ? 2
                                  : (c & 0xf8) == 0xf0 ? 3
                                                       : 4;
        if (extra == 4 || s.len - i <= extra)
            return false;
        static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
        uint32_t cp = extra == 0 ? c : c & (0x3fu >> extra);
        for (size_t k = 1; k <= extra; k++) {
            if ((s.ptr[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s.ptr[i + k] & 0x3fu);
        }
        if (cp < min[extra] || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

/* Appends a string member, escaped as RFC 8259 section 7 requires. A
 * value that is not UTF-8 is left out. */
static void json_put_string(json_text *t, const char *key, tk_view v)
{
    if (!utf8_valid(v))
        return;
    json_key(t, key);
    json_put(t, "\"", 1);
    for (size_t i = 0; i < v.len; i++) {
        char esc[8];
        uint8_t c = v.ptr[i];
        const char *two = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        if (two != NULL) {
            json_put(t, two, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04X", c);
            json_put(t, esc, 6);
        } else {
            json_put(t, (const char *)&v.ptr[i], 1);
        }
    }
    json_put(t, "\"", 1);
}

static void json_put_int(json_text *t, const char *key, long long value)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", value);
    json_key(t, key);
    json_put(t, num, (size_t)n);
}

/* Summarizes the claims of a verified token as compact JSON, members in
 * name order, with no secrets: the nonce and cnf are left out. Returns a
 * malloc'd string or NULL. Written by hand: building a jansson tree for
 * it took more time than the rest of the appraisal's bookkeeping. */
static char *claims_summary(const tk_eat_result *res)
{
    const tk_eat_claims *c = &res->claims;
    if (c->present == 0)
        return NULL;
    /* Three hex values of at most 128 digits, a version text of at most
     * 6 bytes per input byte, three numbers and the punctuation. */
    size_t cap = 3 * 140 + 6 * c->hwversion.version.len + 3 * 40 + 64;
    json_text t = {malloc(cap), cap, 0, false};
    if (t.buf == NULL)
        return NULL;
    json_put(&t, "{", 1);
    if (c->present & TK_EAT_HAS_HWMODEL)
        json_put_hex(&t, "hwmodel", c->hwmodel);
    if (c->present & TK_EAT_HAS_HWVERSION)
        json_put_string(&t, "hwversion", c->hwversion.version);
    if (c->present & TK_EAT_HAS_IAT)
        json_put_int(&t, "iat", (long long)c->iat);
    json_put_int(&t, "manifests", (long long)c->manifest_count);
    json_put_int(&t, "measurements", (long long)c->measurement_count);
    if ((c->present & TK_EAT_HAS_OEMID) && !c->oemid_is_pen)
        json_put_hex(&t, "oemid", c->oemid);
    if (c->present & TK_EAT_HAS_UEID)
        json_put_hex(&t, "ueid", c->ueid);
    json_put(&t, "}", 1);
    if (t.full) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

/*
 * Collects the attestation result of this request (one row per appraisal
 * or per QueryResponse that lacked usable evidence) for the commit, with
 * an audit entry when the device was not affirmed. The first affirming
 * result of a pending device also marks it active.
 */
void tam_record_attestation(tam_request *r, const tk_teep_tam_result *res)
{
    if (!r->has_device || r->attestation_recorded)
        return;
    r->attestation_recorded = true;
    tam_writes *w = &r->writes;
    tk_store_verdict verdict = verdict_of(r, res);
    tk_err reason = r->appraised ? r->appraisal.reason : res->reason;
    if (verdict == TK_STORE_VERDICT_AFFIRMING)
        reason = TK_OK;
    free(w->claims);
    w->claims = r->appraised ? claims_summary(&r->appraisal) : NULL;
    snprintf(w->reason, sizeof(w->reason), "%s: %s", tk_errname(reason),
             tk_strerror(reason));
    memset(&w->result, 0, sizeof(w->result));
    w->result.device_id = r->device.id;
    w->result.session_id = r->session_id;
    w->result.verdict = verdict;
    w->result.reason_code = (int32_t)reason;
    w->result.reason = reason == TK_OK ? "" : w->reason;
    w->result.claims = w->claims;
    w->attestation = true;
    w->attestation_audit = verdict != TK_STORE_VERDICT_AFFIRMING;
    snprintf(w->attestation_object, sizeof(w->attestation_object),
             "device/%lld", (long long)r->device.id);
    w->attestation_entry = (tk_store_audit){
        0, 0, TAM_ACTOR,
        verdict == TK_STORE_VERDICT_WARNING ? "attestation.warning"
                                            : "attestation.failed",
        w->attestation_object, w->reason};
    w->activate = verdict == TK_STORE_VERDICT_AFFIRMING &&
                  r->device.state == TK_STORE_DEVICE_PENDING;
}
