/*
 * Declarations shared by the files of the TAM service. Not installed.
 *
 * One request of an agent runs through tk_tam_handle() (tam_handler.c),
 * which fills a tam_request and calls lib/teep's state machine. The state
 * machine's callbacks (tam_verifier.c for keys and appraisal,
 * tam_policy.c for the policy and the records, tam_session.c for session
 * storage) all receive that tam_request. They read the store but collect
 * their writes in tam_request.writes, which tam_session_commit() stores
 * in one transaction when the state machine returns.
 */
#ifndef TK_TAM_INTERNAL_H
#define TK_TAM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tam.h"
#include "teepkit/eat.h"
#include "teepkit/teep.h"

/* Log component of the service. */
#define TAM_LOG "tam"

/* Actor of the audit entries the service writes. */
#define TAM_ACTOR "tam"

/* Longest encoded component identifier kept in a session. */
#define TAM_MAX_COMPONENT_ID 1024

/* Maximum size of a manifest digest kept (SHA-512). */
#define TAM_MAX_DIGEST 64

/* Agent keys imported during one request (a COSE_Sign may name several). */
#define TAM_MAX_REQUEST_KEYS 4

/* Attestation keys of one device used in one appraisal. */
#define TAM_MAX_ATTESTERS 8

/* Hex digits of the short session id in logs: a hash of the token. */
#define TAM_SID_HEX 12

/* Self-authenticating tokens of the QueryRequests that start sessions
 * (tam_token.c): their length and the value of their first byte. */
#define TAM_TOKEN_LEN 46
#define TAM_TOKEN_FORMAT 0x01

/* The token secrets that a TAM keeps in memory (tam_token.c). */
typedef struct tam_token_keys tam_token_keys;

/* Bytes of the SHA-256 digest of a token. */
#define TAM_DIGEST_LEN 32

/* Entries of the parsed-key cache, and the largest COSE_Key it keeps. */
#define TAM_KEY_CACHE_SIZE 4096
#define TAM_KEY_CACHE_BYTES 256

/* One parsed public key, keyed by its COSE_Key bytes. */
typedef struct tam_cached_key {
    bool used;
    uint64_t hash;
    size_t len;
    uint8_t bytes[TAM_KEY_CACHE_BYTES];
    tk_key key;
} tam_cached_key;

/* Parsed public keys shared by the threads (tam_keycache.c). */
typedef struct tam_keycache {
    pthread_mutex_t lock;
    tam_cached_key *entries;
} tam_keycache;

struct tk_tam {
    tk_tam_config cfg;
    const tk_crypto *crypto;
    tk_store *store;
    int64_t (*clock)(void *ctx);
    void *clock_ctx;
    void (*on_request)(void *ctx, const tk_tam_request_info *info);
    void *on_request_ctx;

    /* TAM keys, in the order of the cipher suites offered. */
    tk_key keys[2];
    uint8_t kids[2][TK_COSE_THUMBPRINT_SIZE];
    tk_teep_signer signers[2];
    size_t signer_count;
    tam_keycache key_cache;

    /* Keys of the self-authenticating tokens, derived from the secrets
     * that the store keeps for every worker, and the crypto table whose
     * random function issues such tokens (tam_token.c). */
    tam_token_keys *token_keys;
    tk_crypto issuing;
    /* Time of the next purge of expired tokens and sessions. */
    _Atomic int64_t next_purge;

    _Atomic uint64_t requests;
    _Atomic uint64_t sessions_started;
    _Atomic uint64_t queries_sent;
    _Atomic uint64_t updates_sent;
    _Atomic uint64_t done;
    _Atomic uint64_t rejected;
    _Atomic uint64_t attestation_failed;
    _Atomic uint64_t internal_errors;
};

/* One manifest sent in an Update, as the session remembers it. */
typedef struct tam_sent_manifest {
    int64_t component;      /* store id of the component */
    int64_t version;        /* store id of the version */
    uint64_t sequence;
    size_t digest_len;
    uint8_t digest[TAM_MAX_DIGEST];
    size_t id_len;          /* encoded component identifier */
    uint8_t id[TAM_MAX_COMPONENT_ID];
} tam_sent_manifest;

/* One id sent in an Update's unneeded-manifest-list, with the component
 * identifier whose installed entry it removes. */
typedef struct tam_sent_unneeded {
    size_t manifest_id_len;
    uint8_t manifest_id[TAM_MAX_COMPONENT_ID];
    size_t id_len;
    uint8_t id[TAM_MAX_COMPONENT_ID];
} tam_sent_unneeded;

