/*
 * Parts of the public operations that every entity table of the TAM store
 * shares, such as the check of a read call's arguments and the run of one
 * page of a list.
 */
#include "store_internal.h"

bool tk_store_out_ok(tk_store *store, tk_store_op op, const tk_store_mem *mem,
                     const void *out, tk_store_detail *detail)
{
    if (store != NULL && mem != NULL && out != NULL)
        return true;
    tk_store_invalid(store, op, detail, "store, mem or out is NULL");
    return false;
}

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
