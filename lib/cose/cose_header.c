/*
 * Header maps (RFC 9052 section 3): decoding of the protected and
 * unprotected buckets of one layer and the rules of teepkit/cose.h that
 * apply to every layer.
 */
#include <string.h>

#include "cose_internal.h"

/*
 * A label kept for the duplicate-label and crit checks: text when text is
 * not NULL, else an integer. It takes 16 bytes where a tk_cose_label takes
 * 24 on Cortex-M4, which matters because tk_cose_headers_read() keeps up
 * to 2 * TK_COSE_MAX_HEADER_LABELS + TK_COSE_MAX_CRIT of them on its stack.
 */
typedef struct kept_label {
    const uint8_t *text;
    union {
        int64_t num;
        size_t len;
    } u;
} kept_label;

/* Labels of one header map. */
typedef struct label_set {
    kept_label labels[TK_COSE_MAX_HEADER_LABELS];
    size_t count;
} label_set;

/* State of one tk_cose_headers_read call. */
typedef struct header_reader {
    const tk_cose_opts *opts;
    tk_cose_headers *h;
    label_set prot;
    label_set unprot;
    kept_label crit[TK_COSE_MAX_CRIT];
    size_t crit_count;
} header_reader;

/* Returns label in its kept form. */
static kept_label keep(const tk_cose_label *label)
{
    kept_label k;
    if (label->is_text) {
        /* A NULL pointer cannot mark an empty text label. */
        static const uint8_t empty = 0;
        k.text = label->text.ptr != NULL ? label->text.ptr : &empty;
        k.u.len = label->text.len;
    } else {
        k.text = NULL;
        k.u.num = label->num;
    }
    return k;
}

static bool label_equal(const kept_label *a, const kept_label *b)
{
    if ((a->text == NULL) != (b->text == NULL)) {
        return false;
    }
    if (a->text == NULL) {
        return a->u.num == b->u.num;
    }
    return a->u.len == b->u.len &&
           (a->u.len == 0 || memcmp(a->text, b->text, a->u.len) == 0);
}

static bool set_contains(const label_set *set, const kept_label *label)
{
    for (size_t i = 0; i < set->count; i++) {
        if (label_equal(&set->labels[i], label)) {
            return true;
        }
    }
    return false;
}

/* Converts an integer item within int64_t to its value. */
static int64_t item_int(const tk_cbor_item *item)
{
    return item->type == TK_CBOR_UINT ? (int64_t)item->value
                                      : -1 - (int64_t)item->value;
}

/* Tells whether item is an integer within int64_t. */
static bool is_int64(const tk_cbor_item *item)
{
    return (item->type == TK_CBOR_UINT || item->type == TK_CBOR_NINT) &&
           item->value <= (uint64_t)INT64_MAX;
}

/*
 * Reads a map key as a header label: an integer within int64_t or a
 * definite-length text string. Other keys give TK_ERR_COSE_HEADER_LABEL.
 * Call it only in key position, where the map has an entry left.
 */
static tk_err read_label(tk_cbor_dec *dec, tk_cose_label *label)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_next(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    memset(label, 0, sizeof(*label));
    if (is_int64(&item)) {
        label->num = item_int(&item);
        return TK_OK;
    }
    if (item.type == TK_CBOR_TSTR &&
        (item.flags & TK_CBOR_ITEM_INDEFINITE) == 0) {
        label->is_text = true;
        label->text = item.str;
        return TK_OK;
    }
    return tk_cbor_dec_fail(dec, TK_ERR_COSE_HEADER_LABEL);
}

/* Reads a definite-length byte string value into *v. */
static tk_err read_bstr_value(tk_cbor_dec *dec, tk_view *v)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_next(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    if (item.type != TK_CBOR_BSTR ||
        (item.flags & TK_CBOR_ITEM_INDEFINITE) != 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_HEADER_VALUE);
    }
    *v = item.str;
    return TK_OK;
}

