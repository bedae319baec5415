/*
 * The parameter table of the processor (draft-ietf-suit-manifest-37
 * section 8.4.8 and the parameters of the extensions).
 *
 * Parameters are kept per component identifier for the whole manifest
 * tree of one procedure, so that a dependent that sets a parameter of a
 * component before processing a dependency that names the same component
 * reaches it (draft-ietf-suit-trust-domains-11 sections 5.4 and 5.6.1).
 *
 * Changes made inside try-each and run-sequence go to an undo log, so a
 * sequence that ends in a soft condition failure leaves no parameter
 * behind.
 */
#include "suit_internal.h"

/* Identifier parameters are RFC 9562 UUIDs: 16 bytes. */
#define UUID_SIZE 16
/* CBOR tag of a Private Enterprise Number vendor identifier (cbor-pen). */
#define CBOR_PEN_TAG 112

/*
 * Returns the parameter slot of key, or -1 for a parameter this processor
 * does not know or that this build leaves out (TK_SUIT_WITH_DECRYPTION,
 * TK_SUIT_WITH_UPDATE_MANAGEMENT).
 */
int tk_suit_param_slot(int64_t key)
{
    const int management = TK_SUIT_WITH_UPDATE_MANAGEMENT;
    switch (key) {
    case TK_SUIT_PARAM_VENDOR_ID:
        return TK_SUIT_P_VENDOR_ID;
    case TK_SUIT_PARAM_CLASS_ID:
        return TK_SUIT_P_CLASS_ID;
    case TK_SUIT_PARAM_IMAGE_DIGEST:
        return TK_SUIT_P_IMAGE_DIGEST;
    case TK_SUIT_PARAM_USE_BEFORE:
        return management ? TK_SUIT_P_USE_BEFORE : -1;
    case TK_SUIT_PARAM_COMPONENT_SLOT:
        return TK_SUIT_P_COMPONENT_SLOT;
    case TK_SUIT_PARAM_STRICT_ORDER:
        return TK_SUIT_P_STRICT_ORDER;
    case TK_SUIT_PARAM_IMAGE_SIZE:
        return TK_SUIT_P_IMAGE_SIZE;
    case TK_SUIT_PARAM_CONTENT:
        return TK_SUIT_P_CONTENT;
    case TK_SUIT_PARAM_ENCRYPTION_INFO:
        return TK_SUIT_WITH_DECRYPTION ? TK_SUIT_P_ENCRYPTION_INFO : -1;
    case TK_SUIT_PARAM_URI:
        return TK_SUIT_P_URI;
    case TK_SUIT_PARAM_SOURCE_COMPONENT:
        return TK_SUIT_P_SOURCE_COMPONENT;
    case TK_SUIT_PARAM_INVOKE_ARGS:
        return TK_SUIT_P_INVOKE_ARGS;
    case TK_SUIT_PARAM_DEVICE_ID:
        return TK_SUIT_P_DEVICE_ID;
    case TK_SUIT_PARAM_FETCH_ARGS:
        return TK_SUIT_P_FETCH_ARGS;
    case TK_SUIT_PARAM_MINIMUM_BATTERY:
        return management ? TK_SUIT_P_MINIMUM_BATTERY : -1;
    case TK_SUIT_PARAM_UPDATE_PRIORITY:
        return management ? TK_SUIT_P_UPDATE_PRIORITY : -1;
    case TK_SUIT_PARAM_VERSION:
        return management ? TK_SUIT_P_VERSION : -1;
    case TK_SUIT_PARAM_WAIT_INFO:
        return management ? TK_SUIT_P_WAIT_INFO : -1;
    case TK_SUIT_PARAM_COMPONENT_METADATA:
        return management ? TK_SUIT_P_COMPONENT_METADATA : -1;
    default:
        return -1;
    }
}

tk_err tk_suit_params_entry(tk_suit_processor *proc, tk_view id,
                            uint8_t *entry)
{
    for (size_t i = 0; i < proc->param_count; i++) {
        if (tk_suit_view_eq(proc->params[i].component_id, id)) {
            *entry = (uint8_t)i;
            return TK_OK;
        }
    }
    if (proc->param_count >= TK_SUIT_MAX_PARAM_COMPONENTS)
        return TK_ERR_LIMIT;
    tk_suit_params *p = &proc->params[proc->param_count];
    memset(p, 0, sizeof(*p));
    p->component_id = id;
    *entry = (uint8_t)proc->param_count++;
    return TK_OK;
}

