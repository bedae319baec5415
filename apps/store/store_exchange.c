/*
 * Exchanges: everything one TEEP message changes in the store in one write
 * transaction. That is the message's token (consumed, or recorded as used
 * when it is self-authenticating), the attestation result, the installed
 * state, SUIT reports, audit entries and the session of the reply.
 *
 * Separate transactions would each pay a COMMIT (and, on SQLite with
 * synchronous=FULL, an fsync). One transaction per message is cheaper,
 * and it removes the states in between: a message either took effect
 * completely, its token consumed, or not at all.
 */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/* Action of the audit entry written when a device is activated. */
#define ACTIVATE_ACTION "device.update"

/* Moves a pending device to active; *changed is true when it was
 * pending. */
static tk_err activate(tk_store_tx *tx, const tk_store_exchange *x,
                       bool *changed)
{
    const tk_db_val params[] = {tk_db_int(x->device_id),
                                tk_db_int(TK_STORE_DEVICE_ACTIVE),
                                tk_db_int(TK_STORE_DEVICE_PENDING)};
    int64_t changes = 0;
    tk_err err = tk_db_exec(tx,
                            "UPDATE devices SET state = $2 "
                            "WHERE id = $1 AND state = $3",
                            params, 3, &changes);
    *changed = err == TK_OK && changes > 0;
    if (err != TK_OK || !*changed)
        return err;
    char object[TK_STORE_OBJECT_MAX];
    char text[48];
    tk_store_object_name(object, "device", x->device_id);
    snprintf(text, sizeof text, "state=%d (first affirming attestation)",
             (int)TK_STORE_DEVICE_ACTIVE);
    return tk_store_audit_write(tx, x->actor, ACTIVATE_ACTION, object, text);
}

static tk_err apply_installed(tk_store_tx *tx, const tk_store_exchange *x)
{
    tk_err err = TK_OK;
    /* exchange_body() locked the device when it names one. */
    if (x->replace_installed && x->device_id != 0)
        err = tk_store_replace_installed_locked(tx, x->device_id, x->installed,
                                                x->installed_count);
    else if (x->replace_installed)
        err = tk_store_replace_installed(tx, x->device_id, x->installed,
                                         x->installed_count);
    for (size_t i = 0; err == TK_OK && i < x->installed_set_count; i++)
        err = tk_store_upsert_installed(tx, x->device_id,
                                        &x->installed_set[i]);
    for (size_t i = 0; err == TK_OK && i < x->installed_remove_count; i++)
        err = tk_store_remove_installed(tx, x->device_id,
                                        x->installed_remove[i], NULL);
    return err;
}

static tk_err exchange_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_exchange *x = a->in;
    tk_store_exchange_result *out = a->out;
    memset(out, 0, sizeof *out);
    tk_err err = TK_OK;
    /* The device's row lock orders the exchanges of one device (on
     * PostgreSQL, where they run at READ COMMITTED); exchanges of other
     * devices do not wait. Then the token: of two workers racing on it,
     * the loser stops there before it writes anything. */
    if (x->device_id != 0)
        err = tk_store_lock_device(tx, x->device_id);
    if (err == TK_OK && x->token.len > 0 && x->session_id != 0) {
        err = tk_store_consume_session_token(tx, x->token, x->session_id);
        out->session_id = x->session_id;
    } else if (err == TK_OK && x->token.len > 0) {
        err = tk_store_consume_token(tx, TK_STORE_TOKEN, x->token,
                                     &out->session_id);
    }
    if (err == TK_OK && x->used_digest.len > 0)
        err = tk_store_record_used(tx, x->used_digest, x->used_expires);
    if (err == TK_OK && x->activate_device)
        err = activate(tx, x, &out->activated);
    /* The new session comes before the attestation result, which belongs
     * to it when the result names no session. */
    if (err == TK_OK && x->create != NULL)
        err = tk_store_create_session(tx, x->create, x->create_token,
                                      &out->created_session);
    if (err == TK_OK && x->attestation != NULL) {
        tk_store_attestation result = *x->attestation;
        if (result.session_id == 0)
            result.session_id = out->created_session;
        err = tk_store_insert_attestation(tx, &result, &out->attestation_id);
    }
    if (err == TK_OK)
        err = apply_installed(tx, x);
    for (size_t i = 0; err == TK_OK && i < x->report_count; i++) {
        int64_t id = 0;
        bool inserted = false;
        err = tk_store_insert_report(tx, &x->reports[i], &id, &inserted);
        if (inserted)
            out->reports_inserted++;
    }
    for (size_t i = 0; err == TK_OK && i < x->audit_count; i++)
        err = tk_store_insert_audit(tx, &x->audit[i], NULL);
    if (err == TK_OK && x->update != NULL)
        err = tk_store_change_session(tx, x->update);
    return err;
}

/* Checks the pointers of x that come before any list is read; returns a
 * description of the first problem, or NULL. */
