/*
 * Helpers of the SUIT tests: vectors and keys, a compiler from CBOR
 * diagnostic notation (the subset the SUIT drafts use) to CBOR, and
 * signing of test envelopes with the published example key.
 */
#ifndef SUIT_TEST_UTIL_H
#define SUIT_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "teepkit/crypto.h"
#include "teepkit/suit.h"

/* The crypto backend of the tests. */
const tk_crypto *tu_crypto(void);

/* Reads a hex vector under tests/vectors (malloc'd; aborts on error). */
uint8_t *tu_vector(const char *relative, size_t *len);

/* Reads a binary file under tests/vectors (malloc'd; aborts on error). */
uint8_t *tu_file(const char *relative, size_t *len);

/* Imports the COSE_Key in a hex vector file into key. Aborts on error. */
void tu_key(const char *relative, tk_key *key);

/* SHA-256 of data. */
void tu_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

/*
 * Compiles diagnostic notation into out (capacity cap) and returns the
 * length. Supports integers, h'..', "text", 'bytes', [..], {..},
 * << .. >> (bstr-wrapped items), true, false, null, tags N(..) and
 * / comments /. Aborts on a syntax error.
 */
size_t tu_edn(const char *text, uint8_t *out, size_t cap);

/*
 * Builds a signed SUIT envelope (tag 107) around the manifest given in
 * diagnostic notation: {2: << [<< digest >>, << COSE_Sign1 >>] >>,
 * 3: << manifest >>} plus extra, a diagnostic-notation list of further
 * "key: value" envelope members (may be NULL), signed with key and alg.
 * Returns the length written to out.
 */
size_t tu_envelope(const char *manifest, const char *extra, const tk_key *key,
                   tk_alg alg, uint8_t *out, size_t cap);

/* The same from an encoded manifest. */
size_t tu_envelope_raw(const uint8_t *manifest, size_t manifest_len,
                       const uint8_t *extra, size_t extra_len,
                       size_t extra_pairs, const tk_key *key, tk_alg alg,
                       uint8_t *out, size_t cap);

/* The example ES256 private key (signing) and public key (verifying). */
const tk_key *tu_example_private(void);
const tk_key *tu_example_public(void);

#endif /* SUIT_TEST_UTIL_H */
