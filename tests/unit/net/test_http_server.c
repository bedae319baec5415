/*
 * Tests of the HTTP server: TEEP-over-HTTP statuses and header fields,
 * routing, body limits, request timeouts and stopping, and the header hook
 * and error bodies of plain routes. Requests are written byte by byte over
 * raw sockets so that every header field is under the test's control.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "http_server.h"
#include "log.h"
#include "net_test_util.h"

#define BODY_LIMIT 4096u

/* What the handlers saw, for the tests to check. */
static struct {
    pthread_mutex_t lock;
    atomic_int calls;
    atomic_int slow_started;
    char method[16];
    char path[64];
    char content_type[64];
    char request_id[32];
    char peer[64];
    char authorization[64];
    char query[32];
    size_t body_len;
    tk_net_transport transport;
} seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void copy_text(char *out, size_t cap, const char *text)
{
    snprintf(out, cap, "%s", text != NULL ? text : "");
}

static void record_request(const tk_net_request *req)
{
    pthread_mutex_lock(&seen.lock);
    copy_text(seen.method, sizeof seen.method, req->method_name);
    copy_text(seen.path, sizeof seen.path, req->path);
    copy_text(seen.content_type, sizeof seen.content_type, req->content_type);
    copy_text(seen.request_id, sizeof seen.request_id, req->request_id);
    copy_text(seen.peer, sizeof seen.peer, req->peer);
    copy_text(seen.authorization, sizeof seen.authorization,
              tk_net_request_header(req, "Authorization"));
    copy_text(seen.query, sizeof seen.query, tk_net_request_query(req, "q"));
    seen.body_len = req->body.len;
    seen.transport = req->transport;
    pthread_mutex_unlock(&seen.lock);
    atomic_fetch_add(&seen.calls, 1);
}

static int body_is(const tk_net_request *req, const char *text)
{
    return req->body.len == strlen(text) &&
           memcmp(req->body.ptr, text, req->body.len) == 0;
}

/* TEEP handler scripted by the body: "fail", "redirect", "cookie", "slow";
 * any other body is echoed, and an empty body gets an empty reply. */
static tk_err teep_handler(void *ctx, const tk_net_request *req,
                           tk_net_response *resp)
{
    (void)ctx;
    record_request(req);
    if (body_is(req, "fail"))
        return TK_ERR_INTERNAL;
    if (body_is(req, "redirect")) {
        resp->status = 302;
        return tk_net_response_add_header(resp, "Location",
                                          "http://127.0.0.1:1/tam");
    }
    if (body_is(req, "cookie")) {
        tk_err err = tk_net_response_add_header(resp, "Set-Cookie", "a=b");
        if (err != TK_OK)
            return err;
    }
    if (body_is(req, "slow")) {
        atomic_store(&seen.slow_started, 1);
        usleep(400000);
    }
    if (req->body.len == 0)
        return TK_OK;
    return tk_net_response_set_body(resp, NULL, req->body.ptr, req->body.len);
}

/* Admin-style handler: replies with JSON naming the path. */
static tk_err plain_handler(void *ctx, const tk_net_request *req,
                            tk_net_response *resp)
{
    (void)ctx;
    record_request(req);
    char json[128];
    int n = snprintf(json, sizeof json, "{\"path\":\"%s\"}", req->path);
    return tk_net_response_set_body(resp, "application/json", json, (size_t)n);
}

static const tk_http_route routes[] = {
    {.path = "/tam",
     .methods = TK_NET_POST,
     .kind = TK_HTTP_ROUTE_TEEP,
     .handler = teep_handler},
    {.path = "/api/*",
     .methods = TK_NET_GET,
     .kind = TK_HTTP_ROUTE_PLAIN,
     .handler = plain_handler},
    {.path = "/api/*",
     .methods = TK_NET_DELETE,
     .kind = TK_HTTP_ROUTE_PLAIN,
     .handler = plain_handler},
};

static void default_config(tk_http_server_config *cfg)
{
    tk_http_server_config_init(cfg);
    cfg->port = 0;
    cfg->max_body = BODY_LIMIT;
    cfg->threads = 2;
    cfg->routes = routes;
    cfg->route_count = sizeof routes / sizeof routes[0];
}

static tk_http_server *start_with(const tk_http_server_config *cfg)
{
    tk_http_server *srv = NULL;
    assert_int_equal(tk_http_server_start(cfg, &srv), TK_OK);
    assert_non_null(srv);
    assert_true(tk_http_server_port(srv) != 0);
    return srv;
}

static tk_http_server *start_default(void)
{
    tk_http_server_config cfg;
    default_config(&cfg);
    return start_with(&cfg);
}

