/*
 * Hostile TEEP messages: every published message and an Update with real
 * manifests, mutated item by item (truncated at every byte, lengths maxed
 * out, wrong types, duplicate and extra keys, one more nesting level), the
 * list limits plus one and the sizes the protocol bounds. Each case must
 * give its specific error from tk_teep_decode(), and the agent that
 * receives it signed must reject it with that error, answer with an Error
 * carrying ERR_PERMANENT_ERROR and change no state.
 */
#include <stdlib.h>
#include <string.h>

#include "hs.h"
#include "hs_mutate.h"
#include "ht.h"
#include "tk_test.h"

#define MSG_CAP 16384

typedef struct sample {
    const char *name;
    uint8_t *buf;
    size_t len;
} sample;

static sample g_samples[8];
static size_t g_sample_count;

static void add_sample(const char *name, uint8_t *buf, size_t len)
{
    g_samples[g_sample_count++] = (sample){name, buf, len};
}

static int setup(void **state)
{
    (void)state;
    static const char *const names[] = {"query_request", "query_response",
                                        "update", "teep_success", "teep_error"};
    char path[64];
    for (size_t i = 0; i < 5; i++) {
        size_t len = 0;
        snprintf(path, sizeof path, "teep/%s.hex.txt", names[i]);
        uint8_t *buf = tk_test_read_hex(tk_test_vector(path), &len);
        add_sample(names[i], buf, len);
    }
    /* An Update with two manifests signed by the SUIT key. */
    static uint8_t env1[2048], env2[2048];
    size_t n1 = hs_tc_envelope(4, false, env1, sizeof env1);
    size_t n2 = hs_tc_envelope(5, true, env2, sizeof env2);
    assert_true(n1 > 0 && n2 > 0);
    tk_teep_message m;
    memset(&m, 0, sizeof m);
    m.type = TK_TEEP_UPDATE;
    static const uint8_t token[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                      0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
                                      0xac, 0xad, 0xae, 0xaf};
    m.token = hs_view(token, sizeof token);
    TK_TEEP_SET(&m, TK_TEEP_LABEL_TOKEN);
    m.manifest_count = 2;
    m.manifests[0] = hs_view(env1, n1);
    m.manifests[1] = hs_view(env2, n2);
    TK_TEEP_SET(&m, TK_TEEP_LABEL_MANIFEST_LIST);
    uint8_t *buf = malloc(MSG_CAP);
    assert_non_null(buf);
    size_t len = 0;
    assert_int_equal(tk_teep_encode(&m, buf, MSG_CAP, &len), TK_OK);
    add_sample("update_signed_manifests", buf, len);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_sample_count; i++)
        free(g_samples[i].buf);
    g_sample_count = 0;
    return 0;
}

/* ---- The expected error of a mutation --------------------------------- */

/* Tells whether node i lies strictly inside a wrapped byte string, whose
 * content the TEEP decoder does not parse. */
static bool inside_opaque(const hs_tree *t, int i)
{
    for (int c = t->nodes[i].parent; c != HS_NO_NODE; c = t->nodes[c].parent)
        if (t->nodes[c].major == 2)
            return true;
    return false;
}

/* The child of the options map that contains node i, or HS_NO_NODE. */
static int option_entry(const hs_tree *t, int options, int i)
{
    for (int c = i; c != HS_NO_NODE; c = t->nodes[c].parent)
        if (t->nodes[c].parent == options)
            return c;
    return HS_NO_NODE;
}

