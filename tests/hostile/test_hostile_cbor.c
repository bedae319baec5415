/*
 * Hostile CBOR across every entry point of the decoder: tk_cbor_validate(),
 * a walk with tk_cbor_dec_next(), tk_cbor_dec_skip(), the diagnostic
 * printer and, for maps, tk_cbor_dec_map_find(). The inputs are the
 * examples of RFC 8949 Appendix A and the published TEEP, SUIT and COSE
 * messages of tests/vectors; each is truncated at every byte and has each
 * length field maxed out, and every entry point must return the same
 * specific error. Nesting at the limit and one level past it, through
 * arrays, maps, tags, indefinite lengths and bstr-wrapped items, must
 * pass and then fail with TK_ERR_CBOR_TOO_DEEP everywhere.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "hs_mutate.h"
#include "ht.h"
#include "teepkit/cbor.h"
#include "tk_test.h"

/* ---- The entry points ------------------------------------------------- */

static tk_err by_next(const uint8_t *buf, size_t len, uint32_t flags)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_err err;
    tk_cbor_dec_init(&dec, buf, len, flags);
    size_t items = 0;
    while ((err = tk_cbor_dec_next(&dec, &item)) == TK_OK)
        assert_true(++items <= len);
    if (err == TK_ERR_CBOR_END)
        err = tk_cbor_dec_finish(&dec);
    return err;
}

static tk_err by_skip(const uint8_t *buf, size_t len, uint32_t flags)
{
    tk_cbor_dec dec;
    tk_cbor_dec_init(&dec, buf, len, flags);
    tk_err err = tk_cbor_dec_skip(&dec, NULL);
    tk_err fin = tk_cbor_dec_finish(&dec);
    return err != TK_OK ? err : fin;
}

static tk_err by_diag(const uint8_t *buf, size_t len, uint32_t flags)
{
    static char out[1 << 20];
    size_t needed = 0;
    tk_err err = tk_cbor_diag(buf, len, out, sizeof out, &needed, flags, NULL,
                              NULL, NULL);
    return err;
}

/* Checks that every entry point returns want for buf[0..len). The input
 * is copied to a buffer of its exact size, so AddressSanitizer sees any
 * read past the end. */
static void expect_everywhere(ht_table *t, const uint8_t *buf, size_t len,
                              uint32_t flags, tk_err want, const char *what)
{
    uint8_t *copy = malloc(len == 0 ? 1 : len);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, buf, len);
    char where[256];
    snprintf(where, sizeof where, "%s: validate", what);
    ht_expect(t, tk_cbor_validate(copy, len, flags, NULL), want, where);
    snprintf(where, sizeof where, "%s: next", what);
    ht_expect(t, by_next(copy, len, flags), want, where);
    snprintf(where, sizeof where, "%s: skip", what);
    ht_expect(t, by_skip(copy, len, flags), want, where);
    snprintf(where, sizeof where, "%s: diag", what);
    ht_expect(t, by_diag(copy, len, flags), want, where);
    free(copy);
}

/* ---- The inputs ------------------------------------------------------- */

typedef struct input {
    char name[64];
    uint8_t *buf;
    size_t len;
} input;

static input g_inputs[256];
static size_t g_count;

static void add_input(const char *name, uint8_t *buf, size_t len)
{
    assert_true(g_count < sizeof g_inputs / sizeof g_inputs[0]);
    input *in = &g_inputs[g_count++];
    snprintf(in->name, sizeof in->name, "%s", name);
    in->buf = buf;
    in->len = len;
}