/* Sends a POST to path with the given extra header lines and body. */
static size_t post(uint16_t port, const char *path, const char *headers,
                   const char *body, size_t body_len, char *out, size_t cap)
{
    char head[1024];
    snprintf(head, sizeof head,
             "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             path, headers, body_len);
    int fd = net_test_connect(port);
    assert_int_equal(net_test_send(fd, head, strlen(head)), 0);
    if (body_len > 0)
        net_test_send(fd, body, body_len);
    size_t n = net_test_recv_response(fd, out, cap, 10000);
    close(fd);
    return n;
}

#define TEEP_HEADERS                                                           \
    "Accept: application/teep+cbor\r\n"                                        \
    "Content-Type: application/teep+cbor\r\n"

static void empty_post_gets_204(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char value[128];
    post(tk_http_server_port(srv), "/tam", "Accept: application/teep+cbor\r\n",
         "", 0, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 204);
    assert_false(net_test_header(resp, "Content-Type", value, sizeof value));
    assert_false(net_test_header(resp, "Cache-Control", value, sizeof value));
    assert_true(net_test_header(resp, "X-Request-Id", value, sizeof value));
    assert_int_equal(strlen(value), 16);
    pthread_mutex_lock(&seen.lock);
    assert_int_equal(seen.body_len, 0);
    pthread_mutex_unlock(&seen.lock);
    tk_http_server_stop(srv);
}

static void message_gets_200_with_headers(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char value[128];
    const char msg[] = "\x83\x01\xa1\x14\x48"
                       "abcdefgh";
    post(tk_http_server_port(srv), "/tam", TEEP_HEADERS, msg, sizeof msg - 1,
         resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    assert_true(net_test_header(resp, "Content-Type", value, sizeof value));
    assert_string_equal(value, "application/teep+cbor");
    assert_true(
        net_test_header(resp, "X-Content-Type-Options", value, sizeof value));
    assert_string_equal(value, "nosniff");
    assert_true(
        net_test_header(resp, "Content-Security-Policy", value, sizeof value));
    assert_string_equal(value, "default-src 'none'");
    assert_true(net_test_header(resp, "Referrer-Policy", value, sizeof value));
    assert_string_equal(value, "no-referrer");
    assert_true(net_test_header(resp, "Content-Length", value, sizeof value));
    assert_string_equal(value, "13");
    /* draft-ietf-teep-otrp-over-http-15 section 4: no Cache-Control and
     * no cookies. */
    assert_false(net_test_header(resp, "Cache-Control", value, sizeof value));
    assert_false(net_test_header(resp, "Set-Cookie", value, sizeof value));
    assert_memory_equal(net_test_body(resp), msg, sizeof msg - 1);
    tk_http_server_stop(srv);
}

static void handler_sees_request_fields(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char id[64];
    post(tk_http_server_port(srv), "/tam", TEEP_HEADERS, "hello", 5, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    assert_true(net_test_header(resp, "X-Request-Id", id, sizeof id));
    pthread_mutex_lock(&seen.lock);
    assert_string_equal(seen.method, "POST");
    assert_string_equal(seen.path, "/tam");
    assert_string_equal(seen.content_type, "application/teep+cbor");
    assert_string_equal(seen.request_id, id);
    assert_int_equal(strncmp(seen.peer, "127.0.0.1:", 10), 0);
    assert_int_equal(seen.body_len, 5);
    assert_int_equal(seen.transport, TK_NET_HTTP);
    pthread_mutex_unlock(&seen.lock);
    tk_http_server_stop(srv);
}

static void wrong_method_gets_405(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char value[128];
    int calls = atomic_load(&seen.calls);
    net_test_exchange(tk_http_server_port(srv),
                      "GET /tam HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Accept: application/teep+cbor\r\n"
                      "Connection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 405);
    assert_true(net_test_header(resp, "Allow", value, sizeof value));
    assert_string_equal(value, "POST");
    net_test_exchange(tk_http_server_port(srv),
                      "PUT /tam HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Length: 0\r\nConnection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 405);
    assert_int_equal(atomic_load(&seen.calls), calls);
    tk_http_server_stop(srv);
}

static void unknown_path_gets_404(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    post(tk_http_server_port(srv), "/tamx", TEEP_HEADERS, "x", 1, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 404);
    post(tk_http_server_port(srv), "/", TEEP_HEADERS, "x", 1, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 404);
    tk_http_server_stop(srv);
}

static void wrong_content_type_gets_415(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    uint16_t port = tk_http_server_port(srv);
    char resp[4096];
    int calls = atomic_load(&seen.calls);
    post(port, "/tam",
         "Accept: application/teep+cbor\r\nContent-Type: application/cbor\r\n",
         "x", 1, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 415);
    post(port, "/tam", "Accept: application/teep+cbor\r\n", "x", 1, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 415);
    post(port, "/tam",
         "Accept: application/teep+cbor\r\n"
         "Content-Type: application/teep+cose\r\n",
         "x", 1, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 415);
    assert_int_equal(atomic_load(&seen.calls), calls);
    /* An empty body has no media type to check. */
    post(port, "/tam",
         "Accept: application/teep+cbor\r\nContent-Type: text/plain\r\n", "", 0,
         resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 204);
    tk_http_server_stop(srv);
}

static void accept_field_checked(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    uint16_t port = tk_http_server_port(srv);
    char resp[4096];
    post(port, "/tam", "", "", 0, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 406);
    post(port, "/tam", "Accept: application/json\r\n", "", 0, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 406);
    post(port, "/tam", "Accept: application/teep+cbor;q=0\r\n", "", 0, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 406);
    post(port, "/tam", "Accept: */*\r\n", "", 0, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 204);
    post(port, "/tam", "Accept: text/html, application/*;q=0.2\r\n", "", 0,
         resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 204);
    tk_http_server_stop(srv);
}

static void missing_accept_allowed_by_option(void **state)
{
    (void)state;
    tk_http_server_config cfg;
    default_config(&cfg);
    cfg.allow_missing_accept = 1;
    tk_http_server *srv = start_with(&cfg);
    char resp[4096];
    post(tk_http_server_port(srv), "/tam", "", "", 0, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 204);
    /* A present but unsuitable Accept still fails. */
    post(tk_http_server_port(srv), "/tam", "Accept: application/json\r\n", "",
         0, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 406);
    tk_http_server_stop(srv);
}

static void body_at_limit_accepted(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char *body = malloc(BODY_LIMIT);
    char *resp = malloc(BODY_LIMIT + 4096);
    assert_non_null(body);
    assert_non_null(resp);
    memset(body, 0x5a, BODY_LIMIT);
    post(tk_http_server_port(srv), "/tam", TEEP_HEADERS, body, BODY_LIMIT, resp,
         BODY_LIMIT + 4096);
    assert_int_equal(net_test_status(resp), 200);
    assert_memory_equal(net_test_body(resp), body, BODY_LIMIT);
    post(tk_http_server_port(srv), "/tam", TEEP_HEADERS, body, BODY_LIMIT - 1,
         resp, BODY_LIMIT + 4096);
    assert_int_equal(net_test_status(resp), 200);
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_true(stats.max_body_buffered <= BODY_LIMIT);
    free(body);
    free(resp);
    tk_http_server_stop(srv);
}

static void body_over_limit_gets_413(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char *body = calloc(1, BODY_LIMIT + 1);
    char resp[4096];
    assert_non_null(body);
    int calls = atomic_load(&seen.calls);
    post(tk_http_server_port(srv), "/tam", TEEP_HEADERS, body, BODY_LIMIT + 1,
         resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 413);
    assert_int_equal(atomic_load(&seen.calls), calls);
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_int_equal(stats.rejected_too_large, 1);
    assert_int_equal(stats.max_body_buffered, 0);
    free(body);
    tk_http_server_stop(srv);
}

/* Sends a chunked body of total bytes in 1000-byte chunks. */
static int send_chunked(int fd, size_t total)
{
    char chunk[1000];
    memset(chunk, 'c', sizeof chunk);
    while (total > 0) {
        size_t n = total < sizeof chunk ? total : sizeof chunk;
        char size_line[16];
        snprintf(size_line, sizeof size_line, "%zx\r\n", n);
        if (net_test_send(fd, size_line, strlen(size_line)) != 0 ||
            net_test_send(fd, chunk, n) != 0 || net_test_send(fd, "\r\n", 2))
            return -1;
        total -= n;
    }
    return net_test_send(fd, "0\r\n\r\n", 5);
}

static const char chunked_head[] =
    "POST /tam HTTP/1.1\r\nHost: 127.0.0.1\r\n" TEEP_HEADERS
    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

static void chunked_body_within_limit(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    int fd = net_test_connect(tk_http_server_port(srv));
    assert_int_equal(net_test_send(fd, chunked_head, strlen(chunked_head)), 0);
    assert_int_equal(send_chunked(fd, 2500), 0);
    char resp[8192];
    net_test_recv_response(fd, resp, sizeof resp, 10000);
    close(fd);
    assert_int_equal(net_test_status(resp), 200);
    pthread_mutex_lock(&seen.lock);
    assert_int_equal(seen.body_len, 2500);
    pthread_mutex_unlock(&seen.lock);
    tk_http_server_stop(srv);
}

static void chunked_body_over_limit_gets_413(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    int calls = atomic_load(&seen.calls);
    int fd = net_test_connect(tk_http_server_port(srv));
    assert_int_equal(net_test_send(fd, chunked_head, strlen(chunked_head)), 0);
    assert_int_equal(send_chunked(fd, BODY_LIMIT + 100), 0);
    char resp[4096];
    net_test_recv_response(fd, resp, sizeof resp, 10000);
    close(fd);
    assert_int_equal(net_test_status(resp), 413);
    assert_int_equal(atomic_load(&seen.calls), calls);
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_true(stats.max_body_buffered <= BODY_LIMIT);
    assert_int_equal(stats.rejected_too_large, 1);
    tk_http_server_stop(srv);
}

/* Result of a misbehaving client thread. */
struct abuser {
    uint16_t port;
    atomic_int ready; /* header fields sent */
    int closed;       /* the server closed the connection */
    int got_reply;    /* the server sent anything */
    size_t sent;
};

/* Sends a chunked body that never ends, until the server closes the
 * connection or 64 MiB have gone out. */
static void *endless_chunked_client(void *arg)
{
    struct abuser *a = arg;
    int fd = net_test_connect(a->port);
    if (net_test_send(fd, chunked_head, strlen(chunked_head)) == 0) {
        atomic_store(&a->ready, 1);
        static char chunk[4096 + 16];
        memcpy(chunk, "1000\r\n", 6);
        memset(chunk + 6, 'e', 4096);
        memcpy(chunk + 6 + 4096, "\r\n", 2);
        while (a->sent < ((size_t)64 << 20)) {
            if (net_test_send(fd, chunk, 6 + 4096 + 2) != 0) {
                a->closed = 1;
                break;
            }
            a->sent += 4096;
        }
    }
    atomic_store(&a->ready, 1);
    close(fd);
    return NULL;
}

static void endless_chunked_body_cut_off(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    uint16_t port = tk_http_server_port(srv);
    struct abuser a = {.port = port};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, endless_chunked_client, &a),
                     0);
    while (!atomic_load(&a.ready))
        usleep(1000);
    /* Another client is served while the endless body streams in. */
    char resp[4096];
    post(port, "/tam", TEEP_HEADERS, "ok", 2, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    pthread_join(thread, NULL);
    assert_true(a.closed);
    assert_true(a.sent < ((size_t)64 << 20));
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_true(stats.max_body_buffered <= BODY_LIMIT);
    assert_int_equal(stats.rejected_too_large, 1);
    tk_http_server_stop(srv);
}

/*
 * Waits up to 1 s for the server to close fd or reply. Returns 1 when it
 * closed the connection, 0 when it is still open; sets a->got_reply when
 * bytes arrived.
 */
static int wait_closed(struct abuser *a, int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 1000) <= 0)
        return 0;
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
        a->got_reply = 1;
        return 0;
    }
    return 1;
}

/* Sends a 100-byte body one byte per second. */
static void *slow_body_client(void *arg)
{
    struct abuser *a = arg;
    static const char head[] =
        "POST /tam HTTP/1.1\r\nHost: 127.0.0.1\r\n" TEEP_HEADERS
        "Content-Length: 100\r\n\r\n";
    int fd = net_test_connect(a->port);
    if (net_test_send(fd, head, strlen(head)) == 0) {
        atomic_store(&a->ready, 1);
        for (int i = 0; i < 100 && !a->closed; i++) {
            if (net_test_send(fd, "x", 1) != 0 || wait_closed(a, fd))
                a->closed = 1;
            a->sent++;
        }
    }
    atomic_store(&a->ready, 1);
    close(fd);
    return NULL;
}

/* Sends the request line and header fields one byte per second. */
static void *slow_header_client(void *arg)
{
    struct abuser *a = arg;
    static const char head[] =
        "POST /tam HTTP/1.1\r\nHost: 127.0.0.1\r\n" TEEP_HEADERS
        "Content-Length: 0\r\n\r\n";
    int fd = net_test_connect(a->port);
    atomic_store(&a->ready, 1);
    for (size_t i = 0; i < strlen(head) && !a->closed; i++) {
        if (net_test_send(fd, head + i, 1) != 0 || wait_closed(a, fd))
            a->closed = 1;
        a->sent++;
    }
    close(fd);
    return NULL;
}

/* Runs a slow client against a server with a 1.5 s request timeout while
 * another client is served, and checks that the slow one is cut off. */
static void check_slow_client_cut(void *(*client)(void *))
{
    tk_http_server_config cfg;
    default_config(&cfg);
    cfg.request_timeout_ms = 1500;
    tk_http_server *srv = start_with(&cfg);
    uint16_t port = tk_http_server_port(srv);
    struct abuser a = {.port = port};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, client, &a), 0);
    while (!atomic_load(&a.ready))
        usleep(1000);
    char resp[4096];
    post(port, "/tam", TEEP_HEADERS, "ok", 2, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    pthread_join(thread, NULL);
    assert_true(a.closed);
    assert_false(a.got_reply);
    /* Each send is followed by a one-second wait, so the cut came long
     * before the request could have been completed. */
    assert_true(a.sent < 30);
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_int_equal(stats.timed_out, 1);
    tk_http_server_stop(srv);
}

