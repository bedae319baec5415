/*
 * Tests of the CoAP server and client: small and block-wise requests and
 * replies, limits, error codes and timeouts. Some requests are raw UDP
 * datagrams written byte by byte (RFC 7252 section 3) so that the test
 * controls every option.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "coap_client.h"
#include "coap_server.h"
#include "log.h"

#define SERVER_MAX_BODY (64u * 1024u)
#define LARGE (100u * 1024u)

static atomic_int handler_calls;

/* Echoes the payload; "fail" returns an error and "big:N" replies with N
 * bytes of pattern. */
static tk_err echo_handler(void *ctx, const tk_net_request *req,
                           tk_net_response *resp)
{
    (void)ctx;
    atomic_fetch_add(&handler_calls, 1);
    if (req->transport != TK_NET_COAP || strcmp(req->path, "/tam") != 0 ||
        strcmp(req->method_name, "POST") != 0)
        return TK_ERR_INTERNAL;
    if (req->body.len == 4 && memcmp(req->body.ptr, "fail", 4) == 0)
        return TK_ERR_INTERNAL;
    if (req->body.len > 4 && memcmp(req->body.ptr, "big:", 4) == 0) {
        size_t n = strtoul((const char *)req->body.ptr + 4, NULL, 10);
        uint8_t *body = malloc(n + 1);
        if (body == NULL)
            return TK_ERR_NET_NO_MEMORY;
        for (size_t i = 0; i < n; i++)
            body[i] = (uint8_t)(i % 251);
        return tk_net_response_take_body(resp, NULL, body, n);
    }
    if (req->body.len == 0)
        return TK_OK;
    return tk_net_response_set_body(resp, NULL, req->body.ptr, req->body.len);
}

static tk_coap_server *start_server(unsigned content_format,
                                    unsigned transfer_timeout_ms)
{
    tk_coap_server_config cfg;
    tk_coap_server_config_init(&cfg);
    cfg.port = 0;
    cfg.max_body = SERVER_MAX_BODY;
    cfg.handler = echo_handler;
    if (content_format != 0)
        cfg.content_format = content_format;
    if (transfer_timeout_ms != 0)
        cfg.transfer_timeout_ms = transfer_timeout_ms;
    tk_coap_server *srv = NULL;
    assert_int_equal(tk_coap_server_start(&cfg, &srv), TK_OK);
    assert_non_null(srv);
    assert_true(tk_coap_server_port(srv) != 0);
    return srv;
}

static tk_coap_client *new_client(size_t max_response, unsigned timeout_ms,
                                  unsigned content_format)
{
    tk_coap_client_config cfg;
    tk_coap_client_config_init(&cfg);
    cfg.timeout_ms = timeout_ms != 0 ? timeout_ms : 30000;
    if (max_response != 0)
        cfg.max_response = max_response;
    if (content_format != 0)
        cfg.content_format = content_format;
    tk_coap_client *client = NULL;
    assert_int_equal(tk_coap_client_new(&cfg, &client), TK_OK);
    assert_non_null(client);
    return client;
}

static const char *uri_of(uint16_t port, const char *path)
{
    static char text[96];
    snprintf(text, sizeof text, "coap://127.0.0.1:%u%s", (unsigned)port, path);
    return text;
}

static uint8_t *pattern(size_t len)
{
    uint8_t *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 13 + 5);
    return data;
}

