/*
 * Declarations shared by the files of the agent library. Not installed.
 *
 *   identity.c   agent.json, key files, init and describe
 *   state.c      the state file (CBOR) of tk_teep_agent_state
 *   inventory.c  installed components: tc-list, EAT manifests, requests,
 *                component identifier text
 *   install.c    process_manifest and unlink_manifest over the store
 *   agent.c      open and close, the callbacks, message handling and the
 *                session loop
 */
#ifndef TK_AGENT_INTERNAL_H
#define TK_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "keyfile.h"
#include "suitdev.h"
#include "teepkit/cose.h"
#include "teepkit/eat.h"
#include "teepkit/teep.h"

/* Log component of the agent. */
#define AGENT_LOG "agent"

/* Version of agent.json and of the state file that this code writes. */
#define AGENT_FORMAT_VERSION 1

/* Largest agent.json, key file and state file read. */
#define AGENT_MAX_FILE (64u * 1024u)

/* Largest SUIT envelope accepted in an Update. */
#define AGENT_MAX_ENVELOPE (16u * 1024u * 1024u)

/* Sizes of the work buffers. The evidence contains the device claims and
 * one SUIT_Reference per entry of the manifests claim. */
#define AGENT_SCRATCH_SIZE (AGENT_MAX_ENVELOPE + 64u * 1024u)
#define AGENT_EVIDENCE_SIZE                                                   \
    (8u * 1024u + (unsigned)TK_EAT_MAX_MANIFESTS * (AGENT_MAX_REFERENCE + 8u))
#define AGENT_REPORT_SIZE (64u * 1024u)
#define AGENT_OUT_SIZE (AGENT_REPORT_SIZE + 16u * 1024u)

/* SUIT records kept for the report of one manifest. */
#define AGENT_MAX_RECORDS 64

/* Longest encoded SUIT_Reference of the EAT manifests claim, and longest
 * encoded SUIT_Digest. */
#define AGENT_MAX_REFERENCE 160
#define AGENT_MAX_DIGEST_ITEM (TK_SUITDEV_MAX_DIGEST + 16)

/* A key with the kid it is known by. */
typedef struct agent_key {
    tk_key key;
    tk_keyfile_info info;   /* key->kid may point into info.kid */
    tk_alg alg;             /* signing algorithm, TK_ALG_NONE if unknown */
    uint8_t thumbprint[TK_COSE_THUMBPRINT_SIZE]; /* RFC 9679 */
    char *path;             /* file it was read from */
} agent_key;

/* One installed component, cached for the callbacks of one message. */
typedef struct agent_component {
    char name[TK_SUITDEV_NAME_SIZE];
    tk_suitdev_meta meta;
    size_t id_len;
    uint8_t id[TK_AGENT_MAX_COMPONENT_ID];     /* encoded identifier */
    size_t digest_len;
    uint8_t digest[AGENT_MAX_DIGEST_ITEM];     /* encoded SUIT_Digest of
                                                  the image */
    size_t reference_len;
    uint8_t reference[AGENT_MAX_REFERENCE];    /* SUIT_Reference map of
                                                  the manifest */
} agent_component;

/* A pending RequestTA or UnrequestTA. */
typedef struct agent_request {
    size_t len;
    uint8_t id[TK_AGENT_MAX_COMPONENT_ID];
} agent_request;

struct tk_agent {
    const tk_crypto *crypto;
    char *store_dir;
    char *state_path;
    char *lock_path;
    int lock_fd;            /* open while the store lock is held, else -1 */
    int64_t clock_offset;   /* seconds the TK_TEST_CLOCK_OFFSET test hook
                               adds to time() */
    unsigned retries;       /* tk_agent_set_retry() */
    unsigned retry_delay_ms;
    tk_agent_pause_fn pause; /* tk_agent_set_pause(), NULL: sleep */
    void *pause_ctx;

    /* Claims of the device, from agent.json. */
    size_t ueid_len;
    uint8_t ueid[TK_EAT_UEID_MAX];
    size_t oemid_len;
    uint8_t oemid[16];
    size_t hwmodel_len;
    uint8_t hwmodel[32];
    char hwversion[64];
    bool has_vendor_id;
    uint8_t vendor_id[16];
    bool has_class_id;
    uint8_t class_id[16];

    /* Keys. */
    agent_key keys[TK_AGENT_MAX_KEYS];
    size_t key_count;
    tk_teep_signer signers[TK_AGENT_MAX_KEYS];
    agent_key attester;
    tk_eat_signer attest_signer;
    agent_key tam_keys[TK_AGENT_MAX_TRUSTED];
    size_t tam_key_count;
    agent_key signer_keys[TK_AGENT_MAX_TRUSTED];
    size_t signer_key_count;
    agent_key delegation_keys[TK_AGENT_MAX_TRUSTED];
    size_t delegation_key_count;
    agent_key decrypt_keys[TK_AGENT_MAX_TRUSTED];
    size_t decrypt_key_count;

