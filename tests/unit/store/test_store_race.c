/*
 * Races on the TAM store: threads of one process, and threads of two
 * processes, consume the same tokens, insert the same reports and record
 * the same exchanges. Exactly one caller may win each token and each
 * report, and nothing may be lost or stored twice. Runs on SQLite (label
 * unit) and PostgreSQL (label pg).
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

/*
 * A Success for token i of the seeded session: the token, a report, an
 * audit entry, the installed state and a new token named after the
 * racer (distinct, so that only the token decides who wins).
 */
static tk_err record_exchange(tk_store *store, int64_t device,
                              int64_t session, int i, int racer)
{
    char token[32];
    char next[32];
    char component[32];
    token_name(token, i);
    snprintf(next, sizeof next, "next-%04d-%02d", i, racer);
    snprintf(component, sizeof component, "tc-%04d", i);
    tk_view token_view = {(const uint8_t *)token, strlen(token)};
    tk_store_report report = {.device_id = device, .session_id = session,
                              .token = token_view,
                              .report = {(const uint8_t *)"suit-report", 11}};
    tk_store_installed installed = {
        .component_id = {(const uint8_t *)component, strlen(component)},
        .sequence = 1};
    tk_store_audit audit = {.actor = "tam", .action = "update.success",
                            .object = component};
    tk_store_attestation result = {.device_id = device, .session_id = session,
                                   .verdict = TK_STORE_VERDICT_AFFIRMING};
    tk_store_session_change update = {
        .id = session, .expected_state = TK_STORE_ANY_STATE, .state = 2,
        .next_token = {(const uint8_t *)next, strlen(next)}};
    tk_store_exchange x = {
        .token = token_view, .session_id = session, .device_id = device,
        .attestation = &result, .installed_set = &installed,
        .installed_set_count = 1, .reports = &report, .report_count = 1,
        .audit = &audit, .audit_count = 1, .update = &update};
    return tk_store_exchange_record(store, &x, NULL, NULL);
}

/* What the winners of count exchanges leave behind. */
static void assert_exchanges_once(int count)
{
    static const char *const tables[] = {"reports", "audit_log",
                                         "attestation_results", "installed"};
    char text[16];
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[t]);
        backend_query_text(sql, text, sizeof text);
        assert_int_equal(atoi(text), count);
    }
    backend_query_text("SELECT count(*) FROM tokens WHERE consumed = true",
                       text, sizeof text);
    assert_int_equal(atoi(text), count);
    /* One new token per winner, none from a loser. */
    backend_query_text("SELECT count(*) FROM tokens WHERE consumed = false",
                       text, sizeof text);
    assert_int_equal(atoi(text), count);
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

/* Every thread records the same message for each token: one exchange
 * commits, the others find the token used and store nothing. */
typedef struct exchange_race {
    tk_store *store;
    pthread_barrier_t start;
    int64_t device;
    int64_t session;
    tk_err result[ROUNDS][THREADS];
} exchange_race;

typedef struct exchanger {
    exchange_race *race;
    int index;
} exchanger;

static void *run_exchanger(void *arg)
{
    exchanger *e = arg;
    exchange_race *g = e->race;
    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_wait(&g->start);
        g->result[round][e->index] =
            record_exchange(g->store, g->device, g->session, round,
                            e->index);
    }
    return NULL;
}

