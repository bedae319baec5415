/*
 * COSE (RFC 9052 structures, RFC 9053 algorithms): COSE_Sign1, COSE_Sign,
 * COSE_Mac0, COSE_Mac, COSE_Encrypt0, COSE_Encrypt with recipients, and
 * COSE_Key.
 *
 * Nothing here allocates, keeps global state or does I/O. Decoders return
 * views (tk_view) into the caller's message, which must outlive them.
 * Builders write into caller buffers. Crypto goes through a tk_crypto
 * table (teepkit/crypto.h).
 *
 * Algorithms:
 *   signatures    ES256 (-7), ESP256 (-9), ES384 (-35), ESP384 (-51),
 *                 EdDSA (-8) and Ed25519 (-19), both pure Ed25519
 *   MAC           HMAC 256/64 (4), 256/256 (5), 384/384 (6), 512/512 (7)
 *   content       A128GCM (1), A192GCM (2), A256GCM (3),
 *                 ChaCha20/Poly1305 (24), A128CTR (-65534),
 *                 A192CTR (-65533), A256CTR (-65532) (RFC 9459)
 *   recipients    direct (-6), A128KW (-3), A192KW (-4), A256KW (-5),
 *                 ECDH-ES + HKDF-256 (-25), ECDH-ES + A128KW (-29),
 *                 ECDH-ES + A192KW (-30), ECDH-ES + A256KW (-31)
 * An algorithm that the crypto backend lacks gives the backend's
 * TK_ERR_CRYPTO_UNSUPPORTED_ALG (EdDSA and X25519 on Mbed TLS 2.28).
 *
 * Header rules, enforced by every decoder of every layer before any
 * signature, MAC or decryption is computed:
 * - The protected header is a byte string holding one CBOR map, or an
 *   empty byte string. Both h'' and h'A0' (an empty map) mean "no
 *   protected header parameters" and both are accepted. The bytes are used
 *   in the to-be-signed, MAC and AAD structures exactly as received. The
 *   one exception is h'A0'. RFC 9052 section 4.4 puts a zero-length byte
 *   string into the structure when there are no protected parameters,
 *   while other implementations put the received bytes. A verifier
 *   therefore tries the zero-length form first and then the received
 *   form. Both forms mean the same empty header.
 * - A label that appears twice in one header map, or in both the protected
 *   and the unprotected map, gives TK_ERR_COSE_DUPLICATE_LABEL.
 * - alg must be in the protected header (TK_ERR_COSE_ALG_UNPROTECTED)
 *   except in the layers whose protected header RFC 9053 and RFC 9459
 *   require to be empty: AES-CTR content layers and AES key wrap and
 *   direct recipients. TK_COSE_OPT_ALG_UNPROTECTED_OK relaxes the rule for
 *   messages of older tools, such as the COSE working group examples.
 * - crit (2) must be a non-empty array in the protected header. Each label
 *   in it must be present in the protected header and understood: the
 *   labels this library processes (1 to 6, and -1 to -3 and -20 to -26
 *   in a build with TK_COSE_WITH_ENCRYPT, which others skip as unknown)
 *   and those the caller lists in tk_cose_opts.understood.
 * - Label types are checked: alg int or tstr, kid/IV/Partial IV bstr,
 *   content type uint or tstr, crit array. Unknown labels not listed in
 *   crit are skipped.
 * - IV and Partial IV (6) must not both be present. A Partial IV needs the
 *   caller's base IV (tk_cose_opts.base_iv): the IV is the base IV XOR the
 *   Partial IV left-padded with zeros (RFC 9052 section 3.1).
 * - kid only selects a key: it is passed to the key lookup with alg and
 *   never replaces the signature, MAC or decryption check.
 *
 * Tags: a message whose CBOR tag is not the expected one is rejected
 * (TK_ERR_COSE_WRONG_TAG). A message without a tag is rejected too
 * (TK_ERR_COSE_TAG_MISSING) unless the caller passes
 * TK_COSE_OPT_UNTAGGED_OK.
 *
 * Payloads: a nil payload (or ciphertext) is detached, and the caller
 * supplies the content in tk_cose_opts.detached. A detached content
 * supplied for a message that carries a payload gives
 * TK_ERR_COSE_PAYLOAD_CONFLICT, so unsigned bytes are never used in place
 * of the signed ones.
 */
#ifndef TEEPKIT_COSE_H
#define TEEPKIT_COSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"
#include "teepkit/config.h"
#include "teepkit/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Limits (override with -D)                                              */
/* ---------------------------------------------------------------------- */

/* Labels remembered per header map for the duplicate-label and crit checks.
 * A map with more labels gives TK_ERR_COSE_TOO_MANY_LABELS. */
#ifndef TK_COSE_MAX_HEADER_LABELS
#define TK_COSE_MAX_HEADER_LABELS 16
#endif

