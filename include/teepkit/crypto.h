/*
 * teepkit crypto interface.
 *
 * The core libraries reach every cryptographic primitive through a tk_crypto
 * table: a context pointer plus function pointers that a backend fills. The
 * core never names a crypto library, so a device can plug in its own backend
 * (a secure element, a hardware accelerator), and tests can wrap a backend to
 * inject failures (lib/crypto/fault/).
 *
 * Backends shipped with teepkit:
 *   tk_crypto_openssl()  OpenSSL 3 (target tk_crypto_openssl)
 *   tk_crypto_mbedtls()  Mbed TLS 2.28 (target tk_crypto_mbedtls)
 * Backend-neutral helpers (wipe, constant-time compare, key init and release,
 * algorithm sizes) are in the target tk_crypto, which is all the core links.
 *
 * Conventions of every table function:
 * - The first argument is the table's ctx member.
 * - Every function returns tk_err. An algorithm or curve that the backend
 *   does not implement gives TK_ERR_CRYPTO_UNSUPPORTED_ALG, never a generic
 *   code. A NULL required pointer gives TK_ERR_INVALID_ARG.
 * - Message input is a list of parts (tk_view array) processed as if
 *   concatenated, so callers never copy a payload to build a signed or MACed
 *   structure. nparts may be 0; a part with len 0 may have ptr NULL.
 * - An output is written through (buffer, capacity, *length). When the
 *   capacity is too small the function returns TK_ERR_BUFFER_TOO_SMALL and
 *   stores the needed size in *length; otherwise *length is the number of
 *   bytes written. On any other failure the output content is unspecified
 *   (the backend wipes what it can) and *length is 0.
 * - Keys are caller-owned tk_key values (see below). No function keeps a
 *   pointer to a key or to its input after it returns. The streaming
 *   states keep their own copies of what they need.
 *
 * Algorithms are named by their COSE identifiers (IANA "COSE Algorithms"
 * registry, RFC 9053 and RFC 9864). Curves and key types use the IANA
 * "COSE Elliptic Curves" and "COSE Key Types" values.
 */
#ifndef TEEPKIT_CRYPTO_H
#define TEEPKIT_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Algorithm, key type and curve identifiers                              */
/* ---------------------------------------------------------------------- */

/* A COSE algorithm identifier. */
typedef int32_t tk_alg;

enum {
    TK_ALG_NONE = 0,

    /* Signatures. ES256/ES384 require a P-256/P-384 key; the fully
     * specified ESP256/ESP384 are the same computations. EdDSA (-8) and
     * Ed25519 (-19) are both pure Ed25519 (RFC 8032) here. */
    TK_ALG_ES256 = -7,
    TK_ALG_ESP256 = -9,
    TK_ALG_ES384 = -35,
    TK_ALG_ESP384 = -51,
    TK_ALG_EDDSA = -8,
    TK_ALG_ED25519 = -19,

    /* HMAC. The backend always returns the full hash-sized tag; HMAC
     * 256/64 truncation to 8 bytes is the COSE layer's job. */
    TK_ALG_HMAC_256_64 = 4,
    TK_ALG_HMAC_256_256 = 5,
    TK_ALG_HMAC_384_384 = 6,
    TK_ALG_HMAC_512_512 = 7,

    /* AES key wrap, RFC 3394. */
    TK_ALG_A128KW = -3,
    TK_ALG_A192KW = -4,
    TK_ALG_A256KW = -5,

    /* AEAD with a 16-byte tag (RFC 9053 sections 4.1 and 4.3). */
    TK_ALG_A128GCM = 1,
    TK_ALG_A192GCM = 2,
    TK_ALG_A256GCM = 3,
    TK_ALG_CHACHA20_POLY1305 = 24,

    /* AES-CTR without authentication (RFC 9459). */
    TK_ALG_A128CTR = -65534,
    TK_ALG_A192CTR = -65533,
    TK_ALG_A256CTR = -65532,

    /* Hash functions. */
    TK_ALG_SHA256 = -16,
    TK_ALG_SHA384 = -43,
    TK_ALG_SHA512 = -44
};

/* COSE key types. */
enum {
    TK_KTY_NONE = 0,
    TK_KTY_OKP = 1,
    TK_KTY_EC2 = 2,
    TK_KTY_SYMMETRIC = 4
};

