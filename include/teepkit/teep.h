/*
 * TEEP protocol (draft-ietf-teep-protocol, protocol version 0): message
 * codec, COSE protection, and the state machines of the TAM and of the
 * TEEP Agent.
 *
 * Nothing here allocates, keeps global state or does I/O. Decoded
 * messages are views into the caller's input. The state machines turn one
 * incoming message into at most one outgoing message. What must survive
 * between messages lives in structs that the caller stores, because a TAM
 * may run as several stateless workers over one database. Everything else
 * comes through callback tables: keys, clock, session storage,
 * attestation, policy, the component inventory and manifest processing.
 *
 * Messages and their numbers:
 *   1 QueryRequest   TAM -> Agent
 *   2 QueryResponse  Agent -> TAM
 *   3 Update         TAM -> Agent
 *   5 Success        Agent -> TAM
 *   6 Error          Agent -> TAM
 * 0, 4 and 7..23 are reserved and decode as TK_ERR_TEEP_UNKNOWN_TYPE.
 *
 * Cipher suites are arrays of operations [COSE type, algorithm]. The
 * mandatory suites are [[18, -9]] (COSE_Sign1 with ESP256) and
 * [[18, -19]] (COSE_Sign1 with Ed25519). Implementations deployed before
 * the algorithm registry changed send ES256 (-7) and EdDSA (-8) instead;
 * both sides here accept those as the same suites unless
 * TK_TEEP_STRICT_ALG_IDS is set, and send the current ids unless the peer
 * offered only the old ones.
 */
#ifndef TEEPKIT_TEEP_H
#define TEEPKIT_TEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"
#include "teepkit/cose.h"
#include "teepkit/crypto.h"
#include "teepkit/eat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Limits (override with -D)                                              */
/* ---------------------------------------------------------------------- */

/* Cipher suites in one list, and operations in one suite. */
#ifndef TK_TEEP_MAX_SUITES
#define TK_TEEP_MAX_SUITES 4
#endif
#ifndef TK_TEEP_MAX_SUITE_OPS
#define TK_TEEP_MAX_SUITE_OPS 2
#endif
/* SUIT COSE profiles in one list, and algorithms in one profile. */
#ifndef TK_TEEP_MAX_PROFILES
#define TK_TEEP_MAX_PROFILES 6
#endif
#ifndef TK_TEEP_MAX_PROFILE_ALGS
#define TK_TEEP_MAX_PROFILE_ALGS 4
#endif
/* Protocol versions in a versions list. */
#ifndef TK_TEEP_MAX_VERSIONS
#define TK_TEEP_MAX_VERSIONS 4
#endif
/* Freshness mechanisms in a list. */
#ifndef TK_TEEP_MAX_FRESHNESS
#define TK_TEEP_MAX_FRESHNESS 4
#endif
/* SUIT envelopes in one Update manifest-list. */
#ifndef TK_TEEP_MAX_MANIFESTS
#define TK_TEEP_MAX_MANIFESTS 8
#endif
/* Manifest component ids in an unneeded-manifest-list. */
#ifndef TK_TEEP_MAX_UNNEEDED
#define TK_TEEP_MAX_UNNEEDED 8
#endif
/* Installed components in a tc-list. */
#ifndef TK_TEEP_MAX_TC_LIST
#define TK_TEEP_MAX_TC_LIST 16
#endif
/* Entries of a requested-tc-list. */
#ifndef TK_TEEP_MAX_REQUESTED_TC
#define TK_TEEP_MAX_REQUESTED_TC 8
#endif
/* Entries of an ext-list. */
#ifndef TK_TEEP_MAX_EXTENSIONS
#define TK_TEEP_MAX_EXTENSIONS 8
#endif
/* SUIT reports in one message. */
#ifndef TK_TEEP_MAX_SUIT_REPORTS
#define TK_TEEP_MAX_SUIT_REPORTS 8
#endif
/* Entries of one options map (known and unknown labels), for duplicate
 * detection. */
#ifndef TK_TEEP_MAX_OPTIONS
#define TK_TEEP_MAX_OPTIONS 32
#endif
/* Signatures checked in a COSE_Sign, and signers of a TAM's first
 * QueryRequest. */
#ifndef TK_TEEP_MAX_SIGNERS
#define TK_TEEP_MAX_SIGNERS 4
#endif
/* Update tokens an agent remembers to reject replays. */
#ifndef TK_TEEP_MAX_SEEN_TOKENS
#define TK_TEEP_MAX_SEEN_TOKENS 8
#endif
/* Bytes of a device id kept in sessions and results. */
#ifndef TK_TEEP_MAX_DEVICE_ID
#define TK_TEEP_MAX_DEVICE_ID 64
#endif
/* Bytes of a kid kept in agent state. */
#ifndef TK_TEEP_MAX_KID
#define TK_TEEP_MAX_KID 64
#endif

/* Maximum age in seconds of evidence appraised by tk_teep_tam_appraise()
 * when no challenge was sent. */
