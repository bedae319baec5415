/* Stack-measuring crypto table: see tk_crypto_proxy.h. */
#include "tk_crypto_proxy.h"

#include "device.h"

/* Reads the caller's stack mark at the entry of a forwarded call and
 * returns the stack pointer of the entry. */
static uintptr_t enter(tk_crypto_proxy *px)
{
    uintptr_t sp = tk_stack_pointer();
    size_t used = tk_stack_used_below(px->base);

    if (used > px->caller_peak) {
        px->caller_peak = used;
    }
    px->calls++;
    return sp;
}

/* Reads the backend's stack mark after a forwarded call that entered at
 * sp, and paints the stack again. */
static void leave(tk_crypto_proxy *px, uintptr_t sp)
{
    size_t inside = tk_stack_used_below(sp);
    size_t total = tk_stack_used_below(px->base);

    if (inside > px->crypto_peak) {
        px->crypto_peak = inside;
    }
    if (total > px->total_peak) {
        px->total_peak = total;
    }
    /* The frames of the forwarding function and of this one stay marked:
     * caller_peak includes them, less than 100 bytes. */
    tk_stack_paint();
}

static tk_err px_supports(void *ctx, tk_alg alg, int32_t crv)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->supports(px->inner->ctx, alg, crv);
    leave(px, sp);
    return e;
}

static tk_err px_hash(void *ctx, tk_alg alg, const tk_view *parts,
                      size_t nparts, uint8_t *digest, size_t digest_cap,
                      size_t *digest_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->hash(px->inner->ctx, alg, parts, nparts, digest,
                               digest_cap, digest_len);
    leave(px, sp);
    return e;
}

static tk_err px_hash_start(void *ctx, tk_crypto_hash_state *state,
                            tk_alg alg)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->hash_start(px->inner->ctx, state, alg);
    leave(px, sp);
    return e;
}

static tk_err px_hash_update(void *ctx, tk_crypto_hash_state *state,
                             const uint8_t *data, size_t len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->hash_update(px->inner->ctx, state, data, len);
    leave(px, sp);
    return e;
}

static tk_err px_hash_finish(void *ctx, tk_crypto_hash_state *state,
                             uint8_t *digest, size_t digest_cap,
                             size_t *digest_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->hash_finish(px->inner->ctx, state, digest,
                                      digest_cap, digest_len);
    leave(px, sp);
    return e;
}

static void px_hash_abort(void *ctx, tk_crypto_hash_state *state)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    px->inner->hash_abort(px->inner->ctx, state);
    leave(px, sp);
}

static tk_err px_sign(void *ctx, tk_alg alg, const tk_key *key,
                      const tk_view *parts, size_t nparts, uint8_t *sig,
                      size_t sig_cap, size_t *sig_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->sign(px->inner->ctx, alg, key, parts, nparts, sig,
                               sig_cap, sig_len);
    leave(px, sp);
    return e;
}

static tk_err px_verify(void *ctx, tk_alg alg, const tk_key *key,
                        const tk_view *parts, size_t nparts, tk_view sig)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->verify(px->inner->ctx, alg, key, parts, nparts,
                                 sig);
    leave(px, sp);
    return e;
}

static tk_err px_mac(void *ctx, tk_alg alg, const tk_key *key,
                     const tk_view *parts, size_t nparts, uint8_t *tag,
                     size_t tag_cap, size_t *tag_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->mac(px->inner->ctx, alg, key, parts, nparts, tag,
                              tag_cap, tag_len);
    leave(px, sp);
    return e;
}

static tk_err px_hkdf(void *ctx, tk_alg hash_alg, tk_view salt, tk_view ikm,
                      tk_view info, uint8_t *out, size_t out_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->hkdf(px->inner->ctx, hash_alg, salt, ikm, info,
                               out, out_len);
    leave(px, sp);
    return e;
}

static tk_err px_key_wrap(void *ctx, tk_alg alg, const tk_key *kek,
                          tk_view plain, uint8_t *out, size_t out_cap,
                          size_t *out_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->key_wrap(px->inner->ctx, alg, kek, plain, out,
                                   out_cap, out_len);
    leave(px, sp);
    return e;
}

static tk_err px_key_unwrap(void *ctx, tk_alg alg, const tk_key *kek,
                            tk_view wrapped, uint8_t *out, size_t out_cap,
                            size_t *out_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->key_unwrap(px->inner->ctx, alg, kek, wrapped, out,
                                     out_cap, out_len);
    leave(px, sp);
    return e;
}

