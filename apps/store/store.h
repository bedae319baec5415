/*
 * The TAM store: devices, keys, Trusted Components, policy, reference
 * values, sessions and tokens, attestation results, installed state, SUIT
 * reports, the audit log and metric counters.
 *
 * One interface serves two backends, chosen by the connection string given
 * to tk_store_open():
 *
 *   sqlite:PATH or a plain PATH   one SQLite file in WAL mode, for a lab TAM
 *   postgresql://... postgres://  libpq, for N stateless TAM workers that
 *                                 share one database
 *
 * Both run the same schema, migrations and SQL (docs/internals/store.md), so
 * they behave the same and pass the same test suite.
 *
 * Threads: one tk_store handle is shared by every thread of a process. Each
 * call borrows a connection from a small pool for the duration of one
 * transaction, so calls from different threads run concurrently. Callbacks
 * in tk_store_options must not call back into the store.
 *
 * Errors: every call returns a tk_err (TK_OK on success, TK_ERR_STORE_* from
 * include/teepkit/error/store.def otherwise) and, when detail is not NULL,
 * writes a one-line message naming the operation, entity and id. Messages
 * never contain token, challenge, key or report bytes, nor the connection
 * string (it may carry a password).
 *
 * Memory: calls that return entities copy every variable-length field into a
 * caller-owned tk_store_mem; the returned views and strings stay valid until
 * tk_store_mem_free() on that mem. One mem can collect the results of many
 * calls, for example all lookups of one request.
 *
 * Times are seconds since the Unix epoch, taken from options.clock.
 */
#ifndef TK_STORE_H
#define TK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Newest schema version this build creates and understands. */
#define TK_STORE_SCHEMA_VERSION 6

/* Capacity of a tk_store_detail message, NUL included. */
#define TK_STORE_DETAIL_MAX 256

/* Default and maximum number of entries of one list page. */
#ifndef TK_STORE_PAGE_DEFAULT
#define TK_STORE_PAGE_DEFAULT 100
#endif
#ifndef TK_STORE_MAX_PAGE
#define TK_STORE_MAX_PAGE 1000
#endif

/* Maximum entries of the unpaged results: a plan, the reference values of
 * one device, one installed-state replacement, the counter list. A larger
 * result fails with TK_ERR_LIMIT rather than being cut short. */
#ifndef TK_STORE_MAX_PLAN_ITEMS
#define TK_STORE_MAX_PLAN_ITEMS 256
#endif
#ifndef TK_STORE_MAX_REFVALS
#define TK_STORE_MAX_REFVALS 256
#endif
#ifndef TK_STORE_MAX_INSTALLED
#define TK_STORE_MAX_INSTALLED 1024
#endif
#ifndef TK_STORE_MAX_COUNTERS
#define TK_STORE_MAX_COUNTERS 256
#endif
/* Maximum keys of one device that tk_store_device_references() returns. */
#ifndef TK_STORE_MAX_DEVICE_KEYS
#define TK_STORE_MAX_DEVICE_KEYS 64
#endif

/* Maximum connections of one pool. */
#ifndef TK_STORE_MAX_POOL
#define TK_STORE_MAX_POOL 64
#endif

/* Maximum entries of each list of one tk_store_exchange (installed
 * entries set or removed, reports, audit entries); more is
 * TK_ERR_LIMIT. */
#ifndef TK_STORE_MAX_EXCHANGE_ITEMS
#define TK_STORE_MAX_EXCHANGE_ITEMS 1024
#endif

/* Prepared statements kept per connection (SQLite and PostgreSQL). */
#ifndef TK_STORE_MAX_STATEMENTS
#define TK_STORE_MAX_STATEMENTS 128
#endif

/* Every public operation, for latency statistics and the observe callback.
 * X(enumerator suffix, name used as a metric label). */
#define TK_STORE_OPS(X)                                                    \
    X(OPEN, "open")                                                        \
    X(SCHEMA_VERSION, "schema_version")                                    \
    X(SYNC_GET, "sync_get")                                                \
    X(CLASS_ADD, "class_add")                                              \
    X(CLASS_GET, "class_get")                                              \
    X(CLASS_FIND, "class_find")                                            \
    X(CLASS_UPDATE, "class_update")                                        \
    X(CLASS_DELETE, "class_delete")                                        \
    X(CLASS_LIST, "class_list")                                            \
    X(DEVICE_ADD, "device_add")                                            \
    X(DEVICE_GET, "device_get")                                            \
    X(DEVICE_FIND, "device_find")                                          \
    X(DEVICE_UPDATE, "device_update")                                      \
    X(DEVICE_SEEN, "device_seen")                                          \
    X(DEVICE_DELETE, "device_delete")                                      \
    X(DEVICE_LIST, "device_list")                                          \
    X(KEY_ADD, "key_add")                                                  \
    X(KEY_GET, "key_get")                                                  \
    X(KEY_FIND, "key_find")                                                \
    X(KEY_FIND_DEVICE, "key_find_device")                                  \
    X(KEY_DELETE, "key_delete")                                            \
    X(KEY_LIST, "key_list")                                                \
    X(COMPONENT_ADD, "component_add")                                      \
    X(COMPONENT_GET, "component_get")                                      \
    X(COMPONENT_FIND, "component_find")                                    \
    X(COMPONENT_UPDATE, "component_update")                                \
    X(COMPONENT_DELETE, "component_delete")                                \
    X(COMPONENT_LIST, "component_list")                                    \
    X(VERSION_ADD, "version_add")                                          \
    X(VERSION_UPLOAD, "version_upload")                                    \
    X(VERSION_GET, "version_get")                                          \
    X(VERSION_LATEST, "version_latest")                                    \
    X(VERSION_DELETE, "version_delete")                                    \
    X(VERSION_LIST, "version_list")                                        \
    X(POLICY_SET, "policy_set")                                            \
    X(POLICY_GET, "policy_get")                                            \
    X(POLICY_DELETE, "policy_delete")                                      \
    X(POLICY_LIST, "policy_list")                                          \
    X(REFVAL_ADD, "refval_add")                                            \
    X(REFVAL_GET, "refval_get")                                            \
    X(REFVAL_DELETE, "refval_delete")                                      \
    X(REFVAL_LIST, "refval_list")                                          \
    X(REFVAL_FOR_DEVICE, "refval_for_device")                              \
    X(DEVICE_REFERENCES, "device_references")                              \
    X(DEVICE_CONTEXT, "device_context")                                    \
    X(SESSION_CREATE, "session_create")                                    \
    X(SESSION_GET, "session_get")                                          \
    X(SESSION_UPDATE, "session_update")                                    \
    X(SESSION_LIST, "session_list")                                        \
    X(TOKEN_ADD, "token_add")                                              \
    X(TOKEN_CONSUME, "token_consume")                                      \
    X(TOKEN_CHECK, "token_check")                                          \
    X(SECRET, "secret")                                                    \
    X(EXCHANGE, "exchange")                                                \
    X(PURGE, "purge")                                                      \
    X(ATTESTATION_RECORD, "attestation_record")                            \
    X(ATTESTATION_LATEST, "attestation_latest")                            \
    X(ATTESTATION_LIST, "attestation_list")                                \
    X(INSTALLED_REPLACE, "installed_replace")                              \
    X(INSTALLED_SET, "installed_set")                                      \
    X(INSTALLED_REMOVE, "installed_remove")                                \
    X(INSTALLED_LIST, "installed_list")                                    \
    X(INSTALLED_BY_COMPONENT, "installed_by_component")                    \
    X(PLAN, "plan")                                                        \
    X(PLAN_FOR, "plan_for")                                                \
    X(REPORT_INSERT, "report_insert")                                      \
    X(REPORT_GET, "report_get")                                            \
    X(REPORT_LIST, "report_list")                                          \
    X(AUDIT_ADD, "audit_add")                                              \
    X(AUDIT_LIST, "audit_list")                                            \
    X(COUNTER_ADD, "counter_add")                                          \
    X(COUNTER_LIST, "counter_list")                                        \
    X(SUMMARY, "summary")

