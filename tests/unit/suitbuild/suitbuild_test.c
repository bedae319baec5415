/* Helpers of the SUIT builder tests; see suitbuild_test.h. */
#include "suitbuild_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"
#include "teepkit/cbor.h"
#include "tk_test.h"

/* Nesting of bstr-wrapped CBOR followed by the comparison. */
#define EMBED_MAX 8

static bool equal_at(tk_view a, tk_view b, unsigned embed, char *why,
                     size_t why_size)
{
    tk_cbor_dec da, db;
    tk_cbor_item ia, ib;

    tk_cbor_dec_init(&da, a.ptr, a.len, 0);
    tk_cbor_dec_init(&db, b.ptr, b.len, 0);
    for (;;) {
        tk_err ea = tk_cbor_dec_next(&da, &ia);
        tk_err eb = tk_cbor_dec_next(&db, &ib);
        bool same;

        if (ea == TK_ERR_CBOR_END && eb == TK_ERR_CBOR_END)
            return true;
        if (ea != TK_OK || eb != TK_OK) {
            snprintf(why, why_size, "decoding stopped: %s / %s",
                     tk_errname(ea), tk_errname(eb));
            return false;
        }
        same = ia.type == ib.type && ia.depth == ib.depth;
        if (same && (ia.type == TK_CBOR_BSTR || ia.type == TK_CBOR_TSTR)) {
            bool both_cbor =
                ia.type == TK_CBOR_BSTR && embed < EMBED_MAX &&
                ia.str.len > 0 && ib.str.len > 0 &&
                tk_cbor_validate(ia.str.ptr, ia.str.len, 0, NULL) == TK_OK &&
                tk_cbor_validate(ib.str.ptr, ib.str.len, 0, NULL) == TK_OK;

            if (both_cbor) {
                if (!equal_at(ia.str, ib.str, embed + 1, why, why_size))
                    return false;
                continue;
            }
            same = ia.str.len == ib.str.len &&
                   memcmp(ia.str.ptr, ib.str.ptr, ia.str.len) == 0;
        } else if (same) {
            same = ia.value == ib.value;
        }
        if (!same) {
            snprintf(why, why_size,
                     "items differ at offsets %zu and %zu (embedding %u)",
                     ia.offset, ib.offset, embed);
            return false;
        }
    }
}

bool suitbuild_cbor_equal(tk_view a, tk_view b, char *why, size_t why_size)
{
    why[0] = '\0';
    return equal_at(a, b, 0, why, why_size);
}

/* Opens the map of an encoded (optionally tagged) map. */
static void enter_map(tk_cbor_dec *dec, tk_view map, uint64_t *pairs)
{
    tk_cbor_item item;

    tk_cbor_dec_init(dec, map.ptr, map.len, 0);
    if (tk_cbor_dec_peek(dec, &item) == TK_OK && item.type == TK_CBOR_TAG)
        tk_cbor_dec_get_tag(dec, NULL);
    tk_cbor_dec_enter_map(dec, pairs);
}

bool suitbuild_map_get(tk_view map, int64_t label, tk_view *value)
{
    tk_cbor_dec dec;

    enter_map(&dec, map, NULL);
    if (tk_cbor_dec_map_find(&dec, label) != TK_OK)
        return false;
    return tk_cbor_dec_skip(&dec, value) == TK_OK;
}

size_t suitbuild_map_size(tk_view map)
{
    tk_cbor_dec dec;
    uint64_t pairs = 0;

    enter_map(&dec, map, &pairs);
    return (size_t)pairs;
}

bool suitbuild_bstr_content(tk_view bstr, tk_view *content)
{
    tk_cbor_dec dec;

    tk_cbor_dec_init(&dec, bstr.ptr, bstr.len, 0);
    return tk_cbor_dec_get_bstr(&dec, content) == TK_OK &&
           tk_cbor_dec_finish(&dec) == TK_OK;
}

/* Sets *blocks to the content of the authentication wrapper's array. */
static bool auth_array(tk_view envelope, tk_cbor_dec *dec)
{
    tk_view auth, content;

    if (!suitbuild_map_get(envelope, 2, &auth) ||
        !suitbuild_bstr_content(auth, &content))
        return false;
    tk_cbor_dec_init(dec, content.ptr, content.len, 0);
    return tk_cbor_dec_enter_array(dec, NULL) == TK_OK;
}

