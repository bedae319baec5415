/* Helpers of the simulated device tests; see suitdev_test.h. */
#define _XOPEN_SOURCE 700
#include "suitdev_test.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
    fprintf(stderr, "suitdev test: %s %s failed\n", what, path);
    abort();
}

char *suitdev_test_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    char *path = malloc(4096);

    if (path == NULL)
        abort();
    snprintf(path, 4096, "%s/tk-suitdev-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(path) == NULL)
        die("mkdtemp", path);
    return path;
}

tk_suitdev *suitdev_test_open(const char *store_dir, const char *fetch_dir)
{
    const char *dirs[1] = {fetch_dir};
    tk_suitdev_config config = {
        .store_dir = store_dir,
        .fetch_dirs = dirs,
        .fetch_dir_count = fetch_dir != NULL ? 1 : 0,
        .allow_http = 1,
        .http_timeout_ms = 10000,
    };
    tk_suitdev *device = NULL;

    if (tk_suitdev_open(&config, &device) != TK_OK)
        die("tk_suitdev_open", store_dir);
    return device;
}

int suitdev_test_count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    int count = 0;

    if (d == NULL)
        die("opendir", dir);
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
            count++;
    }
    closedir(d);
    return count;
}

void suitdev_test_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        die("writing", path);
}

static int remove_entry(const char *path, const struct stat *st, int type,
                        struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

void suitdev_test_remove_tree(char *dir)
{
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        die("removing", dir);
    free(dir);
}
