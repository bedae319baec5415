/*
 * Printer of SUIT envelopes and reports; see suitshow.h.
 *
 * The input is first decoded into a tree of nodes, each item annotated
 * with the role it has in a SUIT structure (the "context" below), then
 * printed as diagnostic notation or converted to JSON. Decoding the whole
 * input first means that malformed input prints nothing.
 */
#define _XOPEN_SOURCE 700

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "suitnames.h"
#include "suitshow.h"
#include "teepkit/cbor.h"

/* Nesting limit of the printer, beyond the decoder's own. */
#define SHOW_MAX_DEPTH 48

/* Role of an item in a SUIT structure. */
enum context {
    C_GENERIC = 0,
    C_ENVELOPE,      /* envelope map (or tag 107 around it) */
    C_AUTH,          /* SUIT_Authentication array */
    C_DIGEST,        /* SUIT_Digest array */
    C_COSE,          /* a COSE structure (array, or tag around it) */
    C_HEADERS,       /* a COSE header map */
    C_MANIFEST,
    C_COMMON,
    C_DEPENDENCIES,
    C_SEQUENCE,      /* command sequence: label/argument pairs */
    C_TRY_EACH,      /* try-each argument: sequences */
    C_PARAMS,        /* parameter map */
    C_MULTI_PARAMS,  /* override-multiple: index => parameter map */
    C_TEXT,          /* language => text map */
    C_TEXT_LANG,
    C_TEXT_COMPONENT,
    C_MEMBER,        /* a severable member: sequence bstr or digest */
    C_TEXT_MEMBER,   /* the text member: text map bstr or digest */
    C_INTEGRATED,    /* a text-keyed envelope entry */
    C_REPORT,
    C_RECORDS,
    C_RECORD,
    C_RESULT,
    C_UUID           /* a 16-byte identifier */
};

struct node {
    tk_cbor_item item;
    enum context ctx;
    const char *name;        /* annotation printed after the item */
    struct node *wrapped;    /* content of a bstr that wraps CBOR */
    struct node **child;     /* array elements, or map keys and values */
    size_t count;
};

struct walker {
    tk_err err;
    size_t err_off;
    const uint8_t *start;    /* the current input, a wrapped bstr's content */
    size_t base;             /* its offset in the top-level input */
};

static void free_node(struct node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->count; i++)
        free_node(n->child[i]);
    free(n->child);
    free_node(n->wrapped);
    free(n);
}

/* Returns the context of the content of a bstr value in context ctx, or
 * C_GENERIC when the bstr is kept as bytes. */
static bool wraps(enum context ctx)
{
    switch (ctx) {
    case C_AUTH:
    case C_DIGEST:
    case C_COSE:
    case C_HEADERS:
    case C_MANIFEST:
    case C_COMMON:
    case C_SEQUENCE:
    case C_TEXT:
    case C_MEMBER:
    case C_TEXT_MEMBER:
        return true;
    default:
        return false;
    }
}

/* Context of the value of map key `key` in a map of context ctx. */
static enum context value_context(enum context ctx, const tk_cbor_item *key)
{
    int64_t k;