/* Reads the alg value: an integer. A text alg names no algorithm this
 * library implements. */
static tk_err read_alg(tk_cbor_dec *dec, int64_t *alg)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_next(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    if (item.type == TK_CBOR_TSTR) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_ALG_UNSUPPORTED);
    }
    if (!is_int64(&item)) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_HEADER_VALUE);
    }
    *alg = item_int(&item);
    return TK_OK;
}

/* Reads the content type: a uint content format or a media type. */
static tk_err read_content_type(tk_cbor_dec *dec, tk_cose_headers *h)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_next(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    if (item.type == TK_CBOR_UINT) {
        h->content_type_is_text = false;
        h->content_type = item.value;
        return TK_OK;
    }
    if (item.type == TK_CBOR_TSTR &&
        (item.flags & TK_CBOR_ITEM_INDEFINITE) == 0) {
        h->content_type_is_text = true;
        h->content_type_text = item.str;
        return TK_OK;
    }
    return tk_cbor_dec_fail(dec, TK_ERR_COSE_HEADER_VALUE);
}

/* Reads the crit array (protected bucket only): at least one label. */
static tk_err read_crit(tk_cbor_dec *dec, header_reader *r, bool protected)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_next(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    /* next() has entered an array; any other type fails here. */
    if (!protected || item.type != TK_CBOR_ARRAY || item.value == 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_CRIT_INVALID);
    }
    while (tk_cbor_dec_more(dec)) {
        if (r->crit_count == TK_COSE_MAX_CRIT) {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_TOO_MANY_LABELS);
        }
        err = tk_cbor_dec_next(dec, &item);
        if (err != TK_OK) {
            return err;
        }
        if (is_int64(&item)) {
            tk_cose_label label = {false, item_int(&item), {NULL, 0}};
            r->crit[r->crit_count] = keep(&label);
        } else if (item.type == TK_CBOR_TSTR &&
                   (item.flags & TK_CBOR_ITEM_INDEFINITE) == 0) {
            tk_cose_label label = {true, 0, item.str};
            r->crit[r->crit_count] = keep(&label);
        } else {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_CRIT_INVALID);
        }
        r->crit_count++;
    }
    if (r->crit_count == 0) {
        /* An empty indefinite-length array. */
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_CRIT_INVALID);
    }
    return tk_cbor_dec_exit(dec);
}

/* Reads a PartyU/PartyV nonce: a byte string or an integer. */
static tk_err read_nonce(tk_cbor_dec *dec, tk_cose_party *party)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_next(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    if (is_int64(&item)) {
        party->nonce_is_int = true;
        party->nonce_int = item_int(&item);
        return TK_OK;
    }
    if (item.type != TK_CBOR_BSTR ||
        (item.flags & TK_CBOR_ITEM_INDEFINITE) != 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_HEADER_VALUE);
    }
    party->nonce_is_int = false;
    party->nonce = item.str;
    return TK_OK;
}

/* Reads a COSE_Key value (labels -1 and -2) as its encoded bytes. */
static tk_err read_key_value(tk_cbor_dec *dec, tk_view *raw)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_peek(dec, &item);

    if (err != TK_OK) {
        return err;
    }
    if (item.type != TK_CBOR_MAP) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_HEADER_VALUE);
    }
    return tk_cbor_dec_skip(dec, raw);
}

/* Reads the value of an integer label and stores what this library
 * processes; unknown labels are skipped. *bit receives the label's
 * TK_COSE_HAS_* bit (0 when the library does not process it). */
