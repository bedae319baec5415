/*
 * The admin listener: one catch-all route on its own HTTP server, bearer
 * token checks, path routing, and the JSON replies and request helpers
 * that the resource handlers share.
 *
 * The listener's routes match every path and method, so that the API
 * replies to unknown paths (404) and methods (405) itself. They differ
 * only in their body limit: component uploads may be large, other bodies
 * are JSON. Their header hook checks the bearer token before the server
 * reads any byte of a body, and their error body function makes the
 * server's own replies (413, 408, 503) JSON errors like the API's.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "admin_internal.h"
#include "keyfile.h"
#include "util.h"

/* Every method bit, so that the route matches every request. */
#define ALL_METHODS                                                         \
    (TK_NET_GET | TK_NET_HEAD | TK_NET_POST | TK_NET_PUT | TK_NET_DELETE |  \
     TK_NET_PATCH | TK_NET_OPTIONS | TK_NET_FETCH | TK_NET_OTHER)

/* Default limit of one component upload; the store keeps envelopes of up
 * to 16 MiB. */
#define DEFAULT_MAX_UPLOAD (16u * 1024u * 1024u)

/* Path of component uploads, whose route has the upload limit. */
#define UPLOAD_PATH "/api/v1/components"

/* Connections of the admin listener. Bodies reach memory only after the
 * header hook has accepted the token, so clients without the token hold
 * none. Clients with it hold at most ADMIN_CONNECTIONS uploads. */
#define ADMIN_CONNECTIONS 32

/* ---- Replies ------------------------------------------------------------- */

tk_err admin_reply(admin_call *call, unsigned status, json_t *value)
{
    char *text = value != NULL ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    if (text == NULL) {
        call->resp->status = 500;
        TK_LOG_ERROR(ADMIN_LOG, "cannot encode a JSON reply: out of memory "
                                "id=%s",
                     call->req->request_id);
        return TK_OK;
    }
    call->resp->status = status;
    size_t len = strlen(text);
    tk_err err = tk_net_response_take_body(call->resp, ADMIN_MEDIA_JSON, text,
                                           len);
    if (err != TK_OK)
        call->resp->status = 500;
    return TK_OK;
}

tk_err admin_error(admin_call *call, unsigned status, const char *code,
                   const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (status >= 500)
        TK_LOG_ERROR(ADMIN_LOG, "%s %s failed: status=%u code=%s %s id=%s",
                     call->req->method_name, call->req->path, status, code,
                     message, call->req->request_id);
    json_t *body = json_pack("{s:s, s:s}", "code", code, "message", message);
    return admin_reply(call, status, body);
}

tk_err admin_method_not_allowed(admin_call *call, const char *allow)
{
    tk_net_response_add_header(call->resp, "Allow", allow);
    return admin_error(call, 405, "method_not_allowed",
                       "%s is not allowed on %s; allowed: %s",
                       call->req->method_name, call->req->path, allow);
}

tk_err admin_store_error(admin_call *call, tk_err err,
                         const tk_store_detail *detail)
{
    const char *text = detail != NULL && detail->text[0] != '\0'
                           ? detail->text
                           : tk_strerror(err);
    switch (err) {
    case TK_ERR_STORE_NOT_FOUND:
        return admin_error(call, 404, "not_found", "%s", text);
    case TK_ERR_STORE_DUPLICATE:
        return admin_error(call, 409, "conflict", "%s", text);
    case TK_ERR_STORE_REFERENCE:
        return admin_error(call, 409, "in_use", "%s", text);
    case TK_ERR_STORE_CONFLICT:
        return admin_error(call, 409, "conflict", "%s", text);
    case TK_ERR_STORE_CONSTRAINT:
    case TK_ERR_INVALID_ARG:
    case TK_ERR_LIMIT:
        return admin_error(call, 400, "invalid_request", "%s", text);
    case TK_ERR_STORE_BUSY:
    case TK_ERR_STORE_TIMEOUT:
    case TK_ERR_STORE_CONNECT:
        tk_net_response_add_header(call->resp, "Retry-After", "1");
        return admin_error(call, 503, "store_unavailable", "%s (%s)", text,
                           tk_errname(err));
    default:
        return admin_error(call, 500, "store_error", "%s (%s)", text,
                           tk_errname(err));
    }
}

