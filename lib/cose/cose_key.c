/*
 * COSE_Key (RFC 9052 section 7, RFC 9053 section 7): decoding into the
 * raw components of teepkit/crypto.h, encoding, and the RFC 9679
 * thumbprint.
 */
#include <string.h>

#include "cose_internal.h"

/* Raw values of the key-type-specific labels -1 to -4, read before kty is
 * known because map order is free. */
typedef struct key_raw {
    tk_view value[4]; /* encoded values of labels -1, -2, -3, -4 */
} key_raw;

/* Reads an integer value within int32_t. */
static tk_err read_small_int(tk_cbor_dec *dec, int32_t *v)
{
    tk_cbor_item item;
    int64_t n = 0;

    if (tk_cbor_dec_peek(dec, &item) != TK_OK) {
        return tk_cbor_dec_error(dec);
    }
    if (item.type != TK_CBOR_UINT && item.type != TK_CBOR_NINT) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_KEY_DECODE);
    }
    if (tk_cbor_dec_get_int(dec, &n) != TK_OK || n < INT32_MIN ||
        n > INT32_MAX) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_KEY_DECODE);
    }
    *v = (int32_t)n;
    return TK_OK;
}

/* Reads a definite-length byte string value. */
static tk_err read_key_bstr(tk_cbor_dec *dec, tk_view *v)
{
    tk_cbor_item item;

    if (tk_cbor_dec_peek(dec, &item) != TK_OK) {
        return tk_cbor_dec_error(dec);
    }
    if (item.type != TK_CBOR_BSTR ||
        (item.flags & TK_CBOR_ITEM_INDEFINITE) != 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_KEY_DECODE);
    }
    return tk_cbor_dec_get_bstr(dec, v);
}

/* Reads key_ops: an array of integer operations 1 to 10 (text values,
 * which no registered operation uses, are rejected). */
static tk_err read_key_ops(tk_cbor_dec *dec, uint32_t *ops)
{
    tk_cbor_item item;
    size_t n = 0;

    if (tk_cbor_dec_peek(dec, &item) != TK_OK) {
        return tk_cbor_dec_error(dec);
    }
    if (item.type != TK_CBOR_ARRAY) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_KEY_DECODE);
    }
    tk_cbor_dec_enter_array(dec, NULL);
    while (tk_cbor_dec_more(dec) && n++ < 32) {
        int32_t op = 0;

        if (read_small_int(dec, &op) != TK_OK) {
            return tk_cbor_dec_error(dec);
        }
        if (op < 1 || op > 10) {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_KEY_DECODE);
        }
        *ops |= 1u << op;
    }
    if (n > 32) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_KEY_DECODE);
    }
    return tk_cbor_dec_exit(dec);
}

/* Reads the map entries of a COSE_Key. */
static tk_err read_key_map(tk_cbor_dec *dec, tk_cose_key *out, key_raw *raw)
{
    int64_t seen[TK_COSE_MAX_KEY_LABELS];
    size_t nseen = 0;

    while (tk_cbor_dec_more(dec)) {
        tk_cbor_item item;
        int64_t label;
        tk_err err;

        if (tk_cbor_dec_peek(dec, &item) != TK_OK) {
            break;
        }
        if (item.type == TK_CBOR_TSTR) {
            /* Text labels name no member used here: skip the pair. */
            tk_cbor_dec_skip(dec, NULL);
            tk_cbor_dec_skip(dec, NULL);
            continue;
        }
        if (tk_cbor_dec_get_label(dec, &label) != TK_OK) {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_KEY_DECODE);
        }
        for (size_t i = 0; i < nseen; i++) {
            if (seen[i] == label) {
                return tk_cbor_dec_fail(dec, TK_ERR_COSE_DUPLICATE_LABEL);
            }
        }
        if (nseen == TK_COSE_MAX_KEY_LABELS) {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_TOO_MANY_LABELS);
        }
        seen[nseen++] = label;
        switch (label) {
        case TK_COSE_KEY_KTY:
            err = read_small_int(dec, &out->params.kty);
            break;
        case TK_COSE_KEY_KID:
            err = read_key_bstr(dec, &out->params.kid);
            break;
        case TK_COSE_KEY_ALG:
            out->has_alg = true;
            err = read_small_int(dec, &out->alg);
            break;
        case TK_COSE_KEY_OPS:
            err = read_key_ops(dec, &out->key_ops);
            break;
        case TK_COSE_KEY_BASE_IV:
            err = read_key_bstr(dec, &out->base_iv);
            break;
        case -1:
        case -2:
        case -3:
        case -4:
            err = tk_cbor_dec_skip(dec, &raw->value[-1 - label]);
            break;
        default:
            err = tk_cbor_dec_skip(dec, NULL);
            break;
        }
        if (err != TK_OK) {
            return tk_cbor_dec_error(dec) != TK_OK ? tk_cbor_dec_error(dec)
                                                   : err;
        }
    }
    return tk_cbor_dec_error(dec);
}

