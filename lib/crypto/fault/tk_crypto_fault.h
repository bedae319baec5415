/*
 * A tk_crypto wrapper that fails a chosen call, for tests of the libraries
 * above crypto (COSE, SUIT, TEEP): every error path that depends on a
 * crypto result can be reached by failing the Nth call. Test-only (target
 * tk_crypto_fault); it keeps counters in the caller's struct and nothing
 * global.
 *
 * Typical use: run the operation once with no failure armed and read
 * calls, then for each n from 1 to that count, arm n, run again and assert
 * that the operation returns an error and leaves its state unchanged.
 */
#ifndef TK_CRYPTO_FAULT_H
#define TK_CRYPTO_FAULT_H

#include "teepkit/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tk_crypto_fault {
    /* The wrapping table; pass &fault.table where a tk_crypto is needed. */
    tk_crypto table;
    /* The backend that does the work. */
    const tk_crypto *inner;
    /* Counted calls so far: every table function that returns tk_err,
     * except supports. The aborts are passed through uncounted. */
    unsigned long calls;
    /* 1-based number of the call to fail, or 0 to fail none. */
    unsigned long fail_at;
    /* When true, every call from fail_at on fails, not only that one. */
    bool fail_after;
    /* Error that a failed call returns. */
    tk_err error;
    /* Calls failed so far. */
    unsigned long failures;
} tk_crypto_fault;

/* Sets up fault to wrap inner with no failure armed and counters at 0. */
void tk_crypto_fault_init(tk_crypto_fault *fault, const tk_crypto *inner);

/*
 * Arms a failure of call number fail_at (1-based, counted from now: calls
 * and failures are reset) with error, which is TK_ERR_CRYPTO_FAULT_INJECTED
 * unless a test needs a specific code such as
 * TK_ERR_CRYPTO_SIGNATURE_INVALID. fail_at 0 disarms.
 */
void tk_crypto_fault_arm(tk_crypto_fault *fault, unsigned long fail_at,
                         tk_err error);

#ifdef __cplusplus
}
#endif

#endif /* TK_CRYPTO_FAULT_H */