static void slow_body_cut_off(void **state)
{
    (void)state;
    check_slow_client_cut(slow_body_client);
}

static void slow_header_cut_off(void **state)
{
    (void)state;
    check_slow_client_cut(slow_header_client);
}

static void handler_error_gets_500(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char value[64];
    post(tk_http_server_port(srv), "/tam", TEEP_HEADERS, "fail", 4, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 500);
    assert_false(net_test_header(resp, "Content-Type", value, sizeof value));
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_int_equal(stats.handler_errors, 1);
    tk_http_server_stop(srv);
}

static void teep_route_never_redirects(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char value[64];
    post(tk_http_server_port(srv), "/tam", TEEP_HEADERS, "redirect", 8, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 500);
    assert_false(net_test_header(resp, "Location", value, sizeof value));
    tk_http_server_stop(srv);
}

static void teep_route_drops_cookies(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char value[64];
    post(tk_http_server_port(srv), "/tam", TEEP_HEADERS, "cookie", 6, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    assert_false(net_test_header(resp, "Set-Cookie", value, sizeof value));
    tk_http_server_stop(srv);
}

static void plain_route_headers_and_lookup(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char value[128];
    net_test_exchange(tk_http_server_port(srv),
                      "GET /api/devices?q=7 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer token-1\r\n"
                      "Connection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    assert_true(net_test_header(resp, "Content-Type", value, sizeof value));
    assert_string_equal(value, "application/json");
    assert_true(net_test_header(resp, "Cache-Control", value, sizeof value));
    assert_string_equal(value, "no-store");
    assert_true(
        net_test_header(resp, "X-Content-Type-Options", value, sizeof value));
    assert_string_equal(value, "nosniff");
    assert_string_equal(net_test_body(resp), "{\"path\":\"/api/devices\"}");
    pthread_mutex_lock(&seen.lock);
    assert_string_equal(seen.method, "GET");
    assert_string_equal(seen.authorization, "Bearer token-1");
    assert_string_equal(seen.query, "7");
    pthread_mutex_unlock(&seen.lock);
    tk_http_server_stop(srv);
}

static void plain_route_405_lists_methods(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    char resp[4096];
    char value[128];
    net_test_exchange(tk_http_server_port(srv),
                      "PUT /api/devices HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Length: 0\r\nConnection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 405);
    assert_true(net_test_header(resp, "Allow", value, sizeof value));
    assert_string_equal(value, "GET, HEAD, DELETE");
    net_test_exchange(tk_http_server_port(srv),
                      "DELETE /api/devices/3 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Connection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    tk_http_server_stop(srv);
}

struct slow_request {
    uint16_t port;
    char resp[4096];
};

static void *slow_request_main(void *arg)
{
    struct slow_request *r = arg;
    post(r->port, "/tam", TEEP_HEADERS, "slow", 4, r->resp, sizeof r->resp);
    return NULL;
}

static void stop_waits_for_request_in_flight(void **state)
{
    (void)state;
    tk_http_server *srv = start_default();
    struct slow_request r = {.port = tk_http_server_port(srv)};
    atomic_store(&seen.slow_started, 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, slow_request_main, &r), 0);
    while (!atomic_load(&seen.slow_started))
        usleep(1000);
    tk_http_server_stop(srv);
    pthread_join(thread, NULL);
    assert_int_equal(net_test_status(r.resp), 200);
    assert_string_equal(net_test_body(r.resp), "slow");
}

/* Waits until the server reports open connections. */
static void wait_open_connections(tk_http_server *srv, unsigned open)
{
    tk_http_server_stats stats;
    for (int i = 0; i < 5000; i++) {
        tk_http_server_stats_get(srv, &stats);
        if (stats.open_connections == open)
            return;
        usleep(2000);
    }
    fail_msg("the server has %u connections open, expected %u",
             stats.open_connections, open);
}

/*
 * With max_connections held open, libmicrohttpd stops accepting: a further
 * connection waits in the listen queue, unanswered, and is served once a
 * slot frees.
 */
static void connection_limit_enforced(void **state)
{
    (void)state;
    tk_http_server_config cfg;
    default_config(&cfg);
    cfg.max_connections = 2;
    cfg.threads = 1;
    tk_http_server *srv = start_with(&cfg);
    uint16_t port = tk_http_server_port(srv);
    int first = net_test_connect(port);
    int second = net_test_connect(port);
    wait_open_connections(srv, 2);

    static const char request[] =
        "POST /tam HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n";
    int third = net_test_connect(port);
    assert_int_equal(net_test_send(third, request, strlen(request)), 0);
    struct pollfd p = {.fd = third, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 300), 0);
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_int_equal(stats.connections, 2);

    close(first);
    char resp[4096];
    net_test_recv_response(third, resp, sizeof resp, 10000);
    assert_int_equal(net_test_status(resp), 204);
    close(third);
    close(second);
    tk_http_server_stop(srv);
}

static tk_err unused_handler(void *ctx, const tk_net_request *req,
                             tk_net_response *resp)
{
    (void)ctx;
    (void)req;
    (void)resp;
    return TK_OK;
}

static void start_rejects_bad_config(void **state)
{
    (void)state;
    tk_http_server *srv = NULL;
    tk_http_server_config cfg;
    default_config(&cfg);
    cfg.address = "localhost";
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);
    assert_null(srv);

    default_config(&cfg);
    tk_http_route get_teep = {.path = "/tam",
                              .methods = TK_NET_GET,
                              .kind = TK_HTTP_ROUTE_TEEP,
                              .handler = unused_handler};
    cfg.routes = &get_teep;
    cfg.route_count = 1;
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);

    tk_http_route no_slash = {
        .path = "tam", .methods = TK_NET_POST, .handler = unused_handler};
    cfg.routes = &no_slash;
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);

    tk_http_route many[TK_NET_MAX_ROUTES + 1];
    for (size_t i = 0; i < TK_NET_MAX_ROUTES + 1; i++)
        many[i] = (tk_http_route){
            .path = "/tam", .methods = TK_NET_POST, .handler = unused_handler};
    cfg.routes = many;
    cfg.route_count = TK_NET_MAX_ROUTES + 1;
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_ERR_LIMIT);
    assert_null(srv);
}

