/*
 * Helpers shared by the backends in lib/crypto/: argument checks and the
 * algorithm classes that every backend maps the same way. Not part of the
 * public interface.
 */
#ifndef TK_CRYPTO_BACKEND_H
#define TK_CRYPTO_BACKEND_H

#include "teepkit/crypto.h"

/* Tells whether a view's pointer is set whenever its length is not 0. */
static inline bool tk_crypto_view_ok(tk_view v)
{
    return v.ptr != NULL || v.len == 0;
}

/* Tells whether every part of a parts array passes tk_crypto_view_ok. */
static inline bool tk_crypto_parts_ok(const tk_view *parts, size_t nparts)
{
    if (parts == NULL) {
        return nparts == 0;
    }
    for (size_t i = 0; i < nparts; i++) {
        if (!tk_crypto_view_ok(parts[i])) {
            return false;
        }
    }
    return true;
}

/* Tells whether alg is one of the ECDSA algorithms. */
static inline bool tk_crypto_alg_is_ecdsa(tk_alg alg)
{
    return alg == TK_ALG_ES256 || alg == TK_ALG_ESP256 ||
           alg == TK_ALG_ES384 || alg == TK_ALG_ESP384;
}

/* Tells whether alg is one of the EdDSA algorithms (both pure Ed25519). */
static inline bool tk_crypto_alg_is_eddsa(tk_alg alg)
{
    return alg == TK_ALG_EDDSA || alg == TK_ALG_ED25519;
}

/* Tells whether alg is AES-GCM. */
static inline bool tk_crypto_alg_is_gcm(tk_alg alg)
{
    return alg == TK_ALG_A128GCM || alg == TK_ALG_A192GCM ||
           alg == TK_ALG_A256GCM;
}

/* Tells whether alg is AES-CTR. */
static inline bool tk_crypto_alg_is_ctr(tk_alg alg)
{
    return alg == TK_ALG_A128CTR || alg == TK_ALG_A192CTR ||
           alg == TK_ALG_A256CTR;
}

/* Tells whether alg is AES key wrap. */
static inline bool tk_crypto_alg_is_kw(tk_alg alg)
{
    return alg == TK_ALG_A128KW || alg == TK_ALG_A192KW ||
           alg == TK_ALG_A256KW;
}

/* Hash under an ECDSA alg: SHA-256 for P-256 algs, SHA-384 for P-384. */
static inline tk_alg tk_crypto_ecdsa_hash(tk_alg alg)
{
    return tk_crypto_sig_curve(alg) == TK_CRV_P384 ? TK_ALG_SHA384
                                                   : TK_ALG_SHA256;
}

/* Hash under an HMAC alg, TK_ALG_NONE for others. */
static inline tk_alg tk_crypto_hmac_hash(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_HMAC_256_64:
    case TK_ALG_HMAC_256_256:
        return TK_ALG_SHA256;
    case TK_ALG_HMAC_384_384:
        return TK_ALG_SHA384;
    case TK_ALG_HMAC_512_512:
        return TK_ALG_SHA512;
    default:
        return TK_ALG_NONE;
    }
}

/*
 * Checks that key is a symmetric key of exactly the size alg needs.
 * Returns TK_ERR_CRYPTO_KEY_MISMATCH for another key type and
 * TK_ERR_CRYPTO_KEY_INVALID for a wrong length.
 */
static inline tk_err tk_crypto_check_symmetric(const tk_key *key, tk_alg alg)
{
    if (key->kty != TK_KTY_SYMMETRIC) {
        return TK_ERR_CRYPTO_KEY_MISMATCH;
    }
    if (key->k_len != tk_crypto_key_size(alg)) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    return TK_OK;
}

/*
 * Checks that key fits the signature alg: the curve alg requires, a
 * coordinate length that matches, and a private part when signing.
 */
static inline tk_err tk_crypto_check_sig_key(const tk_key *key, tk_alg alg,
                                             bool private_needed)
{
    int32_t crv = tk_crypto_sig_curve(alg);
    int32_t kty = crv == TK_CRV_ED25519 ? TK_KTY_OKP : TK_KTY_EC2;

    if (key->kty != kty || key->crv != crv) {
        return TK_ERR_CRYPTO_KEY_MISMATCH;
    }
    if (key->coord_len != tk_crypto_curve_size(crv)) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    if (private_needed && !key->has_private) {
        return TK_ERR_CRYPTO_KEY_NOT_PRIVATE;
    }
    if (!private_needed && !key->has_public) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    return TK_OK;
}

/* Magic values that mark a started streaming state. */
#define TK_CRYPTO_HASH_MAGIC 0x74686173u   /* "thas" */
#define TK_CRYPTO_CIPHER_MAGIC 0x74636970u /* "tcip" */

#endif /* TK_CRYPTO_BACKEND_H */
