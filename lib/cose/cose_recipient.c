/*
 * Recipients of COSE_Encrypt and COSE_Mac (RFC 9052 section 5.1, RFC 9053
 * section 6): direct keys, AES key wrap and ECDH-ES with HKDF, including
 * the COSE_KDF_Context of RFC 9053 section 5.2, in both directions.
 */
#include <string.h>

#include "cose_internal.h"

/* One decoded COSE_recipient. */
typedef struct recipient {
    tk_cose_headers hdr;
    tk_view ciphertext;
    bool ciphertext_nil;
    tk_view nested;       /* encoded recipient array, when present */
    size_t nested_count;
} recipient;

/* Errors after which the next recipient is tried: no key here, a key that
 * does not fit, or a key that does not open this recipient. */
static bool skippable(tk_err err)
{
    switch (err) {
    case TK_ERR_COSE_KEY_NOT_FOUND:
    case TK_ERR_COSE_KEY_MISMATCH:
    case TK_ERR_COSE_EPHEMERAL_KEY:
    case TK_ERR_COSE_DECRYPT_FAILED:
    case TK_ERR_COSE_MAC_INVALID:
    case TK_ERR_CRYPTO_UNSUPPORTED_ALG:
    case TK_ERR_CRYPTO_UNWRAP_INVALID:
    case TK_ERR_CRYPTO_KEY_MISMATCH:
    case TK_ERR_CRYPTO_KEY_INVALID:
    case TK_ERR_CRYPTO_SHARED_SECRET_ZERO:
        return true;
    default:
        return false;
    }
}

/* ---------------------------------------------------------------------- */
/* Decoding and shape checks                                              */
/* ---------------------------------------------------------------------- */

/* Bits of the classes a recipient layer may use. */
#define RECIPIENT_CLASSES                                                  \
    (TK_COSE_CLASS_BIT(TK_COSE_CLASS_DIRECT) |                             \
     TK_COSE_CLASS_BIT(TK_COSE_CLASS_KW) |                                 \
     TK_COSE_CLASS_BIT(TK_COSE_CLASS_ECDH_DIRECT) |                        \
     TK_COSE_CLASS_BIT(TK_COSE_CLASS_ECDH_KW))

/*
 * Checks what the recipient's algorithm requires of its members: an empty
 * ciphertext for direct and ECDH-ES direct, a wrapped key for key wrap, an
 * ephemeral key for ECDH-ES, and nested recipients only under key wrap.
 */
static tk_err check_shape(const recipient *r)
{
    tk_cose_alg_class c = tk_cose_alg_class_of(r->hdr.alg);
    bool direct = c == TK_COSE_CLASS_DIRECT ||
                  c == TK_COSE_CLASS_ECDH_DIRECT;

    if (direct && (r->ciphertext_nil || r->ciphertext.len != 0)) {
        return TK_ERR_COSE_MALFORMED;
    }
    if (!direct && (r->ciphertext_nil || r->ciphertext.len == 0)) {
        return TK_ERR_COSE_MALFORMED;
    }
    if (r->nested_count > 0 && c != TK_COSE_CLASS_KW) {
        return TK_ERR_COSE_MALFORMED;
    }
    if ((c == TK_COSE_CLASS_ECDH_DIRECT || c == TK_COSE_CLASS_ECDH_KW) &&
        (r->hdr.present & TK_COSE_HAS_EPHEMERAL_KEY) == 0) {
        return TK_ERR_COSE_EPHEMERAL_KEY;
    }
    return TK_OK;
}

