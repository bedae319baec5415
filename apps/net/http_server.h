/*
 * HTTP server of teepkit (libmicrohttpd), for the TEEP endpoint of the TAM
 * (draft-ietf-teep-otrp-over-http-15) and for other listeners such as an
 * admin API or a dashboard, each with its own server object.
 *
 * A server routes requests by path and method to handlers (see net.h).
 * Routes of kind TK_HTTP_ROUTE_TEEP apply the TEEP-over-HTTP rules before
 * the handler runs. Only POST is allowed (405 with "Allow: POST"), a
 * non-empty body must be application/teep+cbor (415), and the Accept field
 * must admit that type (406). The reply is 200 with a body or 204 without,
 * with the security header fields the spec requires. Every route has a body
 * size limit (413), counted while the body streams in. docs/transport.md
 * lists every status and header field.
 *
 * Routes of kind TK_HTTP_ROUTE_PLAIN may add a header hook, which sees a
 * request as soon as its header fields are in and may answer it before any
 * byte of the body is read (an authentication check, for example), and an
 * error body function, which gives a body to the replies that the server
 * sends on its own (404, 405, 408, 413, 500, 503). TEEP routes have
 * neither: their own error replies stay empty.
 */
#ifndef TK_HTTP_SERVER_H
#define TK_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

/* Maximum number of routes of one server. */
#ifndef TK_NET_MAX_ROUTES
#define TK_NET_MAX_ROUTES 32
#endif

typedef enum tk_http_route_kind {
    /* TEEP over HTTP: the checks and header fields of the spec. */
    TK_HTTP_ROUTE_TEEP = 0,
    /* Any other resource: the handler chooses status, body and header
     * fields; the server adds nosniff, Referrer-Policy and, unless the
     * handler sets its own, "Cache-Control: no-store". */
    TK_HTTP_ROUTE_PLAIN = 1,
} tk_http_route_kind;

/*
 * Gives a body to a reply that the server sends on its own, without the
 * route's handler:
 *
 *   404  no route has the path
 *   405  routes have the path, but not for this method
 *   408  request_timeout_ms passed while the body was still arriving
 *        (plain HTTP only: an HTTPS connection is closed without a reply,
 *        and so is one whose header fields are not complete)
 *   413  the body passed the route's limit
 *   500  the handler or the header hook returned an error
 *   503  the server is stopping, or has no memory for the body
 *
 * resp->status already holds status, which the server keeps whatever the
 * function sets; it may add a body and header fields through the
 * tk_net_response_* functions, as a handler does (a 405 gets the Allow
 * field from the server). req has no body. For 408 it has no header
 * fields and no query either, because the function then runs on the
 * server's watchdog thread while the server holds its lock: it must not
 * call tk_http_server_* functions.
 */
typedef void (*tk_http_error_body_fn)(void *ctx, const tk_net_request *req,
                                      unsigned status,
                                      tk_net_response *resp);

typedef struct tk_http_route {
    /* Path to match exactly, or a prefix when it ends in '*': the route
     * "/api/" followed by '*' matches "/api/devices/7". Routes are tried in
     * order. */
    const char *path;
    unsigned methods; /* tk_net_method bits; TEEP routes allow only POST */
    tk_http_route_kind kind;
    size_t max_body; /* body size limit in bytes; 0: the server's */
    tk_net_handler handler;
    void *ctx; /* passed to handler, on_headers and error_body */
    /*
     * Plain routes only (a TEEP route with either is a configuration
     * error). on_headers, when set, runs once the header fields of a
     * request are in, before any byte of its body is accepted and before
     * the declared Content-Length is checked against max_body. req->body
     * is empty; the header fields and the query are there. Leaving
     * resp->status 0 (and resp empty) lets the request go on to the body
     * and the handler. Setting a status sends resp at once, as a
     * handler's reply would be sent. The server then discards the body
     * without reading it and closes the connection after the reply. A
     * returned error gets a 500.
     */
    tk_net_handler on_headers;
    /* Body of the server's own replies to this route's requests (see
     * tk_http_error_body_fn); NULL: the server's error_body. */
    tk_http_error_body_fn error_body;
} tk_http_route;

