/*
 * Every Project Wycheproof test in tests/vectors/wycheproof/ against the
 * backend under test. A valid test must give the expected output, an
 * invalid one a specific error. An acceptable test may go either way, but
 * an accepted one must still give the expected output; each is printed
 * with the outcome. Cases outside the interface's policy (an IV other than
 * 12 bytes, a key longer than TK_CRYPTO_MAX_SYMMETRIC_SIZE) must fail with
 * the specific policy error and are counted separately.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "crypto_test.h"

/* Counts of one file's outcomes. */
typedef struct tally {
    const char *file;
    size_t valid;
    size_t invalid;
    size_t acceptable_accepted;
    size_t acceptable_rejected;
    size_t policy;
} tally;

/* Loads a vector file, failing the test when it is missing or malformed. */
static json_t *load(const char *name)
{
    char relative[128];
    json_error_t error;

    snprintf(relative, sizeof(relative), "wycheproof/%s", name);
    json_t *root = json_load_file(tk_test_vector(relative), 0, &error);
    if (root == NULL) {
        fail_msg("%s: line %d: %s", name, error.line, error.text);
    }
    return root;
}

/* Decoded hex member of a test, malloc'd; ptr is never NULL. */
typedef struct bytes {
    uint8_t *ptr;
    size_t len;
} bytes;

static bytes hex_member(json_t *obj, const char *field)
{
    const char *hex = json_string_value(json_object_get(obj, field));
    if (hex == NULL) {
        fail_msg("missing hex member \"%s\"", field);
    }
    size_t cap = strlen(hex) / 2;
    bytes b = {malloc(cap + 1), 0};
    assert_non_null(b.ptr);
    b.len = tk_test_hex_decode(hex, b.ptr, cap);
    return b;
}

static tk_view view(bytes b)
{
    return (tk_view){b.ptr, b.len};
}

/* Result of a test: 'v' valid, 'i' invalid, 'a' acceptable. */
static char result_of(json_t *test)
{
    const char *r = json_string_value(json_object_get(test, "result"));
    assert_non_null(r);
    if (strcmp(r, "valid") == 0) {
        return 'v';
    }
    if (strcmp(r, "invalid") == 0) {
        return 'i';
    }
    assert_string_equal(r, "acceptable");
    return 'a';
}

static int tc_id(json_t *test)
{
    return (int)json_integer_value(json_object_get(test, "tcId"));
}

/* Writes the test's flags, comma-separated, into buf. */
static const char *flags_of(json_t *test, char *buf, size_t cap)
{
    json_t *flags = json_object_get(test, "flags");
    size_t i;
    json_t *flag;

    buf[0] = '\0';
    json_array_foreach(flags, i, flag)
    {
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, "%s%s", i > 0 ? "," : "",
                 json_string_value(flag));
    }
    return buf;
}

/*
 * Records the outcome of one test. ok is true when the backend accepted
 * the input, and output_ok when its output was the expected one. err is
 * the error of a rejection, which must be one of the allowed codes.
 */
static void record(tally *t, json_t *test, bool ok, bool output_ok,
                   tk_err err, const tk_err *allowed, size_t nallowed)
{
    char flags[256];
    char result = result_of(test);

    if (ok && !output_ok) {
        fail_msg("%s tcId %d: accepted with a wrong output", t->file,
                 tc_id(test));
    }
    if (!ok) {
        bool known = false;
        for (size_t i = 0; i < nallowed; i++) {
            known = known || err == allowed[i];
        }
        if (!known) {
            fail_msg("%s tcId %d: rejected with unexpected %s", t->file,
                     tc_id(test), tk_errname(err));
        }
    }
    if (result == 'v') {
        if (!ok) {
            fail_msg("%s tcId %d (%s): valid test rejected with %s", t->file,
                     tc_id(test), flags_of(test, flags, sizeof(flags)),
                     tk_errname(err));
        }
        t->valid++;
    } else if (result == 'i') {
        if (ok) {
            fail_msg("%s tcId %d (%s): invalid test accepted", t->file,
                     tc_id(test), flags_of(test, flags, sizeof(flags)));
        }
        t->invalid++;
    } else {
        print_message("%s tcId %d acceptable (%s): %s%s\n", t->file,
                      tc_id(test), flags_of(test, flags, sizeof(flags)),
                      ok ? "accepted" : "rejected with ",
                      ok ? "" : tk_errname(err));
        if (ok) {
            t->acceptable_accepted++;
        } else {
            t->acceptable_rejected++;
        }
    }
}