/* COSE elliptic curves. */
enum {
    TK_CRV_NONE = 0,
    TK_CRV_P256 = 1,
    TK_CRV_P384 = 2,
    TK_CRV_P521 = 3,
    TK_CRV_X25519 = 4,
    TK_CRV_X448 = 5,
    TK_CRV_ED25519 = 6,
    TK_CRV_ED448 = 7
};

/* Direction of a cipher operation. */
typedef enum tk_crypto_dir {
    TK_CRYPTO_ENCRYPT = 1,
    TK_CRYPTO_DECRYPT = 2
} tk_crypto_dir;

/* ---------------------------------------------------------------------- */
/* Sizes                                                                  */
/* ---------------------------------------------------------------------- */

/* Largest digest (SHA-512). */
#define TK_CRYPTO_MAX_HASH_SIZE 64
/* Largest signature: ES384 r||s. Ed25519 and ES256 signatures are 64. */
#define TK_CRYPTO_MAX_SIG_SIZE 96
/* Largest HMAC tag (HMAC 512/512). */
#define TK_CRYPTO_MAX_MAC_SIZE 64
/* Largest ECDH shared secret (P-384 x-coordinate). */
#define TK_CRYPTO_MAX_SECRET_SIZE 48
/* Tag of every AEAD algorithm above. */
#define TK_CRYPTO_AEAD_TAG_SIZE 16
/* Nonce of AES-GCM and ChaCha20/Poly1305 (96 bits, RFC 9053). */
#define TK_CRYPTO_AEAD_IV_SIZE 12
/* IV of AES-CTR: the full initial counter block (RFC 9459). */
#define TK_CRYPTO_CTR_IV_SIZE 16
/* AES key wrap adds one 8-byte integrity block (RFC 3394). */
#define TK_CRYPTO_KW_OVERHEAD 8
/* HKDF-SHA-256 output is at most 255 hash lengths (RFC 5869 section 2.3). */
#define TK_CRYPTO_HKDF_MAX_OUTPUT (255u * 32u)

/* Largest EC coordinate or scalar in a tk_key (P-384). */
#ifndef TK_CRYPTO_MAX_COORD_SIZE
#define TK_CRYPTO_MAX_COORD_SIZE 48
#endif
/* Largest symmetric key in a tk_key (an HMAC 512 key). */
#ifndef TK_CRYPTO_MAX_SYMMETRIC_SIZE
#define TK_CRYPTO_MAX_SYMMETRIC_SIZE 64
#endif

/* Caller-owned storage of a streaming hash. Every backend checks at compile
 * time that its state fits; a device backend may need a larger value. */
#ifndef TK_CRYPTO_HASH_STATE_SIZE
#define TK_CRYPTO_HASH_STATE_SIZE 256
#endif
/* Caller-owned storage of a streaming cipher (AES-CTR, AES-GCM,
 * ChaCha20/Poly1305). */
#ifndef TK_CRYPTO_CIPHER_STATE_SIZE
#define TK_CRYPTO_CIPHER_STATE_SIZE 1024
#endif

/* Opaque state of a streaming hash, owned by the caller. */
typedef struct tk_crypto_hash_state {
    union {
        max_align_t align;
        unsigned char bytes[TK_CRYPTO_HASH_STATE_SIZE];
    } opaque;
} tk_crypto_hash_state;

/* Opaque state of a streaming cipher, owned by the caller. */
typedef struct tk_crypto_cipher_state {
    union {
        max_align_t align;
        unsigned char bytes[TK_CRYPTO_CIPHER_STATE_SIZE];
    } opaque;
} tk_crypto_cipher_state;

/* ---------------------------------------------------------------------- */
/* Keys                                                                   */
/* ---------------------------------------------------------------------- */

/*
 * A key, owned by the caller, holding raw material in fixed arrays.
 *
 * EC2 (P-256, P-384): x and y are the big-endian affine coordinates and d
 * the big-endian private scalar, each coord_len bytes (32 or 48).
 * OKP: x is the public key and d the private key as RFC 8032 (Ed25519 seed)
 * or RFC 7748 (X25519 scalar) define them, each 32 bytes.
 * Symmetric: k contains k_len bytes.
 *
 * backend caches the backend's parsed form of the key (parsing costs a
 * quarter of an ES256 verify in OpenSSL 3.0). key_import and key_generate
 * fill it in backends that cache (OpenSSL does, the Mbed TLS backend does
 * not). A key filled by hand or by tk_key_init_symmetric has none, and
 * each operation parses it again. The cache belongs to the backend whose
 * identity is backend_owner: another backend ignores it and parses the raw
 * fields. Because of the cache, a key must not be copied by value once
 * imported; import it again instead. tk_key_release frees the cache and
 * wipes the key.
 */
