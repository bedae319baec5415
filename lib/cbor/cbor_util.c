/*
 * Helpers shared by the encoder and the decoder: head encoding, skipping
 * an item without a decoder context, comparing items as data, and UTF-8
 * validation.
 */
#include <string.h>

/* This file contains the shared copy of the head functions in builds for
 * size. */
#define TK_CBOR_DEFINE_HEAD_FUNCTIONS
#include "cbor_internal.h"

size_t tk_cbor_encode_head(uint8_t *out, uint8_t major, uint64_t arg)
{
    size_t size = tk_cbor_head_size(arg);
    tk_cbor_write_head(out, major, arg, size);
    return size;
}

void tk_cbor_write_head(uint8_t *out, uint8_t major, uint64_t arg, size_t size)
{
    /* Additional information of the head sizes 2, 3, 5 and 9. */
    static const uint8_t ai_of_size[10] = {0, 0, 24, 25, 0, 26, 0, 0, 0, 27};
    uint8_t ai = size == 1 ? (uint8_t)arg : ai_of_size[size];
    out[0] = (uint8_t)(major << 5 | ai);
    for (size_t i = size - 1; i >= 1; i--) {
        out[i] = (uint8_t)arg;
        arg >>= 8;
    }
}

/* ---- skipping --------------------------------------------------------- */

#if !TK_CBOR_FAST_PATH
/*
 * Builds for size skip with the decoder itself, which checks the same
 * things and reports the same errors at the same offsets as the walker
 * below, for the cost of a decoder context on the stack.
 */
tk_err tk_cbor_skip_item(const uint8_t *buf, size_t len, size_t off,
                         unsigned max_depth, size_t *end)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_init(&dec, buf, len, 0);
    dec.off = off;
    dec.max_depth =
        (uint8_t)(max_depth < TK_CBOR_MAX_DEPTH ? max_depth
                                                : TK_CBOR_MAX_DEPTH);
    while (err == TK_OK)
        err = tk_cbor_dec_next(&dec, &item);
    if (err == TK_ERR_CBOR_END) {
        *end = dec.off;
        return TK_OK;
    }
    *end = dec.err_off;
    return err;
}
#else
/* Items owed by one level of tk_cbor_skip_item(). Definite counts never
 * reach these values because a count is checked against the input size. */
#define OWED_INDEF_ARRAY UINT64_MAX
#define OWED_INDEF_MAP_KEY (UINT64_MAX - 1)   /* next item is a key */
#define OWED_INDEF_MAP_VALUE (UINT64_MAX - 2) /* next item is a value */

/* Counts one complete item in a level's owed count. */
static void owed_item_done(uint64_t *owed)
{
    if (*owed == OWED_INDEF_MAP_KEY)
        *owed = OWED_INDEF_MAP_VALUE;
    else if (*owed == OWED_INDEF_MAP_VALUE)
        *owed = OWED_INDEF_MAP_KEY;
    else if (*owed != OWED_INDEF_ARRAY)
        (*owed)--;
}

/* Skips the chunks of an indefinite string of type major from *pos up to
 * and including the break. */
static tk_err skip_chunks(const uint8_t *buf, size_t len, size_t *pos,
                          uint8_t major)
{
    for (;;) {
        tk_cbor_head chunk;
        tk_err err = tk_cbor_read_head(buf, len, *pos, &chunk);
        if (err != TK_OK)
            return err;
        if (chunk.major == TK_CBOR_MT_SIMPLE && chunk.ai == TK_CBOR_AI_INDEF) {
            *pos += 1;
            return TK_OK;
        }
        if (chunk.major != major || chunk.ai == TK_CBOR_AI_INDEF)
            return TK_ERR_CBOR_BAD_CHUNK;
        if (chunk.arg > len - *pos - chunk.len)
            return TK_ERR_CBOR_TRUNCATED;
        *pos += chunk.len + (size_t)chunk.arg;
    }
}

