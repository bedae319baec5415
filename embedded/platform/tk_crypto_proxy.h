/*
 * A tk_crypto table that forwards every call to another backend and
 * measures the stack on both sides of the interface: the deepest stack of
 * the caller outside crypto calls (the core libraries and the platform),
 * and the deepest stack used inside one crypto call, below the stack
 * pointer at its entry (the backend and Mbed TLS).
 *
 * It relies on the stack painting of device.h: at the entry of a forwarded
 * call it reads the caller's low-water mark, and after the call it reads
 * the backend's mark and paints the stack again, so that the next reading
 * of the caller's mark does not include the backend's frames.
 */
#ifndef TK_CRYPTO_PROXY_H
#define TK_CRYPTO_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "teepkit/crypto.h"

typedef struct tk_crypto_proxy {
    tk_crypto table;        /* the forwarding table; ctx is this proxy */
    const tk_crypto *inner; /* the backend that does the work */
    uintptr_t base;         /* stack pointer where measuring started */
    size_t caller_peak;     /* deepest caller stack below base, crypto
                               calls excluded */
    size_t crypto_peak;     /* deepest stack inside one crypto call, below
                               its entry */
    size_t total_peak;      /* deepest stack below base, crypto included */
    size_t calls;           /* forwarded calls */
} tk_crypto_proxy;

/* Fills proxy to forward to inner and returns its table. */
const tk_crypto *tk_crypto_proxy_init(tk_crypto_proxy *proxy,
                                      const tk_crypto *inner);

/* Paints the stack and starts a measurement below base, a
 * tk_stack_pointer() value that the caller takes before the measured
 * call. */
void tk_crypto_proxy_start(tk_crypto_proxy *proxy, uintptr_t base);

/* Ends the measurement: adds the caller's stack since the last crypto
 * call to caller_peak. */
void tk_crypto_proxy_stop(tk_crypto_proxy *proxy);

#endif /* TK_CRYPTO_PROXY_H */
