/*
 * Fuzz target of the TEEP message decoder, the tc-list entry decoder, and
 * the decoders of what a message carries (SUIT reports, evidence).
 *
 * Input: a TEEP message (the COSE payload). Checked: views lie inside the
 * input, and a message that decodes encodes again (encoder and decoder
 * agree on what is valid) into a message that decodes to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "teepkit/eat.h"
#include "teepkit/suit.h"
#include "teepkit/teep.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static const uint8_t *g_buf;
static size_t g_len;

static void check_view(tk_view v)
{
    if (v.len == 0)
        return;
    CHECK(v.ptr >= g_buf && v.ptr + v.len <= g_buf + g_len);
}

static bool same(tk_view a, tk_view b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void check_message(const tk_teep_message *m)
{
    check_view(m->token);
    check_view(m->challenge);
    check_view(m->attestation_format);
    check_view(m->attestation_payload);
    check_view(m->msg);
    check_view(m->err_msg);
    check_view(m->err_lang);
    CHECK(m->tc_count <= TK_TEEP_MAX_TC_LIST);
    CHECK(m->manifest_count <= TK_TEEP_MAX_MANIFESTS);
    CHECK(m->report_count <= TK_TEEP_MAX_SUIT_REPORTS);
    CHECK(m->requested_count <= TK_TEEP_MAX_REQUESTED_TC);
    CHECK(m->unneeded_count <= TK_TEEP_MAX_UNNEEDED);
    CHECK(m->suite_count <= TK_TEEP_MAX_SUITES);
    CHECK(m->version_count <= TK_TEEP_MAX_VERSIONS);
    for (size_t i = 0; i < m->tc_count; i++)
        check_view(m->tc_list[i]);
    for (size_t i = 0; i < m->manifest_count; i++)
        check_view(m->manifests[i]);
    for (size_t i = 0; i < m->report_count; i++)
        check_view(m->suit_reports[i]);
    for (size_t i = 0; i < m->unneeded_count; i++)
        check_view(m->unneeded[i]);
    for (size_t i = 0; i < m->requested_count; i++)
        check_view(m->requested[i].component_id);
}

/* The decoders of the items a message carries. */
static void decode_contents(const tk_teep_message *m)
{
    for (size_t i = 0; i < m->tc_count; i++) {
        tk_teep_tc_info info;
        if (tk_teep_tc_info_decode(m->tc_list[i], &info) == TK_OK) {
            check_view(info.component_id);
            check_view(info.image_digest);
        }
    }
    for (size_t i = 0; i < m->report_count; i++) {
        tk_suit_report report;
        tk_suit_record records[4];
        if (tk_suit_report_decode(m->suit_reports[i], NULL, NULL, &report,
                                  records, 4) == TK_OK)
            check_view(report.nonce);
    }
    if (TK_TEEP_HAS(m, TK_TEEP_LABEL_ATTESTATION_PAYLOAD)) {
        tk_view claims;
        tk_eat_claims c;
        if (tk_eat_token_payload(m->attestation_payload.ptr,
                                 m->attestation_payload.len,
                                 &claims) == TK_OK) {
            check_view(claims);
            (void)tk_eat_decode_claims(claims.ptr, claims.len,
                                       TK_EAT_PROFILE_TEEP, &c, NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size == 0 ? 1 : size);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    g_buf = buf;
    g_len = size;

    static tk_teep_message m;
    size_t off = 0;
    tk_err err = tk_teep_decode(buf, size, &m, &off);
    CHECK(off <= size);
    if (err != TK_OK) {
        if (err == TK_ERR_TEEP_UNKNOWN_TYPE)
            check_view(m.token);
        free(buf);
        return 0;
    }
    check_message(&m);
    decode_contents(&m);

    /* Encode again and decode the result. */
    size_t cap = 2 * size + 256;
    uint8_t *out = malloc(cap);
    if (out == NULL) {
        free(buf);
        return 0;
    }
    size_t n = 0;
    err = tk_teep_encode(&m, out, cap, &n);
    CHECK(err == TK_OK);
    static tk_teep_message back;
    err = tk_teep_decode(out, n, &back, NULL);
    CHECK(err == TK_OK);
    CHECK(back.type == m.type);
    CHECK(back.present == m.present);
    CHECK(same(back.token, m.token));
    CHECK(same(back.challenge, m.challenge));
    CHECK(same(back.err_msg, m.err_msg));
    CHECK(back.err_code == m.err_code);
    CHECK(back.data_items == m.data_items);
    CHECK(back.selected_version == m.selected_version);
    CHECK(back.version_count == m.version_count);
    CHECK(back.suite_count == m.suite_count);
    CHECK(back.profile_count == m.profile_count);
    CHECK(back.freshness_count == m.freshness_count);
    CHECK(back.tc_count == m.tc_count);
    CHECK(back.requested_count == m.requested_count);
    CHECK(back.unneeded_count == m.unneeded_count);
    CHECK(back.manifest_count == m.manifest_count);
    CHECK(back.report_count == m.report_count);
    for (size_t i = 0; i < m.manifest_count; i++)
        CHECK(same(back.manifests[i], m.manifests[i]));
    free(out);
    free(buf);
    return 0;
}
