/*
 * Hostile CoAP requests to the TAM: a real TAM (apps/tam) behind the CoAP
 * server of apps/net on 127.0.0.1 (UDP, ephemeral port). Raw datagrams
 * carry wrong methods, paths, Content-Formats and Accept options, unknown
 * critical options, sizes above the limit, blocks out of order and
 * malformed headers; the libcoap client of apps/net sends a payload of the
 * wrong Content-Format and one over the limit. Each gets its code from
 * docs/transport.md (reported as class * 100 + detail), reaches the TAM
 * handler only where the table says so, and leaves the TAM's sessions and
 * tokens unchanged.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coap_client.h"
#include "coap_server.h"
#include "hs_service.h"
#include "ht.h"

#define MAX_BODY 8192
#define FORMAT TK_NET_COAP_FORMAT_TEEP

static hs_service g_svc;
static tk_coap_server *g_coap;
static uint16_t g_port;

static int setup(void **state)
{
    (void)state;
    hs_service_open(&g_svc, NULL);
    tk_coap_server_config cfg;
    tk_coap_server_config_init(&cfg);
    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.max_body = MAX_BODY;
    cfg.transfer_timeout_ms = 2000;
    cfg.handler = tk_tam_handle;
    cfg.ctx = g_svc.tam;
    assert_int_equal(tk_coap_server_start(&cfg, &g_coap), TK_OK);
    g_port = tk_coap_server_port(g_coap);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_coap_server_stop(g_coap);
    hs_service_close(&g_svc);
    return 0;
}

/* ---- Raw CoAP messages (RFC 7252 section 3) --------------------------- */

typedef struct option {
    unsigned number;
    const uint8_t *value;
    size_t len;
} option;

/* Encodes an option delta or length nibble and its extension. */
static size_t put_nibble(unsigned value, uint8_t *nibble, uint8_t *ext)
{
    if (value < 13) {
        *nibble = (uint8_t)value;
        return 0;
    }
    if (value < 269) {
        *nibble = 13;
        ext[0] = (uint8_t)(value - 13);
        return 1;
    }
    *nibble = 14;
    ext[0] = (uint8_t)((value - 269) >> 8);
    ext[1] = (uint8_t)(value - 269);
    return 2;
}

/* Writes a confirmable request with code (class 0), message id mid, a
 * 2-byte token, the options (sorted by number) and the payload. */
static size_t build(uint8_t code, uint16_t mid, const option *opts,
                    size_t count, const uint8_t *payload, size_t payload_len,
                    uint8_t *out, size_t cap)
{
    size_t at = 0;
    out[at++] = 0x40 | 2; /* version 1, confirmable, token length 2 */
    out[at++] = code;
    out[at++] = (uint8_t)(mid >> 8);
    out[at++] = (uint8_t)mid;
    out[at++] = 0x5a;
    out[at++] = 0xa5;
    unsigned prev = 0;
    for (size_t i = 0; i < count; i++) {
        uint8_t d, l, ext[4];
        size_t n = put_nibble(opts[i].number - prev, &d, ext);
        n += put_nibble((unsigned)opts[i].len, &l, ext + n);
        assert_true(at + 1 + n + opts[i].len <= cap);
        out[at++] = (uint8_t)(d << 4 | l);
        memcpy(out + at, ext, n);
        at += n;
        memcpy(out + at, opts[i].value, opts[i].len);
        at += opts[i].len;
        prev = opts[i].number;
    }
    if (payload_len > 0) {
        assert_true(at + 1 + payload_len <= cap);
        out[at++] = 0xff;
        memcpy(out + at, payload, payload_len);
        at += payload_len;
    }
    return at;
}

/* Sends one datagram and returns the code of the reply with the same
 * message id as class * 100 + detail, or 0 when none came within
 * wait_ms (an empty reset counts as none too). */
