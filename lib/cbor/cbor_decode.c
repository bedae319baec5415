/*
 * Pull decoder: reads one item at a time over a caller buffer, with an
 * explicit stack of open levels (arrays, maps, tags) instead of recursion.
 *
 * Each level keeps only what the decoder cannot read back from the input:
 * the items it still owes, the offset of its head and its kind. Level 0
 * stands for the input itself, which owes one item. A level is pushed when
 * an array, map or tag head is read. Tag levels close as soon as their
 * content is complete. Array and map levels close when
 * tk_cbor_dec_next() moves past their end or tk_cbor_dec_exit() is
 * called, so the typed helpers can report "no more items" instead of
 * leaving the container by accident. Closing a level completes one item of
 * its parent, which is where map keys are checked.
 */
#include <string.h>

#include "cbor_internal.h"

#define CHECK_FLAGS                                                         \
    (TK_CBOR_CHECK_DUP_KEYS | TK_CBOR_CHECK_UTF8 | TK_CBOR_CHECK_PREFERRED | \
     TK_CBOR_CHECK_DETERMINISTIC | TK_CBOR_CHECK_TAG_CONTENT)

/* Result of level_state(). */
enum { LEVEL_MORE = 0, LEVEL_DONE = 1, LEVEL_ERROR = -1 };

/* Keeps err at offset off unless an error is kept already. Returns the
 * kept error. */
TK_CBOR_COLD static tk_err fail_at(tk_cbor_dec *dec, tk_err err, size_t off)
{
    if (dec->err == TK_OK) {
        dec->err = err;
        dec->err_off = off;
    }
    return dec->err;
}

tk_err tk_cbor_dec_init_with(tk_cbor_dec *dec, const uint8_t *ptr,
                             size_t len, uint32_t flags,
                             const struct tk_cbor_dec_checks *checks)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    dec->buf = ptr;
    dec->len = len;
    dec->off = 0;
    dec->err = TK_OK;
    dec->err_off = 0;
    dec->flags = flags;
    dec->checks = checks;
    dec->depth = 0;
    dec->max_depth = TK_CBOR_MAX_DEPTH;
    dec->kind[0] = 0;
    dec->owed[0] = 1;
    dec->head[0] = 0;
    /* Without checks built in, check flags are unsupported rather than
     * missing their table. An input of TK_CBOR_OWED_INDEF_MAP_VALUE bytes
     * or more, which no address space holds, would let a definite count
     * reach the marks of indefinite lengths. */
    if ((ptr == NULL && len > 0) || (flags & ~CHECK_FLAGS) != 0 ||
        len >= TK_CBOR_OWED_INDEF_MAP_VALUE ||
        (TK_CBOR_WITH_CHECKS && flags != 0 && checks == NULL)) {
        dec->len = 0;
        dec->flags = 0; /* no check may run without its table */
        return fail_at(dec, TK_ERR_INVALID_ARG, 0);
    }
#if !TK_CBOR_WITH_CHECKS
    if (flags != 0)
        return fail_at(dec, TK_ERR_UNSUPPORTED, 0);
#endif
    if (flags & TK_CBOR_CHECK_DETERMINISTIC)
        dec->flags |= TK_CBOR_CHECK_PREFERRED;
    return TK_OK;
}

tk_err tk_cbor_dec_set_max_depth(tk_cbor_dec *dec, unsigned max_depth)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (max_depth < 1 || max_depth > TK_CBOR_MAX_DEPTH || dec->depth > 0)
        return fail_at(dec, TK_ERR_INVALID_ARG, dec->off);
    dec->max_depth = (uint8_t)max_depth;
    return dec->err;
}

tk_err tk_cbor_dec_error(const tk_cbor_dec *dec)
{
    return dec == NULL ? TK_ERR_INVALID_ARG : dec->err;
}

size_t tk_cbor_dec_error_offset(const tk_cbor_dec *dec)
{
    return dec == NULL ? 0 : dec->err_off;
}

size_t tk_cbor_dec_offset(const tk_cbor_dec *dec)
{
    return dec == NULL ? 0 : dec->off;
}

unsigned tk_cbor_dec_depth(const tk_cbor_dec *dec)
{
    return dec == NULL ? 0 : dec->depth;
}

tk_err tk_cbor_dec_fail(tk_cbor_dec *dec, tk_err err)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (err == TK_OK)
        return dec->err;
    return fail_at(dec, err, dec->off);
}

/* ---- optional checks -------------------------------------------------- */

#if TK_CBOR_WITH_CHECKS
/*
 * Checks the map key of level d that starts at start and just ended at
 * dec->off against the earlier keys of its map, which it walks from the
 * map's first entry: in deterministic mode the key must sort after the
 * previous key (strict order rules out duplicates), otherwise it must
 * equal none of them. Both take time in the square of the entry count.
 */
