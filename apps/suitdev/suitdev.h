/*
 * tk_suitdev: a simulated SUIT device on a host, and the component store
 * that the TEEP agent reuses.
 *
 * Each component is a file in one store folder. Its name is derived from
 * the component identifier (see tk_suitdev_component_name()), so a hostile
 * identifier can never reach outside the folder. Beside each image the
 * store keeps metadata: the sequence number and digest of the manifest that
 * installed it (for rollback checks and for the EAT manifests claim) and
 * the SHA-256 digest and size of the image.
 *
 * Deleting a component can leave a tombstone with its highest sequence
 * number (see tk_suitdev_delete()), so that an older manifest cannot
 * install it again.
 *
 * Commits are atomic, also over several components. Every image and its
 * metadata are first written to ".new" files, fsync'ed and verified. Then
 * a commit journal listing the components is written and fsync'ed, the
 * ".new" files are renamed over the old ones, and the journal is removed.
 * tk_suitdev_open() finishes a commit whose journal it finds and discards
 * staged files without one, so after a crash every component of a
 * procedure is old or every one is new, never a mix.
 *
 * Fetches accept file: URIs that resolve inside one of the configured
 * folders and http URIs whose host is exactly 127.0.0.1; every other URI is
 * rejected with TK_ERR_SUIT_DEVICE_URI_REJECTED.
 *
 * This is host code: it allocates, does I/O and uses OpenSSL and libcurl.
 * A tk_suitdev is not thread-safe; use one per thread.
 */
#ifndef TK_SUITDEV_H
#define TK_SUITDEV_H

#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"
#include "teepkit/crypto.h"
#include "teepkit/suit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Maximum number of byte strings in one component identifier. */
#ifndef TK_SUITDEV_MAX_SEGMENTS
#define TK_SUITDEV_MAX_SEGMENTS 16
#endif

/* Default limit on the size of one component image or fetched payload. */
#ifndef TK_SUITDEV_DEFAULT_MAX_IMAGE
#define TK_SUITDEV_DEFAULT_MAX_IMAGE (64u * 1024u * 1024u)
#endif

/* Maximum length of a manifest digest kept in the metadata (SHA-512). */
#define TK_SUITDEV_MAX_DIGEST 64

/* Capacity of a component file name stem, including its NUL. */
#define TK_SUITDEV_NAME_SIZE 136

/*
 * Environment variable of the crash test hook. When it names one of the
 * commit steps, the process sends itself SIGKILL at that step of every
 * commit (tk_suitdev_commit(), and so every install and delete):
 *   "after-write"     an image's ".new" file is written, not fsync'ed
 *   "after-fsync"     it is fsync'ed
 *   "before-rename"   every change is staged; no journal yet
 *   "after-journal"   the journal is in place; nothing renamed yet
 *   "after-rename"    a component's image is renamed, not its metadata
 *   "after-metadata"  a component's metadata is renamed
 *   "between-renames" one component is complete, the next is not begun
 *   "after-apply"     every component is complete; the journal remains
 * The first three leave the old components, the others the new ones.
 */
#define TK_SUITDEV_CRASH_ENV "TK_TEST_CRASH_AT"

/* A SUIT_Component_Identifier: a list of byte strings. The views point into
 * memory that the caller owns. */
typedef struct tk_suitdev_id {
    tk_view segment[TK_SUITDEV_MAX_SEGMENTS];
    size_t count;
} tk_suitdev_id;

/* Metadata kept beside each component image. */
typedef struct tk_suitdev_meta {
    /* suit-manifest-sequence-number of the manifest that installed it. */
    uint64_t sequence_number;
    /* COSE algorithm of manifest_digest, for example -16 for SHA-256. */
    int64_t manifest_digest_alg;
    /* Digest of the bstr-wrapped manifest; length 0 when the component was
     * installed without a manifest. */
    uint8_t manifest_digest[TK_SUITDEV_MAX_DIGEST];
    size_t manifest_digest_len;
    /* SHA-256 of the image and its size in bytes; the store fills these. */
    uint8_t image_digest[32];
    uint64_t image_size;
} tk_suitdev_meta;

