/*
 * SUIT reports (draft-ietf-suit-report-18): the SUIT_Report of a run,
 * its COSE_Sign1 form, and a decoder for both.
 *
 * Encoding choices: a record without a component (a failure outside any
 * command, such as a bad signature) carries component index 0, section 0
 * and the byte offset in the envelope. The properties of a record are the
 * measured digest when the command computed one (as image-digest, key 3),
 * else the parameter the command consumed.
 */
#include "suit_internal.h"

/* SUIT_Report, SUIT_Reference and result labels. */
enum {
    REPORT_NONCE = 2,
    REPORT_RECORDS = 3,
    REPORT_RESULT = 4,
    REPORT_RESULT_CODE = 5,
    REPORT_RESULT_RECORD = 6,
    REPORT_RESULT_REASON = 7,
    REPORT_CAPABILITY = 8,
    REPORT_REFERENCE = 99
};

tk_suit_reason tk_suit_error_reason(tk_err err)
{
    int v = (int)err;
    if (err == TK_OK)
        return TK_SUIT_REASON_OK;
    if (v >= 20 && v < 60)
        return TK_SUIT_REASON_CBOR_PARSE;
    if (v >= 80 && v < 120)
        return TK_SUIT_REASON_COSE_UNSUPPORTED;
    switch (err) {
    case TK_ERR_SUIT_MALFORMED:
    case TK_ERR_SUIT_DUPLICATE_KEY:
    case TK_ERR_SUIT_MISSING_MEMBER:
        return TK_SUIT_REASON_CBOR_PARSE;
    case TK_ERR_SUIT_AUTH_PAYLOAD:
        return TK_SUIT_REASON_COSE_UNSUPPORTED;
    case TK_ERR_SUIT_ALG_UNSUPPORTED:
    case TK_ERR_SUIT_DIGEST_ALG:
    case TK_ERR_CRYPTO_UNSUPPORTED_ALG:
    case TK_ERR_SUIT_ENCRYPTION_INFO:
        return TK_SUIT_REASON_ALG_UNSUPPORTED;
    case TK_ERR_SUIT_SIGNATURE:
    case TK_ERR_SUIT_KEY_NOT_FOUND:
    case TK_ERR_SUIT_NO_SIGNATURE:
    case TK_ERR_SUIT_MANIFEST_DIGEST:
    case TK_ERR_SUIT_DELEGATION:
    case TK_ERR_SUIT_DELEGATION_EXPIRED:
    case TK_ERR_SUIT_DELEGATION_NOT_YET_VALID:
    case TK_ERR_SUIT_DELEGATION_NO_CLOCK:
    case TK_ERR_SUIT_NOT_VERIFIED:
    case TK_ERR_SUIT_DEPENDENCY_DIGEST:
    case TK_ERR_SUIT_DEPENDENCY_UNCHECKED:
        return TK_SUIT_REASON_UNAUTHORISED;
    case TK_ERR_SUIT_COMMAND_UNSUPPORTED:
    case TK_ERR_SUIT_COMMAND_NOT_ALLOWED:
    case TK_ERR_SUIT_UNKNOWN_MEMBER:
    case TK_ERR_SUIT_MANIFEST_VERSION:
        return TK_SUIT_REASON_COMMAND_UNSUPPORTED;
    case TK_ERR_SUIT_COMPONENT_INDEX:
    case TK_ERR_SUIT_COMPONENT_ABSENT:
    case TK_ERR_SUIT_NOT_DEPENDENCY:
        return TK_SUIT_REASON_COMPONENT_UNSUPPORTED;
    case TK_ERR_SUIT_COMPONENT_UNAUTHORIZED:
        return TK_SUIT_REASON_COMPONENT_UNAUTHORISED;
    case TK_ERR_SUIT_PARAMETER_UNSUPPORTED:
        return TK_SUIT_REASON_PARAMETER_UNSUPPORTED;
    case TK_ERR_SUIT_SEVERED_MISSING:
        return TK_SUIT_REASON_SEVERING_UNSUPPORTED;
    case TK_ERR_SUIT_VENDOR_ID:
    case TK_ERR_SUIT_CLASS_ID:
    case TK_ERR_SUIT_DEVICE_ID:
    case TK_ERR_SUIT_IMAGE_MISMATCH:
    case TK_ERR_SUIT_CONTENT_MISMATCH:
    case TK_ERR_SUIT_SLOT_MISMATCH:
    case TK_ERR_SUIT_ABORT:
    case TK_ERR_SUIT_TRY_EACH_FAILED:
    case TK_ERR_SUIT_ROLLBACK:
    case TK_ERR_SUIT_ROLLBACK_DIGEST:
    case TK_ERR_SUIT_PARAMETER_MISSING:
    case TK_ERR_SUIT_COMPONENT_VERSION:
    case TK_ERR_SUIT_EXPIRED:
    case TK_ERR_SUIT_BATTERY:
    case TK_ERR_SUIT_UPDATE_UNAUTHORIZED:
    case TK_ERR_SUIT_IMAGE_MATCHES:
    case TK_ERR_SUIT_IS_DEPENDENCY:
    case TK_ERR_SUIT_CONDITION_FAILED:
    case TK_ERR_SUIT_VENDOR_CLASS_REQUIRED:
        return TK_SUIT_REASON_CONDITION_FAILED;
    default:
        return TK_SUIT_REASON_OPERATION_FAILED;
    }
}

