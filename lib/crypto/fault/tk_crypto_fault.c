/*
 * Fault-injection wrapper around a tk_crypto backend. A failed call
 * behaves as the interface describes for a failure: output lengths are 0,
 * HKDF output is wiped, a failed start leaves a zeroed state, and a failed
 * update or finish releases the inner state.
 */
#include "tk_crypto_fault.h"

#include <string.h>

/* Counts a call and returns whether it must fail. */
static bool hit(tk_crypto_fault *f)
{
    f->calls++;
    bool fail = f->fail_at != 0 &&
                (f->calls == f->fail_at ||
                 (f->fail_after && f->calls > f->fail_at));
    if (fail) {
        f->failures++;
    }
    return fail;
}

/* Zeroes an output length when there is one. */
static void zero_len(size_t *len)
{
    if (len != NULL) {
        *len = 0;
    }
}

static tk_err f_supports(void *ctx, tk_alg alg, int32_t crv)
{
    tk_crypto_fault *f = ctx;
    return f->inner->supports(f->inner->ctx, alg, crv);
}

static tk_err f_hash(void *ctx, tk_alg alg, const tk_view *parts,
                     size_t nparts, uint8_t *digest, size_t digest_cap,
                     size_t *digest_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        zero_len(digest_len);
        return f->error;
    }
    return f->inner->hash(f->inner->ctx, alg, parts, nparts, digest,
                          digest_cap, digest_len);
}

static tk_err f_hash_start(void *ctx, tk_crypto_hash_state *state,
                           tk_alg alg)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        if (state != NULL) {
            tk_crypto_wipe(state, sizeof(*state));
        }
        return f->error;
    }
    return f->inner->hash_start(f->inner->ctx, state, alg);
}

static tk_err f_hash_update(void *ctx, tk_crypto_hash_state *state,
                            const uint8_t *data, size_t len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        f->inner->hash_abort(f->inner->ctx, state);
        return f->error;
    }
    return f->inner->hash_update(f->inner->ctx, state, data, len);
}

static tk_err f_hash_finish(void *ctx, tk_crypto_hash_state *state,
                            uint8_t *digest, size_t digest_cap,
                            size_t *digest_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        f->inner->hash_abort(f->inner->ctx, state);
        zero_len(digest_len);
        return f->error;
    }
    return f->inner->hash_finish(f->inner->ctx, state, digest, digest_cap,
                                 digest_len);
}

static void f_hash_abort(void *ctx, tk_crypto_hash_state *state)
{
    tk_crypto_fault *f = ctx;
    f->inner->hash_abort(f->inner->ctx, state);
}

static tk_err f_sign(void *ctx, tk_alg alg, const tk_key *key,
                     const tk_view *parts, size_t nparts, uint8_t *sig,
                     size_t sig_cap, size_t *sig_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        zero_len(sig_len);
        return f->error;
    }
    return f->inner->sign(f->inner->ctx, alg, key, parts, nparts, sig,
                          sig_cap, sig_len);
}

static tk_err f_verify(void *ctx, tk_alg alg, const tk_key *key,
                       const tk_view *parts, size_t nparts, tk_view sig)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        return f->error;
    }
    return f->inner->verify(f->inner->ctx, alg, key, parts, nparts, sig);
}

static tk_err f_mac(void *ctx, tk_alg alg, const tk_key *key,
                    const tk_view *parts, size_t nparts, uint8_t *tag,
                    size_t tag_cap, size_t *tag_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        zero_len(tag_len);
        return f->error;
    }
    return f->inner->mac(f->inner->ctx, alg, key, parts, nparts, tag,
                         tag_cap, tag_len);
}

static tk_err f_hkdf(void *ctx, tk_alg hash_alg, tk_view salt, tk_view ikm,
                     tk_view info, uint8_t *out, size_t out_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        tk_crypto_wipe(out, out != NULL ? out_len : 0);
        return f->error;
    }
    return f->inner->hkdf(f->inner->ctx, hash_alg, salt, ikm, info, out,
                          out_len);
}

static tk_err f_key_wrap(void *ctx, tk_alg alg, const tk_key *kek,
                         tk_view plain, uint8_t *out, size_t out_cap,
                         size_t *out_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        zero_len(out_len);
        return f->error;
    }
    return f->inner->key_wrap(f->inner->ctx, alg, kek, plain, out, out_cap,
                              out_len);
}

static tk_err f_key_unwrap(void *ctx, tk_alg alg, const tk_key *kek,
                           tk_view wrapped, uint8_t *out, size_t out_cap,
                           size_t *out_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        zero_len(out_len);
        return f->error;
    }
    return f->inner->key_unwrap(f->inner->ctx, alg, kek, wrapped, out,
                                out_cap, out_len);
}

