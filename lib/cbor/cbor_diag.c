/*
 * Diagnostic notation (RFC 8949 section 8) of a CBOR item, written into a
 * caller buffer. The printer walks the item with the pull decoder and keeps
 * its own stack of what it has opened, so it never recurses either.
 *
 * This file is the only user of snprintf() and strtod() in lib/cbor (for
 * the shortest round-trip form of floats); a device build leaves it out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor_internal.h"

/* Output that counts what it cannot store, like the encoder. */
typedef struct diag_out {
    char *buf;
    size_t cap; /* bytes of buf, including room for the NUL */
    size_t len;
} diag_out;

/* One open container, tag or embedded byte string of the printer. */
typedef struct diag_level {
    uint8_t kind;   /* TK_CBOR_LVL_* with TK_CBOR_LVL_INDEF */
    bool key_named; /* map: the current key is an integer in key */
    size_t count;   /* items printed in this level */
    int64_t key;    /* map: the current integer key */
} diag_level;

typedef struct diag_state {
    tk_cbor_dec dec;
    diag_out out;
    uint32_t flags;
    tk_cbor_label_name_fn names;
    void *ctx;
    unsigned open; /* levels in use */
    diag_level level[TK_CBOR_MAX_DEPTH];
} diag_state;

static void put_bytes(diag_out *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (out->len + 1 < out->cap)
            out->buf[out->len] = s[i];
        out->len++;
    }
}

static void put_str(diag_out *out, const char *s)
{
    put_bytes(out, s, strlen(s));
}

static void put_char(diag_out *out, char c)
{
    put_bytes(out, &c, 1);
}

static void put_uint(diag_out *out, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        put_char(out, digits[--n]);
}

/* Writes the negative integer -1 - n, which reaches -2^64. */
static void put_nint(diag_out *out, uint64_t n)
{
    put_char(out, '-');
    if (n == UINT64_MAX)
        put_str(out, "18446744073709551616");
    else
        put_uint(out, n + 1);
}

static void put_hex(diag_out *out, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        put_char(out, hex[p[i] >> 4]);
        put_char(out, hex[p[i] & 15]);
    }
}

/* Writes text content as the inside of a JSON string: quote, backslash
 * and control characters escaped, everything else as it is. */
static void put_text(diag_out *out, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            put_char(out, '\\');
            put_char(out, (char)c);
        } else if (c == '\n') {
            put_str(out, "\\n");
        } else if (c == '\r') {
            put_str(out, "\\r");
        } else if (c == '\t') {
            put_str(out, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            put_str(out, "\\u00");
            put_char(out, hex[c >> 4]);
            put_char(out, hex[c & 15]);
        } else {
            put_char(out, (char)c);
        }
    }
}

/* Writes one definite string or chunk of type type. Text that is not
 * valid UTF-8 cannot be written as a JSON string, so its bytes are shown
 * in hex behind a comment. */
static void put_string(diag_out *out, tk_cbor_type type, const uint8_t *p,
                       size_t n)
{
    if (type == TK_CBOR_BSTR) {
        put_str(out, "h'");
        put_hex(out, p, n);
        put_char(out, '\'');
    } else if (!tk_cbor_utf8_valid(p, n)) {
        put_str(out, "/ invalid UTF-8 text / h'");
        put_hex(out, p, n);
        put_char(out, '\'');
    } else {
        put_char(out, '"');
        put_text(out, p, n);
        put_char(out, '"');
    }
}

/* Writes an indefinite-length string as (_ chunk, chunk), or as ''_ or
 * ""_ when it has no chunks (RFC 8949 section 8.1). */
static void put_chunked(diag_out *out, const tk_cbor_item *item)
{
    const tk_view *s = &item->str;
    size_t pos = 0;
    if (s->len == 0) {
        put_str(out, item->type == TK_CBOR_BSTR ? "''_" : "\"\"_");
        return;
    }
    put_str(out, "(_ ");
    while (pos < s->len) {
        tk_cbor_head head;
        if (tk_cbor_read_head(s->ptr, s->len, pos, &head) != TK_OK ||
            head.arg > s->len - pos - head.len)
            break; /* the decoder checked every chunk head */
        if (pos > 0)
            put_str(out, ", ");
        put_string(out, item->type, s->ptr + pos + head.len,
                   (size_t)head.arg);
        pos += head.len + (size_t)head.arg;
    }
    put_char(out, ')');
}

