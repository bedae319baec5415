/*
 * Races on the TAM store: threads of one process, and threads of two
 * processes, consume the same tokens and insert the same reports. Exactly
 * one caller may win each token and each report, and nothing may be lost or
 * stored twice. Runs on SQLite (label unit) and PostgreSQL (label pg).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "store_backend.h"

#define THREADS 8
#define ROUNDS 40
#define PROCESS_THREADS 4
#define PROCESS_ITEMS 60

#define T0 1700000000

static int64_t test_clock(void *ctx)
{
    (void)ctx;
    return T0;
}

/* Retries are generous here: losers of a PostgreSQL race fail to serialize
 * once before they see the winner's commit. */
static tk_store_options race_options(void)
{
    tk_store_options o = {0};
    o.clock = test_clock;
    o.pool_size = THREADS;
    o.max_retries = 50;
    return o;
}

static tk_store *open_store(void)
{
    tk_store_options o = race_options();
    tk_store *store = NULL;
    tk_store_detail detail;
    tk_err err = tk_store_open(backend_uri(), &o, &store, &detail);
    if (err != TK_OK)
        fprintf(stderr, "open: %s\n", detail.text);
    assert_int_equal(err, TK_OK);
    return store;
}

static void token_name(char out[32], int i)
{
    snprintf(out, 32, "race-token-%04d", i);
}

/* One device, one session and `count` tokens of that session. */
static void seed(tk_store *store, int count, int64_t *device,
                 int64_t *session)
{
    tk_store_device d = {.ueid = {(const uint8_t *)"ueid-race", 9}};
    assert_int_equal(tk_store_device_add(store, &d, NULL, device, NULL), TK_OK);
    tk_store_session s = {.device_id = *device, .state = 1,
                          .expires = T0 + 3600};
    assert_int_equal(tk_store_session_create(store, &s, (tk_view){NULL, 0},
                                             session, NULL),
                     TK_OK);
    for (int i = 0; i < count; i++) {
        char token[32];
        token_name(token, i);
        assert_int_equal(tk_store_token_add(store, *session, TK_STORE_TOKEN,
                                            (tk_view){(const uint8_t *)token,
                                                      strlen(token)},
                                            T0 + 3600, NULL),
                         TK_OK);
    }
}

static tk_err consume(tk_store *store, int i, int64_t *session)
{
    char token[32];
    token_name(token, i);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_session s;
    tk_err err = tk_store_token_consume(
        store, TK_STORE_TOKEN,
        (tk_view){(const uint8_t *)token, strlen(token)}, &mem, &s, NULL);
    if (err == TK_OK)
        *session = s.id;
    tk_store_mem_free(&mem);
    return err;
}

static tk_err insert_report(tk_store *store, int64_t device, int64_t session,
                            int i, bool *inserted, int64_t *id)
{
    char token[32];
    token_name(token, i);
    tk_store_report r = {.device_id = device, .session_id = session,
                         .token = {(const uint8_t *)token, strlen(token)},
                         .item = 0, .result = 0,
                         .report = {(const uint8_t *)"suit-report", 11}};
    return tk_store_report_insert(store, &r, id, inserted, NULL);
}

/* ---- Threads of one process --------------------------------------------- */

typedef struct race {
    tk_store *store;
    pthread_barrier_t start;
    int64_t device;
    int64_t session;
    tk_err consume_result[ROUNDS][THREADS];
    int64_t consume_session[ROUNDS][THREADS];
    tk_err report_result[ROUNDS][THREADS];
    bool inserted[ROUNDS][THREADS];
    int64_t report_id[ROUNDS][THREADS];
} race;

typedef struct racer {
    race *race;
    int index;
} racer;

static void *run_racer(void *arg)
{
    racer *r = arg;
    race *g = r->race;
    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_wait(&g->start);
        g->consume_result[round][r->index] =
            consume(g->store, round, &g->consume_session[round][r->index]);
        pthread_barrier_wait(&g->start);
        g->report_result[round][r->index] =
            insert_report(g->store, g->device, g->session, round,
                          &g->inserted[round][r->index],
                          &g->report_id[round][r->index]);
    }
    return NULL;
}

