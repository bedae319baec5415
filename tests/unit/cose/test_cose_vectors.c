/*
 * The COSE working group examples (tests/vectors/cose, JSON). Every
 * example whose algorithms teepkit supports is verified or decrypted, and
 * the "fail" examples must fail. Deterministic outputs (MAC, EdDSA,
 * encryption with a fixed IV and content key) are rebuilt and compared
 * byte for byte. The counts of run and skipped examples are asserted, and
 * each skip is printed with its reason.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cose_test.h"
#include "tk_test.h"

#define MAX_KEYS 8

/* Example counts of the folders below. Every example is run except
 * those that need an algorithm or curve teepkit does not implement. */
#define EXPECTED_TOTAL 187
#define EXPECTED_SKIPPED 70
#define EXPECTED_REJECTED 40       /* "fail": true examples */
#define EXPECTED_ALG_UNPROTECTED 11
#define EXPECTED_EDDSA 2           /* Ed25519, missing from Mbed TLS 2.28 */
#define EXPECTED_REBUILT 47
#define EXPECTED_EDDSA_REBUILT 2

/* Skipped examples per reason. */
static const struct {
    const char *reason;
    int count;
} expected_skips[] = {
    {"algorithm ES512 not supported", 4},
    {"curve Ed448 not supported", 2},
    {"algorithm AES-MAC-128/64 not supported", 4},
    {"algorithm AES-MAC-256/64 not supported", 5},
    {"algorithm ECDH-SS not supported", 7},
    {"algorithm ECDH-SS-512 not supported", 5},
    {"algorithm ECDH-SS-256 not supported", 1},
    {"curve P-521 not supported", 16},
    {"algorithm ECDH-SS-A128KW not supported", 6},
    {"algorithm ECDH-SS-A192KW not supported", 6},
    {"algorithm ECDH-SS-A256KW not supported", 6},
    {"countersignature not supported", 2},
    {"algorithm AES-CCM-16-128/64 not supported", 5},
    {"algorithm ECDH-SS+A128KW not supported", 1},
};
#define MAX_SKIP_REASONS 16

/* A key of an example, as the key lookup returns it. */
typedef struct example_key {
    tk_key key;
    uint8_t *kid;
    bool usable;   /* imported, or filled by hand on a backend lacking it */
} example_key;

/* One example being run. */
typedef struct example {
    const char *name;
    json_t *root;
    json_t *input;
    json_t *layer;
    const char *kind;
    bool fail;
    example_key keys[MAX_KEYS];
    size_t nkeys;
    const char *skip;          /* reason to skip, or NULL */
    bool backend_lacks;        /* an algorithm the backend does not have */
    bool alg_unprotected;      /* some layer has alg where the rule
                                  forbids it */
    bool has_failures;         /* the output was altered after creation */
    char unsupported[64];
} example;

/* Totals over all examples. */
typedef struct totals {
    int run;
    int passed;            /* expected to verify, and verified */
    int failed_as_expected;
    int backend_lacks;
    int alg_unprotected;
    int rebuilt;           /* deterministic outputs compared */
    int skipped;
    struct {
        char reason[96];
        int count;
    } reasons[MAX_SKIP_REASONS];
    size_t nreasons;
} totals;

static void count_skip(totals *t, const char *reason)
{
    for (size_t i = 0; i < t->nreasons; i++) {
        if (strcmp(t->reasons[i].reason, reason) == 0) {
            t->reasons[i].count++;
            return;
        }
    }
    assert_true(t->nreasons < MAX_SKIP_REASONS);
    snprintf(t->reasons[t->nreasons].reason,
             sizeof(t->reasons[t->nreasons].reason), "%s", reason);
    t->reasons[t->nreasons].count = 1;
    t->nreasons++;
}

/* Key lookup over the example's keys: the key whose kid matches the
 * layer's kid, else the first usable key whose type fits the algorithm
 * (some examples label a key with a kid that differs from the header). */
