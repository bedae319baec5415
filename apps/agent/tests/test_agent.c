/*
 * Unit tests of the agent library: the state file codec, component
 * identifier text, the store folder (init, agent.json checks), the
 * failure SUIT report, and hostile TAM messages fed to tk_agent_handle()
 * with a QueryRequest made by lib/teep's TAM in the same process.
 */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_internal.h"
#include "log.h"
#include "teepkit/cbor.h"
#include "teepkit/suit.h"
#include "util.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */
/* ---------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A temporary folder, removed by the teardown. */
typedef struct fixture {
    char dir[64];
    char store[96];
} fixture;

static int setup_dir(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    strcpy(f->dir, "/tmp/tk-agent-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
    *state = f;
    return 0;
}

static int teardown_dir(void **state)
{
    fixture *f = *state;

    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Creates an identity in f->store with the default options. */
static void init_store(const fixture *f)
{
    tk_agent_init_options o;
    char msg[256] = "";

    memset(&o, 0, sizeof(o));
    o.store_dir = f->store;
    assert_int_equal(tk_agent_init_store(tk_crypto_openssl(), &o, msg,
                                         sizeof(msg)),
                     TK_OK);
}

/* Opens the agent of f->store with the trust anchors given. */
static tk_err open_agent(const fixture *f, const char *tam_key,
                         tk_agent **agent, char *msg, size_t msg_size)
{
    tk_agent_options o;
    const char *keys[1] = {tam_key};

    memset(&o, 0, sizeof(o));
    o.store_dir = f->store;
    o.tam_keys = keys;
    o.tam_key_count = tam_key != NULL ? 1 : 0;
    return tk_agent_open(&o, agent, msg, msg_size);
}

/* Writes text to the file name in f->store. */
static void write_store_file(const fixture *f, const char *name,
                             const void *data, size_t len)
{
    char path[160];

    snprintf(path, sizeof(path), "%s/%s", f->store, name);
    assert_int_equal(tk_util_write_file(path, data, len, 0600), 0);
}

/* ---------------------------------------------------------------------- */
/* State file                                                             */
/* ---------------------------------------------------------------------- */

/* Returns a state with every member set. */
static tk_teep_agent_state sample_state(void)
{
    tk_teep_agent_state s;

    tk_teep_agent_state_init(&s);
    s.phase = 1;
    s.alg = TK_ALG_ESP256;
    s.deadline = 1700000000;
    s.tam_kid_len = 3;
    memcpy(s.tam_kid, "tam", 3);
    s.seen_count = 2;
    s.seen[0].len = 16;
    memset(s.seen[0].token, 0xA5, 16);
    s.seen[1].len = 32;
    memset(s.seen[1].token, 0x5A, 32);
    s.seen_next = 2;
    return s;
}

static void state_round_trip(void **unused)
{
    tk_teep_agent_state in = sample_state();
    tk_teep_agent_state out;
    uint8_t buf[1024];
    size_t len = 0;

    (void)unused;
    assert_int_equal(agent_state_encode(&in, buf, sizeof(buf), &len), TK_OK);
    assert_int_equal(agent_state_decode(buf, len, &out), TK_OK);
    assert_int_equal(out.phase, 1);
    assert_int_equal(out.alg, TK_ALG_ESP256);
    assert_int_equal(out.deadline, 1700000000);
    assert_int_equal(out.tam_kid_len, 3);
    assert_memory_equal(out.tam_kid, "tam", 3);
    assert_int_equal(out.seen_count, 2);
    assert_int_equal(out.seen[1].len, 32);
    assert_memory_equal(out.seen[1].token, in.seen[1].token, 32);
    assert_int_equal(out.seen_next, 2);
}

static void state_truncated_rejected(void **unused)
{
    tk_teep_agent_state in = sample_state();
    tk_teep_agent_state out = sample_state();
    uint8_t buf[1024];
    size_t len = 0;

    (void)unused;
    assert_int_equal(agent_state_encode(&in, buf, sizeof(buf), &len), TK_OK);
    for (size_t n = 0; n < len; n++)
        assert_int_equal(agent_state_decode(buf, n, &out),
                         TK_ERR_AGENT_STATE_FILE);
    /* A rejected file leaves the output untouched. */
    assert_int_equal(out.seen_count, 2);
}

/* Encodes the state map with one member replaced by raw CBOR. */
static size_t state_with(uint8_t *buf, size_t cap, int64_t key,
                         const uint8_t *value, size_t value_len)
{
    tk_teep_agent_state s = sample_state();
    uint8_t good[1024];
    size_t good_len = 0;
    tk_cbor_dec dec;
    tk_cbor_enc enc;
    uint64_t pairs = 0;
    size_t len = 0;

    assert_int_equal(agent_state_encode(&s, good, sizeof(good), &good_len),
                     TK_OK);
    tk_cbor_dec_init(&dec, good, good_len, 0);
    tk_cbor_dec_enter_map(&dec, &pairs);
    tk_cbor_enc_init(&enc, buf, cap, 0);
    tk_cbor_enc_put_map(&enc, pairs);
    for (uint64_t i = 0; i < pairs; i++) {
        int64_t label = 0;
        tk_view raw;

        tk_cbor_dec_get_label(&dec, &label);
        tk_cbor_dec_skip(&dec, &raw);
        tk_cbor_enc_put_int(&enc, label);
        if (label == key)
            tk_cbor_enc_put_raw(&enc, value, value_len);
        else
            tk_cbor_enc_put_raw(&enc, raw.ptr, raw.len);
    }
    assert_int_equal(tk_cbor_enc_finish(&enc, &len), TK_OK);
    return len;
}

static void state_bad_members_rejected(void **unused)
{
    static const struct {
        int64_t key;
        uint8_t value[80];
        size_t len;
    } cases[] = {
        {0, {0x02}, 1},                   /* version 2 */
        {1, {0x02}, 1},                   /* phase 2 */
        {1, {0x41, 0x01}, 2},             /* phase as bytes */
        {2, {0x3a, 0x80, 0, 0, 0}, 5},    /* alg below INT32_MIN */
        {4, {0x58, 65}, 67},              /* tam kid of 65 bytes */
        {5, {0x89, 0x41, 1, 0x41, 1, 0x41, 1, 0x41, 1, 0x41, 1, 0x41, 1,
             0x41, 1, 0x41, 1, 0x41, 1}, 19}, /* 9 tokens */
        {5, {0x81, 0x40}, 2},             /* an empty token */
        {5, {0x81, 0x58, 65}, 68},        /* a token of 65 bytes */
        {6, {0x08}, 1},                   /* next token index 8 */
    };
    uint8_t buf[1024];
    tk_teep_agent_state out;

    (void)unused;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = state_with(buf, sizeof(buf), cases[i].key,
                                cases[i].value, cases[i].len);

        assert_int_equal(agent_state_decode(buf, len, &out),
                         TK_ERR_AGENT_STATE_FILE);
    }
}

static void state_random_bytes_rejected(void **unused)
{
    uint8_t buf[64];
    tk_teep_agent_state out;

    (void)unused;
    srand(7);
    for (int round = 0; round < 5000; round++) {
        size_t len = (size_t)(rand() % (int)sizeof(buf));

        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rand();
        assert_int_equal(agent_state_decode(buf, len, &out),
                         TK_ERR_AGENT_STATE_FILE);
    }
}

static void damaged_state_file_fails_open(void **state)
{
    fixture *f = *state;
    tk_agent *agent = NULL;
    char msg[512] = "";

    init_store(f);
    write_store_file(f, TK_AGENT_STATE_FILE, "\xa1\x00\x01", 3);
    assert_int_equal(open_agent(f, NULL, &agent, msg, sizeof(msg)),
                     TK_ERR_AGENT_STATE_FILE);
    assert_null(agent);
    assert_non_null(strstr(msg, TK_AGENT_STATE_FILE));
}

/* ---------------------------------------------------------------------- */
/* Component identifiers                                                  */
/* ---------------------------------------------------------------------- */

static void component_id_forms_agree(void **unused)
{
    static const uint8_t expected[] = {
        0x83, 0x4b, 'T', 'E', 'E', 'P', '-', 'D', 'e', 'v', 'i', 'c', 'e',
        0x48, 'S', 'e', 'c', 'u', 'r', 'e', 'F', 'S', 0x42, 0x8d, 0x82};
    const char *forms[] = {
        "[\"TEEP-Device\", \"SecureFS\", {\"hex\": \"8d82\"}]",
        "hex:834b544545502d446576696365485365637572654653428d82",
        "c_sTEEP-Device_sSecureFS_h8d82",
    };
    uint8_t out[TK_AGENT_MAX_COMPONENT_ID];

    (void)unused;
    for (size_t i = 0; i < 3; i++) {
        size_t len = 0;

        assert_int_equal(tk_agent_component_id_parse(forms[i], out,
                                                     sizeof(out), &len),
                         TK_OK);
        assert_int_equal(len, sizeof(expected));
        assert_memory_equal(out, expected, sizeof(expected));
    }
}

static void component_id_invalid_rejected(void **unused)
{
    const char *bad[] = {
        "", "[]", "[1]", "{}", "[\"a\", {\"hex\": \"zz\"}]",
        "[{\"hex\": \"00\", \"x\": 1}]", "hex:01", "hex:zz", "hex:",
        "hex:80", "c_", "c", "c_x41", "c_hzz", "c_h4", "c_sa.b",
        "c_h41",  /* 'A' is text: the store names it c_sA */
        "c_sA_", "SecureFS",
        "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\","
        "\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\"]",
    };
    uint8_t out[TK_AGENT_MAX_COMPONENT_ID];

    (void)unused;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len = 0;

        assert_int_equal(tk_agent_component_id_parse(bad[i], out,
                                                     sizeof(out), &len),
                         TK_ERR_AGENT_COMPONENT_ID);
    }
}

