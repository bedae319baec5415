/* Declarations shared by the files of lib/teep. */
#ifndef TK_TEEP_INTERNAL_H
#define TK_TEEP_INTERNAL_H

#include "teepkit/cbor.h"
#include "teepkit/teep.h"

/* Option labels that each message type defines, as bit (1 << label). */
#define TK_TEEP_BIT(label) (1u << (label))

/* Returns the labels that message type defines, or 0 for an unknown type. */
uint32_t tk_teep_allowed_options(uint32_t type);

/* Returns true when type is one of the five defined message types. */
bool tk_teep_type_known(uint32_t type);

/* Returns true when a and b have the same length and bytes. */
bool tk_teep_view_equal(tk_view a, tk_view b);

/*
 * Returns the current id for a legacy one (ES256 -7 to ESP256 -9, EdDSA -8
 * to Ed25519 -19) unless strict is set; other ids are returned unchanged.
 */
tk_alg tk_teep_current_alg(tk_alg alg, bool strict);

/*
 * Finds the signer among signers[0..count) for alg, compared in current
 * form unless strict, and copies it to *out with alg as given. A peer that
 * uses a legacy id thus gets replies with the same id. Returns false when
 * there is none.
 */
static inline bool tk_teep_signer_for(const tk_teep_signer *signers,
                                      size_t count, bool strict, tk_alg alg,
                                      tk_teep_signer *out)
{
    tk_alg current = tk_teep_current_alg(alg, strict);
    for (size_t i = 0; i < count; i++) {
        if (tk_teep_current_alg(signers[i].alg, strict) != current)
            continue;
        *out = signers[i];
        out->alg = alg;
        return true;
    }
    return false;
}

/* Fills accept (room for 2 * count) with the algorithms of the count
 * signers and, unless strict, their legacy or current twins. Returns how
 * many it wrote. */
static inline size_t tk_teep_accepted_algs(const tk_teep_signer *signers,
                                           size_t count, bool strict,
                                           tk_alg *accept)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        tk_alg alg = signers[i].alg;
        accept[n++] = alg;
        if (strict)
            continue;
        if (alg == TK_ALG_ESP256 || alg == TK_ALG_ES256)
            accept[n++] = alg == TK_ALG_ESP256 ? TK_ALG_ES256 : TK_ALG_ESP256;
        else if (alg == TK_ALG_ED25519 || alg == TK_ALG_EDDSA)
            accept[n++] = alg == TK_ALG_ED25519 ? TK_ALG_EDDSA : TK_ALG_ED25519;
    }
    return n;
}

/* Returns true when alg is one of the algorithms of the mandatory suites
 * (ESP256 or Ed25519, or their legacy ids unless strict). */
bool tk_teep_alg_mandatory(tk_alg alg, bool strict);

/*
 * Checks every SUIT report of msg against token: each report's
 * suit-report-nonce must equal the token (a report without a nonce is
 * accepted only when token is empty). Reports protected by COSE_Sign1 or
 * COSE_Mac0 are read through their payload; the signature is the record
 * callback's business. Returns TK_OK, TK_ERR_TEEP_REPORT_NONCE or
 * TK_ERR_TEEP_REPORT_MALFORMED.
 */
tk_err tk_teep_check_reports(const tk_teep_message *msg, tk_view token);

/*
 * Encodes msg into scratch and signs it with signers into out. The
 * scratch of the signature (EdDSA) is the part of scratch after the
 * encoded message.
 */
tk_err tk_teep_seal(const tk_crypto *crypto, const tk_teep_message *msg,
                    const tk_teep_signer *signers, size_t signer_count,
                    uint8_t *scratch, size_t scratch_cap, uint8_t *out,
                    size_t cap, size_t *len);

#endif /* TK_TEEP_INTERNAL_H */
