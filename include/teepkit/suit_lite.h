/*
 * A lean SUIT processor for secure boot and install on class 1 devices
 * (RFC 7228): it reads the envelope and the manifest directly from their
 * bytes, in one pass per command sequence, with no decoded copy of the
 * manifest. It implements the core of draft-ietf-suit-manifest-37 that
 * such a device needs:
 *
 *   envelope   authentication wrapper of a SHA-256 digest and one or more
 *              COSE_Sign1 (tag 18) with ES256 or ESP256, integrated
 *              payloads, severable payload-fetch, install and text
 *   manifest   version 1, sequence number (rollback checked against the
 *              platform's record), reference URI, common (components and
 *              shared sequence), validate, load, invoke, payload-fetch,
 *              install
 *   conditions vendor, class and device identifier, image match,
 *              component slot, abort
 *   directives set-component-index (index, true or array),
 *              set-parameters, override-parameters, try-each, run-sequence,
 *              fetch, copy, write, invoke
 *   parameters vendor, class and device identifier, image digest
 *              (SHA-256), image size, component slot, content, URI, source
 *              component, invoke arguments
 *
 * Anything else in a manifest is rejected, never skipped: other members,
 * commands, parameters, algorithms, COSE header labels, indefinite
 * lengths, tags other than 107 and 18, floats. Every manifest it accepts
 * is also accepted by tk_suit_process() with the same effects
 * (tests/unit/suit_lite checks this over the published examples and
 * mutated manifests, and tests/fuzz/fuzz_suit_lite.c over fuzzed input).
 *
 * Rules that differ from tk_suit_process(), all stricter:
 *   - every authentication block must verify with a trusted key (the full
 *     processor accepts an envelope when one of them does);
 *   - try-each and run-sequence nest one level below a top-level
 *     sequence: a try-each or run-sequence inside them fails with
 *     TK_ERR_SUIT_DEPTH (this keeps the stack under 2 KiB);
 *   - a manifest that lists the same component identifier twice is
 *     rejected.
 *
 * It uses the same platform callbacks (tk_suit_platform) and crypto table
 * as tk_suit_process(), except fetch: a fetch callback of the full
 * processor writes into a tk_suit_sink, so the lite processor takes its
 * own fetch callback in tk_suit_lite_config, which writes with
 * tk_suit_lite_sink_write(). Nothing here allocates, keeps global state,
 * or links the CBOR or COSE libraries.
 *
 *     tk_suit_lite lite;
 *     tk_suit_lite_config cfg = { .crypto = crypto, .platform = &pf,
 *                                 .fetch = my_fetch, .fetch_ctx = ... };
 *     tk_suit_lite_init(&lite, &cfg);
 *     err = tk_suit_lite_process(&lite, envelope, TK_SUIT_OP_UPDATE);
 */
#ifndef TEEPKIT_SUIT_LITE_H
#define TEEPKIT_SUIT_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/suit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Components of one manifest, authentication blocks and integrated
 * payloads share the limits of the full processor
 * (TK_SUIT_MAX_COMPONENTS, TK_SUIT_MAX_SIGNATURES, TK_SUIT_MAX_INTEGRATED)
 * and its chunk size (TK_SUIT_CHUNK_SIZE). Exceeding one gives
 * TK_ERR_LIMIT. */

/* Stream that a lite fetch callback pushes the payload into. */
typedef struct tk_suit_lite_sink tk_suit_lite_sink;

/*
 * Pushes the next len bytes of a fetched payload: enforces
 * suit-parameter-image-size and writes them through the platform's write
 * callback. A fetch callback stops and returns the error when this
 * returns one; the processor also keeps it, so a fetch that ignores it
 * still fails.
 */
tk_err tk_suit_lite_sink_write(tk_suit_lite_sink *sink, const uint8_t *data,
                               size_t len);

/* Fetches req->uri into sink with tk_suit_lite_sink_write(). */
typedef tk_err (*tk_suit_lite_fetch_fn)(void *ctx,
                                        const tk_suit_fetch_request *req,
                                        tk_suit_lite_sink *sink);

/* Settings of a lite processor. Pointers are kept, not copied. */
typedef struct tk_suit_lite_config {
    const tk_crypto *crypto;            /* required: SHA-256 and ES256 */
    const tk_suit_platform *platform;   /* required; its fetch is unused */
    tk_suit_lite_fetch_fn fetch;        /* optional: fetch of URIs that
                                           are not integrated payloads */
    void *fetch_ctx;
} tk_suit_lite_config;

