/*
 * tk_agent: the device side of TEEP, as a library behind the teep-agent
 * executable. It combines lib/teep's agent state machine with
 *
 *   - a device identity kept in a store folder: agent signing keys (one
 *     per cipher suite), a device attestation key, a ueid and the claims
 *     of agent.json;
 *   - the trust anchors given when the agent is opened: TAM keys, the
 *     keys of the Trusted Component signers that SUIT manifests must
 *     verify with, and the anchors of delegation chains;
 *   - EAT evidence built from the identity and the installed components;
 *   - the simulated device store of apps/suitdev as the component store,
 *     with atomic installs and a rollback check on every path;
 *   - the agent state (replay window, exchange in progress), saved
 *     atomically in the store folder after every message.
 *
 * The Broker part, tk_agent_run_session(), drives one TEEP session over a
 * transport callback: an empty POST, then one TAM message in and one
 * reply out until the TAM ends the session.
 *
 * docs/agent.md is the user guide: files of the store folder, options,
 * exit codes and the crash-safety guarantees.
 *
 * Host code: it allocates, does file I/O and logs through log.h. A
 * tk_agent is not thread-safe.
 */
#ifndef TK_AGENT_H
#define TK_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net.h"
#include "teepkit/crypto.h"
#include "teepkit/teep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Files and folders inside the store folder. */
#define TK_AGENT_CONFIG_FILE "agent.json"
#define TK_AGENT_STATE_FILE "state.cbor"
#define TK_AGENT_LOCK_FILE "agent.lock"
#define TK_AGENT_COMPONENT_DIR "components"
#define TK_AGENT_ATTEST_KEY "attest.key"
#define TK_AGENT_ATTEST_PUB "attest.pub"
#define TK_AGENT_ATTEST_COSE "attest.cose"

/* Agent signing keys, one per cipher suite. */
#ifndef TK_AGENT_MAX_KEYS
#define TK_AGENT_MAX_KEYS 2
#endif
/* Trusted TAM keys and Trusted Component signer keys. */
#ifndef TK_AGENT_MAX_TRUSTED
#define TK_AGENT_MAX_TRUSTED 8
#endif
/* Components requested (RequestTA) or no longer needed (UnrequestTA). */
#ifndef TK_AGENT_MAX_REQUESTS
#define TK_AGENT_MAX_REQUESTS TK_TEEP_MAX_REQUESTED_TC
#endif
/* Folders that file: URIs of manifests may name. */
#ifndef TK_AGENT_MAX_FETCH_DIRS
#define TK_AGENT_MAX_FETCH_DIRS 4
#endif
/* TAM messages one session may carry before the agent gives up. */
#ifndef TK_AGENT_MAX_SESSION_MESSAGES
#define TK_AGENT_MAX_SESSION_MESSAGES 16
#endif
/* Times tk_agent_run_session() sends a message again after a transport
 * failure that may pass (docs/agent.md, "Retries"), and the most that
 * tk_agent_set_retry() accepts. */
#ifndef TK_AGENT_RETRIES
#define TK_AGENT_RETRIES 3
#endif
#ifndef TK_AGENT_MAX_RETRIES
#define TK_AGENT_MAX_RETRIES 10
#endif
/* Pause before the first retry in milliseconds, doubled before each
 * further one up to TK_AGENT_MAX_RETRY_DELAY_MS, which is also the
 * longest first pause that tk_agent_set_retry() accepts. */
#ifndef TK_AGENT_RETRY_DELAY_MS
#define TK_AGENT_RETRY_DELAY_MS 1000
#endif
#ifndef TK_AGENT_MAX_RETRY_DELAY_MS
#define TK_AGENT_MAX_RETRY_DELAY_MS 60000
#endif
/* Largest encoded component identifier accepted from a user. */
#define TK_AGENT_MAX_COMPONENT_ID 1024

/*
 * Exit status of teep-agent, one per failure class; docs/agent.md lists
 * them. tk_agent_run_session() reports the class of a session in
 * tk_agent_session.exit.
 */
