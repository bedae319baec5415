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
    uint8_t ib = (uint8_t)(major << 5);
    size_t size = tk_cbor_head_size(arg);
    if (size == 1) {
        out[0] = (uint8_t)(ib | arg);
        return 1;
    }
    /* Argument bytes: 1, 2, 4 or 8 for additional information 24..27. */
    static const uint8_t ai_of_size[10] = {0, 0, 24, 25, 0, 26, 0, 0, 0, 27};
    out[0] = (uint8_t)(ib | ai_of_size[size]);
    for (size_t i = size - 1; i >= 1; i--) {
        out[i] = (uint8_t)arg;
        arg >>= 8;
    }
    return size;
}

/* ---- skipping --------------------------------------------------------- */

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

/* ---- comparing -------------------------------------------------------- */

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
            head.arg > s->len - c->pos - head.len)
            return false;
        c->ptr = s->ptr + c->pos + head.len;
        c->left = (size_t)head.arg;
        c->pos += head.len + (size_t)head.arg;
        if (c->left > 0)
            return true;
    }
    return false;
}

#if TK_CBOR_WITH_CHECKS
/* Compares the contents of two string items, whatever their chunking. */
static bool strings_equal(const tk_cbor_item *a, const tk_cbor_item *b)
{
    uint64_t a_len = (a->flags & TK_CBOR_ITEM_INDEFINITE) ? a->value
                                                           : a->str.len;
    uint64_t b_len = (b->flags & TK_CBOR_ITEM_INDEFINITE) ? b->value
                                                           : b->str.len;
    if (a_len != b_len)
        return false;
    tk_cbor_chunks ca = {a, 0, NULL, 0}, cb = {b, 0, NULL, 0};
    /* Each round consumes at least one byte of both strings. */
    for (;;) {
        if (ca.left == 0 && !tk_cbor_chunk_next(&ca))
            return cb.left == 0 && !tk_cbor_chunk_next(&cb);
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
 * of the same items compare equal.
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
        switch (ia.type) {
        case TK_CBOR_BSTR:
        case TK_CBOR_TSTR:
            if (!strings_equal(&ia, &ib))
                return false;
            break;
        case TK_CBOR_FLOAT:
            if (tk_cbor_float_bits_to_double(ia.value, ia.float_width) !=
                tk_cbor_float_bits_to_double(ib.value, ib.float_width))
                return false;
            break;
        case TK_CBOR_ARRAY:
        case TK_CBOR_MAP:
            break;
        default:
            if (ia.value != ib.value)
                return false;
            break;
        }
    }
}

bool tk_cbor_items_equal(const uint8_t *a, size_t a_len, const uint8_t *b,
                         size_t b_len)
{
    if (a_len == b_len && memcmp(a, b, a_len) == 0)
        return true;
#if !defined(__OPTIMIZE_SIZE__)
    tk_cbor_head ha, hb;
    if (tk_cbor_read_head(a, a_len, 0, &ha) != TK_OK ||
        tk_cbor_read_head(b, b_len, 0, &hb) != TK_OK || ha.major != hb.major)
        return false;
    /* Fast path for one-head items, which most keys are. Builds for size
     * leave it out, because the decoders below return the same result. */
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
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c < 0xc2) {
            return false; /* continuation byte, or overlong C0/C1 */
        } else if (c < 0xe0) {
            need = 1;
        } else if (c < 0xf0) {
            need = 2;
            if (c == 0xe0)
                lo = 0xa0; /* overlong below U+0800 */
            else if (c == 0xed)
                hi = 0x9f; /* surrogates U+D800..U+DFFF */
        } else if (c < 0xf5) {
            need = 3;
            if (c == 0xf0)
                lo = 0x90; /* overlong below U+10000 */
            else if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return false;
        }
        if (len - i - 1 < need)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        }
        i += need + 1;
    }
    return true;
}