/* Integer labels remembered per COSE_Key map for the duplicate-label
 * check (default 16). A key with more gives TK_ERR_COSE_TOO_MANY_LABELS. */
#ifndef TK_COSE_MAX_KEY_LABELS
#define TK_COSE_MAX_KEY_LABELS 16
#endif

/* Labels in one crit array (more gives TK_ERR_COSE_TOO_MANY_LABELS). */
#ifndef TK_COSE_MAX_CRIT
#define TK_COSE_MAX_CRIT 8
#endif

/* Signatures of one COSE_Sign (more gives
 * TK_ERR_COSE_TOO_MANY_SIGNATURES). Each costs one tk_cose_signature in
 * tk_cose_sign. */
#ifndef TK_COSE_MAX_SIGNATURES
#define TK_COSE_MAX_SIGNATURES 4
#endif

/* Recipients in one recipient array (more gives
 * TK_ERR_COSE_TOO_MANY_RECIPIENTS). */
#ifndef TK_COSE_MAX_RECIPIENTS
#define TK_COSE_MAX_RECIPIENTS 4
#endif

/* Recipient layers below the content layer: 1 allows the usual two-layer
 * message, 2 also the three-layer form of RFC 9052 Appendix B. Deeper
 * nesting gives TK_ERR_COSE_TOO_MANY_RECIPIENTS. Each level adds one
 * recursion frame while a message is decrypted. */
#ifndef TK_COSE_MAX_RECIPIENT_DEPTH
#define TK_COSE_MAX_RECIPIENT_DEPTH 2
#endif

/* Largest IV: 16 bytes, the AES-CTR initial counter block. */
#define TK_COSE_MAX_IV_SIZE 16

/* Size of the stack buffer that contains an Enc_structure or a
 * COSE_KDF_Context when the caller gives no scratch buffer. */
#ifndef TK_COSE_STACK_STRUCTURE_SIZE
#define TK_COSE_STACK_STRUCTURE_SIZE 256
#endif

/*
 * Upper bound of a Sig_structure's size (RFC 9052 section 4.4): the
 * scratch an EdDSA signature or verification needs, because pure Ed25519
 * signs the to-be-signed bytes in one piece. ECDSA and HMAC stream the
 * structure and need no scratch. body_prot and sign_prot are the lengths
 * of the two protected headers (sign_prot 0 for COSE_Sign1).
 */
#define TK_COSE_TBS_SIZE(body_prot, sign_prot, aad, payload)                \
    ((size_t)64 + (size_t)(body_prot) + (size_t)(sign_prot) +               \
     (size_t)(aad) + (size_t)(payload))

/*
 * Upper bound of an Enc_structure's size (RFC 9052 section 5.3): the AAD
 * buffer that tk_cose_decrypt_prepare and tk_cose_encrypt_prepare fill.
 */
#define TK_COSE_ENC_STRUCTURE_SIZE(prot, aad)                              \
    ((size_t)40 + (size_t)(prot) + (size_t)(aad))

/* ---------------------------------------------------------------------- */
/* Identifiers                                                            */
/* ---------------------------------------------------------------------- */

/* CBOR tags of the COSE structures (RFC 9052 section 2). */
typedef enum tk_cose_type {
    TK_COSE_TYPE_UNKNOWN = 0,
    TK_COSE_TYPE_ENCRYPT0 = 16,
    TK_COSE_TYPE_MAC0 = 17,
    TK_COSE_TYPE_SIGN1 = 18,
    TK_COSE_TYPE_ENCRYPT = 96,
    TK_COSE_TYPE_MAC = 97,
    TK_COSE_TYPE_SIGN = 98
} tk_cose_type;

/* Header parameter labels (RFC 9052 section 3.1, RFC 9053 section 6). */
enum {
    TK_COSE_HDR_ALG = 1,
    TK_COSE_HDR_CRIT = 2,
    TK_COSE_HDR_CONTENT_TYPE = 3,
    TK_COSE_HDR_KID = 4,
    TK_COSE_HDR_IV = 5,
    TK_COSE_HDR_PARTIAL_IV = 6,
    TK_COSE_HDR_EPHEMERAL_KEY = -1,
    TK_COSE_HDR_STATIC_KEY = -2,
    TK_COSE_HDR_STATIC_KEY_ID = -3,
    TK_COSE_HDR_SALT = -20,
    TK_COSE_HDR_PARTY_U_IDENTITY = -21,
    TK_COSE_HDR_PARTY_U_NONCE = -22,
    TK_COSE_HDR_PARTY_U_OTHER = -23,
    TK_COSE_HDR_PARTY_V_IDENTITY = -24,
    TK_COSE_HDR_PARTY_V_NONCE = -25,
    TK_COSE_HDR_PARTY_V_OTHER = -26
};