static void empty_post_ends_session(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(0, 0, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri_of(tk_coap_server_port(srv), "/tam"),
                            NULL, 0, &reply),
        TK_OK);
    assert_int_equal(reply.status, 204); /* 2.04 Changed */
    assert_int_equal(reply.done, 1);
    assert_int_equal(reply.body.len, 0);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void small_message_round_trip(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(0, 0, 0);
    const char *uri = uri_of(tk_coap_server_port(srv), "/tam");
    static const uint8_t msg[] = {0x83, 0x01, 0xa1, 0x14, 0x41, 0x07, 0x80};
    tk_net_reply reply;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(
            tk_coap_client_post(client, uri, msg, sizeof msg, &reply), TK_OK);
        assert_int_equal(reply.status, 204);
        assert_int_equal(reply.done, 0);
        assert_string_equal(reply.content_type, TK_NET_MEDIA_TEEP);
        assert_int_equal(reply.body.len, sizeof msg);
        assert_memory_equal(reply.body.ptr, msg, sizeof msg);
    }
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void blockwise_both_directions(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(0, 0, 0);
    /* Larger than SERVER_MAX_BODY is not allowed, so echo 60 KiB. */
    size_t len = 60u * 1024u;
    uint8_t *msg = pattern(len);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri_of(tk_coap_server_port(srv), "/tam"),
                            msg, len, &reply),
        TK_OK);
    assert_int_equal(reply.body.len, len);
    assert_memory_equal(reply.body.ptr, msg, len);
    tk_coap_server_stats stats;
    tk_coap_server_stats_get(srv, &stats);
    assert_int_equal(stats.requests, 1);
    assert_true(stats.max_body_buffered <= SERVER_MAX_BODY);
    free(msg);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void large_reply_blockwise(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(0, 0, 0);
    char request[32];
    int n = snprintf(request, sizeof request, "big:%u", LARGE);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri_of(tk_coap_server_port(srv), "/tam"),
                            (const uint8_t *)request, (size_t)n, &reply),
        TK_OK);
    assert_int_equal(reply.body.len, LARGE);
    for (size_t i = 0; i < LARGE; i++) {
        if (reply.body.ptr[i] != (uint8_t)(i % 251))
            fail_msg("reply byte %zu is %u", i, reply.body.ptr[i]);
    }
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void large_request_blockwise(void **state)
{
    (void)state;
    tk_coap_server_config cfg;
    tk_coap_server_config_init(&cfg);
    cfg.max_body = 2 * LARGE;
    cfg.handler = echo_handler;
    tk_coap_server *srv = NULL;
    assert_int_equal(tk_coap_server_start(&cfg, &srv), TK_OK);
    tk_coap_client *client = new_client(0, 0, 0);
    uint8_t *msg = pattern(LARGE);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri_of(tk_coap_server_port(srv), "/tam"),
                            msg, LARGE, &reply),
        TK_OK);
    assert_int_equal(reply.body.len, LARGE);
    assert_memory_equal(reply.body.ptr, msg, LARGE);
    free(msg);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void request_over_limit_gets_413(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(0, 0, 0);
    const char *uri = uri_of(tk_coap_server_port(srv), "/tam");
    int calls = atomic_load(&handler_calls);
    uint8_t *msg = pattern(LARGE);
    tk_net_reply reply;
    assert_int_equal(tk_coap_client_post(client, uri, msg, LARGE, &reply),
                     TK_ERR_NET_STATUS);
    assert_int_equal(reply.status, 413);
    assert_int_equal(atomic_load(&handler_calls), calls);
    /* Exactly at the limit is accepted. */
    assert_int_equal(
        tk_coap_client_post(client, uri, msg, SERVER_MAX_BODY, &reply), TK_OK);
    assert_int_equal(reply.body.len, SERVER_MAX_BODY);
    tk_coap_server_stats stats;
    tk_coap_server_stats_get(srv, &stats);
    assert_int_equal(stats.rejected_too_large, 1);
    assert_true(stats.max_body_buffered <= SERVER_MAX_BODY);
    free(msg);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void reply_over_limit_rejected(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(10000, 0, 0);
    const char *uri = uri_of(tk_coap_server_port(srv), "/tam");
    tk_net_reply reply;
    assert_int_equal(tk_coap_client_post(
                         client, uri, (const uint8_t *)"big:10000", 9, &reply),
                     TK_OK);
    assert_int_equal(reply.body.len, 10000);
    assert_int_equal(tk_coap_client_post(
                         client, uri, (const uint8_t *)"big:20000", 9, &reply),
                     TK_ERR_NET_TOO_LARGE);
    assert_int_equal(reply.body.len, 0);
    /* The client stays usable. */
    assert_int_equal(tk_coap_client_post(client, uri, NULL, 0, &reply), TK_OK);
    assert_int_equal(reply.done, 1);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void unknown_path_gets_404(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(0, 0, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri_of(tk_coap_server_port(srv), "/other"),
                            NULL, 0, &reply),
        TK_ERR_NET_STATUS);
    assert_int_equal(reply.status, 404);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void handler_error_gets_500(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(0, 0, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri_of(tk_coap_server_port(srv), "/tam"),
                            (const uint8_t *)"fail", 4, &reply),
        TK_ERR_NET_STATUS);
    assert_int_equal(reply.status, 500);
    tk_coap_server_stats stats;
    tk_coap_server_stats_get(srv, &stats);
    assert_int_equal(stats.handler_errors, 1);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void client_format_mismatch_gets_415(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    tk_coap_client *client = new_client(0, 0, 60); /* application/cbor */
    const char *uri = uri_of(tk_coap_server_port(srv), "/tam");
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri, (const uint8_t *)"x", 1, &reply),
        TK_ERR_NET_STATUS);
    assert_int_equal(reply.status, 415);
    /* Without payload only the Accept option names the format. */
    assert_int_equal(tk_coap_client_post(client, uri, NULL, 0, &reply),
                     TK_ERR_NET_STATUS);
    assert_int_equal(reply.status, 406);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

static void configured_format_used(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(60, 0);
    tk_coap_client *client = new_client(0, 0, 60);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri_of(tk_coap_server_port(srv), "/tam"),
                            (const uint8_t *)"x", 1, &reply),
        TK_OK);
    assert_int_equal(reply.body.len, 1);
    tk_coap_client_free(client);
    tk_coap_server_stop(srv);
}

