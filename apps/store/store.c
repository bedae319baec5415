/*
 * The backend-neutral core of the TAM store: opening and migrating the
 * database, the connection pool, the transaction runner with its retries,
 * statistics and result memory.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"

/* Defaults of tk_store_options. */
#define DEFAULT_POOL_SIZE 4u
#define DEFAULT_BUSY_TIMEOUT_MS 5000u
#define DEFAULT_ACQUIRE_TIMEOUT_MS 10000u
#define DEFAULT_MAX_RETRIES 4u

/* Maximum pause between two attempts of a retried transaction. */
#define MAX_BACKOFF_NS 50000000ull

/* Size of a fresh chunk of result memory; larger requests get their own. */
#define CHUNK_SIZE 4096u

typedef struct op_counters {
    _Atomic uint64_t calls;
    _Atomic uint64_t errors;
    _Atomic uint64_t retries;
    _Atomic uint64_t total_ns;
    _Atomic uint64_t max_ns;
} op_counters;

typedef struct pool_slot {
    void *conn;  /* NULL until connected */
    bool in_use; /* borrowed, or reserved while connecting */
} pool_slot;

struct tk_store {
    const tk_db_driver *driver;
    char *target; /* may carry a password: never printed */
    tk_store_options options;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    /* Held by the write transaction in progress when the driver allows
     * one writer at a time. */
    pthread_mutex_t writer;
    unsigned size;
    pool_slot slots[TK_STORE_MAX_POOL];
    op_counters stats[TK_STORE_OP_COUNT];
    /* Write transactions that this handle committed. Counted under the
     * writer mutex when the driver has one. */
    _Atomic uint64_t commits;
};

struct tk_store_chunk {
    struct tk_store_chunk *older;
    size_t size;
    size_t used;
    _Alignas(max_align_t) unsigned char data[];
};

static const char *const op_names[TK_STORE_OP_COUNT] = {
#define TK_STORE_OP_NAME(name, label) label,
    TK_STORE_OPS(TK_STORE_OP_NAME)
#undef TK_STORE_OP_NAME
};

const char *tk_store_op_name(tk_store_op op)
{
    if ((unsigned)op >= TK_STORE_OP_COUNT)
        return "unknown";
    return op_names[op];
}

void tk_store_set_detail(tk_store_detail *detail, const char *fmt, ...)
{
    if (detail == NULL)
        return;
    va_list args;
    va_start(args, fmt);
    vsnprintf(detail->text, sizeof detail->text, fmt, args);
    va_end(args);
}

tk_err tk_store_fail(tk_store_tx *tx, tk_err err, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(tx->detail->text, sizeof tx->detail->text, fmt, args);
    va_end(args);
    return err;
}

/* Replaces the message with the concatenation of parts (which may include
 * detail->text itself), cut to fit. */
static void join_detail(tk_store_detail *detail, const char *const *parts,
                        size_t count)
{
    char text[TK_STORE_DETAIL_MAX];
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        size_t n = strnlen(parts[i], sizeof text - 1 - used);
        memcpy(text + used, parts[i], n);
        used += n;
    }
    text[used] = '\0';
    memcpy(detail->text, text, used + 1);
}

tk_err tk_store_annotate(tk_store_tx *tx, tk_err err, const char *fmt, ...)
{
    char prefix[TK_STORE_DETAIL_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, args);
    va_end(args);
    const char *parts[] = {prefix, ": ", tx->detail->text};
    join_detail(tx->detail, parts, 3);
    return err;
}

/* ---- Result memory ------------------------------------------------------ */

void *tk_store_mem_alloc(tk_store_mem *mem, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    struct tk_store_chunk *head = mem->chunks;
    if (head == NULL || head->size - head->used < size) {
        size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;
        struct tk_store_chunk *chunk = malloc(sizeof *chunk + cap);
        if (chunk == NULL)
            return NULL;
        chunk->older = head;
        chunk->size = cap;
        chunk->used = 0;
        mem->chunks = chunk;
        head = chunk;
    }
    void *p = head->data + head->used;
    head->used += size;
    return p;
}

tk_store_mem_mark tk_store_mem_get_mark(const tk_store_mem *mem)
{
    tk_store_mem_mark mark = {mem->chunks, 0};
    if (mem->chunks != NULL)
        mark.used = mem->chunks->used;
    return mark;
}

