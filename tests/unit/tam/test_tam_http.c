/*
 * The TAM over real HTTP on 127.0.0.1: whole sessions through libcurl,
 * a replay, media types and methods the transport rejects, a session over
 * CoAP, and tk_tam_serve() started and stopped in a thread.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "tam_test_env.h"

static tam_env env;
static test_agent agent;
static exchange ex;

static int setup(void **state)
{
    (void)state;
    const char *const config[] = {"log_level=error", NULL};
    env_open(&env, config);
    agent_init(&agent, &env, 5);
    env_start_http(&env);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_release(&agent);
    env_close(&env);
    return 0;
}

/* Sends one request with libcurl and returns its status. */
static long raw_request(const char *url, const char *method,
                        const char *content_type, const void *body,
                        size_t len)
{
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    struct curl_slist *headers = NULL;
    char field[128];
    headers = curl_slist_append(headers, "Accept: application/teep+cbor");
    if (content_type != NULL) {
        snprintf(field, sizeof(field), "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, field);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    long status = 0;
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    fclose(sink);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status;
}

static void test_http_install_session(void **state)
{
    (void)state;
    int64_t app = env_add_component(&env, "app", 2);
    env_policy(&env, &agent, app, false);
    int64_t device = agent_device_id(&env, &agent);
    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(ex.status[0], 200);
    assert_int_equal(ex.status[1], 200);
    assert_int_equal(ex.reply_type[1], TK_TEEP_UPDATE);
    assert_int_equal(ex.status[2], 204);
    assert_int_equal(agent_sequence(&agent, "app"), 2);
    assert_int_equal(count_installed(&env, device, "app", NULL), 1);
    assert_int_equal(count_reports(&env, device), 1);

    /* The captured Success, posted again, is a replay. */
    unsigned status = 0;
    uint8_t reply[64];
    size_t reply_len = 0;
    env_post(&env, ex.sent[2], ex.sent_len[2], &status, reply, sizeof(reply),
             &reply_len);
    assert_int_equal(status, 409);
    assert_int_equal(count_reports(&env, device), 1);
}

/* The transport rejects another media type (415) and another method
 * (405) before the TAM, which rejects a body that is not COSE (400). */
static void test_http_transport_checks(void **state)
{
    (void)state;
    static const uint8_t body[] = {0x80};
    assert_int_equal(raw_request(env.url, "POST", "text/plain", body, 1),
                     415);
    assert_int_equal(raw_request(env.url, "GET", NULL, NULL, 0), 405);
    assert_int_equal(raw_request(env.url, "POST", "application/teep+cbor",
                                 body, 1),
                     400);
    assert_int_equal(raw_request(env.url, "POST", NULL, NULL, 0), 200);
    tk_tam_stats stats;
    tk_tam_stats_get(env.tam, &stats);
    assert_int_equal(stats.requests, 2);
    assert_int_equal(stats.rejected, 1);
    assert_int_equal(stats.sessions_started, 1);
}

/* Two agents in turn on one server. */
static void test_http_two_devices(void **state)
{
    (void)state;
    test_agent *other = malloc(sizeof(*other));
    assert_non_null(other);
    agent_init(other, &env, 6);
    int64_t app = env_add_component(&env, "app", 1);
    env_policy(&env, &agent, app, false);
    env_policy(&env, other, app, false);
    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(run_exchange(&env, other, &ex), 3);
    assert_int_equal(agent_sequence(&agent, "app"), 1);
    assert_int_equal(agent_sequence(other, "app"), 1);
    assert_int_equal(count_installed(&env, agent_device_id(&env, other),
                                     "app", NULL),
                     1);
    agent_release(other);
    free(other);
}

/* The same session over CoAP, and a replay that gets 4.09. */
static void test_coap_install_session(void **state)
{
    (void)state;
    tk_http_server_stop(env.http);
    env.http = NULL;
    env_start_coap(&env);
    int64_t app = env_add_component(&env, "app", 3);
    env_policy(&env, &agent, app, false);
    int64_t device = agent_device_id(&env, &agent);
    assert_int_equal(run_exchange(&env, &agent, &ex), 3);
    assert_int_equal(ex.reply_type[0], TK_TEEP_QUERY_REQUEST);
    assert_int_equal(ex.reply_type[1], TK_TEEP_UPDATE);
    assert_int_equal(ex.status[2], 204);
    assert_int_equal(agent_sequence(&agent, "app"), 3);
    assert_int_equal(count_installed(&env, device, "app", NULL), 1);

    unsigned status = 0;
    uint8_t reply[64];
    size_t reply_len = 0;
    env_post(&env, ex.sent[1], ex.sent_len[1], &status, reply, sizeof(reply),
             &reply_len);
    assert_int_equal(status, 409);
    assert_int_equal(count_attestations(&env, device, NULL), 1);
}

/* tk_tam_serve() in a thread: port file, one request, clean stop. */
struct serve_run {
    tk_tam_config cfg;
    tk_tam_serve_options opt;
    int status;
};

static void *serve_thread(void *arg)
{
    struct serve_run *run = arg;
    run->status = tk_tam_serve(&run->cfg, &run->opt);
    return NULL;
}

/* Waits until the port file exists; returns the port. */
static unsigned wait_port(const char *path)
{
    for (int i = 0; i < 300; i++) {
        FILE *f = fopen(path, "r");
        unsigned port = 0;
        if (f != NULL) {
            int n = fscanf(f, "%u", &port);
            fclose(f);
            if (n == 1 && port > 0)
                return port;
        }
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fail_msg("the TAM did not write %s", path);
    return 0;
}

static void test_http_serve_and_stop(void **state)
{
    (void)state;
    struct serve_run run;
    memset(&run, 0, sizeof(run));
    char msg[256];
    char db[256];
    char port_file[256];
    snprintf(db, sizeof(db), "%s/serve.db", env.dir);
    snprintf(port_file, sizeof(port_file), "%s/port", env.dir);
    tk_tam_config_init(&run.cfg);
    tk_tam_config_set(&run.cfg, "db", db, msg, sizeof(msg));
    tk_tam_config_set(&run.cfg, "key_dir", env.key_dir, msg, sizeof(msg));
    tk_tam_config_set(&run.cfg, "listen", "127.0.0.1:0", msg, sizeof(msg));
    tk_tam_config_set(&run.cfg, "log_level", "error", msg, sizeof(msg));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    run.opt.port_file = port_file;
    run.opt.stop_fd = fds[0];
    run.status = -1;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, serve_thread, &run), 0);
    unsigned port = wait_port(port_file);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/tam", port);
    assert_int_equal(raw_request(url, "POST", NULL, NULL, 0), 200);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(run.status, 0);
    close(fds[0]);
    close(fds[1]);
    tk_tam_config_free(&run.cfg);
}

/* A TAM whose keys are missing does not start. */
static void test_http_serve_without_keys(void **state)
{
    (void)state;
    struct serve_run run;
    memset(&run, 0, sizeof(run));
    char msg[256];
    char db[256];
    char keys[256];
    snprintf(db, sizeof(db), "%s/nokeys.db", env.dir);
    snprintf(keys, sizeof(keys), "%s/missing", env.dir);
    tk_tam_config_init(&run.cfg);
    tk_tam_config_set(&run.cfg, "db", db, msg, sizeof(msg));
    tk_tam_config_set(&run.cfg, "key_dir", keys, msg, sizeof(msg));
    tk_tam_config_set(&run.cfg, "listen", "127.0.0.1:0", msg, sizeof(msg));
    tk_tam_config_set(&run.cfg, "log_level", "off", msg, sizeof(msg));
    run.opt.stop_fd = -1;
    assert_int_equal(tk_tam_serve(&run.cfg, &run.opt), 1);
    tk_tam *tam = NULL;
    assert_int_equal(tk_tam_open(&run.cfg, NULL, &tam, msg, sizeof(msg)),
                     TK_ERR_TAM_KEYS);
    assert_null(tam);
    assert_non_null(strstr(msg, "missing"));
    tk_tam_config_free(&run.cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_install_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_transport_checks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_two_devices, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_coap_install_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_serve_and_stop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_serve_without_keys, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