#ifndef TK_TEEP_EVIDENCE_MAX_AGE
#define TK_TEEP_EVIDENCE_MAX_AGE 300
#endif

/* Sizes the protocol fixes. */
#define TK_TEEP_TOKEN_MIN 8
#define TK_TEEP_TOKEN_MAX 64
#define TK_TEEP_CHALLENGE_MIN 8
#define TK_TEEP_CHALLENGE_MAX 512
#define TK_TEEP_MSG_MAX 128 /* msg and err-msg, bytes */
#define TK_TEEP_LANG_MAX 35 /* err-lang, bytes */

/* ---------------------------------------------------------------------- */
/* Protocol numbers                                                       */
/* ---------------------------------------------------------------------- */

/* Message types. */
typedef enum tk_teep_type {
    TK_TEEP_QUERY_REQUEST = 1,
    TK_TEEP_QUERY_RESPONSE = 2,
    TK_TEEP_UPDATE = 3,
    TK_TEEP_SUCCESS = 5,
    TK_TEEP_ERROR = 6
} tk_teep_type;

/* Option labels. */
typedef enum tk_teep_label {
    TK_TEEP_LABEL_SUPPORTED_SUITES = 1,
    TK_TEEP_LABEL_CHALLENGE = 2,
    TK_TEEP_LABEL_VERSIONS = 3,
    TK_TEEP_LABEL_SUPPORTED_PROFILES = 4,
    TK_TEEP_LABEL_SELECTED_VERSION = 6,
    TK_TEEP_LABEL_ATTESTATION_PAYLOAD = 7,
    TK_TEEP_LABEL_TC_LIST = 8,
    TK_TEEP_LABEL_EXT_LIST = 9,
    TK_TEEP_LABEL_MANIFEST_LIST = 10,
    TK_TEEP_LABEL_MSG = 11,
    TK_TEEP_LABEL_ERR_MSG = 12,
    TK_TEEP_LABEL_ATTESTATION_FORMAT = 13,
    TK_TEEP_LABEL_REQUESTED_TC_LIST = 14,
    TK_TEEP_LABEL_UNNEEDED_MANIFEST_LIST = 15,
    TK_TEEP_LABEL_COMPONENT_ID = 16,
    TK_TEEP_LABEL_TC_MANIFEST_SEQUENCE_NUMBER = 17,
    TK_TEEP_LABEL_HAVE_BINARY = 18,
    TK_TEEP_LABEL_SUIT_REPORTS = 19,
    TK_TEEP_LABEL_TOKEN = 20,
    TK_TEEP_LABEL_SUPPORTED_FRESHNESS = 21,
    TK_TEEP_LABEL_ERR_LANG = 22,
    TK_TEEP_LABEL_ERR_CODE = 23
} tk_teep_label;

/* Bits of data-item-requested. */
#define TK_TEEP_ITEM_ATTESTATION 0x1u
#define TK_TEEP_ITEM_TRUSTED_COMPONENTS 0x2u
#define TK_TEEP_ITEM_EXTENSIONS 0x4u
#define TK_TEEP_ITEM_SUIT_REPORTS 0x8u

/* Freshness mechanisms. */
#define TK_TEEP_FRESHNESS_NONCE 0
#define TK_TEEP_FRESHNESS_TIMESTAMP 1

/* Error codes of the Error message and of Update's err-code. */
typedef enum tk_teep_err_code {
    TK_TEEP_ERR_PERMANENT_ERROR = 1,
    TK_TEEP_ERR_UNSUPPORTED_EXTENSION = 2,
    TK_TEEP_ERR_UNSUPPORTED_FRESHNESS_MECHANISMS = 3,
    TK_TEEP_ERR_UNSUPPORTED_MSG_VERSION = 4,
    TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES = 5,
    TK_TEEP_ERR_BAD_CERTIFICATE = 6,
    TK_TEEP_ERR_ATTESTATION_REQUIRED = 7,
    TK_TEEP_ERR_UNSUPPORTED_SUIT_REPORT = 8,
    TK_TEEP_ERR_CERTIFICATE_EXPIRED = 9,
    TK_TEEP_ERR_TEMPORARY_ERROR = 10,
    TK_TEEP_ERR_MANIFEST_PROCESSING_FAILED = 17
} tk_teep_err_code;

/* COSE type of a cipher suite operation: COSE_Sign1 (CoAP content format
 * 18) and COSE_Sign (98). */
#define TK_TEEP_COSE_SIGN1 18
#define TK_TEEP_COSE_SIGN 98

/* The media type whose absence the protocol implies for an attestation
 * payload: an EAT in CWT form with the TEEP profile. */
#define TK_TEEP_EAT_MEDIA_TYPE "application/eat+cwt"

/* ---------------------------------------------------------------------- */
/* Message values                                                         */
/* ---------------------------------------------------------------------- */

/* One operation of a cipher suite. */
typedef struct tk_teep_operation {
    int64_t cose_type; /* TK_TEEP_COSE_SIGN1, ... */
    int64_t alg;       /* COSE algorithm */
} tk_teep_operation;

