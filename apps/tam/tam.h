/*
 * The TAM service: TEEP over HTTP (and CoAP) in front of lib/teep's TAM
 * state machine, with the verifier, the policy and the store behind it.
 *
 * A tk_tam is one worker process. It keeps no session in memory: every
 * session lives in the store (apps/store), so several processes on one
 * PostgreSQL database can serve consecutive messages of the same agent.
 * tk_tam_handle() is a tk_net_handler that any number of server threads
 * may call at once.
 *
 * docs/tam.md is the operator guide: commands, configuration keys with
 * their defaults, HTTP statuses, what is logged and stored.
 */
#ifndef TK_TAM_H
#define TK_TAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_server.h"
#include "log.h"
#include "net.h"
#include "store.h"
#include "teepkit/crypto.h"
#include "teepkit/eat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most component-signer keys a configuration may list. */
#define TK_TAM_MAX_SIGNER_KEYS 8

/* Default HTTP listen address and port. */
#define TK_TAM_DEFAULT_LISTEN "127.0.0.1:8080"

/* File names of the TAM keys inside the key folder. */
#define TK_TAM_KEY_ESP256 "tam-esp256.pem"
#define TK_TAM_KEY_ED25519 "tam-ed25519.pem"
#define TK_TAM_PUB_ESP256 "tam-esp256.pub.pem"
#define TK_TAM_PUB_ED25519 "tam-ed25519.pub.pem"
#define TK_TAM_COSE_ESP256 "tam-esp256.pub.cose"
#define TK_TAM_COSE_ED25519 "tam-ed25519.pub.cose"

/*
 * Settings of a TAM. Strings are malloc'd and owned by the struct: set
 * them with tk_tam_config_set() and free them with tk_tam_config_free().
 * docs/tam.md documents each key.
 */
typedef struct tk_tam_config {
    char *db;                 /* key db: store connection string */
    char *listen;             /* key listen: HTTP "ADDRESS:PORT" */
    char *coap;               /* key coap: CoAP "ADDRESS:PORT", or NULL */
    char *key_dir;            /* key key_dir */
    char *key_esp256;         /* key key_esp256: private key file */
    char *key_ed25519;        /* key key_ed25519: private key file */
    int64_t session_lifetime; /* key session_lifetime, seconds */
    int64_t token_rotation;   /* key token_rotation, seconds; 0: never */
    size_t max_body;          /* key max_body, bytes of one request */
    size_t max_update;        /* key max_update, manifest bytes per Update */
    tk_log_level log_level;   /* key log_level */
    unsigned threads;         /* key threads: HTTP worker threads */
    unsigned store_pool;      /* key store_pool: database connections */
    tk_store_sync store_sync; /* key store_sync: full or normal (SQLite) */
    char *signers[TK_TAM_MAX_SIGNER_KEYS]; /* key component_signer */
    size_t signer_count;
    bool require_attestation; /* key require_attestation */
    bool accept_warning;      /* key accept_warning */
    bool requery_on_failure;  /* key requery_on_attestation_failure */
    bool open_requests;       /* key open_requests */
    uint64_t clock_skew;      /* key clock_skew, seconds */
    uint64_t evidence_max_age; /* key evidence_max_age, seconds */
    char *admin;              /* key admin: admin API "ADDRESS:PORT", or
                                 NULL for none */
    char *admin_token;        /* key admin_token: bearer token of the
                                 admin API (a secret, never logged) */
    char *admin_token_file;   /* key admin_token_file: file whose first
                                 line is the token */
    size_t admin_max_upload;  /* key admin_max_upload, bytes of one
                                 component upload */
} tk_tam_config;

/* Fills cfg with the defaults of docs/tam.md (db and key_dir unset). */
void tk_tam_config_init(tk_tam_config *cfg);

/* Frees every string of cfg and sets it to the defaults again. */
void tk_tam_config_free(tk_tam_config *cfg);

/*
 * Sets configuration key to the text value, as a config file line
 * "key = value" does. component_signer adds one more key path. Returns
 * TK_OK, or TK_ERR_TAM_CONFIG with a sentence naming the key and the
 * problem in msg (capacity msg_size).
 */
tk_err tk_tam_config_set(tk_tam_config *cfg, const char *key,
                         const char *value, char *msg, size_t msg_size);