typedef enum tk_agent_exit {
    TK_AGENT_EXIT_OK = 0,          /* the session succeeded */
    TK_AGENT_EXIT_INTERNAL = 1,    /* unexpected failure (out of memory) */
    TK_AGENT_EXIT_USAGE = 2,       /* invalid command line */
    TK_AGENT_EXIT_STORE = 3,       /* store folder, key or state file */
    TK_AGENT_EXIT_TRANSPORT = 4,   /* connection, HTTP or CoAP failure */
    TK_AGENT_EXIT_REJECTED = 5,    /* a TAM message was rejected */
    TK_AGENT_EXIT_NEGOTIATION = 6, /* no common version, suite or
                                      freshness mechanism */
    TK_AGENT_EXIT_MANIFEST = 7,    /* a manifest or unlink failed */
    TK_AGENT_EXIT_TAM_ERROR = 8,   /* the TAM sent an err-code, for
                                      example after failed attestation */
    TK_AGENT_EXIT_PROTOCOL = 9     /* the session did not end properly */
} tk_agent_exit;

/* Returns the one-line description of an exit status. */
const char *tk_agent_exit_text(tk_agent_exit code);

/* Parses a signing algorithm name (ESP256, ES256, Ed25519, EdDSA, any
 * case) or its COSE number; returns TK_ALG_NONE for any other. */
tk_alg tk_agent_alg_parse(const char *text);

/* ---------------------------------------------------------------------- */
/* Device identity                                                        */
/* ---------------------------------------------------------------------- */

/* Settings of tk_agent_init_store(). NULL strings select the defaults. */
typedef struct tk_agent_init_options {
    const char *store_dir;     /* required; created with mode 0700 */
    /* Agent signing algorithms, one key each: ESP256 or ES256 (P-256),
     * Ed25519 or EdDSA. None: ESP256 and Ed25519. */
    tk_alg algs[TK_AGENT_MAX_KEYS];
    size_t alg_count;
    tk_alg attest_alg;         /* TK_ALG_NONE: ESP256 */
    const char *ueid_hex;      /* 7..33 bytes; default 0x01 and 16 random
                                  bytes (RFC 9711 section 4.2.1, RAND) */
    const char *oemid_hex;     /* 3 bytes (IEEE OUI) or 16 bytes; default
                                  16 random bytes */
    const char *hwmodel;       /* text, 1..32 bytes; default
                                  "teepkit-simulated-tee" */
    const char *hwversion;     /* text; default "1.0" */
    const char *vendor_id;     /* UUID the manifests' vendor condition
                                  compares with; default none */
    const char *class_id;      /* UUID of the class condition */
} tk_agent_init_options;

/*
 * Creates a device identity in opts->store_dir: the keys (private PEM
 * files with mode 0600; public keys as PEM and as COSE_Key with the
 * RFC 9679 thumbprint as kid), agent.json and the component folder.
 * Returns TK_OK, TK_ERR_AGENT_EXISTS when the folder already holds
 * agent.json, TK_ERR_INVALID_ARG for a bad option, or the error of a
 * file or key operation; msg (capacity msg_size) receives a sentence.
 */
tk_err tk_agent_init_store(const tk_crypto *crypto,
                           const tk_agent_init_options *opts, char *msg,
                           size_t msg_size);

/* ---------------------------------------------------------------------- */
/* Agent                                                                  */
/* ---------------------------------------------------------------------- */