typedef enum tk_store_op {
#define TK_STORE_OP_ENUM(name, label) TK_STORE_OP_##name,
    TK_STORE_OPS(TK_STORE_OP_ENUM)
#undef TK_STORE_OP_ENUM
    TK_STORE_OP_COUNT
} tk_store_op;

/* Human-readable message of a failed call. */
typedef struct tk_store_detail {
    char text[TK_STORE_DETAIL_MAX];
} tk_store_detail;

/*
 * When an SQLite commit reaches the disk (PRAGMA synchronous, in WAL mode).
 * PostgreSQL follows the server's own synchronous_commit setting.
 */
typedef enum tk_store_sync {
    /* Every COMMIT waits for an fsync of the WAL: a committed transaction
     * (a consumed token, a stored report) survives a power loss. */
    TK_STORE_SYNC_FULL = 0,
    /* COMMIT returns without an fsync; the WAL is synced at checkpoints.
     * The database stays consistent after a power loss or an operating
     * system crash, but the transactions committed since the last
     * checkpoint may roll back. A crash of the process alone loses
     * nothing. */
    TK_STORE_SYNC_NORMAL = 1,
} tk_store_sync;

/* Settings of tk_store_open(). A zeroed struct (or NULL) gives the defaults
 * named beside each field. */
typedef struct tk_store_options {
    /* Connections of the pool (default 4, at most TK_STORE_MAX_POOL). An
     * SQLite ":memory:" database always uses one. */
    unsigned pool_size;
    /* Maximum wait for a lock, in ms (default 5000): SQLite's
     * busy_timeout, PostgreSQL's lock_timeout. */
    unsigned busy_timeout_ms;
    /* Maximum wait for a free pooled connection, in ms (default 10000). */
    unsigned acquire_timeout_ms;
    /* Retries of a transaction that failed with SQLITE_BUSY, a lock
     * timeout, or a PostgreSQL serialization failure or deadlock
     * (default 4). */
    unsigned max_retries;
    /* Durability of SQLite commits (default TK_STORE_SYNC_FULL). */
    tk_store_sync sync;
    /* PostgreSQL: send every statement unnamed, parsed and planned on each
     * call, instead of preparing it once per connection (default: false,
     * prepare). Set it behind a connection pooler in transaction mode,
     * which may hand each transaction another server connection, where a
     * statement prepared on the first one does not exist. */
    bool pg_unnamed_statements;
    /* Apply migrations only up to this version (default: the newest). For
     * tests of the migration path. */
    uint32_t target_version;
    /* Current time in seconds since the epoch (default: time()). */
    int64_t (*clock)(void *ctx);
    void *clock_ctx;
    /* Called after every operation with its result and wall time in ns, for
     * latency histograms. Runs on the calling thread. */
    void (*observe)(void *ctx, tk_store_op op, tk_err err,
                    uint64_t elapsed_ns);
    void *observe_ctx;
    /* Called inside every write transaction just before COMMIT. Meant for
     * fault-injection tests (kill the process holding the transaction);
     * leave NULL in services. */
    void (*before_commit)(void *ctx, tk_store_op op);
    void *before_commit_ctx;
} tk_store_options;

/* Opaque handle: a connection pool plus statistics. */
typedef struct tk_store tk_store;

/* Memory that owns the variable-length fields of returned entities. Start
 * with TK_STORE_MEM_INIT and release with tk_store_mem_free(). */
typedef struct tk_store_mem {
    struct tk_store_chunk *chunks;
} tk_store_mem;
#define TK_STORE_MEM_INIT {NULL}

/* Request of one list page. Lists are ordered by id, and a page contains
 * at most limit entries after the cursor. A zeroed page starts at the beginning with
 * TK_STORE_PAGE_DEFAULT entries, oldest first. */
typedef struct tk_store_page {
    /* 0 for the first page, else the next value of the previous page. */
    int64_t after;
    /* Entries per page: 0 means TK_STORE_PAGE_DEFAULT; above
     * TK_STORE_MAX_PAGE the call fails with TK_ERR_LIMIT. */
    uint32_t limit;
    /* Descending id order (newest first) instead of ascending. */
    bool newest_first;
} tk_store_page;

/* Declares the result type NAME of a list of TYPE. next is the cursor of the
 * following page, or 0 when this page is the last. */
#define TK_STORE_LIST_TYPE(name, type) \
    typedef struct name {              \
        const type *items;             \
        size_t count;                  \
        int64_t next;                  \
    } name

