/*
 * CBOR (RFC 8949): an encoder into a caller buffer, a pull decoder over a
 * caller buffer, and a printer of diagnostic notation.
 *
 * Nothing here allocates, keeps global state or recurses. Every context is
 * a plain struct owned by the caller, and the decoder returns views
 * (tk_view) into its input, so the input must outlive every view.
 *
 * Both the encoder and the decoder keep the first error in their context.
 * After an error every later call returns the same error and does nothing,
 * so a caller can chain many calls and check once, at finish() or at the
 * next decision.
 *
 * Typical decoding of a structure such as a COSE header map or a TEEP
 * message, an array holding an integer and a map with integer labels:
 *
 *     tk_cbor_dec dec;
 *     uint64_t type;
 *     int64_t label;
 *     tk_cbor_dec_init(&dec, buf, len, TK_CBOR_CHECK_DUP_KEYS);
 *     tk_cbor_dec_enter_array(&dec, NULL);
 *     tk_cbor_dec_get_uint(&dec, &type);
 *     tk_cbor_dec_enter_map(&dec, NULL);
 *     while (tk_cbor_dec_more(&dec)) {
 *         tk_cbor_dec_get_label(&dec, &label);
 *         ... read or tk_cbor_dec_skip() the value ...
 *     }
 *     tk_cbor_dec_exit(&dec);
 *     tk_cbor_dec_exit(&dec);
 *     if (tk_cbor_dec_finish(&dec) != TK_OK) ... reject the message ...
 */
#ifndef TEEPKIT_CBOR_H
#define TEEPKIT_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"
#include "teepkit/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest size of an item head: the initial byte and an 8-byte argument. */
#define TK_CBOR_HEAD_MAX 9

/* Item count reported for an indefinite-length array or map. */
#define TK_CBOR_INDEFINITE UINT64_MAX

/* ====================================================================== */
/* Encoder                                                                */
/* ====================================================================== */

/*
 * Encoder flag: deterministic encoding (RFC 8949 section 4.2.1). Heads and
 * floats always use preferred serialization. This flag also sorts the
 * entries of every map bytewise by the encoding of their keys, in place
 * when the map closes. It rejects two equal keys in one map with
 * TK_ERR_CBOR_DUP_KEY and indefinite lengths with TK_ERR_CBOR_INDEFINITE.
 * Sorting needs the map's bytes, so a map that does not fit in the buffer
 * is neither sorted nor checked for duplicates; the size is still right.
 */
#define TK_CBOR_ENC_DETERMINISTIC 0x01u

/* One open container of the encoder. Private: use the functions. */
typedef struct tk_cbor_enc_level {
    size_t start;     /* offset of the head, or of the reserved head byte */
    size_t pending;   /* items still owed to a definite container */
    size_t count;     /* items written so far */
    uint8_t kind;     /* container kind (cbor_internal.h) */
} tk_cbor_enc_level;

/*
 * Encoder context. Private: use the functions. Once len exceeds cap the
 * encoder stops writing but keeps counting, so tk_cbor_enc_finish()
 * reports the buffer size the whole encoding needs.
 */
typedef struct tk_cbor_enc {
    uint8_t *buf;
    size_t cap;
    size_t len;
    tk_err err;
    uint32_t flags;
    unsigned depth;
    tk_cbor_enc_level level[TK_CBOR_MAX_DEPTH];
} tk_cbor_enc;

/*
 * Starts an encoding into buf (capacity cap bytes, owned by the caller).
 * buf may be NULL with cap 0 to only measure the size. flags is 0 or
 * TK_CBOR_ENC_DETERMINISTIC. Returns TK_OK, TK_ERR_INVALID_ARG (enc NULL,
 * buf NULL with cap > 0, unknown flag) or TK_ERR_UNSUPPORTED (the flag was
 * compiled out with TK_CBOR_WITH_SORT=0); an error is also kept in enc.
 */