/* COSE_Key labels (RFC 9052 section 7.1, RFC 9053 section 7). */
enum {
    TK_COSE_KEY_KTY = 1,
    TK_COSE_KEY_KID = 2,
    TK_COSE_KEY_ALG = 3,
    TK_COSE_KEY_OPS = 4,
    TK_COSE_KEY_BASE_IV = 5,
    TK_COSE_KEY_CRV = -1, /* EC2 and OKP */
    TK_COSE_KEY_X = -2,   /* EC2 and OKP */
    TK_COSE_KEY_Y = -3,   /* EC2 */
    TK_COSE_KEY_D = -4,   /* EC2 and OKP */
    TK_COSE_KEY_K = -1    /* Symmetric */
};

/*
 * Recipient algorithms (RFC 9053 section 6). The signature, MAC and
 * content algorithms are the TK_ALG_* values of teepkit/crypto.h.
 */
enum {
    TK_COSE_ALG_DIRECT = -6,
    TK_COSE_ALG_ECDH_ES_HKDF_256 = -25,
    TK_COSE_ALG_ECDH_ES_HKDF_512 = -26,
    TK_COSE_ALG_ECDH_SS_HKDF_256 = -27,
    TK_COSE_ALG_ECDH_SS_HKDF_512 = -28,
    TK_COSE_ALG_ECDH_ES_A128KW = -29,
    TK_COSE_ALG_ECDH_ES_A192KW = -30,
    TK_COSE_ALG_ECDH_ES_A256KW = -31,
    TK_COSE_ALG_ECDH_SS_A128KW = -32,
    TK_COSE_ALG_ECDH_SS_A192KW = -33,
    TK_COSE_ALG_ECDH_SS_A256KW = -34
};

/* ---------------------------------------------------------------------- */
/* Decoded headers                                                        */
/* ---------------------------------------------------------------------- */

/* Bits of tk_cose_headers.present and .in_protected. */
#define TK_COSE_HAS_ALG 0x0001u
#define TK_COSE_HAS_CRIT 0x0002u
#define TK_COSE_HAS_CONTENT_TYPE 0x0004u
#define TK_COSE_HAS_KID 0x0008u
#define TK_COSE_HAS_IV 0x0010u
#define TK_COSE_HAS_PARTIAL_IV 0x0020u
#define TK_COSE_HAS_EPHEMERAL_KEY 0x0040u
#define TK_COSE_HAS_STATIC_KEY 0x0080u
#define TK_COSE_HAS_STATIC_KEY_ID 0x0100u
#define TK_COSE_HAS_SALT 0x0200u
#define TK_COSE_HAS_PARTY_U_IDENTITY 0x0400u
#define TK_COSE_HAS_PARTY_U_NONCE 0x0800u
#define TK_COSE_HAS_PARTY_U_OTHER 0x1000u
#define TK_COSE_HAS_PARTY_V_IDENTITY 0x2000u
#define TK_COSE_HAS_PARTY_V_NONCE 0x4000u
#define TK_COSE_HAS_PARTY_V_OTHER 0x8000u

/*
 * A header label: an integer, or a text string when is_text is set (text
 * is then the label without a CBOR head).
 */
typedef struct tk_cose_label {
    bool is_text;
    int64_t num;
    tk_view text;
} tk_cose_label;

/* PartyUInfo or PartyVInfo of the key derivation context, as found in the
 * headers (RFC 9053 section 5.2). A nonce is a bstr or an int. */
typedef struct tk_cose_party {
    tk_view identity;
    tk_view nonce;        /* bstr nonce, when nonce_is_int is false */
    int64_t nonce_int;    /* int nonce, when nonce_is_int is true */
    bool nonce_is_int;
    tk_view other;
} tk_cose_party;

/*
 * The protected and unprotected headers of one layer, merged, after the
 * header rules above passed. Every view points into the message. A member
 * is meaningful only when its TK_COSE_HAS_* bit is set in present.
 */
typedef struct tk_cose_headers {
    /* Content of the protected bstr exactly as received (may be empty). */
    tk_view protected_bytes;
    /* Encoded unprotected map, as received. */
    tk_view unprotected_map;
    size_t protected_labels; /* number of labels in the protected map */
    uint32_t present;       /* TK_COSE_HAS_* of every parameter found */
    uint32_t in_protected;  /* the subset found in the protected map */
    int64_t alg;            /* integer alg; a text alg is rejected */
    tk_view kid;
    tk_view iv;
    tk_view partial_iv;
    uint64_t content_type;  /* uint content format, when not text */
    tk_view content_type_text; /* media type, when content_type_is_text */
    bool content_type_is_text;
    tk_view ephemeral_key;  /* encoded COSE_Key of label -1 */
    tk_view static_key;     /* encoded COSE_Key of label -2 */
    tk_view static_key_id;  /* label -3 */
    tk_view salt;           /* label -20 */
    tk_cose_party party_u;  /* labels -21 to -23 */
    tk_cose_party party_v;  /* labels -24 to -26 */
} tk_cose_headers;