/* A cipher suite: an ordered list of operations. */
typedef struct tk_teep_suite {
    size_t count;
    tk_teep_operation ops[TK_TEEP_MAX_SUITE_OPS];
} tk_teep_suite;

/* A SUIT COSE profile: [digest, auth, key exchange, encryption] ids. */
typedef struct tk_teep_profile {
    size_t count;
    int64_t algs[TK_TEEP_MAX_PROFILE_ALGS];
} tk_teep_profile;

/* One requested-tc-info entry. component_id is the encoded
 * SUIT_Component_Identifier (an array of byte strings). */
typedef struct tk_teep_requested_tc {
    tk_view component_id;
    bool has_sequence;
    uint64_t sequence; /* tc-manifest-sequence-number */
    bool has_have_binary;
    bool have_binary;
} tk_teep_requested_tc;

/*
 * A TEEP message, decoded or to be encoded.
 *
 * present has bit (1 << label) set for each option in the options map
 * (TK_TEEP_HAS(msg, label)). The positional fields of QueryRequest
 * (suites, profiles, data_items) and of Error (err_code) belong to their
 * types and are always present there. Error may also carry suites,
 * profiles and freshness as options, which present then marks.
 *
 * Views point into the decoded input. For encoding they may point
 * anywhere that stays valid until tk_teep_encode() returns. tc_list
 * entries, unneeded component ids and requested component ids are encoded
 * CBOR items, copied as they are. manifests and suit_reports are the
 * contents of the byte strings that carry them.
 */
typedef struct tk_teep_message {
    uint32_t type;    /* tk_teep_type */
    uint32_t present; /* option bits */

    tk_view token;
    tk_view challenge;
    uint32_t selected_version;
    tk_view attestation_format; /* text */
    tk_view attestation_payload;
    tk_view msg;         /* text */
    tk_view err_msg;     /* text */
    tk_view err_lang;    /* text */
    uint32_t err_code;   /* Error field or Update option 23 */
    uint32_t data_items; /* data-item-requested bits */

    size_t version_count;
    uint32_t versions[TK_TEEP_MAX_VERSIONS];
    size_t suite_count;
    tk_teep_suite suites[TK_TEEP_MAX_SUITES];
    size_t profile_count;
    tk_teep_profile profiles[TK_TEEP_MAX_PROFILES];
    size_t freshness_count;
    uint32_t freshness[TK_TEEP_MAX_FRESHNESS];
    size_t ext_count;
    uint32_t ext_list[TK_TEEP_MAX_EXTENSIONS];

    size_t tc_count;
    tk_view tc_list[TK_TEEP_MAX_TC_LIST];
    size_t requested_count;
    tk_teep_requested_tc requested[TK_TEEP_MAX_REQUESTED_TC];
    size_t unneeded_count;
    tk_view unneeded[TK_TEEP_MAX_UNNEEDED];
    size_t manifest_count;
    tk_view manifests[TK_TEEP_MAX_MANIFESTS];
    size_t report_count;
    tk_view suit_reports[TK_TEEP_MAX_SUIT_REPORTS];

    /* Options with labels this version does not define (ignored). */
    size_t unknown_count;
} tk_teep_message;

#define TK_TEEP_HAS(m, label) (((m)->present >> (label)) & 1u)
#define TK_TEEP_SET(m, label) ((m)->present |= 1u << (label))

/*
 * Decodes the TEEP message in buf[0..len) (the COSE payload) into *msg,
 * which is cleared first.
 *
 * Options are checked against the CDDL of the message's type. A known
 * label of that type must have its type and size (TK_ERR_TEEP_BAD_OPTION).
 * Labels the type does not define are counted in unknown_count and
 * skipped. A label twice gives TK_ERR_TEEP_DUPLICATE_OPTION, and a key
 * that is not an unsigned integer TK_ERR_TEEP_BAD_LABEL. Empty lists are
 * accepted where the CDDL requires one or more entries, because some
 * agents send an empty tc-list to mean "nothing installed".
 *
 * For a reserved or unknown type the result is TK_ERR_TEEP_UNKNOWN_TYPE,
 * with msg->type and, when the options map is well formed, msg->token set,
 * so that an agent can echo the token in its Error.
 *
 * Other results: TK_ERR_TEEP_MALFORMED (not an array starting with an
 * unsigned type and an options map, missing positional fields, trailing
 * bytes), TK_ERR_TEEP_BAD_ERR_CODE, TK_ERR_TEEP_TOO_MANY. *err_offset
 * (may be NULL) receives the offset of the problem.
 */
tk_err tk_teep_decode(const uint8_t *buf, size_t len, tk_teep_message *msg,
                      size_t *err_offset);

/*
 * Encodes msg in preferred serialization: the options map contains the token
 * first and then the other options in ascending label order (the order of
 * the protocol's examples), followed by the positional fields of the type.
 * Writes to buf (capacity cap); *len receives the length, or the needed
 * capacity with TK_ERR_BUFFER_TOO_SMALL. Returns TK_ERR_TEEP_BAD_OPTION
 * for a value outside the sizes the protocol allows (a token of 7 bytes,
 * an err-msg over 128 bytes, err-code 0) and TK_ERR_TEEP_UNKNOWN_TYPE for
 * a type this version does not define.
 */
