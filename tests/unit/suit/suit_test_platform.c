/* In-memory SUIT platform for tests; see suit_test_platform.h. */
#include "suit_test_platform.h"

#include <stdlib.h>
#include <string.h>

#include "teepkit/crypto.h"

/* Example vendor and class identifiers of draft-ietf-suit-manifest-37. */
static const uint8_t example_vendor[16] = {
    0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad, 0x5f, 0xdf,
    0xbe, 0x9d, 0xe6, 0x63, 0xe4, 0xd4, 0x1f, 0xfe};
static const uint8_t example_class[16] = {
    0x14, 0x92, 0xaf, 0x14, 0x25, 0x69, 0x5e, 0x48,
    0xbf, 0x42, 0x9b, 0x2d, 0x51, 0xf2, 0xab, 0x45};

static void sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    const tk_crypto *c = tk_crypto_openssl();
    tk_view part = {data, len};
    size_t n = 0;
    if (c->hash(c->ctx, TK_ALG_SHA256, &part, 1, out, 32, &n) != TK_OK)
        abort();
}

bool tp_fault(tp_platform *tp)
{
    tp->calls++;
    return tp->fail_at != 0 && tp->calls == tp->fail_at;
}

static void image_set(tp_image *img, const uint8_t *data, size_t len)
{
    free(img->data);
    img->data = malloc(len > 0 ? len : 1);
    if (img->data == NULL)
        abort();
    if (len > 0)
        memcpy(img->data, data, len);
    img->len = len;
    img->present = true;
}

static void image_clear(tp_image *img)
{
    free(img->data);
    img->data = NULL;
    img->len = 0;
    img->present = false;
}

tk_view tp_id(uint8_t *out, size_t cap, size_t n, const char *const *parts,
              const size_t *lens)
{
    size_t pos = 0;
    out[pos++] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++) {
        size_t len = lens[i];
        if (len < 24) {
            out[pos++] = (uint8_t)(0x40 | len);
        } else {
            out[pos++] = 0x58;
            out[pos++] = (uint8_t)len;
        }
        if (pos + len > cap)
            abort();
        memcpy(out + pos, parts[i], len);
        pos += len;
    }
    return (tk_view){out, pos};
}

tk_view tp_id_byte(uint8_t *out, uint8_t byte)
{
    out[0] = 0x81;
    out[1] = 0x41;
    out[2] = byte;
    return (tk_view){out, 3};
}

tp_component *tp_component_get(tp_platform *tp, tk_view id, bool create)
{
    for (size_t i = 0; i < tp->ncomps; i++)
        if (tp->comps[i].id_len == id.len &&
            memcmp(tp->comps[i].id, id.ptr, id.len) == 0)
            return &tp->comps[i];
    if (!create || tp->ncomps >= TP_MAX_COMPONENTS || id.len > TP_MAX_ID)
        return NULL;
    tp_component *c = &tp->comps[tp->ncomps++];
    memset(c, 0, sizeof(*c));
    memcpy(c->id, id.ptr, id.len);
    c->id_len = id.len;
    return c;
}

void tp_set_image(tp_platform *tp, tk_view id, const uint8_t *data,
                  size_t len)
{
    tp_component *c = tp_component_get(tp, id, true);
    if (c == NULL)
        abort();
    image_set(&c->committed, data, len);
}

const tp_image *tp_image_of(tp_platform *tp, tk_view id)
{
    tp_component *c = tp_component_get(tp, id, false);
    return c != NULL && c->committed.present ? &c->committed : NULL;
}

void tp_add_uri(tp_platform *tp, const char *uri, const uint8_t *data,
                size_t len)
{
    if (tp->nuris >= TP_MAX_URIS)
        abort();
    tp->uris[tp->nuris++] = (tp_uri){uri, data, len};
}

