/*
 * SQLite backend of the TAM store: one database file in WAL mode, one
 * sqlite3 connection per pooled slot, prepared statements cached per
 * connection.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"
#include "store_sqlite_vfs.h"

/* Prepared statements kept per connection. */
#define STMT_CACHE_SIZE TK_STORE_MAX_STATEMENTS

/* Page size of a new database file, in bytes. A commit writes one WAL
 * frame per changed page and checksums all of it: a session's 23 frames
 * cost 147,000 instructions with 4096 and 71,000 with 1024. */
#ifndef TK_STORE_SQLITE_PAGE_SIZE
#define TK_STORE_SQLITE_PAGE_SIZE 1024
#endif
#define TK_STORE_TEXT_(x) #x
#define TK_STORE_TEXT(x) TK_STORE_TEXT_(x)
#define TK_STORE_SQLITE_PAGE_SIZE_TEXT TK_STORE_TEXT(TK_STORE_SQLITE_PAGE_SIZE)

typedef struct cached_stmt {
    uint64_t hash;    /* of sql, compared before the text */
    char *sql;        /* text as the operations wrote it, the cache key */
    const char *from; /* the caller's pointer to that text */
    sqlite3_stmt *stmt;
    uint64_t last_use;
} cached_stmt;

/* Transaction statements, prepared once per connection. */
enum {
    TX_BEGIN,           /* a read snapshot */
    TX_BEGIN_IMMEDIATE, /* a write */
    TX_COMMIT,
    TX_ROLLBACK,
    TX_COUNT
};

static const char *const tx_sql[TX_COUNT] = {
    [TX_BEGIN] = "BEGIN",
    [TX_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [TX_COMMIT] = "COMMIT",
    [TX_ROLLBACK] = "ROLLBACK",
};

/* A statement that writes nothing but takes the write lock, for
 * sqlite_upgrade(). used_tokens exists from schema version 4 on, and the
 * store reads in shared transactions only after its migrations. */
static const char upgrade_sql[] = "DELETE FROM used_tokens WHERE 0";

typedef struct sqlite_conn {
    sqlite3 *db;
    bool broken;
    uint64_t tick;
    sqlite3_stmt *tx[TX_COUNT];
    sqlite3_stmt *upgrade; /* upgrade_sql, NULL until first used */
    cached_stmt cache[STMT_CACHE_SIZE];
} sqlite_conn;

extern const char *const tk_store_sqlite_migrations[];
extern const size_t tk_store_sqlite_migration_count;

/* Maps an SQLite result code to a store error and copies the message. */
static tk_err map_error(sqlite_conn *c, int rc, tk_store_detail *detail)
{
    tk_store_set_detail(detail, "%s", sqlite3_errmsg(c->db));
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return TK_ERR_STORE_BUSY;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return TK_ERR_STORE_DUPLICATE;
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            return TK_ERR_STORE_REFERENCE;
        return TK_ERR_STORE_CONSTRAINT;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        c->broken = true;
        return TK_ERR_STORE_CORRUPT;
    case SQLITE_READONLY:
        return TK_ERR_STORE_READONLY;
    case SQLITE_NOMEM:
        return TK_ERR_STORE_NOMEM;
    case SQLITE_CANTOPEN:
        c->broken = true;
        return TK_ERR_STORE_CONNECT;
    case SQLITE_IOERR:
        c->broken = true;
        return TK_ERR_STORE_BACKEND;
    default:
        return TK_ERR_STORE_BACKEND;
    }
}

static tk_err exec_simple(sqlite_conn *c, const char *sql,
                          tk_store_detail *detail)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TK_OK : map_error(c, rc, detail);
}

static void sqlite_disconnect(void *conn)
{
    sqlite_conn *c = conn;
    if (c == NULL)
        return;
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_finalize(c->cache[i].stmt);
        free(c->cache[i].sql);
    }
    for (size_t i = 0; i < TX_COUNT; i++)
        sqlite3_finalize(c->tx[i]);
    sqlite3_finalize(c->upgrade);
    sqlite3_close(c->db);
    free(c);
}

/* Creates the database file with mode 0600 when it does not exist, because
 * it contains live tokens. SQLite gives its -wal and -shm files the same
 * mode. */
static tk_err create_private_file(const char *path, tk_store_detail *detail)
{
    if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
        return TK_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        return TK_OK;
    }
    if (errno == EEXIST)
        return TK_OK;
    tk_store_set_detail(detail, "cannot create database file %s: %s", path,
                        strerror(errno));
    return TK_ERR_STORE_CONNECT;
}

