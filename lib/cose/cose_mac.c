/*
 * COSE_Mac0 and COSE_Mac (RFC 9052 section 6): decoding, verification and
 * creation with HMAC (RFC 9053 section 3.1).
 */
#include <string.h>

#include "cose_internal.h"

static const tk_cose_opts no_opts;

/* Returns opts, or all-zero options when opts is NULL. */
static const tk_cose_opts *opts_or_default(const tk_cose_opts *opts)
{
    return opts != NULL ? opts : &no_opts;
}

/* Computes the full HMAC of the MAC_structure of context, prot, aad and
 * payload (RFC 9052 section 6.3). */
static tk_err compute_mac(const tk_crypto *crypto, tk_alg alg,
                          const tk_key *key, const char *context,
                          tk_view prot, tk_view aad, tk_view payload,
                          uint8_t *full, size_t *full_len)
{
    tk_cose_tbs t;

    tk_cose_tbs_start(&t, 4, context);
    tk_cose_tbs_bstr(&t, prot);
    tk_cose_tbs_bstr(&t, aad);
    tk_cose_tbs_bstr(&t, payload);
    return crypto->mac(crypto->ctx, alg, key, t.parts, t.nparts, full,
                       TK_CRYPTO_MAX_MAC_SIZE, full_len);
}

/*
 * Checks tag against the MAC of each form of the protected header, in
 * constant time. Returns TK_OK only on a match.
 */
static tk_err check_mac(const tk_crypto *crypto, const tk_cose_opts *opts,
                        tk_alg alg, const tk_key *key, const char *context,
                        tk_view prot, tk_view payload, tk_view tag)
{
    size_t tag_size = tk_cose_mac_tag_size(alg);
    tk_view forms[2];
    size_t nforms = tk_cose_protected_forms(prot, forms);
    tk_err result = TK_ERR_COSE_MAC_INVALID;

    if (tag.len != tag_size) {
        return result;
    }
    for (size_t i = 0; i < nforms; i++) {
        uint8_t full[TK_CRYPTO_MAX_MAC_SIZE];
        size_t full_len = 0;
        tk_err err = compute_mac(crypto, alg, key, context, forms[i],
                                 opts->external_aad, payload, full,
                                 &full_len);

        if (err != TK_OK) {
            tk_crypto_wipe(full, sizeof(full));
            return err;
        }
        if (full_len >= tag_size &&
            tk_crypto_ct_equal(full, tag.ptr, tag_size)) {
            result = TK_OK;
        }
        tk_crypto_wipe(full, sizeof(full));
        if (result == TK_OK) {
            return result;
        }
    }
    return result;
}

/* Reads the members common to COSE_Mac0 and COSE_Mac after the tag and
 * array head: headers, payload and tag. */
static tk_err read_mac_body(tk_cbor_dec *dec, tk_view msg,
                            const tk_cose_opts *opts, tk_cose_headers *hdr,
                            tk_view *payload, bool *detached, tk_view *tag)
{
    tk_err err = tk_cose_headers_read(dec, msg.ptr, opts, hdr);

    if (err == TK_OK) {
        err = tk_cose_check_alg(dec, hdr, opts,
                                TK_COSE_CLASS_BIT(TK_COSE_CLASS_MAC));
    }
    if (err == TK_OK) {
        err = tk_cose_read_payload(dec, opts, false, payload, detached);
    }
    if (err == TK_OK) {
        err = tk_cose_read_bstr(dec, tag);
    }
    return err;
}