/* Checks that a test outside the policy failed with the policy error. */
static void record_policy(tally *t, json_t *test, tk_err err, tk_err policy)
{
    if (err != policy) {
        fail_msg("%s tcId %d: expected %s for a case outside the policy, "
                 "got %s",
                 t->file, tc_id(test), tk_errname(policy), tk_errname(err));
    }
    t->policy++;
}

static void report(const tally *t, size_t expected_total)
{
    size_t total = t->valid + t->invalid + t->acceptable_accepted +
                   t->acceptable_rejected + t->policy;

    print_message("%s: %zu valid, %zu invalid, acceptable %zu accepted / "
                  "%zu rejected, %zu outside the policy\n",
                  t->file, t->valid, t->invalid, t->acceptable_accepted,
                  t->acceptable_rejected, t->policy);
    assert_int_equal(total, expected_total);
}

/* Number of tests in a file, to check that none was skipped. */
static size_t count_tests(json_t *root)
{
    size_t n = 0;
    size_t i;
    json_t *group;

    json_array_foreach(json_object_get(root, "testGroups"), i, group)
    {
        n += json_array_size(json_object_get(group, "tests"));
    }
    return n;
}

/* Iterates over every test of every group of root. */
#define FOR_EACH_TEST(root, group, test)                                   \
    for (size_t gi_ = 0;                                                   \
         (group = json_array_get(json_object_get(root, "testGroups"),     \
                                 gi_)) != NULL;                            \
         gi_++)                                                            \
        for (size_t ti_ = 0;                                               \
             (test = json_array_get(json_object_get(group, "tests"),       \
                                    ti_)) != NULL;                         \
             ti_++)

/* ---------------------------------------------------------------------- */
/* Signatures                                                             */
/* ---------------------------------------------------------------------- */

/* ECDSA P1363 files: the group key as an uncompressed point. */
static void run_ecdsa(const char *file, tk_alg alg, int32_t crv)
{
    const tk_crypto *c = tk_test_crypto();
    json_t *root = load(file);
    json_t *group;
    json_t *test;
    tally t = {.file = file};
    static const tk_err allowed[] = {TK_ERR_CRYPTO_SIGNATURE_INVALID};

    FOR_EACH_TEST(root, group, test)
    {
        json_t *pub = json_object_get(group, "publicKey");
        bytes point = hex_member(pub, "uncompressed");
        size_t n = tk_crypto_curve_size(crv);
        assert_int_equal(point.len, 1 + 2 * n);
        tk_key_params params = {.kty = TK_KTY_EC2, .crv = crv};
        params.x = (tk_view){point.ptr + 1, n};
        params.y = (tk_view){point.ptr + 1 + n, n};
        tk_key key;
        tk_err err = c->key_import(c->ctx, &params, &key);
        free(point.ptr);
        if (!tk_test_supports(c, alg, crv)) {
            assert_tk_err(err, TK_ERR_CRYPTO_UNSUPPORTED_ALG);
            t.policy++;
            continue;
        }
        assert_tk_err(err, TK_OK);

        bytes msg = hex_member(test, "msg");
        bytes sig = hex_member(test, "sig");
        tk_view part = view(msg);
        err = c->verify(c->ctx, alg, &key, &part, 1, view(sig));
        record(&t, test, err == TK_OK, true, err, allowed, 1);
        free(msg.ptr);
        free(sig.ptr);
        tk_key_release(&key);
    }
    report(&t, count_tests(root));
    json_decref(root);
}

static void test_wycheproof_ecdsa_p256(void **state)
{
    (void)state;
    run_ecdsa("ecdsa_secp256r1_sha256_p1363_test.json", TK_ALG_ES256,
              TK_CRV_P256);
}

static void test_wycheproof_ecdsa_p384(void **state)
{
    (void)state;
    run_ecdsa("ecdsa_secp384r1_sha384_p1363_test.json", TK_ALG_ES384,
              TK_CRV_P384);
}

