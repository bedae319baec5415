/*
 * The TEEP endpoint of the TAM: one request of an agent in, one reply out.
 *
 * An empty POST starts a session (tk_teep_tam_start with every TAM key,
 * because the agent is not known yet). Any other body goes to
 * tk_teep_tam_handle. Whatever the state machine decides, the reply is
 * 200 with its message, 204 when it has nothing to send, or the status of
 * tk_tam_status_for() when it drops the message. Every request is logged
 * with the device and the short session id, never with the token.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tam_internal.h"

/* Room beside the manifests for the rest of an Update. */
#define MESSAGE_OVERHEAD (16u * 1024u)

/* Bytes of the buffers of a request that starts a session. */
#define START_BUFFER (8u * 1024u)

/* Seconds between two purges of expired tokens and sessions. */
#define PURGE_INTERVAL 600

/* Seconds past its expiry (beyond clock_skew) that a used token stays
 * recorded. A worker whose clock runs behind still takes the token for
 * valid, so its use must stay on record until every clock has passed the
 * expiry. */
#define PURGE_MARGIN 3600

unsigned tk_tam_status_for(tk_err reason)
{
    switch (reason) {
    case TK_ERR_TEEP_UNKNOWN_KEY:
    case TK_ERR_TEEP_SIGNATURE:
    case TK_ERR_TEEP_DEVICE_MISMATCH:
    case TK_ERR_TAM_DEVICE_BLOCKED:
        return 403;
    case TK_ERR_TEEP_TOKEN_UNKNOWN:
    case TK_ERR_TEEP_TOKEN_EXPIRED:
        return 409;
    case TK_ERR_STORE_BUSY:
    case TK_ERR_STORE_TIMEOUT:
    case TK_ERR_STORE_CONNECT:
        return 503;
    default:
        break;
    }
    int code = (int)reason;
    /* A message that does not decode as CBOR (20..59), COSE (80..119) or
     * TEEP (240..299), the ranges of teepkit/error.h, is the agent's
     * fault. So is a value beyond a table limit. */
    if ((code >= 20 && code < 60) || (code >= 80 && code < 120) ||
        (code >= 240 && code < 300) || reason == TK_ERR_LIMIT)
        return 400;
    return 500;
}

static void copy_string(char **dst, const char *src, bool *ok)
{
    *dst = NULL;
    if (src != NULL && (*dst = strdup(src)) == NULL)
        *ok = false;
}

/* Deep copy of a configuration. */
static bool config_copy(tk_tam_config *dst, const tk_tam_config *src)
{
    bool ok = true;
    *dst = *src;
    copy_string(&dst->db, src->db, &ok);
    copy_string(&dst->listen, src->listen, &ok);
    copy_string(&dst->coap, src->coap, &ok);
    copy_string(&dst->key_dir, src->key_dir, &ok);
    copy_string(&dst->key_esp256, src->key_esp256, &ok);
    copy_string(&dst->key_ed25519, src->key_ed25519, &ok);
    for (size_t i = 0; i < src->signer_count; i++)
        copy_string(&dst->signers[i], src->signers[i], &ok);
    copy_string(&dst->admin, src->admin, &ok);
    copy_string(&dst->admin_token, src->admin_token, &ok);
    copy_string(&dst->admin_token_file, src->admin_token_file, &ok);
    return ok;
}

tk_err tk_tam_open(const tk_tam_config *cfg, const tk_tam_options *options,
                   tk_tam **out, char *msg, size_t msg_size)
{
    if (cfg == NULL || out == NULL)
        return TK_ERR_INVALID_ARG;
    *out = NULL;
    if (cfg->db == NULL) {
        snprintf(msg, msg_size, "no database: give --db FILE|URL or set db");
        return TK_ERR_TAM_CONFIG;
    }
    tk_tam *tam = calloc(1, sizeof(*tam));
    if (tam == NULL || !config_copy(&tam->cfg, cfg)) {
        snprintf(msg, msg_size, "out of memory");
        if (tam != NULL)
            tk_tam_config_free(&tam->cfg);
        free(tam);
        return TK_ERR_STORE_NOMEM;
    }
    tk_tam_options none;
    memset(&none, 0, sizeof(none));
    if (options == NULL)
        options = &none;
    tam->crypto = options->crypto != NULL ? options->crypto
                                          : tk_crypto_openssl();
    tam->clock = options->clock;
    tam->clock_ctx = options->clock_ctx;
    tam->on_request = options->on_request;
    tam->on_request_ctx = options->on_request_ctx;

    tk_store_options so;
    memset(&so, 0, sizeof(so));
    so.pool_size = cfg->store_pool;
    so.clock = options->clock;
    so.clock_ctx = options->clock_ctx;
    so.observe = options->observe;
    so.observe_ctx = options->observe_ctx;
    so.sync = cfg->store_sync;
    tk_store_detail detail = {{0}};
    tk_err err = tam->crypto == NULL ? TK_ERR_UNSUPPORTED : TK_OK;
    if (err == TK_OK)
        err = tam_keycache_init(&tam->key_cache);
    if (err == TK_OK)
        err = tk_store_open(cfg->db, &so, &tam->store, &detail);
    if (err != TK_OK)
        snprintf(msg, msg_size, "cannot open the store: %s",
                 detail.text[0] != '\0' ? detail.text : tk_strerror(err));
    if (err == TK_OK)
        err = tam_keys_load(tam, msg, msg_size);
    if (err == TK_OK) {
        tam_token_issuer_init(tam);
        err = tam_tokens_init(tam, msg, msg_size);
    }
    atomic_init(&tam->next_purge, tam_now(tam));
    if (err != TK_OK) {
        tk_tam_close(tam);
        return err;
    }
    *out = tam;
    return TK_OK;
}

