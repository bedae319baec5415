/*
 * CBOR decode benchmark: teepkit's checked walk against libcbor's tree
 * decoder (cbor_load) and its streaming decoder (cbor_stream_decode), on a
 * TEEP-profile EAT claims set, a SUIT manifest envelope and a TEEP
 * QueryResponse.
 *
 *   bench_cbor [--iterations N] [--vectors DIR]
 *       times every decoder on every input and prints ns per decode
 *   bench_cbor --once DECODER INPUT [--vectors DIR]
 *       decodes INPUT once with DECODER (validate, walk, strict, tree,
 *       stream or none) inside decode_once(), for callgrind
 *       --toggle-collect
 *
 * validate is tk_cbor_validate(): every item checked, none returned. walk
 * returns every item to the caller with tk_cbor_dec_next(); strict does
 * the same with the duplicate-key, UTF-8 and preferred-serialization
 * checks on.
 *
 * run.sh runs both and writes the table of docs/benchmarks.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>

#include "teepkit/cbor.h"

/* One benchmark input, read from hex text under the vector folder. */
struct input {
    const char *name;
    const char *file;
    uint8_t *data;
    size_t len;
};

static struct input inputs[] = {
    {"teep_claims_299B", "cbor/bench/teep_claims_299B.hex", NULL, 0},
    {"suit_example2", "cbor/bench/suit_example2.hex", NULL, 0},
    {"teep_query_response", "cbor/bench/teep_query_response.hex.txt", NULL, 0},
};
#define INPUT_COUNT (sizeof inputs / sizeof inputs[0])

/* Reads hex text ('#' comments, whitespace ignored) into input->data. */
static int load_input(const char *dir, struct input *input)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, input->file);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bench_cbor: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *data = malloc(cap);
    int c, high = -1;
    bool comment = false;
    while (data != NULL && (c = fgetc(f)) != EOF) {
        if (comment) {
            comment = c != '\n';
            continue;
        }
        if (c == '#') {
            comment = true;
            continue;
        }
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            continue;
        if (high < 0) {
            high = v;
            continue;
        }
        if (len == cap)
            data = realloc(data, cap *= 2);
        if (data != NULL)
            data[len++] = (uint8_t)(high << 4 | v);
        high = -1;
    }
    fclose(f);
    if (data == NULL || high >= 0 || len == 0) {
        fprintf(stderr, "bench_cbor: %s: invalid hex text\n", path);
        free(data);
        return -1;
    }
    input->data = data;
    input->len = len;
    return 0;
}

/* ---- the decoders ----------------------------------------------------- */

/* teepkit: visits every item with next(), then checks the end. Returns the
 * item count, or -1 when the input is invalid. */
static long walk_teepkit(const uint8_t *data, size_t len, uint32_t flags)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    long items = 0;
    tk_err err = tk_cbor_dec_init(&dec, data, len, flags);
    while (err == TK_OK && (err = tk_cbor_dec_next(&dec, &item)) == TK_OK)
        items++;
    if (err != TK_ERR_CBOR_END || tk_cbor_dec_finish(&dec) != TK_OK)
        return -1;
    return items;
}

/* libcbor tree decoder: builds and frees the item tree. */
static long walk_libcbor_tree(const uint8_t *data, size_t len)
{
    struct cbor_load_result result;
    cbor_item_t *item = cbor_load(data, len, &result);
    if (item == NULL || result.read != len) {
        if (item != NULL)
            cbor_decref(&item);
        return -1;
    }
    cbor_decref(&item);
    return 1;
}

/* libcbor streaming decoder: one callback per head, with the library's
 * empty callbacks, until the input is consumed. It checks heads only, not
 * that containers are complete. */
static long walk_libcbor_stream(const uint8_t *data, size_t len)
{
    size_t off = 0;
    long heads = 0;
    while (off < len) {
        struct cbor_decoder_result r =
            cbor_stream_decode(data + off, len - off, &cbor_empty_callbacks,
                               NULL);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
            return -1;
        off += r.read;
        heads++;
    }
    return heads;
}

enum decoder {
    DEC_NONE,
    DEC_VALIDATE,
    DEC_WALK,
    DEC_STRICT,
    DEC_TREE,
    DEC_STREAM
};

static const char *const decoder_names[] = {"none",   "validate", "walk",
                                            "strict", "tree",     "stream"};

