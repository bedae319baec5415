/*
 * Tests of tk_suitdev_commit(): one transaction over several components.
 * A process killed at every commit step leaves all components old or all
 * new, a failed commit changes nothing, and opening the store finishes a
 * committed journal and refuses a damaged one.
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

/* The store before and after the commit under test: components a and b
 * get new images, c is deleted, and d gets a new rollback record on its
 * unchanged image. */
static const char *const seg_a[] = {"app"};
static const char *const seg_b[] = {"lib"};
static const char *const seg_c[] = {"old-plugin"};
static const char *const seg_d[] = {"config"};
static const char old_a[] = "application, version 1";
static const char new_a[] = "application, version 2 with more bytes";
static const char old_b[] = "library 1";
static const char new_b[] = "library 2";
static const char image_c[] = "plugin to remove";
static const char image_d[] = "configuration";

static tk_suitdev_id make_id(const char *const *segment)
{
    tk_suitdev_id id;

    memset(&id, 0, sizeof(id));
    id.segment[0] = (tk_view){(const uint8_t *)segment[0], strlen(segment[0])};
    id.count = 1;
    return id;
}

static void install(tk_suitdev *dev, const char *const *segment,
                    const char *image, uint64_t sequence)
{
    tk_suitdev_id id = make_id(segment);
    tk_suitdev_meta meta = {.sequence_number = sequence};

    assert_int_equal(tk_suitdev_install(dev, &id, (const uint8_t *)image,
                                        strlen(image), &meta),
                     TK_OK);
}

/* Creates a store with a, b, c and d at sequence number 1. */
static char *old_store(void)
{
    char *dir = suitdev_test_tempdir();
    tk_suitdev *dev = suitdev_test_open(dir, NULL);

    install(dev, seg_a, old_a, 1);
    install(dev, seg_b, old_b, 1);
    install(dev, seg_c, image_c, 1);
    install(dev, seg_d, image_d, 1);
    tk_suitdev_close(dev);
    return dir;
}

/* Runs the commit under test on dev. */
static tk_err commit_new(tk_suitdev *dev)
{
    tk_suitdev_id a = make_id(seg_a), b = make_id(seg_b);
    tk_suitdev_id c = make_id(seg_c), d = make_id(seg_d);
    tk_suitdev_change changes[4];

    memset(changes, 0, sizeof(changes));
    changes[0].kind = TK_SUITDEV_CHANGE_INSTALL;
    changes[0].id = &a;
    changes[0].data = (const uint8_t *)new_a;
    changes[0].len = strlen(new_a);
    changes[0].meta.sequence_number = 2;
    changes[1].kind = TK_SUITDEV_CHANGE_INSTALL;
    changes[1].id = &b;
    changes[1].data = (const uint8_t *)new_b;
    changes[1].len = strlen(new_b);
    changes[1].meta.sequence_number = 2;
    changes[2].kind = TK_SUITDEV_CHANGE_DELETE;
    changes[2].id = &c;
    changes[3].kind = TK_SUITDEV_CHANGE_METADATA;
    changes[3].id = &d;
    changes[3].meta.sequence_number = 2;
    return tk_suitdev_commit(dev, changes, 4);
}

/* Checks that component segment contains image at sequence number sequence,
 * with metadata that describes the image. */
static void expect_component(tk_suitdev *dev, const char *const *segment,
                             const char *image, uint64_t sequence)
{
    tk_suitdev_id id = make_id(segment);
    tk_suitdev_meta meta;
    uint8_t *data = NULL;
    size_t len = 0;

    assert_int_equal(tk_suitdev_read(dev, &id, &data, &len), TK_OK);
    assert_int_equal(len, strlen(image));
    assert_memory_equal(data, image, len);
    assert_int_equal(tk_suitdev_get_meta(dev, &id, &meta), TK_OK);
    assert_int_equal(meta.sequence_number, sequence);
    assert_int_equal(meta.image_size, len);
    free(data);
}

/* Checks the whole store: every component old (new == 0) or new. Only
 * the .img and .meta files of the components remain. */
