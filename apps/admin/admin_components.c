/*
 * /api/v1/components: list (optionally with the devices per version),
 * upload (a signed SUIT envelope as the request body), show with the
 * installed count of each version, the devices that have the component, a
 * version's envelope, and removal.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "teepkit/cbor.h"

/* Installed entries of one component (one per device) that a view reads
 * to count its devices per version. Beyond them the counts are marked
 * incomplete.
 * NOTE: counting reads the entries page by page, so a component on more
 * devices is counted whole only with a count query in the store. */
#define MAX_COUNTED_ROWS (100 * TK_STORE_MAX_PAGE)

/* Maximum length of a default component name, taken from the
 * identifier's diagnostic notation. The store allows 128 characters. */
#define DEFAULT_NAME_MAX 120

/* Versions listed in one component view. */
#define MAX_VERSIONS TK_STORE_MAX_PAGE

/* Adds the number of versions and the newest sequence number to o. */
static bool add_version_summary(admin_call *call, int64_t component,
                                json_t *o)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_versions versions;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_version_list(call->admin->store, component, &page,
                                       &call->mem, &versions, &detail);
    if (err != TK_OK) {
        admin_store_error(call, err, &detail);
        return false;
    }
    uint64_t newest = 0;
    for (size_t i = 0; i < versions.count; i++)
        if (versions.items[i].sequence > newest)
            newest = versions.items[i].sequence;
    json_object_set_new(o, "version_count", json_integer((json_int_t)
                                                             versions.count));
    json_object_set_new(o, "newest_sequence",
                        versions.count > 0 ? json_integer((json_int_t)newest)
                                           : json_null());
    return true;
}

static bool add_installed_counts(admin_call *call,
                                 const tk_store_component *c, json_t *o);

/*
 * GET /components: one page of components with their version summary,
 * and with include=devices also each one's versions and devices per
 * version, as GET /components/{id} shows them.
 */
static tk_err component_list(admin_call *call)
{
    const char *include = tk_net_request_query(call->req, "include");
    if (include != NULL && strcmp(include, "devices") != 0)
        return admin_error(call, 400, "invalid_request",
                           "include must be 'devices', not '%.40s'",
                           include);
    bool with_devices = include != NULL;
    tk_store_page page;
    if (!admin_page(call, &page))
        return TK_OK;
    tk_store_components list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_component_list(call->admin->store, &page,
                                         &call->mem, &list, &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        json_t *o = tk_admin_json_component(&list.items[i]);
        if (o == NULL || !add_version_summary(call, list.items[i].id, o) ||
            (with_devices && !add_installed_counts(call, &list.items[i], o))) {
            if (o == NULL)
                admin_error(call, 500, "internal", "out of memory");
            json_decref(o);
            json_decref(items);
            return TK_OK;
        }
        json_array_append_new(items, o);
    }
    return admin_reply_list(call, items, list.next);
}

/* ---- Upload ----------------------------------------------------------------- */

/* Returns the default name of a component: the diagnostic notation of its
 * identifier, shortened to DEFAULT_NAME_MAX characters. */
static void default_name(tk_view id, char *out, size_t cap)
{
    size_t needed = 0;
    if (tk_cbor_diag(id.ptr, id.len, out, cap, &needed, 0, NULL, NULL,
                     NULL) != TK_OK &&
        needed == 0)
        snprintf(out, cap, "component");
    if (strlen(out) > DEFAULT_NAME_MAX)
        out[DEFAULT_NAME_MAX] = '\0';
}

