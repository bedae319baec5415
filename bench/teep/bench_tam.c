/*
 * TEEP sessions per second against one TAM (apps/tam) on loopback.
 *
 *   bench_tam [--agents N] [--sessions N] [--threads N] [--payload BYTES]
 *             [--dir DIR] [--sync full|normal]
 *       serves the TAM over HTTP on 127.0.0.1 and runs N agent threads.
 *       Each is an in-process lib/teep agent state machine with its own
 *       libcurl client, and runs full install sessions: empty POST,
 *       QueryRequest, QueryResponse with EAT evidence, Update with one
 *       SUIT manifest, Success, 204. Prints sessions/s, session latency
 *       p50/p99, and the TAM's CPU time per session split into signature
 *       work, other crypto, store, TEEP/CBOR/policy and HTTP. These are
 *       thread CPU times, so waits for a core, a lock or the disk are not
 *       counted, and the store's wall time is printed too. The SQLite
 *       store goes in a new folder under DIR (default /tmp) with the
 *       durability of --sync (the TAM's store_sync, default full);
 *       /dev/shm leaves out the disk's fsync time. BENCH_TAM_STORE_OPS=1
 *       adds one line per store operation: calls per session, mean wall
 *       and CPU time in µs.
 *   bench_tam --once N
 *       runs N sessions in-process (no HTTP) in one thread inside
 *       run_once(), for callgrind --toggle-collect=tk_tam_handle.
 *
 * The agents forget what they installed after each session, so every
 * session is an install. The agents' own crypto runs on the same cores
 * but outside the TAM's accounts: the TAM's CPU time is the process's
 * minus the agent threads'.
 *
 * bench/teep/run_sessions.sh runs both modes and prints the table of
 * docs/benchmarks.md.
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"
#include "http_server.h"
#include "sim_agent.h"
#include "store.h"
#include "tam.h"
#include "teepkit/teep.h"

#define MAX_AGENTS 64
#define MESSAGE_MAX (64 * 1024)
#define MAX_SAMPLES 200000

static void die(const char *what)
{
    fprintf(stderr, "bench_tam: %s\n", what);
    exit(1);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t process_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Timed crypto of the TAM --------------------------------------------- */

/* CPU time of the TAM's signing and verification calls (the calling
 * thread's, so a thread that loses its core in a call is not charged for
 * the wait), and the wall time of its other crypto calls, in ns. Reading
 * the thread's CPU clock is a system call (1.4 us on the test machine).
 * That is longer than a hash of a token or a draw of 16 random bytes, so
 * these short calls, which never wait, are timed with CLOCK_MONOTONIC
 * (vDSO, 40 ns). With the CPU clock, their timer calls added about 25 us
 * per session to the work around them. */
static _Atomic uint64_t t_sign;
static _Atomic uint64_t t_verify;
static _Atomic uint64_t t_other;
static _Atomic uint64_t n_sign;
static _Atomic uint64_t n_verify;
static const tk_crypto *real;
static tk_crypto timed;

static tk_err bench_crypto_sign(void *ctx, tk_alg alg, const tk_key *key,
                                const tk_view *parts, size_t nparts,
                                uint8_t *sig, size_t cap, size_t *len)
{
    uint64_t t0 = thread_cpu_ns();
    tk_err err = real->sign(ctx, alg, key, parts, nparts, sig, cap, len);
    atomic_fetch_add(&t_sign, thread_cpu_ns() - t0);
    atomic_fetch_add(&n_sign, 1);
    return err;
}

static tk_err bench_crypto_verify(void *ctx, tk_alg alg, const tk_key *key,
                                  const tk_view *parts, size_t nparts,
                                  tk_view sig)
{
    uint64_t t0 = thread_cpu_ns();
    tk_err err = real->verify(ctx, alg, key, parts, nparts, sig);
    atomic_fetch_add(&t_verify, thread_cpu_ns() - t0);
    atomic_fetch_add(&n_verify, 1);
    return err;
}

