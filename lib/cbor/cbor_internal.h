/*
 * Declarations shared by the source files of lib/cbor. Not installed.
 */
#ifndef TK_CBOR_INTERNAL_H
#define TK_CBOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/cbor.h"

#if TK_CBOR_MAX_DEPTH < 1 || TK_CBOR_MAX_DEPTH > 255
#error "TK_CBOR_MAX_DEPTH must be between 1 and 255"
#endif

/* Marks error paths, so that the compiler keeps them out of the hot
 * decode loop. */
#if defined(__GNUC__)
#define TK_CBOR_COLD __attribute__((cold, noinline))
#define TK_CBOR_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define TK_CBOR_COLD
#define TK_CBOR_LIKELY(x) (x)
#endif

/* Inlines a small function of the decode loop everywhere, except in builds
 * for size (-Os), where each copy would cost flash. */
#if defined(__GNUC__) && !defined(__OPTIMIZE_SIZE__)
#define TK_CBOR_HOT static inline __attribute__((always_inline))
#else
#define TK_CBOR_HOT static inline
#endif

/* Major types (RFC 8949 section 3.1). */
enum {
    TK_CBOR_MT_UINT = 0,
    TK_CBOR_MT_NINT = 1,
    TK_CBOR_MT_BSTR = 2,
    TK_CBOR_MT_TSTR = 3,
    TK_CBOR_MT_ARRAY = 4,
    TK_CBOR_MT_MAP = 5,
    TK_CBOR_MT_TAG = 6,
    TK_CBOR_MT_SIMPLE = 7,
};

/* Additional information values with a fixed meaning. */
enum {
    TK_CBOR_AI_1BYTE = 24,
    TK_CBOR_AI_2BYTES = 25,
    TK_CBOR_AI_4BYTES = 26,
    TK_CBOR_AI_8BYTES = 27,
    TK_CBOR_AI_INDEF = 31,
};

/* The break stop code: major type 7, additional information 31. */
#define TK_CBOR_BREAK 0xffu

/* Kinds of decoder levels (tk_cbor_dec_level.kind). A WRAP level is the
 * content of a byte string decoded in place by the diagnostic printer. */
enum {
    TK_CBOR_LVL_ARRAY = 1,
    TK_CBOR_LVL_MAP = 2,
    TK_CBOR_LVL_TAG = 3,
    TK_CBOR_LVL_WRAP = 4,
    TK_CBOR_LVL_KIND_MASK = 0x0f,
    TK_CBOR_LVL_INDEF = 0x10, /* flag: indefinite length, ends at a break */
};

/* Kinds of encoder levels (tk_cbor_enc_level.kind). */
enum {
    TK_CBOR_ENC_ARRAY = 1,      /* put_array: count given */
    TK_CBOR_ENC_MAP = 2,        /* put_map: pair count given */
    TK_CBOR_ENC_ARRAY_OPEN = 3, /* array_begin: count written at the end */
    TK_CBOR_ENC_MAP_OPEN = 4,   /* map_begin: count written at the end */
    TK_CBOR_ENC_INDEF_ARRAY = 5,
    TK_CBOR_ENC_INDEF_MAP = 6,
    TK_CBOR_ENC_INDEF_BSTR = 7,
    TK_CBOR_ENC_INDEF_TSTR = 8,
    TK_CBOR_ENC_WRAP = 9,       /* bstr_wrap_begin */
    TK_CBOR_ENC_TAG = 10,       /* put_tag: one item of content owed */
};

/* One decoded head: the initial byte and its argument. */
typedef struct tk_cbor_head {
    uint8_t major;
    uint8_t ai;    /* additional information, 0..31 */
    uint8_t len;   /* encoded size of the head: 1, 2, 3, 5 or 9 */
    uint64_t arg;  /* argument; 0 when ai is 31 */
} tk_cbor_head;

/*
 * tk_cbor_read_head() is inlined into each caller in builds for speed and
 * is one shared function (defined in cbor_util.c) in builds for size.
 */
#if defined(__OPTIMIZE_SIZE__)
tk_err tk_cbor_read_head(const uint8_t *p, size_t len, size_t off,
                         tk_cbor_head *h);
size_t tk_cbor_head_size(uint64_t arg);
#define TK_CBOR_HEAD_LINKAGE
#else
#define TK_CBOR_HEAD_LINKAGE TK_CBOR_HOT
#endif

#if !defined(__OPTIMIZE_SIZE__) || defined(TK_CBOR_DEFINE_HEAD_FUNCTIONS)
/*
 * Reads the head at p[off] of an input of len bytes. Checks everything
 * that the head alone decides: truncation, reserved additional information
 * (28-30), an indefinite length on major type 0, 1 or 6, and a two-byte
 * simple value below 32. A break (0xff) is returned as a head like any
 * other (major 7, ai 31). Returns TK_OK or the error, which belongs at off.
 */
