/*
 * Tests of the EAT evidence builder and appraisal with the OpenSSL
 * backend: a good token is affirming; wrong keys, models, nonces, times,
 * cnf and duplicate claims are contraindicated with their specific
 * reason; out-of-date versions and manifests give a warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/cose.h"
#include "teepkit/eat.h"

#define NOW 1700000000

static const uint8_t challenge[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                      9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t ueid[16] = {0x01, 0x98, 0xf5, 0x0a, 0x4f, 0xf6,
                                 0xc0, 0x58, 0x61, 0xc8, 0x86, 0x0d,
                                 0x13, 0xa6, 0x38, 0xea};
static const uint8_t oemid[3] = {0x89, 0x48, 0x23};
static const uint8_t hwmodel[4] = {0x54, 0x9d, 0xce, 0xcc};
static const uint8_t other_hwmodel[4] = {0xde, 0xad, 0xbe, 0xef};

static struct {
    tk_key attester;
    tk_key attester_ed;
    tk_key other;
    tk_key agent;
    tk_key stranger;
    uint8_t agent_kid[32];
    uint8_t stranger_kid[32];
} keys;

static const tk_crypto *crypto;

static tk_view view(const void *p, size_t len)
{
    return (tk_view){(const uint8_t *)p, len};
}

static int setup(void **state)
{
    (void)state;
    crypto = tk_crypto_openssl();
    tk_key *all[] = {&keys.attester, &keys.other, &keys.agent, &keys.stranger};
    for (size_t i = 0; i < 4; i++) {
        tk_key_init(all[i]);
        if (crypto->key_generate(crypto->ctx, TK_CRV_P256, all[i]) != TK_OK)
            return -1;
    }
    tk_key_init(&keys.attester_ed);
    if (crypto->key_generate(crypto->ctx, TK_CRV_ED25519, &keys.attester_ed) !=
        TK_OK)
        return -1;
    if (tk_cose_key_thumbprint(crypto, &keys.agent, keys.agent_kid) != TK_OK ||
        tk_cose_key_thumbprint(crypto, &keys.stranger, keys.stranger_kid) !=
            TK_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_key_release(&keys.attester);
    tk_key_release(&keys.attester_ed);
    tk_key_release(&keys.other);
    tk_key_release(&keys.agent);
    tk_key_release(&keys.stranger);
    return 0;
}

/* Claims of a good TEEP evidence. */
static void good_claims(tk_eat_claims *c)
{
    memset(c, 0, sizeof(*c));
    c->present = TK_EAT_TEEP_REQUIRED | TK_EAT_HAS_NONCE | TK_EAT_HAS_IAT;
    c->cnf_kind = TK_EAT_CNF_KID;
    c->cnf = view(keys.agent_kid, 32);
    c->nonce_count = 1;
    c->nonce[0] = view(challenge, sizeof(challenge));
    c->ueid = view(ueid, sizeof(ueid));
    c->oemid = view(oemid, sizeof(oemid));
    c->hwmodel = view(hwmodel, sizeof(hwmodel));
    c->hwversion.version = view("1.0", 3);
    c->iat = NOW - 10;
    c->manifest_count = 1;
    c->manifests[0].content_type = 60;
    c->manifests[0].content = view("\xa0", 1);
}

/* A token and the buffers it lives in. */
typedef struct token {
    uint8_t buf[2048];
    size_t len;
} token;

static void build(const tk_eat_claims *c, tk_alg alg, const tk_key *key,
                  const char *kid, token *t)
{
    uint8_t scratch[2048];
    tk_eat_signer signer = {alg, key, view(kid, strlen(kid))};
    assert_int_equal(tk_eat_build_evidence(crypto, &signer, c, scratch,
                                           sizeof(scratch), t->buf,
                                           sizeof(t->buf), &t->len),
                     TK_OK);
}

/* Appraisal inputs with the reference values of the good device. */
typedef struct inputs {
    tk_eat_attester attesters[2];
    tk_view hwmodels[1];
    tk_view hwversions[1];
    tk_eat_format_entry manifests[1];
    tk_eat_reference ref;
    tk_eat_appraisal a;
    uint8_t scratch[4096];
} inputs;

static inputs *new_inputs(void)
{
    inputs *in = calloc(1, sizeof(*in));
    in->attesters[0] =
        (tk_eat_attester){view("attest01", 8), TK_ALG_ESP256, &keys.attester,
                          view(ueid, sizeof(ueid))};
    in->attesters[1] = (tk_eat_attester){view("attest-ed", 9), TK_ALG_ED25519,
                                         &keys.attester_ed, view(NULL, 0)};
    in->hwmodels[0] = view(hwmodel, sizeof(hwmodel));
    in->hwversions[0] = view("1.0", 3);
    in->manifests[0] = (tk_eat_format_entry){60, view("\xa0", 1), false};
    in->ref.attesters = in->attesters;
    in->ref.attester_count = 2;
    in->ref.hwmodels = in->hwmodels;
    in->ref.hwmodel_count = 1;
    in->ref.hwversions = in->hwversions;
    in->ref.hwversion_count = 1;
    in->ref.manifests = in->manifests;
    in->ref.manifest_count = 1;
    in->a.crypto = crypto;
    in->a.ref = &in->ref;
    in->a.flags = TK_EAT_PROFILE_TEEP;
    in->a.nonce = view(challenge, sizeof(challenge));
    in->a.now = NOW;
    in->a.skew = 60;
    in->a.cnf_kid = view(keys.agent_kid, 32);
    in->a.scratch = in->scratch;
    in->a.scratch_cap = sizeof(in->scratch);
    return in;
}