static void test_wycheproof_ed25519(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    const char *file = "ed25519_test.json";
    json_t *root = load(file);
    json_t *group;
    json_t *test;
    tally t = {.file = file};
    static const tk_err allowed[] = {TK_ERR_CRYPTO_SIGNATURE_INVALID};

    FOR_EACH_TEST(root, group, test)
    {
        bytes pk = hex_member(json_object_get(group, "publicKey"), "pk");
        tk_key_params params = {.kty = TK_KTY_OKP, .crv = TK_CRV_ED25519};
        params.x = view(pk);
        tk_key key;
        tk_err err = c->key_import(c->ctx, &params, &key);
        free(pk.ptr);
        if (!tk_test_supports(c, TK_ALG_EDDSA, TK_CRV_ED25519)) {
            assert_tk_err(err, TK_ERR_CRYPTO_UNSUPPORTED_ALG);
            t.policy++;
            continue;
        }
        assert_tk_err(err, TK_OK);

        bytes msg = hex_member(test, "msg");
        bytes sig = hex_member(test, "sig");
        tk_view part = view(msg);
        err = c->verify(c->ctx, TK_ALG_EDDSA, &key, &part, 1, view(sig));
        record(&t, test, err == TK_OK, true, err, allowed, 1);
        free(msg.ptr);
        free(sig.ptr);
        tk_key_release(&key);
    }
    report(&t, count_tests(root));
    json_decref(root);
}

/* ---------------------------------------------------------------------- */
/* Key agreement                                                          */
/* ---------------------------------------------------------------------- */

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

static void test_wycheproof_x25519(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    const char *file = "x25519_test.json";
    json_t *root = load(file);
    json_t *group;
    json_t *test;
    tally t = {.file = file};
    static const tk_err allowed[] = {TK_ERR_CRYPTO_SHARED_SECRET_ZERO};

    FOR_EACH_TEST(root, group, test)
    {
        bytes pub = hex_member(test, "public");
        bytes priv = hex_member(test, "private");
        bytes shared = hex_member(test, "shared");
        tk_key_params pp = {.kty = TK_KTY_OKP, .crv = TK_CRV_X25519};
        tk_key_params sp = pp;
        tk_key peer;
        tk_key ours;
        pp.x = view(pub);
        sp.d = view(priv);

        assert_tk_err(c->key_import(c->ctx, &pp, &peer), TK_OK);
        assert_tk_err(c->key_import(c->ctx, &sp, &ours), TK_OK);
        uint8_t secret[32];
        size_t len = 0;
        tk_err err = c->ecdh(c->ctx, &ours, &peer, secret, sizeof(secret),
                             &len);
        bool output_ok = len == shared.len &&
                         memcmp(secret, shared.ptr, shared.len) == 0;
        if (err == TK_ERR_CRYPTO_SHARED_SECRET_ZERO) {
            /* Only a zero secret may be rejected this way. */
            assert_true(all_zero(shared.ptr, shared.len));
        }
        record(&t, test, err == TK_OK, output_ok, err, allowed, 1);
        tk_key_release(&peer);
        tk_key_release(&ours);
        free(pub.ptr);
        free(priv.ptr);
        free(shared.ptr);
    }
    report(&t, count_tests(root));
    json_decref(root);
}

/*
 * Reads one DER header at *p (end at end): returns the tag and stores the
 * content length, or returns -1 for anything but a definite length that
 * fits. Only what a P-256 SubjectPublicKeyInfo needs.
 */
static int der_header(const uint8_t **p, const uint8_t *end, size_t *len)
{
    if (end - *p < 2) {
        return -1;
    }
    int tag = (*p)[0];
    size_t l = (*p)[1];
    *p += 2;
    if (l == 0x81) {
        if (end - *p < 1 || (*p)[0] < 0x80) {
            return -1;
        }
        l = (*p)[0];
        *p += 1;
    } else if (l > 0x80) {
        return -1;
    }
    if ((size_t)(end - *p) < l) {
        return -1;
    }
    *len = l;
    return tag;
}

/*
 * Parses a DER SubjectPublicKeyInfo (RFC 5480) of a P-256 key with a named
 * curve into params: x and y, or x and y_bit for a compressed point.
 * Returns false for any other form, which the test counts as a rejection.
 */
