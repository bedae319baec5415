/*
 * Key files for the CLI, the TAM and the agent: PEM (PKCS#8 or SEC1
 * private keys, SubjectPublicKeyInfo public keys, through OpenSSL) and
 * COSE_Key CBOR (RFC 9052 section 7), detected from their content.
 *
 * Supported keys: EC2 P-256 and P-384, OKP Ed25519 and X25519, and
 * symmetric keys (COSE_Key only, since PEM has no form for them).
 * Private key files are created with mode 0600. No function prints key
 * material, and error messages name the file and what is wrong with it.
 */
#ifndef TK_APP_KEYFILE_H
#define TK_APP_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/crypto.h"

/* Maximum length of a kid kept from a COSE_Key file. */
#define TK_KEYFILE_MAX_KID 64

/* Format of a key file. */
typedef enum tk_keyfile_format {
    TK_KEYFILE_PEM = 1,
    TK_KEYFILE_COSE = 2
} tk_keyfile_format;

/* What a loaded key file carried besides the key material. */
typedef struct tk_keyfile_info {
    tk_keyfile_format format;
    tk_alg alg;            /* alg of a COSE_Key, else TK_ALG_NONE */
    bool has_private;
    uint8_t kid[TK_KEYFILE_MAX_KID]; /* kid of a COSE_Key */
    size_t kid_len;
} tk_keyfile_info;

/*
 * Reads the key file path (PEM or COSE_Key, detected from the content)
 * into key through crypto->key_import. key->kid points into info->kid,
 * so info must outlive the key's use of its kid. Release key with
 * tk_key_release(). Returns TK_OK, or an error with a sentence that names
 * the file in msg (capacity msg_size): TK_ERR_NOT_FOUND for an unreadable
 * file, TK_ERR_COSE_KEY_DECODE for a malformed COSE_Key,
 * TK_ERR_CRYPTO_KEY_INVALID for bad PEM or key material,
 * TK_ERR_CRYPTO_UNSUPPORTED_ALG for another key type or curve.
 */
tk_err tk_keyfile_load(const tk_crypto *crypto, const char *path,
                       tk_key *key, tk_keyfile_info *info, char *msg,
                       size_t msg_size);

/*
 * Same as tk_keyfile_load for a file already read into data[0..len);
 * name is used in messages only.
 */
tk_err tk_keyfile_load_mem(const tk_crypto *crypto, const char *name,
                           const uint8_t *data, size_t len, tk_key *key,
                           tk_keyfile_info *info, char *msg,
                           size_t msg_size);

/*
 * Writes key as PEM: PKCS#8 with the private part when include_private is
 * set (the key must have it), else SubjectPublicKeyInfo. A private key
 * file gets mode 0600, a public one 0644. The file is replaced atomically.
 */
tk_err tk_keyfile_save_pem(const char *path, const tk_key *key,
                           bool include_private, char *msg, size_t msg_size);

/*
 * Writes key as a COSE_Key with kid (key->kid) and alg (unless
 * TK_ALG_NONE), with d or k when include_private is set. Symmetric keys
 * are always private. Mode 0600 for private keys, 0644 for public ones.
 */
tk_err tk_keyfile_save_cose(const char *path, const tk_key *key, tk_alg alg,
                            bool include_private, char *msg,
                            size_t msg_size);

/*
 * Returns the signature algorithm that fits key: ES256 for P-256, ES384
 * for P-384, EdDSA for Ed25519, or TK_ALG_NONE for other keys.
 */
tk_alg tk_keyfile_signature_alg(const tk_key *key);

#endif /* TK_APP_KEYFILE_H */
