/*
 * The frame of the tk_crypto table functions (crypto_backend.h explains
 * it): every check that does not depend on the crypto library, written
 * once for all backends, around calls to the backend's primitives.
 */
#include "crypto_backend.h"

/* Primitives of the backend whose table passed ctx. */
static const tk_crypto_primitives *primitives(void *ctx)
{
    return ((const tk_crypto_backend_ctx *)ctx)->primitives;
}

/* Tells whether the backend has alg, which the caller found in the class
 * that its operation takes. */
static bool has_alg(const tk_crypto_primitives *p, tk_alg alg)
{
    return p->has_alg == NULL || p->has_alg(alg);
}

/* Tells whether alg is a SHA-2 hash that the backend has. */
static bool has_hash(const tk_crypto_primitives *p, tk_alg alg)
{
    return tk_crypto_alg_is_sha2(alg) && has_alg(p, alg);
}

/* Head of a hash state in every backend's layout. */
static tk_crypto_hash_head *hash_head(tk_crypto_hash_state *state)
{
    return (tk_crypto_hash_head *)state->opaque.bytes;
}

tk_err tk_crypto_frame_hash(void *ctx, tk_alg alg, const tk_view *parts,
                            size_t nparts, uint8_t *digest,
                            size_t digest_cap, size_t *digest_len)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (digest_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *digest_len = 0;
    if (digest == NULL || !tk_crypto_parts_ok(parts, nparts)) {
        return TK_ERR_INVALID_ARG;
    }
    if (!has_hash(p, alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    size_t size = tk_crypto_hash_size(alg);
    if (digest_cap < size) {
        *digest_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    size_t len = 0;
    tk_err err = p->hash->digest(alg, parts, nparts, digest, &len);
    if (err == TK_OK) {
        *digest_len = len;
    }
    return err;
}

tk_err tk_crypto_frame_hash_start(void *ctx, tk_crypto_hash_state *state,
                                  tk_alg alg)
{
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_crypto_wipe(state, sizeof(*state));
    tk_err err = primitives(ctx)->hash->start(state, alg);
    if (err == TK_OK) {
        hash_head(state)->magic = TK_CRYPTO_HASH_MAGIC;
    }
    return err;
}

tk_err tk_crypto_frame_hash_update(void *ctx, tk_crypto_hash_state *state,
                                   const uint8_t *data, size_t len)
{
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    if (hash_head(state)->magic != TK_CRYPTO_HASH_MAGIC) {
        return TK_ERR_STATE;
    }
    if (data == NULL && len > 0) {
        tk_crypto_frame_hash_abort(ctx, state);
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = primitives(ctx)->hash->update(state, data, len);
    if (err != TK_OK) {
        tk_crypto_frame_hash_abort(ctx, state);
    }
    return err;
}

tk_err tk_crypto_frame_hash_finish(void *ctx, tk_crypto_hash_state *state,
                                   uint8_t *digest, size_t digest_cap,
                                   size_t *digest_len)
{
    if (state == NULL || digest == NULL || digest_len == NULL) {
        tk_crypto_frame_hash_abort(ctx, state);
        return TK_ERR_INVALID_ARG;
    }
    *digest_len = 0;
    if (hash_head(state)->magic != TK_CRYPTO_HASH_MAGIC) {
        tk_crypto_frame_hash_abort(ctx, state);
        return TK_ERR_STATE;
    }
    size_t size = tk_crypto_hash_size(hash_head(state)->alg);
    if (digest_cap < size) {
        tk_crypto_frame_hash_abort(ctx, state);
        *digest_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    tk_err err = primitives(ctx)->hash->finish(state, digest);
    *digest_len = err == TK_OK ? size : 0;
    return err;
}

void tk_crypto_frame_hash_abort(void *ctx, tk_crypto_hash_state *state)
{
    (void)ctx;
    if (state != NULL) {
        tk_crypto_wipe(state, sizeof(*state));
    }
}

tk_err tk_crypto_frame_mac(void *ctx, tk_alg alg, const tk_key *key,
                           const tk_view *parts, size_t nparts, uint8_t *tag,
                           size_t tag_cap, size_t *tag_len)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (tag_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *tag_len = 0;
    if (key == NULL || tag == NULL || !tk_crypto_parts_ok(parts, nparts)) {
        return TK_ERR_INVALID_ARG;
    }
    tk_alg hash_alg = tk_crypto_hmac_hash(alg);
    if (!has_hash(p, hash_alg)) {
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
    tk_err err = p->hash->hmac(hash_alg, key->k, key->k_len, parts, nparts,
                               tag);
    if (err != TK_OK) {
        tk_crypto_wipe(tag, size);
        return err;
    }
    *tag_len = size;
    return TK_OK;
}

tk_err tk_crypto_frame_hkdf(void *ctx, tk_alg hash_alg, tk_view salt,
                            tk_view ikm, tk_view info, uint8_t *out,
                            size_t out_len)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (out == NULL || !tk_crypto_view_ok(salt) || !tk_crypto_view_ok(ikm) ||
        !tk_crypto_view_ok(info)) {
        return TK_ERR_INVALID_ARG;
    }
    if (!has_hash(p, hash_alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (out_len == 0 || out_len > 255 * tk_crypto_hash_size(hash_alg)) {
        return TK_ERR_CRYPTO_OUTPUT_LENGTH;
    }
    tk_err err = p->hash->hkdf(hash_alg, salt, ikm, info, out, out_len);
    if (err != TK_OK) {
        tk_crypto_wipe(out, out_len);
    }
    return err;
}
