/*
 * SUIT builder: encodes a SUIT envelope (draft-ietf-suit-manifest-37) from
 * an in-memory description, and signs it.
 *
 * The description is a tree of plain structs that point to caller-owned
 * arrays: components, dependencies (draft-ietf-suit-trust-domains-11),
 * command sequences with their conditions, directives and parameters, text,
 * severable members, integrated payloads and dependencies. The builder
 * checks it (component indices in range, argument kinds and sizes that the
 * CDDL fixes, unique labels, nesting depth) and writes deterministic CBOR
 * (RFC 8949 section 4.2.1) into one caller buffer. Then it adds one
 * COSE_Sign1 per signer, with a nil payload, over the bstr-wrapped
 * SUIT_Digest of the manifest (draft-ietf-suit-manifest-37 section 8.3).
 *
 * Nothing here allocates: the output buffer doubles as the work area, and
 * the description is never copied. Crypto goes through tk_crypto.
 *
 * Typical use for one component with a known digest:
 *
 *     tk_suit_build_param params[3];
 *     tk_suit_build_command shared[2];
 *
 *     params[0] = tk_suit_build_param_bytes(TK_SUIT_BUILD_PARAM_VENDOR_ID,
 *                                           TK_SUIT_BUILD_VALUE_BSTR, uuid);
 *     params[1] = tk_suit_build_param_digest(
 *         TK_SUIT_BUILD_PARAM_IMAGE_DIGEST, &digest);
 *     params[2] = tk_suit_build_param_uint(TK_SUIT_BUILD_PARAM_IMAGE_SIZE,
 *                                          size);
 *     shared[0] = tk_suit_build_cmd_params(
 *         TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS, params, 3);
 *     shared[1] = tk_suit_build_cmd_policy(
 *         TK_SUIT_BUILD_COND_VENDOR_IDENTIFIER, 15);
 *     ... fill a tk_suit_build_manifest and a tk_suit_build_envelope ...
 *     err = tk_suit_build_encode_envelope(&envelope, crypto, signers, 1,
 *                                         out, sizeof(out), &out_len,
 *                                         NULL);
 */
#ifndef TEEPKIT_SUIT_BUILD_H
#define TEEPKIT_SUIT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/cbor.h"
#include "teepkit/common.h"
#include "teepkit/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Limits                                                                 */
/* ---------------------------------------------------------------------- */

/* Maximum nesting of command sequences inside try-each and run-sequence
 * arguments, a manifest member's sequence being depth 1 (default 3). Each
 * level takes three CBOR nesting levels (try-each array, bstr, sequence
 * array), and the deepest item must stay within TK_CBOR_MAX_DEPTH, which
 * build.c checks at compile time. */
#ifndef TK_SUIT_BUILD_MAX_DEPTH
#define TK_SUIT_BUILD_MAX_DEPTH 3
#endif

/* Maximum number of signers of one envelope, counting signatures that an
 * envelope given to tk_suit_build_sign() already carries (default 4). */
#ifndef TK_SUIT_BUILD_MAX_SIGNERS
#define TK_SUIT_BUILD_MAX_SIGNERS 4
#endif

/* Maximum length of a signer's kid in bytes (default 64). */
#ifndef TK_SUIT_BUILD_MAX_KID
#define TK_SUIT_BUILD_MAX_KID 64
#endif

/* Maximum number of top-level entries of an envelope given to
 * tk_suit_build_sign() (default 32). */
#ifndef TK_SUIT_BUILD_MAX_ENVELOPE_ENTRIES
#define TK_SUIT_BUILD_MAX_ENVELOPE_ENTRIES 32
#endif

/* ---------------------------------------------------------------------- */
/* Labels                                                                 */
/* ---------------------------------------------------------------------- */

/* CBOR tag of SUIT_Envelope_Tagged. */
#define TK_SUIT_BUILD_ENVELOPE_TAG 107

/* Envelope and manifest members (draft-ietf-suit-manifest-37 section 11,
 * draft-ietf-suit-trust-domains-11 section 8, draft-ietf-suit-update-
 * management-14). */