    /* The TEEP state machine and what it keeps between messages. */
    tk_teep_agent machine;
    tk_teep_agent_state state;

    /* Component store. */
    tk_suitdev *device;
    char *fetch_dirs[TK_AGENT_MAX_FETCH_DIRS];
    size_t fetch_dir_count;

    /* Installed components as of the start of the current message. */
    agent_component *components;
    size_t component_count;
    size_t component_cap;
    /* SUIT_Reference of the agent itself for the EAT manifests claim. */
    size_t self_reference_len;
    uint8_t self_reference[AGENT_MAX_REFERENCE];

    agent_request requests[TK_AGENT_MAX_REQUESTS];
    size_t request_count;
    agent_request unrequests[TK_AGENT_MAX_REQUESTS];
    size_t unrequest_count;
    /* Error of a callback that the state machine turns into a generic
     * reason, kept for the session summary. */
    tk_err callback_error;

    /* Work buffers. */
    uint8_t *scratch;
    uint8_t *evidence;
    uint8_t *evidence_scratch;
    uint8_t *reports;
    uint8_t *out;
};

/* ---- identity.c ------------------------------------------------------ */

/* Writes a formatted sentence to msg (capacity msg_size) when msg is not
 * NULL. */
void agent_set_msg(char *msg, size_t msg_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns the name of a signing algorithm ("ESP256", "Ed25519", ...). */
const char *agent_alg_name(tk_alg alg);

/* Parses a UUID, with or without dashes, into out. Returns 0 or -1. */
int agent_uuid_parse(const char *text, uint8_t out[16]);

/* Loads agent.json and the keys of the store folder into agent. */
tk_err agent_identity_load(tk_agent *agent, char *msg, size_t msg_size);

/* Loads one public key file as a trust anchor into *out. */
tk_err agent_trust_load(tk_agent *agent, const char *path, agent_key *out,
                        char *msg, size_t msg_size);

/* Loads one key file that unwraps content keys into *out. */
tk_err agent_decrypt_key_load(tk_agent *agent, const char *path,
                              agent_key *out, char *msg, size_t msg_size);

/* Releases a key and its path. */
void agent_key_release(agent_key *key);

/* Returns malloc'd "dir/name", or NULL when out of memory. */
char *agent_path(const char *dir, const char *name);

/* ---- state.c --------------------------------------------------------- */

/* Reads the state file, or initializes the state when there is none.
 * Returns TK_OK, TK_ERR_AGENT_STATE_FILE or TK_ERR_SUIT_DEVICE_IO. */
tk_err agent_state_load(tk_agent *agent, char *msg, size_t msg_size);

/* Writes the state file atomically. */
tk_err agent_state_save(tk_agent *agent);

/* Encodes and decodes a state, for the file and for tests. */
tk_err agent_state_encode(const tk_teep_agent_state *state, uint8_t *buf,
                          size_t cap, size_t *len);
tk_err agent_state_decode(const uint8_t *buf, size_t len,
                          tk_teep_agent_state *state);

/* ---- inventory.c ----------------------------------------------------- */

/* Reloads agent->components from the store and drops the requests that
 * are satisfied. */
tk_err agent_inventory_refresh(tk_agent *agent);

/* Encodes a component identifier (segments) into out. */
tk_err agent_id_encode(const tk_suitdev_id *id, uint8_t *out, size_t cap,
                       size_t *len);

/* Finds the cached component with the encoded identifier id, or NULL. */
const agent_component *agent_inventory_find(const tk_agent *agent,
                                            tk_view id);

/* Fills the device claims of the evidence: ueid, oemid, hwmodel,
 * hwversion and manifests. */
tk_err agent_device_claims(const tk_agent *agent, tk_eat_claims *claims);

/* Computes the SUIT_Reference of the running executable into agent. */
void agent_self_reference(tk_agent *agent);

/* Callbacks of the state machine. */
tk_err agent_cb_component(void *ctx, size_t index, tk_teep_tc_info *info);
tk_err agent_cb_requested(void *ctx, size_t index, tk_teep_requested_tc *tc);
tk_err agent_cb_unneeded(void *ctx, size_t index, tk_view *manifest_id);

/* ---- install.c ------------------------------------------------------- */

tk_err agent_cb_process_manifest(void *ctx, tk_view envelope, tk_view token,
                                 uint8_t *report, size_t cap,
                                 size_t *report_len);
tk_err agent_cb_unlink_manifest(void *ctx, tk_view manifest_id);

/*
 * Writes a SUIT_Report for a manifest that failed before the processor
 * authenticated it, which tk_suit_report_encode() cannot describe: the
 * reference carries the digest of the manifest as received (or of the
 * whole input when it is not an envelope), and the result err with its
 * reason.
 */
tk_err agent_failure_report(const tk_crypto *crypto, tk_view envelope,
                            tk_view nonce, tk_err err, uint8_t *out,
                            size_t cap, size_t *len);

#endif /* TK_AGENT_INTERNAL_H */