/* Decodes one raw member value: a bstr of exactly size bytes (any
 * non-zero size when size is 0). An absent member stays empty. */
static tk_err member_bstr(tk_view raw, size_t size, tk_view *v)
{
    tk_cbor_dec dec;

    *v = (tk_view){NULL, 0};
    if (raw.len == 0) {
        return TK_OK;
    }
    tk_cbor_dec_init(&dec, raw.ptr, raw.len, 0);
    if (tk_cbor_dec_get_bstr(&dec, v) != TK_OK ||
        tk_cbor_dec_finish(&dec) != TK_OK || v->len == 0 ||
        (size != 0 && v->len != size)) {
        return TK_ERR_COSE_KEY_DECODE;
    }
    return TK_OK;
}

/* Decodes the curve member (-1) of an EC2 or OKP key. */
static tk_err member_curve(tk_view raw, int32_t *crv)
{
    tk_cbor_dec dec;
    int64_t n = 0;

    if (raw.len == 0) {
        return TK_ERR_COSE_KEY_DECODE;
    }
    tk_cbor_dec_init(&dec, raw.ptr, raw.len, 0);
    if (tk_cbor_dec_get_int(&dec, &n) != TK_OK ||
        tk_cbor_dec_finish(&dec) != TK_OK || n < INT32_MIN ||
        n > INT32_MAX) {
        return TK_ERR_COSE_KEY_DECODE;
    }
    *crv = (int32_t)n;
    return TK_OK;
}

/* Tells whether crv belongs to kty: the NIST curves to EC2, the
 * Edwards and Montgomery curves to OKP. */
static bool curve_fits(int32_t kty, int32_t crv)
{
    if (kty == TK_KTY_EC2) {
        return crv == TK_CRV_P256 || crv == TK_CRV_P384 ||
               crv == TK_CRV_P521;
    }
    return crv == TK_CRV_X25519 || crv == TK_CRV_X448 ||
           crv == TK_CRV_ED25519 || crv == TK_CRV_ED448;
}