/*
 * Finds label in the protected map, then in the unprotected map, of
 * headers decoded by this library, and sets *value (may be NULL) to the
 * encoded bytes of its value and *in_protected (may be NULL) to where it
 * was found. For labels the caller lists in tk_cose_opts.understood.
 * Returns TK_OK or TK_ERR_NOT_FOUND.
 */
tk_err tk_cose_headers_find(const tk_cose_headers *headers,
                            tk_cose_label label, tk_view *value,
                            bool *in_protected);

/* ---------------------------------------------------------------------- */
/* Options of the decoders and verifiers                                  */
/* ---------------------------------------------------------------------- */

/*
 * Supplies the key for one signature, MAC or recipient layer. kid is the
 * layer's kid (empty when it has none) and alg its algorithm. Sets *key
 * and returns TK_OK, or returns TK_ERR_NOT_FOUND so that the library
 * tries the next signature or recipient. Any other error stops the
 * operation and is returned. The key must stay valid until the COSE call returns. For a
 * recipient, the key is the symmetric key of direct or AES key wrap, or
 * the recipient's private key of ECDH-ES.
 */
typedef tk_err (*tk_cose_key_lookup_fn)(void *arg, tk_view kid, tk_alg alg,
                                        const tk_key **key);

/* Flags of tk_cose_opts. */
/* Accept a message without its CBOR tag (a wrong tag is always an error). */
#define TK_COSE_OPT_UNTAGGED_OK 0x0001u
/* Accept alg in the unprotected header of every layer (older tools). */
#define TK_COSE_OPT_ALG_UNPROTECTED_OK 0x0002u
/* COSE_Sign: every signature must verify, not only one. */
#define TK_COSE_OPT_ALL_SIGNATURES 0x0004u

/* tk_cose_opts.signature_index: verify the first signature whose key the
 * lookup supplies and that verifies. */
#define TK_COSE_ANY_SIGNATURE SIZE_MAX

/*
 * Options of a decode, verify or decrypt call. Zero-initialize it and set
 * what applies; members an operation does not use are ignored.
 */
typedef struct tk_cose_opts {
    uint32_t flags;              /* TK_COSE_OPT_* */
    tk_view external_aad;        /* external AAD (RFC 9052 section 4.3) */
    /* Detached payload (Sign1, Sign, Mac0, Mac) or detached ciphertext
     * (Encrypt0, Encrypt), or NULL when none is supplied. */
    const tk_view *detached;
    /* Key used when lookup is NULL: the public key of a signature, the MAC
     * key, the content key of COSE_Encrypt0, or the key of every recipient
     * (tried on each recipient in turn). */
    const tk_key *key;
    tk_cose_key_lookup_fn lookup; /* per-layer key lookup, or NULL */
    void *lookup_arg;
    /* Labels the caller processes, so crit may list them. */
    const tk_cose_label *understood;
    size_t understood_count;
    /* Context IV for a Partial IV; empty rejects Partial IV. */
    tk_view base_iv;
    /* COSE_Sign: index of the signature to verify, or
     * TK_COSE_ANY_SIGNATURE (set it explicitly: 0 means the first). */
    size_t signature_index;
    /* COSE_KDF_Context SuppPubInfo.other and SuppPrivInfo of ECDH
     * recipients; empty leaves them out. SUIT sets other to
     * "SUIT Payload Encryption". */
    tk_view kdf_supp_pub_other;
    tk_view kdf_supp_priv_info;
    /* Work buffer for a Sig_structure (EdDSA, see TK_COSE_TBS_SIZE) or a
     * structure larger than TK_COSE_STACK_STRUCTURE_SIZE. May be NULL. */
    uint8_t *scratch;
    size_t scratch_len;
} tk_cose_opts;

/* ---------------------------------------------------------------------- */
/* Signatures: COSE_Sign1 and COSE_Sign                                   */
/* ---------------------------------------------------------------------- */

/* A decoded COSE_Sign1. */
typedef struct tk_cose_sign1 {
    tk_cose_headers hdr;
    tk_view payload;   /* the message's payload, or the detached content */
    bool detached;     /* the payload was nil in the message */
    tk_view signature;
    size_t error_offset; /* offset in the message of a decode error */
} tk_cose_sign1;

/* One COSE_Signature of a COSE_Sign. */
typedef struct tk_cose_signature {
    tk_cose_headers hdr;
    tk_view signature;
} tk_cose_signature;

/* A decoded COSE_Sign. */
typedef struct tk_cose_sign {
    tk_cose_headers hdr;
    tk_view payload;
    bool detached;
    size_t signature_count;
    tk_cose_signature signatures[TK_COSE_MAX_SIGNATURES];
    /* After verification: bit i is set when signature i verified, and
     * verified_index is the first verified signature. */
    uint32_t verified;
    size_t verified_index;
    size_t error_offset;
} tk_cose_sign;

