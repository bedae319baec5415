/*
 * Tests of the simulated device's fetching: file: URIs confined to the
 * configured folders (traversal, symbolic links, other hosts), and http
 * URIs served by a small server thread on 127.0.0.1, with every other host
 * rejected before any connection is made.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suitdev.h"
#include "suitdev_test.h"

/* ---------------------------------------------------------------------- */
/* A one-connection-at-a-time HTTP server on 127.0.0.1                   */
/* ---------------------------------------------------------------------- */

struct server {
    int fd;
    unsigned short port;
    pthread_t thread;
    int requests;
};

static const char body[] = "payload served over http";

/* Replies to GET /payload with 200 and body, to GET /redirect with a 302
 * to another host, to anything else with 404, until the socket is shut
 * down. */
static void *serve(void *arg)
{
    struct server *s = arg;

    for (;;) {
        char request[1024], reply[512];
        int c = accept(s->fd, NULL, NULL);
        ssize_t n;

        if (c < 0)
            return NULL;
        n = read(c, request, sizeof(request) - 1);
        request[n > 0 ? n : 0] = '\0';
        s->requests++;
        if (strncmp(request, "GET /payload ", 13) == 0)
            snprintf(reply, sizeof(reply),
                     "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
                     sizeof(body) - 1, body);
        else if (strncmp(request, "GET /redirect ", 14) == 0)
            snprintf(reply, sizeof(reply),
                     "HTTP/1.0 302 Found\r\nLocation: http://192.0.2.1/x\r\n"
                     "Content-Length: 0\r\n\r\n");
        else
            snprintf(reply, sizeof(reply),
                     "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        if (write(c, reply, strlen(reply)) < 0)
            perror("server write");
        close(c);
    }
}

static void server_start(struct server *s)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);

    memset(s, 0, sizeof(*s));
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    assert_int_equal(bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(s->fd, 4), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->thread, NULL);
}

/* ---------------------------------------------------------------------- */

struct fixture {
    char *root;       /* scratch folder */
    char allowed[600];
    char outside[600];
    char store[600];
    tk_suitdev *dev;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char path[700];

    f->root = suitdev_test_tempdir();
    snprintf(f->allowed, sizeof(f->allowed), "%s/allowed", f->root);
    snprintf(f->outside, sizeof(f->outside), "%s/outside", f->root);
    snprintf(f->store, sizeof(f->store), "%s/store", f->root);
    mkdir(f->allowed, 0700);
    mkdir(f->outside, 0700);
    mkdir(f->store, 0700);
    snprintf(path, sizeof(path), "%s/image.bin", f->allowed);
    suitdev_test_write(path, "inside", 6);
    snprintf(path, sizeof(path), "%s/secret.bin", f->outside);
    suitdev_test_write(path, "secret", 6);
    f->dev = suitdev_test_open(f->store, f->allowed);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    tk_suitdev_close(f->dev);
    suitdev_test_remove_tree(f->root);
    free(f);
    return 0;
}

static tk_err fetch(struct fixture *f, const char *fmt, ...)
{
    char uri[1024];
    uint8_t *data = NULL;
    size_t len = 0;
    va_list ap;
    tk_err err;

    va_start(ap, fmt);
    vsnprintf(uri, sizeof(uri), fmt, ap);
    va_end(ap);
    err = tk_suitdev_fetch(f->dev, uri, &data, &len);
    free(data);
    return err;
}

