/*
 * COSE_Sign1 and COSE_Sign (RFC 9052 section 4): decoding, verification
 * and signing, and tk_cose_verify, which dispatches on the tag.
 */
#include <string.h>

#include "cose_internal.h"

static const tk_cose_opts no_opts;

/* Returns opts, or all-zero options when opts is NULL. */
static const tk_cose_opts *opts_or_default(const tk_cose_opts *opts)
{
    return opts != NULL ? opts : &no_opts;
}

/* Tells whether alg signs the to-be-signed bytes in one piece (pure
 * EdDSA), which then must be copied into a contiguous buffer. */
static bool needs_flat(tk_alg alg)
{
    return alg == TK_ALG_EDDSA || alg == TK_ALG_ED25519;
}

/*
 * Copies the structure t into scratch, or into a stack buffer when scratch
 * is NULL, and verifies sig over it (sig NULL: signs into out instead).
 * Kept out of line, so that ECDSA, which streams t, needs no buffer on
 * its stack.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static tk_err flat_crypto(const tk_crypto *crypto, tk_alg alg,
                          const tk_key *key, const tk_cose_tbs *t,
                          const tk_view *sig, uint8_t *out, size_t out_cap,
                          size_t *out_len, uint8_t *scratch,
                          size_t scratch_len)
{
    uint8_t local[TK_COSE_STACK_STRUCTURE_SIZE];
    tk_view flat;
    tk_err err;

    if (scratch == NULL) {
        scratch = local;
        scratch_len = sizeof(local);
    }
    err = tk_cose_tbs_flatten(t, scratch, scratch_len, &flat);
    if (err != TK_OK) {
        return err;
    }
    if (sig != NULL) {
        return crypto->verify(crypto->ctx, alg, key, &flat, 1, *sig);
    }
    return crypto->sign(crypto->ctx, alg, key, &flat, 1, out, out_cap,
                        out_len);
}

/* Verifies sig over the structure t with key. EdDSA gets t flattened. */
static tk_err verify_tbs(const tk_crypto *crypto, tk_alg alg,
                         const tk_key *key, const tk_cose_tbs *t, tk_view sig,
                         uint8_t *scratch, size_t scratch_len)
{
    if (!needs_flat(alg)) {
        return crypto->verify(crypto->ctx, alg, key, t->parts, t->nparts,
                              sig);
    }
    return flat_crypto(crypto, alg, key, t, &sig, NULL, 0, NULL, scratch,
                       scratch_len);
}

/* Signs the structure t with key into sig (capacity sig_cap). */
static tk_err sign_tbs(const tk_crypto *crypto, tk_alg alg, const tk_key *key,
                       const tk_cose_tbs *t, uint8_t *sig, size_t sig_cap,
                       size_t *sig_len, uint8_t *scratch, size_t scratch_len)
{
    if (!needs_flat(alg)) {
        return crypto->sign(crypto->ctx, alg, key, t->parts, t->nparts, sig,
                            sig_cap, sig_len);
    }
    return flat_crypto(crypto, alg, key, t, NULL, sig, sig_cap, sig_len,
                       scratch, scratch_len);
}

