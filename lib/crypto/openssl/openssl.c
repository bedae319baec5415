/*
 * The OpenSSL 3 backend table: the frame functions (crypto_backend.h) on
 * the primitives of the other files of this folder, the algorithms and
 * curves of this backend, and random bytes.
 */
#include <limits.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "openssl_internal.h"

static bool ossl_has_curve(int32_t crv)
{
    return crv == TK_CRV_P256 || crv == TK_CRV_P384 ||
           crv == TK_CRV_X25519 || crv == TK_CRV_ED25519;
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

static const tk_crypto_primitives tk_ossl_primitives = {
    /* OpenSSL 3 has every algorithm that the frame's checks let through. */
    .has_alg = NULL,
    .has_curve = ossl_has_curve,
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
    TK_CRYPTO_FRAME_FUNCTIONS,
};

const tk_crypto *tk_crypto_openssl(void)
{
    return &tk_ossl_table;
}
