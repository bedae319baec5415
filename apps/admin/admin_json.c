/*
 * JSON forms of the store's entities, shared by the admin API and
 * `teepkit tam ... --json`. docs/openapi.yaml describes each object.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "teepkit/cbor.h"
#include "util.h"

/* Maximum length of the diagnostic notation of a component identifier. */
#define DIAG_MAX 2048

/* Sets key of obj to value. A NULL value (out of memory) leaves the key
 * out rather than failing the whole object. */
static void set(json_t *obj, const char *key, json_t *value)
{
    if (value != NULL)
        json_object_set_new(obj, key, value);
}

static json_t *id_or_null(int64_t id)
{
    return id != 0 ? json_integer(id) : json_null();
}

static json_t *string_or_empty(const char *s)
{
    return json_string(s != NULL ? s : "");
}

json_t *tk_admin_json_time(int64_t t)
{
    if (t == 0)
        return json_null();
    time_t tt = (time_t)t;
    struct tm tm;
    char text[32];
    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_integer(t);
    return json_string(text);
}

json_t *tk_admin_json_hex(tk_view bytes)
{
    char *text = malloc(2 * bytes.len + 1);
    if (text == NULL)
        return NULL;
    text[0] = '\0';
    if (bytes.len > 0)
        tk_util_hex_encode(bytes.ptr, bytes.len, text);
    json_t *value = json_string(text);
    free(text);
    return value;
}

/* Diagnostic notation of an encoded CBOR item, or its hex when it does
 * not decode. */
static json_t *diag(tk_view item)
{
    char *text = malloc(DIAG_MAX);
    if (text == NULL)
        return NULL;
    size_t needed = 0;
    tk_err err = tk_cbor_diag(item.ptr, item.len, text, DIAG_MAX, &needed, 0,
                              NULL, NULL, NULL);
    json_t *value = err == TK_OK ? json_string(text) : tk_admin_json_hex(item);
    free(text);
    return value;
}

const char *tk_admin_state_name(tk_store_device_state state)
{
    switch (state) {
    case TK_STORE_DEVICE_PENDING:
        return "pending";
    case TK_STORE_DEVICE_ACTIVE:
        return "active";
    case TK_STORE_DEVICE_BLOCKED:
        return "blocked";
    case TK_STORE_DEVICE_RETIRED:
        return "retired";
    }
    return "unknown";
}

const char *tk_admin_verdict_name(tk_store_verdict verdict)
{
    switch (verdict) {
    case TK_STORE_VERDICT_AFFIRMING:
        return "affirming";
    case TK_STORE_VERDICT_WARNING:
        return "warning";
    case TK_STORE_VERDICT_CONTRAINDICATED:
        return "contraindicated";
    case TK_STORE_VERDICT_FAILED:
        return "failed";
    }
    return "unknown";
}

static const char *refval_kind_name(tk_store_refval_kind kind)
{
    switch (kind) {
    case TK_STORE_REF_HWMODEL:
        return "hwmodel";
    case TK_STORE_REF_HWVERSION:
        return "hwversion";
    case TK_STORE_REF_MEASUREMENT:
        return "measurement";
    case TK_STORE_REF_ATTEST_KEY:
        return "attestation_key";
    case TK_STORE_REF_OEMID:
        return "oemid";
    }
    return "unknown";
}

json_t *tk_admin_json_device(const tk_store_device *d)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(d->id));
    set(o, "ueid", tk_admin_json_hex(d->ueid));
    set(o, "name", string_or_empty(d->name));
    set(o, "class_id", id_or_null(d->class_id));
    set(o, "state", json_string(tk_admin_state_name(d->state)));
    set(o, "created", tk_admin_json_time(d->created));
    set(o, "last_seen", tk_admin_json_time(d->last_seen));
    return o;
}

json_t *tk_admin_json_key(const tk_store_key *k)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(k->id));
    set(o, "use", json_string(k->use == TK_STORE_KEY_AGENT ? "agent"
                                                           : "attestation"));
    set(o, "kid", tk_admin_json_hex(k->kid));
    set(o, "alg", json_integer(k->alg));
    set(o, "cose_key", tk_admin_json_hex(k->cose_key));
    set(o, "created", tk_admin_json_time(k->created));
    return o;
}

/* Tells whether bytes are printable ASCII, so a hwversion can be shown
 * as text. */
static bool printable(tk_view v)
{
    for (size_t i = 0; i < v.len; i++)
        if (v.ptr[i] < 0x20 || v.ptr[i] > 0x7e)
            return false;
    return v.len > 0;
}

json_t *tk_admin_json_refval(const tk_store_refval *v)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(v->id));
    set(o, "device_id", id_or_null(v->device_id));
    set(o, "class_id", id_or_null(v->class_id));
    set(o, "kind", json_string(refval_kind_name(v->kind)));
    set(o, "label", tk_admin_json_hex(v->label));
    set(o, "value", tk_admin_json_hex(v->value));
    if (v->kind == TK_STORE_REF_HWVERSION && printable(v->value))
        set(o, "value_text",
            json_stringn((const char *)v->value.ptr, v->value.len));
    set(o, "created", tk_admin_json_time(v->created));
    return o;
}