/* Writes the properties map of a record. */
static void properties_put(tk_cbor_enc *enc, const tk_suit_record *rec)
{
    if (rec->measured_len > 0) {
        tk_cbor_enc_put_map(enc, 1);
        tk_cbor_enc_put_int(enc, TK_SUIT_PARAM_IMAGE_DIGEST);
        tk_cbor_enc_bstr_wrap_begin(enc);
        tk_cbor_enc_put_array(enc, 2);
        tk_cbor_enc_put_int(enc, rec->measured_alg);
        tk_cbor_enc_put_bstr(enc, rec->measured, rec->measured_len);
        tk_cbor_enc_bstr_wrap_end(enc);
        return;
    }
    if (rec->param_key == 0 || rec->param_value.ptr == NULL) {
        tk_cbor_enc_put_map(enc, 0);
        return;
    }
    tk_cbor_enc_put_map(enc, 1);
    tk_cbor_enc_put_int(enc, rec->param_key);
    if (rec->param_key == TK_SUIT_PARAM_URI)
        tk_cbor_enc_put_tstr(enc, (const char *)rec->param_value.ptr,
                             rec->param_value.len);
    else
        tk_cbor_enc_put_bstr(enc, rec->param_value.ptr, rec->param_value.len);
}

/* Writes one SUIT_Record. */
static void record_put(tk_cbor_enc *enc, const tk_suit_record *rec)
{
    uint8_t depth = rec->manifest_depth;
    if (depth > TK_SUIT_MAX_DEPENDENCY_DEPTH)
        depth = TK_SUIT_MAX_DEPENDENCY_DEPTH;
    tk_cbor_enc_put_array(enc, 5);
    tk_cbor_enc_put_array(enc, depth);
    for (uint8_t i = 0; i < depth; i++)
        tk_cbor_enc_put_uint(enc, rec->manifest_id[i]);
    tk_cbor_enc_put_int(enc, rec->section);
    tk_cbor_enc_put_uint(enc, rec->offset);
    tk_cbor_enc_put_uint(enc, rec->component == TK_SUIT_NO_COMPONENT
                                  ? 0
                                  : rec->component);
    properties_put(enc, rec);
}

/* Writes suit-report-result. */
static void result_put(tk_cbor_enc *enc, const tk_suit_processor *proc,
                       bool invoke_pending)
{
    tk_suit_record rec;
    if (proc->result == TK_OK && !(invoke_pending && proc->invoked)) {
        tk_cbor_enc_put_bool(enc, true);
        return;
    }
    if (proc->result == TK_OK) {
        tk_cbor_enc_put_map(enc, 3);
        tk_cbor_enc_put_int(enc, REPORT_RESULT_CODE);
        tk_cbor_enc_put_int(enc, 0);
        tk_cbor_enc_put_int(enc, REPORT_RESULT_RECORD);
        record_put(enc, &proc->invoke);
        tk_cbor_enc_put_int(enc, REPORT_RESULT_REASON);
        tk_cbor_enc_put_uint(enc, TK_SUIT_REASON_INVOKE_PENDING);
        return;
    }
    if (proc->have_failure) {
        rec = proc->failure;
    } else {
        memset(&rec, 0, sizeof(rec));
        rec.offset = (uint32_t)proc->error.offset;
        rec.component = proc->error.component;
        rec.section = proc->error.section;
        rec.manifest_depth = proc->error.manifest_depth;
        memcpy(rec.manifest_id, proc->error.manifest_id,
               sizeof(rec.manifest_id));
    }
    tk_cbor_enc_put_map(enc, 3);
    tk_cbor_enc_put_int(enc, REPORT_RESULT_CODE);
    tk_cbor_enc_put_int(enc, (int64_t)proc->result);
    tk_cbor_enc_put_int(enc, REPORT_RESULT_RECORD);
    record_put(enc, &rec);
    tk_cbor_enc_put_int(enc, REPORT_RESULT_REASON);
    tk_cbor_enc_put_uint(enc, (uint64_t)tk_suit_error_reason(proc->result));
}