/* Reads one COSE_recipient from dec (whose input starts at base). */
static tk_err recipient_read(tk_cbor_dec *dec, const uint8_t *base,
                             const tk_cose_opts *opts, recipient *r)
{
    tk_cbor_item item;
    tk_err err = tk_cbor_dec_peek(dec, &item);

    memset(r, 0, sizeof(*r));
    if (err != TK_OK) {
        return tk_cose_map_err(err);
    }
    if (item.type != TK_CBOR_ARRAY ||
        (item.value != TK_CBOR_INDEFINITE && item.value != 3 &&
         item.value != 4)) {
        return tk_cbor_dec_fail(dec, TK_ERR_COSE_MALFORMED);
    }
    tk_cbor_dec_enter_array(dec, NULL);
    err = tk_cose_headers_read(dec, base, opts, &r->hdr);
    if (err == TK_OK) {
        err = tk_cose_check_alg(dec, &r->hdr, opts, RECIPIENT_CLASSES);
    }
    if (err == TK_OK) {
        err = tk_cose_read_payload(dec, &(tk_cose_opts){0}, true,
                                   &r->ciphertext, &r->ciphertext_nil);
    }
    if (err == TK_OK && tk_cbor_dec_more(dec)) {
        err = tk_cose_read_recipients(dec, &r->nested, &r->nested_count);
    }
    if (err == TK_OK) {
        err = tk_cose_leave_array(dec);
    }
    if (err == TK_OK) {
        err = check_shape(r);
        if (err != TK_OK) {
            tk_cbor_dec_fail(dec, err);
        }
    }
    return err;
}

tk_err tk_cose_recipients_check(tk_view recipients, const tk_cose_opts *opts,
                                unsigned depth, size_t *err_off)
{
    tk_cbor_dec dec;
    tk_err err;

    *err_off = 0;
    if (depth > TK_COSE_MAX_RECIPIENT_DEPTH) {
        return TK_ERR_COSE_TOO_MANY_RECIPIENTS;
    }
    tk_cbor_dec_init(&dec, recipients.ptr, recipients.len, 0);
    err = tk_cbor_dec_enter_array(&dec, NULL);
    while (err == TK_OK && tk_cbor_dec_more(&dec)) {
        recipient r;

        err = recipient_read(&dec, recipients.ptr, opts, &r);
        if (err == TK_OK && r.nested_count > 0) {
            size_t inner_off = 0;

            err = tk_cose_recipients_check(r.nested, opts, depth + 1,
                                           &inner_off);
            if (err != TK_OK) {
                *err_off = (size_t)(r.nested.ptr - recipients.ptr) +
                           inner_off;
                return err;
            }
        }
    }
    if (err == TK_OK) {
        tk_cbor_dec_exit(&dec);
        err = tk_cbor_dec_finish(&dec);
    }
    if (err != TK_OK && *err_off == 0) {
        *err_off = tk_cbor_dec_error_offset(&dec);
    }
    return tk_cose_map_err(err);
}

/* ---------------------------------------------------------------------- */
/* Key derivation (RFC 9053 sections 5 and 6.3)                           */
/* ---------------------------------------------------------------------- */

/* Inputs of one HKDF derivation of an ECDH-ES recipient. */
typedef struct kdf_input {
    tk_alg hash;          /* HKDF hash */
    int64_t alg_id;       /* COSE_KDF_Context AlgorithmID */
    size_t key_len;       /* bytes to derive */
    tk_view prot;         /* the recipient's protected header */
    const tk_cose_headers *hdr; /* party info and salt, or NULL */
    tk_view salt;
    tk_view supp_pub_other;
    tk_view supp_priv;
} kdf_input;

/* Writes one PartyInfo array: identity, nonce and other, nil when the
 * header does not carry them. */
static void put_party(tk_cbor_enc *enc, const tk_cose_party *p, bool has_id,
                      bool has_nonce, bool has_other)
{
    tk_cbor_enc_put_array(enc, 3);
    if (has_id) {
        tk_cbor_enc_put_bstr(enc, p->identity.ptr, p->identity.len);
    } else {
        tk_cbor_enc_put_null(enc);
    }
    if (has_nonce && p->nonce_is_int) {
        tk_cbor_enc_put_int(enc, p->nonce_int);
    } else if (has_nonce) {
        tk_cbor_enc_put_bstr(enc, p->nonce.ptr, p->nonce.len);
    } else {
        tk_cbor_enc_put_null(enc);
    }
    if (has_other) {
        tk_cbor_enc_put_bstr(enc, p->other.ptr, p->other.len);
    } else {
        tk_cbor_enc_put_null(enc);
    }
}

