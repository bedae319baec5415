/*
 * CoAP client on libcoap 4.3.1; see coap_client.h.
 *
 * The context runs in block mode COAP_BLOCK_USE_LIBCOAP without
 * COAP_BLOCK_SINGLE_BODY: libcoap sends request blocks and requests reply
 * blocks, and on_response() receives each reply block as it arrives. The
 * client can thus stop at max_response instead of letting libcoap assemble
 * a reply of any size.
 */
#define _GNU_SOURCE
#include "coap_client.h"
#include "coap_internal.h"
#include "net_internal.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define DEFAULT_TIMEOUT_MS 60000u
#define DEFAULT_MAX_RESPONSE ((size_t)1 << 20)
#define IO_WAIT_MS 100u

/* Room for the encoded Uri-Path or Uri-Query options of one request. */
#define OPTION_BUFFER_SIZE 512u

struct tk_coap_client {
    coap_context_t *ctx;
    coap_session_t *session;
    coap_address_t server; /* peer of session */
    unsigned timeout_ms;
    size_t max_response;
    unsigned content_format;
    char log_name[32];

    /* The exchange in progress. */
    uint8_t token[8];
    size_t token_len;
    int finished;
    tk_err result;
    unsigned status;
    int has_format;
    uint32_t format;
    int has_max_age;  /* a 5.03 carried a Max-Age option */
    uint32_t max_age;
    uint8_t *buf; /* reply payload, at most max_response bytes */
    size_t len;
    size_t cap;
};

void tk_coap_client_config_init(tk_coap_client_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->timeout_ms = DEFAULT_TIMEOUT_MS;
    cfg->max_response = DEFAULT_MAX_RESPONSE;
    cfg->content_format = TK_NET_COAP_FORMAT_TEEP;
    cfg->log_name = "coap-client";
}

/* Ends the exchange in progress with result (the first call wins). */
static void finish(tk_coap_client *c, tk_err result)
{
    if (c->finished)
        return;
    c->finished = 1;
    c->result = result;
}

static tk_coap_client *client_of(const coap_session_t *session)
{
    return coap_get_app_data(coap_session_get_context(session));
}

/* Returns 1 when pdu belongs to the exchange in progress. */
static int is_current(const tk_coap_client *c, const coap_session_t *session,
                      const coap_pdu_t *pdu)
{
    if (c == NULL || c->finished || session != c->session || pdu == NULL)
        return 0;
    coap_bin_const_t token = coap_pdu_get_token(pdu);
    return token.length == c->token_len &&
           memcmp(token.s, c->token, token.length) == 0;
}

/* Appends one reply block. Returns TK_OK or the error that ends the
 * exchange. */
static tk_err store_block(tk_coap_client *c, const uint8_t *data, size_t len,
                          size_t offset, size_t total)
{
    if (offset == 0)
        c->len = 0;
    if (total > c->max_response || len > c->max_response - c->len)
        return TK_ERR_NET_TOO_LARGE;
    if (offset != c->len)
        return TK_ERR_NET_PROTOCOL;
    if (c->len + len > c->cap) {
        size_t cap = c->cap > 0 ? c->cap : 4096;
        while (cap < c->len + len)
            cap = cap > c->max_response / 2 ? c->max_response : cap * 2;
        uint8_t *buf = realloc(c->buf, cap);
        if (buf == NULL)
            return TK_ERR_NET_NO_MEMORY;
        c->buf = buf;
        c->cap = cap;
    }
    if (len > 0)
        memcpy(c->buf + c->len, data, len);
    c->len += len;
    return TK_OK;
}

/*
 * Keeps the Max-Age option of a 5.03, the seconds after which the client
 * may send again (RFC 7252 section 5.9.3.4). A value longer than the
 * 4 bytes of a uint option (section 5.10.5) is logged and left out.
 */
static void read_max_age(tk_coap_client *c, const coap_pdu_t *received)
{
    coap_opt_iterator_t iter;
    coap_opt_t *opt = coap_check_option(received, COAP_OPTION_MAXAGE, &iter);
    if (opt == NULL)
        return;
    if (coap_opt_length(opt) > 4) {
        TK_LOG_WARN(c->log_name, "ignoring a Max-Age option of %u bytes "
                    "in a 5.03", (unsigned)coap_opt_length(opt));
        return;
    }
    c->has_max_age = 1;
    c->max_age = (uint32_t)coap_decode_var_bytes(coap_opt_value(opt),
                                                 coap_opt_length(opt));
}

