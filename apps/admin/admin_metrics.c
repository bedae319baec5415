/*
 * Metrics of one TAM process in the Prometheus text format (version
 * 0.0.4): sessions by outcome, attestation results and failures by
 * reason, TEEP message and store operation latency histograms, HTTP
 * replies by status, and fleet gauges read from the store.
 *
 * Counters are per process, as Prometheus expects of each scraped
 * target; sum them over the workers. The fleet gauges come from the shared
 * database, so every worker reports the same values. docs/operations.md
 * lists every metric.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_internal.h"
#include "teepkit/teep.h"

#ifndef TK_VERSION
#define TK_VERSION "unknown"
#endif

/* Upper bounds of the latency buckets in seconds, from 100 µs (a store
 * read) to 2.5 s (a slow store write with retries); +Inf follows. */
static const double bucket_bounds[] = {0.0001, 0.00025, 0.0005, 0.001,
                                       0.0025, 0.005,   0.01,   0.025,
                                       0.05,   0.1,     0.25,   0.5,
                                       1.0,    2.5};
#define BUCKETS (sizeof(bucket_bounds) / sizeof(bucket_bounds[0]))

/* Distinct reasons that the reason tables count; later reasons count as
 * "other". */
#define MAX_REASONS 64

/* Lowest and highest HTTP status counted. */
#define STATUS_MIN 100
#define STATUS_MAX 599

typedef struct histogram {
    _Atomic uint64_t buckets[BUCKETS + 1]; /* not cumulative; last: +Inf */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_ns;
} histogram;

/* The message kinds of the latency histogram, by TEEP type received. */
enum message_kind {
    MESSAGE_START = 0, /* the empty POST that starts a session */
    MESSAGE_QUERY_RESPONSE,
    MESSAGE_SUCCESS,
    MESSAGE_ERROR,
    MESSAGE_OTHER, /* undecodable or of a type the TAM does not take */
    MESSAGE_KINDS
};
static const char *const message_names[MESSAGE_KINDS] = {
    "start", "query_response", "success", "error", "other"};

/* Outcome of a session, from the TAM's side. */
enum outcome {
    OUTCOME_SUCCESS = 0,   /* Success received, nothing more to send */
    OUTCOME_ERROR,         /* Error received: the agent failed */
    OUTCOME_UP_TO_DATE,    /* QueryResponse needed no Update */
    OUTCOME_ATTESTATION,   /* attestation failed, no component sent */
    OUTCOME_REJECTED,      /* a message was dropped with a 4xx status */
    OUTCOME_TAM_ERROR,     /* the TAM failed with a 5xx status */
    OUTCOMES
};
static const char *const outcome_names[OUTCOMES] = {
    "success",  "error",    "up_to_date",
    "attestation_failed", "rejected", "tam_error"};

/* Verdicts of appraised evidence (RFC 9334 trustworthiness tiers). */
enum verdict {
    VERDICT_AFFIRMING = 0,
    VERDICT_WARNING,
    VERDICT_CONTRAINDICATED,
    VERDICTS
};
static const char *const verdict_names[VERDICTS] = {"affirming", "warning",
                                                    "contraindicated"};

/* One counted reason of a reason table. */
typedef struct reason_count {
    tk_err reason;
    _Atomic uint64_t count;
} reason_count;

typedef struct reason_table {
    pthread_mutex_t lock; /* taken to add a reason, not to count */
    _Atomic size_t used;
    reason_count entries[MAX_REASONS];
    _Atomic uint64_t other;
} reason_table;

struct tk_admin_metrics {
    int64_t started;
    _Atomic uint64_t sessions_started;
    _Atomic uint64_t outcomes[OUTCOMES];
    _Atomic uint64_t verdicts[VERDICTS];
    reason_table attestation_failures;
    reason_table rejections;
    histogram messages[MESSAGE_KINDS];
    histogram store_ops[TK_STORE_OP_COUNT];
    _Atomic uint64_t store_errors[TK_STORE_OP_COUNT];
    _Atomic uint64_t http[2][STATUS_MAX - STATUS_MIN + 1];
};