/* ---- Life cycle -------------------------------------------------------- */

/*
 * Opens the database named by uri, creating it (SQLite) and applying the
 * pending migrations in one transaction. options may be NULL. On success
 * *store must be closed with tk_store_close(). Errors:
 *   TK_ERR_STORE_BAD_URI         unknown scheme
 *   TK_ERR_UNSUPPORTED           postgresql:// in a build without libpq
 *   TK_ERR_STORE_CONNECT         the database cannot be reached
 *   TK_ERR_STORE_CORRUPT         the file is not an SQLite database
 *   TK_ERR_STORE_SCHEMA_TOO_NEW  a newer teepkit wrote the database
 */
tk_err tk_store_open(const char *uri, const tk_store_options *options,
                     tk_store **store, tk_store_detail *detail);

/* Closes every pooled connection and frees the handle. No call may be
 * running on another thread. NULL is ignored. */
void tk_store_close(tk_store *store);

/*
 * Lets the read calls that this thread makes on store, until
 * tk_store_shared_reads_end(), share one read transaction: the first of
 * them begins it and the others run in it, which saves a BEGIN, a COMMIT
 * and the backend's locks per call. A call that writes ends it first, so
 * the thread never holds a pooled connection while it waits for another
 * one or for the write lock; a read after the write begins a new one. A
 * read that fails ends it too (a busy or lost connection is then retried
 * alone, as without sharing).
 *
 * The shared reads see the database as it was at the first of them. Use
 * this only where each decision taken on a read is checked again by the
 * write that acts on it, as separate reads need as well: another writer
 * may commit between any read and a later write. One store per thread at
 * a time; a begin while sharing ends the previous sharing.
 */
void tk_store_shared_reads_begin(tk_store *store);

/* Ends the sharing begun by tk_store_shared_reads_begin() on this thread,
 * and the read transaction if one is open. Does nothing when this thread
 * shares no reads on store. */
void tk_store_shared_reads_end(tk_store *store);

/* Returns "sqlite" or "postgresql". */
const char *tk_store_backend(const tk_store *store);

/* Reads the schema version recorded in the database. */
tk_err tk_store_schema_version(tk_store *store, uint32_t *version,
                               tk_store_detail *detail);

/* Reads the durability that the SQLite connections use (PRAGMA
 * synchronous), as tk_store_options.sync chose it. TK_ERR_UNSUPPORTED on
 * PostgreSQL, where the server's synchronous_commit decides. */
tk_err tk_store_sync_get(tk_store *store, tk_store_sync *sync,
                         tk_store_detail *detail);

/* Frees everything that results have placed in mem and empties it. */
void tk_store_mem_free(tk_store_mem *mem);

/* Longest name and value of tk_store_secret(). */
#define TK_STORE_SECRET_NAME_MAX 64
#define TK_STORE_SECRET_MAX 64

/*
 * Returns the secret stored under name (1..64 characters) in *secret,
 * copied into mem. When there is none yet, candidate (16..64 fresh random
 * bytes) is stored under name first. Workers that start together with
 * different candidates all get the one stored first, so every worker of a
 * database uses the same secret. Messages never contain the value.
 */
tk_err tk_store_secret(tk_store *store, const char *name, tk_view candidate,
                       tk_store_mem *mem, tk_view *secret,
                       tk_store_detail *detail);

/* ---- Statistics -------------------------------------------------------- */

/* Per-operation counters since tk_store_open(). */
typedef struct tk_store_op_stats {
    uint64_t calls;
    uint64_t errors;   /* calls that returned anything but TK_OK */
    uint64_t retries;  /* transactions re-run after busy or serialization */
    uint64_t total_ns; /* sum of wall times */
    uint64_t max_ns;
} tk_store_op_stats;

/* Copies the counters of op into out (zeroed for an unknown op). */
void tk_store_op_stats_get(const tk_store *store, tk_store_op op,
                           tk_store_op_stats *out);

/* Returns the metric label of op, for example "token_consume", or
 * "unknown". */
const char *tk_store_op_name(tk_store_op op);

/* ---- Device classes ---------------------------------------------------- */

/* A class of devices that share policy and reference values. */
typedef struct tk_store_class {
    int64_t id;
    const char *name;        /* unique, 1..128 characters */
    const char *description; /* NULL reads as "" */
    tk_view vendor_id;       /* SUIT vendor identifier, may be empty */
    tk_view class_uuid;      /* SUIT class identifier, may be empty */
    int64_t created;
} tk_store_class;
TK_STORE_LIST_TYPE(tk_store_classes, tk_store_class);

/*
 * Admin mutations take an actor: when it is not NULL, an audit entry
 * (actor, action such as "class.add", object such as "class/3") is written
 * in the same transaction as the change.
 */
tk_err tk_store_class_add(tk_store *store, const tk_store_class *cls,
                          const char *actor, int64_t *id,
                          tk_store_detail *detail);
tk_err tk_store_class_get(tk_store *store, int64_t id, tk_store_mem *mem,
                          tk_store_class *out, tk_store_detail *detail);
tk_err tk_store_class_find(tk_store *store, const char *name,
                           tk_store_mem *mem, tk_store_class *out,
                           tk_store_detail *detail);
/* Replaces name, description, vendor_id and class_uuid of cls->id. */
tk_err tk_store_class_update(tk_store *store, const tk_store_class *cls,
                             const char *actor, tk_store_detail *detail);
/* Fails with TK_ERR_STORE_REFERENCE while a device belongs to the class;
 * its policy and reference values are deleted with it. */
tk_err tk_store_class_delete(tk_store *store, int64_t id, const char *actor,
                             tk_store_detail *detail);
tk_err tk_store_class_list(tk_store *store, const tk_store_page *page,
                           tk_store_mem *mem, tk_store_classes *out,
                           tk_store_detail *detail);

/* ---- Devices and their keys -------------------------------------------- */

typedef enum tk_store_device_state {
    TK_STORE_DEVICE_PENDING = 0, /* registered, never attested */
    TK_STORE_DEVICE_ACTIVE = 1,
    TK_STORE_DEVICE_BLOCKED = 2, /* the TAM must not serve it */
    TK_STORE_DEVICE_RETIRED = 3,
} tk_store_device_state;

