/*
 * HTTP client of teepkit (libcurl) for the TEEP agent side of
 * draft-ietf-teep-otrp-over-http-15: each call POSTs one TEEP message (or
 * an empty body to start a session) to the TAM URI and returns the reply.
 *
 * Requests carry "Accept: application/teep+cbor" and, with a body,
 * "Content-Type: application/teep+cbor". Redirects are never followed,
 * cookies are never stored or sent, and no proxy is used unless configured.
 * One client keeps one connection open across the exchanges of a session.
 * A client is not thread-safe: use one per thread.
 */
#ifndef TK_HTTP_CLIENT_H
#define TK_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

typedef struct tk_http_client_config {
    unsigned connect_timeout_ms; /* TCP and TLS connect; default 10000 */
    unsigned timeout_ms;         /* whole exchange; default 60000 */
    size_t max_response;         /* reply body limit; default 1 MiB */
    /* Set to 1 to also accept replies of type application/teep+cose, which
     * tamproto sends instead of the standard application/teep+cbor. */
    int accept_teep_cose;
    const char *user_agent; /* default "teepkit" */
    /* Proxy URL. NULL uses none, even when http_proxy is set. */
    const char *proxy;
    const char *ca_file;  /* CA bundle for https; NULL: the system's */
    const char *log_name; /* log component; default "http-client" */
} tk_http_client_config;

typedef struct tk_http_client tk_http_client;

/* Fills cfg with the defaults named in tk_http_client_config. */
void tk_http_client_config_init(tk_http_client_config *cfg);

/*
 * Creates a client. The configuration is copied. Returns TK_OK and *out,
 * TK_ERR_INVALID_ARG, TK_ERR_NET_CONFIG (a zero timeout or limit) or
 * TK_ERR_NET_NO_MEMORY.
 */
tk_err tk_http_client_new(const tk_http_client_config *cfg,
                          tk_http_client **out);

/*
 * POSTs len bytes of body (len 0: an empty body, which requests a new
 * session from the TAM) to url and fills *reply. reply->body stays valid until
 * the next call on client.
 *
 * Returns TK_OK for a 2xx reply: reply->done is 1 when it has no body (the
 * TAM has nothing more to send), otherwise reply->body contains the next
 * TEEP message. Errors, with reply->status set whenever a reply arrived:
 * TK_ERR_NET_URL (not an http or https URL), TK_ERR_NET_CONNECT,
 * TK_ERR_NET_TLS (https handshake or certificate check),
 * TK_ERR_NET_TIMEOUT, TK_ERR_NET_REDIRECT (3xx, not followed),
 * TK_ERR_NET_STATUS (4xx, 5xx or another non-2xx status),
 * TK_ERR_NET_CONTENT_TYPE (a 2xx body that is not application/teep+cbor),
 * TK_ERR_NET_TOO_LARGE (the body passed max_response; the transfer is
 * aborted), TK_ERR_NET_PROTOCOL, TK_ERR_NET_NO_MEMORY. A reply with a
 * Retry-After field sets reply->has_retry_after and reply->retry_after
 * (see tk_http_retry_after_parse()); a malformed one is logged and left
 * out.
 */
tk_err tk_http_client_post(tk_http_client *client, const char *url,
                           const uint8_t *body, size_t len,
                           tk_net_reply *reply);

/*
 * Parses the value of a Retry-After field (RFC 9110 section 10.2.3):
 * delay-seconds (one or more digits) or an HTTP-date in any of the three
 * forms of RFC 9110 section 5.6.7, which is compared with now (seconds
 * since 1970-01-01 UTC); a date in the past gives 0. Sets *seconds and
 * returns 1; returns 0 for NULL, a malformed value, or a delay of 2^32
 * seconds or more. tk_http_client_post() fills reply->retry_after with
 * it.
 */
int tk_http_retry_after_parse(const char *value, int64_t now,
                              uint32_t *seconds);

/* Closes the connection and frees client. NULL is ignored. */
void tk_http_client_free(tk_http_client *client);

#endif /* TK_HTTP_CLIENT_H */
