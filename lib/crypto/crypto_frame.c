/*
 * The frame of the tk_crypto table functions, which crypto_backend.h
 * explains. It contains every check that does not depend on a crypto
 * library, written once for all backends around calls to the backend's
 * primitives.
 */
#include <string.h>

#include "crypto_backend.h"

/* Returns the primitives of the backend whose table passed ctx. */
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

/*
 * Tells whether cap is short of the size bytes that an operation writes.
 * When it is, stores size in *out_len for the TK_ERR_BUFFER_TOO_SMALL that
 * the caller returns.
 */
static bool output_too_small(size_t cap, size_t size, size_t *out_len)
{
    if (cap >= size) {
        return false;
    }
    *out_len = size;
    return true;
}

/*
 * Ends an operation whose primitive returned err after writing to the size
 * bytes of out. Stores size in *out_len on success, and wipes out on
 * failure.
 */
static tk_err end_output(tk_err err, uint8_t *out, size_t size,
                         size_t *out_len)
{
    if (err != TK_OK) {
        tk_crypto_wipe(out, size);
        return err;
    }
    *out_len = size;
    return TK_OK;
}

/* Head of a hash state in every backend's layout. */
static tk_crypto_hash_head *hash_head(tk_crypto_hash_state *state)
{
    return (tk_crypto_hash_head *)state->opaque.bytes;
}

/* Head of a cipher state in every backend's layout. */
static tk_crypto_cipher_head *cipher_head(tk_crypto_cipher_state *state)
{
    return (tk_crypto_cipher_head *)state->opaque.bytes;
}

/* Tells whether the backend has alg with the hash and curve it needs. */
static bool alg_supported(const tk_crypto_primitives *p, tk_alg alg)
{
    if (tk_crypto_alg_is_ecdsa(alg) || tk_crypto_alg_is_eddsa(alg)) {
        return has_alg(p, alg) && p->has_curve(tk_crypto_sig_curve(alg)) &&
               (!tk_crypto_alg_is_ecdsa(alg) ||
                has_alg(p, tk_crypto_ecdsa_hash(alg)));
    }
    if (tk_crypto_hmac_hash(alg) != TK_ALG_NONE) {
        return has_alg(p, tk_crypto_hmac_hash(alg));
    }
    if (tk_crypto_alg_is_sha2(alg) || tk_crypto_alg_is_kw(alg) ||
        tk_crypto_alg_is_gcm(alg) || tk_crypto_alg_is_ctr(alg) ||
        alg == TK_ALG_CHACHA20_POLY1305) {
        return has_alg(p, alg);
    }
    return false;
}

