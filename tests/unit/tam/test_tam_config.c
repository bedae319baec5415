/*
 * Pieces of the TAM service without a session: configuration files and
 * keys, the session data kept in the store, SUIT envelope inspection and
 * integrated payloads.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tam_internal.h"
#include "tam_test_env.h"
#include "teepkit/suit.h"
#include "teepkit/suit_build.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/tk-tam-config.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void write_text(const char *name, const char *text, char *path,
                       size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_config_defaults(void **state)
{
    (void)state;
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    assert_null(cfg.db);
    assert_null(cfg.listen);
    assert_int_equal(cfg.session_lifetime, 86400);
    assert_int_equal(cfg.token_rotation, 7 * 86400);
    assert_int_equal(cfg.max_body, 1048576);
    assert_int_equal(cfg.max_update, 1048576);
    assert_int_equal(cfg.log_level, TK_LOG_INFO);
    assert_int_equal(cfg.threads, 4);
    assert_true(cfg.require_attestation);
    assert_false(cfg.accept_warning);
    assert_false(cfg.requery_on_failure);
    assert_true(cfg.open_requests);
    assert_int_equal(cfg.clock_skew, 60);
    assert_int_equal(cfg.evidence_max_age, 300);
    tk_tam_config_free(&cfg);
}

static void test_config_lines(void **state)
{
    (void)state;
    char path[128];
    write_text("tam.conf",
               "# a TAM\n"
               "db = /var/tam.db\n"
               "listen=127.0.0.1:9000   # comment\n"
               "\n"
               "session_lifetime = 3600\n"
               "token_rotation = 0\n"
               "accept_warning = yes\n"
               "component_signer = a.pub\n"
               "component_signer = b.pub\n"
               "log_level = debug\n",
               path, sizeof(path));
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    char msg[256] = "";
    assert_int_equal(tk_tam_config_load(&cfg, path, msg, sizeof(msg)),
                     TK_OK);
    assert_string_equal(cfg.db, "/var/tam.db");
    assert_string_equal(cfg.listen, "127.0.0.1:9000");
    assert_int_equal(cfg.session_lifetime, 3600);
    assert_int_equal(cfg.token_rotation, 0);
    assert_true(cfg.accept_warning);
    assert_int_equal(cfg.signer_count, 2);
    assert_string_equal(cfg.signers[1], "b.pub");
    assert_int_equal(cfg.log_level, TK_LOG_DEBUG);
    tk_tam_config_free(&cfg);
}

static void test_config_json(void **state)
{
    (void)state;
    char path[128];
    write_text("tam.json",
               "{\"db\": \"postgresql://tam@127.0.0.1/tam\","
               " \"max_update\": 4096, \"open_requests\": false,"
               " \"component_signers\": [\"x.pub\", \"y.pub\"],"
               " \"coap\": \"127.0.0.1:5683\"}",
               path, sizeof(path));
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    char msg[256] = "";
    assert_int_equal(tk_tam_config_load(&cfg, path, msg, sizeof(msg)),
                     TK_OK);
    assert_string_equal(cfg.db, "postgresql://tam@127.0.0.1/tam");
    assert_int_equal(cfg.max_update, 4096);
    assert_false(cfg.open_requests);
    assert_int_equal(cfg.signer_count, 2);
    assert_string_equal(cfg.coap, "127.0.0.1:5683");
    tk_tam_config_free(&cfg);
}

/* Each bad line is rejected with a message that names it. */
static void test_config_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *expected;
    } cases[] = {
        {"colour = blue\n", "unknown configuration key 'colour'"},
        {"threads = 0\n", "threads must be a whole number from 1 to 64"},
        {"max_body = 12k\n", "max_body must be a whole number"},
        {"session_lifetime = -5\n", "session_lifetime must be"},
        {"token_rotation = 31708801\n",
         "token_rotation must be a whole number from 0 to 31622400"},
        {"accept_warning = maybe\n", "accept_warning must be true or false"},
        {"listen = localhost\n", "listen must be ADDRESS:PORT"},
        {"listen = 127.0.0.1:99999\n", "listen must be ADDRESS:PORT"},
        {"log_level = loud\n", "log_level must be debug"},
        {"just words\n", "line 1: expected 'key = value'"},
        {"{\"db\": [1]}", "needs a string, number or boolean"},
        {"{\"db\": \"a\", \"db\": \"b\"}", "invalid JSON"},
        {"[1, 2]", "line 1: expected 'key = value'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[128];
        write_text("bad.conf", cases[i].text, path, sizeof(path));
        tk_tam_config cfg;
        tk_tam_config_init(&cfg);
        char msg[256] = "";
        tk_err err = tk_tam_config_load(&cfg, path, msg, sizeof(msg));
        tk_tam_config_free(&cfg);
        if (err != TK_ERR_TAM_CONFIG)
            fail_msg("case %zu: %s instead of TK_ERR_TAM_CONFIG", i,
                     tk_errname(err));
        if (strstr(msg, cases[i].expected) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, msg, cases[i].expected);
    }
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    char msg[256] = "";
    assert_int_equal(tk_tam_config_load(&cfg, "/nonexistent/tam.conf", msg,
                                        sizeof(msg)),
                     TK_ERR_NOT_FOUND);
    assert_non_null(strstr(msg, "/nonexistent/tam.conf"));
    tk_tam_config_free(&cfg);
}

