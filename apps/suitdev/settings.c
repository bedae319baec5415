/*
 * Device settings of the simulated SUIT device, read from a JSON file or
 * from command-line values. They give the battery level, the update
 * authorization, the network state, the clock, the component versions
 * and the custom commands that the update-management conditions and
 * directives read (draft-ietf-suit-update-management-14). docs/suit.md
 * describes the format.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suitdev_internal.h"

/* Largest settings file read. */
#define SETTINGS_MAX (1u << 20)

/* Formats msg and returns err. */
static tk_err settings_fail(char *msg, size_t msg_size, tk_err err,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tk_err settings_fail(char *msg, size_t msg_size, tk_err err,
                            const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, msg_size, fmt, ap);
    va_end(ap);
    return err;
}

/* Decodes lowercase or uppercase hex into out (capacity cap). Returns the
 * length, or -1 for an odd length, a non-hex character or no room. */
static long hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t len = strlen(hex);

    if (len % 2 != 0 || len / 2 > cap)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = hex[i];
        int v;

        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] = (uint8_t)(out[i / 2] | v);
    }
    return (long)(len / 2);
}

/*
 * Computes the store name of a component identifier given as a JSON list
 * of segments: text (its UTF-8 bytes) or {"hex": "..."}. Returns TK_OK or
 * TK_ERR_INVALID_ARG with a message.
 */
static tk_err component_name_of(const json_t *list, char *name, char *msg,
                                size_t msg_size)
{
    uint8_t bytes[TK_SUITDEV_MAX_SEGMENTS][TK_SUITDEV_NAME_SIZE];
    tk_suitdev_id id;

    memset(&id, 0, sizeof(id));
    if (!json_is_array(list) || json_array_size(list) > TK_SUITDEV_MAX_SEGMENTS)
        return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                             "a component must be a list of at most %d "
                             "segments", TK_SUITDEV_MAX_SEGMENTS);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *seg = json_array_get(list, i);
        const json_t *hex = json_object_get(seg, "hex");

        if (json_is_string(seg) &&
            json_string_length(seg) <= sizeof(bytes[i])) {
            memcpy(bytes[i], json_string_value(seg), json_string_length(seg));
            id.segment[i] = (tk_view){bytes[i], json_string_length(seg)};
        } else if (json_is_object(seg) && json_object_size(seg) == 1 &&
                   json_is_string(hex)) {
            long n = hex_to_bytes(json_string_value(hex), bytes[i],
                                  sizeof(bytes[i]));

            if (n < 0)
                return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                                     "component segment %zu: invalid hex "
                                     "'%s'", i, json_string_value(hex));
            id.segment[i] = (tk_view){bytes[i], (size_t)n};
        } else {
            return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                                 "component segment %zu must be text or "
                                 "{\"hex\": \"...\"} of at most %d bytes",
                                 i, TK_SUITDEV_NAME_SIZE);
        }
        id.count++;
    }
    return tk_suitdev_component_name(&id, name);
}

/* Reads a JSON list of integers into a version. */
static tk_err version_of(const json_t *list, tk_suitdev_version *v,
                         char *msg, size_t msg_size)
{
    size_t n = json_array_size(list);

    if (!json_is_array(list) || n == 0 || n > TK_SUIT_MAX_VERSION_PARTS)
        return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                             "a version must be a list of 1 to %d integers",
                             TK_SUIT_MAX_VERSION_PARTS);
    for (size_t i = 0; i < n; i++) {
        const json_t *part = json_array_get(list, i);

        if (!json_is_integer(part))
            return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                                 "version part %zu is not an integer", i);
        v->parts[i] = json_integer_value(part);
    }
    v->count = n;
    return TK_OK;
}

/* Adds or replaces the version of the component with store name name. */
static tk_err version_put(tk_suitdev_state *state, const char *name,
                          const tk_suitdev_version *v, char *msg,
                          size_t msg_size)
{
    size_t i;

    for (i = 0; i < state->version_count; i++)
        if (strcmp(state->versions[i].name, name) == 0)
            break;
    if (i == TK_SUITDEV_MAX_VERSIONS)
        return settings_fail(msg, msg_size, TK_ERR_LIMIT,
                             "more than %d component versions",
                             TK_SUITDEV_MAX_VERSIONS);
    state->versions[i] = *v;
    snprintf(state->versions[i].name, sizeof(state->versions[i].name), "%s",
             name);
    if (i == state->version_count)
        state->version_count++;
    return TK_OK;
}

static tk_err versions_read(const json_t *list, tk_suitdev_state *state,
                            char *msg, size_t msg_size)
{
    if (!json_is_array(list))
        return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                             "\"versions\" must be a list of {\"component\": "
                             "[...], \"version\": [...]}");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *entry = json_array_get(list, i);
        tk_suitdev_version v;
        char name[TK_SUITDEV_NAME_SIZE];
        tk_err err;

        memset(&v, 0, sizeof(v));
        if (!json_is_object(entry) || json_object_size(entry) != 2)
            return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                                 "versions[%zu] must have exactly the members "
                                 "\"component\" and \"version\"", i);
        err = component_name_of(json_object_get(entry, "component"), name,
                                msg, msg_size);
        if (err == TK_OK)
            err = version_of(json_object_get(entry, "version"), &v, msg,
                             msg_size);
        if (err == TK_OK)
            err = version_put(state, name, &v, msg, msg_size);
        if (err != TK_OK)
            return err;
    }
    return TK_OK;
}

