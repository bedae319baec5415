/* SUIT envelope builders of the tests; see hs.h. */
#include "hs.h"

#include <stdlib.h>
#include <string.h>

#include "teepkit/suit_build.h"

/* Byte writer that stops at its capacity but keeps counting. */
typedef struct writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
} writer;

static void put_bytes(writer *w, const uint8_t *p, size_t n)
{
    if (w->len <= w->cap && n <= w->cap - w->len && n > 0)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

/* Writes a CBOR head in preferred serialization. */
static void put_head(writer *w, uint8_t major, uint64_t arg)
{
    uint8_t h[9];
    size_t n;
    uint8_t mt = (uint8_t)(major << 5);
    if (arg < 24) {
        h[0] = (uint8_t)(mt | arg);
        n = 1;
    } else if (arg <= 0xff) {
        h[0] = mt | 24;
        h[1] = (uint8_t)arg;
        n = 2;
    } else if (arg <= 0xffff) {
        h[0] = mt | 25;
        h[1] = (uint8_t)(arg >> 8);
        h[2] = (uint8_t)arg;
        n = 3;
    } else if (arg <= 0xffffffffu) {
        h[0] = mt | 26;
        for (int i = 0; i < 4; i++)
            h[1 + i] = (uint8_t)(arg >> (24 - 8 * i));
        n = 5;
    } else {
        h[0] = mt | 27;
        for (int i = 0; i < 8; i++)
            h[1 + i] = (uint8_t)(arg >> (56 - 8 * i));
        n = 9;
    }
    put_bytes(w, h, n);
}

/* Writes the authentication wrapper (the bstr value of envelope member 2)
 * for the bstr-wrapped manifest, given as its head and its content. */
static tk_err put_auth(writer *w, tk_view head, tk_view content,
                       const tk_key *key, tk_alg alg)
{
    uint8_t digest[32];
    size_t digest_len = 0;
    const tk_crypto *c = hs_crypto();
    tk_view parts[2] = {head, content};
    tk_err err = c->hash(c->ctx, TK_ALG_SHA256, parts, 2, digest, sizeof digest,
                         &digest_len);
    if (err != TK_OK)
        return err;
    uint8_t suit_digest[40];
    writer dw = {suit_digest, sizeof suit_digest, 0};
    put_head(&dw, 4, 2);
    put_head(&dw, 1, 15); /* -16: SHA-256 */
    put_head(&dw, 2, sizeof digest);
    put_bytes(&dw, digest, sizeof digest);

    uint8_t auth[1024];
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, auth, sizeof auth, 0);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_bstr(&enc, suit_digest, dw.len);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_suit_build_signer signer;
    memset(&signer, 0, sizeof signer);
    signer.key = key;
    signer.alg = alg;
    err =
        tk_suit_build_put_sign1(&enc, c, &signer, hs_view(suit_digest, dw.len));
    if (err != TK_OK)
        return err;
    tk_cbor_enc_bstr_wrap_end(&enc);
    tk_cbor_enc_bstr_wrap_end(&enc);
    size_t n = 0;
    err = tk_cbor_enc_finish(&enc, &n);
    if (err != TK_OK)
        return err;
    put_bytes(w, auth, n);
    return TK_OK;
}

static tk_err finish(writer *w, size_t *len)
{
    *len = w->len;
    return w->len <= w->cap ? TK_OK : TK_ERR_BUFFER_TOO_SMALL;
}

tk_err hs_suit_envelope(tk_view manifest, tk_view extra, size_t extra_pairs,
                        const tk_key *key, tk_alg alg, uint8_t *out, size_t cap,
                        size_t *len)
{
    /* The bstr-wrapped manifest, which the digest covers. */
    uint8_t head[9];
    writer hw = {head, sizeof head, 0};
    put_head(&hw, 2, manifest.len);

    writer w = {out, cap, 0};
    put_head(&w, 6, TK_SUIT_ENVELOPE_TAG);
    put_head(&w, 5, 2 + extra_pairs);
    put_head(&w, 0, TK_SUIT_ENV_AUTHENTICATION);

    tk_err err = put_auth(&w, hs_view(head, hw.len), manifest, key, alg);
    if (err != TK_OK)
        return err;
    put_head(&w, 0, TK_SUIT_ENV_MANIFEST);
    put_bytes(&w, head, hw.len);
    put_bytes(&w, manifest.ptr, manifest.len);
    put_bytes(&w, extra.ptr, extra.len);
    return finish(&w, len);
}

#define RESIGN_MAX_PAIRS 32

