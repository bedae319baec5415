/*
 * Fuzz target of the COSE verifiers and decrypters with fixed keys:
 * COSE_Sign1, COSE_Sign, COSE_Mac0, COSE_Mac, COSE_Encrypt0,
 * COSE_Encrypt, the SUIT-style decrypt_prepare, the generic tk_cose_verify
 * and COSE_Key decoding and import.
 *
 * Input: one byte choosing the operation (low three bits), one byte of
 * options (bit 0 untagged allowed, bit 1 alg unprotected allowed, bit 2
 * every signature required, bit 3 a detached payload supplied, bit 4
 * external AAD, bit 5 a base IV for Partial IV, bit 6 a scratch buffer,
 * bit 7 labels 99 and "x" understood for crit), then the message. Checked:
 * views and error offsets stay inside the input, and a decryption never
 * returns more plaintext than ciphertext.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static const uint8_t *g_buf;
static size_t g_len;
static const uint8_t g_detached[] = {0x60, 0x0d};

static void check_view(tk_view v)
{
    if (v.len == 0)
        return;
    bool in_input = v.ptr >= g_buf && v.ptr + v.len <= g_buf + g_len;
    bool in_detached =
        v.ptr >= g_detached && v.ptr + v.len <= g_detached + sizeof g_detached;
    CHECK(in_input || in_detached);
}

static void check_headers(const tk_cose_headers *h)
{
    check_view(h->protected_bytes);
    check_view(h->unprotected_map);
    check_view(h->kid);
    check_view(h->iv);
    check_view(h->partial_iv);
    check_view(h->ephemeral_key);
    check_view(h->salt);
}

static tk_err lookup(void *arg, tk_view kid, tk_alg alg, const tk_key **key)
{
    const hs_keys *k = arg;
    (void)kid;
    switch (alg) {
    case TK_ALG_ES256:
    case TK_ALG_ESP256:
        *key = &k->suit_p256;
        return TK_OK;
    case TK_ALG_EDDSA:
    case TK_ALG_ED25519:
        *key = &k->suit_ed25519;
        return TK_OK;
    case TK_ALG_HMAC_256_64:
    case TK_ALG_HMAC_256_256:
        *key = &k->hmac256;
        return TK_OK;
    case TK_ALG_A128GCM:
    case TK_ALG_A128KW:
    case TK_ALG_A128CTR:
    case TK_COSE_ALG_DIRECT:
        *key = &k->aes128;
        return TK_OK;
    case TK_ALG_A256GCM:
    case TK_ALG_A256KW:
    case TK_ALG_A256CTR:
    case TK_ALG_CHACHA20_POLY1305:
        *key = &k->aes256;
        return TK_OK;
    case TK_COSE_ALG_ECDH_ES_HKDF_256:
    case TK_COSE_ALG_ECDH_ES_A128KW:
    case TK_COSE_ALG_ECDH_ES_A192KW:
    case TK_COSE_ALG_ECDH_ES_A256KW:
        *key = &k->ecdh_p256;
        return TK_OK;
    default:
        return TK_ERR_NOT_FOUND;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const hs_keys *keys = hs_keys_get();
    unsigned op = data[0] & 7u;
    uint8_t o = data[1];
    size_t len = size - 2;
    uint8_t *msg = malloc(len == 0 ? 1 : len);
    if (msg == NULL)
        return 0;
    memcpy(msg, data + 2, len);
    g_buf = msg;
    g_len = len;

    static const uint8_t base_iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const tk_cose_label understood[2] = {
        {false, 99, {NULL, 0}}, {true, 0, {(const uint8_t *)"x", 1}}};
    tk_view detached = hs_view(g_detached, sizeof g_detached);
    uint8_t scratch[2048];
    tk_cose_opts opts;
    memset(&opts, 0, sizeof opts);
    if (o & 1)
        opts.flags |= TK_COSE_OPT_UNTAGGED_OK;
    if (o & 2)
        opts.flags |= TK_COSE_OPT_ALG_UNPROTECTED_OK;
    if (o & 4)
        opts.flags |= TK_COSE_OPT_ALL_SIGNATURES;
    if (o & 8)
        opts.detached = &detached;
    if (o & 16)
        opts.external_aad = hs_str("aad");
    if (o & 32)
        opts.base_iv = hs_view(base_iv, sizeof base_iv);
    if (o & 64) {
        opts.scratch = scratch;
        opts.scratch_len = sizeof scratch;
    }
    if (o & 128) {
        opts.understood = understood;
        opts.understood_count = 2;
    }
    opts.lookup = lookup;
    opts.lookup_arg = (void *)keys;
    opts.signature_index = TK_COSE_ANY_SIGNATURE;

    const tk_crypto *c = hs_crypto();
    tk_view in = hs_view(msg, len);
    tk_err err;
    uint8_t plain[1024];
    size_t plain_len = 0;

    switch (op) {
    case 0: {
        tk_cose_sign1 out;
        memset(&out, 0, sizeof out);
        err = tk_cose_sign1_verify(c, in, &opts, &out);
        if (err == TK_OK) {
            check_headers(&out.hdr);
            check_view(out.payload);
            check_view(out.signature);
        } else {
            CHECK(out.error_offset <= len);
        }
        break;
    }
    case 1: {
        tk_cose_sign out;
        memset(&out, 0, sizeof out);
        err = tk_cose_sign_verify(c, in, &opts, &out);
        if (err == TK_OK) {
            check_headers(&out.hdr);
            CHECK(out.signature_count <= TK_COSE_MAX_SIGNATURES);
            CHECK(out.verified_index < out.signature_count);
            for (size_t i = 0; i < out.signature_count; i++)
                check_headers(&out.signatures[i].hdr);
        }
        break;
    }
    case 2: {
        tk_cose_mac0 out;
        memset(&out, 0, sizeof out);
        err = tk_cose_mac0_verify(c, in, &opts, &out);
        if (err == TK_OK) {
            check_headers(&out.hdr);
            check_view(out.tag);
        }
        break;
    }
    case 3: {
        tk_cose_mac out;
        memset(&out, 0, sizeof out);
        err = tk_cose_mac_verify(c, in, &opts, &out);
        if (err == TK_OK)
            check_view(out.recipients);
        break;
    }
    case 4: {
        tk_cose_encrypt0 out;
        memset(&out, 0, sizeof out);
        err = tk_cose_encrypt0_decrypt(c, in, &opts, plain, sizeof plain,
                                       &plain_len, &out);
        if (err == TK_OK)
            CHECK(plain_len <= out.ciphertext.len);
        break;
    }
    case 5: {
        tk_cose_encrypt out;
        memset(&out, 0, sizeof out);
        err = tk_cose_encrypt_decrypt(c, in, &opts, plain, sizeof plain,
                                      &plain_len, &out);
        if (err == TK_OK) {
            CHECK(plain_len <= out.ciphertext.len);
            CHECK(out.recipient_count <= TK_COSE_MAX_RECIPIENTS);
        }
        break;
    }
    case 6: {
        uint8_t aad[1024];
        tk_cose_content_key ck;
        err = tk_cose_decrypt_prepare(c, in, &opts, aad, sizeof aad, &ck);
        if (err == TK_OK) {
            CHECK(ck.iv_len <= TK_COSE_MAX_IV_SIZE);
            CHECK(ck.aad.len <= sizeof aad);
            tk_key_release(&ck.cek);
        }
        break;
    }
    default: {
        tk_cose_verified out;
        memset(&out, 0, sizeof out);
        (void)tk_cose_type_of(in);
        err = tk_cose_verify(c, in, &opts, &out);
        if (err == TK_OK)
            check_view(out.payload);
        tk_cose_key info;
        if (tk_cose_key_decode(in, &info) == TK_OK) {
            check_view(info.params.x);
            check_view(info.params.d);
            tk_key key;
            tk_key_init(&key);
            if (tk_cose_key_import(c, in, &key, NULL) == TK_OK) {
                uint8_t thumb[TK_COSE_THUMBPRINT_SIZE];
                (void)tk_cose_key_thumbprint(c, &key, thumb);
            }
            tk_key_release(&key);
        }
        break;
    }
    }
    (void)err;
    free(msg);
    return 0;
}
