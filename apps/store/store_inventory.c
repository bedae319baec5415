/*
 * Inventory operations of the TAM store: device classes, devices, keys,
 * Trusted Components and their versions, policy and reference values.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/* Runs an INSERT ... RETURNING id and stores the id. */
static tk_err insert_row(tk_store_tx *tx, const char *sql,
                         const tk_db_val *params, size_t count, int64_t *id)
{
    bool found;
    int64_t value = 0;
    tk_err err = tk_db_query_int(tx, sql, params, count, &value, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_INTERNAL, "INSERT returned no id");
    if (err == TK_OK && id != NULL)
        *id = value;
    return err;
}

/* Writes the audit entry of an add or update of kind/id. */
static tk_err audit_change(tk_store_tx *tx, const char *actor,
                           const char *kind, const char *verb, int64_t id,
                           const char *detail)
{
    char object[TK_STORE_OBJECT_MAX];
    char action[32];
    tk_store_object_name(object, kind, id);
    snprintf(action, sizeof action, "%s.%s", kind, verb);
    return tk_store_audit_write(tx, actor, action, object, detail);
}

/* ---- Device classes ----------------------------------------------------- */

#define CLASS_SELECT                                                        \
    "SELECT id, name, description, vendor_id, class_uuid, created "        \
    "FROM device_classes"

static tk_err read_class(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    tk_store_class *c = item;
    c->id = tk_db_col_int(tx, rows, 0);
    c->created = tk_db_col_int(tx, rows, 5);
    tk_err err = tk_db_col_text(tx, rows, 1, &c->name);
    if (err == TK_OK)
        err = tk_db_col_text(tx, rows, 2, &c->description);
    if (err == TK_OK)
        err = tk_db_col_view(tx, rows, 3, &c->vendor_id);
    if (err == TK_OK)
        err = tk_db_col_view(tx, rows, 4, &c->class_uuid);
    return err;
}

static const tk_store_table class_table = {
    .entity = "device class",
    .kind = "class",
    .get = CLASS_SELECT " WHERE id = $1",
    .read = read_class,
    .remove = "DELETE FROM device_classes WHERE id = $1",
};

static tk_err class_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_class *c = a->in;
    const tk_db_val params[] = {
        tk_db_text(c->name), tk_db_text_or_empty(c->description),
        tk_db_blob_or_null(c->vendor_id), tk_db_blob_or_null(c->class_uuid),
        tk_db_int(tx->now),
    };
    int64_t id = 0;
    tk_err err = insert_row(tx,
                            "INSERT INTO device_classes (name, description, "
                            "vendor_id, class_uuid, created) "
                            "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                            params, 5, &id);
    if (err == TK_ERR_STORE_DUPLICATE)
        return tk_store_fail(tx, err, "a device class named \"%.64s\" "
                                      "already exists",
                             c->name);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "device class \"%.64s\"", c->name);
    if (a->out_id != NULL)
        *a->out_id = id;
    return audit_change(tx, a->actor, "class", "add", id, c->name);
}

tk_err tk_store_class_add(tk_store *store, const tk_store_class *cls,
                          const char *actor, int64_t *id,
                          tk_store_detail *detail)
{
    if (store == NULL || cls == NULL || cls->name == NULL ||
        !tk_store_view_ok(cls->vendor_id) || !tk_store_view_ok(cls->class_uuid))
        return tk_store_invalid(store, TK_STORE_OP_CLASS_ADD, detail,
                                "store, class or name is NULL");
    tk_store_args a = {.in = cls, .actor = actor, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_CLASS_ADD, TK_DB_WRITE,
                        class_add_body, &a, NULL, detail);
}

tk_err tk_store_class_get(tk_store *store, int64_t id, tk_store_mem *mem,
                          tk_store_class *out, tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_CLASS_GET, &class_table, id, mem,
                            out, detail);
}

static tk_err class_find_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_text(a->text)};
    bool found;
    tk_err err = tk_db_read_one(tx, CLASS_SELECT " WHERE name = $1", params,
                                1, read_class, a->out, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "no device class named \"%.64s\"", a->text);
    return err;
}

tk_err tk_store_class_find(tk_store *store, const char *name,
                           tk_store_mem *mem, tk_store_class *out,
                           tk_store_detail *detail)
{
    if (store == NULL || name == NULL || mem == NULL || out == NULL)
        return tk_store_invalid(store, TK_STORE_OP_CLASS_FIND, detail,
                                "store, name, mem or out is NULL");
    tk_store_args a = {.text = name, .out = out};
    return tk_store_run(store, TK_STORE_OP_CLASS_FIND, TK_DB_READ,
                        class_find_body, &a, mem, detail);
}

static tk_err class_update_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_class *c = a->in;
    const tk_db_val params[] = {
        tk_db_int(c->id), tk_db_text(c->name),
        tk_db_text_or_empty(c->description), tk_db_blob_or_null(c->vendor_id),
        tk_db_blob_or_null(c->class_uuid),
    };
    int64_t changes = 0;
    tk_err err = tk_db_exec(tx,
                            "UPDATE device_classes SET name = $2, "
                            "description = $3, vendor_id = $4, "
                            "class_uuid = $5 WHERE id = $1",
                            params, 5, &changes);
    if (err == TK_ERR_STORE_DUPLICATE)
        return tk_store_fail(tx, err, "a device class named \"%.64s\" "
                                      "already exists",
                             c->name);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "device class %" PRId64, c->id);
    if (changes == 0)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device class %" PRId64 " not found", c->id);
    return audit_change(tx, a->actor, "class", "update", c->id, c->name);
}

