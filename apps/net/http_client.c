/* HTTP client on libcurl 7.88; see http_client.h. */
#define _GNU_SOURCE
#include "http_client.h"
#include "net_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define DEFAULT_TIMEOUT_MS 60000u
#define DEFAULT_MAX_RESPONSE ((size_t)1 << 20)

struct tk_http_client {
    CURL *curl;
    struct curl_slist *headers_with_body;
    struct curl_slist *headers_empty;
    uint8_t *buf; /* reply body, at most max_response bytes */
    size_t len;
    size_t cap;
    size_t max_response;
    int too_large; /* the write callback stopped the transfer */
    int accept_teep_cose;
    char log_name[32];
    char error[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void init_curl(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void tk_http_client_config_init(tk_http_client_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    cfg->timeout_ms = DEFAULT_TIMEOUT_MS;
    cfg->max_response = DEFAULT_MAX_RESPONSE;
    cfg->user_agent = "teepkit";
    cfg->log_name = "http-client";
}

/* Appends a piece of reply body, stopping the transfer (by returning less
 * than it was given) when the body would pass max_response. */
static size_t on_body(char *data, size_t size, size_t count, void *arg)
{
    tk_http_client *c = arg;
    size_t n = size * count;
    if (n > c->max_response - c->len) {
        c->too_large = 1;
        return 0;
    }
    if (c->len + n > c->cap) {
        size_t cap = c->cap > 0 ? c->cap : 4096;
        while (cap < c->len + n)
            cap = cap > c->max_response / 2 ? c->max_response : cap * 2;
        uint8_t *buf = realloc(c->buf, cap);
        if (buf == NULL)
            return 0;
        c->buf = buf;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    return n;
}

/* Builds the two header lists: with a body and for an empty POST. Curl
 * would otherwise send a form media type; "Content-Type:" removes it. */
static int build_headers(tk_http_client *c)
{
    static const char accept[] = "Accept: " TK_NET_MEDIA_TEEP;
    struct curl_slist *with_body = NULL;
    struct curl_slist *empty = NULL;
    struct curl_slist *tmp;
    if ((tmp = curl_slist_append(with_body, accept)) == NULL)
        goto fail;
    with_body = tmp;
    tmp = curl_slist_append(with_body, "Content-Type: " TK_NET_MEDIA_TEEP);
    if (tmp == NULL)
        goto fail;
    with_body = tmp;
    if ((tmp = curl_slist_append(empty, accept)) == NULL)
        goto fail;
    empty = tmp;
    if ((tmp = curl_slist_append(empty, "Content-Type:")) == NULL)
        goto fail;
    empty = tmp;
    c->headers_with_body = with_body;
    c->headers_empty = empty;
    return 0;
fail:
    curl_slist_free_all(with_body);
    curl_slist_free_all(empty);
    return -1;
}

/* Sets the options that stay the same for every exchange. */
static int set_fixed_options(tk_http_client *c,
                             const tk_http_client_config *cfg)
{
    CURL *h = c->curl;
    int failed = 0;
    failed |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    /* draft-ietf-teep-otrp-over-http-15 section 4: redirects MUST NOT be
     * followed automatically. */
    failed |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    failed |=
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                               (long)cfg->connect_timeout_ms) != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms) !=
              CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                               (curl_off_t)cfg->max_response) != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_WRITEDATA, c) != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->error) != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_USERAGENT,
                               cfg->user_agent != NULL ? cfg->user_agent
                                                       : "teepkit") != CURLE_OK;
    /* An empty string disables proxies, including those of http_proxy and
     * the other environment variables. */
    failed |=
        curl_easy_setopt(h, CURLOPT_PROXY,
                         cfg->proxy != NULL ? cfg->proxy : "") != CURLE_OK;
    if (cfg->ca_file != NULL)
        failed |= curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file) != CURLE_OK;
    return failed ? -1 : 0;
}

tk_err tk_http_client_new(const tk_http_client_config *cfg,
                          tk_http_client **out)
{
    if (cfg == NULL || out == NULL)
        return TK_ERR_INVALID_ARG;
    *out = NULL;
    if (cfg->connect_timeout_ms == 0 || cfg->timeout_ms == 0 ||
        cfg->max_response == 0)
        return TK_ERR_NET_CONFIG;
    pthread_once(&curl_once, init_curl);
    if (curl_init_result != CURLE_OK)
        return TK_ERR_NET_NO_MEMORY;
    tk_http_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return TK_ERR_NET_NO_MEMORY;
    c->max_response = cfg->max_response;
    c->accept_teep_cose = cfg->accept_teep_cose;
    snprintf(c->log_name, sizeof c->log_name, "%s",
             cfg->log_name != NULL ? cfg->log_name : "http-client");
    c->curl = curl_easy_init();
    if (c->curl == NULL || build_headers(c) != 0 ||
        set_fixed_options(c, cfg) != 0) {
        tk_http_client_free(c);
        return TK_ERR_NET_NO_MEMORY;
    }
    *out = c;
    return TK_OK;
}

void tk_http_client_free(tk_http_client *client)
{
    if (client == NULL)
        return;
    if (client->curl != NULL)
        curl_easy_cleanup(client->curl);
    curl_slist_free_all(client->headers_with_body);
    curl_slist_free_all(client->headers_empty);
    free(client->buf);
    free(client);
}

/* Maps a failed transfer to a teepkit code. */
static tk_err transfer_error(const tk_http_client *c, CURLcode code)
{
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return TK_ERR_NET_URL;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return TK_ERR_NET_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return TK_ERR_NET_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        return TK_ERR_NET_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        return TK_ERR_NET_TOO_LARGE;
    case CURLE_WRITE_ERROR:
        return c->too_large ? TK_ERR_NET_TOO_LARGE : TK_ERR_NET_NO_MEMORY;
    case CURLE_OUT_OF_MEMORY:
        return TK_ERR_NET_NO_MEMORY;
    default:
        return TK_ERR_NET_PROTOCOL;
    }
}

