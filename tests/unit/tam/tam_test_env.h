/*
 * Test bed of the TAM service: a TAM on a temporary SQLite store with a
 * test clock, and TEEP agents (tests/support/sim_agent.h) that keep an
 * in-memory component inventory, verify every SUIT envelope and make
 * real EAT evidence and real SUIT reports. Messages travel through
 * tk_tam_handle() in-process, or through real HTTP or CoAP servers on
 * 127.0.0.1.
 */
#ifndef TAM_TEST_ENV_H
#define TAM_TEST_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coap_server.h"
#include "http_server.h"
#include "sim_agent.h"
#include "store.h"
#include "tam.h"
#include "teepkit/teep.h"

#define ENV_MAX_MESSAGES 16
#define ENV_MESSAGE_MAX (64 * 1024)

/* The TAM side. */
typedef struct tam_env {
    char dir[128];
    char db[192];
    char key_dir[192];
    tk_tam *tam;
    tk_store *store;
    int64_t now;                 /* the test clock */
    tk_key component_signer;     /* signs the SUIT envelopes */
    sim_tam_keys tam_keys;       /* public keys the agents trust */
    tk_http_server *http;        /* started by env_start_http() */
    tk_coap_server *coap;        /* started by env_start_coap() */
    char url[64];
} tam_env;

/* A component installed on a test agent. */
typedef sim_component agent_component;

/* How a test agent misbehaves. */
typedef enum agent_fault {
    AGENT_HONEST = 0,
    AGENT_WRONG_ATTESTATION_KEY, /* evidence signed by an unregistered key */
    AGENT_STALE_NONCE,           /* evidence carries an old challenge */
    AGENT_WRONG_HWMODEL,         /* evidence names another hardware model */
} agent_fault;

/* One TEEP Agent with its device. sim contains the state machine (machine,
 * state), the agent and attestation keys, the ueid, the inventory and the
 * counts of process and unlink calls. */
typedef struct test_agent {
    sim_agent sim;
    tam_env *env;
    tk_key rogue;                /* unregistered attestation key */
    uint8_t rogue_kid[32];
    char id_hex[40];
    agent_fault fault;
    const char *hwversion; /* of the evidence; NULL sends "1.0" */
    agent_component requested[4];
    size_t requested_count;
    agent_component unneeded[4];
    size_t unneeded_count;
} test_agent;

/* Messages of one exchange, for replays. */
typedef struct exchange {
    size_t count;                 /* agent messages posted */
    uint8_t sent[ENV_MAX_MESSAGES][ENV_MESSAGE_MAX];
    size_t sent_len[ENV_MAX_MESSAGES];
    uint32_t sent_type[ENV_MAX_MESSAGES];   /* 0 for the empty POST */
    unsigned status[ENV_MAX_MESSAGES];      /* HTTP status of each reply */
    uint32_t reply_type[ENV_MAX_MESSAGES];  /* TEEP type of each reply */
    tk_teep_agent_result last_agent;
} exchange;

/* Opens a TAM on a fresh temporary folder with the given overrides
 * ("key=value" strings, NULL-terminated, may be NULL). */
void env_open(tam_env *env, const char *const *config);
void env_close(tam_env *env);

/* The test clock, for tk_tam_options of more TAM workers (ctx: env). */
int64_t env_clock(void *ctx);

/* Serves the TAM over HTTP on 127.0.0.1 (ephemeral port) for the rest of
 * the test; later exchanges go through libcurl. */
void env_start_http(tam_env *env);

/* Serves the TAM over CoAP on 127.0.0.1 instead (ephemeral UDP port). */
void env_start_coap(tam_env *env);

/* Builds a signed envelope for component ['tc', name] with the manifest
 * id ['tc', name, 'suit'] and adds it to the store. Returns the
 * component's store id. */
int64_t env_add_component(tam_env *env, const char *name, uint64_t sequence);

/* Sets a policy rule of the agent's device. */
void env_policy(tam_env *env, const test_agent *agent, int64_t component,
                bool absent);

/* Creates an agent and registers its device (hwmodel 0x0102, hwversion
 * "1.0") with its agent and attestation keys. n makes the ueid unique. */
void agent_init(test_agent *agent, tam_env *env, unsigned n);
void agent_release(test_agent *agent);

/* Fills the encoded ids of component name into c. */
void component_ids(const char *name, agent_component *c);

/* Gives the agent an installed component. */
void agent_install(test_agent *agent, const char *name, uint64_t sequence);
/* Returns the installed sequence of name, or 0. */
uint64_t agent_sequence(const test_agent *agent, const char *name);

/*
 * POSTs body (NULL for the empty POST) to the TAM, in-process or over
 * HTTP. *status receives the status; the reply goes to reply (capacity
 * cap, length in *reply_len).
 */
void env_post(tam_env *env, const uint8_t *body, size_t len,
              unsigned *status, uint8_t *reply, size_t cap,
              size_t *reply_len);

/* Runs a whole exchange, from the empty POST until the TAM replies with
 * 204 or an error status. Returns the number of requests posted. */
size_t run_exchange(tam_env *env, test_agent *agent, exchange *ex);

/* Store queries for assertions. */
size_t count_attestations(tam_env *env, int64_t device,
                          tk_store_attestation *latest);
size_t count_reports(tam_env *env, int64_t device);
size_t count_audit(tam_env *env, const char *action);
size_t count_installed(tam_env *env, int64_t device, const char *name,
                       uint64_t *sequence);
int64_t agent_device_id(tam_env *env, const test_agent *agent);

#endif /* TAM_TEST_ENV_H */
