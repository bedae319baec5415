/*
 * CoAP server on libcoap 4.3.1; see coap_server.h.
 *
 * The context runs in block mode COAP_BLOCK_USE_LIBCOAP without
 * COAP_BLOCK_SINGLE_BODY, so libcoap passes each Block1 block of a request
 * to on_post() as it arrives (RFC 7959 section 2.3). on_post() appends it
 * to a per-peer reassembly buffer, replies 2.31 Continue until the last
 * block, and only then runs the handler. Replies go out through
 * coap_add_data_large_response(), which sends Block2 blocks on request.
 */
#define _GNU_SOURCE
#include "coap_server.h"
#include "coap_internal.h"
#include "net_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define DEFAULT_MAX_BODY ((size_t)1 << 20)
#define DEFAULT_TRANSFER_TIMEOUT_MS 30000u
#define DEFAULT_MAX_SESSIONS 256u

/* How long one coap_io_process() call may wait, so that the I/O thread
 * notices a stop request within this time. */
#define IO_WAIT_MS 100u

/* Size of the stored resource path with its leading '/' and NUL. */
#define PATH_SIZE 128u

/* How long a reply stays available for retransmitted copies of its
 * request: EXCHANGE_LIFETIME of RFC 7252 section 4.8.2. */
#define DUPLICATE_WINDOW_MS 247000u

/* A block-wise request being reassembled for one peer session. */
struct transfer {
    coap_session_t *session; /* NULL: the slot is free */
    uint8_t *body;
    size_t len;
    size_t cap;
    uint64_t started_ms;
    char id[TK_NET_REQUEST_ID_SIZE];
};

/*
 * The reply to one handled request, kept so that a retransmitted copy of
 * the request (same peer, same message ID) gets the same reply without
 * running the handler twice (RFC 7252 section 4.5).
 */
struct stored_reply {
    coap_session_t *session; /* NULL: the slot is free */
    coap_mid_t mid;
    coap_pdu_code_t code;
    uint8_t *body;
    size_t body_len;
    uint64_t stored_ms;
};

struct tk_coap_server {
    coap_context_t *ctx;
    char path[PATH_SIZE]; /* "/tam", as handlers get it */
    char log_name[32];
    unsigned content_format;
    size_t max_body;
    unsigned transfer_timeout_ms;
    tk_net_handler handler;
    void *handler_ctx;
    uint16_t port;
    pthread_t thread;
    atomic_int stop;
    struct transfer transfers[TK_NET_MAX_COAP_TRANSFERS];
    struct stored_reply replies[TK_NET_MAX_COAP_STORED_REPLIES];
    pthread_mutex_t lock; /* guards stats */
    tk_coap_server_stats stats;
};

/* The parts of one request that every step needs. */
struct exchange {
    tk_coap_server *srv;
    coap_resource_t *resource;
    coap_session_t *session;
    const coap_pdu_t *request;
    const coap_string_t *query;
    coap_pdu_t *response;
    char peer[TK_NET_PEER_SIZE];
};

void tk_coap_server_config_init(tk_coap_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->address = "127.0.0.1";
    cfg->path = "tam";
    cfg->content_format = TK_NET_COAP_FORMAT_TEEP;
    cfg->max_body = DEFAULT_MAX_BODY;
    cfg->transfer_timeout_ms = DEFAULT_TRANSFER_TIMEOUT_MS;
    cfg->max_sessions = DEFAULT_MAX_SESSIONS;
    cfg->log_name = "coap";
}

/* ---- Reassembly buffers ---- */

static void drop_transfer(struct transfer *t)
{
    free(t->body);
    memset(t, 0, sizeof *t);
}

