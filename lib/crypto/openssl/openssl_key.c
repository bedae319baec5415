/*
 * Key primitives of the OpenSSL backend: import from raw COSE_Key
 * components with full validation, generation, the EVP_PKEY cache, and
 * ECDH.
 *
 * The EC point and scalar checks use EC_GROUP and EC_POINT, which OpenSSL
 * 3.0 keeps (unlike EC_KEY). The cached EVP_PKEY is built with
 * EVP_PKEY_fromdata for EC keys and the raw-key functions for OKP keys.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "openssl_internal.h"

const char tk_ossl_owner = 'o';

/* Largest encoded EC point: 0x04 || x || y for P-384. */
#define TK_OSSL_MAX_POINT (1 + 2 * TK_CRYPTO_MAX_COORD_SIZE)

static void pkey_free(void *pkey)
{
    EVP_PKEY_free(pkey);
}

/* OpenSSL NID of an EC2 curve, NID_undef for others. */
static int ec_nid(int32_t crv)
{
    switch (crv) {
    case TK_CRV_P256:
        return NID_X9_62_prime256v1;
    case TK_CRV_P384:
        return NID_secp384r1;
    default:
        return NID_undef;
    }
}

/* OpenSSL EVP_PKEY type of an OKP curve, NID_undef for others. */
static int okp_type(int32_t crv)
{
    switch (crv) {
    case TK_CRV_ED25519:
        return EVP_PKEY_ED25519;
    case TK_CRV_X25519:
        return EVP_PKEY_X25519;
    default:
        return NID_undef;
    }
}

/*
 * Builds an EC EVP_PKEY from the uncompressed point pub (0x04 || x || y)
 * and, when d is not NULL, the big-endian private scalar d (len bytes).
 * fromdata decodes the point with EC_POINT_oct2point, which rejects a point
 * off the curve.
 */
static tk_err ec_pkey_build(int32_t crv, const uint8_t *pub, size_t pub_len,
                            const uint8_t *d, size_t d_len, EVP_PKEY **out)
{
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    BIGNUM *priv = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    const char *group = OBJ_nid2sn(ec_nid(crv));
    int selection = d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;

    *out = NULL;
    if (bld == NULL || group == NULL) {
        goto done;
    }
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                         group, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                          pub_len)) {
        goto done;
    }
    if (d != NULL) {
        priv = BN_secure_new();
        if (priv == NULL || BN_bin2bn(d, (int)d_len, priv) == NULL ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) {
            goto done;
        }
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1) {
        goto done;
    }
    if (EVP_PKEY_fromdata(pctx, out, selection, params) != 1) {
        err = TK_ERR_CRYPTO_KEY_INVALID;
        goto done;
    }
    err = TK_OK;
done:
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    BN_clear_free(priv);
    OSSL_PARAM_BLD_free(bld);
    ERR_clear_error();
    return err;
}

/* Builds an OKP EVP_PKEY from the raw private key d, or from the raw public
 * key x when d is NULL. */