static tk_err bench_crypto_hash(void *ctx, tk_alg alg, const tk_view *parts,
                                size_t nparts, uint8_t *digest, size_t cap,
                                size_t *len)
{
    uint64_t t0 = mono_ns();
    tk_err err = real->hash(ctx, alg, parts, nparts, digest, cap, len);
    atomic_fetch_add(&t_other, mono_ns() - t0);
    return err;
}

static tk_err bench_crypto_mac(void *ctx, tk_alg alg, const tk_key *key,
                               const tk_view *parts, size_t nparts,
                               uint8_t *tag, size_t cap, size_t *len)
{
    uint64_t t0 = mono_ns();
    tk_err err = real->mac(ctx, alg, key, parts, nparts, tag, cap, len);
    atomic_fetch_add(&t_other, mono_ns() - t0);
    return err;
}

static tk_err bench_crypto_random(void *ctx, uint8_t *out, size_t len)
{
    uint64_t t0 = mono_ns();
    tk_err err = real->random(ctx, out, len);
    atomic_fetch_add(&t_other, mono_ns() - t0);
    return err;
}

static tk_err bench_crypto_key_import(void *ctx, const tk_key_params *params,
                                      tk_key *key)
{
    uint64_t t0 = mono_ns();
    tk_err err = real->key_import(ctx, params, key);
    atomic_fetch_add(&t_other, mono_ns() - t0);
    return err;
}

static void timed_crypto_init(void)
{
    real = tk_crypto_openssl();
    if (real == NULL)
        die("the OpenSSL backend failed to start");
    timed = *real;
    timed.sign = bench_crypto_sign;
    timed.verify = bench_crypto_verify;
    timed.hash = bench_crypto_hash;
    timed.mac = bench_crypto_mac;
    timed.random = bench_crypto_random;
    timed.key_import = bench_crypto_key_import;
}

/* ---- Store and handler accounts ----------------------------------------- */

static _Atomic uint64_t t_store;
static _Atomic uint64_t t_store_cpu;
static _Atomic uint64_t n_store;
static _Atomic uint64_t t_handler_cpu;
static _Atomic uint64_t n_requests;
static _Atomic uint64_t n_errors;

/* Thread CPU time when this thread last read the clock. The store reads
 * the clock at the start of each transaction attempt, once it has a
 * connection and (SQLite) the writer mutex. It calls observe_store() at
 * the end of the operation, so the difference is the CPU time of the
 * transaction without the waits. */
static _Thread_local uint64_t clock_mark;

/* CPU time of each store operation, for BENCH_TAM_STORE_OPS. */
static _Atomic uint64_t t_op_cpu[TK_STORE_OP_COUNT];

static int64_t bench_clock(void *ctx)
{
    (void)ctx;
    clock_mark = thread_cpu_ns();
    return (int64_t)time(NULL);
}

static void observe_store(void *ctx, tk_store_op op, tk_err err,
                          uint64_t elapsed_ns)
{
    (void)ctx;
    (void)err;
    atomic_fetch_add(&t_store, elapsed_ns);
    uint64_t cpu = thread_cpu_ns() - clock_mark;
    atomic_fetch_add(&t_store_cpu, cpu);
    if ((unsigned)op < TK_STORE_OP_COUNT)
        atomic_fetch_add(&t_op_cpu[op], cpu);
    atomic_fetch_add(&n_store, 1);
}

static tk_tam *tam;

/* The TEEP route: tk_tam_handle() with its thread CPU time counted. */
static tk_err timed_handle(void *ctx, const tk_net_request *req,
                           tk_net_response *resp)
{
    uint64_t t0 = thread_cpu_ns();
    tk_err err = tk_tam_handle(ctx, req, resp);
    atomic_fetch_add(&t_handler_cpu, thread_cpu_ns() - t0);
    atomic_fetch_add(&n_requests, 1);
    if (resp->status >= 300)
        atomic_fetch_add(&n_errors, 1);
    return err;
}

