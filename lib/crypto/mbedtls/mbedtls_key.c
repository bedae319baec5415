/*
 * Key primitives of the Mbed TLS backend: import from raw COSE_Key
 * components with full validation, generation and ECDH.
 *
 * Mbed TLS 2.28 has no cheap parsed-key object worth caching (loading a
 * point costs far less than one of its signature checks), so keys carry no
 * backend cache here and each operation loads the raw fields.
 */
#include <string.h>

#include <mbedtls/ecdh.h>

#include "mbedtls_internal.h"

/* Largest encoded EC point: 0x04 || x || y for P-384. */
#define TK_MBED_MAX_POINT (1 + 2 * TK_CRYPTO_MAX_COORD_SIZE)

mbedtls_ecp_group_id tk_mbed_group(int32_t crv)
{
    switch (crv) {
    case TK_CRV_P256:
        return TK_MBED_P256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_NONE;
    case TK_CRV_P384:
        return TK_MBED_P384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_NONE;
    case TK_CRV_X25519:
        return TK_MBED_X25519 ? MBEDTLS_ECP_DP_CURVE25519
                              : MBEDTLS_ECP_DP_NONE;
    default:
        return MBEDTLS_ECP_DP_NONE;
    }
}

/* Maps an Mbed TLS key-loading error: bad input is bad key material. */
static tk_err key_error(int rc)
{
    switch (rc) {
    case 0:
        return TK_OK;
    case MBEDTLS_ERR_ECP_INVALID_KEY:
    case MBEDTLS_ERR_ECP_BAD_INPUT_DATA:
    case MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE:
    case MBEDTLS_ERR_MPI_BAD_INPUT_DATA:
        return TK_ERR_CRYPTO_KEY_INVALID;
    default:
        return TK_ERR_CRYPTO_BACKEND;
    }
}

/* Reads the public point of an EC2 (x, y) or X25519 (x) key into kp. */
static tk_err load_public(const tk_key *key, mbedtls_ecp_keypair *kp)
{
    size_t n = key->coord_len;
    uint8_t buf[TK_MBED_MAX_POINT];
    size_t len;

    if (key->kty == TK_KTY_EC2) {
        buf[0] = 0x04;
        memcpy(buf + 1, key->x, n);
        memcpy(buf + 1 + n, key->y, n);
        len = 1 + 2 * n;
    } else {
        memcpy(buf, key->x, n);
        len = n;
    }
    int rc = mbedtls_ecp_point_read_binary(&kp->grp, &kp->Q, buf, len);
    if (rc == 0 && key->kty == TK_KTY_EC2) {
        /* Every 32-byte string is an X25519 public key, so only Weierstrass
         * points are checked. */
        rc = mbedtls_ecp_check_pubkey(&kp->grp, &kp->Q);
    }
    return key_error(rc);
}

tk_err tk_mbed_keypair_load(const tk_key *key, bool private_needed,
                            mbedtls_ecp_keypair *kp)
{
    mbedtls_ecp_group_id id = tk_mbed_group(key->crv);
    bool okp_ok = key->kty == TK_KTY_OKP && id != MBEDTLS_ECP_DP_NONE &&
                  key->crv == TK_CRV_X25519;
    bool ec2_ok = key->kty == TK_KTY_EC2 && id != MBEDTLS_ECP_DP_NONE &&
                  key->crv != TK_CRV_X25519;

    if (!okp_ok && !ec2_ok) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    if (key->coord_len != tk_crypto_curve_size(key->crv)) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    if (private_needed) {
        if (!key->has_private) {
            return TK_ERR_CRYPTO_KEY_NOT_PRIVATE;
        }
        /* read_key loads the group too, and clamps an X25519 scalar as
         * RFC 7748 section 5 requires. */
        tk_err err = key_error(
            mbedtls_ecp_read_key(id, kp, key->d, key->coord_len));
        if (err != TK_OK || !key->has_public) {
            return err;
        }
        return load_public(key, kp);
    }
    if (!key->has_public) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    if (mbedtls_ecp_group_load(&kp->grp, id) != 0) {
        return TK_ERR_CRYPTO_BACKEND;
    }
    return load_public(key, kp);
}

