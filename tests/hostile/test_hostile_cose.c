/*
 * Hostile COSE messages: a valid COSE_Sign1 (ESP256 and Ed25519),
 * COSE_Sign, COSE_Mac0, COSE_Mac, COSE_Encrypt0 and COSE_Encrypt, built
 * with the fixed keys, mutated item by item. Every mutation must give its
 * specific error from the verifier or decrypter, and never TK_OK unless
 * the mutation leaves the authenticated bytes and the rules untouched.
 * Also: the table limits plus one (header labels, crit, signatures,
 * recipients and their nesting), unknown critical headers and oversized
 * members.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"
#include "hs_mutate.h"
#include "ht.h"

#define MSG_CAP 8192

static const uint8_t g_payload[] = "This is the content.";
static uint8_t g_scratch[MSG_CAP];

typedef enum kind {
    SIGN1,
    SIGN1_ED25519,
    SIGN,
    MAC0,
    MAC,
    ENCRYPT0,
    ENCRYPT,
    KIND_COUNT
} kind;

static const char *const g_kind_names[KIND_COUNT] = {
    "sign1", "sign1-ed25519", "sign", "mac0", "mac", "encrypt0", "encrypt"};

/* Builds a valid message of kind k into out; returns its length. */
static size_t build(kind k, uint8_t *out, size_t cap)
{
    const hs_keys *keys = hs_keys_get();
    const tk_crypto *c = hs_crypto();
    tk_cose_build b;
    memset(&b, 0, sizeof b);
    b.scratch = g_scratch;
    b.scratch_len = sizeof g_scratch;
    b.kid = hs_str("kid-1");
    tk_view payload = hs_view(g_payload, sizeof g_payload - 1);
    size_t len = 0;
    tk_err err = TK_ERR_INTERNAL;
    static const uint8_t iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    tk_cose_signer signers[2] = {
        {TK_ALG_ESP256, &keys->suit_p256, hs_str("p256")},
        {TK_ALG_ED25519, &keys->suit_ed25519, hs_str("ed25519")}};
    tk_cose_recipient_params recipient = {
        TK_ALG_A128KW, &keys->aes128, hs_str("kek"), NULL, {NULL, 0}};
    switch (k) {
    case SIGN1:
        b.alg = TK_ALG_ESP256;
        b.key = &keys->suit_p256;
        err = tk_cose_sign1_sign(c, &b, payload, out, cap, &len);
        break;
    case SIGN1_ED25519:
        b.alg = TK_ALG_ED25519;
        b.key = &keys->suit_ed25519;
        err = tk_cose_sign1_sign(c, &b, payload, out, cap, &len);
        break;
    case SIGN:
        b.signers = signers;
        b.signer_count = 2;
        err = tk_cose_sign_sign(c, &b, payload, out, cap, &len);
        break;
    case MAC0:
        b.alg = TK_ALG_HMAC_256_256;
        b.key = &keys->hmac256;
        err = tk_cose_mac0_create(c, &b, payload, out, cap, &len);
        break;
    case MAC:
        b.alg = TK_ALG_HMAC_256_256;
        b.recipients = &recipient;
        b.recipient_count = 1;
        err = tk_cose_mac_create(c, &b, payload, out, cap, &len);
        break;
    case ENCRYPT0:
        b.alg = TK_ALG_A128GCM;
        b.key = &keys->aes128;
        b.iv = hs_view(iv, sizeof iv);
        err = tk_cose_encrypt0_encrypt(c, &b, payload, out, cap, &len);
        break;
    case ENCRYPT:
    default:
        b.alg = TK_ALG_A128GCM;
        b.iv = hs_view(iv, sizeof iv);
        b.recipients = &recipient;
        b.recipient_count = 1;
        err = tk_cose_encrypt_encrypt(c, &b, payload, out, cap, &len);
        break;
    }
    assert_int_equal(err, TK_OK);
    return len;
}

