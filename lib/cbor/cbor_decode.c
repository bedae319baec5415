/*
 * Pull decoder: reads one item at a time over a caller buffer, with an
 * explicit stack of open levels (arrays, maps, tags) instead of recursion.
 *
 * A level is pushed when an array, map or tag head is read. Tag levels
 * close as soon as their content is complete. Array and map levels close
 * when tk_cbor_dec_next() moves past their end or tk_cbor_dec_exit() is
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

static unsigned level_kind(const tk_cbor_dec_level *level)
{
    return level->kind & TK_CBOR_LVL_KIND_MASK;
}

tk_err tk_cbor_dec_init(tk_cbor_dec *dec, const uint8_t *ptr, size_t len,
                        uint32_t flags)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    dec->buf = ptr;
    dec->len = len;
    dec->off = 0;
    dec->err = TK_OK;
    dec->err_off = 0;
    dec->flags = flags;
    dec->depth = 0;
    dec->max_depth = TK_CBOR_MAX_DEPTH;
    dec->started = 0;
    if ((ptr == NULL && len > 0) || (flags & ~CHECK_FLAGS) != 0) {
        dec->len = 0;
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

/* ---- map key checks --------------------------------------------------- */

#if TK_CBOR_WITH_CHECKS
/* Orders two encoded keys bytewise (RFC 8949 section 4.2.1). Two complete
 * items never have one as a proper prefix of the other, so equal leading
 * bytes mean equal keys. */
static int compare_keys(const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len)
{
    int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
    if (c != 0)
        return c;
    return (a_len > b_len) - (a_len < b_len);
}

/*
 * Checks the map key that just ended at dec->off against the earlier keys
 * of its map: the previous key only in deterministic mode (strict order
 * rules out duplicates), every earlier key otherwise.
 */
static tk_err check_key(tk_cbor_dec *dec, tk_cbor_dec_level *map)
{
    const uint8_t *key = dec->buf + map->key;
    size_t key_len = dec->off - map->key;

    if (dec->flags & TK_CBOR_CHECK_DETERMINISTIC) {
        if (map->prev_len > 0) {
            int c = compare_keys(dec->buf + map->prev_key, map->prev_len, key,
                                 key_len);
            if (c == 0)
                return fail_at(dec, TK_ERR_CBOR_DUP_KEY, map->key);
            if (c > 0)
                return fail_at(dec, TK_ERR_CBOR_UNSORTED, map->key);
        }
        map->prev_key = map->key;
        map->prev_len = key_len;
        return TK_OK;
    }

    /* Walk the earlier entries from the first one: pairs before this key
     * number (count - 1) / 2. They were checked when read, so a failure
     * here is an internal error. */
    tk_cbor_head head;
    if (tk_cbor_read_head(dec->buf, dec->len, map->head, &head) != TK_OK)
        return fail_at(dec, TK_ERR_INTERNAL, map->key);
    size_t p = map->head + head.len;
    for (size_t i = 1; i < map->count; i += 2) {
        size_t key_end, value_end;
        if (tk_cbor_skip_item(dec->buf, dec->len, p, TK_CBOR_MAX_DEPTH,
                              &key_end) != TK_OK ||
            tk_cbor_skip_item(dec->buf, dec->len, key_end, TK_CBOR_MAX_DEPTH,
                              &value_end) != TK_OK)
            return fail_at(dec, TK_ERR_INTERNAL, map->key);
        if (tk_cbor_items_equal(dec->buf + p, key_end - p, key, key_len))
            return fail_at(dec, TK_ERR_CBOR_DUP_KEY, map->key);
        p = value_end;
    }
    return TK_OK;
}

/* Checks the type of the content of a standard tag (RFC 8949 section 3.4
 * and RFC 8746 for the typed arrays 64..87). */
