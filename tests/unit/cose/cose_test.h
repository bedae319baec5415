/*
 * Helpers shared by the COSE tests: the crypto backend under test, keys
 * described in the JSON form of the COSE working group examples, and
 * small byte-buffer utilities.
 */
#ifndef COSE_TEST_H
#define COSE_TEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "teepkit/cose.h"

/* The backend each test program is built against (TK_TEST_BACKEND). */
const tk_crypto *cose_test_crypto(void);

/* Tells whether the backend under test is Mbed TLS, which lacks Ed25519
 * and X25519 in version 2.28. */
bool cose_test_is_mbedtls(void);

/* Decodes hex text into a malloc'd buffer; aborts on invalid text. */
uint8_t *cose_test_hex(const char *hex, size_t *len);

/* Decodes base64url text (no padding) into a malloc'd buffer, or returns
 * NULL on invalid text. */
uint8_t *cose_test_b64url(const char *text, size_t *len);

/*
 * Reads member name of obj as bytes: "name" in base64url or "name_hex" in
 * hex. Returns a malloc'd buffer (NULL with *len 0 when absent).
 */
uint8_t *cose_test_json_bytes(json_t *obj, const char *name, size_t *len);

/*
 * Imports a key given as a JSON object of the working group examples
 * (kty EC, OKP or oct; crv; x, y, d or k in base64url or _hex) into key.
 * The kid points into kid_buf (malloc'd, freed by the caller). Returns
 * the backend's error for an unsupported curve.
 */
tk_err cose_test_json_key(json_t *obj, tk_key *key, uint8_t **kid_buf);

/* Returns the COSE identifier of an algorithm name of the examples, or
 * 0 when the name is unknown to teepkit. */
int64_t cose_test_alg_id(const char *name);

/* Builds a tk_key of a P-256 key pair from fixed test material. */
void cose_test_p256_key(tk_key *key, bool with_private);

/* Builds a symmetric tk_key of len bytes, each set to fill. */
void cose_test_sym_key(tk_key *key, size_t len, uint8_t fill);

#endif /* COSE_TEST_H */
