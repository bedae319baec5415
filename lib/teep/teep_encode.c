/*
 * TEEP message encoder, cipher suite helpers and the tc-list entry codec.
 *
 * Messages are written in preferred serialization with definite lengths.
 * The options map starts with the token and continues in ascending label
 * order, which reproduces the examples of draft-ietf-teep-protocol
 * Appendix D byte for byte.
 */
#include <string.h>

#include "teep_internal.h"

const tk_teep_profile tk_teep_default_profiles[4] = {
    {4, {TK_ALG_SHA256, TK_ALG_ESP256, -29, TK_ALG_A128CTR}},
    {4, {TK_ALG_SHA256, TK_ALG_ED25519, -29, TK_ALG_A128CTR}},
    {4, {TK_ALG_SHA256, TK_ALG_ESP256, -29, TK_ALG_A128GCM}},
    {4, {TK_ALG_SHA256, TK_ALG_ED25519, -29, TK_ALG_CHACHA20_POLY1305}},
};

tk_alg tk_teep_current_alg(tk_alg alg, bool strict)
{
    if (strict)
        return alg;
    if (alg == TK_ALG_ES256)
        return TK_ALG_ESP256;
    if (alg == TK_ALG_EDDSA)
        return TK_ALG_ED25519;
    return alg;
}

bool tk_teep_alg_mandatory(tk_alg alg, bool strict)
{
    tk_alg current = tk_teep_current_alg(alg, strict);
    return current == TK_ALG_ESP256 || current == TK_ALG_ED25519;
}

void tk_teep_suite_sign1(tk_teep_suite *suite, tk_alg alg)
{
    memset(suite, 0, sizeof(*suite));
    suite->count = 1;
    suite->ops[0].cose_type = TK_TEEP_COSE_SIGN1;
    suite->ops[0].alg = alg;
}

tk_alg tk_teep_suite_alg(const tk_teep_suite *suite, bool strict)
{
    if (suite == NULL || suite->count != 1 ||
        suite->ops[0].cose_type != TK_TEEP_COSE_SIGN1)
        return TK_ALG_NONE;
    int64_t alg = suite->ops[0].alg;
    if (alg < INT32_MIN || alg > INT32_MAX)
        return TK_ALG_NONE;
    return tk_teep_current_alg((tk_alg)alg, strict);
}

bool tk_teep_suite_equal(const tk_teep_suite *a, const tk_teep_suite *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count && i < TK_TEEP_MAX_SUITE_OPS; i++)
        if (a->ops[i].cose_type != b->ops[i].cose_type ||
            a->ops[i].alg != b->ops[i].alg)
            return false;
    return true;
}

static bool size_in(tk_view v, size_t min, size_t max)
{
    return v.len >= min && v.len <= max && v.ptr != NULL;
}

/* Checks the sizes and counts the protocol fixes before anything is
 * written, so that the encoder never emits a message a peer must reject. */
static tk_err check_message(const tk_teep_message *m)
{
    uint32_t allowed = tk_teep_allowed_options(m->type);
    if (allowed == 0)
        return TK_ERR_TEEP_UNKNOWN_TYPE;
    if ((m->present & ~allowed) != 0)
        return TK_ERR_TEEP_BAD_OPTION;
    if (TK_TEEP_HAS(m, TK_TEEP_LABEL_TOKEN) &&
        !size_in(m->token, TK_TEEP_TOKEN_MIN, TK_TEEP_TOKEN_MAX))
        return TK_ERR_TEEP_BAD_OPTION;
    if (TK_TEEP_HAS(m, TK_TEEP_LABEL_CHALLENGE) &&
        !size_in(m->challenge, TK_TEEP_CHALLENGE_MIN, TK_TEEP_CHALLENGE_MAX))
        return TK_ERR_TEEP_BAD_OPTION;
    if (TK_TEEP_HAS(m, TK_TEEP_LABEL_MSG) &&
        !size_in(m->msg, 1, TK_TEEP_MSG_MAX))
        return TK_ERR_TEEP_BAD_OPTION;
    if (TK_TEEP_HAS(m, TK_TEEP_LABEL_ERR_MSG) &&
        !size_in(m->err_msg, 1, TK_TEEP_MSG_MAX))
        return TK_ERR_TEEP_BAD_OPTION;
    if (TK_TEEP_HAS(m, TK_TEEP_LABEL_ERR_LANG) &&
        !size_in(m->err_lang, 1, TK_TEEP_LANG_MAX))
        return TK_ERR_TEEP_BAD_OPTION;
    bool has_code =
        m->type == TK_TEEP_ERROR || TK_TEEP_HAS(m, TK_TEEP_LABEL_ERR_CODE);
    if (has_code && m->err_code == 0)
        return TK_ERR_TEEP_BAD_ERR_CODE;
    if (m->version_count > TK_TEEP_MAX_VERSIONS ||
        m->suite_count > TK_TEEP_MAX_SUITES ||
        m->profile_count > TK_TEEP_MAX_PROFILES ||
        m->freshness_count > TK_TEEP_MAX_FRESHNESS ||
        m->ext_count > TK_TEEP_MAX_EXTENSIONS ||
        m->tc_count > TK_TEEP_MAX_TC_LIST ||
        m->requested_count > TK_TEEP_MAX_REQUESTED_TC ||
        m->unneeded_count > TK_TEEP_MAX_UNNEEDED ||
        m->manifest_count > TK_TEEP_MAX_MANIFESTS ||
        m->report_count > TK_TEEP_MAX_SUIT_REPORTS)
        return TK_ERR_TEEP_TOO_MANY;
    for (size_t i = 0; i < m->suite_count; i++)
        if (m->suites[i].count == 0 ||
            m->suites[i].count > TK_TEEP_MAX_SUITE_OPS)
            return TK_ERR_TEEP_BAD_OPTION;
    for (size_t i = 0; i < m->profile_count; i++)
        if (m->profiles[i].count == 0 ||
            m->profiles[i].count > TK_TEEP_MAX_PROFILE_ALGS)
            return TK_ERR_TEEP_BAD_OPTION;
    return TK_OK;
}

