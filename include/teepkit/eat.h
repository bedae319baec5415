/*
 * Entity Attestation Tokens (EAT, RFC 9711) for TEEP: a claims codec, an
 * evidence builder for the TEEP Agent and an appraisal for the TAM.
 *
 * The TEEP EAT profile (draft-ietf-teep-protocol, section "EAT Profile")
 * is what TK_EAT_PROFILE_TEEP enforces: CBOR only, definite lengths,
 * preferred serialization, no CBOR tags inside the claims set, a single
 * byte-string eat_nonce, and the required claims ueid, oemid, hwmodel,
 * hwversion, manifests and cnf (whose kid is the RFC 9679 thumbprint of
 * the TEEP Agent's key).
 *
 * Nothing here allocates or keeps state. Decoded claims are views into the
 * caller's input, which must outlive them. Crypto goes through tk_crypto.
 *
 * Claim keys used (RFC 8392 section 4 and RFC 9711 section 4):
 *   iss 1, sub 2, aud 3, exp 4, nbf 5, iat 6, cti 7, cnf 8 (RFC 8747),
 *   eat_nonce 10, ueid 256, sueids 257, oemid 258, hwmodel 259,
 *   hwversion 260, uptime 261, oemboot 262, dbgstat 263, location 264,
 *   eat_profile 265, submods 266, bootcount 267, bootseed 268, dloas 269,
 *   swname 270, swversion 271, manifests 272, measurements 273,
 *   measres 274, intuse 275.
 * The TEEP protocol's own example puts manifests under 273; RFC 9711
 * assigns 273 to measurements. teepkit follows RFC 9711 and reads the
 * example's form only with TK_EAT_MANIFESTS_AT_273.
 */
#ifndef TEEPKIT_EAT_H
#define TEEPKIT_EAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"
#include "teepkit/cose.h"
#include "teepkit/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Limits (override with -D)                                              */
/* ---------------------------------------------------------------------- */

/* Entries of the manifests claim (272) kept in tk_eat_claims. */
#ifndef TK_EAT_MAX_MANIFESTS
#define TK_EAT_MAX_MANIFESTS 8
#endif
/* Entries of the measurements claim (273) kept in tk_eat_claims. */
#ifndef TK_EAT_MAX_MEASUREMENTS
#define TK_EAT_MAX_MEASUREMENTS 8
#endif
/* Nonces in an eat_nonce claim given as an array (RFC 9711 section 4.1). */
#ifndef TK_EAT_MAX_NONCES
#define TK_EAT_MAX_NONCES 4
#endif
/* Entries of one claims map, for duplicate detection (all keys count,
 * unknown ones too). Also bounds the submodule maps. */
#ifndef TK_EAT_MAX_CLAIMS
#define TK_EAT_MAX_CLAIMS 48
#endif
/* Keys of one map that have no presence bit (unknown claims, text keys,
 * submodule names, sueids labels), for duplicate detection. */
#ifndef TK_EAT_MAX_UNKNOWN_KEYS
#define TK_EAT_MAX_UNKNOWN_KEYS 16
#endif
/* Nesting of claims sets inside submods (1 = submodules may not contain
 * further submodules). */
#ifndef TK_EAT_MAX_SUBMOD_DEPTH
#define TK_EAT_MAX_SUBMOD_DEPTH 4
#endif

/* Sizes of RFC 9711: eat_nonce 8..64 bytes, ueid 7..33 bytes. */
#define TK_EAT_NONCE_MIN 8
#define TK_EAT_NONCE_MAX 64
#define TK_EAT_UEID_MIN 7
#define TK_EAT_UEID_MAX 33

/* ---------------------------------------------------------------------- */
/* Claim keys and presence bits                                           */
/* ---------------------------------------------------------------------- */