    if (key->type == TK_CBOR_TSTR)
        return ctx == C_ENVELOPE ? C_INTEGRATED : C_GENERIC;
    if (key->type == TK_CBOR_ARRAY)
        return ctx == C_TEXT_LANG ? C_TEXT_COMPONENT : C_GENERIC;
    if (key->type != TK_CBOR_UINT && key->type != TK_CBOR_NINT)
        return C_GENERIC;
    k = key->type == TK_CBOR_UINT ? (int64_t)key->value
                                  : -1 - (int64_t)key->value;
    switch (ctx) {
    case C_ENVELOPE:
        if (k == 2)
            return C_AUTH;
        if (k == 3)
            return C_MANIFEST;
        if (k == 15 || k == 16 || k == 18 || k == 20)
            return C_SEQUENCE;
        return k == 23 ? C_TEXT : C_GENERIC;
    case C_MANIFEST:
        if (k == 3)
            return C_COMMON;
        if (k == 7 || k == 8 || k == 9 || k == 15 || k == 16 || k == 18 ||
            k == 20 || k == 24)
            return C_MEMBER;
        return k == 23 ? C_TEXT_MEMBER : C_GENERIC;
    case C_COMMON:
        if (k == 1)
            return C_DEPENDENCIES;
        return k == 4 ? C_SEQUENCE : C_GENERIC;
    case C_PARAMS:
        if (k == 3)
            return C_DIGEST;
        if (k == 19)
            return C_COSE;
        if (k == 1 || k == 2 || k == 24)
            return C_UUID;
        return C_GENERIC;
    case C_MULTI_PARAMS:
        return C_PARAMS;
    case C_TEXT:
        return C_TEXT_LANG;
    case C_REPORT:
        if (k == 3)
            return C_RECORDS;
        if (k == 4)
            return C_RESULT;
        return C_GENERIC;
    case C_RESULT:
        return k == 6 ? C_RECORD : C_GENERIC;
    default:
        return C_GENERIC;
    }
}

/* Name of a map key in context ctx, or NULL. */
static const char *key_name(enum context ctx, const tk_cbor_item *key)
{
    static const tk_suitnames_space spaces[] = {
        [C_ENVELOPE] = TK_SUITNAMES_ENVELOPE,
        [C_MANIFEST] = TK_SUITNAMES_MANIFEST,
        [C_COMMON] = TK_SUITNAMES_COMMON,
        [C_PARAMS] = TK_SUITNAMES_PARAMETER,
        [C_HEADERS] = TK_SUITNAMES_COSE_HEADER,
        [C_TEXT_LANG] = TK_SUITNAMES_TEXT,
        [C_TEXT_COMPONENT] = TK_SUITNAMES_TEXT_COMPONENT,
        [C_REPORT] = TK_SUITNAMES_REPORT,
        [C_RESULT] = TK_SUITNAMES_REPORT,
    };
    int64_t k;

    if ((key->type != TK_CBOR_UINT && key->type != TK_CBOR_NINT) ||
        (size_t)ctx >= sizeof(spaces) / sizeof(spaces[0]) ||
        (ctx != C_ENVELOPE && spaces[ctx] == TK_SUITNAMES_ENVELOPE))
        return NULL;
    k = key->type == TK_CBOR_UINT ? (int64_t)key->value
                                  : -1 - (int64_t)key->value;
    return tk_suitnames_name(spaces[ctx], k);
}

static int64_t item_int(const tk_cbor_item *item)
{
    return item->type == TK_CBOR_UINT ? (int64_t)item->value
                                      : -1 - (int64_t)item->value;
}

static bool is_int(const tk_cbor_item *item)
{
    return (item->type == TK_CBOR_UINT && item->value <= INT64_MAX) ||
           (item->type == TK_CBOR_NINT && item->value <= INT64_MAX);
}

static struct node *parse(struct walker *w, tk_cbor_dec *dec,
                          enum context ctx, unsigned depth);

/* Opens a bstr that wraps CBOR in context ctx into n->wrapped. A bstr
 * whose content is not one well-formed item stays bytes. */
static void parse_wrapped(struct walker *w, struct node *n, enum context ctx,
                          unsigned depth)
{
    tk_cbor_dec inner;
    const uint8_t *saved_start = w->start;
    size_t saved_base = w->base;

    if (n->item.str.len == 0 ||
        tk_cbor_validate(n->item.str.ptr, n->item.str.len, 0, NULL) != TK_OK)
        return;
    w->base += (size_t)(n->item.str.ptr - w->start);
    w->start = n->item.str.ptr;
    tk_cbor_dec_init(&inner, n->item.str.ptr, n->item.str.len,
                     TK_CBOR_CHECK_DUP_KEYS);
    n->wrapped = parse(w, &inner, ctx, depth + 1);
    if (n->wrapped != NULL && tk_cbor_dec_finish(&inner) != TK_OK) {
        w->err = tk_cbor_dec_error(&inner);
        w->err_off = w->base + tk_cbor_dec_error_offset(&inner);
    }
    w->start = saved_start;
    w->base = saved_base;
}