static void put_view_bstr(tk_cbor_enc *enc, tk_view v)
{
    tk_cbor_enc_put_bstr(enc, v.ptr, v.len);
}

static void put_view_tstr(tk_cbor_enc *enc, tk_view v)
{
    tk_cbor_enc_put_tstr(enc, (const char *)v.ptr, v.len);
}

static void put_raw(tk_cbor_enc *enc, tk_view v)
{
    tk_cbor_enc_put_raw(enc, v.ptr, v.len);
}

static void put_u32_list(tk_cbor_enc *enc, const uint32_t *list, size_t count)
{
    tk_cbor_enc_put_array(enc, count);
    for (size_t i = 0; i < count; i++)
        tk_cbor_enc_put_uint(enc, list[i]);
}

static void put_suites(tk_cbor_enc *enc, const tk_teep_message *m)
{
    tk_cbor_enc_put_array(enc, m->suite_count);
    for (size_t i = 0; i < m->suite_count; i++) {
        const tk_teep_suite *suite = &m->suites[i];
        tk_cbor_enc_put_array(enc, suite->count);
        for (size_t j = 0; j < suite->count; j++) {
            tk_cbor_enc_put_array(enc, 2);
            tk_cbor_enc_put_int(enc, suite->ops[j].cose_type);
            tk_cbor_enc_put_int(enc, suite->ops[j].alg);
        }
    }
}

static void put_profiles(tk_cbor_enc *enc, const tk_teep_message *m)
{
    tk_cbor_enc_put_array(enc, m->profile_count);
    for (size_t i = 0; i < m->profile_count; i++) {
        const tk_teep_profile *profile = &m->profiles[i];
        tk_cbor_enc_put_array(enc, profile->count);
        for (size_t j = 0; j < profile->count; j++)
            tk_cbor_enc_put_int(enc, profile->algs[j]);
    }
}

static void put_requested(tk_cbor_enc *enc, const tk_teep_message *m)
{
    tk_cbor_enc_put_array(enc, m->requested_count);
    for (size_t i = 0; i < m->requested_count; i++) {
        const tk_teep_requested_tc *tc = &m->requested[i];
        uint64_t pairs =
            1u + (tc->has_sequence ? 1u : 0u) + (tc->has_have_binary ? 1u : 0u);
        tk_cbor_enc_put_map(enc, pairs);
        tk_cbor_enc_put_uint(enc, TK_TEEP_LABEL_COMPONENT_ID);
        put_raw(enc, tc->component_id);
        if (tc->has_sequence) {
            tk_cbor_enc_put_uint(enc,
                                 TK_TEEP_LABEL_TC_MANIFEST_SEQUENCE_NUMBER);
            tk_cbor_enc_put_uint(enc, tc->sequence);
        }
        if (tc->has_have_binary) {
            tk_cbor_enc_put_uint(enc, TK_TEEP_LABEL_HAVE_BINARY);
            tk_cbor_enc_put_bool(enc, tc->have_binary);
        }
    }
}

static void put_views(tk_cbor_enc *enc, const tk_view *list, size_t count,
                      bool as_bstr)
{
    tk_cbor_enc_put_array(enc, count);
    for (size_t i = 0; i < count; i++) {
        if (as_bstr)
            put_view_bstr(enc, list[i]);
        else
            put_raw(enc, list[i]);
    }
}