static tk_err read_value(tk_cbor_dec *dec, header_reader *r, int64_t label,
                         bool protected, uint32_t *bit)
{
    tk_cose_headers *h = r->h;

    *bit = 0;
    if (!TK_COSE_WITH_ENCRYPT && label < 0) {
        /* The key agreement labels serve only recipients, which a build
         * without COSE_Encrypt does not process: skipped as unknown. */
        return tk_cbor_dec_skip(dec, NULL);
    }
    switch (label) {
    case TK_COSE_HDR_ALG:
        *bit = TK_COSE_HAS_ALG;
        return read_alg(dec, &h->alg);
    case TK_COSE_HDR_CRIT:
        *bit = TK_COSE_HAS_CRIT;
        return read_crit(dec, r, protected);
    case TK_COSE_HDR_CONTENT_TYPE:
        *bit = TK_COSE_HAS_CONTENT_TYPE;
        return read_content_type(dec, h);
    case TK_COSE_HDR_KID:
        *bit = TK_COSE_HAS_KID;
        return read_bstr_value(dec, &h->kid);
    case TK_COSE_HDR_IV:
        *bit = TK_COSE_HAS_IV;
        return read_bstr_value(dec, &h->iv);
    case TK_COSE_HDR_PARTIAL_IV:
        *bit = TK_COSE_HAS_PARTIAL_IV;
        return read_bstr_value(dec, &h->partial_iv);
    case TK_COSE_HDR_EPHEMERAL_KEY:
        *bit = TK_COSE_HAS_EPHEMERAL_KEY;
        return read_key_value(dec, &h->ephemeral_key);
    case TK_COSE_HDR_STATIC_KEY:
        *bit = TK_COSE_HAS_STATIC_KEY;
        return read_key_value(dec, &h->static_key);
    case TK_COSE_HDR_STATIC_KEY_ID:
        *bit = TK_COSE_HAS_STATIC_KEY_ID;
        return read_bstr_value(dec, &h->static_key_id);
    case TK_COSE_HDR_SALT:
        *bit = TK_COSE_HAS_SALT;
        return read_bstr_value(dec, &h->salt);
    case TK_COSE_HDR_PARTY_U_IDENTITY:
        *bit = TK_COSE_HAS_PARTY_U_IDENTITY;
        return read_bstr_value(dec, &h->party_u.identity);
    case TK_COSE_HDR_PARTY_U_NONCE:
        *bit = TK_COSE_HAS_PARTY_U_NONCE;
        return read_nonce(dec, &h->party_u);
    case TK_COSE_HDR_PARTY_U_OTHER:
        *bit = TK_COSE_HAS_PARTY_U_OTHER;
        return read_bstr_value(dec, &h->party_u.other);
    case TK_COSE_HDR_PARTY_V_IDENTITY:
        *bit = TK_COSE_HAS_PARTY_V_IDENTITY;
        return read_bstr_value(dec, &h->party_v.identity);
    case TK_COSE_HDR_PARTY_V_NONCE:
        *bit = TK_COSE_HAS_PARTY_V_NONCE;
        return read_nonce(dec, &h->party_v);
    case TK_COSE_HDR_PARTY_V_OTHER:
        *bit = TK_COSE_HAS_PARTY_V_OTHER;
        return read_bstr_value(dec, &h->party_v.other);
    default:
        return tk_cbor_dec_skip(dec, NULL);
    }
}

/*
 * Reads the entries of the header map that dec is in, from the protected
 * bucket when protected is set. Each label is checked against both
 * buckets for duplicates and added to its bucket's set.
 */
static tk_err read_map(tk_cbor_dec *dec, header_reader *r, bool protected)
{
    label_set *set = protected ? &r->prot : &r->unprot;
    label_set *other = protected ? &r->unprot : &r->prot;
    tk_err err;

    while (tk_cbor_dec_more(dec)) {
        tk_cose_label label;
        kept_label kept;
        uint32_t bit = 0;

        err = read_label(dec, &label);
        if (err != TK_OK) {
            return err;
        }
        kept = keep(&label);
        if (set_contains(set, &kept) || set_contains(other, &kept)) {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_DUPLICATE_LABEL);
        }
        if (set->count == TK_COSE_MAX_HEADER_LABELS) {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_TOO_MANY_LABELS);
        }
        set->labels[set->count++] = kept;
        if (label.is_text) {
            err = tk_cbor_dec_skip(dec, NULL);
        } else {
            err = read_value(dec, r, label.num, protected, &bit);
        }
        if (err != TK_OK) {
            return tk_cbor_dec_error(dec) != TK_OK ? tk_cbor_dec_error(dec)
                                                   : err;
        }
        r->h->present |= bit;
        if (protected) {
            r->h->in_protected |= bit;
        }
    }
    return tk_cbor_dec_error(dec);
}