tk_suit_params *tk_suit_params_of(tk_suit_exec *ex, uint32_t component)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    return &proc->params[m->params_of[component]];
}

bool tk_suit_param_get(const tk_suit_params *p, int slot,
                       tk_suit_param_value *out)
{
    if (slot < 0 || slot >= TK_SUIT_PARAM_SLOTS ||
        (p->set & (1u << slot)) == 0)
        return false;
    if (out != NULL)
        *out = p->value[slot];
    return true;
}

void tk_suit_component_invalidate(tk_suit_processor *proc, uint8_t entry)
{
    tk_suit_params *p = &proc->params[entry];
    p->digest_valid = 0;
    p->integrity_checked = 0;
    p->image_view.ptr = NULL;
    p->image_view.len = 0;
    for (size_t i = 1; i < proc->manifest_count; i++)
        if (proc->manifests[i].storage_entry == entry)
            proc->manifests[i].stale = true;
}

/* Logs the current value of a slot before a change, when an enclosing
 * try-each or run-sequence may need to undo it. */
static tk_err undo_push(tk_suit_processor *proc, uint8_t entry, int slot)
{
    tk_suit_params *p = &proc->params[entry];
    tk_suit_undo *u;
    if (proc->undo_depth == 0)
        return TK_OK;
    if (proc->undo_count >= TK_SUIT_MAX_UNDO)
        return TK_ERR_SUIT_UNDO_LIMIT;
    u = &proc->undo[proc->undo_count++];
    u->entry = entry;
    u->slot = (uint8_t)slot;
    u->was_set = (uint8_t)((p->set >> slot) & 1u);
    u->custom_count = p->custom_count;
    u->old = p->value[slot];
    return TK_OK;
}

/* Logs a custom parameter entry before a change. */
static tk_err undo_push_custom(tk_suit_processor *proc, uint8_t entry,
                               size_t index)
{
    tk_suit_params *p = &proc->params[entry];
    tk_suit_undo *u;
    if (proc->undo_depth == 0)
        return TK_OK;
    if (proc->undo_count >= TK_SUIT_MAX_UNDO)
        return TK_ERR_SUIT_UNDO_LIMIT;
    u = &proc->undo[proc->undo_count++];
    u->entry = entry;
    u->slot = TK_SUIT_UNDO_CUSTOM;
    u->was_set = (uint8_t)index;
    u->custom_count = p->custom_count;
    u->old.bytes = index < p->custom_count ? p->custom_value[index]
                                           : (tk_view){NULL, 0};
    u->old.num = index < p->custom_count ? (uint64_t)p->custom_key[index] : 0;
    return TK_OK;
}

void tk_suit_undo_to(tk_suit_processor *proc, size_t mark)
{
    while (proc->undo_count > mark) {
        tk_suit_undo *u = &proc->undo[--proc->undo_count];
        tk_suit_params *p = &proc->params[u->entry];
        if (u->slot == TK_SUIT_UNDO_CUSTOM) {
            size_t i = u->was_set;
            if (i < TK_SUIT_MAX_CUSTOM_PARAMS) {
                p->custom_value[i] = u->old.bytes;
                p->custom_key[i] = (int64_t)u->old.num;
            }
            p->custom_count = u->custom_count;
            continue;
        }
        p->value[u->slot] = u->old;
        if (u->was_set)
            p->set |= 1u << u->slot;
        else
            p->set &= ~(1u << u->slot);
    }
}

/* Stores value in a slot of entry, with override or set-if-unset
 * semantics. */
static tk_err param_store(tk_suit_processor *proc, uint8_t entry, int slot,
                          const tk_suit_param_value *value, bool override)
{
    tk_suit_params *p = &proc->params[entry];
    if (!override && (p->set & (1u << slot)) != 0)
        return TK_OK;
    tk_err e = undo_push(proc, entry, slot);
    if (e != TK_OK)
        return e;
    p->value[slot] = *value;
    p->set |= 1u << slot;
    if (slot == TK_SUIT_P_IMAGE_DIGEST) {
        /* A dependency checked against another digest is unchecked. */
        p->integrity_checked = 0;
    }
    return TK_OK;
}