typedef struct tk_key {
    int32_t kty;   /* TK_KTY_* */
    int32_t crv;   /* TK_CRV_*; TK_CRV_NONE for symmetric keys */
    bool has_public;
    bool has_private;
    size_t coord_len;  /* length of x, y and d for EC2 and OKP keys */
    uint8_t x[TK_CRYPTO_MAX_COORD_SIZE];
    uint8_t y[TK_CRYPTO_MAX_COORD_SIZE];
    uint8_t d[TK_CRYPTO_MAX_COORD_SIZE];
    size_t k_len;
    uint8_t k[TK_CRYPTO_MAX_SYMMETRIC_SIZE];
    tk_view kid;   /* optional key id; a view into the caller's memory */

    void *backend;                      /* backend's parsed key, or NULL */
    void (*backend_free)(void *backend); /* frees backend */
    const void *backend_owner;          /* identity of the caching backend */
} tk_key;

/*
 * Raw components of a key, as COSE_Key decoding gives them (RFC 9053
 * section 7). Unused members are zero views.
 *
 * EC2: x and y, or x alone with y_bit for a compressed point (COSE y given
 * as a boolean: false is 0, true is 1), and/or d. OKP: x and/or d.
 * Symmetric: k. When only d is present, key_import derives the public part.
 */
typedef struct tk_key_params {
    int32_t kty;
    int32_t crv;
    tk_view x;
    tk_view y;
    uint8_t y_bit;
    tk_view d;
    tk_view k;
    tk_view kid;
} tk_key_params;

/* ---------------------------------------------------------------------- */
/* The backend table                                                      */
/* ---------------------------------------------------------------------- */

typedef struct tk_crypto tk_crypto;

struct tk_crypto {
    /* Backend state passed as the first argument of every function. */
    void *ctx;
    /* Short backend name for logs, e.g. "openssl" or "mbedtls". */
    const char *name;

    /*
     * Tells whether the backend implements alg, and with a curve when crv
     * is not TK_CRV_NONE. With alg TK_ALG_NONE, it tells whether ECDH and
     * key generation work on crv. Returns TK_OK or
     * TK_ERR_CRYPTO_UNSUPPORTED_ALG.
     */
    tk_err (*supports)(void *ctx, tk_alg alg, int32_t crv);

    /* --- Hashing -------------------------------------------------------- */

    /*
     * Hashes the concatenation of parts[0..nparts) with alg (SHA-256,
     * SHA-384 or SHA-512) into digest (capacity digest_cap). *digest_len
     * receives the digest size.
     */
    tk_err (*hash)(void *ctx, tk_alg alg, const tk_view *parts,
                   size_t nparts, uint8_t *digest, size_t digest_cap,
                   size_t *digest_len);

    /*
     * Starts a streaming hash in the caller's state. The state contains no
     * pointer to caller memory, so it may be moved between calls.
     */
    tk_err (*hash_start)(void *ctx, tk_crypto_hash_state *state,
                         tk_alg alg);
    /* Adds len bytes of data. Returns TK_ERR_STATE when not started. Any
     * other error releases the state as hash_abort does. */
    tk_err (*hash_update)(void *ctx, tk_crypto_hash_state *state,
                          const uint8_t *data, size_t len);
    /*
     * Writes the digest and ends the hash: the state is wiped, whatever the
     * result, and must be started again before reuse.
     */
    tk_err (*hash_finish)(void *ctx, tk_crypto_hash_state *state,
                          uint8_t *digest, size_t digest_cap,
                          size_t *digest_len);
    /* Ends a hash without a digest and wipes the state. Harmless on a
     * state that is already finished, aborted or zeroed. */
    void (*hash_abort)(void *ctx, tk_crypto_hash_state *state);

    /* --- Signatures ----------------------------------------------------- */

