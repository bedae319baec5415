/*
 * The pause before a retry follows the server's request: an HTTP
 * Retry-After field (RFC 9110 section 10.2.3) or the Max-Age option of a
 * CoAP 5.03 (RFC 7252 section 5.9.3.4), at most
 * TK_AGENT_MAX_RETRY_DELAY_MS; without one, or with one that is malformed
 * or too large to read, the agent's own backoff. Sessions run against
 * mock servers on 127.0.0.1 through the real HTTP and CoAP clients, and
 * the pauses are counted through tk_agent_set_pause() instead of taken.
 */
#define _XOPEN_SOURCE 700

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_internal.h"
#include "coap_client.h"
#include "http_client.h"
#include "http_server.h"
#include "log.h"

/* ---------------------------------------------------------------------- */
/* Fixture: an agent store and the pauses the agent asked for             */
/* ---------------------------------------------------------------------- */

#define MAX_STEPS 8

/* What the mock server replies to one POST. */
typedef struct step {
    unsigned status;
    const char *retry_after; /* HTTP field value, or NULL for none */
    int max_age;             /* CoAP Max-Age seconds, -1 for none */
} step;

typedef struct fixture {
    char dir[64];
    char store[96];
    tk_agent *agent;
    unsigned pauses[MAX_STEPS];
    size_t pause_count;
    /* The mock server's script. */
    pthread_mutex_t lock;
    const step *steps;
    size_t step_count;
    size_t posts;
} fixture;

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void count_pause(void *ctx, unsigned ms)
{
    fixture *f = ctx;

    assert_true(f->pause_count < MAX_STEPS);
    f->pauses[f->pause_count++] = ms;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_agent_init_options init;
    tk_agent_options o;
    char msg[256] = "";

    assert_non_null(f);
    strcpy(f->dir, "/tmp/tk-agent-retry-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
    memset(&init, 0, sizeof(init));
    init.store_dir = f->store;
    assert_int_equal(tk_agent_init_store(tk_crypto_openssl(), &init, msg,
                                         sizeof(msg)),
                     TK_OK);
    memset(&o, 0, sizeof(o));
    o.store_dir = f->store;
    assert_int_equal(tk_agent_open(&o, &f->agent, msg, sizeof(msg)), TK_OK);
    tk_agent_set_pause(f->agent, count_pause, f);
    pthread_mutex_init(&f->lock, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    tk_agent_close(f->agent);
    pthread_mutex_destroy(&f->lock);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Returns the step of the next POST; the last one repeats. */
static step next_step(fixture *f)
{
    step s;

    pthread_mutex_lock(&f->lock);
    s = f->steps[f->posts < f->step_count ? f->posts : f->step_count - 1];
    f->posts++;
    pthread_mutex_unlock(&f->lock);
    return s;
}

static void script(fixture *f, const step *steps, size_t count)
{
    f->steps = steps;
    f->step_count = count;
    f->posts = 0;
    f->pause_count = 0;
}

/* ---------------------------------------------------------------------- */
/* HTTP                                                                   */
/* ---------------------------------------------------------------------- */

static tk_err http_handler(void *ctx, const tk_net_request *req,
                           tk_net_response *resp)
{
    step s = next_step(ctx);

    (void)req;
    resp->status = s.status;
    if (s.retry_after != NULL)
        return tk_net_response_add_header(resp, "Retry-After",
                                          s.retry_after);
    return TK_OK;
}

typedef struct http_transport {
    tk_http_client *client;
    char url[64];
} http_transport;

static tk_err http_post(void *ctx, const uint8_t *body, size_t len,
                        tk_net_reply *reply)
{
    http_transport *t = ctx;

    return tk_http_client_post(t->client, t->url, body, len, reply);
}

/* Runs one session of f's agent against a mock HTTP server on 127.0.0.1
 * that replies with steps. */
static void http_session(fixture *f, const step *steps, size_t count,
                         tk_agent_session *s)
{
    tk_http_server_config cfg;
    tk_http_route route;
    tk_http_server *srv = NULL;
    tk_http_client_config ccfg;
    http_transport t;

    memset(&route, 0, sizeof(route));
    route.path = "/tam";
    route.methods = TK_NET_POST;
    route.kind = TK_HTTP_ROUTE_PLAIN;
    route.handler = http_handler;
    route.ctx = f;
    tk_http_server_config_init(&cfg);
    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 1;
    cfg.routes = &route;
    cfg.route_count = 1;
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_OK);
    tk_http_client_config_init(&ccfg);
    assert_int_equal(tk_http_client_new(&ccfg, &t.client), TK_OK);
    snprintf(t.url, sizeof(t.url), "http://127.0.0.1:%u/tam",
             (unsigned)tk_http_server_port(srv));
    script(f, steps, count);
    tk_agent_run_session(f->agent, http_post, &t, s);
    tk_http_client_free(t.client);
    tk_http_server_stop(srv);
}

/* A 503 with Retry-After: 1 makes the agent pause one second, once. */
static void http_retry_after_seconds(void **state)
{
    static const step steps[] = {{503, "1", -1}, {204, NULL, -1}};
    fixture *f = *state;
    tk_agent_session s;

    assert_int_equal(tk_agent_set_retry(f->agent, 3, 5), TK_OK);
    http_session(f, steps, 2, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_OK);
    assert_int_equal(s.reason, TK_OK);
    assert_int_equal(f->posts, 2);
    assert_int_equal(s.retries, 1);
    assert_int_equal(s.retry_after_used, 1);
    assert_int_equal(f->pause_count, 1);
    assert_int_equal(f->pauses[0], 1000);
}

/* Retry-After never adds retries: after the last one the 503 is the
 * session's failure. */
static void http_retry_after_keeps_the_limit(void **state)
{
    static const step steps[] = {{503, "1", -1}};
    fixture *f = *state;
    tk_agent_session s;

    assert_int_equal(tk_agent_set_retry(f->agent, 3, 5), TK_OK);
    http_session(f, steps, 1, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_TRANSPORT);
    assert_int_equal(s.reason, TK_ERR_NET_STATUS);
    assert_int_equal(s.status, 503);
    assert_int_equal(f->posts, 4);
    assert_int_equal(s.retries, 3);
    assert_int_equal(s.retry_after_used, 3);
    assert_int_equal(f->pause_count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(f->pauses[i], 1000);
}

/* A pause longer than the agent's longest is cut to the longest. */
static void http_retry_after_capped(void **state)
{
    static const step steps[] = {{503, "3600", -1}, {204, NULL, -1}};
    fixture *f = *state;
    tk_agent_session s;

    assert_int_equal(tk_agent_set_retry(f->agent, 1, 5), TK_OK);
    http_session(f, steps, 2, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_OK);
    assert_int_equal(f->pause_count, 1);
    assert_int_equal(f->pauses[0], TK_AGENT_MAX_RETRY_DELAY_MS);
}

/* A malformed value, or one too large to read, leaves the backoff of the
 * agent (5, 10 and 20 ms here); so does a 503 without the field. */
static void http_retry_after_malformed_falls_back(void **state)
{
    static const step steps[] = {
        {503, "soon", -1},
        {503, "99999999999999999999", -1},
        {503, "4294967296", -1},
        {204, NULL, -1},
    };
    static const step mixed[] = {
        {503, "2", -1}, {503, NULL, -1}, {503, "-1", -1}, {204, NULL, -1}};
    fixture *f = *state;
    tk_agent_session s;

    assert_int_equal(tk_agent_set_retry(f->agent, 3, 5), TK_OK);
    http_session(f, steps, 4, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_OK);
    assert_int_equal(f->posts, 4);
    assert_int_equal(s.retry_after_used, 0);
    assert_int_equal(f->pause_count, 3);
    assert_int_equal(f->pauses[0], 5);
    assert_int_equal(f->pauses[1], 10);
    assert_int_equal(f->pauses[2], 20);
    /* The backoff goes on doubling behind a pause that the server set. */
    http_session(f, mixed, 4, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_OK);
    assert_int_equal(s.retry_after_used, 1);
    assert_int_equal(f->pause_count, 3);
    assert_int_equal(f->pauses[0], 2000);
    assert_int_equal(f->pauses[1], 10);
    assert_int_equal(f->pauses[2], 20);
}

/* An HTTP-date in the past requests no pause at all. */
static void http_retry_after_date_in_the_past(void **state)
{
    static const step steps[] = {
        {503, "Sun, 06 Nov 1994 08:49:37 GMT", -1}, {204, NULL, -1}};
    fixture *f = *state;
    tk_agent_session s;

    assert_int_equal(tk_agent_set_retry(f->agent, 1, 5), TK_OK);
    http_session(f, steps, 2, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_OK);
    assert_int_equal(s.retry_after_used, 1);
    assert_int_equal(f->pause_count, 1);
    assert_int_equal(f->pauses[0], 0);
}

/* The parser against a fixed clock: 784111777 is
 * Sun, 06 Nov 1994 08:49:37 GMT, the example of RFC 9110 section 5.6.7. */
static void retry_after_parse(void **unused)
{
    static const struct {
        const char *text;
        int ok;
        uint32_t seconds;
    } cases[] = {
        {"0", 1, 0},
        {"120", 1, 120},
        {" 120\t", 1, 120},
        {"4294967295", 1, 4294967295u},
        {"Sun, 06 Nov 1994 08:49:37 GMT", 1, 10},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 1, 10},
        {"Sun Nov  6 08:49:37 1994", 1, 10},
        {"Sun, 06 Nov 1994 08:49:17 GMT", 1, 0},
        {"4294967296", 0, 0},
        {"99999999999999999999", 0, 0},
        {"", 0, 0},
        {"  ", 0, 0},
        {"-1", 0, 0},
        {"+5", 0, 0},
        {"1.5", 0, 0},
        {"12 seconds", 0, 0},
        {"soon", 0, 0},
        {"Sun, 06 Nov 2200 08:49:37 GMT", 0, 0},
    };
    const int64_t now = 784111777 - 10;

    (void)unused;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t seconds = 12345;
        int ok = tk_http_retry_after_parse(cases[i].text, now, &seconds);

        if (ok != cases[i].ok)
            fail_msg("\"%s\": parsed %d, expected %d", cases[i].text, ok,
                     cases[i].ok);
        if (ok)
            assert_int_equal(seconds, cases[i].seconds);
    }
    assert_int_equal(tk_http_retry_after_parse(NULL, now, NULL), 0);
}

/* ---------------------------------------------------------------------- */
/* CoAP                                                                   */
/* ---------------------------------------------------------------------- */

/* A CoAP server on a UDP socket of 127.0.0.1 that replies to each
 * confirmable request with a piggybacked response (RFC 7252 section
 * 5.2.1) from the script. */
typedef struct coap_mock {
    fixture *f;
    int fd;
    uint16_t port;
    pthread_t thread;
} coap_mock;

static void *coap_serve(void *arg)
{
    coap_mock *m = arg;

    for (;;) {
        uint8_t in[2048];
        uint8_t out[64];
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof(peer);
        ssize_t n = recvfrom(m->fd, in, sizeof(in), 0,
                             (struct sockaddr *)&peer, &peer_len);
        size_t tkl, len = 0;
        step s;

        if (n < 4)
            break; /* the socket was shut down */
        tkl = in[0] & 0x0f;
        if ((in[0] >> 6) != 1 || tkl > 8 || (size_t)n < 4 + tkl)
            continue;
        s = next_step(m->f);
        out[len++] = (uint8_t)(0x60 | tkl);  /* version 1, ACK */
        out[len++] = (uint8_t)((s.status / 100) << 5 | s.status % 100);
        out[len++] = in[2];                    /* the message ID */
        out[len++] = in[3];
        memcpy(out + len, in + 4, tkl);
        len += tkl;
        if (s.max_age >= 0) {
            /* Max-Age (14): delta 13 + 1 in an extended byte, and the
             * value in 2 bytes. */
            out[len++] = 0xd2;
            out[len++] = 1;
            out[len++] = (uint8_t)(s.max_age >> 8);
            out[len++] = (uint8_t)s.max_age;
        }
        sendto(m->fd, out, len, 0, (struct sockaddr *)&peer, peer_len);
    }
    return NULL;
}

static void coap_mock_start(coap_mock *m, fixture *f)
{
    struct sockaddr_in addr;
    socklen_t addr_len = sizeof(addr);

    m->f = f;
    m->fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(m->fd >= 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    assert_int_equal(bind(m->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(m->fd, (struct sockaddr *)&addr, &addr_len),
                     0);
    m->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&m->thread, NULL, coap_serve, m), 0);
}

static void coap_mock_stop(coap_mock *m)
{
    shutdown(m->fd, SHUT_RDWR);
    /* A datagram to itself wakes recvfrom() where shutdown() does not. */
    {
        struct sockaddr_in addr;

        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(m->port);
        sendto(m->fd, "", 0, 0, (struct sockaddr *)&addr, sizeof(addr));
    }
    pthread_join(m->thread, NULL);
    close(m->fd);
}

typedef struct coap_transport {
    tk_coap_client *client;
    char uri[64];
} coap_transport;

static tk_err coap_post(void *ctx, const uint8_t *body, size_t len,
                        tk_net_reply *reply)
{
    coap_transport *t = ctx;

    return tk_coap_client_post(t->client, t->uri, body, len, reply);
}

static void coap_session(fixture *f, const step *steps, size_t count,
                         tk_agent_session *s)
{
    coap_mock m;
    tk_coap_client_config cfg;
    coap_transport t;

    coap_mock_start(&m, f);
    tk_coap_client_config_init(&cfg);
    cfg.timeout_ms = 10000;
    assert_int_equal(tk_coap_client_new(&cfg, &t.client), TK_OK);
    snprintf(t.uri, sizeof(t.uri), "coap://127.0.0.1:%u/tam",
             (unsigned)m.port);
    script(f, steps, count);
    tk_agent_run_session(f->agent, coap_post, &t, s);
    tk_coap_client_free(t.client);
    coap_mock_stop(&m);
}

/* The Max-Age of a 5.03 sets the pause; a 5.03 without one, and a 5.02,
 * leave the backoff. */
static void coap_max_age(void **state)
{
    static const step steps[] = {
        {503, NULL, 2}, {503, NULL, -1}, {502, NULL, 7}, {204, NULL, -1}};
    fixture *f = *state;
    tk_agent_session s;

    assert_int_equal(tk_agent_set_retry(f->agent, 3, 5), TK_OK);
    coap_session(f, steps, 4, &s);
    assert_int_equal(s.exit, TK_AGENT_EXIT_OK);
    assert_int_equal(f->posts, 4);
    assert_int_equal(s.retries, 3);
    assert_int_equal(s.retry_after_used, 1);
    assert_int_equal(f->pause_count, 3);
    assert_int_equal(f->pauses[0], 2000);
    assert_int_equal(f->pauses[1], 10);
    assert_int_equal(f->pauses[2], 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_after_parse),
        cmocka_unit_test_setup_teardown(http_retry_after_seconds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(http_retry_after_keeps_the_limit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(http_retry_after_capped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            http_retry_after_malformed_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(http_retry_after_date_in_the_past,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(coap_max_age, setup, teardown),
    };

    tk_log_set_level(TK_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
