/*
 * The VFS of the SQLite store that collects the frames of a WAL commit
 * into one write (apps/store/store_sqlite_vfs.c). A second connection on
 * the default VFS must see every commit of the first as soon as the commit
 * returns. This applies to large commits, and for commits after frames that
 * a statement spilled and a rollback dropped. The files must stay intact
 * through checkpoints and reopening.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store_sqlite_vfs.h"

typedef struct files {
    char dir[64];
    char db[96];
} files;

static int setup(void **state)
{
    files *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tk-store-vfs.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/store.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    files *f = *state;
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s%s", f->db, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *message = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &message);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, message != NULL ? message : "?");
    sqlite3_free(message);
    assert_int_equal(rc, SQLITE_OK);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

static void assert_intact(sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
                                        &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "ok");
    sqlite3_finalize(stmt);
}

/* The writer: the store's VFS, WAL, synchronous=FULL, 1 KiB pages. */
static sqlite3 *open_writer(const files *f)
{
    const char *vfs = tk_store_sqlite_wal_vfs();
    assert_non_null(vfs);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->db, &db,
                                     SQLITE_OPEN_READWRITE |
                                         SQLITE_OPEN_CREATE,
                                     vfs),
                     SQLITE_OK);
    exec(db, "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; "
             "PRAGMA synchronous=FULL");
    return db;
}

/* A reader on the default VFS, as another process would be. */
static sqlite3 *open_reader(const files *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    return db;
}

static void vfs_is_registered_once(void **state)
{
    (void)state;
    const char *name = tk_store_sqlite_wal_vfs();
    assert_non_null(name);
    assert_string_equal(name, TK_STORE_SQLITE_WAL_VFS);
    assert_ptr_equal(tk_store_sqlite_wal_vfs(), name);
    sqlite3_vfs *vfs = sqlite3_vfs_find(name);
    assert_non_null(vfs);
    /* Not the default: only the connections that ask for it use it. */
    assert_ptr_not_equal(sqlite3_vfs_find(NULL), vfs);
}

static void commits_are_visible_at_once(void **state)
{
    files *f = *state;
    sqlite3 *w = open_writer(f);
    exec(w, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    sqlite3 *r = open_reader(f);
    for (int i = 1; i <= 20; i++) {
        exec(w, "BEGIN IMMEDIATE; "
                "INSERT INTO t (v) VALUES (randomblob(300)); "
                "INSERT INTO t (v) VALUES (randomblob(300)); COMMIT");
        assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 2 * i);
    }
    assert_intact(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

/* A commit of about 400 frames, several times the VFS's buffer. */
static void large_commit_is_complete(void **state)
{
    files *f = *state;
    sqlite3 *w = open_writer(f);
    exec(w, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    exec(w, "BEGIN IMMEDIATE; "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 400) INSERT INTO t (v) SELECT zeroblob(900) FROM n; "
            "COMMIT");
    sqlite3 *r = open_reader(f);
    assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 400);
    assert_int_equal(query_int(r, "SELECT sum(length(v)) FROM t"), 360000);
    assert_intact(r);
    exec(w, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 400);
    assert_intact(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

/* With a small page cache, SQLite writes frames before the commit and
 * reads them back. A rollback leaves them in the WAL, and the next
 * transaction overwrites them. */
static void spilled_frames_roll_back(void **state)
{
    files *f = *state;
    sqlite3 *w = open_writer(f);
    exec(w, "PRAGMA cache_size=8; "
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    exec(w, "INSERT INTO t (v) VALUES (x'01')");
    exec(w, "BEGIN IMMEDIATE; "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 200) INSERT INTO t (v) SELECT randomblob(700) FROM n");
    assert_int_equal(query_int(w, "SELECT count(*) FROM t"), 201);
    exec(w, "ROLLBACK");
    sqlite3 *r = open_reader(f);
    assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 1);
    exec(w, "BEGIN IMMEDIATE; "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 30) INSERT INTO t (v) SELECT randomblob(700) FROM n; "
            "COMMIT");
    assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 31);
    assert_intact(r);
    sqlite3_close(r);
    /* Closing the last connection checkpoints and removes the WAL. The
     * reopened file contains the same rows. */
    sqlite3_close(w);
    w = open_writer(f);
    assert_int_equal(query_int(w, "SELECT count(*) FROM t"), 31);
    assert_intact(w);
    sqlite3_close(w);
}

/* Many small commits wrap the WAL around after each checkpoint, which
 * writes its header again at the start of the file. */
static void wal_restarts_stay_intact(void **state)
{
    files *f = *state;
    sqlite3 *w = open_writer(f);
    exec(w, "PRAGMA wal_autocheckpoint=20; "
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    sqlite3 *r = open_reader(f);
    for (int i = 1; i <= 300; i++) {
        exec(w, "INSERT INTO t (v) VALUES (randomblob(200))");
        if (i % 50 == 0)
            assert_int_equal(query_int(r, "SELECT count(*) FROM t"), i);
    }
    assert_intact(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

/* Without powersafe overwrite SQLite pads each commit to a sector and
 * writes part of it after the sync, so the VFS writes directly. */
static void padded_wal_is_written_directly(void **state)
{
    files *f = *state;
    char uri[128];
    snprintf(uri, sizeof uri, "file:%s?psow=0", f->db);
    sqlite3 *w = NULL;
    assert_int_equal(sqlite3_open_v2(uri, &w,
                                     SQLITE_OPEN_READWRITE |
                                         SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
                                     tk_store_sqlite_wal_vfs()),
                     SQLITE_OK);
    exec(w, "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; "
            "PRAGMA synchronous=FULL; "
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    sqlite3 *r = open_reader(f);
    for (int i = 1; i <= 10; i++) {
        exec(w, "INSERT INTO t (v) VALUES (randomblob(300))");
        assert_int_equal(query_int(r, "SELECT count(*) FROM t"), i);
    }
    assert_intact(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vfs_is_registered_once),
        cmocka_unit_test_setup_teardown(commits_are_visible_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(large_commit_is_complete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(spilled_frames_roll_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(wal_restarts_stay_intact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(padded_wal_is_written_directly, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
