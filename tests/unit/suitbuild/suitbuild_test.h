/* Helpers of the SUIT builder tests: structural CBOR comparison, envelope
 * members, and an independent check of SUIT signatures. */
#ifndef SUITBUILD_TEST_H
#define SUITBUILD_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/common.h"
#include "teepkit/crypto.h"

/*
 * Compares two encoded items item by item: the same types, values and
 * nesting, byte strings that both hold well-formed CBOR compared as CBOR,
 * others bytewise. Returns true when equal; otherwise writes where they
 * differ (offsets in a and b) to why.
 */
bool suitbuild_cbor_equal(tk_view a, tk_view b, char *why, size_t why_size);

/* Sets *value to the encoded value of integer key label in the encoded map
 * (or tagged map) map. Returns false when the key is absent. */
bool suitbuild_map_get(tk_view map, int64_t label, tk_view *value);

/* Sets *content to the content of the encoded byte string bstr. */
bool suitbuild_bstr_content(tk_view bstr, tk_view *content);

/* Returns the number of entries of the encoded map (or tagged map). */
size_t suitbuild_map_size(tk_view map);

/*
 * Checks a signed envelope without the SUIT library: the wrapper's digest
 * is the SHA-256 of the manifest bstr, and authentication block number
 * block (a COSE_Sign1 with a nil payload) verifies with key. Returns the
 * COSE algorithm of that block, or 0 when any check fails.
 */
tk_alg suitbuild_check_signature(const tk_crypto *crypto, tk_view envelope,
                                 size_t block, const tk_key *key);

/* Returns the number of authentication blocks of an envelope. */
size_t suitbuild_block_count(tk_view envelope);

/* Loads a PEM key of the vector folder (a path relative to it). */
void suitbuild_load_key(const tk_crypto *crypto, const char *relative,
                        tk_key *key);

#endif /* SUITBUILD_TEST_H */