/* Prints v with precision significant digits into text (40 bytes) as
 * d.ddde+XX, moved by step units in the last digit (-1, 0 or +1). Returns
 * false when the moved form needs a different digit count. */
static bool format_digits(char *text, double v, int precision, int step)
{
    snprintf(text, 40, "%.*e", precision - 1, v);
    if (step == 0)
        return true;
    /* Add step to the digit string, carrying or borrowing leftwards. */
    char *e = strchr(text, 'e');
    if (e == NULL)
        return false;
    for (char *p = e - 1; p >= text; p--) {
        if (*p < '0' || *p > '9')
            continue; /* sign or decimal point */
        if (step > 0 && *p == '9') {
            *p = '0';
            continue;
        }
        if (step < 0 && *p == '0') {
            *p = '9';
            continue;
        }
        *p = (char)(*p + step);
        /* A leading digit of 0 changes the digit count. */
        const char *first = text[0] == '-' ? text + 1 : text;
        return *first != '0';
    }
    return false; /* carry out of the leading digit */
}

/*
 * Finds the fewest significant digits that read back to v. The correctly
 * rounded form of each precision is tried first, then its neighbour
 * towards v. The neighbour can be the shorter one when v is a power of
 * two, because the gap below such a value is half the gap above it:
 * 2^-24 prints as 5.960464477539063e-8, not ...062e-8.
 */
static void shortest_digits(char *text, double v)
{
    for (int precision = 1; precision <= 17; precision++) {
        format_digits(text, v, precision, 0);
        double back = strtod(text, NULL);
        if (back == v)
            return;
        if (format_digits(text, v, precision, back < v ? 1 : -1) &&
            strtod(text, NULL) == v)
            return;
    }
    format_digits(text, v, 17, 0);
}

/*
 * Formats a finite, non-zero double with the fewest significant digits that
 * read back to the same value, in the layout of RFC 8949 Appendix A: plain
 * decimals for decimal exponents from -6 to 20 (0.00006103515625,
 * 100000.0), else d.ddde+N (1.0e+300, 5.960464477539063e-8).
 */
static void put_double_digits(diag_out *out, double v)
{
    char text[40];
    shortest_digits(text, v);
    /* text is [-]d[<point>ddd]e<sign>dd; collect digits and exponent
     * without assuming the locale's decimal point. */
    char digits[20];
    size_t k = 0;
    const char *p = text;
    if (*p == '-') {
        put_char(out, '-');
        p++;
    }
    for (; *p != 'e' && *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9' && k < sizeof digits)
            digits[k++] = *p;
    }
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    int n = exp10 + 1; /* value = 0.digits * 10^n */

    if (n > 0 && n <= 21) {
        if ((size_t)n >= k) {
            put_bytes(out, digits, k);
            for (size_t i = k; i < (size_t)n; i++)
                put_char(out, '0');
            put_str(out, ".0");
        } else {
            put_bytes(out, digits, (size_t)n);
            put_char(out, '.');
            put_bytes(out, digits + n, k - (size_t)n);
        }
    } else if (n <= 0 && n > -6) {
        put_str(out, "0.");
        for (int i = n; i < 0; i++)
            put_char(out, '0');
        put_bytes(out, digits, k);
    } else {
        put_char(out, digits[0]);
        put_char(out, '.');
        if (k > 1)
            put_bytes(out, digits + 1, k - 1);
        else
            put_char(out, '0');
        put_char(out, 'e');
        put_char(out, n - 1 < 0 ? '-' : '+');
        put_uint(out, (uint64_t)(n - 1 < 0 ? -(n - 1) : n - 1));
    }
}

