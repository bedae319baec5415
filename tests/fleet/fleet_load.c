/*
 * Load driver for a fleet of TAM workers: concurrent in-process TEEP
 * agents (lib/teep's agent state machine) talking HTTP through libcurl to
 * one URL, typically HAProxy in front of several `teepkit tam serve`
 * workers on one database. It registers its own devices and component in
 * the store, runs the sessions, and then checks through the store that
 * every session completed once and every SUIT report is stored once.
 *
 *   fleet_load --db URL --key-dir DIR --url URL [--agents N]
 *              [--sessions N] [--worker URL]... [--replay-every N]
 *              [--race-every N] [--no-verify]
 *
 * Every session is a full install: empty POST, QueryRequest,
 * QueryResponse with EAT evidence, Update with one signed SUIT manifest,
 * Success with its SUIT report, 204. An agent drops its installed state
 * after each session, so that the next one installs again.
 *
 * A message that gets 503 (store busy) is sent again after a pause, up
 * to MAX_BUSY_RETRIES times: the TAM promises that a 503 changed nothing.
 *
 * Checks beside the sessions themselves:
 *   --replay-every N  after every Nth session, posts its QueryResponse and
 *                     Success again, which the TAM must reject with 409;
 *   --race-every N    every Nth session posts its QueryResponse to two
 *                     workers (--worker URLs) at the same time, and
 *                     exactly one may accept it.
 *
 * Prints one JSON object (sessions, rates, latencies, the driver's own
 * CPU time, how many sessions crossed workers, what the store holds) and exits 0 when every check
 * passed, 1 when one failed, 2 on a usage or set-up error. A reply's
 * X-Worker header field, which the test's HAProxy adds, names the worker
 * that served it.
 */
#define _GNU_SOURCE

#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "sim_agent.h"
#include "store.h"
#include "tam.h"
#include "teepkit/teep.h"
#include "util.h"

#define MAX_AGENTS 256
#define MAX_WORKERS 8
#define MESSAGE_MAX (64 * 1024)
#define MAX_SESSIONS 100000
/* Times a message is sent again after a 503, pausing 20 ms, 40 ms, ... */
#define MAX_BUSY_RETRIES 5

static const uint8_t hwmodel[2] = {0x0f, 0x1e};
static const char hwversion[] = "2.1";

/* ---- Options and shared state ------------------------------------------- */

static struct options {
    const char *db;
    const char *key_dir;
    const char *url;
    const char *workers[MAX_WORKERS];
    size_t worker_count;
    unsigned agents;
    unsigned sessions;
    unsigned replay_every;
    unsigned race_every;
    bool verify;
} opt = {.agents = 20, .sessions = 300, .verify = true};

static const tk_crypto *crypto;
static sim_tam_keys tam_keys;
static tk_key component_signer;
static char class_name[64];

