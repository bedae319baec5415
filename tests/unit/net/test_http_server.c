/*
 * Tests of the HTTP server: TEEP-over-HTTP statuses and header fields,
 * routing, body limits, request timeouts and stopping. Requests are written
 * byte by byte over raw sockets so that every header field is under the
 * test's control.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
