/*
 * The TAM store suite. The same tests run on SQLite (label unit) and on
 * PostgreSQL (label pg); see store_backend.h for how the backend is chosen.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "store_backend.h"

/* Start of the test clock, in seconds since the epoch. */
#define T0 1700000000

static int64_t test_now = T0;

static int64_t test_clock(void *ctx)
{
    (void)ctx;
    return test_now;
}

static tk_view bytes(const char *s)
{
    return (tk_view){(const uint8_t *)s, strlen(s)};
}

static bool view_equals(tk_view v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

static tk_store_options test_options(void)
{
    tk_store_options o = {0};
    o.clock = test_clock;
    return o;
}

static tk_store *open_with(const tk_store_options *options)
{
    tk_store *store = NULL;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_open(backend_uri(), options, &store, &detail);
    if (err != TK_OK)
        fprintf(stderr, "open failed: %s\n", detail.text);
    assert_int_equal(err, TK_OK);
    assert_non_null(store);
    return store;
}

static tk_store *open_store(void)
{
    tk_store_options o = test_options();
    return open_with(&o);
}

/* Every test starts on an empty database at a fixed time. */
static int fresh_database(void **state)
{
    (void)state;
    test_now = T0;
    backend_fresh();
    return 0;
}

static int64_t add_device(tk_store *store, const char *ueid, int64_t class_id)
{
    tk_store_device d = {.ueid = bytes(ueid), .class_id = class_id,
                         .name = ueid, .state = TK_STORE_DEVICE_ACTIVE};
    int64_t id = 0;
    tk_store_detail detail;
    tk_err err = tk_store_device_add(store, &d, NULL, &id, &detail);
    if (err != TK_OK)
        fprintf(stderr, "device_add: %s\n", detail.text);
    assert_int_equal(err, TK_OK);
    assert_true(id > 0);
    return id;
}

static int64_t add_class(tk_store *store, const char *name)
{
    tk_store_class c = {.name = name, .description = "test class"};
    int64_t id = 0;
    assert_int_equal(tk_store_class_add(store, &c, NULL, &id, NULL), TK_OK);
    assert_true(id > 0);
    return id;
}

static int64_t add_component(tk_store *store, const char *component_id)
{
    tk_store_component c = {.component_id = bytes(component_id),
                            .name = component_id};
    int64_t id = 0;
    assert_int_equal(tk_store_component_add(store, &c, NULL, &id, NULL),
                     TK_OK);
    return id;
}

static int64_t add_version(tk_store *store, int64_t component,
                           uint64_t sequence, const char *digest)
{
    tk_store_version v = {.component = component, .sequence = sequence,
                          .digest = bytes(digest),
                          .envelope = bytes("envelope bytes")};
    int64_t id = 0;
    tk_store_detail detail;
    tk_err err = tk_store_version_add(store, &v, NULL, &id, &detail);
    if (err != TK_OK)
        fprintf(stderr, "version_add: %s\n", detail.text);
    assert_int_equal(err, TK_OK);
    return id;
}

static void set_policy(tk_store *store, int64_t device, int64_t cls,
                       int64_t component, tk_store_policy_action action)
{
    tk_store_policy p = {.device_id = device, .class_id = cls,
                         .component = component, .action = action};
    int64_t id;
    assert_int_equal(tk_store_policy_set(store, &p, NULL, &id, NULL), TK_OK);
}

static int64_t new_session(tk_store *store, int64_t device, const char *token,
                           const char *challenge, int64_t expires)
{
    tk_store_session s = {.device_id = device, .state = 1,
                          .challenge = challenge ? bytes(challenge)
                                                 : (tk_view){NULL, 0},
                          .context = bytes("ctx"), .expires = expires};
    int64_t id = 0;
    tk_store_detail detail;
    tk_err err = tk_store_session_create(
        store, &s, token ? bytes(token) : (tk_view){NULL, 0}, &id, &detail);
    if (err != TK_OK)
        fprintf(stderr, "session_create: %s\n", detail.text);
    assert_int_equal(err, TK_OK);
    return id;
}

/* ---- Opening and migrations --------------------------------------------- */

static void open_creates_schema(void **state)
{
    (void)state;
    tk_store *store = open_store();
    uint32_t version = 0;
    assert_int_equal(tk_store_schema_version(store, &version, NULL), TK_OK);
    assert_int_equal(version, TK_STORE_SCHEMA_VERSION);
    assert_string_equal(tk_store_backend(store),
                        backend_is_pg() ? "postgresql" : "sqlite");
    char rows[32];
    backend_query_text("SELECT count(*) FROM schema_version", rows,
                       sizeof rows);
    assert_int_equal(atoi(rows), TK_STORE_SCHEMA_VERSION);
    tk_store_close(store);
}

static void open_reopens_existing(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t id = add_device(store, "ueid-reopen", 0);
    tk_store_close(store);

    store = open_store();
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    assert_int_equal(tk_store_device_get(store, id, &mem, &d, NULL), TK_OK);
    assert_true(view_equals(d.ueid, "ueid-reopen"));
    char rows[32];
    backend_query_text("SELECT count(*) FROM schema_version", rows,
                       sizeof rows);
    assert_int_equal(atoi(rows), TK_STORE_SCHEMA_VERSION);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void open_migrates_stepwise(void **state)
{
    (void)state;
    tk_store_options o = test_options();
    o.target_version = 1;
    tk_store *store = open_with(&o);
    uint32_t version = 0;
    assert_int_equal(tk_store_schema_version(store, &version, NULL), TK_OK);
    assert_int_equal(version, 1);
    int64_t device = add_device(store, "ueid-v1", 0);
    /* The session tables arrive with version 2. */
    tk_store_session s = {.device_id = device, .state = 1,
                          .expires = T0 + 60};
    int64_t id;
    assert_int_equal(tk_store_session_create(store, &s, bytes("tok-v1-0001"),
                                             &id, NULL),
                     TK_ERR_STORE_BACKEND);
    tk_store_close(store);

    store = open_store();
    assert_int_equal(tk_store_schema_version(store, &version, NULL), TK_OK);
    assert_int_equal(version, TK_STORE_SCHEMA_VERSION);
    id = new_session(store, device, "tok-v2-0001", NULL, T0 + 60);
    assert_true(id > 0);
    tk_store_close(store);
}

static void open_rejects_newer_schema(void **state)
{
    (void)state;
    tk_store_close(open_store());
    backend_exec("INSERT INTO schema_version (version, applied, name) "
                 "VALUES (99, 0, 'from a newer build')");
    tk_store *store = NULL;
    tk_store_detail detail;
    tk_store_options o = test_options();
    assert_int_equal(tk_store_open(backend_uri(), &o, &store, &detail),
                     TK_ERR_STORE_SCHEMA_TOO_NEW);
    assert_null(store);
    assert_non_null(strstr(detail.text, "99"));
    assert_non_null(strstr(detail.text, "upgrade"));
}

static void open_rejects_bad_uri(void **state)
{
    (void)state;
    tk_store *store = NULL;
    tk_store_detail detail;
    assert_int_equal(tk_store_open("mysql://127.0.0.1/x", NULL, &store,
                                   &detail),
                     TK_ERR_STORE_BAD_URI);
    assert_non_null(strstr(detail.text, "mysql"));
    assert_int_equal(tk_store_open("sqlite:", NULL, &store, &detail),
                     TK_ERR_STORE_BAD_URI);
    assert_int_equal(tk_store_open("", NULL, &store, &detail),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_store_open(NULL, NULL, &store, &detail),
                     TK_ERR_INVALID_ARG);
    assert_null(store);
}

static void open_reports_connect_failure(void **state)
{
    (void)state;
    tk_store *store = NULL;
    tk_store_detail detail;
    assert_int_equal(tk_store_open("sqlite:/nonexistent-folder/tam.db", NULL,
                                   &store, &detail),
                     TK_ERR_STORE_CONNECT);
    assert_non_null(strstr(detail.text, "/nonexistent-folder/tam.db"));
    /* Port 1 on the loopback address refuses connections. */
    assert_int_equal(tk_store_open("postgresql://teepkit:not-the-password@"
                                   "127.0.0.1:1/x?connect_timeout=5",
                                   NULL, &store, &detail),
                     TK_ERR_STORE_CONNECT);
    assert_null(strstr(detail.text, "not-the-password"));
    assert_null(store);
}

static void open_rejects_corrupt_file(void **state)
{
    (void)state;
    if (backend_is_pg())
        skip();
    const char *uri = backend_uri();
    FILE *f = fopen(uri + strlen("sqlite:"), "wb");
    assert_non_null(f);
    char garbage[4096];
    memset(garbage, 'x', sizeof garbage);
    assert_int_equal(fwrite(garbage, 1, sizeof garbage, f), sizeof garbage);
    fclose(f);
    tk_store *store = NULL;
    tk_store_detail detail;
    assert_int_equal(tk_store_open(uri, NULL, &store, &detail),
                     TK_ERR_STORE_CORRUPT);
    assert_null(store);
}

static void open_rejects_wrong_password(void **state)
{
    (void)state;
    if (!backend_is_pg())
        skip();
    /* The test server's string is postgresql://teepkit:PASSWORD@host... */
    const char *base = backend_pg_base();
    const char *colon = strchr(base + strlen("postgresql://"), ':');
    const char *at = strchr(base, '@');
    assert_non_null(colon);
    assert_non_null(at);
    char wrong[1100];
    snprintf(wrong, sizeof wrong, "%.*s:wrong-secret-value%s",
             (int)(colon - base), base, at);
    tk_store *store = NULL;
    tk_store_detail detail;
    assert_int_equal(tk_store_open(wrong, NULL, &store, &detail),
                     TK_ERR_STORE_CONNECT);
    assert_null(strstr(detail.text, "wrong-secret-value"));
    assert_non_null(strstr(detail.text, "password"));
}

static void reconnect_after_server_drop(void **state)
{
    (void)state;
    if (!backend_is_pg())
        skip();
    tk_store *store = open_store();
    add_device(store, "ueid-drop", 0);
    /* Calls ran one at a time, so the pool opened one connection. */
    assert_int_equal(backend_pg_drop_connections(), 1);
    /* The dead connection fails at BEGIN, before any work was sent, so the
     * store retries once on a new connection. */
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_devices list;
    tk_store_detail detail;
    assert_int_equal(tk_store_device_list(store, 0, -1, NULL, &mem, &list,
                                          &detail),
                     TK_OK);
    assert_int_equal(list.count, 1);
    add_device(store, "ueid-drop-2", 0);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* ---- Device classes and devices ----------------------------------------- */

static void class_crud(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    tk_store_class c = {.name = "sensor", .description = "temperature",
                        .vendor_id = bytes("0123456789abcdef")};
    int64_t id = 0;
    assert_int_equal(tk_store_class_add(store, &c, "admin", &id, &detail),
                     TK_OK);
    assert_int_equal(tk_store_class_add(store, &c, "admin", NULL, &detail),
                     TK_ERR_STORE_DUPLICATE);
    assert_non_null(strstr(detail.text, "sensor"));

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_class got;
    assert_int_equal(tk_store_class_get(store, id, &mem, &got, NULL), TK_OK);
    assert_string_equal(got.name, "sensor");
    assert_string_equal(got.description, "temperature");
    assert_true(view_equals(got.vendor_id, "0123456789abcdef"));
    assert_int_equal(got.class_uuid.len, 0);
    assert_int_equal(got.created, T0);

    c.id = id;
    c.name = "thermometer";
    assert_int_equal(tk_store_class_update(store, &c, "admin", NULL), TK_OK);
    assert_int_equal(tk_store_class_find(store, "thermometer", &mem, &got,
                                         NULL),
                     TK_OK);
    assert_int_equal(got.id, id);
    assert_int_equal(tk_store_class_find(store, "sensor", &mem, &got,
                                         &detail),
                     TK_ERR_STORE_NOT_FOUND);
    c.id = id + 100;
    assert_int_equal(tk_store_class_update(store, &c, NULL, &detail),
                     TK_ERR_STORE_NOT_FOUND);

    int64_t device = add_device(store, "ueid-class", id);
    assert_int_equal(tk_store_class_delete(store, id, "admin", &detail),
                     TK_ERR_STORE_REFERENCE);
    assert_non_null(strstr(detail.text, "class_delete: device class"));
    assert_int_equal(tk_store_device_delete(store, device, NULL, NULL), TK_OK);
    assert_int_equal(tk_store_class_delete(store, id, "admin", NULL), TK_OK);
    assert_int_equal(tk_store_class_get(store, id, &mem, &got, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    char expected[64];
    snprintf(expected, sizeof expected, "device class %" PRId64 " not found",
             id);
    assert_non_null(strstr(detail.text, expected));

    tk_store_audits audit;
    char object[32];
    snprintf(object, sizeof object, "class/%" PRId64, id);
    assert_int_equal(tk_store_audit_list(store, object, NULL, &mem, &audit,
                                         NULL),
                     TK_OK);
    assert_int_equal(audit.count, 3);
    assert_string_equal(audit.items[0].action, "class.add");
    assert_string_equal(audit.items[0].actor, "admin");
    assert_string_equal(audit.items[1].action, "class.update");
    assert_string_equal(audit.items[2].action, "class.delete");
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void device_crud(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t cls = add_class(store, "gateway");
    int64_t id = add_device(store, "ueid-0001", cls);

    tk_store_device dup = {.ueid = bytes("ueid-0001")};
    assert_int_equal(tk_store_device_add(store, &dup, NULL, NULL, &detail),
                     TK_ERR_STORE_DUPLICATE);
    assert_non_null(strstr(detail.text, "UEID"));
    tk_store_device orphan = {.ueid = bytes("ueid-0002"), .class_id = 999};
    assert_int_equal(tk_store_device_add(store, &orphan, NULL, NULL, &detail),
                     TK_ERR_STORE_REFERENCE);
    assert_non_null(strstr(detail.text, "device class 999 not found"));

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    assert_int_equal(tk_store_device_find(store, bytes("ueid-0001"), &mem, &d,
                                          NULL),
                     TK_OK);
    assert_int_equal(d.id, id);
    assert_int_equal(d.class_id, cls);
    assert_int_equal(d.state, TK_STORE_DEVICE_ACTIVE);
    assert_int_equal(d.last_seen, 0);
    assert_string_equal(d.name, "ueid-0001");
    assert_int_equal(tk_store_device_find(store, bytes("nobody"), &mem, &d,
                                          &detail),
                     TK_ERR_STORE_NOT_FOUND);

    test_now = T0 + 30;
    assert_int_equal(tk_store_device_seen(store, id, NULL), TK_OK);
    d.state = TK_STORE_DEVICE_BLOCKED;
    d.class_id = 0;
    d.name = "renamed";
    assert_int_equal(tk_store_device_update(store, &d, "admin", NULL), TK_OK);
    assert_int_equal(tk_store_device_get(store, id, &mem, &d, NULL), TK_OK);
    assert_int_equal(d.state, TK_STORE_DEVICE_BLOCKED);
    assert_int_equal(d.class_id, 0);
    assert_int_equal(d.last_seen, T0 + 30);
    assert_string_equal(d.name, "renamed");
    assert_int_equal(tk_store_device_seen(store, id + 50, &detail),
                     TK_ERR_STORE_NOT_FOUND);

    assert_int_equal(tk_store_device_delete(store, id, NULL, NULL), TK_OK);
    assert_int_equal(tk_store_device_delete(store, id, NULL, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_device_get(store, id, &mem, &d, NULL),
                     TK_ERR_STORE_NOT_FOUND);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void device_list_pages(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t cls = add_class(store, "pageable");
    int64_t ids[25];
    for (int i = 0; i < 25; i++) {
        char ueid[16];
        snprintf(ueid, sizeof ueid, "page-%02d", i);
        ids[i] = add_device(store, ueid, i % 2 == 0 ? cls : 0);
    }
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_devices page;
    tk_store_page request = {.limit = 10};
    size_t seen = 0;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(tk_store_device_list(store, 0, -1, &request, &mem,
                                              &page, NULL),
                         TK_OK);
        assert_int_equal(page.count, round < 2 ? 10 : 5);
        for (size_t i = 0; i < page.count; i++)
            assert_int_equal(page.items[i].id, ids[seen + i]);
        seen += page.count;
        if (round < 2)
            assert_int_equal(page.next, ids[seen - 1]);
        else
            assert_int_equal(page.next, 0);
        request.after = page.next;
    }
    assert_int_equal(seen, 25);

    tk_store_page newest = {.limit = 4, .newest_first = true};
    assert_int_equal(tk_store_device_list(store, 0, -1, &newest, &mem, &page,
                                          NULL),
                     TK_OK);
    assert_int_equal(page.count, 4);
    assert_int_equal(page.items[0].id, ids[24]);
    assert_int_equal(page.items[3].id, ids[21]);
    newest.after = page.next;
    assert_int_equal(tk_store_device_list(store, 0, -1, &newest, &mem, &page,
                                          NULL),
                     TK_OK);
    assert_int_equal(page.items[0].id, ids[20]);

    assert_int_equal(tk_store_device_list(store, cls, -1, NULL, &mem, &page,
                                          NULL),
                     TK_OK);
    assert_int_equal(page.count, 13);
    assert_int_equal(page.next, 0);
    assert_int_equal(tk_store_device_list(store, cls, TK_STORE_DEVICE_BLOCKED,
                                          NULL, &mem, &page, NULL),
                     TK_OK);
    assert_int_equal(page.count, 0);

    tk_store_page huge = {.limit = TK_STORE_MAX_PAGE + 1};
    tk_store_detail detail;
    assert_int_equal(tk_store_device_list(store, 0, -1, &huge, &mem, &page,
                                          &detail),
                     TK_ERR_LIMIT);
    assert_non_null(strstr(detail.text, "TK_STORE_MAX_PAGE"));
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void key_crud_and_find(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t device = add_device(store, "ueid-keys", 0);
    tk_store_key k = {.device_id = device, .use = TK_STORE_KEY_AGENT,
                      .kid = bytes("kid-agent"), .alg = -9,
                      .cose_key = bytes("cose-key-agent")};
    int64_t agent = 0;
    assert_int_equal(tk_store_key_add(store, &k, "admin", &agent, NULL), TK_OK);
    assert_int_equal(tk_store_key_add(store, &k, "admin", NULL, &detail),
                     TK_ERR_STORE_DUPLICATE);
    /* The same kid for another use is another key. */
    k.use = TK_STORE_KEY_ATTESTATION;
    int64_t attest = 0;
    assert_int_equal(tk_store_key_add(store, &k, NULL, &attest, NULL), TK_OK);
    k.device_id = 4242;
    k.kid = bytes("kid-other");
    assert_int_equal(tk_store_key_add(store, &k, NULL, NULL, &detail),
                     TK_ERR_STORE_REFERENCE);
    assert_non_null(strstr(detail.text, "device 4242 not found"));
    assert_null(strstr(detail.text, "cose-key"));

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_key got;
    assert_int_equal(tk_store_key_find(store, TK_STORE_KEY_AGENT,
                                       bytes("kid-agent"), &mem, &got, NULL),
                     TK_OK);
    assert_int_equal(got.id, agent);
    assert_int_equal(got.device_id, device);
    assert_int_equal(got.alg, -9);
    assert_true(view_equals(got.cose_key, "cose-key-agent"));
    assert_int_equal(tk_store_key_find(store, TK_STORE_KEY_AGENT,
                                       bytes("kid-none"), &mem, &got,
                                       &detail),
                     TK_ERR_STORE_NOT_FOUND);

    tk_store_keys list;
    assert_int_equal(tk_store_key_list(store, device, NULL, &mem, &list, NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    assert_int_equal(tk_store_key_delete(store, agent, NULL, NULL), TK_OK);
    assert_int_equal(tk_store_key_get(store, agent, &mem, &got, NULL),
                     TK_ERR_STORE_NOT_FOUND);
    /* Keys go with their device. */
    assert_int_equal(tk_store_device_delete(store, device, NULL, NULL), TK_OK);
    assert_int_equal(tk_store_key_get(store, attest, &mem, &got, NULL),
                     TK_ERR_STORE_NOT_FOUND);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* ---- Components, versions, policy and plans ----------------------------- */

static void component_versions(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t comp = add_component(store, "['TEEP-Device','SecureFS']");
    tk_store_component dup = {.component_id =
                                  bytes("['TEEP-Device','SecureFS']")};
    assert_int_equal(tk_store_component_add(store, &dup, NULL, NULL, &detail),
                     TK_ERR_STORE_DUPLICATE);
    int64_t v1 = add_version(store, comp, 1, "digest-1");
    add_version(store, comp, 5, "digest-5");
    add_version(store, comp, 3, "digest-3");

    /* An equal sequence number can never name a second manifest. */
    tk_store_version same_seq = {.component = comp, .sequence = 5,
                                 .digest = bytes("digest-other"),
                                 .envelope = bytes("x")};
    assert_int_equal(tk_store_version_add(store, &same_seq, NULL, NULL,
                                          &detail),
                     TK_ERR_STORE_DUPLICATE);
    assert_non_null(strstr(detail.text, "sequence number 5"));
    tk_store_version same_digest = {.component = comp, .sequence = 6,
                                    .digest = bytes("digest-3"),
                                    .envelope = bytes("x")};
    assert_int_equal(tk_store_version_add(store, &same_digest, NULL, NULL,
                                          &detail),
                     TK_ERR_STORE_DUPLICATE);
    tk_store_version too_big = {.component = comp, .sequence = UINT64_MAX,
                                .digest = bytes("d"), .envelope = bytes("x")};
    assert_int_equal(tk_store_version_add(store, &too_big, NULL, NULL,
                                          &detail),
                     TK_ERR_INVALID_ARG);
    tk_store_version orphan = {.component = 777, .sequence = 1,
                               .digest = bytes("d"), .envelope = bytes("x")};
    assert_int_equal(tk_store_version_add(store, &orphan, NULL, NULL,
                                          &detail),
                     TK_ERR_STORE_REFERENCE);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_version v;
    assert_int_equal(tk_store_version_latest(store, comp, &mem, &v, NULL),
                     TK_OK);
    assert_int_equal(v.sequence, 5);
    assert_true(view_equals(v.digest, "digest-5"));
    assert_true(view_equals(v.envelope, "envelope bytes"));
    assert_int_equal(v.size, strlen("envelope bytes"));
    assert_int_equal(tk_store_version_get(store, v1, &mem, &v, NULL), TK_OK);
    assert_int_equal(v.sequence, 1);

    tk_store_versions list;
    assert_int_equal(tk_store_version_list(store, comp, NULL, &mem, &list,
                                           NULL),
                     TK_OK);
    assert_int_equal(list.count, 3);
    assert_int_equal(list.items[0].envelope.len, 0);
    assert_int_equal(list.items[0].size, strlen("envelope bytes"));

    int64_t empty = add_component(store, "empty");
    assert_int_equal(tk_store_version_latest(store, empty, &mem, &v, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_version_delete(store, v1, NULL, NULL), TK_OK);
    assert_int_equal(tk_store_version_get(store, v1, &mem, &v, NULL),
                     TK_ERR_STORE_NOT_FOUND);

    tk_store_components comps;
    assert_int_equal(tk_store_component_list(store, NULL, &mem, &comps, NULL),
                     TK_OK);
    assert_int_equal(comps.count, 2);
    tk_store_component found;
    assert_int_equal(tk_store_component_find(store,
                                             bytes("['TEEP-Device','SecureFS']"),
                                             &mem, &found, NULL),
                     TK_OK);
    assert_int_equal(found.id, comp);
    found.name = "SecureFS";
    assert_int_equal(tk_store_component_update(store, &found, "admin", NULL),
                     TK_OK);
    assert_int_equal(tk_store_component_get(store, comp, &mem, &found, NULL),
                     TK_OK);
    assert_string_equal(found.name, "SecureFS");
    assert_true(view_equals(found.component_id, "['TEEP-Device','SecureFS']"));
    found.id = comp + 100;
    assert_int_equal(tk_store_component_update(store, &found, NULL, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_component_delete(store, comp, NULL, NULL),
                     TK_OK);
    assert_int_equal(tk_store_version_list(store, comp, NULL, &mem, &list,
                                           NULL),
                     TK_OK);
    assert_int_equal(list.count, 0);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void version_upload_creates_component(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_version v = {.sequence = 2, .digest = bytes("dg-2"),
                          .envelope = bytes("signed envelope")};
    int64_t comp = 0;
    int64_t id = 0;
    assert_int_equal(tk_store_version_upload(store, bytes("tc-upload"),
                                             "uploaded", &v, "admin", &comp,
                                             &id, NULL),
                     TK_OK);
    assert_true(comp > 0);
    assert_true(id > 0);
    v.sequence = 3;
    v.digest = bytes("dg-3");
    int64_t comp2 = 0;
    assert_int_equal(tk_store_version_upload(store, bytes("tc-upload"), NULL,
                                             &v, "admin", &comp2, &id, NULL),
                     TK_OK);
    assert_int_equal(comp2, comp);
    tk_store_detail detail;
    assert_int_equal(tk_store_version_upload(store, bytes("tc-upload"), NULL,
                                             &v, "admin", NULL, NULL,
                                             &detail),
                     TK_ERR_STORE_DUPLICATE);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_component c;
    assert_int_equal(tk_store_component_get(store, comp, &mem, &c, NULL),
                     TK_OK);
    assert_string_equal(c.name, "uploaded");
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void policy_rules(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t cls = add_class(store, "policy-class");
    int64_t device = add_device(store, "ueid-policy", cls);
    int64_t comp = add_component(store, "tc-policy");

    tk_store_policy p = {.class_id = cls, .component = comp,
                         .action = TK_STORE_POLICY_INSTALL};
    int64_t first = 0;
    assert_int_equal(tk_store_policy_set(store, &p, "admin", &first, NULL),
                     TK_OK);
    /* Setting the same target again replaces the action in place. */
    p.action = TK_STORE_POLICY_FORBID;
    int64_t second = 0;
    assert_int_equal(tk_store_policy_set(store, &p, "admin", &second, NULL),
                     TK_OK);
    assert_int_equal(second, first);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_policy got;
    assert_int_equal(tk_store_policy_get(store, first, &mem, &got, NULL),
                     TK_OK);
    assert_int_equal(got.action, TK_STORE_POLICY_FORBID);
    assert_int_equal(got.class_id, cls);
    assert_int_equal(got.device_id, 0);

    p.device_id = device;
    assert_int_equal(tk_store_policy_set(store, &p, NULL, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    p.class_id = 0;
    p.device_id = 0;
    assert_int_equal(tk_store_policy_set(store, &p, NULL, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    p.device_id = device;
    p.component = 31337;
    assert_int_equal(tk_store_policy_set(store, &p, NULL, NULL, &detail),
                     TK_ERR_STORE_REFERENCE);
    p.component = comp;
    p.action = (tk_store_policy_action)7;
    assert_int_equal(tk_store_policy_set(store, &p, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    p.action = TK_STORE_POLICY_INSTALL;
    assert_int_equal(tk_store_policy_set(store, &p, NULL, NULL, NULL), TK_OK);

    tk_store_policies list;
    assert_int_equal(tk_store_policy_list(store, device, 0, NULL, &mem, &list,
                                          NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(tk_store_policy_list(store, 0, cls, NULL, &mem, &list,
                                          NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(tk_store_policy_list(store, 0, 0, NULL, &mem, &list,
                                          NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);

    /* A component named by policy cannot be deleted. */
    assert_int_equal(tk_store_component_delete(store, comp, NULL, &detail),
                     TK_ERR_STORE_REFERENCE);
    assert_int_equal(tk_store_policy_delete(store, first, NULL, NULL), TK_OK);
    assert_int_equal(tk_store_policy_delete(store, first, NULL, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static const tk_store_plan_item *plan_find(const tk_store_plan *plan,
                                           int64_t component)
{
    for (size_t i = 0; i < plan->count; i++) {
        if (plan->items[i].component == component)
            return &plan->items[i];
    }
    return NULL;
}

static void plan_computes_steps(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t cls = add_class(store, "plan-class");
    int64_t device = add_device(store, "ueid-plan", cls);
    int64_t a = add_component(store, "tc-a"); /* class: install, outdated */
    int64_t b = add_component(store, "tc-b"); /* device: forbid, installed */
    int64_t c = add_component(store, "tc-c"); /* class install, device forbid */
    int64_t d = add_component(store, "tc-d"); /* device: install, absent */
    int64_t e = add_component(store, "tc-e"); /* class: install, current */
    int64_t f = add_component(store, "tc-f"); /* install, no version */
    int64_t g = add_component(store, "tc-g"); /* forbid, not installed */
    add_version(store, a, 1, "a-1");
    int64_t a3 = add_version(store, a, 3, "a-3");
    add_version(store, a, 2, "a-2");
    add_version(store, b, 1, "b-1");
    add_version(store, c, 1, "c-1");
    int64_t d4 = add_version(store, d, 4, "d-4");
    add_version(store, e, 9, "e-9");
    add_version(store, g, 1, "g-1");
    set_policy(store, 0, cls, a, TK_STORE_POLICY_INSTALL);
    set_policy(store, device, 0, b, TK_STORE_POLICY_FORBID);
    set_policy(store, 0, cls, c, TK_STORE_POLICY_INSTALL);
    set_policy(store, device, 0, c, TK_STORE_POLICY_FORBID);
    set_policy(store, device, 0, d, TK_STORE_POLICY_INSTALL);
    set_policy(store, 0, cls, e, TK_STORE_POLICY_INSTALL);
    set_policy(store, 0, cls, f, TK_STORE_POLICY_INSTALL);
    set_policy(store, device, 0, g, TK_STORE_POLICY_FORBID);

    tk_store_installed report[] = {
        {.component_id = bytes("tc-a"), .sequence = 1, .digest = bytes("a-1")},
        {.component_id = bytes("tc-b"), .sequence = 1, .digest = bytes("b-1")},
        {.component_id = bytes("tc-c"), .sequence = 1, .digest = bytes("c-1")},
        {.component_id = bytes("tc-e"), .sequence = 9, .digest = bytes("e-9")},
        {.component_id = bytes("tc-unmanaged"), .sequence = 1},
    };
    assert_int_equal(tk_store_installed_replace(store, device, report, 5,
                                                NULL),
                     TK_OK);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_plan plan;
    assert_int_equal(tk_store_plan_get(store, device, &mem, &plan, NULL),
                     TK_OK);
    assert_int_equal(plan.count, 4);
    const tk_store_plan_item *item = plan_find(&plan, a);
    assert_non_null(item);
    assert_int_equal(item->action, TK_STORE_PLAN_UPDATE);
    assert_int_equal(item->version_id, a3);
    assert_int_equal(item->sequence, 3);
    assert_true(view_equals(item->digest, "a-3"));
    assert_true(item->installed);
    assert_int_equal(item->installed_sequence, 1);
    assert_true(view_equals(item->installed_digest, "a-1"));
    assert_true(view_equals(item->component_id, "tc-a"));
    item = plan_find(&plan, b);
    assert_non_null(item);
    assert_int_equal(item->action, TK_STORE_PLAN_DELETE);
    assert_int_equal(item->version_id, 0);
    item = plan_find(&plan, c);
    assert_non_null(item);
    assert_int_equal(item->action, TK_STORE_PLAN_DELETE);
    item = plan_find(&plan, d);
    assert_non_null(item);
    assert_int_equal(item->action, TK_STORE_PLAN_INSTALL);
    assert_int_equal(item->version_id, d4);
    assert_false(item->installed);
    assert_null(plan_find(&plan, e));
    assert_null(plan_find(&plan, f));
    assert_null(plan_find(&plan, g));
    /* Items come in component order. */
    assert_int_equal(plan.items[0].component, a);
    assert_int_equal(plan.items[3].component, d);

    /* A device that reports a newer version than the TAM has is never
     * downgraded. */
    tk_store_installed newer = {.device_id = device,
                                .component_id = bytes("tc-a"),
                                .sequence = 8, .digest = bytes("a-8")};
    assert_int_equal(tk_store_installed_set(store, &newer, NULL), TK_OK);
    assert_int_equal(tk_store_plan_get(store, device, &mem, &plan, NULL),
                     TK_OK);
    assert_null(plan_find(&plan, a));
    assert_int_equal(plan.count, 3);

    tk_store_detail detail;
    assert_int_equal(tk_store_plan_get(store, device + 99, &mem, &plan,
                                       &detail),
                     TK_ERR_STORE_NOT_FOUND);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void refvals_for_device(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t cls = add_class(store, "ref-class");
    int64_t device = add_device(store, "ueid-ref", cls);
    int64_t other = add_device(store, "ueid-ref-other", 0);
    tk_store_refval r = {.class_id = cls, .kind = TK_STORE_REF_HWMODEL,
                         .value = bytes("model-x")};
    int64_t class_ref = 0;
    assert_int_equal(tk_store_refval_add(store, &r, "admin", &class_ref,
                                         NULL),
                     TK_OK);
    r.class_id = 0;
    r.device_id = device;
    r.kind = TK_STORE_REF_MEASUREMENT;
    r.label = bytes("tc-a");
    r.value = bytes("sha256-digest");
    assert_int_equal(tk_store_refval_add(store, &r, NULL, NULL, NULL), TK_OK);
    r.device_id = other;
    assert_int_equal(tk_store_refval_add(store, &r, NULL, NULL, NULL), TK_OK);
    r.kind = (tk_store_refval_kind)9;
    assert_int_equal(tk_store_refval_add(store, &r, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    r.kind = TK_STORE_REF_HWVERSION;
    r.value = (tk_view){NULL, 0};
    assert_int_equal(tk_store_refval_add(store, &r, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    r.class_id = cls;
    assert_int_equal(tk_store_refval_add(store, &r, NULL, NULL, &detail),
                     TK_ERR_INVALID_ARG);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_refvals list;
    assert_int_equal(tk_store_refval_for_device(store, device, &mem, &list,
                                                NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].id, class_ref);
    assert_true(view_equals(list.items[0].value, "model-x"));
    assert_int_equal(list.items[1].kind, TK_STORE_REF_MEASUREMENT);
    assert_true(view_equals(list.items[1].label, "tc-a"));
    assert_int_equal(tk_store_refval_for_device(store, other, &mem, &list,
                                                NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(tk_store_refval_for_device(store, 9999, &mem, &list,
                                                &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_refval_list(store, 0, cls, NULL, &mem, &list,
                                          NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    tk_store_refval one;
    assert_int_equal(tk_store_refval_get(store, class_ref, &mem, &one, NULL),
                     TK_OK);
    assert_int_equal(one.class_id, cls);
    assert_int_equal(one.device_id, 0);
    assert_int_equal(one.kind, TK_STORE_REF_HWMODEL);
    assert_int_equal(one.label.len, 0);
    assert_int_equal(tk_store_refval_delete(store, class_ref, NULL, NULL),
                     TK_OK);
    assert_int_equal(tk_store_refval_get(store, class_ref, &mem, &one,
                                         &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_refval_for_device(store, device, &mem, &list,
                                                NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* ---- Sessions and tokens ------------------------------------------------ */

static void token_single_use(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t device = add_device(store, "ueid-token", 0);
    int64_t session = new_session(store, device, "token-0001", "challenge-01",
                                  T0 + 60);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_session s;
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("token-0001"), &mem, &s,
                                            &detail),
                     TK_OK);
    assert_int_equal(s.id, session);
    assert_int_equal(s.device_id, device);
    assert_int_equal(s.state, 1);
    assert_true(view_equals(s.challenge, "challenge-01"));
    assert_true(view_equals(s.context, "ctx"));
    assert_int_equal(s.expires, T0 + 60);

    /* A replayed response carries a used token, and the TAM must ignore
     * every message after the first with the same token
     * (draft-ietf-teep-protocol, QueryRequest token). */
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("token-0001"), &mem, &s,
                                            &detail),
                     TK_ERR_STORE_TOKEN_USED);
    assert_null(strstr(detail.text, "token-0001"));
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("never-issued"), &mem, &s,
                                            &detail),
                     TK_ERR_STORE_TOKEN_UNKNOWN);
    /* A token and a challenge with the same bytes are different values. */
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("challenge-01"), &mem, &s,
                                            NULL),
                     TK_ERR_STORE_TOKEN_UNKNOWN);
    assert_int_equal(tk_store_token_consume(store, TK_STORE_CHALLENGE,
                                            bytes("challenge-01"), &mem, &s,
                                            NULL),
                     TK_OK);
    assert_int_equal(s.id, session);

    /* A token is valid while the clock is below its expiry time. */
    assert_int_equal(tk_store_token_add(store, session, TK_STORE_TOKEN,
                                        bytes("token-0002"), T0 + 100, NULL),
                     TK_OK);
    assert_int_equal(tk_store_token_add(store, session, TK_STORE_TOKEN,
                                        bytes("token-0003"), T0 + 100, NULL),
                     TK_OK);
    test_now = T0 + 99;
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("token-0002"), &mem, &s,
                                            NULL),
                     TK_OK);
    test_now = T0 + 100;
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("token-0003"), &mem, &s,
                                            &detail),
                     TK_ERR_STORE_TOKEN_EXPIRED);
    assert_non_null(strstr(detail.text, "expired"));
    /* An expired token stays expired, and stays unused. */
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("token-0003"), &mem, &s,
                                            NULL),
                     TK_ERR_STORE_TOKEN_EXPIRED);
    char consumed[16];
    backend_query_text("SELECT count(*) FROM tokens WHERE consumed = true",
                       consumed, sizeof consumed);
    assert_string_equal(consumed, "3");
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void token_constraints(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t session = new_session(store, 0, "token-dup1", NULL, T0 + 60);
    tk_store_session s = {.state = 1, .expires = T0 + 60};
    assert_int_equal(tk_store_session_create(store, &s, bytes("token-dup1"),
                                             NULL, &detail),
                     TK_ERR_STORE_DUPLICATE);
    assert_non_null(strstr(detail.text, "already issued"));
    assert_int_equal(tk_store_session_create(store, &s, bytes("short"), NULL,
                                             &detail),
                     TK_ERR_STORE_CONSTRAINT);
    assert_non_null(strstr(detail.text, "5 bytes"));
    char long_token[66];
    memset(long_token, 'L', 65);
    long_token[65] = '\0';
    assert_int_equal(tk_store_token_add(store, session, TK_STORE_TOKEN,
                                        bytes(long_token), T0 + 60, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    /* 65 bytes is a valid challenge, up to 512. */
    assert_int_equal(tk_store_token_add(store, session, TK_STORE_CHALLENGE,
                                        bytes(long_token), T0 + 60, NULL),
                     TK_OK);
    assert_int_equal(tk_store_token_add(store, session + 5, TK_STORE_TOKEN,
                                        bytes("token-orphan"), T0 + 60,
                                        &detail),
                     TK_ERR_STORE_REFERENCE);
    /* A failed create leaves no half session behind. */
    char sessions[16];
    backend_query_text("SELECT count(*) FROM sessions", sessions,
                       sizeof sessions);
    assert_string_equal(sessions, "1");
    tk_store_close(store);
}

static void session_update_checks_state(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t device = add_device(store, "ueid-session", 0);
    int64_t session = new_session(store, 0, "token-s001", NULL, T0 + 60);

    test_now = T0 + 5;
    tk_store_session_change change = {
        .id = session, .expected_state = 1, .state = 2, .device_id = device,
        .set_context = true, .context = bytes("ctx-2"),
        .next_token = bytes("token-s002"),
    };
    assert_int_equal(tk_store_session_update(store, &change, NULL), TK_OK);
    /* Another worker that still expects state 1 loses. */
    assert_int_equal(tk_store_session_update(store, &change, &detail),
                     TK_ERR_STORE_CONFLICT);
    assert_non_null(strstr(detail.text, "state 2"));

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_session s;
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("token-s002"), &mem, &s,
                                            NULL),
                     TK_OK);
    assert_int_equal(s.id, session);
    assert_int_equal(s.state, 2);
    assert_int_equal(s.device_id, device);
    assert_true(view_equals(s.context, "ctx-2"));
    assert_int_equal(s.updated, T0 + 5);
    assert_int_equal(s.created, T0);

    tk_store_session_change keep = {.id = session,
                                    .expected_state = TK_STORE_ANY_STATE,
                                    .state = 3, .expires = T0 + 500};
    assert_int_equal(tk_store_session_update(store, &keep, NULL), TK_OK);
    assert_int_equal(tk_store_session_get(store, session, &mem, &s, NULL),
                     TK_OK);
    assert_int_equal(s.state, 3);
    assert_int_equal(s.device_id, device);
    assert_true(view_equals(s.context, "ctx-2"));
    assert_int_equal(s.expires, T0 + 500);

    keep.id = session + 10;
    assert_int_equal(tk_store_session_update(store, &keep, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    tk_store_sessions list;
    assert_int_equal(tk_store_session_list(store, device, NULL, &mem, &list,
                                           NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void purge_removes_expired(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-purge", 0);
    new_session(store, device, "token-p001", NULL, T0 + 10);
    int64_t kept = new_session(store, device, "token-p002", NULL, T0 + 10);
    new_session(store, device, "token-p003", NULL, T0 + 1000);
    tk_store_report r = {.device_id = device, .session_id = kept,
                         .token = bytes("token-p002"), .report = bytes("r")};
    assert_int_equal(tk_store_report_insert(store, &r, NULL, NULL, NULL),
                     TK_OK);
    tk_store_purged purged;
    assert_int_equal(tk_store_purge(store, T0 + 20, &purged, NULL), TK_OK);
    assert_int_equal(purged.tokens, 2);
    assert_int_equal(purged.sessions, 1);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_session s;
    assert_int_equal(tk_store_session_get(store, kept, &mem, &s, NULL), TK_OK);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* ---- Attestation, installed state, reports ------------------------------ */

static void attestation_with_audit(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t device = add_device(store, "ueid-attest", 0);
    int64_t session = new_session(store, device, "token-a001", NULL, T0 + 60);
    test_now = T0 + 7;
    tk_store_attestation r = {.device_id = device, .session_id = session,
                              .verdict = TK_STORE_VERDICT_AFFIRMING,
                              .claims = "{\"hwmodel\":\"x\"}"};
    tk_store_audit audit = {.actor = "tam", .action = "attestation",
                            .object = "device/1", .detail = "affirming"};
    int64_t id = 0;
    assert_int_equal(tk_store_attestation_record(store, &r, &audit, &id, NULL),
                     TK_OK);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_attestation got;
    assert_int_equal(tk_store_attestation_latest(store, device, &mem, &got,
                                                 NULL),
                     TK_OK);
    assert_int_equal(got.id, id);
    assert_int_equal(got.verdict, TK_STORE_VERDICT_AFFIRMING);
    assert_string_equal(got.claims, "{\"hwmodel\":\"x\"}");
    assert_string_equal(got.reason, "");
    assert_int_equal(got.created, T0 + 7);
    tk_store_device d;
    assert_int_equal(tk_store_device_get(store, device, &mem, &d, NULL),
                     TK_OK);
    assert_int_equal(d.last_seen, T0 + 7);

    /* Both parts or neither: a result for a missing session stores no
     * audit entry either. */
    r.session_id = 5555;
    r.verdict = TK_STORE_VERDICT_CONTRAINDICATED;
    audit.detail = "must not be stored";
    assert_int_equal(tk_store_attestation_record(store, &r, &audit, NULL,
                                                 &detail),
                     TK_ERR_STORE_REFERENCE);
    /* A verdict outside 1..4 fails its CHECK constraint, and the audit
     * entry is rolled back with it. */
    r.session_id = session;
    r.verdict = (tk_store_verdict)0;
    assert_int_equal(tk_store_attestation_record(store, &r, &audit, NULL,
                                                 &detail),
                     TK_ERR_STORE_CONSTRAINT);
    tk_store_audits entries;
    assert_int_equal(tk_store_audit_list(store, "device/1", NULL, &mem,
                                         &entries, NULL),
                     TK_OK);
    assert_int_equal(entries.count, 1);
    assert_string_equal(entries.items[0].detail, "affirming");
    assert_int_equal(entries.items[0].time, T0 + 7);

    /* A result for an unregistered device is stored without a device. */
    tk_store_attestation unknown = {.verdict = TK_STORE_VERDICT_FAILED,
                                    .reason_code = 201,
                                    .reason = "device not registered"};
    assert_int_equal(tk_store_attestation_record(store, &unknown, NULL, NULL,
                                                 NULL),
                     TK_OK);
    tk_store_attestations list;
    assert_int_equal(tk_store_attestation_list(store, 0, NULL, &mem, &list,
                                               NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[1].device_id, 0);
    assert_int_equal(list.items[1].reason_code, 201);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void installed_state(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t device = add_device(store, "ueid-installed", 0);
    tk_store_installed first[] = {
        {.component_id = bytes("tc-1"), .sequence = 1, .digest = bytes("d1")},
        {.component_id = bytes("tc-2"), .sequence = 2, .digest = bytes("d2")},
    };
    assert_int_equal(tk_store_installed_replace(store, device, first, 2, NULL),
                     TK_OK);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_installeds list;
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    assert_true(view_equals(list.items[1].component_id, "tc-2"));
    assert_int_equal(list.items[1].sequence, 2);

    /* A list that names a component twice is rejected as a whole. */
    tk_store_installed twice[] = {
        {.component_id = bytes("tc-3"), .sequence = 1},
        {.component_id = bytes("tc-3"), .sequence = 2},
    };
    assert_int_equal(tk_store_installed_replace(store, device, twice, 2,
                                                &detail),
                     TK_ERR_STORE_DUPLICATE);
    assert_non_null(strstr(detail.text, "entry 1"));
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    assert_true(view_equals(list.items[0].component_id, "tc-1"));

    tk_store_installed update = {.device_id = device,
                                 .component_id = bytes("tc-1"),
                                 .sequence = 7, .digest = bytes("d7")};
    assert_int_equal(tk_store_installed_set(store, &update, NULL), TK_OK);
    assert_int_equal(tk_store_installed_remove(store, device, bytes("tc-2"),
                                               NULL),
                     TK_OK);
    assert_int_equal(tk_store_installed_remove(store, device, bytes("tc-2"),
                                               &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].sequence, 7);
    assert_true(view_equals(list.items[0].digest, "d7"));

    assert_int_equal(tk_store_installed_replace(store, device + 40, first, 2,
                                                &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_installed_replace(store, device, first,
                                                TK_STORE_MAX_INSTALLED + 1,
                                                &detail),
                     TK_ERR_LIMIT);
    assert_int_equal(tk_store_installed_replace(store, device, NULL, 0, NULL),
                     TK_OK);
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 0);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* The installed entries of one component, paged, through the index that
 * migration 3 adds. */
static void installed_by_component(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t devices[5];
    for (size_t i = 0; i < 5; i++) {
        char ueid[32];
        snprintf(ueid, sizeof ueid, "ueid-by-component-%zu", i);
        devices[i] = add_device(store, ueid, 0);
        tk_store_installed items[] = {
            {.component_id = bytes("tc-a"), .sequence = 1 + i % 2,
             .digest = bytes("da")},
            {.component_id = bytes("tc-ab"), .sequence = 9},
        };
        /* Only devices 0, 2 and 4 have tc-ab, whose identifier starts
         * with tc-a's bytes. */
        assert_int_equal(tk_store_installed_replace(store, devices[i], items,
                                                    i % 2 == 0 ? 2 : 1,
                                                    NULL),
                         TK_OK);
    }

    /* Pages of two, in id order, each entry of tc-a once. */
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_installeds list;
    tk_store_page page = {0, 2, false};
    size_t seen = 0;
    int64_t last_id = 0;
    for (int pages = 0; pages < 10; pages++) {
        assert_int_equal(tk_store_installed_by_component(store, bytes("tc-a"),
                                                         &page, &mem, &list,
                                                         &detail),
                         TK_OK);
        assert_true(list.count <= 2);
        for (size_t i = 0; i < list.count; i++) {
            const tk_store_installed *e = &list.items[i];
            assert_true(view_equals(e->component_id, "tc-a"));
            assert_true(e->id > last_id);
            last_id = e->id;
            assert_int_equal(e->device_id, devices[seen]);
            assert_int_equal(e->sequence, 1 + seen % 2);
            assert_true(view_equals(e->digest, "da"));
            seen++;
        }
        if (list.next == 0)
            break;
        assert_int_equal(list.next, last_id);
        page.after = list.next;
    }
    assert_int_equal(seen, 5);

    tk_store_page newest = {0, 10, true};
    assert_int_equal(tk_store_installed_by_component(store, bytes("tc-ab"),
                                                     &newest, &mem, &list,
                                                     NULL),
                     TK_OK);
    assert_int_equal(list.count, 3);
    assert_int_equal(list.next, 0);
    assert_int_equal(list.items[0].device_id, devices[4]);
    assert_int_equal(list.items[2].device_id, devices[0]);
    assert_int_equal(tk_store_installed_by_component(store, bytes("tc-"),
                                                     NULL, &mem, &list, NULL),
                     TK_OK);
    assert_int_equal(list.count, 0);
    assert_int_equal(list.next, 0);

    /* Removing a device removes its entries from the list. */
    assert_int_equal(tk_store_device_delete(store, devices[0], "test", NULL),
                     TK_OK);
    assert_int_equal(tk_store_installed_by_component(store, bytes("tc-ab"),
                                                     NULL, &mem, &list, NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);

    assert_int_equal(tk_store_installed_by_component(store, bytes(""), NULL,
                                                     &mem, &list, &detail),
                     TK_ERR_INVALID_ARG);
    assert_non_null(strstr(detail.text, "installed_by_component"));
    assert_int_equal(tk_store_installed_by_component(store, bytes("tc-a"),
                                                     NULL, NULL, &list,
                                                     &detail),
                     TK_ERR_INVALID_ARG);
    tk_store_page huge = {0, TK_STORE_MAX_PAGE + 1, false};
    assert_int_equal(tk_store_installed_by_component(store, bytes("tc-a"),
                                                     &huge, &mem, &list,
                                                     &detail),
                     TK_ERR_LIMIT);

    char found[32];
    backend_query_text(backend_is_pg()
                           ? "SELECT count(*) FROM pg_indexes WHERE "
                             "schemaname = current_schema() AND "
                             "indexname = 'installed_component'"
                           : "SELECT count(*) FROM sqlite_master WHERE "
                             "type = 'index' AND "
                             "name = 'installed_component'",
                       found, sizeof found);
    assert_string_equal(found, "1");
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void reports_stored_once(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t device = add_device(store, "ueid-report", 0);
    int64_t session = new_session(store, device, "token-r001", NULL, T0 + 60);
    tk_store_report r = {.device_id = device, .session_id = session,
                         .token = bytes("token-r001"), .item = 0,
                         .result = 0, .report = bytes("suit-report-0")};
    int64_t id = 0;
    bool inserted = false;
    assert_int_equal(tk_store_report_insert(store, &r, &id, &inserted, NULL),
                     TK_OK);
    assert_true(inserted);
    int64_t again = 0;
    assert_int_equal(tk_store_report_insert(store, &r, &again, &inserted,
                                            NULL),
                     TK_OK);
    assert_false(inserted);
    assert_int_equal(again, id);

    tk_store_report changed = r;
    changed.report = bytes("suit-report-X");
    assert_int_equal(tk_store_report_insert(store, &changed, NULL, NULL,
                                            &detail),
                     TK_ERR_STORE_CONFLICT);
    assert_null(strstr(detail.text, "suit-report"));
    changed = r;
    changed.result = 17;
    assert_int_equal(tk_store_report_insert(store, &changed, NULL, NULL,
                                            &detail),
                     TK_ERR_STORE_CONFLICT);

    tk_store_report second = r;
    second.item = 1;
    second.result = 17;
    assert_int_equal(tk_store_report_insert(store, &second, NULL, &inserted,
                                            NULL),
                     TK_OK);
    assert_true(inserted);
    tk_store_report no_token = r;
    no_token.token = (tk_view){NULL, 0};
    assert_int_equal(tk_store_report_insert(store, &no_token, NULL, &inserted,
                                            NULL),
                     TK_OK);
    assert_true(inserted);
    assert_int_equal(tk_store_report_insert(store, &no_token, NULL, &inserted,
                                            NULL),
                     TK_OK);
    assert_false(inserted);
    tk_store_report missing = r;
    missing.session_id = session + 3;
    assert_int_equal(tk_store_report_insert(store, &missing, NULL, NULL,
                                            &detail),
                     TK_ERR_STORE_REFERENCE);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_reports list;
    assert_int_equal(tk_store_report_list(store, device, session, NULL, &mem,
                                          &list, NULL),
                     TK_OK);
    assert_int_equal(list.count, 3);
    assert_true(view_equals(list.items[0].report, "suit-report-0"));
    tk_store_report got;
    assert_int_equal(tk_store_report_get(store, id, &mem, &got, NULL), TK_OK);
    assert_true(view_equals(got.token, "token-r001"));
    assert_int_equal(got.item, 0);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* ---- Exchanges: one transaction per TEEP message ------------------------ */

/* Number of rows that a COUNT query returns, read outside the store. */
static int count_of(const char *sql)
{
    char text[32];
    backend_query_text(sql, text, sizeof text);
    return atoi(text);
}

static void token_check_reads_only(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    int64_t device = add_device(store, "ueid-check", 0);
    int64_t session = new_session(store, device, "check-0001", NULL, T0 + 60);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_session s;
    for (int i = 0; i < 2; i++) {
        memset(&s, 0, sizeof s);
        assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                              bytes("check-0001"), &mem, &s,
                                              &detail),
                         TK_OK);
        assert_int_equal(s.id, session);
        assert_int_equal(s.device_id, device);
        assert_int_equal(s.state, 1);
        assert_true(view_equals(s.context, "ctx"));
        assert_int_equal(s.expires, T0 + 60);
    }
    assert_int_equal(count_of("SELECT count(*) FROM tokens "
                              "WHERE consumed = true"),
                     0);
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("never-issued"), &mem, &s,
                                          &detail),
                     TK_ERR_STORE_TOKEN_UNKNOWN);
    assert_null(strstr(detail.text, "never-issued"));
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("check-0001"), &mem, &s,
                                            NULL),
                     TK_OK);
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("check-0001"), &mem, &s,
                                          &detail),
                     TK_ERR_STORE_TOKEN_USED);
    assert_int_equal(tk_store_token_add(store, session, TK_STORE_TOKEN,
                                        bytes("check-0002"), T0 + 10, NULL),
                     TK_OK);
    test_now = T0 + 10;
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("check-0002"), &mem, &s,
                                          &detail),
                     TK_ERR_STORE_TOKEN_EXPIRED);
    assert_non_null(strstr(detail.text, "token_check: "));
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* The reads a TAM makes per message, each from one snapshot: the agent key
 * with its device, and the device's keys with its reference values. */
static void combined_reads(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t cls = add_class(store, "combined-class");
    int64_t device = add_device(store, "ueid-combined", cls);
    int64_t other = add_device(store, "ueid-other", 0);
    tk_store_key agent = {.device_id = device, .use = TK_STORE_KEY_AGENT,
                          .kid = bytes("kid-agent"), .alg = -9,
                          .cose_key = bytes("cose-agent")};
    tk_store_key attest = {.device_id = device,
                           .use = TK_STORE_KEY_ATTESTATION,
                           .kid = bytes("kid-attest"), .alg = -7,
                           .cose_key = bytes("cose-attest")};
    tk_store_key foreign = {.device_id = other, .use = TK_STORE_KEY_AGENT,
                            .kid = bytes("kid-foreign"),
                            .cose_key = bytes("cose-foreign")};
    int64_t agent_id = 0;
    assert_int_equal(tk_store_key_add(store, &agent, NULL, &agent_id, NULL),
                     TK_OK);
    assert_int_equal(tk_store_key_add(store, &attest, NULL, NULL, NULL),
                     TK_OK);
    assert_int_equal(tk_store_key_add(store, &foreign, NULL, NULL, NULL),
                     TK_OK);
    tk_store_refval own = {.device_id = device, .kind = TK_STORE_REF_HWMODEL,
                           .value = bytes("model")};
    tk_store_refval shared = {.class_id = cls,
                              .kind = TK_STORE_REF_HWVERSION,
                              .value = bytes("1.0")};
    assert_int_equal(tk_store_refval_add(store, &own, NULL, NULL, NULL),
                     TK_OK);
    assert_int_equal(tk_store_refval_add(store, &shared, NULL, NULL, NULL),
                     TK_OK);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_key key;
    tk_store_device d;
    tk_store_detail detail;
    assert_int_equal(tk_store_key_find_device(store, TK_STORE_KEY_AGENT,
                                              bytes("kid-agent"), &mem, &key,
                                              &d, &detail),
                     TK_OK);
    assert_int_equal(key.id, agent_id);
    assert_int_equal(key.alg, -9);
    assert_true(view_equals(key.cose_key, "cose-agent"));
    assert_int_equal(d.id, device);
    assert_int_equal(d.class_id, cls);
    assert_true(view_equals(d.ueid, "ueid-combined"));
    /* The kid of an attestation key is not an agent kid. */
    assert_int_equal(tk_store_key_find_device(store, TK_STORE_KEY_AGENT,
                                              bytes("kid-attest"), &mem, &key,
                                              &d, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_non_null(strstr(detail.text, "key_find_device: "));

    tk_store_keys keys;
    tk_store_refvals refvals;
    assert_int_equal(tk_store_device_references(store, device, &mem, &keys,
                                                &refvals, &detail),
                     TK_OK);
    assert_int_equal(keys.count, 2);
    assert_true(view_equals(keys.items[0].kid, "kid-agent"));
    assert_int_equal(keys.items[1].use, TK_STORE_KEY_ATTESTATION);
    assert_true(view_equals(keys.items[1].cose_key, "cose-attest"));
    assert_int_equal(refvals.count, 2);
    assert_true(view_equals(refvals.items[0].value, "model"));
    assert_int_equal(refvals.items[1].class_id, cls);
    assert_int_equal(tk_store_device_references(store, other, &mem, &keys,
                                                &refvals, NULL),
                     TK_OK);
    assert_int_equal(keys.count, 1);
    assert_int_equal(refvals.count, 0);
    assert_int_equal(tk_store_device_references(store, device + 99, &mem,
                                                &keys, &refvals, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_device_references(store, device, &mem, NULL,
                                                &refvals, &detail),
                     TK_ERR_INVALID_ARG);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* The QueryResponse of a pending device: its token, the attestation
 * result, the reported installed state, an audit entry and the session of
 * the Update with its new token, in one transaction. */
static void exchange_query_response(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_device pending = {.ueid = bytes("ueid-exchange"),
                               .state = TK_STORE_DEVICE_PENDING};
    int64_t device = 0;
    assert_int_equal(tk_store_device_add(store, &pending, NULL, &device, NULL),
                     TK_OK);
    int64_t session = new_session(store, device, "qreq-token", NULL,
                                  T0 + 600);
    tk_store_installed old = {.component_id = bytes("tc-old"), .sequence = 1};
    assert_int_equal(tk_store_installed_replace(store, device, &old, 1, NULL),
                     TK_OK);
    test_now = T0 + 5;

    tk_store_attestation result = {.device_id = device, .session_id = session,
                                   .verdict = TK_STORE_VERDICT_AFFIRMING,
                                   .claims = "{\"ueid\":\"01\"}"};
    tk_store_installed reported[] = {
        {.component_id = bytes("tc-a"), .sequence = 4, .digest = bytes("a-4")},
        {.component_id = bytes("tc-b"), .sequence = 7},
    };
    tk_store_audit audit = {.actor = "tam", .action = "attestation.warning",
                            .object = "device/1", .detail = "checked"};
    tk_store_session_change update = {
        .id = session, .expected_state = 1, .state = 3, .set_context = true,
        .context = bytes("update-context"), .expires = T0 + 900,
        .next_token = bytes("update-token")};
    tk_store_exchange x = {
        .token = bytes("qreq-token"), .session_id = session,
        .device_id = device, .activate_device = true, .actor = "tam",
        .attestation = &result, .replace_installed = true,
        .installed = reported, .installed_count = 2, .audit = &audit,
        .audit_count = 1, .update = &update};
    tk_store_exchange_result out;
    tk_store_detail detail;
    tk_err err = tk_store_exchange_record(store, &x, &out, &detail);
    if (err != TK_OK)
        fprintf(stderr, "exchange: %s\n", detail.text);
    assert_int_equal(err, TK_OK);
    assert_int_equal(out.session_id, session);
    assert_int_equal(out.created_session, 0);
    assert_true(out.attestation_id > 0);
    assert_int_equal(out.reports_inserted, 0);
    assert_true(out.activated);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    assert_int_equal(tk_store_device_get(store, device, &mem, &d, NULL),
                     TK_OK);
    assert_int_equal(d.state, TK_STORE_DEVICE_ACTIVE);
    assert_int_equal(d.last_seen, T0 + 5);
    tk_store_attestation at;
    assert_int_equal(tk_store_attestation_latest(store, device, &mem, &at,
                                                 NULL),
                     TK_OK);
    assert_int_equal(at.id, out.attestation_id);
    assert_int_equal(at.verdict, TK_STORE_VERDICT_AFFIRMING);
    assert_string_equal(at.claims, "{\"ueid\":\"01\"}");
    tk_store_installeds list;
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    assert_true(view_equals(list.items[0].component_id, "tc-a"));
    assert_true(view_equals(list.items[0].digest, "a-4"));
    assert_int_equal(list.items[1].sequence, 7);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log "
                              "WHERE action = 'attestation.warning'"),
                     1);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log "
                              "WHERE action = 'device.update' "
                              "AND actor = 'tam'"),
                     1);
    tk_store_session s;
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("update-token"), &mem, &s,
                                          NULL),
                     TK_OK);
    assert_int_equal(s.id, session);
    assert_int_equal(s.state, 3);
    assert_true(view_equals(s.context, "update-context"));
    assert_int_equal(s.expires, T0 + 900);
    assert_int_equal(s.updated, T0 + 5);

    /* The same message again: its token is used, and nothing changes. */
    update.next_token = bytes("update-token-2");
    assert_int_equal(tk_store_exchange_record(store, &x, &out, &detail),
                     TK_ERR_STORE_TOKEN_USED);
    assert_non_null(strstr(detail.text, "exchange: "));
    assert_int_equal(count_of("SELECT count(*) FROM attestation_results"), 1);
    assert_int_equal(count_of("SELECT count(*) FROM tokens"), 2);
    /* An active device is not activated again. */
    tk_store_session_change next = {.id = session,
                                    .expected_state = TK_STORE_ANY_STATE,
                                    .state = 4};
    tk_store_exchange again = {.token = bytes("update-token"),
                               .device_id = device, .activate_device = true,
                               .actor = "tam", .update = &next};
    assert_int_equal(tk_store_exchange_record(store, &again, &out, NULL),
                     TK_OK);
    assert_false(out.activated);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log "
                              "WHERE action = 'device.update'"),
                     1);
    /* The Update's token expired with the session's new expiry. */
    assert_int_equal(count_of("SELECT count(*) FROM tokens "
                              "WHERE expires = 1700000900"),
                     1);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* A Success: its token, the reports, the installed entries the Update
 * changed, and an audit entry. */
static void exchange_success(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-success", 0);
    int64_t session = new_session(store, device, "update-token", NULL,
                                  T0 + 600);
    tk_store_installed before[] = {
        {.component_id = bytes("tc-gone"), .sequence = 2},
        {.component_id = bytes("tc-a"), .sequence = 1},
    };
    assert_int_equal(tk_store_installed_replace(store, device, before, 2,
                                                NULL),
                     TK_OK);
    tk_store_report reports[] = {
        {.device_id = device, .session_id = session,
         .token = bytes("update-token"), .item = 0, .result = 0,
         .report = bytes("report-0")},
        {.device_id = device, .session_id = session,
         .token = bytes("update-token"), .item = 1, .result = 5,
         .report = bytes("report-1")},
    };
    tk_store_installed set = {.component_id = bytes("tc-a"), .sequence = 3,
                              .digest = bytes("a-3")};
    tk_view remove[] = {bytes("tc-gone"), bytes("tc-never-there")};
    tk_store_audit audit = {.actor = "tam", .action = "update.success",
                            .object = "device/1"};
    tk_store_exchange x = {
        .token = bytes("update-token"), .session_id = session,
        .device_id = device, .reports = reports, .report_count = 2,
        .installed_set = &set, .installed_set_count = 1,
        .installed_remove = remove, .installed_remove_count = 2,
        .audit = &audit, .audit_count = 1};
    tk_store_exchange_result out;
    assert_int_equal(tk_store_exchange_record(store, &x, &out, NULL), TK_OK);
    assert_int_equal(out.session_id, session);
    assert_int_equal(out.reports_inserted, 2);
    assert_int_equal(out.attestation_id, 0);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_installeds list;
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    assert_true(view_equals(list.items[0].component_id, "tc-a"));
    assert_int_equal(list.items[0].sequence, 3);
    assert_true(view_equals(list.items[0].digest, "a-3"));
    tk_store_reports stored;
    assert_int_equal(tk_store_report_list(store, device, session, NULL, &mem,
                                          &stored, NULL),
                     TK_OK);
    assert_int_equal(stored.count, 2);
    assert_int_equal(stored.items[1].result, 5);
    assert_true(view_equals(stored.items[1].report, "report-1"));
    assert_int_equal(count_of("SELECT count(*) FROM audit_log "
                              "WHERE action = 'update.success'"),
                     1);

    /* A replayed Success changes nothing. */
    tk_store_detail detail;
    assert_int_equal(tk_store_exchange_record(store, &x, &out, &detail),
                     TK_ERR_STORE_TOKEN_USED);
    assert_int_equal(count_of("SELECT count(*) FROM reports"), 2);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log"), 1);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* An exchange fails as a whole: a part that violates a constraint leaves
 * the token unused and stores none of the other parts. */
static void exchange_all_or_nothing(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-atomic", 0);
    int64_t session = new_session(store, device, "atomic-token", NULL,
                                  T0 + 600);
    tk_store_installed old = {.component_id = bytes("tc-old"), .sequence = 1};
    assert_int_equal(tk_store_installed_replace(store, device, &old, 1, NULL),
                     TK_OK);
    tk_store_attestation result = {.device_id = device, .session_id = session,
                                   .verdict = TK_STORE_VERDICT_FAILED};
    tk_store_installed twice[] = {
        {.component_id = bytes("tc-x"), .sequence = 1},
        {.component_id = bytes("tc-x"), .sequence = 2},
    };
    tk_store_audit audit = {.actor = "tam", .action = "attestation.failed"};
    tk_store_exchange x = {
        .token = bytes("atomic-token"), .session_id = session,
        .device_id = device, .attestation = &result,
        .replace_installed = true, .installed = twice, .installed_count = 2,
        .audit = &audit, .audit_count = 1};
    tk_store_detail detail;
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_STORE_DUPLICATE);
    assert_non_null(strstr(detail.text, "entry 1"));
    /* A report larger than the schema allows (65536 bytes). */
    size_t big_len = 65537;
    uint8_t *big = calloc(1, big_len);
    assert_non_null(big);
    tk_store_report report = {.device_id = device, .session_id = session,
                              .token = bytes("atomic-token"),
                              .report = {big, big_len}};
    x.installed_count = 1;
    x.reports = &report;
    x.report_count = 1;
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    free(big);
    /* A new token that was issued before. */
    tk_store_exchange start = {.create = &(tk_store_session){
                                   .device_id = device, .state = 1,
                                   .expires = T0 + 600},
                               .create_token = bytes("atomic-token")};
    assert_int_equal(tk_store_exchange_record(store, &start, NULL, &detail),
                     TK_ERR_STORE_DUPLICATE);

    assert_int_equal(count_of("SELECT count(*) FROM tokens "
                              "WHERE consumed = true"),
                     0);
    assert_int_equal(count_of("SELECT count(*) FROM attestation_results"), 0);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log"), 0);
    assert_int_equal(count_of("SELECT count(*) FROM reports"), 0);
    assert_int_equal(count_of("SELECT count(*) FROM sessions"), 1);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_installeds list;
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    assert_true(view_equals(list.items[0].component_id, "tc-old"));

    /* A token of another session is refused, and stays unused. */
    int64_t other = new_session(store, device, "other-token", NULL, T0 + 600);
    tk_store_exchange wrong = {.token = bytes("other-token"),
                               .session_id = session};
    assert_int_equal(tk_store_exchange_record(store, &wrong, NULL, &detail),
                     TK_ERR_STORE_CONFLICT);
    assert_non_null(strstr(detail.text, "session"));
    tk_store_session s;
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("other-token"), &mem, &s,
                                          NULL),
                     TK_OK);
    assert_int_equal(s.id, other);
    /* An unknown device stops the exchange before its token. */
    tk_store_exchange ghost = {.token = bytes("other-token"),
                               .device_id = device + 99};
    assert_int_equal(tk_store_exchange_record(store, &ghost, NULL, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("other-token"), &mem, &s,
                                          NULL),
                     TK_OK);
    /* Expired and unknown tokens give the errors of token_consume. */
    test_now = T0 + 600;
    wrong.session_id = 0;
    assert_int_equal(tk_store_exchange_record(store, &wrong, NULL, &detail),
                     TK_ERR_STORE_TOKEN_EXPIRED);
    wrong.token = bytes("never-issued");
    assert_int_equal(tk_store_exchange_record(store, &wrong, NULL, &detail),
                     TK_ERR_STORE_TOKEN_UNKNOWN);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* The empty POST that starts an exchange: a new session and its token. */
static void exchange_creates_session(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_session fresh = {.state = 1, .context = bytes("qreq-context"),
                              .expires = T0 + 300};
    tk_store_exchange x = {.create = &fresh,
                           .create_token = bytes("first-token")};
    tk_store_exchange_result out;
    assert_int_equal(tk_store_exchange_record(store, &x, &out, NULL), TK_OK);
    assert_true(out.created_session > 0);
    assert_int_equal(out.session_id, 0);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_session s;
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("first-token"), &mem, &s,
                                          NULL),
                     TK_OK);
    assert_int_equal(s.id, out.created_session);
    assert_int_equal(s.device_id, 0);
    assert_true(view_equals(s.context, "qreq-context"));
    tk_store_mem_free(&mem);

    tk_store_op_stats stats;
    tk_store_op_stats_get(store, TK_STORE_OP_EXCHANGE, &stats);
    assert_int_equal(stats.calls, 1);
    assert_int_equal(stats.errors, 0);
    assert_string_equal(tk_store_op_name(TK_STORE_OP_EXCHANGE), "exchange");
    tk_store_close(store);
}

/* A 32-byte digest of a self-authenticating token, made of c. */
static tk_view digest_of(uint8_t buf[TK_STORE_DIGEST_LEN], uint8_t c)
{
    memset(buf, c, TK_STORE_DIGEST_LEN);
    return (tk_view){buf, TK_STORE_DIGEST_LEN};
}

/* A QueryResponse that carried a self-authenticating token: the token's
 * digest is recorded as used with the attestation result and the new
 * session of the Update, which the result then names. */
static void exchange_used_token(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-used", 0);
    uint8_t buf[TK_STORE_DIGEST_LEN];
    tk_store_attestation result = {.device_id = device,
                                   .verdict = TK_STORE_VERDICT_AFFIRMING};
    tk_store_session fresh = {.device_id = device, .state = 3,
                              .context = bytes("update-context"),
                              .expires = T0 + 900};
    tk_store_exchange x = {
        .used_digest = digest_of(buf, 0x11), .used_expires = T0 + 600,
        .device_id = device, .actor = "tam", .attestation = &result,
        .create = &fresh, .create_token = bytes("update-token-1")};
    tk_store_exchange_result out;
    tk_store_detail detail;
    assert_int_equal(tk_store_exchange_record(store, &x, &out, &detail),
                     TK_OK);
    assert_int_equal(out.session_id, 0);
    assert_true(out.created_session > 0);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_attestation at;
    assert_int_equal(tk_store_attestation_latest(store, device, &mem, &at,
                                                 NULL),
                     TK_OK);
    assert_int_equal(at.session_id, out.created_session);
    assert_int_equal(count_of("SELECT count(*) FROM used_tokens "
                              "WHERE expires = 1700000600"),
                     1);

    /* The same token again: used, and nothing of the message is stored. */
    x.create_token = bytes("update-token-2");
    assert_int_equal(tk_store_exchange_record(store, &x, &out, &detail),
                     TK_ERR_STORE_TOKEN_USED);
    assert_non_null(strstr(detail.text, "already used"));
    assert_int_equal(count_of("SELECT count(*) FROM attestation_results"), 1);
    assert_int_equal(count_of("SELECT count(*) FROM sessions"), 1);
    assert_int_equal(count_of("SELECT count(*) FROM tokens"), 1);

    /* A token whose expiry has come is rejected by that expiry alone. */
    tk_store_exchange late = {.used_digest = digest_of(buf, 0x22),
                              .used_expires = T0, .device_id = device,
                              .attestation = &result};
    assert_int_equal(tk_store_exchange_record(store, &late, &out, &detail),
                     TK_ERR_STORE_TOKEN_EXPIRED);
    assert_non_null(strstr(detail.text, "expired"));
    assert_int_equal(count_of("SELECT count(*) FROM used_tokens"), 1);
    assert_int_equal(count_of("SELECT count(*) FROM attestation_results"), 1);

    /* A purge drops the entry once it has expired; a replay then fails on
     * the expiry. */
    test_now = T0 + 700;
    tk_store_purged purged;
    assert_int_equal(tk_store_purge(store, T0 + 650, &purged, NULL), TK_OK);
    assert_int_equal(purged.used_tokens, 1);
    assert_int_equal(count_of("SELECT count(*) FROM used_tokens"), 0);
    x.create_token = bytes("update-token-3");
    assert_int_equal(tk_store_exchange_record(store, &x, &out, NULL),
                     TK_ERR_STORE_TOKEN_EXPIRED);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* A used digest must be a SHA-256 digest and comes instead of a token. */
static void exchange_rejects_bad_digest(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-digest", 0);
    uint8_t buf[TK_STORE_DIGEST_LEN];
    tk_store_detail detail;
    tk_store_exchange x = {.used_digest = {buf, 31}, .used_expires = T0 + 60,
                           .device_id = device};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    assert_non_null(strstr(detail.text, "32 bytes"));
    x.used_digest = digest_of(buf, 0x33);
    x.token = bytes("a-stored-token");
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    assert_non_null(strstr(detail.text, "both token and used_digest"));
    x.used_digest = (tk_view){NULL, TK_STORE_DIGEST_LEN};
    x.token = (tk_view){NULL, 0};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(count_of("SELECT count(*) FROM used_tokens"), 0);
    tk_store_close(store);
}

/* Every worker of a database gets the secret stored first. */
static void secret_shared_by_workers(void **state)
{
    (void)state;
    tk_store *first = open_store();
    tk_store *second = open_store();
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_view got = {NULL, 0};
    tk_store_detail detail;
    assert_int_equal(tk_store_secret(first, "token-key",
                                     bytes("candidate-one-0123456789"), &mem,
                                     &got, &detail),
                     TK_OK);
    assert_true(view_equals(got, "candidate-one-0123456789"));
    assert_int_equal(tk_store_secret(second, "token-key",
                                     bytes("candidate-two-0123456789"), &mem,
                                     &got, &detail),
                     TK_OK);
    assert_true(view_equals(got, "candidate-one-0123456789"));
    assert_int_equal(tk_store_secret(second, "other-key",
                                     bytes("candidate-two-0123456789"), &mem,
                                     &got, &detail),
                     TK_OK);
    assert_true(view_equals(got, "candidate-two-0123456789"));
    assert_int_equal(count_of("SELECT count(*) FROM secrets"), 2);

    assert_int_equal(tk_store_secret(first, "", bytes("candidate-0123456789"),
                                     &mem, &got, &detail),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_store_secret(first, "short", bytes("only-15-bytes!!"),
                                     &mem, &got, &detail),
                     TK_ERR_INVALID_ARG);
    char big[66];
    memset(big, 'k', 65);
    big[65] = '\0';
    assert_int_equal(tk_store_secret(first, "long", bytes(big), &mem, &got,
                                     &detail),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_store_secret(first, big, bytes("candidate-0123456789"),
                                     &mem, &got, &detail),
                     TK_ERR_INVALID_ARG);
    assert_null(strstr(detail.text, "0123456789"));
    assert_int_equal(count_of("SELECT count(*) FROM secrets"), 2);
    tk_store_mem_free(&mem);
    tk_store_close(second);
    tk_store_close(first);
}

/* A device's keys, reference values and installed state in one read. */
static void device_context_reads(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t cls = add_class(store, "context-class");
    int64_t device = add_device(store, "ueid-context", cls);
    int64_t lone = add_device(store, "ueid-lone", 0);
    tk_store_key attest = {.device_id = device,
                           .use = TK_STORE_KEY_ATTESTATION,
                           .kid = bytes("kid-context"), .alg = -9,
                           .cose_key = bytes("cose-context")};
    assert_int_equal(tk_store_key_add(store, &attest, NULL, NULL, NULL),
                     TK_OK);
    /* The class's value is added first, so its id is the lower one. */
    tk_store_refval shared = {.class_id = cls, .kind = TK_STORE_REF_OEMID,
                              .value = bytes("oem")};
    tk_store_refval own = {.device_id = device, .kind = TK_STORE_REF_HWMODEL,
                           .value = bytes("model")};
    assert_int_equal(tk_store_refval_add(store, &shared, NULL, NULL, NULL),
                     TK_OK);
    assert_int_equal(tk_store_refval_add(store, &own, NULL, NULL, NULL),
                     TK_OK);
    tk_store_installed items[] = {
        {.component_id = bytes("tc-1"), .sequence = 3, .digest = bytes("d1")},
        {.component_id = bytes("tc-2"), .sequence = 5},
    };
    assert_int_equal(tk_store_installed_replace(store, device, items, 2,
                                                NULL),
                     TK_OK);

    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device_context dc;
    tk_store_detail detail;
    assert_int_equal(tk_store_device_context_get(store, device, &mem, &dc,
                                                 &detail),
                     TK_OK);
    assert_int_equal(dc.keys.count, 1);
    assert_true(view_equals(dc.keys.items[0].kid, "kid-context"));
    assert_int_equal(dc.refvals.count, 2);
    assert_true(view_equals(dc.refvals.items[0].value, "model"));
    assert_int_equal(dc.refvals.items[1].class_id, cls);
    assert_true(view_equals(dc.refvals.items[1].value, "oem"));
    assert_int_equal(dc.installed.count, 2);
    uint64_t sum = 0;
    for (size_t i = 0; i < dc.installed.count; i++) {
        assert_int_equal(dc.installed.items[i].device_id, device);
        sum += dc.installed.items[i].sequence;
    }
    assert_int_equal(sum, 8);

    assert_int_equal(tk_store_device_context_get(store, lone, &mem, &dc,
                                                 NULL),
                     TK_OK);
    assert_int_equal(dc.keys.count, 0);
    assert_int_equal(dc.refvals.count, 0);
    assert_int_equal(dc.installed.count, 0);
    assert_int_equal(tk_store_device_context_get(store, device + 99, &mem,
                                                 &dc, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_non_null(strstr(detail.text, "device_context: "));
    assert_int_equal(tk_store_device_context_get(store, device, &mem, NULL,
                                                 &detail),
                     TK_ERR_INVALID_ARG);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void exchange_rejects_bad_arguments(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    assert_int_equal(tk_store_exchange_record(store, NULL, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    tk_store_exchange x = {.report_count = 1};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    assert_non_null(strstr(detail.text, "a list is NULL"));
    tk_store_session_change update = {.id = 1};
    tk_store_session create = {.state = 1};
    x = (tk_store_exchange){.update = &update, .create = &create};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    assert_non_null(strstr(detail.text, "both update and create"));
    x = (tk_store_exchange){.token = {NULL, 4}};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    tk_store_installed huge = {.component_id = bytes("tc"),
                               .sequence = (uint64_t)INT64_MAX + 1};
    x = (tk_store_exchange){.installed_set = &huge, .installed_set_count = 1};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    tk_store_audit nameless = {.actor = "tam"};
    x = (tk_store_exchange){.audit = &nameless, .audit_count = 1};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    /* Counts are checked against their limits before any entry is read,
     * so a count beyond the array is never dereferenced. */
    tk_store_report one = {.report = bytes("r")};
    x = (tk_store_exchange){.reports = &one,
                            .report_count = TK_STORE_MAX_EXCHANGE_ITEMS + 1};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_LIMIT);
    assert_non_null(strstr(detail.text, "reports"));
    tk_store_installed entry = {.component_id = bytes("tc")};
    x = (tk_store_exchange){.installed = &entry,
                            .installed_count = TK_STORE_MAX_INSTALLED + 1};
    assert_int_equal(tk_store_exchange_record(store, &x, NULL, &detail),
                     TK_ERR_LIMIT);
    tk_store_op_stats stats;
    tk_store_op_stats_get(store, TK_STORE_OP_EXCHANGE, &stats);
    assert_int_equal(stats.calls, 8);
    assert_int_equal(stats.errors, 8);
    tk_store_close(store);
}

/* plan_for decides against the installed state it is given, as plan_get
 * does against the stored one. */
static void plan_for_given_state(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-plan-for", 0);
    int64_t a = add_component(store, "tc-a");
    int64_t b = add_component(store, "tc-b");
    int64_t c = add_component(store, "tc-c");
    add_version(store, a, 1, "a-1");
    int64_t a2 = add_version(store, a, 2, "a-2");
    int64_t b5 = add_version(store, b, 5, "b-5");
    add_version(store, c, 1, "c-1");
    set_policy(store, device, 0, a, TK_STORE_POLICY_INSTALL);
    set_policy(store, device, 0, b, TK_STORE_POLICY_INSTALL);
    set_policy(store, device, 0, c, TK_STORE_POLICY_FORBID);
    /* The store believes the device has everything current. */
    tk_store_installed stored[] = {
        {.component_id = bytes("tc-a"), .sequence = 2},
        {.component_id = bytes("tc-b"), .sequence = 5},
    };
    assert_int_equal(tk_store_installed_replace(store, device, stored, 2,
                                                NULL),
                     TK_OK);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_plan plan;
    assert_int_equal(tk_store_plan_get(store, device, &mem, &plan, NULL),
                     TK_OK);
    assert_int_equal(plan.count, 0);

    /* The device now reports an old tc-a, no tc-b and a forbidden tc-c. */
    tk_store_installed reported[] = {
        {.component_id = bytes("tc-a"), .sequence = 1,
         .digest = bytes("a-1")},
        {.component_id = bytes("tc-c"), .sequence = 1},
    };
    assert_int_equal(tk_store_plan_for(store, device, reported, 2, 0, &mem,
                                       &plan, NULL),
                     TK_OK);
    assert_int_equal(plan.count, 3);
    const tk_store_plan_item *item = plan_find(&plan, a);
    assert_non_null(item);
    assert_int_equal(item->action, TK_STORE_PLAN_UPDATE);
    assert_int_equal(item->version_id, a2);
    assert_int_equal(item->sequence, 2);
    assert_true(view_equals(item->digest, "a-2"));
    assert_true(item->installed);
    assert_int_equal(item->installed_sequence, 1);
    assert_true(view_equals(item->installed_digest, "a-1"));
    assert_true(view_equals(item->component_id, "tc-a"));
    item = plan_find(&plan, b);
    assert_non_null(item);
    assert_int_equal(item->action, TK_STORE_PLAN_INSTALL);
    assert_int_equal(item->version_id, b5);
    assert_false(item->installed);
    item = plan_find(&plan, c);
    assert_non_null(item);
    assert_int_equal(item->action, TK_STORE_PLAN_DELETE);
    assert_int_equal(item->version_id, 0);
    /* Without envelope_max no envelope is loaded, but the sizes are
     * there (add_version stores 14 bytes). */
    item = plan_find(&plan, a);
    assert_int_equal(item->size, 14);
    assert_int_equal(item->envelope.len, 0);
    assert_int_equal(tk_store_plan_for(store, device, reported, 2, 14, &mem,
                                       &plan, NULL),
                     TK_OK);
    item = plan_find(&plan, a);
    assert_true(view_equals(item->envelope, "envelope bytes"));
    item = plan_find(&plan, c);
    assert_int_equal(item->envelope.len, 0);
    assert_int_equal(tk_store_plan_for(store, device, reported, 2, 13, &mem,
                                       &plan, NULL),
                     TK_OK);
    assert_int_equal(plan_find(&plan, b)->envelope.len, 0);
    /* Nothing was written. */
    assert_int_equal(tk_store_plan_get(store, device, &mem, &plan, NULL),
                     TK_OK);
    assert_int_equal(plan.count, 0);

    tk_store_detail detail;
    assert_int_equal(tk_store_plan_for(store, device + 99, reported, 2, 0,
                                       &mem, &plan, &detail),
                     TK_ERR_STORE_NOT_FOUND);
    assert_int_equal(tk_store_plan_for(store, device, NULL, 1, 0, &mem, &plan,
                                       &detail),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_store_plan_for(store, device, reported,
                                       TK_STORE_MAX_INSTALLED + 1, 0, &mem,
                                       &plan, &detail),
                     TK_ERR_LIMIT);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* A statement first prepared inside a transaction that rolls back is
 * still usable afterwards (PostgreSQL keeps prepared statements across a
 * rollback; SQLite's are per connection too). */
static void statements_survive_rollback(void **state)
{
    (void)state;
    tk_store_options o = test_options();
    o.pool_size = 1;
    tk_store *store = open_with(&o);
    int64_t device = add_device(store, "ueid-rollback", 0);
    tk_store_installed twice[] = {
        {.component_id = bytes("tc-x"), .sequence = 1},
        {.component_id = bytes("tc-x"), .sequence = 2},
    };
    for (int i = 0; i < 2; i++)
        assert_int_equal(tk_store_installed_replace(store, device, twice, 2,
                                                    NULL),
                         TK_ERR_STORE_DUPLICATE);
    assert_int_equal(tk_store_installed_replace(store, device, twice, 1,
                                                NULL),
                     TK_OK);
    tk_store_close(store);
    if (!backend_is_pg())
        return;
    /* Unnamed statements, for a pooler in transaction mode. */
    o.pg_unnamed_statements = true;
    store = open_with(&o);
    assert_int_equal(tk_store_installed_replace(store, device, twice, 2,
                                                NULL),
                     TK_ERR_STORE_DUPLICATE);
    assert_int_equal(tk_store_installed_replace(store, device, &twice[1], 1,
                                                NULL),
                     TK_OK);
    tk_store_close(store);
}

/* The durability option reaches every SQLite connection. */
static void sync_option(void **state)
{
    (void)state;
    tk_store_options o = test_options();
    tk_store *store = open_with(&o);
    tk_store_sync sync = TK_STORE_SYNC_NORMAL;
    tk_store_detail detail;
    if (backend_is_pg()) {
        assert_int_equal(tk_store_sync_get(store, &sync, &detail),
                         TK_ERR_UNSUPPORTED);
        assert_non_null(strstr(detail.text, "synchronous_commit"));
        tk_store_close(store);
        return;
    }
    assert_int_equal(tk_store_sync_get(store, &sync, &detail), TK_OK);
    assert_int_equal(sync, TK_STORE_SYNC_FULL);
    tk_store_close(store);
    o.sync = TK_STORE_SYNC_NORMAL;
    o.pool_size = 2;
    store = open_with(&o);
    sync = TK_STORE_SYNC_FULL;
    assert_int_equal(tk_store_sync_get(store, &sync, &detail), TK_OK);
    assert_int_equal(sync, TK_STORE_SYNC_NORMAL);
    int64_t device = add_device(store, "ueid-sync", 0);
    assert_true(device > 0);
    tk_store_close(store);
    assert_int_equal(tk_store_sync_get(NULL, &sync, &detail),
                     TK_ERR_INVALID_ARG);
}

/* ---- Audit log, counters, summary --------------------------------------- */

static void audit_and_counters(void **state)
{
    (void)state;
    tk_store *store = open_store();
    for (int i = 0; i < 5; i++) {
        tk_store_audit e = {.actor = "admin:alice", .action = "login",
                            .object = i % 2 ? "session/odd" : "session/even"};
        test_now = T0 + i;
        assert_int_equal(tk_store_audit_add(store, &e, NULL, NULL), TK_OK);
    }
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_audits list;
    tk_store_page newest = {.limit = 2, .newest_first = true};
    assert_int_equal(tk_store_audit_list(store, NULL, &newest, &mem, &list,
                                         NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].time, T0 + 4);
    assert_int_equal(list.items[1].time, T0 + 3);
    assert_true(list.next != 0);
    assert_int_equal(tk_store_audit_list(store, "session/odd", NULL, &mem,
                                         &list, NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    tk_store_audit bad = {.actor = "", .action = "x", .object = "y"};
    tk_store_detail detail;
    assert_int_equal(tk_store_audit_add(store, &bad, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    bad.actor = NULL;
    assert_int_equal(tk_store_audit_add(store, &bad, NULL, &detail),
                     TK_ERR_INVALID_ARG);

    int64_t value = 0;
    assert_int_equal(tk_store_counter_add(store, "sessions_started", 1, &value,
                                          NULL),
                     TK_OK);
    assert_int_equal(value, 1);
    assert_int_equal(tk_store_counter_add(store, "sessions_started", 41,
                                          &value, NULL),
                     TK_OK);
    assert_int_equal(value, 42);
    assert_int_equal(tk_store_counter_add(store, "attestations_failed", 3,
                                          NULL, NULL),
                     TK_OK);
    /* Byte order puts upper case first, whatever the collation. */
    assert_int_equal(tk_store_counter_add(store, "Zeta", 1, NULL, NULL),
                     TK_OK);
    tk_store_counters counters;
    assert_int_equal(tk_store_counter_list(store, &mem, &counters, NULL),
                     TK_OK);
    assert_int_equal(counters.count, 3);
    assert_string_equal(counters.items[0].name, "Zeta");
    assert_string_equal(counters.items[1].name, "attestations_failed");
    assert_int_equal(counters.items[1].value, 3);
    assert_string_equal(counters.items[2].name, "sessions_started");
    assert_int_equal(counters.items[2].value, 42);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

static void summary_counts(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t cls = add_class(store, "summary");
    int64_t a = add_device(store, "ueid-sum-a", cls);
    add_device(store, "ueid-sum-b", 0);
    tk_store_device blocked = {.ueid = bytes("ueid-sum-c"),
                               .state = TK_STORE_DEVICE_BLOCKED};
    assert_int_equal(tk_store_device_add(store, &blocked, NULL, NULL, NULL),
                     TK_OK);
    int64_t comp = add_component(store, "tc-sum");
    add_version(store, comp, 1, "s-1");
    set_policy(store, 0, cls, comp, TK_STORE_POLICY_INSTALL);
    int64_t session = new_session(store, a, "token-sum1", NULL, T0 + 60);
    new_session(store, a, "token-sum2", NULL, T0 - 1);
    tk_store_attestation r = {.device_id = a,
                              .verdict = TK_STORE_VERDICT_WARNING};
    assert_int_equal(tk_store_attestation_record(store, &r, NULL, NULL, NULL),
                     TK_OK);
    tk_store_report ok = {.device_id = a, .session_id = session,
                          .report = bytes("r0")};
    assert_int_equal(tk_store_report_insert(store, &ok, NULL, NULL, NULL),
                     TK_OK);
    ok.item = 1;
    ok.result = 3;
    assert_int_equal(tk_store_report_insert(store, &ok, NULL, NULL, NULL),
                     TK_OK);

    tk_store_summary s;
    assert_int_equal(tk_store_summary_get(store, &s, NULL), TK_OK);
    assert_int_equal(s.devices[TK_STORE_DEVICE_ACTIVE], 2);
    assert_int_equal(s.devices[TK_STORE_DEVICE_BLOCKED], 1);
    assert_int_equal(s.devices[TK_STORE_DEVICE_PENDING], 0);
    assert_int_equal(s.classes, 1);
    assert_int_equal(s.components, 1);
    assert_int_equal(s.versions, 1);
    assert_int_equal(s.policies, 1);
    assert_int_equal(s.open_sessions, 1);
    assert_int_equal(s.attestations[TK_STORE_VERDICT_WARNING], 1);
    assert_int_equal(s.attestations[TK_STORE_VERDICT_AFFIRMING], 0);
    assert_int_equal(s.reports_ok, 1);
    assert_int_equal(s.reports_failed, 1);
    assert_int_equal(s.audit_entries, 0);
    tk_store_close(store);
}

/* ---- Constraints, statistics, messages ---------------------------------- */

static void constraint_codes(void **state)
{
    (void)state;
    tk_store *store = open_store();
    tk_store_detail detail;
    char long_ueid[66];
    memset(long_ueid, 'u', 65);
    long_ueid[65] = '\0';
    tk_store_device d = {.ueid = bytes(long_ueid)};
    assert_int_equal(tk_store_device_add(store, &d, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    d.ueid = (tk_view){NULL, 0};
    assert_int_equal(tk_store_device_add(store, &d, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    d.ueid = bytes("ueid-state");
    d.state = (tk_store_device_state)9;
    assert_int_equal(tk_store_device_add(store, &d, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    assert_non_null(strstr(detail.text, "device_add: device"));
    tk_store_class c = {.name = ""};
    assert_int_equal(tk_store_class_add(store, &c, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    int64_t comp = add_component(store, "tc-constraint");
    tk_store_version v = {.component = comp, .sequence = 1,
                          .digest = (tk_view){NULL, 0},
                          .envelope = bytes("e")};
    assert_int_equal(tk_store_version_add(store, &v, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    tk_store_key k = {.device_id = add_device(store, "ueid-k", 0),
                      .use = (tk_store_key_use)3, .kid = bytes("kid"),
                      .cose_key = bytes("key")};
    assert_int_equal(tk_store_key_add(store, &k, NULL, NULL, &detail),
                     TK_ERR_STORE_CONSTRAINT);
    /* Text must be UTF-8 on both backends. */
    tk_store_device bad_name = {.ueid = bytes("ueid-utf8"),
                                .name = "caf\xc3"};
    assert_int_equal(tk_store_device_add(store, &bad_name, NULL, NULL,
                                         &detail),
                     TK_ERR_STORE_CONSTRAINT);
    assert_non_null(strstr(detail.text, "UTF-8"));
    bad_name.name = "surrogate \xed\xa0\x80";
    assert_int_equal(tk_store_device_add(store, &bad_name, NULL, NULL,
                                         &detail),
                     TK_ERR_STORE_CONSTRAINT);
    bad_name.name = "overlong \xc0\xaf";
    assert_int_equal(tk_store_device_add(store, &bad_name, NULL, NULL,
                                         &detail),
                     TK_ERR_STORE_CONSTRAINT);
    bad_name.name = "caf\xc3\xa9 \xf0\x9f\x94\x92";
    assert_int_equal(tk_store_device_add(store, &bad_name, NULL, NULL,
                                         &detail),
                     TK_OK);
    assert_int_equal(tk_store_device_add(store, NULL, NULL, NULL, &detail),
                     TK_ERR_INVALID_ARG);
    assert_non_null(strstr(detail.text, "device_add: invalid argument"));
    tk_store_close(store);
}

typedef struct observed {
    unsigned calls;
    tk_store_op last_op;
    tk_err last_err;
} observed;

static void observe(void *ctx, tk_store_op op, tk_err err, uint64_t ns)
{
    (void)ns;
    observed *o = ctx;
    o->calls++;
    o->last_op = op;
    o->last_err = err;
}

static void stats_and_observer(void **state)
{
    (void)state;
    observed seen = {0};
    tk_store_options o = test_options();
    o.observe = observe;
    o.observe_ctx = &seen;
    tk_store *store = open_with(&o);
    /* Opening a new database reads its version, then migrates it. */
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.last_op, TK_STORE_OP_OPEN);
    tk_store_close(store);
    seen.calls = 0;
    store = open_with(&o);
    assert_int_equal(seen.calls, 1);
    add_device(store, "ueid-stats", 0);
    tk_store_device dup = {.ueid = bytes("ueid-stats")};
    assert_int_equal(tk_store_device_add(store, &dup, NULL, NULL, NULL),
                     TK_ERR_STORE_DUPLICATE);
    assert_int_equal(seen.last_op, TK_STORE_OP_DEVICE_ADD);
    assert_int_equal(seen.last_err, TK_ERR_STORE_DUPLICATE);
    tk_store_op_stats stats;
    tk_store_op_stats_get(store, TK_STORE_OP_DEVICE_ADD, &stats);
    assert_int_equal(stats.calls, 2);
    assert_int_equal(stats.errors, 1);
    assert_int_equal(stats.retries, 0);
    assert_true(stats.total_ns >= stats.max_ns);
    assert_true(stats.max_ns > 0);
    assert_string_equal(tk_store_op_name(TK_STORE_OP_TOKEN_CONSUME),
                        "token_consume");
    assert_string_equal(tk_store_op_name(TK_STORE_OP_COUNT), "unknown");
    tk_store_op_stats_get(store, TK_STORE_OP_COUNT, &stats);
    assert_int_equal(stats.calls, 0);
    tk_store_close(store);
}

/* ---- Crashes and locks held by another process --------------------------- */

typedef struct hold_point {
    tk_store_op op;
    int fd; /* write end of the pipe to the parent */
} hold_point;

/* Tells the parent that the child is inside the transaction of op, then
 * waits to be killed. */
static void hold_before_commit(void *ctx, tk_store_op op)
{
    hold_point *h = ctx;
    if (op != h->op)
        return;
    char byte = 'h';
    if (write(h->fd, &byte, 1) != 1)
        _exit(3);
    for (;;)
        pause();
}

/* Starts a child that opens the store and runs work until it is inside the
 * write transaction of op, and returns at that point. */
static pid_t start_holder(tk_store_op op, void (*work)(tk_store *, int64_t),
                          int64_t arg)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The holder must not outlive a parent that failed an assertion:
         * it dies with the parent, and after two minutes in any case. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(120);
        close(fds[0]);
        hold_point h = {op, fds[1]};
        tk_store_options o = test_options();
        o.before_commit = hold_before_commit;
        o.before_commit_ctx = &h;
        tk_store *store = NULL;
        if (tk_store_open(backend_uri(), &o, &store, NULL) != TK_OK)
            _exit(2);
        work(store, arg);
        _exit(4);
    }
    close(fds[1]);
    char byte = 0;
    assert_int_equal(read(fds[0], &byte, 1), 1);
    assert_int_equal(byte, 'h');
    close(fds[0]);
    return pid;
}

static void kill_holder(pid_t pid)
{
    int status = 0;
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void replace_with_two(tk_store *store, int64_t device)
{
    tk_store_installed items[] = {
        {.component_id = bytes("tc-new-1"), .sequence = 2},
        {.component_id = bytes("tc-new-2"), .sequence = 3},
    };
    tk_store_installed_replace(store, device, items, 2, NULL);
}

static void crash_mid_transaction(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-crash", 0);
    tk_store_installed old = {.component_id = bytes("tc-old"), .sequence = 1};
    assert_int_equal(tk_store_installed_replace(store, device, &old, 1, NULL),
                     TK_OK);
    tk_store_close(store);

    /* The child has deleted the old entry and inserted two new ones when
     * it is killed, just before COMMIT. */
    pid_t pid = start_holder(TK_STORE_OP_INSTALLED_REPLACE, replace_with_two,
                             device);
    kill_holder(pid);

    store = open_store();
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_installeds list;
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    assert_true(view_equals(list.items[0].component_id, "tc-old"));
    /* No lock survives the crash: the next writer goes through. */
    replace_with_two(store, device);
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 2);
    tk_store_mem_free(&mem);
    tk_store_close(store);
    if (!backend_is_pg()) {
        char result[64];
        backend_query_text("PRAGMA integrity_check", result, sizeof result);
        assert_string_equal(result, "ok");
    }
}

/* Session of crash_mid_exchange, set before the holder forks. */
static int64_t crash_session;

/* Records a Success of crash_session's Update: the token, a report, the
 * installed state, an audit entry and a new token. */
static tk_err record_success(tk_store *store, int64_t device)
{
    tk_store_report report = {.device_id = device, .session_id = crash_session,
                              .token = bytes("crash-token"),
                              .report = bytes("crash-report")};
    tk_store_installed installed = {.component_id = bytes("tc-new"),
                                    .sequence = 2};
    tk_store_audit audit = {.actor = "tam", .action = "update.success"};
    tk_store_session_change next = {.id = crash_session,
                                    .expected_state = TK_STORE_ANY_STATE,
                                    .state = 5,
                                    .next_token = bytes("crash-next")};
    tk_store_exchange x = {
        .token = bytes("crash-token"), .session_id = crash_session,
        .device_id = device, .reports = &report, .report_count = 1,
        .replace_installed = true, .installed = &installed,
        .installed_count = 1, .audit = &audit, .audit_count = 1,
        .update = &next};
    return tk_store_exchange_record(store, &x, NULL, NULL);
}

static void run_success(tk_store *store, int64_t device)
{
    record_success(store, device);
}

/* A worker killed inside the transaction of an exchange leaves none of it
 * behind: the token stays usable, and the same message succeeds later. */
static void crash_mid_exchange(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-crash-exchange", 0);
    crash_session = new_session(store, device, "crash-token", NULL, T0 + 600);
    tk_store_installed old = {.component_id = bytes("tc-old"), .sequence = 1};
    assert_int_equal(tk_store_installed_replace(store, device, &old, 1, NULL),
                     TK_OK);
    tk_store_close(store);

    pid_t pid = start_holder(TK_STORE_OP_EXCHANGE, run_success, device);
    kill_holder(pid);

    store = open_store();
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_session s;
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("crash-token"), &mem, &s,
                                          NULL),
                     TK_OK);
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("crash-next"), &mem, &s,
                                          NULL),
                     TK_ERR_STORE_TOKEN_UNKNOWN);
    assert_int_equal(count_of("SELECT count(*) FROM reports"), 0);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log"), 0);
    tk_store_installeds list;
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_int_equal(list.count, 1);
    assert_true(view_equals(list.items[0].component_id, "tc-old"));

    /* No lock survives the crash, and the message takes effect now. */
    assert_int_equal(record_success(store, device), TK_OK);
    assert_int_equal(count_of("SELECT count(*) FROM reports"), 1);
    assert_int_equal(tk_store_installed_list(store, device, NULL, &mem, &list,
                                             NULL),
                     TK_OK);
    assert_true(view_equals(list.items[0].component_id, "tc-new"));
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("crash-next"), &mem, &s,
                                          NULL),
                     TK_OK);
    assert_int_equal(s.state, 5);
    assert_int_equal(record_success(store, device), TK_ERR_STORE_TOKEN_USED);
    tk_store_mem_free(&mem);
    tk_store_close(store);
    if (!backend_is_pg()) {
        char result[64];
        backend_query_text("PRAGMA integrity_check", result, sizeof result);
        assert_string_equal(result, "ok");
    }
}

static void block_device(tk_store *store, int64_t device)
{
    tk_store_device d = {.id = device, .name = "held",
                         .state = TK_STORE_DEVICE_BLOCKED};
    tk_store_device_update(store, &d, NULL, NULL);
}

static void busy_lock_timeout(void **state)
{
    (void)state;
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-busy", 0);
    tk_store_close(store);

    pid_t pid = start_holder(TK_STORE_OP_DEVICE_UPDATE, block_device, device);
    tk_store_options o = test_options();
    o.busy_timeout_ms = 100;
    o.max_retries = 1;
    store = open_with(&o);
    tk_store_detail detail;
    tk_store_device d = {.id = device, .name = "waiting",
                         .state = TK_STORE_DEVICE_ACTIVE};
    assert_int_equal(tk_store_device_update(store, &d, NULL, &detail),
                     TK_ERR_STORE_BUSY);
    assert_non_null(strstr(detail.text, "after 1 retries"));
    tk_store_op_stats stats;
    tk_store_op_stats_get(store, TK_STORE_OP_DEVICE_UPDATE, &stats);
    assert_int_equal(stats.retries, 1);
    assert_int_equal(stats.errors, 1);
    /* Reads are not blocked by the writer. */
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device got;
    assert_int_equal(tk_store_device_get(store, device, &mem, &got, NULL),
                     TK_OK);
    assert_int_equal(got.state, TK_STORE_DEVICE_ACTIVE);
    kill_holder(pid);
    assert_int_equal(tk_store_device_update(store, &d, NULL, &detail), TK_OK);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* A new SQLite database has pages of 1 KiB, so a commit writes and
 * checksums less; a database created with other pages keeps them. */
static void sqlite_page_size(void **state)
{
    (void)state;
    if (backend_is_pg())
        skip();
    tk_store_close(open_store());
    assert_int_equal(count_of("PRAGMA page_size"), 1024);

    backend_fresh();
    backend_exec("PRAGMA page_size=4096; CREATE TABLE older (a INTEGER)");
    tk_store *store = open_store();
    int64_t device = add_device(store, "ueid-4k-pages", 0);
    assert_true(device > 0);
    tk_store_close(store);
    assert_int_equal(count_of("PRAGMA page_size"), 4096);
}

/* Schema version 5 drops the tokens' foreign key to the sessions: the
 * tokens written before it keep working, a token of a missing session is
 * still rejected, and a token whose session went with its device is
 * unknown. */
static void tokens_survive_version_5(void **state)
{
    (void)state;
    tk_store_options o = test_options();
    o.target_version = 4;
    tk_store *store = open_with(&o);
    int64_t device = add_device(store, "ueid-v4", 0);
    int64_t session = new_session(store, device, "tok-v4-live", NULL,
                                  T0 + 60);
    assert_int_equal(tk_store_token_add(store, session, TK_STORE_TOKEN,
                                        bytes("tok-v4-used"), T0 + 60, NULL),
                     TK_OK);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_session s;
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("tok-v4-used"), &mem, &s,
                                            NULL),
                     TK_OK);
    tk_store_close(store);

    store = open_store();
    uint32_t version = 0;
    assert_int_equal(tk_store_schema_version(store, &version, NULL), TK_OK);
    assert_int_equal(version, TK_STORE_SCHEMA_VERSION);
    assert_int_equal(count_of(backend_is_pg()
                                  ? "SELECT count(*) FROM pg_indexes "
                                    "WHERE indexname = 'tokens_session'"
                                  : "SELECT count(*) FROM sqlite_schema "
                                    "WHERE name = 'tokens_session'"),
                     0);
    assert_int_equal(count_of("SELECT count(*) FROM tokens"), 2);
    tk_store_detail detail;
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("tok-v4-live"), &mem, &s,
                                          NULL),
                     TK_OK);
    assert_int_equal(s.id, session);
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("tok-v4-used"), &mem, &s,
                                          NULL),
                     TK_ERR_STORE_TOKEN_USED);
    assert_int_equal(tk_store_token_add(store, session + 7, TK_STORE_TOKEN,
                                        bytes("tok-v5-orphan"), T0 + 60,
                                        &detail),
                     TK_ERR_STORE_REFERENCE);
    assert_non_null(strstr(detail.text, "not found"));
    assert_int_equal(count_of("SELECT count(*) FROM tokens"), 2);

    /* The session goes with its device. Its token stays until the purge
     * but matches nothing. */
    assert_int_equal(tk_store_device_delete(store, device, NULL, NULL), TK_OK);
    assert_int_equal(tk_store_token_check(store, TK_STORE_TOKEN,
                                          bytes("tok-v4-live"), &mem, &s,
                                          &detail),
                     TK_ERR_STORE_TOKEN_UNKNOWN);
    assert_int_equal(tk_store_token_consume(store, TK_STORE_TOKEN,
                                            bytes("tok-v4-live"), &mem, &s,
                                            &detail),
                     TK_ERR_STORE_TOKEN_UNKNOWN);
    assert_non_null(strstr(detail.text, "deleted"));
    assert_int_equal(count_of("SELECT count(*) FROM tokens "
                              "WHERE consumed = true"),
                     1);
    tk_store_purged purged;
    assert_int_equal(tk_store_purge(store, T0 + 61, &purged, NULL), TK_OK);
    assert_int_equal(purged.tokens, 2);
    assert_int_equal(count_of("SELECT count(*) FROM tokens"), 0);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

/* Schema version 6 drops AUTOINCREMENT from audit_log and installed on
 * SQLite. Their rows survive with their ids, new audit ids keep
 * increasing, and the sessions, reports and attestation results keep
 * AUTOINCREMENT. */
static void ids_survive_version_6(void **state)
{
    (void)state;
    tk_store_options o = test_options();
    o.target_version = 5;
    tk_store *store = open_with(&o);
    int64_t device = add_device(store, "ueid-v5", 0);
    tk_store_audit entry = {.actor = "admin:v5", .action = "test.v5",
                            .object = "device/v5"};
    int64_t first = 0;
    int64_t second = 0;
    assert_int_equal(tk_store_audit_add(store, &entry, &first, NULL), TK_OK);
    assert_int_equal(tk_store_audit_add(store, &entry, &second, NULL), TK_OK);
    assert_true(second > first);
    tk_store_installed items[2] = {
        {.device_id = device, .component_id = bytes("component-a"),
         .sequence = 3, .digest = bytes("digest-a"), .reported = T0},
        {.device_id = device, .component_id = bytes("component-b"),
         .sequence = 4, .digest = bytes("digest-b"), .reported = T0},
    };
    assert_int_equal(tk_store_installed_replace(store, device, items, 2, NULL),
                     TK_OK);
    tk_store_close(store);

    store = open_store();
    uint32_t version = 0;
    assert_int_equal(tk_store_schema_version(store, &version, NULL), TK_OK);
    assert_int_equal(version, TK_STORE_SCHEMA_VERSION);
    if (!backend_is_pg()) {
        assert_int_equal(count_of("SELECT count(*) FROM sqlite_sequence "
                                  "WHERE name IN ('audit_log', "
                                  "'installed')"),
                         0);
        assert_int_equal(count_of("SELECT count(*) FROM sqlite_schema WHERE "
                                  "sql LIKE '%AUTOINCREMENT%' AND name IN "
                                  "('sessions', 'reports', "
                                  "'attestation_results')"),
                         3);
        assert_int_equal(count_of("SELECT count(*) FROM sqlite_schema WHERE "
                                  "sql LIKE '%AUTOINCREMENT%' AND name IN "
                                  "('audit_log', 'installed')"),
                         0);
    }
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_audits audits;
    assert_int_equal(tk_store_audit_list(store, "device/v5", &page, &mem,
                                         &audits, NULL),
                     TK_OK);
    assert_int_equal(audits.count, 2);
    int64_t third = 0;
    assert_int_equal(tk_store_audit_add(store, &entry, &third, NULL), TK_OK);
    assert_true(third > second);
    tk_store_installeds installed;
    assert_int_equal(tk_store_installed_list(store, device, &page, &mem,
                                             &installed, NULL),
                     TK_OK);
    assert_int_equal(installed.count, 2);
    assert_true(view_equals(installed.items[0].component_id, "component-a"));
    assert_int_equal(installed.items[1].sequence, 4);
    /* The unique key and the index of the rebuilt table work as before. */
    items[0].sequence = 5;
    assert_int_equal(tk_store_installed_set(store, &items[0], NULL), TK_OK);
    assert_int_equal(count_of("SELECT count(*) FROM installed"), 2);
    assert_int_equal(count_of("SELECT max(sequence) FROM installed"), 5);
    tk_store_installeds by_component;
    assert_int_equal(tk_store_installed_by_component(store,
                                                     bytes("component-b"),
                                                     &page, &mem,
                                                     &by_component, NULL),
                     TK_OK);
    assert_int_equal(by_component.count, 1);
    /* The entries still go with their device. */
    assert_int_equal(tk_store_device_delete(store, device, NULL, NULL), TK_OK);
    assert_int_equal(count_of("SELECT count(*) FROM installed"), 0);
    tk_store_mem_free(&mem);
    tk_store_close(store);
}

int main(int argc, char **argv)
{
    backend_init(argc, argv);
    const struct CMUnitTest tests[] = {
#define STORE_TEST(name) cmocka_unit_test_setup(name, fresh_database)
        STORE_TEST(open_creates_schema),
        STORE_TEST(open_reopens_existing),
        STORE_TEST(open_migrates_stepwise),
        STORE_TEST(tokens_survive_version_5),
        STORE_TEST(ids_survive_version_6),
        STORE_TEST(sqlite_page_size),
        STORE_TEST(open_rejects_newer_schema),
        STORE_TEST(open_rejects_bad_uri),
        STORE_TEST(open_reports_connect_failure),
        STORE_TEST(open_rejects_corrupt_file),
        STORE_TEST(open_rejects_wrong_password),
        STORE_TEST(reconnect_after_server_drop),
        STORE_TEST(class_crud),
        STORE_TEST(device_crud),
        STORE_TEST(device_list_pages),
        STORE_TEST(key_crud_and_find),
        STORE_TEST(component_versions),
        STORE_TEST(version_upload_creates_component),
        STORE_TEST(policy_rules),
        STORE_TEST(plan_computes_steps),
        STORE_TEST(refvals_for_device),
        STORE_TEST(token_single_use),
        STORE_TEST(token_constraints),
        STORE_TEST(session_update_checks_state),
        STORE_TEST(purge_removes_expired),
        STORE_TEST(token_check_reads_only),
        STORE_TEST(combined_reads),
        STORE_TEST(exchange_query_response),
        STORE_TEST(exchange_success),
        STORE_TEST(exchange_all_or_nothing),
        STORE_TEST(exchange_creates_session),
        STORE_TEST(exchange_rejects_bad_arguments),
        STORE_TEST(exchange_used_token),
        STORE_TEST(exchange_rejects_bad_digest),
        STORE_TEST(secret_shared_by_workers),
        STORE_TEST(device_context_reads),
        STORE_TEST(plan_for_given_state),
        STORE_TEST(statements_survive_rollback),
        STORE_TEST(sync_option),
        STORE_TEST(attestation_with_audit),
        STORE_TEST(installed_state),
        STORE_TEST(installed_by_component),
        STORE_TEST(reports_stored_once),
        STORE_TEST(audit_and_counters),
        STORE_TEST(summary_counts),
        STORE_TEST(constraint_codes),
        STORE_TEST(stats_and_observer),
        STORE_TEST(crash_mid_transaction),
        STORE_TEST(crash_mid_exchange),
        STORE_TEST(busy_lock_timeout),
#undef STORE_TEST
    };
    const char *group = backend_is_pg() ? "store_postgresql" : "store_sqlite";
    int failed = _cmocka_run_group_tests(group, tests,
                                         sizeof tests / sizeof tests[0], NULL,
                                         NULL);
    backend_cleanup();
    return failed;
}
