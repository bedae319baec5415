/*
 * What the agent sends the TAM about its components: the tc-list of a
 * QueryResponse, the manifests claim of its evidence, and its pending
 * RequestTA and UnrequestTA entries. Also the component identifier forms
 * that users type.
 */
#define _POSIX_C_SOURCE 200809L

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "log.h"
#include "teepkit/cbor.h"
#include "util.h"

/* Largest executable hashed for the agent's own manifests entry. */
#define SELF_MAX_SIZE (256u * 1024u * 1024u)

/* CoAP Content-Format of a manifests entry: 60 (application/cbor), which
 * the TEEP profile uses until one is assigned to SUIT_Reference. */
#define MANIFEST_CONTENT_FORMAT 60

tk_err agent_id_encode(const tk_suitdev_id *id, uint8_t *out, size_t cap,
                       size_t *len)
{
    tk_cbor_enc enc;

    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_array(&enc, id->count);
    for (size_t i = 0; i < id->count; i++)
        tk_cbor_enc_put_bstr(&enc, id->segment[i].ptr, id->segment[i].len);
    return tk_cbor_enc_finish(&enc, len);
}

/* Encodes a SUIT_Digest [alg, bytes]. */
static tk_err digest_encode(int64_t alg, const uint8_t *bytes, size_t n,
                            uint8_t *out, size_t cap, size_t *len)
{
    tk_cbor_enc enc;

    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, alg);
    tk_cbor_enc_put_bstr(&enc, bytes, n);
    return tk_cbor_enc_finish(&enc, len);
}

/*
 * Encodes a SUIT_Reference [uri, SUIT_Digest] (draft-ietf-suit-report-18
 * section 4), the content of a manifests entry of the TEEP EAT profile.
 */
static tk_err reference_encode(const char *uri, int64_t alg,
                               const uint8_t *digest, size_t n, uint8_t *out,
                               size_t cap, size_t *len)
{
    tk_cbor_enc enc;

    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_text(&enc, uri);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, alg);
    tk_cbor_enc_put_bstr(&enc, digest, n);
    return tk_cbor_enc_finish(&enc, len);
}

/* Fills the cache entry c from a store entry. */
static tk_err component_fill(agent_component *c, const tk_suitdev_entry *e)
{
    const tk_suitdev_meta *m = &e->meta;
    tk_err err;

    memset(c, 0, sizeof(*c));
    memcpy(c->name, e->name, sizeof(c->name));
    c->meta = *m;
    err = agent_id_encode(&e->id, c->id, sizeof(c->id), &c->id_len);
    if (err == TK_OK)
        err = digest_encode(TK_ALG_SHA256, m->image_digest,
                            sizeof(m->image_digest), c->digest,
                            sizeof(c->digest), &c->digest_len);
    if (err != TK_OK)
        return err;
    /* A component installed without a manifest is named by its image. */
    if (m->manifest_digest_len == 0)
        return reference_encode("", TK_ALG_SHA256, m->image_digest,
                                sizeof(m->image_digest), c->reference,
                                sizeof(c->reference), &c->reference_len);
    return reference_encode("", m->manifest_digest_alg, m->manifest_digest,
                            m->manifest_digest_len, c->reference,
                            sizeof(c->reference), &c->reference_len);
}

/* Returns true when id names a cached component. */
static bool installed(const tk_agent *agent, const agent_request *r)
{
    return agent_inventory_find(agent, (tk_view){r->id, r->len}) != NULL;
}

/* Drops the requests whose component is installed and the unrequests
 * whose component is gone. */
static void prune_requests(tk_agent *agent)
{
    size_t kept = 0;

    for (size_t i = 0; i < agent->request_count; i++) {
        if (installed(agent, &agent->requests[i]))
            TK_LOG_INFO(AGENT_LOG, "requested component is installed");
        else
            agent->requests[kept++] = agent->requests[i];
    }
    agent->request_count = kept;
    kept = 0;
    for (size_t i = 0; i < agent->unrequest_count; i++) {
        if (!installed(agent, &agent->unrequests[i]))
            TK_LOG_INFO(AGENT_LOG, "unneeded component is deleted");
        else
            agent->unrequests[kept++] = agent->unrequests[i];
    }
    agent->unrequest_count = kept;
}

