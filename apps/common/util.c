/* Host-side file and text helpers; see util.h. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_stream(int fd, size_t max_len, uint8_t **data, size_t *len)
{
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    if (buf == NULL)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap > max_len) {
                free(buf);
                errno = EFBIG;
                return -1;
            }
            uint8_t *bigger = realloc(buf, cap * 2 + 1);
            if (bigger == NULL) {
                free(buf);
                return -1;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (n > max_len) {
        free(buf);
        errno = EFBIG;
        return -1;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

int tk_util_read_file(const char *path, size_t max_len, uint8_t **data,
                      size_t *len)
{
    if (strcmp(path, "-") == 0)
        return read_stream(STDIN_FILENO, max_len, data, len);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = read_stream(fd, max_len, data, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t put = write(fd, data, len);
        if (put < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += put;
        len -= (size_t)put;
    }
    return 0;
}

static int sync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int tk_util_write_file(const char *path, const uint8_t *data, size_t len,
                       mode_t mode)
{
    if (strcmp(path, "-") == 0)
        return write_all(STDOUT_FILENO, data, len);

    size_t tmp_len = strlen(path) + 16;
    char *tmp = malloc(tmp_len);
    if (tmp == NULL)
        return -1;
    snprintf(tmp, tmp_len, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    int rc = fchmod(fd, mode);
    if (rc == 0)
        rc = write_all(fd, data, len);
    if (rc == 0)
        rc = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    if (rc == 0)
        rc = sync_parent_dir(path);
    else
        errno = saved;
    return rc;
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long tk_util_hex_decode(const char *text, size_t text_len, uint8_t *out,
                        size_t cap)
{
    size_t n = 0;
    int high = -1;
    for (size_t i = 0; i < text_len; i++) {
        char c = text[i];
        if (c == '#') {
            while (i < text_len && text[i] != '\n')
                i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        int v = hex_digit((unsigned char)c);
        if (v < 0)
            return -1;
        if (high < 0) {
            high = v;
            continue;
        }
        if (n >= cap)
            return -1;
        out[n++] = (uint8_t)(high << 4 | v);
        high = -1;
    }
    return high >= 0 ? -1 : (long)n;
}

void tk_util_hex_encode(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = 0;
}
