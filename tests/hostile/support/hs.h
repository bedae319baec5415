/*
 * Helpers shared by the hostile-input tests, the fault-injection tests and
 * the fuzz targets: fixed keys, signing of test messages, an in-memory
 * SUIT device whose callbacks can fail by number, and a TAM and a TEEP
 * Agent wired to it.
 *
 * Everything is deterministic: the keys come from fixed private scalars,
 * the clocks are fixed, and no callback reads the system. The helpers
 * abort the program on a setup failure, because that is a broken test,
 * not a result. None of this links cmocka, so the fuzz targets can use it.
 */
#ifndef HS_H
#define HS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "teepkit/crypto.h"
#include "teepkit/eat.h"
#include "teepkit/suit.h"
#include "teepkit/teep.h"

/* ---------------------------------------------------------------------- */
/* Keys                                                                   */
/* ---------------------------------------------------------------------- */

/* The crypto backend of every helper (OpenSSL). */
const tk_crypto *hs_crypto(void);

/* Fixed keys. Private parts are present, so each key signs and verifies. */
typedef struct hs_keys {
    tk_key tam_p256;      /* TAM, ESP256, kid "tam-p256" */
    tk_key tam_ed25519;   /* TAM, Ed25519, kid "tam-ed25519" */
    tk_key agent_p256;    /* agent, ESP256, kid = RFC 9679 thumbprint */
    tk_key agent_ed25519; /* agent, Ed25519, kid = thumbprint */
    tk_key attester;      /* device attestation key, ES256, kid "attest01" */
    tk_key suit_p256;     /* Trusted Component signer, ESP256 */
    tk_key suit_ed25519;  /* Trusted Component signer, Ed25519 */
    tk_key hmac256;       /* 32-byte HMAC key */
    tk_key aes128;        /* 16-byte AES key (content key and A128KW kek) */
    tk_key aes256;        /* 32-byte AES key */
    tk_key ecdh_p256;     /* P-256 recipient key for ECDH-ES */
    uint8_t agent_kid[TK_COSE_THUMBPRINT_SIZE];
    uint8_t agent_ed_kid[TK_COSE_THUMBPRINT_SIZE];
} hs_keys;

/* Kids of the fixed keys that are not thumbprints. */
#define HS_TAM_P256_KID "tam-p256"
#define HS_TAM_ED25519_KID "tam-ed25519"
#define HS_ATTESTER_KID "attest01"
#define HS_DEVICE_ID "device-1"

/* Returns the fixed keys, importing them on the first call. */
const hs_keys *hs_keys_get(void);

/* Builds a view of len bytes at p. */
tk_view hs_view(const void *p, size_t len);

/* Builds a view of a NUL-terminated string, without the NUL. */
tk_view hs_str(const char *s);

/* Signs payload as a tagged COSE_Sign1 with key and alg; kid may be
 * empty. Returns TK_OK or the COSE error. */
tk_err hs_sign1(const tk_key *key, tk_alg alg, tk_view kid, tk_view payload,
                uint8_t *out, size_t cap, size_t *len);

/* Computes SHA-256 of data into out. */
void hs_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

/* ---------------------------------------------------------------------- */
/* SUIT envelopes                                                         */
/* ---------------------------------------------------------------------- */

/*
 * Builds a tagged SUIT_Envelope around an encoded manifest: the
 * authentication wrapper (the SHA-256 SUIT_Digest of the bstr-wrapped
 * manifest and one COSE_Sign1 by key with alg), the manifest, then extra,
 * the encoding of extra_pairs further key/value pairs copied unchanged
 * (may be empty). Returns TK_OK, TK_ERR_BUFFER_TOO_SMALL or the signer's
 * error.
 */
tk_err hs_suit_envelope(tk_view manifest, tk_view extra, size_t extra_pairs,
                        const tk_key *key, tk_alg alg, uint8_t *out, size_t cap,
                        size_t *len);

/*
 * Signs again a SUIT envelope (tagged or not) whose manifest member 3 is a
 * byte string: the authentication wrapper is replaced by one that key and
 * alg make over that byte string, and every other member is copied in its
 * order, duplicates included. Returns TK_OK, TK_ERR_NOT_FOUND when input
 * is not a map with a byte-string member 3 (or is malformed CBOR), or
 * TK_ERR_BUFFER_TOO_SMALL.
 */
tk_err hs_suit_resign(tk_view input, const tk_key *key, tk_alg alg,
                      uint8_t *out, size_t cap, size_t *len);

/*
 * The Trusted Component of the published TEEP examples:
 * ['TEEP-Device', 'SecureFS', h'8D82573A...', 'ta'], whose payload is
 * hs_tc_payload, served at hs_tc_uri.
 */
