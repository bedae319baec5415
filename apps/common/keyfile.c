/* Key files in PEM and COSE_Key form; see keyfile.h. */
#define _XOPEN_SOURCE 700

#include "keyfile.h"

#include <errno.h>
#include <stdarg.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teepkit/cose.h"
#include "util.h"

/* Largest key file read: a PEM or COSE_Key is a few hundred bytes. */
#define KEYFILE_MAX_SIZE 65536

/* Writes a formatted message to msg when it has room. */
static void set_msg(char *msg, size_t msg_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t msg_size, const char *fmt, ...)
{
    va_list ap;

    if (msg == NULL || msg_size == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, msg_size, fmt, ap);
    va_end(ap);
}

/* OpenSSL group names of the supported NIST curves. */
static const struct {
    const char *group;
    int32_t crv;
    size_t size;
} ec_curves[] = {
    {"prime256v1", TK_CRV_P256, 32},
    {"secp384r1", TK_CRV_P384, 48},
};

/* Raw components of a key read from PEM, before import. */
typedef struct raw_key {
    uint8_t x[TK_CRYPTO_MAX_COORD_SIZE];
    uint8_t y[TK_CRYPTO_MAX_COORD_SIZE];
    uint8_t d[TK_CRYPTO_MAX_COORD_SIZE];
    tk_key_params params;
} raw_key;

/* Reads the raw parts of an OpenSSL EC key on a supported curve. Returns
 * TK_ERR_CRYPTO_UNSUPPORTED_ALG for another curve. */
static tk_err ec_raw(EVP_PKEY *pkey, bool with_private, raw_key *raw)
{
    uint8_t point[1 + 2 * TK_CRYPTO_MAX_COORD_SIZE];
    size_t point_len = 0;
    char group[32];
    BIGNUM *d = NULL;
    size_t size = 0;

    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, sizeof(group), NULL)) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++) {
        if (strcmp(group, ec_curves[i].group) == 0) {
            raw->params.crv = ec_curves[i].crv;
            size = ec_curves[i].size;
        }
    }
    if (size == 0) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    raw->params.kty = TK_KTY_EC2;
    if (!EVP_PKEY_get_octet_string_param(pkey,
                                         OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                         point, sizeof(point), &point_len) ||
        point_len != 1 + 2 * size || point[0] != 0x04) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    memcpy(raw->x, point + 1, size);
    memcpy(raw->y, point + 1 + size, size);
    raw->params.x = (tk_view){raw->x, size};
    raw->params.y = (tk_view){raw->y, size};
    if (with_private) {
        int ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) &&
                 BN_bn2binpad(d, raw->d, (int)size) == (int)size;

        BN_clear_free(d);
        if (!ok) {
            return TK_ERR_CRYPTO_KEY_INVALID;
        }
        raw->params.d = (tk_view){raw->d, size};
    }
    return TK_OK;
}

/* Reads the raw parts of an Ed25519 or X25519 key. */
static tk_err okp_raw(EVP_PKEY *pkey, bool with_private, int32_t crv,
                      raw_key *raw)
{
    size_t len = 32;

    raw->params.kty = TK_KTY_OKP;
    raw->params.crv = crv;
    if (!EVP_PKEY_get_raw_public_key(pkey, raw->x, &len) || len != 32) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    raw->params.x = (tk_view){raw->x, 32};
    if (with_private) {
        len = 32;
        if (!EVP_PKEY_get_raw_private_key(pkey, raw->d, &len) || len != 32) {
            return TK_ERR_CRYPTO_KEY_INVALID;
        }
        raw->params.d = (tk_view){raw->d, 32};
    }
    return TK_OK;
}

/* Parses PEM text: a private key (PKCS#8 or SEC1), else a public key. */
static EVP_PKEY *parse_pem(const uint8_t *data, size_t len, bool *is_private)
{
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    EVP_PKEY *pkey;

    if (bio == NULL) {
        return NULL;
    }
    *is_private = true;
    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (pkey == NULL) {
        *is_private = false;
        (void)BIO_reset(bio);
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    }
    BIO_free(bio);
    return pkey;
}