/* Where a run failed. */
typedef struct tk_suit_lite_error {
    tk_err code;          /* TK_OK when nothing failed */
    size_t offset;        /* byte offset in the envelope of the failing
                             item or command */
    int32_t section;      /* manifest key of the command sequence, 3 for
                             the shared sequence, 0 outside commands */
    int64_t command;      /* command label, 0 outside commands */
    uint32_t component;   /* component index or TK_SUIT_NO_COMPONENT */
} tk_suit_lite_error;

/* Parameters of one component. Private. */
typedef struct tk_suit_lite_params {
    uint32_t set;         /* bit per parameter key */
    tk_view view[7];      /* string parameters */
    uint64_t num[3];      /* integer parameters */
} tk_suit_lite_params;

/* The running fetch, copy or write. Private. */
struct tk_suit_lite_sink {
    const tk_suit_platform *platform;
    tk_suit_component comp;
    uint64_t written;
    uint64_t limit;
    bool has_limit;
    tk_err err;
};

/* Command sequences of a manifest, by position. Private. */
enum {
    TK_SUIT_LITE_FETCH = 0,   /* suit-payload-fetch (16) */
    TK_SUIT_LITE_INSTALL,     /* suit-install (20) */
    TK_SUIT_LITE_VALIDATE,    /* suit-validate (7) */
    TK_SUIT_LITE_LOAD,        /* suit-load (8) */
    TK_SUIT_LITE_INVOKE,      /* suit-invoke (9) */
    TK_SUIT_LITE_SECTIONS
};

/*
 * A lite processor, owned by the caller. Private fields: use the
 * functions. 1,208 bytes on Cortex-M4 with the minimal profile's limits
 * (4 components).
 */
typedef struct tk_suit_lite {
    tk_suit_lite_config cfg;
    tk_suit_lite_error error;
    tk_view input;                      /* the envelope */
    tk_view manifest;                   /* content of the manifest bstr */
    tk_view manifest_wrapped;           /* with its head */
    tk_view severed[3];                 /* envelope members 16, 20, 23,
                                           head included */
    tk_view integrated[TK_SUIT_MAX_INTEGRATED][2]; /* key, payload */
    size_t integrated_count;
    const uint8_t *digest;              /* SHA-256 of the manifest, in the
                                           authentication wrapper */
    const tk_key *signer;
    uint64_t sequence_number;
    tk_view components[TK_SUIT_MAX_COMPONENTS];
    uint32_t component_count;
    tk_view shared;
    tk_view sequence[TK_SUIT_LITE_SECTIONS]; /* ptr NULL: absent */
    uint8_t severed_missing;            /* bit per section */
    bool in_shared;
    int32_t section;
    tk_suit_lite_params params[TK_SUIT_MAX_COMPONENTS];
    tk_suit_lite_params saved[TK_SUIT_MAX_COMPONENTS]; /* before a
                                           try-each sequence */
    tk_suit_lite_sink sink;
    tk_crypto_hash_state hash;
    uint8_t chunk[TK_SUIT_CHUNK_SIZE];
} tk_suit_lite;

/*
 * Initializes lite with cfg (copied). Returns TK_OK or TK_ERR_INVALID_ARG
 * when crypto, platform, find_key or stat is missing.
 */
tk_err tk_suit_lite_init(tk_suit_lite *lite, const tk_suit_lite_config *cfg);

/*
 * Runs operation op (TK_SUIT_OP_UPDATE, _BOOT, _UPDATE_AND_BOOT, _STAGE or
 * _INSTALL) on the envelope in input, which must stay valid and unchanged
 * during the call: authenticates it, checks rollback, and runs the command
 * sequences of op with the shared sequence before each, inside the
 * platform's begin()/end() transaction. After an update or install it
 * stages the rollback record of every component.
 *
 * Returns TK_OK only when every step succeeded and end() committed; on
 * failure the first error (also in tk_suit_lite_error_of()), and the
 * platform was asked to discard every staged change.
 */
tk_err tk_suit_lite_process(tk_suit_lite *lite, tk_view input,
                            tk_suit_operation op);

/* Returns where the last tk_suit_lite_process() failed. */
const tk_suit_lite_error *tk_suit_lite_error_of(const tk_suit_lite *lite);

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_SUIT_LITE_H */