void tk_tam_close(tk_tam *tam)
{
    if (tam == NULL)
        return;
    tam_keys_release(tam);
    tam_tokens_release(tam);
    tam_keycache_free(&tam->key_cache);
    tk_store_close(tam->store);
    tk_tam_config_free(&tam->cfg);
    free(tam);
}

tk_store *tk_tam_store(tk_tam *tam)
{
    return tam == NULL ? NULL : tam->store;
}

void tk_tam_stats_get(const tk_tam *tam, tk_tam_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    if (tam == NULL)
        return;
    stats->requests = atomic_load(&tam->requests);
    stats->sessions_started = atomic_load(&tam->sessions_started);
    stats->queries_sent = atomic_load(&tam->queries_sent);
    stats->updates_sent = atomic_load(&tam->updates_sent);
    stats->done = atomic_load(&tam->done);
    stats->rejected = atomic_load(&tam->rejected);
    stats->attestation_failed = atomic_load(&tam->attestation_failed);
    stats->internal_errors = atomic_load(&tam->internal_errors);
}

static int64_t request_now(void *ctx)
{
    const tam_request *r = ctx;
    return r->now;
}

/* Sets up the state machine for one request, with r as callback context. */
static void setup_machine(tk_tam *tam, tam_request *r, tk_teep_tam *teep,
                          uint8_t *scratch, size_t scratch_cap)
{
    tk_teep_tam_init(teep);
    teep->crypto = tam->crypto;
    teep->signers = tam->signers;
    teep->signer_count = tam->signer_count;
    if (!tam->cfg.require_attestation)
        teep->data_items = TK_TEEP_ITEM_TRUSTED_COMPONENTS;
    teep->session_lifetime = tam->cfg.session_lifetime;
    if (tam->cfg.accept_warning)
        teep->flags |= TK_TEEP_TAM_ACCEPT_WARNING;
    if (tam->cfg.requery_on_failure)
        teep->flags |= TK_TEEP_TAM_REQUERY_ON_ATTESTATION_FAILURE;
    teep->scratch = scratch;
    teep->scratch_cap = scratch_cap;
    tk_teep_tam_ops *ops = &teep->ops;
    ops->ctx = r;
    ops->now = request_now;
    ops->session_save = tam_session_save;
    ops->session_take = tam_session_take;
    ops->agent_key = tam_agent_key;
    ops->appraise = tam_appraise;
    ops->policy = tam_policy;
    ops->record = tam_record;
}

static const char *type_name(uint32_t type)
{
    switch (type) {
    case TK_TEEP_QUERY_REQUEST:
        return "QueryRequest";
    case TK_TEEP_QUERY_RESPONSE:
        return "QueryResponse";
    case TK_TEEP_UPDATE:
        return "Update";
    case TK_TEEP_SUCCESS:
        return "Success";
    case TK_TEEP_ERROR:
        return "Error";
    case 0:
        return "none";
    default:
        return "unknown";
    }
}

static const char *status_name(tk_eat_status status)
{
    switch (status) {
    case TK_EAT_STATUS_AFFIRMING:
        return "affirming";
    case TK_EAT_STATUS_WARNING:
        return "warning";
    case TK_EAT_STATUS_CONTRAINDICATED:
        return "contraindicated";
    default:
        return "none";
    }
}