static tk_err expect_mutation(const hs_tree *t, const hs_mutation *m,
                              uint32_t type)
{
    int n = m->node;
    if (inside_opaque(t, n))
        return TK_OK;
    int options = hs_node_child(t, 0, 1);
    if (m->change == HS_ARGUMENT)
        return TK_ERR_TEEP_MALFORMED; /* declares more than the input has */
    if (m->change == HS_DUPLICATE)
        return TK_ERR_TEEP_DUPLICATE_OPTION;
    if (m->change == HS_APPEND)
        return n == 0 ? TK_ERR_TEEP_MALFORMED : TK_OK;
    /* A wrong type or one more nesting level. */
    if (n == 0 || t->nodes[n].parent == 0) {
        if (n == 0 || t->nodes[n].index <= 1)
            return TK_ERR_TEEP_MALFORMED;
        return TK_ERR_TEEP_BAD_OPTION; /* a positional field */
    }
    int entry = option_entry(t, options, n);
    if (entry == HS_NO_NODE)
        return TK_ERR_TEEP_BAD_OPTION; /* inside a positional field */
    if (t->nodes[entry].is_key)
        return TK_ERR_TEEP_BAD_LABEL;
    int64_t label = t->nodes[entry].key;
    bool known =
        label >= 0 && label < 32 &&
        ((type == TK_TEEP_QUERY_REQUEST &&
          (label == 20 || label == 21 || label == 2 || label == 3 ||
           label == 13 || label == 7 || label == 19)) ||
         (type == TK_TEEP_QUERY_RESPONSE &&
          (label == 20 || label == 6 || label == 13 || label == 7 ||
           label == 19 || label == 8 || label == 14 || label == 15 ||
           label == 9)) ||
         (type == TK_TEEP_UPDATE &&
          (label == 20 || label == 15 || label == 10 || label == 13 ||
           label == 7 || label == 23 || label == 12 || label == 22)) ||
         (type == TK_TEEP_SUCCESS &&
          (label == 20 || label == 11 || label == 19)) ||
         (type == TK_TEEP_ERROR && (label == 20 || label == 12 || label == 22 ||
                                    label == 1 || label == 21 || label == 4 ||
                                    label == 2 || label == 3 || label == 19)));
    if (!known)
        return TK_OK; /* an option this type does not define is skipped */
    /* tc-list entries are kept as raw maps and checked only for
     * well-formedness, duplicate keys and valid text. */
    if (label == TK_TEEP_LABEL_TC_LIST && t->nodes[n].depth >= 4)
        return TK_OK;
    return TK_ERR_TEEP_BAD_OPTION;
}

/* Runs every mutation of every sample through the decoder. */
static void decoder_mutations(void **state)
{
    (void)state;
    ht_table table = {"teep decode mutations", 0, 0};
    static hs_tree tree;
    static tk_teep_message msg;
    for (size_t s = 0; s < g_sample_count; s++) {
        const sample *sm = &g_samples[s];
        assert_true(hs_parse(&tree, sm->buf, sm->len));
        assert_int_equal(tk_teep_decode(sm->buf, sm->len, &msg, NULL), TK_OK);
        uint32_t type = msg.type;
        char what[256];

        for (size_t cut = 0; cut < sm->len; cut++) {
            uint8_t *p = malloc(cut == 0 ? 1 : cut);
            memcpy(p, sm->buf, cut);
            snprintf(what, sizeof what, "%s truncated to %zu", sm->name, cut);
            ht_expect(&table, tk_teep_decode(p, cut, &msg, NULL),
                      TK_ERR_TEEP_MALFORMED, what);
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
            if (!node->is_key && node->major != 4)
                hs_mutation_set(&muts[nm++], &tree, (int)i, HS_NEST, 1, NULL,
                                0);
            if (i == 0 || (int)i == hs_node_child(&tree, 0, 1))
                hs_mutation_set(&muts[nm++], &tree, (int)i, HS_APPEND, 99, NULL,
                                0);
            for (size_t k = 0; k < nm; k++) {
                uint8_t *p;
                size_t len;
                hs_serialize(&tree, &muts[k], &p, &len);
                snprintf(what, sizeof what, "%s %s", sm->name, muts[k].what);
                ht_expect(&table, tk_teep_decode(p, len, &msg, NULL),
                          expect_mutation(&tree, &muts[k], type), what);
                free(p);
            }
        }
    }
    ht_done(&table);
}

/* ---- The agent receives the mutants signed by its TAM ----------------- */

/*
 * Every mutant that the decoder rejects, signed with the TAM's key, must
 * be rejected by the agent with the decoder's error, answered with an
 * Error carrying ERR_PERMANENT_ERROR, and leave the agent state, the
 * device and its components unchanged. The agent waits for an Update, so
 * that an Update mutant meets the state where a valid one is accepted.
 */