tk_err tk_suit_report_encode(const tk_suit_processor *proc, tk_view nonce,
                             bool invoke_pending, uint8_t *out, size_t cap,
                             size_t *len)
{
    tk_cbor_enc enc;
    const tk_suit_loaded *root;
    if (proc == NULL || len == NULL || (out == NULL && cap > 0))
        return TK_ERR_INVALID_ARG;
    *len = 0;
    if (!TK_SUIT_WITH_REPORT)
        return TK_ERR_UNSUPPORTED;
    if (!proc->ran || proc->manifest_count == 0 ||
        !proc->manifests[0].env.verified)
        return TK_ERR_STATE;
    root = &proc->manifests[0];

    tk_cbor_enc_init(&enc, out, cap, TK_CBOR_ENC_DETERMINISTIC);
    tk_cbor_enc_put_map(&enc, nonce.len > 0 ? 4 : 3);
    tk_cbor_enc_put_int(&enc, REPORT_REFERENCE);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_tstr(&enc, (const char *)root->manifest.reference_uri.ptr,
                         root->manifest.reference_uri.len);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, root->env.digest.alg);
    tk_cbor_enc_put_bstr(&enc, root->env.digest.bytes.ptr,
                         root->env.digest.bytes.len);
    if (nonce.len > 0) {
        tk_cbor_enc_put_int(&enc, REPORT_NONCE);
        tk_cbor_enc_put_bstr(&enc, nonce.ptr, nonce.len);
    }
    tk_cbor_enc_put_int(&enc, REPORT_RECORDS);
    tk_cbor_enc_put_array(&enc, proc->record_count);
    for (size_t i = 0; i < proc->record_count; i++)
        record_put(&enc, &proc->cfg.records[i]);
    tk_cbor_enc_put_int(&enc, REPORT_RESULT);
    result_put(&enc, proc, invoke_pending);
    return tk_cbor_enc_finish(&enc, len);
}

tk_err tk_suit_report_sign(tk_view report, const tk_crypto *crypto,
                           tk_alg alg, const tk_key *key, tk_view kid,
                           uint8_t *out, size_t cap, size_t *len)
{
    tk_cose_build build;
    if (crypto == NULL || key == NULL || len == NULL)
        return TK_ERR_INVALID_ARG;
    *len = 0;
    if (!TK_SUIT_WITH_REPORT)
        return TK_ERR_UNSUPPORTED;
    memset(&build, 0, sizeof(build));
    build.alg = alg;
    build.key = key;
    build.kid = kid;
    return tk_cose_sign1_sign(crypto, &build, report, out, cap, len);
}

/* ---------------------------------------------------------------------- */
/* Decoding                                                               */
/* ---------------------------------------------------------------------- */

/* Reads the properties map of a record: its first entry, and a measured
 * image digest. */
