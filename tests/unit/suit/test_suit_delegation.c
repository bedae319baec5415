/*
 * Delegation chains (suit-delegation, envelope key 1): a trust anchor
 * signs a CWT whose confirmation key (cnf, RFC 8747) may sign manifests;
 * chains of CWTs delegate further. A chain not rooted in a trusted key,
 * whose links do not verify, or whose CWTs are outside their exp and nbf
 * claims (RFC 8392) at the platform's time, is rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suit_test_platform.h"
#include "suit_test_util.h"
#include "teepkit/cose.h"
#include "teepkit/suit.h"

#define MANIFEST                                                             \
    "{1: 1, 2: 1, 3: << {2: [[h'00']]} >>,"                                   \
    " 20: << [20, {18: 'delegated'}, 18, 15] >>}"

typedef struct fixture {
    tp_platform tp;
    tk_suit_processor proc;
    tk_key middle;  /* delegated by the anchor */
    tk_key leaf;    /* delegated by middle */
    uint8_t env[8192];
    size_t env_len;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_suit_config cfg;
    const tk_crypto *c = tu_crypto();
    assert_non_null(f);
    tp_init(&f->tp);
    /* The example key is the trust anchor of delegations only. */
    tp_add_key(&f->tp, TK_SUIT_KEY_DELEGATION, 0, NULL, -1,
               tu_example_public());
    tk_key_init(&f->middle);
    tk_key_init(&f->leaf);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &f->middle), TK_OK);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &f->leaf), TK_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = c;
    cfg.platform = &f->tp.pf;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tp_free(&f->tp);
    tk_key_release(&f->middle);
    tk_key_release(&f->leaf);
    free(f);
    return 0;
}

/* A claim value in CBOR, or none. */
typedef struct claim {
    const uint8_t *bytes;
    size_t len;
} claim;

#define NO_CLAIM ((claim){NULL, 0})

/*
 * Writes the hex of a CWT, signed by signer, that confirms subject, with
 * the exp (4) and nbf (5) claims given in CBOR when present.
 */
static void cwt_hex_timed(const tk_key *signer, const tk_key *subject,
                          claim exp, claim nbf, char *out)
{
    uint8_t cose_key[160];
    uint8_t claims[256];
    uint8_t cwt[512];
    size_t key_len = 0;
    size_t cwt_len = 0;
    size_t claims_len = 0;
    assert_int_equal(tk_cose_key_encode(subject, 0, false, cose_key,
                                        sizeof(cose_key), &key_len),
                     TK_OK);
    /* Claims {1 (iss): "suit-author", 4 (exp), 5 (nbf), 8 (cnf):
     * {1 (COSE_Key): key}} (RFC 8392, RFC 8747 section 3.2), built around
     * the encoded key. */
    static const uint8_t iss[] = {0x01, 0x6b, 's', 'u', 'i', 't', '-',
                                  'a',  'u',  't', 'h', 'o', 'r'};
    claims[0] = (uint8_t)(0xa2 + (exp.len > 0) + (nbf.len > 0));
    claims_len = 1;
    memcpy(claims + claims_len, iss, sizeof(iss));
    claims_len += sizeof(iss);
    if (exp.len > 0) {
        claims[claims_len++] = 0x04;
        memcpy(claims + claims_len, exp.bytes, exp.len);
        claims_len += exp.len;
    }
    if (nbf.len > 0) {
        claims[claims_len++] = 0x05;
        memcpy(claims + claims_len, nbf.bytes, nbf.len);
        claims_len += nbf.len;
    }
    claims[claims_len++] = 0x08;
    claims[claims_len++] = 0xa1;
    claims[claims_len++] = 0x01;
    memcpy(claims + claims_len, cose_key, key_len);
    claims_len += key_len;
    tk_cose_build build;
    memset(&build, 0, sizeof(build));
    build.alg = TK_ALG_ES256;
    build.key = signer;
    assert_int_equal(tk_cose_sign1_sign(tu_crypto(), &build,
                                        (tk_view){claims, claims_len}, cwt,
                                        sizeof(cwt), &cwt_len),
                     TK_OK);
    for (size_t i = 0; i < cwt_len; i++)
        sprintf(out + 2 * i, "%02x", cwt[i]);
}

/* Writes the hex of a CWT without a validity period. */
static void cwt_hex(const tk_key *signer, const tk_key *subject, char *out)
{
    cwt_hex_timed(signer, subject, NO_CLAIM, NO_CLAIM, out);
}

