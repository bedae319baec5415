/*
 * Helpers shared by the encoder and the decoder: head encoding, skipping
 * an item, comparing items as data, and UTF-8 validation.
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

tk_err tk_cbor_skip_item(const uint8_t *buf, size_t len, size_t off,
                         unsigned max_depth, size_t *end)
{
#if !defined(__OPTIMIZE_SIZE__)
    /* An integer or a definite string, which most map keys are, ends
     * after its head and content. Builds for size leave this out, and
     * everything else, errors included, goes to the decoder. */
    tk_cbor_head head;
    if (tk_cbor_read_head(buf, len, off, &head) == TK_OK &&
        head.major <= TK_CBOR_MT_TSTR && head.ai != TK_CBOR_AI_INDEF) {
        size_t content = head.major >= TK_CBOR_MT_BSTR ? head.size : 0;
        if (content <= len - off - head.len) {
            *end = off + head.len + content;
            return TK_OK;
        }
    }
#endif
    tk_cbor_dec dec;
    tk_err err = tk_cbor_dec_init_with(&dec, buf + off, len - off, 0, NULL);
    dec.max_depth = (uint8_t)max_depth;
    if (err == TK_OK)
        err = tk_cbor_dec_skip(&dec, NULL);
    *end = off + (err == TK_OK ? dec.off : dec.err_off);
    return err;
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
 * Compares two items item by item with two decoders: the same types at
 * the same depths in the same order, with equal values. The order of
 * items and depths fixes the tree, so definite and indefinite containers
 * of the same items compare equal. The value of a string is its content
 * length, of a definite or indefinite string alike, and a float's value is
 * compared as binary64.
 */
bool tk_cbor_items_equal(const uint8_t *a, size_t a_len, const uint8_t *b,
                         size_t b_len)
{
#if !defined(__OPTIMIZE_SIZE__)
    /* Fast paths for equal bytes and for one-head integer and definite
     * string keys, which most keys are. Builds for size leave them out,
     * because the decoders below return the same result. */
    if (a_len == b_len && memcmp(a, b, a_len) == 0)
        return true;
    tk_cbor_head ha, hb;
    if (tk_cbor_read_head(a, a_len, 0, &ha) != TK_OK ||
        tk_cbor_read_head(b, b_len, 0, &hb) != TK_OK || ha.major != hb.major)
        return false;
    if (ha.major <= TK_CBOR_MT_NINT)
        return ha.arg == hb.arg;
    if (ha.major <= TK_CBOR_MT_TSTR && ha.ai != TK_CBOR_AI_INDEF &&
        hb.ai != TK_CBOR_AI_INDEF)
        return ha.arg == hb.arg && ha.arg <= a_len - ha.len &&
               hb.arg <= b_len - hb.len &&
               memcmp(a + ha.len, b + hb.len, (size_t)ha.arg) == 0;
#endif
    tk_cbor_dec da, db;
    tk_cbor_item ia, ib;
    tk_cbor_dec_init_with(&da, a, a_len, 0, NULL);
    tk_cbor_dec_init_with(&db, b, b_len, 0, NULL);
    for (;;) {
        tk_err ra = tk_cbor_dec_next(&da, &ia);
        tk_err rb = tk_cbor_dec_next(&db, &ib);
        if (ra != TK_OK || rb != TK_OK)
            return ra == TK_ERR_CBOR_END && rb == TK_ERR_CBOR_END;
        if (ia.type != ib.type || ia.depth != ib.depth)
            return false;
        if (ia.type == TK_CBOR_ARRAY || ia.type == TK_CBOR_MAP)
            continue; /* the items that follow decide */
        uint64_t va = ia.value;
        uint64_t vb = ib.value;
        if (ia.type == TK_CBOR_FLOAT) {
            va = tk_cbor_float_bits_to_double(va, ia.float_width);
            vb = tk_cbor_float_bits_to_double(vb, ib.float_width);
        }
        if (va != vb)
            return false;
        if ((ia.type == TK_CBOR_BSTR || ia.type == TK_CBOR_TSTR) &&
            !strings_equal(&ia, &ib))
            return false;
    }
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