/*
 * Computes y of the P-256 or P-384 point with x-coordinate x and the given
 * parity bit: y = (x^3 - 3x + b)^((p + 1) / 4) mod p, which is the square
 * root because p = 3 mod 4 for both curves. Returns
 * TK_ERR_CRYPTO_KEY_INVALID when x is not on the curve.
 */
static tk_err decompress(mbedtls_ecp_group *grp, const uint8_t *x_bytes,
                         size_t n, uint8_t y_bit, uint8_t *y_out)
{
    mbedtls_mpi x;
    mbedtls_mpi rhs;
    mbedtls_mpi t;
    mbedtls_mpi y;
    int rc;
    tk_err err = TK_ERR_CRYPTO_KEY_INVALID;

    mbedtls_mpi_init(&x);
    mbedtls_mpi_init(&rhs);
    mbedtls_mpi_init(&t);
    mbedtls_mpi_init(&y);
    rc = mbedtls_mpi_read_binary(&x, x_bytes, n);
    if (rc != 0 || mbedtls_mpi_cmp_mpi(&x, &grp->P) >= 0) {
        goto done;
    }
    /* rhs = x^3 - 3x + b mod p. */
    err = TK_ERR_CRYPTO_BACKEND;
    if (mbedtls_mpi_mul_mpi(&t, &x, &x) != 0 ||
        mbedtls_mpi_sub_int(&t, &t, 3) != 0 ||
        mbedtls_mpi_mul_mpi(&rhs, &t, &x) != 0 ||
        mbedtls_mpi_add_mpi(&rhs, &rhs, &grp->B) != 0 ||
        mbedtls_mpi_mod_mpi(&rhs, &rhs, &grp->P) != 0) {
        goto done;
    }
    /* t = (p + 1) / 4, y = rhs^t mod p. */
    if (mbedtls_mpi_add_int(&t, &grp->P, 1) != 0 ||
        mbedtls_mpi_shift_r(&t, 2) != 0 ||
        mbedtls_mpi_exp_mod(&y, &rhs, &t, &grp->P, NULL) != 0) {
        goto done;
    }
    /* y must square back to rhs, or x is not on the curve. */
    if (mbedtls_mpi_mul_mpi(&t, &y, &y) != 0 ||
        mbedtls_mpi_mod_mpi(&t, &t, &grp->P) != 0) {
        goto done;
    }
    err = TK_ERR_CRYPTO_KEY_INVALID;
    if (mbedtls_mpi_cmp_mpi(&t, &rhs) != 0) {
        goto done;
    }
    if ((uint8_t)mbedtls_mpi_get_bit(&y, 0) != y_bit) {
        if (mbedtls_mpi_cmp_int(&y, 0) == 0) {
            goto done; /* y = 0 has no odd twin */
        }
        err = TK_ERR_CRYPTO_BACKEND;
        if (mbedtls_mpi_sub_mpi(&y, &grp->P, &y) != 0) {
            goto done;
        }
    }
    err = mbedtls_mpi_write_binary(&y, y_out, n) == 0 ? TK_OK
                                                      : TK_ERR_CRYPTO_BACKEND;
done:
    mbedtls_mpi_free(&x);
    mbedtls_mpi_free(&rhs);
    mbedtls_mpi_free(&t);
    mbedtls_mpi_free(&y);
    return err;
}

/*
 * Writes the public point of kp (computing d * G first when derive is set)
 * into key->x and key->y (x alone for X25519).
 */
