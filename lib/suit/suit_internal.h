/*
 * Declarations shared by the files of lib/suit. Not installed.
 */
#ifndef TK_SUIT_INTERNAL_H
#define TK_SUIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "teepkit/crypto.h"
#include "teepkit/suit.h"

/* Keeps a function out of line, so that the locals of a rare path (a
 * delegation chain, a dependency) do not enlarge the stack frame of the
 * common path that calls it. */
#if defined(__GNUC__)
#define TK_SUIT_NOINLINE __attribute__((noinline))
#else
#define TK_SUIT_NOINLINE
#endif

/*
 * Decoder flags. Integer-keyed SUIT maps find duplicate keys with a
 * tk_suit_labels set, which costs a bit test per key instead of the
 * decoder's comparison with every earlier key; maps with other keys (text
 * maps, CWT claims, reports) use the decoder's check.
 */
#define TK_SUIT_DEC_FLAGS 0u
#define TK_SUIT_DEC_CHECKED TK_CBOR_CHECK_DUP_KEYS

/* The labels seen in one map: a bit per label in -64..63, and a list of
 * up to TK_SUIT_MAX_WIDE_LABELS others. */
typedef struct tk_suit_labels {
    uint64_t bits[2];
    int64_t wide[TK_SUIT_MAX_WIDE_LABELS];
    uint8_t wide_count;
} tk_suit_labels;

/* Adds label to set. Returns TK_OK, TK_ERR_SUIT_DUPLICATE_KEY when it was
 * already there, or TK_ERR_LIMIT when the wide list is full. */
static inline tk_err tk_suit_label_add(tk_suit_labels *set, int64_t label)
{
    if (label >= -64 && label < 64) {
        uint64_t bit = (uint64_t)1 << ((uint64_t)(label + 64) & 63u);
        uint64_t *word = &set->bits[label < 0 ? 0 : 1];
        if ((*word & bit) != 0)
            return TK_ERR_SUIT_DUPLICATE_KEY;
        *word |= bit;
        return TK_OK;
    }
    for (size_t i = 0; i < set->wide_count; i++)
        if (set->wide[i] == label)
            return TK_ERR_SUIT_DUPLICATE_KEY;
    if (set->wide_count >= TK_SUIT_MAX_WIDE_LABELS)
        return TK_ERR_LIMIT;
    set->wide[set->wide_count++] = label;
    return TK_OK;
}

/* Reads a map label and adds it to set; a duplicate or an overflow is
 * kept as the decoder's error. */
static inline tk_err tk_suit_get_label(tk_cbor_dec *dec, tk_suit_labels *set,
                                       int64_t *label)
{
    tk_err e = tk_cbor_dec_get_label(dec, label);
    if (e == TK_OK)
        e = tk_suit_label_add(set, *label);
    return e != TK_OK ? tk_cbor_dec_fail(dec, e) : TK_OK;
}

/* Text that the KDF context of ECDH recipients carries in
 * SuppPubInfo.other (draft-ietf-suit-firmware-encryption-24 section
 * 5.2.4). */
#define TK_SUIT_KDF_OTHER "SUIT Payload Encryption"

/*
 * Slots of the per-component parameter table (tk_suit_params.value): the
 * parameters of draft-ietf-suit-manifest-37 first, then those of the parts
 * that the build has. A part left out (TK_SUIT_WITH_DECRYPTION,
 * TK_SUIT_WITH_UPDATE_MANAGEMENT) gets slots of 64 and above, past the
 * table, which tk_suit_param_slot() never returns and tk_suit_param_get()
 * never reads.
 */
enum {
    TK_SUIT_P_VENDOR_ID = 0,
    TK_SUIT_P_CLASS_ID,
    TK_SUIT_P_IMAGE_DIGEST,
    TK_SUIT_P_COMPONENT_SLOT,
    TK_SUIT_P_STRICT_ORDER,
    TK_SUIT_P_IMAGE_SIZE,
    TK_SUIT_P_CONTENT,
    TK_SUIT_P_URI,
    TK_SUIT_P_SOURCE_COMPONENT,
    TK_SUIT_P_INVOKE_ARGS,
    TK_SUIT_P_DEVICE_ID,
    TK_SUIT_P_FETCH_ARGS,
    TK_SUIT_P_CORE_COUNT,
    TK_SUIT_P_ENCRYPTION_INFO =
        TK_SUIT_WITH_DECRYPTION ? TK_SUIT_P_CORE_COUNT : 64,
    TK_SUIT_P_USE_BEFORE =
        TK_SUIT_WITH_UPDATE_MANAGEMENT
            ? TK_SUIT_P_CORE_COUNT + TK_SUIT_WITH_DECRYPTION
            : 65,
    TK_SUIT_P_MINIMUM_BATTERY,
    TK_SUIT_P_UPDATE_PRIORITY,
    TK_SUIT_P_VERSION,
    TK_SUIT_P_WAIT_INFO,
    TK_SUIT_P_COMPONENT_METADATA,
    TK_SUIT_P_COUNT = TK_SUIT_P_CORE_COUNT + TK_SUIT_WITH_DECRYPTION +
                      6 * TK_SUIT_WITH_UPDATE_MANAGEMENT
};

