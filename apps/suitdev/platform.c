/*
 * The simulated device as the platform of the SUIT processor: the
 * callbacks of tk_suit_platform over the component store.
 *
 * A procedure's writes are staged in memory: each component touched gets an
 * entry with its image as the procedure last wrote or read it, and reads
 * return the staged image. end(TK_OK) commits every changed component with
 * its rollback record in one tk_suitdev_commit(), which is atomic over all
 * of them. end() with an error drops the entries, so a failed procedure
 * leaves the store as it was.
 */
#define _XOPEN_SOURCE 700

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "suitdev_internal.h"
#include "teepkit/cbor.h"

/* Size of the chunks a fetched payload is pushed to the processor in. */
#define FETCH_CHUNK 4096

/* One component in the state the current procedure left it. */
struct staged {
    uint8_t *id_bytes;       /* encoded identifier (owned copy) */
    size_t id_len;
    tk_suitdev_id id;        /* segments point into id_bytes */
    uint8_t *image;          /* current image, or NULL */
    size_t len;
    bool present;
    bool loaded;             /* image reflects the store or a write */
    bool dirty;              /* written, copied or swapped */
    bool writing;            /* between write_begin() and write_end() */
    uint8_t *pending;        /* the image being written */
    size_t pending_len;
    size_t pending_cap;
    bool has_record;         /* set_installed() staged a record */
    tk_suit_installed record;
};

struct tk_suitdev_session {
    tk_suitdev *device;
    tk_suitdev_policy policy;
    tk_suit_platform platform;
    struct staged *entries;
    size_t count;
    size_t cap;
    /* Images replaced during the procedure. map() views into them stay
     * valid until end(), so they are freed only then. */
    uint8_t **retired;
    size_t retired_count;
    size_t retired_cap;
};

tk_err tk_suitdev_id_decode(tk_view encoded, tk_suitdev_id *id)
{
    tk_cbor_dec dec;
    uint64_t count = 0;

    memset(id, 0, sizeof(*id));
    tk_cbor_dec_init(&dec, encoded.ptr, encoded.len, 0);
    tk_cbor_dec_enter_array(&dec, &count);
    if (tk_cbor_dec_error(&dec) == TK_OK &&
        count > TK_SUITDEV_MAX_SEGMENTS)
        return TK_ERR_SUIT_DEVICE_BAD_COMPONENT_ID;
    while (tk_cbor_dec_more(&dec)) {
        if (id->count == TK_SUITDEV_MAX_SEGMENTS)
            return TK_ERR_SUIT_DEVICE_BAD_COMPONENT_ID;
        tk_cbor_dec_get_bstr(&dec, &id->segment[id->count++]);
    }
    tk_cbor_dec_exit(&dec);
    return tk_cbor_dec_finish(&dec);
}

static void retire(tk_suitdev_session *s, uint8_t *buf)
{
    if (buf == NULL)
        return;
    if (s->retired_count == s->retired_cap) {
        size_t cap = s->retired_cap == 0 ? 8 : 2 * s->retired_cap;
        uint8_t **grown = realloc(s->retired, cap * sizeof(*grown));

        if (grown == NULL) {
            /* Keeping the buffer alive is safer than freeing it under a
             * view: it is leaked until the process ends. */
            return;
        }
        s->retired = grown;
        s->retired_cap = cap;
    }
    s->retired[s->retired_count++] = buf;
}

/* Drops every staged entry and retired buffer. */
static void clear_staged(tk_suitdev_session *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->entries[i].id_bytes);
        free(s->entries[i].image);
        free(s->entries[i].pending);
    }
    s->count = 0;
    for (size_t i = 0; i < s->retired_count; i++)
        free(s->retired[i]);
    s->retired_count = 0;
}

/* Returns the entry of the encoded identifier id, adding one when new.
 * Sets *err and returns NULL on failure. */