enum {
    TK_SUIT_BUILD_ENV_AUTHENTICATION = 2,
    TK_SUIT_BUILD_ENV_MANIFEST = 3,
    TK_SUIT_BUILD_MAN_VERSION = 1,
    TK_SUIT_BUILD_MAN_SEQUENCE_NUMBER = 2,
    TK_SUIT_BUILD_MAN_COMMON = 3,
    TK_SUIT_BUILD_MAN_REFERENCE_URI = 4,
    TK_SUIT_BUILD_MAN_COMPONENT_ID = 5,
    TK_SUIT_BUILD_MAN_SET_VERSION = 6,
    TK_SUIT_BUILD_MAN_VALIDATE = 7,
    TK_SUIT_BUILD_MAN_LOAD = 8,
    TK_SUIT_BUILD_MAN_INVOKE = 9,
    TK_SUIT_BUILD_MAN_DEPENDENCY_RESOLUTION = 15,
    TK_SUIT_BUILD_MAN_PAYLOAD_FETCH = 16,
    TK_SUIT_BUILD_MAN_CANDIDATE_VERIFICATION = 18,
    TK_SUIT_BUILD_MAN_INSTALL = 20,
    TK_SUIT_BUILD_MAN_TEXT = 23,
    TK_SUIT_BUILD_MAN_UNINSTALL = 24,
    TK_SUIT_BUILD_COMMON_DEPENDENCIES = 1,
    TK_SUIT_BUILD_COMMON_COMPONENTS = 2,
    TK_SUIT_BUILD_COMMON_SHARED_SEQUENCE = 4,
    TK_SUIT_BUILD_DEPENDENCY_PREFIX = 1
};

/* Conditions. */
enum {
    TK_SUIT_BUILD_COND_VENDOR_IDENTIFIER = 1,
    TK_SUIT_BUILD_COND_CLASS_IDENTIFIER = 2,
    TK_SUIT_BUILD_COND_IMAGE_MATCH = 3,
    TK_SUIT_BUILD_COND_USE_BEFORE = 4,
    TK_SUIT_BUILD_COND_COMPONENT_SLOT = 5,
    TK_SUIT_BUILD_COND_CHECK_CONTENT = 6,
    TK_SUIT_BUILD_COND_DEPENDENCY_INTEGRITY = 7,
    TK_SUIT_BUILD_COND_IS_DEPENDENCY = 8,
    TK_SUIT_BUILD_COND_ABORT = 14,
    TK_SUIT_BUILD_COND_DEVICE_IDENTIFIER = 24,
    TK_SUIT_BUILD_COND_IMAGE_NOT_MATCH = 25,
    TK_SUIT_BUILD_COND_MINIMUM_BATTERY = 26,
    TK_SUIT_BUILD_COND_UPDATE_AUTHORIZED = 27,
    TK_SUIT_BUILD_COND_VERSION = 28
};

/* Directives. */
enum {
    TK_SUIT_BUILD_DIR_PROCESS_DEPENDENCY = 11,
    TK_SUIT_BUILD_DIR_SET_COMPONENT_INDEX = 12,
    TK_SUIT_BUILD_DIR_TRY_EACH = 15,
    TK_SUIT_BUILD_DIR_WRITE = 18,
    TK_SUIT_BUILD_DIR_SET_PARAMETERS = 19,
    TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS = 20,
    TK_SUIT_BUILD_DIR_FETCH = 21,
    TK_SUIT_BUILD_DIR_COPY = 22,
    TK_SUIT_BUILD_DIR_INVOKE = 23,
    TK_SUIT_BUILD_DIR_WAIT = 29,
    TK_SUIT_BUILD_DIR_SWAP = 31,
    TK_SUIT_BUILD_DIR_RUN_SEQUENCE = 32,
    TK_SUIT_BUILD_DIR_UNLINK = 33,
    TK_SUIT_BUILD_DIR_OVERRIDE_MULTIPLE = 34,
    TK_SUIT_BUILD_DIR_COPY_PARAMS = 35
};

