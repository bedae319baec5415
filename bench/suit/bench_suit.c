/*
 * SUIT benchmark: decode + verify + process of the published examples on
 * a lean in-memory platform, with the work inside the crypto backend
 * split out, so that the library's own overhead is visible.
 *
 *   bench_suit [--iterations N]
 *       runs every case N times and prints, per case, ns per run and the
 *       ns spent in signature and MAC verification
 *   bench_suit --once CASE
 *       runs CASE once for warm-up, then once inside process_once(), for
 *       callgrind --toggle-collect=process_once
 *   bench_suit --list
 *       prints the case names
 *
 * The crypto table wraps the OpenSSL backend: bench_crypto_verify() and
 * bench_crypto_mac() contain the signature and MAC checks, the other
 * bench_crypto_* functions every other primitive (hashes, key unwrap,
 * ECDH, HKDF, ciphers). run.sh reads their inclusive instruction counts.
 *
 * The platform keeps components in static buffers and reports a stored
 * digest for the examples' test images, as a device that keeps image
 * digests in its metadata does, so the placeholder digests of the
 * examples match.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "teepkit/cose.h"
#include "teepkit/crypto.h"
#include "teepkit/suit.h"

#define MAX_COMPONENTS 8
#define MAX_IMAGE (80u * 1024u)
#define MAX_ID 96

/* ---- crypto wrapper ----------------------------------------------------- */

static const tk_crypto *inner;
static tk_crypto wrapped;
static double verify_ns;
static bool timing;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

__attribute__((noinline)) static tk_err
bench_crypto_verify(void *ctx, tk_alg alg, const tk_key *key,
                    const tk_view *parts, size_t nparts, tk_view sig)
{
    (void)ctx;
    double t0 = timing ? now_ns() : 0;
    tk_err e = inner->verify(inner->ctx, alg, key, parts, nparts, sig);
    if (timing)
        verify_ns += now_ns() - t0;
    return e;
}

__attribute__((noinline)) static tk_err
bench_crypto_mac(void *ctx, tk_alg alg, const tk_key *key,
                 const tk_view *parts, size_t nparts, uint8_t *tag,
                 size_t cap, size_t *len)
{
    (void)ctx;
    double t0 = timing ? now_ns() : 0;
    tk_err e = inner->mac(inner->ctx, alg, key, parts, nparts, tag, cap, len);
    if (timing)
        verify_ns += now_ns() - t0;
    return e;
}

__attribute__((noinline)) static tk_err
bench_crypto_hash(void *ctx, tk_alg alg, const tk_view *parts, size_t n,
                  uint8_t *d, size_t cap, size_t *len)
{
    (void)ctx;
    return inner->hash(inner->ctx, alg, parts, n, d, cap, len);
}

__attribute__((noinline)) static tk_err
bench_crypto_hash_start(void *ctx, tk_crypto_hash_state *s, tk_alg alg)
{
    (void)ctx;
    return inner->hash_start(inner->ctx, s, alg);
}

__attribute__((noinline)) static tk_err
bench_crypto_hash_update(void *ctx, tk_crypto_hash_state *s,
                         const uint8_t *d, size_t len)
{
    (void)ctx;
    return inner->hash_update(inner->ctx, s, d, len);
}

__attribute__((noinline)) static tk_err
bench_crypto_hash_finish(void *ctx, tk_crypto_hash_state *s, uint8_t *d,
                         size_t cap, size_t *len)
{
    (void)ctx;
    return inner->hash_finish(inner->ctx, s, d, cap, len);
}

__attribute__((noinline)) static tk_err
bench_crypto_hkdf(void *ctx, tk_alg alg, tk_view salt, tk_view ikm,
                  tk_view info, uint8_t *out, size_t len)
{
    (void)ctx;
    return inner->hkdf(inner->ctx, alg, salt, ikm, info, out, len);
}

__attribute__((noinline)) static tk_err
bench_crypto_key_unwrap(void *ctx, tk_alg alg, const tk_key *kek,
                        tk_view in, uint8_t *out, size_t cap, size_t *len)
{
    (void)ctx;
    return inner->key_unwrap(inner->ctx, alg, kek, in, out, cap, len);
}

__attribute__((noinline)) static tk_err
bench_crypto_ecdh(void *ctx, const tk_key *priv, const tk_key *peer,
                  uint8_t *secret, size_t cap, size_t *len)
{
    (void)ctx;
    return inner->ecdh(inner->ctx, priv, peer, secret, cap, len);
}

