/*
 * SQL helpers shared by the operations of the TAM store: parameter values,
 * statement execution through the driver, column copies into result memory,
 * paged and bounded lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* Longest SQL text a paged list builds. */
#define LIST_SQL_MAX 1024

tk_db_val tk_db_int(int64_t value)
{
    return (tk_db_val){.type = TK_DB_INT, .i = value};
}

tk_db_val tk_db_ref(int64_t id)
{
    return (tk_db_val){.type = TK_DB_INT, .null = id == 0, .i = id};
}

tk_db_val tk_db_text(const char *s)
{
    return (tk_db_val){.type = TK_DB_TEXT, .null = s == NULL, .ptr = s,
                       .len = s == NULL ? 0 : strlen(s)};
}

tk_db_val tk_db_text_or_empty(const char *s)
{
    return tk_db_text(s == NULL ? "" : s);
}

tk_db_val tk_db_blob(tk_view v)
{
    return (tk_db_val){.type = TK_DB_BLOB, .ptr = v.ptr, .len = v.len};
}

tk_db_val tk_db_blob_or_null(tk_view v)
{
    return (tk_db_val){.type = TK_DB_BLOB, .null = v.len == 0, .ptr = v.ptr,
                       .len = v.len};
}

/* ---- Statements --------------------------------------------------------- */

/* True when s[0..len) is well-formed UTF-8 (RFC 3629): no overlong forms,
 * no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t extra;
        uint32_t min;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1;
            min = 0x80;
            cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            min = 0x800;
            cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            min = 0x10000;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (len - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

tk_err tk_db_query(tk_store_tx *tx, const char *sql, const tk_db_val *params,
                   size_t count, tk_db_rows *rows)
{
    memset(rows, 0, sizeof *rows);
    /* PostgreSQL rejects text that is not UTF-8 and SQLite stores it, so
     * the check happens here, once for both. */
    for (size_t i = 0; i < count; i++) {
        const tk_db_val *v = &params[i];
        if (v->type == TK_DB_TEXT && !v->null && !valid_utf8(v->ptr, v->len))
            return tk_store_fail(tx, TK_ERR_STORE_CONSTRAINT,
                                 "text parameter %zu is not valid UTF-8",
                                 i + 1);
    }
    return tx->driver->query(tx->conn, sql, params, count, rows, tx->detail);
}

tk_err tk_db_next(tk_store_tx *tx, tk_db_rows *rows, bool *has_row)
{
    return tx->driver->step(rows, has_row, tx->detail);
}

void tk_db_done(tk_store_tx *tx, tk_db_rows *rows)
{
    tx->driver->finish(rows);
}

tk_err tk_db_exec(tk_store_tx *tx, const char *sql, const tk_db_val *params,
                  size_t count, int64_t *changes)
{
    tk_db_rows rows;
    tk_err err = tk_db_query(tx, sql, params, count, &rows);
    if (err != TK_OK)
        return err;
    bool has_row = true;
    /* A statement without RETURNING yields no row; bound the loop anyway
     * in case a caller runs a query here by mistake. */
    for (int i = 0; i < 1000000 && err == TK_OK && has_row; i++)
        err = tk_db_next(tx, &rows, &has_row);
    if (err == TK_OK && changes != NULL)
        *changes = rows.changes;
    tk_db_done(tx, &rows);
    return err;
}

/* Reads the first column of a row into the int64_t at item (NULL reads as
 * 0). */
static tk_err read_int(tk_store_tx *tx, const tk_db_rows *rows, void *item)
{
    *(int64_t *)item = tk_db_col_int(tx, rows, 0);
    return TK_OK;
}

tk_err tk_db_query_int(tk_store_tx *tx, const char *sql,
                       const tk_db_val *params, size_t count, int64_t *value,
                       bool *found)
{
    *value = 0;
    return tk_db_read_one(tx, sql, params, count, read_int, value, found);
}

tk_err tk_db_insert_id(tk_store_tx *tx, const char *sql,
                       const char *sql_returning, const tk_db_val *params,
                       size_t count, int64_t *id)
{
    *id = 0;
    if (tx->driver->last_insert_id == NULL) {
        bool found = false;
        return tk_db_query_int(tx, sql_returning, params, count, id, &found);
    }
    int64_t changes = 0;
    tk_err err = tk_db_exec(tx, sql, params, count, &changes);
    if (err == TK_OK && changes > 0)
        *id = tx->driver->last_insert_id(tx->conn);
    return err;
}