void tk_store_mem_reset(tk_store_mem *mem, tk_store_mem_mark mark)
{
    while (mem->chunks != NULL && mem->chunks != mark.chunk) {
        struct tk_store_chunk *older = mem->chunks->older;
        free(mem->chunks);
        mem->chunks = older;
    }
    if (mem->chunks != NULL)
        mem->chunks->used = mark.used;
}

void tk_store_mem_free(tk_store_mem *mem)
{
    if (mem == NULL)
        return;
    tk_store_mem_reset(mem, (tk_store_mem_mark){NULL, 0});
}

/* ---- Clocks and statistics ---------------------------------------------- */

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t wall_clock(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

static void record_stats(tk_store *store, tk_store_op op, tk_err err,
                         uint64_t elapsed_ns, unsigned retries)
{
    op_counters *c = &store->stats[op];
    atomic_fetch_add(&c->calls, 1);
    if (err != TK_OK)
        atomic_fetch_add(&c->errors, 1);
    atomic_fetch_add(&c->retries, retries);
    atomic_fetch_add(&c->total_ns, elapsed_ns);
    uint64_t max = atomic_load(&c->max_ns);
    while (elapsed_ns > max &&
           !atomic_compare_exchange_weak(&c->max_ns, &max, elapsed_ns)) {
    }
    if (store->options.observe != NULL)
        store->options.observe(store->options.observe_ctx, op, err,
                               elapsed_ns);
}

void tk_store_op_stats_get(const tk_store *store, tk_store_op op,
                           tk_store_op_stats *out)
{
    memset(out, 0, sizeof *out);
    if (store == NULL || (unsigned)op >= TK_STORE_OP_COUNT)
        return;
    /* The counters are atomics, so reading them through a const handle
     * needs a cast; loads do not modify them. */
    op_counters *c = (op_counters *)&store->stats[op];
    out->calls = atomic_load(&c->calls);
    out->errors = atomic_load(&c->errors);
    out->retries = atomic_load(&c->retries);
    out->total_ns = atomic_load(&c->total_ns);
    out->max_ns = atomic_load(&c->max_ns);
}

tk_err tk_store_invalid(tk_store *store, tk_store_op op,
                        tk_store_detail *detail, const char *what)
{
    tk_store_set_detail(detail, "%s: invalid argument: %s",
                        tk_store_op_name(op), what);
    if (store != NULL)
        record_stats(store, op, TK_ERR_INVALID_ARG, 0, 0);
    return TK_ERR_INVALID_ARG;
}

tk_err tk_store_limit(tk_store *store, tk_store_op op)
{
    record_stats(store, op, TK_ERR_LIMIT, 0, 0);
    return TK_ERR_LIMIT;
}

/* ---- Connection pool ---------------------------------------------------- */

/* Borrows a connected slot, connecting a new one while the pool has room,
 * else waiting up to acquire_timeout_ms for one to be released. */
static tk_err pool_acquire(tk_store *store, unsigned *index,
                           tk_store_detail *detail)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    unsigned wait_ms = store->options.acquire_timeout_ms;
    deadline.tv_sec += (time_t)(wait_ms / 1000u);
    deadline.tv_nsec += (long)(wait_ms % 1000u) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock(&store->lock);
    for (;;) {
        int idle = -1;
        int empty = -1;
        for (unsigned i = 0; i < store->size; i++) {
            if (store->slots[i].in_use)
                continue;
            if (store->slots[i].conn != NULL) {
                idle = (int)i;
                break;
            }
            if (empty < 0)
                empty = (int)i;
        }
        int pick = idle >= 0 ? idle : empty;
        if (pick >= 0) {
            store->slots[pick].in_use = true;
            pthread_mutex_unlock(&store->lock);
            *index = (unsigned)pick;
            if (idle >= 0)
                return TK_OK;
            void *conn = NULL;
            tk_err err = store->driver->connect(store->target, &store->options,
                                                &conn, detail);
            pthread_mutex_lock(&store->lock);
            if (err == TK_OK)
                store->slots[pick].conn = conn;
            else
                store->slots[pick].in_use = false;
            pthread_cond_signal(&store->freed);
            pthread_mutex_unlock(&store->lock);
            return err;
        }
        int rc = pthread_cond_timedwait(&store->freed, &store->lock, &deadline);
        if (rc == ETIMEDOUT) {
            pthread_mutex_unlock(&store->lock);
            tk_store_set_detail(detail,
                                "all %u pooled connections stayed busy for "
                                "%u ms",
                                store->size, wait_ms);
            return TK_ERR_STORE_TIMEOUT;
        }
    }
}