/* Parameters. */
enum {
    TK_SUIT_BUILD_PARAM_VENDOR_ID = 1,
    TK_SUIT_BUILD_PARAM_CLASS_ID = 2,
    TK_SUIT_BUILD_PARAM_IMAGE_DIGEST = 3,
    TK_SUIT_BUILD_PARAM_USE_BEFORE = 4,
    TK_SUIT_BUILD_PARAM_COMPONENT_SLOT = 5,
    TK_SUIT_BUILD_PARAM_STRICT_ORDER = 12,
    TK_SUIT_BUILD_PARAM_SOFT_FAILURE = 13,
    TK_SUIT_BUILD_PARAM_IMAGE_SIZE = 14,
    TK_SUIT_BUILD_PARAM_CONTENT = 18,
    TK_SUIT_BUILD_PARAM_ENCRYPTION_INFO = 19,
    TK_SUIT_BUILD_PARAM_URI = 21,
    TK_SUIT_BUILD_PARAM_SOURCE_COMPONENT = 22,
    TK_SUIT_BUILD_PARAM_INVOKE_ARGS = 23,
    TK_SUIT_BUILD_PARAM_DEVICE_ID = 24,
    TK_SUIT_BUILD_PARAM_FETCH_ARGUMENTS = 25,
    TK_SUIT_BUILD_PARAM_MINIMUM_BATTERY = 26,
    TK_SUIT_BUILD_PARAM_UPDATE_PRIORITY = 27,
    TK_SUIT_BUILD_PARAM_VERSION = 28,
    TK_SUIT_BUILD_PARAM_WAIT_INFO = 29,
    TK_SUIT_BUILD_PARAM_COMPONENT_METADATA = 30
};

/* Text keys of a language map (manifest level) and of a component's map. */
enum {
    TK_SUIT_BUILD_TEXT_MANIFEST_DESCRIPTION = 1,
    TK_SUIT_BUILD_TEXT_UPDATE_DESCRIPTION = 2,
    TK_SUIT_BUILD_TEXT_MANIFEST_JSON_SOURCE = 3,
    TK_SUIT_BUILD_TEXT_MANIFEST_YAML_SOURCE = 4,
    TK_SUIT_BUILD_TEXT_VENDOR_NAME = 1,
    TK_SUIT_BUILD_TEXT_MODEL_NAME = 2,
    TK_SUIT_BUILD_TEXT_VENDOR_DOMAIN = 3,
    TK_SUIT_BUILD_TEXT_MODEL_INFO = 4,
    TK_SUIT_BUILD_TEXT_COMPONENT_DESCRIPTION = 5,
    TK_SUIT_BUILD_TEXT_COMPONENT_VERSION = 6,
    TK_SUIT_BUILD_TEXT_VERSION_REQUIRED = 7,
    TK_SUIT_BUILD_TEXT_CURRENT_VERSION = 8
};

/* Reporting policy bits (draft-ietf-suit-manifest-37 section 8.4.7). */
enum {
    TK_SUIT_BUILD_REPORT_RECORD_ON_SUCCESS = 1,
    TK_SUIT_BUILD_REPORT_RECORD_ON_FAILURE = 2,
    TK_SUIT_BUILD_REPORT_SYSINFO_ON_SUCCESS = 4,
    TK_SUIT_BUILD_REPORT_SYSINFO_ON_FAILURE = 8
};

/* Members that tk_suit_build_manifest.sever can move to the envelope. */
enum {
    TK_SUIT_BUILD_SEVER_DEPENDENCY_RESOLUTION = 1u << 0,
    TK_SUIT_BUILD_SEVER_PAYLOAD_FETCH = 1u << 1,
    TK_SUIT_BUILD_SEVER_CANDIDATE_VERIFICATION = 1u << 2,
    TK_SUIT_BUILD_SEVER_INSTALL = 1u << 3,
    TK_SUIT_BUILD_SEVER_TEXT = 1u << 4
};

/* ---------------------------------------------------------------------- */
/* Description                                                            */
/* ---------------------------------------------------------------------- */

/* A SUIT_Digest: a COSE hash algorithm and the digest bytes. */
typedef struct tk_suit_build_digest {
    tk_alg alg;                              /* TK_ALG_SHA256, -384, -512 */
    uint8_t bytes[TK_CRYPTO_MAX_HASH_SIZE];
    size_t len;                              /* must match alg */
} tk_suit_build_digest;