static unsigned send_datagram(const uint8_t *msg, size_t len, unsigned wait_ms)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(g_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof sa) ==
                (ssize_t)len);
    unsigned code = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, (int)wait_ms) > 0) {
        uint8_t buf[2048];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 4)
            break;
        if (len >= 4 && (buf[2] != msg[2] || buf[3] != msg[3]))
            continue;
        if (buf[1] == 0)
            break; /* an empty ACK or RST */
        code = (unsigned)(buf[1] >> 5) * 100u + (buf[1] & 31u);
        break;
    }
    close(fd);
    return code;
}

typedef struct snapshot {
    hs_service_snapshot store;
    tk_tam_stats tam;
} snapshot;

static void take(snapshot *s)
{
    hs_service_state(&g_svc, &s->store);
    tk_tam_stats_get(g_svc.tam, &s->tam);
}

static void expect_untouched(ht_table *t, const snapshot *before, bool reached,
                             const char *what)
{
    snapshot after;
    take(&after);
    ht_true(t, after.store.sessions == before->store.sessions, what);
    ht_true(t, after.store.tokens == before->store.tokens, what);
    ht_true(t, (after.tam.requests != before->tam.requests) == reached, what);
}

static void raw_requests(void **state)
{
    (void)state;
    ht_table table = {"coap raw requests", 0, 0};
    static const uint8_t path[] = "tam";
    static const uint8_t other[] = "nope";
    static const uint8_t teep_cf[2] = {FORMAT >> 8, FORMAT & 0xff};
    static const uint8_t cbor_cf[1] = {60};
    static const uint8_t text_accept[1] = {0};
    static const uint8_t big_size[3] = {0xa0, 0x00, 0x00}; /* 10 MiB */
    static const uint8_t block1_num0[1] = {0x0e}; /* NUM 0, M, 1024 bytes */
    static const uint8_t block1_num1[1] = {0x1e}; /* NUM 1, M, 1024 bytes */
    static const uint8_t garbage[] = {0x82, 0x02, 0xa0}; /* [2, {}] */
    static uint8_t filler[1024];
    const struct {
        const char *name;
        uint8_t code;
        option opts[4];
        size_t count;
        const uint8_t *payload;
        size_t payload_len;
        unsigned want;
        bool reaches_handler;
    } cases[] = {
        {"GET", 1, {{11, path, 3}}, 1, NULL, 0, 405, false},
        {"PUT",
         3,
         {{11, path, 3}, {12, teep_cf, 2}},
         2,
         garbage,
         3,
         405,
         false},
        {"DELETE", 4, {{11, path, 3}}, 1, NULL, 0, 405, false},
        {"unknown path", 2, {{11, other, 4}}, 1, NULL, 0, 404, false},
        {"application/cbor payload",
         2,
         {{11, path, 3}, {12, cbor_cf, 1}},
         2,
         garbage,
         3,
         415,
         false},
        {"payload without Content-Format",
         2,
         {{11, path, 3}},
         1,
         garbage,
         3,
         415,
         false},
        {"Accept text/plain",
         2,
         {{11, path, 3}, {17, text_accept, 1}},
         2,
         NULL,
         0,
         406,
         false},
        {"unknown critical option",
         2,
         {{11, path, 3}, {2049, path, 3}},
         2,
         NULL,
         0,
         402,
         false},
        {"first block with Size1 above the limit",
         2,
         {{11, path, 3},
          {12, teep_cf, 2},
          {27, block1_num0, 1},
          {60, big_size, 3}},
         4,
         filler,
         sizeof filler,
         413,
         false},
        /* Size1 only announces the size of a block-wise transfer (RFC 7959
         * section 4); a whole 3-byte payload is judged by its length. */
        {"Size1 on a single message",
         2,
         {{11, path, 3}, {12, teep_cf, 2}, {60, big_size, 3}},
         3,
         garbage,
         3,
         400,
         true},
        {"second block first",
         2,
         {{11, path, 3}, {12, teep_cf, 2}, {27, block1_num1, 1}},
         3,
         filler,
         sizeof filler,
         408,
         false},
        {"malformed TEEP payload",
         2,
         {{11, path, 3}, {12, teep_cf, 2}},
         2,
         garbage,
         3,
         400,
         true},
    };
    uint8_t msg[2048];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snapshot before;
        take(&before);
        size_t len = build(cases[i].code, (uint16_t)(0x1000 + i), cases[i].opts,
                           cases[i].count, cases[i].payload,
                           cases[i].payload_len, msg, sizeof msg);
        unsigned code = send_datagram(msg, len, 10000);
        ht_true(&table, code == cases[i].want, cases[i].name);
        if (code != cases[i].want)
            print_message("%s: code %u\n", cases[i].name, code);
        expect_untouched(&table, &before, cases[i].reaches_handler,
                         cases[i].name);
    }

    /* Malformed messages get no reply (or a reset) and change nothing. */
    static const uint8_t short_msg[] = {0x40, 0x02, 0x30};
    static const uint8_t long_token[] = {0x49, 0x02, 0x30, 0x01, 1, 2, 3,
                                         4,    5,    6,    7,    8, 9};
    static const uint8_t bad_delta[] = {0x40, 0x02, 0x30, 0x02, 0xf0};
    static const uint8_t version_2[] = {0x80, 0x02, 0x30, 0x03};
    static const uint8_t empty_payload_marker[] = {0x40, 0x02, 0x30, 0x04, 0xb3,
                                                   't',  'a',  'm',  0xff};
    const struct {
        const char *name;
        const uint8_t *msg;
        size_t len;
    } broken[] = {
        {"3-byte message", short_msg, sizeof short_msg},
        {"token length 9", long_token, sizeof long_token},
        {"option delta 15", bad_delta, sizeof bad_delta},
        {"version 2", version_2, sizeof version_2},
        {"payload marker without payload", empty_payload_marker,
         sizeof empty_payload_marker},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        snapshot before;
        take(&before);
        unsigned code = send_datagram(broken[i].msg, broken[i].len, 1000);
        ht_true(&table, code == 0 || (code >= 400 && code < 500),
                broken[i].name);
        if (code != 0)
            print_message("%s: code %u\n", broken[i].name, code);
        expect_untouched(&table, &before, false, broken[i].name);
    }

    /* The server still serves: an empty POST starts a session. */
    option opts[1] = {{11, path, 3}};
    size_t len = build(2, 0x2000, opts, 1, NULL, 0, msg, sizeof msg);
    ht_true(&table, send_datagram(msg, len, 10000) == 204, "still serving");
    ht_done(&table);
}