static struct staged *entry_of(tk_suitdev_session *s, tk_view id,
                               tk_err *err)
{
    struct staged *e = NULL;

    for (size_t i = 0; i < s->count; i++) {
        e = &s->entries[i];
        if (e->id_len == id.len && memcmp(e->id_bytes, id.ptr, id.len) == 0)
            return e;
    }
    if (s->count == s->cap) {
        size_t cap = s->cap == 0 ? 8 : 2 * s->cap;
        struct staged *grown = realloc(s->entries, cap * sizeof(*grown));

        if (grown == NULL) {
            *err = TK_ERR_INTERNAL;
            return NULL;
        }
        s->entries = grown;
        s->cap = cap;
    }
    e = &s->entries[s->count];
    memset(e, 0, sizeof(*e));
    e->id_bytes = malloc(id.len + 1);
    if (e->id_bytes == NULL) {
        *err = TK_ERR_INTERNAL;
        return NULL;
    }
    memcpy(e->id_bytes, id.ptr, id.len);
    e->id_len = id.len;
    *err = tk_suitdev_id_decode((tk_view){e->id_bytes, id.len}, &e->id);
    if (*err != TK_OK) {
        free(e->id_bytes);
        return NULL;
    }
    s->count++;
    return e;
}

/* Makes e->image reflect the store when nothing was staged yet. */
static tk_err load_image(tk_suitdev_session *s, struct staged *e)
{
    tk_err err;

    if (e->loaded)
        return TK_OK;
    err = tk_suitdev_read(s->device, &e->id, &e->image, &e->len);
    if (err == TK_ERR_NOT_FOUND) {
        e->image = NULL;
        e->len = 0;
        e->present = false;
    } else if (err != TK_OK) {
        return err;
    } else {
        e->present = true;
    }
    e->loaded = true;
    return TK_OK;
}

/* Looks up the entry of component c and loads its image. */
static tk_err component(tk_suitdev_session *s, const tk_suit_component *c,
                        struct staged **out)
{
    tk_err err = TK_OK;
    struct staged *e = entry_of(s, c->id, &err);

    *out = e;
    if (e == NULL)
        return err;
    err = load_image(s, e);
    *out = e;
    return err;
}

static bool key_fits_signature(const tk_key *key, tk_alg alg)
{
    if (alg == TK_ALG_ES256 || alg == TK_ALG_ESP256)
        return key->kty == TK_KTY_EC2 && key->crv == TK_CRV_P256;
    if (alg == TK_ALG_EDDSA || alg == TK_ALG_ED25519)
        return key->kty == TK_KTY_OKP && key->crv == TK_CRV_ED25519;
    return false;
}

static bool key_fits_decryption(const tk_key *key, tk_alg alg)
{
    switch (alg) {
    case TK_ALG_A128KW:
    case TK_ALG_A192KW:
    case TK_ALG_A256KW:
        return key->kty == TK_KTY_SYMMETRIC &&
               key->k_len == tk_crypto_key_size(alg);
    default:
        /* ECDH-ES variants take the device's private agreement key. */
        return key->has_private &&
               ((key->kty == TK_KTY_EC2 && key->crv == TK_CRV_P256) ||
                (key->kty == TK_KTY_OKP && key->crv == TK_CRV_X25519));
    }
}

