/*
 * Declarations shared by the source files of lib/cbor. Not installed.
 */
#ifndef TK_CBOR_INTERNAL_H
#define TK_CBOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "teepkit/cbor.h"

#if TK_CBOR_MAX_DEPTH < 1 || TK_CBOR_MAX_DEPTH > 255
#error "TK_CBOR_MAX_DEPTH must be between 1 and 255"
#endif

/* Marks error paths, so that the compiler keeps them out of the hot
 * decode loop. */
#if defined(__GNUC__)
#define TK_CBOR_COLD __attribute__((cold, noinline))
#define TK_CBOR_NOINLINE __attribute__((noinline))
#define TK_CBOR_LIKELY(x) __builtin_expect(!!(x), 1)
#define TK_CBOR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define TK_CBOR_COLD
#define TK_CBOR_NOINLINE
#define TK_CBOR_LIKELY(x) (x)
#define TK_CBOR_UNLIKELY(x) (x)
#endif

/* Keeps a function out of line in builds for size (-Os), where GCC 12
 * inlines it at a cost in flash, and lets the compiler decide elsewhere. */
#if defined(__GNUC__) && defined(__OPTIMIZE_SIZE__)
#define TK_CBOR_OUTLINE_FOR_SIZE __attribute__((noinline))
#else
#define TK_CBOR_OUTLINE_FOR_SIZE
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

/* Kinds of decoder levels (tk_cbor_dec.kind; level 0 has kind 0). The
 * diagnostic printer uses them for its own levels too, with the INDEF
 * flag, and a WRAP level there is the content of a byte string that it
 * prints as embedded CBOR. */
enum {
    TK_CBOR_LVL_ARRAY = 1,
    TK_CBOR_LVL_MAP = 2,
    TK_CBOR_LVL_TAG = 3,
    TK_CBOR_LVL_WRAP = 4,
    TK_CBOR_LVL_KIND_MASK = 0x0f,
    TK_CBOR_LVL_INDEF = 0x10, /* flag: indefinite length, ends at a break */
};

/*
 * Kinds of encoder levels (tk_cbor_enc_level.kind): the major type of the
 * container in the low bits and how it ends in the style bits.
 */
enum {
    TK_CBOR_ENC_MAJOR_MASK = 0x07,
    TK_CBOR_ENC_COUNTED = 0x00,  /* put_array, put_map, put_tag: closes
                                    by itself after its count of items */
    TK_CBOR_ENC_RESERVED = 0x10, /* array_begin, map_begin,
                                    bstr_wrap_begin: one head byte
                                    reserved, the head written at the end */
    TK_CBOR_ENC_INDEF = 0x20,    /* indefinite length, ends with a break */
    TK_CBOR_ENC_STYLE_MASK = 0x30,
};

/* One decoded head: the initial byte and its argument. */
typedef struct tk_cbor_head {
    uint8_t major;
    uint8_t ai;    /* additional information, 0..31 */
    uint8_t len;   /* encoded size of the head: 1, 2, 3, 5 or 9 */
    uint64_t arg;  /* argument; 0 when ai is 31 */
    size_t size;   /* arg as a length or count: arg itself, or SIZE_MAX
                      when arg does not fit in size_t. Against a size_t
                      below SIZE_MAX, such as the bytes left in an input,
                      it compares as arg does. */
} tk_cbor_head;

/*
 * The head functions below are inlined into each caller in builds for
 * speed and are shared functions (defined in cbor_util.c) in builds for
 * size.
 */
#if defined(__OPTIMIZE_SIZE__)
tk_err tk_cbor_read_head(const uint8_t *p, size_t len, size_t off,
                         tk_cbor_head *h);
size_t tk_cbor_head_size(uint64_t arg);
#define TK_CBOR_HEAD_LINKAGE
#else
#define TK_CBOR_HEAD_LINKAGE TK_CBOR_HOT
#endif

/*
 * Returns the big-endian argument at a of a head with additional
 * information ai (24 to 27: 1, 2, 4 or 8 bytes). Builds for speed switch on
 * ai and builds for size run one shifting loop.
 */