tk_err tk_teep_encode(const tk_teep_message *msg, uint8_t *buf, size_t cap,
                      size_t *len);

/* Fills *suite with the single-operation suite [[18, alg]]. */
void tk_teep_suite_sign1(tk_teep_suite *suite, tk_alg alg);

/*
 * Returns the signing algorithm of a single COSE_Sign1 operation suite
 * with its current id (-9 for -7 and -19 for -8 unless strict), or
 * TK_ALG_NONE for any other suite.
 */
tk_alg tk_teep_suite_alg(const tk_teep_suite *suite, bool strict);

/* Returns true when a and b contain the same operations. */
bool tk_teep_suite_equal(const tk_teep_suite *a, const tk_teep_suite *b);

/* ---------------------------------------------------------------------- */
/* Installed components (tc-list entries)                                 */
/* ---------------------------------------------------------------------- */

/*
 * The system-property-claims of one installed component, as the SUIT
 * report draft (section 4) defines them: a component id and SUIT
 * parameters. Views are encoded CBOR for component_id and image_digest
 * (a SUIT_Digest array, carried bstr-wrapped), plain bytes for the ids.
 */
typedef struct tk_teep_tc_info {
    tk_view component_id; /* system-component-id (0) */
    tk_view vendor_id;    /* suit-parameter-vendor-identifier (1) */
    tk_view class_id;     /* suit-parameter-class-identifier (2) */
    tk_view image_digest; /* suit-parameter-image-digest (3) */
    bool has_image_size;
    uint64_t image_size; /* suit-parameter-image-size (14) */
    bool has_sequence;
    uint64_t sequence; /* manifest sequence number that installed the
                          component; sent under key -257 only when
                          has_sequence, and read back the same way */
} tk_teep_tc_info;

/*
 * Decodes one tc-list entry (an encoded map) into *info. Keys other than
 * those above are skipped; a duplicate key gives
 * TK_ERR_TEEP_DUPLICATE_OPTION and a wrong type TK_ERR_TEEP_BAD_OPTION.
 */
tk_err tk_teep_tc_info_decode(tk_view entry, tk_teep_tc_info *info);

/* Encodes *info as a tc-list entry map into buf (capacity cap). */
tk_err tk_teep_tc_info_encode(const tk_teep_tc_info *info, uint8_t *buf,
                              size_t cap, size_t *len);

/* The private-use key under which tk_teep_tc_info carries the sequence
 * number of the installed manifest. */
#define TK_TEEP_TC_SEQUENCE_KEY (-257)

/* ---------------------------------------------------------------------- */
/* COSE protection                                                        */
/* ---------------------------------------------------------------------- */

/* A signing key with its COSE algorithm and the kid put in the protected
 * header (may be empty). */
typedef tk_cose_signer tk_teep_signer;

/*
 * Finds the public key to verify a message signed with alg by the signer
 * that kid names (kid may be empty when the message has none). On TK_OK,
 * *key points to a key the callee keeps alive until the state machine
 * call returns, and *peer_id (may be left empty) to the id of the device
 * or TAM that owns it. TK_ERR_NOT_FOUND when no trusted key matches.
 */
typedef tk_err (*tk_teep_key_fn)(void *ctx, tk_alg alg, tk_view kid,
                                 const tk_key **key, tk_view *peer_id);

/* A verified COSE structure. */
typedef struct tk_teep_verified {
    tk_view payload; /* the TEEP message bytes */
    tk_alg alg;      /* algorithm of the signature that verified */
    tk_view kid;
    tk_view peer_id;   /* from the key callback */
    const tk_key *key; /* the key that verified */
    bool multi;        /* the input was a COSE_Sign */
} tk_teep_verified;

/*
 * Signs payload. With one signer the result is a tagged COSE_Sign1. With
 * several (at most TK_TEEP_MAX_SIGNERS) it is a tagged COSE_Sign with one
 * signature per signer, the form of a TAM's first QueryRequest to an
 * agent whose suite it does not know. Writes to out (capacity cap).
 * scratch (capacity scratch_cap, may be NULL without Ed25519 signers)
 * receives the to-be-signed structure of an EdDSA signature: the payload
 * size plus 100 bytes.
 */
tk_err tk_teep_sign(const tk_crypto *crypto, const tk_teep_signer *signers,
                    size_t signer_count, tk_view payload, uint8_t *scratch,
                    size_t scratch_cap, uint8_t *out, size_t cap, size_t *len);

