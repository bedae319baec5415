/*
 * Tombstones of the agent's component store (apps/suitdev opened with
 * keep_tombstones): a deleted component keeps its highest sequence number,
 * or that of the manifest that unlinked it, so that the SUIT processor and
 * tk_suitdev_check_rollback() reject an older manifest for it and write
 * nothing, while a newer one installs. A
 * delete killed at each commit step leaves the component whole, or gone
 * with its tombstone.
 */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "suit_test_util.h"
#include "suitdev.h"
#include "teepkit/suit.h"

/* Writes the text "version N" into component [h'00'] with sequence
 * number N (the placeholder %d is replaced twice). */
#define MANIFEST                                                             \
    "{1: 1, 2: %d, 3: << {2: [[h'00']]} >>,"                                  \
    " 20: << [20, {18: 'version %d'}, 18, 15] >>}"

typedef struct fixture {
    char dir[64];
    tk_suitdev *device;
    tk_suitdev_id id;   /* [h'00'] */
    uint8_t env[4096];
    size_t env_len;
} fixture;

static const uint8_t segment[1] = {0x00};

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static tk_suitdev *open_store(const char *dir, int keep_tombstones)
{
    tk_suitdev_config config;
    tk_suitdev *device = NULL;

    memset(&config, 0, sizeof(config));
    config.store_dir = dir;
    config.keep_tombstones = keep_tombstones;
    assert_int_equal(tk_suitdev_open(&config, &device), TK_OK);
    return device;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    strcpy(f->dir, "/tmp/tk-agent-tomb-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->device = open_store(f->dir, 1);
    f->id.segment[0] = (tk_view){segment, sizeof(segment)};
    f->id.count = 1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    tk_suitdev_close(f->device);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Returns 1 when the store folder has a file of that name. */
static int has_file(const fixture *f, const char *name)
{
    char path[128];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    return stat(path, &st) == 0;
}

/* Returns how many of the component's files, staged files and journal
 * files exist in the store folder. */
static int count_files(const fixture *f)
{
    static const char *const names[] = {
        "c_h00.img", "c_h00.meta", "c_h00.tomb", "c_h00.img.new",
        "c_h00.meta.new", "c_h00.tomb.new", "commit.journal",
        "commit.journal.new"};
    int count = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        count += has_file(f, names[i]);
    return count;
}

/* Unlinks component [h'00'] in a manifest whose sequence number replaces
 * the placeholder. */
#define UNLINK_MANIFEST                                                      \
    "{1: 1, 2: %d, 3: << {2: [[h'00']]} >>, 20: << [33, 15] >>}"

/* Processes the manifest text, signed with the example key, on a session
 * of the store. */
static tk_err process_text(fixture *f, const char *manifest)
{
    const tk_key *keys[1] = {tu_example_public()};
    tk_suitdev_policy policy;
    tk_suitdev_session *session = NULL;
    tk_suit_processor *proc = calloc(1, sizeof(*proc));
    tk_suit_config cfg;
    tk_err err;

    assert_non_null(proc);
    f->env_len = tu_envelope(manifest, NULL, tu_example_private(),
                             TK_ALG_ES256, f->env, sizeof(f->env));
    memset(&policy, 0, sizeof(policy));
    policy.manifest_keys = keys;
    policy.manifest_key_count = 1;
    assert_int_equal(tk_suitdev_session_open(f->device, &policy, &session),
                     TK_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tu_crypto();
    cfg.platform = tk_suitdev_session_platform(session);
    assert_int_equal(tk_suit_processor_init(proc, &cfg), TK_OK);
    err = tk_suit_process(proc, (tk_view){f->env, f->env_len},
                          TK_SUIT_OP_UPDATE);
    tk_suitdev_session_close(session);
    free(proc);
    return err;
}

/* Processes the manifest of version sequence. */
static tk_err process(fixture *f, int sequence)
{
    char manifest[256];
    snprintf(manifest, sizeof(manifest), MANIFEST, sequence, sequence);
    return process_text(f, manifest);
}

/* Returns the sequence number of the installed component, or -1. */
static int64_t installed_sequence(fixture *f)
{
    tk_suitdev_meta meta;

    if (tk_suitdev_get_meta(f->device, &f->id, &meta) != TK_OK)
        return -1;
    return (int64_t)meta.sequence_number;
}

/* Install 5, delete, install 4: rejected, nothing written; install 6. */
static void older_after_delete_rejected(void **state)
{
    fixture *f = *state;
    tk_suitdev_meta tomb;

    assert_int_equal(process(f, 5), TK_OK);
    assert_int_equal(installed_sequence(f), 5);
    assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                     TK_ERR_NOT_FOUND);
    assert_int_equal(tk_suitdev_delete(f->device, &f->id), TK_OK);
    assert_int_equal(installed_sequence(f), -1);
    assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                     TK_OK);
    assert_int_equal(tomb.sequence_number, 5);
    assert_int_equal(tomb.manifest_digest_len, 32);
    assert_int_equal(count_files(f), 1);

    assert_int_equal(process(f, 4), TK_ERR_SUIT_ROLLBACK);
    assert_int_equal(installed_sequence(f), -1);
    assert_int_equal(count_files(f), 1);
    assert_true(has_file(f, "c_h00.tomb"));

    assert_int_equal(process(f, 6), TK_OK);
    assert_int_equal(installed_sequence(f), 6);
    assert_int_equal(count_files(f), 3);
    /* The tombstone stays with the lower number, and deleting again
     * raises it. */
    assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                     TK_OK);
    assert_int_equal(tomb.sequence_number, 5);
    assert_int_equal(tk_suitdev_delete(f->device, &f->id), TK_OK);
    assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                     TK_OK);
    assert_int_equal(tomb.sequence_number, 6);
}