static void put_float(diag_out *out, const tk_cbor_item *item)
{
    uint64_t bits = tk_cbor_float_bits_to_double(item->value,
                                                 item->float_width);
    bool negative = (bits >> 63) != 0;
    uint64_t exp = (bits >> 52) & 0x7ff;
    uint64_t man = bits & ((UINT64_C(1) << 52) - 1);
    double v;
    memcpy(&v, &bits, sizeof v);

    if (exp == 0x7ff) {
        if (man != 0)
            put_str(out, "NaN");
        else
            put_str(out, negative ? "-Infinity" : "Infinity");
    } else if (exp == 0 && man == 0) {
        put_str(out, negative ? "-0.0" : "0.0");
    } else {
        put_double_digits(out, v);
    }
}

/* Starts a new line indented for level depth (pretty printing). */
static void put_newline(diag_out *out, unsigned depth)
{
    put_char(out, '\n');
    for (unsigned i = 0; i < depth; i++)
        put_str(out, "  ");
}

/* Returns the number of open arrays and maps, which set the indentation. */
static unsigned indent_of(const diag_state *d)
{
    unsigned n = 0;
    for (unsigned i = 0; i < d->open; i++) {
        unsigned kind = d->level[i].kind & TK_CBOR_LVL_KIND_MASK;
        if (kind == TK_CBOR_LVL_ARRAY || kind == TK_CBOR_LVL_MAP)
            n++;
    }
    return n;
}

/* Closes the innermost open level of the printer. */
static void close_one(diag_state *d)
{
    const diag_level *level = &d->level[d->open - 1];
    unsigned kind = level->kind & TK_CBOR_LVL_KIND_MASK;
    bool pretty = (d->flags & TK_CBOR_DIAG_PRETTY) != 0;
    d->open--;
    switch (kind) {
    case TK_CBOR_LVL_ARRAY:
    case TK_CBOR_LVL_MAP:
        if (pretty && level->count > 0)
            put_newline(&d->out, indent_of(d));
        put_char(&d->out, kind == TK_CBOR_LVL_ARRAY ? ']' : '}');
        break;
    case TK_CBOR_LVL_TAG:
        put_char(&d->out, ')');
        break;
    default:
        put_str(&d->out, " >>");
        break;
    }
}

/* Calls the name callback for the integer key of the innermost map and
 * writes the name as a comment. */
static void put_key_name(diag_state *d, int64_t key)
{
    int64_t path[TK_CBOR_MAX_DEPTH];
    size_t n = 0;
    for (unsigned i = 0; i + 1 < d->open; i++) {
        const diag_level *level = &d->level[i];
        if ((level->kind & TK_CBOR_LVL_KIND_MASK) != TK_CBOR_LVL_MAP)
            continue;
        if (!level->key_named)
            return; /* below a key that is not an integer */
        path[n++] = level->key;
    }
    const char *name = d->names(d->ctx, path, n, key);
    if (name != NULL) {
        put_str(&d->out, " / ");
        put_str(&d->out, name);
        put_str(&d->out, " /");
    }
}

/* Writes what goes between the previous item and the next one in the
 * innermost level: a comma, a colon after a key, or nothing. */
static void put_separator(diag_state *d)
{
    if (d->open == 0)
        return;
    diag_level *level = &d->level[d->open - 1];
    unsigned kind = level->kind & TK_CBOR_LVL_KIND_MASK;
    bool pretty = (d->flags & TK_CBOR_DIAG_PRETTY) != 0;

    if (kind == TK_CBOR_LVL_MAP && (level->count & 1u)) {
        put_str(&d->out, ": ");
    } else if (kind == TK_CBOR_LVL_ARRAY || kind == TK_CBOR_LVL_MAP) {
        if (level->count > 0)
            put_char(&d->out, ',');
        if (pretty)
            put_newline(&d->out, indent_of(d));
        else if (level->count > 0)
            put_char(&d->out, ' ');
    } else if (kind == TK_CBOR_LVL_WRAP) {
        put_str(&d->out, level->count > 0 ? ", " : " ");
    }
    level->count++;
}