_Static_assert(TK_SUIT_P_COUNT == TK_SUIT_PARAM_SLOTS,
               "TK_SUIT_PARAM_SLOTS in teepkit/suit.h must equal "
               "TK_SUIT_P_COUNT");

/* Undo entry slot value of a custom parameter change. */
#define TK_SUIT_UNDO_CUSTOM 0xffu

/* ---- errors and small helpers (suit_decode.c) ------------------------ */

/* Translates a CBOR decoder error into the SUIT error that describes it
 * (a duplicate key becomes TK_ERR_SUIT_DUPLICATE_KEY, a wrong type or a
 * missing item TK_ERR_SUIT_MALFORMED); other codes pass unchanged. */
tk_err tk_suit_cbor_err(tk_err err);

/* Stores code and offset in err unless err is NULL or already contains
 * an error. Returns code. */
tk_err tk_suit_fail(tk_suit_error *err, tk_err code, size_t offset);

/* Returns the offset of p inside base, or 0 when p lies outside it. */
size_t tk_suit_offset_in(tk_view base, const uint8_t *p);

/* Returns true when a and b contain the same bytes. */
bool tk_suit_view_eq(tk_view a, tk_view b);

/* Returns true for a digest algorithm this library computes. */
bool tk_suit_hash_supported(int64_t alg);

/*
 * Decodes an encoded SUIT_Digest (array of algorithm and bstr, extensions
 * ignored) into d, with views into bytes. Returns TK_OK,
 * TK_ERR_SUIT_MALFORMED or TK_ERR_SUIT_DIGEST_ALG.
 */
tk_err tk_suit_digest_decode(tk_view bytes, tk_suit_digest *d);

/* Reads a SUIT_Digest item at the decoder's position into d. */
tk_err tk_suit_digest_read(tk_cbor_dec *dec, tk_suit_digest *d);

/* Computes the digest of data with alg into out (TK_CRYPTO_MAX_HASH_SIZE
 * bytes) and its length into *len. */
tk_err tk_suit_hash(const tk_crypto *crypto, int64_t alg, tk_view data,
                    uint8_t *out, size_t *len);

/* Compares a computed digest with a SUIT_Digest in constant time. */
bool tk_suit_digest_matches(const tk_suit_digest *expected, int64_t alg,
                            const uint8_t *digest, size_t len);

/* Checks that id is an encoded SUIT_Component_Identifier (array of at
 * most TK_SUIT_MAX_COMPONENT_ID_PARTS byte strings). */
tk_err tk_suit_component_id_check(tk_view id);

/* ---- verification (suit_auth.c) -------------------------------------- */

/* Key lookup context passed through COSE to tk_suit_find_key_fn. */
typedef struct tk_suit_key_ctx {
    tk_suit_find_key_fn find_key;
    void *ctx;
    tk_suit_key_request req;
    const tk_suit_auth_work *delegated; /* keys of verified delegation
                                           chains, or NULL */
    const tk_key *last;        /* key the last lookup returned */
    bool delegated_only;       /* lookups skip find_key: a retry with the
                                  keys of delegation chains */
    const tk_key *signer;      /* key of the first verified block */
    tk_err callback_err;       /* first error other than TK_ERR_NOT_FOUND */
    bool found;                /* some lookup found a key */
    tk_suit_now_fn now;        /* clock for delegation CWTs, or NULL */
    void *now_ctx;
    bool have_now;             /* now_seconds was read */
    uint64_t now_seconds;
} tk_suit_key_ctx;

/* tk_suit_envelope_verify_clock() with every field of the key request
 * given: base supplies depth, storage_id and dependent_signer. work keeps
 * the keys of delegation chains during the call. */
tk_err tk_suit_verify_request(tk_suit_envelope *env, const tk_crypto *crypto,
                              tk_suit_find_key_fn find_key, void *key_ctx,
                              const tk_suit_key_request *base,
                              tk_suit_now_fn now, void *now_ctx,
                              tk_suit_auth_work *work, tk_suit_error *err);

/* tk_cose_key_lookup_fn that forwards to the platform's find_key with the
 * request in arg (a tk_suit_key_ctx). */
tk_err tk_suit_key_lookup(void *arg, tk_view kid, tk_alg alg,
                          const tk_key **key);

