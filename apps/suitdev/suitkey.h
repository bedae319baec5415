/*
 * Key files of `teepkit suit` and of the simulated device: PEM keys through
 * OpenSSL, and raw symmetric keys.
 *
 * NOTE: apps/common/keyfile.h is meant to read PEM and COSE_Key files for
 * every app; this loader replaces it here until it exists.
 */
#ifndef TK_SUITKEY_H
#define TK_SUITKEY_H

#include <stddef.h>

#include "teepkit/crypto.h"

/*
 * Reads the key file path into key (released by the caller with
 * tk_key_release()) through crypto->key_import. Accepted forms:
 * - PEM: a PKCS#8 or SEC1 private key, or a SubjectPublicKeyInfo public
 *   key, on P-256, Ed25519 or X25519;
 * - a symmetric key of 16, 24 or 32 bytes, as raw bytes or as hex text.
 * *sig_alg (may be NULL) receives the signature algorithm the key fits
 * (ESP256 for P-256, Ed25519 for Ed25519, TK_ALG_NONE otherwise).
 * Returns TK_OK, or an error with a sentence in msg (capacity msg_size).
 */
tk_err tk_suitkey_load(const tk_crypto *crypto, const char *path,
                       tk_key *key, tk_alg *sig_alg, char *msg,
                       size_t msg_size);

#endif /* TK_SUITKEY_H */