/* Interprets the members -1 to -4 once kty is known. */
static tk_err decode_members(const key_raw *raw, tk_key_params *p)
{
    tk_err err;
    size_t size;

    if (p->kty == TK_KTY_SYMMETRIC) {
        return member_bstr(raw->value[0], 0, &p->k) != TK_OK ||
                       p->k.len == 0
                   ? TK_ERR_COSE_KEY_DECODE
                   : TK_OK;
    }
    if (p->kty != TK_KTY_EC2 && p->kty != TK_KTY_OKP) {
        return TK_ERR_COSE_KEY_DECODE;
    }
    err = member_curve(raw->value[0], &p->crv);
    if (err != TK_OK || !curve_fits(p->kty, p->crv)) {
        return TK_ERR_COSE_KEY_DECODE;
    }
    size = tk_crypto_curve_size(p->crv);
    if (member_bstr(raw->value[1], size, &p->x) != TK_OK ||
        member_bstr(raw->value[3], size, &p->d) != TK_OK) {
        return TK_ERR_COSE_KEY_DECODE;
    }
    if (p->kty == TK_KTY_OKP) {
        if (raw->value[2].len > 0) {
            return TK_ERR_COSE_KEY_DECODE; /* y is an EC2 member only */
        }
    } else if (raw->value[2].len == 1 &&
               (raw->value[2].ptr[0] == 0xf4 || raw->value[2].ptr[0] == 0xf5)) {
        /* A compressed point: y is the sign bit as a boolean. */
        p->y_bit = raw->value[2].ptr[0] == 0xf5 ? 1 : 0;
        if (p->x.len == 0) {
            return TK_ERR_COSE_KEY_DECODE;
        }
    } else if (member_bstr(raw->value[2], size, &p->y) != TK_OK ||
               (p->x.len == 0) != (p->y.len == 0)) {
        return TK_ERR_COSE_KEY_DECODE;
    }
    if (p->x.len == 0 && p->d.len == 0) {
        return TK_ERR_COSE_KEY_DECODE;
    }
    return TK_OK;
}