/* ---------------------------------------------------------------------- */
/* Store folder                                                           */
/* ---------------------------------------------------------------------- */

/* Returns the permission bits of name in f->store. */
static unsigned file_mode(const fixture *f, const char *name)
{
    char path[160];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", f->store, name);
    assert_int_equal(stat(path, &st), 0);
    return (unsigned)(st.st_mode & 0777);
}

static void init_creates_identity(void **state)
{
    fixture *f = *state;
    tk_agent *agent = NULL;
    char msg[512] = "";

    init_store(f);
    assert_int_equal(file_mode(f, "agent-esp256.key"), 0600);
    assert_int_equal(file_mode(f, "agent-ed25519.key"), 0600);
    assert_int_equal(file_mode(f, TK_AGENT_ATTEST_KEY), 0600);
    assert_int_equal(file_mode(f, TK_AGENT_CONFIG_FILE), 0600);
    assert_int_equal(file_mode(f, "agent-esp256.pub"), 0644);
    assert_int_equal(file_mode(f, TK_AGENT_ATTEST_COSE), 0644);
    assert_int_equal(open_agent(f, NULL, &agent, msg, sizeof(msg)), TK_OK);
    assert_int_equal(agent->key_count, 2);
    assert_int_equal(agent->signers[0].alg, TK_ALG_ESP256);
    assert_int_equal(agent->signers[1].alg, TK_ALG_ED25519);
    assert_int_equal(agent->ueid_len, 17);
    assert_int_equal(agent->ueid[0], 0x01);
    assert_int_equal(agent->oemid_len, 16);
    assert_int_equal(agent->hwmodel_len, strlen("teepkit-simulated-tee"));
    assert_string_equal(agent->hwversion, "1.0");
    assert_int_equal(agent->component_count, 0);
    tk_agent_close(agent);
}