/*
 * Encodes the COSE_KDF_Context (RFC 9053 section 5.2) into buf:
 * [AlgorithmID, PartyUInfo, PartyVInfo, [keyDataLength, protected,
 * ? other], ? SuppPrivInfo].
 */
static tk_err kdf_context(const kdf_input *in, uint8_t *buf, size_t cap,
                          size_t *len)
{
    static const tk_cose_party none;
    const tk_cose_party *u = in->hdr != NULL ? &in->hdr->party_u : &none;
    const tk_cose_party *v = in->hdr != NULL ? &in->hdr->party_v : &none;
    uint32_t has = in->hdr != NULL ? in->hdr->present : 0;
    tk_cbor_enc enc;
    tk_err err;

    tk_cbor_enc_init(&enc, buf, cap, 0);
    tk_cbor_enc_put_array(&enc, in->supp_priv.len > 0 ? 5 : 4);
    tk_cbor_enc_put_int(&enc, in->alg_id);
    put_party(&enc, u, (has & TK_COSE_HAS_PARTY_U_IDENTITY) != 0,
              (has & TK_COSE_HAS_PARTY_U_NONCE) != 0,
              (has & TK_COSE_HAS_PARTY_U_OTHER) != 0);
    put_party(&enc, v, (has & TK_COSE_HAS_PARTY_V_IDENTITY) != 0,
              (has & TK_COSE_HAS_PARTY_V_NONCE) != 0,
              (has & TK_COSE_HAS_PARTY_V_OTHER) != 0);
    tk_cbor_enc_put_array(&enc, in->supp_pub_other.len > 0 ? 3 : 2);
    tk_cbor_enc_put_uint(&enc, (uint64_t)in->key_len * 8u);
    tk_cbor_enc_put_bstr(&enc, in->prot.ptr, in->prot.len);
    if (in->supp_pub_other.len > 0) {
        tk_cbor_enc_put_bstr(&enc, in->supp_pub_other.ptr,
                             in->supp_pub_other.len);
    }
    if (in->supp_priv.len > 0) {
        tk_cbor_enc_put_bstr(&enc, in->supp_priv.ptr, in->supp_priv.len);
    }
    err = tk_cbor_enc_finish(&enc, len);
    return err == TK_ERR_BUFFER_TOO_SMALL ? TK_ERR_COSE_SCRATCH_TOO_SMALL
                                          : err;
}

/*
 * Computes the ECDH shared secret of priv and peer and derives
 * in->key_len bytes with HKDF over the KDF context into out (a symmetric
 * key). Intermediate secrets are wiped.
 */
static tk_err ecdh_derive(const tk_crypto *crypto, const tk_key *priv,
                          const tk_key *peer, const kdf_input *in,
                          tk_key *out)
{
    uint8_t secret[TK_CRYPTO_MAX_SECRET_SIZE];
    uint8_t okm[TK_CRYPTO_MAX_SYMMETRIC_SIZE];
    uint8_t context[TK_COSE_STACK_STRUCTURE_SIZE];
    size_t secret_len = 0;
    size_t context_len = 0;
    tk_err err;

    if (in->key_len == 0 || in->key_len > sizeof(okm)) {
        return TK_ERR_COSE_ALG_UNSUPPORTED;
    }
    err = kdf_context(in, context, sizeof(context), &context_len);
    if (err == TK_OK) {
        err = crypto->ecdh(crypto->ctx, priv, peer, secret, sizeof(secret),
                           &secret_len);
    }
    if (err == TK_OK) {
        err = crypto->hkdf(crypto->ctx, in->hash, in->salt,
                           (tk_view){secret, secret_len},
                           (tk_view){context, context_len}, okm,
                           in->key_len);
    }
    if (err == TK_OK) {
        err = tk_key_init_symmetric(out, (tk_view){okm, in->key_len});
    }
    tk_crypto_wipe(secret, sizeof(secret));
    tk_crypto_wipe(okm, sizeof(okm));
    return err;
}

/* Imports the ephemeral key of header -1, which must be a public key on
 * the curve of priv. */
