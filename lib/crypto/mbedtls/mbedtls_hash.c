/*
 * SHA-2 hashing, HMAC and HKDF primitives of the Mbed TLS backend. The
 * streaming hash keeps the Mbed TLS SHA-2 context inside the caller's
 * state; those contexts own no heap memory, so an abandoned state leaks
 * nothing.
 */
#include <string.h>

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "mbedtls_internal.h"

#if TK_MBED_SHA512
#include <mbedtls/sha512.h>
#endif

/* Layout of tk_crypto_hash_state for this backend. */
typedef struct tk_mbed_hash_state {
    tk_crypto_hash_head head;
    union {
        mbedtls_sha256_context sha256;
#if TK_MBED_SHA512
        mbedtls_sha512_context sha512; /* also SHA-384 */
#endif
    } u;
} tk_mbed_hash_state;

_Static_assert(sizeof(tk_mbed_hash_state) <= TK_CRYPTO_HASH_STATE_SIZE,
               "TK_CRYPTO_HASH_STATE_SIZE is too small for Mbed TLS SHA-2");

static tk_mbed_hash_state *hash_state(tk_crypto_hash_state *state)
{
    return (tk_mbed_hash_state *)state->opaque.bytes;
}

/* Starts alg in state. Returns TK_ERR_CRYPTO_UNSUPPORTED_ALG for non-SHA-2
 * and for SHA-2 that the configuration leaves out. */
static tk_err hash_start(tk_crypto_hash_state *state, tk_alg alg)
{
    tk_mbed_hash_state *st = hash_state(state);
    int rc;

    switch (alg) {
    case TK_ALG_SHA256:
        /* NOTE: the *_ret names are Mbed TLS 2.x; 3.x renamed them. */
        mbedtls_sha256_init(&st->u.sha256);
        rc = mbedtls_sha256_starts_ret(&st->u.sha256, 0);
        break;
#if TK_MBED_SHA512
    case TK_ALG_SHA384:
    case TK_ALG_SHA512:
        mbedtls_sha512_init(&st->u.sha512);
        rc = mbedtls_sha512_starts_ret(&st->u.sha512,
                                       alg == TK_ALG_SHA384 ? 1 : 0);
        break;
#endif
    default:
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (rc != 0) {
        return TK_ERR_CRYPTO_BACKEND;
    }
    st->head.alg = alg;
    return TK_OK;
}

static tk_err hash_update(tk_crypto_hash_state *state, const uint8_t *data,
                          size_t len)
{
    tk_mbed_hash_state *st = hash_state(state);
    int rc = 0;

    if (len == 0) {
        return TK_OK;
    }
#if TK_MBED_SHA512
    if (st->head.alg != TK_ALG_SHA256) {
        rc = mbedtls_sha512_update_ret(&st->u.sha512, data, len);
        return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
    }
#endif
    rc = mbedtls_sha256_update_ret(&st->u.sha256, data, len);
    return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
}

/* Writes the digest of state to md (room for its size) and wipes state. */
static tk_err hash_finish(tk_crypto_hash_state *state, uint8_t *md)
{
    tk_mbed_hash_state *st = hash_state(state);
    int rc;

#if TK_MBED_SHA512
    if (st->head.alg != TK_ALG_SHA256) {
        rc = mbedtls_sha512_finish_ret(&st->u.sha512, md);
        tk_crypto_wipe(st, sizeof(*st));
        return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
    }
#endif
    rc = mbedtls_sha256_finish_ret(&st->u.sha256, md);
    tk_crypto_wipe(st, sizeof(*st));
    return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
}

tk_err tk_mbed_digest_parts(tk_alg alg, const tk_view *parts, size_t nparts,
                            uint8_t *md, size_t *md_len)
{
    tk_crypto_hash_state st;
    tk_err err = hash_start(&st, alg);

    for (size_t i = 0; err == TK_OK && i < nparts; i++) {
        err = hash_update(&st, parts[i].ptr, parts[i].len);
    }
    if (err != TK_OK) {
        tk_crypto_wipe(&st, sizeof(st));
        return err;
    }
    *md_len = tk_crypto_hash_size(alg);
    return hash_finish(&st, md);
}

/* Mbed TLS message digest of a SHA-2 alg. */
static const mbedtls_md_info_t *md_info(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_SHA256:
        return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    case TK_ALG_SHA384:
        return mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
    default:
        return mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
    }
}

static tk_err hmac_parts(tk_alg hash_alg, const uint8_t *key, size_t key_len,
                         const tk_view *parts, size_t nparts, uint8_t *tag)
{
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int rc = mbedtls_md_setup(&md, md_info(hash_alg), 1);
    if (rc == 0) {
        rc = mbedtls_md_hmac_starts(&md, key, key_len);
    }
    for (size_t i = 0; rc == 0 && i < nparts; i++) {
        if (parts[i].len > 0) {
            rc = mbedtls_md_hmac_update(&md, parts[i].ptr, parts[i].len);
        }
    }
    if (rc == 0) {
        rc = mbedtls_md_hmac_finish(&md, tag);
    }
    mbedtls_md_free(&md);
    return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
}

static tk_err hkdf(tk_alg hash_alg, tk_view salt, tk_view ikm, tk_view info,
                   uint8_t *out, size_t out_len)
{
    return mbedtls_hkdf(md_info(hash_alg), salt.ptr, salt.len, ikm.ptr,
                        ikm.len, info.ptr, info.len, out, out_len) == 0
               ? TK_OK
               : TK_ERR_CRYPTO_BACKEND;
}

const tk_crypto_hash_primitives tk_mbed_hash_primitives = {
    .start = hash_start,
    .update = hash_update,
    .finish = hash_finish,
    .digest = tk_mbed_digest_parts,
    .hmac = hmac_parts,
    .hkdf = hkdf,
};