static tk_err check_key(tk_cbor_dec *dec, unsigned d, size_t start)
{
    const uint8_t *buf = dec->buf;
    const uint8_t *key = buf + start;
    size_t key_len = dec->off - start;
    bool deterministic = (dec->flags & TK_CBOR_CHECK_DETERMINISTIC) != 0;
    int order = -1; /* sign of comparing the previous key with this one */
    tk_cbor_head head;
    tk_err err = tk_cbor_read_head(buf, dec->len, dec->head[d], &head);
    size_t p = dec->head[d] + head.len;
    /* The entries were checked when read, so a failure to skip one is
     * internal. Each round moves p past one entry. */
    while (err == TK_OK && p < start) {
        size_t key_end;
        if (tk_cbor_skip_item(buf, dec->len, p, TK_CBOR_MAX_DEPTH,
                              &key_end) != TK_OK) {
            err = TK_ERR_INTERNAL;
            break;
        }
        if (deterministic)
            order = tk_cbor_compare_keys(buf + p, key_end - p, key, key_len);
        else if (tk_cbor_items_equal(buf + p, key_end - p, key, key_len))
            order = 0;
        if (order == 0 && !deterministic)
            break;
        if (tk_cbor_skip_item(buf, dec->len, key_end, TK_CBOR_MAX_DEPTH,
                              &p) != TK_OK)
            err = TK_ERR_INTERNAL;
    }
    if (err == TK_OK && order >= 0)
        err = order == 0 ? TK_ERR_CBOR_DUP_KEY : TK_ERR_CBOR_UNSORTED;
    return err == TK_OK ? TK_OK : fail_at(dec, err, start);
}

/* Content that a standard tag requires (tag_content_valid()): a byte or
 * text string has the value of its major type. */
enum {
    NEED_ANY = 0,
    NEED_NUMBER = 1,
    NEED_BYTES = TK_CBOR_MT_BSTR,
    NEED_TEXT = TK_CBOR_MT_TSTR,
};

/*
 * The NEED_* value of tags 0 to 47, two bits per tag and 16 tags per word
 * (RFC 8949 section 3.4). Tags 0 (date/time string), 32 (URI), 33
 * (base64url), 34 (base64) and 36 (MIME message) need text. Tag 1
 * (epoch-based date/time) needs an integer or float. Tags 2 and 3
 * (bignums) and 24 (encoded CBOR data item) need a byte string.
 */
static const uint32_t tag_needs[3] = {
    NEED_TEXT | NEED_NUMBER << 2 | NEED_BYTES << 4 | NEED_BYTES << 6,
    (uint32_t)NEED_BYTES << 16,
    NEED_TEXT | NEED_TEXT << 2 | NEED_TEXT << 4 | NEED_TEXT << 8,
};

/* Checks the type of the content of a standard tag (RFC 8949 section 3.4,
 * and RFC 8746 for the typed arrays 64..87, which need a byte string). */
static bool tag_content_valid(uint64_t tag, uint8_t major, uint8_t ai)
{
    unsigned need = NEED_ANY;
    if (tag < 48)
        need = (tag_needs[tag / 16] >> (tag % 16 * 2)) & 3u;
    else if (tag >= 64 && tag <= 87)
        need = NEED_BYTES;
    if (need == NEED_ANY)
        return true;
    if (need == NEED_NUMBER)
        return major <= TK_CBOR_MT_NINT ||
               (major == TK_CBOR_MT_SIMPLE && ai >= TK_CBOR_AI_2BYTES &&
                ai <= TK_CBOR_AI_8BYTES);
    return major == need;
}

/* Returns true when a float of width bytes with raw bits has a shorter
 * exact form, which preferred serialization would have used. */
static bool float_has_shorter_form(uint64_t raw, unsigned width)
{
    uint64_t d = tk_cbor_float_bits_to_double(raw, width);
    uint64_t narrow;
    if (width == 8 && tk_cbor_double_narrow(d, 8, 23, &narrow))
        return true;
    return width >= 4 && tk_cbor_double_narrow(d, 5, 10, &narrow);
}

/* Runs the optional checks that a head alone decides, with the tag around
 * it for the content check. Returns the error, which belongs at the
 * head. */