void tp_add_alias(tp_platform *tp, tk_view id, const uint8_t *data,
                  size_t len, const uint8_t reported[32])
{
    if (tp->naliases >= TP_MAX_ALIASES || id.len > TP_MAX_ID)
        abort();
    tp_alias *a = &tp->aliases[tp->naliases++];
    memset(a, 0, sizeof(*a));
    if (id.len > 0)
        memcpy(a->id, id.ptr, id.len);
    a->id_len = id.len;
    sha256(data, len, a->real);
    memcpy(a->reported, reported, 32);
}

void tp_add_key(tp_platform *tp, tk_suit_key_use use, tk_alg alg,
                const char *kid, int depth, const tk_key *key)
{
    if (tp->nkeys >= TP_MAX_KEYS)
        abort();
    tp->keys[tp->nkeys++] = (tp_key){use, alg, kid, depth, key};
}

void tp_set_record(tp_platform *tp, tk_view id, uint64_t sequence,
                   const uint8_t *digest, size_t digest_len)
{
    tp_component *c = tp_component_get(tp, id, true);
    if (c == NULL || digest_len > sizeof(c->record.digest))
        abort();
    memset(&c->record, 0, sizeof(c->record));
    c->record.sequence_number = sequence;
    if (digest_len > 0) {
        c->record.digest_alg = TK_ALG_SHA256;
        memcpy(c->record.digest, digest, digest_len);
        c->record.digest_len = digest_len;
    }
    c->has_record = true;
}

void tp_fingerprint(tp_platform *tp, uint8_t out[32])
{
    const tk_crypto *cr = tk_crypto_openssl();
    tk_crypto_hash_state st;
    size_t n = 0;
    if (cr->hash_start(cr->ctx, &st, TK_ALG_SHA256) != TK_OK)
        abort();
    for (size_t i = 0; i < tp->ncomps; i++) {
        tp_component *c = &tp->comps[i];
        uint8_t flags[2] = {c->committed.present, c->has_record};
        if (!c->committed.present && !c->has_record)
            continue; /* an entry that a discarded write created */
        cr->hash_update(cr->ctx, &st, c->id, c->id_len);
        cr->hash_update(cr->ctx, &st, flags, sizeof(flags));
        if (c->committed.present && c->committed.len > 0)
            cr->hash_update(cr->ctx, &st, c->committed.data,
                            c->committed.len);
        if (c->has_record)
            cr->hash_update(cr->ctx, &st, (const uint8_t *)&c->record,
                            sizeof(c->record));
    }
    if (cr->hash_finish(cr->ctx, &st, out, 32, &n) != TK_OK)
        abort();
}

/* The image that a procedure reads and writes: the staged copy. */
static tp_image *visible(tp_component *c)
{
    return &c->staged;
}

static tp_component *comp_of(tp_platform *tp, const tk_suit_component *c,
                             bool create)
{
    return tp_component_get(tp, c->id, create);
}

/* ---- callbacks ---------------------------------------------------------- */