/* ---- Raw datagrams ---- */

static int udp_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

static uint16_t udp_port(int fd)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    return ntohs(addr.sin_port);
}

/* Sends one datagram to 127.0.0.1:port and returns the length of the
 * reply in out, or 0 when none came within 10 s. */
static size_t udp_exchange(uint16_t port, const uint8_t *msg, size_t len,
                           uint8_t *out, size_t cap)
{
    int fd = udp_socket();
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof to),
                     (ssize_t)len);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n = 0;
    if (poll(&p, 1, 10000) > 0)
        n = recv(fd, out, cap, 0);
    close(fd);
    return n > 0 ? (size_t)n : 0;
}

/* Returns the code byte of a raw reply: class in the top 3 bits. */
static unsigned reply_code(const uint8_t *reply, size_t len)
{
    assert_true(len >= 4);
    return reply[1];
}

#define CODE(c, d) (((c) << 5) | (d))

static void wrong_method_gets_405(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    /* CON GET, message id 0x1234, no token, Uri-Path "tam". */
    static const uint8_t get[] = {0x40, 0x01, 0x12, 0x34, 0xb3, 't', 'a', 'm'};
    uint8_t reply[256];
    size_t n = udp_exchange(tk_coap_server_port(srv), get, sizeof get, reply,
                            sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(4, 5));
    /* The same with PUT. */
    static const uint8_t put[] = {0x40, 0x03, 0x12, 0x35, 0xb3, 't', 'a', 'm'};
    n = udp_exchange(tk_coap_server_port(srv), put, sizeof put, reply,
                     sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(4, 5));
    tk_coap_server_stop(srv);
}