static tk_err check_head(tk_cbor_dec *dec, const tk_cbor_head *head)
{
    unsigned d = dec->depth;
    if ((dec->flags & TK_CBOR_CHECK_PREFERRED) &&
        head->ai >= TK_CBOR_AI_1BYTE && head->ai <= TK_CBOR_AI_8BYTES &&
        head->major != TK_CBOR_MT_SIMPLE &&
        tk_cbor_head_size(head->arg) != head->len)
        return TK_ERR_CBOR_NOT_PREFERRED;
    if ((dec->flags & TK_CBOR_CHECK_TAG_CONTENT) &&
        dec->kind[d] == TK_CBOR_LVL_TAG) {
        /* The level keeps only the tag's offset: read its number again. */
        tk_cbor_head tag;
        if (tk_cbor_read_head(dec->buf, dec->len, dec->head[d], &tag) !=
                TK_OK ||
            !tag_content_valid(tag.arg, head->major, head->ai))
            return TK_ERR_CBOR_BAD_TAG_CONTENT;
    }
    /* Deterministic encoding has no indefinite strings, arrays or maps. A
     * break is not one of them: the reader rejects it as unexpected. */
    if ((dec->flags & TK_CBOR_CHECK_DETERMINISTIC) &&
        head->ai == TK_CBOR_AI_INDEF && head->major >= TK_CBOR_MT_BSTR &&
        head->major <= TK_CBOR_MT_MAP)
        return TK_ERR_CBOR_INDEFINITE;
    if ((dec->flags & TK_CBOR_CHECK_PREFERRED) &&
        head->major == TK_CBOR_MT_SIMPLE && head->ai >= TK_CBOR_AI_2BYTES &&
        head->ai <= TK_CBOR_AI_8BYTES &&
        float_has_shorter_form(head->arg, head->len - 1u))
        return TK_ERR_CBOR_NOT_PREFERRED;
    return TK_OK;
}

const struct tk_cbor_dec_checks tk_cbor_dec_checks_all = {
    check_head,
    check_key,
    tk_cbor_utf8_valid,
};
#endif /* TK_CBOR_WITH_CHECKS */

/* ---- levels ----------------------------------------------------------- */

/*
 * Counts one complete item, which started at start and ends at dec->off,
 * in the innermost level. A tag level is then complete as well, so it
 * closes and its tag counts as an item of its own parent. A completed map
 * key is checked here.
 */
static tk_err item_done(tk_cbor_dec *dec, size_t start)
{
    for (;;) {
        unsigned d = dec->depth;
        size_t *owed = &dec->owed[d];
#if TK_CBOR_WITH_CHECKS
        /* A map owes an even number of items before each key. */
        if ((dec->flags &
             (TK_CBOR_CHECK_DUP_KEYS | TK_CBOR_CHECK_DETERMINISTIC)) &&
            dec->kind[d] == TK_CBOR_LVL_MAP && (*owed & 1u) == 0) {
            tk_err err = dec->checks->key(dec, d, start);
            if (err != TK_OK)
                return err;
        }
#endif
        tk_cbor_owed_done(owed);
        if (dec->kind[d] != TK_CBOR_LVL_TAG)
            return TK_OK;
        start = dec->head[d];
        dec->depth--;
    }
}

/* Tells whether the innermost level has items left. An indefinite level
 * needs one more byte to tell, else it is truncated. */
TK_CBOR_HOT int level_state(tk_cbor_dec *dec)
{
    size_t owed = dec->owed[dec->depth];
    if (owed >= TK_CBOR_OWED_INDEF_MAP_VALUE) {
        if (dec->off >= dec->len) {
            fail_at(dec, TK_ERR_CBOR_TRUNCATED, dec->off);
            return LEVEL_ERROR;
        }
        return dec->buf[dec->off] == TK_CBOR_BREAK ? LEVEL_DONE : LEVEL_MORE;
    }
    return owed == 0 ? LEVEL_DONE : LEVEL_MORE;
}

/* Closes the innermost level (depth > 0), which level_state() found done:
 * consumes the break of an indefinite level and counts the container as
 * an item of its parent. */
static tk_err close_level(tk_cbor_dec *dec)
{
    unsigned d = dec->depth;
    if (dec->owed[d] != 0) {
        /* An indefinite map may end only where a key would start. */
        if (dec->owed[d] == TK_CBOR_OWED_INDEF_MAP_VALUE)
            return fail_at(dec, TK_ERR_CBOR_UNEXPECTED_BREAK, dec->off);
        dec->off++;
    }
    dec->depth--;
    return item_done(dec, dec->head[d]);
}

/*
 * Closes every level whose items have all been read. Returns TK_OK when an
 * item follows, TK_ERR_CBOR_END (not kept) when the top-level item is
 * complete, or the kept error.
 */
static tk_err close_done_levels(tk_cbor_dec *dec)
{
    for (;;) {
        int state = level_state(dec);
        if (state == LEVEL_MORE)
            return TK_OK;
        if (state == LEVEL_ERROR)
            return dec->err;
        if (dec->depth == 0)
            return TK_ERR_CBOR_END;
        tk_err err = close_level(dec);
        if (err != TK_OK)
            return err;
    }
}

/* ---- items ------------------------------------------------------------ */

/* Opens level depth + 1 of kind for the container or tag whose head is at
 * head, owing owed items: the one push of the general reader and the fast
 * path, which have checked the nesting limit. */
TK_CBOR_HOT void push_level(tk_cbor_dec *dec, uint8_t kind, size_t head,
                            size_t owed)
{
    unsigned d = ++dec->depth;
    dec->kind[d] = kind;
    dec->owed[d] = owed;
    dec->head[d] = head;
}