static void port_in_use_fails(void **state)
{
    (void)state;
    tk_http_server *first = start_default();
    tk_http_server_config cfg;
    default_config(&cfg);
    cfg.port = tk_http_server_port(first);
    tk_http_server *second = NULL;
    assert_int_equal(tk_http_server_start(&cfg, &second), TK_ERR_NET_LISTEN);
    assert_null(second);
    tk_http_server_stop(first);
}

/* ---- Header hook and error bodies of plain routes ---- */

static atomic_int hook_calls;

/* Header hook: lets a request through only with "X-Key: open-sesame";
 * "X-Key: fail" makes it fail. */
static tk_err key_hook(void *ctx, const tk_net_request *req,
                       tk_net_response *resp)
{
    (void)ctx;
    atomic_fetch_add(&hook_calls, 1);
    assert_int_equal(req->body.len, 0);
    const char *key = tk_net_request_header(req, "X-Key");
    if (key != NULL && strcmp(key, "fail") == 0)
        return TK_ERR_INTERNAL;
    if (key != NULL && strcmp(key, "open-sesame") == 0)
        return TK_OK;
    resp->status = 401;
    tk_err err = tk_net_response_add_header(resp, "WWW-Authenticate", "Key");
    if (err != TK_OK)
        return err;
    static const char body[] = "{\"code\":\"unauthorized\"}";
    return tk_net_response_set_body(resp, "application/json", body,
                                    sizeof body - 1);
}

