/*
 * Session operations of the TAM store: sessions, single-use tokens and
 * challenges, purging, the installed state of devices and plans.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/* ---- Sessions ----------------------------------------------------------- */

#define SESSION_SELECT                                                      \
    "SELECT id, device_id, state, challenge, context, created, updated, "  \
    "expires FROM sessions"

/* Reads the columns of SESSION_SELECT, which start at column first of the
 * row, into s. */
static tk_err read_session_at(tk_store_tx *tx, const tk_db_rows *rows,
                              int first, tk_store_session *s)
{
    s->id = tk_db_col_int(tx, rows, first);
    s->device_id = tk_db_col_int(tx, rows, first + 1);
    s->state = (int32_t)tk_db_col_int(tx, rows, first + 2);
    s->created = tk_db_col_int(tx, rows, first + 5);
    s->updated = tk_db_col_int(tx, rows, first + 6);
    s->expires = tk_db_col_int(tx, rows, first + 7);
    tk_err err = tk_db_col_view(tx, rows, first + 3, &s->challenge);
    if (err == TK_OK)
        err = tk_db_col_view(tx, rows, first + 4, &s->context);
    return err;
}

static tk_err read_session(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    return read_session_at(tx, rows, 0, item);
}

static const tk_store_table session_table = {
    .entity = "session",
    .get = SESSION_SELECT " WHERE id = $1",
    .read = read_session,
};

static const char *token_kind_name(int kind)
{
    return kind == TK_STORE_CHALLENGE ? "challenge" : "token";
}

/* Fails with the error of a single-use value of kind and len bytes that
 * was never issued, was used or expired, checked in this order. Returns
 * TK_OK when none of these holds. */
static tk_err token_error(tk_store_tx *tx, int kind, size_t len, bool issued,
                          bool used, bool expired)
{
    const char *name = token_kind_name(kind);
    if (!issued)
        return tk_store_fail(tx, TK_ERR_STORE_TOKEN_UNKNOWN,
                             "this %s (%zu bytes) was never issued", name, len);
    if (used)
        return tk_store_fail(tx, TK_ERR_STORE_TOKEN_USED,
                             "this %s (%zu bytes) was already used", name, len);
    if (expired)
        return tk_store_fail(tx, TK_ERR_STORE_TOKEN_EXPIRED,
                             "this %s (%zu bytes) has expired", name, len);
    return TK_OK;
}

tk_err tk_store_query_token(tk_store_tx *tx, const char *sql, int kind,
                            tk_view value, tk_db_rows *rows)
{
    const tk_db_val params[] = {tk_db_int(kind), tk_db_blob(value)};
    tk_err err = tk_db_query(tx, sql, params, 2, rows);
    if (err != TK_OK)
        return err;
    bool has_row = false;
    err = tk_db_next(tx, rows, &has_row);
    if (err == TK_OK) {
        bool used = has_row && tk_db_col_int(tx, rows, 0) != 0;
        bool expired = has_row && tk_db_col_int(tx, rows, 1) <= tx->now;
        err = token_error(tx, kind, value.len, has_row, used, expired);
    }
    if (err != TK_OK)
        tk_db_done(tx, rows);
    return err;
}

/* Inserts a single-use value of session_id. */
static tk_err insert_token(tk_store_tx *tx, int64_t session_id, int kind,
                           tk_view value, int64_t expires)
{
    const tk_db_val params[] = {
        tk_db_int(kind),       tk_db_blob(value), tk_db_int(session_id),
        tk_db_int(tx->now),    tk_db_int(expires),
    };
    tk_err err = tk_db_exec(tx,
                            "INSERT INTO tokens (kind, value, session_id, "
                            "created, expires, consumed) "
                            "VALUES ($1, $2, $3, $4, $5, false)",
                            params, 5, NULL);
    const char *name = token_kind_name(kind);
    if (err == TK_ERR_STORE_DUPLICATE)
        return tk_store_fail(tx, err, "this %s (%zu bytes) was already "
                                      "issued; generate a fresh one",
                             name, value.len);
    if (err == TK_ERR_STORE_CONSTRAINT)
        return tk_store_fail(tx, err, "a %s of %zu bytes is outside the "
                                      "allowed size (token 8..64, "
                                      "challenge 8..512)",
                             name, value.len);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err, "session %" PRId64 " not found",
                             session_id);
    return err;
}