/* Context of element i of an array in context ctx; prev is the previous
 * element (a command label in a sequence). */
static enum context element_context(enum context ctx, size_t i,
                                    const struct node *prev)
{
    switch (ctx) {
    case C_AUTH:
        return i == 0 ? C_DIGEST : C_COSE;
    case C_COSE:
        if (i == 0)
            return C_HEADERS;
        if (i == 1)
            return C_HEADERS;
        return C_GENERIC;
    case C_SEQUENCE:
        if (i % 2 == 0 || prev == NULL || !is_int(&prev->item))
            return C_GENERIC;
        switch (item_int(&prev->item)) {
        case 19:
        case 20:
            return C_PARAMS;
        case 15:
            return C_TRY_EACH;
        case 32:
            return C_SEQUENCE;
        case 34:
            return C_MULTI_PARAMS;
        default:
            return C_GENERIC;
        }
    case C_TRY_EACH:
        return C_SEQUENCE;
    case C_RECORDS:
        return C_RECORD;
    case C_RECORD:
        return i == 4 ? C_PARAMS : C_GENERIC;
    default:
        return C_GENERIC;
    }
}

/* Adds the annotation of a scalar in its context. */
static void annotate(struct node *n, enum context ctx, size_t index,
                     const struct node *parent)
{
    if (!is_int(&n->item))
        return;
    if (ctx == C_SEQUENCE && index % 2 == 0)
        n->name = tk_suitnames_name(TK_SUITNAMES_COMMAND, item_int(&n->item));
    else if (ctx == C_DIGEST && index == 0)
        n->name = tk_suitnames_name(TK_SUITNAMES_COSE_ALG, item_int(&n->item));
    else if (ctx == C_RECORD && index == 1)
        n->name = item_int(&n->item) == 3
                      ? "shared-sequence"
                      : tk_suitnames_name(TK_SUITNAMES_MANIFEST,
                                          item_int(&n->item));
    (void)parent;
}

static bool grow(struct node *n, size_t *cap)
{
    if (n->count < *cap)
        return true;
    size_t next = *cap == 0 ? 8 : 2 * *cap;
    struct node **grown = realloc(n->child, next * sizeof(*grown));

    if (grown == NULL)
        return false;
    n->child = grown;
    *cap = next;
    return true;
}

/* Reads the elements of an array or the entries of a map into n. */
static bool parse_children(struct walker *w, tk_cbor_dec *dec, struct node *n,
                           unsigned depth)
{
    size_t cap = 0;
    bool is_map = n->item.type == TK_CBOR_MAP;

    while (tk_cbor_dec_more(dec)) {
        struct node *c;
        enum context cctx;

        if (!grow(n, &cap))
            return false;
        if (is_map && n->count % 2 == 1)
            cctx = value_context(n->ctx, &n->child[n->count - 1]->item);
        else if (is_map)
            cctx = C_GENERIC;
        else
            cctx = element_context(n->ctx, n->count,
                                   n->count > 0 ? n->child[n->count - 1]
                                                : NULL);
        c = parse(w, dec, cctx, depth + 1);
        if (c == NULL)
            return false;
        if (is_map && n->count % 2 == 0)
            c->name = key_name(n->ctx, &c->item);
        else if (!is_map)
            annotate(c, n->ctx, n->count, n);
        n->child[n->count++] = c;
    }
    return tk_cbor_dec_exit(dec) == TK_OK;
}

static struct node *parse(struct walker *w, tk_cbor_dec *dec,
                          enum context ctx, unsigned depth)
{
    struct node *n;
    tk_err err;