static tk_err lookup(void *arg, tk_view kid, tk_alg alg, const tk_key **key)
{
    const hs_keys *k = arg;
    (void)kid;
    if (tk_crypto_sig_curve(alg) == TK_CRV_P256)
        *key = &k->suit_p256;
    else if (tk_crypto_sig_curve(alg) == TK_CRV_ED25519)
        *key = &k->suit_ed25519;
    else if (alg == TK_ALG_HMAC_256_256 || alg == TK_ALG_HMAC_256_64)
        *key = &k->hmac256;
    else if (alg == TK_ALG_A128GCM || alg == TK_ALG_A128KW)
        *key = &k->aes128;
    else
        return TK_ERR_NOT_FOUND;
    return TK_OK;
}

/* Verifies or decrypts msg as kind k with the fixed keys. */
static tk_err check(kind k, const uint8_t *msg, size_t len)
{
    tk_cose_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.lookup = lookup;
    opts.lookup_arg = (void *)hs_keys_get();
    opts.signature_index = TK_COSE_ANY_SIGNATURE;
    opts.flags = k == SIGN ? TK_COSE_OPT_ALL_SIGNATURES : 0;
    opts.scratch = g_scratch;
    opts.scratch_len = sizeof g_scratch;
    const tk_crypto *c = hs_crypto();
    tk_view in = hs_view(msg, len);
    uint8_t plain[256];
    size_t plain_len = 0;
    switch (k) {
    case SIGN1:
    case SIGN1_ED25519:
        return tk_cose_sign1_verify(c, in, &opts, NULL);
    case SIGN:
        return tk_cose_sign_verify(c, in, &opts, NULL);
    case MAC0:
        return tk_cose_mac0_verify(c, in, &opts, NULL);
    case MAC:
        return tk_cose_mac_verify(c, in, &opts, NULL);
    case ENCRYPT0:
        return tk_cose_encrypt0_decrypt(c, in, &opts, plain, sizeof plain,
                                        &plain_len, NULL);
    case ENCRYPT:
    default:
        return tk_cose_encrypt_decrypt(c, in, &opts, plain, sizeof plain,
                                       &plain_len, NULL);
    }
}

/* ---- The expected error of a mutation --------------------------------- */

/* What a node is in a COSE message. */
typedef enum role {
    ROLE_ROOT,       /* the tagged message */
    ROLE_STRUCT,     /* the array of the message, a signature or recipient */
    ROLE_MEMBER,     /* a member of such an array */
    ROLE_LIST,       /* the array of signatures or recipients */
    ROLE_PROT_MAP,   /* the map inside a protected header */
    ROLE_PROT_LABEL, /* a label of it */
    ROLE_PROT_VALUE, /* a value of it */
    ROLE_UNPROT_MAP, /* an unprotected header map */
    ROLE_UNPROT_LABEL,
    ROLE_UNPROT_VALUE,
} role;

/* Tells whether array node i is a list of signatures or recipients: member 3 of
 * a COSE_Sign, member 4 of a COSE_Mac, member 3 of a COSE_Encrypt, or the
 * recipients of a recipient. */
static bool is_list(const hs_tree *t, int i, kind k)
{
    const hs_node *n = &t->nodes[i];
    if (n->major != 4 || n->parent == HS_NO_NODE)
        return false;
    const hs_node *p = &t->nodes[n->parent];
    if (p->major != 4)
        return false;
    size_t list_index = k == MAC ? 4 : 3;
    bool top = p->parent != HS_NO_NODE && t->nodes[p->parent].major == 6;
    if (top)
        return (k == SIGN || k == MAC || k == ENCRYPT) &&
               n->index == list_index;
    return n->index == 3; /* recipients of a recipient */
}

static role role_of(const hs_tree *t, int i, kind k)
{
    const hs_node *n = &t->nodes[i];
    if (n->parent == HS_NO_NODE)
        return ROLE_ROOT;
    const hs_node *p = &t->nodes[n->parent];
    if (p->major == 6)
        return ROLE_STRUCT;
    if (p->major == 2)
        return ROLE_PROT_MAP;
    if (p->major == 5) {
        bool prot = t->nodes[p->parent].major == 2;
        if (n->is_key)
            return prot ? ROLE_PROT_LABEL : ROLE_UNPROT_LABEL;
        return prot ? ROLE_PROT_VALUE : ROLE_UNPROT_VALUE;
    }
    /* p is an array: a list, a structure or a member. */
    if (is_list(t, n->parent, k))
        return ROLE_STRUCT;
    if (is_list(t, i, k))
        return ROLE_LIST;
    if (n->major == 5 && n->index == 1)
        return ROLE_UNPROT_MAP;
    return ROLE_MEMBER;
}

