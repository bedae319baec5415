/* Placeholder for the CBOR library while it is written: every call fails
 * with TK_ERR_UNSUPPORTED. */
#include "teepkit/cbor.h"

tk_err tk_cbor_enc_init(tk_cbor_enc *enc, uint8_t *buf, size_t cap, uint32_t flags)
{
    (void)enc;
    (void)buf;
    (void)cap;
    (void)flags;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_finish(tk_cbor_enc *enc, size_t *len)
{
    (void)enc;
    (void)len;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_error(const tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_uint(tk_cbor_enc *enc, uint64_t value)
{
    (void)enc;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_int(tk_cbor_enc *enc, int64_t value)
{
    (void)enc;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_nint(tk_cbor_enc *enc, uint64_t n)
{
    (void)enc;
    (void)n;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_bstr(tk_cbor_enc *enc, const uint8_t *data, size_t len)
{
    (void)enc;
    (void)data;
    (void)len;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_tstr(tk_cbor_enc *enc, const char *text, size_t len)
{
    (void)enc;
    (void)text;
    (void)len;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_text(tk_cbor_enc *enc, const char *text)
{
    (void)enc;
    (void)text;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_array(tk_cbor_enc *enc, uint64_t count)
{
    (void)enc;
    (void)count;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_map(tk_cbor_enc *enc, uint64_t pairs)
{
    (void)enc;
    (void)pairs;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_array_begin(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_array_end(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_map_begin(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_map_end(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_indef_array(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_indef_map(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_indef_bstr(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_indef_tstr(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_indef_end(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_bstr_wrap_begin(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_bstr_wrap_end(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_end(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_tag(tk_cbor_enc *enc, uint64_t tag)
{
    (void)enc;
    (void)tag;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_bool(tk_cbor_enc *enc, bool value)
{
    (void)enc;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_null(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_undefined(tk_cbor_enc *enc)
{
    (void)enc;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_simple(tk_cbor_enc *enc, uint8_t value)
{
    (void)enc;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_float(tk_cbor_enc *enc, double value)
{
    (void)enc;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_half(tk_cbor_enc *enc, double value)
{
    (void)enc;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_single(tk_cbor_enc *enc, double value)
{
    (void)enc;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_double(tk_cbor_enc *enc, double value)
{
    (void)enc;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_enc_put_raw(tk_cbor_enc *enc, const uint8_t *item, size_t len)
{
    (void)enc;
    (void)item;
    (void)len;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_item_copy_str(const tk_cbor_item *item, uint8_t *out, size_t cap, size_t *len)
{
    (void)item;
    (void)out;
    (void)cap;
    (void)len;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_init(tk_cbor_dec *dec, const uint8_t *ptr, size_t len, uint32_t flags)
{
    (void)dec;
    (void)ptr;
    (void)len;
    (void)flags;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_set_max_depth(tk_cbor_dec *dec, unsigned max_depth)
{
    (void)dec;
    (void)max_depth;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_error(const tk_cbor_dec *dec)
{
    (void)dec;
    return TK_ERR_UNSUPPORTED;
}

size_t tk_cbor_dec_error_offset(const tk_cbor_dec *dec)
{
    (void)dec;
    return 0;
}

size_t tk_cbor_dec_offset(const tk_cbor_dec *dec)
{
    (void)dec;
    return 0;
}

unsigned tk_cbor_dec_depth(const tk_cbor_dec *dec)
{
    (void)dec;
    return 0;
}

tk_err tk_cbor_dec_fail(tk_cbor_dec *dec, tk_err err)
{
    (void)dec;
    (void)err;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_next(tk_cbor_dec *dec, tk_cbor_item *item)
{
    (void)dec;
    (void)item;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_peek(tk_cbor_dec *dec, tk_cbor_item *item)
{
    (void)dec;
    (void)item;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_enter_array(tk_cbor_dec *dec, uint64_t *count)
{
    (void)dec;
    (void)count;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_enter_map(tk_cbor_dec *dec, uint64_t *pairs)
{
    (void)dec;
    (void)pairs;
    return TK_ERR_UNSUPPORTED;
}

bool tk_cbor_dec_more(tk_cbor_dec *dec)
{
    (void)dec;
    return false;
}

tk_err tk_cbor_dec_exit(tk_cbor_dec *dec)
{
    (void)dec;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_uint(tk_cbor_dec *dec, uint64_t *value)
{
    (void)dec;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_int(tk_cbor_dec *dec, int64_t *value)
{
    (void)dec;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_bstr(tk_cbor_dec *dec, tk_view *value)
{
    (void)dec;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_tstr(tk_cbor_dec *dec, tk_view *value)
{
    (void)dec;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_bool(tk_cbor_dec *dec, bool *value)
{
    (void)dec;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_null(tk_cbor_dec *dec)
{
    (void)dec;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_float(tk_cbor_dec *dec, double *value)
{
    (void)dec;
    (void)value;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_tag(tk_cbor_dec *dec, uint64_t *tag)
{
    (void)dec;
    (void)tag;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_expect_tag(tk_cbor_dec *dec, uint64_t tag)
{
    (void)dec;
    (void)tag;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_label(tk_cbor_dec *dec, int64_t *label)
{
    (void)dec;
    (void)label;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_skip(tk_cbor_dec *dec, tk_view *raw)
{
    (void)dec;
    (void)raw;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_get_bstr_cbor(tk_cbor_dec *dec, tk_cbor_dec *inner, uint32_t flags)
{
    (void)dec;
    (void)inner;
    (void)flags;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_map_find(tk_cbor_dec *dec, int64_t label)
{
    (void)dec;
    (void)label;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_container_raw(tk_cbor_dec *dec, tk_view *raw)
{
    (void)dec;
    (void)raw;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_dec_finish(tk_cbor_dec *dec)
{
    (void)dec;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_validate(const uint8_t *ptr, size_t len, uint32_t flags, size_t *err_off)
{
    (void)ptr;
    (void)len;
    (void)flags;
    (void)err_off;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cbor_diag(const uint8_t *in, size_t len, char *out, size_t cap, size_t *needed, uint32_t flags, tk_cbor_label_name_fn names, void *ctx, size_t *err_off)
{
    (void)in;
    (void)len;
    (void)out;
    (void)cap;
    (void)needed;
    (void)flags;
    (void)names;
    (void)ctx;
    (void)err_off;
    return TK_ERR_UNSUPPORTED;
}