tk_err tk_cbor_enc_init(tk_cbor_enc *enc, uint8_t *buf, size_t cap,
                        uint32_t flags);

/*
 * Ends the encoding. On TK_OK, *len (may be NULL) is the number of bytes
 * written to buf. On TK_ERR_BUFFER_TOO_SMALL, *len is the capacity that
 * the whole encoding needs. Any other error is the first error of the
 * encoding, and *len is 0. Open containers give TK_ERR_CBOR_NOT_CLOSED;
 * an empty encoding gives TK_ERR_CBOR_NO_ITEMS.
 */
tk_err tk_cbor_enc_finish(tk_cbor_enc *enc, size_t *len);

/* Returns the first error of the encoder, or TK_OK. */
tk_err tk_cbor_enc_error(const tk_cbor_enc *enc);

/* Each put function below writes one data item (or the head that opens
 * one) and returns the encoder's first error, TK_OK when there is none.
 * Running out of buffer space is not reported here but by finish(). */

/* Writes an unsigned integer (major type 0). */
tk_err tk_cbor_enc_put_uint(tk_cbor_enc *enc, uint64_t value);

/* Writes a signed integer: major type 0 when value >= 0, else 1. */
tk_err tk_cbor_enc_put_int(tk_cbor_enc *enc, int64_t value);

/* Writes the negative integer -1 - n (major type 1 with argument n), which
 * reaches down to -2^64. */
tk_err tk_cbor_enc_put_nint(tk_cbor_enc *enc, uint64_t n);

/* Writes a byte string of len bytes (data may be NULL when len is 0). */
tk_err tk_cbor_enc_put_bstr(tk_cbor_enc *enc, const uint8_t *data,
                            size_t len);

/* Writes a text string of len bytes. The encoder does not check that text
 * is valid UTF-8 (text may be NULL when len is 0). */
tk_err tk_cbor_enc_put_tstr(tk_cbor_enc *enc, const char *text, size_t len);

/* Writes a NUL-terminated string as a text string, without the NUL. */
tk_err tk_cbor_enc_put_text(tk_cbor_enc *enc, const char *text);

/* Opens a definite-length array of count items. The array closes by itself
 * after its count-th item. A count of items above SIZE_MAX, which no
 * output could hold, gives TK_ERR_LIMIT (as does put_map() for 2 * pairs). */
tk_err tk_cbor_enc_put_array(tk_cbor_enc *enc, uint64_t count);

/* Opens a definite-length map of pairs key/value pairs (2 * pairs items),
 * which closes by itself after its last value and, in deterministic mode,
 * is then sorted. */
tk_err tk_cbor_enc_put_map(tk_cbor_enc *enc, uint64_t pairs);

/*
 * Opens a definite-length array or map whose count is not known yet. The
 * encoder reserves one head byte and, at array_end()/map_end(), writes the
 * head with the real count, moving the content when the head needs more
 * bytes. The map is sorted at map_end() in deterministic mode. An odd
 * number of items in the map gives TK_ERR_CBOR_ODD_MAP.
 */
tk_err tk_cbor_enc_array_begin(tk_cbor_enc *enc);
tk_err tk_cbor_enc_array_end(tk_cbor_enc *enc);
tk_err tk_cbor_enc_map_begin(tk_cbor_enc *enc);
tk_err tk_cbor_enc_map_end(tk_cbor_enc *enc);

/*
 * Opens an indefinite-length array, map, byte string or text string, closed
 * by tk_cbor_enc_indef_end(), which writes the break. Only definite-length
 * strings of the same type may go into an indefinite string (otherwise
 * TK_ERR_CBOR_BAD_CHUNK). Deterministic mode rejects all four with
 * TK_ERR_CBOR_INDEFINITE.
 */