/*
 * Sets every field of item from the event ev that read_item() read, at
 * depth, for an item that ends at end: its type, value, flags, float, and
 * a string's content.
 */
static void item_from_event(tk_cbor_item *item, const uint8_t *buf,
                            const tk_cbor_event *ev, size_t end,
                            unsigned depth)
{
    const tk_cbor_head *head = &ev->head;
    bool indef = head->ai == TK_CBOR_AI_INDEF;
    uint64_t arg = head->arg;
    /* The item types of major types 0 to 6 have the same values. */
    tk_cbor_type type = (tk_cbor_type)head->major;
    item->offset = ev->offset;
    item->depth = (uint8_t)depth;
    item->flags = indef ? TK_CBOR_ITEM_INDEFINITE : 0;
    item->float_width = 0;
    item->value = arg;
    item->f = 0;
    item->str.ptr = NULL;
    item->str.len = 0;
    if (type == TK_CBOR_BSTR || type == TK_CBOR_TSTR) {
        item->value = ev->total;
        item->str.ptr = buf + ev->content;
        /* An indefinite string's chunks end before its break. */
        item->str.len = end - ev->content - (indef ? 1u : 0u);
    } else if (indef) {
        item->value = TK_CBOR_INDEFINITE; /* an array or a map */
    } else if (head->major == TK_CBOR_MT_SIMPLE) {
        type = tk_cbor_simple_type(arg);
        if (head->ai >= TK_CBOR_AI_2BYTES) {
            unsigned width = (unsigned)head->len - 1u;
            type = TK_CBOR_FLOAT;
            item->float_width = (uint8_t)width;
#if TK_CBOR_WITH_FLOAT
            uint64_t bits = tk_cbor_float_bits_to_double(arg, width);
            memcpy(&item->f, &bits, sizeof(item->f));
#endif
        }
    }
    item->type = type;
}

/*
 * Reads the item whose head is at dec->off: the general reader, which
 * handles every item and every check flag. Scalars and strings are
 * complete on return; arrays, maps and tags push a level.
 */
static tk_err read_item(tk_cbor_dec *dec, tk_cbor_item *item)
{
    /* The head's offset comes from ev after the step, so this frame does
     * not keep it during it. */
    size_t end = dec->off;
    tk_cbor_event ev;
    tk_err err = tk_cbor_read_one(dec->buf, dec->len,
                                  (unsigned)dec->max_depth - dec->depth,
                                  dec->flags != 0 ? dec : NULL, &ev, &end);
    if (err != TK_OK)
        return fail_at(dec, err, end);
    dec->off = end;
    item_from_event(item, dec->buf, &ev, end, dec->depth);
    uint8_t major = ev.head.major;
    if (major < TK_CBOR_MT_ARRAY || major > TK_CBOR_MT_TAG)
        return item_done(dec, ev.offset);
    _Static_assert(TK_CBOR_LVL_ARRAY == TK_CBOR_MT_ARRAY - 3 &&
                       TK_CBOR_LVL_MAP == TK_CBOR_MT_MAP - 3 &&
                       TK_CBOR_LVL_TAG == TK_CBOR_MT_TAG - 3,
                   "level kinds follow the major types");
    /* The level kinds of arrays, maps and tags are their major types
     * minus 3. */
    push_level(dec, (uint8_t)(major - 3u), ev.offset, ev.total);
    return TK_OK;
}

#if TK_CBOR_FAST_PATH
static tk_err dec_read(tk_cbor_dec *dec, tk_cbor_item *item);

/*
 * Pushes the level of the definite array or map, or the tag, that the fast
 * path read: item has its offset and argument, the content starts at pos
 * and left bytes of input follow it. A count that the input cannot hold,
 * or a level beyond the depth limit, goes to read_item(), which reports
 * it.
 */
TK_CBOR_NOINLINE static tk_err push_fast(tk_cbor_dec *dec, tk_cbor_item *item,
                                         unsigned major, size_t pos,
                                         size_t left)
{
    uint64_t arg = item->value;
    size_t owed = 1;
    uint8_t kind = TK_CBOR_LVL_TAG;
    tk_cbor_type type = TK_CBOR_TAG;
    if (major == TK_CBOR_MT_ARRAY) {
        if (arg > left)
            return read_item(dec, item);
        kind = TK_CBOR_LVL_ARRAY;
        type = TK_CBOR_ARRAY;
        owed = (size_t)arg;
    } else if (major == TK_CBOR_MT_MAP) {
        if (arg > left / 2)
            return read_item(dec, item);
        kind = TK_CBOR_LVL_MAP;
        type = TK_CBOR_MAP;
        owed = (size_t)arg * 2;
    }
    if (dec->depth >= dec->max_depth)
        return read_item(dec, item);
    item->type = type;
    push_level(dec, kind, item->offset, owed);
    dec->off = pos;
    return TK_OK;
}