static tk_err component_upload(admin_call *call)
{
    const tk_net_request *req = call->req;
    tk_admin *admin = call->admin;
    if (!tk_net_media_type_is(req->content_type, ADMIN_MEDIA_SUIT) &&
        !tk_net_media_type_is(req->content_type, "application/cbor") &&
        !tk_net_media_type_is(req->content_type, "application/octet-stream"))
        return admin_error(call, 415, "unsupported_media_type",
                           "upload a signed SUIT envelope as %s, not %.80s",
                           ADMIN_MEDIA_SUIT,
                           req->content_type != NULL ? req->content_type
                                                     : "a body without "
                                                       "Content-Type");
    if (req->body.len > admin->max_upload)
        return admin_error(call, 413, "payload_too_large",
                           "the envelope has %zu bytes; at most %zu are "
                           "allowed (admin_max_upload)",
                           req->body.len, admin->max_upload);
    if (req->body.len == 0)
        return admin_error(call, 400, "invalid_request",
                           "the request body is empty; send a signed SUIT "
                           "envelope");
    if (admin->signer_count == 0)
        return admin_error(call, 422, "envelope_rejected",
                           "no trusted component signer is configured; set "
                           "component_signer in the TAM configuration");
    const tk_key *signers[TK_TAM_MAX_SIGNER_KEYS];
    for (size_t i = 0; i < admin->signer_count; i++)
        signers[i] = &admin->signers[i];
    tk_tam_envelope_info info;
    char msg[512] = "";
    tk_err err = tk_tam_envelope_inspect(admin->crypto, req->body, signers,
                                         admin->signer_count, &info, msg,
                                         sizeof(msg));
    if (err != TK_OK)
        return admin_error(call, 422, "envelope_rejected", "%s (%s)", msg,
                           tk_errname(err));
    if (info.sequence > INT64_MAX)
        return admin_error(call, 422, "envelope_rejected",
                           "sequence number %" PRIu64 " is above what the "
                           "store keeps",
                           info.sequence);
    char name[DEFAULT_NAME_MAX + 8];
    const char *given = tk_net_request_query(req, "name");
    if (given != NULL && (given[0] == '\0' || strlen(given) > 128))
        return admin_error(call, 400, "invalid_request",
                           "name must have 1 to 128 characters");
    if (given == NULL)
        default_name(info.component_id, name, sizeof(name));
    tk_store_version v;
    memset(&v, 0, sizeof(v));
    v.sequence = info.sequence;
    v.digest = info.digest;
    v.envelope = req->body;
    v.size = req->body.len;
    int64_t component = 0;
    int64_t version = 0;
    tk_store_detail detail = {{0}};
    err = tk_store_version_upload(admin->store, info.component_id,
                                  given != NULL ? given : name, &v,
                                  TK_ADMIN_ACTOR, &component, &version,
                                  &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    tk_store_component c;
    tk_store_version stored;
    err = tk_store_component_get(admin->store, component, &call->mem, &c,
                                 &detail);
    if (err == TK_OK)
        err = tk_store_version_get(admin->store, version, &call->mem, &stored,
                                   &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    TK_LOG_INFO(ADMIN_LOG, "component %" PRId64 " version %" PRId64
                           " uploaded: sequence=%" PRIu64 " bytes=%zu id=%s",
                component, version, info.sequence, req->body.len,
                req->request_id);
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/components/%" PRId64,
             component);
    tk_net_response_add_header(call->resp, "Location", location);
    return admin_reply(call, 201,
                       json_pack("{s:o, s:o}", "component",
                                 tk_admin_json_component(&c), "version",
                                 tk_admin_json_version(&stored)));
}

/* ---- Show ------------------------------------------------------------------ */

/*
 * Counts the devices that reported each version of component c (by
 * sequence number) into counts[0..versions->count), and the rest into
 * *other. Reads at most MAX_COUNTED_ROWS installed entries of c; *complete
 * is set when it read them all.
 */
static tk_err count_installed(admin_call *call, const tk_store_component *c,
                              const tk_store_versions *versions,
                              int64_t *counts, int64_t *other,
                              bool *complete, tk_store_detail *detail)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    size_t rows = 0;
    *other = 0;
    *complete = false;
    while (rows < MAX_COUNTED_ROWS) {
        tk_store_mem mem = TK_STORE_MEM_INIT;
        tk_store_installeds list;
        tk_err err = tk_store_installed_by_component(
            call->admin->store, c->component_id, &page, &mem, &list, detail);
        if (err != TK_OK) {
            tk_store_mem_free(&mem);
            return err;
        }
        for (size_t i = 0; i < list.count; i++) {
            const tk_store_installed *row = &list.items[i];
            size_t k = 0;
            while (k < versions->count &&
                   versions->items[k].sequence != row->sequence)
                k++;
            if (k < versions->count)
                counts[k]++;
            else
                (*other)++;
        }
        rows += list.count;
        page.after = list.next;
        tk_store_mem_free(&mem);
        if (page.after == 0) {
            *complete = true;
            break;
        }
    }
    return TK_OK;
}

/*
 * Adds to o the versions of component c, each with the number of devices
 * that reported it, and the totals. Sends the error and returns false when
 * the store fails or memory runs out.
 */
static bool add_installed_counts(admin_call *call,
                                 const tk_store_component *c, json_t *o)
{
    tk_store_page page = {0, MAX_VERSIONS, false};
    tk_store_versions versions;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_version_list(call->admin->store, c->id, &page,
                                       &call->mem, &versions, &detail);
    int64_t *counts = NULL;
    int64_t other = 0;
    bool complete = false;
    if (err == TK_OK) {
        counts = calloc(versions.count + 1, sizeof(*counts));
        if (counts == NULL) {
            admin_error(call, 500, "internal", "out of memory");
            return false;
        }
        err = count_installed(call, c, &versions, counts, &other, &complete,
                              &detail);
    }
    if (err != TK_OK) {
        free(counts);
        admin_store_error(call, err, &detail);
        return false;
    }
    json_t *items = json_array();
    int64_t total = other;
    for (size_t i = 0; items != NULL && i < versions.count; i++) {
        json_t *v = tk_admin_json_version(&versions.items[i]);
        if (v != NULL)
            json_object_set_new(v, "devices", json_integer(counts[i]));
        json_array_append_new(items, v);
        total += counts[i];
    }
    free(counts);
    if (items == NULL) {
        admin_error(call, 500, "internal", "out of memory");
        return false;
    }
    json_object_set_new(o, "versions", items);
    json_object_set_new(o, "installed_devices", json_integer(total));
    json_object_set_new(o, "installed_other_versions", json_integer(other));
    json_object_set_new(o, "installed_counts_complete",
                        json_boolean(complete));
    return true;
}