static bool tag_content_valid(size_t tag, uint8_t major, uint8_t ai)
{
    bool is_float = major == TK_CBOR_MT_SIMPLE && ai >= TK_CBOR_AI_2BYTES &&
                    ai <= TK_CBOR_AI_8BYTES;
    switch (tag) {
    case 0:  /* standard date/time string */
    case 32: /* URI */
    case 33: /* base64url text */
    case 34: /* base64 text */
    case 36: /* MIME message */
        return major == TK_CBOR_MT_TSTR;
    case 1: /* epoch-based date/time */
        return major == TK_CBOR_MT_UINT || major == TK_CBOR_MT_NINT ||
               is_float;
    case 2:  /* unsigned bignum */
    case 3:  /* negative bignum */
    case 24: /* encoded CBOR data item */
        return major == TK_CBOR_MT_BSTR;
    default:
        if (tag >= 64 && tag <= 87)
            return major == TK_CBOR_MT_BSTR;
        return true;
    }
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
#endif /* TK_CBOR_WITH_CHECKS */

/* ---- levels ----------------------------------------------------------- */

/* Pushes a level for the container or tag whose head is at off. */
static tk_err push_level(tk_cbor_dec *dec, uint8_t kind, size_t off,
                         size_t total)
{
    if (dec->depth >= dec->max_depth)
        return fail_at(dec, TK_ERR_CBOR_TOO_DEEP, off);
    tk_cbor_dec_level *level = &dec->level[dec->depth++];
    level->kind = kind;
    level->head = off;
    level->total = total;
    level->count = 0;
    level->end = dec->len;
    level->prev_len = 0;
    return TK_OK;
}

/*
 * Counts one complete item in the innermost level. A tag level is then
 * complete as well, so it closes and counts as an item of its own parent.
 * A completed map key is checked here.
 */
static tk_err item_done_slow(tk_cbor_dec *dec)
{
    while (dec->depth > 0) {
        tk_cbor_dec_level *level = &dec->level[dec->depth - 1];
        level->count++;
#if TK_CBOR_WITH_CHECKS
        if ((level->count & 1u) && level_kind(level) == TK_CBOR_LVL_MAP &&
            (dec->flags &
             (TK_CBOR_CHECK_DUP_KEYS | TK_CBOR_CHECK_DETERMINISTIC))) {
            tk_err err = check_key(dec, level);
            if (err != TK_OK)
                return err;
        }
#endif
        if (level_kind(level) != TK_CBOR_LVL_TAG)
            break;
        dec->depth--;
    }
    return TK_OK;
}

/* The common case of item_done_slow(), inline: an item of an array or map
 * with no key checks to run. depth is dec->depth, checks is false when
 * dec->flags is 0. */
static inline tk_err item_done(tk_cbor_dec *dec, uint8_t depth, bool checks)
{
    if (depth == 0)
        return TK_OK;
    tk_cbor_dec_level *level = &dec->level[depth - 1];
    if (TK_CBOR_LIKELY(level_kind(level) != TK_CBOR_LVL_TAG &&
                       !(checks && (dec->flags & (TK_CBOR_CHECK_DUP_KEYS |
                                                  TK_CBOR_CHECK_DETERMINISTIC))))) {
        level->count++;
        return TK_OK;
    }
    return item_done_slow(dec);
}

/* Tells whether the innermost level (depth > 0) has items left. An
 * indefinite level needs one more byte to tell, else it is truncated. */
TK_CBOR_HOT int level_state(tk_cbor_dec *dec)
{
    const tk_cbor_dec_level *level = &dec->level[dec->depth - 1];
    if (level->kind & TK_CBOR_LVL_INDEF) {
        if (dec->off >= dec->len) {
            fail_at(dec, TK_ERR_CBOR_TRUNCATED, dec->off);
            return LEVEL_ERROR;
        }
        return dec->buf[dec->off] == TK_CBOR_BREAK ? LEVEL_DONE : LEVEL_MORE;
    }
    if (level_kind(level) == TK_CBOR_LVL_WRAP)
        return dec->off < dec->len ? LEVEL_MORE : LEVEL_DONE;
    return level->count < level->total ? LEVEL_MORE : LEVEL_DONE;
}

/* Closes the innermost level, which level_state() found done: consumes
 * the break of an indefinite level and counts the container as an item of
 * its parent. */
TK_CBOR_HOT tk_err close_level(tk_cbor_dec *dec)
{
    tk_cbor_dec_level *level = &dec->level[dec->depth - 1];
    if (level->kind & TK_CBOR_LVL_INDEF) {
        if (level_kind(level) == TK_CBOR_LVL_MAP && (level->count & 1u))
            return fail_at(dec, TK_ERR_CBOR_UNEXPECTED_BREAK, dec->off);
        dec->off++;
    } else if (level_kind(level) == TK_CBOR_LVL_WRAP) {
        dec->len = level->end;
    }
    dec->depth--;
    return item_done(dec, dec->depth, true);
}

/*
 * Closes every level whose items have all been read. Returns TK_OK when an
 * item follows, TK_ERR_CBOR_END (not kept) when the top-level item is
 * complete, or the kept error.
 */
static tk_err close_done_levels(tk_cbor_dec *dec)
{
    while (dec->depth > 0) {
        int state = level_state(dec);
        if (state == LEVEL_MORE)
            return TK_OK;
        if (state == LEVEL_ERROR)
            return dec->err;
        tk_err err = close_level(dec);
        if (err != TK_OK)
            return err;
    }
    return dec->started ? TK_ERR_CBOR_END : TK_OK;
}

/* ---- items ------------------------------------------------------------ */

/*
 * Reads the chunks of an indefinite-length string whose head (major type
 * major) ended at pos, up to and including the break. Each chunk must be a
 * definite string of the same major type (RFC 8949 section 3.2.3).
 */
static tk_err read_chunks(tk_cbor_dec *dec, tk_cbor_item *item, uint8_t major,
                          size_t pos)
{
    size_t start = pos;
    uint64_t total = 0;

    if (dec->flags & TK_CBOR_CHECK_DETERMINISTIC)
        return fail_at(dec, TK_ERR_CBOR_INDEFINITE, item->offset);
    for (;;) {
        tk_cbor_head chunk;
        tk_err err = tk_cbor_read_head(dec->buf, dec->len, pos, &chunk);
        if (err != TK_OK)
            return fail_at(dec, err, pos);
        if (chunk.major == TK_CBOR_MT_SIMPLE && chunk.ai == TK_CBOR_AI_INDEF)
            break;
        if (chunk.major != major || chunk.ai == TK_CBOR_AI_INDEF)
            return fail_at(dec, TK_ERR_CBOR_BAD_CHUNK, pos);
        if (chunk.arg > dec->len - pos - chunk.len)
            return fail_at(dec, TK_ERR_CBOR_TRUNCATED, pos);
#if TK_CBOR_WITH_CHECKS
        if ((dec->flags & TK_CBOR_CHECK_PREFERRED) &&
            tk_cbor_head_size(chunk.arg) != chunk.len)
            return fail_at(dec, TK_ERR_CBOR_NOT_PREFERRED, pos);
        if (major == TK_CBOR_MT_TSTR && (dec->flags & TK_CBOR_CHECK_UTF8) &&
            !tk_cbor_utf8_valid(dec->buf + pos + chunk.len,
                                (size_t)chunk.arg))
            return fail_at(dec, TK_ERR_CBOR_BAD_UTF8, pos);
#endif
        total += chunk.arg;
        pos += chunk.len + (size_t)chunk.arg;
    }
    item->str.ptr = dec->buf + start;
    item->str.len = pos - start;
    item->value = total;
    item->flags = TK_CBOR_ITEM_INDEFINITE;
    dec->off = pos + 1;
    return item_done(dec, dec->depth, true);
}

/* Fills in a major type 7 item: simple value or float. */
static tk_err read_simple(tk_cbor_dec *dec, tk_cbor_item *item,
                          tk_cbor_head head)
{
    if (head.ai >= TK_CBOR_AI_2BYTES) {
        unsigned width = (unsigned)head.len - 1;
        uint64_t bits = tk_cbor_float_bits_to_double(head.arg, width);
        item->type = TK_CBOR_FLOAT;
        item->float_width = (uint8_t)width;
#if TK_CBOR_WITH_FLOAT
        memcpy(&item->f, &bits, sizeof item->f);
#else
        (void)bits;
#endif
#if TK_CBOR_WITH_CHECKS
        if ((dec->flags & TK_CBOR_CHECK_PREFERRED) &&
            float_has_shorter_form(head.arg, width))
            return fail_at(dec, TK_ERR_CBOR_NOT_PREFERRED, item->offset);
#endif
        return TK_OK;
    }
    switch (head.arg) {
    case 20:
        item->type = TK_CBOR_FALSE;
        break;
    case 21:
        item->type = TK_CBOR_TRUE;
        break;
    case 22:
        item->type = TK_CBOR_NULL;
        break;
    case 23:
        item->type = TK_CBOR_UNDEFINED;
        break;
    default:
        item->type = TK_CBOR_SIMPLE;
        break;
    }
    (void)dec;
    return TK_OK;
}

#if TK_CBOR_WITH_CHECKS
/* Runs the optional checks that the head at off alone decides, and notes
 * where a map key starts for the key checks. */
static tk_err check_head(tk_cbor_dec *dec, tk_cbor_head head, size_t off)
{
    tk_cbor_dec_level *parent =
        dec->depth > 0 ? &dec->level[dec->depth - 1] : NULL;

    if (parent != NULL && (parent->count & 1u) == 0)
        parent->key = off; /* a key when parent is a map, else unused */

    if ((dec->flags & TK_CBOR_CHECK_PREFERRED) &&
        head.ai >= TK_CBOR_AI_1BYTE && head.ai <= TK_CBOR_AI_8BYTES &&
        head.major != TK_CBOR_MT_SIMPLE &&
        tk_cbor_head_size(head.arg) != head.len)
        return fail_at(dec, TK_ERR_CBOR_NOT_PREFERRED, off);
    if ((dec->flags & TK_CBOR_CHECK_TAG_CONTENT) && parent != NULL &&
        level_kind(parent) == TK_CBOR_LVL_TAG &&
        !tag_content_valid(parent->prev_key, head.major, head.ai))
        return fail_at(dec, TK_ERR_CBOR_BAD_TAG_CONTENT, off);
    return TK_OK;
}
#endif

/*
 * Reads the item whose head is at dec->off. Scalars and strings are
 * complete on return; arrays, maps and tags push a level. With wrap set, a
 * definite byte string pushes a WRAP level over its content instead.
 * checks is false only when dec->flags is 0, which lets the decode loop
 * drop every optional check.
 */
TK_CBOR_HOT tk_err read_item(tk_cbor_dec *dec, tk_cbor_item *item, bool wrap,
                             bool checks)
{
    /* Locals, read before the first store to *item, because the compiler
     * must assume that its uint8_t fields may alias the decoder. */
    const uint8_t *buf = dec->buf;
    size_t len = dec->len;
    size_t off = dec->off;
    uint8_t depth = dec->depth;
    tk_cbor_head head;
    tk_err err = tk_cbor_read_head(buf, len, off, &head);
    if (err != TK_OK)
        return fail_at(dec, err, off);

#if TK_CBOR_WITH_CHECKS
    if (checks && dec->flags != 0) {
        err = check_head(dec, head, off);
        if (err != TK_OK)
            return err;
    }
#endif
    size_t pos = off + head.len;
    dec->started = 1;
    item->offset = off;
    item->depth = depth;
    item->flags = 0;
    item->float_width = 0;
    item->value = head.arg;
    item->f = 0;
    item->str.ptr = NULL;
    item->str.len = 0;

    switch (head.major) {
    case TK_CBOR_MT_UINT:
    case TK_CBOR_MT_NINT:
        /* The item types of major types 0 to 3 have the same values. */
        item->type = (tk_cbor_type)head.major;
        dec->off = pos;
        return item_done(dec, depth, checks);
    case TK_CBOR_MT_BSTR:
    case TK_CBOR_MT_TSTR:
        item->type = (tk_cbor_type)head.major;
        if (head.ai == TK_CBOR_AI_INDEF)
            return read_chunks(dec, item, head.major, pos);
        if (head.arg > len - pos)
            return fail_at(dec, TK_ERR_CBOR_TRUNCATED, off);
        item->str.ptr = buf + pos;
        item->str.len = (size_t)head.arg;
#if TK_CBOR_WITH_CHECKS
        if (checks && head.major == TK_CBOR_MT_TSTR &&
            (dec->flags & TK_CBOR_CHECK_UTF8) &&
            !tk_cbor_utf8_valid(buf + pos, (size_t)head.arg))
            return fail_at(dec, TK_ERR_CBOR_BAD_UTF8, off);
#endif
        if (wrap && head.major == TK_CBOR_MT_BSTR) {
            err = push_level(dec, TK_CBOR_LVL_WRAP, off, 0);
            if (err != TK_OK)
                return err;
            dec->off = pos;
            dec->len = pos + (size_t)head.arg;
            return TK_OK;
        }
        dec->off = pos + (size_t)head.arg;
        return item_done(dec, depth, checks);
    case TK_CBOR_MT_ARRAY:
    case TK_CBOR_MT_MAP: {
        bool is_map = head.major == TK_CBOR_MT_MAP;
        uint8_t kind = is_map ? TK_CBOR_LVL_MAP : TK_CBOR_LVL_ARRAY;
        size_t total;
        item->type = is_map ? TK_CBOR_MAP : TK_CBOR_ARRAY;
        if (head.ai == TK_CBOR_AI_INDEF) {
            if (checks && (dec->flags & TK_CBOR_CHECK_DETERMINISTIC))
                return fail_at(dec, TK_ERR_CBOR_INDEFINITE, off);
            kind |= TK_CBOR_LVL_INDEF;
            item->flags = TK_CBOR_ITEM_INDEFINITE;
            item->value = TK_CBOR_INDEFINITE;
            total = SIZE_MAX;
        } else {
            /* Every item takes at least one byte, so a count beyond the
             * remaining input is wrong before any item is read. */
            size_t room = len - pos;
            if (head.arg > (is_map ? room / 2 : room))
                return fail_at(dec, TK_ERR_CBOR_COUNT_TOO_LARGE, off);
            total = is_map ? (size_t)head.arg * 2 : (size_t)head.arg;
        }
        dec->off = pos;
        return push_level(dec, kind, off, total);
    }
    case TK_CBOR_MT_TAG:
        item->type = TK_CBOR_TAG;
        err = push_level(dec, TK_CBOR_LVL_TAG, off, 1);
        if (err != TK_OK)
            return err;
        /* The tag number is kept for the content check; none of the
         * checked tags is above SIZE_MAX. */
        dec->level[depth].prev_key =
            head.arg <= SIZE_MAX ? (size_t)head.arg : SIZE_MAX;
        dec->off = pos;
        return TK_OK;
    default:
        if (head.ai == TK_CBOR_AI_INDEF)
            return fail_at(dec, TK_ERR_CBOR_UNEXPECTED_BREAK, off);
        err = read_simple(dec, item, head);
        if (err != TK_OK)
            return err;
        dec->off = pos;
        return item_done(dec, depth, checks);
    }
}

/* read_item() for the callers outside the decode loop, so that the loop
 * keeps the only inlined copy. */
static tk_err read_item_call(tk_cbor_dec *dec, tk_cbor_item *item, bool wrap)
{
    return read_item(dec, item, wrap, true);
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

/* NOTE: a next() loop over the 299-byte TEEP claims set costs 5,607
 * instructions at -O2, above the 5,000 target that validate() meets. */
tk_err tk_cbor_dec_next(tk_cbor_dec *dec, tk_cbor_item *item)
{
    if (dec == NULL || item == NULL || dec->err != TK_OK)
        return next_refused(dec, item);
    /* Most items follow another in a counted container: skip the search
     * for levels to close then. */
    const tk_cbor_dec_level *top =
        dec->depth > 0 ? &dec->level[dec->depth - 1] : NULL;
    if (top == NULL || top->count >= top->total ||
        (top->kind & TK_CBOR_LVL_INDEF)) {
        tk_err err = close_done_levels(dec);
        if (err != TK_OK)
            return err;
    }
    if (TK_CBOR_LIKELY(dec->flags == 0))
        return read_item(dec, item, false, false);
    return read_item_call(dec, item, false);
}

tk_err tk_cbor_dec_enter_wrap(tk_cbor_dec *dec)
{
    tk_cbor_item item;
    if (dec->err != TK_OK)
        return dec->err;
    tk_err err = close_done_levels(dec);
    if (err != TK_OK)
        return err;
    err = read_item_call(dec, &item, true);
    if (err == TK_OK && (item.type != TK_CBOR_BSTR ||
                         (item.flags & TK_CBOR_ITEM_INDEFINITE)))
        err = fail_at(dec, TK_ERR_CBOR_TYPE, item.offset);
    return err;
}

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
    if (dec->depth == 0) {
        if (dec->started)
            return fail_at(dec, TK_ERR_CBOR_NO_MORE, dec->off);
    } else {
        int state = level_state(dec);
        if (state == LEVEL_ERROR)
            return dec->err;
        if (state == LEVEL_DONE)
            return fail_at(dec, TK_ERR_CBOR_NO_MORE, dec->off);
    }
    return read_item_call(dec, item, false);
}

/* Reads the next member and checks that it has type type. */
static tk_err read_typed(tk_cbor_dec *dec, tk_cbor_item *item,
                         tk_cbor_type type)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    tk_err err = read_member(dec, item);
    if (err != TK_OK)
        return err;
    if (item->type != type)
        return fail_at(dec, TK_ERR_CBOR_TYPE, item->offset);
    return TK_OK;
}

