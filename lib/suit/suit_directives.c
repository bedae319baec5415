/*
 * Directives with effects on components (draft-ietf-suit-manifest-37
 * section 8.4.10, draft-ietf-suit-trust-domains-11 section 5.6,
 * draft-ietf-suit-update-management-14 section 5): fetch, copy, write,
 * swap, invoke, unlink, wait and process-dependency.
 *
 * Fetch, copy and write stream their bytes through a sink that decrypts
 * them when suit-parameter-encryption-info is set
 * (draft-ietf-suit-firmware-encryption-24), enforces
 * suit-parameter-image-size, digests what it writes and hands it to the
 * platform. An AES-GCM or ChaCha20/Poly1305 tag is checked at the end,
 * before write_end() completes the image, so an image whose tag fails is
 * dropped.
 */
#include "suit_internal.h"

_Static_assert(TK_SUIT_AAD_SIZE >= TK_COSE_ENC_STRUCTURE_SIZE(88, 0),
               "TK_SUIT_AAD_SIZE must hold an Enc_structure with a "
               "protected header of 88 bytes");

/* The members of a sink that sink_open() clears; the cipher state and the
 * buffers after them are set before they are read. */
#if TK_SUIT_WITH_DECRYPTION
#define SINK_CLEARED offsetof(struct tk_suit_sink, cipher)
#else
#define SINK_CLEARED sizeof(struct tk_suit_sink)
#endif

/* Writes plaintext to the destination: size limit, digest, platform. */
static tk_err sink_emit(tk_suit_sink *s, const uint8_t *data, size_t len)
{
    tk_suit_processor *proc = s->ex->proc;
    const tk_suit_platform *pf = proc->cfg.platform;
    const tk_crypto *crypto = proc->cfg.crypto;
    tk_err e;
    if (len == 0)
        return TK_OK;
    if (s->has_limit && (len > s->limit || s->written > s->limit - len))
        return TK_ERR_SUIT_IMAGE_SIZE;
    if (s->hashing) {
        e = crypto->hash_update(crypto->ctx, &proc->work.hash, data, len);
        if (e != TK_OK)
            return e;
    }
    e = pf->write(pf->ctx, &s->comp, s->written, data, len);
    if (e != TK_OK)
        return e;
    s->written += len;
    return TK_OK;
}

#if TK_SUIT_WITH_DECRYPTION
/* Decrypts len bytes of ciphertext and emits the plaintext in chunks. */
static tk_err sink_decrypt(tk_suit_sink *s, const uint8_t *data, size_t len)
{
    const tk_crypto *crypto = s->ex->proc->cfg.crypto;
    while (len > 0) {
        size_t n = len < sizeof(s->plain) ? len : sizeof(s->plain);
        tk_err e = crypto->cipher_update(crypto->ctx, &s->cipher, data, n,
                                         s->plain);
        if (e != TK_OK) {
            s->decrypting = false; /* the backend released the state */
            return e;
        }
        e = sink_emit(s, s->plain, n);
        tk_crypto_wipe(s->plain, n);
        if (e != TK_OK)
            return e;
        data += n;
        len -= n;
    }
    return TK_OK;
}

/*
 * Feeds AEAD ciphertext, holding back the last 16 bytes seen, which may be
 * the tag: only bytes that are certainly ciphertext are decrypted.
 */
static tk_err sink_aead(tk_suit_sink *s, const uint8_t *data, size_t len)
{
    size_t tag = sizeof(s->hold);
    if (s->hold_len + len <= tag) {
        memcpy(s->hold + s->hold_len, data, len);
        s->hold_len += len;
        return TK_OK;
    }
    size_t emit = s->hold_len + len - tag;
    size_t from_hold = emit < s->hold_len ? emit : s->hold_len;
    tk_err e = sink_decrypt(s, s->hold, from_hold);
    if (e != TK_OK)
        return e;
    memmove(s->hold, s->hold + from_hold, s->hold_len - from_hold);
    s->hold_len -= from_hold;
    size_t from_data = emit - from_hold;
    e = sink_decrypt(s, data, from_data);
    if (e != TK_OK)
        return e;
    memcpy(s->hold + s->hold_len, data + from_data, len - from_data);
    s->hold_len += len - from_data;
    return TK_OK;
}