tk_err admin_reply_list(admin_call *call, json_t *items, int64_t next)
{
    if (items == NULL)
        return admin_error(call, 500, "internal", "out of memory");
    char cursor[24];
    snprintf(cursor, sizeof(cursor), "%" PRId64, next);
    json_t *body = json_pack("{s:o, s:o}", "items", items, "next_cursor",
                             next != 0 ? json_string(cursor) : json_null());
    return admin_reply(call, 200, body);
}

/* ---- Request helpers ---------------------------------------------------- */

bool admin_parse_id(const char *text, int64_t *id)
{
    if (text == NULL || text[0] == '\0' || strlen(text) > 18)
        return false;
    int64_t v = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *id = v;
    return v > 0;
}

bool admin_page(admin_call *call, tk_store_page *page)
{
    memset(page, 0, sizeof(*page));
    page->limit = TK_STORE_PAGE_DEFAULT;
    const char *limit = tk_net_request_query(call->req, "limit");
    const char *cursor = tk_net_request_query(call->req, "cursor");
    const char *order = tk_net_request_query(call->req, "order");
    int64_t v = 0;
    if (limit != NULL) {
        if (!admin_parse_id(limit, &v) || v > TK_STORE_MAX_PAGE) {
            admin_error(call, 400, "invalid_request",
                        "limit must be a whole number from 1 to %d, not "
                        "'%.40s'",
                        TK_STORE_MAX_PAGE, limit);
            return false;
        }
        page->limit = (uint32_t)v;
    }
    if (cursor != NULL) {
        if (!admin_parse_id(cursor, &v)) {
            admin_error(call, 400, "invalid_request",
                        "cursor '%.40s' is invalid; pass the next_cursor "
                        "of the previous page",
                        cursor);
            return false;
        }
        page->after = v;
    }
    if (order != NULL && strcmp(order, "desc") == 0) {
        page->newest_first = true;
    } else if (order != NULL && strcmp(order, "asc") != 0) {
        admin_error(call, 400, "invalid_request",
                    "order must be asc or desc, not '%.40s'", order);
        return false;
    }
    return true;
}

json_t *admin_json_body(admin_call *call)
{
    const tk_net_request *req = call->req;
    if (!tk_net_media_type_is(req->content_type, ADMIN_MEDIA_JSON)) {
        admin_error(call, 415, "unsupported_media_type",
                    "the body must be %s, not %.80s", ADMIN_MEDIA_JSON,
                    req->content_type != NULL ? req->content_type
                                              : "missing");
        return NULL;
    }
    if (req->body.len > TK_ADMIN_MAX_JSON) {
        admin_error(call, 413, "payload_too_large",
                    "the JSON body has %zu bytes; at most %u are allowed",
                    req->body.len, TK_ADMIN_MAX_JSON);
        return NULL;
    }
    if (req->body.len == 0) {
        admin_error(call, 400, "invalid_json",
                    "the request body is empty; send a JSON object");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)req->body.ptr, req->body.len,
                              JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        admin_error(call, 400, "invalid_json",
                    "invalid JSON at line %d, column %d: %s", jerr.line,
                    jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        admin_error(call, 400, "invalid_request",
                    "the body must be a JSON object");
        return NULL;
    }
    return root;
}

bool admin_hex_decode(const char *text, size_t max, uint8_t **out,
                      size_t *len)
{
    size_t n = strlen(text);
    if (n == 0 || n % 2 != 0 || n / 2 > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)text[i]))
            return false;
    uint8_t *buf = malloc(n / 2);
    if (buf == NULL)
        return false;
    long got = tk_util_hex_decode(text, n, buf, n / 2);
    if (got != (long)(n / 2)) {
        free(buf);
        return false;
    }
    *out = buf;
    *len = n / 2;
    return true;
}