static _Atomic unsigned next_session;
static _Atomic unsigned failures;
static _Atomic unsigned replays_rejected;
static _Atomic unsigned replays_accepted;
static _Atomic unsigned races_single_winner;
static _Atomic unsigned races_bad;
static _Atomic unsigned crossed_sessions;
static _Atomic unsigned busy_retries;
static uint64_t latencies_ns[MAX_SESSIONS];
static _Atomic unsigned latency_count;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* Messages served per worker name (X-Worker), for the summary. */
static struct worker_count {
    char name[64];
    unsigned long count;
} served[MAX_WORKERS + 1];
static size_t served_count;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports one failed check on standard error and counts it. */
static void problem(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&print_lock);
    fprintf(stderr, "fleet_load: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    pthread_mutex_unlock(&print_lock);
    atomic_fetch_add(&failures, 1);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fleet_load: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(2);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static void count_served(const char *worker)
{
    pthread_mutex_lock(&print_lock);
    size_t i = 0;
    while (i < served_count && strcmp(served[i].name, worker) != 0)
        i++;
    if (i == served_count && served_count < MAX_WORKERS + 1) {
        snprintf(served[i].name, sizeof(served[i].name), "%s", worker);
        served_count++;
    }
    if (i < served_count)
        served[i].count++;
    pthread_mutex_unlock(&print_lock);
}

/* ---- One agent ------------------------------------------------------------ */

typedef struct agent {
    sim_agent sim;
    unsigned index;
    char ueid_hex[35];
    int64_t device_id;
    unsigned completed;
    CURL *curl;
} agent;

static agent *agents;

/* Sets up agent a with a random UEID. The agent verifies every envelope
 * with the component signer and rejects a rollback. */
static void agent_setup(agent *a, unsigned index)
{
    sim_agent_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.tam = &tam_keys;
    cfg.hwmodel = (tk_view){hwmodel, sizeof(hwmodel)};
    cfg.hwversion = hwversion;
    cfg.hwversion_reference = true;
    cfg.manifest_signer = &component_signer;
    uint8_t ueid[SIM_UEID_LEN];
    ueid[0] = 0x01; /* RAND type, RFC 9711 section 4.2.1 */
    if (crypto->random(crypto->ctx, ueid + 1, sizeof(ueid) - 1) != TK_OK)
        die("no random bytes for a UEID");
    memset(a, 0, sizeof(*a));
    a->index = index;
    tk_util_hex_encode(ueid, sizeof(ueid), a->ueid_hex);
    if (sim_agent_init(&a->sim, &cfg, ueid) != TK_OK)
        die("cannot generate a P-256 key");
}

/* ---- HTTP --------------------------------------------------------------------- */

typedef struct exchange {
    long status;
    uint8_t body[MESSAGE_MAX];
    size_t len;
    bool overflow;
    char worker[64];
} exchange;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    exchange *x = ctx;
    size_t len = size * n;
    if (x->len + len > sizeof(x->body)) {
        x->overflow = true;
        return 0;
    }
    memcpy(x->body + x->len, data, len);
    x->len += len;
    return len;
}

static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
    exchange *x = ctx;
    size_t len = size * n;
    if (len > 9 && strncasecmp(line, "X-Worker:", 9) == 0) {
        const char *v = line + 9;
        while (*v == ' ')
            v++;
        size_t vlen = len - (size_t)(v - line);
        while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
            vlen--;
        snprintf(x->worker, sizeof(x->worker), "%.*s", (int)vlen, v);
    }
    return len;
}

/* Prepares curl for one POST of body to url into x. */
static struct curl_slist *prepare(CURL *curl, const char *url,
                                  const uint8_t *body, size_t len,
                                  exchange *x)
{
    memset(x, 0, sizeof(*x));
    snprintf(x->worker, sizeof(x->worker), "direct");
    struct curl_slist *headers =
        curl_slist_append(NULL, "Accept: " TK_NET_MEDIA_TEEP);
    if (len > 0)
        headers = curl_slist_append(headers,
                                    "Content-Type: " TK_NET_MEDIA_TEEP);
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, len > 0 ? (const char *)body
                                                       : "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    return headers;
}

/* POSTs body to url once; returns false (after reporting) when the
 * transfer itself failed. */
static bool post_once(CURL *curl, const char *url, const uint8_t *body,
                      size_t len, exchange *x)
{
    struct curl_slist *headers = prepare(curl, url, body, len, x);
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK || x->overflow) {
        problem("POST %s failed: %s", url,
                x->overflow ? "reply too large" : curl_easy_strerror(rc));
        return false;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &x->status);
    count_served(x->worker);
    return true;
}

/*
 * POSTs body to url, and again after a pause while the TAM replies 503
 * (store busy), as a client honouring Retry-After would. A 503 promises
 * that the TAM changed nothing, so the same message must then succeed.
 * *after_busy is set when a 503 came first, so that a 409 then shows that
 * the TAM broke that promise.
 */
