/*
 * SUIT manifests: envelope decoder, authentication, manifest processor,
 * payload decryption and SUIT reports.
 *
 * Specifications, in the versions this code follows:
 *   draft-ietf-suit-manifest-37            envelope, manifest, processor
 *   draft-ietf-suit-trust-domains-11       dependencies, set-parameters,
 *                                          unlink, uninstall, delegation
 *   draft-ietf-suit-update-management-14   version, battery, use-before,
 *                                          wait, override-multiple, ...
 *   draft-ietf-suit-firmware-encryption-24 suit-parameter-encryption-info
 *   draft-ietf-suit-report-18              SUIT_Report, SUIT_Record
 *   draft-ietf-suit-mti                    algorithm profiles
 *
 * Nothing here allocates or keeps global state. Decoded structures are
 * views into the caller's envelope bytes, which must stay valid and
 * unchanged while the views are used. Crypto goes through a tk_crypto
 * table; every effect on the device (storage, fetching, invoking, keys,
 * clock, policy) goes through a tk_suit_platform table of callbacks.
 *
 * Three levels of use:
 *
 * 1. Inspect an envelope: tk_suit_envelope_decode() checks its structure,
 *    tk_suit_envelope_verify() authenticates it, and only then
 *    tk_suit_manifest_decode() reads the manifest. Nothing in a manifest is
 *    parsed before its authentication wrapper is verified.
 *
 * 2. Run a procedure on a device: fill a tk_suit_platform, initialize a
 *    tk_suit_processor with tk_suit_processor_init(), and call
 *    tk_suit_process() with the envelope and an operation (update, boot,
 *    ...). It decodes, verifies, checks rollback, and runs the command
 *    sequences of the operation, including those of dependencies. On
 *    failure tk_suit_processor_error() returns the failing command,
 *    component and byte offset.
 *
 *        tk_suit_processor proc;
 *        tk_suit_config cfg = { .crypto = crypto, .platform = &platform };
 *        tk_suit_processor_init(&proc, &cfg);
 *        err = tk_suit_process(&proc, envelope, TK_SUIT_OP_UPDATE);
 *
 * 3. Report: after tk_suit_process(), tk_suit_report_encode() writes the
 *    SUIT_Report of the run (records, result, reason, the caller's nonce),
 *    and tk_suit_report_sign() wraps it in a COSE_Sign1.
 *    tk_suit_report_decode() reads a report back.
 *
 * Component identifiers reach the platform as their CBOR encoding (the
 * SUIT_Component_Identifier array, e.g. 81 41 00 for [h'00']), so the
 * platform can compare them bytewise or split them with
 * tk_suit_component_id_part().
 */
#ifndef TEEPKIT_SUIT_H
#define TEEPKIT_SUIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"
#include "teepkit/config.h"
#include "teepkit/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Limits (each overridable with -D; exceeding one is TK_ERR_LIMIT or the */
/* specific error named below, never a truncation)                        */
/* ---------------------------------------------------------------------- */

/* Components listed in one manifest's suit-components, plus dependencies
 * that are named only in suit-dependencies (default 8). */
#ifndef TK_SUIT_MAX_COMPONENTS
#define TK_SUIT_MAX_COMPONENTS 8
#endif

/* Entries of one manifest's suit-dependencies map (default 4). */
#ifndef TK_SUIT_MAX_DEPENDENCIES
#define TK_SUIT_MAX_DEPENDENCIES 4
#endif

/* COSE authentication blocks in one authentication wrapper (default 4). */
#ifndef TK_SUIT_MAX_SIGNATURES
#define TK_SUIT_MAX_SIGNATURES 4
#endif

/* Nesting of try-each and run-sequence inside one command sequence; the
 * top-level sequence is depth 0 (default 4). Exceeding it gives
 * TK_ERR_SUIT_DEPTH. */
#ifndef TK_SUIT_MAX_TRY_DEPTH
#define TK_SUIT_MAX_TRY_DEPTH 4
#endif

/* Levels of dependency manifests below the root manifest (default 3).
 * Exceeding it gives TK_ERR_SUIT_DEPTH. */
#ifndef TK_SUIT_MAX_DEPENDENCY_DEPTH
#define TK_SUIT_MAX_DEPENDENCY_DEPTH 3
#endif

/* Distinct manifests (the root and every dependency) one procedure may
 * load (default 4). */
#ifndef TK_SUIT_MAX_MANIFESTS
#define TK_SUIT_MAX_MANIFESTS 4
#endif

/* Distinct component identifiers whose parameters one procedure keeps,
 * over the whole manifest tree. Parameters are kept per
 * component identifier, so a dependent and its dependency that name the
 * same component share its parameters (draft-ietf-suit-trust-domains-11
 * section 5.4: parameters set by a dependency persist in the dependent).
 * Default 8. */
#ifndef TK_SUIT_MAX_PARAM_COMPONENTS
#define TK_SUIT_MAX_PARAM_COMPONENTS 8
#endif

/* Integrated payloads and integrated dependencies (text-keyed members) in
 * one envelope (default 8). */
#ifndef TK_SUIT_MAX_INTEGRATED
#define TK_SUIT_MAX_INTEGRATED 8
#endif

/* Byte strings in one component identifier (default 8). */
#ifndef TK_SUIT_MAX_COMPONENT_ID_PARTS
#define TK_SUIT_MAX_COMPONENT_ID_PARTS 8
#endif

/* Labels outside -64..63 in one SUIT map, such as custom parameters below
 * -64 (default 8). Exceeding it gives TK_ERR_LIMIT. */
#ifndef TK_SUIT_MAX_WIDE_LABELS
#define TK_SUIT_MAX_WIDE_LABELS 8
#endif

/* Custom (negative-key) parameters kept per component (default 2). */
#ifndef TK_SUIT_MAX_CUSTOM_PARAMS
#define TK_SUIT_MAX_CUSTOM_PARAMS 2
#endif

/* Parameter changes that try-each and run-sequence can undo when one of
 * their sequences fails (default 32). Exceeding it gives
 * TK_ERR_SUIT_UNDO_LIMIT. */
#ifndef TK_SUIT_MAX_UNDO
#define TK_SUIT_MAX_UNDO 32
#endif

/* CWTs in a delegation chain (default 4). */
#ifndef TK_SUIT_MAX_DELEGATION
#define TK_SUIT_MAX_DELEGATION 4
#endif

/* Integers in a version of suit-parameter-version (default 8). */
#ifndef TK_SUIT_MAX_VERSION_PARTS
#define TK_SUIT_MAX_VERSION_PARTS 8
#endif

/* Commands of the root manifest's command sequences whose positions the
 * processor remembers during one tk_suit_process(), so that a sequence
 * that runs again (the shared sequence runs before every section) is not
 * decoded again (default 48; 0 turns the cache off). A sequence that does
 * not fit is decoded each time it runs. */
#ifndef TK_SUIT_MAX_CACHED_COMMANDS
#define TK_SUIT_MAX_CACHED_COMMANDS 48
#endif

/* Command sequences of the root manifest whose commands the processor
 * remembers (default 12; see TK_SUIT_MAX_CACHED_COMMANDS). */