size_t suitbuild_block_count(tk_view envelope)
{
    tk_cbor_dec dec;
    size_t n = 0;

    if (!auth_array(envelope, &dec))
        return 0;
    while (tk_cbor_dec_more(&dec)) {
        tk_cbor_dec_skip(&dec, NULL);
        n++;
    }
    return n > 0 ? n - 1 : 0;
}

tk_alg suitbuild_check_signature(const tk_crypto *crypto, tk_view envelope,
                                 size_t block, const tk_key *key)
{
    tk_cbor_dec dec, sign1;
    tk_view digest_enc, block_bytes = {NULL, 0}, manifest, prot, sig;
    uint8_t digest[32], tbs[256];
    size_t digest_len, tbs_len;
    int64_t alg = 0;
    tk_cbor_enc enc;
    tk_view tbs_view;
    tk_cbor_dec hdr;

    if (!auth_array(envelope, &dec) ||
        tk_cbor_dec_get_bstr(&dec, &digest_enc) != TK_OK)
        return 0;
    for (size_t i = 0; i <= block; i++) {
        if (tk_cbor_dec_get_bstr(&dec, &block_bytes) != TK_OK)
            return 0;
    }
    /* The digest covers the manifest bstr, head included. */
    if (!suitbuild_map_get(envelope, 3, &manifest) ||
        crypto->hash(crypto->ctx, TK_ALG_SHA256, &manifest, 1, digest,
                     sizeof(digest), &digest_len) != TK_OK ||
        digest_enc.len != 36 || memcmp(digest_enc.ptr + 4, digest, 32) != 0)
        return 0;
    tk_cbor_dec_init(&sign1, block_bytes.ptr, block_bytes.len, 0);
    tk_cbor_dec_expect_tag(&sign1, 18);
    tk_cbor_dec_enter_array(&sign1, NULL);
    tk_cbor_dec_get_bstr(&sign1, &prot);
    tk_cbor_dec_skip(&sign1, NULL);
    tk_cbor_dec_get_null(&sign1);
    tk_cbor_dec_get_bstr(&sign1, &sig);
    tk_cbor_dec_exit(&sign1);
    if (tk_cbor_dec_finish(&sign1) != TK_OK)
        return 0;
    tk_cbor_dec_init(&hdr, prot.ptr, prot.len, 0);
    tk_cbor_dec_enter_map(&hdr, NULL);
    if (tk_cbor_dec_map_find(&hdr, 1) != TK_OK ||
        tk_cbor_dec_get_int(&hdr, &alg) != TK_OK)
        return 0;
    tk_cbor_enc_init(&enc, tbs, sizeof(tbs), 0);
    tk_cbor_enc_put_array(&enc, 4);
    tk_cbor_enc_put_text(&enc, "Signature1");
    tk_cbor_enc_put_bstr(&enc, prot.ptr, prot.len);
    tk_cbor_enc_put_bstr(&enc, NULL, 0);
    tk_cbor_enc_put_bstr(&enc, digest_enc.ptr, digest_enc.len);
    if (tk_cbor_enc_finish(&enc, &tbs_len) != TK_OK)
        return 0;
    tbs_view = (tk_view){tbs, tbs_len};
    if (crypto->verify(crypto->ctx, (tk_alg)alg, key, &tbs_view, 1, sig) !=
        TK_OK)
        return 0;
    return (tk_alg)alg;
}

void suitbuild_load_key(const tk_crypto *crypto, const char *relative,
                        tk_key *key)
{
    char msg[256];
    tk_keyfile_info info;

    if (tk_keyfile_load(crypto, tk_test_vector(relative), key, &info, msg,
                        sizeof(msg)) != TK_OK) {
        fprintf(stderr, "suitbuild test: %s\n", msg);
        abort();
    }
    /* The kid would point into info, which ends here; the test keys are
     * PEM files, which have none. */
    if (info.kid_len > 0) {
        fprintf(stderr, "suitbuild test: %s has a kid\n", relative);
        abort();
    }
    key->kid = (tk_view){NULL, 0};
}
