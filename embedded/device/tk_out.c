/* Console output without printf: see tk_out.h. */
#include "tk_out.h"

#include "semihost.h"

/* Bytes buffered before a write; a longer line is written in pieces. */
#define TK_OUT_LINE 128

static char tk_out_line[TK_OUT_LINE + 1];
static size_t tk_out_len;

void tk_out_flush(void)
{
    if (tk_out_len > 0) {
        tk_out_line[tk_out_len] = '\0';
        tk_semihost_write0(tk_out_line);
        tk_out_len = 0;
    }
}

static void out_char(char c)
{
    /* SYS_WRITE0 stops at a NUL, so none is passed on. */
    if (c == '\0') {
        c = '?';
    }
    tk_out_line[tk_out_len++] = c;
    if (c == '\n' || tk_out_len == TK_OUT_LINE) {
        tk_out_flush();
    }
}

void tk_out_bytes(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out_char(text[i]);
    }
}

void tk_out_str(const char *text)
{
    while (*text != '\0') {
        out_char(*text++);
    }
}

void tk_out_uint(uint64_t value)
{
    char digits[20];
    size_t n = 0;

    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value > 0);
    while (n > 0) {
        out_char(digits[--n]);
    }
}

void tk_out_metric(const char *name, const char *key, uint64_t value)
{
    tk_out_str("metric ");
    tk_out_str(name);
    tk_out_str(" ");
    tk_out_str(key);
    tk_out_str(" ");
    tk_out_uint(value);
    tk_out_str("\n");
}

void tk_out_int(int64_t value)
{
    if (value < 0) {
        out_char('-');
        /* Negate in unsigned arithmetic so INT64_MIN works too. */
        tk_out_uint(0u - (uint64_t)value);
    } else {
        tk_out_uint((uint64_t)value);
    }
}

void tk_out_hex(const uint8_t *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out_char(hex[data[i] >> 4]);
        out_char(hex[data[i] & 15u]);
    }
}