/*
 * Reads a configuration file into cfg: a JSON object of keys (jansson),
 * when its first non-blank character is '{', or else "key = value" lines
 * with '#' comments. Values already in cfg are overwritten only by keys
 * that the file contains. Returns TK_OK, TK_ERR_NOT_FOUND for an
 * unreadable file, or TK_ERR_TAM_CONFIG with the line or key in msg.
 */
tk_err tk_tam_config_load(tk_tam_config *cfg, const char *path, char *msg,
                          size_t msg_size);

/*
 * Creates the TAM's signing keys in key_dir (made with mode 0700 when
 * absent) unless they exist. They are an ESP256 (P-256) and an Ed25519
 * private key (PEM, mode 0600), with their public keys as PEM and as
 * COSE_Key whose kid is the RFC 9679 thumbprint. *created tells whether
 * any key was new. Returns TK_OK or an error with a sentence in msg.
 */
tk_err tk_tam_keys_create(const tk_crypto *crypto, const char *key_dir,
                          bool *created, char *msg, size_t msg_size);

/*
 * Returns the default key folder for connection string db: "tam-keys"
 * beside an SQLite file, "tam-keys" in the current folder for a database
 * URL. The result is malloc'd.
 */
char *tk_tam_default_key_dir(const char *db);

/* What one TEEP request did, for metrics (tk_tam_options.on_request). */
typedef struct tk_tam_request_info {
    uint32_t received_type; /* TEEP type received; 0 for the empty POST
                               that starts a session, or when the body did
                               not decode */
    uint32_t sent_type;     /* TEEP type of the reply; 0 when none */
    unsigned status;        /* HTTP status of the reply */
    tk_err reason;          /* why the message was rejected or attestation
                               failed, else TK_OK */
    tk_eat_status attestation; /* verdict of appraised evidence, else
                                  TK_EAT_STATUS_NONE */
    bool session_end;       /* the TAM has nothing more to send (204) */
    uint32_t err_code;      /* err-code received in an Error or sent in an
                               Update, else 0 */
    uint64_t elapsed_ns;    /* wall time inside tk_tam_handle() */
} tk_tam_request_info;

/* Hooks for tests, benchmarks and metrics; a zeroed struct gives the
 * defaults. */
typedef struct tk_tam_options {
    /* Clock of the TAM and its store, seconds since the epoch (default:
     * time()). */
    int64_t (*clock)(void *ctx);
    void *clock_ctx;
    /* Crypto backend (default tk_crypto_openssl()). */
    const tk_crypto *crypto;
    /* Called after every store operation, for profiles (see store.h). */
    void (*observe)(void *ctx, tk_store_op op, tk_err err,
                    uint64_t elapsed_ns);
    void *observe_ctx;
    /* Called at the end of every TEEP request, on the server thread that
     * handled it, for metrics. Must not call back into the TAM. */
    void (*on_request)(void *ctx, const tk_tam_request_info *info);
    void *on_request_ctx;
} tk_tam_options;

/* Counters of one TAM since tk_tam_open(). */
typedef struct tk_tam_stats {
    uint64_t requests;        /* TEEP requests handled */
    uint64_t sessions_started; /* empty POSTs that started a session */
    uint64_t queries_sent;    /* every QueryRequest, first or repeated */
    uint64_t updates_sent;
    uint64_t done;            /* replies without a message (204) */
    uint64_t rejected;        /* messages dropped with an error status */
    uint64_t attestation_failed;
    uint64_t internal_errors; /* 5xx replies */
} tk_tam_stats;

typedef struct tk_tam tk_tam;

/*
 * Opens the store named by cfg->db (creating its schema when new), loads
 * the TAM keys (cfg->key_esp256 and cfg->key_ed25519, by default the
 * files of tk_tam_keys_create() in cfg->key_dir) and prepares the
 * handler. cfg is copied. Returns TK_OK and *out, or an error with a
 * sentence in msg: a store error, TK_ERR_TAM_KEYS, TK_ERR_TAM_CONFIG.
 */
tk_err tk_tam_open(const tk_tam_config *cfg, const tk_tam_options *options,
                   tk_tam **out, char *msg, size_t msg_size);

/* Frees tam and closes its store. No request may be running. */
void tk_tam_close(tk_tam *tam);

/* Returns the store of tam, for operator commands and tests. */
tk_store *tk_tam_store(tk_tam *tam);