/* Replies of the HTTP-only mode: the sizes of a QueryRequest and of an
 * Update with the benchmark's envelope. */
#define NULL_QUERY_BYTES 420
#define NULL_UPDATE_BYTES 2600

/* The TEEP route of --http-only: the TAM's replies without the TAM. An
 * empty POST gets a QueryRequest's bytes, a long body an Update's, a
 * short one 204, so the server moves what a session moves. */
static tk_err null_handle(void *ctx, const tk_net_request *req,
                          tk_net_response *resp)
{
    (void)ctx;
    uint64_t t0 = thread_cpu_ns();
    size_t len = req->body.len == 0 ? NULL_QUERY_BYTES
                 : req->body.len > 400 ? NULL_UPDATE_BYTES
                                       : 0;
    resp->status = len > 0 ? 200 : 204;
    tk_err err = TK_OK;
    if (len > 0) {
        uint8_t *body = calloc(1, len);
        err = body == NULL ? TK_ERR_NET_NO_MEMORY
                           : tk_net_response_take_body(resp, NULL, body, len);
    }
    atomic_fetch_add(&t_handler_cpu, thread_cpu_ns() - t0);
    atomic_fetch_add(&n_requests, 1);
    return err;
}

/* ---- The TAM ------------------------------------------------------------ */

static char work_dir[256];
static const char *db_parent = "/tmp";
static const char *store_sync = "full";
static char key_dir[320];
static tk_key author;
static sim_tam_keys tam_keys;

/* Removes the work folder at exit, whichever way the run ends. */
static void remove_work_dir(void)
{
    char cmd[320];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_tam: cannot remove %s\n", work_dir);
}

static void open_tam(unsigned threads)
{
    snprintf(work_dir, sizeof(work_dir), "%s/tk-bench-tam.XXXXXX", db_parent);
    if (mkdtemp(work_dir) == NULL)
        die("cannot create a work folder");
    atexit(remove_work_dir);
    snprintf(key_dir, sizeof(key_dir), "%s/keys", work_dir);
    char msg[512];
    bool created;
    if (tk_tam_keys_create(real, key_dir, &created, msg, sizeof(msg)) !=
        TK_OK)
        die(msg);
    char db[320];
    char text[32];
    snprintf(db, sizeof(db), "%s/tam.db", work_dir);
    snprintf(text, sizeof(text), "%u", threads + 1);
    tk_tam_config cfg;
    tk_tam_config_init(&cfg);
    tk_tam_config_set(&cfg, "db", db, msg, sizeof(msg));
    tk_tam_config_set(&cfg, "key_dir", key_dir, msg, sizeof(msg));
    tk_tam_config_set(&cfg, "store_pool", text, msg, sizeof(msg));
    if (tk_tam_config_set(&cfg, "store_sync", store_sync, msg, sizeof(msg)) !=
        TK_OK)
        die(msg);
    tk_log_set_level(TK_LOG_ERROR);
    tk_tam_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.crypto = &timed;
    opt.clock = bench_clock;
    opt.observe = observe_store;
    if (tk_tam_open(&cfg, &opt, &tam, msg, sizeof(msg)) != TK_OK)
        die(msg);
    tk_tam_config_free(&cfg);
    if (sim_tam_keys_load(&tam_keys, real, key_dir, msg, sizeof(msg)) != TK_OK)
        die(msg);
}

/* Adds the component every agent installs: ['bench', 'app'] with an
 * integrated payload of payload_size bytes, and the class "bench" whose
 * rule installs it. Returns the class. */