__attribute__((noinline)) static tk_err
bench_crypto_key_import(void *ctx, const tk_key_params *p, tk_key *key)
{
    (void)ctx;
    return inner->key_import(inner->ctx, p, key);
}

__attribute__((noinline)) static tk_err
bench_crypto_cipher_start(void *ctx, tk_crypto_cipher_state *s, tk_alg alg,
                          const tk_key *key, tk_view iv, tk_view aad,
                          tk_crypto_dir dir)
{
    (void)ctx;
    return inner->cipher_start(inner->ctx, s, alg, key, iv, aad, dir);
}

__attribute__((noinline)) static tk_err
bench_crypto_cipher_update(void *ctx, tk_crypto_cipher_state *s,
                           const uint8_t *in, size_t len, uint8_t *out)
{
    (void)ctx;
    return inner->cipher_update(inner->ctx, s, in, len, out);
}

__attribute__((noinline)) static tk_err
bench_crypto_cipher_finish(void *ctx, tk_crypto_cipher_state *s,
                           tk_view tag, uint8_t *out, size_t out_len)
{
    (void)ctx;
    return inner->cipher_finish(inner->ctx, s, tag, out, out_len);
}

static void crypto_setup(void)
{
    inner = tk_crypto_openssl();
    if (inner == NULL) {
        fprintf(stderr, "bench_suit: no OpenSSL backend\n");
        exit(1);
    }
    wrapped = *inner;
    wrapped.verify = bench_crypto_verify;
    wrapped.mac = bench_crypto_mac;
    wrapped.hash = bench_crypto_hash;
    wrapped.hash_start = bench_crypto_hash_start;
    wrapped.hash_update = bench_crypto_hash_update;
    wrapped.hash_finish = bench_crypto_hash_finish;
    wrapped.hkdf = bench_crypto_hkdf;
    wrapped.key_unwrap = bench_crypto_key_unwrap;
    wrapped.ecdh = bench_crypto_ecdh;
    wrapped.key_import = bench_crypto_key_import;
    wrapped.cipher_start = bench_crypto_cipher_start;
    wrapped.cipher_update = bench_crypto_cipher_update;
    wrapped.cipher_finish = bench_crypto_cipher_finish;
}

/* ---- platform ----------------------------------------------------------- */

typedef struct component {
    uint8_t id[MAX_ID];
    size_t id_len;
    uint8_t *data;
    size_t len;
    bool present;
    bool has_digest;
    uint8_t digest[32];
    bool has_slot;
    uint64_t slot;
} component;

typedef struct payload {
    const char *uri;
    uint8_t *data;
    size_t len;
} payload;

/* A test image whose stored digest is a placeholder. */
typedef struct alias {
    const uint8_t *data;
    size_t len;
    const uint8_t *digest;
    const uint8_t *id; /* NULL: any component */
    size_t id_len;
} alias;

static component comps[MAX_COMPONENTS];
static size_t ncomps;
static payload payloads[4];
static size_t npayloads;
static alias aliases[4];
static size_t naliases;
static const tk_key *manifest_keys[2]; /* by depth */
static const tk_key *hmac_key;
static const tk_key *kek;
static const tk_key *receiver;
static uint8_t vendor[16];
static uint8_t class_id[16];

static component *comp_find(tk_view id, bool create)
{
    for (size_t i = 0; i < ncomps; i++)
        if (comps[i].id_len == id.len &&
            memcmp(comps[i].id, id.ptr, id.len) == 0)
            return &comps[i];
    if (!create || ncomps == MAX_COMPONENTS || id.len > MAX_ID)
        return NULL;
    component *c = &comps[ncomps++];
    memcpy(c->id, id.ptr, id.len);
    c->id_len = id.len;
    c->present = false;
    c->has_digest = false;
    c->has_slot = false;
    c->len = 0;
    if (c->data == NULL)
        c->data = malloc(MAX_IMAGE);
    return c;
}

static tk_err bench_pf_find_key(void *ctx, const tk_suit_key_request *req,
                                const tk_key **key)
{
    (void)ctx;
    if (req->use == TK_SUIT_KEY_DECRYPTION) {
        *key = req->alg == TK_ALG_A128KW ? kek : receiver;
    } else if (req->alg == TK_ALG_HMAC_256_256) {
        *key = hmac_key;
    } else {
        *key = manifest_keys[req->depth > 0 ? 1 : 0];
    }
    return *key != NULL ? TK_OK : TK_ERR_NOT_FOUND;
}

