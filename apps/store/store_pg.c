/*
 * PostgreSQL backend of the TAM store (libpq). Parameters and results use
 * the binary format, so bytea values travel as raw bytes and integers as
 * big-endian words, with no text escaping on either side. Each connection
 * prepares a statement the first time it runs it and executes it by name
 * afterwards, unless tk_store_options.pg_unnamed_statements is set.
 */
#define _POSIX_C_SOURCE 200809L

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* Type OIDs of the PostgreSQL catalog (pg_type), fixed since 7.x. */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25

/* Most parameters of one statement. */
#define MAX_PARAMS 32

/* Key of the advisory lock that serializes migrations of one database:
 * the ASCII bytes "teepkit1" read as a big-endian integer. */
#define MIGRATION_LOCK_SQL "SELECT pg_advisory_xact_lock(8387221414560232497)"

/* A statement prepared on one connection under a generated name. */
typedef struct pg_stmt {
    uint64_t hash; /* of sql, compared before the text */
    char *sql;     /* text as the operations wrote it */
    int count;     /* parameters */
    Oid types[MAX_PARAMS];
    char name[24];
} pg_stmt;

typedef struct pg_conn {
    PGconn *pg;
    bool broken;
    bool prepare; /* prepare statements (options.pg_unnamed_statements off) */
    size_t prepared;
    pg_stmt stmts[TK_STORE_MAX_STATEMENTS];
} pg_conn;

extern const char *const tk_store_postgresql_migrations[];

/* Notices (for example "relation already exists, skipping") are not
 * errors; they are dropped instead of going to stderr. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Copies msg without its trailing newline. */
static void set_message(tk_store_detail *detail, const char *msg,
                        const char *sqlstate)
{
    if (msg == NULL)
        msg = "no message";
    int len = (int)strcspn(msg, "\n");
    if (sqlstate != NULL)
        tk_store_set_detail(detail, "%.*s (SQLSTATE %s)", len, msg, sqlstate);
    else
        tk_store_set_detail(detail, "%.*s", len, msg);
}

/* Maps a failed result (or a NULL one) to a store error. Only the primary
 * message is kept: the DETAIL field can quote row values such as tokens. */
static tk_err map_result(pg_conn *c, PGresult *res, tk_store_detail *detail)
{
    if (res == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
        c->broken = true;
        set_message(detail, PQerrorMessage(c->pg), NULL);
        return TK_ERR_STORE_CONNECT;
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    set_message(detail, primary, state);
    if (state == NULL)
        return TK_ERR_STORE_BACKEND;
    if (strcmp(state, "23505") == 0)
        return TK_ERR_STORE_DUPLICATE;
    if (strcmp(state, "23503") == 0)
        return TK_ERR_STORE_REFERENCE;
    if (strncmp(state, "23", 2) == 0 || strcmp(state, "22001") == 0 ||
        strcmp(state, "22003") == 0)
        return TK_ERR_STORE_CONSTRAINT;
    /* serialization_failure, deadlock_detected, lock_not_available */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0)
        return TK_ERR_STORE_BUSY;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
        c->broken = true;
        return TK_ERR_STORE_CONNECT;
    }
    if (strcmp(state, "53100") == 0)
        return TK_ERR_STORE_READONLY; /* disk_full */
    if (strcmp(state, "25006") == 0)
        return TK_ERR_STORE_READONLY; /* read_only_sql_transaction */
    return TK_ERR_STORE_BACKEND;
}

static bool result_ok(PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

/* Runs statements without parameters and discards their rows. */
static tk_err exec_simple(pg_conn *c, const char *sql, tk_store_detail *detail)
{
    PGresult *res = PQexec(c->pg, sql);
    tk_err err = TK_OK;
    if (res == NULL || !result_ok(res))
        err = map_result(c, res, detail);
    PQclear(res);
    return err;
}

static void pg_disconnect(void *conn)
{
    pg_conn *c = conn;
    if (c == NULL)
        return;
    PQfinish(c->pg);
    for (size_t i = 0; i < c->prepared; i++)
        free(c->stmts[i].sql);
    free(c);
}

static tk_err pg_connect(const char *target, const tk_store_options *options,
                         void **conn, tk_store_detail *detail)
{
    pg_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        tk_store_set_detail(detail, "out of memory");
        return TK_ERR_STORE_NOMEM;
    }
    const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *const values[] = {target, "teepkit-tam", NULL};
    c->pg = PQconnectdbParams(keys, values, 1);
    if (c->pg == NULL) {
        free(c);
        tk_store_set_detail(detail, "out of memory");
        return TK_ERR_STORE_NOMEM;
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        /* libpq's message names host and port but never the password. */
        set_message(detail, PQerrorMessage(c->pg), NULL);
        pg_disconnect(c);
        return TK_ERR_STORE_CONNECT;
    }
    PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
    c->prepare = !options->pg_unnamed_statements;
    char settings[160];
    snprintf(settings, sizeof settings,
             "SET lock_timeout = %u; SET client_min_messages = warning; "
             "SET TIME ZONE 'UTC'",
             options->busy_timeout_ms);
    tk_err err = exec_simple(c, settings, detail);
    if (err != TK_OK) {
        pg_disconnect(c);
        return err;
    }
    *conn = c;
    return TK_OK;
}

