/*
 * Internal declarations shared by the files of the OpenSSL 3 backend.
 */
#ifndef TK_CRYPTO_OPENSSL_INTERNAL_H
#define TK_CRYPTO_OPENSSL_INTERNAL_H

#include <openssl/evp.h>

#include "crypto_backend.h"

/* Identity of this backend in tk_key.backend_owner. */
extern const char tk_ossl_owner;

/* Primitives of the frame (crypto_backend.h), one group per file. */
extern const tk_crypto_hash_primitives tk_ossl_hash_primitives;
extern const tk_crypto_sig_primitives tk_ossl_sig_primitives;
extern const tk_crypto_key_primitives tk_ossl_key_primitives;
extern const tk_crypto_cipher_primitives tk_ossl_cipher_primitives;

/*
 * Hashes the concatenation of parts with a SHA-2 alg into md (room for
 * TK_CRYPTO_MAX_HASH_SIZE bytes) and stores the digest size in *md_len.
 */
tk_err tk_ossl_digest_parts(tk_alg alg, const tk_view *parts, size_t nparts,
                            uint8_t *md, size_t *md_len);

/*
 * Stores in *pkey the EVP_PKEY of key: the cached one when this backend
 * imported the key, otherwise a new one built from the raw fields. In the
 * second case *temporary is true and the caller frees it with
 * EVP_PKEY_free. private_needed requests the private part.
 */
tk_err tk_ossl_pkey_get(const tk_key *key, bool private_needed,
                        EVP_PKEY **pkey, bool *temporary);

#endif /* TK_CRYPTO_OPENSSL_INTERNAL_H */
