/* Tests of the simulated device's component store: file names from hostile
 * component identifiers, atomic installs under crashes, metadata, rollback
 * checks. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suitdev.h"
#include "suitdev_test.h"

static tk_suitdev_id make_id(size_t count, const char *const *segments)
{
    tk_suitdev_id id;

    memset(&id, 0, sizeof(id));
    for (size_t i = 0; i < count; i++)
        id.segment[i] = (tk_view){(const uint8_t *)segments[i],
                                  strlen(segments[i])};
    id.count = count;
    return id;
}

static void name_of_byte_segment(void **state)
{
    (void)state;
    static const uint8_t zero = 0;
    tk_suitdev_id id = {.segment = {{&zero, 1}}, .count = 1};
    char name[TK_SUITDEV_NAME_SIZE];

    assert_int_equal(tk_suitdev_component_name(&id, name), TK_OK);
    assert_string_equal(name, "c_h00");
}

static void name_of_text_segments(void **state)
{
    (void)state;
    const char *segs[] = {"TEEP-Device", "SecureFS"};
    tk_suitdev_id id = make_id(2, segs);
    char name[TK_SUITDEV_NAME_SIZE];

    assert_int_equal(tk_suitdev_component_name(&id, name), TK_OK);
    assert_string_equal(name, "c_sTEEP-Device_sSecureFS");
}

/* Separators, dots and slashes are never copied into a name. */
static void name_of_hostile_segments(void **state)
{
    (void)state;
    const char *segs[] = {"..", "/etc/passwd", "a_b", ""};
    tk_suitdev_id id = make_id(4, segs);
    char name[TK_SUITDEV_NAME_SIZE];

    assert_int_equal(tk_suitdev_component_name(&id, name), TK_OK);
    assert_string_equal(name, "c_h2e2e_h2f6574632f706173737764_h615f62_h");
    assert_null(strchr(name, '/'));
}

static void name_of_empty_id(void **state)
{
    (void)state;
    tk_suitdev_id id = make_id(0, NULL);
    char name[TK_SUITDEV_NAME_SIZE];

    assert_int_equal(tk_suitdev_component_name(&id, name), TK_OK);
    assert_string_equal(name, "c");
}

static void name_of_long_id_is_hashed(void **state)
{
    (void)state;
    char long_segment[300];
    const char *segs[] = {long_segment};
    char name[TK_SUITDEV_NAME_SIZE];

    memset(long_segment, 'a', sizeof(long_segment) - 1);
    long_segment[sizeof(long_segment) - 1] = '\0';
    tk_suitdev_id id = make_id(1, segs);
    assert_int_equal(tk_suitdev_component_name(&id, name), TK_OK);
    assert_int_equal(strlen(name), 66);
    assert_memory_equal(name, "c~", 2);
}

static void name_with_too_many_segments(void **state)
{
    (void)state;
    tk_suitdev_id id = make_id(0, NULL);
    char name[TK_SUITDEV_NAME_SIZE];

    id.count = TK_SUITDEV_MAX_SEGMENTS + 1;
    assert_int_equal(tk_suitdev_component_name(&id, name),
                     TK_ERR_SUIT_DEVICE_BAD_COMPONENT_ID);
}

static void install_read_list_delete(void **state)
{
    (void)state;
    char *dir = suitdev_test_tempdir();
    tk_suitdev *dev = suitdev_test_open(dir, NULL);
    const char *segs[] = {"TEEP-Device", "SecureFS"};
    tk_suitdev_id id = make_id(2, segs);
    tk_suitdev_meta meta = {.sequence_number = 7,
                            .manifest_digest_alg = -16,
                            .manifest_digest_len = 32};
    uint8_t *data;
    size_t len, count;
    tk_suitdev_entry *entries;
    tk_suitdev_meta got;

    memset(meta.manifest_digest, 0xab, 32);
    assert_int_equal(tk_suitdev_install(dev, &id, (const uint8_t *)"image", 5,
                                        &meta),
                     TK_OK);
    assert_int_equal(tk_suitdev_read(dev, &id, &data, &len), TK_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "image", 5);
    free(data);

    assert_int_equal(tk_suitdev_get_meta(dev, &id, &got), TK_OK);
    assert_int_equal(got.sequence_number, 7);
    assert_int_equal(got.manifest_digest_alg, -16);
    assert_int_equal(got.manifest_digest_len, 32);
    assert_memory_equal(got.manifest_digest, meta.manifest_digest, 32);
    assert_int_equal(got.image_size, 5);

    assert_int_equal(tk_suitdev_list(dev, &entries, &count), TK_OK);
    assert_int_equal(count, 1);
    assert_int_equal(entries[0].id.count, 2);
    assert_memory_equal(entries[0].id.segment[1].ptr, "SecureFS", 8);
    assert_string_equal(entries[0].name, "c_sTEEP-Device_sSecureFS");
    assert_int_equal(entries[0].meta.sequence_number, 7);
    tk_suitdev_list_free(entries, count);

    assert_int_equal(tk_suitdev_delete(dev, &id), TK_OK);
    assert_int_equal(tk_suitdev_read(dev, &id, &data, &len),
                     TK_ERR_NOT_FOUND);
    assert_int_equal(tk_suitdev_delete(dev, &id), TK_ERR_NOT_FOUND);
    assert_int_equal(suitdev_test_count_files(dir), 0);
    tk_suitdev_close(dev);
    suitdev_test_remove_tree(dir);
}