/*
 * What the store keeps of a session besides its token: the state
 * machine's session and what the TAM put in the message it sent.
 */
typedef struct tam_context {
    tk_teep_tam_session teep;
    size_t manifest_count;
    tam_sent_manifest manifests[TK_TEEP_MAX_MANIFESTS];
    size_t unneeded_count;
    tam_sent_unneeded unneeded[TK_TEEP_MAX_UNNEEDED];
} tam_context;

/* An agent key found for the request: in the cache, or imported for the
 * request alone (owned) when the cache is full. */
typedef struct tam_request_key {
    tk_alg alg;
    size_t kid_len;
    uint8_t kid[TK_TEEP_MAX_KID];
    const tk_key *key;
    bool owned;
    tk_key own;
} tam_request_key;

/* A self-authenticating token being issued, from the random draw of the
 * state machine to the check in session_save. */
typedef struct tam_token_issue {
    const tk_tam *tam;
    const tk_crypto *real; /* the TAM's crypto table */
    int64_t epoch;         /* of the secret that authenticates the token */
    int64_t expires;
    uint32_t data_items;
    uint32_t freshness;
    size_t challenge_len; /* 0 when the QueryRequest sends no challenge */
    bool issued;
    bool challenged;
    uint8_t token[TAM_TOKEN_LEN];
    uint8_t challenge[TK_TEEP_CHALLENGE_MAX];
} tam_token_issue;

/* Audit entries one request may write. */
#define TAM_MAX_AUDIT 2

/*
 * Records one request writes to the store. The callbacks of the state
 * machine only collect them. tam_session_commit() then writes all of them
 * with the consumption of the message's token in one store exchange.
 * Views point into the request body, the request's store memory or this
 * request, which all stay alive until the commit.
 */
typedef struct tam_writes {
    bool attestation;              /* result below to store */
    tk_store_attestation result;
    char *claims;                  /* malloc'd, the result's claims */
    char reason[512];
    bool attestation_audit;        /* the result is not affirming */
    tk_store_audit attestation_entry;
    char attestation_object[64];
    bool activate;                 /* a pending device was affirmed */
    bool replace_installed;        /* the tc-list replaces the state */
    size_t installed_count;
    tk_store_installed installed[TK_TEEP_MAX_TC_LIST];
    size_t set_count;              /* entries an Update installed */
    tk_store_installed set[TK_TEEP_MAX_MANIFESTS];
    size_t remove_count;           /* entries an Update deleted */
    tk_view remove[TK_TEEP_MAX_UNNEEDED];
    size_t report_count;
    tk_store_report reports[TK_TEEP_MAX_SUIT_REPORTS];
    size_t audit_count;
    tk_store_audit audit[TAM_MAX_AUDIT];
    char audit_object[TAM_MAX_AUDIT][64];
    char audit_detail[TAM_MAX_AUDIT][512];
    bool recorded;                 /* a Success or Error was recorded */
    bool save;                     /* a reply whose session is stored */
    tk_teep_tam_session session;   /* the state machine's session of it */
    uint8_t *context;              /* malloc'd, its encoded tam_context */
    size_t context_len;
} tam_writes;

/* Everything one request needs while the state machine runs. */
typedef struct tam_request {
    tk_tam *tam;
    tk_store_mem mem;          /* owns every store result of the request */
    const char *request_id;
    int64_t now;               /* the TAM's clock, read once per request */

    /* The device whose agent key verified the message. */
    bool has_device;
    tk_store_device device;
    size_t key_count;
    tam_request_key keys[TAM_MAX_REQUEST_KEYS];

    /* The store session whose token the message carried: 0 for a
     * self-authenticating token, which has no session in the store. */
    int64_t session_id;
    bool has_taken;
    /* A self-authenticating token that the message carried, to record
     * as used: its SHA-256 digest and its expiry. */
    bool used;
    uint8_t used_digest[TAM_DIGEST_LEN];
    int64_t used_expires;
    /* The token being issued by a request that starts a session. */
    tam_token_issue *issue;
    tam_context taken;
    char sid_in[TAM_SID_HEX + 1];

    /* Manifests and deletions of the Update being built. */
    tam_context pending;
    char sid_out[TAM_SID_HEX + 1];
    int64_t saved_session_id;

    /* The installed state the store had, read with the reference
     * values for the appraisal. */
    bool has_installed;
    tk_store_installeds installed;

    /* The appraisal, when one ran. */
    bool appraised;
    tk_eat_result appraisal;
    bool attestation_recorded;

    /* Records written at the end of the request. */
    tam_writes writes;

    /* The first problem a callback met, as a sentence for the log (no
     * keys, tokens or message bytes). */
    char detail[TK_STORE_DETAIL_MAX];
} tam_request;