tk_err tk_cbor_enc_indef_array(tk_cbor_enc *enc);
tk_err tk_cbor_enc_indef_map(tk_cbor_enc *enc);
tk_err tk_cbor_enc_indef_bstr(tk_cbor_enc *enc);
tk_err tk_cbor_enc_indef_tstr(tk_cbor_enc *enc);
tk_err tk_cbor_enc_indef_end(tk_cbor_enc *enc);

/*
 * Opens a byte string whose content is the encoding of the items written
 * until tk_cbor_enc_bstr_wrap_end() (COSE protected headers, SUIT
 * manifests). The items are encoded in place after a reserved head byte,
 * and wrap_end() moves them when the bstr head needs more bytes, so no
 * second buffer is needed. Zero items give an empty byte string.
 */
tk_err tk_cbor_enc_bstr_wrap_begin(tk_cbor_enc *enc);
tk_err tk_cbor_enc_bstr_wrap_end(tk_cbor_enc *enc);

/*
 * Closes the innermost container whatever kind it is: the same as the
 * matching *_end() call. Useful for generic code such as converters.
 */
tk_err tk_cbor_enc_end(tk_cbor_enc *enc);

/* Writes a tag head; the next item written is the tag content. */
tk_err tk_cbor_enc_put_tag(tk_cbor_enc *enc, uint64_t tag);

/* Writes false/true, null, or undefined. */
tk_err tk_cbor_enc_put_bool(tk_cbor_enc *enc, bool value);
tk_err tk_cbor_enc_put_null(tk_cbor_enc *enc);
tk_err tk_cbor_enc_put_undefined(tk_cbor_enc *enc);

/* Writes simple value 0..19 or 32..255 (20..23 are false, true, null and
 * undefined and are accepted too). 24..31 give TK_ERR_INVALID_ARG. */
tk_err tk_cbor_enc_put_simple(tk_cbor_enc *enc, uint8_t value);

/*
 * Writes a floating-point value in the shortest of half, single and double
 * precision that represents it exactly (preferred serialization, RFC 8949
 * section 4.2.1). Every NaN is written as f9 7e00, and infinities as half
 * precision. TK_ERR_UNSUPPORTED when built with TK_CBOR_WITH_FLOAT=0.
 */
tk_err tk_cbor_enc_put_float(tk_cbor_enc *enc, double value);

/*
 * Write value as half (f9), single (fa) or double (fb) precision. A value
 * that the width cannot represent exactly gives TK_ERR_CBOR_FLOAT_INEXACT
 * (put_double is always exact). A NaN keeps its sign and as much of its
 * payload as fits only when no payload bit is lost, else it is inexact too.
 */
tk_err tk_cbor_enc_put_half(tk_cbor_enc *enc, double value);
tk_err tk_cbor_enc_put_single(tk_cbor_enc *enc, double value);
tk_err tk_cbor_enc_put_double(tk_cbor_enc *enc, double value);

/*
 * Copies one pre-encoded data item (for example a signed structure being
 * forwarded). The bytes must be exactly one well-formed item, and in
 * deterministic mode a deterministic one (checked with the decoder), else
 * the decoder's error is kept.
 */
tk_err tk_cbor_enc_put_raw(tk_cbor_enc *enc, const uint8_t *item, size_t len);

/* ====================================================================== */
/* Decoder                                                                */
/* ====================================================================== */

/*
 * Decoder flags: validity checks beyond well-formedness (RFC 8949 section
 * 5.3), off by default, in any combination. Well-formedness (section 3 and
 * Appendix F) is always checked.
 */
/* Reject a map holding two keys with the same value, compared as data
 * items: 1 encoded as 01 and as 1801 are the same key. */
#define TK_CBOR_CHECK_DUP_KEYS 0x01u
/* Reject text strings (and text chunks) that are not valid UTF-8: overlong
 * forms, surrogates, values above U+10FFFF, truncated sequences. */
#define TK_CBOR_CHECK_UTF8 0x02u
/* Reject heads and floats not in preferred serialization (section 4.1):
 * an argument in a longer form than needed, a float that a shorter width
 * represents exactly. Indefinite lengths pass this check. */
