/*
 * /api/v1/devices: list, add (with keys and reference values), show,
 * update, remove, the installed components of a device, and its policy.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "keyfile.h"
#include "teepkit/cose.h"
#include "util.h"

/* Keys and reference values one request may add. */
#define MAX_DEVICE_KEYS 8
#define MAX_REFVALS 16

/* Largest encoded public COSE_Key the API stores. */
#define COSE_KEY_MAX 512

/* Reports of a device that its detail view includes, newest first. */
#define RECENT_REPORTS 20

/* A public key of a device add request, checked before anything is
 * stored. */
typedef struct new_key {
    tk_store_key_use use;
    tk_alg alg;
    uint8_t kid[TK_KEYFILE_MAX_KID];
    size_t kid_len;
    uint8_t cose[COSE_KEY_MAX];
    size_t cose_len;
} new_key;

/* A reference value of a device add request. */
typedef struct new_refval {
    tk_store_refval_kind kind;
    uint8_t *bytes; /* malloc'd */
    size_t len;
} new_refval;

/* The contents of a device add request. */
typedef struct new_device {
    uint8_t *ueid;
    size_t ueid_len;
    const char *name;
    const char *class_name;
    tk_store_device_state state;
    new_key keys[MAX_DEVICE_KEYS];
    size_t key_count;
    new_refval refvals[MAX_REFVALS];
    size_t refval_count;
} new_device;

static bool parse_state(const char *text, tk_store_device_state *state)
{
    for (int s = 0; s < 4; s++)
        if (strcmp(text, tk_admin_state_name((tk_store_device_state)s)) ==
            0) {
            *state = (tk_store_device_state)s;
            return true;
        }
    return false;
}

/* Adds the class name of d to its JSON form o. */
static void add_class_name(admin_call *call, const tk_store_device *d,
                           json_t *o)
{
    if (d->class_id == 0) {
        json_object_set_new(o, "class", json_null());
        return;
    }
    tk_store_class cls;
    if (tk_store_class_get(call->admin->store, d->class_id, &call->mem, &cls,
                           NULL) == TK_OK)
        json_object_set_new(o, "class", json_string(cls.name));
}

/* ---- List ------------------------------------------------------------------ */

static tk_err device_list(admin_call *call)
{
    tk_store_page page;
    if (!admin_page(call, &page))
        return TK_OK;
    int state = -1;
    const char *state_text = tk_net_request_query(call->req, "state");
    if (state_text != NULL) {
        tk_store_device_state s;
        if (!parse_state(state_text, &s))
            return admin_error(call, 400, "invalid_request",
                               "state must be pending, active, blocked or "
                               "retired, not '%.40s'",
                               state_text);
        state = (int)s;
    }
    int64_t class_id = 0;
    const char *class_name = tk_net_request_query(call->req, "class");
    if (class_name != NULL && !admin_find_class(call, class_name, false,
                                                &class_id))
        return TK_OK;
    tk_store_devices list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_device_list(call->admin->store, class_id, state,
                                      &page, &call->mem, &list, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_t *o = tk_admin_json_device(&list.items[i]);
        if (o != NULL)
            add_class_name(call, &list.items[i], o);
        json_array_append_new(items, o);
    }
    return admin_reply_list(call, items, list.next);
}

/* ---- Show ------------------------------------------------------------------ */

/* Installed components of a device, each with the store number and name
 * of its component when the TAM stores it. */
static json_t *installed_json(admin_call *call, const tk_store_installeds *l)
{
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < l->count; i++) {
        json_t *o = tk_admin_json_installed(&l->items[i]);
        tk_store_component c;
        if (o != NULL &&
            tk_store_component_find(call->admin->store,
                                    l->items[i].component_id, &call->mem, &c,
                                    NULL) == TK_OK) {
            json_object_set_new(o, "component", json_integer(c.id));
            json_object_set_new(o, "name", json_string(c.name != NULL
                                                           ? c.name
                                                           : ""));
        } else if (o != NULL) {
            json_object_set_new(o, "component", json_null());
            json_object_set_new(o, "name", json_null());
        }
        json_array_append_new(items, o);
    }
    return items;
}

/* Adds the keys and reference values of device to o, or sends the store
 * error and returns false. */
