/*
 * Symmetric primitives for the OpenSSL backend: AES key wrap, one-shot
 * AEAD and the streaming AES-CTR / AES-GCM / ChaCha20-Poly1305 cipher, all
 * through EVP.
 */
#include <limits.h>

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

/* Runs AES key wrap (wrap true) or unwrap of in into out. */
static tk_err kw_run(tk_alg alg, const tk_key *kek, tk_view in, uint8_t *out,
                     size_t out_len, bool wrap)
{
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
    int enc = wrap ? 1 : 0;
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
        err = wrap ? TK_ERR_CRYPTO_BACKEND : TK_ERR_CRYPTO_UNWRAP_INVALID;
        goto done;
    }
    if ((size_t)len1 + (size_t)len2 == out_len) {
        err = TK_OK;
    }
done:
    EVP_CIPHER_CTX_free(cctx);
    ERR_clear_error();
    return err;
}

/*
 * Encrypts or decrypts len bytes of in into out with an AEAD. Encrypting
 * writes the tag to tag; decrypting checks tag, and a mismatch gives
 * TK_ERR_CRYPTO_TAG_INVALID.
 */
static tk_err aead_run(tk_alg alg, const tk_key *key, tk_view iv,
                       tk_view aad, const uint8_t *in, size_t len,
                       uint8_t *out, uint8_t *tag, bool encrypt)
{
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
    int final_len = 0;

    if (cctx == NULL ||
        EVP_CipherInit_ex(cctx, evp_cipher(alg), NULL, key->k, iv.ptr,
                          encrypt ? 1 : 0) != 1 ||
        !update_all(cctx, NULL, aad.ptr, aad.len) ||
        !update_all(cctx, out, in, len)) {
        goto done;
    }
    if (encrypt) {
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

/* Layout of tk_crypto_cipher_state for this backend. */
typedef struct tk_ossl_cipher_state {
    tk_crypto_cipher_head head;
    EVP_CIPHER_CTX *cctx;
} tk_ossl_cipher_state;

_Static_assert(sizeof(tk_ossl_cipher_state) <= TK_CRYPTO_CIPHER_STATE_SIZE,
               "TK_CRYPTO_CIPHER_STATE_SIZE is too small for OpenSSL");

static tk_ossl_cipher_state *cipher_state(tk_crypto_cipher_state *state)
{
    return (tk_ossl_cipher_state *)state->opaque.bytes;
}

static tk_err cipher_start(tk_crypto_cipher_state *state, tk_alg alg,
                           const tk_key *key, tk_view iv, tk_view aad,
                           tk_crypto_dir dir)
{
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
    cipher_state(state)->cctx = cctx;
    return TK_OK;
}

static tk_err cipher_update(tk_crypto_cipher_state *state, const uint8_t *in,
                            size_t len, uint8_t *out)
{
    if (!update_all(cipher_state(state)->cctx, out, in, len)) {
        ERR_clear_error();
        return TK_ERR_CRYPTO_BACKEND;
    }
    return TK_OK;
}

/* Finishes AES-GCM or ChaCha20/Poly1305. Writes the tag to tag_out when
 * encrypting, or checks expected_tag when decrypting. */
static tk_err cipher_finish(tk_crypto_cipher_state *state, uint8_t *tag_out,
                            const uint8_t *expected_tag)
{
    EVP_CIPHER_CTX *cctx = cipher_state(state)->cctx;
    uint8_t tail[16];
    int tail_len = 0;
    tk_err err = TK_ERR_CRYPTO_BACKEND;

    if (tag_out != NULL) {
        if (EVP_CipherFinal_ex(cctx, tail, &tail_len) == 1 &&
            EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_GET_TAG,
                                TK_CRYPTO_AEAD_TAG_SIZE, tag_out) == 1) {
            err = TK_OK;
        }
    } else if (EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_SET_TAG,
                                   TK_CRYPTO_AEAD_TAG_SIZE,
                                   (void *)expected_tag) == 1) {
        err = EVP_CipherFinal_ex(cctx, tail, &tail_len) == 1
                  ? TK_OK
                  : TK_ERR_CRYPTO_TAG_INVALID;
    }
    ERR_clear_error();
    return err;
}

static void cipher_release(tk_crypto_cipher_state *state)
{
    EVP_CIPHER_CTX_free(cipher_state(state)->cctx);
}

const tk_crypto_cipher_primitives tk_ossl_cipher_primitives = {
    /* EVP takes the whole input as one int, with room for the block that
     * wrapping adds. */
    .kw_max_input = INT_MAX - 16,
    .kw = kw_run,
    .aead_max_input = SIZE_MAX - TK_CRYPTO_AEAD_TAG_SIZE,
    .aead = aead_run,
    .start = cipher_start,
    .update = cipher_update,
    .finish = cipher_finish,
    .release = cipher_release,
};