/* Returns a slot to the pool; a broken connection is closed so that the
 * next borrower reconnects. */
static void pool_release(tk_store *store, unsigned index, bool broken)
{
    void *close_conn = NULL;
    pthread_mutex_lock(&store->lock);
    if (broken) {
        close_conn = store->slots[index].conn;
        store->slots[index].conn = NULL;
    }
    store->slots[index].in_use = false;
    pthread_cond_signal(&store->freed);
    pthread_mutex_unlock(&store->lock);
    if (close_conn != NULL)
        store->driver->disconnect(close_conn);
}

/* ---- Transaction runner ------------------------------------------------- */

/* The read transaction that tk_store_shared_reads_begin() lets this
 * thread's reads share. */
typedef struct shared_reads {
    tk_store *store; /* NULL when the thread shares no reads */
    unsigned slot;   /* the pooled connection, when open */
    bool open;       /* a read transaction is open on slot */
    uint64_t commits; /* store->commits before the transaction began */
} shared_reads;

static _Thread_local shared_reads tls_reads;

/* Ends the shared read transaction, if one is open, and returns its
 * connection to the pool. */
static void shared_reads_close(bool failed)
{
    if (!tls_reads.open)
        return;
    tk_store *store = tls_reads.store;
    void *conn = store->slots[tls_reads.slot].conn;
    tk_store_detail scratch;
    if (failed || store->driver->commit(conn, &scratch) != TK_OK)
        store->driver->rollback(conn);
    pool_release(store, tls_reads.slot, store->driver->broken(conn));
    tls_reads.open = false;
}

void tk_store_shared_reads_begin(tk_store *store)
{
    if (tls_reads.store != NULL)
        shared_reads_close(false);
    tls_reads = (shared_reads){.store = store};
}

void tk_store_shared_reads_end(tk_store *store)
{
    if (store == NULL || tls_reads.store != store)
        return;
    shared_reads_close(false);
    tls_reads.store = NULL;
}

/* Runs a read body in the shared read transaction, beginning it if needed.
 * Returns false when the caller must run the call alone instead: no
 * connection or BEGIN failed, or the body met a busy or lost connection.
 * Else sets *result to the body's result. */
static bool run_shared(tk_store *store, tk_store_op op, tk_store_body body,
                       void *arg, tk_store_mem *mem, tk_store_detail *detail,
                       tk_err *result)
{
    int64_t now;
    if (!tls_reads.open) {
        unsigned slot;
        if (pool_acquire(store, &slot, detail) != TK_OK)
            return false;
        /* Read after the wait for a connection, as run_once() does. */
        now = store->options.clock(store->options.clock_ctx);
        tls_reads.commits = atomic_load(&store->commits);
        void *conn = store->slots[slot].conn;
        if (store->driver->begin(conn, TK_DB_READ, detail) != TK_OK) {
            pool_release(store, slot, store->driver->broken(conn));
            return false;
        }
        tls_reads.slot = slot;
        tls_reads.open = true;
    } else {
        now = store->options.clock(store->options.clock_ctx);
    }
    tk_store_tx tx = {.store = store,
                      .driver = store->driver,
                      .conn = store->slots[tls_reads.slot].conn,
                      .mem = mem,
                      .detail = detail,
                      .op = op};
    tx.now = now;
    detail->text[0] = '\0';
    tk_store_mem_mark mark = {NULL, 0};
    if (mem != NULL)
        mark = tk_store_mem_get_mark(mem);
    tk_err err = body(&tx, arg);
    if (err == TK_OK) {
        *result = TK_OK;
        return true;
    }
    if (mem != NULL)
        tk_store_mem_reset(mem, mark);
    shared_reads_close(true);
    if (err == TK_ERR_STORE_BUSY || err == TK_ERR_STORE_CONNECT)
        return false;
    *result = err;
    return true;
}

static void backoff(unsigned attempt)
{
    uint64_t range = 1000000ull << (attempt < 6 ? attempt : 6);
    if (range > MAX_BACKOFF_NS)
        range = MAX_BACKOFF_NS;
    /* The low bits of the monotonic clock spread racing workers apart. */
    uint64_t pause = range / 2 + monotonic_ns() % (range / 2);
    struct timespec ts = {(time_t)(pause / 1000000000ull),
                          (long)(pause % 1000000000ull)};
    nanosleep(&ts, NULL);
}