tk_err tk_store_create_session(tk_store_tx *tx, const tk_store_session *s,
                               tk_view token, int64_t *out_id)
{
    const tk_db_val params[] = {
        tk_db_ref(s->device_id),         tk_db_int(s->state),
        tk_db_blob_or_null(s->challenge), tk_db_blob_or_null(s->context),
        tk_db_int(tx->now),              tk_db_int(s->expires),
    };
    int64_t id = 0;
    tk_err err = TK_DB_INSERT_ID(tx,
                                 "INSERT INTO sessions (device_id, state, "
                                 "challenge, context, created, updated, "
                                 "expires) VALUES ($1, $2, $3, $4, $5, $5, "
                                 "$6)",
                                 params, 6, &id);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err, "device %" PRId64 " not found",
                             s->device_id);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "session");
    if (token.len > 0)
        err = insert_token(tx, id, TK_STORE_TOKEN, token, s->expires);
    if (err == TK_OK && s->challenge.len > 0)
        err = insert_token(tx, id, TK_STORE_CHALLENGE, s->challenge,
                           s->expires);
    if (err == TK_OK && out_id != NULL)
        *out_id = id;
    return err;
}

static tk_err session_create_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    return tk_store_create_session(tx, a->in, a->bytes, a->out_id);
}

tk_err tk_store_session_create(tk_store *store,
                               const tk_store_session *session,
                               tk_view token, int64_t *id,
                               tk_store_detail *detail)
{
    if (store == NULL || session == NULL || !tk_store_view_ok(token) ||
        !tk_store_view_ok(session->challenge) ||
        !tk_store_view_ok(session->context))
        return tk_store_invalid(store, TK_STORE_OP_SESSION_CREATE, detail,
                                "store or session is NULL");
    tk_store_args a = {.in = session, .bytes = token, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_SESSION_CREATE, TK_DB_WRITE,
                        session_create_body, &a, NULL, detail);
}

tk_err tk_store_session_get(tk_store *store, int64_t id, tk_store_mem *mem,
                            tk_store_session *out, tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_SESSION_GET, &session_table, id,
                            mem, out, detail);
}

#define SESSION_UPDATE                                                      \
    "UPDATE sessions SET state = $2, "                                     \
    "device_id = COALESCE($3, device_id), "                                \
    "context = CASE WHEN $4 = 1 THEN $5 ELSE context END, "                \
    "expires = CASE WHEN $6 = 0 THEN expires ELSE $6 END, "                \
    "updated = $7 "

tk_err tk_store_change_session(tk_store_tx *tx,
                               const tk_store_session_change *c)
{
    const tk_db_val id_param[] = {tk_db_int(c->id)};
    bool found;
    bool any = c->expected_state == TK_STORE_ANY_STATE;
    const tk_db_val params[] = {
        tk_db_int(c->id),       tk_db_int(c->state),
        tk_db_ref(c->device_id), tk_db_int(c->set_context ? 1 : 0),
        tk_db_blob_or_null(c->context), tk_db_int(c->expires),
        tk_db_int(tx->now),     tk_db_int(c->expected_state),
    };
    /* The UPDATE itself checks the state, so the check is atomic at any
     * isolation level. A racing change of the state makes this UPDATE
     * match no row. */
    int64_t changes = 0;
    tk_err err = tk_db_exec(
        tx,
        any ? SESSION_UPDATE "WHERE id = $1"
            : SESSION_UPDATE "WHERE id = $1 AND state = $8",
        params, any ? 7 : 8, &changes);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err, "device %" PRId64 " not found",
                             c->device_id);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "session %" PRId64, c->id);
    if (changes == 0) {
        int64_t state = 0;
        err = tk_db_query_int(tx, "SELECT state FROM sessions WHERE id = $1",
                              id_param, 1, &state, &found);
        if (err != TK_OK)
            return err;
        if (!found)
            return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                                 "session %" PRId64 " not found", c->id);
        return tk_store_fail(tx, TK_ERR_STORE_CONFLICT,
                             "session %" PRId64 " is in state %" PRId64
                             ", not the expected %" PRId32,
                             c->id, state, c->expected_state);
    }
    if (c->next_token.len == 0)
        return TK_OK;
    /* The token expires with the session: its new expiry when the change
     * sets one, else the stored one. */
    int64_t expires = c->next_token_expires;
    if (expires == 0)
        expires = c->expires;
    if (expires == 0) {
        err = tk_db_query_int(tx, "SELECT expires FROM sessions WHERE id = $1",
                              id_param, 1, &expires, &found);
        if (err != TK_OK)
            return err;
    }
    return insert_token(tx, c->id, TK_STORE_TOKEN, c->next_token, expires);
}

static tk_err session_update_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    return tk_store_change_session(tx, a->in);
}

tk_err tk_store_session_update(tk_store *store,
                               const tk_store_session_change *change,
                               tk_store_detail *detail)
{
    if (store == NULL || change == NULL ||
        !tk_store_view_ok(change->context) ||
        !tk_store_view_ok(change->next_token))
        return tk_store_invalid(store, TK_STORE_OP_SESSION_UPDATE, detail,
                                "store or change is NULL");
    tk_store_args a = {.in = change};
    return tk_store_run(store, TK_STORE_OP_SESSION_UPDATE, TK_DB_WRITE,
                        session_update_body, &a, NULL, detail);
}