typedef struct tk_store_device {
    int64_t id;
    tk_view ueid;     /* RFC 9711 UEID, unique, 1..64 bytes */
    int64_t class_id; /* 0 when the device has no class */
    const char *name; /* NULL reads as "" */
    tk_store_device_state state;
    int64_t created;
    int64_t last_seen; /* 0 before the first contact */
} tk_store_device;
TK_STORE_LIST_TYPE(tk_store_devices, tk_store_device);

tk_err tk_store_device_add(tk_store *store, const tk_store_device *device,
                           const char *actor, int64_t *id,
                           tk_store_detail *detail);
tk_err tk_store_device_get(tk_store *store, int64_t id, tk_store_mem *mem,
                           tk_store_device *out, tk_store_detail *detail);
tk_err tk_store_device_find(tk_store *store, tk_view ueid, tk_store_mem *mem,
                            tk_store_device *out, tk_store_detail *detail);
/* Replaces class_id, name and state of device->id (the UEID is fixed). */
tk_err tk_store_device_update(tk_store *store, const tk_store_device *device,
                              const char *actor, tk_store_detail *detail);
/* Sets last_seen to the current time. */
tk_err tk_store_device_seen(tk_store *store, int64_t id,
                            tk_store_detail *detail);
/* Deletes the device with its keys, policy, reference values, sessions,
 * attestation results, installed state and reports. */
tk_err tk_store_device_delete(tk_store *store, int64_t id, const char *actor,
                              tk_store_detail *detail);
/* Lists devices; class_id 0 and state -1 match any. */
tk_err tk_store_device_list(tk_store *store, int64_t class_id, int state,
                            const tk_store_page *page, tk_store_mem *mem,
                            tk_store_devices *out, tk_store_detail *detail);

typedef enum tk_store_key_use {
    TK_STORE_KEY_AGENT = 1,       /* verifies the TEEP Agent's messages */
    TK_STORE_KEY_ATTESTATION = 2, /* verifies the device's EAT evidence */
} tk_store_key_use;

/* A public key of a device. */
typedef struct tk_store_key {
    int64_t id;
    int64_t device_id;
    tk_store_key_use use;
    tk_view kid;      /* 1..64 bytes, unique per use */
    int64_t alg;      /* COSE algorithm identifier */
    tk_view cose_key; /* COSE_Key encoding, 1..4096 bytes */
    int64_t created;
} tk_store_key;
TK_STORE_LIST_TYPE(tk_store_keys, tk_store_key);

tk_err tk_store_key_add(tk_store *store, const tk_store_key *key,
                        const char *actor, int64_t *id,
                        tk_store_detail *detail);
tk_err tk_store_key_get(tk_store *store, int64_t id, tk_store_mem *mem,
                        tk_store_key *out, tk_store_detail *detail);
/* Finds the key with this use and kid (the lookup of a COSE kid header). */
tk_err tk_store_key_find(tk_store *store, tk_store_key_use use, tk_view kid,
                         tk_store_mem *mem, tk_store_key *out,
                         tk_store_detail *detail);
/* Finds the key as tk_store_key_find() does and its device, from one
 * snapshot: what a TAM needs to verify a message. */
tk_err tk_store_key_find_device(tk_store *store, tk_store_key_use use,
                                tk_view kid, tk_store_mem *mem,
                                tk_store_key *key, tk_store_device *device,
                                tk_store_detail *detail);
tk_err tk_store_key_delete(tk_store *store, int64_t id, const char *actor,
                           tk_store_detail *detail);
/* Lists keys; device_id 0 matches any. */
tk_err tk_store_key_list(tk_store *store, int64_t device_id,
                         const tk_store_page *page, tk_store_mem *mem,
                         tk_store_keys *out, tk_store_detail *detail);

/* ---- Trusted Components and their versions ----------------------------- */

typedef struct tk_store_component {
    int64_t id;
    tk_view component_id; /* CBOR SUIT_Component_Identifier, unique */
    const char *name;     /* NULL reads as "" */
    int64_t created;
} tk_store_component;
TK_STORE_LIST_TYPE(tk_store_components, tk_store_component);

/* One signed SUIT envelope of a component. */
typedef struct tk_store_version {
    int64_t id;
    int64_t component;  /* tk_store_component.id */
    uint64_t sequence;  /* suit-manifest-sequence-number, at most INT64_MAX */
    tk_view digest;     /* manifest digest, unique per component */
    tk_view envelope;   /* empty in list results */
    uint64_t size;      /* envelope length in bytes */
    int64_t uploaded;
} tk_store_version;
TK_STORE_LIST_TYPE(tk_store_versions, tk_store_version);

tk_err tk_store_component_add(tk_store *store,
                              const tk_store_component *component,
                              const char *actor, int64_t *id,
                              tk_store_detail *detail);
tk_err tk_store_component_get(tk_store *store, int64_t id, tk_store_mem *mem,
                              tk_store_component *out,
                              tk_store_detail *detail);
tk_err tk_store_component_find(tk_store *store, tk_view component_id,
                               tk_store_mem *mem, tk_store_component *out,
                               tk_store_detail *detail);
/* Replaces the name of component->id (the identifier is fixed). */
tk_err tk_store_component_update(tk_store *store,
                                 const tk_store_component *component,
                                 const char *actor, tk_store_detail *detail);
/* Deletes the component and its versions; fails with
 * TK_ERR_STORE_REFERENCE while a policy names it. */
tk_err tk_store_component_delete(tk_store *store, int64_t id,
                                 const char *actor, tk_store_detail *detail);
tk_err tk_store_component_list(tk_store *store, const tk_store_page *page,
                               tk_store_mem *mem, tk_store_components *out,
                               tk_store_detail *detail);

/* Adds a version of version->component. A second version with the same
 * sequence number or digest fails with TK_ERR_STORE_DUPLICATE, so an equal
 * sequence number can never name two different manifests. */
tk_err tk_store_version_add(tk_store *store, const tk_store_version *version,
                            const char *actor, int64_t *id,
                            tk_store_detail *detail);
/* Adds a version of the component with this SUIT component identifier,
 * creating the component (with name) first when it is new, in one
 * transaction. version->component is ignored. */
