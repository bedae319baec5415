/*
 * Authentication of a SUIT envelope (draft-ietf-suit-manifest-37 section
 * 8.3): the digest of the manifest, the COSE authentication blocks over
 * it, and an optional delegation chain of CWTs whose last confirmation
 * key may sign the manifest.
 */
#include "suit_internal.h"

/* CWT claim labels (RFC 8392 section 3.1, RFC 8747). */
#define CWT_CLAIM_EXP 4
#define CWT_CLAIM_NBF 5
#define CWT_CLAIM_CNF 8
#define CWT_CNF_COSE_KEY 1
/* CBOR tag of a CWT (RFC 8392 section 6). */
#define CWT_TAG 61

#if TK_SUIT_WITH_DELEGATION

/* Returns true when key can be used with signature or MAC alg. */
static bool key_fits(const tk_key *key, tk_alg alg)
{
    int32_t crv = tk_crypto_sig_curve(alg);
    if (crv != TK_CRV_NONE)
        return key->crv == crv && key->has_public;
    if (tk_crypto_hash_size(alg) > 0 && alg > 0)
        return key->kty == TK_KTY_SYMMETRIC;
    return false;
}

/* The claims of a CWT that a delegation uses. */
typedef struct cwt_claims {
    tk_view cose_key;   /* cnf / COSE_Key, encoded */
    bool has_exp;
    int64_t exp;        /* NumericDate, rounded up to a whole second */
    bool has_nbf;
    int64_t nbf;
} cwt_claims;

/*
 * Reads a NumericDate (RFC 8392 section 2): an integer or a finite float
 * of seconds since 1970-01-01 UTC. A fraction is rounded up, which gives
 * the same decisions against a clock of whole seconds. A build without
 * floats (TK_CBOR_WITH_FLOAT=0) reads integers only and links no
 * floating-point code: a float date gives TK_ERR_UNSUPPORTED.
 */
static tk_err numeric_date_read(tk_cbor_dec *dec, int64_t *out)
{
    tk_cbor_item item;
    if (tk_cbor_dec_peek(dec, &item) != TK_OK)
        return TK_ERR_SUIT_DELEGATION;
    if (item.type == TK_CBOR_UINT || item.type == TK_CBOR_NINT)
        return tk_cbor_dec_get_int(dec, out) == TK_OK ? TK_OK
                                                      : TK_ERR_SUIT_DELEGATION;
#if TK_CBOR_WITH_FLOAT
    double v = 0;
    if (tk_cbor_dec_get_float(dec, &v) != TK_OK ||
        !(v > -9.0e18 && v < 9.0e18)) /* also false for NaN */
        return TK_ERR_SUIT_DELEGATION;
    *out = (int64_t)v;
    if ((double)*out < v)
        (*out)++;
    return TK_OK;
#else
    return item.type == TK_CBOR_FLOAT ? TK_ERR_UNSUPPORTED
                                      : TK_ERR_SUIT_DELEGATION;
#endif
}

/* Reads the claims of a verified CWT: its confirmation key (cnf /
 * COSE_Key) and its validity period. */
static tk_err claims_read(tk_view claims, cwt_claims *out)
{
    tk_cbor_dec dec;
    tk_err e = TK_OK;
    memset(out, 0, sizeof(*out));
    tk_cbor_dec_init(&dec, claims.ptr, claims.len, TK_SUIT_DEC_CHECKED);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (e == TK_OK && tk_cbor_dec_more(&dec)) {
        int64_t label;
        if (tk_cbor_dec_get_label(&dec, &label) != TK_OK)
            break;
        if (label == CWT_CLAIM_EXP) {
            out->has_exp = true;
            e = numeric_date_read(&dec, &out->exp);
            continue;
        }
        if (label == CWT_CLAIM_NBF) {
            out->has_nbf = true;
            e = numeric_date_read(&dec, &out->nbf);
            continue;
        }
        if (label != CWT_CLAIM_CNF) {
            tk_cbor_dec_skip(&dec, NULL);
            continue;
        }
        tk_cbor_dec_enter_map(&dec, NULL);
        while (tk_cbor_dec_more(&dec)) {
            int64_t method;
            if (tk_cbor_dec_get_label(&dec, &method) != TK_OK)
                break;
            if (method == CWT_CNF_COSE_KEY)
                tk_cbor_dec_skip(&dec, &out->cose_key);
            else
                tk_cbor_dec_skip(&dec, NULL);
        }
        tk_cbor_dec_exit(&dec);
    }
    if (e != TK_OK)
        return e;
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK || out->cose_key.len == 0)
        return TK_ERR_SUIT_DELEGATION;
    return TK_OK;
}