/*
 * The fast path of the decoder, for decoders without a kept error or
 * check flags: reads the next item when it is an integer, a definite
 * string, a definite array or map, a tag or a one-byte simple value,
 * inside a level that has items left. Every other case, errors included,
 * goes unchanged to the general reader: dec_read() when called
 * from next() (in_next), which may have levels to close first, else
 * read_item(). Both readers produce the same items and levels. Every
 * call here is a tail call, so the fast path needs few registers.
 */
TK_CBOR_HOT tk_err read_fast(tk_cbor_dec *dec, tk_cbor_item *item, bool in_next)
{
    unsigned depth = dec->depth;
    size_t off = dec->off;
    if (dec->err != TK_OK || dec->flags != 0 || off >= dec->len)
        goto general;
    size_t *owed = &dec->owed[depth];
    while (*owed == 0) {
        /* In next(), close the counted arrays and maps whose items have
         * all been read while their parent is an array or a map, as
         * close_done_levels() would. A level that owes nothing is
         * counted: tags close at once, indefinite levels at their break. */
        if (!in_next || depth == 0 ||
            (unsigned)(dec->kind[depth - 1] - TK_CBOR_LVL_ARRAY) > 1u)
            goto general;
        owed--;
        tk_cbor_owed_done(owed);
        dec->depth = (uint8_t)--depth;
    }
    /* The item fields that do not depend on the head are stored first,
     * so that few values stay live. */
    unsigned ib = dec->buf[off];
    item->offset = off;
    item->depth = (uint8_t)depth;
    item->flags = 0;
    item->float_width = 0;
    item->f = 0;
    item->str.ptr = NULL;
    item->str.len = 0;
    size_t pos = off + 1;
    unsigned ai = ib & 0x1fu;
    uint64_t arg = ai;
    if (ai >= TK_CBOR_AI_1BYTE) {
        /* Floats, two-byte simple values, indefinite lengths, breaks and
         * reserved values go to the general reader. */
        if (ai > TK_CBOR_AI_8BYTES || ib >= TK_CBOR_MT_SIMPLE << 5)
            goto general;
        size_t n = (size_t)1 << (ai - TK_CBOR_AI_1BYTE);
        if (dec->len - pos < n)
            goto general;
        arg = tk_cbor_load_arg(dec->buf + pos, ai);
        pos += n;
    }
    item->value = arg;
    unsigned major = ib >> 5;
    /* The item types of major types 0 to 3 have the same values. */
    item->type = (tk_cbor_type)major;

    switch (major) {
    case TK_CBOR_MT_UINT:
    case TK_CBOR_MT_NINT:
        break;
    case TK_CBOR_MT_BSTR:
    case TK_CBOR_MT_TSTR:
        if (arg > dec->len - pos)
            goto general;
        item->str.ptr = dec->buf + pos;
        item->str.len = (size_t)arg;
        pos += (size_t)arg;
        break;
    case TK_CBOR_MT_ARRAY:
    case TK_CBOR_MT_MAP:
    case TK_CBOR_MT_TAG:
        return push_fast(dec, item, major, pos, dec->len - pos);
    default:
        item->type = tk_cbor_simple_type(arg);
        break;
    }
    dec->off = pos;
    if (TK_CBOR_UNLIKELY(dec->kind[depth] == TK_CBOR_LVL_TAG))
        return item_done(dec, off);
    tk_cbor_owed_done(owed);
    return TK_OK;

general:
    if (in_next)
        return dec_read(dec, item);
    return read_item(dec, item);
}

#endif /* TK_CBOR_FAST_PATH */

/* Reads the next item, which the caller knows to be there or to be an
 * error: levels are not closed here. */
static tk_err read_one(tk_cbor_dec *dec, tk_cbor_item *item)
{
#if TK_CBOR_FAST_PATH
    return read_fast(dec, item, false);
#else
    return read_item(dec, item);
#endif
}

/* tk_cbor_dec_next() when its fast path does not apply. Kept out of line,
 * so that the fast path needs few registers. */
TK_CBOR_NOINLINE static tk_err dec_read(tk_cbor_dec *dec, tk_cbor_item *item)
{
    if (dec->err != TK_OK)
        return dec->err;
    tk_err err = close_done_levels(dec);
    if (err != TK_OK)
        return err;
    return read_item(dec, item);
}

/* Returns the error of a next() call that cannot start. */
TK_CBOR_COLD static tk_err next_refused(tk_cbor_dec *dec,
                                        const tk_cbor_item *item)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (dec->err == TK_OK && item == NULL)
        return fail_at(dec, TK_ERR_INVALID_ARG, dec->off);
    return dec->err;
}

tk_err tk_cbor_dec_next(tk_cbor_dec *dec, tk_cbor_item *item)
{
    if (TK_CBOR_UNLIKELY(dec == NULL || item == NULL))
        return next_refused(dec, item);
#if TK_CBOR_FAST_PATH
    return read_fast(dec, item, true);
#else
    return dec_read(dec, item);
#endif
}

