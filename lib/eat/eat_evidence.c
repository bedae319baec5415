/* EAT evidence builder: claims signed as a COSE_Sign1 by the attester. */
#include "eat_internal.h"

tk_err tk_eat_build_evidence(const tk_crypto *crypto,
                             const tk_eat_signer *signer,
                             const tk_eat_claims *claims, uint8_t *scratch,
                             size_t scratch_cap, uint8_t *out, size_t cap,
                             size_t *len)
{
    if (crypto == NULL || signer == NULL || signer->key == NULL ||
        claims == NULL || scratch == NULL || out == NULL || len == NULL)
        return TK_ERR_INVALID_ARG;
    *len = 0;

    size_t claims_len = 0;
    tk_err err =
        tk_eat_encode_claims(claims, scratch, scratch_cap, &claims_len);
    if (err != TK_OK)
        return err;

    /* The rest of scratch receives the to-be-signed bytes of EdDSA. */
    tk_cose_build build = {0};
    build.alg = signer->alg;
    build.key = signer->key;
    build.kid = signer->kid;
    if (signer->kid.len > 0)
        build.flags |= TK_COSE_BUILD_KID_PROTECTED;
    build.scratch = scratch + claims_len;
    build.scratch_len = scratch_cap - claims_len;
    tk_view payload = {scratch, claims_len};
    return tk_cose_sign1_sign(crypto, &build, payload, out, cap, len);
}
