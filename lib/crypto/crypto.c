/*
 * Backend-neutral helpers of the crypto interface: wiping, constant-time
 * comparison, key initialization and release, and algorithm sizes.
 */
#include "teepkit/crypto.h"

#include <string.h>

/*
 * A memset called through a volatile function pointer: the compiler cannot
 * prove which function runs, so it cannot drop the call as a dead store.
 * The pointer itself is never written, so this is not mutable state.
 */
static void *(*const volatile tk_memset_fn)(void *, int, size_t) = memset;

void tk_crypto_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0) {
        (void)tk_memset_fn(p, 0, len);
    }
}

bool tk_crypto_ct_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    /* The volatile accumulator keeps the compiler from stopping at the
     * first difference. Four bytes per step make a digest's compare a
     * quarter of the loads and stores. */
    volatile uint32_t diff = 0;
    size_t i = 0;

    for (; len - i >= 4; i += 4) {
        uint32_t x;
        uint32_t y;
        memcpy(&x, a + i, sizeof(x));
        memcpy(&y, b + i, sizeof(y));
        diff = diff | (x ^ y);
    }
    for (; i < len; i++) {
        diff = diff | (uint32_t)(a[i] ^ b[i]);
    }
    return diff == 0;
}

void tk_key_init(tk_key *key)
{
    if (key != NULL) {
        tk_crypto_wipe(key, sizeof(*key));
        key->kty = TK_KTY_NONE;
        key->crv = TK_CRV_NONE;
        key->kid = (tk_view){NULL, 0};
        key->backend = NULL;
        key->backend_free = NULL;
        key->backend_owner = NULL;
    }
}

tk_err tk_key_init_symmetric(tk_key *key, tk_view k)
{
    if (key == NULL || (k.ptr == NULL && k.len > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    tk_key_init(key);
    if (k.len == 0 || k.len > TK_CRYPTO_MAX_SYMMETRIC_SIZE) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    key->kty = TK_KTY_SYMMETRIC;
    memcpy(key->k, k.ptr, k.len);
    key->k_len = k.len;
    return TK_OK;
}

void tk_key_release(tk_key *key)
{
    if (key == NULL) {
        return;
    }
    if (key->backend != NULL && key->backend_free != NULL) {
        key->backend_free(key->backend);
    }
    tk_key_init(key);
}

tk_err tk_key_export_public(const tk_key *key, tk_key_params *params)
{
    if (key == NULL || params == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    memset(params, 0, sizeof(*params));
    if (!key->has_public ||
        (key->kty != TK_KTY_EC2 && key->kty != TK_KTY_OKP) ||
        key->coord_len == 0 || key->coord_len > TK_CRYPTO_MAX_COORD_SIZE) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    params->kty = key->kty;
    params->crv = key->crv;
    params->x = (tk_view){key->x, key->coord_len};
    if (key->kty == TK_KTY_EC2) {
        params->y = (tk_view){key->y, key->coord_len};
    }
    params->kid = key->kid;
    return TK_OK;
}

size_t tk_crypto_curve_size(int32_t crv)
{
    switch (crv) {
    case TK_CRV_P256:
    case TK_CRV_X25519:
    case TK_CRV_ED25519:
        return 32;
    case TK_CRV_P384:
        return 48;
    case TK_CRV_P521:
        return 66;
    case TK_CRV_X448:
        return 56;
    case TK_CRV_ED448:
        return 57;
    default:
        return 0;
    }
}

size_t tk_crypto_hash_size(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_SHA256:
    case TK_ALG_HMAC_256_64:
    case TK_ALG_HMAC_256_256:
        return 32;
    case TK_ALG_SHA384:
    case TK_ALG_HMAC_384_384:
        return 48;
    case TK_ALG_SHA512:
    case TK_ALG_HMAC_512_512:
        return 64;
    default:
        return 0;
    }
}

size_t tk_crypto_key_size(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_A128KW:
    case TK_ALG_A128GCM:
    case TK_ALG_A128CTR:
        return 16;
    case TK_ALG_A192KW:
    case TK_ALG_A192GCM:
    case TK_ALG_A192CTR:
        return 24;
    case TK_ALG_A256KW:
    case TK_ALG_A256GCM:
    case TK_ALG_A256CTR:
    case TK_ALG_CHACHA20_POLY1305:
        return 32;
    default:
        return 0;
    }
}

size_t tk_crypto_sig_size(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_ES256:
    case TK_ALG_ESP256:
    case TK_ALG_EDDSA:
    case TK_ALG_ED25519:
        return 64;
    case TK_ALG_ES384:
    case TK_ALG_ESP384:
        return 96;
    default:
        return 0;
    }
}

int32_t tk_crypto_sig_curve(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_ES256:
    case TK_ALG_ESP256:
        return TK_CRV_P256;
    case TK_ALG_ES384:
    case TK_ALG_ESP384:
        return TK_CRV_P384;
    case TK_ALG_EDDSA:
    case TK_ALG_ED25519:
        return TK_CRV_ED25519;
    default:
        return TK_CRV_NONE;
    }
}
