/*
 * Encoder into a caller buffer, with preferred serialization throughout
 * and, on request, deterministic map order.
 *
 * Writes are all or nothing: a write that does not fit is dropped and from
 * then on nothing is written, but enc->len keeps growing, so finish() can
 * report the size needed. Containers whose head depends on what follows
 * (array_begin, map_begin, bstr_wrap_begin) reserve one head byte and move
 * their content when the real head is longer.
 */
#include <string.h>

#include "cbor_internal.h"

_Static_assert(sizeof(double) == 8, "double must be IEEE 754 binary64");

/* Keeps err unless an error is kept already. Returns the kept error. */
static tk_err enc_fail(tk_cbor_enc *enc, tk_err err)
{
    if (enc->err == TK_OK)
        enc->err = err;
    return enc->err;
}

/* Returns true while everything written so far is in the buffer. */
static bool enc_complete(const tk_cbor_enc *enc)
{
    return enc->len <= enc->cap;
}

/* Appends n bytes, or only counts them once the buffer is exceeded. */
static void emit(tk_cbor_enc *enc, const uint8_t *data, size_t n)
{
    if (n > SIZE_MAX - enc->len) {
        enc_fail(enc, TK_ERR_LIMIT);
        return;
    }
    if (enc->len + n <= enc->cap && n > 0)
        memcpy(enc->buf + enc->len, data, n);
    enc->len += n;
}

static void emit_head(tk_cbor_enc *enc, uint8_t major, uint64_t arg)
{
    uint8_t head[TK_CBOR_HEAD_MAX];
    emit(enc, head, tk_cbor_encode_head(head, major, arg));
}

tk_err tk_cbor_enc_init(tk_cbor_enc *enc, uint8_t *buf, size_t cap,
                        uint32_t flags)
{
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    enc->buf = buf;
    enc->cap = cap;
    enc->len = 0;
    enc->err = TK_OK;
    enc->flags = flags;
    enc->depth = 0;
    if ((buf == NULL && cap > 0) || (flags & ~TK_CBOR_ENC_DETERMINISTIC)) {
        enc->cap = 0;
        return enc_fail(enc, TK_ERR_INVALID_ARG);
    }
#if !TK_CBOR_WITH_SORT
    if (flags & TK_CBOR_ENC_DETERMINISTIC)
        return enc_fail(enc, TK_ERR_UNSUPPORTED);
#endif
    return TK_OK;
}

tk_err tk_cbor_enc_error(const tk_cbor_enc *enc)
{
    return enc == NULL ? TK_ERR_INVALID_ARG : enc->err;
}

tk_err tk_cbor_enc_finish(tk_cbor_enc *enc, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (enc->err != TK_OK)
        return enc->err;
    if (enc->depth > 0)
        return enc_fail(enc, TK_ERR_CBOR_NOT_CLOSED);
    if (enc->len == 0)
        return enc_fail(enc, TK_ERR_CBOR_NO_ITEMS);
    if (len != NULL)
        *len = enc->len;
    return enc_complete(enc) ? TK_OK : TK_ERR_BUFFER_TOO_SMALL;
}

/* ---- containers ------------------------------------------------------- */

static tk_cbor_enc_level *enc_top(tk_cbor_enc *enc)
{
    return enc->depth > 0 ? &enc->level[enc->depth - 1] : NULL;
}

/*
 * Checks that an item of major type major (with an indefinite length when
 * indef) may start here: inside an indefinite string only definite strings
 * of the same type may, and deterministic mode allows no indefinite
 * length. Returns the encoder's error.
 */
static tk_err begin_item(tk_cbor_enc *enc, uint8_t major, bool indef)
{
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (enc->err != TK_OK)
        return enc->err;
    const tk_cbor_enc_level *top = enc_top(enc);
    if (top != NULL && (top->kind == TK_CBOR_ENC_INDEF_BSTR ||
                        top->kind == TK_CBOR_ENC_INDEF_TSTR)) {
        uint8_t want = top->kind == TK_CBOR_ENC_INDEF_BSTR ? TK_CBOR_MT_BSTR
                                                           : TK_CBOR_MT_TSTR;
        if (major != want || indef)
            return enc_fail(enc, TK_ERR_CBOR_BAD_CHUNK);
    }
    if (indef && (enc->flags & TK_CBOR_ENC_DETERMINISTIC))
        return enc_fail(enc, TK_ERR_CBOR_INDEFINITE);
    return TK_OK;
}