/* The same manifest may install the component again after a delete,
 * because it brings back no older state. The processor compares the equal
 * number with the tombstone's manifest digest. */
static void same_manifest_after_delete(void **state)
{
    fixture *f = *state;

    assert_int_equal(process(f, 5), TK_OK);
    assert_int_equal(tk_suitdev_delete(f->device, &f->id), TK_OK);
    assert_int_equal(process(f, 5), TK_OK);
    assert_int_equal(installed_sequence(f), 5);
}

/* A manifest that unlinks the component leaves its own sequence number
 * in the tombstone, so the manifests it replaced cannot undo the delete:
 * install 5, unlink with 7, then 5 and 6 are rejected and 8 installs. */
static void unlink_raises_tombstone(void **state)
{
    fixture *f = *state;
    char manifest[256];
    tk_suitdev_meta tomb;

    assert_int_equal(process(f, 5), TK_OK);
    snprintf(manifest, sizeof(manifest), UNLINK_MANIFEST, 7);
    assert_int_equal(process_text(f, manifest), TK_OK);
    assert_int_equal(installed_sequence(f), -1);
    assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                     TK_OK);
    assert_int_equal(tomb.sequence_number, 7);
    assert_int_equal(process(f, 5), TK_ERR_SUIT_ROLLBACK);
    assert_int_equal(process(f, 6), TK_ERR_SUIT_ROLLBACK);
    assert_int_equal(installed_sequence(f), -1);
    assert_int_equal(process(f, 8), TK_OK);
    assert_int_equal(installed_sequence(f), 8);
}

/* tk_suitdev_check_rollback() reads the tombstone as it reads installed
 * metadata. */
static void check_rollback_reads_tombstone(void **state)
{
    fixture *f = *state;
    tk_suitdev_meta manifest, tomb;

    assert_int_equal(process(f, 5), TK_OK);
    assert_int_equal(tk_suitdev_get_meta(f->device, &f->id, &manifest),
                     TK_OK);
    assert_int_equal(tk_suitdev_delete(f->device, &f->id), TK_OK);
    assert_int_equal(tk_suitdev_check_rollback(f->device, &f->id, 4,
                                               &manifest),
                     TK_ERR_SUIT_DEVICE_ROLLBACK);
    assert_non_null(strstr(tk_suitdev_last_error(f->device),
                           "deleted component"));
    assert_int_equal(tk_suitdev_check_rollback(f->device, &f->id, 5,
                                               &manifest),
                     TK_OK);
    tomb = manifest;
    tomb.manifest_digest[0] ^= 1;
    assert_int_equal(tk_suitdev_check_rollback(f->device, &f->id, 5, &tomb),
                     TK_ERR_SUIT_DEVICE_ROLLBACK);
    assert_int_equal(tk_suitdev_check_rollback(f->device, &f->id, 6, &tomb),
                     TK_OK);
}