static tk_err okp_pkey_build(int32_t crv, const uint8_t *x, const uint8_t *d,
                             EVP_PKEY **out)
{
    int type = okp_type(crv);

    if (d != NULL) {
        *out = EVP_PKEY_new_raw_private_key(type, NULL, d, 32);
    } else {
        *out = EVP_PKEY_new_raw_public_key(type, NULL, x, 32);
    }
    if (*out == NULL) {
        ERR_clear_error();
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    return TK_OK;
}

tk_err tk_ossl_pkey_get(const tk_key *key, bool private_needed,
                        EVP_PKEY **pkey, bool *temporary)
{
    *pkey = NULL;
    *temporary = false;
    if (private_needed && !key->has_private) {
        return TK_ERR_CRYPTO_KEY_NOT_PRIVATE;
    }
    if (key->backend != NULL && key->backend_owner == &tk_ossl_owner) {
        *pkey = key->backend;
        return TK_OK;
    }

    /* A key filled by hand, or cached by another backend. */
    size_t n = key->coord_len;
    if (n != tk_crypto_curve_size(key->crv) || n == 0) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    tk_err err;
    const uint8_t *d = private_needed ? key->d : NULL;
    if (key->kty == TK_KTY_EC2 && ec_nid(key->crv) != NID_undef) {
        uint8_t pub[TK_OSSL_MAX_POINT];
        if (!key->has_public) {
            return TK_ERR_CRYPTO_KEY_INVALID;
        }
        pub[0] = 0x04;
        memcpy(pub + 1, key->x, n);
        memcpy(pub + 1 + n, key->y, n);
        err = ec_pkey_build(key->crv, pub, 1 + 2 * n, d, n, pkey);
    } else if (key->kty == TK_KTY_OKP && okp_type(key->crv) != NID_undef) {
        if (d == NULL && !key->has_public) {
            return TK_ERR_CRYPTO_KEY_INVALID;
        }
        err = okp_pkey_build(key->crv, key->x, d, pkey);
    } else {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    *temporary = err == TK_OK;
    return err;
}

/*
 * Computes d * G on curve nid and writes the uncompressed point to pub
 * (1 + 2 * n bytes). Returns TK_ERR_CRYPTO_KEY_INVALID when d is zero or
 * not below the group order.
 */
static tk_err ec_public_from_private(int nid, const uint8_t *d, size_t n,
                                     uint8_t *pub)
{
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
    EC_POINT *point = NULL;
    BIGNUM *scalar = BN_secure_new();

    if (group == NULL || scalar == NULL ||
        BN_bin2bn(d, (int)n, scalar) == NULL) {
        goto done;
    }
    if (BN_is_zero(scalar) ||
        BN_cmp(scalar, EC_GROUP_get0_order(group)) >= 0) {
        err = TK_ERR_CRYPTO_KEY_INVALID;
        goto done;
    }
    point = EC_POINT_new(group);
    if (point == NULL ||
        !EC_POINT_mul(group, point, scalar, NULL, NULL, NULL) ||
        EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub,
                           1 + 2 * n, NULL) != 1 + 2 * n) {
        goto done;
    }
    err = TK_OK;
done:
    EC_POINT_free(point);
    BN_clear_free(scalar);
    EC_GROUP_free(group);
    ERR_clear_error();
    return err;
}

/*
 * Decodes the public point of params (x and y, or x with y_bit for a
 * compressed point) on curve nid and writes it uncompressed to pub.
 * Returns TK_ERR_CRYPTO_KEY_INVALID for a point off the curve.
 */
static tk_err ec_decode_point(int nid, const tk_key_params *params, size_t n,
                              uint8_t *pub)
{
    uint8_t in[TK_OSSL_MAX_POINT];
    size_t in_len;
    tk_err err = TK_ERR_CRYPTO_KEY_INVALID;

    if (params->y.len == n) {
        in[0] = 0x04;
        memcpy(in + 1, params->x.ptr, n);
        memcpy(in + 1 + n, params->y.ptr, n);
        in_len = 1 + 2 * n;
    } else if (params->y.len == 0 && params->y_bit <= 1) {
        in[0] = (uint8_t)(0x02 | params->y_bit);
        memcpy(in + 1, params->x.ptr, n);
        in_len = 1 + n;
    } else {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }

    EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
    EC_POINT *point = group != NULL ? EC_POINT_new(group) : NULL;
    if (point == NULL) {
        err = TK_ERR_CRYPTO_BACKEND;
    } else if (EC_POINT_oct2point(group, point, in, in_len, NULL) == 1 &&
               EC_POINT_is_on_curve(group, point, NULL) == 1 &&
               EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED,
                                  pub, 1 + 2 * n, NULL) == 1 + 2 * n) {
        err = TK_OK;
    }
    EC_POINT_free(point);
    EC_GROUP_free(group);
    ERR_clear_error();
    return err;
}

