/*
 * Helpers shared by the crypto tests. Each test source is built once per
 * backend with TK_TEST_BACKEND set to the backend's table function, so one
 * suite checks every backend.
 */
#ifndef TK_CRYPTO_TEST_H
#define TK_CRYPTO_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/crypto.h"
#include "tk_test.h"

#ifndef TK_TEST_BACKEND
#error "build with -DTK_TEST_BACKEND=tk_crypto_<backend>"
#endif

/* The backend under test. */
static inline const tk_crypto *tk_test_crypto(void)
{
    const tk_crypto *crypto = TK_TEST_BACKEND();
    assert_non_null(crypto);
    return crypto;
}

/* Bytes decoded from hex live in this pool until the program ends. */
#define TK_TEST_POOL_SIZE (1u << 20)

/* Decodes hex into the pool and returns a view of it. */
static inline tk_view tk_test_hex(const char *hex)
{
    static uint8_t pool[TK_TEST_POOL_SIZE];
    static size_t used;
    size_t cap = strlen(hex) / 2;

    if (cap > TK_TEST_POOL_SIZE - used) {
        fail_msg("hex pool exhausted: raise TK_TEST_POOL_SIZE");
    }
    size_t len = tk_test_hex_decode(hex, pool + used, cap);
    tk_view view = {len > 0 ? pool + used : NULL, len};
    used += len;
    return view;
}

/* Asserts that len bytes at got equal the view expected. */
static inline void tk_test_assert_bytes(const uint8_t *got, size_t len,
                                        tk_view expected)
{
    assert_int_equal(len, expected.len);
    if (len > 0) {
        assert_memory_equal(got, expected.ptr, len);
    }
}

/* Asserts a tk_err with both names in the failure message. */
#define assert_tk_err(actual, expected)                                    \
    do {                                                                   \
        tk_err tk_actual_ = (actual);                                      \
        tk_err tk_expected_ = (expected);                                  \
        if (tk_actual_ != tk_expected_) {                                  \
            fail_msg("got %s (%d), expected %s (%d)",                      \
                     tk_errname(tk_actual_), (int)tk_actual_,              \
                     tk_errname(tk_expected_), (int)tk_expected_);         \
        }                                                                  \
    } while (0)

/* Imports an EC2 or OKP key from hex components (NULL for absent ones). */
static inline tk_err tk_test_import(const tk_crypto *crypto, tk_key *key,
                                    int32_t kty, int32_t crv, const char *x,
                                    const char *y, const char *d)
{
    tk_key_params params;

    memset(&params, 0, sizeof(params));
    params.kty = kty;
    params.crv = crv;
    if (x != NULL) {
        params.x = tk_test_hex(x);
    }
    if (y != NULL) {
        params.y = tk_test_hex(y);
    }
    if (d != NULL) {
        params.d = tk_test_hex(d);
    }
    return crypto->key_import(crypto->ctx, &params, key);
}

/* Fills key with symmetric bytes given in hex. */
static inline void tk_test_symmetric(tk_key *key, const char *hex)
{
    assert_tk_err(tk_key_init_symmetric(key, tk_test_hex(hex)), TK_OK);
}

/* Tells whether the backend under test supports alg on crv. */
static inline bool tk_test_supports(const tk_crypto *crypto, tk_alg alg,
                                    int32_t crv)
{
    return crypto->supports(crypto->ctx, alg, crv) == TK_OK;
}

#endif /* TK_CRYPTO_TEST_H */