/* Writes the value of option label. */
static void put_option(tk_cbor_enc *enc, const tk_teep_message *m,
                       unsigned label)
{
    switch (label) {
    case TK_TEEP_LABEL_TOKEN:
        put_view_bstr(enc, m->token);
        break;
    case TK_TEEP_LABEL_CHALLENGE:
        put_view_bstr(enc, m->challenge);
        break;
    case TK_TEEP_LABEL_VERSIONS:
        put_u32_list(enc, m->versions, m->version_count);
        break;
    case TK_TEEP_LABEL_SUPPORTED_FRESHNESS:
        put_u32_list(enc, m->freshness, m->freshness_count);
        break;
    case TK_TEEP_LABEL_EXT_LIST:
        put_u32_list(enc, m->ext_list, m->ext_count);
        break;
    case TK_TEEP_LABEL_SELECTED_VERSION:
        tk_cbor_enc_put_uint(enc, m->selected_version);
        break;
    case TK_TEEP_LABEL_ATTESTATION_FORMAT:
        put_view_tstr(enc, m->attestation_format);
        break;
    case TK_TEEP_LABEL_ATTESTATION_PAYLOAD:
        put_view_bstr(enc, m->attestation_payload);
        break;
    case TK_TEEP_LABEL_SUIT_REPORTS:
        put_views(enc, m->suit_reports, m->report_count, true);
        break;
    case TK_TEEP_LABEL_MANIFEST_LIST:
        put_views(enc, m->manifests, m->manifest_count, true);
        break;
    case TK_TEEP_LABEL_TC_LIST:
        put_views(enc, m->tc_list, m->tc_count, false);
        break;
    case TK_TEEP_LABEL_UNNEEDED_MANIFEST_LIST:
        put_views(enc, m->unneeded, m->unneeded_count, false);
        break;
    case TK_TEEP_LABEL_REQUESTED_TC_LIST:
        put_requested(enc, m);
        break;
    case TK_TEEP_LABEL_MSG:
        put_view_tstr(enc, m->msg);
        break;
    case TK_TEEP_LABEL_ERR_MSG:
        put_view_tstr(enc, m->err_msg);
        break;
    case TK_TEEP_LABEL_ERR_LANG:
        put_view_tstr(enc, m->err_lang);
        break;
    case TK_TEEP_LABEL_ERR_CODE:
        tk_cbor_enc_put_uint(enc, m->err_code);
        break;
    case TK_TEEP_LABEL_SUPPORTED_SUITES:
        put_suites(enc, m);
        break;
    case TK_TEEP_LABEL_SUPPORTED_PROFILES:
        put_profiles(enc, m);
        break;
    default:
        break;
    }
}

tk_err tk_teep_encode(const tk_teep_message *msg, uint8_t *buf, size_t cap,
                      size_t *len)
{
    if (msg == NULL || len == NULL || (buf == NULL && cap > 0))
        return TK_ERR_INVALID_ARG;
    *len = 0;
    tk_err err = check_message(msg);
    if (err != TK_OK)
        return err;

    uint32_t present = msg->present;
    uint64_t pairs = 0;
    for (unsigned label = 0; label < 32; label++)
        pairs += (present >> label) & 1u;
    uint64_t items = 2;
    if (msg->type == TK_TEEP_QUERY_REQUEST)
        items = 5;
    else if (msg->type == TK_TEEP_ERROR)
        items = 3;

    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, buf, cap, 0);
    tk_cbor_enc_put_array(&enc, items);
    tk_cbor_enc_put_uint(&enc, msg->type);
    tk_cbor_enc_put_map(&enc, pairs);
    if (TK_TEEP_HAS(msg, TK_TEEP_LABEL_TOKEN)) {
        tk_cbor_enc_put_uint(&enc, TK_TEEP_LABEL_TOKEN);
        put_option(&enc, msg, TK_TEEP_LABEL_TOKEN);
    }
    for (unsigned label = 0; label < 32; label++) {
        if (label == TK_TEEP_LABEL_TOKEN || ((present >> label) & 1u) == 0)
            continue;
        tk_cbor_enc_put_uint(&enc, label);
        put_option(&enc, msg, label);
    }
    if (msg->type == TK_TEEP_QUERY_REQUEST) {
        put_suites(&enc, msg);
        put_profiles(&enc, msg);
        tk_cbor_enc_put_uint(&enc, msg->data_items);
    } else if (msg->type == TK_TEEP_ERROR) {
        tk_cbor_enc_put_uint(&enc, msg->err_code);
    }
    err = tk_cbor_enc_finish(&enc, len);
    if (err == TK_OK || err == TK_ERR_BUFFER_TOO_SMALL)
        return err;
    *len = 0;
    /* A raw member (component id, tc-list entry) that is not one item. */
    return TK_ERR_TEEP_BAD_OPTION;
}

