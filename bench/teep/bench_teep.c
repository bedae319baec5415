/*
 * TEEP and EAT benchmark.
 *
 *   bench_teep [--iterations N]
 *       times every case and prints ns per operation
 *   bench_teep --once CASE
 *       runs CASE once inside run_once(), for callgrind
 *       --toggle-collect=run_once
 *
 * Cases: teep_decode_qresp and teep_decode_update decode the published
 * QueryResponse and Update into a tk_teep_message; teep_encode_qresp
 * encodes the decoded QueryResponse again; eat_claims decodes the 299-byte
 * TEEP-profile claims set with the profile checks on; libcbor_qresp and
 * libcbor_claims build and free libcbor's item tree of the same bytes (the
 * reference: it checks well-formedness only and returns no typed values);
 * session runs QueryRequest, QueryResponse, Update and Success between an
 * in-memory TAM and agent with ESP256 (OpenSSL) and EAT evidence.
 *
 * run.sh runs both modes and prints the table of docs/benchmarks.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>

#include "teep_test_peers.h"
#include "teepkit/eat.h"
#include "teepkit/teep.h"

/* One input, read from hex text under the vector folder. */
typedef struct input {
    const char *file;
    uint8_t data[4096];
    size_t len;
} input;

static input qresp = {"teep/query_response.hex.txt", {0}, 0};
static input update = {"teep/update.hex.txt", {0}, 0};
static input claims = {"eat/bench_teep_claims_299B.hex", {0}, 0};

/* Reads hex text ('#' comments and whitespace skipped) into in->data. */
static int load(input *in)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", TK_VECTOR_DIR, in->file);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bench_teep: cannot open %s\n", path);
        return -1;
    }
    int c, high = -1;
    int comment = 0;
    while ((c = fgetc(f)) != EOF) {
        if (comment) {
            comment = c != '\n';
            continue;
        }
        if (c == '#') {
            comment = 1;
            continue;
        }
        int v = -1;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        if (v < 0)
            continue;
        if (high < 0) {
            high = v;
            continue;
        }
        if (in->len == sizeof(in->data))
            break;
        in->data[in->len++] = (uint8_t)(high << 4 | v);
        high = -1;
    }
    fclose(f);
    return in->len == 0 ? -1 : 0;
}

static tk_teep_message decoded;
static uint8_t encoded[4096];
static volatile size_t sink;

static int case_teep_decode(const input *in)
{
    tk_teep_message msg;
    if (tk_teep_decode(in->data, in->len, &msg, NULL) != TK_OK)
        return -1;
    sink = msg.present;
    return 0;
}

static int case_teep_encode(void)
{
    size_t len = 0;
    if (tk_teep_encode(&decoded, encoded, sizeof(encoded), &len) != TK_OK)
        return -1;
    sink = len;
    return 0;
}

static int case_eat_claims(void)
{
    tk_eat_claims c;
    if (tk_eat_decode_claims(claims.data, claims.len, TK_EAT_PROFILE_TEEP, &c,
                             NULL) != TK_OK)
        return -1;
    sink = c.present;
    return 0;
}

static int case_libcbor(const input *in)
{
    struct cbor_load_result result;
    cbor_item_t *item = cbor_load(in->data, in->len, &result);
    if (item == NULL)
        return -1;
    sink = result.read;
    cbor_decref(&item);
    return 0;
}

/* One whole session between an in-memory TAM and agent. */
static int case_session(void)
{
    static tam_peer tam;
    static agent_peer agent;
    static uint8_t to_agent[PEERS_BUF], to_tam[PEERS_BUF];
    static const tk_alg algs[1] = {TK_ALG_ESP256};
    tk_teep_tam_result tr;
    tk_teep_agent_result ar;
    tam_peer_init(&tam, algs, 1);
    agent_peer_init(&agent, algs, 1);
    tam.policy_manifests[0] = (tk_view){(const uint8_t *)"app:1", 5};
    tam.policy_manifest_count = 1;

    if (tk_teep_tam_start(&tam.tam, (tk_view){NULL, 0}, TK_ALG_NONE, to_agent,
                          sizeof(to_agent), &tr) != TK_OK)
        return -1;
    for (int step = 0; step < 2; step++) {
        tk_teep_agent_handle(&agent.agent, &agent.state,
                             (tk_view){to_agent, tr.out_len}, to_tam,
                             sizeof(to_tam), &ar);
        if (ar.out_len == 0)
            return -1;
        if (tk_teep_tam_handle(&tam.tam, (tk_view){to_tam, ar.out_len},
                               to_agent, sizeof(to_agent), &tr) != TK_OK)
            return -1;
    }
    return tr.outcome == TK_TEEP_TAM_DONE && agent.process_calls == 1 ? 0 : -1;
}

typedef struct bench_case {
    const char *name;
    int (*run)(void);
    int weight; /* iterations per unit of --iterations */
} bench_case;

static int run_qresp(void)
{
    return case_teep_decode(&qresp);
}
static int run_update(void)
{
    return case_teep_decode(&update);
}
static int run_libcbor_qresp(void)
{
    return case_libcbor(&qresp);
}
static int run_libcbor_claims(void)
{
    return case_libcbor(&claims);
}

static const bench_case cases[] = {
    {"teep_decode_qresp", run_qresp, 1000},
    {"libcbor_qresp", run_libcbor_qresp, 1000},
    {"teep_decode_update", run_update, 1000},
    {"teep_encode_qresp", case_teep_encode, 1000},
    {"eat_claims", case_eat_claims, 1000},
    {"libcbor_claims", run_libcbor_claims, 1000},
    {"session", case_session, 1},
};
#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

/* The function callgrind collects in --once mode. */
int run_once(const bench_case *c);
__attribute__((noinline)) int run_once(const bench_case *c)
{
    return c->run();
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long iterations = 20;
    const char *once = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--once") == 0 && i + 1 < argc)
            once = argv[++i];
        else {
            fprintf(stderr, "usage: bench_teep [--iterations N] "
                            "[--once CASE]\n");
            return 2;
        }
    }
    if (load(&qresp) != 0 || load(&update) != 0 || load(&claims) != 0)
        return 1;
    if (tk_teep_decode(qresp.data, qresp.len, &decoded, NULL) != TK_OK)
        return 1;
    peers_keys_init();

    for (size_t i = 0; i < CASE_COUNT; i++) {
        if (once != NULL && strcmp(once, cases[i].name) != 0)
            continue;
        if (once != NULL) {
            /* A first run outside the collected function resolves lazy
             * symbol bindings and warms the allocator. */
            if (cases[i].run() != 0)
                return 1;
            return run_once(&cases[i]) == 0 ? 0 : 1;
        }
        long n = iterations * cases[i].weight;
        if (cases[i].run() != 0) {
            fprintf(stderr, "bench_teep: case %s failed\n", cases[i].name);
            return 1;
        }
        double start = now_ns();
        for (long k = 0; k < n; k++)
            cases[i].run();
        double ns = (now_ns() - start) / (double)n;
        printf("%-20s %12.0f ns\n", cases[i].name, ns);
    }
    if (once != NULL) {
        fprintf(stderr, "bench_teep: unknown case %s\n", once);
        return 2;
    }
    peers_keys_release();
    return 0;
}