/* Error body naming its status, its origin (ctx) and the path. It also
 * tries to change the status, which the server must ignore. */
static void json_error_body(void *ctx, const tk_net_request *req,
                            unsigned status, tk_net_response *resp)
{
    assert_int_equal(resp->status, status);
    char json[256];
    int n = snprintf(json, sizeof json,
                     "{\"status\":%u,\"from\":\"%s\",\"path\":\"%s\"}",
                     status, (const char *)ctx, req->path);
    assert_int_equal(tk_net_response_set_body(resp, "application/json", json,
                                              (size_t)n),
                     TK_OK);
    resp->status = 200;
}

/* Plain handler of /open/: "/open/fail" fails, anything else is
 * plain_handler's. */
static tk_err open_handler(void *ctx, const tk_net_request *req,
                           tk_net_response *resp)
{
    if (strcmp(req->path, "/open/fail") == 0)
        return TK_ERR_INTERNAL;
    return plain_handler(ctx, req, resp);
}

static const tk_http_route hook_routes[] = {
    {.path = "/tam",
     .methods = TK_NET_POST,
     .kind = TK_HTTP_ROUTE_TEEP,
     .handler = teep_handler},
    {.path = "/locked/*",
     .methods = TK_NET_GET | TK_NET_POST,
     .kind = TK_HTTP_ROUTE_PLAIN,
     .handler = plain_handler,
     .ctx = (void *)"route",
     .on_headers = key_hook,
     .error_body = json_error_body},
    {.path = "/open/*",
     .methods = TK_NET_GET | TK_NET_POST,
     .kind = TK_HTTP_ROUTE_PLAIN,
     .handler = open_handler},
};