static bool parse_p256_spki(bytes spki, tk_key_params *params)
{
    static const uint8_t algid[] = {
        0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, /* ecPublicKey */
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 /* P-256 */
    };
    const uint8_t *p = spki.ptr;
    const uint8_t *end = spki.ptr + spki.len;
    size_t len;

    if (der_header(&p, end, &len) != 0x30 || p + len != end) {
        return false;
    }
    if (der_header(&p, end, &len) != 0x30 || len != sizeof(algid) ||
        memcmp(p, algid, sizeof(algid)) != 0) {
        return false;
    }
    p += len;
    if (der_header(&p, end, &len) != 0x03 || p + len != end || len < 2 ||
        p[0] != 0) {
        return false;
    }
    const uint8_t *point = p + 1;
    size_t point_len = len - 1;
    if (point_len == 65 && point[0] == 0x04) {
        params->x = (tk_view){point + 1, 32};
        params->y = (tk_view){point + 33, 32};
        return true;
    }
    if (point_len == 33 && (point[0] == 0x02 || point[0] == 0x03)) {
        params->x = (tk_view){point + 1, 32};
        params->y_bit = (uint8_t)(point[0] & 1);
        return true;
    }
    return false;
}

/* Brings a big-endian scalar to exactly 32 bytes: leading zeros are
 * dropped or added. Returns false when the value needs more. */
static bool scalar32(bytes in, uint8_t out[32])
{
    size_t skip = 0;

    while (skip < in.len && in.ptr[skip] == 0) {
        skip++;
    }
    size_t len = in.len - skip;
    if (len > 32) {
        return false;
    }
    memset(out, 0, 32);
    memcpy(out + 32 - len, in.ptr + skip, len);
    return true;
}

static void test_wycheproof_ecdh_p256(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    const char *file = "ecdh_secp256r1_test.json";
    json_t *root = load(file);
    json_t *group;
    json_t *test;
    tally t = {.file = file};
    /* TK_ERR_NOT_FOUND stands for a public key the test cannot parse:
     * another curve, explicit parameters or bad DER. */
    static const tk_err allowed[] = {TK_ERR_NOT_FOUND,
                                     TK_ERR_CRYPTO_KEY_INVALID};

    FOR_EACH_TEST(root, group, test)
    {
        bytes pub = hex_member(test, "public");
        bytes priv = hex_member(test, "private");
        bytes shared = hex_member(test, "shared");
        tk_key_params pp = {.kty = TK_KTY_EC2, .crv = TK_CRV_P256};
        tk_key_params sp = pp;
        uint8_t d[32];
        tk_key peer;
        tk_key ours;
        uint8_t secret[32];
        size_t len = 0;
        tk_err err = TK_ERR_NOT_FOUND;

        assert_true(scalar32(priv, d));
        sp.d = (tk_view){d, 32};
        assert_tk_err(c->key_import(c->ctx, &sp, &ours), TK_OK);
        if (parse_p256_spki(pub, &pp)) {
            err = c->key_import(c->ctx, &pp, &peer);
            if (err == TK_OK) {
                err = c->ecdh(c->ctx, &ours, &peer, secret, sizeof(secret),
                              &len);
                tk_key_release(&peer);
            }
        }
        bool output_ok = len == shared.len &&
                         memcmp(secret, shared.ptr, shared.len) == 0;
        record(&t, test, err == TK_OK, output_ok, err, allowed, 2);
        tk_key_release(&ours);
        free(pub.ptr);
        free(priv.ptr);
        free(shared.ptr);
    }
    report(&t, count_tests(root));
    json_decref(root);
}

/* ---------------------------------------------------------------------- */
/* Symmetric primitives                                                   */
/* ---------------------------------------------------------------------- */

/* AEAD algorithm of an AES-GCM key length. */
static tk_alg gcm_alg(size_t key_len)
{
    return key_len == 16 ? TK_ALG_A128GCM
           : key_len == 24 ? TK_ALG_A192GCM
                           : TK_ALG_A256GCM;
}

/*
 * Runs one AEAD test: decrypts ct || tag, and for accepted input also
 * encrypts msg and compares. Returns the decryption result.
 */
