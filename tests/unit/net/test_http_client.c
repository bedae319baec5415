/*
 * Tests of the HTTP client against the teepkit HTTP server (with routes
 * that misbehave on purpose) and against raw scripted servers.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_client.h"
#include "http_server.h"
#include "log.h"
#include "net_test_util.h"

static struct {
    pthread_mutex_t lock;
    atomic_int teep_calls;
    char content_type[64];
    char accept[64];
    char cookie[64];
    char user_agent[64];
} seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void copy_text(char *out, size_t cap, const char *text)
{
    snprintf(out, cap, "%s", text != NULL ? text : "");
}

static void record(const tk_net_request *req)
{
    pthread_mutex_lock(&seen.lock);
    copy_text(seen.content_type, sizeof seen.content_type, req->content_type);
    copy_text(seen.accept, sizeof seen.accept,
              tk_net_request_header(req, "Accept"));
    copy_text(seen.cookie, sizeof seen.cookie,
              tk_net_request_header(req, "Cookie"));
    copy_text(seen.user_agent, sizeof seen.user_agent,
              tk_net_request_header(req, "User-Agent"));
    pthread_mutex_unlock(&seen.lock);
}

/* TEEP route: echoes the body; "fail" makes it return an error. */
static tk_err echo_handler(void *ctx, const tk_net_request *req,
                           tk_net_response *resp)
{
    (void)ctx;
    record(req);
    atomic_fetch_add(&seen.teep_calls, 1);
    if (req->body.len == 4 && memcmp(req->body.ptr, "fail", 4) == 0)
        return TK_ERR_INTERNAL;
    if (req->body.len == 0)
        return TK_OK;
    return tk_net_response_set_body(resp, NULL, req->body.ptr, req->body.len);
}

/* Plain routes that break the TEEP rules: the path selects the fault. */
static tk_err rogue_handler(void *ctx, const tk_net_request *req,
                            tk_net_response *resp)
{
    (void)ctx;
    record(req);
    const char *path = req->path;
    if (strcmp(path, "/redirect") == 0) {
        resp->status = 302;
        return tk_net_response_add_header(resp, "Location", "/tam");
    }
    if (strcmp(path, "/type/json") == 0)
        return tk_net_response_set_body(resp, "application/json", "{}", 2);
    if (strcmp(path, "/type/cose") == 0)
        return tk_net_response_set_body(resp, TK_NET_MEDIA_TEEP_COSE, "\x84",
                                        1);
    if (strcmp(path, "/ok-empty") == 0) {
        resp->status = 200;
        return TK_OK;
    }
    if (strcmp(path, "/cookie") == 0) {
        tk_err err =
            tk_net_response_add_header(resp, "Set-Cookie", "session=1; Path=/");
        if (err != TK_OK)
            return err;
        return tk_net_response_set_body(resp, TK_NET_MEDIA_TEEP, "\xa0", 1);
    }
    if (strcmp(path, "/big") == 0) {
        const char *n_text = tk_net_request_query(req, "n");
        size_t n = n_text != NULL ? strtoul(n_text, NULL, 10) : 0;
        uint8_t *body = malloc(n + 1);
        if (body == NULL)
            return TK_ERR_NET_NO_MEMORY;
        memset(body, 0x42, n);
        return tk_net_response_take_body(resp, TK_NET_MEDIA_TEEP, body, n);
    }
    resp->status = 404;
    return TK_OK;
}

static const tk_http_route routes[] = {
    {.path = "/tam",
     .methods = TK_NET_POST,
     .kind = TK_HTTP_ROUTE_TEEP,
     .handler = echo_handler},
    {.path = "/*",
     .methods = TK_NET_POST,
     .kind = TK_HTTP_ROUTE_PLAIN,
     .handler = rogue_handler},
};

static tk_http_server *server;
static char base_url[64];