static tk_err push(tk_cbor_enc *enc, uint8_t kind, size_t start,
                   uint64_t pending)
{
    if (enc->depth >= TK_CBOR_MAX_DEPTH)
        return enc_fail(enc, TK_ERR_CBOR_TOO_DEEP);
    tk_cbor_enc_level *level = &enc->level[enc->depth++];
    level->kind = kind;
    level->start = start;
    level->pending = pending;
    level->count = 0;
    return TK_OK;
}

#if TK_CBOR_WITH_SORT
/* Orders two encoded keys bytewise (RFC 8949 section 4.2.1). */
static int compare_keys(const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len)
{
    int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
    if (c != 0)
        return c;
    return (a_len > b_len) - (a_len < b_len);
}

/* Reverses p[0..n). */
static void reverse(uint8_t *p, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        uint8_t t = p[i];
        p[i] = p[j - 1];
        p[j - 1] = t;
    }
}

/* Swaps the adjacent ranges p[0..a) and p[a..a+b) in place. */
static void rotate(uint8_t *p, size_t a, size_t b)
{
    reverse(p, a);
    reverse(p + a, b);
    reverse(p, a + b);
}

/*
 * Sorts the pairs entries of the map content that starts at start and ends
 * at enc->len, by the bytes of their keys, with an insertion sort that
 * rotates each entry into place: no memory beyond the buffer. Entries that
 * already come in order cost one comparison each. Two equal keys give
 * TK_ERR_CBOR_DUP_KEY.
 */
static tk_err sort_map(tk_cbor_enc *enc, size_t start, uint64_t pairs)
{
    uint8_t *buf = enc->buf;
    size_t end = enc->len;
    size_t sorted_end = start; /* entries before this offset are sorted */
    size_t last_key = start;   /* offset of the last sorted key */

    for (uint64_t i = 0; i < pairs; i++) {
        size_t key = sorted_end, key_end, entry_end;
        if (tk_cbor_skip_item(buf, end, key, TK_CBOR_MAX_DEPTH, &key_end) ||
            tk_cbor_skip_item(buf, end, key_end, TK_CBOR_MAX_DEPTH,
                              &entry_end))
            return enc_fail(enc, TK_ERR_INTERNAL);
        size_t key_len = key_end - key;
        size_t entry_len = entry_end - key;

        size_t at = sorted_end;
        if (i > 0) {
            size_t last_end;
            if (tk_cbor_skip_item(buf, end, last_key, TK_CBOR_MAX_DEPTH,
                                  &last_end))
                return enc_fail(enc, TK_ERR_INTERNAL);
            int c = compare_keys(buf + last_key, last_end - last_key,
                                 buf + key, key_len);
            if (c == 0)
                return enc_fail(enc, TK_ERR_CBOR_DUP_KEY);
            if (c > 0) {
                /* Find the first sorted key above this one. */
                at = start;
                for (;;) {
                    size_t k_end, e_end;
                    if (tk_cbor_skip_item(buf, end, at, TK_CBOR_MAX_DEPTH,
                                          &k_end) ||
                        tk_cbor_skip_item(buf, end, k_end, TK_CBOR_MAX_DEPTH,
                                          &e_end))
                        return enc_fail(enc, TK_ERR_INTERNAL);
                    c = compare_keys(buf + at, k_end - at, buf + key,
                                     key_len);
                    if (c == 0)
                        return enc_fail(enc, TK_ERR_CBOR_DUP_KEY);
                    if (c > 0)
                        break;
                    at = e_end;
                }
            }
        }
        if (at < sorted_end) {
            rotate(buf + at, sorted_end - at, entry_len);
            last_key += entry_len; /* the last key moved right */
        } else {
            last_key = key;
        }
        sorted_end += entry_len;
    }
    return TK_OK;
}
#endif /* TK_CBOR_WITH_SORT */

/* Runs the end-of-map work of deterministic mode on the pairs entries
 * starting at content. */
static tk_err finish_map(tk_cbor_enc *enc, size_t content, uint64_t pairs)
{
#if TK_CBOR_WITH_SORT
    if ((enc->flags & TK_CBOR_ENC_DETERMINISTIC) && enc_complete(enc) &&
        pairs > 1)
        return sort_map(enc, content, pairs);
#else
    (void)enc;
    (void)content;
    (void)pairs;
#endif
    return TK_OK;
}

/*
 * Counts one complete item in the innermost container. A definite
 * container closes after its last item, and a tag after its content. Each
 * then counts as an item of its own parent.
 */