/* Stores a custom (negative-key) parameter. */
static tk_err custom_store(tk_suit_processor *proc, uint8_t entry,
                           int64_t key, tk_view raw, bool override)
{
    tk_suit_params *p = &proc->params[entry];
    size_t i;
    for (i = 0; i < p->custom_count; i++)
        if (p->custom_key[i] == key)
            break;
    if (i < p->custom_count && !override)
        return TK_OK;
    if (i == p->custom_count && i >= TK_SUIT_MAX_CUSTOM_PARAMS)
        return TK_ERR_LIMIT;
    tk_err e = undo_push_custom(proc, entry, i);
    if (e != TK_OK)
        return e;
    p->custom_key[i] = key;
    p->custom_value[i] = raw;
    if (i == p->custom_count)
        p->custom_count++;
    return TK_OK;
}

/* Checks that bytes hold a SUIT_Parameter_Version_Match: [type, [+int]]. */
static bool version_match_valid(tk_view bytes)
{
    tk_cbor_dec dec;
    uint64_t type = 0;
    size_t n = 0;
    tk_cbor_dec_init(&dec, bytes.ptr, bytes.len, TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_array(&dec, NULL);
    tk_cbor_dec_get_uint(&dec, &type);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        int64_t part;
        if (tk_cbor_dec_get_int(&dec, &part) != TK_OK)
            break;
        n++;
    }
    tk_cbor_dec_exit(&dec);
    tk_cbor_dec_exit(&dec);
    return tk_cbor_dec_finish(&dec) == TK_OK && type >= 1 && type <= 5 &&
           n > 0 && n <= TK_SUIT_MAX_VERSION_PARTS;
}

/* Checks that bytes hold exactly one well-formed CBOR map. */
static bool cbor_map_valid(tk_view bytes)
{
    tk_cbor_dec dec;
    tk_cbor_dec_init(&dec, bytes.ptr, bytes.len, TK_SUIT_DEC_CHECKED);
    tk_cbor_dec_enter_map(&dec, NULL);
    tk_cbor_dec_exit(&dec);
    return tk_cbor_dec_finish(&dec) == TK_OK;
}

/* Reads a vendor identifier given as a Private Enterprise Number: a
 * tag-112 item holding a non-empty bstr. Kept out of line with its own
 * decoder, which the usual UUID does not need. */
TK_SUIT_NOINLINE static tk_err pen_read(tk_cbor_dec *dec,
                                        tk_suit_param_value *v)
{
    tk_view raw;
    tk_cbor_dec sub;
    tk_view pen;
    if (tk_cbor_dec_skip(dec, &raw) != TK_OK)
        return tk_cbor_dec_error(dec);
    tk_cbor_dec_init(&sub, raw.ptr, raw.len, 0);
    tk_cbor_dec_expect_tag(&sub, CBOR_PEN_TAG);
    tk_cbor_dec_get_bstr(&sub, &pen);
    if (tk_cbor_dec_finish(&sub) != TK_OK || pen.len == 0)
        return TK_ERR_SUIT_MALFORMED;
    v->bytes = raw;
    v->num = 1;
    return TK_OK;
}

/* Reads a vendor identifier: a 16-byte UUID or a tag-112 PEN. */
static tk_err vendor_read(tk_cbor_dec *dec, tk_suit_param_value *v)
{
    tk_cbor_item item;
    if (tk_cbor_dec_peek(dec, &item) != TK_OK)
        return tk_cbor_dec_error(dec);
    if (item.type == TK_CBOR_TAG)
        return pen_read(dec, v);
    if (tk_cbor_dec_get_bstr(dec, &v->bytes) != TK_OK)
        return tk_cbor_dec_error(dec);
    return v->bytes.len == UUID_SIZE ? TK_OK : TK_ERR_SUIT_MALFORMED;
}