static bool add_keys_and_refvals(admin_call *call, int64_t device, json_t *o)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_detail detail = {{0}};
    tk_store_keys keys;
    tk_err err = tk_store_key_list(call->admin->store, device, &page,
                                   &call->mem, &keys, &detail);
    tk_store_refvals refvals;
    if (err == TK_OK)
        err = tk_store_refval_list(call->admin->store, device, 0, &page,
                                   &call->mem, &refvals, &detail);
    if (err != TK_OK) {
        admin_store_error(call, err, &detail);
        return false;
    }
    json_t *key_items = json_array();
    for (size_t i = 0; key_items != NULL && i < keys.count; i++)
        json_array_append_new(key_items, tk_admin_json_key(&keys.items[i]));
    json_t *refval_items = json_array();
    for (size_t i = 0; refval_items != NULL && i < refvals.count; i++)
        json_array_append_new(refval_items,
                              tk_admin_json_refval(&refvals.items[i]));
    json_object_set_new(o, "keys", key_items);
    json_object_set_new(o, "reference_values", refval_items);
    return true;
}

/* Adds installed, latest_attestation, reports and policy to o. */
static bool add_state(admin_call *call, int64_t device, json_t *o)
{
    tk_store *store = call->admin->store;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_detail detail = {{0}};
    tk_store_installeds installed;
    tk_err err = tk_store_installed_list(store, device, &page, &call->mem,
                                         &installed, &detail);
    tk_store_attestation latest;
    bool has_latest = false;
    if (err == TK_OK) {
        err = tk_store_attestation_latest(store, device, &call->mem, &latest,
                                          &detail);
        has_latest = err == TK_OK;
        if (err == TK_ERR_STORE_NOT_FOUND)
            err = TK_OK;
    }
    tk_store_page recent = {0, RECENT_REPORTS, true};
    tk_store_reports reports;
    if (err == TK_OK)
        err = tk_store_report_list(store, device, 0, &recent, &call->mem,
                                   &reports, &detail);
    tk_store_policies rules;
    if (err == TK_OK)
        err = tk_store_policy_list(store, device, 0, &page, &call->mem,
                                   &rules, &detail);
    if (err != TK_OK) {
        admin_store_error(call, err, &detail);
        return false;
    }
    json_object_set_new(o, "installed", installed_json(call, &installed));
    json_object_set_new(o, "latest_attestation",
                        has_latest ? tk_admin_json_attestation(&latest)
                                   : json_null());
    json_t *report_items = json_array();
    for (size_t i = 0; report_items != NULL && i < reports.count; i++)
        json_array_append_new(report_items,
                              tk_admin_json_report(&reports.items[i], false));
    json_object_set_new(o, "recent_reports", report_items);
    json_t *rule_items = json_array();
    for (size_t i = 0; rule_items != NULL && i < rules.count; i++)
        json_array_append_new(rule_items,
                              admin_policy_json(call, &rules.items[i]));
    json_object_set_new(o, "policy", rule_items);
    return true;
}

/* Builds the detail view of a device. Sends the error and returns NULL on
 * failure. */