/*
 * Decodes a COSE_Sign1 from msg and checks the structure, the tag, the
 * header rules and the payload rules, without crypto. out receives views
 * into msg (and into *opts->detached). Returns TK_OK or a TK_ERR_COSE_*
 * or TK_ERR_CBOR_* code; on error out->error_offset is set.
 */
tk_err tk_cose_sign1_decode(tk_view msg, const tk_cose_opts *opts,
                            tk_cose_sign1 *out);

/*
 * Decodes and verifies a COSE_Sign1. The key is opts->lookup(kid, alg) or
 * opts->key. Returns TK_OK only when the signature verifies; a wrong
 * signature gives TK_ERR_COSE_SIGNATURE_INVALID. out may be NULL; when
 * given it holds the decoded message (also when verification fails).
 */
tk_err tk_cose_sign1_verify(const tk_crypto *crypto, tk_view msg,
                            const tk_cose_opts *opts, tk_cose_sign1 *out);

/*
 * Decodes a COSE_Sign with its signatures (up to TK_COSE_MAX_SIGNATURES)
 * and checks every layer's header rules, without crypto. A signature with
 * an algorithm this library does not know is kept, so that a verifier can
 * use another one; verifying it gives TK_ERR_COSE_ALG_UNSUPPORTED.
 */
tk_err tk_cose_sign_decode(tk_view msg, const tk_cose_opts *opts,
                           tk_cose_sign *out);

/*
 * Decodes and verifies a COSE_Sign. With TK_COSE_OPT_ALL_SIGNATURES every
 * signature must verify with the key that the lookup (or opts->key)
 * gives. Otherwise, when opts->signature_index is an index, that one
 * signature must verify; with TK_COSE_ANY_SIGNATURE the signatures are
 * tried in order, those without a key (TK_ERR_NOT_FOUND from the lookup)
 * or with an algorithm the library or backend lacks are skipped, and the
 * first that verifies gives TK_OK. When none verifies the result is the
 * first verification failure, else the first unsupported algorithm, else
 * TK_ERR_COSE_KEY_NOT_FOUND.
 * out (may be NULL) receives the decoded message and which signatures
 * verified.
 */
tk_err tk_cose_sign_verify(const tk_crypto *crypto, tk_view msg,
                           const tk_cose_opts *opts, tk_cose_sign *out);

/* ---------------------------------------------------------------------- */
/* MAC: COSE_Mac0 and COSE_Mac                                            */
/* ---------------------------------------------------------------------- */

/* A decoded COSE_Mac0. */
typedef struct tk_cose_mac0 {
    tk_cose_headers hdr;
    tk_view payload;
    bool detached;
    tk_view tag;
    size_t error_offset;
} tk_cose_mac0;

/* A decoded COSE_Mac. recipients is the encoded recipient array. */
typedef struct tk_cose_mac {
    tk_cose_headers hdr;
    tk_view payload;
    bool detached;
    tk_view tag;
    tk_view recipients;
    size_t recipient_count;
    size_t error_offset;
} tk_cose_mac;

/* Decodes a COSE_Mac0 and checks its structure and headers, no crypto. */
tk_err tk_cose_mac0_decode(tk_view msg, const tk_cose_opts *opts,
                           tk_cose_mac0 *out);

/*
 * Decodes and verifies a COSE_Mac0 with the key from opts->lookup or
 * opts->key. The tag is compared in constant time. Returns TK_OK only on
 * a match; a mismatch gives TK_ERR_COSE_MAC_INVALID. out may be NULL.
 */
tk_err tk_cose_mac0_verify(const tk_crypto *crypto, tk_view msg,
                           const tk_cose_opts *opts, tk_cose_mac0 *out);

/*
 * Decodes and verifies a COSE_Mac. The MAC key comes from the recipients
 * (direct, AES key wrap, ECDH-ES), each recipient's key from the lookup
 * or opts->key. out may be NULL.
 */
tk_err tk_cose_mac_verify(const tk_crypto *crypto, tk_view msg,
                          const tk_cose_opts *opts, tk_cose_mac *out);

/* ---------------------------------------------------------------------- */
/* Encryption: COSE_Encrypt0 and COSE_Encrypt                             */
/* ---------------------------------------------------------------------- */

/* A decoded COSE_Encrypt0. */
typedef struct tk_cose_encrypt0 {
    tk_cose_headers hdr;
    tk_view ciphertext; /* the message's ciphertext, or the detached one */
    bool detached;
    size_t error_offset;
} tk_cose_encrypt0;

