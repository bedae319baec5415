/*
 * Internals of the TAM store shared by its source files: the backend driver
 * interface, transactions and SQL helpers, result memory.
 *
 * The operations (store_inventory.c, store_sessions.c, store_records.c) are
 * written once in SQL that both backends accept. Parameters are written $1,
 * $2, ... as in PostgreSQL; the SQLite driver rewrites them to ?1, ?2, ...,
 * so no SQL text may contain '$' for any other purpose. Booleans are written
 * as the literals true and false, which SQLite reads as 1 and 0.
 */
#ifndef TK_STORE_INTERNAL_H
#define TK_STORE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* ---- Values and rows ---------------------------------------------------- */

typedef enum tk_db_type {
    TK_DB_INT = 0,
    TK_DB_TEXT = 1,
    TK_DB_BLOB = 2,
} tk_db_type;

/* One bound parameter. null binds SQL NULL of the given type. */
typedef struct tk_db_val {
    tk_db_type type;
    bool null;
    int64_t i;
    const void *ptr;
    size_t len;
} tk_db_val;

tk_db_val tk_db_int(int64_t value);
/* An id that binds NULL when it is 0 (an optional reference). */
tk_db_val tk_db_ref(int64_t id);
/* A string that binds NULL when s is NULL. */
tk_db_val tk_db_text(const char *s);
/* A string that binds "" when s is NULL. */
tk_db_val tk_db_text_or_empty(const char *s);
/* Bytes; an empty view binds a zero-length value, not NULL. */
tk_db_val tk_db_blob(tk_view v);
/* Bytes that bind NULL when the view is empty. */
tk_db_val tk_db_blob_or_null(tk_view v);

/* Cursor over the rows of one statement, owned by the driver. */
typedef struct tk_db_rows {
    void *conn;
    void *handle; /* sqlite3_stmt or PGresult */
    int row;      /* index of the current row (PostgreSQL) */
    int count;    /* rows in the result (PostgreSQL) */
    bool temporary; /* finalize the statement when done (SQLite) */
    int64_t changes;
} tk_db_rows;

/* Kinds of transaction. */
typedef enum tk_db_tx_kind {
    /* A consistent read-only snapshot. */
    TK_DB_READ = 0,
    /* A write that behaves as if transactions ran one at a time: SQLite
     * BEGIN IMMEDIATE, PostgreSQL SERIALIZABLE. */
    TK_DB_WRITE = 1,
    /* Schema migration: PostgreSQL READ COMMITTED under an advisory lock,
     * so that a worker that waited for the lock then reads the committed
     * work of the worker before it. */
    TK_DB_MIGRATE = 2,
    /* A write whose body takes the row locks it needs (an exchange): SQLite
     * BEGIN IMMEDIATE, PostgreSQL READ COMMITTED. Each statement then reads
     * what was committed before it, and an UPDATE that waited for a racing
     * writer re-checks its condition on the row that writer left. */
    TK_DB_WRITE_LOCKED = 3,
} tk_db_tx_kind;

/*
 * A backend. Every function that can fail writes a message to detail (never
 * NULL here) and returns a TK_ERR_STORE_* code mapped from the backend's
 * error: TK_ERR_STORE_BUSY for lock timeouts, SQLITE_BUSY, serialization
 * failures and deadlocks (the runner retries those), TK_ERR_STORE_DUPLICATE
 * for unique violations, TK_ERR_STORE_REFERENCE for foreign keys,
 * TK_ERR_STORE_CONSTRAINT for check and not-null constraints,
 * TK_ERR_STORE_CONNECT for a lost connection.
 */