tk_err tk_store_class_update(tk_store *store, const tk_store_class *cls,
                             const char *actor, tk_store_detail *detail)
{
    if (store == NULL || cls == NULL || cls->name == NULL ||
        !tk_store_view_ok(cls->vendor_id) || !tk_store_view_ok(cls->class_uuid))
        return tk_store_invalid(store, TK_STORE_OP_CLASS_UPDATE, detail,
                                "store, class or name is NULL");
    tk_store_args a = {.in = cls, .actor = actor};
    return tk_store_run(store, TK_STORE_OP_CLASS_UPDATE, TK_DB_WRITE,
                        class_update_body, &a, NULL, detail);
}

tk_err tk_store_class_delete(tk_store *store, int64_t id, const char *actor,
                             tk_store_detail *detail)
{
    return tk_store_run_delete(store, TK_STORE_OP_CLASS_DELETE, &class_table,
                               id, actor, detail);
}

static const tk_db_list class_list = {
    .select = CLASS_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_class),
    .read = read_class,
};

tk_err tk_store_class_list(tk_store *store, const tk_store_page *page,
                           tk_store_mem *mem, tk_store_classes *out,
                           tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_CLASS_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_CLASS_LIST, &class_list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Devices ------------------------------------------------------------ */

#define DEVICE_SELECT                                                       \
    "SELECT id, ueid, class_id, name, state, created, last_seen "          \
    "FROM devices"

static tk_err read_device(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    tk_store_device *d = item;
    d->id = tk_db_col_int(tx, rows, 0);
    d->class_id = tk_db_col_int(tx, rows, 2);
    d->state = (tk_store_device_state)tk_db_col_int(tx, rows, 4);
    d->created = tk_db_col_int(tx, rows, 5);
    d->last_seen = tk_db_col_int(tx, rows, 6);
    tk_err err = tk_db_col_view(tx, rows, 1, &d->ueid);
    if (err == TK_OK)
        err = tk_db_col_text(tx, rows, 3, &d->name);
    return err;
}

static const tk_store_table device_table = {
    .entity = "device",
    .kind = "device",
    .get = DEVICE_SELECT " WHERE id = $1",
    .read = read_device,
    .remove = "DELETE FROM devices WHERE id = $1",
};

/* Explains a failed device insert or update. */
static tk_err device_error(tk_store_tx *tx, tk_err err,
                           const tk_store_device *d, const char *what)
{
    if (err == TK_ERR_STORE_DUPLICATE)
        return tk_store_fail(tx, err, "a device with this UEID (%zu bytes) "
                                      "already exists",
                             d->ueid.len);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err, "device class %" PRId64 " not found",
                             d->class_id);
    return tk_store_annotate(tx, err, "%s", what);
}

static tk_err device_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_device *d = a->in;
    const tk_db_val params[] = {
        tk_db_blob(d->ueid), tk_db_ref(d->class_id),
        tk_db_text_or_empty(d->name), tk_db_int((int64_t)d->state),
        tk_db_int(tx->now),
    };
    int64_t id = 0;
    tk_err err = insert_row(tx,
                            "INSERT INTO devices (ueid, class_id, name, "
                            "state, created, last_seen) "
                            "VALUES ($1, $2, $3, $4, $5, 0) RETURNING id",
                            params, 5, &id);
    if (err != TK_OK)
        return device_error(tx, err, d, "device");
    if (a->out_id != NULL)
        *a->out_id = id;
    return audit_change(tx, a->actor, "device", "add", id, d->name);
}

tk_err tk_store_device_add(tk_store *store, const tk_store_device *device,
                           const char *actor, int64_t *id,
                           tk_store_detail *detail)
{
    if (store == NULL || device == NULL || !tk_store_view_ok(device->ueid))
        return tk_store_invalid(store, TK_STORE_OP_DEVICE_ADD, detail,
                                "store or device is NULL");
    tk_store_args a = {.in = device, .actor = actor, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_DEVICE_ADD, TK_DB_WRITE,
                        device_add_body, &a, NULL, detail);
}

tk_err tk_store_device_get(tk_store *store, int64_t id, tk_store_mem *mem,
                           tk_store_device *out, tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_DEVICE_GET, &device_table, id,
                            mem, out, detail);
}

static tk_err device_find_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_blob(a->bytes)};
    bool found;
    tk_err err = tk_db_read_one(tx, DEVICE_SELECT " WHERE ueid = $1", params,
                                1, read_device, a->out, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "no device with this UEID (%zu bytes)",
                             a->bytes.len);
    return err;
}

tk_err tk_store_device_find(tk_store *store, tk_view ueid, tk_store_mem *mem,
                            tk_store_device *out, tk_store_detail *detail)
{
    if (store == NULL || mem == NULL || out == NULL ||
        !tk_store_view_ok(ueid))
        return tk_store_invalid(store, TK_STORE_OP_DEVICE_FIND, detail,
                                "store, ueid, mem or out is NULL");
    tk_store_args a = {.bytes = ueid, .out = out};
    return tk_store_run(store, TK_STORE_OP_DEVICE_FIND, TK_DB_READ,
                        device_find_body, &a, mem, detail);
}

static tk_err device_update_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_device *d = a->in;
    const tk_db_val params[] = {
        tk_db_int(d->id), tk_db_ref(d->class_id),
        tk_db_text_or_empty(d->name), tk_db_int((int64_t)d->state),
    };
    int64_t changes = 0;
    tk_err err = tk_db_exec(tx,
                            "UPDATE devices SET class_id = $2, name = $3, "
                            "state = $4 WHERE id = $1",
                            params, 4, &changes);
    char what[TK_STORE_OBJECT_MAX];
    tk_store_object_name(what, "device", d->id);
    if (err != TK_OK)
        return device_error(tx, err, d, what);
    if (changes == 0)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device %" PRId64 " not found", d->id);
    char text[64];
    snprintf(text, sizeof text, "state=%d class=%" PRId64, (int)d->state,
             d->class_id);
    return audit_change(tx, a->actor, "device", "update", d->id, text);
}

