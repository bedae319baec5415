/*
 * Array reader: the items of one array, each read whole with a walker
 * (cbor_util.c) instead of a decoder's stack of levels. It checks what a
 * decoder without check flags checks and reports the same errors at the
 * same offsets.
 */
#include <string.h>

#include "cbor_internal.h"

/* Keeps err at off unless an error is kept already; returns the kept
 * error. */
static tk_err array_fail(tk_cbor_array_reader *r, tk_err err, size_t off)
{
    if (r->err == TK_OK) {
        r->err = err;
        r->err_off = off;
    }
    return r->err;
}

/* Returns the item type of simple value value (major type 7). */
static tk_cbor_type simple_item_type(uint64_t value)
{
    /* false, true, null and undefined are 20 to 23, in the order of their
     * item types. */
    if (value >= 20 && value <= 23)
        return (tk_cbor_type)(TK_CBOR_FALSE + (int)(value - 20));
    return TK_CBOR_SIMPLE;
}

/* Fills item from the head event ev of an item of buf that ends at end. */
static void item_from_event(const uint8_t *buf, const tk_cbor_walk_event *ev,
                            size_t end, tk_cbor_item *item)
{
    const tk_cbor_head *h = &ev->head;
    bool indef = h->ai == TK_CBOR_AI_INDEF;

    memset(item, 0, sizeof(*item));
    item->offset = ev->offset;
    item->depth = 1;
    item->value = h->arg;
    item->flags = indef ? TK_CBOR_ITEM_INDEFINITE : 0;
    switch (h->major) {
    case TK_CBOR_MT_BSTR:
    case TK_CBOR_MT_TSTR:
        /* The item types of major types 0 to 3 have the same values. */
        item->type = (tk_cbor_type)h->major;
        item->value = ev->total;
        item->str.ptr = buf + ev->content;
        /* An indefinite string's chunks end before its break. */
        item->str.len = end - ev->content - (indef ? 1u : 0u);
        break;
    case TK_CBOR_MT_ARRAY:
    case TK_CBOR_MT_MAP:
        item->type = h->major == TK_CBOR_MT_MAP ? TK_CBOR_MAP : TK_CBOR_ARRAY;
        item->value = indef ? TK_CBOR_INDEFINITE : h->arg;
        break;
    case TK_CBOR_MT_TAG:
        item->type = TK_CBOR_TAG;
        break;
    case TK_CBOR_MT_SIMPLE:
        item->type = simple_item_type(h->arg);
        if (h->ai >= TK_CBOR_AI_2BYTES) {
            item->type = TK_CBOR_FLOAT;
            item->float_width = (uint8_t)(h->len - 1);
#if TK_CBOR_WITH_FLOAT
            uint64_t bits = tk_cbor_float_bits_to_double(h->arg, h->len - 1u);
            memcpy(&item->f, &bits, sizeof(item->f));
#endif
        }
        break;
    default:
        item->type = (tk_cbor_type)h->major;
        break;
    }
}

tk_err tk_cbor_array_open(tk_cbor_array_reader *r, const uint8_t *buf,
                          size_t len, uint64_t *count)
{
    tk_cbor_head head;
    tk_err err;

    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    memset(r, 0, sizeof(*r));
    r->buf = buf;
    r->len = len;
    if (buf == NULL && len > 0)
        return array_fail(r, TK_ERR_INVALID_ARG, 0);
    err = tk_cbor_read_head(buf, len, 0, &head);
    if (err != TK_OK)
        return array_fail(r, err, 0);
    if (head.major != TK_CBOR_MT_ARRAY) {
        /* A decoder reads the whole item before it checks the type, so a
         * malformed item reports its own error first. */
        size_t end;
        err = tk_cbor_skip_item(buf, len, 0, TK_CBOR_MAX_DEPTH, &end);
        return array_fail(r, err != TK_OK ? err : TK_ERR_CBOR_TYPE,
                          err != TK_OK ? end : 0);
    }
    r->off = head.len;
    if (head.ai == TK_CBOR_AI_INDEF) {
        r->indefinite = true;
        r->left = SIZE_MAX;
    } else {
        /* Every item takes at least one byte. */
        if (head.size > len - r->off)
            return array_fail(r, TK_ERR_CBOR_COUNT_TOO_LARGE, 0);
        r->left = head.size;
    }
    if (count != NULL)
        *count = r->indefinite ? TK_CBOR_INDEFINITE : head.arg;
    return TK_OK;
}

bool tk_cbor_array_more(tk_cbor_array_reader *r)
{
    if (r == NULL || r->err != TK_OK)
        return false;
    if (!r->indefinite)
        return r->left > 0;
    if (r->off >= r->len) {
        array_fail(r, TK_ERR_CBOR_TRUNCATED, r->off);
        return false;
    }
    return r->buf[r->off] != TK_CBOR_BREAK;
}

tk_err tk_cbor_array_next(tk_cbor_array_reader *r, tk_cbor_item *item,
                          tk_view *raw)
{
    tk_cbor_walk w;
    tk_cbor_walk_event ev;
    tk_cbor_walk_event first;
    tk_err err;

    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    if (r->err != TK_OK)
        return r->err;
    if (!tk_cbor_array_more(r))
        return r->err != TK_OK ? r->err
                               : array_fail(r, TK_ERR_CBOR_NO_MORE, r->off);
    /* The item lies one level inside the array. */
    err = tk_cbor_walk_init(&w, r->buf, r->len, r->off,
                            TK_CBOR_MAX_DEPTH - 1u);
    if (err == TK_OK)
        err = tk_cbor_walk_next(&w, &first);
    while (err == TK_OK)
        err = tk_cbor_walk_next(&w, &ev);
    if (err != TK_ERR_CBOR_END)
        return array_fail(r, err, w.off);
    if (item != NULL)
        item_from_event(r->buf, &first, w.off, item);
    if (raw != NULL) {
        raw->ptr = r->buf + r->off;
        raw->len = w.off - r->off;
    }
    r->off = w.off;
    if (!r->indefinite)
        r->left--;
    return TK_OK;
}

tk_err tk_cbor_array_finish(tk_cbor_array_reader *r)
{
    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    if (r->err != TK_OK)
        return r->err;
    if (r->indefinite) {
        if (tk_cbor_array_more(r))
            return array_fail(r, TK_ERR_CBOR_NOT_CLOSED, r->off);
        if (r->err != TK_OK)
            return r->err;
        r->off++; /* the break */
    } else if (r->left > 0) {
        return array_fail(r, TK_ERR_CBOR_NOT_CLOSED, r->off);
    }
    if (r->off < r->len)
        return array_fail(r, TK_ERR_CBOR_TRAILING, r->off);
    return TK_OK;
}

size_t tk_cbor_array_error_offset(const tk_cbor_array_reader *r)
{
    return r == NULL ? 0 : r->err_off;
}

size_t tk_cbor_array_offset(const tk_cbor_array_reader *r)
{
    return r == NULL ? 0 : r->off;
}

tk_err tk_cbor_array_fail(tk_cbor_array_reader *r, tk_err err,
                          size_t offset)
{
    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    if (err == TK_OK)
        return r->err;
    return array_fail(r, err, offset);
}
