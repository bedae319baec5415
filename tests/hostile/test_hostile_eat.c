/*
 * Hostile EAT claims: the claims of the simulated device (the TEEP
 * profile's required claims, a nonce and iat) are mutated item by item
 * and decoded with and without the TEEP profile, then signed with the
 * attestation key and appraised, which must fail with the same error and
 * a contraindicated result. Also the claim limits plus one, the profile's
 * encoding rules, and the appraisal's checks one at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "hs.h"
#include "hs_mutate.h"
#include "ht.h"

#define NOW 1767225600

static const uint8_t g_nonce[32] = {0x4e, 0x4f, 0x4e, 0x43, 0x45, 1, 2, 3};

/* Encodes the valid claims into out; returns the length. */
static size_t valid_claims(uint8_t *out, size_t cap)
{
    tk_eat_claims c;
    hs_eat_claims(&c, hs_view(g_nonce, sizeof g_nonce), NOW);
    size_t len = 0;
    assert_int_equal(tk_eat_encode_claims(&c, out, cap, &len), TK_OK);
    return len;
}

/* Signs claims as evidence and appraises it with the fixed reference. */
static tk_err appraise(const uint8_t *claims, size_t len, tk_eat_result *res)
{
    static uint8_t token[8192];
    size_t tlen = 0;
    const hs_keys *k = hs_keys_get();
    assert_int_equal(hs_sign1(&k->attester, TK_ALG_ESP256,
                              hs_str(HS_ATTESTER_KID), hs_view(claims, len),
                              token, sizeof token, &tlen),
                     TK_OK);
    tk_eat_appraisal a;
    memset(&a, 0, sizeof a);
    a.crypto = hs_crypto();
    a.ref = hs_eat_reference();
    a.flags = TK_EAT_PROFILE_TEEP;
    a.nonce = hs_view(g_nonce, sizeof g_nonce);
    a.now = NOW;
    a.skew = 60;
    a.cnf_kid = hs_view(k->agent_kid, sizeof k->agent_kid);
    return tk_eat_appraise(&a, token, tlen, res);
}

/* The claims a mutation of the claims map's keys can remove. */
static bool required_key(int64_t key)
{
    return key == TK_EAT_KEY_UEID || key == TK_EAT_KEY_OEMID ||
           key == TK_EAT_KEY_HWMODEL || key == TK_EAT_KEY_HWVERSION ||
           key == TK_EAT_KEY_MANIFESTS || key == TK_EAT_KEY_CNF;
}

/* The key of the claims-map entry that contains node i (its key or value),
 * or INT64_MIN for the map itself. */
static int64_t claim_of(const hs_tree *t, int i)
{
    for (int c = i; c != HS_NO_NODE; c = t->nodes[c].parent) {
        if (t->nodes[c].parent != 0)
            continue;
        if (!t->nodes[c].is_key)
            return t->nodes[c].key;
        return (int64_t)t->nodes[c].arg; /* every key here is a uint */
    }
    return INT64_MIN;
}

typedef struct expectation {
    tk_err plain;     /* decoded without a profile */
    tk_err teep;      /* decoded with TK_EAT_PROFILE_TEEP */
    tk_err appraisal; /* signed and appraised */
} expectation;

static expectation expect_mutation(const hs_tree *t, const hs_mutation *m)
{
    int i = m->node;
    const hs_node *n = &t->nodes[i];
    int64_t claim = claim_of(t, i);
    tk_err e;
    switch (m->change) {
    case HS_ARGUMENT:
        e = TK_ERR_EAT_MALFORMED; /* declares more than the input has */
        break;
    case HS_DUPLICATE:
        e = TK_ERR_EAT_DUPLICATE_CLAIM;
        break;
    case HS_APPEND:
        /* An unknown claim 99 or cnf member 99, or a second manifest, are
         * allowed; a third hwversion member or manifest entry member is
         * not. */
        e = i == 0 || n->major == 5 ||
                    (claim == TK_EAT_KEY_MANIFESTS && n->parent == 0)
                ? TK_OK
                : TK_ERR_EAT_BAD_CLAIM;
        break;
    default:
        if (i == 0) {
            e = TK_ERR_EAT_MALFORMED;
        } else if (n->is_key && n->parent == 0) {
            /* The claim moves under the unknown text key "x". */
            if (required_key(claim))
                return (expectation){TK_OK, TK_ERR_EAT_MISSING_CLAIM,
                                     TK_ERR_EAT_MISSING_CLAIM};
            if (claim == TK_EAT_KEY_NONCE)
                return (expectation){TK_OK, TK_OK, TK_ERR_EAT_NONCE_MISSING};
            e = TK_OK;
        } else if (claim == TK_EAT_KEY_OEMID && m->change == HS_REPLACE) {
            e = TK_OK; /* an integer oemid is an IANA PEN */
        } else if (claim == TK_EAT_KEY_MANIFESTS && n->depth == 3 &&
                   n->index == 1) {
            e = TK_OK; /* the content format of an entry is any item */
        } else {
            e = TK_ERR_EAT_BAD_CLAIM;
        }
        break;
    }
    return (expectation){e, e, e};
}

