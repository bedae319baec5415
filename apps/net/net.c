/* Request, response and media type helpers shared by the transports. */
#define _GNU_SOURCE
#include "net.h"
#include "net_internal.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

const char *tk_net_request_header(const tk_net_request *req, const char *name)
{
    if (req == NULL || name == NULL || req->lookup_header == NULL)
        return NULL;
    return req->lookup_header(req, name);
}

const char *tk_net_request_query(const tk_net_request *req, const char *name)
{
    if (req == NULL || name == NULL || req->lookup_query == NULL)
        return NULL;
    return req->lookup_query(req, name);
}

/* Replaces the media type of resp with a copy of content_type (or none). */
static tk_err set_content_type(tk_net_response *resp, const char *content_type)
{
    char *copy = NULL;
    if (content_type != NULL) {
        if (!tk_net_is_field_value(content_type) || content_type[0] == '\0')
            return TK_ERR_NET_HEADER;
        copy = strdup(content_type);
        if (copy == NULL)
            return TK_ERR_NET_NO_MEMORY;
    }
    free(resp->content_type);
    resp->content_type = copy;
    return TK_OK;
}

tk_err tk_net_response_take_body(tk_net_response *resp,
                                 const char *content_type, void *data,
                                 size_t len)
{
    if (resp == NULL || (data == NULL && len > 0)) {
        free(data);
        return TK_ERR_INVALID_ARG;
    }
    tk_err err = set_content_type(resp, content_type);
    if (err != TK_OK) {
        free(data);
        return err;
    }
    free(resp->body);
    resp->body = data;
    resp->body_len = len;
    return TK_OK;
}

tk_err tk_net_response_set_body(tk_net_response *resp, const char *content_type,
                                const void *data, size_t len)
{
    if (resp == NULL || (data == NULL && len > 0))
        return TK_ERR_INVALID_ARG;
    /* One spare byte so that an empty body still gets a distinct buffer. */
    uint8_t *copy = malloc(len + 1);
    if (copy == NULL)
        return TK_ERR_NET_NO_MEMORY;
    if (len > 0)
        memcpy(copy, data, len);
    return tk_net_response_take_body(resp, content_type, copy, len);
}

tk_err tk_net_response_add_header(tk_net_response *resp, const char *name,
                                  const char *value)
{
    if (resp == NULL || name == NULL || value == NULL)
        return TK_ERR_INVALID_ARG;
    if (!tk_net_is_token(name) || !tk_net_is_field_value(value))
        return TK_ERR_NET_HEADER;
    if (strcasecmp(name, "Content-Type") == 0 ||
        strcasecmp(name, "Content-Length") == 0 ||
        strcasecmp(name, "Transfer-Encoding") == 0)
        return TK_ERR_NET_HEADER;
    if (resp->header_count >= TK_NET_MAX_HEADERS)
        return TK_ERR_LIMIT;
    char *name_copy = strdup(name);
    char *value_copy = strdup(value);
    if (name_copy == NULL || value_copy == NULL) {
        free(name_copy);
        free(value_copy);
        return TK_ERR_NET_NO_MEMORY;
    }
    resp->headers[resp->header_count].name = name_copy;
    resp->headers[resp->header_count].value = value_copy;
    resp->header_count++;
    return TK_OK;
}

const char *tk_net_response_header(const tk_net_response *resp,
                                   const char *name)
{
    if (resp == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < resp->header_count; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    }
    return NULL;
}

void tk_net_response_clear(tk_net_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->content_type);
    free(resp->body);
    for (size_t i = 0; i < resp->header_count; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    memset(resp, 0, sizeof *resp);
}

tk_net_method tk_net_method_from_name(const char *name)
{
    static const struct {
        const char *name;
        tk_net_method method;
    } methods[] = {
        {"GET", TK_NET_GET},         {"HEAD", TK_NET_HEAD},
        {"POST", TK_NET_POST},       {"PUT", TK_NET_PUT},
        {"DELETE", TK_NET_DELETE},   {"PATCH", TK_NET_PATCH},
        {"OPTIONS", TK_NET_OPTIONS}, {"FETCH", TK_NET_FETCH},
    };
    if (name == NULL)
        return TK_NET_OTHER;
    /* Method names are case-sensitive (RFC 9110 section 9.1). */
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (strcmp(name, methods[i].name) == 0)
            return methods[i].method;
    }
    return TK_NET_OTHER;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims optional white space around [*start, *end). */
static void trim(const char **start, const char **end)
{
    while (*start < *end && is_space(**start))
        (*start)++;
    while (*end > *start && is_space((*end)[-1]))
        (*end)--;
}

/* Returns 1 when [start, end) equals text without regard to case. */
static int span_equals(const char *start, const char *end, const char *text)
{
    size_t len = strlen(text);
    return (size_t)(end - start) == len && strncasecmp(start, text, len) == 0;
}