static tk_err lookup_key(void *arg, tk_view kid, tk_alg alg,
                         const tk_key **key)
{
    example *ex = arg;
    bool symmetric = !(tk_crypto_sig_curve(alg) != TK_CRV_NONE ||
                       alg == TK_COSE_ALG_ECDH_ES_HKDF_256 ||
                       alg == TK_COSE_ALG_ECDH_ES_HKDF_512 ||
                       (alg <= TK_COSE_ALG_ECDH_ES_A128KW &&
                        alg >= TK_COSE_ALG_ECDH_ES_A256KW));
    const tk_key *fallback = NULL;

    for (size_t i = 0; i < ex->nkeys; i++) {
        const tk_key *k = &ex->keys[i].key;

        if (!ex->keys[i].usable ||
            (k->kty == TK_KTY_SYMMETRIC) != symmetric) {
            continue;
        }
        if (k->kid.len == kid.len &&
            (kid.len == 0 || memcmp(k->kid.ptr, kid.ptr, kid.len) == 0)) {
            *key = k;
            return TK_OK;
        }
        if (fallback == NULL) {
            fallback = k;
        }
    }
    if (fallback == NULL) {
        return TK_ERR_NOT_FOUND;
    }
    *key = fallback;
    return TK_OK;
}

/* Fills a key by hand from its JSON form, for a backend that cannot
 * import its curve, so that the operation reports the missing algorithm. */
static void fill_key_by_hand(json_t *obj, tk_key *key)
{
    size_t n;
    uint8_t *x = cose_test_json_bytes(obj, "x", &n);
    uint8_t *d;

    tk_key_init(key);
    key->kty = TK_KTY_OKP;
    key->crv = TK_CRV_ED25519;
    key->coord_len = 32;
    if (x != NULL && n == 32) {
        memcpy(key->x, x, 32);
        key->has_public = true;
    }
    free(x);
    d = cose_test_json_bytes(obj, "d", &n);
    if (d != NULL && n == 32) {
        memcpy(key->d, d, 32);
        key->has_private = true;
    }
    free(d);
}

static void add_key(example *ex, json_t *obj)
{
    example_key *k;
    tk_err err;

    if (obj == NULL || ex->skip != NULL) {
        return;
    }
    assert_true(ex->nkeys < MAX_KEYS);
    k = &ex->keys[ex->nkeys++];
    err = cose_test_json_key(obj, &k->key, &k->kid);
    if (err == TK_OK) {
        k->usable = true;
        return;
    }
    assert_int_equal(err, TK_ERR_CRYPTO_UNSUPPORTED_ALG);
    const char *crv = json_string_value(json_object_get(obj, "crv"));
    if (crv != NULL && strcmp(crv, "Ed25519") == 0 &&
        cose_test_is_mbedtls()) {
        fill_key_by_hand(obj, &k->key);
        k->key.kid = (tk_view){k->kid, k->kid ? strlen((char *)k->kid) : 0};
        k->usable = true;
        ex->backend_lacks = true;
        return;
    }
    ex->skip = crv != NULL && strcmp(crv, "P-521") == 0
                   ? "curve P-521 not supported"
                   : "curve Ed448 not supported";
}

/* Returns the alg name of a layer and where it is: *protected is true
 * when it is in the layer's protected map. */
static const char *layer_alg(json_t *layer, bool *protected)
{
    json_t *p = json_object_get(json_object_get(layer, "protected"), "alg");
    json_t *u = json_object_get(json_object_get(layer, "unprotected"), "alg");

    *protected = json_is_string(p);
    if (json_is_string(p)) {
        return json_string_value(p);
    }
    if (json_is_string(u)) {
        return json_string_value(u);
    }
    return json_string_value(json_object_get(layer, "alg"));
}

/* Records an algorithm of the example: skips unknown ones, and notes an
 * alg in an unprotected map where the header rule requires protection. */
static void note_alg(example *ex, json_t *layer, bool recipient)
{
    bool prot = false;
    const char *name = layer_alg(layer, &prot);
    int64_t id;

    if (name == NULL || ex->skip != NULL) {
        return;
    }
    id = cose_test_alg_id(name);
    if (id == 0) {
        snprintf(ex->unsupported, sizeof(ex->unsupported),
                 "algorithm %s not supported", name);
        ex->skip = ex->unsupported;
        return;
    }
    if (!prot && !(recipient && (id == TK_COSE_ALG_DIRECT ||
                                 (id <= TK_ALG_A128KW &&
                                  id >= TK_ALG_A256KW)))) {
        ex->alg_unprotected = true;
    }
}

