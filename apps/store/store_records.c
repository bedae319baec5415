/*
 * Record operations of the TAM store: attestation results, the audit log,
 * SUIT reports, metric counters and the entity summary.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* ---- Attestation results ------------------------------------------------ */

#define ATTESTATION_SELECT                                                  \
    "SELECT id, device_id, session_id, verdict, reason_code, reason, "     \
    "claims, created FROM attestation_results"

static tk_err read_attestation(tk_store_tx *tx, const tk_db_rows *rows,
                               void *item)
{
    tk_store_attestation *r = item;
    r->id = tk_db_col_int(tx, rows, 0);
    r->device_id = tk_db_col_int(tx, rows, 1);
    r->session_id = tk_db_col_int(tx, rows, 2);
    r->verdict = (tk_store_verdict)tk_db_col_int(tx, rows, 3);
    r->reason_code = (int32_t)tk_db_col_int(tx, rows, 4);
    r->created = tk_db_col_int(tx, rows, 7);
    tk_err err = tk_db_col_text(tx, rows, 5, &r->reason);
    if (err == TK_OK)
        err = tk_db_col_text(tx, rows, 6, &r->claims);
    return err;
}

tk_err tk_store_insert_audit(tk_store_tx *tx, const tk_store_audit *e,
                            int64_t *id)
{
    const tk_db_val params[] = {
        tk_db_int(tx->now),          tk_db_text(e->actor),
        tk_db_text(e->action),       tk_db_text_or_empty(e->object),
        tk_db_text_or_empty(e->detail),
    };
    int64_t value = 0;
    tk_err err = TK_DB_INSERT_ID(tx,
                                 "INSERT INTO audit_log (created, actor, "
                                 "action, object, detail) "
                                 "VALUES ($1, $2, $3, $4, $5)",
                                 params, 5, &value);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "audit entry");
    if (id != NULL)
        *id = value;
    return TK_OK;
}

tk_err tk_store_insert_attestation(tk_store_tx *tx,
                                  const tk_store_attestation *r,
                                  int64_t *out_id)
{
    const tk_db_val params[] = {
        tk_db_ref(r->device_id),        tk_db_ref(r->session_id),
        tk_db_int((int64_t)r->verdict), tk_db_int(r->reason_code),
        tk_db_text_or_empty(r->reason), tk_db_text_or_empty(r->claims),
        tk_db_int(tx->now),
    };
    int64_t id = 0;
    tk_err err = TK_DB_INSERT_ID(tx,
                                 "INSERT INTO attestation_results (device_id, "
                                 "session_id, verdict, reason_code, reason, "
                                 "claims, created) "
                                 "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                 params, 7, &id);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err,
                             "device %" PRId64 " or session %" PRId64
                             " not found",
                             r->device_id, r->session_id);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "attestation result");
    if (r->device_id != 0) {
        const tk_db_val seen[] = {tk_db_int(r->device_id), tk_db_int(tx->now)};
        err = tk_db_exec(tx, "UPDATE devices SET last_seen = $2 WHERE id = $1",
                         seen, 2, NULL);
    }
    if (err == TK_OK && out_id != NULL)
        *out_id = id;
    return err;
}

static tk_err attestation_record_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_err err = tk_store_insert_attestation(tx, a->in, a->out_id);
    if (err == TK_OK && a->extra != NULL)
        err = tk_store_insert_audit(tx, a->extra, NULL);
    return err;
}

bool tk_store_audit_ok(const tk_store_audit *e)
{
    return e->actor != NULL && e->action != NULL;
}

tk_err tk_store_attestation_record(tk_store *store,
                                   const tk_store_attestation *result,
                                   const tk_store_audit *audit, int64_t *id,
                                   tk_store_detail *detail)
{
    if (store == NULL || result == NULL ||
        (audit != NULL && !tk_store_audit_ok(audit)))
        return tk_store_invalid(store, TK_STORE_OP_ATTESTATION_RECORD, detail,
                                "result is NULL, or the audit entry has no "
                                "actor or action");
    tk_store_args a = {.in = result, .extra = audit, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_ATTESTATION_RECORD, TK_DB_WRITE,
                        attestation_record_body, &a, NULL, detail);
}

static tk_err attestation_latest_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_int(a->id)};
    bool found;
    tk_err err = tk_db_read_one(tx,
                                ATTESTATION_SELECT " WHERE device_id = $1 "
                                "ORDER BY id DESC LIMIT 1",
                                params, 1, read_attestation, a->out, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device %" PRId64 " has no attestation result",
                             a->id);
    return err;
}