/* A decoded COSE_Encrypt. recipients is the encoded recipient array. */
typedef struct tk_cose_encrypt {
    tk_cose_headers hdr;
    tk_view ciphertext;
    bool detached;
    tk_view recipients;
    size_t recipient_count;
    size_t error_offset;
} tk_cose_encrypt;

/*
 * Decodes and decrypts a COSE_Encrypt0 with the content key from
 * opts->lookup or opts->key, writing the plaintext to plain (capacity
 * plain_cap; may be the ciphertext's memory only when the caller owns it)
 * and its length to *plain_len. A tag mismatch gives
 * TK_ERR_COSE_DECRYPT_FAILED and leaves plain wiped. out may be NULL.
 */
tk_err tk_cose_encrypt0_decrypt(const tk_crypto *crypto, tk_view msg,
                                const tk_cose_opts *opts, uint8_t *plain,
                                size_t plain_cap, size_t *plain_len,
                                tk_cose_encrypt0 *out);

/*
 * Decodes a COSE_Encrypt, obtains the content key from its recipients and
 * decrypts, as tk_cose_encrypt0_decrypt does. Each recipient is tried in
 * order; one whose key the lookup does not find, or whose key unwrap or
 * content decryption fails, is skipped. A key that passed an unwrap check
 * ends the search, because no other recipient can open altered content.
 * When none succeeds the result is TK_ERR_COSE_DECRYPT_FAILED when a
 * content key was tried, TK_ERR_COSE_NO_RECIPIENT when keys were found
 * but none opened its recipient, and TK_ERR_COSE_KEY_NOT_FOUND when no
 * key was found for any recipient.
 */
tk_err tk_cose_encrypt_decrypt(const tk_crypto *crypto, tk_view msg,
                               const tk_cose_opts *opts, uint8_t *plain,
                               size_t plain_cap, size_t *plain_len,
                               tk_cose_encrypt *out);

/*
 * Content key and parameters of an encrypted message, for a caller that
 * decrypts or encrypts the content itself with the streaming cipher of
 * teepkit/crypto.h (a SUIT processor fetching a detached payload).
 */
typedef struct tk_cose_content_key {
    tk_alg alg;          /* content encryption algorithm */
    tk_key cek;          /* symmetric content key; tk_key_release it */
    uint8_t iv[TK_COSE_MAX_IV_SIZE];
    size_t iv_len;       /* 12 for AEAD, 16 for AES-CTR */
    tk_view aad;         /* Enc_structure in the caller's buffer; empty
                            for AES-CTR, which takes no AAD */
    tk_view ciphertext;  /* attached ciphertext, empty when detached */
    bool detached;
    tk_cose_headers hdr; /* headers of the content layer */
} tk_cose_content_key;

/*
 * Decodes a COSE_Encrypt or COSE_Encrypt0 (by its tag, or with
 * TK_COSE_OPT_UNTAGGED_OK by its length: 3 members Encrypt0, 4 Encrypt),
 * typically the SUIT encryption info with a nil ciphertext, obtains the
 * content key (from the recipients, or for COSE_Encrypt0 from opts->key
 * or the lookup) and fills out: alg, CEK, IV (Partial IV applied) and the
 * exact Enc_structure AAD built in aad_buf (capacity aad_cap, see
 * TK_COSE_ENC_STRUCTURE_SIZE). A nil ciphertext is accepted without
 * opts->detached here, since the caller decrypts.
 *
 * For direct and ECDH-ES direct recipients a wrong key is only detected
 * when the content tag is checked, so the first recipient whose key is
 * found is used. Release out->cek with tk_key_release when done; on error
 * it is already released.
 */
tk_err tk_cose_decrypt_prepare(const tk_crypto *crypto, tk_view msg,
                               const tk_cose_opts *opts, uint8_t *aad_buf,
                               size_t aad_cap, tk_cose_content_key *out);

/* ---------------------------------------------------------------------- */
/* Builders                                                               */
/* ---------------------------------------------------------------------- */

/* One signer of a COSE_Sign (or the signer of a COSE_Sign1). */
typedef struct tk_cose_signer {
    tk_alg alg;
    const tk_key *key;  /* needs its private part */
    tk_view kid;        /* empty: no kid header */
} tk_cose_signer;

/*
 * One recipient of a COSE_Encrypt or COSE_Mac being built.
 * - direct: key is the content key itself (only recipient allowed).
 * - A128KW, A192KW, A256KW: key is the key-encryption key.
 * - ECDH-ES + HKDF-256: key is the recipient's public key; the derived key
 *   is the content key (only recipient allowed).
 * - ECDH-ES + A128KW/A192KW/A256KW: key is the recipient's public key.
 * For ECDH, ephemeral is the sender's ephemeral key pair on the same curve,
 * or NULL to have crypto->key_generate make one (a test gives a fixed one
 * to reproduce published examples). salt (may be empty) goes into header
 * -20 and the HKDF.
 */
