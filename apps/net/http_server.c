/*
 * HTTP server on libmicrohttpd (MHD) 0.9.75; see http_server.h.
 *
 * MHD runs a pool of polling threads and calls on_request() several times
 * per request: once when the header fields are in, once per piece of body,
 * and once more when the body is complete. A request's state lives in a
 * struct request from the first call until on_completed().
 *
 * MHD's own connection timeout only closes idle connections, so a peer that
 * sends one byte per second would hold a connection forever. A watchdog
 * thread therefore gives every connection a deadline for its current
 * request and shuts the socket down when it passes. MHD then reads the end
 * of the stream and closes the connection in its own thread. When the
 * request is a plain route's and its body is still arriving, MHD has
 * written nothing on the socket yet and will not until the body ends, so
 * the watchdog first writes a 408 reply itself (plain HTTP only).
 */
#define _GNU_SOURCE
#include "http_server.h"
#include "net_internal.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define DEFAULT_MAX_BODY ((size_t)1 << 20)
#define DEFAULT_IDLE_TIMEOUT_MS 10000u
#define DEFAULT_REQUEST_TIMEOUT_MS 30000u
#define DEFAULT_MAX_CONNECTIONS 256u
#define DEFAULT_THREADS 4u

/* First allocation for a body of unknown length (chunked). */
#define BODY_INITIAL_CAPACITY 4096u

struct route {
    char *path;
    size_t path_len; /* without the trailing '*' of a prefix */
    int prefix;
    unsigned methods;
    tk_http_route_kind kind;
    size_t max_body;
    tk_net_handler handler;
    void *ctx;
    tk_net_handler on_headers;
    tk_http_error_body_fn error_body;
};

/* One open TCP connection and the deadline of its current request. */
struct conn {
    struct conn *prev;
    struct conn *next;
    int fd;
    uint64_t deadline_ms;
    int cut; /* the watchdog has shut the socket down */
    char peer[TK_NET_PEER_SIZE];
    /* The request whose body is arriving, when the watchdog may reply to
     * it with 408; NULL otherwise. */
    struct request *receiving;
};

/* State of one request, from its header fields to on_completed(). */
struct request {
    tk_http_server *srv;
    struct conn *conn;
    const struct route *route;
    uint64_t start_ms;
    char id[TK_NET_REQUEST_ID_SIZE];
    char method[16];
    char *path;
    char peer[TK_NET_PEER_SIZE];
    unsigned status;  /* status queued, 0 until then */
    size_t bytes_out; /* response body length */
    uint8_t *body;
    size_t len;
    size_t cap;
    size_t limit;
    int overflow;   /* the body passed limit; the rest is discarded */
    size_t drained; /* bytes discarded after the overflow */
    /* Body of the server's own replies; NULL leaves them empty. */
    tk_http_error_body_fn error_fn;
    void *error_ctx;
    int timed_out; /* the watchdog has sent a 408 (under the lock) */
};

struct tk_http_server {
    struct MHD_Daemon *daemon;
    struct route routes[TK_NET_MAX_ROUTES];
    size_t route_count;
    char log_name[32];
    size_t max_body;
    unsigned request_timeout_ms;
    int allow_missing_accept;
    uint16_t port;
    char *tls_cert_pem; /* copies that outlive the daemon */
    char *tls_key_pem;
    tk_http_error_body_fn error_body;
    void *error_ctx;

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t watchdog_wake;
    pthread_cond_t requests_done;
    struct conn *conns;
    unsigned in_flight;
    int stopping;
    int watchdog_stop;
    pthread_t watchdog;
    tk_http_server_stats stats;
};

void tk_http_server_config_init(tk_http_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->address = "127.0.0.1";
    cfg->log_name = "http";
    cfg->max_body = DEFAULT_MAX_BODY;
    cfg->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
    cfg->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
    cfg->max_connections = DEFAULT_MAX_CONNECTIONS;
    cfg->threads = DEFAULT_THREADS;
}

/* ---- Watchdog of request deadlines ---- */

/* Converts a monotonic time in milliseconds to a timespec. */
static struct timespec monotonic_timespec(uint64_t ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    return ts;
}

/* Returns 1 when a handler's header field name must not appear in a reply
 * the watchdog writes, because the reply sets the field itself. */
static int timeout_reply_sets(const char *name)
{
    return strcasecmp(name, "Connection") == 0 ||
           strcasecmp(name, "Date") == 0 ||
           strcasecmp(name, "Transfer-Encoding") == 0;
}

/*
 * Writes a 408 reply for the request whose body c is receiving, with the
 * body of its error body function, and marks the request timed out. Runs
 * on the watchdog thread with srv->lock held. MHD has queued nothing on
 * the connection, because it replies only once the body is complete, so
 * the socket is the watchdog's to write. The reply is small and the
 * socket's send buffer empty; a reply that does not fit at once is cut
 * short, and the connection closes either way.
 */
