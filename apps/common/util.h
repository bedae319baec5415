/*
 * Host-side file and text helpers shared by the CLI, the TAM and the agent.
 * Unlike the core libraries these may allocate and do I/O.
 */
#ifndef TK_APP_UTIL_H
#define TK_APP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Reads a whole file, or standard input when path is "-", into a malloc'd
 * buffer that has one extra NUL byte after *len. Fails with -1 and errno set
 * when the file cannot be read or is larger than max_len bytes (EFBIG).
 */
int tk_util_read_file(const char *path, size_t max_len, uint8_t **data,
                      size_t *len);

/*
 * Writes data to path atomically: a temporary file in the same folder is
 * written, fsync'ed and renamed over path, and the folder is fsync'ed, so a
 * crash leaves either the old or the new content. mode is applied to the new
 * file (use 0600 for private keys). path "-" writes to standard output.
 * Returns 0, or -1 with errno set.
 */
int tk_util_write_file(const char *path, const uint8_t *data, size_t len,
                       mode_t mode);

/*
 * Decodes hex text (whitespace ignored, '#' comments to end of line) into
 * out. Returns the number of bytes, or -1 on an invalid character, an odd
 * digit count or when out (capacity cap) is too small.
 */
long tk_util_hex_decode(const char *text, size_t text_len, uint8_t *out,
                        size_t cap);

/* Writes 2*len lowercase hex digits and a NUL to out (capacity 2*len+1). */
void tk_util_hex_encode(const uint8_t *data, size_t len, char *out);

#endif /* TK_APP_UTIL_H */