/* The label of the map entry that contains node i (its key or value). */
static int64_t label_of(const hs_tree *t, int i)
{
    const hs_node *n = &t->nodes[i];
    if (!n->is_key)
        return n->key;
    const hs_node *k = n;
    if (k->major == 0)
        return (int64_t)k->arg;
    if (k->major == 1)
        return -1 - (int64_t)k->arg;
    return INT64_MIN;
}

static tk_err auth_failure(kind k)
{
    if (k == MAC0 || k == MAC)
        return TK_ERR_COSE_MAC_INVALID;
    if (k == ENCRYPT0 || k == ENCRYPT)
        return TK_ERR_COSE_DECRYPT_FAILED;
    return TK_ERR_COSE_SIGNATURE_INVALID;
}

static tk_err expect_mutation(const hs_tree *t, const hs_mutation *m, kind k)
{
    int i = m->node;
    const hs_node *n = &t->nodes[i];
    role r = role_of(t, i, k);
    switch (m->change) {
    case HS_ARGUMENT:
        if (r == ROLE_PROT_MAP)
            return TK_ERR_COSE_HEADER_DECODE;
        return n->major >= 4 ? TK_ERR_CBOR_COUNT_TOO_LARGE
                             : TK_ERR_CBOR_TRUNCATED;
    case HS_DUPLICATE:
        return TK_ERR_COSE_DUPLICATE_LABEL;
    case HS_APPEND:
        if (r == ROLE_PROT_MAP)
            return auth_failure(k);
        if (r == ROLE_UNPROT_MAP || r == ROLE_LIST)
            return TK_OK; /* unknown label 99, or one more valid entry */
        return TK_ERR_COSE_MALFORMED;
    default:
        break;
    }
    /* A wrong type, or one more nesting level. */
    bool nest = m->change == HS_NEST;
    switch (r) {
    case ROLE_ROOT:
        return TK_ERR_COSE_TAG_MISSING;
    case ROLE_PROT_MAP:
        return TK_ERR_COSE_HEADER_DECODE;
    case ROLE_PROT_LABEL:
    case ROLE_UNPROT_LABEL: {
        int64_t label = label_of(t, i);
        if (label == TK_COSE_HDR_ALG)
            return TK_ERR_COSE_ALG_MISSING;
        if (label == TK_COSE_HDR_IV)
            return TK_ERR_COSE_IV;
        return TK_OK; /* kid under a text label: unknown, skipped */
    }
    case ROLE_PROT_VALUE:
    case ROLE_UNPROT_VALUE:
        /* A text alg is well-typed but never supported. */
        if (!nest && label_of(t, i) == TK_COSE_HDR_ALG)
            return TK_ERR_COSE_ALG_UNSUPPORTED;
        return TK_ERR_COSE_HEADER_VALUE;
    default:
        return TK_ERR_COSE_MALFORMED;
    }
}

