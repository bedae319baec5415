/*
 * SHA-2 hashing, HMAC and HKDF primitives of the OpenSSL backend.
 *
 * The streaming state must live in caller memory of a fixed size and be
 * safe to abandon, which rules out EVP_MD_CTX (always heap-allocated). The
 * low-level SHA256_CTX and SHA512_CTX fit in the state and need no release.
 * OpenSSL 3.0 marks them deprecated but still ships them.
 */
/* NOTE: an OpenSSL built without deprecated APIs lacks these contexts. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

#include "openssl_internal.h"

/* Layout of tk_crypto_hash_state for this backend. */
typedef struct tk_ossl_hash_state {
    tk_crypto_hash_head head;
    union {
        SHA256_CTX sha256;
        SHA512_CTX sha512; /* also SHA-384 */
    } u;
} tk_ossl_hash_state;

_Static_assert(sizeof(tk_ossl_hash_state) <= TK_CRYPTO_HASH_STATE_SIZE,
               "TK_CRYPTO_HASH_STATE_SIZE is too small for OpenSSL SHA-2");

static tk_ossl_hash_state *hash_state(tk_crypto_hash_state *state)
{
    return (tk_ossl_hash_state *)state->opaque.bytes;
}

/* Starts alg in state. Returns TK_ERR_CRYPTO_UNSUPPORTED_ALG for
 * non-SHA-2. */
static tk_err hash_start(tk_crypto_hash_state *state, tk_alg alg)
{
    tk_ossl_hash_state *st = hash_state(state);
    int ok;

    switch (alg) {
    case TK_ALG_SHA256:
        ok = SHA256_Init(&st->u.sha256);
        break;
    case TK_ALG_SHA384:
        ok = SHA384_Init(&st->u.sha512);
        break;
    case TK_ALG_SHA512:
        ok = SHA512_Init(&st->u.sha512);
        break;
    default:
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (ok != 1) {
        return TK_ERR_CRYPTO_BACKEND;
    }
    st->head.alg = alg;
    return TK_OK;
}

static tk_err hash_update(tk_crypto_hash_state *state, const uint8_t *data,
                          size_t len)
{
    tk_ossl_hash_state *st = hash_state(state);

    /* The low-level Update functions always return 1. */
    if (len == 0) {
        return TK_OK;
    }
    if (st->head.alg == TK_ALG_SHA256) {
        (void)SHA256_Update(&st->u.sha256, data, len);
    } else if (st->head.alg == TK_ALG_SHA384) {
        (void)SHA384_Update(&st->u.sha512, data, len);
    } else {
        (void)SHA512_Update(&st->u.sha512, data, len);
    }
    return TK_OK;
}

/* Writes the digest of state to md (room for its size) and wipes state. */
static tk_err hash_finish(tk_crypto_hash_state *state, uint8_t *md)
{
    tk_ossl_hash_state *st = hash_state(state);

    if (st->head.alg == TK_ALG_SHA256) {
        (void)SHA256_Final(md, &st->u.sha256);
    } else if (st->head.alg == TK_ALG_SHA384) {
        (void)SHA384_Final(md, &st->u.sha512);
    } else {
        (void)SHA512_Final(md, &st->u.sha512);
    }
    tk_crypto_wipe(st, sizeof(*st));
    return TK_OK;
}

tk_err tk_ossl_digest_parts(tk_alg alg, const tk_view *parts, size_t nparts,
                            uint8_t *md, size_t *md_len)
{
    tk_crypto_hash_state st;
    tk_err err = hash_start(&st, alg);

    if (err != TK_OK) {
        return err;
    }
    for (size_t i = 0; i < nparts; i++) {
        (void)hash_update(&st, parts[i].ptr, parts[i].len);
    }
    (void)hash_finish(&st, md);
    *md_len = tk_crypto_hash_size(alg);
    return TK_OK;
}

/*
 * HMAC (RFC 2104) over the same contexts: EVP_MAC would fetch the
 * algorithm and allocate a context on every call, which costs several times
 * the hashing of a short COSE MAC structure.
 */
static tk_err hmac_parts(tk_alg hash_alg, const uint8_t *key, size_t key_len,
                         const tk_view *parts, size_t nparts, uint8_t *tag)
{
    size_t block = hash_alg == TK_ALG_SHA256 ? 64 : 128;
    size_t md_len = tk_crypto_hash_size(hash_alg);
    uint8_t k0[128];
    uint8_t pad[128];
    uint8_t inner[TK_CRYPTO_MAX_HASH_SIZE];
    tk_crypto_hash_state st;
    tk_err err;

    /* K0: the key, or its hash when longer than a block, zero-padded. */
    memset(k0, 0, sizeof(k0));
    if (key_len > block) {
        tk_view whole = {key, key_len};
        size_t len;
        err = tk_ossl_digest_parts(hash_alg, &whole, 1, k0, &len);
        if (err != TK_OK) {
            return err;
        }
    } else if (key_len > 0) {
        memcpy(k0, key, key_len);
    }

    /* inner = H((K0 ^ ipad) || message) */
    for (size_t i = 0; i < block; i++) {
        pad[i] = (uint8_t)(k0[i] ^ 0x36);
    }
    err = hash_start(&st, hash_alg);
    if (err == TK_OK) {
        (void)hash_update(&st, pad, block);
        for (size_t i = 0; i < nparts; i++) {
            (void)hash_update(&st, parts[i].ptr, parts[i].len);
        }
        (void)hash_finish(&st, inner);

        /* tag = H((K0 ^ opad) || inner) */
        for (size_t i = 0; i < block; i++) {
            pad[i] = (uint8_t)(k0[i] ^ 0x5c);
        }
        err = hash_start(&st, hash_alg);
    }
    if (err == TK_OK) {
        (void)hash_update(&st, pad, block);
        (void)hash_update(&st, inner, md_len);
        (void)hash_finish(&st, tag);
    }
    tk_crypto_wipe(k0, sizeof(k0));
    tk_crypto_wipe(pad, sizeof(pad));
    tk_crypto_wipe(inner, sizeof(inner));
    tk_crypto_wipe(&st, sizeof(st));
    return err;
}

/* OpenSSL digest name of a SHA-2 alg. */
static const char *digest_name(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_SHA256:
        return "SHA256";
    case TK_ALG_SHA384:
        return "SHA384";
    default:
        return "SHA512";
    }
}

static tk_err hkdf(tk_alg hash_alg, tk_view salt, tk_view ikm, tk_view info,
                   uint8_t *out, size_t out_len)
{
    static const uint8_t empty[1] = {0};
    OSSL_PARAM params[5];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(
        OSSL_KDF_PARAM_DIGEST, (char *)digest_name(hash_alg), 0);
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_KEY, (void *)(ikm.len > 0 ? ikm.ptr : empty), ikm.len);
    if (salt.len > 0) {
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_SALT, (void *)salt.ptr, salt.len);
    }
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_INFO, (void *)(info.len > 0 ? info.ptr : empty),
        info.len);
    params[n] = OSSL_PARAM_construct_end();

    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    if (kctx != NULL && EVP_KDF_derive(kctx, out, out_len, params) == 1) {
        err = TK_OK;
    }
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    ERR_clear_error();
    return err;
}

const tk_crypto_hash_primitives tk_ossl_hash_primitives = {
    .start = hash_start,
    .update = hash_update,
    .finish = hash_finish,
    .digest = tk_ossl_digest_parts,
    .hmac = hmac_parts,
    .hkdf = hkdf,
};
