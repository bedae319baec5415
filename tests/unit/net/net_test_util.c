/* Raw socket helpers of the transport tests; see net_test_util.h. */
#define _GNU_SOURCE
#include "net_test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static void fail(const char *what)
{
    fprintf(stderr, "net test helper: %s failed: %s\n", what, strerror(errno));
    abort();
}

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

int net_test_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        fail("socket");
    struct sockaddr_in addr = loopback(port);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        fail("connect");
    return fd;
}

int net_test_send(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Returns 1 when buf contains a complete response: header fields and as many
 * body bytes as Content-Length says (0 when absent). */
static int response_complete(const char *buf, size_t len)
{
    const char *end = strstr(buf, "\r\n\r\n");
    if (end == NULL)
        return 0;
    char value[32];
    size_t body = (size_t)(buf + len - (end + 4));
    if (!net_test_header(buf, "Content-Length", value, sizeof value))
        return 0; /* read until the peer closes */
    return body >= strtoul(value, NULL, 10);
}

size_t net_test_recv_response(int fd, char *buf, size_t cap,
                              unsigned timeout_ms)
{
    size_t len = 0;
    buf[0] = '\0';
    while (len + 1 < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, (int)timeout_ms);
        if (ready <= 0)
            break;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (response_complete(buf, len))
            break;
    }
    return len;
}

unsigned net_test_status(const char *response)
{
    unsigned status = 0;
    if (sscanf(response, "HTTP/1.%*d %u", &status) != 1)
        return 0;
    return status;
}

int net_test_header(const char *response, const char *name, char *out,
                    size_t cap)
{
    const char *end = strstr(response, "\r\n\r\n");
    const char *line = strstr(response, "\r\n");
    size_t name_len = strlen(name);
    while (line != NULL && (end == NULL || line < end)) {
        line += 2;
        if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *value = line + name_len + 1;
            while (*value == ' ')
                value++;
            const char *stop = strstr(value, "\r\n");
            size_t n = stop != NULL ? (size_t)(stop - value) : strlen(value);
            if (n >= cap)
                n = cap - 1;
            memcpy(out, value, n);
            out[n] = '\0';
            return 1;
        }
        line = strstr(line, "\r\n");
    }
    return 0;
}

const char *net_test_body(const char *response)
{
    const char *end = strstr(response, "\r\n\r\n");
    return end != NULL ? end + 4 : NULL;
}

size_t net_test_exchange(uint16_t port, const char *request, char *buf,
                         size_t cap)
{
    int fd = net_test_connect(port);
    if (net_test_send(fd, request, strlen(request)) != 0)
        fail("send");
    size_t n = net_test_recv_response(fd, buf, cap, 10000);
    close(fd);
    return n;
}

uint16_t net_test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        fail("socket");
    struct sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        fail("bind");
    close(fd);
    return ntohs(addr.sin_port);
}

/* Reads one request: header fields and a Content-Length body. */
static void mock_read_request(net_test_mock *mock, int fd)
{
    size_t len = 0;
    while (len + 1 < sizeof mock->request && !mock->stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n =
            recv(fd, mock->request + len, sizeof mock->request - 1 - len, 0);
        if (n <= 0)
            return;
        len += (size_t)n;
        mock->request[len] = '\0';
        const char *end = strstr(mock->request, "\r\n\r\n");
        if (end == NULL)
            continue;
        char value[32] = "0";
        net_test_header(mock->request, "Content-Length", value, sizeof value);
        if ((size_t)(mock->request + len - (end + 4)) >=
            strtoul(value, NULL, 10))
            return;
    }
}

static void *mock_main(void *arg)
{
    net_test_mock *mock = arg;
    int fd = -1;
    while (!mock->stop && fd < 0) {
        struct pollfd p = {.fd = mock->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 100) > 0)
            fd = accept(mock->listen_fd, NULL, NULL);
    }
    if (fd < 0)
        return NULL;
    mock_read_request(mock, fd);
    if (mock->reply != NULL) {
        net_test_send(fd, mock->reply, mock->reply_len);
    } else {
        while (!mock->stop)
            usleep(20000);
    }
    close(fd);
    return NULL;
}

void net_test_mock_start(net_test_mock *mock, const char *reply,
                         size_t reply_len)
{
    memset(mock, 0, sizeof *mock);
    mock->reply = reply;
    mock->reply_len = reply_len;
    mock->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (mock->listen_fd < 0)
        fail("socket");
    struct sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (bind(mock->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(mock->listen_fd, 4) != 0 ||
        getsockname(mock->listen_fd, (struct sockaddr *)&addr, &len) != 0)
        fail("listen");
    mock->port = ntohs(addr.sin_port);
    if (pthread_create(&mock->thread, NULL, mock_main, mock) != 0)
        fail("pthread_create");
}

void net_test_mock_stop(net_test_mock *mock)
{
    mock->stop = 1;
    pthread_join(mock->thread, NULL);
    close(mock->listen_fd);
}

size_t net_test_stream_until_reply(uint16_t port, const char *head,
                                   size_t total, int chunked, char *resp,
                                   size_t cap)
{
    size_t block_len = chunked ? 7 + 65536 + 2 : 65536;
    char *block = malloc(block_len);
    if (block == NULL)
        fail("malloc");
    memset(block, 'u', block_len);
    if (chunked) {
        memcpy(block, "10000\r\n", 7);
        memcpy(block + 7 + 65536, "\r\n", 2);
    }
    int fd = net_test_connect(port);
    if (net_test_send(fd, head, strlen(head)) != 0)
        fail("send");
    size_t sent = 0;
    size_t offset = 0;
    resp[0] = '\0';
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (sent < total)
            p.events |= POLLOUT;
        if (poll(&p, 1, 10000) <= 0)
            break;
        if (p.revents & (POLLIN | POLLHUP | POLLERR))
            break;
        size_t n = block_len - offset;
        if (n > total - sent)
            n = total - sent;
        ssize_t done =
            send(fd, block + offset, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (done < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (done <= 0)
            break;
        sent += (size_t)done;
        offset = (offset + (size_t)done) % block_len;
    }
    net_test_recv_response(fd, resp, cap, 10000);
    close(fd);
    free(block);
    return sent;
}