tk_err tk_store_device_update(tk_store *store, const tk_store_device *device,
                              const char *actor, tk_store_detail *detail)
{
    if (store == NULL || device == NULL)
        return tk_store_invalid(store, TK_STORE_OP_DEVICE_UPDATE, detail,
                                "store or device is NULL");
    tk_store_args a = {.in = device, .actor = actor};
    return tk_store_run(store, TK_STORE_OP_DEVICE_UPDATE, TK_DB_WRITE,
                        device_update_body, &a, NULL, detail);
}

static tk_err device_seen_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_int(a->id), tk_db_int(tx->now)};
    int64_t changes = 0;
    tk_err err = tk_db_exec(tx, "UPDATE devices SET last_seen = $2 "
                                "WHERE id = $1",
                            params, 2, &changes);
    if (err == TK_OK && changes == 0)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device %" PRId64 " not found", a->id);
    return err;
}

tk_err tk_store_device_seen(tk_store *store, int64_t id,
                            tk_store_detail *detail)
{
    if (store == NULL)
        return tk_store_invalid(store, TK_STORE_OP_DEVICE_SEEN, detail,
                                "store is NULL");
    tk_store_args a = {.id = id};
    return tk_store_run(store, TK_STORE_OP_DEVICE_SEEN, TK_DB_WRITE,
                        device_seen_body, &a, NULL, detail);
}

tk_err tk_store_device_delete(tk_store *store, int64_t id, const char *actor,
                              tk_store_detail *detail)
{
    return tk_store_run_delete(store, TK_STORE_OP_DEVICE_DELETE, &device_table,
                               id, actor, detail);
}

static const tk_db_list device_list = {
    .select = DEVICE_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_device),
    .read = read_device,
};

tk_err tk_store_device_list(tk_store *store, int64_t class_id, int state,
                            const tk_store_page *page, tk_store_mem *mem,
                            tk_store_devices *out, tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_DEVICE_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = device_list;
    tk_db_list_filter_id(&list, "class_id", class_id);
    if (state >= 0)
        tk_db_list_filter(&list, "state", tk_db_int(state));
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_DEVICE_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Device keys -------------------------------------------------------- */

#define KEY_SELECT                                                          \
    "SELECT id, device_id, key_use, kid, alg, cose_key, created "          \
    "FROM device_keys"

static tk_err read_key(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    tk_store_key *k = item;
    k->id = tk_db_col_int(tx, rows, 0);
    k->device_id = tk_db_col_int(tx, rows, 1);
    k->use = (tk_store_key_use)tk_db_col_int(tx, rows, 2);
    k->alg = tk_db_col_int(tx, rows, 4);
    k->created = tk_db_col_int(tx, rows, 6);
    tk_err err = tk_db_col_view(tx, rows, 3, &k->kid);
    if (err == TK_OK)
        err = tk_db_col_view(tx, rows, 5, &k->cose_key);
    return err;
}

static const tk_store_table key_table = {
    .entity = "key",
    .kind = "key",
    .get = KEY_SELECT " WHERE id = $1",
    .read = read_key,
    .remove = "DELETE FROM device_keys WHERE id = $1",
};

static tk_err key_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_key *k = a->in;
    const tk_db_val params[] = {
        tk_db_int(k->device_id), tk_db_int((int64_t)k->use),
        tk_db_blob(k->kid),      tk_db_int(k->alg),
        tk_db_blob(k->cose_key), tk_db_int(tx->now),
    };
    int64_t id = 0;
    tk_err err = insert_row(tx,
                            "INSERT INTO device_keys (device_id, key_use, "
                            "kid, alg, cose_key, created) "
                            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                            params, 6, &id);
    if (err == TK_ERR_STORE_DUPLICATE)
        return tk_store_fail(tx, err, "a key with this kid (%zu bytes) and "
                                      "use %d already exists",
                             k->kid.len, (int)k->use);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err, "device %" PRId64 " not found",
                             k->device_id);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "key of device %" PRId64,
                                 k->device_id);
    if (a->out_id != NULL)
        *a->out_id = id;
    char text[48];
    snprintf(text, sizeof text, "device=%" PRId64 " use=%d", k->device_id,
             (int)k->use);
    return audit_change(tx, a->actor, "key", "add", id, text);
}

tk_err tk_store_key_add(tk_store *store, const tk_store_key *key,
                        const char *actor, int64_t *id,
                        tk_store_detail *detail)
{
    if (store == NULL || key == NULL || !tk_store_view_ok(key->kid) ||
        !tk_store_view_ok(key->cose_key))
        return tk_store_invalid(store, TK_STORE_OP_KEY_ADD, detail,
                                "store or key is NULL");
    tk_store_args a = {.in = key, .actor = actor, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_KEY_ADD, TK_DB_WRITE, key_add_body,
                        &a, NULL, detail);
}

tk_err tk_store_key_get(tk_store *store, int64_t id, tk_store_mem *mem,
                        tk_store_key *out, tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_KEY_GET, &key_table, id, mem,
                            out, detail);
}

static tk_err key_find_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_int(a->kind), tk_db_blob(a->bytes)};
    bool found;
    tk_err err = tk_db_read_one(tx, KEY_SELECT " WHERE key_use = $1 AND "
                                               "kid = $2",
                                params, 2, read_key, a->out, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "no key with use %d and this kid (%zu bytes)",
                             a->kind, a->bytes.len);
    return err;
}