/* Appraises t with in and checks status and reason. */
static void expect(inputs *in, const token *t, tk_eat_status status,
                   tk_err reason)
{
    tk_eat_result res;
    tk_err err = tk_eat_appraise(&in->a, t->buf, t->len, &res);
    if (res.status != status || res.reason != reason)
        fail_msg("expected status %d %s, got %d %s", status, tk_errname(reason),
                 res.status, tk_errname(res.reason));
    assert_int_equal(err, reason);
}

static void good_evidence_affirming(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;
    good_claims(&c);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    tk_eat_result res;
    assert_int_equal(tk_eat_appraise(&in->a, t.buf, t.len, &res), TK_OK);
    assert_int_equal(res.status, TK_EAT_STATUS_AFFIRMING);
    assert_int_equal(res.reason, TK_OK);
    assert_int_equal(res.attester_index, 0);
    assert_int_equal(res.claims.ueid.len, sizeof(ueid));
    assert_int_equal(res.claims.iat, NOW - 10);
    /* The token is a tagged COSE_Sign1. */
    assert_int_equal(t.buf[0], 0xD2);

    /* ES256 and ESP256 name the same computation. */
    build(&c, TK_ALG_ES256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_AFFIRMING, TK_OK);
    free(in);
}

static void wrong_key_contraindicated(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;
    good_claims(&c);
    /* Signed by another key that claims the attester's kid. */
    build(&c, TK_ALG_ESP256, &keys.other, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_SIGNATURE);
    /* A kid the reference values do not list. */
    build(&c, TK_ALG_ESP256, &keys.other, "stranger", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_UNKNOWN_KEY);
    /* The Ed25519 attester's kid with an ECDSA signature. */
    build(&c, TK_ALG_ESP256, &keys.attester, "attest-ed", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_UNKNOWN_KEY);
    /* One altered byte of the payload. */
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    t.buf[t.len - 70] ^= 0x01;
    tk_eat_result res;
    tk_eat_appraise(&in->a, t.buf, t.len, &res);
    assert_int_equal(res.status, TK_EAT_STATUS_CONTRAINDICATED);
    assert_int_not_equal(res.reason, TK_OK);
    free(in);
}

static void wrong_hardware_contraindicated(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;
    good_claims(&c);
    c.hwmodel = view(other_hwmodel, sizeof(other_hwmodel));
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_HWMODEL_UNKNOWN);

    /* Another device's ueid under this device's attestation key. */
    static const uint8_t other_ueid[16] = {0x01, 9, 9, 9, 9, 9, 9, 9,
                                           9,    9, 9, 9, 9, 9, 9, 9};
    good_claims(&c);
    c.ueid = view(other_ueid, sizeof(other_ueid));
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_UEID_MISMATCH);

    /* An oemid outside the reference list. */
    static const uint8_t expected_oemid[3] = {1, 2, 3};
    tk_view oemids[1] = {view(expected_oemid, 3)};
    in->ref.oemids = oemids;
    in->ref.oemid_count = 1;
    good_claims(&c);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_OEMID_UNKNOWN);
    free(in);
}

static void nonce_checked(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;
    static const uint8_t stale[16] = {0};
    good_claims(&c);
    c.nonce[0] = view(stale, sizeof(stale));
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_NONCE_MISMATCH);

    good_claims(&c);
    c.present &= ~TK_EAT_HAS_NONCE;
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_NONCE_MISSING);

    /* A nonce that is a prefix of the challenge. */
    good_claims(&c);
    c.nonce[0] = view(challenge, 8);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_NONCE_MISMATCH);
    free(in);
}

static void times_checked(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;

    good_claims(&c);
    c.present |= TK_EAT_HAS_EXP;
    c.exp = NOW - 100;
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_EXPIRED);
    c.exp = NOW - 30; /* within the 60 s skew */
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_AFFIRMING, TK_OK);

    good_claims(&c);
    c.iat = NOW + 3600;
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_FUTURE_IAT);

    good_claims(&c);
    c.present |= TK_EAT_HAS_NBF;
    c.nbf = NOW + 3600;
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_NOT_YET_VALID);

    /* Timestamp freshness: iat at most max_age old. */
    in->a.max_age = 300;
    good_claims(&c);
    c.iat = NOW - 1000;
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_STALE);
    c.present &= ~TK_EAT_HAS_IAT;
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_MISSING_CLAIM);
    free(in);
}