static bool post(CURL *curl, const char *url, const uint8_t *body, size_t len,
                 exchange *x, bool *after_busy)
{
    *after_busy = false;
    for (unsigned attempt = 0;; attempt++) {
        if (!post_once(curl, url, body, len, x))
            return false;
        if (x->status != 503 || attempt == MAX_BUSY_RETRIES)
            return true;
        atomic_fetch_add(&busy_retries, 1);
        *after_busy = true;
        struct timespec pause = {0, (long)(20000000L << attempt)};
        nanosleep(&pause, NULL);
    }
}

/*
 * Posts the same QueryResponse to two workers at once. Exactly one must
 * accept it (200 with an Update) and the other reject it with 409; the
 * accepted reply continues the session in *winner.
 */
static bool race(const uint8_t *body, size_t len, exchange *winner)
{
    static _Atomic unsigned turn;
    unsigned first = atomic_fetch_add(&turn, 1) % (unsigned)opt.worker_count;
    const char *urls[2] = {opt.workers[first],
                           opt.workers[(first + 1) % opt.worker_count]};
    exchange *x = calloc(2, sizeof(*x));
    CURL *easy[2] = {curl_easy_init(), curl_easy_init()};
    CURLM *multi = curl_multi_init();
    struct curl_slist *headers[2];
    for (int i = 0; i < 2; i++) {
        headers[i] = prepare(easy[i], urls[i], body, len, &x[i]);
        curl_multi_add_handle(multi, easy[i]);
    }
    int running = 1;
    while (running > 0) {
        curl_multi_perform(multi, &running);
        if (running > 0)
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    for (int i = 0; i < 2; i++) {
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &x[i].status);
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
        curl_slist_free_all(headers[i]);
    }
    curl_multi_cleanup(multi);
    /* A worker whose store was busy (503) changed nothing, so its copy is
     * sent again; it must then lose to the other copy. */
    for (int i = 0; i < 2; i++) {
        bool after_busy = false;
        CURL *again = x[i].status == 503 ? curl_easy_init() : NULL;
        if (again != NULL) {
            atomic_fetch_add(&busy_retries, 1);
            post(again, urls[i], body, len, &x[i], &after_busy);
            curl_easy_cleanup(again);
        }
    }
    int accepted = (x[0].status == 200) + (x[1].status == 200);
    int rejected = (x[0].status == 409) + (x[1].status == 409);
    bool ok = accepted == 1 && rejected == 1;
    if (ok) {
        atomic_fetch_add(&races_single_winner, 1);
        *winner = x[0].status == 200 ? x[0] : x[1];
    } else {
        atomic_fetch_add(&races_bad, 1);
        problem("a QueryResponse posted to two workers got %ld and %ld; "
                "expected one 200 and one 409",
                x[0].status, x[1].status);
    }
    free(x);
    return ok;
}

/* ---- Sessions ------------------------------------------------------------------- */

/* Passes a TAM reply to the agent and returns the length of its reply
 * in out (0 when it has none). */
static size_t agent_step(agent *a, const exchange *x, uint8_t *out,
                         uint32_t expected_type)
{
    tk_teep_agent_result res;
    tk_teep_agent_handle(&a->sim.machine, &a->sim.state,
                         (tk_view){x->body, x->len}, out, MESSAGE_MAX, &res);
    if (res.sent_type != expected_type || res.out_len == 0)
        problem("agent %s: sent type %u, expected %u (reason %s)",
                a->ueid_hex, (unsigned)res.sent_type,
                (unsigned)expected_type, tk_errname(res.reason));
    return res.sent_type == expected_type ? res.out_len : 0;
}