static int64_t add_component(size_t payload_size)
{
    uint8_t kid[TK_COSE_THUMBPRINT_SIZE];
    if (sim_new_key(real, &author, kid) != TK_OK)
        die("key generation failed");
    tk_view parts[2] = {{(const uint8_t *)"bench", 5},
                        {(const uint8_t *)"app", 3}};
    sim_upload up = {.id = parts,
                     .id_count = 2,
                     .sequence = 1,
                     .payload = payload_size,
                     .name = "app",
                     .signer = &author};
    tk_store *store = tk_tam_store(tam);
    int64_t component = 0;
    int64_t class_id = 0;
    char msg[256];
    if (sim_upload_component(store, real, &up, &component, msg, sizeof(msg)) !=
        TK_OK)
        die(msg);
    if (sim_add_install_class(store, "bench", component, NULL, &class_id,
                              NULL) != TK_OK)
        die("cannot add the class and its policy");
    return class_id;
}

/* ---- Agents ------------------------------------------------------------- */

typedef struct agent {
    sim_agent sim;
    unsigned index;
    uint8_t out[MESSAGE_MAX];
    tk_http_client *client;
    uint64_t cpu_ns;
    size_t sessions;
    uint64_t *latency;  /* ns of each session */
    size_t failures;
} agent;

static const uint8_t hwmodel[2] = {0x01, 0x02};

/* The encoded id ['bench', 'app'] that the agents record. They accept the
 * manifest without verifying it and report success, because the benchmark
 * measures the TAM and not the agent's crypto. */
static const uint8_t component_id[] = {0x82, 0x45, 'b', 'e', 'n', 'c',
                                       'h',  0x43, 'a', 'p', 'p'};

static void agent_setup(agent *a, unsigned index, size_t max_sessions,
                        int64_t class_id)
{
    sim_agent_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = real;
    cfg.tam = &tam_keys;
    cfg.hwmodel = (tk_view){hwmodel, sizeof(hwmodel)};
    cfg.component = (tk_view){component_id, sizeof(component_id)};
    cfg.sequence = 1;
    uint8_t ueid[SIM_UEID_LEN];
    ueid[0] = 0x01; /* RAND type, RFC 9711 section 4.2.1 */
    for (size_t i = 1; i < sizeof(ueid); i++)
        ueid[i] = (uint8_t)(index * 31 + i);
    memset(a, 0, sizeof(*a));
    a->index = index;
    if (sim_agent_init(&a->sim, &cfg, ueid) != TK_OK)
        die("key generation failed");
    if (sim_agent_register(&a->sim, tk_tam_store(tam), class_id, NULL, NULL,
                           NULL) != TK_OK)
        die("cannot register a device");
    a->latency = calloc(max_sessions + 1, sizeof(uint64_t));
    if (a->latency == NULL)
        die("out of memory");
}

/* One exchange through post(); returns true when it ended with 204 after
 * a Success. */
typedef bool (*post_fn)(agent *a, const uint8_t *body, size_t len,
                        tk_view *reply, bool *done);

static bool run_session(agent *a, post_fn post)
{
    tk_view reply;
    bool done = false;
    sim_agent_forget(&a->sim);
    if (!post(a, NULL, 0, &reply, &done))
        return false;
    uint32_t last_sent = 0;
    for (int step = 0; step < 8 && !done; step++) {
        tk_teep_agent_result res;
        tk_teep_agent_handle(&a->sim.machine, &a->sim.state, reply, a->out,
                             sizeof(a->out), &res);
        if (res.out_len == 0)
            return false;
        last_sent = res.sent_type;
        if (!post(a, a->out, res.out_len, &reply, &done))
            return false;
    }
    return done && last_sent == TK_TEEP_SUCCESS && a->sim.accepted > 0;
}

static char bench_url[64];
static _Atomic size_t sessions_left;
static bool http_only;

/* A session of --http-only: the three POSTs of an install session with
 * bodies of the sizes of a QueryResponse and a Success. */
static bool run_null_session(agent *a, post_fn post)
{
    static const uint8_t body[600];
    tk_view reply;
    bool done = false;
    return post(a, NULL, 0, &reply, &done) && !done &&
           post(a, body, sizeof(body), &reply, &done) && !done &&
           post(a, body, 200, &reply, &done) && done;
}