/*
 * Reads the item that next() would return without changing the decoder:
 * next() runs on a copy, whose levels are small. An error stays kept, as
 * next() keeps it.
 */
tk_err tk_cbor_dec_peek(tk_cbor_dec *dec, tk_cbor_item *item)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    tk_cbor_dec copy = *dec;
    tk_err err = tk_cbor_dec_next(&copy, item);
    if (err != TK_OK && err != TK_ERR_CBOR_END)
        fail_at(dec, copy.err, copy.err_off);
    return err;
}

/* ---- typed helpers ---------------------------------------------------- */

/* Reads the next item of the current container, which must have one. */
static tk_err read_member(tk_cbor_dec *dec, tk_cbor_item *item)
{
    if (dec->err != TK_OK)
        return dec->err;
    int state = level_state(dec);
    if (state == LEVEL_ERROR)
        return dec->err;
    if (state == LEVEL_DONE)
        return fail_at(dec, TK_ERR_CBOR_NO_MORE, dec->off);
    return read_one(dec, item);
}

/* Bit of an item type in a set of types for read_typed(). */
#define TYPE_BIT(type) (1u << (type))

/* Reads the next member and checks that its type is in types (a set of
 * TYPE_BIT() values). */
static tk_err read_typed(tk_cbor_dec *dec, tk_cbor_item *item, unsigned types)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    tk_err err = read_member(dec, item);
    if (err != TK_OK)
        return err;
    if (!(types & TYPE_BIT(item->type)))
        return fail_at(dec, TK_ERR_CBOR_TYPE, item->offset);
    return TK_OK;
}

/* Reads the next member, which must have type type, and sets *value (may
 * be NULL) to its value field. */
static tk_err read_value(tk_cbor_dec *dec, tk_cbor_type type, uint64_t *value)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TYPE_BIT(type));
    if (err == TK_OK && value != NULL)
        *value = item.value;
    return err;
}

tk_err tk_cbor_dec_enter_array(tk_cbor_dec *dec, uint64_t *count)
{
    return read_value(dec, TK_CBOR_ARRAY, count);
}

tk_err tk_cbor_dec_enter_map(tk_cbor_dec *dec, uint64_t *pairs)
{
    return read_value(dec, TK_CBOR_MAP, pairs);
}

bool tk_cbor_dec_more(tk_cbor_dec *dec)
{
    if (dec == NULL || dec->err != TK_OK)
        return false;
    return level_state(dec) == LEVEL_MORE;
}

/* Reads or closes one step at a time until the level count drops below
 * depth. With keep it stops instead when level depth - 1 has no item left,
 * before closing it. Each step consumes input or closes a level, so the
 * loop ends. */
static tk_err unwind_to(tk_cbor_dec *dec, unsigned depth, bool keep)
{
    tk_cbor_item item;
    while (dec->depth >= depth && dec->depth > 0) {
        int state = level_state(dec);
        tk_err err;
        if (state == LEVEL_ERROR)
            return dec->err;
        if (state == LEVEL_DONE && keep && dec->depth == depth)
            break;
        if (state == LEVEL_DONE)
            err = close_level(dec);
        else
            err = read_one(dec, &item);
        if (err != TK_OK)
            return err;
    }
    return TK_OK;
}

/*
 * Checks that dec is usable and inside an array or map: returns
 * TK_ERR_INVALID_ARG for a NULL dec, the kept error, or TK_ERR_STATE
 * (kept) when the innermost level is not one of kinds (bits 1 << level
 * kind) or there is none.
 */
static tk_err check_level(tk_cbor_dec *dec, unsigned kinds)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (dec->err != TK_OK)
        return dec->err;
    /* Level 0 has kind 0, which is in no set. */
    if (!((kinds >> dec->kind[dec->depth]) & 1u))
        return fail_at(dec, TK_ERR_STATE, dec->off);
    return TK_OK;
}

/* Kind sets of check_level(). */
#define IN_MAP (1u << TK_CBOR_LVL_MAP)
#define IN_CONTAINER (1u << TK_CBOR_LVL_ARRAY | 1u << TK_CBOR_LVL_MAP)

tk_err tk_cbor_dec_exit(tk_cbor_dec *dec)
{
    tk_err err = check_level(dec, IN_CONTAINER);
    if (err != TK_OK)
        return err;
    return unwind_to(dec, dec->depth, false);
}

tk_err tk_cbor_dec_get_uint(tk_cbor_dec *dec, uint64_t *value)
{
    return read_value(dec, TK_CBOR_UINT, value);
}

/* Reads an integer member within int64_t into *value (may be NULL). A
 * member of another type gives type_err, one outside int64_t range_err. */