/* Takes ciphertext: collects it for a one-shot AEAD, or decrypts it. */
static tk_err sink_cipher_write(tk_suit_sink *s, const uint8_t *data,
                                size_t len)
{
    if (s->oneshot) {
        if (len > s->cap - s->len)
            return TK_ERR_SUIT_WORK_BUFFER;
        if (len > 0)
            memcpy(s->buf + s->len, data, len);
        s->len += len;
        return TK_OK;
    }
    return s->aead ? sink_aead(s, data, len) : sink_decrypt(s, data, len);
}

/* Maps an error of tk_cose_decrypt_prepare to the SUIT error. */
static tk_err decrypt_err(tk_err e)
{
    switch (e) {
    case TK_ERR_COSE_KEY_NOT_FOUND:
    case TK_ERR_COSE_NO_RECIPIENT:
    case TK_ERR_COSE_DECRYPT_FAILED:
    case TK_ERR_CRYPTO_UNWRAP_INVALID:
    case TK_ERR_CRYPTO_KEY_MISMATCH:
    case TK_ERR_COSE_KEY_MISMATCH:
        return TK_ERR_SUIT_DECRYPT;
    case TK_ERR_CRYPTO_UNSUPPORTED_ALG:
        return e;
    default:
        return TK_ERR_SUIT_ENCRYPTION_INFO;
    }
}

/*
 * Prepares one-shot decryption with the content key ck (moved into the
 * sink), whose AAD tk_cose_decrypt_prepare() built in s->aad: the free
 * part of the processor's work buffer collects the ciphertext.
 */
static tk_err oneshot_open(tk_suit_sink *s, tk_cose_content_key *ck)
{
    tk_suit_processor *proc = s->ex->proc;
    if (proc->cfg.work == NULL || proc->work_used >= proc->cfg.work_len ||
        ck->iv_len > sizeof(s->iv)) {
        tk_key_release(&ck->cek);
        return TK_ERR_SUIT_WORK_BUFFER;
    }
    s->cek = ck->cek; /* the sink owns the key from here */
    memcpy(s->iv, ck->iv, ck->iv_len);
    s->iv_len = ck->iv_len;
    s->aad_len = ck->aad.len;
    s->oneshot_alg = ck->alg;
    s->buf = proc->cfg.work + proc->work_used;
    s->cap = proc->cfg.work_len - proc->work_used;
    s->len = 0;
    s->oneshot = true;
    return TK_OK;
}

/* Decrypts the collected ciphertext in place and writes the plaintext;
 * releases the key and wipes the buffer whatever the result. */
static tk_err oneshot_close(tk_suit_sink *s, tk_err status)
{
    const tk_crypto *crypto = s->ex->proc->cfg.crypto;
    size_t plain_len = 0;
    if (status == TK_OK) {
        tk_view iv = {s->iv, s->iv_len};
        tk_view aad = {s->aad, s->aad_len};
        tk_view in = {s->buf, s->len};
        tk_err e = s->len < TK_CRYPTO_AEAD_TAG_SIZE
                       ? TK_ERR_CRYPTO_TAG_INVALID
                       : crypto->aead_decrypt(crypto->ctx, s->oneshot_alg,
                                              &s->cek, iv, aad, in, s->buf,
                                              s->cap, &plain_len);
        if (e == TK_ERR_CRYPTO_TAG_INVALID || e == TK_ERR_CRYPTO_INPUT_LENGTH)
            status = TK_ERR_SUIT_DECRYPT;
        else if (e != TK_OK)
            status = e;
        else
            status = sink_emit(s, s->buf, plain_len);
    }
    if (s->buf != NULL)
        tk_crypto_wipe(s->buf, s->len);
    tk_key_release(&s->cek);
    tk_crypto_wipe(s->aad, sizeof(s->aad));
    s->oneshot = false;
    return status;
}