static const tk_db_list session_list = {
    .select = SESSION_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_session),
    .read = read_session,
};

tk_err tk_store_session_list(tk_store *store, int64_t device_id,
                             const tk_store_page *page, tk_store_mem *mem,
                             tk_store_sessions *out, tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_SESSION_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = session_list;
    tk_db_list_filter_id(&list, "device_id", device_id);
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_SESSION_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Tokens ------------------------------------------------------------- */

static tk_err token_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    /* The tokens have no foreign key to the sessions (schema version 5),
     * so the session is checked here. A session deleted after the check
     * leaves a token that no check can match. */
    const tk_db_val params[] = {tk_db_int(a->id)};
    int64_t id = 0;
    bool found = false;
    tk_err err = tk_db_query_int(tx, "SELECT id FROM sessions WHERE id = $1",
                                 params, 1, &id, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_REFERENCE,
                             "session %" PRId64 " not found", a->id);
    if (err != TK_OK)
        return err;
    return insert_token(tx, a->id, a->kind, a->bytes, a->filter[0]);
}

tk_err tk_store_token_add(tk_store *store, int64_t session_id,
                          tk_store_token_kind kind, tk_view value,
                          int64_t expires, tk_store_detail *detail)
{
    if (store == NULL || !tk_store_view_ok(value))
        return tk_store_invalid(store, TK_STORE_OP_TOKEN_ADD, detail,
                                "store or value is NULL");
    if (kind != TK_STORE_TOKEN && kind != TK_STORE_CHALLENGE)
        return tk_store_invalid(store, TK_STORE_OP_TOKEN_ADD, detail,
                                "kind is neither token nor challenge");
    tk_store_args a = {.id = session_id, .kind = (int)kind, .bytes = value,
                       .filter = {expires, 0}};
    return tk_store_run(store, TK_STORE_OP_TOKEN_ADD, TK_DB_WRITE,
                        token_add_body, &a, NULL, detail);
}

/* Explains why a token could not be consumed. */
static tk_err token_failure(tk_store_tx *tx, int kind, tk_view value)
{
    const tk_db_val params[] = {tk_db_int(kind), tk_db_blob(value)};
    int64_t consumed = 0;
    bool found;
    tk_err err = tk_db_query_int(tx,
                                 "SELECT consumed FROM tokens "
                                 "WHERE kind = $1 AND value = $2",
                                 params, 2, &consumed, &found);
    if (err != TK_OK)
        return err;
    /* The UPDATE matched no row, so an issued value that is unused has
     * expired. */
    return token_error(tx, kind, value.len, found, consumed != 0, true);
}

tk_err tk_store_consume_token(tk_store_tx *tx, int kind, tk_view value,
                              int64_t *session_id)
{
    /* One statement checks and marks. In PostgreSQL a racing UPDATE waits
     * for the row lock and then fails to serialize (SERIALIZABLE), so its
     * retry reads consumed = true. SQLite runs one writer at a time. */
    const tk_db_val params[] = {tk_db_int(kind), tk_db_blob(value),
                                tk_db_int(tx->now)};
    bool found;
    tk_err err = tk_db_query_int(tx,
                                 "UPDATE tokens SET consumed = true, "
                                 "consumed_at = $3 "
                                 "WHERE kind = $1 AND value = $2 AND "
                                 "consumed = false AND expires > $3 "
                                 "RETURNING session_id",
                                 params, 3, session_id, &found);
    if (err != TK_OK)
        return err;
    if (!found)
        return token_failure(tx, kind, value);
    return TK_OK;
}

static tk_err token_consume_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    int64_t session_id = 0;
    tk_err err = tk_store_consume_token(tx, a->kind, a->bytes, &session_id);
    if (err != TK_OK)
        return err;
    err = tk_store_get_row(tx, &session_table, session_id, a->out);
    /* The session went with its device: the token matches nothing, as in
     * the token check, and the rollback leaves it unconsumed. */
    if (err == TK_ERR_STORE_NOT_FOUND)
        return tk_store_fail(tx, TK_ERR_STORE_TOKEN_UNKNOWN,
                             "the session of this %s (%zu bytes) was "
                             "deleted",
                             token_kind_name(a->kind), a->bytes.len);
    return err;
}

/* Checks the arguments of the token calls and runs body, the work of op,
 * in a transaction of tx_kind. */
