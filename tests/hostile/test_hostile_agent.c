/*
 * Hostile TEEP messages to the agent service (apps/agent): a device
 * identity in a temporary store folder, trusting the fixed TAM and SUIT
 * signer keys. Every QueryRequest and Update that the TEEP decoder
 * rejects, signed by the trusted TAM, must be rejected by tk_agent_handle()
 * with the decoder's error, answered with an Error, and leave every file
 * of the store folder (state, components, keys) byte for byte unchanged.
 * The valid Update then installs its component, and the same Update sent
 * again is rejected without touching the folder.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "hs.h"
#include "hs_mutate.h"
#include "ht.h"
#include "keyfile.h"
#include "log.h"

typedef struct fixture {
    char dir[64];
    char store[96];
    tk_agent *agent;
} fixture;

static fixture g_f;

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static unsigned long g_hash;

static int hash_entry(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    unsigned long h = g_hash;
    for (const char *c = path; *c != 0; c++)
        h = h * 131 + (unsigned char)*c;
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        int ch;
        while ((ch = fgetc(f)) != EOF)
            h = h * 131 + (unsigned)ch;
        fclose(f);
    }
    g_hash = h ^ (unsigned long)st->st_size;
    return 0;
}

/* A digest of every file name and content under the store folder. */
static unsigned long store_digest(void)
{
    g_hash = 0;
    nftw(g_f.store, hash_entry, 16, FTW_PHYS);
    return g_hash;
}

static void save_key(const char *name, const tk_key *key, tk_alg alg)
{
    char path[160], msg[256] = "";
    snprintf(path, sizeof path, "%s/%s", g_f.dir, name);
    assert_int_equal(
        tk_keyfile_save_cose(path, key, alg, false, msg, sizeof msg), TK_OK);
}

