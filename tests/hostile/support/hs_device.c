/*
 * In-memory SUIT device of the tests; see hs.h. Components are byte arrays
 * keyed by their encoded identifiers. A procedure stages its writes, swaps,
 * unlinks and rollback records, and end(TK_OK) commits them, so a failed
 * procedure can be checked to leave every committed byte unchanged.
 */
#include "hs.h"

#include <stdlib.h>
#include <string.h>

const uint8_t hs_vendor_id[16] = {0xc0, 0xdd, 0xd5, 0xf1, 0x52, 0x43,
                                  0x56, 0x60, 0x87, 0xdb, 0x4f, 0x5b,
                                  0x0a, 0xa2, 0x6c, 0x2f};
const uint8_t hs_class_id[16] = {0xdb, 0x42, 0xf7, 0x09, 0x3d, 0x8c,
                                 0x55, 0xba, 0xa8, 0xc5, 0x26, 0x5f,
                                 0xc5, 0x82, 0x0f, 0x4e};

/* Counts one callback call and tells whether it is the one to fail. */
static bool hit(hs_device *dev, const char *name)
{
    dev->calls++;
    if (dev->fail_at != 0 && dev->calls == dev->fail_at) {
        dev->failed_callback = name;
        return true;
    }
    return false;
}

static void image_free(hs_image *img)
{
    free(img->data);
    img->data = NULL;
    img->len = 0;
    img->present = false;
}

static hs_component *find(hs_device *dev, tk_view id)
{
    for (size_t i = 0; i < dev->ncomps; i++) {
        hs_component *c = &dev->comps[i];
        if (c->id_len == id.len && memcmp(c->id, id.ptr, id.len) == 0)
            return c;
    }
    return NULL;
}

static hs_component *find_or_add(hs_device *dev, tk_view id)
{
    hs_component *c = find(dev, id);
    if (c != NULL)
        return c;
    if (dev->ncomps == HS_DEV_MAX_COMPONENTS || id.len > HS_DEV_MAX_ID)
        return NULL;
    c = &dev->comps[dev->ncomps++];
    memset(c, 0, sizeof *c);
    memcpy(c->id, id.ptr, id.len);
    c->id_len = id.len;
    return c;
}

/* The image that reads of the current procedure see. */
static const hs_image *current(const hs_component *c)
{
    return c->staged_valid ? &c->staged : &c->committed;
}

static void drop_staged(hs_component *c)
{
    if (c->staged_valid)
        image_free(&c->staged);
    c->staged_valid = false;
    c->staged_record_valid = false;
    free(c->wbuf);
    c->wbuf = NULL;
    c->wlen = 0;
    c->writing = false;
}

/* Copies img into the staged image of c. */
static tk_err stage_copy(hs_component *c, const hs_image *img)
{
    hs_image copy = {img->present, NULL, 0};
    if (img->present && img->len > 0) {
        copy.data = malloc(img->len);
        if (copy.data == NULL)
            return TK_ERR_LIMIT;
        memcpy(copy.data, img->data, img->len);
        copy.len = img->len;
    }
    if (c->staged_valid)
        image_free(&c->staged);
    c->staged = copy;
    c->staged_valid = true;
    return TK_OK;
}

static bool key_fits(const tk_key *key, tk_alg alg)
{
    if (tk_crypto_sig_curve(alg) != TK_CRV_NONE)
        return key->crv == tk_crypto_sig_curve(alg);
    if (tk_crypto_hash_size(alg) != 0)
        return key->kty == TK_KTY_SYMMETRIC;
    size_t ksize = tk_crypto_key_size(alg);
    if (ksize != 0)
        return key->kty == TK_KTY_SYMMETRIC && key->k_len == ksize;
    /* ECDH-ES recipients (-25 to -34): an EC2 or OKP private key. */
    if (alg <= -25 && alg >= -34)
        return key->kty != TK_KTY_SYMMETRIC && key->has_private;
    return false;
}