static tk_err load_pem(const tk_crypto *crypto, const char *name,
                       const uint8_t *data, size_t len, tk_key *key,
                       tk_keyfile_info *info, char *msg, size_t msg_size)
{
    bool is_private = false;
    EVP_PKEY *pkey = parse_pem(data, len, &is_private);
    raw_key raw;
    tk_err err;

    if (pkey == NULL) {
        set_msg(msg, msg_size,
                "%s: invalid PEM: neither a PKCS#8 or SEC1 private key nor "
                "a SubjectPublicKeyInfo public key (encrypted PEM is not "
                "supported)",
                name);
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    memset(&raw, 0, sizeof(raw));
    if (EVP_PKEY_is_a(pkey, "EC")) {
        err = ec_raw(pkey, is_private, &raw);
    } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
        err = okp_raw(pkey, is_private, TK_CRV_ED25519, &raw);
    } else if (EVP_PKEY_is_a(pkey, "X25519")) {
        err = okp_raw(pkey, is_private, TK_CRV_X25519, &raw);
    } else {
        err = TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (err == TK_ERR_CRYPTO_UNSUPPORTED_ALG) {
        set_msg(msg, msg_size,
                "%s: unsupported key type %s; use an EC P-256 or P-384, "
                "Ed25519 or X25519 key",
                name, EVP_PKEY_get0_type_name(pkey));
    } else if (err != TK_OK) {
        set_msg(msg, msg_size, "%s: invalid key material in the PEM key",
                name);
    }
    EVP_PKEY_free(pkey);
    if (err == TK_OK) {
        err = crypto->key_import(crypto->ctx, &raw.params, key);
        if (err != TK_OK) {
            set_msg(msg, msg_size, "%s: key rejected: %s", name,
                    tk_strerror(err));
        }
    }
    OPENSSL_cleanse(&raw, sizeof(raw));
    if (err == TK_OK) {
        info->format = TK_KEYFILE_PEM;
        info->has_private = is_private;
    }
    return err;
}

static tk_err load_cose(const tk_crypto *crypto, const char *name,
                        const uint8_t *data, size_t len, tk_key *key,
                        tk_keyfile_info *info, char *msg, size_t msg_size)
{
    tk_cose_key ck;
    tk_err err = tk_cose_key_decode((tk_view){data, len}, &ck);

    if (err != TK_OK) {
        set_msg(msg, msg_size,
                "%s: not a PEM key, and not a valid COSE_Key: %s", name,
                tk_strerror(err));
        return err;
    }
    if (ck.params.kid.len > sizeof(info->kid)) {
        set_msg(msg, msg_size, "%s: COSE_Key kid longer than %d bytes",
                name, TK_KEYFILE_MAX_KID);
        return TK_ERR_COSE_KEY_DECODE;
    }
    if (ck.params.kid.len > 0) {
        memcpy(info->kid, ck.params.kid.ptr, ck.params.kid.len);
    }
    info->kid_len = ck.params.kid.len;
    ck.params.kid = (tk_view){info->kid, info->kid_len};
    if (ck.params.kty == TK_KTY_SYMMETRIC) {
        err = tk_key_init_symmetric(key, ck.params.k);
        key->kid = ck.params.kid;
    } else {
        err = crypto->key_import(crypto->ctx, &ck.params, key);
    }
    if (err != TK_OK) {
        set_msg(msg, msg_size, "%s: COSE_Key rejected: %s", name,
                tk_strerror(err));
        return err;
    }
    info->format = TK_KEYFILE_COSE;
    info->alg = ck.has_alg ? ck.alg : TK_ALG_NONE;
    info->has_private = ck.params.kty == TK_KTY_SYMMETRIC ||
                        ck.params.d.len > 0;
    return TK_OK;
}

tk_err tk_keyfile_load_mem(const tk_crypto *crypto, const char *name,
                           const uint8_t *data, size_t len, tk_key *key,
                           tk_keyfile_info *info, char *msg,
                           size_t msg_size)
{
    static const char pem_start[] = "-----BEGIN";
    size_t skip = 0;

    if (crypto == NULL || name == NULL || key == NULL || info == NULL ||
        (data == NULL && len > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    memset(info, 0, sizeof(*info));
    tk_key_init(key);
    /* PEM may follow blank lines; CBOR never starts with whitespace that
     * is then followed by "-----BEGIN". */
    while (skip < len && (data[skip] == ' ' || data[skip] == '\n' ||
                          data[skip] == '\r' || data[skip] == '\t')) {
        skip++;
    }
    if (len - skip >= sizeof(pem_start) - 1 &&
        memcmp(data + skip, pem_start, sizeof(pem_start) - 1) == 0) {
        return load_pem(crypto, name, data, len, key, info, msg, msg_size);
    }
    if (len == 0) {
        set_msg(msg, msg_size, "%s: empty key file", name);
        return TK_ERR_COSE_KEY_DECODE;
    }
    return load_cose(crypto, name, data, len, key, info, msg, msg_size);
}

tk_err tk_keyfile_load(const tk_crypto *crypto, const char *path,
                       tk_key *key, tk_keyfile_info *info, char *msg,
                       size_t msg_size)
{
    uint8_t *data = NULL;
    size_t len = 0;
    tk_err err;

    if (path == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    if (tk_util_read_file(path, KEYFILE_MAX_SIZE, &data, &len) != 0) {
        set_msg(msg, msg_size, "%s: cannot read key file: %s", path,
                strerror(errno));
        return TK_ERR_NOT_FOUND;
    }
    err = tk_keyfile_load_mem(crypto, path, data, len, key, info, msg,
                              msg_size);
    OPENSSL_cleanse(data, len);
    free(data);
    return err;
}

/* Builds an OpenSSL key from an EC2 key. */
static EVP_PKEY *ec_pkey(const tk_key *key, bool with_private)
{
    uint8_t point[1 + 2 * TK_CRYPTO_MAX_COORD_SIZE];
    const char *group = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    BIGNUM *d = NULL;

    for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++) {
        if (ec_curves[i].crv == key->crv &&
            ec_curves[i].size == key->coord_len) {
            group = ec_curves[i].group;
        }
    }
    if (bld == NULL || group == NULL) {
        OSSL_PARAM_BLD_free(bld);
        return NULL;
    }
    point[0] = 0x04;
    memcpy(point + 1, key->x, key->coord_len);
    memcpy(point + 1 + key->coord_len, key->y, key->coord_len);
    if (with_private) {
        d = BN_bin2bn(key->d, (int)key->coord_len, NULL);
    }
    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
                                         1 + 2 * key->coord_len) &&
        (!with_private ||
         (d != NULL &&
          OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)))) {
        params = OSSL_PARAM_BLD_to_param(bld);
    }
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
        (void)EVP_PKEY_fromdata(ctx, &pkey,
                                with_private ? EVP_PKEY_KEYPAIR
                                             : EVP_PKEY_PUBLIC_KEY,
                                params);
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    return pkey;
}