typedef struct tk_db_driver {
    const char *name;
    tk_err (*connect)(const char *target, const tk_store_options *options,
                      void **conn, tk_store_detail *detail);
    void (*disconnect)(void *conn);
    /* True when the connection is unusable and must be reopened. */
    bool (*broken)(void *conn);
    tk_err (*begin)(void *conn, tk_db_tx_kind kind, tk_store_detail *detail);
    /* Turns the open read transaction into a write transaction, as begin
     * with TK_DB_WRITE would start one, or fails and leaves it a read
     * transaction. NULL when the backend cannot: the read transactions of
     * PostgreSQL are READ ONLY. */
    tk_err (*upgrade)(void *conn, tk_store_detail *detail);
    tk_err (*commit)(void *conn, tk_store_detail *detail);
    void (*rollback)(void *conn);
    /* Runs several statements without parameters (a migration). */
    tk_err (*script)(void *conn, const char *sql, tk_store_detail *detail);
    /* Runs one statement; the first row, if any, is read by step. */
    tk_err (*query)(void *conn, const char *sql, const tk_db_val *params,
                    size_t count, tk_db_rows *rows, tk_store_detail *detail);
    /* Moves to the next row; *has_row is false after the last one, and
     * rows->changes is then set for INSERT, UPDATE and DELETE. */
    tk_err (*step)(tk_db_rows *rows, bool *has_row, tk_store_detail *detail);
    bool (*column_null)(const tk_db_rows *rows, int column);
    int64_t (*column_int)(const tk_db_rows *rows, int column);
    /* Bytes of a BLOB or TEXT column, valid until the next step. */
    tk_view (*column_bytes)(const tk_db_rows *rows, int column);
    void (*finish)(tk_db_rows *rows);
    /* A query that returns a row when the schema_version table exists. */
    const char *schema_probe;
    /* A query that returns PRAGMA synchronous (0 off, 1 normal, 2 full,
     * 3 extra), or NULL when the backend has no such setting. */
    const char *sync_probe;
    /* A query that returns the id of device $1 and locks its row against
     * other writers until the transaction ends (SQLite needs no row lock:
     * one transaction writes at a time). */
    const char *lock_device;
    /* Id of the row that the last INSERT on the connection added, or NULL
     * when the backend returns it with RETURNING instead. */
    int64_t (*last_insert_id)(void *conn);
    /* Takes the lock that serializes migrations between processes. */
    tk_err (*lock_migrations)(void *conn, tk_store_detail *detail);
    /* True when the database allows one writer at a time (SQLite): the
     * store then queues the write transactions of its threads on a mutex
     * instead of letting them wait in the backend's busy handler. */
    bool single_writer;
    /* Migration scripts, index 0 for version 1. */
    const char *const *migrations;
    size_t migration_count;
} tk_db_driver;

extern const tk_db_driver tk_db_sqlite;
#ifdef TK_STORE_HAVE_PG
extern const tk_db_driver tk_db_postgresql;
#endif

/* Returns the FNV-1a hash of a NUL-terminated SQL text. The drivers compare
 * it before the text when they look up a prepared statement, on every
 * query, so it is inline. */
static inline uint64_t tk_db_text_hash(const char *text)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
         p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h;
}