static tk_err run_token_call(tk_store *store, tk_store_op op,
                             tk_db_tx_kind tx_kind, tk_store_body body,
                             tk_store_token_kind kind, tk_view value,
                             tk_store_mem *mem, tk_store_session *session,
                             tk_store_detail *detail)
{
    if (store == NULL || mem == NULL || session == NULL ||
        !tk_store_view_ok(value))
        return tk_store_invalid(store, op, detail,
                                "store, value, mem or session is NULL");
    tk_store_args a = {.kind = (int)kind, .bytes = value, .out = session};
    return tk_store_run(store, op, tx_kind, body, &a, mem, detail);
}

tk_err tk_store_token_consume(tk_store *store, tk_store_token_kind kind,
                              tk_view value, tk_store_mem *mem,
                              tk_store_session *session,
                              tk_store_detail *detail)
{
    return run_token_call(store, TK_STORE_OP_TOKEN_CONSUME, TK_DB_WRITE,
                          token_consume_body, kind, value, mem, session,
                          detail);
}

/* Reads the token and its session in one statement; the token's state
 * decides the error, in the order of token_failure(). */
static tk_err token_check_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_db_rows rows;
    tk_err err = tk_store_query_token(tx,
                                      "SELECT t.consumed, t.expires, s.id, "
                                      "s.device_id, s.state, s.challenge, "
                                      "s.context, s.created, s.updated, "
                                      "s.expires "
                                      "FROM tokens t JOIN sessions s "
                                      "ON s.id = t.session_id "
                                      "WHERE t.kind = $1 AND t.value = $2",
                                      a->kind, a->bytes, &rows);
    if (err != TK_OK)
        return err;
    err = read_session_at(tx, &rows, 2, a->out);
    tk_db_done(tx, &rows);
    return err;
}

tk_err tk_store_token_check(tk_store *store, tk_store_token_kind kind,
                            tk_view value, tk_store_mem *mem,
                            tk_store_session *session,
                            tk_store_detail *detail)
{
    return run_token_call(store, TK_STORE_OP_TOKEN_CHECK, TK_DB_READ,
                          token_check_body, kind, value, mem, session, detail);
}

static tk_err purge_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_store_purged *out = a->out;
    const tk_db_val params[] = {tk_db_int(a->id)};
    int64_t tokens = 0;
    int64_t sessions = 0;
    tk_err err = tk_db_exec(tx, "DELETE FROM tokens WHERE expires < $1",
                            params, 1, &tokens);
    if (err == TK_OK)
        err = tk_db_exec(tx,
                         "DELETE FROM sessions WHERE expires < $1 "
                         "AND NOT EXISTS (SELECT 1 FROM reports r "
                         "WHERE r.session_id = sessions.id) "
                         "AND NOT EXISTS (SELECT 1 FROM attestation_results t "
                         "WHERE t.session_id = sessions.id)",
                         params, 1, &sessions);
    int64_t used = 0;
    if (err == TK_OK)
        err = tk_db_exec(tx, "DELETE FROM used_tokens WHERE expires < $1",
                         params, 1, &used);
    if (err == TK_OK && out != NULL) {
        out->tokens = (uint64_t)tokens;
        out->sessions = (uint64_t)sessions;
        out->used_tokens = (uint64_t)used;
    }
    return err;
}

tk_err tk_store_purge(tk_store *store, int64_t before, tk_store_purged *out,
                      tk_store_detail *detail)
{
    if (store == NULL)
        return tk_store_invalid(store, TK_STORE_OP_PURGE, detail,
                                "store is NULL");
    if (out != NULL)
        memset(out, 0, sizeof *out);
    tk_store_args a = {.id = before, .out = out};
    return tk_store_run(store, TK_STORE_OP_PURGE, TK_DB_WRITE, purge_body, &a,
                        NULL, detail);
}

/* ---- Installed state ---------------------------------------------------- */

#define INSTALLED_SELECT                                                    \
    "SELECT id, device_id, component_id, sequence, digest, reported "      \
    "FROM installed"

static tk_err read_installed(tk_store_tx *tx, const tk_db_rows *rows,
                             void *item)
{
    tk_store_installed *i = item;
    i->id = tk_db_col_int(tx, rows, 0);
    i->device_id = tk_db_col_int(tx, rows, 1);
    i->sequence = (uint64_t)tk_db_col_int(tx, rows, 3);
    i->reported = tk_db_col_int(tx, rows, 5);
    tk_err err = tk_db_col_view(tx, rows, 2, &i->component_id);
    if (err == TK_OK)
        err = tk_db_col_view(tx, rows, 4, &i->digest);
    return err;
}

tk_err tk_store_read_installed(tk_store_tx *tx, const tk_db_rows *rows,
                               void *item)
{
    return read_installed(tx, rows, item);
}

bool tk_store_installed_ok(const tk_store_installed *item)
{
    return item->sequence <= (uint64_t)INT64_MAX &&
           tk_store_view_ok(item->component_id) &&
           tk_store_view_ok(item->digest);
}

