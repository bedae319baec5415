/*
 * Tests of the EAT claims codec: the TEEP profile example, the benchmark
 * claims set and the RFC 9711 examples decode to their published values;
 * the encoder round-trips; profile violations and malformed claims give
 * specific errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/eat.h"
#include "tk_edn.h"
#include "tk_test.h"

static const uint8_t teep_kid[32] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};
static const uint8_t teep_nonce[9] = {0x94, 0x8f, 0x88, 0x60, 0xd1,
                                      0x3a, 0x46, 0x3e, 0x8e};
static const uint8_t example_ueid[16] = {
    0x01, 0x98, 0xf5, 0x0a, 0x4f, 0xf6, 0xc0, 0x58,
    0x61, 0xc8, 0x86, 0x0d, 0x13, 0xa6, 0x38, 0xea,
};
static const uint8_t teep_oemid[3] = {0x89, 0x48, 0x23};
static const uint8_t teep_hwmodel[16] = {
    0x54, 0x9d, 0xce, 0xcc, 0x8b, 0x98, 0x7c, 0x73,
    0x7b, 0x44, 0xe4, 0x0f, 0x7c, 0x63, 0x5c, 0xe8,
};

static void assert_view(tk_view v, const void *bytes, size_t len)
{
    assert_int_equal(v.len, len);
    assert_memory_equal(v.ptr, bytes, len);
}

/* Checks the claims of the TEEP profile example, wherever manifests was
 * read from. */
static void assert_teep_example(const tk_eat_claims *c)
{
    assert_int_equal(c->cnf_kind, TK_EAT_CNF_KID);
    assert_view(c->cnf, teep_kid, sizeof(teep_kid));
    assert_int_equal(c->nonce_count, 1);
    assert_view(c->nonce[0], teep_nonce, sizeof(teep_nonce));
    assert_view(c->ueid, example_ueid, sizeof(example_ueid));
    assert_false(c->oemid_is_pen);
    assert_view(c->oemid, teep_oemid, sizeof(teep_oemid));
    assert_view(c->hwmodel, teep_hwmodel, sizeof(teep_hwmodel));
    assert_view(c->hwversion.version, "1.3.4", 5);
    assert_true(c->hwversion.has_scheme);
    assert_int_equal(c->hwversion.scheme, 1);
}

/* Checks the single manifests entry [60, {1: uri, 0: digest}]. */
static void assert_teep_manifest(const tk_eat_format_entry *e)
{
    static const char uri[] = "https://example.com/manifest.cbor";
    assert_int_equal(e->content_type, 60);
    assert_false(e->wrapped);
    /* A2 01 78 21 <uri> 00 82 2F 58 20 <digest> */
    assert_int_equal(e->content.len, 4 + 33 + 1 + 4 + 32);
    assert_int_equal(e->content.ptr[0], 0xA2);
    assert_memory_equal(e->content.ptr + 4, uri, sizeof(uri) - 1);
    assert_int_equal(e->content.ptr[e->content.len - 1], 0x09);
}

static void teep_example_manifests_at_273(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = tk_edn_read_vector("eat/teep_profile_claims.diag", &len);
    tk_eat_claims c;
    assert_int_equal(
        tk_eat_decode_claims(
            buf, len, TK_EAT_PROFILE_TEEP | TK_EAT_MANIFESTS_AT_273, &c, NULL),
        TK_OK);
    assert_int_equal(c.present & TK_EAT_TEEP_REQUIRED, TK_EAT_TEEP_REQUIRED);
    assert_teep_example(&c);
    assert_int_equal(c.manifest_count, 1);
    assert_teep_manifest(&c.manifests[0]);
    assert_false(c.present & TK_EAT_HAS_MEASUREMENTS);
    free(buf);
}

/* Without the flag, 273 is measurements (RFC 9711), so the profile's
 * required manifests claim is missing. */
static void teep_example_follows_rfc9711(void **state)
{
    (void)state;
    size_t len, offset = 99;
    uint8_t *buf = tk_edn_read_vector("eat/teep_profile_claims.diag", &len);
    tk_eat_claims c;
    assert_int_equal(
        tk_eat_decode_claims(buf, len, TK_EAT_PROFILE_TEEP, &c, &offset),
        TK_ERR_EAT_MISSING_CLAIM);
    assert_int_equal(tk_eat_decode_claims(buf, len, 0, &c, NULL), TK_OK);
    assert_false(c.present & TK_EAT_HAS_MANIFESTS);
    assert_int_equal(c.measurement_count, 1);
    assert_teep_manifest(&c.measurements[0]);
    free(buf);
}