typedef enum tk_eat_claim_key {
    TK_EAT_KEY_ISS = 1,
    TK_EAT_KEY_SUB = 2,
    TK_EAT_KEY_AUD = 3,
    TK_EAT_KEY_EXP = 4,
    TK_EAT_KEY_NBF = 5,
    TK_EAT_KEY_IAT = 6,
    TK_EAT_KEY_CTI = 7,
    TK_EAT_KEY_CNF = 8,
    TK_EAT_KEY_NONCE = 10,
    TK_EAT_KEY_UEID = 256,
    TK_EAT_KEY_SUEIDS = 257,
    TK_EAT_KEY_OEMID = 258,
    TK_EAT_KEY_HWMODEL = 259,
    TK_EAT_KEY_HWVERSION = 260,
    TK_EAT_KEY_UPTIME = 261,
    TK_EAT_KEY_OEMBOOT = 262,
    TK_EAT_KEY_DBGSTAT = 263,
    TK_EAT_KEY_LOCATION = 264,
    TK_EAT_KEY_PROFILE = 265,
    TK_EAT_KEY_SUBMODS = 266,
    TK_EAT_KEY_BOOTCOUNT = 267,
    TK_EAT_KEY_BOOTSEED = 268,
    TK_EAT_KEY_DLOAS = 269,
    TK_EAT_KEY_SWNAME = 270,
    TK_EAT_KEY_SWVERSION = 271,
    TK_EAT_KEY_MANIFESTS = 272,
    TK_EAT_KEY_MEASUREMENTS = 273,
    TK_EAT_KEY_MEASRES = 274,
    TK_EAT_KEY_INTUSE = 275
} tk_eat_claim_key;

/* Bits of tk_eat_claims.present, one per claim above. */
#define TK_EAT_HAS_ISS (1u << 0)
#define TK_EAT_HAS_SUB (1u << 1)
#define TK_EAT_HAS_AUD (1u << 2)
#define TK_EAT_HAS_EXP (1u << 3)
#define TK_EAT_HAS_NBF (1u << 4)
#define TK_EAT_HAS_IAT (1u << 5)
#define TK_EAT_HAS_CTI (1u << 6)
#define TK_EAT_HAS_CNF (1u << 7)
#define TK_EAT_HAS_NONCE (1u << 8)
#define TK_EAT_HAS_UEID (1u << 9)
#define TK_EAT_HAS_SUEIDS (1u << 10)
#define TK_EAT_HAS_OEMID (1u << 11)
#define TK_EAT_HAS_HWMODEL (1u << 12)
#define TK_EAT_HAS_HWVERSION (1u << 13)
#define TK_EAT_HAS_UPTIME (1u << 14)
#define TK_EAT_HAS_OEMBOOT (1u << 15)
#define TK_EAT_HAS_DBGSTAT (1u << 16)
#define TK_EAT_HAS_LOCATION (1u << 17)
#define TK_EAT_HAS_PROFILE (1u << 18)
#define TK_EAT_HAS_SUBMODS (1u << 19)
#define TK_EAT_HAS_BOOTCOUNT (1u << 20)
#define TK_EAT_HAS_BOOTSEED (1u << 21)
#define TK_EAT_HAS_DLOAS (1u << 22)
#define TK_EAT_HAS_SWNAME (1u << 23)
#define TK_EAT_HAS_SWVERSION (1u << 24)
#define TK_EAT_HAS_MANIFESTS (1u << 25)
#define TK_EAT_HAS_MEASUREMENTS (1u << 26)
#define TK_EAT_HAS_MEASRES (1u << 27)
#define TK_EAT_HAS_INTUSE (1u << 28)

/* The claims the TEEP EAT profile requires. eat_nonce is required too when
 * the nonce freshness mechanism is used, which the appraisal checks. */
#define TK_EAT_TEEP_REQUIRED                                                   \
    (TK_EAT_HAS_UEID | TK_EAT_HAS_OEMID | TK_EAT_HAS_HWMODEL |                 \
     TK_EAT_HAS_HWVERSION | TK_EAT_HAS_MANIFESTS | TK_EAT_HAS_CNF)