extern const uint8_t hs_tc_id[42];
extern const uint8_t hs_tc_payload[20];
extern const char hs_tc_uri[];

/*
 * Returns the envelope of a SUIT fuzz input in a heap buffer of its exact
 * size, so that AddressSanitizer catches a read past its end, and its size
 * in *len; NULL when memory runs out. With signer 0 to 3 the manifest is
 * first signed again with ESP256, ES256, Ed25519 or EdDSA, so that mutated
 * manifests pass authentication. An input that hs_suit_resign() rejects
 * stays as it is, and signer -1 copies the envelope unchanged.
 */
uint8_t *hs_fuzz_envelope(const uint8_t *env, size_t env_len, int signer,
                          size_t *len);

/*
 * Writes the manifest of the Trusted Component with sequence number
 * sequence: the shared sequence checks vendor and class, install fetches
 * the payload from hs_tc_uri (or the integrated "#tc" when integrated is
 * set) and checks its digest, validate checks the image, uninstall
 * unlinks it. Returns the length, 0 when cap is too small.
 */
size_t hs_tc_manifest(uint64_t sequence, bool integrated, uint8_t *out,
                      size_t cap);

/* The same manifest in an envelope signed with the SUIT P-256 key (and the
 * integrated payload when integrated is set). Returns the length, 0 when
 * cap is too small. */
size_t hs_tc_envelope(uint64_t sequence, bool integrated, uint8_t *out,
                      size_t cap);

/* ---------------------------------------------------------------------- */
/* In-memory SUIT device                                                  */
/* ---------------------------------------------------------------------- */

#define HS_DEV_MAX_COMPONENTS 12
#define HS_DEV_MAX_ID 128
#define HS_DEV_MAX_URIS 4
/* Largest image the device stores; a larger write fails with
 * TK_ERR_LIMIT, so that a fuzz input cannot exhaust memory. */
#define HS_DEV_MAX_IMAGE (256u * 1024u)

/* An image: present or not, and its bytes (malloc'd). */
typedef struct hs_image {
    bool present;
    uint8_t *data;
    size_t len;
} hs_image;

/* One component, with its committed state and what the current procedure
 * staged. */
typedef struct hs_component {
    uint8_t id[HS_DEV_MAX_ID];
    size_t id_len;
    hs_image committed;
    bool has_record;
    tk_suit_installed record;
    /* Staged by the current procedure, valid while staged_valid. */
    bool staged_valid;
    hs_image staged;
    bool staged_record_valid;
    bool staged_has_record;
    tk_suit_installed staged_record;
    /* Image being written between write_begin and write_end. */
    bool writing;
    uint8_t *wbuf;
    size_t wlen;
} hs_component;

/* A payload that fetch serves for a URI. */
typedef struct hs_uri {
    const char *uri;
    const uint8_t *data;
    size_t len;
} hs_uri;

/*
 * The device. Every callback counts itself in calls; when calls reaches
 * fail_at, that callback returns fail_err instead of doing its work (a
 * bool or match result is left false first, so a callback that lies
 * cannot pass a check). failed_callback names the one that failed.
 */
typedef struct hs_device {
    tk_suit_platform pf;
    hs_component comps[HS_DEV_MAX_COMPONENTS];
    size_t ncomps;
    hs_uri uris[HS_DEV_MAX_URIS];
    size_t nuris;
    uint8_t vendor_id[16];
    uint8_t class_id[16];
    uint8_t device_id[16];
    /* Trusted manifest keys; a NULL entry is unused. */
    const tk_key *manifest_keys[4];
    tk_alg manifest_algs[4];
    /* Keys for content key unwrapping (symmetric kek, ECDH private). */
    const tk_key *decryption_keys[4];

    bool in_procedure;
    unsigned long begins;
    unsigned long commits;
    unsigned long discards;
    unsigned long writes_completed;
    unsigned long invokes;
    unsigned long fetches;

    unsigned long calls;
    unsigned long fail_at;
    tk_err fail_err;
    const char *failed_callback;
} hs_device;

/* Sets up dev with every callback, the vendor and class ids of the
 * published TEEP examples, the SUIT signer keys and no components. */
void hs_device_init(hs_device *dev);

/* Frees every image of dev. */
void hs_device_free(hs_device *dev);

/* Sets the committed image (and optionally the rollback record) of the
 * component with encoded id. */
void hs_device_set(hs_device *dev, tk_view id, const uint8_t *data, size_t len,
                   const tk_suit_installed *record);

/* Serves data for uri on fetch. */
void hs_device_add_uri(hs_device *dev, const char *uri, const uint8_t *data,
                       size_t len);