/* Runs one install session; returns true when it completed. */
static bool run_session(agent *a, unsigned number, exchange *x,
                        uint8_t *query_response, uint8_t *success)
{
    bool raced = opt.race_every > 0 && opt.worker_count >= 2 &&
                 number % opt.race_every == 0;
    char first_worker[64];
    bool crossed = false;
    bool busy = false;
    if (!post(a->curl, opt.url, NULL, 0, x, &busy))
        return false;
    if (x->status != 200) {
        problem("agent %s: the empty POST got %ld", a->ueid_hex, x->status);
        return false;
    }
    snprintf(first_worker, sizeof(first_worker), "%s", x->worker);
    size_t qr_len = agent_step(a, x, query_response, TK_TEEP_QUERY_RESPONSE);
    if (qr_len == 0)
        return false;
    if (raced) {
        if (!race(query_response, qr_len, x))
            return false;
    } else if (!post(a->curl, opt.url, query_response, qr_len, x, &busy)) {
        return false;
    }
    crossed |= strcmp(x->worker, first_worker) != 0;
    if (x->status != 200) {
        problem("agent %s: the QueryResponse got %ld%s", a->ueid_hex,
                x->status,
                busy ? " after a 503: the TAM consumed its token but did not "
                       "finish"
                     : "");
        return false;
    }
    size_t success_len = agent_step(a, x, success, TK_TEEP_SUCCESS);
    if (success_len == 0 ||
        !post(a->curl, opt.url, success, success_len, x, &busy))
        return false;
    crossed |= strcmp(x->worker, first_worker) != 0;
    if (x->status != 204) {
        problem("agent %s: the Success got %ld, expected 204%s",
                a->ueid_hex, x->status,
                busy ? " after a 503: its report may be lost" : "");
        return false;
    }
    if (crossed)
        atomic_fetch_add(&crossed_sessions, 1);
    if (opt.replay_every > 0 && number % opt.replay_every == 0) {
        const uint8_t *copies[2] = {query_response, success};
        size_t lens[2] = {qr_len, success_len};
        for (int i = 0; i < 2; i++) {
            if (!post(a->curl, opt.url, copies[i], lens[i], x, &busy))
                return false;
            if (x->status == 409) {
                atomic_fetch_add(&replays_rejected, 1);
            } else {
                atomic_fetch_add(&replays_accepted, 1);
                problem("agent %s: a replayed %s got %ld, expected 409",
                        a->ueid_hex, i == 0 ? "QueryResponse" : "Success",
                        x->status);
            }
        }
    }
    return true;
}

static void *agent_thread(void *arg)
{
    agent *a = arg;
    exchange *x = malloc(sizeof(*x));
    uint8_t *query_response = malloc(MESSAGE_MAX);
    uint8_t *success = malloc(MESSAGE_MAX);
    a->curl = curl_easy_init();
    if (x == NULL || query_response == NULL || success == NULL ||
        a->curl == NULL)
        die("out of memory");
    for (;;) {
        unsigned number = atomic_fetch_add(&next_session, 1);
        if (number >= opt.sessions)
            break;
        uint64_t start = mono_ns();
        sim_agent_forget(&a->sim);
        tk_teep_agent_state_init(&a->sim.state);
        if (run_session(a, number + 1, x, query_response, success)) {
            a->completed++;
            unsigned i = atomic_fetch_add(&latency_count, 1);
            latencies_ns[i] = mono_ns() - start;
        }
    }
    curl_easy_cleanup(a->curl);
    free(x);
    free(query_response);
    free(success);
    return NULL;
}

/* ---- Set-up through the store ------------------------------------------------------ */

static void store_check(tk_err err, const tk_store_detail *detail,
                        const char *what)
{
    if (err != TK_OK)
        die("%s: %s (%s)", what, detail->text, tk_errname(err));
}

/* Builds and stores the component that every agent installs, and a
 * device class whose rule installs it. Returns the class. */