static void send_timeout_reply(tk_http_server *srv, struct conn *c)
{
    struct request *req = c->receiving;
    c->receiving = NULL;
    req->timed_out = 1;
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    resp.status = 408;
    if (req->error_fn != NULL) {
        tk_net_request view = {
            .transport = TK_NET_HTTP,
            .method = tk_net_method_from_name(req->method),
            .method_name = req->method,
            .path = req->path,
            .content_format = -1,
            .request_id = req->id,
            .peer = req->peer,
        };
        req->error_fn(req->error_ctx, &view, 408, &resp);
    }
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    size_t cap = 1024 + resp.body_len +
                 (resp.content_type != NULL ? strlen(resp.content_type) : 0);
    for (size_t i = 0; i < resp.header_count; i++)
        cap += strlen(resp.headers[i].name) + strlen(resp.headers[i].value) +
               4;
    char *text = malloc(cap);
    if (text == NULL) {
        tk_net_response_clear(&resp);
        return;
    }
    int n = snprintf(
        text, cap,
        "HTTP/1.1 408 Request Timeout\r\nDate: %s\r\nConnection: close\r\n"
        "X-Request-Id: %s\r\nX-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: no-referrer\r\n%s%s",
        date, req->id,
        tk_net_response_header(&resp, "Content-Security-Policy") == NULL
            ? "Content-Security-Policy: default-src 'none'\r\n"
            : "",
        tk_net_response_header(&resp, "Cache-Control") == NULL
            ? "Cache-Control: no-store\r\n"
            : "");
    size_t len = n > 0 ? (size_t)n : 0;
    if (resp.body_len > 0)
        len += (size_t)snprintf(text + len, cap - len, "Content-Type: %s\r\n",
                                resp.content_type != NULL
                                    ? resp.content_type
                                    : "application/octet-stream");
    len += (size_t)snprintf(text + len, cap - len,
                            "Content-Length: %zu\r\n", resp.body_len);
    for (size_t i = 0; i < resp.header_count; i++) {
        const tk_net_header *h = &resp.headers[i];
        if (!timeout_reply_sets(h->name))
            len += (size_t)snprintf(text + len, cap - len, "%s: %s\r\n",
                                    h->name, h->value);
    }
    len += (size_t)snprintf(text + len, cap - len, "\r\n");
    if (resp.body_len > 0 && len + resp.body_len <= cap) {
        memcpy(text + len, resp.body, resp.body_len);
        len += resp.body_len;
    }
    ssize_t sent = send(c->fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0 && (size_t)sent == len) {
        req->status = 408;
        req->bytes_out = resp.body_len;
    } else {
        TK_LOG_WARN(srv->log_name,
                    "cannot send the 408 reply: id=%s peer=%s", req->id,
                    c->peer);
    }
    free(text);
    tk_net_response_clear(&resp);
}

/*
 * Shuts down the socket of every connection whose deadline has passed.
 * MHD closes the file descriptor only after it has reported the connection
 * closed to on_connection(), which unlinks it under the same lock, so the
 * descriptor is still the connection's own here.
 */
static void *watchdog_main(void *arg)
{
    tk_http_server *srv = arg;
    pthread_mutex_lock(&srv->lock);
    while (!srv->watchdog_stop) {
        uint64_t now = tk_net_now_ms();
        uint64_t wake = now + 1000u;
        for (struct conn *c = srv->conns; c != NULL; c = c->next) {
            if (c->cut)
                continue;
            if (c->deadline_ms <= now) {
                if (c->receiving != NULL)
                    send_timeout_reply(srv, c);
                shutdown(c->fd, SHUT_RDWR);
                c->cut = 1;
                srv->stats.timed_out++;
                TK_LOG_WARN(srv->log_name,
                            "request timed out, closing connection: "
                            "peer=%s timeout_ms=%u",
                            c->peer, srv->request_timeout_ms);
            } else if (c->deadline_ms < wake) {
                wake = c->deadline_ms;
            }
        }
        struct timespec until = monotonic_timespec(wake);
        pthread_cond_timedwait(&srv->watchdog_wake, &srv->lock, &until);
    }
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *mc,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    tk_http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd_info =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr_info =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL || fd_info == NULL) {
            /* Without its entry the connection has only the idle timeout,
             * which still bounds a silent peer. */
            free(c);
            TK_LOG_ERROR(srv->log_name,
                         "cannot track a new connection: out of memory");
            *socket_context = NULL;
            return;
        }
        c->fd = fd_info->connect_fd;
        tk_net_format_peer(addr_info != NULL ? addr_info->client_addr : NULL,
                           c->peer);
        pthread_mutex_lock(&srv->lock);
        c->deadline_ms = tk_net_now_ms() + srv->request_timeout_ms;
        c->next = srv->conns;
        if (srv->conns != NULL)
            srv->conns->prev = c;
        srv->conns = c;
        srv->stats.open_connections++;
        srv->stats.connections++;
        pthread_cond_signal(&srv->watchdog_wake);
        pthread_mutex_unlock(&srv->lock);
        *socket_context = c;
        return;
    }
    struct conn *c = *socket_context;
    if (c == NULL)
        return;
    pthread_mutex_lock(&srv->lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->stats.open_connections--;
    pthread_mutex_unlock(&srv->lock);
    free(c);
    *socket_context = NULL;
}

/* ---- Routing ---- */

static int route_matches_path(const struct route *r, const char *path)
{
    if (r->prefix)
        return strncmp(path, r->path, r->path_len) == 0;
    return strcmp(path, r->path) == 0;
}

