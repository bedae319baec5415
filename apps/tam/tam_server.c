/*
 * The TAM process: listeners around tk_tam_handle() and a main loop that
 * waits for SIGINT or SIGTERM. The signals are blocked before any server
 * thread starts, so only the main thread receives them (through a
 * signalfd), and stopping waits for the requests in flight.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "coap_server.h"
#include "http_server.h"
#include "tam_internal.h"
#include "tam_testhooks.h"
#include "util.h"

/* Splits "ADDRESS:PORT" (IPv6 addresses in brackets) into its parts. */
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

/* Prints an address and port as "ADDRESS:PORT", bracketing IPv6. */
static void format_endpoint(const char *address, uint16_t port, char *out,
                            size_t cap)
{
    if (strchr(address, ':') != NULL)
        snprintf(out, cap, "[%s]:%u", address, (unsigned)port);
    else
        snprintf(out, cap, "%s:%u", address, (unsigned)port);
}

/* Writes the database name for logs without a password. */
static void redact_db(const char *db, char *out, size_t cap)
{
    const char *scheme = strstr(db, "://");
    const char *at = scheme != NULL ? strchr(scheme + 3, '@') : NULL;
    if (at == NULL) {
        snprintf(out, cap, "%s", db);
        return;
    }
    snprintf(out, cap, "%.*s***%s", (int)(scheme + 3 - db), db, at);
}

static tk_err start_http(tk_tam *tam, const tk_tam_config *cfg,
                         tk_http_server **srv, char *bound, size_t cap)
{
    char address[128];
    uint16_t port = 0;
    const char *listen = cfg->listen != NULL ? cfg->listen
                                             : TK_TAM_DEFAULT_LISTEN;
    if (!split_endpoint(listen, address, sizeof(address), &port)) {
        TK_LOG_ERROR(TAM_LOG, "listen must be ADDRESS:PORT, not '%s'",
                     listen);
        return TK_ERR_TAM_CONFIG;
    }
    tk_http_route route;
    memset(&route, 0, sizeof(route));
    route.path = "/tam";
    route.methods = TK_NET_POST;
    route.kind = TK_HTTP_ROUTE_TEEP;
    route.max_body = cfg->max_body;
    route.handler = tk_tam_handle;
    route.ctx = tam;
    tk_http_server_config hc;
    tk_http_server_config_init(&hc);
    hc.address = address;
    hc.port = port;
    hc.max_body = cfg->max_body;
    hc.threads = cfg->threads;
    hc.routes = &route;
    hc.route_count = 1;
    tk_err err = tk_http_server_start(&hc, srv);
    if (err != TK_OK) {
        TK_LOG_ERROR(TAM_LOG, "cannot listen on %s: %s", listen,
                     tk_strerror(err));
        return err;
    }
    format_endpoint(address, tk_http_server_port(*srv), bound, cap);
    return TK_OK;
}

static tk_err start_coap(tk_tam *tam, const tk_tam_config *cfg,
                         tk_coap_server **srv, char *bound, size_t cap)
{
    char address[128];
    uint16_t port = 0;
    if (!split_endpoint(cfg->coap, address, sizeof(address), &port)) {
        TK_LOG_ERROR(TAM_LOG, "coap must be ADDRESS:PORT, not '%s'",
                     cfg->coap);
        return TK_ERR_TAM_CONFIG;
    }
    tk_coap_server_config cc;
    tk_coap_server_config_init(&cc);
    cc.address = address;
    cc.port = port;
    cc.max_body = cfg->max_body;
    cc.handler = tk_tam_handle;
    cc.ctx = tam;
    tk_err err = tk_coap_server_start(&cc, srv);
    if (err != TK_OK) {
        TK_LOG_ERROR(TAM_LOG, "cannot listen for CoAP on %s: %s", cfg->coap,
                     tk_strerror(err));
        return err;
    }
    format_endpoint(address, tk_coap_server_port(*srv), bound, cap);
    return TK_OK;
}

/* Writes the HTTP port to the port file, atomically. */
static bool write_port_file(const char *path, uint16_t port)
{
    char text[16];
    int n = snprintf(text, sizeof(text), "%u\n", (unsigned)port);
    if (tk_util_write_file(path, (const uint8_t *)text, (size_t)n, 0644) !=
        0) {
        TK_LOG_ERROR(TAM_LOG, "cannot write the port file %s: %s", path,
                     strerror(errno));
        return false;
    }
    return true;
}

