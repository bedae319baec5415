/*
 * Token operations of the TAM store on the hot path of a session: the
 * consumption of a session's token without RETURNING, the record of used
 * self-authenticating tokens, and the secrets that the TAM workers share.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/* ---- Tokens of stored sessions ------------------------------------------ */

/* Explains why the token of session_id could not be consumed. */
static tk_err session_token_failure(tk_store_tx *tx, tk_view value,
                                    int64_t session_id)
{
    tk_db_rows rows;
    tk_err err = tk_store_query_token(tx,
                                      "SELECT consumed, expires, session_id "
                                      "FROM tokens "
                                      "WHERE kind = $1 AND value = $2",
                                      TK_STORE_TOKEN, value, &rows);
    if (err != TK_OK)
        return err;
    /* The token is issued, unused and unexpired, so the UPDATE failed on
     * its session. */
    err = tk_store_fail(tx, TK_ERR_STORE_CONFLICT,
                        "the token belongs to session %" PRId64
                        ", not to session %" PRId64,
                        tk_db_col_int(tx, &rows, 2), session_id);
    tk_db_done(tx, &rows);
    return err;
}

tk_err tk_store_consume_session_token(tk_store_tx *tx, tk_view value,
                                      int64_t session_id)
{
    /* The same check and mark as tk_store_consume_token(), with the
     * session in the condition instead of in a RETURNING clause. */
    const tk_db_val params[] = {tk_db_int(TK_STORE_TOKEN), tk_db_blob(value),
                                tk_db_int(tx->now), tk_db_int(session_id)};
    int64_t changes = 0;
    tk_err err = tk_db_exec(tx,
                            "UPDATE tokens SET consumed = true, "
                            "consumed_at = $3 "
                            "WHERE kind = $1 AND value = $2 AND "
                            "consumed = false AND expires > $3 AND "
                            "session_id = $4",
                            params, 4, &changes);
    if (err == TK_OK && changes == 0)
        err = session_token_failure(tx, value, session_id);
    return err;
}

/* ---- Used self-authenticating tokens ------------------------------------ */

tk_err tk_store_record_used(tk_store_tx *tx, tk_view digest, int64_t expires)
{
    if (expires <= tx->now)
        return tk_store_fail(tx, TK_ERR_STORE_TOKEN_EXPIRED,
                             "this token expired at %" PRId64, expires);
    /* The primary key decides: of two transactions that record the same
     * token, the second fails, in PostgreSQL after waiting for the first
     * to commit. */
    const tk_db_val params[] = {tk_db_int(expires), tk_db_blob(digest)};
    tk_err err = tk_db_exec(tx,
                            "INSERT INTO used_tokens (expires, digest) "
                            "VALUES ($1, $2)",
                            params, 2, NULL);
    if (err == TK_ERR_STORE_DUPLICATE)
        return tk_store_fail(tx, TK_ERR_STORE_TOKEN_USED,
                             "this token was already used");
    return err;
}

/* ---- Secrets ------------------------------------------------------------ */

static tk_err read_secret(tk_store_tx *tx, const char *name, tk_view *out,
                          bool *found)
{
    const tk_db_val params[] = {tk_db_text(name)};
    tk_db_rows rows;
    tk_err err = tk_db_query(tx, "SELECT value FROM secrets WHERE name = $1",
                             params, 1, &rows);
    if (err != TK_OK)
        return err;
    err = tk_db_next(tx, &rows, found);
    if (err == TK_OK && *found)
        err = tk_db_col_view(tx, &rows, 0, out);
    tk_db_done(tx, &rows);
    return err;
}

static tk_err secret_read_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    return read_secret(tx, a->text, a->out, a->out_flag);
}

static tk_err secret_store_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_text(a->text), tk_db_blob(a->bytes),
                                tk_db_int(tx->now)};
    tk_err err = tk_db_exec(tx,
                            "INSERT INTO secrets (name, value, created) "
                            "VALUES ($1, $2, $3) "
                            "ON CONFLICT (name) DO NOTHING",
                            params, 3, NULL);
    if (err == TK_OK)
        err = read_secret(tx, a->text, a->out, a->out_flag);
    if (err == TK_OK && !*a->out_flag)
        err = tk_store_fail(tx, TK_ERR_STORE_BACKEND,
                            "secret %s is missing after it was stored",
                            a->text);
    return err;
}

tk_err tk_store_secret(tk_store *store, const char *name, tk_view candidate,
                       tk_store_mem *mem, tk_view *secret,
                       tk_store_detail *detail)
{
    if (store == NULL || name == NULL || mem == NULL || secret == NULL ||
        !tk_store_view_ok(candidate))
        return tk_store_invalid(store, TK_STORE_OP_SECRET, detail,
                                "store, name, candidate, mem or secret is "
                                "NULL");
    size_t len = strlen(name);
    if (len == 0 || len > TK_STORE_SECRET_NAME_MAX || candidate.len < 16 ||
        candidate.len > TK_STORE_SECRET_MAX)
        return tk_store_invalid(store, TK_STORE_OP_SECRET, detail,
                                "the name takes 1 to 64 characters and the "
                                "candidate 16 to 64 bytes");
    *secret = (tk_view){NULL, 0};
    bool found = false;
    tk_store_args a = {.text = name, .bytes = candidate, .out = secret,
                       .out_flag = &found};
    /* Most calls find the secret: a read, without the write lock. */
    tk_err err = tk_store_run(store, TK_STORE_OP_SECRET, TK_DB_READ,
                              secret_read_body, &a, mem, detail);
    if (err == TK_OK && !found)
        err = tk_store_run(store, TK_STORE_OP_SECRET, TK_DB_WRITE,
                           secret_store_body, &a, mem, detail);
    return err;
}