/* Kind of a parameter value. */
typedef enum tk_suit_build_value_type {
    TK_SUIT_BUILD_VALUE_UINT = 1,  /* uint_value */
    TK_SUIT_BUILD_VALUE_INT,       /* int_value, either sign */
    TK_SUIT_BUILD_VALUE_BOOL,      /* bool_value */
    TK_SUIT_BUILD_VALUE_BSTR,      /* bytes */
    TK_SUIT_BUILD_VALUE_TSTR,      /* bytes, UTF-8 text */
    TK_SUIT_BUILD_VALUE_DIGEST,    /* *digest, written as
                                      bstr .cbor SUIT_Digest */
    TK_SUIT_BUILD_VALUE_BSTR_CBOR, /* bytes hold one encoded item; written
                                bstr-wrapped (encryption info, version,
                                wait info, component metadata) */
    TK_SUIT_BUILD_VALUE_PEN        /* bytes of a CBOR PEN, written as tag 112 */
} tk_suit_build_value_type;

/* One entry of an override-parameters or set-parameters map. */
typedef struct tk_suit_build_param {
    int64_t label;  /* TK_SUIT_BUILD_PARAM_*, or a negative custom label */
    tk_suit_build_value_type type;
    uint64_t uint_value;
    int64_t int_value;
    bool bool_value;
    tk_view bytes;
    const tk_suit_build_digest *digest;
} tk_suit_build_param;

/* Constructors of common parameters. */
static inline tk_suit_build_param tk_suit_build_param_uint(int64_t label,
                                                          uint64_t value)
{
    tk_suit_build_param p = {label, TK_SUIT_BUILD_VALUE_UINT, value, 0,
                             false, {NULL, 0}, NULL};
    return p;
}

static inline tk_suit_build_param tk_suit_build_param_bool(int64_t label,
                                                          bool value)
{
    tk_suit_build_param p = {label, TK_SUIT_BUILD_VALUE_BOOL, 0, 0, value,
                             {NULL, 0}, NULL};
    return p;
}

static inline tk_suit_build_param tk_suit_build_param_bytes(
    int64_t label, tk_suit_build_value_type type, tk_view bytes)
{
    tk_suit_build_param p = {label, type, 0, 0, false, bytes, NULL};
    return p;
}

static inline tk_suit_build_param tk_suit_build_param_digest(
    int64_t label, const tk_suit_build_digest *digest)
{
    tk_suit_build_param p = {label, TK_SUIT_BUILD_VALUE_DIGEST, 0, 0, false,
                             {NULL, 0}, digest};
    return p;
}

/* Argument of set-component-index: one index, every component (true), or
 * a list of indices. */
typedef enum tk_suit_build_index_type {
    TK_SUIT_BUILD_INDEX_ONE = 0,
    TK_SUIT_BUILD_INDEX_ALL,
    TK_SUIT_BUILD_INDEX_LIST
} tk_suit_build_index_type;

typedef struct tk_suit_build_sequence tk_suit_build_sequence;

/*
 * One condition or directive. Which members are read depends on label:
 *   set-component-index (12): index_type, index, index_list/index_count
 *   override-parameters (20), set-parameters (19): params/param_count
 *   run-sequence (32): sequences[0] (sequence_count 1)
 *   try-each (15): sequences/sequence_count (2 or more), try_each_nil for
 *     the optional trailing nil that makes an all-failing try-each pass
 *   override-multiple (34), copy-params (35), and custom commands
 *     (negative labels): raw, one encoded item (custom: bstr, tstr, int or
 *     nil)
 *   every other condition and directive: policy (reporting policy bits)
 */
typedef struct tk_suit_build_command {
    int64_t label;
    uint64_t policy;
    tk_suit_build_index_type index_type;
    uint64_t index;
    const uint64_t *index_list;
    size_t index_count;
    const tk_suit_build_param *params;
    size_t param_count;
    const tk_suit_build_sequence *sequences;
    size_t sequence_count;
    bool try_each_nil;
    tk_view raw;
} tk_suit_build_command;

/* A SUIT_Command_Sequence. A member sequence with count 0 is absent. */
struct tk_suit_build_sequence {
    const tk_suit_build_command *commands;
    size_t count;
};

/* Constructors of commands: a condition or directive with a reporting
 * policy, set-component-index with one index, and a parameters directive
 * (override-parameters or set-parameters). */
static inline tk_suit_build_command tk_suit_build_cmd_policy(int64_t label,
                                                            uint64_t policy)
{
    tk_suit_build_command c = {0};

    c.label = label;
    c.policy = policy;
    return c;
}

static inline tk_suit_build_command tk_suit_build_cmd_index(uint64_t index)
{
    tk_suit_build_command c = {0};

    c.label = TK_SUIT_BUILD_DIR_SET_COMPONENT_INDEX;
    c.index = index;
    return c;
}