tk_err tk_cbor_dec_enter_array(tk_cbor_dec *dec, uint64_t *count)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TK_CBOR_ARRAY);
    if (err == TK_OK && count != NULL)
        *count = item.value;
    return err;
}

tk_err tk_cbor_dec_enter_map(tk_cbor_dec *dec, uint64_t *pairs)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TK_CBOR_MAP);
    if (err == TK_OK && pairs != NULL)
        *pairs = item.value;
    return err;
}

bool tk_cbor_dec_more(tk_cbor_dec *dec)
{
    if (dec == NULL || dec->err != TK_OK)
        return false;
    if (dec->depth == 0)
        return !dec->started;
    return level_state(dec) == LEVEL_MORE;
}

/* Reads or closes one step at a time until the level count drops below
 * depth. Each step consumes input or closes a level, so the loop ends. */
static tk_err unwind_to(tk_cbor_dec *dec, unsigned depth)
{
    tk_cbor_item item;
    while (dec->depth >= depth && dec->depth > 0) {
        int state = level_state(dec);
        tk_err err;
        if (state == LEVEL_ERROR)
            return dec->err;
        if (state == LEVEL_DONE)
            err = close_level(dec);
        else
            err = read_item_call(dec, &item, false);
        if (err != TK_OK)
            return err;
    }
    return TK_OK;
}