/*
 * Verifies one signature: builds the Sig_structure (RFC 9052 section 4.4)
 * for each form of the protected headers and checks sig. sign_prot is
 * NULL for COSE_Sign1. Returns TK_OK only when a form verifies. Kept out
 * of line, so that the structure is not on the stack while its caller
 * decodes the message.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static tk_err verify_signature(const tk_crypto *crypto,
                               const tk_cose_opts *opts, tk_alg alg,
                               const tk_key *key, tk_view body_prot,
                               const tk_view *sign_prot, tk_view payload,
                               tk_view sig)
{
    tk_view body_forms[2];
    tk_view sign_forms[2] = {{NULL, 0}, {NULL, 0}};
    size_t nbody = tk_cose_protected_forms(body_prot, body_forms);
    size_t nsign = 1;
    tk_err result = TK_ERR_COSE_SIGNATURE_INVALID;

    if (sign_prot != NULL) {
        nsign = tk_cose_protected_forms(*sign_prot, sign_forms);
    }
    for (size_t b = 0; b < nbody; b++) {
        for (size_t s = 0; s < nsign; s++) {
            tk_cose_tbs t;
            tk_err err;

            if (sign_prot != NULL) {
                tk_cose_tbs_start(&t, 5, "Signature");
                tk_cose_tbs_bstr(&t, body_forms[b]);
                tk_cose_tbs_bstr(&t, sign_forms[s]);
            } else {
                tk_cose_tbs_start(&t, 4, "Signature1");
                tk_cose_tbs_bstr(&t, body_forms[b]);
            }
            tk_cose_tbs_bstr(&t, opts->external_aad);
            tk_cose_tbs_bstr(&t, payload);
            err = verify_tbs(crypto, alg, key, &t, sig, opts->scratch,
                             opts->scratch_len);
            if (err == TK_OK) {
                result = TK_OK;
                return result;
            }
            if (err != TK_ERR_CRYPTO_SIGNATURE_INVALID) {
                return err;
            }
        }
    }
    return result;
}

/* ---------------------------------------------------------------------- */
/* COSE_Sign1                                                             */
/* ---------------------------------------------------------------------- */

