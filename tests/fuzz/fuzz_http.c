/*
 * Fuzz target of the HTTP server (apps/net) on its TEEP route: request
 * parsing by libmicrohttpd, then teepkit's routing, method, media type,
 * Accept and size checks, and a handler that decodes the body as a TEEP
 * message and echoes it.
 *
 * NOTE: apps/tam has no build yet, so the TAM's own handler is not behind
 * this route; add a mode for tk_tam_handle() once it builds.
 *
 * One server listens on 127.0.0.1 with an ephemeral port for the whole
 * run. Each input is sent as raw bytes on a new connection, the write side
 * is shut, and the reply is read until the server closes (at most 3 s).
 * Checked: the server always replies or closes (no hang), a reply starts
 * with a status line whose code is one that docs/transport.md lists, and a
 * reply on the TEEP route never carries Set-Cookie, Location or
 * Cache-Control.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_server.h"
#include "log.h"
#include "teepkit/teep.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static tk_http_server *g_server;
static uint16_t g_port;

static tk_err echo_teep(void *ctx, const tk_net_request *req,
                        tk_net_response *resp)
{
    (void)ctx;
    static __thread tk_teep_message msg;
    if (req->body.len == 0)
        return TK_OK; /* 204: a session start with nothing to send */
    if (tk_teep_decode(req->body.ptr, req->body.len, &msg, NULL) != TK_OK) {
        resp->status = 400;
        return TK_OK;
    }
    return tk_net_response_set_body(resp, NULL, req->body.ptr, req->body.len);
}

static tk_err echo_plain(void *ctx, const tk_net_request *req,
                         tk_net_response *resp)
{
    (void)ctx;
    const char *q = tk_net_request_query(req, "q");
    const char *h = tk_net_request_header(req, "X-Test");
    tk_err err = tk_net_response_add_header(resp, "X-Echo", h ? h : "-");
    if (err != TK_OK && err != TK_ERR_NET_HEADER)
        return err;
    return tk_net_response_set_body(resp, "text/plain", q ? q : "",
                                    q ? strlen(q) : 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    tk_log_set_level(TK_LOG_OFF);
    static const tk_http_route routes[] = {
        {"/tam", TK_NET_POST, TK_HTTP_ROUTE_TEEP, 4096, echo_teep, NULL},
        {"/api/*", TK_NET_GET | TK_NET_POST, TK_HTTP_ROUTE_PLAIN, 1024,
         echo_plain, NULL},
    };
    tk_http_server_config cfg;
    tk_http_server_config_init(&cfg);
    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 1;
    cfg.request_timeout_ms = 2000;
    cfg.idle_timeout_ms = 2000;
    cfg.routes = routes;
    cfg.route_count = sizeof routes / sizeof routes[0];
    if (tk_http_server_start(&cfg, &g_server) != TK_OK)
        abort();
    g_port = tk_http_server_port(g_server);
    return 0;
}

static bool status_known(int code)
{
    static const int known[] = {200, 204, 400, 404, 405, 406, 408, 413,
                                414, 415, 417, 431, 500, 501, 503, 505};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i] == code)
            return true;
    return false;
}

/* Tells whether out[0..len) contains a whole reply: the header and, when it
 * names a Content-Length, that many body bytes. */
static bool reply_complete(const char *out, size_t len)
{
    const char *end = memmem(out, len, "\r\n\r\n", 4);
    if (end == NULL)
        return false;
    size_t header = (size_t)(end - out) + 4;
    const char *cl = memmem(out, header, "\r\nContent-Length:", 17);
    if (cl == NULL)
        return true;
    size_t body = (size_t)strtoul(cl + 17, NULL, 10);
    return len >= header + body;
}

/* Sends data and reads the first reply into out; returns its length. */
static size_t exchange(const uint8_t *data, size_t size, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(g_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may close early, e.g. after a 413 */
        sent += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    while (!reply_complete(out, got)) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, 3000);
        /* The server's request timeout is 2 s: a reply or a close must
         * come before 3 s. */
        CHECK(r > 0);
        ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == cap - 1)
            break;
    }
    close(fd);
    out[got] = 0;
    return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    static char reply[65536];
    size_t n = exchange(data, size, reply, sizeof reply);
    if (n == 0)
        return 0; /* closed without a reply: allowed for garbage */
    CHECK(n >= 12);
    CHECK(memcmp(reply, "HTTP/1.", 7) == 0);
    int code = atoi(reply + 9);
    CHECK(status_known(code));
    char *end = strstr(reply, "\r\n\r\n");
    static const char teep_line[] = "POST /tam HTTP/1.";
    if (end != NULL && size >= sizeof teep_line - 1 &&
        memcmp(data, teep_line, sizeof teep_line - 1) == 0) {
        *end = 0;
        CHECK(strcasestr(reply, "\r\nSet-Cookie:") == NULL);
        CHECK(strcasestr(reply, "\r\nLocation:") == NULL);
        CHECK(strcasestr(reply, "\r\nCache-Control:") == NULL);
    }
    return 0;
}
