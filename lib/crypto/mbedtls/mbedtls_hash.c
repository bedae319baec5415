/*
 * SHA-2 hashing, HMAC and HKDF for the Mbed TLS backend. The streaming
 * hash keeps the Mbed TLS SHA-2 context inside the caller's state; those
 * contexts own no heap memory, so an abandoned state leaks nothing.
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
    uint32_t magic;
    tk_alg alg;
    union {
        mbedtls_sha256_context sha256;
#if TK_MBED_SHA512
        mbedtls_sha512_context sha512; /* also SHA-384 */
#endif
    } u;
} tk_mbed_hash_state;

bool tk_mbed_hash_available(tk_alg alg)
{
    return alg == TK_ALG_SHA256 ||
           (TK_MBED_SHA512 && (alg == TK_ALG_SHA384 || alg == TK_ALG_SHA512));
}

_Static_assert(sizeof(tk_mbed_hash_state) <= TK_CRYPTO_HASH_STATE_SIZE,
               "TK_CRYPTO_HASH_STATE_SIZE is too small for Mbed TLS SHA-2");

/* Starts alg in st; returns TK_ERR_CRYPTO_UNSUPPORTED_ALG for non-SHA-2. */
static tk_err hash_init(tk_mbed_hash_state *st, tk_alg alg)
{
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
    st->alg = alg;
    st->magic = TK_CRYPTO_HASH_MAGIC;
    return TK_OK;
}

static tk_err hash_feed(tk_mbed_hash_state *st, const uint8_t *data,
                        size_t len)
{
    int rc = 0;

    if (len == 0) {
        return TK_OK;
    }
#if TK_MBED_SHA512
    if (st->alg != TK_ALG_SHA256) {
        rc = mbedtls_sha512_update_ret(&st->u.sha512, data, len);
        return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
    }
#endif
    rc = mbedtls_sha256_update_ret(&st->u.sha256, data, len);
    return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
}

