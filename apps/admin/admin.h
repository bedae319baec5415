/*
 * The admin listener of a TAM worker: a JSON REST API over the store
 * (devices, components, policy, attestation results, SUIT reports, the
 * audit log), Prometheus metrics at /metrics, and the static files of the
 * web dashboard.
 *
 * It runs on its own HTTP listener, never on the TEEP one, and every API
 * and metrics request must carry "Authorization: Bearer TOKEN" with the
 * configured token (compared in constant time, never logged). The
 * dashboard's files need no token: they carry no data, and the page reads
 * the API with the token that the operator enters.
 *
 * docs/openapi.yaml describes the API and docs/operations.md the metrics.
 */
#ifndef TK_ADMIN_H
#define TK_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http_server.h"
#include "store.h"
#include "tam.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default address of the admin listener. */
#define TK_ADMIN_DEFAULT_ADDRESS "127.0.0.1"

/* Shortest and longest accepted bearer token, in characters. */
#define TK_ADMIN_TOKEN_MIN 16
#define TK_ADMIN_TOKEN_MAX 512

/* Largest JSON request body, in bytes. */
#define TK_ADMIN_MAX_JSON (64u * 1024u)

/* Actor of the audit entries written through the API. */
#define TK_ADMIN_ACTOR "admin"

/* ---- Metrics ------------------------------------------------------------ */

/* Counters and histograms of one TAM process. All updates are atomic, so
 * every server thread may record at once. */
typedef struct tk_admin_metrics tk_admin_metrics;

/* Creates empty metrics. Returns NULL when out of memory. */
tk_admin_metrics *tk_admin_metrics_new(void);
void tk_admin_metrics_free(tk_admin_metrics *metrics);

/*
 * Fills the metric hooks of opt (on_request and observe) with metrics as
 * their context, keeping the other fields of opt.
 */
void tk_admin_metrics_hook(tk_admin_metrics *metrics, tk_tam_options *opt);

/* The hooks themselves (ctx is a tk_admin_metrics). */
void tk_admin_metrics_on_request(void *ctx, const tk_tam_request_info *info);
void tk_admin_metrics_on_store(void *ctx, tk_store_op op, tk_err err,
                               uint64_t elapsed_ns);

/* Which listener served an HTTP request, for http_requests_total. */
typedef enum tk_admin_listener {
    TK_ADMIN_LISTENER_TEEP = 0,
    TK_ADMIN_LISTENER_ADMIN = 1,
} tk_admin_listener;

/* Counts one HTTP reply of listener with status (100..599). */
void tk_admin_metrics_http(tk_admin_metrics *metrics,
                           tk_admin_listener listener, unsigned status);

/*
 * Writes every metric in the Prometheus text format (version 0.0.4) into
 * a malloc'd string. tam (may be NULL) adds the worker's counters, store
 * (may be NULL) the fleet gauges of tk_store_summary_get(), and teep and
 * admin (may be NULL) the counters of the two listeners. Returns NULL
 * when out of memory.
 */
char *tk_admin_metrics_render(tk_admin_metrics *metrics, tk_tam *tam,
                              tk_store *store, tk_http_server *teep,
                              tk_http_server *admin);

/* ---- The admin listener --------------------------------------------------- */

typedef struct tk_admin_config {
    const char *address;  /* numeric address; default "127.0.0.1" */
    uint16_t port;        /* 0: an ephemeral port */
    const char *token;    /* bearer token, TK_ADMIN_TOKEN_MIN..MAX printable
                             characters without spaces; copied */
    size_t max_upload;    /* bytes of one SUIT envelope upload; default
                             16 MiB */
    unsigned threads;     /* HTTP worker threads; default 2 */
    /* Time in which a request must arrive and get its reply (the HTTP
     * server's request_timeout_ms); 0: the server's default, 30000. */
    unsigned request_timeout_ms;
    /* Public key files of the trusted component signers (PEM or
     * COSE_Key): an uploaded envelope must verify with one of them. */
    char *const *signers;
    size_t signer_count;
} tk_admin_config;

typedef struct tk_admin tk_admin;