static tk_err aead_case(const tk_crypto *c, tk_alg alg, json_t *test,
                        bool *output_ok)
{
    bytes key_bytes = hex_member(test, "key");
    bytes iv = hex_member(test, "iv");
    bytes aad = hex_member(test, "aad");
    bytes msg = hex_member(test, "msg");
    bytes ct = hex_member(test, "ct");
    bytes tag = hex_member(test, "tag");
    tk_key key;
    size_t in_len = ct.len + tag.len;
    uint8_t *in = malloc(in_len + 1);
    uint8_t *out = malloc(in_len + 1);
    size_t len = 0;

    assert_non_null(in);
    assert_non_null(out);
    memcpy(in, ct.ptr, ct.len);
    memcpy(in + ct.len, tag.ptr, tag.len);
    assert_tk_err(tk_key_init_symmetric(&key, view(key_bytes)), TK_OK);

    tk_err err = c->aead_decrypt(c->ctx, alg, &key, view(iv), view(aad),
                                 (tk_view){in, in_len}, out, in_len, &len);
    *output_ok = err == TK_OK && len == msg.len &&
                 memcmp(out, msg.ptr, msg.len) == 0;
    if (err == TK_OK) {
        tk_err enc = c->aead_encrypt(c->ctx, alg, &key, view(iv), view(aad),
                                     view(msg), out, in_len + 1, &len);
        assert_tk_err(enc, TK_OK);
        *output_ok = *output_ok && len == in_len &&
                     memcmp(out, in, in_len) == 0;
    }
    tk_key_release(&key);
    free(key_bytes.ptr);
    free(iv.ptr);
    free(aad.ptr);
    free(msg.ptr);
    free(ct.ptr);
    free(tag.ptr);
    free(in);
    free(out);
    return err;
}

/*
 * Streams a valid AES-GCM or ChaCha20/Poly1305 test through
 * cipher_start/update/finish in 7-byte chunks, both ways, and checks
 * ciphertext, plaintext and tag.
 */
static void aead_stream_case(const tk_crypto *c, tk_alg alg, json_t *test)
{
    bytes key_bytes = hex_member(test, "key");
    bytes iv = hex_member(test, "iv");
    bytes aad = hex_member(test, "aad");
    bytes msg = hex_member(test, "msg");
    bytes ct = hex_member(test, "ct");
    bytes tag = hex_member(test, "tag");
    tk_key key;
    tk_crypto_cipher_state st;
    uint8_t *out = malloc(msg.len + 1);
    uint8_t tag_out[16];

    assert_non_null(out);
    assert_tk_err(tk_key_init_symmetric(&key, view(key_bytes)), TK_OK);
    for (int dir = TK_CRYPTO_ENCRYPT; dir <= TK_CRYPTO_DECRYPT; dir++) {
        bytes in = dir == TK_CRYPTO_ENCRYPT ? msg : ct;
        bytes expected = dir == TK_CRYPTO_ENCRYPT ? ct : msg;

        assert_tk_err(c->cipher_start(c->ctx, &st, alg, &key, view(iv),
                                      view(aad), (tk_crypto_dir)dir),
                      TK_OK);
        for (size_t pos = 0; pos < in.len; pos += 7) {
            size_t n = in.len - pos < 7 ? in.len - pos : 7;
            assert_tk_err(c->cipher_update(c->ctx, &st, in.ptr + pos, n,
                                           out + pos),
                          TK_OK);
        }
        if (dir == TK_CRYPTO_ENCRYPT) {
            assert_tk_err(c->cipher_finish(c->ctx, &st, (tk_view){NULL, 0},
                                           tag_out, sizeof(tag_out)),
                          TK_OK);
            tk_test_assert_bytes(tag_out, sizeof(tag_out), view(tag));
        } else {
            assert_tk_err(c->cipher_finish(c->ctx, &st, view(tag), NULL, 0),
                          TK_OK);
        }
        tk_test_assert_bytes(out, in.len, view(expected));
    }
    tk_key_release(&key);
    free(key_bytes.ptr);
    free(iv.ptr);
    free(aad.ptr);
    free(msg.ptr);
    free(ct.ptr);
    free(tag.ptr);
    free(out);
}

/*
 * Streams the ciphertext of a test whose tag is wrong through decryption
 * in 7-byte chunks: cipher_finish must reject the tag.
 */
