/*
 * COSE benchmark: each teepkit operation beside the raw OpenSSL 3 calls
 * that do the same cryptography on the same bytes, in one program.
 *
 *   verify1   tk_cose_sign1_verify (ES256)  vs  EVP_DigestVerify over the
 *             same ToBeSigned bytes with the same signature (DER)
 *   sign1     tk_cose_sign1_sign (ES256)    vs  EVP_DigestSign
 *   mac0      tk_cose_mac0_verify (HMAC 256/256) vs EVP_MAC over the same
 *             MAC_structure and a tag compare
 *   decrypt0  tk_cose_encrypt0_decrypt (A128GCM) vs EVP AES-128-GCM
 *             decryption with the same AAD
 *   decode1   tk_cose_sign1_decode alone (no crypto): the structure cost
 *
 * Both sides use a key parsed once: the teepkit tk_key caches the OpenSSL
 * key, and the raw side parses its EVP_PKEY before timing.
 *
 * Usage: bench_cose [--iterations N] [--payload BYTES]
 *        bench_cose --once OP N     runs op_OP N times (for callgrind)
 */
#define _POSIX_C_SOURCE 200809L

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "teepkit/cose.h"

/* Everything the operations share, set up once. */
typedef struct bench {
    const tk_crypto *crypto;
    tk_key key;          /* P-256, with its OpenSSL cache */
    tk_key hmac;
    tk_key aes;
    EVP_PKEY *pkey;      /* the same P-256 key for the raw calls */
    EVP_PKEY *pkey_priv; /* and its private form for raw signing */
    const uint8_t *iv;   /* enc0's IV and ciphertext, in enc0 */
    const uint8_t *ct;
    uint8_t *payload;
    size_t payload_len;
    uint8_t sign1[4096 + 256];
    size_t sign1_len;
    uint8_t mac0[4096 + 128];
    size_t mac0_len;
    uint8_t enc0[4096 + 128];
    size_t enc0_len;
    uint8_t tbs[4096 + 64];  /* Sig_structure of sign1 */
    size_t tbs_len;
    uint8_t mac_tbs[4096 + 64]; /* MAC_structure of mac0 */
    size_t mac_tbs_len;
    uint8_t der[80];         /* sign1's signature in DER */
    size_t der_len;
    uint8_t aad[64];         /* Enc_structure of enc0 */
    size_t aad_len;
    uint8_t plain[4096];
    volatile int sink;
} bench;

static bench b;

static void die(const char *what)
{
    fprintf(stderr, "bench_cose: %s\n", what);
    exit(1);
}

/* Appends a CBOR head to buf at *n. */
static void put_head(uint8_t *buf, size_t *n, unsigned major, size_t v)
{
    uint8_t ib = (uint8_t)(major << 5);

    if (v < 24) {
        buf[(*n)++] = (uint8_t)(ib | v);
    } else if (v < 256) {
        buf[(*n)++] = (uint8_t)(ib | 24);
        buf[(*n)++] = (uint8_t)v;
    } else {
        buf[(*n)++] = (uint8_t)(ib | 25);
        buf[(*n)++] = (uint8_t)(v >> 8);
        buf[(*n)++] = (uint8_t)v;
    }
}

static void put_bytes(uint8_t *buf, size_t *n, const void *p, size_t len)
{
    memcpy(buf + *n, p, len);
    *n += len;
}

/* Builds [context, prot, h'', payload] as the raw side's input. */
static size_t structure(uint8_t *buf, const char *context, tk_view prot,
                        tk_view payload)
{
    size_t n = 0;

    put_head(buf, &n, 4, 4);
    put_head(buf, &n, 3, strlen(context));
    put_bytes(buf, &n, context, strlen(context));
    put_head(buf, &n, 2, prot.len);
    put_bytes(buf, &n, prot.ptr, prot.len);
    put_head(buf, &n, 2, 0);
    put_head(buf, &n, 2, payload.len);
    put_bytes(buf, &n, payload.ptr, payload.len);
    return n;
}

