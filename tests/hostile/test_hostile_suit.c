/*
 * Hostile SUIT envelopes and manifests, processed by the SUIT processor on
 * the in-memory device of tests/hostile/support, which holds the Trusted
 * Component at sequence number 2.
 *
 * The manifest of a valid update (hs_tc_manifest, sequence 3) is mutated
 * item by item, down into its bstr-wrapped members, and each mutant is
 * signed again, so that it passes authentication and reaches the manifest
 * decoder and the command sequences. The envelope around it is mutated
 * too, without signing again. Every case must give its specific error,
 * and a failed update must leave every image and rollback record of the
 * device unchanged and commit nothing.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs.h"
#include "hs_mutate.h"
#include "ht.h"
#if TK_HOSTILE_SUITDEV
#include "suitdev.h"
#endif

#define ENV_CAP 16384

static hs_device g_dev;

/* Resets the device: the Trusted Component installed at sequence 2, its
 * payload served at its URI. */
static void device_reset(void)
{
    hs_device_free(&g_dev);
    hs_device_init(&g_dev);
    tk_suit_installed rec;
    memset(&rec, 0, sizeof rec);
    rec.sequence_number = 2;
    hs_device_set(&g_dev, hs_view(hs_tc_id, sizeof hs_tc_id),
                  (const uint8_t *)"old image", 9, &rec);
    hs_device_add_uri(&g_dev, hs_tc_uri, hs_tc_payload, sizeof hs_tc_payload);
}

typedef struct outcome {
    tk_err err;
    bool unchanged; /* images and records as before */
    unsigned long commits;
} outcome;

/* Processes envelope with op on a freshly reset device, with processor
 * flags and a record table of record_cap entries. */
static outcome process_with(const uint8_t *env, size_t len,
                            tk_suit_operation op, uint32_t flags,
                            size_t record_cap)
{
    static tk_suit_processor proc;
    static tk_suit_record records[32];
    device_reset();
    uint8_t before[32], after[32];
    hs_device_fingerprint(&g_dev, before);
    tk_suit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.crypto = hs_crypto();
    cfg.platform = &g_dev.pf;
    cfg.flags = flags;
    cfg.records = records;
    cfg.record_cap = record_cap < 32 ? record_cap : 32;
    assert_int_equal(tk_suit_processor_init(&proc, &cfg), TK_OK);
    outcome o;
    o.err = tk_suit_process(&proc, hs_view(env, len), op);
    hs_device_fingerprint(&g_dev, after);
    o.unchanged = memcmp(before, after, sizeof before) == 0;
    o.commits = g_dev.commits;
    assert_false(g_dev.in_procedure);
    return o;
}

static outcome process(const uint8_t *env, size_t len, tk_suit_operation op)
{
    return process_with(env, len, op, 0, 32);
}

/* Signs manifest into a tagged envelope (with the integrated payload when
 * integrated is set). */
static size_t envelope_of(const uint8_t *manifest, size_t len, uint8_t *out,
                          size_t cap)
{
    size_t n = 0;
    assert_int_equal(hs_suit_envelope(hs_view(manifest, len), hs_view(NULL, 0),
                                      0, &hs_keys_get()->suit_p256,
                                      TK_ALG_ESP256, out, cap, &n),
                     TK_OK);
    return n;
}

/* ---- Manifest mutations, signed again ---------------------------------- */

/* Tells whether node i lies strictly inside the bstr-wrapped content of
 * manifest member key (a command sequence the operation may not run). */
static bool inside_member(const hs_tree *t, int i, int64_t key)
{
    int member = hs_node_map_get(t, 0, key);
    return member != HS_NO_NODE && i != member && hs_node_within(t, i, member);
}

/* Node i is a SUIT_Parameters map: a map inside a command sequence. */
static bool is_parameters(const hs_tree *t, int i)
{
    const hs_node *n = &t->nodes[i];
    return n->major == 5 && n->parent != HS_NO_NODE &&
           t->nodes[n->parent].major == 4;
}