static coap_response_t on_response(coap_session_t *session,
                                   const coap_pdu_t *sent,
                                   const coap_pdu_t *received,
                                   const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    tk_coap_client *c = client_of(session);
    if (!is_current(c, session, received))
        return COAP_RESPONSE_OK;
    coap_pdu_code_t code = coap_pdu_get_code(received);
    c->status = tk_coap_status_from_code(code);
    if ((unsigned)code >> 5 != 2) {
        if (c->status == 503)
            read_max_age(c, received);
        finish(c, TK_ERR_NET_STATUS);
        return COAP_RESPONSE_OK;
    }
    size_t len = 0;
    size_t offset = 0;
    size_t total = 0;
    const uint8_t *data = NULL;
    if (!coap_get_data_large(received, &len, &data, &offset, &total))
        len = offset = total = 0;
    if (offset == 0)
        c->has_format = tk_coap_option_uint(
            received, COAP_OPTION_CONTENT_FORMAT, &c->format);
    tk_err err = store_block(c, data, len, offset, total);
    if (err != TK_OK) {
        finish(c, err);
        return COAP_RESPONSE_OK;
    }
    coap_block_t block;
    if (coap_get_block(received, COAP_OPTION_BLOCK2, &block) && block.m)
        return COAP_RESPONSE_OK; /* libcoap requests the next block */
    finish(c, TK_OK);
    return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
    (void)mid;
    tk_coap_client *c = client_of(session);
    if (c == NULL || c->finished || session != c->session)
        return;
    (void)sent; /* block requests carry libcoap's tokens, not ours */
    finish(c, reason == COAP_NACK_TOO_MANY_RETRIES ? TK_ERR_NET_TIMEOUT
                                                   : TK_ERR_NET_CONNECT);
}

/* Ends the exchange when libcoap gives up on a block-wise transfer. */
static int on_event(coap_session_t *session, const coap_event_t event)
{
    tk_coap_client *c = client_of(session);
    if (c == NULL || c->finished || session != c->session)
        return 0;
    if (event == COAP_EVENT_XMIT_BLOCK_FAIL ||
        event == COAP_EVENT_PARTIAL_BLOCK)
        finish(c, TK_ERR_NET_PROTOCOL);
    return 0;
}

tk_err tk_coap_client_new(const tk_coap_client_config *cfg,
                          tk_coap_client **out)
{
    if (cfg == NULL || out == NULL)
        return TK_ERR_INVALID_ARG;
    *out = NULL;
    if (cfg->timeout_ms == 0 || cfg->max_response == 0 ||
        cfg->content_format > 65535)
        return TK_ERR_NET_CONFIG;
    tk_coap_init();
    tk_coap_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return TK_ERR_NET_NO_MEMORY;
    c->timeout_ms = cfg->timeout_ms;
    c->max_response = cfg->max_response;
    c->content_format = cfg->content_format;
    snprintf(c->log_name, sizeof c->log_name, "%s",
             cfg->log_name != NULL ? cfg->log_name : "coap-client");
    c->ctx = coap_new_context(NULL);
    if (c->ctx == NULL) {
        free(c);
        return TK_ERR_NET_NO_MEMORY;
    }
    coap_context_set_block_mode(c->ctx, COAP_BLOCK_USE_LIBCOAP);
    coap_set_app_data(c->ctx, c);
    coap_register_response_handler(c->ctx, on_response);
    coap_register_nack_handler(c->ctx, on_nack);
    coap_register_event_handler(c->ctx, on_event);
    *out = c;
    return TK_OK;
}

static void drop_session(tk_coap_client *c)
{
    if (c->session != NULL) {
        coap_session_release(c->session);
        c->session = NULL;
    }
}

void tk_coap_client_free(tk_coap_client *client)
{
    if (client == NULL)
        return;
    drop_session(client);
    coap_free_context(client->ctx);
    free(client->buf);
    free(client);
}

/* Resolves the host of uri into *addr. Returns TK_OK or
 * TK_ERR_NET_CONNECT. */