/*
 * Returns the first route that matches path and method. When routes match
 * the path but none the method, returns NULL and sets *allowed to the union
 * of their methods (for the Allow field of a 405); *allowed is 0 when no
 * route matches the path. *first is the first route that matches the path
 * whatever the method, or NULL.
 */
static const struct route *find_route(const tk_http_server *srv,
                                      const char *path, tk_net_method method,
                                      unsigned *allowed,
                                      const struct route **first)
{
    *allowed = 0;
    *first = NULL;
    for (size_t i = 0; i < srv->route_count; i++) {
        const struct route *r = &srv->routes[i];
        if (!route_matches_path(r, path))
            continue;
        if (*first == NULL)
            *first = r;
        unsigned methods = r->methods;
        if (methods & TK_NET_GET)
            methods |= TK_NET_HEAD; /* MHD handles HEAD like GET */
        if (methods & method)
            return r;
        *allowed |= methods;
    }
    return NULL;
}

/* Writes the method names of bits to out, as an Allow field value. */
static void format_allow(unsigned bits, char *out, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {TK_NET_GET, "GET"},         {TK_NET_HEAD, "HEAD"},
        {TK_NET_POST, "POST"},       {TK_NET_PUT, "PUT"},
        {TK_NET_DELETE, "DELETE"},   {TK_NET_PATCH, "PATCH"},
        {TK_NET_OPTIONS, "OPTIONS"},
    };
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(bits & names[i].bit))
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used > 0 ? ", " : "",
                         names[i].name);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

/* ---- Replies ---- */

/* A reply under construction: status, body and header fields. */
struct reply {
    unsigned status;
    uint8_t *body; /* malloc'd, handed to MHD */
    size_t body_len;
    const char *content_type;
    const char *allow;
    const tk_net_response *extra; /* handler header fields, or NULL */
    int plain; /* a plain route's reply, or an error body's */
};

static int add_header(struct MHD_Response *resp, const char *name,
                      const char *value)
{
    return MHD_add_response_header(resp, name, value) == MHD_YES ? 0 : -1;
}

/* Adds the fixed header fields of req's route kind to resp. */
static int add_fixed_headers(const struct request *req,
                             const struct reply *reply,
                             struct MHD_Response *resp)
{
    int failed = add_header(resp, "X-Request-Id", req->id);
    if (reply->allow != NULL)
        failed |= add_header(resp, "Allow", reply->allow);
    int plain = reply->plain;
    const tk_net_response *extra = reply->extra;
    if (reply->body_len > 0 || plain) {
        /* draft-ietf-teep-otrp-over-http-15 section 4, from RFC 9205
         * section 4.13: content is never to be treated as active. */
        failed |= add_header(resp, "X-Content-Type-Options", "nosniff");
        failed |= add_header(resp, "Referrer-Policy", "no-referrer");
        if (tk_net_response_header(extra, "Content-Security-Policy") == NULL)
            failed |= add_header(resp, "Content-Security-Policy",
                                 "default-src 'none'");
    }
    if (reply->body_len > 0)
        failed |= add_header(resp, "Content-Type", reply->content_type);
    /* TEEP replies carry no Cache-Control at all: the spec forbids the
     * field because POST replies are not cacheable anyway. */
    if (plain && tk_net_response_header(extra, "Cache-Control") == NULL)
        failed |= add_header(resp, "Cache-Control", "no-store");
    return failed;
}

/* Returns 1 when a TEEP route must not pass on handler header field name:
 * TEEP over HTTP uses no cookies, no redirects and no Cache-Control. */
static int teep_forbids_header(const char *name)
{
    return strcasecmp(name, "Set-Cookie") == 0 ||
           strcasecmp(name, "Location") == 0 ||
           strcasecmp(name, "Cache-Control") == 0 ||
           strcasecmp(name, "Content-Security-Policy") == 0;
}

static int add_extra_headers(const struct request *req,
                             const tk_net_response *extra,
                             struct MHD_Response *resp)
{
    int failed = 0;
    int teep = req->route != NULL && req->route->kind == TK_HTTP_ROUTE_TEEP;
    for (size_t i = 0; extra != NULL && i < extra->header_count; i++) {
        const tk_net_header *h = &extra->headers[i];
        if (teep && teep_forbids_header(h->name)) {
            TK_LOG_WARN(req->srv->log_name,
                        "dropping header field %s on a TEEP route: id=%s",
                        h->name, req->id);
            continue;
        }
        failed |= add_header(resp, h->name, h->value);
    }
    return failed;
}

/*
 * Queues reply on connection mc and records its status in req. Takes the
 * body in every case. Returns MHD_YES, or MHD_NO to make MHD close the
 * connection when the reply cannot be built.
 */
