/*
 * SUIT builder: authentication blocks, adding signatures to an existing
 * envelope, and streaming payload digests (see teepkit/suit_build.h).
 */
#include <string.h>

#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "teepkit/suit_build.h"

/* Largest encoded SUIT_Digest: array head, algorithm, bstr head, digest. */
#define DIGEST_ENC_MAX (TK_CRYPTO_MAX_HASH_SIZE + 8)

static bool is_signing_alg(tk_alg alg)
{
    return alg == TK_ALG_ES256 || alg == TK_ALG_ESP256 ||
           alg == TK_ALG_EDDSA || alg == TK_ALG_ED25519;
}

static size_t digest_size(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_SHA256:
        return 32;
    case TK_ALG_SHA384:
        return 48;
    case TK_ALG_SHA512:
        return 64;
    default:
        return 0;
    }
}

/* Largest COSE_Sign1 authentication block: tag, array head, protected
 * header {1: alg}, unprotected header {4: kid}, nil and the signature. */
#define SIGN1_MAX (24 + TK_SUIT_BUILD_MAX_KID + TK_CRYPTO_MAX_SIG_SIZE)

/* Writes a block of the size the signer's block will have, with a
 * zero-filled signature, to measure an encoding. */
static tk_err put_placeholder(tk_cbor_enc *enc,
                              const tk_suit_build_signer *signer)
{
    uint8_t sig[TK_CRYPTO_MAX_SIG_SIZE];

    memset(sig, 0, sizeof(sig));
    tk_cbor_enc_put_tag(enc, 18);
    tk_cbor_enc_put_array(enc, 4);
    tk_cbor_enc_bstr_wrap_begin(enc);
    tk_cbor_enc_put_map(enc, 1);
    tk_cbor_enc_put_uint(enc, 1);
    tk_cbor_enc_put_int(enc, signer->alg);
    tk_cbor_enc_bstr_wrap_end(enc);
    if (signer->kid.len > 0) {
        tk_cbor_enc_put_map(enc, 1);
        tk_cbor_enc_put_uint(enc, 4);
        tk_cbor_enc_put_bstr(enc, signer->kid.ptr, signer->kid.len);
    } else {
        tk_cbor_enc_put_map(enc, 0);
    }
    tk_cbor_enc_put_null(enc);
    return tk_cbor_enc_put_bstr(enc, sig, tk_crypto_sig_size(signer->alg));
}

tk_err tk_suit_build_put_sign1(tk_cbor_enc *enc, const tk_crypto *crypto,
                               const tk_suit_build_signer *signer,
                               tk_view suit_digest)
{
    uint8_t block[SIGN1_MAX];
    size_t len = 0;
    tk_cose_build build;
    tk_err err;

    if (enc == NULL || signer == NULL || !is_signing_alg(signer->alg) ||
        (crypto != NULL && signer->key == NULL))
        return TK_ERR_SUIT_BUILD_BAD_SIGNER;
    if (suit_digest.len > DIGEST_ENC_MAX || suit_digest.ptr == NULL)
        return TK_ERR_INVALID_ARG;
    if (signer->kid.len > TK_SUIT_BUILD_MAX_KID)
        return TK_ERR_LIMIT;
    if (crypto == NULL)
        return put_placeholder(enc, signer);
    memset(&build, 0, sizeof(build));
    build.flags = TK_COSE_BUILD_DETACHED;
    build.alg = signer->alg;
    build.key = signer->key;
    build.kid = signer->kid;
    err = tk_cose_sign1_sign(crypto, &build, suit_digest, block,
                             sizeof(block), &len);
    if (err != TK_OK)
        return err;
    return tk_cbor_enc_put_raw(enc, block, len);
}

/* ---------------------------------------------------------------------- */
/* Signing an existing envelope                                           */
/* ---------------------------------------------------------------------- */

/* One top-level entry of the envelope, as encoded. */
struct entry {
    tk_view key;
    tk_view value;
    int64_t label;   /* integer key, or -1 for a text key */
};

/* Parts of the input envelope that tk_suit_build_sign() uses. */
struct parsed {
    bool tagged;
    struct entry entries[TK_SUIT_BUILD_MAX_ENVELOPE_ENTRIES];
    size_t count;
    const struct entry *auth;      /* NULL when absent */
    const struct entry *manifest;
    tk_view digest_enc;            /* the SUIT_Digest inside auth */
    tk_view blocks[TK_SUIT_BUILD_MAX_SIGNERS];
    size_t block_count;
    size_t err_off;
};