static int start_server(void **state)
{
    (void)state;
    tk_http_server_config cfg;
    tk_http_server_config_init(&cfg);
    cfg.threads = 2;
    cfg.routes = routes;
    cfg.route_count = sizeof routes / sizeof routes[0];
    if (tk_http_server_start(&cfg, &server) != TK_OK)
        return -1;
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u",
             (unsigned)tk_http_server_port(server));
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    tk_http_server_stop(server);
    return 0;
}

static const char *url(const char *path)
{
    static char text[128];
    snprintf(text, sizeof text, "%s%s", base_url, path);
    return text;
}

static tk_http_client *new_client(size_t max_response, int accept_cose)
{
    tk_http_client_config cfg;
    tk_http_client_config_init(&cfg);
    cfg.timeout_ms = 20000;
    if (max_response != 0)
        cfg.max_response = max_response;
    cfg.accept_teep_cose = accept_cose;
    tk_http_client *client = NULL;
    assert_int_equal(tk_http_client_new(&cfg, &client), TK_OK);
    assert_non_null(client);
    return client;
}

static void empty_post_ends_session(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, url("/tam"), NULL, 0, &reply),
                     TK_OK);
    assert_int_equal(reply.status, 204);
    assert_int_equal(reply.done, 1);
    assert_int_equal(reply.body.len, 0);
    pthread_mutex_lock(&seen.lock);
    /* An empty POST carries Accept but no Content-Type. */
    assert_string_equal(seen.accept, "application/teep+cbor");
    assert_string_equal(seen.content_type, "");
    assert_string_equal(seen.user_agent, "teepkit");
    pthread_mutex_unlock(&seen.lock);
    tk_http_client_free(client);
}

static void message_round_trip(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    static const uint8_t msg[] = {0x83, 0x02, 0xa1, 0x14, 0x41, 0x07, 0x80};
    tk_net_reply reply;
    assert_int_equal(
        tk_http_client_post(client, url("/tam"), msg, sizeof msg, &reply),
        TK_OK);
    assert_int_equal(reply.status, 200);
    assert_int_equal(reply.done, 0);
    assert_string_equal(reply.content_type, "application/teep+cbor");
    assert_int_equal(reply.body.len, sizeof msg);
    assert_memory_equal(reply.body.ptr, msg, sizeof msg);
    pthread_mutex_lock(&seen.lock);
    assert_string_equal(seen.content_type, "application/teep+cbor");
    assert_string_equal(seen.accept, "application/teep+cbor");
    pthread_mutex_unlock(&seen.lock);
    tk_http_client_free(client);
}

static void large_message_round_trip(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    size_t len = 100 * 1024;
    uint8_t *msg = malloc(len);
    assert_non_null(msg);
    for (size_t i = 0; i < len; i++)
        msg[i] = (uint8_t)(i * 7);
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, url("/tam"), msg, len, &reply),
                     TK_OK);
    assert_int_equal(reply.body.len, len);
    assert_memory_equal(reply.body.ptr, msg, len);
    free(msg);
    tk_http_client_free(client);
}

static void session_reuses_connection(void **state)
{
    (void)state;
    tk_http_server_stats before;
    tk_http_server_stats after;
    tk_http_server_stats_get(server, &before);
    tk_http_client *client = new_client(0, 0);
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, url("/tam"), NULL, 0, &reply),
                     TK_OK);
    assert_int_equal(tk_http_client_post(client, url("/tam"),
                                         (const uint8_t *)"a", 1, &reply),
                     TK_OK);
    assert_int_equal(tk_http_client_post(client, url("/tam"), NULL, 0, &reply),
                     TK_OK);
    tk_http_server_stats_get(server, &after);
    assert_int_equal(after.connections - before.connections, 1);
    assert_int_equal(after.requests - before.requests, 3);
    tk_http_client_free(client);
}

static void redirect_not_followed(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    int calls = atomic_load(&seen.teep_calls);
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, url("/redirect"),
                                         (const uint8_t *)"x", 1, &reply),
                     TK_ERR_NET_REDIRECT);
    assert_int_equal(reply.status, 302);
    assert_int_equal(reply.done, 0);
    assert_int_equal(atomic_load(&seen.teep_calls), calls);
    tk_http_client_free(client);
}