tk_err tk_store_attestation_latest(tk_store *store, int64_t device_id,
                                   tk_store_mem *mem,
                                   tk_store_attestation *out,
                                   tk_store_detail *detail)
{
    tk_store_args a = {.id = device_id, .out = out};
    return tk_store_run_read(store, TK_STORE_OP_ATTESTATION_LATEST,
                             attestation_latest_body, &a, 0, mem, detail);
}

static const tk_db_list attestation_list = {
    .select = ATTESTATION_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_attestation),
    .read = read_attestation,
};

tk_err tk_store_attestation_list(tk_store *store, int64_t device_id,
                                 const tk_store_page *page, tk_store_mem *mem,
                                 tk_store_attestations *out,
                                 tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_ATTESTATION_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = attestation_list;
    tk_db_list_filter_id(&list, "device_id", device_id);
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_ATTESTATION_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Audit log ---------------------------------------------------------- */

#define AUDIT_SELECT                                                        \
    "SELECT id, created, actor, action, object, detail FROM audit_log"

static tk_err read_audit(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    tk_store_audit *e = item;
    e->id = tk_db_col_int(tx, rows, 0);
    e->time = tk_db_col_int(tx, rows, 1);
    tk_err err = tk_db_col_text(tx, rows, 2, &e->actor);
    if (err == TK_OK)
        err = tk_db_col_text(tx, rows, 3, &e->action);
    if (err == TK_OK)
        err = tk_db_col_text(tx, rows, 4, &e->object);
    if (err == TK_OK)
        err = tk_db_col_text(tx, rows, 5, &e->detail);
    return err;
}

static tk_err audit_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    return tk_store_insert_audit(tx, a->in, a->out_id);
}

tk_err tk_store_audit_add(tk_store *store, const tk_store_audit *entry,
                          int64_t *id, tk_store_detail *detail)
{
    if (store == NULL || entry == NULL || !tk_store_audit_ok(entry))
        return tk_store_invalid(store, TK_STORE_OP_AUDIT_ADD, detail,
                                "entry, actor or action is NULL");
    tk_store_args a = {.in = entry, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_AUDIT_ADD, TK_DB_WRITE,
                        audit_add_body, &a, NULL, detail);
}

static const tk_db_list audit_list = {
    .select = AUDIT_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_audit),
    .read = read_audit,
};

tk_err tk_store_audit_list(tk_store *store, const char *object,
                           const tk_store_page *page, tk_store_mem *mem,
                           tk_store_audits *out, tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_AUDIT_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = audit_list;
    if (object != NULL)
        tk_db_list_filter(&list, "object", tk_db_text(object));
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_AUDIT_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- SUIT reports ------------------------------------------------------- */

#define REPORT_SELECT                                                       \
    "SELECT id, device_id, session_id, token, item, result, report, "      \
    "created FROM reports"

static tk_err read_report(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    tk_store_report *r = item;
    r->id = tk_db_col_int(tx, rows, 0);
    r->device_id = tk_db_col_int(tx, rows, 1);
    r->session_id = tk_db_col_int(tx, rows, 2);
    r->item = (uint32_t)tk_db_col_int(tx, rows, 4);
    r->result = (int32_t)tk_db_col_int(tx, rows, 5);
    r->created = tk_db_col_int(tx, rows, 7);
    tk_err err = tk_db_col_view(tx, rows, 3, &r->token);
    if (err == TK_OK)
        err = tk_db_col_view(tx, rows, 6, &r->report);
    return err;
}

static const tk_store_table report_table = {
    .entity = "report",
    .get = REPORT_SELECT " WHERE id = $1",
    .read = read_report,
};

static bool same_bytes(tk_view a, tk_view b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Compares a submission with the stored report of the same key, which the
 * conflict of the insert proved to exist. */
static tk_err compare_stored_report(tk_store_tx *tx, const tk_store_report *r,
                                    int64_t *id)
{
    const tk_db_val key[] = {tk_db_int(r->session_id), tk_db_blob(r->token),
                             tk_db_int((int64_t)r->item)};
    tk_db_rows rows;
    tk_err err = tk_db_query(tx,
                             "SELECT id, device_id, result, report "
                             "FROM reports WHERE session_id = $1 "
                             "AND token = $2 AND item = $3",
                             key, 3, &rows);
    if (err != TK_OK)
        return err;
    bool has_row;
    err = tk_db_next(tx, &rows, &has_row);
    if (err == TK_OK && !has_row)
        err = tk_store_fail(tx, TK_ERR_INTERNAL,
                            "report insert conflicted but no report matches");
    if (err == TK_OK) {
        *id = tk_db_col_int(tx, &rows, 0);
        bool same = tk_db_col_int(tx, &rows, 1) == r->device_id &&
                    tk_db_col_int(tx, &rows, 2) == r->result &&
                    same_bytes(tx->driver->column_bytes(&rows, 3), r->report);
        if (!same)
            err = tk_store_fail(tx, TK_ERR_STORE_CONFLICT,
                                "report %" PRIu32 " of session %" PRId64
                                " is already stored (id %" PRId64
                                ") with a different device, result or "
                                "content",
                                r->item, r->session_id, *id);
    }
    tk_db_done(tx, &rows);
    return err;
}

tk_err tk_store_insert_report(tk_store_tx *tx, const tk_store_report *r,
                              int64_t *out_id, bool *inserted)
{
    const tk_db_val params[] = {
        tk_db_int(r->device_id),     tk_db_int(r->session_id),
        tk_db_blob(r->token),        tk_db_int((int64_t)r->item),
        tk_db_int(r->result),        tk_db_blob(r->report),
        tk_db_int(tx->now),
    };
    /* A report stored before adds no row, and the id stays 0. */
    int64_t id = 0;
    tk_err err = TK_DB_INSERT_ID(tx,
                                 "INSERT INTO reports (device_id, session_id, "
                                 "token, item, result, report, created) "
                                 "VALUES ($1, $2, $3, $4, $5, $6, $7) "
                                 "ON CONFLICT (session_id, token, item) "
                                 "DO NOTHING",
                                 params, 7, &id);
    bool found = id != 0;
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err,
                             "device %" PRId64 " or session %" PRId64
                             " not found",
                             r->device_id, r->session_id);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "report %" PRIu32 " of session "
                                          "%" PRId64,
                                 r->item, r->session_id);
    if (!found)
        err = compare_stored_report(tx, r, &id);
    if (err == TK_OK) {
        *out_id = id;
        *inserted = found;
    }
    return err;
}

