/*
 * SUIT report checks of the TAM (draft-ietf-teep-protocol, "Handling a
 * Success or Error Message"): the suit-report-nonce of every report must
 * equal the token of the request that the message replies to.
 */
#include "teep_internal.h"

/* suit-report-nonce (draft-ietf-suit-report section 4). */
#define SUIT_REPORT_NONCE 2

/* Reads the nonce of the SUIT_Report map in report. */
static tk_err read_nonce(tk_view report, bool *has_nonce, tk_view *nonce)
{
    tk_cbor_dec dec;
    *has_nonce = false;
    tk_cbor_dec_init(&dec, report.ptr, report.len, TK_CBOR_CHECK_DUP_KEYS);
    tk_cbor_dec_enter_map(&dec, NULL);
    tk_err err = tk_cbor_dec_map_find(&dec, SUIT_REPORT_NONCE);
    if (err == TK_OK) {
        tk_cbor_dec_get_bstr(&dec, nonce);
        *has_nonce = true;
    }
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return TK_ERR_TEEP_REPORT_MALFORMED;
    return TK_OK;
}

/*
 * Finds the SUIT_Report map of one suit-reports entry: the entry itself
 * when unprotected, else the payload of its COSE_Sign1 or COSE_Mac0 (tag
 * 18 or 17, or untagged).
 */
static tk_err report_map(tk_view entry, tk_view *map)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_cbor_dec_init(&dec, entry.ptr, entry.len, 0);
    if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
        return TK_ERR_TEEP_REPORT_MALFORMED;
    if (item.type == TK_CBOR_MAP) {
        *map = entry;
        return TK_OK;
    }
    if (item.type == TK_CBOR_TAG) {
        if (item.value != TK_COSE_TYPE_SIGN1 && item.value != TK_COSE_TYPE_MAC0)
            return TK_ERR_TEEP_REPORT_MALFORMED;
        uint64_t tag;
        tk_cbor_dec_get_tag(&dec, &tag);
    }
    tk_cbor_dec_enter_array(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_get_bstr(&dec, map);
    tk_cbor_dec_skip(&dec, NULL);
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return TK_ERR_TEEP_REPORT_MALFORMED;
    /* NOTE: an encrypted report (COSE_Encrypt0 payload) cannot be read
     * here, so it is rejected as malformed rather than passed unchecked. */
    tk_cbor_dec_init(&dec, map->ptr, map->len, 0);
    if (tk_cbor_dec_peek(&dec, &item) != TK_OK || item.type != TK_CBOR_MAP)
        return TK_ERR_TEEP_REPORT_MALFORMED;
    return TK_OK;
}

tk_err tk_teep_check_reports(const tk_teep_message *msg, tk_view token)
{
    for (size_t i = 0; i < msg->report_count; i++) {
        tk_view map;
        tk_view nonce = {NULL, 0};
        bool has_nonce;
        tk_err err = report_map(msg->suit_reports[i], &map);
        if (err == TK_OK)
            err = read_nonce(map, &has_nonce, &nonce);
        if (err != TK_OK)
            return err;
        if (!has_nonce && token.len > 0)
            return TK_ERR_TEEP_REPORT_NONCE;
        if (has_nonce && !tk_teep_view_equal(nonce, token))
            return TK_ERR_TEEP_REPORT_NONCE;
    }
    return TK_OK;
}