static void wrong_content_type_rejected(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_http_client_post(client, url("/type/json"), NULL, 0, &reply),
        TK_ERR_NET_CONTENT_TYPE);
    assert_int_equal(reply.status, 200);
    assert_string_equal(reply.content_type, "application/json");
    assert_int_equal(reply.done, 0);
    tk_http_client_free(client);
}

static void teep_cose_only_with_option(void **state)
{
    (void)state;
    tk_http_client *strict = new_client(0, 0);
    tk_http_client *tolerant = new_client(0, 1);
    tk_net_reply reply;
    assert_int_equal(
        tk_http_client_post(strict, url("/type/cose"), NULL, 0, &reply),
        TK_ERR_NET_CONTENT_TYPE);
    assert_int_equal(
        tk_http_client_post(tolerant, url("/type/cose"), NULL, 0, &reply),
        TK_OK);
    assert_string_equal(reply.content_type, "application/teep+cose");
    assert_int_equal(reply.body.len, 1);
    /* The option does not open the door to other types. */
    assert_int_equal(
        tk_http_client_post(tolerant, url("/type/json"), NULL, 0, &reply),
        TK_ERR_NET_CONTENT_TYPE);
    tk_http_client_free(strict);
    tk_http_client_free(tolerant);
}

static void success_without_body_is_done(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_http_client_post(client, url("/ok-empty"), NULL, 0, &reply), TK_OK);
    assert_int_equal(reply.status, 200);
    assert_int_equal(reply.done, 1);
    tk_http_client_free(client);
}

static void response_size_limit(void **state)
{
    (void)state;
    tk_http_client *client = new_client(1000, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_http_client_post(client, url("/big?n=1000"), NULL, 0, &reply),
        TK_OK);
    assert_int_equal(reply.body.len, 1000);
    assert_int_equal(
        tk_http_client_post(client, url("/big?n=1001"), NULL, 0, &reply),
        TK_ERR_NET_TOO_LARGE);
    assert_int_equal(reply.body.len, 0);
    /* The client stays usable after an aborted transfer. */
    assert_int_equal(tk_http_client_post(client, url("/tam"), NULL, 0, &reply),
                     TK_OK);
    assert_int_equal(reply.done, 1);
    tk_http_client_free(client);
}

static void chunked_response_size_limit(void **state)
{
    (void)state;
    /* A chunked reply declares no length, so the client has to count. */
    size_t cap = 4096;
    char *text = malloc(cap);
    assert_non_null(text);
    int used = snprintf(text, cap,
                        "HTTP/1.1 200 OK\r\n"
                        "Content-Type: application/teep+cbor\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        used += snprintf(text + used, cap - (size_t)used, "200\r\n");
        memset(text + used, 'b', 512);
        used += 512;
        used += snprintf(text + used, cap - (size_t)used, "\r\n");
    }
    used += snprintf(text + used, cap - (size_t)used, "0\r\n\r\n");
    net_test_mock mock;
    net_test_mock_start(&mock, text, (size_t)used);
    tk_http_client *client = new_client(1000, 0);
    char mock_url[64];
    snprintf(mock_url, sizeof mock_url, "http://127.0.0.1:%u/tam",
             (unsigned)mock.port);
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, mock_url, NULL, 0, &reply),
                     TK_ERR_NET_TOO_LARGE);
    tk_http_client_free(client);
    net_test_mock_stop(&mock);
    free(text);
}

static void error_status_reported(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, url("/tam"),
                                         (const uint8_t *)"fail", 4, &reply),
                     TK_ERR_NET_STATUS);
    assert_int_equal(reply.status, 500);
    assert_int_equal(
        tk_http_client_post(client, url("/missing"), NULL, 0, &reply),
        TK_ERR_NET_STATUS);
    assert_int_equal(reply.status, 404);
    assert_int_equal(reply.done, 0);
    tk_http_client_free(client);
}

