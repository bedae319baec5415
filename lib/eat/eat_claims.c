/*
 * EAT claims decoder (RFC 9711 section 4, RFC 8392 section 3) with the
 * encoding rules of the TEEP EAT profile.
 *
 * The pull decoder keeps the first error with its offset, so each claim
 * parser below reads what it expects, records a semantic problem with
 * tk_cbor_dec_fail() and returns. The loop stops at the first error.
 *
 * Duplicate keys are rejected in every map. The maps this file parses
 * (the claims sets, cnf, location, sueids, submods) track their own keys,
 * which costs a comparison of integers or short strings per key. Values
 * kept raw or skipped are checked with tk_cbor_validate() and
 * TK_CBOR_CHECK_DUP_KEYS when they are containers.
 */
#include <string.h>

#include "eat_internal.h"

/* Largest CoAP Content-Format number (RFC 7252 section 12.3). */
#define COAP_CONTENT_FORMAT_MAX 65535u

/* Sizes of RFC 9711: hwmodel 1..32 bytes, bootseed 32..64 bytes, oemid 3
 * (IEEE OUI) or 16 (random) bytes. */
#define HWMODEL_MAX 32
#define BOOTSEED_MIN 32
#define BOOTSEED_MAX 64

typedef struct claims_ctx {
    tk_cbor_dec *dec;
    const uint8_t *buf;
    uint32_t flags;
    tk_eat_claims *nested; /* scratch for the claims of submodules */
} claims_ctx;

static tk_err decode_claims_map(claims_ctx *ctx, tk_eat_claims *claims,
                                unsigned depth);

bool tk_eat_view_equal(tk_view a, tk_view b)
{
    if (a.len != b.len)
        return false;
    return a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0;
}

tk_err tk_eat_map_cbor_error(tk_err err)
{
    switch (err) {
    case TK_ERR_CBOR_DUP_KEY:
        return TK_ERR_EAT_DUPLICATE_CLAIM;
    case TK_ERR_CBOR_NOT_PREFERRED:
        return TK_ERR_EAT_NOT_PREFERRED;
    case TK_ERR_CBOR_INDEFINITE:
        return TK_ERR_EAT_INDEFINITE_LENGTH;
    case TK_ERR_CBOR_TOO_DEEP:
        return TK_ERR_EAT_TOO_DEEP;
    case TK_ERR_CBOR_TYPE:
    case TK_ERR_CBOR_NO_MORE:
    case TK_ERR_CBOR_INT_RANGE:
    case TK_ERR_CBOR_CHUNKED:
    case TK_ERR_CBOR_WRONG_TAG:
    case TK_ERR_CBOR_BAD_MAP_LABEL:
    case TK_ERR_CBOR_BAD_UTF8:
    case TK_ERR_CBOR_BAD_TAG_CONTENT:
        return TK_ERR_EAT_BAD_CLAIM;
    default:
        break;
    }
    /* The rest of the cbor range (20..59 in teepkit/error.h). */
    if ((int)err >= 20 && (int)err < 60)
        return TK_ERR_EAT_MALFORMED;
    return err;
}

static tk_err bad_claim(claims_ctx *ctx)
{
    return tk_cbor_dec_fail(ctx->dec, TK_ERR_EAT_BAD_CLAIM);
}

static tk_cbor_type peek_type(claims_ctx *ctx)
{
    tk_cbor_item item;
    if (tk_cbor_dec_peek(ctx->dec, &item) != TK_OK)
        return TK_CBOR_UNDEFINED;
    return item.type;
}

/* Keys of one map, for duplicate detection: integers, or text strings
 * when text.ptr is set. */
typedef struct key_table {
    size_t count;
    struct {
        int64_t num;
        tk_view text;
    } keys[TK_EAT_MAX_UNKNOWN_KEYS];
} key_table;

/* Adds a key to table; fails with TK_ERR_EAT_DUPLICATE_CLAIM when it is
 * already there and TK_ERR_EAT_TOO_MANY when the table is full. */
