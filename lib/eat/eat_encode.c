/*
 * EAT claims encoder. Claims are written in ascending key order, which is
 * also the order of their TK_EAT_HAS_* bits, with preferred serialization
 * and definite lengths, so the output satisfies the TEEP profile.
 */
#include <string.h>

#include "eat_internal.h"

/* Every TK_EAT_HAS_* bit. */
#define ALL_CLAIMS ((TK_EAT_HAS_INTUSE << 1) - 1u)

/* Claim keys in the order of their presence bits. */
static const int64_t claim_keys[] = {
    TK_EAT_KEY_ISS,       TK_EAT_KEY_SUB,       TK_EAT_KEY_AUD,
    TK_EAT_KEY_EXP,       TK_EAT_KEY_NBF,       TK_EAT_KEY_IAT,
    TK_EAT_KEY_CTI,       TK_EAT_KEY_CNF,       TK_EAT_KEY_NONCE,
    TK_EAT_KEY_UEID,      TK_EAT_KEY_SUEIDS,    TK_EAT_KEY_OEMID,
    TK_EAT_KEY_HWMODEL,   TK_EAT_KEY_HWVERSION, TK_EAT_KEY_UPTIME,
    TK_EAT_KEY_OEMBOOT,   TK_EAT_KEY_DBGSTAT,   TK_EAT_KEY_LOCATION,
    TK_EAT_KEY_PROFILE,   TK_EAT_KEY_SUBMODS,   TK_EAT_KEY_BOOTCOUNT,
    TK_EAT_KEY_BOOTSEED,  TK_EAT_KEY_DLOAS,     TK_EAT_KEY_SWNAME,
    TK_EAT_KEY_SWVERSION, TK_EAT_KEY_MANIFESTS, TK_EAT_KEY_MEASUREMENTS,
    TK_EAT_KEY_MEASRES,   TK_EAT_KEY_INTUSE,
};

static bool size_in(tk_view v, size_t min, size_t max)
{
    return v.len >= min && v.len <= max && (v.len == 0 || v.ptr != NULL);
}

/* Checks the members whose size RFC 9711 fixes and the raw members that
 * must hold one item, before anything is written. */
static tk_err check_claims(const tk_eat_claims *c)
{
    uint32_t p = c->present;
    if ((p & TK_EAT_HAS_NONCE) != 0) {
        if (c->nonce_count == 0 || c->nonce_count > TK_EAT_MAX_NONCES)
            return TK_ERR_EAT_BAD_CLAIM;
        for (size_t i = 0; i < c->nonce_count; i++)
            if (!size_in(c->nonce[i], TK_EAT_NONCE_MIN, TK_EAT_NONCE_MAX))
                return TK_ERR_EAT_BAD_CLAIM;
    }
    if ((p & TK_EAT_HAS_UEID) != 0 &&
        !size_in(c->ueid, TK_EAT_UEID_MIN, TK_EAT_UEID_MAX))
        return TK_ERR_EAT_BAD_CLAIM;
    if ((p & TK_EAT_HAS_OEMID) != 0 && !c->oemid_is_pen && c->oemid.len != 3 &&
        c->oemid.len != 16)
        return TK_ERR_EAT_BAD_CLAIM;
    if ((p & TK_EAT_HAS_HWMODEL) != 0 && !size_in(c->hwmodel, 1, 32))
        return TK_ERR_EAT_BAD_CLAIM;
    if ((p & TK_EAT_HAS_CNF) != 0 &&
        (c->cnf_kind < TK_EAT_CNF_COSE_KEY || c->cnf_kind > TK_EAT_CNF_KID))
        return TK_ERR_EAT_BAD_CLAIM;
    if ((p & TK_EAT_HAS_MANIFESTS) != 0 &&
        (c->manifest_count == 0 || c->manifest_count > TK_EAT_MAX_MANIFESTS))
        return TK_ERR_EAT_BAD_CLAIM;
    if ((p & TK_EAT_HAS_MEASUREMENTS) != 0 &&
        (c->measurement_count == 0 ||
         c->measurement_count > TK_EAT_MAX_MEASUREMENTS))
        return TK_ERR_EAT_BAD_CLAIM;
    return TK_OK;
}