static void claims_mutations(void **state)
{
    (void)state;
    ht_table table = {"eat claims mutations", 0, 0};
    uint8_t claims[1024];
    size_t len = valid_claims(claims, sizeof claims);
    static tk_eat_claims c;
    static tk_eat_result res;
    char what[256];
    assert_int_equal(
        tk_eat_decode_claims(claims, len, TK_EAT_PROFILE_TEEP, &c, NULL),
        TK_OK);
    assert_int_equal(appraise(claims, len, &res), TK_OK);
    assert_int_equal(res.status, TK_EAT_STATUS_AFFIRMING);

    for (size_t cut = 0; cut < len; cut++) {
        snprintf(what, sizeof what, "claims truncated to %zu", cut);
        uint8_t *p = malloc(cut == 0 ? 1 : cut);
        memcpy(p, claims, cut);
        ht_expect(&table, tk_eat_decode_claims(p, cut, 0, &c, NULL),
                  TK_ERR_EAT_MALFORMED, what);
        ht_expect(&table, appraise(p, cut, &res), TK_ERR_EAT_MALFORMED, what);
        ht_true(&table, res.status == TK_EAT_STATUS_CONTRAINDICATED, what);
        free(p);
    }

    static hs_tree tree;
    assert_true(hs_parse(&tree, claims, len));
    for (size_t i = 0; i < tree.count; i++) {
        const hs_node *node = &tree.nodes[i];
        hs_mutation muts[5];
        size_t nm = 0;
        uint8_t repl[16];
        size_t rl = hs_wrong_type_item(node->major, repl);
        hs_mutation_set(&muts[nm++], &tree, (int)i, HS_REPLACE, 0, repl, rl);
        if (node->major >= 2 && node->major <= 5)
            hs_mutation_set(&muts[nm++], &tree, (int)i, HS_ARGUMENT,
                            UINT64_MAX >> 1, NULL, 0);
        if (node->major == 5 && node->arg > 0)
            hs_mutation_set(&muts[nm++], &tree, (int)i, HS_DUPLICATE, 0, NULL,
                            0);
        if ((node->major == 5 || node->major == 4) && node->arg > 0)
            hs_mutation_set(&muts[nm++], &tree, (int)i, HS_APPEND, 99, NULL, 0);
        if (!node->is_key)
            hs_mutation_set(&muts[nm++], &tree, (int)i, HS_NEST, 1, NULL, 0);
        for (size_t m = 0; m < nm; m++) {
            uint8_t *p;
            size_t plen;
            hs_serialize(&tree, &muts[m], &p, &plen);
            expectation want = expect_mutation(&tree, &muts[m]);
            snprintf(what, sizeof what, "%s", muts[m].what);
            ht_expect(&table, tk_eat_decode_claims(p, plen, 0, &c, NULL),
                      want.plain, what);
            ht_expect(
                &table,
                tk_eat_decode_claims(p, plen, TK_EAT_PROFILE_TEEP, &c, NULL),
                want.teep, what);
            ht_expect(&table, appraise(p, plen, &res), want.appraisal, what);
            ht_true(&table,
                    res.status == (want.appraisal == TK_OK
                                       ? TK_EAT_STATUS_AFFIRMING
                                       : TK_EAT_STATUS_CONTRAINDICATED),
                    what);
            free(p);
        }
    }
    ht_done(&table);
}

/* ---- Limits, sizes and the TEEP profile's encoding rules -------------- */

/* Encodes the valid claims plus extra entries (key and encoded value
 * pairs, already encoded) into out. */