static tk_err resolve(const coap_uri_t *uri, coap_address_t *addr)
{
    char host[256];
    if (uri->host.length == 0 || uri->host.length >= sizeof host)
        return TK_ERR_NET_URL;
    memcpy(host, uri->host.s, uri->host.length);
    host[uri->host.length] = '\0';
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)uri->port);
    struct addrinfo *found = NULL;
    if (getaddrinfo(host, port, &hints, &found) != 0 || found == NULL)
        return TK_ERR_NET_CONNECT;
    coap_address_init(addr);
    memcpy(&addr->addr, found->ai_addr, found->ai_addrlen);
    addr->size = found->ai_addrlen;
    freeaddrinfo(found);
    return TK_OK;
}

/* Adds the options that coap_split_path() or coap_split_query() wrote to
 * buf (count of them) to pdu as option number. */
static int add_split_options(coap_pdu_t *pdu, coap_option_num_t number,
                             const uint8_t *buf, int count)
{
    const uint8_t *opt = buf;
    for (int i = 0; i < count; i++) {
        if (coap_add_option(pdu, number, coap_opt_length(opt),
                            coap_opt_value(opt)) == 0)
            return -1;
        opt += coap_opt_size(opt);
    }
    return 0;
}

/* Adds Uri-Path, Content-Format (with a payload), Uri-Query and Accept to
 * pdu, in option number order. */
static tk_err add_options(tk_coap_client *c, coap_pdu_t *pdu,
                          const coap_uri_t *uri, int has_payload)
{
    uint8_t buf[OPTION_BUFFER_SIZE];
    uint8_t value[4];
    size_t size = sizeof buf;
    int count = coap_split_path(uri->path.s, uri->path.length, buf, &size);
    if (count < 0 ||
        add_split_options(pdu, COAP_OPTION_URI_PATH, buf, count) != 0)
        return TK_ERR_NET_URL;
    if (has_payload && coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                                       coap_encode_var_safe(value, sizeof value,
                                                            c->content_format),
                                       value) == 0)
        return TK_ERR_NET_NO_MEMORY;
    if (uri->query.length > 0) {
        size = sizeof buf;
        count = coap_split_query(uri->query.s, uri->query.length, buf, &size);
        if (count < 0 ||
            add_split_options(pdu, COAP_OPTION_URI_QUERY, buf, count) != 0)
            return TK_ERR_NET_URL;
    }
    if (coap_add_option(
            pdu, COAP_OPTION_ACCEPT,
            coap_encode_var_safe(value, sizeof value, c->content_format),
            value) == 0)
        return TK_ERR_NET_NO_MEMORY;
    return TK_OK;
}

static void release_payload(coap_session_t *session, void *payload)
{
    (void)session;
    free(payload);
}

/* Opens a session to addr unless the current one already goes there. */
static tk_err open_session(tk_coap_client *c, const coap_address_t *addr)
{
    if (c->session != NULL && coap_address_equals(&c->server, addr))
        return TK_OK;
    drop_session(c);
    c->session = coap_new_client_session(c->ctx, NULL, addr, COAP_PROTO_UDP);
    if (c->session == NULL)
        return TK_ERR_NET_CONNECT;
    c->server = *addr;
    return TK_OK;
}

/* Builds the POST request and hands it to libcoap. */
static tk_err send_request(tk_coap_client *c, const coap_uri_t *uri,
                           const uint8_t *body, size_t len)
{
    coap_pdu_t *pdu =
        coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, c->session);
    if (pdu == NULL)
        return TK_ERR_NET_NO_MEMORY;
    coap_session_new_token(c->session, &c->token_len, c->token);
    tk_err err = TK_OK;
    if (coap_add_token(pdu, c->token_len, c->token) == 0)
        err = TK_ERR_NET_NO_MEMORY;
    if (err == TK_OK)
        err = add_options(c, pdu, uri, len > 0);
    if (err == TK_OK && len > 0) {
        /* libcoap reads the payload until the last block is acknowledged,
         * which can be after this call returns, so it gets its own copy. */
        uint8_t *payload = malloc(len);
        if (payload == NULL) {
            err = TK_ERR_NET_NO_MEMORY;
        } else {
            memcpy(payload, body, len);
            if (!coap_add_data_large_request(c->session, pdu, len, payload,
                                             release_payload, payload))
                err = TK_ERR_NET_NO_MEMORY;
        }
    }
    if (err != TK_OK) {
        coap_delete_pdu(pdu);
        return err;
    }
    if (coap_send(c->session, pdu) == COAP_INVALID_MID)
        return TK_ERR_NET_CONNECT;
    return TK_OK;
}