    /*
     * Signs the concatenation of parts with key (which needs its private
     * part) under alg. ECDSA hashes the parts incrementally and writes the
     * signature as r||s (IEEE P1363, the form of RFC 9053 section 2.1),
     * each half padded to the curve size. EdDSA signs the message itself,
     * which must be given as exactly one part (nparts 0 or 1; more gives
     * TK_ERR_INVALID_ARG).
     * Errors: TK_ERR_CRYPTO_KEY_MISMATCH when the key's type or curve does
     * not fit alg, TK_ERR_CRYPTO_KEY_NOT_PRIVATE without a private part.
     */
    tk_err (*sign)(void *ctx, tk_alg alg, const tk_key *key,
                   const tk_view *parts, size_t nparts, uint8_t *sig,
                   size_t sig_cap, size_t *sig_len);

    /*
     * Verifies sig over the concatenation of parts with key's public part.
     * Returns TK_OK only for a valid signature, and
     * TK_ERR_CRYPTO_SIGNATURE_INVALID for any signature that does not
     * verify, including one of the wrong length or with r or s out of
     * range. A malformed key gives TK_ERR_CRYPTO_KEY_INVALID and a key
     * that does not fit alg TK_ERR_CRYPTO_KEY_MISMATCH, so callers can tell
     * a configuration error from a forged message.
     */
    tk_err (*verify)(void *ctx, tk_alg alg, const tk_key *key,
                     const tk_view *parts, size_t nparts, tk_view sig);

    /* --- MAC and key derivation ---------------------------------------- */

    /*
     * Computes HMAC over the concatenation of parts with the symmetric
     * key. alg TK_ALG_HMAC_256_64 and TK_ALG_HMAC_256_256 both give the
     * full 32-byte HMAC-SHA-256 tag. Compare tags with tk_crypto_ct_equal.
     */
    tk_err (*mac)(void *ctx, tk_alg alg, const tk_key *key,
                  const tk_view *parts, size_t nparts, uint8_t *tag,
                  size_t tag_cap, size_t *tag_len);

    /*
     * Derives out_len bytes with HKDF (RFC 5869) over hash_alg (only
     * TK_ALG_SHA256 is required). An empty salt means a salt of hash-length
     * zero bytes. out_len 0 or above 255 hash lengths gives
     * TK_ERR_CRYPTO_OUTPUT_LENGTH.
     */
    tk_err (*hkdf)(void *ctx, tk_alg hash_alg, tk_view salt, tk_view ikm,
                   tk_view info, uint8_t *out, size_t out_len);

    /* --- Key wrap ------------------------------------------------------- */

    /*
     * Wraps plain (16 bytes or more, a multiple of 8) with the symmetric
     * key-encryption key kek under alg (A128KW, A192KW or A256KW; kek's
     * length must match). Writes plain.len + 8 bytes. A bad input length
     * gives TK_ERR_CRYPTO_INPUT_LENGTH.
     */
    tk_err (*key_wrap)(void *ctx, tk_alg alg, const tk_key *kek,
                       tk_view plain, uint8_t *out, size_t out_cap,
                       size_t *out_len);

    /*
     * Unwraps wrapped (24 bytes or more, a multiple of 8), writing
     * wrapped.len - 8 bytes. A failed integrity check (wrong kek or altered
     * data) gives TK_ERR_CRYPTO_UNWRAP_INVALID and leaves out wiped.
     */
    tk_err (*key_unwrap)(void *ctx, tk_alg alg, const tk_key *kek,
                         tk_view wrapped, uint8_t *out, size_t out_cap,
                         size_t *out_len);

    /* --- Key agreement and key management ------------------------------ */

    /*
     * Computes the ECDH shared secret of our private key and the peer's
     * public key, both on the same curve (P-256, P-384 or X25519). For
     * P-256/P-384 the secret is the x-coordinate of the shared point
     * (RFC 9053 section 6.3.1); for X25519 it is the RFC 7748 output. An
     * all-zero X25519 output (the peer sent a low-order point) gives
     * TK_ERR_CRYPTO_SHARED_SECRET_ZERO.
     */
    tk_err (*ecdh)(void *ctx, const tk_key *priv, const tk_key *peer,
                   uint8_t *secret, size_t secret_cap, size_t *secret_len);