tk_err hs_suit_resign(tk_view input, const tk_key *key, tk_alg alg,
                      uint8_t *out, size_t cap, size_t *len)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_view keys[RESIGN_MAX_PAIRS];
    tk_view values[RESIGN_MAX_PAIRS];
    size_t pairs = 0;
    bool tagged = false;

    tk_cbor_dec_init(&dec, input.ptr, input.len, 0);
    if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
        return TK_ERR_NOT_FOUND;
    if (item.type == TK_CBOR_TAG) {
        if (item.value != TK_SUIT_ENVELOPE_TAG)
            return TK_ERR_NOT_FOUND;
        tk_cbor_dec_get_tag(&dec, NULL);
        tagged = true;
    }
    if (tk_cbor_dec_enter_map(&dec, NULL) != TK_OK)
        return TK_ERR_NOT_FOUND;
    while (tk_cbor_dec_more(&dec)) {
        if (pairs == RESIGN_MAX_PAIRS)
            return TK_ERR_NOT_FOUND;
        if (tk_cbor_dec_skip(&dec, &keys[pairs]) != TK_OK ||
            tk_cbor_dec_skip(&dec, &values[pairs]) != TK_OK)
            return TK_ERR_NOT_FOUND;
        pairs++;
    }
    if (tk_cbor_dec_exit(&dec) != TK_OK || tk_cbor_dec_finish(&dec) != TK_OK)
        return TK_ERR_NOT_FOUND;

    /* The first member 3 whose value is a definite byte string. */
    size_t manifest_at = SIZE_MAX;
    size_t kept = 0;
    for (size_t i = 0; i < pairs; i++) {
        bool is_auth = keys[i].len == 1 && keys[i].ptr[0] == 0x02;
        bool is_manifest = keys[i].len == 1 && keys[i].ptr[0] == 0x03;
        if (!is_auth)
            kept++;
        if (is_manifest && manifest_at == SIZE_MAX && values[i].len > 0 &&
            (values[i].ptr[0] >> 5) == 2 && (values[i].ptr[0] & 0x1f) != 31)
            manifest_at = i;
    }
    if (manifest_at == SIZE_MAX)
        return TK_ERR_NOT_FOUND;

    writer w = {out, cap, 0};
    if (tagged)
        put_head(&w, 6, TK_SUIT_ENVELOPE_TAG);
    put_head(&w, 5, kept + 1);
    put_head(&w, 0, TK_SUIT_ENV_AUTHENTICATION);
    tk_err err = put_auth(&w, values[manifest_at], hs_view(NULL, 0), key, alg);
    if (err != TK_OK)
        return err;
    for (size_t i = 0; i < pairs; i++) {
        if (keys[i].len == 1 && keys[i].ptr[0] == 0x02)
            continue;
        put_bytes(&w, keys[i].ptr, keys[i].len);
        put_bytes(&w, values[i].ptr, values[i].len);
    }
    return finish(&w, len);
}

/* ---- The Trusted Component of the published TEEP examples ------------ */

const uint8_t hs_tc_id[42] = {
    0x84, 0x4b, 'T',  'E',  'E',  'P',  '-',  'D',  'e',  'v',  'i',
    'c',  'e',  0x48, 'S',  'e',  'c',  'u',  'r',  'e',  'F',  'S',
    0x50, 0x8d, 0x82, 0x57, 0x3a, 0x92, 0x6d, 0x47, 0x54, 0x93, 0x53,
    0x32, 0xdc, 0x29, 0x99, 0x7f, 0x74, 0x42, 't',  'a'};
const uint8_t hs_tc_payload[20] = {'H', 'e', 'l', 'l', 'o', ',', ' ',
                                   'S', 'e', 'c', 'u', 'r', 'e', ' ',
                                   'W', 'o', 'r', 'l', 'd', '!'};
const char hs_tc_uri[] =
    "https://example.org/8d82573a-926d-4754-9353-32dc29997f74.ta";

/* Writes a command sequence as a bstr-wrapped array of its commands. */
static void put_sequence(tk_cbor_enc *enc, const uint8_t *commands, size_t len)
{
    tk_cbor_enc_put_bstr(enc, commands, len);
}