static bool post_http(agent *a, const uint8_t *body, size_t len,
                      tk_view *reply, bool *done)
{
    tk_net_reply r;
    if (tk_http_client_post(a->client, bench_url, body, len, &r) != TK_OK)
        return false;
    *reply = r.body;
    *done = r.done != 0;
    return true;
}

/* Takes one session from the shared budget; false when none is left. */
static bool take_session(void)
{
    size_t left = atomic_load(&sessions_left);
    while (left > 0 &&
           !atomic_compare_exchange_weak(&sessions_left, &left, left - 1))
        continue;
    return left > 0;
}

static void *agent_thread(void *arg)
{
    agent *a = arg;
    tk_http_client_config cfg;
    tk_http_client_config_init(&cfg);
    if (tk_http_client_new(&cfg, &a->client) != TK_OK)
        die("cannot create an HTTP client");
    uint64_t cpu0 = thread_cpu_ns();
    while (take_session()) {
        uint64_t t0 = mono_ns();
        if (http_only ? run_null_session(a, post_http)
                      : run_session(a, post_http))
            a->latency[a->sessions++] = mono_ns() - t0;
        else
            a->failures++;
    }
    a->cpu_ns = thread_cpu_ns() - cpu0;
    tk_http_client_free(a->client);
    return NULL;
}

/* ---- Reports ------------------------------------------------------------ */

static int compare_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x;
    uint64_t b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void reset_accounts(void)
{
    atomic_store(&t_sign, 0);
    atomic_store(&t_verify, 0);
    atomic_store(&t_other, 0);
    atomic_store(&n_sign, 0);
    atomic_store(&n_verify, 0);
    atomic_store(&t_store, 0);
    atomic_store(&t_store_cpu, 0);
    atomic_store(&n_store, 0);
    atomic_store(&t_handler_cpu, 0);
    atomic_store(&n_requests, 0);
    atomic_store(&n_errors, 0);
}

/* Prints the calls per session, mean wall time and mean CPU time (in µs)
 * of every store operation since the TAM opened its store. */
static void print_store_ops(double sessions)
{
    for (int op = 0; op < TK_STORE_OP_COUNT; op++) {
        tk_store_op_stats st;
        tk_store_op_stats_get(tk_tam_store(tam), (tk_store_op)op, &st);
        if (st.calls == 0)
            continue;
        printf("store_op %s %.2f %.1f %.1f\n",
               tk_store_op_name((tk_store_op)op),
               (double)st.calls / sessions,
               (double)st.total_ns / (double)st.calls / 1e3,
               (double)atomic_load(&t_op_cpu[op]) / (double)st.calls / 1e3);
    }
}

/* Runs sessions with the given agents over HTTP; prints the results as
 * "key value" lines unless quiet (a warm-up). */