static tk_err item_done(tk_cbor_enc *enc)
{
    while (enc->depth > 0) {
        tk_cbor_enc_level *level = &enc->level[enc->depth - 1];
        level->count++;
        if (level->kind == TK_CBOR_ENC_TAG) {
            enc->depth--;
            continue;
        }
        if (level->kind != TK_CBOR_ENC_ARRAY &&
            level->kind != TK_CBOR_ENC_MAP)
            break;
        if (--level->pending > 0)
            break;
        if (level->kind == TK_CBOR_ENC_MAP) {
            uint64_t pairs = level->count / 2;
            tk_err err = finish_map(
                enc, level->start + tk_cbor_head_size(pairs), pairs);
            if (err != TK_OK)
                return err;
        }
        enc->depth--;
    }
    return TK_OK;
}

/* Writes a complete one-head item (integers, simple values) and counts
 * it. */
static tk_err put_head_item(tk_cbor_enc *enc, uint8_t major, uint64_t arg)
{
    tk_err err = begin_item(enc, major, false);
    if (err != TK_OK)
        return err;
    emit_head(enc, major, arg);
    return item_done(enc);
}

tk_err tk_cbor_enc_put_uint(tk_cbor_enc *enc, uint64_t value)
{
    return put_head_item(enc, TK_CBOR_MT_UINT, value);
}

tk_err tk_cbor_enc_put_nint(tk_cbor_enc *enc, uint64_t n)
{
    return put_head_item(enc, TK_CBOR_MT_NINT, n);
}

tk_err tk_cbor_enc_put_int(tk_cbor_enc *enc, int64_t value)
{
    if (value >= 0)
        return put_head_item(enc, TK_CBOR_MT_UINT, (uint64_t)value);
    /* -1 - value does not overflow for any negative int64_t. */
    return put_head_item(enc, TK_CBOR_MT_NINT, (uint64_t)(-1 - value));
}

/* Writes a definite string of major type major. */
static tk_err put_string(tk_cbor_enc *enc, uint8_t major, const void *data,
                         size_t len)
{
    tk_err err = begin_item(enc, major, false);
    if (err != TK_OK)
        return err;
    if (data == NULL && len > 0)
        return enc_fail(enc, TK_ERR_INVALID_ARG);
    emit_head(enc, major, len);
    emit(enc, data, len);
    return item_done(enc);
}

tk_err tk_cbor_enc_put_bstr(tk_cbor_enc *enc, const uint8_t *data, size_t len)
{
    return put_string(enc, TK_CBOR_MT_BSTR, data, len);
}

tk_err tk_cbor_enc_put_tstr(tk_cbor_enc *enc, const char *text, size_t len)
{
    return put_string(enc, TK_CBOR_MT_TSTR, text, len);
}

tk_err tk_cbor_enc_put_text(tk_cbor_enc *enc, const char *text)
{
    if (enc != NULL && text == NULL)
        return enc_fail(enc, TK_ERR_INVALID_ARG);
    return put_string(enc, TK_CBOR_MT_TSTR, text,
                      text != NULL ? strlen(text) : 0);
}

/* Opens a container with a known count of items (2 per map pair). */
static tk_err put_counted(tk_cbor_enc *enc, uint8_t major, uint64_t arg,
                          uint64_t items)
{
    tk_err err = begin_item(enc, major, false);
    if (err != TK_OK)
        return err;
    size_t start = enc->len;
    emit_head(enc, major, arg);
    if (items == 0)
        return item_done(enc);
    return push(enc,
                major == TK_CBOR_MT_MAP ? TK_CBOR_ENC_MAP : TK_CBOR_ENC_ARRAY,
                start, items);
}

tk_err tk_cbor_enc_put_array(tk_cbor_enc *enc, uint64_t count)
{
    return put_counted(enc, TK_CBOR_MT_ARRAY, count, count);
}

tk_err tk_cbor_enc_put_map(tk_cbor_enc *enc, uint64_t pairs)
{
    if (enc != NULL && pairs > UINT64_MAX / 2)
        return enc_fail(enc, TK_ERR_INVALID_ARG);
    return put_counted(enc, TK_CBOR_MT_MAP, pairs, pairs * 2);
}

/* Opens a container whose head is written at its end: one byte is
 * reserved now (the head of an empty container of the same type). */