static void drop_reply(struct stored_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

static struct transfer *find_transfer(tk_coap_server *srv,
                                      const coap_session_t *session)
{
    for (size_t i = 0; i < TK_NET_MAX_COAP_TRANSFERS; i++) {
        if (srv->transfers[i].session == session)
            return &srv->transfers[i];
    }
    return NULL;
}

/* Returns the transfer of session, restarted, or a free slot for it; NULL
 * when all TK_NET_MAX_COAP_TRANSFERS slots are busy. */
static struct transfer *start_transfer(tk_coap_server *srv,
                                       coap_session_t *session)
{
    struct transfer *t = find_transfer(srv, session);
    if (t == NULL)
        t = find_transfer(srv, NULL);
    if (t == NULL)
        return NULL;
    drop_transfer(t);
    t->session = session;
    t->started_ms = tk_net_now_ms();
    tk_net_new_request_id(t->id);
    return t;
}

/* Appends len bytes to t, growing its buffer up to limit. Returns 0, or -1
 * when out of memory. The caller has checked t->len + len <= limit. */
static int append_block(tk_coap_server *srv, struct transfer *t,
                        const uint8_t *data, size_t len)
{
    if (t->len + len > t->cap) {
        size_t cap = t->cap > 0 ? t->cap : 4096;
        while (cap < t->len + len)
            cap = cap > srv->max_body / 2 ? srv->max_body : cap * 2;
        uint8_t *body = realloc(t->body, cap);
        if (body == NULL)
            return -1;
        t->body = body;
        t->cap = cap;
        pthread_mutex_lock(&srv->lock);
        if (cap > srv->stats.max_body_buffered)
            srv->stats.max_body_buffered = cap;
        pthread_mutex_unlock(&srv->lock);
    }
    if (len > 0)
        memcpy(t->body + t->len, data, len);
    t->len += len;
    return 0;
}

/* Drops transfers whose first block is older than transfer_timeout_ms. */
static void expire_transfers(tk_coap_server *srv)
{
    uint64_t now = tk_net_now_ms();
    for (size_t i = 0; i < TK_NET_MAX_COAP_TRANSFERS; i++) {
        struct transfer *t = &srv->transfers[i];
        if (t->session == NULL ||
            now - t->started_ms < srv->transfer_timeout_ms)
            continue;
        TK_LOG_WARN(srv->log_name,
                    "block-wise request timed out after %zu bytes, "
                    "dropping it: id=%s timeout_ms=%u",
                    t->len, t->id, srv->transfer_timeout_ms);
        drop_transfer(t);
        pthread_mutex_lock(&srv->lock);
        srv->stats.expired_transfers++;
        pthread_mutex_unlock(&srv->lock);
    }
}

/* Frees the transfer and stored replies of a session that libcoap
 * deletes, so that a new session at the same address cannot match them. */
static int on_event(coap_session_t *session, const coap_event_t event)
{
    if (event != COAP_EVENT_SERVER_SESSION_DEL)
        return 0;
    tk_coap_server *srv = coap_get_app_data(coap_session_get_context(session));
    if (srv == NULL)
        return 0;
    struct transfer *t = find_transfer(srv, session);
    if (t != NULL)
        drop_transfer(t);
    for (size_t i = 0; i < TK_NET_MAX_COAP_STORED_REPLIES; i++) {
        if (srv->replies[i].session == session)
            drop_reply(&srv->replies[i]);
    }
    return 0;
}

/* ---- Replies kept for retransmitted requests ---- */

static struct stored_reply *
find_reply(tk_coap_server *srv, const coap_session_t *session, coap_mid_t mid)
{
    uint64_t now = tk_net_now_ms();
    for (size_t i = 0; i < TK_NET_MAX_COAP_STORED_REPLIES; i++) {
        struct stored_reply *r = &srv->replies[i];
        if (r->session == session && r->mid == mid &&
            now - r->stored_ms < DUPLICATE_WINDOW_MS)
            return r;
    }
    return NULL;
}

/* Keeps a copy of a reply, replacing the oldest one when the table is
 * full. A reply that cannot be copied is not kept. */
static void store_reply(tk_coap_server *srv, coap_session_t *session,
                        coap_mid_t mid, coap_pdu_code_t code,
                        const uint8_t *body, size_t body_len)
{
    struct stored_reply *slot = &srv->replies[0];
    for (size_t i = 0; i < TK_NET_MAX_COAP_STORED_REPLIES; i++) {
        struct stored_reply *r = &srv->replies[i];
        if (r->session == NULL) {
            slot = r;
            break;
        }
        if (r->stored_ms < slot->stored_ms)
            slot = r;
    }
    drop_reply(slot);
    uint8_t *copy = NULL;
    if (body_len > 0) {
        copy = malloc(body_len);
        if (copy == NULL)
            return;
        memcpy(copy, body, body_len);
    }
    slot->session = session;
    slot->mid = mid;
    slot->code = code;
    slot->body = copy;
    slot->body_len = body_len;
    slot->stored_ms = tk_net_now_ms();
}

/* ---- Request handling ---- */

/* Sets an error code on the reply that the server chose itself and logs
 * why. */
static void reject(struct exchange *ex, unsigned status, const char *reason)
{
    tk_coap_server *srv = ex->srv;
    coap_pdu_set_code(ex->response, tk_coap_code_from_status(status));
    if (status == 413) {
        /* RFC 7959 section 2.9.3: Size1 in a 4.13 names the largest
         * request the server accepts. */
        uint8_t buf[8];
        coap_add_option(ex->response, COAP_OPTION_SIZE1,
                        coap_encode_var_safe8(buf, sizeof buf, srv->max_body),
                        buf);
    }
    pthread_mutex_lock(&srv->lock);
    srv->stats.rejected++;
    if (status == 413)
        srv->stats.rejected_too_large++;
    pthread_mutex_unlock(&srv->lock);
    TK_LOG_WARN(srv->log_name, "POST %s rejected with %u.%02u: %s: peer=%s",
                srv->path, status / 100, status % 100, reason, ex->peer);
}

static void release_body(coap_session_t *session, void *body)
{
    (void)session;
    free(body);
}

/* Adds body (len bytes, malloc'd, handed over) as the reply payload, in
 * Block2 blocks when it does not fit one message. */
static void add_payload(struct exchange *ex, uint8_t *body, size_t len)
{
    tk_coap_server *srv = ex->srv;
    if (!coap_add_data_large_response(ex->resource, ex->session, ex->request,
                                      ex->response, ex->query,
                                      (uint16_t)srv->content_format, -1, 0, len,
                                      body, release_body, body)) {
        /* libcoap calls release_body() on failure too. */
        TK_LOG_ERROR(srv->log_name, "cannot add a reply of %zu bytes: peer=%s",
                     len, ex->peer);
        coap_pdu_set_code(ex->response, COAP_RESPONSE_CODE(500));
    }
}

/* Puts the handler's response into the CoAP reply and keeps a copy for
 * retransmitted requests. */
static void send_handler_response(struct exchange *ex, tk_net_response *resp)
{
    tk_coap_server *srv = ex->srv;
    unsigned status = resp->status;
    if (status == 0)
        status = resp->body_len > 0 ? 200 : 204;
    coap_pdu_code_t code = tk_coap_code_from_status(status);
    coap_pdu_set_code(ex->response, code);
    /* Only a success carries a TEEP message; CoAP error payloads are
     * diagnostic text (RFC 7252 section 5.5.2). */
    size_t len = (unsigned)code >> 5 == 2 ? resp->body_len : 0;
    store_reply(srv, ex->session, coap_pdu_get_mid(ex->request), code,
                resp->body, len);
    if (len == 0)
        return;
    uint8_t *body = resp->body;
    resp->body = NULL;
    add_payload(ex, body, len);
}

/* Sends the stored reply again for a retransmitted request. */
static void resend_reply(struct exchange *ex, const struct stored_reply *r)
{
    TK_LOG_INFO(ex->srv->log_name,
                "POST %s repeated (message id %u): resending the reply "
                "without running the handler: peer=%s",
                ex->srv->path, (unsigned)r->mid, ex->peer);
    coap_pdu_set_code(ex->response, r->code);
    if (r->body_len == 0)
        return;
    uint8_t *body = malloc(r->body_len);
    if (body == NULL) {
        TK_LOG_ERROR(ex->srv->log_name,
                     "cannot resend a reply: out of memory: peer=%s", ex->peer);
        coap_pdu_set_code(ex->response, COAP_RESPONSE_CODE(503));
        return;
    }
    memcpy(body, r->body, r->body_len);
    add_payload(ex, body, r->body_len);
}

/* Runs the handler on a complete request body and fills the reply. */
static void handle_request(struct exchange *ex, tk_view body, const char *id,
                           uint64_t started_ms)
{
    tk_coap_server *srv = ex->srv;
    uint32_t format = 0;
    int has_format =
        tk_coap_option_uint(ex->request, COAP_OPTION_CONTENT_FORMAT, &format);
    tk_net_request req = {
        .transport = TK_NET_COAP,
        .method = TK_NET_POST,
        .method_name = "POST",
        .path = srv->path,
        .content_type = has_format ? TK_NET_MEDIA_TEEP : NULL,
        .content_format = has_format ? (int)format : -1,
        .body = body,
        .request_id = id,
        .peer = ex->peer,
    };
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    tk_err err = srv->handler(srv->handler_ctx, &req, &resp);
    pthread_mutex_lock(&srv->lock);
    srv->stats.requests++;
    if (err != TK_OK)
        srv->stats.handler_errors++;
    pthread_mutex_unlock(&srv->lock);
    size_t out = resp.body_len;
    if (err != TK_OK) {
        TK_LOG_ERROR(srv->log_name, "handler failed: %s (%s): id=%s",
                     tk_errname(err), tk_strerror(err), id);
        coap_pdu_set_code(ex->response, COAP_RESPONSE_CODE(500));
        store_reply(srv, ex->session, coap_pdu_get_mid(ex->request),
                    COAP_RESPONSE_CODE(500), NULL, 0);
        out = 0;
    } else {
        send_handler_response(ex, &resp);
    }
    tk_net_response_clear(&resp);
    unsigned status = tk_coap_status_from_code(coap_pdu_get_code(ex->response));
    TK_LOG_INFO(srv->log_name,
                "POST %s code=%u.%02u in=%zu out=%zu duration_ms=%llu id=%s "
                "peer=%s",
                srv->path, status / 100, status % 100, body.len, out,
                (unsigned long long)(tk_net_now_ms() - started_ms), id,
                ex->peer);
}

/* Checks Content-Format, Accept and the declared size of a request block.
 * Returns 0 when they pass; otherwise the reply is set. */
static int check_request(struct exchange *ex, size_t len, size_t total)
{
    tk_coap_server *srv = ex->srv;
    uint32_t value;
    if ((len > 0 || total > 0) &&
        (!tk_coap_option_uint(ex->request, COAP_OPTION_CONTENT_FORMAT,
                              &value) ||
         value != srv->content_format)) {
        reject(ex, 415, "payload without the TEEP Content-Format");
        return -1;
    }
    if (tk_coap_option_uint(ex->request, COAP_OPTION_ACCEPT, &value) &&
        value != srv->content_format) {
        reject(ex, 406, "Accept names another Content-Format");
        return -1;
    }
    if (total > srv->max_body) {
        reject(ex, 413, "declared size exceeds max_body");
        return -1;
    }
    return 0;
}

/* Adds one block of a block-wise request to its transfer; runs the handler
 * after the last one. */
static void receive_block(struct exchange *ex, const coap_block_t *block,
                          const uint8_t *data, size_t len, size_t offset)
{
    tk_coap_server *srv = ex->srv;
    struct transfer *t;
    if (offset == 0) {
        t = start_transfer(srv, ex->session);
        if (t == NULL) {
            reject(ex, 503, "too many block-wise requests in progress");
            return;
        }
    } else {
        t = find_transfer(srv, ex->session);
        if (t != NULL && block->m && offset < t->len &&
            len <= t->len - offset) {
            /* A retransmitted copy of a block already stored. */
            coap_pdu_set_code(ex->response, COAP_RESPONSE_CODE(231));
            return;
        }
        if (t == NULL || offset != t->len) {
            /* RFC 7959 section 2.9.2: a block out of sequence. */
            reject(ex, 408, "block out of sequence");
            coap_pdu_set_code(ex->response, COAP_RESPONSE_CODE(408));
            return;
        }
    }
    if (len > srv->max_body - t->len) {
        drop_transfer(t);
        reject(ex, 413, "reassembled request exceeds max_body");
        return;
    }
    if (append_block(srv, t, data, len) != 0) {
        drop_transfer(t);
        TK_LOG_ERROR(srv->log_name,
                     "cannot store a request block: out of memory: peer=%s",
                     ex->peer);
        coap_pdu_set_code(ex->response, COAP_RESPONSE_CODE(503));
        return;
    }
    if (block->m) {
        coap_pdu_set_code(ex->response, COAP_RESPONSE_CODE(231));
        return;
    }
    tk_view body = {t->body, t->len};
    handle_request(ex, body, t->id, t->started_ms);
    drop_transfer(t);
}

static void on_post(coap_resource_t *resource, coap_session_t *session,
                    const coap_pdu_t *request, const coap_string_t *query,
                    coap_pdu_t *response)
{
    struct exchange ex = {
        .srv = coap_resource_get_userdata(resource),
        .resource = resource,
        .session = session,
        .request = request,
        .query = query,
        .response = response,
    };
    const coap_address_t *remote = coap_session_get_addr_remote(session);
    tk_net_format_peer(remote != NULL ? &remote->addr.sa : NULL, ex.peer);

    size_t len = 0;
    size_t offset = 0;
    size_t total = 0;
    const uint8_t *data = NULL;
    if (!coap_get_data_large(request, &len, &data, &offset, &total)) {
        len = 0;
        offset = 0;
        total = 0;
    }
    if (check_request(&ex, len, total) != 0) {
        /* A refused block ends the peer's block-wise request, so that its
         * slot and buffer are free at once instead of at the timeout. */
        struct transfer *t = find_transfer(ex.srv, session);
        if (t != NULL)
            drop_transfer(t);
        return;
    }
    const struct stored_reply *stored =
        find_reply(ex.srv, session, coap_pdu_get_mid(request));
    if (stored != NULL) {
        resend_reply(&ex, stored);
        return;
    }
    coap_block_t block;
    if (coap_get_block(request, COAP_OPTION_BLOCK1, &block) &&
        (offset > 0 || block.m)) {
        receive_block(&ex, &block, data, len, offset);
        return;
    }
    /* The whole request came in one message. */
    char id[TK_NET_REQUEST_ID_SIZE];
    tk_net_new_request_id(id);
    tk_view body = {data, len};
    handle_request(&ex, body, id, tk_net_now_ms());
}

/* ---- Start and stop ---- */

/* NOTE: one thread runs libcoap and every handler, because libcoap 4.3.1 is
 * not thread-safe; a slow handler delays all CoAP peers. */
static void *io_main(void *arg)
{
    tk_coap_server *srv = arg;
    while (!atomic_load(&srv->stop)) {
        if (coap_io_process(srv->ctx, IO_WAIT_MS) < 0) {
            TK_LOG_ERROR(srv->log_name, "coap_io_process failed");
            usleep(IO_WAIT_MS * 1000u);
        }
        expire_transfers(srv);
    }
    return NULL;
}

/* Returns the port in a libcoap endpoint description such as
 * "127.0.0.1:5683 UDP" or "[::1]:5683 UDP", or 0. */
static uint16_t endpoint_port(const char *text)
{
    const char *space = strchr(text, ' ');
    const char *end = space != NULL ? space : text + strlen(text);
    const char *colon = NULL;
    for (const char *p = text; p < end; p++) {
        if (*p == ':')
            colon = p;
    }
    if (colon == NULL)
        return 0;
    unsigned long port = strtoul(colon + 1, NULL, 10);
    return port <= 65535 ? (uint16_t)port : 0;
}

/*
 * Returns 0 when nothing is bound to the UDP address yet. libcoap sets
 * SO_REUSEADDR, with which Linux lets a second server bind the same UDP
 * port and silently share its datagrams, so the port is probed first with
 * a plain socket. A port taken between the probe and the bind is not
 * caught.
 */
static int udp_port_free(const struct sockaddr_storage *storage, socklen_t len)
{
    int fd = socket(storage->ss_family, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    int bound = bind(fd, (const struct sockaddr *)storage, len);
    close(fd);
    return bound == 0 ? 0 : -1;
}

/* Opens the UDP endpoint and the resource. */
static tk_err listen_on(tk_coap_server *srv, const tk_coap_server_config *cfg)
{
    struct sockaddr_storage storage;
    socklen_t storage_len;
    const char *address = cfg->address != NULL ? cfg->address : "127.0.0.1";
    if (tk_net_parse_listen_address(address, cfg->port, &storage,
                                    &storage_len) != 0)
        return TK_ERR_NET_CONFIG;
    if (cfg->port != 0 && udp_port_free(&storage, storage_len) != 0) {
        TK_LOG_ERROR(srv->log_name, "cannot listen on %s port %u: in use",
                     address, (unsigned)cfg->port);
        return TK_ERR_NET_LISTEN;
    }
    coap_address_t addr;
    coap_address_init(&addr);
    memcpy(&addr.addr, &storage, storage_len);
    addr.size = storage_len;
    coap_endpoint_t *endpoint =
        coap_new_endpoint(srv->ctx, &addr, COAP_PROTO_UDP);
    if (endpoint == NULL) {
        TK_LOG_ERROR(srv->log_name, "cannot listen on %s port %u", address,
                     (unsigned)cfg->port);
        return TK_ERR_NET_LISTEN;
    }
    srv->port = endpoint_port(coap_endpoint_str(endpoint));

    coap_str_const_t *path =
        coap_new_str_const((const uint8_t *)cfg->path, strlen(cfg->path));
    if (path == NULL)
        return TK_ERR_NET_NO_MEMORY;
    coap_resource_t *resource =
        coap_resource_init(path, COAP_RESOURCE_FLAGS_RELEASE_URI);
    if (resource == NULL) {
        coap_delete_str_const(path);
        return TK_ERR_NET_NO_MEMORY;
    }
    coap_register_request_handler(resource, COAP_REQUEST_POST, on_post);
    coap_resource_set_userdata(resource, srv);
    coap_add_resource(srv->ctx, resource);
    return TK_OK;
}

static void free_server(tk_coap_server *srv)
{
    if (srv->ctx != NULL)
        coap_free_context(srv->ctx);
    for (size_t i = 0; i < TK_NET_MAX_COAP_TRANSFERS; i++)
        drop_transfer(&srv->transfers[i]);
    for (size_t i = 0; i < TK_NET_MAX_COAP_STORED_REPLIES; i++)
        drop_reply(&srv->replies[i]);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

static int config_valid(const tk_coap_server_config *cfg)
{
    return cfg->handler != NULL && cfg->path != NULL && cfg->path[0] != '\0' &&
           cfg->path[0] != '/' && strlen(cfg->path) + 2 <= PATH_SIZE &&
           cfg->max_body > 0 && cfg->transfer_timeout_ms > 0 &&
           cfg->content_format <= 65535 && cfg->max_sessions > 0;
}

tk_err tk_coap_server_start(const tk_coap_server_config *cfg,
                            tk_coap_server **out)
{
    if (cfg == NULL || out == NULL)
        return TK_ERR_INVALID_ARG;
    *out = NULL;
    if (!config_valid(cfg))
        return TK_ERR_NET_CONFIG;
    tk_coap_init();
    tk_coap_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return TK_ERR_NET_NO_MEMORY;
    if (pthread_mutex_init(&srv->lock, NULL) != 0) {
        free(srv);
        return TK_ERR_NET_NO_MEMORY;
    }
    snprintf(srv->path, sizeof srv->path, "/%s", cfg->path);
    snprintf(srv->log_name, sizeof srv->log_name, "%s",
             cfg->log_name != NULL ? cfg->log_name : "coap");
    srv->content_format = cfg->content_format;
    srv->max_body = cfg->max_body;
    srv->transfer_timeout_ms = cfg->transfer_timeout_ms;
    srv->handler = cfg->handler;
    srv->handler_ctx = cfg->ctx;

    srv->ctx = coap_new_context(NULL);
    if (srv->ctx == NULL) {
        free_server(srv);
        return TK_ERR_NET_NO_MEMORY;
    }
    coap_context_set_block_mode(srv->ctx, COAP_BLOCK_USE_LIBCOAP);
    coap_context_set_max_idle_sessions(srv->ctx, cfg->max_sessions);
    coap_set_app_data(srv->ctx, srv);
    coap_register_event_handler(srv->ctx, on_event);
    tk_err err = listen_on(srv, cfg);
    if (err == TK_OK && pthread_create(&srv->thread, NULL, io_main, srv) != 0)
        err = TK_ERR_NET_NO_MEMORY;
    if (err != TK_OK) {
        free_server(srv);
        return err;
    }
    TK_LOG_INFO(srv->log_name,
                "listening on %s port %u: path=%s content_format=%u "
                "max_body=%zu",
                cfg->address != NULL ? cfg->address : "127.0.0.1",
                (unsigned)srv->port, srv->path, srv->content_format,
                srv->max_body);
    *out = srv;
    return TK_OK;
}

uint16_t tk_coap_server_port(const tk_coap_server *srv)
{
    return srv != NULL ? srv->port : 0;
}

void tk_coap_server_stats_get(tk_coap_server *srv, tk_coap_server_stats *stats)
{
    pthread_mutex_lock(&srv->lock);
    *stats = srv->stats;
    pthread_mutex_unlock(&srv->lock);
}

void tk_coap_server_stop(tk_coap_server *srv)
{
    if (srv == NULL)
        return;
    atomic_store(&srv->stop, 1);
    pthread_join(srv->thread, NULL);
    TK_LOG_INFO(srv->log_name, "stopped listening on port %u",
                (unsigned)srv->port);
    free_server(srv);
}
