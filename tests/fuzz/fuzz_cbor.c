/*
 * Fuzz target of the CBOR decoder: the pull walk (next, peek and the typed
 * helpers), validate, skip, map_find, container_raw, bstr-wrapped items,
 * and put_raw of the encoder.
 *
 * Input: one byte of decoder flags (its low five bits are TK_CBOR_CHECK_*),
 * then the CBOR bytes. Beyond "no crash", the target checks properties
 * that hold for every input and traps when one fails:
 * - next() returns at most one item per input byte, and every view lies
 *   inside the input;
 * - validate() accepts exactly what a walk with skip() and finish()
 *   accepts, and a walk with next() agrees with both;
 * - after map_find() fails with an error, every later call fails too.
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

static void check_view(tk_view v, const uint8_t *buf, size_t len)
{
    if (v.len == 0)
        return;
    CHECK(v.ptr >= buf);
    CHECK(v.ptr + v.len <= buf + len);
}

/* Traps unless peek() returned what the next() after it returns: the
 * same result, kept error and item. */
static void check_peek(tk_err peek_err, const tk_cbor_item *peeked,
                       tk_err next_err, const tk_cbor_item *item)
{
    CHECK(peek_err == next_err);
    if (next_err != TK_OK)
        return;
    CHECK(peeked->type == item->type);
    CHECK(peeked->offset == item->offset);
    CHECK(peeked->depth == item->depth);
    CHECK(peeked->flags == item->flags);
    CHECK(peeked->value == item->value);
    CHECK(peeked->float_width == item->float_width);
    CHECK(peeked->str.ptr == item->str.ptr);
    CHECK(peeked->str.len == item->str.len);
    CHECK(memcmp(&peeked->f, &item->f, sizeof item->f) == 0);
}

/* Walks every item with next(), peeking before each; returns the walk's
 * result. */
static tk_err walk_next(const uint8_t *buf, size_t len, uint32_t flags)
{
    tk_cbor_dec dec;
    tk_cbor_item item, peeked;
    uint8_t copy[64];
    size_t items = 0;
    tk_err err;

    tk_cbor_dec_init(&dec, buf, len, flags);
    for (;;) {
        tk_err peek_err = tk_cbor_dec_peek(&dec, &peeked);
        size_t peek_off = tk_cbor_dec_error_offset(&dec);
        err = tk_cbor_dec_next(&dec, &item);
        check_peek(peek_err, &peeked, err, &item);
        /* An error that peek() kept is the one next() returns. */
        if (peek_err != TK_OK && peek_err != TK_ERR_CBOR_END)
            CHECK(tk_cbor_dec_error_offset(&dec) == peek_off);
        if (err != TK_OK)
            break;
        items++;
        CHECK(items <= len);
        CHECK(item.offset < len);
        CHECK(item.depth <= TK_CBOR_MAX_DEPTH);
        if (item.type == TK_CBOR_BSTR || item.type == TK_CBOR_TSTR) {
            check_view(item.str, buf, len);
            size_t n = 0;
            tk_err c = tk_cbor_item_copy_str(&item, copy, sizeof copy, &n);
            CHECK(c == TK_OK || c == TK_ERR_BUFFER_TOO_SMALL);
            CHECK(c != TK_OK || n <= sizeof copy);
            CHECK(n == item.value);
        }
    }
    if (err == TK_ERR_CBOR_END)
        err = tk_cbor_dec_finish(&dec);
    /* A kept error stays: another call returns it again. */
    if (err != TK_OK)
        CHECK(tk_cbor_dec_next(&dec, &item) != TK_OK);
    return err;
}

/* Skips the whole item and finishes. */
static tk_err walk_skip(const uint8_t *buf, size_t len, uint32_t flags)
{
    tk_cbor_dec dec;
    tk_view raw = {NULL, 0};
    tk_cbor_dec_init(&dec, buf, len, flags);
    tk_err err = tk_cbor_dec_skip(&dec, &raw);
    if (err == TK_OK) {
        check_view(raw, buf, len);
        CHECK(raw.ptr == buf);
    }
    tk_err fin = tk_cbor_dec_finish(&dec);
    if (err == TK_OK && fin == TK_OK)
        CHECK(raw.len == len);
    return err != TK_OK ? err : fin;
}

/*
 * Walks with the typed helpers, choosing each call from peek(), as the
 * format decoders do. Depth and call count are bounded by the input.
 */
