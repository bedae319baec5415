/*
 * Array reader: the items of one array, each read whole by a decoder
 * without check flags that stands inside the array.
 */
#include "cbor_internal.h"

tk_err tk_cbor_array_open(tk_cbor_array_reader *r, const uint8_t *buf,
                          size_t len, uint64_t *count)
{
    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    tk_err err = tk_cbor_dec_init_with(&r->dec, buf, len, 0, NULL);
    if (err != TK_OK)
        return err;
    return tk_cbor_dec_enter_array(&r->dec, count);
}

bool tk_cbor_array_more(tk_cbor_array_reader *r)
{
    return r != NULL && tk_cbor_dec_more(&r->dec);
}

tk_err tk_cbor_array_next(tk_cbor_array_reader *r, tk_cbor_item *item,
                          tk_view *raw)
{
    tk_cbor_item first;
    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    return tk_cbor_dec_take(&r->dec, item != NULL ? item : &first, raw);
}

tk_err tk_cbor_array_finish(tk_cbor_array_reader *r)
{
    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    tk_cbor_dec *dec = &r->dec;
    if (tk_cbor_dec_more(dec))
        return tk_cbor_dec_fail(dec, TK_ERR_CBOR_NOT_CLOSED);
    tk_cbor_dec_exit(dec);
    return tk_cbor_dec_finish(dec);
}

size_t tk_cbor_array_error_offset(const tk_cbor_array_reader *r)
{
    return r == NULL ? 0 : r->dec.err_off;
}

size_t tk_cbor_array_offset(const tk_cbor_array_reader *r)
{
    return r == NULL ? 0 : r->dec.off;
}

tk_err tk_cbor_array_fail(tk_cbor_array_reader *r, tk_err err,
                          size_t offset)
{
    if (r == NULL)
        return TK_ERR_INVALID_ARG;
    if (err == TK_OK)
        return r->dec.err;
    return tk_cbor_dec_fail_at(&r->dec, err, offset);
}