static void init_twice_rejected(void **state)
{
    fixture *f = *state;
    tk_agent_init_options o;
    char msg[256] = "";

    init_store(f);
    memset(&o, 0, sizeof(o));
    o.store_dir = f->store;
    assert_int_equal(tk_agent_init_store(tk_crypto_openssl(), &o, msg,
                                         sizeof(msg)),
                     TK_ERR_AGENT_EXISTS);
    assert_non_null(strstr(msg, TK_AGENT_CONFIG_FILE));
}

static void init_bad_options_rejected(void **state)
{
    fixture *f = *state;
    tk_agent_init_options o;
    char msg[256];

    memset(&o, 0, sizeof(o));
    o.store_dir = f->store;
    o.oemid_hex = "01020304";
    assert_int_equal(tk_agent_init_store(tk_crypto_openssl(), &o, msg,
                                         sizeof(msg)),
                     TK_ERR_INVALID_ARG);
    o.oemid_hex = NULL;
    o.ueid_hex = "0102";
    assert_int_equal(tk_agent_init_store(tk_crypto_openssl(), &o, msg,
                                         sizeof(msg)),
                     TK_ERR_INVALID_ARG);
    o.ueid_hex = NULL;
    o.hwmodel = "a model name that is longer than 32 bytes";
    assert_int_equal(tk_agent_init_store(tk_crypto_openssl(), &o, msg,
                                         sizeof(msg)),
                     TK_ERR_INVALID_ARG);
    o.hwmodel = NULL;
    o.algs[0] = TK_ALG_ES256;
    o.algs[1] = TK_ALG_ESP256;
    o.alg_count = 2;
    assert_int_equal(tk_agent_init_store(tk_crypto_openssl(), &o, msg,
                                         sizeof(msg)),
                     TK_ERR_INVALID_ARG);
    o.alg_count = 0;
    o.vendor_id = "not-a-uuid";
    assert_int_equal(tk_agent_init_store(tk_crypto_openssl(), &o, msg,
                                         sizeof(msg)),
                     TK_ERR_INVALID_ARG);
    /* Nothing was created by the rejected calls. */
    assert_int_not_equal(access(f->store, F_OK), 0);
}