typedef struct tk_cose_recipient_params {
    tk_alg alg;
    const tk_key *key;
    tk_view kid;        /* empty: no kid header */
    const tk_key *ephemeral;
    tk_view salt;
} tk_cose_recipient_params;

/* Flags of tk_cose_build. */
/* Write the structure without its CBOR tag. */
#define TK_COSE_BUILD_UNTAGGED 0x0001u
/* Write a nil payload: the payload is signed or MACed but left out. */
#define TK_COSE_BUILD_DETACHED 0x0002u
/* Put kid into the protected header instead of the unprotected one. */
#define TK_COSE_BUILD_KID_PROTECTED 0x0004u
/* Write the content type header (3) with content_type. */
#define TK_COSE_BUILD_CONTENT_TYPE 0x0008u

/*
 * What to build. Zero-initialize it and set what applies.
 * Sign1 and Mac0 use alg, key and kid. Sign uses signers. Encrypt0 uses
 * alg (content), key (the content key) and kid. Encrypt and Mac use alg
 * (content or MAC algorithm) and recipients, and cek for key wrap
 * recipients (empty: a random key from crypto->random).
 */
typedef struct tk_cose_build {
    uint32_t flags;          /* TK_COSE_BUILD_* */
    tk_alg alg;
    const tk_key *key;
    tk_view kid;
    tk_view external_aad;
    uint64_t content_type;   /* with TK_COSE_BUILD_CONTENT_TYPE */
    /* IV of an encryption (12 bytes AEAD, 16 AES-CTR); empty: random. */
    tk_view iv;
    tk_view cek;
    const tk_cose_signer *signers;
    size_t signer_count;
    const tk_cose_recipient_params *recipients;
    size_t recipient_count;
    /* COSE_KDF_Context SuppPubInfo.other and SuppPrivInfo for ECDH. */
    tk_view kdf_supp_pub_other;
    tk_view kdf_supp_priv_info;
    /* Work buffer: EdDSA needs TK_COSE_TBS_SIZE bytes. May be NULL. */
    uint8_t *scratch;
    size_t scratch_len;
} tk_cose_build;

/*
 * Each builder below writes one structure to out (capacity out_cap) and
 * its length to *out_len. A too small out gives TK_ERR_BUFFER_TOO_SMALL
 * with the needed size in *out_len when it can be known before signing.
 * Headers: protected {alg} (empty for AES-CTR content), unprotected
 * {kid, IV} as applicable. Header labels are written in the order alg,
 * content type, ephemeral key, salt, kid, IV, which is the order of the
 * COSE working group examples, so outputs compare byte for byte with
 * them. COSE_Key maps are written in deterministic order.
 */

/* Builds a COSE_Sign1 over payload with build->alg and build->key. */
tk_err tk_cose_sign1_sign(const tk_crypto *crypto, const tk_cose_build *build,
                          tk_view payload, uint8_t *out, size_t out_cap,
                          size_t *out_len);

/* Builds a COSE_Sign with one signature per build->signers entry. */
tk_err tk_cose_sign_sign(const tk_crypto *crypto, const tk_cose_build *build,
                         tk_view payload, uint8_t *out, size_t out_cap,
                         size_t *out_len);

/* Builds a COSE_Mac0 with build->alg (HMAC) and the key build->key. */
tk_err tk_cose_mac0_create(const tk_crypto *crypto, const tk_cose_build *build,
                           tk_view payload, uint8_t *out, size_t out_cap,
                           size_t *out_len);

/* Builds a COSE_Mac whose MAC key reaches the recipients. */
tk_err tk_cose_mac_create(const tk_crypto *crypto, const tk_cose_build *build,
                          tk_view payload, uint8_t *out, size_t out_cap,
                          size_t *out_len);

/* Builds a COSE_Encrypt0 of plain with the content key build->key. */
tk_err tk_cose_encrypt0_encrypt(const tk_crypto *crypto,
                                const tk_cose_build *build, tk_view plain,
                                uint8_t *out, size_t out_cap,
                                size_t *out_len);

/* Builds a COSE_Encrypt of plain for build->recipients. */
tk_err tk_cose_encrypt_encrypt(const tk_crypto *crypto,
                               const tk_cose_build *build, tk_view plain,
                               uint8_t *out, size_t out_cap,
                               size_t *out_len);

/*
 * Builds the encryption info of a detached ciphertext: a COSE_Encrypt
 * (with recipients) or, when build->recipient_count is 0, a COSE_Encrypt0,
 * whose ciphertext is nil. The content key is build->cek (or random, or
 * derived for direct and ECDH-ES direct recipients), the IV build->iv (or
 * random). ck receives the alg, CEK, IV and the Enc_structure AAD (built
 * in aad_buf, capacity aad_cap) that the caller's cipher must use.
 * Release ck->cek with tk_key_release when done.
 */
