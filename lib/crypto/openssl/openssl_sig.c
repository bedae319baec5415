/*
 * Signature primitives of the OpenSSL backend: ECDSA (P-256, P-384) over a
 * list of parts and pure Ed25519.
 *
 * COSE carries ECDSA signatures as r||s (RFC 9053 section 2.1) while
 * OpenSSL takes and returns DER. Verification builds the DER form on the
 * stack, so the verify path allocates only the EVP_PKEY_CTX that OpenSSL
 * requires. The digest uses the low-level SHA-2 code without EVP fetches.
 */
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>

#include "openssl_internal.h"

/* DER of SEQUENCE { INTEGER r, INTEGER s } for P-384: 2 + 2 * (2 + 49). */
#define TK_OSSL_MAX_DER_SIG 104

/*
 * Writes the DER INTEGER of the n-byte big-endian unsigned value v to out
 * and returns its length, at most n + 3 bytes. Leading zero bytes are
 * dropped (one is kept for zero). A zero byte is added when the top bit is
 * set, so the value stays positive.
 */
static size_t der_integer(uint8_t *out, const uint8_t *v, size_t n)
{
    size_t skip = 0;

    while (skip + 1 < n && v[skip] == 0) {
        skip++;
    }
    size_t len = n - skip;
    bool pad = (v[skip] & 0x80) != 0;
    size_t body = len + (pad ? 1 : 0);

    out[0] = 0x02;
    out[1] = (uint8_t)body;
    size_t pos = 2;
    if (pad) {
        out[pos++] = 0x00;
    }
    memcpy(out + pos, v + skip, len);
    return pos + len;
}

/* Converts the r||s signature (2 * n bytes) to DER in out and returns the
 * length. With n at most 48, every length fits in one byte. */
static size_t p1363_to_der(const uint8_t *sig, size_t n, uint8_t *out)
{
    size_t len = 2;

    len += der_integer(out + len, sig, n);
    len += der_integer(out + len, sig + n, n);
    out[0] = 0x30;
    out[1] = (uint8_t)(len - 2);
    return len;
}

/* Converts the DER signature from OpenSSL to r||s (2 * n bytes). */
static tk_err der_to_p1363(const uint8_t *der, size_t der_len, size_t n,
                           uint8_t *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r;
    const BIGNUM *s;
    tk_err err = TK_ERR_CRYPTO_BACKEND;

    if (sig != NULL) {
        ECDSA_SIG_get0(sig, &r, &s);
        if (BN_bn2binpad(r, out, (int)n) == (int)n &&
            BN_bn2binpad(s, out + n, (int)n) == (int)n) {
            err = TK_OK;
        }
        ECDSA_SIG_free(sig);
    }
    ERR_clear_error();
    return err;
}

/* Signs the digest md with the EC key pkey and writes r||s to out. */
static tk_err ecdsa_sign(EVP_PKEY *pkey, const uint8_t *md, size_t md_len,
                         size_t n, uint8_t *out)
{
    uint8_t der[TK_OSSL_MAX_DER_SIG];
    size_t der_len = sizeof(der);
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

    if (pctx != NULL && EVP_PKEY_sign_init(pctx) == 1 &&
        EVP_PKEY_sign(pctx, der, &der_len, md, md_len) == 1) {
        err = der_to_p1363(der, der_len, n, out);
    }
    EVP_PKEY_CTX_free(pctx);
    ERR_clear_error();
    return err;
}

/* Signs msg with the Ed25519 key pkey into out (64 bytes). */
static tk_err eddsa_sign(EVP_PKEY *pkey, tk_view msg, uint8_t *out)
{
    size_t len = 64;
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    static const uint8_t empty[1] = {0};
    const uint8_t *data = msg.ptr != NULL ? msg.ptr : empty;

    if (mctx != NULL &&
        EVP_DigestSignInit_ex(mctx, NULL, NULL, NULL, NULL, pkey, NULL) ==
            1 &&
        EVP_DigestSign(mctx, out, &len, data, msg.len) == 1 && len == 64) {
        err = TK_OK;
    }
    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return err;
}