static tk_err store_public(mbedtls_ecp_keypair *kp, bool derive,
                           void *rng_ctx, tk_key *key)
{
    uint8_t buf[TK_MBED_MAX_POINT];
    size_t len = 0;
    size_t n = key->coord_len;

    if (derive && mbedtls_ecp_mul(&kp->grp, &kp->Q, &kp->d, &kp->grp.G,
                                  tk_mbed_rng, rng_ctx) != 0) {
        return TK_ERR_CRYPTO_BACKEND;
    }
    if (mbedtls_ecp_point_write_binary(&kp->grp, &kp->Q,
                                       MBEDTLS_ECP_PF_UNCOMPRESSED, &len, buf,
                                       sizeof(buf)) != 0) {
        return TK_ERR_CRYPTO_BACKEND;
    }
    if (key->kty == TK_KTY_OKP) {
        if (len != n) {
            return TK_ERR_CRYPTO_BACKEND;
        }
        memcpy(key->x, buf, n);
    } else {
        if (len != 1 + 2 * n) {
            return TK_ERR_CRYPTO_BACKEND;
        }
        memcpy(key->x, buf + 1, n);
        memcpy(key->y, buf + 1 + n, n);
    }
    return TK_OK;
}

/* Checks the shape of EC2/OKP params and copies them into key. */
static tk_err copy_params(const tk_key_params *params, tk_key *key)
{
    size_t n = tk_crypto_curve_size(params->crv);
    bool has_x = params->x.len > 0;
    bool has_d = params->d.len > 0;
    bool okp = params->kty == TK_KTY_OKP;

    if ((!has_x && !has_d) || (has_x && params->x.len != n) ||
        (has_d && params->d.len != n) ||
        (params->y.len > 0 && (okp || !has_x || params->y.len != n)) ||
        params->y_bit > 1) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    key->kty = params->kty;
    key->crv = params->crv;
    key->coord_len = n;
    if (has_x) {
        memcpy(key->x, params->x.ptr, n);
        key->has_public = true;
    }
    if (params->y.len > 0) {
        memcpy(key->y, params->y.ptr, n);
    }
    if (has_d) {
        memcpy(key->d, params->d.ptr, n);
        key->has_private = true;
    }
    return TK_OK;
}

/*
 * Validates the EC2 or X25519 key in key: decompresses a compressed point,
 * checks the point and scalar, derives a missing public part and checks
 * that given public and private parts match.
 */
static tk_err validate(const tk_key_params *params, void *rng_ctx,
                       tk_key *key)
{
    mbedtls_ecp_keypair kp;
    tk_err err;
    bool compressed = key->kty == TK_KTY_EC2 && key->has_public &&
                      params->y.len == 0;

    mbedtls_ecp_keypair_init(&kp);
    if (compressed) {
        err = mbedtls_ecp_group_load(&kp.grp, tk_mbed_group(key->crv)) == 0
                  ? decompress(&kp.grp, key->x, key->coord_len,
                               params->y_bit, key->y)
                  : TK_ERR_CRYPTO_BACKEND;
        if (err != TK_OK) {
            goto done;
        }
    }
    err = tk_mbed_keypair_load(key, key->has_private, &kp);
    if (err != TK_OK || !key->has_private) {
        goto done;
    }
    uint8_t x[TK_CRYPTO_MAX_COORD_SIZE];
    uint8_t y[TK_CRYPTO_MAX_COORD_SIZE];
    bool had_public = key->has_public;
    memcpy(x, key->x, key->coord_len);
    memcpy(y, key->y, key->coord_len);
    err = store_public(&kp, true, rng_ctx, key);
    if (err == TK_OK && had_public &&
        (!tk_crypto_ct_equal(x, key->x, key->coord_len) ||
         (key->kty == TK_KTY_EC2 &&
          !tk_crypto_ct_equal(y, key->y, key->coord_len)))) {
        err = TK_ERR_CRYPTO_KEY_INVALID;
    }
    key->has_public = err == TK_OK;
done:
    mbedtls_ecp_keypair_free(&kp);
    return err;
}

/* Imports a P-256, P-384 or X25519 key that the configuration has into
 * key, which is empty. */