tk_err tk_crypto_frame_supports(void *ctx, tk_alg alg, int32_t crv)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (crv != TK_CRV_NONE && !p->has_curve(crv)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (alg == TK_ALG_NONE) {
        /* ECDH and key generation on crv. */
        return crv != TK_CRV_NONE ? TK_OK : TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (!alg_supported(p, alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (tk_crypto_alg_is_ecdsa(alg) || tk_crypto_alg_is_eddsa(alg)) {
        return crv == TK_CRV_NONE || crv == tk_crypto_sig_curve(alg)
                   ? TK_OK
                   : TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    return crv == TK_CRV_NONE ? TK_OK : TK_ERR_CRYPTO_UNSUPPORTED_ALG;
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
    if (output_too_small(digest_cap, tk_crypto_hash_size(alg), digest_len)) {
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
    if (output_too_small(digest_cap, size, digest_len)) {
        tk_crypto_frame_hash_abort(ctx, state);
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

/* Checks the arguments, algorithm and key of sign and verify. */
static tk_err check_sig(const tk_crypto_primitives *p, tk_alg alg,
                        const tk_key *key, const tk_view *parts,
                        size_t nparts, bool private_needed)
{
    if (key == NULL || !tk_crypto_parts_ok(parts, nparts)) {
        return TK_ERR_INVALID_ARG;
    }
    if ((!tk_crypto_alg_is_ecdsa(alg) && !tk_crypto_alg_is_eddsa(alg)) ||
        !has_alg(p, alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (tk_crypto_alg_is_eddsa(alg) && nparts > 1) {
        return TK_ERR_INVALID_ARG;
    }
    return tk_crypto_check_sig_key(key, alg, private_needed);
}

tk_err tk_crypto_frame_sign(void *ctx, tk_alg alg, const tk_key *key,
                            const tk_view *parts, size_t nparts, uint8_t *sig,
                            size_t sig_cap, size_t *sig_len)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (sig_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *sig_len = 0;
    if (sig == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = check_sig(p, alg, key, parts, nparts, true);
    if (err != TK_OK) {
        return err;
    }
    size_t size = tk_crypto_sig_size(alg);
    if (output_too_small(sig_cap, size, sig_len)) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    err = p->sig->sign(ctx, alg, key, parts, nparts, sig);
    return end_output(err, sig, size, sig_len);
}

tk_err tk_crypto_frame_verify(void *ctx, tk_alg alg, const tk_key *key,
                              const tk_view *parts, size_t nparts,
                              tk_view sig)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (!tk_crypto_view_ok(sig)) {
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = check_sig(p, alg, key, parts, nparts, false);
    if (err != TK_OK) {
        return err;
    }
    if (sig.len != tk_crypto_sig_size(alg)) {
        return TK_ERR_CRYPTO_SIGNATURE_INVALID;
    }
    return p->sig->verify(ctx, alg, key, parts, nparts, sig);
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
    if (output_too_small(tag_cap, size, tag_len)) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    tk_err err = p->hash->hmac(hash_alg, key->k, key->k_len, parts, nparts,
                               tag);
    return end_output(err, tag, size, tag_len);
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

/*
 * Runs key wrap (wrap true) or unwrap of in into out. min is the minimum
 * input length: 16 bytes of key to wrap, or 24 bytes of wrapped key.
 */
static tk_err key_wrap(void *ctx, tk_alg alg, const tk_key *kek, tk_view in,
                       size_t min, bool wrap, uint8_t *out, size_t out_cap,
                       size_t *out_len)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (out_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    if (out == NULL || kek == NULL || !tk_crypto_view_ok(in)) {
        return TK_ERR_INVALID_ARG;
    }
    if (!tk_crypto_alg_is_kw(alg) || !has_alg(p, alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    tk_err err = tk_crypto_check_symmetric(kek, alg);
    if (err != TK_OK) {
        return err;
    }
    if (in.len < min || in.len % 8 != 0 ||
        in.len > p->cipher->kw_max_input) {
        return TK_ERR_CRYPTO_INPUT_LENGTH;
    }
    size_t size = wrap ? in.len + TK_CRYPTO_KW_OVERHEAD
                       : in.len - TK_CRYPTO_KW_OVERHEAD;
    if (output_too_small(out_cap, size, out_len)) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    err = p->cipher->kw(alg, kek, in, out, size, wrap);
    return end_output(err, out, size, out_len);
}

tk_err tk_crypto_frame_key_wrap(void *ctx, tk_alg alg, const tk_key *kek,
                                tk_view plain, uint8_t *out, size_t out_cap,
                                size_t *out_len)
{
    return key_wrap(ctx, alg, kek, plain, 16, true, out, out_cap, out_len);
}

tk_err tk_crypto_frame_key_unwrap(void *ctx, tk_alg alg, const tk_key *kek,
                                  tk_view wrapped, uint8_t *out,
                                  size_t out_cap, size_t *out_len)
{
    return key_wrap(ctx, alg, kek, wrapped, 24, false, out, out_cap,
                    out_len);
}

/* Tells whether len bytes at p are all zero, in constant time. */
static bool all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < len; i++) {
        acc = (uint8_t)(acc | p[i]);
    }
    return acc == 0;
}

tk_err tk_crypto_frame_ecdh(void *ctx, const tk_key *priv,
                            const tk_key *peer, uint8_t *secret,
                            size_t secret_cap, size_t *secret_len)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (secret_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *secret_len = 0;
    if (priv == NULL || peer == NULL || secret == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    int32_t crv = priv->crv;
    bool agreement = (priv->kty == TK_KTY_EC2 &&
                      (crv == TK_CRV_P256 || crv == TK_CRV_P384)) ||
                     (priv->kty == TK_KTY_OKP && crv == TK_CRV_X25519);
    if (!agreement || peer->kty != priv->kty || peer->crv != crv) {
        return TK_ERR_CRYPTO_KEY_MISMATCH;
    }
    tk_err err = p->key->ecdh_check(priv, peer);
    if (err != TK_OK) {
        return err;
    }
    size_t n = tk_crypto_curve_size(crv);
    if (output_too_small(secret_cap, n, secret_len)) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    err = p->key->ecdh(ctx, priv, peer, secret, n);
    if (err == TK_OK && crv == TK_CRV_X25519 && all_zero(secret, n)) {
        /* A low-order peer point (RFC 7748 section 6.1). */
        err = TK_ERR_CRYPTO_SHARED_SECRET_ZERO;
    }
    return end_output(err, secret, n, secret_len);
}

tk_err tk_crypto_frame_key_generate(void *ctx, int32_t crv, tk_key *key)
{
    if (key == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_key_init(key);
    tk_err err = primitives(ctx)->key->generate(ctx, crv, key);
    if (err != TK_OK) {
        tk_key_release(key);
    }
    return err;
}

tk_err tk_crypto_frame_key_import(void *ctx, const tk_key_params *params,
                                  tk_key *key)
{
    if (params == NULL || key == NULL || !tk_crypto_view_ok(params->x) ||
        !tk_crypto_view_ok(params->y) || !tk_crypto_view_ok(params->d) ||
        !tk_crypto_view_ok(params->k) || !tk_crypto_view_ok(params->kid)) {
        return TK_ERR_INVALID_ARG;
    }
    tk_key_init(key);
    tk_err err;
    if (params->kty == TK_KTY_SYMMETRIC) {
        err = tk_key_init_symmetric(key, params->k);
    } else {
        err = primitives(ctx)->key->import(ctx, params, key);
    }
    if (err != TK_OK) {
        tk_key_release(key);
        return err;
    }
    key->kid = params->kid;
    return TK_OK;
}

/* Checks the algorithm, key and IV of a one-shot AEAD. */
static tk_err check_aead(const tk_crypto_primitives *p, tk_alg alg,
                         const tk_key *key, tk_view iv)
{
    if ((!tk_crypto_alg_is_gcm(alg) && alg != TK_ALG_CHACHA20_POLY1305) ||
        !has_alg(p, alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    tk_err err = tk_crypto_check_symmetric(key, alg);
    if (err != TK_OK) {
        return err;
    }
    if (iv.len != TK_CRYPTO_AEAD_IV_SIZE) {
        return TK_ERR_CRYPTO_IV_LENGTH;
    }
    return TK_OK;
}

/*
 * Runs a one-shot AEAD. Encryption writes the ciphertext and then the tag
 * to out. Decryption reads the ciphertext and then the tag from in, and
 * writes the plaintext to out.
 */
static tk_err aead(void *ctx, tk_alg alg, const tk_key *key, tk_view iv,
                   tk_view aad, tk_view in, uint8_t *out, size_t out_cap,
                   size_t *out_len, bool encrypt)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (out_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    /* A decryption to an empty plaintext may have no output buffer. */
    if (key == NULL || (out == NULL && (encrypt || out_cap > 0)) ||
        !tk_crypto_view_ok(iv) || !tk_crypto_view_ok(aad) ||
        !tk_crypto_view_ok(in)) {
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = check_aead(p, alg, key, iv);
    if (err != TK_OK) {
        return err;
    }
    size_t size;
    if (encrypt) {
        if ((uint64_t)in.len > p->cipher->aead_max_input) {
            return TK_ERR_CRYPTO_INPUT_LENGTH;
        }
        size = in.len + TK_CRYPTO_AEAD_TAG_SIZE;
    } else {
        if (in.len < TK_CRYPTO_AEAD_TAG_SIZE) {
            return TK_ERR_CRYPTO_INPUT_LENGTH;
        }
        size = in.len - TK_CRYPTO_AEAD_TAG_SIZE;
    }
    if (output_too_small(out_cap, size, out_len)) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    if (encrypt) {
        err = p->cipher->aead(alg, key, iv, aad, in.ptr, in.len, out,
                              out + in.len, true);
    } else {
        /* The tag is copied first because out may overlap in. */
        uint8_t tag[TK_CRYPTO_AEAD_TAG_SIZE];
        uint8_t scratch[1];
        memcpy(tag, in.ptr + size, sizeof(tag));
        err = p->cipher->aead(alg, key, iv, aad, in.ptr, size,
                              out != NULL ? out : scratch, tag, false);
    }
    return end_output(err, out, size, out_len);
}

tk_err tk_crypto_frame_aead_encrypt(void *ctx, tk_alg alg, const tk_key *key,
                                    tk_view iv, tk_view aad, tk_view plain,
                                    uint8_t *out, size_t out_cap,
                                    size_t *out_len)
{
    return aead(ctx, alg, key, iv, aad, plain, out, out_cap, out_len, true);
}

tk_err tk_crypto_frame_aead_decrypt(void *ctx, tk_alg alg, const tk_key *key,
                                    tk_view iv, tk_view aad, tk_view in,
                                    uint8_t *out, size_t out_cap,
                                    size_t *out_len)
{
    return aead(ctx, alg, key, iv, aad, in, out, out_cap, out_len, false);
}

tk_err tk_crypto_frame_cipher_start(void *ctx, tk_crypto_cipher_state *state,
                                    tk_alg alg, const tk_key *key, tk_view iv,
                                    tk_view aad, tk_crypto_dir dir)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_crypto_wipe(state, sizeof(*state));
    if (key == NULL || !tk_crypto_view_ok(iv) || !tk_crypto_view_ok(aad) ||
        (dir != TK_CRYPTO_ENCRYPT && dir != TK_CRYPTO_DECRYPT)) {
        return TK_ERR_INVALID_ARG;
    }
    bool ctr = tk_crypto_alg_is_ctr(alg);
    if ((!ctr && !tk_crypto_alg_is_gcm(alg) &&
         alg != TK_ALG_CHACHA20_POLY1305) ||
        !has_alg(p, alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    tk_err err = tk_crypto_check_symmetric(key, alg);
    if (err != TK_OK) {
        return err;
    }
    if (iv.len != (ctr ? TK_CRYPTO_CTR_IV_SIZE : TK_CRYPTO_AEAD_IV_SIZE)) {
        return TK_ERR_CRYPTO_IV_LENGTH;
    }
    if (ctr && aad.len > 0) {
        return TK_ERR_INVALID_ARG;
    }
    err = p->cipher->start(state, alg, key, iv, aad, dir);
    if (err != TK_OK) {
        tk_crypto_wipe(state, sizeof(*state));
        return err;
    }
    tk_crypto_cipher_head *head = cipher_head(state);
    head->alg = alg;
    head->dir = dir;
    head->magic = TK_CRYPTO_CIPHER_MAGIC;
    return TK_OK;
}

tk_err tk_crypto_frame_cipher_update(void *ctx,
                                     tk_crypto_cipher_state *state,
                                     const uint8_t *in, size_t len,
                                     uint8_t *out)
{
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    if (cipher_head(state)->magic != TK_CRYPTO_CIPHER_MAGIC) {
        return TK_ERR_STATE;
    }
    if (len > 0 && (in == NULL || out == NULL)) {
        tk_crypto_frame_cipher_abort(ctx, state);
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = primitives(ctx)->cipher->update(state, in, len, out);
    if (err != TK_OK) {
        tk_crypto_frame_cipher_abort(ctx, state);
    }
    return err;
}

tk_err tk_crypto_frame_cipher_finish(void *ctx,
                                     tk_crypto_cipher_state *state,
                                     tk_view expected_tag, uint8_t *tag_out,
                                     size_t tag_out_len)
{
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    const tk_crypto_cipher_head *head = cipher_head(state);
    if (head->magic != TK_CRYPTO_CIPHER_MAGIC) {
        tk_crypto_frame_cipher_abort(ctx, state);
        return TK_ERR_STATE;
    }
    const tk_crypto_cipher_primitives *c = primitives(ctx)->cipher;
    tk_err err = TK_OK;
    if (tk_crypto_alg_is_ctr(head->alg)) {
        if (expected_tag.len > 0 || tag_out_len > 0) {
            err = TK_ERR_INVALID_ARG;
        }
    } else if (head->dir == TK_CRYPTO_ENCRYPT) {
        if (tag_out == NULL || tag_out_len != TK_CRYPTO_AEAD_TAG_SIZE) {
            err = TK_ERR_INVALID_ARG;
        } else {
            err = c->finish(state, tag_out, NULL);
        }
    } else if (!tk_crypto_view_ok(expected_tag)) {
        err = TK_ERR_INVALID_ARG;
    } else if (expected_tag.len != TK_CRYPTO_AEAD_TAG_SIZE) {
        err = TK_ERR_CRYPTO_INPUT_LENGTH;
    } else {
        err = c->finish(state, NULL, expected_tag.ptr);
    }
    tk_crypto_frame_cipher_abort(ctx, state);
    return err;
}

void tk_crypto_frame_cipher_abort(void *ctx, tk_crypto_cipher_state *state)
{
    if (state == NULL) {
        return;
    }
    if (cipher_head(state)->magic == TK_CRYPTO_CIPHER_MAGIC) {
        primitives(ctx)->cipher->release(state);
    }
    tk_crypto_wipe(state, sizeof(*state));
}

tk_err tk_crypto_frame_random(void *ctx, uint8_t *out, size_t len)
{
    const tk_crypto_primitives *p = primitives(ctx);

    if (out == NULL && len > 0) {
        return TK_ERR_INVALID_ARG;
    }
    while (len > 0) {
        size_t chunk = len > p->random_max_request ? p->random_max_request
                                                   : len;
        tk_err err = p->random(ctx, out, chunk);
        if (err != TK_OK) {
            return err;
        }
        out += chunk;
        len -= chunk;
    }
    return TK_OK;
}