/* One component of tk_suitdev_list(). The identifier's segments point into
 * id_bytes, which the entry owns. */
typedef struct tk_suitdev_entry {
    tk_suitdev_id id;
    uint8_t *id_bytes;
    char name[TK_SUITDEV_NAME_SIZE];
    tk_suitdev_meta meta;
} tk_suitdev_entry;

/* Settings of tk_suitdev_open(). Strings are copied. */
typedef struct tk_suitdev_config {
    /* Existing folder that contains the components. */
    const char *store_dir;
    /* Folders whose files file: URIs may name; none means no file: URI is
     * accepted. */
    const char *const *fetch_dirs;
    size_t fetch_dir_count;
    /* Nonzero to fetch http://127.0.0.1 URIs with libcurl. */
    int allow_http;
    /* Limit on one image or payload in bytes; 0 selects
     * TK_SUITDEV_DEFAULT_MAX_IMAGE. */
    size_t max_image_size;
    /* Limit on one HTTP transfer in milliseconds; 0 selects 30000. */
    long http_timeout_ms;
    /* Nonzero to keep a tombstone for every deleted component (see
     * tk_suitdev_delete()); the TEEP agent sets it. */
    int keep_tombstones;
} tk_suitdev_config;

typedef struct tk_suitdev tk_suitdev;

/*
 * Opens the store in config->store_dir and recovers any install that a
 * crash interrupted. On success *device owns a handle to release with
 * tk_suitdev_close(). Returns TK_ERR_INVALID_ARG for a missing folder
 * name, TK_ERR_SUIT_DEVICE_IO when a folder cannot be opened.
 */
tk_err tk_suitdev_open(const tk_suitdev_config *config, tk_suitdev **device);

/* Releases the handle. Accepts NULL. */
void tk_suitdev_close(tk_suitdev *device);

/* Returns a sentence describing the last failure of a call on device (with
 * the file name or URI and errno text), or "" when none failed. */
const char *tk_suitdev_last_error(const tk_suitdev *device);

/*
 * Writes the file name stem of a component into name (capacity
 * TK_SUITDEV_NAME_SIZE). The stem is "c" followed by "_s" TEXT for each
 * segment made only of ASCII letters, digits and '-', and by "_h" HEX for
 * any other segment. So [h'00'] gives "c_h00", and
 * ['TEEP-Device','SecureFS'] gives "c_sTEEP-Device_sSecureFS". A stem
 * longer than 128 characters is replaced by "c~" and the SHA-256 of the
 * segments. Returns TK_OK or
 * TK_ERR_SUIT_DEVICE_BAD_COMPONENT_ID for more than
 * TK_SUITDEV_MAX_SEGMENTS segments.
 */
tk_err tk_suitdev_component_name(const tk_suitdev_id *id, char *name);

/*
 * Installs data as the component id, atomically, with meta's manifest
 * fields (the store computes image_digest and image_size): a commit of one
 * change. Returns TK_OK, TK_ERR_LIMIT for an image over the size limit,
 * TK_ERR_SUIT_DEVICE_IO when a write, fsync or rename fails (the old
 * component is then intact).
 */
tk_err tk_suitdev_install(tk_suitdev *device, const tk_suitdev_id *id,
                          const uint8_t *data, size_t len,
                          const tk_suitdev_meta *meta);

/* Kinds of change in one commit. */
typedef enum tk_suitdev_change_kind {
    TK_SUITDEV_CHANGE_INSTALL = 1, /* a new image and its metadata */
    TK_SUITDEV_CHANGE_METADATA,    /* new manifest fields for the stored
                                      image */
    TK_SUITDEV_CHANGE_DELETE       /* remove the image and metadata */
} tk_suitdev_change_kind;

/* One component of tk_suitdev_commit(). Pointers must stay valid during
 * the call. */
typedef struct tk_suitdev_change {
    tk_suitdev_change_kind kind;
    const tk_suitdev_id *id;
    const uint8_t *data;   /* INSTALL: the image */
    size_t len;
    tk_suitdev_meta meta;  /* INSTALL and METADATA: the manifest fields;
                              the store fills the image digest and size */
} tk_suitdev_change;