static tk_err cb_find_key(void *ctx, const tk_suit_key_request *req,
                          const tk_key **key)
{
    hs_device *dev = ctx;
    if (hit(dev, "find_key"))
        return dev->fail_err;
    const tk_key *const *list = NULL;
    size_t n = 0;
    if (req->use == TK_SUIT_KEY_MANIFEST) {
        list = dev->manifest_keys;
        n = 4;
    } else if (req->use == TK_SUIT_KEY_DECRYPTION) {
        list = dev->decryption_keys;
        n = 4;
    }
    for (size_t i = 0; i < n; i++) {
        if (list[i] != NULL && key_fits(list[i], req->alg)) {
            *key = list[i];
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err cb_begin(void *ctx, tk_suit_operation op)
{
    hs_device *dev = ctx;
    (void)op;
    if (hit(dev, "begin"))
        return dev->fail_err; /* the procedure does not start */
    for (size_t i = 0; i < dev->ncomps; i++)
        drop_staged(&dev->comps[i]);
    dev->in_procedure = true;
    dev->begins++;
    return TK_OK;
}

static tk_err cb_end(void *ctx, tk_err result)
{
    hs_device *dev = ctx;
    bool fail = hit(dev, "end");
    dev->in_procedure = false;
    if (result != TK_OK || fail) {
        /* A failed end discards like a failed procedure: the platform
         * could not commit. */
        for (size_t i = 0; i < dev->ncomps; i++)
            drop_staged(&dev->comps[i]);
        dev->discards++;
        return fail ? dev->fail_err : TK_OK;
    }
    for (size_t i = 0; i < dev->ncomps; i++) {
        hs_component *c = &dev->comps[i];
        if (c->staged_valid) {
            image_free(&c->committed);
            c->committed = c->staged;
            c->staged_valid = false;
            memset(&c->staged, 0, sizeof c->staged);
        }
        if (c->staged_record_valid) {
            c->has_record = c->staged_has_record;
            c->record = c->staged_record;
            c->staged_record_valid = false;
        }
        free(c->wbuf);
        c->wbuf = NULL;
        c->writing = false;
    }
    dev->commits++;
    return TK_OK;
}

static tk_err cb_stat(void *ctx, const tk_suit_component *sc,
                      tk_suit_component_info *info)
{
    hs_device *dev = ctx;
    memset(info, 0, sizeof *info);
    if (hit(dev, "stat"))
        return dev->fail_err;
    hs_component *c = find(dev, sc->id);
    if (c != NULL && current(c)->present) {
        info->present = true;
        info->size = current(c)->len;
    }
    return TK_OK;
}

static tk_err cb_read(void *ctx, const tk_suit_component *sc, uint64_t offset,
                      uint8_t *buf, size_t len, size_t *out_len)
{
    hs_device *dev = ctx;
    *out_len = 0;
    if (hit(dev, "read"))
        return dev->fail_err;
    hs_component *c = find(dev, sc->id);
    if (c == NULL || !current(c)->present)
        return TK_ERR_NOT_FOUND;
    const hs_image *img = current(c);
    if (offset >= img->len)
        return TK_OK;
    size_t n = img->len - (size_t)offset;
    if (n > len)
        n = len;
    memcpy(buf, img->data + offset, n);
    *out_len = n;
    return TK_OK;
}

static tk_err cb_write_begin(void *ctx, const tk_suit_component *sc,
                             uint64_t size)
{
    hs_device *dev = ctx;
    if (hit(dev, "write_begin"))
        return dev->fail_err;
    if (size != UINT64_MAX && size > HS_DEV_MAX_IMAGE)
        return TK_ERR_LIMIT;
    hs_component *c = find_or_add(dev, sc->id);
    if (c == NULL)
        return TK_ERR_LIMIT;
    free(c->wbuf);
    c->wbuf = NULL;
    c->wlen = 0;
    c->writing = true;
    return TK_OK;
}

static tk_err cb_write(void *ctx, const tk_suit_component *sc, uint64_t offset,
                       const uint8_t *data, size_t len)
{
    hs_device *dev = ctx;
    if (hit(dev, "write"))
        return dev->fail_err;
    hs_component *c = find(dev, sc->id);
    if (c == NULL || !c->writing)
        return TK_ERR_STATE;
    if (offset > HS_DEV_MAX_IMAGE || len > HS_DEV_MAX_IMAGE - offset)
        return TK_ERR_LIMIT;
    size_t end = (size_t)offset + len;
    if (end > c->wlen) {
        uint8_t *p = realloc(c->wbuf, end == 0 ? 1 : end);
        if (p == NULL)
            return TK_ERR_LIMIT;
        memset(p + c->wlen, 0, end - c->wlen);
        c->wbuf = p;
        c->wlen = end;
    }
    if (len > 0)
        memcpy(c->wbuf + offset, data, len);
    return TK_OK;
}

static tk_err cb_write_end(void *ctx, const tk_suit_component *sc,
                           tk_err status)
{
    hs_device *dev = ctx;
    hs_component *c = find(dev, sc->id);
    bool fail = hit(dev, "write_end");
    if (c == NULL || !c->writing)
        return fail ? dev->fail_err : TK_ERR_STATE;
    c->writing = false;
    if (status != TK_OK || fail) {
        free(c->wbuf);
        c->wbuf = NULL;
        c->wlen = 0;
        return fail ? dev->fail_err : TK_OK;
    }
    if (c->staged_valid)
        image_free(&c->staged);
    c->staged.present = true;
    c->staged.data = c->wbuf;
    c->staged.len = c->wlen;
    c->staged_valid = true;
    c->wbuf = NULL;
    c->wlen = 0;
    dev->writes_completed++;
    return TK_OK;
}

static tk_err cb_fetch(void *ctx, const tk_suit_fetch_request *req,
                       tk_suit_sink *sink)
{
    hs_device *dev = ctx;
    if (hit(dev, "fetch"))
        return dev->fail_err;
    dev->fetches++;
    for (size_t i = 0; i < dev->nuris; i++) {
        const hs_uri *u = &dev->uris[i];
        if (strlen(u->uri) != req->uri.len ||
            memcmp(u->uri, req->uri.ptr, req->uri.len) != 0)
            continue;
        /* Push in uneven chunks, as a network would. */
        size_t off = 0;
        while (off < u->len) {
            size_t n = u->len - off < 97 ? u->len - off : 97;
            tk_err err = tk_suit_sink_write(sink, u->data + off, n);
            if (err != TK_OK)
                return err;
            off += n;
        }
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err cb_swap(void *ctx, const tk_suit_component *a,
                      const tk_suit_component *b)
{
    hs_device *dev = ctx;
    if (hit(dev, "swap"))
        return dev->fail_err;
    hs_component *ca = find_or_add(dev, a->id);
    hs_component *cb = find_or_add(dev, b->id);
    if (ca == NULL || cb == NULL)
        return TK_ERR_LIMIT;
    if (ca == cb)
        return TK_OK;
    hs_image ia = {false, NULL, 0};
    tk_err err = TK_OK;
    /* Copy a's current image aside, then stage b's into a and a's into b. */
    if (current(ca)->present && current(ca)->len > 0) {
        ia.data = malloc(current(ca)->len);
        if (ia.data == NULL)
            return TK_ERR_LIMIT;
        memcpy(ia.data, current(ca)->data, current(ca)->len);
        ia.len = current(ca)->len;
    }
    ia.present = current(ca)->present;
    err = stage_copy(ca, current(cb));
    if (err == TK_OK)
        err = stage_copy(cb, &ia);
    image_free(&ia);
    return err;
}

static tk_err cb_invoke(void *ctx, const tk_suit_component *c, tk_view args)
{
    hs_device *dev = ctx;
    (void)c;
    (void)args;
    if (hit(dev, "invoke"))
        return dev->fail_err;
    dev->invokes++;
    return TK_OK;
}

static tk_err cb_unlink(void *ctx, const tk_suit_component *sc)
{
    hs_device *dev = ctx;
    if (hit(dev, "unlink"))
        return dev->fail_err;
    hs_component *c = find(dev, sc->id);
    if (c == NULL)
        return TK_OK;
    hs_image none = {false, NULL, 0};
    return stage_copy(c, &none);
}

static tk_err cb_match_identifier(void *ctx, const tk_suit_component *c,
                                  tk_suit_identifier kind, tk_view id,
                                  bool *match)
{
    hs_device *dev = ctx;
    (void)c;
    *match = false;
    if (hit(dev, "match_identifier"))
        return dev->fail_err;
    const uint8_t *want = kind == TK_SUIT_ID_VENDOR  ? dev->vendor_id
                          : kind == TK_SUIT_ID_CLASS ? dev->class_id
                                                     : dev->device_id;
    *match = id.len == 16 && memcmp(id.ptr, want, 16) == 0;
    return TK_OK;
}

static tk_err cb_version(void *ctx, const tk_suit_component *c, int64_t *parts,
                         size_t *count)
{
    hs_device *dev = ctx;
    (void)c;
    *count = 0;
    if (hit(dev, "version"))
        return dev->fail_err;
    parts[0] = 1;
    parts[1] = 2;
    parts[2] = 3;
    *count = 3;
    return TK_OK;
}

static tk_err cb_battery(void *ctx, uint64_t *mwh)
{
    hs_device *dev = ctx;
    *mwh = 0;
    if (hit(dev, "battery"))
        return dev->fail_err;
    *mwh = 5000;
    return TK_OK;
}

static tk_err cb_authorize(void *ctx, int64_t priority, bool *authorized)
{
    hs_device *dev = ctx;
    *authorized = false;
    if (hit(dev, "authorize"))
        return dev->fail_err;
    *authorized = priority >= 0;
    return TK_OK;
}

static tk_err cb_now(void *ctx, uint64_t *seconds)
{
    hs_device *dev = ctx;
    *seconds = 0;
    if (hit(dev, "now"))
        return dev->fail_err;
    *seconds = 1767225600; /* 2026-01-01 */
    return TK_OK;
}

static tk_err cb_wait(void *ctx, tk_view wait_info)
{
    hs_device *dev = ctx;
    (void)wait_info;
    if (hit(dev, "wait"))
        return dev->fail_err;
    return TK_OK;
}

static tk_err cb_allow(void *ctx, const tk_suit_requester *requester,
                       const tk_suit_component *c, tk_suit_access access,
                       bool *allowed)
{
    hs_device *dev = ctx;
    (void)requester;
    (void)c;
    (void)access;
    *allowed = false;
    if (hit(dev, "allow"))
        return dev->fail_err;
    *allowed = true;
    return TK_OK;
}

static tk_err cb_get_installed(void *ctx, tk_view id, tk_suit_installed *out)
{
    hs_device *dev = ctx;
    if (hit(dev, "get_installed"))
        return dev->fail_err;
    hs_component *c = find(dev, id);
    if (c == NULL)
        return TK_ERR_NOT_FOUND;
    bool has = c->staged_record_valid ? c->staged_has_record : c->has_record;
    if (!has)
        return TK_ERR_NOT_FOUND;
    *out = c->staged_record_valid ? c->staged_record : c->record;
    return TK_OK;
}

static tk_err cb_set_installed(void *ctx, tk_view id,
                               const tk_suit_installed *record)
{
    hs_device *dev = ctx;
    if (hit(dev, "set_installed"))
        return dev->fail_err;
    hs_component *c = find_or_add(dev, id);
    if (c == NULL)
        return TK_ERR_LIMIT;
    c->staged_record_valid = true;
    c->staged_has_record = true;
    c->staged_record = *record;
    return TK_OK;
}

static tk_err cb_custom(void *ctx, int64_t label, const tk_suit_component *c,
                        tk_view argument, bool *ok)
{
    hs_device *dev = ctx;
    (void)label;
    (void)c;
    (void)argument;
    *ok = false;
    if (hit(dev, "custom"))
        return dev->fail_err;
    *ok = true;
    return TK_OK;
}

void hs_device_init(hs_device *dev)
{
    memset(dev, 0, sizeof *dev);
    const hs_keys *k = hs_keys_get();
    tk_suit_platform *pf = &dev->pf;
    pf->ctx = dev;
    pf->find_key = cb_find_key;
    pf->begin = cb_begin;
    pf->end = cb_end;
    pf->stat = cb_stat;
    pf->read = cb_read;
    pf->write_begin = cb_write_begin;
    pf->write = cb_write;
    pf->write_end = cb_write_end;
    pf->fetch = cb_fetch;
    pf->swap = cb_swap;
    pf->invoke = cb_invoke;
    pf->unlink = cb_unlink;
    pf->match_identifier = cb_match_identifier;
    pf->version = cb_version;
    pf->battery = cb_battery;
    pf->authorize = cb_authorize;
    pf->now = cb_now;
    pf->wait = cb_wait;
    pf->allow = cb_allow;
    pf->get_installed = cb_get_installed;
    pf->set_installed = cb_set_installed;
    pf->custom = cb_custom;
    memcpy(dev->vendor_id, hs_vendor_id, 16);
    memcpy(dev->class_id, hs_class_id, 16);
    memset(dev->device_id, 0xd1, 16);
    dev->manifest_keys[0] = &k->suit_p256;
    dev->manifest_keys[1] = &k->suit_ed25519;
    dev->manifest_keys[2] = &k->hmac256;
    dev->decryption_keys[0] = &k->aes128;
    dev->decryption_keys[1] = &k->aes256;
    dev->decryption_keys[2] = &k->ecdh_p256;
    dev->fail_err = TK_ERR_CALLBACK;
}

void hs_device_free(hs_device *dev)
{
    for (size_t i = 0; i < dev->ncomps; i++) {
        drop_staged(&dev->comps[i]);
        image_free(&dev->comps[i].committed);
    }
    dev->ncomps = 0;
}

void hs_device_set(hs_device *dev, tk_view id, const uint8_t *data, size_t len,
                   const tk_suit_installed *record)
{
    hs_component *c = find_or_add(dev, id);
    if (c == NULL)
        abort();
    image_free(&c->committed);
    if (data != NULL) {
        c->committed.present = true;
        c->committed.data = malloc(len == 0 ? 1 : len);
        if (c->committed.data == NULL)
            abort();
        if (len > 0)
            memcpy(c->committed.data, data, len);
        c->committed.len = len;
    }
    c->has_record = record != NULL;
    if (record != NULL)
        c->record = *record;
}

void hs_device_add_uri(hs_device *dev, const char *uri, const uint8_t *data,
                       size_t len)
{
    if (dev->nuris == HS_DEV_MAX_URIS)
        abort();
    dev->uris[dev->nuris++] = (hs_uri){uri, data, len};
}

const hs_image *hs_device_image(const hs_device *dev, tk_view id)
{
    for (size_t i = 0; i < dev->ncomps; i++) {
        const hs_component *c = &dev->comps[i];
        if (c->id_len == id.len && memcmp(c->id, id.ptr, id.len) == 0)
            return c->committed.present ? &c->committed : NULL;
    }
    return NULL;
}

void hs_device_fingerprint(const hs_device *dev, uint8_t out[32])
{
    const tk_crypto *c = hs_crypto();
    tk_crypto_hash_state st;
    if (c->hash_start(c->ctx, &st, TK_ALG_SHA256) != TK_OK)
        abort();
    for (size_t i = 0; i < dev->ncomps; i++) {
        const hs_component *comp = &dev->comps[i];
        /* Components that never held anything do not count, so a failed
         * write_begin that only added a table entry changes nothing. */
        if (!comp->committed.present && !comp->has_record)
            continue;
        uint8_t flags[2] = {comp->committed.present, comp->has_record};
        c->hash_update(c->ctx, &st, comp->id, comp->id_len);
        c->hash_update(c->ctx, &st, flags, sizeof flags);
        c->hash_update(c->ctx, &st, comp->committed.data, comp->committed.len);
        if (comp->has_record)
            c->hash_update(c->ctx, &st, (const uint8_t *)&comp->record,
                           sizeof comp->record);
    }
    size_t n = 0;
    if (c->hash_finish(c->ctx, &st, out, 32, &n) != TK_OK)
        abort();
}

void hs_device_arm(hs_device *dev, unsigned long fail_at, tk_err err)
{
    dev->calls = 0;
    dev->fail_at = fail_at;
    dev->fail_err = err;
    dev->failed_callback = NULL;
}

void hs_device_reset_fuzz(hs_device *dev)
{
    static const uint8_t id0[] = {0x81, 0x41, 0x00}; /* [h'00'] */
    static const uint8_t image0[] = "an image installed before the run";
    static const uint8_t payload[] = "This is a test image";
    tk_suit_installed rec;
    hs_device_free(dev);
    hs_device_init(dev);
    memset(&rec, 0, sizeof rec);
    rec.sequence_number = 1;
    hs_device_set(dev, hs_view(id0, sizeof id0), image0, sizeof image0 - 1,
                  &rec);
    rec.sequence_number = 2;
    hs_device_set(dev, hs_view(hs_tc_id, sizeof hs_tc_id), hs_tc_payload,
                  sizeof hs_tc_payload, &rec);
    hs_device_add_uri(dev, "http://example.com/file.bin", payload,
                      sizeof payload - 1);
    hs_device_add_uri(dev, hs_tc_uri, hs_tc_payload, sizeof hs_tc_payload);
}