static tk_err cb_find_key(void *ctx, const tk_suit_key_request *req,
                          const tk_key **key)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    tp->key_requests++;
    tp->last_key_depth = req->depth;
    tp->last_dependent_signer = req->dependent_signer;
    for (size_t i = 0; i < tp->nkeys; i++) {
        const tp_key *k = &tp->keys[i];
        if (k->use != req->use)
            continue;
        if (k->alg != 0 && k->alg != req->alg)
            continue;
        if (k->depth >= 0 && (unsigned)k->depth != req->depth)
            continue;
        if (k->kid != NULL &&
            (req->kid.len != strlen(k->kid) ||
             memcmp(req->kid.ptr, k->kid, req->kid.len) != 0))
            continue;
        *key = k->key;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err cb_begin(void *ctx, tk_suit_operation op)
{
    tp_platform *tp = ctx;
    (void)op;
    if (tp_fault(tp))
        return tp->fail_err;
    tp->begins++;
    for (size_t i = 0; i < tp->ncomps; i++) {
        tp_component *c = &tp->comps[i];
        image_clear(&c->staged);
        if (c->committed.present)
            image_set(&c->staged, c->committed.data, c->committed.len);
        c->staged_has_record = c->has_record;
        c->staged_record = c->record;
    }
    return TK_OK;
}

static tk_err cb_end(void *ctx, tk_err result)
{
    tp_platform *tp = ctx;
    bool fail = tp_fault(tp);
    if (result != TK_OK || fail) {
        tp->discards++;
        for (size_t i = 0; i < tp->ncomps; i++)
            image_clear(&tp->comps[i].staged);
        return fail ? tp->fail_err : TK_OK;
    }
    tp->commits++;
    for (size_t i = 0; i < tp->ncomps; i++) {
        tp_component *c = &tp->comps[i];
        image_clear(&c->committed);
        c->committed = c->staged;
        memset(&c->staged, 0, sizeof(c->staged));
        c->has_record = c->staged_has_record;
        c->record = c->staged_record;
    }
    return TK_OK;
}

static tk_err cb_stat(void *ctx, const tk_suit_component *c,
                      tk_suit_component_info *info)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *pc = comp_of(tp, c, false);
    memset(info, 0, sizeof(*info));
    if (pc == NULL)
        return TK_OK;
    info->present = visible(pc)->present;
    info->size = visible(pc)->len;
    info->has_slot = pc->has_slot;
    info->slot = pc->slot;
    return TK_OK;
}

static tk_err cb_read(void *ctx, const tk_suit_component *c, uint64_t offset,
                      uint8_t *buf, size_t len, size_t *out_len)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *pc = comp_of(tp, c, false);
    *out_len = 0;
    if (pc == NULL || !visible(pc)->present)
        return TK_ERR_NOT_FOUND;
    tp_image *img = visible(pc);
    if (offset >= img->len)
        return TK_OK;
    size_t n = img->len - (size_t)offset;
    if (n > len)
        n = len;
    memcpy(buf, img->data + offset, n);
    *out_len = n;
    return TK_OK;
}

static tk_err cb_map(void *ctx, const tk_suit_component *c, tk_view *bytes)
{
    tp_platform *tp = ctx;
    if (!tp->use_map)
        return TK_ERR_UNSUPPORTED;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *pc = comp_of(tp, c, false);
    if (pc == NULL || !visible(pc)->present)
        return TK_ERR_NOT_FOUND;
    bytes->ptr = visible(pc)->data;
    bytes->len = visible(pc)->len;
    return TK_OK;
}

static tk_err cb_digest(void *ctx, const tk_suit_component *c, tk_alg alg,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    tp_platform *tp = ctx;
    uint8_t real[32];
    if (!tp->use_digest || alg != TK_ALG_SHA256 || cap < 32)
        return TK_ERR_UNSUPPORTED;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *pc = comp_of(tp, c, false);
    if (pc == NULL || !visible(pc)->present)
        return TK_ERR_NOT_FOUND;
    sha256(visible(pc)->data, visible(pc)->len, real);
    memcpy(out, real, 32);
    for (size_t i = 0; i < tp->naliases; i++) {
        const tp_alias *a = &tp->aliases[i];
        if (memcmp(a->real, real, 32) != 0)
            continue;
        if (a->id_len > 0 &&
            (a->id_len != c->id.len || memcmp(a->id, c->id.ptr, a->id_len)))
            continue;
        memcpy(out, a->reported, 32);
        break;
    }
    *out_len = 32;
    return TK_OK;
}

static tk_err cb_write_begin(void *ctx, const tk_suit_component *c,
                             uint64_t size)
{
    tp_platform *tp = ctx;
    (void)size;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *pc = comp_of(tp, c, true);
    if (pc == NULL)
        return TK_ERR_LIMIT;
    free(pc->wbuf);
    pc->wbuf = NULL;
    pc->wlen = 0;
    pc->writing = true;
    return TK_OK;
}