static tk_err read_int64(tk_cbor_dec *dec, int64_t *value, tk_err type_err,
                         tk_err range_err)
{
    tk_cbor_item item;
    tk_err err = read_member(dec, &item);
    if (err != TK_OK)
        return err;
    if (item.type != TK_CBOR_UINT && item.type != TK_CBOR_NINT)
        return fail_at(dec, type_err, item.offset);
    if (item.value > (uint64_t)INT64_MAX)
        return fail_at(dec, range_err, item.offset);
    if (value != NULL)
        *value = item.type == TK_CBOR_UINT ? (int64_t)item.value
                                           : -1 - (int64_t)item.value;
    return TK_OK;
}

tk_err tk_cbor_dec_get_int(tk_cbor_dec *dec, int64_t *value)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    return read_int64(dec, value, TK_ERR_CBOR_TYPE, TK_ERR_CBOR_INT_RANGE);
}

/* Reads a definite string of type type as a view. */
static tk_err get_string(tk_cbor_dec *dec, tk_view *value, tk_cbor_type type)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TYPE_BIT(type));
    if (err != TK_OK)
        return err;
    if (item.flags & TK_CBOR_ITEM_INDEFINITE)
        return fail_at(dec, TK_ERR_CBOR_CHUNKED, item.offset);
    if (value != NULL)
        *value = item.str;
    return TK_OK;
}

tk_err tk_cbor_dec_get_bstr(tk_cbor_dec *dec, tk_view *value)
{
    return get_string(dec, value, TK_CBOR_BSTR);
}

tk_err tk_cbor_dec_get_tstr(tk_cbor_dec *dec, tk_view *value)
{
    return get_string(dec, value, TK_CBOR_TSTR);
}

tk_err tk_cbor_dec_get_bool(tk_cbor_dec *dec, bool *value)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item,
                            TYPE_BIT(TK_CBOR_TRUE) | TYPE_BIT(TK_CBOR_FALSE));
    if (err == TK_OK && value != NULL)
        *value = item.type == TK_CBOR_TRUE;
    return err;
}

tk_err tk_cbor_dec_get_null(tk_cbor_dec *dec)
{
    return read_value(dec, TK_CBOR_NULL, NULL);
}

tk_err tk_cbor_dec_get_float(tk_cbor_dec *dec, double *value)
{
#if TK_CBOR_WITH_FLOAT
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TYPE_BIT(TK_CBOR_FLOAT));
    if (err == TK_OK && value != NULL)
        *value = item.f;
    return err;
#else
    (void)value;
    return tk_cbor_dec_fail(dec, TK_ERR_UNSUPPORTED);
#endif
}

tk_err tk_cbor_dec_get_tag(tk_cbor_dec *dec, uint64_t *tag)
{
    return read_value(dec, TK_CBOR_TAG, tag);
}

tk_err tk_cbor_dec_expect_tag(tk_cbor_dec *dec, uint64_t tag)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TYPE_BIT(TK_CBOR_TAG));
    if (err == TK_OK && item.value != tag)
        return fail_at(dec, TK_ERR_CBOR_WRONG_TAG, item.offset);
    return err;
}

tk_err tk_cbor_dec_get_label(tk_cbor_dec *dec, int64_t *label)
{
    tk_err err = check_level(dec, IN_MAP);
    if (err != TK_OK)
        return err;
    /* A map owes an even number of items before a key. */
    if (dec->owed[dec->depth] & 1u)
        return fail_at(dec, TK_ERR_STATE, dec->off);
    return read_int64(dec, label, TK_ERR_CBOR_BAD_MAP_LABEL,
                      TK_ERR_CBOR_BAD_MAP_LABEL);
}

tk_err tk_cbor_dec_skip(tk_cbor_dec *dec, tk_view *raw)
{
    tk_cbor_item item;
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    unsigned depth = dec->depth;
    tk_err err = read_member(dec, &item);
    if (err != TK_OK)
        return err;
    /* A container or tag pushed a level: read until it has closed. */
    err = unwind_to(dec, depth + 1, false);
    if (err != TK_OK)
        return err;
    if (raw != NULL) {
        raw->ptr = dec->buf + item.offset;
        raw->len = dec->off - item.offset;
    }
    return TK_OK;
}

tk_err tk_cbor_dec_get_bstr_cbor(tk_cbor_dec *dec, tk_cbor_dec *inner,
                                 uint32_t flags)
{
    tk_view content = {NULL, 0};
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (inner == NULL)
        return fail_at(dec, TK_ERR_INVALID_ARG, dec->off);
    tk_err err = tk_cbor_dec_get_bstr(dec, &content);
    if (err != TK_OK)
        return err;
    err = tk_cbor_dec_init(inner, content.ptr, content.len, flags);
    if (err != TK_OK)
        return fail_at(dec, err, dec->off);
    inner->max_depth = dec->max_depth;
    return TK_OK;
}

/* Moves back to the first entry of the innermost level, a map, forgetting
 * the keys read so far. */