/* Writes the device of the request for logs: its UEID in hex, or "-". */
static void device_text(const tam_request *r, char *out, size_t cap)
{
    if (!r->has_device) {
        snprintf(out, cap, "-");
        return;
    }
    tam_hex(r->device.ueid.ptr, r->device.ueid.len, out, cap);
}

/* Logs a request that the state machine handled. */
static void log_handled(const tam_request *r, const tk_net_request *req,
                        const tk_teep_tam_result *res)
{
    char device[2 * TK_TEEP_MAX_DEVICE_ID + 1];
    device_text(r, device, sizeof(device));
    if (res->outcome == TK_TEEP_TAM_DONE) {
        TK_LOG_INFO(TAM_LOG,
                    "session finished: %s received, nothing more to send "
                    "device=%s session=%lld sid=%s err_code=%u reason=%s "
                    "id=%s",
                    type_name(res->received_type), device,
                    (long long)r->session_id, r->sid_in,
                    (unsigned)res->err_code, tk_errname(res->reason),
                    req->request_id);
        return;
    }
    const char *sent = res->outcome == TK_TEEP_TAM_SEND_UPDATE
                           ? "Update"
                           : "QueryRequest";
    if (req->body.len == 0) {
        TK_LOG_INFO(TAM_LOG,
                    "session started: QueryRequest sent next_sid=%s id=%s "
                    "peer=%s",
                    r->sid_out, req->request_id,
                    req->peer != NULL ? req->peer : "-");
        return;
    }
    TK_LOG_INFO(TAM_LOG,
                "%s received, %s sent device=%s session=%lld sid=%s "
                "next_sid=%s attestation=%s manifests=%zu unneeded=%zu "
                "err_code=%u reason=%s id=%s",
                type_name(res->received_type), sent, device,
                (long long)r->saved_session_id, r->sid_in, r->sid_out,
                status_name(res->attestation), res->manifests_sent,
                res->unneeded_sent, (unsigned)res->err_code,
                tk_errname(res->reason), req->request_id);
    if (res->attestation != TK_EAT_STATUS_NONE && res->reason != TK_OK)
        TK_LOG_WARN(TAM_LOG,
                    "attestation failed, no component sent device=%s "
                    "reason=%s (%s) detail=%s id=%s",
                    device, tk_errname(res->reason),
                    tk_strerror(res->reason),
                    r->detail[0] != '\0' ? r->detail : "-", req->request_id);
}

/* Logs a dropped message with its reason. */
static void log_rejected(const tam_request *r, const tk_net_request *req,
                         const tk_teep_tam_result *res, tk_err reason,
                         unsigned status)
{
    char device[2 * TK_TEEP_MAX_DEVICE_ID + 1];
    device_text(r, device, sizeof(device));
    tk_log_level level = status >= 500 ? TK_LOG_ERROR : TK_LOG_WARN;
    tk_log(level, TAM_LOG,
           "message rejected: %s (%s) type=%s device=%s sid=%s status=%u "
           "detail=%s id=%s peer=%s",
           tk_errname(reason), tk_strerror(reason),
           type_name(res->received_type), device, r->sid_in, status,
           r->detail[0] != '\0' ? r->detail : "-", req->request_id,
           req->peer != NULL ? req->peer : "-");
}

/* Counts the outcome of one request. */
static void count_outcome(tk_tam *tam, const tk_teep_tam_result *res,
                          unsigned status, bool start)
{
    if (start && res->outcome == TK_TEEP_TAM_SEND_QUERY)
        atomic_fetch_add(&tam->sessions_started, 1);
    if (res->outcome == TK_TEEP_TAM_SEND_QUERY)
        atomic_fetch_add(&tam->queries_sent, 1);
    else if (res->outcome == TK_TEEP_TAM_SEND_UPDATE)
        atomic_fetch_add(&tam->updates_sent, 1);
    else if (res->outcome == TK_TEEP_TAM_DONE)
        atomic_fetch_add(&tam->done, 1);
    if (res->outcome == TK_TEEP_TAM_REJECTED)
        atomic_fetch_add(status >= 500 ? &tam->internal_errors
                                       : &tam->rejected,
                         1);
    if (res->attestation != TK_EAT_STATUS_NONE && res->reason != TK_OK &&
        res->outcome != TK_TEEP_TAM_REJECTED)
        atomic_fetch_add(&tam->attestation_failed, 1);
}

/*
 * Starts a session with a self-authenticating token: the state machine
 * draws the token and the challenge from tam->issuing, which issues
 * them, and session_save checks them (tam_token.c).
 */
