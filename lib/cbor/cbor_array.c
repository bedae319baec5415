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

tk_err tk_cbor_array_open(tk_cbor_array_reader *r, const uint8_t *buf,
                          size_t len, uint64_t *count)
{
    tk_cbor_walk_event ev;
    size_t pos = 0;

    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    memset(r, 0, sizeof(*r));
    r->buf = buf;
    r->len = len;
    if (buf == NULL && len > 0)
        return array_fail(r, TK_ERR_INVALID_ARG, 0);
    tk_err err = tk_cbor_read_one(buf, len, TK_CBOR_MAX_DEPTH, NULL, &ev, &pos);
    if (err == TK_OK && ev.head.major != TK_CBOR_MT_ARRAY) {
        /* A decoder reads the whole item before it checks the type, so a
         * malformed item reports its own error first. */
        err = tk_cbor_skip_item(buf, len, 0, TK_CBOR_MAX_DEPTH, &pos);
        if (err == TK_OK) {
            err = TK_ERR_CBOR_TYPE;
            pos = 0;
        }
    }
    if (err != TK_OK)
        return array_fail(r, err, pos);
    /* An indefinite array owes TK_CBOR_OWED_INDEF_ARRAY (SIZE_MAX) items. */
    r->off = pos;
    r->indefinite = ev.head.ai == TK_CBOR_AI_INDEF;
    r->left = ev.total;
    if (count != NULL)
        *count = r->indefinite ? TK_CBOR_INDEFINITE : ev.head.arg;
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
        tk_cbor_item_from_event(item, r->buf, &first, w.off, 1);
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