/* Writes the digest of st to md (room for its size) and wipes st. */
static tk_err hash_final(tk_mbed_hash_state *st, uint8_t *md)
{
    int rc;

#if TK_MBED_SHA512
    if (st->alg != TK_ALG_SHA256) {
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
    tk_mbed_hash_state st;
    tk_err err = hash_init(&st, alg);

    for (size_t i = 0; err == TK_OK && i < nparts; i++) {
        err = hash_feed(&st, parts[i].ptr, parts[i].len);
    }
    if (err != TK_OK) {
        tk_crypto_wipe(&st, sizeof(st));
        return err;
    }
    *md_len = tk_crypto_hash_size(alg);
    return hash_final(&st, md);
}

tk_err tk_mbed_hash(void *ctx, tk_alg alg, const tk_view *parts,
                    size_t nparts, uint8_t *digest, size_t digest_cap,
                    size_t *digest_len)
{
    (void)ctx;
    if (digest_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *digest_len = 0;
    if (digest == NULL || !tk_crypto_parts_ok(parts, nparts)) {
        return TK_ERR_INVALID_ARG;
    }
    if (!tk_mbed_hash_available(alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    size_t size = tk_crypto_hash_size(alg);
    if (digest_cap < size) {
        *digest_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    tk_err err = tk_mbed_digest_parts(alg, parts, nparts, digest, digest_len);
    if (err != TK_OK) {
        *digest_len = 0;
    }
    return err;
}

tk_err tk_mbed_hash_start(void *ctx, tk_crypto_hash_state *state,
                          tk_alg alg)
{
    (void)ctx;
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_mbed_hash_state *st = (tk_mbed_hash_state *)state->opaque.bytes;
    tk_crypto_wipe(st, sizeof(*st));
    return hash_init(st, alg);
}

tk_err tk_mbed_hash_update(void *ctx, tk_crypto_hash_state *state,
                           const uint8_t *data, size_t len)
{
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_mbed_hash_state *st = (tk_mbed_hash_state *)state->opaque.bytes;
    if (st->magic != TK_CRYPTO_HASH_MAGIC) {
        return TK_ERR_STATE;
    }
    if (data == NULL && len > 0) {
        tk_mbed_hash_abort(ctx, state);
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = hash_feed(st, data, len);
    if (err != TK_OK) {
        tk_mbed_hash_abort(ctx, state);
    }
    return err;
}

tk_err tk_mbed_hash_finish(void *ctx, tk_crypto_hash_state *state,
                           uint8_t *digest, size_t digest_cap,
                           size_t *digest_len)
{
    if (state == NULL || digest == NULL || digest_len == NULL) {
        tk_mbed_hash_abort(ctx, state);
        return TK_ERR_INVALID_ARG;
    }
    *digest_len = 0;
    tk_mbed_hash_state *st = (tk_mbed_hash_state *)state->opaque.bytes;
    if (st->magic != TK_CRYPTO_HASH_MAGIC) {
        tk_mbed_hash_abort(ctx, state);
        return TK_ERR_STATE;
    }
    size_t size = tk_crypto_hash_size(st->alg);
    if (digest_cap < size) {
        tk_mbed_hash_abort(ctx, state);
        *digest_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    tk_err err = hash_final(st, digest);
    *digest_len = err == TK_OK ? size : 0;
    return err;
}

void tk_mbed_hash_abort(void *ctx, tk_crypto_hash_state *state)
{
    (void)ctx;
    if (state != NULL) {
        tk_crypto_wipe(state, sizeof(*state));
    }
}

/* Mbed TLS message digest of a SHA-2 alg, NULL for others. */
static const mbedtls_md_info_t *md_info(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_SHA256:
        return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    case TK_ALG_SHA384:
        return mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
    case TK_ALG_SHA512:
        return mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
    default:
        return NULL;
    }
}

tk_err tk_mbed_mac(void *ctx, tk_alg alg, const tk_key *key,
                   const tk_view *parts, size_t nparts, uint8_t *tag,
                   size_t tag_cap, size_t *tag_len)
{
    (void)ctx;
    if (tag_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *tag_len = 0;
    if (key == NULL || tag == NULL || !tk_crypto_parts_ok(parts, nparts)) {
        return TK_ERR_INVALID_ARG;
    }
    const mbedtls_md_info_t *info = md_info(tk_crypto_hmac_hash(alg));
    if (info == NULL) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (key->kty != TK_KTY_SYMMETRIC) {
        return TK_ERR_CRYPTO_KEY_MISMATCH;
    }
    if (key->k_len == 0 || key->k_len > TK_CRYPTO_MAX_SYMMETRIC_SIZE) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    size_t size = tk_crypto_hash_size(alg);
    if (tag_cap < size) {
        *tag_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }

    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int rc = mbedtls_md_setup(&md, info, 1);
    if (rc == 0) {
        rc = mbedtls_md_hmac_starts(&md, key->k, key->k_len);
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
    if (rc != 0) {
        tk_crypto_wipe(tag, size);
        return TK_ERR_CRYPTO_BACKEND;
    }
    *tag_len = size;
    return TK_OK;
}

tk_err tk_mbed_hkdf(void *ctx, tk_alg hash_alg, tk_view salt, tk_view ikm,
                    tk_view info, uint8_t *out, size_t out_len)
{
    (void)ctx;
    if (out == NULL || !tk_crypto_view_ok(salt) || !tk_crypto_view_ok(ikm) ||
        !tk_crypto_view_ok(info)) {
        return TK_ERR_INVALID_ARG;
    }
    const mbedtls_md_info_t *md = md_info(hash_alg);
    if (md == NULL) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (out_len == 0 || out_len > 255 * tk_crypto_hash_size(hash_alg)) {
        return TK_ERR_CRYPTO_OUTPUT_LENGTH;
    }
    if (mbedtls_hkdf(md, salt.ptr, salt.len, ikm.ptr, ikm.len, info.ptr,
                     info.len, out, out_len) != 0) {
        tk_crypto_wipe(out, out_len);
        return TK_ERR_CRYPTO_BACKEND;
    }
    return TK_OK;
}