/* Records a fault at offset off of the envelope. */
static tk_err bad_envelope(struct parsed *p, size_t off)
{
    p->err_off = off;
    return TK_ERR_SUIT_BUILD_BAD_ENVELOPE;
}

/* Reads the top-level map of the envelope into p->entries. */
static tk_err parse_entries(struct parsed *p, tk_view env)
{
    tk_cbor_dec dec;
    tk_cbor_item item;

    tk_cbor_dec_init(&dec, env.ptr, env.len, TK_CBOR_CHECK_DUP_KEYS);
    if (tk_cbor_dec_peek(&dec, &item) == TK_OK && item.type == TK_CBOR_TAG) {
        if (tk_cbor_dec_expect_tag(&dec, TK_SUIT_BUILD_ENVELOPE_TAG) != TK_OK)
            return bad_envelope(p, 0);
        p->tagged = true;
    }
    tk_cbor_dec_enter_map(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        struct entry *e = &p->entries[p->count];

        if (p->count == TK_SUIT_BUILD_MAX_ENVELOPE_ENTRIES)
            return TK_ERR_LIMIT;
        if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
            break;
        if (item.type == TK_CBOR_UINT && item.value <= INT64_MAX)
            e->label = (int64_t)item.value;
        else if (item.type == TK_CBOR_TSTR || item.type == TK_CBOR_NINT)
            e->label = -1;
        else
            return bad_envelope(p, item.offset);
        tk_cbor_dec_skip(&dec, &e->key);
        tk_cbor_dec_skip(&dec, &e->value);
        p->count++;
    }
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return bad_envelope(p, tk_cbor_dec_error_offset(&dec));
    return TK_OK;
}

/* Reads the authentication wrapper: the digest and the existing blocks. */
static tk_err parse_auth(struct parsed *p, tk_view env)
{
    tk_cbor_dec outer, dec;
    tk_view raw = p->auth->value;
    size_t base = (size_t)(raw.ptr - env.ptr);
    tk_err err;

    tk_cbor_dec_init(&outer, raw.ptr, raw.len, 0);
    tk_cbor_dec_get_bstr_cbor(&outer, &dec, TK_CBOR_CHECK_DUP_KEYS);
    if (tk_cbor_dec_finish(&outer) != TK_OK)
        return bad_envelope(p, base + tk_cbor_dec_error_offset(&outer));
    tk_cbor_dec_enter_array(&dec, NULL);
    tk_cbor_dec_get_bstr(&dec, &p->digest_enc);
    while (tk_cbor_dec_more(&dec)) {
        tk_cbor_item item;

        if (p->block_count == TK_SUIT_BUILD_MAX_SIGNERS)
            return TK_ERR_LIMIT;
        if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
            break;
        if (item.type != TK_CBOR_BSTR)
            return bad_envelope(p, base);
        tk_cbor_dec_skip(&dec, &p->blocks[p->block_count++]);
    }
    tk_cbor_dec_exit(&dec);
    err = tk_cbor_dec_finish(&dec);
    if (err != TK_OK)
        return bad_envelope(p, base);
    return TK_OK;
}

/* Checks that the digest in the wrapper is the digest of the manifest. */
static tk_err check_digest(const tk_crypto *crypto, struct parsed *p)
{
    tk_cbor_dec dec;
    int64_t alg;
    tk_view expected;
    uint8_t actual[TK_CRYPTO_MAX_HASH_SIZE];
    size_t actual_len;
    tk_err err;

    tk_cbor_dec_init(&dec, p->digest_enc.ptr, p->digest_enc.len, 0);
    tk_cbor_dec_enter_array(&dec, NULL);
    tk_cbor_dec_get_int(&dec, &alg);
    tk_cbor_dec_get_bstr(&dec, &expected);
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return TK_ERR_SUIT_BUILD_BAD_ENVELOPE;
    if (alg < INT32_MIN || alg > INT32_MAX || digest_size((tk_alg)alg) == 0 ||
        expected.len != digest_size((tk_alg)alg))
        return TK_ERR_SUIT_BUILD_BAD_DIGEST;
    err = crypto->hash(crypto->ctx, (tk_alg)alg, &p->manifest->value, 1,
                       actual, sizeof(actual), &actual_len);
    if (err != TK_OK)
        return err;
    if (actual_len != expected.len ||
        !tk_crypto_ct_equal(actual, expected.ptr, actual_len))
        return TK_ERR_SUIT_BUILD_DIGEST_MISMATCH;
    return TK_OK;
}