static enum MHD_Result
send_reply(struct request *req, struct MHD_Connection *mc, struct reply *reply)
{
    struct MHD_Response *resp;
    if (reply->body_len > 0) {
        resp = MHD_create_response_from_buffer(reply->body_len, reply->body,
                                               MHD_RESPMEM_MUST_FREE);
    } else {
        free(reply->body);
        resp = MHD_create_response_from_buffer(0, (void *)"",
                                               MHD_RESPMEM_PERSISTENT);
    }
    if (resp == NULL) {
        if (reply->body_len > 0)
            free(reply->body);
        reply->body = NULL;
        TK_LOG_ERROR(req->srv->log_name,
                     "cannot build a reply: out of memory: id=%s", req->id);
        return MHD_NO;
    }
    reply->body = NULL;
    int failed = add_fixed_headers(req, reply, resp);
    failed |= add_extra_headers(req, reply->extra, resp);
    enum MHD_Result queued = MHD_NO;
    if (!failed)
        queued = MHD_queue_response(mc, reply->status, resp);
    MHD_destroy_response(resp);
    if (queued != MHD_YES) {
        TK_LOG_ERROR(req->srv->log_name,
                     "cannot queue the reply: status=%u id=%s", reply->status,
                     req->id);
        return MHD_NO;
    }
    req->status = reply->status;
    req->bytes_out = reply->body_len;
    return MHD_YES;
}

static const char *lookup_header(const tk_net_request *r, const char *name);
static const char *lookup_query(const tk_net_request *r, const char *name);

/* Fills request with the fields of req, without a body. */
static void request_view(const struct request *req, struct MHD_Connection *mc,
                         tk_net_request *request)
{
    memset(request, 0, sizeof *request);
    request->transport = TK_NET_HTTP;
    request->method = tk_net_method_from_name(req->method);
    request->method_name = req->method;
    request->path = req->path;
    request->content_type =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type");
    request->content_format = -1;
    request->request_id = req->id;
    request->peer = req->peer;
    request->lookup_header = lookup_header;
    request->lookup_query = lookup_query;
    request->transport_ctx = mc;
}

/*
 * Sends a reply that the server chooses itself: status, the Allow field
 * when allow is set, and the body of req's error body function, if it
 * has one.
 */
static enum MHD_Result send_status(struct request *req,
                                   struct MHD_Connection *mc, unsigned status,
                                   const char *allow)
{
    struct reply reply = {.status = status, .allow = allow};
    reply.plain = req->error_fn != NULL ||
                  (req->route != NULL &&
                   req->route->kind == TK_HTTP_ROUTE_PLAIN);
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    if (req->error_fn != NULL) {
        tk_net_request request;
        request_view(req, mc, &request);
        resp.status = status;
        req->error_fn(req->error_ctx, &request, status, &resp);
        reply.extra = &resp;
        reply.body = resp.body;
        reply.body_len = resp.body_len;
        reply.content_type = resp.content_type != NULL
                                 ? resp.content_type
                                 : "application/octet-stream";
        resp.body = NULL;
        resp.body_len = 0;
    }
    enum MHD_Result result = send_reply(req, mc, &reply);
    tk_net_response_clear(&resp);
    return result;
}

/*
 * Turns the handler's response into the reply of req's route kind and
 * sends it. TEEP routes: 2xx with a body becomes 200 (or the handler's
 * 2xx) with application/teep+cbor unless the handler named a type, 2xx
 * without a body becomes 204, and a redirect becomes 500 because TEEP
 * clients must not follow one.
 */
static enum MHD_Result send_handler_response(struct request *req,
                                             struct MHD_Connection *mc,
                                             tk_net_response *resp)
{
    int teep = req->route->kind == TK_HTTP_ROUTE_TEEP;
    struct reply reply = {.status = resp->status, .extra = resp,
                          .plain = !teep};
    reply.body = resp->body;
    reply.body_len = resp->body_len;
    resp->body = NULL;
    resp->body_len = 0;
    reply.content_type = resp->content_type;
    if (reply.content_type == NULL)
        reply.content_type =
            teep ? TK_NET_MEDIA_TEEP : "application/octet-stream";

    if (reply.status == 0)
        reply.status = reply.body_len > 0 ? 200 : 204;
    if (reply.status < 200 || reply.status > 599 ||
        (teep && reply.status >= 300 && reply.status < 400)) {
        TK_LOG_ERROR(req->srv->log_name,
                     "handler set status %u, which this route cannot send; "
                     "replying 500: id=%s",
                     reply.status, req->id);
        reply.status = 500;
        reply.body_len = 0;
    }
    if (reply.status == 204 || reply.status == 304)
        reply.body_len = 0; /* these statuses never carry content */
    if (teep && reply.status >= 200 && reply.status < 300)
        reply.status = reply.body_len > 0 ? reply.status : 204;
    return send_reply(req, mc, &reply);
}

/* ---- Request processing ---- */

static const char *lookup_header(const tk_net_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->transport_ctx, MHD_HEADER_KIND, name);
}

static const char *lookup_query(const tk_net_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->transport_ctx, MHD_GET_ARGUMENT_KIND,
                                       name);
}

/*
 * Parses the Content-Length field of mc into *len. Returns 1 when present
 * and valid, 0 when absent; MHD has already rejected malformed values.
 */
static int content_length(struct MHD_Connection *mc, uint64_t *len)
{
    const char *text =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
    if (text == NULL)
        return 0;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text)
        return 0;
    *len = value;
    return 1;
}

/* Checks the header fields of a request to a TEEP route against the
 * TEEP-over-HTTP rules. Returns 0 when they pass, or the status to send. */
