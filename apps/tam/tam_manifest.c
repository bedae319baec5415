/*
 * SUIT envelopes as the TAM handles them: checking an uploaded envelope
 * against the trusted component signers, reading what the store and the
 * policy need from it, and attaching an integrated payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tam.h"
#include "tam_internal.h"
#include "teepkit/cbor.h"
#include "teepkit/suit.h"

/* suit-manifest-component-id, key 5 of the SUIT_Manifest map. */
#define SUIT_MANIFEST_COMPONENT_ID 5

/* SUIT_Envelope tag (draft-ietf-suit-manifest-37 section 8.2). */
#define SUIT_ENVELOPE_TAG 107

/* Finder that offers exactly one trusted key for manifest blocks. */
static tk_err one_key(void *ctx, const tk_suit_key_request *req,
                      const tk_key **key)
{
    const tk_key *k = ctx;
    if (req->use != TK_SUIT_KEY_MANIFEST ||
        tk_crypto_sig_curve(req->alg) != k->crv)
        return TK_ERR_NOT_FOUND;
    *key = k;
    return TK_OK;
}

/* Verifies env with each signer key in turn until one verifies it. */
static tk_err verify_with_any(const tk_crypto *crypto, tk_view envelope,
                              const tk_key *const *signers, size_t count,
                              tk_suit_envelope *env, tk_suit_error *where)
{
    tk_err err = TK_ERR_SUIT_KEY_NOT_FOUND;
    for (size_t i = 0; i < count; i++) {
        memset(where, 0, sizeof(*where));
        err = tk_suit_envelope_decode(envelope, env, where);
        if (err != TK_OK)
            return err;
        err = tk_suit_envelope_verify(env, crypto, one_key,
                                      (void *)signers[i], 0,
                                      (tk_view){NULL, 0}, where);
        if (err == TK_OK)
            return TK_OK;
    }
    return err;
}

tk_err tk_tam_envelope_inspect(const tk_crypto *crypto, tk_view envelope,
                               const tk_key *const *signers, size_t count,
                               tk_tam_envelope_info *info, char *msg,
                               size_t msg_size)
{
    if (crypto == NULL || info == NULL || (signers == NULL && count > 0))
        return TK_ERR_INVALID_ARG;
    memset(info, 0, sizeof(*info));
    if (count == 0) {
        snprintf(msg, msg_size,
                 "no trusted component signer key: give --signer PUB or "
                 "set component_signer in the configuration");
        return TK_ERR_SUIT_KEY_NOT_FOUND;
    }
    tk_suit_envelope env;
    tk_suit_error where;
    tk_err err = verify_with_any(crypto, envelope, signers, count, &env,
                                 &where);
    tk_suit_manifest m;
    if (err == TK_OK)
        err = tk_suit_manifest_decode(&env, crypto, 0, &m, &where);
    if (err != TK_OK) {
        snprintf(msg, msg_size,
                 "the SUIT envelope is rejected at byte offset %zu: %s",
                 where.offset, tk_strerror(err));
        return err;
    }
    if (m.component_count == 0 || m.components[0].len == 0) {
        snprintf(msg, msg_size, "%s", tk_strerror(TK_ERR_TAM_COMPONENT_ID));
        return TK_ERR_TAM_COMPONENT_ID;
    }
    info->component_id = m.components[0];
    info->manifest_id = m.component_id;
    info->sequence = m.sequence_number;
    info->digest_alg = env.digest.alg;
    info->digest = env.digest.bytes;
    return TK_OK;
}

/*
 * Reads suit-manifest-component-id from an envelope that the store keeps
 * (verified when it was uploaded). Returns TK_OK with the encoded id,
 * TK_ERR_NOT_FOUND when the manifest has none, or a decode error.
 */
tk_err tam_manifest_component_id(tk_view envelope, tk_view *manifest_id)
{
    tk_suit_envelope env;
    tk_err err = tk_suit_envelope_decode(envelope, &env, NULL);
    if (err != TK_OK)
        return err;
    tk_cbor_dec dec;
    tk_cbor_dec_init(&dec, env.manifest.ptr, env.manifest.len, 0);
    tk_cbor_dec_enter_map(&dec, NULL);
    err = tk_cbor_dec_map_find(&dec, SUIT_MANIFEST_COMPONENT_ID);
    if (err == TK_ERR_NOT_FOUND)
        return err;
    tk_cbor_dec_skip(&dec, manifest_id);
    err = tk_cbor_dec_error(&dec);
    return err;
}

/* Appends the pair (key, payload) to the envelope map in enc. */
static tk_err copy_with_payload(tk_view envelope, const char *key,
                                tk_view payload, tk_cbor_enc *enc)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    uint64_t pairs = 0;
    tk_cbor_dec_init(&dec, envelope.ptr, envelope.len,
                     TK_CBOR_CHECK_DUP_KEYS);
    if (tk_cbor_dec_peek(&dec, &item) == TK_OK && item.type == TK_CBOR_TAG) {
        tk_cbor_dec_expect_tag(&dec, SUIT_ENVELOPE_TAG);
        tk_cbor_enc_put_tag(enc, SUIT_ENVELOPE_TAG);
    }
    tk_cbor_dec_enter_map(&dec, &pairs);
    if (tk_cbor_dec_error(&dec) != TK_OK || pairs == TK_CBOR_INDEFINITE)
        return TK_ERR_SUIT_MALFORMED;
    tk_cbor_enc_put_map(enc, pairs + 1);
    size_t key_len = strlen(key);
    for (uint64_t i = 0; i < pairs; i++) {
        tk_view k;
        tk_view v;
        tk_cbor_dec_skip(&dec, &k);
        tk_cbor_dec_skip(&dec, &v);
        if (tk_cbor_dec_error(&dec) != TK_OK)
            return TK_ERR_SUIT_MALFORMED;
        /* A text key of the same name would be a duplicate. */
        tk_cbor_dec text;
        tk_view name;
        tk_cbor_dec_init(&text, k.ptr, k.len, 0);
        if (tk_cbor_dec_get_tstr(&text, &name) == TK_OK &&
            name.len == key_len && memcmp(name.ptr, key, key_len) == 0)
            return TK_ERR_SUIT_DUPLICATE_KEY;
        tk_cbor_enc_put_raw(enc, k.ptr, k.len);
        tk_cbor_enc_put_raw(enc, v.ptr, v.len);
    }
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return TK_ERR_SUIT_MALFORMED;
    tk_cbor_enc_put_tstr(enc, key, key_len);
    return tk_cbor_enc_put_bstr(enc, payload.ptr, payload.len);
}

tk_err tk_tam_envelope_add_payload(tk_view envelope, const char *key,
                                   tk_view payload, uint8_t **out,
                                   size_t *out_len)
{
    if (key == NULL || key[0] == '\0' || out == NULL || out_len == NULL)
        return TK_ERR_INVALID_ARG;
    size_t cap = envelope.len + payload.len + strlen(key) + 32;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return TK_ERR_STORE_NOMEM;
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, buf, cap, 0);
    tk_err err = copy_with_payload(envelope, key, payload, &enc);
    size_t len = 0;
    if (err == TK_OK)
        err = tk_cbor_enc_finish(&enc, &len);
    if (err != TK_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    *out_len = len;
    return TK_OK;
}