int tk_net_media_type_is(const char *value, const char *expected)
{
    if (value == NULL || expected == NULL)
        return 0;
    const char *start = value;
    const char *end = strchr(value, ';');
    if (end == NULL)
        end = value + strlen(value);
    trim(&start, &end);
    return span_equals(start, end, expected);
}

/*
 * Returns the q weight of one Accept element's parameters [params, end) in
 * thousandths (RFC 9110 section 12.4.2): 1000 when absent, 0 for "q=0" and
 * for a malformed weight, so that a broken element never admits a type.
 */
static int accept_weight(const char *params, const char *end)
{
    const char *p = params;
    while (p < end) {
        const char *next = memchr(p, ';', (size_t)(end - p));
        if (next == NULL)
            next = end;
        const char *start = p;
        const char *stop = next;
        trim(&start, &stop);
        if (stop - start >= 2 && (start[0] == 'q' || start[0] == 'Q') &&
            start[1] == '=') {
            const char *digits = start + 2;
            if (digits >= stop || (*digits != '0' && *digits != '1'))
                return 0;
            int weight = (*digits - '0') * 1000;
            digits++;
            if (digits < stop && *digits == '.') {
                digits++;
                int scale = 100;
                for (int i = 0; i < 3 && digits < stop; i++, digits++) {
                    if (*digits < '0' || *digits > '9')
                        return 0;
                    weight += (*digits - '0') * scale;
                    scale /= 10;
                }
            }
            if (digits != stop || weight > 1000)
                return 0;
            return weight;
        }
        p = next + 1;
    }
    return 1000;
}

int tk_net_accept_allows(const char *accept, const char *expected)
{
    if (accept == NULL || expected == NULL)
        return 0;
    const char *slash = strchr(expected, '/');
    if (slash == NULL)
        return 0;
    size_t type_len = (size_t)(slash - expected) + 1; /* with the '/' */
    const char *p = accept;
    const char *accept_end = accept + strlen(accept);
    while (p <= accept_end) {
        const char *next = strchr(p, ',');
        if (next == NULL)
            next = accept_end;
        const char *params = memchr(p, ';', (size_t)(next - p));
        const char *range_end = params != NULL ? params : next;
        const char *start = p;
        trim(&start, &range_end);
        int matches = span_equals(start, range_end, expected) ||
                      span_equals(start, range_end, "*/*");
        if (!matches && (size_t)(range_end - start) == type_len + 1 &&
            strncasecmp(start, expected, type_len) == 0 && range_end[-1] == '*')
            matches = 1;
        if (matches &&
            accept_weight(params != NULL ? params + 1 : next, next) > 0)
            return 1;
        p = next + 1;
    }
    return 0;
}

uint64_t tk_net_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static atomic_uint_fast64_t next_request_id;
static atomic_int request_id_seeded;

void tk_net_new_request_id(char out[TK_NET_REQUEST_ID_SIZE])
{
    if (!atomic_load(&request_id_seeded)) {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
            seed = (uint64_t)time(NULL) << 20;
        uint_fast64_t zero = 0;
        /* Only the first caller seeds; later ones keep counting. */
        atomic_compare_exchange_strong(&next_request_id, &zero, seed);
        atomic_store(&request_id_seeded, 1);
    }
    uint64_t id = (uint64_t)atomic_fetch_add(&next_request_id, 1);
    snprintf(out, TK_NET_REQUEST_ID_SIZE, "%016" PRIx64, id);
}

void tk_net_format_peer(const struct sockaddr *addr, char out[TK_NET_PEER_SIZE])
{
    char host[INET6_ADDRSTRLEN];
    if (addr != NULL && addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(out, TK_NET_PEER_SIZE, "%s:%u", host, ntohs(in->sin_port));
    } else if (addr != NULL && addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(out, TK_NET_PEER_SIZE, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else {
        snprintf(out, TK_NET_PEER_SIZE, "?");
    }
}

int tk_net_parse_listen_address(const char *text, uint16_t port,
                                struct sockaddr_storage *storage,
                                socklen_t *len)
{
    memset(storage, 0, sizeof *storage);
    struct sockaddr_in *in = (struct sockaddr_in *)storage;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)storage;
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        *len = sizeof *in;
        return 0;
    }
    if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof *in6;
        return 0;
    }
    return -1;
}

int tk_net_is_token(const char *name)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (name == NULL || name[0] == '\0')
        return 0;
    for (const char *p = name; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                    (c >= 'A' && c <= 'Z');
        if (!alnum && strchr(extra, c) == NULL)
            return 0;
    }
    return 1;
}

int tk_net_is_field_value(const char *value)
{
    if (value == NULL)
        return 0;
    for (const char *p = value; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}