/*
 * Checks the validity period of a CWT against the platform clock, read
 * once per verification (RFC 8392 sections 3.1.4 and 3.1.5: not on or
 * after exp, not before nbf). A CWT with neither claim needs no clock.
 */
static tk_err validity_check(tk_suit_key_ctx *kc, const cwt_claims *c)
{
    if (!c->has_exp && !c->has_nbf)
        return TK_OK;
    if (!kc->have_now) {
        if (kc->now == NULL)
            return TK_ERR_SUIT_DELEGATION_NO_CLOCK;
        tk_err e = kc->now(kc->now_ctx, &kc->now_seconds);
        if (e != TK_OK)
            return e;
        kc->have_now = true;
    }
    /* A negative date lies before any clock reading. */
    if (c->has_exp && (c->exp <= 0 || kc->now_seconds >= (uint64_t)c->exp))
        return TK_ERR_SUIT_DELEGATION_EXPIRED;
    if (c->has_nbf && c->nbf > 0 && kc->now_seconds < (uint64_t)c->nbf)
        return TK_ERR_SUIT_DELEGATION_NOT_YET_VALID;
    return TK_OK;
}

/*
 * Verifies one delegation chain: the first CWT with a trust anchor from
 * find_key (use TK_SUIT_KEY_DELEGATION), each later one with the previous
 * CWT's confirmation key. out receives the chain's last confirmation key
 * on success, and next holds the key being imported. Both belong to the
 * caller's work area. *budget counts the CWTs left under
 * TK_SUIT_MAX_DELEGATION.
 */
static tk_err chain_verify(const tk_crypto *crypto, tk_cbor_dec *dec,
                           tk_suit_key_ctx *kc, size_t *budget, tk_key *out,
                           tk_key *next)
{
    bool have_prev = false;
    tk_err result = TK_ERR_SUIT_DELEGATION;
    /* Both are released on every failure, also before the first key is
     * imported. next lies in the caller's work area, whose bytes are not
     * initialized, so it is initialized here. */
    tk_key_init(out);
    tk_key_init(next);
    if (tk_cbor_dec_enter_array(dec, NULL) != TK_OK)
        return TK_ERR_SUIT_DELEGATION;
    while (tk_cbor_dec_more(dec)) {
        tk_view cwt;
        tk_cose_opts opts;
        tk_cose_sign1 sign1;
        tk_cbor_item item;
        if (*budget == 0) {
            result = TK_ERR_LIMIT;
            goto done;
        }
        (*budget)--;
        if (tk_cbor_dec_get_bstr(dec, &cwt) != TK_OK)
            goto done;
        /* A CWT may carry its own tag 61 around the COSE_Sign1. */
        tk_cbor_dec dtag;
        tk_cbor_dec_init(&dtag, cwt.ptr, cwt.len, 0);
        if (tk_cbor_dec_peek(&dtag, &item) == TK_OK &&
            item.type == TK_CBOR_TAG && item.value == CWT_TAG) {
            tk_cbor_dec_get_tag(&dtag, NULL);
            size_t at = tk_cbor_dec_offset(&dtag);
            cwt.ptr += at;
            cwt.len -= at;
        }
        memset(&opts, 0, sizeof(opts));
        if (have_prev) {
            opts.key = out;
        } else {
            opts.lookup = tk_suit_key_lookup;
            opts.lookup_arg = kc;
        }
        tk_err e = tk_cose_sign1_verify(crypto, cwt, &opts, &sign1);
        if (e != TK_OK) {
            if (kc->callback_err != TK_OK)
                result = kc->callback_err;
            goto done;
        }
        cwt_claims claims;
        e = claims_read(sign1.payload, &claims);
        if (e == TK_OK)
            e = validity_check(kc, &claims);
        if (e != TK_OK) {
            result = e;
            goto done;
        }
        tk_key_init(next);
        if (tk_cose_key_import(crypto, claims.cose_key, next, NULL) != TK_OK)
            goto done;
        tk_key_release(out);
        *out = *next; /* moves the key with its backend cache */
        tk_key_init(next);
        have_prev = true;
    }
    if (tk_cbor_dec_exit(dec) != TK_OK || !have_prev)
        goto done;
    return TK_OK;
done:
    tk_key_release(next);
    tk_key_release(out);
    return result;
}

