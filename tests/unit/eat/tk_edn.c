/* CBOR diagnostic notation to CBOR; see tk_edn.h. */
#include "tk_edn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tk_test.h"

/* Nesting limit of the converter; the published examples use fewer than 12. */
#define EDN_MAX_DEPTH 64

typedef struct edn_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} edn_buf;

typedef struct edn_parser {
    const char *text;
    const char *p;
    char *err;
    size_t err_cap;
    int failed;
} edn_parser;

static int parse_item(edn_parser *ps, edn_buf *out, int depth);

static void edn_fail(edn_parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = 1;
    int line = 1;
    for (const char *q = ps->text; q < ps->p; q++)
        if (*q == '\n')
            line++;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ps->err != NULL && ps->err_cap > 0)
        snprintf(ps->err, ps->err_cap, "line %d: %s", line, msg);
}

static void buf_put(edn_buf *b, const uint8_t *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap == 0 ? 64 : b->cap;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (grown == NULL)
            abort();
        b->data = grown;
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
}

/* Writes a head of major type major with argument value, shortest form. */
static void put_head(edn_buf *b, unsigned major, uint64_t value)
{
    uint8_t head[9];
    size_t n;
    uint8_t mt = (uint8_t)(major << 5);
    if (value < 24) {
        head[0] = (uint8_t)(mt | value);
        n = 1;
    } else if (value <= 0xff) {
        head[0] = mt | 24;
        head[1] = (uint8_t)value;
        n = 2;
    } else if (value <= 0xffff) {
        head[0] = mt | 25;
        head[1] = (uint8_t)(value >> 8);
        head[2] = (uint8_t)value;
        n = 3;
    } else if (value <= 0xffffffffu) {
        head[0] = mt | 26;
        for (int i = 0; i < 4; i++)
            head[1 + i] = (uint8_t)(value >> (24 - 8 * i));
        n = 5;
    } else {
        head[0] = mt | 27;
        for (int i = 0; i < 8; i++)
            head[1 + i] = (uint8_t)(value >> (56 - 8 * i));
        n = 9;
    }
    buf_put(b, head, n);
}

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/*
 * Returns the closing slash of the comment that opens at start, or NULL.
 * A slash between two letters or digits does not close a comment, because
 * the published EAT examples write media types such as "application/cbor"
 * inside comments.
 */
static const char *comment_end(const char *start)
{
    for (const char *q = start + 1; *q != 0; q++) {
        if (*q != '/')
            continue;
        if (is_word_char(q[-1]) && is_word_char(q[1]))
            continue;
        return q;
    }
    return NULL;
}

/* Skips whitespace and / comments /. */
static void skip_space(edn_parser *ps)
{
    for (;;) {
        char c = *ps->p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
            /* Commas are handled by the callers that need them. */
            if (c == ',')
                return;
            ps->p++;
            continue;
        }
        if (c == '/') {
            const char *end = comment_end(ps->p);
            if (end == NULL) {
                edn_fail(ps, "unterminated comment");
                return;
            }
            ps->p = end + 1;
            continue;
        }
        return;
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses h'...' after the h, appending the bytes to chunk. */
static void parse_hex_string(edn_parser *ps, edn_buf *chunk)
{
    ps->p++; /* opening quote */
    int high = -1;
    while (*ps->p != '\'') {
        char c = *ps->p;
        if (c == 0) {
            edn_fail(ps, "unterminated h'' string");
            return;
        }
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            ps->p++;
            continue;
        }
        if (c == '/') {
            const char *end = comment_end(ps->p);
            if (end == NULL) {
                edn_fail(ps, "unterminated comment in h'' string");
                return;
            }
            ps->p = end + 1;
            continue;
        }
        int v = hex_digit(c);
        if (v < 0) {
            edn_fail(ps, "invalid hex digit '%c'", c);
            return;
        }
        if (high < 0) {
            high = v;
        } else {
            uint8_t byte = (uint8_t)(high << 4 | v);
            buf_put(chunk, &byte, 1);
            high = -1;
        }
        ps->p++;
    }
    if (high >= 0)
        edn_fail(ps, "odd number of digits in h'' string");
    ps->p++;
}