static void cnf_checked(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;
    good_claims(&c);
    c.cnf = view(keys.stranger_kid, 32);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_CNF_MISMATCH);

    /* cnf as the agent's COSE_Key, and as another key. */
    uint8_t cose_key[256];
    size_t cose_key_len;
    assert_int_equal(tk_cose_key_encode(&keys.agent, TK_ALG_NONE, false,
                                        cose_key, sizeof(cose_key),
                                        &cose_key_len),
                     TK_OK);
    good_claims(&c);
    c.cnf_kind = TK_EAT_CNF_COSE_KEY;
    c.cnf = view(cose_key, cose_key_len);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_AFFIRMING, TK_OK);
    assert_int_equal(tk_cose_key_encode(&keys.stranger, TK_ALG_NONE, false,
                                        cose_key, sizeof(cose_key),
                                        &cose_key_len),
                     TK_OK);
    c.cnf = view(cose_key, cose_key_len);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_CNF_MISMATCH);

    /* Without the TEEP profile, a missing cnf is reported as such. */
    in->a.flags = 0;
    good_claims(&c);
    c.present &= ~TK_EAT_HAS_CNF;
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_CNF_MISSING);
    /* With it, the claims set itself is incomplete. */
    in->a.flags = TK_EAT_PROFILE_TEEP;
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_MISSING_CLAIM);
    free(in);
}

/* A validly signed claims set with eat_nonce twice. */
static void duplicate_claims_contraindicated(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    uint8_t claims[64];
    size_t n = 0;
    claims[n++] = 0xA2;
    for (int i = 0; i < 2; i++) {
        claims[n++] = 0x0A;
        claims[n++] = 0x50;
        memcpy(claims + n, challenge, 16);
        n += 16;
    }
    tk_cose_build b;
    memset(&b, 0, sizeof(b));
    b.alg = TK_ALG_ESP256;
    b.key = &keys.attester;
    b.kid = view("attest01", 8);
    b.flags = TK_COSE_BUILD_KID_PROTECTED;
    token t;
    assert_int_equal(tk_cose_sign1_sign(crypto, &b, view(claims, n), t.buf,
                                        sizeof(t.buf), &t.len),
                     TK_OK);
    in->a.flags = 0;
    in->a.cnf_kid = view(NULL, 0);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_DUPLICATE_CLAIM);
    free(in);
}

static void out_of_date_is_warning(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;
    good_claims(&c);
    c.hwversion.version = view("0.9", 3);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_WARNING, TK_ERR_EAT_HWVERSION_UNKNOWN);

    good_claims(&c);
    c.manifests[0].content = view("\x80", 1);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);
    expect(in, &t, TK_EAT_STATUS_WARNING, TK_ERR_EAT_MANIFEST_UNKNOWN);
    free(in);
}

static void ed25519_and_cwt_tag(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;
    good_claims(&c);
    build(&c, TK_ALG_ED25519, &keys.attester_ed, "attest-ed", &t);
    expect(in, &t, TK_EAT_STATUS_AFFIRMING, TK_OK);
    /* The same token inside CWT tag 61. */
    token wrapped;
    wrapped.buf[0] = 0xD8;
    wrapped.buf[1] = 61;
    memcpy(wrapped.buf + 2, t.buf, t.len);
    wrapped.len = t.len + 2;
    expect(in, &wrapped, TK_EAT_STATUS_AFFIRMING, TK_OK);
    free(in);
}

static void bad_inputs_rejected(void **state)
{
    (void)state;
    inputs *in = new_inputs();
    tk_eat_claims c;
    token t;
    good_claims(&c);
    build(&c, TK_ALG_ESP256, &keys.attester, "attest01", &t);

    /* No freshness requirement at all. */
    in->a.nonce = view(NULL, 0);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_INVALID_ARG);
    /* The TEEP profile without the agent's key thumbprint. */
    in->a.nonce = view(challenge, sizeof(challenge));
    in->a.cnf_kid = view(NULL, 0);
    expect(in, &t, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_INVALID_ARG);
    in->a.cnf_kid = view(keys.agent_kid, 32);

    /* Not a COSE structure. */
    token junk = {{0x82, 0x01, 0x02}, 3};
    expect(in, &junk, TK_EAT_STATUS_CONTRAINDICATED, TK_ERR_EAT_NOT_COSE);

    /* Every truncation fails. */
    for (size_t n = 0; n < t.len; n++) {
        tk_eat_result res;
        uint8_t *copy = malloc(n + 1);
        memcpy(copy, t.buf, n);
        tk_eat_appraise(&in->a, copy, n, &res);
        if (res.status != TK_EAT_STATUS_CONTRAINDICATED)
            fail_msg("token truncated to %zu bytes was not rejected", n);
        free(copy);
    }
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_evidence_affirming),
        cmocka_unit_test(wrong_key_contraindicated),
        cmocka_unit_test(wrong_hardware_contraindicated),
        cmocka_unit_test(nonce_checked),
        cmocka_unit_test(times_checked),
        cmocka_unit_test(cnf_checked),
        cmocka_unit_test(duplicate_claims_contraindicated),
        cmocka_unit_test(out_of_date_is_warning),
        cmocka_unit_test(ed25519_and_cwt_tag),
        cmocka_unit_test(bad_inputs_rejected),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