/* Runs libcoap until the exchange finishes or the timeout passes. */
static void wait_for_reply(tk_coap_client *c)
{
    uint64_t deadline = tk_net_now_ms() + c->timeout_ms;
    while (!c->finished) {
        uint64_t now = tk_net_now_ms();
        if (now >= deadline) {
            finish(c, TK_ERR_NET_TIMEOUT);
            break;
        }
        uint64_t wait = deadline - now;
        coap_io_process(c->ctx,
                        wait < IO_WAIT_MS ? (uint32_t)wait : IO_WAIT_MS);
    }
}

/* Fills *reply from the finished exchange and checks its media type. */
static tk_err make_reply(tk_coap_client *c, const char *uri,
                         tk_net_reply *reply)
{
    reply->status = c->status;
    reply->body.ptr = c->len > 0 ? c->buf : NULL;
    reply->body.len = c->len;
    reply->has_retry_after = c->has_max_age;
    reply->retry_after = c->has_max_age ? c->max_age : 0;
    int teep = c->has_format && c->format == c->content_format;
    if (teep)
        snprintf(reply->content_type, sizeof reply->content_type, "%s",
                 TK_NET_MEDIA_TEEP);
    if (c->result != TK_OK)
        return c->result;
    if (c->len == 0) {
        reply->done = 1;
        return TK_OK;
    }
    if (teep)
        return TK_OK;
    TK_LOG_WARN(c->log_name,
                "reply payload has Content-Format %d, expected %u: uri=%s",
                c->has_format ? (int)c->format : -1, c->content_format, uri);
    return TK_ERR_NET_CONTENT_TYPE;
}

tk_err tk_coap_client_post(tk_coap_client *client, const char *uri,
                           const uint8_t *body, size_t len, tk_net_reply *reply)
{
    if (client == NULL || uri == NULL || reply == NULL ||
        (body == NULL && len > 0))
        return TK_ERR_INVALID_ARG;
    memset(reply, 0, sizeof *reply);
    coap_uri_t parsed;
    /* NOTE: coaps:// (DTLS) is rejected until the client gets PSK or
     * certificate settings; TEEP messages stay protected by COSE. */
    if (coap_split_uri((const uint8_t *)uri, strlen(uri), &parsed) != 0 ||
        parsed.scheme != COAP_URI_SCHEME_COAP)
        return TK_ERR_NET_URL;
    coap_address_t addr;
    tk_err err = resolve(&parsed, &addr);
    if (err == TK_OK)
        err = open_session(client, &addr);
    if (err != TK_OK) {
        TK_LOG_WARN(client->log_name, "cannot reach %s: %s", uri,
                    tk_strerror(err));
        return err;
    }

    client->finished = 0;
    client->result = TK_OK;
    client->status = 0;
    client->has_format = 0;
    client->has_max_age = 0;
    client->max_age = 0;
    client->len = 0;
    uint64_t start = tk_net_now_ms();
    err = send_request(client, &parsed, body, len);
    if (err != TK_OK)
        finish(client, err);
    else
        wait_for_reply(client);
    err = make_reply(client, uri, reply);
    unsigned long long duration = tk_net_now_ms() - start;
    if (client->result != TK_OK) {
        /* A fresh session next time: this one may still carry blocks or
         * retransmissions of the failed exchange. */
        drop_session(client);
        TK_LOG_WARN(client->log_name,
                    "POST failed: %s: uri=%s code=%u.%02u sent=%zu "
                    "duration_ms=%llu",
                    tk_strerror(client->result), uri, client->status / 100,
                    client->status % 100, len, duration);
    } else {
        TK_LOG_DEBUG(client->log_name,
                     "POST %s code=%u.%02u sent=%zu received=%zu "
                     "duration_ms=%llu",
                     uri, client->status / 100, client->status % 100, len,
                     client->len, duration);
    }
    return err;
}