#define TK_CBOR_CHECK_PREFERRED 0x04u
/* Reject what is not deterministically encoded (section 4.2.1): the
 * preferred checks, indefinite lengths, and map keys not in strictly
 * increasing bytewise order (so duplicates too). */
#define TK_CBOR_CHECK_DETERMINISTIC 0x08u
/* Reject the content of standard tags that has the wrong type: 0, 32-34
 * and 36 need a text string, 1 an integer or float, 2, 3, 24 and 64-87 a
 * byte string (RFC 8949 section 3.4, RFC 8746). */
#define TK_CBOR_CHECK_TAG_CONTENT 0x10u

/* Kind of a decoded data item. */
typedef enum tk_cbor_type {
    TK_CBOR_UINT = 0,  /* major type 0; value is the integer */
    TK_CBOR_NINT,      /* major type 1; the integer is -1 - value */
    TK_CBOR_BSTR,      /* byte string; str is the content */
    TK_CBOR_TSTR,      /* text string; str is the content */
    TK_CBOR_ARRAY,     /* array; value is the item count */
    TK_CBOR_MAP,       /* map; value is the pair count */
    TK_CBOR_TAG,       /* tag head; value is the tag number; the content
                          follows as the next item, one level deeper */
    TK_CBOR_SIMPLE,    /* simple value other than the four below */
    TK_CBOR_FALSE,
    TK_CBOR_TRUE,
    TK_CBOR_NULL,
    TK_CBOR_UNDEFINED,
    TK_CBOR_FLOAT,     /* f is the value, float_width the encoded width */
} tk_cbor_type;

/* tk_cbor_item.flags: the item has an indefinite length. */
#define TK_CBOR_ITEM_INDEFINITE 0x01u

/*
 * One decoded data item.
 *
 * For an indefinite-length string, str covers the encoded chunks (heads
 * and contents, without the opening head and the break) and value is the
 * total content length: use tk_cbor_item_copy_str() to join the chunks.
 * For an indefinite-length array or map, value is TK_CBOR_INDEFINITE.
 */
typedef struct tk_cbor_item {
    tk_cbor_type type;
    uint8_t depth;       /* number of containers and tags around the item */
    uint8_t flags;       /* TK_CBOR_ITEM_* */
    uint8_t float_width; /* 2, 4 or 8 bytes for TK_CBOR_FLOAT, else 0 */
    size_t offset;       /* offset of the item's head in the input */
    uint64_t value;      /* argument: see tk_cbor_type; for a simple value
                            its number; for a float its raw IEEE 754 bits */
    double f;            /* float value (0 when TK_CBOR_WITH_FLOAT=0) */
    tk_view str;         /* string content */
} tk_cbor_item;

/*
 * Joins the content of a string item (definite or indefinite) into out
 * (capacity cap). *len (required) receives the content length, also on
 * TK_ERR_BUFFER_TOO_SMALL. Returns TK_ERR_CBOR_TYPE for a non-string item.
 */
tk_err tk_cbor_item_copy_str(const tk_cbor_item *item, uint8_t *out,
                             size_t cap, size_t *len);

/* The functions behind the check flags. Private. */
struct tk_cbor_dec_checks;

/*
 * Decoder context. Private: use the functions. Level 0 stands for the
 * input, which owes one item; level d > 0 is the d-th open array, map or
 * tag. Each level keeps the items it still owes (two per map pair, or a
 * mark for an indefinite length), the offset of its head and its kind.
 */
typedef struct tk_cbor_dec {
    const uint8_t *buf;
    size_t len;        /* input size */
    size_t off;        /* offset of the next head */
    size_t err_off;
    tk_err err;
    uint32_t flags;
    const struct tk_cbor_dec_checks *checks; /* NULL when flags is 0 */
    uint8_t depth;     /* open levels */
    uint8_t max_depth;
    uint8_t kind[TK_CBOR_MAX_DEPTH + 1];
    size_t owed[TK_CBOR_MAX_DEPTH + 1];
    size_t head[TK_CBOR_MAX_DEPTH + 1];
} tk_cbor_dec;