/* A hostile identifier creates files only inside the store folder. */
static void install_hostile_id_stays_inside(void **state)
{
    (void)state;
    char *dir = suitdev_test_tempdir();
    char sub[512];
    tk_suitdev *dev;
    const char *segs[] = {"..", "..", "escape"};
    tk_suitdev_id id = make_id(3, segs);
    tk_suitdev_meta meta = {0};
    char parent_file[600];

    snprintf(sub, sizeof(sub), "%s/store", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    dev = suitdev_test_open(sub, NULL);
    assert_int_equal(tk_suitdev_install(dev, &id, (const uint8_t *)"x", 1,
                                        &meta),
                     TK_OK);
    assert_int_equal(suitdev_test_count_files(sub), 2);
    /* Only the store folder was created in dir. */
    assert_int_equal(suitdev_test_count_files(dir), 1);
    snprintf(parent_file, sizeof(parent_file), "%s/escape.img", dir);
    assert_int_not_equal(access(parent_file, F_OK), 0);
    tk_suitdev_close(dev);
    suitdev_test_remove_tree(dir);
}

static void damaged_metadata_is_an_error(void **state)
{
    (void)state;
    char *dir = suitdev_test_tempdir();
    tk_suitdev *dev = suitdev_test_open(dir, NULL);
    const char *segs[] = {"app"};
    tk_suitdev_id id = make_id(1, segs);
    tk_suitdev_meta meta = {0};
    char path[600];

    assert_int_equal(tk_suitdev_install(dev, &id, (const uint8_t *)"x", 1,
                                        &meta),
                     TK_OK);
    snprintf(path, sizeof(path), "%s/c_sapp.meta", dir);
    suitdev_test_write(path, "{\"component-id\": 5}", 19);
    assert_int_equal(tk_suitdev_get_meta(dev, &id, &meta),
                     TK_ERR_SUIT_DEVICE_IO);
    assert_non_null(strstr(tk_suitdev_last_error(dev), "damaged"));
    tk_suitdev_close(dev);
    suitdev_test_remove_tree(dir);
}

static void image_over_limit_is_rejected(void **state)
{
    (void)state;
    char *dir = suitdev_test_tempdir();
    tk_suitdev_config config = {.store_dir = dir, .max_image_size = 4};
    tk_suitdev *dev;
    const char *segs[] = {"app"};
    tk_suitdev_id id = make_id(1, segs);
    tk_suitdev_meta meta = {0};

    assert_int_equal(tk_suitdev_open(&config, &dev), TK_OK);
    assert_int_equal(tk_suitdev_install(dev, &id, (const uint8_t *)"12345", 5,
                                        &meta),
                     TK_ERR_LIMIT);
    assert_int_equal(suitdev_test_count_files(dir), 0);
    tk_suitdev_close(dev);
    suitdev_test_remove_tree(dir);
}

static void rollback_checks(void **state)
{
    (void)state;
    char *dir = suitdev_test_tempdir();
    tk_suitdev *dev = suitdev_test_open(dir, NULL);
    const char *segs[] = {"TEEP-Device", "SecureFS"};
    tk_suitdev_id id = make_id(2, segs);
    tk_suitdev_meta installed = {.sequence_number = 5,
                                 .manifest_digest_alg = -16,
                                 .manifest_digest_len = 32};
    tk_suitdev_meta other = installed;

    memset(installed.manifest_digest, 0x11, 32);
    memset(other.manifest_digest, 0x22, 32);
    assert_int_equal(tk_suitdev_check_rollback(dev, &id, 0, &installed),
                     TK_OK);
    assert_int_equal(tk_suitdev_install(dev, &id, (const uint8_t *)"v5", 2,
                                        &installed),
                     TK_OK);
    assert_int_equal(tk_suitdev_check_rollback(dev, &id, 4, &installed),
                     TK_ERR_SUIT_DEVICE_ROLLBACK);
    assert_int_equal(tk_suitdev_check_rollback(dev, &id, 5, &installed),
                     TK_OK);
    assert_int_equal(tk_suitdev_check_rollback(dev, &id, 5, &other),
                     TK_ERR_SUIT_DEVICE_ROLLBACK);
    assert_int_equal(tk_suitdev_check_rollback(dev, &id, 6, &other), TK_OK);
    tk_suitdev_close(dev);
    suitdev_test_remove_tree(dir);
}

/*
 * Runs an install of "new image" over "old image" in a child process that
 * kills itself at point. Then reopens the store and checks that the
 * component is exactly the old or the new image with matching metadata,
 * and that no temporary file is left. Returns 1 for the new image, 0 for
 * the old one, -1 when the component is missing.
 */
static int crash_install_at(const char *point, int with_old)
{
    char *dir = suitdev_test_tempdir();
    const char *segs[] = {"app"};
    tk_suitdev_id id = make_id(1, segs);
    tk_suitdev_meta old_meta = {.sequence_number = 1};
    tk_suitdev_meta new_meta = {.sequence_number = 2};
    static const char old_image[] = "old image, version 1";
    static const char new_image[] = "new image, version two, longer";
    tk_suitdev *dev = suitdev_test_open(dir, NULL);
    pid_t pid;
    int status;
    uint8_t *data;
    size_t len;
    tk_suitdev_meta meta;
    int result;

    if (with_old)
        assert_int_equal(tk_suitdev_install(dev, &id,
                                            (const uint8_t *)old_image,
                                            strlen(old_image), &old_meta),
                         TK_OK);
    tk_suitdev_close(dev);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tk_suitdev *child;

        setenv(TK_SUITDEV_CRASH_ENV, point, 1);
        if (tk_suitdev_open(&(tk_suitdev_config){.store_dir = dir}, &child) !=
            TK_OK)
            _exit(3);
        tk_suitdev_install(child, &id, (const uint8_t *)new_image,
                           strlen(new_image), &new_meta);
        _exit(4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);

    dev = suitdev_test_open(dir, NULL);
    if (tk_suitdev_read(dev, &id, &data, &len) == TK_ERR_NOT_FOUND) {
        result = -1;
    } else {
        assert_int_equal(tk_suitdev_get_meta(dev, &id, &meta), TK_OK);
        if (len == strlen(new_image) &&
            memcmp(data, new_image, len) == 0) {
            result = 1;
            assert_int_equal(meta.sequence_number, 2);
        } else {
            assert_int_equal(len, strlen(old_image));
            assert_memory_equal(data, old_image, len);
            assert_int_equal(meta.sequence_number, 1);
            result = 0;
        }
        assert_int_equal(meta.image_size, len);
        free(data);
    }
    /* Only STEM.img and STEM.meta remain: no .new file. */
    assert_int_equal(suitdev_test_count_files(dir), result < 0 ? 0 : 2);
    tk_suitdev_close(dev);
    suitdev_test_remove_tree(dir);
    return result;
}

static void crash_after_write_keeps_old(void **state)
{
    (void)state;
    assert_int_equal(crash_install_at("after-write", 1), 0);
    assert_int_equal(crash_install_at("after-write", 0), -1);
}

static void crash_after_fsync_keeps_old(void **state)
{
    (void)state;
    assert_int_equal(crash_install_at("after-fsync", 1), 0);
    assert_int_equal(crash_install_at("after-fsync", 0), -1);
}

static void crash_before_rename_keeps_old(void **state)
{
    (void)state;
    assert_int_equal(crash_install_at("before-rename", 1), 0);
    assert_int_equal(crash_install_at("before-rename", 0), -1);
}

static void crash_after_rename_keeps_new(void **state)
{
    (void)state;
    assert_int_equal(crash_install_at("after-rename", 1), 1);
    assert_int_equal(crash_install_at("after-rename", 0), 1);
}

static void crash_after_metadata_keeps_new(void **state)
{
    (void)state;
    assert_int_equal(crash_install_at("after-metadata", 1), 1);
    assert_int_equal(crash_install_at("after-metadata", 0), 1);
}

/* A delete interrupted between its two unlinks leaves no half component. */
static void orphan_image_is_removed_at_open(void **state)
{
    (void)state;
    char *dir = suitdev_test_tempdir();
    char path[600];
    tk_suitdev *dev;

    snprintf(path, sizeof(path), "%s/c_sapp.img", dir);
    suitdev_test_write(path, "left", 4);
    dev = suitdev_test_open(dir, NULL);
    assert_int_equal(suitdev_test_count_files(dir), 0);
    tk_suitdev_close(dev);
    suitdev_test_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(name_of_byte_segment),
        cmocka_unit_test(name_of_text_segments),
        cmocka_unit_test(name_of_hostile_segments),
        cmocka_unit_test(name_of_empty_id),
        cmocka_unit_test(name_of_long_id_is_hashed),
        cmocka_unit_test(name_with_too_many_segments),
        cmocka_unit_test(install_read_list_delete),
        cmocka_unit_test(install_hostile_id_stays_inside),
        cmocka_unit_test(damaged_metadata_is_an_error),
        cmocka_unit_test(image_over_limit_is_rejected),
        cmocka_unit_test(rollback_checks),
        cmocka_unit_test(crash_after_write_keeps_old),
        cmocka_unit_test(crash_after_fsync_keeps_old),
        cmocka_unit_test(crash_before_rename_keeps_old),
        cmocka_unit_test(crash_after_rename_keeps_new),
        cmocka_unit_test(crash_after_metadata_keeps_new),
        cmocka_unit_test(orphan_image_is_removed_at_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