/* Debug status values (RFC 9711 section 4.2.9). */
typedef enum tk_eat_dbgstat {
    TK_EAT_DBG_ENABLED = 0,
    TK_EAT_DBG_DISABLED = 1,
    TK_EAT_DBG_DISABLED_SINCE_BOOT = 2,
    TK_EAT_DBG_DISABLED_PERMANENTLY = 3,
    TK_EAT_DBG_DISABLED_FULLY_AND_PERMANENTLY = 4
} tk_eat_dbgstat;

/* Members of the cnf claim map (RFC 8747 section 3.1). */
typedef enum tk_eat_cnf_kind {
    TK_EAT_CNF_NONE = 0,
    TK_EAT_CNF_COSE_KEY = 1,
    TK_EAT_CNF_ENCRYPTED_KEY = 2,
    TK_EAT_CNF_KID = 3
} tk_eat_cnf_kind;

/* ---------------------------------------------------------------------- */
/* Decoded claims                                                         */
/* ---------------------------------------------------------------------- */

/*
 * One entry of the manifests or measurements claim: [content-type,
 * content-format]. content_type is a CoAP Content-Format number. When the
 * content is a byte string (a bstr-wrapped CoSWID or SUIT envelope),
 * wrapped is true and content is the byte string's content; otherwise
 * content is the encoded CBOR item itself (for example the SUIT_Reference
 * map of the TEEP profile).
 */
typedef struct tk_eat_format_entry {
    uint64_t content_type;
    tk_view content;
    bool wrapped;
} tk_eat_format_entry;

/* A hwversion or swversion claim: [version text, ? version scheme]. */
typedef struct tk_eat_version {
    tk_view version;
    int64_t scheme;
    bool has_scheme;
} tk_eat_version;

/*
 * A decoded claims set. present marks which members are set (TK_EAT_HAS_*).
 * Claims whose structure teepkit does not interpret further (aud, sueids,
 * location, submods, dloas, measres and a cnf COSE_Key) are kept as raw
 * views of their encoded value, checked for well-formedness, type and,
 * where they are maps, duplicate keys.
 */
typedef struct tk_eat_claims {
    uint32_t present;

    tk_view iss;     /* text */
    tk_view sub;     /* text */
    tk_view aud_raw; /* encoded text or array of text */
    int64_t exp;     /* seconds since the epoch (CWT NumericDate) */
    int64_t nbf;
    int64_t iat;
    tk_view cti; /* bytes */

    tk_eat_cnf_kind cnf_kind;
    tk_view cnf; /* kid bytes, or the encoded COSE_Key/COSE_Encrypt */

    size_t nonce_count;
    tk_view nonce[TK_EAT_MAX_NONCES];

    tk_view ueid;
    tk_view sueids_raw; /* encoded map of text to ueid */
    bool oemid_is_pen;  /* oemid is an IANA Private Enterprise Number */
    int64_t oemid_pen;
    tk_view oemid;   /* 3-byte IEEE OUI or 16-byte random OEM id */
    tk_view hwmodel; /* 1..32 bytes */
    tk_eat_version hwversion;
    uint64_t uptime; /* seconds */
    bool oemboot;
    uint64_t dbgstat; /* tk_eat_dbgstat */
    tk_view location_raw;
    bool profile_is_oid; /* profile is a byte string (OID), else a URI */
    tk_view profile;
    tk_view submods_raw; /* encoded submods map */
    size_t submod_count;
    uint64_t bootcount;
    tk_view bootseed;
    tk_view dloas_raw;
    tk_view swname;
    tk_eat_version swversion;

    size_t manifest_count;
    tk_eat_format_entry manifests[TK_EAT_MAX_MANIFESTS];
    size_t measurement_count;
    tk_eat_format_entry measurements[TK_EAT_MAX_MEASUREMENTS];
    tk_view measres_raw;
    uint64_t intuse;

    /* Claims with other keys, ignored as RFC 8392 section 3 requires. */
    size_t unknown_count;
} tk_eat_claims;

/* Decoding flags. */
/* Enforce the TEEP EAT profile: encoding rules and required claims. */
#define TK_EAT_PROFILE_TEEP 0x01u
/* Read claim 273 as manifests, as the TEEP protocol's example does.
 * measurements are then never set. Off by default. */
