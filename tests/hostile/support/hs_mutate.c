/* Parser, mutations and serializer of the hostile tables; see hs_mutate.h. */
#include "hs_mutate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 48

/* ---- Parsing ---------------------------------------------------------- */

typedef struct parser {
    hs_tree *t;
    const uint8_t *buf;
    size_t len;
    size_t off;
} parser;

static bool read_head(parser *p, uint8_t *major, uint8_t *ai, uint64_t *arg)
{
    if (p->off >= p->len)
        return false;
    uint8_t ib = p->buf[p->off++];
    *major = (uint8_t)(ib >> 5);
    *ai = ib & 31u;
    if (*ai < 24) {
        *arg = *ai;
        return true;
    }
    if (*ai > 27)
        return false; /* reserved or indefinite */
    size_t n = (size_t)1 << (*ai - 24);
    if (p->len - p->off < n)
        return false;
    *arg = 0;
    for (size_t i = 0; i < n; i++)
        *arg = *arg << 8 | p->buf[p->off++];
    return true;
}

static int parse_item(parser *p, int parent, unsigned depth, size_t index,
                      bool is_key, int64_t key);

/* Parses count children of node self; returns false on failure. */
static bool parse_children(parser *p, int self, uint64_t count, bool map,
                           unsigned depth)
{
    int prev = HS_NO_NODE;
    int64_t key = INT64_MIN;
    for (uint64_t i = 0; i < count; i++) {
        bool is_key = map && i % 2 == 0;
        int child = parse_item(p, self, depth + 1, (size_t)i, is_key,
                               map && !is_key ? key : INT64_MIN);
        if (child == HS_NO_NODE)
            return false;
        if (is_key) {
            const hs_node *k = &p->t->nodes[child];
            key = INT64_MIN;
            if (k->major == 0 && k->arg <= INT64_MAX)
                key = (int64_t)k->arg;
            else if (k->major == 1 && k->arg <= INT64_MAX)
                key = -1 - (int64_t)k->arg;
        }
        if (prev == HS_NO_NODE)
            p->t->nodes[self].first = child;
        else
            p->t->nodes[prev].next = child;
        prev = child;
    }
    return true;
}

/* Tries to parse the content of bstr node self as one structure. */
static void try_wrapped(parser *p, int self, unsigned depth)
{
    hs_node *n = &p->t->nodes[self];
    if (n->arg == 0)
        return;
    uint8_t first_major = (uint8_t)(n->content[0] >> 5);
    if (first_major != 4 && first_major != 5 && first_major != 6)
        return;
    parser inner = {p->t, n->content, (size_t)n->arg, 0};
    size_t saved = p->t->count;
    int child = parse_item(&inner, self, depth + 1, 0, false, INT64_MIN);
    if (child == HS_NO_NODE || inner.off != inner.len) {
        p->t->count = saved;
        return;
    }
    p->t->nodes[self].first = child;
    p->t->nodes[self].wrapped = true;
}

static int parse_item(parser *p, int parent, unsigned depth, size_t index,
                      bool is_key, int64_t key)
{
    if (depth > MAX_DEPTH || p->t->count == HS_MAX_NODES)
        return HS_NO_NODE;
    size_t offset = p->off;
    uint8_t major, ai;
    uint64_t arg;
    if (!read_head(p, &major, &ai, &arg))
        return HS_NO_NODE;
    int self = (int)p->t->count++;
    hs_node *n = &p->t->nodes[self];
    memset(n, 0, sizeof *n);
    n->major = major;
    n->ai = ai;
    n->arg = arg;
    n->first = HS_NO_NODE;
    n->next = HS_NO_NODE;
    n->parent = parent;
    n->depth = depth;
    n->index = index;
    n->is_key = is_key;
    n->key = key;
    n->offset = offset;
    switch (major) {
    case 2:
    case 3:
        if (arg > p->len - p->off)
            return HS_NO_NODE;
        n->content = p->buf + p->off;
        p->off += (size_t)arg;
        if (major == 2)
            try_wrapped(p, self, depth);
        return self;
    case 4:
    case 5: {
        uint64_t count = major == 5 ? 2 * arg : arg;
        if (arg > p->len - p->off ||
            !parse_children(p, self, count, major == 5, depth))
            return HS_NO_NODE;
        return self;
    }
    case 6:
        if (!parse_children(p, self, 1, false, depth))
            return HS_NO_NODE;
        return self;
    default:
        return self;
    }
}

bool hs_parse(hs_tree *t, const uint8_t *buf, size_t len)
{
    t->count = 0;
    parser p = {t, buf, len, 0};
    int root = parse_item(&p, HS_NO_NODE, 0, 0, false, INT64_MIN);
    return root == 0 && p.off == len;
}

