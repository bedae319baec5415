/*
 * COSE_Encrypt0 and COSE_Encrypt (RFC 9052 section 5): decoding,
 * decryption and encryption with AES-GCM, ChaCha20/Poly1305 (RFC 9053
 * section 4) and AES-CTR (RFC 9459), and the prepare calls that hand the
 * content key to a caller that streams the content itself.
 */
#include <string.h>

#include "cose_internal.h"

static const tk_cose_opts no_opts;

/* Returns opts, or all-zero options when opts is NULL. */
static const tk_cose_opts *opts_or_default(const tk_cose_opts *opts)
{
    return opts != NULL ? opts : &no_opts;
}

/* Bits of the content-encryption classes. */
#define CONTENT_CLASSES                                                    \
    (TK_COSE_CLASS_BIT(TK_COSE_CLASS_AEAD) |                               \
     TK_COSE_CLASS_BIT(TK_COSE_CLASS_CTR))

static bool is_ctr(int64_t alg)
{
    return tk_cose_alg_class_of(alg) == TK_COSE_CLASS_CTR;
}

tk_err tk_cose_content_iv(const tk_cose_headers *h, const tk_cose_opts *opts,
                          int64_t alg, uint8_t *iv, size_t *iv_len)
{
    size_t size = tk_cose_iv_size(alg);

    *iv_len = 0;
    if ((h->present & TK_COSE_HAS_PARTIAL_IV) != 0) {
        /* RFC 9052 section 3.1: left-pad the Partial IV with zeros to the
         * context IV's length and XOR the two. */
        size_t pad;

        if (opts->base_iv.len != size || opts->base_iv.ptr == NULL ||
            h->partial_iv.len == 0 || h->partial_iv.len > size) {
            return TK_ERR_COSE_IV;
        }
        memcpy(iv, opts->base_iv.ptr, size);
        pad = size - h->partial_iv.len;
        for (size_t i = 0; i < h->partial_iv.len; i++) {
            iv[pad + i] ^= h->partial_iv.ptr[i];
        }
    } else if ((h->present & TK_COSE_HAS_IV) != 0) {
        if (h->iv.len != size) {
            return TK_ERR_COSE_IV;
        }
        memcpy(iv, h->iv.ptr, size);
    } else {
        return TK_ERR_COSE_IV;
    }
    *iv_len = size;
    return TK_OK;
}

/*
 * Checks the content layer's rules after its headers were read: an AEAD
 * or AES-CTR alg, AES-CTR with neither protected parameters nor external
 * AAD, and a usable IV.
 */
static tk_err check_content_layer(tk_cbor_dec *dec, const tk_cose_headers *h,
                                  const tk_cose_opts *opts)
{
    uint8_t iv[TK_COSE_MAX_IV_SIZE];
    size_t iv_len;
    tk_err err = tk_cose_check_alg(dec, h, opts, CONTENT_CLASSES);

    if (err != TK_OK) {
        return err;
    }
    if (is_ctr(h->alg) && opts->external_aad.len > 0) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_AAD_NOT_ALLOWED);
    }
    err = tk_cose_content_iv(h, opts, h->alg, iv, &iv_len);
    if (err != TK_OK) {
        return tk_cbor_dec_fail(dec, err);
    }
    return TK_OK;
}

/* Builds the Enc_structure [context, protected, external_aad] (RFC 9052
 * section 5.3) into buf (capacity cap). */
static tk_err enc_structure(const char *context, tk_view prot, tk_view aad,
                            uint8_t *buf, size_t cap, tk_view *out)
{
    tk_cose_tbs t;

    tk_cose_tbs_start(&t, 3, context);
    tk_cose_tbs_bstr(&t, prot);
    tk_cose_tbs_bstr(&t, aad);
    return tk_cose_tbs_flatten(&t, buf, cap, out);
}

