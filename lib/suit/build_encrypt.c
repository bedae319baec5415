/*
 * SUIT builder: payload encryption (draft-ietf-suit-firmware-encryption-24
 * sections 5 and 6). The content key and its recipient go into a COSE
 * encryption info built by the COSE library; the payload itself is
 * streamed through the crypto table's cipher, so a large image never needs
 * to be in memory at once.
 */
#include <string.h>

#include "teepkit/cose.h"
#include "teepkit/suit_build.h"

/* Context information of the ECDH key derivation for SUIT payloads
 * (draft-ietf-suit-firmware-encryption-24 section 5.2.2: SuppPubInfo
 * other). */
static const char kdf_other[] = "SUIT Payload Encryption";

static bool is_content_alg(tk_alg alg)
{
    return alg == TK_ALG_A128GCM || alg == TK_ALG_A192GCM ||
           alg == TK_ALG_A256GCM || alg == TK_ALG_A128CTR ||
           alg == TK_ALG_A192CTR || alg == TK_ALG_A256CTR;
}

static bool is_gcm(tk_alg alg)
{
    return alg == TK_ALG_A128GCM || alg == TK_ALG_A192GCM ||
           alg == TK_ALG_A256GCM;
}

static bool is_ecdh(tk_alg alg)
{
    return alg == TK_COSE_ALG_ECDH_ES_A128KW ||
           alg == TK_COSE_ALG_ECDH_ES_A192KW ||
           alg == TK_COSE_ALG_ECDH_ES_A256KW;
}

static bool is_key_wrap(tk_alg alg)
{
    return alg == TK_ALG_A128KW || alg == TK_ALG_A192KW ||
           alg == TK_ALG_A256KW;
}

tk_err tk_suit_build_encrypt_start(tk_suit_build_encryptor *enc,
                                   const tk_crypto *crypto,
                                   const tk_suit_build_encryption *params,
                                   uint8_t *info, size_t info_cap,
                                   size_t *info_len)
{
    tk_cose_recipient_params recipient;
    tk_cose_build build;
    tk_cose_content_key ck;
    uint8_t aad[TK_COSE_STACK_STRUCTURE_SIZE];
    tk_err err;

    if (enc == NULL || crypto == NULL || params == NULL ||
        params->recipient == NULL || info_len == NULL)
        return TK_ERR_INVALID_ARG;
    memset(enc, 0, sizeof(*enc));
    enc->crypto = crypto;
    enc->err = TK_ERR_STATE;
    if (!is_content_alg(params->content_alg) ||
        !(is_key_wrap(params->key_alg) || is_ecdh(params->key_alg)))
        return TK_ERR_SUIT_BUILD_BAD_ENCRYPTION;
    memset(&recipient, 0, sizeof(recipient));
    recipient.alg = params->key_alg;
    recipient.key = params->recipient;
    recipient.kid = params->kid;
    recipient.ephemeral = params->ephemeral;
    memset(&build, 0, sizeof(build));
    build.alg = params->content_alg;
    build.recipients = &recipient;
    build.recipient_count = 1;
    if (is_ecdh(params->key_alg))
        build.kdf_supp_pub_other =
            (tk_view){(const uint8_t *)kdf_other, sizeof(kdf_other) - 1};
    memset(&ck, 0, sizeof(ck));
    err = tk_cose_encrypt_prepare(crypto, &build, info, info_cap, info_len,
                                  aad, sizeof(aad), &ck);
    if (err != TK_OK)
        return err;
    enc->alg = ck.alg;
    err = crypto->cipher_start(crypto->ctx, &enc->state, ck.alg, &ck.cek,
                               (tk_view){ck.iv, ck.iv_len},
                               is_gcm(ck.alg) ? ck.aad : (tk_view){NULL, 0},
                               TK_CRYPTO_ENCRYPT);
    tk_key_release(&ck.cek);
    if (err != TK_OK)
        return err;
    enc->started = true;
    enc->err = TK_OK;
    return TK_OK;
}

tk_err tk_suit_build_encrypt_update(tk_suit_build_encryptor *enc,
                                    const uint8_t *in, size_t len,
                                    uint8_t *out)
{
    if (enc == NULL)
        return TK_ERR_INVALID_ARG;
    if (enc->err != TK_OK)
        return enc->err;
    if ((in == NULL || out == NULL) && len > 0) {
        tk_suit_build_encrypt_abort(enc);
        enc->err = TK_ERR_INVALID_ARG;
        return enc->err;
    }
    enc->err = enc->crypto->cipher_update(enc->crypto->ctx, &enc->state, in,
                                          len, out);
    if (enc->err != TK_OK)
        enc->started = false;
    return enc->err;
}

tk_err tk_suit_build_encrypt_finish(tk_suit_build_encryptor *enc,
                                    uint8_t *tag, size_t tag_cap,
                                    size_t *tag_len)
{
    size_t need;
    tk_err err;

    if (enc == NULL || tag_len == NULL)
        return TK_ERR_INVALID_ARG;
    *tag_len = 0;
    if (enc->err != TK_OK) {
        tk_suit_build_encrypt_abort(enc);
        return enc->err;
    }
    need = is_gcm(enc->alg) ? TK_CRYPTO_AEAD_TAG_SIZE : 0;
    if (tag_cap < need || (need > 0 && tag == NULL)) {
        tk_suit_build_encrypt_abort(enc);
        enc->err = TK_ERR_BUFFER_TOO_SMALL;
        return enc->err;
    }
    err = enc->crypto->cipher_finish(enc->crypto->ctx, &enc->state,
                                     (tk_view){NULL, 0},
                                     need > 0 ? tag : NULL, need);
    enc->started = false;
    enc->err = err != TK_OK ? err : TK_ERR_STATE;
    if (err != TK_OK)
        return err;
    *tag_len = need;
    return TK_OK;
}

void tk_suit_build_encrypt_abort(tk_suit_build_encryptor *enc)
{
    if (enc == NULL || enc->crypto == NULL || !enc->started)
        return;
    enc->crypto->cipher_abort(enc->crypto->ctx, &enc->state);
    enc->started = false;
    if (enc->err == TK_OK)
        enc->err = TK_ERR_STATE;
}
