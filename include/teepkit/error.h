/*
 * teepkit error codes.
 *
 * One enum serves every core library. Each library owns a range of values
 * and lists its codes in its own file under teepkit/error/, so the enum and
 * the message table are generated from the same lines:
 *
 *   common    0..19     cbor     20..59     crypto   60..79
 *   cose     80..119    suit    120..179    suit builder 180..199
 *   eat     200..239    teep    240..299
 *   store   300..329    net     330..359    service (TAM, agent) 360..399
 *
 * Values are stable once released: new codes take a free value in their
 * library's range, and a code is never renumbered.
 */
#ifndef TEEPKIT_ERROR_H
#define TEEPKIT_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* Result of every teepkit call that can fail. TK_OK is zero. */
typedef enum tk_err {
#define TK_ERRDEF(name, value, text) name = value,
#include "teepkit/error/common.def"
#include "teepkit/error/cbor.def"
#include "teepkit/error/crypto.def"
#include "teepkit/error/cose.def"
#include "teepkit/error/suit.def"
#include "teepkit/error/suit_build.def"
#include "teepkit/error/eat.def"
#include "teepkit/error/teep.def"
#include "teepkit/error/store.def"
#include "teepkit/error/net.def"
#include "teepkit/error/service.def"
#undef TK_ERRDEF
    TK_ERR_MAX_ = 400
} tk_err;

/*
 * Returns a one-sentence English description of err, without a trailing
 * period. Never returns NULL: an unknown value gives "unknown error code".
 */
const char *tk_strerror(tk_err err);

/*
 * Returns the enumerator name of err, for example "TK_ERR_CBOR_TRUNCATED",
 * or "TK_ERR_UNKNOWN" for a value that no library defines.
 */
const char *tk_errname(tk_err err);

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_ERROR_H */