static void test_default_key_dir(void **state)
{
    (void)state;
    static const struct {
        const char *db;
        const char *dir;
    } cases[] = {
        {"/var/lib/tam.db", "/var/lib/tam-keys"},
        {"sqlite:/srv/x/tam.db", "/srv/x/tam-keys"},
        {"tam.db", "tam-keys"},
        {"postgresql://u@127.0.0.1/db", "tam-keys"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *d = tk_tam_default_key_dir(cases[i].db);
        assert_string_equal(d, cases[i].dir);
        free(d);
    }
}

/* init makes two key pairs with private files 0600, and keeps them. */
static void test_keys_create(void **state)
{
    (void)state;
    char keys[128];
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    bool created = false;
    char msg[256] = "";
    const tk_crypto *c = tk_crypto_openssl();
    assert_int_equal(tk_tam_keys_create(c, keys, &created, msg, sizeof(msg)),
                     TK_OK);
    assert_true(created);
    static const char *const names[] = {TK_TAM_KEY_ESP256, TK_TAM_KEY_ED25519};
    for (size_t i = 0; i < 2; i++) {
        char path[256];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", keys, names[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    struct stat st;
    assert_int_equal(stat(keys, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(tk_tam_keys_create(c, keys, &created, msg, sizeof(msg)),
                     TK_OK);
    assert_false(created);
}

static void fill_context(tam_context *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    tk_teep_tam_session *s = &ctx->teep;
    s->kind = TK_TEEP_UPDATE;
    s->token_len = 16;
    memset(s->token, 0xa1, 16);
    s->challenge_len = 32;
    memset(s->challenge, 0xc2, 32);
    s->data_items = 3;
    s->freshness = 1;
    s->alg = TK_ALG_ED25519;
    s->created = 1800000000;
    s->expires = 1800086400;
    s->device_id_len = 17;
    memset(s->device_id, 0x01, 17);
    s->manifest_count = 2;
    s->retries = 1;
    ctx->manifest_count = 2;
    for (size_t i = 0; i < 2; i++) {
        ctx->manifests[i].component = 10 + (int64_t)i;
        ctx->manifests[i].version = 20 + (int64_t)i;
        ctx->manifests[i].sequence = 30 + i;
        ctx->manifests[i].digest_len = 32;
        memset(ctx->manifests[i].digest, (int)i, 32);
        ctx->manifests[i].id_len = 5;
        memcpy(ctx->manifests[i].id, "\x81\x43" "abc", 5);
    }
    ctx->unneeded_count = 1;
    ctx->unneeded[0].manifest_id_len = 3;
    memcpy(ctx->unneeded[0].manifest_id, "\x81\x41x", 3);
    ctx->unneeded[0].id_len = 3;
    memcpy(ctx->unneeded[0].id, "\x81\x41y", 3);
}

/* The session data survives the store byte for byte. */
static void test_context_round_trip(void **state)
{
    (void)state;
    static tam_context in;
    static tam_context out;
    fill_context(&in);
    uint8_t buf[4096];
    size_t len = 0;
    assert_int_equal(tam_context_encode(&in, buf, sizeof(buf), &len), TK_OK);
    assert_int_equal(tam_context_decode((tk_view){buf, len}, &out), TK_OK);
    assert_memory_equal(&in.teep, &out.teep, sizeof(in.teep));
    assert_int_equal(out.manifest_count, 2);
    assert_memory_equal(in.manifests, out.manifests, sizeof(in.manifests));
    assert_int_equal(out.unneeded_count, 1);
    assert_memory_equal(&in.unneeded[0], &out.unneeded[0],
                        sizeof(in.unneeded[0]));

    /* Every truncation and a wrong format version are rejected. */
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(tam_context_decode((tk_view){buf, cut}, &out),
                         TK_ERR_TAM_SESSION_CONTEXT);
    buf[1] = 2;
    assert_int_equal(tam_context_decode((tk_view){buf, len}, &out),
                     TK_ERR_TAM_SESSION_CONTEXT);
}

/* Builds an envelope of component ['tc', 'x'] signed by key. */
static size_t build_envelope(const tk_key *key, uint64_t sequence,
                             uint8_t *buf, size_t cap)
{
    tk_view parts[2] = {{(const uint8_t *)"tc", 2},
                        {(const uint8_t *)"x", 1}};
    tk_suit_build_component_id id = {parts, 2};
    tk_suit_build_manifest m;
    memset(&m, 0, sizeof(m));
    m.sequence_number = sequence;
    m.components = &id;
    m.component_count = 1;
    tk_suit_build_envelope e;
    memset(&e, 0, sizeof(e));
    e.manifest = &m;
    tk_suit_build_signer signer = {TK_ALG_ESP256, key, {NULL, 0}};
    size_t len = 0;
    assert_int_equal(tk_suit_build_encode_envelope(&e, tk_crypto_openssl(),
                                                   &signer, 1, buf, cap,
                                                   &len, NULL),
                     TK_OK);
    return len;
}

static void test_envelope_inspect(void **state)
{
    (void)state;
    const tk_crypto *c = tk_crypto_openssl();
    tk_key author;
    tk_key other;
    tk_key_init(&author);
    tk_key_init(&other);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &author), TK_OK);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &other), TK_OK);
    uint8_t buf[1024];
    size_t len = build_envelope(&author, 42, buf, sizeof(buf));
    tk_view env_view = {buf, len};

    const tk_key *both[2] = {&other, &author};
    tk_tam_envelope_info info;
    char msg[256] = "";
    assert_int_equal(tk_tam_envelope_inspect(c, env_view, both, 2, &info,
                                             msg, sizeof(msg)),
                     TK_OK);
    assert_int_equal(info.sequence, 42);
    assert_int_equal(info.digest_alg, TK_ALG_SHA256);
    assert_int_equal(info.digest.len, 32);
    static const uint8_t id[] = {0x82, 0x42, 't', 'c', 0x41, 'x'};
    assert_int_equal(info.component_id.len, sizeof(id));
    assert_memory_equal(info.component_id.ptr, id, sizeof(id));
    assert_int_equal(info.manifest_id.len, 0);

    const tk_key *wrong[1] = {&other};
    assert_int_equal(tk_tam_envelope_inspect(c, env_view, wrong, 1, &info,
                                             msg, sizeof(msg)),
                     TK_ERR_SUIT_SIGNATURE);
    assert_non_null(strstr(msg, "rejected"));
    assert_int_equal(tk_tam_envelope_inspect(c, env_view, NULL, 0, &info,
                                             msg, sizeof(msg)),
                     TK_ERR_SUIT_KEY_NOT_FOUND);
    assert_non_null(strstr(msg, "--signer"));
    buf[len / 2] ^= 1;
    assert_int_not_equal(tk_tam_envelope_inspect(c, env_view, both, 2, &info,
                                                 msg, sizeof(msg)),
                         TK_OK);
    tk_key_release(&author);
    tk_key_release(&other);
}