static const char *invalid_shape(const tk_store_exchange *x)
{
    if (!tk_store_view_ok(x->token) || !tk_store_view_ok(x->create_token) ||
        !tk_store_view_ok(x->used_digest))
        return "a token view is NULL";
    if (x->token.len > 0 && x->used_digest.len > 0)
        return "both token and used_digest are set";
    if (x->used_digest.len > 0 && x->used_digest.len != TK_STORE_DIGEST_LEN)
        return "used_digest is not a SHA-256 digest (32 bytes)";
    if ((x->installed == NULL && x->installed_count > 0) ||
        (x->installed_set == NULL && x->installed_set_count > 0) ||
        (x->installed_remove == NULL && x->installed_remove_count > 0) ||
        (x->reports == NULL && x->report_count > 0) ||
        (x->audit == NULL && x->audit_count > 0))
        return "a list is NULL but has entries";
    if (x->update != NULL && x->create != NULL)
        return "both update and create are set";
    if (x->activate_device && x->device_id == 0)
        return "activate_device without device_id";
    return NULL;
}

/* Checks the entries of the lists of x, whose counts are within their
 * limits; returns a description of the first problem, or NULL. */
static const char *invalid_part(const tk_store_exchange *x)
{
    for (size_t i = 0; i < x->installed_count; i++)
        if (!tk_store_installed_ok(&x->installed[i]))
            return "an installed entry has a NULL view or a sequence number "
                   "above INT64_MAX";
    for (size_t i = 0; i < x->installed_set_count; i++)
        if (!tk_store_installed_ok(&x->installed_set[i]))
            return "an installed entry has a NULL view or a sequence number "
                   "above INT64_MAX";
    for (size_t i = 0; i < x->installed_remove_count; i++)
        if (!tk_store_view_ok(x->installed_remove[i]))
            return "a removed component identifier is NULL";
    for (size_t i = 0; i < x->report_count; i++)
        if (!tk_store_view_ok(x->reports[i].token) ||
            !tk_store_view_ok(x->reports[i].report))
            return "a report has a NULL view";
    for (size_t i = 0; i < x->audit_count; i++)
        if (!tk_store_audit_ok(&x->audit[i]))
            return "an audit entry has no actor or action";
    if (x->attestation != NULL && x->attestation->verdict == 0)
        return "the attestation result has no verdict";
    const tk_store_session_change *u = x->update;
    if (u != NULL && (!tk_store_view_ok(u->context) ||
                      !tk_store_view_ok(u->next_token)))
        return "the session change has a NULL view";
    const tk_store_session *c = x->create;
    if (c != NULL && (!tk_store_view_ok(c->challenge) ||
                      !tk_store_view_ok(c->context)))
        return "the new session has a NULL view";
    return NULL;
}

/* Returns the name of the first list above its limit, or NULL. */
static const char *oversized_part(const tk_store_exchange *x, size_t *limit)
{
    *limit = TK_STORE_MAX_INSTALLED;
    if (x->installed_count > TK_STORE_MAX_INSTALLED)
        return "installed entries";
    *limit = TK_STORE_MAX_EXCHANGE_ITEMS;
    if (x->installed_set_count > TK_STORE_MAX_EXCHANGE_ITEMS)
        return "installed entries set";
    if (x->installed_remove_count > TK_STORE_MAX_EXCHANGE_ITEMS)
        return "installed entries removed";
    if (x->report_count > TK_STORE_MAX_EXCHANGE_ITEMS)
        return "reports";
    if (x->audit_count > TK_STORE_MAX_EXCHANGE_ITEMS)
        return "audit entries";
    return NULL;
}

tk_err tk_store_exchange_record(tk_store *store,
                                const tk_store_exchange *exchange,
                                tk_store_exchange_result *out,
                                tk_store_detail *detail)
{
    if (store == NULL || exchange == NULL)
        return tk_store_invalid(store, TK_STORE_OP_EXCHANGE, detail,
                                "store or exchange is NULL");
    const char *problem = invalid_shape(exchange);
    if (problem != NULL)
        return tk_store_invalid(store, TK_STORE_OP_EXCHANGE, detail,
                                problem);
    size_t limit = 0;
    const char *list = oversized_part(exchange, &limit);
    if (list != NULL) {
        tk_store_set_detail(detail,
                            "exchange: more than %zu %s; raise "
                            "TK_STORE_MAX_INSTALLED or "
                            "TK_STORE_MAX_EXCHANGE_ITEMS",
                            limit, list);
        return tk_store_limit(store, TK_STORE_OP_EXCHANGE);
    }
    problem = invalid_part(exchange);
    if (problem != NULL)
        return tk_store_invalid(store, TK_STORE_OP_EXCHANGE, detail,
                                problem);
    tk_store_exchange_result scratch;
    tk_store_args a = {.in = exchange, .out = out != NULL ? out : &scratch};
    return tk_store_run(store, TK_STORE_OP_EXCHANGE, TK_DB_WRITE_LOCKED,
                        exchange_body, &a, NULL, detail);
}