static void raw_format_checks(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    uint16_t port = tk_coap_server_port(srv);
    int calls = atomic_load(&handler_calls);
    uint8_t reply[256];
    /* POST with Content-Format 60 (application/cbor) and payload "x". */
    static const uint8_t cbor[] = {0x40, 0x02, 0x20, 0x01, 0xb3, 't',
                                   'a',  'm',  0x11, 0x3c, 0xff, 'x'};
    size_t n = udp_exchange(port, cbor, sizeof cbor, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(4, 15));
    /* POST with payload but no Content-Format. */
    static const uint8_t bare[] = {0x40, 0x02, 0x20, 0x02, 0xb3,
                                   't',  'a',  'm',  0xff, 'x'};
    n = udp_exchange(port, bare, sizeof bare, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(4, 15));
    /* Empty POST with Accept 60. */
    static const uint8_t accept[] = {0x40, 0x02, 0x20, 0x03, 0xb3,
                                     't',  'a',  'm',  0x61, 0x3c};
    n = udp_exchange(port, accept, sizeof accept, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(4, 6));
    assert_int_equal(atomic_load(&handler_calls), calls);
    /* Empty POST without options starts a session. */
    static const uint8_t empty[] = {0x40, 0x02, 0x20, 0x04,
                                    0xb3, 't',  'a',  'm'};
    n = udp_exchange(port, empty, sizeof empty, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(2, 4));
    assert_int_equal(atomic_load(&handler_calls), calls + 1);
    tk_coap_server_stop(srv);
}

/* POST /tam, Content-Format 65000, Block1 with block number num, the more
 * flag and 64-byte blocks, and 64 bytes of payload. */
static size_t block1_request(uint8_t *out, uint16_t mid, unsigned num, int more)
{
    size_t n = 0;
    out[n++] = 0x40;
    out[n++] = 0x02;
    out[n++] = (uint8_t)(mid >> 8);
    out[n++] = (uint8_t)mid;
    out[n++] = 0xb3; /* Uri-Path (11), 3 bytes */
    memcpy(out + n, "tam", 3);
    n += 3;
    out[n++] = 0x12; /* Content-Format (12), 2 bytes: 65000 */
    out[n++] = 0xfd;
    out[n++] = 0xe8;
    out[n++] = 0xd1; /* Block1 (27): delta 13 + 2, 1 byte */
    out[n++] = 0x02;
    out[n++] = (uint8_t)((num << 4) | (more ? 0x08 : 0) | 0x02);
    out[n++] = 0xff;
    memset(out + n, 'b', 64);
    return n + 64;
}

static void block_out_of_sequence_gets_408(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    uint8_t msg[128];
    uint8_t reply[256];
    size_t len = block1_request(msg, 0x3001, 1, 1);
    size_t n =
        udp_exchange(tk_coap_server_port(srv), msg, len, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(4, 8));
    tk_coap_server_stop(srv);
}

static void unfinished_transfer_expires(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 300);
    uint8_t msg[128];
    uint8_t reply[256];
    size_t len = block1_request(msg, 0x3002, 0, 1);
    size_t n =
        udp_exchange(tk_coap_server_port(srv), msg, len, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(2, 31));
    tk_coap_server_stats stats;
    for (int i = 0; i < 1000; i++) {
        tk_coap_server_stats_get(srv, &stats);
        if (stats.expired_transfers > 0)
            break;
        usleep(10000);
    }
    assert_int_equal(stats.expired_transfers, 1);
    assert_int_equal(stats.requests, 0);
    tk_coap_server_stop(srv);
}

/* Sends msg from fd to the server and reads its reply into out. Returns the
 * reply length, or 0 when none came within 10 s. */
static size_t udp_send_recv(int fd, uint16_t port, const uint8_t *msg,
                            size_t len, uint8_t *out, size_t cap)
{
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof to),
                     (ssize_t)len);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n = 0;
    if (poll(&p, 1, 10000) > 0)
        n = recv(fd, out, cap, 0);
    return n > 0 ? (size_t)n : 0;
}