/*
 * Verifies a COSE_Sign1 or COSE_Sign (tagged or not) whose algorithm is in
 * accept[0..accept_count) (every algorithm when accept_count is 0), with
 * keys from find_key. For a COSE_Sign the first signature with an accepted
 * algorithm and a known key that verifies wins; the others are ignored.
 * Returns TK_OK with *out filled, or TK_ERR_TEEP_NOT_COSE,
 * TK_ERR_TEEP_SUITE_MISMATCH (no accepted algorithm),
 * TK_ERR_TEEP_UNKNOWN_KEY, TK_ERR_TEEP_SIGNATURE, or the COSE error of a
 * malformed header. scratch is used as by tk_teep_sign() for EdDSA.
 */
tk_err tk_teep_verify(const tk_crypto *crypto, tk_view in, const tk_alg *accept,
                      size_t accept_count, tk_teep_key_fn find_key, void *ctx,
                      uint8_t *scratch, size_t scratch_cap,
                      tk_teep_verified *out);

/* ---------------------------------------------------------------------- */
/* Common configuration                                                   */
/* ---------------------------------------------------------------------- */

/* Flags of both state machines. */
/* Treat -7 and -8 as unknown algorithms instead of ESP256 and Ed25519. */
#define TK_TEEP_STRICT_ALG_IDS 0x01u
/* TAM: reply to a QueryResponse whose attestation failed with a fresh
 * QueryRequest instead of an Update carrying ERR_ATTESTATION_REQUIRED. */
#define TK_TEEP_TAM_REQUERY_ON_ATTESTATION_FAILURE 0x02u
/* TAM: accept a result with status warning as if it were affirming (the
 * policy callback still receives the status). Off: only affirming passes. */
#define TK_TEEP_TAM_ACCEPT_WARNING 0x04u
/* Agent: require attestation of the TAM in every QueryRequest. */
#define TK_TEEP_AGENT_REQUIRE_TAM_ATTESTATION 0x08u

/* ---------------------------------------------------------------------- */
/* TAM                                                                    */
/* ---------------------------------------------------------------------- */

/*
 * An outstanding request of the TAM, stored by the caller under its token
 * between the message that the TAM sent and the response. The TAM's
 * workers share these through a database; a session is used once.
 */
typedef struct tk_teep_tam_session {
    uint32_t kind; /* TK_TEEP_QUERY_REQUEST or TK_TEEP_UPDATE */
    size_t token_len;
    uint8_t token[TK_TEEP_TOKEN_MAX];
    size_t challenge_len; /* 0 when none was sent */
    uint8_t challenge[TK_TEEP_CHALLENGE_MAX];
    uint32_t data_items; /* what the QueryRequest requested */
    uint32_t freshness;  /* bit per offered freshness mechanism */
    tk_alg alg;          /* suite algorithm; TK_ALG_NONE while the
                            agent's suite is unknown */
    int64_t created;     /* seconds since the epoch */
    int64_t expires;
    size_t device_id_len; /* 0 when not bound to a device yet */
    uint8_t device_id[TK_TEEP_MAX_DEVICE_ID];
    size_t manifest_count; /* manifests sent in the Update */
    uint32_t retries;      /* QueryRequests sent again after a
                              negotiation Error, at most
                              TK_TEEP_TAM_MAX_RETRIES */
} tk_teep_tam_session;

/* QueryRequests a TAM sends again in one exchange after the agent's
 * negotiation Errors (cipher suites, freshness). */
#ifndef TK_TEEP_TAM_MAX_RETRIES
#define TK_TEEP_TAM_MAX_RETRIES 2
#endif

/* Input of the TAM's appraisal callback. */
typedef struct tk_teep_evidence {
    tk_view format;    /* attestation-payload-format, or empty for
                          the EAT default */
    tk_view payload;   /* attestation-payload */
    tk_view challenge; /* the challenge sent, the expected eat_nonce */
    tk_view device_id;
    const tk_key *agent_key; /* the key that signed the QueryResponse */
    tk_alg agent_alg;
    int64_t now;
} tk_teep_evidence;

/* Input of the TAM's policy callback. */
typedef struct tk_teep_policy_input {
    tk_view device_id;
    const tk_teep_message *response;  /* the QueryResponse */
    const tk_eat_result *attestation; /* NULL when none was requested */
} tk_teep_policy_input;

/*
 * What the policy decides for a device. The callee fills the lists with
 * views into memory it keeps valid until tk_teep_tam_handle() returns.
 * Both lists empty means the device needs nothing: the session ends.
 */
typedef struct tk_teep_policy_output {
    size_t manifest_count;
    tk_view manifests[TK_TEEP_MAX_MANIFESTS]; /* SUIT envelopes */
    size_t unneeded_count;
    tk_view unneeded[TK_TEEP_MAX_UNNEEDED]; /* encoded manifest ids */
} tk_teep_policy_output;

/* What the TAM learned from a Success or Error, for the record callback.
 * Reports were checked against the Update's token. */
typedef struct tk_teep_record {
    tk_view device_id;
    const tk_teep_tam_session *session; /* the request it replies to */
    const tk_teep_message *message;     /* the Success or Error */
} tk_teep_record;

/*
 * Callbacks of the TAM. All are required except tam_evidence. Each
 * returns TK_OK or an error that the TAM passes on as the result's reason
 * (TK_ERR_NOT_FOUND where documented).
 */