bool admin_find_device(admin_call *call, const char *ueid_hex,
                       tk_store_device *out)
{
    uint8_t *ueid = NULL;
    size_t len = 0;
    if (!admin_hex_decode(ueid_hex, 64, &ueid, &len)) {
        admin_error(call, 400, "invalid_request",
                    "device '%.140s' is not a UEID of 1 to 64 bytes in hex",
                    ueid_hex);
        return false;
    }
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_device_find(call->admin->store,
                                      (tk_view){ueid, len}, &call->mem, out,
                                      &detail);
    free(ueid);
    if (err == TK_ERR_STORE_NOT_FOUND) {
        admin_error(call, 404, "not_found", "no device has the UEID %.140s",
                    ueid_hex);
        return false;
    }
    if (err != TK_OK) {
        admin_store_error(call, err, &detail);
        return false;
    }
    return true;
}

bool admin_find_component(admin_call *call, const char *id_text,
                          tk_store_component *out)
{
    int64_t id = 0;
    if (!admin_parse_id(id_text, &id)) {
        admin_error(call, 400, "invalid_request",
                    "component '%.40s' is not a component number", id_text);
        return false;
    }
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_component_get(call->admin->store, id, &call->mem,
                                        out, &detail);
    if (err == TK_ERR_STORE_NOT_FOUND) {
        admin_error(call, 404, "not_found", "no component has the number %s",
                    id_text);
        return false;
    }
    if (err != TK_OK) {
        admin_store_error(call, err, &detail);
        return false;
    }
    return true;
}

bool admin_find_class(admin_call *call, const char *name, bool create,
                      int64_t *id)
{
    tk_store_class cls;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_class_find(call->admin->store, name, &call->mem,
                                     &cls, &detail);
    if (err == TK_OK) {
        *id = cls.id;
        return true;
    }
    if (err == TK_ERR_STORE_NOT_FOUND && !create) {
        admin_error(call, 404, "not_found", "no device class is named '%.140s'",
                    name);
        return false;
    }
    if (err == TK_ERR_STORE_NOT_FOUND) {
        tk_store_class add;
        memset(&add, 0, sizeof(add));
        add.name = name;
        err = tk_store_class_add(call->admin->store, &add, TK_ADMIN_ACTOR, id,
                                 &detail);
        /* Another request may have created the class meanwhile. */
        if (err == TK_ERR_STORE_DUPLICATE)
            return admin_find_class(call, name, false, id);
    }
    if (err != TK_OK) {
        admin_store_error(call, err, &detail);
        return false;
    }
    return true;
}

const char *admin_member_string(admin_call *call, json_t *obj,
                                const char *name, bool *bad)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        if (!*bad)
            admin_error(call, 400, "invalid_request",
                        "member '%s' must be a string", name);
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

/* ---- Authentication -------------------------------------------------------- */

/* Hashes token text with SHA-256 into digest. */
static tk_err token_digest(const tk_crypto *crypto, const char *token,
                           size_t len, uint8_t digest[32])
{
    tk_view part = {(const uint8_t *)token, len};
    size_t out_len = 0;
    return crypto->hash(crypto->ctx, TK_ALG_SHA256, &part, 1, digest, 32,
                        &out_len);
}

/* Checks the Authorization field (RFC 6750 section 2.1). Sends 401 and
 * returns false when the token is missing or wrong. */
static bool authorized(admin_call *call)
{
    const char *field = tk_net_request_header(call->req, "Authorization");
    const char *reason = "missing Authorization field";
    bool ok = false;
    if (field != NULL && strncasecmp(field, "Bearer ", 7) == 0) {
        const char *token = field + 7;
        while (*token == ' ')
            token++;
        size_t len = strlen(token);
        while (len > 0 && token[len - 1] == ' ')
            len--;
        uint8_t digest[32];
        reason = "invalid bearer token";
        if (len > 0 && len <= TK_ADMIN_TOKEN_MAX &&
            token_digest(call->admin->crypto, token, len, digest) == TK_OK)
            ok = tk_crypto_ct_equal(digest, call->admin->token_digest, 32);
    } else if (field != NULL) {
        reason = "the Authorization field is not a Bearer token";
    }
    if (ok)
        return true;
    TK_LOG_WARN(ADMIN_LOG, "request rejected: %s: %s %s peer=%s id=%s",
                reason, call->req->method_name, call->req->path,
                call->req->peer != NULL ? call->req->peer : "-",
                call->req->request_id);
    tk_net_response_add_header(call->resp, "WWW-Authenticate",
                               "Bearer realm=\"teepkit admin\"");
    admin_error(call, 401, "unauthorized",
                "%s; send Authorization: Bearer with the admin token",
                reason);
    return false;
}