static void damaged_config_rejected(void **state)
{
    fixture *f = *state;
    static const char *const configs[] = {
        "not json",
        "[]",
        "{\"version\": 2}",
        "{\"version\": 1, \"ueid\": \"01\", \"oemid\": \"894823\", "
        "\"hwmodel\": \"41\", \"hwversion\": \"1\"}",
        "{\"version\": 1, \"ueid\": \"01020304050607\", \"oemid\": \"8948\","
        " \"hwmodel\": \"41\", \"hwversion\": \"1\"}",
        "{\"version\": 1, \"ueid\": \"01020304050607\", \"oemid\": "
        "\"894823\", \"hwmodel\": \"41\", \"hwversion\": 1}",
        "{\"version\": 1, \"ueid\": \"01020304050607\", \"oemid\": "
        "\"894823\", \"hwmodel\": \"41\", \"hwversion\": \"1\", "
        "\"agent-keys\": []}",
        "{\"version\": 1, \"ueid\": \"01020304050607\", \"oemid\": "
        "\"894823\", \"hwmodel\": \"41\", \"hwversion\": \"1\", "
        "\"agent-keys\": [{\"alg\": \"ESP256\", \"file\": "
        "\"../agent-esp256.key\"}]}",
        "{\"version\": 1, \"ueid\": \"01020304050607\", \"oemid\": "
        "\"894823\", \"hwmodel\": \"41\", \"hwversion\": \"1\", "
        "\"agent-keys\": [{\"alg\": \"Ed25519\", \"file\": "
        "\"agent-esp256.key\"}]}",
        "{\"version\": 1, \"ueid\": \"01020304050607\", \"oemid\": "
        "\"894823\", \"hwmodel\": \"41\", \"hwversion\": \"1\", "
        "\"vendor-id\": \"x\"}",
        "{\"version\": 1, \"version\": 1}",
    };

    init_store(f);
    for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
        tk_agent *agent = NULL;
        char msg[512] = "";

        write_store_file(f, TK_AGENT_CONFIG_FILE, configs[i],
                         strlen(configs[i]));
        assert_int_equal(open_agent(f, NULL, &agent, msg, sizeof(msg)),
                         TK_ERR_AGENT_CONFIG);
        assert_null(agent);
        assert_true(msg[0] != '\0');
    }
}

static void missing_store_not_found(void **state)
{
    fixture *f = *state;
    tk_agent *agent = NULL;
    char msg[512] = "";

    assert_int_equal(open_agent(f, NULL, &agent, msg, sizeof(msg)),
                     TK_ERR_NOT_FOUND);
    assert_non_null(strstr(msg, "teep-agent init"));
}

/* ---------------------------------------------------------------------- */
/* Failure report                                                         */
/* ---------------------------------------------------------------------- */

