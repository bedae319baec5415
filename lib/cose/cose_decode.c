/*
 * Decoding steps shared by every COSE structure: the tag and array that
 * open it, payloads, byte-string members, recipient arrays and key
 * resolution.
 */
#include "cose_internal.h"

bool tk_cose_type_supported(tk_cose_type type)
{
    switch (type) {
    case TK_COSE_TYPE_SIGN1:
        return true;
    case TK_COSE_TYPE_SIGN:
        return TK_COSE_WITH_SIGN != 0;
    case TK_COSE_TYPE_MAC0:
    case TK_COSE_TYPE_MAC:
        return TK_COSE_WITH_MAC != 0;
    case TK_COSE_TYPE_ENCRYPT0:
    case TK_COSE_TYPE_ENCRYPT:
        return TK_COSE_WITH_ENCRYPT != 0;
    default:
        return false;
    }
}

bool tk_cose_is_cbor_err(tk_err err)
{
    return err >= 20 && err < 60;
}

tk_err tk_cose_map_err(tk_err err)
{
    switch (err) {
    case TK_ERR_CBOR_TYPE:
    case TK_ERR_CBOR_NO_MORE:
    case TK_ERR_CBOR_CHUNKED:
    case TK_ERR_CBOR_NO_ITEMS:
        return TK_ERR_COSE_MALFORMED;
    case TK_ERR_CBOR_TRAILING:
        return TK_ERR_COSE_TRAILING;
    default:
        return err;
    }
}

/* Keeps err in dec (unless an error is already kept) and returns the kept
 * error. */
static tk_err fail(tk_cbor_dec *dec, tk_err err)
{
    return tk_cbor_dec_fail(dec, err);
}