static tk_err bench_pf_stat(void *ctx, const tk_suit_component *c,
                            tk_suit_component_info *info)
{
    (void)ctx;
    component *pc = comp_find(c->id, false);
    memset(info, 0, sizeof(*info));
    if (pc != NULL) {
        info->present = pc->present;
        info->size = pc->len;
        info->has_slot = pc->has_slot;
        info->slot = pc->slot;
    }
    return TK_OK;
}

static tk_err bench_pf_read(void *ctx, const tk_suit_component *c,
                            uint64_t off, uint8_t *buf, size_t len,
                            size_t *out)
{
    (void)ctx;
    component *pc = comp_find(c->id, false);
    *out = 0;
    if (pc == NULL || !pc->present)
        return TK_ERR_NOT_FOUND;
    if (off < pc->len) {
        *out = pc->len - (size_t)off < len ? pc->len - (size_t)off : len;
        memcpy(buf, pc->data + off, *out);
    }
    return TK_OK;
}

static tk_err bench_pf_map(void *ctx, const tk_suit_component *c,
                           tk_view *bytes)
{
    (void)ctx;
    component *pc = comp_find(c->id, false);
    if (pc == NULL || !pc->present)
        return TK_ERR_NOT_FOUND;
    bytes->ptr = pc->data;
    bytes->len = pc->len;
    return TK_OK;
}

static tk_err bench_pf_digest(void *ctx, const tk_suit_component *c,
                              tk_alg alg, uint8_t *out, size_t cap,
                              size_t *len)
{
    (void)ctx;
    component *pc = comp_find(c->id, false);
    if (pc == NULL || !pc->has_digest || alg != TK_ALG_SHA256 || cap < 32)
        return TK_ERR_UNSUPPORTED;
    memcpy(out, pc->digest, 32);
    *len = 32;
    return TK_OK;
}

static tk_err bench_pf_write_begin(void *ctx, const tk_suit_component *c,
                                   uint64_t size)
{
    (void)ctx;
    (void)size;
    component *pc = comp_find(c->id, true);
    if (pc == NULL)
        return TK_ERR_LIMIT;
    pc->len = 0;
    pc->present = false;
    pc->has_digest = false;
    return TK_OK;
}

static tk_err bench_pf_write(void *ctx, const tk_suit_component *c,
                             uint64_t off, const uint8_t *data, size_t len)
{
    (void)ctx;
    component *pc = comp_find(c->id, false);
    if (pc == NULL || off != pc->len || pc->len + len > MAX_IMAGE)
        return TK_ERR_LIMIT;
    memcpy(pc->data + pc->len, data, len);
    pc->len += len;
    return TK_OK;
}

static tk_err bench_pf_write_end(void *ctx, const tk_suit_component *c,
                                 tk_err status)
{
    (void)ctx;
    component *pc = comp_find(c->id, false);
    if (pc == NULL)
        return TK_ERR_STATE;
    pc->present = status == TK_OK;
    /* A device stores the digest of what it installed; for the examples'
     * test images that is their placeholder digest. */
    for (size_t i = 0; i < naliases && pc->present; i++) {
        const alias *a = &aliases[i];
        if (a->len == pc->len && memcmp(a->data, pc->data, a->len) == 0 &&
            (a->id == NULL || (a->id_len == pc->id_len &&
                               memcmp(a->id, pc->id, a->id_len) == 0))) {
            memcpy(pc->digest, a->digest, 32);
            pc->has_digest = true;
            break;
        }
    }
    return TK_OK;
}

static tk_err bench_pf_fetch(void *ctx, const tk_suit_fetch_request *req,
                             tk_suit_sink *sink)
{
    (void)ctx;
    for (size_t i = 0; i < npayloads; i++)
        if (strlen(payloads[i].uri) == req->uri.len &&
            memcmp(payloads[i].uri, req->uri.ptr, req->uri.len) == 0)
            return tk_suit_sink_write(sink, payloads[i].data,
                                      payloads[i].len);
    return TK_ERR_NOT_FOUND;
}

static tk_err bench_pf_invoke(void *ctx, const tk_suit_component *c,
                              tk_view args)
{
    (void)ctx;
    (void)c;
    (void)args;
    return TK_OK;
}

static tk_err bench_pf_match(void *ctx, const tk_suit_component *c,
                             tk_suit_identifier kind, tk_view id,
                             bool *match)
{
    (void)ctx;
    (void)c;
    const uint8_t *want = kind == TK_SUIT_ID_VENDOR ? vendor : class_id;
    *match = id.len == 16 && memcmp(id.ptr, want, 16) == 0;
    return TK_OK;
}