static bool pg_broken(void *conn)
{
    pg_conn *c = conn;
    return c->broken || PQstatus(c->pg) == CONNECTION_BAD;
}

static tk_err pg_begin(void *conn, tk_db_tx_kind kind, tk_store_detail *detail)
{
    static const char *const sql[] = {
        [TK_DB_READ] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        [TK_DB_WRITE] = "BEGIN ISOLATION LEVEL SERIALIZABLE",
        [TK_DB_MIGRATE] = "BEGIN ISOLATION LEVEL READ COMMITTED",
        [TK_DB_WRITE_LOCKED] = "BEGIN ISOLATION LEVEL READ COMMITTED",
    };
    return exec_simple(conn, sql[kind], detail);
}

static tk_err pg_commit(void *conn, tk_store_detail *detail)
{
    return exec_simple(conn, "COMMIT", detail);
}

static void pg_rollback(void *conn)
{
    pg_conn *c = conn;
    if (PQstatus(c->pg) == CONNECTION_OK &&
        PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
}

static tk_err pg_script(void *conn, const char *sql, tk_store_detail *detail)
{
    return exec_simple(conn, sql, detail);
}

static void put_be64(uint8_t out[8], int64_t value)
{
    uint64_t u = (uint64_t)value;
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(u & 0xff);
        u >>= 8;
    }
}

/* True for the statements that a connection prepares: queries and data
 * changes. Schema changes run unnamed. */
static bool preparable(const char *sql)
{
    static const char *const verbs[] = {"SELECT ", "INSERT ", "UPDATE ",
                                        "DELETE ", "WITH "};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strncmp(sql, verbs[i], strlen(verbs[i])) == 0)
            return true;
    }
    return false;
}

/*
 * Finds the statement prepared for sql with these parameter types, or
 * prepares it now. *stmt stays NULL when the statement runs unnamed
 * because preparing is off, the statement is not a query or data change,
 * or the connection has prepared TK_STORE_MAX_STATEMENTS statements
 * already. Prepared statements live as long as their connection, and the
 * operations use far fewer. PostgreSQL keeps a statement prepared inside
 * a transaction that rolls back.
 */
static tk_err find_or_prepare(pg_conn *c, const char *sql, int count,
                              const Oid *types, const pg_stmt **stmt,
                              tk_store_detail *detail)
{
    *stmt = NULL;
    if (!c->prepare || !preparable(sql))
        return TK_OK;
    uint64_t hash = tk_db_text_hash(sql);
    for (size_t i = 0; i < c->prepared; i++) {
        const pg_stmt *e = &c->stmts[i];
        if (e->hash == hash && e->count == count &&
            memcmp(e->types, types, (size_t)count * sizeof(Oid)) == 0 &&
            strcmp(e->sql, sql) == 0) {
            *stmt = e;
            return TK_OK;
        }
    }
    if (c->prepared == TK_STORE_MAX_STATEMENTS)
        return TK_OK;
    pg_stmt *e = &c->stmts[c->prepared];
    e->sql = strdup(sql);
    if (e->sql == NULL) {
        tk_store_set_detail(detail, "out of memory");
        return TK_ERR_STORE_NOMEM;
    }
    snprintf(e->name, sizeof e->name, "tk_%zu", c->prepared);
    PGresult *res = PQprepare(c->pg, e->name, sql, count, types);
    if (res == NULL || !result_ok(res)) {
        tk_err err = map_result(c, res, detail);
        PQclear(res);
        free(e->sql);
        e->sql = NULL;
        return err;
    }
    PQclear(res);
    e->hash = hash;
    e->count = count;
    memcpy(e->types, types, (size_t)count * sizeof(Oid));
    c->prepared++;
    *stmt = e;
    return TK_OK;
}

