/*
 * The admin listener over real HTTP on 127.0.0.1: every endpoint of the
 * REST API with good and bad input, the bearer token (checked before any
 * body is read), the JSON error bodies, the metrics after real TEEP
 * sessions, and the dashboard's files.
 *
 * The TAM runs on a temporary SQLite store with the test bed of
 * tests/unit/tam (in-process agents on lib/teep's state machine), and its
 * metric hooks feed the admin listener's /metrics.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "admin.h"
#include "keyfile.h"
#include "net_test_util.h"
#include "tam_test_env.h"
#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "teepkit/suit_build.h"
#include "util.h"

#define TOKEN "test-token-0123456789abcdef"
#define MAX_UPLOAD 8192

static tam_env env;
static tk_admin_metrics *metrics;
static tk_admin *admin;
static char base[64];
static char signer_path[256];
static tk_key rogue_signer;

/* ---- HTTP client ------------------------------------------------------------ */

typedef struct http_reply {
    long status;
    char *body;
    size_t len;
    json_t *json;          /* the body parsed, when it is JSON */
    char allow[128];
    char www_authenticate[128];
    char location[256];
    char content_type[128];
} http_reply;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    http_reply *r = ctx;
    char *grown = realloc(r->body, r->len + size * n + 1);
    assert_non_null(grown);
    r->body = grown;
    memcpy(r->body + r->len, data, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

/* Copies the value of header field name from line into out. */
static void take_header(const char *line, size_t len, const char *name,
                        char *out, size_t cap)
{
    size_t n = strlen(name);
    if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return;
    const char *v = line + n + 1;
    while (*v == ' ')
        v++;
    size_t vlen = len - (size_t)(v - line);
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
        vlen--;
    snprintf(out, cap, "%.*s", (int)vlen, v);
}

static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
    http_reply *r = ctx;
    size_t len = size * n;
    take_header(line, len, "Allow", r->allow, sizeof(r->allow));
    take_header(line, len, "WWW-Authenticate", r->www_authenticate,
                sizeof(r->www_authenticate));
    take_header(line, len, "Location", r->location, sizeof(r->location));
    take_header(line, len, "Content-Type", r->content_type,
                sizeof(r->content_type));
    return len;
}

/*
 * Sends method path (relative to the listener) with token (NULL for none)
 * and an optional body of media type content_type.
 */
static void request(const char *method, const char *path, const char *token,
                    const char *content_type, const void *body, size_t len,
                    http_reply *r)
{
    memset(r, 0, sizeof(*r));
    char url[4096];
    snprintf(url, sizeof(url), "%s%s", base, path);
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    struct curl_slist *headers = NULL;
    char auth[256];
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        headers = curl_slist_append(headers, auth);
    }
    char type[160];
    if (content_type != NULL) {
        snprintf(type, sizeof(type), "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, type);
    }
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (r->len > 0 && strncmp(r->content_type, "application/json", 16) == 0)
        r->json = json_loadb(r->body, r->len, 0, NULL);
}

static void reply_free(http_reply *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

/* Sends a JSON text body with the token. */
static void send_json(const char *method, const char *path, const char *text,
                      http_reply *r)
{
    request(method, path, TOKEN, "application/json", text, strlen(text), r);
}

static void get(const char *path, http_reply *r)
{
    request("GET", path, TOKEN, NULL, NULL, 0, r);
}

/* Asserts an error reply: status, JSON body with this code and a
 * message. */
static void assert_error(const http_reply *r, long status, const char *code)
{
    if (r->status != status)
        fail_msg("expected status %ld, got %ld: %s", status, r->status,
                 r->body != NULL ? r->body : "");
    if (r->json == NULL)
        fail_msg("expected a JSON error body with status %ld, got '%s' "
                 "of type '%s'",
                 status, r->body != NULL ? r->body : "", r->content_type);
    assert_string_equal(json_string_value(json_object_get(r->json, "code")),
                        code);
    const char *message =
        json_string_value(json_object_get(r->json, "message"));
    assert_non_null(message);
    assert_true(strlen(message) > 0);
}

static const char *member(json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

static json_int_t number(json_t *o, const char *name)
{
    return json_integer_value(json_object_get(o, name));
}

/* ---- Keys and envelopes ------------------------------------------------------ */

/* Writes a new P-256 public key as COSE_Key hex (with is_pem false) or PEM
 * text into out. */
static void new_public_key(bool is_pem, char *out, size_t cap)
{
    const tk_crypto *c = tk_crypto_openssl();
    tk_key key;
    tk_key_init(&key);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &key), TK_OK);
    if (is_pem) {
        char path[300];
        char msg[256];
        snprintf(path, sizeof(path), "%s/pub.pem", env.dir);
        assert_int_equal(tk_keyfile_save_pem(path, &key, false, msg,
                                             sizeof(msg)),
                         TK_OK);
        uint8_t *data = NULL;
        size_t len = 0;
        assert_int_equal(tk_util_read_file(path, cap - 1, &data, &len), 0);
        memcpy(out, data, len + 1);
        free(data);
    } else {
        uint8_t cose[256];
        size_t len = 0;
        assert_int_equal(tk_cose_key_encode(&key, TK_ALG_ESP256, false, cose,
                                            sizeof(cose), &len),
                         TK_OK);
        assert_true(2 * len + 1 <= cap);
        tk_util_hex_encode(cose, len, out);
    }
    tk_key_release(&key);
}

/* Builds an envelope for component ['tc', name] signed with signer. */
static size_t build_envelope(const char *name, uint64_t sequence,
                             const tk_key *signer_key, uint8_t *buf,
                             size_t cap)
{
    tk_view parts[2] = {{(const uint8_t *)"tc", 2},
                        {(const uint8_t *)name, strlen(name)}};
    tk_suit_build_component_id id = {parts, 2};
    tk_suit_build_manifest m;
    memset(&m, 0, sizeof(m));
    m.sequence_number = sequence;
    m.components = &id;
    m.component_count = 1;
    tk_suit_build_envelope e;
    memset(&e, 0, sizeof(e));
    e.manifest = &m;
    tk_suit_build_signer signer = {TK_ALG_ESP256, signer_key, {NULL, 0}};
    size_t len = 0;
    assert_int_equal(tk_suit_build_encode_envelope(&e, tk_crypto_openssl(),
                                                   &signer, 1, buf, cap,
                                                   &len, NULL),
                     TK_OK);
    return len;
}

