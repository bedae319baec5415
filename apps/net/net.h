/*
 * Types shared by the teepkit transports: the request a server hands to a
 * handler, the response the handler fills, and the reply a client returns.
 *
 * A server (HTTP or CoAP) calls
 *
 *     tk_err handler(void *ctx, const tk_net_request *req,
 *                    tk_net_response *resp);
 *
 * once per complete request, from one of its worker threads. The request and
 * everything it points to stay valid until the handler returns. The handler
 * sets resp->status and, through the tk_net_response_* functions, a body with
 * its media type and extra header fields; the server sends and frees them.
 * A handler that returns an error code gets a 500 (HTTP) or 5.00 (CoAP)
 * reply without a body, and the code is logged.
 */
#ifndef TK_NET_H
#define TK_NET_H

#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"

/* The TEEP media type, draft-ietf-teep-protocol section "Media Type
 * Registration". */
#define TK_NET_MEDIA_TEEP "application/teep+cbor"

/* The media type that tamproto sends instead of TK_NET_MEDIA_TEEP. Clients
 * accept it only when configured to. */
#define TK_NET_MEDIA_TEEP_COSE "application/teep+cose"

/*
 * CoAP Content-Format number that the CoAP transports use for TEEP
 * messages by default. IANA has registered no CoAP Content-Format for
 * application/teep+cbor, so this is the first number of the experimental
 * range (RFC 7252 section 12.3). Both ends must use the same number, and
 * both let an operator configure another one.
 * NOTE: experimental values are not for operational use; switch to the
 * registered value once IANA assigns one.
 */
#ifndef TK_NET_COAP_FORMAT_TEEP
#define TK_NET_COAP_FORMAT_TEEP 65000
#endif

/* Maximum number of extra header fields a handler may add to a response. */
#ifndef TK_NET_MAX_HEADERS
#define TK_NET_MAX_HEADERS 16
#endif

/* Request methods, as bits so that a route can list several. */
typedef enum tk_net_method {
    TK_NET_GET = 1u << 0,
    TK_NET_HEAD = 1u << 1,
    TK_NET_POST = 1u << 2,
    TK_NET_PUT = 1u << 3,
    TK_NET_DELETE = 1u << 4,
    TK_NET_PATCH = 1u << 5,
    TK_NET_OPTIONS = 1u << 6,
    TK_NET_FETCH = 1u << 7, /* CoAP FETCH, RFC 8132 */
    TK_NET_OTHER = 1u << 15,
} tk_net_method;

typedef enum tk_net_transport {
    TK_NET_HTTP = 1,
    TK_NET_COAP = 2,
} tk_net_transport;

typedef struct tk_net_request tk_net_request;

/* Looks up a request header field (HTTP) or query parameter by name; the
 * transport supplies it. Returns NULL when absent. */
typedef const char *(*tk_net_lookup_fn)(const tk_net_request *req,
                                        const char *name);

/* A complete request, as the server passes it to a handler. */
struct tk_net_request {
    tk_net_transport transport;
    tk_net_method method;
    const char *method_name; /* "POST", "GET", ... */
    const char *path;        /* "/tam"; CoAP paths also start with '/' */
    /* Media type of the body: the HTTP Content-Type field, or for CoAP the
     * name of the configured TEEP Content-Format. NULL when absent. */
    const char *content_type;
    int content_format;     /* CoAP Content-Format number, -1 when absent */
    tk_view body;           /* the whole body, reassembled; len 0 when empty */
    const char *request_id; /* unique in this process, for log lines */
    const char *peer;       /* "127.0.0.1:40312" or "[::1]:40312" */
    /* Transport internals behind tk_net_request_header() and
     * tk_net_request_query(). */
    tk_net_lookup_fn lookup_header;
    tk_net_lookup_fn lookup_query;
    void *transport_ctx;
};

/* Returns the value of header field name (case-insensitive), or NULL when
 * the request has none or the transport has no header fields (CoAP). */
const char *tk_net_request_header(const tk_net_request *req, const char *name);

/* Returns the value of URL query parameter name, or NULL when absent. */
const char *tk_net_request_query(const tk_net_request *req, const char *name);

/* One extra response header field, owned by the response. */
typedef struct tk_net_header {
    char *name;
    char *value;
} tk_net_header;