static unsigned check_teep_headers(const tk_http_server *srv,
                                   struct MHD_Connection *mc, int has_body)
{
    const char *type =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type");
    if (has_body && !tk_net_media_type_is(type, TK_NET_MEDIA_TEEP))
        return 415;
    const char *accept =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Accept");
    if (accept == NULL)
        return srv->allow_missing_accept ? 0 : 406;
    if (!tk_net_accept_allows(accept, TK_NET_MEDIA_TEEP))
        return 406;
    return 0;
}

/* Creates the state of a new request. Returns NULL when out of memory. */
static struct request *new_request(tk_http_server *srv,
                                   struct MHD_Connection *mc, const char *url,
                                   const char *method)
{
    struct request *req = calloc(1, sizeof *req);
    if (req == NULL)
        return NULL;
    req->path = strdup(url);
    if (req->path == NULL) {
        free(req);
        return NULL;
    }
    req->srv = srv;
    req->start_ms = tk_net_now_ms();
    tk_net_new_request_id(req->id);
    snprintf(req->method, sizeof req->method, "%s", method);
    const union MHD_ConnectionInfo *ctx_info =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->conn = ctx_info != NULL ? ctx_info->socket_context : NULL;
    const union MHD_ConnectionInfo *addr_info =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    tk_net_format_peer(addr_info != NULL ? addr_info->client_addr : NULL,
                       req->peer);
    pthread_mutex_lock(&srv->lock);
    srv->in_flight++;
    srv->stats.requests++;
    pthread_mutex_unlock(&srv->lock);
    return req;
}

/*
 * Picks the error body function of a request to route r (the route that
 * matched, or for 404 and 405 the first route with the path, or NULL):
 * none for TEEP routes, else the route's own or the server's.
 */
static void choose_error_body(struct request *req, const tk_http_server *srv,
                              const struct route *r)
{
    if (r != NULL && r->kind == TK_HTTP_ROUTE_TEEP)
        return;
    if (r != NULL && r->error_body != NULL) {
        req->error_fn = r->error_body;
        req->error_ctx = r->ctx;
    } else {
        req->error_fn = srv->error_body;
        req->error_ctx = srv->error_ctx;
    }
}

/*
 * Runs the header hook of req's route. Sets *answered and returns the
 * result of the reply when the hook answered (or failed); else leaves
 * *answered 0 and returns MHD_YES.
 */
static enum MHD_Result run_header_hook(struct request *req,
                                       struct MHD_Connection *mc,
                                       int *answered)
{
    tk_net_request request;
    request_view(req, mc, &request);
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    tk_err err = req->route->on_headers(req->route->ctx, &request, &resp);
    *answered = err != TK_OK || resp.status != 0;
    enum MHD_Result result = MHD_YES;
    tk_http_server *srv = req->srv;
    if (err != TK_OK) {
        TK_LOG_ERROR(srv->log_name,
                     "header hook failed: %s (%s): path=%s id=%s",
                     tk_errname(err), tk_strerror(err), req->path, req->id);
        pthread_mutex_lock(&srv->lock);
        srv->stats.handler_errors++;
        pthread_mutex_unlock(&srv->lock);
        result = send_status(req, mc, 500, NULL);
    } else if (resp.status != 0) {
        pthread_mutex_lock(&srv->lock);
        srv->stats.early_replies++;
        pthread_mutex_unlock(&srv->lock);
        result = send_handler_response(req, mc, &resp);
    }
    tk_net_response_clear(&resp);
    return result;
}

/* Routes a new request and checks its header fields (first call). */
static enum MHD_Result begin_request(tk_http_server *srv,
                                     struct MHD_Connection *mc, const char *url,
                                     const char *method, void **con_cls)
{
    struct request *req = new_request(srv, mc, url, method);
    if (req == NULL) {
        TK_LOG_ERROR(srv->log_name, "cannot accept a request: out of memory");
        return MHD_NO;
    }
    *con_cls = req;

    unsigned allowed;
    const struct route *first;
    req->route = find_route(srv, url, tk_net_method_from_name(method),
                            &allowed, &first);
    choose_error_body(req, srv, req->route != NULL ? req->route : first);

    pthread_mutex_lock(&srv->lock);
    int stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    if (stopping)
        return send_status(req, mc, 503, NULL);

    if (req->route == NULL && allowed == 0)
        return send_status(req, mc, 404, NULL);
    if (req->route == NULL) {
        char allow[64];
        format_allow(allowed, allow, sizeof allow);
        return send_status(req, mc, 405, allow);
    }

    uint64_t declared = 0;
    int has_length = content_length(mc, &declared);
    int chunked = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                              "Transfer-Encoding") != NULL;
    int has_body = (has_length && declared > 0) || chunked;
    if (req->route->kind == TK_HTTP_ROUTE_TEEP) {
        unsigned status = check_teep_headers(srv, mc, has_body);
        if (status != 0)
            return send_status(req, mc, status, NULL);
    }
    if (req->route->on_headers != NULL) {
        int answered = 0;
        enum MHD_Result result = run_header_hook(req, mc, &answered);
        if (answered)
            return result;
    }
    req->limit =
        req->route->max_body != 0 ? req->route->max_body : srv->max_body;
    if (has_length && declared > req->limit) {
        pthread_mutex_lock(&srv->lock);
        srv->stats.rejected_too_large++;
        pthread_mutex_unlock(&srv->lock);
        return send_status(req, mc, 413, NULL);
    }
    if (has_length && declared > 0) {
        /* The declared length fits the limit: one allocation suffices. */
        req->body = malloc((size_t)declared);
        if (req->body == NULL) {
            TK_LOG_ERROR(srv->log_name,
                         "cannot store a body of %llu bytes: out of memory: "
                         "id=%s",
                         (unsigned long long)declared, req->id);
            return send_status(req, mc, 503, NULL);
        }
        req->cap = (size_t)declared;
    }
    /* Until the body is complete, a timeout gets a 408 written by the
     * watchdog: only on plain HTTP, where the socket carries the reply
     * bytes as they are. */
    if (has_body && req->route->kind == TK_HTTP_ROUTE_PLAIN &&
        srv->tls_cert_pem == NULL && req->conn != NULL) {
        pthread_mutex_lock(&srv->lock);
        req->conn->receiving = req;
        pthread_mutex_unlock(&srv->lock);
    }
    return MHD_YES;
}