/* Parses a quoted string ('...' or "...") with backslash escapes. */
static void parse_quoted(edn_parser *ps, edn_buf *chunk, char quote)
{
    ps->p++;
    while (*ps->p != quote) {
        char c = *ps->p;
        if (c == 0) {
            edn_fail(ps, "unterminated string");
            return;
        }
        if (c == '\\') {
            ps->p++;
            c = *ps->p;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c != '"' && c != '\'' && c != '\\' && c != '/') {
                edn_fail(ps, "unsupported escape \\%c", c);
                return;
            }
        }
        uint8_t byte = (uint8_t)c;
        buf_put(chunk, &byte, 1);
        ps->p++;
    }
    ps->p++;
}

/* Parses one or more juxtaposed strings of the same kind (byte or text) and
 * emits them as a single string. */
static int parse_strings(edn_parser *ps, edn_buf *out)
{
    edn_buf chunk = {0};
    int is_text = -1;
    for (;;) {
        int text;
        if (*ps->p == 'h' && ps->p[1] == '\'') {
            ps->p++;
            parse_hex_string(ps, &chunk);
            text = 0;
        } else if (*ps->p == '\'') {
            parse_quoted(ps, &chunk, '\'');
            text = 0;
        } else if (*ps->p == '"') {
            parse_quoted(ps, &chunk, '"');
            text = 1;
        } else {
            break;
        }
        if (is_text >= 0 && is_text != text)
            edn_fail(ps, "juxtaposed byte and text strings");
        is_text = text;
        skip_space(ps);
    }
    put_head(out, is_text ? 3 : 2, chunk.len);
    buf_put(out, chunk.data, chunk.len);
    free(chunk.data);
    return ps->failed ? -1 : 0;
}

/* Parses items separated by commas up to the closing character; returns the
 * number of items (map entries count key and value separately). */
static long parse_sequence(edn_parser *ps, edn_buf *out, char close, int is_map,
                           int depth)
{
    long count = 0;
    skip_space(ps);
    if (*ps->p == close) {
        ps->p++;
        return 0;
    }
    for (;;) {
        if (parse_item(ps, out, depth + 1) < 0)
            return -1;
        count++;
        skip_space(ps);
        if (is_map) {
            if (*ps->p != ':') {
                edn_fail(ps, "expected ':' after map key");
                return -1;
            }
            ps->p++;
            if (parse_item(ps, out, depth + 1) < 0)
                return -1;
            count++;
            skip_space(ps);
        }
        if (*ps->p == ',') {
            ps->p++;
            skip_space(ps);
            if (*ps->p == close) {
                ps->p++;
                return count;
            }
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return count;
        }
        edn_fail(ps, "expected ',' or '%c'", close);
        return -1;
    }
}

static int parse_container(edn_parser *ps, edn_buf *out, int depth)
{
    char open = *ps->p;
    ps->p++;
    edn_buf inner = {0};
    long count;
    if (open == '[') {
        count = parse_sequence(ps, &inner, ']', 0, depth);
        if (count >= 0)
            put_head(out, 4, (uint64_t)count);
    } else if (open == '{') {
        count = parse_sequence(ps, &inner, '}', 1, depth);
        if (count >= 0)
            put_head(out, 5, (uint64_t)count / 2);
    } else {
        /* "<<": embedded CBOR sequence wrapped in a byte string. */
        ps->p++;
        count = parse_sequence(ps, &inner, '>', 0, depth);
        if (count >= 0) {
            if (*ps->p != '>') {
                edn_fail(ps, "expected '>>'");
                count = -1;
            } else {
                ps->p++;
                put_head(out, 2, inner.len);
            }
        }
    }
    if (count >= 0)
        buf_put(out, inner.data, inner.len);
    free(inner.data);
    return count < 0 ? -1 : 0;
}