static int setup(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *examples = json_load_file(tk_test_vector("cbor/appendix_a.json"),
                                      JSON_DECODE_INT_AS_REAL, &jerr);
    assert_non_null(examples);
    size_t i;
    json_t *ex;
    json_array_foreach(examples, i, ex)
    {
        const char *hex = json_string_value(json_object_get(ex, "hex"));
        assert_non_null(hex);
        /* simple(24) in two bytes, the RFC 7049 form that RFC 8949
         * section 3.3 made not well-formed. */
        if (strcmp(hex, "f818") == 0)
            continue;
        size_t n = strlen(hex) / 2;
        uint8_t *buf = malloc(n == 0 ? 1 : n);
        assert_true(tk_test_hex_decode(hex, buf, n == 0 ? 1 : n) == n);
        char name[64];
        snprintf(name, sizeof name, "appendix A #%zu", i);
        add_input(name, buf, n);
    }
    json_decref(examples);
    static const char *const files[] = {
        "teep/query_request.hex.txt",
        "teep/query_response.hex.txt",
        "teep/update.hex.txt",
        "teep/teep_error.hex.txt",
        "suit/manifest/example1.hex",
        "suit/manifest/example4.hex",
        "suit/teep/suit_personalization.hex.txt",
        "eat/rfc9711-examples/tokens/valid_cwt.hex"};
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n = 0;
        uint8_t *buf = tk_test_read_hex(tk_test_vector(files[i]), &n);
        add_input(files[i], buf, n);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_count; i++)
        free(g_inputs[i].buf);
    g_count = 0;
    return 0;
}

/* ---- Tables ----------------------------------------------------------- */

/* Every prefix of every input fails, with the same error everywhere: the
 * input ends inside an item (TK_ERR_CBOR_TRUNCATED) or a container
 * declares more items than the bytes left (TK_ERR_CBOR_COUNT_TOO_LARGE). */
static void truncated_everywhere(void **state)
{
    (void)state;
    ht_table table = {"cbor truncations", 0, 0};
    char what[128];
    for (size_t i = 0; i < g_count; i++) {
        const input *in = &g_inputs[i];
        expect_everywhere(&table, in->buf, in->len, 0, TK_OK, in->name);
        for (size_t cut = 0; cut < in->len; cut++) {
            tk_err want = tk_cbor_validate(in->buf, cut, 0, NULL);
            snprintf(what, sizeof what, "%s cut to %zu", in->name, cut);
            ht_true(&table,
                    want == TK_ERR_CBOR_TRUNCATED ||
                        want == TK_ERR_CBOR_COUNT_TOO_LARGE,
                    what);
            expect_everywhere(&table, in->buf, cut, 0, want, what);
        }
    }
    ht_done(&table);
}

/* Every length and count set to 2^63 - 1 in the 8-byte form. */
static void lengths_maxed_everywhere(void **state)
{
    (void)state;
    ht_table table = {"cbor lengths maxed", 0, 0};
    static hs_tree tree;
    for (size_t i = 0; i < g_count; i++) {
        const input *in = &g_inputs[i];
        if (!hs_parse(&tree, in->buf, in->len))
            continue; /* indefinite lengths: not handled by the parser */
        for (size_t k = 0; k < tree.count; k++) {
            const hs_node *n = &tree.nodes[k];
            if (n->major < 2 || n->major > 5)
                continue;
            hs_mutation m;
            hs_mutation_set(&m, &tree, (int)k, HS_ARGUMENT, UINT64_MAX >> 1,
                            NULL, 0);
            uint8_t *p;
            size_t len;
            hs_serialize(&tree, &m, &p, &len);
            /* Inside a wrapped byte string the outer item stays valid. */
            bool wrapped = false;
            for (int c = n->parent; c != HS_NO_NODE; c = tree.nodes[c].parent)
                wrapped |= tree.nodes[c].major == 2;
            tk_err want = wrapped         ? TK_OK
                          : n->major >= 4 ? TK_ERR_CBOR_COUNT_TOO_LARGE
                                          : TK_ERR_CBOR_TRUNCATED;
            char what[256];
            snprintf(what, sizeof what, "%s %s", in->name, m.what);
            expect_everywhere(&table, p, len, 0, want, what);
            free(p);
        }
    }
    ht_done(&table);
}

/* Writes depth levels of the given kind around the integer 0. */
static size_t nest(const char *kind, size_t depth, uint8_t *out, size_t cap)
{
    size_t at = 0;
    assert_true(depth * 3 + 8 <= cap);
    if (strcmp(kind, "array") == 0) {
        memset(out, 0x81, depth);
        at = depth;
    } else if (strcmp(kind, "map") == 0) {
        for (size_t i = 0; i < depth; i++) {
            out[at++] = 0xa1;
            out[at++] = 0x00; /* key 0, then the next level as value */
        }
    } else if (strcmp(kind, "tag") == 0) {
        /* Tags count as levels too: one array at the bottom. */
        memset(out, 0xc0 | 6, depth - 1); /* tag 6 */
        at = depth - 1;
        out[at++] = 0x81;
    } else {
        /* Indefinite arrays, closed by breaks after the 0. */
        memset(out, 0x9f, depth);
        at = depth;
        out[at++] = 0x00;
        memset(out + at, 0xff, depth);
        return at + depth;
    }
    out[at++] = 0x00;
    return at;
}