tk_err tk_store_key_find(tk_store *store, tk_store_key_use use, tk_view kid,
                         tk_store_mem *mem, tk_store_key *out,
                         tk_store_detail *detail)
{
    if (store == NULL || mem == NULL || out == NULL || !tk_store_view_ok(kid))
        return tk_store_invalid(store, TK_STORE_OP_KEY_FIND, detail,
                                "store, kid, mem or out is NULL");
    tk_store_args a = {.kind = (int)use, .bytes = kid, .out = out};
    return tk_store_run(store, TK_STORE_OP_KEY_FIND, TK_DB_READ, key_find_body,
                        &a, mem, detail);
}

static tk_err key_find_device_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_store_key *key = a->out;
    tk_err err = key_find_body(tx, arg);
    if (err == TK_OK)
        err = tk_store_get_row(tx, &device_table, key->device_id, a->out2);
    return err;
}

tk_err tk_store_key_find_device(tk_store *store, tk_store_key_use use,
                                tk_view kid, tk_store_mem *mem,
                                tk_store_key *key, tk_store_device *device,
                                tk_store_detail *detail)
{
    if (store == NULL || mem == NULL || key == NULL || device == NULL ||
        !tk_store_view_ok(kid))
        return tk_store_invalid(store, TK_STORE_OP_KEY_FIND_DEVICE, detail,
                                "store, kid, mem, key or device is NULL");
    tk_store_args a = {.kind = (int)use, .bytes = kid, .out = key,
                       .out2 = device};
    return tk_store_run(store, TK_STORE_OP_KEY_FIND_DEVICE, TK_DB_READ,
                        key_find_device_body, &a, mem, detail);
}

tk_err tk_store_key_delete(tk_store *store, int64_t id, const char *actor,
                           tk_store_detail *detail)
{
    return tk_store_run_delete(store, TK_STORE_OP_KEY_DELETE, &key_table, id,
                               actor, detail);
}

static const tk_db_list key_list = {
    .select = KEY_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_key),
    .read = read_key,
};

tk_err tk_store_key_list(tk_store *store, int64_t device_id,
                         const tk_store_page *page, tk_store_mem *mem,
                         tk_store_keys *out, tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_KEY_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = key_list;
    tk_db_list_filter_id(&list, "device_id", device_id);
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_KEY_LIST, &list, page, mem, &items,
                          &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Trusted Components ------------------------------------------------- */

#define COMPONENT_SELECT                                                    \
    "SELECT id, component_id, name, created FROM components"

static tk_err read_component(tk_store_tx *tx, const tk_db_rows *rows,
                             void *item)
{
    tk_store_component *c = item;
    c->id = tk_db_col_int(tx, rows, 0);
    c->created = tk_db_col_int(tx, rows, 3);
    tk_err err = tk_db_col_view(tx, rows, 1, &c->component_id);
    if (err == TK_OK)
        err = tk_db_col_text(tx, rows, 2, &c->name);
    return err;
}

static const tk_store_table component_table = {
    .entity = "component",
    .kind = "component",
    .get = COMPONENT_SELECT " WHERE id = $1",
    .read = read_component,
    .remove = "DELETE FROM components WHERE id = $1",
};

/* Inserts a component row; shared by component_add and version_upload. */
static tk_err insert_component(tk_store_tx *tx, tk_view component_id,
                               const char *name, const char *actor,
                               int64_t *id)
{
    const tk_db_val params[] = {tk_db_blob(component_id),
                                tk_db_text_or_empty(name),
                                tk_db_int(tx->now)};
    tk_err err = insert_row(tx,
                            "INSERT INTO components (component_id, name, "
                            "created) VALUES ($1, $2, $3) RETURNING id",
                            params, 3, id);
    if (err == TK_ERR_STORE_DUPLICATE)
        return tk_store_fail(tx, err, "a component with this identifier "
                                      "(%zu bytes) already exists",
                             component_id.len);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "component");
    return audit_change(tx, actor, "component", "add", *id, name);
}

static tk_err component_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_component *c = a->in;
    int64_t id = 0;
    tk_err err = insert_component(tx, c->component_id, c->name, a->actor, &id);
    if (err == TK_OK && a->out_id != NULL)
        *a->out_id = id;
    return err;
}

tk_err tk_store_component_add(tk_store *store,
                              const tk_store_component *component,
                              const char *actor, int64_t *id,
                              tk_store_detail *detail)
{
    if (store == NULL || component == NULL ||
        !tk_store_view_ok(component->component_id))
        return tk_store_invalid(store, TK_STORE_OP_COMPONENT_ADD, detail,
                                "store or component is NULL");
    tk_store_args a = {.in = component, .actor = actor, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_COMPONENT_ADD, TK_DB_WRITE,
                        component_add_body, &a, NULL, detail);
}

tk_err tk_store_component_get(tk_store *store, int64_t id, tk_store_mem *mem,
                              tk_store_component *out,
                              tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_COMPONENT_GET, &component_table,
                            id, mem, out, detail);
}

static tk_err component_find_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_blob(a->bytes)};
    bool found;
    tk_err err = tk_db_read_one(tx, COMPONENT_SELECT " WHERE component_id = $1",
                                params, 1, read_component, a->out, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "no component with this identifier (%zu bytes)",
                             a->bytes.len);
    return err;
}

tk_err tk_store_component_find(tk_store *store, tk_view component_id,
                               tk_store_mem *mem, tk_store_component *out,
                               tk_store_detail *detail)
{
    if (store == NULL || mem == NULL || out == NULL ||
        !tk_store_view_ok(component_id))
        return tk_store_invalid(store, TK_STORE_OP_COMPONENT_FIND, detail,
                                "store, component_id, mem or out is NULL");
    tk_store_args a = {.bytes = component_id, .out = out};
    return tk_store_run(store, TK_STORE_OP_COMPONENT_FIND, TK_DB_READ,
                        component_find_body, &a, mem, detail);
}