tk_err tk_cbor_dec_exit(tk_cbor_dec *dec)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (dec->err != TK_OK)
        return dec->err;
    if (dec->depth == 0)
        return fail_at(dec, TK_ERR_STATE, dec->off);
    unsigned kind = level_kind(&dec->level[dec->depth - 1]);
    if (kind != TK_CBOR_LVL_ARRAY && kind != TK_CBOR_LVL_MAP)
        return fail_at(dec, TK_ERR_STATE, dec->off);
    return unwind_to(dec, dec->depth);
}

tk_err tk_cbor_dec_get_uint(tk_cbor_dec *dec, uint64_t *value)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TK_CBOR_UINT);
    if (err == TK_OK && value != NULL)
        *value = item.value;
    return err;
}

tk_err tk_cbor_dec_get_int(tk_cbor_dec *dec, int64_t *value)
{
    tk_cbor_item item;
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    tk_err err = read_member(dec, &item);
    if (err != TK_OK)
        return err;
    if (item.type != TK_CBOR_UINT && item.type != TK_CBOR_NINT)
        return fail_at(dec, TK_ERR_CBOR_TYPE, item.offset);
    if (item.value > (uint64_t)INT64_MAX)
        return fail_at(dec, TK_ERR_CBOR_INT_RANGE, item.offset);
    if (value != NULL)
        *value = item.type == TK_CBOR_UINT ? (int64_t)item.value
                                           : -1 - (int64_t)item.value;
    return TK_OK;
}