static tk_err pg_query(void *conn, const char *sql, const tk_db_val *params,
                       size_t count, tk_db_rows *rows, tk_store_detail *detail)
{
    pg_conn *c = conn;
    if (count > MAX_PARAMS) {
        tk_store_set_detail(detail, "statement has %zu parameters, above %d",
                            count, MAX_PARAMS);
        return TK_ERR_INTERNAL;
    }
    Oid types[MAX_PARAMS];
    const char *values[MAX_PARAMS];
    int lengths[MAX_PARAMS];
    int formats[MAX_PARAMS];
    uint8_t ints[MAX_PARAMS][8];
    for (size_t i = 0; i < count; i++) {
        const tk_db_val *v = &params[i];
        formats[i] = 1;
        switch (v->type) {
        case TK_DB_INT:
            types[i] = OID_INT8;
            put_be64(ints[i], v->i);
            values[i] = (const char *)ints[i];
            lengths[i] = 8;
            break;
        case TK_DB_TEXT:
        case TK_DB_BLOB:
            types[i] = v->type == TK_DB_TEXT ? OID_TEXT : OID_BYTEA;
            /* A non-NULL pointer with length 0 is an empty value. */
            values[i] = v->ptr != NULL ? v->ptr : "";
            lengths[i] = (int)v->len;
            break;
        }
        if (v->null)
            values[i] = NULL;
    }
    const pg_stmt *stmt = NULL;
    tk_err err = find_or_prepare(c, sql, (int)count, types, &stmt, detail);
    if (err != TK_OK)
        return err;
    PGresult *res;
    if (stmt != NULL)
        res = PQexecPrepared(c->pg, stmt->name, (int)count, values, lengths,
                             formats, 1);
    else
        res = PQexecParams(c->pg, sql, (int)count, types, values, lengths,
                           formats, 1);
    if (res == NULL || !result_ok(res)) {
        err = map_result(c, res, detail);
        PQclear(res);
        return err;
    }
    rows->conn = c;
    rows->handle = res;
    rows->row = -1;
    rows->count = PQntuples(res);
    const char *affected = PQcmdTuples(res);
    rows->changes = affected[0] != '\0' ? strtoll(affected, NULL, 10) : 0;
    return TK_OK;
}

static tk_err pg_step(tk_db_rows *rows, bool *has_row, tk_store_detail *detail)
{
    (void)detail;
    if (rows->row < rows->count)
        rows->row++;
    *has_row = rows->row < rows->count;
    return TK_OK;
}

static bool pg_column_null(const tk_db_rows *rows, int column)
{
    return PQgetisnull(rows->handle, rows->row, column) != 0;
}

static int64_t pg_column_int(const tk_db_rows *rows, int column)
{
    const PGresult *res = rows->handle;
    const uint8_t *p = (const uint8_t *)PQgetvalue(res, rows->row, column);
    int len = PQgetlength(res, rows->row, column);
    Oid type = PQftype(res, column);
    bool sized = (type == OID_INT8 && len == 8) ||
                 (type == OID_INT4 && len == 4) ||
                 (type == OID_INT2 && len == 2) ||
                 (type == OID_BOOL && len == 1);
    if (!sized)
        return 0;
    /* Sign-extend the big-endian two's-complement word. */
    uint64_t u = (p[0] & 0x80) && type != OID_BOOL ? UINT64_MAX : 0;
    for (int i = 0; i < len; i++)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

static tk_view pg_column_bytes(const tk_db_rows *rows, int column)
{
    const PGresult *res = rows->handle;
    const char *p = PQgetvalue(res, rows->row, column);
    int len = PQgetlength(res, rows->row, column);
    return (tk_view){(const uint8_t *)p, len > 0 ? (size_t)len : 0};
}

static void pg_finish(tk_db_rows *rows)
{
    PQclear(rows->handle);
    rows->handle = NULL;
}

static tk_err pg_lock_migrations(void *conn, tk_store_detail *detail)
{
    return exec_simple(conn, MIGRATION_LOCK_SQL, detail);
}

const tk_db_driver tk_db_postgresql = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .broken = pg_broken,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .script = pg_script,
    .query = pg_query,
    .step = pg_step,
    .column_null = pg_column_null,
    .column_int = pg_column_int,
    .column_bytes = pg_column_bytes,
    .finish = pg_finish,
    .schema_probe = "SELECT 1 FROM information_schema.tables "
                    "WHERE table_schema = current_schema() "
                    "AND table_name = 'schema_version'",
    /* NO KEY UPDATE leaves the KEY SHARE locks of foreign-key checks
     * free: other transactions may still insert rows that name the
     * device. */
    .lock_device = "SELECT id FROM devices WHERE id = $1 "
                   "FOR NO KEY UPDATE",
    .lock_migrations = pg_lock_migrations,
    .migrations = tk_store_postgresql_migrations,
    .migration_count = TK_STORE_SCHEMA_VERSION,
};