static tk_err custom_read(const json_t *list, tk_suitdev_state *state,
                          char *msg, size_t msg_size)
{
    if (!json_is_array(list) ||
        json_array_size(list) > TK_SUITDEV_MAX_CUSTOM)
        return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                             "\"custom\" must be a list of at most %d "
                             "{\"label\": -N, \"result\": true|false}",
                             TK_SUITDEV_MAX_CUSTOM);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *entry = json_array_get(list, i);
        const json_t *label = json_object_get(entry, "label");
        const json_t *result = json_object_get(entry, "result");

        if (!json_is_object(entry) || json_object_size(entry) != 2 ||
            !json_is_integer(label) || json_integer_value(label) >= 0 ||
            !json_is_boolean(result))
            return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                                 "custom[%zu] must be {\"label\": a negative "
                                 "integer, \"result\": true or false}", i);
        state->custom[i].label = json_integer_value(label);
        state->custom[i].result = json_is_true(result);
    }
    state->custom_count = json_array_size(list);
    return TK_OK;
}

static tk_err authorize_read(const json_t *value, tk_suitdev_state *state,
                             char *msg, size_t msg_size)
{
    const json_t *max = json_object_get(value, "max-priority");

    if (json_is_boolean(value)) {
        state->authorization = json_is_true(value) ? TK_SUITDEV_AUTHORIZE_ALL
                                                   : TK_SUITDEV_AUTHORIZE_NONE;
        return TK_OK;
    }
    if (json_is_object(value) && json_object_size(value) == 1 &&
        json_is_integer(max)) {
        state->authorization = TK_SUITDEV_AUTHORIZE_PRIORITY;
        state->max_priority = json_integer_value(max);
        return TK_OK;
    }
    return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                         "\"authorize\" must be true, false or "
                         "{\"max-priority\": N}");
}

/* Reads a non-negative integer member into *out. */
static tk_err unsigned_read(const char *key, const json_t *value,
                            uint64_t *out, char *msg, size_t msg_size)
{
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                             "\"%s\" must be a non-negative integer", key);
    *out = (uint64_t)json_integer_value(value);
    return TK_OK;
}

/* Applies one member of the settings object. */
static tk_err member_read(const char *key, const json_t *value,
                          tk_suitdev_state *state, char *msg,
                          size_t msg_size)
{
    if (strcmp(key, "battery-mwh") == 0) {
        state->has_battery = true;
        return unsigned_read(key, value, &state->battery_mwh, msg, msg_size);
    }
    if (strcmp(key, "time") == 0) {
        state->has_time = true;
        return unsigned_read(key, value, &state->time, msg, msg_size);
    }
    if (strcmp(key, "network") == 0) {
        if (!json_is_integer(value))
            return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                                 "\"network\" must be an integer");
        state->has_network = true;
        state->network = json_integer_value(value);
        return TK_OK;
    }
    if (strcmp(key, "authorize") == 0)
        return authorize_read(value, state, msg, msg_size);
    if (strcmp(key, "versions") == 0)
        return versions_read(value, state, msg, msg_size);
    if (strcmp(key, "custom") == 0)
        return custom_read(value, state, msg, msg_size);
    return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                         "unknown member \"%s\"; the members are "
                         "battery-mwh, authorize, network, time, versions "
                         "and custom", key);
}

tk_err tk_suitdev_state_load(const char *path, tk_suitdev_state *state,
                             char *msg, size_t msg_size)
{
    json_error_t jerr;
    json_t *root;
    const char *key;
    json_t *value;
    tk_err err = TK_OK;
    char detail[256];

    if (path == NULL || state == NULL || msg == NULL)
        return TK_ERR_INVALID_ARG;
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                             "%s:%d: %s", path, jerr.line, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                             "%s: the settings must be a JSON object", path);
    }
    json_object_foreach(root, key, value) {
        err = member_read(key, value, state, detail, sizeof(detail));
        if (err != TK_OK)
            break;
    }
    json_decref(root);
    if (err != TK_OK)
        return settings_fail(msg, msg_size, err, "%s: %s", path, detail);
    return TK_OK;
}

tk_err tk_suitdev_state_set_version(tk_suitdev_state *state, const char *spec,
                                    char *msg, size_t msg_size)
{
    const char *eq = spec != NULL ? strchr(spec, '=') : NULL;
    tk_suitdev_version v;
    char name[TK_SUITDEV_NAME_SIZE];
    const char *p;

    if (state == NULL || msg == NULL)
        return TK_ERR_INVALID_ARG;
    if (eq == NULL || eq == spec || (size_t)(eq - spec) >= sizeof(name))
        return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                             "'%s' is not NAME=VERSION, such as "
                             "c_sapp=1.2.0", spec != NULL ? spec : "");
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = '\0';
    memset(&v, 0, sizeof(v));
    p = eq + 1;
    while (1) {
        char *end;
        long long part;

        errno = 0;
        part = strtoll(p, &end, 10);
        if (end == p || errno != 0 || v.count == TK_SUIT_MAX_VERSION_PARTS ||
            (*end != '.' && *end != '\0'))
            return settings_fail(msg, msg_size, TK_ERR_INVALID_ARG,
                                 "version '%s' must be 1 to %d integers "
                                 "separated by dots", eq + 1,
                                 TK_SUIT_MAX_VERSION_PARTS);
        v.parts[v.count++] = part;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    return version_put(state, name, &v, msg, msg_size);
}