static tk_err add_key(claims_ctx *ctx, key_table *table, int64_t num,
                      tk_view text)
{
    for (size_t i = 0; i < table->count; i++) {
        if (text.ptr == NULL) {
            if (table->keys[i].text.ptr == NULL && table->keys[i].num == num)
                return tk_cbor_dec_fail(ctx->dec, TK_ERR_EAT_DUPLICATE_CLAIM);
        } else if (table->keys[i].text.ptr != NULL &&
                   tk_eat_view_equal(table->keys[i].text, text)) {
            return tk_cbor_dec_fail(ctx->dec, TK_ERR_EAT_DUPLICATE_CLAIM);
        }
    }
    if (table->count == TK_EAT_MAX_UNKNOWN_KEYS)
        return tk_cbor_dec_fail(ctx->dec, TK_ERR_EAT_TOO_MANY);
    table->keys[table->count].num = num;
    table->keys[table->count].text = text;
    table->count++;
    return TK_OK;
}

/*
 * Reads a map key: an integer within int64_t into *num, or a text string
 * into *text (then text->ptr is set). Other keys fail with
 * TK_ERR_EAT_MALFORMED, because claim keys are integers or text
 * (RFC 8392 section 3).
 */
static tk_err get_key(claims_ctx *ctx, int64_t *num, tk_view *text)
{
    tk_cbor_item item;
    *num = 0;
    *text = (tk_view){NULL, 0};
    tk_err err = tk_cbor_dec_next(ctx->dec, &item);
    if (err != TK_OK)
        return err;
    if (item.type == TK_CBOR_UINT && item.value <= (uint64_t)INT64_MAX) {
        *num = (int64_t)item.value;
        return TK_OK;
    }
    if (item.type == TK_CBOR_NINT && item.value <= (uint64_t)INT64_MAX) {
        *num = -1 - (int64_t)item.value;
        return TK_OK;
    }
    if (item.type == TK_CBOR_TSTR &&
        (item.flags & TK_CBOR_ITEM_INDEFINITE) == 0) {
        /* An empty text key still needs a non-NULL pointer here. */
        *text = (tk_view){item.str.ptr != NULL ? item.str.ptr : ctx->buf,
                          item.str.len};
        return TK_OK;
    }
    return tk_cbor_dec_fail(ctx->dec, TK_ERR_EAT_MALFORMED);
}

/* Checks a value that is kept raw or skipped: a container must hold no
 * duplicate map keys anywhere inside. */
static tk_err check_raw(claims_ctx *ctx, tk_view raw)
{
    if (raw.len == 0)
        return tk_cbor_dec_error(ctx->dec);
    unsigned major = raw.ptr[0] >> 5;
    if (major < 4)
        return TK_OK;
    size_t offset = 0;
    tk_err err =
        tk_cbor_validate(raw.ptr, raw.len, TK_CBOR_CHECK_DUP_KEYS, &offset);
    if (err != TK_OK)
        return tk_cbor_dec_fail(ctx->dec, tk_eat_map_cbor_error(err));
    return TK_OK;
}

/* Skips one value, checking it as check_raw() does; *raw (may be NULL)
 * receives its encoding. */
static tk_err skip_checked(claims_ctx *ctx, tk_view *raw)
{
    tk_view value = {NULL, 0};
    if (tk_cbor_dec_skip(ctx->dec, &value) != TK_OK)
        return tk_cbor_dec_error(ctx->dec);
    if (raw != NULL)
        *raw = value;
    return check_raw(ctx, value);
}

/* Reads a byte string of min..max bytes. */
static tk_err get_bstr_sized(claims_ctx *ctx, size_t min, size_t max,
                             tk_view *out)
{
    tk_err err = tk_cbor_dec_get_bstr(ctx->dec, out);
    if (err != TK_OK)
        return err;
    if (out->len < min || out->len > max)
        return bad_claim(ctx);
    return TK_OK;
}

/* Sets *raw to the input bytes from offset start to the decoder's current
 * offset: the encoding of the value just read. */
static void raw_since(const claims_ctx *ctx, size_t start, tk_view *raw)
{
    raw->ptr = ctx->buf + start;
    raw->len = tk_cbor_dec_offset(ctx->dec) - start;
}

/* NumericDate (RFC 8392 section 2): an integer, or a float truncated
 * toward negative infinity. */