/* Returns true for the paths whose requests need the bearer token. */
static bool needs_token(const char *path)
{
    return strcmp(path, "/metrics") == 0 || strcmp(path, "/api") == 0 ||
           strncmp(path, "/api/", 5) == 0;
}

/* Counts a reply of the admin listener in the metrics. */
static void count_reply(tk_admin *admin, unsigned status)
{
    if (admin->metrics != NULL)
        tk_admin_metrics_http(admin->metrics, TK_ADMIN_LISTENER_ADMIN,
                              status);
}

/* Returns true when req announces a body: a Content-Length above 0 or a
 * Transfer-Encoding. */
static bool has_body(const tk_net_request *req)
{
    const char *length = tk_net_request_header(req, "Content-Length");
    return tk_net_request_header(req, "Transfer-Encoding") != NULL ||
           (length != NULL && strspn(length, "0") != strlen(length));
}

/*
 * Header hook of the listener's routes (tk_net_handler), which runs before
 * the server reads any byte of a body. It rejects a request to the API or
 * the metrics without the right token (401), and a request to the
 * dashboard with a method other than GET or HEAD (405) or with a body
 * (400). Other requests go on to tk_admin_handle(), which checks the
 * token again because tests call it without a listener.
 */
static tk_err admin_headers(void *ctx, const tk_net_request *req,
                            tk_net_response *resp)
{
    admin_call call;
    memset(&call, 0, sizeof(call));
    call.admin = ctx;
    call.req = req;
    call.resp = resp;
    call.method = req->method == TK_NET_HEAD ? TK_NET_GET : req->method;
    const char *path = req->path != NULL ? req->path : "/";
    if (needs_token(path)) {
        if (authorized(&call))
            return TK_OK;
    } else if (call.method != TK_NET_GET) {
        admin_method_not_allowed(&call, "GET, HEAD");
    } else if (has_body(req)) {
        admin_error(&call, 400, "invalid_request",
                    "the dashboard's files take no request body");
    } else {
        return TK_OK;
    }
    count_reply(call.admin, resp->status);
    return TK_OK;
}

/*
 * Error body of the listener's routes (tk_http_error_body_fn): the JSON
 * error object of the API for the replies that the HTTP server sends on
 * its own. The listener's routes match every path and method, so these
 * are 408, 413, 500 and 503.
 */
static void admin_error_body(void *ctx, const tk_net_request *req,
                             unsigned status, tk_net_response *resp)
{
    admin_call call;
    memset(&call, 0, sizeof(call));
    call.admin = ctx;
    call.req = req;
    call.resp = resp;
    const char *path = req->path != NULL ? req->path : "/";
    switch (status) {
    case 404:
        admin_error(&call, 404, "not_found", "no resource at %.200s", path);
        break;
    case 405:
        admin_error(&call, 405, "method_not_allowed",
                    "%s is not allowed on %.200s", req->method_name, path);
        break;
    case 408:
        admin_error(&call, 408, "request_timeout",
                    "the request did not arrive in time; send the whole "
                    "body without pauses");
        break;
    case 413:
        if (strcmp(path, UPLOAD_PATH) == 0)
            admin_error(&call, 413, "payload_too_large",
                        "the body is larger than the %zu bytes allowed for "
                        "an envelope (admin_max_upload)",
                        call.admin->max_upload);
        else
            admin_error(&call, 413, "payload_too_large",
                        "the body is larger than the %u bytes allowed for a "
                        "JSON body",
                        TK_ADMIN_MAX_JSON);
        break;
    case 503:
        tk_net_response_add_header(resp, "Retry-After", "1");
        admin_error(&call, 503, "unavailable",
                    "the admin listener is stopping or out of memory; "
                    "retry on another worker");
        break;
    default:
        admin_error(&call, status, "internal",
                    "the request failed; the worker's log has the reason");
        break;
    }
    count_reply(call.admin, status);
}