static void threads_race(void **state)
{
    (void)state;
    backend_fresh();
    race *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->store = open_store();
    seed(g->store, ROUNDS, &g->device, &g->session);
    pthread_barrier_init(&g->start, NULL, THREADS);
    pthread_t threads[THREADS];
    racer racers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        racers[t] = (racer){g, t};
        assert_int_equal(pthread_create(&threads[t], NULL, run_racer,
                                        &racers[t]),
                         0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);

    for (int round = 0; round < ROUNDS; round++) {
        int winners = 0;
        int inserted = 0;
        for (int t = 0; t < THREADS; t++) {
            tk_err c = g->consume_result[round][t];
            if (c == TK_OK) {
                winners++;
                assert_int_equal(g->consume_session[round][t], g->session);
            } else {
                assert_int_equal(c, TK_ERR_STORE_TOKEN_USED);
            }
            assert_int_equal(g->report_result[round][t], TK_OK);
            if (g->inserted[round][t])
                inserted++;
            assert_int_equal(g->report_id[round][t], g->report_id[round][0]);
        }
        assert_int_equal(winners, 1);
        assert_int_equal(inserted, 1);
    }
    char count[16];
    backend_query_text("SELECT count(*) FROM reports", count, sizeof count);
    assert_int_equal(atoi(count), ROUNDS);
    backend_query_text("SELECT count(*) FROM tokens WHERE consumed = true",
                       count, sizeof count);
    assert_int_equal(atoi(count), ROUNDS);
    pthread_barrier_destroy(&g->start);
    tk_store_close(g->store);
    free(g);
}

/* ---- Uploads of one new component -------------------------------------- */

typedef struct upload_race {
    tk_store *store;
    pthread_barrier_t start;
    tk_err result[THREADS];
    int64_t component[THREADS];
} upload_race;

typedef struct uploader {
    upload_race *race;
    int index;
} uploader;

static void *run_uploader(void *arg)
{
    uploader *u = arg;
    char digest[16];
    snprintf(digest, sizeof digest, "digest-%d", u->index);
    tk_store_version v = {.sequence = (uint64_t)u->index + 1,
                          .digest = {(const uint8_t *)digest, strlen(digest)},
                          .envelope = {(const uint8_t *)"envelope", 8}};
    pthread_barrier_wait(&u->race->start);
    u->race->result[u->index] = tk_store_version_upload(
        u->race->store, (tk_view){(const uint8_t *)"tc-race", 7}, "race", &v,
        NULL, &u->race->component[u->index], NULL, NULL);
    return NULL;
}

/* Every uploader of a component that does not exist yet creates it or
 * finds the one a racing uploader created: one component, all versions. */
static void uploads_race(void **state)
{
    (void)state;
    backend_fresh();
    upload_race *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->store = open_store();
    pthread_barrier_init(&g->start, NULL, THREADS);
    pthread_t threads[THREADS];
    uploader uploaders[THREADS];
    for (int t = 0; t < THREADS; t++) {
        uploaders[t] = (uploader){g, t};
        assert_int_equal(pthread_create(&threads[t], NULL, run_uploader,
                                        &uploaders[t]),
                         0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(g->result[t], TK_OK);
        assert_int_equal(g->component[t], g->component[0]);
    }
    char count[16];
    backend_query_text("SELECT count(*) FROM components", count, sizeof count);
    assert_int_equal(atoi(count), 1);
    backend_query_text("SELECT count(*) FROM component_versions", count,
                       sizeof count);
    assert_int_equal(atoi(count), THREADS);
    pthread_barrier_destroy(&g->start);
    tk_store_close(g->store);
    free(g);
}

/* ---- Threads of two processes ------------------------------------------- */

typedef struct worker {
    tk_store *store;
    int64_t device;
    int64_t session;
    /* Wins of this process per item, written by its threads. */
    _Atomic int consumed[PROCESS_ITEMS];
    _Atomic int inserted[PROCESS_ITEMS];
    _Atomic int failures;
} worker;

static void *run_worker_thread(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PROCESS_ITEMS; i++) {
        int64_t session = 0;
        tk_err err = consume(w->store, i, &session);
        if (err == TK_OK)
            w->consumed[i]++;
        else if (err != TK_ERR_STORE_TOKEN_USED)
            w->failures++;
        bool inserted = false;
        int64_t id = 0;
        err = insert_report(w->store, w->device, w->session, i, &inserted, &id);
        if (err != TK_OK)
            w->failures++;
        else if (inserted)
            w->inserted[i]++;
    }
    return NULL;
}