tk_err tk_store_version_upload(tk_store *store, tk_view component_id,
                               const char *name,
                               const tk_store_version *version,
                               const char *actor, int64_t *component,
                               int64_t *id, tk_store_detail *detail);
/* Returns the version with its envelope. */
tk_err tk_store_version_get(tk_store *store, int64_t id, tk_store_mem *mem,
                            tk_store_version *out, tk_store_detail *detail);
/* Returns the version with the highest sequence number of a component,
 * with its envelope. */
tk_err tk_store_version_latest(tk_store *store, int64_t component,
                               tk_store_mem *mem, tk_store_version *out,
                               tk_store_detail *detail);
tk_err tk_store_version_delete(tk_store *store, int64_t id, const char *actor,
                               tk_store_detail *detail);
/* Lists versions without envelopes; component 0 matches any. */
tk_err tk_store_version_list(tk_store *store, int64_t component,
                             const tk_store_page *page, tk_store_mem *mem,
                             tk_store_versions *out, tk_store_detail *detail);

/* ---- Policy ------------------------------------------------------------- */

typedef enum tk_store_policy_action {
    TK_STORE_POLICY_INSTALL = 1, /* should have the newest version */
    TK_STORE_POLICY_FORBID = 2,  /* must not have the component */
} tk_store_policy_action;

/* A rule for one device or one device class: exactly one of device_id and
 * class_id is non-zero. A device rule overrides a class rule for the same
 * component. */
typedef struct tk_store_policy {
    int64_t id;
    int64_t device_id;
    int64_t class_id;
    int64_t component;
    tk_store_policy_action action;
    int64_t created;
} tk_store_policy;
TK_STORE_LIST_TYPE(tk_store_policies, tk_store_policy);

/* Creates the rule for (device or class, component), or replaces the action
 * of the existing one; *id receives the rule's id either way. */
tk_err tk_store_policy_set(tk_store *store, const tk_store_policy *policy,
                           const char *actor, int64_t *id,
                           tk_store_detail *detail);
tk_err tk_store_policy_get(tk_store *store, int64_t id, tk_store_mem *mem,
                           tk_store_policy *out, tk_store_detail *detail);
tk_err tk_store_policy_delete(tk_store *store, int64_t id, const char *actor,
                              tk_store_detail *detail);
/* Lists rules; device_id 0 and class_id 0 match any. */
tk_err tk_store_policy_list(tk_store *store, int64_t device_id,
                            int64_t class_id, const tk_store_page *page,
                            tk_store_mem *mem, tk_store_policies *out,
                            tk_store_detail *detail);

/* ---- Reference values for the verifier ---------------------------------- */

typedef enum tk_store_refval_kind {
    TK_STORE_REF_HWMODEL = 1,     /* allowed hwmodel (RFC 9711 claim 259) */
    TK_STORE_REF_HWVERSION = 2,   /* allowed hwversion (claim 260) */
    TK_STORE_REF_MEASUREMENT = 3, /* label: component, value: digest */
    TK_STORE_REF_ATTEST_KEY = 4,  /* label: kid, value: COSE_Key */
    TK_STORE_REF_OEMID = 5,       /* allowed oemid (claim 258) */
} tk_store_refval_kind;

/* One reference value for a device or a class: exactly one of device_id and
 * class_id is non-zero. */
typedef struct tk_store_refval {
    int64_t id;
    int64_t device_id;
    int64_t class_id;
    tk_store_refval_kind kind;
    tk_view label; /* 0..256 bytes, meaning per kind */
    tk_view value; /* 1..4096 bytes */
    int64_t created;
} tk_store_refval;
TK_STORE_LIST_TYPE(tk_store_refvals, tk_store_refval);

tk_err tk_store_refval_add(tk_store *store, const tk_store_refval *refval,
                           const char *actor, int64_t *id,
                           tk_store_detail *detail);
tk_err tk_store_refval_get(tk_store *store, int64_t id, tk_store_mem *mem,
                           tk_store_refval *out, tk_store_detail *detail);
tk_err tk_store_refval_delete(tk_store *store, int64_t id, const char *actor,
                              tk_store_detail *detail);
/* Lists reference values; device_id 0 and class_id 0 match any. */
tk_err tk_store_refval_list(tk_store *store, int64_t device_id,
                            int64_t class_id, const tk_store_page *page,
                            tk_store_mem *mem, tk_store_refvals *out,
                            tk_store_detail *detail);
/* Returns every reference value that applies to a device (its own and its
 * class's), in id order; more than TK_STORE_MAX_REFVALS is TK_ERR_LIMIT. */
tk_err tk_store_refval_for_device(tk_store *store, int64_t device_id,
                                  tk_store_mem *mem, tk_store_refvals *out,
                                  tk_store_detail *detail);
/* Returns the keys of a device and the reference values of
 * tk_store_refval_for_device() from one snapshot, which is what a verifier
 * needs to appraise the device's evidence. Keys come in id order, of every
 * use; more than TK_STORE_MAX_DEVICE_KEYS is TK_ERR_LIMIT. */
tk_err tk_store_device_references(tk_store *store, int64_t device_id,
                                  tk_store_mem *mem, tk_store_keys *keys,
                                  tk_store_refvals *refvals,
                                  tk_store_detail *detail);

/* ---- Sessions and single-use tokens ------------------------------------- */

/* Matches any state in tk_store_session_change.expected_state. */
#define TK_STORE_ANY_STATE INT32_MIN

/* A TEEP session as the stateless TAM workers keep it. state and context
 * belong to the TAM state machine; the store keeps them verbatim. */
typedef struct tk_store_session {
    int64_t id;
    int64_t device_id; /* 0 until the agent is identified */
    int32_t state;
    tk_view challenge; /* attestation challenge, may be empty */
    tk_view context;   /* serialized state machine data, at most 64 KiB */
    int64_t created;
    int64_t updated;
    int64_t expires;
} tk_store_session;
TK_STORE_LIST_TYPE(tk_store_sessions, tk_store_session);

typedef enum tk_store_token_kind {
    TK_STORE_TOKEN = 1,     /* TEEP token, 8..64 bytes */
    TK_STORE_CHALLENGE = 2, /* attestation challenge, 8..512 bytes */
} tk_store_token_kind;

