/*
 * The database a store test program runs against, so that one suite runs on
 * both backends:
 *
 *   test_store                  SQLite files in a fresh temporary folder
 *   test_store pg CONNINFO_FILE PostgreSQL; the file contains the
 *                               connection string that
 *                               tools/pg-test-server.sh printed
 *
 * On PostgreSQL every program works in its own schema (tk_test_<pid>) set
 * through the search_path, so programs can share one server and database.
 */
#ifndef TK_STORE_BACKEND_H
#define TK_STORE_BACKEND_H

#include <stdbool.h>

/* Picks the backend from the command line; aborts on a bad invocation. */
void backend_init(int argc, char **argv);

/* Removes what the program created (files, schema). */
void backend_cleanup(void);

/* True when the suite runs on PostgreSQL. */
bool backend_is_pg(void);

/* Switches to a new, empty database and returns its connection string. */
const char *backend_fresh(void);

/* Connection string of the current database. */
const char *backend_uri(void);

/* Runs SQL on the current database outside the store; aborts on failure. */
void backend_exec(const char *sql);

/* Runs a query that returns one text value; writes it to out (cap bytes). */
void backend_query_text(const char *sql, char *out, unsigned cap);

/* Makes the PostgreSQL server close every connection this program opened
 * through backend_uri(), as a server restart would. Returns their number. */
int backend_pg_drop_connections(void);

/* Base PostgreSQL connection string (the server's), or NULL on SQLite. */
const char *backend_pg_base(void);

#endif /* TK_STORE_BACKEND_H */