tk_err tk_db_read_one(tk_store_tx *tx, const char *sql,
                      const tk_db_val *params, size_t count,
                      tk_db_read_fn read, void *item, bool *found)
{
    tk_db_rows rows;
    *found = false;
    tk_err err = tk_db_query(tx, sql, params, count, &rows);
    if (err != TK_OK)
        return err;
    bool has_row;
    err = tk_db_next(tx, &rows, &has_row);
    if (err == TK_OK && has_row) {
        *found = true;
        err = read(tx, &rows, item);
    }
    tk_db_done(tx, &rows);
    return err;
}

/* ---- Columns ------------------------------------------------------------ */

bool tk_db_col_null(tk_store_tx *tx, const tk_db_rows *rows, int column)
{
    return tx->driver->column_null(rows, column);
}

int64_t tk_db_col_int(tk_store_tx *tx, const tk_db_rows *rows, int column)
{
    if (tx->driver->column_null(rows, column))
        return 0;
    return tx->driver->column_int(rows, column);
}

/* Copies len bytes plus a NUL into tx->mem. */
static tk_err copy_bytes(tk_store_tx *tx, tk_view v, uint8_t **out)
{
    uint8_t *p = tk_store_mem_alloc(tx->mem, v.len + 1);
    if (p == NULL)
        return tk_store_fail(tx, TK_ERR_STORE_NOMEM,
                             "out of memory copying a %zu-byte column", v.len);
    if (v.len > 0)
        memcpy(p, v.ptr, v.len);
    p[v.len] = '\0';
    *out = p;
    return TK_OK;
}

tk_err tk_db_col_view(tk_store_tx *tx, const tk_db_rows *rows, int column,
                      tk_view *out)
{
    *out = (tk_view){NULL, 0};
    if (tx->driver->column_null(rows, column))
        return TK_OK;
    tk_view v = tx->driver->column_bytes(rows, column);
    uint8_t *p = NULL;
    tk_err err = copy_bytes(tx, v, &p);
    if (err == TK_OK)
        *out = (tk_view){p, v.len};
    return err;
}

tk_err tk_db_col_text(tk_store_tx *tx, const tk_db_rows *rows, int column,
                      const char **out)
{
    tk_view v = {NULL, 0};
    if (!tx->driver->column_null(rows, column))
        v = tx->driver->column_bytes(rows, column);
    uint8_t *p = NULL;
    tk_err err = copy_bytes(tx, v, &p);
    *out = err == TK_OK ? (const char *)p : "";
    return err;
}

/* ---- Lists -------------------------------------------------------------- */

/* Growing array of entity structs, copied into tx->mem when complete. */
typedef struct item_buffer {
    unsigned char *data;
    size_t size;
    size_t count;
    size_t capacity;
} item_buffer;

static void *buffer_push(item_buffer *buf)
{
    if (buf->count == buf->capacity) {
        size_t capacity = buf->capacity == 0 ? 16 : buf->capacity * 2;
        unsigned char *data = realloc(buf->data, capacity * buf->size);
        if (data == NULL)
            return NULL;
        buf->data = data;
        buf->capacity = capacity;
    }
    void *item = buf->data + buf->count * buf->size;
    memset(item, 0, buf->size);
    buf->count++;
    return item;
}

static tk_err buffer_finish(tk_store_tx *tx, item_buffer *buf,
                            const void **items)
{
    *items = NULL;
    if (buf->count > 0) {
        void *copy = tk_store_mem_alloc(tx->mem, buf->count * buf->size);
        if (copy == NULL)
            return tk_store_fail(tx, TK_ERR_STORE_NOMEM,
                                 "out of memory for %zu results", buf->count);
        memcpy(copy, buf->data, buf->count * buf->size);
        *items = copy;
    }
    return TK_OK;
}

/* Reads up to max rows (and one more, to detect overflow) into buf. */
static tk_err read_rows(tk_store_tx *tx, tk_db_rows *rows, item_buffer *buf,
                        tk_db_read_fn read, size_t max, bool *more)
{
    *more = false;
    for (;;) {
        bool has_row;
        tk_err err = tk_db_next(tx, rows, &has_row);
        if (err != TK_OK)
            return err;
        if (!has_row)
            return TK_OK;
        if (buf->count == max) {
            *more = true;
            return TK_OK;
        }
        void *item = buffer_push(buf);
        if (item == NULL)
            return tk_store_fail(tx, TK_ERR_STORE_NOMEM,
                                 "out of memory reading row %zu", buf->count);
        err = read(tx, rows, item);
        if (err != TK_OK)
            return err;
    }
}

