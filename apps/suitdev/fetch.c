/*
 * Payload fetching of the simulated SUIT device: file: URIs confined to
 * configured folders and http://127.0.0.1 URIs through libcurl. Every
 * other scheme and host is rejected before any I/O happens.
 */
#define _XOPEN_SOURCE 700

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suitdev_internal.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Decodes the path of a file: URI (RFC 8089) into a malloc'd string.
 * Accepts "file:///P", "file:/P" and "file://localhost/P"; returns NULL for
 * another host, a relative path, a query or fragment, a bad percent escape
 * or an escaped NUL.
 */
static char *file_uri_path(const char *uri)
{
    const char *p = uri + 5; /* after "file:" */
    char *out;
    size_t n = 0;

    if (strncmp(p, "//", 2) == 0) {
        p += 2;
        if (strncasecmp(p, "localhost/", 10) == 0)
            p += 9;
        else if (*p != '/')
            return NULL;
    }
    if (*p != '/' || strpbrk(p, "?#") != NULL)
        return NULL;
    out = malloc(strlen(p) + 1);
    if (out == NULL)
        return NULL;
    for (; *p != '\0'; p++) {
        if (*p == '%') {
            int hi = hex_value(p[1]), lo = hi >= 0 ? hex_value(p[2]) : -1;

            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[n++] = (char)(hi * 16 + lo);
            p += 2;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return out;
}

/* Returns the configured folder that contains the resolved path real, or
 * NULL when none does. */
static const char *allowed_folder(const tk_suitdev *device, const char *real)
{
    for (size_t i = 0; i < device->fetch_dir_count; i++) {
        const char *dir = device->fetch_dirs[i];
        size_t n = strlen(dir);

        if (n == 1 && dir[0] == '/')
            return dir;
        if (strncmp(real, dir, n) == 0 && real[n] == '/')
            return dir;
    }
    return NULL;
}

/* Reads the regular file real into a malloc'd buffer of at most max bytes. */
static tk_err read_confined(tk_suitdev *device, const char *uri,
                            const char *real, uint8_t **data, size_t *len)
{
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    uint8_t *buf;
    size_t done = 0;

    if (fd < 0)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_FETCH_FAILED,
                            "cannot open %s for %s: %s", real, uri,
                            strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_FETCH_FAILED,
                            "%s (from %s) is not a regular file", real, uri);
    }
    if ((uintmax_t)st.st_size > device->max_image_size) {
        close(fd);
        return suitdev_fail(device, TK_ERR_LIMIT,
                            "%s has %jd bytes, more than the limit of %zu",
                            real, (intmax_t)st.st_size,
                            device->max_image_size);
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return TK_ERR_INTERNAL;
    }
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = done;
    return TK_OK;
}

static tk_err fetch_file(tk_suitdev *device, const char *uri, uint8_t **data,
                         size_t *len)
{
    char *path = file_uri_path(uri);
    char *real;
    tk_err err;

    if (path == NULL)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_URI_REJECTED,
                            "%s is not an absolute local file: URI", uri);
    real = realpath(path, NULL);
    if (real == NULL) {
        int saved = errno;

        free(path);
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_FETCH_FAILED,
                            "cannot resolve %s: %s", uri, strerror(saved));
    }
    free(path);
    if (allowed_folder(device, real) == NULL) {
        err = suitdev_fail(device, TK_ERR_SUIT_DEVICE_URI_REJECTED,
                           "%s resolves to %s, outside every folder the "
                           "device may read; allow its folder with "
                           "--fetch-dir", uri, real);
        free(real);
        return err;
    }
    err = read_confined(device, uri, real, data, len);
    free(real);
    return err;
}

struct http_body {
    uint8_t *data;
    size_t len;
    size_t max;
    int too_large;
};

static size_t http_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct http_body *body = user;
    size_t n = size * nmemb;
    uint8_t *grown;

    if (n > body->max - body->len) {
        body->too_large = 1;
        return 0;
    }
    grown = realloc(body->data, body->len + n + 1);
    if (grown == NULL)
        return 0;
    body->data = grown;
    memcpy(body->data + body->len, ptr, n);
    body->len += n;
    return n;
}

/*
 * Parses uri with libcurl's URL parser and accepts it only when the scheme
 * is http, the host is the literal 127.0.0.1 and there are no user
 * credentials. On success *handle owns the parsed URL.
 */
static tk_err check_http_uri(tk_suitdev *device, const char *uri,
                             CURLU **handle)
{
    CURLU *url = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL;
    int ok;

    if (url == NULL)
        return TK_ERR_INTERNAL;
    ok = curl_url_set(url, CURLUPART_URL, uri, 0) == CURLUE_OK &&
         curl_url_get(url, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
         curl_url_get(url, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
         strcmp(scheme, "http") == 0 && strcmp(host, "127.0.0.1") == 0 &&
         curl_url_get(url, CURLUPART_USER, &user, 0) == CURLUE_NO_USER;
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    if (!ok) {
        curl_url_cleanup(url);
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_URI_REJECTED,
                            "%s rejected: the device fetches http only from "
                            "host 127.0.0.1, without credentials", uri);
    }
    *handle = url;
    return TK_OK;
}

static tk_err fetch_http(tk_suitdev *device, const char *uri, uint8_t **data,
                         size_t *len)
{
    CURLU *url = NULL;
    CURL *curl;
    CURLcode rc;
    long status = 0;
    struct http_body body = {NULL, 0, device->max_image_size, 0};
    tk_err err = check_http_uri(device, uri, &url);

    if (err != TK_OK)
        return err;
    if (!device->allow_http) {
        curl_url_cleanup(url);
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_URI_REJECTED,
                            "%s rejected: this device does not fetch over "
                            "HTTP", uri);
    }
    curl = curl_easy_init();
    if (curl == NULL) {
        curl_url_cleanup(url);
        return TK_ERR_INTERNAL;
    }
    curl_easy_setopt(curl, CURLOPT_CURLU, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    /* An empty proxy disables proxies, even those set in the environment,
     * so the request goes to 127.0.0.1 and nowhere else. */
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, device->http_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                     (curl_off_t)device->max_image_size);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    curl_url_cleanup(url);
    if (body.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        free(body.data);
        return suitdev_fail(device, TK_ERR_LIMIT,
                            "%s returned more than %zu bytes", uri,
                            device->max_image_size);
    }
    if (rc != CURLE_OK || status != 200) {
        free(body.data);
        if (rc != CURLE_OK)
            return suitdev_fail(device, TK_ERR_SUIT_DEVICE_FETCH_FAILED,
                                "fetching %s failed: %s", uri,
                                curl_easy_strerror(rc));
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_FETCH_FAILED,
                            "fetching %s failed: HTTP status %ld", uri,
                            status);
    }
    if (body.data == NULL) {
        body.data = malloc(1);
        if (body.data == NULL)
            return TK_ERR_INTERNAL;
    }
    *data = body.data;
    *len = body.len;
    return TK_OK;
}

tk_err tk_suitdev_fetch(tk_suitdev *device, const char *uri, uint8_t **data,
                        size_t *len)
{
    if (device == NULL || uri == NULL || data == NULL || len == NULL)
        return TK_ERR_INVALID_ARG;
    if (strncasecmp(uri, "file:", 5) == 0)
        return fetch_file(device, uri, data, len);
    if (strncasecmp(uri, "http:", 5) == 0)
        return fetch_http(device, uri, data, len);
    return suitdev_fail(device, TK_ERR_SUIT_DEVICE_URI_REJECTED,
                        "%s rejected: the device fetches only file: and "
                        "http://127.0.0.1 URIs", uri);
}