#ifndef TK_SUIT_MAX_CACHED_SEQUENCES
#define TK_SUIT_MAX_CACHED_SEQUENCES 12
#endif

/* Parameters of the root manifest's parameter maps (override-parameters,
 * set-parameters, override-multiple) that the processor keeps decoded
 * during one tk_suit_process(), so that a map applied again is not decoded
 * again (default 16; 0 turns the cache off). A map that does not fit is
 * decoded each time it is applied. */
#ifndef TK_SUIT_MAX_CACHED_PARAMS
#define TK_SUIT_MAX_CACHED_PARAMS 16
#endif

/* Parameter maps that the processor keeps decoded (default 8; see
 * TK_SUIT_MAX_CACHED_PARAMS). */
#ifndef TK_SUIT_MAX_CACHED_MAPS
#define TK_SUIT_MAX_CACHED_MAPS 8
#endif

/* Bytes of the buffer, in the processor's work area, that streams a
 * component through a digest, a comparison or a copy, and of the buffer
 * of a decrypted chunk (default 256). */
#ifndef TK_SUIT_CHUNK_SIZE
#define TK_SUIT_CHUNK_SIZE 256
#endif

/* Component index value meaning "no component" in errors and records. */
#define TK_SUIT_NO_COMPONENT UINT32_MAX

/* ---------------------------------------------------------------------- */
/* Labels                                                                 */
/* ---------------------------------------------------------------------- */

/* CBOR tag of SUIT_Envelope_Tagged and of SUIT_Manifest_Tagged. */
#define TK_SUIT_ENVELOPE_TAG 107
#define TK_SUIT_MANIFEST_TAG 1070

/* Envelope members (the SUIT Envelope Elements registry of
 * draft-ietf-suit-manifest-37 and its extensions). Severable members use the manifest key. */
enum {
    TK_SUIT_ENV_DELEGATION = 1,
    TK_SUIT_ENV_AUTHENTICATION = 2,
    TK_SUIT_ENV_MANIFEST = 3
};

/* Manifest members. */
enum {
    TK_SUIT_MANIFEST_VERSION = 1,
    TK_SUIT_MANIFEST_SEQUENCE_NUMBER = 2,
    TK_SUIT_MANIFEST_COMMON = 3,
    TK_SUIT_MANIFEST_REFERENCE_URI = 4,
    TK_SUIT_MANIFEST_COMPONENT_ID = 5,
    TK_SUIT_MANIFEST_SET_VERSION = 6,
    TK_SUIT_MANIFEST_VALIDATE = 7,
    TK_SUIT_MANIFEST_LOAD = 8,
    TK_SUIT_MANIFEST_INVOKE = 9,
    TK_SUIT_MANIFEST_COSWID = 14,
    TK_SUIT_MANIFEST_DEPENDENCY_RESOLUTION = 15,
    TK_SUIT_MANIFEST_PAYLOAD_FETCH = 16,
    TK_SUIT_MANIFEST_CANDIDATE_VERIFICATION = 18,
    TK_SUIT_MANIFEST_INSTALL = 20,
    TK_SUIT_MANIFEST_TEXT = 23,
    TK_SUIT_MANIFEST_UNINSTALL = 24
};

/* suit-common members and dependency metadata. */
enum {
    TK_SUIT_COMMON_DEPENDENCIES = 1,
    TK_SUIT_COMMON_COMPONENTS = 2,
    TK_SUIT_COMMON_SHARED_SEQUENCE = 4,
    TK_SUIT_DEPENDENCY_PREFIX = 1
};

/* Commands: conditions and directives. */
enum {
    TK_SUIT_COND_VENDOR_IDENTIFIER = 1,
    TK_SUIT_COND_CLASS_IDENTIFIER = 2,
    TK_SUIT_COND_IMAGE_MATCH = 3,
    TK_SUIT_COND_USE_BEFORE = 4,
    TK_SUIT_COND_COMPONENT_SLOT = 5,
    TK_SUIT_COND_CHECK_CONTENT = 6,
    TK_SUIT_COND_DEPENDENCY_INTEGRITY = 7,
    TK_SUIT_COND_IS_DEPENDENCY = 8,
    TK_SUIT_DIR_PROCESS_DEPENDENCY = 11,
    TK_SUIT_DIR_SET_COMPONENT_INDEX = 12,
    TK_SUIT_COND_ABORT = 14,
    TK_SUIT_DIR_TRY_EACH = 15,
    TK_SUIT_DIR_WRITE = 18,
    TK_SUIT_DIR_SET_PARAMETERS = 19,
    TK_SUIT_DIR_OVERRIDE_PARAMETERS = 20,
    TK_SUIT_DIR_FETCH = 21,
    TK_SUIT_DIR_COPY = 22,
    TK_SUIT_DIR_INVOKE = 23,
    TK_SUIT_COND_DEVICE_IDENTIFIER = 24,
    TK_SUIT_COND_IMAGE_NOT_MATCH = 25,
    TK_SUIT_COND_MINIMUM_BATTERY = 26,
    TK_SUIT_COND_UPDATE_AUTHORIZED = 27,
    TK_SUIT_COND_VERSION = 28,
    TK_SUIT_DIR_WAIT = 29,
    TK_SUIT_DIR_SWAP = 31,
    TK_SUIT_DIR_RUN_SEQUENCE = 32,
    TK_SUIT_DIR_UNLINK = 33,
    TK_SUIT_DIR_OVERRIDE_MULTIPLE = 34,
    TK_SUIT_DIR_COPY_PARAMS = 35
};

/* Parameters. Custom parameters have negative keys. */
enum {
    TK_SUIT_PARAM_VENDOR_ID = 1,
    TK_SUIT_PARAM_CLASS_ID = 2,
    TK_SUIT_PARAM_IMAGE_DIGEST = 3,
    TK_SUIT_PARAM_USE_BEFORE = 4,
    TK_SUIT_PARAM_COMPONENT_SLOT = 5,
    TK_SUIT_PARAM_STRICT_ORDER = 12,
    TK_SUIT_PARAM_SOFT_FAILURE = 13,
    TK_SUIT_PARAM_IMAGE_SIZE = 14,
    TK_SUIT_PARAM_CONTENT = 18,
    TK_SUIT_PARAM_ENCRYPTION_INFO = 19,
    TK_SUIT_PARAM_URI = 21,
    TK_SUIT_PARAM_SOURCE_COMPONENT = 22,
    TK_SUIT_PARAM_INVOKE_ARGS = 23,
    TK_SUIT_PARAM_DEVICE_ID = 24,
    TK_SUIT_PARAM_FETCH_ARGS = 25,
    TK_SUIT_PARAM_MINIMUM_BATTERY = 26,
    TK_SUIT_PARAM_UPDATE_PRIORITY = 27,
    TK_SUIT_PARAM_VERSION = 28,
    TK_SUIT_PARAM_WAIT_INFO = 29,
    TK_SUIT_PARAM_COMPONENT_METADATA = 30
};

/* Reporting policy bits of a command (draft-ietf-suit-manifest-37
 * section 8.4.7). */