/* Reads a byte string parameter value; uuid requires 16 bytes. */
static tk_err bstr_read(tk_cbor_dec *dec, tk_suit_param_value *v, bool uuid)
{
    if (tk_cbor_dec_get_bstr(dec, &v->bytes) != TK_OK)
        return tk_cbor_dec_error(dec);
    if (uuid && v->bytes.len != UUID_SIZE)
        return TK_ERR_SUIT_MALFORMED;
    return TK_OK;
}

/* Reads the source-component index and keeps the identifier it names. */
static tk_err source_read(tk_suit_exec *ex, tk_cbor_dec *dec,
                          tk_suit_param_value *v)
{
    const tk_suit_manifest *m = &ex->proc->manifests[ex->manifest].manifest;
    if (tk_cbor_dec_get_uint(dec, &v->num) != TK_OK)
        return tk_cbor_dec_error(dec);
    if (v->num >= m->component_count || m->components[v->num].len == 0)
        return TK_ERR_SUIT_COMPONENT_INDEX;
    v->bytes = m->components[v->num];
    return TK_OK;
}

/* Reads the value of parameter slot from the decoder into v. */
static tk_err value_read(tk_suit_exec *ex, tk_cbor_dec *dec, int slot,
                         tk_suit_param_value *v)
{
    bool b = false;
    int64_t n = 0;
    tk_suit_digest digest;
    memset(v, 0, sizeof(*v));
    switch (slot) {
    case TK_SUIT_P_VENDOR_ID:
        return vendor_read(dec, v);
    case TK_SUIT_P_CLASS_ID:
    case TK_SUIT_P_DEVICE_ID:
        return bstr_read(dec, v, true);
    case TK_SUIT_P_IMAGE_DIGEST: {
        tk_err e = bstr_read(dec, v, false);
        return e != TK_OK ? e : tk_suit_digest_decode(v->bytes, &digest);
    }
    case TK_SUIT_P_USE_BEFORE:
    case TK_SUIT_P_COMPONENT_SLOT:
    case TK_SUIT_P_IMAGE_SIZE:
    case TK_SUIT_P_MINIMUM_BATTERY:
        return tk_cbor_dec_get_uint(dec, &v->num);
    case TK_SUIT_P_STRICT_ORDER:
        tk_cbor_dec_get_bool(dec, &b);
        v->num = b ? 1u : 0u;
        return tk_cbor_dec_error(dec);
    case TK_SUIT_P_UPDATE_PRIORITY:
        tk_cbor_dec_get_int(dec, &n);
        v->num = (uint64_t)n;
        return tk_cbor_dec_error(dec);
    case TK_SUIT_P_URI:
        return tk_cbor_dec_get_tstr(dec, &v->bytes);
    case TK_SUIT_P_SOURCE_COMPONENT:
        return source_read(ex, dec, v);
    case TK_SUIT_P_VERSION: {
        tk_err e = bstr_read(dec, v, false);
        if (e == TK_OK && TK_SUIT_WITH_UPDATE_MANAGEMENT &&
            !version_match_valid(v->bytes))
            e = TK_ERR_SUIT_MALFORMED;
        return e;
    }
    case TK_SUIT_P_WAIT_INFO:
    case TK_SUIT_P_COMPONENT_METADATA: {
        tk_err e = bstr_read(dec, v, false);
        if (e == TK_OK && TK_SUIT_WITH_UPDATE_MANAGEMENT &&
            !cbor_map_valid(v->bytes))
            e = TK_ERR_SUIT_MALFORMED;
        return e;
    }
    default: /* content, encryption info, invoke and fetch arguments */
        return bstr_read(dec, v, false);
    }
}

/* Reads a custom parameter value: int, bool, tstr or bstr. */
static tk_err custom_read(tk_cbor_dec *dec, tk_view *raw)
{
    tk_cbor_item item;
    if (tk_cbor_dec_peek(dec, &item) != TK_OK)
        return tk_cbor_dec_error(dec);
    switch (item.type) {
    case TK_CBOR_UINT:
    case TK_CBOR_NINT:
    case TK_CBOR_TRUE:
    case TK_CBOR_FALSE:
    case TK_CBOR_TSTR:
    case TK_CBOR_BSTR:
        return tk_cbor_dec_skip(dec, raw);
    default:
        return TK_ERR_SUIT_MALFORMED;
    }
}