/*
 * Starts the admin listener for tam. /metrics serves metrics (may be
 * NULL), which also counts the admin listener's replies. teep (may be
 * NULL) is the TEEP listener, whose counters /metrics adds. Neither is
 * owned. Returns TK_OK and *out, or an error with a sentence in msg:
 * TK_ERR_TAM_CONFIG for a token that is missing, too short or has spaces,
 * or for a signer key that does not load, else a tk_http_server_start()
 * error.
 */
tk_err tk_admin_start(const tk_admin_config *cfg, tk_tam *tam,
                      tk_admin_metrics *metrics, tk_http_server *teep,
                      tk_admin **out, char *msg, size_t msg_size);

/* Returns the port the admin listener is bound to. */
uint16_t tk_admin_port(const tk_admin *admin);

/* Copies the counters of the admin listener's HTTP server into stats. */
void tk_admin_http_stats(tk_admin *admin, tk_http_server_stats *stats);

/* Stops the listener (waiting for requests in flight) and frees admin.
 * NULL is ignored. */
void tk_admin_stop(tk_admin *admin);

/*
 * Handles one admin request (tk_net_handler, ctx is the tk_admin), for
 * tests that call it without a listener.
 */
tk_err tk_admin_handle(void *ctx, const tk_net_request *req,
                       tk_net_response *resp);

/* ---- teepkit tam serve --------------------------------------------------- */

/*
 * Everything that `teepkit tam serve --admin` adds to tk_tam_serve(): the
 * metrics hooks and the listener, started by the serve hooks.
 */
typedef struct tk_admin_serve {
    tk_admin_config cfg;
    char *token;             /* owned copy of the token */
    char address[128];
    tk_admin_metrics *metrics;
    tk_tam_options tam_options;
    const char *port_file;   /* written with the admin port, or NULL */
    tk_admin *admin;
} tk_admin_serve;

/*
 * Prepares serve from the TAM configuration (keys admin, admin_token or
 * admin_token_file, admin_max_upload, component_signer) and fills the
 * hooks of opt. With no admin key only the metrics hooks are set, and no
 * listener starts. Returns TK_OK, or TK_ERR_TAM_CONFIG with a sentence in
 * msg (an admin address without a token, an unreadable token file).
 */
tk_err tk_admin_serve_init(tk_admin_serve *serve, const tk_tam_config *cfg,
                           const char *port_file, tk_tam_serve_options *opt,
                           char *msg, size_t msg_size);

/* Frees what tk_admin_serve_init() allocated (after tk_tam_serve()). */
void tk_admin_serve_free(tk_admin_serve *serve);

/*
 * Reads the bearer token of cfg: admin_token, else the first line of
 * admin_token_file. *token is malloc'd (NULL when neither key is set).
 * Returns TK_OK, or TK_ERR_TAM_CONFIG with a sentence in msg.
 */
tk_err tk_admin_read_token(const tk_tam_config *cfg, char **token, char *msg,
                           size_t msg_size);

/* ---- JSON forms of store entities ---------------------------------------- */

/*
 * The objects that the API returns, also printed by `teepkit tam ...
 * --json`. Each returns a new reference, or NULL when out of memory.
 * Times are RFC 3339 strings in UTC (null for 0), byte strings
 * lowercase hex.
 */
json_t *tk_admin_json_time(int64_t t);
json_t *tk_admin_json_hex(tk_view bytes);
json_t *tk_admin_json_device(const tk_store_device *d);
json_t *tk_admin_json_key(const tk_store_key *k);
json_t *tk_admin_json_refval(const tk_store_refval *v);
json_t *tk_admin_json_component(const tk_store_component *c);
json_t *tk_admin_json_version(const tk_store_version *v);
json_t *tk_admin_json_installed(const tk_store_installed *i);
json_t *tk_admin_json_policy(const tk_store_policy *p);
json_t *tk_admin_json_attestation(const tk_store_attestation *a);
json_t *tk_admin_json_report(const tk_store_report *r, bool with_bytes);
json_t *tk_admin_json_audit(const tk_store_audit *e);
json_t *tk_admin_json_summary(const tk_store_summary *s);

/* Names of enumerations as the JSON forms spell them. */
const char *tk_admin_state_name(tk_store_device_state state);
const char *tk_admin_verdict_name(tk_store_verdict verdict);

#ifdef __cplusplus
}
#endif

#endif /* TK_ADMIN_H */