static tk_err expect_manifest(const hs_tree *t, const hs_mutation *m)
{
    int i = m->node;
    const hs_node *n = &t->nodes[i];
    /* The update procedure never runs suit-uninstall, and the decoder
     * checks a sequence's commands only when it runs them. */
    if (inside_member(t, i, TK_SUIT_MANIFEST_UNINSTALL))
        return TK_OK;
    switch (m->change) {
    case HS_ARGUMENT:
        return n->major >= 4 ? TK_ERR_CBOR_COUNT_TOO_LARGE
                             : TK_ERR_CBOR_TRUNCATED;
    case HS_DUPLICATE:
        return TK_ERR_SUIT_DUPLICATE_KEY;
    case HS_APPEND: {
        int common = hs_node_child(t, hs_node_map_get(t, 0, 3), 0);
        int components = hs_node_map_get(t, common, 2);
        if (i == 0 || i == common)
            return TK_ERR_SUIT_UNKNOWN_MEMBER; /* member 99 */
        if (i == components)
            return TK_ERR_SUIT_SET_INDEX_REQUIRED; /* two components */
        if (n->parent == components)
            return TK_OK; /* a longer identifier: another component */
        if (is_parameters(t, i))
            return TK_ERR_SUIT_PARAMETER_UNSUPPORTED; /* parameter 99 */
        if (n->major == 4 && n->parent != HS_NO_NODE &&
            t->nodes[n->parent].major == 2 &&
            t->nodes[t->nodes[n->parent].parent].major == 5 && n->arg == 2 &&
            t->nodes[n->first].major == 1)
            return TK_OK;             /* SUIT_Digest extensions are allowed */
        return TK_ERR_SUIT_MALFORMED; /* a command without its argument */
    }
    default:
        return TK_ERR_SUIT_MALFORMED; /* a wrong type or nesting */
    }
}

static void manifest_mutations(void **state)
{
    (void)state;
    ht_table table = {"suit manifest mutations", 0, 0};
    static hs_tree tree;
    uint8_t manifest[2048];
    static uint8_t env[ENV_CAP];
    char what[256];
    size_t mlen = hs_tc_manifest(3, false, manifest, sizeof manifest);
    assert_true(mlen > 0);
    size_t elen = envelope_of(manifest, mlen, env, sizeof env);
    outcome ok = process(env, elen, TK_SUIT_OP_UPDATE);
    assert_int_equal(ok.err, TK_OK);
    assert_int_equal(ok.commits, 1);
    assert_true(hs_parse(&tree, manifest, mlen));

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
            size_t n = envelope_of(p, plen, env, sizeof env);
            outcome o = process(env, n, TK_SUIT_OP_UPDATE);
            tk_err want = expect_manifest(&tree, &muts[m]);
            snprintf(what, sizeof what, "update: %s", muts[m].what);
            ht_expect(&table, o.err, want, what);
            if (want != TK_OK) {
                ht_true(&table, o.unchanged, what);
                ht_true(&table, o.commits == 0, what);
            }
            /* A broken uninstall sequence fails when it runs. */
            if (inside_member(&tree, (int)i, TK_SUIT_MANIFEST_UNINSTALL) &&
                muts[m].change != HS_APPEND) {
                o = process(env, n, TK_SUIT_OP_UNINSTALL);
                snprintf(what, sizeof what, "uninstall: %s", muts[m].what);
                ht_expect(&table, o.err,
                          muts[m].change == HS_ARGUMENT &&
                                  tree.nodes[i].major >= 4
                              ? TK_ERR_CBOR_COUNT_TOO_LARGE
                              : TK_ERR_SUIT_MALFORMED,
                          what);
                ht_true(&table, o.unchanged, what);
            }
            free(p);
        }
    }

    /* The manifest truncated at every byte: the CBOR error surfaces. */
    for (size_t cut = 0; cut < mlen; cut++) {
        size_t n = envelope_of(manifest, cut, env, sizeof env);
        outcome o = process(env, n, TK_SUIT_OP_UPDATE);
        snprintf(what, sizeof what, "manifest truncated to %zu", cut);
        ht_expect(&table, o.err, tk_cbor_validate(manifest, cut, 0, NULL),
                  what);
        ht_true(&table, o.unchanged && o.commits == 0, what);
    }
    ht_done(&table);
    hs_device_free(&g_dev);
}

/* ---- Envelope mutations, not signed again ----------------------------- */

/* Tells whether node i lies inside the content of the byte string at key
 * of the envelope map (or is that content). */
static bool inside_content(const hs_tree *t, int map, int i, int64_t key)
{
    int member = hs_node_map_get(t, map, key);
    return member != HS_NO_NODE && i != member && hs_node_within(t, i, member);
}