    /*
     * Generates a key pair on crv (P-256 and X25519 for agreement, P-256
     * and Ed25519 for signing, P-384 where supported) into key, which the
     * caller releases with tk_key_release. The same call serves ephemeral
     * and long-term keys.
     */
    tk_err (*key_generate)(void *ctx, int32_t crv, tk_key *key);

    /*
     * Imports raw components into key (overwritten; release it first if it
     * held a key). Checks lengths against the curve, that an EC point is on
     * the curve, that a private scalar is in range, and that given public
     * and private parts match. Derives the public part when only d is
     * given, and decompresses an EC2 point given as x with y_bit (a backend
     * may return TK_ERR_CRYPTO_UNSUPPORTED_ALG for compressed points).
     * Builds the backend cache, when the backend keeps one. params may
     * point into memory that the caller frees afterwards, except kid,
     * whose view is kept.
     * Errors: TK_ERR_CRYPTO_KEY_INVALID for bad material (key left empty),
     * TK_ERR_CRYPTO_UNSUPPORTED_ALG for an unsupported kty or crv.
     */
    tk_err (*key_import)(void *ctx, const tk_key_params *params,
                         tk_key *key);

    /* --- Authenticated encryption, one shot ---------------------------- */

    /*
     * Encrypts plain with alg (AES-GCM or ChaCha20/Poly1305), the
     * symmetric key, a 12-byte iv and aad, writing the ciphertext followed
     * by the 16-byte tag (the COSE ciphertext layout): plain.len + 16
     * bytes. out may be the same memory as plain.ptr (no other overlap).
     * Another iv length gives TK_ERR_CRYPTO_IV_LENGTH.
     */
    tk_err (*aead_encrypt)(void *ctx, tk_alg alg, const tk_key *key,
                           tk_view iv, tk_view aad, tk_view plain,
                           uint8_t *out, size_t out_cap, size_t *out_len);

    /*
     * Decrypts in (ciphertext followed by the 16-byte tag) and checks the
     * tag in constant time, writing in.len - 16 bytes. A tag mismatch gives
     * TK_ERR_CRYPTO_TAG_INVALID and leaves out wiped; in shorter than the
     * tag gives TK_ERR_CRYPTO_INPUT_LENGTH. out may be in.ptr.
     */
    tk_err (*aead_decrypt)(void *ctx, tk_alg alg, const tk_key *key,
                           tk_view iv, tk_view aad, tk_view in,
                           uint8_t *out, size_t out_cap, size_t *out_len);

    /* --- Streaming cipher (AES-CTR, AES-GCM, ChaCha20/Poly1305) -------- */

    /*
     * Starts a streaming cipher in the caller's state. alg is A128CTR,
     * A192CTR, A256CTR (iv is the 16-byte initial counter block, aad must
     * be empty), A128GCM, A192GCM, A256GCM or ChaCha20/Poly1305 (12-byte
     * iv, aad given here). The state copies what it needs from key, iv and
     * aad. It may hold backend resources, so every started state must end
     * with cipher_finish or cipher_abort. A backend that cannot stream
     * ChaCha20/Poly1305 returns TK_ERR_CRYPTO_UNSUPPORTED_ALG for it;
     * both shipped backends can.
     */
    tk_err (*cipher_start)(void *ctx, tk_crypto_cipher_state *state,
                           tk_alg alg, const tk_key *key, tk_view iv,
                           tk_view aad, tk_crypto_dir dir);

    /*
     * Processes len bytes of in into exactly len bytes of out, in chunks
     * of any size. out may equal in (no other overlap). When decrypting
     * GCM or ChaCha20/Poly1305, the plaintext is unauthenticated until
     * cipher_finish returns TK_OK: the caller must not act on it before.
     * On error the state is released as by cipher_abort.
     */
    tk_err (*cipher_update)(void *ctx, tk_crypto_cipher_state *state,
                            const uint8_t *in, size_t len, uint8_t *out);

    /*
     * Ends the operation and releases the state, whatever the result.
     * AEAD (GCM, ChaCha20/Poly1305) encryption writes the 16-byte tag to
     * tag_out (tag_out_len must be 16); AEAD decryption compares
     * expected_tag (16 bytes) in constant time and returns
     * TK_ERR_CRYPTO_TAG_INVALID on mismatch. CTR takes no tag: pass an
     * empty expected_tag and tag_out NULL.
     */
    tk_err (*cipher_finish)(void *ctx, tk_crypto_cipher_state *state,
                            tk_view expected_tag, uint8_t *tag_out,
                            size_t tag_out_len);