tk_err tk_cbor_skip_item(const uint8_t *buf, size_t len, size_t off,
                         unsigned max_depth, size_t *end)
{
    uint64_t owed[TK_CBOR_MAX_DEPTH + 1];
    unsigned depth = 0;
    tk_err err = TK_OK;

    if (max_depth > TK_CBOR_MAX_DEPTH)
        max_depth = TK_CBOR_MAX_DEPTH;
    owed[0] = 1;
    for (;;) {
        if (owed[depth] == 0) {
            if (depth == 0)
                break;
            depth--;
            owed_item_done(&owed[depth]);
            continue;
        }
        tk_cbor_head head;
        err = tk_cbor_read_head(buf, len, off, &head);
        if (err != TK_OK)
            break;
        if (head.major == TK_CBOR_MT_SIMPLE && head.ai == TK_CBOR_AI_INDEF) {
            if (owed[depth] != OWED_INDEF_ARRAY &&
                owed[depth] != OWED_INDEF_MAP_KEY) {
                err = TK_ERR_CBOR_UNEXPECTED_BREAK;
                break;
            }
            off++;
            owed[depth] = 0;
            continue;
        }
        size_t pos = off + head.len;
        size_t room = len - pos;
        uint64_t count = 0;
        switch (head.major) {
        case TK_CBOR_MT_BSTR:
        case TK_CBOR_MT_TSTR:
            if (head.ai == TK_CBOR_AI_INDEF) {
                err = skip_chunks(buf, len, &pos, head.major);
                if (err != TK_OK)
                    off = pos;
            } else if (head.arg > room) {
                err = TK_ERR_CBOR_TRUNCATED;
            } else {
                pos += (size_t)head.arg;
            }
            if (err != TK_OK)
                goto out;
            off = pos;
            owed_item_done(&owed[depth]);
            continue;
        case TK_CBOR_MT_ARRAY:
            if (head.ai == TK_CBOR_AI_INDEF)
                count = OWED_INDEF_ARRAY;
            else if (head.arg > room)
                err = TK_ERR_CBOR_COUNT_TOO_LARGE;
            else
                count = head.arg;
            break;
        case TK_CBOR_MT_MAP:
            if (head.ai == TK_CBOR_AI_INDEF)
                count = OWED_INDEF_MAP_KEY;
            else if (head.arg > room / 2)
                err = TK_ERR_CBOR_COUNT_TOO_LARGE;
            else
                count = head.arg * 2;
            break;
        case TK_CBOR_MT_TAG:
            count = 1;
            break;
        default:
            off = pos;
            owed_item_done(&owed[depth]);
            continue;
        }
        if (err == TK_OK && depth >= max_depth)
            err = TK_ERR_CBOR_TOO_DEEP;
        if (err != TK_OK)
            break;
        owed[++depth] = count;
        off = pos;
    }
out:
    *end = off;
    return err;
}

#endif /* !TK_CBOR_FAST_PATH */

/* ---- comparing -------------------------------------------------------- */

#if TK_CBOR_WITH_CHECKS || TK_CBOR_WITH_SORT
int tk_cbor_compare_keys(const uint8_t *a, size_t a_len, const uint8_t *b,
                         size_t b_len)
{
    int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
    if (c != 0)
        return c;
    return (a_len > b_len) - (a_len < b_len);
}
#endif

bool tk_cbor_chunk_next(tk_cbor_chunks *c)
{
    const tk_view *s = &c->item->str;
    if (!(c->item->flags & TK_CBOR_ITEM_INDEFINITE)) {
        if (c->pos > 0 || s->len == 0)
            return false;
        c->pos = 1;
        c->ptr = s->ptr;
        c->left = s->len;
        return true;
    }
    while (c->pos < s->len) {
        tk_cbor_head head;
        if (tk_cbor_read_head(s->ptr, s->len, c->pos, &head) != TK_OK ||
            head.size > s->len - c->pos - head.len)
            return false;
        c->ptr = s->ptr + c->pos + head.len;
        c->left = head.size;
        c->pos += head.len + head.size;
        if (c->left > 0)
            return true;
    }
    return false;
}

#if TK_CBOR_WITH_CHECKS
/* Compares the contents of two string items of the same length,
 * whatever their chunking. */
static bool strings_equal(const tk_cbor_item *a, const tk_cbor_item *b)
{
    tk_cbor_chunks ca = {a, 0, NULL, 0}, cb = {b, 0, NULL, 0};
    /* Each round consumes at least one byte of both strings, and both
     * end together. */
    for (;;) {
        if (ca.left == 0 && !tk_cbor_chunk_next(&ca))
            return true;
        if (cb.left == 0 && !tk_cbor_chunk_next(&cb))
            return false;
        size_t n = ca.left < cb.left ? ca.left : cb.left;
        if (memcmp(ca.ptr, cb.ptr, n) != 0)
            return false;
        ca.ptr += n;
        ca.left -= n;
        cb.ptr += n;
        cb.left -= n;
    }
}

/*
 * Compares two items event by event with two decoders: the same types at
 * the same depths in the same order, with equal values. The order of
 * types and depths fixes the tree, so definite and indefinite containers
 * of the same items compare equal. The value of a string is its content
 * length, of a definite or indefinite string alike.
 */
