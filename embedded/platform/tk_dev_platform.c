/* SUIT platform of the device images: see tk_dev_platform.h. */
#include "tk_dev_platform.h"

#include <string.h>

static bool id_equal(const uint8_t *a, size_t a_len, tk_view b)
{
    return a_len == b.len && (a_len == 0 || memcmp(a, b.ptr, a_len) == 0);
}

tkd_component *tkd_component_get(tkd_platform *tp, tk_view id, bool create)
{
    for (size_t i = 0; i < tp->component_count; i++) {
        tkd_component *c = &tp->components[i];
        if (id_equal(c->id, c->id_len, id)) {
            return c;
        }
    }
    if (!create || tp->component_count == TKD_MAX_COMPONENTS ||
        id.len > TKD_MAX_ID || id.len == 0) {
        return NULL;
    }
    tkd_component *c = &tp->components[tp->component_count++];
    memset(c, 0, sizeof(*c));
    memcpy(c->id, id.ptr, id.len);
    c->id_len = id.len;
    return c;
}

/* The image that reads see: the staged one once written, else the
 * committed one. */
static const tkd_image *visible(const tkd_component *c)
{
    return c->has_staged ? &c->staged : &c->active;
}

static const tkd_image *image_of(tkd_platform *tp, const tk_suit_component *sc)
{
    tkd_component *c = tkd_component_get(tp, sc->id, false);

    if (c == NULL || !visible(c)->present) {
        return NULL;
    }
    return visible(c);
}