/* Returns 1 when url starts with an http or https scheme. */
static int is_http_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 ||
           strncasecmp(url, "https://", 8) == 0;
}

int tk_http_retry_after_parse(const char *value, int64_t now,
                              uint32_t *seconds)
{
    if (value == NULL)
        return 0;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t len = strlen(value);
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    if (len == 0)
        return 0;
    size_t digits = strspn(value, "0123456789");
    if (digits == len) {
        uint64_t n = 0;
        for (size_t i = 0; i < len; i++) {
            n = n * 10 + (uint64_t)(value[i] - '0');
            if (n > UINT32_MAX)
                return 0;
        }
        *seconds = (uint32_t)n;
        return 1;
    }
    if (digits > 0 || len >= 64)
        return 0;
    /* An HTTP-date: libcurl's parser reads the IMF-fixdate, RFC 850 and
     * asctime forms. */
    char date[64];
    memcpy(date, value, len);
    date[len] = '\0';
    time_t when = curl_getdate(date, NULL);
    if (when == (time_t)-1)
        return 0;
    if ((int64_t)when <= now) {
        *seconds = 0;
        return 1;
    }
    if ((int64_t)when - now > (int64_t)UINT32_MAX)
        return 0;
    *seconds = (uint32_t)((int64_t)when - now);
    return 1;
}

/* Fills the Retry-After of *reply from the reply's header field, logging a
 * value that cannot be used. */
static void read_retry_after(tk_http_client *c, tk_net_reply *reply)
{
    struct curl_header *field = NULL;
    if (curl_easy_header(c->curl, "Retry-After", 0, CURLH_HEADER, -1,
                         &field) != CURLHE_OK ||
        field == NULL)
        return;
    uint32_t seconds = 0;
    if (tk_http_retry_after_parse(field->value, (int64_t)time(NULL),
                                  &seconds)) {
        reply->has_retry_after = 1;
        reply->retry_after = seconds;
        return;
    }
    TK_LOG_WARN(c->log_name, "ignoring a Retry-After field that is neither "
                "delay-seconds below 2^32 nor an HTTP-date: \"%.64s\"",
                field->value);
}

/* Checks a received reply and fills *reply. */
static tk_err check_reply(tk_http_client *c, const char *url,
                          tk_net_reply *reply)
{
    long status = 0;
    char *type = NULL;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &type);
    reply->status = (unsigned)status;
    reply->body.ptr = c->len > 0 ? c->buf : NULL;
    reply->body.len = c->len;
    if (type != NULL && strlen(type) < sizeof reply->content_type)
        memcpy(reply->content_type, type, strlen(type) + 1);
    read_retry_after(c, reply);

    if (status >= 300 && status < 400) {
        TK_LOG_WARN(c->log_name,
                    "server replied %ld (redirect), not following it: url=%s",
                    status, url);
        return TK_ERR_NET_REDIRECT;
    }
    if (status < 200 || status >= 300) {
        TK_LOG_WARN(c->log_name, "server replied %ld: url=%s", status, url);
        return TK_ERR_NET_STATUS;
    }
    if (c->len == 0) {
        reply->done = 1;
        return TK_OK;
    }
    if (tk_net_media_type_is(type, TK_NET_MEDIA_TEEP))
        return TK_OK;
    if (c->accept_teep_cose &&
        tk_net_media_type_is(type, TK_NET_MEDIA_TEEP_COSE))
        return TK_OK;
    TK_LOG_WARN(c->log_name,
                "reply has media type \"%s\", expected " TK_NET_MEDIA_TEEP
                ": status=%ld url=%s",
                type != NULL ? type : "(none)", status, url);
    return TK_ERR_NET_CONTENT_TYPE;
}

tk_err tk_http_client_post(tk_http_client *client, const char *url,
                           const uint8_t *body, size_t len, tk_net_reply *reply)
{
    if (client == NULL || url == NULL || reply == NULL ||
        (body == NULL && len > 0))
        return TK_ERR_INVALID_ARG;
    memset(reply, 0, sizeof *reply);
    if (!is_http_url(url))
        return TK_ERR_NET_URL;
    client->len = 0;
    client->too_large = 0;
    client->error[0] = '\0';
    CURL *h = client->curl;
    int failed = 0;
    failed |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                               len > 0 ? (const char *)body : "") != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                               (curl_off_t)len) != CURLE_OK;
    failed |= curl_easy_setopt(h, CURLOPT_HTTPHEADER,
                               len > 0 ? client->headers_with_body
                                       : client->headers_empty) != CURLE_OK;
    if (failed)
        return TK_ERR_NET_NO_MEMORY;

    uint64_t start = tk_net_now_ms();
    CURLcode code = curl_easy_perform(h);
    uint64_t duration = tk_net_now_ms() - start;
    if (code != CURLE_OK) {
        tk_err err = transfer_error(client, code);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        reply->status = (unsigned)status;
        TK_LOG_WARN(client->log_name,
                    "POST failed: %s: url=%s sent=%zu duration_ms=%llu",
                    client->error[0] != '\0' ? client->error
                                             : curl_easy_strerror(code),
                    url, len, (unsigned long long)duration);
        return err;
    }
    tk_err err = check_reply(client, url, reply);
    TK_LOG_DEBUG(client->log_name,
                 "POST %s status=%u sent=%zu received=%zu duration_ms=%llu",
                 url, reply->status, len, client->len,
                 (unsigned long long)duration);
    return err;
}
