/*
 * AES key wrap (RFC 3394) for the Mbed TLS backend, on the AES block
 * function, because Debian builds Mbed TLS 2.28 without MBEDTLS_NIST_KW_C.
 *
 * The data is n 64-bit blocks R[1..n] plus the integrity register A.
 * Wrapping runs six passes of these steps, with t = n * j + i counting
 * them (RFC 3394 section 2.2.1, the index form):
 *   B = AES(K, A || R[i]), A = MSB64(B) ^ t, R[i] = LSB64(B). Unwrapping runs the steps backwards with AES decryption and then
 * compares A with the initial value A6A6A6A6A6A6A6A6 in constant time.
 */
#include <string.h>

#include <mbedtls/aes.h>

#include "mbedtls_internal.h"

/* Default initial value of RFC 3394 section 2.2.3.1. */
static const uint8_t kw_iv[8] = {0xa6, 0xa6, 0xa6, 0xa6,
                                 0xa6, 0xa6, 0xa6, 0xa6};

/* XORs the step counter t, big-endian, into the 8-byte register a. */
static void xor_counter(uint8_t *a, uint64_t t)
{
    for (int i = 7; i >= 0; i--) {
        a[i] ^= (uint8_t)(t & 0xff);
        t >>= 8;
    }
}

/* Wraps the n blocks already in r (n >= 2) in place; a receives A. */
static int kw_wrap_blocks(mbedtls_aes_context *aes, uint8_t *a, uint8_t *r,
                          size_t n)
{
    uint8_t b[16];
    int rc = 0;

    memcpy(a, kw_iv, 8);
    for (uint64_t j = 0; rc == 0 && j < 6; j++) {
        for (size_t i = 1; rc == 0 && i <= n; i++) {
            memcpy(b, a, 8);
            memcpy(b + 8, r + 8 * (i - 1), 8);
            rc = mbedtls_aes_crypt_ecb(aes, MBEDTLS_AES_ENCRYPT, b, b);
            memcpy(a, b, 8);
            xor_counter(a, n * j + i);
            memcpy(r + 8 * (i - 1), b + 8, 8);
        }
    }
    tk_crypto_wipe(b, sizeof(b));
    return rc;
}

/* Unwraps the n blocks in r in place, starting from the register a. */
static int kw_unwrap_blocks(mbedtls_aes_context *aes, uint8_t *a, uint8_t *r,
                            size_t n)
{
    uint8_t b[16];
    int rc = 0;

    for (uint64_t j = 6; rc == 0 && j-- > 0;) {
        for (size_t i = n; rc == 0 && i >= 1; i--) {
            memcpy(b, a, 8);
            xor_counter(b, n * j + i);
            memcpy(b + 8, r + 8 * (i - 1), 8);
            rc = mbedtls_aes_crypt_ecb(aes, MBEDTLS_AES_DECRYPT, b, b);
            memcpy(a, b, 8);
            memcpy(r + 8 * (i - 1), b + 8, 8);
        }
    }
    tk_crypto_wipe(b, sizeof(b));
    return rc;
}

/* Checks the arguments of wrap and unwrap; min is the shortest valid
 * input. Stores the output size in *size. */
static tk_err kw_check(tk_alg alg, const tk_key *kek, tk_view in, size_t min,
                       bool wrap, size_t out_cap, size_t *size)
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
    if (in.len < min || in.len % 8 != 0 ||
        in.len > SIZE_MAX - TK_CRYPTO_KW_OVERHEAD) {
        return TK_ERR_CRYPTO_INPUT_LENGTH;
    }
    *size = wrap ? in.len + TK_CRYPTO_KW_OVERHEAD
                 : in.len - TK_CRYPTO_KW_OVERHEAD;
    return out_cap < *size ? TK_ERR_BUFFER_TOO_SMALL : TK_OK;
}

tk_err tk_mbed_key_wrap(void *ctx, tk_alg alg, const tk_key *kek,
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

    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    /* memmove: out may be plain.ptr. */
    memmove(out + 8, plain.ptr, plain.len);
    int rc = mbedtls_aes_setkey_enc(&aes, kek->k,
                                    (unsigned int)(kek->k_len * 8));
    if (rc == 0) {
        rc = kw_wrap_blocks(&aes, out, out + 8, plain.len / 8);
    }
    mbedtls_aes_free(&aes);
    if (rc != 0) {
        tk_crypto_wipe(out, size);
        return TK_ERR_CRYPTO_BACKEND;
    }
    *out_len = size;
    return TK_OK;
}

tk_err tk_mbed_key_unwrap(void *ctx, tk_alg alg, const tk_key *kek,
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

    uint8_t a[8];
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    memcpy(a, wrapped.ptr, 8);
    memmove(out, wrapped.ptr + 8, size);
    int rc = mbedtls_aes_setkey_dec(&aes, kek->k,
                                    (unsigned int)(kek->k_len * 8));
    if (rc == 0) {
        rc = kw_unwrap_blocks(&aes, a, out, size / 8);
    }
    mbedtls_aes_free(&aes);
    if (rc != 0) {
        err = TK_ERR_CRYPTO_BACKEND;
    } else if (!tk_crypto_ct_equal(a, kw_iv, sizeof(a))) {
        err = TK_ERR_CRYPTO_UNWRAP_INVALID;
    }
    tk_crypto_wipe(a, sizeof(a));
    if (err != TK_OK) {
        tk_crypto_wipe(out, size);
        return err;
    }
    *out_len = size;
    return TK_OK;
}