static void agent_rejects_mutants(void **state)
{
    (void)state;
    ht_table table = {"agent rejects teep mutants", 0, 0};
    static hs_tree tree;
    static tk_teep_message msg;
    static hs_device dev;
    static hs_agent agent;
    static uint8_t signed_msg[MSG_CAP], out[MSG_CAP];
    const hs_keys *k = hs_keys_get();
    tk_teep_signer tam = {TK_ALG_ESP256, &k->tam_p256, hs_str(HS_TAM_P256_KID)};
    static uint8_t scratch[MSG_CAP];

    for (size_t s = 0; s < g_sample_count; s++) {
        const sample *sm = &g_samples[s];
        assert_true(hs_parse(&tree, sm->buf, sm->len));
        assert_int_equal(tk_teep_decode(sm->buf, sm->len, &msg, NULL), TK_OK);
        uint32_t type = msg.type;
        for (size_t i = 0; i < tree.count; i++) {
            uint8_t repl[16];
            size_t rl = hs_wrong_type_item(tree.nodes[i].major, repl);
            hs_mutation mut;
            hs_mutation_set(&mut, &tree, (int)i, HS_REPLACE, 0, repl, rl);
            tk_err want = expect_mutation(&tree, &mut, type);
            if (want == TK_OK)
                continue;
            uint8_t *p;
            size_t len;
            hs_serialize(&tree, &mut, &p, &len);
            size_t slen = 0;
            assert_int_equal(tk_teep_sign(hs_crypto(), &tam, 1, hs_view(p, len),
                                          scratch, sizeof scratch, signed_msg,
                                          sizeof signed_msg, &slen),
                             TK_OK);
            free(p);

            hs_device_init(&dev);
            hs_device_set(&dev, hs_view(hs_tc_id, sizeof hs_tc_id),
                          hs_tc_payload, sizeof hs_tc_payload, NULL);
            hs_agent_init(&agent, &dev);
            agent.state.phase = 1;
            agent.state.alg = TK_ALG_ESP256;
            agent.state.deadline = agent.now + 3600;
            agent.state.tam_kid_len = 3;
            memcpy(agent.state.tam_kid, "tam", 3);
            tk_teep_agent_state before;
            memcpy(&before, &agent.state, sizeof before);
            uint8_t fp_before[32], fp_after[32];
            hs_device_fingerprint(&dev, fp_before);

            tk_teep_agent_result res;
            memset(&res, 0, sizeof res);
            tk_err err = tk_teep_agent_handle(&agent.agent, &agent.state,
                                              hs_view(signed_msg, slen), out,
                                              sizeof out, &res);
            char what[256];
            snprintf(what, sizeof what, "%s %s", sm->name, mut.what);
            ht_expect(&table, err, want, what);
            ht_true(&table, res.sent_type == TK_TEEP_ERROR, what);
            ht_true(&table, res.err_code == TK_TEEP_ERR_PERMANENT_ERROR, what);
            ht_true(&table, memcmp(&before, &agent.state, sizeof before) == 0,
                    what);
            hs_device_fingerprint(&dev, fp_after);
            ht_true(&table, memcmp(fp_before, fp_after, 32) == 0, what);
            ht_true(&table, agent.processed == 0, what);
            static tk_teep_message reply;
            static uint8_t copy[MSG_CAP];
            ht_expect(
                &table,
                hs_open(hs_view(out, res.out_len), &reply, copy, sizeof copy),
                TK_OK, what);
            ht_true(&table, reply.err_code == TK_TEEP_ERR_PERMANENT_ERROR,
                    what);
            hs_device_free(&dev);
        }
    }
    ht_done(&table);
}

/* ---- List limits and protocol sizes ----------------------------------- */

/* An option (label and encoded value) for msg_encode(). */
typedef struct option {
    int64_t label;
    const uint8_t *value;
    size_t len;
} option;

/* Appends len bytes to out at *at. */
static void append(uint8_t *out, size_t cap, size_t *at, const uint8_t *p,
                   size_t len)
{
    assert_true(*at + len <= cap);
    if (len > 0)
        memcpy(out + *at, p, len);
    *at += len;
}