/*
 * Applies changes[0..count) to the store as one transaction: after a crash
 * at any point, and after a failure, either every change is in the store
 * or none is (see the commit steps of TK_SUITDEV_CRASH_ENV). A component
 * may appear once. Deleting a component that is not installed does
 * nothing; recording metadata for one fails with TK_ERR_NOT_FOUND.
 * Returns TK_OK, TK_ERR_INVALID_ARG, TK_ERR_LIMIT for an image over the
 * size limit, TK_ERR_SUIT_DEVICE_BAD_COMPONENT_ID, or
 * TK_ERR_SUIT_DEVICE_IO when a write, fsync or rename fails. An I/O error
 * after the commit point leaves the journal, and the next commit or
 * tk_suitdev_open() completes it.
 */
tk_err tk_suitdev_commit(tk_suitdev *device, const tk_suitdev_change *changes,
                         size_t count);

/*
 * Reads the image of a component into a malloc'd buffer that the caller
 * frees. Returns TK_OK, TK_ERR_NOT_FOUND or TK_ERR_SUIT_DEVICE_IO.
 */
tk_err tk_suitdev_read(tk_suitdev *device, const tk_suitdev_id *id,
                       uint8_t **data, size_t *len);

/* Reads the metadata of a component. Returns TK_OK, TK_ERR_NOT_FOUND or
 * TK_ERR_SUIT_DEVICE_IO for an unreadable or damaged metadata file. */
tk_err tk_suitdev_get_meta(tk_suitdev *device, const tk_suitdev_id *id,
                           tk_suitdev_meta *meta);

/*
 * Deletes a component and its metadata, atomically. A store opened with
 * keep_tombstones also keeps its tombstone (STEM.tomb): the manifest
 * fields of the deleted metadata, with the highest sequence number the
 * component has had. The tombstone is staged with the commit and renamed
 * into place by its journal before the component's files are removed, so
 * after a crash at any step a deleted component has one. Every commit
 * that deletes a component does the same, such as an unlink directive.
 * Returns TK_OK, TK_ERR_NOT_FOUND or TK_ERR_SUIT_DEVICE_IO.
 */
tk_err tk_suitdev_delete(tk_suitdev *device, const tk_suitdev_id *id);

/*
 * Reads the tombstone that deleting component id left: the manifest
 * fields of its last metadata, whose sequence_number is the highest it has
 * had. A tombstone stays when the component is installed again. Returns
 * TK_OK, TK_ERR_NOT_FOUND (never deleted) or TK_ERR_SUIT_DEVICE_IO.
 */
tk_err tk_suitdev_get_tombstone(tk_suitdev *device, const tk_suitdev_id *id,
                                tk_suitdev_meta *meta);

/*
 * Lists the installed components, in file name order, into a malloc'd
 * array that the caller releases with tk_suitdev_list_free(). Returns
 * TK_OK or TK_ERR_SUIT_DEVICE_IO.
 */
tk_err tk_suitdev_list(tk_suitdev *device, tk_suitdev_entry **entries,
                       size_t *count);

/* Releases the array of tk_suitdev_list(). Accepts NULL. */
void tk_suitdev_list_free(tk_suitdev_entry *entries, size_t count);

/*
 * Checks a manifest against the installed component id: rejects a sequence
 * number lower than the installed one, and an equal one whose manifest
 * digest differs. A deleted component is checked in the same way against
 * its tombstone. A component that was never installed passes. Returns TK_OK, TK_ERR_SUIT_DEVICE_ROLLBACK or
 * TK_ERR_SUIT_DEVICE_IO.
 */
tk_err tk_suitdev_check_rollback(tk_suitdev *device, const tk_suitdev_id *id,
                                 uint64_t sequence_number,
                                 const tk_suitdev_meta *manifest);

/*
 * Fetches uri into a malloc'd buffer that the caller frees. Accepts
 * file:///PATH, file:/PATH and file://localhost/PATH naming a regular file
 * inside a configured folder (after resolving symbolic links and "..") and,
 * when allowed, http://127.0.0.1[:PORT]/PATH, without redirects or
 * proxies. Returns TK_OK, TK_ERR_SUIT_DEVICE_URI_REJECTED,
 * TK_ERR_SUIT_DEVICE_FETCH_FAILED or TK_ERR_LIMIT for a payload over the
 * size limit.
 */