/* Prefixes the operation's name to the detail message. */
static void prefix_detail(tk_store_detail *detail, tk_store_op op, tk_err err)
{
    const char *parts[] = {tk_store_op_name(op), ": ",
                           detail->text[0] != '\0' ? detail->text
                                                   : tk_strerror(err)};
    join_detail(detail, parts, 3);
}

/* Runs one attempt: begin, body, commit. Leaves the transaction rolled
 * back on failure, and sets *began when BEGIN succeeded. */
static tk_err run_once(tk_store_tx *tx, tk_db_tx_kind kind,
                       tk_store_body body, void *arg, bool *began,
                       bool *end_read, uint64_t read_commits)
{
    const tk_db_driver *driver = tx->driver;
    tx->now = tx->store->options.clock(tx->store->options.clock_ctx);
    bool upgraded = false;
    if (*end_read) {
        /* The write goes on with the shared reads' connection. It takes
         * over their transaction when the backend can make it a write
         * one, which needs no other writer to have committed since the
         * reads began. Else the reads' transaction ends, and if that
         * connection broke, BEGIN fails and the caller reconnects. */
        *end_read = false;
        /* A commit of this handle since the reads began would make the
         * backend reject it, so the attempt is skipped. The writer mutex,
         * held here, makes that count exact for this process. */
        bool fresh = atomic_load(&tx->store->commits) == read_commits;
        upgraded = fresh && driver->upgrade != NULL &&
                   driver->upgrade(tx->conn, tx->detail) == TK_OK;
        if (!upgraded && driver->commit(tx->conn, tx->detail) != TK_OK)
            driver->rollback(tx->conn);
    }
    tx->detail->text[0] = '\0';
    *began = false;
    tk_err err = upgraded ? TK_OK : driver->begin(tx->conn, kind, tx->detail);
    if (err != TK_OK)
        return err;
    *began = true;
    err = body(tx, arg);
    if (err == TK_OK && kind != TK_DB_READ &&
        tx->store->options.before_commit != NULL)
        tx->store->options.before_commit(tx->store->options.before_commit_ctx,
                                         tx->op);
    if (err == TK_OK)
        err = driver->commit(tx->conn, tx->detail);
    if (err != TK_OK)
        driver->rollback(tx->conn);
    else if (kind != TK_DB_READ)
        atomic_fetch_add(&tx->store->commits, 1);
    return err;
}

tk_err tk_store_run(tk_store *store, tk_store_op op, tk_db_tx_kind kind,
                    tk_store_body body, void *arg, tk_store_mem *mem,
                    tk_store_detail *detail)
{
    tk_store_detail scratch;
    if (detail == NULL)
        detail = &scratch;
    detail->text[0] = '\0';
    uint64_t start = monotonic_ns();
    unsigned retries = 0;
    bool reconnected = false;
    tk_err err;

    unsigned slot = 0;
    bool end_read = false;
    uint64_t read_commits = 0;
    if (tls_reads.store == store) {
        if (kind != TK_DB_READ) {
            read_commits = tls_reads.commits;
            /* The write takes over the shared reads' connection, and
             * their transaction in its first attempt (run_once()). */
            end_read = tls_reads.open;
            slot = tls_reads.slot;
            tls_reads.open = false;
        } else if (run_shared(store, op, body, arg, mem, detail, &err)) {
            if (err != TK_OK)
                prefix_detail(detail, op, err);
            record_stats(store, op, err, monotonic_ns() - start, 0);
            return err;
        }
        detail->text[0] = '\0';
    }

    err = end_read ? TK_OK : pool_acquire(store, &slot, detail);
    while (err == TK_OK) {
        tk_store_tx tx = {.store = store,
                          .driver = store->driver,
                          .conn = store->slots[slot].conn,
                          .mem = mem,
                          .detail = detail,
                          .op = op};
        tk_store_mem_mark mark = {NULL, 0};
        if (mem != NULL)
            mark = tk_store_mem_get_mark(mem);
        bool began;
        /* SQLite lets one transaction write at a time, and a writer that
         * finds the database locked sleeps in the busy handler (1 ms and
         * more). Threads of this process queue on a mutex instead, which
         * hands the lock over in microseconds; only writers of other
         * processes meet the busy handler. */
        bool queue = kind != TK_DB_READ && store->driver->single_writer;
        if (queue)
            pthread_mutex_lock(&store->writer);
        err = run_once(&tx, kind, body, arg, &began, &end_read,
                       read_commits);
        if (queue)
            pthread_mutex_unlock(&store->writer);
        if (err != TK_OK && mem != NULL)
            tk_store_mem_reset(mem, mark);
        bool broken = store->driver->broken(tx.conn);
        if (err == TK_ERR_STORE_CONNECT && !began && !reconnected) {
            /* A pooled connection that the server dropped (a restart, an
             * idle timeout) fails at BEGIN, before any work was sent, so
             * one attempt on a fresh connection is safe. */
            reconnected = true;
            pool_release(store, slot, true);
            err = pool_acquire(store, &slot, detail);
            continue;
        }
        if (err == TK_ERR_STORE_BUSY && retries < store->options.max_retries &&
            !broken) {
            retries++;
            backoff(retries);
            err = TK_OK;
            continue;
        }
        pool_release(store, slot, broken);
        break;
    }
    if (err == TK_ERR_STORE_BUSY && retries > 0) {
        char count[40];
        snprintf(count, sizeof count, " (after %u retries)", retries);
        const char *parts[] = {detail->text, count};
        join_detail(detail, parts, 2);
    }
    if (err != TK_OK)
        prefix_detail(detail, op, err);
    record_stats(store, op, err, monotonic_ns() - start, retries);
    return err;
}