/* Verifies the suit-delegation member, [+ [+ bstr .cbor CWT]], keeping
 * the last key of each chain in work. */
TK_SUIT_NOINLINE static tk_err delegation_verify(const tk_crypto *crypto, tk_view bytes,
                                tk_suit_key_ctx *kc, tk_suit_auth_work *work)
{
    tk_cbor_dec dec;
    size_t budget = TK_SUIT_MAX_DELEGATION;
    tk_suit_key_request saved = kc->req;
    tk_err e = TK_OK;
    kc->req.use = TK_SUIT_KEY_DELEGATION;
    tk_cbor_dec_init(&dec, bytes.ptr, bytes.len, TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (e == TK_OK && tk_cbor_dec_more(&dec)) {
        if (work->count >= TK_SUIT_MAX_DELEGATION) {
            e = TK_ERR_LIMIT;
            break;
        }
        e = chain_verify(crypto, &dec, kc, &budget, &work->keys[work->count],
                         &work->next);
        if (e == TK_OK)
            work->count++;
    }
    kc->req = saved;
    if (e != TK_OK)
        return e;
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK || work->count == 0)
        return TK_ERR_SUIT_DELEGATION;
    return TK_OK;
}

/* Returns the delegated key of work that fits kid and alg, or NULL. */
static const tk_key *delegated_key(const tk_suit_auth_work *work,
                                   tk_view kid, tk_alg alg)
{
    for (size_t i = 0; work != NULL && i < work->count; i++) {
        const tk_key *k = &work->keys[i];
        if (!key_fits(k, alg))
            continue;
        if (kid.len > 0 && k->kid.len > 0 && !tk_suit_view_eq(kid, k->kid))
            continue;
        return k;
    }
    return NULL;
}

/* Tells whether key is one of the delegated keys of work. */
static bool is_delegated(const tk_suit_auth_work *work, const tk_key *key)
{
    for (size_t i = 0; i < work->count; i++)
        if (key == &work->keys[i])
            return true;
    return false;
}

/* Releases the delegated keys of work. */
static void delegation_release(tk_suit_auth_work *work)
{
    for (size_t i = 0; i < work->count; i++)
        tk_key_release(&work->keys[i]);
    work->count = 0;
}

#else /* !TK_SUIT_WITH_DELEGATION */

/* A build without delegation rejects an envelope that carries one. */
static tk_err delegation_verify(const tk_crypto *crypto, tk_view bytes,
                                tk_suit_key_ctx *kc, tk_suit_auth_work *work)
{
    (void)crypto;
    (void)bytes;
    (void)kc;
    (void)work;
    return TK_ERR_SUIT_UNKNOWN_MEMBER;
}

static const tk_key *delegated_key(const tk_suit_auth_work *work,
                                   tk_view kid, tk_alg alg)
{
    (void)work;
    (void)kid;
    (void)alg;
    return NULL;
}

static bool is_delegated(const tk_suit_auth_work *work, const tk_key *key)
{
    (void)work;
    (void)key;
    return false;
}

static void delegation_release(tk_suit_auth_work *work)
{
    work->count = 0;
}

#endif /* TK_SUIT_WITH_DELEGATION */

tk_err tk_suit_key_lookup(void *arg, tk_view kid, tk_alg alg,
                          const tk_key **key)
{
    tk_suit_key_ctx *kc = arg;
    tk_suit_key_request req = kc->req;
    req.kid = kid;
    req.alg = alg;
    tk_err e = TK_ERR_NOT_FOUND;
    if (!kc->delegated_only)
        e = kc->find_key(kc->ctx, &req, key);
    if (e == TK_OK && *key != NULL) {
        kc->found = true;
        kc->last = *key;
        return TK_OK;
    }
    if (e != TK_OK && e != TK_ERR_NOT_FOUND) {
        if (kc->callback_err == TK_OK)
            kc->callback_err = e;
        return e;
    }
    const tk_key *k = delegated_key(kc->delegated, kid, alg);
    if (k == NULL)
        return TK_ERR_NOT_FOUND;
    kc->found = true;
    kc->last = k;
    *key = k;
    return TK_OK;
}

