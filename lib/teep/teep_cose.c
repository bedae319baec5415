/*
 * COSE protection of TEEP messages (draft-ietf-teep-protocol section 4.1
 * and "TEEP Messages" under Cipher Suites): COSE_Sign1 with the
 * negotiated suite, or COSE_Sign with one signature per suite for a TAM's
 * first QueryRequest.
 */
#include <string.h>

#include "teep_internal.h"

tk_err tk_teep_sign(const tk_crypto *crypto, const tk_teep_signer *signers,
                    size_t signer_count, tk_view payload, uint8_t *scratch,
                    size_t scratch_cap, uint8_t *out, size_t cap, size_t *len)
{
    if (crypto == NULL || signers == NULL || signer_count == 0 ||
        signer_count > TK_TEEP_MAX_SIGNERS || out == NULL || len == NULL)
        return TK_ERR_INVALID_ARG;
    *len = 0;
    tk_cose_build build;
    memset(&build, 0, sizeof(build));
    build.scratch = scratch;
    build.scratch_len = scratch == NULL ? 0 : scratch_cap;
    build.flags = TK_COSE_BUILD_KID_PROTECTED;
    if (signer_count == 1) {
        build.alg = signers[0].alg;
        build.key = signers[0].key;
        build.kid = signers[0].kid;
        if (build.kid.len == 0)
            build.flags = 0;
        return tk_cose_sign1_sign(crypto, &build, payload, out, cap, len);
    }
    build.signers = signers;
    build.signer_count = signer_count;
    return tk_cose_sign_sign(crypto, &build, payload, out, cap, len);
}

tk_err tk_teep_seal(const tk_crypto *crypto, const tk_teep_message *msg,
                    const tk_teep_signer *signers, size_t signer_count,
                    uint8_t *scratch, size_t scratch_cap, uint8_t *out,
                    size_t cap, size_t *len)
{
    size_t payload_len = 0;
    *len = 0;
    tk_err err = tk_teep_encode(msg, scratch, scratch_cap, &payload_len);
    if (err != TK_OK)
        return err;
    tk_view payload = {scratch, payload_len};
    return tk_teep_sign(crypto, signers, signer_count, payload,
                        scratch + payload_len, scratch_cap - payload_len, out,
                        cap, len);
}

/* Maps a COSE error to the TEEP code of the verification result. */
static tk_err cose_to_teep(tk_err err)
{
    switch (err) {
    case TK_ERR_COSE_SIGNATURE_INVALID:
        return TK_ERR_TEEP_SIGNATURE;
    case TK_ERR_COSE_KEY_NOT_FOUND:
    case TK_ERR_NOT_FOUND:
        return TK_ERR_TEEP_UNKNOWN_KEY;
    case TK_ERR_COSE_MALFORMED:
    case TK_ERR_COSE_WRONG_TAG:
    case TK_ERR_COSE_TAG_MISSING:
    case TK_ERR_COSE_UNTAGGED_TYPE:
    case TK_ERR_COSE_TRAILING:
    case TK_ERR_COSE_PAYLOAD_MISSING:
    case TK_ERR_COSE_NO_SIGNATURE:
        return TK_ERR_TEEP_NOT_COSE;
    default:
        break;
    }
    /* The cbor range of teepkit/error.h: not COSE at all. */
    if ((int)err >= 20 && (int)err < 60)
        return TK_ERR_TEEP_NOT_COSE;
    return err;
}

/* State of the key lookup that tk_cose_sign_verify calls per signature. */
typedef struct lookup_ctx {
    tk_teep_key_fn find_key;
    void *ctx;
    const tk_alg *accept;
    size_t accept_count;
} lookup_ctx;

static bool alg_accepted(const lookup_ctx *lc, tk_alg alg)
{
    if (lc->accept_count == 0)
        return true;
    for (size_t i = 0; i < lc->accept_count; i++)
        if (lc->accept[i] == alg)
            return true;
    return false;
}

/* Supplies the key of one signature, skipping algorithms not accepted. */
static tk_err lookup_key(void *arg, tk_view kid, tk_alg alg, const tk_key **key)
{
    const lookup_ctx *lc = arg;
    tk_view peer = {NULL, 0};
    if (!alg_accepted(lc, alg))
        return TK_ERR_NOT_FOUND;
    tk_err err = lc->find_key(lc->ctx, alg, kid, key, &peer);
    if (err == TK_OK && *key == NULL)
        return TK_ERR_NOT_FOUND;
    return err;
}