static tk_err report_insert_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    return tk_store_insert_report(tx, a->in, a->out_id, a->out_flag);
}

tk_err tk_store_report_insert(tk_store *store, const tk_store_report *report,
                              int64_t *id, bool *inserted,
                              tk_store_detail *detail)
{
    if (store == NULL || report == NULL || !tk_store_view_ok(report->token) ||
        !tk_store_view_ok(report->report))
        return tk_store_invalid(store, TK_STORE_OP_REPORT_INSERT, detail,
                                "store or report is NULL");
    int64_t id_scratch;
    bool inserted_scratch;
    tk_store_args a = {.in = report,
                       .out_id = id != NULL ? id : &id_scratch,
                       .out_flag = inserted != NULL ? inserted
                                                    : &inserted_scratch};
    return tk_store_run(store, TK_STORE_OP_REPORT_INSERT, TK_DB_WRITE,
                        report_insert_body, &a, NULL, detail);
}

tk_err tk_store_report_get(tk_store *store, int64_t id, tk_store_mem *mem,
                           tk_store_report *out, tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_REPORT_GET, &report_table, id,
                            mem, out, detail);
}

static const tk_db_list report_list = {
    .select = REPORT_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_report),
    .read = read_report,
};

tk_err tk_store_report_list(tk_store *store, int64_t device_id,
                            int64_t session_id, const tk_store_page *page,
                            tk_store_mem *mem, tk_store_reports *out,
                            tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_REPORT_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = report_list;
    tk_db_list_filter_id(&list, "device_id", device_id);
    tk_db_list_filter_id(&list, "session_id", session_id);
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_REPORT_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Counters ----------------------------------------------------------- */

static tk_err counter_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_text(a->text), tk_db_int(a->filter[0])};
    int64_t value = 0;
    bool found;
    tk_err err = tk_db_query_int(tx,
                                 "INSERT INTO counters (name, value) "
                                 "VALUES ($1, $2) ON CONFLICT (name) "
                                 "DO UPDATE SET value = counters.value + "
                                 "excluded.value RETURNING value",
                                 params, 2, &value, &found);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "counter \"%.64s\"", a->text);
    if (a->out_id != NULL)
        *a->out_id = value;
    return TK_OK;
}

tk_err tk_store_counter_add(tk_store *store, const char *name, int64_t delta,
                            int64_t *value, tk_store_detail *detail)
{
    if (store == NULL || name == NULL)
        return tk_store_invalid(store, TK_STORE_OP_COUNTER_ADD, detail,
                                "store or name is NULL");
    tk_store_args a = {.text = name, .filter = {delta, 0}, .out_id = value};
    return tk_store_run(store, TK_STORE_OP_COUNTER_ADD, TK_DB_WRITE,
                        counter_add_body, &a, NULL, detail);
}