enum {
    TK_SUIT_RECORD_ON_SUCCESS = 1u << 0,
    TK_SUIT_RECORD_ON_FAILURE = 1u << 1,
    TK_SUIT_SYSINFO_ON_SUCCESS = 1u << 2,
    TK_SUIT_SYSINFO_ON_FAILURE = 1u << 3
};

/* suit-report-result-reason values (draft-ietf-suit-report-18 section
 * 4.2). */
typedef enum tk_suit_reason {
    TK_SUIT_REASON_OK = 0,
    TK_SUIT_REASON_CBOR_PARSE = 1,
    TK_SUIT_REASON_COSE_UNSUPPORTED = 2,
    TK_SUIT_REASON_ALG_UNSUPPORTED = 3,
    TK_SUIT_REASON_UNAUTHORISED = 4,
    TK_SUIT_REASON_COMMAND_UNSUPPORTED = 5,
    TK_SUIT_REASON_COMPONENT_UNSUPPORTED = 6,
    TK_SUIT_REASON_COMPONENT_UNAUTHORISED = 7,
    TK_SUIT_REASON_PARAMETER_UNSUPPORTED = 8,
    TK_SUIT_REASON_SEVERING_UNSUPPORTED = 9,
    TK_SUIT_REASON_CONDITION_FAILED = 10,
    TK_SUIT_REASON_OPERATION_FAILED = 11,
    TK_SUIT_REASON_INVOKE_PENDING = 12
} tk_suit_reason;

/* ---------------------------------------------------------------------- */
/* Decoded envelope and manifest                                          */
/* ---------------------------------------------------------------------- */

/* A SUIT_Digest: COSE hash algorithm and digest bytes. */
typedef struct tk_suit_digest {
    int64_t alg;   /* -16 SHA-256, -43 SHA-384, -44 SHA-512 */
    tk_view bytes; /* view into the input */
} tk_suit_digest;

/* State of a manifest member that may be severed. */
typedef enum tk_suit_presence {
    TK_SUIT_ABSENT = 0,  /* neither in the manifest nor severed */
    TK_SUIT_PRESENT,     /* in the manifest, or severed and found in the
                            envelope with a matching digest */
    TK_SUIT_SEVERED      /* severed: only its digest is in the manifest and
                            the envelope lacks the member */
} tk_suit_presence;

/* A command sequence, text map or other member that may be severed. */
typedef struct tk_suit_member {
    tk_suit_presence presence;
    bool severable;        /* the manifest contains its digest */
    tk_suit_digest digest; /* when severable */
    tk_view bytes;         /* content of the member's bstr, when present */
} tk_suit_member;

/* A text-keyed envelope member: an integrated payload or an integrated
 * dependency (the value is then a SUIT_Envelope). */
typedef struct tk_suit_integrated {
    tk_view key;   /* text string, e.g. "#tc" */
    tk_view bytes; /* content of the bstr */
} tk_suit_integrated;

/* Index of each severable envelope member in tk_suit_envelope.severed. */
typedef enum tk_suit_severable {
    TK_SUIT_SEV_DEPENDENCY_RESOLUTION = 0, /* key 15 */
    TK_SUIT_SEV_PAYLOAD_FETCH,             /* key 16 */
    TK_SUIT_SEV_CANDIDATE_VERIFICATION,    /* key 18 */
    TK_SUIT_SEV_INSTALL,                   /* key 20 */
    TK_SUIT_SEV_TEXT,                      /* key 23 */
    TK_SUIT_SEV_COSWID,                    /* key 14 */
    TK_SUIT_SEV_COUNT
} tk_suit_severable;

/*
 * A decoded SUIT_Envelope: views into the input bytes. Filled by
 * tk_suit_envelope_decode(), which checks the envelope map only; the
 * authentication wrapper and the manifest are checked by
 * tk_suit_envelope_verify(), which sets verified.
 */
typedef struct tk_suit_envelope {
    tk_view raw;              /* the whole envelope item, tag included */
    bool tagged;              /* carried tag 107 */
    tk_view delegation;       /* content of suit-delegation, or empty */
    tk_view authentication;   /* content of the authentication wrapper */
    tk_view manifest;         /* content of the manifest bstr */
    tk_view manifest_wrapped; /* the manifest bstr with its head: what the
                                 SUIT_Digest covers */
    tk_view severed[TK_SUIT_SEV_COUNT]; /* content of each severed
                                 member's bstr, or empty */
    tk_view severed_wrapped[TK_SUIT_SEV_COUNT]; /* the same bstr with its
                                 head: what the manifest's digest covers */
    tk_suit_integrated integrated[TK_SUIT_MAX_INTEGRATED];
    size_t integrated_count;
    tk_suit_digest digest;    /* the wrapper's manifest digest */
    size_t auth_block_count;  /* COSE blocks in the wrapper */
    const tk_key *signer;     /* key that verified it, after verify */
    bool verified;            /* set only by a complete verification */
} tk_suit_envelope;

/* One entry of suit-dependencies. */
typedef struct tk_suit_dependency {
    uint32_t index;   /* component index of the dependency */
    tk_view prefix;   /* encoded suit-dependency-prefix, or empty */
    tk_view metadata; /* encoded SUIT_Dependency_Metadata map */
} tk_suit_dependency;

/* Index of each command sequence in tk_suit_manifest.sequence. */
typedef enum tk_suit_section {
    TK_SUIT_SECTION_DEPENDENCY_RESOLUTION = 0, /* key 15 */
    TK_SUIT_SECTION_PAYLOAD_FETCH,             /* key 16 */
    TK_SUIT_SECTION_CANDIDATE_VERIFICATION,    /* key 18 */
    TK_SUIT_SECTION_INSTALL,                   /* key 20 */
    TK_SUIT_SECTION_VALIDATE,                  /* key 7 */
    TK_SUIT_SECTION_LOAD,                      /* key 8 */
    TK_SUIT_SECTION_INVOKE,                    /* key 9 */
    TK_SUIT_SECTION_UNINSTALL,                 /* key 24 */
    TK_SUIT_SECTION_COUNT
} tk_suit_section;

/*
 * A decoded SUIT_Manifest: views into the envelope's bytes. Component
 * identifiers are views of their encoded arrays.
 *
 * A dependency whose index lies past suit-components has no entry there.
 * Its component identifier is its suit-dependency-prefix, as in the
 * published trust-domains, encryption and TEEP examples, although the
 * CDDL text alone would make those indices out of range.
 */
typedef struct tk_suit_manifest {
    uint64_t version;          /* always 1 after a successful decode */
    uint64_t sequence_number;
    tk_view common;            /* content of the suit-common bstr */
    tk_view reference_uri;     /* text, or empty */
    tk_view component_id;      /* encoded suit-manifest-component-id, or
                                  empty */
    tk_view set_version;       /* content of suit-set-version, or empty */
    tk_view components[TK_SUIT_MAX_COMPONENTS]; /* by component index;
                                  empty for an index with no component */
    size_t component_count;    /* indices in use: components listed plus
                                  dependencies named past the list */
    tk_suit_dependency dependencies[TK_SUIT_MAX_DEPENDENCIES];
    size_t dependency_count;
    tk_view shared_sequence;   /* content of suit-shared-sequence, or
                                  empty */
    tk_suit_member sequence[TK_SUIT_SECTION_COUNT];
    tk_suit_member text;
    tk_suit_member coswid;
} tk_suit_manifest;