/* Imports an EC2 key into key (already initialized) and caches it. */
static tk_err import_ec2(const tk_key_params *params, tk_key *key)
{
    int nid = ec_nid(params->crv);
    size_t n = tk_crypto_curve_size(params->crv);
    bool has_x = params->x.len > 0;
    bool has_d = params->d.len > 0;
    uint8_t pub[TK_OSSL_MAX_POINT];
    uint8_t derived[TK_OSSL_MAX_POINT];
    tk_err err;

    if (nid == NID_undef) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if ((!has_x && !has_d) || (has_x && params->x.len != n) ||
        (has_d && params->d.len != n) || (!has_x && params->y.len > 0)) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    if (has_x) {
        err = ec_decode_point(nid, params, n, pub);
        if (err != TK_OK) {
            return err;
        }
    }
    if (has_d) {
        err = ec_public_from_private(nid, params->d.ptr, n, derived);
        if (err != TK_OK) {
            return err;
        }
        if (has_x && !tk_crypto_ct_equal(pub, derived, 1 + 2 * n)) {
            return TK_ERR_CRYPTO_KEY_INVALID;
        }
        memcpy(pub, derived, 1 + 2 * n);
        memcpy(key->d, params->d.ptr, n);
        key->has_private = true;
    }
    memcpy(key->x, pub + 1, n);
    memcpy(key->y, pub + 1 + n, n);
    key->has_public = true;
    key->coord_len = n;

    EVP_PKEY *pkey;
    err = ec_pkey_build(params->crv, pub, 1 + 2 * n, has_d ? key->d : NULL,
                        n, &pkey);
    if (err == TK_OK) {
        key->backend = pkey;
    }
    return err;
}

/* Imports an OKP key into key (already initialized) and caches it. */
static tk_err import_okp(const tk_key_params *params, tk_key *key)
{
    bool has_x = params->x.len > 0;
    bool has_d = params->d.len > 0;
    EVP_PKEY *pkey = NULL;
    size_t len = 32;
    uint8_t derived[32];
    tk_err err;

    if (okp_type(params->crv) == NID_undef) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if ((!has_x && !has_d) || (has_x && params->x.len != 32) ||
        (has_d && params->d.len != 32) || params->y.len > 0) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    /* NOTE: OpenSSL does not check that an Ed25519 public key decodes to a
     * curve point, so a bad one is only caught as a failed verify. */
    err = okp_pkey_build(params->crv, params->x.ptr,
                         has_d ? params->d.ptr : NULL, &pkey);
    if (err != TK_OK) {
        return err;
    }
    key->backend = pkey;
    if (has_d) {
        if (EVP_PKEY_get_raw_public_key(pkey, derived, &len) != 1 ||
            len != 32) {
            ERR_clear_error();
            return TK_ERR_CRYPTO_BACKEND;
        }
        if (has_x && !tk_crypto_ct_equal(params->x.ptr, derived, 32)) {
            return TK_ERR_CRYPTO_KEY_INVALID;
        }
        memcpy(key->d, params->d.ptr, 32);
        memcpy(key->x, derived, 32);
        key->has_private = true;
    } else {
        memcpy(key->x, params->x.ptr, 32);
    }
    key->has_public = true;
    key->coord_len = 32;
    return TK_OK;
}

/* Imports an EC2 or OKP key into key, which is empty, and caches it. */
static tk_err import_key(void *ctx, const tk_key_params *params, tk_key *key)
{
    (void)ctx;
    key->backend_owner = &tk_ossl_owner;
    key->backend_free = pkey_free;

    tk_err err;
    switch (params->kty) {
    case TK_KTY_EC2:
        err = import_ec2(params, key);
        break;
    case TK_KTY_OKP:
        err = import_okp(params, key);
        break;
    default:
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (err == TK_OK) {
        key->kty = params->kty;
        key->crv = params->crv;
    }
    return err;
}

/* Copies the raw material of a generated EC key from pkey into key. */
static tk_err export_ec(EVP_PKEY *pkey, size_t n, tk_key *key)
{
    uint8_t pub[TK_OSSL_MAX_POINT];
    size_t pub_len = 0;
    BIGNUM *d = NULL;
    tk_err err = TK_ERR_CRYPTO_BACKEND;

    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                        sizeof(pub), &pub_len) == 1 &&
        pub_len == 1 + 2 * n && pub[0] == 0x04 &&
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 &&
        BN_bn2binpad(d, key->d, (int)n) == (int)n) {
        memcpy(key->x, pub + 1, n);
        memcpy(key->y, pub + 1 + n, n);
        err = TK_OK;
    }
    BN_clear_free(d);
    ERR_clear_error();
    return err;
}