tk_err agent_inventory_refresh(tk_agent *agent)
{
    tk_suitdev_entry *entries = NULL;
    size_t count = 0;
    tk_err err = tk_suitdev_list(agent->device, &entries, &count);

    if (err != TK_OK) {
        TK_LOG_ERROR(AGENT_LOG, "cannot list the installed components: %s",
                     tk_suitdev_last_error(agent->device));
        return err;
    }
    if (count > agent->component_cap) {
        agent_component *grown =
            realloc(agent->components, count * sizeof(*grown));

        if (grown == NULL) {
            tk_suitdev_list_free(entries, count);
            return TK_ERR_INTERNAL;
        }
        agent->components = grown;
        agent->component_cap = count;
    }
    agent->component_count = 0;
    for (size_t i = 0; err == TK_OK && i < count; i++) {
        err = component_fill(&agent->components[i], &entries[i]);
        if (err == TK_OK)
            agent->component_count++;
    }
    tk_suitdev_list_free(entries, count);
    if (err != TK_OK) {
        TK_LOG_ERROR(AGENT_LOG, "cannot describe an installed component: %s",
                     tk_strerror(err));
        return err;
    }
    prune_requests(agent);
    return TK_OK;
}

const agent_component *agent_inventory_find(const tk_agent *agent,
                                            tk_view id)
{
    for (size_t i = 0; i < agent->component_count; i++) {
        const agent_component *c = &agent->components[i];

        if (c->id_len == id.len && memcmp(c->id, id.ptr, id.len) == 0)
            return c;
    }
    return NULL;
}

void agent_self_reference(tk_agent *agent)
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t digest[32];
    size_t digest_len = 0;
    tk_view part;

    memset(digest, 0, sizeof(digest));
    if (tk_util_read_file("/proc/self/exe", SELF_MAX_SIZE, &data, &len) ==
        0) {
        part = (tk_view){data, len};
        if (agent->crypto->hash(agent->crypto->ctx, TK_ALG_SHA256, &part, 1,
                                digest, sizeof(digest), &digest_len) != TK_OK)
            memset(digest, 0, sizeof(digest));
        free(data);
    } else {
        TK_LOG_WARN(AGENT_LOG, "cannot read the agent executable to measure "
                    "it; its manifests entry carries a zero digest");
    }
    if (reference_encode("", TK_ALG_SHA256, digest, sizeof(digest),
                         agent->self_reference,
                         sizeof(agent->self_reference),
                         &agent->self_reference_len) != TK_OK)
        agent->self_reference_len = 0;
}

tk_err agent_device_claims(const tk_agent *agent, tk_eat_claims *claims)
{
    size_t n = 0;

    memset(claims, 0, sizeof(*claims));
    claims->present = TK_EAT_HAS_UEID | TK_EAT_HAS_OEMID |
                      TK_EAT_HAS_HWMODEL | TK_EAT_HAS_HWVERSION |
                      TK_EAT_HAS_MANIFESTS;
    claims->ueid = (tk_view){agent->ueid, agent->ueid_len};
    claims->oemid = (tk_view){agent->oemid, agent->oemid_len};
    claims->hwmodel = (tk_view){agent->hwmodel, agent->hwmodel_len};
    claims->hwversion.version =
        (tk_view){(const uint8_t *)agent->hwversion, strlen(agent->hwversion)};
    /* The first entry describes the agent itself, as the TEEP profile
     * recommends, so the claim is never empty. */
    if (agent->self_reference_len > 0) {
        claims->manifests[n].content_type = MANIFEST_CONTENT_FORMAT;
        claims->manifests[n].content =
            (tk_view){agent->self_reference, agent->self_reference_len};
        n++;
    }
    for (size_t i = 0; i < agent->component_count; i++) {
        const agent_component *c = &agent->components[i];

        if (n == TK_EAT_MAX_MANIFESTS) {
            /* The host build sets the limit with the CMake cache variable
             * TK_HOST_EAT_MAX_MANIFESTS (docs/agent.md, "Limits"). */
            TK_LOG_ERROR(AGENT_LOG, "%zu components do not fit the manifests "
                         "claim (TK_EAT_MAX_MANIFESTS is %d); build with a "
                         "larger TK_HOST_EAT_MAX_MANIFESTS",
                         agent->component_count, TK_EAT_MAX_MANIFESTS);
            return TK_ERR_LIMIT;
        }
        claims->manifests[n].content_type = MANIFEST_CONTENT_FORMAT;
        claims->manifests[n].content = (tk_view){c->reference,
                                                 c->reference_len};
        n++;
    }
    claims->manifest_count = n;
    return TK_OK;
}

