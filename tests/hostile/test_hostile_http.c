/*
 * Hostile HTTP requests to the TAM endpoint: a real TAM (apps/tam) behind
 * the HTTP server of apps/net, listening on 127.0.0.1 with an ephemeral
 * port, reached through raw sockets so that every byte is under test
 * control. Wrong methods, paths, media types and Accept fields, bodies
 * over the limit (declared and chunked), header floods, long URLs, slow
 * headers and slow bodies, and broken framing must each get their status
 * from docs/transport.md, must not reach the TAM handler unless the table
 * says so, and must leave the TAM's sessions and tokens unchanged.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hs_service.h"
#include "ht.h"
#include "http_server.h"

#define MAX_BODY 4096
#define REQUEST_TIMEOUT_MS 1500

static hs_service g_svc;
static tk_http_server *g_http;
static uint16_t g_port;

static int setup(void **state)
{
    (void)state;
    hs_service_open(&g_svc, NULL);
    tk_http_route route;
    memset(&route, 0, sizeof route);
    route.path = "/tam";
    route.methods = TK_NET_POST;
    route.kind = TK_HTTP_ROUTE_TEEP;
    route.max_body = MAX_BODY;
    route.handler = tk_tam_handle;
    route.ctx = g_svc.tam;
    tk_http_server_config cfg;
    tk_http_server_config_init(&cfg);
    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 2;
    cfg.request_timeout_ms = REQUEST_TIMEOUT_MS;
    cfg.idle_timeout_ms = REQUEST_TIMEOUT_MS;
    cfg.routes = &route;
    cfg.route_count = 1;
    assert_int_equal(tk_http_server_start(&cfg, &g_http), TK_OK);
    g_port = tk_http_server_port(g_http);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_http_server_stop(g_http);
    hs_service_close(&g_svc);
    return 0;
}

/* ---- A raw HTTP client ------------------------------------------------ */

typedef struct reply {
    unsigned status; /* 0 when the server closed without a reply */
    char head[8192]; /* status line and header fields */
    size_t body_len;
    bool closed; /* the server closed the connection */
    long elapsed_ms;
} reply;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_local(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(g_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Sends parts one after the other, pausing pause_ms between them, then
 * reads one reply (or the close) for at most wait_ms. */
static void exchange_parts(const char *const *parts, const size_t *lens,
                           size_t count, unsigned pause_ms, unsigned wait_ms,
                           reply *r)
{
    memset(r, 0, sizeof *r);
    int fd = connect_local();
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && pause_ms > 0)
            usleep(pause_ms * 1000u);
        /* Stop sending once the server has replied or closed. */
        struct pollfd ready = {fd, POLLIN, 0};
        if (i > 0 && poll(&ready, 1, 0) > 0)
            break;
        size_t sent = 0;
        while (sent < lens[i]) {
            ssize_t n = send(fd, parts[i] + sent, lens[i] - sent, MSG_NOSIGNAL);
            if (n <= 0)
                break; /* the server may close before reading it all */
            sent += (size_t)n;
        }
    }
    static char buf[1 << 20];
    size_t got = 0;
    long deadline = now_ms() + wait_ms;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (n <= 0) {
            r->closed = true;
            break;
        }
        got += (size_t)n;
        buf[got] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            size_t head = (size_t)(end - buf) + 4;
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            size_t body =
                cl != NULL && cl < end ? (size_t)strtoul(cl + 17, NULL, 10) : 0;
            if (got >= head + body) {
                r->body_len = body;
                break;
            }
        }
    }
    close(fd);
    buf[got] = 0;
    if (got >= 12 && strncmp(buf, "HTTP/1.", 7) == 0)
        r->status = (unsigned)atoi(buf + 9);
    char *end = strstr(buf, "\r\n\r\n");
    size_t head = end != NULL ? (size_t)(end - buf) : got;
    if (head >= sizeof r->head)
        head = sizeof r->head - 1;
    memcpy(r->head, buf, head);
    r->head[head] = 0;
}

static void exchange(const char *request, size_t len, reply *r)
{
    /* A generous bound: it only matters when the server never answers. */
    exchange_parts(&request, &len, 1, 0, 20000, r);
}

/* The header field name of r, or NULL. */
static const char *field(const reply *r, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s:", name);
    const char *p = strcasestr(r->head, key);
    return p != NULL ? p + strlen(key) : NULL;
}

/* ---- The table -------------------------------------------------------- */

typedef struct snapshot {
    hs_service_snapshot store;
    tk_tam_stats tam;
    tk_http_server_stats http;
} snapshot;