/* Settings of tk_agent_open(). Strings are copied where kept. */
typedef struct tk_agent_options {
    const char *store_dir;
    const tk_crypto *crypto;   /* NULL: tk_crypto_openssl() */
    /* Public key files (PEM or COSE_Key) of the TAM. */
    const char *const *tam_keys;
    size_t tam_key_count;
    /* Public key files of the Trusted Component signers. */
    const char *const *signer_keys;
    size_t signer_key_count;
    /* Public key files of the trust anchors of delegation chains
     * (suit-delegation, draft-ietf-suit-trust-domains-11): a manifest
     * signed by a key that a chain rooted in one of them delegates to is
     * authentic. Signer keys anchor no chain. */
    const char *const *delegation_keys;
    size_t delegation_key_count;
    /* Key files that unwrap the content keys of encrypted payloads
     * (draft-ietf-suit-firmware-encryption-24): symmetric AES-KW keys
     * (COSE_Key), or private P-256 or X25519 keys for ECDH-ES. */
    const char *const *decrypt_keys;
    size_t decrypt_key_count;
    /* Folders that file: URIs in manifests may name (none: no file:
     * URI is fetched). http://127.0.0.1 URIs are always allowed. */
    const char *const *fetch_dirs;
    size_t fetch_dir_count;
    /* Seconds an Update is awaited after a QueryResponse; 0: 24 hours. */
    int64_t update_wait;
} tk_agent_options;

typedef struct tk_agent tk_agent;

/*
 * Opens the agent of opts->store_dir: reads agent.json, the keys and the
 * state file, loads the trust anchors and opens the component store
 * (which completes or discards an install that a crash interrupted).
 * The state file and the component store are read with the store lock
 * held (agent.lock), which one process at a time may hold.
 * Returns TK_OK and *agent, or an error with a sentence in msg:
 * TK_ERR_NOT_FOUND (no agent.json: run init first), TK_ERR_AGENT_CONFIG,
 * TK_ERR_AGENT_STATE_FILE, TK_ERR_AGENT_STORE_BUSY, a key file error,
 * TK_ERR_SUIT_DEVICE_IO.
 */
tk_err tk_agent_open(const tk_agent_options *opts, tk_agent **agent,
                     char *msg, size_t msg_size);

/* Closes the agent and releases its keys. NULL is ignored. */
void tk_agent_close(tk_agent *agent);

/*
 * Adds a component to request (RequestTA) or to declare no longer needed
 * (UnrequestTA) in the QueryResponses of this agent. id is the encoded
 * SUIT_Component_Identifier. A request stays until the component is
 * installed; an unrequest until it is gone. Returns TK_OK, TK_ERR_LIMIT
 * beyond TK_AGENT_MAX_REQUESTS, TK_ERR_AGENT_COMPONENT_ID.
 */
tk_err tk_agent_request(tk_agent *agent, tk_view id);
tk_err tk_agent_unrequest(tk_agent *agent, tk_view id);

/* Returns the number of requests and unrequests still pending. */
size_t tk_agent_pending(const tk_agent *agent);

/*
 * Parses a component identifier given by a user into its CBOR encoding
 * (out, capacity cap, *len). Accepted forms:
 *   ["TEEP-Device", "SecureFS", {"hex": "8d82"}]   JSON list of segments
 *   hex:824b544545502d446576696365...             the encoding in hex
 *   c_sTEEP-Device_sSecureFS_h8d82                the store's file name
 * Returns TK_OK or TK_ERR_AGENT_COMPONENT_ID.
 */
tk_err tk_agent_component_id_parse(const char *text, uint8_t *out,
                                   size_t cap, size_t *len);

/*
 * Writes the identity (device id, claims, key files and kids) and the
 * installed components of agent to out, as text or as one JSON object.
 */
tk_err tk_agent_describe(tk_agent *agent, FILE *out, bool json);

/* ---------------------------------------------------------------------- */
/* Sessions                                                               */
/* ---------------------------------------------------------------------- */

/*
 * Transport of a session: POSTs len bytes of body (len 0: the empty
 * message that starts a session) to the TAM and fills *reply, whose body
 * stays valid until the next call. Returns TK_OK for a success status,
 * else the transport error (reply->status set when a reply arrived).
 */
typedef tk_err (*tk_agent_post_fn)(void *ctx, const uint8_t *body,
                                   size_t len, tk_net_reply *reply);