/* Writes a DER INTEGER of the big-endian v (n bytes). */
static void der_int(uint8_t *out, size_t *len, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    out[(*len)++] = 0x02;
    out[(*len)++] = (uint8_t)(n + (v[0] >= 0x80));
    if (v[0] >= 0x80) {
        out[(*len)++] = 0;
    }
    memcpy(out + *len, v, n);
    *len += n;
}

/* Converts an r||s signature into the DER form OpenSSL takes. */
static void to_der(const uint8_t *sig)
{
    uint8_t body[76];
    size_t n = 0;

    der_int(body, &n, sig, 32);
    der_int(body, &n, sig + 32, 32);
    b.der[0] = 0x30;
    b.der[1] = (uint8_t)n;
    memcpy(b.der + 2, body, n);
    b.der_len = n + 2;
}

/* Makes an OpenSSL key from the tk_key: public, or with its private
 * scalar too. */
static EVP_PKEY *make_pkey(bool with_private)
{
    uint8_t point[65];
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    BIGNUM *d = BN_bin2bn(b.key.d, 32, NULL);
    EVP_PKEY *pkey = NULL;

    point[0] = 4;
    memcpy(point + 1, b.key.x, 32);
    memcpy(point + 33, b.key.y, 32);
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                    "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 65);
    if (with_private) {
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    if (ctx == NULL || params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey,
                          with_private ? EVP_PKEY_KEYPAIR
                                       : EVP_PKEY_PUBLIC_KEY,
                          params) != 1) {
        die("cannot make the OpenSSL key");
    }
    BN_clear_free(d);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static void setup(size_t payload_len)
{
    static const uint8_t k[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    tk_cose_build bl;
    tk_cose_sign1 s;
    tk_cose_encrypt0 e;
    tk_cose_mac0 m;
    tk_cose_opts o;

    b.crypto = tk_crypto_openssl();
    if (b.crypto == NULL ||
        b.crypto->key_generate(b.crypto->ctx, TK_CRV_P256, &b.key) != TK_OK) {
        die("cannot start the OpenSSL backend");
    }
    tk_key_init_symmetric(&b.hmac, (tk_view){k, 32});
    tk_key_init_symmetric(&b.aes, (tk_view){k, 16});
    b.payload_len = payload_len;
    b.payload = malloc(payload_len);
    for (size_t i = 0; i < payload_len; i++) {
        b.payload[i] = (uint8_t)(i * 7);
    }
    memset(&bl, 0, sizeof(bl));
    bl.alg = TK_ALG_ES256;
    bl.key = &b.key;
    bl.kid = TK_VIEW_STR("bench-key");
    if (tk_cose_sign1_sign(b.crypto, &bl, (tk_view){b.payload, payload_len},
                           b.sign1, sizeof(b.sign1), &b.sign1_len) != TK_OK) {
        die("cannot sign");
    }
    bl.alg = TK_ALG_HMAC_256_256;
    bl.key = &b.hmac;
    if (tk_cose_mac0_create(b.crypto, &bl, (tk_view){b.payload, payload_len},
                            b.mac0, sizeof(b.mac0), &b.mac0_len) != TK_OK) {
        die("cannot MAC");
    }
    bl.alg = TK_ALG_A128GCM;
    bl.key = &b.aes;
    bl.kid = (tk_view){NULL, 0};
    if (tk_cose_encrypt0_encrypt(b.crypto, &bl,
                                 (tk_view){b.payload, payload_len}, b.enc0,
                                 sizeof(b.enc0), &b.enc0_len) != TK_OK) {
        die("cannot encrypt");
    }

    /* The raw side's inputs, derived from the same messages. */
    memset(&o, 0, sizeof(o));
    o.key = &b.key;
    if (tk_cose_sign1_decode((tk_view){b.sign1, b.sign1_len}, &o, &s) !=
        TK_OK) {
        die("cannot decode the COSE_Sign1");
    }
    b.tbs_len = structure(b.tbs, "Signature1", s.hdr.protected_bytes,
                          s.payload);
    to_der(s.signature.ptr);
    if (tk_cose_mac0_decode((tk_view){b.mac0, b.mac0_len}, &o, &m) != TK_OK) {
        die("cannot decode the COSE_Mac0");
    }
    b.mac_tbs_len = structure(b.mac_tbs, "MAC0", m.hdr.protected_bytes,
                              m.payload);
    o.key = &b.aes;
    if (tk_cose_encrypt0_decrypt(b.crypto, (tk_view){b.enc0, b.enc0_len}, &o,
                                 b.plain, sizeof(b.plain), &payload_len,
                                 &e) != TK_OK) {
        die("cannot decrypt");
    }
    b.aad_len = 0;
    put_head(b.aad, &b.aad_len, 4, 3);
    put_head(b.aad, &b.aad_len, 3, 8);
    put_bytes(b.aad, &b.aad_len, "Encrypt0", 8);
    put_head(b.aad, &b.aad_len, 2, e.hdr.protected_bytes.len);
    put_bytes(b.aad, &b.aad_len, e.hdr.protected_bytes.ptr,
              e.hdr.protected_bytes.len);
    put_head(b.aad, &b.aad_len, 2, 0);
    b.iv = e.hdr.iv.ptr;
    b.ct = e.ciphertext.ptr;
    b.pkey = make_pkey(false);
    b.pkey_priv = make_pkey(true);
}

/* ---------------------------------------------------------------------- */
/* Operations, each one call; noinline so that callgrind can toggle on    */
/* them by name.                                                          */
/* ---------------------------------------------------------------------- */

#define OP __attribute__((noinline))

OP void op_verify1_cose(void)
{
    tk_cose_opts o;

    memset(&o, 0, sizeof(o));
    o.key = &b.key;
    b.sink += tk_cose_sign1_verify(b.crypto, (tk_view){b.sign1, b.sign1_len},
                                   &o, NULL) == TK_OK;
}

OP void op_verify1_raw(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    b.sink += ctx != NULL &&
              EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, b.pkey) ==
                  1 &&
              EVP_DigestVerify(ctx, b.der, b.der_len, b.tbs, b.tbs_len) == 1;
    EVP_MD_CTX_free(ctx);
}

OP void op_sign1_cose(void)
{
    static uint8_t out[4096 + 256];
    tk_cose_build bl;
    size_t len;

    memset(&bl, 0, sizeof(bl));
    bl.alg = TK_ALG_ES256;
    bl.key = &b.key;
    bl.kid = TK_VIEW_STR("bench-key");
    b.sink += tk_cose_sign1_sign(b.crypto, &bl,
                                 (tk_view){b.payload, b.payload_len}, out,
                                 sizeof(out), &len) == TK_OK;
}

OP void op_sign1_raw(void)
{
    static uint8_t der[80];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t len = sizeof(der);

    b.sink += ctx != NULL &&
              EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
                                 b.pkey_priv) == 1 &&
              EVP_DigestSign(ctx, der, &len, b.tbs, b.tbs_len) == 1;
    EVP_MD_CTX_free(ctx);
}