static void run_http(agent *agents, unsigned count, size_t sessions,
                     bool quiet)
{
    pthread_t threads[MAX_AGENTS];
    atomic_store(&sessions_left, sessions);
    reset_accounts();
    uint64_t cpu0 = process_cpu_ns();
    uint64_t t0 = mono_ns();
    for (unsigned i = 0; i < count; i++)
        if (pthread_create(&threads[i], NULL, agent_thread, &agents[i]) != 0)
            die("cannot start an agent thread");
    for (unsigned i = 0; i < count; i++)
        pthread_join(threads[i], NULL);
    uint64_t wall = mono_ns() - t0;
    uint64_t cpu = process_cpu_ns() - cpu0;

    uint64_t agent_cpu = 0;
    size_t done = 0;
    size_t failures = 0;
    uint64_t *all = calloc(sessions + 1, sizeof(uint64_t));
    for (unsigned i = 0; i < count; i++) {
        agent_cpu += agents[i].cpu_ns;
        failures += agents[i].failures;
        memcpy(all + done, agents[i].latency,
               agents[i].sessions * sizeof(uint64_t));
        done += agents[i].sessions;
        agents[i].sessions = 0;
        agents[i].failures = 0;
    }
    if (done == 0)
        die("no session completed");
    if (quiet) {
        free(all);
        return;
    }
    qsort(all, done, sizeof(uint64_t), compare_u64);
    double per = (double)done;
    uint64_t tam_cpu = cpu > agent_cpu ? cpu - agent_cpu : 0;
    uint64_t handler = atomic_load(&t_handler_cpu);
    uint64_t sign = atomic_load(&t_sign);
    uint64_t verify = atomic_load(&t_verify);
    uint64_t other = atomic_load(&t_other);
    uint64_t store_wall = atomic_load(&t_store);
    uint64_t store = atomic_load(&t_store_cpu);
    uint64_t rest = handler > sign + verify + other + store
                        ? handler - sign - verify - other - store
                        : 0;
    uint64_t http = tam_cpu > handler ? tam_cpu - handler : 0;
    uint64_t signatures = sign + verify;
    printf("agents %u\n", count);
    printf("sessions %zu\n", done);
    printf("failures %zu\n", failures);
    printf("error_replies %llu\n",
           (unsigned long long)atomic_load(&n_errors));
    printf("seconds %.3f\n", (double)wall / 1e9);
    printf("sessions_per_s %.0f\n", per / ((double)wall / 1e9));
    printf("p50_ms %.3f\n", (double)all[done / 2] / 1e6);
    printf("p99_ms %.3f\n", (double)all[(done * 99) / 100] / 1e6);
    printf("tam_cpu_us %.1f\n", (double)tam_cpu / per / 1e3);
    printf("agents_cpu_us %.1f\n", (double)agent_cpu / per / 1e3);
    printf("sign_us %.1f\n", (double)sign / per / 1e3);
    printf("verify_us %.1f\n", (double)verify / per / 1e3);
    printf("signatures_per_session %.1f\n",
           (double)atomic_load(&n_sign) / per);
    printf("verifications_per_session %.1f\n",
           (double)atomic_load(&n_verify) / per);
    printf("other_crypto_us %.1f\n", (double)other / per / 1e3);
    printf("store_cpu_us %.1f\n", (double)store / per / 1e3);
    printf("store_wall_us %.1f\n", (double)store_wall / per / 1e3);
    printf("store_ops_per_session %.1f\n",
           (double)atomic_load(&n_store) / per);
    printf("teep_cbor_policy_us %.1f\n", (double)rest / per / 1e3);
    printf("http_us %.1f\n", (double)http / per / 1e3);
    /* Non-crypto: HTTP, TEEP and CBOR coding, policy, store. Other crypto
     * (hashes, random, key parsing) counts on the non-signature side of
     * the second ratio. */
    printf("non_crypto_us %.1f\n",
           (double)(store + rest + http) / per / 1e3);
    printf("non_crypto_vs_signatures %.2f\n",
           (double)(store + rest + http) / (double)signatures);
    printf("non_signature_vs_signatures %.2f\n",
           (double)(store + rest + http + other) / (double)signatures);
    printf("tam_capacity_2_cores %.0f\n", 2e9 / ((double)tam_cpu / per));
    if (getenv("BENCH_TAM_STORE_OPS") != NULL)
        print_store_ops(per);
    free(all);
}

/* ---- In-process mode for callgrind -------------------------------------- */

static bool post_direct(agent *a, const uint8_t *body, size_t len,
                        tk_view *reply, bool *done)
{
    static uint8_t buf[MESSAGE_MAX];
    tk_net_request req;
    memset(&req, 0, sizeof(req));
    req.method = TK_NET_POST;
    req.method_name = "POST";
    req.path = "/tam";
    req.content_type = len > 0 ? TK_NET_MEDIA_TEEP : NULL;
    req.body = (tk_view){body, len};
    req.request_id = "bench";
    tk_net_response resp;
    memset(&resp, 0, sizeof(resp));
    tk_tam_handle(tam, &req, &resp);
    (void)a;
    if (resp.status >= 300 || resp.body_len > sizeof(buf)) {
        tk_net_response_clear(&resp);
        return false;
    }
    if (resp.body_len > 0)
        memcpy(buf, resp.body, resp.body_len);
    *reply = (tk_view){buf, resp.body_len};
    *done = resp.body_len == 0;
    tk_net_response_clear(&resp);
    return true;
}