static tk_err component_show(admin_call *call, const tk_store_component *c)
{
    json_t *o = tk_admin_json_component(c);
    if (o == NULL)
        return admin_error(call, 500, "internal", "out of memory");
    if (!add_installed_counts(call, c, o)) {
        json_decref(o);
        return TK_OK;
    }
    return admin_reply(call, 200, o);
}

/*
 * GET /components/{id}/devices: the devices that reported the component,
 * with the sequence number each has, one page of the component's
 * installed entries at a time.
 */
static tk_err component_devices(admin_call *call,
                                const tk_store_component *c)
{
    tk_store_page page;
    if (!admin_page(call, &page))
        return TK_OK;
    tk_store_installeds list;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_installed_by_component(
        call->admin->store, c->component_id, &page, &call->mem, &list,
        &detail);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < list.count; i++) {
        const tk_store_installed *row = &list.items[i];
        tk_store_device d;
        json_t *o = json_object();
        if (o == NULL)
            continue;
        json_object_set_new(o, "device_id", json_integer(row->device_id));
        if (tk_store_device_get(call->admin->store, row->device_id,
                                &call->mem, &d, NULL) == TK_OK) {
            json_object_set_new(o, "ueid", tk_admin_json_hex(d.ueid));
            json_object_set_new(o, "name",
                                json_string(d.name != NULL ? d.name : ""));
        }
        json_object_set_new(o, "sequence",
                            json_integer((json_int_t)row->sequence));
        json_object_set_new(o, "digest", tk_admin_json_hex(row->digest));
        json_object_set_new(o, "reported", tk_admin_json_time(row->reported));
        json_array_append_new(items, o);
    }
    return admin_reply_list(call, items, list.next);
}

/* GET /components/{id}/versions/{version}/envelope: the stored bytes. */
static tk_err version_envelope(admin_call *call, const tk_store_component *c,
                               const char *version_text)
{
    if (call->method != TK_NET_GET)
        return admin_method_not_allowed(call, "GET, HEAD");
    int64_t id = 0;
    if (!admin_parse_id(version_text, &id))
        return admin_error(call, 400, "invalid_request",
                           "version '%.40s' is not a version number",
                           version_text);
    tk_store_version v;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_version_get(call->admin->store, id, &call->mem, &v,
                                      &detail);
    if (err == TK_OK && v.component != c->id)
        err = TK_ERR_STORE_NOT_FOUND;
    if (err == TK_ERR_STORE_NOT_FOUND)
        return admin_error(call, 404, "not_found",
                           "component %" PRId64 " has no version %" PRId64,
                           c->id, id);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    call->resp->status = 200;
    return tk_net_response_set_body(call->resp, ADMIN_MEDIA_SUIT,
                                    v.envelope.ptr, v.envelope.len);
}

static tk_err component_remove(admin_call *call, const tk_store_component *c)
{
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_component_delete(call->admin->store, c->id,
                                           TK_ADMIN_ACTOR, &detail);
    if (err == TK_ERR_STORE_REFERENCE)
        return admin_error(call, 409, "in_use",
                           "component %" PRId64 " is still named by a policy "
                           "rule; remove the rule first",
                           c->id);
    if (err != TK_OK)
        return admin_store_error(call, err, &detail);
    call->resp->status = 204;
    return TK_OK;
}

tk_err admin_components(admin_call *call)
{
    if (call->nseg == 1) {
        if (call->method == TK_NET_GET)
            return component_list(call);
        if (call->method == TK_NET_POST)
            return component_upload(call);
        return admin_method_not_allowed(call, "GET, HEAD, POST");
    }
    if (call->nseg == 2 && call->method != TK_NET_GET &&
        call->method != TK_NET_DELETE)
        return admin_method_not_allowed(call, "GET, HEAD, DELETE");
    if (call->nseg >= 3 && call->method != TK_NET_GET)
        return admin_method_not_allowed(call, "GET, HEAD");
    tk_store_component c;
    if (!admin_find_component(call, call->seg[1], &c))
        return TK_OK;
    if (call->nseg == 2)
        return call->method == TK_NET_GET ? component_show(call, &c)
                                          : component_remove(call, &c);
    if (call->nseg == 3 && strcmp(call->seg[2], "devices") == 0)
        return component_devices(call, &c);
    if (call->nseg == 5 && strcmp(call->seg[2], "versions") == 0 &&
        strcmp(call->seg[4], "envelope") == 0)
        return version_envelope(call, &c, call->seg[3]);
    return admin_error(call, 404, "not_found", "no API resource at %.200s",
                       call->req->path);
}