/* Decodes the protected bucket's content. Any CBOR error inside it is a
 * header-decode error; COSE rule errors keep their own code. */
static tk_err read_protected(header_reader *r, tk_view prot)
{
    tk_cbor_dec inner;
    tk_cbor_item item;
    tk_err err;

    if (prot.len == 0) {
        return TK_OK;
    }
    tk_cbor_dec_init(&inner, prot.ptr, prot.len, 0);
    err = tk_cbor_dec_next(&inner, &item);
    if (err == TK_OK && item.type != TK_CBOR_MAP) {
        err = TK_ERR_COSE_HEADER_DECODE;
    }
    if (err == TK_OK) {
        err = read_map(&inner, r, true);
    }
    if (err == TK_OK) {
        tk_cbor_dec_exit(&inner);
        err = tk_cbor_dec_finish(&inner);
    }
    if (err == TK_OK || !tk_cose_is_cbor_err(err)) {
        return err;
    }
    return TK_ERR_COSE_HEADER_DECODE;
}

/* Tells whether the library or the caller processes label. */
static bool understood(const tk_cose_opts *opts, const kept_label *label)
{
    if (label->text == NULL) {
        int64_t n = label->u.num;

        if (n >= TK_COSE_HDR_ALG && n <= TK_COSE_HDR_PARTIAL_IV) {
            return true;
        }
        /* The key agreement labels, only where recipients are built. */
        if (TK_COSE_WITH_ENCRYPT &&
            ((n >= TK_COSE_HDR_STATIC_KEY_ID &&
              n <= TK_COSE_HDR_EPHEMERAL_KEY) ||
             (n >= TK_COSE_HDR_PARTY_V_OTHER && n <= TK_COSE_HDR_SALT))) {
            return true;
        }
    }
    for (size_t i = 0; i < opts->understood_count; i++) {
        kept_label known = keep(&opts->understood[i]);

        if (label_equal(&known, label)) {
            return true;
        }
    }
    return false;
}

/* Checks every crit label: present in the protected map, understood. */
static tk_err check_crit(const header_reader *r)
{
    for (size_t i = 0; i < r->crit_count; i++) {
        if (!set_contains(&r->prot, &r->crit[i])) {
            return TK_ERR_COSE_CRIT_MISSING;
        }
        if (!understood(r->opts, &r->crit[i])) {
            return TK_ERR_COSE_CRIT_UNKNOWN;
        }
    }
    return TK_OK;
}