static tk_err f_ecdh(void *ctx, const tk_key *priv, const tk_key *peer,
                     uint8_t *secret, size_t secret_cap, size_t *secret_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        zero_len(secret_len);
        return f->error;
    }
    return f->inner->ecdh(f->inner->ctx, priv, peer, secret, secret_cap,
                          secret_len);
}

static tk_err f_key_generate(void *ctx, int32_t crv, tk_key *key)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        tk_key_init(key);
        return f->error;
    }
    return f->inner->key_generate(f->inner->ctx, crv, key);
}

static tk_err f_key_import(void *ctx, const tk_key_params *params,
                           tk_key *key)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        tk_key_init(key);
        return f->error;
    }
    return f->inner->key_import(f->inner->ctx, params, key);
}

static tk_err f_aead_encrypt(void *ctx, tk_alg alg, const tk_key *key,
                             tk_view iv, tk_view aad, tk_view plain,
                             uint8_t *out, size_t out_cap, size_t *out_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        zero_len(out_len);
        return f->error;
    }
    return f->inner->aead_encrypt(f->inner->ctx, alg, key, iv, aad, plain,
                                  out, out_cap, out_len);
}

static tk_err f_aead_decrypt(void *ctx, tk_alg alg, const tk_key *key,
                             tk_view iv, tk_view aad, tk_view in,
                             uint8_t *out, size_t out_cap, size_t *out_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        zero_len(out_len);
        return f->error;
    }
    return f->inner->aead_decrypt(f->inner->ctx, alg, key, iv, aad, in, out,
                                  out_cap, out_len);
}

static tk_err f_cipher_start(void *ctx, tk_crypto_cipher_state *state,
                             tk_alg alg, const tk_key *key, tk_view iv,
                             tk_view aad, tk_crypto_dir dir)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        if (state != NULL) {
            tk_crypto_wipe(state, sizeof(*state));
        }
        return f->error;
    }
    return f->inner->cipher_start(f->inner->ctx, state, alg, key, iv, aad,
                                  dir);
}

static tk_err f_cipher_update(void *ctx, tk_crypto_cipher_state *state,
                              const uint8_t *in, size_t len, uint8_t *out)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        f->inner->cipher_abort(f->inner->ctx, state);
        return f->error;
    }
    return f->inner->cipher_update(f->inner->ctx, state, in, len, out);
}

static tk_err f_cipher_finish(void *ctx, tk_crypto_cipher_state *state,
                              tk_view expected_tag, uint8_t *tag_out,
                              size_t tag_out_len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        f->inner->cipher_abort(f->inner->ctx, state);
        return f->error;
    }
    return f->inner->cipher_finish(f->inner->ctx, state, expected_tag,
                                   tag_out, tag_out_len);
}

static void f_cipher_abort(void *ctx, tk_crypto_cipher_state *state)
{
    tk_crypto_fault *f = ctx;
    f->inner->cipher_abort(f->inner->ctx, state);
}

static tk_err f_random(void *ctx, uint8_t *out, size_t len)
{
    tk_crypto_fault *f = ctx;
    if (hit(f)) {
        return f->error;
    }
    return f->inner->random(f->inner->ctx, out, len);
}

void tk_crypto_fault_init(tk_crypto_fault *fault, const tk_crypto *inner)
{
    memset(fault, 0, sizeof(*fault));
    fault->inner = inner;
    fault->error = TK_ERR_CRYPTO_FAULT_INJECTED;
    fault->table = (tk_crypto){
        .ctx = fault,
        .name = "fault",
        .supports = f_supports,
        .hash = f_hash,
        .hash_start = f_hash_start,
        .hash_update = f_hash_update,
        .hash_finish = f_hash_finish,
        .hash_abort = f_hash_abort,
        .sign = f_sign,
        .verify = f_verify,
        .mac = f_mac,
        .hkdf = f_hkdf,
        .key_wrap = f_key_wrap,
        .key_unwrap = f_key_unwrap,
        .ecdh = f_ecdh,
        .key_generate = f_key_generate,
        .key_import = f_key_import,
        .aead_encrypt = f_aead_encrypt,
        .aead_decrypt = f_aead_decrypt,
        .cipher_start = f_cipher_start,
        .cipher_update = f_cipher_update,
        .cipher_finish = f_cipher_finish,
        .cipher_abort = f_cipher_abort,
        .random = f_random,
    };
}

void tk_crypto_fault_arm(tk_crypto_fault *fault, unsigned long fail_at,
                         tk_err error)
{
    fault->calls = 0;
    fault->failures = 0;
    fault->fail_at = fail_at;
    fault->error = error;
}