/* Formats a message into detail; accepts a NULL detail. */
void tk_store_set_detail(tk_store_detail *detail, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- Result memory ------------------------------------------------------ */

/* Position in a tk_store_mem, to drop what a failed attempt allocated. */
typedef struct tk_store_mem_mark {
    struct tk_store_chunk *chunk;
    size_t used;
} tk_store_mem_mark;

/* Returns size bytes aligned for any type, or NULL when out of memory. */
void *tk_store_mem_alloc(tk_store_mem *mem, size_t size);
tk_store_mem_mark tk_store_mem_get_mark(const tk_store_mem *mem);
void tk_store_mem_reset(tk_store_mem *mem, tk_store_mem_mark mark);

/* ---- Transactions ------------------------------------------------------- */

/* State of one operation's transaction, passed to its body. */
typedef struct tk_store_tx {
    tk_store *store;
    const tk_db_driver *driver;
    void *conn;
    tk_store_mem *mem;        /* NULL for operations that return no entity */
    tk_store_detail *detail;  /* never NULL */
    int64_t now;
    tk_store_op op;
} tk_store_tx;

/* The work of one operation. It may run more than once when the
 * transaction is retried, so it must only write its outputs. */
typedef tk_err (*tk_store_body)(tk_store_tx *tx, void *arg);

/*
 * Runs body in a transaction of the given kind on a pooled connection:
 * begins, runs, commits, retries after TK_ERR_STORE_BUSY up to
 * options.max_retries times, rolls back on any failure, and records the
 * statistics of op. On failure the detail message is prefixed with the
 * operation's name.
 */
tk_err tk_store_run(tk_store *store, tk_store_op op, tk_db_tx_kind kind,
                    tk_store_body body, void *arg, tk_store_mem *mem,
                    tk_store_detail *detail);

/* Records a failure: formats the message into tx->detail, returns err. */
tk_err tk_store_fail(tk_store_tx *tx, tk_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes tx->detail with a formatted context ("device 42: ") and
 * returns err. */
tk_err tk_store_annotate(tk_store_tx *tx, tk_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Arguments of an operation body. Each operation uses the fields it
 * needs. */
typedef struct tk_store_args {
    int64_t id;
    const void *in;
    const void *extra; /* a second input, such as an audit entry */
    const char *actor;
    const char *text;
    tk_view bytes;
    int64_t filter[2];
    int kind;
    size_t count;
    const tk_store_page *page;
    void *out;
    void *out2; /* a second result, such as a device with its key */
    int64_t *out_id;
    int64_t *out_id2;
    bool *out_flag;
} tk_store_args;

/* ---- Parts of operations, shared with tk_store_exchange_record() ------- */

/* Inserts an audit entry; *id (may be NULL) receives its id. */
tk_err tk_store_insert_audit(tk_store_tx *tx, const tk_store_audit *e,
                             int64_t *id);
/* True when an audit entry has an actor and an action. */
bool tk_store_audit_ok(const tk_store_audit *e);
/* Inserts an attestation result and sets its device's last_seen. */
tk_err tk_store_insert_attestation(tk_store_tx *tx,
                                   const tk_store_attestation *r,
                                   int64_t *id);
/* Stores a report once (see tk_store_report_insert()). */
tk_err tk_store_insert_report(tk_store_tx *tx, const tk_store_report *r,
                              int64_t *id, bool *inserted);
/* Runs sql, a query of the single-use value with kind $1 and value $2
 * whose first columns are consumed and expires, and checks that the value
 * can be consumed. Fails with TK_ERR_STORE_TOKEN_UNKNOWN without a row,
 * else TK_ERR_STORE_TOKEN_USED when consumed is set, else
 * TK_ERR_STORE_TOKEN_EXPIRED when expires is not after tx->now. On TK_OK,
 * rows is on that row and the caller ends it with tk_db_done(). */
tk_err tk_store_query_token(tk_store_tx *tx, const char *sql, int kind,
                            tk_view value, tk_db_rows *rows);
/* Marks a token used and returns its session; the errors of
 * tk_store_token_consume(). */
tk_err tk_store_consume_token(tk_store_tx *tx, int kind, tk_view value,
                              int64_t *session_id);
/* Marks a token of session_id used, with the errors of
 * tk_store_token_consume() and TK_ERR_STORE_CONFLICT for a token of
 * another session. Cheaper than tk_store_consume_token() on SQLite, where
 * RETURNING builds a temporary table. */
tk_err tk_store_consume_session_token(tk_store_tx *tx, tk_view value,
                                      int64_t session_id);
/* Records a self-authenticating token as used: TK_ERR_STORE_TOKEN_USED
 * when it was, TK_ERR_STORE_TOKEN_EXPIRED when expires is not after
 * tx->now. */
tk_err tk_store_record_used(tk_store_tx *tx, tk_view digest, int64_t expires);
tk_err tk_store_create_session(tk_store_tx *tx, const tk_store_session *s,
                               tk_view token, int64_t *id);
tk_err tk_store_change_session(tk_store_tx *tx,
                               const tk_store_session_change *change);
/* Reads a row of "SELECT id, device_id, component_id, sequence, digest,
 * reported FROM installed" into a tk_store_installed. */
tk_err tk_store_read_installed(tk_store_tx *tx, const tk_db_rows *rows,
                               void *item);
/* True when an installed entry has readable views and a sequence number
 * that fits the schema. */
bool tk_store_installed_ok(const tk_store_installed *item);
/* Locks the row of a device for the rest of the transaction (see
 * tk_db_driver.lock_device); TK_ERR_STORE_NOT_FOUND when it does not
 * exist. */
tk_err tk_store_lock_device(tk_store_tx *tx, int64_t device_id);
tk_err tk_store_replace_installed(tk_store_tx *tx, int64_t device_id,
                                  const tk_store_installed *items,
                                  size_t count);
/* tk_store_replace_installed() in a transaction that already holds the
 * device's lock (tk_store_lock_device()). */
tk_err tk_store_replace_installed_locked(tk_store_tx *tx, int64_t device_id,
                                         const tk_store_installed *items,
                                         size_t count);
tk_err tk_store_upsert_installed(tk_store_tx *tx, int64_t device_id,
                                 const tk_store_installed *item);
/* Deletes one entry; *changes (may be NULL) is 0 when there was none. */
tk_err tk_store_remove_installed(tk_store_tx *tx, int64_t device_id,
                                 tk_view component_id, int64_t *changes);

/* Writes an audit entry when actor is not NULL. */
tk_err tk_store_audit_write(tk_store_tx *tx, const char *actor,
                            const char *action, const char *object,
                            const char *detail);

/* ---- SQL helpers -------------------------------------------------------- */

tk_err tk_db_query(tk_store_tx *tx, const char *sql, const tk_db_val *params,
                   size_t count, tk_db_rows *rows);
tk_err tk_db_next(tk_store_tx *tx, tk_db_rows *rows, bool *has_row);
void tk_db_done(tk_store_tx *tx, tk_db_rows *rows);

/* Runs a statement to completion; *changes (may be NULL) receives the
 * number of rows it inserted, updated or deleted. */
tk_err tk_db_exec(tk_store_tx *tx, const char *sql, const tk_db_val *params,
                  size_t count, int64_t *changes);

/* Runs an INSERT and returns the id of the new row in *id: SQLite reads
 * the last rowid, PostgreSQL runs sql_returning (the same INSERT with
 * RETURNING id). Use TK_DB_INSERT_ID, which writes both texts. */
tk_err tk_db_insert_id(tk_store_tx *tx, const char *sql,
                       const char *sql_returning, const tk_db_val *params,
                       size_t count, int64_t *id);
#define TK_DB_INSERT_ID(tx, sql, params, count, id) \
    tk_db_insert_id(tx, sql, sql " RETURNING id", params, count, id)

/* Runs a query that returns at most one row with one integer column.
 * *found is true when a row came back (a NULL value reads as 0). */
tk_err tk_db_query_int(tk_store_tx *tx, const char *sql,
                       const tk_db_val *params, size_t count, int64_t *value,
                       bool *found);

bool tk_db_col_null(tk_store_tx *tx, const tk_db_rows *rows, int column);
int64_t tk_db_col_int(tk_store_tx *tx, const tk_db_rows *rows, int column);
/* Copy a column into tx->mem: bytes as a view, text NUL-terminated. */
tk_err tk_db_col_view(tk_store_tx *tx, const tk_db_rows *rows, int column,
                      tk_view *out);
tk_err tk_db_col_text(tk_store_tx *tx, const tk_db_rows *rows, int column,
                      const char **out);

/* Reads the current row into item (an entity struct). */
typedef tk_err (*tk_db_read_fn)(tk_store_tx *tx, const tk_db_rows *rows,
                                void *item);

/* Maximum equality filters of one list. */
#define TK_DB_MAX_FILTERS 4

/*
 * A paged list: "<select> WHERE <filters> AND <id> > $n ORDER BY <id>
 * LIMIT $m". The first column of select must be the id used as cursor.
 */
typedef struct tk_db_list {
    const char *select;  /* "SELECT ... FROM ..." without WHERE */
    const char *id;      /* the id column, e.g. "id" or "d.id" */
    const char *filter[TK_DB_MAX_FILTERS]; /* "class_id", ... */
    tk_db_val value[TK_DB_MAX_FILTERS];
    size_t filters;
    size_t item_size;
    tk_db_read_fn read;
} tk_db_list;

/* Adds the filter "column = value" to list. */
void tk_db_list_filter(tk_db_list *list, const char *column, tk_db_val value);
/* Adds the filter "column = id" to list unless id is 0, which the list
 * calls take to mean any row. */
void tk_db_list_filter_id(tk_db_list *list, const char *column, int64_t id);

/* Runs one page of list; items are copied into tx->mem. */
tk_err tk_db_list_page(tk_store_tx *tx, const tk_db_list *list,
                       const tk_store_page *page, const void **items,
                       size_t *count, int64_t *next);

/* Runs a query and reads its first row into item. *found is true when
 * there was one. */
tk_err tk_db_read_one(tk_store_tx *tx, const char *sql,
                      const tk_db_val *params, size_t count,
                      tk_db_read_fn read, void *item, bool *found);

/* Runs a query that returns at most max rows and reads them all into
 * tx->mem; more rows fail with TK_ERR_LIMIT naming what. */
tk_err tk_db_read_all(tk_store_tx *tx, const char *sql,
                      const tk_db_val *params, size_t count,
                      size_t item_size, tk_db_read_fn read, size_t max,
                      const char *what, const void **items, size_t *n);

/* Records a call rejected before it reached the database (a NULL pointer
 * or an out-of-range argument): sets "<op>: invalid argument: <what>" and
 * counts the error. Returns TK_ERR_INVALID_ARG. */
tk_err tk_store_invalid(tk_store *store, tk_store_op op,
                        tk_store_detail *detail, const char *what);

/* Counts a call rejected before it reached the database because a count
 * exceeds a limit (the caller wrote the message). Returns TK_ERR_LIMIT. */
tk_err tk_store_limit(tk_store *store, tk_store_op op);

/* ---- Operations shared by the entity tables ----------------------------- */

/* Checks the arguments of a call that returns its result in mem. When
 * store, mem or out is NULL, it records the call as tk_store_invalid()
 * does and returns false, and the caller returns TK_ERR_INVALID_ARG. */
bool tk_store_out_ok(tk_store *store, tk_store_op op, const tk_store_mem *mem,
                     const void *out, tk_store_detail *detail);

/* Runs body, the work of the read call op, in a read transaction with
 * a->out as its result. It first checks the arguments as
 * tk_store_out_ok() does and clears the first clear bytes of a->out. */
tk_err tk_store_run_read(tk_store *store, tk_store_op op, tk_store_body body,
                         tk_store_args *a, size_t clear, tk_store_mem *mem,
                         tk_store_detail *detail);

/* Maximum size of an audit object name such as "device/42", NUL included. */
#define TK_STORE_OBJECT_MAX 48

/* Writes the audit object name of a row, "<kind>/<id>". */
void tk_store_object_name(char out[TK_STORE_OBJECT_MAX], const char *kind,
                          int64_t id);

/* Queries and names of a table whose rows the shared calls read and
 * delete by id. */
typedef struct tk_store_table {
    const char *entity; /* the row in messages, such as "device class" */
    const char *kind;   /* the row in audit objects, such as "class" */
    const char *get;    /* "SELECT ... WHERE id = $1" */
    tk_db_read_fn read; /* reads a row of get */
    const char *remove; /* "DELETE FROM ... WHERE id = $1", NULL if none */
} tk_store_table;

/* Reads the row id of table into item. When there is none, it fails with
 * TK_ERR_STORE_NOT_FOUND and the message "<entity> <id> not found". */
tk_err tk_store_get_row(tk_store_tx *tx, const tk_store_table *table,
                        int64_t id, void *item);

/* Reads the row id of table into out, in a read transaction of op, after
 * the check of tk_store_out_ok(). */
tk_err tk_store_run_get(tk_store *store, tk_store_op op,
                        const tk_store_table *table, int64_t id,
                        tk_store_mem *mem, void *out, tk_store_detail *detail);

/* Deletes the row id of table in a write transaction of op. When actor is
 * not NULL, the transaction also writes the audit entry of action
 * "<kind>.delete" on the object "<kind>/<id>". */
tk_err tk_store_run_delete(tk_store *store, tk_store_op op,
                           const tk_store_table *table, int64_t id,
                           const char *actor, tk_store_detail *detail);

/* Runs one page of list in a read transaction of op. The page's items
 * (in mem), count and cursor of the next page go to *items, *count and
 * *next, which are cleared first and keep the values of the last attempt. */
tk_err tk_store_run_list(tk_store *store, tk_store_op op,
                         const tk_db_list *list, const tk_store_page *page,
                         tk_store_mem *mem, const void **items, size_t *count,
                         int64_t *next, tk_store_detail *detail);

/* True when v can be read: it has a pointer or no bytes. */
static inline bool tk_store_view_ok(tk_view v)
{
    return v.len == 0 || v.ptr != NULL;
}

#endif /* TK_STORE_INTERNAL_H */