static void nesting_limit_everywhere(void **state)
{
    (void)state;
    ht_table table = {"cbor nesting limit", 0, 0};
    static const char *const kinds[] = {"array", "map", "tag", "indefinite"};
    uint8_t buf[1024];
    char what[128];
    for (size_t k = 0; k < 4; k++) {
        for (size_t depth = TK_CBOR_MAX_DEPTH; depth <= TK_CBOR_MAX_DEPTH + 1;
             depth++) {
            size_t len = nest(kinds[k], depth, buf, sizeof buf);
            snprintf(what, sizeof what, "%s nested %zu deep", kinds[k], depth);
            expect_everywhere(&table, buf, len, 0,
                              depth <= TK_CBOR_MAX_DEPTH ? TK_OK
                                                         : TK_ERR_CBOR_TOO_DEEP,
                              what);
        }
    }

    /* A bstr-wrapped item inherits the decoder's limit: the inner
     * decoder of tk_cbor_dec_get_bstr_cbor() starts again at depth 0 and
     * fails one level past the limit. */
    for (size_t depth = TK_CBOR_MAX_DEPTH; depth <= TK_CBOR_MAX_DEPTH + 1;
         depth++) {
        uint8_t inner[64];
        size_t il = nest("array", depth, inner, sizeof inner);
        size_t len = hs_cbor_head(2, il, buf);
        memcpy(buf + len, inner, il);
        len += il;
        tk_cbor_dec dec, in;
        tk_cbor_dec_init(&dec, buf, len, 0);
        assert_int_equal(tk_cbor_dec_get_bstr_cbor(&dec, &in, 0), TK_OK);
        tk_err err = by_skip(in.buf, in.len, 0);
        snprintf(what, sizeof what, "wrapped array nested %zu deep", depth);
        ht_expect(&table, err,
                  depth <= TK_CBOR_MAX_DEPTH ? TK_OK : TK_ERR_CBOR_TOO_DEEP,
                  what);
    }

    /* A lowered per-decoder limit applies the same way. */
    for (size_t depth = 4; depth <= 5; depth++) {
        size_t len = nest("map", depth, buf, sizeof buf);
        tk_cbor_dec dec;
        tk_cbor_dec_init(&dec, buf, len, 0);
        assert_int_equal(tk_cbor_dec_set_max_depth(&dec, 4), TK_OK);
        tk_err err = tk_cbor_dec_skip(&dec, NULL);
        snprintf(what, sizeof what, "map nested %zu deep, limit 4", depth);
        ht_expect(&table, err, depth <= 4 ? TK_OK : TK_ERR_CBOR_TOO_DEEP, what);
    }
    ht_done(&table);
}

/* Duplicate keys under different encodings of the same value. */
static void duplicate_keys_everywhere(void **state)
{
    (void)state;
    ht_table table = {"cbor duplicate keys", 0, 0};
    const struct {
        const char *name;
        const char *hex;
    } cases[] = {
        {"1 and 1", "a2010001 00"},
        {"1 and 1801", "a201001801 00"},
        {"-1 and 3800", "a220003800 00"},
        {"\"a\" and 780161", "a2616100780161 00"},
        {"h'00' and 5801 00", "a241000058010000"},
        {"[] and 9800", "a280009800 00"},
        {"duplicate in a nested map", "a101a2020002 00"},
    };
    uint8_t buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = tk_test_hex_decode(cases[i].hex, buf, sizeof buf);
        expect_everywhere(&table, buf, len, TK_CBOR_CHECK_DUP_KEYS,
                          TK_ERR_CBOR_DUP_KEY, cases[i].name);
        /* Without the check the map is well-formed. */
        expect_everywhere(&table, buf, len, 0, TK_OK, cases[i].name);
    }
    ht_done(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(truncated_everywhere),
        cmocka_unit_test(lengths_maxed_everywhere),
        cmocka_unit_test(nesting_limit_everywhere),
        cmocka_unit_test(duplicate_keys_everywhere),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