/* An integrated payload keeps the signature valid; a second one with the
 * same key is rejected. */
static void test_envelope_payload(void **state)
{
    (void)state;
    const tk_crypto *c = tk_crypto_openssl();
    tk_key author;
    tk_key_init(&author);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &author), TK_OK);
    uint8_t buf[1024];
    size_t len = build_envelope(&author, 1, buf, sizeof(buf));
    static const uint8_t image[] = "trusted component image";
    uint8_t *joined = NULL;
    size_t joined_len = 0;
    assert_int_equal(tk_tam_envelope_add_payload((tk_view){buf, len}, "#tc",
                                                 (tk_view){image,
                                                           sizeof(image)},
                                                 &joined, &joined_len),
                     TK_OK);
        /* The key "#tc" takes 4 bytes, the 24-byte string a 2-byte head. */
    assert_int_equal(joined_len, len + 4 + 2 + sizeof(image));

    tk_suit_envelope env;
    assert_int_equal(tk_suit_envelope_decode((tk_view){joined, joined_len},
                                             &env, NULL),
                     TK_OK);
    assert_int_equal(env.integrated_count, 1);
    assert_int_equal(env.integrated[0].bytes.len, sizeof(image));
    assert_memory_equal(env.integrated[0].bytes.ptr, image, sizeof(image));
    const tk_key *signers[1] = {&author};
    tk_tam_envelope_info info;
    char msg[256];
    assert_int_equal(tk_tam_envelope_inspect(c,
                                             (tk_view){joined, joined_len},
                                             signers, 1, &info, msg,
                                             sizeof(msg)),
                     TK_OK);

    uint8_t *twice = NULL;
    size_t twice_len = 0;
    assert_int_equal(tk_tam_envelope_add_payload((tk_view){joined,
                                                           joined_len},
                                                 "#tc",
                                                 (tk_view){image, 1}, &twice,
                                                 &twice_len),
                     TK_ERR_SUIT_DUPLICATE_KEY);
    assert_null(twice);
    static const uint8_t not_map[] = {0x80};
    assert_int_equal(tk_tam_envelope_add_payload((tk_view){not_map, 1}, "#a",
                                                 (tk_view){image, 1}, &twice,
                                                 &twice_len),
                     TK_ERR_SUIT_MALFORMED);
    free(joined);
    tk_key_release(&author);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test_setup_teardown(test_config_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
        cmocka_unit_test(test_default_key_dir),
        cmocka_unit_test_setup_teardown(test_keys_create, setup, teardown),
        cmocka_unit_test(test_context_round_trip),
        cmocka_unit_test(test_envelope_inspect),
        cmocka_unit_test(test_envelope_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