/* Builds an OpenSSL key from an OKP key. */
static EVP_PKEY *okp_pkey(const tk_key *key, bool with_private)
{
    int type = key->crv == TK_CRV_ED25519   ? EVP_PKEY_ED25519
               : key->crv == TK_CRV_X25519 ? EVP_PKEY_X25519
                                            : 0;

    if (type == 0 || key->coord_len != 32) {
        return NULL;
    }
    if (with_private) {
        return EVP_PKEY_new_raw_private_key(type, NULL, key->d, 32);
    }
    return EVP_PKEY_new_raw_public_key(type, NULL, key->x, 32);
}

/* Writes data to path with mode, reporting a failure in msg. */
static tk_err write_key_file(const char *path, const uint8_t *data,
                             size_t len, bool private_key, char *msg,
                             size_t msg_size)
{
    if (tk_util_write_file(path, data, len, private_key ? 0600 : 0644) != 0) {
        set_msg(msg, msg_size, "%s: cannot write key file: %s", path,
                strerror(errno));
        return TK_ERR_CALLBACK;
    }
    return TK_OK;
}

tk_err tk_keyfile_save_pem(const char *path, const tk_key *key,
                           bool include_private, char *msg, size_t msg_size)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio;
    BUF_MEM *mem = NULL;
    tk_err err = TK_OK;
    int ok;

    if (path == NULL || key == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    if (include_private && !key->has_private) {
        set_msg(msg, msg_size, "%s: the key has no private part to write",
                path);
        return TK_ERR_CRYPTO_KEY_NOT_PRIVATE;
    }
    if (key->kty == TK_KTY_EC2) {
        pkey = ec_pkey(key, include_private);
    } else if (key->kty == TK_KTY_OKP) {
        pkey = okp_pkey(key, include_private);
    } else {
        set_msg(msg, msg_size,
                "%s: PEM has no form for a symmetric key; write a COSE_Key",
                path);
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (pkey == NULL) {
        set_msg(msg, msg_size, "%s: cannot convert the key to PEM", path);
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    bio = BIO_new(BIO_s_mem());
    ok = bio != NULL &&
         (include_private
              ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
              : PEM_write_bio_PUBKEY(bio, pkey));
    EVP_PKEY_free(pkey);
    if (ok) {
        BIO_get_mem_ptr(bio, &mem);
    }
    if (!ok || mem == NULL) {
        set_msg(msg, msg_size, "%s: cannot encode the key as PEM", path);
        err = TK_ERR_CRYPTO_BACKEND;
    } else {
        err = write_key_file(path, (const uint8_t *)mem->data, mem->length,
                             include_private, msg, msg_size);
        OPENSSL_cleanse(mem->data, mem->length);
    }
    BIO_free(bio);
    return err;
}

tk_err tk_keyfile_save_cose(const char *path, const tk_key *key, tk_alg alg,
                            bool include_private, char *msg,
                            size_t msg_size)
{
    uint8_t buf[512];
    size_t len = 0;
    bool private_key = key != NULL && (key->kty == TK_KTY_SYMMETRIC ||
                                       (include_private && key->has_private));
    tk_err err;

    if (path == NULL || key == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    if (include_private && key->kty != TK_KTY_SYMMETRIC &&
        !key->has_private) {
        set_msg(msg, msg_size, "%s: the key has no private part to write",
                path);
        return TK_ERR_CRYPTO_KEY_NOT_PRIVATE;
    }
    err = tk_cose_key_encode(key, alg, include_private, buf, sizeof(buf),
                             &len);
    if (err != TK_OK) {
        set_msg(msg, msg_size, "%s: cannot encode the COSE_Key: %s", path,
                tk_strerror(err));
        return err;
    }
    err = write_key_file(path, buf, len, private_key, msg, msg_size);
    OPENSSL_cleanse(buf, sizeof(buf));
    return err;
}

tk_alg tk_keyfile_signature_alg(const tk_key *key)
{
    if (key == NULL) {
        return TK_ALG_NONE;
    }
    if (key->kty == TK_KTY_EC2 && key->crv == TK_CRV_P256) {
        return TK_ALG_ES256;
    }
    if (key->kty == TK_KTY_EC2 && key->crv == TK_CRV_P384) {
        return TK_ALG_ES384;
    }
    if (key->kty == TK_KTY_OKP && key->crv == TK_CRV_ED25519) {
        return TK_ALG_EDDSA;
    }
    return TK_ALG_NONE;
}