static void walk_typed(const uint8_t *buf, size_t len, uint32_t flags)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    size_t steps = 0;

    tk_cbor_dec_init(&dec, buf, len, flags);
    for (;;) {
        CHECK(++steps <= 4 * len + 8);
        if (!tk_cbor_dec_more(&dec)) {
            if (tk_cbor_dec_error(&dec) != TK_OK ||
                tk_cbor_dec_depth(&dec) == 0)
                break;
            if (tk_cbor_dec_exit(&dec) != TK_OK)
                break;
            continue;
        }
        if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
            break;
        tk_err err = TK_OK;
        uint64_t u;
        int64_t i;
        tk_view v;
        bool b;
        double f;
        switch (item.type) {
        case TK_CBOR_ARRAY:
            err = tk_cbor_dec_enter_array(&dec, &u);
            break;
        case TK_CBOR_MAP:
            err = tk_cbor_dec_enter_map(&dec, &u);
            /* Labels of format maps: the first key as a label. */
            if (err == TK_OK && tk_cbor_dec_more(&dec)) {
                tk_cbor_item key;
                if (tk_cbor_dec_peek(&dec, &key) == TK_OK &&
                    (key.type == TK_CBOR_UINT || key.type == TK_CBOR_NINT))
                    err = tk_cbor_dec_get_label(&dec, &i);
            }
            break;
        case TK_CBOR_UINT:
            err = tk_cbor_dec_get_uint(&dec, &u);
            break;
        case TK_CBOR_NINT:
            err = tk_cbor_dec_get_int(&dec, &i);
            if (err == TK_ERR_CBOR_INT_RANGE)
                return;
            break;
        case TK_CBOR_BSTR:
            if (item.flags & TK_CBOR_ITEM_INDEFINITE) {
                err = tk_cbor_dec_skip(&dec, NULL);
            } else {
                tk_cbor_dec inner;
                err = tk_cbor_dec_get_bstr_cbor(&dec, &inner, flags);
                if (err == TK_OK) {
                    tk_cbor_item in_item;
                    size_t n = 0;
                    while (tk_cbor_dec_next(&inner, &in_item) == TK_OK)
                        CHECK(++n <= len);
                    (void)tk_cbor_dec_finish(&inner);
                }
            }
            break;
        case TK_CBOR_TSTR:
            err = (item.flags & TK_CBOR_ITEM_INDEFINITE)
                      ? tk_cbor_dec_skip(&dec, NULL)
                      : tk_cbor_dec_get_tstr(&dec, &v);
            if (err == TK_OK && !(item.flags & TK_CBOR_ITEM_INDEFINITE))
                check_view(v, buf, len);
            break;
        case TK_CBOR_TAG:
            err = tk_cbor_dec_get_tag(&dec, &u);
            break;
        case TK_CBOR_FALSE:
        case TK_CBOR_TRUE:
            err = tk_cbor_dec_get_bool(&dec, &b);
            break;
        case TK_CBOR_NULL:
            err = tk_cbor_dec_get_null(&dec);
            break;
        case TK_CBOR_FLOAT:
            err = tk_cbor_dec_get_float(&dec, &f);
            break;
        default:
            err = tk_cbor_dec_skip(&dec, NULL);
            break;
        }
        if (err != TK_OK)
            break;
    }
    (void)tk_cbor_dec_finish(&dec);
}

/* map_find on the top-level map: never loops, and an error is final. */
static void walk_map_find(const uint8_t *buf, size_t len, uint32_t flags)
{
    static const int64_t labels[] = {1, 2, 3, 5, -1, 0, 20, 256};
    tk_cbor_dec dec;
    tk_cbor_item item;

    tk_cbor_dec_init(&dec, buf, len, flags);
    if (tk_cbor_dec_peek(&dec, &item) != TK_OK || item.type != TK_CBOR_MAP)
        return;
    if (tk_cbor_dec_enter_map(&dec, NULL) != TK_OK)
        return;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        tk_err err = tk_cbor_dec_map_find(&dec, labels[i]);
        if (err == TK_OK) {
            if (tk_cbor_dec_skip(&dec, NULL) != TK_OK)
                break;
            continue;
        }
        if (err == TK_ERR_NOT_FOUND)
            continue;
        /* An error is kept: the next search fails the same way. */
        CHECK(tk_cbor_dec_map_find(&dec, 1) == err);
        CHECK(tk_cbor_dec_error(&dec) == err);
        return;
    }
    tk_view raw;
    if (tk_cbor_dec_container_raw(&dec, &raw) == TK_OK) {
        check_view(raw, buf, len);
        CHECK(raw.ptr == buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t flags = data[0] & 0x1fu;
    const uint8_t *buf = data + 1;
    size_t len = size - 1;
    /* The decoder's views must stay inside an exact-size copy. */
    uint8_t *copy = malloc(len == 0 ? 1 : len);
    if (copy == NULL)
        return 0;
    memcpy(copy, buf, len);

    size_t err_off = 0;
    tk_err valid = tk_cbor_validate(copy, len, flags, &err_off);
    CHECK(valid != TK_OK || err_off == 0);
    CHECK(err_off <= len);
    tk_err skipped = walk_skip(copy, len, flags);
    tk_err walked = walk_next(copy, len, flags);
    CHECK((valid == TK_OK) == (skipped == TK_OK));
    CHECK((valid == TK_OK) == (walked == TK_OK));

    walk_typed(copy, len, flags);
    walk_map_find(copy, len, flags);

    /* The encoder copies exactly the items the decoder accepts. */
    uint8_t out[256];
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, out, sizeof out, 0);
    tk_err put = tk_cbor_enc_put_raw(&enc, copy, len);
    CHECK((tk_cbor_validate(copy, len, 0, NULL) == TK_OK) == (put == TK_OK));
    size_t out_len = 0;
    tk_err fin = tk_cbor_enc_finish(&enc, &out_len);
    if (put == TK_OK && fin == TK_OK)
        CHECK(out_len == len && memcmp(out, copy, len) == 0);

    free(copy);
    return 0;
}