/* Starts the content cipher of an encryption info. */
static tk_err cipher_open(tk_suit_sink *s, tk_view info)
{
    tk_suit_processor *proc = s->ex->proc;
    const tk_suit_loaded *m = &proc->manifests[s->ex->manifest];
    const tk_crypto *crypto = proc->cfg.crypto;
    tk_suit_key_ctx kc;
    tk_cose_opts opts;
    tk_cose_content_key ck;

    memset(&kc, 0, sizeof(kc));
    kc.find_key = proc->cfg.platform->find_key;
    kc.ctx = proc->cfg.platform->ctx;
    kc.req.use = TK_SUIT_KEY_DECRYPTION;
    kc.req.depth = m->depth;
    kc.req.storage_id = m->storage_id;
    memset(&opts, 0, sizeof(opts));
    opts.lookup = tk_suit_key_lookup;
    opts.lookup_arg = &kc;
    opts.kdf_supp_pub_other = TK_VIEW_STR(TK_SUIT_KDF_OTHER);
    memset(&ck, 0, sizeof(ck));

    /* The AAD is built in the sink, where the cipher finds it. */
    tk_err e = tk_cose_decrypt_prepare(crypto, info, &opts, s->aad,
                                       sizeof(s->aad), &ck);
    if (kc.callback_err != TK_OK)
        return kc.callback_err;
    if (e != TK_OK)
        return decrypt_err(e);
    if (!ck.detached) {
        /* SUIT encryption info always describes a detached payload. */
        tk_key_release(&ck.cek);
        return TK_ERR_SUIT_ENCRYPTION_INFO;
    }
    switch (ck.alg) {
    case TK_ALG_A128GCM:
    case TK_ALG_A192GCM:
    case TK_ALG_A256GCM:
        s->aead = true;
        break;
    case TK_ALG_A128CTR:
    case TK_ALG_A192CTR:
    case TK_ALG_A256CTR:
        s->aead = false;
        break;
    case TK_ALG_CHACHA20_POLY1305:
        s->aead = true;
        break;
    default:
        tk_key_release(&ck.cek);
        return TK_ERR_SUIT_ENCRYPTION_INFO;
    }
    tk_view iv = {ck.iv, ck.iv_len};
    e = crypto->cipher_start(crypto->ctx, &s->cipher, ck.alg, &ck.cek, iv,
                             ck.aad, TK_CRYPTO_DECRYPT);
    if (e == TK_ERR_CRYPTO_UNSUPPORTED_ALG &&
        ck.alg == TK_ALG_CHACHA20_POLY1305) {
        /* A backend that cannot stream ChaCha20/Poly1305 decrypts it in
         * one piece in the work buffer. */
        s->aead = false;
        return oneshot_open(s, &ck);
    }
    tk_key_release(&ck.cek);
    tk_crypto_wipe(s->aad, sizeof(s->aad));
    if (e != TK_OK)
        return e;
    s->decrypting = true;
    return TK_OK;
}

/* Ends the content cipher with the operation's status: checks the AEAD
 * tag. Returns the final status. */
static tk_err cipher_close(tk_suit_sink *s, tk_err status)
{
    const tk_crypto *crypto = s->ex->proc->cfg.crypto;
    if (s->oneshot)
        status = oneshot_close(s, status);
    if (s->decrypting) {
        if (status == TK_OK) {
            tk_view tag = {s->hold, s->aead ? s->hold_len : 0};
            if (s->aead && s->hold_len != sizeof(s->hold))
                status = TK_ERR_SUIT_DECRYPT;
            tk_err e = crypto->cipher_finish(crypto->ctx, &s->cipher,
                                             status == TK_OK
                                                 ? tag
                                                 : (tk_view){NULL, 0},
                                             NULL, 0);
            if (status == TK_OK && e != TK_OK)
                status = e == TK_ERR_CRYPTO_TAG_INVALID ? TK_ERR_SUIT_DECRYPT
                                                        : e;
        } else {
            crypto->cipher_abort(crypto->ctx, &s->cipher);
        }
        s->decrypting = false;
    }
    tk_crypto_wipe(s->hold, sizeof(s->hold));
    return status;
}

