/*
 * Load test of one TAM process (`teepkit tam serve` on an SQLite file) on
 * 127.0.0.1, with the agents in this process.
 *
 *   load_tam --cli TEEPKIT --work DIR [--sessions N] [--agents N]
 *            [--bad-every N] [--warmup N] [--rss-growth-max KIB]
 *
 * The driver creates the TAM's keys and store in DIR (which must not
 * exist), registers one component and N devices, starts `TEEPKIT tam
 * serve` as a child process and runs the sessions from N agent threads.
 * Each agent is a lib/teep agent state machine with its own libcurl
 * client. A good session is a full install: empty POST, QueryRequest,
 * QueryResponse with EAT evidence, Update with one SUIT envelope,
 * Success with its SUIT report, 204. Every bad-every-th session is bad
 * instead, one message of one of five kinds, in turn: bytes that are not
 * COSE, a truncated QueryResponse, a QueryResponse whose signature does
 * not verify, and a replay of the agent's last QueryResponse or Success.
 *
 * A sampler thread reads the TAM's resident set size from
 * /proc/PID/status every 100 ms. After the run the driver stops the TAM,
 * reads its counters from the log and counts the store's rows. It prints
 * "key value" lines and exits with 1 when any check fails:
 *
 *   - every good session completes, every bad message gets its status
 *     (400, 403 or 409) and is counted by the TAM as rejected;
 *   - the store contains one SUIT report, one update.success audit entry and
 *     one affirming attestation result per good session, no more;
 *   - the TAM's RSS after the warm-up sessions grows by less than
 *     --rss-growth-max KiB.
 *
 * bench/load/run.sh runs it; docs/benchmarks.md ("Load") has the figures.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"
#include "sim_agent.h"
#include "store.h"
#include "tam.h"
#include "teepkit/teep.h"

extern char **environ;

#define MAX_AGENTS 256
#define MESSAGE_MAX (64 * 1024)
#define MAX_SAMPLES 100000
#define PATH_MAX_LEN 512

/* Kinds of bad sessions, used in turn. */
enum bad_kind {
    BAD_NOT_COSE,
    BAD_TRUNCATED,
    BAD_SIGNATURE,
    BAD_REPLAY_QUERY_RESPONSE,
    BAD_REPLAY_SUCCESS,
    BAD_KINDS
};

static const char *const bad_names[BAD_KINDS] = {
    "not_cose", "truncated", "signature", "replayed_query_response",
    "replayed_success"};

/* HTTP status each bad kind must get (docs/tam.md, "HTTP statuses"). */
static const unsigned bad_status[BAD_KINDS] = {400, 400, 403, 409, 409};

typedef struct options {
    const char *cli;
    const char *work;
    size_t sessions;
    unsigned agents;
    unsigned bad_every;
    size_t warmup;
    long rss_growth_max_kib;
    size_t payload;
} options;

static options opt = {NULL, NULL, 1000, 50, 10, 100, 16 * 1024, 1024};

static const tk_crypto *crypto;
static char url[64];
static sim_tam_keys tam_keys;