static void take(snapshot *s)
{
    hs_service_state(&g_svc, &s->store);
    tk_tam_stats_get(g_svc.tam, &s->tam);
    tk_http_server_stats_get(g_http, &s->http);
}

/* Checks that the request changed no session or token, and whether it
 * reached the TAM handler. */
static void expect_untouched(ht_table *t, const snapshot *before, bool reached,
                             const char *what)
{
    snapshot after;
    take(&after);
    ht_true(t, after.store.sessions == before->store.sessions, what);
    ht_true(t, after.store.tokens == before->store.tokens, what);
    ht_true(t, after.store.consumed == before->store.consumed, what);
    ht_true(t, (after.tam.requests != before->tam.requests) == reached, what);
}

static const char teep_head[] = "POST /tam HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\n"
                                "Accept: application/teep+cbor\r\n";

static void request_table(void **state)
{
    (void)state;
    ht_table table = {"http requests", 0, 0};
    static const char garbage_body[] = "\x82\x02\xa0"; /* [2, {}] */
    char req[1024];
    const struct {
        const char *name;
        const char *request; /* NULL: build from extra below */
        const char *extra;   /* header fields after teep_head */
        const char *body;
        unsigned status;
        bool reaches_handler;
    } cases[] = {
        {"GET", "GET /tam HTTP/1.1\r\nHost: x\r\n\r\n", NULL, NULL, 405, false},
        {"PUT", "PUT /tam HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
         NULL, NULL, 405, false},
        {"DELETE", "DELETE /tam HTTP/1.1\r\nHost: x\r\n\r\n", NULL, NULL, 405,
         false},
        {"OPTIONS", "OPTIONS /tam HTTP/1.1\r\nHost: x\r\n\r\n", NULL, NULL, 405,
         false},
        {"unknown path",
         "POST /tam/x HTTP/1.1\r\nHost: x\r\n"
         "Accept: application/teep+cbor\r\n"
         "Content-Length: 0\r\n\r\n",
         NULL, NULL, 404, false},
        {"text/plain body", NULL,
         "Content-Type: text/plain\r\nContent-Length: 3\r\n", garbage_body, 415,
         false},
        {"body without Content-Type", NULL, "Content-Length: 3\r\n",
         garbage_body, 415, false},
        {"application/cbor body", NULL,
         "Content-Type: application/cbor\r\nContent-Length: 3\r\n",
         garbage_body, 415, false},
        {"teep+cbor with a parameter", NULL,
         "Content-Type: application/teep+cbor; charset=x\r\n"
         "Content-Length: 3\r\n",
         garbage_body, 400, true},
        {"malformed TEEP body", NULL,
         "Content-Type: application/teep+cbor\r\nContent-Length: 3\r\n",
         garbage_body, 400, true},
        {"Content-Length above the limit", NULL,
         "Content-Type: application/teep+cbor\r\n"
         "Content-Length: 1000000\r\n",
         "", 413, false},
        {"Content-Length of 2^64", NULL,
         "Content-Type: application/teep+cbor\r\n"
         "Content-Length: 18446744073709551616\r\n",
         "", 413, false},
        {"negative Content-Length", NULL,
         "Content-Type: application/teep+cbor\r\nContent-Length: -1\r\n", "",
         400, false},
        {"empty POST starts a session", NULL, "Content-Length: 0\r\n", "", 200,
         true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        if (cases[i].request != NULL) {
            len = (size_t)snprintf(req, sizeof req, "%s", cases[i].request);
        } else {
            len = (size_t)snprintf(req, sizeof req, "%s%s\r\n%s", teep_head,
                                   cases[i].extra, cases[i].body);
        }
        snapshot before;
        take(&before);
        reply r;
        exchange(req, len, &r);
        ht_true(&table, r.status == cases[i].status, cases[i].name);
        if (r.status != cases[i].status)
            print_message("%s: status %u\n", cases[i].name, r.status);
        if (cases[i].status == 200) {
            ht_true(&table, r.body_len > 0, cases[i].name);
            continue; /* a session start changes the store */
        }
        expect_untouched(&table, &before, cases[i].reaches_handler,
                         cases[i].name);
        if (cases[i].status == 405) {
            const char *allow = field(&r, "Allow");
            ht_true(&table, allow != NULL && strstr(allow, "POST") != NULL,
                    cases[i].name);
        }
    }

    /* Accept fields that admit no application/teep+cbor. */
    static const char *const accepts[] = {
        NULL, "text/html", "application/teep+cbor;q=0",
        "application/*;q=0, text/*", "application/teep+cose"};
    for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "Accept: %s",
                 accepts[i] ? accepts[i] : "(missing)");
        size_t len;
        if (accepts[i] == NULL)
            len = (size_t)snprintf(req, sizeof req,
                                   "POST /tam HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Length: 0\r\n\r\n");
        else
            len = (size_t)snprintf(req, sizeof req,
                                   "POST /tam HTTP/1.1\r\nHost: x\r\n"
                                   "Accept: %s\r\nContent-Length: 0\r\n\r\n",
                                   accepts[i]);
        snapshot before;
        take(&before);
        reply r;
        exchange(req, len, &r);
        ht_true(&table, r.status == 406, what);
        expect_untouched(&table, &before, false, what);
    }

    /* Reply header fields of the TEEP route. */
    size_t len = (size_t)snprintf(req, sizeof req,
                                  "%sContent-Length: 0\r\n\r\n", teep_head);
    reply r;
    exchange(req, len, &r);
    ht_true(&table, r.status == 200, "reply fields");
    ht_true(&table, field(&r, "Cache-Control") == NULL, "no Cache-Control");
    ht_true(&table, field(&r, "Set-Cookie") == NULL, "no Set-Cookie");
    ht_true(&table, field(&r, "X-Content-Type-Options") != NULL, "nosniff");
    const char *ct = field(&r, "Content-Type");
    ht_true(&table, ct != NULL && strstr(ct, "application/teep+cbor") != NULL,
            "reply media type");
    ht_done(&table);
}