void tk_db_list_filter(tk_db_list *list, const char *column, tk_db_val value)
{
    if (list->filters < TK_DB_MAX_FILTERS) {
        list->filter[list->filters] = column;
        list->value[list->filters] = value;
        list->filters++;
    }
}

void tk_db_list_filter_id(tk_db_list *list, const char *column, int64_t id)
{
    if (id != 0)
        tk_db_list_filter(list, column, tk_db_int(id));
}

tk_err tk_db_list_page(tk_store_tx *tx, const tk_db_list *list,
                       const tk_store_page *page, const void **items,
                       size_t *count, int64_t *next)
{
    static const tk_store_page first_page = {0, 0, false};
    if (page == NULL)
        page = &first_page;
    size_t limit = page->limit == 0 ? TK_STORE_PAGE_DEFAULT : page->limit;
    *items = NULL;
    *count = 0;
    *next = 0;
    if (limit > TK_STORE_MAX_PAGE)
        return tk_store_fail(tx, TK_ERR_LIMIT,
                             "page limit %zu is above TK_STORE_MAX_PAGE (%d)",
                             limit, TK_STORE_MAX_PAGE);

    char sql[LIST_SQL_MAX];
    tk_db_val params[TK_DB_MAX_FILTERS + 2];
    size_t n = 0;
    int len = snprintf(sql, sizeof sql, "%s WHERE 1 = 1", list->select);
    for (size_t i = 0; i < list->filters && len > 0; i++) {
        params[n] = list->value[i];
        n++;
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND %s = $%zu",
                        list->filter[i], n);
    }
    if (page->after != 0 && len > 0 && (size_t)len < sizeof sql) {
        params[n] = tk_db_int(page->after);
        n++;
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND %s %c $%zu",
                        list->id, page->newest_first ? '<' : '>', n);
    }
    if (len > 0 && (size_t)len < sizeof sql) {
        params[n] = tk_db_int((int64_t)limit + 1);
        n++;
        len += snprintf(sql + len, sizeof sql - (size_t)len,
                        " ORDER BY %s %s LIMIT $%zu", list->id,
                        page->newest_first ? "DESC" : "ASC", n);
    }
    if (len <= 0 || (size_t)len >= sizeof sql)
        return tk_store_fail(tx, TK_ERR_INTERNAL, "list query too long");

    tk_db_rows rows;
    tk_err err = tk_db_query(tx, sql, params, n, &rows);
    if (err != TK_OK)
        return err;
    item_buffer buf = {NULL, list->item_size, 0, 0};
    bool more;
    err = read_rows(tx, &rows, &buf, list->read, limit, &more);
    tk_db_done(tx, &rows);
    if (err == TK_OK)
        err = buffer_finish(tx, &buf, items);
    if (err == TK_OK) {
        *count = buf.count;
        /* Every entity struct starts with its int64_t id. */
        if (more && buf.count > 0)
            memcpy(next, buf.data + (buf.count - 1) * buf.size,
                   sizeof *next);
    }
    free(buf.data);
    return err;
}

tk_err tk_db_read_all(tk_store_tx *tx, const char *sql,
                      const tk_db_val *params, size_t count,
                      size_t item_size, tk_db_read_fn read, size_t max,
                      const char *what, const void **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    tk_db_rows rows;
    tk_err err = tk_db_query(tx, sql, params, count, &rows);
    if (err != TK_OK)
        return err;
    item_buffer buf = {NULL, item_size, 0, 0};
    bool more;
    err = read_rows(tx, &rows, &buf, read, max, &more);
    tk_db_done(tx, &rows);
    if (err == TK_OK && more)
        err = tk_store_fail(tx, TK_ERR_LIMIT,
                            "more than %zu %s; raise the matching "
                            "TK_STORE_MAX_ constant",
                            max, what);
    if (err == TK_OK)
        err = buffer_finish(tx, &buf, items);
    if (err == TK_OK)
        *n = buf.count;
    free(buf.data);
    return err;
}
