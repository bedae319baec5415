/*
 * SHA-2 hashing and HMAC for the OpenSSL backend, one-shot over parts and
 * streaming.
 *
 * The streaming state must live in caller memory of a fixed size and be
 * safe to abandon, which rules out EVP_MD_CTX (always heap-allocated). The
 * low-level SHA256_CTX and SHA512_CTX fit in the state and need no release.
 * OpenSSL 3.0 marks them deprecated but still ships them.
 */
/* NOTE: an OpenSSL built without deprecated APIs lacks these contexts. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/sha.h>

#include "openssl_internal.h"

/* Layout of tk_crypto_hash_state for this backend. */
typedef struct tk_ossl_hash_state {
    uint32_t magic;
    tk_alg alg;
    union {
        SHA256_CTX sha256;
        SHA512_CTX sha512; /* also SHA-384 */
    } u;
} tk_ossl_hash_state;

_Static_assert(sizeof(tk_ossl_hash_state) <= TK_CRYPTO_HASH_STATE_SIZE,
               "TK_CRYPTO_HASH_STATE_SIZE is too small for OpenSSL SHA-2");

/* Starts alg in st; returns TK_ERR_CRYPTO_UNSUPPORTED_ALG for non-SHA-2. */
static tk_err hash_init(tk_ossl_hash_state *st, tk_alg alg)
{
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
    st->alg = alg;
    st->magic = TK_CRYPTO_HASH_MAGIC;
    return TK_OK;
}

static void hash_feed(tk_ossl_hash_state *st, const uint8_t *data, size_t len)
{
    /* The low-level Update functions always return 1. */
    if (len == 0) {
        return;
    }
    if (st->alg == TK_ALG_SHA256) {
        (void)SHA256_Update(&st->u.sha256, data, len);
    } else if (st->alg == TK_ALG_SHA384) {
        (void)SHA384_Update(&st->u.sha512, data, len);
    } else {
        (void)SHA512_Update(&st->u.sha512, data, len);
    }
}

/* Writes the digest of st to md (room for its size) and wipes st. */
static void hash_final(tk_ossl_hash_state *st, uint8_t *md)
{
    if (st->alg == TK_ALG_SHA256) {
        (void)SHA256_Final(md, &st->u.sha256);
    } else if (st->alg == TK_ALG_SHA384) {
        (void)SHA384_Final(md, &st->u.sha512);
    } else {
        (void)SHA512_Final(md, &st->u.sha512);
    }
    tk_crypto_wipe(st, sizeof(*st));
}

tk_err tk_ossl_digest_parts(tk_alg alg, const tk_view *parts, size_t nparts,
                            uint8_t *md, size_t *md_len)
{
    tk_ossl_hash_state st;
    tk_err err = hash_init(&st, alg);

    if (err != TK_OK) {
        return err;
    }
    for (size_t i = 0; i < nparts; i++) {
        hash_feed(&st, parts[i].ptr, parts[i].len);
    }
    hash_final(&st, md);
    *md_len = tk_crypto_hash_size(alg);
    return TK_OK;
}

/*
 * HMAC (RFC 2104) over the same contexts: EVP_MAC would fetch the
 * algorithm and allocate a context on every call, which costs several times
 * the hashing of a short COSE MAC structure.
 */
tk_err tk_ossl_hmac_parts(tk_alg hash_alg, const uint8_t *key, size_t key_len,
                          const tk_view *parts, size_t nparts, uint8_t *tag)
{
    size_t block = hash_alg == TK_ALG_SHA256 ? 64 : 128;
    size_t md_len = tk_crypto_hash_size(hash_alg);
    uint8_t k0[128];
    uint8_t pad[128];
    uint8_t inner[TK_CRYPTO_MAX_HASH_SIZE];
    tk_ossl_hash_state st;
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
    err = hash_init(&st, hash_alg);
    if (err == TK_OK) {
        hash_feed(&st, pad, block);
        for (size_t i = 0; i < nparts; i++) {
            hash_feed(&st, parts[i].ptr, parts[i].len);
        }
        hash_final(&st, inner);

        /* tag = H((K0 ^ opad) || inner) */
        for (size_t i = 0; i < block; i++) {
            pad[i] = (uint8_t)(k0[i] ^ 0x5c);
        }
        err = hash_init(&st, hash_alg);
    }
    if (err == TK_OK) {
        hash_feed(&st, pad, block);
        hash_feed(&st, inner, md_len);
        hash_final(&st, tag);
    }
    tk_crypto_wipe(k0, sizeof(k0));
    tk_crypto_wipe(pad, sizeof(pad));
    tk_crypto_wipe(inner, sizeof(inner));
    tk_crypto_wipe(&st, sizeof(st));
    return err;
}

tk_err tk_ossl_hash(void *ctx, tk_alg alg, const tk_view *parts,
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
    size_t size = tk_crypto_hash_size(alg);
    if (alg != TK_ALG_SHA256 && alg != TK_ALG_SHA384 &&
        alg != TK_ALG_SHA512) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (digest_cap < size) {
        *digest_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    return tk_ossl_digest_parts(alg, parts, nparts, digest, digest_len);
}

tk_err tk_ossl_hash_start(void *ctx, tk_crypto_hash_state *state,
                          tk_alg alg)
{
    (void)ctx;
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_ossl_hash_state *st = (tk_ossl_hash_state *)state->opaque.bytes;
    tk_crypto_wipe(st, sizeof(*st));
    return hash_init(st, alg);
}

tk_err tk_ossl_hash_update(void *ctx, tk_crypto_hash_state *state,
                           const uint8_t *data, size_t len)
{
    if (state == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tk_ossl_hash_state *st = (tk_ossl_hash_state *)state->opaque.bytes;
    if (st->magic != TK_CRYPTO_HASH_MAGIC) {
        return TK_ERR_STATE;
    }
    if (data == NULL && len > 0) {
        tk_ossl_hash_abort(ctx, state);
        return TK_ERR_INVALID_ARG;
    }
    hash_feed(st, data, len);
    return TK_OK;
}

tk_err tk_ossl_hash_finish(void *ctx, tk_crypto_hash_state *state,
                           uint8_t *digest, size_t digest_cap,
                           size_t *digest_len)
{
    (void)ctx;
    if (state == NULL || digest == NULL || digest_len == NULL) {
        tk_ossl_hash_abort(ctx, state);
        return TK_ERR_INVALID_ARG;
    }
    *digest_len = 0;
    tk_ossl_hash_state *st = (tk_ossl_hash_state *)state->opaque.bytes;
    if (st->magic != TK_CRYPTO_HASH_MAGIC) {
        tk_ossl_hash_abort(ctx, state);
        return TK_ERR_STATE;
    }
    size_t size = tk_crypto_hash_size(st->alg);
    if (digest_cap < size) {
        tk_ossl_hash_abort(ctx, state);
        *digest_len = size;
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    hash_final(st, digest);
    *digest_len = size;
    return TK_OK;
}

void tk_ossl_hash_abort(void *ctx, tk_crypto_hash_state *state)
{
    (void)ctx;
    if (state != NULL) {
        tk_crypto_wipe(state, sizeof(*state));
    }
}
