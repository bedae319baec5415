/*
 * Tests of the simulated device as the SUIT processor's platform, with
 * manifests built by the SUIT builder and run with tk_suit_process(). A
 * manifest installs into the store only when the whole procedure succeeds
 * and records its sequence number and digest. Rollback is checked, hostile
 * component identifiers stay inside the store, and a crash during the
 * commit leaves each component old or new.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suitdev.h"
#include "suitdev_test.h"
#include "teepkit/suit.h"
#include "teepkit/suit_build.h"

#define ENVELOPE_MAX 2048

struct fixture {
    char *dir;
    tk_suitdev *dev;
    tk_key key;
    const tk_key *trusted[1];
    tk_suitdev_policy policy;
    int invocations;
};

static void count_invoke(void *arg, const tk_suitdev_id *id, tk_view args)
{
    struct fixture *f = arg;

    (void)id;
    (void)args;
    f->invocations++;
}

static int setup(void **state)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    struct fixture *f = calloc(1, sizeof(*f));

    f->dir = suitdev_test_tempdir();
    f->dev = suitdev_test_open(f->dir, NULL);
    tk_key_init(&f->key);
    if (crypto->key_generate(crypto->ctx, TK_CRV_ED25519, &f->key) != TK_OK)
        return -1;
    f->trusted[0] = &f->key;
    f->policy.manifest_keys = f->trusted;
    f->policy.manifest_key_count = 1;
    f->policy.on_invoke = count_invoke;
    f->policy.invoke_arg = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    tk_suitdev_close(f->dev);
    tk_key_release(&f->key);
    suitdev_test_remove_tree(f->dir);
    free(f);
    return 0;
}

/*
 * Builds and signs a manifest with sequence number seq whose install
 * writes content into each of the count components ids, then runs
 * final_label (a condition, or 0 for none) on the last one.
 */
static size_t build_writer(struct fixture *f, uint64_t seq,
                           const tk_suit_build_component_id *ids,
                           size_t count, const char *content,
                           int64_t final_label, uint8_t *out)
{
    tk_suit_build_param param = tk_suit_build_param_bytes(
        TK_SUIT_BUILD_PARAM_CONTENT, TK_SUIT_BUILD_VALUE_BSTR,
        (tk_view){(const uint8_t *)content, strlen(content)});
    tk_suit_build_command install[16];
    tk_suit_build_command invoke[1] = {
        tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_INVOKE, 0)};
    tk_suit_build_manifest m = {0};
    tk_suit_build_envelope env = {0};
    tk_suit_build_signer signer = {TK_ALG_ED25519, &f->key, {NULL, 0}};
    size_t n = 0, len;

    for (size_t i = 0; i < count; i++) {
        install[n++] = tk_suit_build_cmd_index(i);
        install[n++] = tk_suit_build_cmd_params(
            TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS, &param, 1);
        install[n++] = tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_WRITE, 0);
    }
    if (final_label != 0)
        install[n++] = tk_suit_build_cmd_policy(final_label, 0);
    m.sequence_number = seq;
    m.components = ids;
    m.component_count = count;
    m.install = (tk_suit_build_sequence){install, n};
    if (count == 1)
        m.invoke = (tk_suit_build_sequence){invoke, 1};
    env.manifest = &m;
    assert_int_equal(tk_suit_build_encode_envelope(&env, tk_crypto_openssl(),
                                                   &signer, 1, out,
                                                   ENVELOPE_MAX, &len, NULL),
                     TK_OK);
    return len;
}

/* Runs op on the envelope with the fixture's device and returns the
 * processor's result; *digest (may be NULL) receives the manifest
 * digest. */