/*
 * The response a handler fills, starting from the zeroed value the server
 * passes in. Set status directly and everything else through the functions
 * below, which take copies (or ownership, for take_body).
 *
 * status is an HTTP status code. 0 lets the server choose: 200 with a body,
 * 204 without. The CoAP server maps status codes to CoAP codes (see
 * docs/transport.md).
 */
typedef struct tk_net_response {
    unsigned status;
    char *content_type; /* media type of body; NULL: the route's default */
    uint8_t *body;      /* malloc'd; freed by the server */
    size_t body_len;
    tk_net_header headers[TK_NET_MAX_HEADERS];
    size_t header_count;
} tk_net_response;

/*
 * Copies len bytes of data into resp as its body, replacing any earlier
 * body, with media type content_type (NULL: the route's default).
 * Returns TK_OK, TK_ERR_INVALID_ARG (data NULL with len > 0),
 * TK_ERR_NET_HEADER (content_type with CR, LF or NUL) or
 * TK_ERR_NET_NO_MEMORY.
 */
tk_err tk_net_response_set_body(tk_net_response *resp, const char *content_type,
                                const void *data, size_t len);

/*
 * Like tk_net_response_set_body() but takes ownership of data, which must
 * come from malloc(). On failure data is freed as well.
 */
tk_err tk_net_response_take_body(tk_net_response *resp,
                                 const char *content_type, void *data,
                                 size_t len);

/*
 * Adds header field "name: value" to resp (copies both). The name must be
 * an RFC 9110 token and the value must not contain CR, LF or NUL, so a
 * handler cannot inject header fields. Content-Type and Content-Length are
 * set by the server and rejected here.
 * Returns TK_OK, TK_ERR_NET_HEADER, TK_ERR_LIMIT (more than
 * TK_NET_MAX_HEADERS fields) or TK_ERR_NET_NO_MEMORY.
 */
tk_err tk_net_response_add_header(tk_net_response *resp, const char *name,
                                  const char *value);

/* Returns the value of extra header field name (case-insensitive) in resp,
 * or NULL. */
const char *tk_net_response_header(const tk_net_response *resp,
                                   const char *name);

/* Frees everything resp owns and zeroes it. */
void tk_net_response_clear(tk_net_response *resp);

/* Handler of complete requests; see the top of this file. */
typedef tk_err (*tk_net_handler)(void *ctx, const tk_net_request *req,
                                 tk_net_response *resp);

/*
 * The result of one client exchange (tk_http_client_post(),
 * tk_coap_client_post()).
 *
 * status is the HTTP status, or for CoAP the response code written as
 * class * 100 + detail (2.04 is 204, 4.13 is 413). done is 1 when the reply
 * is a success without a body, which ends the TEEP session. body points into
 * a buffer the client owns and stays valid until the next post on the same
 * client or until the client is freed.
 */
typedef struct tk_net_reply {
    unsigned status;
    int done;
    tk_view body;
    char content_type[96]; /* media type of the body, "" when none */
    /* When has_retry_after is 1, the seconds the server requests the client to
     * wait before it sends again: the Retry-After field of an HTTP reply
     * (RFC 9110 section 10.2.3; an HTTP-date in the past gives 0) or the
     * Max-Age option of a CoAP 5.03 (RFC 7252 section 5.9.3.4). 0 when the
     * reply has none, or a value that is malformed or does not fit in
     * 32 bits, which the client logs. */
    int has_retry_after;
    uint32_t retry_after;
} tk_net_reply;

/* Returns the method bit for an HTTP method name ("POST" gives
 * TK_NET_POST), or TK_NET_OTHER for an unknown name. */
tk_net_method tk_net_method_from_name(const char *name);

/*
 * Returns 1 when media type value (a Content-Type field value) names
 * expected, comparing type and subtype without regard to case and
 * ignoring parameters and surrounding white space; 0 otherwise, also for
 * NULL.
 */
int tk_net_media_type_is(const char *value, const char *expected);

/*
 * Returns 1 when Accept field value accept admits media type expected: one
 * of its ranges is expected itself, the wildcard subtype of the same type
 * or the full wildcard, with a q weight above zero (RFC 9110 section
 * 12.5.1). Returns 0 otherwise, also for NULL.
 */
int tk_net_accept_allows(const char *accept, const char *expected);

#endif /* TK_NET_H */
