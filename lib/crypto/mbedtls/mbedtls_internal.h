/*
 * Internal declarations shared by the files of the Mbed TLS 2.28 backend.
 * The backend is plain C11 with no POSIX calls, so it also builds for
 * Cortex-M from Mbed TLS sources.
 */
#ifndef TK_CRYPTO_MBEDTLS_INTERNAL_H
#define TK_CRYPTO_MBEDTLS_INTERNAL_H

#include <mbedtls/ecp.h>

#include "crypto_backend.h"

/*
 * What the Mbed TLS configuration provides, as 0 or 1, so that the backend
 * compiles against a device configuration that leaves modules out (for
 * example embedded/mbedtls/tk_mbedtls_config.h). An algorithm or curve
 * left out gives TK_ERR_CRYPTO_UNSUPPORTED_ALG, from supports() too.
 */
#if defined(MBEDTLS_SHA512_C)
#define TK_MBED_SHA512 1 /* SHA-384 and SHA-512 */
#else
#define TK_MBED_SHA512 0
#endif
#if defined(MBEDTLS_CHACHAPOLY_C)
#define TK_MBED_CHACHAPOLY 1
#else
#define TK_MBED_CHACHAPOLY 0
#endif
#if defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
#define TK_MBED_P256 1
#else
#define TK_MBED_P256 0
#endif
#if defined(MBEDTLS_ECP_DP_SECP384R1_ENABLED)
#define TK_MBED_P384 1
#else
#define TK_MBED_P384 0
#endif
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
#define TK_MBED_X25519 1
#else
#define TK_MBED_X25519 0
#endif

/* Random generator for Mbed TLS calls that take f_rng and p_rng: the
 * backend's CTR_DRBG. ctx is the table's ctx member. */
int tk_mbed_rng(void *ctx, unsigned char *out, size_t len);

/* Primitives of the frame (crypto_backend.h), one group per file. */
extern const tk_crypto_hash_primitives tk_mbed_hash_primitives;
extern const tk_crypto_sig_primitives tk_mbed_sig_primitives;
extern const tk_crypto_key_primitives tk_mbed_key_primitives;
extern const tk_crypto_cipher_primitives tk_mbed_cipher_primitives;

/* Key wrap primitive (mbedtls_kw.c) of tk_mbed_cipher_primitives. */
tk_err tk_mbed_kw(tk_alg alg, const tk_key *kek, tk_view in, uint8_t *out,
                  size_t out_len, bool wrap);

/*
 * Hashes the concatenation of parts with a SHA-2 alg into md (room for
 * TK_CRYPTO_MAX_HASH_SIZE bytes) and stores the digest size in *md_len.
 */
tk_err tk_mbed_digest_parts(tk_alg alg, const tk_view *parts, size_t nparts,
                            uint8_t *md, size_t *md_len);

/* Mbed TLS group of a curve this backend supports, MBEDTLS_ECP_DP_NONE
 * for others (Ed25519 among them: Mbed TLS 2.28 has no EdDSA). */
mbedtls_ecp_group_id tk_mbed_group(int32_t crv);

/*
 * Loads the raw fields of key into kp (initialized by the caller): the
 * group, the public point when key has one, and the private scalar when
 * private_needed. Checks the point and scalar against the curve, except
 * that an X25519 public key is any 32 bytes (RFC 7748 section 5).
 */
tk_err tk_mbed_keypair_load(const tk_key *key, bool private_needed,
                            mbedtls_ecp_keypair *kp);

#endif /* TK_CRYPTO_MBEDTLS_INTERNAL_H */
