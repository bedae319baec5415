/*
 * Conditions (draft-ietf-suit-manifest-37 section 8.4.9,
 * draft-ietf-suit-update-management-14 section 5,
 * draft-ietf-suit-trust-domains-11 section 5.6). A condition only tests:
 * it never changes a component. A condition whose parameter is not set
 * fails with TK_ERR_SUIT_PARAMETER_MISSING (section 8.4.9: "it MUST report
 * a failure").
 */
#include "suit_internal.h"

tk_err tk_suit_component_read(tk_suit_exec *ex, const tk_suit_component *c,
                              uint64_t size,
                              tk_err (*sink)(void *arg, const uint8_t *data,
                                             size_t len),
                              void *arg)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    uint8_t *buf = ex->proc->work.chunk;
    uint64_t done = 0;
    tk_view view;

    if (pf->map != NULL) {
        tk_err e = pf->map(pf->ctx, c, &view);
        if (e == TK_OK) {
            if (view.len < size)
                size = view.len;
            return size > 0 ? sink(arg, view.ptr, (size_t)size) : TK_OK;
        }
        if (e != TK_ERR_UNSUPPORTED)
            return e;
    }
    if (pf->read == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    /* Each pass reads at least one byte or stops, so the loop ends after
     * at most size passes. */
    while (done < size) {
        size_t want = sizeof(ex->proc->work.chunk);
        size_t got = 0;
        if (size - done < want)
            want = (size_t)(size - done);
        tk_err e = pf->read(pf->ctx, c, done, buf, want, &got);
        if (e != TK_OK)
            return e;
        if (got == 0 || got > want)
            return got == 0 ? TK_ERR_SUIT_COMPONENT_ABSENT : TK_ERR_CALLBACK;
        e = sink(arg, buf, got);
        if (e != TK_OK)
            return e;
        done += got;
    }
    return TK_OK;
}

/* Hash context for streaming a component into a digest. */
typedef struct hash_arg {
    const tk_crypto *crypto;
    tk_crypto_hash_state *state;
} hash_arg;

static tk_err hash_sink(void *arg, const uint8_t *data, size_t len)
{
    hash_arg *h = arg;
    return h->crypto->hash_update(h->crypto->ctx, h->state, data, len);
}

tk_err tk_suit_component_digest(tk_suit_exec *ex, uint32_t index,
                                int64_t alg, uint8_t *out, size_t *len,
                                bool *present)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    const tk_crypto *crypto = ex->proc->cfg.crypto;
    tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_component c;
    tk_suit_component_info info;
    hash_arg h;
    tk_err e;

    *len = 0;
    *present = false;
    if (!tk_suit_hash_supported(alg))
        return TK_ERR_SUIT_DIGEST_ALG;
    tk_suit_component_of(ex, index, &c);
    memset(&info, 0, sizeof(info));
    e = pf->stat(pf->ctx, &c, &info);
    if (e != TK_OK || !info.present)
        return e;
    *present = true;
    if (pf->digest != NULL) {
        e = pf->digest(pf->ctx, &c, (tk_alg)alg, out, TK_CRYPTO_MAX_HASH_SIZE,
                       len);
        if (e != TK_ERR_UNSUPPORTED)
            return e;
    }
    if (p->digest_valid && p->cached_alg == alg) {
        memcpy(out, p->cached_digest, p->cached_len);
        *len = p->cached_len;
        return TK_OK;
    }
    /* No sink is open during a condition: the work area's hash state is
     * free. */
    h.crypto = crypto;
    h.state = &ex->proc->work.hash;
    e = crypto->hash_start(crypto->ctx, h.state, (tk_alg)alg);
    if (e != TK_OK)
        return e;
    e = tk_suit_component_read(ex, &c, info.size, hash_sink, &h);
    if (e != TK_OK) {
        crypto->hash_abort(crypto->ctx, h.state);
        return e;
    }
    e = crypto->hash_finish(crypto->ctx, h.state, out,
                            TK_CRYPTO_MAX_HASH_SIZE, len);
    if (e == TK_OK && *len <= sizeof(p->cached_digest)) {
        memcpy(p->cached_digest, out, *len);
        p->cached_len = (uint8_t)*len;
        p->cached_alg = alg;
        p->digest_valid = 1;
    }
    return e;
}

