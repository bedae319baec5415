/*
 * The algorithms this library implements, by COSE identifier (RFC 9053,
 * RFC 9459, RFC 9864), and their sizes.
 */
#include "cose_internal.h"

/* NOTE: ECDH-SS (-27, -28, -32 to -34), direct + HKDF (-10, -11),
 * AES-CCM and AES-MAC are not implemented and classify as unknown. */
tk_cose_alg_class tk_cose_alg_class_of(int64_t alg)
{
    switch (alg) {
    case TK_ALG_ES256:
    case TK_ALG_ESP256:
    case TK_ALG_ES384:
    case TK_ALG_ESP384:
    case TK_ALG_EDDSA:
    case TK_ALG_ED25519:
        return TK_COSE_CLASS_SIGN;
    case TK_ALG_HMAC_256_64:
    case TK_ALG_HMAC_256_256:
    case TK_ALG_HMAC_384_384:
    case TK_ALG_HMAC_512_512:
        return TK_COSE_CLASS_MAC;
    case TK_ALG_A128GCM:
    case TK_ALG_A192GCM:
    case TK_ALG_A256GCM:
    case TK_ALG_CHACHA20_POLY1305:
        return TK_COSE_CLASS_AEAD;
    case TK_ALG_A128CTR:
    case TK_ALG_A192CTR:
    case TK_ALG_A256CTR:
        return TK_COSE_CLASS_CTR;
    case TK_COSE_ALG_DIRECT:
        return TK_COSE_CLASS_DIRECT;
    case TK_ALG_A128KW:
    case TK_ALG_A192KW:
    case TK_ALG_A256KW:
        return TK_COSE_CLASS_KW;
    case TK_COSE_ALG_ECDH_ES_HKDF_256:
    case TK_COSE_ALG_ECDH_ES_HKDF_512:
        return TK_COSE_CLASS_ECDH_DIRECT;
    case TK_COSE_ALG_ECDH_ES_A128KW:
    case TK_COSE_ALG_ECDH_ES_A192KW:
    case TK_COSE_ALG_ECDH_ES_A256KW:
        return TK_COSE_CLASS_ECDH_KW;
    default:
        return TK_COSE_CLASS_UNKNOWN;
    }
}

bool tk_cose_alg_is_recipient(int64_t alg)
{
    tk_cose_alg_class c = tk_cose_alg_class_of(alg);

    return c == TK_COSE_CLASS_DIRECT || c == TK_COSE_CLASS_KW ||
           c == TK_COSE_CLASS_ECDH_DIRECT || c == TK_COSE_CLASS_ECDH_KW;
}

size_t tk_cose_mac_tag_size(int64_t alg)
{
    if (alg == TK_ALG_HMAC_256_64) {
        return 8;
    }
    if (tk_cose_alg_class_of(alg) != TK_COSE_CLASS_MAC) {
        return 0;
    }
    return tk_crypto_hash_size((tk_alg)alg);
}

size_t tk_cose_content_key_size(int64_t alg)
{
    switch (tk_cose_alg_class_of(alg)) {
    case TK_COSE_CLASS_MAC:
        return tk_crypto_hash_size((tk_alg)alg);
    case TK_COSE_CLASS_AEAD:
    case TK_COSE_CLASS_CTR:
    case TK_COSE_CLASS_KW:
        return tk_crypto_key_size((tk_alg)alg);
    default:
        return 0;
    }
}

size_t tk_cose_iv_size(int64_t alg)
{
    switch (tk_cose_alg_class_of(alg)) {
    case TK_COSE_CLASS_AEAD:
        return TK_CRYPTO_AEAD_IV_SIZE;
    case TK_COSE_CLASS_CTR:
        return TK_CRYPTO_CTR_IV_SIZE;
    default:
        return 0;
    }
}

tk_alg tk_cose_ecdh_wrap_alg(int64_t alg)
{
    switch (alg) {
    case TK_COSE_ALG_ECDH_ES_A128KW:
        return TK_ALG_A128KW;
    case TK_COSE_ALG_ECDH_ES_A192KW:
        return TK_ALG_A192KW;
    case TK_COSE_ALG_ECDH_ES_A256KW:
        return TK_ALG_A256KW;
    default:
        return TK_ALG_NONE;
    }
}

tk_alg tk_cose_ecdh_hash(int64_t alg)
{
    switch (alg) {
    case TK_COSE_ALG_ECDH_ES_HKDF_512:
        return TK_ALG_SHA512;
    case TK_COSE_ALG_ECDH_ES_HKDF_256:
    case TK_COSE_ALG_ECDH_ES_A128KW:
    case TK_COSE_ALG_ECDH_ES_A192KW:
    case TK_COSE_ALG_ECDH_ES_A256KW:
        return TK_ALG_SHA256;
    default:
        return TK_ALG_NONE;
    }
}