static tk_err import_ephemeral(const tk_crypto *crypto,
                               const tk_cose_headers *h, const tk_key *priv,
                               tk_key *epk)
{
    tk_cose_key info;
    tk_err err = tk_cose_key_decode(h->ephemeral_key, &info);

    if (err != TK_OK) {
        return TK_ERR_COSE_EPHEMERAL_KEY;
    }
    if (info.params.kty != priv->kty || info.params.crv != priv->crv ||
        info.params.d.len > 0 || info.params.x.len == 0) {
        return TK_ERR_COSE_EPHEMERAL_KEY;
    }
    info.params.kid = (tk_view){NULL, 0};
    err = crypto->key_import(crypto->ctx, &info.params, epk);
    if (err == TK_ERR_CRYPTO_KEY_INVALID) {
        return TK_ERR_COSE_EPHEMERAL_KEY;
    }
    return err;
}

/* ---------------------------------------------------------------------- */
/* Decryption side: walking the recipients                                */
/* ---------------------------------------------------------------------- */

/* A step that receives a derived key: unwraps with it, or tries it on the
 * content. verified is set when an integrity check already passed. */
typedef struct next_step {
    tk_err (*fn)(void *arg, const tk_key *key, bool verified);
    void *arg;
} next_step;

/* State of one walk over the recipients of a message. */
typedef struct walk {
    const tk_crypto *crypto;
    const tk_cose_opts *opts;
    tk_cose_content_try_fn try_fn;
    void *try_arg;
    tk_key *cek_out;      /* receives the key when try_fn is NULL */
    bool key_found;       /* some recipient had a key */
    bool stop;            /* a verified key failed on the content */
    tk_err auth_err;      /* first content authentication failure */
} walk;

static tk_err walk_array(walk *wk, tk_view recipients, int64_t target_alg,
                         unsigned depth, next_step next);

/* Size of the key that a recipient must deliver for target_alg; 0 when
 * any length will do (an HMAC key that a direct recipient supplies). */
static size_t target_key_size(int64_t target_alg)
{
    return tk_cose_content_key_size(target_alg);
}

/* Continuation of a key wrap recipient: unwraps r's ciphertext with kek
 * and passes the key on. */
typedef struct unwrap_step {
    walk *wk;
    const recipient *r;
    int64_t target_alg;
    next_step next;
} unwrap_step;

static tk_err unwrap_with(void *arg, const tk_key *kek, bool verified)
{
    const unwrap_step *u = arg;
    uint8_t plain[TK_CRYPTO_MAX_SYMMETRIC_SIZE + TK_CRYPTO_KW_OVERHEAD];
    size_t plain_len = 0;
    size_t want = target_key_size(u->target_alg);
    tk_alg alg = (tk_alg)u->r->hdr.alg;
    tk_key cek;
    tk_err err;

    (void)verified;
    if (tk_cose_alg_class_of(alg) == TK_COSE_CLASS_ECDH_KW) {
        alg = tk_cose_ecdh_wrap_alg(alg);
    }
    tk_key_init(&cek);
    err = u->wk->crypto->key_unwrap(u->wk->crypto->ctx, alg, kek,
                                    u->r->ciphertext, plain, sizeof(plain),
                                    &plain_len);
    if (err == TK_ERR_BUFFER_TOO_SMALL) {
        err = TK_ERR_COSE_KEY_MISMATCH;
    }
    if (err == TK_OK && want != 0 &&
        tk_cose_alg_class_of(u->target_alg) != TK_COSE_CLASS_MAC &&
        plain_len != want) {
        err = TK_ERR_COSE_KEY_MISMATCH;
    }
    if (err == TK_OK) {
        err = tk_key_init_symmetric(&cek, (tk_view){plain, plain_len});
    }
    tk_crypto_wipe(plain, sizeof(plain));
    if (err == TK_OK) {
        err = u->next.fn(u->next.arg, &cek, true);
    }
    tk_key_release(&cek);
    return err;
}

