/*
 * EAT appraisal: the TAM-side verifier of TEEP Agent evidence against
 * reference values supplied by the caller.
 *
 * The result starts as contraindicated. Each check below either passes or
 * sets the reason and stops; only when every check has passed does the
 * status become affirming (or warning for the reference comparisons that
 * mean "genuine but out of date").
 */
#include <string.h>

#include "eat_internal.h"

/* CWT tag (RFC 8392 section 6). */
#define CWT_TAG 61

/* Treats ES256 and ESP256, and EdDSA and Ed25519, as the same algorithm:
 * each pair is the same computation (RFC 9864 section 2). */
static tk_alg canonical_alg(tk_alg alg)
{
    if (alg == TK_ALG_ES256)
        return TK_ALG_ESP256;
    if (alg == TK_ALG_EDDSA)
        return TK_ALG_ED25519;
    return alg;
}

/* Returns v1 + v2 clamped to the int64_t range (v2 is a duration). */
static int64_t add_clamped(int64_t v1, uint64_t v2)
{
    if (v2 > (uint64_t)INT64_MAX || v1 > INT64_MAX - (int64_t)v2)
        return INT64_MAX;
    return v1 + (int64_t)v2;
}

static bool view_in_list(tk_view v, const tk_view *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (tk_eat_view_equal(v, list[i]))
            return true;
    return false;
}

tk_err tk_eat_token_payload(const uint8_t *token, size_t len, tk_view *payload)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    uint64_t tag;
    tk_cbor_dec_init(&dec, token, len, 0);
    /* Skip tags 61 and 18, then read [protected, unprotected, payload,
     * signature]. The decoder's depth limit bounds the loop. */
    while (tk_cbor_dec_peek(&dec, &item) == TK_OK && item.type == TK_CBOR_TAG) {
        if (item.value != CWT_TAG && item.value != TK_COSE_TYPE_SIGN1)
            return TK_ERR_EAT_NOT_COSE;
        tk_cbor_dec_get_tag(&dec, &tag);
    }
    tk_cbor_dec_enter_array(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_get_bstr(&dec, payload);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return TK_ERR_EAT_NOT_COSE;
    return TK_OK;
}

/* Strips an outer CWT tag: the COSE_Sign1 follows its head. */
static tk_view strip_cwt_tag(const uint8_t *token, size_t len)
{
    tk_view inner = {token, len};
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_cbor_dec_init(&dec, token, len, 0);
    if (tk_cbor_dec_peek(&dec, &item) == TK_OK && item.type == TK_CBOR_TAG &&
        item.value == CWT_TAG) {
        uint64_t tag;
        tk_cbor_dec_get_tag(&dec, &tag);
        size_t head = tk_cbor_dec_offset(&dec);
        inner.ptr = token + head;
        inner.len = len - head;
    }
    return inner;
}

/* Finds the attester whose kid and algorithm match the COSE header. */
static const tk_eat_attester *find_attester(const tk_eat_reference *ref,
                                            const tk_cose_headers *hdr,
                                            size_t *index)
{
    tk_view kid = {NULL, 0};
    if ((hdr->present & TK_COSE_HAS_KID) != 0)
        kid = hdr->kid;
    tk_alg alg = canonical_alg((tk_alg)hdr->alg);
    for (size_t i = 0; i < ref->attester_count; i++) {
        const tk_eat_attester *at = &ref->attesters[i];
        if (at->key == NULL || canonical_alg(at->alg) != alg)
            continue;
        if (!tk_eat_view_equal(at->kid, kid))
            continue;
        *index = i;
        return at;
    }
    return NULL;
}

/* Checks eat_nonce against the challenge. */
static tk_err check_nonce(const tk_eat_appraisal *a, const tk_eat_claims *c)
{
    if (a->nonce.len == 0)
        return TK_OK;
    if ((c->present & TK_EAT_HAS_NONCE) == 0)
        return TK_ERR_EAT_NONCE_MISSING;
    for (size_t i = 0; i < c->nonce_count; i++) {
        if (c->nonce[i].len == a->nonce.len &&
            tk_crypto_ct_equal(c->nonce[i].ptr, a->nonce.ptr, a->nonce.len))
            return TK_OK;
    }
    return TK_ERR_EAT_NONCE_MISMATCH;
}

