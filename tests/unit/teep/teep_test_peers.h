/*
 * An in-memory TAM and TEEP Agent for the state machine tests: keys from
 * the OpenSSL backend, stub callbacks that record what they were given,
 * a session table, a clock, a component inventory and a manifest
 * processor that understands test manifests of the form "name:sequence".
 */
#ifndef TEEP_TEST_PEERS_H
#define TEEP_TEST_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/teep.h"

#define PEERS_MAX_SESSIONS 16
#define PEERS_MAX_COMPONENTS 8
#define PEERS_BUF 8192

/* An installed component of the simulated device. */
typedef struct peer_component {
    char name[16];
    uint64_t sequence;
    uint8_t id[32]; /* encoded SUIT_Component_Identifier ['name'] */
    size_t id_len;
} peer_component;

/* The TAM side: configuration, callbacks' state and what they saw. */
typedef struct tam_peer {
    tk_teep_tam tam;
    tk_teep_signer signers[2];
    uint8_t scratch[PEERS_BUF];
    int64_t now;

    tk_teep_tam_session sessions[PEERS_MAX_SESSIONS];
    size_t session_count;
    size_t saves;

    /* Reference values of the appraisal. */
    bool expect_nonce_mismatch;
    size_t appraise_calls;
    tk_eat_status last_status;

    /* Policy: manifests to send and ids to unlink. */
    size_t policy_calls;
    size_t policy_manifest_count;
    tk_view policy_manifests[4];
    size_t policy_unneeded_count;
    tk_view policy_unneeded[4];
    size_t seen_tc_count;

    /* Records of Success and Error. */
    size_t record_calls;
    uint32_t record_type;
    uint32_t record_err_code;
    size_t record_reports;
} tam_peer;

/* The agent side. */
typedef struct agent_peer {
    tk_teep_agent agent;
    tk_teep_agent_state state;
    tk_teep_signer signers[2];
    uint8_t scratch[PEERS_BUF];
    uint8_t evidence[2048];
    uint8_t evidence_scratch[2048];
    uint8_t reports[2048];
    int64_t now;

    peer_component components[PEERS_MAX_COMPONENTS];
    size_t component_count;
    size_t process_calls;
    size_t unlink_calls;
    bool wrong_report_nonce;
    bool evidence_wrong_nonce;
    const char *evidence_format;
    const char *tam_peer_id; /* returned by the TAM key callback */
} agent_peer;

/* Keys shared by the tests, generated once. */
typedef struct peer_keys {
    tk_key tam_p256;
    tk_key tam_ed25519;
    tk_key agent_p256;
    tk_key agent_ed25519;
    tk_key other_p256;     /* a second device */
    tk_key attester;       /* device attestation key */
    uint8_t agent_kid[32]; /* RFC 9679 thumbprints */
    uint8_t agent_ed_kid[32];
    uint8_t other_kid[32];
    uint8_t attester_kid[8];
} peer_keys;

extern peer_keys g_keys;

/* Generates the keys (once) with the OpenSSL backend. */
void peers_keys_init(void);
void peers_keys_release(void);

/* Sets up a TAM with ESP256 and Ed25519 signers (tam_algs lists the
 * algorithms to use, in order; count 1 or 2) and default policy. */
void tam_peer_init(tam_peer *p, const tk_alg *tam_algs, size_t count);

/* Sets up an agent whose signers have the algorithms agent_algs. */
void agent_peer_init(agent_peer *p, const tk_alg *agent_algs, size_t count);

/* Adds an installed component name with sequence to the agent, or sets
 * its sequence. Returns false when the inventory is full. */
bool agent_peer_install(agent_peer *p, const char *name, uint64_t sequence);

/* Returns the installed sequence of name, or 0. */
uint64_t agent_peer_sequence(const agent_peer *p, const char *name);

/* Encodes the component id ['name'] into buf; returns its length. */
size_t peers_component_id(const char *name, uint8_t *buf, size_t cap);

/* Signs payload with signer as a COSE_Sign1 into out. */
size_t peers_sign(const tk_teep_signer *signer, const uint8_t *payload,
                  size_t len, uint8_t *out, size_t cap);

/* Verifies msg with any key of the tests and decodes it. Returns the
 * algorithm of the signature. */
tk_alg peers_open(const uint8_t *msg, size_t len, tk_teep_message *out);

#endif /* TEEP_TEST_PEERS_H */