typedef struct tk_http_server_config {
    /* Numeric IPv4 or IPv6 address to listen on. Default "127.0.0.1". */
    const char *address;
    uint16_t port;        /* 0: an ephemeral port, see tk_http_server_port() */
    const char *log_name; /* log component; default "http" */
    size_t max_body;      /* default body size limit; default 1 MiB */
    /* A connection that sends or receives nothing for this long is
     * closed. Rounded up to whole seconds. Default 10000. */
    unsigned idle_timeout_ms;
    /* Each request must arrive and get its reply within this time, counted
     * from the end of the previous request on the connection (or from the
     * accept), however slowly the peer keeps sending. Default 30000. */
    unsigned request_timeout_ms;
    unsigned max_connections;        /* default 256 */
    unsigned max_connections_per_ip; /* 0: no limit; default 0 */
    unsigned threads;                /* worker threads; default 4 */
    /* PEM text of the certificate chain and of its private key. With both
     * set the server speaks HTTPS only (libmicrohttpd with GnuTLS), which
     * draft-ietf-teep-otrp-over-http-15 section 4 recommends; with both
     * NULL it speaks plain HTTP. */
    const char *tls_cert_pem;
    const char *tls_key_pem;
    /* Set to 1 to accept TEEP requests without an Accept field. The spec
     * says a TAM SHOULD fail them, so the default is 0 (406). */
    int allow_missing_accept;
    const tk_http_route *routes;
    size_t route_count;
    /* Body of the server's own replies on plain routes without an
     * error_body of their own, and of the 404 and 405 replies to paths
     * that no TEEP route has; NULL leaves them empty. error_ctx is its
     * context. */
    tk_http_error_body_fn error_body;
    void *error_ctx;
} tk_http_server_config;

/* Counters of a running server, for tests and metrics. */
typedef struct tk_http_server_stats {
    uint64_t connections;        /* connections accepted */
    uint64_t requests;           /* requests that reached routing */
    uint64_t rejected_too_large; /* 413 replies and cut-off bodies */
    uint64_t timed_out;          /* connections cut by request_timeout_ms */
    uint64_t early_replies;      /* replies sent by a header hook */
    uint64_t handler_errors;     /* handlers that returned an error */
    size_t max_body_buffered;    /* largest body buffer held, in bytes */
    unsigned open_connections;
} tk_http_server_stats;

typedef struct tk_http_server tk_http_server;

/* Fills cfg with the defaults named in tk_http_server_config. */
void tk_http_server_config_init(tk_http_server_config *cfg);

/*
 * Starts a server with its own worker threads; it serves until
 * tk_http_server_stop(). The configuration and routes are copied.
 * Returns TK_OK and *out, or TK_ERR_INVALID_ARG, TK_ERR_NET_CONFIG (an
 * address that is not numeric, a route without a handler or path, a TEEP
 * route whose methods are not POST or that has on_headers or error_body,
 * only one of the two TLS fields),
 * TK_ERR_LIMIT (more than
 * TK_NET_MAX_ROUTES routes), TK_ERR_NET_LISTEN or TK_ERR_NET_NO_MEMORY.
 */
tk_err tk_http_server_start(const tk_http_server_config *cfg,
                            tk_http_server **out);

/* Returns the port the server listens on (the ephemeral one for port 0). */
uint16_t tk_http_server_port(const tk_http_server *srv);

/* Copies the server's counters into stats. */
void tk_http_server_stats_get(tk_http_server *srv, tk_http_server_stats *stats);

/*
 * Stops accepting connections, waits until the requests in flight have
 * their replies (at most request_timeout_ms), closes every connection and
 * frees srv. NULL is ignored.
 */
void tk_http_server_stop(tk_http_server *srv);

#endif /* TK_HTTP_SERVER_H */