#else /* !TK_SUIT_WITH_DECRYPTION */

/* The encryption info parameter is rejected when it is set, so these run
 * on no sink. */
static tk_err sink_cipher_write(tk_suit_sink *s, const uint8_t *data,
                                size_t len)
{
    (void)s;
    (void)data;
    (void)len;
    return TK_ERR_SUIT_PARAMETER_UNSUPPORTED;
}

static tk_err cipher_open(tk_suit_sink *s, tk_view info)
{
    (void)s;
    (void)info;
    return TK_ERR_SUIT_PARAMETER_UNSUPPORTED;
}

static tk_err cipher_close(tk_suit_sink *s, tk_err status)
{
    (void)s;
    return status;
}

#endif /* TK_SUIT_WITH_DECRYPTION */

tk_err tk_suit_sink_write(tk_suit_sink *sink, const uint8_t *data,
                          size_t len)
{
    if (sink == NULL || (data == NULL && len > 0))
        return TK_ERR_INVALID_ARG;
    if (sink->err != TK_OK)
        return sink->err;
    tk_err e;
    if (sink->decrypting || sink->oneshot)
        e = sink_cipher_write(sink, data, len);
    else
        e = sink_emit(sink, data, len);
    sink->err = e;
    return e;
}

/*
 * Opens the processor's sink to write component index: invalidates the
 * processor's cached state of the component, starts the digest and the
 * cipher and calls write_begin(). size is the expected plaintext size or
 * UINT64_MAX. Returns the sink in *out.
 */
static tk_err sink_open(tk_suit_exec *ex, uint32_t index, uint64_t size,
                        tk_suit_sink **out)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_platform *pf = proc->cfg.platform;
    const tk_crypto *crypto = proc->cfg.crypto;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_sink *s = &proc->work.u.sink;
    tk_suit_param_value v;
    tk_err e;

    memset(s, 0, SINK_CLEARED);
    *out = s;
    s->ex = ex;
    s->entry = m->params_of[index];
    tk_suit_component_of(ex, index, &s->comp);
    tk_suit_component_invalidate(proc, s->entry);
    if (pf->write_begin == NULL || pf->write == NULL ||
        pf->write_end == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    if (tk_suit_param_get(p, TK_SUIT_P_IMAGE_SIZE, &v)) {
        s->has_limit = true;
        s->limit = v.num;
    }
    s->hash_alg = TK_ALG_SHA256;
    if (tk_suit_param_get(p, TK_SUIT_P_IMAGE_DIGEST, &v)) {
        tk_suit_digest d;
        if (tk_suit_digest_decode(v.bytes, &d) == TK_OK)
            s->hash_alg = d.alg;
    }
    if (tk_suit_param_get(p, TK_SUIT_P_ENCRYPTION_INFO, &v)) {
        e = cipher_open(s, v.bytes);
        if (e != TK_OK)
            return e;
        size = UINT64_MAX;
    }
    /* The digest of the written image is kept for a later image match,
     * unless the platform computes digests itself. */
    e = TK_OK;
    if (pf->digest == NULL) {
        e = crypto->hash_start(crypto->ctx, &proc->work.hash,
                               (tk_alg)s->hash_alg);
        s->hashing = e == TK_OK;
    }
    if (e == TK_OK)
        e = pf->write_begin(pf->ctx, &s->comp, size);
    if (e != TK_OK) {
        if (s->hashing)
            crypto->hash_abort(crypto->ctx, &proc->work.hash);
        s->hashing = false;
        cipher_close(s, e);
        return e;
    }
    return TK_OK;
}

/*
 * Closes a sink with the operation's status: checks the AEAD tag, keeps
 * the digest of the written image, and completes or drops the image.
 * Returns the final status.
 */