/* ---- Routing ------------------------------------------------------------- */

/* Splits the part of call->path after "/api/v1/" into call->seg. Returns
 * false when it has too many segments or an empty one. */
static bool split_path(admin_call *call, char *rest)
{
    call->nseg = 0;
    size_t n = strlen(rest);
    if (n > 0 && rest[n - 1] == '/')
        rest[n - 1] = '\0';
    if (rest[0] == '\0')
        return true;
    char *p = rest;
    for (;;) {
        if (call->nseg == ADMIN_MAX_SEGMENTS)
            return false;
        char *slash = strchr(p, '/');
        if (slash != NULL)
            *slash = '\0';
        if (*p == '\0')
            return false;
        call->seg[call->nseg++] = p;
        if (slash == NULL)
            return true;
        p = slash + 1;
    }
}

static tk_err route_api(admin_call *call)
{
    char *rest = NULL;
    if (strcmp(call->path, "/api/v1") == 0)
        rest = call->path + strlen(call->path);
    else if (strncmp(call->path, "/api/v1/", 8) == 0)
        rest = call->path + 8;
    if (rest == NULL || !split_path(call, rest) || call->nseg == 0)
        return admin_error(call, 404, "not_found",
                           "no API resource at %.200s; the API lives under "
                           "/api/v1/ (see docs/openapi.yaml)",
                           call->req->path);
    const char *resource = call->seg[0];
    static const struct {
        const char *name;
        tk_err (*handler)(admin_call *call);
    } resources[] = {
        {"devices", admin_devices},
        {"components", admin_components},
        {"classes", admin_classes},
        {"policy", admin_policy},
        {"summary", admin_summary},
        {"attestations", admin_attestations},
        {"reports", admin_reports},
        {"audit", admin_audit},
    };
    for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
        if (strcmp(resource, resources[i].name) == 0)
            return resources[i].handler(call);
    return admin_error(call, 404, "not_found", "no API resource named "
                                               "'%.100s'",
                       resource);
}

static tk_err route_metrics(admin_call *call)
{
    if (call->method != TK_NET_GET)
        return admin_method_not_allowed(call, "GET, HEAD");
    tk_admin *admin = call->admin;
    char *text = tk_admin_metrics_render(admin->metrics, admin->tam,
                                         admin->store, admin->teep,
                                         admin->http);
    if (text == NULL)
        return admin_error(call, 500, "internal",
                           "cannot render the metrics: out of memory");
    call->resp->status = 200;
    return tk_net_response_take_body(call->resp,
                                     "text/plain; version=0.0.4; "
                                     "charset=utf-8",
                                     text, strlen(text));
}

static tk_err route_dashboard(admin_call *call)
{
    if (call->method != TK_NET_GET)
        return admin_method_not_allowed(call, "GET, HEAD");
    tk_err err = TK_OK;
    if (admin_dashboard_file(call->path, call->resp, &err))
        return err;
    return admin_error(call, 404, "not_found",
                       "no page at %.200s; the dashboard is at /",
                       call->req->path);
}