static tk_http_server *start_hooked(unsigned request_timeout_ms)
{
    tk_http_server_config cfg;
    default_config(&cfg);
    cfg.routes = hook_routes;
    cfg.route_count = sizeof hook_routes / sizeof hook_routes[0];
    cfg.error_body = json_error_body;
    cfg.error_ctx = (void *)"server";
    if (request_timeout_ms != 0)
        cfg.request_timeout_ms = request_timeout_ms;
    return start_with(&cfg);
}

/* Asserts a reply of status whose JSON body came from json_error_body()
 * with origin from, for path. */
static void assert_error_body(const char *resp, unsigned status,
                              const char *from, const char *path)
{
    char expected[256];
    char value[128];
    assert_int_equal(net_test_status(resp), status);
    snprintf(expected, sizeof expected,
             "{\"status\":%u,\"from\":\"%s\",\"path\":\"%s\"}", status, from,
             path);
    assert_non_null(net_test_body(resp));
    assert_string_equal(net_test_body(resp), expected);
    assert_true(net_test_header(resp, "Content-Type", value, sizeof value));
    assert_string_equal(value, "application/json");
    assert_true(net_test_header(resp, "Cache-Control", value, sizeof value));
    assert_string_equal(value, "no-store");
    assert_true(
        net_test_header(resp, "X-Content-Type-Options", value, sizeof value));
    assert_true(net_test_header(resp, "X-Request-Id", value, sizeof value));
}

#define BIG_UPLOAD ((size_t)50 << 20)

/* A 50 MiB upload without the key, declared or chunked, gets the hook's
 * 401 before its body is read, and nothing of it is buffered. */