static tk_err component_update_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_component *c = a->in;
    const tk_db_val params[] = {tk_db_int(c->id), tk_db_text_or_empty(c->name)};
    int64_t changes = 0;
    tk_err err = tk_db_exec(tx, "UPDATE components SET name = $2 WHERE id = $1",
                            params, 2, &changes);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "component %" PRId64, c->id);
    if (changes == 0)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "component %" PRId64 " not found", c->id);
    return audit_change(tx, a->actor, "component", "update", c->id, c->name);
}

tk_err tk_store_component_update(tk_store *store,
                                 const tk_store_component *component,
                                 const char *actor, tk_store_detail *detail)
{
    if (store == NULL || component == NULL)
        return tk_store_invalid(store, TK_STORE_OP_COMPONENT_UPDATE, detail,
                                "store or component is NULL");
    tk_store_args a = {.in = component, .actor = actor};
    return tk_store_run(store, TK_STORE_OP_COMPONENT_UPDATE, TK_DB_WRITE,
                        component_update_body, &a, NULL, detail);
}

tk_err tk_store_component_delete(tk_store *store, int64_t id,
                                 const char *actor, tk_store_detail *detail)
{
    return tk_store_run_delete(store, TK_STORE_OP_COMPONENT_DELETE,
                               &component_table, id, actor, detail);
}

static const tk_db_list component_list = {
    .select = COMPONENT_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_component),
    .read = read_component,
};

tk_err tk_store_component_list(tk_store *store, const tk_store_page *page,
                               tk_store_mem *mem, tk_store_components *out,
                               tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_COMPONENT_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_COMPONENT_LIST, &component_list,
                          page, mem, &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Component versions ------------------------------------------------- */

/* The list form leaves the envelope out: it can be megabytes. */
#define VERSION_COLUMNS "id, component, sequence, digest, size, uploaded"
#define VERSION_SELECT "SELECT " VERSION_COLUMNS " FROM component_versions"
#define VERSION_SELECT_FULL                                                 \
    "SELECT " VERSION_COLUMNS ", envelope FROM component_versions"

static tk_err read_version(tk_store_tx *tx, const tk_db_rows *rows,
                           void *item)
{
    tk_store_version *v = item;
    v->id = tk_db_col_int(tx, rows, 0);
    v->component = tk_db_col_int(tx, rows, 1);
    v->sequence = (uint64_t)tk_db_col_int(tx, rows, 2);
    v->size = (uint64_t)tk_db_col_int(tx, rows, 4);
    v->uploaded = tk_db_col_int(tx, rows, 5);
    v->envelope = (tk_view){NULL, 0};
    return tk_db_col_view(tx, rows, 3, &v->digest);
}

static tk_err read_version_full(tk_store_tx *tx, const tk_db_rows *rows,
                                void *item)
{
    tk_store_version *v = item;
    tk_err err = read_version(tx, rows, item);
    if (err == TK_OK)
        err = tk_db_col_view(tx, rows, 6, &v->envelope);
    return err;
}

static const tk_store_table version_table = {
    .entity = "version",
    .kind = "version",
    .get = VERSION_SELECT_FULL " WHERE id = $1",
    .read = read_version_full,
    .remove = "DELETE FROM component_versions WHERE id = $1",
};

/* Inserts a version of component. */
static tk_err insert_version(tk_store_tx *tx, int64_t component,
                             const tk_store_version *v, const char *actor,
                             int64_t *id)
{
    const tk_db_val params[] = {
        tk_db_int(component), tk_db_int((int64_t)v->sequence),
        tk_db_blob(v->digest), tk_db_blob(v->envelope),
        tk_db_int((int64_t)v->envelope.len), tk_db_int(tx->now),
    };
    tk_err err = insert_row(tx,
                            "INSERT INTO component_versions (component, "
                            "sequence, digest, envelope, size, uploaded) "
                            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                            params, 6, id);
    if (err == TK_ERR_STORE_DUPLICATE)
        return tk_store_fail(tx, err, "component %" PRId64 " already has a "
                                      "version with sequence number %" PRIu64
                                      " or this digest",
                             component, v->sequence);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err, "component %" PRId64 " not found",
                             component);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "version of component %" PRId64,
                                 component);
    char text[64];
    snprintf(text, sizeof text, "component=%" PRId64 " sequence=%" PRIu64,
             component, v->sequence);
    return audit_change(tx, actor, "version", "add", *id, text);
}

static bool version_ok(const tk_store_version *v)
{
    return v != NULL && v->sequence <= (uint64_t)INT64_MAX &&
           tk_store_view_ok(v->digest) && tk_store_view_ok(v->envelope);
}

static tk_err version_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_version *v = a->in;
    int64_t id = 0;
    tk_err err = insert_version(tx, v->component, v, a->actor, &id);
    if (err == TK_OK && a->out_id != NULL)
        *a->out_id = id;
    return err;
}

tk_err tk_store_version_add(tk_store *store, const tk_store_version *version,
                            const char *actor, int64_t *id,
                            tk_store_detail *detail)
{
    if (store == NULL || !version_ok(version))
        return tk_store_invalid(store, TK_STORE_OP_VERSION_ADD, detail,
                                "version is NULL or its sequence number is "
                                "above INT64_MAX");
    tk_store_args a = {.in = version, .actor = actor, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_VERSION_ADD, TK_DB_WRITE,
                        version_add_body, &a, NULL, detail);
}

static tk_err version_upload_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_blob(a->bytes)};
    int64_t component = 0;
    bool found;
    tk_err err = tk_db_query_int(tx,
                                 "SELECT id FROM components "
                                 "WHERE component_id = $1",
                                 params, 1, &component, &found);
    if (err == TK_OK && !found)
        err = insert_component(tx, a->bytes, a->text, a->actor, &component);
    int64_t id = 0;
    if (err == TK_OK)
        err = insert_version(tx, component, a->in, a->actor, &id);
    if (err == TK_OK) {
        if (a->out_id != NULL)
            *a->out_id = id;
        if (a->out_id2 != NULL)
            *a->out_id2 = component;
    }
    return err;
}