static tk_err properties_read(tk_cbor_dec *dec, tk_suit_record *rec)
{
    if (tk_cbor_dec_enter_map(dec, NULL) != TK_OK)
        return tk_cbor_dec_error(dec);
    while (tk_cbor_dec_more(dec)) {
        int64_t key;
        tk_view raw;
        tk_cbor_item item;
        if (tk_cbor_dec_get_label(dec, &key) != TK_OK ||
            tk_cbor_dec_peek(dec, &item) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (key == TK_SUIT_PARAM_IMAGE_DIGEST && item.type == TK_CBOR_BSTR) {
            tk_suit_digest d;
            tk_cbor_dec_get_bstr(dec, &raw);
            if (tk_suit_digest_decode(raw, &d) == TK_OK &&
                d.bytes.len <= sizeof(rec->measured)) {
                rec->measured_alg = d.alg;
                rec->measured_len = (uint8_t)d.bytes.len;
                memcpy(rec->measured, d.bytes.ptr, d.bytes.len);
            }
        } else if (item.type == TK_CBOR_BSTR || item.type == TK_CBOR_TSTR) {
            raw = item.str;
            tk_cbor_dec_skip(dec, NULL);
        } else {
            tk_cbor_dec_skip(dec, &raw);
        }
        if (rec->param_key == 0) {
            rec->param_key = key;
            rec->param_value = raw;
        }
    }
    return tk_cbor_dec_exit(dec);
}

/* Reads one SUIT_Record. */
static tk_err record_read(tk_cbor_dec *dec, tk_suit_record *rec)
{
    int64_t section = 0;
    uint64_t offset = 0;
    uint64_t component = 0;
    memset(rec, 0, sizeof(*rec));
    if (tk_cbor_dec_enter_array(dec, NULL) != TK_OK ||
        tk_cbor_dec_enter_array(dec, NULL) != TK_OK)
        return tk_cbor_dec_error(dec);
    while (tk_cbor_dec_more(dec)) {
        uint64_t id;
        if (tk_cbor_dec_get_uint(dec, &id) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (rec->manifest_depth >= TK_SUIT_MAX_DEPENDENCY_DEPTH ||
            id > UINT8_MAX)
            return tk_cbor_dec_fail(dec, TK_ERR_LIMIT);
        rec->manifest_id[rec->manifest_depth++] = (uint8_t)id;
    }
    tk_cbor_dec_exit(dec);
    tk_cbor_dec_get_int(dec, &section);
    tk_cbor_dec_get_uint(dec, &offset);
    tk_cbor_dec_get_uint(dec, &component);
    if (tk_cbor_dec_error(dec) != TK_OK)
        return tk_cbor_dec_error(dec);
    if (section < INT32_MIN || section > INT32_MAX || offset > UINT32_MAX ||
        component > UINT32_MAX)
        return tk_cbor_dec_fail(dec, TK_ERR_SUIT_REPORT);
    rec->section = (int32_t)section;
    rec->offset = (uint32_t)offset;
    rec->component = (uint32_t)component;
    if (properties_read(dec, rec) != TK_OK)
        return tk_cbor_dec_error(dec);
    return tk_cbor_dec_exit(dec); /* $$SUIT_Record_Extensions skipped */
}

/* Reads suit-report-records. */
static tk_err records_read(tk_cbor_dec *dec, tk_suit_report *report,
                           tk_suit_record *records, size_t cap)
{
    if (tk_cbor_dec_enter_array(dec, NULL) != TK_OK)
        return tk_cbor_dec_error(dec);
    while (tk_cbor_dec_more(dec)) {
        tk_cbor_item item;
        if (tk_cbor_dec_peek(dec, &item) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (item.type == TK_CBOR_MAP) {
            report->property_count++;
            tk_cbor_dec_skip(dec, NULL);
            continue;
        }
        if (report->record_count >= cap || records == NULL)
            return tk_cbor_dec_fail(dec, TK_ERR_LIMIT);
        if (record_read(dec, &records[report->record_count]) != TK_OK)
            return tk_cbor_dec_error(dec);
        report->record_count++;
    }
    return tk_cbor_dec_exit(dec);
}

/* Reads suit-report-result: true or {code, record, reason}. */
static tk_err result_read(tk_cbor_dec *dec, tk_suit_report *report)
{
    tk_cbor_item item;
    unsigned seen = 0;
    if (tk_cbor_dec_peek(dec, &item) != TK_OK)
        return tk_cbor_dec_error(dec);
    if (item.type == TK_CBOR_TRUE) {
        report->success = true;
        return tk_cbor_dec_get_bool(dec, NULL);
    }
    if (tk_cbor_dec_enter_map(dec, NULL) != TK_OK)
        return tk_cbor_dec_error(dec);
    while (tk_cbor_dec_more(dec)) {
        int64_t key;
        uint64_t reason = 0;
        if (tk_cbor_dec_get_label(dec, &key) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (key == REPORT_RESULT_CODE) {
            seen |= 1u;
            tk_cbor_dec_get_int(dec, &report->result_code);
        } else if (key == REPORT_RESULT_RECORD) {
            seen |= 2u;
            record_read(dec, &report->result_record);
        } else if (key == REPORT_RESULT_REASON) {
            seen |= 4u;
            if (tk_cbor_dec_get_uint(dec, &reason) == TK_OK &&
                reason > TK_SUIT_REASON_INVOKE_PENDING)
                return tk_cbor_dec_fail(dec, TK_ERR_SUIT_REPORT);
            report->reason = (tk_suit_reason)reason;
        } else {
            tk_cbor_dec_skip(dec, NULL);
        }
        if (tk_cbor_dec_error(dec) != TK_OK)
            return tk_cbor_dec_error(dec);
    }
    if (seen != 7u)
        return tk_cbor_dec_fail(dec, TK_ERR_SUIT_REPORT);
    return tk_cbor_dec_exit(dec);
}

/* Reads suit-reference: [uri, digest]. */
static tk_err reference_read(tk_cbor_dec *dec, tk_suit_report *report)
{
    tk_cbor_dec_enter_array(dec, NULL);
    tk_cbor_dec_get_tstr(dec, &report->reference_uri);
    tk_suit_digest_read(dec, &report->manifest_digest);
    return tk_cbor_dec_exit(dec);
}

/* Decodes an unprotected SUIT_Report. */
static tk_err report_body(tk_view body, tk_suit_report *report,
                          tk_suit_record *records, size_t cap)
{
    tk_cbor_dec dec;
    unsigned seen = 0;
    tk_cbor_dec_init(&dec, body.ptr, body.len, TK_SUIT_DEC_CHECKED);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        int64_t key;
        tk_err e = TK_OK;
        if (tk_cbor_dec_get_label(&dec, &key) != TK_OK)
            break;
        switch (key) {
        case REPORT_REFERENCE:
            seen |= 1u;
            e = reference_read(&dec, report);
            break;
        case REPORT_NONCE:
            e = tk_cbor_dec_get_bstr(&dec, &report->nonce);
            break;
        case REPORT_RECORDS:
            seen |= 2u;
            e = records_read(&dec, report, records, cap);
            break;
        case REPORT_RESULT:
            seen |= 4u;
            e = result_read(&dec, report);
            break;
        case REPORT_CAPABILITY:
            e = tk_cbor_dec_skip(&dec, &report->capability_report);
            break;
        default:
            e = tk_cbor_dec_skip(&dec, NULL); /* $$SUIT_Report_Extensions */
            break;
        }
        if (e != TK_OK)
            break;
    }
    tk_cbor_dec_exit(&dec);
    tk_err e = tk_cbor_dec_finish(&dec);
    if (e == TK_ERR_LIMIT || e == TK_ERR_CBOR_DUP_KEY)
        return tk_suit_cbor_err(e);
    if (e != TK_OK || seen != 7u)
        return TK_ERR_SUIT_REPORT;
    return TK_OK;
}

tk_err tk_suit_report_decode(tk_view input, const tk_crypto *crypto,
                             const tk_key *key, tk_suit_report *report,
                             tk_suit_record *records, size_t cap)
{
    tk_cose_opts opts;
    tk_view body = input;
    if (report == NULL || (input.ptr == NULL && input.len > 0))
        return TK_ERR_INVALID_ARG;
    memset(report, 0, sizeof(*report));
    if (!TK_SUIT_WITH_REPORT)
        return TK_ERR_UNSUPPORTED;

    tk_cose_type type = tk_cose_type_of(input);
    bool untagged_sign1 = input.len > 0 && input.ptr[0] == 0x84;
    if (type == TK_COSE_TYPE_SIGN1 || type == TK_COSE_TYPE_MAC0 ||
        untagged_sign1) {
        if (crypto == NULL || key == NULL)
            return TK_ERR_INVALID_ARG;
        memset(&opts, 0, sizeof(opts));
        opts.key = key;
        tk_err e;
        if (type == TK_COSE_TYPE_MAC0) {
            tk_cose_mac0 mac0;
            e = tk_cose_mac0_verify(crypto, input, &opts, &mac0);
            body = mac0.payload;
        } else {
            tk_cose_sign1 sign1;
            if (untagged_sign1)
                opts.flags |= TK_COSE_OPT_UNTAGGED_OK;
            e = tk_cose_sign1_verify(crypto, input, &opts, &sign1);
            body = sign1.payload;
        }
        if (e == TK_ERR_COSE_SIGNATURE_INVALID ||
            e == TK_ERR_COSE_MAC_INVALID ||
            e == TK_ERR_CRYPTO_SIGNATURE_INVALID)
            return TK_ERR_SUIT_SIGNATURE;
        if (e != TK_OK)
            return TK_ERR_SUIT_REPORT;
    }
    return report_body(body, report, records, cap);
}
