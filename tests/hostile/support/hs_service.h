/*
 * A real TAM service (apps/tam) on a temporary SQLite store, for the fuzz
 * target of the TAM request path and the hostile HTTP tests. The store
 * contains one device: the agent keys, the attestation key and the reference
 * values of tests/hostile/support/hs.h, and one Trusted Component signed
 * by the SUIT signer key, whose Update the policy sends.
 */
#ifndef HS_SERVICE_H
#define HS_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "hs.h"
#include "net.h"
#include "store.h"
#include "tam.h"

typedef struct hs_service {
    char dir[128];
    char db[192];
    char key_dir[192];
    tk_tam *tam;
    tk_store *store;
    int64_t now;
    int64_t device;    /* store id of the device */
    int64_t component; /* store id of the Trusted Component */
    /* The TAM's public keys, as an agent trusts them. */
    tk_key tam_keys[2];
    uint8_t tam_kids[2][64];
} hs_service;

/*
 * Opens a TAM in a new folder under /tmp, with the configuration overrides
 * in config ("key=value" strings, NULL-terminated, may be NULL). Aborts on
 * any failure.
 */
void hs_service_open(hs_service *s, const char *const *config);

/* Closes the TAM and deletes its folder. */
void hs_service_close(hs_service *s);

/*
 * POSTs body to the TAM handler in-process, as the HTTP server would, and
 * copies the reply into reply (capacity cap). Returns the HTTP status.
 */
unsigned hs_service_post(hs_service *s, const uint8_t *body, size_t len,
                         uint8_t *reply, size_t cap, size_t *reply_len);

/* Verifies a TAM message with the TAM's keys and decodes it. */
tk_err hs_service_open_reply(hs_service *s, tk_view msg, tk_teep_message *out,
                             uint8_t *copy, size_t copy_cap);

/* Returns the count that the SQL query sql ("SELECT count(*) ...") gives
 * on the store, read through a separate read-only connection. */
size_t hs_service_count(hs_service *s, const char *sql);

/* Row counts of the tables a TEEP message can change, to check that a
 * rejected message changed nothing. */
typedef struct hs_service_snapshot {
    size_t sessions;
    size_t tokens;
    size_t consumed;
    size_t attestations;
    size_t installed;
    size_t reports;
} hs_service_snapshot;

void hs_service_state(hs_service *s, hs_service_snapshot *out);

/* The encoded identifier of the Trusted Component. */
tk_view hs_service_component_id(void);

#endif /* HS_SERVICE_H */