tk_err tk_cose_headers_read(tk_cbor_dec *dec, const uint8_t *base,
                            const tk_cose_opts *opts, tk_cose_headers *h)
{
    header_reader r;
    tk_cbor_item item;
    size_t start;
    tk_err err;

    memset(h, 0, sizeof(*h));
    memset(&r, 0, sizeof(r));
    r.opts = opts;
    r.h = h;
    if (opts->understood == NULL && opts->understood_count > 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_INVALID_ARG);
    }

    /* Protected bucket: a bstr holding a map, or an empty bstr. */
    err = tk_cose_next_member(dec, &item);
    if (err != TK_OK) {
        return err;
    }
    if (item.type != TK_CBOR_BSTR ||
        (item.flags & TK_CBOR_ITEM_INDEFINITE) != 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_MALFORMED);
    }
    h->protected_bytes = item.str;
    err = read_protected(&r, h->protected_bytes);
    if (err != TK_OK) {
        return tk_cbor_dec_fail(dec, err);
    }
    h->protected_labels = r.prot.count;

    /* Unprotected bucket: a map, which next() enters. */
    err = tk_cose_next_member(dec, &item);
    if (err != TK_OK) {
        return err;
    }
    if (item.type != TK_CBOR_MAP) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_MALFORMED);
    }
    start = item.offset;
    err = read_map(dec, &r, false);
    if (err != TK_OK) {
        return tk_cose_map_err(err);
    }
    tk_cbor_dec_exit(dec);
    err = tk_cbor_dec_error(dec);
    if (err != TK_OK) {
        return tk_cose_map_err(err);
    }
    h->unprotected_map = (tk_view){base + start,
                                   tk_cbor_dec_offset(dec) - start};

    err = check_crit(&r);
    if (err == TK_OK && (h->present & TK_COSE_HAS_IV) != 0 &&
        (h->present & TK_COSE_HAS_PARTIAL_IV) != 0) {
        err = TK_ERR_COSE_IV;
    }
    if (err != TK_OK) {
        return tk_cbor_dec_fail(dec, err);
    }
    return TK_OK;
}

tk_err tk_cose_check_alg(tk_cbor_dec *dec, const tk_cose_headers *h,
                         const tk_cose_opts *opts, uint32_t class_mask)
{
    tk_cose_alg_class c;
    bool must_be_empty;

    if ((h->present & TK_COSE_HAS_ALG) == 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_ALG_MISSING);
    }
    c = tk_cose_alg_class_of(h->alg);
    if ((class_mask & TK_COSE_CLASS_BIT(c)) == 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_ALG_UNSUPPORTED);
    }
    must_be_empty = c == TK_COSE_CLASS_CTR || c == TK_COSE_CLASS_DIRECT ||
                    c == TK_COSE_CLASS_KW;
    if (must_be_empty) {
        if (h->protected_labels != 0) {
            return tk_cbor_dec_fail(dec, TK_ERR_COSE_PROTECTED_NOT_EMPTY);
        }
        return TK_OK;
    }
    if ((h->in_protected & TK_COSE_HAS_ALG) == 0 &&
        (opts->flags & TK_COSE_OPT_ALG_UNPROTECTED_OK) == 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_ALG_UNPROTECTED);
    }
    return TK_OK;
}

/* Searches one encoded header map for label. */
static tk_err find_in_map(tk_view map, tk_cose_label label, tk_view *value)
{
    tk_cbor_dec dec;
    tk_err err;

    if (map.len == 0) {
        return TK_ERR_NOT_FOUND;
    }
    tk_cbor_dec_init(&dec, map.ptr, map.len, 0);
    tk_cbor_dec_enter_map(&dec, NULL);
    kept_label wanted = keep(&label);

    while (tk_cbor_dec_more(&dec)) {
        tk_cose_label key;
        kept_label found;

        err = read_label(&dec, &key);
        if (err != TK_OK) {
            return err;
        }
        found = keep(&key);
        if (label_equal(&found, &wanted)) {
            return tk_cbor_dec_skip(&dec, value);
        }
        tk_cbor_dec_skip(&dec, NULL);
    }
    err = tk_cbor_dec_error(&dec);
    return err != TK_OK ? err : TK_ERR_NOT_FOUND;
}

tk_err tk_cose_headers_find(const tk_cose_headers *headers,
                            tk_cose_label label, tk_view *value,
                            bool *in_protected)
{
    tk_view found;
    tk_err err;

    if (headers == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    err = find_in_map(headers->protected_bytes, label, &found);
    if (err == TK_OK && in_protected != NULL) {
        *in_protected = true;
    }
    if (err == TK_ERR_NOT_FOUND) {
        err = find_in_map(headers->unprotected_map, label, &found);
        if (err == TK_OK && in_protected != NULL) {
            *in_protected = false;
        }
    }
    if (err == TK_OK && value != NULL) {
        *value = found;
    }
    return err;
}