/*
 * Creates a session. A non-empty token, and a non-empty session->challenge,
 * are registered as single-use values of the session that expire with it.
 * A token or challenge that was ever issued before fails with
 * TK_ERR_STORE_DUPLICATE.
 */
tk_err tk_store_session_create(tk_store *store,
                               const tk_store_session *session,
                               tk_view token, int64_t *id,
                               tk_store_detail *detail);
tk_err tk_store_session_get(tk_store *store, int64_t id, tk_store_mem *mem,
                            tk_store_session *out, tk_store_detail *detail);

/* Change of a session by tk_store_session_update(). */
typedef struct tk_store_session_change {
    int64_t id;
    /* The update applies only while the session is in this state;
     * TK_STORE_ANY_STATE skips the check. */
    int32_t expected_state;
    int32_t state;
    int64_t device_id;   /* 0 keeps the current device */
    bool set_context;    /* replace the context with the field below */
    tk_view context;
    int64_t expires;     /* 0 keeps the current expiry */
    tk_view next_token;  /* when non-empty, issued for the session */
    int64_t next_token_expires; /* 0: the session's (new) expiry */
} tk_store_session_change;

/* Applies change in one transaction. Fails with TK_ERR_STORE_CONFLICT when
 * the session is not in change->expected_state (another worker moved it). */
tk_err tk_store_session_update(tk_store *store,
                               const tk_store_session_change *change,
                               tk_store_detail *detail);
/* Lists sessions; device_id 0 matches any. */
tk_err tk_store_session_list(tk_store *store, int64_t device_id,
                             const tk_store_page *page, tk_store_mem *mem,
                             tk_store_sessions *out, tk_store_detail *detail);

/* Issues one more single-use value for a session. */
tk_err tk_store_token_add(tk_store *store, int64_t session_id,
                          tk_store_token_kind kind, tk_view value,
                          int64_t expires, tk_store_detail *detail);

/*
 * Marks a token (or challenge) used and returns its session, only when it
 * was issued, is unused and has not expired. The check and the mark are one
 * atomic step, so of any number of racing callers exactly one succeeds.
 * Fails with TK_ERR_STORE_TOKEN_UNKNOWN, TK_ERR_STORE_TOKEN_USED or
 * TK_ERR_STORE_TOKEN_EXPIRED (an expired value stays unused).
 */
tk_err tk_store_token_consume(tk_store *store, tk_store_token_kind kind,
                              tk_view value, tk_store_mem *mem,
                              tk_store_session *session,
                              tk_store_detail *detail);

/*
 * Checks a token (or challenge) as tk_store_token_consume() does, with the
 * same errors, and returns its session without marking it used: a read
 * transaction. The TAM checks the token of a message first and consumes it
 * with everything the message changes in one tk_store_exchange_record().
 */
tk_err tk_store_token_check(tk_store *store, tk_store_token_kind kind,
                            tk_view value, tk_store_mem *mem,
                            tk_store_session *session,
                            tk_store_detail *detail);

/* Numbers of rows removed by tk_store_purge(). */
typedef struct tk_store_purged {
    uint64_t tokens;
    uint64_t sessions;
    uint64_t used_tokens; /* entries of self-authenticating tokens */
} tk_store_purged;

/* Deletes tokens that expired before `before`, sessions that expired
 * before it and have no attestation result or report, and the entries of
 * used self-authenticating tokens (tk_store_exchange.used_digest) that
 * expired before it. A worker whose clock runs behind takes such a token
 * for valid until its own clock passes the expiry, so `before` must lie
 * that far in the past: the TAM subtracts an hour and its clock_skew. */
tk_err tk_store_purge(tk_store *store, int64_t before, tk_store_purged *out,
                      tk_store_detail *detail);

/* ---- Attestation results and the audit log ------------------------------ */

typedef enum tk_store_verdict {
    TK_STORE_VERDICT_AFFIRMING = 1,
    TK_STORE_VERDICT_WARNING = 2,
    TK_STORE_VERDICT_CONTRAINDICATED = 3,
    TK_STORE_VERDICT_FAILED = 4, /* evidence missing or not appraisable */
} tk_store_verdict;

typedef struct tk_store_attestation {
    int64_t id;
    int64_t device_id;  /* 0 when the device is unknown */
    int64_t session_id; /* 0 when not tied to a session */
    tk_store_verdict verdict;
    int32_t reason_code; /* a tk_err of the appraisal, 0 when affirming */
    const char *reason;  /* NULL reads as "" */
    const char *claims;  /* summary of the claims (JSON), no secrets */
    int64_t created;
} tk_store_attestation;
TK_STORE_LIST_TYPE(tk_store_attestations, tk_store_attestation);

typedef struct tk_store_audit {
    int64_t id;
    int64_t time;
    const char *actor;  /* who: "admin:alice", "tam" */
    const char *action; /* what: "device.add", "attestation" */
    const char *object; /* on what: "device/42" */
    const char *detail; /* NULL reads as "" */
} tk_store_audit;
TK_STORE_LIST_TYPE(tk_store_audits, tk_store_audit);

/* Records an attestation result, the audit entry (when audit is not NULL;
 * its time is ignored) and the device's last_seen in one transaction: either
 * all are stored or none. */
tk_err tk_store_attestation_record(tk_store *store,
                                   const tk_store_attestation *result,
                                   const tk_store_audit *audit, int64_t *id,
                                   tk_store_detail *detail);
/* Returns the newest attestation result of a device. */
tk_err tk_store_attestation_latest(tk_store *store, int64_t device_id,
                                   tk_store_mem *mem,
                                   tk_store_attestation *out,
                                   tk_store_detail *detail);
/* Lists results; device_id 0 matches any. */
tk_err tk_store_attestation_list(tk_store *store, int64_t device_id,
                                 const tk_store_page *page, tk_store_mem *mem,
                                 tk_store_attestations *out,
                                 tk_store_detail *detail);

/* Appends an audit entry (its time is ignored). */
tk_err tk_store_audit_add(tk_store *store, const tk_store_audit *entry,
                          int64_t *id, tk_store_detail *detail);
/* Lists audit entries; object NULL matches any. */
tk_err tk_store_audit_list(tk_store *store, const char *object,
                           const tk_store_page *page, tk_store_mem *mem,
                           tk_store_audits *out, tk_store_detail *detail);