/* Returns the component's image digest parameter in *d. */
static tk_err digest_param(tk_suit_exec *ex, uint32_t index,
                           tk_suit_digest *d, tk_suit_record *rec)
{
    tk_suit_param_value v;
    if (!tk_suit_param_get(tk_suit_params_of(ex, index),
                           TK_SUIT_P_IMAGE_DIGEST, &v))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_IMAGE_DIGEST;
    rec->param_value = v.bytes;
    return tk_suit_digest_decode(v.bytes, d);
}

/*
 * Computes whether the component matches its image digest parameter. The
 * image size parameter bounds what fetch, copy and write may store; it is
 * not compared here, as the digest covers the size. For a dependency the digest covers the
 * bstr-wrapped manifest of the envelope stored in the component
 * (draft-ietf-suit-trust-domains-11 section 5.2.2). The measured digest
 * goes into rec.
 */
static tk_err image_matches(tk_suit_exec *ex, uint32_t index,
                            tk_suit_record *rec, bool *match)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_digest want;
    uint8_t digest[TK_CRYPTO_MAX_HASH_SIZE];
    size_t len = 0;
    bool present = false;
    tk_err e;

    *match = false;
    e = digest_param(ex, index, &want, rec);
    if (e != TK_OK)
        return e;
    if (tk_suit_is_dependency(m, index)) {
        size_t dep;
        e = tk_suit_dependency_load(ex, index, false, &dep);
        if (e != TK_OK)
            return e;
        e = tk_suit_hash(proc->cfg.crypto, want.alg,
                         proc->manifests[dep].env.manifest_wrapped, digest,
                         &len);
        present = true;
    } else {
        e = tk_suit_component_digest(ex, index, want.alg, digest, &len,
                                     &present);
    }
    if (e != TK_OK || !present)
        return e;
    rec->measured_alg = want.alg;
    rec->measured_len = (uint8_t)len;
    memcpy(rec->measured, digest, len);
    *match = tk_suit_digest_matches(&want, want.alg, digest, len);
    if (*match && tk_suit_is_dependency(m, index))
        p->integrity_checked = 1;

    return e;
}

/* Constant-time comparison state for check-content. */
typedef struct compare_arg {
    tk_view expected;
    size_t pos;
    uint8_t diff;
} compare_arg;

static tk_err compare_sink(void *arg, const uint8_t *data, size_t len)
{
    compare_arg *c = arg;
    if (len > c->expected.len - c->pos)
        return TK_ERR_SUIT_CONTENT_MISMATCH;
    /* No early exit: every byte is compared
     * (draft-ietf-suit-manifest-37 section 8.4.9.3). */
    for (size_t i = 0; i < len; i++)
        c->diff |= (uint8_t)(data[i] ^ c->expected.ptr[c->pos + i]);
    c->pos += len;
    return TK_OK;
}

/* suit-condition-check-content. */
static tk_err check_content(tk_suit_exec *ex, uint32_t index,
                            tk_suit_record *rec)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_param_value content;
    tk_suit_component c;
    tk_suit_component_info info;
    compare_arg cmp;
    if (!tk_suit_param_get(tk_suit_params_of(ex, index), TK_SUIT_P_CONTENT,
                           &content))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_CONTENT;
    rec->param_value = content.bytes;
    tk_suit_component_of(ex, index, &c);
    memset(&info, 0, sizeof(info));
    tk_err e = pf->stat(pf->ctx, &c, &info);
    if (e != TK_OK)
        return e;
    if (!info.present || info.size != content.bytes.len)
        return TK_ERR_SUIT_CONTENT_MISMATCH;
    cmp.expected = content.bytes;
    cmp.pos = 0;
    cmp.diff = 0;
    e = tk_suit_component_read(ex, &c, info.size, compare_sink, &cmp);
    if (e != TK_OK)
        return e;
    return cmp.diff == 0 && cmp.pos == content.bytes.len
               ? TK_OK
               : TK_ERR_SUIT_CONTENT_MISMATCH;
}