tk_admin_metrics *tk_admin_metrics_new(void)
{
    tk_admin_metrics *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    if (pthread_mutex_init(&m->attestation_failures.lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    if (pthread_mutex_init(&m->rejections.lock, NULL) != 0) {
        pthread_mutex_destroy(&m->attestation_failures.lock);
        free(m);
        return NULL;
    }
    m->started = (int64_t)time(NULL);
    return m;
}

void tk_admin_metrics_free(tk_admin_metrics *metrics)
{
    if (metrics == NULL)
        return;
    pthread_mutex_destroy(&metrics->attestation_failures.lock);
    pthread_mutex_destroy(&metrics->rejections.lock);
    free(metrics);
}

void tk_admin_metrics_hook(tk_admin_metrics *metrics, tk_tam_options *opt)
{
    opt->on_request = tk_admin_metrics_on_request;
    opt->on_request_ctx = metrics;
    opt->observe = tk_admin_metrics_on_store;
    opt->observe_ctx = metrics;
}

static void observe(histogram *h, uint64_t ns)
{
    double seconds = (double)ns / 1e9;
    size_t i = 0;
    while (i < BUCKETS && seconds > bucket_bounds[i])
        i++;
    atomic_fetch_add(&h->buckets[i], 1);
    atomic_fetch_add(&h->count, 1);
    atomic_fetch_add(&h->sum_ns, ns);
}

/* Adds one to the count of reason, adding the reason when it is new. */
static void count_reason(reason_table *t, tk_err reason)
{
    size_t used = atomic_load(&t->used);
    for (size_t i = 0; i < used; i++)
        if (t->entries[i].reason == reason) {
            atomic_fetch_add(&t->entries[i].count, 1);
            return;
        }
    pthread_mutex_lock(&t->lock);
    used = atomic_load(&t->used);
    size_t i = 0;
    while (i < used && t->entries[i].reason != reason)
        i++;
    if (i == used && used < MAX_REASONS) {
        t->entries[i].reason = reason;
        atomic_store(&t->used, used + 1);
    }
    if (i < MAX_REASONS)
        atomic_fetch_add(&t->entries[i].count, 1);
    else
        atomic_fetch_add(&t->other, 1);
    pthread_mutex_unlock(&t->lock);
}

static enum message_kind message_kind(uint32_t type, unsigned status)
{
    switch (type) {
    case 0:
        return status < 300 ? MESSAGE_START : MESSAGE_OTHER;
    case TK_TEEP_QUERY_RESPONSE:
        return MESSAGE_QUERY_RESPONSE;
    case TK_TEEP_SUCCESS:
        return MESSAGE_SUCCESS;
    case TK_TEEP_ERROR:
        return MESSAGE_ERROR;
    default:
        return MESSAGE_OTHER;
    }
}

void tk_admin_metrics_on_request(void *ctx, const tk_tam_request_info *info)
{
    tk_admin_metrics *m = ctx;
    if (m == NULL)
        return;
    observe(&m->messages[message_kind(info->received_type, info->status)],
            info->elapsed_ns);
    tk_admin_metrics_http(m, TK_ADMIN_LISTENER_TEEP, info->status);
    if (info->attestation == TK_EAT_STATUS_AFFIRMING)
        atomic_fetch_add(&m->verdicts[VERDICT_AFFIRMING], 1);
    else if (info->attestation == TK_EAT_STATUS_WARNING)
        atomic_fetch_add(&m->verdicts[VERDICT_WARNING], 1);
    else if (info->attestation == TK_EAT_STATUS_CONTRAINDICATED)
        atomic_fetch_add(&m->verdicts[VERDICT_CONTRAINDICATED], 1);
    bool attestation_failed = info->attestation != TK_EAT_STATUS_NONE &&
                              info->reason != TK_OK && info->status < 400;
    if (attestation_failed)
        count_reason(&m->attestation_failures, info->reason);
    if (info->status >= 500) {
        atomic_fetch_add(&m->outcomes[OUTCOME_TAM_ERROR], 1);
    } else if (info->status >= 400) {
        atomic_fetch_add(&m->outcomes[OUTCOME_REJECTED], 1);
        count_reason(&m->rejections, info->reason);
    } else if (attestation_failed) {
        atomic_fetch_add(&m->outcomes[OUTCOME_ATTESTATION], 1);
    } else if (info->session_end &&
               info->received_type == TK_TEEP_SUCCESS) {
        atomic_fetch_add(&m->outcomes[OUTCOME_SUCCESS], 1);
    } else if (info->session_end && info->received_type == TK_TEEP_ERROR) {
        atomic_fetch_add(&m->outcomes[OUTCOME_ERROR], 1);
    } else if (info->session_end &&
               info->received_type == TK_TEEP_QUERY_RESPONSE) {
        atomic_fetch_add(&m->outcomes[OUTCOME_UP_TO_DATE], 1);
    }
    if (info->received_type == 0 && info->status == 200)
        atomic_fetch_add(&m->sessions_started, 1);
}

void tk_admin_metrics_on_store(void *ctx, tk_store_op op, tk_err err,
                               uint64_t elapsed_ns)
{
    tk_admin_metrics *m = ctx;
    if (m == NULL || (unsigned)op >= TK_STORE_OP_COUNT)
        return;
    observe(&m->store_ops[op], elapsed_ns);
    if (err != TK_OK)
        atomic_fetch_add(&m->store_errors[op], 1);
}

void tk_admin_metrics_http(tk_admin_metrics *metrics,
                           tk_admin_listener listener, unsigned status)
{
    if (metrics == NULL || status < STATUS_MIN || status > STATUS_MAX ||
        (unsigned)listener > 1)
        return;
    atomic_fetch_add(&metrics->http[listener][status - STATUS_MIN], 1);
}

/* ---- Rendering ------------------------------------------------------------ */

static void header(FILE *out, const char *name, const char *type,
                   const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes the series of one histogram; label is `name="value"`. */
static void write_histogram(FILE *out, const char *name, const char *label,
                            histogram *h)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i < BUCKETS; i++) {
        cumulative += atomic_load(&h->buckets[i]);
        fprintf(out, "%s_bucket{%s,le=\"%g\"} %llu\n", name, label,
                bucket_bounds[i], (unsigned long long)cumulative);
    }
    cumulative += atomic_load(&h->buckets[BUCKETS]);
    fprintf(out, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, label,
            (unsigned long long)cumulative);
    fprintf(out, "%s_sum{%s} %.9f\n", name, label,
            (double)atomic_load(&h->sum_ns) / 1e9);
    fprintf(out, "%s_count{%s} %llu\n", name, label,
            (unsigned long long)atomic_load(&h->count));
}

static void write_reasons(FILE *out, const char *name, reason_table *t)
{
    size_t used = atomic_load(&t->used);
    for (size_t i = 0; i < used; i++)
        fprintf(out, "%s{reason=\"%s\"} %llu\n", name,
                tk_errname(t->entries[i].reason),
                (unsigned long long)atomic_load(&t->entries[i].count));
    uint64_t other = atomic_load(&t->other);
    if (other > 0)
        fprintf(out, "%s{reason=\"other\"} %llu\n", name,
                (unsigned long long)other);
}

static void write_sessions(FILE *out, tk_admin_metrics *m)
{
    header(out, "teepkit_tam_sessions_started_total", "counter",
           "TEEP sessions started by an empty POST.");
    fprintf(out, "teepkit_tam_sessions_started_total %llu\n",
            (unsigned long long)atomic_load(&m->sessions_started));
    header(out, "teepkit_tam_sessions_total", "counter",
           "TEEP sessions ended, by outcome.");
    for (int i = 0; i < OUTCOMES; i++)
        fprintf(out, "teepkit_tam_sessions_total{outcome=\"%s\"} %llu\n",
                outcome_names[i],
                (unsigned long long)atomic_load(&m->outcomes[i]));
    header(out, "teepkit_tam_attestations_total", "counter",
           "Evidence appraisals, by verdict.");
    for (int i = 0; i < VERDICTS; i++)
        fprintf(out, "teepkit_tam_attestations_total{verdict=\"%s\"} %llu\n",
                verdict_names[i],
                (unsigned long long)atomic_load(&m->verdicts[i]));
    header(out, "teepkit_tam_attestation_failures_total", "counter",
           "Failed attestations, by reason (a tk_err name).");
    write_reasons(out, "teepkit_tam_attestation_failures_total",
                  &m->attestation_failures);
    header(out, "teepkit_tam_messages_rejected_total", "counter",
           "TEEP messages dropped with a 4xx status, by reason.");
    write_reasons(out, "teepkit_tam_messages_rejected_total",
                  &m->rejections);
    header(out, "teepkit_tam_message_duration_seconds", "histogram",
           "Time the TAM spends on one TEEP request, by message received.");
    for (int i = 0; i < MESSAGE_KINDS; i++) {
        char label[48];
        snprintf(label, sizeof(label), "type=\"%s\"", message_names[i]);
        write_histogram(out, "teepkit_tam_message_duration_seconds", label,
                        &m->messages[i]);
    }
}

static void write_store(FILE *out, tk_admin_metrics *m, tk_store *store)
{
    header(out, "teepkit_store_operation_duration_seconds", "histogram",
           "Wall time of store operations (one transaction each), by "
           "operation.");
    for (int op = 0; op < TK_STORE_OP_COUNT; op++) {
        if (atomic_load(&m->store_ops[op].count) == 0)
            continue;
        char label[64];
        snprintf(label, sizeof(label), "op=\"%s\"",
                 tk_store_op_name((tk_store_op)op));
        write_histogram(out, "teepkit_store_operation_duration_seconds",
                        label, &m->store_ops[op]);
    }
    header(out, "teepkit_store_operation_errors_total", "counter",
           "Store operations that failed, by operation.");
    for (int op = 0; op < TK_STORE_OP_COUNT; op++)
        if (atomic_load(&m->store_ops[op].count) > 0)
            fprintf(out,
                    "teepkit_store_operation_errors_total{op=\"%s\"} %llu\n",
                    tk_store_op_name((tk_store_op)op),
                    (unsigned long long)atomic_load(&m->store_errors[op]));
    if (store == NULL)
        return;
    header(out, "teepkit_store_transaction_retries_total", "counter",
           "Transactions run again after a busy database or a "
           "serialization failure, by operation.");
    for (int op = 0; op < TK_STORE_OP_COUNT; op++) {
        tk_store_op_stats stats;
        tk_store_op_stats_get(store, (tk_store_op)op, &stats);
        if (stats.calls > 0)
            fprintf(out,
                    "teepkit_store_transaction_retries_total{op=\"%s\"} "
                    "%llu\n",
                    tk_store_op_name((tk_store_op)op),
                    (unsigned long long)stats.retries);
    }
}

static void write_http(FILE *out, tk_admin_metrics *m, tk_http_server *teep,
                       tk_http_server *admin)
{
    static const char *const listeners[2] = {"teep", "admin"};
    header(out, "teepkit_http_requests_total", "counter",
           "HTTP replies chosen by the TEEP or admin handler, by listener "
           "and status code.");
    for (int l = 0; l < 2; l++)
        for (unsigned s = STATUS_MIN; s <= STATUS_MAX; s++) {
            uint64_t n = atomic_load(&m->http[l][s - STATUS_MIN]);
            if (n > 0)
                fprintf(out,
                        "teepkit_http_requests_total{listener=\"%s\","
                        "code=\"%u\"} %llu\n",
                        listeners[l], s, (unsigned long long)n);
        }
    tk_http_server *servers[2] = {teep, admin};
    tk_http_server_stats stats[2];
    for (int l = 0; l < 2; l++)
        if (servers[l] != NULL)
            tk_http_server_stats_get(servers[l], &stats[l]);
    const struct {
        const char *name;
        const char *type;
        const char *help;
        size_t offset;
    } fields[] = {
        {"teepkit_http_server_requests_total", "counter",
         "Requests that reached routing, including those the server "
         "answered itself (404, 405, 406, 413, 415).",
         offsetof(tk_http_server_stats, requests)},
        {"teepkit_http_connections_total", "counter", "Connections accepted.",
         offsetof(tk_http_server_stats, connections)},
        {"teepkit_http_too_large_total", "counter",
         "Requests whose body exceeded the limit (413).",
         offsetof(tk_http_server_stats, rejected_too_large)},
        {"teepkit_http_timeouts_total", "counter",
         "Connections closed because a request took longer than the "
         "request timeout.",
         offsetof(tk_http_server_stats, timed_out)},
    };
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        header(out, fields[f].name, fields[f].type, fields[f].help);
        for (int l = 0; l < 2; l++) {
            if (servers[l] == NULL)
                continue;
            uint64_t v;
            memcpy(&v, (const char *)&stats[l] + fields[f].offset,
                   sizeof(v));
            fprintf(out, "%s{listener=\"%s\"} %llu\n", fields[f].name,
                    listeners[l], (unsigned long long)v);
        }
    }
    header(out, "teepkit_http_open_connections", "gauge",
           "Connections open now.");
    for (int l = 0; l < 2; l++)
        if (servers[l] != NULL)
            fprintf(out, "teepkit_http_open_connections{listener=\"%s\"} "
                         "%u\n",
                    listeners[l], stats[l].open_connections);
}