/* Derives the key of an ECDH-ES recipient for alg_id and key_len. */
static tk_err ecdh_recipient_key(walk *wk, const recipient *r,
                                 const tk_key *priv, int64_t alg_id,
                                 size_t key_len, tk_key *out)
{
    tk_view forms[2];
    tk_key epk;
    kdf_input in;
    tk_err err;

    tk_key_init(&epk);
    err = import_ephemeral(wk->crypto, &r->hdr, priv, &epk);
    if (err != TK_OK) {
        tk_key_release(&epk);
        return err;
    }
    (void)tk_cose_protected_forms(r->hdr.protected_bytes, forms);
    in = (kdf_input){
        .hash = tk_cose_ecdh_hash(r->hdr.alg),
        .alg_id = alg_id,
        .key_len = key_len,
        .prot = forms[0],
        .hdr = &r->hdr,
        .salt = (r->hdr.present & TK_COSE_HAS_SALT) != 0 ? r->hdr.salt
                                                         : (tk_view){0},
        .supp_pub_other = wk->opts->kdf_supp_pub_other,
        .supp_priv = wk->opts->kdf_supp_priv_info,
    };
    err = ecdh_derive(wk->crypto, priv, &epk, &in, out);
    tk_key_release(&epk);
    return err;
}

/* Derives or unwraps the key that recipient r delivers for target_alg and
 * passes it to next. */
static tk_err run_recipient(walk *wk, const recipient *r, int64_t target_alg,
                            unsigned depth, next_step next)
{
    tk_cose_alg_class c = tk_cose_alg_class_of(r->hdr.alg);
    size_t want = target_key_size(target_alg);
    unwrap_step u = {wk, r, target_alg, next};
    const tk_key *key = NULL;
    tk_key derived;
    tk_err err;

    if (c == TK_COSE_CLASS_KW && r->nested_count > 0) {
        return walk_array(wk, r->nested, r->hdr.alg, depth + 1,
                          (next_step){unwrap_with, &u});
    }
    err = tk_cose_resolve_key(wk->opts, &r->hdr, (tk_alg)r->hdr.alg, &key);
    if (err != TK_OK) {
        return err;
    }
    wk->key_found = true;
    switch (c) {
    case TK_COSE_CLASS_DIRECT:
        if (key->kty != TK_KTY_SYMMETRIC ||
            (want != 0 &&
             tk_cose_alg_class_of(target_alg) != TK_COSE_CLASS_MAC &&
             key->k_len != want)) {
            return TK_ERR_COSE_KEY_MISMATCH;
        }
        return next.fn(next.arg, key, false);
    case TK_COSE_CLASS_KW:
        return unwrap_with(&u, key, false);
    case TK_COSE_CLASS_ECDH_DIRECT:
    case TK_COSE_CLASS_ECDH_KW:
        break;
    default:
        return TK_ERR_COSE_ALG_UNSUPPORTED;
    }
    if (key->kty != TK_KTY_EC2 && key->kty != TK_KTY_OKP) {
        return TK_ERR_COSE_KEY_MISMATCH;
    }
    tk_key_init(&derived);
    if (c == TK_COSE_CLASS_ECDH_DIRECT) {
        err = ecdh_recipient_key(wk, r, key, target_alg, want, &derived);
        if (err == TK_OK) {
            err = next.fn(next.arg, &derived, false);
        }
    } else {
        tk_alg wrap = tk_cose_ecdh_wrap_alg(r->hdr.alg);

        err = ecdh_recipient_key(wk, r, key, wrap, tk_crypto_key_size(wrap),
                                 &derived);
        if (err == TK_OK) {
            err = unwrap_with(&u, &derived, false);
        }
    }
    tk_key_release(&derived);
    return err;
}

static tk_err walk_array(walk *wk, tk_view recipients, int64_t target_alg,
                         unsigned depth, next_step next)
{
    tk_cbor_dec dec;
    tk_err first = TK_OK;
    tk_err err;

    if (depth > TK_COSE_MAX_RECIPIENT_DEPTH) {
        return TK_ERR_COSE_TOO_MANY_RECIPIENTS;
    }
    tk_cbor_dec_init(&dec, recipients.ptr, recipients.len, 0);
    err = tk_cbor_dec_enter_array(&dec, NULL);
    while (err == TK_OK && tk_cbor_dec_more(&dec)) {
        recipient r;

        tk_err result;

        err = recipient_read(&dec, recipients.ptr, wk->opts, &r);
        if (err != TK_OK) {
            return tk_cose_map_err(err);
        }
        result = run_recipient(wk, &r, target_alg, depth, next);
        if (result == TK_OK || wk->stop || !skippable(result)) {
            return result;
        }
        if (first == TK_OK || first == TK_ERR_COSE_KEY_NOT_FOUND) {
            first = result;
        }
    }
    if (err == TK_OK) {
        err = tk_cose_map_err(tk_cbor_dec_error(&dec));
    }
    return err != TK_OK ? err : first;
}