typedef struct tk_teep_tam_ops {
    void *ctx;
    /* Current time, seconds since the epoch. */
    int64_t (*now)(void *ctx);
    /* Stores a new session under its token. */
    tk_err (*session_save)(void *ctx, const tk_teep_tam_session *session);
    /*
     * Atomically finds and deletes the session of token, so that a second
     * response with the same token finds nothing. TK_ERR_NOT_FOUND when
     * no session has that token (never issued, used, or purged after
     * expiry).
     */
    tk_err (*session_take)(void *ctx, tk_view token,
                           tk_teep_tam_session *session);
    /* Finds an agent's key by kid; peer_id is the device id. */
    tk_teep_key_fn agent_key;
    /* Appraises evidence, typically with tk_eat_appraise() and reference
     * values from the store, and fills *result. Returning an error makes
     * the attestation fail with that reason. */
    tk_err (*appraise)(void *ctx, const tk_teep_evidence *evidence,
                       tk_eat_result *result);
    /* Decides what a device needs. */
    tk_err (*policy)(void *ctx, const tk_teep_policy_input *input,
                     tk_teep_policy_output *output);
    /* Records the outcome of an Update (Success or Error). */
    tk_err (*record)(void *ctx, const tk_teep_record *record);
} tk_teep_tam_ops;

/* Configuration of a TAM worker. Use tk_teep_tam_init() for defaults. */
typedef struct tk_teep_tam {
    const tk_crypto *crypto;
    /* TAM keys, one per supported cipher suite, in preference order. */
    const tk_teep_signer *signers;
    size_t signer_count;
    /* SUIT COSE profiles offered in QueryRequest. */
    const tk_teep_profile *profiles;
    size_t profile_count;
    uint32_t data_items;      /* requested in QueryRequest */
    uint32_t freshness;       /* bit (1 << mechanism) per offered one */
    size_t token_len;         /* 8..64, default 16 */
    size_t challenge_len;     /* 8..512, default 32 */
    int64_t session_lifetime; /* seconds a token stays valid */
    uint32_t flags;           /* TK_TEEP_STRICT_ALG_IDS, TK_TEEP_TAM_* */
    /* Work buffer for the unsigned message (about the size of the
     * largest Update plus 1 KiB). Owned by the caller; one per worker. */
    uint8_t *scratch;
    size_t scratch_cap;
    tk_teep_tam_ops ops;
} tk_teep_tam;

/* What one TAM call did. */
typedef enum tk_teep_tam_outcome {
    TK_TEEP_TAM_REJECTED = 0, /* input dropped, nothing to send */
    TK_TEEP_TAM_SEND_QUERY,   /* out contains a QueryRequest */
    TK_TEEP_TAM_SEND_UPDATE,  /* out contains an Update */
    TK_TEEP_TAM_DONE          /* nothing to send: the exchange is over */
} tk_teep_tam_outcome;

/* Result of tk_teep_tam_start() and tk_teep_tam_handle(), for logging and
 * storage. */
typedef struct tk_teep_tam_result {
    tk_teep_tam_outcome outcome;
    tk_err reason;          /* TK_OK, or why the input was rejected or
                               attestation failed */
    uint32_t received_type; /* type of the input, 0 when not decoded */
    size_t device_id_len;
    uint8_t device_id[TK_TEEP_MAX_DEVICE_ID];
    tk_eat_status attestation; /* TK_EAT_STATUS_NONE without evidence */
    uint32_t err_code;         /* err-code received in an Error or sent in
                                  an Update, else 0 */
    size_t manifests_sent;
    size_t unneeded_sent;
    size_t out_len; /* bytes of out to send, 0 for none */
} tk_teep_tam_result;

/*
 * Fills *tam with defaults: request attestation and trusted components,
 * nonce freshness, 16-byte tokens, 32-byte challenges, a session lifetime
 * of 24 hours (the protocol recommends several hours, because an agent may
 * take long to install dependencies), the four SUIT COSE profiles of the
 * protocol, no flags. The caller then sets crypto, signers, scratch and
 * ops.
 */
void tk_teep_tam_init(tk_teep_tam *tam);

/*
 * Starts a session: builds and signs a QueryRequest with a fresh token
 * and, when attestation is requested, a fresh challenge, both from the
 * CSPRNG, and saves the session. device_id (may be empty) binds the
 * session to a device known to the TAM; alg is that device's suite algorithm,
 * or TK_ALG_NONE to sign with every signer as a COSE_Sign.
 * Writes the message to out (capacity cap) and fills *res.
 */
tk_err tk_teep_tam_start(tk_teep_tam *tam, tk_view device_id, tk_alg alg,
                         uint8_t *out, size_t cap, tk_teep_tam_result *res);