static tk_err sink_close(tk_suit_sink *s, tk_err status)
{
    tk_suit_processor *proc = s->ex->proc;
    const tk_suit_platform *pf = proc->cfg.platform;
    const tk_crypto *crypto = proc->cfg.crypto;
    tk_suit_params *p = &proc->params[s->entry];
    uint8_t digest[TK_CRYPTO_MAX_HASH_SIZE];
    size_t len = 0;

    if (status == TK_OK)
        status = s->err;
    status = cipher_close(s, status);
    if (s->hashing) {
        if (status == TK_OK) {
            tk_err e = crypto->hash_finish(crypto->ctx, &proc->work.hash,
                                           digest, sizeof(digest), &len);
            if (e != TK_OK)
                status = e;
        } else {
            crypto->hash_abort(crypto->ctx, &proc->work.hash);
        }
        s->hashing = false;
    }
    tk_err e = pf->write_end(pf->ctx, &s->comp, status);
    if (status == TK_OK)
        status = e;
    if (status == TK_OK && len > 0 && len <= sizeof(p->cached_digest)) {
        memcpy(p->cached_digest, digest, len);
        p->cached_len = (uint8_t)len;
        p->cached_alg = s->hash_alg;
        p->digest_valid = 1;
    }
    return status;
}

/* Finds the integrated payload whose key equals uri in the running
 * manifest's envelope. */
static bool integrated_find(tk_suit_exec *ex, tk_view uri, tk_view *data)
{
    const tk_suit_envelope *env = &ex->proc->manifests[ex->manifest].env;
    for (size_t i = 0; i < env->integrated_count; i++) {
        if (tk_suit_view_eq(env->integrated[i].key, uri)) {
            *data = env->integrated[i].bytes;
            return true;
        }
    }
    return false;
}

/* suit-directive-fetch. */
static tk_err fetch(tk_suit_exec *ex, uint32_t index, tk_suit_record *rec)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_param_value uri;
    tk_suit_param_value v;
    tk_view data = {NULL, 0};
    tk_suit_sink *sink;
    tk_err e;

    if (!tk_suit_param_get(p, TK_SUIT_P_URI, &uri))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_URI;
    rec->param_value = uri.bytes;
    e = tk_suit_check_access(ex, index, TK_SUIT_ACCESS_WRITE);
    if (e != TK_OK)
        return e;
    bool integrated = integrated_find(ex, uri.bytes, &data);
    if (!integrated && uri.bytes.len > 0 && uri.bytes.ptr[0] == '#')
        return TK_ERR_SUIT_INTEGRATED_MISSING;
    if (!integrated && pf->fetch == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;

    uint64_t size = UINT64_MAX;
    if (integrated)
        size = data.len;
    else if (tk_suit_param_get(p, TK_SUIT_P_IMAGE_SIZE, &v))
        size = v.num;
    e = sink_open(ex, index, size, &sink);
    if (e != TK_OK)
        return e;
    if (integrated) {
        e = tk_suit_sink_write(sink, data.ptr, data.len);
    } else {
        tk_suit_fetch_request req;
        memset(&req, 0, sizeof(req));
        req.component = &sink->comp;
        req.uri = uri.bytes;
        if (tk_suit_param_get(p, TK_SUIT_P_FETCH_ARGS, &v))
            req.fetch_args = v.bytes;
        req.has_size = sink->has_limit;
        req.size = sink->limit;
        e = pf->fetch(pf->ctx, &req, sink);
    }
    bool plain = !sink->decrypting && !sink->oneshot;
    e = sink_close(sink, e);
    if (e == TK_OK && integrated && plain)
        p->image_view = data;
    return e;
}

/* Sink adapter for tk_suit_component_read(). */
static tk_err copy_sink(void *arg, const uint8_t *data, size_t len)
{
    return tk_suit_sink_write(arg, data, len);
}

/* Describes the component of parameter entry `entry` to the platform. */
static void component_of_entry(tk_suit_processor *proc, uint8_t entry,
                               uint32_t index, tk_suit_component *c)
{
    const tk_suit_params *p = &proc->params[entry];
    tk_suit_param_value slot;
    memset(c, 0, sizeof(*c));
    c->id = p->component_id;
    c->index = index;
    if (tk_suit_param_get(p, TK_SUIT_P_COMPONENT_SLOT, &slot)) {
        c->has_slot = true;
        c->slot = slot.num;
    }
}

