/* Helpers of the simulated device tests: scratch folders and files. Each
 * aborts the test program on an I/O failure, which is a broken machine,
 * not a test result. */
#ifndef SUITDEV_TEST_H
#define SUITDEV_TEST_H

#include <stddef.h>

#include "suitdev.h"

/* Creates an empty folder under $TMPDIR (or /tmp) and returns its path in
 * a malloc'd string that suitdev_test_remove_tree() frees. */
char *suitdev_test_tempdir(void);

/* Opens a device on store_dir that may read file: URIs in fetch_dir (none
 * when NULL) and fetch http://127.0.0.1. */
tk_suitdev *suitdev_test_open(const char *store_dir, const char *fetch_dir);

/* Returns the number of entries in dir, "." and ".." excluded. */
int suitdev_test_count_files(const char *dir);

/* Creates or replaces path with len bytes of data. */
void suitdev_test_write(const char *path, const void *data, size_t len);

/* Removes dir with everything under it and frees the string. */
void suitdev_test_remove_tree(char *dir);

#endif /* SUITDEV_TEST_H */