TK_CBOR_OUTLINE_FOR_SIZE static void rewind_map(tk_cbor_dec *dec)
{
    unsigned d = dec->depth;
    tk_cbor_head head;
    /* The head was checked when first read, so it reads again cleanly. */
    if (tk_cbor_read_head(dec->buf, dec->len, dec->head[d], &head) == TK_OK) {
        dec->off = dec->head[d] + head.len;
        dec->owed[d] = head.ai == TK_CBOR_AI_INDEF
                           ? TK_CBOR_OWED_INDEF_MAP_KEY
                           : head.size * 2;
    }
}

tk_err tk_cbor_dec_map_find(tk_cbor_dec *dec, int64_t label)
{
    tk_err err = check_level(dec, IN_MAP);
    if (err != TK_OK)
        return err;
    rewind_map(dec);
    while (tk_cbor_dec_more(dec)) {
        int64_t key;
        err = tk_cbor_dec_get_label(dec, &key);
        if (err != TK_OK)
            return err;
        if (key == label)
            return TK_OK;
        err = tk_cbor_dec_skip(dec, NULL);
        if (err != TK_OK)
            return err;
    }
    if (dec->err != TK_OK)
        return dec->err;
    rewind_map(dec);
    return TK_ERR_NOT_FOUND;
}

/*
 * Reads the rest of the innermost container with the decoder itself and
 * then puts the decoder back: only the container's level changes, since
 * deeper levels are pushed above it and closed again. Reading checks what
 * next() checks, and an error stays kept.
 */
tk_err tk_cbor_dec_container_raw(tk_cbor_dec *dec, tk_view *raw)
{
    tk_err err = check_level(dec, IN_CONTAINER);
    if (err != TK_OK)
        return err;
    unsigned depth = dec->depth;
    size_t owed = dec->owed[depth];
    size_t off = dec->off;
    err = unwind_to(dec, depth, true);
    size_t end = dec->off;
    if (dec->owed[depth] != 0)
        end++; /* the break of an indefinite container */
    dec->owed[depth] = owed;
    dec->off = off;
    dec->depth = (uint8_t)depth;
    if (err != TK_OK)
        return err;
    if (raw != NULL) {
        raw->ptr = dec->buf + dec->head[depth];
        raw->len = end - dec->head[depth];
    }
    return TK_OK;
}

tk_err tk_cbor_dec_finish(tk_cbor_dec *dec)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (dec->err != TK_OK)
        return dec->err;
    if (dec->depth == 0 && dec->owed[0] != 0) {
        /* Nothing was read. */
        tk_err err = dec->len == 0 ? TK_ERR_CBOR_TRUNCATED
                                   : TK_ERR_CBOR_NOT_CLOSED;
        return fail_at(dec, err, 0);
    }
    /* Containers whose items have all been read close here, as a last
     * next() would close them; one with items left is an error. */
    tk_err err = close_done_levels(dec);
    if (err == TK_OK)
        return fail_at(dec, TK_ERR_CBOR_NOT_CLOSED, dec->off);
    if (err != TK_ERR_CBOR_END)
        return err;
    if (dec->off < dec->len)
        return fail_at(dec, TK_ERR_CBOR_TRAILING, dec->off);
    return TK_OK;
}

tk_err tk_cbor_validate(const uint8_t *ptr, size_t len, uint32_t flags,
                        size_t *err_off)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_init(&dec, ptr, len, flags);
    while (err == TK_OK)
        err = tk_cbor_dec_next(&dec, &item);
    if (err == TK_ERR_CBOR_END)
        err = tk_cbor_dec_finish(&dec);
    if (err_off != NULL)
        *err_off = err == TK_OK ? 0 : dec.err_off;
    return err;
}

tk_err tk_cbor_item_copy_str(const tk_cbor_item *item, uint8_t *out,
                             size_t cap, size_t *len)
{
    if (item == NULL || len == NULL || (out == NULL && cap > 0))
        return TK_ERR_INVALID_ARG;
    if (item->type != TK_CBOR_BSTR && item->type != TK_CBOR_TSTR)
        return TK_ERR_CBOR_TYPE;
    uint64_t total = (item->flags & TK_CBOR_ITEM_INDEFINITE) ? item->value
                                                             : item->str.len;
    if (total > SIZE_MAX)
        return TK_ERR_LIMIT;
    *len = (size_t)total;
    if (total > cap)
        return TK_ERR_BUFFER_TOO_SMALL;
    tk_cbor_chunks chunks = {item, 0, NULL, 0};
    size_t written = 0;
    while (tk_cbor_chunk_next(&chunks)) {
        if (chunks.left > cap - written)
            return TK_ERR_INTERNAL; /* the chunks disagree with value */
        memcpy(out + written, chunks.ptr, chunks.left);
        written += chunks.left;
    }
    return written == *len ? TK_OK : TK_ERR_INTERNAL;
}