tk_err tk_suitdev_fetch(tk_suitdev *device, const char *uri, uint8_t **data,
                        size_t *len);

/* ---------------------------------------------------------------------- */
/* The device as a SUIT processor platform                                */
/* ---------------------------------------------------------------------- */

/* Called for each suit-directive-invoke: the simulated device records the
 * invocation instead of running anything. */
typedef void (*tk_suitdev_invoke_fn)(void *arg, const tk_suitdev_id *id,
                                     tk_view args);

/* Called for each custom command (a negative label) that the device
 * settings list, with its argument (the encoded item) and its result. */
typedef void (*tk_suitdev_custom_fn)(void *arg, int64_t label,
                                     const tk_suitdev_id *id,
                                     tk_view argument, bool result);

/* Component versions and custom commands one tk_suitdev_state lists. */
#define TK_SUITDEV_MAX_VERSIONS 16
#define TK_SUITDEV_MAX_CUSTOM 16

/* The result of suit-condition-update-authorized on the device. */
typedef enum tk_suitdev_authorization {
    TK_SUITDEV_AUTHORIZE_UNSET = 0, /* the condition is unsupported */
    TK_SUITDEV_AUTHORIZE_NONE,      /* every update is declined */
    TK_SUITDEV_AUTHORIZE_ALL,       /* every update is authorized */
    TK_SUITDEV_AUTHORIZE_PRIORITY   /* updates whose priority is at most
                                       max_priority (smaller is more
                                       urgent) */
} tk_suitdev_authorization;

/* The current version of one component. */
typedef struct tk_suitdev_version {
    char name[TK_SUITDEV_NAME_SIZE]; /* store name of the component, see
                                        tk_suitdev_component_name() */
    int64_t parts[TK_SUIT_MAX_VERSION_PARTS];
    size_t count;
} tk_suitdev_version;

/* The result of one custom command. */
typedef struct tk_suitdev_custom {
    int64_t label;   /* negative */
    bool result;     /* condition result */
} tk_suitdev_custom;

/*
 * Device state that the update-management conditions and directives read
 * (draft-ietf-suit-update-management-14): what a real device measures or
 * requests from its user. Each part that is not set makes the commands that need
 * it fail with TK_ERR_SUIT_COMMAND_UNSUPPORTED.
 */
typedef struct tk_suitdev_state {
    /* Battery energy left, for suit-condition-minimum-battery and the
     * power wait event. */
    bool has_battery;
    uint64_t battery_mwh;
    /* The result of suit-condition-update-authorized and of the
     * authorization wait event. */
    tk_suitdev_authorization authorization;
    int64_t max_priority;
    /* Network state, which the network wait event compares. */
    bool has_network;
    int64_t network;
    /* A fixed clock in seconds since 1970-01-01 UTC, for use-before, the
     * time wait events and delegation CWTs; the host clock when unset. */
    bool has_time;
    uint64_t time;
    /* Current component versions, for suit-condition-version. */
    tk_suitdev_version versions[TK_SUITDEV_MAX_VERSIONS];
    size_t version_count;
    /* Custom commands the device runs; others are unsupported. */
    tk_suitdev_custom custom[TK_SUITDEV_MAX_CUSTOM];
    size_t custom_count;
} tk_suitdev_state;

/*
 * Reads device settings from the JSON file path into state, over what
 * state already contains (start from a zeroed state):
 *   {"battery-mwh": 4200, "authorize": true | false | {"max-priority": N},
 *    "network": 1, "time": 1767225600,
 *    "versions": [{"component": ["app", {"hex": "00"}],
 *                  "version": [1, 2, 0]}],
 *    "custom": [{"label": -257, "result": true}]}
 * Every member is optional; an unknown one is an error. Returns TK_OK,
 * TK_ERR_INVALID_ARG or TK_ERR_LIMIT with a sentence in msg (capacity
 * msg_size) that names the file and the member.
 */
