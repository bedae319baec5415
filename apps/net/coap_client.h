/*
 * CoAP client of teepkit (libcoap 4.3.1, UDP) for the agent side of TEEP
 * over CoAP, the counterpart of coap_server.h. Each call POSTs one TEEP
 * message (or an empty payload to start a session) with the TEEP
 * Content-Format and an Accept option naming it, and returns the reply.
 * Large messages travel block-wise (RFC 7959) in both directions; the
 * client reassembles reply blocks itself and stops at max_response.
 *
 * One client keeps one CoAP session per server address across the
 * exchanges of a TEEP session. A client is not thread-safe: use one per
 * thread.
 */
#ifndef TK_COAP_CLIENT_H
#define TK_COAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

typedef struct tk_coap_client_config {
    /* Whole exchange, retransmissions and all blocks included; default
     * 60000. */
    unsigned timeout_ms;
    size_t max_response;     /* reply payload limit; default 1 MiB */
    unsigned content_format; /* default TK_NET_COAP_FORMAT_TEEP */
    const char *log_name;    /* log component; default "coap-client" */
} tk_coap_client_config;

typedef struct tk_coap_client tk_coap_client;

/* Fills cfg with the defaults named in tk_coap_client_config. */
void tk_coap_client_config_init(tk_coap_client_config *cfg);

/*
 * Creates a client. The configuration is copied. Returns TK_OK and *out,
 * TK_ERR_INVALID_ARG, TK_ERR_NET_CONFIG or TK_ERR_NET_NO_MEMORY.
 */
tk_err tk_coap_client_new(const tk_coap_client_config *cfg,
                          tk_coap_client **out);

/*
 * POSTs len bytes of body to uri ("coap://127.0.0.1:5683/tam") and fills
 * *reply. reply->status is the CoAP code as class * 100 + detail.
 * reply->body stays valid until the next call on client.
 *
 * Returns TK_OK for a 2.xx reply: reply->done is 1 when it has no payload,
 * otherwise reply->body contains the next TEEP message. Errors:
 * TK_ERR_NET_URL (not a coap:// URI; coaps is not supported yet),
 * TK_ERR_NET_CONNECT (host not found, or the server reset or rejected the
 * message), TK_ERR_NET_TIMEOUT, TK_ERR_NET_STATUS (4.xx or 5.xx),
 * TK_ERR_NET_CONTENT_TYPE (a 2.xx payload without the configured
 * Content-Format), TK_ERR_NET_TOO_LARGE, TK_ERR_NET_PROTOCOL,
 * TK_ERR_NET_NO_MEMORY. A 5.03 with a Max-Age option sets
 * reply->has_retry_after and reply->retry_after to its seconds
 * (RFC 7252 section 5.9.3.4).
 */
tk_err tk_coap_client_post(tk_coap_client *client, const char *uri,
                           const uint8_t *body, size_t len,
                           tk_net_reply *reply);

/* Ends the session and frees client. NULL is ignored. */
void tk_coap_client_free(tk_coap_client *client);

#endif /* TK_COAP_CLIENT_H */
