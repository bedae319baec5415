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

/* The major type and the style of an encoder level kind. */
static uint8_t kind_major(unsigned kind)
{
    return (uint8_t)(kind & TK_CBOR_ENC_MAJOR_MASK);
}

static unsigned kind_style(unsigned kind)
{
    return kind & TK_CBOR_ENC_STYLE_MASK;
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
    if (enc->depth > 0) {
        unsigned kind = enc->level[enc->depth - 1].kind;
        if (kind_style(kind) == TK_CBOR_ENC_INDEF &&
            kind_major(kind) <= TK_CBOR_MT_TSTR &&
            (major != kind_major(kind) || indef))
            return enc_fail(enc, TK_ERR_CBOR_BAD_CHUNK);
    }
    if (indef && (enc->flags & TK_CBOR_ENC_DETERMINISTIC))
        return enc_fail(enc, TK_ERR_CBOR_INDEFINITE);
    return TK_OK;
}

static tk_err push(tk_cbor_enc *enc, uint8_t kind, size_t start,
                   size_t pending)
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
/* Reverses p[0..n). */
static void reverse(uint8_t *p, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        uint8_t t = p[i];
        p[i] = p[j - 1];
        p[j - 1] = t;
    }
}

/*
 * Skips the map entry at enc->buf[at]: sets *key_end after its key and
 * returns the offset after its value, or 0 when the entry does not skip,
 * which the encoder's own output never does.
 */
static size_t skip_entry(const tk_cbor_enc *enc, size_t at, size_t *key_end)
{
    const uint8_t *buf = enc->buf;
    size_t end;
    if (tk_cbor_skip_item(buf, enc->len, at, TK_CBOR_MAX_DEPTH, key_end) ||
        tk_cbor_skip_item(buf, enc->len, *key_end, TK_CBOR_MAX_DEPTH, &end))
        return 0;
    return end;
}

/*
 * Sorts the pairs entries of the map content that starts at start and ends
 * at enc->len, by the bytes of their keys (tk_cbor_compare_keys()), with
 * an insertion sort that rotates each entry into place (three reversals):
 * no memory beyond the buffer. An entry that comes after the last sorted
 * one costs one comparison. Two equal keys give TK_ERR_CBOR_DUP_KEY.
 */
static tk_err sort_map(tk_cbor_enc *enc, size_t start, size_t pairs)
{
    uint8_t *buf = enc->buf;
    size_t sorted_end = start; /* entries before this offset are sorted */
    size_t last_key = start;   /* offset of the last sorted key */

    for (size_t i = 0; i < pairs; i++) {
        size_t key = sorted_end, key_end;
        size_t entry_end = skip_entry(enc, key, &key_end);
        if (entry_end == 0)
            return enc_fail(enc, TK_ERR_INTERNAL);
        size_t entry_len = entry_end - key;

        /* The entry goes before the first sorted key above its own. The
         * last key decides whether to search from the start, and then
         * the search ends at the last key at the latest. */
        size_t at = i > 0 ? last_key : sorted_end;
        bool searching = false;
        while (at < sorted_end) {
            size_t at_key_end;
            size_t next = skip_entry(enc, at, &at_key_end);
            if (next == 0)
                return enc_fail(enc, TK_ERR_INTERNAL);
            int order = tk_cbor_compare_keys(buf + at, at_key_end - at,
                                             buf + key, key_end - key);
            if (order == 0)
                return enc_fail(enc, TK_ERR_CBOR_DUP_KEY);
            if (order < 0) {
                at = next;
            } else if (searching) {
                break;
            } else {
                searching = true;
                at = start;
            }
        }
        if (at < sorted_end) {
            reverse(buf + at, sorted_end - at);
            reverse(buf + sorted_end, entry_len);
            reverse(buf + at, sorted_end - at + entry_len);
            last_key += entry_len; /* the last key moved right */
        } else {
            last_key = key;
        }
        sorted_end += entry_len;
    }
    return TK_OK;
}
#endif /* TK_CBOR_WITH_SORT */

/* Runs the end-of-map work of deterministic mode: sorts the pairs entries
 * of the complete map whose head is at start. */
static tk_err finish_map(tk_cbor_enc *enc, size_t start, size_t pairs)
{
#if TK_CBOR_WITH_SORT
    if ((enc->flags & TK_CBOR_ENC_DETERMINISTIC) && enc_complete(enc) &&
        pairs > 1)
        return sort_map(enc, start + tk_cbor_head_size(pairs), pairs);
#else
    (void)enc;
    (void)start;
    (void)pairs;
#endif
    return TK_OK;
}

