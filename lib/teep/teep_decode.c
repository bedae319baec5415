/*
 * TEEP message decoder (draft-ietf-teep-protocol section 4 and its CDDL).
 *
 * The CBOR pull decoder keeps the first error with its offset. Each value
 * parser reads what the CDDL requires, records a semantic problem with
 * tk_cbor_dec_fail() and returns. The option loop stops at the first
 * error.
 *
 * Duplicate keys are rejected in every map inside the message. The maps
 * parsed here (the options map and requested-tc-info) track their own
 * labels as integers, so two encodings of one label are caught too.
 * Maps kept raw or skipped (tc-list entries, unknown option values) are
 * checked with tk_cbor_validate() and TK_CBOR_CHECK_DUP_KEYS.
 */
#include <string.h>

#include "teep_internal.h"

typedef struct teep_dec {
    tk_cbor_dec *cbor;
    const uint8_t *buf;
    tk_teep_message *msg;
} teep_dec;

uint32_t tk_teep_allowed_options(uint32_t type)
{
    const uint32_t common = TK_TEEP_BIT(TK_TEEP_LABEL_TOKEN);
    switch (type) {
    case TK_TEEP_QUERY_REQUEST:
        return common | TK_TEEP_BIT(TK_TEEP_LABEL_SUPPORTED_FRESHNESS) |
               TK_TEEP_BIT(TK_TEEP_LABEL_CHALLENGE) |
               TK_TEEP_BIT(TK_TEEP_LABEL_VERSIONS) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ATTESTATION_FORMAT) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ATTESTATION_PAYLOAD) |
               TK_TEEP_BIT(TK_TEEP_LABEL_SUIT_REPORTS);
    case TK_TEEP_QUERY_RESPONSE:
        return common | TK_TEEP_BIT(TK_TEEP_LABEL_SELECTED_VERSION) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ATTESTATION_FORMAT) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ATTESTATION_PAYLOAD) |
               TK_TEEP_BIT(TK_TEEP_LABEL_SUIT_REPORTS) |
               TK_TEEP_BIT(TK_TEEP_LABEL_TC_LIST) |
               TK_TEEP_BIT(TK_TEEP_LABEL_REQUESTED_TC_LIST) |
               TK_TEEP_BIT(TK_TEEP_LABEL_UNNEEDED_MANIFEST_LIST) |
               TK_TEEP_BIT(TK_TEEP_LABEL_EXT_LIST);
    case TK_TEEP_UPDATE:
        return common | TK_TEEP_BIT(TK_TEEP_LABEL_UNNEEDED_MANIFEST_LIST) |
               TK_TEEP_BIT(TK_TEEP_LABEL_MANIFEST_LIST) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ATTESTATION_FORMAT) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ATTESTATION_PAYLOAD) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ERR_CODE) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ERR_MSG) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ERR_LANG);
    case TK_TEEP_SUCCESS:
        return common | TK_TEEP_BIT(TK_TEEP_LABEL_MSG) |
               TK_TEEP_BIT(TK_TEEP_LABEL_SUIT_REPORTS);
    case TK_TEEP_ERROR:
        return common | TK_TEEP_BIT(TK_TEEP_LABEL_ERR_MSG) |
               TK_TEEP_BIT(TK_TEEP_LABEL_ERR_LANG) |
               TK_TEEP_BIT(TK_TEEP_LABEL_SUPPORTED_SUITES) |
               TK_TEEP_BIT(TK_TEEP_LABEL_SUPPORTED_FRESHNESS) |
               TK_TEEP_BIT(TK_TEEP_LABEL_SUPPORTED_PROFILES) |
               TK_TEEP_BIT(TK_TEEP_LABEL_CHALLENGE) |
               TK_TEEP_BIT(TK_TEEP_LABEL_VERSIONS) |
               TK_TEEP_BIT(TK_TEEP_LABEL_SUIT_REPORTS);
    default:
        return 0;
    }
}

bool tk_teep_type_known(uint32_t type)
{
    return tk_teep_allowed_options(type) != 0;
}