tk_err tk_store_version_upload(tk_store *store, tk_view component_id,
                               const char *name,
                               const tk_store_version *version,
                               const char *actor, int64_t *component,
                               int64_t *id, tk_store_detail *detail)
{
    if (store == NULL || !version_ok(version) ||
        !tk_store_view_ok(component_id))
        return tk_store_invalid(store, TK_STORE_OP_VERSION_UPLOAD, detail,
                                "version or component_id is NULL, or the "
                                "sequence number is above INT64_MAX");
    tk_store_args a = {.bytes = component_id, .text = name, .in = version,
                       .actor = actor, .out_id = id, .out_id2 = component};
    return tk_store_run(store, TK_STORE_OP_VERSION_UPLOAD, TK_DB_WRITE,
                        version_upload_body, &a, NULL, detail);
}

tk_err tk_store_version_get(tk_store *store, int64_t id, tk_store_mem *mem,
                            tk_store_version *out, tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_VERSION_GET, &version_table, id,
                            mem, out, detail);
}

static tk_err version_latest_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_db_val params[] = {tk_db_int(a->id)};
    bool found;
    tk_err err = tk_db_read_one(tx,
                                VERSION_SELECT_FULL " WHERE component = $1 "
                                "ORDER BY sequence DESC LIMIT 1",
                                params, 1, read_version_full, a->out, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "component %" PRId64 " has no version", a->id);
    return err;
}

tk_err tk_store_version_latest(tk_store *store, int64_t component,
                               tk_store_mem *mem, tk_store_version *out,
                               tk_store_detail *detail)
{
    tk_store_args a = {.id = component, .out = out};
    return tk_store_run_read(store, TK_STORE_OP_VERSION_LATEST,
                             version_latest_body, &a, 0, mem, detail);
}

tk_err tk_store_version_delete(tk_store *store, int64_t id, const char *actor,
                               tk_store_detail *detail)
{
    return tk_store_run_delete(store, TK_STORE_OP_VERSION_DELETE,
                               &version_table, id, actor, detail);
}

static const tk_db_list version_list = {
    .select = VERSION_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_version),
    .read = read_version,
};

tk_err tk_store_version_list(tk_store *store, int64_t component,
                             const tk_store_page *page, tk_store_mem *mem,
                             tk_store_versions *out, tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_VERSION_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = version_list;
    tk_db_list_filter_id(&list, "component", component);
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_VERSION_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Policy ------------------------------------------------------------- */

#define POLICY_SELECT                                                       \
    "SELECT id, device_id, class_id, component, action, created FROM policy"

static tk_err read_policy(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    tk_store_policy *p = item;
    p->id = tk_db_col_int(tx, rows, 0);
    p->device_id = tk_db_col_int(tx, rows, 1);
    p->class_id = tk_db_col_int(tx, rows, 2);
    p->component = tk_db_col_int(tx, rows, 3);
    p->action = (tk_store_policy_action)tk_db_col_int(tx, rows, 4);
    p->created = tk_db_col_int(tx, rows, 5);
    return TK_OK;
}

static const tk_store_table policy_table = {
    .entity = "policy rule",
    .kind = "policy",
    .get = POLICY_SELECT " WHERE id = $1",
    .read = read_policy,
    .remove = "DELETE FROM policy WHERE id = $1",
};

static tk_err policy_set_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_policy *p = a->in;
    const tk_db_val params[] = {
        tk_db_ref(p->device_id), tk_db_ref(p->class_id),
        tk_db_int(p->component), tk_db_int((int64_t)p->action),
        tk_db_int(tx->now),
    };
    /* The upsert names the unique key of the rule's target; a NULL device
     * or class never conflicts, so each rule has exactly one key. */
    const char *sql =
        p->device_id != 0
            ? "INSERT INTO policy (device_id, class_id, component, action, "
              "created) VALUES ($1, $2, $3, $4, $5) "
              "ON CONFLICT (device_id, component) "
              "DO UPDATE SET action = excluded.action RETURNING id"
            : "INSERT INTO policy (device_id, class_id, component, action, "
              "created) VALUES ($1, $2, $3, $4, $5) "
              "ON CONFLICT (class_id, component) "
              "DO UPDATE SET action = excluded.action RETURNING id";
    int64_t id = 0;
    tk_err err = insert_row(tx, sql, params, 5, &id);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err,
                             "device %" PRId64 ", class %" PRId64
                             " or component %" PRId64 " not found",
                             p->device_id, p->class_id, p->component);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "policy for component %" PRId64,
                                 p->component);
    if (a->out_id != NULL)
        *a->out_id = id;
    char text[96];
    snprintf(text, sizeof text,
             "device=%" PRId64 " class=%" PRId64 " component=%" PRId64
             " action=%d",
             p->device_id, p->class_id, p->component, (int)p->action);
    return audit_change(tx, a->actor, "policy", "set", id, text);
}

tk_err tk_store_policy_set(tk_store *store, const tk_store_policy *policy,
                           const char *actor, int64_t *id,
                           tk_store_detail *detail)
{
    if (store == NULL || policy == NULL)
        return tk_store_invalid(store, TK_STORE_OP_POLICY_SET, detail,
                                "store or policy is NULL");
    if ((policy->device_id == 0) == (policy->class_id == 0))
        return tk_store_invalid(store, TK_STORE_OP_POLICY_SET, detail,
                                "a rule names exactly one of device_id and "
                                "class_id");
    tk_store_args a = {.in = policy, .actor = actor, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_POLICY_SET, TK_DB_WRITE,
                        policy_set_body, &a, NULL, detail);
}

