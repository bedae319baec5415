/*
 * An in-memory SUIT platform for the tests of lib/suit: components are
 * byte arrays keyed by their encoded identifiers, with a committed and a
 * staged copy so that a failed procedure can be checked to leave every
 * component unchanged. Every callback can be made to fail by number, for
 * fault injection.
 *
 * The placeholder digests of the published examples are reported through
 * aliases: an alias maps the real SHA-256 of an image (optionally only in
 * one component) to the digest the platform reports for it.
 */
#ifndef SUIT_TEST_PLATFORM_H
#define SUIT_TEST_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/suit.h"

#define TP_MAX_COMPONENTS 16
#define TP_MAX_URIS 8
#define TP_MAX_ALIASES 8
#define TP_MAX_KEYS 8
#define TP_MAX_LOG 16
#define TP_MAX_ID 96

/* An image: present or not, with its bytes (malloc'd). */
typedef struct tp_image {
    bool present;
    uint8_t *data;
    size_t len;
} tp_image;

/* One component of the platform. */
typedef struct tp_component {
    uint8_t id[TP_MAX_ID];
    size_t id_len;
    tp_image committed;
    tp_image staged;
    bool has_slot;
    uint64_t slot;
    bool writing;
    uint8_t *wbuf;
    size_t wlen;
    bool has_record;
    tk_suit_installed record;
    bool staged_has_record;
    tk_suit_installed staged_record;
} tp_component;

/* A payload that fetch serves for a URI. */
typedef struct tp_uri {
    const char *uri;
    const uint8_t *data;
    size_t len;
} tp_uri;

/* A digest alias (see the file comment). */
typedef struct tp_alias {
    uint8_t id[TP_MAX_ID];
    size_t id_len;  /* 0: any component */
    uint8_t real[32];
    uint8_t reported[32];
} tp_alias;

/* A trusted key. */
typedef struct tp_key {
    tk_suit_key_use use;
    tk_alg alg;        /* 0: any */
    const char *kid;   /* NULL: any */
    int depth;         /* -1: any */
    const tk_key *key;
} tp_key;

/* One invoke call. */
typedef struct tp_invoke {
    uint8_t id[TP_MAX_ID];
    size_t id_len;
    uint8_t args[64];
    size_t args_len;
} tp_invoke;

typedef struct tp_platform {
    tk_suit_platform pf;
    tp_component comps[TP_MAX_COMPONENTS];
    size_t ncomps;
    tp_uri uris[TP_MAX_URIS];
    size_t nuris;
    tp_alias aliases[TP_MAX_ALIASES];
    size_t naliases;
    tp_key keys[TP_MAX_KEYS];
    size_t nkeys;
    uint8_t vendor[16];
    uint8_t class_id[16];
    uint8_t device[16];
    bool have_device;

    tp_invoke invoked[TP_MAX_LOG];
    size_t ninvoked;
    size_t nunlinked;
    size_t nfetches;
    size_t nwaits;
    size_t begins;
    size_t commits;
    size_t discards;
    size_t key_requests;
    unsigned last_key_depth;
    const tk_key *last_dependent_signer;

    /* Knobs. */
    size_t fetch_chunk;      /* bytes per tk_suit_sink_write, default 7 */
    bool use_map;            /* offer map() */
    bool use_digest;         /* offer digest() (default true) */
    uint64_t battery_mwh;
    uint64_t now;
    bool authorized;
    int64_t version[8];
    size_t version_n;
    int deny_depth;          /* -1: allow all; else deny writes of this
                                manifest depth to deny_id */
    uint8_t deny_id[TP_MAX_ID];
    size_t deny_id_len;

    /* Fault injection: the fail_at-th callback call fails with fail_err. */
    unsigned long calls;
    unsigned long fail_at;
    tk_err fail_err;
} tp_platform;

/* Sets up tp with every callback, example vendor and class identifiers,
 * no components. */
void tp_init(tp_platform *tp);

/* Frees every image. */
void tp_free(tp_platform *tp);

/* Encodes a component identifier of n byte strings into out; returns its
 * view. */
tk_view tp_id(uint8_t *out, size_t cap, size_t n, const char *const *parts,
              const size_t *lens);

/* [h'XX'] for one byte. */
tk_view tp_id_byte(uint8_t *out, uint8_t byte);

/* Finds (or with create, adds) the component id. */
tp_component *tp_component_get(tp_platform *tp, tk_view id, bool create);

/* Sets the committed image of component id. */
void tp_set_image(tp_platform *tp, tk_view id, const uint8_t *data,
                  size_t len);

/* Returns the committed image of component id, or NULL. */
const tp_image *tp_image_of(tp_platform *tp, tk_view id);

/* Serves data for uri. */
void tp_add_uri(tp_platform *tp, const char *uri, const uint8_t *data,
                size_t len);

/* Reports digest reported for images whose SHA-256 is that of data (in
 * component id, or any component when id is empty). */
void tp_add_alias(tp_platform *tp, tk_view id, const uint8_t *data,
                  size_t len, const uint8_t reported[32]);

/* Trusts key for use (alg 0 = any, kid NULL = any, depth -1 = any). */
void tp_add_key(tp_platform *tp, tk_suit_key_use use, tk_alg alg,
                const char *kid, int depth, const tk_key *key);

/* Sets the installed rollback record of component id. */
void tp_set_record(tp_platform *tp, tk_view id, uint64_t sequence,
                   const uint8_t *digest, size_t digest_len);

/* Returns a digest over every committed image and record, to check that a
 * failed procedure changed nothing. */
void tp_fingerprint(tp_platform *tp, uint8_t out[32]);

/* Counts callbacks and returns true when the armed call is reached. */
bool tp_fault(tp_platform *tp);

#endif /* SUIT_TEST_PLATFORM_H */
