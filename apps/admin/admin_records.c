/*
 * Records of the TAM workers: /api/v1/attestations, /api/v1/reports,
 * /api/v1/audit, and the fleet overview /api/v1/summary.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <string.h>

#include "admin_internal.h"

#ifndef TK_VERSION
#define TK_VERSION "unknown"
#endif

/* Reads ?device=UEID into *device_id (0 when absent). Sends the error and
 * returns false for an unknown device. */
static bool device_filter(admin_call *call, int64_t *device_id)
{
    *device_id = 0;
    const char *ueid = tk_net_request_query(call->req, "device");
    if (ueid == NULL)
        return true;
    tk_store_device d;
    if (!admin_find_device(call, ueid, &d))
        return false;
    *device_id = d.id;
    return true;
}

/* Allows only GET on a collection; sends 405 otherwise. */
static bool only_get(admin_call *call)
{
    if (call->method == TK_NET_GET)
        return true;
    admin_method_not_allowed(call, "GET, HEAD");
    return false;
}

tk_err admin_summary(admin_call *call)
{
    if (call->nseg != 1)
        return admin_error(call, 404, "not_found",
                           "no API resource at %.200s", call->req->path);
    if (!only_get(call))
        return TK_OK;
    tk_store_summary s;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_summary_get(call->admin->store, &s, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *o = tk_admin_json_summary(&s);
    tk_tam_stats stats;
    tk_tam_stats_get(call->admin->tam, &stats);
    json_t *worker = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "requests",
        (json_int_t)stats.requests, "sessions_started",
        (json_int_t)stats.sessions_started, "updates_sent",
        (json_int_t)stats.updates_sent, "sessions_done",
        (json_int_t)stats.done, "rejected", (json_int_t)stats.rejected,
        "attestation_failed", (json_int_t)stats.attestation_failed,
        "internal_errors", (json_int_t)stats.internal_errors, "store",
        tk_store_backend(call->admin->store), "version", TK_VERSION);
    if (o != NULL && worker != NULL)
        json_object_set_new(o, "worker", worker);
    else
        json_decref(worker);
    return admin_reply(call, 200, o);
}

tk_err admin_attestations(admin_call *call)
{
    if (call->nseg != 1)
        return admin_error(call, 404, "not_found",
                           "no API resource at %.200s", call->req->path);
    tk_store_page page;
    int64_t device = 0;
    if (!only_get(call) || !admin_page(call, &page) ||
        !device_filter(call, &device))
        return TK_OK;
    tk_store_attestations list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_attestation_list(call->admin->store, device, &page,
                                           &call->mem, &list, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++)
        json_array_append_new(items,
                              tk_admin_json_attestation(&list.items[i]));
    return admin_reply_list(call, items, list.next);
}

static tk_err report_show(admin_call *call, const char *id_text)
{
    int64_t id = 0;
    if (!admin_parse_id(id_text, &id))
        return admin_error(call, 400, "invalid_request",
                           "report '%.40s' is not a report number", id_text);
    tk_store_report r;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_report_get(call->admin->store, id, &call->mem, &r,
                                     &detail);
    if (err == TK_ERR_STORE_NOT_FOUND)
        return admin_error(call, 404, "not_found",
                           "no SUIT report has the number %" PRId64, id);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    return admin_reply(call, 200, tk_admin_json_report(&r, true));
}

tk_err admin_reports(admin_call *call)
{
    if (call->nseg > 2)
        return admin_error(call, 404, "not_found",
                           "no API resource at %.200s", call->req->path);
    if (!only_get(call))
        return TK_OK;
    if (call->nseg == 2)
        return report_show(call, call->seg[1]);
    tk_store_page page;
    int64_t device = 0;
    if (!admin_page(call, &page) || !device_filter(call, &device))
        return TK_OK;
    int64_t session = 0;
    const char *session_text = tk_net_request_query(call->req, "session");
    if (session_text != NULL && !admin_parse_id(session_text, &session))
        return admin_error(call, 400, "invalid_request",
                           "session '%.40s' is not a session number",
                           session_text);
    tk_store_reports list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_report_list(call->admin->store, device, session,
                                      &page, &call->mem, &list, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++)
        json_array_append_new(items,
                              tk_admin_json_report(&list.items[i], false));
    return admin_reply_list(call, items, list.next);
}

tk_err admin_audit(admin_call *call)
{
    if (call->nseg != 1)
        return admin_error(call, 404, "not_found",
                           "no API resource at %.200s", call->req->path);
    tk_store_page page;
    if (!only_get(call) || !admin_page(call, &page))
        return TK_OK;
    const char *object = tk_net_request_query(call->req, "object");
    tk_store_audits list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_audit_list(call->admin->store, object, &page,
                                     &call->mem, &list, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++)
        json_array_append_new(items, tk_admin_json_audit(&list.items[i]));
    return admin_reply_list(call, items, list.next);
}
