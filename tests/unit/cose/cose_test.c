#define _POSIX_C_SOURCE 200809L
/* Helpers shared by the COSE tests; see cose_test.h. */
#include "cose_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tk_test.h"

#ifndef TK_TEST_BACKEND
#error "TK_TEST_BACKEND must name the backend's table function"
#endif

#define STR2(x) #x
#define STR(x) STR2(x)

const tk_crypto *cose_test_crypto(void)
{
    const tk_crypto *c = TK_TEST_BACKEND();

    if (c == NULL) {
        fprintf(stderr, "crypto backend %s failed to start\n",
                STR(TK_TEST_BACKEND));
        abort();
    }
    return c;
}

bool cose_test_is_mbedtls(void)
{
    return strcmp(cose_test_crypto()->name, "mbedtls") == 0;
}

uint8_t *cose_test_hex(const char *hex, size_t *len)
{
    size_t cap = strlen(hex) / 2 + 1;
    uint8_t *out = malloc(cap);

    if (out == NULL) {
        abort();
    }
    *len = tk_test_hex_decode(hex, out, cap);
    return out;
}

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-' || c == '+') {
        return 62;
    }
    if (c == '_' || c == '/') {
        return 63;
    }
    return -1;
}

uint8_t *cose_test_b64url(const char *text, size_t *len)
{
    size_t n = strlen(text);
    uint8_t *out = malloc(n * 3 / 4 + 3);
    uint32_t acc = 0;
    int bits = 0;

    *len = 0;
    if (out == NULL) {
        abort();
    }
    for (size_t i = 0; i < n && text[i] != '='; i++) {
        int v = b64_value((unsigned char)text[i]);

        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[(*len)++] = (uint8_t)(acc >> bits);
        }
    }
    return out;
}

uint8_t *cose_test_json_bytes(json_t *obj, const char *name, size_t *len)
{
    char hex_name[64];
    json_t *v;

    *len = 0;
    if (obj == NULL) {
        return NULL;
    }
    snprintf(hex_name, sizeof(hex_name), "%s_hex", name);
    v = json_object_get(obj, hex_name);
    if (json_is_string(v)) {
        return cose_test_hex(json_string_value(v), len);
    }
    v = json_object_get(obj, name);
    if (json_is_string(v)) {
        return cose_test_b64url(json_string_value(v), len);
    }
    return NULL;
}

/* Maps a curve name of the examples to its COSE value. */
static int32_t curve_id(const char *name)
{
    static const struct {
        const char *name;
        int32_t crv;
    } curves[] = {
        {"P-256", TK_CRV_P256},   {"P-384", TK_CRV_P384},
        {"P-521", TK_CRV_P521},   {"X25519", TK_CRV_X25519},
        {"X448", TK_CRV_X448},    {"Ed25519", TK_CRV_ED25519},
        {"Ed448", TK_CRV_ED448},
    };

    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        if (strcmp(curves[i].name, name) == 0) {
            return curves[i].crv;
        }
    }
    return TK_CRV_NONE;
}