tk_err tk_store_policy_get(tk_store *store, int64_t id, tk_store_mem *mem,
                           tk_store_policy *out, tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_POLICY_GET, &policy_table, id,
                            mem, out, detail);
}

tk_err tk_store_policy_delete(tk_store *store, int64_t id, const char *actor,
                              tk_store_detail *detail)
{
    return tk_store_run_delete(store, TK_STORE_OP_POLICY_DELETE, &policy_table,
                               id, actor, detail);
}

static const tk_db_list policy_list = {
    .select = POLICY_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_policy),
    .read = read_policy,
};

tk_err tk_store_policy_list(tk_store *store, int64_t device_id,
                            int64_t class_id, const tk_store_page *page,
                            tk_store_mem *mem, tk_store_policies *out,
                            tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_POLICY_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = policy_list;
    tk_db_list_filter_id(&list, "device_id", device_id);
    tk_db_list_filter_id(&list, "class_id", class_id);
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_POLICY_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

/* ---- Reference values --------------------------------------------------- */

#define REFVAL_COLUMNS "id, device_id, class_id, kind, label, value, created"
#define REFVAL_SELECT "SELECT " REFVAL_COLUMNS " FROM reference_values"

static tk_err read_refval(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    tk_store_refval *r = item;
    r->id = tk_db_col_int(tx, rows, 0);
    r->device_id = tk_db_col_int(tx, rows, 1);
    r->class_id = tk_db_col_int(tx, rows, 2);
    r->kind = (tk_store_refval_kind)tk_db_col_int(tx, rows, 3);
    r->created = tk_db_col_int(tx, rows, 6);
    tk_err err = tk_db_col_view(tx, rows, 4, &r->label);
    if (err == TK_OK)
        err = tk_db_col_view(tx, rows, 5, &r->value);
    return err;
}

static const tk_store_table refval_table = {
    .entity = "reference value",
    .kind = "refval",
    .get = REFVAL_SELECT " WHERE id = $1",
    .read = read_refval,
    .remove = "DELETE FROM reference_values WHERE id = $1",
};

static tk_err refval_add_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    const tk_store_refval *r = a->in;
    const tk_db_val params[] = {
        tk_db_ref(r->device_id), tk_db_ref(r->class_id),
        tk_db_int((int64_t)r->kind), tk_db_blob(r->label),
        tk_db_blob(r->value), tk_db_int(tx->now),
    };
    int64_t id = 0;
    tk_err err = insert_row(tx,
                            "INSERT INTO reference_values (device_id, "
                            "class_id, kind, label, value, created) "
                            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                            params, 6, &id);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err,
                             "device %" PRId64 " or class %" PRId64
                             " not found",
                             r->device_id, r->class_id);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "reference value of kind %d",
                                 (int)r->kind);
    if (a->out_id != NULL)
        *a->out_id = id;
    char text[80];
    snprintf(text, sizeof text, "device=%" PRId64 " class=%" PRId64 " kind=%d",
             r->device_id, r->class_id, (int)r->kind);
    return audit_change(tx, a->actor, "refval", "add", id, text);
}

tk_err tk_store_refval_add(tk_store *store, const tk_store_refval *refval,
                           const char *actor, int64_t *id,
                           tk_store_detail *detail)
{
    if (store == NULL || refval == NULL || !tk_store_view_ok(refval->label) ||
        !tk_store_view_ok(refval->value))
        return tk_store_invalid(store, TK_STORE_OP_REFVAL_ADD, detail,
                                "store or reference value is NULL");
    if ((refval->device_id == 0) == (refval->class_id == 0))
        return tk_store_invalid(store, TK_STORE_OP_REFVAL_ADD, detail,
                                "a reference value names exactly one of "
                                "device_id and class_id");
    tk_store_args a = {.in = refval, .actor = actor, .out_id = id};
    return tk_store_run(store, TK_STORE_OP_REFVAL_ADD, TK_DB_WRITE,
                        refval_add_body, &a, NULL, detail);
}

tk_err tk_store_refval_get(tk_store *store, int64_t id, tk_store_mem *mem,
                           tk_store_refval *out, tk_store_detail *detail)
{
    return tk_store_run_get(store, TK_STORE_OP_REFVAL_GET, &refval_table, id,
                            mem, out, detail);
}

tk_err tk_store_refval_delete(tk_store *store, int64_t id, const char *actor,
                              tk_store_detail *detail)
{
    return tk_store_run_delete(store, TK_STORE_OP_REFVAL_DELETE, &refval_table,
                               id, actor, detail);
}

static const tk_db_list refval_list = {
    .select = REFVAL_SELECT,
    .id = "id",
    .item_size = sizeof(tk_store_refval),
    .read = read_refval,
};

tk_err tk_store_refval_list(tk_store *store, int64_t device_id,
                            int64_t class_id, const tk_store_page *page,
                            tk_store_mem *mem, tk_store_refvals *out,
                            tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, TK_STORE_OP_REFVAL_LIST, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    tk_db_list list = refval_list;
    tk_db_list_filter_id(&list, "device_id", device_id);
    tk_db_list_filter_id(&list, "class_id", class_id);
    const void *items = NULL;
    tk_err err =
        tk_store_run_list(store, TK_STORE_OP_REFVAL_LIST, &list, page, mem,
                          &items, &out->count, &out->next, detail);
    out->items = items;
    return err;
}