static tk_suit_platform platform = {
    .find_key = bench_pf_find_key,
    .stat = bench_pf_stat,
    .read = bench_pf_read,
    .map = bench_pf_map,
    .digest = bench_pf_digest,
    .write_begin = bench_pf_write_begin,
    .write = bench_pf_write,
    .write_end = bench_pf_write_end,
    .fetch = bench_pf_fetch,
    .invoke = bench_pf_invoke,
    .match_identifier = bench_pf_match,
};

/* ---- inputs ------------------------------------------------------------- */

static const char *vector_dir = TK_VECTOR_DIR;

/* Reads a file; hex text ('#' comments and whitespace skipped) when hex. */
static uint8_t *read_vector(const char *rel, bool hex, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", vector_dir, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "bench_suit: cannot open %s\n", path);
        exit(1);
    }
    uint8_t *out = malloc(1u << 20);
    size_t n = 0;
    int c, high = -1;
    bool comment = false;
    while (out != NULL && (c = fgetc(f)) != EOF && n < (1u << 20)) {
        if (!hex) {
            out[n++] = (uint8_t)c;
            continue;
        }
        if (comment) {
            comment = c != '\n';
            continue;
        }
        if (c == '#') {
            comment = true;
            continue;
        }
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            continue;
        if (high < 0) {
            high = v;
        } else {
            out[n++] = (uint8_t)(high << 4 | v);
            high = -1;
        }
    }
    fclose(f);
    *len = n;
    return out;
}

/* Encoded keys, kept until exit. */
static uint8_t *kept[4];
static size_t nkept;

static void import_key(const char *rel, tk_key *key)
{
    size_t len = 0;
    uint8_t *cbor = read_vector(rel, true, &len);
    tk_key_init(key);
    if (tk_cose_key_import(inner, (tk_view){cbor, len}, key, NULL) != TK_OK) {
        fprintf(stderr, "bench_suit: cannot import %s\n", rel);
        exit(1);
    }
    /* cbor stays allocated for the run because key->kid points into it. */
    if (nkept < sizeof(kept) / sizeof(kept[0]))
        kept[nkept++] = cbor;
}

static const uint8_t digest_p[32] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
    0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
    0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
static const uint8_t digest_q[32] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba,
    0x98, 0x76, 0x54, 0x32, 0x10, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static uint8_t image_p[34768];
static uint8_t image_q[76834];
static const uint8_t example_vendor[16] = {
    0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad, 0x5f, 0xdf,
    0xbe, 0x9d, 0xe6, 0x63, 0xe4, 0xd4, 0x1f, 0xfe};
static const uint8_t example_class[16] = {
    0x14, 0x92, 0xaf, 0x14, 0x25, 0x69, 0x5e, 0x48,
    0xbf, 0x42, 0x9b, 0x2d, 0x51, 0xf2, 0xab, 0x45};
static const uint8_t teep_vendor[16] = {
    0xc0, 0xdd, 0xd5, 0xf1, 0x52, 0x43, 0x56, 0x60,
    0x87, 0xdb, 0x4f, 0x5b, 0x0a, 0xa2, 0x6c, 0x2f};
static const uint8_t teep_class[16] = {
    0xdb, 0x42, 0xf7, 0x09, 0x3d, 0x8c, 0x55, 0xba,
    0xa8, 0xc5, 0x26, 0x5f, 0xc5, 0x82, 0x0f, 0x4e};
static const uint8_t id_00[3] = {0x81, 0x41, 0x00};
static const uint8_t id_01[3] = {0x81, 0x41, 0x01};

static tk_key example_key, hmac, aes_kek, receiver_key, dependent_key;

/* One benchmark case. */
typedef struct bench_case {
    const char *name;
    const char *file;
    tk_suit_operation op;
    void (*prepare)(void);
    uint8_t *envelope;
    size_t len;
} bench_case;

static void reset(void)
{
    for (size_t i = 0; i < ncomps; i++)
        comps[i].present = false;
    ncomps = 0;
    npayloads = 0;
    naliases = 0;
    manifest_keys[0] = &example_key;
    manifest_keys[1] = &example_key;
    memcpy(vendor, example_vendor, 16);
    memcpy(class_id, example_class, 16);
}

static void add_alias(const uint8_t *data, size_t len, const uint8_t *d,
                      const uint8_t *id)
{
    aliases[naliases++] = (alias){data, len, d, id, id != NULL ? 3 : 0};
}