/* Walks a recipient list: algorithms and keys, nested lists too. */
static void walk_recipients(example *ex, json_t *list)
{
    size_t i;
    json_t *r;

    json_array_foreach(list, i, r) {
        note_alg(ex, r, true);
        add_key(ex, json_object_get(r, "key"));
        walk_recipients(ex, json_object_get(r, "recipients"));
    }
}

/* Classifies an example and imports its keys. */
static void prepare(example *ex)
{
    static const char *const kinds[] = {"sign0", "sign",      "mac0",
                                        "mac",   "encrypted", "enveloped"};
    char *dump;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (json_object_get(ex->input, kinds[i]) != NULL) {
            ex->kind = kinds[i];
            ex->layer = json_object_get(ex->input, kinds[i]);
        }
    }
    assert_non_null(ex->kind);
    ex->fail = json_is_true(json_object_get(ex->root, "fail"));
    dump = json_dumps(ex->input, JSON_COMPACT);
    ex->has_failures = strstr(dump, "\"failures\"") != NULL;
    if (strstr(dump, "\"countersign") != NULL) {
        ex->skip = "countersignature not supported";
    }
    free(dump);
    if (strcmp(ex->kind, "sign") == 0) {
        size_t i;
        json_t *s;
        size_t supported = 0;

        json_array_foreach(json_object_get(ex->layer, "signers"), i, s) {
            bool prot;
            const char *name = layer_alg(s, &prot);

            if (name != NULL && cose_test_alg_id(name) != 0) {
                supported++;
                note_alg(ex, s, false);
                add_key(ex, json_object_get(s, "key"));
            }
        }
        if (supported == 0 && ex->skip == NULL) {
            note_alg(ex, json_array_get(json_object_get(ex->layer,
                                                        "signers"), 0),
                     false);
        }
        return;
    }
    if (strcmp(ex->kind, "sign0") == 0) {
        note_alg(ex, ex->layer, false);
        add_key(ex, json_object_get(ex->layer, "key"));
        return;
    }
    note_alg(ex, ex->layer, false);
    walk_recipients(ex, json_object_get(ex->layer, "recipients"));
}

/* Reads the payload of the example. */
static uint8_t *plaintext(example *ex, size_t *len)
{
    const char *text =
        json_string_value(json_object_get(ex->input, "plaintext"));
    json_t *hex = json_object_get(ex->input, "plaintext_hex");

    if (json_is_string(hex)) {
        return cose_test_hex(json_string_value(hex), len);
    }
    assert_non_null(text);
    *len = strlen(text);
    return (uint8_t *)strdup(text);
}

/* Finds the external AAD of the example (hex text), on the layer or its
 * first signer. */
static uint8_t *external_aad(example *ex, size_t *len)
{
    json_t *signers = json_object_get(ex->layer, "signers");
    json_t *v = json_object_get(ex->layer, "external");

    *len = 0;
    if (!json_is_string(v) && json_is_array(signers)) {
        v = json_object_get(json_array_get(signers, 0), "external");
    }
    return json_is_string(v) ? cose_test_hex(json_string_value(v), len)
                             : NULL;
}

/* Computes the base IV of a Partial IV example: the unsent full IV with
 * the Partial IV XORed out. */
static uint8_t *base_iv(example *ex, size_t *len)
{
    size_t piv_len = 0;
    json_t *unsent = json_object_get(ex->layer, "unsent");
    uint8_t *iv = cose_test_json_bytes(unsent, "IV", len);
    uint8_t *piv = cose_test_json_bytes(
        json_object_get(ex->layer, "unprotected"), "partialIV", &piv_len);

    if (iv != NULL && piv != NULL && piv_len <= *len) {
        for (size_t i = 0; i < piv_len; i++) {
            iv[*len - piv_len + i] ^= piv[i];
        }
    }
    free(piv);
    return iv;
}