#define TK_EAT_MANIFESTS_AT_273 0x02u

/*
 * Decodes the claims set in buf[0..len) (an encoded CBOR map) into
 * *claims, which is cleared first. Every claim key listed above is checked
 * for its type and size; other keys are counted and skipped.
 *
 * Returns TK_OK, or: TK_ERR_EAT_MALFORMED (not one well-formed map),
 * TK_ERR_EAT_DUPLICATE_CLAIM (a key twice in the claims map or in a map
 * inside a claim), TK_ERR_EAT_BAD_CLAIM (wrong type or size),
 * TK_ERR_EAT_TOO_MANY (a table limit above), and with TK_EAT_PROFILE_TEEP
 * also TK_ERR_EAT_INDEFINITE_LENGTH, TK_ERR_EAT_NOT_PREFERRED,
 * TK_ERR_EAT_TAG_IN_CLAIMS and TK_ERR_EAT_MISSING_CLAIM. err_offset (may
 * be NULL) receives the byte offset of the problem.
 */
tk_err tk_eat_decode_claims(const uint8_t *buf, size_t len, uint32_t flags,
                            tk_eat_claims *claims, size_t *err_offset);

/*
 * Encodes the claims marked in claims->present as a definite-length map in
 * ascending key order (preferred serialization, so the result satisfies
 * the TEEP profile when the claims do). Raw members are copied as they
 * are. Writes to buf (capacity cap); *len receives the length, or the
 * needed capacity with TK_ERR_BUFFER_TOO_SMALL.
 * Returns TK_ERR_EAT_BAD_CLAIM for a member out of range (a nonce or ueid
 * of the wrong size, a raw member that is not one CBOR item).
 */
tk_err tk_eat_encode_claims(const tk_eat_claims *claims, uint8_t *buf,
                            size_t cap, size_t *len);

/*
 * Sets *payload to the claims set inside an evidence token (a COSE_Sign1,
 * tag 18 and CWT tag 61 optional) without verifying the signature, for
 * diagnostics. Never base a decision on claims found this way: use
 * tk_eat_appraise(). Returns TK_OK or TK_ERR_EAT_NOT_COSE.
 */
tk_err tk_eat_token_payload(const uint8_t *token, size_t len, tk_view *payload);

/* ---------------------------------------------------------------------- */
/* Evidence (TEEP Agent side)                                             */
/* ---------------------------------------------------------------------- */

/* A signing key (private, owned by the caller) with the COSE algorithm to
 * use and the kid to put in the protected header (may be empty). */
typedef tk_cose_signer tk_eat_signer;

/*
 * Builds evidence: encodes claims and signs them with the attestation key
 * as a tagged COSE_Sign1 (tag 18) whose protected header carries the
 * algorithm and, when the signer has one, the kid. scratch (capacity
 * scratch_cap) receives the encoded claims while signing and, for EdDSA, the
 * to-be-signed structure after them (about twice the claims size plus 100
 * bytes in all). out (capacity cap) receives the token and *len its
 * length.
 * Returns TK_OK, TK_ERR_BUFFER_TOO_SMALL (for scratch or out), the
 * encoder's errors, or the crypto backend's error.
 */
tk_err tk_eat_build_evidence(const tk_crypto *crypto,
                             const tk_eat_signer *signer,
                             const tk_eat_claims *claims, uint8_t *scratch,
                             size_t scratch_cap, uint8_t *out, size_t cap,
                             size_t *len);

/* ---------------------------------------------------------------------- */
/* Appraisal (TAM side)                                                   */
/* ---------------------------------------------------------------------- */

/*
 * Attestation result tiers, with the values of the trustworthiness tiers
 * of draft-ietf-rats-ar4si: none, affirming, warning, contraindicated.
 */
typedef enum tk_eat_status {
    TK_EAT_STATUS_NONE = 0,
    TK_EAT_STATUS_AFFIRMING = 2,
    TK_EAT_STATUS_WARNING = 32,
    TK_EAT_STATUS_CONTRAINDICATED = 96
} tk_eat_status;