/* Resolves suit-parameter-source-component of index: its parameter entry
 * and platform description. */
static tk_err source_of(tk_suit_exec *ex, uint32_t index, uint8_t *entry,
                        tk_suit_component *c, tk_suit_record *rec)
{
    tk_suit_processor *proc = ex->proc;
    tk_suit_param_value src;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    if (!tk_suit_param_get(tk_suit_params_of(ex, index),
                           TK_SUIT_P_SOURCE_COMPONENT, &src))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_SOURCE_COMPONENT;
    tk_err e = tk_suit_params_entry(proc, src.bytes, entry);
    if (e != TK_OK)
        return e;
    if (*entry == m->params_of[index])
        return TK_ERR_SUIT_COMMAND_NOT_ALLOWED;
    component_of_entry(proc, *entry, (uint32_t)src.num, c);
    return TK_OK;
}

/* Checks access to a source component named by an identifier, through
 * its index in the running manifest. */
static tk_err source_access(tk_suit_exec *ex, const tk_suit_component *src,
                            tk_suit_access access)
{
    const tk_suit_manifest *m = &ex->proc->manifests[ex->manifest].manifest;
    for (uint32_t i = 0; i < m->component_count; i++)
        if (tk_suit_view_eq(m->components[i], src->id))
            return tk_suit_check_access(ex, i, access);
    /* A component this manifest does not list, named through a parameter
     * its dependent set: the manifest may not touch it. */
    return TK_ERR_SUIT_COMPONENT_UNAUTHORIZED;
}

/* suit-directive-copy. */
static tk_err copy(tk_suit_exec *ex, uint32_t index, tk_suit_record *rec)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_platform *pf = proc->cfg.platform;
    tk_suit_component src;
    tk_suit_component_info info;
    tk_suit_sink *sink;
    uint8_t src_entry = 0;

    tk_err e = source_of(ex, index, &src_entry, &src, rec);
    if (e == TK_OK)
        e = source_access(ex, &src, TK_SUIT_ACCESS_READ);
    if (e == TK_OK)
        e = tk_suit_check_access(ex, index, TK_SUIT_ACCESS_WRITE);
    if (e != TK_OK)
        return e;
    memset(&info, 0, sizeof(info));
    e = pf->stat(pf->ctx, &src, &info);
    if (e != TK_OK)
        return e;
    if (!info.present)
        return TK_ERR_SUIT_COMPONENT_ABSENT;
    e = sink_open(ex, index, info.size, &sink);
    if (e != TK_OK)
        return e;
    const tk_suit_params *sp = &proc->params[src_entry];
    if (sp->image_view.len == info.size && sp->image_view.ptr != NULL)
        e = tk_suit_sink_write(sink, sp->image_view.ptr, sp->image_view.len);
    else
        e = tk_suit_component_read(ex, &src, info.size, copy_sink, sink);
    return sink_close(sink, e);
}

/* suit-directive-write. */
static tk_err write_content(tk_suit_exec *ex, uint32_t index,
                            tk_suit_record *rec)
{
    tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_param_value content;
    tk_suit_sink *sink;
    if (!tk_suit_param_get(p, TK_SUIT_P_CONTENT, &content))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_CONTENT;
    rec->param_value = content.bytes;
    tk_err e = tk_suit_check_access(ex, index, TK_SUIT_ACCESS_WRITE);
    if (e != TK_OK)
        return e;
    e = sink_open(ex, index, content.bytes.len, &sink);
    if (e != TK_OK)
        return e;
    bool plain = !sink->decrypting && !sink->oneshot;
    e = tk_suit_sink_write(sink, content.bytes.ptr, content.bytes.len);
    e = sink_close(sink, e);
    if (e == TK_OK && plain)
        p->image_view = content.bytes;
    return e;
}