static tk_err run(fixture *f, const char *delegation, const tk_key *signer)
{
    char extra[4096];
    snprintf(extra, sizeof(extra), "1: << %s >>", delegation);
    f->env_len = tu_envelope(MANIFEST, delegation != NULL ? extra : NULL,
                             signer, TK_ALG_ES256, f->env, sizeof(f->env));
    return tk_suit_process(&f->proc, (tk_view){f->env, f->env_len},
                           TK_SUIT_OP_UPDATE);
}

static void one_link(void **state)
{
    fixture *f = *state;
    char cwt[1100];
    char chain[1200];
    uint8_t id[3];
    cwt_hex(tu_example_private(), &f->middle, cwt);
    snprintf(chain, sizeof(chain), "[[h'%s']]", cwt);
    assert_int_equal(run(f, chain, &f->middle), TK_OK);
    const tp_image *img = tp_image_of(&f->tp, tp_id_byte(id, 0));
    assert_non_null(img);
    assert_memory_equal(img->data, "delegated", 9);
}

static void two_links(void **state)
{
    fixture *f = *state;
    char first[1100];
    char second[1100];
    char chain[2400];
    cwt_hex(tu_example_private(), &f->middle, first);
    cwt_hex(&f->middle, &f->leaf, second);
    snprintf(chain, sizeof(chain), "[[h'%s', h'%s']]", first, second);
    assert_int_equal(run(f, chain, &f->leaf), TK_OK);
    /* The middle key is not the end of the chain: it may not sign. */
    assert_int_equal(run(f, chain, &f->middle), TK_ERR_SUIT_SIGNATURE);
}

static void broken_links(void **state)
{
    fixture *f = *state;
    char first[1100];
    char second[1100];
    char chain[2400];
    uint8_t id[3];
    /* Without a delegation the key is unknown. */
    assert_int_equal(run(f, NULL, &f->middle), TK_ERR_SUIT_KEY_NOT_FOUND);
    /* A CWT signed by an untrusted key. */
    cwt_hex(&f->leaf, &f->middle, first);
    snprintf(chain, sizeof(chain), "[[h'%s']]", first);
    assert_int_equal(run(f, chain, &f->middle), TK_ERR_SUIT_DELEGATION);
    /* A second link not signed by the first link's key. */
    cwt_hex(tu_example_private(), &f->middle, first);
    cwt_hex(tu_example_private(), &f->leaf, second);
    snprintf(chain, sizeof(chain), "[[h'%s', h'%s']]", first, second);
    assert_int_equal(run(f, chain, &f->leaf), TK_ERR_SUIT_DELEGATION);
    /* A malformed delegation member. */
    assert_int_equal(run(f, "[]", &f->middle), TK_ERR_SUIT_DELEGATION);
    assert_int_equal(run(f, "[[h'00']]", &f->middle),
                     TK_ERR_SUIT_DELEGATION);
    assert_null(tp_image_of(&f->tp, tp_id_byte(id, 0)));
}

/*
 * A trusted manifest key of the signature's algorithm that did not sign:
 * without kids the platform returns it first, and the processor then
 * verifies with the chain's key.
 */
static void trusted_key_of_same_alg(void **state)
{
    fixture *f = *state;
    char cwt[1100];
    char chain[1200];
    uint8_t id[3];
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1, &f->leaf);
    cwt_hex(tu_example_private(), &f->middle, cwt);
    snprintf(chain, sizeof(chain), "[[h'%s']]", cwt);
    /* Signed by the anchor, which only delegates: neither key verifies. */
    assert_int_equal(run(f, chain, tu_example_private()),
                     TK_ERR_SUIT_SIGNATURE);
    assert_null(tp_image_of(&f->tp, tp_id_byte(id, 0)));
    assert_int_equal(run(f, chain, &f->middle), TK_OK);
    const tp_image *img = tp_image_of(&f->tp, tp_id_byte(id, 0));
    assert_non_null(img);
    assert_memory_equal(img->data, "delegated", 9);
    /* The trusted key itself still verifies. */
    assert_int_equal(run(f, chain, &f->leaf), TK_OK);
}

/* Runs a one-link chain whose CWT has the given validity claims. */
static tk_err run_timed(fixture *f, claim exp, claim nbf)
{
    char cwt[1100];
    char chain[1200];
    cwt_hex_timed(tu_example_private(), &f->middle, exp, nbf, cwt);
    snprintf(chain, sizeof(chain), "[[h'%s']]", cwt);
    return run(f, chain, &f->middle);
}