static inline tk_suit_build_command tk_suit_build_cmd_params(
    int64_t label, const tk_suit_build_param *params, size_t count)
{
    tk_suit_build_command c = {0};

    c.label = label;
    c.params = params;
    c.param_count = count;
    return c;
}

/* A SUIT_Component_Identifier: a list of byte strings. */
typedef struct tk_suit_build_component_id {
    const tk_view *segments;
    size_t count;
} tk_suit_build_component_id;

/* One entry of suit-dependencies: the component at index contains the
 * envelope of a dependency, optionally with a prefix. An index past the
 * component list is allowed when a prefix is given: the prefix is then the
 * dependency's component identifier, and commands may select that index,
 * as the draft-ietf-suit-trust-domains-11 examples do. */
typedef struct tk_suit_build_dependency {
    uint64_t index;
    const tk_suit_build_component_id *prefix;  /* NULL for none */
} tk_suit_build_dependency;

/* One integer => text pair of a text map. */
typedef struct tk_suit_build_text_entry {
    int64_t key;
    tk_view text;
} tk_suit_build_text_entry;

/* The text of one component in one language. */
typedef struct tk_suit_build_text_component {
    size_t component_index;  /* index into tk_suit_build_manifest.components */
    const tk_suit_build_text_entry *entries;
    size_t count;
} tk_suit_build_text_component;

/* The text map of one language (an RFC 9290 language tag). */
typedef struct tk_suit_build_text_language {
    tk_view tag;
    const tk_suit_build_text_entry *entries;
    size_t count;
    const tk_suit_build_text_component *components;
    size_t component_count;
} tk_suit_build_text_language;

/* The manifest. Absent optional members are zero: a sequence with count
 * 0, an empty view, a NULL pointer. */
typedef struct tk_suit_build_manifest {
    uint64_t sequence_number;
    const tk_suit_build_component_id *components;
    size_t component_count;
    const tk_suit_build_dependency *dependencies;
    size_t dependency_count;
    tk_suit_build_sequence shared;
    tk_view reference_uri;
    const tk_suit_build_component_id *manifest_component_id;
    /* suit-set-version: the version of this manifest's components. */
    const int64_t *set_version;
    size_t set_version_count;
    tk_suit_build_sequence validate;
    tk_suit_build_sequence load;
    tk_suit_build_sequence invoke;
    tk_suit_build_sequence uninstall;
    tk_suit_build_sequence dependency_resolution;
    tk_suit_build_sequence payload_fetch;
    tk_suit_build_sequence candidate_verification;
    tk_suit_build_sequence install;
    const tk_suit_build_text_language *text;
    size_t text_count;
    /* TK_SUIT_BUILD_SEVER_* bits: members written as a SUIT_Digest in the
     * manifest and as a bstr in the envelope. */
    unsigned sever;
} tk_suit_build_manifest;

/* An envelope entry with a text key: an integrated payload, or an
 * integrated dependency (data is a SUIT envelope). */
typedef struct tk_suit_build_integrated {
    tk_view key;
    tk_view data;
} tk_suit_build_integrated;

/* The envelope around a manifest. */
typedef struct tk_suit_build_envelope {
    const tk_suit_build_manifest *manifest;
    /* Digest algorithm of the manifest and severed members; TK_ALG_NONE
     * selects SHA-256. */
    tk_alg digest_alg;
    /* Leave severed members out of the envelope (a severed envelope). */
    bool omit_severed;
    const tk_suit_build_integrated *payloads;
    size_t payload_count;
    const tk_suit_build_integrated *dependencies;
    size_t dependency_count;
} tk_suit_build_envelope;

/* A signer: a private key and its COSE algorithm (ES256 -7, ESP256 -9,
 * EdDSA -8 or Ed25519 -19). A non-empty kid goes into the unprotected
 * header. */
typedef struct tk_suit_build_signer {
    tk_alg alg;
    const tk_key *key;
    tk_view kid;
} tk_suit_build_signer;

/* ---------------------------------------------------------------------- */
/* Functions                                                              */
/* ---------------------------------------------------------------------- */

/*
 * Location of the first fault in a description, for error messages: the
 * manifest member whose command sequence contains it (TK_SUIT_BUILD_MAN_*,
 * or TK_SUIT_BUILD_COMMON_SHARED_SEQUENCE for the shared sequence, 0 when
 * the fault is outside any sequence), the index of the top-level command
 * in that sequence, and the label of the command or parameter at fault.
 */
