/*
 * Helpers of the Cortex-M4 test images: hex strings to bytes in a static
 * pool, and the crypto set-up shared by every image.
 */
#ifndef TK_TARGET_UTIL_H
#define TK_TARGET_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "teepkit/crypto.h"

/* Returns the bytes of a hex string, in which spaces are ignored, as a
 * view into a static pool that tkt_hex_reset() empties. A malformed string
 * or a full pool gives an empty view with a NULL pointer, which the checks
 * then reject. */
tk_view tkt_hex(const char *hex);
void tkt_hex_reset(void);

/* Returns the Mbed TLS backend, initialized on the first call with the
 * fixed test entropy of tk_dev_crypto.h. */
const tk_crypto *tkt_crypto(void);

/* Imports an EC2 P-256 key from hex coordinates (y and d may be NULL). */
tk_err tkt_import_p256(tk_key *key, const char *x, const char *y,
                       const char *d);

#endif /* TK_TARGET_UTIL_H */