TK_CBOR_HOT uint64_t tk_cbor_load_arg(const uint8_t *a, unsigned ai)
{
#if defined(__OPTIMIZE_SIZE__)
    uint64_t arg = 0;
    for (size_t i = 0; i < (size_t)1 << (ai - TK_CBOR_AI_1BYTE); i++)
        arg = arg << 8 | a[i];
    return arg;
#else
    switch (ai) {
    case TK_CBOR_AI_1BYTE:
        return a[0];
    case TK_CBOR_AI_2BYTES:
        return (uint64_t)a[0] << 8 | a[1];
    case TK_CBOR_AI_4BYTES:
        return (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 |
               (uint64_t)a[2] << 8 | a[3];
    default:
        return (uint64_t)a[0] << 56 | (uint64_t)a[1] << 48 |
               (uint64_t)a[2] << 40 | (uint64_t)a[3] << 32 |
               (uint64_t)a[4] << 24 | (uint64_t)a[5] << 16 |
               (uint64_t)a[6] << 8 | a[7];
    }
#endif
}

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
    uint8_t ai = (uint8_t)(ib & 0x1f);
    h->major = (uint8_t)(ib >> 5);
    h->ai = ai;
    h->len = 1;
    h->arg = ai;
    h->size = ai;
    if (ai < TK_CBOR_AI_1BYTE)
        return TK_OK;
    if (ai > TK_CBOR_AI_8BYTES) {
        if (ai < TK_CBOR_AI_INDEF)
            return TK_ERR_CBOR_RESERVED_AI;
        h->arg = 0;
        h->size = 0;
        /* Bit m of 0x43 is set for the major types 0, 1 and 6, which
         * have no indefinite length. */
        if ((0x43u >> h->major) & 1u)
            return TK_ERR_CBOR_BAD_INDEFINITE;
        return TK_OK;
    }
    size_t n = (size_t)1 << (ai - TK_CBOR_AI_1BYTE);
    if (len - off - 1 < n)
        return TK_ERR_CBOR_TRUNCATED;
    h->len = (uint8_t)(n + 1);
    h->arg = tk_cbor_load_arg(p + off + 1, ai);
    h->size = h->arg <= SIZE_MAX ? (size_t)h->arg : SIZE_MAX;
    /* Simple values below 32 have a one-byte form only. */
    if (ai == TK_CBOR_AI_1BYTE && h->major == TK_CBOR_MT_SIMPLE && h->arg < 32)
        return TK_ERR_CBOR_BAD_SIMPLE;
    return TK_OK;
}

/* Returns the size of the shortest head that carries arg (1 to 9). */
TK_CBOR_HEAD_LINKAGE size_t tk_cbor_head_size(uint64_t arg)
{
    if (arg > 0xffffffffu)
        return 9;
    /* The rest compares 32-bit values, which takes less code on 32-bit
     * devices. */
    uint32_t low = (uint32_t)arg;
    if (low > 0xffff)
        return 5;
    if (low > 0xff)
        return 3;
    return low < 24 ? 1 : 2;
}
#endif /* !__OPTIMIZE_SIZE__ || TK_CBOR_DEFINE_HEAD_FUNCTIONS */

/*
 * Writes the shortest head of major type major with argument arg into out
 * (TK_CBOR_HEAD_MAX bytes). Returns its size.
 */
size_t tk_cbor_encode_head(uint8_t *out, uint8_t major, uint64_t arg);

/* Writes a head of size bytes (1, 2, 3, 5 or 9) with major type major and
 * argument arg into out. arg must fit in the size (below 24 for size 1). */
void tk_cbor_write_head(uint8_t *out, uint8_t major, uint64_t arg, size_t size);

/* One item that tk_cbor_read_one() read. */
typedef struct tk_cbor_event {
    tk_cbor_head head;
    size_t offset;   /* offset of the head */
    size_t content;  /* offset after the head */
    size_t total;    /* content length of a string; items owed by an
                        array, map or tag; head.size otherwise */
} tk_cbor_event;

/* Marks of the items that an indefinite array or map owes, in a decoder's
 * levels and in the event total of tk_cbor_read_one(). A definite count is
 * at most the input size, because each item takes a byte, and
 * tk_cbor_dec_init() keeps that size below these values. The two map
 * marks differ in their two low bits, and a map owes an even number of
 * items before each key, in both forms. */
#define TK_CBOR_OWED_INDEF_ARRAY SIZE_MAX
#define TK_CBOR_OWED_INDEF_MAP_KEY (SIZE_MAX - 1)   /* next item is a key */
#define TK_CBOR_OWED_INDEF_MAP_VALUE (SIZE_MAX - 2) /* next is a value */

/* Counts one complete item in a level's owed items. */
TK_CBOR_HOT void tk_cbor_owed_done(size_t *owed)
{
    size_t n = *owed;
    if (n < TK_CBOR_OWED_INDEF_MAP_VALUE)
        n--;
    else if (n != TK_CBOR_OWED_INDEF_ARRAY)
        n ^= TK_CBOR_OWED_INDEF_MAP_KEY ^ TK_CBOR_OWED_INDEF_MAP_VALUE;
    *owed = n;
}