static void failure_report_decodes(void **unused)
{
    static const uint8_t nonce[16] = {1, 2, 3, 4, 5, 6, 7, 8,
                                      9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t junk[3] = {0xff, 0x00, 0x01};
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_suit_report report;
    tk_suit_record records[4];
    uint8_t out[512];
    size_t len = 0;

    (void)unused;
    assert_int_equal(agent_failure_report(crypto, (tk_view){junk, 3},
                                          (tk_view){nonce, 16},
                                          TK_ERR_SUIT_SIGNATURE, out,
                                          sizeof(out), &len),
                     TK_OK);
    assert_int_equal(tk_suit_report_decode((tk_view){out, len}, NULL, NULL,
                                           &report, records, 4),
                     TK_OK);
    assert_false(report.success);
    assert_int_equal(report.result_code, TK_ERR_SUIT_SIGNATURE);
    assert_int_equal(report.reason, TK_SUIT_REASON_UNAUTHORISED);
    assert_int_equal(report.nonce.len, 16);
    assert_memory_equal(report.nonce.ptr, nonce, 16);
    assert_int_equal(report.manifest_digest.alg, TK_ALG_SHA256);
    assert_int_equal(report.manifest_digest.bytes.len, 32);
    /* The buffer limit is respected. */
    assert_int_equal(agent_failure_report(crypto, (tk_view){junk, 3},
                                          (tk_view){nonce, 16},
                                          TK_ERR_SUIT_SIGNATURE, out, 20,
                                          &len),
                     TK_ERR_BUFFER_TOO_SMALL);
}

/* ---------------------------------------------------------------------- */
/* Hostile TAM messages                                                   */
/* ---------------------------------------------------------------------- */

static int64_t tam_now(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

static tk_err tam_save(void *ctx, const tk_teep_tam_session *s)
{
    (void)ctx;
    (void)s;
    return TK_OK;
}

/* The callbacks below are never reached: the test only starts sessions. */
static tk_err tam_take(void *ctx, tk_view token, tk_teep_tam_session *s)
{
    (void)ctx;
    (void)token;
    (void)s;
    return TK_ERR_NOT_FOUND;
}

static tk_err tam_agent_key(void *ctx, tk_alg alg, tk_view kid,
                            const tk_key **key, tk_view *peer_id)
{
    (void)ctx;
    (void)alg;
    (void)kid;
    (void)key;
    (void)peer_id;
    return TK_ERR_NOT_FOUND;
}

static tk_err tam_appraise(void *ctx, const tk_teep_evidence *evidence,
                           tk_eat_result *result)
{
    (void)ctx;
    (void)evidence;
    (void)result;
    return TK_ERR_INTERNAL;
}

static tk_err tam_policy(void *ctx, const tk_teep_policy_input *input,
                         tk_teep_policy_output *output)
{
    (void)ctx;
    (void)input;
    (void)output;
    return TK_ERR_INTERNAL;
}

static tk_err tam_record(void *ctx, const tk_teep_record *record)
{
    (void)ctx;
    (void)record;
    return TK_ERR_INTERNAL;
}

/* Builds a QueryRequest signed with a new TAM key, whose public key goes
 * to f->dir/tam.pub. Returns the message length. */
static size_t make_query(const fixture *f, uint8_t *out, size_t cap)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    static uint8_t scratch[8192];
    tk_teep_signer signer;
    tk_teep_tam tam;
    tk_teep_tam_result res;
    tk_key key;
    char path[128];
    char msg[256];

    tk_key_init(&key);
    assert_int_equal(crypto->key_generate(crypto->ctx, TK_CRV_P256, &key),
                     TK_OK);
    snprintf(path, sizeof(path), "%s/tam.pub", f->dir);
    assert_int_equal(tk_keyfile_save_pem(path, &key, false, msg,
                                         sizeof(msg)),
                     TK_OK);
    memset(&signer, 0, sizeof(signer));
    signer.alg = TK_ALG_ESP256;
    signer.key = &key;
    tk_teep_tam_init(&tam);
    tam.crypto = crypto;
    tam.signers = &signer;
    tam.signer_count = 1;
    tam.scratch = scratch;
    tam.scratch_cap = sizeof(scratch);
    tam.ops.now = tam_now;
    tam.ops.session_save = tam_save;
    tam.ops.session_take = tam_take;
    tam.ops.agent_key = tam_agent_key;
    tam.ops.appraise = tam_appraise;
    tam.ops.policy = tam_policy;
    tam.ops.record = tam_record;
    assert_int_equal(tk_teep_tam_start(&tam, (tk_view){NULL, 0},
                                       TK_ALG_ESP256, out, cap, &res),
                     TK_OK);
    tk_key_release(&key);
    return res.out_len;
}

static void query_answered(void **state)
{
    fixture *f = *state;
    uint8_t query[2048];
    size_t len;
    tk_agent *agent = NULL;
    tk_teep_agent_result res;
    const uint8_t *out;
    size_t out_len;
    char path[160];
    char msg[512] = "";

    init_store(f);
    len = make_query(f, query, sizeof(query));
    snprintf(path, sizeof(path), "%s/tam.pub", f->dir);
    assert_int_equal(open_agent(f, path, &agent, msg, sizeof(msg)), TK_OK);
    assert_int_equal(tk_agent_handle(agent, query, len, &out, &out_len,
                                     &res),
                     TK_OK);
    assert_int_equal(res.received_type, TK_TEEP_QUERY_REQUEST);
    assert_int_equal(res.sent_type, TK_TEEP_QUERY_RESPONSE);
    assert_true(out_len > 0);
    assert_int_equal(agent->state.phase, 1);
    tk_agent_close(agent);
    /* The state was saved: a new agent reads the same phase. */
    assert_int_equal(open_agent(f, path, &agent, msg, sizeof(msg)), TK_OK);
    assert_int_equal(agent->state.phase, 1);
    tk_agent_close(agent);
}

static void hostile_queries_rejected(void **state)
{
    fixture *f = *state;
    uint8_t query[2048];
    uint8_t bad[2048];
    size_t len;
    tk_agent *agent = NULL;
    tk_teep_agent_result res;
    const uint8_t *out;
    size_t out_len;
    char path[160];
    char msg[512] = "";

    init_store(f);
    len = make_query(f, query, sizeof(query));
    snprintf(path, sizeof(path), "%s/tam.pub", f->dir);
    assert_int_equal(open_agent(f, path, &agent, msg, sizeof(msg)), TK_OK);
    /* Every truncation is rejected, with an Error or no reply. */
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(tk_agent_handle(agent, query, n, &out,
                                             &out_len, &res),
                             TK_OK);
        assert_true(out_len == 0 || res.sent_type == TK_TEEP_ERROR);
        assert_int_equal(agent->state.phase, 0);
    }
    /* A flipped bit anywhere never yields a QueryResponse: the bytes
     * outside the signature's cover are CBOR heads and an empty map. */
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, query, len);
        bad[i] ^= 0x10;
        assert_int_not_equal(tk_agent_handle(agent, bad, len, &out,
                                             &out_len, &res),
                             TK_OK);
        assert_int_not_equal(res.sent_type, TK_TEEP_QUERY_RESPONSE);
        assert_int_equal(agent->state.phase, 0);
    }
    tk_agent_close(agent);
}