static void envelope_mutations(void **state)
{
    (void)state;
    ht_table table = {"suit envelope mutations", 0, 0};
    static hs_tree tree;
    uint8_t manifest[2048];
    static uint8_t env[ENV_CAP];
    char what[256];
    size_t mlen = hs_tc_manifest(3, false, manifest, sizeof manifest);
    size_t elen = envelope_of(manifest, mlen, env, sizeof env);
    assert_true(hs_parse(&tree, env, elen));
    int map = hs_node_child(&tree, 0, 0);
    int auth = hs_node_child(&tree, hs_node_map_get(&tree, map, 2), 0);
    int digest_bstr = hs_node_child(&tree, auth, 0);
    int digest = hs_node_child(&tree, digest_bstr, 0);
    int block_bstr = hs_node_child(&tree, auth, 1);
    int block = hs_node_child(&tree, block_bstr, 0);

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
            const hs_mutation *mu = &muts[m];
            uint8_t *p;
            size_t plen;
            hs_serialize(&tree, mu, &p, &plen);
            outcome o = process(p, plen, TK_SUIT_OP_UPDATE);
            free(p);
            snprintf(what, sizeof what, "%s", mu->what);
            ht_true(&table, o.unchanged || o.err == TK_OK, what);

            bool in_block = block != HS_NO_NODE &&
                            hs_node_within(&tree, (int)i, block) &&
                            (int)i != block;
            if (in_block) {
                /* Inside the COSE_Sign1: test_hostile_cose.c checks the
                 * codes; here the envelope must only be rejected. */
                ht_true(&table, o.err != TK_OK, what);
                continue;
            }
            tk_err want;
            bool nest_or_replace =
                mu->change == HS_REPLACE || mu->change == HS_NEST;
            if (inside_content(&tree, map, (int)i, TK_SUIT_ENV_MANIFEST))
                want = TK_ERR_SUIT_MANIFEST_DIGEST;
            else if (mu->change == HS_ARGUMENT)
                want = node->major >= 4 ? TK_ERR_CBOR_COUNT_TOO_LARGE
                                        : TK_ERR_CBOR_TRUNCATED;
            else if (mu->change == HS_DUPLICATE)
                want = TK_ERR_SUIT_DUPLICATE_KEY;
            else if (mu->change == HS_APPEND)
                /* Member 99 is an unknown extension; a second copy of the
                 * block verifies; a longer SUIT_Digest no longer matches
                 * what the block signed. */
                want = (int)i == digest ? TK_ERR_SUIT_SIGNATURE : TK_OK;
            else if ((int)i == block && nest_or_replace)
                want = TK_ERR_SUIT_ALG_UNSUPPORTED;
            else if (node->is_key && node->parent == map)
                want = TK_ERR_SUIT_MISSING_MEMBER;
            else
                want = TK_ERR_SUIT_MALFORMED;
            ht_expect(&table, o.err, want, what);
            if (want != TK_OK)
                ht_true(&table, o.commits == 0, what);
        }
    }

    /* The envelope truncated at every byte. */
    for (size_t cut = 0; cut < elen; cut++) {
        outcome o = process(env, cut, TK_SUIT_OP_UPDATE);
        snprintf(what, sizeof what, "envelope truncated to %zu", cut);
        tk_err want = tk_cbor_validate(env, cut, 0, NULL);
        ht_true(&table, want != TK_OK, what);
        ht_expect(&table, o.err, want, what);
        ht_true(&table, o.unchanged && o.commits == 0, what);
    }
    ht_done(&table);
    hs_device_free(&g_dev);
}

/* ---- Table limits plus one -------------------------------------------- */

/* Writes a manifest with n components [h'0i'] and the command sequence
 * install (encoded, may be empty for none) into out. */