static tk_err get_time(claims_ctx *ctx, int64_t *out)
{
    tk_cbor_type type = peek_type(ctx);
    if (type == TK_CBOR_UINT || type == TK_CBOR_NINT)
        return tk_cbor_dec_get_int(ctx->dec, out);
    if (type != TK_CBOR_FLOAT)
        return bad_claim(ctx);
    double value;
    tk_err err = tk_cbor_dec_get_float(ctx->dec, &value);
    if (err != TK_OK)
        return err == TK_ERR_UNSUPPORTED ? bad_claim(ctx) : err;
    /* 2^62 bounds every plausible date and keeps the cast defined. */
    if (!(value > -4611686018427387904.0 && value < 4611686018427387904.0))
        return bad_claim(ctx);
    int64_t whole = (int64_t)value;
    if ((double)whole > value)
        whole--;
    *out = whole;
    return TK_OK;
}

/* hwversion and swversion: [version text, ? scheme integer]. */
static tk_err get_version(claims_ctx *ctx, tk_eat_version *out)
{
    tk_cbor_dec *dec = ctx->dec;
    tk_cbor_dec_enter_array(dec, NULL);
    tk_cbor_dec_get_tstr(dec, &out->version);
    out->has_scheme = false;
    if (tk_cbor_dec_more(dec)) {
        tk_cbor_dec_get_int(dec, &out->scheme);
        out->has_scheme = true;
    }
    if (tk_cbor_dec_more(dec))
        bad_claim(ctx);
    return tk_cbor_dec_exit(dec);
}

/* cnf (RFC 8747 section 3.1): a map with exactly one of COSE_Key (1),
 * Encrypted_COSE_Key (2) and kid (3). Other members are skipped. */
static tk_err get_cnf(claims_ctx *ctx, tk_eat_claims *claims)
{
    tk_cbor_dec *dec = ctx->dec;
    unsigned methods = 0;
    key_table keys;
    keys.count = 0;
    tk_cbor_dec_enter_map(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        int64_t label;
        tk_view text;
        if (get_key(ctx, &label, &text) != TK_OK ||
            add_key(ctx, &keys, label, text) != TK_OK)
            break;
        if (text.ptr == NULL && label == TK_EAT_CNF_KID) {
            tk_cbor_dec_get_bstr(dec, &claims->cnf);
        } else if (text.ptr == NULL && label == TK_EAT_CNF_COSE_KEY) {
            if (peek_type(ctx) != TK_CBOR_MAP)
                return bad_claim(ctx);
            skip_checked(ctx, &claims->cnf);
        } else if (text.ptr == NULL && label == TK_EAT_CNF_ENCRYPTED_KEY) {
            skip_checked(ctx, &claims->cnf);
        } else {
            skip_checked(ctx, NULL);
            continue;
        }
        claims->cnf_kind = (tk_eat_cnf_kind)label;
        methods++;
    }
    if (methods != 1)
        bad_claim(ctx);
    return tk_cbor_dec_exit(dec);
}

/* eat_nonce: one byte string, or (outside the TEEP profile) an array of
 * two or more. */
static tk_err get_nonce(claims_ctx *ctx, tk_eat_claims *claims)
{
    tk_cbor_dec *dec = ctx->dec;
    claims->nonce_count = 0;
    if (peek_type(ctx) == TK_CBOR_BSTR) {
        claims->nonce_count = 1;
        return get_bstr_sized(ctx, TK_EAT_NONCE_MIN, TK_EAT_NONCE_MAX,
                              &claims->nonce[0]);
    }
    if ((ctx->flags & TK_EAT_PROFILE_TEEP) != 0)
        return bad_claim(ctx);
    tk_cbor_dec_enter_array(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        if (claims->nonce_count == TK_EAT_MAX_NONCES)
            return tk_cbor_dec_fail(dec, TK_ERR_EAT_TOO_MANY);
        get_bstr_sized(ctx, TK_EAT_NONCE_MIN, TK_EAT_NONCE_MAX,
                       &claims->nonce[claims->nonce_count]);
        claims->nonce_count++;
    }
    if (claims->nonce_count < 2)
        bad_claim(ctx);
    return tk_cbor_dec_exit(dec);
}

/* oemid: a Private Enterprise Number, or 3 or 16 bytes. */
static tk_err get_oemid(claims_ctx *ctx, tk_eat_claims *claims)
{
    tk_cbor_type type = peek_type(ctx);
    if (type == TK_CBOR_UINT || type == TK_CBOR_NINT) {
        claims->oemid_is_pen = true;
        return tk_cbor_dec_get_int(ctx->dec, &claims->oemid_pen);
    }
    claims->oemid_is_pen = false;
    tk_err err = tk_cbor_dec_get_bstr(ctx->dec, &claims->oemid);
    if (err == TK_OK && claims->oemid.len != 3 && claims->oemid.len != 16)
        return bad_claim(ctx);
    return err;
}