/* Identifier conditions: vendor, class and device. */
static tk_err identifier(tk_suit_exec *ex, uint32_t index, int slot,
                         tk_suit_identifier kind, int64_t key, tk_err fail,
                         tk_suit_record *rec)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_param_value id;
    tk_suit_component c;
    bool match = false;
    if (!tk_suit_param_get(tk_suit_params_of(ex, index), slot, &id))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = key;
    rec->param_value = id.bytes;
    if (pf->match_identifier == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    tk_suit_component_of(ex, index, &c);
    tk_err e = pf->match_identifier(pf->ctx, &c, kind, id.bytes, &match);
    if (e != TK_OK)
        return e;
    return match ? TK_OK : fail;
}

/* suit-condition-component-slot. */
static tk_err component_slot(tk_suit_exec *ex, uint32_t index,
                             tk_suit_record *rec)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_param_value slot;
    tk_suit_component c;
    tk_suit_component_info info;
    if (!tk_suit_param_get(tk_suit_params_of(ex, index),
                           TK_SUIT_P_COMPONENT_SLOT, &slot))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_COMPONENT_SLOT;
    tk_suit_component_of(ex, index, &c);
    memset(&info, 0, sizeof(info));
    tk_err e = pf->stat(pf->ctx, &c, &info);
    if (e != TK_OK)
        return e;
    return info.has_slot && info.slot == slot.num ? TK_OK
                                                  : TK_ERR_SUIT_SLOT_MISMATCH;
}

/* Compares two versions integer by integer over the length of want; a
 * shorter device version counts as zeros. Returns -1, 0 or 1. */
static int version_compare(const int64_t *have, size_t have_n,
                           const int64_t *want, size_t want_n)
{
    for (size_t i = 0; i < want_n; i++) {
        int64_t h = i < have_n ? have[i] : 0;
        if (h < want[i])
            return -1;
        if (h > want[i])
            return 1;
    }
    return 0;
}

/* suit-condition-version (draft-ietf-suit-update-management-14 section
 * 4.4). */
static tk_err version_check(tk_suit_exec *ex, uint32_t index,
                            tk_suit_record *rec)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_param_value v;
    int64_t want[TK_SUIT_MAX_VERSION_PARTS];
    int64_t have[TK_SUIT_MAX_VERSION_PARTS];
    size_t want_n = 0;
    size_t have_n = 0;
    uint64_t type = 0;
    tk_cbor_dec dec;
    tk_suit_component c;

    if (!tk_suit_param_get(tk_suit_params_of(ex, index), TK_SUIT_P_VERSION,
                           &v))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_VERSION;
    rec->param_value = v.bytes;
    if (pf->version == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    /* The value was checked when the parameter was set. */
    tk_cbor_dec_init(&dec, v.bytes.ptr, v.bytes.len, 0);
    tk_cbor_dec_enter_array(&dec, NULL);
    tk_cbor_dec_get_uint(&dec, &type);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (tk_cbor_dec_more(&dec) && want_n < TK_SUIT_MAX_VERSION_PARTS)
        tk_cbor_dec_get_int(&dec, &want[want_n++]);
    if (tk_cbor_dec_error(&dec) != TK_OK)
        return TK_ERR_SUIT_MALFORMED;
    tk_suit_component_of(ex, index, &c);
    tk_err e = pf->version(pf->ctx, &c, have, &have_n);
    if (e != TK_OK)
        return e;
    if (have_n > TK_SUIT_MAX_VERSION_PARTS)
        return TK_ERR_CALLBACK;
    int cmp = version_compare(have, have_n, want, want_n);
    bool ok = (type == 1 && cmp > 0) || (type == 2 && cmp >= 0) ||
              (type == 3 && cmp == 0) || (type == 4 && cmp <= 0) ||
              (type == 5 && cmp < 0);
    return ok ? TK_OK : TK_ERR_SUIT_COMPONENT_VERSION;
}

