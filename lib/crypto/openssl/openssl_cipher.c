/*
 * Symmetric primitives for the OpenSSL backend: AES key wrap, one-shot
 * AEAD and the streaming AES-CTR / AES-GCM / ChaCha20-Poly1305 cipher, all
 * through EVP.
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>

#include "openssl_internal.h"

/* EVP length arguments are int: longer input is fed in chunks this size. */
#define TK_OSSL_CHUNK (1 << 30)

/* EVP cipher of an AES or ChaCha20/Poly1305 alg, NULL for others. */
static const EVP_CIPHER *evp_cipher(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_A128GCM:
        return EVP_aes_128_gcm();
    case TK_ALG_A192GCM:
        return EVP_aes_192_gcm();
    case TK_ALG_A256GCM:
        return EVP_aes_256_gcm();
    case TK_ALG_CHACHA20_POLY1305:
        return EVP_chacha20_poly1305();
    case TK_ALG_A128CTR:
        return EVP_aes_128_ctr();
    case TK_ALG_A192CTR:
        return EVP_aes_192_ctr();
    case TK_ALG_A256CTR:
        return EVP_aes_256_ctr();
    case TK_ALG_A128KW:
        return EVP_aes_128_wrap();
    case TK_ALG_A192KW:
        return EVP_aes_192_wrap();
    case TK_ALG_A256KW:
        return EVP_aes_256_wrap();
    default:
        return NULL;
    }
}

/*
 * Runs EVP_CipherUpdate over len bytes in int-sized chunks. out NULL feeds
 * AAD. Returns false on an EVP failure.
 */
static bool update_all(EVP_CIPHER_CTX *cctx, uint8_t *out, const uint8_t *in,
                       size_t len)
{
    while (len > 0) {
        int chunk = len > TK_OSSL_CHUNK ? TK_OSSL_CHUNK : (int)len;
        int out_len = 0;
        if (EVP_CipherUpdate(cctx, out, &out_len, in, chunk) != 1) {
            return false;
        }
        in += chunk;
        if (out != NULL) {
            out += chunk;
        }
        len -= (size_t)chunk;
    }
    return true;
}