/* Checks exp, nbf and iat against the caller's clock. */
static tk_err check_times(const tk_eat_appraisal *a, const tk_eat_claims *c)
{
    int64_t now = a->now;
    if ((c->present & TK_EAT_HAS_EXP) != 0 &&
        add_clamped(c->exp, a->skew) < now)
        return TK_ERR_EAT_EXPIRED;
    if ((c->present & TK_EAT_HAS_NBF) != 0 &&
        c->nbf > add_clamped(now, a->skew))
        return TK_ERR_EAT_NOT_YET_VALID;
    if ((c->present & TK_EAT_HAS_IAT) != 0 &&
        c->iat > add_clamped(now, a->skew))
        return TK_ERR_EAT_FUTURE_IAT;
    if (a->max_age > 0) {
        if ((c->present & TK_EAT_HAS_IAT) == 0)
            return TK_ERR_EAT_MISSING_CLAIM;
        if (add_clamped(add_clamped(c->iat, a->max_age), a->skew) < now)
            return TK_ERR_EAT_STALE;
    }
    return TK_OK;
}

/* Checks that cnf names the TEEP Agent's key: a kid equal to the expected
 * thumbprint, or a COSE_Key whose RFC 9679 thumbprint is that value. */
static tk_err check_cnf(const tk_eat_appraisal *a, const tk_eat_claims *c)
{
    if (a->cnf_kid.len == 0)
        return TK_OK;
    if ((c->present & TK_EAT_HAS_CNF) == 0)
        return TK_ERR_EAT_CNF_MISSING;
    if (c->cnf_kind == TK_EAT_CNF_KID) {
        if (c->cnf.len == a->cnf_kid.len &&
            tk_crypto_ct_equal(c->cnf.ptr, a->cnf_kid.ptr, c->cnf.len))
            return TK_OK;
        return TK_ERR_EAT_CNF_MISMATCH;
    }
    if (c->cnf_kind != TK_EAT_CNF_COSE_KEY ||
        a->cnf_kid.len != TK_COSE_THUMBPRINT_SIZE)
        return TK_ERR_EAT_CNF_MISMATCH;
    tk_key key;
    uint8_t digest[TK_COSE_THUMBPRINT_SIZE];
    tk_key_init(&key);
    tk_err err = tk_cose_key_import(a->crypto, c->cnf, &key, NULL);
    if (err == TK_OK)
        err = tk_cose_key_thumbprint(a->crypto, &key, digest);
    tk_key_release(&key);
    if (err != TK_OK)
        return TK_ERR_EAT_CNF_MISMATCH;
    if (!tk_crypto_ct_equal(digest, a->cnf_kid.ptr, sizeof(digest)))
        return TK_ERR_EAT_CNF_MISMATCH;
    return TK_OK;
}

/* Checks the identity claims: ueid binding, oemid, hwmodel, profile. */
static tk_err check_identity(const tk_eat_reference *ref,
                             const tk_eat_attester *at, const tk_eat_claims *c)
{
    if (at->ueid.len > 0 && ((c->present & TK_EAT_HAS_UEID) == 0 ||
                             !tk_eat_view_equal(c->ueid, at->ueid)))
        return TK_ERR_EAT_UEID_MISMATCH;
    if (ref->oemid_count > 0) {
        /* NOTE: reference oemids are byte strings, so a PEN oemid only
         * passes when the reference list is empty. */
        if ((c->present & TK_EAT_HAS_OEMID) == 0 || c->oemid_is_pen ||
            !view_in_list(c->oemid, ref->oemids, ref->oemid_count))
            return TK_ERR_EAT_OEMID_UNKNOWN;
    }
    if (ref->hwmodel_count > 0 &&
        ((c->present & TK_EAT_HAS_HWMODEL) == 0 ||
         !view_in_list(c->hwmodel, ref->hwmodels, ref->hwmodel_count)))
        return TK_ERR_EAT_HWMODEL_UNKNOWN;
    if (ref->profile.len > 0 && (c->present & TK_EAT_HAS_PROFILE) != 0 &&
        !tk_eat_view_equal(c->profile, ref->profile))
        return TK_ERR_EAT_PROFILE_MISMATCH;
    return TK_OK;
}

static bool entry_listed(const tk_eat_format_entry *entry,
                         const tk_eat_format_entry *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (list[i].content_type == entry->content_type &&
            list[i].wrapped == entry->wrapped &&
            tk_eat_view_equal(list[i].content, entry->content))
            return true;
    }
    return false;
}

/* Compares hwversion, manifests and measurements with the reference
 * values; a difference is a warning, not a contraindication. */
static tk_err check_versions(const tk_eat_reference *ref,
                             const tk_eat_claims *c)
{
    if (ref->hwversion_count > 0 &&
        ((c->present & TK_EAT_HAS_HWVERSION) == 0 ||
         !view_in_list(c->hwversion.version, ref->hwversions,
                       ref->hwversion_count)))
        return TK_ERR_EAT_HWVERSION_UNKNOWN;
    if (ref->manifest_count > 0) {
        if ((c->present & TK_EAT_HAS_MANIFESTS) == 0)
            return TK_ERR_EAT_MANIFEST_UNKNOWN;
        for (size_t i = 0; i < c->manifest_count; i++)
            if (!entry_listed(&c->manifests[i], ref->manifests,
                              ref->manifest_count))
                return TK_ERR_EAT_MANIFEST_UNKNOWN;
    }
    if (ref->measurement_count > 0) {
        if ((c->present & TK_EAT_HAS_MEASUREMENTS) == 0)
            return TK_ERR_EAT_MEASUREMENT_UNKNOWN;
        for (size_t i = 0; i < c->measurement_count; i++)
            if (!entry_listed(&c->measurements[i], ref->measurements,
                              ref->measurement_count))
                return TK_ERR_EAT_MEASUREMENT_UNKNOWN;
    }
    return TK_OK;
}