/* Runs n sessions in this thread; callgrind measures inside it. */
__attribute__((noinline)) static size_t run_once(agent *a, size_t n)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += run_session(a, post_direct) ? 1 : 0;
    return ok;
}

/* Releases the agents, their keys and the other keys of the run. */
static void free_agents(agent *agents, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        sim_agent_release(&agents[i].sim);
        free(agents[i].latency);
    }
    free(agents);
    tk_key_release(&author);
    sim_tam_keys_release(&tam_keys);
}

#define USAGE                                                              \
    "usage: bench_tam [--agents N] [--sessions N] [--threads N] "          \
    "[--payload BYTES] [--dir DIR] [--sync full|normal] [--http-only] | "  \
    "--once N"

int main(int argc, char **argv)
{
    unsigned agents_count = 8;
    size_t sessions = 2000;
    unsigned threads = 2;
    size_t payload = 2048;
    size_t once = 0;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--http-only") == 0) {
            http_only = true;
            continue;
        }
        if (value == NULL)
            die(USAGE);
        i++;
        if (strcmp(opt, "--agents") == 0)
            agents_count = (unsigned)atoi(value);
        else if (strcmp(opt, "--sessions") == 0)
            sessions = (size_t)atol(value);
        else if (strcmp(opt, "--threads") == 0)
            threads = (unsigned)atoi(value);
        else if (strcmp(opt, "--payload") == 0)
            payload = (size_t)atol(value);
        else if (strcmp(opt, "--dir") == 0)
            db_parent = value;
        else if (strcmp(opt, "--once") == 0)
            once = (size_t)atol(value);
        else if (strcmp(opt, "--sync") == 0)
            store_sync = value;
        else
            die(USAGE);
    }
    if (agents_count == 0 || agents_count > MAX_AGENTS || threads == 0)
        die("--agents must be 1 to 64 and --threads at least 1");
    timed_crypto_init();
    open_tam(threads);
    int64_t class_id = add_component(payload);
    unsigned count = once > 0 ? 1 : agents_count;
    agent *agents = calloc(count, sizeof(agent));
    if (agents == NULL)
        die("out of memory");
    for (unsigned i = 0; i < count; i++)
        agent_setup(&agents[i], i, once > 0 ? once + 2 : sessions + 2,
                    class_id);

    if (once > 0) {
        run_session(&agents[0], post_direct);  /* warm the caches */
        size_t ok = run_once(&agents[0], once);
        printf("sessions %zu of %zu\n", ok, once);
        free_agents(agents, count);
        tk_tam_close(tam);
        return ok == once ? 0 : 1;
    }
    tk_http_route route;
    memset(&route, 0, sizeof(route));
    route.path = "/tam";
    route.methods = TK_NET_POST;
    route.kind = TK_HTTP_ROUTE_TEEP;
    route.handler = http_only ? null_handle : timed_handle;
    route.ctx = tam;
    tk_http_server_config hc;
    tk_http_server_config_init(&hc);
    hc.address = "127.0.0.1";
    hc.port = 0;
    hc.threads = threads;
    hc.routes = &route;
    hc.route_count = 1;
    tk_http_server *srv = NULL;
    if (tk_http_server_start(&hc, &srv) != TK_OK)
        die("cannot start the HTTP server");
    snprintf(bench_url, sizeof(bench_url), "http://127.0.0.1:%u/tam",
             (unsigned)tk_http_server_port(srv));
    run_http(agents, count, count * 5 < 50 ? 50 : count * 5, true);
    run_http(agents, count, sessions, false);
    tk_http_server_stop(srv);
    free_agents(agents, count);
    tk_tam_close(tam);
    return 0;
}