/* Pushes a printer level for a container, tag or embedded string. */
static void open_level(diag_state *d, uint8_t kind)
{
    diag_level *level = &d->level[d->open++];
    level->kind = kind;
    level->count = 0;
    level->key_named = false;
    level->key = 0;
}

/* Notes an integer map key for the path and writes its name comment. */
static void note_key(diag_state *d, diag_level *map, const tk_cbor_item *item)
{
    bool is_int = (item->type == TK_CBOR_UINT || item->type == TK_CBOR_NINT) &&
                  item->value <= (uint64_t)INT64_MAX;
    map->key_named = is_int;
    if (!is_int)
        return;
    map->key = item->type == TK_CBOR_UINT ? (int64_t)item->value
                                          : -1 - (int64_t)item->value;
    if (d->names != NULL)
        put_key_name(d, map->key);
}

/* Writes one item (the opening of a container or tag).
 * NOTE: no encoding indicators (_0 to _3, RFC 8949 section 8.1) are
 * printed, so a head in a longer form prints like the preferred one. */
static void put_item(diag_state *d, const tk_cbor_item *item)
{
    diag_out *out = &d->out;
    bool indef = (item->flags & TK_CBOR_ITEM_INDEFINITE) != 0;
    diag_level *parent = d->open > 0 ? &d->level[d->open - 1] : NULL;
    bool is_key = parent != NULL &&
                  (parent->kind & TK_CBOR_LVL_KIND_MASK) == TK_CBOR_LVL_MAP &&
                  (parent->count & 1u) != 0; /* counted by put_separator */

    switch (item->type) {
    case TK_CBOR_UINT:
        put_uint(out, item->value);
        break;
    case TK_CBOR_NINT:
        put_nint(out, item->value);
        break;
    case TK_CBOR_BSTR:
    case TK_CBOR_TSTR:
        if (indef)
            put_chunked(out, item);
        else
            put_string(out, item->type, item->str.ptr, item->str.len);
        break;
    case TK_CBOR_ARRAY:
        put_str(out, indef ? "[_ " : "[");
        open_level(d, (uint8_t)(TK_CBOR_LVL_ARRAY |
                                (indef ? TK_CBOR_LVL_INDEF : 0)));
        break;
    case TK_CBOR_MAP:
        put_str(out, indef ? "{_ " : "{");
        open_level(d, (uint8_t)(TK_CBOR_LVL_MAP |
                                (indef ? TK_CBOR_LVL_INDEF : 0)));
        break;
    case TK_CBOR_TAG:
        put_uint(out, item->value);
        put_char(out, '(');
        open_level(d, TK_CBOR_LVL_TAG);
        break;
    case TK_CBOR_FALSE:
        put_str(out, "false");
        break;
    case TK_CBOR_TRUE:
        put_str(out, "true");
        break;
    case TK_CBOR_NULL:
        put_str(out, "null");
        break;
    case TK_CBOR_UNDEFINED:
        put_str(out, "undefined");
        break;
    case TK_CBOR_SIMPLE:
        put_str(out, "simple(");
        put_uint(out, item->value);
        put_char(out, ')');
        break;
    case TK_CBOR_FLOAT:
        put_float(out, item);
        break;
    }
    if (is_key)
        note_key(d, parent, item);
}

/*
 * Decides whether the definite byte string item, depth levels deep in the
 * printout, contains exactly one well-formed array, map or tag that passes
 * the decoder's checks within the nesting that is left, so that it can be
 * shown as << >>. Scalars are left out because most short byte strings
 * (h'00', a key id) are also a well-formed integer or string by chance.
 * The bstr-wrapped structures of COSE and SUIT are always arrays, maps or
 * tags.
 */