/* Final step of the walk: hands the content key to the caller's check. */
static tk_err try_content(void *arg, const tk_key *key, bool verified)
{
    walk *wk = arg;
    tk_err err;

    if (wk->try_fn == NULL) {
        *wk->cek_out = *key;
        /* The copy must not share the backend cache of key. */
        wk->cek_out->backend = NULL;
        wk->cek_out->backend_free = NULL;
        wk->cek_out->backend_owner = NULL;
        return TK_OK;
    }
    err = wk->try_fn(wk->try_arg, key);
    if (err == TK_ERR_COSE_DECRYPT_FAILED || err == TK_ERR_COSE_MAC_INVALID) {
        if (wk->auth_err == TK_OK) {
            wk->auth_err = err;
        }
        /* A key that passed an unwrap check is the sender's key, so the
         * content itself is bad: no other recipient can help. */
        wk->stop = verified;
    }
    return err;
}

tk_err tk_cose_recipients_key(const tk_crypto *crypto, tk_view recipients,
                              const tk_cose_opts *opts, int64_t content_alg,
                              tk_cose_content_try_fn try_fn, void *arg,
                              tk_key *cek)
{
    walk wk = {crypto, opts, try_fn, arg, cek, false, false, TK_OK};
    tk_err err;

    if (try_fn == NULL && cek == NULL) {
        return TK_ERR_INVALID_ARG;
    }
    err = walk_array(&wk, recipients, content_alg, 1,
                     (next_step){try_content, &wk});
    if (err == TK_OK || !skippable(err)) {
        return err;
    }
    if (wk.auth_err != TK_OK) {
        return wk.auth_err;
    }
    return wk.key_found ? TK_ERR_COSE_NO_RECIPIENT
                        : TK_ERR_COSE_KEY_NOT_FOUND;
}

/* ---------------------------------------------------------------------- */
/* Encryption side: writing the recipients                                */
/* ---------------------------------------------------------------------- */

/* Checks a recipient being built and returns its class. */
static tk_err check_recipient_params(const tk_cose_recipient_params *rp,
                                     tk_cose_alg_class *c)
{
    *c = tk_cose_alg_class_of(rp->alg);
    if (rp->key == NULL || (rp->kid.ptr == NULL && rp->kid.len > 0) ||
        (rp->salt.ptr == NULL && rp->salt.len > 0)) {
        return TK_ERR_INVALID_ARG;
    }
    switch (*c) {
    case TK_COSE_CLASS_DIRECT:
    case TK_COSE_CLASS_KW:
        return rp->key->kty == TK_KTY_SYMMETRIC ? TK_OK
                                                : TK_ERR_COSE_KEY_MISMATCH;
    case TK_COSE_CLASS_ECDH_DIRECT:
    case TK_COSE_CLASS_ECDH_KW:
        if (rp->key->kty != TK_KTY_EC2 && rp->key->kty != TK_KTY_OKP) {
            return TK_ERR_COSE_KEY_MISMATCH;
        }
        if (rp->ephemeral != NULL &&
            (rp->ephemeral->kty != rp->key->kty ||
             rp->ephemeral->crv != rp->key->crv)) {
            return TK_ERR_COSE_KEY_MISMATCH;
        }
        return TK_OK;
    default:
        return TK_ERR_COSE_ALG_UNSUPPORTED;
    }
}