/* tam_util.c */
int64_t tam_now(const tk_tam *tam);
void tam_hex(const uint8_t *data, size_t len, char *out, size_t cap);
void tam_short_id(const tk_crypto *crypto, tk_view token,
                  char out[TAM_SID_HEX + 1]);
bool tam_view_equal(tk_view a, tk_view b);
void tam_set_detail(tam_request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
tk_err tam_component_diag(tk_view id, char *out, size_t cap);
/* Adds an audit entry by the TAM on device/<device> to the request's
 * writes; false when the request has TAM_MAX_AUDIT already. */
bool tam_audit(tam_request *r, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* tam_session.c */
tk_err tam_context_encode(const tam_context *ctx, uint8_t *buf, size_t cap,
                          size_t *len);
tk_err tam_context_decode(tk_view in, tam_context *ctx);
tk_err tam_session_save(void *ctx, const tk_teep_tam_session *session);
tk_err tam_session_take(void *ctx, tk_view token,
                        tk_teep_tam_session *session);
tk_err tam_session_commit(tam_request *r, tk_err handled,
                          tk_teep_tam_result *res);
void tam_writes_free(tam_writes *w);

/* tam_token.c */
tk_err tam_tokens_init(tk_tam *tam, char *msg, size_t msg_size);
void tam_tokens_release(tk_tam *tam);
/* Sets up tam->issuing, the crypto table that issues tokens. */
void tam_token_issuer_init(tk_tam *tam);
/* True for a token of the self-authenticating format (not yet verified). */
bool tam_token_is_own(tk_view token);
/* Lets tam->issuing issue one token for a QueryRequest with these data
 * items, freshness mechanisms and challenge length (0: no challenge) on
 * this thread, until tam_token_issue_end(). TK_ERR_LIMIT when a value
 * does not fit the token. */
tk_err tam_token_issue_begin(tam_token_issue *st, const tk_tam *tam,
                             int64_t now, uint32_t data_items,
                             uint32_t freshness, size_t challenge_len);
void tam_token_issue_end(void);
/* Checks that session carries the token and challenge that st issued. */
tk_err tam_token_check_issued(const tam_token_issue *st,
                              const tk_teep_tam_session *session);
/* Verifies a token and rebuilds the session of its QueryRequest.
 * TK_ERR_NOT_FOUND for a token this TAM did not issue (a wrong tag or
 * secret), TK_ERR_TEEP_TOKEN_EXPIRED after its expiry. */
tk_err tam_token_open(const tk_tam *tam, tk_view token, int64_t now,
                      tk_teep_tam_session *session, int64_t *expires);
/* Writes the SHA-256 digest of token into digest and its short session
 * id for the logs (as tam_short_id()) into sid. */
tk_err tam_token_digest(const tk_crypto *crypto, tk_view token,
                        uint8_t digest[TAM_DIGEST_LEN],
                        char sid[TAM_SID_HEX + 1]);

/* tam_verifier.c */
tk_err tam_agent_key(void *ctx, tk_alg alg, tk_view kid, const tk_key **key,
                     tk_view *peer_id);
tk_err tam_appraise(void *ctx, const tk_teep_evidence *evidence,
                    tk_eat_result *result);
void tam_request_keys_release(tam_request *r);
void tam_record_attestation(tam_request *r, const tk_teep_tam_result *res);

/* tam_keycache.c */
tk_err tam_keycache_init(tam_keycache *cache);
void tam_keycache_free(tam_keycache *cache);
tk_err tam_keycache_get(tam_keycache *cache, const tk_crypto *crypto,
                        tk_view cose_key, const tk_key **key);
tk_err tam_key_get(tk_tam *tam, tk_view cose_key, tk_key *own, bool *owned,
                   const tk_key **key);

/* tam_keys.c */
tk_err tam_keys_load(tk_tam *tam, char *msg, size_t msg_size);
void tam_keys_release(tk_tam *tam);

/* tam_policy.c */
tk_err tam_policy(void *ctx, const tk_teep_policy_input *input,
                  tk_teep_policy_output *output);
tk_err tam_record(void *ctx, const tk_teep_record *record);

/* tam_manifest.c */
tk_err tam_manifest_component_id(tk_view envelope, tk_view *manifest_id);

#endif /* TK_TAM_INTERNAL_H */