/* suit-directive-swap. */
static tk_err swap(tk_suit_exec *ex, uint32_t index, tk_suit_record *rec)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_platform *pf = proc->cfg.platform;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    tk_suit_component dst;
    tk_suit_component src;
    tk_suit_component_info info;
    uint8_t src_entry = 0;

    tk_err e = source_of(ex, index, &src_entry, &src, rec);
    if (e == TK_OK)
        e = source_access(ex, &src, TK_SUIT_ACCESS_WRITE);
    if (e == TK_OK)
        e = tk_suit_check_access(ex, index, TK_SUIT_ACCESS_WRITE);
    if (e != TK_OK)
        return e;
    if (pf->swap == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    memset(&info, 0, sizeof(info));
    e = pf->stat(pf->ctx, &src, &info);
    if (e != TK_OK)
        return e;
    if (!info.present)
        return TK_ERR_SUIT_COMPONENT_ABSENT;
    tk_suit_component_of(ex, index, &dst);
    tk_suit_component_invalidate(proc, m->params_of[index]);
    tk_suit_component_invalidate(proc, src_entry);
    return pf->swap(pf->ctx, &dst, &src);
}

/* suit-directive-invoke. */
static tk_err invoke(tk_suit_exec *ex, uint32_t index, tk_suit_record *rec)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_param_value args;
    tk_suit_component c;
    tk_view arg_view = {NULL, 0};
    tk_err e = tk_suit_check_access(ex, index, TK_SUIT_ACCESS_INVOKE);
    if (e != TK_OK)
        return e;
    if (pf->invoke == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    if (tk_suit_param_get(tk_suit_params_of(ex, index),
                          TK_SUIT_P_INVOKE_ARGS, &args)) {
        arg_view = args.bytes;
        rec->param_key = TK_SUIT_PARAM_INVOKE_ARGS;
        rec->param_value = args.bytes;
    }
    tk_suit_component_of(ex, index, &c);
    ex->proc->invoked = true;
    ex->proc->invoke = *rec;
    return pf->invoke(pf->ctx, &c, arg_view);
}

/* suit-directive-unlink. */
static tk_err unlink_component(tk_suit_exec *ex, uint32_t index)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_component c;
    tk_err e = tk_suit_check_access(ex, index, TK_SUIT_ACCESS_UNLINK);
    if (e != TK_OK)
        return e;
    if (pf->unlink == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    tk_suit_component_of(ex, index, &c);
    tk_suit_component_invalidate(ex->proc,
                                 ex->proc->manifests[ex->manifest]
                                     .params_of[index]);
    return pf->unlink(pf->ctx, &c);
}

/* suit-directive-wait. */
static tk_err wait_event(tk_suit_exec *ex, uint32_t index,
                         tk_suit_record *rec)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_param_value info;
    if (!tk_suit_param_get(tk_suit_params_of(ex, index),
                           TK_SUIT_P_WAIT_INFO, &info))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    rec->param_key = TK_SUIT_PARAM_WAIT_INFO;
    rec->param_value = info.bytes;
    if (pf->wait == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    return pf->wait(pf->ctx, info.bytes);
}

tk_err tk_suit_directive(tk_suit_exec *ex, int64_t label, uint32_t index,
                         tk_suit_record *rec)
{
    switch (label) {
    case TK_SUIT_DIR_FETCH:
        return fetch(ex, index, rec);
    case TK_SUIT_DIR_COPY:
        return copy(ex, index, rec);
    case TK_SUIT_DIR_WRITE:
        return write_content(ex, index, rec);
    case TK_SUIT_DIR_SWAP:
        return swap(ex, index, rec);
    case TK_SUIT_DIR_INVOKE:
        return invoke(ex, index, rec);
    case TK_SUIT_DIR_UNLINK:
        if (!TK_SUIT_WITH_DEPENDENCIES)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        return unlink_component(ex, index);
    case TK_SUIT_DIR_WAIT:
        if (!TK_SUIT_WITH_UPDATE_MANAGEMENT)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        return wait_event(ex, index, rec);
    case TK_SUIT_DIR_PROCESS_DEPENDENCY:
        if (!TK_SUIT_WITH_DEPENDENCIES)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        return tk_suit_dependency_process(ex, index);
    default:
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    }
}
