/*
 * Declarations shared by the files of tk_suitdev; not part of its API.
 */
#ifndef TK_SUITDEV_INTERNAL_H
#define TK_SUITDEV_INTERNAL_H

#include <stdarg.h>

#include "suitdev.h"

struct tk_suitdev {
    int dir_fd;          /* the store folder, opened O_DIRECTORY */
    char *store_dir;
    char **fetch_dirs;   /* resolved with realpath() at open */
    size_t fetch_dir_count;
    int allow_http;
    size_t max_image_size;
    long http_timeout_ms;
    int keep_tombstones; /* tk_suitdev_config.keep_tombstones */
    char message[512];   /* tk_suitdev_last_error() */
};

/* Formats the message of the last failure and returns err, so a failing
 * path reads `return suitdev_fail(dev, TK_ERR_..., "...", ...);`. */
tk_err suitdev_fail(tk_suitdev *device, tk_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Computes the SHA-256 of data into out. Returns 0, or -1 when OpenSSL
 * fails. */
int suitdev_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

/* Sends SIGKILL to the process when TK_SUITDEV_CRASH_ENV names point. */
void suitdev_crash_point(const char *point);

#endif /* TK_SUITDEV_INTERNAL_H */