/* Result of the authentication blocks seen so far. */
typedef struct block_tally {
    bool valid;        /* a block verified with a trusted key */
    bool invalid;      /* a trusted key did not verify its block */
    bool unsupported;  /* a block used an unsupported structure or alg */
} block_tally;

/* Verifies a block of a supported type with the verifier of its
 * structure, so that a build without MAC authentication links no MAC
 * code. */
static tk_err block_dispatch(const tk_crypto *crypto, tk_cose_type type,
                             tk_view block, const tk_cose_opts *opts)
{
    switch (type) {
    case TK_COSE_TYPE_SIGN1:
        return tk_cose_sign1_verify(crypto, block, opts, NULL);
    case TK_COSE_TYPE_SIGN:
        return tk_cose_sign_verify(crypto, block, opts, NULL);
    case TK_COSE_TYPE_MAC0:
        return TK_SUIT_WITH_MAC ? tk_cose_mac0_verify(crypto, block, opts,
                                                      NULL)
                                : TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    default:
        return TK_SUIT_WITH_MAC ? tk_cose_mac_verify(crypto, block, opts,
                                                     NULL)
                                : TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
}

/* Returns true when e means that a block's signature or MAC did not
 * verify with the key that was found. */
static bool signature_failed(tk_err e)
{
    return e == TK_ERR_COSE_SIGNATURE_INVALID || e == TK_ERR_COSE_MAC_INVALID ||
           e == TK_ERR_CRYPTO_SIGNATURE_INVALID ||
           e == TK_ERR_COSE_KEY_MISMATCH || e == TK_ERR_CRYPTO_KEY_MISMATCH;
}

/*
 * Verifies one COSE authentication block over the detached payload.
 * Returns TK_OK when the block is settled (tally updated) and an error
 * when the whole envelope must be rejected.
 */
static tk_err block_verify(const tk_crypto *crypto, tk_view block,
                           const tk_view *payload, tk_suit_key_ctx *kc,
                           block_tally *tally)
{
    tk_cose_opts opts;
    tk_cose_type type = tk_cose_type_of(block);
    bool mac = type == TK_COSE_TYPE_MAC0 || type == TK_COSE_TYPE_MAC;
    if ((type != TK_COSE_TYPE_SIGN1 && type != TK_COSE_TYPE_SIGN && !mac) ||
        (mac && !TK_SUIT_WITH_MAC) || !tk_cose_type_supported(type)) {
        tally->unsupported = true;
        return TK_OK;
    }
    memset(&opts, 0, sizeof(opts));
    opts.detached = payload;
    opts.lookup = tk_suit_key_lookup;
    opts.lookup_arg = kc;
    opts.signature_index = TK_COSE_ANY_SIGNATURE;
    tk_err e;
    tk_err first = TK_OK;
    /* At most two rounds. When a trusted key of the signature's algorithm
     * does not verify it, the signer may be a key that a delegation chain
     * vouches for: a kid need not tell them apart. The second round
     * verifies with the chains' keys alone, and only its success counts. */
    for (;;) {
        kc->last = NULL;
        e = block_dispatch(crypto, type, block, &opts);
        if (kc->callback_err != TK_OK || !TK_SUIT_WITH_DELEGATION ||
            kc->delegated_only || !signature_failed(e) || kc->last == NULL ||
            kc->delegated == NULL || kc->delegated->count == 0 ||
            is_delegated(kc->delegated, kc->last))
            break;
        first = e;
        kc->delegated_only = true;
    }
    if (kc->delegated_only && e != TK_OK)
        e = first;
    kc->delegated_only = false;
    if (kc->callback_err != TK_OK)
        return kc->callback_err;
    switch (e) {
    case TK_OK:
        tally->valid = true;
        if (kc->signer == NULL)
            kc->signer = kc->last;
        return TK_OK;
    case TK_ERR_COSE_PAYLOAD_CONFLICT:
        return TK_ERR_SUIT_AUTH_PAYLOAD;
    case TK_ERR_COSE_KEY_NOT_FOUND:
    case TK_ERR_NOT_FOUND:
        return TK_OK;
    case TK_ERR_COSE_ALG_UNSUPPORTED:
    case TK_ERR_COSE_STRUCTURE_UNSUPPORTED:
    case TK_ERR_CRYPTO_UNSUPPORTED_ALG:
        tally->unsupported = true;
        return TK_OK;
    case TK_ERR_COSE_SIGNATURE_INVALID:
    case TK_ERR_COSE_MAC_INVALID:
    case TK_ERR_CRYPTO_SIGNATURE_INVALID:
    case TK_ERR_COSE_KEY_MISMATCH:
    case TK_ERR_CRYPTO_KEY_MISMATCH:
    case TK_ERR_COSE_NO_RECIPIENT:
        tally->invalid = true;
        return TK_OK;
    default:
        return e;
    }
}

/* Checks the wrapper's digest against the manifest bytes. Kept out of
 * line, so that its digest buffer is not on the stack while the blocks
 * are verified. */
TK_SUIT_NOINLINE static tk_err digest_check(tk_suit_envelope *env, const tk_crypto *crypto,
                           tk_view digest_bytes)
{
    uint8_t digest[TK_CRYPTO_MAX_HASH_SIZE];
    size_t len = 0;
    tk_err e = tk_suit_digest_decode(digest_bytes, &env->digest);
    if (e != TK_OK)
        return e;
    e = tk_suit_hash(crypto, env->digest.alg, env->manifest_wrapped, digest,
                     &len);
    if (e != TK_OK)
        return e;
    if (!tk_suit_digest_matches(&env->digest, env->digest.alg, digest, len))
        return TK_ERR_SUIT_MANIFEST_DIGEST;
    return TK_OK;
}

/* The items of an authentication wrapper, found before any of them is
 * verified, so that no decoder stays on the stack while the blocks are
 * verified. */
typedef struct wrapper_items {
    tk_view digest;                        /* content of the digest bstr */
    tk_view blocks[TK_SUIT_MAX_SIGNATURES];
    size_t block_at[TK_SUIT_MAX_SIGNATURES]; /* offsets in the envelope */
    size_t count;
    tk_err stop;        /* what ended the walk before the wrapper's end */
    size_t stop_at;     /* its offset in the envelope */
} wrapper_items;

/* Reads the authentication wrapper into w: its digest and then its blocks
 * until the end, a decoding error or one block past
 * TK_SUIT_MAX_SIGNATURES, which w->stop keeps. Returns an error only when
 * the digest itself cannot be read. */
TK_SUIT_NOINLINE static tk_err wrapper_read(const tk_suit_envelope *env,
                                            wrapper_items *w, size_t *offset)
{
    tk_cbor_dec dec;
    size_t base = tk_suit_offset_in(env->raw, env->authentication.ptr);

    memset(w, 0, sizeof(*w));
    tk_cbor_dec_init(&dec, env->authentication.ptr, env->authentication.len,
                     TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_array(&dec, NULL);
    if (tk_cbor_dec_get_bstr(&dec, &w->digest) != TK_OK) {
        *offset = base + tk_cbor_dec_error_offset(&dec);
        return tk_suit_cbor_err(tk_cbor_dec_error(&dec));
    }
    while (tk_cbor_dec_more(&dec)) {
        tk_view block;
        size_t at = base + tk_cbor_dec_offset(&dec);
        if (tk_cbor_dec_get_bstr(&dec, &block) != TK_OK)
            break;
        if (w->count >= TK_SUIT_MAX_SIGNATURES) {
            w->stop = TK_ERR_LIMIT;
            w->stop_at = at;
            return TK_OK;
        }
        w->blocks[w->count] = block;
        w->block_at[w->count++] = at;
    }
    tk_cbor_dec_exit(&dec);
    tk_err e = tk_cbor_dec_finish(&dec);
    if (e != TK_OK) {
        w->stop = tk_suit_cbor_err(e);
        w->stop_at = base + tk_cbor_dec_error_offset(&dec);
    }
    return TK_OK;
}

/* Verifies the authentication wrapper: the digest, then each block in
 * order, with the errors of wrapper_read() where the walk met them.
 * *offset receives the position of a failing item in the envelope. */
static tk_err wrapper_verify(tk_suit_envelope *env, const tk_crypto *crypto,
                             tk_suit_key_ctx *kc, size_t *offset)
{
    wrapper_items w;
    block_tally tally = {false, false, false};
    size_t base = tk_suit_offset_in(env->raw, env->authentication.ptr);

    *offset = base;
    tk_err e = wrapper_read(env, &w, offset);
    if (e != TK_OK)
        return e;
    *offset = tk_suit_offset_in(env->raw, w.digest.ptr);
    e = digest_check(env, crypto, w.digest);
    if (e != TK_OK)
        return e;
    for (size_t i = 0; i < w.count; i++) {
        *offset = w.block_at[i];
        env->auth_block_count++;
        e = block_verify(crypto, w.blocks[i], &w.digest, kc, &tally);
        if (e != TK_OK)
            return e;
    }
    if (w.stop != TK_OK) {
        *offset = w.stop_at;
        return w.stop;
    }
    *offset = base;
    if (env->auth_block_count == 0)
        return TK_ERR_SUIT_NO_SIGNATURE;
    if (tally.valid)
        return TK_OK;
    if (tally.invalid)
        return TK_ERR_SUIT_SIGNATURE;
    if (tally.unsupported)
        return TK_ERR_SUIT_ALG_UNSUPPORTED;
    return TK_ERR_SUIT_KEY_NOT_FOUND;
}

tk_err tk_suit_envelope_verify(tk_suit_envelope *env,
                               const tk_crypto *crypto,
                               tk_suit_find_key_fn find_key, void *key_ctx,
                               unsigned depth, tk_view storage_id,
                               tk_suit_error *err)
{
    return tk_suit_envelope_verify_clock(env, crypto, find_key, key_ctx,
                                         depth, storage_id, NULL, NULL, err);
}

tk_err tk_suit_envelope_verify_clock(tk_suit_envelope *env,
                                     const tk_crypto *crypto,
                                     tk_suit_find_key_fn find_key,
                                     void *key_ctx, unsigned depth,
                                     tk_view storage_id, tk_suit_now_fn now,
                                     void *now_ctx, tk_suit_error *err)
{
    tk_suit_key_request base;
    tk_suit_auth_work work;
    memset(&base, 0, sizeof(base));
    base.depth = depth;
    base.storage_id = storage_id;
    return tk_suit_verify_request(env, crypto, find_key, key_ctx, &base, now,
                                  now_ctx, &work, err);
}

tk_err tk_suit_verify_request(tk_suit_envelope *env, const tk_crypto *crypto,
                              tk_suit_find_key_fn find_key, void *key_ctx,
                              const tk_suit_key_request *base,
                              tk_suit_now_fn now, void *now_ctx,
                              tk_suit_auth_work *work, tk_suit_error *err)
{
    tk_suit_key_ctx kc;
    size_t offset = 0;
    tk_err e;

    if (err != NULL) {
        memset(err, 0, sizeof(*err));
        err->component = TK_SUIT_NO_COMPONENT;
    }
    if (env == NULL || crypto == NULL || find_key == NULL || work == NULL)
        return tk_suit_fail(err, TK_ERR_INVALID_ARG, 0);
    env->verified = false;
    env->signer = NULL;
    env->auth_block_count = 0;

    memset(&kc, 0, sizeof(kc));
    kc.find_key = find_key;
    kc.ctx = key_ctx;
    kc.req = *base;
    kc.req.use = TK_SUIT_KEY_MANIFEST;
    kc.now = now;
    kc.now_ctx = now_ctx;
    work->count = 0;

    if (env->delegation.len > 0) {
        e = delegation_verify(crypto, env->delegation, &kc, work);
        if (e != TK_OK) {
            offset = tk_suit_offset_in(env->raw, env->delegation.ptr);
            goto out;
        }
        kc.delegated = work;
    }
    e = wrapper_verify(env, crypto, &kc, &offset);
    if (e == TK_OK && is_delegated(work, kc.signer)) {
        /* The delegated keys are released below: report the trust
         * anchor's absence as no signer rather than a dangling pointer. */
        kc.signer = NULL;
    }
out:
    delegation_release(work);
    if (e != TK_OK)
        return tk_suit_fail(err, e, offset);
    env->signer = kc.signer;
    env->verified = true;
    return TK_OK;
}