static void add_payload(const char *uri, uint8_t *data, size_t len)
{
    payloads[npayloads++] = (payload){uri, data, len};
}

static void preload(const uint8_t *id, const uint8_t *data, size_t len,
                    const uint8_t *digest)
{
    component *c = comp_find((tk_view){id, 3}, true);
    memcpy(c->data, data, len);
    c->len = len;
    c->present = true;
    memcpy(c->digest, digest, 32);
    c->has_digest = true;
}

static void prep_boot(void)
{
    reset();
    preload(id_00, image_p, sizeof(image_p), digest_p);
}

static void prep_fetch(void)
{
    reset();
    add_alias(image_p, sizeof(image_p), digest_p, NULL);
    add_payload("http://example.com/file.bin", image_p, sizeof(image_p));
    add_payload("http://example.com/very/long/path/to/file/file.bin",
                image_p, sizeof(image_p));
}

static void prep_slot(void)
{
    reset();
    add_alias(image_q, sizeof(image_q), digest_q, NULL);
    add_payload("http://example.com/file2.bin", image_q, sizeof(image_q));
    component *c = comp_find((tk_view){id_00, 3}, true);
    c->has_slot = true;
    c->slot = 1;
}

static void prep_load(void)
{
    reset();
    add_alias(image_p, sizeof(image_p), digest_q, id_01);
    add_alias(image_p, sizeof(image_p), digest_p, NULL);
    add_payload("http://example.com/file.bin", image_p, sizeof(image_p));
}

static void prep_two(void)
{
    reset();
    add_alias(image_p, sizeof(image_p), digest_p, NULL);
    add_alias(image_q, sizeof(image_q), digest_q, NULL);
    add_payload("http://example.com/file1.bin", image_p, sizeof(image_p));
    add_payload("http://example.com/file2.bin", image_q, sizeof(image_q));
}

static void prep_plain(void)
{
    reset();
}

static void prep_dependent(void)
{
    reset();
    manifest_keys[0] = &dependent_key;
}

static uint8_t *ta;
static size_t ta_len;
static uint8_t *ta_manifest;
static size_t ta_manifest_len;

static void prep_teep(void)
{
    reset();
    memcpy(vendor, teep_vendor, 16);
    memcpy(class_id, teep_class, 16);
    add_payload("https://example.org/8d82573a-926d-4754-9353-32dc29997f74.ta",
                ta, ta_len);
    add_payload(
        "https://example.org/8d82573a-926d-4754-9353-32dc29997f74.suit",
        ta_manifest, ta_manifest_len);
}

static bench_case cases[] = {
    {"example0_boot", "suit/manifest/example0.hex", TK_SUIT_OP_BOOT,
     prep_boot, NULL, 0},
    {"example1_update", "suit/manifest/example1.hex", TK_SUIT_OP_UPDATE,
     prep_fetch, NULL, 0},
    {"example2_update_boot", "suit/manifest/example2.hex",
     TK_SUIT_OP_UPDATE_AND_BOOT, prep_fetch, NULL, 0},
    {"example3_update_slot_b", "suit/manifest/example3.hex",
     TK_SUIT_OP_UPDATE, prep_slot, NULL, 0},
    {"example4_update_boot", "suit/manifest/example4.hex",
     TK_SUIT_OP_UPDATE_AND_BOOT, prep_load, NULL, 0},
    {"example5_update_boot", "suit/manifest/example5.hex",
     TK_SUIT_OP_UPDATE_AND_BOOT, prep_two, NULL, 0},
    {"aes_kw_write_hmac", "suit/encryption/suit-manifest-aes-kw-content.hex."
                          "signed",
     TK_SUIT_OP_UPDATE, prep_plain, NULL, 0},
    {"ecdh_write", "suit/encryption/suit-manifest-es-ecdh-content.hex.signed",
     TK_SUIT_OP_UPDATE, prep_plain, NULL, 0},
    {"ecdh_dependency", "suit/encryption/suit-manifest-es-ecdh-dependency."
                        "hex.signed",
     TK_SUIT_OP_UPDATE, prep_dependent, NULL, 0},
    {"trust_integrated", "suit/trust-domains/example2_integrated.hex",
     TK_SUIT_OP_UPDATE, prep_plain, NULL, 0},
    {"teep_integrated", "suit/teep/suit_integrated.hex.txt",
     TK_SUIT_OP_UPDATE, prep_teep, NULL, 0},
    {"teep_personalization", "suit/teep/suit_personalization.hex.txt",
     TK_SUIT_OP_UPDATE, prep_teep, NULL, 0},
};
#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static tk_suit_processor proc;
static tk_suit_record records[64];
static uint8_t work[8192];