typedef struct tk_suit_build_where {
    int64_t member;
    size_t command;
    int64_t label;
} tk_suit_build_where;

/*
 * Checks manifest and encodes it as a SUIT_Manifest map (not bstr-wrapped)
 * into buf (capacity cap). Severed members are encoded as SUIT_Digests
 * computed with digest_alg (TK_ALG_NONE for SHA-256) through crypto, which
 * may be NULL when nothing is severed.
 *
 * Returns TK_OK with *len the encoded size; TK_ERR_BUFFER_TOO_SMALL with
 * *len the size needed; TK_ERR_SUIT_BUILD_* for a description that breaks
 * a rule (see suit_build.def), located in *where (may be NULL); a crypto
 * error from digesting.
 */
tk_err tk_suit_build_encode_manifest(const tk_suit_build_manifest *manifest,
                                     const tk_crypto *crypto,
                                     tk_alg digest_alg, uint8_t *buf,
                                     size_t cap, size_t *len,
                                     tk_suit_build_where *where);

/*
 * Encodes envelope as a tagged SUIT_Envelope into buf (capacity cap) and
 * signs it with signer_count signers (0 gives an authentication wrapper
 * with the digest only). The manifest digest is recomputed over the final
 * manifest bytes before signing.
 *
 * Returns TK_OK with *len the envelope size; TK_ERR_BUFFER_TOO_SMALL (with
 * *len the size needed when it could be measured, else 0);
 * TK_ERR_SUIT_BUILD_BAD_SIGNER, TK_ERR_LIMIT for more than
 * TK_SUIT_BUILD_MAX_SIGNERS signers; the errors of
 * tk_suit_build_encode_manifest(); a crypto error from signing.
 */
tk_err tk_suit_build_encode_envelope(
    const tk_suit_build_envelope *envelope, const tk_crypto *crypto,
    const tk_suit_build_signer *signers, size_t signer_count, uint8_t *buf,
    size_t cap, size_t *len, tk_suit_build_where *where);

/*
 * Adds one COSE_Sign1 per signer to a SUIT envelope (tagged or not), after
 * checking that its authentication wrapper's digest matches its manifest.
 * An envelope without an authentication wrapper gets one. Other members
 * are copied unchanged and in their order. Writes to out (capacity cap),
 * which must not overlap envelope.
 *
 * Returns TK_OK with *out_len the new size; TK_ERR_BUFFER_TOO_SMALL;
 * TK_ERR_SUIT_BUILD_BAD_ENVELOPE (with *err_off, which may be NULL, the
 * byte offset of the fault); TK_ERR_SUIT_BUILD_DIGEST_MISMATCH;
 * TK_ERR_LIMIT when the signatures would exceed TK_SUIT_BUILD_MAX_SIGNERS;
 * TK_ERR_SUIT_BUILD_BAD_SIGNER; a crypto error.
 */
tk_err tk_suit_build_sign(const tk_crypto *crypto, tk_view envelope,
                          const tk_suit_build_signer *signers,
                          size_t signer_count, uint8_t *out, size_t cap,
                          size_t *out_len, size_t *err_off);

/*
 * Writes one SUIT authentication block into enc: a tagged COSE_Sign1 with
 * protected header {1: alg}, the signer's kid (if any) in the unprotected
 * header, a nil payload, and the signature over the detached payload
 * suit_digest, the encoded SUIT_Digest of the manifest
 * (draft-ietf-suit-manifest-37 section 8.3). With crypto NULL it writes
 * a zero-filled signature of the algorithm's size, to measure an
 * encoding. Returns TK_OK, TK_ERR_SUIT_BUILD_BAD_SIGNER, TK_ERR_LIMIT for
 * a kid longer than TK_SUIT_BUILD_MAX_KID, a COSE or crypto error, or the
 * encoder's error.
 */
tk_err tk_suit_build_put_sign1(tk_cbor_enc *enc, const tk_crypto *crypto,
                               const tk_suit_build_signer *signer,
                               tk_view suit_digest);

/* Streaming digest of a payload: its size and SUIT_Digest. */
typedef struct tk_suit_build_payload {
    const tk_crypto *crypto;
    tk_crypto_hash_state state;
    tk_alg alg;
    uint64_t size;
    tk_err err;
} tk_suit_build_payload;