/* Body of a child process: waits for the start byte, races, then writes
 * its per-item wins and its failure count to out_fd. */
static void run_worker_process(int go_fd, int out_fd, int64_t device,
                               int64_t session)
{
    static worker w;
    tk_store_options o = race_options();
    if (tk_store_open(backend_uri(), &o, &w.store, NULL) != TK_OK)
        _exit(2);
    w.device = device;
    w.session = session;
    char byte;
    if (read(go_fd, &byte, 1) != 1)
        _exit(3);
    pthread_t threads[PROCESS_THREADS];
    for (int t = 0; t < PROCESS_THREADS; t++)
        pthread_create(&threads[t], NULL, run_worker_thread, &w);
    for (int t = 0; t < PROCESS_THREADS; t++)
        pthread_join(threads[t], NULL);
    int result[2 * PROCESS_ITEMS + 1];
    for (int i = 0; i < PROCESS_ITEMS; i++) {
        result[i] = w.consumed[i];
        result[PROCESS_ITEMS + i] = w.inserted[i];
    }
    result[2 * PROCESS_ITEMS] = w.failures;
    tk_store_close(w.store);
    if (write(out_fd, result, sizeof result) != (ssize_t)sizeof result)
        _exit(5);
    _exit(0);
}

static void read_all(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
}

static void processes_race(void **state)
{
    (void)state;
    backend_fresh();
    tk_store *store = open_store();
    int64_t device;
    int64_t session;
    seed(store, PROCESS_ITEMS, &device, &session);
    tk_store_close(store);

    int go[2];
    int out[2][2];
    pid_t pids[2];
    assert_int_equal(pipe(go), 0);
    for (int p = 0; p < 2; p++) {
        assert_int_equal(pipe(out[p]), 0);
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            alarm(240);
            close(go[1]);
            close(out[p][0]);
            run_worker_process(go[0], out[p][1], device, session);
        }
        close(out[p][1]);
    }
    close(go[0]);
    /* One byte per child releases both at once. */
    assert_int_equal(write(go[1], "gg", 2), 2);
    close(go[1]);

    int results[2][2 * PROCESS_ITEMS + 1];
    for (int p = 0; p < 2; p++) {
        read_all(out[p][0], results[p], sizeof results[p]);
        close(out[p][0]);
        int status = 0;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(results[p][2 * PROCESS_ITEMS], 0);
    }
    for (int i = 0; i < PROCESS_ITEMS; i++) {
        assert_int_equal(results[0][i] + results[1][i], 1);
        assert_int_equal(results[0][PROCESS_ITEMS + i] +
                             results[1][PROCESS_ITEMS + i],
                         1);
    }
    char count[16];
    backend_query_text("SELECT count(*) FROM reports", count, sizeof count);
    assert_int_equal(atoi(count), PROCESS_ITEMS);
    backend_query_text("SELECT count(*) FROM tokens WHERE consumed = true",
                       count, sizeof count);
    assert_int_equal(atoi(count), PROCESS_ITEMS);
}

int main(int argc, char **argv)
{
    backend_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_race),
        cmocka_unit_test(uploads_race),
        cmocka_unit_test(processes_race),
    };
    const char *group = backend_is_pg() ? "store_race_postgresql"
                                        : "store_race_sqlite";
    int failed = _cmocka_run_group_tests(group, tests,
                                         sizeof tests / sizeof tests[0], NULL,
                                         NULL);
    backend_cleanup();
    return failed;
}
