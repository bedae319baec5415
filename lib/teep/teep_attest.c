/*
 * Attestation helpers for the callbacks of the state machines: the TEEP
 * EAT profile's evidence on the agent side and its appraisal on the TAM
 * side, with the nonce and cnf bindings the protocol requires.
 */
#include <string.h>

#include "teep_internal.h"

tk_err tk_teep_agent_evidence(const tk_crypto *crypto,
                              const tk_eat_signer *attester,
                              const tk_eat_claims *device_claims,
                              const tk_teep_evidence_request *request,
                              int64_t now, uint8_t *scratch, size_t scratch_cap,
                              uint8_t *out, size_t cap, size_t *len)
{
    if (crypto == NULL || attester == NULL || device_claims == NULL ||
        request == NULL || request->signer == NULL ||
        request->signer->key == NULL || len == NULL)
        return TK_ERR_INVALID_ARG;
    *len = 0;

    /* The cnf kid binds the evidence to the key that signs the
     * QueryResponse (draft-ietf-teep-protocol section "EAT Profile"). */
    uint8_t thumbprint[TK_COSE_THUMBPRINT_SIZE];
    tk_err err =
        tk_cose_key_thumbprint(crypto, request->signer->key, thumbprint);
    if (err != TK_OK)
        return err;
    tk_eat_claims claims = *device_claims;
    claims.present |= TK_EAT_HAS_CNF | TK_EAT_HAS_IAT;
    claims.cnf_kind = TK_EAT_CNF_KID;
    claims.cnf = (tk_view){thumbprint, sizeof(thumbprint)};
    claims.iat = now;
    claims.present &= ~TK_EAT_HAS_NONCE;
    claims.nonce_count = 0;
    if (request->challenge.len > 0) {
        claims.present |= TK_EAT_HAS_NONCE;
        claims.nonce_count = 1;
        claims.nonce[0] = request->challenge;
    }
    err = tk_eat_build_evidence(crypto, attester, &claims, scratch, scratch_cap,
                                out, cap, len);
    tk_crypto_wipe(thumbprint, sizeof(thumbprint));
    return err;
}

tk_err tk_teep_tam_appraise(const tk_crypto *crypto,
                            const tk_teep_evidence *evidence,
                            const tk_eat_reference *ref, uint64_t skew,
                            uint8_t *scratch, size_t scratch_cap,
                            tk_eat_result *result)
{
    if (result == NULL)
        return TK_ERR_INVALID_ARG;
    memset(result, 0, sizeof(*result));
    result->status = TK_EAT_STATUS_CONTRAINDICATED;
    result->reason = TK_ERR_INVALID_ARG;
    if (crypto == NULL || evidence == NULL || ref == NULL ||
        evidence->agent_key == NULL)
        return TK_ERR_INVALID_ARG;

    uint8_t thumbprint[TK_COSE_THUMBPRINT_SIZE];
    tk_err err =
        tk_cose_key_thumbprint(crypto, evidence->agent_key, thumbprint);
    if (err != TK_OK) {
        result->reason = err;
        return err;
    }
    tk_eat_appraisal a;
    memset(&a, 0, sizeof(a));
    a.crypto = crypto;
    a.ref = ref;
    a.flags = TK_EAT_PROFILE_TEEP;
    a.nonce = evidence->challenge;
    if (evidence->challenge.len == 0)
        a.max_age = TK_TEEP_EVIDENCE_MAX_AGE;
    a.now = evidence->now;
    a.skew = skew;
    a.cnf_kid = (tk_view){thumbprint, sizeof(thumbprint)};
    a.scratch = scratch;
    a.scratch_cap = scratch == NULL ? 0 : scratch_cap;
    return tk_eat_appraise(&a, evidence->payload.ptr, evidence->payload.len,
                           result);
}