/* Runs AES-CTR over in into out (len bytes) with the streaming cipher. */
static tk_err run_ctr(const tk_crypto *crypto, tk_alg alg, const tk_key *key,
                      tk_view iv, tk_crypto_dir dir, const uint8_t *in,
                      size_t len, uint8_t *out)
{
    tk_crypto_cipher_state state;
    tk_err err;

    memset(&state, 0, sizeof(state));
    err = crypto->cipher_start(crypto->ctx, &state, alg, key, iv,
                               (tk_view){NULL, 0}, dir);
    if (err == TK_OK && len > 0) {
        err = crypto->cipher_update(crypto->ctx, &state, in, len, out);
    }
    if (err == TK_OK) {
        err = crypto->cipher_finish(crypto->ctx, &state, (tk_view){NULL, 0},
                                    NULL, 0);
    } else {
        crypto->cipher_abort(crypto->ctx, &state);
    }
    return err;
}

/* The content layer of a message being decrypted. */
typedef struct content {
    const tk_crypto *crypto;
    const tk_cose_opts *opts;
    const tk_cose_headers *hdr;
    const char *context;
    tk_view ciphertext;
    uint8_t *plain;
    size_t plain_cap;
    size_t *plain_len;
} content;

/*
 * Decrypts the content with key. An AEAD tag mismatch, for every form of
 * the protected header, gives TK_ERR_COSE_DECRYPT_FAILED and leaves plain
 * wiped.
 */
static tk_err decrypt_content(void *arg, const tk_key *key)
{
    const content *c = arg;
    tk_alg alg = (tk_alg)c->hdr->alg;
    uint8_t iv[TK_COSE_MAX_IV_SIZE];
    uint8_t local[TK_COSE_STACK_STRUCTURE_SIZE];
    uint8_t *buf = c->opts->scratch != NULL ? c->opts->scratch : local;
    size_t cap = c->opts->scratch != NULL ? c->opts->scratch_len
                                          : sizeof(local);
    tk_view forms[2];
    size_t nforms;
    size_t iv_len;
    size_t need;
    tk_err err = tk_cose_content_iv(c->hdr, c->opts, alg, iv, &iv_len);

    if (err != TK_OK) {
        return err;
    }
    if (is_ctr(alg)) {
        need = c->ciphertext.len;
    } else if (c->ciphertext.len < TK_CRYPTO_AEAD_TAG_SIZE) {
        return TK_ERR_COSE_DECRYPT_FAILED;
    } else {
        need = c->ciphertext.len - TK_CRYPTO_AEAD_TAG_SIZE;
    }
    *c->plain_len = need;
    if (need > c->plain_cap || (c->plain == NULL && need > 0)) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    if (is_ctr(alg)) {
        err = run_ctr(c->crypto, alg, key, (tk_view){iv, iv_len},
                      TK_CRYPTO_DECRYPT, c->ciphertext.ptr, need, c->plain);
        if (err != TK_OK) {
            tk_crypto_wipe(c->plain, need);
            *c->plain_len = 0;
        }
        return err;
    }
    nforms = tk_cose_protected_forms(c->hdr->protected_bytes, forms);
    for (size_t i = 0; i < nforms; i++) {
        tk_view aad;
        size_t written = 0;

        err = enc_structure(c->context, forms[i], c->opts->external_aad, buf,
                            cap, &aad);
        if (err == TK_OK) {
            err = c->crypto->aead_decrypt(c->crypto->ctx, alg, key,
                                          (tk_view){iv, iv_len}, aad,
                                          c->ciphertext, c->plain,
                                          c->plain_cap, &written);
        }
        if (err == TK_OK) {
            return TK_OK;
        }
        if (err != TK_ERR_CRYPTO_TAG_INVALID) {
            break;
        }
        err = TK_ERR_COSE_DECRYPT_FAILED;
    }
    *c->plain_len = 0;
    return err;
}

/* ---------------------------------------------------------------------- */
/* Decoding                                                               */
/* ---------------------------------------------------------------------- */