/* ---- Serializing ------------------------------------------------------ */

typedef struct out_buf {
    uint8_t *buf;
    size_t len;
    size_t cap;
} out_buf;

static void put(out_buf *o, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap == 0 ? 256 : o->cap;
        while (cap < o->len + n)
            cap *= 2;
        uint8_t *grown = realloc(o->buf, cap);
        if (grown == NULL)
            abort();
        o->buf = grown;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

size_t hs_cbor_head(uint8_t major, uint64_t arg, uint8_t *out)
{
    uint8_t mt = (uint8_t)(major << 5);
    if (arg < 24) {
        out[0] = (uint8_t)(mt | arg);
        return 1;
    }
    /* Additional information 24 to 27: 1, 2, 4 or 8 argument bytes. */
    uint8_t ai = 24;
    size_t n = 1;
    while (n < 8 && arg > (UINT64_MAX >> (64 - 8 * n))) {
        ai++;
        n *= 2;
    }
    out[0] = (uint8_t)(mt | ai);
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
    return 1 + n;
}

/* Writes a head with the given additional information (the original
 * form of the head). */
static void put_head_ai(out_buf *o, uint8_t major, uint8_t ai, uint64_t arg)
{
    uint8_t h[9];
    h[0] = (uint8_t)(major << 5 | ai);
    size_t n = ai < 24 ? 0 : (size_t)1 << (ai - 24);
    for (size_t i = 0; i < n; i++)
        h[1 + i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
    put(o, h, 1 + n);
}

static void put_head(out_buf *o, uint8_t major, uint64_t arg)
{
    uint8_t h[9];
    put(o, h, hs_cbor_head(major, arg, h));
}

static void emit(const hs_tree *t, int i, const hs_mutation *m, out_buf *o,
                 bool apply);

static void emit_children(const hs_tree *t, const hs_node *n,
                          const hs_mutation *m, out_buf *o)
{
    for (int c = n->first; c != HS_NO_NODE; c = t->nodes[c].next)
        emit(t, c, m, o, true);
}

/* The last child of n, and for a map the last key. */
static int last_child(const hs_tree *t, const hs_node *n, int *before)
{
    int last = HS_NO_NODE;
    *before = HS_NO_NODE;
    for (int c = n->first; c != HS_NO_NODE; c = t->nodes[c].next) {
        *before = last;
        last = c;
    }
    return last;
}

static void emit(const hs_tree *t, int i, const hs_mutation *m, out_buf *o,
                 bool apply)
{
    const hs_node *n = &t->nodes[i];
    hs_change change = apply && m != NULL && m->node == i ? m->change : HS_KEEP;

    switch (change) {
    case HS_REPLACE:
        put(o, m->bytes, m->len);
        return;
    case HS_NEST:
        for (uint64_t k = 0; k < m->value; k++)
            put_head(o, 4, 1);
        emit(t, i, m, o, false);
        return;
    case HS_ARGUMENT:
        put_head_ai(o, n->major, 27, m->value);
        if (n->major == 2 || n->major == 3) {
            if (n->wrapped)
                emit_children(t, n, m, o);
            else
                put(o, n->content, (size_t)n->arg);
        } else {
            emit_children(t, n, m, o);
        }
        return;
    case HS_TRUNCATE: {
        out_buf inner = {NULL, 0, 0};
        emit_children(t, n, m, &inner);
        size_t cut = m->value < inner.len ? (size_t)m->value : inner.len;
        put_head(o, 2, cut);
        put(o, inner.buf, cut);
        free(inner.buf);
        return;
    }
    case HS_DUPLICATE: {
        put_head(o, 5, n->arg + 1);
        int key = n->first;
        int value = key != HS_NO_NODE ? t->nodes[key].next : HS_NO_NODE;
        if (value != HS_NO_NODE) {
            emit(t, key, m, o, true);
            emit(t, value, m, o, true);
        }
        emit_children(t, n, m, o);
        return;
    }
    case HS_APPEND: {
        int before;
        int last = last_child(t, n, &before);
        put_head(o, n->major, n->arg + 1);
        emit_children(t, n, m, o);
        if (n->major == 5) {
            uint8_t h[9];
            int64_t key = (int64_t)m->value;
            put(o, h,
                key >= 0 ? hs_cbor_head(0, (uint64_t)key, h)
                         : hs_cbor_head(1, (uint64_t)(-1 - key), h));
        }
        if (last != HS_NO_NODE)
            emit(t, last, m, o, true);
        return;
    }
    case HS_KEEP:
    default:
        break;
    }

    if (n->major == 2 && n->wrapped) {
        out_buf inner = {NULL, 0, 0};
        emit_children(t, n, m, &inner);
        if (inner.len == n->arg)
            put_head_ai(o, 2, n->ai, n->arg);
        else
            put_head(o, 2, inner.len);
        put(o, inner.buf, inner.len);
        free(inner.buf);
        return;
    }
    put_head_ai(o, n->major, n->ai, n->arg);
    if (n->major == 2 || n->major == 3)
        put(o, n->content, (size_t)n->arg);
    else
        emit_children(t, n, m, o);
}

void hs_serialize(const hs_tree *t, const hs_mutation *m, uint8_t **out,
                  size_t *out_len)
{
    out_buf o = {NULL, 0, 0};
    if (t->count > 0)
        emit(t, 0, m, &o, true);
    if (o.buf == NULL) {
        o.buf = malloc(1);
        if (o.buf == NULL)
            abort();
    }
    *out = o.buf;
    *out_len = o.len;
}

/* ---- Helpers ---------------------------------------------------------- */

size_t hs_wrong_type_item(uint8_t major, uint8_t *repl)
{
    switch (major) {
    case 0:
    case 1:
        repl[0] = 0x61; /* "x" */
        repl[1] = 'x';
        return 2;
    case 4:
        repl[0] = 0xa0; /* {} */
        return 1;
    case 5:
        repl[0] = 0x80; /* [] */
        return 1;
    case 6:
        repl[0] = 0x41; /* h'00' */
        repl[1] = 0x00;
        return 2;
    default:
        repl[0] = 0x18; /* 77 */
        repl[1] = 77;
        return 2;
    }
}

void hs_node_path(const hs_tree *t, int i, char *out, size_t cap)
{
    char parts[MAX_DEPTH + 2][24];
    size_t count = 0;
    for (int c = i; c != HS_NO_NODE && count < MAX_DEPTH + 2;
         c = t->nodes[c].parent) {
        const hs_node *n = &t->nodes[c];
        const hs_node *p =
            n->parent != HS_NO_NODE ? &t->nodes[n->parent] : NULL;
        if (p == NULL)
            snprintf(parts[count++], sizeof parts[0], "$");
        else if (p->major == 4)
            snprintf(parts[count++], sizeof parts[0], "[%zu]", n->index);
        else if (p->major == 5 && n->is_key)
            snprintf(parts[count++], sizeof parts[0], "key#%zu", n->index / 2);
        else if (p->major == 5 && n->key != INT64_MIN)
            snprintf(parts[count++], sizeof parts[0], "{%" PRId64 "}", n->key);
        else if (p->major == 5)
            snprintf(parts[count++], sizeof parts[0], "{#%zu}", n->index / 2);
        else if (p->major == 6)
            snprintf(parts[count++], sizeof parts[0], "tag%" PRIu64, p->arg);
        else
            snprintf(parts[count++], sizeof parts[0], "<<>>");
    }
    size_t len = 0;
    out[0] = 0;
    for (size_t k = count; k > 0 && len + 1 < cap; k--) {
        int w = snprintf(out + len, cap - len, "%s%s", parts[k - 1],
                         k > 1 ? "." : "");
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

void hs_mutation_set(hs_mutation *m, const hs_tree *t, int node,
                     hs_change change, uint64_t value, const uint8_t *bytes,
                     size_t len)
{
    static const char *const names[] = {"keep",      "argument", "replace",
                                        "duplicate", "append",   "nest",
                                        "truncate"};
    m->node = node;
    m->change = change;
    m->value = value;
    m->bytes = bytes;
    m->len = len;
    char path[120];
    hs_node_path(t, node, path, sizeof path);
    snprintf(m->what, sizeof m->what, "%s %s (%" PRIu64 ")", names[change],
             path, value);
}

bool hs_node_within(const hs_tree *t, int i, int ancestor)
{
    for (int c = i; c != HS_NO_NODE; c = t->nodes[c].parent)
        if (c == ancestor)
            return true;
    return false;
}

int hs_node_child(const hs_tree *t, int i, size_t index)
{
    if (i == HS_NO_NODE)
        return HS_NO_NODE;
    for (int c = t->nodes[i].first; c != HS_NO_NODE; c = t->nodes[c].next)
        if (t->nodes[c].index == index)
            return c;
    return HS_NO_NODE;
}

int hs_node_map_get(const hs_tree *t, int i, int64_t key)
{
    if (i == HS_NO_NODE || t->nodes[i].major != 5)
        return HS_NO_NODE;
    for (int c = t->nodes[i].first; c != HS_NO_NODE; c = t->nodes[c].next)
        if (!t->nodes[c].is_key && t->nodes[c].key == key)
            return c;
    return HS_NO_NODE;
}
