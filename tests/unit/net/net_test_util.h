/*
 * Helpers of the transport tests: a raw TCP client that sends exactly the
 * bytes a test chooses, and a one-shot raw HTTP server that replies with
 * scripted bytes. Everything listens and connects on 127.0.0.1 only.
 */
#ifndef TK_NET_TEST_UTIL_H
#define TK_NET_TEST_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Connects to 127.0.0.1:port; returns the socket or aborts the test. */
int net_test_connect(uint16_t port);

/* Sends all of data; returns 0, or -1 when the peer has closed. */
int net_test_send(int fd, const void *data, size_t len);

/*
 * Reads from fd until the peer closes, the buffer (cap bytes, kept
 * NUL-terminated) is full, or a whole HTTP response with its Content-Length
 * body is in. Gives up after timeout_ms without data. Returns the byte
 * count; 0 means the peer closed without sending anything.
 */
size_t net_test_recv_response(int fd, char *buf, size_t cap,
                              unsigned timeout_ms);

/* Returns the status code of an HTTP response text, or 0. */
unsigned net_test_status(const char *response);

/* Copies the value of header field name of an HTTP response text into out
 * (cap bytes). Returns 1 when present, 0 otherwise. */
int net_test_header(const char *response, const char *name, char *out,
                    size_t cap);

/* Returns the body of an HTTP response text (after the blank line), or
 * NULL. */
const char *net_test_body(const char *response);

/* Sends request to 127.0.0.1:port and reads the response into buf. */
size_t net_test_exchange(uint16_t port, const char *request, char *buf,
                         size_t cap);

/*
 * Connects to 127.0.0.1:port, sends the header fields head, then up to
 * total body bytes without blocking, until the server replies or closes
 * the connection. With chunked set, the body goes out as 64 KiB chunks.
 * Reads the reply into resp (cap bytes) and returns the body bytes sent.
 */
size_t net_test_stream_until_reply(uint16_t port, const char *head,
                                   size_t total, int chunked, char *resp,
                                   size_t cap);

/* Returns a port on 127.0.0.1 that had nothing listening a moment ago. */
uint16_t net_test_free_port(void);

/*
 * A raw HTTP server for one connection: it reads one request (header fields
 * and a Content-Length body), sends reply (reply_len bytes) and closes.
 * With reply NULL it reads the request and then sends nothing until
 * stopped, to make clients time out.
 */
typedef struct net_test_mock {
    int listen_fd;
    uint16_t port;
    const char *reply;
    size_t reply_len;
    pthread_t thread;
    atomic_int stop;
    char request[8192]; /* the request received */
} net_test_mock;

void net_test_mock_start(net_test_mock *mock, const char *reply,
                         size_t reply_len);
void net_test_mock_stop(net_test_mock *mock);

#endif /* TK_NET_TEST_UTIL_H */