/* Switches to WAL and checks that the switch happened. */
static tk_err enable_wal(sqlite_conn *c, const char *path,
                         tk_store_detail *detail)
{
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &stmt,
                                NULL);
    if (rc != SQLITE_OK)
        return map_error(c, rc, detail);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        tk_err err = map_error(c, rc, detail);
        sqlite3_finalize(stmt);
        return err;
    }
    const char *mode = (const char *)sqlite3_column_text(stmt, 0);
    bool ok = mode != NULL && (strcmp(mode, "wal") == 0 ||
                               strcmp(path, ":memory:") == 0);
    if (!ok)
        tk_store_set_detail(detail, "journal_mode stayed %s instead of wal",
                            mode == NULL ? "unknown" : mode);
    sqlite3_finalize(stmt);
    return ok ? TK_OK : TK_ERR_STORE_BACKEND;
}

static tk_err sqlite_connect(const char *target,
                             const tk_store_options *options, void **conn,
                             tk_store_detail *detail)
{
    tk_err err = create_private_file(target, detail);
    if (err != TK_OK)
        return err;
    sqlite_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        tk_store_set_detail(detail, "out of memory");
        return TK_ERR_STORE_NOMEM;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    /* With synchronous=FULL, the frames of a commit reach the WAL in one
     * write (store_sqlite_vfs.c). */
    const char *vfs = options->sync == TK_STORE_SYNC_NORMAL
                          ? NULL
                          : tk_store_sqlite_wal_vfs();
    int rc = sqlite3_open_v2(target, &c->db, flags, vfs);
    if (rc != SQLITE_OK) {
        if (c->db != NULL)
            tk_store_set_detail(detail, "cannot open %s: %s", target,
                                sqlite3_errmsg(c->db));
        else
            tk_store_set_detail(detail, "cannot open %s: out of memory",
                                target);
        sqlite_disconnect(c);
        return rc == SQLITE_NOMEM ? TK_ERR_STORE_NOMEM : TK_ERR_STORE_CONNECT;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, (int)options->busy_timeout_ms);
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    err = exec_simple(c, "PRAGMA page_size=" TK_STORE_SQLITE_PAGE_SIZE_TEXT,
                      detail);
    if (err == TK_OK)
        err = enable_wal(c, target, detail);
    /* FULL makes every commit durable: a consumed token stays consumed
     * after a power loss. NORMAL (an option) syncs the WAL only at
     * checkpoints: the database stays consistent, but the last commits
     * may roll back after a power loss. */
    if (err == TK_OK)
        err = exec_simple(c,
                          options->sync == TK_STORE_SYNC_NORMAL
                              ? "PRAGMA foreign_keys=ON;"
                                "PRAGMA synchronous=NORMAL;"
                                "PRAGMA trusted_schema=OFF"
                              : "PRAGMA foreign_keys=ON;"
                                "PRAGMA synchronous=FULL;"
                                "PRAGMA trusted_schema=OFF",
                          detail);
    for (size_t i = 0; err == TK_OK && i < TX_COUNT; i++) {
        rc = sqlite3_prepare_v3(c->db, tx_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &c->tx[i], NULL);
        if (rc != SQLITE_OK)
            err = map_error(c, rc, detail);
    }
    if (err != TK_OK) {
        sqlite_disconnect(c);
        return err;
    }
    *conn = c;
    return TK_OK;
}

/* Runs one of the prepared transaction statements (TX_BEGIN ...). */
static tk_err run_tx(sqlite_conn *c, int statement, tk_store_detail *detail)
{
    sqlite3_stmt *stmt = c->tx[statement];
    int rc = sqlite3_step(stmt);
    tk_err err = rc == SQLITE_DONE ? TK_OK : map_error(c, rc, detail);
    sqlite3_reset(stmt);
    return err;
}

static bool sqlite_broken(void *conn)
{
    return ((sqlite_conn *)conn)->broken;
}

static tk_err sqlite_begin(void *conn, tk_db_tx_kind kind,
                           tk_store_detail *detail)
{
    /* Write transactions take the write lock at BEGIN, so they never have
     * to upgrade a read lock, which can fail without waiting. */
    return run_tx(conn, kind == TK_DB_READ ? TX_BEGIN : TX_BEGIN_IMMEDIATE,
                  detail);
}

/* Takes the write lock with a write statement inside the read
 * transaction. Unlike COMMIT and BEGIN IMMEDIATE, this keeps the read lock
 * of the WAL index, which saves 2 fcntl() calls. SQLite fails at once
 * with SQLITE_BUSY when another connection holds the write lock, and with
 * SQLITE_BUSY_SNAPSHOT when one committed after the snapshot began. The
 * transaction then stays a read transaction. */
