/*
 * Helpers shared by the backends in lib/crypto/: argument checks, the
 * algorithm classes that every backend maps the same way, and the frame
 * (crypto_frame.c) with the primitives a backend plugs into it. Not part
 * of the public interface.
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

/* Tells whether alg is one of the SHA-2 hash functions. */
static inline bool tk_crypto_alg_is_sha2(tk_alg alg)
{
    return alg == TK_ALG_SHA256 || alg == TK_ALG_SHA384 ||
           alg == TK_ALG_SHA512;
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

/* ---------------------------------------------------------------------- */
/* The frame (crypto_frame.c, target tk_crypto_frame)                      */
/* ---------------------------------------------------------------------- */

/*
 * The frame is the backend-independent part of the table functions. It
 * runs the argument, algorithm, key and length checks in one order,
 * computes output sizes with TK_ERR_BUFFER_TOO_SMALL, marks started
 * streaming states and wipes outputs on failure. A backend's table points
 * at the tk_crypto_frame_* functions, and its ctx starts with a
 * tk_crypto_backend_ctx that names the backend's primitives, which are
 * the calls into its crypto library. The frame calls a primitive only
 * with arguments that passed every check, and with an output buffer of
 * the size that the operation writes.
 */

/* Magic values that the frame stores in a started streaming state. */
#define TK_CRYPTO_HASH_MAGIC 0x74686173u   /* "thas" */
#define TK_CRYPTO_CIPHER_MAGIC 0x74636970u /* "tcip" */

/*
 * First member of a backend's layout of tk_crypto_hash_state. The start
 * primitive stores alg, and the frame stores magic once start succeeded.
 */
typedef struct tk_crypto_hash_head {
    uint32_t magic;
    tk_alg alg;
} tk_crypto_hash_head;

/* SHA-2, HMAC and HKDF primitives of a backend. */
typedef struct tk_crypto_hash_primitives {
    /* Starts the SHA-2 alg in state, which is zero, and stores alg in its
     * head. TK_ERR_CRYPTO_UNSUPPORTED_ALG for an alg the backend lacks. */
    tk_err (*start)(tk_crypto_hash_state *state, tk_alg alg);
    /* Adds len bytes of data (NULL when len is 0) to a started state. */
    tk_err (*update)(tk_crypto_hash_state *state, const uint8_t *data,
                     size_t len);
    /* Writes the digest of a started state and wipes the state. */
    tk_err (*finish)(tk_crypto_hash_state *state, uint8_t *digest);
    /* Hashes the concatenation of parts with the SHA-2 alg into digest
     * and stores the digest size in *digest_len. */
    tk_err (*digest)(tk_alg alg, const tk_view *parts, size_t nparts,
                     uint8_t *digest, size_t *digest_len);
    /* Computes HMAC with the SHA-2 hash_alg and a key of 1 to
     * TK_CRYPTO_MAX_SYMMETRIC_SIZE bytes over parts into tag. */
    tk_err (*hmac)(tk_alg hash_alg, const uint8_t *key, size_t key_len,
                   const tk_view *parts, size_t nparts, uint8_t *tag);
    /* Derives out_len bytes (1 to 255 hash lengths) with HKDF over the
     * SHA-2 hash_alg. An empty view may have a NULL pointer. */
    tk_err (*hkdf)(tk_alg hash_alg, tk_view salt, tk_view ikm, tk_view info,
                   uint8_t *out, size_t out_len);
} tk_crypto_hash_primitives;

/*
 * First member of a backend's layout of tk_crypto_cipher_state, which the
 * frame fills once the start primitive succeeded.
 */
typedef struct tk_crypto_cipher_head {
    uint32_t magic;
    tk_alg alg;
    tk_crypto_dir dir;
} tk_crypto_cipher_head;

/* AES key wrap, one-shot AEAD and streaming cipher primitives of a
 * backend. */
typedef struct tk_crypto_cipher_primitives {
    /* Maximum length in bytes of a key wrap or unwrap input. */
    size_t kw_max_input;
    /* Wraps (wrap true) or unwraps in with kek into the out_len bytes of
     * out, which may be in.ptr. A failed integrity check gives
     * TK_ERR_CRYPTO_UNWRAP_INVALID. */
    tk_err (*kw)(tk_alg alg, const tk_key *kek, tk_view in, uint8_t *out,
                 size_t out_len, bool wrap);
    /* Maximum length in bytes of a one-shot AEAD plaintext. */
    uint64_t aead_max_input;
    /* Encrypts len bytes of in into out and writes the tag to tag, or
     * decrypts them and checks tag (TK_ERR_CRYPTO_TAG_INVALID on a
     * mismatch). out may be in. */
    tk_err (*aead)(tk_alg alg, const tk_key *key, tk_view iv, tk_view aad,
                   const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag,
                   bool encrypt);
    /* Starts alg in state, which is zero. */
    tk_err (*start)(tk_crypto_cipher_state *state, tk_alg alg,
                    const tk_key *key, tk_view iv, tk_view aad,
                    tk_crypto_dir dir);
    /* Processes len bytes of in (NULL when len is 0) into out. */
    tk_err (*update)(tk_crypto_cipher_state *state, const uint8_t *in,
                     size_t len, uint8_t *out);
    /* Ends an AEAD state. Writes the 16-byte tag to tag_out when
     * encrypting (expected_tag NULL), or compares the 16 bytes at
     * expected_tag in constant time when decrypting (tag_out NULL). */
    tk_err (*finish)(tk_crypto_cipher_state *state, uint8_t *tag_out,
                     const uint8_t *expected_tag);
    /* Frees what a started state owns. The frame wipes the state after. */
    void (*release)(tk_crypto_cipher_state *state);
} tk_crypto_cipher_primitives;

/* Signature primitives of a backend. */
typedef struct tk_crypto_sig_primitives {
    /* Signs parts with key, which fits alg and has its private part, into
     * the tk_crypto_sig_size(alg) bytes of sig. EdDSA gets at most one
     * part. */
    tk_err (*sign)(void *ctx, tk_alg alg, const tk_key *key,
                   const tk_view *parts, size_t nparts, uint8_t *sig);
    /* Verifies sig, of tk_crypto_sig_size(alg) bytes, over parts with the
     * public part of key, which fits alg. */
    tk_err (*verify)(void *ctx, tk_alg alg, const tk_key *key,
                     const tk_view *parts, size_t nparts, tk_view sig);
} tk_crypto_sig_primitives;

/* Key primitives of a backend. */
typedef struct tk_crypto_key_primitives {
    /* Imports the EC2 or OKP key of params into key, which is empty, and
     * sets every field but kid. Another kty gives
     * TK_ERR_CRYPTO_UNSUPPORTED_ALG. */
    tk_err (*import)(void *ctx, const tk_key_params *params, tk_key *key);
    /* Generates a key pair on crv into key, which is empty. */
    tk_err (*generate)(void *ctx, int32_t crv, tk_key *key);
    /* Runs the backend's own checks of an ECDH key pair, which come
     * before the output size. The frame calls it once both keys are on
     * one agreement curve. */
    tk_err (*ecdh_check)(const tk_key *priv, const tk_key *peer);
    /* Computes the n-byte ECDH shared secret of priv and peer. */
    tk_err (*ecdh)(void *ctx, const tk_key *priv, const tk_key *peer,
                   uint8_t *secret, size_t n);
} tk_crypto_key_primitives;

/* Every primitive of a backend, and the algorithms and curves it has. */
typedef struct tk_crypto_primitives {
    /*
     * Tells whether the backend's build has alg, once the frame found alg
     * in the class that the operation takes. NULL when it has every one.
     * An operation on a curve that the build lacks fails in a primitive.
     */
    bool (*has_alg)(tk_alg alg);
    /* Tells whether the backend's build has the curve crv, for
     * supports(). */
    bool (*has_curve)(int32_t crv);
    /* Maximum length in bytes of one request to the random primitive. */
    size_t random_max_request;
    /* Fills the len bytes of out (1 to random_max_request) from the
     * backend's CSPRNG. */
    tk_err (*random)(void *ctx, uint8_t *out, size_t len);
    const tk_crypto_hash_primitives *hash;
    const tk_crypto_sig_primitives *sig;
    const tk_crypto_key_primitives *key;
    const tk_crypto_cipher_primitives *cipher;
} tk_crypto_primitives;

/* First member of the ctx of a backend whose table uses the frame. */
typedef struct tk_crypto_backend_ctx {
    const tk_crypto_primitives *primitives;
} tk_crypto_backend_ctx;

/* Table functions of the frame, in the order of struct tk_crypto. */
tk_err tk_crypto_frame_supports(void *ctx, tk_alg alg, int32_t crv);
tk_err tk_crypto_frame_hash(void *ctx, tk_alg alg, const tk_view *parts,
                            size_t nparts, uint8_t *digest,
                            size_t digest_cap, size_t *digest_len);
tk_err tk_crypto_frame_hash_start(void *ctx, tk_crypto_hash_state *state,
                                  tk_alg alg);
tk_err tk_crypto_frame_hash_update(void *ctx, tk_crypto_hash_state *state,
                                   const uint8_t *data, size_t len);
tk_err tk_crypto_frame_hash_finish(void *ctx, tk_crypto_hash_state *state,
                                   uint8_t *digest, size_t digest_cap,
                                   size_t *digest_len);
void tk_crypto_frame_hash_abort(void *ctx, tk_crypto_hash_state *state);
tk_err tk_crypto_frame_sign(void *ctx, tk_alg alg, const tk_key *key,
                            const tk_view *parts, size_t nparts, uint8_t *sig,
                            size_t sig_cap, size_t *sig_len);
tk_err tk_crypto_frame_verify(void *ctx, tk_alg alg, const tk_key *key,
                              const tk_view *parts, size_t nparts,
                              tk_view sig);
tk_err tk_crypto_frame_mac(void *ctx, tk_alg alg, const tk_key *key,
                           const tk_view *parts, size_t nparts, uint8_t *tag,
                           size_t tag_cap, size_t *tag_len);
tk_err tk_crypto_frame_hkdf(void *ctx, tk_alg hash_alg, tk_view salt,
                            tk_view ikm, tk_view info, uint8_t *out,
                            size_t out_len);
tk_err tk_crypto_frame_key_wrap(void *ctx, tk_alg alg, const tk_key *kek,
                                tk_view plain, uint8_t *out, size_t out_cap,
                                size_t *out_len);
tk_err tk_crypto_frame_key_unwrap(void *ctx, tk_alg alg, const tk_key *kek,
                                  tk_view wrapped, uint8_t *out,
                                  size_t out_cap, size_t *out_len);
tk_err tk_crypto_frame_ecdh(void *ctx, const tk_key *priv,
                            const tk_key *peer, uint8_t *secret,
                            size_t secret_cap, size_t *secret_len);
tk_err tk_crypto_frame_key_generate(void *ctx, int32_t crv, tk_key *key);
tk_err tk_crypto_frame_key_import(void *ctx, const tk_key_params *params,
                                  tk_key *key);
tk_err tk_crypto_frame_aead_encrypt(void *ctx, tk_alg alg, const tk_key *key,
                                    tk_view iv, tk_view aad, tk_view plain,
                                    uint8_t *out, size_t out_cap,
                                    size_t *out_len);
tk_err tk_crypto_frame_aead_decrypt(void *ctx, tk_alg alg, const tk_key *key,
                                    tk_view iv, tk_view aad, tk_view in,
                                    uint8_t *out, size_t out_cap,
                                    size_t *out_len);
tk_err tk_crypto_frame_cipher_start(void *ctx, tk_crypto_cipher_state *state,
                                    tk_alg alg, const tk_key *key, tk_view iv,
                                    tk_view aad, tk_crypto_dir dir);
tk_err tk_crypto_frame_cipher_update(void *ctx,
                                     tk_crypto_cipher_state *state,
                                     const uint8_t *in, size_t len,
                                     uint8_t *out);
tk_err tk_crypto_frame_cipher_finish(void *ctx,
                                     tk_crypto_cipher_state *state,
                                     tk_view expected_tag, uint8_t *tag_out,
                                     size_t tag_out_len);
void tk_crypto_frame_cipher_abort(void *ctx, tk_crypto_cipher_state *state);
tk_err tk_crypto_frame_random(void *ctx, uint8_t *out, size_t len);

/* Initializers of the function members of a struct tk_crypto whose ctx
 * starts with a tk_crypto_backend_ctx. */
#define TK_CRYPTO_FRAME_FUNCTIONS                       \
    .supports = tk_crypto_frame_supports,               \
    .hash = tk_crypto_frame_hash,                       \
    .hash_start = tk_crypto_frame_hash_start,           \
    .hash_update = tk_crypto_frame_hash_update,         \
    .hash_finish = tk_crypto_frame_hash_finish,         \
    .hash_abort = tk_crypto_frame_hash_abort,           \
    .sign = tk_crypto_frame_sign,                       \
    .verify = tk_crypto_frame_verify,                   \
    .mac = tk_crypto_frame_mac,                         \
    .hkdf = tk_crypto_frame_hkdf,                       \
    .key_wrap = tk_crypto_frame_key_wrap,               \
    .key_unwrap = tk_crypto_frame_key_unwrap,           \
    .ecdh = tk_crypto_frame_ecdh,                       \
    .key_generate = tk_crypto_frame_key_generate,       \
    .key_import = tk_crypto_frame_key_import,           \
    .aead_encrypt = tk_crypto_frame_aead_encrypt,       \
    .aead_decrypt = tk_crypto_frame_aead_decrypt,       \
    .cipher_start = tk_crypto_frame_cipher_start,       \
    .cipher_update = tk_crypto_frame_cipher_update,     \
    .cipher_finish = tk_crypto_frame_cipher_finish,     \
    .cipher_abort = tk_crypto_frame_cipher_abort,       \
    .random = tk_crypto_frame_random

#endif /* TK_CRYPTO_BACKEND_H */