/* Marks of tk_suit_cached_param.slot for the parameters without a slot. */
#define SLOT_CUSTOM 0xffu
#define SLOT_SOFT_FAILURE 0xfeu

/* Decodes one parameter (key and value at the decoder) into p. */
static tk_err param_read(tk_suit_exec *ex, tk_cbor_dec *dec, int64_t key,
                         tk_suit_cached_param *p)
{
    memset(p, 0, sizeof(*p));
    p->key = key >= INT32_MIN && key <= INT32_MAX ? (int32_t)key : 0;
    if (key == TK_SUIT_PARAM_SOFT_FAILURE) {
        bool b = false;
        if (tk_cbor_dec_get_bool(dec, &b) != TK_OK)
            return tk_cbor_dec_error(dec);
        p->slot = SLOT_SOFT_FAILURE;
        p->value.num = b ? 1u : 0u;
        return TK_OK;
    }
    if (key < 0) {
        p->slot = SLOT_CUSTOM;
        return custom_read(dec, &p->value.bytes);
    }
    int slot = tk_suit_param_slot(key);
    if (slot < 0)
        return TK_ERR_SUIT_PARAMETER_UNSUPPORTED;
    p->slot = (uint8_t)slot;
    return value_read(ex, dec, slot, &p->value);
}

/* Applies one decoded parameter to entry. */
static tk_err param_put(tk_suit_exec *ex, const tk_suit_cached_param *p,
                        int64_t key, uint8_t entry, bool override,
                        bool allow_soft, bool *soft_failure)
{
    if (p->slot == SLOT_SOFT_FAILURE) {
        if (!allow_soft)
            return TK_ERR_SUIT_SOFT_FAILURE_SCOPE;
        /* Soft failure belongs to the enclosing sequence and always has a
         * value, so set-parameters changes it like override does. */
        if (soft_failure != NULL)
            *soft_failure = p->value.num != 0;
        return TK_OK;
    }
    if (p->slot == SLOT_CUSTOM)
        return custom_store(ex->proc, entry, key, p->value.bytes, override);
    return param_store(ex->proc, entry, p->slot, &p->value, override);
}

#if TK_SUIT_MAX_CACHED_PARAMS > 0
/* Returns the decoded parameters of map, or NULL. Only maps of the root
 * manifest are kept, for the reason given at the command cache in
 * suit_exec.c. */
static const tk_suit_cached_map *map_find(tk_suit_exec *ex, tk_view map)
{
    tk_suit_processor *proc = ex->proc;
    if (ex->manifest != 0)
        return NULL;
    for (size_t i = 0; i < proc->cached_map_count; i++)
        if (proc->cached_maps[i].bytes == map.ptr &&
            proc->cached_maps[i].len == map.len)
            return &proc->cached_maps[i];
    return NULL;
}

/* Applies the decoded parameters of a kept map, in the map's order. */
static tk_err map_replay(tk_suit_exec *ex, const tk_suit_cached_map *c,
                         uint8_t entry, bool override, bool allow_soft,
                         bool *soft_failure)
{
    for (size_t i = 0; i < c->count; i++) {
        const tk_suit_cached_param *p =
            &ex->proc->cached_params[c->first + i];
        tk_err e = param_put(ex, p, p->key, entry, override, allow_soft,
                             soft_failure);
        if (e != TK_OK)
            return e;
    }
    return TK_OK;
}
#endif