/* Bodies, header fields and URLs beyond the server's limits. */
static void size_limits(void **state)
{
    (void)state;
    ht_table table = {"http sizes", 0, 0};
    static char req[300000];
    snapshot before;
    reply r;
    size_t len;

    /* A chunked body that grows past the route's limit. */
    take(&before);
    len = (size_t)snprintf(req, sizeof req,
                           "%sContent-Type: application/teep+cbor\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n",
                           teep_head);
    for (int i = 0; i < 3; i++) {
        len += (size_t)snprintf(req + len, sizeof req - len, "800\r\n");
        memset(req + len, 'b', 0x800);
        len += 0x800;
        len += (size_t)snprintf(req + len, sizeof req - len, "\r\n");
    }
    len += (size_t)snprintf(req + len, sizeof req - len, "0\r\n\r\n");
    exchange(req, len, &r);
    ht_true(&table, r.status == 413, "chunked body over the limit");
    expect_untouched(&table, &before, false, "chunked body over the limit");

    /* A body exactly at the limit reaches the handler, which rejects it. */
    take(&before);
    len = (size_t)snprintf(req, sizeof req,
                           "%sContent-Type: application/teep+cbor\r\n"
                           "Content-Length: %d\r\n\r\n",
                           teep_head, MAX_BODY);
    memset(req + len, 0xff, MAX_BODY);
    len += MAX_BODY;
    exchange(req, len, &r);
    ht_true(&table, r.status == 400, "body at the limit");
    expect_untouched(&table, &before, true, "body at the limit");

    /* A flood of header fields: libmicrohttpd's per-connection memory
     * pool (32 KiB) ends it before the handler. */
    take(&before);
    len = (size_t)snprintf(req, sizeof req, "%s", teep_head);
    for (int i = 0; i < 5000; i++)
        len += (size_t)snprintf(req + len, sizeof req - len,
                                "X-Flood-%d: %040d\r\n", i, i);
    len += (size_t)snprintf(req + len, sizeof req - len,
                            "Content-Length: 0\r\n\r\n");
    exchange(req, len, &r);
    ht_true(&table,
            r.status == 431 || r.status == 413 || (r.status == 0 && r.closed),
            "header flood");
    if (r.status != 431)
        print_message("header flood: status %u closed %d\n", r.status,
                      r.closed);
    expect_untouched(&table, &before, false, "header flood");

    /* A URL of 100 000 bytes. */
    take(&before);
    len = (size_t)snprintf(req, sizeof req, "POST /tam?");
    memset(req + len, 'q', 100000);
    len += 100000;
    len += (size_t)snprintf(req + len, sizeof req - len,
                            " HTTP/1.1\r\nHost: x\r\n"
                            "Accept: application/teep+cbor\r\n"
                            "Content-Length: 0\r\n\r\n");
    exchange(req, len, &r);
    ht_true(&table,
            r.status == 414 || r.status == 431 || (r.status == 0 && r.closed),
            "100 000-byte URL");
    if (r.status != 414)
        print_message("long URL: status %u closed %d\n", r.status, r.closed);
    expect_untouched(&table, &before, false, "100 000-byte URL");
    ht_done(&table);
}