static tk_err cb_find_key(void *ctx, const tk_suit_key_request *req,
                          const tk_key **key)
{
    tk_suitdev_session *s = ctx;
    const tk_suitdev_policy *p = &s->policy;

    if (req->use == TK_SUIT_KEY_MANIFEST) {
        for (size_t i = 0; i < p->manifest_key_count; i++) {
            if (key_fits_signature(p->manifest_keys[i], req->alg)) {
                *key = p->manifest_keys[i];
                return TK_OK;
            }
        }
    } else if (req->use == TK_SUIT_KEY_DELEGATION) {
        for (size_t i = 0; i < p->delegation_key_count; i++) {
            if (key_fits_signature(p->delegation_keys[i], req->alg)) {
                *key = p->delegation_keys[i];
                return TK_OK;
            }
        }
    } else if (req->use == TK_SUIT_KEY_DECRYPTION) {
        for (size_t i = 0; i < p->decryption_key_count; i++) {
            if (key_fits_decryption(p->decryption_keys[i], req->alg)) {
                *key = p->decryption_keys[i];
                return TK_OK;
            }
        }
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err cb_begin(void *ctx, tk_suit_operation op)
{
    (void)op;
    clear_staged(ctx);
    return TK_OK;
}

/*
 * Describes the commit of one staged entry in *c: its new image, its
 * rollback record on the stored image, or its deletion. Sets *skip when
 * the entry changes nothing in the store (a record for a component that
 * has no image: there is nothing installed to protect).
 */
static tk_err change_of(tk_suitdev_session *s, struct staged *e,
                        tk_suitdev_change *c, bool *skip)
{
    tk_err err;

    memset(c, 0, sizeof(*c));
    *skip = false;
    c->id = &e->id;
    err = tk_suitdev_get_meta(s->device, &e->id, &c->meta);
    if (err == TK_ERR_NOT_FOUND) {
        memset(&c->meta, 0, sizeof(c->meta));
        if (!e->dirty || !e->present) {
            *skip = true;
            return TK_OK;
        }
    } else if (err != TK_OK) {
        return err;
    }
    if (e->has_record) {
        c->meta.sequence_number = e->record.sequence_number;
        c->meta.manifest_digest_alg = e->record.digest_alg;
        c->meta.manifest_digest_len = e->record.digest_len;
        memcpy(c->meta.manifest_digest, e->record.digest,
               e->record.digest_len);
    }
    if (!e->dirty) {
        c->kind = TK_SUITDEV_CHANGE_METADATA;
    } else if (!e->present) {
        c->kind = TK_SUITDEV_CHANGE_DELETE;
    } else {
        c->kind = TK_SUITDEV_CHANGE_INSTALL;
        c->data = e->image;
        c->len = e->len;
    }
    return TK_OK;
}

/* Commits every changed component and rollback record of the procedure in
 * one store transaction: after a crash, all of them are old or all new. */
static tk_err commit_all(tk_suitdev_session *s)
{
    tk_suitdev_change *changes = calloc(s->count + 1, sizeof(*changes));
    size_t n = 0;
    tk_err err = TK_OK;

    if (changes == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; err == TK_OK && i < s->count; i++) {
        struct staged *e = &s->entries[i];
        bool skip = false;

        if (!e->dirty && !e->has_record)
            continue;
        err = change_of(s, e, &changes[n], &skip);
        if (err == TK_OK && !skip)
            n++;
    }
    if (err == TK_OK)
        err = tk_suitdev_commit(s->device, changes, n);
    free(changes);
    return err;
}

static tk_err cb_end(void *ctx, tk_err result)
{
    tk_suitdev_session *s = ctx;
    tk_err err = result == TK_OK ? commit_all(s) : TK_OK;

    clear_staged(s);
    return err;
}

static tk_err cb_stat(void *ctx, const tk_suit_component *c,
                      tk_suit_component_info *info)
{
    tk_suitdev_session *s = ctx;
    struct staged *e = NULL;
    tk_err err = component(s, c, &e);

    if (err != TK_OK)
        return err;
    info->present = e->present;
    info->size = e->len;
    info->has_slot = s->policy.has_slot;
    info->slot = s->policy.slot;
    return TK_OK;
}

static tk_err cb_read(void *ctx, const tk_suit_component *c, uint64_t offset,
                      uint8_t *buf, size_t len, size_t *out_len)
{
    struct staged *e = NULL;
    tk_err err = component(ctx, c, &e);

    *out_len = 0;
    if (err != TK_OK)
        return err;
    if (!e->present)
        return TK_ERR_SUIT_COMPONENT_ABSENT;
    if (offset >= e->len)
        return TK_OK;
    *out_len = e->len - (size_t)offset < len ? e->len - (size_t)offset : len;
    memcpy(buf, e->image + offset, *out_len);
    return TK_OK;
}

static tk_err cb_map(void *ctx, const tk_suit_component *c, tk_view *bytes)
{
    struct staged *e = NULL;
    tk_err err = component(ctx, c, &e);

    if (err != TK_OK)
        return err;
    if (!e->present)
        return TK_ERR_SUIT_COMPONENT_ABSENT;
    *bytes = (tk_view){e->image, e->len};
    return TK_OK;
}

static tk_err cb_write_begin(void *ctx, const tk_suit_component *c,
                             uint64_t size)
{
    tk_suitdev_session *s = ctx;
    struct staged *e = NULL;
    tk_err err = component(s, c, &e);

    if (err != TK_OK)
        return err;
    if (size != UINT64_MAX && size > s->device->max_image_size)
        return suitdev_fail(s->device, TK_ERR_LIMIT,
                            "image of %llu bytes is larger than the limit of "
                            "%zu bytes", (unsigned long long)size,
                            s->device->max_image_size);
    free(e->pending);
    e->pending = NULL;
    e->pending_len = 0;
    e->pending_cap = 0;
    e->writing = true;
    return TK_OK;
}

static tk_err cb_write(void *ctx, const tk_suit_component *c,
                       uint64_t offset, const uint8_t *data, size_t len)
{
    tk_suitdev_session *s = ctx;
    struct staged *e = NULL;
    tk_err err = component(s, c, &e);

    if (err != TK_OK)
        return err;
    if (!e->writing || offset != e->pending_len)
        return TK_ERR_STATE;
    if (len > s->device->max_image_size - e->pending_len)
        return suitdev_fail(s->device, TK_ERR_LIMIT,
                            "image is larger than the limit of %zu bytes",
                            s->device->max_image_size);
    if (e->pending_len + len > e->pending_cap) {
        size_t cap = e->pending_cap == 0 ? 4096 : e->pending_cap;
        uint8_t *grown;

        while (cap < e->pending_len + len)
            cap *= 2;
        grown = realloc(e->pending, cap);
        if (grown == NULL)
            return TK_ERR_INTERNAL;
        e->pending = grown;
        e->pending_cap = cap;
    }
    if (len > 0)
        memcpy(e->pending + e->pending_len, data, len);
    e->pending_len += len;
    return TK_OK;
}

static tk_err cb_write_end(void *ctx, const tk_suit_component *c,
                           tk_err status)
{
    tk_suitdev_session *s = ctx;
    struct staged *e = NULL;
    tk_err err = component(s, c, &e);

    if (err != TK_OK)
        return err;
    if (!e->writing)
        return TK_ERR_STATE;
    e->writing = false;
    if (status != TK_OK) {
        free(e->pending);
    } else {
        retire(s, e->image);
        e->image = e->pending != NULL ? e->pending : malloc(1);
        e->len = e->pending_len;
        e->present = true;
        e->dirty = true;
        if (e->image == NULL)
            return TK_ERR_INTERNAL;
    }
    e->pending = NULL;
    e->pending_len = 0;
    e->pending_cap = 0;
    return TK_OK;
}

static tk_err cb_fetch(void *ctx, const tk_suit_fetch_request *req,
                       tk_suit_sink *sink)
{
    tk_suitdev_session *s = ctx;
    char *uri = malloc(req->uri.len + 1);
    uint8_t *data = NULL;
    size_t len = 0;
    tk_err err;

    if (uri == NULL)
        return TK_ERR_INTERNAL;
    memcpy(uri, req->uri.ptr, req->uri.len);
    uri[req->uri.len] = '\0';
    if (strlen(uri) != req->uri.len) {
        free(uri);
        return suitdev_fail(s->device, TK_ERR_SUIT_DEVICE_URI_REJECTED,
                            "URI contains a NUL character");
    }
    err = tk_suitdev_fetch(s->device, uri, &data, &len);
    free(uri);
    for (size_t done = 0; err == TK_OK && done < len; done += FETCH_CHUNK) {
        size_t n = len - done < FETCH_CHUNK ? len - done : FETCH_CHUNK;

        err = tk_suit_sink_write(sink, data + done, n);
    }
    free(data);
    return err;
}

static tk_err cb_swap(void *ctx, const tk_suit_component *a,
                      const tk_suit_component *b)
{
    tk_suitdev_session *s = ctx;
    struct staged *ea = NULL, *eb = NULL, tmp;
    tk_err err = component(s, a, &ea);

    if (err == TK_OK)
        err = component(s, b, &eb);
    if (err != TK_OK)
        return err;
    /* entry_of() may have moved the array: look a up again. */
    err = component(s, a, &ea);
    if (err != TK_OK)
        return err;
    tmp = *ea;
    ea->image = eb->image;
    ea->len = eb->len;
    ea->present = eb->present;
    eb->image = tmp.image;
    eb->len = tmp.len;
    eb->present = tmp.present;
    ea->dirty = true;
    eb->dirty = true;
    return TK_OK;
}

static tk_err cb_invoke(void *ctx, const tk_suit_component *c, tk_view args)
{
    tk_suitdev_session *s = ctx;
    struct staged *e = NULL;
    tk_err err = component(s, c, &e);

    if (err != TK_OK)
        return err;
    if (!e->present)
        return TK_ERR_SUIT_COMPONENT_ABSENT;
    if (s->policy.on_invoke != NULL)
        s->policy.on_invoke(s->policy.invoke_arg, &e->id, args);
    return TK_OK;
}

static tk_err cb_match_identifier(void *ctx, const tk_suit_component *c,
                                  tk_suit_identifier kind, tk_view id,
                                  bool *match)
{
    tk_suitdev_session *s = ctx;
    const uint8_t *mine = kind == TK_SUIT_ID_VENDOR  ? s->policy.vendor_id
                          : kind == TK_SUIT_ID_CLASS ? s->policy.class_id
                                                     : s->policy.device_id;

    (void)c;
    *match = mine != NULL && id.len == 16 && memcmp(mine, id.ptr, 16) == 0;
    return TK_OK;
}

/* The device clock: the fixed time of the settings, else the host clock
 * moved by the policy's clock offset. */
static tk_err cb_now(void *ctx, uint64_t *seconds)
{
    tk_suitdev_session *s = ctx;
    int64_t offset = s->policy.clock_offset;
    time_t now;

    if (s->policy.state != NULL && s->policy.state->has_time) {
        *seconds = s->policy.state->time;
        return TK_OK;
    }
    now = time(NULL);
    if (now < 0)
        return TK_ERR_INTERNAL;
    /* An offset that moves the clock before 1970 or out of range is an
     * error rather than a wrapped time. */
    if ((offset < 0 && (uint64_t)now < (uint64_t)0 - (uint64_t)offset) ||
        (offset > 0 && (uint64_t)offset > UINT64_MAX - (uint64_t)now))
        return TK_ERR_INVALID_ARG;
    *seconds = (uint64_t)now + (uint64_t)offset;
    return TK_OK;
}

/* suit-directive-unlink: stages the removal of the component, which the
 * commit applies to its image and metadata together. The simulated device
 * keeps no reference counts, so the first unlink removes it. */
static tk_err cb_unlink(void *ctx, const tk_suit_component *c)
{
    tk_suitdev_session *s = ctx;
    struct staged *e = NULL;
    tk_err err = component(s, c, &e);

    if (err != TK_OK)
        return err;
    if (!e->present)
        return suitdev_fail(s->device, TK_ERR_SUIT_COMPONENT_ABSENT,
                            "cannot unlink a component that is not "
                            "installed");
    retire(s, e->image);
    e->image = NULL;
    e->len = 0;
    e->present = false;
    e->dirty = true;
    return TK_OK;
}

static tk_err cb_battery(void *ctx, uint64_t *mwh)
{
    tk_suitdev_session *s = ctx;
    const tk_suitdev_state *st = s->policy.state;

    if (st == NULL || !st->has_battery)
        return suitdev_fail(s->device, TK_ERR_SUIT_COMMAND_UNSUPPORTED,
                            "the device has no battery level; set "
                            "battery-mwh in its settings");
    *mwh = st->battery_mwh;
    return TK_OK;
}

/* Applies the authorization setting to an update of priority. */
static tk_err authorized(tk_suitdev_session *s, int64_t priority, bool *ok)
{
    const tk_suitdev_state *st = s->policy.state;

    if (st == NULL || st->authorization == TK_SUITDEV_AUTHORIZE_UNSET)
        return suitdev_fail(s->device, TK_ERR_SUIT_COMMAND_UNSUPPORTED,
                            "the device has no authorization answer; set "
                            "authorize in its settings");
    *ok = st->authorization == TK_SUITDEV_AUTHORIZE_ALL ||
          (st->authorization == TK_SUITDEV_AUTHORIZE_PRIORITY &&
           priority <= st->max_priority);
    return TK_OK;
}

static tk_err cb_authorize(void *ctx, int64_t priority, bool *ok)
{
    return authorized(ctx, priority, ok);
}

static tk_err cb_version(void *ctx, const tk_suit_component *c,
                         int64_t *parts, size_t *count)
{
    tk_suitdev_session *s = ctx;
    const tk_suitdev_state *st = s->policy.state;
    tk_suitdev_id id;
    char name[TK_SUITDEV_NAME_SIZE];
    tk_err err = tk_suitdev_id_decode(c->id, &id);

    if (err == TK_OK)
        err = tk_suitdev_component_name(&id, name);
    if (err != TK_OK)
        return err;
    for (size_t i = 0; st != NULL && i < st->version_count; i++) {
        if (strcmp(st->versions[i].name, name) == 0) {
            memcpy(parts, st->versions[i].parts,
                   st->versions[i].count * sizeof(parts[0]));
            *count = st->versions[i].count;
            return TK_OK;
        }
    }
    return suitdev_fail(s->device, TK_ERR_SUIT_COMMAND_UNSUPPORTED,
                        "no version is known for component %s; add it to "
                        "versions in the device settings", name);
}

static tk_err cb_custom(void *ctx, int64_t label, const tk_suit_component *c,
                        tk_view argument, bool *ok)
{
    tk_suitdev_session *s = ctx;
    const tk_suitdev_state *st = s->policy.state;
    tk_suitdev_id id;
    tk_err err;

    for (size_t i = 0; st != NULL && i < st->custom_count; i++) {
        if (st->custom[i].label != label)
            continue;
        err = tk_suitdev_id_decode(c->id, &id);
        if (err != TK_OK)
            return err;
        *ok = st->custom[i].result;
        if (s->policy.on_custom != NULL)
            s->policy.on_custom(s->policy.custom_arg, label, &id, argument,
                                *ok);
        return TK_OK;
    }
    return suitdev_fail(s->device, TK_ERR_SUIT_COMMAND_UNSUPPORTED,
                        "custom command %lld is unknown to the device; add "
                        "it to custom in the device settings",
                        (long long)label);
}

/* Wait events of SUIT_Wait_Event (draft-ietf-suit-update-management-14
 * section 4.6). */
enum {
    WAIT_AUTHORIZATION = 1,
    WAIT_POWER = 2,
    WAIT_NETWORK = 3,
    WAIT_OTHER_DEVICE_VERSION = 4,
    WAIT_TIME = 5,
    WAIT_TIME_OF_DAY = 6,
    WAIT_DAY_OF_WEEK = 7,
    WAIT_TIME_OF_DAY_UTC = 8,
    WAIT_DAY_OF_WEEK_UTC = 9
};

/* Tells whether one wait event holds now; the simulated device does not
 * wait, so an event that does not hold fails the directive. */
static tk_err wait_event_holds(tk_suitdev_session *s, int64_t event,
                               int64_t value, bool *holds)
{
    const tk_suitdev_state *st = s->policy.state;
    uint64_t mwh = 0, now = 0;
    tk_err err;

    switch (event) {
    case WAIT_AUTHORIZATION:
        return authorized(s, value, holds);
    case WAIT_POWER:
        err = cb_battery(s, &mwh);
        *holds = value <= 0 || mwh >= (uint64_t)value;
        return err;
    case WAIT_NETWORK:
        if (st == NULL || !st->has_network)
            return suitdev_fail(s->device, TK_ERR_SUIT_COMMAND_UNSUPPORTED,
                                "the device has no network state; set "
                                "network in its settings");
        *holds = st->network == value;
        return TK_OK;
    case WAIT_TIME:
    case WAIT_TIME_OF_DAY_UTC:
    case WAIT_DAY_OF_WEEK_UTC:
        err = cb_now(s, &now);
        if (err != TK_OK)
            return err;
        if (value < 0)
            return suitdev_fail(s->device, TK_ERR_SUIT_MALFORMED,
                                "wait event %lld has a negative value",
                                (long long)event);
        if (event == WAIT_TIME)
            *holds = now >= (uint64_t)value;
        else if (event == WAIT_TIME_OF_DAY_UTC)
            *holds = now % 86400u >= (uint64_t)value;
        else /* 1970-01-01 was a Thursday: day 4 counted from Sunday. */
            *holds = (now / 86400u + 4u) % 7u == (uint64_t)value;
        return TK_OK;
    default:
        /* Local time needs a time zone and other devices a deployment
         * profile, which the simulated device has neither of. */
        return suitdev_fail(s->device, TK_ERR_SUIT_COMMAND_UNSUPPORTED,
                            "wait event %lld is not supported by the "
                            "simulated device", (long long)event);
    }
}

/* suit-directive-wait: every event of wait_info must hold now. */
static tk_err cb_wait(void *ctx, tk_view wait_info)
{
    tk_suitdev_session *s = ctx;
    tk_cbor_dec dec;
    tk_err err = TK_OK;

    tk_cbor_dec_init(&dec, wait_info.ptr, wait_info.len,
                     TK_CBOR_CHECK_DUP_KEYS);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (err == TK_OK && tk_cbor_dec_more(&dec)) {
        int64_t event = 0, value = 0;
        bool holds = false;

        if (tk_cbor_dec_get_label(&dec, &event) != TK_OK)
            break;
        if (event == WAIT_OTHER_DEVICE_VERSION ||
            event == WAIT_TIME_OF_DAY || event == WAIT_DAY_OF_WEEK ||
            event < WAIT_AUTHORIZATION || event > WAIT_DAY_OF_WEEK_UTC) {
            err = wait_event_holds(s, event, 0, &holds);
            break;
        }
        if (tk_cbor_dec_get_int(&dec, &value) != TK_OK)
            break;
        err = wait_event_holds(s, event, value, &holds);
        if (err == TK_OK && !holds)
            err = suitdev_fail(s->device, TK_ERR_SUIT_WAIT,
                               "wait event %lld with value %lld does not "
                               "hold, and the simulated device does not "
                               "wait", (long long)event, (long long)value);
    }
    if (err != TK_OK)
        return err;
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return suitdev_fail(s->device, TK_ERR_SUIT_MALFORMED,
                            "suit-parameter-wait-info is not a map of wait "
                            "events to integers");
    return TK_OK;
}

static tk_err cb_get_installed(void *ctx, tk_view id, tk_suit_installed *out)
{
    tk_suitdev_session *s = ctx;
    tk_err err = TK_OK;
    struct staged *e = entry_of(s, id, &err);
    tk_suitdev_meta meta;

    if (e == NULL)
        return err;
    if (e->has_record) {
        *out = e->record;
        return TK_OK;
    }
    err = tk_suitdev_get_meta(s->device, &e->id, &meta);
    /* A deleted component keeps its sequence number in its tombstone, so
     * an older manifest cannot install it again. */
    if (err == TK_ERR_NOT_FOUND)
        err = tk_suitdev_get_tombstone(s->device, &e->id, &meta);
    if (err != TK_OK)
        return err;
    memset(out, 0, sizeof(*out));
    out->sequence_number = meta.sequence_number;
    out->digest_alg = meta.manifest_digest_alg;
    out->digest_len = meta.manifest_digest_len;
    memcpy(out->digest, meta.manifest_digest, meta.manifest_digest_len);
    return TK_OK;
}

static tk_err cb_set_installed(void *ctx, tk_view id,
                               const tk_suit_installed *record)
{
    tk_suitdev_session *s = ctx;
    tk_err err = TK_OK;
    struct staged *e = entry_of(s, id, &err);

    if (e == NULL)
        return err;
    if (record->digest_len > TK_SUITDEV_MAX_DIGEST)
        return TK_ERR_INVALID_ARG;
    e->record = *record;
    e->has_record = true;
    return TK_OK;
}

tk_err tk_suitdev_session_open(tk_suitdev *device,
                               const tk_suitdev_policy *policy,
                               tk_suitdev_session **session)
{
    tk_suitdev_session *s;

    if (device == NULL || policy == NULL || session == NULL)
        return TK_ERR_INVALID_ARG;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TK_ERR_INTERNAL;
    s->device = device;
    s->policy = *policy;
    s->platform.ctx = s;
    s->platform.find_key = cb_find_key;
    s->platform.begin = cb_begin;
    s->platform.end = cb_end;
    s->platform.stat = cb_stat;
    s->platform.read = cb_read;
    s->platform.map = cb_map;
    s->platform.write_begin = cb_write_begin;
    s->platform.write = cb_write;
    s->platform.write_end = cb_write_end;
    s->platform.fetch = cb_fetch;
    s->platform.swap = cb_swap;
    s->platform.invoke = cb_invoke;
    s->platform.match_identifier = cb_match_identifier;
    s->platform.now = cb_now;
    s->platform.unlink = cb_unlink;
    s->platform.battery = cb_battery;
    s->platform.authorize = cb_authorize;
    s->platform.version = cb_version;
    s->platform.custom = cb_custom;
    s->platform.wait = cb_wait;
    s->platform.get_installed = cb_get_installed;
    s->platform.set_installed = cb_set_installed;
    *session = s;
    return TK_OK;
}

const tk_suit_platform *tk_suitdev_session_platform(tk_suitdev_session *session)
{
    return session != NULL ? &session->platform : NULL;
}

void tk_suitdev_session_close(tk_suitdev_session *session)
{
    if (session == NULL)
        return;
    clear_staged(session);
    free(session->entries);
    free(session->retired);
    free(session);
}