static tk_err require_device(tk_store_tx *tx, int64_t device_id)
{
    const tk_db_val params[] = {tk_db_int(device_id)};
    int64_t id = 0;
    bool found;
    tk_err err = tk_db_query_int(tx, "SELECT id FROM devices WHERE id = $1",
                                 params, 1, &id, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device %" PRId64 " not found", device_id);
    return err;
}

tk_err tk_store_upsert_installed(tk_store_tx *tx, int64_t device_id,
                                 const tk_store_installed *item)
{
    const tk_db_val params[] = {
        tk_db_int(device_id), tk_db_blob(item->component_id),
        tk_db_int((int64_t)item->sequence), tk_db_blob(item->digest),
        tk_db_int(tx->now),
    };
    tk_err err = tk_db_exec(tx,
                            "INSERT INTO installed (device_id, component_id, "
                            "sequence, digest, reported) "
                            "VALUES ($1, $2, $3, $4, $5) "
                            "ON CONFLICT (device_id, component_id) DO UPDATE "
                            "SET sequence = excluded.sequence, "
                            "digest = excluded.digest, "
                            "reported = excluded.reported",
                            params, 5, NULL);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err, "device %" PRId64 " not found",
                             device_id);
    if (err != TK_OK)
        return tk_store_annotate(tx, err,
                                 "installed component of device %" PRId64,
                                 device_id);
    return TK_OK;
}

tk_err tk_store_lock_device(tk_store_tx *tx, int64_t device_id)
{
    const tk_db_val params[] = {tk_db_int(device_id)};
    int64_t id = 0;
    bool found;
    tk_err err = tk_db_query_int(tx, tx->driver->lock_device, params, 1, &id,
                                 &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device %" PRId64 " not found", device_id);
    return err;
}

tk_err tk_store_replace_installed(tk_store_tx *tx, int64_t device_id,
                                 const tk_store_installed *items,
                                 size_t count)
{
    /* The lock orders replacements of one device, whatever the isolation
     * level of the transaction. */
    tk_err err = tk_store_lock_device(tx, device_id);
    if (err != TK_OK)
        return err;
    return tk_store_replace_installed_locked(tx, device_id, items, count);
}

tk_err tk_store_replace_installed_locked(tk_store_tx *tx, int64_t device_id,
                                        const tk_store_installed *items,
                                        size_t count)
{
    const tk_db_val params[] = {tk_db_int(device_id)};
    tk_err err = tk_db_exec(tx, "DELETE FROM installed WHERE device_id = $1",
                            params, 1, NULL);
    for (size_t i = 0; i < count && err == TK_OK; i++) {
        const tk_db_val row[] = {
            tk_db_int(device_id), tk_db_blob(items[i].component_id),
            tk_db_int((int64_t)items[i].sequence), tk_db_blob(items[i].digest),
            tk_db_int(tx->now),
        };
        err = tk_db_exec(tx,
                         "INSERT INTO installed (device_id, component_id, "
                         "sequence, digest, reported) "
                         "VALUES ($1, $2, $3, $4, $5)",
                         row, 5, NULL);
        if (err == TK_ERR_STORE_DUPLICATE)
            return tk_store_fail(tx, err, "entry %zu names a component that "
                                          "an earlier entry already names",
                                 i);
        if (err != TK_OK)
            return tk_store_annotate(tx, err, "entry %zu", i);
    }
    return err;
}

static tk_err installed_replace_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    return tk_store_replace_installed(tx, a->id, a->in, a->count);
}

tk_err tk_store_installed_replace(tk_store *store, int64_t device_id,
                                  const tk_store_installed *items,
                                  size_t count, tk_store_detail *detail)
{
    if (store == NULL || (items == NULL && count > 0))
        return tk_store_invalid(store, TK_STORE_OP_INSTALLED_REPLACE, detail,
                                "store or items is NULL");
    if (count > TK_STORE_MAX_INSTALLED) {
        tk_store_set_detail(detail,
                            "installed_replace: %zu entries exceed "
                            "TK_STORE_MAX_INSTALLED (%d)",
                            count, TK_STORE_MAX_INSTALLED);
        return TK_ERR_LIMIT;
    }
    for (size_t i = 0; i < count; i++) {
        if (!tk_store_installed_ok(&items[i]))
            return tk_store_invalid(store, TK_STORE_OP_INSTALLED_REPLACE,
                                    detail,
                                    "an entry has a NULL view or a sequence "
                                    "number above INT64_MAX");
    }
    tk_store_args a = {.id = device_id, .in = items, .count = count};
    return tk_store_run(store, TK_STORE_OP_INSTALLED_REPLACE, TK_DB_WRITE,
                        installed_replace_body, &a, NULL, detail);
}

static tk_err installed_set_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_installed *item = a->in;
    return tk_store_upsert_installed(tx, item->device_id, item);
}