static tk_err sqlite_upgrade(void *conn, tk_store_detail *detail)
{
    sqlite_conn *c = conn;
    if (c->upgrade == NULL) {
        int rc = sqlite3_prepare_v3(c->db, upgrade_sql, -1,
                                    SQLITE_PREPARE_PERSISTENT, &c->upgrade,
                                    NULL);
        if (rc != SQLITE_OK)
            return map_error(c, rc, detail);
    }
    int rc = sqlite3_step(c->upgrade);
    tk_err err = rc == SQLITE_DONE ? TK_OK : map_error(c, rc, detail);
    sqlite3_reset(c->upgrade);
    if (err == TK_OK && sqlite3_txn_state(c->db, "main") != SQLITE_TXN_WRITE) {
        tk_store_set_detail(detail, "the read transaction stayed a read");
        err = TK_ERR_STORE_BUSY;
    }
    return err;
}

static tk_err sqlite_commit(void *conn, tk_store_detail *detail)
{
    return run_tx(conn, TX_COMMIT, detail);
}

static void sqlite_rollback(void *conn)
{
    sqlite_conn *c = conn;
    tk_store_detail ignored;
    if (!sqlite3_get_autocommit(c->db))
        run_tx(c, TX_ROLLBACK, &ignored);
}

static tk_err sqlite_script(void *conn, const char *sql,
                            tk_store_detail *detail)
{
    return exec_simple(conn, sql, detail);
}

/* Rewrites the $1, $2 parameters of the shared SQL to SQLite's ?1, ?2. */
static char *rewrite_params(const char *sql)
{
    char *copy = strdup(sql);
    if (copy == NULL)
        return NULL;
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == '$')
            *p = '?';
    }
    return copy;
}

static tk_err prepare(sqlite_conn *c, const char *sql, sqlite3_stmt **stmt,
                      tk_store_detail *detail)
{
    char *text = rewrite_params(sql);
    if (text == NULL) {
        tk_store_set_detail(detail, "out of memory");
        return TK_ERR_STORE_NOMEM;
    }
    int rc = sqlite3_prepare_v3(c->db, text, -1, SQLITE_PREPARE_PERSISTENT,
                                stmt, NULL);
    free(text);
    return rc == SQLITE_OK ? TK_OK : map_error(c, rc, detail);
}

/* Finds or prepares the statement for sql. A cached statement that is still
 * stepping (the same SQL nested in itself) is not shared: a temporary one
 * is prepared instead. */
static tk_err get_stmt(sqlite_conn *c, const char *sql, sqlite3_stmt **stmt,
                       bool *temporary, tk_store_detail *detail)
{
    c->tick++;
    /* The operations pass string literals, so the pointer of the last
     * call with the same text finds its entry without hashing the text.
     * strcmp() confirms the match in case a caller reused a buffer. */
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        cached_stmt *e = &c->cache[i];
        if (e->from == sql && e->sql != NULL && strcmp(e->sql, sql) == 0 &&
            !sqlite3_stmt_busy(e->stmt)) {
            e->last_use = c->tick;
            *stmt = e->stmt;
            *temporary = false;
            return TK_OK;
        }
    }
    uint64_t hash = tk_db_text_hash(sql);
    size_t victim = 0;
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        cached_stmt *e = &c->cache[i];
        if (e->sql != NULL && e->hash == hash && strcmp(e->sql, sql) == 0) {
            if (sqlite3_stmt_busy(e->stmt)) {
                *temporary = true;
                return prepare(c, sql, stmt, detail);
            }
            e->last_use = c->tick;
            e->from = sql;
            *stmt = e->stmt;
            *temporary = false;
            return TK_OK;
        }
        if (e->last_use < c->cache[victim].last_use)
            victim = i;
    }
    cached_stmt *e = &c->cache[victim];
    if (e->stmt != NULL && sqlite3_stmt_busy(e->stmt)) {
        *temporary = true;
        return prepare(c, sql, stmt, detail);
    }
    char *key = strdup(sql);
    if (key == NULL) {
        tk_store_set_detail(detail, "out of memory");
        return TK_ERR_STORE_NOMEM;
    }
    sqlite3_stmt *fresh;
    tk_err err = prepare(c, sql, &fresh, detail);
    if (err != TK_OK) {
        free(key);
        return err;
    }
    sqlite3_finalize(e->stmt);
    free(e->sql);
    e->hash = hash;
    e->sql = key;
    e->from = sql;
    e->stmt = fresh;
    e->last_use = c->tick;
    *stmt = fresh;
    *temporary = false;
    return TK_OK;
}

/* SQLite copies bound values (SQLITE_TRANSIENT) so the caller's buffers
 * need not outlive the call; an empty blob binds a zero-length value. */