/* The libcoap client of apps/net: a Content-Format the server does not
 * use, and a payload over the limit sent block-wise. */
static void client_requests(void **state)
{
    (void)state;
    ht_table table = {"coap client requests", 0, 0};
    char uri[64];
    snprintf(uri, sizeof uri, "coap://127.0.0.1:%u/tam", (unsigned)g_port);
    static uint8_t big[MAX_BODY + 1];
    memset(big, 0xa0, sizeof big);

    const struct {
        const char *name;
        unsigned format;
        size_t len;
        unsigned status;
    } cases[] = {
        {"another Content-Format", 60, 3, 415},
        {"payload over the limit", FORMAT, sizeof big, 413},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tk_coap_client_config cfg;
        tk_coap_client_config_init(&cfg);
        cfg.content_format = cases[i].format;
        cfg.timeout_ms = 5000;
        tk_coap_client *client = NULL;
        assert_int_equal(tk_coap_client_new(&cfg, &client), TK_OK);
        snapshot before;
        take(&before);
        tk_net_reply reply;
        memset(&reply, 0, sizeof reply);
        tk_err err =
            tk_coap_client_post(client, uri, big, cases[i].len, &reply);
        ht_expect(&table, err, TK_ERR_NET_STATUS, cases[i].name);
        ht_true(&table, reply.status == cases[i].status, cases[i].name);
        if (reply.status != cases[i].status)
            print_message("%s: status %u\n", cases[i].name, reply.status);
        expect_untouched(&table, &before, false, cases[i].name);
        tk_coap_client_free(client);
    }
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_requests),
        cmocka_unit_test(client_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