static int64_t add_component(tk_store *store)
{
    char name[48];
    snprintf(name, sizeof(name), "fleet-%d", (int)getpid());
    tk_view parts[2] = {{(const uint8_t *)"fleet", 5},
                        {(const uint8_t *)name, strlen(name)}};
    sim_upload up = {.id = parts,
                     .id_count = 2,
                     .sequence = 1,
                     .name = name,
                     .actor = "fleet_load",
                     .signer = &component_signer};
    int64_t component = 0;
    char msg[256];
    if (sim_upload_component(store, crypto, &up, &component, msg,
                             sizeof(msg)) != TK_OK)
        die("component upload: %s", msg);
    snprintf(class_name, sizeof(class_name), "fleet-load-%d", (int)getpid());
    int64_t class_id = 0;
    tk_store_detail detail = {{0}};
    store_check(sim_add_install_class(store, class_name, component,
                                      "fleet_load", &class_id, &detail),
                &detail, "class and policy");
    return class_id;
}

/* Registers the device of agent a in the class of the component. */
static void register_device(tk_store *store, agent *a, int64_t class_id)
{
    tk_store_detail detail = {{0}};
    store_check(sim_agent_register(&a->sim, store, class_id, "fleet_load",
                                   &a->device_id, &detail),
                &detail, "device registration");
}

/* ---- Checks through the store --------------------------------------------------------- */

/* What the store holds for the agents' devices. */
typedef struct store_totals {
    size_t reports;
    size_t reports_failed;
    size_t duplicate_report_sessions;
    size_t attestations;
    size_t attestations_affirming;
    size_t sessions;
    size_t sessions_without_report;
    size_t update_success_audits;
    size_t installed;
} store_totals;

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Checks one device: one report, one attestation result and one store
 * session per completed session, each report in its own session. */
static void verify_device(tk_store *store, const agent *a, store_totals *t)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_detail detail = {{0}};
    tk_store_reports reports;
    tk_store_attestations results;
    tk_store_sessions sessions;
    tk_store_audits audits;
    tk_store_installeds installed;
    char object[48];
    snprintf(object, sizeof(object), "device/%lld", (long long)a->device_id);
    if (tk_store_report_list(store, a->device_id, 0, &page, &mem, &reports,
                             &detail) != TK_OK ||
        tk_store_attestation_list(store, a->device_id, &page, &mem, &results,
                                  &detail) != TK_OK ||
        tk_store_session_list(store, a->device_id, &page, &mem, &sessions,
                              &detail) != TK_OK ||
        tk_store_audit_list(store, object, &page, &mem, &audits, &detail) !=
            TK_OK ||
        tk_store_installed_list(store, a->device_id, &page, &mem, &installed,
                                &detail) != TK_OK) {
        problem("store query for device %s failed: %s", a->ueid_hex,
                detail.text);
        tk_store_mem_free(&mem);
        return;
    }
    if (reports.next != 0 || sessions.next != 0 || audits.next != 0)
        problem("device %s has more than %d records; raise --agents",
                a->ueid_hex, TK_STORE_MAX_PAGE);
    int64_t *report_sessions = calloc(reports.count + 1, sizeof(int64_t));
    for (size_t i = 0; i < reports.count; i++) {
        report_sessions[i] = reports.items[i].session_id;
        t->reports_failed += reports.items[i].result != 0;
    }
    qsort(report_sessions, reports.count, sizeof(int64_t), compare_ids);
    for (size_t i = 1; i < reports.count; i++)
        if (report_sessions[i] == report_sessions[i - 1])
            t->duplicate_report_sessions++;
    for (size_t i = 0; i < sessions.count; i++) {
        int64_t id = sessions.items[i].id;
        if (bsearch(&id, report_sessions, reports.count, sizeof(int64_t),
                    compare_ids) == NULL)
            t->sessions_without_report++;
    }
    free(report_sessions);
    size_t affirming = 0;
    for (size_t i = 0; i < results.count; i++)
        affirming += results.items[i].verdict == TK_STORE_VERDICT_AFFIRMING;
    size_t successes = 0;
    for (size_t i = 0; i < audits.count; i++)
        successes += strcmp(audits.items[i].action, "update.success") == 0;
    if (reports.count != a->completed || results.count != a->completed ||
        sessions.count != a->completed || successes != a->completed)
        problem("device %s completed %u sessions but the store holds %zu "
                "reports, %zu attestation results, %zu sessions and %zu "
                "update.success entries",
                a->ueid_hex, a->completed, reports.count, results.count,
                sessions.count, successes);
    t->reports += reports.count;
    t->attestations += results.count;
    t->attestations_affirming += affirming;
    t->sessions += sessions.count;
    t->update_success_audits += successes;
    t->installed += installed.count;
    tk_store_mem_free(&mem);
}