static void aead_stream_reject(const tk_crypto *c, tk_alg alg, json_t *test)
{
    bytes key_bytes = hex_member(test, "key");
    bytes iv = hex_member(test, "iv");
    bytes aad = hex_member(test, "aad");
    bytes ct = hex_member(test, "ct");
    bytes tag = hex_member(test, "tag");
    tk_key key;
    tk_crypto_cipher_state st;
    uint8_t *out = malloc(ct.len + 1);

    assert_non_null(out);
    assert_tk_err(tk_key_init_symmetric(&key, view(key_bytes)), TK_OK);
    assert_tk_err(c->cipher_start(c->ctx, &st, alg, &key, view(iv),
                                  view(aad), TK_CRYPTO_DECRYPT),
                  TK_OK);
    for (size_t pos = 0; pos < ct.len; pos += 7) {
        size_t n = ct.len - pos < 7 ? ct.len - pos : 7;
        assert_tk_err(c->cipher_update(c->ctx, &st, ct.ptr + pos, n,
                                       out + pos),
                      TK_OK);
    }
    assert_tk_err(c->cipher_finish(c->ctx, &st, view(tag), NULL, 0),
                  TK_ERR_CRYPTO_TAG_INVALID);
    tk_key_release(&key);
    free(key_bytes.ptr);
    free(iv.ptr);
    free(aad.ptr);
    free(ct.ptr);
    free(tag.ptr);
    free(out);
}

static void run_aead(const char *file, bool gcm)
{
    const tk_crypto *c = tk_test_crypto();
    json_t *root = load(file);
    json_t *group;
    json_t *test;
    tally t = {.file = file};
    static const tk_err allowed[] = {TK_ERR_CRYPTO_TAG_INVALID};

    FOR_EACH_TEST(root, group, test)
    {
        json_int_t key_bits =
            json_integer_value(json_object_get(group, "keySize"));
        json_int_t iv_bits =
            json_integer_value(json_object_get(group, "ivSize"));
        json_int_t tag_bits =
            json_integer_value(json_object_get(group, "tagSize"));
        tk_alg alg = gcm ? gcm_alg((size_t)key_bits / 8)
                         : TK_ALG_CHACHA20_POLY1305;
        bool output_ok = false;

        assert_int_equal(tag_bits, 128);
        tk_err err = aead_case(c, alg, test, &output_ok);
        if (iv_bits != 96) {
            /* The interface takes 12-byte nonces only (RFC 9053). */
            record_policy(&t, test, err, TK_ERR_CRYPTO_IV_LENGTH);
            continue;
        }
        record(&t, test, err == TK_OK, output_ok, err, allowed, 1);
        /* The streaming cipher gives the one-shot result in chunks. */
        if (err == TK_OK) {
            aead_stream_case(c, alg, test);
        } else if (err == TK_ERR_CRYPTO_TAG_INVALID) {
            aead_stream_reject(c, alg, test);
        }
    }
    report(&t, count_tests(root));
    json_decref(root);
}

static void test_wycheproof_aes_gcm(void **state)
{
    (void)state;
    run_aead("aes_gcm_test.json", true);
}

static void test_wycheproof_chacha20_poly1305(void **state)
{
    (void)state;
    run_aead("chacha20_poly1305_test.json", false);
}

static void test_wycheproof_aes_wrap(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    const char *file = "aes_wrap_test.json";
    json_t *root = load(file);
    json_t *group;
    json_t *test;
    tally t = {.file = file};
    static const tk_err allowed[] = {TK_ERR_CRYPTO_UNWRAP_INVALID,
                                     TK_ERR_CRYPTO_INPUT_LENGTH};

    FOR_EACH_TEST(root, group, test)
    {
        bytes key_bytes = hex_member(test, "key");
        bytes msg = hex_member(test, "msg");
        bytes ct = hex_member(test, "ct");
        tk_alg alg = key_bytes.len == 16   ? TK_ALG_A128KW
                     : key_bytes.len == 24 ? TK_ALG_A192KW
                                           : TK_ALG_A256KW;
        tk_key kek;
        size_t cap = ct.len + msg.len + 8;
        uint8_t *out = malloc(cap);
        size_t len = 0;

        assert_non_null(out);
        assert_tk_err(tk_key_init_symmetric(&kek, view(key_bytes)), TK_OK);
        tk_err err = c->key_unwrap(c->ctx, alg, &kek, view(ct), out, cap,
                                   &len);
        bool output_ok = err == TK_OK && len == msg.len &&
                         memcmp(out, msg.ptr, msg.len) == 0;
        /* Wrapping msg must give ct exactly when the test is accepted, and
         * fail for the input sizes that unwrapping rejects. */
        tk_err wrap = c->key_wrap(c->ctx, alg, &kek, view(msg), out, cap,
                                  &len);
        if (err == TK_OK) {
            assert_tk_err(wrap, TK_OK);
            output_ok = output_ok && len == ct.len &&
                        memcmp(out, ct.ptr, ct.len) == 0;
        } else if (msg.len % 8 != 0 || msg.len < 16) {
            assert_tk_err(wrap, TK_ERR_CRYPTO_INPUT_LENGTH);
        }
        record(&t, test, err == TK_OK, output_ok, err, allowed, 2);
        tk_key_release(&kek);
        free(key_bytes.ptr);
        free(msg.ptr);
        free(ct.ptr);
        free(out);
    }
    report(&t, count_tests(root));
    json_decref(root);
}