/* ---- Installed state and plans ------------------------------------------ */

/* A component as the device last reported it installed. */
typedef struct tk_store_installed {
    int64_t id;
    int64_t device_id;
    tk_view component_id; /* CBOR SUIT_Component_Identifier */
    uint64_t sequence;    /* at most INT64_MAX */
    tk_view digest;       /* manifest digest, may be empty */
    int64_t reported;
} tk_store_installed;
TK_STORE_LIST_TYPE(tk_store_installeds, tk_store_installed);

/* Replaces the whole installed state of a device (a full inventory from a
 * QueryResponse) in one transaction. device_id of the items is ignored. */
tk_err tk_store_installed_replace(tk_store *store, int64_t device_id,
                                  const tk_store_installed *items,
                                  size_t count, tk_store_detail *detail);
/* Creates or replaces one entry (after a successful install or update). */
tk_err tk_store_installed_set(tk_store *store, const tk_store_installed *item,
                              tk_store_detail *detail);
/* Removes one entry (after a delete); TK_ERR_STORE_NOT_FOUND when absent. */
tk_err tk_store_installed_remove(tk_store *store, int64_t device_id,
                                 tk_view component_id,
                                 tk_store_detail *detail);
tk_err tk_store_installed_list(tk_store *store, int64_t device_id,
                               const tk_store_page *page, tk_store_mem *mem,
                               tk_store_installeds *out,
                               tk_store_detail *detail);
/*
 * Lists the installed entries of one component identifier, one per device
 * that reported it, in id order (the index installed_component serves the
 * query, so a page reads only that component's entries). component_id is
 * compared byte for byte. TK_ERR_INVALID_ARG for a NULL argument or an
 * empty component_id, TK_ERR_LIMIT for a page limit above
 * TK_STORE_MAX_PAGE.
 */
tk_err tk_store_installed_by_component(tk_store *store, tk_view component_id,
                                       const tk_store_page *page,
                                       tk_store_mem *mem,
                                       tk_store_installeds *out,
                                       tk_store_detail *detail);

/* What a TAM reads about a device to answer its QueryResponse. */
typedef struct tk_store_device_context {
    /* Every key of the device, in id order (at most
     * TK_STORE_MAX_DEVICE_KEYS). */
    tk_store_keys keys;
    /* The reference values that tk_store_refval_for_device() returns,
     * in this order: the device's own by id, then its class's by id. */
    tk_store_refvals refvals;
    /* The installed state, in no particular order (at most
     * TK_STORE_MAX_INSTALLED). */
    tk_store_installeds installed;
} tk_store_device_context;

/* Reads the context of a device from one snapshot: its keys, reference
 * values and installed state. Cheaper than the calls one by one: one
 * transaction, and no query that sorts. A list above its limit is
 * TK_ERR_LIMIT, an unknown device TK_ERR_STORE_NOT_FOUND. The next
 * cursors are 0. */
tk_err tk_store_device_context_get(tk_store *store, int64_t device_id,
                                   tk_store_mem *mem,
                                   tk_store_device_context *out,
                                   tk_store_detail *detail);

typedef enum tk_store_plan_action {
    TK_STORE_PLAN_INSTALL = 1, /* wanted, not installed */
    TK_STORE_PLAN_UPDATE = 2,  /* wanted, installed with a lower sequence */
    TK_STORE_PLAN_DELETE = 3,  /* forbidden, installed */
} tk_store_plan_action;

/* One step of a device's plan. */
typedef struct tk_store_plan_item {
    tk_store_plan_action action;
    int64_t component;
    tk_view component_id;
    /* Target version for INSTALL and UPDATE (0 / empty for DELETE). */
    int64_t version_id;
    uint64_t sequence;
    tk_view digest;
    /* Installed state as last reported. */
    bool installed;
    uint64_t installed_sequence;
    tk_view installed_digest;
    /* tk_store_plan_for() only: the size of the target version's envelope
     * and, when it is at most the envelope_max asked for, its bytes. */
    uint64_t size;
    tk_view envelope;
} tk_store_plan_item;

typedef struct tk_store_plan {
    const tk_store_plan_item *items;
    size_t count;
} tk_store_plan;

/*
 * Computes what a device needs, from one consistent snapshot. For every
 * component that its policy wants (device rules win over class rules), the
 * plan names the newest version when the device reported none or a lower
 * sequence number. For every forbidden component that it reported, the plan
 * names a deletion. Components without a version are skipped, and nothing
 * is ever downgraded. Items are in component id order. The device's state
 * is not consulted, so check it first.
 */
tk_err tk_store_plan_get(tk_store *store, int64_t device_id,
                         tk_store_mem *mem, tk_store_plan *out,
                         tk_store_detail *detail);

/*
 * Computes the plan of tk_store_plan_get() against the installed state
 * given in installed[0..count) instead of the stored one: the plan for a
 * device whose report has not been stored yet. device_id of the entries is
 * ignored; count above TK_STORE_MAX_INSTALLED is TK_ERR_LIMIT. INSTALL and
 * UPDATE items also carry the size of their version's envelope and, when
 * it is at most envelope_max bytes, the envelope (0 never loads one).
 */
tk_err tk_store_plan_for(tk_store *store, int64_t device_id,
                         const tk_store_installed *installed, size_t count,
                         size_t envelope_max, tk_store_mem *mem,
                         tk_store_plan *out, tk_store_detail *detail);

/* ---- SUIT reports ------------------------------------------------------- */

/* One SUIT report from a Success or Error message. (session_id, token,
 * item) is its unique key: item is the report's index in the message. */
typedef struct tk_store_report {
    int64_t id;
    int64_t device_id;
    int64_t session_id;
    tk_view token;   /* token of the message, empty when it had none */
    uint32_t item;
    int32_t result;  /* 0 success, else the failure code */
    tk_view report;  /* SUIT_Report bytes, 1..65536 */
    int64_t created;
} tk_store_report;
TK_STORE_LIST_TYPE(tk_store_reports, tk_store_report);

/*
 * Stores a report once. A retried or racing submission with the same key
 * and the same bytes and result stores nothing, sets *inserted to false and
 * *id to the stored report; with different bytes or result it fails with
 * TK_ERR_STORE_CONFLICT.
 */
