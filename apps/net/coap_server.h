/*
 * CoAP server of teepkit (libcoap 4.3.1, UDP) for the TAM side of TEEP
 * over CoAP. No TEEP-over-CoAP specification exists yet, so this server
 * mirrors draft-ietf-teep-otrp-over-http-15 (docs/transport.md has the
 * mapping). The agent POSTs to one resource, "/tam" by default, and an
 * empty POST starts a session. The reply is 2.04 Changed carrying the next
 * TEEP message, or 2.04 without payload when the TAM has nothing more to
 * send.
 *
 * Large requests and replies travel block-wise (RFC 7959), with libcoap
 * requesting and sending the blocks. The server reassembles request blocks
 * itself, so it can stop at max_body (4.13) without buffering more. The
 * handler runs on the server's single I/O thread.
 *
 * libcoap 4.3.1 passes a retransmitted copy of a request to the handler
 * again, so the server keeps the latest replies and sends the stored reply
 * for a copy (same peer, same message ID) instead, as RFC 7252 section 4.5
 * asks: a TEEP message is processed once even when its reply was lost.
 */
#ifndef TK_COAP_SERVER_H
#define TK_COAP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

/* Maximum number of block-wise requests being reassembled at once. */
#ifndef TK_NET_MAX_COAP_TRANSFERS
#define TK_NET_MAX_COAP_TRANSFERS 64
#endif

/* Maximum number of replies kept for retransmitted requests. */
#ifndef TK_NET_MAX_COAP_STORED_REPLIES
#define TK_NET_MAX_COAP_STORED_REPLIES 32
#endif

typedef struct tk_coap_server_config {
    /* Numeric IPv4 or IPv6 address to listen on. Default "127.0.0.1". */
    const char *address;
    uint16_t port; /* 0: an ephemeral port; CoAP's default is 5683 */
    /* Resource path without the leading '/'; default "tam". */
    const char *path;
    unsigned content_format; /* default TK_NET_COAP_FORMAT_TEEP */
    size_t max_body;         /* reassembled request limit; default 1 MiB */
    /* A block-wise request that is not complete this long after its first
     * block is dropped. Default 30000. */
    unsigned transfer_timeout_ms;
    unsigned max_sessions; /* peers tracked at once; default 256 */
    const char *log_name;  /* log component; default "coap" */
    tk_net_handler handler;
    void *ctx;
} tk_coap_server_config;

/* Counters of a running server, for tests and metrics. */
typedef struct tk_coap_server_stats {
    uint64_t requests;           /* complete requests passed to the handler */
    uint64_t rejected;           /* error replies the server chose itself */
    uint64_t rejected_too_large; /* 4.13 replies */
    uint64_t expired_transfers;  /* block-wise requests dropped unfinished */
    uint64_t handler_errors;     /* handlers that returned an error */
    size_t max_body_buffered;    /* largest reassembly buffer, in bytes */
} tk_coap_server_stats;

typedef struct tk_coap_server tk_coap_server;

/* Fills cfg with the defaults named in tk_coap_server_config. */
void tk_coap_server_config_init(tk_coap_server_config *cfg);

/*
 * Starts a server with its own I/O thread; it serves until
 * tk_coap_server_stop(). The configuration is copied. Returns TK_OK and
 * *out, or TK_ERR_INVALID_ARG, TK_ERR_NET_CONFIG (an address that is not
 * numeric, no handler, an empty path, a zero limit), TK_ERR_NET_LISTEN or
 * TK_ERR_NET_NO_MEMORY.
 */
tk_err tk_coap_server_start(const tk_coap_server_config *cfg,
                            tk_coap_server **out);

/* Returns the UDP port the server listens on. */
uint16_t tk_coap_server_port(const tk_coap_server *srv);

/* Copies the server's counters into stats. */
void tk_coap_server_stats_get(tk_coap_server *srv, tk_coap_server_stats *stats);

/*
 * Stops the I/O thread once the request being handled (if any) has its
 * reply, then frees srv. Block-wise replies still being fetched are
 * abandoned. NULL is ignored.
 */
void tk_coap_server_stop(tk_coap_server *srv);

#endif /* TK_COAP_SERVER_H */