/* Computes a SHA-256 SUIT_Digest of the manifest into out, for an
 * envelope that has no authentication wrapper yet. */
static tk_err make_digest(const tk_crypto *crypto, const struct parsed *p,
                          uint8_t *out, size_t cap, size_t *len)
{
    uint8_t digest[32];
    size_t digest_len;
    tk_cbor_enc enc;
    tk_err err = crypto->hash(crypto->ctx, TK_ALG_SHA256, &p->manifest->value,
                              1, digest, sizeof(digest), &digest_len);

    if (err != TK_OK)
        return err;
    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, TK_ALG_SHA256);
    tk_cbor_enc_put_bstr(&enc, digest, digest_len);
    return tk_cbor_enc_finish(&enc, len);
}

/* Writes the new authentication wrapper: the digest, the old blocks as
 * they were, and one new block per signer. */
static tk_err put_auth(tk_cbor_enc *enc, const tk_crypto *crypto,
                       const struct parsed *p, tk_view digest_enc,
                       const tk_suit_build_signer *signers,
                       size_t signer_count)
{
    tk_cbor_enc_put_uint(enc, TK_SUIT_BUILD_ENV_AUTHENTICATION);
    tk_cbor_enc_bstr_wrap_begin(enc);
    tk_cbor_enc_put_array(enc, 1 + (uint64_t)p->block_count + signer_count);
    tk_cbor_enc_put_bstr(enc, digest_enc.ptr, digest_enc.len);
    for (size_t i = 0; i < p->block_count; i++)
        tk_cbor_enc_put_raw(enc, p->blocks[i].ptr, p->blocks[i].len);
    for (size_t i = 0; i < signer_count; i++) {
        tk_err err;

        tk_cbor_enc_bstr_wrap_begin(enc);
        err = tk_suit_build_put_sign1(enc, crypto, &signers[i], digest_enc);
        if (err != TK_OK)
            return err;
        tk_cbor_enc_bstr_wrap_end(enc);
    }
    return tk_cbor_enc_bstr_wrap_end(enc);
}

static tk_err find_members(struct parsed *p, tk_view env)
{
    for (size_t i = 0; i < p->count; i++) {
        const struct entry *e = &p->entries[i];

        if (e->label == TK_SUIT_BUILD_ENV_AUTHENTICATION)
            p->auth = e;
        else if (e->label == TK_SUIT_BUILD_ENV_MANIFEST)
            p->manifest = e;
    }
    if (p->manifest == NULL)
        return bad_envelope(p, 0);
    if ((p->manifest->value.ptr[0] >> 5) != 2)
        return bad_envelope(p, (size_t)(p->manifest->value.ptr - env.ptr));
    return TK_OK;
}