/* ---------------------------------------------------------------------- */
/* Retries of the session loop                                            */
/* ---------------------------------------------------------------------- */

/* What the scripted transport does at one POST. */
typedef struct post_step {
    tk_err err;
    unsigned status;
    const uint8_t *body;  /* the TAM message of a success; NULL: 204 */
    size_t len;
} post_step;

#define SCRIPT_MAX_POSTS 8

/* A transport that replays steps and keeps what the agent POSTed. */
typedef struct post_script {
    const post_step *steps;
    size_t count;
    size_t calls;
    size_t sent_len[SCRIPT_MAX_POSTS];
    uint8_t sent[SCRIPT_MAX_POSTS][4096];
} post_script;

static tk_err scripted_post(void *ctx, const uint8_t *body, size_t len,
                           tk_net_reply *reply)
{
    post_script *s = ctx;
    const post_step *step;

    assert_true(s->calls < s->count);
    assert_true(len <= sizeof(s->sent[0]));
    step = &s->steps[s->calls];
    if (len > 0)
        memcpy(s->sent[s->calls], body, len);
    s->sent_len[s->calls] = len;
    s->calls++;
    memset(reply, 0, sizeof(*reply));
    reply->status = step->status;
    if (step->err == TK_OK && step->body == NULL)
        reply->done = 1;
    reply->body = (tk_view){step->body, step->len};
    return step->err;
}

/* Runs one session of agent over steps[0..count). */
static void run_script(tk_agent *agent, const post_step *steps, size_t count,
                       post_script *script, tk_agent_session *session)
{
    memset(script, 0, sizeof(*script));
    script->steps = steps;
    script->count = count;
    tk_agent_run_session(agent, scripted_post, script, session);
}

/* Opens the agent of f->store (created here) with retries without
 * pauses. */
static tk_agent *open_retrying(const fixture *f, const char *tam_key)
{
    tk_agent *agent = NULL;
    char msg[512] = "";

    assert_int_equal(open_agent(f, tam_key, &agent, msg, sizeof(msg)),
                     TK_OK);
    assert_int_equal(tk_agent_set_retry(agent, 3, 0), TK_OK);
    return agent;
}

static void retry_limits(void **state)
{
    fixture *f = *state;
    tk_agent *agent;

    init_store(f);
    agent = open_retrying(f, NULL);
    assert_int_equal(agent->retries, 3);
    assert_int_equal(tk_agent_set_retry(agent, TK_AGENT_MAX_RETRIES + 1, 0),
                     TK_ERR_LIMIT);
    assert_int_equal(tk_agent_set_retry(agent, 1,
                                        TK_AGENT_MAX_RETRY_DELAY_MS + 1),
                     TK_ERR_LIMIT);
    assert_int_equal(agent->retries, 3);
    assert_int_equal(tk_agent_set_retry(agent, TK_AGENT_MAX_RETRIES,
                                        TK_AGENT_MAX_RETRY_DELAY_MS),
                     TK_OK);
    assert_int_equal(agent->retries, TK_AGENT_MAX_RETRIES);
    assert_int_equal(tk_agent_set_retry(NULL, 1, 0), TK_ERR_INVALID_ARG);
    tk_agent_close(agent);
}