/*
 * Error context: the first failure of a decode, a verification or a
 * procedure, with where it happened.
 */
typedef struct tk_suit_error {
    tk_err code;              /* TK_OK when nothing failed */
    size_t offset;            /* byte offset in the envelope of the item
                                 that failed (in the dependency envelope
                                 when manifest_depth > 0) */
    int32_t section;          /* manifest key of the command sequence (7
                                 validate, 20 install, ...), 3 for the
                                 shared sequence, 0 outside commands */
    size_t section_offset;    /* byte offset of the failing command in its
                                 sequence */
    int64_t command;          /* command label, 0 outside commands */
    uint32_t component;       /* component index or TK_SUIT_NO_COMPONENT */
    uint8_t manifest_id[TK_SUIT_MAX_DEPENDENCY_DEPTH]; /* walk from the
                                 root manifest: dependency component
                                 indices */
    uint8_t manifest_depth;   /* entries in manifest_id; 0 = root */
} tk_suit_error;

/*
 * Decodes the structure of a SUIT_Envelope (tagged with 107 or not) from
 * input into env: the envelope map, its members' types, duplicate keys,
 * and integrated payloads. It does not parse the authentication wrapper
 * contents or the manifest. env's views point into input.
 *
 * Returns TK_OK, TK_ERR_INVALID_ARG, a TK_ERR_CBOR_* error for malformed
 * CBOR, TK_ERR_SUIT_MALFORMED, TK_ERR_SUIT_DUPLICATE_KEY,
 * TK_ERR_SUIT_MISSING_MEMBER or TK_ERR_LIMIT (TK_SUIT_MAX_INTEGRATED).
 * err (may be NULL) receives the error and its byte offset.
 */
tk_err tk_suit_envelope_decode(tk_view input, tk_suit_envelope *env,
                               tk_suit_error *err);

/* Use of a key requested from the platform. */
typedef enum tk_suit_key_use {
    TK_SUIT_KEY_MANIFEST = 1, /* verify a manifest's authentication block */
    TK_SUIT_KEY_DELEGATION,   /* trust anchor of a delegation chain */
    TK_SUIT_KEY_DECRYPTION    /* unwrap a content key: an AES-KW
                                 key-encryption key or the device's ECDH
                                 private key */
} tk_suit_key_use;

/* Description of the key tk_suit_platform.find_key must return. */
typedef struct tk_suit_key_request {
    tk_suit_key_use use;
    tk_alg alg;          /* COSE algorithm of the block or recipient */
    tk_view kid;         /* key id from the COSE headers, or empty */
    unsigned depth;      /* 0 for the root manifest, 1 for its
                            dependencies, ... */
    tk_view storage_id;  /* encoded identifier of the component that
                            contains the manifest (empty for the root) */
    const tk_key *dependent_signer; /* key that verified the dependent
                            manifest, NULL for the root */
} tk_suit_key_request;

/*
 * Callback that returns a trusted key for req: *key must stay valid until
 * the call that requested it returns (tk_suit_envelope_verify or
 * tk_suit_process). Returns TK_OK, or TK_ERR_NOT_FOUND when no trusted key
 * fits (the block is then skipped); any other error fails the call.
 */
typedef tk_err (*tk_suit_find_key_fn)(void *ctx,
                                      const tk_suit_key_request *req,
                                      const tk_key **key);

/*
 * Authenticates env. Checks that the authentication wrapper is an array of
 * a bstr-wrapped SUIT_Digest and one or more bstr-wrapped COSE_Sign1,
 * COSE_Sign, COSE_Mac0 (tags 18, 98, 17) blocks, each with a nil payload;
 * recomputes the digest over env->manifest_wrapped; and verifies each
 * block over the bstr-wrapped digest with the key that find_key returns.
 * With a suit-delegation chain, the chain is verified first and its last
 * key is accepted as a manifest key: a block that no key of find_key
 * fits, or that the key of find_key does not verify, is verified with the
 * chains' keys. At least one block must verify with
 * a trusted key. A block with a non-nil payload fails the whole envelope
 * (the only digest used is the wrapper's, recomputed over the manifest).
 * Sets env->verified and env->signer on success; signer is NULL when a
 * delegated key verified the manifest.
 *
 * depth and storage_id are passed to find_key (0 and an empty view for a
 * root manifest).
 *
 * A delegation CWT with an exp or nbf claim needs a clock: here it fails
 * with TK_ERR_SUIT_DELEGATION_NO_CLOCK, and
 * tk_suit_envelope_verify_clock() checks it.
 *
 * Returns TK_OK, TK_ERR_SUIT_MALFORMED, TK_ERR_SUIT_DIGEST_ALG,
 * TK_ERR_SUIT_MANIFEST_DIGEST, TK_ERR_SUIT_NO_SIGNATURE,
 * TK_ERR_SUIT_AUTH_PAYLOAD, TK_ERR_SUIT_SIGNATURE,
 * TK_ERR_SUIT_ALG_UNSUPPORTED, TK_ERR_SUIT_KEY_NOT_FOUND,
 * TK_ERR_SUIT_DELEGATION, TK_ERR_SUIT_DELEGATION_NO_CLOCK, TK_ERR_LIMIT
 * (TK_SUIT_MAX_SIGNATURES), a TK_ERR_CBOR_* or TK_ERR_CRYPTO_* error.
 */
tk_err tk_suit_envelope_verify(tk_suit_envelope *env,
                               const tk_crypto *crypto,
                               tk_suit_find_key_fn find_key, void *key_ctx,
                               unsigned depth, tk_view storage_id,
                               tk_suit_error *err);

/* Callback that sets *seconds to the current time since 1970-01-01 UTC
 * (the form of tk_suit_platform.now). */
typedef tk_err (*tk_suit_now_fn)(void *ctx, uint64_t *seconds);

/*
 * tk_suit_envelope_verify() with a clock for the validity period of
 * delegation CWTs (RFC 8392 sections 3.1.4 and 3.1.5): a CWT is rejected
 * on or after its exp claim (TK_ERR_SUIT_DELEGATION_EXPIRED) and before
 * its nbf claim (TK_ERR_SUIT_DELEGATION_NOT_YET_VALID). The clock is read
 * at most once, and only for a CWT with either claim. With now NULL such a
 * CWT fails with TK_ERR_SUIT_DELEGATION_NO_CLOCK, which is what
 * tk_suit_envelope_verify() does; tk_suit_process() passes the platform's
 * now callback. An error of now fails the verification with that error.
 */
tk_err tk_suit_envelope_verify_clock(tk_suit_envelope *env,
                                     const tk_crypto *crypto,
                                     tk_suit_find_key_fn find_key,
                                     void *key_ctx, unsigned depth,
                                     tk_view storage_id, tk_suit_now_fn now,
                                     void *now_ctx, tk_suit_error *err);

