/*
 * The OpenSSL 3 backend table: capability query, random bytes, the
 * primitives of the other files of this folder, and the frame functions
 * (crypto_backend.h) that run them.
 */
#include <limits.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "openssl_internal.h"

static tk_err ossl_supports(void *ctx, tk_alg alg, int32_t crv)
{
    (void)ctx;
    bool curve_ok = crv == TK_CRV_NONE || crv == TK_CRV_P256 ||
                    crv == TK_CRV_P384 || crv == TK_CRV_X25519 ||
                    crv == TK_CRV_ED25519;
    if (!curve_ok) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (tk_crypto_alg_is_ecdsa(alg) || tk_crypto_alg_is_eddsa(alg)) {
        return crv == TK_CRV_NONE || crv == tk_crypto_sig_curve(alg)
                   ? TK_OK
                   : TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    switch (alg) {
    case TK_ALG_NONE:
        return crv != TK_CRV_NONE ? TK_OK : TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    case TK_ALG_SHA256:
    case TK_ALG_SHA384:
    case TK_ALG_SHA512:
    case TK_ALG_HMAC_256_64:
    case TK_ALG_HMAC_256_256:
    case TK_ALG_HMAC_384_384:
    case TK_ALG_HMAC_512_512:
    case TK_ALG_A128KW:
    case TK_ALG_A192KW:
    case TK_ALG_A256KW:
    case TK_ALG_A128GCM:
    case TK_ALG_A192GCM:
    case TK_ALG_A256GCM:
    case TK_ALG_CHACHA20_POLY1305:
    case TK_ALG_A128CTR:
    case TK_ALG_A192CTR:
    case TK_ALG_A256CTR:
        return crv == TK_CRV_NONE ? TK_OK : TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    default:
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
}

static tk_err ossl_random(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    if (RAND_bytes(out, (int)len) != 1) {
        ERR_clear_error();
        return TK_ERR_CRYPTO_RANDOM;
    }
    return TK_OK;
}

/* OpenSSL 3 has every algorithm that the frame's checks let through. */
static const tk_crypto_primitives tk_ossl_primitives = {
    .has_alg = NULL,
    .random_max_request = INT_MAX, /* RAND_bytes takes an int length */
    .random = ossl_random,
    .hash = &tk_ossl_hash_primitives,
    .sig = &tk_ossl_sig_primitives,
    .key = &tk_ossl_key_primitives,
    .cipher = &tk_ossl_cipher_primitives,
};

/* The table's ctx: constant, and never written through. */
static const tk_crypto_backend_ctx tk_ossl_ctx = {&tk_ossl_primitives};

static const tk_crypto tk_ossl_table = {
    .ctx = (void *)&tk_ossl_ctx,
    .name = "openssl",
    .supports = ossl_supports,
    TK_CRYPTO_FRAME_FUNCTIONS,
};

const tk_crypto *tk_crypto_openssl(void)
{
    return &tk_ossl_table;
}