/* Verifies the r||s signature sig over the digest md with pkey. */
static tk_err ecdsa_verify(EVP_PKEY *pkey, const uint8_t *md, size_t md_len,
                           tk_view sig, size_t n)
{
    uint8_t der[TK_OSSL_MAX_DER_SIG];
    size_t der_len = p1363_to_der(sig.ptr, n, der);
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

    if (pctx != NULL && EVP_PKEY_verify_init(pctx) == 1) {
        /* 1 is a valid signature. 0 is a mismatch, and a negative value
         * covers r or s out of range: both are a signature failure. */
        int rc = EVP_PKEY_verify(pctx, der, der_len, md, md_len);
        err = rc == 1 ? TK_OK : TK_ERR_CRYPTO_SIGNATURE_INVALID;
    }
    EVP_PKEY_CTX_free(pctx);
    ERR_clear_error();
    return err;
}

/* Verifies the Ed25519 signature sig over msg with pkey. */
static tk_err eddsa_verify(EVP_PKEY *pkey, tk_view msg, tk_view sig)
{
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    static const uint8_t empty[1] = {0};
    const uint8_t *data = msg.ptr != NULL ? msg.ptr : empty;

    if (mctx != NULL &&
        EVP_DigestVerifyInit_ex(mctx, NULL, NULL, NULL, NULL, pkey, NULL) ==
            1) {
        int rc = EVP_DigestVerify(mctx, sig.ptr, sig.len, data, msg.len);
        err = rc == 1 ? TK_OK : TK_ERR_CRYPTO_SIGNATURE_INVALID;
    }
    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return err;
}

/*
 * Signs parts with key into out when out is not NULL, and otherwise
 * verifies sig over parts with key.
 */
static tk_err sign_or_verify(tk_alg alg, const tk_key *key,
                             const tk_view *parts, size_t nparts,
                             uint8_t *out, tk_view sig)
{
    bool signing = out != NULL;
    EVP_PKEY *pkey;
    bool temporary;
    tk_err err = tk_ossl_pkey_get(key, signing, &pkey, &temporary);
    if (err != TK_OK) {
        return err;
    }
    if (tk_crypto_alg_is_eddsa(alg)) {
        tk_view msg = nparts == 1 ? parts[0] : (tk_view){NULL, 0};
        err = signing ? eddsa_sign(pkey, msg, out)
                      : eddsa_verify(pkey, msg, sig);
    } else {
        uint8_t md[TK_CRYPTO_MAX_HASH_SIZE];
        size_t md_len;
        size_t n = key->coord_len;
        err = tk_ossl_digest_parts(tk_crypto_ecdsa_hash(alg), parts, nparts,
                                   md, &md_len);
        if (err == TK_OK) {
            err = signing ? ecdsa_sign(pkey, md, md_len, n, out)
                          : ecdsa_verify(pkey, md, md_len, sig, n);
        }
    }
    if (temporary) {
        EVP_PKEY_free(pkey);
    }
    return err;
}

static tk_err sign_parts(void *ctx, tk_alg alg, const tk_key *key,
                         const tk_view *parts, size_t nparts, uint8_t *sig)
{
    (void)ctx;
    return sign_or_verify(alg, key, parts, nparts, sig, (tk_view){NULL, 0});
}

static tk_err verify_parts(void *ctx, tk_alg alg, const tk_key *key,
                           const tk_view *parts, size_t nparts, tk_view sig)
{
    (void)ctx;
    return sign_or_verify(alg, key, parts, nparts, NULL, sig);
}

const tk_crypto_sig_primitives tk_ossl_sig_primitives = {
    .sign = sign_parts,
    .verify = verify_parts,
};