/* ---- Main --------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: fleet_load --db URL --key-dir DIR --url URL [--agents N] "
            "[--sessions N]\n"
            "                  [--worker URL]... [--replay-every N] "
            "[--race-every N] [--no-verify]\n");
    exit(2);
}

static unsigned parse_count(const char *text, unsigned max)
{
    char *end = NULL;
    unsigned long v = strtoul(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v > max)
        usage();
    return (unsigned)v;
}

static void parse_options(int argc, char **argv)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},
        {"key-dir", required_argument, NULL, 'k'},
        {"url", required_argument, NULL, 'u'},
        {"worker", required_argument, NULL, 'w'},
        {"agents", required_argument, NULL, 'a'},
        {"sessions", required_argument, NULL, 's'},
        {"replay-every", required_argument, NULL, 'r'},
        {"race-every", required_argument, NULL, 'x'},
        {"no-verify", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'd': opt.db = optarg; break;
        case 'k': opt.key_dir = optarg; break;
        case 'u': opt.url = optarg; break;
        case 'w':
            if (opt.worker_count == MAX_WORKERS)
                usage();
            opt.workers[opt.worker_count++] = optarg;
            break;
        case 'a': opt.agents = parse_count(optarg, MAX_AGENTS); break;
        case 's': opt.sessions = parse_count(optarg, MAX_SESSIONS); break;
        case 'r': opt.replay_every = parse_count(optarg, MAX_SESSIONS); break;
        case 'x': opt.race_every = parse_count(optarg, MAX_SESSIONS); break;
        case 'n': opt.verify = false; break;
        default: usage();
        }
    }
    if (opt.db == NULL || opt.key_dir == NULL || opt.url == NULL ||
        opt.agents == 0 || optind != argc)
        usage();
    /* Only loopback targets: the driver is a test tool. */
    const char *urls[MAX_WORKERS + 1];
    size_t n = 0;
    urls[n++] = opt.url;
    for (size_t i = 0; i < opt.worker_count; i++)
        urls[n++] = opt.workers[i];
    for (size_t i = 0; i < n; i++)
        if (strncmp(urls[i], "http://127.0.0.1:", 17) != 0)
            die("%s is not an http://127.0.0.1 URL", urls[i]);
}