/* manifests and measurements: [+ [content-type, content-format]]. */
static tk_err get_format_list(claims_ctx *ctx, tk_eat_format_entry *entries,
                              size_t max, size_t *count)
{
    tk_cbor_dec *dec = ctx->dec;
    *count = 0;
    tk_cbor_dec_enter_array(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        if (*count == max)
            return tk_cbor_dec_fail(dec, TK_ERR_EAT_TOO_MANY);
        tk_eat_format_entry *entry = &entries[*count];
        tk_cbor_dec_enter_array(dec, NULL);
        tk_cbor_dec_get_uint(dec, &entry->content_type);
        if (entry->content_type > COAP_CONTENT_FORMAT_MAX)
            return bad_claim(ctx);
        entry->wrapped = peek_type(ctx) == TK_CBOR_BSTR;
        if (entry->wrapped)
            tk_cbor_dec_get_bstr(dec, &entry->content);
        else
            skip_checked(ctx, &entry->content);
        if (tk_cbor_dec_more(dec))
            return bad_claim(ctx);
        if (tk_cbor_dec_exit(dec) != TK_OK)
            break;
        (*count)++;
    }
    if (*count == 0)
        bad_claim(ctx);
    return tk_cbor_dec_exit(dec);
}

/* A number of the location claim: integer or float. */
static tk_err skip_number(claims_ctx *ctx)
{
    tk_cbor_type type = peek_type(ctx);
    if (type != TK_CBOR_UINT && type != TK_CBOR_NINT && type != TK_CBOR_FLOAT)
        return bad_claim(ctx);
    return tk_cbor_dec_skip(ctx->dec, NULL);
}

/* location (RFC 9711 section 4.2.10): latitude (1) and longitude (2)
 * required, then altitude, accuracy, altitude-accuracy, heading, speed,
 * timestamp and age (3..9). */
static tk_err get_location(claims_ctx *ctx, tk_view *raw)
{
    tk_cbor_dec *dec = ctx->dec;
    size_t start = tk_cbor_dec_offset(dec);
    unsigned seen = 0;
    tk_cbor_dec_enter_map(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        int64_t label;
        tk_view text;
        if (get_key(ctx, &label, &text) != TK_OK)
            break;
        if (text.ptr != NULL || label < 1 || label > 9)
            return bad_claim(ctx);
        if ((seen & (1u << label)) != 0)
            return tk_cbor_dec_fail(dec, TK_ERR_EAT_DUPLICATE_CLAIM);
        seen |= 1u << label;
        if (skip_number(ctx) != TK_OK)
            break;
    }
    if ((seen & 0x6u) != 0x6u)
        bad_claim(ctx);
    tk_err err = tk_cbor_dec_exit(dec);
    raw_since(ctx, start, raw);
    return err;
}

/* aud: one text string or an array of them. */
static tk_err get_aud(claims_ctx *ctx, tk_view *raw)
{
    tk_cbor_dec *dec = ctx->dec;
    size_t start = tk_cbor_dec_offset(dec);
    tk_view text;
    if (peek_type(ctx) == TK_CBOR_TSTR) {
        tk_cbor_dec_get_tstr(dec, &text);
    } else {
        tk_cbor_dec_enter_array(dec, NULL);
        while (tk_cbor_dec_more(dec))
            if (tk_cbor_dec_get_tstr(dec, &text) != TK_OK)
                break;
        tk_cbor_dec_exit(dec);
    }
    raw_since(ctx, start, raw);
    return tk_cbor_dec_error(dec);
}

