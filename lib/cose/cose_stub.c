/*
 * Placeholder of the COSE library while it is written: every call returns
 * TK_ERR_UNSUPPORTED, so code built against teepkit/cose.h links.
 */
#include "teepkit/cose.h"

tk_err tk_cose_headers_find(const tk_cose_headers *headers,
                            tk_cose_label label, tk_view *value,
                            bool *in_protected)
{
    (void)headers; (void)label; (void)value; (void)in_protected;
    return TK_ERR_UNSUPPORTED;
}

#define TK_COSE_STUB_VERIFY(name, type)                                     \
    tk_err name(const tk_crypto *crypto, tk_view msg,                       \
                const tk_cose_opts *opts, type *out)                        \
    {                                                                       \
        (void)crypto; (void)msg; (void)opts; (void)out;                     \
        return TK_ERR_UNSUPPORTED;                                          \
    }
#define TK_COSE_STUB_DECODE(name, type)                                     \
    tk_err name(tk_view msg, const tk_cose_opts *opts, type *out)           \
    {                                                                       \
        (void)msg; (void)opts; (void)out;                                   \
        return TK_ERR_UNSUPPORTED;                                          \
    }
#define TK_COSE_STUB_BUILD(name)                                            \
    tk_err name(const tk_crypto *crypto, const tk_cose_build *build,        \
                tk_view payload, uint8_t *out, size_t out_cap,              \
                size_t *out_len)                                            \
    {                                                                       \
        (void)crypto; (void)build; (void)payload; (void)out;                \
        (void)out_cap; (void)out_len;                                       \
        return TK_ERR_UNSUPPORTED;                                          \
    }

TK_COSE_STUB_DECODE(tk_cose_sign1_decode, tk_cose_sign1)
TK_COSE_STUB_DECODE(tk_cose_sign_decode, tk_cose_sign)
TK_COSE_STUB_DECODE(tk_cose_mac0_decode, tk_cose_mac0)
TK_COSE_STUB_VERIFY(tk_cose_sign1_verify, tk_cose_sign1)
TK_COSE_STUB_VERIFY(tk_cose_sign_verify, tk_cose_sign)
TK_COSE_STUB_VERIFY(tk_cose_mac0_verify, tk_cose_mac0)
TK_COSE_STUB_VERIFY(tk_cose_mac_verify, tk_cose_mac)
TK_COSE_STUB_VERIFY(tk_cose_verify, tk_cose_verified)
TK_COSE_STUB_BUILD(tk_cose_sign1_sign)
TK_COSE_STUB_BUILD(tk_cose_sign_sign)
TK_COSE_STUB_BUILD(tk_cose_mac0_create)
TK_COSE_STUB_BUILD(tk_cose_mac_create)
TK_COSE_STUB_BUILD(tk_cose_encrypt0_encrypt)
TK_COSE_STUB_BUILD(tk_cose_encrypt_encrypt)

tk_err tk_cose_encrypt0_decrypt(const tk_crypto *crypto, tk_view msg,
                                const tk_cose_opts *opts, uint8_t *plain,
                                size_t plain_cap, size_t *plain_len,
                                tk_cose_encrypt0 *out)
{
    (void)crypto; (void)msg; (void)opts; (void)plain; (void)plain_cap;
    (void)plain_len; (void)out;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cose_encrypt_decrypt(const tk_crypto *crypto, tk_view msg,
                               const tk_cose_opts *opts, uint8_t *plain,
                               size_t plain_cap, size_t *plain_len,
                               tk_cose_encrypt *out)
{
    (void)crypto; (void)msg; (void)opts; (void)plain; (void)plain_cap;
    (void)plain_len; (void)out;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cose_decrypt_prepare(const tk_crypto *crypto, tk_view msg,
                               const tk_cose_opts *opts, uint8_t *aad_buf,
                               size_t aad_cap, tk_cose_content_key *out)
{
    (void)crypto; (void)msg; (void)opts; (void)aad_buf; (void)aad_cap;
    (void)out;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cose_encrypt_prepare(const tk_crypto *crypto,
                               const tk_cose_build *build, uint8_t *out,
                               size_t out_cap, size_t *out_len,
                               uint8_t *aad_buf, size_t aad_cap,
                               tk_cose_content_key *ck)
{
    (void)crypto; (void)build; (void)out; (void)out_cap; (void)out_len;
    (void)aad_buf; (void)aad_cap; (void)ck;
    return TK_ERR_UNSUPPORTED;
}

tk_cose_type tk_cose_type_of(tk_view msg)
{
    (void)msg;
    return TK_COSE_TYPE_UNKNOWN;
}

tk_err tk_cose_key_decode(tk_view cbor, tk_cose_key *out)
{
    (void)cbor; (void)out;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cose_key_import(const tk_crypto *crypto, tk_view cbor, tk_key *key,
                          tk_cose_key *info)
{
    (void)crypto; (void)cbor; (void)key; (void)info;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cose_key_encode(const tk_key *key, tk_alg alg, bool include_private,
                          uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)key; (void)alg; (void)include_private; (void)out; (void)out_cap;
    (void)out_len;
    return TK_ERR_UNSUPPORTED;
}

tk_err tk_cose_key_thumbprint(const tk_crypto *crypto, const tk_key *key,
                              uint8_t digest[TK_COSE_THUMBPRINT_SIZE])
{
    (void)crypto; (void)key; (void)digest;
    return TK_ERR_UNSUPPORTED;
}
