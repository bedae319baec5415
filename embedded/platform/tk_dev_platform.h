/*
 * A SUIT platform (tk_suit_platform) for the device images and the tests
 * that run under QEMU. Components are images in a storage pool that
 * stands in for flash; writes are staged and applied when the procedure
 * ends with success, as tk_suit_platform requires. Payloads behind URIs
 * are generated (byte i is i * mul + add, modulo 256), so they take no
 * space in the image.
 *
 * The published SUIT examples carry placeholder image digests. An alias
 * makes the digest callback report a chosen digest for an image whose real
 * SHA-256 matches a registered payload, as the examples expect.
 *
 * No allocation: the caller owns the platform and the storage pool.
 */
#ifndef TK_DEV_PLATFORM_H
#define TK_DEV_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/suit.h"
#include "teepkit/suit_lite.h"

#define TKD_MAX_COMPONENTS 4
#define TKD_MAX_ID 32
#define TKD_MAX_PAYLOADS 4
#define TKD_MAX_ALIASES 4
/* 1: the platform's fetch callback serves tk_suit_process(). The image of
 * the lite processor builds the platform with 0, so that it links no part
 * of the full processor. */
#ifndef TKD_FULL_FETCH
#define TKD_FULL_FETCH 1
#endif

/* Bytes that a fetch pushes into the processor per tk_suit_sink_write. */
#define TKD_FETCH_CHUNK 128

/* A payload served at a URI. */
typedef struct tkd_payload {
    const char *uri;
    size_t len;
    uint8_t mul;
    uint8_t add;
} tkd_payload;

/* The digest reported for an image whose real SHA-256 is real, on the
 * component id (encoded; id_len 0 for any component). */
typedef struct tkd_alias {
    uint8_t id[TKD_MAX_ID];
    size_t id_len;
    uint8_t real[32];
    uint8_t reported[32];
} tkd_alias;

/* The content of a component: a range of the storage pool. */
typedef struct tkd_image {
    uint8_t *data;
    size_t len;
    bool present;
} tkd_image;

typedef struct tkd_component {
    uint8_t id[TKD_MAX_ID]; /* encoded SUIT_Component_Identifier */
    size_t id_len;
    tkd_image active;  /* the committed image */
    tkd_image staged;  /* written in the running procedure */
    bool has_staged;   /* staged replaces active when the procedure ends
                          with success */
    bool has_slot;
    uint64_t slot;
    bool has_record;
    tk_suit_installed record;
    bool has_staged_record;
    tk_suit_installed staged_record;
} tkd_component;

typedef struct tkd_platform {
    tk_suit_platform pf; /* pf.ctx is this platform */
    const tk_crypto *crypto;
    const tk_key *manifest_key; /* trusted for every manifest */
    const tk_key *decryption_key; /* for TK_SUIT_KEY_DECRYPTION, or NULL */
    tk_view vendor_id;
    tk_view class_id;

    tkd_component components[TKD_MAX_COMPONENTS];
    size_t component_count;
    tkd_payload payloads[TKD_MAX_PAYLOADS];
    size_t payload_count;
    tkd_alias aliases[TKD_MAX_ALIASES];
    size_t alias_count;

    uint8_t *pool; /* storage of every image */
    size_t pool_cap;
    size_t pool_used;
    size_t pool_mark;  /* pool_used when the procedure began */
    tkd_component *writing; /* component of the open write, or NULL */
    size_t write_cap;  /* room of the open write */

    size_t fetches;
    size_t invokes;
    size_t commits;
    size_t discards;
    uint8_t invoked_id[TKD_MAX_ID]; /* the last invoked component */
    size_t invoked_id_len;
} tkd_platform;

/* The fetch callback of the lite processor (tk_suit_lite_config.fetch,
 * with the platform as fetch_ctx): serves the same payloads. */
tk_err tkd_lite_fetch(void *ctx, const tk_suit_fetch_request *req,
                      tk_suit_lite_sink *sink);

/* Writes into out a SHA-256 over what a procedure leaves behind: every
 * component's committed image and rollback record, the number of
 * invocations and commits, and the last invoked component. Two processors
 * that did the same to the device give the same digest. */
tk_err tkd_state_digest(tkd_platform *tp, const tk_crypto *crypto,
                        uint8_t out[32]);

/* Fills tp with no components, payloads or aliases, and the callbacks. */
void tkd_init(tkd_platform *tp, const tk_crypto *crypto,
              const tk_key *manifest_key, uint8_t *pool, size_t pool_cap);

/* Returns the component with encoded id, creating it when create is set;
 * NULL when there is none or no room. */
tkd_component *tkd_component_get(tkd_platform *tp, tk_view id, bool create);

/* Serves payload p at its URI. Returns TK_ERR_LIMIT when the table is
 * full. */
tk_err tkd_add_payload(tkd_platform *tp, const tkd_payload *p);

/* Makes the digest callback report reported (SHA-256) for an image equal
 * to payload p on component id (empty: any component). */
tk_err tkd_add_alias(tkd_platform *tp, tk_view id, const tkd_payload *p,
                     const uint8_t reported[32]);

/* Stores payload p as the committed image of component id. */
tk_err tkd_set_image(tkd_platform *tp, tk_view id, const tkd_payload *p);

/* Tells whether the committed image of component id equals payload p. */
bool tkd_image_is(tkd_platform *tp, tk_view id, const tkd_payload *p);

/* Returns byte i of payload p. */
static inline uint8_t tkd_payload_byte(const tkd_payload *p, size_t i)
{
    return (uint8_t)(i * p->mul + p->add);
}

#endif /* TK_DEV_PLATFORM_H */