/* Conditions on device state: use-before, battery, authorization. */
static tk_err device_condition(tk_suit_exec *ex, int64_t label,
                               uint32_t index, tk_suit_record *rec)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    const tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_param_value v;
    tk_err e;
    if (label == TK_SUIT_COND_USE_BEFORE) {
        uint64_t now = 0;
        if (!tk_suit_param_get(p, TK_SUIT_P_USE_BEFORE, &v))
            return TK_ERR_SUIT_PARAMETER_MISSING;
        rec->param_key = TK_SUIT_PARAM_USE_BEFORE;
        if (pf->now == NULL)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        e = pf->now(pf->ctx, &now);
        return e != TK_OK ? e : now < v.num ? TK_OK : TK_ERR_SUIT_EXPIRED;
    }
    if (label == TK_SUIT_COND_MINIMUM_BATTERY) {
        uint64_t mwh = 0;
        if (!tk_suit_param_get(p, TK_SUIT_P_MINIMUM_BATTERY, &v))
            return TK_ERR_SUIT_PARAMETER_MISSING;
        rec->param_key = TK_SUIT_PARAM_MINIMUM_BATTERY;
        if (pf->battery == NULL)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        e = pf->battery(pf->ctx, &mwh);
        return e != TK_OK ? e : mwh >= v.num ? TK_OK : TK_ERR_SUIT_BATTERY;
    }
    bool authorized = false;
    if (!tk_suit_param_get(p, TK_SUIT_P_UPDATE_PRIORITY, &v))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_UPDATE_PRIORITY;
    if (pf->authorize == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    e = pf->authorize(pf->ctx, (int64_t)v.num, &authorized);
    if (e != TK_OK)
        return e;
    return authorized ? TK_OK : TK_ERR_SUIT_UPDATE_UNAUTHORIZED;
}

tk_err tk_suit_condition(tk_suit_exec *ex, int64_t label, uint32_t index,
                         tk_suit_record *rec)
{
    const tk_suit_loaded *m = &ex->proc->manifests[ex->manifest];
    bool match = false;
    tk_err e;
    switch (label) {
    case TK_SUIT_COND_VENDOR_IDENTIFIER:
        return identifier(ex, index, TK_SUIT_P_VENDOR_ID, TK_SUIT_ID_VENDOR,
                          TK_SUIT_PARAM_VENDOR_ID, TK_ERR_SUIT_VENDOR_ID, rec);
    case TK_SUIT_COND_CLASS_IDENTIFIER:
        return identifier(ex, index, TK_SUIT_P_CLASS_ID, TK_SUIT_ID_CLASS,
                          TK_SUIT_PARAM_CLASS_ID, TK_ERR_SUIT_CLASS_ID, rec);
    case TK_SUIT_COND_DEVICE_IDENTIFIER:
        return identifier(ex, index, TK_SUIT_P_DEVICE_ID, TK_SUIT_ID_DEVICE,
                          TK_SUIT_PARAM_DEVICE_ID, TK_ERR_SUIT_DEVICE_ID, rec);
    case TK_SUIT_COND_IMAGE_MATCH:
        e = image_matches(ex, index, rec, &match);
        return e != TK_OK ? e : match ? TK_OK : TK_ERR_SUIT_IMAGE_MISMATCH;
    case TK_SUIT_COND_IMAGE_NOT_MATCH:
        if (!TK_SUIT_WITH_UPDATE_MANAGEMENT)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        e = image_matches(ex, index, rec, &match);
        return e != TK_OK ? e : match ? TK_ERR_SUIT_IMAGE_MATCHES : TK_OK;
    case TK_SUIT_COND_CHECK_CONTENT:
        return check_content(ex, index, rec);
    case TK_SUIT_COND_COMPONENT_SLOT:
        return component_slot(ex, index, rec);
    case TK_SUIT_COND_ABORT:
        return TK_ERR_SUIT_ABORT;
    case TK_SUIT_COND_IS_DEPENDENCY:
        if (!TK_SUIT_WITH_DEPENDENCIES)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        return tk_suit_is_dependency(m, index) ? TK_OK
                                               : TK_ERR_SUIT_IS_DEPENDENCY;
    case TK_SUIT_COND_DEPENDENCY_INTEGRITY:
        if (!TK_SUIT_WITH_DEPENDENCIES)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        return tk_suit_dependency_integrity(ex, index, rec);
    case TK_SUIT_COND_VERSION:
        if (!TK_SUIT_WITH_UPDATE_MANAGEMENT)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        return version_check(ex, index, rec);
    default:
        if (!TK_SUIT_WITH_UPDATE_MANAGEMENT)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        return device_condition(ex, label, index, rec);
    }
}