static size_t manifest_with(size_t n, const uint8_t *install,
                            size_t install_len, uint8_t *out, size_t cap)
{
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_map(&enc, install_len > 0 ? 4 : 3);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_VERSION);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_SEQUENCE_NUMBER);
    tk_cbor_enc_put_uint(&enc, 3);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_COMMON);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_cbor_enc_put_map(&enc, 1);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COMMON_COMPONENTS);
    tk_cbor_enc_put_array(&enc, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t part = (uint8_t)i;
        tk_cbor_enc_put_array(&enc, 1);
        tk_cbor_enc_put_bstr(&enc, &part, 1);
    }
    tk_cbor_enc_bstr_wrap_end(&enc);
    if (install_len > 0) {
        tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_INSTALL);
        tk_cbor_enc_put_bstr(&enc, install, install_len);
    }
    size_t len = 0;
    assert_int_equal(tk_cbor_enc_finish(&enc, &len), TK_OK);
    return len;
}

/* The encoded bytes of byte-string node n, head included. */
static tk_view bstr_raw(const hs_node *n)
{
    size_t head = 1 + (n->ai < 24 ? 0 : (size_t)1 << (n->ai - 24));
    return hs_view(n->content - head, head + (size_t)n->arg);
}

/* Writes a command sequence of try-each nested depth levels deep, whose
 * innermost sequences check the vendor identifier. */
static size_t nested_try_each(size_t depth, uint8_t *out, size_t cap)
{
    /* Innermost: [override-parameters {1: vendor}, vendor-identifier 15]. */
    uint8_t seq[8192];
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, seq, sizeof seq, 0);
    tk_cbor_enc_put_array(&enc, 4);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_DIR_OVERRIDE_PARAMETERS);
    tk_cbor_enc_put_map(&enc, 1);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_PARAM_VENDOR_ID);
    tk_cbor_enc_put_bstr(&enc, hs_vendor_id, 16);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COND_VENDOR_IDENTIFIER);
    tk_cbor_enc_put_uint(&enc, 15);
    size_t len = 0;
    assert_int_equal(tk_cbor_enc_finish(&enc, &len), TK_OK);
    for (size_t level = 0; level < depth; level++) {
        uint8_t next[8192];
        tk_cbor_enc_init(&enc, next, sizeof next, 0);
        tk_cbor_enc_put_array(&enc, 2);
        tk_cbor_enc_put_uint(&enc, TK_SUIT_DIR_TRY_EACH);
        tk_cbor_enc_put_array(&enc, 2);
        tk_cbor_enc_put_bstr(&enc, seq, len);
        tk_cbor_enc_put_bstr(&enc, seq, len);
        assert_int_equal(tk_cbor_enc_finish(&enc, &len), TK_OK);
        memcpy(seq, next, len);
    }
    assert_true(len <= cap);
    memcpy(out, seq, len);
    return len;
}

