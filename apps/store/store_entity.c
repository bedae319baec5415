/*
 * Parts of the public operations that every entity table of the TAM store
 * shares, such as the check of a read call's arguments and the run of one
 * page of a list.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

bool tk_store_out_ok(tk_store *store, tk_store_op op, const tk_store_mem *mem,
                     const void *out, tk_store_detail *detail)
{
    if (store != NULL && mem != NULL && out != NULL)
        return true;
    tk_store_invalid(store, op, detail, "store, mem or out is NULL");
    return false;
}

tk_err tk_store_run_read(tk_store *store, tk_store_op op, tk_store_body body,
                         tk_store_args *a, size_t clear, tk_store_mem *mem,
                         tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, op, mem, a->out, detail))
        return TK_ERR_INVALID_ARG;
    memset(a->out, 0, clear);
    return tk_store_run(store, op, TK_DB_READ, body, a, mem, detail);
}

/* ---- Lists -------------------------------------------------------------- */

/* Arguments of list_body(). */
typedef struct list_args {
    const tk_db_list *list;
    const tk_store_page *page;
    const void **items;
    size_t *count;
    int64_t *next;
} list_args;

static tk_err list_body(tk_store_tx *tx, void *arg)
{
    list_args *a = arg;
    return tk_db_list_page(tx, a->list, a->page, a->items, a->count, a->next);
}

tk_err tk_store_run_list(tk_store *store, tk_store_op op,
                         const tk_db_list *list, const tk_store_page *page,
                         tk_store_mem *mem, const void **items, size_t *count,
                         int64_t *next, tk_store_detail *detail)
{
    *items = NULL;
    *count = 0;
    *next = 0;
    list_args a = {.list = list,
                   .page = page,
                   .items = items,
                   .count = count,
                   .next = next};
    return tk_store_run(store, op, TK_DB_READ, list_body, &a, mem, detail);
}

/* ---- Rows by id --------------------------------------------------------- */

void tk_store_object_name(char out[TK_STORE_OBJECT_MAX], const char *kind,
                          int64_t id)
{
    snprintf(out, TK_STORE_OBJECT_MAX, "%s/%" PRId64, kind, id);
}

tk_err tk_store_get_row(tk_store_tx *tx, const tk_store_table *table,
                        int64_t id, void *item)
{
    const tk_db_val params[] = {tk_db_int(id)};
    bool found;
    tk_err err =
        tk_db_read_one(tx, table->get, params, 1, table->read, item, &found);
    if (err == TK_OK && !found)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "%s %" PRId64 " not found", table->entity, id);
    return err;
}

/* Arguments of get_body() and delete_body(). */
typedef struct row_args {
    const tk_store_table *table;
    int64_t id;
    void *out;
    const char *actor;
} row_args;

static tk_err get_body(tk_store_tx *tx, void *arg)
{
    row_args *a = arg;
    return tk_store_get_row(tx, a->table, a->id, a->out);
}

tk_err tk_store_run_get(tk_store *store, tk_store_op op,
                        const tk_store_table *table, int64_t id,
                        tk_store_mem *mem, void *out, tk_store_detail *detail)
{
    if (!tk_store_out_ok(store, op, mem, out, detail))
        return TK_ERR_INVALID_ARG;
    row_args a = {.table = table, .id = id, .out = out};
    return tk_store_run(store, op, TK_DB_READ, get_body, &a, mem, detail);
}

static tk_err delete_body(tk_store_tx *tx, void *arg)
{
    row_args *a = arg;
    const tk_store_table *table = a->table;
    int64_t changes = 0;
    const tk_db_val params[] = {tk_db_int(a->id)};
    tk_err err = tk_db_exec(tx, table->remove, params, 1, &changes);
    if (err == TK_ERR_STORE_REFERENCE)
        return tk_store_fail(tx, err,
                             "%s %" PRId64 " is still referenced (by "
                             "devices, policy or other entries); remove "
                             "those first",
                             table->entity, a->id);
    if (err != TK_OK)
        return tk_store_annotate(tx, err, "%s %" PRId64, table->entity, a->id);
    if (changes == 0)
        return tk_store_fail(tx, TK_ERR_STORE_NOT_FOUND,
                             "%s %" PRId64 " not found", table->entity, a->id);
    char object[TK_STORE_OBJECT_MAX];
    char action[32];
    tk_store_object_name(object, table->kind, a->id);
    snprintf(action, sizeof action, "%s.delete", table->kind);
    return tk_store_audit_write(tx, a->actor, action, object, NULL);
}

tk_err tk_store_run_delete(tk_store *store, tk_store_op op,
                           const tk_store_table *table, int64_t id,
                           const char *actor, tk_store_detail *detail)
{
    if (store == NULL)
        return tk_store_invalid(store, op, detail, "store is NULL");
    row_args a = {.table = table, .id = id, .actor = actor};
    return tk_store_run(store, op, TK_DB_WRITE, delete_body, &a, NULL, detail);
}