bool tk_teep_view_equal(tk_view a, tk_view b)
{
    if (a.len != b.len)
        return false;
    return a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Maps the decoder's kept error to the TEEP code that names it. */
static tk_err map_error(tk_err err)
{
    switch (err) {
    case TK_ERR_CBOR_DUP_KEY:
        return TK_ERR_TEEP_DUPLICATE_OPTION;
    case TK_ERR_CBOR_TYPE:
    case TK_ERR_CBOR_NO_MORE:
    case TK_ERR_CBOR_INT_RANGE:
    case TK_ERR_CBOR_CHUNKED:
    case TK_ERR_CBOR_BAD_UTF8:
        return TK_ERR_TEEP_BAD_OPTION;
    case TK_ERR_CBOR_BAD_MAP_LABEL:
        return TK_ERR_TEEP_BAD_LABEL;
    default:
        break;
    }
    /* The rest of the cbor range of teepkit/error.h: malformed CBOR. */
    if ((int)err >= 20 && (int)err < 60)
        return TK_ERR_TEEP_MALFORMED;
    return err;
}

static tk_err bad_option(teep_dec *d)
{
    return tk_cbor_dec_fail(d->cbor, TK_ERR_TEEP_BAD_OPTION);
}

static tk_err too_many(teep_dec *d)
{
    return tk_cbor_dec_fail(d->cbor, TK_ERR_TEEP_TOO_MANY);
}

static tk_cbor_type peek_type(teep_dec *d)
{
    tk_cbor_item item;
    if (tk_cbor_dec_peek(d->cbor, &item) != TK_OK)
        return TK_CBOR_UNDEFINED;
    return item.type;
}

/* Checks a value kept raw or skipped: a container must hold no duplicate
 * map keys anywhere inside. */
static tk_err check_raw(teep_dec *d, tk_view raw)
{
    if (raw.len == 0 || (raw.ptr[0] >> 5) < 4)
        return tk_cbor_dec_error(d->cbor);
    tk_err err =
        tk_cbor_validate(raw.ptr, raw.len, TK_CBOR_CHECK_DUP_KEYS, NULL);
    if (err != TK_OK)
        return tk_cbor_dec_fail(d->cbor, map_error(err));
    return TK_OK;
}

/* Skips one value, checking it as check_raw() does; *raw (may be NULL)
 * receives its encoding. */
static tk_err skip_checked(teep_dec *d, tk_view *raw)
{
    tk_view value = {NULL, 0};
    if (tk_cbor_dec_skip(d->cbor, &value) != TK_OK)
        return tk_cbor_dec_error(d->cbor);
    if (raw != NULL)
        *raw = value;
    return check_raw(d, value);
}

/* Reads a map key that must be an unsigned integer (TEEP labels). */
static tk_err get_label(teep_dec *d, uint64_t *label)
{
    tk_cbor_item item;
    *label = 0;
    tk_err err = tk_cbor_dec_next(d->cbor, &item);
    if (err != TK_OK)
        return err;
    if (item.type != TK_CBOR_UINT)
        return tk_cbor_dec_fail(d->cbor, TK_ERR_TEEP_BAD_LABEL);
    *label = item.value;
    return TK_OK;
}

static tk_err get_bstr_sized(teep_dec *d, size_t min, size_t max, tk_view *out)
{
    tk_err err = tk_cbor_dec_get_bstr(d->cbor, out);
    if (err == TK_OK && (out->len < min || out->len > max))
        return bad_option(d);
    return err;
}

static tk_err get_tstr_sized(teep_dec *d, size_t min, size_t max, tk_view *out)
{
    tk_err err = tk_cbor_dec_get_tstr(d->cbor, out);
    if (err == TK_OK && (out->len < min || out->len > max))
        return bad_option(d);
    return err;
}

/* Reads an unsigned integer of at most 32 bits (uint .size 4). */
static tk_err get_u32(teep_dec *d, uint32_t *out)
{
    uint64_t value = 0;
    tk_err err = tk_cbor_dec_get_uint(d->cbor, &value);
    if (err == TK_OK && value > UINT32_MAX)
        return bad_option(d);
    *out = (uint32_t)value;
    return err;
}

/* Reads an array of 32-bit unsigned integers into list (capacity max). */
static tk_err get_u32_list(teep_dec *d, uint32_t *list, size_t max,
                           size_t *count)
{
    *count = 0;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        if (*count == max)
            return too_many(d);
        if (get_u32(d, &list[*count]) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        (*count)++;
    }
    return tk_cbor_dec_exit(d->cbor);
}

/* Reads an array of byte strings (their contents) into list. */
static tk_err get_bstr_list(teep_dec *d, tk_view *list, size_t max,
                            size_t *count)
{
    *count = 0;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        if (*count == max)
            return too_many(d);
        if (tk_cbor_dec_get_bstr(d->cbor, &list[*count]) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        (*count)++;
    }
    return tk_cbor_dec_exit(d->cbor);
}

/* Reads a SUIT_Component_Identifier, [* bstr], and sets *raw to its
 * encoding. */
static tk_err get_component_id(teep_dec *d, tk_view *raw)
{
    size_t start = tk_cbor_dec_offset(d->cbor);
    tk_view part;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor))
        if (tk_cbor_dec_get_bstr(d->cbor, &part) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
    tk_err err = tk_cbor_dec_exit(d->cbor);
    raw->ptr = d->buf + start;
    raw->len = tk_cbor_dec_offset(d->cbor) - start;
    return err;
}

