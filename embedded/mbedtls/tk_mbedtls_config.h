/*
 * Mbed TLS 2.28 configuration of the teepkit device build, passed to every
 * Mbed TLS and backend source as MBEDTLS_CONFIG_FILE. It replaces the
 * library's default config.h, so everything not enabled here is left out.
 *
 * Enabled: ECDSA P-256 sign (deterministic, RFC 6979) and verify, ECDH
 * P-256, SHA-256, HMAC, HKDF, AES with CTR and GCM, CTR_DRBG seeded from
 * one device entropy callback. AES key wrap comes from the backend's own
 * RFC 3394 code on the AES block (lib/crypto/mbedtls/mbedtls_kw.c).
 *
 * Left out: threading, file system, network, time, standard library
 * allocation, SHA-384/512, ChaCha20/Poly1305, P-384, Curve25519, RSA,
 * X.509, TLS. The backend reads this file too: it compiles without the
 * left-out modules, and its supports() and every call that needs one
 * answer TK_ERR_CRYPTO_UNSUPPORTED_ALG.
 *
 * Memory: Mbed TLS allocates its bignums from a caller-supplied static
 * arena (MBEDTLS_MEMORY_BUFFER_ALLOC_C), given with
 * mbedtls_memory_buffer_alloc_init() before the first crypto call; newlib's
 * malloc is never linked.
 */
#ifndef TK_MBEDTLS_CONFIG_H
#define TK_MBEDTLS_CONFIG_H

/* ---- System ----------------------------------------------------------- */

/* Thumb-2 assembly for the bignum multiply loops (bn_mul.h). */
#define MBEDTLS_HAVE_ASM

/* No operating system: no clock, no /dev/urandom, no stdio, no libc
 * allocator. */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* Keep the allocator's 4-byte alignment explicit (the default on a 32-bit
 * target). */
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 4
/* The buffer allocator stops the program when it finds its arena
 * corrupted. On a device that is a reset, which the device supplies as
 * tk_dev_mbedtls_exit() (embedded/platform/tk_dev_crypto.c). */
#define MBEDTLS_PLATFORM_EXIT_MACRO tk_dev_mbedtls_exit
_Noreturn void tk_dev_mbedtls_exit(int status);

/* ---- Hashes, MAC, key derivation -------------------------------------- */

#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
/* Rolled-up SHA-256 compression loop: smaller code, somewhat slower. */
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_HKDF_C

/* ---- Symmetric ciphers ------------------------------------------------ */

#define MBEDTLS_AES_C
/* AES tables in flash (const) instead of being computed into RAM, and one
 * table instead of four (2 KiB instead of 8 KiB). */
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CIPHER_MODE_CTR
#define MBEDTLS_CIPHER_C
#define MBEDTLS_GCM_C

/* ---- Elliptic curves -------------------------------------------------- */

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* Small comb window and no precomputed fixed-point table: less RAM in the
 * arena and less code, slower scalar multiplications. */
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_ECDH_C
/* ECDSA_C needs the ASN.1 helpers even though the backend uses the raw
 * r||s form. */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C

/* ---- Random numbers --------------------------------------------------- */

#define MBEDTLS_ENTROPY_C
#define MBEDTLS_ENTROPY_FORCE_SHA256
/* The device source added by tk_crypto_mbedtls_set_entropy() and room for
 * one more. */
#define MBEDTLS_ENTROPY_MAX_SOURCES 2
#define MBEDTLS_CTR_DRBG_C

#include "mbedtls/check_config.h"

#endif /* TK_MBEDTLS_CONFIG_H */