/* Uploads an envelope of component name; returns the component number. */
static json_int_t upload(const char *name, uint64_t sequence)
{
    uint8_t buf[2048];
    size_t len = build_envelope(name, sequence, &env.component_signer, buf,
                                sizeof(buf));
    http_reply r;
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/components?name=%s", name);
    request("POST", path, TOKEN, "application/suit-envelope+cose", buf, len,
            &r);
    if (r.status != 201)
        fail_msg("upload %s: %ld %s", name, r.status, r.body);
    json_int_t id = number(json_object_get(r.json, "component"), "id");
    reply_free(&r);
    return id;
}

/* ---- Set-up -------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *const config[] = {"log_level=error", NULL};
    env_open(&env, config);

    /* Reopen the TAM with the metric hooks that `serve --admin` sets. */
    tk_tam_close(env.tam);
    metrics = tk_admin_metrics_new();
    assert_non_null(metrics);
    tk_tam_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.clock = env_clock;
    opt.clock_ctx = &env;
    tk_admin_metrics_hook(metrics, &opt);
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    char msg[512];
    tk_tam_config_set(&cfg, "db", env.db, msg, sizeof(msg));
    tk_tam_config_set(&cfg, "key_dir", env.key_dir, msg, sizeof(msg));
    tk_tam_config_set(&cfg, "log_level", "error", msg, sizeof(msg));
    assert_int_equal(tk_tam_open(&cfg, &opt, &env.tam, msg, sizeof(msg)),
                     TK_OK);
    tk_tam_config_free(&cfg);
    env.store = tk_tam_store(env.tam);

    snprintf(signer_path, sizeof(signer_path), "%s/signer.pem", env.dir);
    assert_int_equal(tk_keyfile_save_pem(signer_path, &env.component_signer,
                                         false, msg, sizeof(msg)),
                     TK_OK);
    const tk_crypto *c = tk_crypto_openssl();
    tk_key_init(&rogue_signer);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &rogue_signer),
                     TK_OK);

    char *signers[1] = {signer_path};
    tk_admin_config ac;
    memset(&ac, 0, sizeof(ac));
    ac.address = "127.0.0.1";
    ac.token = TOKEN;
    ac.max_upload = MAX_UPLOAD;
    ac.signers = signers;
    ac.signer_count = 1;
    tk_err err = tk_admin_start(&ac, env.tam, metrics, NULL, &admin, msg,
                                sizeof(msg));
    if (err != TK_OK)
        fail_msg("tk_admin_start: %s", msg);
    snprintf(base, sizeof(base), "http://127.0.0.1:%u",
             (unsigned)tk_admin_port(admin));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_admin_stop(admin);
    env_close(&env);
    tk_admin_metrics_free(metrics);
    tk_key_release(&rogue_signer);
    curl_global_cleanup();
    return 0;
}

/* ---- Start-up checks ------------------------------------------------------------ */

static void test_admin_start_rejects_short_token(void **state)
{
    (void)state;
    tk_admin_config ac;
    memset(&ac, 0, sizeof(ac));
    ac.token = "short";
    tk_admin *other = NULL;
    char msg[256] = "";
    assert_int_equal(tk_admin_start(&ac, env.tam, NULL, NULL, &other, msg,
                                    sizeof(msg)),
                     TK_ERR_TAM_CONFIG);
    assert_null(other);
    assert_non_null(strstr(msg, "16 to 512"));
    ac.token = "has a space in the token text";
    assert_int_equal(tk_admin_start(&ac, env.tam, NULL, NULL, &other, msg,
                                    sizeof(msg)),
                     TK_ERR_TAM_CONFIG);
    assert_non_null(strstr(msg, "space"));
}

static void test_admin_start_rejects_bad_signer(void **state)
{
    (void)state;
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/missing.pem", env.dir);
    char *signers[1] = {missing};
    tk_admin_config ac;
    memset(&ac, 0, sizeof(ac));
    ac.token = TOKEN;
    ac.signers = signers;
    ac.signer_count = 1;
    tk_admin *other = NULL;
    char msg[256] = "";
    assert_int_equal(tk_admin_start(&ac, env.tam, NULL, NULL, &other, msg,
                                    sizeof(msg)),
                     TK_ERR_TAM_CONFIG);
    assert_non_null(strstr(msg, "missing.pem"));
}

/* ---- Authentication -------------------------------------------------------------- */

static void test_auth_missing_token(void **state)
{
    (void)state;
    http_reply r;
    request("GET", "/api/v1/devices", NULL, NULL, NULL, 0, &r);
    assert_error(&r, 401, "unauthorized");
    assert_non_null(strstr(r.www_authenticate, "Bearer"));
    assert_null(strstr(r.body, TOKEN));
    reply_free(&r);
    request("GET", "/metrics", NULL, NULL, NULL, 0, &r);
    assert_error(&r, 401, "unauthorized");
    reply_free(&r);
}

static void test_auth_wrong_token(void **state)
{
    (void)state;
    http_reply r;
    request("GET", "/api/v1/summary", "test-token-0123456789abcdeX", NULL,
            NULL, 0, &r);
    assert_error(&r, 401, "unauthorized");
    reply_free(&r);
    /* A prefix of the token is not the token. */
    request("GET", "/api/v1/summary", "test-token", NULL, NULL, 0, &r);
    assert_error(&r, 401, "unauthorized");
    reply_free(&r);
    /* Another scheme is not a bearer token. */
    CURL *curl = curl_easy_init();
    struct curl_slist *headers =
        curl_slist_append(NULL, "Authorization: Basic dGVzdDp0ZXN0");
    char url[128];
    snprintf(url, sizeof(url), "%s/api/v1/summary", base);
    long status = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 401);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
}