static bool items_equal_deep(const uint8_t *a, size_t a_len, const uint8_t *b,
                             size_t b_len)
{
    tk_cbor_dec da, db;
    tk_cbor_item ia, ib;
    tk_cbor_dec_init(&da, a, a_len, 0);
    tk_cbor_dec_init(&db, b, b_len, 0);
    for (;;) {
        tk_err ea = tk_cbor_dec_next(&da, &ia);
        tk_err eb = tk_cbor_dec_next(&db, &ib);
        if (ea != TK_OK || eb != TK_OK)
            return ea == TK_ERR_CBOR_END && eb == TK_ERR_CBOR_END;
        if (ia.type != ib.type || ia.depth != ib.depth)
            return false;
        if (ia.type == TK_CBOR_FLOAT) {
            ia.value = tk_cbor_float_bits_to_double(ia.value, ia.float_width);
            ib.value = tk_cbor_float_bits_to_double(ib.value, ib.float_width);
        } else if (ia.type == TK_CBOR_ARRAY || ia.type == TK_CBOR_MAP) {
            continue; /* the items that follow decide */
        }
        if (ia.value != ib.value)
            return false;
        if ((ia.type == TK_CBOR_BSTR || ia.type == TK_CBOR_TSTR) &&
            !strings_equal(&ia, &ib))
            return false;
    }
}

bool tk_cbor_items_equal(const uint8_t *a, size_t a_len, const uint8_t *b,
                         size_t b_len)
{
#if !defined(__OPTIMIZE_SIZE__)
    /* Fast paths for equal bytes and for one-head items, which most keys
     * are. Builds for size leave them out, because the decoders below
     * return the same result. */
    if (a_len == b_len && memcmp(a, b, a_len) == 0)
        return true;
    tk_cbor_head ha, hb;
    if (tk_cbor_read_head(a, a_len, 0, &ha) != TK_OK ||
        tk_cbor_read_head(b, b_len, 0, &hb) != TK_OK || ha.major != hb.major)
        return false;
    switch (ha.major) {
    case TK_CBOR_MT_UINT:
    case TK_CBOR_MT_NINT:
        return ha.arg == hb.arg;
    case TK_CBOR_MT_BSTR:
    case TK_CBOR_MT_TSTR:
        if (ha.ai != TK_CBOR_AI_INDEF && hb.ai != TK_CBOR_AI_INDEF)
            return ha.arg == hb.arg && ha.arg <= a_len - ha.len &&
                   hb.arg <= b_len - hb.len &&
                   memcmp(a + ha.len, b + hb.len, (size_t)ha.arg) == 0;
        break;
    case TK_CBOR_MT_SIMPLE: {
        bool fa = ha.ai >= TK_CBOR_AI_2BYTES;
        bool fb = hb.ai >= TK_CBOR_AI_2BYTES;
        if (fa != fb)
            return false;
        if (!fa)
            return ha.arg == hb.arg;
        return tk_cbor_float_bits_to_double(ha.arg, ha.len - 1u) ==
               tk_cbor_float_bits_to_double(hb.arg, hb.len - 1u);
    }
    default:
        break;
    }
#endif
    return items_equal_deep(a, a_len, b, b_len);
}
#endif /* TK_CBOR_WITH_CHECKS */

/* ---- UTF-8 ------------------------------------------------------------ */

bool tk_cbor_utf8_valid(const uint8_t *s, size_t len)
{
    const uint8_t *end = s + len;
    while (s < end) {
        unsigned c = *s++;
        if (c < 0x80)
            continue;
        /* 80..C1 are continuation bytes or overlong two-byte forms, F5..FF
         * start values above U+10FFFF. */
        if (c - 0xc2u > 0xf4u - 0xc2u)
            return false;
        unsigned need = 1u + (c >= 0xe0) + (c >= 0xf0);
        /* Range of the second byte: E0 and F0 would be overlong below
         * U+0800 and U+10000, ED a surrogate U+D800..U+DFFF, F4 above
         * U+10FFFF. */
        unsigned lo = c == 0xe0 ? 0xa0u : c == 0xf0 ? 0x90u : 0x80u;
        unsigned hi = c == 0xed ? 0x9fu : c == 0xf4 ? 0x8fu : 0xbfu;
        if ((size_t)(end - s) < need)
            return false;
        do {
            unsigned b = *s++;
            if (b - lo > hi - lo) /* b outside lo..hi */
                return false;
            lo = 0x80;
            hi = 0xbf;
        } while (--need > 0);
    }
    return true;
}
