/*
 * Cortex-M4 program that references every public function of the CBOR
 * encoder and decoder (include/teepkit/cbor.h without tk_cbor_diag()), so
 * that a link with --gc-sections keeps exactly the code a device that uses
 * the whole API needs. bench/cbor/run.sh links it and reports the text
 * that lib/cbor and the C library add. It also checks that this table
 * names every function that the header declares.
 */
#include <stdint.h>

#include "teepkit/cbor.h"

typedef void (*tk_any_fn)(void);

/* The casts only take addresses: nothing calls through this table. */
static const tk_any_fn every_function[] = {
    (tk_any_fn)tk_cbor_enc_init,
    (tk_any_fn)tk_cbor_enc_finish,
    (tk_any_fn)tk_cbor_enc_error,
    (tk_any_fn)tk_cbor_enc_put_uint,
    (tk_any_fn)tk_cbor_enc_put_int,
    (tk_any_fn)tk_cbor_enc_put_nint,
    (tk_any_fn)tk_cbor_enc_put_bstr,
    (tk_any_fn)tk_cbor_enc_put_tstr,
    (tk_any_fn)tk_cbor_enc_put_text,
    (tk_any_fn)tk_cbor_enc_put_array,
    (tk_any_fn)tk_cbor_enc_put_map,
    (tk_any_fn)tk_cbor_enc_array_begin,
    (tk_any_fn)tk_cbor_enc_array_end,
    (tk_any_fn)tk_cbor_enc_map_begin,
    (tk_any_fn)tk_cbor_enc_map_end,
    (tk_any_fn)tk_cbor_enc_indef_array,
    (tk_any_fn)tk_cbor_enc_indef_map,
    (tk_any_fn)tk_cbor_enc_indef_bstr,
    (tk_any_fn)tk_cbor_enc_indef_tstr,
    (tk_any_fn)tk_cbor_enc_indef_end,
    (tk_any_fn)tk_cbor_enc_bstr_wrap_begin,
    (tk_any_fn)tk_cbor_enc_bstr_wrap_end,
    (tk_any_fn)tk_cbor_enc_end,
    (tk_any_fn)tk_cbor_enc_put_tag,
    (tk_any_fn)tk_cbor_enc_put_bool,
    (tk_any_fn)tk_cbor_enc_put_null,
    (tk_any_fn)tk_cbor_enc_put_undefined,
    (tk_any_fn)tk_cbor_enc_put_simple,
    (tk_any_fn)tk_cbor_enc_put_float,
    (tk_any_fn)tk_cbor_enc_put_half,
    (tk_any_fn)tk_cbor_enc_put_single,
    (tk_any_fn)tk_cbor_enc_put_double,
    (tk_any_fn)tk_cbor_enc_put_raw,
    (tk_any_fn)tk_cbor_item_copy_str,
    (tk_any_fn)tk_cbor_dec_init,
    (tk_any_fn)tk_cbor_dec_init_with,
    (tk_any_fn)tk_cbor_dec_set_max_depth,
    (tk_any_fn)tk_cbor_dec_error,
    (tk_any_fn)tk_cbor_dec_error_offset,
    (tk_any_fn)tk_cbor_dec_offset,
    (tk_any_fn)tk_cbor_dec_depth,
    (tk_any_fn)tk_cbor_dec_fail,
    (tk_any_fn)tk_cbor_dec_next,
    (tk_any_fn)tk_cbor_dec_peek,
    (tk_any_fn)tk_cbor_dec_enter_array,
    (tk_any_fn)tk_cbor_dec_enter_map,
    (tk_any_fn)tk_cbor_dec_more,
    (tk_any_fn)tk_cbor_dec_exit,
    (tk_any_fn)tk_cbor_dec_get_uint,
    (tk_any_fn)tk_cbor_dec_get_int,
    (tk_any_fn)tk_cbor_dec_get_bstr,
    (tk_any_fn)tk_cbor_dec_get_tstr,
    (tk_any_fn)tk_cbor_dec_get_bool,
    (tk_any_fn)tk_cbor_dec_get_null,
    (tk_any_fn)tk_cbor_dec_get_float,
    (tk_any_fn)tk_cbor_dec_get_tag,
    (tk_any_fn)tk_cbor_dec_expect_tag,
    (tk_any_fn)tk_cbor_dec_get_label,
    (tk_any_fn)tk_cbor_dec_skip,
    (tk_any_fn)tk_cbor_dec_get_bstr_cbor,
    (tk_any_fn)tk_cbor_dec_map_find,
    (tk_any_fn)tk_cbor_dec_container_raw,
    (tk_any_fn)tk_cbor_dec_finish,
    (tk_any_fn)tk_cbor_validate,
};

/* The entry point of the link: it reads the table through a volatile
 * index, so the linker keeps every function. */
int main(void)
{
    volatile unsigned index = 0;
    return every_function[index] != 0;
}