/* Slow peers: the request timeout cuts them, whatever they send. */
static void slow_peers(void **state)
{
    (void)state;
    ht_table table = {"http slow peers", 0, 0};
    snapshot before;
    reply r;

    /* Header fields one byte at a time, 200 ms apart, never ending. */
    take(&before);
    static const char *bytes[40];
    static size_t lens[40];
    static const char slow_header[] =
        "POST /tam HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaa";
    for (size_t i = 0; i < 40; i++) {
        bytes[i] = slow_header + (i < sizeof slow_header - 1 ? i : 0);
        lens[i] = 1;
    }
    /* The 40 bytes take 8 s to send; the server's counter shows whether
     * its request timeout, not its idle timeout, closed the connection. */
    exchange_parts(bytes, lens, 40, 200, REQUEST_TIMEOUT_MS + 10000, &r);
    ht_true(&table, r.closed, "slow header fields are cut");
    snapshot after;
    take(&after);
    ht_true(&table, after.http.timed_out > before.http.timed_out,
            "slow header fields counted as timed out");
    expect_untouched(&table, &before, false, "slow header fields");

    /* A complete header, then a body one byte at a time. */
    take(&before);
    char head[256];
    size_t hl = (size_t)snprintf(head, sizeof head,
                                 "%sContent-Type: application/teep+cbor\r\n"
                                 "Content-Length: 100\r\n\r\n",
                                 teep_head);
    static const char body[100] = {0};
    bytes[0] = head;
    lens[0] = hl;
    for (size_t i = 1; i < 40; i++) {
        bytes[i] = body;
        lens[i] = 1;
    }
    exchange_parts(bytes, lens, 40, 200, REQUEST_TIMEOUT_MS + 10000, &r);
    ht_true(&table, r.closed, "slow body is cut");
    ht_true(&table, r.status == 0, "slow body gets no reply");
    take(&after);
    ht_true(&table, after.http.timed_out > before.http.timed_out,
            "slow body counted as timed out");
    expect_untouched(&table, &before, false, "slow body");
    ht_done(&table);
}

/* Broken framing: garbage, two lengths, a body shorter than declared. */
static void broken_framing(void **state)
{
    (void)state;
    ht_table table = {"http framing", 0, 0};
    const struct {
        const char *name;
        const char *request;
        unsigned status; /* 0: closed without a reply */
        bool reaches_handler;
    } cases[] = {
        {"TLS record", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0,
         false},
        {"no version", "POST /tam\r\n\r\n", 400, false},
        {"Content-Length and chunked",
         "POST /tam HTTP/1.1\r\nHost: x\r\n"
         "Accept: application/teep+cbor\r\n"
         "Content-Type: application/teep+cbor\r\n"
         "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3\r\n\x82\x02\xa0\r\n0\r\n\r\n",
         400, true}, /* chunked wins (RFC 9112 section 6.3); the TAM
                        rejects the body */
        {"two Content-Length fields",
         "POST /tam HTTP/1.1\r\nHost: x\r\n"
         "Accept: application/teep+cbor\r\n"
         "Content-Type: application/teep+cbor\r\n"
         "Content-Length: 3\r\nContent-Length: 4\r\n\r\n\x82\x02\xa0\x00",
         /* NOTE: libmicrohttpd 0.9.75 passes a request with two different
          * Content-Length values to the handler; RFC 9112 section 6.3
          * asks for a 400 before it. The TAM rejects the body. */
         400, true},
        {"bad chunk size",
         "POST /tam HTTP/1.1\r\nHost: x\r\n"
         "Accept: application/teep+cbor\r\n"
         "Content-Type: application/teep+cbor\r\n"
         "Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
         400, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snapshot before;
        take(&before);
        reply r;
        exchange(cases[i].request, strlen(cases[i].request), &r);
        ht_true(&table, r.status == cases[i].status, cases[i].name);
        if (r.status != cases[i].status)
            print_message("%s: status %u closed %d\n", cases[i].name, r.status,
                          r.closed);
        ht_true(&table, r.status != 0 || r.closed, cases[i].name);
        expect_untouched(&table, &before, cases[i].reaches_handler,
                         cases[i].name);
    }
    /* The server still serves after all of it. */
    char req[256];
    size_t len = (size_t)snprintf(req, sizeof req,
                                  "%sContent-Length: 0\r\n\r\n", teep_head);
    reply r;
    exchange(req, len, &r);
    ht_true(&table, r.status == 200, "still serving");
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_table),
        cmocka_unit_test(size_limits),
        cmocka_unit_test(slow_peers),
        cmocka_unit_test(broken_framing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