json_t *tk_admin_json_component(const tk_store_component *c)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(c->id));
    set(o, "name", string_or_empty(c->name));
    set(o, "component_id", tk_admin_json_hex(c->component_id));
    set(o, "component_id_diag", diag(c->component_id));
    set(o, "created", tk_admin_json_time(c->created));
    return o;
}

json_t *tk_admin_json_version(const tk_store_version *v)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(v->id));
    set(o, "component", json_integer(v->component));
    set(o, "sequence", json_integer((json_int_t)v->sequence));
    set(o, "digest", tk_admin_json_hex(v->digest));
    set(o, "size", json_integer((json_int_t)v->size));
    set(o, "uploaded", tk_admin_json_time(v->uploaded));
    return o;
}

json_t *tk_admin_json_installed(const tk_store_installed *i)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(i->id));
    set(o, "device_id", json_integer(i->device_id));
    set(o, "component_id", tk_admin_json_hex(i->component_id));
    set(o, "component_id_diag", diag(i->component_id));
    set(o, "sequence", json_integer((json_int_t)i->sequence));
    set(o, "digest", tk_admin_json_hex(i->digest));
    set(o, "reported", tk_admin_json_time(i->reported));
    return o;
}

json_t *tk_admin_json_policy(const tk_store_policy *p)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(p->id));
    set(o, "device_id", id_or_null(p->device_id));
    set(o, "class_id", id_or_null(p->class_id));
    set(o, "component", json_integer(p->component));
    set(o, "action", json_string(p->action == TK_STORE_POLICY_INSTALL
                                     ? "install"
                                     : "forbid"));
    set(o, "created", tk_admin_json_time(p->created));
    return o;
}

json_t *tk_admin_json_attestation(const tk_store_attestation *a)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(a->id));
    set(o, "device_id", id_or_null(a->device_id));
    set(o, "session_id", id_or_null(a->session_id));
    set(o, "verdict", json_string(tk_admin_verdict_name(a->verdict)));
    set(o, "reason_code", json_integer(a->reason_code));
    set(o, "reason_name",
        a->reason_code != 0 ? json_string(tk_errname((tk_err)a->reason_code))
                            : json_null());
    set(o, "reason", string_or_empty(a->reason));
    /* The TAM stores a JSON summary of the claims; anything else is kept
     * as text. */
    json_t *claims = NULL;
    if (a->claims != NULL && a->claims[0] != '\0')
        claims = json_loads(a->claims, JSON_REJECT_DUPLICATES, NULL);
    if (claims == NULL && a->claims != NULL && a->claims[0] != '\0')
        claims = json_string(a->claims);
    set(o, "claims", claims != NULL ? claims : json_null());
    set(o, "created", tk_admin_json_time(a->created));
    return o;
}

json_t *tk_admin_json_report(const tk_store_report *r, bool with_bytes)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(r->id));
    set(o, "device_id", json_integer(r->device_id));
    set(o, "session_id", json_integer(r->session_id));
    set(o, "item", json_integer(r->item));
    set(o, "result", json_integer(r->result));
    set(o, "status", json_string(r->result == 0 ? "ok" : "failed"));
    set(o, "size", json_integer((json_int_t)r->report.len));
    set(o, "created", tk_admin_json_time(r->created));
    if (with_bytes) {
        set(o, "report", tk_admin_json_hex(r->report));
        set(o, "report_diag", diag(r->report));
    }
    return o;
}

json_t *tk_admin_json_audit(const tk_store_audit *e)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    set(o, "id", json_integer(e->id));
    set(o, "time", tk_admin_json_time(e->time));
    set(o, "actor", string_or_empty(e->actor));
    set(o, "action", string_or_empty(e->action));
    set(o, "object", string_or_empty(e->object));
    set(o, "detail", string_or_empty(e->detail));
    return o;
}

json_t *tk_admin_json_summary(const tk_store_summary *s)
{
    json_t *o = json_object();
    json_t *devices = json_object();
    json_t *verdicts = json_object();
    json_t *reports = json_object();
    if (o == NULL || devices == NULL || verdicts == NULL || reports == NULL) {
        json_decref(o);
        json_decref(devices);
        json_decref(verdicts);
        json_decref(reports);
        return NULL;
    }
    int64_t total = 0;
    for (int state = 0; state < 4; state++) {
        set(devices, tk_admin_state_name((tk_store_device_state)state),
            json_integer(s->devices[state]));
        total += s->devices[state];
    }
    set(devices, "total", json_integer(total));
    for (int v = 1; v <= 4; v++)
        set(verdicts, tk_admin_verdict_name((tk_store_verdict)v),
            json_integer(s->attestations[v]));
    set(reports, "ok", json_integer(s->reports_ok));
    set(reports, "failed", json_integer(s->reports_failed));
    json_object_set_new(o, "devices", devices);
    set(o, "classes", json_integer(s->classes));
    set(o, "components", json_integer(s->components));
    set(o, "versions", json_integer(s->versions));
    set(o, "policies", json_integer(s->policies));
    set(o, "open_sessions", json_integer(s->open_sessions));
    json_object_set_new(o, "attestations", verdicts);
    json_object_set_new(o, "reports", reports);
    set(o, "audit_entries", json_integer(s->audit_entries));
    return o;
}