/* Verifies a COSE_Sign1 in msg. */
static tk_err verify_sign1(const tk_crypto *crypto, tk_view msg,
                           tk_cose_opts *opts, const lookup_ctx *lc,
                           tk_teep_verified *out)
{
    tk_cose_sign1 sign1;
    tk_err err = tk_cose_sign1_decode(msg, opts, &sign1);
    if (err != TK_OK)
        return cose_to_teep(err);
    tk_alg alg = (tk_alg)sign1.hdr.alg;
    if (!alg_accepted(lc, alg))
        return TK_ERR_TEEP_SUITE_MISMATCH;
    tk_view kid = {NULL, 0};
    if ((sign1.hdr.present & TK_COSE_HAS_KID) != 0)
        kid = sign1.hdr.kid;
    const tk_key *key = NULL;
    err = lc->find_key(lc->ctx, alg, kid, &key, &out->peer_id);
    if (err == TK_ERR_NOT_FOUND || (err == TK_OK && key == NULL))
        return TK_ERR_TEEP_UNKNOWN_KEY;
    if (err != TK_OK)
        return err;
    opts->key = key;
    err = tk_cose_sign1_verify(crypto, msg, opts, &sign1);
    if (err != TK_OK)
        return cose_to_teep(err);
    out->payload = sign1.payload;
    out->alg = alg;
    out->kid = kid;
    out->key = key;
    out->multi = false;
    return TK_OK;
}

/* Verifies a COSE_Sign in msg: the first accepted signature that
 * verifies wins. */
static tk_err verify_sign(const tk_crypto *crypto, tk_view msg,
                          tk_cose_opts *opts, lookup_ctx *lc,
                          tk_teep_verified *out)
{
    tk_cose_sign sign;
    tk_err err = tk_cose_sign_decode(msg, opts, &sign);
    if (err != TK_OK)
        return cose_to_teep(err);
    bool any_accepted = false;
    for (size_t i = 0; i < sign.signature_count; i++)
        if (alg_accepted(lc, (tk_alg)sign.signatures[i].hdr.alg))
            any_accepted = true;
    if (!any_accepted)
        return TK_ERR_TEEP_SUITE_MISMATCH;
    opts->lookup = lookup_key;
    opts->lookup_arg = lc;
    opts->signature_index = TK_COSE_ANY_SIGNATURE;
    err = tk_cose_sign_verify(crypto, msg, opts, &sign);
    if (err != TK_OK)
        return cose_to_teep(err);
    if (sign.verified_index >= sign.signature_count)
        return TK_ERR_TEEP_SIGNATURE;

    /* Look the verified signer up again for its peer id. */
    const tk_cose_headers *hdr = &sign.signatures[sign.verified_index].hdr;
    tk_view kid = {NULL, 0};
    if ((hdr->present & TK_COSE_HAS_KID) != 0)
        kid = hdr->kid;
    const tk_key *key = NULL;
    err = lc->find_key(lc->ctx, (tk_alg)hdr->alg, kid, &key, &out->peer_id);
    if (err != TK_OK || key == NULL)
        return TK_ERR_TEEP_UNKNOWN_KEY;
    out->payload = sign.payload;
    out->alg = (tk_alg)hdr->alg;
    out->kid = kid;
    out->key = key;
    out->multi = true;
    return TK_OK;
}

/* Tells a COSE_Sign from a COSE_Sign1 without a tag: the last member of
 * a COSE_Sign is an array of signatures, of a COSE_Sign1 a byte string. */
static tk_cose_type untagged_type(tk_view msg)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_cbor_dec_init(&dec, msg.ptr, msg.len, 0);
    tk_cbor_dec_enter_array(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
        return TK_COSE_TYPE_UNKNOWN;
    if (item.type == TK_CBOR_ARRAY)
        return TK_COSE_TYPE_SIGN;
    return TK_COSE_TYPE_SIGN1;
}

tk_err tk_teep_verify(const tk_crypto *crypto, tk_view in, const tk_alg *accept,
                      size_t accept_count, tk_teep_key_fn find_key, void *ctx,
                      uint8_t *scratch, size_t scratch_cap,
                      tk_teep_verified *out)
{
    if (crypto == NULL || find_key == NULL || out == NULL ||
        (accept == NULL && accept_count > 0) || (in.ptr == NULL && in.len > 0))
        return TK_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    lookup_ctx lc = {find_key, ctx, accept, accept_count};
    tk_cose_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.flags = TK_COSE_OPT_UNTAGGED_OK;
    opts.scratch = scratch;
    opts.scratch_len = scratch == NULL ? 0 : scratch_cap;

    tk_cose_type type = tk_cose_type_of(in);
    if (type == TK_COSE_TYPE_UNKNOWN && in.len > 0)
        type = untagged_type(in);
    tk_err err;
    if (type == TK_COSE_TYPE_SIGN1)
        err = verify_sign1(crypto, in, &opts, &lc, out);
    else if (type == TK_COSE_TYPE_SIGN)
        err = verify_sign(crypto, in, &opts, &lc, out);
    else
        err = TK_ERR_TEEP_NOT_COSE;
    if (err != TK_OK)
        memset(out, 0, sizeof(*out));
    return err;
}