/* Shared progress. */
static _Atomic size_t next_session;
static _Atomic size_t completed;
static _Atomic size_t good_done;
static _Atomic size_t good_failed;
static _Atomic size_t bad_sent[BAD_KINDS];
static _Atomic size_t bad_refused[BAD_KINDS];
static _Atomic size_t bad_wrong[BAD_KINDS];
static _Atomic size_t sessions_started_bad;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("load_tam: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void path_in_work(char *out, const char *name)
{
    snprintf(out, PATH_MAX_LEN, "%s/%s", opt.work, name);
}

/* ---- Store setup -------------------------------------------------------- */

static tk_key author;
static int64_t class_id;

/* Stores the component every agent installs: ['load', 'app'] with an
 * integrated payload of opt.payload bytes, and a class policy for it. */
static void add_component(tk_store *store)
{
    uint8_t kid[TK_COSE_THUMBPRINT_SIZE];
    if (sim_new_key(crypto, &author, kid) != TK_OK)
        die("cannot generate the component signer key");
    tk_view segments[2] = {{(const uint8_t *)"load", 4},
                           {(const uint8_t *)"app", 3}};
    sim_upload up = {.id = segments,
                     .id_count = 2,
                     .sequence = 1,
                     .payload = opt.payload,
                     .name = "app",
                     .actor = "load",
                     .signer = &author};
    int64_t component = 0;
    char msg[256];
    if (sim_upload_component(store, crypto, &up, &component, msg,
                             sizeof(msg)) != TK_OK)
        die("%s", msg);
    if (sim_add_install_class(store, "load", component, "load", &class_id,
                              NULL) != TK_OK)
        die("cannot add the device class and its policy");
}

/* ---- Agents ------------------------------------------------------------- */

typedef struct agent {
    sim_agent sim;
    unsigned index;
    uint8_t out[MESSAGE_MAX];
    /* The QueryResponse and Success of the last good session, replayed
     * by the bad sessions of this agent. */
    uint8_t last_query_response[MESSAGE_MAX];
    size_t last_query_response_len;
    uint8_t last_success[MESSAGE_MAX];
    size_t last_success_len;
    tk_http_client *client;
} agent;

static const uint8_t hwmodel[] = "load-model";

/* The encoded id ['load', 'app'] that the agents record. They accept the
 * manifest without installing anything, because the test loads the TAM
 * and not the devices. Their report carries the manifest's digest, so the
 * TAM matches the report to the manifest that it sent. */
static const uint8_t component_id[] = {0x82, 0x44, 'l', 'o', 'a',
                                       'd',  0x43, 'a', 'p', 'p'};

static void agent_setup(tk_store *store, agent *a, unsigned index)
{
    sim_agent_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.tam = &tam_keys;
    cfg.hwmodel = (tk_view){hwmodel, sizeof(hwmodel) - 1};
    cfg.component = (tk_view){component_id, sizeof(component_id)};
    cfg.sequence = 1;
    uint8_t ueid[SIM_UEID_LEN];
    ueid[0] = 0x01; /* RAND type, RFC 9711 section 4.2.1 */
    for (size_t i = 1; i < sizeof(ueid); i++)
        ueid[i] = (uint8_t)(index * 37 + i * 11);
    memset(a, 0, sizeof(*a));
    a->index = index;
    if (sim_agent_init(&a->sim, &cfg, ueid) != TK_OK)
        die("key generation failed");
    tk_store_detail detail = {{0}};
    if (sim_agent_register(&a->sim, store, class_id, "load", NULL, &detail) !=
        TK_OK)
        die("cannot add device %u: %s", index, detail.text);
}

/* POSTs body; returns the HTTP status (0 when no reply came) and the
 * reply in *reply. */
static unsigned post(agent *a, const uint8_t *body, size_t len,
                     tk_net_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    tk_err err = tk_http_client_post(a->client, url, body, len, reply);
    if (err != TK_OK && reply->status == 0)
        return 0;
    return reply->status;
}

/* Starts a session and builds the QueryResponse into a->out; returns its
 * length, or 0 on failure. */
static size_t start_session(agent *a)
{
    tk_net_reply reply;
    if (post(a, NULL, 0, &reply) != 200)
        return 0;
    tk_teep_agent_result res;
    sim_agent_forget(&a->sim);
    tk_err err = tk_teep_agent_handle(&a->sim.machine, &a->sim.state,
                                      reply.body, a->out, sizeof(a->out), &res);
    if (err != TK_OK || res.sent_type != TK_TEEP_QUERY_RESPONSE)
        return 0;
    return res.out_len;
}

static void keep(uint8_t *dst, size_t *dst_len, const uint8_t *src,
                 size_t len)
{
    memcpy(dst, src, len);
    *dst_len = len;
}

/* Runs a full install; true when it ended with 204 after a Success that
 * applied the one manifest of the Update. */
static bool run_good(agent *a)
{
    size_t len = start_session(a);
    if (len == 0)
        return false;
    uint8_t query_response[MESSAGE_MAX];
    keep(query_response, &len, a->out, len);
    tk_net_reply reply;
    if (post(a, query_response, len, &reply) != 200)
        return false;
    tk_teep_agent_result res;
    tk_err err = tk_teep_agent_handle(&a->sim.machine, &a->sim.state,
                                      reply.body, a->out, sizeof(a->out), &res);
    if (err != TK_OK || res.sent_type != TK_TEEP_SUCCESS ||
        a->sim.accepted != 1)
        return false;
    size_t success_len = res.out_len;
    uint8_t success[MESSAGE_MAX];
    keep(success, &success_len, a->out, success_len);
    if (post(a, success, success_len, &reply) != 204)
        return false;
    keep(a->last_query_response, &a->last_query_response_len,
         query_response, len);
    keep(a->last_success, &a->last_success_len, success, success_len);
    return true;
}

/* Sends one bad message of kind; returns the HTTP status it got. */
static unsigned run_bad(agent *a, enum bad_kind kind, unsigned *seed)
{
    tk_net_reply reply;
    uint8_t junk[200];
    size_t len;
    switch (kind) {
    case BAD_NOT_COSE:
        for (size_t i = 0; i < sizeof(junk); i++)
            junk[i] = (uint8_t)rand_r(seed);
        junk[0] = 0x40; /* a byte string, never a COSE structure */
        return post(a, junk, sizeof(junk), &reply);
    case BAD_TRUNCATED:
    case BAD_SIGNATURE:
        atomic_fetch_add(&sessions_started_bad, 1);
        len = start_session(a);
        if (len == 0)
            return 0;
        if (kind == BAD_TRUNCATED)
            len /= 2;
        else
            a->out[len - 1] ^= 0x01; /* last byte of the signature */
        return post(a, a->out, len, &reply);
    case BAD_REPLAY_QUERY_RESPONSE:
        return post(a, a->last_query_response, a->last_query_response_len,
                    &reply);
    case BAD_REPLAY_SUCCESS:
        return post(a, a->last_success, a->last_success_len, &reply);
    default:
        return 0;
    }
}

static void *agent_thread(void *arg)
{
    agent *a = arg;
    tk_http_client_config cfg;
    tk_http_client_config_init(&cfg);
    cfg.log_name = "load-agent";
    if (tk_http_client_new(&cfg, &a->client) != TK_OK)
        die("cannot create an HTTP client");
    unsigned seed = a->index + 1;
    for (;;) {
        size_t n = atomic_fetch_add(&next_session, 1);
        if (n >= opt.sessions)
            break;
        bool bad = opt.bad_every > 0 && n % opt.bad_every ==
                                            opt.bad_every - 1;
        /* A replay needs an earlier good session of this agent. */
        enum bad_kind kind = (enum bad_kind)((n / opt.bad_every) % BAD_KINDS);
        if (bad && a->last_success_len == 0 &&
            (kind == BAD_REPLAY_QUERY_RESPONSE || kind == BAD_REPLAY_SUCCESS))
            kind = BAD_NOT_COSE;
        if (bad) {
            atomic_fetch_add(&bad_sent[kind], 1);
            unsigned status = run_bad(a, kind, &seed);
            if (status == bad_status[kind])
                atomic_fetch_add(&bad_refused[kind], 1);
            else
                atomic_fetch_add(&bad_wrong[kind], 1);
        } else if (run_good(a)) {
            atomic_fetch_add(&good_done, 1);
        } else {
            atomic_fetch_add(&good_failed, 1);
        }
        atomic_fetch_add(&completed, 1);
    }
    tk_http_client_free(a->client);
    return NULL;
}

/* ---- The TAM process and its memory ------------------------------------- */

static pid_t tam_pid;

static void start_tam(void)
{
    char db[PATH_MAX_LEN], keys[PATH_MAX_LEN], port_file[PATH_MAX_LEN];
    char log[PATH_MAX_LEN];
    path_in_work(db, "tam.db");
    path_in_work(keys, "keys");
    path_in_work(port_file, "tam.port");
    path_in_work(log, "tam.log");
    char *argv[] = {(char *)opt.cli, "tam", "serve", "--db", db,
                    "--key-dir", keys, "--listen", "127.0.0.1:0",
                    "--port-file", port_file, NULL};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int err = posix_spawn(&tam_pid, opt.cli, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0)
        die("cannot start %s: %s", opt.cli, strerror(err));
    for (int i = 0; i < 600; i++) {
        FILE *f = fopen(port_file, "r");
        unsigned port = 0;
        if (f != NULL) {
            int n = fscanf(f, "%u", &port);
            fclose(f);
            if (n == 1 && port > 0) {
                snprintf(url, sizeof(url), "http://127.0.0.1:%u/tam", port);
                return;
            }
        }
        int status;
        if (waitpid(tam_pid, &status, WNOHANG) == tam_pid)
            die("the TAM exited at start; see %s", log);
        usleep(100 * 1000);
    }
    die("the TAM did not write its port within 60 s");
}

/* Stops the TAM with SIGTERM; returns its exit status or -1. */
static int stop_tam(void)
{
    int status = 0;
    kill(tam_pid, SIGTERM);
    if (waitpid(tam_pid, &status, 0) != tam_pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static long rss_kib(pid_t pid)
{
    char path[64];
    char line[256];
    long kib = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

typedef struct rss_sample {
    size_t completed; /* sessions completed when it was taken */
    long kib;
} rss_sample;

static rss_sample *samples;
static _Atomic size_t sample_count;
static atomic_bool sampling;

static void *sampler_thread(void *arg)
{
    (void)arg;
    while (atomic_load(&sampling)) {
        size_t i = atomic_load(&sample_count);
        long kib = rss_kib(tam_pid);
        if (i < MAX_SAMPLES && kib > 0) {
            samples[i] = (rss_sample){atomic_load(&completed), kib};
            atomic_store(&sample_count, i + 1);
        }
        usleep(100 * 1000);
    }
    return NULL;
}

/* ---- Results ------------------------------------------------------------ */

static int failures;

static void check(bool ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void check(bool ok, const char *fmt, ...)
{
    if (ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("CHECK FAILED: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    failures++;
}

static long long count_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

/* Reads the counters of the TAM's "stopped:" log line and the number of
 * "message rejected" lines. */
static void read_tam_log(unsigned long long *rejected,
                         unsigned long long *errors, size_t *rejected_lines)
{
    char log[PATH_MAX_LEN];
    path_in_work(log, "tam.log");
    FILE *f = fopen(log, "r");
    char line[4096];
    *rejected = *errors = ~0ull;
    *rejected_lines = 0;
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *stopped = strstr(line, "tam: stopped:");
        const char *r = stopped != NULL ? strstr(stopped, "rejected=") : NULL;
        const char *e = stopped != NULL ? strstr(stopped, " errors=") : NULL;
        if (r != NULL)
            *rejected = strtoull(r + 9, NULL, 10);
        if (e != NULL)
            *errors = strtoull(e + 8, NULL, 10);
        if (strstr(line, "message rejected:") != NULL)
            (*rejected_lines)++;
    }
    fclose(f);
}

static void report_store(size_t good, size_t bad_starts)
{
    char path[PATH_MAX_LEN];
    path_in_work(path, "tam.db");
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("cannot open %s", path);
    long long reports = count_rows(db, "SELECT count(*) FROM reports");
    long long failed_reports =
        count_rows(db, "SELECT count(*) FROM reports WHERE result != 0");
    long long successes = count_rows(
        db, "SELECT count(*) FROM audit_log WHERE action = 'update.success'");
    long long attestations =
        count_rows(db, "SELECT count(*) FROM attestation_results");
    long long affirming = count_rows(
        db, "SELECT count(*) FROM attestation_results WHERE verdict = 1");
    long long sessions = count_rows(db, "SELECT count(*) FROM sessions");
    long long twice = count_rows(
        db, "SELECT count(*) FROM (SELECT 1 FROM reports GROUP BY "
            "session_id, item HAVING count(*) > 1)");
    sqlite3_close(db);
    printf("store_reports %lld\n", reports);
    printf("store_update_success_audit %lld\n", successes);
    printf("store_attestation_results %lld\n", attestations);
    printf("store_sessions %lld\n", sessions);
    check(reports == (long long)good, "reports: %lld stored, %zu sessions",
          reports, good);
    check(failed_reports == 0, "failed reports: %lld", failed_reports);
    check(twice == 0, "reports stored twice: %lld", twice);
    check(successes == (long long)good,
          "update.success audit entries: %lld, %zu sessions", successes,
          good);
    check(attestations == (long long)good && affirming == attestations,
          "attestation results: %lld (%lld affirming), %zu sessions",
          attestations, affirming, good);
    /* An empty POST stores nothing: its token authenticates itself, and
     * a session row is written with the first accepted QueryResponse.
     * So the sessions that a bad message started leave no row. */
    printf("bad_session_starts %zu\n", bad_starts);
    check(sessions == (long long)good, "store sessions: %lld, expected %zu",
          sessions, good);
}

/* Writes every RSS sample to WORK/rss.csv, for plots. */
static void write_rss_csv(size_t n)
{
    char path[PATH_MAX_LEN];
    path_in_work(path, "rss.csv");
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    fprintf(f, "sessions_completed,rss_kib\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%zu,%ld\n", samples[i].completed, samples[i].kib);
    fclose(f);
}

/* Prints the RSS figures; checks the growth after the warm-up. */
static void report_rss(void)
{
    size_t n = atomic_load(&sample_count);
    write_rss_csv(n);
    long first = -1, warm = -1, peak_after = -1, last = -1;
    for (size_t i = 0; i < n; i++) {
        if (first < 0)
            first = samples[i].kib;
        if (samples[i].completed >= opt.warmup) {
            if (warm < 0)
                warm = samples[i].kib;
            if (samples[i].kib > peak_after)
                peak_after = samples[i].kib;
        }
        last = samples[i].kib;
    }
    printf("rss_samples %zu\n", n);
    printf("rss_start_kib %ld\n", first);
    printf("rss_after_warmup_kib %ld\n", warm);
    printf("rss_peak_after_warmup_kib %ld\n", peak_after);
    printf("rss_end_kib %ld\n", last);
    printf("rss_growth_after_warmup_kib %ld\n", peak_after - warm);
    check(warm > 0 && n >= 5, "too few RSS samples after the warm-up (%zu)",
          n);
    check(peak_after - warm < opt.rss_growth_max_kib,
          "TAM RSS grew by %ld KiB after the warm-up (bound %ld KiB)",
          peak_after - warm, opt.rss_growth_max_kib);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: load_tam --cli TEEPKIT --work DIR [--sessions N] "
            "[--agents N] [--bad-every N] [--warmup N] "
            "[--rss-growth-max KIB]\n");
    exit(2);
}

static void parse_options(int argc, char **argv)
{
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage();
        const char *name = argv[i];
        const char *value = argv[i + 1];
        if (strcmp(name, "--cli") == 0)
            opt.cli = value;
        else if (strcmp(name, "--work") == 0)
            opt.work = value;
        else if (strcmp(name, "--sessions") == 0)
            opt.sessions = strtoul(value, NULL, 10);
        else if (strcmp(name, "--agents") == 0)
            opt.agents = (unsigned)strtoul(value, NULL, 10);
        else if (strcmp(name, "--bad-every") == 0)
            opt.bad_every = (unsigned)strtoul(value, NULL, 10);
        else if (strcmp(name, "--warmup") == 0)
            opt.warmup = strtoul(value, NULL, 10);
        else if (strcmp(name, "--rss-growth-max") == 0)
            opt.rss_growth_max_kib = strtol(value, NULL, 10);
        else
            usage();
    }
    if (opt.cli == NULL || opt.work == NULL || opt.sessions == 0 ||
        opt.agents == 0 || opt.agents > MAX_AGENTS ||
        opt.warmup >= opt.sessions)
        usage();
}

int main(int argc, char **argv)
{
    parse_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    /* The agents' clients would log every refused bad message. */
    tk_log_set_level(TK_LOG_ERROR);
    crypto = tk_crypto_openssl();
    if (crypto == NULL)
        die("the OpenSSL backend failed to start");
    if (mkdir(opt.work, 0700) != 0)
        die("cannot create %s: %s (it must not exist)", opt.work,
            strerror(errno));

    char keys[PATH_MAX_LEN], db[PATH_MAX_LEN], msg[512];
    path_in_work(keys, "keys");
    path_in_work(db, "tam.db");
    bool created = false;
    if (tk_tam_keys_create(crypto, keys, &created, msg, sizeof(msg)) != TK_OK)
        die("%s", msg);
    if (sim_tam_keys_load(&tam_keys, crypto, keys, msg, sizeof(msg)) != TK_OK)
        die("%s", msg);
    tk_store *store = NULL;
    tk_store_detail detail = {{0}};
    if (tk_store_open(db, NULL, &store, &detail) != TK_OK)
        die("cannot create the store: %s", detail.text);
    add_component(store);
    agent *agents = calloc(opt.agents, sizeof(agent));
    samples = calloc(MAX_SAMPLES, sizeof(rss_sample));
    if (agents == NULL || samples == NULL)
        die("out of memory");
    for (unsigned i = 0; i < opt.agents; i++)
        agent_setup(store, &agents[i], i);
    tk_store_close(store);

    start_tam();
    atomic_store(&sampling, true);
    pthread_t sampler;
    pthread_t threads[MAX_AGENTS];
    if (pthread_create(&sampler, NULL, sampler_thread, NULL) != 0)
        die("cannot start the sampler");
    uint64_t t0 = mono_ns();
    for (unsigned i = 0; i < opt.agents; i++)
        if (pthread_create(&threads[i], NULL, agent_thread, &agents[i]) != 0)
            die("cannot start agent thread %u", i);
    for (unsigned i = 0; i < opt.agents; i++)
        pthread_join(threads[i], NULL);
    double seconds = (double)(mono_ns() - t0) / 1e9;
    usleep(300 * 1000); /* one more RSS sample after the last session */
    atomic_store(&sampling, false);
    pthread_join(sampler, NULL);
    int tam_status = stop_tam();

    size_t good = atomic_load(&good_done);
    size_t bad_total = 0, refused_total = 0;
    printf("sessions %zu\n", opt.sessions);
    printf("agents %u\n", opt.agents);
    printf("seconds %.1f\n", seconds);
    printf("sessions_per_s %.1f\n", (double)opt.sessions / seconds);
    printf("good_completed %zu\n", good);
    printf("good_failed %zu\n", atomic_load(&good_failed));
    for (int k = 0; k < BAD_KINDS; k++) {
        size_t sent = atomic_load(&bad_sent[k]);
        size_t refused = atomic_load(&bad_refused[k]);
        bad_total += sent;
        refused_total += refused;
        printf("bad_%s %zu refused %zu with %u\n", bad_names[k], sent,
               refused, bad_status[k]);
        check(refused == sent, "bad %s: %zu of %zu got status %u",
              bad_names[k], refused, sent, bad_status[k]);
    }
    printf("bad_total %zu\n", bad_total);
    check(atomic_load(&good_failed) == 0, "good sessions failed: %zu",
          atomic_load(&good_failed));
    check(good + bad_total == opt.sessions, "sessions accounted: %zu of %zu",
          good + bad_total, opt.sessions);
    check(tam_status == 0, "TAM exit status %d", tam_status);

    unsigned long long rejected, errors;
    size_t rejected_lines;
    read_tam_log(&rejected, &errors, &rejected_lines);
    printf("tam_rejected %llu\n", rejected);
    printf("tam_internal_errors %llu\n", errors);
    printf("tam_rejected_log_lines %zu\n", rejected_lines);
    check(rejected == refused_total, "TAM rejected counter %llu, %zu bad",
          rejected, refused_total);
    check(rejected_lines == refused_total, "rejection log lines %zu, %zu bad",
          rejected_lines, refused_total);
    check(errors == 0, "TAM internal errors: %llu", errors);
    report_store(good, atomic_load(&sessions_started_bad));
    report_rss();
    printf("result %s\n", failures == 0 ? "pass" : "FAIL");
    for (unsigned i = 0; i < opt.agents; i++)
        sim_agent_release(&agents[i].sim);
    tk_key_release(&author);
    sim_tam_keys_release(&tam_keys);
    free(samples);
    free(agents);
    return failures == 0 ? 0 : 1;
}