static tk_err refval_for_device_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_store_refvals *out = a->out;
    const tk_db_val params[] = {tk_db_int(a->id)};
    int64_t exists = 0;
    bool found;
    tk_err err = tk_db_query_int(tx, "SELECT id FROM devices WHERE id = $1",
                                 params, 1, &exists, &found);
    if (err != TK_OK)
        return err;
    if (!found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device %" PRId64 " not found", a->id);
    const void *items;
    err = tk_db_read_all(tx,
                         REFVAL_SELECT " WHERE device_id = $1 OR class_id = "
                         "(SELECT class_id FROM devices WHERE id = $1) "
                         "ORDER BY id",
                         params, 1, sizeof(tk_store_refval), read_refval,
                         TK_STORE_MAX_REFVALS, "reference values", &items,
                         &out->count);
    out->items = items;
    return err;
}

static tk_err device_references_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_store_keys *keys = a->out2;
    tk_err err = refval_for_device_body(tx, arg);
    if (err != TK_OK)
        return err;
    const tk_db_val params[] = {tk_db_int(a->id)};
    const void *items;
    err = tk_db_read_all(tx, KEY_SELECT " WHERE device_id = $1 ORDER BY id",
                         params, 1, sizeof(tk_store_key), read_key,
                         TK_STORE_MAX_DEVICE_KEYS, "keys of one device",
                         &items, &keys->count);
    keys->items = items;
    return err;
}

tk_err tk_store_device_references(tk_store *store, int64_t device_id,
                                  tk_store_mem *mem, tk_store_keys *keys,
                                  tk_store_refvals *refvals,
                                  tk_store_detail *detail)
{
    if (store == NULL || mem == NULL || keys == NULL || refvals == NULL)
        return tk_store_invalid(store, TK_STORE_OP_DEVICE_REFERENCES, detail,
                                "store, mem, keys or refvals is NULL");
    memset(keys, 0, sizeof *keys);
    memset(refvals, 0, sizeof *refvals);
    tk_store_args a = {.id = device_id, .out = refvals, .out2 = keys};
    return tk_store_run(store, TK_STORE_OP_DEVICE_REFERENCES, TK_DB_READ,
                        device_references_body, &a, mem, detail);
}

/* Appends more[0..count) to list, in a new array in tx->mem. */
static tk_err join_refvals(tk_store_tx *tx, tk_store_refvals *list,
                           const void *more, size_t count)
{
    size_t size = sizeof(tk_store_refval);
    tk_store_refval *all = tk_store_mem_alloc(tx->mem,
                                              (list->count + count) * size);
    if (all == NULL)
        return tk_store_fail(tx, TK_ERR_STORE_NOMEM,
                             "out of memory for %zu reference values",
                             list->count + count);
    if (list->count > 0)
        memcpy(all, list->items, list->count * size);
    memcpy(all + list->count, more, count * size);
    list->items = all;
    list->count += count;
    return TK_OK;
}

/* Reads the device's context: each statement follows an index, and none
 * needs a sort. */
static tk_err device_context_body(tk_store_tx *tx, void *arg)
{
    tk_store_args *a = arg;
    tk_store_device_context *out = a->out;
    const tk_db_val id[] = {tk_db_int(a->id)};
    int64_t class_id = 0;
    bool found;
    tk_err err = tk_db_query_int(tx, "SELECT class_id FROM devices "
                                     "WHERE id = $1",
                                 id, 1, &class_id, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "device %" PRId64 " not found", a->id);
    const void *items = NULL;
    size_t own = 0;
    if (err == TK_OK)
        err = tk_db_read_all(tx, REFVAL_SELECT " WHERE device_id = $1", id, 1,
                             sizeof(tk_store_refval), read_refval,
                             TK_STORE_MAX_REFVALS, "reference values",
                             &items, &own);
    out->refvals.items = items;
    out->refvals.count = own;
    if (err == TK_OK && class_id != 0) {
        /* The class's values follow the device's in one array. */
        const tk_db_val cls[] = {tk_db_int(class_id)};
        size_t shared = 0;
        const void *more;
        err = tk_db_read_all(tx, REFVAL_SELECT " WHERE class_id = $1", cls, 1,
                             sizeof(tk_store_refval), read_refval,
                             TK_STORE_MAX_REFVALS - own, "reference values",
                             &more, &shared);
        if (err == TK_OK && shared > 0)
            err = join_refvals(tx, &out->refvals, more, shared);
    }
    if (err == TK_OK)
        err = tk_db_read_all(tx, KEY_SELECT " WHERE device_id = $1", id, 1,
                             sizeof(tk_store_key), read_key,
                             TK_STORE_MAX_DEVICE_KEYS, "keys of one device",
                             &items, &out->keys.count);
    out->keys.items = err == TK_OK ? items : NULL;
    if (err == TK_OK)
        err = tk_db_read_all(tx,
                             "SELECT id, device_id, component_id, sequence, "
                             "digest, reported FROM installed "
                             "WHERE device_id = $1",
                             id, 1, sizeof(tk_store_installed),
                             tk_store_read_installed, TK_STORE_MAX_INSTALLED,
                             "installed entries of one device", &items,
                             &out->installed.count);
    out->installed.items = err == TK_OK ? items : NULL;
    return err;
}

tk_err tk_store_device_context_get(tk_store *store, int64_t device_id,
                                   tk_store_mem *mem,
                                   tk_store_device_context *out,
                                   tk_store_detail *detail)
{
    tk_store_args a = {.id = device_id, .out = out};
    return tk_store_run_read(store, TK_STORE_OP_DEVICE_CONTEXT,
                             device_context_body, &a, sizeof *out, mem, detail);
}

tk_err tk_store_refval_for_device(tk_store *store, int64_t device_id,
                                  tk_store_mem *mem, tk_store_refvals *out,
                                  tk_store_detail *detail)
{
    tk_store_args a = {.id = device_id, .out = out};
    return tk_store_run_read(store, TK_STORE_OP_REFVAL_FOR_DEVICE,
                             refval_for_device_body, &a, sizeof *out, mem,
                             detail);
}
