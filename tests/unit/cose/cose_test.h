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

/* A byte buffer for hand-built CBOR test messages. */
typedef struct cose_buf {
    uint8_t b[4096];
    size_t n;
} cose_buf;

/* Appends hex text (whitespace allowed). */
void cose_buf_hex(cose_buf *buf, const char *hex);

/* Appends raw bytes. */
void cose_buf_bytes(cose_buf *buf, const uint8_t *p, size_t n);

/* Appends a CBOR head of major type major (0 to 7) and argument value. */
void cose_buf_head(cose_buf *buf, unsigned major, uint64_t value);

/* Appends a CBOR byte string. */
void cose_buf_bstr(cose_buf *buf, const uint8_t *p, size_t n);

/* Returns a view of the buffer's bytes. */
tk_view cose_buf_view(const cose_buf *buf);

/*
 * Appends a signature made with key under alg over the Sig_structure
 * ["Signature1", prot, aad, payload] as a bstr, as a hand-built
 * COSE_Sign1 needs.
 */
void cose_buf_sign1_sig(cose_buf *buf, const tk_key *key, tk_alg alg,
                        tk_view prot, tk_view aad, tk_view payload);

/* Appends an HMAC tag (truncated for HMAC 256/64) over the MAC_structure
 * [context, prot, aad, payload] as a bstr. */
void cose_buf_mac_tag(cose_buf *buf, const tk_key *key, tk_alg alg,
                      const char *context, tk_view prot, tk_view aad,
                      tk_view payload);