static tk_err run(struct fixture *f, const uint8_t *env, size_t len,
                  tk_suit_operation op, uint32_t flags, uint8_t *digest)
{
    tk_suitdev_session *session;
    tk_suit_processor *proc = calloc(1, sizeof(*proc));
    tk_suit_config cfg;
    tk_err err;

    assert_int_equal(tk_suitdev_session_open(f->dev, &f->policy, &session),
                     TK_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tk_crypto_openssl();
    cfg.platform = tk_suitdev_session_platform(session);
    cfg.flags = flags;
    assert_int_equal(tk_suit_processor_init(proc, &cfg), TK_OK);
    err = tk_suit_process(proc, (tk_view){env, len}, op);
    if (digest != NULL && tk_suit_processor_manifest(proc) != NULL)
        memcpy(digest, proc->manifests[0].env.digest.bytes.ptr, 32);
    tk_suitdev_session_close(session);
    free(proc);
    return err;
}

static const tk_view app_segment = {(const uint8_t *)"app", 3};
static const tk_suit_build_component_id app_id = {&app_segment, 1};

static tk_suitdev_id device_id(const tk_suit_build_component_id *id)
{
    tk_suitdev_id out;

    memset(&out, 0, sizeof(out));
    for (size_t i = 0; i < id->count; i++)
        out.segment[i] = id->segments[i];
    out.count = id->count;
    return out;
}

static void update_installs_and_records(void **state)
{
    struct fixture *f = *state;
    uint8_t env[ENVELOPE_MAX], digest[32];
    size_t len = build_writer(f, 5, &app_id, 1, "hello", 0, env);
    tk_suitdev_id id = device_id(&app_id);
    tk_suitdev_meta meta;
    uint8_t *data;
    size_t data_len;

    assert_int_equal(run(f, env, len, TK_SUIT_OP_UPDATE, 0, digest), TK_OK);
    assert_int_equal(tk_suitdev_read(f->dev, &id, &data, &data_len), TK_OK);
    assert_int_equal(data_len, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    assert_int_equal(tk_suitdev_get_meta(f->dev, &id, &meta), TK_OK);
    assert_int_equal(meta.sequence_number, 5);
    assert_int_equal(meta.manifest_digest_alg, TK_ALG_SHA256);
    assert_int_equal(meta.manifest_digest_len, 32);
    assert_memory_equal(meta.manifest_digest, digest, 32);
    assert_int_equal(f->invocations, 0);

    /* The invocation procedure invokes the installed component. */
    assert_int_equal(run(f, env, len, TK_SUIT_OP_BOOT, 0, NULL), TK_OK);
    assert_int_equal(f->invocations, 1);
}

/* A procedure that fails after writing two components installs neither. */
static void failed_procedure_changes_nothing(void **state)
{
    struct fixture *f = *state;
    static const tk_view segs[2] = {{(const uint8_t *)"a", 1},
                                    {(const uint8_t *)"b", 1}};
    const tk_suit_build_component_id ids[2] = {{&segs[0], 1},
                                               {&segs[1], 1}};
    uint8_t env[ENVELOPE_MAX];
    size_t len = build_writer(f, 1, ids, 2, "data",
                              TK_SUIT_BUILD_COND_ABORT, env);

    assert_int_equal(run(f, env, len, TK_SUIT_OP_UPDATE, 0, NULL),
                     TK_ERR_SUIT_ABORT);
    assert_int_equal(suitdev_test_count_files(f->dir), 0);
    /* The same writes without the abort install both. */
    len = build_writer(f, 1, ids, 2, "data", 0, env);
    assert_int_equal(run(f, env, len, TK_SUIT_OP_UPDATE, 0, NULL), TK_OK);
    assert_int_equal(suitdev_test_count_files(f->dir), 4);
}

/* A component identifier made to climb out of the store names a file
 * inside it. */
static void hostile_identifier_stays_inside(void **state)
{
    struct fixture *f = *state;
    static const tk_view segs[3] = {{(const uint8_t *)"..", 2},
                                    {(const uint8_t *)"..", 2},
                                    {(const uint8_t *)"/tmp/evil", 9}};
    const tk_suit_build_component_id id = {segs, 3};
    uint8_t env[ENVELOPE_MAX];
    size_t len = build_writer(f, 1, &id, 1, "x", 0, env);
    char path[700];
    struct stat st;

    assert_int_equal(run(f, env, len, TK_SUIT_OP_UPDATE, 0, NULL), TK_OK);
    assert_int_equal(suitdev_test_count_files(f->dir), 2);
    snprintf(path, sizeof(path), "%s/c_h2e2e_h2e2e_h2f746d702f6576696c.img",
             f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 1);
}

static void rollback_rejected_unless_allowed(void **state)
{
    struct fixture *f = *state;
    uint8_t env[ENVELOPE_MAX];
    size_t len = build_writer(f, 5, &app_id, 1, "five", 0, env);
    tk_suitdev_id id = device_id(&app_id);
    tk_suitdev_meta meta;

    assert_int_equal(run(f, env, len, TK_SUIT_OP_UPDATE, 0, NULL), TK_OK);
    len = build_writer(f, 4, &app_id, 1, "four", 0, env);
    assert_int_equal(run(f, env, len, TK_SUIT_OP_UPDATE, 0, NULL),
                     TK_ERR_SUIT_ROLLBACK);
    /* Same number, different manifest. */
    len = build_writer(f, 5, &app_id, 1, "other five", 0, env);
    assert_int_equal(run(f, env, len, TK_SUIT_OP_UPDATE, 0, NULL),
                     TK_ERR_SUIT_ROLLBACK_DIGEST);
    assert_int_equal(tk_suitdev_get_meta(f->dev, &id, &meta), TK_OK);
    assert_int_equal(meta.sequence_number, 5);
    assert_int_equal(meta.image_size, 4);
    len = build_writer(f, 4, &app_id, 1, "four", 0, env);
    assert_int_equal(run(f, env, len, TK_SUIT_OP_UPDATE,
                         TK_SUIT_FLAG_ALLOW_ROLLBACK, NULL),
                     TK_OK);
    assert_int_equal(tk_suitdev_get_meta(f->dev, &id, &meta), TK_OK);
    assert_int_equal(meta.sequence_number, 4);
}

static void untrusted_signer_rejected(void **state)
{
    struct fixture *f = *state;
    const tk_crypto *crypto = tk_crypto_openssl();
    uint8_t env[ENVELOPE_MAX];
    size_t len = build_writer(f, 1, &app_id, 1, "x", 0, env);
    tk_key other;

    tk_key_init(&other);
    assert_int_equal(crypto->key_generate(crypto->ctx, TK_CRV_ED25519,
                                          &other),
                     TK_OK);
    f->trusted[0] = &other;
    assert_int_not_equal(run(f, env, len, TK_SUIT_OP_UPDATE, 0, NULL), TK_OK);
    assert_int_equal(suitdev_test_count_files(f->dir), 0);
    f->trusted[0] = &f->key;
    tk_key_release(&other);
}

/* A process killed while it commits a procedure that writes two
 * components leaves both old or both new, with matching metadata, at
 * every crash point. */
static void crash_during_commit(void **state)
{
    static const struct {
        const char *point;
        int new;
    } points[] = {
        {"after-write", 0},     {"after-fsync", 0},    {"before-rename", 0},
        {"after-journal", 1},   {"after-rename", 1},   {"after-metadata", 1},
        {"between-renames", 1}, {"after-apply", 1},
    };
    static const tk_view lib_segment = {(const uint8_t *)"lib", 3};
    static const tk_suit_build_component_id two[2] = {
        {&app_segment, 1},
        {&lib_segment, 1},
    };
    struct fixture *f = *state;
    uint8_t old_env[ENVELOPE_MAX], new_env[ENVELOPE_MAX];
    size_t old_len = build_writer(f, 1, two, 2, "old image", 0, old_env);
    size_t new_len = build_writer(f, 2, two, 2, "new image!", 0, new_env);

    for (size_t p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
        pid_t pid;
        int status;

        for (size_t c = 0; c < 2; c++) {
            tk_suitdev_id id = device_id(&two[c]);

            tk_suitdev_delete(f->dev, &id);
        }
        assert_int_equal(run(f, old_env, old_len, TK_SUIT_OP_UPDATE, 0, NULL),
                         TK_OK);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            setenv(TK_SUITDEV_CRASH_ENV, points[p].point, 1);
            run(f, new_env, new_len, TK_SUIT_OP_UPDATE, 0, NULL);
            _exit(3);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        tk_suitdev_close(f->dev);
        f->dev = suitdev_test_open(f->dir, NULL);
        for (size_t c = 0; c < 2; c++) {
            tk_suitdev_id id = device_id(&two[c]);
            const char *want = points[p].new ? "new image!" : "old image";
            uint8_t *data;
            size_t len;
            tk_suitdev_meta meta;

            assert_int_equal(tk_suitdev_read(f->dev, &id, &data, &len),
                             TK_OK);
            assert_int_equal(tk_suitdev_get_meta(f->dev, &id, &meta), TK_OK);
            assert_int_equal(len, strlen(want));
            assert_memory_equal(data, want, len);
            assert_int_equal(meta.sequence_number, points[p].new ? 2 : 1);
            free(data);
        }
        assert_int_equal(suitdev_test_count_files(f->dir), 4);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(update_installs_and_records, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(failed_procedure_changes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_identifier_stays_inside,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(rollback_rejected_unless_allowed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(untrusted_signer_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(crash_during_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
