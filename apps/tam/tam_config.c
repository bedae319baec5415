/*
 * TAM configuration: defaults, "key = value" files and JSON files
 * (jansson). docs/tam.md lists every key; keep the two in step.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tam.h"
#include "util.h"

/* Maximum size of a configuration file, in bytes. */
#define CONFIG_MAX_FILE (256u * 1024u)

/* Bounds of the numeric keys. */
#define LIFETIME_MIN 60
#define LIFETIME_MAX (30 * 24 * 3600)
#define ROTATION_MAX (366 * 24 * 3600)
#define BODY_MIN 1024u
#define BODY_MAX (64u * 1024u * 1024u)
#define THREADS_MAX 64u
#define SKEW_MAX 3600u
#define AGE_MAX (7u * 24u * 3600u)
/* The store keeps envelopes of up to 16 MiB. */
#define UPLOAD_MAX (16u * 1024u * 1024u)

void tk_tam_config_init(tk_tam_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->session_lifetime = 24 * 3600;
    cfg->token_rotation = 7 * 24 * 3600;
    cfg->max_body = 1024u * 1024u;
    cfg->max_update = 1024u * 1024u;
    cfg->log_level = TK_LOG_INFO;
    cfg->threads = 4;
    cfg->store_pool = 4;
    cfg->require_attestation = true;
    cfg->open_requests = true;
    cfg->clock_skew = 60;
    cfg->evidence_max_age = 300;
    cfg->admin_max_upload = UPLOAD_MAX;
}

/* Overwrites a secret before its memory is freed. */
static void wipe_string(char *s)
{
    if (s == NULL)
        return;
    volatile char *p = s;
    while (*p != '\0')
        *p++ = '\0';
}

void tk_tam_config_free(tk_tam_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->db);
    free(cfg->listen);
    free(cfg->coap);
    free(cfg->key_dir);
    free(cfg->key_esp256);
    free(cfg->key_ed25519);
    for (size_t i = 0; i < cfg->signer_count; i++)
        free(cfg->signers[i]);
    free(cfg->admin);
    wipe_string(cfg->admin_token);
    free(cfg->admin_token);
    free(cfg->admin_token_file);
    tk_tam_config_init(cfg);
}

static tk_err config_fail(char *msg, size_t msg_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static tk_err config_fail(char *msg, size_t msg_size, const char *fmt, ...)
{
    if (msg != NULL && msg_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_size, fmt, ap);
        va_end(ap);
    }
    return TK_ERR_TAM_CONFIG;
}

/* Replaces the string *field with a copy of value ("" clears it). */
static tk_err set_string(char **field, const char *value)
{
    char *copy = NULL;
    if (value[0] != '\0') {
        copy = strdup(value);
        if (copy == NULL)
            return TK_ERR_TAM_CONFIG;
    }
    free(*field);
    *field = copy;
    return TK_OK;
}

