/*
 * Helpers shared by the transports of apps/net; not part of their API.
 */
#ifndef TK_NET_INTERNAL_H
#define TK_NET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net.h"

/* Size of a request id string with its NUL: 16 hex digits. */
#define TK_NET_REQUEST_ID_SIZE 17

/* Size of a peer address string with its NUL: "[IPv6]:port". */
#define TK_NET_PEER_SIZE 56

/* Returns a monotonic clock reading in milliseconds. */
uint64_t tk_net_now_ms(void);

/* Writes a new request id, unique in this process, to out. The first id is
 * random so that ids from two runs of a server do not repeat. */
void tk_net_new_request_id(char out[TK_NET_REQUEST_ID_SIZE]);

/* Formats addr as "1.2.3.4:port" or "[::1]:port"; "?" when unknown. */
void tk_net_format_peer(const struct sockaddr *addr,
                        char out[TK_NET_PEER_SIZE]);

/*
 * Parses a numeric IPv4 or IPv6 address and port into storage. Returns 0,
 * or -1 when text is not a numeric address (host names are not accepted
 * for listeners, so a server never binds to an address it had to look up).
 */
int tk_net_parse_listen_address(const char *text, uint16_t port,
                                struct sockaddr_storage *storage,
                                socklen_t *len);

/* Returns 1 when name is an RFC 9110 token (a valid header field name). */
int tk_net_is_token(const char *name);

/* Returns 1 when value contains no CR, LF or NUL before its end and no other
 * control character except horizontal tab. */
int tk_net_is_field_value(const char *value);

#endif /* TK_NET_INTERNAL_H */