/*
 * Starts digesting a payload with alg (TK_ALG_NONE for SHA-256). Returns
 * TK_OK, TK_ERR_SUIT_BUILD_BAD_DIGEST for an unsupported alg or a crypto
 * error. Call update() for each chunk, then finish() or abort().
 */
tk_err tk_suit_build_payload_start(tk_suit_build_payload *payload,
                                   const tk_crypto *crypto, tk_alg alg);

/* Adds len bytes. Keeps the first error, so a caller may check at
 * finish() only. */
tk_err tk_suit_build_payload_update(tk_suit_build_payload *payload,
                                    const uint8_t *data, size_t len);

/* Ends the digest: writes the SUIT_Digest to *digest and the total size in
 * bytes to *size. Returns the first error of the stream or TK_OK. */
tk_err tk_suit_build_payload_finish(tk_suit_build_payload *payload,
                                    tk_suit_build_digest *digest,
                                    uint64_t *size);

/* Abandons a started digest. Harmless after finish(). */
void tk_suit_build_payload_abort(tk_suit_build_payload *payload);

/* ---------------------------------------------------------------------- */
/* Payload encryption (draft-ietf-suit-firmware-encryption-24)            */
/* ---------------------------------------------------------------------- */

/* What to encrypt a payload for. */
typedef struct tk_suit_build_encryption {
    /* Content encryption: TK_ALG_A128GCM, A192GCM, A256GCM, or
     * TK_ALG_A128CTR, A192CTR, A256CTR. */
    tk_alg content_alg;
    /* Content key distribution: TK_ALG_A128KW, A192KW, A256KW (recipient
     * is the symmetric key-encryption key) or ECDH-ES + A128KW, A192KW,
     * A256KW (-29, -30, -31; recipient is the device's public P-256 or
     * X25519 key). */
    tk_alg key_alg;
    const tk_key *recipient;
    tk_view kid;               /* the recipient's kid, or empty */
    /* The sender's ephemeral key pair for ECDH-ES, or NULL to generate
     * one (tests give a fixed one). */
    const tk_key *ephemeral;
} tk_suit_build_encryption;

/* State of a streamed payload encryption. */
typedef struct tk_suit_build_encryptor {
    const tk_crypto *crypto;
    tk_crypto_cipher_state state;
    tk_alg alg;
    bool started;
    tk_err err;
} tk_suit_build_encryptor;

/*
 * Starts encrypting a payload: draws a content key and IV, writes the
 * SUIT_Encryption_Info (a COSE_Encrypt with a nil ciphertext and one
 * recipient; for ECDH-ES its key derivation context carries "SUIT Payload
 * Encryption") to info (capacity info_cap, *info_len), and starts the
 * cipher. Call update() for each chunk, then finish() or abort().
 *
 * Returns TK_OK, TK_ERR_SUIT_BUILD_BAD_ENCRYPTION for an algorithm pair
 * this builder does not produce, TK_ERR_BUFFER_TOO_SMALL, or a COSE or
 * crypto error.
 */
tk_err tk_suit_build_encrypt_start(tk_suit_build_encryptor *enc,
                                   const tk_crypto *crypto,
                                   const tk_suit_build_encryption *params,
                                   uint8_t *info, size_t info_cap,
                                   size_t *info_len);

/* Encrypts len bytes of in into out (the same length; out may equal in).
 * Keeps the first error. */
tk_err tk_suit_build_encrypt_update(tk_suit_build_encryptor *enc,
                                    const uint8_t *in, size_t len,
                                    uint8_t *out);

/*
 * Ends the encryption. For AES-GCM it writes the 16-byte authentication
 * tag, which follows the ciphertext in the encrypted payload, to tag
 * (capacity tag_cap) and sets *tag_len; AES-CTR has no tag (*tag_len 0).
 * Returns the first error of the stream or TK_OK.
 */
tk_err tk_suit_build_encrypt_finish(tk_suit_build_encryptor *enc,
                                    uint8_t *tag, size_t tag_cap,
                                    size_t *tag_len);

/* Abandons a started encryption. Harmless after finish(). */
void tk_suit_build_encrypt_abort(tk_suit_build_encryptor *enc);

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_SUIT_BUILD_H */