/*
 * Handles one message from an agent: verifies its signature with the
 * agent's key, decodes it, takes its session by token (single use),
 * checks it against the session, and for a QueryResponse appraises the
 * evidence, calls the policy and builds an Update with a new token; for a
 * Success or Error checks the SUIT report nonces and records the outcome.
 *
 * Returns TK_OK when the message was handled (res->outcome says what to
 * send; res->reason may still carry why attestation failed), or the
 * reason the message was rejected (res->outcome TK_TEEP_TAM_REJECTED,
 * nothing to send, no session consumed unless the signature verified).
 * Wrong-direction and unknown types give TK_ERR_TEEP_WRONG_DIRECTION and
 * TK_ERR_TEEP_UNKNOWN_TYPE; unknown, used or expired tokens
 * TK_ERR_TEEP_TOKEN_UNKNOWN or TK_ERR_TEEP_TOKEN_EXPIRED.
 */
tk_err tk_teep_tam_handle(tk_teep_tam *tam, tk_view in, uint8_t *out,
                          size_t cap, tk_teep_tam_result *res);

/* ---------------------------------------------------------------------- */
/* TEEP Agent                                                             */
/* ---------------------------------------------------------------------- */

/*
 * What an agent keeps between messages, stored by the caller (initialize
 * with tk_teep_agent_state_init()). It records the exchange in progress
 * and the Update tokens already processed.
 */
typedef struct tk_teep_agent_state {
    uint32_t phase;   /* 0 idle, 1 waiting for an Update */
    tk_alg alg;       /* suite algorithm agreed with the TAM */
    int64_t deadline; /* end of the wait for an Update */
    size_t tam_kid_len;
    uint8_t tam_kid[TK_TEEP_MAX_KID]; /* the TAM of the QueryRequest: the
                                         peer_id of its key, or its kid
                                         when the key has no peer_id */
    size_t seen_count; /* valid entries of seen: Update tokens, or
                          the SHA-256 of a token-less Update */
    size_t seen_next;  /* next entry to overwrite */
    struct {
        size_t len;
        uint8_t token[TK_TEEP_TOKEN_MAX];
    } seen[TK_TEEP_MAX_SEEN_TOKENS];
} tk_teep_agent_state;

/* Input of the agent's evidence callback. */
typedef struct tk_teep_evidence_request {
    tk_view challenge;            /* becomes the eat_nonce; may be empty */
    uint32_t freshness;           /* the mechanism chosen */
    const tk_teep_signer *signer; /* the agent key of the chosen suite,
                                     for the cnf claim */
} tk_teep_evidence_request;

/* Callbacks of the agent. component, requested and unneeded may be NULL
 * (nothing to list). */
typedef struct tk_teep_agent_ops {
    void *ctx;
    int64_t (*now)(void *ctx);
    /* Finds a trusted TAM key by kid. peer_id (may be left empty) names
     * the TAM: give every key of one TAM the same peer_id, so that its
     * Update is accepted whichever of its keys signed the QueryRequest.
     * Without one, the Update must come from the key with the kid that
     * signed the QueryRequest. */
    tk_teep_key_fn tam_key;
    /*
     * Produces an attestation payload into buf (capacity cap, length in
     * *len), typically with tk_eat_build_evidence(). *format is left empty
     * for an EAT with the TEEP profile, else set to the media type. The
     * agent calls it before it writes into its scratch, so the callback
     * may use the agent's scratch as its own work buffer.
     */
    tk_err (*evidence)(void *ctx, const tk_teep_evidence_request *request,
                       uint8_t *buf, size_t cap, size_t *len, tk_view *format);
    /* Fills *info with installed component number index (from 0);
     * TK_ERR_NOT_FOUND after the last. */
    tk_err (*component)(void *ctx, size_t index, tk_teep_tc_info *info);
    /* Components requested for installation (RequestTA); same protocol. */
    tk_err (*requested)(void *ctx, size_t index, tk_teep_requested_tc *tc);
    /* Encoded manifest ids that are no longer needed (UnrequestTA). */
    tk_err (*unneeded)(void *ctx, size_t index, tk_view *manifest_id);
    /*
     * Processes one SUIT envelope of an Update (verify, fetch, install),
     * typically with lib/suit and the component store, and writes its SUIT
     * report (whose suit-report-nonce must be token) into report
     * (capacity cap, length in *report_len, 0 for none). Returns TK_OK
     * when the manifest was applied, an error otherwise.
     */
    tk_err (*process_manifest)(void *ctx, tk_view envelope, tk_view token,
                               uint8_t *report, size_t cap, size_t *report_len);
    /* Unlinks the manifest with the encoded id manifest_id. */
    tk_err (*unlink_manifest)(void *ctx, tk_view manifest_id);
} tk_teep_agent_ops;