tk_err tk_store_installed_set(tk_store *store, const tk_store_installed *item,
                              tk_store_detail *detail)
{
    if (store == NULL || item == NULL || !tk_store_installed_ok(item))
        return tk_store_invalid(store, TK_STORE_OP_INSTALLED_SET, detail,
                                "item is NULL, has a NULL view or a sequence "
                                "number above INT64_MAX");
    tk_store_args a = {.in = item};
    return tk_store_run(store, TK_STORE_OP_INSTALLED_SET, TK_DB_WRITE,
                        installed_set_body, &a, NULL, detail);
}

tk_err tk_store_remove_installed(tk_store_tx *tx, int64_t device_id,
                                tk_view component_id, int64_t *changes)
{
    const tk_db_val params[] = {tk_db_int(device_id),
                                tk_db_blob(component_id)};
    return tk_db_exec(tx,
                      "DELETE FROM installed "
                      "WHERE device_id = $1 AND component_id = $2",
                      params, 2, changes);
}

static tk_err installed_remove_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    int64_t changes = 0;
    tk_err err = tk_store_remove_installed(tx, a->id, a->bytes, &changes);
    if (err == TK_OK && changes == 0)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device %" PRId64 " has no installed component "
                             "with this identifier (%zu bytes)",
                             a->id, a->bytes.len);
    return err;
}

tk_err tk_store_installed_remove(tk_store *store, int64_t device_id,
                                 tk_view component_id,
                                 tk_store_detail *detail)
{
    if (store == NULL || !tk_store_view_ok(component_id))
        return tk_store_invalid(store, TK_STORE_OP_INSTALLED_REMOVE, detail,
                                "store or component_id is NULL");
    tk_store_args a = {.id = device_id, .bytes = component_id};
    return tk_store_run(store, TK_STORE_OP_INSTALLED_REMOVE, TK_DB_WRITE,
                        installed_remove_body, &a, NULL, detail);
}

static const tk_db_list installed_list = {
    .select = INSTALLED_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_installed),
    .read = read_installed,
};