tk_err tk_cose_encrypt_prepare(const tk_crypto *crypto,
                               const tk_cose_build *build, uint8_t *out,
                               size_t out_cap, size_t *out_len,
                               uint8_t *aad_buf, size_t aad_cap,
                               tk_cose_content_key *ck);

/* ---------------------------------------------------------------------- */
/* Any authenticated structure                                            */
/* ---------------------------------------------------------------------- */

/* Result of tk_cose_verify: the body layer of whichever structure. */
typedef struct tk_cose_verified {
    tk_cose_type type;
    tk_cose_headers hdr;       /* body headers */
    tk_cose_headers signer;    /* headers of the verified signature (for
                                  COSE_Sign; a copy of hdr otherwise) */
    tk_view payload;
    bool detached;
    size_t error_offset;
} tk_cose_verified;

/*
 * Returns the structure type that msg's CBOR tag names, or
 * TK_COSE_TYPE_UNKNOWN when msg does not start with a COSE tag.
 */
tk_cose_type tk_cose_type_of(tk_view msg);

/*
 * Tells whether this build decodes and verifies (or builds) structures of
 * type: COSE_Sign1 always, COSE_Sign with TK_COSE_WITH_SIGN, COSE_Mac0 and
 * COSE_Mac with TK_COSE_WITH_MAC, COSE_Encrypt0 and COSE_Encrypt with
 * TK_COSE_WITH_ENCRYPT (teepkit/config.h). The calls of a structure left
 * out return TK_ERR_COSE_STRUCTURE_UNSUPPORTED.
 */
bool tk_cose_type_supported(tk_cose_type type);

/*
 * Verifies a tagged COSE_Sign1, COSE_Sign, COSE_Mac0 or COSE_Mac, chosen
 * by its tag, with the same options as the specific verifiers. A SUIT
 * authentication block is verified with its detached payload (the encoded
 * SUIT_Digest) in opts->detached. An untagged message gives
 * TK_ERR_COSE_UNTAGGED_TYPE, a tag of an encryption structure
 * TK_ERR_COSE_WRONG_TAG, and a structure that this build leaves out
 * TK_ERR_COSE_STRUCTURE_UNSUPPORTED. out may be NULL, which also saves the
 * stack of the copy.
 */
tk_err tk_cose_verify(const tk_crypto *crypto, tk_view msg,
                      const tk_cose_opts *opts, tk_cose_verified *out);

/* ---------------------------------------------------------------------- */
/* COSE_Key                                                               */
/* ---------------------------------------------------------------------- */

/* A decoded COSE_Key: views into its encoding. */
typedef struct tk_cose_key {
    tk_key_params params; /* kty, crv, x, y (or y_bit), d, k, kid */
    tk_alg alg;           /* 0 when absent */
    bool has_alg;
    uint32_t key_ops;     /* bit n set for key_ops value n (1 to 10) */
    tk_view base_iv;
} tk_cose_key;

/*
 * Decodes a COSE_Key (RFC 9052 section 7; EC2, OKP and Symmetric members
 * of RFC 9053 section 7) and checks member types, sizes against the curve
 * and duplicate labels. Unknown labels are skipped. Returns TK_OK or
 * TK_ERR_COSE_KEY_DECODE (with TK_ERR_COSE_DUPLICATE_LABEL for a label
 * given twice).
 */
tk_err tk_cose_key_decode(tk_view cbor, tk_cose_key *out);

/*
 * Decodes a COSE_Key and imports it into key with crypto->key_import
 * (which validates the point or scalar). info (may be NULL) receives the
 * decoded form. key->kid points into cbor.
 */
tk_err tk_cose_key_import(const tk_crypto *crypto, tk_view cbor, tk_key *key,
                          tk_cose_key *info);

/*
 * Encodes key as a COSE_Key with deterministic encoding: kty, kid (from
 * key->kid when not empty), alg (when not TK_ALG_NONE), crv, x, y, and d
 * when include_private is set and the key has it; k for symmetric keys.
 */
tk_err tk_cose_key_encode(const tk_key *key, tk_alg alg, bool include_private,
                          uint8_t *out, size_t out_cap, size_t *out_len);

/* Size of a COSE_Key thumbprint (SHA-256). */
#define TK_COSE_THUMBPRINT_SIZE 32

/*
 * Computes the COSE_Key thumbprint of RFC 9679: SHA-256 over the
 * deterministic encoding of the required members (EC2: kty, crv, x, y;
 * OKP: kty, crv, x; Symmetric: kty, k). TEEP uses it as the kid in an
 * EAT cnf claim. digest receives TK_COSE_THUMBPRINT_SIZE bytes.
 */
tk_err tk_cose_key_thumbprint(const tk_crypto *crypto, const tk_key *key,
                              uint8_t digest[TK_COSE_THUMBPRINT_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_COSE_H */