static tk_err import_key(void *ctx, const tk_key_params *params, tk_key *key)
{
    bool known = (params->kty == TK_KTY_EC2 &&
                  (params->crv == TK_CRV_P256 ||
                   params->crv == TK_CRV_P384)) ||
                 (params->kty == TK_KTY_OKP && params->crv == TK_CRV_X25519);
    if (!known || tk_mbed_group(params->crv) == MBEDTLS_ECP_DP_NONE) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    tk_err err = copy_params(params, key);
    if (err == TK_OK) {
        err = validate(params, ctx, key);
    }
    return err;
}

static tk_err generate_key(void *ctx, int32_t crv, tk_key *key)
{
    mbedtls_ecp_group_id id = tk_mbed_group(crv);
    if (id == MBEDTLS_ECP_DP_NONE) {
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }

    mbedtls_ecp_keypair kp;
    mbedtls_ecp_keypair_init(&kp);
    key->kty = crv == TK_CRV_X25519 ? TK_KTY_OKP : TK_KTY_EC2;
    key->crv = crv;
    key->coord_len = tk_crypto_curve_size(crv);
    tk_err err = TK_ERR_CRYPTO_RANDOM;
    if (mbedtls_ecp_gen_key(id, &kp, tk_mbed_rng, ctx) == 0) {
        err = mbedtls_ecp_write_key(&kp, key->d, key->coord_len) == 0
                  ? store_public(&kp, false, ctx, key)
                  : TK_ERR_CRYPTO_BACKEND;
    }
    mbedtls_ecp_keypair_free(&kp);
    if (err != TK_OK) {
        return err;
    }
    key->has_public = true;
    key->has_private = true;
    return TK_OK;
}

/* Computes the shared secret of the loaded keys into secret (n bytes):
 * big-endian x for Weierstrass curves, little-endian u for X25519. */
static tk_err shared_secret(mbedtls_ecp_keypair *ours,
                            mbedtls_ecp_keypair *peer, bool x25519,
                            void *rng_ctx, uint8_t *secret, size_t n)
{
    mbedtls_mpi z;
    int rc;

    mbedtls_mpi_init(&z);
    rc = mbedtls_ecdh_compute_shared(&ours->grp, &z, &peer->Q, &ours->d,
                                     tk_mbed_rng, rng_ctx);
    if (rc == 0) {
        rc = x25519 ? mbedtls_mpi_write_binary_le(&z, secret, n)
                    : mbedtls_mpi_write_binary(&z, secret, n);
    }
    mbedtls_mpi_free(&z);
    if (x25519 && rc == MBEDTLS_ERR_ECP_INVALID_KEY) {
        /* Mbed TLS rejects exactly the X25519 points of small order, whose
         * shared secret is zero. */
        return TK_ERR_CRYPTO_SHARED_SECRET_ZERO;
    }
    return rc == 0 ? TK_OK : key_error(rc);
}

/* Checks before the output size that the configuration has the curve. */
static tk_err ecdh_check(const tk_key *priv, const tk_key *peer)
{
    (void)peer;
    return tk_mbed_group(priv->crv) == MBEDTLS_ECP_DP_NONE
               ? TK_ERR_CRYPTO_UNSUPPORTED_ALG
               : TK_OK;
}

static tk_err ecdh(void *ctx, const tk_key *priv, const tk_key *peer,
                   uint8_t *secret, size_t n)
{
    mbedtls_ecp_keypair ours;
    mbedtls_ecp_keypair theirs;
    mbedtls_ecp_keypair_init(&ours);
    mbedtls_ecp_keypair_init(&theirs);
    tk_err err = tk_mbed_keypair_load(priv, true, &ours);
    if (err == TK_OK) {
        err = tk_mbed_keypair_load(peer, false, &theirs);
    }
    if (err == TK_OK) {
        err = shared_secret(&ours, &theirs, priv->crv == TK_CRV_X25519, ctx,
                            secret, n);
    }
    mbedtls_ecp_keypair_free(&ours);
    mbedtls_ecp_keypair_free(&theirs);
    return err;
}

const tk_crypto_key_primitives tk_mbed_key_primitives = {
    .import = import_key,
    .generate = generate_key,
    .ecdh_check = ecdh_check,
    .ecdh = ecdh,
};