OP void op_mac0_cose(void)
{
    tk_cose_opts o;

    memset(&o, 0, sizeof(o));
    o.key = &b.hmac;
    b.sink += tk_cose_mac0_verify(b.crypto, (tk_view){b.mac0, b.mac0_len},
                                  &o, NULL) == TK_OK;
}

OP void op_mac0_raw(void)
{
    uint8_t tag[32];
    size_t len = sizeof(tag);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };

    b.sink += ctx != NULL &&
              EVP_MAC_init(ctx, b.hmac.k, b.hmac.k_len, params) == 1 &&
              EVP_MAC_update(ctx, b.mac_tbs, b.mac_tbs_len) == 1 &&
              EVP_MAC_final(ctx, tag, &len, sizeof(tag)) == 1 &&
              CRYPTO_memcmp(tag, b.mac0 + b.mac0_len - 32, 32) == 0;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

OP void op_decrypt0_cose(void)
{
    tk_cose_opts o;
    size_t len;

    memset(&o, 0, sizeof(o));
    o.key = &b.aes;
    b.sink += tk_cose_encrypt0_decrypt(b.crypto,
                                       (tk_view){b.enc0, b.enc0_len}, &o,
                                       b.plain, sizeof(b.plain), &len,
                                       NULL) == TK_OK;
}