tk_err tk_suitdev_state_load(const char *path, tk_suitdev_state *state,
                             char *msg, size_t msg_size);

/*
 * Sets the version of one component from "NAME=VERSION": NAME is the
 * component's store name (c_sapp for ['app']), VERSION integers separated
 * by dots (1.2.0). Returns TK_OK, TK_ERR_INVALID_ARG or TK_ERR_LIMIT with
 * a sentence in msg.
 */
tk_err tk_suitdev_state_set_version(tk_suitdev_state *state, const char *spec,
                                    char *msg, size_t msg_size);

/* What the device trusts and how it identifies itself. Pointers are kept,
 * so they must outlive the session. */
typedef struct tk_suitdev_policy {
    /* Public keys that authenticate manifests (P-256 for ES256/ESP256,
     * Ed25519 for EdDSA/Ed25519). The first key whose type fits the
     * block's algorithm is used. */
    const tk_key *const *manifest_keys;
    size_t manifest_key_count;
    /* Trust anchors of delegation chains (suit-delegation, envelope
     * member 1 of draft-ietf-suit-trust-domains-11): public keys that may
     * sign the first CWT of a chain, whose last confirmation key then
     * authenticates the manifest. The first key whose type fits the CWT's
     * algorithm is used. A manifest key anchors no chain. */
    const tk_key *const *delegation_keys;
    size_t delegation_key_count;
    /* Keys that unwrap content keys: symmetric key-encryption keys for
     * A128KW, A192KW and A256KW, private P-256 or X25519 keys for
     * ECDH-ES. */
    const tk_key *const *decryption_keys;
    size_t decryption_key_count;
    /* 16-byte UUIDs that the identifier conditions compare with, or NULL
     * when the device has none (the condition then fails). */
    const uint8_t *vendor_id;
    const uint8_t *class_id;
    const uint8_t *device_id;
    /* Slot that every component reports as in use, for
     * suit-condition-component-slot. */
    bool has_slot;
    uint64_t slot;
    tk_suitdev_invoke_fn on_invoke;  /* may be NULL */
    void *invoke_arg;
    /* Battery, authorization, network, clock, versions and custom
     * commands; NULL when the device has none of them. */
    const tk_suitdev_state *state;
    /* Seconds added to the host clock (subtracted when negative) for
     * use-before, the time wait events and delegation CWTs, as the
     * TK_TEST_CLOCK_OFFSET test hook of teep-agent asks; 0 normally. A
     * fixed clock in state is used as it is. */
    int64_t clock_offset;
    tk_suitdev_custom_fn on_custom;  /* may be NULL */
    void *custom_arg;
} tk_suitdev_policy;

typedef struct tk_suitdev_session tk_suitdev_session;

/*
 * Starts a session of device with policy: its platform callbacks
 * (tk_suitdev_session_platform()) stage every write, swap, unlink and
 * rollback record in memory and commit them to the store in one
 * tk_suitdev_commit(), atomic over every component, only when the
 * processor ends a procedure successfully. Returns TK_OK or
 * TK_ERR_INVALID_ARG.
 */
tk_err tk_suitdev_session_open(tk_suitdev *device,
                               const tk_suitdev_policy *policy,
                               tk_suitdev_session **session);

/* Returns the platform table to put in tk_suit_config.platform. */
const tk_suit_platform *tk_suitdev_session_platform(
    tk_suitdev_session *session);

/* Ends the session, discarding anything staged. Accepts NULL. */
void tk_suitdev_session_close(tk_suitdev_session *session);

/*
 * Decodes an encoded SUIT_Component_Identifier into id, whose segments
 * point into encoded. Returns TK_OK, TK_ERR_SUIT_DEVICE_BAD_COMPONENT_ID
 * for more than TK_SUITDEV_MAX_SEGMENTS segments, or a TK_ERR_CBOR_* error
 * for something that is not an array of byte strings.
 */
tk_err tk_suitdev_id_decode(tk_view encoded, tk_suitdev_id *id);

#ifdef __cplusplus
}
#endif

#endif /* TK_SUITDEV_H */