/* Writes a raw member, which must be one encoded item. */
static void put_raw(tk_cbor_enc *enc, tk_view raw)
{
    if (raw.len == 0 || raw.ptr == NULL) {
        /* An empty raw member cannot be a data item; put_raw reports it. */
        tk_cbor_enc_put_raw(enc, (const uint8_t *)"", 0);
        return;
    }
    tk_cbor_enc_put_raw(enc, raw.ptr, raw.len);
}

static void put_version(tk_cbor_enc *enc, const tk_eat_version *v)
{
    tk_cbor_enc_put_array(enc, v->has_scheme ? 2 : 1);
    tk_cbor_enc_put_tstr(enc, (const char *)v->version.ptr, v->version.len);
    if (v->has_scheme)
        tk_cbor_enc_put_int(enc, v->scheme);
}

static void put_format_list(tk_cbor_enc *enc,
                            const tk_eat_format_entry *entries, size_t count)
{
    tk_cbor_enc_put_array(enc, count);
    for (size_t i = 0; i < count; i++) {
        tk_cbor_enc_put_array(enc, 2);
        tk_cbor_enc_put_uint(enc, entries[i].content_type);
        if (entries[i].wrapped)
            tk_cbor_enc_put_bstr(enc, entries[i].content.ptr,
                                 entries[i].content.len);
        else
            put_raw(enc, entries[i].content);
    }
}

static void put_nonce(tk_cbor_enc *enc, const tk_eat_claims *c)
{
    if (c->nonce_count == 1) {
        tk_cbor_enc_put_bstr(enc, c->nonce[0].ptr, c->nonce[0].len);
        return;
    }
    tk_cbor_enc_put_array(enc, c->nonce_count);
    for (size_t i = 0; i < c->nonce_count; i++)
        tk_cbor_enc_put_bstr(enc, c->nonce[i].ptr, c->nonce[i].len);
}

static void put_cnf(tk_cbor_enc *enc, const tk_eat_claims *c)
{
    tk_cbor_enc_put_map(enc, 1);
    tk_cbor_enc_put_uint(enc, (uint64_t)c->cnf_kind);
    if (c->cnf_kind == TK_EAT_CNF_KID)
        tk_cbor_enc_put_bstr(enc, c->cnf.ptr, c->cnf.len);
    else
        put_raw(enc, c->cnf);
}

static void put_text(tk_cbor_enc *enc, tk_view text)
{
    tk_cbor_enc_put_tstr(enc, (const char *)text.ptr, text.len);
}

static void put_bytes(tk_cbor_enc *enc, tk_view bytes)
{
    tk_cbor_enc_put_bstr(enc, bytes.ptr, bytes.len);
}