/*
 * Sets how tk_agent_run_session() retries (the default is
 * TK_AGENT_RETRIES retries with a first pause of TK_AGENT_RETRY_DELAY_MS).
 * A message whose POST fails to connect, times out, loses its connection
 * before a reply, or gets 502, 503 or 504 is sent again, byte for byte,
 * up to retries times, after a pause of first_delay_ms milliseconds that
 * doubles before each further retry (up to TK_AGENT_MAX_RETRY_DELAY_MS).
 * When the failed reply requests a pause (reply->has_retry_after: an HTTP
 * Retry-After field, or the Max-Age of a CoAP 5.03), the pause is that
 * many seconds instead, at most TK_AGENT_MAX_RETRY_DELAY_MS. The
 * doubling goes on for later pauses that no reply sets. No other failure
 * is retried, and no 4xx reply. When a retried Success
 * or Error gets 409 after a copy that may have reached the TAM, the TAM
 * had recorded that copy, so the session ends as if the TAM had replied.
 * Returns TK_OK, TK_ERR_INVALID_ARG for a NULL agent, or TK_ERR_LIMIT
 * beyond TK_AGENT_MAX_RETRIES or TK_AGENT_MAX_RETRY_DELAY_MS.
 */
tk_err tk_agent_set_retry(tk_agent *agent, unsigned retries,
                          unsigned first_delay_ms);

/*
 * Replaces the pause between retries, which sleeps by default, with fn:
 * tk_agent_run_session() calls fn(ctx, ms) instead of waiting ms
 * milliseconds. Tests use it to count the pauses instead of taking them.
 * NULL restores the sleep.
 */
typedef void (*tk_agent_pause_fn)(void *ctx, unsigned ms);
void tk_agent_set_pause(tk_agent *agent, tk_agent_pause_fn fn, void *ctx);

/* What one session did. */
typedef struct tk_agent_session {
    tk_agent_exit exit;        /* failure class, TK_AGENT_EXIT_OK */
    tk_err reason;             /* the first failure, TK_OK */
    unsigned status;           /* transport status of a failed POST */
    size_t messages;           /* TAM messages handled */
    size_t retries;            /* POSTs sent again after a failure */
    size_t retry_after_used;   /* pauses that a reply's Retry-After or
                                  Max-Age set */
    size_t already_recorded;   /* retried messages that got 409 because
                                  the TAM had recorded an earlier copy */
    size_t installed;          /* manifests applied */
    size_t failed;             /* manifests or unlinks that failed */
    size_t unlinked;           /* components deleted */
    uint32_t err_code_sent;    /* err-code of the agent's last Error */
    uint32_t tam_err_code;     /* err-code the TAM sent in an Update */
} tk_agent_session;

/*
 * Runs one session: takes the store lock and reads the state file and the
 * component store again (another process may have changed them), POSTs
 * the empty message, passes every TAM message to the state machine,
 * saves the state and POSTs the reply, each POST with the retries of
 * tk_agent_set_retry(). It stops when the TAM replies without a body, the
 * agent has nothing to send, or TK_AGENT_MAX_SESSION_MESSAGES messages
 * were handled, and releases the lock. Fills *session and returns
 * session->reason.
 */
tk_err tk_agent_run_session(tk_agent *agent, tk_agent_post_fn post,
                            void *post_ctx, tk_agent_session *session);

/*
 * Handles one TAM message in[0..len) as a session step does, saving the
 * state when the state machine accepted the message. It takes no lock:
 * the caller makes sure no other process uses the store. *out (owned by
 * agent, valid until the next call) and *out_len receive the reply, with
 * *out_len 0 for none. Fills *res. Returns what tk_teep_agent_handle()
 * returns, or the error of saving the state.
 */
tk_err tk_agent_handle(tk_agent *agent, const uint8_t *in, size_t len,
                       const uint8_t **out, size_t *out_len,
                       tk_teep_agent_result *res);

#ifdef __cplusplus
}
#endif

#endif /* TK_AGENT_H */