static tk_err open_reserved(tk_cbor_enc *enc, uint8_t major, uint8_t kind)
{
    tk_err err = begin_item(enc, major, false);
    if (err != TK_OK)
        return err;
    size_t start = enc->len;
    uint8_t placeholder = (uint8_t)(major << 5);
    emit(enc, &placeholder, 1);
    return push(enc, kind, start, 0);
}

/*
 * Closes the innermost container, which must have kind kind and reserved
 * one head byte: writes the head of major type major with argument arg,
 * moving the content right when the head is longer than one byte.
 */
static tk_err close_reserved(tk_cbor_enc *enc, uint8_t kind, uint8_t major,
                             uint64_t arg)
{
    tk_cbor_enc_level *level = &enc->level[enc->depth - 1];
    size_t start = level->start;
    size_t head_len = tk_cbor_head_size(arg);
    size_t grow = head_len - 1;

    if (level->kind != kind)
        return enc_fail(enc, TK_ERR_CBOR_NESTING);
    if (grow > SIZE_MAX - enc->len)
        return enc_fail(enc, TK_ERR_LIMIT);
    if (enc_complete(enc) && enc->len + grow <= enc->cap) {
        uint8_t head[TK_CBOR_HEAD_MAX];
        memmove(enc->buf + start + head_len, enc->buf + start + 1,
                enc->len - start - 1);
        tk_cbor_encode_head(head, major, arg);
        memcpy(enc->buf + start, head, head_len);
    }
    enc->len += grow;
    return TK_OK;
}

/* Returns the encoder's error, or TK_ERR_CBOR_NESTING when no container
 * is open. */
static tk_err check_open(tk_cbor_enc *enc)
{
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (enc->err != TK_OK)
        return enc->err;
    if (enc->depth == 0)
        return enc_fail(enc, TK_ERR_CBOR_NESTING);
    return TK_OK;
}

tk_err tk_cbor_enc_array_begin(tk_cbor_enc *enc)
{
    return open_reserved(enc, TK_CBOR_MT_ARRAY, TK_CBOR_ENC_ARRAY_OPEN);
}

tk_err tk_cbor_enc_array_end(tk_cbor_enc *enc)
{
    tk_err err = check_open(enc);
    if (err != TK_OK)
        return err;
    uint64_t count = enc->level[enc->depth - 1].count;
    err = close_reserved(enc, TK_CBOR_ENC_ARRAY_OPEN, TK_CBOR_MT_ARRAY,
                         count);
    if (err != TK_OK)
        return err;
    enc->depth--;
    return item_done(enc);
}

tk_err tk_cbor_enc_map_begin(tk_cbor_enc *enc)
{
    return open_reserved(enc, TK_CBOR_MT_MAP, TK_CBOR_ENC_MAP_OPEN);
}

tk_err tk_cbor_enc_map_end(tk_cbor_enc *enc)
{
    tk_err err = check_open(enc);
    if (err != TK_OK)
        return err;
    const tk_cbor_enc_level *level = &enc->level[enc->depth - 1];
    if (level->kind != TK_CBOR_ENC_MAP_OPEN)
        return enc_fail(enc, TK_ERR_CBOR_NESTING);
    if (level->count & 1u)
        return enc_fail(enc, TK_ERR_CBOR_ODD_MAP);
    uint64_t pairs = level->count / 2;
    size_t start = level->start;
    err = close_reserved(enc, TK_CBOR_ENC_MAP_OPEN, TK_CBOR_MT_MAP, pairs);
    if (err == TK_OK)
        err = finish_map(enc, start + tk_cbor_head_size(pairs), pairs);
    if (err != TK_OK)
        return err;
    enc->depth--;
    return item_done(enc);
}

tk_err tk_cbor_enc_bstr_wrap_begin(tk_cbor_enc *enc)
{
    return open_reserved(enc, TK_CBOR_MT_BSTR, TK_CBOR_ENC_WRAP);
}

tk_err tk_cbor_enc_bstr_wrap_end(tk_cbor_enc *enc)
{
    tk_err err = check_open(enc);
    if (err != TK_OK)
        return err;
    const tk_cbor_enc_level *level = &enc->level[enc->depth - 1];
    uint64_t content = enc->len - level->start - 1;
    err = close_reserved(enc, TK_CBOR_ENC_WRAP, TK_CBOR_MT_BSTR, content);
    if (err != TK_OK)
        return err;
    enc->depth--;
    return item_done(enc);
}