/*
 * Reads the item at buf[*pos] (input of len bytes): its head and, for a
 * string, its content: the decoder's step over one item. A
 * decoder with check flags passes itself as dec (NULL otherwise), so its
 * head check runs once the head is read and its string checks on each
 * piece of a string. room is the number of levels left below the nesting
 * limit. Sets every field of *ev. For an array, map or tag its
 * total is the number of items it owes, or a TK_CBOR_OWED_INDEF_* mark
 * for an indefinite length. On TK_OK *pos is after the head of an array, map or
 * tag, or after any other item. On an error *pos is the offset that the
 * error belongs to. A break is TK_ERR_CBOR_UNEXPECTED_BREAK here.
 */
#if defined(__OPTIMIZE_SIZE__)
tk_err tk_cbor_read_one(const uint8_t *buf, size_t len, unsigned room,
                        tk_cbor_dec *dec, tk_cbor_event *ev,
                        size_t *pos);
#endif

/*
 * The string reader below is inlined into each caller in builds for speed
 * and is a shared function (defined in cbor_util.c) in builds for size, as
 * the head functions are.
 */
#if defined(__OPTIMIZE_SIZE__)
tk_err tk_cbor_read_string(const uint8_t *buf, size_t len, tk_cbor_head *head,
                           size_t *pos, const tk_cbor_dec *dec);
#endif

/*
 * Finds the end of the well-formed item at buf[off] (input of len bytes)
 * with a decoder of its own, nesting bounded by max_depth (at most
 * TK_CBOR_MAX_DEPTH). Checks well-formedness only. On TK_OK *end is the offset after the item; on an error *end is
 * the offset where the error was found.
 */
tk_err tk_cbor_skip_item(const uint8_t *buf, size_t len, size_t off,
                         unsigned max_depth, size_t *end);

/*
 * Orders two encoded map keys bytewise (RFC 8949 section 4.2.1): returns
 * a negative value, 0 or a positive value as a sorts before, equal to or
 * after b. Two complete items are never a proper prefix of one another, so
 * equal leading bytes mean equal keys. Built with TK_CBOR_WITH_CHECKS or
 * TK_CBOR_WITH_SORT.
 */
int tk_cbor_compare_keys(const uint8_t *a, size_t a_len, const uint8_t *b,
                         size_t b_len);

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

#if TK_CBOR_WITH_CHECKS
/*
 * The optional checks of the decoder, which it calls only when check
 * flags are set. A decoder reaches them through this table, which
 * tk_cbor_dec_init() passes only for flags other than 0, so they are
 * linked only into programs that use check flags.
 */
struct tk_cbor_dec_checks {
    /* Checks a head (preferred size of heads and floats, tag content,
     * definite lengths in deterministic mode). */
    tk_err (*head)(tk_cbor_dec *dec, const tk_cbor_head *head);
    /* Checks the key of map level d that starts at start and just ended
     * against the earlier keys. */
    tk_err (*key)(tk_cbor_dec *dec, unsigned d, size_t start);
    bool (*utf8_valid)(const uint8_t *s, size_t len);
};
#endif

/* Float helpers (cbor_float.c). Bits are IEEE 754 binary16, binary32 and
 * binary64 patterns. Conversions to a wider format are always exact. */

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

/* Returns the item type of a simple value below 256 (major type 7):
 * false, true, null and undefined are 20 to 23, in the order of their item
 * types. */
TK_CBOR_HOT tk_cbor_type tk_cbor_simple_type(uint64_t value)
{
    if (value >= 20 && value <= 23)
        return (tk_cbor_type)(TK_CBOR_FALSE + (int)(value - 20));
    return TK_CBOR_SIMPLE;
}

#if !defined(__OPTIMIZE_SIZE__) || defined(TK_CBOR_DEFINE_HEAD_FUNCTIONS)
/*
 * Reads the content of the string whose head (checked) is head and ends at
 * *pos: a definite string's bytes, or an indefinite string's chunks up to
 * and including the break (RFC 8949 section 3.2.3), whose heads are read
 * into *head. With dec (may be NULL) its preferred and UTF-8 check flags
 * apply to each piece. Returns TK_OK with *pos at the end of the string
 * and the content length in head->size, or the error with *pos at the
 * head it belongs to. The decoder reads strings with it.
 */
