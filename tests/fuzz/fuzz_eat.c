/*
 * Fuzz target of the EAT claims decoder and encoder and of the appraisal.
 *
 * Input: one mode byte, then bytes. Mode bits 1-2 are decoding flags (bit 1
 * TK_EAT_PROFILE_TEEP, bit 2 TK_EAT_MANIFESTS_AT_273). Bit 0 clear: the
 * bytes are a claims set, decoded, encoded again and decoded again. Bit 0
 * set: the bytes are appraised as a token; with bit 3 also set they are
 * first signed as the payload of a COSE_Sign1 with the fixed attestation
 * key, so that mutated claims reach the checks after the signature.
 *
 * Checked: views lie inside the input; claims that decode encode again to
 * claims with the same members; an appraisal that returns TK_OK is
 * affirming, and any other result is not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"

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

static void check_claims(const tk_eat_claims *c)
{
    check_view(c->iss);
    check_view(c->ueid);
    check_view(c->oemid);
    check_view(c->hwmodel);
    check_view(c->cnf);
    CHECK(c->nonce_count <= TK_EAT_MAX_NONCES);
    for (size_t i = 0; i < c->nonce_count; i++)
        check_view(c->nonce[i]);
    CHECK(c->manifest_count <= TK_EAT_MAX_MANIFESTS);
    for (size_t i = 0; i < c->manifest_count; i++)
        check_view(c->manifests[i].content);
    CHECK(c->measurement_count <= TK_EAT_MAX_MEASUREMENTS);
}

static void fuzz_claims(const uint8_t *buf, size_t len, uint32_t flags)
{
    static tk_eat_claims c, back;
    size_t off = 0;
    if (tk_eat_decode_claims(buf, len, flags, &c, &off) != TK_OK) {
        CHECK(off <= len);
        return;
    }
    check_claims(&c);
    size_t cap = 2 * len + 256;
    uint8_t *out = malloc(cap);
    if (out == NULL)
        return;
    size_t n = 0;
    CHECK(tk_eat_encode_claims(&c, out, cap, &n) == TK_OK);
    /* The encoding is in preferred serialization with ascending keys, so
     * it passes the TEEP profile's encoding rules whenever the input
     * passed them. */
    CHECK(tk_eat_decode_claims(out, n, flags, &back, NULL) == TK_OK);
    CHECK(back.present == c.present);
    CHECK(back.nonce_count == c.nonce_count);
    CHECK(back.manifest_count == c.manifest_count);
    CHECK(back.measurement_count == c.measurement_count);
    CHECK(back.iat == c.iat);
    CHECK(back.ueid.len == c.ueid.len);
    free(out);
}

static void fuzz_appraise(const uint8_t *token, size_t len, uint32_t flags)
{
    static const uint8_t nonce[32] = {0x4e, 0x4f, 0x4e, 0x43, 0x45};
    tk_eat_appraisal a;
    memset(&a, 0, sizeof a);
    a.crypto = hs_crypto();
    a.ref = hs_eat_reference();
    a.flags = flags;
    a.nonce = hs_view(nonce, sizeof nonce);
    a.now = 1767225600;
    a.skew = 60;
    a.max_age = 300;
    const hs_keys *k = hs_keys_get();
    a.cnf_kid = hs_view(k->agent_kid, sizeof k->agent_kid);
    uint8_t scratch[4096];
    a.scratch = scratch;
    a.scratch_cap = sizeof scratch;
    static tk_eat_result res;
    tk_err err = tk_eat_appraise(&a, token, len, &res);
    if (err == TK_OK) {
        CHECK(res.status == TK_EAT_STATUS_AFFIRMING);
        CHECK(res.reason == TK_OK);
        check_claims(&res.claims);
    } else {
        CHECK(res.status != TK_EAT_STATUS_AFFIRMING);
        CHECK(res.reason == err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 32768)
        return 0;
    uint8_t mode = data[0];
    uint32_t flags = 0;
    if (mode & 2)
        flags |= TK_EAT_PROFILE_TEEP;
    if (mode & 4)
        flags |= TK_EAT_MANIFESTS_AT_273;
    size_t len = size - 1;
    const uint8_t *src = data + 1;
    static uint8_t signed_token[32768 + 512];
    if ((mode & 1) && (mode & 8)) {
        const hs_keys *k = hs_keys_get();
        size_t n = 0;
        if (hs_sign1(&k->attester, TK_ALG_ESP256, hs_str(HS_ATTESTER_KID),
                     hs_view(data + 1, len), signed_token, sizeof signed_token,
                     &n) != TK_OK)
            return 0;
        src = signed_token;
        len = n;
    }
    uint8_t *buf = malloc(len == 0 ? 1 : len);
    if (buf == NULL)
        return 0;
    memcpy(buf, src, len);
    g_buf = buf;
    g_len = len;
    if (mode & 1)
        fuzz_appraise(buf, len, flags);
    else
        fuzz_claims(buf, len, flags);
    free(buf);
    return 0;
}