tk_err tk_cose_next_member(tk_cbor_dec *dec, tk_cbor_item *item)
{
    if (!tk_cbor_dec_more(dec)) {
        /* The array ends early, or an error is already kept. */
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    return tk_cose_map_err(tk_cbor_dec_next(dec, item));
}

tk_err tk_cose_open(tk_cbor_dec *dec, tk_view msg, const tk_cose_opts *opts,
                    tk_cose_type expected, uint64_t min_count,
                    uint64_t max_count, uint64_t *count)
{
    tk_cbor_item item;
    tk_err err;

    if (msg.ptr == NULL && msg.len > 0) {
        return TK_ERR_INVALID_ARG;
    }
    err = tk_cbor_dec_init(dec, msg.ptr, msg.len, 0);
    if (err == TK_OK) {
        err = tk_cbor_dec_next(dec, &item);
    }
    if (err != TK_OK) {
        return tk_cose_map_err(err);
    }
    if (item.type == TK_CBOR_TAG) {
        if (item.value != (uint64_t)expected) {
            return fail(dec, TK_ERR_COSE_WRONG_TAG);
        }
        err = tk_cbor_dec_next(dec, &item);
        if (err != TK_OK) {
            return tk_cose_map_err(err);
        }
    } else if ((opts->flags & TK_COSE_OPT_UNTAGGED_OK) == 0) {
        return fail(dec, TK_ERR_COSE_TAG_MISSING);
    }
    /* next() has entered the array. */
    if (item.type != TK_CBOR_ARRAY) {
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    *count = item.value;
    if (*count == TK_CBOR_INDEFINITE) {
        *count = max_count;
    } else if (*count < min_count || *count > max_count) {
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    return TK_OK;
}

tk_err tk_cose_close(tk_cbor_dec *dec)
{
    if (tk_cbor_dec_error(dec) == TK_OK && tk_cbor_dec_more(dec)) {
        /* An indefinite-length array with more members than allowed. */
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    (void)tk_cbor_dec_exit(dec);
    return tk_cose_map_err(tk_cbor_dec_finish(dec));
}

tk_err tk_cose_read_bstr(tk_cbor_dec *dec, tk_view *v)
{
    tk_cbor_item item;
    tk_err err = tk_cose_next_member(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    if (item.type != TK_CBOR_BSTR ||
        (item.flags & TK_CBOR_ITEM_INDEFINITE) != 0) {
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    *v = item.str;
    return TK_OK;
}

tk_err tk_cose_read_payload(tk_cbor_dec *dec, const tk_cose_opts *opts,
                            bool detached_ok_without_content,
                            tk_view *payload, bool *detached)
{
    tk_cbor_item item;
    tk_err err = tk_cose_next_member(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    if (item.type == TK_CBOR_NULL) {
        *detached = true;
        if (opts->detached != NULL) {
            *payload = *opts->detached;
            return TK_OK;
        }
        *payload = (tk_view){NULL, 0};
        if (detached_ok_without_content) {
            return TK_OK;
        }
        return fail(dec, TK_ERR_COSE_PAYLOAD_MISSING);
    }
    *detached = false;
    if (item.type != TK_CBOR_BSTR ||
        (item.flags & TK_CBOR_ITEM_INDEFINITE) != 0) {
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    *payload = item.str;
    if (opts->detached != NULL) {
        return fail(dec, TK_ERR_COSE_PAYLOAD_CONFLICT);
    }
    return TK_OK;
}

tk_err tk_cose_read_recipients(tk_cbor_dec *dec, tk_view *raw,
                               size_t *count)
{
    tk_cbor_item item;
    tk_cbor_dec walk;
    size_t n = 0;
    tk_err err = tk_cbor_dec_peek(dec, &item);

    if (err != TK_OK) {
        return tk_cose_map_err(err);
    }
    if (item.type != TK_CBOR_ARRAY) {
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    err = tk_cbor_dec_skip(dec, raw);
    if (err != TK_OK) {
        return tk_cose_map_err(err);
    }
    /* Count the members on a second decoder, which also covers the
     * indefinite-length form; the walk stops past the limit. */
    tk_cbor_dec_init(&walk, raw->ptr, raw->len, 0);
    tk_cbor_dec_enter_array(&walk, NULL);
    while (n <= TK_COSE_MAX_RECIPIENTS && tk_cbor_dec_more(&walk)) {
        tk_cbor_dec_skip(&walk, NULL);
        n++;
    }
    if (tk_cbor_dec_error(&walk) != TK_OK) {
        return fail(dec, tk_cose_map_err(tk_cbor_dec_error(&walk)));
    }
    if (n == 0) {
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    if (n > TK_COSE_MAX_RECIPIENTS) {
        return fail(dec, TK_ERR_COSE_TOO_MANY_RECIPIENTS);
    }
    *count = n;
    return TK_OK;
}

tk_err tk_cose_resolve_key(const tk_cose_opts *opts,
                           const tk_cose_headers *h, tk_alg alg,
                           const tk_key **key)
{
    tk_view kid = (h->present & TK_COSE_HAS_KID) != 0 ? h->kid
                                                      : (tk_view){NULL, 0};

    *key = NULL;
    if (opts->lookup != NULL) {
        tk_err err = opts->lookup(opts->lookup_arg, kid, alg, key);

        if (err == TK_ERR_NOT_FOUND ||
            (err == TK_OK && *key == NULL)) {
            *key = NULL;
            return TK_ERR_COSE_KEY_NOT_FOUND;
        }
        if (err != TK_OK) {
            *key = NULL;
        }
        return err;
    }
    if (opts->key == NULL) {
        return TK_ERR_COSE_KEY_NOT_FOUND;
    }
    *key = opts->key;
    return TK_OK;
}

tk_err tk_cose_enter_array(tk_cbor_dec *dec, uint64_t count)
{
    tk_cbor_item item;
    tk_err err = tk_cose_next_member(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    if (item.type != TK_CBOR_ARRAY ||
        (item.value != TK_CBOR_INDEFINITE && item.value != count)) {
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    return TK_OK;
}

tk_err tk_cose_leave_array(tk_cbor_dec *dec)
{
    if (tk_cbor_dec_error(dec) == TK_OK && tk_cbor_dec_more(dec)) {
        return fail(dec, TK_ERR_COSE_MALFORMED);
    }
    return tk_cose_map_err(tk_cbor_dec_exit(dec));
}