TK_CBOR_HEAD_LINKAGE tk_err tk_cbor_read_head(const uint8_t *p, size_t len,
                                             size_t off, tk_cbor_head *h)
{
    if (off >= len)
        return TK_ERR_CBOR_TRUNCATED;
    uint8_t ib = p[off];
    h->major = (uint8_t)(ib >> 5);
    h->ai = (uint8_t)(ib & 0x1f);
    if (h->ai < TK_CBOR_AI_1BYTE) {
        h->arg = h->ai;
        h->len = 1;
        return TK_OK;
    }
    if (h->ai <= TK_CBOR_AI_8BYTES) {
        size_t n = (size_t)1 << (h->ai - TK_CBOR_AI_1BYTE);
        if (len - off - 1 < n)
            return TK_ERR_CBOR_TRUNCATED;
        const uint8_t *a = p + off + 1;
        h->len = (uint8_t)(n + 1);
        switch (h->ai) {
        case TK_CBOR_AI_1BYTE:
            h->arg = a[0];
            /* Simple values below 32 have a one-byte form only. */
            if (h->major == TK_CBOR_MT_SIMPLE && a[0] < 32)
                return TK_ERR_CBOR_BAD_SIMPLE;
            return TK_OK;
        case TK_CBOR_AI_2BYTES:
            h->arg = (uint64_t)a[0] << 8 | a[1];
            return TK_OK;
        case TK_CBOR_AI_4BYTES:
            h->arg = (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 |
                     (uint64_t)a[2] << 8 | a[3];
            return TK_OK;
        default:
            h->arg = (uint64_t)a[0] << 56 | (uint64_t)a[1] << 48 |
                     (uint64_t)a[2] << 40 | (uint64_t)a[3] << 32 |
                     (uint64_t)a[4] << 24 | (uint64_t)a[5] << 16 |
                     (uint64_t)a[6] << 8 | a[7];
            return TK_OK;
        }
    }
    if (h->ai < TK_CBOR_AI_INDEF)
        return TK_ERR_CBOR_RESERVED_AI;
    if (h->major == TK_CBOR_MT_UINT || h->major == TK_CBOR_MT_NINT ||
        h->major == TK_CBOR_MT_TAG)
        return TK_ERR_CBOR_BAD_INDEFINITE;
    h->arg = 0;
    h->len = 1;
    return TK_OK;
}

/* Returns the size of the shortest head that carries arg (1 to 9). */
TK_CBOR_HEAD_LINKAGE size_t tk_cbor_head_size(uint64_t arg)
{
    if (arg < 24)
        return 1;
    if (arg <= 0xff)
        return 2;
    if (arg <= 0xffff)
        return 3;
    if (arg <= 0xffffffffu)
        return 5;
    return 9;
}
#endif /* !__OPTIMIZE_SIZE__ || TK_CBOR_DEFINE_HEAD_FUNCTIONS */

/*
 * Writes the shortest head of major type major with argument arg into out
 * (TK_CBOR_HEAD_MAX bytes). Returns its size.
 */
size_t tk_cbor_encode_head(uint8_t *out, uint8_t major, uint64_t arg);

/*
 * Finds the end of the well-formed item at buf[off] (input of len bytes)
 * without recursion, with nesting bounded by max_depth. Checks
 * well-formedness only. On TK_OK *end is the offset after the item; on an
 * error *end is the offset where the error was found.
 */
tk_err tk_cbor_skip_item(const uint8_t *buf, size_t len, size_t off,
                         unsigned max_depth, size_t *end);

/*
 * Compares two complete, well-formed items a and b as data items (RFC 8949
 * section 2): integers and lengths regardless of head width, strings by
 * content regardless of chunking, floats by value regardless of width.
 * Returns true when they are the same value. Built only with
 * TK_CBOR_WITH_CHECKS, for the duplicate-key check.
 */
bool tk_cbor_items_equal(const uint8_t *a, size_t a_len, const uint8_t *b,
                         size_t b_len);

/* Cursor over the content chunks of a string item: a definite string is
 * one chunk, an indefinite one a series of chunk heads and contents that
 * the decoder has checked. */
typedef struct tk_cbor_chunks {
    const tk_cbor_item *item;
    size_t pos;         /* offset in item->str of the next chunk head */
    const uint8_t *ptr; /* rest of the current chunk */
    size_t left;        /* bytes at ptr */
} tk_cbor_chunks;

/* Moves the cursor to the next non-empty chunk (ptr, left). Returns false
 * at the end. Start with {item, 0, NULL, 0}. */
bool tk_cbor_chunk_next(tk_cbor_chunks *c);

/* Returns true when s[0..len) is valid UTF-8 (RFC 3629). */
bool tk_cbor_utf8_valid(const uint8_t *s, size_t len);

/* Float helpers (cbor_float.c). Bits are IEEE 754 binary16, binary32 and
 * binary64 patterns. Conversions to a wider format are always exact. */
uint64_t tk_cbor_half_to_double_bits(uint16_t half);
uint64_t tk_cbor_single_to_double_bits(uint32_t single);

/*
 * Narrows binary64 bits d to the format with exp_bits exponent bits and
 * man_bits mantissa bits (5/10 for half, 8/23 for single). Returns true and
 * the bits in *out when the value (a NaN with its sign and payload) is
 * represented exactly, false otherwise.
 */
bool tk_cbor_double_narrow(uint64_t d, unsigned exp_bits, unsigned man_bits,
                           uint64_t *out);

/* Returns the binary64 bits of a float item's raw bits of width 2, 4, 8. */
uint64_t tk_cbor_float_bits_to_double(uint64_t raw, unsigned width);

/*
 * Decoder entry points for the diagnostic printer: enters the definite
 * byte string that is the next item as a WRAP level whose items are its
 * content. The string counts as one item of its container when the WRAP
 * level ends. Fails with TK_ERR_CBOR_TYPE when the next item is not a
 * definite byte string.
 */
tk_err tk_cbor_dec_enter_wrap(tk_cbor_dec *dec);

#endif /* TK_CBOR_INTERNAL_H */