/* Reads an array of SUIT_Component_Identifiers as raw encodings. */
static tk_err get_component_id_list(teep_dec *d, tk_view *list, size_t max,
                                    size_t *count)
{
    *count = 0;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        if (*count == max)
            return too_many(d);
        if (get_component_id(d, &list[*count]) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        (*count)++;
    }
    return tk_cbor_dec_exit(d->cbor);
}

/* Reads one cipher suite: [+ [cose-type, alg]]. */
static tk_err get_suite(teep_dec *d, tk_teep_suite *suite)
{
    suite->count = 0;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        if (suite->count == TK_TEEP_MAX_SUITE_OPS)
            return too_many(d);
        tk_teep_operation *op = &suite->ops[suite->count];
        tk_cbor_dec_enter_array(d->cbor, NULL);
        tk_cbor_dec_get_int(d->cbor, &op->cose_type);
        tk_cbor_dec_get_int(d->cbor, &op->alg);
        if (tk_cbor_dec_more(d->cbor))
            return bad_option(d);
        if (tk_cbor_dec_exit(d->cbor) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        suite->count++;
    }
    if (suite->count == 0)
        return bad_option(d);
    return tk_cbor_dec_exit(d->cbor);
}

static tk_err get_suite_list(teep_dec *d)
{
    tk_teep_message *msg = d->msg;
    msg->suite_count = 0;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        if (msg->suite_count == TK_TEEP_MAX_SUITES)
            return too_many(d);
        if (get_suite(d, &msg->suites[msg->suite_count]) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        msg->suite_count++;
    }
    return tk_cbor_dec_exit(d->cbor);
}

/* Reads the SUIT COSE profiles: [+ [+ int]]. */
static tk_err get_profile_list(teep_dec *d)
{
    tk_teep_message *msg = d->msg;
    msg->profile_count = 0;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        if (msg->profile_count == TK_TEEP_MAX_PROFILES)
            return too_many(d);
        tk_teep_profile *profile = &msg->profiles[msg->profile_count];
        profile->count = 0;
        tk_cbor_dec_enter_array(d->cbor, NULL);
        while (tk_cbor_dec_more(d->cbor)) {
            if (profile->count == TK_TEEP_MAX_PROFILE_ALGS)
                return too_many(d);
            if (tk_cbor_dec_get_int(d->cbor, &profile->algs[profile->count]) !=
                TK_OK)
                return tk_cbor_dec_error(d->cbor);
            profile->count++;
        }
        if (profile->count == 0)
            return bad_option(d);
        if (tk_cbor_dec_exit(d->cbor) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        msg->profile_count++;
    }
    return tk_cbor_dec_exit(d->cbor);
}

/* Reads tc-list: an array of system-property-claims maps, kept raw. */
static tk_err get_tc_list(teep_dec *d)
{
    tk_teep_message *msg = d->msg;
    msg->tc_count = 0;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        if (msg->tc_count == TK_TEEP_MAX_TC_LIST)
            return too_many(d);
        if (peek_type(d) != TK_CBOR_MAP)
            return bad_option(d);
        if (skip_checked(d, &msg->tc_list[msg->tc_count]) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        msg->tc_count++;
    }
    return tk_cbor_dec_exit(d->cbor);
}