/* Opens an indefinite-length container or string of major type major. */
static tk_err open_indef(tk_cbor_enc *enc, uint8_t major, uint8_t kind)
{
    tk_err err = begin_item(enc, major, true);
    if (err != TK_OK)
        return err;
    size_t start = enc->len;
    uint8_t head = (uint8_t)((major << 5) | TK_CBOR_AI_INDEF);
    emit(enc, &head, 1);
    return push(enc, kind, start, 0);
}

tk_err tk_cbor_enc_indef_array(tk_cbor_enc *enc)
{
    return open_indef(enc, TK_CBOR_MT_ARRAY, TK_CBOR_ENC_INDEF_ARRAY);
}

tk_err tk_cbor_enc_indef_map(tk_cbor_enc *enc)
{
    return open_indef(enc, TK_CBOR_MT_MAP, TK_CBOR_ENC_INDEF_MAP);
}

tk_err tk_cbor_enc_indef_bstr(tk_cbor_enc *enc)
{
    return open_indef(enc, TK_CBOR_MT_BSTR, TK_CBOR_ENC_INDEF_BSTR);
}

tk_err tk_cbor_enc_indef_tstr(tk_cbor_enc *enc)
{
    return open_indef(enc, TK_CBOR_MT_TSTR, TK_CBOR_ENC_INDEF_TSTR);
}

tk_err tk_cbor_enc_indef_end(tk_cbor_enc *enc)
{
    tk_err err = check_open(enc);
    if (err != TK_OK)
        return err;
    const tk_cbor_enc_level *level = &enc->level[enc->depth - 1];
    if (level->kind < TK_CBOR_ENC_INDEF_ARRAY ||
        level->kind > TK_CBOR_ENC_INDEF_TSTR)
        return enc_fail(enc, TK_ERR_CBOR_NESTING);
    if (level->kind == TK_CBOR_ENC_INDEF_MAP && (level->count & 1u))
        return enc_fail(enc, TK_ERR_CBOR_ODD_MAP);
    uint8_t brk = TK_CBOR_BREAK;
    emit(enc, &brk, 1);
    enc->depth--;
    return item_done(enc);
}

tk_err tk_cbor_enc_end(tk_cbor_enc *enc)
{
    tk_err err = check_open(enc);
    if (err != TK_OK)
        return err;
    switch (enc->level[enc->depth - 1].kind) {
    case TK_CBOR_ENC_ARRAY_OPEN:
        return tk_cbor_enc_array_end(enc);
    case TK_CBOR_ENC_MAP_OPEN:
        return tk_cbor_enc_map_end(enc);
    case TK_CBOR_ENC_WRAP:
        return tk_cbor_enc_bstr_wrap_end(enc);
    case TK_CBOR_ENC_INDEF_ARRAY:
    case TK_CBOR_ENC_INDEF_MAP:
    case TK_CBOR_ENC_INDEF_BSTR:
    case TK_CBOR_ENC_INDEF_TSTR:
        return tk_cbor_enc_indef_end(enc);
    default:
        /* Counted containers and tags close by themselves. */
        return enc_fail(enc, TK_ERR_CBOR_NESTING);
    }
}

tk_err tk_cbor_enc_put_tag(tk_cbor_enc *enc, uint64_t tag)
{
    tk_err err = begin_item(enc, TK_CBOR_MT_TAG, false);
    if (err != TK_OK)
        return err;
    size_t start = enc->len;
    emit_head(enc, TK_CBOR_MT_TAG, tag);
    return push(enc, TK_CBOR_ENC_TAG, start, 1);
}

/* ---- simple values and floats ----------------------------------------- */

tk_err tk_cbor_enc_put_bool(tk_cbor_enc *enc, bool value)
{
    return put_head_item(enc, TK_CBOR_MT_SIMPLE, value ? 21 : 20);
}

tk_err tk_cbor_enc_put_null(tk_cbor_enc *enc)
{
    return put_head_item(enc, TK_CBOR_MT_SIMPLE, 22);
}

tk_err tk_cbor_enc_put_undefined(tk_cbor_enc *enc)
{
    return put_head_item(enc, TK_CBOR_MT_SIMPLE, 23);
}

tk_err tk_cbor_enc_put_simple(tk_cbor_enc *enc, uint8_t value)
{
    /* 24..31 have no valid encoding (RFC 8949 section 3.3). */
    if (enc != NULL && value >= 24 && value < 32)
        return enc_fail(enc, TK_ERR_INVALID_ARG);
    return put_head_item(enc, TK_CBOR_MT_SIMPLE, value);
}