static void expect_store(const char *dir, int new)
{
    tk_suitdev *dev = suitdev_test_open(dir, NULL);
    tk_suitdev_id c = make_id(seg_c);
    tk_suitdev_meta meta;

    expect_component(dev, seg_a, new ? new_a : old_a, new ? 2 : 1);
    expect_component(dev, seg_b, new ? new_b : old_b, new ? 2 : 1);
    expect_component(dev, seg_d, image_d, new ? 2 : 1);
    if (new) {
        assert_int_equal(tk_suitdev_get_meta(dev, &c, &meta),
                         TK_ERR_NOT_FOUND);
        assert_int_equal(suitdev_test_count_files(dir), 6);
    } else {
        expect_component(dev, seg_c, image_c, 1);
        assert_int_equal(suitdev_test_count_files(dir), 8);
    }
    tk_suitdev_close(dev);
}

/* Kills a child process at point of the commit, then checks that opening
 * the store leaves it entirely old (expect_new == 0) or entirely new. */
static void crash_at(const char *point, int expect_new)
{
    char *dir = old_store();
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        tk_suitdev *child;

        setenv(TK_SUITDEV_CRASH_ENV, point, 1);
        if (tk_suitdev_open(&(tk_suitdev_config){.store_dir = dir}, &child) !=
            TK_OK)
            _exit(3);
        commit_new(child);
        _exit(4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    expect_store(dir, expect_new);
    suitdev_test_remove_tree(dir);
}

static void crash_before_commit_point_keeps_all_old(void **state)
{
    (void)state;
    crash_at("after-write", 0);
    crash_at("after-fsync", 0);
    crash_at("before-rename", 0);
}

static void crash_after_commit_point_makes_all_new(void **state)
{
    (void)state;
    crash_at("after-journal", 1);
    crash_at("after-rename", 1);
    crash_at("after-metadata", 1);
    crash_at("between-renames", 1);
    crash_at("after-apply", 1);
}

static void commit_without_crash(void **state)
{
    (void)state;
    char *dir = old_store();
    tk_suitdev *dev = suitdev_test_open(dir, NULL);

    assert_int_equal(commit_new(dev), TK_OK);
    assert_string_equal(tk_suitdev_last_error(dev), "");
    tk_suitdev_close(dev);
    expect_store(dir, 1);
    suitdev_test_remove_tree(dir);
}

/* A change that cannot be staged (its .img.new name is taken by a folder)
 * fails the commit, and the components staged before it are discarded. */
static void failed_staging_changes_nothing(void **state)
{
    (void)state;
    char *dir = old_store();
    char path[600];
    tk_suitdev *dev = suitdev_test_open(dir, NULL);

    snprintf(path, sizeof(path), "%s/c_slib.img.new", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(commit_new(dev), TK_ERR_SUIT_DEVICE_IO);
    assert_non_null(strstr(tk_suitdev_last_error(dev), "c_slib.img.new"));
    assert_int_equal(rmdir(path), 0);
    tk_suitdev_close(dev);
    expect_store(dir, 0);
    suitdev_test_remove_tree(dir);
}

static void duplicate_component_is_rejected(void **state)
{
    (void)state;
    char *dir = old_store();
    tk_suitdev *dev = suitdev_test_open(dir, NULL);
    tk_suitdev_id a = make_id(seg_a);
    tk_suitdev_change changes[2];

    memset(changes, 0, sizeof(changes));
    changes[0].kind = TK_SUITDEV_CHANGE_INSTALL;
    changes[0].id = &a;
    changes[0].data = (const uint8_t *)new_a;
    changes[0].len = strlen(new_a);
    changes[1].kind = TK_SUITDEV_CHANGE_DELETE;
    changes[1].id = &a;
    assert_int_equal(tk_suitdev_commit(dev, changes, 2), TK_ERR_INVALID_ARG);
    assert_non_null(strstr(tk_suitdev_last_error(dev), "c_sapp"));
    tk_suitdev_close(dev);
    expect_store(dir, 0);
    suitdev_test_remove_tree(dir);
}

static void metadata_of_missing_component_fails(void **state)
{
    (void)state;
    char *dir = old_store();
    tk_suitdev *dev = suitdev_test_open(dir, NULL);
    const char *const seg_x[] = {"missing"};
    tk_suitdev_id a = make_id(seg_a), x = make_id(seg_x);
    tk_suitdev_change changes[2];

    memset(changes, 0, sizeof(changes));
    changes[0].kind = TK_SUITDEV_CHANGE_INSTALL;
    changes[0].id = &a;
    changes[0].data = (const uint8_t *)new_a;
    changes[0].len = strlen(new_a);
    changes[0].meta.sequence_number = 2;
    changes[1].kind = TK_SUITDEV_CHANGE_METADATA;
    changes[1].id = &x;
    assert_int_equal(tk_suitdev_commit(dev, changes, 2), TK_ERR_NOT_FOUND);
    assert_non_null(strstr(tk_suitdev_last_error(dev), "not installed"));
    tk_suitdev_close(dev);
    expect_store(dir, 0);
    suitdev_test_remove_tree(dir);
}

/* Deleting a component that is not installed changes nothing. */
static void delete_of_missing_component_is_harmless(void **state)
{
    (void)state;
    char *dir = old_store();
    tk_suitdev *dev = suitdev_test_open(dir, NULL);
    const char *const seg_x[] = {"missing"};
    tk_suitdev_id x = make_id(seg_x);
    tk_suitdev_change change;

    memset(&change, 0, sizeof(change));
    change.kind = TK_SUITDEV_CHANGE_DELETE;
    change.id = &x;
    assert_int_equal(tk_suitdev_commit(dev, &change, 1), TK_OK);
    assert_int_equal(tk_suitdev_delete(dev, &x), TK_ERR_NOT_FOUND);
    tk_suitdev_close(dev);
    expect_store(dir, 0);
    suitdev_test_remove_tree(dir);
}

/* Files staged by a commit that never wrote its journal are discarded. */
static void staged_files_without_journal_are_discarded(void **state)
{
    (void)state;
    char *dir = old_store();
    char path[600];

    snprintf(path, sizeof(path), "%s/c_sapp.img.new", dir);
    suitdev_test_write(path, new_a, strlen(new_a));
    snprintf(path, sizeof(path), "%s/c_sapp.meta.new", dir);
    suitdev_test_write(path, "{}", 2);
    snprintf(path, sizeof(path), "%s/commit.journal.new", dir);
    suitdev_test_write(path, "teepkit", 7);
    expect_store(dir, 0);
    suitdev_test_remove_tree(dir);
}

/* A journal whose components were already applied is removed. */
static void applied_journal_is_removed(void **state)
{
    (void)state;
    char *dir = old_store();
    char path[600];
    static const char journal[] = "teepkit-suitdev-journal 1\n"
                                  "install c_sapp\n"
                                  "delete c_sgone\n"
                                  "end\n";

    snprintf(path, sizeof(path), "%s/commit.journal", dir);
    suitdev_test_write(path, journal, strlen(journal));
    expect_store(dir, 0);
    suitdev_test_remove_tree(dir);
}

/* A damaged journal stops the store from opening: the components it
 * lists may be half applied, and guessing could mix versions. */
static void damaged_journal_is_an_error(void **state)
{
    (void)state;
    static const char *const damaged[] = {
        "teepkit-suitdev-journal 1\ninstall c_sapp\n",      /* no end */
        "teepkit-suitdev-journal 2\ninstall c_sapp\nend\n", /* version */
        "teepkit-suitdev-journal 1\ninstall ../x\nend\n",   /* stem */
        "teepkit-suitdev-journal 1\nrename c_sapp\nend\n",  /* kind */
        "teepkit-suitdev-journal 1\nend\nextra\n",          /* after end */
    };

    for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
        char *dir = old_store();
        char path[600];
        tk_suitdev *dev = NULL;

        snprintf(path, sizeof(path), "%s/commit.journal", dir);
        suitdev_test_write(path, damaged[i], strlen(damaged[i]));
        assert_int_equal(
            tk_suitdev_open(&(tk_suitdev_config){.store_dir = dir}, &dev),
            TK_ERR_SUIT_DEVICE_IO);
        assert_null(dev);
        assert_int_equal(unlink(path), 0);
        expect_store(dir, 0);
        suitdev_test_remove_tree(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_without_crash),
        cmocka_unit_test(crash_before_commit_point_keeps_all_old),
        cmocka_unit_test(crash_after_commit_point_makes_all_new),
        cmocka_unit_test(failed_staging_changes_nothing),
        cmocka_unit_test(duplicate_component_is_rejected),
        cmocka_unit_test(metadata_of_missing_component_fails),
        cmocka_unit_test(delete_of_missing_component_is_harmless),
        cmocka_unit_test(staged_files_without_journal_are_discarded),
        cmocka_unit_test(applied_journal_is_removed),
        cmocka_unit_test(damaged_journal_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