/* sueids: a non-empty map of text to ueid. */
static tk_err get_sueids(claims_ctx *ctx, tk_view *raw)
{
    tk_cbor_dec *dec = ctx->dec;
    size_t start = tk_cbor_dec_offset(dec);
    size_t count = 0;
    tk_view value;
    key_table keys;
    keys.count = 0;
    tk_cbor_dec_enter_map(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        int64_t num;
        tk_view name;
        if (get_key(ctx, &num, &name) != TK_OK)
            break;
        if (name.ptr == NULL)
            return bad_claim(ctx);
        if (add_key(ctx, &keys, 0, name) != TK_OK)
            break;
        if (get_bstr_sized(ctx, TK_EAT_UEID_MIN, TK_EAT_UEID_MAX, &value) !=
            TK_OK)
            break;
        count++;
    }
    if (count == 0)
        bad_claim(ctx);
    tk_err err = tk_cbor_dec_exit(dec);
    raw_since(ctx, start, raw);
    return err;
}

/* dloas: [+ [registrar URI, platform label, ? application label]]. */
static tk_err get_dloas(claims_ctx *ctx, tk_view *raw)
{
    tk_cbor_dec *dec = ctx->dec;
    size_t start = tk_cbor_dec_offset(dec);
    size_t count = 0;
    tk_view text;
    tk_cbor_dec_enter_array(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        tk_cbor_dec_enter_array(dec, NULL);
        tk_cbor_dec_get_tstr(dec, &text);
        tk_cbor_dec_get_tstr(dec, &text);
        if (tk_cbor_dec_more(dec))
            tk_cbor_dec_get_tstr(dec, &text);
        if (tk_cbor_dec_more(dec))
            return bad_claim(ctx);
        if (tk_cbor_dec_exit(dec) != TK_OK)
            break;
        count++;
    }
    if (count == 0)
        bad_claim(ctx);
    tk_err err = tk_cbor_dec_exit(dec);
    raw_since(ctx, start, raw);
    return err;
}

/* One [result-id, result] pair of measres; results are 1..4. */
static tk_err get_individual_result(claims_ctx *ctx)
{
    tk_cbor_dec *dec = ctx->dec;
    uint64_t result = 0;
    tk_cbor_dec_enter_array(dec, NULL);
    tk_cbor_type type = peek_type(ctx);
    if (type != TK_CBOR_TSTR && type != TK_CBOR_BSTR)
        return bad_claim(ctx);
    tk_cbor_dec_skip(dec, NULL);
    tk_cbor_dec_get_uint(dec, &result);
    if (result < 1 || result > 4)
        return bad_claim(ctx);
    if (tk_cbor_dec_more(dec))
        return bad_claim(ctx);
    return tk_cbor_dec_exit(dec);
}

/* measres: [+ [measurement system, [+ individual result]]]. */
static tk_err get_measres(claims_ctx *ctx, tk_view *raw)
{
    tk_cbor_dec *dec = ctx->dec;
    size_t start = tk_cbor_dec_offset(dec);
    size_t groups = 0;
    tk_view text;
    tk_cbor_dec_enter_array(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        size_t results = 0;
        tk_cbor_dec_enter_array(dec, NULL);
        tk_cbor_dec_get_tstr(dec, &text);
        tk_cbor_dec_enter_array(dec, NULL);
        while (tk_cbor_dec_more(dec)) {
            if (get_individual_result(ctx) != TK_OK)
                return tk_cbor_dec_error(dec);
            results++;
        }
        if (results == 0)
            return bad_claim(ctx);
        tk_cbor_dec_exit(dec);
        if (tk_cbor_dec_more(dec))
            return bad_claim(ctx);
        if (tk_cbor_dec_exit(dec) != TK_OK)
            break;
        groups++;
    }
    if (groups == 0)
        bad_claim(ctx);
    tk_err err = tk_cbor_dec_exit(dec);
    raw_since(ctx, start, raw);
    return err;
}

/* A detached submodule digest: [algorithm (int or text), digest bytes]. */
static tk_err get_detached_digest(claims_ctx *ctx)
{
    tk_cbor_dec *dec = ctx->dec;
    tk_view digest;
    tk_cbor_dec_enter_array(dec, NULL);
    tk_cbor_type type = peek_type(ctx);
    if (type != TK_CBOR_UINT && type != TK_CBOR_NINT && type != TK_CBOR_TSTR)
        return bad_claim(ctx);
    tk_cbor_dec_skip(dec, NULL);
    tk_cbor_dec_get_bstr(dec, &digest);
    if (tk_cbor_dec_more(dec))
        return bad_claim(ctx);
    return tk_cbor_dec_exit(dec);
}