/* Waits for SIGINT, SIGTERM or a readable stop_fd. */
static void wait_for_stop(int signal_fd, int stop_fd)
{
    struct pollfd fds[2] = {{signal_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    nfds_t count = stop_fd >= 0 ? 2 : 1;
    for (;;) {
        int n = poll(fds, count, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            TK_LOG_ERROR(TAM_LOG, "waiting for a stop signal failed: %s",
                         strerror(errno));
            return;
        }
        if (fds[0].revents != 0) {
            struct signalfd_siginfo info;
            if (read(signal_fd, &info, sizeof(info)) == sizeof(info))
                TK_LOG_INFO(TAM_LOG, "stopping on signal %s",
                            strsignal((int)info.ssi_signo));
            return;
        }
        if (count == 2 && fds[1].revents != 0) {
            TK_LOG_INFO(TAM_LOG, "stopping on request");
            return;
        }
    }
}

/* Logs the configuration the TAM starts with. */
static void log_start(const tk_tam *tam, const char *http, const char *coap)
{
    char db[512];
    redact_db(tam->cfg.db, db, sizeof(db));
    char kid0[2 * TK_COSE_THUMBPRINT_SIZE + 1];
    char kid1[2 * TK_COSE_THUMBPRINT_SIZE + 1];
    tam_hex(tam->kids[0], TK_COSE_THUMBPRINT_SIZE, kid0, sizeof(kid0));
    tam_hex(tam->kids[1], TK_COSE_THUMBPRINT_SIZE, kid1, sizeof(kid1));
    TK_LOG_INFO(TAM_LOG,
                "started: http=%s coap=%s db=%s store=%s keys=ESP256,Ed25519 "
                "kid_esp256=%s kid_ed25519=%s attestation=%s threads=%u",
                http, coap != NULL ? coap : "off", db,
                tk_store_backend(tam->store), kid0, kid1,
                tam->cfg.require_attestation ? "required" : "off",
                tam->cfg.threads);
}

int tk_tam_serve(const tk_tam_config *cfg, const tk_tam_serve_options *opt)
{
    tk_log_set_level(cfg->log_level);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &mask, &old);
    signal(SIGPIPE, SIG_IGN);
    int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);

    char msg[512] = "";
    tk_tam *tam = NULL;
    tk_http_server *http = NULL;
    tk_coap_server *coap = NULL;
    char http_bound[160] = "";
    char coap_bound[160] = "";
    int status = 1;
    tk_tam_options tam_options;
    memset(&tam_options, 0, sizeof(tam_options));
    if (opt != NULL && opt->tam_options != NULL)
        tam_options = *opt->tam_options;
    /* The TK_TEST_CLOCK_OFFSET test hook moves the TAM's and its store's
     * clock together. */
    if (tam_options.clock == NULL && tam_test_clock_offset() != 0)
        tam_options.clock = tam_test_clock;
    tk_err err = signal_fd >= 0 ? tk_tam_open(cfg, &tam_options, &tam, msg,
                                              sizeof(msg))
                                : TK_ERR_INTERNAL;
    if (err != TK_OK)
        TK_LOG_ERROR(TAM_LOG, "cannot start: %s",
                     msg[0] != '\0' ? msg : tk_strerror(err));
    if (err == TK_OK)
        err = start_http(tam, cfg, &http, http_bound, sizeof(http_bound));
    if (err == TK_OK && cfg->coap != NULL)
        err = start_coap(tam, cfg, &coap, coap_bound, sizeof(coap_bound));
    bool hooks_started = false;
    if (err == TK_OK && opt != NULL && opt->started != NULL) {
        err = opt->started(opt->hooks_ctx, tam, http);
        hooks_started = err == TK_OK;
    }
    if (err == TK_OK) {
        log_start(tam, http_bound, coap != NULL ? coap_bound : NULL);
        printf("listening on %s\n", http_bound);
        if (coap != NULL)
            printf("listening for CoAP on %s\n", coap_bound);
        fflush(stdout);
    }
    /* The port file comes last, so a test that waits for it finds every
     * listener up and its address logged. */
    if (err == TK_OK && opt != NULL && opt->port_file != NULL &&
        !write_port_file(opt->port_file, tk_http_server_port(http)))
        err = TK_ERR_INTERNAL;
    if (err == TK_OK) {
        wait_for_stop(signal_fd, opt != NULL ? opt->stop_fd : -1);
        status = 0;
    }
    if (hooks_started && opt->stopping != NULL)
        opt->stopping(opt->hooks_ctx);
    tk_coap_server_stop(coap);
    tk_http_server_stop(http);
    if (tam != NULL && status == 0) {
        tk_tam_stats stats;
        tk_tam_stats_get(tam, &stats);
        TK_LOG_INFO(TAM_LOG,
                    "stopped: requests=%llu sessions=%llu updates=%llu "
                    "rejected=%llu attestation_failed=%llu errors=%llu",
                    (unsigned long long)stats.requests,
                    (unsigned long long)stats.sessions_started,
                    (unsigned long long)stats.updates_sent,
                    (unsigned long long)stats.rejected,
                    (unsigned long long)stats.attestation_failed,
                    (unsigned long long)stats.internal_errors);
    }
    tk_tam_close(tam);
    if (signal_fd >= 0)
        close(signal_fd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return status;
}