/* Encodes [type, {20: token, options...}, positional...] into out. The
 * option values and positional fields are copied as they are, so they may
 * be malformed on purpose. */
static size_t msg_encode(uint64_t type, const option *opts, size_t nopts,
                         const uint8_t *positional, size_t positional_count,
                         size_t positional_len, uint8_t *out, size_t cap)
{
    static const uint8_t token[9] = {0x48, 1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t h[9];
    size_t at = 0;
    append(out, cap, &at, h, hs_cbor_head(4, 2 + positional_count, h));
    append(out, cap, &at, h, hs_cbor_head(0, type, h));
    append(out, cap, &at, h, hs_cbor_head(5, 1 + nopts, h));
    append(out, cap, &at, h, hs_cbor_head(0, TK_TEEP_LABEL_TOKEN, h));
    append(out, cap, &at, token, sizeof token);
    for (size_t i = 0; i < nopts; i++) {
        int64_t label = opts[i].label;
        size_t hl = label >= 0 ? hs_cbor_head(0, (uint64_t)label, h)
                               : hs_cbor_head(1, (uint64_t)(-1 - label), h);
        append(out, cap, &at, h, hl);
        append(out, cap, &at, opts[i].value, opts[i].len);
    }
    append(out, cap, &at, positional, positional_len);
    return at;
}

/* Encodes an array of n copies of the encoded element elem. */
static size_t list_of(size_t n, const uint8_t *elem, size_t elem_len,
                      uint8_t *out, size_t cap)
{
    size_t len = hs_cbor_head(4, n, out);
    for (size_t i = 0; i < n; i++) {
        assert_true(len + elem_len <= cap);
        memcpy(out + len, elem, elem_len);
        len += elem_len;
    }
    return len;
}

/* The positional fields of a QueryRequest with the suites and profiles
 * given as encoded lists. */
static size_t query_positional(const uint8_t *suites, size_t slen,
                               const uint8_t *profiles, size_t plen,
                               uint8_t *out)
{
    memcpy(out, suites, slen);
    memcpy(out + slen, profiles, plen);
    out[slen + plen] = 0x01; /* data-item-requested: attestation */
    return slen + plen + 1;
}

static const uint8_t suite_esp256[] = {0x81, 0x81, 0x82, 0x12, 0x28};
static const uint8_t one_profile[] = {0x81, 0x84, 0x2f, 0x28, 0x38,
                                      0x1c, 0x39, 0xff, 0xfd};

typedef struct list_case {
    const char *name;
    uint64_t type;
    int64_t label;       /* option label, or -1 for a positional list */
    const uint8_t *elem; /* one list entry */
    size_t elem_len;
    size_t max; /* the TK_TEEP_MAX_* limit */
} list_case;

static void list_limits(void **state)
{
    (void)state;
    static const uint8_t u0[] = {0x00};
    static const uint8_t op[] = {0x82, 0x12, 0x28};
    static const uint8_t tc_entry[] = {0xa1, 0x00, 0x81, 0x41, 0x00};
    static const uint8_t requested[] = {0xa1, 0x10, 0x81, 0x41, 0x00};
    static const uint8_t id[] = {0x81, 0x41, 0x00};
    static const uint8_t bstr[] = {0x41, 0x00};
    static const uint8_t suite[] = {0x81, 0x82, 0x12, 0x28};
    static const uint8_t alg[] = {0x2f};
    const list_case cases[] = {
        {"versions", 1, 3, u0, 1, TK_TEEP_MAX_VERSIONS},
        {"freshness", 1, 21, u0, 1, TK_TEEP_MAX_FRESHNESS},
        {"suites", 1, -1, suite, sizeof suite, TK_TEEP_MAX_SUITES},
        {"suite operations", 1, -2, op, sizeof op, TK_TEEP_MAX_SUITE_OPS},
        {"profiles", 1, -3, one_profile + 1, sizeof one_profile - 1,
         TK_TEEP_MAX_PROFILES},
        {"profile algorithms", 1, -4, alg, 1, TK_TEEP_MAX_PROFILE_ALGS},
        {"tc-list", 2, 8, tc_entry, sizeof tc_entry, TK_TEEP_MAX_TC_LIST},
        {"requested-tc-list", 2, 14, requested, sizeof requested,
         TK_TEEP_MAX_REQUESTED_TC},
        {"unneeded-manifest-list", 2, 15, id, sizeof id, TK_TEEP_MAX_UNNEEDED},
        {"ext-list", 2, 9, u0, 1, TK_TEEP_MAX_EXTENSIONS},
        {"manifest-list", 3, 10, bstr, sizeof bstr, TK_TEEP_MAX_MANIFESTS},
        {"suit-reports", 5, 19, bstr, sizeof bstr, TK_TEEP_MAX_SUIT_REPORTS},
        {"error supported suites", 6, 1, suite, sizeof suite,
         TK_TEEP_MAX_SUITES},
    };
    ht_table table = {"teep list limits", 0, 0};
    static tk_teep_message msg;
    uint8_t list[2048], pos[4096], out[8192];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const list_case *lc = &cases[c];
        for (size_t n = lc->max; n <= lc->max + 1; n++) {
            size_t len;
            size_t ll = list_of(n, lc->elem, lc->elem_len, list, sizeof list);
            if (lc->label >= 0) {
                option o = {lc->label, list, ll};
                size_t npos = 0, plen = 0;
                if (lc->type == 1)
                    plen =
                        query_positional(suite_esp256, sizeof suite_esp256,
                                         one_profile, sizeof one_profile, pos),
                    npos = 3;
                if (lc->type == 6)
                    pos[0] = 0x01, npos = 1, plen = 1;
                len = msg_encode(lc->type, &o, 1, pos, npos, plen, out,
                                 sizeof out);
            } else {
                /* Positional lists of a QueryRequest. */
                uint8_t inner[512];
                size_t plen;
                if (lc->label == -1) {
                    plen = query_positional(list, ll, one_profile,
                                            sizeof one_profile, pos);
                } else if (lc->label == -2) {
                    size_t il = list_of(1, list, ll, inner, sizeof inner);
                    plen = query_positional(inner, il, one_profile,
                                            sizeof one_profile, pos);
                } else if (lc->label == -3) {
                    plen = query_positional(suite_esp256, sizeof suite_esp256,
                                            list, ll, pos);
                } else {
                    size_t il = list_of(1, list, ll, inner, sizeof inner);
                    plen = query_positional(suite_esp256, sizeof suite_esp256,
                                            inner, il, pos);
                }
                len = msg_encode(1, NULL, 0, pos, 3, plen, out, sizeof out);
            }
            char what[128];
            snprintf(what, sizeof what, "%s with %zu entries", lc->name, n);
            ht_expect(&table, tk_teep_decode(out, len, &msg, NULL),
                      n <= lc->max ? TK_OK : TK_ERR_TEEP_TOO_MANY, what);
        }
    }
    ht_done(&table);
}

