/* Key files of `teepkit suit`; see suitkey.h. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suitkey.h"
#include "util.h"

/* Largest key file read. */
#define KEY_FILE_MAX 65536

/* Fills params with the raw parts of an OpenSSL EC (P-256) key. */
static int ec_params(EVP_PKEY *pkey, bool private_part, uint8_t *x,
                     uint8_t *y, uint8_t *d, tk_key_params *params)
{
    uint8_t point[65];
    size_t point_len = 0;
    char curve[32];
    BIGNUM *priv = NULL;

    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                        curve, sizeof(curve), NULL) ||
        strcmp(curve, "prime256v1") != 0)
        return -1;
    if (!EVP_PKEY_get_octet_string_param(pkey,
                                         OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                         point, sizeof(point), &point_len) ||
        point_len != 65 || point[0] != 4)
        return -1;
    memcpy(x, point + 1, 32);
    memcpy(y, point + 33, 32);
    params->kty = TK_KTY_EC2;
    params->crv = TK_CRV_P256;
    params->x = (tk_view){x, 32};
    params->y = (tk_view){y, 32};
    if (private_part) {
        if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &priv) ||
            BN_bn2binpad(priv, d, 32) != 32) {
            BN_clear_free(priv);
            return -1;
        }
        BN_clear_free(priv);
        params->d = (tk_view){d, 32};
    }
    return 0;
}

/* Fills params with the raw parts of an Ed25519 or X25519 key. */
static int okp_params(EVP_PKEY *pkey, bool private_part, int32_t crv,
                      uint8_t *x, uint8_t *d, tk_key_params *params)
{
    size_t len = 32;

    if (!EVP_PKEY_get_raw_public_key(pkey, x, &len) || len != 32)
        return -1;
    params->kty = TK_KTY_OKP;
    params->crv = crv;
    params->x = (tk_view){x, 32};
    if (private_part) {
        len = 32;
        if (!EVP_PKEY_get_raw_private_key(pkey, d, &len) || len != 32)
            return -1;
        params->d = (tk_view){d, 32};
    }
    return 0;
}

/* Imports a PEM key. Returns TK_ERR_NOT_FOUND when the text is not PEM. */
static tk_err load_pem(const tk_crypto *crypto, const char *path,
                       const uint8_t *text, size_t len, tk_key *key,
                       tk_alg *sig_alg, char *msg, size_t msg_size)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *pkey = NULL;
    bool private_part = true;
    uint8_t x[32], y[32], d[32];
    tk_key_params params;
    int rc = -1;
    tk_err err;

    if (bio == NULL)
        return TK_ERR_INTERNAL;
    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (pkey == NULL) {
        private_part = false;
        BIO_reset(bio);
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    }
    BIO_free(bio);
    if (pkey == NULL)
        return TK_ERR_NOT_FOUND;
    memset(&params, 0, sizeof(params));
    *sig_alg = TK_ALG_NONE;
    if (EVP_PKEY_is_a(pkey, "EC")) {
        rc = ec_params(pkey, private_part, x, y, d, &params);
        *sig_alg = TK_ALG_ESP256;
    } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
        rc = okp_params(pkey, private_part, TK_CRV_ED25519, x, d, &params);
        *sig_alg = TK_ALG_ED25519;
    } else if (EVP_PKEY_is_a(pkey, "X25519")) {
        rc = okp_params(pkey, private_part, TK_CRV_X25519, x, d, &params);
    }
    EVP_PKEY_free(pkey);
    if (rc != 0) {
        snprintf(msg, msg_size, "%s: unsupported key type; use a P-256, "
                 "Ed25519 or X25519 key", path);
        return TK_ERR_UNSUPPORTED;
    }
    err = crypto->key_import(crypto->ctx, &params, key);
    memset(d, 0, sizeof(d));
    if (err != TK_OK)
        snprintf(msg, msg_size, "%s: invalid key: %s", path, tk_strerror(err));
    return err;
}

/* Imports a symmetric key given as raw bytes or as hex text. */
static tk_err load_symmetric(const char *path, const uint8_t *data,
                             size_t len, tk_key *key, char *msg,
                             size_t msg_size)
{
    uint8_t raw[32];
    long n = -1;
    tk_err err;

    if (len == 16 || len == 24 || len == 32) {
        memcpy(raw, data, len);
        n = (long)len;
    }
    if (n < 0 || len >= 32) {
        long hex = tk_util_hex_decode((const char *)data, len, raw,
                                      sizeof(raw));

        if (hex == 16 || hex == 24 || hex == 32)
            n = hex;
    }
    if (n != 16 && n != 24 && n != 32) {
        snprintf(msg, msg_size, "%s is neither a PEM key nor a symmetric "
                 "key of 16, 24 or 32 bytes (raw or hex)", path);
        return TK_ERR_INVALID_ARG;
    }
    err = tk_key_init_symmetric(key, (tk_view){raw, (size_t)n});
    memset(raw, 0, sizeof(raw));
    if (err != TK_OK)
        snprintf(msg, msg_size, "%s: invalid key: %s", path, tk_strerror(err));
    return err;
}

tk_err tk_suitkey_load(const tk_crypto *crypto, const char *path,
                       tk_key *key, tk_alg *sig_alg, char *msg,
                       size_t msg_size)
{
    uint8_t *data;
    size_t len;
    tk_alg alg = TK_ALG_NONE;
    tk_err err;

    if (crypto == NULL || path == NULL || key == NULL || msg == NULL)
        return TK_ERR_INVALID_ARG;
    tk_key_init(key);
    if (tk_util_read_file(path, KEY_FILE_MAX, &data, &len) != 0) {
        snprintf(msg, msg_size, "cannot read key file %s: %s", path,
                 strerror(errno));
        return TK_ERR_NOT_FOUND;
    }
    err = load_pem(crypto, path, data, len, key, &alg, msg, msg_size);
    if (err == TK_ERR_NOT_FOUND)
        err = load_symmetric(path, data, len, key, msg, msg_size);
    memset(data, 0, len);
    free(data);
    if (sig_alg != NULL)
        *sig_alg = alg;
    return err;
}
