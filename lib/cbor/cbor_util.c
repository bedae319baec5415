/*
 * Helpers shared by the encoder and the decoder: head encoding, walking
 * and skipping an item without a decoder context, comparing items as
 * data, and UTF-8 validation.
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

/* ---- walking ---------------------------------------------------------- */

/* Counts one complete item in a level's owed count. */
static void owed_item_done(size_t *owed)
{
    if (*owed == TK_CBOR_OWED_INDEF_MAP_KEY)
        *owed = TK_CBOR_OWED_INDEF_MAP_VALUE;
    else if (*owed == TK_CBOR_OWED_INDEF_MAP_VALUE)
        *owed = TK_CBOR_OWED_INDEF_MAP_KEY;
    else if (*owed != TK_CBOR_OWED_INDEF_ARRAY)
        (*owed)--;
}

tk_err tk_cbor_walk_init(tk_cbor_walk *w, const uint8_t *buf, size_t len,
                         size_t off, unsigned max_depth)
{
    w->buf = buf;
    w->len = len;
    w->off = off;
    w->depth = 0;
    w->max_depth = max_depth < TK_CBOR_MAX_DEPTH ? max_depth
                                                 : TK_CBOR_MAX_DEPTH;
    w->owed[0] = 1;
    /* Definite counts must stay below the TK_CBOR_OWED_INDEF_* marks. */
    return len < TK_CBOR_OWED_INDEF_MAP_VALUE ? TK_OK : TK_ERR_LIMIT;
}

tk_err tk_cbor_walk_next(tk_cbor_walk *w, tk_cbor_walk_event *ev)
{
    for (;;) {
        size_t *owed = &w->owed[w->depth];
        if (*owed == 0) {
            if (w->depth == 0)
                return TK_ERR_CBOR_END;
            w->depth--;
            owed_item_done(&w->owed[w->depth]);
            continue;
        }
        bool may_end = *owed == TK_CBOR_OWED_INDEF_ARRAY ||
                       *owed == TK_CBOR_OWED_INDEF_MAP_KEY;
        if (may_end && w->off < w->len && w->buf[w->off] == TK_CBOR_BREAK) {
            w->off++;
            *owed = 0;
            continue;
        }
        tk_err err = tk_cbor_read_one(w->buf, w->len, w->max_depth - w->depth,
                                      NULL, ev, &w->off);
        if (err != TK_OK)
            return err;
        ev->depth = w->depth;
        uint8_t major = ev->head.major;
        if (major >= TK_CBOR_MT_ARRAY && major <= TK_CBOR_MT_TAG)
            w->owed[++w->depth] = ev->total;
        else
            owed_item_done(owed);
        return TK_OK;
    }
}

tk_err tk_cbor_skip_item(const uint8_t *buf, size_t len, size_t off,
                         unsigned max_depth, size_t *end)
{
    tk_cbor_walk w;
    tk_cbor_walk_event ev;
    tk_err err = tk_cbor_walk_init(&w, buf, len, off, max_depth);
    while (err == TK_OK)
        err = tk_cbor_walk_next(&w, &ev);
    *end = w.off;
    return err == TK_ERR_CBOR_END ? TK_OK : err;
}

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
    /* Byte by byte takes the least code, and map keys are short. Each
     * round consumes a byte of both strings, and both end together. */
    for (;;) {
        if (ca.left == 0 && !tk_cbor_chunk_next(&ca))
            return true;
        if (cb.left == 0 && !tk_cbor_chunk_next(&cb))
            return false;
        if (*ca.ptr++ != *cb.ptr++)
            return false;
        ca.left--;
        cb.left--;
    }
}

/*
 * Compares two items event by event with two walkers: the same heads at
 * the same depths in the same order, with equal values. The order of
 * heads and depths fixes the tree, so definite and indefinite containers
 * of the same items compare equal. The value of a string is its content
 * length, of a definite or indefinite string alike. The walkers keep no
 * decoder context, so the comparison needs little stack.
 */
static bool items_equal_deep(const uint8_t *a, size_t a_len, const uint8_t *b,
                             size_t b_len)
{
    tk_cbor_walk wa, wb;
    tk_cbor_walk_event ea, eb;
    if (tk_cbor_walk_init(&wa, a, a_len, 0, TK_CBOR_MAX_DEPTH) != TK_OK ||
        tk_cbor_walk_init(&wb, b, b_len, 0, TK_CBOR_MAX_DEPTH) != TK_OK)
        return false;
    for (;;) {
        tk_err ra = tk_cbor_walk_next(&wa, &ea);
        tk_err rb = tk_cbor_walk_next(&wb, &eb);
        if (ra != TK_OK || rb != TK_OK)
            return ra == TK_ERR_CBOR_END && rb == TK_ERR_CBOR_END;
        uint8_t major = ea.head.major;
        if (major != eb.head.major || ea.depth != eb.depth)
            return false;
        if (major == TK_CBOR_MT_ARRAY || major == TK_CBOR_MT_MAP)
            continue; /* the items that follow decide */
        if (major == TK_CBOR_MT_BSTR || major == TK_CBOR_MT_TSTR) {
            tk_cbor_item ia, ib;
            if (ea.total != eb.total)
                return false;
            tk_cbor_item_from_event(&ia, a, &ea, wa.off, 0);
            tk_cbor_item_from_event(&ib, b, &eb, wb.off, 0);
            if (!strings_equal(&ia, &ib))
                return false;
            continue;
        }
        uint64_t va = ea.head.arg;
        uint64_t vb = eb.head.arg;
        if (major == TK_CBOR_MT_SIMPLE) {
            /* A float and a simple value differ, whatever their bits. */
            bool fa = ea.head.ai >= TK_CBOR_AI_2BYTES;
            if (fa != (eb.head.ai >= TK_CBOR_AI_2BYTES))
                return false;
            if (fa) {
                va = tk_cbor_float_bits_to_double(va, ea.head.len - 1u);
                vb = tk_cbor_float_bits_to_double(vb, eb.head.len - 1u);
            }
        }
        if (va != vb)
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