    if (w->err != TK_OK)
        return NULL;
    if (depth > SHOW_MAX_DEPTH) {
        w->err = TK_ERR_CBOR_TOO_DEEP;
        return NULL;
    }
    n = calloc(1, sizeof(*n));
    if (n == NULL) {
        w->err = TK_ERR_INTERNAL;
        return NULL;
    }
    err = tk_cbor_dec_next(dec, &n->item);
    if (err != TK_OK) {
        w->err = err;
        w->err_off = w->base + tk_cbor_dec_error_offset(dec);
        free(n);
        return NULL;
    }
    n->ctx = ctx;
    switch (n->item.type) {
    case TK_CBOR_TAG:
        if (n->item.value == 18 || n->item.value == 17 ||
            n->item.value == 16 || n->item.value == 96 ||
            n->item.value == 97 || n->item.value == 98)
            ctx = C_COSE;
        if (!grow(n, &(size_t){0}))
            break;
        n->child[0] = parse(w, dec, ctx, depth + 1);
        n->count = n->child[0] != NULL ? 1 : 0;
        break;
    case TK_CBOR_ARRAY:
    case TK_CBOR_MAP:
        if (!parse_children(w, dec, n, depth) && w->err == TK_OK)
            w->err = tk_cbor_dec_error(dec) != TK_OK ? tk_cbor_dec_error(dec)
                                                     : TK_ERR_INTERNAL;
        break;
    case TK_CBOR_BSTR:
        if (ctx == C_INTEGRATED && n->item.str.len > 2 &&
            n->item.str.ptr[0] == 0xd8 && n->item.str.ptr[1] == 107)
            parse_wrapped(w, n, C_ENVELOPE, depth);
        else if (wraps(ctx) &&
                 !(ctx == C_COSE && n->item.str.len == 0))
            parse_wrapped(w, n, ctx == C_MEMBER        ? C_SEQUENCE
                                : ctx == C_TEXT_MEMBER ? C_TEXT
                                                       : ctx,
                          depth);
        break;
    default:
        break;
    }
    if (n->item.type == TK_CBOR_ARRAY &&
        (ctx == C_MEMBER || ctx == C_TEXT_MEMBER)) {
        /* A severed member: its digest. */
        n->ctx = C_DIGEST;
        for (size_t i = 0; i < n->count; i++)
            annotate(n->child[i], C_DIGEST, i, n);
    }
    if (w->err != TK_OK) {
        free_node(n);
        return NULL;
    }
    return n;
}

/* Decodes input into a tree; the top-level context depends on kind. */
static struct node *parse_input(tk_view input, tk_suitshow_kind kind,
                                tk_err *err, size_t *err_off)
{
    struct walker w = {TK_OK, 0, input.ptr, 0};
    tk_cbor_dec dec;
    struct node *root;

    tk_cbor_dec_init(&dec, input.ptr, input.len, TK_CBOR_CHECK_DUP_KEYS);
    root = parse(&w, &dec, kind == TK_SUITSHOW_REPORT ? C_REPORT
                                                      : C_ENVELOPE, 0);
    if (root != NULL && tk_cbor_dec_finish(&dec) != TK_OK) {
        w.err = tk_cbor_dec_error(&dec);
        w.err_off = tk_cbor_dec_error_offset(&dec);
        free_node(root);
        root = NULL;
    }
    *err = w.err;
    if (err_off != NULL)
        *err_off = w.err_off;
    return root;
}

/* ---------------------------------------------------------------------- */
/* Diagnostic notation                                                    */
/* ---------------------------------------------------------------------- */

static void print_indent(FILE *out, unsigned indent)
{
    for (unsigned i = 0; i < indent; i++)
        fputs("  ", out);
}

static void print_hex(FILE *out, tk_view bytes)
{
    for (size_t i = 0; i < bytes.len; i++)
        fprintf(out, "%02x", bytes.ptr[i]);
}