/* exp 1000 and nbf 500 as CBOR integers, and as floats 999.5 and 499.5. */
static const uint8_t exp_1000[] = {0x19, 0x03, 0xe8};
static const uint8_t nbf_500[] = {0x19, 0x01, 0xf4};
static const uint8_t exp_999_5[] = {0xfb, 0x40, 0x8f, 0x3c,
                                    0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t nbf_499_5[] = {0xfb, 0x40, 0x7f, 0x38,
                                    0x00, 0x00, 0x00, 0x00, 0x00};

/* RFC 8392 section 3.1.4: a CWT must not be accepted on or after exp. */
static void expired_delegation(void **state)
{
    fixture *f = *state;
    claim exp = {exp_1000, sizeof(exp_1000)};
    f->tp.now = 999;
    assert_int_equal(run_timed(f, exp, NO_CLAIM), TK_OK);
    f->tp.now = 1000;
    assert_int_equal(run_timed(f, exp, NO_CLAIM),
                     TK_ERR_SUIT_DELEGATION_EXPIRED);
    assert_int_equal(tk_suit_processor_error(&f->proc)->code,
                     TK_ERR_SUIT_DELEGATION_EXPIRED);
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_DELEGATION_EXPIRED),
                     TK_SUIT_REASON_UNAUTHORISED);
    f->tp.now = 5000;
    assert_int_equal(run_timed(f, exp, NO_CLAIM),
                     TK_ERR_SUIT_DELEGATION_EXPIRED);
}

/* RFC 8392 section 3.1.5: a CWT must not be accepted before nbf. */
static void not_yet_valid_delegation(void **state)
{
    fixture *f = *state;
    claim exp = {exp_1000, sizeof(exp_1000)};
    claim nbf = {nbf_500, sizeof(nbf_500)};
    f->tp.now = 499;
    assert_int_equal(run_timed(f, NO_CLAIM, nbf),
                     TK_ERR_SUIT_DELEGATION_NOT_YET_VALID);
    assert_int_equal(run_timed(f, exp, nbf),
                     TK_ERR_SUIT_DELEGATION_NOT_YET_VALID);
    f->tp.now = 500;
    assert_int_equal(run_timed(f, NO_CLAIM, nbf), TK_OK);
    assert_int_equal(run_timed(f, exp, nbf), TK_OK);
}

/* A NumericDate may be a float; fractions count up to the next second. */
static void float_validity_claims(void **state)
{
    fixture *f = *state;
    claim exp = {exp_999_5, sizeof(exp_999_5)};
    claim nbf = {nbf_499_5, sizeof(nbf_499_5)};
    f->tp.now = 499;
    assert_int_equal(run_timed(f, exp, nbf),
                     TK_ERR_SUIT_DELEGATION_NOT_YET_VALID);
    f->tp.now = 500;
    assert_int_equal(run_timed(f, exp, nbf), TK_OK);
    f->tp.now = 999;
    assert_int_equal(run_timed(f, exp, nbf), TK_OK);
    f->tp.now = 1000;
    assert_int_equal(run_timed(f, exp, nbf),
                     TK_ERR_SUIT_DELEGATION_EXPIRED);
}

/* A malformed date, a second link that expired, and a platform without a
 * clock all reject the chain; without time claims no clock is needed. */
static void validity_edge_cases(void **state)
{
    fixture *f = *state;
    static const uint8_t text_date[] = {0x61, '1'};
    static const uint8_t nan_date[] = {0xf9, 0x7e, 0x00};
    static const uint8_t negative_exp[] = {0x20};
    claim exp = {exp_1000, sizeof(exp_1000)};
    char first[1100];
    char second[1100];
    char chain[2400];
    f->tp.now = 700;
    assert_int_equal(run_timed(f, (claim){text_date, sizeof(text_date)},
                               NO_CLAIM),
                     TK_ERR_SUIT_DELEGATION);
    assert_int_equal(run_timed(f, (claim){nan_date, sizeof(nan_date)},
                               NO_CLAIM),
                     TK_ERR_SUIT_DELEGATION);
    assert_int_equal(run_timed(f, (claim){negative_exp,
                                          sizeof(negative_exp)},
                               NO_CLAIM),
                     TK_ERR_SUIT_DELEGATION_EXPIRED);
    /* Every link is checked: here the second one has expired. */
    cwt_hex(tu_example_private(), &f->middle, first);
    cwt_hex_timed(&f->middle, &f->leaf,
                  (claim){negative_exp, sizeof(negative_exp)}, NO_CLAIM,
                  second);
    snprintf(chain, sizeof(chain), "[[h'%s', h'%s']]", first, second);
    assert_int_equal(run(f, chain, &f->leaf),
                     TK_ERR_SUIT_DELEGATION_EXPIRED);
    /* No clock: a CWT with exp cannot be checked, one without can. */
    f->tp.pf.now = NULL;
    assert_int_equal(run_timed(f, exp, NO_CLAIM),
                     TK_ERR_SUIT_DELEGATION_NO_CLOCK);
    assert_int_equal(run_timed(f, NO_CLAIM, NO_CLAIM), TK_OK);
}