/*
 * Starts decoding as tk_cbor_dec_init() does, with checks the functions
 * of the check flags: tk_cbor_dec_checks_all, or NULL when flags is 0.
 * Returns TK_ERR_INVALID_ARG for flags without checks.
 */
tk_err tk_cbor_dec_init_with(tk_cbor_dec *dec, const uint8_t *ptr,
                             size_t len, uint32_t flags,
                             const struct tk_cbor_dec_checks *checks);

#if TK_CBOR_WITH_CHECKS
/* The functions of the check flags (cbor_decode.c). */
extern const struct tk_cbor_dec_checks tk_cbor_dec_checks_all;
#endif

/*
 * Starts decoding the single data item in ptr[0..len). The caller keeps
 * ptr valid while the decoder and its views are used. flags is a
 * combination of TK_CBOR_CHECK_*. Returns TK_OK, TK_ERR_INVALID_ARG (dec
 * NULL, ptr NULL with len > 0, unknown flag) or TK_ERR_UNSUPPORTED (check
 * flags compiled out); an error is also kept in dec.
 *
 * Inline, so that a call whose flags are 0 at compile time does not refer
 * to the checks: a program whose decoders all run without check flags,
 * such as a SUIT processor, links none of them.
 */
static inline tk_err tk_cbor_dec_init(tk_cbor_dec *dec, const uint8_t *ptr,
                                      size_t len, uint32_t flags)
{
#if TK_CBOR_WITH_CHECKS
    return tk_cbor_dec_init_with(dec, ptr, len, flags,
                                 flags != 0 ? &tk_cbor_dec_checks_all : NULL);
#else
    return tk_cbor_dec_init_with(dec, ptr, len, flags, NULL);
#endif
}

/* Lowers the nesting limit of this decoder to max_depth (1 to
 * TK_CBOR_MAX_DEPTH, else TK_ERR_INVALID_ARG). Call before decoding. */
tk_err tk_cbor_dec_set_max_depth(tk_cbor_dec *dec, unsigned max_depth);

/* Returns the first error of the decoder, or TK_OK. */
tk_err tk_cbor_dec_error(const tk_cbor_dec *dec);

/* Returns the byte offset of the first error (0 when there is none). */
size_t tk_cbor_dec_error_offset(const tk_cbor_dec *dec);

/* Returns the offset of the next item head to be read. */
size_t tk_cbor_dec_offset(const tk_cbor_dec *dec);

/* Returns the number of containers and tags the decoder is inside. */
unsigned tk_cbor_dec_depth(const tk_cbor_dec *dec);

/*
 * Records err at the current offset as the decoder's error, unless an
 * error is already kept. For the formats built on CBOR, to report a
 * semantic error ("unknown COSE algorithm") through the same context.
 * Returns the error that is kept.
 */
tk_err tk_cbor_dec_fail(tk_cbor_dec *dec, tk_err err);

/*
 * Reads the next item in document order into *item. Arrays, maps and tags
 * are entered: the next call returns their first item, one level deeper.
 * Breaks and the ends of containers are consumed without being returned,
 * so the item after a container comes at a lower depth. An indefinite
 * string is returned as one item.
 *
 * Returns TK_OK, TK_ERR_CBOR_END (not kept as an error) when the top-level
 * item has been read completely, or an error, which is kept.
 */
tk_err tk_cbor_dec_next(tk_cbor_dec *dec, tk_cbor_item *item);

/* Reads the item that tk_cbor_dec_next() would return, without consuming
 * it. Errors found on the way are kept as by next(). */
tk_err tk_cbor_dec_peek(tk_cbor_dec *dec, tk_cbor_item *item);