tk_err tk_suit_build_sign(const tk_crypto *crypto, tk_view envelope,
                          const tk_suit_build_signer *signers,
                          size_t signer_count, uint8_t *out, size_t cap,
                          size_t *out_len, size_t *err_off)
{
    struct parsed p;
    uint8_t digest_buf[DIGEST_ENC_MAX];
    tk_view digest_enc;
    tk_cbor_enc enc;
    tk_err err;

    if (crypto == NULL || envelope.ptr == NULL || out_len == NULL ||
        (signer_count > 0 && signers == NULL) || (out == NULL && cap > 0))
        return TK_ERR_INVALID_ARG;
    *out_len = 0;
    memset(&p, 0, sizeof(p));
    for (size_t i = 0; i < signer_count; i++) {
        if (signers[i].key == NULL || !is_signing_alg(signers[i].alg))
            return TK_ERR_SUIT_BUILD_BAD_SIGNER;
    }
    err = parse_entries(&p, envelope);
    if (err == TK_OK)
        err = find_members(&p, envelope);
    if (err == TK_OK && p.auth != NULL)
        err = parse_auth(&p, envelope);
    if (err == TK_OK &&
        p.block_count + signer_count > TK_SUIT_BUILD_MAX_SIGNERS)
        err = TK_ERR_LIMIT;
    if (err == TK_OK && p.auth != NULL) {
        err = check_digest(crypto, &p);
        digest_enc = p.digest_enc;
    } else if (err == TK_OK) {
        size_t len;

        err = make_digest(crypto, &p, digest_buf, sizeof(digest_buf), &len);
        digest_enc = (tk_view){digest_buf, len};
    }
    if (err != TK_OK) {
        if (err_off != NULL)
            *err_off = p.err_off;
        return err;
    }

    tk_cbor_enc_init(&enc, out, cap, 0);
    if (p.tagged)
        tk_cbor_enc_put_tag(&enc, TK_SUIT_BUILD_ENVELOPE_TAG);
    tk_cbor_enc_put_map(&enc, p.count + (p.auth == NULL ? 1 : 0));
    if (p.auth == NULL)
        err = put_auth(&enc, crypto, &p, digest_enc, signers, signer_count);
    for (size_t i = 0; err == TK_OK && i < p.count; i++) {
        const struct entry *e = &p.entries[i];

        if (e == p.auth) {
            err = put_auth(&enc, crypto, &p, digest_enc, signers,
                           signer_count);
            continue;
        }
        tk_cbor_enc_put_raw(&enc, e->key.ptr, e->key.len);
        err = tk_cbor_enc_put_raw(&enc, e->value.ptr, e->value.len);
    }
    if (err != TK_OK)
        return err;
    return tk_cbor_enc_finish(&enc, out_len);
}

/* ---------------------------------------------------------------------- */
/* Payload digests                                                        */
/* ---------------------------------------------------------------------- */

tk_err tk_suit_build_payload_start(tk_suit_build_payload *payload,
                                   const tk_crypto *crypto, tk_alg alg)
{
    if (payload == NULL || crypto == NULL)
        return TK_ERR_INVALID_ARG;
    memset(payload, 0, sizeof(*payload));
    if (alg == TK_ALG_NONE)
        alg = TK_ALG_SHA256;
    payload->crypto = crypto;
    payload->alg = alg;
    if (digest_size(alg) == 0)
        payload->err = TK_ERR_SUIT_BUILD_BAD_DIGEST;
    else
        payload->err = crypto->hash_start(crypto->ctx, &payload->state, alg);
    return payload->err;
}

tk_err tk_suit_build_payload_update(tk_suit_build_payload *payload,
                                    const uint8_t *data, size_t len)
{
    if (payload == NULL)
        return TK_ERR_INVALID_ARG;
    if (payload->err != TK_OK)
        return payload->err;
    if (data == NULL && len > 0) {
        payload->err = TK_ERR_INVALID_ARG;
        return payload->err;
    }
    if (len > UINT64_MAX - payload->size) {
        payload->err = TK_ERR_LIMIT;
        return payload->err;
    }
    payload->err = payload->crypto->hash_update(payload->crypto->ctx,
                                                &payload->state, data, len);
    if (payload->err == TK_OK)
        payload->size += len;
    return payload->err;
}

tk_err tk_suit_build_payload_finish(tk_suit_build_payload *payload,
                                    tk_suit_build_digest *digest,
                                    uint64_t *size)
{
    tk_err err;

    if (payload == NULL || digest == NULL || size == NULL)
        return TK_ERR_INVALID_ARG;
    memset(digest, 0, sizeof(*digest));
    *size = 0;
    if (payload->err != TK_OK) {
        tk_suit_build_payload_abort(payload);
        return payload->err;
    }
    digest->alg = payload->alg;
    err = payload->crypto->hash_finish(payload->crypto->ctx, &payload->state,
                                       digest->bytes, sizeof(digest->bytes),
                                       &digest->len);
    payload->err = err != TK_OK ? err : TK_ERR_STATE;
    if (err != TK_OK)
        return err;
    *size = payload->size;
    return TK_OK;
}

void tk_suit_build_payload_abort(tk_suit_build_payload *payload)
{
    if (payload == NULL || payload->crypto == NULL)
        return;
    payload->crypto->hash_abort(payload->crypto->ctx, &payload->state);
    if (payload->err == TK_OK)
        payload->err = TK_ERR_STATE;
}