    /* Releases the state without finishing. Harmless on a state that is
     * already finished, aborted or zeroed. */
    void (*cipher_abort)(void *ctx, tk_crypto_cipher_state *state);

    /* --- Random --------------------------------------------------------- */

    /* Fills out with len bytes from a CSPRNG. Failure gives
     * TK_ERR_CRYPTO_RANDOM and out must not be used. */
    tk_err (*random)(void *ctx, uint8_t *out, size_t len);
};

/* ---------------------------------------------------------------------- */
/* Backend-neutral helpers (target tk_crypto)                             */
/* ---------------------------------------------------------------------- */

/* Overwrites len bytes at p with zeros in a way the compiler cannot remove
 * as a dead store. p may be NULL when len is 0. */
void tk_crypto_wipe(void *p, size_t len);

/* Compares len bytes of a and b in time that depends only on len. Returns
 * true when they are equal. */
bool tk_crypto_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* Empties key: zero material, no cache. Use before a first import. */
void tk_key_init(tk_key *key);

/*
 * Fills key with a symmetric key of k.len bytes (1 to
 * TK_CRYPTO_MAX_SYMMETRIC_SIZE) and no backend cache. Returns
 * TK_ERR_CRYPTO_KEY_INVALID for an empty or too long k.
 */
tk_err tk_key_init_symmetric(tk_key *key, tk_view k);

/*
 * Frees key's backend cache through backend_free and wipes every byte of
 * the key, leaving it as tk_key_init does. Calling it again, or on a key
 * that was only initialized, is harmless. key may be NULL.
 */
void tk_key_release(tk_key *key);

/*
 * Fills params with the public part of key as views into key (valid while
 * key lives and is unchanged): kty, crv, x, y (empty for OKP) and kid.
 * Returns TK_ERR_CRYPTO_KEY_INVALID when key has no public part.
 */
tk_err tk_key_export_public(const tk_key *key, tk_key_params *params);

/* Coordinate and scalar size of crv in bytes (32 for P-256, X25519,
 * Ed25519; 48 for P-384; 66 for P-521; 56/57 for X448/Ed448), 0 when
 * unknown. */
size_t tk_crypto_curve_size(int32_t crv);

/* Digest size of a hash alg, or of the hash behind an HMAC alg; 0 for
 * other algs. */
size_t tk_crypto_hash_size(tk_alg alg);

/* Key size in bytes of a symmetric alg (key wrap, AEAD, CTR); 0 for
 * others, including HMAC, whose keys may have any length. */
size_t tk_crypto_key_size(tk_alg alg);

/* Signature size of a signature alg (64 for ES256/ESP256/EdDSA/Ed25519,
 * 96 for ES384/ESP384), 0 for others. */
size_t tk_crypto_sig_size(tk_alg alg);

/* Curve a signature alg requires (P-256 for ES256, ESP256; P-384 for ES384,
 * ESP384; Ed25519 for EdDSA, Ed25519), TK_CRV_NONE for others. */
int32_t tk_crypto_sig_curve(tk_alg alg);

/* Backends shipped with teepkit. Each returns a table valid for the life
 * of the program, or NULL when the backend failed to initialize, which the
 * mbedTLS backend does on first use when it seeds its DRBG. docs/crypto.md
 * lists what each backend supports. */
const tk_crypto *tk_crypto_openssl(void);
const tk_crypto *tk_crypto_mbedtls(void);

/*
 * Entropy source of the mbedTLS backend, with the shape of an Mbed TLS
 * entropy source: writes up to len bytes to out, stores the count in
 * *out_len and returns 0, or returns nonzero on failure.
 */
typedef int (*tk_crypto_entropy_fn)(void *fn_ctx, unsigned char *out,
                                    size_t len, size_t *out_len);

/*
 * Sets the entropy source that seeds the mbedTLS backend's CTR_DRBG, for
 * devices without an Mbed TLS platform entropy source. Call it before the
 * first tk_crypto_mbedtls(); afterwards it returns TK_ERR_STATE. Without
 * it, the backend uses the Mbed TLS platform entropy source.
 */
tk_err tk_crypto_mbedtls_set_entropy(tk_crypto_entropy_fn fn, void *fn_ctx);

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_CRYPTO_H */