/*
 * Counts one complete item in the innermost container. A counted
 * container (array, map or tag) closes after its last item, a map then
 * being sorted in deterministic mode, and counts as an item of its own
 * parent.
 */
static tk_err item_done(tk_cbor_enc *enc)
{
    while (enc->depth > 0) {
        tk_cbor_enc_level *level = &enc->level[enc->depth - 1];
        level->count++;
        if (kind_style(level->kind) != TK_CBOR_ENC_COUNTED ||
            --level->pending > 0)
            break;
        if (kind_major(level->kind) == TK_CBOR_MT_MAP) {
            tk_err err = finish_map(enc, level->start, level->count / 2);
            if (err != TK_OK)
                return err;
        }
        enc->depth--;
    }
    return TK_OK;
}

/*
 * Writes one head for a level or item of kind kind (a major type and a
 * style). A counted kind writes the head with argument arg: an integer or
 * simple value is then counted in its container, and a tag, array or map
 * opens a level for its content unless the container is empty. A reserved
 * or indefinite kind (arg 0) writes one head byte and opens its level.
 */
static tk_err put_head(tk_cbor_enc *enc, uint8_t kind, uint64_t arg)
{
    uint8_t major = kind_major(kind);
    bool indef = kind_style(kind) == TK_CBOR_ENC_INDEF;
    tk_err err = begin_item(enc, major, indef);
    if (err != TK_OK)
        return err;
    uint64_t items = 0;
    if (kind_style(kind) == TK_CBOR_ENC_COUNTED) {
        items = major == TK_CBOR_MT_ARRAY ? arg
                : major == TK_CBOR_MT_MAP ? arg * 2
                                          : major == TK_CBOR_MT_TAG;
        /* Each item takes a byte of the output, whose size is a size_t,
         * so a larger count could never be completed. */
        if (items > SIZE_MAX)
            return enc_fail(enc, TK_ERR_LIMIT);
    }
    size_t start = enc->len;
    uint8_t head[TK_CBOR_HEAD_MAX];
    size_t head_len = tk_cbor_encode_head(head, major, arg);
    if (indef)
        head[0] |= TK_CBOR_AI_INDEF;
    emit(enc, head, head_len);
    if (kind_style(kind) == TK_CBOR_ENC_COUNTED && items == 0)
        return item_done(enc);
    return push(enc, kind, start, (size_t)items);
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

tk_err tk_cbor_enc_put_uint(tk_cbor_enc *enc, uint64_t value)
{
    return put_head(enc, TK_CBOR_MT_UINT, value);
}

tk_err tk_cbor_enc_put_nint(tk_cbor_enc *enc, uint64_t n)
{
    return put_head(enc, TK_CBOR_MT_NINT, n);
}

tk_err tk_cbor_enc_put_int(tk_cbor_enc *enc, int64_t value)
{
    if (value >= 0)
        return put_head(enc, TK_CBOR_MT_UINT, (uint64_t)value);
    /* -1 - value does not overflow for any negative int64_t. */
    return put_head(enc, TK_CBOR_MT_NINT, (uint64_t)(-1 - value));
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

tk_err tk_cbor_enc_put_array(tk_cbor_enc *enc, uint64_t count)
{
    return put_head(enc, TK_CBOR_MT_ARRAY, count);
}

tk_err tk_cbor_enc_put_map(tk_cbor_enc *enc, uint64_t pairs)
{
    if (enc != NULL && pairs > UINT64_MAX / 2)
        return enc_fail(enc, TK_ERR_INVALID_ARG);
    return put_head(enc, TK_CBOR_MT_MAP, pairs);
}

tk_err tk_cbor_enc_put_tag(tk_cbor_enc *enc, uint64_t tag)
{
    return put_head(enc, TK_CBOR_MT_TAG, tag);
}

/*
 * Writes the head of major type major with argument arg over the byte
 * reserved at start, moving the content right when the head is longer
 * than one byte.
 */
static tk_err write_reserved(tk_cbor_enc *enc, size_t start, uint8_t major,
                             uint64_t arg)
{
    size_t head_len = tk_cbor_head_size(arg);
    size_t grow = head_len - 1;

    if (grow > SIZE_MAX - enc->len)
        return enc_fail(enc, TK_ERR_LIMIT);
    if (enc_complete(enc) && enc->len + grow <= enc->cap) {
        memmove(enc->buf + start + head_len, enc->buf + start + 1,
                enc->len - start - 1);
        tk_cbor_write_head(enc->buf + start, major, arg, head_len);
    }
    enc->len += grow;
    return TK_OK;
}

/*
 * Closes the innermost container and counts it as an item of its parent.
 * The container must not close by itself, and its kind masked with mask
 * must be want, else the result is TK_ERR_CBOR_NESTING. Writes the real
 * head of a reserved container (then sorts a map in deterministic mode)
 * or the break of an indefinite one. A map with a key but no value gives
 * TK_ERR_CBOR_ODD_MAP.
 */
static tk_err close_level(tk_cbor_enc *enc, unsigned mask, unsigned want)
{
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (enc->err != TK_OK)
        return enc->err;
    if (enc->depth == 0)
        return enc_fail(enc, TK_ERR_CBOR_NESTING);
    const tk_cbor_enc_level *level = &enc->level[enc->depth - 1];
    unsigned kind = level->kind;
    uint8_t major = kind_major(kind);
    size_t start = level->start;
    size_t arg = level->count;
    tk_err err = TK_OK;

    if ((kind & mask) != want || kind_style(kind) == TK_CBOR_ENC_COUNTED)
        return enc_fail(enc, TK_ERR_CBOR_NESTING);
    if (major == TK_CBOR_MT_MAP) {
        if (arg & 1u)
            return enc_fail(enc, TK_ERR_CBOR_ODD_MAP);
        arg /= 2;
    }
    if (kind_style(kind) == TK_CBOR_ENC_INDEF) {
        uint8_t brk = TK_CBOR_BREAK;
        emit(enc, &brk, 1);
    } else {
        if (major == TK_CBOR_MT_BSTR)
            arg = enc->len - start - 1;
        err = write_reserved(enc, start, major, arg);
        if (err == TK_OK && major == TK_CBOR_MT_MAP)
            err = finish_map(enc, start, arg);
    }
    if (err != TK_OK)
        return err;
    enc->depth--;
    return item_done(enc);
}

/* Masks of close_level(): the whole kind, or its style alone. */
#define EXACT_KIND 0xffu
#define ANY_MAJOR TK_CBOR_ENC_STYLE_MASK

tk_err tk_cbor_enc_array_begin(tk_cbor_enc *enc)
{
    return put_head(enc, TK_CBOR_MT_ARRAY | TK_CBOR_ENC_RESERVED, 0);
}

tk_err tk_cbor_enc_array_end(tk_cbor_enc *enc)
{
    return close_level(enc, EXACT_KIND,
                       TK_CBOR_MT_ARRAY | TK_CBOR_ENC_RESERVED);
}

tk_err tk_cbor_enc_map_begin(tk_cbor_enc *enc)
{
    return put_head(enc, TK_CBOR_MT_MAP | TK_CBOR_ENC_RESERVED, 0);
}

tk_err tk_cbor_enc_map_end(tk_cbor_enc *enc)
{
    return close_level(enc, EXACT_KIND, TK_CBOR_MT_MAP | TK_CBOR_ENC_RESERVED);
}

tk_err tk_cbor_enc_bstr_wrap_begin(tk_cbor_enc *enc)
{
    return put_head(enc, TK_CBOR_MT_BSTR | TK_CBOR_ENC_RESERVED, 0);
}

tk_err tk_cbor_enc_bstr_wrap_end(tk_cbor_enc *enc)
{
    return close_level(enc, EXACT_KIND, TK_CBOR_MT_BSTR | TK_CBOR_ENC_RESERVED);
}

tk_err tk_cbor_enc_indef_array(tk_cbor_enc *enc)
{
    return put_head(enc, TK_CBOR_MT_ARRAY | TK_CBOR_ENC_INDEF, 0);
}

tk_err tk_cbor_enc_indef_map(tk_cbor_enc *enc)
{
    return put_head(enc, TK_CBOR_MT_MAP | TK_CBOR_ENC_INDEF, 0);
}

tk_err tk_cbor_enc_indef_bstr(tk_cbor_enc *enc)
{
    return put_head(enc, TK_CBOR_MT_BSTR | TK_CBOR_ENC_INDEF, 0);
}

tk_err tk_cbor_enc_indef_tstr(tk_cbor_enc *enc)
{
    return put_head(enc, TK_CBOR_MT_TSTR | TK_CBOR_ENC_INDEF, 0);
}

tk_err tk_cbor_enc_indef_end(tk_cbor_enc *enc)
{
    return close_level(enc, ANY_MAJOR, TK_CBOR_ENC_INDEF);
}

tk_err tk_cbor_enc_end(tk_cbor_enc *enc)
{
    /* Any container that does not close by itself. */
    return close_level(enc, 0, 0);
}

/* ---- simple values and floats ----------------------------------------- */

tk_err tk_cbor_enc_put_bool(tk_cbor_enc *enc, bool value)
{
    return tk_cbor_enc_put_simple(enc, value ? 21 : 20);
}

tk_err tk_cbor_enc_put_null(tk_cbor_enc *enc)
{
    return tk_cbor_enc_put_simple(enc, 22);
}

tk_err tk_cbor_enc_put_undefined(tk_cbor_enc *enc)
{
    return tk_cbor_enc_put_simple(enc, 23);
}

tk_err tk_cbor_enc_put_simple(tk_cbor_enc *enc, uint8_t value)
{
    /* 24..31 have no valid encoding (RFC 8949 section 3.3). */
    if (enc != NULL && value >= 24 && value < 32)
        return enc_fail(enc, TK_ERR_INVALID_ARG);
    return put_head(enc, TK_CBOR_MT_SIMPLE, value);
}

#if TK_CBOR_WITH_FLOAT
/*
 * Writes value as a float of width bytes (2, 4 or 8), or, with width 0, in
 * the shortest width that represents it exactly, every NaN as f9 7e00
 * (RFC 8949 section 4.2.1). A value that a fixed width cannot represent
 * exactly gives TK_ERR_CBOR_FLOAT_INEXACT.
 */
static tk_err put_float_width(tk_cbor_enc *enc, unsigned width, double value)
{
    uint64_t bits, narrow;
    memcpy(&bits, &value, sizeof bits);
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (width == 0 &&
        (bits & UINT64_C(0x7fffffffffffffff)) > UINT64_C(0x7ff0000000000000)) {
        /* A NaN, tested on the bits so that no soft-float compare is
         * linked. */
        narrow = 0x7e00;
        width = 2;
    } else if (width <= 2 && tk_cbor_double_narrow(bits, 5, 10, &narrow)) {
        width = 2;
    } else if (width == 2) {
        return enc_fail(enc, TK_ERR_CBOR_FLOAT_INEXACT);
    } else if (width <= 4 && tk_cbor_double_narrow(bits, 8, 23, &narrow)) {
        width = 4;
    } else if (width == 4) {
        return enc_fail(enc, TK_ERR_CBOR_FLOAT_INEXACT);
    } else {
        narrow = bits;
        width = 8;
    }
    tk_err err = begin_item(enc, TK_CBOR_MT_SIMPLE, false);
    if (err != TK_OK)
        return err;
    uint8_t out[TK_CBOR_HEAD_MAX];
    tk_cbor_write_head(out, TK_CBOR_MT_SIMPLE, narrow, width + 1u);
    emit(enc, out, width + 1u);
    return item_done(enc);
}
#else
static tk_err put_float_width(tk_cbor_enc *enc, unsigned width, double value)
{
    (void)value;
    (void)width;
    return enc == NULL ? TK_ERR_INVALID_ARG
                       : enc_fail(enc, TK_ERR_UNSUPPORTED);
}
#endif /* TK_CBOR_WITH_FLOAT */

tk_err tk_cbor_enc_put_float(tk_cbor_enc *enc, double value)
{
    return put_float_width(enc, 0, value);
}

tk_err tk_cbor_enc_put_half(tk_cbor_enc *enc, double value)
{
    return put_float_width(enc, 2, value);
}

tk_err tk_cbor_enc_put_single(tk_cbor_enc *enc, double value)
{
    return put_float_width(enc, 4, value);
}

tk_err tk_cbor_enc_put_double(tk_cbor_enc *enc, double value)
{
    return put_float_width(enc, 8, value);
}

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
    err = begin_item(enc, (uint8_t)(item[0] >> 5),
                     (item[0] & 0x1f) == TK_CBOR_AI_INDEF);
    if (err != TK_OK)
        return err;
    emit(enc, item, len);
    return item_done(enc);
}