static void cookies_never_sent(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_http_client_post(client, url("/cookie"), NULL, 0, &reply), TK_OK);
    assert_int_equal(
        tk_http_client_post(client, url("/cookie"), NULL, 0, &reply), TK_OK);
    pthread_mutex_lock(&seen.lock);
    assert_string_equal(seen.cookie, "");
    pthread_mutex_unlock(&seen.lock);
    tk_http_client_free(client);
}

static void connection_refused(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    char refused[64];
    snprintf(refused, sizeof refused, "http://127.0.0.1:%u/tam",
             (unsigned)net_test_free_port());
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, refused, NULL, 0, &reply),
                     TK_ERR_NET_CONNECT);
    assert_int_equal(reply.status, 0);
    tk_http_client_free(client);
}

static void silent_server_times_out(void **state)
{
    (void)state;
    net_test_mock mock;
    net_test_mock_start(&mock, NULL, 0);
    tk_http_client_config cfg;
    tk_http_client_config_init(&cfg);
    cfg.timeout_ms = 500;
    tk_http_client *client = NULL;
    assert_int_equal(tk_http_client_new(&cfg, &client), TK_OK);
    char mock_url[64];
    snprintf(mock_url, sizeof mock_url, "http://127.0.0.1:%u/tam",
             (unsigned)mock.port);
    tk_net_reply reply;
    assert_int_equal(
        tk_http_client_post(client, mock_url, (const uint8_t *)"x", 1, &reply),
        TK_ERR_NET_TIMEOUT);
    tk_http_client_free(client);
    net_test_mock_stop(&mock);
    assert_non_null(strstr(mock.request, "POST /tam HTTP/1.1\r\n"));
}

static void unsupported_urls_rejected(void **state)
{
    (void)state;
    tk_http_client *client = new_client(0, 0);
    tk_net_reply reply;
    assert_int_equal(
        tk_http_client_post(client, "ftp://127.0.0.1/tam", NULL, 0, &reply),
        TK_ERR_NET_URL);
    assert_int_equal(
        tk_http_client_post(client, "coap://127.0.0.1/tam", NULL, 0, &reply),
        TK_ERR_NET_URL);
    assert_int_equal(
        tk_http_client_post(client, "127.0.0.1/tam", NULL, 0, &reply),
        TK_ERR_NET_URL);
    assert_int_equal(tk_http_client_post(client, "http://", NULL, 0, &reply),
                     TK_ERR_NET_URL);
    assert_int_equal(tk_http_client_post(client, url("/tam"), NULL, 1, &reply),
                     TK_ERR_INVALID_ARG);
    tk_http_client_free(client);
}

static void config_checked(void **state)
{
    (void)state;
    tk_http_client_config cfg;
    tk_http_client_config_init(&cfg);
    cfg.max_response = 0;
    tk_http_client *client = NULL;
    assert_int_equal(tk_http_client_new(&cfg, &client), TK_ERR_NET_CONFIG);
    assert_null(client);
    assert_int_equal(tk_http_client_new(NULL, &client), TK_ERR_INVALID_ARG);
}

int main(void)
{
    tk_log_set_level(TK_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_post_ends_session),
        cmocka_unit_test(message_round_trip),
        cmocka_unit_test(large_message_round_trip),
        cmocka_unit_test(session_reuses_connection),
        cmocka_unit_test(redirect_not_followed),
        cmocka_unit_test(wrong_content_type_rejected),
        cmocka_unit_test(teep_cose_only_with_option),
        cmocka_unit_test(success_without_body_is_done),
        cmocka_unit_test(response_size_limit),
        cmocka_unit_test(chunked_response_size_limit),
        cmocka_unit_test(error_status_reported),
        cmocka_unit_test(cookies_never_sent),
        cmocka_unit_test(connection_refused),
        cmocka_unit_test(silent_server_times_out),
        cmocka_unit_test(unsupported_urls_rejected),
        cmocka_unit_test(config_checked),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