/*
 * Typed helpers. Each reads the next item of the current container (it
 * never leaves the container) and checks its type. A wrong type gives
 * TK_ERR_CBOR_TYPE, no item left in the container TK_ERR_CBOR_NO_MORE; both
 * are kept with the item's offset. Out pointers may be NULL.
 */

/* Enters an array. *count is its item count or TK_CBOR_INDEFINITE. */
tk_err tk_cbor_dec_enter_array(tk_cbor_dec *dec, uint64_t *count);

/* Enters a map. *pairs is its pair count or TK_CBOR_INDEFINITE. */
tk_err tk_cbor_dec_enter_map(tk_cbor_dec *dec, uint64_t *pairs);

/* Returns true when items remain in the current container (or, at the top
 * level, when the top-level item has not been read). False on error. */
bool tk_cbor_dec_more(tk_cbor_dec *dec);

/*
 * Skips the items that remain in the current array or map, consumes its
 * end (the break of an indefinite one) and leaves it. Tags around it close
 * with it. TK_ERR_STATE (kept) when the decoder is not inside a container.
 */
tk_err tk_cbor_dec_exit(tk_cbor_dec *dec);

/* Reads an unsigned integer. */
tk_err tk_cbor_dec_get_uint(tk_cbor_dec *dec, uint64_t *value);

/* Reads an integer of either sign. One outside int64_t gives
 * TK_ERR_CBOR_INT_RANGE. */
tk_err tk_cbor_dec_get_int(tk_cbor_dec *dec, int64_t *value);

/*
 * Read a byte or text string as a view into the input. An indefinite-
 * length string gives TK_ERR_CBOR_CHUNKED, because its content is not
 * contiguous: read it with next() and tk_cbor_item_copy_str().
 */
tk_err tk_cbor_dec_get_bstr(tk_cbor_dec *dec, tk_view *value);
tk_err tk_cbor_dec_get_tstr(tk_cbor_dec *dec, tk_view *value);

/* Reads true or false. */
tk_err tk_cbor_dec_get_bool(tk_cbor_dec *dec, bool *value);

/* Reads null. */
tk_err tk_cbor_dec_get_null(tk_cbor_dec *dec);

/* Reads a float of any width as a double (TK_ERR_UNSUPPORTED when built
 * with TK_CBOR_WITH_FLOAT=0). */
tk_err tk_cbor_dec_get_float(tk_cbor_dec *dec, double *value);

/*
 * Reads a tag head only: the tag content is the next item, read with the
 * typed helpers as if it stood in the tag's place.
 */
tk_err tk_cbor_dec_get_tag(tk_cbor_dec *dec, uint64_t *tag);

/* Reads a tag head that must carry tag number tag; another tag gives
 * TK_ERR_CBOR_WRONG_TAG, another type TK_ERR_CBOR_TYPE. */
tk_err tk_cbor_dec_expect_tag(tk_cbor_dec *dec, uint64_t tag);

/*
 * Reads a map key that must be an integer within int64_t (the labels of
 * COSE, SUIT, TEEP and EAT maps). Any other key gives
 * TK_ERR_CBOR_BAD_MAP_LABEL. Call it only in key position of an entered map,
 * else TK_ERR_STATE.
 */
tk_err tk_cbor_dec_get_label(tk_cbor_dec *dec, int64_t *label);

/*
 * Consumes one whole item of any depth, checking it like next() does, and
 * sets *raw (may be NULL) to its exact encoded bytes: COSE and SUIT hash
 * and sign raw items.
 */
tk_err tk_cbor_dec_skip(tk_cbor_dec *dec, tk_view *raw);

/*
 * Reads a byte string that contains encoded CBOR (a bstr-wrapped item) and
 * starts *inner over its content with flags and this decoder's depth
 * limit. inner is a separate context: finish it to check the content.
 */
