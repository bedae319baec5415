/* Test databases for the store suites; see store_backend.h. */
#define _POSIX_C_SOURCE 200809L

#include "store_backend.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool use_pg;
static char pg_base[1024];
static char pg_schema[64];
static char temp_dir[256];
static char uri[1400];
static char sqlite_path[512];
static unsigned db_counter;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "store test backend: %s: %s\n", what, detail);
    abort();
}

static void read_conninfo(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail("cannot open the connection string file", path);
    if (fgets(pg_base, sizeof pg_base, f) == NULL)
        fail("empty connection string file", path);
    fclose(f);
    pg_base[strcspn(pg_base, "\r\n")] = '\0';
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_exec_on(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        fail("cannot connect to PostgreSQL", PQerrorMessage(c));
    PQsetNoticeProcessor(c, ignore_notice, NULL);
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail(sql, PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(c);
}

void backend_init(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "pg") == 0) {
        use_pg = true;
        read_conninfo(argv[2]);
        snprintf(pg_schema, sizeof pg_schema, "tk_test_%ld", (long)getpid());
    } else if (argc == 1 || (argc == 2 && strcmp(argv[1], "sqlite") == 0)) {
        snprintf(temp_dir, sizeof temp_dir, "/tmp/tk-store-test-XXXXXX");
        if (mkdtemp(temp_dir) == NULL)
            fail("mkdtemp failed", temp_dir);
    } else {
        fail("usage", "test_store [sqlite | pg CONNINFO_FILE]");
    }
}

static void remove_sqlite_files(const char *path)
{
    char name[600];
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

void backend_cleanup(void)
{
    if (use_pg) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE",
                 pg_schema);
        pg_exec_on(pg_base, sql);
        return;
    }
    for (unsigned i = 1; i <= db_counter; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/db-%u.sqlite", temp_dir, i);
        remove_sqlite_files(path);
    }
    rmdir(temp_dir);
}

bool backend_is_pg(void)
{
    return use_pg;
}

const char *backend_fresh(void)
{
    db_counter++;
    if (use_pg) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
                 pg_schema, pg_schema);
        pg_exec_on(pg_base, sql);
        /* libpq URI parameters: options=-csearch_path=<schema>, and the
         * schema name as application_name to find this program's
         * connections on the server. */
        snprintf(uri, sizeof uri,
                 "%s%coptions=-csearch_path%%3D%s&application_name=%s",
                 pg_base, strchr(pg_base, '?') != NULL ? '&' : '?', pg_schema,
                 pg_schema);
    } else {
        snprintf(sqlite_path, sizeof sqlite_path, "%s/db-%u.sqlite", temp_dir,
                 db_counter);
        remove_sqlite_files(sqlite_path);
        snprintf(uri, sizeof uri, "sqlite:%s", sqlite_path);
    }
    return uri;
}

const char *backend_uri(void)
{
    return uri;
}

int backend_pg_drop_connections(void)
{
    char sql[256];
    char count[32];
    snprintf(sql, sizeof sql,
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE application_name = '%s' AND pid <> pg_backend_pid()",
             pg_schema);
    backend_query_text(sql, count, sizeof count);
    return atoi(count);
}

const char *backend_pg_base(void)
{
    return use_pg ? pg_base : NULL;
}

void backend_exec(const char *sql)
{
    if (use_pg) {
        pg_exec_on(uri, sql);
        return;
    }
    sqlite3 *db;
    if (sqlite3_open(sqlite_path, &db) != SQLITE_OK)
        fail("cannot open", sqlite_path);
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
        fail(sql, message != NULL ? message : "unknown error");
    sqlite3_close(db);
}

static int copy_first(void *arg, int columns, char **values, char **names)
{
    (void)names;
    char **out = arg;
    if (columns > 0 && values[0] != NULL && *out == NULL)
        *out = strdup(values[0]);
    return 0;
}

void backend_query_text(const char *sql, char *out, unsigned cap)
{
    out[0] = '\0';
    if (use_pg) {
        PGconn *c = PQconnectdb(uri);
        if (PQstatus(c) != CONNECTION_OK)
            fail("cannot connect to PostgreSQL", PQerrorMessage(c));
        PGresult *res = PQexec(c, sql);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
            fail(sql, PQresultErrorMessage(res));
        if (PQntuples(res) > 0)
            snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        PQfinish(c);
        return;
    }
    sqlite3 *db;
    if (sqlite3_open(sqlite_path, &db) != SQLITE_OK)
        fail("cannot open", sqlite_path);
    char *value = NULL;
    char *message = NULL;
    if (sqlite3_exec(db, sql, copy_first, &value, &message) != SQLITE_OK)
        fail(sql, message != NULL ? message : "unknown error");
    if (value != NULL)
        snprintf(out, cap, "%s", value);
    free(value);
    sqlite3_close(db);
}