static void test_wycheproof_hkdf_sha256(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    const char *file = "hkdf_sha256_test.json";
    json_t *root = load(file);
    json_t *group;
    json_t *test;
    tally t = {.file = file};
    static const tk_err allowed[] = {TK_ERR_CRYPTO_OUTPUT_LENGTH};

    FOR_EACH_TEST(root, group, test)
    {
        bytes ikm = hex_member(test, "ikm");
        bytes salt = hex_member(test, "salt");
        bytes info = hex_member(test, "info");
        bytes okm = hex_member(test, "okm");
        size_t size =
            (size_t)json_integer_value(json_object_get(test, "size"));
        uint8_t *out = malloc(size + 1);

        assert_non_null(out);
        tk_err err = c->hkdf(c->ctx, TK_ALG_SHA256, view(salt), view(ikm),
                             view(info), out, size);
        bool output_ok = err == TK_OK && okm.len == size &&
                         memcmp(out, okm.ptr, size) == 0;
        record(&t, test, err == TK_OK, output_ok, err, allowed, 1);
        free(ikm.ptr);
        free(salt.ptr);
        free(info.ptr);
        free(okm.ptr);
        free(out);
    }
    report(&t, count_tests(root));
    json_decref(root);
}

/* HMAC tests compare the given tag (possibly truncated) with ours. */
static void test_wycheproof_hmac_sha256(void **state)
{
    (void)state;
    const tk_crypto *c = tk_test_crypto();
    const char *file = "hmac_sha256_test.json";
    json_t *root = load(file);
    json_t *group;
    json_t *test;
    tally t = {.file = file};
    static const tk_err allowed[] = {TK_ERR_CRYPTO_TAG_INVALID};

    FOR_EACH_TEST(root, group, test)
    {
        bytes key_bytes = hex_member(test, "key");
        bytes msg = hex_member(test, "msg");
        bytes tag = hex_member(test, "tag");
        tk_key key;
        uint8_t out[TK_CRYPTO_MAX_MAC_SIZE];
        size_t len = 0;

        tk_err err = tk_key_init_symmetric(&key, view(key_bytes));
        if (key_bytes.len > TK_CRYPTO_MAX_SYMMETRIC_SIZE) {
            record_policy(&t, test, err, TK_ERR_CRYPTO_KEY_INVALID);
        } else {
            assert_tk_err(err, TK_OK);
            tk_view part = view(msg);
            assert_tk_err(c->mac(c->ctx, TK_ALG_HMAC_256_256, &key, &part, 1,
                                 out, sizeof(out), &len),
                          TK_OK);
            assert_int_equal(len, 32);
            assert_true(tag.len <= len);
            bool match = tk_crypto_ct_equal(out, tag.ptr, tag.len);
            record(&t, test, match, true,
                   match ? TK_OK : TK_ERR_CRYPTO_TAG_INVALID, allowed, 1);
        }
        tk_key_release(&key);
        free(key_bytes.ptr);
        free(msg.ptr);
        free(tag.ptr);
    }
    report(&t, count_tests(root));
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wycheproof_ecdsa_p256),
        cmocka_unit_test(test_wycheproof_ecdsa_p384),
        cmocka_unit_test(test_wycheproof_ed25519),
        cmocka_unit_test(test_wycheproof_x25519),
        cmocka_unit_test(test_wycheproof_ecdh_p256),
        cmocka_unit_test(test_wycheproof_aes_gcm),
        cmocka_unit_test(test_wycheproof_chacha20_poly1305),
        cmocka_unit_test(test_wycheproof_aes_wrap),
        cmocka_unit_test(test_wycheproof_hkdf_sha256),
        cmocka_unit_test(test_wycheproof_hmac_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