/* Copies the raw material of a generated OKP key from pkey into key. */
static tk_err export_okp(EVP_PKEY *pkey, tk_key *key)
{
    size_t pub_len = 32;
    size_t priv_len = 32;

    if (EVP_PKEY_get_raw_public_key(pkey, key->x, &pub_len) != 1 ||
        EVP_PKEY_get_raw_private_key(pkey, key->d, &priv_len) != 1 ||
        pub_len != 32 || priv_len != 32) {
        ERR_clear_error();
        return TK_ERR_CRYPTO_BACKEND;
    }
    return TK_OK;
}

static tk_err generate_key(void *ctx, int32_t crv, tk_key *key)
{
    (void)ctx;
    EVP_PKEY *pkey = NULL;
    int32_t kty = TK_KTY_EC2;
    switch (crv) {
    case TK_CRV_P256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case TK_CRV_P384:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case TK_CRV_X25519:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        kty = TK_KTY_OKP;
        break;
    case TK_CRV_ED25519:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        kty = TK_KTY_OKP;
        break;
    default:
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (pkey == NULL) {
        ERR_clear_error();
        return TK_ERR_CRYPTO_RANDOM;
    }
    key->backend = pkey;
    key->backend_free = pkey_free;
    key->backend_owner = &tk_ossl_owner;

    size_t n = tk_crypto_curve_size(crv);
    tk_err err = kty == TK_KTY_EC2 ? export_ec(pkey, n, key)
                                   : export_okp(pkey, key);
    if (err != TK_OK) {
        return err;
    }
    key->kty = kty;
    key->crv = crv;
    key->coord_len = n;
    key->has_public = true;
    key->has_private = true;
    return TK_OK;
}

/* Runs the EVP derive of priv with peer into secret (n bytes). */
static tk_err derive(EVP_PKEY *priv, EVP_PKEY *peer, int32_t crv,
                     uint8_t *secret, size_t n)
{
    tk_err err = TK_ERR_CRYPTO_BACKEND;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
    size_t len = n;

    if (pctx == NULL || EVP_PKEY_derive_init(pctx) != 1) {
        goto done;
    }
    if (EVP_PKEY_derive_set_peer(pctx, peer) != 1) {
        err = TK_ERR_CRYPTO_KEY_INVALID;
        goto done;
    }
    if (EVP_PKEY_derive(pctx, secret, &len) != 1) {
        /* OpenSSL's X25519 fails exactly when the output is all zero. */
        err = crv == TK_CRV_X25519 ? TK_ERR_CRYPTO_SHARED_SECRET_ZERO
                                   : TK_ERR_CRYPTO_BACKEND;
        goto done;
    }
    if (len == n) {
        err = TK_OK;
    }
done:
    EVP_PKEY_CTX_free(pctx);
    ERR_clear_error();
    return err;
}

/* Checks before the output size that the peer has a public part. */
static tk_err ecdh_check(const tk_key *priv, const tk_key *peer)
{
    (void)priv;
    return peer->has_public ? TK_OK : TK_ERR_CRYPTO_KEY_INVALID;
}

static tk_err ecdh(void *ctx, const tk_key *priv, const tk_key *peer,
                   uint8_t *secret, size_t n)
{
    (void)ctx;
    EVP_PKEY *our_pkey;
    EVP_PKEY *peer_pkey;
    bool our_temp;
    bool peer_temp;
    tk_err err = tk_ossl_pkey_get(priv, true, &our_pkey, &our_temp);
    if (err != TK_OK) {
        return err;
    }
    err = tk_ossl_pkey_get(peer, false, &peer_pkey, &peer_temp);
    if (err == TK_OK) {
        err = derive(our_pkey, peer_pkey, priv->crv, secret, n);
        if (peer_temp) {
            EVP_PKEY_free(peer_pkey);
        }
    }
    if (our_temp) {
        EVP_PKEY_free(our_pkey);
    }
    return err;
}

const tk_crypto_key_primitives tk_ossl_key_primitives = {
    .import = import_key,
    .generate = generate_key,
    .ecdh_check = ecdh_check,
    .ecdh = ecdh,
};