static bool is_embedded(const diag_state *d, const tk_cbor_item *item,
                        unsigned depth)
{
    unsigned used = depth + 1u; /* with the WRAP level */
    if (!(d->flags & TK_CBOR_DIAG_EMBEDDED) || item->type != TK_CBOR_BSTR ||
        (item->flags & TK_CBOR_ITEM_INDEFINITE) || item->str.len == 0 ||
        used >= d->dec.max_depth)
        return false;
    uint8_t major = (uint8_t)(item->str.ptr[0] >> 5);
    if (major != 4 && major != 5 && major != 6)
        return false;
    tk_cbor_dec sub;
    tk_cbor_item scratch;
    tk_err err =
        tk_cbor_dec_init(&sub, item->str.ptr, item->str.len, d->dec.flags);
    if (err == TK_OK)
        err = tk_cbor_dec_set_max_depth(&sub, d->dec.max_depth - used);
    while (err == TK_OK)
        err = tk_cbor_dec_next(&sub, &scratch);
    return err == TK_ERR_CBOR_END && tk_cbor_dec_finish(&sub) == TK_OK;
}

/*
 * Prints the items of dec, which lie base levels deep in the printout: the
 * whole input (base 0), or the content of a byte string printed as
 * embedded CBOR, which is printed with a decoder of its own. Each embedded
 * string takes a level of the nesting bound, so the recursion ends.
 * Returns TK_ERR_CBOR_END when dec has no more items, or the error.
 */
static tk_err print_items(diag_state *d, tk_cbor_dec *dec, unsigned base)
{
    tk_err err = TK_OK;
    while (err == TK_OK) {
        tk_cbor_item item;
        err = tk_cbor_dec_next(dec, &item);
        if (err != TK_OK)
            break;
        unsigned depth = base + item.depth;
        while (d->open > depth)
            close_one(d);
        put_separator(d);
        if (!is_embedded(d, &item, depth)) {
            put_item(d, &item);
            continue;
        }
        tk_cbor_dec sub;
        put_str(&d->out, "<<");
        open_level(d, TK_CBOR_LVL_WRAP);
        err = tk_cbor_dec_init(&sub, item.str.ptr, item.str.len,
                               d->dec.flags);
        if (err == TK_OK)
            err = tk_cbor_dec_set_max_depth(&sub,
                                            d->dec.max_depth - depth - 1u);
        if (err == TK_OK)
            err = print_items(d, &sub, depth + 1u);
        /* is_embedded() decoded the content, so it ends without an
         * error; the outer decoder goes on after the string. */
        err = err == TK_ERR_CBOR_END ? tk_cbor_dec_finish(&sub) : err;
        if (err != TK_OK)
            return tk_cbor_dec_fail(dec, TK_ERR_INTERNAL);
        while (d->open > depth)
            close_one(d);
    }
    return err;
}

tk_err tk_cbor_diag(const uint8_t *in, size_t len, char *out, size_t cap,
                    size_t *needed, uint32_t flags,
                    tk_cbor_label_name_fn names, void *ctx, size_t *err_off)
{
    uint32_t dec_flags = flags & ~(TK_CBOR_DIAG_PRETTY | TK_CBOR_DIAG_EMBEDDED);
    diag_state d;
    tk_err err;

    if (err_off != NULL)
        *err_off = 0;
    if (needed == NULL || (out == NULL && cap > 0))
        return TK_ERR_INVALID_ARG;
    *needed = 0;
    d.out.buf = out;
    d.out.cap = cap;
    d.out.len = 0;
    d.flags = flags;
    d.names = names;
    d.ctx = ctx;
    d.open = 0;
    err = tk_cbor_dec_init(&d.dec, in, len, dec_flags);
    if (err == TK_OK)
        err = print_items(&d, &d.dec, 0);
    if (err == TK_ERR_CBOR_END)
        err = tk_cbor_dec_finish(&d.dec);
    if (err != TK_OK) {
        if (err_off != NULL)
            *err_off = tk_cbor_dec_error_offset(&d.dec);
        if (cap > 0)
            out[0] = '\0';
        return err;
    }
    while (d.open > 0)
        close_one(&d);
    *needed = d.out.len;
    if (cap > 0)
        out[d.out.len < cap ? d.out.len : cap - 1] = '\0';
    return d.out.len < cap ? TK_OK : TK_ERR_BUFFER_TOO_SMALL;
}