static tk_err read_counter(tk_store_tx *tx, const tk_db_rows *rows,
                           void *item)
{
    tk_store_counter *c = item;
    c->value = tk_db_col_int(tx, rows, 1);
    return tk_db_col_text(tx, rows, 0, &c->name);
}

static int compare_counters(const void *a, const void *b)
{
    return strcmp(((const tk_store_counter *)a)->name,
                  ((const tk_store_counter *)b)->name);
}

static tk_err counter_list_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_store_counters *out = a->out;
    const void *items;
    tk_err err = tk_db_read_all(tx, "SELECT name, value FROM counters", NULL,
                                0, sizeof(tk_store_counter), read_counter,
                                TK_STORE_MAX_COUNTERS, "counters", &items,
                                &out->count);
    /* Sorted here in byte order: a PostgreSQL ORDER BY would follow the
     * database's collation, which differs between installations. The
     * array lives in tx->mem. */
    if (err == TK_OK && out->count > 1)
        qsort((void *)items, out->count, sizeof(tk_store_counter),
              compare_counters);
    out->items = items;
    return err;
}

tk_err tk_store_counter_list(tk_store *store, tk_store_mem *mem,
                             tk_store_counters *out, tk_store_detail *detail)
{
    tk_store_args a = {.out = out};
    return tk_store_run_read(store, TK_STORE_OP_COUNTER_LIST, counter_list_body,
                             &a, sizeof *out, mem, detail);
}

/* ---- Summary ------------------------------------------------------------ */

/* Runs "SELECT key, count(*) ... GROUP BY key" into counts[key]; keys
 * outside 0..n-1 are ignored. */
static tk_err count_by(tk_store_tx *tx, const char *sql, int64_t *counts,
                       size_t n)
{
    tk_db_rows rows;
    tk_err err = tk_db_query(tx, sql, NULL, 0, &rows);
    if (err != TK_OK)
        return err;
    for (;;) {
        bool has_row;
        err = tk_db_next(tx, &rows, &has_row);
        if (err != TK_OK || !has_row)
            break;
        int64_t key = tk_db_col_int(tx, &rows, 0);
        if (key >= 0 && (uint64_t)key < n)
            counts[key] = tk_db_col_int(tx, &rows, 1);
    }
    tk_db_done(tx, &rows);
    return err;
}

static tk_err count_rows(tk_store_tx *tx, const char *sql, int64_t *out)
{
    const tk_db_val params[] = {tk_db_int(tx->now)};
    bool found;
    /* The parameter is bound only where sql names $1. */
    size_t count = strchr(sql, '$') != NULL ? 1 : 0;
    return tk_db_query_int(tx, sql, params, count, out, &found);
}

/* NOTE: count(*) reads whole tables in PostgreSQL, so the summary costs
 * time in proportion to the fleet's size. */
static tk_err summary_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_store_summary *s = a->out;
    memset(s, 0, sizeof *s);
    tk_err err = count_by(tx,
                          "SELECT state, count(*) FROM devices "
                          "GROUP BY state",
                          s->devices, 4);
    if (err == TK_OK)
        err = count_by(tx,
                       "SELECT verdict, count(*) FROM attestation_results "
                       "GROUP BY verdict",
                       s->attestations, 5);
    const struct {
        const char *sql;
        int64_t *out;
    } counts[] = {
        {"SELECT count(*) FROM device_classes", &s->classes},
        {"SELECT count(*) FROM components", &s->components},
        {"SELECT count(*) FROM component_versions", &s->versions},
        {"SELECT count(*) FROM policy", &s->policies},
        {"SELECT count(*) FROM sessions WHERE expires > $1",
         &s->open_sessions},
        {"SELECT count(*) FROM reports WHERE result = 0", &s->reports_ok},
        {"SELECT count(*) FROM reports WHERE result <> 0",
         &s->reports_failed},
        {"SELECT count(*) FROM audit_log", &s->audit_entries},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0] && err == TK_OK;
         i++)
        err = count_rows(tx, counts[i].sql, counts[i].out);
    return err;
}

tk_err tk_store_summary_get(tk_store *store, tk_store_summary *out,
                            tk_store_detail *detail)
{
    if (store == NULL || out == NULL)
        return tk_store_invalid(store, TK_STORE_OP_SUMMARY, detail,
                                "store or out is NULL");
    tk_store_args a = {.out = out};
    return tk_store_run(store, TK_STORE_OP_SUMMARY, TK_DB_READ, summary_body,
                        &a, NULL, detail);
}