/*
 * Decodes the manifest of a verified envelope into m: version (must be 1),
 * sequence number, common (components, dependencies, shared sequence),
 * every command sequence, text, reference URI, extensions. Severed members
 * are matched against their digests. flags takes TK_SUIT_FLAG_* values
 * (TK_SUIT_FLAG_ALLOW_UNKNOWN_MEMBERS). crypto computes the severed
 * members' digests.
 *
 * Returns TK_OK, TK_ERR_SUIT_NOT_VERIFIED, TK_ERR_SUIT_MANIFEST_VERSION,
 * TK_ERR_SUIT_MISSING_MEMBER, TK_ERR_SUIT_MALFORMED,
 * TK_ERR_SUIT_DUPLICATE_KEY, TK_ERR_SUIT_UNKNOWN_MEMBER,
 * TK_ERR_SUIT_SEVERED_DIGEST, TK_ERR_SUIT_DIGEST_ALG,
 * TK_ERR_SUIT_COMPONENT_INDEX, TK_ERR_LIMIT or a TK_ERR_CBOR_* error.
 */
tk_err tk_suit_manifest_decode(const tk_suit_envelope *env,
                               const tk_crypto *crypto, uint32_t flags,
                               tk_suit_manifest *m, tk_suit_error *err);

/*
 * Finds a text entry of a decoded manifest: the value of key (1 manifest
 * description, ... or a negative application key) in the text map of
 * language lang (e.g. "en"; an empty view searches every language in
 * order). With a non-empty component_id (encoded) the entry is looked up
 * in that component's map, else at the top level of the language map.
 * Returns TK_OK, TK_ERR_NOT_FOUND, or a decode error for a malformed text
 * map.
 */
tk_err tk_suit_text_get(const tk_suit_manifest *m, tk_view lang,
                        tk_view component_id, int64_t key, tk_view *value);

/*
 * Sets *part to byte string number i of an encoded component identifier.
 * Returns TK_OK, TK_ERR_NOT_FOUND when id has fewer parts, or
 * TK_ERR_SUIT_MALFORMED when id is not an array of byte strings.
 */
tk_err tk_suit_component_id_part(tk_view id, size_t i, tk_view *part);

/* ---------------------------------------------------------------------- */
/* Platform callbacks                                                     */
/* ---------------------------------------------------------------------- */

/* A component as the processor presents it to the platform. */
typedef struct tk_suit_component {
    tk_view id;          /* encoded SUIT_Component_Identifier */
    uint32_t index;      /* index in the manifest that names it */
    bool has_slot;       /* suit-parameter-component-slot is set */
    uint64_t slot;       /* its value */
    bool is_dependency;  /* the component contains a dependency
                            envelope */
} tk_suit_component;

/* What the platform reports about a component. */
typedef struct tk_suit_component_info {
    bool present;        /* the component exists and contains an
                            image */
    uint64_t size;       /* image size in bytes, when present */
    bool has_slot;       /* the component has slots */
    uint64_t slot;       /* slot index the component currently uses */
} tk_suit_component_info;

/* Kinds of identifier checked by the identifier conditions. */
typedef enum tk_suit_identifier {
    TK_SUIT_ID_VENDOR = 1, /* 16-byte UUID, or a PEN (cbor-pen, tag 112) */
    TK_SUIT_ID_CLASS,
    TK_SUIT_ID_DEVICE
} tk_suit_identifier;

/* Operation on a component, for the access control callback. */
typedef enum tk_suit_access {
    TK_SUIT_ACCESS_READ = 1, /* digest, compare, copy or swap source */
    TK_SUIT_ACCESS_WRITE,    /* fetch, copy, write, swap */
    TK_SUIT_ACCESS_INVOKE,
    TK_SUIT_ACCESS_UNLINK
} tk_suit_access;

/* Requester of an access: the manifest whose command runs. */
typedef struct tk_suit_requester {
    const tk_key *signer;    /* key that verified the manifest */
    unsigned depth;          /* 0 for the root manifest */
    tk_view manifest_component_id; /* its suit-manifest-component-id, or
                                      empty */
    tk_view storage_id;      /* component holding it (empty for the root) */
} tk_suit_requester;

/* A fetch request. */
typedef struct tk_suit_fetch_request {
    const tk_suit_component *component; /* destination */
    tk_view uri;                 /* suit-parameter-uri (text) */
    tk_view fetch_args;          /* suit-parameter-fetch-arguments, or empty */
    bool has_size;               /* suit-parameter-image-size is set */
    uint64_t size;               /* its value: more bytes fail the fetch */
} tk_suit_fetch_request;

/* Stream that a fetch callback pushes the payload into. Opaque. */
typedef struct tk_suit_sink tk_suit_sink;

/*
 * Pushes the next len bytes of a fetched payload. The processor decrypts
 * them when suit-parameter-encryption-info is set, enforces
 * suit-parameter-image-size, digests them when the platform has no digest
 * callback, and writes them to the component through the platform's write
 * callback. A fetch callback stops and returns the error when this
 * returns one; the processor also keeps it, so a fetch that ignores it
 * still fails.
 */
tk_err tk_suit_sink_write(tk_suit_sink *sink, const uint8_t *data,
                          size_t len);

/* A sequence number record for rollback checks. */
typedef struct tk_suit_installed {
    uint64_t sequence_number;  /* of the manifest that installed it */
    int64_t digest_alg;        /* its manifest digest, or 0 when unknown */
    uint8_t digest[TK_CRYPTO_MAX_HASH_SIZE];
    size_t digest_len;
} tk_suit_installed;

/* Operations of tk_suit_process(). */
typedef enum tk_suit_operation {
    /* Update procedure: dependency-resolution, payload-fetch,
     * candidate-verification, install, then validate. */
    TK_SUIT_OP_UPDATE = 1,
    /* Invocation procedure: validate, load, invoke. */
    TK_SUIT_OP_BOOT,
    /* The update procedure, committed, then the invocation procedure. */
    TK_SUIT_OP_UPDATE_AND_BOOT,
    /* Staging procedure: dependency-resolution and payload-fetch. */
    TK_SUIT_OP_STAGE,
    /* Installation procedure of staged payloads: candidate-verification,
     * install, then validate. */
    TK_SUIT_OP_INSTALL,
    /* The suit-uninstall sequence. */
    TK_SUIT_OP_UNINSTALL
} tk_suit_operation;

/*
 * Device effects. ctx is passed as the first argument of every callback.
 * Callbacks marked optional may be NULL: a command that needs a NULL
 * callback fails with TK_ERR_SUIT_COMMAND_UNSUPPORTED.
 *
 * Writes are transactional. The processor calls begin() when a procedure
 * starts and end() when it stops. The platform stages every write, swap,
 * unlink and set_installed() in between, shows them to later reads of the
 * same procedure, and applies them only when end() gets TK_OK. end() with
 * an error discards them, so a failed procedure leaves every component
 * unchanged. A callback returning an error aborts
 * the procedure with that error (fail closed).
 */