/* A failure that may pass is retried, and the session completes when a
 * later copy gets through. */
static void retry_transient_failures(void **state)
{
    static const post_step transient[] = {
        {TK_ERR_NET_CONNECT, 0, NULL, 0},
        {TK_ERR_NET_TIMEOUT, 0, NULL, 0},
        {TK_ERR_NET_PROTOCOL, 0, NULL, 0},
        {TK_ERR_NET_STATUS, 502, NULL, 0},
        {TK_ERR_NET_STATUS, 503, NULL, 0},
        {TK_ERR_NET_STATUS, 504, NULL, 0},
    };
    fixture *f = *state;
    tk_agent *agent;
    post_script script;
    tk_agent_session s;

    init_store(f);
    agent = open_retrying(f, NULL);
    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++) {
        const post_step steps[] = {transient[i], transient[i],
                                   {TK_OK, 204, NULL, 0}};

        run_script(agent, steps, 3, &script, &s);
        assert_int_equal(s.exit, TK_AGENT_EXIT_OK);
        assert_int_equal(s.reason, TK_OK);
        assert_int_equal(script.calls, 3);
        assert_int_equal(s.retries, 2);
        assert_int_equal(s.already_recorded, 0);
        assert_int_equal(script.sent_len[2], 0);
    }
    tk_agent_close(agent);
}

/* After the last retry the failure is the session's. */
static void retry_gives_up(void **state)
{
    static const post_step busy = {TK_ERR_NET_STATUS, 503, NULL, 0};
    const post_step steps[] = {busy, busy, busy, busy};
    fixture *f = *state;
    tk_agent *agent;
    post_script script;
    tk_agent_session s;

    init_store(f);
    agent = open_retrying(f, NULL);
    run_script(agent, steps, 4, &script, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_TRANSPORT);
    assert_int_equal(s.reason, TK_ERR_NET_STATUS);
    assert_int_equal(s.status, 503);
    assert_int_equal(script.calls, 4);
    assert_int_equal(s.retries, 3);
    /* Without retries one failure ends the session. */
    assert_int_equal(tk_agent_set_retry(agent, 0, 0), TK_OK);
    run_script(agent, steps, 4, &script, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_TRANSPORT);
    assert_int_equal(script.calls, 1);
    assert_int_equal(s.retries, 0);
    tk_agent_close(agent);
}

/* A refusal of the message itself, or a failure that would repeat, is
 * never retried. */
static void final_failures_not_retried(void **state)
{
    static const post_step final[] = {
        {TK_ERR_NET_STATUS, 400, NULL, 0},
        {TK_ERR_NET_STATUS, 403, NULL, 0},
        {TK_ERR_NET_STATUS, 409, NULL, 0},
        {TK_ERR_NET_STATUS, 413, NULL, 0},
        {TK_ERR_NET_STATUS, 415, NULL, 0},
        {TK_ERR_NET_STATUS, 500, NULL, 0},
        {TK_ERR_NET_REDIRECT, 302, NULL, 0},
        {TK_ERR_NET_CONTENT_TYPE, 200, NULL, 0},
        {TK_ERR_NET_PROTOCOL, 200, NULL, 0},
        {TK_ERR_NET_TOO_LARGE, 200, NULL, 0},
        {TK_ERR_NET_TLS, 0, NULL, 0},
        {TK_ERR_NET_URL, 0, NULL, 0},
        {TK_ERR_NET_NO_MEMORY, 0, NULL, 0},
    };
    fixture *f = *state;
    tk_agent *agent;
    post_script script;
    tk_agent_session s;

    init_store(f);
    agent = open_retrying(f, NULL);
    for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++) {
        const post_step steps[] = {final[i], {TK_OK, 204, NULL, 0}};

        run_script(agent, steps, 2, &script, &s);
        assert_int_equal(s.exit, TK_AGENT_EXIT_TRANSPORT);
        assert_int_equal(s.reason, final[i].err);
        assert_int_equal(s.status, final[i].status);
        assert_int_equal(script.calls, 1);
        assert_int_equal(s.retries, 0);
    }
    tk_agent_close(agent);
}

/*
 * A QueryResponse is sent again byte for byte. A 409 to the copy, after a
 * first attempt that may have arrived, means that the TAM took the first
 * one and its Update was lost: the session fails.
 */