/* ---- Audit helper ------------------------------------------------------- */

tk_err tk_store_audit_write(tk_store_tx *tx, const char *actor,
                            const char *action, const char *object,
                            const char *detail)
{
    if (actor == NULL)
        return TK_OK;
    const tk_db_val params[] = {
        tk_db_int(tx->now), tk_db_text(actor), tk_db_text(action),
        tk_db_text(object), tk_db_text_or_empty(detail),
    };
    tk_err err = tk_db_exec(tx,
                            "INSERT INTO audit_log (created, actor, action, "
                            "object, detail) VALUES ($1, $2, $3, $4, $5)",
                            params, 5, NULL);
    if (err != TK_OK && err != TK_ERR_STORE_BUSY &&
        err != TK_ERR_STORE_CONNECT) {
        const char *parts[] = {"audit entry for ", object, ": ",
                               tx->detail->text};
        join_detail(tx->detail, parts, 4);
    }
    return err;
}

/* ---- Opening and migrating ---------------------------------------------- */

/* Picks the driver for uri and the backend's own connection target. */
static tk_err parse_uri(const char *uri, const tk_db_driver **driver,
                        const char **target, tk_store_detail *detail)
{
    if (strncmp(uri, "postgresql://", 13) == 0 ||
        strncmp(uri, "postgres://", 11) == 0) {
#ifdef TK_STORE_HAVE_PG
        *driver = &tk_db_postgresql;
        *target = uri;
        return TK_OK;
#else
        tk_store_set_detail(detail, "open: this build has no PostgreSQL "
                                    "backend (libpq was not found)");
        return TK_ERR_UNSUPPORTED;
#endif
    }
    if (strncmp(uri, "sqlite:", 7) == 0) {
        *target = uri + 7;
        if (strncmp(*target, "//", 2) == 0)
            *target += 2;
    } else if (strstr(uri, "://") != NULL) {
        int scheme_len = (int)(strstr(uri, "://") - uri);
        tk_store_set_detail(detail,
                            "open: unsupported scheme \"%.*s\"; use sqlite:PATH, "
                            "a file path, postgresql:// or postgres://",
                            scheme_len > 32 ? 32 : scheme_len, uri);
        return TK_ERR_STORE_BAD_URI;
    } else {
        *target = uri;
    }
    if ((*target)[0] == '\0') {
        tk_store_set_detail(detail, "open: the sqlite: connection string "
                                    "names no file");
        return TK_ERR_STORE_BAD_URI;
    }
    *driver = &tk_db_sqlite;
    return TK_OK;
}