static long decode(enum decoder d, const struct input *in)
{
    switch (d) {
    case DEC_VALIDATE:
        return tk_cbor_validate(in->data, in->len, 0, NULL) == TK_OK ? 1 : -1;
    case DEC_WALK:
        return walk_teepkit(in->data, in->len, 0);
    case DEC_STRICT:
        return walk_teepkit(in->data, in->len,
                            TK_CBOR_CHECK_DUP_KEYS | TK_CBOR_CHECK_UTF8 |
                                TK_CBOR_CHECK_PREFERRED);
    case DEC_TREE:
        return walk_libcbor_tree(in->data, in->len);
    case DEC_STREAM:
        return walk_libcbor_stream(in->data, in->len);
    default:
        return 0;
    }
}

/* Runs one decode: the function whose instructions callgrind counts. It
 * stays out of line so that --toggle-collect=decode_once can find it. */
__attribute__((noinline)) long decode_once(enum decoder d,
                                           const struct input *in)
{
    return decode(d, in);
}

/* ---- timing ----------------------------------------------------------- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Returns ns per decode over iterations decodes (after a warm-up). */
static double time_decoder(enum decoder d, const struct input *in,
                           long iterations)
{
    volatile long sink = 0;
    for (long i = 0; i < iterations / 10 + 1; i++)
        sink += decode(d, in);
    double start = now_ns();
    for (long i = 0; i < iterations; i++)
        sink += decode(d, in);
    double elapsed = now_ns() - start;
    (void)sink;
    return elapsed / (double)iterations;
}

static int parse_decoder(const char *name, enum decoder *d)
{
    for (size_t i = 0; i < sizeof decoder_names / sizeof decoder_names[0];
         i++) {
        if (strcmp(name, decoder_names[i]) == 0) {
            *d = (enum decoder)i;
            return 0;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *dir = TK_VECTOR_DIR;
    long iterations = 200000;
    const char *once_decoder = NULL, *once_input = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--once") == 0 && i + 2 < argc) {
            once_decoder = argv[++i];
            once_input = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: bench_cbor [--iterations N] [--vectors DIR]\n"
                    "       bench_cbor --once DECODER INPUT [--vectors DIR]\n"
                    "DECODER is none, validate, walk, strict, tree or "
                    "stream\n");
            return 2;
        }
    }
    if (iterations <= 0) {
        fprintf(stderr, "bench_cbor: --iterations must be positive\n");
        return 2;
    }
    for (size_t i = 0; i < INPUT_COUNT; i++) {
        if (load_input(dir, &inputs[i]) != 0)
            return 2;
    }

    if (once_decoder != NULL) {
        enum decoder d;
        const struct input *in = NULL;
        for (size_t i = 0; i < INPUT_COUNT; i++) {
            if (strcmp(inputs[i].name, once_input) == 0)
                in = &inputs[i];
        }
        if (parse_decoder(once_decoder, &d) != 0 || in == NULL) {
            fprintf(stderr, "bench_cbor: unknown decoder or input\n");
            return 2;
        }
        return decode_once(d, in) < 0 ? 1 : 0;
    }

    printf("%-20s %6s %6s %11s %10s %10s %10s %10s\n", "input", "bytes",
           "items", "validate_ns", "walk_ns", "strict_ns", "tree_ns",
           "stream_ns");
    for (size_t i = 0; i < INPUT_COUNT; i++) {
        const struct input *in = &inputs[i];
        long items = walk_teepkit(in->data, in->len, 0);
        if (items < 0 || decode(DEC_VALIDATE, in) < 0 ||
            decode(DEC_STRICT, in) < 0 ||
            decode(DEC_TREE, in) < 0 || decode(DEC_STREAM, in) < 0) {
            fprintf(stderr, "bench_cbor: %s does not decode\n", in->name);
            return 1;
        }
        printf("%-20s %6zu %6ld %11.1f %10.1f %10.1f %10.1f %10.1f\n",
               in->name, in->len, items,
               time_decoder(DEC_VALIDATE, in, iterations),
               time_decoder(DEC_WALK, in, iterations),
               time_decoder(DEC_STRICT, in, iterations),
               time_decoder(DEC_TREE, in, iterations),
               time_decoder(DEC_STREAM, in, iterations));
    }
    for (size_t i = 0; i < INPUT_COUNT; i++)
        free(inputs[i].data);
    return 0;
}