tk_err tk_suit_params_apply(tk_suit_exec *ex, tk_view map, uint32_t component,
                            bool override, bool allow_soft,
                            bool *soft_failure)
{
    tk_suit_processor *proc = ex->proc;
    tk_cbor_dec dec;
    tk_err e = TK_OK;
    uint64_t pairs = 0;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    uint8_t entry = m->params_of[component];
    tk_suit_labels labels;
    size_t first = proc->cached_param_count;
    bool record = false;

#if TK_SUIT_MAX_CACHED_PARAMS > 0
    const tk_suit_cached_map *cached = map_find(ex, map);
    if (cached != NULL)
        return map_replay(ex, cached, entry, override, allow_soft,
                          soft_failure);
    record = ex->manifest == 0 &&
             proc->cached_map_count < TK_SUIT_MAX_CACHED_MAPS;
#endif
    memset(&labels, 0, sizeof(labels));
    tk_cbor_dec_init(&dec, map.ptr, map.len, TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_map(&dec, &pairs);
    while (e == TK_OK && tk_cbor_dec_more(&dec)) {
        int64_t key;
        tk_suit_cached_param p;
        if (tk_suit_get_label(&dec, &labels, &key) != TK_OK)
            break;
        e = param_read(ex, &dec, key, &p);
        if (e == TK_OK)
            e = param_put(ex, &p, key, entry, override, allow_soft,
                          soft_failure);
#if TK_SUIT_MAX_CACHED_PARAMS > 0
        if (record && (proc->cached_param_count >= TK_SUIT_MAX_CACHED_PARAMS ||
                       key < INT32_MIN || key > INT32_MAX))
            record = false;
        if (record)
            proc->cached_params[proc->cached_param_count++] = p;
#endif
    }
    if (e == TK_OK) {
        tk_cbor_dec_exit(&dec);
        e = tk_cbor_dec_finish(&dec);
    }
    e = tk_suit_cbor_err(e);
    if (e == TK_OK && pairs == 0)
        e = TK_ERR_SUIT_MALFORMED;
#if TK_SUIT_MAX_CACHED_PARAMS > 0
    if (record && e == TK_OK) {
        tk_suit_cached_map *c = &proc->cached_maps[proc->cached_map_count++];
        c->bytes = map.ptr;
        c->len = map.len;
        c->first = (uint16_t)first;
        c->count = (uint16_t)(proc->cached_param_count - first);
    } else {
        proc->cached_param_count = first;
    }
#else
    (void)record;
    (void)first;
#endif
    return e;
}

/* Copies parameter key from entry src to entry dst (override). */
static tk_err param_copy_one(tk_suit_processor *proc, uint8_t src,
                             uint8_t dst, int64_t key)
{
    const tk_suit_params *from = &proc->params[src];
    if (key < 0) {
        for (size_t i = 0; i < from->custom_count; i++)
            if (from->custom_key[i] == key)
                return custom_store(proc, dst, key, from->custom_value[i],
                                    true);
        return TK_OK;
    }
    int slot = tk_suit_param_slot(key);
    if (slot < 0)
        return TK_ERR_SUIT_PARAMETER_UNSUPPORTED;
    if ((from->set & (1u << slot)) == 0)
        return TK_OK;
    tk_suit_param_value v = from->value[slot];
    return param_store(proc, dst, slot, &v, true);
}

tk_err tk_suit_params_copy(tk_suit_exec *ex, tk_view map, uint32_t component)
{
    if (!TK_SUIT_WITH_UPDATE_MANAGEMENT)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    tk_cbor_dec dec;
    tk_err e = TK_OK;
    const tk_suit_loaded *m = &ex->proc->manifests[ex->manifest];
    uint8_t dst = m->params_of[component];
    tk_suit_labels labels;

    memset(&labels, 0, sizeof(labels));
    tk_cbor_dec_init(&dec, map.ptr, map.len, TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (e == TK_OK && tk_cbor_dec_more(&dec)) {
        uint64_t index;
        if (tk_cbor_dec_get_uint(&dec, &index) != TK_OK)
            break;
        if (index < 64 && tk_suit_label_add(&labels, (int64_t)index) != TK_OK) {
            e = TK_ERR_SUIT_DUPLICATE_KEY;
            break;
        }
        if (index >= m->manifest.component_count ||
            m->manifest.components[index].len == 0) {
            e = TK_ERR_SUIT_COMPONENT_INDEX;
            break;
        }
        uint8_t src = m->params_of[index];
        if (tk_cbor_dec_enter_array(&dec, NULL) != TK_OK)
            break;
        while (e == TK_OK && tk_cbor_dec_more(&dec)) {
            int64_t key;
            if (tk_cbor_dec_get_int(&dec, &key) != TK_OK)
                break;
            e = param_copy_one(ex->proc, src, dst, key);
        }
        tk_cbor_dec_exit(&dec);
    }
    if (e != TK_OK)
        return tk_suit_cbor_err(e);
    tk_cbor_dec_exit(&dec);
    return tk_suit_cbor_err(tk_cbor_dec_finish(&dec));
}