/* Runs the verification or decryption that fits the example's kind. */
static tk_err run_kind(example *ex, tk_view msg, const tk_cose_opts *opts,
                       uint8_t *plain, size_t cap, size_t *plain_len)
{
    const tk_crypto *c = cose_test_crypto();

    *plain_len = 0;
    if (strcmp(ex->kind, "sign0") == 0) {
        return tk_cose_sign1_verify(c, msg, opts, NULL);
    }
    if (strcmp(ex->kind, "sign") == 0) {
        return tk_cose_sign_verify(c, msg, opts, NULL);
    }
    if (strcmp(ex->kind, "mac0") == 0) {
        return tk_cose_mac0_verify(c, msg, opts, NULL);
    }
    if (strcmp(ex->kind, "mac") == 0) {
        return tk_cose_mac_verify(c, msg, opts, NULL);
    }
    if (strcmp(ex->kind, "encrypted") == 0) {
        return tk_cose_encrypt0_decrypt(c, msg, opts, plain, cap, plain_len,
                                        NULL);
    }
    return tk_cose_encrypt_decrypt(c, msg, opts, plain, cap, plain_len,
                                   NULL);
}

/* Writes len bytes as uppercase hex and a NUL to out. */
static void hex_dump(const uint8_t *p, size_t len, char *out)
{
    static const char digits[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = 0;
}

/* Returns entry i of the rng_stream of the example, hex-decoded. */
static uint8_t *rng(example *ex, size_t i, size_t *len)
{
    json_t *s = json_array_get(json_object_get(ex->input, "rng_stream"), i);

    *len = 0;
    return json_is_string(s) ? cose_test_hex(json_string_value(s), len)
                             : NULL;
}

/*
 * Imports the sender's ephemeral key of an ECDH-ES example from its random
 * stream into eph and sets rp->ephemeral. The stream gives the ephemeral
 * key first for direct agreement, and after the content key (and the IV
 * of an encryption) for key wrap. Returns false when it has no such key.
 */
static bool ephemeral_from_rng(example *ex, int64_t ralg, tk_key *eph,
                               tk_cose_recipient_params *rp)
{
    bool mac = strcmp(ex->kind, "mac") == 0;
    size_t index = ralg >= TK_COSE_ALG_ECDH_ES_HKDF_512 ? 0 : mac ? 1 : 2;
    size_t d_len = 0;
    uint8_t *d = rng(ex, index, &d_len);
    tk_key_params p;
    tk_err err;

    if (d == NULL || d_len != rp->key->coord_len) {
        free(d);
        return false;
    }
    memset(&p, 0, sizeof(p));
    p.kty = rp->key->kty;
    p.crv = rp->key->crv;
    p.d = (tk_view){d, d_len};
    err = cose_test_crypto()->key_import(cose_test_crypto()->ctx, &p, eph);
    free(d);
    if (err != TK_OK) {
        return false;
    }
    rp->ephemeral = eph;
    return true;
}

/*
 * Rebuilds a deterministic output with the teepkit builders and compares
 * it with the example's bytes. Returns true when a comparison was made.
 */
static bool rebuild(example *ex, tk_view expected, tk_view payload,
                    tk_view aad)
{
    const tk_crypto *c = cose_test_crypto();
    json_t *recipients = json_object_get(ex->layer, "recipients");
    json_t *r0 = json_array_get(recipients, 0);
    tk_cose_recipient_params rp;
    tk_cose_signer signers[2];
    tk_cose_build b;
    uint8_t out[1024];
    uint8_t *v0 = NULL;
    uint8_t *v1 = NULL;
    size_t v0_len = 0;
    size_t v1_len = 0;
    size_t out_len = 0;
    tk_key eph;
    bool prot;
    tk_err err = TK_ERR_UNSUPPORTED;

    tk_key_init(&eph);

    if (ex->fail || ex->has_failures || ex->alg_unprotected ||
        ex->backend_lacks || json_object_get(json_object_get(
                                 ex->layer, "unprotected"), "partialIV_hex")) {
        return false;
    }
    memset(&b, 0, sizeof(b));
    b.external_aad = aad;
    b.alg = (tk_alg)cose_test_alg_id(layer_alg(ex->layer, &prot));
    if (json_object_get(json_object_get(ex->layer, "protected"), "ctyp")) {
        b.flags |= TK_COSE_BUILD_CONTENT_TYPE;
        b.content_type = (uint64_t)json_integer_value(json_object_get(
            json_object_get(ex->layer, "protected"), "ctyp"));
    }
    if (expected.len > 0 && (expected.ptr[0] >> 5) != 6) {
        b.flags |= TK_COSE_BUILD_UNTAGGED;
    }
    if (strcmp(ex->kind, "sign0") == 0 || strcmp(ex->kind, "sign") == 0) {
        json_t *s = strcmp(ex->kind, "sign") == 0
                        ? json_array_get(json_object_get(ex->layer, "signers"),
                                         0)
                        : ex->layer;
        const char *kid = json_string_value(
            json_object_get(json_object_get(s, "unprotected"), "kid"));

        if (json_array_size(json_object_get(ex->layer, "signers")) > 1 ||
            cose_test_alg_id(layer_alg(s, &prot)) != TK_ALG_EDDSA) {
            return false; /* ECDSA signatures are randomized */
        }
        signers[0] = (tk_cose_signer){TK_ALG_EDDSA, &ex->keys[0].key,
                                      kid ? (tk_view){(const uint8_t *)kid,
                                                      strlen(kid)}
                                          : (tk_view){NULL, 0}};
        b.alg = TK_ALG_EDDSA;
        b.key = signers[0].key;
        b.kid = signers[0].kid;
        if (strcmp(ex->kind, "sign0") == 0) {
            err = tk_cose_sign1_sign(c, &b, payload, out, sizeof(out),
                                     &out_len);
        } else {
            b.signers = signers;
            b.signer_count = 1;
            err = tk_cose_sign_sign(c, &b, payload, out, sizeof(out),
                                    &out_len);
        }
    } else if (strcmp(ex->kind, "mac0") == 0) {
        b.key = &ex->keys[0].key;
        err = tk_cose_mac0_create(c, &b, payload, out, sizeof(out), &out_len);
    } else if (strcmp(ex->kind, "encrypted") == 0) {
        v0 = rng(ex, 0, &v0_len);
        b.key = &ex->keys[0].key;
        b.iv = (tk_view){v0, v0_len};
        err = tk_cose_encrypt0_encrypt(c, &b, payload, out, sizeof(out),
                                       &out_len);
    } else {
        const char *kid = json_string_value(
            json_object_get(json_object_get(r0, "unprotected"), "kid"));
        int64_t ralg = cose_test_alg_id(layer_alg(r0, &prot));

        bool ecdh = ralg == TK_COSE_ALG_ECDH_ES_HKDF_256 ||
                    ralg == TK_COSE_ALG_ECDH_ES_HKDF_512 ||
                    (ralg <= TK_COSE_ALG_ECDH_ES_A128KW &&
                     ralg >= TK_COSE_ALG_ECDH_ES_A256KW);

        if (json_array_size(recipients) != 1 ||
            json_object_get(r0, "recipients") != NULL ||
            json_object_get(r0, "unsent") != NULL) {
            /* Several or nested recipients, or an ephemeral key sent in
             * compressed form, which the builder does not write. */
            return false;
        }
        memset(&rp, 0, sizeof(rp));
        rp.alg = (tk_alg)ralg;
        rp.key = &ex->keys[0].key;
        rp.kid = kid ? (tk_view){(const uint8_t *)kid, strlen(kid)}
                     : (tk_view){NULL, 0};
        b.recipients = &rp;
        b.recipient_count = 1;
        if (ecdh && !ephemeral_from_rng(ex, ralg, &eph, &rp)) {
            return false;
        }
        if (ecdh && ralg >= TK_COSE_ALG_ECDH_ES_HKDF_512) {
            /* ECDH-ES direct: the stream is the ephemeral key, then the
             * IV. */
            v1 = rng(ex, 1, &v1_len);
            b.iv = (tk_view){v1, v1_len};
        } else if (ralg == TK_COSE_ALG_DIRECT &&
                   strcmp(ex->kind, "mac") != 0) {
            v0 = rng(ex, 0, &v0_len);
            b.iv = (tk_view){v0, v0_len};
        } else if (strcmp(ex->kind, "mac") != 0) {
            v0 = rng(ex, 0, &v0_len);
            v1 = rng(ex, 1, &v1_len);
            b.cek = (tk_view){v0, v0_len};
            b.iv = (tk_view){v1, v1_len};
        } else if (ralg != TK_COSE_ALG_DIRECT) {
            v0 = rng(ex, 0, &v0_len);
            b.cek = (tk_view){v0, v0_len};
        }
        if (strcmp(ex->kind, "mac") == 0) {
            err = tk_cose_mac_create(c, &b, payload, out, sizeof(out),
                                     &out_len);
        } else {
            err = tk_cose_encrypt_encrypt(c, &b, payload, out, sizeof(out),
                                          &out_len);
        }
    }
    free(v0);
    free(v1);
    tk_key_release(&eph);
    if (err != TK_OK || out_len != expected.len ||
        memcmp(out, expected.ptr, out_len) != 0) {
        char hex[2 * sizeof(out) + 1];

        hex_dump(out, err == TK_OK ? out_len : 0, hex);
        fail_msg("%s: rebuilt output differs (error %s):\n  got  %s",
                 ex->name, tk_errname(err), hex);
    }
    return true;
}

/* Frees what prepare() allocated. */
static void release(example *ex)
{
    for (size_t i = 0; i < ex->nkeys; i++) {
        tk_key_release(&ex->keys[i].key);
        free(ex->keys[i].kid);
    }
    json_decref(ex->root);
}

/* Runs one example file and adds its outcome to t. */
static void run_example(const char *dir, const char *file, totals *t)
{
    char path[512];
    char name[256];
    json_error_t jerr;
    example ex;
    tk_cose_opts opts;
    tk_cose_label understood[1];
    uint8_t *msg;
    uint8_t *payload;
    uint8_t *aad;
    uint8_t *iv;
    size_t msg_len;
    size_t payload_len;
    size_t aad_len;
    size_t iv_len;
    uint8_t plain[1024];
    size_t plain_len = 0;
    tk_err err;

    snprintf(name, sizeof(name), "%s/%s", dir, file);
    snprintf(path, sizeof(path), "%s", tk_test_vector(name));
    memset(&ex, 0, sizeof(ex));
    ex.name = name;
    ex.root = json_load_file(path, 0, &jerr);
    if (ex.root == NULL) {
        fail_msg("%s: invalid JSON: %s", name, jerr.text);
    }
    ex.input = json_object_get(ex.root, "input");
    prepare(&ex);
    if (ex.skip != NULL) {
        printf("SKIP %-40s %s\n", name, ex.skip);
        count_skip(t, ex.skip);
        t->skipped++;
        release(&ex);
        return;
    }
    t->run++;
    msg = cose_test_hex(json_string_value(json_object_get(
                            json_object_get(ex.root, "output"), "cbor")),
                        &msg_len);
    payload = plaintext(&ex, &payload_len);
    aad = external_aad(&ex, &aad_len);
    iv = base_iv(&ex, &iv_len);

    memset(&opts, 0, sizeof(opts));
    opts.flags = TK_COSE_OPT_UNTAGGED_OK;
    opts.lookup = lookup_key;
    opts.lookup_arg = &ex;
    opts.external_aad = (tk_view){aad, aad_len};
    opts.base_iv = (tk_view){iv, iv_len};
    opts.signature_index = TK_COSE_ANY_SIGNATURE;
    understood[0] = (tk_cose_label){true, 0, TK_VIEW_STR("reserved")};
    opts.understood = understood;
    opts.understood_count = 1;

    if (ex.alg_unprotected && !ex.fail) {
        /* The default rule rejects these before any crypto. */
        err = run_kind(&ex, (tk_view){msg, msg_len}, &opts, plain,
                       sizeof(plain), &plain_len);
        if (err != TK_ERR_COSE_ALG_UNPROTECTED) {
            fail_msg("%s: expected TK_ERR_COSE_ALG_UNPROTECTED without "
                     "the option, got %s", name, tk_errname(err));
        }
        opts.flags |= TK_COSE_OPT_ALG_UNPROTECTED_OK;
        t->alg_unprotected++;
    }
    if (ex.alg_unprotected) {
        opts.flags |= TK_COSE_OPT_ALG_UNPROTECTED_OK;
    }
    err = run_kind(&ex, (tk_view){msg, msg_len}, &opts, plain, sizeof(plain),
                   &plain_len);
    if (ex.fail) {
        if (err == TK_OK) {
            fail_msg("%s: a failing example verified", name);
        }
        printf("FAIL %-40s rejected: %s\n", name, tk_errname(err));
        t->failed_as_expected++;
    } else if (ex.backend_lacks) {
        if (err != TK_ERR_CRYPTO_UNSUPPORTED_ALG) {
            fail_msg("%s: expected TK_ERR_CRYPTO_UNSUPPORTED_ALG from %s, "
                     "got %s", name, cose_test_crypto()->name,
                     tk_errname(err));
        }
        printf("LACK %-40s %s: %s\n", name, cose_test_crypto()->name,
               tk_errname(err));
        t->backend_lacks++;
    } else {
        if (err != TK_OK) {
            fail_msg("%s: expected success, got %s", name, tk_errname(err));
        }
        if (strcmp(ex.kind, "encrypted") == 0 ||
            strcmp(ex.kind, "enveloped") == 0) {
            assert_int_equal(plain_len, payload_len);
            assert_memory_equal(plain, payload, payload_len);
        }
        t->passed++;
        if (rebuild(&ex, (tk_view){msg, msg_len},
                    (tk_view){payload, payload_len},
                    (tk_view){aad, aad_len})) {
            t->rebuilt++;
            printf("PASS %-40s rebuilt byte for byte\n", name);
        } else {
            printf("PASS %-40s\n", name);
        }
    }
    free(msg);
    free(payload);
    free(aad);
    free(iv);
    release(&ex);
}

/* Compares file names for a stable order. */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every .json file of one vector folder. */
static void run_dir(const char *dir, totals *t)
{
    char *files[64];
    size_t n = 0;
    DIR *d = opendir(tk_test_vector(dir));
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            assert_true(n < 64);
            files[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(files, n, sizeof(files[0]), by_name);
    for (size_t i = 0; i < n; i++) {
        run_example(dir, files[i], t);
        free(files[i]);
    }
}

static const char *const folders[] = {
    "cose/sign1-tests",       "cose/sign-tests",
    "cose/mac0-tests",        "cose/mac-tests",
    "cose/encrypted-tests",   "cose/enveloped-tests",
    "cose/ecdsa-examples",    "cose/eddsa-examples",
    "cose/hmac-examples",     "cose/aes-gcm-examples",
    "cose/aes-wrap-examples", "cose/ecdh-direct-examples",
    "cose/ecdh-wrap-examples", "cose/RFC8152",
    "cose/CWT",
};

static void test_working_group_examples(void **state)
{
    totals t;

    (void)state;
    setvbuf(stdout, NULL, _IONBF, 0);
    memset(&t, 0, sizeof(t));
    for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
        run_dir(folders[i], &t);
    }
    printf("\nbackend %s: %d run (%d verified or decrypted, %d rejected "
           "as expected, %d unsupported by the backend), %d rebuilt byte "
           "for byte, %d needed TK_COSE_OPT_ALG_UNPROTECTED_OK; %d "
           "skipped:\n",
           cose_test_crypto()->name, t.run, t.passed, t.failed_as_expected,
           t.backend_lacks, t.rebuilt, t.alg_unprotected, t.skipped);
    for (size_t i = 0; i < t.nreasons; i++) {
        printf("  %3d  %s\n", t.reasons[i].count, t.reasons[i].reason);
    }
    assert_int_equal(t.nreasons,
                     sizeof(expected_skips) / sizeof(expected_skips[0]));
    for (size_t i = 0; i < t.nreasons; i++) {
        bool found = false;

        for (size_t j = 0; j < t.nreasons; j++) {
            if (strcmp(expected_skips[j].reason, t.reasons[i].reason) == 0) {
                assert_int_equal(t.reasons[i].count, expected_skips[j].count);
                found = true;
            }
        }
        if (!found) {
            fail_msg("unexpected skip reason: %s", t.reasons[i].reason);
        }
    }
    assert_int_equal(t.run + t.skipped, EXPECTED_TOTAL);
    assert_int_equal(t.alg_unprotected, EXPECTED_ALG_UNPROTECTED);
    assert_int_equal(t.skipped, EXPECTED_SKIPPED);
    assert_int_equal(t.failed_as_expected, EXPECTED_REJECTED);
    if (cose_test_is_mbedtls()) {
        assert_int_equal(t.backend_lacks, EXPECTED_EDDSA);
        assert_int_equal(t.rebuilt, EXPECTED_REBUILT - EXPECTED_EDDSA_REBUILT);
    } else {
        assert_int_equal(t.backend_lacks, 0);
        assert_int_equal(t.rebuilt, EXPECTED_REBUILT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_working_group_examples),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