/* Every mutation of every structure against its verifier or decrypter. */
static void structure_mutations(void **state)
{
    (void)state;
    ht_table table = {"cose mutations", 0, 0};
    static hs_tree tree;
    uint8_t msg[MSG_CAP];
    char what[256];
    for (int k = 0; k < KIND_COUNT; k++) {
        size_t len = build((kind)k, msg, sizeof msg);
        assert_int_equal(check((kind)k, msg, len), TK_OK);
        assert_true(hs_parse(&tree, msg, len));

        /* Truncated at every byte: the CBOR decoder's error surfaces. */
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *p = malloc(cut == 0 ? 1 : cut);
            memcpy(p, msg, cut);
            tk_err want = tk_cbor_validate(p, cut, 0, NULL);
            snprintf(what, sizeof what, "%s truncated to %zu", g_kind_names[k],
                     cut);
            ht_true(&table, want != TK_OK, what);
            ht_expect(&table, check((kind)k, p, cut), want, what);
            free(p);
        }

        for (size_t i = 0; i < tree.count; i++) {
            const hs_node *node = &tree.nodes[i];
            hs_mutation muts[5];
            size_t nm = 0;
            uint8_t repl[16];
            size_t rl = hs_wrong_type_item(node->major, repl);
            hs_mutation_set(&muts[nm++], &tree, (int)i, HS_REPLACE, 0, repl,
                            rl);
            if (node->major >= 2 && node->major <= 5)
                hs_mutation_set(&muts[nm++], &tree, (int)i, HS_ARGUMENT,
                                UINT64_MAX >> 1, NULL, 0);
            if (node->major == 5 && node->arg > 0)
                hs_mutation_set(&muts[nm++], &tree, (int)i, HS_DUPLICATE, 0,
                                NULL, 0);
            if ((node->major == 5 || node->major == 4) && node->arg > 0)
                hs_mutation_set(&muts[nm++], &tree, (int)i, HS_APPEND, 99, NULL,
                                0);
            if (!node->is_key)
                hs_mutation_set(&muts[nm++], &tree, (int)i, HS_NEST, 1, NULL,
                                0);
            for (size_t m = 0; m < nm; m++) {
                uint8_t *p;
                size_t plen;
                hs_serialize(&tree, &muts[m], &p, &plen);
                snprintf(what, sizeof what, "%s %s", g_kind_names[k],
                         muts[m].what);
                ht_expect(&table, check((kind)k, p, plen),
                          expect_mutation(&tree, &muts[m], (kind)k), what);
                free(p);
            }
        }
    }
    ht_done(&table);
}

/* ---- Header rules and table limits ------------------------------------ */

/*
 * Builds a tagged COSE_Mac0 (HMAC 256/256 with the fixed key) with the
 * given encoded protected map (wrapped here, may be empty) and unprotected
 * map, over g_payload. The MAC is valid, so the headers alone decide.
 */
static size_t mac0_with(const uint8_t *prot, size_t prot_len,
                        const uint8_t *unprot, size_t unprot_len, uint8_t *out,
                        size_t cap)
{
    const tk_crypto *c = hs_crypto();
    uint8_t mac_structure[MSG_CAP];
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, mac_structure, sizeof mac_structure, 0);
    tk_cbor_enc_put_array(&enc, 4);
    tk_cbor_enc_put_text(&enc, "MAC0");
    tk_cbor_enc_put_bstr(&enc, prot, prot_len);
    tk_cbor_enc_put_bstr(&enc, NULL, 0);
    tk_cbor_enc_put_bstr(&enc, g_payload, sizeof g_payload - 1);
    size_t ms_len = 0;
    assert_int_equal(tk_cbor_enc_finish(&enc, &ms_len), TK_OK);
    uint8_t tag[64];
    size_t tag_len = 0;
    tk_view part = hs_view(mac_structure, ms_len);
    assert_int_equal(c->mac(c->ctx, TK_ALG_HMAC_256_256,
                            &hs_keys_get()->hmac256, &part, 1, tag, sizeof tag,
                            &tag_len),
                     TK_OK);
    size_t at = 0;
    uint8_t h[9];
    out[at++] = 0xd1; /* tag 17 */
    out[at++] = 0x84;
    size_t hl = hs_cbor_head(2, prot_len, h);
    assert_true(at + hl + prot_len + unprot_len + 64 + sizeof g_payload <= cap);
    memcpy(out + at, h, hl);
    at += hl;
    memcpy(out + at, prot, prot_len);
    at += prot_len;
    memcpy(out + at, unprot, unprot_len);
    at += unprot_len;
    hl = hs_cbor_head(2, sizeof g_payload - 1, h);
    memcpy(out + at, h, hl);
    at += hl;
    memcpy(out + at, g_payload, sizeof g_payload - 1);
    at += sizeof g_payload - 1;
    hl = hs_cbor_head(2, tag_len, h);
    memcpy(out + at, h, hl);
    at += hl;
    memcpy(out + at, tag, tag_len);
    return at + tag_len;
}

/* Encodes {1: 5 (HMAC 256/256), labels 100.. with value 0} with extra
 * labels, into out; returns its length. */