/* A Success message with one option: label and value (encoded). */
static tk_err decode_success_with(int64_t label, const uint8_t *value,
                                  size_t len)
{
    static tk_teep_message msg;
    uint8_t out[2048];
    option o = {label, value, len};
    size_t n = msg_encode(TK_TEEP_SUCCESS, &o, 1, NULL, 0, 0, out, sizeof out);
    return tk_teep_decode(out, n, &msg, NULL);
}

/* Encodes a string of major type major with n bytes of fill into out. */
static size_t string_of(uint8_t major, size_t n, uint8_t fill, uint8_t *out)
{
    size_t h = hs_cbor_head(major, n, out);
    memset(out + h, fill, n);
    return h + n;
}

static void protocol_sizes(void **state)
{
    (void)state;
    ht_table table = {"teep sizes", 0, 0};
    static tk_teep_message msg;
    uint8_t v[1024], out[2048], pos[64];
    size_t n;

    /* token: 8 to 64 bytes. The token of msg_encode() comes first, so the
     * sizes are checked on an Error message's own token instead. */
    const size_t tokens[] = {0, 7, 8, 64, 65};
    for (size_t i = 0; i < 5; i++) {
        tk_cbor_enc enc;
        tk_cbor_enc_init(&enc, out, sizeof out, 0);
        tk_cbor_enc_put_array(&enc, 3);
        tk_cbor_enc_put_uint(&enc, TK_TEEP_ERROR);
        tk_cbor_enc_put_map(&enc, 1);
        tk_cbor_enc_put_uint(&enc, TK_TEEP_LABEL_TOKEN);
        memset(v, 0x5a, tokens[i]);
        tk_cbor_enc_put_bstr(&enc, v, tokens[i]);
        tk_cbor_enc_put_uint(&enc, 1);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        char what[64];
        snprintf(what, sizeof what, "token of %zu bytes", tokens[i]);
        ht_expect(&table, tk_teep_decode(out, n, &msg, NULL),
                  tokens[i] >= 8 && tokens[i] <= 64 ? TK_OK
                                                    : TK_ERR_TEEP_BAD_OPTION,
                  what);
    }

    /* challenge of a QueryRequest: 8 to 512 bytes. */
    const size_t challenges[] = {7, 8, 512, 513};
    size_t plen = query_positional(suite_esp256, sizeof suite_esp256,
                                   one_profile, sizeof one_profile, pos);
    for (size_t i = 0; i < 4; i++) {
        size_t vl = string_of(2, challenges[i], 0xc5, v);
        option o = {TK_TEEP_LABEL_CHALLENGE, v, vl};
        n = msg_encode(1, &o, 1, pos, 3, plen, out, sizeof out);
        char what[64];
        snprintf(what, sizeof what, "challenge of %zu bytes", challenges[i]);
        ht_expect(&table, tk_teep_decode(out, n, &msg, NULL),
                  challenges[i] >= 8 && challenges[i] <= 512
                      ? TK_OK
                      : TK_ERR_TEEP_BAD_OPTION,
                  what);
    }

    /* msg of a Success: at most 128 bytes of valid UTF-8. */
    n = string_of(3, 128, 'm', v);
    ht_expect(&table, decode_success_with(TK_TEEP_LABEL_MSG, v, n), TK_OK,
              "msg of 128 bytes");
    n = string_of(3, 129, 'm', v);
    ht_expect(&table, decode_success_with(TK_TEEP_LABEL_MSG, v, n),
              TK_ERR_TEEP_BAD_OPTION, "msg of 129 bytes");
    static const uint8_t bad_utf8[] = {0x62, 0xc0, 0x80};
    ht_expect(&table,
              decode_success_with(TK_TEEP_LABEL_MSG, bad_utf8, sizeof bad_utf8),
              TK_ERR_TEEP_BAD_OPTION, "msg with an overlong UTF-8 form");
    static const uint8_t huge_text[] = {0x7b, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 'x'};
    ht_expect(
        &table,
        decode_success_with(TK_TEEP_LABEL_MSG, huge_text, sizeof huge_text),
        TK_ERR_TEEP_MALFORMED, "msg declaring 2^64-1 bytes");

    /* Labels: text, negative, very large (unknown, so skipped), and the
     * token twice under two encodings of label 20. */
    static const uint8_t one[] = {0x01};
    tk_cbor_enc enc;
    const struct {
        const char *name;
        const uint8_t *key;
        size_t key_len;
        tk_err want;
    } labels[] = {
        {"text label", (const uint8_t *)"\x61x", 2, TK_ERR_TEEP_BAD_LABEL},
        {"negative label", (const uint8_t *)"\x20", 1, TK_ERR_TEEP_BAD_LABEL},
        {"label 2^64-1",
         (const uint8_t *)"\x1b\xff\xff\xff\xff\xff\xff\xff\xff", 9, TK_OK},
        {"label 20 in two bytes", (const uint8_t *)"\x18\x14", 2,
         TK_ERR_TEEP_DUPLICATE_OPTION},
        {"bstr label", (const uint8_t *)"\x41\x14", 2, TK_ERR_TEEP_BAD_LABEL},
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        static const uint8_t token[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        tk_cbor_enc_init(&enc, out, sizeof out, 0);
        tk_cbor_enc_put_array(&enc, 2);
        tk_cbor_enc_put_uint(&enc, TK_TEEP_SUCCESS);
        tk_cbor_enc_put_map(&enc, 2);
        tk_cbor_enc_put_uint(&enc, TK_TEEP_LABEL_TOKEN);
        tk_cbor_enc_put_bstr(&enc, token, sizeof token);
        tk_cbor_enc_put_raw(&enc, labels[i].key, labels[i].key_len);
        if (i == 3)
            tk_cbor_enc_put_bstr(&enc, token, sizeof token);
        else
            tk_cbor_enc_put_raw(&enc, one, 1);
        assert_int_equal(tk_cbor_enc_finish(&enc, &n), TK_OK);
        ht_expect(&table, tk_teep_decode(out, n, &msg, NULL), labels[i].want,
                  labels[i].name);
    }

    /* Message types: reserved and unknown ones keep the token. */
    const uint64_t types[] = {0,  4,  7,          23,
                              24, 99, UINT32_MAX, (uint64_t)UINT32_MAX + 1};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        n = msg_encode(types[i], NULL, 0, NULL, 0, 0, out, sizeof out);
        char what[64];
        snprintf(what, sizeof what, "type %llu", (unsigned long long)types[i]);
        ht_expect(&table, tk_teep_decode(out, n, &msg, NULL),
                  TK_ERR_TEEP_UNKNOWN_TYPE, what);
        ht_true(&table, msg.token.len == 8, what);
    }

    /* err-code of an Error: 0 is reserved; codes above 23 are unknown
     * errors that a receiver handles gracefully (draft-ietf-teep-protocol
     * section 4.6), so they decode. */
    const struct {
        uint8_t code[3];
        size_t len;
        tk_err want;
    } codes[] = {{{0x00}, 1, TK_ERR_TEEP_BAD_ERR_CODE},
                 {{0x01}, 1, TK_OK},
                 {{0x17}, 1, TK_OK},
                 {{0x18, 0x18}, 2, TK_OK},
                 {{0x20}, 1, TK_ERR_TEEP_BAD_OPTION},
                 {{0xf5}, 1, TK_ERR_TEEP_BAD_OPTION}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        n = msg_encode(TK_TEEP_ERROR, NULL, 0, codes[i].code, 1, codes[i].len,
                       out, sizeof out);
        char what[64];
        snprintf(what, sizeof what, "err-code case %zu", i);
        ht_expect(&table, tk_teep_decode(out, n, &msg, NULL), codes[i].want,
                  what);
    }

    /* Framing: a trailing byte, a missing positional field, one too many. */
    n = msg_encode(TK_TEEP_SUCCESS, NULL, 0, NULL, 0, 0, out, sizeof out);
    out[n] = 0x00;
    ht_expect(&table, tk_teep_decode(out, n + 1, &msg, NULL),
              TK_ERR_TEEP_MALFORMED, "trailing byte");
    n = msg_encode(TK_TEEP_ERROR, NULL, 0, NULL, 0, 0, out, sizeof out);
    ht_expect(&table, tk_teep_decode(out, n, &msg, NULL), TK_ERR_TEEP_MALFORMED,
              "Error without err-code");
    static const uint8_t two_codes[] = {0x01, 0x01};
    n = msg_encode(TK_TEEP_ERROR, NULL, 0, two_codes, 2, 2, out, sizeof out);
    ht_expect(&table, tk_teep_decode(out, n, &msg, NULL), TK_ERR_TEEP_MALFORMED,
              "Error with two err-codes");

    /* Nesting inside an option that Success does not define: 14 more
     * levels fit in TK_CBOR_MAX_DEPTH, 15 do not. */
    for (size_t levels = 14; levels <= 15; levels++) {
        memset(v, 0x81, levels);
        v[levels] = 0x00;
        char what[64];
        snprintf(what, sizeof what, "unknown option nested %zu deep", levels);
        ht_expect(&table, decode_success_with(99, v, levels + 1),
                  levels + 2 <= TK_CBOR_MAX_DEPTH ? TK_OK
                                                  : TK_ERR_TEEP_MALFORMED,
                  what);
    }
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_mutations),
        cmocka_unit_test(agent_rejects_mutants),
        cmocka_unit_test(list_limits),
        cmocka_unit_test(protocol_sizes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