/* Reads one requested-tc-info map. */
static tk_err get_requested_tc(teep_dec *d, tk_teep_requested_tc *tc)
{
    bool has_id = false;
    uint64_t labels[TK_TEEP_MAX_OPTIONS];
    size_t label_count = 0;
    memset(tc, 0, sizeof(*tc));
    tk_cbor_dec_enter_map(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        uint64_t label = 0;
        if (get_label(d, &label) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        for (size_t i = 0; i < label_count; i++)
            if (labels[i] == label)
                return tk_cbor_dec_fail(d->cbor, TK_ERR_TEEP_DUPLICATE_OPTION);
        if (label_count == TK_TEEP_MAX_OPTIONS)
            return too_many(d);
        labels[label_count++] = label;
        if (label == TK_TEEP_LABEL_COMPONENT_ID) {
            get_component_id(d, &tc->component_id);
            has_id = true;
        } else if (label == TK_TEEP_LABEL_TC_MANIFEST_SEQUENCE_NUMBER) {
            tk_cbor_dec_get_uint(d->cbor, &tc->sequence);
            tc->has_sequence = true;
        } else if (label == TK_TEEP_LABEL_HAVE_BINARY) {
            tk_cbor_dec_get_bool(d->cbor, &tc->have_binary);
            tc->has_have_binary = true;
        } else {
            skip_checked(d, NULL);
        }
        if (tk_cbor_dec_error(d->cbor) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
    }
    /* component-id is required, and have-binary true needs the sequence
     * number (draft-ietf-teep-protocol section 4.3). */
    if (!has_id || (tc->have_binary && !tc->has_sequence))
        return bad_option(d);
    return tk_cbor_dec_exit(d->cbor);
}

static tk_err get_requested_list(teep_dec *d)
{
    tk_teep_message *msg = d->msg;
    msg->requested_count = 0;
    tk_cbor_dec_enter_array(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        if (msg->requested_count == TK_TEEP_MAX_REQUESTED_TC)
            return too_many(d);
        if (get_requested_tc(d, &msg->requested[msg->requested_count]) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        msg->requested_count++;
    }
    return tk_cbor_dec_exit(d->cbor);
}

/* Reads err-code. 0 is reserved. Values above 23 are kept as unknown
 * codes, because the protocol wants receivers to handle them gracefully. */
static tk_err get_err_code(teep_dec *d, uint32_t *code)
{
    tk_err err = get_u32(d, code);
    if (err == TK_OK && *code == 0)
        return tk_cbor_dec_fail(d->cbor, TK_ERR_TEEP_BAD_ERR_CODE);
    return err;
}

/* Reads the value of a label that the message's type defines. */
static tk_err get_option(teep_dec *d, uint64_t label)
{
    tk_teep_message *m = d->msg;
    switch (label) {
    case TK_TEEP_LABEL_TOKEN:
        return get_bstr_sized(d, TK_TEEP_TOKEN_MIN, TK_TEEP_TOKEN_MAX,
                              &m->token);
    case TK_TEEP_LABEL_CHALLENGE:
        return get_bstr_sized(d, TK_TEEP_CHALLENGE_MIN, TK_TEEP_CHALLENGE_MAX,
                              &m->challenge);
    case TK_TEEP_LABEL_VERSIONS:
        return get_u32_list(d, m->versions, TK_TEEP_MAX_VERSIONS,
                            &m->version_count);
    case TK_TEEP_LABEL_SUPPORTED_FRESHNESS:
        return get_u32_list(d, m->freshness, TK_TEEP_MAX_FRESHNESS,
                            &m->freshness_count);
    case TK_TEEP_LABEL_EXT_LIST:
        return get_u32_list(d, m->ext_list, TK_TEEP_MAX_EXTENSIONS,
                            &m->ext_count);
    case TK_TEEP_LABEL_SELECTED_VERSION:
        return get_u32(d, &m->selected_version);
    case TK_TEEP_LABEL_ATTESTATION_FORMAT:
        return tk_cbor_dec_get_tstr(d->cbor, &m->attestation_format);
    case TK_TEEP_LABEL_ATTESTATION_PAYLOAD:
        return tk_cbor_dec_get_bstr(d->cbor, &m->attestation_payload);
    case TK_TEEP_LABEL_SUIT_REPORTS:
        return get_bstr_list(d, m->suit_reports, TK_TEEP_MAX_SUIT_REPORTS,
                             &m->report_count);
    case TK_TEEP_LABEL_MANIFEST_LIST:
        return get_bstr_list(d, m->manifests, TK_TEEP_MAX_MANIFESTS,
                             &m->manifest_count);
    case TK_TEEP_LABEL_TC_LIST:
        return get_tc_list(d);
    case TK_TEEP_LABEL_REQUESTED_TC_LIST:
        return get_requested_list(d);
    case TK_TEEP_LABEL_UNNEEDED_MANIFEST_LIST:
        return get_component_id_list(d, m->unneeded, TK_TEEP_MAX_UNNEEDED,
                                     &m->unneeded_count);
    case TK_TEEP_LABEL_MSG:
        return get_tstr_sized(d, 1, TK_TEEP_MSG_MAX, &m->msg);
    case TK_TEEP_LABEL_ERR_MSG:
        return get_tstr_sized(d, 1, TK_TEEP_MSG_MAX, &m->err_msg);
    case TK_TEEP_LABEL_ERR_LANG:
        return get_tstr_sized(d, 1, TK_TEEP_LANG_MAX, &m->err_lang);
    case TK_TEEP_LABEL_ERR_CODE:
        return get_err_code(d, &m->err_code);
    case TK_TEEP_LABEL_SUPPORTED_SUITES:
        return get_suite_list(d);
    case TK_TEEP_LABEL_SUPPORTED_PROFILES:
        return get_profile_list(d);
    default:
        return skip_checked(d, NULL);
    }
}

/*
 * Reads the options map. allowed is the set of labels of the message's
 * type; for an unknown type it is only the token, so that the token can
 * be echoed. Labels are tracked to reject duplicates: 0..31 in a bit set,
 * larger ones in a list bounded by TK_TEEP_MAX_OPTIONS.
 */
static tk_err get_options(teep_dec *d, uint32_t allowed)
{
    uint32_t seen = 0;
    uint64_t large[TK_TEEP_MAX_OPTIONS];
    size_t large_count = 0;
    size_t entries = 0;
    tk_cbor_dec_enter_map(d->cbor, NULL);
    while (tk_cbor_dec_more(d->cbor)) {
        uint64_t label;
        if (++entries > TK_TEEP_MAX_OPTIONS)
            return too_many(d);
        if (get_label(d, &label) != TK_OK)
            return tk_cbor_dec_error(d->cbor);
        if (label < 32) {
            if ((seen & (1u << label)) != 0)
                return tk_cbor_dec_fail(d->cbor, TK_ERR_TEEP_DUPLICATE_OPTION);
            seen |= 1u << label;
        } else {
            for (size_t i = 0; i < large_count; i++)
                if (large[i] == label)
                    return tk_cbor_dec_fail(d->cbor,
                                            TK_ERR_TEEP_DUPLICATE_OPTION);
            large[large_count++] = label;
        }
        if (label < 32 && (allowed & (1u << label)) != 0) {
            if (get_option(d, label) != TK_OK)
                return tk_cbor_dec_error(d->cbor);
            d->msg->present |= 1u << label;
        } else {
            if (skip_checked(d, NULL) != TK_OK)
                return tk_cbor_dec_error(d->cbor);
            d->msg->unknown_count++;
        }
    }
    return tk_cbor_dec_exit(d->cbor);
}

/* Fails with TK_ERR_TEEP_MALFORMED when the message array has no item
 * left for a positional field. */
static tk_err require_field(teep_dec *d)
{
    if (tk_cbor_dec_error(d->cbor) != TK_OK)
        return tk_cbor_dec_error(d->cbor);
    if (!tk_cbor_dec_more(d->cbor))
        return tk_cbor_dec_fail(d->cbor, TK_ERR_TEEP_MALFORMED);
    return TK_OK;
}

/* Reads the fields that follow the options map in QueryRequest and
 * Error. */
static tk_err get_positional(teep_dec *d)
{
    tk_teep_message *m = d->msg;
    if (m->type == TK_TEEP_QUERY_REQUEST) {
        if (require_field(d) == TK_OK)
            get_suite_list(d);
        if (require_field(d) == TK_OK)
            get_profile_list(d);
        if (require_field(d) == TK_OK)
            get_u32(d, &m->data_items);
    } else if (m->type == TK_TEEP_ERROR) {
        if (require_field(d) == TK_OK)
            get_err_code(d, &m->err_code);
    }
    if (tk_cbor_dec_error(d->cbor) == TK_OK && tk_cbor_dec_more(d->cbor))
        return tk_cbor_dec_fail(d->cbor, TK_ERR_TEEP_MALFORMED);
    return tk_cbor_dec_error(d->cbor);
}

/* Clears msg except its type after a failed decode and returns the
 * mapped error with its offset. */
static tk_err decode_failed(tk_cbor_dec *cbor, tk_teep_message *msg,
                            size_t *err_offset)
{
    tk_err err = map_error(tk_cbor_dec_finish(cbor));
    uint32_t failed_type = msg->type;
    memset(msg, 0, sizeof(*msg));
    msg->type = failed_type;
    if (err_offset != NULL)
        *err_offset = tk_cbor_dec_error_offset(cbor);
    return err;
}

/* Keeps only the type and the token of a message of an unknown type, so
 * that an agent can echo the token in its Error. */
static tk_err unknown_type(tk_cbor_dec *cbor, tk_teep_message *msg)
{
    tk_view token = msg->token;
    uint32_t present = msg->present;
    uint32_t type = msg->type;
    memset(msg, 0, sizeof(*msg));
    msg->type = type;
    if (tk_cbor_dec_error(cbor) == TK_OK) {
        msg->token = token;
        msg->present = present & TK_TEEP_BIT(TK_TEEP_LABEL_TOKEN);
    }
    return TK_ERR_TEEP_UNKNOWN_TYPE;
}

tk_err tk_teep_decode(const uint8_t *buf, size_t len, tk_teep_message *msg,
                      size_t *err_offset)
{
    if (err_offset != NULL)
        *err_offset = 0;
    if (msg == NULL || (buf == NULL && len > 0))
        return TK_ERR_INVALID_ARG;
    memset(msg, 0, sizeof(*msg));

    /* The frame: an array starting with an unsigned type and a map. */
    tk_cbor_dec cbor;
    teep_dec d = {&cbor, buf, msg};
    tk_cbor_dec_init(&cbor, buf, len, TK_CBOR_CHECK_UTF8);
    if (peek_type(&d) != TK_CBOR_ARRAY)
        tk_cbor_dec_fail(&cbor, TK_ERR_TEEP_MALFORMED);
    tk_cbor_dec_enter_array(&cbor, NULL);
    uint64_t type = 0;
    if (tk_cbor_dec_error(&cbor) == TK_OK &&
        (!tk_cbor_dec_more(&cbor) || peek_type(&d) != TK_CBOR_UINT))
        tk_cbor_dec_fail(&cbor, TK_ERR_TEEP_MALFORMED);
    tk_cbor_dec_get_uint(&cbor, &type);
    msg->type = type > UINT32_MAX ? UINT32_MAX : (uint32_t)type;
    if (tk_cbor_dec_error(&cbor) == TK_OK &&
        (!tk_cbor_dec_more(&cbor) || peek_type(&d) != TK_CBOR_MAP))
        tk_cbor_dec_fail(&cbor, TK_ERR_TEEP_MALFORMED);
    if (tk_cbor_dec_error(&cbor) != TK_OK)
        return decode_failed(&cbor, msg, err_offset);

    if (!tk_teep_type_known(msg->type)) {
        get_options(&d, TK_TEEP_BIT(TK_TEEP_LABEL_TOKEN));
        return unknown_type(&cbor, msg);
    }
    get_options(&d, tk_teep_allowed_options(msg->type));
    get_positional(&d);
    tk_cbor_dec_exit(&cbor);
    if (tk_cbor_dec_finish(&cbor) != TK_OK)
        return decode_failed(&cbor, msg, err_offset);
    return TK_OK;
}