size_t hs_tc_manifest(uint64_t sequence, bool integrated, uint8_t *out,
                      size_t cap)
{
    uint8_t digest[32];
    hs_sha256(hs_tc_payload, sizeof hs_tc_payload, digest);

    /* suit-shared-sequence: override vendor, class, digest and size, then
     * check vendor and class. */
    uint8_t shared[160];
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, shared, sizeof shared, 0);
    tk_cbor_enc_put_array(&enc, 6);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_DIR_OVERRIDE_PARAMETERS);
    tk_cbor_enc_put_map(&enc, 4);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_PARAM_VENDOR_ID);
    tk_cbor_enc_put_bstr(&enc, hs_vendor_id, 16);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_PARAM_CLASS_ID);
    tk_cbor_enc_put_bstr(&enc, hs_class_id, 16);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_PARAM_IMAGE_DIGEST);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, TK_ALG_SHA256);
    tk_cbor_enc_put_bstr(&enc, digest, sizeof digest);
    tk_cbor_enc_bstr_wrap_end(&enc);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_PARAM_IMAGE_SIZE);
    tk_cbor_enc_put_uint(&enc, sizeof hs_tc_payload);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COND_VENDOR_IDENTIFIER);
    tk_cbor_enc_put_uint(&enc, 15);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COND_CLASS_IDENTIFIER);
    tk_cbor_enc_put_uint(&enc, 15);
    size_t shared_len = 0;
    if (tk_cbor_enc_finish(&enc, &shared_len) != TK_OK)
        return 0;

    /* suit-install: set the URI, fetch, check the image. */
    uint8_t install[128];
    tk_cbor_enc_init(&enc, install, sizeof install, 0);
    tk_cbor_enc_put_array(&enc, 6);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_DIR_OVERRIDE_PARAMETERS);
    tk_cbor_enc_put_map(&enc, 1);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_PARAM_URI);
    tk_cbor_enc_put_text(&enc, integrated ? "#tc" : hs_tc_uri);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_DIR_FETCH);
    tk_cbor_enc_put_uint(&enc, 15);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COND_IMAGE_MATCH);
    tk_cbor_enc_put_uint(&enc, 15);
    size_t install_len = 0;
    if (tk_cbor_enc_finish(&enc, &install_len) != TK_OK)
        return 0;

    static const uint8_t validate[] = {0x82, 0x03, 0x0f}; /* image-match */
    static const uint8_t uninstall[] = {0x82, 0x18, 0x21, 0x0f}; /* unlink */

    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_map(&enc, 6);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_VERSION);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_SEQUENCE_NUMBER);
    tk_cbor_enc_put_uint(&enc, sequence);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_COMMON);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_cbor_enc_put_map(&enc, 2);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COMMON_COMPONENTS);
    tk_cbor_enc_put_array(&enc, 1);
    tk_cbor_enc_put_raw(&enc, hs_tc_id, sizeof hs_tc_id);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COMMON_SHARED_SEQUENCE);
    put_sequence(&enc, shared, shared_len);
    tk_cbor_enc_bstr_wrap_end(&enc);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_VALIDATE);
    put_sequence(&enc, validate, sizeof validate);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_INSTALL);
    put_sequence(&enc, install, install_len);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_UNINSTALL);
    put_sequence(&enc, uninstall, sizeof uninstall);
    size_t len = 0;
    if (tk_cbor_enc_finish(&enc, &len) != TK_OK)
        return 0;
    return len;
}

size_t hs_tc_envelope(uint64_t sequence, bool integrated, uint8_t *out,
                      size_t cap)
{
    uint8_t manifest[1024];
    size_t mlen =
        hs_tc_manifest(sequence, integrated, manifest, sizeof manifest);
    if (mlen == 0)
        return 0;
    /* The integrated payload: "#tc" => bstr. */
    uint8_t extra[64];
    size_t extra_len = 0;
    if (integrated) {
        tk_cbor_enc enc;
        tk_cbor_enc_init(&enc, extra, sizeof extra, 0);
        tk_cbor_enc_put_array(&enc, 2); /* a wrapper, dropped below */
        tk_cbor_enc_put_text(&enc, "#tc");
        tk_cbor_enc_put_bstr(&enc, hs_tc_payload, sizeof hs_tc_payload);
        if (tk_cbor_enc_finish(&enc, &extra_len) != TK_OK)
            return 0;
    }
    size_t len = 0;
    tk_err err = hs_suit_envelope(hs_view(manifest, mlen),
                                  integrated ? hs_view(extra + 1, extra_len - 1)
                                             : hs_view(NULL, 0),
                                  integrated ? 1 : 0, &hs_keys_get()->suit_p256,
                                  TK_ALG_ESP256, out, cap, &len);
    return err == TK_OK ? len : 0;
}

uint8_t *hs_fuzz_envelope(const uint8_t *env, size_t env_len, int signer,
                          size_t *len)
{
    static const tk_alg algs[4] = {TK_ALG_ESP256, TK_ALG_ES256,
                                   TK_ALG_ED25519, TK_ALG_EDDSA};
    uint8_t *signed_env = NULL;
    size_t n = 0;
    if (signer >= 0 && signer < 4) {
        const hs_keys *k = hs_keys_get();
        const tk_key *key = signer < 2 ? &k->suit_p256 : &k->suit_ed25519;
        size_t cap = env_len + 1024;
        signed_env = malloc(cap);
        if (signed_env != NULL &&
            hs_suit_resign(hs_view(env, env_len), key, algs[signer],
                           signed_env, cap, &n) == TK_OK) {
            env = signed_env;
            env_len = n;
        }
    }
    uint8_t *out = malloc(env_len == 0 ? 1 : env_len);
    if (out != NULL) {
        if (env_len > 0)
            memcpy(out, env, env_len);
        *len = env_len;
    }
    free(signed_env);
    return out;
}