TK_CBOR_HEAD_LINKAGE tk_err tk_cbor_read_string(const uint8_t *buf, size_t len,
                                              tk_cbor_head *head, size_t *pos,
                                              const tk_cbor_dec *dec)
{
#if !defined(__OPTIMIZE_SIZE__)
    /* A definite string without check flags is only its bytes: the
     * common case of decoders without flags. Builds for
     * size leave this shortcut out. */
    if (head->ai != TK_CBOR_AI_INDEF && (dec == NULL || dec->flags == 0)) {
        if (head->size > len - *pos) {
            *pos -= head->len;
            return TK_ERR_CBOR_TRUNCATED;
        }
        *pos += head->size;
        return TK_OK;
    }
#endif
    uint8_t major = head->major;
    bool indef = head->ai == TK_CBOR_AI_INDEF;
    size_t p = *pos;
    size_t at = p - head->len; /* head that an error belongs to */
    size_t arg = head->size;   /* length of the current piece */
    size_t chunk_len = 0;      /* head size of the current chunk */
    size_t sum = 0;            /* below len: each piece was checked */
    tk_err err;
    /* Each chunk takes at least its head byte, so the loop ends. */
    for (;;) {
        if (indef) {
            /* The chunk heads reuse *head, which saves a head's stack. */
            at = p;
            err = tk_cbor_read_head(buf, len, p, head);
            if (err != TK_OK)
                goto fail;
            if (head->major == TK_CBOR_MT_SIMPLE &&
                head->ai == TK_CBOR_AI_INDEF) {
                p++;
                break;
            }
            err = TK_ERR_CBOR_BAD_CHUNK;
            if (head->major != major || head->ai == TK_CBOR_AI_INDEF)
                goto fail;
            arg = head->size;
            chunk_len = head->len;
            p += head->len;
        }
        err = TK_ERR_CBOR_TRUNCATED;
        if (arg > len - p)
            goto fail;
#if TK_CBOR_WITH_CHECKS
        if (dec != NULL && dec->flags != 0) {
            /* The decoder's head check covers a definite string's head. */
            err = TK_ERR_CBOR_NOT_PREFERRED;
            if (indef && (dec->flags & TK_CBOR_CHECK_PREFERRED) &&
                tk_cbor_head_size(arg) != chunk_len)
                goto fail;
            err = TK_ERR_CBOR_BAD_UTF8;
            if (major == TK_CBOR_MT_TSTR &&
                (dec->flags & TK_CBOR_CHECK_UTF8) &&
                !dec->checks->utf8_valid(buf + p, arg))
                goto fail;
        }
#else
        (void)chunk_len;
        (void)dec;
#endif
        sum += arg;
        p += arg;
        if (!indef)
            break;
    }
    *pos = p;
    head->size = sum;
    return TK_OK;

fail:
    *pos = at;
    return err;
}

/* tk_cbor_read_one(), declared above: inline in builds for speed, one
 * shared function in builds for size, as the head reader is. */
TK_CBOR_HEAD_LINKAGE tk_err tk_cbor_read_one(const uint8_t *buf, size_t len,
                                            unsigned room, tk_cbor_dec *dec,
                                            tk_cbor_event *ev,
                                            size_t *pos)
{
    tk_cbor_head *head = &ev->head;
    size_t off = *pos;
    tk_err err = tk_cbor_read_head(buf, len, off, head);
#if TK_CBOR_WITH_CHECKS
    if (err == TK_OK && dec != NULL)
        err = dec->checks->head(dec, head);
#endif
    if (err != TK_OK)
        return err;
    size_t at = off + head->len;
    size_t left = len - at;
    uint8_t major = head->major;
    bool indef = head->ai == TK_CBOR_AI_INDEF;
    ev->offset = off;
    ev->content = at;
    ev->total = head->size;
    switch (major) {
    case TK_CBOR_MT_BSTR:
    case TK_CBOR_MT_TSTR:
        /* The string reader leaves the content length in the head and
         * reads an indefinite string's chunk heads into it. The string's
         * own head is then read again, because a second head costs stack. */
        *pos = at;
        err = tk_cbor_read_string(buf, len, head, pos, dec);
        ev->total = head->size;
        if (err == TK_OK && indef)
            (void)tk_cbor_read_head(buf, len, off, head);
        return err;
    case TK_CBOR_MT_ARRAY:
    case TK_CBOR_MT_MAP:
        if (indef) {
            ev->total = major == TK_CBOR_MT_ARRAY ? TK_CBOR_OWED_INDEF_ARRAY
                                                  : TK_CBOR_OWED_INDEF_MAP_KEY;
        } else {
            /* Every item takes at least one byte of what is left. */
            if (head->size > (major == TK_CBOR_MT_MAP ? left / 2 : left))
                return TK_ERR_CBOR_COUNT_TOO_LARGE;
            if (major == TK_CBOR_MT_MAP)
                ev->total = head->size * 2;
        }
        break;
    case TK_CBOR_MT_TAG:
        ev->total = 1;
        break;
    case TK_CBOR_MT_SIMPLE:
        if (indef)
            return TK_ERR_CBOR_UNEXPECTED_BREAK;
        /* fall through */
    default:
        *pos = at;
        return TK_OK;
    }
    if (room == 0)
        return TK_ERR_CBOR_TOO_DEEP;
    *pos = at;
    return TK_OK;
}
#endif /* !__OPTIMIZE_SIZE__ || TK_CBOR_DEFINE_HEAD_FUNCTIONS */

#endif /* TK_CBOR_INTERNAL_H */
