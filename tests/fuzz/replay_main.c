/*
 * Replays saved inputs through a fuzz target's entry point, so that normal
 * (non-fuzz) builds run the seed corpus and every regression input as a
 * unit test under AddressSanitizer and UBSan.
 *
 * Usage: fuzz_replay_TARGET PATH...
 * Each PATH is a file or a folder whose regular files (names not starting
 * with '.', in name order) are replayed. A folder that does not exist is
 * skipped, because a target may have no regressions yet. Each input is
 * copied into a buffer of exactly its size, so that a read past its end is
 * caught. A crash ends the program; otherwise it prints the count and
 * returns 0, or 1 when no input was found at all.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            uint8_t *grown = realloc(buf, cap);
            if (grown == NULL)
                free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "out of memory reading %s\n", path);
        return -1;
    }
    /* An exact-size copy puts the end of the input at a redzone. */
    uint8_t *exact = malloc(len == 0 ? 1 : len);
    if (exact == NULL) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_hidden(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Replays path; returns the number of inputs, or -1 on an I/O error. */
static long replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return replay_file(path) == 0 ? 1 : -1;
    struct dirent **names;
    int count = scandir(path, &names, skip_hidden, by_name);
    if (count < 0) {
        fprintf(stderr, "cannot list %s: %s\n", path, strerror(errno));
        return -1;
    }
    long done = 0;
    for (int i = 0; i < count; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
        struct stat fs;
        if (stat(full, &fs) == 0 && S_ISREG(fs.st_mode)) {
            if (replay_file(full) != 0)
                done = -1;
            else if (done >= 0)
                done++;
        }
        free(names[i]);
    }
    free(names);
    return done;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    long total = 0;
    for (int i = 1; i < argc; i++) {
        long n = replay_path(argv[i]);
        if (n < 0)
            return 1;
        total += n;
    }
    printf("replayed %ld inputs\n", total);
    return total > 0 ? 0 : 1;
}