tk_err tk_store_installed_list(tk_store *store, int64_t device_id,
                               const tk_store_page *page, tk_store_mem *mem,
                               tk_store_installeds *out,
                               tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_INSTALLED_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = installed_list;
    tk_db_list_filter_id(&list, "device_id", device_id);
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_INSTALLED_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

tk_err tk_store_installed_by_component(tk_store *store, tk_view component_id,
                                       const tk_store_page *page,
                                       tk_store_mem *mem,
                                       tk_store_installeds *out,
                                       tk_store_detail *detail)
{
    if (store == NULL || mem == NULL || out == NULL ||
        component_id.len == 0 || component_id.ptr == NULL)
        return tk_store_invalid(store, TK_STORE_OP_INSTALLED_BY_COMPONENT,
                                detail,
                                "store, mem or out is NULL, or component_id "
                                "is empty");
    tk_db_list list = installed_list;
    tk_db_list_filter(&list, "component_id", tk_db_blob(component_id));
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_INSTALLED_BY_COMPONENT, &list,
                          page, mem, &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Plans -------------------------------------------------------------- */

/*
 * The rules that apply to device $1: its own rules, then the rules of its
 * class for components it has no rule of its own for. Each row carries the
 * component's newest version (NULL when it has none).
 */
#define PLAN_RULES                                                          \
    "WITH rules AS ("                                                      \
    " SELECT component, action FROM policy WHERE device_id = $1"           \
    " UNION ALL"                                                           \
    " SELECT p.component, p.action FROM policy p"                          \
    " WHERE p.class_id = (SELECT class_id FROM devices WHERE id = $1)"     \
    " AND NOT EXISTS (SELECT 1 FROM policy q"                              \
    " WHERE q.device_id = $1 AND q.component = p.component))"

#define PLAN_NEWEST                                                         \
    " FROM rules r"                                                        \
    " JOIN components c ON c.id = r.component"                             \
    " LEFT JOIN component_versions v ON v.component = r.component"         \
    " AND v.sequence = (SELECT max(w.sequence) FROM component_versions w"  \
    " WHERE w.component = r.component)"

/* One row per rule with what the device reported installed (NULL when
 * nothing). */
static const char plan_sql[] =
    PLAN_RULES
    " SELECT r.component, r.action, c.component_id,"
    " v.id, v.sequence, v.digest, i.id, i.sequence, i.digest"
    PLAN_NEWEST
    " LEFT JOIN installed i ON i.device_id = $1"
    " AND i.component_id = c.component_id"
    " ORDER BY r.component";

/* One row per rule, for an installed state the caller gives, with the
 * size of the newest version's envelope. */
static const char plan_rules_sql[] =
    PLAN_RULES
    " SELECT r.component, r.action, c.component_id,"
    " v.id, v.sequence, v.digest, v.size"
    PLAN_NEWEST
    " ORDER BY r.component";

/* Decides the step of one rule from p->installed and
 * p->installed_sequence; p->action stays 0 when nothing is to do. */
static void plan_decide(tk_store_plan_item *p, int64_t rule,
                        bool has_version, int64_t version_id,
                        uint64_t newest)
{
    p->action = 0;
    if (rule == TK_STORE_POLICY_INSTALL && has_version) {
        if (!p->installed)
            p->action = TK_STORE_PLAN_INSTALL;
        else if (p->installed_sequence < newest)
            p->action = TK_STORE_PLAN_UPDATE;
        if (p->action != 0) {
            p->version_id = version_id;
            p->sequence = newest;
        }
    } else if (rule == TK_STORE_POLICY_FORBID && p->installed) {
        p->action = TK_STORE_PLAN_DELETE;
    }
}

/* Reads one rule and decides its step; action 0 means nothing to do. */
static tk_err read_plan_row(tk_store_tx *tx, const tk_db_rows *rows,
                            void *item)
{
    tk_store_plan_item *p = item;
    p->component = tk_db_col_int(tx, rows, 0);
    p->installed = !tk_db_col_null(tx, rows, 6);
    p->installed_sequence = (uint64_t)tk_db_col_int(tx, rows, 7);
    plan_decide(p, tk_db_col_int(tx, rows, 1), !tk_db_col_null(tx, rows, 3),
                tk_db_col_int(tx, rows, 3),
                (uint64_t)tk_db_col_int(tx, rows, 4));
    if (p->action == 0)
        return TK_OK;
    tk_err err = tk_db_col_view(tx, rows, 2, &p->component_id);
    if (err == TK_OK && p->action != TK_STORE_PLAN_DELETE)
        err = tk_db_col_view(tx, rows, 5, &p->digest);
    if (err == TK_OK && p->installed)
        err = tk_db_col_view(tx, rows, 8, &p->installed_digest);
    return err;
}

/* Keeps the items that need a step; the array is in tx->mem. */
static void plan_keep_steps(const void *items, size_t count,
                            tk_store_plan *out)
{
    tk_store_plan_item *all = (tk_store_plan_item *)items;
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (all[i].action != 0)
            all[kept++] = all[i];
    }
    out->items = all;
    out->count = kept;
}

static tk_err plan_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_err err = require_device(tx, a->id);
    if (err != TK_OK)
        return err;
    const tk_db_val params[] = {tk_db_int(a->id)};
    const void *items;
    size_t count;
    err = tk_db_read_all(tx, plan_sql, params, 1, sizeof(tk_store_plan_item),
                         read_plan_row, TK_STORE_MAX_PLAN_ITEMS,
                         "policy rules for one device", &items, &count);
    if (err == TK_OK)
        plan_keep_steps(items, count, a->out);
    return err;
}

tk_err tk_store_plan_get(tk_store *store, int64_t device_id,
                         tk_store_mem *mem, tk_store_plan *out,
                         tk_store_detail *detail)
{
    tk_store_args a = {.id = device_id, .out = out};
    return tk_store_run_read(store, TK_STORE_OP_PLAN, plan_body, &a,
                             sizeof *out, mem, detail);
}

/* Copies v into tx->mem. */
static tk_err copy_view(tk_store_tx *tx, tk_view v, tk_view *out)
{
    *out = (tk_view){NULL, 0};
    if (v.len == 0)
        return TK_OK;
    uint8_t *p = tk_store_mem_alloc(tx->mem, v.len);
    if (p == NULL)
        return tk_store_fail(tx, TK_ERR_STORE_NOMEM,
                             "out of memory copying %zu bytes", v.len);
    memcpy(p, v.ptr, v.len);
    *out = (tk_view){p, v.len};
    return TK_OK;
}