static void repeated_request_handled_once(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    uint16_t port = tk_coap_server_port(srv);
    int fd = udp_socket();
    int calls = atomic_load(&handler_calls);
    /* CON POST, message id 0x4001, token 0x77, Uri-Path "tam",
     * Content-Format 65000, payload "x": sent twice, as a client does when
     * the first reply is lost. */
    static const uint8_t msg[] = {0x41, 0x02, 0x40, 0x01, 0x77, 0xb3, 't',
                                  'a',  'm',  0x12, 0xfd, 0xe8, 0xff, 'x'};
    uint8_t first[256];
    uint8_t second[256];
    size_t first_len =
        udp_send_recv(fd, port, msg, sizeof msg, first, sizeof first);
    size_t second_len =
        udp_send_recv(fd, port, msg, sizeof msg, second, sizeof second);
    assert_int_equal(reply_code(first, first_len), CODE(2, 4));
    assert_int_equal(first[first_len - 1], 'x');
    assert_int_equal(second_len, first_len);
    assert_memory_equal(second, first, first_len);
    assert_int_equal(atomic_load(&handler_calls), calls + 1);
    /* A new message id is a new request. */
    uint8_t next[sizeof msg];
    memcpy(next, msg, sizeof msg);
    next[3] = 0x02;
    udp_send_recv(fd, port, next, sizeof next, second, sizeof second);
    assert_int_equal(atomic_load(&handler_calls), calls + 2);
    close(fd);
    tk_coap_server_stop(srv);
}

static void repeated_block_acknowledged(void **state)
{
    (void)state;
    tk_coap_server *srv = start_server(0, 0);
    uint16_t port = tk_coap_server_port(srv);
    int fd = udp_socket();
    int calls = atomic_load(&handler_calls);
    uint8_t msg[128];
    uint8_t reply[512];
    size_t len = block1_request(msg, 0x5001, 0, 1);
    size_t n = udp_send_recv(fd, port, msg, len, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(2, 31));
    /* The same first block again: acknowledged, not stored twice. */
    n = udp_send_recv(fd, port, msg, len, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(2, 31));
    len = block1_request(msg, 0x5002, 1, 0);
    n = udp_send_recv(fd, port, msg, len, reply, sizeof reply);
    assert_int_equal(reply_code(reply, n), CODE(2, 4));
    assert_int_equal(atomic_load(&handler_calls), calls + 1);
    /* The echoed payload is the two 64-byte blocks. */
    assert_true(n > 128);
    assert_int_equal(reply[n - 129], 0xff);
    close(fd);
    tk_coap_server_stop(srv);
}

/* A raw server that replies to one request with a piggybacked 2.04 whose
 * payload has Content-Format 60 instead of the TEEP format. */
struct wrong_format_server {
    int fd;
    pthread_t thread;
};

static void *wrong_format_main(void *arg)
{
    struct wrong_format_server *s = arg;
    uint8_t req[1500];
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, 10000) <= 0)
        return NULL;
    ssize_t n = recvfrom(s->fd, req, sizeof req, 0, (struct sockaddr *)&from,
                         &from_len);
    if (n < 4)
        return NULL;
    size_t token_len = req[0] & 0x0f;
    uint8_t out[64];
    size_t len = 0;
    out[len++] = (uint8_t)(0x60 | token_len); /* ACK */
    out[len++] = CODE(2, 4);
    out[len++] = req[2];
    out[len++] = req[3];
    memcpy(out + len, req + 4, token_len);
    len += token_len;
    out[len++] = 0xc1; /* Content-Format (12), 1 byte */
    out[len++] = 60;
    out[len++] = 0xff;
    out[len++] = 0xa0;
    sendto(s->fd, out, len, 0, (struct sockaddr *)&from, from_len);
    return NULL;
}

static void reply_format_mismatch_rejected(void **state)
{
    (void)state;
    struct wrong_format_server s = {.fd = udp_socket()};
    assert_int_equal(pthread_create(&s.thread, NULL, wrong_format_main, &s), 0);
    tk_coap_client *client = new_client(0, 0, 0);
    tk_net_reply reply;
    assert_int_equal(tk_coap_client_post(client, uri_of(udp_port(s.fd), "/tam"),
                                         NULL, 0, &reply),
                     TK_ERR_NET_CONTENT_TYPE);
    assert_int_equal(reply.status, 204);
    assert_int_equal(reply.body.len, 1);
    tk_coap_client_free(client);
    pthread_join(s.thread, NULL);
    close(s.fd);
}