/* Configuration of an agent. Use tk_teep_agent_init() for defaults. */
typedef struct tk_teep_agent {
    const tk_crypto *crypto;
    /* Agent keys, one per supported cipher suite, in preference order.
     * The first one with a mandatory algorithm signs Errors about cipher
     * suites. */
    const tk_teep_signer *signers;
    size_t signer_count;
    const tk_teep_profile *profiles; /* supported SUIT COSE profiles */
    size_t profile_count;
    uint32_t freshness;  /* bit (1 << mechanism) per supported one */
    int64_t update_wait; /* seconds an Update is awaited */
    uint32_t flags;      /* TK_TEEP_STRICT_ALG_IDS, TK_TEEP_AGENT_* */
    uint8_t *scratch;    /* work buffer for the unsigned message */
    size_t scratch_cap;
    /* Buffers for the attestation payload of a QueryResponse and the SUIT
     * reports of an Update. One message never needs both, so they may be
     * the same memory. */
    uint8_t *evidence_buf;
    size_t evidence_cap;
    uint8_t *report_buf;
    size_t report_cap;
    tk_teep_agent_ops ops;
} tk_teep_agent;

/* Result of tk_teep_agent_handle(). */
typedef struct tk_teep_agent_result {
    uint32_t received_type; /* type of the input, 0 when not decoded */
    tk_err reason;          /* TK_OK, or what went wrong */
    uint32_t sent_type;     /* type of the reply, 0 when none */
    uint32_t err_code;      /* err-code of the reply Error, else 0 */
    uint32_t tam_err_code;  /* err-code the TAM sent in an Update */
    size_t installed;       /* manifests applied */
    size_t failed;          /* manifests that failed */
    size_t unlinked;        /* manifests unlinked */
    size_t out_len;         /* bytes of out to send, 0 for none */
} tk_teep_agent_result;

/*
 * Fills *agent with defaults: nonce freshness, a 24-hour wait for an
 * Update, the four SUIT COSE profiles of the protocol, no flags. The
 * caller then sets crypto, signers, buffers and ops.
 */
void tk_teep_agent_init(tk_teep_agent *agent);

/* Clears *state: idle, no tokens seen. */
void tk_teep_agent_state_init(tk_teep_agent_state *state);

/*
 * Handles one message from a TAM and writes the reply to out (capacity
 * cap): a QueryResponse or Error for a QueryRequest, Success or Error for
 * an Update, Error with ERR_PERMANENT_ERROR for a message that cannot be
 * processed (bad structure, unknown or wrong-direction type, unexpected
 * or replayed Update). The negotiation errors (ERR_UNSUPPORTED_MSG_VERSION,
 * ERR_UNSUPPORTED_CIPHER_SUITES, ERR_UNSUPPORTED_FRESHNESS_MECHANISMS)
 * carry the agent's supported values and are signed with a mandatory
 * suite. *state is updated only when the input was accepted. out may be
 * the memory of in: the agent writes out only when it is done with in.
 *
 * Returns TK_OK when the input was accepted and processed (even if some
 * manifest failed: see res), else the reason it was rejected; in both
 * cases res->out_len says whether there is a reply to send.
 */
tk_err tk_teep_agent_handle(tk_teep_agent *agent, tk_teep_agent_state *state,
                            tk_view in, uint8_t *out, size_t cap,
                            tk_teep_agent_result *res);

/* ---------------------------------------------------------------------- */
/* Attestation helpers for the callbacks                                  */
/* ---------------------------------------------------------------------- */

/*
 * Builds the agent's evidence for an evidence callback: copies
 * device_claims (ueid, oemid, hwmodel, hwversion, manifests and any other
 * claims of the device), sets eat_nonce to request->challenge, cnf to the
 * RFC 9679 thumbprint of the agent key request->signer->key, and iat to
 * now, then signs with the attestation key attester as
 * tk_eat_build_evidence() does. scratch (capacity scratch_cap) holds the
 * encoded claims and the to-be-signed bytes; out (capacity cap) receives
 * the token and *len its length.
 */
tk_err tk_teep_agent_evidence(const tk_crypto *crypto,
                              const tk_eat_signer *attester,
                              const tk_eat_claims *device_claims,
                              const tk_teep_evidence_request *request,
                              int64_t now, uint8_t *scratch, size_t scratch_cap,
                              uint8_t *out, size_t cap, size_t *len);

/*
 * Appraises evidence for an appraise callback with tk_eat_appraise(): the
 * TEEP profile, the challenge as the expected eat_nonce, the clock of the
 * evidence, and the thumbprint of evidence->agent_key as the expected cnf
 * kid. Without a challenge (timestamp freshness) iat must instead be at
 * most TK_TEEP_EVIDENCE_MAX_AGE seconds old. ref holds the reference
 * values of the device, skew the tolerated clock difference in seconds. scratch
 * (may be NULL for ECDSA attesters) holds the to-be-signed bytes of an EdDSA
 * verification. Fills *result and returns what tk_eat_appraise() returns.
 */
tk_err tk_teep_tam_appraise(const tk_crypto *crypto,
                            const tk_teep_evidence *evidence,
                            const tk_eat_reference *ref, uint64_t skew,
                            uint8_t *scratch, size_t scratch_cap,
                            tk_eat_result *result);

/* The four SUIT COSE profiles of the protocol, for configurations. */
extern const tk_teep_profile tk_teep_default_profiles[4];

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_TEEP_H */
