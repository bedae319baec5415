/*
 * Helpers shared by the unit tests: reading vector files and hex text.
 * They abort the test program with a message on any I/O failure, because a
 * missing vector is a broken tree, not a test result.
 */
#ifndef TK_TEST_H
#define TK_TEST_H

#include <stddef.h>
#include <stdint.h>

/* Reads a whole file into a malloc'd buffer (NUL-terminated one byte past
 * *len). Aborts when the file cannot be read. */
uint8_t *tk_test_read_file(const char *path, size_t *len);

/* Reads a file of hex text into a malloc'd byte buffer. Whitespace is
 * skipped, and '#' starts a comment that runs to the end of the line, as in
 * the annotated dumps of the TEEP drafts. Aborts on a non-hex character or an
 * odd number of digits. */
uint8_t *tk_test_read_hex(const char *path, size_t *len);

/* Decodes hex text with the same rules into out (capacity cap). Returns the
 * number of bytes, and aborts when the text is invalid or out is too small. */
size_t tk_test_hex_decode(const char *hex, uint8_t *out, size_t cap);

/* Returns TK_VECTOR_DIR "/" relative, in a static buffer that the next call
 * overwrites. */
const char *tk_test_vector(const char *relative);

#endif /* TK_TEST_H */