static tk_err cb_write(void *ctx, const tk_suit_component *c, uint64_t offset,
                       const uint8_t *data, size_t len)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *pc = comp_of(tp, c, false);
    if (pc == NULL || !pc->writing || offset != pc->wlen)
        return TK_ERR_STATE;
    uint8_t *n = realloc(pc->wbuf, pc->wlen + len);
    if (n == NULL)
        abort();
    pc->wbuf = n;
    memcpy(pc->wbuf + pc->wlen, data, len);
    pc->wlen += len;
    return TK_OK;
}

static tk_err cb_write_end(void *ctx, const tk_suit_component *c,
                           tk_err status)
{
    tp_platform *tp = ctx;
    bool fail = tp_fault(tp);
    tp_component *pc = comp_of(tp, c, false);
    if (pc == NULL || !pc->writing)
        return TK_ERR_STATE;
    pc->writing = false;
    if (status == TK_OK && !fail)
        image_set(&pc->staged, pc->wbuf, pc->wlen);
    free(pc->wbuf);
    pc->wbuf = NULL;
    pc->wlen = 0;
    return fail ? tp->fail_err : TK_OK;
}

static tk_err cb_fetch(void *ctx, const tk_suit_fetch_request *req,
                       tk_suit_sink *sink)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    tp->nfetches++;
    for (size_t i = 0; i < tp->nuris; i++) {
        const tp_uri *u = &tp->uris[i];
        if (strlen(u->uri) != req->uri.len ||
            memcmp(u->uri, req->uri.ptr, req->uri.len) != 0)
            continue;
        size_t chunk = tp->fetch_chunk > 0 ? tp->fetch_chunk : 7;
        for (size_t off = 0; off < u->len; off += chunk) {
            size_t n = u->len - off < chunk ? u->len - off : chunk;
            tk_err e = tk_suit_sink_write(sink, u->data + off, n);
            if (e != TK_OK)
                return e;
        }
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err cb_swap(void *ctx, const tk_suit_component *a,
                      const tk_suit_component *b)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *pa = comp_of(tp, a, true);
    tp_component *pb = comp_of(tp, b, true);
    if (pa == NULL || pb == NULL)
        return TK_ERR_LIMIT;
    tp_image t = pa->staged;
    pa->staged = pb->staged;
    pb->staged = t;
    return TK_OK;
}

static tk_err cb_invoke(void *ctx, const tk_suit_component *c, tk_view args)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    if (tp->ninvoked >= TP_MAX_LOG || c->id.len > TP_MAX_ID ||
        args.len > sizeof(tp->invoked[0].args))
        return TK_ERR_LIMIT;
    tp_invoke *inv = &tp->invoked[tp->ninvoked++];
    memcpy(inv->id, c->id.ptr, c->id.len);
    inv->id_len = c->id.len;
    if (args.len > 0)
        memcpy(inv->args, args.ptr, args.len);
    inv->args_len = args.len;
    return TK_OK;
}

static tk_err cb_unlink(void *ctx, const tk_suit_component *c)
{
    tp_platform *tp = ctx;
    (void)c;
    if (tp_fault(tp))
        return tp->fail_err;
    tp->nunlinked++;
    return TK_OK;
}

static tk_err cb_match_identifier(void *ctx, const tk_suit_component *c,
                                  tk_suit_identifier kind, tk_view id,
                                  bool *match)
{
    tp_platform *tp = ctx;
    (void)c;
    if (tp_fault(tp))
        return tp->fail_err;
    const uint8_t *want = kind == TK_SUIT_ID_VENDOR  ? tp->vendor
                          : kind == TK_SUIT_ID_CLASS ? tp->class_id
                                                     : tp->device;
    *match = id.len == 16 && memcmp(id.ptr, want, 16) == 0 &&
             (kind != TK_SUIT_ID_DEVICE || tp->have_device);
    return TK_OK;
}