static int bind_value(sqlite3_stmt *stmt, int index, const tk_db_val *v)
{
    if (v->null)
        return sqlite3_bind_null(stmt, index);
    switch (v->type) {
    case TK_DB_INT:
        return sqlite3_bind_int64(stmt, index, v->i);
    case TK_DB_TEXT:
        return sqlite3_bind_text64(stmt, index, v->ptr, v->len,
                                   SQLITE_TRANSIENT, SQLITE_UTF8);
    case TK_DB_BLOB:
        if (v->len == 0)
            return sqlite3_bind_zeroblob(stmt, index, 0);
        return sqlite3_bind_blob64(stmt, index, v->ptr, v->len,
                                   SQLITE_TRANSIENT);
    }
    return SQLITE_MISUSE;
}

/* A cached statement keeps its bound values until its next use, which
 * binds them again (see sqlite_query). */
static void release_stmt(sqlite3_stmt *stmt, bool temporary)
{
    if (temporary)
        sqlite3_finalize(stmt);
    else
        sqlite3_reset(stmt);
}

static tk_err sqlite_query(void *conn, const char *sql,
                           const tk_db_val *params, size_t count,
                           tk_db_rows *rows, tk_store_detail *detail)
{
    sqlite_conn *c = conn;
    sqlite3_stmt *stmt;
    bool temporary;
    tk_err err = get_stmt(c, sql, &stmt, &temporary, detail);
    if (err != TK_OK)
        return err;
    /* Each call binds every parameter, which replaces the values of the
     * statement's last use. A call with fewer leaves the rest NULL, as on a
     * fresh statement. */
    if (count != (size_t)sqlite3_bind_parameter_count(stmt))
        sqlite3_clear_bindings(stmt);
    for (size_t i = 0; i < count; i++) {
        int rc = bind_value(stmt, (int)i + 1, &params[i]);
        if (rc != SQLITE_OK) {
            err = map_error(c, rc, detail);
            release_stmt(stmt, temporary);
            return err;
        }
    }
    rows->conn = c;
    rows->handle = stmt;
    rows->temporary = temporary;
    return TK_OK;
}

static tk_err sqlite_step(tk_db_rows *rows, bool *has_row,
                          tk_store_detail *detail)
{
    sqlite_conn *c = rows->conn;
    *has_row = false;
    int rc = sqlite3_step(rows->handle);
    if (rc == SQLITE_ROW) {
        *has_row = true;
        return TK_OK;
    }
    if (rc == SQLITE_DONE) {
        rows->changes = sqlite3_changes64(c->db);
        return TK_OK;
    }
    return map_error(c, rc, detail);
}

static bool sqlite_column_null(const tk_db_rows *rows, int column)
{
    return sqlite3_column_type(rows->handle, column) == SQLITE_NULL;
}

static int64_t sqlite_column_int(const tk_db_rows *rows, int column)
{
    return sqlite3_column_int64(rows->handle, column);
}

static tk_view sqlite_column_bytes(const tk_db_rows *rows, int column)
{
    const void *p;
    if (sqlite3_column_type(rows->handle, column) == SQLITE_TEXT)
        p = sqlite3_column_text(rows->handle, column);
    else
        p = sqlite3_column_blob(rows->handle, column);
    int n = sqlite3_column_bytes(rows->handle, column);
    return (tk_view){p, n > 0 ? (size_t)n : 0};
}

static void sqlite_finish(tk_db_rows *rows)
{
    if (rows->handle != NULL)
        release_stmt(rows->handle, rows->temporary);
    rows->handle = NULL;
}

static int64_t sqlite_last_insert_id(void *conn)
{
    return sqlite3_last_insert_rowid(((sqlite_conn *)conn)->db);
}

/* BEGIN IMMEDIATE already keeps every other writer out. */
static tk_err sqlite_lock_migrations(void *conn, tk_store_detail *detail)
{
    (void)conn;
    (void)detail;
    return TK_OK;
}

const tk_db_driver tk_db_sqlite = {
    .name = "sqlite",
    .connect = sqlite_connect,
    .disconnect = sqlite_disconnect,
    .broken = sqlite_broken,
    .begin = sqlite_begin,
    .upgrade = sqlite_upgrade,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .script = sqlite_script,
    .query = sqlite_query,
    .step = sqlite_step,
    .column_null = sqlite_column_null,
    .column_int = sqlite_column_int,
    .column_bytes = sqlite_column_bytes,
    .finish = sqlite_finish,
    .schema_probe = "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                    "AND name = 'schema_version'",
    .sync_probe = "PRAGMA synchronous",
    .lock_device = "SELECT id FROM devices WHERE id = $1",
    .last_insert_id = sqlite_last_insert_id,
    .lock_migrations = sqlite_lock_migrations,
    .single_writer = true,
    .migrations = tk_store_sqlite_migrations,
    .migration_count = TK_STORE_SCHEMA_VERSION,
};
