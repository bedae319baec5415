/*
 * Declarations shared by the files of the admin listener. Not installed.
 *
 * tk_admin_handle() (admin_server.c) checks the token, splits the path
 * and passes an admin_call to the handler of the resource:
 * admin_devices.c, admin_components.c, admin_policy.c and
 * admin_records.c. Each handler replies through admin_reply() or
 * admin_error(), so every reply of the API is JSON.
 */
#ifndef TK_ADMIN_INTERNAL_H
#define TK_ADMIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "admin.h"
#include "log.h"

/* Log component of the admin listener. */
#define ADMIN_LOG "admin"

/* Path segments after /api/v1 that a route may have. */
#define ADMIN_MAX_SEGMENTS 6

/* Maximum length of a request path that the API reads. */
#define ADMIN_MAX_PATH 1024

/* Media types of the API. */
#define ADMIN_MEDIA_JSON "application/json"
#define ADMIN_MEDIA_SUIT "application/suit-envelope+cose"

struct tk_admin {
    tk_tam *tam;
    tk_store *store;
    const tk_crypto *crypto;
    tk_admin_metrics *metrics;
    tk_http_server *teep;
    tk_http_server *http;
    /* SHA-256 of the token: requests compare digests, so the comparison
     * takes the same time whatever the length of the presented token. */
    uint8_t token_digest[32];
    size_t max_upload;
    tk_key signers[TK_TAM_MAX_SIGNER_KEYS];
    size_t signer_count;
};

/* One API request on its way through the handlers. */
typedef struct admin_call {
    tk_admin *admin;
    const tk_net_request *req;
    tk_net_response *resp;
    tk_net_method method;  /* HEAD is handled as GET */
    char path[ADMIN_MAX_PATH];
    const char *seg[ADMIN_MAX_SEGMENTS]; /* after /api/v1/ */
    size_t nseg;
    tk_store_mem mem;      /* owns the store results of the request */
} admin_call;

/* ---- Replies (admin_server.c) -------------------------------------------- */

/* Sends value (a reference that is taken) as the JSON body with status.
 * Returns TK_OK. */
tk_err admin_reply(admin_call *call, unsigned status, json_t *value);

/* Sends the error body {"code": code, "message": ...} with status.
 * Returns TK_OK. */
tk_err admin_error(admin_call *call, unsigned status, const char *code,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sends 405 with an Allow field listing allow ("GET, POST"). */
tk_err admin_method_not_allowed(admin_call *call, const char *allow);

/* Sends the status and body that a failed store call maps to: 404 for
 * a missing entity, 409 for a duplicate or a reference, 400 for a value
 * the schema rejects, 503 when the store is busy, else 500. */
tk_err admin_store_error(admin_call *call, tk_err err,
                         const tk_store_detail *detail);

/* Sends {"items": items, "next_cursor": next or null} (items taken). */
tk_err admin_reply_list(admin_call *call, json_t *items, int64_t next);

/* ---- Request helpers (admin_server.c) ----------------------------------- */

/* Reads limit, cursor and order from the query into page. Sends 400 and
 * returns false when one is invalid. */
bool admin_page(admin_call *call, tk_store_page *page);

/* Parses the body as a JSON object. Sends 415, 413 or 400 and returns
 * NULL when it is not one; else returns a new reference. */
json_t *admin_json_body(admin_call *call);

/* Decodes hex text of 1..max bytes into a malloc'd buffer. Returns false
 * when the text is not such hex. */
bool admin_hex_decode(const char *text, size_t max, uint8_t **out,
                      size_t *len);

/* Parses a decimal id above 0. */
bool admin_parse_id(const char *text, int64_t *id);

/* Finds a device by its UEID in hex; sends 404 (or 400 for text that is
 * not hex) and returns false when there is none. */
bool admin_find_device(admin_call *call, const char *ueid_hex,
                       tk_store_device *out);

/* Finds a component by its store id; sends 404 or 400 and returns false
 * when there is none. */
bool admin_find_component(admin_call *call, const char *id_text,
                          tk_store_component *out);

/* Finds a class by name; with create, adds it when absent. Sends the
 * error and returns false on failure. */
bool admin_find_class(admin_call *call, const char *name, bool create,
                      int64_t *id);

/* Returns the string member name of obj, NULL when absent. Sends 400 and
 * sets *bad when it is present but not a string. */
const char *admin_member_string(admin_call *call, json_t *obj,
                                const char *name, bool *bad);

/* ---- Resources ----------------------------------------------------------- */

tk_err admin_devices(admin_call *call);    /* admin_devices.c */
tk_err admin_components(admin_call *call); /* admin_components.c */
tk_err admin_classes(admin_call *call);    /* admin_policy.c */
tk_err admin_policy(admin_call *call);     /* admin_policy.c */
tk_err admin_summary(admin_call *call);    /* admin_records.c */
tk_err admin_attestations(admin_call *call);
tk_err admin_reports(admin_call *call);
tk_err admin_audit(admin_call *call);

/* admin_policy.c: rules of a device or class under
 * /devices/{ueid}/policy... and /classes/{name}/policy...; seg_first is the
 * index of "policy" in call->seg. */
tk_err admin_owner_policy(admin_call *call, int64_t device_id,
                          int64_t class_id, size_t seg_first);

/* admin_policy.c: a rule as JSON with the device's UEID, the class name
 * and the component name looked up. */
json_t *admin_policy_json(admin_call *call, const tk_store_policy *p);

/* ---- Dashboard (admin_dashboard.c) -------------------------------------- */

/* Serves a static file of the dashboard for path; returns false when no
 * file has that path. */
bool admin_dashboard_file(const char *path, tk_net_response *resp,
                          tk_err *err);

#endif /* TK_ADMIN_INTERNAL_H */