tk_err cose_test_json_key(json_t *obj, tk_key *key, uint8_t **kid_buf)
{
    const char *kty = json_string_value(json_object_get(obj, "kty"));
    const char *kid = json_string_value(json_object_get(obj, "kid"));
    const char *crv = json_string_value(json_object_get(obj, "crv"));
    tk_key_params p;
    uint8_t *x = NULL;
    uint8_t *y = NULL;
    uint8_t *d = NULL;
    uint8_t *k = NULL;
    tk_err err;

    memset(&p, 0, sizeof(p));
    tk_key_init(key);
    *kid_buf = NULL;
    if (kid != NULL) {
        *kid_buf = (uint8_t *)strdup(kid);
        p.kid = (tk_view){*kid_buf, strlen(kid)};
    }
    if (kty == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    if (strcmp(kty, "oct") == 0) {
        size_t n;

        k = cose_test_json_bytes(obj, "k", &n);
        err = tk_key_init_symmetric(key, (tk_view){k, n});
        key->kid = p.kid;
        free(k);
        return err;
    }
    p.kty = strcmp(kty, "EC") == 0 ? TK_KTY_EC2 : TK_KTY_OKP;
    p.crv = crv != NULL ? curve_id(crv) : TK_CRV_NONE;
    x = cose_test_json_bytes(obj, "x", &p.x.len);
    y = cose_test_json_bytes(obj, "y", &p.y.len);
    d = cose_test_json_bytes(obj, "d", &p.d.len);
    p.x.ptr = x;
    p.y.ptr = y;
    p.d.ptr = d;
    err = cose_test_crypto()->key_import(cose_test_crypto()->ctx, &p, key);
    free(x);
    free(y);
    free(d);
    return err;
}

int64_t cose_test_alg_id(const char *name)
{
    static const struct {
        const char *name;
        int64_t id;
    } algs[] = {
        {"ES256", TK_ALG_ES256},
        {"ES384", TK_ALG_ES384},
        {"EdDSA", TK_ALG_EDDSA},
        {"HS256/64", TK_ALG_HMAC_256_64},
        {"HS256", TK_ALG_HMAC_256_256},
        {"HS384", TK_ALG_HMAC_384_384},
        {"HS512", TK_ALG_HMAC_512_512},
        {"A128GCM", TK_ALG_A128GCM},
        {"A192GCM", TK_ALG_A192GCM},
        {"A256GCM", TK_ALG_A256GCM},
        {"direct", TK_COSE_ALG_DIRECT},
        {"A128KW", TK_ALG_A128KW},
        {"A192KW", TK_ALG_A192KW},
        {"A256KW", TK_ALG_A256KW},
        {"ECDH-ES", TK_COSE_ALG_ECDH_ES_HKDF_256},
        {"ECDH-ES-512", TK_COSE_ALG_ECDH_ES_HKDF_512},
        {"ECDH-ES-A128KW", TK_COSE_ALG_ECDH_ES_A128KW},
        {"ECDH-ES+A128KW", TK_COSE_ALG_ECDH_ES_A128KW},
        {"ECDH-ES-A192KW", TK_COSE_ALG_ECDH_ES_A192KW},
        {"ECDH-ES-A256KW", TK_COSE_ALG_ECDH_ES_A256KW},
    };

    for (size_t i = 0; name != NULL && i < sizeof(algs) / sizeof(algs[0]);
         i++) {
        if (strcmp(algs[i].name, name) == 0) {
            return algs[i].id;
        }
    }
    return 0;
}

void cose_test_p256_key(tk_key *key, bool with_private)
{
    /* The key "11" of the COSE working group examples. */
    static const char x[] =
        "bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff";
    static const char y[] =
        "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e";
    static const char d[] =
        "57c92077664146e876760c9520d054aa93c3afb04e306705db6090308507b4d3";
    uint8_t xb[32];
    uint8_t yb[32];
    uint8_t db[32];
    tk_key_params p;

    memset(&p, 0, sizeof(p));
    tk_test_hex_decode(x, xb, sizeof(xb));
    tk_test_hex_decode(y, yb, sizeof(yb));
    tk_test_hex_decode(d, db, sizeof(db));
    p.kty = TK_KTY_EC2;
    p.crv = TK_CRV_P256;
    p.x = (tk_view){xb, 32};
    p.y = (tk_view){yb, 32};
    if (with_private) {
        p.d = (tk_view){db, 32};
    }
    p.kid = TK_VIEW_STR("11");
    tk_key_init(key);
    if (cose_test_crypto()->key_import(cose_test_crypto()->ctx, &p, key) !=
        TK_OK) {
        fprintf(stderr, "P-256 test key import failed\n");
        abort();
    }
}

void cose_test_sym_key(tk_key *key, size_t len, uint8_t fill)
{
    uint8_t k[TK_CRYPTO_MAX_SYMMETRIC_SIZE];

    memset(k, fill, sizeof(k));
    if (tk_key_init_symmetric(key, (tk_view){k, len}) != TK_OK) {
        abort();
    }
}

void cose_buf_bytes(cose_buf *buf, const uint8_t *p, size_t n)
{
    if (buf->n + n > sizeof(buf->b)) {
        abort();
    }
    if (n > 0) {
        memcpy(buf->b + buf->n, p, n);
    }
    buf->n += n;
}

void cose_buf_hex(cose_buf *buf, const char *hex)
{
    buf->n += tk_test_hex_decode(hex, buf->b + buf->n,
                                 sizeof(buf->b) - buf->n);
}

void cose_buf_head(cose_buf *buf, unsigned major, uint64_t value)
{
    uint8_t h[9];
    size_t n;

    h[0] = (uint8_t)(major << 5);
    if (value < 24) {
        h[0] |= (uint8_t)value;
        n = 1;
    } else if (value <= 0xff) {
        h[0] |= 24;
        h[1] = (uint8_t)value;
        n = 2;
    } else if (value <= 0xffff) {
        h[0] |= 25;
        h[1] = (uint8_t)(value >> 8);
        h[2] = (uint8_t)value;
        n = 3;
    } else {
        h[0] |= 26;
        for (int i = 0; i < 4; i++) {
            h[1 + i] = (uint8_t)(value >> (24 - 8 * i));
        }
        n = 5;
    }
    cose_buf_bytes(buf, h, n);
}

void cose_buf_bstr(cose_buf *buf, const uint8_t *p, size_t n)
{
    cose_buf_head(buf, 2, n);
    cose_buf_bytes(buf, p, n);
}

tk_view cose_buf_view(const cose_buf *buf)
{
    return (tk_view){buf->b, buf->n};
}

/* Builds a to-be-signed or MAC structure [context, prot, aad, payload]. */
static void structure4(cose_buf *s, const char *context, tk_view prot,
                       tk_view aad, tk_view payload)
{
    s->n = 0;
    cose_buf_head(s, 4, 4);
    cose_buf_head(s, 3, strlen(context));
    cose_buf_bytes(s, (const uint8_t *)context, strlen(context));
    cose_buf_bstr(s, prot.ptr, prot.len);
    cose_buf_bstr(s, aad.ptr, aad.len);
    cose_buf_bstr(s, payload.ptr, payload.len);
}

void cose_buf_sign1_sig(cose_buf *buf, const tk_key *key, tk_alg alg,
                        tk_view prot, tk_view aad, tk_view payload)
{
    const tk_crypto *c = cose_test_crypto();
    static cose_buf tbs;
    uint8_t sig[TK_CRYPTO_MAX_SIG_SIZE];
    size_t sig_len = 0;
    tk_view part;

    structure4(&tbs, "Signature1", prot, aad, payload);
    part = cose_buf_view(&tbs);
    if (c->sign(c->ctx, alg, key, &part, 1, sig, sizeof(sig), &sig_len) !=
        TK_OK) {
        fprintf(stderr, "test signature failed\n");
        abort();
    }
    cose_buf_bstr(buf, sig, sig_len);
}

void cose_buf_mac_tag(cose_buf *buf, const tk_key *key, tk_alg alg,
                      const char *context, tk_view prot, tk_view aad,
                      tk_view payload)
{
    const tk_crypto *c = cose_test_crypto();
    static cose_buf tbs;
    uint8_t tag[TK_CRYPTO_MAX_MAC_SIZE];
    size_t tag_len = 0;
    tk_view part;

    structure4(&tbs, context, prot, aad, payload);
    part = cose_buf_view(&tbs);
    if (c->mac(c->ctx, alg, key, &part, 1, tag, sizeof(tag), &tag_len) !=
        TK_OK) {
        fprintf(stderr, "test MAC failed\n");
        abort();
    }
    cose_buf_bstr(buf, tag, alg == TK_ALG_HMAC_256_64 ? 8 : tag_len);
}