tk_err tk_cose_sign1_decode(tk_view msg, const tk_cose_opts *opts,
                            tk_cose_sign1 *out)
{
    tk_cbor_dec dec;
    uint64_t count;
    tk_err err;

    if (out == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    opts = opts_or_default(opts);
    err = tk_cose_open(&dec, msg, opts, TK_COSE_TYPE_SIGN1, 4, 4, &count);
    if (err == TK_OK) {
        err = tk_cose_headers_read(&dec, msg.ptr, opts, &out->hdr);
    }
    if (err == TK_OK) {
        err = tk_cose_check_alg(&dec, &out->hdr, opts,
                                TK_COSE_CLASS_BIT(TK_COSE_CLASS_SIGN));
    }
    if (err == TK_OK) {
        err = tk_cose_read_payload(&dec, opts, false, &out->payload,
                                   &out->detached);
    }
    if (err == TK_OK) {
        err = tk_cose_read_bstr(&dec, &out->signature);
    }
    if (err == TK_OK) {
        err = tk_cose_close(&dec);
    }
    if (err != TK_OK) {
        out->error_offset = tk_cbor_dec_error_offset(&dec);
    }
    return err;
}

tk_err tk_cose_sign1_verify(const tk_crypto *crypto, tk_view msg,
                            const tk_cose_opts *opts, tk_cose_sign1 *out)
{
    tk_cose_sign1 local;
    tk_cose_sign1 *s = out != NULL ? out : &local;
    const tk_key *key;
    tk_err err;

    if (crypto == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    opts = opts_or_default(opts);
    err = tk_cose_sign1_decode(msg, opts, s);
    if (err != TK_OK) {
        return err;
    }
    err = tk_cose_resolve_key(opts, &s->hdr, (tk_alg)s->hdr.alg, &key);
    if (err != TK_OK) {
        return err;
    }
    return verify_signature(crypto, opts, (tk_alg)s->hdr.alg, key,
                            s->hdr.protected_bytes, NULL, s->payload,
                            s->signature);
}

/* Checks the arguments shared by the builders. */
static tk_err check_build(const tk_crypto *crypto, const tk_cose_build *build,
                          tk_view payload, size_t *out_len)
{
    if (crypto == NULL || build == NULL || out_len == NULL ||
        (payload.ptr == NULL && payload.len > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    return TK_OK;
}

/* Writes the payload member: a bstr, or nil when detached. */
static void write_payload(tk_cose_writer *w, const tk_cose_build *build,
                          tk_view payload)
{
    if ((build->flags & TK_COSE_BUILD_DETACHED) != 0) {
        static const uint8_t nil = 0xf6;

        tk_cose_w_bytes(w, &nil, 1);
    } else {
        tk_cose_w_bstr(w, payload);
    }
}

/* Fills the protected and unprotected header parameters of a signer or
 * MAC layer with alg and kid. */
static void layer_headers(const tk_cose_build *build, tk_alg alg,
                          tk_view kid, bool body, tk_cose_hdr_out *prot,
                          tk_cose_hdr_out *unprot)
{
    bool kid_prot = (build->flags & TK_COSE_BUILD_KID_PROTECTED) != 0;

    memset(prot, 0, sizeof(*prot));
    memset(unprot, 0, sizeof(*unprot));
    prot->has_alg = alg != TK_ALG_NONE;
    prot->alg = alg;
    if (body && (build->flags & TK_COSE_BUILD_CONTENT_TYPE) != 0) {
        prot->has_content_type = true;
        prot->content_type = build->content_type;
    }
    if (kid_prot) {
        prot->kid = kid;
    } else {
        unprot->kid = kid;
    }
}

/* Computes one signature over the Sig_structure into dst. */
static tk_err fill_signature(const tk_crypto *crypto,
                             const tk_cose_build *build,
                             const tk_cose_signer *signer, tk_view body_prot,
                             const tk_view *sign_prot, tk_view payload,
                             uint8_t *dst, size_t sig_size)
{
    uint8_t sig[TK_CRYPTO_MAX_SIG_SIZE];
    size_t sig_len = 0;
    tk_cose_tbs t;
    tk_err err;

    if (sign_prot != NULL) {
        tk_cose_tbs_start(&t, 5, "Signature");
        tk_cose_tbs_bstr(&t, body_prot);
        tk_cose_tbs_bstr(&t, *sign_prot);
    } else {
        tk_cose_tbs_start(&t, 4, "Signature1");
        tk_cose_tbs_bstr(&t, body_prot);
    }
    tk_cose_tbs_bstr(&t, build->external_aad);
    tk_cose_tbs_bstr(&t, payload);
    err = sign_tbs(crypto, signer->alg, signer->key, &t, sig, sizeof(sig),
                   &sig_len, build->scratch, build->scratch_len);
    if (err == TK_OK && sig_len != sig_size) {
        err = TK_ERR_INTERNAL;
    }
    if (err == TK_OK) {
        memcpy(dst, sig, sig_size);
    }
    return err;
}

/* Checks one signer: a signature alg and a key. Returns the signature
 * size in *sig_size. */
static tk_err check_signer(const tk_cose_signer *signer, size_t *sig_size)
{
    if (signer->key == NULL || (signer->kid.ptr == NULL &&
                                signer->kid.len > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    if (tk_cose_alg_class_of(signer->alg) != TK_COSE_CLASS_SIGN) {
        return TK_ERR_COSE_ALG_UNSUPPORTED;
    }
    *sig_size = tk_crypto_sig_size(signer->alg);
    return *sig_size == 0 ? TK_ERR_COSE_ALG_UNSUPPORTED : TK_OK;
}

tk_err tk_cose_sign1_sign(const tk_crypto *crypto, const tk_cose_build *build,
                          tk_view payload, uint8_t *out, size_t out_cap,
                          size_t *out_len)
{
    tk_cose_signer signer;
    tk_cose_hdr_out prot;
    tk_cose_hdr_out unprot;
    tk_cose_writer w;
    tk_view prot_bytes;
    uint8_t *sig_dst;
    size_t sig_size;
    tk_err err = check_build(crypto, build, payload, out_len);

    if (err != TK_OK) {
        return err;
    }
    signer = (tk_cose_signer){build->alg, build->key, build->kid};
    err = check_signer(&signer, &sig_size);
    if (err != TK_OK) {
        return err;
    }
    layer_headers(build, build->alg, build->kid, true, &prot, &unprot);
    tk_cose_w_init(&w, out, out_cap);
    if ((build->flags & TK_COSE_BUILD_UNTAGGED) == 0) {
        tk_cose_w_head(&w, TK_COSE_MAJOR_TAG, TK_COSE_TYPE_SIGN1);
    }
    tk_cose_w_head(&w, TK_COSE_MAJOR_ARRAY, 4);
    tk_cose_w_protected(&w, &prot, &prot_bytes);
    tk_cose_w_header_map(&w, &unprot);
    write_payload(&w, build, payload);
    tk_cose_w_head(&w, TK_COSE_MAJOR_BSTR, sig_size);
    sig_dst = tk_cose_w_reserve(&w, sig_size);
    err = tk_cose_w_finish(&w, out_len);
    if (err != TK_OK) {
        return err;
    }
    err = fill_signature(crypto, build, &signer, prot_bytes, NULL, payload,
                         sig_dst, sig_size);
    if (err != TK_OK) {
        tk_crypto_wipe(out, *out_len);
        *out_len = 0;
    }
    return err;
}

/* ---------------------------------------------------------------------- */
/* COSE_Sign                                                              */
/* ---------------------------------------------------------------------- */

/* Reads one COSE_Signature: [protected, unprotected, signature]. */
static tk_err read_signature(tk_cbor_dec *dec, const uint8_t *base,
                             const tk_cose_opts *opts, tk_cose_signature *sig)
{
    tk_err err = tk_cose_enter_array(dec, 3);

    if (err == TK_OK) {
        err = tk_cose_headers_read(dec, base, opts, &sig->hdr);
    }
    if (err == TK_OK) {
        /* A signature whose algorithm this library does not implement
         * is decoded all the same, so that a verifier can use another
         * signature. Verifying it gives TK_ERR_COSE_ALG_UNSUPPORTED. */
        uint32_t classes = TK_COSE_CLASS_BIT(TK_COSE_CLASS_SIGN);

        if ((sig->hdr.present & TK_COSE_HAS_ALG) != 0 &&
            tk_cose_alg_class_of(sig->hdr.alg) == TK_COSE_CLASS_UNKNOWN) {
            classes |= TK_COSE_CLASS_BIT(TK_COSE_CLASS_UNKNOWN);
        }
        err = tk_cose_check_alg(dec, &sig->hdr, opts, classes);
    }
    if (err == TK_OK) {
        err = tk_cose_read_bstr(dec, &sig->signature);
    }
    if (err == TK_OK) {
        err = tk_cose_leave_array(dec);
    }
    return err;
}

/* Reads the array of COSE_Signature of a COSE_Sign. */
static tk_err read_signatures(tk_cbor_dec *dec, const uint8_t *base,
                              const tk_cose_opts *opts, tk_cose_sign *out)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_peek(dec, &item);

    if (err != TK_OK) {
        return tk_cose_map_err(err);
    }
    if (item.type != TK_CBOR_ARRAY) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_MALFORMED);
    }
    tk_cbor_dec_enter_array(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        if (out->signature_count == TK_COSE_MAX_SIGNATURES) {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_TOO_MANY_SIGNATURES);
        }
        err = read_signature(dec, base, opts,
                             &out->signatures[out->signature_count]);
        if (err != TK_OK) {
            return err;
        }
        out->signature_count++;
    }
    if (tk_cbor_dec_error(dec) != TK_OK) {
        return tk_cose_map_err(tk_cbor_dec_error(dec));
    }
    if (out->signature_count == 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_NO_SIGNATURE);
    }
    return tk_cose_map_err(tk_cbor_dec_exit(dec));
}

tk_err tk_cose_sign_decode(tk_view msg, const tk_cose_opts *opts,
                           tk_cose_sign *out)
{
    tk_cbor_dec dec;
    uint64_t count;
    tk_err err;

    if (out == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    out->verified_index = SIZE_MAX;
    if (!TK_COSE_WITH_SIGN) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    opts = opts_or_default(opts);
    err = tk_cose_open(&dec, msg, opts, TK_COSE_TYPE_SIGN, 4, 4, &count);
    if (err == TK_OK) {
        err = tk_cose_headers_read(&dec, msg.ptr, opts, &out->hdr);
    }
    if (err == TK_OK) {
        err = tk_cose_read_payload(&dec, opts, false, &out->payload,
                                   &out->detached);
    }
    if (err == TK_OK) {
        err = read_signatures(&dec, msg.ptr, opts, out);
    }
    if (err == TK_OK) {
        err = tk_cose_close(&dec);
    }
    if (err != TK_OK) {
        out->error_offset = tk_cbor_dec_error_offset(&dec);
    }
    return err;
}

/* Resolves the key of signature i and verifies it. */
static tk_err verify_one(const tk_crypto *crypto, const tk_cose_opts *opts,
                         tk_cose_sign *s, size_t i)
{
    const tk_cose_signature *sig = &s->signatures[i];
    const tk_key *key;
    tk_err err;

    if (tk_cose_alg_class_of(sig->hdr.alg) != TK_COSE_CLASS_SIGN) {
        return TK_ERR_COSE_ALG_UNSUPPORTED;
    }
    err = tk_cose_resolve_key(opts, &sig->hdr, (tk_alg)sig->hdr.alg, &key);
    if (err != TK_OK) {
        return err;
    }
    err = verify_signature(crypto, opts, (tk_alg)sig->hdr.alg, key,
                           s->hdr.protected_bytes, &sig->hdr.protected_bytes,
                           s->payload, sig->signature);
    if (err == TK_OK) {
        s->verified |= 1u << i;
        if (s->verified_index == SIZE_MAX) {
            s->verified_index = i;
        }
    }
    return err;
}

/*
 * Tries the signatures in order until one verifies (see cose.h). When
 * none does, the result is the first verification failure, else the
 * first unsupported algorithm, else TK_ERR_COSE_KEY_NOT_FOUND.
 */
static tk_err verify_any(const tk_crypto *crypto, const tk_cose_opts *opts,
                         tk_cose_sign *s)
{
    tk_err failure = TK_OK;
    tk_err unsupported = TK_OK;

    for (size_t i = 0; i < s->signature_count; i++) {
        tk_err err = verify_one(crypto, opts, s, i);

        switch (err) {
        case TK_OK:
            return TK_OK;
        case TK_ERR_COSE_KEY_NOT_FOUND:
            break;
        case TK_ERR_CRYPTO_UNSUPPORTED_ALG:
        case TK_ERR_COSE_ALG_UNSUPPORTED:
            unsupported = unsupported != TK_OK ? unsupported : err;
            break;
        case TK_ERR_COSE_SIGNATURE_INVALID:
        case TK_ERR_CRYPTO_KEY_MISMATCH:
            failure = failure != TK_OK ? failure : err;
            break;
        default:
            /* A lookup failure or a broken backend stops the search. */
            return err;
        }
    }
    if (failure != TK_OK) {
        return failure;
    }
    return unsupported != TK_OK ? unsupported : TK_ERR_COSE_KEY_NOT_FOUND;
}

tk_err tk_cose_sign_verify(const tk_crypto *crypto, tk_view msg,
                           const tk_cose_opts *opts, tk_cose_sign *out)
{
    tk_cose_sign local;
    tk_cose_sign *s = out != NULL ? out : &local;
    tk_err err;

    if (crypto == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    opts = opts_or_default(opts);
    err = tk_cose_sign_decode(msg, opts, s);
    if (err != TK_OK) {
        return err;
    }
    if ((opts->flags & TK_COSE_OPT_ALL_SIGNATURES) != 0) {
        for (size_t i = 0; i < s->signature_count; i++) {
            err = verify_one(crypto, opts, s, i);
            if (err != TK_OK) {
                s->verified = 0;
                s->verified_index = SIZE_MAX;
                return err;
            }
        }
        return TK_OK;
    }
    if (opts->signature_index != TK_COSE_ANY_SIGNATURE) {
        if (opts->signature_index >= s->signature_count) {
            return TK_ERR_COSE_NO_SIGNATURE;
        }
        return verify_one(crypto, opts, s, opts->signature_index);
    }
    return verify_any(crypto, opts, s);
}

tk_err tk_cose_sign_sign(const tk_crypto *crypto, const tk_cose_build *build,
                         tk_view payload, uint8_t *out, size_t out_cap,
                         size_t *out_len)
{
    tk_cose_hdr_out prot;
    tk_cose_hdr_out unprot;
    tk_cose_writer w;
    tk_view body_prot;
    tk_view sign_prot[TK_COSE_MAX_SIGNATURES];
    uint8_t *sig_dst[TK_COSE_MAX_SIGNATURES];
    size_t sig_size[TK_COSE_MAX_SIGNATURES];
    tk_err err = check_build(crypto, build, payload, out_len);

    if (err != TK_OK) {
        return err;
    }
    if (!TK_COSE_WITH_SIGN) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    if (build->signers == NULL || build->signer_count == 0) {
        return TK_ERR_INVALID_ARG;
    }
    if (build->signer_count > TK_COSE_MAX_SIGNATURES) {
        return TK_ERR_COSE_TOO_MANY_SIGNATURES;
    }
    for (size_t i = 0; i < build->signer_count; i++) {
        err = check_signer(&build->signers[i], &sig_size[i]);
        if (err != TK_OK) {
            return err;
        }
    }
    tk_cose_w_init(&w, out, out_cap);
    if ((build->flags & TK_COSE_BUILD_UNTAGGED) == 0) {
        tk_cose_w_head(&w, TK_COSE_MAJOR_TAG, TK_COSE_TYPE_SIGN);
    }
    tk_cose_w_head(&w, TK_COSE_MAJOR_ARRAY, 4);
    layer_headers(build, TK_ALG_NONE, (tk_view){NULL, 0}, true, &prot,
                  &unprot);
    tk_cose_w_protected(&w, &prot, &body_prot);
    tk_cose_w_header_map(&w, &unprot);
    write_payload(&w, build, payload);
    tk_cose_w_head(&w, TK_COSE_MAJOR_ARRAY, build->signer_count);
    for (size_t i = 0; i < build->signer_count; i++) {
        const tk_cose_signer *signer = &build->signers[i];

        layer_headers(build, signer->alg, signer->kid, false, &prot,
                      &unprot);
        tk_cose_w_head(&w, TK_COSE_MAJOR_ARRAY, 3);
        tk_cose_w_protected(&w, &prot, &sign_prot[i]);
        tk_cose_w_header_map(&w, &unprot);
        tk_cose_w_head(&w, TK_COSE_MAJOR_BSTR, sig_size[i]);
        sig_dst[i] = tk_cose_w_reserve(&w, sig_size[i]);
    }
    err = tk_cose_w_finish(&w, out_len);
    for (size_t i = 0; err == TK_OK && i < build->signer_count; i++) {
        err = fill_signature(crypto, build, &build->signers[i], body_prot,
                             &sign_prot[i], payload, sig_dst[i],
                             sig_size[i]);
    }
    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL) {
        tk_crypto_wipe(out, *out_len);
        *out_len = 0;
    }
    return err;
}

/* ---------------------------------------------------------------------- */
/* Any authenticated structure                                            */
/* ---------------------------------------------------------------------- */

tk_cose_type tk_cose_type_of(tk_view msg)
{
    uint64_t tag = 0;
    size_t n = 0;
    unsigned ai;

    /* A tag head (major type 6) with its number read by hand: the type is
     * known without a decoder. */
    if (msg.ptr == NULL || msg.len == 0 ||
        (msg.ptr[0] >> 5) != TK_COSE_MAJOR_TAG) {
        return TK_COSE_TYPE_UNKNOWN;
    }
    ai = msg.ptr[0] & 0x1fu;
    if (ai < 24) {
        tag = ai;
    } else if (ai <= 27) {
        n = (size_t)1 << (ai - 24);
        if (msg.len - 1 < n) {
            return TK_COSE_TYPE_UNKNOWN;
        }
        for (size_t i = 0; i < n; i++) {
            tag = tag << 8 | msg.ptr[1 + i];
        }
    } else {
        return TK_COSE_TYPE_UNKNOWN;
    }
    switch (tag) {
    case TK_COSE_TYPE_ENCRYPT0:
    case TK_COSE_TYPE_MAC0:
    case TK_COSE_TYPE_SIGN1:
    case TK_COSE_TYPE_ENCRYPT:
    case TK_COSE_TYPE_MAC:
    case TK_COSE_TYPE_SIGN:
        return (tk_cose_type)tag;
    default:
        return TK_COSE_TYPE_UNKNOWN;
    }
}

/* Verifies a COSE_Sign and copies its body and verified signer. */
static tk_err verify_sign_any(const tk_crypto *crypto, tk_view msg,
                              const tk_cose_opts *opts, tk_cose_verified *v)
{
    tk_cose_sign s;
    tk_err err = tk_cose_sign_verify(crypto, msg, opts, &s);

    v->hdr = s.hdr;
    v->payload = s.payload;
    v->detached = s.detached;
    v->error_offset = s.error_offset;
    if (err == TK_OK) {
        v->signer = s.signatures[s.verified_index].hdr;
    }
    return err;
}

/*
 * tk_cose_verify() with an output: the structure is decoded into a union
 * of the specific forms and copied into v. Kept out of line, so that a
 * caller without an output does not carry the union on its stack.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static tk_err verify_into(const tk_crypto *crypto, tk_view msg,
                          const tk_cose_opts *opts, tk_cose_verified *v)
{
    union {
        tk_cose_sign1 sign1;
        tk_cose_mac0 mac0;
        tk_cose_mac mac;
    } u;
    tk_err err;

    switch (v->type) {
    case TK_COSE_TYPE_SIGN:
        return verify_sign_any(crypto, msg, opts, v);
    case TK_COSE_TYPE_MAC0:
        err = tk_cose_mac0_verify(crypto, msg, opts, &u.mac0);
        v->hdr = u.mac0.hdr;
        v->payload = u.mac0.payload;
        v->detached = u.mac0.detached;
        v->error_offset = u.mac0.error_offset;
        break;
    case TK_COSE_TYPE_MAC:
        err = tk_cose_mac_verify(crypto, msg, opts, &u.mac);
        v->hdr = u.mac.hdr;
        v->payload = u.mac.payload;
        v->detached = u.mac.detached;
        v->error_offset = u.mac.error_offset;
        break;
    default:
        err = tk_cose_sign1_verify(crypto, msg, opts, &u.sign1);
        v->hdr = u.sign1.hdr;
        v->payload = u.sign1.payload;
        v->detached = u.sign1.detached;
        v->error_offset = u.sign1.error_offset;
        break;
    }
    v->signer = v->hdr;
    return err;
}

tk_err tk_cose_verify(const tk_crypto *crypto, tk_view msg,
                      const tk_cose_opts *opts, tk_cose_verified *out)
{
    tk_cose_type type;

    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (crypto == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    opts = opts_or_default(opts);
    type = tk_cose_type_of(msg);
    if (out != NULL) {
        out->type = type;
    }
    switch (type) {
    case TK_COSE_TYPE_SIGN1:
    case TK_COSE_TYPE_SIGN:
    case TK_COSE_TYPE_MAC0:
    case TK_COSE_TYPE_MAC:
        break;
    default:
        /* An encryption structure, another tag, or no tag at all. */
        if (msg.ptr != NULL && msg.len > 0 && (msg.ptr[0] >> 5) == 6) {
            return TK_ERR_COSE_WRONG_TAG;
        }
        return TK_ERR_COSE_UNTAGGED_TYPE;
    }
    if (!tk_cose_type_supported(type)) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    if (out != NULL) {
        return verify_into(crypto, msg, opts, out);
    }
    switch (type) {
    case TK_COSE_TYPE_SIGN:
        return tk_cose_sign_verify(crypto, msg, opts, NULL);
    case TK_COSE_TYPE_MAC0:
        return tk_cose_mac0_verify(crypto, msg, opts, NULL);
    case TK_COSE_TYPE_MAC:
        return tk_cose_mac_verify(crypto, msg, opts, NULL);
    default:
        return tk_cose_sign1_verify(crypto, msg, opts, NULL);
    }
}