/* Maps a COSE decode or verify error to the reason of the result. */
static tk_err cose_reason(tk_err err)
{
    switch (err) {
    case TK_ERR_COSE_SIGNATURE_INVALID:
        return TK_ERR_EAT_SIGNATURE;
    case TK_ERR_COSE_KEY_NOT_FOUND:
        return TK_ERR_EAT_UNKNOWN_KEY;
    case TK_ERR_COSE_MALFORMED:
    case TK_ERR_COSE_WRONG_TAG:
    case TK_ERR_COSE_TAG_MISSING:
    case TK_ERR_COSE_TRAILING:
    case TK_ERR_COSE_PAYLOAD_MISSING:
        return TK_ERR_EAT_NOT_COSE;
    default:
        break;
    }
    /* The cbor range of teepkit/error.h: not a COSE structure at all. */
    if ((int)err >= 20 && (int)err < 60)
        return TK_ERR_EAT_NOT_COSE;
    return err;
}

static tk_err check_args(const tk_eat_appraisal *a, const uint8_t *token)
{
    if (a == NULL || a->crypto == NULL || a->ref == NULL || token == NULL)
        return TK_ERR_INVALID_ARG;
    if (a->ref->attester_count == 0 || a->ref->attesters == NULL)
        return TK_ERR_INVALID_ARG;
    /* Without a nonce or a maximum age nothing proves freshness. */
    if (a->nonce.len == 0 && a->max_age == 0)
        return TK_ERR_INVALID_ARG;
    if ((a->flags & TK_EAT_PROFILE_TEEP) != 0 && a->cnf_kid.len == 0)
        return TK_ERR_INVALID_ARG;
    return TK_OK;
}

/* Verifies the COSE_Sign1 and decodes the claims into res. */
static tk_err verify_token(const tk_eat_appraisal *a, const uint8_t *token,
                           size_t len, tk_eat_result *res,
                           const tk_eat_attester **attester)
{
    tk_view inner = strip_cwt_tag(token, len);
    tk_cose_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.flags = TK_COSE_OPT_UNTAGGED_OK;
    opts.scratch = a->scratch;
    opts.scratch_len = a->scratch_cap;

    tk_cose_sign1 sign1;
    tk_err err = tk_cose_sign1_decode(inner, &opts, &sign1);
    if (err != TK_OK)
        return cose_reason(err);
    if (sign1.detached)
        return TK_ERR_EAT_NOT_COSE;
    *attester = find_attester(a->ref, &sign1.hdr, &res->attester_index);
    if (*attester == NULL)
        return TK_ERR_EAT_UNKNOWN_KEY;
    opts.key = (*attester)->key;
    err = tk_cose_sign1_verify(a->crypto, inner, &opts, &sign1);
    if (err != TK_OK)
        return cose_reason(err);
    return tk_eat_decode_claims(sign1.payload.ptr, sign1.payload.len, a->flags,
                                &res->claims, NULL);
}

tk_err tk_eat_appraise(const tk_eat_appraisal *a, const uint8_t *token,
                       size_t len, tk_eat_result *res)
{
    if (res == NULL)
        return TK_ERR_INVALID_ARG;
    memset(res, 0, sizeof(*res));
    res->status = TK_EAT_STATUS_CONTRAINDICATED;
    res->reason = check_args(a, token);
    if (res->reason != TK_OK)
        return res->reason;

    const tk_eat_attester *attester = NULL;
    tk_err err = verify_token(a, token, len, res, &attester);
    if (err == TK_OK)
        err = check_identity(a->ref, attester, &res->claims);
    if (err == TK_OK)
        err = check_nonce(a, &res->claims);
    if (err == TK_OK)
        err = check_times(a, &res->claims);
    if (err == TK_OK)
        err = check_cnf(a, &res->claims);
    if (err != TK_OK) {
        res->reason = err;
        return err;
    }

    err = check_versions(a->ref, &res->claims);
    if (err != TK_OK) {
        res->status = TK_EAT_STATUS_WARNING;
        res->reason = err;
        return err;
    }
    res->status = TK_EAT_STATUS_AFFIRMING;
    res->reason = TK_OK;
    return TK_OK;
}