typedef struct tk_suit_platform {
    void *ctx;

    /* Returns a trusted key (see tk_suit_find_key_fn). Required. */
    tk_suit_find_key_fn find_key;

    /* Optional. Starts a procedure: op is TK_SUIT_OP_UPDATE, _BOOT,
     * _STAGE, _INSTALL or _UNINSTALL (UPDATE_AND_BOOT runs two). */
    tk_err (*begin)(void *ctx, tk_suit_operation op);
    /* Optional. Ends the procedure: commits staged changes when result is
     * TK_OK, discards them otherwise. Its error fails a successful
     * procedure. */
    tk_err (*end)(void *ctx, tk_err result);

    /* Required. Fills *info for component c; a component that does not
     * exist gives present false and TK_OK. */
    tk_err (*stat)(void *ctx, const tk_suit_component *c,
                   tk_suit_component_info *info);

    /* Required for reads. Reads up to len bytes at offset into buf and sets
     * *out_len (0 at the end of the image). */
    tk_err (*read)(void *ctx, const tk_suit_component *c, uint64_t offset,
                   uint8_t *buf, size_t len, size_t *out_len);

    /* Optional. Sets *bytes to the whole image of c in memory (execute in
     * place flash, RAM): reads and dependency envelopes then avoid a
     * copy. The view must stay valid until end(). TK_ERR_UNSUPPORTED
     * falls back to read(). */
    tk_err (*map)(void *ctx, const tk_suit_component *c, tk_view *bytes);

    /* Optional. Computes the digest of c's image with alg into out
     * (capacity cap, *out_len); TK_ERR_UNSUPPORTED falls back to hashing
     * what read() returns. For hardware hashing or precomputed digests. */
    tk_err (*digest)(void *ctx, const tk_suit_component *c, tk_alg alg,
                     uint8_t *out, size_t cap, size_t *out_len);

    /* Required for fetch, copy and write. write_begin() starts a new image
     * for c (size is its final size, or UINT64_MAX when unknown),
     * write() appends len bytes at offset, and write_end() completes it
     * (status TK_OK) or drops it (any other status). */
    tk_err (*write_begin)(void *ctx, const tk_suit_component *c,
                          uint64_t size);
    tk_err (*write)(void *ctx, const tk_suit_component *c, uint64_t offset,
                    const uint8_t *data, size_t len);
    tk_err (*write_end)(void *ctx, const tk_suit_component *c,
                        tk_err status);

    /* Required for fetch of URIs that are not integrated payloads. Pushes
     * the payload at req->uri into sink with tk_suit_sink_write(). */
    tk_err (*fetch)(void *ctx, const tk_suit_fetch_request *req,
                    tk_suit_sink *sink);

    /* Optional. Exchanges the images of a and b. */
    tk_err (*swap)(void *ctx, const tk_suit_component *a,
                   const tk_suit_component *b);

    /* Optional. Transfers control to c with args
     * (suit-parameter-invoke-args, or empty). When it returns TK_OK the
     * processor continues. */
    tk_err (*invoke)(void *ctx, const tk_suit_component *c, tk_view args);

    /* Optional. Decrements c's reference count
     * (draft-ietf-suit-trust-domains-11 section 5.6.5). */
    tk_err (*unlink)(void *ctx, const tk_suit_component *c);

    /* Required. Sets *match for an identifier condition: whether this
     * device (or component c) has identifier id of the given kind. For a
     * vendor PEN, id is the tag-112 item's encoding. */
    tk_err (*match_identifier)(void *ctx, const tk_suit_component *c,
                               tk_suit_identifier kind, tk_view id,
                               bool *match);

    /* Optional. Writes c's version as integers into parts (capacity
     * TK_SUIT_MAX_VERSION_PARTS) and sets *count. */
    tk_err (*version)(void *ctx, const tk_suit_component *c, int64_t *parts,
                      size_t *count);

    /* Optional. Sets *mwh to the battery energy left, in mWh. */
    tk_err (*battery)(void *ctx, uint64_t *mwh);

    /* Optional. Sets *authorized for an update of the given priority
     * (suit-parameter-update-priority; smaller is more urgent). */
    tk_err (*authorize)(void *ctx, int64_t priority, bool *authorized);

    /* Optional. Sets *seconds to the current time since 1970-01-01 UTC,
     * for use-before and the validity of delegation CWTs. */
    tk_err (*now)(void *ctx, uint64_t *seconds);

    /* Optional. Waits for the events of suit-parameter-wait-info (the
     * encoded SUIT_Wait_Event map); TK_ERR_SUIT_WAIT when they cannot
     * occur. */
    tk_err (*wait)(void *ctx, tk_view wait_info);

    /* Optional. Allows or denies an access of requester to component c;
     * sets *allowed. NULL allows every access. */
    tk_err (*allow)(void *ctx, const tk_suit_requester *requester,
                    const tk_suit_component *c, tk_suit_access access,
                    bool *allowed);

    /* Optional. Reads the rollback record of the manifest that installed
     * component id (encoded); TK_ERR_NOT_FOUND when there is none. */
    tk_err (*get_installed)(void *ctx, tk_view id, tk_suit_installed *out);

    /* Optional. Stages the rollback record of component id, applied by
     * end(TK_OK). */
    tk_err (*set_installed)(void *ctx, tk_view id,
                            const tk_suit_installed *record);

    /* Optional. Runs a custom command (label below -256 in the IANA
     * reserved scheme, any negative label here) on c with its argument
     * (the encoded item after the label); sets *ok for a condition. */
    tk_err (*custom)(void *ctx, int64_t label, const tk_suit_component *c,
                     tk_view argument, bool *ok);
} tk_suit_platform;

/* ---------------------------------------------------------------------- */
/* Processor                                                              */
/* ---------------------------------------------------------------------- */

/* Processor policy flags (tk_suit_config.flags). */
enum {
    /* Accept a sequence number lower than the installed one, or an equal
     * one with another digest (a deliberate downgrade). */
    TK_SUIT_FLAG_ALLOW_ROLLBACK = 1u << 0,
    /* Ignore manifest and common members that this processor does not
     * know, instead of rejecting the manifest. */
    TK_SUIT_FLAG_ALLOW_UNKNOWN_MEMBERS = 1u << 1,
    /* Require the shared sequence to check vendor and class identifiers
     * (draft-ietf-suit-manifest-37 section 6.2 SHOULD). */
    TK_SUIT_FLAG_REQUIRE_VENDOR_CLASS = 1u << 2,
    /* Record every command, not only those whose reporting policy
     * requests a record. */
    TK_SUIT_FLAG_RECORD_ALL = 1u << 3,
    /* Do not record rollback data (set_installed) at the end of an
     * update. */
    TK_SUIT_FLAG_NO_INSTALL_RECORD = 1u << 4
};