static void test_auth_dashboard_needs_no_token(void **state)
{
    (void)state;
    http_reply r;
    request("GET", "/", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/html"));
    assert_non_null(strstr(r.body, "app.js"));
    reply_free(&r);
    request("GET", "/app.js", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/javascript"));
    assert_non_null(strstr(r.body, "sessionStorage"));
    reply_free(&r);
    request("GET", "/style.css", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/css"));
    reply_free(&r);
    request("GET", "/secret.txt", NULL, NULL, NULL, 0, &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    request("POST", "/", NULL, "text/plain", "x", 1, &r);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "GET, HEAD");
    reply_free(&r);
}

#define BIG_UPLOAD ((size_t)50 << 20)

/* Parses the JSON body of a raw HTTP reply and checks its error code. */
static void assert_raw_error(const char *reply, unsigned status,
                             const char *code)
{
    assert_int_equal(net_test_status(reply), status);
    const char *body = net_test_body(reply);
    assert_non_null(body);
    json_t *o = json_loads(body, 0, NULL);
    if (o == NULL)
        fail_msg("reply %u has no JSON body: %s", status, reply);
    assert_string_equal(member(o, "code"), code);
    assert_non_null(member(o, "message"));
    json_decref(o);
}

/*
 * Uploads of 50 MiB without the token or with a wrong one get 401 before
 * the server reads their body, so they hold no memory; with the token
 * they get the JSON 413, also before the body. A second listener with
 * fresh counters and a short request timeout serves them.
 */
static void test_auth_checked_before_body(void **state)
{
    (void)state;
    tk_admin_config ac;
    memset(&ac, 0, sizeof(ac));
    ac.token = TOKEN;
    ac.max_upload = MAX_UPLOAD;
    ac.request_timeout_ms = 1500;
    tk_admin *other = NULL;
    char msg[256] = "";
    assert_int_equal(tk_admin_start(&ac, env.tam, NULL, NULL, &other, msg,
                                    sizeof(msg)),
                     TK_OK);
    uint16_t port = tk_admin_port(other);
    char head[512];
    char reply[4096];
    char value[128];
    const char *auth[] = {"", "Authorization: Bearer "
                              "test-token-0123456789abcdeX\r\n"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(head, sizeof(head),
                 "POST /api/v1/components HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "%sContent-Type: application/suit-envelope+cose\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 auth[i], BIG_UPLOAD);
        size_t sent = net_test_stream_until_reply(port, head, BIG_UPLOAD, 0,
                                                  reply, sizeof(reply));
        assert_raw_error(reply, 401, "unauthorized");
        assert_true(net_test_header(reply, "WWW-Authenticate", value,
                                    sizeof(value)));
        assert_non_null(strstr(value, "Bearer"));
        assert_true(sent < BIG_UPLOAD / 2);
    }
    snprintf(head, sizeof(head),
             "POST /api/v1/components HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "%sTransfer-Encoding: chunked\r\n\r\n",
             auth[1]);
    size_t sent = net_test_stream_until_reply(port, head, BIG_UPLOAD, 1,
                                              reply, sizeof(reply));
    assert_raw_error(reply, 401, "unauthorized");
    assert_true(sent < BIG_UPLOAD / 2);

    /* The dashboard takes no body: 405 for the method, 400 for a GET with
     * a body, before reading it. */
    snprintf(head, sizeof(head),
             "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Content-Length: %zu\r\n\r\n",
             BIG_UPLOAD);
    sent = net_test_stream_until_reply(port, head, BIG_UPLOAD, 0, reply,
                                       sizeof(reply));
    assert_raw_error(reply, 405, "method_not_allowed");
    assert_true(sent < BIG_UPLOAD / 2);
    snprintf(head, sizeof(head),
             "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Content-Length: %zu\r\n\r\n",
             BIG_UPLOAD);
    sent = net_test_stream_until_reply(port, head, BIG_UPLOAD, 0, reply,
                                       sizeof(reply));
    assert_raw_error(reply, 400, "invalid_request");
    assert_true(sent < BIG_UPLOAD / 2);

    tk_http_server_stats stats;
    tk_admin_http_stats(other, &stats);
    assert_int_equal(stats.max_body_buffered, 0);
    assert_int_equal(stats.early_replies, 5);
    assert_int_equal(stats.rejected_too_large, 0);

    /* With the token, the declared length meets the upload limit. */
    snprintf(head, sizeof(head),
             "POST /api/v1/components HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Authorization: Bearer %s\r\n"
             "Content-Type: application/suit-envelope+cose\r\n"
             "Content-Length: %zu\r\n\r\n",
             TOKEN, BIG_UPLOAD);
    sent = net_test_stream_until_reply(port, head, BIG_UPLOAD, 0, reply,
                                       sizeof(reply));
    assert_raw_error(reply, 413, "payload_too_large");
    assert_true(sent < BIG_UPLOAD / 2);
    tk_admin_http_stats(other, &stats);
    assert_int_equal(stats.max_body_buffered, 0);
    assert_int_equal(stats.rejected_too_large, 1);

    /* A body that stops arriving gets the JSON 408. */
    int fd = net_test_connect(port);
    snprintf(head, sizeof(head),
             "POST /api/v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Authorization: Bearer %s\r\n"
             "Content-Type: application/json\r\n"
             "Content-Length: 100\r\n\r\n{",
             TOKEN);
    assert_int_equal(net_test_send(fd, head, strlen(head)), 0);
    net_test_recv_response(fd, reply, sizeof(reply), 10000);
    close(fd);
    assert_raw_error(reply, 408, "request_timeout");
    assert_true(net_test_header(reply, "Connection", value, sizeof(value)));
    assert_string_equal(value, "close");
    tk_admin_http_stats(other, &stats);
    assert_int_equal(stats.timed_out, 1);
    tk_admin_stop(other);
}

/* ---- Routing ----------------------------------------------------------------------- */

static void test_routes_unknown_and_wrong_method(void **state)
{
    (void)state;
    http_reply r;
    get("/api/v1/nothing", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    get("/api/v2/devices", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    get("/api/v1/devices/00ff/nothing", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    request("PUT", "/api/v1/devices", TOKEN, NULL, NULL, 0, &r);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "GET, HEAD, POST");
    reply_free(&r);
    request("DELETE", "/api/v1/summary", TOKEN, NULL, NULL, 0, &r);
    assert_error(&r, 405, "method_not_allowed");
    reply_free(&r);
    request("POST", "/metrics", TOKEN, "text/plain", "x", 1, &r);
    assert_error(&r, 405, "method_not_allowed");
    reply_free(&r);
    request("BREW", "/api/v1/components", TOKEN, NULL, NULL, 0, &r);
    assert_error(&r, 405, "method_not_allowed");
    reply_free(&r);
    request("PATCH", "/api/v1/audit", TOKEN, NULL, NULL, 0, &r);
    assert_error(&r, 405, "method_not_allowed");
    reply_free(&r);

    /* HEAD is GET without a body. */
    request("HEAD", "/api/v1/summary", TOKEN, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_int_equal(r.len, 0);
    reply_free(&r);

    /* A path longer than the API reads. */
    char path[1500];
    memset(path, 'a', sizeof(path) - 1);
    memcpy(path, "/api/v1/devices/", 16);
    path[sizeof(path) - 1] = '\0';
    get(path, &r);
    assert_error(&r, 414, "uri_too_long");
    reply_free(&r);
}

/* ---- Devices ------------------------------------------------------------------------- */

/* Adds a device with a COSE_Key agent key and a PEM attestation key. */
static void add_device(const char *ueid, const char *extra, http_reply *r)
{
    char agent_key[600];
    char attest_key[600];
    new_public_key(false, agent_key, sizeof(agent_key));
    new_public_key(true, attest_key, sizeof(attest_key));
    json_t *body = json_pack("{s:s, s:[s], s:[s]}", "ueid", ueid,
                             "agent_keys", agent_key, "attestation_keys",
                             attest_key);
    if (extra != NULL) {
        json_t *more = json_loads(extra, 0, NULL);
        assert_non_null(more);
        json_object_update(body, more);
        json_decref(more);
    }
    char *text = json_dumps(body, 0);
    send_json("POST", "/api/v1/devices", text, r);
    free(text);
    json_decref(body);
}

static void test_devices_add_show_remove(void **state)
{
    (void)state;
    http_reply r;
    add_device("01aa0000000000000000000000000001",
               "{\"name\": \"gateway 1\", \"class\": \"gateways\", "
               "\"hwmodel\": [\"0102\"], \"hwversion\": [\"1.0\"], "
               "\"oemid\": [\"0a0b0c\"]}",
               &r);
    if (r.status != 201)
        fail_msg("device add: %ld %s", r.status, r.body);
    assert_string_equal(r.location,
                        "/api/v1/devices/01aa0000000000000000000000000001");
    assert_string_equal(member(r.json, "ueid"),
                        "01aa0000000000000000000000000001");
    assert_string_equal(member(r.json, "name"), "gateway 1");
    assert_string_equal(member(r.json, "class"), "gateways");
    assert_string_equal(member(r.json, "state"), "pending");
    json_t *keys = json_object_get(r.json, "keys");
    assert_int_equal(json_array_size(keys), 2);
    assert_string_equal(member(json_array_get(keys, 0), "use"), "agent");
    assert_string_equal(member(json_array_get(keys, 1), "use"),
                        "attestation");
    assert_int_equal(strlen(member(json_array_get(keys, 0), "kid")), 64);
    json_t *refvals = json_object_get(r.json, "reference_values");
    assert_int_equal(json_array_size(refvals), 3);
    assert_string_equal(member(json_array_get(refvals, 0), "kind"),
                        "hwmodel");
    assert_string_equal(member(json_array_get(refvals, 1), "value_text"),
                        "1.0");
    assert_true(json_is_null(json_object_get(r.json, "latest_attestation")));
    assert_int_equal(json_array_size(json_object_get(r.json, "installed")),
                     0);
    reply_free(&r);

    get("/api/v1/devices/01AA0000000000000000000000000001", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(member(r.json, "name"), "gateway 1");
    reply_free(&r);

    send_json("PATCH", "/api/v1/devices/01aa0000000000000000000000000001",
              "{\"state\": \"blocked\", \"name\": \"gw\"}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(member(r.json, "state"), "blocked");
    assert_string_equal(member(r.json, "name"), "gw");
    reply_free(&r);
    send_json("PATCH", "/api/v1/devices/01aa0000000000000000000000000001",
              "{\"class\": null}", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_null(json_object_get(r.json, "class")));
    reply_free(&r);

    request("DELETE", "/api/v1/devices/01aa0000000000000000000000000001",
            TOKEN, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.len, 0);
    reply_free(&r);
    get("/api/v1/devices/01aa0000000000000000000000000001", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    request("DELETE", "/api/v1/devices/01aa0000000000000000000000000001",
            TOKEN, NULL, NULL, 0, &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
}

static void test_devices_add_rejects_bad_input(void **state)
{
    (void)state;
    http_reply r;
    send_json("POST", "/api/v1/devices", "{\"ueid\": \"01bb\",", &r);
    assert_error(&r, 400, "invalid_json");
    reply_free(&r);
    send_json("POST", "/api/v1/devices", "[1, 2]", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    send_json("POST", "/api/v1/devices", "", &r);
    assert_error(&r, 400, "invalid_json");
    reply_free(&r);
    send_json("POST", "/api/v1/devices",
              "{\"ueid\": 5, \"agent_keys\": []}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    send_json("POST", "/api/v1/devices",
              "{\"ueid\": \"01bb\", \"agent_keys\": \"abc\"}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    send_json("POST", "/api/v1/devices", "{\"ueid\": \"01bb\"}", &r);
    assert_error(&r, 400, "invalid_request");
    assert_non_null(strstr(member(r.json, "message"), "agent_keys"));
    reply_free(&r);
    send_json("POST", "/api/v1/devices",
              "{\"ueid\": \"xyz\", \"agent_keys\": [\"00\"]}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    send_json("POST", "/api/v1/devices",
              "{\"ueid\": \"01bb\", \"agent_keys\": [\"a0\"]}", &r);
    assert_error(&r, 400, "invalid_key");
    reply_free(&r);
    send_json("POST", "/api/v1/devices",
              "{\"ueid\": \"01bb\", \"agent_keys\": [\"00\"], "
              "\"colour\": \"red\"}",
              &r);
    assert_error(&r, 400, "invalid_request");
    assert_non_null(strstr(member(r.json, "message"), "colour"));
    reply_free(&r);
    send_json("POST", "/api/v1/devices",
              "{\"ueid\": \"01bb\", \"ueid\": \"01cc\"}", &r);
    assert_error(&r, 400, "invalid_json");
    reply_free(&r);
    add_device("01bb", "{\"state\": \"sleeping\"}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    add_device("01bb", "{\"hwmodel\": [\"zz\"]}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);

    /* A private key is refused: the TAM needs only the public part. */
    const tk_crypto *c = tk_crypto_openssl();
    tk_key key;
    tk_key_init(&key);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &key), TK_OK);
    uint8_t cose[256];
    size_t len = 0;
    assert_int_equal(tk_cose_key_encode(&key, TK_ALG_ESP256, true, cose,
                                        sizeof(cose), &len),
                     TK_OK);
    tk_key_release(&key);
    char hex[600];
    tk_util_hex_encode(cose, len, hex);
    char body[800];
    snprintf(body, sizeof(body),
             "{\"ueid\": \"01bb\", \"agent_keys\": [\"%s\"]}", hex);
    send_json("POST", "/api/v1/devices", body, &r);
    assert_error(&r, 400, "invalid_key");
    assert_non_null(strstr(member(r.json, "message"), "private"));
    reply_free(&r);

    /* Nothing of the rejected requests was stored. */
    get("/api/v1/devices/01bb", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);

    request("POST", "/api/v1/devices", TOKEN, "text/plain", "{}", 2, &r);
    assert_error(&r, 415, "unsupported_media_type");
    reply_free(&r);
    size_t big = TK_ADMIN_MAX_JSON + 100;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    send_json("POST", "/api/v1/devices", huge, &r);
    free(huge);
    assert_error(&r, 413, "payload_too_large");
    reply_free(&r);

    add_device("01bc", NULL, &r);
    assert_int_equal(r.status, 201);
    reply_free(&r);
    add_device("01bc", NULL, &r);
    assert_error(&r, 409, "conflict");
    reply_free(&r);
    get("/api/v1/devices/zz", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    send_json("PATCH", "/api/v1/devices/01bc", "{\"state\": 3}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    send_json("PATCH", "/api/v1/devices/01bc", "{\"ueid\": \"01bd\"}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
}

static void test_devices_list_pages(void **state)
{
    (void)state;
    http_reply r;
    const char *ueids[3] = {"01c1", "01c2", "01c3"};
    for (int i = 0; i < 3; i++) {
        add_device(ueids[i], "{\"class\": \"paged\"}", &r);
        assert_int_equal(r.status, 201);
        reply_free(&r);
    }
    get("/api/v1/devices?class=paged&limit=2", &r);
    assert_int_equal(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(member(json_array_get(items, 0), "ueid"), "01c1");
    assert_string_equal(member(json_array_get(items, 1), "ueid"), "01c2");
    const char *next = member(r.json, "next_cursor");
    assert_non_null(next);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/devices?class=paged&limit=2&"
                                 "cursor=%s",
             next);
    reply_free(&r);
    get(path, &r);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(member(json_array_get(items, 0), "ueid"), "01c3");
    assert_true(json_is_null(json_object_get(r.json, "next_cursor")));
    reply_free(&r);
    get("/api/v1/devices?class=paged&order=desc&limit=1", &r);
    items = json_object_get(r.json, "items");
    assert_string_equal(member(json_array_get(items, 0), "ueid"), "01c3");
    reply_free(&r);
    get("/api/v1/devices?state=pending&class=paged", &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 3);
    reply_free(&r);

    const char *bad[] = {"/api/v1/devices?limit=0",
                         "/api/v1/devices?limit=1001",
                         "/api/v1/devices?limit=abc",
                         "/api/v1/devices?cursor=-1",
                         "/api/v1/devices?cursor=x",
                         "/api/v1/devices?order=sideways",
                         "/api/v1/devices?state=sleeping"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        get(bad[i], &r);
        assert_error(&r, 400, "invalid_request");
        reply_free(&r);
    }
    get("/api/v1/devices?class=nonexistent", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
}

/* ---- Components ----------------------------------------------------------------------- */

static void test_components_upload_list_show(void **state)
{
    (void)state;
    uint8_t buf[2048];
    size_t len = build_envelope("sensor", 3, &env.component_signer, buf,
                                sizeof(buf));
    http_reply r;
    request("POST", "/api/v1/components?name=sensor", TOKEN,
            "application/suit-envelope+cose", buf, len, &r);
    assert_int_equal(r.status, 201);
    json_int_t id = number(json_object_get(r.json, "component"), "id");
    assert_int_equal(number(json_object_get(r.json, "version"), "sequence"),
                     3);
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/components/%lld",
             (long long)id);
    assert_string_equal(r.location, location);
    reply_free(&r);
    get("/api/v1/components", &r);
    assert_int_equal(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    json_t *found = NULL;
    for (size_t i = 0; i < json_array_size(items); i++)
        if (number(json_array_get(items, i), "id") == id)
            found = json_array_get(items, i);
    assert_non_null(found);
    assert_string_equal(member(found, "name"), "sensor");
    assert_int_equal(number(found, "version_count"), 1);
    assert_int_equal(number(found, "newest_sequence"), 3);
    assert_string_equal(member(found, "component_id_diag"),
                        "[h'7463', h'73656e736f72']");
    reply_free(&r);

    /* The same envelope again is a duplicate; a newer one a new version. */
    request("POST", "/api/v1/components", TOKEN,
            "application/suit-envelope+cose", buf, len, &r);
    assert_error(&r, 409, "conflict");
    reply_free(&r);
    upload("sensor", 4);

    char path[128];
    snprintf(path, sizeof(path), "/api/v1/components/%lld", (long long)id);
    get(path, &r);
    assert_int_equal(r.status, 200);
    json_t *versions = json_object_get(r.json, "versions");
    assert_int_equal(json_array_size(versions), 2);
    assert_int_equal(number(json_array_get(versions, 0), "sequence"), 3);
    assert_int_equal(number(json_array_get(versions, 0), "devices"), 0);
    assert_int_equal(number(r.json, "installed_devices"), 0);
    assert_true(json_is_true(json_object_get(r.json,
                                             "installed_counts_complete")));
    json_int_t version = number(json_array_get(versions, 0), "id");
    reply_free(&r);

    snprintf(path, sizeof(path),
             "/api/v1/components/%lld/versions/%lld/envelope", (long long)id,
             (long long)version);
    get(path, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/suit-envelope+cose");
    assert_int_equal(r.len, len);
    assert_memory_equal(r.body, buf, len);
    reply_free(&r);
    snprintf(path, sizeof(path),
             "/api/v1/components/%lld/versions/99999/envelope",
             (long long)id);
    get(path, &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    get("/api/v1/components/99999", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    get("/api/v1/components/abc", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
}

/* Returns the item of list reply r whose id is id, or NULL. */
static json_t *find_item(const http_reply *r, json_int_t id)
{
    json_t *items = json_object_get(r->json, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        if (number(json_array_get(items, i), "id") == id)
            return json_array_get(items, i);
    return NULL;
}

/* Checks the devices-per-version fields of component o: three devices
 * have sequence 1, one has 2, and one a sequence the TAM does not
 * store. */
static void assert_counts(json_t *o)
{
    json_t *versions = json_object_get(o, "versions");
    assert_int_equal(json_array_size(versions), 2);
    assert_int_equal(number(json_array_get(versions, 0), "sequence"), 1);
    assert_int_equal(number(json_array_get(versions, 0), "devices"), 3);
    assert_int_equal(number(json_array_get(versions, 1), "sequence"), 2);
    assert_int_equal(number(json_array_get(versions, 1), "devices"), 1);
    assert_int_equal(number(o, "installed_devices"), 5);
    assert_int_equal(number(o, "installed_other_versions"), 1);
    assert_true(json_is_true(json_object_get(o, "installed_counts_complete")));
}

/*
 * The devices per version of a component, in its view and in the
 * component list with include=devices, and its device list in exact
 * pages. Five devices report the component; each also reports another
 * one, which must not be counted.
 */
static void test_components_devices_per_version(void **state)
{
    (void)state;
    json_int_t id = upload("counted", 1);
    upload("counted", 2);
    json_int_t neighbour = upload("neighbour", 1);
    http_reply r;
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/components/%lld", (long long)id);
    get(path, &r);
    assert_int_equal(r.status, 200);
    uint8_t component_id[64];
    const char *hex = member(r.json, "component_id");
    long id_len = tk_util_hex_decode(hex, strlen(hex), component_id,
                                     sizeof(component_id));
    assert_true(id_len > 0);
    reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/components/%lld",
             (long long)neighbour);
    get(path, &r);
    uint8_t neighbour_id[64];
    hex = member(r.json, "component_id");
    long neighbour_len = tk_util_hex_decode(hex, strlen(hex), neighbour_id,
                                            sizeof(neighbour_id));
    assert_true(neighbour_len > 0);
    reply_free(&r);

    static const uint64_t sequences[5] = {1, 1, 2, 1, 7};
    for (size_t i = 0; i < 5; i++) {
        char ueid[16];
        snprintf(ueid, sizeof(ueid), "counted-%zu", i);
        tk_store_device d;
        memset(&d, 0, sizeof(d));
        d.ueid = (tk_view){(const uint8_t *)ueid, strlen(ueid)};
        d.state = TK_STORE_DEVICE_ACTIVE;
        int64_t device = 0;
        assert_int_equal(tk_store_device_add(env.store, &d, "test", &device,
                                             NULL),
                         TK_OK);
        tk_store_installed items[2];
        memset(items, 0, sizeof(items));
        items[0].component_id = (tk_view){neighbour_id, (size_t)neighbour_len};
        items[0].sequence = 1;
        items[1].component_id = (tk_view){component_id, (size_t)id_len};
        items[1].sequence = sequences[i];
        assert_int_equal(tk_store_installed_replace(env.store, device, items,
                                                    2, NULL),
                         TK_OK);
    }

    snprintf(path, sizeof(path), "/api/v1/components/%lld", (long long)id);
    get(path, &r);
    assert_int_equal(r.status, 200);
    assert_counts(r.json);
    reply_free(&r);

    /* The list gives the same counts for every component at once. */
    get("/api/v1/components?include=devices&limit=1000", &r);
    assert_int_equal(r.status, 200);
    json_t *item = find_item(&r, id);
    assert_non_null(item);
    assert_counts(item);
    assert_int_equal(number(item, "version_count"), 2);
    assert_int_equal(number(item, "newest_sequence"), 2);
    item = find_item(&r, neighbour);
    assert_non_null(item);
    assert_int_equal(number(item, "installed_devices"), 5);
    reply_free(&r);
    get("/api/v1/components?limit=1000", &r);
    item = find_item(&r, id);
    assert_non_null(item);
    assert_null(json_object_get(item, "versions"));
    assert_null(json_object_get(item, "installed_devices"));
    reply_free(&r);
    get("/api/v1/components?include=everything", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);

    /* Pages of two hold two devices each: only the component's entries
     * are paged. */
    char cursor[32] = "";
    size_t pages = 0;
    size_t devices = 0;
    for (;;) {
        snprintf(path, sizeof(path),
                 "/api/v1/components/%lld/devices?limit=2%s%s", (long long)id,
                 cursor[0] != '\0' ? "&cursor=" : "", cursor);
        get(path, &r);
        assert_int_equal(r.status, 200);
        json_t *items = json_object_get(r.json, "items");
        pages++;
        assert_int_equal(json_array_size(items), pages < 3 ? 2 : 1);
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *e = json_array_get(items, i);
            char expected[32];
            snprintf(expected, sizeof(expected), "counted-%zu", devices);
            char expected_hex[64];
            tk_util_hex_encode((const uint8_t *)expected, strlen(expected),
                               expected_hex);
            assert_string_equal(member(e, "ueid"), expected_hex);
            assert_int_equal(number(e, "sequence"), sequences[devices]);
            devices++;
        }
        json_t *next = json_object_get(r.json, "next_cursor");
        if (json_is_null(next)) {
            reply_free(&r);
            break;
        }
        assert_true(pages < 3);
        snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
        reply_free(&r);
    }
    assert_int_equal(pages, 3);
    assert_int_equal(devices, 5);
}

static void test_components_upload_rejects_bad_input(void **state)
{
    (void)state;
    http_reply r;
    uint8_t buf[2048];
    size_t len = build_envelope("rogue", 1, &rogue_signer, buf, sizeof(buf));
    request("POST", "/api/v1/components", TOKEN,
            "application/suit-envelope+cose", buf, len, &r);
    assert_error(&r, 422, "envelope_rejected");
    reply_free(&r);
    request("POST", "/api/v1/components", TOKEN,
            "application/suit-envelope+cose", "\x01\x02\x03", 3, &r);
    assert_error(&r, 422, "envelope_rejected");
    reply_free(&r);
    request("POST", "/api/v1/components", TOKEN,
            "application/suit-envelope+cose", "", 0, &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    len = build_envelope("typed", 1, &env.component_signer, buf, sizeof(buf));
    request("POST", "/api/v1/components", TOKEN, "application/json", buf,
            len, &r);
    assert_error(&r, 415, "unsupported_media_type");
    reply_free(&r);

    /* Above the upload limit: the JSON 413, which the HTTP server sends
     * before the body is read, since the body declares its length. */
    uint8_t *huge = calloc(1, 2 * TK_ADMIN_MAX_JSON + 1);
    assert_non_null(huge);
    request("POST", "/api/v1/components", TOKEN,
            "application/suit-envelope+cose", huge, MAX_UPLOAD + 1, &r);
    assert_error(&r, 413, "payload_too_large");
    assert_non_null(strstr(member(r.json, "message"), "admin_max_upload"));
    reply_free(&r);
    request("POST", "/api/v1/components", TOKEN,
            "application/suit-envelope+cose", huge,
            MAX_UPLOAD + TK_ADMIN_MAX_JSON + 1, &r);
    assert_error(&r, 413, "payload_too_large");
    reply_free(&r);
    /* Other paths take JSON bodies only, whatever the upload limit. */
    request("POST", "/api/v1/devices", TOKEN, "application/json", huge,
            TK_ADMIN_MAX_JSON + 1, &r);
    assert_error(&r, 413, "payload_too_large");
    assert_non_null(strstr(member(r.json, "message"), "JSON"));
    reply_free(&r);
    request("POST", "/api/v1/devices", TOKEN, "application/json", huge,
            2 * TK_ADMIN_MAX_JSON + 1, &r);
    assert_error(&r, 413, "payload_too_large");
    reply_free(&r);
    free(huge);

    request("POST", "/api/v1/components?name=", TOKEN,
            "application/suit-envelope+cose", buf, len, &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
}

/* ---- Policy and classes -------------------------------------------------------------------- */

static void test_policy_device_and_class(void **state)
{
    (void)state;
    json_int_t component = upload("policyapp", 1);
    http_reply r;
    add_device("01d1", NULL, &r);
    assert_int_equal(r.status, 201);
    reply_free(&r);

    char path[160];
    snprintf(path, sizeof(path), "/api/v1/devices/01d1/policy/%lld",
             (long long)component);
    send_json("PUT", path, "{\"action\": \"install\"}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(member(r.json, "action"), "install");
    assert_string_equal(member(r.json, "device"), "01d1");
    assert_string_equal(member(r.json, "component_name"), "policyapp");
    json_int_t rule = number(r.json, "id");
    reply_free(&r);
    send_json("PUT", path, "{\"action\": \"forbid\"}", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(number(r.json, "id"), rule);
    assert_string_equal(member(r.json, "action"), "forbid");
    reply_free(&r);
    send_json("PUT", path, "{\"action\": \"maybe\"}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    send_json("PUT", path, "{\"action\": \"install\", \"extra\": 1}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    get(path, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(member(r.json, "action"), "forbid");
    reply_free(&r);
    get("/api/v1/devices/01d1/policy", &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    reply_free(&r);
    get("/api/v1/policy?device=01d1", &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/policy/%lld", (long long)rule);
    get(path, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);

    /* A component named by a rule cannot be removed. */
    snprintf(path, sizeof(path), "/api/v1/components/%lld",
             (long long)component);
    request("DELETE", path, TOKEN, NULL, NULL, 0, &r);
    assert_error(&r, 409, "in_use");
    reply_free(&r);

    /* Class rules create the class. */
    snprintf(path, sizeof(path), "/api/v1/classes/lab/policy/%lld",
             (long long)component);
    send_json("PUT", path, "{\"action\": \"install\"}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(member(r.json, "class"), "lab");
    reply_free(&r);
    get("/api/v1/classes/lab", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(member(r.json, "name"), "lab");
    reply_free(&r);
    get("/api/v1/classes/lab/policy", &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    reply_free(&r);
    get("/api/v1/policy?class=lab", &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    reply_free(&r);
    get("/api/v1/policy?class=lab&device=01d1", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    get("/api/v1/classes/nowhere/policy", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    send_json("POST", "/api/v1/classes", "{\"name\": \"lab\"}", &r);
    assert_error(&r, 409, "conflict");
    reply_free(&r);
    send_json("POST", "/api/v1/classes",
              "{\"name\": \"kiosks\", \"description\": \"shop kiosks\"}", &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(member(r.json, "description"), "shop kiosks");
    reply_free(&r);
    send_json("POST", "/api/v1/classes", "{\"name\": 7}", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    get("/api/v1/classes", &r);
    assert_true(json_array_size(json_object_get(r.json, "items")) >= 2);
    reply_free(&r);

    /* Removing the rules frees the component. */
    request("DELETE", path, TOKEN, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 204);
    reply_free(&r);
    request("DELETE", path, TOKEN, NULL, NULL, 0, &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/policy/%lld", (long long)rule);
    request("DELETE", path, TOKEN, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 204);
    reply_free(&r);
    get(path, &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/components/%lld",
             (long long)component);
    request("DELETE", path, TOKEN, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 204);
    reply_free(&r);
    get(path, &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    request("DELETE", "/api/v1/classes/kiosks", TOKEN, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 204);
    reply_free(&r);
}

/* ---- Records of real sessions ----------------------------------------------------------------- */

/* Returns the value of the metric line that starts with series, or -1. */
static long long metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtoll(line + n + 1, NULL, 10);
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return -1;
}

static void test_records_after_sessions(void **state)
{
    (void)state;
    static exchange ex;
    static test_agent good;
    static test_agent bad;
    agent_init(&good, &env, 40);
    agent_init(&bad, &env, 41);
    bad.fault = AGENT_WRONG_HWMODEL;
    int64_t component = env_add_component(&env, "recorded", 1);
    env_policy(&env, &good, component, false);
    env_policy(&env, &bad, component, false);

    run_exchange(&env, &good, &ex);
    assert_int_equal(ex.status[ex.count - 1], 204);
    assert_int_equal(agent_sequence(&good, "recorded"), 1);
    /* A replayed QueryResponse is rejected with 409. */
    unsigned status = 0;
    static uint8_t reply[ENV_MESSAGE_MAX];
    size_t reply_len = 0;
    env_post(&env, ex.sent[1], ex.sent_len[1], &status, reply,
             sizeof(reply), &reply_len);
    assert_int_equal(status, 409);
    run_exchange(&env, &bad, &ex);
    assert_int_equal(agent_sequence(&bad, "recorded"), 0);

    http_reply r;
    char path[200];
    snprintf(path, sizeof(path), "/api/v1/attestations?device=%s",
             good.id_hex);
    get(path, &r);
    assert_int_equal(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(member(json_array_get(items, 0), "verdict"),
                        "affirming");
    assert_true(json_is_object(json_object_get(json_array_get(items, 0),
                                               "claims")));
    reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/attestations?device=%s",
             bad.id_hex);
    get(path, &r);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_string_not_equal(member(json_array_get(items, 0), "verdict"),
                            "affirming");
    assert_non_null(member(json_array_get(items, 0), "reason_name"));
    reply_free(&r);

    snprintf(path, sizeof(path), "/api/v1/reports?device=%s", good.id_hex);
    get(path, &r);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *report = json_array_get(items, 0);
    assert_string_equal(member(report, "status"), "ok");
    assert_null(json_object_get(report, "report"));
    snprintf(path, sizeof(path), "/api/v1/reports/%lld",
             (long long)number(report, "id"));
    reply_free(&r);
    get(path, &r);
    assert_int_equal(r.status, 200);
    assert_true(strlen(member(r.json, "report")) > 0);
    assert_non_null(member(r.json, "report_diag"));
    reply_free(&r);
    get("/api/v1/reports/424242", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);
    get("/api/v1/reports?session=x", &r);
    assert_error(&r, 400, "invalid_request");
    reply_free(&r);
    get("/api/v1/attestations?device=0000", &r);
    assert_error(&r, 404, "not_found");
    reply_free(&r);

    /* The device view and the component's holders show the install. */
    snprintf(path, sizeof(path), "/api/v1/devices/%s", good.id_hex);
    get(path, &r);
    assert_string_equal(member(r.json, "state"), "active");
    json_t *installed = json_object_get(r.json, "installed");
    assert_int_equal(json_array_size(installed), 1);
    assert_string_equal(member(json_array_get(installed, 0), "name"),
                        "recorded");
    assert_string_equal(member(json_object_get(r.json, "latest_attestation"),
                               "verdict"),
                        "affirming");
    assert_int_equal(json_array_size(json_object_get(r.json,
                                                     "recent_reports")),
                     1);
    reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/devices/%s/components",
             good.id_hex);
    get(path, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/components/%lld/devices",
             (long long)component);
    get(path, &r);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(member(json_array_get(items, 0), "ueid"),
                        good.id_hex);
    assert_int_equal(number(json_array_get(items, 0), "sequence"), 1);
    reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/components/%lld",
             (long long)component);
    get(path, &r);
    assert_int_equal(number(json_array_get(json_object_get(r.json,
                                                           "versions"),
                                           0),
                            "devices"),
                     1);
    reply_free(&r);

    /* Audit and summary. */
    get("/api/v1/audit?order=desc&limit=1000", &r);
    items = json_object_get(r.json, "items");
    bool update_success = false;
    bool admin_add = false;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *e = json_array_get(items, i);
        update_success |= strcmp(member(e, "action"), "update.success") == 0;
        admin_add |= strcmp(member(e, "action"), "device.add") == 0 &&
                     strcmp(member(e, "actor"), "admin") == 0;
    }
    assert_true(update_success);
    assert_true(admin_add);
    json_int_t first = number(json_array_get(items, 0), "id");
    assert_true(first > number(json_array_get(items, 1), "id"));
    reply_free(&r);
    get("/api/v1/audit?object=device/1&limit=5", &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    get("/api/v1/summary", &r);
    assert_int_equal(r.status, 200);
    assert_true(number(json_object_get(r.json, "devices"), "total") >= 2);
    assert_int_equal(number(json_object_get(r.json, "reports"), "ok"), 1);
    assert_int_equal(number(json_object_get(r.json, "attestations"),
                            "affirming"),
                     1);
    assert_string_equal(member(json_object_get(r.json, "worker"), "store"),
                        "sqlite");
    reply_free(&r);

    /* Metrics of those sessions. */
    get("/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/plain"));
    assert_int_equal(metric(r.body, "teepkit_tam_sessions_started_total"),
                     2);
    assert_int_equal(metric(r.body, "teepkit_tam_sessions_total{outcome="
                                    "\"success\"}"),
                     1);
    assert_int_equal(metric(r.body, "teepkit_tam_sessions_total{outcome="
                                    "\"attestation_failed\"}"),
                     1);
    assert_int_equal(metric(r.body, "teepkit_tam_sessions_total{outcome="
                                    "\"rejected\"}"),
                     1);
    assert_int_equal(metric(r.body, "teepkit_tam_attestations_total{verdict="
                                    "\"affirming\"}"),
                     1);
    assert_int_equal(metric(r.body, "teepkit_tam_messages_rejected_total{"
                                    "reason=\"TK_ERR_TEEP_TOKEN_UNKNOWN\"}"),
                     1);
    assert_non_null(strstr(r.body, "teepkit_tam_attestation_failures_total{"
                                   "reason=\"TK_ERR_"));
    assert_int_equal(metric(r.body, "teepkit_tam_message_duration_seconds_"
                                    "count{type=\"start\"}"),
                     2);
    assert_int_equal(metric(r.body, "teepkit_tam_message_duration_seconds_"
                                    "bucket{type=\"success\",le=\"+Inf\"}"),
                     1);
    /* The TAM's own store operations change as the store gains combined
     * transactions; the admin API's device lookups are stable. */
    assert_true(metric(r.body, "teepkit_store_operation_duration_seconds_"
                               "count{op=\"device_find\"}") >= 1);
    assert_true(metric(r.body, "teepkit_store_operation_errors_total{"
                               "op=\"device_find\"}") >= 1);
    assert_int_equal(metric(r.body, "teepkit_http_requests_total{listener="
                                    "\"teep\",code=\"409\"}"),
                     1);
    assert_true(metric(r.body, "teepkit_http_requests_total{listener="
                               "\"admin\",code=\"200\"}") > 5);
    assert_true(metric(r.body, "teepkit_http_requests_total{listener="
                               "\"admin\",code=\"401\"}") >= 1);
    assert_int_equal(metric(r.body, "teepkit_fleet_reports{status=\"ok\"}"),
                     1);
    assert_int_equal(metric(r.body, "teepkit_fleet_up"), 1);
    reply_free(&r);
    agent_release(&good);
    agent_release(&bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_start_rejects_short_token),
        cmocka_unit_test(test_admin_start_rejects_bad_signer),
        cmocka_unit_test(test_auth_missing_token),
        cmocka_unit_test(test_auth_wrong_token),
        cmocka_unit_test(test_auth_dashboard_needs_no_token),
        cmocka_unit_test(test_auth_checked_before_body),
        cmocka_unit_test(test_routes_unknown_and_wrong_method),
        cmocka_unit_test(test_devices_add_show_remove),
        cmocka_unit_test(test_devices_add_rejects_bad_input),
        cmocka_unit_test(test_devices_list_pages),
        cmocka_unit_test(test_components_upload_list_show),
        cmocka_unit_test(test_components_devices_per_version),
        cmocka_unit_test(test_components_upload_rejects_bad_input),
        cmocka_unit_test(test_policy_device_and_class),
        cmocka_unit_test(test_records_after_sessions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