/* ---- processor internals --------------------------------------------- */

/* Selection of components that a command applies to. */
typedef struct tk_suit_selection {
    uint8_t all;       /* component index true */
    uint8_t count;     /* indices in list, when not all */
    uint8_t list[TK_SUIT_MAX_COMPONENTS];
} tk_suit_selection;

/* Execution state of one manifest's command sequence. */
typedef struct tk_suit_exec {
    tk_suit_processor *proc;
    size_t manifest;          /* index in proc->manifests */
    int32_t section;          /* manifest key of the sequence; 3 = shared */
    tk_suit_section section_id; /* section of the procedure step */
    tk_view section_bytes;    /* top-level sequence: offsets count from it */
    uint8_t manifest_id[TK_SUIT_MAX_DEPENDENCY_DEPTH];
    uint8_t manifest_depth;
    bool shared;              /* running the shared sequence */
    int64_t command;          /* label of the running command */
    const uint8_t *at;        /* its position in the manifest */
} tk_suit_exec;

/* Result detail of a failed command: a condition failure that the
 * soft-failure parameter lets the enclosing try-each or run-sequence
 * absorb. */
typedef struct tk_suit_outcome {
    bool condition;  /* the failure is a condition failure */
    bool soft;       /* soft failure was true in the failing sequence */
} tk_suit_outcome;

/* suit_params.c */
tk_err tk_suit_params_entry(tk_suit_processor *proc, tk_view id,
                            uint8_t *entry);
int tk_suit_param_slot(int64_t key);
tk_err tk_suit_params_apply(tk_suit_exec *ex, tk_view map,
                            uint32_t component, bool override,
                            bool allow_soft, bool *soft_failure);
tk_err tk_suit_params_copy(tk_suit_exec *ex, tk_view map,
                           uint32_t component);
void tk_suit_undo_to(tk_suit_processor *proc, size_t mark);
tk_suit_params *tk_suit_params_of(tk_suit_exec *ex, uint32_t component);
bool tk_suit_param_get(const tk_suit_params *p, int slot,
                       tk_suit_param_value *out);
void tk_suit_component_invalidate(tk_suit_processor *proc, uint8_t entry);

/* suit_exec.c */
tk_err tk_suit_run_sequence(tk_suit_exec *ex, tk_view seq, unsigned depth,
                            bool soft_default, int32_t fixed_component,
                            tk_suit_outcome *out);
tk_err tk_suit_exec_fail(tk_suit_exec *ex, tk_err code, const uint8_t *at,
                         int64_t command, uint32_t component);
void tk_suit_component_of(tk_suit_exec *ex, uint32_t index,
                          tk_suit_component *c);
tk_err tk_suit_check_access(tk_suit_exec *ex, uint32_t index,
                            tk_suit_access access);

/* suit_conditions.c */
tk_err tk_suit_condition(tk_suit_exec *ex, int64_t label, uint32_t index,
                         tk_suit_record *rec);
tk_err tk_suit_component_digest(tk_suit_exec *ex, uint32_t index,
                                int64_t alg, uint8_t *out, size_t *len,
                                bool *present);
tk_err tk_suit_component_read(tk_suit_exec *ex, const tk_suit_component *c,
                              uint64_t size, tk_err (*sink)(void *arg,
                              const uint8_t *data, size_t len), void *arg);

/* suit_directives.c */
tk_err tk_suit_directive(tk_suit_exec *ex, int64_t label, uint32_t index,
                         tk_suit_record *rec);

/* suit_depend.c */

/* Returns true when component index of manifest m is a dependency. In a
 * build without dependencies it is always false, so the compiler drops
 * the code that handles them. */
static inline bool tk_suit_is_dependency(const tk_suit_loaded *m,
                                         uint32_t index)
{
    if (!TK_SUIT_WITH_DEPENDENCIES)
        return false;
    for (size_t i = 0; i < m->manifest.dependency_count; i++)
        if (m->manifest.dependencies[i].index == index)
            return true;
    return false;
}

tk_err tk_suit_dependency_load(tk_suit_exec *ex, uint32_t index,
                               bool verify, size_t *loaded);
tk_err tk_suit_dependency_integrity(tk_suit_exec *ex, uint32_t index,
                                    tk_suit_record *rec);
tk_err tk_suit_dependency_process(tk_suit_exec *ex, uint32_t index);
tk_err tk_suit_check_rollback(tk_suit_processor *proc, size_t manifest);
tk_err tk_suit_run_section(tk_suit_processor *proc, size_t manifest,
                           tk_suit_section section,
                           const uint8_t *manifest_id, uint8_t depth);
int32_t tk_suit_section_key(tk_suit_section section);

#endif /* TK_SUIT_INTERNAL_H */