static bool same_view(tk_view a, tk_view b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Reads one rule row of plan_rules_sql and decides its step against the
 * installed state of a->in[0..a->count). */
static tk_err read_plan_rule(tk_store_tx *tx, const tk_db_rows *rows,
                             void *item, const tk_store_args *a)
{
    tk_store_plan_item *p = item;
    const tk_store_installed *installed = a->in;
    tk_view id = tx->driver->column_bytes(rows, 2);
    const tk_store_installed *have = NULL;
    for (size_t i = 0; i < a->count && have == NULL; i++) {
        if (same_view(installed[i].component_id, id))
            have = &installed[i];
    }
    p->component = tk_db_col_int(tx, rows, 0);
    p->installed = have != NULL;
    p->installed_sequence = have != NULL ? have->sequence : 0;
    plan_decide(p, tk_db_col_int(tx, rows, 1), !tk_db_col_null(tx, rows, 3),
                tk_db_col_int(tx, rows, 3),
                (uint64_t)tk_db_col_int(tx, rows, 4));
    if (p->action == 0)
        return TK_OK;
    tk_err err = tk_db_col_view(tx, rows, 2, &p->component_id);
    if (err == TK_OK && p->action != TK_STORE_PLAN_DELETE) {
        err = tk_db_col_view(tx, rows, 5, &p->digest);
        p->size = (uint64_t)tk_db_col_int(tx, rows, 6);
    }
    if (err == TK_OK && have != NULL)
        err = copy_view(tx, have->digest, &p->installed_digest);
    return err;
}

/* Loads the envelopes of the steps that install a version of at most max
 * bytes. */
static tk_err load_envelopes(tk_store_tx *tx, tk_store_plan *plan,
                             size_t max)
{
    tk_store_plan_item *items = (tk_store_plan_item *)plan->items;
    tk_err err = TK_OK;
    for (size_t i = 0; err == TK_OK && i < plan->count; i++) {
        tk_store_plan_item *p = &items[i];
        if (p->action == TK_STORE_PLAN_DELETE || p->size > max)
            continue;
        const tk_db_val params[] = {tk_db_int(p->version_id)};
        tk_db_rows rows;
        err = tk_db_query(tx,
                          "SELECT envelope FROM component_versions "
                          "WHERE id = $1",
                          params, 1, &rows);
        if (err != TK_OK)
            break;
        bool has_row = false;
        err = tk_db_next(tx, &rows, &has_row);
        if (err == TK_OK && has_row)
            err = tk_db_col_view(tx, &rows, 0, &p->envelope);
        tk_db_done(tx, &rows);
    }
    return err;
}

static tk_err plan_for_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_err err = require_device(tx, a->id);
    if (err != TK_OK)
        return err;
    const tk_db_val params[] = {tk_db_int(a->id)};
    tk_db_rows rows;
    err = tk_db_query(tx, plan_rules_sql, params, 1, &rows);
    if (err != TK_OK)
        return err;
    tk_store_plan_item *items = tk_store_mem_alloc(
        tx->mem, TK_STORE_MAX_PLAN_ITEMS * sizeof(tk_store_plan_item));
    if (items == NULL)
        err = tk_store_fail(tx, TK_ERR_STORE_NOMEM,
                            "out of memory for the plan");
    size_t count = 0;
    for (;;) {
        bool has_row = false;
        if (err == TK_OK)
            err = tk_db_next(tx, &rows, &has_row);
        if (err != TK_OK || !has_row)
            break;
        if (count == TK_STORE_MAX_PLAN_ITEMS) {
            err = tk_store_fail(tx, TK_ERR_LIMIT,
                                "more than %d policy rules for one device; "
                                "raise TK_STORE_MAX_PLAN_ITEMS",
                                TK_STORE_MAX_PLAN_ITEMS);
            break;
        }
        memset(&items[count], 0, sizeof items[count]);
        err = read_plan_rule(tx, &rows, &items[count], a);
        count++;
    }
    tk_db_done(tx, &rows);
    if (err == TK_OK) {
        plan_keep_steps(items, count, a->out);
        if (a->filter[0] > 0)
            err = load_envelopes(tx, a->out, (size_t)a->filter[0]);
    }
    return err;
}

tk_err tk_store_plan_for(tk_store *store, int64_t device_id,
                         const tk_store_installed *installed, size_t count,
                         size_t envelope_max, tk_store_mem *mem,
                         tk_store_plan *out, tk_store_detail *detail)
{
    if (store == NULL || mem == NULL || out == NULL ||
        (installed == NULL && count > 0))
        return tk_store_invalid(store, TK_STORE_OP_PLAN_FOR, detail,
                                "store, installed, mem or out is NULL");
    memset(out, 0, sizeof *out);
    if (count > TK_STORE_MAX_INSTALLED) {
        tk_store_set_detail(detail,
                            "plan_for: %zu installed entries exceed "
                            "TK_STORE_MAX_INSTALLED (%d)",
                            count, TK_STORE_MAX_INSTALLED);
        return TK_ERR_LIMIT;
    }
    for (size_t i = 0; i < count; i++) {
        if (!tk_store_installed_ok(&installed[i]))
            return tk_store_invalid(store, TK_STORE_OP_PLAN_FOR, detail,
                                    "an installed entry has a NULL view or "
                                    "a sequence number above INT64_MAX");
    }
    if (envelope_max > INT64_MAX)
        envelope_max = INT64_MAX;
    tk_store_args a = {.id = device_id, .in = installed, .count = count,
                       .filter = {(int64_t)envelope_max, 0}, .out = out};
    return tk_store_run(store, TK_STORE_OP_PLAN_FOR, TK_DB_READ,
                        plan_for_body, &a, mem, detail);
}
