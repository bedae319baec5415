/*
 * Failing replacements for the Mbed TLS modules that the crypto backend
 * (lib/crypto/mbedtls) calls but the device configuration leaves out:
 * SHA-384/512 and ChaCha20/Poly1305. The backend calls them without a
 * configuration check, so without these the device image does not link.
 * Every public function of both modules is replaced (the self tests and
 * the deprecated names excepted), so that later backend code links too.
 *
 * Each replacement fails with the module's own error code, which the
 * backend reports as TK_ERR_CRYPTO_BACKEND. Contexts are only zeroed, so a
 * free after a failed start stays harmless.
 *
 * NOTE: the backend's supports() still reports SHA-384, SHA-512 and
 * ChaCha20/Poly1305 as available on this configuration.
 */
#include <string.h>

#include <mbedtls/chachapoly.h>
#include <mbedtls/sha512.h>

#if defined(MBEDTLS_SHA512_C) || defined(MBEDTLS_CHACHAPOLY_C)
#error "tk_mbedtls_absent.c replaces modules that this configuration enables"
#endif

void mbedtls_sha512_init(mbedtls_sha512_context *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

void mbedtls_sha512_free(mbedtls_sha512_context *ctx)
{
    if (ctx != NULL) {
        memset(ctx, 0, sizeof(*ctx));
    }
}

void mbedtls_sha512_clone(mbedtls_sha512_context *dst,
                          const mbedtls_sha512_context *src)
{
    *dst = *src;
}

int mbedtls_sha512_starts_ret(mbedtls_sha512_context *ctx, int is384)
{
    (void)ctx;
    (void)is384;
    return MBEDTLS_ERR_SHA512_BAD_INPUT_DATA;
}

int mbedtls_sha512_update_ret(mbedtls_sha512_context *ctx,
                              const unsigned char *input, size_t ilen)
{
    (void)ctx;
    (void)input;
    (void)ilen;
    return MBEDTLS_ERR_SHA512_BAD_INPUT_DATA;
}

int mbedtls_sha512_finish_ret(mbedtls_sha512_context *ctx,
                              unsigned char output[64])
{
    (void)ctx;
    (void)output;
    return MBEDTLS_ERR_SHA512_BAD_INPUT_DATA;
}

int mbedtls_internal_sha512_process(mbedtls_sha512_context *ctx,
                                    const unsigned char data[128])
{
    (void)ctx;
    (void)data;
    return MBEDTLS_ERR_SHA512_BAD_INPUT_DATA;
}

int mbedtls_sha512_ret(const unsigned char *input, size_t ilen,
                       unsigned char output[64], int is384)
{
    (void)input;
    (void)ilen;
    (void)output;
    (void)is384;
    return MBEDTLS_ERR_SHA512_BAD_INPUT_DATA;
}

void mbedtls_chachapoly_init(mbedtls_chachapoly_context *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

void mbedtls_chachapoly_free(mbedtls_chachapoly_context *ctx)
{
    if (ctx != NULL) {
        memset(ctx, 0, sizeof(*ctx));
    }
}

int mbedtls_chachapoly_setkey(mbedtls_chachapoly_context *ctx,
                              const unsigned char key[32])
{
    (void)ctx;
    (void)key;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
}

int mbedtls_chachapoly_starts(mbedtls_chachapoly_context *ctx,
                              const unsigned char nonce[12],
                              mbedtls_chachapoly_mode_t mode)
{
    (void)ctx;
    (void)nonce;
    (void)mode;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
}

int mbedtls_chachapoly_update_aad(mbedtls_chachapoly_context *ctx,
                                  const unsigned char *aad, size_t aad_len)
{
    (void)ctx;
    (void)aad;
    (void)aad_len;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
}

int mbedtls_chachapoly_update(mbedtls_chachapoly_context *ctx, size_t len,
                              const unsigned char *input,
                              unsigned char *output)
{
    (void)ctx;
    (void)len;
    (void)input;
    (void)output;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
}

int mbedtls_chachapoly_finish(mbedtls_chachapoly_context *ctx,
                              unsigned char mac[16])
{
    (void)ctx;
    (void)mac;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
}

int mbedtls_chachapoly_encrypt_and_tag(mbedtls_chachapoly_context *ctx,
                                       size_t length,
                                       const unsigned char nonce[12],
                                       const unsigned char *aad,
                                       size_t aad_len,
                                       const unsigned char *input,
                                       unsigned char *output,
                                       unsigned char tag[16])
{
    (void)ctx;
    (void)length;
    (void)nonce;
    (void)aad;
    (void)aad_len;
    (void)input;
    (void)output;
    (void)tag;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
}

int mbedtls_chachapoly_auth_decrypt(mbedtls_chachapoly_context *ctx,
                                    size_t length,
                                    const unsigned char nonce[12],
                                    const unsigned char *aad, size_t aad_len,
                                    const unsigned char tag[16],
                                    const unsigned char *input,
                                    unsigned char *output)
{
    (void)ctx;
    (void)length;
    (void)nonce;
    (void)aad;
    (void)aad_len;
    (void)tag;
    (void)input;
    (void)output;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
}