static void hook_rejects_upload_before_body(void **state)
{
    (void)state;
    tk_http_server *srv = start_hooked(0);
    uint16_t port = tk_http_server_port(srv);
    int calls = atomic_load(&seen.calls);
    char head[512];
    char resp[4096];
    char value[64];
    const char *keys[] = {"", "X-Key: wrong\r\n"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(head, sizeof head,
                 "POST /locked/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
                 "Content-Length: %zu\r\n\r\n",
                 keys[i], BIG_UPLOAD);
        size_t sent =
            net_test_stream_until_reply(port, head, BIG_UPLOAD, 0, resp, sizeof resp);
        assert_int_equal(net_test_status(resp), 401);
        assert_string_equal(net_test_body(resp), "{\"code\":\"unauthorized\"}");
        assert_true(net_test_header(resp, "WWW-Authenticate", value,
                                    sizeof value));
        assert_string_equal(value, "Key");
        assert_true(sent < BIG_UPLOAD / 2);
    }
    snprintf(head, sizeof head,
             "POST /locked/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "X-Key: wrong\r\nTransfer-Encoding: chunked\r\n\r\n");
    size_t sent = net_test_stream_until_reply(port, head, BIG_UPLOAD, 1, resp,
                                     sizeof resp);
    assert_int_equal(net_test_status(resp), 401);
    assert_true(sent < BIG_UPLOAD / 2);
    assert_int_equal(atomic_load(&seen.calls), calls);
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_int_equal(stats.max_body_buffered, 0);
    assert_int_equal(stats.early_replies, 3);
    assert_int_equal(stats.rejected_too_large, 0);

    /* With the key, the declared length meets the body limit: the route's
     * error body, still before the body is read. */
    snprintf(head, sizeof head,
             "POST /locked/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "X-Key: open-sesame\r\nContent-Length: %zu\r\n\r\n",
             BIG_UPLOAD);
    sent = net_test_stream_until_reply(port, head, BIG_UPLOAD, 0, resp, sizeof resp);
    assert_error_body(resp, 413, "route", "/locked/upload");
    assert_true(sent < BIG_UPLOAD / 2);
    tk_http_server_stats_get(srv, &stats);
    assert_int_equal(stats.max_body_buffered, 0);
    assert_int_equal(stats.rejected_too_large, 1);
    assert_int_equal(atomic_load(&seen.calls), calls);
    tk_http_server_stop(srv);
}

static void hook_passes_good_request(void **state)
{
    (void)state;
    tk_http_server *srv = start_hooked(0);
    uint16_t port = tk_http_server_port(srv);
    int hooks = atomic_load(&hook_calls);
    char resp[4096];
    post(port, "/locked/data", "X-Key: open-sesame\r\n", "hello", 5, resp,
         sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    assert_string_equal(net_test_body(resp), "{\"path\":\"/locked/data\"}");
    pthread_mutex_lock(&seen.lock);
    assert_int_equal(seen.body_len, 5);
    pthread_mutex_unlock(&seen.lock);
    assert_int_equal(atomic_load(&hook_calls), hooks + 1);

    /* Requests without a body pass the hook too. */
    net_test_exchange(port,
                      "GET /locked/a HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Connection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 401);
    net_test_exchange(port,
                      "GET /locked/b HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "X-Key: open-sesame\r\nConnection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 200);
    assert_string_equal(net_test_body(resp), "{\"path\":\"/locked/b\"}");
    assert_int_equal(atomic_load(&hook_calls), hooks + 3);

    /* A failing hook gets a 500 with the route's error body. */
    post(port, "/locked/data", "X-Key: fail\r\n", "hello", 5, resp,
         sizeof resp);
    assert_error_body(resp, 500, "route", "/locked/data");
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_int_equal(stats.handler_errors, 1);
    tk_http_server_stop(srv);
}

static void error_bodies_on_server_replies(void **state)
{
    (void)state;
    tk_http_server *srv = start_hooked(0);
    uint16_t port = tk_http_server_port(srv);
    char resp[8192];
    char value[128];
    net_test_exchange(port,
                      "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Connection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_error_body(resp, 404, "server", "/nowhere");
    net_test_exchange(port,
                      "PUT /locked/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Length: 0\r\nConnection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_error_body(resp, 405, "route", "/locked/x");
    assert_true(net_test_header(resp, "Allow", value, sizeof value));
    assert_string_equal(value, "GET, HEAD, POST");
    net_test_exchange(port,
                      "DELETE /open/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Connection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_error_body(resp, 405, "server", "/open/x");
    post(port, "/open/fail", "", "x", 1, resp, sizeof resp);
    assert_error_body(resp, 500, "server", "/open/fail");

    /* A declared body above the limit, and a chunked one that passes it. */
    char *body = calloc(1, BODY_LIMIT + 1);
    assert_non_null(body);
    post(port, "/open/big", "", body, BODY_LIMIT + 1, resp, sizeof resp);
    assert_error_body(resp, 413, "server", "/open/big");
    free(body);
    static const char chunked[] =
        "POST /open/chunks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    int fd = net_test_connect(port);
    assert_int_equal(net_test_send(fd, chunked, strlen(chunked)), 0);
    assert_int_equal(send_chunked(fd, BODY_LIMIT + 100), 0);
    net_test_recv_response(fd, resp, sizeof resp, 10000);
    close(fd);
    assert_error_body(resp, 413, "server", "/open/chunks");

    /* TEEP routes keep their empty error replies. */
    net_test_exchange(port,
                      "GET /tam HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Connection: close\r\n\r\n",
                      resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 405);
    assert_false(net_test_header(resp, "Content-Type", value, sizeof value));
    assert_true(net_test_header(resp, "Content-Length", value, sizeof value));
    assert_string_equal(value, "0");
    body = calloc(1, BODY_LIMIT + 1);
    assert_non_null(body);
    post(port, "/tam", TEEP_HEADERS, body, BODY_LIMIT + 1, resp, sizeof resp);
    free(body);
    assert_int_equal(net_test_status(resp), 413);
    assert_false(net_test_header(resp, "Content-Type", value, sizeof value));
    post(port, "/tam", TEEP_HEADERS, "fail", 4, resp, sizeof resp);
    assert_int_equal(net_test_status(resp), 500);
    assert_false(net_test_header(resp, "Content-Type", value, sizeof value));
    tk_http_server_stop(srv);
}

/* A plain route's body that stops arriving gets a 408 with the error body
 * before the connection closes. */
static void plain_timeout_gets_408(void **state)
{
    (void)state;
    tk_http_server *srv = start_hooked(1500);
    int calls = atomic_load(&seen.calls);
    int fd = net_test_connect(tk_http_server_port(srv));
    static const char head[] =
        "POST /open/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Length: 100\r\n\r\nx";
    assert_int_equal(net_test_send(fd, head, strlen(head)), 0);
    char resp[4096];
    char value[64];
    net_test_recv_response(fd, resp, sizeof resp, 10000);
    assert_error_body(resp, 408, "server", "/open/slow");
    assert_true(net_test_header(resp, "Connection", value, sizeof value));
    assert_string_equal(value, "close");
    /* The server then closes the connection. */
    char rest[64];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 10000), 1);
    assert_true(recv(fd, rest, sizeof rest, 0) <= 0);
    close(fd);
    assert_int_equal(atomic_load(&seen.calls), calls);
    tk_http_server_stats stats;
    tk_http_server_stats_get(srv, &stats);
    assert_int_equal(stats.timed_out, 1);
    tk_http_server_stop(srv);
}

struct stopper {
    tk_http_server *srv;
    uint16_t port;
};

static void *stop_main(void *arg)
{
    struct stopper *s = arg;
    tk_http_server_stop(s->srv);
    return NULL;
}

/* Returns 1 when a new connection to port is refused. */
static int connection_refused(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int refused = connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0;
    close(fd);
    return refused;
}

/*
 * A request on an open connection while the server stops gets 503 with
 * the error body. A request whose body is still arriving keeps the server
 * waiting meanwhile, and is served once its body is in.
 */
static void stopping_gets_503_with_body(void **state)
{
    (void)state;
    tk_http_server *srv = start_hooked(0);
    struct stopper s = {.srv = srv, .port = tk_http_server_port(srv)};
    int idle = net_test_connect(s.port);
    int slow = net_test_connect(s.port);
    static const char slow_head[] =
        "POST /open/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Length: 4\r\nConnection: close\r\n\r\nab";
    assert_int_equal(net_test_send(slow, slow_head, strlen(slow_head)), 0);
    wait_open_connections(srv, 2);
    /* Stop only once the slow request is in flight. */
    tk_http_server_stats stats;
    for (int i = 0; i < 5000; i++) {
        tk_http_server_stats_get(srv, &stats);
        if (stats.requests == 1)
            break;
        usleep(2000);
    }
    assert_int_equal(stats.requests, 1);
    pthread_t stop_thread;
    assert_int_equal(pthread_create(&stop_thread, NULL, stop_main, &s), 0);
    /* The listening socket closes once stopping has begun. */
    for (int i = 0; i < 5000 && !connection_refused(s.port); i++)
        usleep(2000);
    assert_true(connection_refused(s.port));
    static const char request[] =
        "GET /open/late HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Connection: close\r\n\r\n";
    assert_int_equal(net_test_send(idle, request, strlen(request)), 0);
    char resp[4096];
    net_test_recv_response(idle, resp, sizeof resp, 10000);
    close(idle);
    assert_error_body(resp, 503, "server", "/open/late");
    assert_int_equal(net_test_send(slow, "cd", 2), 0);
    net_test_recv_response(slow, resp, sizeof resp, 10000);
    close(slow);
    assert_int_equal(net_test_status(resp), 200);
    assert_string_equal(net_test_body(resp), "{\"path\":\"/open/slow\"}");
    pthread_join(stop_thread, NULL);
}

static void start_rejects_teep_route_hooks(void **state)
{
    (void)state;
    tk_http_server *srv = NULL;
    tk_http_server_config cfg;
    default_config(&cfg);
    tk_http_route hooked = {.path = "/tam",
                            .methods = TK_NET_POST,
                            .kind = TK_HTTP_ROUTE_TEEP,
                            .handler = teep_handler,
                            .on_headers = key_hook};
    cfg.routes = &hooked;
    cfg.route_count = 1;
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);
    hooked.on_headers = NULL;
    hooked.error_body = json_error_body;
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);
    assert_null(srv);
}

int main(void)
{
    tk_log_set_level(TK_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_post_gets_204),
        cmocka_unit_test(message_gets_200_with_headers),
        cmocka_unit_test(handler_sees_request_fields),
        cmocka_unit_test(wrong_method_gets_405),
        cmocka_unit_test(unknown_path_gets_404),
        cmocka_unit_test(wrong_content_type_gets_415),
        cmocka_unit_test(accept_field_checked),
        cmocka_unit_test(missing_accept_allowed_by_option),
        cmocka_unit_test(body_at_limit_accepted),
        cmocka_unit_test(body_over_limit_gets_413),
        cmocka_unit_test(chunked_body_within_limit),
        cmocka_unit_test(chunked_body_over_limit_gets_413),
        cmocka_unit_test(endless_chunked_body_cut_off),
        cmocka_unit_test(slow_body_cut_off),
        cmocka_unit_test(slow_header_cut_off),
        cmocka_unit_test(handler_error_gets_500),
        cmocka_unit_test(teep_route_never_redirects),
        cmocka_unit_test(teep_route_drops_cookies),
        cmocka_unit_test(plain_route_headers_and_lookup),
        cmocka_unit_test(plain_route_405_lists_methods),
        cmocka_unit_test(stop_waits_for_request_in_flight),
        cmocka_unit_test(connection_limit_enforced),
        cmocka_unit_test(start_rejects_bad_config),
        cmocka_unit_test(port_in_use_fails),
        cmocka_unit_test(hook_rejects_upload_before_body),
        cmocka_unit_test(hook_passes_good_request),
        cmocka_unit_test(error_bodies_on_server_replies),
        cmocka_unit_test(plain_timeout_gets_408),
        cmocka_unit_test(stopping_gets_503_with_body),
        cmocka_unit_test(start_rejects_teep_route_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