/*
 * submods (RFC 9711 section 4.2.18): a non-empty map from text names to a
 * claims set (decoded and checked like the top level, one level deeper), a
 * nested token (a byte string for CBOR, text for JSON) or a detached
 * digest.
 */
static tk_err get_submods(claims_ctx *ctx, tk_eat_claims *claims,
                          unsigned depth)
{
    tk_cbor_dec *dec = ctx->dec;
    size_t start = tk_cbor_dec_offset(dec);
    size_t count = 0;
    key_table names;
    names.count = 0;
    tk_cbor_dec_enter_map(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        int64_t num;
        tk_view name;
        if (get_key(ctx, &num, &name) != TK_OK)
            break;
        if (name.ptr == NULL)
            return bad_claim(ctx);
        if (add_key(ctx, &names, 0, name) != TK_OK)
            break;
        switch (peek_type(ctx)) {
        case TK_CBOR_MAP:
            if (depth + 1 > TK_EAT_MAX_SUBMOD_DEPTH)
                return tk_cbor_dec_fail(dec, TK_ERR_EAT_TOO_DEEP);
            decode_claims_map(ctx, ctx->nested, depth + 1);
            break;
        case TK_CBOR_BSTR:
        case TK_CBOR_TSTR:
            tk_cbor_dec_skip(dec, NULL);
            break;
        case TK_CBOR_ARRAY:
            get_detached_digest(ctx);
            break;
        default:
            return bad_claim(ctx);
        }
        if (tk_cbor_dec_error(dec) != TK_OK)
            break;
        count++;
    }
    if (count == 0)
        bad_claim(ctx);
    tk_err err = tk_cbor_dec_exit(dec);
    if (depth == 0) {
        raw_since(ctx, start, &claims->submods_raw);
        claims->submod_count = count;
    }
    return err;
}

/* Profile: a URI (text) or an unwrapped OID (bytes). */
static tk_err get_profile(claims_ctx *ctx, tk_eat_claims *claims)
{
    claims->profile_is_oid = peek_type(ctx) == TK_CBOR_BSTR;
    if (claims->profile_is_oid)
        return tk_cbor_dec_get_bstr(ctx->dec, &claims->profile);
    return tk_cbor_dec_get_tstr(ctx->dec, &claims->profile);
}

/* Reads an unsigned integer no larger than max. */
static tk_err get_uint_max(claims_ctx *ctx, uint64_t max, uint64_t *out)
{
    tk_err err = tk_cbor_dec_get_uint(ctx->dec, out);
    if (err == TK_OK && *out > max)
        return bad_claim(ctx);
    return err;
}

/* Decodes the value of claim key into claims; returns the presence bit,
 * or 0 for a key that is not interpreted (the value is skipped). */