tk_err tk_cbor_dec_get_bstr_cbor(tk_cbor_dec *dec, tk_cbor_dec *inner,
                                 uint32_t flags);

/*
 * Inside an entered map: moves to the value of the entry whose key is the
 * integer label, searching from the first entry of the map. On TK_OK the
 * next read returns the value. On TK_ERR_NOT_FOUND (not kept as an error)
 * the decoder is back at the first entry of the map. A key that is not an
 * integer gives TK_ERR_CBOR_BAD_MAP_LABEL (kept), like every error met on the
 * way, so a search never loops and never resumes after an error.
 */
tk_err tk_cbor_dec_map_find(tk_cbor_dec *dec, int64_t label);

/*
 * Sets *raw to the encoded bytes of the innermost open array or map, from
 * its head to its end, checking that the rest of the container is
 * well-formed.
 * TK_ERR_STATE when no container is open.
 */
tk_err tk_cbor_dec_container_raw(tk_cbor_dec *dec, tk_view *raw);

/*
 * Ends decoding. Checks that no error is kept, that the top-level item was
 * read to its end (else TK_ERR_CBOR_NOT_CLOSED) and that no bytes follow
 * it (TK_ERR_CBOR_TRAILING). Containers whose items have all been read are
 * closed here, as a last next() would close them. An empty input gives
 * TK_ERR_CBOR_TRUNCATED. Returns the decoder's first error or TK_OK.
 */
tk_err tk_cbor_dec_finish(tk_cbor_dec *dec);

/*
 * Checks that ptr[0..len) is exactly one well-formed data item that passes
 * the checks in flags. Returns TK_OK or the error, and its offset in
 * *err_off (may be NULL).
 */
tk_err tk_cbor_validate(const uint8_t *ptr, size_t len, uint32_t flags,
                        size_t *err_off);

/* ====================================================================== */
/* Diagnostic notation (lib/cbor/cbor_diag.c, left out of device builds)  */
/* ====================================================================== */

/* Diagnostic flags; the TK_CBOR_CHECK_* flags may be added too. */
/* Put each array element and map entry on its own line, indented by two
 * spaces per level. */
#define TK_CBOR_DIAG_PRETTY 0x0100u
/* Show a byte string that contains exactly one well-formed array, map or
 * tag (a bstr-wrapped structure, as in COSE and SUIT) as << item >> instead
 * of h'...'. Byte strings that contain a scalar stay hex, because short
 * binary values are often well-formed scalars by chance. */
#define TK_CBOR_DIAG_EMBEDDED 0x0200u

/*
 * Names an integer map key for a comment in the diagnostic output. path
 * contains the integer keys of the enclosing map entries, outermost first.
 * Arrays, tags and embedded byte strings do not add to it, and below a key
 * that is not an integer the callback is not called. Returns a
 * name, printed as `key / name /`, or NULL for none. The name must not
 * contain "/" and must stay valid until tk_cbor_diag() returns.
 */
typedef const char *(*tk_cbor_label_name_fn)(void *ctx, const int64_t *path,
                                             size_t path_len, int64_t key);

/*
 * Writes the diagnostic notation (RFC 8949 section 8, with the forms of
 * Appendix A for floats, simple values and indefinite lengths) of the
 * single item in in[0..len) to out as a NUL-terminated string.
 *
 * *needed (required) receives the string length without the NUL; when
 * that does not fit in cap the result is TK_ERR_BUFFER_TOO_SMALL, and out
 * contains a truncated, still NUL-terminated prefix (if cap > 0). A
 * malformed input gives the decoder's error, with its offset in
 * *err_off (may be NULL). names (may be NULL) is called for every integer
 * map key, with ctx.
 */
tk_err tk_cbor_diag(const uint8_t *in, size_t len, char *out, size_t cap,
                    size_t *needed, uint32_t flags,
                    tk_cbor_label_name_fn names, void *ctx,
                    size_t *err_off);

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_CBOR_H */
