/*
 * Policy and device classes: /api/v1/policy (every rule),
 * /api/v1/classes, and the rules of one device or class under
 * /devices/{ueid}/policy and /classes/{name}/policy.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "admin_internal.h"

json_t *admin_policy_json(admin_call *call, const tk_store_policy *p)
{
    json_t *o = tk_admin_json_policy(p);
    if (o == NULL)
        return NULL;
    tk_store *store = call->admin->store;
    tk_store_device d;
    tk_store_class cls;
    tk_store_component c;
    if (p->device_id != 0 &&
        tk_store_device_get(store, p->device_id, &call->mem, &d, NULL) ==
            TK_OK)
        json_object_set_new(o, "device", tk_admin_json_hex(d.ueid));
    else
        json_object_set_new(o, "device", json_null());
    if (p->class_id != 0 &&
        tk_store_class_get(store, p->class_id, &call->mem, &cls, NULL) ==
            TK_OK)
        json_object_set_new(o, "class", json_string(cls.name));
    else
        json_object_set_new(o, "class", json_null());
    if (tk_store_component_get(store, p->component, &call->mem, &c, NULL) ==
        TK_OK)
        json_object_set_new(o, "component_name",
                            json_string(c.name != NULL ? c.name : ""));
    return o;
}

/* Sends one page of the rules of a device, a class, or all (both 0). */
static tk_err rule_list(admin_call *call, int64_t device_id, int64_t class_id)
{
    tk_store_page page;
    if (!admin_page(call, &page))
        return TK_OK;
    tk_store_policies list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_policy_list(call->admin->store, device_id,
                                      class_id, &page, &call->mem, &list,
                                      &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++)
        json_array_append_new(items, admin_policy_json(call,
                                                       &list.items[i]));
    return admin_reply_list(call, items, list.next);
}

/* Finds the rule of an owner for component; returns TK_ERR_STORE_NOT_FOUND
 * when it has none. */
static tk_err find_rule(admin_call *call, int64_t device_id, int64_t class_id,
                        int64_t component, tk_store_policy *out,
                        tk_store_detail *detail)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    do {
        tk_store_policies list;
        tk_err err = tk_store_policy_list(call->admin->store, device_id,
                                          class_id, &page, &call->mem, &list,
                                          detail);
        if (err != TK_OK)
            return err;
        for (size_t i = 0; i < list.count; i++)
            if (list.items[i].component == component) {
                *out = list.items[i];
                return TK_OK;
            }
        page.after = list.next;
    } while (page.after != 0);
    return TK_ERR_STORE_NOT_FOUND;
}

/* PUT .../policy/{component} with {"action": "install" | "forbid"}. */
static tk_err rule_set(admin_call *call, int64_t device_id, int64_t class_id,
                       const tk_store_component *c)
{
    json_t *body = admin_json_body(call);
    if (body == NULL)
        return TK_OK;
    json_t *action = json_object_get(body, "action");
    const char *text = json_string_value(action);
    bool install = text != NULL && strcmp(text, "install") == 0;
    bool forbid = text != NULL && strcmp(text, "forbid") == 0;
    bool extra = json_object_size(body) != 1 || action == NULL;
    json_decref(body);
    if ((!install && !forbid) || extra)
        return admin_error(call, 400, "invalid_request",
                           "the body must be {\"action\": \"install\"} or "
                           "{\"action\": \"forbid\"}");
    tk_store_policy rule;
    memset(&rule, 0, sizeof(rule));
    rule.device_id = device_id;
    rule.class_id = class_id;
    rule.component = c->id;
    rule.action = install ? TK_STORE_POLICY_INSTALL : TK_STORE_POLICY_FORBID;
    int64_t id = 0;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_policy_set(call->admin->store, &rule,
                                     TK_ADMIN_ACTOR, &id, &detail);
    tk_store_policy stored;
    if (err == TK_OK)
        err = tk_store_policy_get(call->admin->store, id, &call->mem, &stored,
                                  &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    return admin_reply(call, 200, admin_policy_json(call, &stored));
}

tk_err admin_owner_policy(admin_call *call, int64_t device_id,
                          int64_t class_id, size_t seg_first)
{
    size_t rest = call->nseg - seg_first;
    if (rest == 1) {
        if (call->method != TK_NET_GET)
            return admin_method_not_allowed(call, "GET, HEAD");
        return rule_list(call, device_id, class_id);
    }
    if (rest != 2)
        return admin_error(call, 404, "not_found",
                           "no API resource at %.200s", call->req->path);
    if (call->method != TK_NET_GET && call->method != TK_NET_PUT &&
        call->method != TK_NET_DELETE)
        return admin_method_not_allowed(call, "GET, HEAD, PUT, DELETE");
    tk_store_component c;
    if (!admin_find_component(call, call->seg[seg_first + 1], &c))
        return TK_OK;
    if (call->method == TK_NET_PUT)
        return rule_set(call, device_id, class_id, &c);
    tk_store_policy rule;
    tk_store_detail detail = {{0}};
    tk_err err = find_rule(call, device_id, class_id, c.id, &rule, &detail);
    if (err == TK_ERR_STORE_NOT_FOUND)
        return admin_error(call, 404, "not_found",
                           "no policy rule for component %" PRId64, c.id);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    if (call->method == TK_NET_GET)
        return admin_reply(call, 200, admin_policy_json(call, &rule));
    err = tk_store_policy_delete(call->admin->store, rule.id, TK_ADMIN_ACTOR,
                                 &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    call->resp->status = 204;
    return TK_OK;
}

/* GET /policy[?device=UEID|class=NAME], GET or DELETE /policy/{id}. */
tk_err admin_policy(admin_call *call)
{
    if (call->nseg == 1) {
        if (call->method != TK_NET_GET)
            return admin_method_not_allowed(call, "GET, HEAD");
        const char *device = tk_net_request_query(call->req, "device");
        const char *class_name = tk_net_request_query(call->req, "class");
        int64_t device_id = 0;
        int64_t class_id = 0;
        tk_store_device d;
        if (device != NULL && class_name != NULL)
            return admin_error(call, 400, "invalid_request",
                               "give device or class, not both");
        if (device != NULL && !admin_find_device(call, device, &d))
            return TK_OK;
        if (device != NULL)
            device_id = d.id;
        if (class_name != NULL &&
            !admin_find_class(call, class_name, false, &class_id))
            return TK_OK;
        return rule_list(call, device_id, class_id);
    }
    if (call->nseg != 2)
        return admin_error(call, 404, "not_found",
                           "no API resource at %.200s", call->req->path);
    if (call->method != TK_NET_GET && call->method != TK_NET_DELETE)
        return admin_method_not_allowed(call, "GET, HEAD, DELETE");
    int64_t id = 0;
    if (!admin_parse_id(call->seg[1], &id))
        return admin_error(call, 400, "invalid_request",
                           "rule '%.40s' is not a rule number", call->seg[1]);
    tk_store_policy rule;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_policy_get(call->admin->store, id, &call->mem,
                                     &rule, &detail);
    if (err == TK_ERR_STORE_NOT_FOUND)
        return admin_error(call, 404, "not_found",
                           "no policy rule has the number %" PRId64, id);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    if (call->method == TK_NET_GET)
        return admin_reply(call, 200, admin_policy_json(call, &rule));
    err = tk_store_policy_delete(call->admin->store, id, TK_ADMIN_ACTOR,
                                 &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    call->resp->status = 204;
    return TK_OK;
}

/* ---- Classes ---------------------------------------------------------------- */

static json_t *class_json(const tk_store_class *c)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)c->id,
                     "name", c->name, "description",
                     c->description != NULL ? c->description : "",
                     "vendor_id", tk_admin_json_hex(c->vendor_id),
                     "class_uuid", tk_admin_json_hex(c->class_uuid),
                     "created", tk_admin_json_time(c->created));
}