/* ---------------------------------------------------------------------- */
/* Callbacks of the state machine                                         */
/* ---------------------------------------------------------------------- */

tk_err agent_cb_component(void *ctx, size_t index, tk_teep_tc_info *info)
{
    const tk_agent *agent = ctx;
    const agent_component *c;

    if (index >= agent->component_count)
        return TK_ERR_NOT_FOUND;
    c = &agent->components[index];
    memset(info, 0, sizeof(*info));
    info->component_id = (tk_view){c->id, c->id_len};
    info->image_digest = (tk_view){c->digest, c->digest_len};
    info->has_image_size = true;
    info->image_size = c->meta.image_size;
    info->has_sequence = true;
    info->sequence = c->meta.sequence_number;
    return TK_OK;
}

tk_err agent_cb_requested(void *ctx, size_t index, tk_teep_requested_tc *tc)
{
    const tk_agent *agent = ctx;

    if (index >= agent->request_count)
        return TK_ERR_NOT_FOUND;
    memset(tc, 0, sizeof(*tc));
    tc->component_id =
        (tk_view){agent->requests[index].id, agent->requests[index].len};
    return TK_OK;
}

tk_err agent_cb_unneeded(void *ctx, size_t index, tk_view *manifest_id)
{
    const tk_agent *agent = ctx;

    if (index >= agent->unrequest_count)
        return TK_ERR_NOT_FOUND;
    *manifest_id =
        (tk_view){agent->unrequests[index].id, agent->unrequests[index].len};
    return TK_OK;
}

/* ---------------------------------------------------------------------- */
/* Requests                                                               */
/* ---------------------------------------------------------------------- */

/* Adds id to list unless it is there. */
static tk_err request_add(agent_request *list, size_t *count, tk_view id)
{
    tk_suitdev_id parsed;

    if (id.len == 0 || id.len > TK_AGENT_MAX_COMPONENT_ID ||
        tk_suitdev_id_decode(id, &parsed) != TK_OK)
        return TK_ERR_AGENT_COMPONENT_ID;
    for (size_t i = 0; i < *count; i++) {
        if (list[i].len == id.len && memcmp(list[i].id, id.ptr, id.len) == 0)
            return TK_OK;
    }
    if (*count == TK_AGENT_MAX_REQUESTS)
        return TK_ERR_LIMIT;
    memcpy(list[*count].id, id.ptr, id.len);
    list[*count].len = id.len;
    (*count)++;
    return TK_OK;
}

tk_err tk_agent_request(tk_agent *agent, tk_view id)
{
    return request_add(agent->requests, &agent->request_count, id);
}

tk_err tk_agent_unrequest(tk_agent *agent, tk_view id)
{
    return request_add(agent->unrequests, &agent->unrequest_count, id);
}

size_t tk_agent_pending(const tk_agent *agent)
{
    return agent->request_count + agent->unrequest_count;
}

/* ---------------------------------------------------------------------- */
/* Component identifier text                                              */
/* ---------------------------------------------------------------------- */