static void setup(void)
{
    tk_suit_config cfg;
    crypto_setup();
    for (size_t i = 0; i < sizeof(image_p); i++)
        image_p[i] = (uint8_t)(i * 7u + 1u);
    for (size_t i = 0; i < sizeof(image_q); i++)
        image_q[i] = (uint8_t)(i * 13u + 5u);
    import_key("suit/manifest/example-es256-public-key.cose.hex",
               &example_key);
    import_key("suit/encryption/receiver-private-key-kid-2.cose.hex",
               &receiver_key);
    import_key("suit/encryption/dependent-signer-public-key.cose.hex",
               &dependent_key);
    uint8_t aaaa[32]; /* the examples' MAC key and, first 16, their KEK */
    memset(aaaa, 'a', sizeof(aaaa));
    tk_key_init(&hmac);
    tk_key_init(&aes_kek);
    tk_key_init_symmetric(&hmac, (tk_view){aaaa, 32});
    tk_key_init_symmetric(&aes_kek, (tk_view){aaaa, 16});
    hmac_key = &hmac;
    kek = &aes_kek;
    receiver = &receiver_key;
    ta = read_vector("suit/teep/8d82573a-926d-4754-9353-32dc29997f74.ta",
                     false, &ta_len);
    ta_manifest = read_vector("suit/teep/suit_uri.hex.txt", true,
                              &ta_manifest_len);
    for (size_t i = 0; i < CASE_COUNT; i++)
        cases[i].envelope = read_vector(cases[i].file, true, &cases[i].len);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = &wrapped;
    cfg.platform = &platform;
    cfg.records = records;
    cfg.record_cap = 64;
    cfg.work = work;
    cfg.work_len = sizeof(work);
    if (tk_suit_processor_init(&proc, &cfg) != TK_OK)
        exit(1);
}

/* Runs one case: the measured unit of the benchmark. */
__attribute__((noinline)) tk_err process_once(const bench_case *c);
tk_err process_once(const bench_case *c)
{
    return tk_suit_process(&proc, (tk_view){c->envelope, c->len}, c->op);
}

static tk_err run_case(const bench_case *c)
{
    c->prepare();
    tk_err e = process_once(c);
    if (e != TK_OK) {
        fprintf(stderr, "bench_suit: %s failed: %s\n", c->name,
                tk_errname(e));
        exit(1);
    }
    return e;
}

int main(int argc, char **argv)
{
    long iterations = 2000;
    const char *once = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = atol(argv[++i]);
        else if (strcmp(argv[i], "--once") == 0 && i + 1 < argc)
            once = argv[++i];
        else if (strcmp(argv[i], "--list") == 0)
            once = "";
        else {
            fprintf(stderr, "usage: bench_suit [--iterations N] "
                            "[--once CASE] [--list]\n");
            return 2;
        }
    }
    setup();
    if (once != NULL && once[0] == 0) {
        for (size_t i = 0; i < CASE_COUNT; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    if (once != NULL) {
        for (size_t i = 0; i < CASE_COUNT; i++) {
            if (strcmp(cases[i].name, once) != 0)
                continue;
            /* Warm-up outside process_once: caches, lazy initialization. */
            cases[i].prepare();
            if (tk_suit_process(&proc, (tk_view){cases[i].envelope,
                                                 cases[i].len},
                                cases[i].op) != TK_OK)
                return 1;
            cases[i].prepare();
            return process_once(&cases[i]) == TK_OK ? 0 : 1;
        }
        fprintf(stderr, "bench_suit: no case %s\n", once);
        return 2;
    }
    printf("| case | envelope bytes | ns per run | ns in verify | verify "
           "share |\n|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < CASE_COUNT; i++) {
        const bench_case *c = &cases[i];
        run_case(c);
        double total = 0;
        verify_ns = 0;
        timing = true;
        for (long n = 0; n < iterations; n++) {
            c->prepare();
            double t0 = now_ns();
            process_once(c);
            total += now_ns() - t0;
        }
        timing = false;
        printf("| %s | %zu | %.0f | %.0f | %.1f%% |\n", c->name, c->len,
               total / (double)iterations, verify_ns / (double)iterations,
               100.0 * verify_ns / total);
    }
    return 0;
}