static tk_err start_session(tam_request *r, tk_teep_tam *teep, uint8_t *out,
                            size_t cap, tk_teep_tam_result *res)
{
    bool challenge = (teep->data_items & TK_TEEP_ITEM_ATTESTATION) != 0 &&
                     (teep->freshness & (1u << TK_TEEP_FRESHNESS_NONCE)) != 0;
    tam_token_issue issue;
    tk_err err = tam_token_issue_begin(&issue, r->tam, r->now,
                                       teep->data_items, teep->freshness,
                                       challenge ? teep->challenge_len : 0);
    if (err != TK_OK) {
        tam_set_detail(r, "the QueryRequest's token cannot hold its data "
                          "items, freshness mechanisms or challenge length");
        memset(res, 0, sizeof(*res));
        return TK_ERR_INTERNAL;
    }
    teep->crypto = &r->tam->issuing;
    teep->token_len = TAM_TOKEN_LEN;
    r->issue = &issue;
    err = tk_teep_tam_start(teep, (tk_view){NULL, 0}, TK_ALG_NONE, out, cap,
                            res);
    tam_token_issue_end();
    /* The commit, which reads r->issue, runs before issue goes out of
     * scope only when it runs here. */
    err = tam_session_commit(r, err, res);
    r->issue = NULL;
    return err;
}

/* Runs the state machine on the request body into a new reply buffer. */
static tk_err run_machine(tam_request *r, const tk_net_request *req,
                          uint8_t **out, size_t *out_cap,
                          tk_teep_tam_result *res)
{
    tk_tam *tam = r->tam;
    bool start = req->body.len == 0;
    size_t message_cap = start ? START_BUFFER
                               : tam->cfg.max_update + MESSAGE_OVERHEAD;
    size_t scratch_cap = 2 * message_cap + req->body.len + 1024;
    uint8_t *scratch = malloc(scratch_cap);
    *out = malloc(message_cap);
    *out_cap = message_cap;
    if (scratch == NULL || *out == NULL) {
        free(scratch);
        memset(res, 0, sizeof(*res));
        return TK_ERR_STORE_NOMEM;
    }
    tk_teep_tam teep;
    setup_machine(tam, r, &teep, scratch, scratch_cap);
    tk_err err;
    if (start)
        err = start_session(r, &teep, *out, message_cap, res);
    else
        err = tk_teep_tam_handle(&teep, req->body, *out, message_cap, res);
    if (!start && res->attestation != TK_EAT_STATUS_NONE)
        tam_record_attestation(r, res);
    /* One store transaction for the whole message, while the views into
     * the body and the scratch buffer are still valid. */
    if (!start)
        err = tam_session_commit(r, err, res);
    free(scratch);
    tam_writes_free(&r->writes);
    return err;
}

/* Purges the store of expired tokens and sessions every PURGE_INTERVAL
 * seconds; of the threads that find the time has come, one does it. */
static void maybe_purge(tk_tam *tam, int64_t now)
{
    int64_t due = atomic_load(&tam->next_purge);
    if (now < due || !atomic_compare_exchange_strong(&tam->next_purge, &due,
                                                     now + PURGE_INTERVAL))
        return;
    int64_t before = now - PURGE_MARGIN - (int64_t)tam->cfg.clock_skew;
    tk_store_purged purged;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_purge(tam->store, before, &purged, &detail);
    if (err != TK_OK)
        TK_LOG_WARN(TAM_LOG, "purge of expired tokens failed, next try in "
                             "%d s: %s",
                    PURGE_INTERVAL, detail.text);
    else if (purged.tokens + purged.sessions + purged.used_tokens > 0)
        TK_LOG_INFO(TAM_LOG, "purged expired entries: tokens=%llu "
                             "used_tokens=%llu sessions=%llu",
                    (unsigned long long)purged.tokens,
                    (unsigned long long)purged.used_tokens,
                    (unsigned long long)purged.sessions);
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Passes what a request did to the on_request hook, when there is one.
 * reason is the rejection reason, or TK_OK to take the result's. */
static void report_request(const tk_tam *tam, const tk_teep_tam_result *res,
                           tk_err reason, unsigned status, uint64_t start_ns)
{
    if (tam->on_request == NULL)
        return;
    tk_tam_request_info info;
    memset(&info, 0, sizeof(info));
    info.status = status;
    if (res != NULL) {
        info.received_type = res->received_type;
        if (status == 200)
            info.sent_type = res->outcome == TK_TEEP_TAM_SEND_UPDATE
                                 ? TK_TEEP_UPDATE
                                 : TK_TEEP_QUERY_REQUEST;
        info.reason = reason != TK_OK ? reason : res->reason;
        info.attestation = res->attestation;
        info.err_code = res->err_code;
    }
    if (res == NULL)
        info.reason = reason;
    info.session_end = status == 204;
    info.elapsed_ns = monotonic_ns() - start_ns;
    tam->on_request(tam->on_request_ctx, &info);
}

/* A member of tam_request that request_new() leaves unzeroed. */
#define TAM_HOLE(m)                                                         \
    {offsetof(tam_request, m), sizeof(((tam_request *)0)->m)}

/*
 * Allocates a request with every member zero but the entries of its lists
 * (54 KiB of its 64 KiB): each is written before it is read, and read only
 * below its count (key_count, the contexts' manifest_count and
 * unneeded_count, installed_count). Zeroing them cost about 200,000
 * instructions and 200 KiB of memory writes per session.
 */
static tam_request *request_new(void)
{
    static const struct {
        size_t at;
        size_t len;
    } holes[] = {
        TAM_HOLE(keys),
        TAM_HOLE(taken.manifests),
        TAM_HOLE(taken.unneeded),
        TAM_HOLE(pending.manifests),
        TAM_HOLE(pending.unneeded),
        TAM_HOLE(writes.installed),
    };
    tam_request *r = malloc(sizeof(*r));
    if (r == NULL)
        return NULL;
    size_t from = 0;
    for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
        memset((char *)r + from, 0, holes[i].at - from);
        from = holes[i].at + holes[i].len;
    }
    memset((char *)r + from, 0, sizeof(*r) - from);
    return r;
}