/* Grows the body buffer of req to hold at least need bytes, never beyond
 * req->limit. Returns 0, or -1 when out of memory. */
static int reserve_body(struct request *req, size_t need)
{
    if (need <= req->cap)
        return 0;
    size_t cap = req->cap > 0 ? req->cap : BODY_INITIAL_CAPACITY;
    while (cap < need)
        cap = cap > req->limit / 2 ? req->limit : cap * 2;
    if (cap > req->limit)
        cap = req->limit;
    uint8_t *body = realloc(req->body, cap);
    if (body == NULL)
        return -1;
    req->body = body;
    req->cap = cap;
    tk_http_server *srv = req->srv;
    pthread_mutex_lock(&srv->lock);
    if (cap > srv->stats.max_body_buffered)
        srv->stats.max_body_buffered = cap;
    pthread_mutex_unlock(&srv->lock);
    return 0;
}

/*
 * Stores one piece of body. A body that grows past the limit is discarded
 * from then on, because MHD cannot send a reply before the body ends: the
 * rest is read (up to the limit again) and rejected with 413. A body that
 * goes on beyond that makes the server close the connection.
 */
static enum MHD_Result receive_body(struct request *req, const char *data,
                                    size_t *size)
{
    size_t n = *size;
    *size = 0;
    if (req->overflow) {
        req->drained += n;
        if (req->drained <= req->limit)
            return MHD_YES;
        TK_LOG_WARN(req->srv->log_name,
                    "request body exceeds the limit, closing connection: "
                    "limit=%zu id=%s peer=%s",
                    req->limit, req->id, req->peer);
        return MHD_NO;
    }
    if (n > req->limit - req->len) {
        req->overflow = 1;
        req->drained = n - (req->limit - req->len);
        free(req->body);
        req->body = NULL;
        req->cap = 0;
        pthread_mutex_lock(&req->srv->lock);
        req->srv->stats.rejected_too_large++;
        pthread_mutex_unlock(&req->srv->lock);
        return MHD_YES;
    }
    if (reserve_body(req, req->len + n) != 0) {
        TK_LOG_ERROR(req->srv->log_name,
                     "cannot store the request body: out of memory: id=%s",
                     req->id);
        return MHD_NO;
    }
    memcpy(req->body + req->len, data, n);
    req->len += n;
    return MHD_YES;
}

/* Runs the handler once the whole body is in (last call of a request). */
static enum MHD_Result finish_request(struct request *req,
                                      struct MHD_Connection *mc)
{
    tk_http_server *srv = req->srv;
    pthread_mutex_lock(&srv->lock);
    if (req->conn != NULL && req->conn->receiving == req)
        req->conn->receiving = NULL;
    int timed_out = req->timed_out;
    pthread_mutex_unlock(&srv->lock);
    if (timed_out)
        return MHD_NO; /* answered with 408; the connection is closing */
    if (req->overflow)
        return send_status(req, mc, 413, NULL);
    tk_net_request request;
    request_view(req, mc, &request);
    request.body = (tk_view){req->body, req->len};
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    tk_err err = req->route->handler(req->route->ctx, &request, &resp);
    enum MHD_Result result;
    if (err != TK_OK) {
        TK_LOG_ERROR(req->srv->log_name,
                     "handler failed: %s (%s): path=%s id=%s", tk_errname(err),
                     tk_strerror(err), req->path, req->id);
        pthread_mutex_lock(&req->srv->lock);
        req->srv->stats.handler_errors++;
        pthread_mutex_unlock(&req->srv->lock);
        result = send_status(req, mc, 500, NULL);
    } else {
        result = send_handler_response(req, mc, &resp);
    }
    tk_net_response_clear(&resp);
    return result;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct request *req = *con_cls;
    if (req == NULL)
        return begin_request(cls, mc, url, method, con_cls);
    if (*upload_data_size > 0)
        return receive_body(req, upload_data, upload_data_size);
    return finish_request(req, mc);
}

static const char *termination_text(enum MHD_RequestTerminationCode code)
{
    switch (code) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return "completed";
    case MHD_REQUEST_TERMINATED_WITH_ERROR:
        return "error";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "idle timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "server stopped";
    case MHD_REQUEST_TERMINATED_READ_ERROR:
        return "read error";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client closed the connection";
    }
    return "unknown";
}