static void exchanges_race(void **state)
{
    (void)state;
    backend_fresh();
    exchange_race *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->store = open_store();
    seed(g->store, ROUNDS, &g->device, &g->session);
    pthread_barrier_init(&g->start, NULL, THREADS);
    pthread_t threads[THREADS];
    exchanger racers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        racers[t] = (exchanger){g, t};
        assert_int_equal(pthread_create(&threads[t], NULL, run_exchanger,
                                        &racers[t]),
                         0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    for (int round = 0; round < ROUNDS; round++) {
        int winners = 0;
        for (int t = 0; t < THREADS; t++) {
            if (g->result[round][t] == TK_OK)
                winners++;
            else
                assert_int_equal(g->result[round][t],
                                 TK_ERR_STORE_TOKEN_USED);
        }
        assert_int_equal(winners, 1);
    }
    assert_exchanges_once(ROUNDS);
    pthread_barrier_destroy(&g->start);
    tk_store_close(g->store);
    free(g);
}

/* Every thread records a QueryResponse of its own device that carries
 * the same self-authenticating token in each round. Only the primary key
 * of used_tokens stands between them (the devices' row locks do not), and
 * exactly one of them may commit. */
typedef struct used_race {
    tk_store *store;
    pthread_barrier_t start;
    int64_t device[THREADS];
    tk_err result[ROUNDS][THREADS];
} used_race;

typedef struct used_racer {
    used_race *race;
    int index;
} used_racer;

static void *run_used_racer(void *arg)
{
    used_racer *u = arg;
    used_race *g = u->race;
    for (int round = 0; round < ROUNDS; round++) {
        uint8_t digest[TK_STORE_DIGEST_LEN];
        memset(digest, (int)(round + 1), sizeof digest);
        char next[32];
        snprintf(next, sizeof next, "used-next-%04d-%02d", round, u->index);
        tk_store_attestation result = {.device_id = g->device[u->index],
                                       .verdict = TK_STORE_VERDICT_AFFIRMING};
        tk_store_session fresh = {.device_id = g->device[u->index],
                                  .state = 3, .expires = T0 + 3600};
        tk_store_exchange x = {
            .used_digest = {digest, sizeof digest},
            .used_expires = T0 + 3600, .device_id = g->device[u->index],
            .attestation = &result, .create = &fresh,
            .create_token = {(const uint8_t *)next, strlen(next)}};
        pthread_barrier_wait(&g->start);
        g->result[round][u->index] =
            tk_store_exchange_record(g->store, &x, NULL, NULL);
    }
    return NULL;
}

static void used_tokens_race(void **state)
{
    (void)state;
    backend_fresh();
    used_race *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->store = open_store();
    for (int t = 0; t < THREADS; t++) {
        char ueid[16];
        snprintf(ueid, sizeof ueid, "ueid-used-%02d", t);
        tk_store_device d = {.ueid = {(const uint8_t *)ueid, strlen(ueid)}};
        assert_int_equal(tk_store_device_add(g->store, &d, NULL,
                                             &g->device[t], NULL),
                         TK_OK);
    }
    pthread_barrier_init(&g->start, NULL, THREADS);
    pthread_t threads[THREADS];
    used_racer racers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        racers[t] = (used_racer){g, t};
        assert_int_equal(pthread_create(&threads[t], NULL, run_used_racer,
                                        &racers[t]),
                         0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    for (int round = 0; round < ROUNDS; round++) {
        int winners = 0;
        for (int t = 0; t < THREADS; t++) {
            if (g->result[round][t] == TK_OK)
                winners++;
            else
                assert_int_equal(g->result[round][t],
                                 TK_ERR_STORE_TOKEN_USED);
        }
        assert_int_equal(winners, 1);
    }
    static const char *const tables[] = {"used_tokens", "sessions",
                                         "attestation_results", "tokens"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[64];
        char text[16];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        backend_query_text(sql, text, sizeof text);
        assert_int_equal(atoi(text), ROUNDS);
    }
    pthread_barrier_destroy(&g->start);
    tk_store_close(g->store);
    free(g);
}

/* Each thread records the messages of its own device. Exchanges of
 * different devices touch the same tables and index pages but never the
 * same rows, so none of them may fail or even be retried. SQLite queues
 * them on the writer mutex. PostgreSQL runs them at READ COMMITTED behind
 * their device's row lock, because at SERIALIZABLE its predicate locks on
 * shared index pages make them fail to serialize. */
typedef struct devices_race {
    tk_store *store;
    pthread_barrier_t start;
    int64_t device[THREADS];
    int64_t session[THREADS];
    _Atomic int failures;
} devices_race;

typedef struct device_racer {
    devices_race *race;
    int index;
} device_racer;

static void *run_device_racer(void *arg)
{
    device_racer *d = arg;
    devices_race *g = d->race;
    int64_t device = g->device[d->index];
    int64_t session = g->session[d->index];
    pthread_barrier_wait(&g->start);
    for (int round = 0; round < ROUNDS; round++) {
        char token[32];
        char next[32];
        snprintf(token, sizeof token, "dev-%02d-token-%04d", d->index, round);
        snprintf(next, sizeof next, "dev-%02d-token-%04d", d->index,
                 round + 1);
        tk_view token_view = {(const uint8_t *)token, strlen(token)};
        tk_store_installed installed[] = {
            {.component_id = {(const uint8_t *)"tc-a", 4},
             .sequence = (uint64_t)round},
            {.component_id = {(const uint8_t *)"tc-b", 4}, .sequence = 1},
        };
        tk_store_report report = {.device_id = device, .session_id = session,
                                  .token = token_view,
                                  .report = {(const uint8_t *)"report", 6}};
        tk_store_audit audit = {.actor = "tam", .action = "update.success",
                                .object = token};
        tk_store_attestation result = {
            .device_id = device, .session_id = session,
            .verdict = TK_STORE_VERDICT_AFFIRMING};
        tk_store_session_change update = {
            .id = session, .expected_state = TK_STORE_ANY_STATE,
            .state = 2, .next_token = {(const uint8_t *)next, strlen(next)},
            .next_token_expires = T0 + 3600};
        tk_store_exchange x = {
            .token = token_view, .session_id = session, .device_id = device,
            .attestation = &result, .replace_installed = true,
            .installed = installed, .installed_count = 2,
            .reports = &report, .report_count = 1, .audit = &audit,
            .audit_count = 1, .update = &update};
        tk_store_detail detail;
        if (tk_store_exchange_record(g->store, &x, NULL, &detail) != TK_OK) {
            fprintf(stderr, "exchange: %s\n", detail.text);
            g->failures++;
        }
    }
    return NULL;
}

static void exchanges_of_many_devices(void **state)
{
    (void)state;
    backend_fresh();
    devices_race *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->store = open_store();
    for (int t = 0; t < THREADS; t++) {
        char ueid[32];
        char token[32];
        snprintf(ueid, sizeof ueid, "ueid-device-%02d", t);
        snprintf(token, sizeof token, "dev-%02d-token-%04d", t, 0);
        tk_store_device d = {.ueid = {(const uint8_t *)ueid, strlen(ueid)}};
        assert_int_equal(tk_store_device_add(g->store, &d, NULL,
                                             &g->device[t], NULL),
                         TK_OK);
        tk_store_session s = {.device_id = g->device[t], .state = 1,
                              .expires = T0 + 3600};
        assert_int_equal(tk_store_session_create(
                             g->store, &s,
                             (tk_view){(const uint8_t *)token, strlen(token)},
                             &g->session[t], NULL),
                         TK_OK);
    }
    pthread_barrier_init(&g->start, NULL, THREADS);
    pthread_t threads[THREADS];
    device_racer racers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        racers[t] = (device_racer){g, t};
        assert_int_equal(pthread_create(&threads[t], NULL, run_device_racer,
                                        &racers[t]),
                         0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    assert_int_equal(g->failures, 0);
    tk_store_op_stats stats;
    tk_store_op_stats_get(g->store, TK_STORE_OP_EXCHANGE, &stats);
    assert_int_equal(stats.calls, THREADS * ROUNDS);
    assert_int_equal(stats.errors, 0);
    assert_int_equal(stats.retries, 0);
    char count[16];
    backend_query_text("SELECT count(*) FROM installed", count, sizeof count);
    assert_int_equal(atoi(count), 2 * THREADS);
    backend_query_text("SELECT count(*) FROM reports", count, sizeof count);
    assert_int_equal(atoi(count), THREADS * ROUNDS);
    backend_query_text("SELECT count(*) FROM tokens WHERE consumed = false",
                       count, sizeof count);
    assert_int_equal(atoi(count), THREADS);
    pthread_barrier_destroy(&g->start);
    tk_store_close(g->store);
    free(g);
}

/* Writers of one process queue on the store's mutex (SQLite), so even
 * with a 1 ms busy timeout none of them meets a locked database. */
typedef struct writers {
    tk_store *store;
    pthread_barrier_t start;
    _Atomic int failures;
} writers;

static void *run_writer(void *arg)
{
    writers *w = arg;
    pthread_barrier_wait(&w->start);
    for (int i = 0; i < ROUNDS; i++) {
        tk_store_audit entry = {.actor = "race", .action = "write"};
        if (tk_store_audit_add(w->store, &entry, NULL, NULL) != TK_OK)
            w->failures++;
    }
    return NULL;
}

static void writers_queue(void **state)
{
    (void)state;
    /* PostgreSQL runs writers side by side; its serialization failures
     * are retried, which threads_race covers. */
    if (backend_is_pg())
        skip();
    backend_fresh();
    writers *w = calloc(1, sizeof *w);
    assert_non_null(w);
    tk_store_options o = race_options();
    o.busy_timeout_ms = 1;
    o.max_retries = 1;
    tk_store_detail detail;
    assert_int_equal(tk_store_open(backend_uri(), &o, &w->store, &detail),
                     TK_OK);
    pthread_barrier_init(&w->start, NULL, THREADS);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, run_writer, w), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    assert_int_equal(w->failures, 0);
    tk_store_op_stats stats;
    tk_store_op_stats_get(w->store, TK_STORE_OP_AUDIT_ADD, &stats);
    assert_int_equal(stats.calls, THREADS * ROUNDS);
    assert_int_equal(stats.errors, 0);
    assert_int_equal(stats.retries, 0);
    char count[16];
    backend_query_text("SELECT count(*) FROM audit_log", count, sizeof count);
    assert_int_equal(atoi(count), THREADS * ROUNDS);
    pthread_barrier_destroy(&w->start);
    tk_store_close(w->store);
    free(w);
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
    /* Race with whole exchanges instead of consume and insert calls. */
    bool exchanges;
    /* Numbers the new tokens of this process's exchanges. */
    _Atomic int racer;
} worker;

static void *run_worker_thread(void *arg)
{
    worker *w = arg;
    if (w->exchanges) {
        for (int i = 0; i < PROCESS_ITEMS; i++) {
            tk_err err = record_exchange(w->store, w->device, w->session,
                                         i, w->racer++);
            if (err == TK_OK)
                w->consumed[i]++;
            else if (err != TK_ERR_STORE_TOKEN_USED)
                w->failures++;
        }
        return NULL;
    }
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
                               int64_t session, bool exchanges, int process)
{
    static worker w;
    tk_store_options o = race_options();
    if (tk_store_open(backend_uri(), &o, &w.store, NULL) != TK_OK)
        _exit(2);
    w.device = device;
    w.session = session;
    w.exchanges = exchanges;
    /* Distinct token names in each process. */
    w.racer = process * 1000;
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

/* Two processes with PROCESS_THREADS threads each race on every token,
 * with single calls or with whole exchanges. */
static void race_processes(bool exchanges)
{
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
            run_worker_process(go[0], out[p][1], device, session, exchanges,
                               p);
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
        if (!exchanges)
            assert_int_equal(results[0][PROCESS_ITEMS + i] +
                                 results[1][PROCESS_ITEMS + i],
                             1);
    }
    if (exchanges) {
        assert_exchanges_once(PROCESS_ITEMS);
        return;
    }
    char count[16];
    backend_query_text("SELECT count(*) FROM reports", count, sizeof count);
    assert_int_equal(atoi(count), PROCESS_ITEMS);
    backend_query_text("SELECT count(*) FROM tokens WHERE consumed = true",
                       count, sizeof count);
    assert_int_equal(atoi(count), PROCESS_ITEMS);
}

static void processes_race(void **state)
{
    (void)state;
    race_processes(false);
}

static void processes_race_exchanges(void **state)
{
    (void)state;
    race_processes(true);
}

/* ---- Reads that share one transaction ---------------------------------- */

/* Adds a device and returns its id. */
static int64_t add_device(tk_store *store, const char *ueid)
{
    tk_store_device d = {.ueid = {(const uint8_t *)ueid, strlen(ueid)}};
    int64_t id;
    assert_int_equal(tk_store_device_add(store, &d, NULL, &id, NULL), TK_OK);
    return id;
}

static tk_err find_device(tk_store *store, const char *ueid)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    tk_err err = tk_store_device_find(
        store, (tk_view){(const uint8_t *)ueid, strlen(ueid)}, &mem, &d, NULL);
    tk_store_mem_free(&mem);
    return err;
}

/* Opens the backend with a pool of one connection, which a waiting
 * acquire gives up on after 300 ms. */
static tk_store *open_one_connection(void)
{
    tk_store_options o = race_options();
    o.pool_size = 1;
    o.acquire_timeout_ms = 300;
    tk_store *store = NULL;
    tk_store_detail detail;
    assert_int_equal(tk_store_open(backend_uri(), &o, &store, &detail),
                     TK_OK);
    return store;
}

/*
 * The reads between tk_store_shared_reads_begin() and _end() see one
 * snapshot; a failed read and a write each end it, and the write runs
 * although the pool's only connection carried the reads (it would wait
 * for that connection and time out otherwise). Devices that the other
 * handle adds show when a new snapshot began.
 */
static void shared_reads(void **state)
{
    (void)state;
    backend_fresh();
    tk_store *shared = open_one_connection();
    tk_store_detail detail;
    tk_store *other = open_store();
    add_device(other, "ueid-a");

    tk_store_shared_reads_end(shared); /* no sharing yet: nothing to do */
    tk_store_shared_reads_begin(shared);
    assert_int_equal(find_device(shared, "ueid-a"), TK_OK);
    add_device(other, "ueid-b");
    assert_int_equal(find_device(shared, "ueid-a"), TK_OK);
    /* Still the first snapshot, which that failure ends. */
    assert_int_equal(find_device(shared, "ueid-b"), TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(find_device(shared, "ueid-b"), TK_OK);

    /* The snapshot that the last read began. */
    add_device(other, "ueid-c");
    assert_int_equal(find_device(shared, "ueid-c"), TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(find_device(shared, "ueid-a"), TK_OK);
    tk_store_audit entry = {.actor = "race", .action = "write"};
    assert_int_equal(tk_store_audit_add(shared, &entry, NULL, &detail),
                     TK_OK);
    add_device(other, "ueid-e");
    /* The write ended the snapshot, so this read begins a new one. */
    assert_int_equal(find_device(shared, "ueid-e"), TK_OK);
    add_device(other, "ueid-f");
    assert_int_equal(find_device(shared, "ueid-f"), TK_ERR_STORE_NOT_FOUND);

    tk_store_shared_reads_end(shared);
    assert_int_equal(find_device(shared, "ueid-f"), TK_OK);
    add_device(other, "ueid-g");
    assert_int_equal(find_device(shared, "ueid-g"), TK_OK);

    tk_store_op_stats stats;
    tk_store_op_stats_get(shared, TK_STORE_OP_DEVICE_FIND, &stats);
    assert_int_equal(stats.calls, 10);
    assert_int_equal(stats.errors, 3);
    tk_store_op_stats_get(shared, TK_STORE_OP_AUDIT_ADD, &stats);
    assert_int_equal(stats.calls, 1);
    assert_int_equal(stats.errors, 0);
    tk_store_close(other);
    tk_store_close(shared);
}

/*
 * A write after shared reads takes over their transaction on SQLite when no
 * other writer committed since the reads began. When one did, the write
 * begins a transaction of its own without a retry. It then reads that
 * commit: the device that the other handle added after the snapshot.
 */
static void shared_reads_then_write(void **state)
{
    (void)state;
    backend_fresh();
    tk_store *shared = open_one_connection();
    tk_store_detail detail;
    tk_store *other = open_store();
    add_device(other, "ueid-a");
    tk_store_audit entry = {.actor = "race", .action = "after-reads"};

    /* No other writer committed in between. */
    tk_store_shared_reads_begin(shared);
    assert_int_equal(find_device(shared, "ueid-a"), TK_OK);
    assert_int_equal(tk_store_audit_add(shared, &entry, NULL, &detail),
                     TK_OK);
    tk_store_shared_reads_end(shared);

    /* The other handle commits after the snapshot began. */
    tk_store_shared_reads_begin(shared);
    assert_int_equal(find_device(shared, "ueid-a"), TK_OK);
    int64_t late = add_device(other, "ueid-late");
    /* Still the snapshot from before that device. */
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_devices devices;
    assert_int_equal(tk_store_device_list(shared, 0, -1, &page, &mem,
                                          &devices, &detail),
                     TK_OK);
    assert_int_equal(devices.count, 1);
    tk_store_mem_free(&mem);
    tk_store_installed item = {.device_id = late,
                               .component_id = {(const uint8_t *)"c", 1},
                               .sequence = 1,
                               .reported = T0};
    assert_int_equal(tk_store_installed_replace(shared, late, &item, 1,
                                                &detail),
                     TK_OK);
    assert_int_equal(tk_store_audit_add(shared, &entry, NULL, &detail),
                     TK_OK);
    tk_store_shared_reads_end(shared);

    char count[16];
    backend_query_text("SELECT count(*) FROM audit_log WHERE action = "
                       "'after-reads'",
                       count, sizeof count);
    assert_int_equal(atoi(count), 2);
    backend_query_text("SELECT count(*) FROM installed", count,
                       sizeof count);
    assert_int_equal(atoi(count), 1);
    tk_store_op_stats stats;
    tk_store_op_stats_get(shared, TK_STORE_OP_INSTALLED_REPLACE, &stats);
    assert_int_equal(stats.calls, 1);
    assert_int_equal(stats.errors, 0);
    assert_int_equal(stats.retries, 0);
    tk_store_op_stats_get(shared, TK_STORE_OP_AUDIT_ADD, &stats);
    assert_int_equal(stats.retries, 0);
    tk_store_close(other);
    tk_store_close(shared);
}

/* A thread that shares reads on one handle while another thread reads
 * and writes through the same handle: neither waits for the other's
 * connection longer than a call. */
typedef struct shared_pair {
    tk_store *store;
    pthread_barrier_t start;
    _Atomic int failures;
} shared_pair;

static void *run_sharer(void *arg)
{
    shared_pair *p = arg;
    pthread_barrier_wait(&p->start);
    for (int i = 0; i < ROUNDS; i++) {
        tk_store_shared_reads_begin(p->store);
        tk_store_audit entry = {.actor = "race", .action = "share"};
        if (find_device(p->store, "ueid-a") != TK_OK ||
            find_device(p->store, "ueid-a") != TK_OK ||
            tk_store_audit_add(p->store, &entry, NULL, NULL) != TK_OK ||
            find_device(p->store, "ueid-a") != TK_OK)
            p->failures++;
        tk_store_shared_reads_end(p->store);
    }
    return NULL;
}

static void shared_reads_threads(void **state)
{
    (void)state;
    backend_fresh();
    shared_pair *p = calloc(1, sizeof *p);
    assert_non_null(p);
    tk_store_options o = race_options();
    o.pool_size = 2;
    tk_store_detail detail;
    assert_int_equal(tk_store_open(backend_uri(), &o, &p->store, &detail),
                     TK_OK);
    add_device(p->store, "ueid-a");
    pthread_barrier_init(&p->start, NULL, THREADS);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, run_sharer, p), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    assert_int_equal(p->failures, 0);
    char count[16];
    backend_query_text("SELECT count(*) FROM audit_log WHERE action = "
                       "'share'",
                       count, sizeof count);
    assert_int_equal(atoi(count), THREADS * ROUNDS);
    pthread_barrier_destroy(&p->start);
    tk_store_close(p->store);
    free(p);
}

int main(int argc, char **argv)
{
    backend_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_race),
        cmocka_unit_test(uploads_race),
        cmocka_unit_test(processes_race),
        cmocka_unit_test(exchanges_race),
        cmocka_unit_test(used_tokens_race),
        cmocka_unit_test(processes_race_exchanges),
        cmocka_unit_test(writers_queue),
        cmocka_unit_test(exchanges_of_many_devices),
        cmocka_unit_test(shared_reads),
        cmocka_unit_test(shared_reads_then_write),
        cmocka_unit_test(shared_reads_threads),
    };
    const char *group = backend_is_pg() ? "store_race_postgresql"
                                        : "store_race_sqlite";
    int failed = _cmocka_run_group_tests(group, tests,
                                         sizeof tests / sizeof tests[0], NULL,
                                         NULL);
    backend_cleanup();
    return failed;
}