static size_t map_with_labels(bool with_alg, size_t extra, uint8_t *out)
{
    size_t at = hs_cbor_head(5, extra + (with_alg ? 1 : 0), out);
    if (with_alg) {
        out[at++] = 0x01;
        out[at++] = 0x05;
    }
    for (size_t i = 0; i < extra; i++) {
        at += hs_cbor_head(0, 100 + i, out + at);
        out[at++] = 0x00;
    }
    return at;
}

static tk_err verify_mac0(const uint8_t *msg, size_t len,
                          const tk_cose_label *understood, size_t count)
{
    tk_cose_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.key = &hs_keys_get()->hmac256;
    opts.understood = understood;
    opts.understood_count = count;
    return tk_cose_mac0_verify(hs_crypto(), hs_view(msg, len), &opts, NULL);
}

/* Encodes a hex string into out; returns its length. */
static size_t hex(const char *text, uint8_t *out)
{
    size_t n = 0;
    for (; text[0] != 0 && text[1] != 0; text += 2) {
        unsigned v;
        sscanf(text, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static void header_rules(void **state)
{
    (void)state;
    ht_table table = {"cose header rules", 0, 0};
    static uint8_t prot[512], unprot[70000], msg[80000];
    size_t pl, ul, n;
    static const tk_cose_label understand_99[1] = {{false, 99, {NULL, 0}}};

    const struct {
        const char *name;
        const char *prot;
        const char *unprot;
        bool understand;
        tk_err want;
    } cases[] = {
        {"valid", "a10105", "a0", false, TK_OK},
        {"unknown critical label", "a301050281186318630f", "a0", false,
         TK_ERR_COSE_CRIT_UNKNOWN},
        {"understood critical label", "a301050281186318630f", "a0", true,
         TK_OK},
        {"critical label absent", "a2010502811863", "a0", true,
         TK_ERR_COSE_CRIT_MISSING},
        {"critical label only unprotected", "a2010502811863", "a118630f", true,
         TK_ERR_COSE_CRIT_MISSING},
        {"empty crit", "a201050280", "a0", false, TK_ERR_COSE_CRIT_INVALID},
        {"crit not an array", "a201050201", "a0", false,
         TK_ERR_COSE_CRIT_INVALID},
        {"crit unprotected", "a10105", "a10281186318630f", true,
         TK_ERR_COSE_CRIT_INVALID},
        {"alg unprotected", "", "a10105", false, TK_ERR_COSE_ALG_UNPROTECTED},
        {"alg missing", "", "a0", false, TK_ERR_COSE_ALG_MISSING},
        {"alg in both buckets", "a10105", "a10105", false,
         TK_ERR_COSE_DUPLICATE_LABEL},
        {"alg twice in one map", "a201050105", "a0", false,
         TK_ERR_COSE_DUPLICATE_LABEL},
        {"alg twice, 1 as 1801", "a20105180105", "a0", false,
         TK_ERR_COSE_DUPLICATE_LABEL},
        {"kid as an integer", "a10105", "a10401", false,
         TK_ERR_COSE_HEADER_VALUE},
        {"bstr label", "a10105", "a1410001", false, TK_ERR_COSE_HEADER_LABEL},
        {"unknown text label skipped", "a10105", "a1617800", false, TK_OK},
        {"float alg", "a101f93c00", "a0", false, TK_ERR_COSE_HEADER_VALUE},
        {"alg above int64", "a1011b8000000000000000", "a0", false,
         TK_ERR_COSE_HEADER_VALUE},
        {"protected not a map", "8101", "a0", false, TK_ERR_COSE_HEADER_DECODE},
        {"protected with trailing bytes", "a1010500", "a0", false,
         TK_ERR_COSE_HEADER_DECODE},
        {"protected map truncated", "a101", "a0", false,
         TK_ERR_COSE_HEADER_DECODE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pl = hex(cases[i].prot, prot);
        ul = hex(cases[i].unprot, unprot);
        n = mac0_with(prot, pl, unprot, ul, msg, sizeof msg);
        ht_expect(&table,
                  verify_mac0(msg, n,
                              cases[i].understand ? understand_99 : NULL,
                              cases[i].understand ? 1 : 0),
                  cases[i].want, cases[i].name);
    }

    /* Labels per header map: TK_COSE_MAX_HEADER_LABELS, then one more. */
    for (size_t extra = TK_COSE_MAX_HEADER_LABELS - 1;
         extra <= TK_COSE_MAX_HEADER_LABELS; extra++) {
        pl = map_with_labels(true, extra, prot);
        ul = hex("a0", unprot);
        n = mac0_with(prot, pl, unprot, ul, msg, sizeof msg);
        char what[64];
        snprintf(what, sizeof what, "%zu protected labels", extra + 1);
        ht_expect(&table, verify_mac0(msg, n, NULL, 0),
                  extra + 1 <= TK_COSE_MAX_HEADER_LABELS
                      ? TK_OK
                      : TK_ERR_COSE_TOO_MANY_LABELS,
                  what);
        pl = hex("a10105", prot);
        ul = map_with_labels(false, extra + 1, unprot);
        n = mac0_with(prot, pl, unprot, ul, msg, sizeof msg);
        snprintf(what, sizeof what, "%zu unprotected labels", extra + 1);
        ht_expect(&table, verify_mac0(msg, n, NULL, 0),
                  extra + 1 <= TK_COSE_MAX_HEADER_LABELS
                      ? TK_OK
                      : TK_ERR_COSE_TOO_MANY_LABELS,
                  what);
    }

    /* crit entries: TK_COSE_MAX_CRIT, then one more, each label present
     * and understood. */
    tk_cose_label understood[TK_COSE_MAX_CRIT + 1];
    for (size_t count = TK_COSE_MAX_CRIT; count <= TK_COSE_MAX_CRIT + 1;
         count++) {
        size_t at = hs_cbor_head(5, 2 + count, prot);
        prot[at++] = 0x01;
        prot[at++] = 0x05;
        prot[at++] = 0x02;
        at += hs_cbor_head(4, count, prot + at);
        for (size_t i = 0; i < count; i++)
            at += hs_cbor_head(0, 100 + i, prot + at);
        for (size_t i = 0; i < count; i++) {
            at += hs_cbor_head(0, 100 + i, prot + at);
            prot[at++] = 0x00;
            understood[i] =
                (tk_cose_label){false, (int64_t)(100 + i), {NULL, 0}};
        }
        ul = hex("a0", unprot);
        n = mac0_with(prot, at, unprot, ul, msg, sizeof msg);
        char what[64];
        snprintf(what, sizeof what, "crit with %zu labels", count);
        ht_expect(&table, verify_mac0(msg, n, understood, count),
                  count <= TK_COSE_MAX_CRIT ? TK_OK
                                            : TK_ERR_COSE_TOO_MANY_LABELS,
                  what);
    }

    /* Oversized members: a 64 KiB kid and nesting past TK_CBOR_MAX_DEPTH
     * under an unknown label. */
    pl = hex("a10105", prot);
    ul = hex("a1045a00010000", unprot);
    memset(unprot + ul, 0x6b, 65536);
    ul += 65536;
    n = mac0_with(prot, pl, unprot, ul, msg, sizeof msg);
    ht_expect(&table, verify_mac0(msg, n, NULL, 0), TK_OK, "64 KiB kid");
    for (size_t levels = 12; levels <= 16; levels++) {
        ul = hex("a11863", unprot);
        memset(unprot + ul, 0x81, levels);
        ul += levels;
        unprot[ul++] = 0x00;
        n = mac0_with(prot, pl, unprot, ul, msg, sizeof msg);
        char what[64];
        snprintf(what, sizeof what, "unknown label nested %zu deep", levels);
        /* The message array and the unprotected map are two levels. */
        ht_expect(&table, verify_mac0(msg, n, NULL, 0),
                  levels + 3 <= TK_CBOR_MAX_DEPTH ? TK_OK
                                                  : TK_ERR_CBOR_TOO_DEEP,
                  what);
    }
    ht_done(&table);
}

/* Signature and recipient counts: the limit, then one more. */
static void structure_limits(void **state)
{
    (void)state;
    ht_table table = {"cose structure limits", 0, 0};
    const hs_keys *keys = hs_keys_get();
    const tk_crypto *c = hs_crypto();
    static hs_tree tree;
    uint8_t msg[MSG_CAP];
    size_t len = 0;

    /* TK_COSE_MAX_SIGNATURES signatures, then one more appended. */
    tk_cose_signer signers[TK_COSE_MAX_SIGNATURES];
    for (size_t i = 0; i < TK_COSE_MAX_SIGNATURES; i++)
        signers[i] =
            (tk_cose_signer){TK_ALG_ESP256, &keys->suit_p256, hs_str("p256")};
    tk_cose_build b;
    memset(&b, 0, sizeof b);
    b.signers = signers;
    b.signer_count = TK_COSE_MAX_SIGNATURES;
    assert_int_equal(tk_cose_sign_sign(c, &b,
                                       hs_view(g_payload, sizeof g_payload - 1),
                                       msg, sizeof msg, &len),
                     TK_OK);
    ht_expect(&table, check(SIGN, msg, len), TK_OK, "maximum signatures");
    assert_true(hs_parse(&tree, msg, len));
    int list = hs_node_child(&tree, hs_node_child(&tree, 0, 0), 3);
    hs_mutation m;
    hs_mutation_set(&m, &tree, list, HS_APPEND, 0, NULL, 0);
    uint8_t *p;
    size_t plen;
    hs_serialize(&tree, &m, &p, &plen);
    ht_expect(&table, check(SIGN, p, plen), TK_ERR_COSE_TOO_MANY_SIGNATURES,
              "one signature too many");
    free(p);

    /* TK_COSE_MAX_RECIPIENTS key wrap recipients, then one more. */
    tk_cose_recipient_params r[TK_COSE_MAX_RECIPIENTS];
    for (size_t i = 0; i < TK_COSE_MAX_RECIPIENTS; i++)
        r[i] = (tk_cose_recipient_params){
            TK_ALG_A128KW, &keys->aes128, hs_str("kek"), NULL, {NULL, 0}};
    static const uint8_t iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    memset(&b, 0, sizeof b);
    b.alg = TK_ALG_A128GCM;
    b.iv = hs_view(iv, sizeof iv);
    b.recipients = r;
    b.recipient_count = TK_COSE_MAX_RECIPIENTS;
    assert_int_equal(
        tk_cose_encrypt_encrypt(c, &b, hs_view(g_payload, sizeof g_payload - 1),
                                msg, sizeof msg, &len),
        TK_OK);
    ht_expect(&table, check(ENCRYPT, msg, len), TK_OK, "maximum recipients");
    assert_true(hs_parse(&tree, msg, len));
    list = hs_node_child(&tree, hs_node_child(&tree, 0, 0), 3);
    hs_mutation_set(&m, &tree, list, HS_APPEND, 0, NULL, 0);
    hs_serialize(&tree, &m, &p, &plen);
    ht_expect(&table, check(ENCRYPT, p, plen), TK_ERR_COSE_TOO_MANY_RECIPIENTS,
              "one recipient too many");
    free(p);

    /* Recipients nested one level deeper than
     * TK_COSE_MAX_RECIPIENT_DEPTH: each recipient carries the next. */
    uint8_t nested[512];
    size_t at = 0;
    for (size_t level = 0; level <= TK_COSE_MAX_RECIPIENT_DEPTH; level++) {
        static const uint8_t head[] = {0x81, 0x84, 0x40, 0xa1,
                                       0x01, 0x22, 0x41, 0x00};
        memcpy(nested + at, head, sizeof head);
        at += sizeof head;
    }
    nested[at++] = 0x80; /* the innermost recipients: none */
    int recipients = hs_node_child(&tree, hs_node_child(&tree, 0, 0), 3);
    hs_mutation_set(&m, &tree, recipients, HS_REPLACE, 0, nested, at);
    hs_serialize(&tree, &m, &p, &plen);
    ht_expect(&table, check(ENCRYPT, p, plen), TK_ERR_COSE_TOO_MANY_RECIPIENTS,
              "recipients nested too deep");
    free(p);
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(structure_mutations),
        cmocka_unit_test(header_rules),
        cmocka_unit_test(structure_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