/* The protocol's copy of the example (Appendix D.2) is the same claims
 * set byte for byte. */
static void protocol_copy_matches(void **state)
{
    (void)state;
    size_t len1, len2;
    uint8_t *a = tk_edn_read_vector("eat/teep_profile_claims.diag", &len1);
    uint8_t *b = tk_edn_read_vector("teep/eat_diagnostic.txt", &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(a, b, len1);
    free(a);
    free(b);
}

static void bench_claims_decode(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = tk_test_read_hex(
        tk_test_vector("eat/bench_teep_claims_299B.hex"), &len);
    assert_int_equal(len, 299);
    tk_eat_claims c;
    assert_int_equal(
        tk_eat_decode_claims(buf, len, TK_EAT_PROFILE_TEEP, &c, NULL), TK_OK);
    assert_teep_example(&c);
    assert_view(c.iss, "Intel SGX TEEP Agent", 20);
    assert_false(c.profile_is_oid);
    assert_view(c.profile, "urn:ietf:rfc:rfcXXXX", 20);
    assert_int_equal(c.manifest_count, 1);
    assert_teep_manifest(&c.manifests[0]);
    assert_int_equal(c.submod_count, 1);
    assert_true(c.present & TK_EAT_HAS_SUBMODS);
    /* The private claim -70000 at the top level. */
    assert_int_equal(c.unknown_count, 1);
    free(buf);
}

/* Decodes an RFC 9711 example payload without profile rules. */
static tk_err decode_example(const char *name, tk_eat_claims *c)
{
    char path[160];
    size_t len;
    snprintf(path, sizeof(path), "eat/rfc9711-examples/payloads/%s", name);
    uint8_t *buf = tk_edn_read_vector(path, &len);
    static uint8_t keep[1024];
    assert_true(len <= sizeof(keep));
    memcpy(keep, buf, len);
    free(buf);
    return tk_eat_decode_claims(keep, len, 0, c, NULL);
}

static void rfc9711_examples_decode(void **state)
{
    (void)state;
    tk_eat_claims c;
    assert_int_equal(decode_example("minimal.diag", &c), TK_OK);
    assert_true(c.oemboot);

    assert_int_equal(decode_example("simple.diag", &c), TK_OK);
    assert_view(c.iss, "joe", 3);
    assert_int_equal(c.dbgstat, TK_EAT_DBG_DISABLED_PERMANENTLY);
    assert_int_equal(c.iat, 1526542894);

    assert_int_equal(decode_example("valid_hw_block.diag", &c), TK_OK);
    assert_true(c.oemid_is_pen);
    assert_int_equal(c.oemid_pen, 64242);
    assert_view(c.hwversion.version, "3.1", 3);

    assert_int_equal(decode_example("valid_hw_block2.diag", &c), TK_OK);
    assert_int_equal(c.submod_count, 1);

    assert_int_equal(decode_example("valid_iot.diag", &c), TK_OK);
    assert_int_equal(c.submod_count, 1);

    assert_int_equal(decode_example("valid_key_store.diag", &c), TK_OK);
    assert_int_equal(c.manifest_count, 1);
    assert_int_equal(c.manifests[0].content_type, 258);
    assert_true(c.manifests[0].wrapped);
    assert_int_equal(c.exp, 1634324274);
    assert_int_equal(c.iat, 1634317080);
    assert_int_equal(c.unknown_count, 2);

    assert_int_equal(decode_example("valid_submods.diag", &c), TK_OK);
    assert_view(c.swname, "Acme OS", 7);
    assert_view(c.swversion.version, "3.5.5", 5);
    assert_int_equal(c.submod_count, 2);

    assert_int_equal(decode_example("valid_tee.diag", &c), TK_OK);
    assert_int_equal(c.manifest_count, 1);
    assert_true(c.manifests[0].wrapped);
    assert_int_equal(c.dbgstat, TK_EAT_DBG_DISABLED_SINCE_BOOT);

    /* This example gives a submodule "swname" under 271, which RFC 9711
     * assigns to swversion (an array), so the claim is rejected. */
    assert_int_equal(decode_example("submods.diag", &c), TK_ERR_EAT_BAD_CLAIM);
}

static void rfc9711_cwt_token(void **state)
{
    (void)state;
    static const uint8_t nonce[12] = {0xd7, 0x9b, 0x96, 0x4d, 0xdd, 0x54,
                                      0x71, 0xc1, 0x39, 0x3c, 0x88, 0x88};
    size_t len;
    uint8_t *token = tk_test_read_hex(
        tk_test_vector("eat/rfc9711-examples/tokens/valid_cwt.hex"), &len);
    size_t diag_len;
    uint8_t *diag = tk_edn_read_vector(
        "eat/rfc9711-examples/tokens/valid_cwt.diag", &diag_len);
    assert_int_equal(len, diag_len);
    assert_memory_equal(token, diag, len);

    tk_eat_result res;
    memset(&res, 0, sizeof(res));
    tk_view payload;
    /* The payload of the COSE_Sign1 inside CWT tag 61. */
    assert_int_equal(tk_eat_token_payload(token, len, &payload), TK_OK);
    tk_eat_claims c;
    assert_int_equal(
        tk_eat_decode_claims(payload.ptr, payload.len, 0, &c, NULL), TK_OK);
    assert_view(c.nonce[0], nonce, sizeof(nonce));
    assert_view(c.ueid, example_ueid, sizeof(example_ueid));
    assert_int_equal(c.oemid_pen, 64242);
    assert_true(c.oemboot);
    assert_int_equal(c.dbgstat, 3);
    free(token);
    free(diag);
}

/* Fills c with the claims the TEEP profile requires. */
static void make_teep_claims(tk_eat_claims *c)
{
    memset(c, 0, sizeof(*c));
    c->present = TK_EAT_TEEP_REQUIRED | TK_EAT_HAS_NONCE | TK_EAT_HAS_IAT;
    c->cnf_kind = TK_EAT_CNF_KID;
    c->cnf = (tk_view){teep_kid, sizeof(teep_kid)};
    c->nonce_count = 1;
    c->nonce[0] = (tk_view){teep_nonce, sizeof(teep_nonce)};
    c->ueid = (tk_view){example_ueid, sizeof(example_ueid)};
    c->oemid = (tk_view){teep_oemid, sizeof(teep_oemid)};
    c->hwmodel = (tk_view){teep_hwmodel, sizeof(teep_hwmodel)};
    c->hwversion.version = (tk_view){(const uint8_t *)"1.3.4", 5};
    c->hwversion.has_scheme = true;
    c->hwversion.scheme = 1;
    c->iat = 1700000000;
    c->manifest_count = 1;
    c->manifests[0].content_type = 60;
    c->manifests[0].wrapped = true;
    c->manifests[0].content = (tk_view){(const uint8_t *)"\xa0", 1};
}

static void encoder_round_trip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = tk_edn_read_vector("eat/teep_profile_claims.diag", &len);
    tk_eat_claims c, back;
    assert_int_equal(
        tk_eat_decode_claims(
            buf, len, TK_EAT_PROFILE_TEEP | TK_EAT_MANIFESTS_AT_273, &c, NULL),
        TK_OK);
    uint8_t out[512];
    size_t out_len = 0;
    assert_int_equal(tk_eat_encode_claims(&c, out, sizeof(out), &out_len),
                     TK_OK);
    /* The same bytes, except that manifests moves from 273 to 272. */
    assert_int_equal(out_len, len);
    assert_int_equal(buf[len - 81], 0x19);
    assert_int_equal(buf[len - 80], 0x01);
    assert_int_equal(buf[len - 79], 0x11);
    buf[len - 79] = 0x10;
    assert_memory_equal(out, buf, len);
    assert_int_equal(
        tk_eat_decode_claims(out, out_len, TK_EAT_PROFILE_TEEP, &back, NULL),
        TK_OK);
    assert_teep_example(&back);
    assert_teep_manifest(&back.manifests[0]);

    make_teep_claims(&c);
    assert_int_equal(tk_eat_encode_claims(&c, out, sizeof(out), &out_len),
                     TK_OK);
    assert_int_equal(
        tk_eat_decode_claims(out, out_len, TK_EAT_PROFILE_TEEP, &back, NULL),
        TK_OK);
    assert_int_equal(back.present, c.present);
    assert_int_equal(back.iat, 1700000000);
    assert_true(back.manifests[0].wrapped);
    assert_int_equal(tk_eat_encode_claims(&c, out, 10, &out_len),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_true(out_len > 10);
    free(buf);
}

static void encoder_rejects_bad_sizes(void **state)
{
    (void)state;
    tk_eat_claims c;
    uint8_t out[512];
    size_t len;
    make_teep_claims(&c);
    c.nonce[0].len = 7;
    assert_int_equal(tk_eat_encode_claims(&c, out, sizeof(out), &len),
                     TK_ERR_EAT_BAD_CLAIM);
    make_teep_claims(&c);
    c.ueid.len = 6;
    assert_int_equal(tk_eat_encode_claims(&c, out, sizeof(out), &len),
                     TK_ERR_EAT_BAD_CLAIM);
    make_teep_claims(&c);
    c.oemid.len = 4;
    assert_int_equal(tk_eat_encode_claims(&c, out, sizeof(out), &len),
                     TK_ERR_EAT_BAD_CLAIM);
}

/* Decodes hex text with flags. */
static tk_err decode_hex(const char *hex, uint32_t flags)
{
    static uint8_t buf[512];
    tk_eat_claims c;
    size_t len = tk_test_hex_decode(hex, buf, sizeof(buf));
    return tk_eat_decode_claims(buf, len, flags, &c, NULL);
}

#define NONCE8 "480102030405060708"

static void duplicate_claims_rejected(void **state)
{
    (void)state;
    /* {10: nonce, 10: nonce} */
    assert_int_equal(decode_hex("A20A" NONCE8 "0A" NONCE8, 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
    /* {10: nonce, 10 (as 18 0A): nonce}: the same key in two encodings. */
    assert_int_equal(decode_hex("A20A" NONCE8 "180A" NONCE8, 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
    /* With the TEEP profile the second encoding is not preferred. */
    assert_int_equal(
        decode_hex("A20A" NONCE8 "180A" NONCE8, TK_EAT_PROFILE_TEEP),
        TK_ERR_EAT_NOT_PREFERRED);
    /* A duplicate unknown key, and one inside the cnf map. */
    assert_int_equal(decode_hex("A2190FA001190FA002", 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
    assert_int_equal(decode_hex("A108A2034101034102", 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
    /* Inside the value of an unknown claim, of a manifests entry, in the
     * names of submods and in location. */
    assert_int_equal(decode_hex("A1190FA0A201010102", 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
    assert_int_equal(decode_hex("A119011081821818A201010102", 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
    assert_int_equal(decode_hex("A119010AA26161A0 6161A0", 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
    assert_int_equal(decode_hex("A1190108A3010002000100", 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
    /* Text keys too. */
    assert_int_equal(decode_hex("A261780161780 2", 0),
                     TK_ERR_EAT_DUPLICATE_CLAIM);
}

static void teep_encoding_rules(void **state)
{
    (void)state;
    /* An indefinite-length map. */
    assert_int_equal(decode_hex("BF0A" NONCE8 "FF", TK_EAT_PROFILE_TEEP),
                     TK_ERR_EAT_INDEFINITE_LENGTH);
    /* A tag inside the claims. */
    assert_int_equal(decode_hex("A106C11A5AFD322E", TK_EAT_PROFILE_TEEP),
                     TK_ERR_EAT_TAG_IN_CLAIMS);
    /* The same claims outside the profile: the tagged iat has the wrong
     * type, the indefinite map is accepted. */
    assert_int_equal(decode_hex("A106C11A5AFD322E", 0), TK_ERR_EAT_BAD_CLAIM);
    assert_int_equal(decode_hex("BF0A" NONCE8 "FF", 0), TK_OK);
    /* An eat_nonce array is not a single byte string. */
    assert_int_equal(decode_hex("A10A82" NONCE8 NONCE8, TK_EAT_PROFILE_TEEP),
                     TK_ERR_EAT_BAD_CLAIM);
    assert_int_equal(decode_hex("A10A82" NONCE8 NONCE8, 0), TK_OK);
}

static void missing_required_claim(void **state)
{
    (void)state;
    tk_eat_claims c, d;
    uint8_t out[512];
    size_t len;
    static const uint32_t required[] = {
        TK_EAT_HAS_UEID,      TK_EAT_HAS_OEMID,     TK_EAT_HAS_HWMODEL,
        TK_EAT_HAS_HWVERSION, TK_EAT_HAS_MANIFESTS, TK_EAT_HAS_CNF,
    };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        make_teep_claims(&c);
        c.present &= ~required[i];
        assert_int_equal(tk_eat_encode_claims(&c, out, sizeof(out), &len),
                         TK_OK);
        assert_int_equal(
            tk_eat_decode_claims(out, len, TK_EAT_PROFILE_TEEP, &d, NULL),
            TK_ERR_EAT_MISSING_CLAIM);
        assert_int_equal(tk_eat_decode_claims(out, len, 0, &d, NULL), TK_OK);
    }
}

static void bad_claim_values(void **state)
{
    (void)state;
    const char *cases[] = {
        "A10A4701020304050607",    /* nonce of 7 bytes */
        "A1190100460102030405 06", /* ueid of 6 bytes */
        "A11901024401020304",      /* oemid of 4 bytes */
        "A119010705",              /* dbgstat 5 */
        "A119011306",              /* intuse 6 */
        "A1190104633131 31",       /* hwversion not an array */
        "A119010601",              /* oemboot not a boolean */
        "A108A203410101A0",        /* cnf with two methods */
        "A108A0",                  /* cnf with none */
        "A119011080",              /* manifests empty */
        "A1190110818118 3C",       /* manifests entry without content */
        "A1190103 40",             /* hwmodel empty */
        "A106 6161",               /* iat as text */
        "A119010A A0",             /* submods empty */
        "A119010AA1016161",        /* submod name not text */
        "A1190108A10100",          /* location without longitude */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_err err = decode_hex(cases[i], 0);
        if (err != TK_ERR_EAT_BAD_CLAIM)
            fail_msg("case %zu (%s): %s", i, cases[i], tk_errname(err));
    }
}

static void malformed_claims(void **state)
{
    (void)state;
    assert_int_equal(decode_hex("80", 0), TK_ERR_EAT_MALFORMED);
    assert_int_equal(decode_hex("A10A", 0), TK_ERR_EAT_MALFORMED);
    assert_int_equal(decode_hex("A0FF", 0), TK_ERR_EAT_MALFORMED);
    assert_int_equal(decode_hex("", 0), TK_ERR_EAT_MALFORMED);
    /* A float key. */
    assert_int_equal(decode_hex("A1F93C0001", 0), TK_ERR_EAT_MALFORMED);
}

static void submodule_nesting_limited(void **state)
{
    (void)state;
    /* {266: {"a": {266: {"a": ... {}}}}} nested one level deeper than
     * TK_EAT_MAX_SUBMOD_DEPTH allows. */
    char hex[512] = "";
    for (int i = 0; i <= TK_EAT_MAX_SUBMOD_DEPTH; i++)
        strcat(hex, "A119010AA16161");
    strcat(hex, "A0");
    assert_int_equal(decode_hex(hex, 0), TK_ERR_EAT_TOO_DEEP);
}

static void truncation_fails_cleanly(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = tk_test_read_hex(
        tk_test_vector("eat/bench_teep_claims_299B.hex"), &len);
    for (size_t n = 0; n < len; n++) {
        tk_eat_claims c;
        uint8_t *copy = malloc(n + 1);
        memcpy(copy, buf, n);
        tk_err err =
            tk_eat_decode_claims(copy, n, TK_EAT_PROFILE_TEEP, &c, NULL);
        if (err == TK_OK)
            fail_msg("claims truncated to %zu bytes decoded", n);
        assert_int_equal(c.present, 0);
        free(copy);
    }
    free(buf);
}

static uint32_t next_random(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* Mutates the benchmark claims set 20000 times and decodes each result
 * with and without the profile: nothing may crash (ASan), and whatever
 * decodes must encode again. */
static void mutations_never_crash(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = tk_test_read_hex(
        tk_test_vector("eat/bench_teep_claims_299B.hex"), &len);
    uint32_t seed = 7;
    for (int round = 0; round < 20000; round++) {
        uint8_t *copy = malloc(len + 1);
        size_t n = len;
        memcpy(copy, buf, n);
        size_t at = next_random(&seed) % n;
        if (round % 2 == 0) {
            copy[at] = (uint8_t)next_random(&seed);
        } else {
            memmove(copy + at, copy + at + 1, n - at - 1);
            n--;
        }
        tk_eat_claims c;
        uint32_t flags = round % 4 < 2 ? TK_EAT_PROFILE_TEEP : 0;
        if (tk_eat_decode_claims(copy, n, flags, &c, NULL) == TK_OK) {
            uint8_t out[1024];
            size_t out_len = 0;
            tk_err err = tk_eat_encode_claims(&c, out, sizeof(out), &out_len);
            assert_true(err == TK_OK || err == TK_ERR_EAT_BAD_CLAIM);
        }
        free(copy);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(teep_example_manifests_at_273),
        cmocka_unit_test(teep_example_follows_rfc9711),
        cmocka_unit_test(protocol_copy_matches),
        cmocka_unit_test(bench_claims_decode),
        cmocka_unit_test(rfc9711_examples_decode),
        cmocka_unit_test(rfc9711_cwt_token),
        cmocka_unit_test(encoder_round_trip),
        cmocka_unit_test(encoder_rejects_bad_sizes),
        cmocka_unit_test(duplicate_claims_rejected),
        cmocka_unit_test(teep_encoding_rules),
        cmocka_unit_test(missing_required_claim),
        cmocka_unit_test(bad_claim_values),
        cmocka_unit_test(malformed_claims),
        cmocka_unit_test(submodule_nesting_limited),
        cmocka_unit_test(truncation_fails_cleanly),
        cmocka_unit_test(mutations_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