static size_t claims_plus(const uint8_t *extra, size_t extra_len,
                          size_t extra_pairs, uint8_t *out, size_t cap)
{
    uint8_t base[1024];
    size_t len = valid_claims(base, sizeof base);
    /* The valid claims are a map of fewer than 24 entries: one head byte. */
    assert_true((base[0] >> 5) == 5 && (base[0] & 31) < 24);
    size_t pairs = (size_t)(base[0] & 31) + extra_pairs;
    size_t at = hs_cbor_head(5, pairs, out);
    assert_true(at + len - 1 + extra_len <= cap);
    memcpy(out + at, base + 1, len - 1);
    at += len - 1;
    memcpy(out + at, extra, extra_len);
    return at + extra_len;
}

/* Replaces claim key (whose value is encoded in value) in the valid
 * claims and decodes them with flags. */
static tk_err decode_with_claim(int64_t key, const uint8_t *value,
                                size_t value_len, uint32_t flags)
{
    uint8_t base[1024], out[4096];
    size_t len = valid_claims(base, sizeof base);
    static hs_tree tree;
    assert_true(hs_parse(&tree, base, len));
    int node = hs_node_map_get(&tree, 0, key);
    size_t n;
    if (node == HS_NO_NODE) {
        uint8_t extra[2048];
        size_t at = 0;
        at += key >= 0 ? hs_cbor_head(0, (uint64_t)key, extra)
                       : hs_cbor_head(1, (uint64_t)(-1 - key), extra);
        memcpy(extra + at, value, value_len);
        at += value_len;
        n = claims_plus(extra, at, 1, out, sizeof out);
    } else {
        hs_mutation m;
        hs_mutation_set(&m, &tree, node, HS_REPLACE, 0, value, value_len);
        uint8_t *p;
        hs_serialize(&tree, &m, &p, &n);
        memcpy(out, p, n);
        free(p);
    }
    static tk_eat_claims c;
    return tk_eat_decode_claims(out, n, flags, &c, NULL);
}

static size_t bstr_of(size_t n, uint8_t *out)
{
    size_t h = hs_cbor_head(2, n, out);
    memset(out + h, 0x01, n);
    return h + n;
}