/* Wraps cek with kek under alg into the writer as the ciphertext bstr. */
static tk_err write_wrapped(tk_cose_writer *w, const tk_crypto *crypto,
                            tk_alg alg, const tk_key *kek, const tk_key *cek)
{
    size_t len = cek->k_len + TK_CRYPTO_KW_OVERHEAD;
    size_t written = 0;
    uint8_t *dst;
    tk_err err;

    tk_cose_w_head(w, TK_COSE_MAJOR_BSTR, len);
    dst = tk_cose_w_reserve(w, len);
    if (dst == NULL) {
        return TK_OK; /* only measuring: the buffer is too small */
    }
    err = crypto->key_wrap(crypto->ctx, alg, kek,
                           (tk_view){cek->k, cek->k_len}, dst, len,
                           &written);
    if (err == TK_OK && written != len) {
        err = TK_ERR_INTERNAL;
    }
    return err;
}

/*
 * Writes an ECDH-ES recipient: protected {alg}, unprotected {ephemeral
 * key, salt, kid}, and an empty ciphertext (direct, where the derived key
 * becomes *cek) or the wrapped *cek.
 */
static tk_err write_ecdh(tk_cose_writer *w, const tk_crypto *crypto,
                         const tk_cose_build *build,
                         const tk_cose_recipient_params *rp,
                         int64_t content_alg, tk_key *cek)
{
    uint8_t prot_buf[16];
    tk_cose_writer pw;
    tk_cose_hdr_out prot = {.has_alg = true, .alg = rp->alg};
    tk_cose_hdr_out unprot = {.salt = rp->salt, .kid = rp->kid};
    tk_view prot_map;
    tk_key eph;
    const tk_key *ephemeral = rp->ephemeral;
    tk_key derived;
    kdf_input in;
    bool direct = tk_cose_alg_class_of(rp->alg) == TK_COSE_CLASS_ECDH_DIRECT;
    tk_alg wrap = tk_cose_ecdh_wrap_alg(rp->alg);
    tk_err err = TK_OK;

    tk_key_init(&eph);
    tk_key_init(&derived);
    if (ephemeral == NULL) {
        err = crypto->key_generate(crypto->ctx, rp->key->crv, &eph);
        ephemeral = &eph;
    }
    /* The protected map is small; encode it apart so that the KDF context
     * can use it even when the output only measures. */
    tk_cose_w_init(&pw, prot_buf, sizeof(prot_buf));
    tk_cose_w_header_map(&pw, &prot);
    prot_map = (tk_view){prot_buf, pw.len};
    if (err == TK_OK && (pw.err != TK_OK || pw.len > pw.cap)) {
        err = TK_ERR_INTERNAL;
    }
    if (err == TK_OK) {
        in = (kdf_input){
            .hash = tk_cose_ecdh_hash(rp->alg),
            .alg_id = direct ? content_alg : wrap,
            .key_len = direct ? tk_cose_content_key_size(content_alg)
                              : tk_crypto_key_size(wrap),
            .prot = prot_map,
            .hdr = NULL,
            .salt = rp->salt,
            .supp_pub_other = build->kdf_supp_pub_other,
            .supp_priv = build->kdf_supp_priv_info,
        };
        err = ecdh_derive(crypto, ephemeral, rp->key, &in, &derived);
    }
    if (err == TK_OK) {
        unprot.ephemeral = ephemeral;
        tk_cose_w_head(w, TK_COSE_MAJOR_ARRAY, 3);
        tk_cose_w_bstr(w, prot_map);
        tk_cose_w_header_map(w, &unprot);
        if (direct) {
            tk_cose_w_head(w, TK_COSE_MAJOR_BSTR, 0);
            *cek = derived;
            tk_key_init(&derived);
        } else {
            err = write_wrapped(w, crypto, wrap, &derived, cek);
        }
    }
    tk_key_release(&derived);
    tk_key_release(&eph);
    return err;
}

/* Writes a direct or AES key wrap recipient: an empty protected header,
 * {alg, kid}, and an empty ciphertext or the wrapped content key. */