static tk_err px_ecdh(void *ctx, const tk_key *priv, const tk_key *peer,
                      uint8_t *secret, size_t secret_cap, size_t *secret_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->ecdh(px->inner->ctx, priv, peer, secret,
                               secret_cap, secret_len);
    leave(px, sp);
    return e;
}

static tk_err px_key_generate(void *ctx, int32_t crv, tk_key *key)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->key_generate(px->inner->ctx, crv, key);
    leave(px, sp);
    return e;
}

static tk_err px_key_import(void *ctx, const tk_key_params *params,
                            tk_key *key)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->key_import(px->inner->ctx, params, key);
    leave(px, sp);
    return e;
}

static tk_err px_aead_encrypt(void *ctx, tk_alg alg, const tk_key *key,
                              tk_view iv, tk_view aad, tk_view plain,
                              uint8_t *out, size_t out_cap, size_t *out_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->aead_encrypt(px->inner->ctx, alg, key, iv, aad,
                                       plain, out, out_cap, out_len);
    leave(px, sp);
    return e;
}

static tk_err px_aead_decrypt(void *ctx, tk_alg alg, const tk_key *key,
                              tk_view iv, tk_view aad, tk_view in,
                              uint8_t *out, size_t out_cap, size_t *out_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->aead_decrypt(px->inner->ctx, alg, key, iv, aad, in,
                                       out, out_cap, out_len);
    leave(px, sp);
    return e;
}

static tk_err px_cipher_start(void *ctx, tk_crypto_cipher_state *state,
                              tk_alg alg, const tk_key *key, tk_view iv,
                              tk_view aad, tk_crypto_dir dir)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->cipher_start(px->inner->ctx, state, alg, key, iv,
                                       aad, dir);
    leave(px, sp);
    return e;
}

static tk_err px_cipher_update(void *ctx, tk_crypto_cipher_state *state,
                               const uint8_t *in, size_t len, uint8_t *out)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->cipher_update(px->inner->ctx, state, in, len, out);
    leave(px, sp);
    return e;
}

static tk_err px_cipher_finish(void *ctx, tk_crypto_cipher_state *state,
                               tk_view expected_tag, uint8_t *tag_out,
                               size_t tag_out_len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->cipher_finish(px->inner->ctx, state, expected_tag,
                                        tag_out, tag_out_len);
    leave(px, sp);
    return e;
}

static void px_cipher_abort(void *ctx, tk_crypto_cipher_state *state)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    px->inner->cipher_abort(px->inner->ctx, state);
    leave(px, sp);
}

static tk_err px_random(void *ctx, uint8_t *out, size_t len)
{
    tk_crypto_proxy *px = ctx;
    uintptr_t sp = enter(px);
    tk_err e = px->inner->random(px->inner->ctx, out, len);
    leave(px, sp);
    return e;
}

const tk_crypto *tk_crypto_proxy_init(tk_crypto_proxy *proxy,
                                      const tk_crypto *inner)
{
    *proxy = (tk_crypto_proxy){
        .table = {
            .ctx = proxy,
            .name = inner->name,
            .supports = px_supports,
            .hash = px_hash,
            .hash_start = px_hash_start,
            .hash_update = px_hash_update,
            .hash_finish = px_hash_finish,
            .hash_abort = px_hash_abort,
            .sign = px_sign,
            .verify = px_verify,
            .mac = px_mac,
            .hkdf = px_hkdf,
            .key_wrap = px_key_wrap,
            .key_unwrap = px_key_unwrap,
            .ecdh = px_ecdh,
            .key_generate = px_key_generate,
            .key_import = px_key_import,
            .aead_encrypt = px_aead_encrypt,
            .aead_decrypt = px_aead_decrypt,
            .cipher_start = px_cipher_start,
            .cipher_update = px_cipher_update,
            .cipher_finish = px_cipher_finish,
            .cipher_abort = px_cipher_abort,
            .random = px_random,
        },
        .inner = inner,
        .base = tk_stack_pointer(),
    };
    return &proxy->table;
}

void tk_crypto_proxy_start(tk_crypto_proxy *proxy, uintptr_t base)
{
    proxy->base = base;
    proxy->caller_peak = 0;
    proxy->crypto_peak = 0;
    proxy->total_peak = 0;
    proxy->calls = 0;
    tk_stack_paint();
}

void tk_crypto_proxy_stop(tk_crypto_proxy *proxy)
{
    size_t used = tk_stack_used_below(proxy->base);

    if (used > proxy->caller_peak) {
        proxy->caller_peak = used;
    }
    if (used > proxy->total_peak) {
        proxy->total_peak = used;
    }
}