/* ---------------------------------------------------------------------- */
/* tc-list entries                                                        */
/* ---------------------------------------------------------------------- */

/* Keys of system-property-claims: system-component-id and the SUIT
 * parameters vendor id, class id, image digest and image size. */
enum {
    TC_KEY_COMPONENT_ID = 0,
    TC_KEY_VENDOR_ID = 1,
    TC_KEY_CLASS_ID = 2,
    TC_KEY_IMAGE_DIGEST = 3,
    TC_KEY_IMAGE_SIZE = 14
};

tk_err tk_teep_tc_info_decode(tk_view entry, tk_teep_tc_info *info)
{
    if (info == NULL || (entry.ptr == NULL && entry.len > 0))
        return TK_ERR_INVALID_ARG;
    memset(info, 0, sizeof(*info));
    tk_cbor_dec dec;
    bool has_id = false;
    tk_cbor_dec_init(&dec, entry.ptr, entry.len, TK_CBOR_CHECK_DUP_KEYS);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        int64_t key;
        if (tk_cbor_dec_get_label(&dec, &key) != TK_OK)
            break;
        switch (key) {
        case TC_KEY_COMPONENT_ID:
            tk_cbor_dec_skip(&dec, &info->component_id);
            has_id = true;
            break;
        case TC_KEY_VENDOR_ID:
            tk_cbor_dec_get_bstr(&dec, &info->vendor_id);
            break;
        case TC_KEY_CLASS_ID:
            tk_cbor_dec_get_bstr(&dec, &info->class_id);
            break;
        case TC_KEY_IMAGE_DIGEST:
            tk_cbor_dec_get_bstr(&dec, &info->image_digest);
            break;
        case TC_KEY_IMAGE_SIZE:
            tk_cbor_dec_get_uint(&dec, &info->image_size);
            info->has_image_size = true;
            break;
        case TK_TEEP_TC_SEQUENCE_KEY:
            tk_cbor_dec_get_uint(&dec, &info->sequence);
            info->has_sequence = true;
            break;
        default:
            tk_cbor_dec_skip(&dec, NULL);
            break;
        }
    }
    tk_cbor_dec_exit(&dec);
    tk_err err = tk_cbor_dec_finish(&dec);
    if (err == TK_OK && !has_id)
        err = TK_ERR_TEEP_BAD_OPTION;
    if (err == TK_ERR_CBOR_DUP_KEY)
        err = TK_ERR_TEEP_DUPLICATE_OPTION;
    else if (err != TK_OK)
        err = TK_ERR_TEEP_BAD_OPTION;
    if (err != TK_OK)
        memset(info, 0, sizeof(*info));
    return err;
}

tk_err tk_teep_tc_info_encode(const tk_teep_tc_info *info, uint8_t *buf,
                              size_t cap, size_t *len)
{
    if (info == NULL || len == NULL || (buf == NULL && cap > 0) ||
        info->component_id.len == 0)
        return TK_ERR_INVALID_ARG;
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, buf, cap, 0);
    /* Keys in deterministic order: 0, 1, 2, 3, 14, then -257. */
    tk_cbor_enc_map_begin(&enc);
    tk_cbor_enc_put_uint(&enc, TC_KEY_COMPONENT_ID);
    put_raw(&enc, info->component_id);
    if (info->vendor_id.len > 0) {
        tk_cbor_enc_put_uint(&enc, TC_KEY_VENDOR_ID);
        put_view_bstr(&enc, info->vendor_id);
    }
    if (info->class_id.len > 0) {
        tk_cbor_enc_put_uint(&enc, TC_KEY_CLASS_ID);
        put_view_bstr(&enc, info->class_id);
    }
    if (info->image_digest.len > 0) {
        tk_cbor_enc_put_uint(&enc, TC_KEY_IMAGE_DIGEST);
        put_view_bstr(&enc, info->image_digest);
    }
    if (info->has_image_size) {
        tk_cbor_enc_put_uint(&enc, TC_KEY_IMAGE_SIZE);
        tk_cbor_enc_put_uint(&enc, info->image_size);
    }
    if (info->has_sequence) {
        tk_cbor_enc_put_int(&enc, TK_TEEP_TC_SEQUENCE_KEY);
        tk_cbor_enc_put_uint(&enc, info->sequence);
    }
    tk_cbor_enc_map_end(&enc);
    tk_err err = tk_cbor_enc_finish(&enc, len);
    if (err == TK_OK || err == TK_ERR_BUFFER_TOO_SMALL)
        return err;
    *len = 0;
    return TK_ERR_TEEP_BAD_OPTION;
}