static int setup(void **state)
{
    (void)state;
    tk_log_set_level(TK_LOG_OFF); /* hundreds of rejections are expected */
    const hs_keys *k = hs_keys_get();
    snprintf(g_f.dir, sizeof g_f.dir, "/tmp/tk-hostile-agent.XXXXXX");
    assert_non_null(mkdtemp(g_f.dir));
    snprintf(g_f.store, sizeof g_f.store, "%s/store", g_f.dir);
    tk_agent_init_options io;
    memset(&io, 0, sizeof io);
    io.store_dir = g_f.store;
    io.vendor_id = "c0ddd5f1-5243-5660-87db-4f5b0aa26c2f";
    io.class_id = "db42f709-3d8c-55ba-a8c5-265fc5820f4e";
    char msg[512] = "";
    assert_int_equal(tk_agent_init_store(hs_crypto(), &io, msg, sizeof msg),
                     TK_OK);
    save_key("tam-p256.cose", &k->tam_p256, TK_ALG_ESP256);
    save_key("tam-ed25519.cose", &k->tam_ed25519, TK_ALG_ED25519);
    save_key("signer.cose", &k->suit_p256, TK_ALG_ESP256);

    char tam1[160], tam2[160], signer[160];
    snprintf(tam1, sizeof tam1, "%s/tam-p256.cose", g_f.dir);
    snprintf(tam2, sizeof tam2, "%s/tam-ed25519.cose", g_f.dir);
    snprintf(signer, sizeof signer, "%s/signer.cose", g_f.dir);
    const char *tam_keys[2] = {tam1, tam2};
    const char *signer_keys[1] = {signer};
    tk_agent_options o;
    memset(&o, 0, sizeof o);
    o.store_dir = g_f.store;
    o.crypto = hs_crypto();
    o.tam_keys = tam_keys;
    o.tam_key_count = 2;
    o.signer_keys = signer_keys;
    o.signer_key_count = 1;
    if (tk_agent_open(&o, &g_f.agent, msg, sizeof msg) != TK_OK)
        fail_msg("tk_agent_open: %s", msg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_agent_close(g_f.agent);
    nftw(g_f.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* Signs payload as the TAM (ESP256, kid "tam-p256"). */
static size_t sign_as_tam(const uint8_t *payload, size_t len, uint8_t *out,
                          size_t cap)
{
    const hs_keys *k = hs_keys_get();
    tk_teep_signer tam = {TK_ALG_ESP256, &k->tam_p256, hs_str(HS_TAM_P256_KID)};
    static uint8_t scratch[HS_BUF];
    size_t n = 0;
    assert_int_equal(tk_teep_sign(hs_crypto(), &tam, 1, hs_view(payload, len),
                                  scratch, sizeof scratch, out, cap, &n),
                     TK_OK);
    return n;
}

/* Sends every mutant of payload that the decoder rejects and checks the
 * agent's answer and the folder. */
static void reject_mutants(ht_table *t, const char *name,
                           const uint8_t *payload, size_t len)
{
    static hs_tree tree;
    static tk_teep_message msg;
    static uint8_t signed_msg[HS_BUF];
    assert_true(hs_parse(&tree, payload, len));
    char what[256];
    for (size_t i = 0; i < tree.count; i++) {
        const hs_node *node = &tree.nodes[i];
        hs_mutation muts[3];
        size_t nm = 0;
        uint8_t repl[16];
        size_t rl = hs_wrong_type_item(node->major, repl);
        hs_mutation_set(&muts[nm++], &tree, (int)i, HS_REPLACE, 0, repl, rl);
        if (node->major == 5 && node->arg > 0)
            hs_mutation_set(&muts[nm++], &tree, (int)i, HS_DUPLICATE, 0, NULL,
                            0);
        if (node->major >= 2 && node->major <= 5)
            hs_mutation_set(&muts[nm++], &tree, (int)i, HS_ARGUMENT,
                            UINT64_MAX >> 1, NULL, 0);
        for (size_t m = 0; m < nm; m++) {
            uint8_t *p;
            size_t plen;
            hs_serialize(&tree, &muts[m], &p, &plen);
            tk_err want = tk_teep_decode(p, plen, &msg, NULL);
            if (want == TK_OK) {
                free(p);
                continue;
            }
            size_t slen = sign_as_tam(p, plen, signed_msg, sizeof signed_msg);
            free(p);
            unsigned long before = store_digest();
            const uint8_t *out = NULL;
            size_t out_len = 0;
            tk_teep_agent_result res;
            memset(&res, 0, sizeof res);
            tk_err err = tk_agent_handle(g_f.agent, signed_msg, slen, &out,
                                         &out_len, &res);
            snprintf(what, sizeof what, "%s %s", name, muts[m].what);
            ht_expect(t, err, want, what);
            ht_true(t, res.sent_type == TK_TEEP_ERROR, what);
            ht_true(t, out_len > 0, what);
            ht_true(t, store_digest() == before, what);
        }
    }
}

static void hostile_messages(void **state)
{
    (void)state;
    ht_table table = {"agent service", 0, 0};
    static uint8_t msg[HS_BUF], copy[HS_BUF];
    static tk_teep_message m;

    /* A QueryRequest from the TAM state machine with the fixed keys. */
    static hs_tam tam;
    hs_tam_init(&tam);
    tk_teep_tam_result tr;
    assert_int_equal(tk_teep_tam_start(&tam.tam, hs_view(NULL, 0),
                                       TK_ALG_ESP256, msg, sizeof msg, &tr),
                     TK_OK);
    assert_int_equal(hs_open(hs_view(msg, tr.out_len), &m, copy, sizeof copy),
                     TK_OK);
    static uint8_t query[HS_BUF];
    size_t query_len = 0;
    assert_int_equal(tk_teep_encode(&m, query, sizeof query, &query_len),
                     TK_OK);
    reject_mutants(&table, "QueryRequest", query, query_len);

    /* The valid QueryRequest: the agent answers and saves its state. */
    const uint8_t *out = NULL;
    size_t out_len = 0;
    tk_teep_agent_result res;
    assert_int_equal(
        tk_agent_handle(g_f.agent, msg, tr.out_len, &out, &out_len, &res),
        TK_OK);
    ht_true(&table, res.sent_type == TK_TEEP_QUERY_RESPONSE,
            "valid QueryRequest");

    /* Update mutants while the agent waits for the Update. */
    static uint8_t env[4096];
    size_t env_len = hs_tc_envelope(3, true, env, sizeof env);
    memset(&m, 0, sizeof m);
    m.type = TK_TEEP_UPDATE;
    static const uint8_t token[16] = {0x55, 1, 2,  3,  4,  5,  6,  7,
                                      8,    9, 10, 11, 12, 13, 14, 15};
    m.token = hs_view(token, sizeof token);
    TK_TEEP_SET(&m, TK_TEEP_LABEL_TOKEN);
    m.manifest_count = 1;
    m.manifests[0] = hs_view(env, env_len);
    TK_TEEP_SET(&m, TK_TEEP_LABEL_MANIFEST_LIST);
    static uint8_t update[HS_BUF];
    size_t update_len = 0;
    assert_int_equal(tk_teep_encode(&m, update, sizeof update, &update_len),
                     TK_OK);
    reject_mutants(&table, "Update", update, update_len);

    /* The valid Update installs the component. */
    size_t slen = sign_as_tam(update, update_len, msg, sizeof msg);
    unsigned long before = store_digest();
    tk_err err = tk_agent_handle(g_f.agent, msg, slen, &out, &out_len, &res);
    ht_expect(&table, err, TK_OK, "valid Update");
    ht_true(&table, res.installed == 1, "valid Update installs");
    ht_true(&table, res.sent_type == TK_TEEP_SUCCESS, "valid Update succeeds");
    ht_true(&table, store_digest() != before, "valid Update writes");

    /* The same Update again: a replay, rejected without a change. */
    before = store_digest();
    err = tk_agent_handle(g_f.agent, msg, slen, &out, &out_len, &res);
    ht_expect(&table, err, TK_ERR_TEEP_UNEXPECTED_UPDATE, "replayed Update");
    ht_true(&table, res.installed == 0, "replayed Update installs nothing");
    ht_true(&table, store_digest() == before, "replayed Update");
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hostile_messages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