static void file_inside_allowed_folder(void **state)
{
    struct fixture *f = *state;
    uint8_t *data;
    size_t len;
    char uri[700];

    snprintf(uri, sizeof(uri), "file://%s/image.bin", f->allowed);
    assert_int_equal(tk_suitdev_fetch(f->dev, uri, &data, &len), TK_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(data, "inside", 6);
    free(data);
    assert_int_equal(fetch(f, "file:%s/image.bin", f->allowed), TK_OK);
    assert_int_equal(fetch(f, "file://localhost%s/image.bin", f->allowed),
                     TK_OK);
    /* Percent escapes are decoded: %69 is 'i'. */
    assert_int_equal(fetch(f, "file://%s/%%69mage.bin", f->allowed), TK_OK);
}

static void file_outside_rejected(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fetch(f, "file://%s/secret.bin", f->outside),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_non_null(strstr(tk_suitdev_last_error(f->dev), "outside"));
    /* ".." is resolved before the check. */
    assert_int_equal(fetch(f, "file://%s/../outside/secret.bin", f->allowed),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "file://%s/%%2e%%2e/outside/secret.bin",
                           f->allowed),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "file:///etc/passwd"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    /* The allowed folder's name as a prefix of another folder. */
    assert_int_equal(fetch(f, "file://%sx/secret.bin", f->allowed),
                     TK_ERR_SUIT_DEVICE_FETCH_FAILED);
}

/* A symbolic link inside the allowed folder that points outside is
 * followed by the resolution and then rejected. */
static void symlink_escape_rejected(void **state)
{
    struct fixture *f = *state;
    char link[700], target[700];

    snprintf(link, sizeof(link), "%s/link.bin", f->allowed);
    snprintf(target, sizeof(target), "%s/secret.bin", f->outside);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(fetch(f, "file://%s/link.bin", f->allowed),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
}

static void malformed_file_uris(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fetch(f, "file://otherhost%s/image.bin", f->allowed),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "file:relative/image.bin"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "file://%s/image.bin%%00.txt", f->allowed),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "file://%s/image.bin?x=1", f->allowed),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "file://%s/%%zz", f->allowed),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    /* The folder itself is not inside the folder. */
    assert_int_equal(fetch(f, "file://%s", f->allowed),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "file://%s/missing.bin", f->allowed),
                     TK_ERR_SUIT_DEVICE_FETCH_FAILED);
}

static void other_schemes_rejected(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fetch(f, "https://127.0.0.1/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "ftp://127.0.0.1/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "coaps://example.com/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "#integrated"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
}

/* Hosts other than 127.0.0.1 are rejected before any connection, so
 * these need no network. */
static void http_other_hosts_rejected(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fetch(f, "http://example.com/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "http://localhost/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "http://127.0.0.2/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "http://[::1]/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "http://127.0.0.1@192.0.2.1/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "http://user:pw@127.0.0.1/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    assert_int_equal(fetch(f, "http://127.0.0.1.example.com/payload"),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
}

static void http_from_loopback_server(void **state)
{
    struct fixture *f = *state;
    struct server s;
    uint8_t *data;
    size_t len;
    char uri[128];

    server_start(&s);
    snprintf(uri, sizeof(uri), "http://127.0.0.1:%u/payload", s.port);
    assert_int_equal(tk_suitdev_fetch(f->dev, uri, &data, &len), TK_OK);
    assert_int_equal(len, sizeof(body) - 1);
    assert_memory_equal(data, body, len);
    free(data);
    assert_int_equal(fetch(f, "http://127.0.0.1:%u/missing", s.port),
                     TK_ERR_SUIT_DEVICE_FETCH_FAILED);
    assert_non_null(strstr(tk_suitdev_last_error(f->dev), "404"));
    /* A redirect is not followed, wherever it points. */
    assert_int_equal(fetch(f, "http://127.0.0.1:%u/redirect", s.port),
                     TK_ERR_SUIT_DEVICE_FETCH_FAILED);
    assert_int_equal(s.requests, 3);
    server_stop(&s);
}

static void http_payload_over_limit(void **state)
{
    struct fixture *f = *state;
    struct server s;
    tk_suitdev_config config = {.store_dir = f->store, .allow_http = 1,
                                .max_image_size = 8};
    tk_suitdev *small;
    uint8_t *data = NULL;
    size_t len;
    char uri[128];

    assert_int_equal(tk_suitdev_open(&config, &small), TK_OK);
    server_start(&s);
    snprintf(uri, sizeof(uri), "http://127.0.0.1:%u/payload", s.port);
    assert_int_equal(tk_suitdev_fetch(small, uri, &data, &len), TK_ERR_LIMIT);
    assert_null(data);
    server_stop(&s);
    tk_suitdev_close(small);
}

static void http_disabled(void **state)
{
    struct fixture *f = *state;
    tk_suitdev_config config = {.store_dir = f->store};
    tk_suitdev *dev;
    uint8_t *data;
    size_t len;

    assert_int_equal(tk_suitdev_open(&config, &dev), TK_OK);
    assert_int_equal(tk_suitdev_fetch(dev, "http://127.0.0.1:1/payload",
                                      &data, &len),
                     TK_ERR_SUIT_DEVICE_URI_REJECTED);
    tk_suitdev_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(file_inside_allowed_folder, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(file_outside_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(symlink_escape_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(malformed_file_uris, setup, teardown),
        cmocka_unit_test_setup_teardown(other_schemes_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(http_other_hosts_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(http_from_loopback_server, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(http_payload_over_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(http_disabled, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