/* Reads a definite string of type type as a view. */
static tk_err get_string(tk_cbor_dec *dec, tk_view *value, tk_cbor_type type)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, type);
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
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    tk_err err = read_member(dec, &item);
    if (err != TK_OK)
        return err;
    if (item.type != TK_CBOR_TRUE && item.type != TK_CBOR_FALSE)
        return fail_at(dec, TK_ERR_CBOR_TYPE, item.offset);
    if (value != NULL)
        *value = item.type == TK_CBOR_TRUE;
    return TK_OK;
}

tk_err tk_cbor_dec_get_null(tk_cbor_dec *dec)
{
    tk_cbor_item item;
    return read_typed(dec, &item, TK_CBOR_NULL);
}

tk_err tk_cbor_dec_get_float(tk_cbor_dec *dec, double *value)
{
#if TK_CBOR_WITH_FLOAT
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TK_CBOR_FLOAT);
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
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TK_CBOR_TAG);
    if (err == TK_OK && tag != NULL)
        *tag = item.value;
    return err;
}

tk_err tk_cbor_dec_expect_tag(tk_cbor_dec *dec, uint64_t tag)
{
    tk_cbor_item item;
    tk_err err = read_typed(dec, &item, TK_CBOR_TAG);
    if (err == TK_OK && item.value != tag)
        return fail_at(dec, TK_ERR_CBOR_WRONG_TAG, item.offset);
    return err;
}