tk_err tk_admin_handle(void *ctx, const tk_net_request *req,
                       tk_net_response *resp)
{
    admin_call call;
    memset(&call, 0, sizeof(call));
    call.admin = ctx;
    call.req = req;
    call.resp = resp;
    call.method = req->method == TK_NET_HEAD ? TK_NET_GET : req->method;
    tk_err err = TK_OK;
    const char *path = req->path != NULL ? req->path : "/";
    if (strlen(path) >= sizeof(call.path)) {
        err = admin_error(&call, 414, "uri_too_long",
                          "the path has %zu bytes; at most %zu are allowed",
                          strlen(path), sizeof(call.path) - 1);
    } else {
        snprintf(call.path, sizeof(call.path), "%s", path);
        if (strcmp(path, "/metrics") == 0) {
            if (authorized(&call))
                err = route_metrics(&call);
        } else if (needs_token(path)) {
            if (authorized(&call))
                err = route_api(&call);
        } else {
            err = route_dashboard(&call);
        }
    }
    tk_store_mem_free(&call.mem);
    unsigned status = resp->status != 0 ? resp->status
                                        : (resp->body_len > 0 ? 200 : 204);
    /* A handler error gets the server's 500, which admin_error_body()
     * counts. */
    if (err == TK_OK)
        count_reply(call.admin, status);
    return err;
}

/* ---- Life cycle ----------------------------------------------------------- */

/* Checks that token has the allowed length and printable characters
 * without spaces (a "key = value" file would cut '#' and spaces). */
static bool token_valid(const char *token, char *msg, size_t msg_size)
{
    size_t len = token != NULL ? strlen(token) : 0;
    if (len < TK_ADMIN_TOKEN_MIN || len > TK_ADMIN_TOKEN_MAX) {
        snprintf(msg, msg_size,
                 "the admin token must have %d to %d characters, not %zu; "
                 "set admin_token or admin_token_file",
                 TK_ADMIN_TOKEN_MIN, TK_ADMIN_TOKEN_MAX, len);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)token[i];
        if (c <= 0x20 || c >= 0x7f || c == '#') {
            snprintf(msg, msg_size,
                     "the admin token contains a space, '#' or a character "
                     "outside printable ASCII at position %zu",
                     i + 1);
            return false;
        }
    }
    return true;
}

static tk_err load_signers(tk_admin *admin, const tk_admin_config *cfg,
                           char *msg, size_t msg_size)
{
    for (size_t i = 0; i < cfg->signer_count; i++) {
        if (i == TK_TAM_MAX_SIGNER_KEYS) {
            snprintf(msg, msg_size, "at most %d component signer keys are "
                                    "allowed",
                     TK_TAM_MAX_SIGNER_KEYS);
            return TK_ERR_TAM_CONFIG;
        }
        tk_keyfile_info info;
        tk_key_init(&admin->signers[i]);
        tk_err err = tk_keyfile_load(admin->crypto, cfg->signers[i],
                                     &admin->signers[i], &info, msg,
                                     msg_size);
        if (err != TK_OK)
            return TK_ERR_TAM_CONFIG;
        /* The kid points into info, which ends here; envelopes are
         * verified with every key, not by kid. */
        admin->signers[i].kid = (tk_view){NULL, 0};
        admin->signer_count++;
    }
    return TK_OK;
}