static const char schema_version_ddl[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version BIGINT PRIMARY KEY,"
    " applied BIGINT NOT NULL,"
    " name TEXT NOT NULL)";

/* Explains TK_ERR_STORE_SCHEMA_TOO_NEW; prefix is "" inside a
 * transaction, whose runner adds the operation's name itself. */
static tk_err report_too_new(int64_t current, const tk_db_driver *driver,
                             const char *prefix, tk_store_detail *detail)
{
    tk_store_set_detail(detail,
                        "%sthe database has schema version %lld but this "
                        "build knows versions up to %zu; upgrade teepkit or "
                        "use another database",
                        prefix, (long long)current, driver->migration_count);
    return TK_ERR_STORE_SCHEMA_TOO_NEW;
}

/* Reads the schema version, or 0 when the database has no schema yet. */
static tk_err read_version_body(tk_store_tx *tx, void *arg)
{
    int64_t *current = arg;
    int64_t found_table = 0;
    bool found;
    *current = 0;
    tk_err err = tk_db_query_int(tx, tx->driver->schema_probe, NULL, 0,
                                 &found_table, &found);
    if (err != TK_OK || !found)
        return err;
    return tk_db_query_int(tx, "SELECT max(version) FROM schema_version", NULL,
                           0, current, &found);
}

static tk_err migrate_body(tk_store_tx *tx, void *arg)
{
    uint32_t target = *(const uint32_t *)arg;
    const tk_db_driver *driver = tx->driver;
    tk_err err = driver->lock_migrations(tx->conn, tx->detail);
    if (err != TK_OK)
        return err;
    err = tk_db_exec(tx, schema_version_ddl, NULL, 0, NULL);
    if (err != TK_OK)
        return err;
    int64_t current = 0;
    bool found;
    err = tk_db_query_int(tx, "SELECT max(version) FROM schema_version", NULL,
                          0, &current, &found);
    if (err != TK_OK)
        return err;
    if (current > (int64_t)driver->migration_count)
        return report_too_new(current, driver, "", tx->detail);
    for (int64_t v = current + 1; v <= (int64_t)target; v++) {
        err = driver->script(tx->conn, driver->migrations[v - 1], tx->detail);
        if (err == TK_ERR_STORE_BUSY || err == TK_ERR_STORE_CONNECT)
            return err;
        if (err != TK_OK) {
            tk_store_annotate(tx, err, "migration to version %lld failed",
                              (long long)v);
            return TK_ERR_STORE_SCHEMA;
        }
        char name[32];
        snprintf(name, sizeof name, "%s %03lld", driver->name, (long long)v);
        const tk_db_val params[] = {tk_db_int(v), tk_db_int(tx->now),
                                    tk_db_text(name)};
        err = tk_db_exec(tx,
                         "INSERT INTO schema_version (version, applied, name) "
                         "VALUES ($1, $2, $3)",
                         params, 3, NULL);
        if (err != TK_OK)
            return err;
    }
    return TK_OK;
}

static void apply_defaults(tk_store_options *o, const char *target)
{
    if (o->pool_size == 0)
        o->pool_size = DEFAULT_POOL_SIZE;
    if (o->pool_size > TK_STORE_MAX_POOL)
        o->pool_size = TK_STORE_MAX_POOL;
    if (strcmp(target, ":memory:") == 0)
        o->pool_size = 1;
    if (o->busy_timeout_ms == 0)
        o->busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS;
    if (o->acquire_timeout_ms == 0)
        o->acquire_timeout_ms = DEFAULT_ACQUIRE_TIMEOUT_MS;
    if (o->max_retries == 0)
        o->max_retries = DEFAULT_MAX_RETRIES;
    if (o->clock == NULL)
        o->clock = wall_clock;
}

static tk_store *store_new(const tk_db_driver *driver, const char *target,
                           const tk_store_options *options)
{
    tk_store *store = calloc(1, sizeof *store);
    if (store == NULL)
        return NULL;
    store->target = strdup(target);
    if (store->target == NULL) {
        free(store);
        return NULL;
    }
    store->driver = driver;
    if (options != NULL)
        store->options = *options;
    apply_defaults(&store->options, target);
    store->size = store->options.pool_size;
    pthread_mutex_init(&store->lock, NULL);
    pthread_mutex_init(&store->writer, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&store->freed, &attr);
    pthread_condattr_destroy(&attr);
    return store;
}

tk_err tk_store_open(const char *uri, const tk_store_options *options,
                     tk_store **out, tk_store_detail *detail)
{
    if (out == NULL)
        return tk_store_invalid(NULL, TK_STORE_OP_OPEN, detail,
                                "store is NULL");
    *out = NULL;
    if (uri == NULL || uri[0] == '\0')
        return tk_store_invalid(NULL, TK_STORE_OP_OPEN, detail,
                                "the connection string is empty");
    const tk_db_driver *driver;
    const char *target;
    tk_err err = parse_uri(uri, &driver, &target, detail);
    if (err != TK_OK)
        return err;
    uint32_t version = (uint32_t)driver->migration_count;
    if (options != NULL && options->target_version != 0) {
        if (options->target_version > version)
            return tk_store_invalid(NULL, TK_STORE_OP_OPEN, detail,
                                    "target_version is above the newest "
                                    "schema version");
        version = options->target_version;
    }
    tk_store *store = store_new(driver, target, options);
    if (store == NULL) {
        tk_store_set_detail(detail, "open: out of memory");
        return TK_ERR_STORE_NOMEM;
    }
    /* Most opens find the schema current: a read transaction confirms it
     * without taking the write lock that a running worker may hold. */
    int64_t current = -1;
    err = tk_store_run(store, TK_STORE_OP_OPEN, TK_DB_READ, read_version_body,
                       &current, NULL, detail);
    if (err == TK_OK && current > (int64_t)driver->migration_count)
        err = report_too_new(current, driver, "open: ", detail);
    else if (err == TK_OK && current < (int64_t)version)
        err = tk_store_run(store, TK_STORE_OP_OPEN, TK_DB_MIGRATE,
                           migrate_body, &version, NULL, detail);
    if (err != TK_OK) {
        tk_store_close(store);
        return err;
    }
    *out = store;
    return TK_OK;
}

void tk_store_close(tk_store *store)
{
    if (store == NULL)
        return;
    tk_store_shared_reads_end(store);
    for (unsigned i = 0; i < TK_STORE_MAX_POOL; i++) {
        if (store->slots[i].conn != NULL)
            store->driver->disconnect(store->slots[i].conn);
    }
    pthread_cond_destroy(&store->freed);
    pthread_mutex_destroy(&store->lock);
    pthread_mutex_destroy(&store->writer);
    /* Overwrite the connection string: it may contain a password. */
    size_t len = strlen(store->target);
    volatile char *p = store->target;
    for (size_t i = 0; i < len; i++)
        p[i] = '\0';
    free(store->target);
    free(store);
}

const char *tk_store_backend(const tk_store *store)
{
    return store == NULL ? "none" : store->driver->name;
}

static tk_err schema_version_body(tk_store_tx *tx, void *arg)
{
    int64_t value = 0;
    bool found;
    tk_err err = tk_db_query_int(tx, "SELECT max(version) FROM schema_version",
                                 NULL, 0, &value, &found);
    if (err == TK_OK)
        *(uint32_t *)arg = (uint32_t)value;
    return err;
}

tk_err tk_store_schema_version(tk_store *store, uint32_t *version,
                               tk_store_detail *detail)
{
    if (store == NULL || version == NULL)
        return tk_store_invalid(store, TK_STORE_OP_SCHEMA_VERSION, detail,
                                "store or version is NULL");
    return tk_store_run(store, TK_STORE_OP_SCHEMA_VERSION, TK_DB_READ,
                        schema_version_body, version, NULL, detail);
}

static tk_err sync_get_body(tk_store_tx *tx, void *arg)
{
    int64_t level = 0;
    bool found = false;
    tk_err err = tk_db_query_int(tx, tx->driver->sync_probe, NULL, 0, &level,
                                 &found);
    if (err != TK_OK)
        return err;
    /* 1 is NORMAL; FULL (2) and EXTRA (3) sync every commit. */
    if (!found || level < 1)
        return tk_store_fail(tx, TK_ERR_STORE_BACKEND,
                             "synchronous is %lld, which this store never "
                             "sets",
                             (long long)level);
    *(tk_store_sync *)arg =
        level == 1 ? TK_STORE_SYNC_NORMAL : TK_STORE_SYNC_FULL;
    return TK_OK;
}

tk_err tk_store_sync_get(tk_store *store, tk_store_sync *sync,
                         tk_store_detail *detail)
{
    if (store == NULL || sync == NULL)
        return tk_store_invalid(store, TK_STORE_OP_SYNC_GET, detail,
                                "store or sync is NULL");
    if (store->driver->sync_probe == NULL) {
        tk_store_set_detail(detail,
                            "sync_get: %s commits follow the server's "
                            "synchronous_commit setting",
                            store->driver->name);
        return TK_ERR_UNSUPPORTED;
    }
    return tk_store_run(store, TK_STORE_OP_SYNC_GET, TK_DB_READ,
                        sync_get_body, sync, NULL, detail);
}