tk_err tk_cbor_dec_get_label(tk_cbor_dec *dec, int64_t *label)
{
    tk_cbor_item item;
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (dec->err != TK_OK)
        return dec->err;
    const tk_cbor_dec_level *map =
        dec->depth > 0 ? &dec->level[dec->depth - 1] : NULL;
    if (map == NULL || level_kind(map) != TK_CBOR_LVL_MAP ||
        (map->count & 1u) != 0)
        return fail_at(dec, TK_ERR_STATE, dec->off);
    tk_err err = read_member(dec, &item);
    if (err != TK_OK)
        return err;
    if ((item.type != TK_CBOR_UINT && item.type != TK_CBOR_NINT) ||
        item.value > (uint64_t)INT64_MAX)
        return fail_at(dec, TK_ERR_CBOR_BAD_MAP_LABEL, item.offset);
    if (label != NULL)
        *label = item.type == TK_CBOR_UINT ? (int64_t)item.value
                                           : -1 - (int64_t)item.value;
    return TK_OK;
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
    err = unwind_to(dec, depth + 1);
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

/* Moves back to the first entry of the map level, forgetting the keys
 * read so far. */
static void rewind_map(tk_cbor_dec *dec, tk_cbor_dec_level *map)
{
    tk_cbor_head head;
    /* The head was read once already, so it reads again. */
    if (tk_cbor_read_head(dec->buf, dec->len, map->head, &head) != TK_OK) {
        fail_at(dec, TK_ERR_INTERNAL, map->head);
        return;
    }
    dec->off = map->head + head.len;
    map->count = 0;
    map->prev_len = 0;
}

tk_err tk_cbor_dec_map_find(tk_cbor_dec *dec, int64_t label)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (dec->err != TK_OK)
        return dec->err;
    if (dec->depth == 0 ||
        level_kind(&dec->level[dec->depth - 1]) != TK_CBOR_LVL_MAP)
        return fail_at(dec, TK_ERR_STATE, dec->off);
    tk_cbor_dec_level *map = &dec->level[dec->depth - 1];
    rewind_map(dec, map);
    while (tk_cbor_dec_more(dec)) {
        int64_t key;
        tk_err err = tk_cbor_dec_get_label(dec, &key);
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
    rewind_map(dec, map);
    return TK_ERR_NOT_FOUND;
}

tk_err tk_cbor_dec_container_raw(tk_cbor_dec *dec, tk_view *raw)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (dec->err != TK_OK)
        return dec->err;
    if (dec->depth == 0)
        return fail_at(dec, TK_ERR_STATE, dec->off);
    const tk_cbor_dec_level *level = &dec->level[dec->depth - 1];
    unsigned kind = level_kind(level);
    if (kind != TK_CBOR_LVL_ARRAY && kind != TK_CBOR_LVL_MAP)
        return fail_at(dec, TK_ERR_STATE, dec->off);
    size_t end;
    unsigned room = (unsigned)dec->max_depth - (unsigned)dec->depth + 1u;
    tk_err err =
        tk_cbor_skip_item(dec->buf, dec->len, level->head, room, &end);
    if (err != TK_OK)
        return fail_at(dec, err, end);
    if (raw != NULL) {
        raw->ptr = dec->buf + level->head;
        raw->len = end - level->head;
    }
    return TK_OK;
}

tk_err tk_cbor_dec_finish(tk_cbor_dec *dec)
{
    if (dec == NULL)
        return TK_ERR_INVALID_ARG;
    if (dec->err != TK_OK)
        return dec->err;
    if (!dec->started) {
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

    if (flags == 0 && (ptr != NULL || len == 0)) {
        /* Well-formedness alone needs no items: the lean walker of
         * tk_cbor_skip_item() finds the same errors at the same offsets. */
        size_t end;
        tk_err err = tk_cbor_skip_item(ptr, len, 0, TK_CBOR_MAX_DEPTH, &end);
        if (err == TK_OK && end < len)
            err = TK_ERR_CBOR_TRAILING;
        if (err_off != NULL)
            *err_off = err == TK_OK ? 0 : end;
        return err;
    }
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