static int parse_number(edn_parser *ps, edn_buf *out, int depth)
{
    int negative = 0;
    if (*ps->p == '-') {
        negative = 1;
        ps->p++;
    }
    if (*ps->p < '0' || *ps->p > '9') {
        edn_fail(ps, "expected a digit");
        return -1;
    }
    uint64_t value = 0;
    while (*ps->p >= '0' && *ps->p <= '9') {
        uint64_t digit = (uint64_t)(*ps->p - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            edn_fail(ps, "integer out of range");
            return -1;
        }
        value = value * 10 + digit;
        ps->p++;
    }
    if (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E') {
        edn_fail(ps, "floating-point numbers are not supported");
        return -1;
    }
    if (negative) {
        if (value == 0) {
            edn_fail(ps, "-0 is not an integer");
            return -1;
        }
        put_head(out, 1, value - 1);
        return 0;
    }
    skip_space(ps);
    if (*ps->p == '(') {
        /* A tag: N(item). */
        ps->p++;
        put_head(out, 6, value);
        if (parse_item(ps, out, depth + 1) < 0)
            return -1;
        skip_space(ps);
        if (*ps->p != ')') {
            edn_fail(ps, "expected ')' after tag content");
            return -1;
        }
        ps->p++;
        return 0;
    }
    put_head(out, 0, value);
    return 0;
}

static int parse_word(edn_parser *ps, edn_buf *out)
{
    static const struct {
        const char *word;
        uint8_t byte;
    } words[] = {
        {"false", 0xf4},
        {"true", 0xf5},
        {"null", 0xf6},
        {"undefined", 0xf7},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i].word);
        if (strncmp(ps->p, words[i].word, n) == 0) {
            ps->p += n;
            buf_put(out, &words[i].byte, 1);
            return 0;
        }
    }
    edn_fail(ps, "unexpected character '%c'", *ps->p);
    return -1;
}

static int parse_item(edn_parser *ps, edn_buf *out, int depth)
{
    if (depth > EDN_MAX_DEPTH) {
        edn_fail(ps, "nesting deeper than %d", EDN_MAX_DEPTH);
        return -1;
    }
    skip_space(ps);
    if (ps->failed)
        return -1;
    char c = *ps->p;
    if (c == '[' || c == '{' || (c == '<' && ps->p[1] == '<'))
        return parse_container(ps, out, depth);
    if (c == '"' || c == '\'' || (c == 'h' && ps->p[1] == '\''))
        return parse_strings(ps, out);
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(ps, out, depth);
    if (c == 0) {
        edn_fail(ps, "unexpected end of text");
        return -1;
    }
    return parse_word(ps, out);
}

long tk_edn_to_cbor(const char *text, uint8_t *out, size_t cap, char *err,
                    size_t err_cap)
{
    edn_parser ps = {text, text, err, err_cap, 0};
    edn_buf buf = {0};
    long result = -1;
    if (parse_item(&ps, &buf, 0) == 0) {
        skip_space(&ps);
        if (*ps.p != 0)
            edn_fail(&ps, "text after the data item");
        else if (buf.len > cap)
            edn_fail(&ps, "output needs %zu bytes, capacity %zu", buf.len, cap);
        else {
            memcpy(out, buf.data, buf.len);
            result = (long)buf.len;
        }
    }
    free(buf.data);
    return result;
}

uint8_t *tk_edn_read_vector(const char *relative, size_t *len)
{
    size_t text_len;
    char *text = (char *)tk_test_read_file(tk_test_vector(relative), &text_len);
    size_t cap = text_len + 16;
    uint8_t *out = malloc(cap);
    if (out == NULL)
        abort();
    char err[200];
    long n = tk_edn_to_cbor(text, out, cap, err, sizeof(err));
    free(text);
    if (n < 0) {
        fprintf(stderr, "%s: %s\n", relative, err);
        abort();
    }
    *len = (size_t)n;
    return out;
}
