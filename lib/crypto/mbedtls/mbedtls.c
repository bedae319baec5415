/*
 * The Mbed TLS 2.28 backend table: the frame functions (crypto_backend.h)
 * on the primitives of the other files of this folder, the algorithms and
 * curves of the Mbed TLS configuration, and the CTR_DRBG with its entropy
 * source.
 *
 * The DRBG lives in this file's static state and is seeded on the first
 * tk_crypto_mbedtls() call. That first call is not thread-safe, so a
 * multi-threaded host makes it before starting threads. Later DRBG calls
 * are serialized by Mbed TLS when it is built with MBEDTLS_THREADING_C, as
 * Debian 12 builds it.
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "mbedtls_internal.h"

/* The DRBG and its entropy source. */
typedef struct tk_mbed_drbg {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    bool seeded;
    tk_crypto_entropy_fn entropy_fn;
    void *entropy_fn_ctx;
} tk_mbed_drbg;

/*
 * Backend context: the table's ctx member points here. It is constant and
 * never written through. The DRBG state it points to stays zero-initialized
 * (.bss), so a device keeps no copy of it in flash.
 */
typedef struct tk_mbed_ctx {
    tk_crypto_backend_ctx backend; /* first, for the frame */
    tk_mbed_drbg *drbg;
} tk_mbed_ctx;

int tk_mbed_rng(void *ctx, unsigned char *out, size_t len)
{
    const tk_mbed_ctx *mc = ctx;

    return mbedtls_ctr_drbg_random(&mc->drbg->drbg, out, len);
}

static tk_err mbed_random(void *ctx, uint8_t *out, size_t len)
{
    return tk_mbed_rng(ctx, out, len) == 0 ? TK_OK : TK_ERR_CRYPTO_RANDOM;
}

/*
 * Tells whether the configuration has alg, for the algorithms whose
 * absence the frame reports before it checks the key. The other
 * algorithms that need a left-out hash or curve fail in their
 * primitives.
 */
static bool mbed_has_alg(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_SHA384:
    case TK_ALG_SHA512:
        return TK_MBED_SHA512;
    case TK_ALG_CHACHA20_POLY1305:
        return TK_MBED_CHACHAPOLY;
    case TK_ALG_EDDSA:
    case TK_ALG_ED25519:
        return false; /* Mbed TLS 2.28 has no EdDSA */
    default:
        return true;
    }
}

/*
 * Tells whether the configuration has the curve crv. The device
 * configuration embedded/mbedtls/tk_mbedtls_config.h has only P-256.
 */
static bool mbed_has_curve(int32_t crv)
{
    return tk_mbed_group(crv) != MBEDTLS_ECP_DP_NONE;
}

static const tk_crypto_primitives tk_mbed_primitives = {
    .has_alg = mbed_has_alg,
    .has_curve = mbed_has_curve,
    /* Maximum length that the DRBG returns in one call. */
    .random_max_request = MBEDTLS_CTR_DRBG_MAX_REQUEST,
    .random = mbed_random,
    .hash = &tk_mbed_hash_primitives,
    .sig = &tk_mbed_sig_primitives,
    .key = &tk_mbed_key_primitives,
    .cipher = &tk_mbed_cipher_primitives,
};

static tk_mbed_drbg tk_mbed_state;

static const tk_mbed_ctx tk_mbed_ctx_value = {{&tk_mbed_primitives},
                                              &tk_mbed_state};

/* Personalization string of the DRBG (NIST SP 800-90A section 8.7.1). */
static const unsigned char tk_mbed_pers[] = "teepkit crypto mbedtls";

tk_err tk_crypto_mbedtls_set_entropy(tk_crypto_entropy_fn fn, void *fn_ctx)
{
    if (fn == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    if (tk_mbed_state.seeded) {
        return TK_ERR_STATE;
    }
    tk_mbed_state.entropy_fn = fn;
    tk_mbed_state.entropy_fn_ctx = fn_ctx;
    return TK_OK;
}

/* Seeds the DRBG from the configured entropy source. */
static bool seed(tk_mbed_drbg *mc)
{
    mbedtls_entropy_init(&mc->entropy);
    mbedtls_ctr_drbg_init(&mc->drbg);
    if (mc->entropy_fn != NULL &&
        mbedtls_entropy_add_source(&mc->entropy, mc->entropy_fn,
                                   mc->entropy_fn_ctx, 32,
                                   MBEDTLS_ENTROPY_SOURCE_STRONG) != 0) {
        return false;
    }
    return mbedtls_ctr_drbg_seed(&mc->drbg, mbedtls_entropy_func,
                                 &mc->entropy, tk_mbed_pers,
                                 sizeof(tk_mbed_pers) - 1) == 0;
}

static const tk_crypto tk_mbed_table = {
    .ctx = (void *)&tk_mbed_ctx_value,
    .name = "mbedtls",
    TK_CRYPTO_FRAME_FUNCTIONS,
};

const tk_crypto *tk_crypto_mbedtls(void)
{
    /* NOTE: not thread-safe until the first call has returned. */
    if (!tk_mbed_state.seeded) {
        if (!seed(&tk_mbed_state)) {
            mbedtls_ctr_drbg_free(&tk_mbed_state.drbg);
            mbedtls_entropy_free(&tk_mbed_state.entropy);
            return NULL;
        }
        tk_mbed_state.seeded = true;
    }
    return &tk_mbed_table;
}