/* Parses a decimal unsigned value within [min, max]. */
static bool parse_uint(const char *text, uint64_t min, uint64_t max,
                       uint64_t *out)
{
    if (!isdigit((unsigned char)text[0]))
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(text, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(text, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Checks "ADDRESS:PORT" with a numeric port. */
static bool valid_endpoint(const char *text)
{
    const char *colon = strrchr(text, ':');
    uint64_t port;
    return colon != NULL && colon != text &&
           parse_uint(colon + 1, 0, 65535, &port);
}

/* Keys whose value is a string. */
static char **string_field(tk_tam_config *cfg, const char *key)
{
    if (strcmp(key, "db") == 0)
        return &cfg->db;
    if (strcmp(key, "key_dir") == 0)
        return &cfg->key_dir;
    if (strcmp(key, "key_esp256") == 0)
        return &cfg->key_esp256;
    if (strcmp(key, "key_ed25519") == 0)
        return &cfg->key_ed25519;
    if (strcmp(key, "admin_token_file") == 0)
        return &cfg->admin_token_file;
    return NULL;
}

/* Keys whose value is a boolean. */
static bool *bool_field(tk_tam_config *cfg, const char *key)
{
    if (strcmp(key, "require_attestation") == 0)
        return &cfg->require_attestation;
    if (strcmp(key, "accept_warning") == 0)
        return &cfg->accept_warning;
    if (strcmp(key, "requery_on_attestation_failure") == 0)
        return &cfg->requery_on_failure;
    if (strcmp(key, "open_requests") == 0)
        return &cfg->open_requests;
    return NULL;
}

/* A numeric key, its bounds and its field (one of the four pointers). */
typedef struct number_key {
    const char *key;
    uint64_t min;
    uint64_t max;
    int64_t *as_i64;
    size_t *as_size;
    unsigned *as_unsigned;
    uint64_t *as_u64;
} number_key;

/* Sets a numeric key; returns false for a key that is not numeric. */
static bool set_number(tk_tam_config *cfg, const char *key,
                       const char *value, tk_err *err, char *msg,
                       size_t msg_size)
{
    const number_key keys[] = {
        {"session_lifetime", LIFETIME_MIN, LIFETIME_MAX,
         &cfg->session_lifetime, NULL, NULL, NULL},
        {"token_rotation", 0, ROTATION_MAX, &cfg->token_rotation, NULL,
         NULL, NULL},
        {"max_body", BODY_MIN, BODY_MAX, NULL, &cfg->max_body, NULL, NULL},
        {"max_update", BODY_MIN, BODY_MAX, NULL, &cfg->max_update, NULL,
         NULL},
        {"threads", 1, THREADS_MAX, NULL, NULL, &cfg->threads, NULL},
        {"store_pool", 1, TK_STORE_MAX_POOL, NULL, NULL, &cfg->store_pool,
         NULL},
        {"clock_skew", 0, SKEW_MAX, NULL, NULL, NULL, &cfg->clock_skew},
        {"evidence_max_age", 1, AGE_MAX, NULL, NULL, NULL,
         &cfg->evidence_max_age},
        {"admin_max_upload", BODY_MIN, UPLOAD_MAX, NULL,
         &cfg->admin_max_upload, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const number_key *k = &keys[i];
        if (strcmp(key, k->key) != 0)
            continue;
        uint64_t v;
        if (!parse_uint(value, k->min, k->max, &v)) {
            *err = config_fail(msg, msg_size,
                               "%s must be a whole number from %" PRIu64
                               " to %" PRIu64 ", not '%s'",
                               key, k->min, k->max, value);
            return true;
        }
        if (k->as_i64 != NULL)
            *k->as_i64 = (int64_t)v;
        else if (k->as_size != NULL)
            *k->as_size = (size_t)v;
        else if (k->as_unsigned != NULL)
            *k->as_unsigned = (unsigned)v;
        else
            *k->as_u64 = v;
        *err = TK_OK;
        return true;
    }
    return false;
}

/* Sets listen or coap after checking the endpoint form. */
static tk_err set_endpoint(char **field, const char *key, const char *value,
                           bool optional, char *msg, size_t msg_size)
{
    if (optional && value[0] == '\0')
        return set_string(field, value);
    if (!valid_endpoint(value))
        return config_fail(msg, msg_size,
                           "%s must be ADDRESS:PORT such as 127.0.0.1:8080, "
                           "not '%s'",
                           key, value);
    return set_string(field, value);
}

tk_err tk_tam_config_set(tk_tam_config *cfg, const char *key,
                         const char *value, char *msg, size_t msg_size)
{
    if (cfg == NULL || key == NULL || value == NULL)
        return TK_ERR_INVALID_ARG;
    char **str = string_field(cfg, key);
    if (str != NULL)
        return set_string(str, value);
    if (strcmp(key, "listen") == 0)
        return set_endpoint(&cfg->listen, key, value, false, msg, msg_size);
    if (strcmp(key, "coap") == 0)
        return set_endpoint(&cfg->coap, key, value, true, msg, msg_size);
    if (strcmp(key, "admin") == 0)
        return set_endpoint(&cfg->admin, key, value, true, msg, msg_size);
    if (strcmp(key, "admin_token") == 0) {
        wipe_string(cfg->admin_token);
        return set_string(&cfg->admin_token, value);
    }
    bool *flag = bool_field(cfg, key);
    if (flag != NULL) {
        if (!parse_bool(value, flag))
            return config_fail(msg, msg_size,
                               "%s must be true or false, not '%s'", key,
                               value);
        return TK_OK;
    }
    tk_err err = TK_OK;
    if (set_number(cfg, key, value, &err, msg, msg_size))
        return err;
    if (strcmp(key, "store_sync") == 0) {
        if (strcmp(value, "full") == 0)
            cfg->store_sync = TK_STORE_SYNC_FULL;
        else if (strcmp(value, "normal") == 0)
            cfg->store_sync = TK_STORE_SYNC_NORMAL;
        else
            return config_fail(msg, msg_size,
                               "store_sync must be full or normal, not '%s'",
                               value);
        return TK_OK;
    }
    if (strcmp(key, "log_level") == 0) {
        if (tk_log_parse_level(value, &cfg->log_level) != 0)
            return config_fail(msg, msg_size,
                               "log_level must be debug, info, warn, error "
                               "or off, not '%s'",
                               value);
        return TK_OK;
    }
    if (strcmp(key, "component_signer") == 0 ||
        strcmp(key, "component_signers") == 0) {
        if (cfg->signer_count == TK_TAM_MAX_SIGNER_KEYS)
            return config_fail(msg, msg_size,
                               "at most %d component signer keys are "
                               "allowed",
                               TK_TAM_MAX_SIGNER_KEYS);
        char *copy = strdup(value);
        if (copy == NULL)
            return TK_ERR_TAM_CONFIG;
        cfg->signers[cfg->signer_count++] = copy;
        return TK_OK;
    }
    return config_fail(msg, msg_size,
                       "unknown configuration key '%s'; docs/tam.md lists "
                       "the keys",
                       key);
}

/* Strips white space at both ends of s in place. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Reads "key = value" lines. */
static tk_err load_lines(tk_tam_config *cfg, const char *path, char *text,
                         char *msg, size_t msg_size)
{
    unsigned line_no = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL)
            return config_fail(msg, msg_size,
                               "%s line %u: expected 'key = value'", path,
                               line_no);
        *eq = '\0';
        char sub[256];
        tk_err err = tk_tam_config_set(cfg, trim(s), trim(eq + 1), sub,
                                       sizeof(sub));
        if (err != TK_OK)
            return config_fail(msg, msg_size, "%s line %u: %s", path,
                               line_no, sub);
    }
    return TK_OK;
}

/* Turns one JSON value into the text tk_tam_config_set() takes. */
static bool json_text(const json_t *value, char *out, size_t cap)
{
    if (json_is_string(value)) {
        snprintf(out, cap, "%s", json_string_value(value));
        return true;
    }
    if (json_is_integer(value)) {
        snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return true;
    }
    if (json_is_boolean(value)) {
        snprintf(out, cap, "%s", json_is_true(value) ? "true" : "false");
        return true;
    }
    return false;
}

/* Reads a JSON object of keys. component_signers may be a list, which
 * adds each of its elements. */
static tk_err load_json(tk_tam_config *cfg, const char *path,
                        const char *text, char *msg, size_t msg_size)
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return config_fail(msg, msg_size, "%s line %d: invalid JSON: %s",
                           path, jerr.line, jerr.text);
    tk_err err = TK_OK;
    if (!json_is_object(root))
        err = config_fail(msg, msg_size, "%s: expected a JSON object",
                          path);
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (err != TK_OK)
            break;
        bool list = json_is_array(value) &&
                    (strcmp(key, "component_signers") == 0 ||
                     strcmp(key, "component_signer") == 0);
        if (json_is_array(value) && !list) {
            err = config_fail(msg, msg_size,
                              "%s: key '%s' needs a string, number or "
                              "boolean, not a list",
                              path, key);
            break;
        }
        size_t n = list ? json_array_size(value) : 1;
        for (size_t i = 0; i < n && err == TK_OK; i++) {
            const json_t *item = list ? json_array_get(value, i) : value;
            char text_value[4096];
            char sub[256];
            if (!json_text(item, text_value, sizeof(text_value))) {
                err = config_fail(msg, msg_size,
                                  "%s: key '%s' needs a string, number or "
                                  "boolean",
                                  path, key);
                break;
            }
            err = tk_tam_config_set(cfg, key, text_value, sub, sizeof(sub));
            if (err != TK_OK)
                err = config_fail(msg, msg_size, "%s: %s", path, sub);
        }
    }
    json_decref(root);
    return err;
}