static tk_err class_list(admin_call *call)
{
    tk_store_page page;
    if (!admin_page(call, &page))
        return TK_OK;
    tk_store_classes list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_class_list(call->admin->store, &page, &call->mem,
                                     &list, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++)
        json_array_append_new(items, class_json(&list.items[i]));
    return admin_reply_list(call, items, list.next);
}

/* POST /classes with {"name": ..., "description": ...}. */
static tk_err class_add(admin_call *call)
{
    json_t *body = admin_json_body(call);
    if (body == NULL)
        return TK_OK;
    bool bad = false;
    const char *name = admin_member_string(call, body, "name", &bad);
    const char *description =
        bad ? NULL : admin_member_string(call, body, "description", &bad);
    size_t known = (json_object_get(body, "name") != NULL) +
                   (json_object_get(body, "description") != NULL);
    if (!bad && (name == NULL || name[0] == '\0' || strlen(name) > 128 ||
                 json_object_size(body) != known)) {
        admin_error(call, 400, "invalid_request",
                    "the body must be {\"name\": 1 to 128 characters, "
                    "\"description\": optional text}");
        bad = true;
    }
    tk_store_class cls;
    memset(&cls, 0, sizeof(cls));
    cls.name = name;
    cls.description = description;
    int64_t id = 0;
    tk_store_detail detail = {{0}};
    tk_err err = bad ? TK_OK
                     : tk_store_class_add(call->admin->store, &cls,
                                          TK_ADMIN_ACTOR, &id, &detail);
    tk_store_class stored;
    if (!bad && err == TK_OK)
        err = tk_store_class_get(call->admin->store, id, &call->mem, &stored,
                                 &detail);
    json_decref(body);
    if (bad)
        return TK_OK;
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    return admin_reply(call, 201, class_json(&stored));
}

tk_err admin_classes(admin_call *call)
{
    if (call->nseg == 1) {
        if (call->method == TK_NET_GET)
            return class_list(call);
        if (call->method == TK_NET_POST)
            return class_add(call);
        return admin_method_not_allowed(call, "GET, HEAD, POST");
    }
    bool policy = call->nseg >= 3 && strcmp(call->seg[2], "policy") == 0;
    if (call->nseg == 2 && call->method != TK_NET_GET &&
        call->method != TK_NET_DELETE)
        return admin_method_not_allowed(call, "GET, HEAD, DELETE");
    if (call->nseg > 2 && !policy)
        return admin_error(call, 404, "not_found",
                           "no API resource at %.200s", call->req->path);
    /* Setting a class rule creates the class, as `teepkit tam policy set
     * --class` does. */
    bool create = policy && call->nseg == 4 && call->method == TK_NET_PUT;
    int64_t id = 0;
    if (!admin_find_class(call, call->seg[1], create, &id))
        return TK_OK;
    if (policy)
        return admin_owner_policy(call, 0, id, 2);
    tk_store_class cls;
    tk_store_detail detail = {{0}};
    tk_err err = TK_OK;
    if (call->method == TK_NET_DELETE) {
        err = tk_store_class_delete(call->admin->store, id, TK_ADMIN_ACTOR,
                                    &detail);
        if (err == TK_OK)
            call->resp->status = 204;
        return err == TK_OK ? TK_OK : admin_store_error(call, err, &detail);
    }
    err = tk_store_class_get(call->admin->store, id, &call->mem, &cls,
                             &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    return admin_reply(call, 200, class_json(&cls));
}