/* Logs the request and releases its state. Bodies are never logged. */
static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)mc;
    tk_http_server *srv = cls;
    struct request *req = *con_cls;
    if (req == NULL)
        return;
    uint64_t now = tk_net_now_ms();
    pthread_mutex_lock(&srv->lock);
    if (req->conn != NULL && req->conn->receiving == req)
        req->conn->receiving = NULL;
    /* The watchdog may have set these for a 408. */
    unsigned status = req->status;
    size_t bytes_out = req->bytes_out;
    pthread_mutex_unlock(&srv->lock);
    tk_log_level level =
        code == MHD_REQUEST_TERMINATED_COMPLETED_OK ? TK_LOG_INFO : TK_LOG_WARN;
    tk_log(level, srv->log_name,
           "%s %s status=%u in=%zu out=%zu duration_ms=%llu id=%s peer=%s "
           "end=\"%s\"",
           req->method, req->path, status, req->len + req->drained,
           bytes_out, (unsigned long long)(now - req->start_ms), req->id,
           req->peer, termination_text(code));
    pthread_mutex_lock(&srv->lock);
    /* The next request on this connection gets a fresh deadline. */
    if (req->conn != NULL)
        req->conn->deadline_ms = now + srv->request_timeout_ms;
    srv->in_flight--;
    if (srv->in_flight == 0)
        pthread_cond_broadcast(&srv->requests_done);
    pthread_mutex_unlock(&srv->lock);
    free(req->body);
    free(req->path);
    free(req);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *format, va_list args)
{
    tk_http_server *srv = cls;
    char text[512];
    vsnprintf(text, sizeof text, format, args);
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    TK_LOG_WARN(srv->log_name, "libmicrohttpd: %s", text);
}

/* ---- Start and stop ---- */

/* Copies and checks the route table of cfg into srv. */
static tk_err copy_routes(tk_http_server *srv, const tk_http_server_config *cfg)
{
    if (cfg->route_count > TK_NET_MAX_ROUTES)
        return TK_ERR_LIMIT;
    if (cfg->route_count > 0 && cfg->routes == NULL)
        return TK_ERR_NET_CONFIG;
    for (size_t i = 0; i < cfg->route_count; i++) {
        const tk_http_route *in = &cfg->routes[i];
        struct route *r = &srv->routes[i];
        if (in->path == NULL || in->path[0] != '/' || in->handler == NULL ||
            in->methods == 0)
            return TK_ERR_NET_CONFIG;
        if (in->kind == TK_HTTP_ROUTE_TEEP && in->methods != TK_NET_POST)
            return TK_ERR_NET_CONFIG;
        if (in->kind != TK_HTTP_ROUTE_TEEP && in->kind != TK_HTTP_ROUTE_PLAIN)
            return TK_ERR_NET_CONFIG;
        /* TEEP routes keep the statuses and empty error replies of
         * draft-ietf-teep-otrp-over-http-15. */
        if (in->kind == TK_HTTP_ROUTE_TEEP &&
            (in->on_headers != NULL || in->error_body != NULL))
            return TK_ERR_NET_CONFIG;
        r->path = strdup(in->path);
        if (r->path == NULL)
            return TK_ERR_NET_NO_MEMORY;
        srv->route_count = i + 1;
        r->path_len = strlen(r->path);
        if (r->path[r->path_len - 1] == '*') {
            r->prefix = 1;
            r->path_len--;
        }
        r->methods = in->methods;
        r->kind = in->kind;
        r->max_body = in->max_body;
        r->handler = in->handler;
        r->ctx = in->ctx;
        r->on_headers = in->on_headers;
        r->error_body = in->error_body;
    }
    return TK_OK;
}

static void free_server(tk_http_server *srv)
{
    for (size_t i = 0; i < srv->route_count; i++)
        free(srv->routes[i].path);
    free(srv->tls_cert_pem);
    free(srv->tls_key_pem);
    pthread_cond_destroy(&srv->watchdog_wake);
    pthread_cond_destroy(&srv->requests_done);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

static int init_sync(tk_http_server *srv)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int failed = pthread_mutex_init(&srv->lock, NULL) != 0;
    failed |= pthread_cond_init(&srv->watchdog_wake, &attr) != 0;
    failed |= pthread_cond_init(&srv->requests_done, &attr) != 0;
    pthread_condattr_destroy(&attr);
    return failed ? -1 : 0;
}

static void stop_watchdog(tk_http_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    srv->watchdog_stop = 1;
    pthread_cond_signal(&srv->watchdog_wake);
    pthread_mutex_unlock(&srv->lock);
    pthread_join(srv->watchdog, NULL);
}