static void print_text(FILE *out, tk_view text)
{
    fputc('"', out);
    for (size_t i = 0; i < text.len; i++) {
        uint8_t c = text.ptr[i];

        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void print_uuid(FILE *out, tk_view b)
{
    for (size_t i = 0; i < 16; i++)
        fprintf(out, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-"
                                                                     : "",
                b.ptr[i]);
}

static void print_node(FILE *out, const struct node *n, unsigned indent);

/* Prints the scalar n. */
static void print_scalar(FILE *out, const struct node *n)
{
    const tk_cbor_item *it = &n->item;

    switch (it->type) {
    case TK_CBOR_UINT:
        fprintf(out, "%" PRIu64, it->value);
        break;
    case TK_CBOR_NINT:
        if (it->value == UINT64_MAX)
            fputs("-18446744073709551616", out);
        else
            fprintf(out, "-%" PRIu64, it->value + 1);
        break;
    case TK_CBOR_BSTR:
        fputs("h'", out);
        print_hex(out, it->str);
        fputc('\'', out);
        if (n->ctx == C_UUID && it->str.len == 16) {
            fputs(" / ", out);
            print_uuid(out, it->str);
            fputs(" /", out);
        }
        break;
    case TK_CBOR_TSTR:
        print_text(out, it->str);
        break;
    case TK_CBOR_FALSE:
        fputs("false", out);
        break;
    case TK_CBOR_TRUE:
        fputs("true", out);
        break;
    case TK_CBOR_NULL:
        fputs("null", out);
        break;
    case TK_CBOR_UNDEFINED:
        fputs("undefined", out);
        break;
    case TK_CBOR_SIMPLE:
        fprintf(out, "simple(%" PRIu64 ")", it->value);
        break;
    case TK_CBOR_FLOAT:
        fprintf(out, "%.17g", it->f);
        break;
    default:
        break;
    }
}

static void print_children(FILE *out, const struct node *n, unsigned indent)
{
    bool is_map = n->item.type == TK_CBOR_MAP;
    /* Sequences put each label and its argument on one line. */
    size_t step = is_map || n->ctx == C_SEQUENCE ? 2 : 1;

    fputs(is_map ? "{" : "[", out);
    for (size_t i = 0; i < n->count; i += step) {
        const struct node *first = n->child[i];

        fputc('\n', out);
        print_indent(out, indent + 1);
        if (first->name != NULL)
            fprintf(out, "/ %s / ", first->name);
        print_node(out, first, indent + 1);
        if (step == 2 && i + 1 < n->count) {
            fputs(is_map ? ": " : ", ", out);
            print_node(out, n->child[i + 1], indent + 1);
        }
        if (i + step < n->count)
            fputc(',', out);
    }
    if (n->count > 0) {
        fputc('\n', out);
        print_indent(out, indent);
    }
    fputs(is_map ? "}" : "]", out);
}

static void print_node(FILE *out, const struct node *n, unsigned indent)
{
    if (n->wrapped != NULL) {
        fputs("<< ", out);
        print_node(out, n->wrapped, indent);
        fputs(" >>", out);
        return;
    }
    switch (n->item.type) {
    case TK_CBOR_TAG:
        fprintf(out, "%" PRIu64 "(", n->item.value);
        if (n->count == 1)
            print_node(out, n->child[0], indent);
        fputc(')', out);
        return;
    case TK_CBOR_ARRAY:
    case TK_CBOR_MAP:
        print_children(out, n, indent);
        return;
    default:
        print_scalar(out, n);
    }
}

tk_err tk_suitshow_diag(FILE *out, tk_view input, tk_suitshow_kind kind,
                        size_t *err_off)
{
    tk_err err;
    struct node *root = parse_input(input, kind, &err, err_off);

    if (root == NULL)
        return err != TK_OK ? err : TK_ERR_INTERNAL;
    print_node(out, root, 0);
    fputc('\n', out);
    free_node(root);
    return TK_OK;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                   */
/* ---------------------------------------------------------------------- */

static json_t *to_json(const struct node *n);

static json_t *hex_string(tk_view bytes)
{
    char *hex = malloc(2 * bytes.len + 1);
    json_t *s;

    if (hex == NULL)
        return NULL;
    for (size_t i = 0; i < bytes.len; i++)
        snprintf(hex + 2 * i, 3, "%02x", bytes.ptr[i]);
    hex[2 * bytes.len] = '\0';
    s = json_string(hex);
    free(hex);
    return s;
}

/* Returns the JSON object key of map key k: its name, the label as
 * decimal text, the text itself, or the diagnostic form of other keys. */
static char *json_key(const struct node *k)
{
    char *key = NULL;
    size_t len = 0;
    FILE *mem;

    if (k->name != NULL)
        return strdup(k->name);
    if (k->item.type == TK_CBOR_TSTR)
        return strndup((const char *)k->item.str.ptr, k->item.str.len);
    mem = open_memstream(&key, &len);
    if (mem == NULL)
        return NULL;
    print_node(mem, k, 0);
    fclose(mem);
    return key;
}

static json_t *json_map(const struct node *n)
{
    json_t *obj = json_object();

    for (size_t i = 0; obj != NULL && i + 1 < n->count; i += 2) {
        char *key = json_key(n->child[i]);

        if (key != NULL)
            json_object_set_new(obj, key, to_json(n->child[i + 1]));
        free(key);
    }
    return obj;
}

/* A sequence becomes a list of {"command-name": argument}. */
static json_t *json_sequence(const struct node *n)
{
    json_t *list = json_array();

    for (size_t i = 0; list != NULL && i + 1 < n->count; i += 2) {
        json_t *cmd = json_object();
        char *key = json_key(n->child[i]);

        if (cmd != NULL && key != NULL)
            json_object_set_new(cmd, key, to_json(n->child[i + 1]));
        free(key);
        json_array_append_new(list, cmd);
    }
    return list;
}

static json_t *json_scalar(const struct node *n)
{
    const tk_cbor_item *it = &n->item;
    char text[48];

    switch (it->type) {
    case TK_CBOR_UINT:
        if (it->value <= INT64_MAX)
            return json_integer((json_int_t)it->value);
        snprintf(text, sizeof(text), "%" PRIu64, it->value);
        return json_string(text);
    case TK_CBOR_NINT:
        if (it->value < INT64_MAX)
            return json_integer(-1 - (json_int_t)it->value);
        return json_string("large negative integer");
    case TK_CBOR_BSTR:
        if (n->ctx == C_UUID && it->str.len == 16) {
            FILE *mem;
            char *uuid = NULL;
            size_t len = 0;
            json_t *s;

            mem = open_memstream(&uuid, &len);
            if (mem == NULL)
                return NULL;
            print_uuid(mem, it->str);
            fclose(mem);
            s = json_string(uuid);
            free(uuid);
            return s;
        }
        return hex_string(it->str);
    case TK_CBOR_TSTR:
        return json_stringn((const char *)it->str.ptr, it->str.len);
    case TK_CBOR_TRUE:
        return json_true();
    case TK_CBOR_FALSE:
        return json_false();
    case TK_CBOR_FLOAT:
        return json_real(it->f);
    default:
        return json_null();
    }
}

static json_t *to_json(const struct node *n)
{
    if (n->wrapped != NULL)
        return to_json(n->wrapped);
    switch (n->item.type) {
    case TK_CBOR_TAG:
        if (n->count == 1 && n->item.value == 107)
            return to_json(n->child[0]);
        return json_pack("{sI so}", "tag", (json_int_t)n->item.value,
                         "value", n->count == 1 ? to_json(n->child[0])
                                                : json_null());
    case TK_CBOR_MAP:
        return json_map(n);
    case TK_CBOR_ARRAY: {
        json_t *list;

        if (n->ctx == C_SEQUENCE)
            return json_sequence(n);
        list = json_array();
        for (size_t i = 0; list != NULL && i < n->count; i++)
            json_array_append_new(list, to_json(n->child[i]));
        return list;
    }
    default:
        return json_scalar(n);
    }
}

tk_err tk_suitshow_json(FILE *out, tk_view input, tk_suitshow_kind kind,
                        size_t *err_off)
{
    tk_err err;
    struct node *root = parse_input(input, kind, &err, err_off);
    json_t *json;

    if (root == NULL)
        return err != TK_OK ? err : TK_ERR_INTERNAL;
    json = to_json(root);
    free_node(root);
    if (json == NULL)
        return TK_ERR_INTERNAL;
    json_dumpf(json, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                              JSON_ENSURE_ASCII);
    fputc('\n', out);
    json_decref(json);
    return TK_OK;
}