static tk_err cb_find_key(void *ctx, const tk_suit_key_request *req,
                          const tk_key **key)
{
    tkd_platform *tp = ctx;

    if (req->use == TK_SUIT_KEY_MANIFEST && tp->manifest_key != NULL) {
        *key = tp->manifest_key;
        return TK_OK;
    }
    if (req->use == TK_SUIT_KEY_DECRYPTION && tp->decryption_key != NULL) {
        *key = tp->decryption_key;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err cb_begin(void *ctx, tk_suit_operation op)
{
    tkd_platform *tp = ctx;

    (void)op;
    tp->pool_mark = tp->pool_used;
    return TK_OK;
}

static tk_err cb_end(void *ctx, tk_err result)
{
    tkd_platform *tp = ctx;

    for (size_t i = 0; i < tp->component_count; i++) {
        tkd_component *c = &tp->components[i];
        if (result == TK_OK && c->has_staged) {
            c->active = c->staged;
        }
        if (result == TK_OK && c->has_staged_record) {
            c->record = c->staged_record;
            c->has_record = true;
        }
        c->has_staged = false;
        c->has_staged_record = false;
    }
    if (result == TK_OK) {
        tp->commits++;
    } else {
        /* Staged images are the newest part of the pool. */
        tp->pool_used = tp->pool_mark;
        tp->discards++;
    }
    tp->writing = NULL;
    return TK_OK;
}

static tk_err cb_stat(void *ctx, const tk_suit_component *sc,
                      tk_suit_component_info *info)
{
    tkd_platform *tp = ctx;
    tkd_component *c = tkd_component_get(tp, sc->id, false);

    memset(info, 0, sizeof(*info));
    if (c == NULL) {
        return TK_OK;
    }
    info->present = visible(c)->present;
    info->size = visible(c)->len;
    info->has_slot = c->has_slot;
    info->slot = c->slot;
    return TK_OK;
}

static tk_err cb_read(void *ctx, const tk_suit_component *sc,
                      uint64_t offset, uint8_t *buf, size_t len,
                      size_t *out_len)
{
    const tkd_image *img = image_of(ctx, sc);

    *out_len = 0;
    if (img == NULL) {
        return TK_ERR_NOT_FOUND;
    }
    if (offset >= img->len) {
        return TK_OK;
    }
    size_t n = img->len - (size_t)offset;
    if (n > len) {
        n = len;
    }
    memcpy(buf, img->data + offset, n);
    *out_len = n;
    return TK_OK;
}

static tk_err cb_map(void *ctx, const tk_suit_component *sc, tk_view *bytes)
{
    const tkd_image *img = image_of(ctx, sc);

    if (img == NULL) {
        return TK_ERR_NOT_FOUND;
    }
    *bytes = (tk_view){img->data, img->len};
    return TK_OK;
}

/* Computes the SHA-256 of payload p, generated in chunks. */
static tk_err payload_sha256(const tk_crypto *crypto, const tkd_payload *p,
                             uint8_t out[32])
{
    tk_crypto_hash_state st;
    uint8_t chunk[TKD_FETCH_CHUNK];
    size_t len = 0;
    tk_err e = crypto->hash_start(crypto->ctx, &st, TK_ALG_SHA256);

    for (size_t done = 0; e == TK_OK && done < p->len; done += len) {
        len = p->len - done < sizeof(chunk) ? p->len - done : sizeof(chunk);
        for (size_t i = 0; i < len; i++) {
            chunk[i] = tkd_payload_byte(p, done + i);
        }
        e = crypto->hash_update(crypto->ctx, &st, chunk, len);
    }
    if (e != TK_OK) {
        crypto->hash_abort(crypto->ctx, &st);
        return e;
    }
    return crypto->hash_finish(crypto->ctx, &st, out, 32, &len);
}

static tk_err cb_digest(void *ctx, const tk_suit_component *sc, tk_alg alg,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    tkd_platform *tp = ctx;
    const tkd_image *img = image_of(tp, sc);
    tk_view whole;

    if (alg != TK_ALG_SHA256 || cap < 32) {
        return TK_ERR_UNSUPPORTED;
    }
    if (img == NULL) {
        return TK_ERR_NOT_FOUND;
    }
    whole = (tk_view){img->data, img->len};
    tk_err e = tp->crypto->hash(tp->crypto->ctx, TK_ALG_SHA256, &whole, 1,
                                out, cap, out_len);
    if (e != TK_OK) {
        return e;
    }
    for (size_t i = 0; i < tp->alias_count; i++) {
        const tkd_alias *a = &tp->aliases[i];
        if (memcmp(a->real, out, 32) == 0 &&
            (a->id_len == 0 || id_equal(a->id, a->id_len, sc->id))) {
            memcpy(out, a->reported, 32);
            break;
        }
    }
    return TK_OK;
}

static tk_err cb_write_begin(void *ctx, const tk_suit_component *sc,
                             uint64_t size)
{
    tkd_platform *tp = ctx;
    tkd_component *c = tkd_component_get(tp, sc->id, true);
    size_t room = tp->pool_cap - tp->pool_used;

    if (c == NULL) {
        return TK_ERR_LIMIT;
    }
    if (tp->writing != NULL) {
        return TK_ERR_STATE;
    }
    if (size != UINT64_MAX && size > room) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    c->staged = (tkd_image){tp->pool + tp->pool_used, 0, false};
    c->has_staged = false;
    tp->writing = c;
    tp->write_cap = size == UINT64_MAX ? room : (size_t)size;
    return TK_OK;
}

static tk_err cb_write(void *ctx, const tk_suit_component *sc,
                       uint64_t offset, const uint8_t *data, size_t len)
{
    tkd_platform *tp = ctx;
    tkd_component *c = tp->writing;

    if (c == NULL || !id_equal(c->id, c->id_len, sc->id)) {
        return TK_ERR_STATE;
    }
    if (offset > tp->write_cap || len > tp->write_cap - offset) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(c->staged.data + offset, data, len);
    if (offset + len > c->staged.len) {
        c->staged.len = (size_t)offset + len;
    }
    return TK_OK;
}

static tk_err cb_write_end(void *ctx, const tk_suit_component *sc,
                           tk_err status)
{
    tkd_platform *tp = ctx;
    tkd_component *c = tp->writing;

    if (c == NULL || !id_equal(c->id, c->id_len, sc->id)) {
        return TK_ERR_STATE;
    }
    tp->writing = NULL;
    if (status != TK_OK) {
        c->staged = (tkd_image){NULL, 0, false};
        return TK_OK;
    }
    c->staged.present = true;
    c->has_staged = true;
    tp->pool_used += c->staged.len;
    return TK_OK;
}

/* Serves the payload of req->uri in chunks through push, the sink write
 * function of the processor that runs. */
static tk_err fetch_push(tkd_platform *tp, const tk_suit_fetch_request *req,
                         tk_err (*push)(void *sink, const uint8_t *data,
                                        size_t len),
                         void *sink)
{
    uint8_t chunk[TKD_FETCH_CHUNK];

    for (size_t i = 0; i < tp->payload_count; i++) {
        const tkd_payload *p = &tp->payloads[i];
        if (req->uri.len != strlen(p->uri) ||
            memcmp(req->uri.ptr, p->uri, req->uri.len) != 0) {
            continue;
        }
        tp->fetches++;
        for (size_t done = 0; done < p->len;) {
            size_t len = p->len - done < sizeof(chunk) ? p->len - done
                                                       : sizeof(chunk);
            for (size_t j = 0; j < len; j++) {
                chunk[j] = tkd_payload_byte(p, done + j);
            }
            tk_err e = push(sink, chunk, len);
            if (e != TK_OK) {
                return e;
            }
            done += len;
        }
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

#if TKD_FULL_FETCH
static tk_err full_push(void *sink, const uint8_t *data, size_t len)
{
    return tk_suit_sink_write(sink, data, len);
}

static tk_err cb_fetch(void *ctx, const tk_suit_fetch_request *req,
                       tk_suit_sink *sink)
{
    return fetch_push(ctx, req, full_push, sink);
}
#endif

static tk_err lite_push(void *sink, const uint8_t *data, size_t len)
{
    return tk_suit_lite_sink_write(sink, data, len);
}

tk_err tkd_lite_fetch(void *ctx, const tk_suit_fetch_request *req,
                      tk_suit_lite_sink *sink)
{
    return fetch_push(ctx, req, lite_push, sink);
}

static tk_err cb_invoke(void *ctx, const tk_suit_component *sc, tk_view args)
{
    tkd_platform *tp = ctx;

    (void)args;
    if (sc->id.len > TKD_MAX_ID) {
        return TK_ERR_LIMIT;
    }
    memcpy(tp->invoked_id, sc->id.ptr, sc->id.len);
    tp->invoked_id_len = sc->id.len;
    tp->invokes++;
    return TK_OK;
}

static tk_err cb_match_identifier(void *ctx, const tk_suit_component *sc,
                                  tk_suit_identifier kind, tk_view id,
                                  bool *match)
{
    tkd_platform *tp = ctx;
    tk_view mine = {NULL, 0};

    (void)sc;
    if (kind == TK_SUIT_ID_VENDOR) {
        mine = tp->vendor_id;
    } else if (kind == TK_SUIT_ID_CLASS) {
        mine = tp->class_id;
    }
    *match = mine.len > 0 && id_equal(mine.ptr, mine.len, id);
    return TK_OK;
}

static tk_err cb_get_installed(void *ctx, tk_view id, tk_suit_installed *out)
{
    tkd_platform *tp = ctx;
    tkd_component *c = tkd_component_get(tp, id, false);

    if (c != NULL && c->has_staged_record) {
        *out = c->staged_record;
        return TK_OK;
    }
    if (c != NULL && c->has_record) {
        *out = c->record;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err cb_set_installed(void *ctx, tk_view id,
                               const tk_suit_installed *record)
{
    tkd_platform *tp = ctx;
    tkd_component *c = tkd_component_get(tp, id, true);

    if (c == NULL) {
        return TK_ERR_LIMIT;
    }
    c->staged_record = *record;
    c->has_staged_record = true;
    return TK_OK;
}

void tkd_init(tkd_platform *tp, const tk_crypto *crypto,
              const tk_key *manifest_key, uint8_t *pool, size_t pool_cap)
{
    memset(tp, 0, sizeof(*tp));
    tp->crypto = crypto;
    tp->manifest_key = manifest_key;
    tp->pool = pool;
    tp->pool_cap = pool_cap;
    tp->pf = (tk_suit_platform){
        .ctx = tp,
        .find_key = cb_find_key,
        .begin = cb_begin,
        .end = cb_end,
        .stat = cb_stat,
        .read = cb_read,
        .map = cb_map,
        .digest = cb_digest,
        .write_begin = cb_write_begin,
        .write = cb_write,
        .write_end = cb_write_end,
#if TKD_FULL_FETCH
        .fetch = cb_fetch,
#endif
        .invoke = cb_invoke,
        .match_identifier = cb_match_identifier,
        .get_installed = cb_get_installed,
        .set_installed = cb_set_installed,
    };
}

tk_err tkd_add_payload(tkd_platform *tp, const tkd_payload *p)
{
    if (tp->payload_count == TKD_MAX_PAYLOADS) {
        return TK_ERR_LIMIT;
    }
    tp->payloads[tp->payload_count++] = *p;
    return TK_OK;
}

tk_err tkd_add_alias(tkd_platform *tp, tk_view id, const tkd_payload *p,
                     const uint8_t reported[32])
{
    if (tp->alias_count == TKD_MAX_ALIASES || id.len > TKD_MAX_ID) {
        return TK_ERR_LIMIT;
    }
    tkd_alias *a = &tp->aliases[tp->alias_count];
    memset(a, 0, sizeof(*a));
    tk_err e = payload_sha256(tp->crypto, p, a->real);
    if (e != TK_OK) {
        return e;
    }
    if (id.len > 0) {
        memcpy(a->id, id.ptr, id.len);
    }
    a->id_len = id.len;
    memcpy(a->reported, reported, 32);
    tp->alias_count++;
    return TK_OK;
}

tk_err tkd_set_image(tkd_platform *tp, tk_view id, const tkd_payload *p)
{
    tkd_component *c = tkd_component_get(tp, id, true);

    if (c == NULL) {
        return TK_ERR_LIMIT;
    }
    if (p->len > tp->pool_cap - tp->pool_used) {
        return TK_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t *data = tp->pool + tp->pool_used;
    for (size_t i = 0; i < p->len; i++) {
        data[i] = tkd_payload_byte(p, i);
    }
    tp->pool_used += p->len;
    c->active = (tkd_image){data, p->len, true};
    return TK_OK;
}

bool tkd_image_is(tkd_platform *tp, tk_view id, const tkd_payload *p)
{
    tkd_component *c = tkd_component_get(tp, id, false);

    if (c == NULL || !c->active.present || c->active.len != p->len) {
        return false;
    }
    for (size_t i = 0; i < p->len; i++) {
        if (c->active.data[i] != tkd_payload_byte(p, i)) {
            return false;
        }
    }
    return true;
}

tk_err tkd_state_digest(tkd_platform *tp, const tk_crypto *crypto,
                        uint8_t out[32])
{
    tk_crypto_hash_state st;
    size_t len = 0;
    tk_err e = crypto->hash_start(crypto->ctx, &st, TK_ALG_SHA256);

    for (size_t i = 0; e == TK_OK && i < tp->component_count; i++) {
        const tkd_component *c = &tp->components[i];
        uint8_t flags[2] = {c->active.present, c->has_record};
        uint8_t seq[8];
        for (size_t k = 0; k < sizeof(seq); k++) {
            seq[k] = (uint8_t)(c->record.sequence_number >> (8 * k));
        }
        e = crypto->hash_update(crypto->ctx, &st, c->id, c->id_len);
        if (e == TK_OK) {
            e = crypto->hash_update(crypto->ctx, &st, flags, sizeof(flags));
        }
        if (e == TK_OK && c->active.present && c->active.len > 0) {
            e = crypto->hash_update(crypto->ctx, &st, c->active.data,
                                    c->active.len);
        }
        if (e == TK_OK && c->has_record) {
            e = crypto->hash_update(crypto->ctx, &st, seq, sizeof(seq));
        }
        if (e == TK_OK && c->has_record && c->record.digest_len <= 64) {
            e = crypto->hash_update(crypto->ctx, &st, c->record.digest,
                                    c->record.digest_len);
        }
    }
    uint8_t tail[2] = {(uint8_t)tp->invokes, (uint8_t)tp->commits};
    if (e == TK_OK) {
        e = crypto->hash_update(crypto->ctx, &st, tail, sizeof(tail));
    }
    if (e == TK_OK) {
        e = crypto->hash_update(crypto->ctx, &st, tp->invoked_id,
                                tp->invoked_id_len);
    }
    if (e != TK_OK) {
        crypto->hash_abort(crypto->ctx, &st);
        return e;
    }
    return crypto->hash_finish(crypto->ctx, &st, out, 32, &len);
}