tk_err tk_admin_start(const tk_admin_config *cfg, tk_tam *tam,
                      tk_admin_metrics *metrics, tk_http_server *teep,
                      tk_admin **out, char *msg, size_t msg_size)
{
    if (cfg == NULL || tam == NULL || out == NULL)
        return TK_ERR_INVALID_ARG;
    *out = NULL;
    if (!token_valid(cfg->token, msg, msg_size))
        return TK_ERR_TAM_CONFIG;
    tk_admin *admin = calloc(1, sizeof(*admin));
    if (admin == NULL) {
        snprintf(msg, msg_size, "out of memory");
        return TK_ERR_NET_NO_MEMORY;
    }
    admin->tam = tam;
    admin->store = tk_tam_store(tam);
    admin->crypto = tk_crypto_openssl();
    admin->metrics = metrics;
    admin->teep = teep;
    admin->max_upload = cfg->max_upload != 0 ? cfg->max_upload
                                             : DEFAULT_MAX_UPLOAD;
    tk_err err = token_digest(admin->crypto, cfg->token, strlen(cfg->token),
                              admin->token_digest);
    if (err == TK_OK)
        err = load_signers(admin, cfg, msg, msg_size);
    if (err != TK_OK) {
        tk_admin_stop(admin);
        return err;
    }
    /* Only uploads may be large; every other body is JSON. */
    tk_http_route routes[2];
    memset(routes, 0, sizeof(routes));
    routes[0].path = UPLOAD_PATH;
    routes[0].max_body = admin->max_upload;
    routes[1].path = "/*";
    routes[1].max_body = TK_ADMIN_MAX_JSON;
    for (size_t i = 0; i < 2; i++) {
        routes[i].methods = ALL_METHODS;
        routes[i].kind = TK_HTTP_ROUTE_PLAIN;
        routes[i].handler = tk_admin_handle;
        routes[i].ctx = admin;
        routes[i].on_headers = admin_headers;
        routes[i].error_body = admin_error_body;
    }
    tk_http_server_config hc;
    tk_http_server_config_init(&hc);
    hc.address = cfg->address != NULL ? cfg->address
                                      : TK_ADMIN_DEFAULT_ADDRESS;
    hc.port = cfg->port;
    hc.log_name = ADMIN_LOG;
    hc.threads = cfg->threads != 0 ? cfg->threads : 2;
    hc.max_body = routes[1].max_body;
    hc.max_connections = ADMIN_CONNECTIONS;
    if (cfg->request_timeout_ms != 0)
        hc.request_timeout_ms = cfg->request_timeout_ms;
    hc.routes = routes;
    hc.route_count = 2;
    err = tk_http_server_start(&hc, &admin->http);
    if (err != TK_OK) {
        snprintf(msg, msg_size, "cannot listen on %s port %u: %s",
                 hc.address, (unsigned)hc.port, tk_strerror(err));
        tk_admin_stop(admin);
        return err;
    }
    *out = admin;
    return TK_OK;
}

uint16_t tk_admin_port(const tk_admin *admin)
{
    return admin != NULL ? tk_http_server_port(admin->http) : 0;
}

void tk_admin_http_stats(tk_admin *admin, tk_http_server_stats *stats)
{
    tk_http_server_stats_get(admin->http, stats);
}

void tk_admin_stop(tk_admin *admin)
{
    if (admin == NULL)
        return;
    tk_http_server_stop(admin->http);
    for (size_t i = 0; i < admin->signer_count; i++)
        tk_key_release(&admin->signers[i]);
    tk_crypto_wipe(admin->token_digest, sizeof(admin->token_digest));
    free(admin);
}

/* ---- teepkit tam serve ---------------------------------------------------- */

tk_err tk_admin_read_token(const tk_tam_config *cfg, char **token, char *msg,
                           size_t msg_size)
{
    *token = NULL;
    if (cfg->admin_token != NULL) {
        *token = strdup(cfg->admin_token);
        return *token != NULL ? TK_OK : TK_ERR_TAM_CONFIG;
    }
    if (cfg->admin_token_file == NULL)
        return TK_OK;
    const char *path = cfg->admin_token_file;
    uint8_t *data = NULL;
    size_t len = 0;
    if (tk_util_read_file(path, TK_ADMIN_TOKEN_MAX + 2, &data, &len) != 0) {
        snprintf(msg, msg_size, "cannot read admin_token_file %s: %s", path,
                 strerror(errno));
        return TK_ERR_TAM_CONFIG;
    }
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 0077) != 0)
        TK_LOG_WARN(ADMIN_LOG,
                    "admin_token_file %s is readable by other users; make it "
                    "mode 0600",
                    path);
    char *text = (char *)data;
    text[strcspn(text, "\r\n")] = '\0';
    *token = strdup(text);
    tk_crypto_wipe(data, len);
    free(data);
    return *token != NULL ? TK_OK : TK_ERR_TAM_CONFIG;
}

/* Splits "ADDRESS:PORT" (an IPv6 address in brackets) into its parts. */
static bool split_endpoint(const char *text, char *address, size_t cap,
                           uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text)
        return false;
    const char *start = text;
    size_t len = (size_t)(colon - text);
    if (text[0] == '[' && colon[-1] == ']') {
        start++;
        len -= 2;
    }
    char *end = NULL;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (len == 0 || len >= cap || *end != '\0' || p > 65535)
        return false;
    memcpy(address, start, len);
    address[len] = '\0';
    *port = (uint16_t)p;
    return true;
}