/* Parses the JSON list form into id, whose segments point into buf. */
static tk_err parse_json_id(const char *text, tk_suitdev_id *id,
                            uint8_t *buf, size_t cap)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    size_t used = 0;
    size_t i;
    json_t *item;
    tk_err err = TK_OK;

    if (!json_is_array(root) || json_array_size(root) == 0 ||
        json_array_size(root) > TK_SUITDEV_MAX_SEGMENTS)
        err = TK_ERR_AGENT_COMPONENT_ID;
    id->count = 0;
    json_array_foreach(root, i, item) {
        const char *s = json_string_value(item);
        const char *hex = json_string_value(json_object_get(item, "hex"));
        long n = -1;

        if (err != TK_OK)
            break;
        if (s != NULL && strlen(s) <= cap - used) {
            n = (long)strlen(s);
            memcpy(buf + used, s, (size_t)n);
        } else if (hex != NULL && json_object_size(item) == 1) {
            n = tk_util_hex_decode(hex, strlen(hex), buf + used, cap - used);
        }
        if (n < 0) {
            err = TK_ERR_AGENT_COMPONENT_ID;
            break;
        }
        id->segment[id->count++] = (tk_view){buf + used, (size_t)n};
        used += (size_t)n;
    }
    json_decref(root);
    return err;
}

/* Parses the store name form "c_sTEXT_hHEX..." into id, whose segments
 * point into buf. */
static tk_err parse_name_id(const char *text, tk_suitdev_id *id,
                            uint8_t *buf, size_t cap)
{
    const char *p = text + 1;
    size_t used = 0;
    char name[TK_SUITDEV_NAME_SIZE];

    id->count = 0;
    while (*p == '_') {
        char kind = p[1];
        const char *start = p + 2;
        const char *end = start;
        long n;

        if ((kind != 's' && kind != 'h') ||
            id->count == TK_SUITDEV_MAX_SEGMENTS)
            return TK_ERR_AGENT_COMPONENT_ID;
        while (*end != '\0' && *end != '_')
            end++;
        if (kind == 's') {
            n = (long)(end - start);
            if ((size_t)n > cap - used)
                return TK_ERR_AGENT_COMPONENT_ID;
            memcpy(buf + used, start, (size_t)n);
        } else {
            n = tk_util_hex_decode(start, (size_t)(end - start), buf + used,
                                   cap - used);
        }
        if (n < 0)
            return TK_ERR_AGENT_COMPONENT_ID;
        id->segment[id->count++] = (tk_view){buf + used, (size_t)n};
        used += (size_t)n;
        p = end;
    }
    /* The name must be exactly the one the store gives this identifier. */
    if (*p != '\0' || id->count == 0 ||
        tk_suitdev_component_name(id, name) != TK_OK ||
        strcmp(name, text) != 0)
        return TK_ERR_AGENT_COMPONENT_ID;
    return TK_OK;
}

tk_err tk_agent_component_id_parse(const char *text, uint8_t *out,
                                   size_t cap, size_t *len)
{
    uint8_t buf[TK_AGENT_MAX_COMPONENT_ID];
    tk_suitdev_id id;
    tk_err err;

    if (text == NULL || out == NULL || len == NULL)
        return TK_ERR_INVALID_ARG;
    if (strncmp(text, "hex:", 4) == 0) {
        long n = tk_util_hex_decode(text + 4, strlen(text + 4), out, cap);

        if (n <= 0 || tk_suitdev_id_decode((tk_view){out, (size_t)n}, &id) !=
                          TK_OK ||
            id.count == 0)
            return TK_ERR_AGENT_COMPONENT_ID;
        *len = (size_t)n;
        return TK_OK;
    }
    if (text[0] == '[')
        err = parse_json_id(text, &id, buf, sizeof(buf));
    else if (text[0] == 'c' && text[1] == '_')
        err = parse_name_id(text, &id, buf, sizeof(buf));
    else
        err = TK_ERR_AGENT_COMPONENT_ID;
    if (err == TK_OK && agent_id_encode(&id, out, cap, len) != TK_OK)
        err = TK_ERR_AGENT_COMPONENT_ID;
    return err;
}