tk_err tk_cose_key_decode(tk_view cbor, tk_cose_key *out)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    key_raw raw;
    tk_err err;

    if (out == NULL || (cbor.ptr == NULL && cbor.len > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    memset(&raw, 0, sizeof(raw));
    tk_cbor_dec_init(&dec, cbor.ptr, cbor.len, 0);
    err = tk_cbor_dec_peek(&dec, &item);
    if (err == TK_OK && item.type != TK_CBOR_MAP) {
        err = TK_ERR_COSE_KEY_DECODE;
    }
    if (err == TK_OK) {
        tk_cbor_dec_enter_map(&dec, NULL);
        err = read_key_map(&dec, out, &raw);
    }
    if (err == TK_OK) {
        tk_cbor_dec_exit(&dec);
        err = tk_cbor_dec_finish(&dec);
    }
    if (err == TK_OK) {
        err = decode_members(&raw, &out->params);
    }
    if (err != TK_OK && err != TK_ERR_COSE_DUPLICATE_LABEL &&
        err != TK_ERR_COSE_TOO_MANY_LABELS) {
        err = TK_ERR_COSE_KEY_DECODE;
    }
    if (err != TK_OK) {
        memset(out, 0, sizeof(*out));
    }
    return err;
}

tk_err tk_cose_key_import(const tk_crypto *crypto, tk_view cbor, tk_key *key,
                          tk_cose_key *info)
{
    tk_cose_key local;
    tk_cose_key *k = info != NULL ? info : &local;
    tk_err err;

    if (crypto == NULL || key == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    err = tk_cose_key_decode(cbor, k);
    if (err != TK_OK) {
        return err;
    }
    if (k->params.kty == TK_KTY_SYMMETRIC) {
        err = tk_key_init_symmetric(key, k->params.k);
        key->kid = k->params.kid;
        return err;
    }
    return crypto->key_import(crypto->ctx, &k->params, key);
}

/* Writes the members of key into an open map of enc. */
static void put_key_members(tk_cbor_enc *enc, const tk_key *key, tk_alg alg,
                            bool include_private, bool with_kid)
{
    bool priv = include_private && key->has_private;
    bool kid = with_kid && key->kid.len > 0;
    size_t pairs = 1 + (size_t)kid + (size_t)(alg != TK_ALG_NONE);

    if (key->kty == TK_KTY_SYMMETRIC) {
        pairs += 1;
    } else {
        pairs += 2 + (size_t)(key->kty == TK_KTY_EC2) + (size_t)priv;
    }
    tk_cbor_enc_put_map(enc, pairs);
    tk_cbor_enc_put_int(enc, TK_COSE_KEY_KTY);
    tk_cbor_enc_put_int(enc, key->kty);
    if (kid) {
        tk_cbor_enc_put_int(enc, TK_COSE_KEY_KID);
        tk_cbor_enc_put_bstr(enc, key->kid.ptr, key->kid.len);
    }
    if (alg != TK_ALG_NONE) {
        tk_cbor_enc_put_int(enc, TK_COSE_KEY_ALG);
        tk_cbor_enc_put_int(enc, alg);
    }
    if (key->kty == TK_KTY_SYMMETRIC) {
        tk_cbor_enc_put_int(enc, TK_COSE_KEY_K);
        tk_cbor_enc_put_bstr(enc, key->k, key->k_len);
        return;
    }
    tk_cbor_enc_put_int(enc, TK_COSE_KEY_CRV);
    tk_cbor_enc_put_int(enc, key->crv);
    tk_cbor_enc_put_int(enc, TK_COSE_KEY_X);
    tk_cbor_enc_put_bstr(enc, key->x, key->coord_len);
    if (key->kty == TK_KTY_EC2) {
        tk_cbor_enc_put_int(enc, TK_COSE_KEY_Y);
        tk_cbor_enc_put_bstr(enc, key->y, key->coord_len);
    }
    if (priv) {
        tk_cbor_enc_put_int(enc, TK_COSE_KEY_D);
        tk_cbor_enc_put_bstr(enc, key->d, key->coord_len);
    }
}

/* Checks that key has the members that encoding needs. */
static tk_err check_encodable(const tk_key *key)
{
    if (key->kty == TK_KTY_SYMMETRIC) {
        return key->k_len > 0 && key->k_len <= TK_CRYPTO_MAX_SYMMETRIC_SIZE
                   ? TK_OK
                   : TK_ERR_CRYPTO_KEY_INVALID;
    }
    if ((key->kty != TK_KTY_EC2 && key->kty != TK_KTY_OKP) ||
        !key->has_public || key->coord_len == 0 ||
        key->coord_len > TK_CRYPTO_MAX_COORD_SIZE) {
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    return TK_OK;
}

tk_err tk_cose_key_encode(const tk_key *key, tk_alg alg, bool include_private,
                          uint8_t *out, size_t out_cap, size_t *out_len)
{
    tk_cbor_enc enc;
    tk_err err;

    if (key == NULL || out_len == NULL || (out == NULL && out_cap > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    err = check_encodable(key);
    if (err != TK_OK) {
        return err;
    }
    tk_cbor_enc_init(&enc, out, out_cap, TK_CBOR_ENC_DETERMINISTIC);
    put_key_members(&enc, key, alg, include_private, true);
    return tk_cbor_enc_finish(&enc, out_len);
}

tk_err tk_cose_key_thumbprint(const tk_crypto *crypto, const tk_key *key,
                              uint8_t digest[TK_COSE_THUMBPRINT_SIZE])
{
    /* kty, crv, x and y of a P-384 key: well under 128 bytes. */
    uint8_t buf[TK_CRYPTO_MAX_SYMMETRIC_SIZE + 2 * TK_CRYPTO_MAX_COORD_SIZE +
                32];
    tk_cbor_enc enc;
    size_t len = 0;
    size_t digest_len = 0;
    tk_view part;
    tk_err err;

    if (crypto == NULL || key == NULL || digest == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    err = check_encodable(key);
    if (err != TK_OK) {
        return err;
    }
    /* RFC 9679 section 3: only the required members, deterministically
     * encoded (RFC 8949 section 4.2.1), so no kid, alg or d. */
    tk_cbor_enc_init(&enc, buf, sizeof(buf), TK_CBOR_ENC_DETERMINISTIC);
    put_key_members(&enc, key, TK_ALG_NONE, false, false);
    err = tk_cbor_enc_finish(&enc, &len);
    if (err != TK_OK) {
        return err;
    }
    part = (tk_view){buf, len};
    err = crypto->hash(crypto->ctx, TK_ALG_SHA256, &part, 1, digest,
                       TK_COSE_THUMBPRINT_SIZE, &digest_len);
    tk_crypto_wipe(buf, sizeof(buf));
    if (err == TK_OK && digest_len != TK_COSE_THUMBPRINT_SIZE) {
        err = TK_ERR_INTERNAL;
    }
    return err;
}