static void suit_limits(void **state)
{
    (void)state;
    ht_table table = {"suit limits", 0, 0};
    uint8_t manifest[8192];
    static uint8_t env[ENV_CAP];
    char what[128];
    size_t mlen, elen;
    outcome o;

    /* Components of one manifest. */
    for (size_t n = TK_SUIT_MAX_COMPONENTS; n <= TK_SUIT_MAX_COMPONENTS + 1;
         n++) {
        mlen = manifest_with(n, NULL, 0, manifest, sizeof manifest);
        elen = envelope_of(manifest, mlen, env, sizeof env);
        o = process(env, elen, TK_SUIT_OP_UPDATE);
        snprintf(what, sizeof what, "%zu components", n);
        ht_expect(&table, o.err,
                  n <= TK_SUIT_MAX_COMPONENTS ? TK_OK : TK_ERR_LIMIT, what);
    }

    /* try-each nesting: TK_SUIT_MAX_TRY_DEPTH levels, then one more. */
    for (size_t d = TK_SUIT_MAX_TRY_DEPTH; d <= TK_SUIT_MAX_TRY_DEPTH + 1;
         d++) {
        uint8_t install[8192];
        size_t il = nested_try_each(d, install, sizeof install);
        mlen = manifest_with(1, install, il, manifest, sizeof manifest);
        elen = envelope_of(manifest, mlen, env, sizeof env);
        o = process(env, elen, TK_SUIT_OP_UPDATE);
        snprintf(what, sizeof what, "try-each nested %zu deep", d);
        ht_expect(&table, o.err,
                  d <= TK_SUIT_MAX_TRY_DEPTH ? TK_OK : TK_ERR_SUIT_DEPTH, what);
        ht_true(&table, o.err == TK_OK || (o.unchanged && o.commits == 0),
                what);
    }

    /* Integrated payloads in one envelope: "#0", "#1", ... */
    mlen = hs_tc_manifest(3, false, manifest, sizeof manifest);
    for (size_t n = TK_SUIT_MAX_INTEGRATED; n <= TK_SUIT_MAX_INTEGRATED + 1;
         n++) {
        uint8_t extra[256];
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            extra[at++] = 0x62;
            extra[at++] = '#';
            extra[at++] = (uint8_t)('0' + i);
            extra[at++] = 0x41;
            extra[at++] = (uint8_t)i;
        }
        assert_int_equal(
            hs_suit_envelope(hs_view(manifest, mlen), hs_view(extra, at), n,
                             &hs_keys_get()->suit_p256, TK_ALG_ESP256, env,
                             sizeof env, &elen),
            TK_OK);
        o = process(env, elen, TK_SUIT_OP_UPDATE);
        snprintf(what, sizeof what, "%zu integrated payloads", n);
        ht_expect(&table, o.err,
                  n <= TK_SUIT_MAX_INTEGRATED ? TK_OK : TK_ERR_LIMIT, what);
    }

    /* Authentication blocks: copies of the valid block. */
    elen = envelope_of(manifest, mlen, env, sizeof env);
    static hs_tree tree;
    assert_true(hs_parse(&tree, env, elen));
    int map = hs_node_child(&tree, 0, 0);
    int auth = hs_node_child(&tree, hs_node_map_get(&tree, map, 2), 0);
    int digest_bstr = hs_node_child(&tree, auth, 0);
    int block_bstr = hs_node_child(&tree, auth, 1);
    tk_view digest_raw = bstr_raw(&tree.nodes[digest_bstr]);
    tk_view block_raw = bstr_raw(&tree.nodes[block_bstr]);
    for (size_t n = TK_SUIT_MAX_SIGNATURES; n <= TK_SUIT_MAX_SIGNATURES + 1;
         n++) {
        /* [digest, block * n], from the original bytes of both. */
        uint8_t wrapper[4096];
        size_t at = hs_cbor_head(4, 1 + n, wrapper);
        memcpy(wrapper + at, digest_raw.ptr, digest_raw.len);
        at += digest_raw.len;
        for (size_t i = 0; i < n; i++) {
            assert_true(at + block_raw.len <= sizeof wrapper);
            memcpy(wrapper + at, block_raw.ptr, block_raw.len);
            at += block_raw.len;
        }
        hs_mutation m;
        hs_mutation_set(&m, &tree, auth, HS_REPLACE, 0, wrapper, at);
        uint8_t *p;
        size_t plen;
        hs_serialize(&tree, &m, &p, &plen);
        o = process(p, plen, TK_SUIT_OP_UPDATE);
        free(p);
        snprintf(what, sizeof what, "%zu authentication blocks", n);
        ht_expect(&table, o.err,
                  n <= TK_SUIT_MAX_SIGNATURES ? TK_OK : TK_ERR_LIMIT, what);
    }

    /* A record table too small for the commands when every command is
     * recorded. */
    o = process_with(env, elen, TK_SUIT_OP_UPDATE, TK_SUIT_FLAG_RECORD_ALL, 2);
    ht_expect(&table, o.err, TK_ERR_SUIT_RECORD_LIMIT, "record table full");
    ht_true(&table, o.unchanged && o.commits == 0, "record table full");
    ht_done(&table);
    hs_device_free(&g_dev);
}

/* ---- The file-backed device store of apps/suitdev --------------------- */

#if TK_HOSTILE_SUITDEV

/* Folder digest: every file's name, size and bytes, in name order. */
static unsigned long g_folder_hash;

static int hash_entry(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    unsigned long h = g_folder_hash;
    for (const char *c = path; *c != 0; c++)
        h = h * 131 + (unsigned char)*c;
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        int ch;
        while ((ch = fgetc(f)) != EOF)
            h = h * 131 + (unsigned)ch;
        fclose(f);
    }
    g_folder_hash = h ^ (unsigned long)st->st_size;
    return 0;
}

/* Returns a digest of the folder's files; nftw visits them in directory
 * order, which is stable for an unchanged folder. */