_Static_assert(offsetof(tam_request, keys) < offsetof(tam_request, taken) &&
                   offsetof(tam_request, taken) <
                       offsetof(tam_request, pending) &&
                   offsetof(tam_request, pending) <
                       offsetof(tam_request, writes) &&
                   offsetof(tam_context, manifests) <
                       offsetof(tam_context, unneeded),
               "request_new() lists its holes in the order of the members");

tk_err tk_tam_handle(void *ctx, const tk_net_request *req,
                     tk_net_response *resp)
{
    tk_tam *tam = ctx;
    uint64_t start_ns = monotonic_ns();
    atomic_fetch_add(&tam->requests, 1);
    if (req->body.len > 0 &&
        !tk_net_media_type_is(req->content_type, TK_NET_MEDIA_TEEP)) {
        atomic_fetch_add(&tam->rejected, 1);
        TK_LOG_WARN(TAM_LOG, "message rejected: media type is not %s "
                             "status=415 id=%s",
                    TK_NET_MEDIA_TEEP, req->request_id);
        resp->status = 415;
        report_request(tam, NULL, TK_ERR_NET_CONTENT_TYPE, 415, start_ns);
        return TK_OK;
    }
    tam_request *r = request_new();
    if (r == NULL) {
        atomic_fetch_add(&tam->internal_errors, 1);
        resp->status = 500;
        report_request(tam, NULL, TK_ERR_STORE_NOMEM, 500, start_ns);
        return TK_OK;
    }
    r->tam = tam;
    r->now = tam_now(tam);
    r->request_id = req->request_id != NULL ? req->request_id : "-";
    snprintf(r->sid_in, sizeof(r->sid_in), "-");
    snprintf(r->sid_out, sizeof(r->sid_out), "-");

    uint8_t *out = NULL;
    size_t out_cap = 0;
    tk_teep_tam_result res;
    /* The reads of the state machine's callbacks (agent key, device
     * context, plan, token) share one read transaction. The exchange that
     * records the message checks again what it acts on (the token's
     * state, the session's step) and ends that transaction first. */
    tk_store_shared_reads_begin(tam->store);
    tk_err err = run_machine(r, req, &out, &out_cap, &res);
    tk_store_shared_reads_end(tam->store);
    tk_err rejection = err;
    unsigned status = err == TK_OK ? (res.out_len > 0 ? 200 : 204)
                                   : tk_tam_status_for(err);
    count_outcome(tam, &res, status, req->body.len == 0);
    if (err != TK_OK) {
        log_rejected(r, req, &res, err, status);
    } else {
        log_handled(r, req, &res);
        if (res.out_len > 0) {
            err = tk_net_response_take_body(resp, TK_NET_MEDIA_TEEP, out,
                                            res.out_len);
            out = NULL;
            if (err != TK_OK)
                status = 500;
        }
    }
    resp->status = status;
    report_request(tam, &res, rejection, status, start_ns);
    free(out);
    tam_request_keys_release(r);
    tk_store_mem_free(&r->mem);
    int64_t now = r->now;
    free(r);
    maybe_purge(tam, now);
    return TK_OK;
}