static void write_worker(FILE *out, tk_tam *tam)
{
    tk_tam_stats s;
    tk_tam_stats_get(tam, &s);
    header(out, "teepkit_tam_requests_total", "counter",
           "TEEP requests that reached the TAM handler.");
    fprintf(out, "teepkit_tam_requests_total %llu\n",
            (unsigned long long)s.requests);
    header(out, "teepkit_tam_messages_sent_total", "counter",
           "TEEP messages sent, by type.");
    fprintf(out, "teepkit_tam_messages_sent_total{type=\"query_request\"} "
                 "%llu\n",
            (unsigned long long)s.queries_sent);
    fprintf(out, "teepkit_tam_messages_sent_total{type=\"update\"} %llu\n",
            (unsigned long long)s.updates_sent);
}

/* Fleet gauges from one read snapshot of the shared store. */
static void write_fleet(FILE *out, tk_store *store)
{
    tk_store_summary s;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_summary_get(store, &s, &detail);
    header(out, "teepkit_fleet_up", "gauge",
           "1 when the store answered the summary query of this scrape.");
    fprintf(out, "teepkit_fleet_up %d\n", err == TK_OK ? 1 : 0);
    if (err != TK_OK) {
        TK_LOG_WARN(ADMIN_LOG, "metrics: cannot read the store summary: %s",
                    detail.text[0] != '\0' ? detail.text : tk_strerror(err));
        return;
    }
    header(out, "teepkit_fleet_devices", "gauge",
           "Registered devices, by state.");
    for (int i = 0; i < 4; i++)
        fprintf(out, "teepkit_fleet_devices{state=\"%s\"} %lld\n",
                tk_admin_state_name((tk_store_device_state)i),
                (long long)s.devices[i]);
    const struct {
        const char *name;
        const char *help;
        int64_t value;
    } gauges[] = {
        {"teepkit_fleet_components", "Trusted Components.", s.components},
        {"teepkit_fleet_component_versions", "Stored SUIT envelopes.",
         s.versions},
        {"teepkit_fleet_policy_rules", "Policy rules.", s.policies},
        {"teepkit_fleet_open_sessions", "Sessions whose tokens have not "
                                        "expired.",
         s.open_sessions},
        {"teepkit_fleet_audit_entries", "Entries of the audit log.",
         s.audit_entries},
    };
    for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
        header(out, gauges[i].name, "gauge", gauges[i].help);
        fprintf(out, "%s %lld\n", gauges[i].name,
                (long long)gauges[i].value);
    }
    header(out, "teepkit_fleet_attestation_results", "gauge",
           "Stored attestation results, by verdict.");
    for (int v = 1; v <= 4; v++)
        fprintf(out, "teepkit_fleet_attestation_results{verdict=\"%s\"} "
                     "%lld\n",
                tk_admin_verdict_name((tk_store_verdict)v),
                (long long)s.attestations[v]);
    header(out, "teepkit_fleet_reports", "gauge",
           "Stored SUIT reports, by result.");
    fprintf(out, "teepkit_fleet_reports{status=\"ok\"} %lld\n",
            (long long)s.reports_ok);
    fprintf(out, "teepkit_fleet_reports{status=\"failed\"} %lld\n",
            (long long)s.reports_failed);
}

char *tk_admin_metrics_render(tk_admin_metrics *metrics, tk_tam *tam,
                              tk_store *store, tk_http_server *teep,
                              tk_http_server *admin)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out == NULL)
        return NULL;
    header(out, "teepkit_info", "gauge",
           "Version of teepkit and store backend of this worker.");
    fprintf(out, "teepkit_info{version=\"%s\",store=\"%s\"} 1\n", TK_VERSION,
            store != NULL ? tk_store_backend(store) : "none");
    if (metrics != NULL) {
        header(out, "teepkit_process_start_time_seconds", "gauge",
               "Start time of the process since the Unix epoch.");
        fprintf(out, "teepkit_process_start_time_seconds %lld\n",
                (long long)metrics->started);
        write_sessions(out, metrics);
        write_store(out, metrics, store);
        write_http(out, metrics, teep, admin);
    }
    if (tam != NULL)
        write_worker(out, tam);
    if (store != NULL)
        write_fleet(out, store);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