static tk_err cb_version(void *ctx, const tk_suit_component *c,
                         int64_t *parts, size_t *count)
{
    tp_platform *tp = ctx;
    (void)c;
    if (tp_fault(tp))
        return tp->fail_err;
    memcpy(parts, tp->version, tp->version_n * sizeof(int64_t));
    *count = tp->version_n;
    return TK_OK;
}

static tk_err cb_battery(void *ctx, uint64_t *mwh)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    *mwh = tp->battery_mwh;
    return TK_OK;
}

static tk_err cb_authorize(void *ctx, int64_t priority, bool *authorized)
{
    tp_platform *tp = ctx;
    (void)priority;
    if (tp_fault(tp))
        return tp->fail_err;
    *authorized = tp->authorized;
    return TK_OK;
}

static tk_err cb_now(void *ctx, uint64_t *seconds)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    *seconds = tp->now;
    return TK_OK;
}

static tk_err cb_wait(void *ctx, tk_view info)
{
    tp_platform *tp = ctx;
    (void)info;
    if (tp_fault(tp))
        return tp->fail_err;
    tp->nwaits++;
    return TK_OK;
}

static tk_err cb_allow(void *ctx, const tk_suit_requester *who,
                       const tk_suit_component *c, tk_suit_access access,
                       bool *allowed)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    *allowed = !(tp->deny_depth >= 0 && (int)who->depth == tp->deny_depth &&
                 access != TK_SUIT_ACCESS_READ &&
                 c->id.len == tp->deny_id_len &&
                 memcmp(c->id.ptr, tp->deny_id, c->id.len) == 0);
    return TK_OK;
}

static tk_err cb_get_installed(void *ctx, tk_view id, tk_suit_installed *out)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *c = tp_component_get(tp, id, false);
    if (c == NULL || !c->has_record)
        return TK_ERR_NOT_FOUND;
    *out = c->record;
    return TK_OK;
}

static tk_err cb_set_installed(void *ctx, tk_view id,
                               const tk_suit_installed *record)
{
    tp_platform *tp = ctx;
    if (tp_fault(tp))
        return tp->fail_err;
    tp_component *c = tp_component_get(tp, id, true);
    if (c == NULL)
        return TK_ERR_LIMIT;
    c->staged_has_record = true;
    c->staged_record = *record;
    return TK_OK;
}

void tp_init(tp_platform *tp)
{
    memset(tp, 0, sizeof(*tp));
    tp->pf.ctx = tp;
    tp->pf.find_key = cb_find_key;
    tp->pf.begin = cb_begin;
    tp->pf.end = cb_end;
    tp->pf.stat = cb_stat;
    tp->pf.read = cb_read;
    tp->pf.map = cb_map;
    tp->pf.digest = cb_digest;
    tp->pf.write_begin = cb_write_begin;
    tp->pf.write = cb_write;
    tp->pf.write_end = cb_write_end;
    tp->pf.fetch = cb_fetch;
    tp->pf.swap = cb_swap;
    tp->pf.invoke = cb_invoke;
    tp->pf.unlink = cb_unlink;
    tp->pf.match_identifier = cb_match_identifier;
    tp->pf.version = cb_version;
    tp->pf.battery = cb_battery;
    tp->pf.authorize = cb_authorize;
    tp->pf.now = cb_now;
    tp->pf.wait = cb_wait;
    tp->pf.allow = cb_allow;
    tp->pf.get_installed = cb_get_installed;
    tp->pf.set_installed = cb_set_installed;
    memcpy(tp->vendor, example_vendor, 16);
    memcpy(tp->class_id, example_class, 16);
    tp->use_digest = true;
    tp->authorized = true;
    tp->deny_depth = -1;
    tp->fail_err = TK_ERR_CALLBACK;
}

void tp_free(tp_platform *tp)
{
    for (size_t i = 0; i < tp->ncomps; i++) {
        image_clear(&tp->comps[i].committed);
        image_clear(&tp->comps[i].staged);
        free(tp->comps[i].wbuf);
        tp->comps[i].wbuf = NULL;
    }
}
