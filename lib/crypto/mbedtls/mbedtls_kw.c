/*
 * AES key wrap (RFC 3394) for the Mbed TLS backend, on the AES block
 * function, because Debian builds Mbed TLS 2.28 without MBEDTLS_NIST_KW_C.
 *
 * The data is n 64-bit blocks R[1..n] plus the integrity register A.
 * Wrapping runs six passes of these steps, with t = n * j + i counting
 * them (RFC 3394 section 2.2.1, the index form):
 *   B = AES(K, A || R[i]), A = MSB64(B) ^ t, R[i] = LSB64(B).
 * Unwrapping runs the steps backwards with AES decryption and then
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

/* Wraps in (plain key) into out, which may be in.ptr. */
static tk_err kw_wrap(const tk_key *kek, tk_view in, uint8_t *out)
{
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    /* memmove: out may be in.ptr. */
    memmove(out + 8, in.ptr, in.len);
    int rc = mbedtls_aes_setkey_enc(&aes, kek->k,
                                    (unsigned int)(kek->k_len * 8));
    if (rc == 0) {
        rc = kw_wrap_blocks(&aes, out, out + 8, in.len / 8);
    }
    mbedtls_aes_free(&aes);
    return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
}

/* Unwraps in (wrapped key) into the size bytes of out, which may be
 * in.ptr. */
static tk_err kw_unwrap(const tk_key *kek, tk_view in, uint8_t *out,
                        size_t size)
{
    tk_err err = TK_OK;
    uint8_t a[8];
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    memcpy(a, in.ptr, 8);
    memmove(out, in.ptr + 8, size);
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
    return err;
}

tk_err tk_mbed_kw(tk_alg alg, const tk_key *kek, tk_view in, uint8_t *out,
                  size_t out_len, bool wrap)
{
    (void)alg; /* the key length selects AES-128, AES-192 or AES-256 */
    return wrap ? kw_wrap(kek, in, out) : kw_unwrap(kek, in, out, out_len);
}