/* The public verifier without a clock rejects a CWT with time claims; the
 * one with a clock checks them. */
static tk_err clock_at_700(void *ctx, uint64_t *seconds)
{
    (void)ctx;
    *seconds = 700;
    return TK_OK;
}

static tk_err broken_clock(void *ctx, uint64_t *seconds)
{
    (void)ctx;
    (void)seconds;
    return TK_ERR_CALLBACK;
}

/* Fills the stack below the caller with a pattern, so that a local
 * that the library reads before it writes it contains that pattern
 * rather than zeros. */
__attribute__((noinline)) static void paint_stack(void)
{
    volatile uint8_t area[32768];
    for (size_t i = 0; i < sizeof(area); i++)
        area[i] = 0xa5;
}

/* Builds a manifest under a one-link chain whose CWT expires at 1000,
 * and decodes it into *env. */
static void decode_expiring(fixture *f, tk_suit_envelope *env)
{
    claim exp = {exp_1000, sizeof(exp_1000)};
    tk_suit_error err;
    f->tp.now = 700;
    assert_int_equal(run_timed(f, exp, NO_CLAIM), TK_OK);
    tk_view in = {f->env, f->env_len};
    assert_int_equal(tk_suit_envelope_decode(in, env, &err), TK_OK);
}

/*
 * A chain that fails before its first key is imported (here a CWT with an
 * exp claim and no clock) releases the keys of the verifier's work area.
 * The stack is filled with a pattern first, so releasing a key that was
 * never initialized would call a garbage pointer and crash.
 */
static void failed_chain_on_dirty_stack(void **state)
{
    fixture *f = *state;
    tk_suit_envelope env;
    tk_suit_error err;
    tk_view none = {NULL, 0};
    decode_expiring(f, &env);
    for (int i = 0; i < 3; i++) {
        paint_stack();
        assert_int_equal(tk_suit_envelope_verify(&env, tu_crypto(),
                                                 f->tp.pf.find_key, &f->tp,
                                                 0, none, &err),
                         TK_ERR_SUIT_DELEGATION_NO_CLOCK);
    }
}

static void verify_with_clock(void **state)
{
    fixture *f = *state;
    tk_suit_envelope env;
    tk_suit_error err;
    tk_view none = {NULL, 0};
    decode_expiring(f, &env);
    assert_int_equal(tk_suit_envelope_verify(&env, tu_crypto(),
                                             f->tp.pf.find_key, &f->tp, 0,
                                             none, &err),
                     TK_ERR_SUIT_DELEGATION_NO_CLOCK);
    assert_false(env.verified);
    assert_int_equal(tk_suit_envelope_verify_clock(&env, tu_crypto(),
                                                   f->tp.pf.find_key, &f->tp,
                                                   0, none, clock_at_700,
                                                   NULL, &err),
                     TK_OK);
    assert_true(env.verified);
    assert_int_equal(tk_suit_envelope_verify_clock(&env, tu_crypto(),
                                                   f->tp.pf.find_key, &f->tp,
                                                   0, none, broken_clock,
                                                   NULL, &err),
                     TK_ERR_CALLBACK);
    assert_false(env.verified);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_link, setup, teardown),
        cmocka_unit_test_setup_teardown(two_links, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_links, setup, teardown),
        cmocka_unit_test_setup_teardown(trusted_key_of_same_alg, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(expired_delegation, setup, teardown),
        cmocka_unit_test_setup_teardown(not_yet_valid_delegation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(float_validity_claims, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(validity_edge_cases, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(verify_with_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_chain_on_dirty_stack, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
