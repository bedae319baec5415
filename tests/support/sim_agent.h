/*
 * An in-process TEEP Agent for the tests and benchmarks of the TAM: lib/teep's
 * agent state machine with stub callbacks. It trusts the TAM's two public
 * keys, signs real EAT evidence with its own attestation key and keeps an
 * in-memory inventory of components. For each SUIT envelope of an Update it
 * records the component and writes a SUIT report, without installing
 * anything. Helpers register its device in a TAM store and upload the
 * component that it installs.
 */
#ifndef SIM_AGENT_H
#define SIM_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "teepkit/cose.h"
#include "teepkit/eat.h"
#include "teepkit/teep.h"

#define SIM_UEID_LEN 17
#define SIM_MAX_COMPONENTS 8
#define SIM_ID_MAX 64
#define SIM_KID_MAX 64

/* The TAM's public keys as an agent trusts them: ESP256 (P-256) first,
 * Ed25519 second, each with the kid of its COSE_Key file. */
typedef struct sim_tam_keys {
    tk_key key[2];
    uint8_t kid[2][SIM_KID_MAX];
    size_t kid_len[2];
} sim_tam_keys;

/* Loads the keys that `teepkit tam init` (tk_tam_keys_create) wrote into
 * key_dir. On failure, msg (capacity cap) receives the error message. */
tk_err sim_tam_keys_load(sim_tam_keys *keys, const tk_crypto *crypto,
                         const char *key_dir, char *msg, size_t cap);
void sim_tam_keys_release(sim_tam_keys *keys);

/* One component in an agent's inventory, with encoded ids. */
typedef struct sim_component {
    uint8_t id[SIM_ID_MAX];
    size_t id_len;
    uint8_t manifest_id[SIM_ID_MAX]; /* empty when the manifest has none */
    size_t manifest_id_len;
    uint64_t sequence;
} sim_component;

/* Changes the evidence of one QueryResponse before it is signed: the
 * claims, the request (its challenge becomes the nonce) and the
 * attestation signer. user is sim_agent.user. */
typedef void (*sim_evidence_hook)(void *user, tk_eat_claims *claims,
                                  tk_teep_evidence_request *request,
                                  tk_eat_signer *attester);

/* Settings that differ between the programs that use the agent. */
typedef struct sim_agent_config {
    const tk_crypto *crypto;   /* the agent's keys, evidence and SUIT */
    const sim_tam_keys *tam;   /* the TAM keys it trusts */
    int64_t (*now)(void *ctx); /* its clock; NULL: time(NULL) */
    void *now_ctx;
    tk_view hwmodel;          /* claim and reference value */
    const char *hwversion;    /* claim and reference value; NULL: "1.0" */
    bool hwversion_reference; /* register hwversion as a reference value */
    /*
     * With a manifest signer, the agent verifies each envelope with it,
     * decodes the manifest and records its first component with its
     * sequence number. It rejects a sequence number that is not newer than
     * the recorded one. Without a manifest signer, the agent only decodes
     * the envelope and records component with sequence, so that a
     * benchmark of the TAM does not spend time on the agent's crypto.
     */
    const tk_key *manifest_signer;
    tk_view component;
    uint64_t sequence;
    sim_evidence_hook evidence_hook; /* may be NULL */
} sim_agent_config;

#define SIM_SCRATCH_SIZE (128 * 1024)
#define SIM_EVIDENCE_SIZE 4096
#define SIM_REPORTS_SIZE 8192

/* One agent with its device, keys, inventory and buffers. */
typedef struct sim_agent {
    sim_agent_config cfg;
    void *user; /* for the caller, passed to the evidence hook */
    tk_teep_agent machine;
    tk_teep_agent_state state;
    tk_key key; /* signs the agent's messages (ESP256) */
    uint8_t kid[TK_COSE_THUMBPRINT_SIZE];
    tk_teep_signer signer;
    tk_key attester; /* signs the evidence (ESP256) */
    uint8_t attester_kid[TK_COSE_THUMBPRINT_SIZE];
    uint8_t ueid[SIM_UEID_LEN];

    sim_component installed[SIM_MAX_COMPONENTS];
    size_t installed_count;
    size_t process_calls; /* envelopes offered */
    size_t accepted;      /* envelopes recorded and reported */
    size_t unlink_calls;

    uint8_t scratch[SIM_SCRATCH_SIZE];
    uint8_t evidence[SIM_EVIDENCE_SIZE];
    uint8_t evidence_scratch[SIM_EVIDENCE_SIZE];
    uint8_t reports[SIM_REPORTS_SIZE];
} sim_agent;

/* Makes a P-256 key and its COSE_Key thumbprint, which serves as kid. */
tk_err sim_new_key(const tk_crypto *crypto, tk_key *key,
                   uint8_t kid[TK_COSE_THUMBPRINT_SIZE]);

/* Sets up agent a with its device ueid and new agent and attestation
 * keys. A caller may add the callbacks ops.requested and ops.unneeded of
 * a->machine, whose ctx is a. */
tk_err sim_agent_init(sim_agent *a, const sim_agent_config *cfg,
                      const uint8_t ueid[SIM_UEID_LEN]);
void sim_agent_release(sim_agent *a);

/* Registers the device of a in store: its ueid in class_id (0 for none),
 * its agent and attestation keys and its reference values. actor names
 * the writer in the audit log (may be NULL). detail may be NULL. */
tk_err sim_agent_register(const sim_agent *a, tk_store *store, int64_t class_id,
                          const char *actor, int64_t *device_id,
                          tk_store_detail *detail);

/* Empties the inventory and zeroes the counts, as if the device were new. */
void sim_agent_forget(sim_agent *a);

/* The inventory entry with encoded component id, or NULL. */
const sim_component *sim_agent_find(const sim_agent *a, tk_view id);

/* Records a component: a new entry with id and manifest_id, or the
 * sequence of the entry with id. TK_ERR_LIMIT when the inventory or an
 * id is too large. */
tk_err sim_agent_record(sim_agent *a, tk_view id, tk_view manifest_id,
                        uint64_t sequence);

/* A component to upload to the TAM's store. */
typedef struct sim_upload {
    const tk_view *id; /* segments of the component id */
    size_t id_count;
    bool manifest_id; /* add the manifest id: the segments and "suit" */
    uint64_t sequence;
    size_t payload;       /* bytes of the integrated payload "#app" */
    const char *name;     /* the component's name in the store */
    const char *actor;    /* may be NULL */
    const tk_key *signer; /* signs the envelope (ESP256) */
} sim_upload;

/* Builds the SUIT envelope of up, checks it as the TAM does and stores it
 * as a new version. *component receives the component's store id. On
 * failure, msg (capacity cap) receives the error message. */
tk_err sim_upload_component(tk_store *store, const tk_crypto *crypto,
                            const sim_upload *up, int64_t *component, char *msg,
                            size_t cap);

/* Adds the device class class_name with a rule that installs component.
 * *class_id receives the class. */
tk_err sim_add_install_class(tk_store *store, const char *class_name,
                             int64_t component, const char *actor,
                             int64_t *class_id, tk_store_detail *detail);

#endif /* SIM_AGENT_H */