static uint32_t decode_claim(claims_ctx *ctx, tk_eat_claims *claims,
                             int64_t key, unsigned depth)
{
    tk_cbor_dec *dec = ctx->dec;
    if (key == TK_EAT_KEY_MEASUREMENTS &&
        (ctx->flags & TK_EAT_MANIFESTS_AT_273) != 0)
        key = TK_EAT_KEY_MANIFESTS;
    switch (key) {
    case TK_EAT_KEY_ISS:
        tk_cbor_dec_get_tstr(dec, &claims->iss);
        return TK_EAT_HAS_ISS;
    case TK_EAT_KEY_SUB:
        tk_cbor_dec_get_tstr(dec, &claims->sub);
        return TK_EAT_HAS_SUB;
    case TK_EAT_KEY_AUD:
        get_aud(ctx, &claims->aud_raw);
        return TK_EAT_HAS_AUD;
    case TK_EAT_KEY_EXP:
        get_time(ctx, &claims->exp);
        return TK_EAT_HAS_EXP;
    case TK_EAT_KEY_NBF:
        get_time(ctx, &claims->nbf);
        return TK_EAT_HAS_NBF;
    case TK_EAT_KEY_IAT:
        get_time(ctx, &claims->iat);
        return TK_EAT_HAS_IAT;
    case TK_EAT_KEY_CTI:
        tk_cbor_dec_get_bstr(dec, &claims->cti);
        return TK_EAT_HAS_CTI;
    case TK_EAT_KEY_CNF:
        get_cnf(ctx, claims);
        return TK_EAT_HAS_CNF;
    case TK_EAT_KEY_NONCE:
        get_nonce(ctx, claims);
        return TK_EAT_HAS_NONCE;
    case TK_EAT_KEY_UEID:
        get_bstr_sized(ctx, TK_EAT_UEID_MIN, TK_EAT_UEID_MAX, &claims->ueid);
        return TK_EAT_HAS_UEID;
    case TK_EAT_KEY_SUEIDS:
        get_sueids(ctx, &claims->sueids_raw);
        return TK_EAT_HAS_SUEIDS;
    case TK_EAT_KEY_OEMID:
        get_oemid(ctx, claims);
        return TK_EAT_HAS_OEMID;
    case TK_EAT_KEY_HWMODEL:
        get_bstr_sized(ctx, 1, HWMODEL_MAX, &claims->hwmodel);
        return TK_EAT_HAS_HWMODEL;
    case TK_EAT_KEY_HWVERSION:
        get_version(ctx, &claims->hwversion);
        return TK_EAT_HAS_HWVERSION;
    case TK_EAT_KEY_UPTIME:
        tk_cbor_dec_get_uint(dec, &claims->uptime);
        return TK_EAT_HAS_UPTIME;
    case TK_EAT_KEY_OEMBOOT:
        tk_cbor_dec_get_bool(dec, &claims->oemboot);
        return TK_EAT_HAS_OEMBOOT;
    case TK_EAT_KEY_DBGSTAT:
        get_uint_max(ctx, TK_EAT_DBG_DISABLED_FULLY_AND_PERMANENTLY,
                     &claims->dbgstat);
        return TK_EAT_HAS_DBGSTAT;
    case TK_EAT_KEY_LOCATION:
        get_location(ctx, &claims->location_raw);
        return TK_EAT_HAS_LOCATION;
    case TK_EAT_KEY_PROFILE:
        get_profile(ctx, claims);
        return TK_EAT_HAS_PROFILE;
    case TK_EAT_KEY_SUBMODS:
        get_submods(ctx, claims, depth);
        return TK_EAT_HAS_SUBMODS;
    case TK_EAT_KEY_BOOTCOUNT:
        tk_cbor_dec_get_uint(dec, &claims->bootcount);
        return TK_EAT_HAS_BOOTCOUNT;
    case TK_EAT_KEY_BOOTSEED:
        get_bstr_sized(ctx, BOOTSEED_MIN, BOOTSEED_MAX, &claims->bootseed);
        return TK_EAT_HAS_BOOTSEED;
    case TK_EAT_KEY_DLOAS:
        get_dloas(ctx, &claims->dloas_raw);
        return TK_EAT_HAS_DLOAS;
    case TK_EAT_KEY_SWNAME:
        tk_cbor_dec_get_tstr(dec, &claims->swname);
        return TK_EAT_HAS_SWNAME;
    case TK_EAT_KEY_SWVERSION:
        get_version(ctx, &claims->swversion);
        return TK_EAT_HAS_SWVERSION;
    case TK_EAT_KEY_MANIFESTS:
        get_format_list(ctx, claims->manifests, TK_EAT_MAX_MANIFESTS,
                        &claims->manifest_count);
        return TK_EAT_HAS_MANIFESTS;
    case TK_EAT_KEY_MEASUREMENTS:
        get_format_list(ctx, claims->measurements, TK_EAT_MAX_MEASUREMENTS,
                        &claims->measurement_count);
        return TK_EAT_HAS_MEASUREMENTS;
    case TK_EAT_KEY_MEASRES:
        get_measres(ctx, &claims->measres_raw);
        return TK_EAT_HAS_MEASRES;
    case TK_EAT_KEY_INTUSE:
        get_uint_max(ctx, 5, &claims->intuse);
        return TK_EAT_HAS_INTUSE;
    default:
        skip_checked(ctx, NULL);
        claims->unknown_count++;
        return 0;
    }
}

/*
 * Decodes one claims map at the decoder's position into claims. Integer
 * keys are claims; text keys (private claims of JSON origin) are skipped.
 * Known claims are tracked by their presence bits, other keys in a key
 * table, so a key given twice is rejected even in two encodings.
 */