static tk_err write_symmetric(tk_cose_writer *w, const tk_crypto *crypto,
                              const tk_cose_recipient_params *rp,
                              const tk_key *cek)
{
    tk_cose_hdr_out unprot = {.has_alg = true, .alg = rp->alg,
                              .kid = rp->kid};

    tk_cose_w_head(w, TK_COSE_MAJOR_ARRAY, 3);
    tk_cose_w_head(w, TK_COSE_MAJOR_BSTR, 0);
    tk_cose_w_header_map(w, &unprot);
    if (rp->alg == TK_COSE_ALG_DIRECT) {
        tk_cose_w_head(w, TK_COSE_MAJOR_BSTR, 0);
        return TK_OK;
    }
    return write_wrapped(w, crypto, (tk_alg)rp->alg, rp->key, cek);
}

/* Chooses the content key of a message whose recipients wrap it: the
 * caller's build->cek or a random key. */
static tk_err choose_cek(const tk_crypto *crypto, const tk_cose_build *build,
                         size_t size, tk_key *cek)
{
    uint8_t k[TK_CRYPTO_MAX_SYMMETRIC_SIZE];
    tk_err err;

    if (build->cek.len > 0) {
        if (build->cek.ptr == NULL) {
            return TK_ERR_INVALID_ARG;
        }
        if (build->cek.len != size) {
            return TK_ERR_COSE_KEY_MISMATCH;
        }
        return tk_key_init_symmetric(cek, build->cek);
    }
    if (size == 0 || size > sizeof(k)) {
        return TK_ERR_COSE_ALG_UNSUPPORTED;
    }
    err = crypto->random(crypto->ctx, k, size);
    if (err == TK_OK) {
        err = tk_key_init_symmetric(cek, (tk_view){k, size});
    }
    tk_crypto_wipe(k, sizeof(k));
    return err;
}

tk_err tk_cose_w_recipients(tk_cose_writer *w, const tk_crypto *crypto,
                            const tk_cose_build *build, int64_t content_alg,
                            tk_key *cek)
{
    size_t size = tk_cose_content_key_size(content_alg);
    tk_cose_alg_class first;
    tk_err err;

    if (build->recipients == NULL || build->recipient_count == 0) {
        return TK_ERR_INVALID_ARG;
    }
    if (build->recipient_count > TK_COSE_MAX_RECIPIENTS) {
        return TK_ERR_COSE_TOO_MANY_RECIPIENTS;
    }
    for (size_t i = 0; i < build->recipient_count; i++) {
        tk_cose_alg_class c;

        err = check_recipient_params(&build->recipients[i], &c);
        if (err != TK_OK) {
            return err;
        }
        if ((c == TK_COSE_CLASS_DIRECT || c == TK_COSE_CLASS_ECDH_DIRECT) &&
            build->recipient_count != 1) {
            /* The content key is the recipient's own key, so it cannot
             * reach a second recipient (RFC 9052 section 5.1). */
            return TK_ERR_INVALID_ARG;
        }
    }
    first = tk_cose_alg_class_of(build->recipients[0].alg);
    tk_key_release(cek);
    if (first == TK_COSE_CLASS_DIRECT) {
        const tk_key *k = build->recipients[0].key;

        if (tk_cose_alg_class_of(content_alg) != TK_COSE_CLASS_MAC &&
            k->k_len != size) {
            return TK_ERR_COSE_KEY_MISMATCH;
        }
        err = tk_key_init_symmetric(cek, (tk_view){k->k, k->k_len});
    } else if (first != TK_COSE_CLASS_ECDH_DIRECT) {
        err = choose_cek(crypto, build, size, cek);
    } else {
        err = TK_OK;
    }
    if (err != TK_OK) {
        return err;
    }
    tk_cose_w_head(w, TK_COSE_MAJOR_ARRAY, build->recipient_count);
    for (size_t i = 0; err == TK_OK && i < build->recipient_count; i++) {
        const tk_cose_recipient_params *rp = &build->recipients[i];
        tk_cose_alg_class c = tk_cose_alg_class_of(rp->alg);

        if (c == TK_COSE_CLASS_ECDH_DIRECT || c == TK_COSE_CLASS_ECDH_KW) {
            err = write_ecdh(w, crypto, build, rp, content_alg, cek);
        } else {
            err = write_symmetric(w, crypto, rp, cek);
        }
    }
    if (err != TK_OK) {
        tk_key_release(cek);
    }
    return err;
}