static unsigned long folder_digest(const char *dir)
{
    g_folder_hash = 0;
    nftw(dir, hash_entry, 8, FTW_PHYS);
    return g_folder_hash;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/*
 * The manifest mutations again, processed on the simulated device of
 * apps/suitdev, whose components are files in a temporary store folder
 * (the integrated form, because that device fetches only local files).
 * The folder must be byte for byte unchanged after every rejected
 * mutant, and the valid envelope must change it.
 */
static void suitdev_store_unchanged(void **state)
{
    (void)state;
    ht_table table = {"suitdev store", 0, 0};
    char dir[] = "/tmp/tk-hostile-store.XXXXXX";
    assert_non_null(mkdtemp(dir));
    tk_suitdev_config dcfg;
    memset(&dcfg, 0, sizeof dcfg);
    dcfg.store_dir = dir;
    tk_suitdev *dev = NULL;
    assert_int_equal(tk_suitdev_open(&dcfg, &dev), TK_OK);
    tk_suitdev_id id;
    assert_int_equal(
        tk_suitdev_id_decode(hs_view(hs_tc_id, sizeof hs_tc_id), &id), TK_OK);
    tk_suitdev_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.sequence_number = 2;
    assert_int_equal(
        tk_suitdev_install(dev, &id, (const uint8_t *)"old", 3, &meta), TK_OK);
    const tk_key *keys[1] = {&hs_keys_get()->suit_p256};
    tk_suitdev_policy policy;
    memset(&policy, 0, sizeof policy);
    policy.manifest_keys = keys;
    policy.manifest_key_count = 1;
    policy.vendor_id = hs_vendor_id;
    policy.class_id = hs_class_id;

    uint8_t manifest[2048];
    static uint8_t env[ENV_CAP];
    static uint8_t extra[64];
    size_t mlen = hs_tc_manifest(3, true, manifest, sizeof manifest);
    /* The integrated payload "#tc", as the envelope's extra member. */
    size_t xl = 0;
    extra[xl++] = 0x63;
    memcpy(extra + xl, "#tc", 3);
    xl += 3;
    xl += hs_cbor_head(2, sizeof hs_tc_payload, extra + xl);
    memcpy(extra + xl, hs_tc_payload, sizeof hs_tc_payload);
    xl += sizeof hs_tc_payload;

    static hs_tree tree;
    assert_true(hs_parse(&tree, manifest, mlen));
    unsigned long before = folder_digest(dir);
    char what[256];
    for (size_t i = 0; i <= tree.count; i++) {
        /* i == tree.count: the valid manifest, last. */
        uint8_t *p = NULL;
        size_t plen = mlen;
        hs_mutation m;
        uint8_t repl[16];
        if (i < tree.count) {
            size_t rl = hs_wrong_type_item(tree.nodes[i].major, repl);
            hs_mutation_set(&m, &tree, (int)i, HS_REPLACE, 0, repl, rl);
            if (expect_manifest(&tree, &m) == TK_OK)
                continue;
            hs_serialize(&tree, &m, &p, &plen);
        }
        size_t elen = 0;
        assert_int_equal(
            hs_suit_envelope(hs_view(p ? p : manifest, plen),
                             hs_view(extra, xl), 1, &hs_keys_get()->suit_p256,
                             TK_ALG_ESP256, env, sizeof env, &elen),
            TK_OK);
        free(p);
        tk_suitdev_session *session = NULL;
        assert_int_equal(tk_suitdev_session_open(dev, &policy, &session),
                         TK_OK);
        static tk_suit_processor proc;
        tk_suit_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.crypto = hs_crypto();
        cfg.platform = tk_suitdev_session_platform(session);
        assert_int_equal(tk_suit_processor_init(&proc, &cfg), TK_OK);
        tk_err err =
            tk_suit_process(&proc, hs_view(env, elen), TK_SUIT_OP_UPDATE);
        tk_suitdev_session_close(session);
        unsigned long after = folder_digest(dir);
        if (i < tree.count) {
            snprintf(what, sizeof what, "%s", m.what);
            ht_true(&table, err != TK_OK, what);
            ht_true(&table, after == before, what);
        } else {
            ht_expect(&table, err, TK_OK, "valid manifest");
            ht_true(&table, after != before, "valid manifest installs");
        }
    }
    tk_suitdev_close(dev);
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    ht_done(&table);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manifest_mutations),
        cmocka_unit_test(envelope_mutations),
        cmocka_unit_test(suit_limits),
#if TK_HOSTILE_SUITDEV
        cmocka_unit_test(suitdev_store_unchanged),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