OP void op_decrypt0_raw(void)
{
    const uint8_t *ct = b.ct;
    const uint8_t *iv = b.iv;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    int fin = 0;

    b.sink += ctx != NULL &&
              EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, b.aes.k, iv) ==
                  1 &&
              EVP_DecryptUpdate(ctx, NULL, &len, b.aad, (int)b.aad_len) == 1 &&
              EVP_DecryptUpdate(ctx, b.plain, &len, ct,
                                (int)b.payload_len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
                                  (void *)(ct + b.payload_len)) == 1 &&
              EVP_DecryptFinal_ex(ctx, b.plain + len, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
}

OP void op_decode1_cose(void)
{
    tk_cose_sign1 s;
    tk_cose_opts o;

    memset(&o, 0, sizeof(o));
    b.sink += tk_cose_sign1_decode((tk_view){b.sign1, b.sign1_len}, &o, &s) ==
              TK_OK;
}

OP void op_none(void)
{
    b.sink++;
}

static const struct {
    const char *name;
    void (*fn)(void);
} ops[] = {
    {"verify1_cose", op_verify1_cose},   {"verify1_raw", op_verify1_raw},
    {"sign1_cose", op_sign1_cose},       {"sign1_raw", op_sign1_raw},
    {"mac0_cose", op_mac0_cose},         {"mac0_raw", op_mac0_raw},
    {"decrypt0_cose", op_decrypt0_cose}, {"decrypt0_raw", op_decrypt0_raw},
    {"decode1_cose", op_decode1_cose},   {"none", op_none},
};

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Times fn: rounds batches, keeping the fastest batch's ns per call, so
 * that a busy neighbour on the machine inflates the figure less. */
static double time_op(void (*fn)(void), long iterations)
{
    const int rounds = 5;
    long batch = iterations / rounds > 0 ? iterations / rounds : 1;
    double best = 0;

    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();

        for (long i = 0; i < batch; i++) {
            fn();
        }
        double per = (now_ns() - t0) / (double)batch;
        if (r == 0 || per < best) {
            best = per;
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    long iterations = 2000;
    size_t payload = 256;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = atol(argv[++i]);
        } else if (strcmp(argv[i], "--payload") == 0 && i + 1 < argc) {
            payload = (size_t)atol(argv[++i]);
        } else if (strcmp(argv[i], "--once") == 0 && i + 2 < argc) {
            const char *name = argv[i + 1];
            long n = atol(argv[i + 2]);

            setup(payload);
            for (size_t j = 0; j < sizeof(ops) / sizeof(ops[0]); j++) {
                if (strcmp(ops[j].name, name) == 0) {
                    for (long k = 0; k < n; k++) {
                        ops[j].fn();
                    }
                    return b.sink == n || strcmp(name, "none") == 0 ? 0 : 1;
                }
            }
            die("unknown operation");
        } else {
            die("usage: bench_cose [--iterations N] [--payload BYTES] "
                "[--once OP N]");
        }
    }
    if (payload > 4096) {
        die("--payload is at most 4096 bytes");
    }
    setup(payload);
    printf("| operation | teepkit ns | raw OpenSSL ns | ratio |\n");
    printf("|---|---:|---:|---:|\n");
    for (size_t j = 0; j + 1 < sizeof(ops) / sizeof(ops[0]); j += 2) {
        const char *name = ops[j].name;
        double cose = time_op(ops[j].fn, iterations);
        double raw = 0;

        if (strstr(ops[j + 1].name, "_raw") != NULL) {
            raw = time_op(ops[j + 1].fn, iterations);
            printf("| %.*s | %.0f | %.0f | %.3f |\n",
                   (int)(strchr(name, '_') - name), name, cose, raw,
                   cose / raw);
        } else {
            printf("| %.*s | %.0f | - | - |\n",
                   (int)(strchr(name, '_') - name), name, cose);
        }
    }
    if (b.sink == 0) {
        die("no operation succeeded");
    }
    return 0;
}