#if TK_CBOR_WITH_FLOAT
/* Writes a float head f9, fa or fb with width bytes of raw bits. */
static tk_err put_float_bits(tk_cbor_enc *enc, unsigned width, uint64_t bits)
{
    tk_err err = begin_item(enc, TK_CBOR_MT_SIMPLE, false);
    if (err != TK_OK)
        return err;
    uint8_t out[9];
    if (width == 2)
        out[0] = 0xf9;
    else if (width == 4)
        out[0] = 0xfa;
    else
        out[0] = 0xfb;
    for (unsigned i = width; i >= 1; i--) {
        out[i] = (uint8_t)bits;
        bits >>= 8;
    }
    emit(enc, out, width + 1u);
    return item_done(enc);
}

static uint64_t double_bits(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

tk_err tk_cbor_enc_put_float(tk_cbor_enc *enc, double value)
{
    uint64_t d = double_bits(value), narrow;
    /* A NaN, tested on the bits so that no soft-float compare is linked. */
    if ((d & UINT64_C(0x7fffffffffffffff)) > UINT64_C(0x7ff0000000000000))
        return put_float_bits(enc, 2, 0x7e00); /* the one NaN of 4.2.1 */
    if (tk_cbor_double_narrow(d, 5, 10, &narrow))
        return put_float_bits(enc, 2, narrow);
    if (tk_cbor_double_narrow(d, 8, 23, &narrow))
        return put_float_bits(enc, 4, narrow);
    return put_float_bits(enc, 8, d);
}

tk_err tk_cbor_enc_put_half(tk_cbor_enc *enc, double value)
{
    uint64_t narrow;
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (!tk_cbor_double_narrow(double_bits(value), 5, 10, &narrow))
        return enc_fail(enc, TK_ERR_CBOR_FLOAT_INEXACT);
    return put_float_bits(enc, 2, narrow);
}

tk_err tk_cbor_enc_put_single(tk_cbor_enc *enc, double value)
{
    uint64_t narrow;
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (!tk_cbor_double_narrow(double_bits(value), 8, 23, &narrow))
        return enc_fail(enc, TK_ERR_CBOR_FLOAT_INEXACT);
    return put_float_bits(enc, 4, narrow);
}

tk_err tk_cbor_enc_put_double(tk_cbor_enc *enc, double value)
{
    return put_float_bits(enc, 8, double_bits(value));
}
#else
static tk_err float_unsupported(tk_cbor_enc *enc, double value)
{
    (void)value;
    return enc == NULL ? TK_ERR_INVALID_ARG
                       : enc_fail(enc, TK_ERR_UNSUPPORTED);
}

tk_err tk_cbor_enc_put_float(tk_cbor_enc *enc, double value)
{
    return float_unsupported(enc, value);
}

tk_err tk_cbor_enc_put_half(tk_cbor_enc *enc, double value)
{
    return float_unsupported(enc, value);
}

tk_err tk_cbor_enc_put_single(tk_cbor_enc *enc, double value)
{
    return float_unsupported(enc, value);
}

tk_err tk_cbor_enc_put_double(tk_cbor_enc *enc, double value)
{
    return float_unsupported(enc, value);
}
#endif /* TK_CBOR_WITH_FLOAT */

tk_err tk_cbor_enc_put_raw(tk_cbor_enc *enc, const uint8_t *item, size_t len)
{
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (enc->err != TK_OK)
        return enc->err;
    if (item == NULL || len == 0)
        return enc_fail(enc, TK_ERR_INVALID_ARG);
    /* The item must fit in the nesting that is left. */
    size_t end;
    tk_err err = tk_cbor_skip_item(item, len, 0,
                                   TK_CBOR_MAX_DEPTH - enc->depth, &end);
    if (err == TK_OK && end != len)
        err = TK_ERR_CBOR_TRAILING;
    if (err == TK_OK && (enc->flags & TK_CBOR_ENC_DETERMINISTIC))
        err = tk_cbor_validate(item, len, TK_CBOR_CHECK_DETERMINISTIC, NULL);
    if (err != TK_OK)
        return enc_fail(enc, err);
    tk_cbor_head head;
    (void)tk_cbor_read_head(item, len, 0, &head);
    err = begin_item(enc, head.major, head.ai == TK_CBOR_AI_INDEF);
    if (err != TK_OK)
        return err;
    emit(enc, item, len);
    return item_done(enc);
}