static double percentile(unsigned count, double p)
{
    if (count == 0)
        return 0;
    size_t i = (size_t)(p * (count - 1) + 0.5);
    return (double)latencies_ns[i] / 1e6;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    parse_options(argc, argv);
    crypto = tk_crypto_openssl();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char msg[512];
    if (sim_tam_keys_load(&tam_keys, crypto, opt.key_dir, msg, sizeof(msg)) !=
        TK_OK)
        die("%s", msg);
    uint8_t unused[TK_COSE_THUMBPRINT_SIZE];
    if (sim_new_key(crypto, &component_signer, unused) != TK_OK)
        die("cannot generate a P-256 key");

    tk_store *store = NULL;
    tk_store_detail detail = {{0}};
    store_check(tk_store_open(opt.db, NULL, &store, &detail), &detail,
                "store open");
    agents = calloc(opt.agents, sizeof(*agents));
    if (agents == NULL)
        die("out of memory");
    for (unsigned i = 0; i < opt.agents; i++)
        agent_setup(&agents[i], i);
    int64_t class_id = add_component(store);
    for (unsigned i = 0; i < opt.agents; i++)
        register_device(store, &agents[i], class_id);

    pthread_t *threads = calloc(opt.agents, sizeof(*threads));
    uint64_t start = mono_ns();
    uint64_t cpu_start = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    for (unsigned i = 0; i < opt.agents; i++)
        if (pthread_create(&threads[i], NULL, agent_thread, &agents[i]) != 0)
            die("cannot start agent thread %u", i);
    for (unsigned i = 0; i < opt.agents; i++)
        pthread_join(threads[i], NULL);
    double elapsed = (double)(mono_ns() - start) / 1e9;
    double cpu = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start) /
                 1e9;
    free(threads);

    unsigned completed = atomic_load(&latency_count);
    qsort(latencies_ns, completed, sizeof(uint64_t), compare_u64);
    store_totals totals;
    memset(&totals, 0, sizeof(totals));
    if (opt.verify) {
        for (unsigned i = 0; i < opt.agents; i++)
            verify_device(store, &agents[i], &totals);
        if (totals.duplicate_report_sessions > 0)
            problem("%zu sessions hold more than one report",
                    totals.duplicate_report_sessions);
        if (totals.sessions_without_report > 0)
            problem("%zu store sessions hold no report",
                    totals.sessions_without_report);
        if (totals.reports_failed > 0)
            problem("%zu reports carry a failure", totals.reports_failed);
        if (totals.attestations_affirming != totals.attestations)
            problem("%zu of %zu attestation results are not affirming",
                    totals.attestations - totals.attestations_affirming,
                    totals.attestations);
    }
    if (completed != opt.sessions)
        problem("%u of %u sessions completed", completed, opt.sessions);

    json_t *workers = json_object();
    for (size_t i = 0; i < served_count; i++)
        json_object_set_new(workers, served[i].name,
                            json_integer((json_int_t)served[i].count));
    json_t *summary = json_pack(
        "{s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:o, "
        "s:{s:i, s:i}, s:{s:i, s:i}, s:b}",
        "agents", (int)opt.agents, "sessions", (int)opt.sessions,
        "completed", (int)completed, "failures",
        (int)atomic_load(&failures), "elapsed_s", elapsed, "driver_cpu_s",
        cpu, "sessions_per_s",
        elapsed > 0 ? completed / elapsed : 0.0, "p50_ms",
        percentile(completed, 0.50), "p99_ms", percentile(completed, 0.99),
        "crossed_sessions", (int)atomic_load(&crossed_sessions),
        "busy_retries", (int)atomic_load(&busy_retries),
        "messages_by_worker", workers, "replays", "rejected",
        (int)atomic_load(&replays_rejected), "accepted",
        (int)atomic_load(&replays_accepted), "races", "single_winner",
        (int)atomic_load(&races_single_winner), "other",
        (int)atomic_load(&races_bad), "verified", opt.verify);
    json_t *store_json = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "reports",
        (json_int_t)totals.reports, "attestations",
        (json_int_t)totals.attestations, "sessions",
        (json_int_t)totals.sessions, "update_success_audits",
        (json_int_t)totals.update_success_audits, "installed",
        (json_int_t)totals.installed, "duplicate_report_sessions",
        (json_int_t)totals.duplicate_report_sessions,
        "sessions_without_report", (json_int_t)totals.sessions_without_report);
    json_object_set_new(summary, "store", store_json);
    json_dumpf(summary, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(summary);

    for (unsigned i = 0; i < opt.agents; i++)
        sim_agent_release(&agents[i].sim);
    free(agents);
    tk_store_close(store);
    tk_key_release(&component_signer);
    sim_tam_keys_release(&tam_keys);
    curl_global_cleanup();
    return atomic_load(&failures) == 0 ? 0 : 1;
}