/* A decoded COSE_Encrypt0 or COSE_Encrypt. */
typedef struct enc_msg {
    tk_cose_type type;
    tk_cose_headers hdr;
    tk_view ciphertext;
    bool detached;
    tk_view recipients;
    size_t recipient_count;
    size_t error_offset;
} enc_msg;

/*
 * Decodes either encryption structure. type is the expected one, or
 * TK_COSE_TYPE_UNKNOWN to take it from the tag (untagged: from the member
 * count). nil_ok accepts a nil ciphertext without detached content.
 * Every layer's rules are checked, the recipients' too, before any crypto.
 */
static tk_err enc_decode(tk_view msg, const tk_cose_opts *opts,
                         tk_cose_type type, bool nil_ok, enc_msg *out)
{
    tk_cbor_dec dec;
    uint64_t members;
    uint64_t count = 0;
    size_t rec_off = 0;
    tk_err err;

    memset(out, 0, sizeof(*out));
    if (!TK_COSE_WITH_ENCRYPT) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    if (msg.ptr == NULL || msg.len == 0) {
        return msg.len == 0 ? TK_ERR_CBOR_TRUNCATED : TK_ERR_INVALID_ARG;
    }
    if (type == TK_COSE_TYPE_UNKNOWN) {
        type = tk_cose_type_of(msg);
        if (msg.ptr[0] == 0x83) {
            type = TK_COSE_TYPE_ENCRYPT0;
        } else if (msg.ptr[0] == 0x84) {
            type = TK_COSE_TYPE_ENCRYPT;
        } else if (type != TK_COSE_TYPE_ENCRYPT0 &&
                   type != TK_COSE_TYPE_ENCRYPT) {
            return (msg.ptr[0] >> 5) == TK_COSE_MAJOR_TAG
                       ? TK_ERR_COSE_WRONG_TAG
                       : TK_ERR_COSE_UNTAGGED_TYPE;
        }
    }
    out->type = type;
    members = type == TK_COSE_TYPE_ENCRYPT0 ? 3 : 4;
    err = tk_cose_open(&dec, msg, opts, type, members, members, &count);
    if (err == TK_OK) {
        err = tk_cose_headers_read(&dec, msg.ptr, opts, &out->hdr);
    }
    if (err == TK_OK) {
        err = check_content_layer(&dec, &out->hdr, opts);
    }
    if (err == TK_OK) {
        err = tk_cose_read_payload(&dec, opts, nil_ok, &out->ciphertext,
                                   &out->detached);
    }
    if (err == TK_OK && type == TK_COSE_TYPE_ENCRYPT) {
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
    if (type == TK_COSE_TYPE_ENCRYPT) {
        err = tk_cose_recipients_check(out->recipients, opts, 1, &rec_off);
        if (err != TK_OK) {
            out->error_offset =
                (size_t)(out->recipients.ptr - msg.ptr) + rec_off;
        }
    }
    return err;
}

/* Decrypts a decoded message: with the key from opts for COSE_Encrypt0,
 * through the recipients for COSE_Encrypt. */
static tk_err enc_decrypt(const tk_crypto *crypto, const tk_cose_opts *opts,
                          const enc_msg *m, uint8_t *plain, size_t plain_cap,
                          size_t *plain_len)
{
    content c = {crypto, opts, &m->hdr,
                 m->type == TK_COSE_TYPE_ENCRYPT0 ? "Encrypt0" : "Encrypt",
                 m->ciphertext, plain, plain_cap, plain_len};
    const tk_key *key;
    tk_err err;

    if (m->type == TK_COSE_TYPE_ENCRYPT) {
        return tk_cose_recipients_key(crypto, m->recipients, opts,
                                      m->hdr.alg, decrypt_content, &c,
                                      NULL);
    }
    err = tk_cose_resolve_key(opts, &m->hdr, (tk_alg)m->hdr.alg, &key);
    if (err != TK_OK) {
        return err;
    }
    return decrypt_content(&c, key);
}

tk_err tk_cose_encrypt0_decrypt(const tk_crypto *crypto, tk_view msg,
                                const tk_cose_opts *opts, uint8_t *plain,
                                size_t plain_cap, size_t *plain_len,
                                tk_cose_encrypt0 *out)
{
    enc_msg m;
    tk_err err;

    if (crypto == NULL || plain_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *plain_len = 0;
    opts = opts_or_default(opts);
    err = enc_decode(msg, opts, TK_COSE_TYPE_ENCRYPT0, false, &m);
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
        out->hdr = m.hdr;
        out->ciphertext = m.ciphertext;
        out->detached = m.detached;
        out->error_offset = m.error_offset;
    }
    if (err != TK_OK) {
        return err;
    }
    return enc_decrypt(crypto, opts, &m, plain, plain_cap, plain_len);
}

tk_err tk_cose_encrypt_decrypt(const tk_crypto *crypto, tk_view msg,
                               const tk_cose_opts *opts, uint8_t *plain,
                               size_t plain_cap, size_t *plain_len,
                               tk_cose_encrypt *out)
{
    enc_msg m;
    tk_err err;

    if (crypto == NULL || plain_len == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    *plain_len = 0;
    opts = opts_or_default(opts);
    err = enc_decode(msg, opts, TK_COSE_TYPE_ENCRYPT, false, &m);
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
        out->hdr = m.hdr;
        out->ciphertext = m.ciphertext;
        out->detached = m.detached;
        out->recipients = m.recipients;
        out->recipient_count = m.recipient_count;
        out->error_offset = m.error_offset;
    }
    if (err != TK_OK) {
        return err;
    }
    return enc_decrypt(crypto, opts, &m, plain, plain_cap, plain_len);
}

/* Fills ck's IV and AAD for the decoded content layer hdr of a structure
 * whose Enc_structure context is context. */
static tk_err fill_content_key(const tk_cose_headers *hdr,
                               const tk_cose_opts *opts, const char *context,
                               uint8_t *aad_buf, size_t aad_cap,
                               tk_cose_content_key *ck)
{
    tk_view forms[2];
    tk_err err;

    ck->alg = (tk_alg)hdr->alg;
    ck->hdr = *hdr;
    err = tk_cose_content_iv(hdr, opts, hdr->alg, ck->iv, &ck->iv_len);
    if (err != TK_OK || is_ctr(hdr->alg)) {
        return err;
    }
    (void)tk_cose_protected_forms(hdr->protected_bytes, forms);
    err = enc_structure(context, forms[0], opts->external_aad, aad_buf,
                        aad_cap, &ck->aad);
    return err == TK_ERR_COSE_SCRATCH_TOO_SMALL ? TK_ERR_BUFFER_TOO_SMALL
                                                : err;
}

tk_err tk_cose_decrypt_prepare(const tk_crypto *crypto, tk_view msg,
                               const tk_cose_opts *opts, uint8_t *aad_buf,
                               size_t aad_cap, tk_cose_content_key *out)
{
    enc_msg m;
    const tk_key *key;
    tk_err err;

    if (crypto == NULL || out == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    tk_key_init(&out->cek);
    opts = opts_or_default(opts);
    err = enc_decode(msg, opts, TK_COSE_TYPE_UNKNOWN, true, &m);
    if (err != TK_OK) {
        return err;
    }
    out->ciphertext = m.detached ? (tk_view){NULL, 0} : m.ciphertext;
    out->detached = m.detached;
    if (opts->detached != NULL) {
        out->ciphertext = *opts->detached;
    }
    err = fill_content_key(&m.hdr, opts,
                           m.type == TK_COSE_TYPE_ENCRYPT0 ? "Encrypt0"
                                                           : "Encrypt",
                           aad_buf, aad_cap, out);
    if (err != TK_OK) {
        return err;
    }
    if (m.type == TK_COSE_TYPE_ENCRYPT) {
        err = tk_cose_recipients_key(crypto, m.recipients, opts, m.hdr.alg,
                                     NULL, NULL, &out->cek);
    } else {
        err = tk_cose_resolve_key(opts, &m.hdr, (tk_alg)m.hdr.alg, &key);
        if (err == TK_OK && key->kty != TK_KTY_SYMMETRIC) {
            err = TK_ERR_COSE_KEY_MISMATCH;
        }
        if (err == TK_OK) {
            err = tk_key_init_symmetric(&out->cek,
                                        (tk_view){key->k, key->k_len});
        }
    }
    if (err == TK_OK && out->cek.k_len != tk_cose_content_key_size(out->alg)) {
        err = TK_ERR_COSE_KEY_MISMATCH;
    }
    if (err != TK_OK) {
        tk_key_release(&out->cek);
    }
    return err;
}

/* ---------------------------------------------------------------------- */
/* Encryption                                                             */
/* ---------------------------------------------------------------------- */

/* The content layer of a message being built. */
typedef struct enc_build {
    uint8_t iv[TK_COSE_MAX_IV_SIZE];
    size_t iv_len;
    tk_view prot;      /* protected map bytes in the output */
} enc_build;

/* Checks the arguments of an encryption builder and picks the IV.
 * NOTE: builders send a full IV only; none writes a Partial IV. */
static tk_err check_enc_build(const tk_crypto *crypto,
                              const tk_cose_build *build, tk_view plain,
                              size_t *out_len, enc_build *eb)
{
    if (crypto == NULL || build == NULL || out_len == NULL ||
        (plain.ptr == NULL && plain.len > 0) ||
        (build->kid.ptr == NULL && build->kid.len > 0) ||
        (build->iv.ptr == NULL && build->iv.len > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    *out_len = 0;
    if (!TK_COSE_WITH_ENCRYPT) {
        return TK_ERR_COSE_STRUCTURE_UNSUPPORTED;
    }
    if (tk_cose_alg_class_of(build->alg) != TK_COSE_CLASS_AEAD &&
        !is_ctr(build->alg)) {
        return TK_ERR_COSE_ALG_UNSUPPORTED;
    }
    if (is_ctr(build->alg) && build->external_aad.len > 0) {
        return TK_ERR_COSE_AAD_NOT_ALLOWED;
    }
    eb->iv_len = tk_cose_iv_size(build->alg);
    if (build->iv.len > 0) {
        if (build->iv.len != eb->iv_len) {
            return TK_ERR_COSE_IV;
        }
        memcpy(eb->iv, build->iv.ptr, eb->iv_len);
        return TK_OK;
    }
    return crypto->random(crypto->ctx, eb->iv, eb->iv_len);
}

/*
 * Writes the tag, the array head and the protected header of the content
 * layer, whose map bytes eb->prot receives. AES-CTR leaves the protected
 * header empty, as RFC 9459 requires, and puts alg in the unprotected one.
 */
static void write_enc_head(tk_cose_writer *w, const tk_cose_build *build,
                           tk_cose_type type, tk_view kid, enc_build *eb)
{
    tk_cose_hdr_out p;

    memset(&p, 0, sizeof(p));
    if (!is_ctr(build->alg)) {
        p.has_alg = true;
        p.alg = build->alg;
        if ((build->flags & TK_COSE_BUILD_CONTENT_TYPE) != 0) {
            p.has_content_type = true;
            p.content_type = build->content_type;
        }
        if ((build->flags & TK_COSE_BUILD_KID_PROTECTED) != 0) {
            p.kid = kid;
        }
    }
    if ((build->flags & TK_COSE_BUILD_UNTAGGED) == 0) {
        tk_cose_w_head(w, TK_COSE_MAJOR_TAG, type);
    }
    tk_cose_w_head(w, TK_COSE_MAJOR_ARRAY,
                   type == TK_COSE_TYPE_ENCRYPT0 ? 3 : 4);
    tk_cose_w_protected(w, &p, &eb->prot);
}

/* Writes the unprotected map of the content layer: alg and content type
 * for AES-CTR, kid unless it went into the protected map, and the IV. */
static void write_enc_unprotected(tk_cose_writer *w,
                                  const tk_cose_build *build, tk_view kid,
                                  const enc_build *eb)
{
    tk_cose_hdr_out u;
    bool ctr = is_ctr(build->alg);

    memset(&u, 0, sizeof(u));
    u.has_alg = ctr;
    u.alg = build->alg;
    if ((build->flags & TK_COSE_BUILD_CONTENT_TYPE) != 0 && ctr) {
        u.has_content_type = true;
        u.content_type = build->content_type;
    }
    if ((build->flags & TK_COSE_BUILD_KID_PROTECTED) == 0 || ctr) {
        u.kid = kid;
    }
    u.iv = (tk_view){eb->iv, eb->iv_len};
    tk_cose_w_header_map(w, &u);
}

/* Encrypts plain into dst (plain.len, plus the tag for AEAD). */
static tk_err encrypt_into(const tk_crypto *crypto, const tk_cose_build *build,
                           const tk_key *cek, const enc_build *eb,
                           const char *context, tk_view plain, uint8_t *dst,
                           size_t dst_len)
{
    uint8_t local[TK_COSE_STACK_STRUCTURE_SIZE];
    uint8_t *buf = build->scratch != NULL ? build->scratch : local;
    size_t cap = build->scratch != NULL ? build->scratch_len : sizeof(local);
    tk_view iv = {eb->iv, eb->iv_len};
    tk_view aad;
    size_t written = 0;
    tk_err err;

    if (is_ctr(build->alg)) {
        return run_ctr(crypto, build->alg, cek, iv, TK_CRYPTO_ENCRYPT,
                       plain.ptr, plain.len, dst);
    }
    err = enc_structure(context, eb->prot, build->external_aad, buf, cap,
                        &aad);
    if (err == TK_OK) {
        err = crypto->aead_encrypt(crypto->ctx, build->alg, cek, iv, aad,
                                   plain, dst, dst_len, &written);
    }
    if (err == TK_OK && written != dst_len) {
        err = TK_ERR_INTERNAL;
    }
    return err;
}

/* Size of the ciphertext of plain_len bytes under alg. */
static size_t ciphertext_size(int64_t alg, size_t plain_len)
{
    return is_ctr(alg) ? plain_len : plain_len + TK_CRYPTO_AEAD_TAG_SIZE;
}

tk_err tk_cose_encrypt0_encrypt(const tk_crypto *crypto,
                                const tk_cose_build *build, tk_view plain,
                                uint8_t *out, size_t out_cap,
                                size_t *out_len)
{
    enc_build eb;
    tk_cose_writer w;
    uint8_t *dst;
    size_t ct_len;
    tk_err err = check_enc_build(crypto, build, plain, out_len, &eb);

    if (err != TK_OK) {
        return err;
    }
    if (build->key == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    ct_len = ciphertext_size(build->alg, plain.len);
    tk_cose_w_init(&w, out, out_cap);
    write_enc_head(&w, build, TK_COSE_TYPE_ENCRYPT0, build->kid, &eb);
    write_enc_unprotected(&w, build, build->kid, &eb);
    tk_cose_w_head(&w, TK_COSE_MAJOR_BSTR, ct_len);
    dst = tk_cose_w_reserve(&w, ct_len);
    err = tk_cose_w_finish(&w, out_len);
    if (err == TK_OK) {
        err = encrypt_into(crypto, build, build->key, &eb, "Encrypt0", plain,
                           dst, ct_len);
    }
    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL) {
        tk_crypto_wipe(out, *out_len);
        *out_len = 0;
    }
    return err;
}

tk_err tk_cose_encrypt_encrypt(const tk_crypto *crypto,
                               const tk_cose_build *build, tk_view plain,
                               uint8_t *out, size_t out_cap,
                               size_t *out_len)
{
    enc_build eb;
    tk_cose_writer w;
    tk_key cek;
    uint8_t *dst;
    size_t ct_len;
    tk_err err = check_enc_build(crypto, build, plain, out_len, &eb);

    if (err != TK_OK) {
        return err;
    }
    ct_len = ciphertext_size(build->alg, plain.len);
    tk_key_init(&cek);
    tk_cose_w_init(&w, out, out_cap);
    write_enc_head(&w, build, TK_COSE_TYPE_ENCRYPT, (tk_view){NULL, 0}, &eb);
    write_enc_unprotected(&w, build, (tk_view){NULL, 0}, &eb);
    tk_cose_w_head(&w, TK_COSE_MAJOR_BSTR, ct_len);
    dst = tk_cose_w_reserve(&w, ct_len);
    err = tk_cose_w_recipients(&w, crypto, build, build->alg, &cek);
    if (err == TK_OK) {
        err = tk_cose_w_finish(&w, out_len);
    }
    if (err == TK_OK) {
        err = encrypt_into(crypto, build, &cek, &eb, "Encrypt", plain, dst,
                           ct_len);
    }
    tk_key_release(&cek);
    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL) {
        tk_crypto_wipe(out, out_cap < w.len ? out_cap : w.len);
        *out_len = 0;
    }
    return err;
}

tk_err tk_cose_encrypt_prepare(const tk_crypto *crypto,
                               const tk_cose_build *build, uint8_t *out,
                               size_t out_cap, size_t *out_len,
                               uint8_t *aad_buf, size_t aad_cap,
                               tk_cose_content_key *ck)
{
    static const uint8_t nil = 0xf6;
    bool enc0;
    enc_build eb;
    tk_cose_writer w;
    tk_err err;

    if (ck == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    memset(ck, 0, sizeof(*ck));
    tk_key_init(&ck->cek);
    err = check_enc_build(crypto, build, (tk_view){NULL, 0}, out_len, &eb);
    if (err != TK_OK) {
        return err;
    }
    enc0 = build->recipient_count == 0;
    tk_cose_w_init(&w, out, out_cap);
    write_enc_head(&w, build,
                   enc0 ? TK_COSE_TYPE_ENCRYPT0 : TK_COSE_TYPE_ENCRYPT,
                   enc0 ? build->kid : (tk_view){NULL, 0}, &eb);
    write_enc_unprotected(&w, build, enc0 ? build->kid : (tk_view){NULL, 0},
                          &eb);
    tk_cose_w_bytes(&w, &nil, 1);
    if (!enc0) {
        err = tk_cose_w_recipients(&w, crypto, build, build->alg, &ck->cek);
    } else if (build->key != NULL && build->key->kty == TK_KTY_SYMMETRIC) {
        err = tk_key_init_symmetric(&ck->cek, (tk_view){build->key->k,
                                                        build->key->k_len});
    } else {
        err = TK_ERR_INVALID_ARG;
    }
    if (err == TK_OK &&
        ck->cek.k_len != tk_cose_content_key_size(build->alg)) {
        err = TK_ERR_COSE_KEY_MISMATCH;
    }
    if (err == TK_OK) {
        err = tk_cose_w_finish(&w, out_len);
    }
    if (err == TK_OK) {
        ck->alg = build->alg;
        memcpy(ck->iv, eb.iv, eb.iv_len);
        ck->iv_len = eb.iv_len;
        ck->detached = true;
        if (!is_ctr(build->alg)) {
            err = enc_structure(enc0 ? "Encrypt0" : "Encrypt", eb.prot,
                                build->external_aad, aad_buf, aad_cap,
                                &ck->aad);
            if (err == TK_ERR_COSE_SCRATCH_TOO_SMALL) {
                err = TK_ERR_BUFFER_TOO_SMALL;
            }
        }
    }
    if (err != TK_OK) {
        tk_key_release(&ck->cek);
    }
    return err;
}