static void query_response_sent_again(void **state)
{
    fixture *f = *state;
    uint8_t query[2048];
    size_t len;
    tk_agent *agent;
    post_script script;
    tk_agent_session s;
    char path[160];

    init_store(f);
    len = make_query(f, query, sizeof(query));
    snprintf(path, sizeof(path), "%s/tam.pub", f->dir);
    agent = open_retrying(f, path);
    {
        const post_step steps[] = {{TK_OK, 200, query, len},
                                   {TK_ERR_NET_TIMEOUT, 0, NULL, 0},
                                   {TK_ERR_NET_STATUS, 409, NULL, 0}};

        run_script(agent, steps, 3, &script, &s);
    }
    assert_int_equal(script.calls, 3);
    assert_true(script.sent_len[1] > 0);
    assert_int_equal(script.sent_len[2], script.sent_len[1]);
    assert_memory_equal(script.sent[2], script.sent[1], script.sent_len[1]);
    assert_int_equal(s.messages, 1);
    assert_int_equal(s.retries, 1);
    assert_int_equal(s.already_recorded, 0);
    assert_int_equal(s.exit, TK_AGENT_EXIT_TRANSPORT);
    assert_int_equal(s.reason, TK_ERR_NET_STATUS);
    assert_int_equal(s.status, 409);
    tk_agent_close(agent);
}

/*
 * An Error (like a Success) ends the session: a 409 to its copy after a
 * first attempt that may have arrived says the TAM recorded it, which is
 * not a transport failure. After a first attempt that never connected,
 * the 409 is one.
 */
static void error_recorded_on_409(void **state)
{
    fixture *f = *state;
    uint8_t query[2048];
    uint8_t bad[2048];
    size_t len;
    tk_agent *agent;
    post_script script;
    tk_agent_session s;
    char path[160];

    init_store(f);
    len = make_query(f, query, sizeof(query));
    /* A broken signature: the agent answers with an Error. */
    memcpy(bad, query, len);
    bad[len - 1] ^= 0x01;
    snprintf(path, sizeof(path), "%s/tam.pub", f->dir);
    agent = open_retrying(f, path);
    {
        const post_step steps[] = {{TK_OK, 200, bad, len},
                                   {TK_ERR_NET_PROTOCOL, 0, NULL, 0},
                                   {TK_ERR_NET_STATUS, 409, NULL, 0}};

        run_script(agent, steps, 3, &script, &s);
    }
    assert_int_equal(script.calls, 3);
    assert_true(script.sent_len[1] > 0);
    assert_int_equal(s.err_code_sent, TK_TEEP_ERR_PERMANENT_ERROR);
    assert_memory_equal(script.sent[2], script.sent[1], script.sent_len[1]);
    assert_int_equal(s.already_recorded, 1);
    assert_int_equal(s.retries, 1);
    /* The rejected QueryRequest decides the session, not the 409. */
    assert_int_equal(s.exit, TK_AGENT_EXIT_REJECTED);
    assert_int_equal(s.status, 0);
    {
        const post_step steps[] = {{TK_OK, 200, bad, len},
                                   {TK_ERR_NET_CONNECT, 0, NULL, 0},
                                   {TK_ERR_NET_STATUS, 409, NULL, 0}};

        run_script(agent, steps, 3, &script, &s);
    }
    assert_int_equal(script.calls, 3);
    assert_int_equal(s.already_recorded, 0);
    assert_int_equal(s.exit, TK_AGENT_EXIT_REJECTED);
    assert_int_equal(s.status, 409);
    tk_agent_close(agent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(state_round_trip),
        cmocka_unit_test(state_truncated_rejected),
        cmocka_unit_test(state_bad_members_rejected),
        cmocka_unit_test(state_random_bytes_rejected),
        cmocka_unit_test_setup_teardown(damaged_state_file_fails_open,
                                        setup_dir, teardown_dir),
        cmocka_unit_test(component_id_forms_agree),
        cmocka_unit_test(component_id_invalid_rejected),
        cmocka_unit_test_setup_teardown(init_creates_identity, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(init_twice_rejected, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(init_bad_options_rejected,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(damaged_config_rejected, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(missing_store_not_found, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(failure_report_decodes),
        cmocka_unit_test_setup_teardown(query_answered, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(hostile_queries_rejected, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(retry_limits, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(retry_transient_failures, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(retry_gives_up, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(final_failures_not_retried,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(query_response_sent_again,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(error_recorded_on_409, setup_dir,
                                        teardown_dir),
    };
    tk_log_set_level(TK_LOG_OFF);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