/* Writes the value of the claim with presence bit number index. */
static void put_claim(tk_cbor_enc *enc, const tk_eat_claims *c, unsigned index)
{
    switch (1u << index) {
    case TK_EAT_HAS_ISS:
        put_text(enc, c->iss);
        break;
    case TK_EAT_HAS_SUB:
        put_text(enc, c->sub);
        break;
    case TK_EAT_HAS_AUD:
        put_raw(enc, c->aud_raw);
        break;
    case TK_EAT_HAS_EXP:
        tk_cbor_enc_put_int(enc, c->exp);
        break;
    case TK_EAT_HAS_NBF:
        tk_cbor_enc_put_int(enc, c->nbf);
        break;
    case TK_EAT_HAS_IAT:
        tk_cbor_enc_put_int(enc, c->iat);
        break;
    case TK_EAT_HAS_CTI:
        put_bytes(enc, c->cti);
        break;
    case TK_EAT_HAS_CNF:
        put_cnf(enc, c);
        break;
    case TK_EAT_HAS_NONCE:
        put_nonce(enc, c);
        break;
    case TK_EAT_HAS_UEID:
        put_bytes(enc, c->ueid);
        break;
    case TK_EAT_HAS_SUEIDS:
        put_raw(enc, c->sueids_raw);
        break;
    case TK_EAT_HAS_OEMID:
        if (c->oemid_is_pen)
            tk_cbor_enc_put_int(enc, c->oemid_pen);
        else
            put_bytes(enc, c->oemid);
        break;
    case TK_EAT_HAS_HWMODEL:
        put_bytes(enc, c->hwmodel);
        break;
    case TK_EAT_HAS_HWVERSION:
        put_version(enc, &c->hwversion);
        break;
    case TK_EAT_HAS_UPTIME:
        tk_cbor_enc_put_uint(enc, c->uptime);
        break;
    case TK_EAT_HAS_OEMBOOT:
        tk_cbor_enc_put_bool(enc, c->oemboot);
        break;
    case TK_EAT_HAS_DBGSTAT:
        tk_cbor_enc_put_uint(enc, c->dbgstat);
        break;
    case TK_EAT_HAS_LOCATION:
        put_raw(enc, c->location_raw);
        break;
    case TK_EAT_HAS_PROFILE:
        if (c->profile_is_oid)
            put_bytes(enc, c->profile);
        else
            put_text(enc, c->profile);
        break;
    case TK_EAT_HAS_SUBMODS:
        put_raw(enc, c->submods_raw);
        break;
    case TK_EAT_HAS_BOOTCOUNT:
        tk_cbor_enc_put_uint(enc, c->bootcount);
        break;
    case TK_EAT_HAS_BOOTSEED:
        put_bytes(enc, c->bootseed);
        break;
    case TK_EAT_HAS_DLOAS:
        put_raw(enc, c->dloas_raw);
        break;
    case TK_EAT_HAS_SWNAME:
        put_text(enc, c->swname);
        break;
    case TK_EAT_HAS_SWVERSION:
        put_version(enc, &c->swversion);
        break;
    case TK_EAT_HAS_MANIFESTS:
        put_format_list(enc, c->manifests, c->manifest_count);
        break;
    case TK_EAT_HAS_MEASUREMENTS:
        put_format_list(enc, c->measurements, c->measurement_count);
        break;
    case TK_EAT_HAS_MEASRES:
        put_raw(enc, c->measres_raw);
        break;
    case TK_EAT_HAS_INTUSE:
        tk_cbor_enc_put_uint(enc, c->intuse);
        break;
    default:
        break;
    }
}

tk_err tk_eat_encode_claims(const tk_eat_claims *claims, uint8_t *buf,
                            size_t cap, size_t *len)
{
    if (claims == NULL || len == NULL || (buf == NULL && cap > 0))
        return TK_ERR_INVALID_ARG;
    *len = 0;
    tk_err err = check_claims(claims);
    if (err != TK_OK)
        return err;

    uint32_t present = claims->present & ALL_CLAIMS;
    uint64_t pairs = 0;
    for (unsigned i = 0; i < 32; i++)
        pairs += (present >> i) & 1u;

    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, buf, cap, 0);
    tk_cbor_enc_put_map(&enc, pairs);
    for (unsigned i = 0; i < sizeof(claim_keys) / sizeof(claim_keys[0]); i++) {
        if ((present & (1u << i)) == 0)
            continue;
        tk_cbor_enc_put_int(&enc, claim_keys[i]);
        put_claim(&enc, claims, i);
    }
    err = tk_cbor_enc_finish(&enc, len);
    if (err == TK_OK || err == TK_ERR_BUFFER_TOO_SMALL)
        return err;
    *len = 0;
    /* A raw member that is not exactly one well-formed item. */
    return TK_ERR_EAT_BAD_CLAIM;
}