tk_err tk_store_report_insert(tk_store *store, const tk_store_report *report,
                              int64_t *id, bool *inserted,
                              tk_store_detail *detail);
tk_err tk_store_report_get(tk_store *store, int64_t id, tk_store_mem *mem,
                           tk_store_report *out, tk_store_detail *detail);
/* Lists reports with their bytes; device_id 0 and session_id 0 match any. */
tk_err tk_store_report_list(tk_store *store, int64_t device_id,
                            int64_t session_id, const tk_store_page *page,
                            tk_store_mem *mem, tk_store_reports *out,
                            tk_store_detail *detail);

/* ---- Exchanges ---------------------------------------------------------- */

/* Bytes of tk_store_exchange.used_digest, a SHA-256 digest. */
#define TK_STORE_DIGEST_LEN 32

/*
 * Everything one TEEP message changes in the store, written by
 * tk_store_exchange_record() in one write transaction. The token of the
 * message is consumed together with the records, so a message takes
 * effect completely or not at all. Of two workers that handle the same
 * message, only one commits.
 *
 * Every part is optional (an empty view, a NULL pointer, a zero count).
 * The parts are applied in the order of the fields, except that a new
 * session (create) is stored right after the token, so that the
 * attestation result can name it.
 */
typedef struct tk_store_exchange {
    /* The token of the message, consumed first with the errors of
     * tk_store_token_consume(). Empty for a message without a token. */
    tk_view token;
    /* The session the token must belong to; 0 accepts any. Another
     * session fails with TK_ERR_STORE_CONFLICT. */
    int64_t session_id;
    /* A self-authenticating token of the message instead, one that the
     * caller verified without the store, recorded as used: used_digest
     * is its SHA-256 digest (TK_STORE_DIGEST_LEN bytes) and used_expires
     * the expiry that the token itself carries and authenticates. A
     * digest recorded before fails with TK_ERR_STORE_TOKEN_USED, an
     * expiry that is not after the store's clock with
     * TK_ERR_STORE_TOKEN_EXPIRED. At most one of token and used_digest. */
    tk_view used_digest;
    int64_t used_expires;
    /* Device of the installed state below and of activate_device. */
    int64_t device_id;
    /* Moves the device from pending to active, with an audit entry by
     * actor, when it is still pending. */
    bool activate_device;
    const char *actor;
    /* An attestation result, stored as tk_store_attestation_record() does
     * (the device's last_seen included). A result whose session_id is 0
     * belongs to the session that the exchange creates, if any. */
    const tk_store_attestation *attestation;
    /* With replace_installed, the device's installed state becomes
     * installed[0..installed_count), as tk_store_installed_replace(). */
    bool replace_installed;
    const tk_store_installed *installed;
    size_t installed_count;
    /* Entries created or replaced, as tk_store_installed_set(). */
    const tk_store_installed *installed_set;
    size_t installed_set_count;
    /* Component identifiers whose entry is removed; an absent one is not
     * an error. */
    const tk_view *installed_remove;
    size_t installed_remove_count;
    /* SUIT reports, each stored once as tk_store_report_insert() does. */
    const tk_store_report *reports;
    size_t report_count;
    /* Audit entries (their time is ignored). */
    const tk_store_audit *audit;
    size_t audit_count;
    /* The message sent in reply, at most one of the two: a change of a
     * session (tk_store_session_update()), or a new session with its
     * token (tk_store_session_create()). */
    const tk_store_session_change *update;
    const tk_store_session *create;
    tk_view create_token;
} tk_store_exchange;

/* What tk_store_exchange_record() stored. */
typedef struct tk_store_exchange_result {
    int64_t session_id;      /* session of the consumed token, else 0 */
    int64_t created_session; /* id of exchange->create, else 0 */
    int64_t attestation_id;  /* id of the attestation result, else 0 */
    size_t reports_inserted; /* reports new to the store */
    bool activated;          /* the device moved from pending to active */
} tk_store_exchange_result;

/*
 * Applies an exchange in one transaction: all of it or, on any error,
 * nothing. The errors are those of the parts:
 *   TK_ERR_STORE_TOKEN_UNKNOWN, _USED, _EXPIRED  the token, or the used
 *                            self-authenticating token
 *   TK_ERR_STORE_NOT_FOUND   device_id names no device
 *   TK_ERR_STORE_CONFLICT    a token of another session, or a report
 *                            stored before with other content
 *   TK_ERR_STORE_DUPLICATE   a new token that was issued before
 *   TK_ERR_LIMIT             a list above TK_STORE_MAX_INSTALLED or
 *                            TK_STORE_MAX_EXCHANGE_ITEMS
 * out may be NULL.
 */
tk_err tk_store_exchange_record(tk_store *store,
                                const tk_store_exchange *exchange,
                                tk_store_exchange_result *out,
                                tk_store_detail *detail);

/* ---- Metrics ------------------------------------------------------------ */

typedef struct tk_store_counter {
    const char *name;
    int64_t value;
} tk_store_counter;
TK_STORE_LIST_TYPE(tk_store_counters, tk_store_counter);

/* Adds delta to a named counter (created at 0), atomically across workers;
 * *value receives the new total when value is not NULL. */
tk_err tk_store_counter_add(tk_store *store, const char *name, int64_t delta,
                            int64_t *value, tk_store_detail *detail);
/* Returns every counter in byte order of the names; next is always 0. */
tk_err tk_store_counter_list(tk_store *store, tk_store_mem *mem,
                             tk_store_counters *out, tk_store_detail *detail);

/* Entity counts for gauges and the dashboard, from one snapshot. */
typedef struct tk_store_summary {
    int64_t devices[4];      /* by tk_store_device_state */
    int64_t classes;
    int64_t components;
    int64_t versions;
    int64_t policies;
    int64_t open_sessions;   /* not yet expired */
    int64_t attestations[5]; /* by tk_store_verdict, index 0 unused */
    int64_t reports_ok;
    int64_t reports_failed;
    int64_t audit_entries;
} tk_store_summary;

tk_err tk_store_summary_get(tk_store *store, tk_store_summary *out,
                            tk_store_detail *detail);

#ifdef __cplusplus
}
#endif

#endif /* TK_STORE_H */