/* The record of one executed command (SUIT_Record). */
typedef struct tk_suit_record {
    uint8_t manifest_id[TK_SUIT_MAX_DEPENDENCY_DEPTH];
    uint8_t manifest_depth;
    int32_t section;        /* manifest key of the sequence, 3 = shared */
    uint32_t offset;        /* byte offset of the command in the sequence */
    uint32_t component;     /* component index or TK_SUIT_NO_COMPONENT */
    int64_t command;        /* command label */
    uint8_t policy;         /* its reporting policy bits */
    tk_err result;          /* TK_OK or the failure */
    int64_t param_key;      /* parameter the command consumed, 0 if none */
    tk_view param_value;    /* its encoded value in the manifest */
    int64_t measured_alg;   /* measured digest of the component, when the
                               command computed one; 0 otherwise */
    uint8_t measured[TK_CRYPTO_MAX_HASH_SIZE];
    uint8_t measured_len;
} tk_suit_record;

/* Settings of a processor. Pointers are kept, not copied. */
typedef struct tk_suit_config {
    const tk_crypto *crypto;            /* required */
    const tk_suit_platform *platform;   /* required */
    uint32_t flags;                     /* TK_SUIT_FLAG_* */
    tk_suit_record *records;            /* optional record table */
    size_t record_cap;
    uint8_t *work;                      /* optional buffer for dependency
                                           envelopes read from components
                                           when the platform has no map(),
                                           and for ChaCha20/Poly1305
                                           ciphertexts on a backend that
                                           cannot stream them */
    size_t work_len;
} tk_suit_config;

/* One value of the parameter table. Private. */
typedef struct tk_suit_param_value {
    tk_view bytes;  /* string content, or encoded item */
    uint64_t num;   /* integer or boolean */
} tk_suit_param_value;

/* Number of standard parameters kept per component: 12 of the manifest
 * draft, 1 of payload decryption and 6 of update management when the
 * build has them. Private. */
#define TK_SUIT_PARAM_SLOTS                                                 \
    (12 + TK_SUIT_WITH_DECRYPTION + 6 * TK_SUIT_WITH_UPDATE_MANAGEMENT)

/* Parameters of one component. Private: fields may change. */
typedef struct tk_suit_params {
    tk_view component_id;  /* encoded identifier; empty = unused entry */
    uint32_t set;          /* bit per TK_SUIT_PARAM_SLOTS entry */
    tk_suit_param_value value[TK_SUIT_PARAM_SLOTS];
    int64_t custom_key[TK_SUIT_MAX_CUSTOM_PARAMS];
    tk_view custom_value[TK_SUIT_MAX_CUSTOM_PARAMS];
    uint8_t custom_count;
    uint8_t integrity_checked; /* a dependency digest check passed */
    uint8_t digest_valid;      /* cached_digest describes the image */
    int64_t cached_alg;
    uint8_t cached_digest[TK_CRYPTO_MAX_HASH_SIZE];
    uint8_t cached_len;
    tk_view image_view;        /* image bytes in memory written in this
                                  procedure (integrated payload or content) */
} tk_suit_params;

/* One undo entry of the parameter table. Private. */
typedef struct tk_suit_undo {
    uint8_t entry;          /* tk_suit_params index */
    uint8_t slot;           /* parameter slot, or 0xff for custom */
    uint8_t was_set;
    uint8_t custom_count;
    tk_suit_param_value old;
} tk_suit_undo;

/* One remembered command of a sequence: offsets from the start of the
 * sequence's bytes. Private. */
typedef struct tk_suit_cached_command {
    int32_t label;
    uint32_t at;        /* the command's label */
    uint32_t arg;       /* its argument */
    uint32_t arg_len;
} tk_suit_cached_command;

/* A sequence whose commands are remembered. Private. */
typedef struct tk_suit_cached_sequence {
    const uint8_t *bytes;  /* content of the sequence's bstr */
    size_t len;
    uint16_t first;        /* index of its first command */
    uint16_t count;
} tk_suit_cached_sequence;

/* One decoded parameter of a remembered parameter map. Private. */
typedef struct tk_suit_cached_param {
    tk_suit_param_value value;
    int32_t key;
    uint8_t slot;          /* parameter slot, or a mark for a custom
                              parameter or soft failure */
} tk_suit_cached_param;

/* A parameter map whose parameters are kept decoded. Private. */
typedef struct tk_suit_cached_map {
    const uint8_t *bytes;  /* the encoded map */
    size_t len;
    uint16_t first;        /* index of its first parameter */
    uint16_t count;
} tk_suit_cached_map;

/* A loaded manifest of the tree. Private. */
typedef struct tk_suit_loaded {
    tk_suit_envelope env;
    tk_suit_manifest manifest;
    tk_view storage_id;                /* empty for the root */
    uint8_t params_of[TK_SUIT_MAX_COMPONENTS]; /* parameter table entry
                                          of each component index */
    uint8_t depth;
    bool rollback_checked;
    bool stale;                        /* its component was overwritten */
    bool decoded;                      /* manifest decoded (verified) */
    uint8_t storage_entry;             /* parameter entry of storage_id */
    size_t parent;                     /* index of the dependent */
    uint32_t sections_done;            /* bit per tk_suit_section run by
                                          the dependent's current section */
} tk_suit_loaded;

/* Bytes of the Enc_structure buffer of a decrypted payload: 40 bytes of
 * framing and a protected header of up to 88 bytes (RFC 9052 section
 * 5.3). */
#define TK_SUIT_AAD_SIZE 128

struct tk_suit_exec;

/*
 * State of the fetch, copy or write that is running: its destination, its
 * limit and, with payload decryption, the content cipher. It lives in the
 * processor's work area. Private: fields may change.
 */
struct tk_suit_sink {
    struct tk_suit_exec *ex;  /* the running command */
    tk_suit_component comp;   /* destination */
    uint64_t written;
    uint64_t limit;           /* suit-parameter-image-size, when has_limit */
    int64_t hash_alg;
    tk_err err;               /* first error, sticky */
    uint8_t entry;            /* parameter entry of the destination */
    bool has_limit;
    bool hashing;             /* the work area's hash digests the bytes */
    bool decrypting;
    bool aead;
    bool oneshot;
#if TK_SUIT_WITH_DECRYPTION
    /* One-shot AEAD (ChaCha20/Poly1305 on a backend that cannot stream
     * it): the ciphertext is collected in the configured work buffer. */
    tk_alg oneshot_alg;
    size_t hold_len;
    size_t iv_len;
    size_t aad_len;
    uint8_t *buf;
    size_t cap;
    size_t len;
    tk_crypto_cipher_state cipher;
    tk_key cek;
    uint8_t hold[TK_CRYPTO_AEAD_TAG_SIZE]; /* possible tag bytes */
    uint8_t iv[TK_CRYPTO_CTR_IV_SIZE];
    uint8_t aad[TK_SUIT_AAD_SIZE];
    uint8_t plain[TK_SUIT_CHUNK_SIZE];     /* decrypted chunk */
#endif
};

/*
 * Keys of the delegation chains of one verification: the last key of each
 * chain, and the key being imported. Private.
 */
typedef struct tk_suit_auth_work {
#if TK_SUIT_WITH_DELEGATION
    tk_key keys[TK_SUIT_MAX_DELEGATION];
    tk_key next;
#endif
    size_t count;
} tk_suit_auth_work;

