/*
 * ECDSA signature primitives (P-256, P-384) of the Mbed TLS backend. Mbed
 * TLS 2.28 has no EdDSA, so EdDSA and Ed25519 give
 * TK_ERR_CRYPTO_UNSUPPORTED_ALG.
 *
 * Mbed TLS works on r and s as numbers, so the r||s form of COSE needs no
 * DER conversion here. Signing is deterministic (RFC 6979) with the DRBG
 * used only to blind the computation, which keeps a weak device RNG from
 * leaking the key through the nonce.
 */
#include <mbedtls/ecdsa.h>

#include "mbedtls_internal.h"

/* Mbed TLS digest type of an ECDSA alg, for RFC 6979 nonces. */
static mbedtls_md_type_t ecdsa_md(tk_alg alg)
{
    return tk_crypto_ecdsa_hash(alg) == TK_ALG_SHA384 ? MBEDTLS_MD_SHA384
                                                      : MBEDTLS_MD_SHA256;
}

static tk_err sign_parts(void *ctx, tk_alg alg, const tk_key *key,
                         const tk_view *parts, size_t nparts, uint8_t *sig)
{
    uint8_t md[TK_CRYPTO_MAX_HASH_SIZE];
    size_t md_len = 0;
    tk_err err = tk_mbed_digest_parts(tk_crypto_ecdsa_hash(alg), parts,
                                      nparts, md, &md_len);
    if (err != TK_OK) {
        return err;
    }

    mbedtls_ecp_keypair kp;
    mbedtls_mpi r;
    mbedtls_mpi s;
    size_t n = key->coord_len;
    mbedtls_ecp_keypair_init(&kp);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    err = tk_mbed_keypair_load(key, true, &kp);
    if (err == TK_OK) {
        int rc = mbedtls_ecdsa_sign_det_ext(&kp.grp, &r, &s, &kp.d, md,
                                            md_len, ecdsa_md(alg),
                                            tk_mbed_rng, ctx);
        if (rc == 0) {
            rc = mbedtls_mpi_write_binary(&r, sig, n);
        }
        if (rc == 0) {
            rc = mbedtls_mpi_write_binary(&s, sig + n, n);
        }
        err = rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
    }
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_keypair_free(&kp);
    return err;
}

static tk_err verify_parts(void *ctx, tk_alg alg, const tk_key *key,
                           const tk_view *parts, size_t nparts, tk_view sig)
{
    (void)ctx;
    size_t n = key->coord_len;
    mbedtls_ecp_keypair kp;
    mbedtls_ecp_keypair_init(&kp);
    tk_err err = tk_mbed_keypair_load(key, false, &kp);
    if (err != TK_OK) {
        mbedtls_ecp_keypair_free(&kp);
        return err;
    }

    uint8_t md[TK_CRYPTO_MAX_HASH_SIZE];
    size_t md_len = 0;
    mbedtls_mpi r;
    mbedtls_mpi s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    err = tk_mbed_digest_parts(tk_crypto_ecdsa_hash(alg), parts, nparts, md,
                               &md_len);
    if (err == TK_OK) {
        if (mbedtls_mpi_read_binary(&r, sig.ptr, n) != 0 ||
            mbedtls_mpi_read_binary(&s, sig.ptr + n, n) != 0) {
            err = TK_ERR_CRYPTO_BACKEND;
        } else {
            /* Any failure, r or s out of range included, is a signature
             * that does not verify. */
            int rc = mbedtls_ecdsa_verify(&kp.grp, md, md_len, &kp.Q, &r, &s);
            err = rc == 0 ? TK_OK : TK_ERR_CRYPTO_SIGNATURE_INVALID;
        }
    }
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_keypair_free(&kp);
    return err;
}

const tk_crypto_sig_primitives tk_mbed_sig_primitives = {
    .sign = sign_parts,
    .verify = verify_parts,
};