tk_err tk_tam_config_load(tk_tam_config *cfg, const char *path, char *msg,
                          size_t msg_size)
{
    if (cfg == NULL || path == NULL)
        return TK_ERR_INVALID_ARG;
    uint8_t *data = NULL;
    size_t len = 0;
    if (tk_util_read_file(path, CONFIG_MAX_FILE, &data, &len) != 0) {
        config_fail(msg, msg_size, "cannot read configuration file %s: %s",
                    path, strerror(errno));
        return TK_ERR_NOT_FOUND;
    }
    char *text = (char *)data;
    if (strlen(text) != len) {
        free(data);
        return config_fail(msg, msg_size, "%s contains a NUL byte", path);
    }
    const char *first = text;
    while (isspace((unsigned char)*first))
        first++;
    tk_err err = *first == '{'
                     ? load_json(cfg, path, text, msg, msg_size)
                     : load_lines(cfg, path, text, msg, msg_size);
    free(data);
    return err;
}

char *tk_tam_default_key_dir(const char *db)
{
    const char *path = db;
    if (db == NULL || strstr(db, "://") != NULL)
        return strdup("tam-keys");
    if (strncmp(path, "sqlite:", 7) == 0)
        path += 7;
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup("tam-keys");
    size_t dir_len = (size_t)(slash - path);
    char *out = malloc(dir_len + sizeof("/tam-keys"));
    if (out == NULL)
        return NULL;
    memcpy(out, path, dir_len);
    memcpy(out + dir_len, "/tam-keys", sizeof("/tam-keys"));
    return out;
}