static tk_err serve_started(void *ctx, tk_tam *tam, tk_http_server *http)
{
    tk_admin_serve *serve = ctx;
    char msg[512] = "";
    tk_err err = tk_admin_start(&serve->cfg, tam, serve->metrics, http,
                                &serve->admin, msg, sizeof(msg));
    if (err != TK_OK) {
        TK_LOG_ERROR(ADMIN_LOG, "cannot start the admin listener: %s", msg);
        return err;
    }
    uint16_t port = tk_admin_port(serve->admin);
    if (serve->port_file != NULL) {
        char text[16];
        int n = snprintf(text, sizeof(text), "%u\n", (unsigned)port);
        if (tk_util_write_file(serve->port_file, (const uint8_t *)text,
                               (size_t)n, 0644) != 0) {
            TK_LOG_ERROR(ADMIN_LOG, "cannot write the port file %s: %s",
                         serve->port_file, strerror(errno));
            tk_admin_stop(serve->admin);
            serve->admin = NULL;
            return TK_ERR_INTERNAL;
        }
    }
    bool v6 = strchr(serve->address, ':') != NULL;
    TK_LOG_INFO(ADMIN_LOG, "started: admin=%s%s%s:%u signers=%zu "
                           "max_upload=%zu",
                v6 ? "[" : "", serve->address, v6 ? "]" : "", (unsigned)port,
                serve->cfg.signer_count, serve->cfg.max_upload);
    printf("admin listening on %s%s%s:%u\n", v6 ? "[" : "", serve->address,
           v6 ? "]" : "", (unsigned)port);
    return TK_OK;
}

static void serve_stopping(void *ctx)
{
    tk_admin_serve *serve = ctx;
    tk_admin_stop(serve->admin);
    serve->admin = NULL;
}

tk_err tk_admin_serve_init(tk_admin_serve *serve, const tk_tam_config *cfg,
                           const char *port_file, tk_tam_serve_options *opt,
                           char *msg, size_t msg_size)
{
    memset(serve, 0, sizeof(*serve));
    serve->metrics = tk_admin_metrics_new();
    if (serve->metrics == NULL) {
        snprintf(msg, msg_size, "out of memory");
        return TK_ERR_TAM_CONFIG;
    }
    tk_admin_metrics_hook(serve->metrics, &serve->tam_options);
    opt->tam_options = &serve->tam_options;
    if (cfg->admin == NULL)
        return TK_OK;
    if (!split_endpoint(cfg->admin, serve->address, sizeof(serve->address),
                        &serve->cfg.port)) {
        snprintf(msg, msg_size, "admin must be ADDRESS:PORT, not '%s'",
                 cfg->admin);
        return TK_ERR_TAM_CONFIG;
    }
    tk_err err = tk_admin_read_token(cfg, &serve->token, msg, msg_size);
    if (err != TK_OK)
        return err;
    if (!token_valid(serve->token, msg, msg_size))
        return TK_ERR_TAM_CONFIG;
    serve->cfg.address = serve->address;
    serve->cfg.token = serve->token;
    serve->cfg.max_upload = cfg->admin_max_upload;
    serve->cfg.signers = cfg->signers;
    serve->cfg.signer_count = cfg->signer_count;
    serve->port_file = port_file;
    opt->started = serve_started;
    opt->stopping = serve_stopping;
    opt->hooks_ctx = serve;
    return TK_OK;
}

void tk_admin_serve_free(tk_admin_serve *serve)
{
    tk_admin_stop(serve->admin);
    serve->admin = NULL;
    if (serve->token != NULL) {
        tk_crypto_wipe(serve->token, strlen(serve->token));
        free(serve->token);
        serve->token = NULL;
    }
    tk_admin_metrics_free(serve->metrics);
    serve->metrics = NULL;
}