static void silent_server_times_out(void **state)
{
    (void)state;
    int fd = udp_socket(); /* receives, never replies */
    tk_coap_client *client = new_client(0, 500, 0);
    tk_net_reply reply;
    assert_int_equal(tk_coap_client_post(client, uri_of(udp_port(fd), "/tam"),
                                         (const uint8_t *)"x", 1, &reply),
                     TK_ERR_NET_TIMEOUT);
    assert_int_equal(reply.status, 0);
    tk_coap_client_free(client);
    close(fd);
}

static void closed_port_refused(void **state)
{
    (void)state;
    int fd = udp_socket();
    uint16_t port = udp_port(fd);
    close(fd); /* nothing listens there now */
    tk_coap_client *client = new_client(0, 20000, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, uri_of(port, "/tam"), NULL, 0, &reply),
        TK_ERR_NET_CONNECT);
    tk_coap_client_free(client);
}

static void unsupported_uris_rejected(void **state)
{
    (void)state;
    tk_coap_client *client = new_client(0, 0, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_coap_client_post(client, "http://127.0.0.1/tam", NULL, 0, &reply),
        TK_ERR_NET_URL);
    assert_int_equal(
        tk_coap_client_post(client, "coaps://127.0.0.1/tam", NULL, 0, &reply),
        TK_ERR_NET_URL);
    assert_int_equal(tk_coap_client_post(client, "coap+tcp://127.0.0.1/tam",
                                         NULL, 0, &reply),
                     TK_ERR_NET_URL);
    assert_int_equal(tk_coap_client_post(client, "tam", NULL, 0, &reply),
                     TK_ERR_NET_URL);
    tk_coap_client_free(client);
}

static void server_config_checked(void **state)
{
    (void)state;
    tk_coap_server_config cfg;
    tk_coap_server_config_init(&cfg);
    tk_coap_server *srv = NULL;
    assert_int_equal(tk_coap_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);
    cfg.handler = echo_handler;
    cfg.address = "localhost";
    assert_int_equal(tk_coap_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);
    cfg.address = "127.0.0.1";
    cfg.path = "/tam";
    assert_int_equal(tk_coap_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);
    cfg.path = "tam";
    cfg.content_format = 70000;
    assert_int_equal(tk_coap_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);
    assert_null(srv);
}

static void port_in_use_fails(void **state)
{
    (void)state;
    tk_coap_server *first = start_server(0, 0);
    tk_coap_server_config cfg;
    tk_coap_server_config_init(&cfg);
    cfg.handler = echo_handler;
    cfg.port = tk_coap_server_port(first);
    tk_coap_server *second = NULL;
    assert_int_equal(tk_coap_server_start(&cfg, &second), TK_ERR_NET_LISTEN);
    assert_null(second);
    tk_coap_server_stop(first);
}

int main(void)
{
    tk_log_set_level(TK_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_post_ends_session),
        cmocka_unit_test(small_message_round_trip),
        cmocka_unit_test(blockwise_both_directions),
        cmocka_unit_test(large_reply_blockwise),
        cmocka_unit_test(large_request_blockwise),
        cmocka_unit_test(request_over_limit_gets_413),
        cmocka_unit_test(reply_over_limit_rejected),
        cmocka_unit_test(unknown_path_gets_404),
        cmocka_unit_test(handler_error_gets_500),
        cmocka_unit_test(client_format_mismatch_gets_415),
        cmocka_unit_test(configured_format_used),
        cmocka_unit_test(wrong_method_gets_405),
        cmocka_unit_test(raw_format_checks),
        cmocka_unit_test(block_out_of_sequence_gets_408),
        cmocka_unit_test(unfinished_transfer_expires),
        cmocka_unit_test(repeated_request_handled_once),
        cmocka_unit_test(repeated_block_acknowledged),
        cmocka_unit_test(reply_format_mismatch_rejected),
        cmocka_unit_test(silent_server_times_out),
        cmocka_unit_test(closed_port_refused),
        cmocka_unit_test(unsupported_uris_rejected),
        cmocka_unit_test(server_config_checked),
        cmocka_unit_test(port_in_use_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