/* A tombstone is never lowered: deleting a component that an install
 * without checks put back at a lower number keeps the higher one. */
static void tombstone_never_lowered(void **state)
{
    fixture *f = *state;
    tk_suitdev_meta meta, tomb;

    memset(&meta, 0, sizeof(meta));
    meta.sequence_number = 9;
    assert_int_equal(tk_suitdev_install(f->device, &f->id,
                                        (const uint8_t *)"nine", 4, &meta),
                     TK_OK);
    assert_int_equal(tk_suitdev_delete(f->device, &f->id), TK_OK);
    meta.sequence_number = 2;
    assert_int_equal(tk_suitdev_install(f->device, &f->id,
                                        (const uint8_t *)"two", 3, &meta),
                     TK_OK);
    assert_int_equal(tk_suitdev_delete(f->device, &f->id), TK_OK);
    assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                     TK_OK);
    assert_int_equal(tomb.sequence_number, 9);
}

/* A store opened without keep_tombstones, as `teepkit suit process`
 * opens it, leaves nothing behind a delete. */
static void tombstones_off_by_default(void **state)
{
    fixture *f = *state;
    tk_suitdev_meta tomb;

    tk_suitdev_close(f->device);
    f->device = open_store(f->dir, 0);
    assert_int_equal(process(f, 5), TK_OK);
    assert_int_equal(tk_suitdev_delete(f->device, &f->id), TK_OK);
    assert_int_equal(count_files(f), 0);
    assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                     TK_ERR_NOT_FOUND);
    assert_int_equal(process(f, 4), TK_OK);
}

/* Kills a child that deletes the component at point, then opens the
 * store: the component is whole without a tombstone (deleted == 0), or
 * gone with one. */
static void crash_delete_at(fixture *f, const char *point, int deleted)
{
    tk_suitdev_meta tomb;
    pid_t pid;
    int status;

    assert_int_equal(process(f, 5), TK_OK);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tk_suitdev *child = NULL;
        tk_suitdev_config config;

        setenv(TK_SUITDEV_CRASH_ENV, point, 1);
        memset(&config, 0, sizeof(config));
        config.store_dir = f->dir;
        config.keep_tombstones = 1;
        if (tk_suitdev_open(&config, &child) != TK_OK)
            _exit(3);
        tk_suitdev_delete(child, &f->id);
        _exit(4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    tk_suitdev_close(f->device);
    f->device = open_store(f->dir, 1);
    if (deleted) {
        assert_int_equal(installed_sequence(f), -1);
        assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                         TK_OK);
        assert_int_equal(tomb.sequence_number, 5);
        assert_int_equal(count_files(f), 1);
    } else {
        assert_int_equal(installed_sequence(f), 5);
        assert_int_equal(tk_suitdev_get_tombstone(f->device, &f->id, &tomb),
                         TK_ERR_NOT_FOUND);
        assert_int_equal(count_files(f), 2);
    }
}

static void crash_before_journal_keeps(void **state)
{
    crash_delete_at(*state, "before-rename", 0);
}

static void crash_after_journal_deletes(void **state)
{
    crash_delete_at(*state, "after-journal", 1);
}

static void crash_after_apply_deletes(void **state)
{
    crash_delete_at(*state, "after-apply", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(older_after_delete_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unlink_raises_tombstone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(same_manifest_after_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(check_rollback_reads_tombstone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(tombstone_never_lowered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(tombstones_off_by_default, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(crash_before_journal_keeps, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(crash_after_journal_deletes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(crash_after_apply_deletes, setup,
                                        teardown),
    };

    tk_log_set_level(TK_LOG_OFF);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