/* Copies the counters of tam into stats. */
void tk_tam_stats_get(const tk_tam *tam, tk_tam_stats *stats);

/*
 * Handles one TEEP request (tk_net_handler, ctx is the tk_tam): an empty
 * body starts a session with a QueryRequest, a body is a QueryResponse,
 * Success or Error. Sets resp to 200 with the next TEEP message, 204 when
 * there is nothing to send, or the status of docs/tam.md for a rejected
 * message (400, 403, 409) or a failure of the TAM (500, 503). Returns
 * TK_OK in every case; the status carries the outcome.
 */
tk_err tk_tam_handle(void *ctx, const tk_net_request *req,
                     tk_net_response *resp);

/*
 * Returns the HTTP status that a rejection reason maps to. A message that
 * is malformed or not allowed here gets 400, a signer that is unknown,
 * blocked or does not verify 403, and a token that matches no outstanding
 * request 409. A busy store gives 503, any other failure 500.
 */
unsigned tk_tam_status_for(tk_err reason);

/* What the TAM reads from a SUIT envelope when it is uploaded. Views
 * point into the envelope. */
typedef struct tk_tam_envelope_info {
    tk_view component_id; /* first entry of suit-components, encoded: the
                             id that tc-list and requested-tc-list use */
    tk_view manifest_id;  /* suit-manifest-component-id, encoded, or empty:
                             the id that unneeded-manifest-list uses */
    uint64_t sequence;    /* suit-manifest-sequence-number */
    int64_t digest_alg;
    tk_view digest;       /* manifest digest of the authentication wrapper */
} tk_tam_envelope_info;

/*
 * Verifies envelope with the trusted component signer keys (signers[0..
 * count), at least one must verify it), decodes its manifest and fills
 * *info. Returns TK_OK, a TK_ERR_SUIT_* error, or
 * TK_ERR_TAM_COMPONENT_ID, with a sentence in msg.
 */
tk_err tk_tam_envelope_inspect(const tk_crypto *crypto, tk_view envelope,
                               const tk_key *const *signers, size_t count,
                               tk_tam_envelope_info *info, char *msg,
                               size_t msg_size);

/*
 * Copies envelope with one more integrated payload: the text key (such
 * as "#app", the URI fragment the manifest fetches) and the payload as a
 * byte string. The signature stays valid, because the authentication
 * wrapper covers the manifest only; the manifest's image digest still
 * checks the payload. *out is malloc'd. Returns TK_OK,
 * TK_ERR_SUIT_MALFORMED, or TK_ERR_SUIT_DUPLICATE_KEY when the key is
 * already present.
 */
tk_err tk_tam_envelope_add_payload(tk_view envelope, const char *key,
                                   tk_view payload, uint8_t **out,
                                   size_t *out_len);

/* Settings of tk_tam_serve() beyond the configuration. */
typedef struct tk_tam_serve_options {
    const char *port_file;  /* written with the HTTP port, or NULL */
    /* Stop after the first signal; 0 waits for SIGINT or SIGTERM. For
     * tests, a pipe whose read end becomes readable also stops it. */
    int stop_fd;            /* -1 when unused */
    /* Hooks of the TAM, or NULL for the defaults. */
    const tk_tam_options *tam_options;
    /* Called once the TEEP listeners accept requests, before "listening
     * on" is printed, to start more listeners such as the admin API
     * (http is the TEEP listener, for its counters). An error stops the
     * TAM, which then returns 1. NULL when unused. */
    tk_err (*started)(void *ctx, tk_tam *tam, tk_http_server *http);
    /* Called once a stop is requested, before the TEEP listeners stop,
     * when started succeeded. NULL when unused. */
    void (*stopping)(void *ctx);
    void *hooks_ctx;
} tk_tam_serve_options;

/*
 * Runs the TAM: opens it, starts the HTTP listener (and the CoAP one when
 * cfg->coap is set), prints "listening on ADDRESS:PORT" on standard
 * output, and serves until SIGINT or SIGTERM, then stops cleanly. Returns
 * 0 after a clean stop, 1 when the TAM could not start.
 */
int tk_tam_serve(const tk_tam_config *cfg, const tk_tam_serve_options *opt);

#ifdef __cplusplus
}
#endif

#endif /* TK_TAM_H */