/* Starts MHD on the address of cfg. Returns TK_OK or TK_ERR_NET_LISTEN. */
static tk_err start_daemon(tk_http_server *srv,
                           const tk_http_server_config *cfg,
                           const struct sockaddr_storage *addr)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (addr->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (srv->tls_cert_pem != NULL)
        flags |= MHD_USE_TLS;
    unsigned idle_s = (cfg->idle_timeout_ms + 999u) / 1000u;
    struct MHD_OptionItem options[12];
    size_t n = 0;
    /* MHD wants the logger first, or it logs its own way until then. */
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
                                           (intptr_t)on_mhd_log, srv};
    options[n++] =
        (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)addr};
    options[n++] = (struct MHD_OptionItem){
        MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL};
    options[n++] =
        (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                (intptr_t)cfg->max_connections_per_ip, NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                           (intptr_t)idle_s, NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                           (intptr_t)on_completed, srv};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                           (intptr_t)on_connection, srv};
    if (cfg->threads > 1)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                               (intptr_t)cfg->threads, NULL};
    if (srv->tls_cert_pem != NULL) {
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                               srv->tls_cert_pem};
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                               srv->tls_key_pem};
    }
    options[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
                                   MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (srv->daemon == NULL)
        return TK_ERR_NET_LISTEN;
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info != NULL ? info->port : cfg->port;
    return TK_OK;
}

tk_err tk_http_server_start(const tk_http_server_config *cfg,
                            tk_http_server **out)
{
    if (cfg == NULL || out == NULL)
        return TK_ERR_INVALID_ARG;
    *out = NULL;
    const char *address = cfg->address != NULL ? cfg->address : "127.0.0.1";
    struct sockaddr_storage addr;
    socklen_t addr_len;
    if (tk_net_parse_listen_address(address, cfg->port, &addr, &addr_len) !=
            0 ||
        cfg->max_body == 0 || cfg->request_timeout_ms == 0 ||
        cfg->idle_timeout_ms == 0 || cfg->max_connections == 0 ||
        cfg->threads == 0 ||
        (cfg->tls_cert_pem == NULL) != (cfg->tls_key_pem == NULL))
        return TK_ERR_NET_CONFIG;

    tk_http_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return TK_ERR_NET_NO_MEMORY;
    if (init_sync(srv) != 0) {
        free(srv);
        return TK_ERR_NET_NO_MEMORY;
    }
    snprintf(srv->log_name, sizeof srv->log_name, "%s",
             cfg->log_name != NULL ? cfg->log_name : "http");
    srv->max_body = cfg->max_body;
    srv->request_timeout_ms = cfg->request_timeout_ms;
    srv->allow_missing_accept = cfg->allow_missing_accept;
    srv->error_body = cfg->error_body;
    srv->error_ctx = cfg->error_ctx;
    tk_err err = copy_routes(srv, cfg);
    if (err == TK_OK && cfg->tls_cert_pem != NULL) {
        srv->tls_cert_pem = strdup(cfg->tls_cert_pem);
        srv->tls_key_pem = strdup(cfg->tls_key_pem);
        if (srv->tls_cert_pem == NULL || srv->tls_key_pem == NULL)
            err = TK_ERR_NET_NO_MEMORY;
    }
    if (err != TK_OK) {
        free_server(srv);
        return err;
    }
    if (pthread_create(&srv->watchdog, NULL, watchdog_main, srv) != 0) {
        free_server(srv);
        return TK_ERR_NET_NO_MEMORY;
    }
    err = start_daemon(srv, cfg, &addr);
    if (err != TK_OK) {
        TK_LOG_ERROR(srv->log_name, "cannot listen on %s port %u: %s", address,
                     (unsigned)cfg->port, tk_strerror(err));
        stop_watchdog(srv);
        free_server(srv);
        return err;
    }
    TK_LOG_INFO(srv->log_name,
                "listening on %s port %u: scheme=%s routes=%zu threads=%u "
                "max_body=%zu request_timeout_ms=%u",
                address, (unsigned)srv->port,
                srv->tls_cert_pem != NULL ? "https" : "http", srv->route_count,
                cfg->threads, srv->max_body, srv->request_timeout_ms);
    *out = srv;
    return TK_OK;
}

uint16_t tk_http_server_port(const tk_http_server *srv)
{
    return srv != NULL ? srv->port : 0;
}

void tk_http_server_stats_get(tk_http_server *srv, tk_http_server_stats *stats)
{
    pthread_mutex_lock(&srv->lock);
    *stats = srv->stats;
    pthread_mutex_unlock(&srv->lock);
}

void tk_http_server_stop(tk_http_server *srv)
{
    if (srv == NULL)
        return;
    pthread_mutex_lock(&srv->lock);
    srv->stopping = 1;
    pthread_mutex_unlock(&srv->lock);

    /* Stop accepting; MHD hands back the listening socket to close. */
    MHD_socket listen_fd = MHD_quiesce_daemon(srv->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);

    pthread_mutex_lock(&srv->lock);
    uint64_t deadline = tk_net_now_ms() + srv->request_timeout_ms;
    struct timespec until = monotonic_timespec(deadline);
    while (srv->in_flight > 0) {
        if (pthread_cond_timedwait(&srv->requests_done, &srv->lock, &until) ==
            ETIMEDOUT)
            break;
    }
    unsigned left = srv->in_flight;
    pthread_mutex_unlock(&srv->lock);
    if (left > 0)
        TK_LOG_WARN(srv->log_name, "stopping with %u requests still in flight",
                    left);

    MHD_stop_daemon(srv->daemon);
    stop_watchdog(srv);
    TK_LOG_INFO(srv->log_name, "stopped listening on port %u",
                (unsigned)srv->port);
    free_server(srv);
}
