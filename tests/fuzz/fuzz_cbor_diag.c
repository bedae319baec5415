/*
 * Fuzz target of the diagnostic notation printer (tk_cbor_diag).
 *
 * Input: one byte of flags (bit 0 TK_CBOR_DIAG_PRETTY, bit 1
 * TK_CBOR_DIAG_EMBEDDED, bits 2-6 the TK_CBOR_CHECK_* flags), one byte that
 * sets the capacity of a first, too small output buffer, then the CBOR
 * bytes. Checked for every input: the output is NUL-terminated within its
 * capacity, the reported length is the string length, a truncated output
 * is a prefix of the full one, and the printer accepts exactly what
 * tk_cbor_validate() accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "teepkit/cbor.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

/* Names a few keys, as the CLI does for COSE and SUIT labels. */
static const char *name_label(void *ctx, const int64_t *path, size_t path_len,
                              int64_t key)
{
    (void)ctx;
    CHECK(path_len <= TK_CBOR_MAX_DEPTH);
    if (path_len > 0 && path[0] == 3 && key == 1)
        return "manifest-version";
    switch (key) {
    case 1:
        return "alg";
    case 4:
        return "kid";
    case -1:
        return "crv";
    default:
        return NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t flags = 0;
    if (data[0] & 1)
        flags |= TK_CBOR_DIAG_PRETTY;
    if (data[0] & 2)
        flags |= TK_CBOR_DIAG_EMBEDDED;
    uint32_t checks = (uint32_t)(data[0] >> 2) & 0x1fu;
    flags |= checks;
    size_t small_cap = data[1] % 48;
    const uint8_t *in = data + 2;
    size_t len = size - 2;

    uint8_t *copy = malloc(len == 0 ? 1 : len);
    if (copy == NULL)
        return 0;
    memcpy(copy, in, len);

    size_t needed = 0;
    size_t err_off = 0;
    /* The output of deep or long inputs can be large: size it from the
     * first call. */
    tk_err err = tk_cbor_diag(copy, len, NULL, 0, &needed, flags, name_label,
                              NULL, &err_off);
    tk_err valid = tk_cbor_validate(copy, len, checks, NULL);
    CHECK((valid == TK_OK) == (err == TK_OK || err == TK_ERR_BUFFER_TOO_SMALL));
    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL) {
        CHECK(err_off <= len);
        free(copy);
        return 0;
    }
    /* Each input byte prints as a bounded number of characters (indent,
     * key name, punctuation), so a much longer string would be a bug. */
    CHECK(needed <= 256 * len + 64);

    char *full = malloc(needed + 1);
    if (full == NULL) {
        free(copy);
        return 0;
    }
    size_t got = 0;
    err = tk_cbor_diag(copy, len, full, needed + 1, &got, flags, name_label,
                       NULL, NULL);
    CHECK(err == TK_OK);
    CHECK(got == needed);
    CHECK(strlen(full) == needed);

    char *part = malloc(small_cap + 1);
    if (part != NULL) {
        size_t part_needed = 0;
        err = tk_cbor_diag(copy, len, part, small_cap, &part_needed, flags,
                           name_label, NULL, NULL);
        CHECK(part_needed == needed);
        if (needed < small_cap) {
            CHECK(err == TK_OK);
            CHECK(strcmp(part, full) == 0);
        } else {
            CHECK(err == TK_ERR_BUFFER_TOO_SMALL);
            if (small_cap > 0) {
                size_t n = strlen(part);
                CHECK(n < small_cap);
                CHECK(memcmp(part, full, n) == 0);
            }
        }
        free(part);
    }
    free(full);
    free(copy);
    return 0;
}
