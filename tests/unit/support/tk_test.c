/* Helpers shared by the unit tests; see tk_test.h. */
#include "tk_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TK_VECTOR_DIR
#error "TK_VECTOR_DIR must name the tests/vectors folder"
#endif

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "test support: %s: %s\n", what, detail);
    abort();
}

uint8_t *tk_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail("cannot open file", path);
    if (fseek(f, 0, SEEK_END) != 0)
        fail("cannot seek in file", path);
    long size = ftell(f);
    if (size < 0)
        fail("cannot size file", path);
    rewind(f);
    uint8_t *buf = malloc((size_t)size + 1);
    if (buf == NULL)
        fail("out of memory reading", path);
    if (fread(buf, 1, (size_t)size, f) != (size_t)size)
        fail("short read from", path);
    fclose(f);
    buf[size] = 0;
    *len = (size_t)size;
    return buf;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t tk_test_hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int high = -1;
    for (const char *p = hex; *p != 0; p++) {
        if (*p == '#') {
            while (*p != 0 && *p != '\n')
                p++;
            if (*p == 0)
                break;
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            continue;
        int v = hex_value((unsigned char)*p);
        if (v < 0)
            fail("invalid hex character in", hex);
        if (high < 0) {
            high = v;
            continue;
        }
        if (n >= cap)
            fail("hex output buffer too small for", hex);
        out[n++] = (uint8_t)(high << 4 | v);
        high = -1;
    }
    if (high >= 0)
        fail("odd number of hex digits in", hex);
    return n;
}

uint8_t *tk_test_read_hex(const char *path, size_t *len)
{
    size_t text_len;
    char *text = (char *)tk_test_read_file(path, &text_len);
    uint8_t *out = malloc(text_len / 2 + 1);
    if (out == NULL)
        fail("out of memory reading", path);
    *len = tk_test_hex_decode(text, out, text_len / 2 + 1);
    free(text);
    return out;
}

const char *tk_test_vector(const char *relative)
{
    static char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", TK_VECTOR_DIR, relative);
    if (n < 0 || (size_t)n >= sizeof path)
        fail("vector path too long", relative);
    return path;
}