static tk_err decode_claims_map(claims_ctx *ctx, tk_eat_claims *claims,
                                unsigned depth)
{
    tk_cbor_dec *dec = ctx->dec;
    uint32_t seen = 0;
    size_t entries = 0;
    key_table others;
    others.count = 0;
    memset(claims, 0, sizeof(*claims));
    tk_cbor_dec_enter_map(dec, NULL);
    while (tk_cbor_dec_more(dec)) {
        if (++entries > TK_EAT_MAX_CLAIMS)
            return tk_cbor_dec_fail(dec, TK_ERR_EAT_TOO_MANY);
        int64_t key;
        tk_view text;
        if (get_key(ctx, &key, &text) != TK_OK)
            break;
        if (text.ptr != NULL) {
            if (add_key(ctx, &others, 0, text) != TK_OK)
                break;
            skip_checked(ctx, NULL);
            claims->unknown_count++;
            continue;
        }
        uint32_t bit = decode_claim(ctx, claims, key, depth);
        if (tk_cbor_dec_error(dec) != TK_OK)
            break;
        if (bit == 0 && add_key(ctx, &others, key, text) != TK_OK)
            break;
        if ((seen & bit) != 0)
            return tk_cbor_dec_fail(dec, TK_ERR_EAT_DUPLICATE_CLAIM);
        seen |= bit;
    }
    claims->present = seen;
    return tk_cbor_dec_exit(dec);
}

/* Checks the encoding rules of the TEEP profile over the whole claims set:
 * definite lengths only and no tags (preferred serialization is checked by
 * the decoder flags). */
static tk_err check_teep_encoding(const uint8_t *buf, size_t len,
                                  size_t *err_offset)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_init(&dec, buf, len, TK_CBOR_CHECK_PREFERRED);
    while (err == TK_OK) {
        err = tk_cbor_dec_next(&dec, &item);
        if (err != TK_OK)
            break;
        if (item.type == TK_CBOR_TAG)
            err = tk_cbor_dec_fail(&dec, TK_ERR_EAT_TAG_IN_CLAIMS);
        else if ((item.flags & TK_CBOR_ITEM_INDEFINITE) != 0)
            err = tk_cbor_dec_fail(&dec, TK_ERR_EAT_INDEFINITE_LENGTH);
        if (err != TK_OK) {
            *err_offset = item.offset;
            return err;
        }
    }
    if (err == TK_ERR_CBOR_END)
        err = tk_cbor_dec_finish(&dec);
    if (err != TK_OK)
        *err_offset = tk_cbor_dec_error_offset(&dec);
    return tk_eat_map_cbor_error(err);
}

tk_err tk_eat_decode_claims(const uint8_t *buf, size_t len, uint32_t flags,
                            tk_eat_claims *claims, size_t *err_offset)
{
    size_t offset = 0;
    if (err_offset != NULL)
        *err_offset = 0;
    if (claims == NULL || (buf == NULL && len > 0))
        return TK_ERR_INVALID_ARG;
    memset(claims, 0, sizeof(*claims));

    tk_err err = TK_OK;
    if ((flags & TK_EAT_PROFILE_TEEP) != 0)
        err = check_teep_encoding(buf, len, &offset);

    tk_cbor_dec dec;
    tk_eat_claims nested;
    claims_ctx ctx = {&dec, buf, flags, &nested};
    uint32_t cflags = TK_CBOR_CHECK_UTF8;
    if ((flags & TK_EAT_PROFILE_TEEP) != 0)
        cflags |= TK_CBOR_CHECK_PREFERRED;
    if (err == TK_OK) {
        tk_cbor_item top;
        tk_cbor_dec_init(&dec, buf, len, cflags);
        if (tk_cbor_dec_peek(&dec, &top) == TK_OK && top.type != TK_CBOR_MAP)
            tk_cbor_dec_fail(&dec, TK_ERR_EAT_MALFORMED);
        decode_claims_map(&ctx, claims, 0);
        err = tk_cbor_dec_finish(&dec);
        offset = tk_cbor_dec_error_offset(&dec);
        err = tk_eat_map_cbor_error(err);
    }
    if (err == TK_OK && (flags & TK_EAT_PROFILE_TEEP) != 0 &&
        (claims->present & TK_EAT_TEEP_REQUIRED) != TK_EAT_TEEP_REQUIRED)
        err = TK_ERR_EAT_MISSING_CLAIM;
    if (err != TK_OK) {
        memset(claims, 0, sizeof(*claims));
        if (err_offset != NULL)
            *err_offset = offset;
    }
    return err;
}