/*
 * Working storage of the processor, which would otherwise be on the
 * stack: the digest state and the read buffer of component images, and
 * either the running fetch, copy or write or the keys of a verification,
 * which never run at the same time. Private.
 */
typedef struct tk_suit_work {
    tk_crypto_hash_state hash;
    uint8_t chunk[TK_SUIT_CHUNK_SIZE];
    union {
        struct tk_suit_sink sink;
        tk_suit_auth_work auth;
    } u;
} tk_suit_work;

/* Bytes of the processor's work area, a part of sizeof(tk_suit_processor)
 * (docs/embedded.md lists both per profile). */
#define TK_SUIT_WORK_SIZE sizeof(tk_suit_work)

/*
 * A manifest processor, owned by the caller. Private fields: use the
 * functions. It is large (about 17 KB on a 64-bit host with the default
 * limits, mostly the loaded manifests, the parameter table, the decode
 * caches and the work area), so a device keeps it in static memory, not
 * on a small stack. In exchange the processor's own stack stays small.
 */
typedef struct tk_suit_processor {
    tk_suit_config cfg;
    tk_suit_error error;
    tk_suit_loaded manifests[TK_SUIT_MAX_MANIFESTS];
    size_t manifest_count;
    tk_suit_params params[TK_SUIT_MAX_PARAM_COMPONENTS];
    size_t param_count;
    tk_suit_undo undo[TK_SUIT_MAX_UNDO];
    size_t undo_count;
    size_t undo_depth;                 /* open try-each and run-sequence */
    size_t record_count;
    tk_suit_record failure;            /* record of the failing command */
    bool have_failure;
    tk_suit_record invoke;             /* record of the last invoke */
    tk_suit_record current;            /* record of the running command */
#if TK_SUIT_MAX_CACHED_COMMANDS > 0
    tk_suit_cached_command commands[TK_SUIT_MAX_CACHED_COMMANDS];
    tk_suit_cached_sequence sequences[TK_SUIT_MAX_CACHED_SEQUENCES];
#endif
    size_t command_count;
    size_t sequence_count;
    bool recording;                    /* a sequence is being remembered */
#if TK_SUIT_MAX_CACHED_PARAMS > 0
    tk_suit_cached_param cached_params[TK_SUIT_MAX_CACHED_PARAMS];
    tk_suit_cached_map cached_maps[TK_SUIT_MAX_CACHED_MAPS];
#endif
    size_t cached_param_count;
    size_t cached_map_count;
    size_t work_used;
    tk_suit_work work;
    tk_suit_operation op;
    tk_err result;
    bool invoked;
    bool ran;
} tk_suit_processor;

/*
 * Initializes proc with cfg (copied; the pointers inside must outlive
 * proc). Returns TK_OK or TK_ERR_INVALID_ARG when crypto, platform,
 * find_key or stat is missing, or records is NULL with record_cap > 0.
 */
tk_err tk_suit_processor_init(tk_suit_processor *proc,
                              const tk_suit_config *cfg);

/*
 * Runs operation op on the envelope in input (which must stay valid and
 * unchanged until the next tk_suit_process or the report calls): decodes
 * and verifies it, checks rollback for the manifest and every component
 * it lists, then runs the command sequences of op with the shared
 * sequence before each, processing dependencies as their dependents ask.
 * Records commands into the configured record table.
 *
 * Returns TK_OK only when every step succeeded and the platform's end()
 * committed. On failure, returns the first error (also in
 * tk_suit_processor_error()), and the platform was asked to discard every
 * staged change.
 */
tk_err tk_suit_process(tk_suit_processor *proc, tk_view input,
                       tk_suit_operation op);

/* Returns the error context of the last tk_suit_process(); code is TK_OK
 * after a success. */
const tk_suit_error *tk_suit_processor_error(const tk_suit_processor *proc);

/* Returns the root manifest of the last tk_suit_process(), or NULL when it
 * failed before the manifest was decoded. */
const tk_suit_manifest *tk_suit_processor_manifest(
    const tk_suit_processor *proc);

/* Returns the number of records written by the last tk_suit_process(). */
size_t tk_suit_processor_record_count(const tk_suit_processor *proc);

/* Maps an error code to the suit-report-result-reason that describes it. */
tk_suit_reason tk_suit_error_reason(tk_err err);

/* ---------------------------------------------------------------------- */
/* SUIT reports (draft-ietf-suit-report-18)                               */
/* ---------------------------------------------------------------------- */

/*
 * Encodes the SUIT_Report of the last tk_suit_process() of proc into out
 * (capacity cap, *len): suit-reference (the root manifest's reference URI
 * and digest), the nonce when not empty, the records, and the result (true,
 * or the error code, the failing record and the reason). When the run
 * invoked a component and invoke_pending is set, a successful result is
 * reported as reason invoke-pending instead of true.
 *
 * Returns TK_OK, TK_ERR_STATE when no manifest was authenticated (a report
 * needs its digest), TK_ERR_BUFFER_TOO_SMALL (with the needed size in
 * *len), or a TK_ERR_CBOR_* error.
 */
tk_err tk_suit_report_encode(const tk_suit_processor *proc, tk_view nonce,
                             bool invoke_pending, uint8_t *out, size_t cap,
                             size_t *len);

/*
 * Wraps an encoded SUIT_Report in a COSE_Sign1_Tagged (protected header
 * {1: alg}, optional kid in the unprotected header, the report as
 * payload), signing with key. Writes to out (capacity cap, *len). Returns
 * TK_OK, TK_ERR_BUFFER_TOO_SMALL (needed size in *len), or a crypto error.
 */
tk_err tk_suit_report_sign(tk_view report, const tk_crypto *crypto,
                           tk_alg alg, const tk_key *key, tk_view kid,
                           uint8_t *out, size_t cap, size_t *len);

/* A decoded SUIT_Report: views into the input. */
typedef struct tk_suit_report {
    tk_view reference_uri;         /* text */
    tk_suit_digest manifest_digest;
    tk_view nonce;                 /* empty when absent */
    bool success;                  /* result is true */
    int64_t result_code;           /* when !success */
    tk_suit_reason reason;         /* when !success */
    tk_suit_record result_record;  /* when !success */
    size_t record_count;           /* records decoded into the array */
    size_t property_count;         /* system-property-claims maps seen */
    tk_view capability_report;     /* encoded, or empty */
} tk_suit_report;

/*
 * Decodes a SUIT_Report, unprotected or in a COSE_Sign1 (tagged or not).
 * A COSE_Sign1 is verified with key (required then; crypto too). Records
 * go to records (capacity cap; more gives TK_ERR_LIMIT); system property
 * maps are counted and skipped.
 *
 * Returns TK_OK, TK_ERR_SUIT_REPORT, TK_ERR_SUIT_DUPLICATE_KEY,
 * TK_ERR_SUIT_SIGNATURE, TK_ERR_LIMIT or a TK_ERR_CBOR_* error.
 */
tk_err tk_suit_report_decode(tk_view input, const tk_crypto *crypto,
                             const tk_key *key, tk_suit_report *report,
                             tk_suit_record *records, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_SUIT_H */