static void limits_and_sizes(void **state)
{
    (void)state;
    ht_table table = {"eat limits and sizes", 0, 0};
    uint8_t v[4096];
    size_t vl;
    char what[128];
    const uint32_t teep = TK_EAT_PROFILE_TEEP;

    /* Byte-string sizes: eat_nonce 8..64, ueid 7..33, hwmodel 1..32. */
    const struct {
        int64_t key;
        size_t min, max;
    } sizes[] = {{TK_EAT_KEY_NONCE, TK_EAT_NONCE_MIN, TK_EAT_NONCE_MAX},
                 {TK_EAT_KEY_UEID, TK_EAT_UEID_MIN, TK_EAT_UEID_MAX},
                 {TK_EAT_KEY_HWMODEL, 1, 32}};
    for (size_t i = 0; i < 3; i++) {
        const size_t tries[4] = {sizes[i].min - 1, sizes[i].min, sizes[i].max,
                                 sizes[i].max + 1};
        for (size_t k = 0; k < 4; k++) {
            vl = bstr_of(tries[k], v);
            snprintf(what, sizeof what, "claim %lld of %zu bytes",
                     (long long)sizes[i].key, tries[k]);
            ht_expect(&table, decode_with_claim(sizes[i].key, v, vl, teep),
                      k == 0 || k == 3 ? TK_ERR_EAT_BAD_CLAIM : TK_OK, what);
        }
    }

    /* eat_nonce as an array: TK_EAT_MAX_NONCES nonces, then one more. */
    for (size_t n = TK_EAT_MAX_NONCES; n <= TK_EAT_MAX_NONCES + 1; n++) {
        vl = hs_cbor_head(4, n, v);
        for (size_t i = 0; i < n; i++)
            vl += bstr_of(8 + i, v + vl);
        snprintf(what, sizeof what, "%zu nonces", n);
        /* The TEEP profile allows one byte-string nonce only. */
        ht_expect(&table, decode_with_claim(TK_EAT_KEY_NONCE, v, vl, 0),
                  n <= TK_EAT_MAX_NONCES ? TK_OK : TK_ERR_EAT_TOO_MANY, what);
        ht_expect(&table, decode_with_claim(TK_EAT_KEY_NONCE, v, vl, teep),
                  TK_ERR_EAT_BAD_CLAIM, what);
    }

    /* manifests and measurements entries. */
    const int64_t lists[2] = {TK_EAT_KEY_MANIFESTS, TK_EAT_KEY_MEASUREMENTS};
    const size_t maxes[2] = {TK_EAT_MAX_MANIFESTS, TK_EAT_MAX_MEASUREMENTS};
    for (size_t l = 0; l < 2; l++) {
        for (size_t n = maxes[l]; n <= maxes[l] + 1; n++) {
            vl = hs_cbor_head(4, n, v);
            for (size_t i = 0; i < n; i++) {
                static const uint8_t entry[] = {0x82, 0x18, 0x3c, 0x41, 0x00};
                memcpy(v + vl, entry, sizeof entry);
                vl += sizeof entry;
            }
            snprintf(what, sizeof what, "claim %lld with %zu entries",
                     (long long)lists[l], n);
            ht_expect(&table, decode_with_claim(lists[l], v, vl, teep),
                      n <= maxes[l] ? TK_OK : TK_ERR_EAT_TOO_MANY, what);
        }
    }

    /* Unknown integer claims: TK_EAT_MAX_UNKNOWN_KEYS, then one more. */
    for (size_t n = TK_EAT_MAX_UNKNOWN_KEYS; n <= TK_EAT_MAX_UNKNOWN_KEYS + 1;
         n++) {
        uint8_t extra[512], out[2048];
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            at += hs_cbor_head(0, 1000 + i, extra + at);
            extra[at++] = 0x00;
        }
        size_t len = claims_plus(extra, at, n, out, sizeof out);
        static tk_eat_claims c;
        snprintf(what, sizeof what, "%zu unknown claims", n);
        ht_expect(&table, tk_eat_decode_claims(out, len, teep, &c, NULL),
                  n <= TK_EAT_MAX_UNKNOWN_KEYS ? TK_OK : TK_ERR_EAT_TOO_MANY,
                  what);
    }

    /* Submodules nested TK_EAT_MAX_SUBMOD_DEPTH deep, then one more:
     * {266: {"s": {266: {"s": {}}}}}. */
    for (size_t d = TK_EAT_MAX_SUBMOD_DEPTH; d <= TK_EAT_MAX_SUBMOD_DEPTH + 1;
         d++) {
        vl = 0;
        for (size_t i = 0; i < d; i++) {
            static const uint8_t level[] = {0xa1, 0x61, 's', 0xa1,
                                            0x19, 0x01, 0x0a};
            /* Each level: {"s": {266: ...}}; the outermost 266 is the
             * claim key itself, so it is left out here. */
            memcpy(v + vl, level, i + 1 == d ? 3 : sizeof level);
            vl += i + 1 == d ? 3 : sizeof level;
        }
        v[vl++] = 0xa0;
        snprintf(what, sizeof what, "submodules nested %zu deep", d);
        ht_expect(&table, decode_with_claim(TK_EAT_KEY_SUBMODS, v, vl, 0),
                  d <= TK_EAT_MAX_SUBMOD_DEPTH ? TK_OK : TK_ERR_EAT_TOO_DEEP,
                  what);
    }

    /* The TEEP profile's encoding rules. */
    static const uint8_t indefinite[] = {0x9f, 0x63, '1', '.', '0', 0xff};
    static const uint8_t long_form[] = {0x81, 0x78, 0x03, '1', '.', '0'};
    static const uint8_t tagged[] = {0xc0, 0x63, '1', '.', '0'};
    ht_expect(&table,
              decode_with_claim(TK_EAT_KEY_HWVERSION, indefinite,
                                sizeof indefinite, teep),
              TK_ERR_EAT_INDEFINITE_LENGTH, "indefinite hwversion");
    ht_expect(&table,
              decode_with_claim(TK_EAT_KEY_HWVERSION, indefinite,
                                sizeof indefinite, 0),
              TK_OK, "indefinite hwversion without the profile");
    ht_expect(&table,
              decode_with_claim(TK_EAT_KEY_HWVERSION, long_form,
                                sizeof long_form, teep),
              TK_ERR_EAT_NOT_PREFERRED, "hwversion with a long head");
    ht_expect(
        &table,
        decode_with_claim(TK_EAT_KEY_HWVERSION, tagged, sizeof tagged, teep),
        TK_ERR_EAT_TAG_IN_CLAIMS, "tagged claim value");
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(claims_mutations),
        cmocka_unit_test(limits_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