/* Runs AES key wrap (enc 1) or unwrap (enc 0) of in into out. */
static tk_err kw_run(tk_alg alg, const tk_key *kek, tk_view in, uint8_t *out,
                     size_t out_len, int enc)
{
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
    int len1 = 0;
    int len2 = 0;

    if (cctx == NULL) {
        return err;
    }
    EVP_CIPHER_CTX_set_flags(cctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (EVP_CipherInit_ex(cctx, evp_cipher(alg), NULL, kek->k, NULL, enc) !=
        1) {
        goto done;
    }
    if (EVP_CipherUpdate(cctx, out, &len1, in.ptr, (int)in.len) != 1 ||
        EVP_CipherFinal_ex(cctx, out + len1, &len2) != 1) {
        /* The update fails exactly when the integrity check fails. */
        err = enc ? TK_ERR_CRYPTO_BACKEND : TK_ERR_CRYPTO_UNWRAP_INVALID;
        goto done;
    }
    if ((size_t)len1 + (size_t)len2 == out_len) {
        err = TK_OK;
    }
done:
    EVP_CIPHER_CTX_free(cctx);
    ERR_clear_error();
    if (err != TK_OK) {
        tk_crypto_wipe(out, out_len);
    }
    return err;
}

/* Checks the arguments of key wrap and unwrap; min is the shortest valid
 * input. On success *out_len is the output size. */
static tk_err kw_check(tk_alg alg, const tk_key *kek, tk_view in, size_t min,
                       bool wrap, size_t out_cap, size_t *out_len)
{
    if (kek == NULL || !tk_crypto_view_ok(in)) {
        return TK_ERR_INVALID_ARG;
    }
    if (!tk_crypto_alg_is_kw(alg)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    tk_err err = tk_crypto_check_symmetric(kek, alg);
    if (err != TK_OK) {
        return err;
    }
    if (in.len < min || in.len % 8 != 0 || in.len > INT_MAX - 16) {
        return TK_ERR_CRYPTO_INPUT_LENGTH;
    }
    size_t size = wrap ? in.len + TK_CRYPTO_KW_OVERHEAD
                       : in.len - TK_CRYPTO_KW_OVERHEAD;
    if (out_cap < size) {
        *out_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    *out_len = size;
    return TK_OK;
}

tk_err tk_ossl_key_wrap(void *ctx, tk_alg alg, const tk_key *kek,
                        tk_view plain, uint8_t *out, size_t out_cap,
                        size_t *out_len)
{
    (void)ctx;
    if (out_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    if (out == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    size_t size = 0;
    tk_err err = kw_check(alg, kek, plain, 16, true, out_cap, &size);
    if (err != TK_OK) {
        *out_len = err == TK_ERR_BUFFER_TOO_SMALL ? size : 0;
        return err;
    }
    err = kw_run(alg, kek, plain, out, size, 1);
    *out_len = err == TK_OK ? size : 0;
    return err;
}

tk_err tk_ossl_key_unwrap(void *ctx, tk_alg alg, const tk_key *kek,
                          tk_view wrapped, uint8_t *out, size_t out_cap,
                          size_t *out_len)
{
    (void)ctx;
    if (out_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    if (out == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    size_t size = 0;
    tk_err err = kw_check(alg, kek, wrapped, 24, false, out_cap, &size);
    if (err != TK_OK) {
        *out_len = err == TK_ERR_BUFFER_TOO_SMALL ? size : 0;
        return err;
    }
    err = kw_run(alg, kek, wrapped, out, size, 0);
    *out_len = err == TK_OK ? size : 0;
    return err;
}

/* Checks the key and IV of an AEAD alg. */
static tk_err aead_check(tk_alg alg, const tk_key *key, tk_view iv)
{
    if (!tk_crypto_alg_is_gcm(alg) && alg != TK_ALG_CHACHA20_POLY1305) {
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
 * Encrypts or decrypts len bytes of in into out with an AEAD. Encrypting
 * writes the tag to tag; decrypting checks tag, and a mismatch gives
 * TK_ERR_CRYPTO_TAG_INVALID.
 */
static tk_err aead_run(tk_alg alg, const tk_key *key, tk_view iv,
                       tk_view aad, const uint8_t *in, size_t len,
                       uint8_t *out, uint8_t *tag, int enc)
{
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
    int final_len = 0;

    if (cctx == NULL ||
        EVP_CipherInit_ex(cctx, evp_cipher(alg), NULL, key->k, iv.ptr, enc) !=
            1 ||
        !update_all(cctx, NULL, aad.ptr, aad.len) ||
        !update_all(cctx, out, in, len)) {
        goto done;
    }
    if (enc) {
        if (EVP_CipherFinal_ex(cctx, out + len, &final_len) == 1 &&
            EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_GET_TAG,
                                TK_CRYPTO_AEAD_TAG_SIZE, tag) == 1) {
            err = TK_OK;
        }
    } else {
        if (EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_SET_TAG,
                                TK_CRYPTO_AEAD_TAG_SIZE, tag) != 1) {
            goto done;
        }
        /* OpenSSL compares the tag with CRYPTO_memcmp (constant time). */
        err = EVP_CipherFinal_ex(cctx, out + len, &final_len) == 1
                  ? TK_OK
                  : TK_ERR_CRYPTO_TAG_INVALID;
    }
done:
    EVP_CIPHER_CTX_free(cctx);
    ERR_clear_error();
    return err;
}

tk_err tk_ossl_aead_encrypt(void *ctx, tk_alg alg, const tk_key *key,
                            tk_view iv, tk_view aad, tk_view plain,
                            uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)ctx;
    if (out_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    if (key == NULL || out == NULL || !tk_crypto_view_ok(iv) ||
        !tk_crypto_view_ok(aad) || !tk_crypto_view_ok(plain)) {
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = aead_check(alg, key, iv);
    if (err != TK_OK) {
        return err;
    }
    if (plain.len > SIZE_MAX - TK_CRYPTO_AEAD_TAG_SIZE) {
        return TK_ERR_CRYPTO_INPUT_LENGTH;
    }
    size_t size = plain.len + TK_CRYPTO_AEAD_TAG_SIZE;
    if (out_cap < size) {
        *out_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    err = aead_run(alg, key, iv, aad, plain.ptr, plain.len, out,
                   out + plain.len, 1);
    if (err != TK_OK) {
        tk_crypto_wipe(out, size);
        return err;
    }
    *out_len = size;
    return TK_OK;
}

tk_err tk_ossl_aead_decrypt(void *ctx, tk_alg alg, const tk_key *key,
                            tk_view iv, tk_view aad, tk_view in,
                            uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)ctx;
    if (out_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    if (key == NULL || (out == NULL && out_cap > 0) ||
        !tk_crypto_view_ok(iv) || !tk_crypto_view_ok(aad) ||
        !tk_crypto_view_ok(in)) {
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = aead_check(alg, key, iv);
    if (err != TK_OK) {
        return err;
    }
    if (in.len < TK_CRYPTO_AEAD_TAG_SIZE) {
        return TK_ERR_CRYPTO_INPUT_LENGTH;
    }
    size_t size = in.len - TK_CRYPTO_AEAD_TAG_SIZE;
    if (out_cap < size) {
        *out_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    /* The tag is copied first because out may overlap in. */
    uint8_t tag[TK_CRYPTO_AEAD_TAG_SIZE];
    uint8_t scratch[1];
    memcpy(tag, in.ptr + size, sizeof(tag));
    err = aead_run(alg, key, iv, aad, in.ptr, size,
                   out != NULL ? out : scratch, tag, 0);
    if (err != TK_OK) {
        tk_crypto_wipe(out, size);
        return err;
    }
    *out_len = size;
    return TK_OK;
}

/* Layout of tk_crypto_cipher_state for this backend. */
typedef struct tk_ossl_cipher_state {
    uint32_t magic;
    tk_alg alg;
    tk_crypto_dir dir;
    EVP_CIPHER_CTX *cctx;
} tk_ossl_cipher_state;

_Static_assert(sizeof(tk_ossl_cipher_state) <= TK_CRYPTO_CIPHER_STATE_SIZE,
               "TK_CRYPTO_CIPHER_STATE_SIZE is too small for OpenSSL");

static tk_ossl_cipher_state *cipher_state(tk_crypto_cipher_state *state)
{
    return (tk_ossl_cipher_state *)state->opaque.bytes;
}

/* Tells whether alg is an AEAD that the streaming cipher supports: the
 * tag is written or checked by cipher_finish. */
static bool stream_aead(tk_alg alg)
{
    return tk_crypto_alg_is_gcm(alg) || alg == TK_ALG_CHACHA20_POLY1305;
}

tk_err tk_ossl_cipher_start(void *ctx, tk_crypto_cipher_state *state,
                            tk_alg alg, const tk_key *key, tk_view iv,
                            tk_view aad, tk_crypto_dir dir)
{
    (void)ctx;
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_crypto_wipe(state, sizeof(*state));
    if (key == NULL || !tk_crypto_view_ok(iv) || !tk_crypto_view_ok(aad) ||
        (dir != TK_CRYPTO_ENCRYPT && dir != TK_CRYPTO_DECRYPT)) {
        return TK_ERR_INVALID_ARG;
    }
    bool ctr = tk_crypto_alg_is_ctr(alg);
    if (!ctr && !stream_aead(alg)) {
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

    EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
    int enc = dir == TK_CRYPTO_ENCRYPT ? 1 : 0;
    if (cctx == NULL ||
        EVP_CipherInit_ex(cctx, evp_cipher(alg), NULL, key->k, iv.ptr, enc) !=
            1 ||
        !update_all(cctx, NULL, aad.ptr, aad.len)) {
        EVP_CIPHER_CTX_free(cctx);
        ERR_clear_error();
        return TK_ERR_CRYPTO_BACKEND;
    }
    tk_ossl_cipher_state *st = cipher_state(state);
    st->alg = alg;
    st->dir = dir;
    st->cctx = cctx;
    st->magic = TK_CRYPTO_CIPHER_MAGIC;
    return TK_OK;
}

tk_err tk_ossl_cipher_update(void *ctx, tk_crypto_cipher_state *state,
                             const uint8_t *in, size_t len, uint8_t *out)
{
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_ossl_cipher_state *st = cipher_state(state);
    if (st->magic != TK_CRYPTO_CIPHER_MAGIC) {
        return TK_ERR_STATE;
    }
    if (len > 0 && (in == NULL || out == NULL)) {
        tk_ossl_cipher_abort(ctx, state);
        return TK_ERR_INVALID_ARG;
    }
    if (!update_all(st->cctx, out, in, len)) {
        tk_ossl_cipher_abort(ctx, state);
        ERR_clear_error();
        return TK_ERR_CRYPTO_BACKEND;
    }
    return TK_OK;
}

/* Finishes AES-GCM or ChaCha20/Poly1305 in st: writes or checks the
 * tag. */
static tk_err aead_finish(tk_ossl_cipher_state *st, tk_view expected_tag,
                         uint8_t *tag_out, size_t tag_out_len)
{
    uint8_t tail[16];
    int tail_len = 0;

    if (st->dir == TK_CRYPTO_ENCRYPT) {
        if (tag_out == NULL || tag_out_len != TK_CRYPTO_AEAD_TAG_SIZE) {
            return TK_ERR_INVALID_ARG;
        }
        if (EVP_CipherFinal_ex(st->cctx, tail, &tail_len) != 1 ||
            EVP_CIPHER_CTX_ctrl(st->cctx, EVP_CTRL_AEAD_GET_TAG,
                                TK_CRYPTO_AEAD_TAG_SIZE, tag_out) != 1) {
            return TK_ERR_CRYPTO_BACKEND;
        }
        return TK_OK;
    }
    if (!tk_crypto_view_ok(expected_tag)) {
        return TK_ERR_INVALID_ARG;
    }
    if (expected_tag.len != TK_CRYPTO_AEAD_TAG_SIZE) {
        return TK_ERR_CRYPTO_INPUT_LENGTH;
    }
    if (EVP_CIPHER_CTX_ctrl(st->cctx, EVP_CTRL_AEAD_SET_TAG,
                            TK_CRYPTO_AEAD_TAG_SIZE,
                            (void *)expected_tag.ptr) != 1) {
        return TK_ERR_CRYPTO_BACKEND;
    }
    return EVP_CipherFinal_ex(st->cctx, tail, &tail_len) == 1
               ? TK_OK
               : TK_ERR_CRYPTO_TAG_INVALID;
}

tk_err tk_ossl_cipher_finish(void *ctx, tk_crypto_cipher_state *state,
                             tk_view expected_tag, uint8_t *tag_out,
                             size_t tag_out_len)
{
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_ossl_cipher_state *st = cipher_state(state);
    if (st->magic != TK_CRYPTO_CIPHER_MAGIC) {
        tk_ossl_cipher_abort(ctx, state);
        return TK_ERR_STATE;
    }
    tk_err err;
    if (stream_aead(st->alg)) {
        err = aead_finish(st, expected_tag, tag_out, tag_out_len);
    } else if (expected_tag.len > 0 || tag_out_len > 0) {
        err = TK_ERR_INVALID_ARG;
    } else {
        err = TK_OK;
    }
    ERR_clear_error();
    tk_ossl_cipher_abort(ctx, state);
    return err;
}

void tk_ossl_cipher_abort(void *ctx, tk_crypto_cipher_state *state)
{
    (void)ctx;
    if (state == NULL) {
        return;
    }
    tk_ossl_cipher_state *st = cipher_state(state);
    if (st->magic == TK_CRYPTO_CIPHER_MAGIC) {
        EVP_CIPHER_CTX_free(st->cctx);
    }
    tk_crypto_wipe(state, sizeof(*state));
}