tk_err tk_cose_mac0_decode(tk_view msg, const tk_cose_opts *opts,
                           tk_cose_mac0 *out)
{
    tk_cbor_dec dec;
    uint64_t count;
    tk_err err;

    if (out == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    if (!TK_COSE_WITH_MAC) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    opts = opts_or_default(opts);
    err = tk_cose_open(&dec, msg, opts, TK_COSE_TYPE_MAC0, 4, 4, &count);
    if (err == TK_OK) {
        err = read_mac_body(&dec, msg, opts, &out->hdr, &out->payload,
                            &out->detached, &out->tag);
    }
    if (err == TK_OK) {
        err = tk_cose_close(&dec);
    }
    if (err != TK_OK) {
        out->error_offset = tk_cbor_dec_error_offset(&dec);
    }
    return err;
}

tk_err tk_cose_mac0_verify(const tk_crypto *crypto, tk_view msg,
                           const tk_cose_opts *opts, tk_cose_mac0 *out)
{
    tk_cose_mac0 local;
    tk_cose_mac0 *m = out != NULL ? out : &local;
    const tk_key *key;
    tk_err err;

    if (crypto == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    opts = opts_or_default(opts);
    err = tk_cose_mac0_decode(msg, opts, m);
    if (err != TK_OK) {
        return err;
    }
    err = tk_cose_resolve_key(opts, &m->hdr, (tk_alg)m->hdr.alg, &key);
    if (err != TK_OK) {
        return err;
    }
    return check_mac(crypto, opts, (tk_alg)m->hdr.alg, key, "MAC0",
                     m->hdr.protected_bytes, m->payload, m->tag);
}

/* Decodes a COSE_Mac, checking its recipients without crypto. */
static tk_err mac_decode(tk_view msg, const tk_cose_opts *opts,
                         tk_cose_mac *out)
{
    tk_cbor_dec dec;
    uint64_t count;
    size_t rec_off = 0;
    tk_err err;

    memset(out, 0, sizeof(*out));
    /* The MAC key of a COSE_Mac comes from recipients. */
    if (!TK_COSE_WITH_MAC || !TK_COSE_WITH_ENCRYPT) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    err = tk_cose_open(&dec, msg, opts, TK_COSE_TYPE_MAC, 5, 5, &count);
    if (err == TK_OK) {
        err = read_mac_body(&dec, msg, opts, &out->hdr, &out->payload,
                            &out->detached, &out->tag);
    }
    if (err == TK_OK) {
        err = tk_cose_read_recipients(&dec, &out->recipients,
                                      &out->recipient_count);
    }
    if (err == TK_OK) {
        err = tk_cose_close(&dec);
    }
    if (err != TK_OK) {
        out->error_offset = tk_cbor_dec_error_offset(&dec);
        return err;
    }
    err = tk_cose_recipients_check(out->recipients, opts, 1, &rec_off);
    if (err != TK_OK) {
        out->error_offset =
            (size_t)(out->recipients.ptr - msg.ptr) + rec_off;
    }
    return err;
}

/* Candidate MAC key check for the recipient walk. */
typedef struct mac_try {
    const tk_crypto *crypto;
    const tk_cose_opts *opts;
    const tk_cose_mac *mac;
} mac_try;

static tk_err try_mac_key(void *arg, const tk_key *key)
{
    const mac_try *t = arg;

    return check_mac(t->crypto, t->opts, (tk_alg)t->mac->hdr.alg, key, "MAC",
                     t->mac->hdr.protected_bytes, t->mac->payload,
                     t->mac->tag);
}

tk_err tk_cose_mac_verify(const tk_crypto *crypto, tk_view msg,
                          const tk_cose_opts *opts, tk_cose_mac *out)
{
    tk_cose_mac local;
    tk_cose_mac *m = out != NULL ? out : &local;
    mac_try t;
    tk_err err;

    if (crypto == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    opts = opts_or_default(opts);
    err = mac_decode(msg, opts, m);
    if (err != TK_OK) {
        return err;
    }
    t = (mac_try){crypto, opts, m};
    return tk_cose_recipients_key(crypto, m->recipients, opts, m->hdr.alg,
                                  try_mac_key, &t, NULL);
}

/* Checks the arguments of a MAC builder. */
static tk_err check_build(const tk_crypto *crypto, const tk_cose_build *build,
                          tk_view payload, size_t *out_len)
{
    if (crypto == NULL || build == NULL || out_len == NULL ||
        (payload.ptr == NULL && payload.len > 0) ||
        (build->kid.ptr == NULL && build->kid.len > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    if (tk_cose_alg_class_of(build->alg) != TK_COSE_CLASS_MAC) {
        return TK_ERR_COSE_ALG_UNSUPPORTED;
    }
    return TK_OK;
}

/* Writes tag, array head, protected and unprotected headers and the
 * payload of a MAC structure. *prot receives the protected bytes. */
static void write_mac_head(tk_cose_writer *w, const tk_cose_build *build,
                           tk_cose_type type, tk_view kid, tk_view payload,
                           tk_view *prot)
{
    tk_cose_hdr_out p;
    tk_cose_hdr_out u;

    memset(&p, 0, sizeof(p));
    memset(&u, 0, sizeof(u));
    p.has_alg = true;
    p.alg = build->alg;
    if ((build->flags & TK_COSE_BUILD_CONTENT_TYPE) != 0) {
        p.has_content_type = true;
        p.content_type = build->content_type;
    }
    if ((build->flags & TK_COSE_BUILD_KID_PROTECTED) != 0) {
        p.kid = kid;
    } else {
        u.kid = kid;
    }
    if ((build->flags & TK_COSE_BUILD_UNTAGGED) == 0) {
        tk_cose_w_head(w, TK_COSE_MAJOR_TAG, type);
    }
    tk_cose_w_head(w, TK_COSE_MAJOR_ARRAY,
                   type == TK_COSE_TYPE_MAC0 ? 4 : 5);
    tk_cose_w_protected(w, &p, prot);
    tk_cose_w_header_map(w, &u);
    if ((build->flags & TK_COSE_BUILD_DETACHED) != 0) {
        static const uint8_t nil = 0xf6;

        tk_cose_w_bytes(w, &nil, 1);
    } else {
        tk_cose_w_bstr(w, payload);
    }
}

/* Computes the tag into dst (tag_size bytes). */
static tk_err fill_tag(const tk_crypto *crypto, const tk_cose_build *build,
                       const tk_key *key, const char *context, tk_view prot,
                       tk_view payload, uint8_t *dst, size_t tag_size)
{
    uint8_t full[TK_CRYPTO_MAX_MAC_SIZE];
    size_t full_len = 0;
    tk_err err = compute_mac(crypto, build->alg, key, context, prot,
                             build->external_aad, payload, full, &full_len);

    if (err == TK_OK && full_len < tag_size) {
        err = TK_ERR_INTERNAL;
    }
    if (err == TK_OK) {
        memcpy(dst, full, tag_size);
    }
    tk_crypto_wipe(full, sizeof(full));
    return err;
}

tk_err tk_cose_mac0_create(const tk_crypto *crypto, const tk_cose_build *build,
                           tk_view payload, uint8_t *out, size_t out_cap,
                           size_t *out_len)
{
    tk_cose_writer w;
    tk_view prot;
    uint8_t *tag_dst;
    size_t tag_size;
    tk_err err = check_build(crypto, build, payload, out_len);

    if (err != TK_OK) {
        return err;
    }
    if (!TK_COSE_WITH_MAC) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    if (build->key == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    tag_size = tk_cose_mac_tag_size(build->alg);
    tk_cose_w_init(&w, out, out_cap);
    write_mac_head(&w, build, TK_COSE_TYPE_MAC0, build->kid, payload, &prot);
    tk_cose_w_head(&w, TK_COSE_MAJOR_BSTR, tag_size);
    tag_dst = tk_cose_w_reserve(&w, tag_size);
    err = tk_cose_w_finish(&w, out_len);
    if (err != TK_OK) {
        return err;
    }
    err = fill_tag(crypto, build, build->key, "MAC0", prot, payload, tag_dst,
                   tag_size);
    if (err != TK_OK) {
        tk_crypto_wipe(out, *out_len);
        *out_len = 0;
    }
    return err;
}

tk_err tk_cose_mac_create(const tk_crypto *crypto, const tk_cose_build *build,
                          tk_view payload, uint8_t *out, size_t out_cap,
                          size_t *out_len)
{
    tk_cose_writer w;
    tk_key key;
    tk_view prot;
    uint8_t *tag_dst;
    size_t tag_size;
    tk_err err = check_build(crypto, build, payload, out_len);

    if (err != TK_OK) {
        return err;
    }
    if (!TK_COSE_WITH_MAC || !TK_COSE_WITH_ENCRYPT) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    tag_size = tk_cose_mac_tag_size(build->alg);
    tk_key_init(&key);
    tk_cose_w_init(&w, out, out_cap);
    write_mac_head(&w, build, TK_COSE_TYPE_MAC, (tk_view){NULL, 0}, payload,
                   &prot);
    tk_cose_w_head(&w, TK_COSE_MAJOR_BSTR, tag_size);
    tag_dst = tk_cose_w_reserve(&w, tag_size);
    err = tk_cose_w_recipients(&w, crypto, build, build->alg, &key);
    if (err == TK_OK) {
        err = tk_cose_w_finish(&w, out_len);
    }
    if (err == TK_OK) {
        err = fill_tag(crypto, build, &key, "MAC", prot, payload, tag_dst,
                       tag_size);
    }
    tk_key_release(&key);
    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL) {
        tk_crypto_wipe(out, out_cap < w.len ? out_cap : w.len);
        *out_len = 0;
    }
    return err;
}