/*
 * A known attestation key of a device. ueid, when not empty, binds the key
 * to one device: evidence signed with it must carry that ueid.
 */
typedef struct tk_eat_attester {
    tk_view kid;       /* matches the kid of the evidence's COSE header */
    tk_alg alg;        /* the only algorithm accepted with this key */
    const tk_key *key; /* public key, owned by the caller */
    tk_view ueid;
} tk_eat_attester;

/*
 * Reference values, owned by the caller (typically loaded from the TAM
 * store). A list with count 0 accepts any value of that claim; a non-empty
 * list accepts only the listed values (compared byte for byte).
 */
typedef struct tk_eat_reference {
    const tk_eat_attester *attesters; /* at least one */
    size_t attester_count;
    const tk_view *oemids; /* byte-string oemids */
    size_t oemid_count;
    const tk_view *hwmodels;
    size_t hwmodel_count;
    const tk_view *hwversions; /* version text of hwversion */
    size_t hwversion_count;
    const tk_eat_format_entry *manifests; /* accepted manifests entries */
    size_t manifest_count;
    const tk_eat_format_entry *measurements;
    size_t measurement_count;
    tk_view profile; /* required eat_profile when present, or
                        empty to accept any */
} tk_eat_reference;

/* Inputs of an appraisal. */
typedef struct tk_eat_appraisal {
    const tk_crypto *crypto;
    const tk_eat_reference *ref;
    uint32_t flags; /* TK_EAT_PROFILE_TEEP, TK_EAT_MANIFESTS_AT_273 */

    /* Freshness. nonce is the challenge that the evidence must carry as
     * its eat_nonce (empty when the nonce mechanism is not used). With
     * max_age > 0, iat is required and must be at most max_age seconds
     * old. At least one of the two must be set. */
    tk_view nonce;
    uint64_t max_age;
    int64_t now;   /* the caller's clock, seconds since the epoch */
    uint64_t skew; /* tolerated clock difference, seconds */

    /* Proof of possession: the RFC 9679 thumbprint of the TEEP Agent's
     * key, which the cnf claim must carry as its kid. Required with
     * TK_EAT_PROFILE_TEEP. */
    tk_view cnf_kid;

    /* Work buffer for an EdDSA verification, which needs the whole
     * to-be-signed structure (the token size plus 100 bytes). May be NULL
     * for ECDSA. */
    uint8_t *scratch;
    size_t scratch_cap;
} tk_eat_appraisal;

/* Outcome of an appraisal. */
typedef struct tk_eat_result {
    tk_eat_status status;
    tk_err reason;         /* TK_OK when affirming, else the first problem */
    size_t attester_index; /* the key that verified, when one did */
    tk_eat_claims claims;  /* views into the token; complete only when the
                              signature verified */
} tk_eat_result;

/*
 * Appraises evidence token[0..len): a COSE_Sign1 (tagged 18, optionally
 * inside CWT tag 61, or untagged) over a claims set. Steps, in order:
 * find the attester by the kid of the COSE header and verify the
 * signature with it; decode the claims with a->flags; check the ueid
 * binding, oemid, hwmodel, the eat_nonce against a->nonce, exp, nbf and
 * iat against the clock; check that cnf carries a->cnf_kid; then compare
 * hwversion, manifests and measurements with the reference values.
 *
 * The result starts as contraindicated and becomes affirming only after
 * every check passed. Failures of identity, signature, structure,
 * freshness or proof of possession are contraindicated; a hwversion,
 * manifest or measurement outside the reference values gives a warning
 * (the device is genuine but out of date, which the TAM may remedy with an
 * update).
 *
 * Returns TK_OK when the result is affirming, else res->reason.
 * TK_ERR_INVALID_ARG (also in res->reason) for missing inputs, including
 * neither a nonce nor a max_age, or no cnf_kid with the TEEP profile.
 */
tk_err tk_eat_appraise(const tk_eat_appraisal *a, const uint8_t *token,
                       size_t len, tk_eat_result *res);

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_EAT_H */