static json_t *device_detail(admin_call *call, const tk_store_device *d)
{
    json_t *o = tk_admin_json_device(d);
    if (o == NULL) {
        admin_error(call, 500, "internal", "out of memory");
        return NULL;
    }
    add_class_name(call, d, o);
    if (!add_keys_and_refvals(call, d->id, o) || !add_state(call, d->id, o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static tk_err device_show(admin_call *call, const tk_store_device *d)
{
    json_t *o = device_detail(call, d);
    return o != NULL ? admin_reply(call, 200, o) : TK_OK;
}

/* ---- Add ------------------------------------------------------------------- */

static void new_device_free(new_device *nd)
{
    free(nd->ueid);
    for (size_t i = 0; i < nd->refval_count; i++)
        free(nd->refvals[i].bytes);
}

/*
 * Reads one public key of a device add request: PEM text, or a COSE_Key
 * in hex. The kid is the COSE_Key's kid, else the RFC 9679 thumbprint,
 * as `teepkit tam device add` sets it. Sends 400 and returns false when
 * the key is unusable.
 */
static bool parse_key(admin_call *call, const char *member, size_t index,
                      const char *text, new_key *out)
{
    const tk_crypto *crypto = call->admin->crypto;
    uint8_t *data = NULL;
    size_t len = 0;
    bool pem = strncmp(text, "-----BEGIN", 10) == 0;
    if (pem) {
        data = (uint8_t *)strdup(text);
        len = data != NULL ? strlen(text) : 0;
    } else if (!admin_hex_decode(text, 4096, &data, &len)) {
        admin_error(call, 400, "invalid_request",
                    "%s[%zu] must be a PEM public key or a COSE_Key in hex",
                    member, index);
        return false;
    }
    if (data == NULL) {
        admin_error(call, 500, "internal", "out of memory");
        return false;
    }
    char name[64];
    snprintf(name, sizeof(name), "%s[%zu]", member, index);
    tk_key key;
    tk_keyfile_info info;
    char msg[256] = "";
    tk_key_init(&key);
    tk_err err = tk_keyfile_load_mem(crypto, name, data, len, &key, &info,
                                     msg, sizeof(msg));
    free(data);
    if (err != TK_OK) {
        admin_error(call, 400, "invalid_key", "%s", msg);
        return false;
    }
    bool ok = false;
    out->alg = info.alg != TK_ALG_NONE ? info.alg
                                       : tk_keyfile_signature_alg(&key);
    key.kid = (tk_view){NULL, 0};
    uint8_t thumbprint[TK_COSE_THUMBPRINT_SIZE];
    if (info.has_private)
        admin_error(call, 400, "invalid_key",
                    "%s contains a private key; send the public key only",
                    name);
    else if (out->alg == TK_ALG_NONE)
        admin_error(call, 400, "invalid_key",
                    "%s is not a signing key (P-256, P-384 or Ed25519)",
                    name);
    else if (tk_cose_key_thumbprint(crypto, &key, thumbprint) != TK_OK ||
             tk_cose_key_encode(&key, out->alg, false, out->cose,
                                sizeof(out->cose), &out->cose_len) != TK_OK)
        admin_error(call, 400, "invalid_key",
                    "%s cannot be encoded as a COSE_Key", name);
    else
        ok = true;
    if (ok && info.kid_len > 0) {
        memcpy(out->kid, info.kid, info.kid_len);
        out->kid_len = info.kid_len;
    } else if (ok) {
        memcpy(out->kid, thumbprint, sizeof(thumbprint));
        out->kid_len = sizeof(thumbprint);
    }
    tk_key_release(&key);
    return ok;
}

/* Reads the list member of body as strings into the keys of nd. */
static bool parse_key_list(admin_call *call, json_t *body, const char *member,
                           tk_store_key_use use, new_device *nd)
{
    json_t *list = json_object_get(body, member);
    if (list == NULL)
        return true;
    if (!json_is_array(list)) {
        admin_error(call, 400, "invalid_request",
                    "member '%s' must be a list of keys", member);
        return false;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        if (!json_is_string(item)) {
            admin_error(call, 400, "invalid_request",
                        "%s[%zu] must be a string: PEM or COSE_Key hex",
                        member, i);
            return false;
        }
        if (nd->key_count == MAX_DEVICE_KEYS) {
            admin_error(call, 400, "invalid_request",
                        "a device may be added with at most %d keys",
                        MAX_DEVICE_KEYS);
            return false;
        }
        new_key *k = &nd->keys[nd->key_count];
        k->use = use;
        if (!parse_key(call, member, i, json_string_value(item), k))
            return false;
        nd->key_count++;
    }
    return true;
}

/* Reads a list of reference values: hex strings (hex true) or text. */
static bool parse_refvals(admin_call *call, json_t *body, const char *member,
                          tk_store_refval_kind kind, bool hex, size_t max,
                          new_device *nd)
{
    json_t *list = json_object_get(body, member);
    if (list == NULL)
        return true;
    if (!json_is_array(list)) {
        admin_error(call, 400, "invalid_request",
                    "member '%s' must be a list of strings", member);
        return false;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        const char *text = json_string_value(item);
        if (nd->refval_count == MAX_REFVALS) {
            admin_error(call, 400, "invalid_request",
                        "a device may be added with at most %d reference "
                        "values",
                        MAX_REFVALS);
            return false;
        }
        new_refval *v = &nd->refvals[nd->refval_count];
        bool ok = text != NULL;
        if (ok && hex) {
            ok = admin_hex_decode(text, max, &v->bytes, &v->len);
        } else if (ok) {
            v->len = strlen(text);
            ok = v->len > 0 && v->len <= max &&
                 (v->bytes = (uint8_t *)strdup(text)) != NULL;
        }
        if (!ok) {
            admin_error(call, 400, "invalid_request",
                        "%s[%zu] must be %s of 1 to %zu bytes", member, i,
                        hex ? "hex" : "text", max);
            return false;
        }
        v->kind = kind;
        nd->refval_count++;
    }
    return true;
}

/* Checks that body has only known members. */
static bool known_members(admin_call *call, json_t *body,
                          const char *const *names, size_t count)
{
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value) {
        size_t i = 0;
        while (i < count && strcmp(key, names[i]) != 0)
            i++;
        if (i == count) {
            admin_error(call, 400, "invalid_request",
                        "unknown member '%.60s'", key);
            return false;
        }
    }
    return true;
}

static bool parse_new_device(admin_call *call, json_t *body, new_device *nd)
{
    static const char *const members[] = {
        "ueid", "name", "class", "state", "agent_keys", "attestation_keys",
        "hwmodel", "hwversion", "oemid"};
    if (!known_members(call, body, members,
                       sizeof(members) / sizeof(members[0])))
        return false;
    bool bad = false;
    const char *ueid = admin_member_string(call, body, "ueid", &bad);
    nd->name = admin_member_string(call, body, "name", &bad);
    nd->class_name = admin_member_string(call, body, "class", &bad);
    const char *state = admin_member_string(call, body, "state", &bad);
    if (bad)
        return false;
    if (ueid == NULL || !admin_hex_decode(ueid, 64, &nd->ueid,
                                          &nd->ueid_len)) {
        admin_error(call, 400, "invalid_request",
                    "member 'ueid' is required: the device's UEID, 1 to 64 "
                    "bytes in hex");
        return false;
    }
    nd->state = TK_STORE_DEVICE_PENDING;
    if (state != NULL && !parse_state(state, &nd->state)) {
        admin_error(call, 400, "invalid_request",
                    "state must be pending, active, blocked or retired, not "
                    "'%.40s'",
                    state);
        return false;
    }
    if (!parse_key_list(call, body, "agent_keys", TK_STORE_KEY_AGENT, nd) ||
        !parse_key_list(call, body, "attestation_keys",
                        TK_STORE_KEY_ATTESTATION, nd))
        return false;
    if (nd->key_count == 0 || nd->keys[0].use != TK_STORE_KEY_AGENT) {
        admin_error(call, 400, "invalid_request",
                    "member 'agent_keys' is required: at least one public "
                    "key of the TEEP Agent");
        return false;
    }
    return parse_refvals(call, body, "hwmodel", TK_STORE_REF_HWMODEL, true,
                         32, nd) &&
           parse_refvals(call, body, "hwversion", TK_STORE_REF_HWVERSION,
                         false, 64, nd) &&
           parse_refvals(call, body, "oemid", TK_STORE_REF_OEMID, true, 32,
                         nd);
}

/* Stores the keys and reference values of nd for device id. */
static tk_err store_device_parts(admin_call *call, const new_device *nd,
                                 int64_t id, tk_store_detail *detail)
{
    tk_err err = TK_OK;
    for (size_t i = 0; err == TK_OK && i < nd->key_count; i++) {
        const new_key *k = &nd->keys[i];
        tk_store_key row;
        memset(&row, 0, sizeof(row));
        row.device_id = id;
        row.use = k->use;
        row.kid = (tk_view){k->kid, k->kid_len};
        row.alg = k->alg;
        row.cose_key = (tk_view){k->cose, k->cose_len};
        err = tk_store_key_add(call->admin->store, &row, TK_ADMIN_ACTOR, NULL,
                               detail);
    }
    for (size_t i = 0; err == TK_OK && i < nd->refval_count; i++) {
        tk_store_refval v;
        memset(&v, 0, sizeof(v));
        v.device_id = id;
        v.kind = nd->refvals[i].kind;
        v.value = (tk_view){nd->refvals[i].bytes, nd->refvals[i].len};
        err = tk_store_refval_add(call->admin->store, &v, TK_ADMIN_ACTOR,
                                  NULL, detail);
    }
    return err;
}

static tk_err device_add(admin_call *call)
{
    json_t *body = admin_json_body(call);
    if (body == NULL)
        return TK_OK;
    new_device nd;
    memset(&nd, 0, sizeof(nd));
    tk_store_device d;
    memset(&d, 0, sizeof(d));
    bool ok = parse_new_device(call, body, &nd);
    if (ok && nd.class_name != NULL)
        ok = admin_find_class(call, nd.class_name, true, &d.class_id);
    int64_t id = 0;
    tk_store_detail detail = {{0}};
    tk_err err = TK_OK;
    if (ok) {
        d.ueid = (tk_view){nd.ueid, nd.ueid_len};
        d.name = nd.name;
        d.state = nd.state;
        err = tk_store_device_add(call->admin->store, &d, TK_ADMIN_ACTOR, &id,
                                  &detail);
        if (err == TK_OK)
            err = store_device_parts(call, &nd, id, &detail);
        if (err != TK_OK) {
            /* Leave no half-registered device behind. */
            if (id != 0)
                tk_store_device_delete(call->admin->store, id, NULL, NULL);
            admin_store_error(call, err, &detail);
            ok = false;
        }
    }
    json_decref(body);
    tk_store_device added;
    if (ok) {
        err = tk_store_device_get(call->admin->store, id, &call->mem, &added,
                                  &detail);
        if (err != TK_OK)
            admin_store_error(call, err, &detail);
    }
    json_t *o = ok && err == TK_OK ? device_detail(call, &added) : NULL;
    if (o != NULL) {
        char location[200];
        char ueid[2 * 64 + 1];
        tk_util_hex_encode(nd.ueid, nd.ueid_len, ueid);
        snprintf(location, sizeof(location), "/api/v1/devices/%s", ueid);
        tk_net_response_add_header(call->resp, "Location", location);
        admin_reply(call, 201, o);
    }
    new_device_free(&nd);
    return TK_OK;
}

/* ---- Update and remove ----------------------------------------------------- */

static tk_err device_update(admin_call *call, tk_store_device *d)
{
    json_t *body = admin_json_body(call);
    if (body == NULL)
        return TK_OK;
    static const char *const members[] = {"name", "state", "class"};
    bool bad = !known_members(call, body, members, 3);
    const char *name = bad ? NULL
                           : admin_member_string(call, body, "name", &bad);
    const char *state = bad ? NULL
                            : admin_member_string(call, body, "state", &bad);
    const char *class_name =
        bad ? NULL : admin_member_string(call, body, "class", &bad);
    if (!bad && state != NULL && !parse_state(state, &d->state)) {
        admin_error(call, 400, "invalid_request",
                    "state must be pending, active, blocked or retired, not "
                    "'%.40s'",
                    state);
        bad = true;
    }
    if (!bad && name != NULL)
        d->name = name;
    json_t *class_member = json_object_get(body, "class");
    if (!bad && class_member != NULL && json_is_null(class_member))
        d->class_id = 0;
    else if (!bad && class_name != NULL)
        bad = !admin_find_class(call, class_name, true, &d->class_id);
    tk_store_detail detail = {{0}};
    tk_err err = TK_OK;
    if (!bad)
        err = tk_store_device_update(call->admin->store, d, TK_ADMIN_ACTOR,
                                     &detail);
    if (!bad && err != TK_OK)
        admin_store_error(call, err, &detail);
    tk_store_device updated;
    if (!bad && err == TK_OK) {
        err = tk_store_device_get(call->admin->store, d->id, &call->mem,
                                  &updated, &detail);
        if (err == TK_OK)
            device_show(call, &updated);
        else
            admin_store_error(call, err, &detail);
    }
    json_decref(body);
    return TK_OK;
}

static tk_err device_remove(admin_call *call, const tk_store_device *d)
{
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_device_delete(call->admin->store, d->id,
                                        TK_ADMIN_ACTOR, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    call->resp->status = 204;
    return TK_OK;
}

static tk_err device_components(admin_call *call, const tk_store_device *d)
{
    if (call->method != TK_NET_GET)
        return admin_method_not_allowed(call, "GET, HEAD");
    tk_store_page page;
    if (!admin_page(call, &page))
        return TK_OK;
    tk_store_installeds list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_installed_list(call->admin->store, d->id, &page,
                                         &call->mem, &list, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    return admin_reply_list(call, installed_json(call, &list), list.next);
}

tk_err admin_devices(admin_call *call)
{
    if (call->nseg == 1) {
        if (call->method == TK_NET_GET)
            return device_list(call);
        if (call->method == TK_NET_POST)
            return device_add(call);
        return admin_method_not_allowed(call, "GET, HEAD, POST");
    }
    if (call->nseg == 2 && call->method != TK_NET_GET &&
        call->method != TK_NET_PATCH && call->method != TK_NET_DELETE)
        return admin_method_not_allowed(call, "GET, HEAD, PATCH, DELETE");
    tk_store_device d;
    if (!admin_find_device(call, call->seg[1], &d))
        return TK_OK;
    if (call->nseg == 2) {
        if (call->method == TK_NET_GET)
            return device_show(call, &d);
        if (call->method == TK_NET_PATCH)
            return device_update(call, &d);
        return device_remove(call, &d);
    }
    if (call->nseg == 3 && strcmp(call->seg[2], "components") == 0)
        return device_components(call, &d);
    if (strcmp(call->seg[2], "policy") == 0)
        return admin_owner_policy(call, d.id, 0, 2);
    return admin_error(call, 404, "not_found",
                       "no API resource at %.200s", call->req->path);
}