/* Returns the committed image of component id, or NULL when absent. */
const hs_image *hs_device_image(const hs_device *dev, tk_view id);

/* SHA-256 over every committed image and record, to check that a failed
 * procedure changed nothing. */
void hs_device_fingerprint(const hs_device *dev, uint8_t out[32]);

/* Resets dev to the device that the SUIT fuzz targets start from. It has
 * component [h'00'] at sequence number 1, the Trusted Component of the
 * TEEP examples at sequence number 2, and the URIs of both payloads. */
void hs_device_reset_fuzz(hs_device *dev);

/* Arms a failure of callback number fail_at (1-based, counted from now)
 * with err; 0 disarms. */
void hs_device_arm(hs_device *dev, unsigned long fail_at, tk_err err);

/* ---------------------------------------------------------------------- */
/* TEEP peers                                                             */
/* ---------------------------------------------------------------------- */

#define HS_MAX_SESSIONS 8
#define HS_MAX_MANIFESTS 4
#define HS_BUF 16384

/*
 * A TAM: the lib/teep state machine with a session table, the agent keys,
 * the real appraisal (tk_teep_tam_appraise) against the fixed attester,
 * and a policy that sends the manifests in policy_manifests. Callbacks
 * fail by number like the SUIT device's.
 */
typedef struct hs_tam {
    tk_teep_tam tam;
    tk_teep_signer signers[2];
    uint8_t scratch[HS_BUF];
    int64_t now;
    tk_teep_tam_session sessions[HS_MAX_SESSIONS];
    size_t session_count;
    unsigned long saves;
    unsigned long takes;
    /* Any token is found, as a session of this kind (for fuzzing past the
     * token check). 0 uses the session table. */
    uint32_t any_token_kind;
    tk_teep_tam_session any_session;
    size_t policy_count;
    tk_view policy_manifests[HS_MAX_MANIFESTS];
    unsigned long appraisals;
    unsigned long policies;
    unsigned long records;
    uint32_t last_record_type;

    unsigned long calls;
    unsigned long fail_at;
    tk_err fail_err;
    const char *failed_callback;
} hs_tam;

/*
 * An agent: the lib/teep state machine whose manifests are processed by
 * the real SUIT processor on dev, with real EAT evidence signed by the
 * attester key.
 */
typedef struct hs_agent {
    tk_teep_agent agent;
    tk_teep_agent_state state;
    tk_teep_signer signers[2];
    uint8_t scratch[HS_BUF];
    uint8_t evidence[4096];
    uint8_t reports[4096];
    int64_t now;
    hs_device *dev;
    tk_suit_processor proc;
    tk_suit_record records[16];
    unsigned long processed;
    unsigned long unlinked;

    unsigned long calls;
    unsigned long fail_at;
    tk_err fail_err;
    const char *failed_callback;
} hs_agent;

/* Sets up a TAM with ESP256 and Ed25519 signers and an empty policy. */
void hs_tam_init(hs_tam *t);

/* Sets up an agent with ESP256 and Ed25519 signers over device dev. */
void hs_agent_init(hs_agent *a, hs_device *dev);

/* Arms a callback failure of the TAM or the agent (see hs_device). */
void hs_tam_arm(hs_tam *t, unsigned long fail_at, tk_err err);
void hs_agent_arm(hs_agent *a, unsigned long fail_at, tk_err err);

/* Verifies msg with the TAM or agent keys and decodes it into *out.
 * Returns TK_OK or the verify or decode error. */
tk_err hs_open(tk_view msg, tk_teep_message *out, uint8_t *copy,
               size_t copy_cap);

/* Encodes msg and signs it with signer into out. */
tk_err hs_teep_sign(const tk_teep_message *msg, const tk_teep_signer *signer,
                    uint8_t *out, size_t cap, size_t *len);

/* The example vendor and class UUIDs of the published TEEP manifests. */
extern const uint8_t hs_vendor_id[16];
extern const uint8_t hs_class_id[16];

/* ---------------------------------------------------------------------- */
/* EAT                                                                    */
/* ---------------------------------------------------------------------- */

/* Identity of the simulated device: its ueid (type RAND and 16 bytes)
 * and hardware model. */
extern const uint8_t hs_device_ueid[17];
extern const uint8_t hs_device_hwmodel[4];

/* Claims of the simulated device, valid for the reference values of
 * hs_eat_reference(): ueid, oemid, hwmodel, hwversion, manifests, and the
 * cnf of the agent's P-256 key. nonce may be empty. */
void hs_eat_claims(tk_eat_claims *claims, tk_view nonce, int64_t iat);

/* Reference values that accept the fixed attester and device. */
const tk_eat_reference *hs_eat_reference(void);

#endif /* HS_H */
