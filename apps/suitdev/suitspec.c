/*
 * JSON descriptions of SUIT manifests: value readers shared by both forms,
 * the teepkit form (every sequence and command named), and the entry
 * points. See suitspec.h and docs/suit.md.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "suitnames.h"
#include "suitspec_internal.h"
#include "teepkit/cbor.h"
#include "util.h"

/* Largest JSON description and largest file it may embed. */
#define SPEC_MAX_JSON (16u * 1024u * 1024u)
#define SPEC_MAX_FILE (256u * 1024u * 1024u)

/* Nesting limit of command sequences in a description; the builder's own
 * limit applies too. */
#define SPEC_MAX_DEPTH TK_SUIT_BUILD_MAX_DEPTH

/* Capacity of a JSON path in messages. */
#define WHERE_SIZE 256

void *spec_alloc(tk_suitspec *spec, size_t size)
{
    struct spec_block *block = calloc(1, sizeof(*block) + size);

    if (block == NULL) {
        snprintf(spec->msg, spec->msg_size, "out of memory");
        return NULL;
    }
    block->next = spec->blocks;
    spec->blocks = block;
    return block->align;
}

tk_err spec_fail(tk_suitspec *spec, tk_err err, const char *where,
                 const char *fmt, ...)
{
    va_list ap;
    size_t n;

    n = (size_t)snprintf(spec->msg, spec->msg_size, "%s: ", where);
    if (n < spec->msg_size) {
        va_start(ap, fmt);
        vsnprintf(spec->msg + n, spec->msg_size - n, fmt, ap);
        va_end(ap);
    }
    return err;
}

void spec_where(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

tk_err spec_copy(tk_suitspec *spec, const char *where, const void *data,
                 size_t len, tk_view *out)
{
    uint8_t *copy = spec_alloc(spec, len + 1);

    if (copy == NULL)
        return spec_fail(spec, TK_ERR_INTERNAL, where, "out of memory");
    if (len > 0)
        memcpy(copy, data, len);
    *out = (tk_view){copy, len};
    return TK_OK;
}

tk_err spec_hex(tk_suitspec *spec, const char *where, const char *hex,
                tk_view *out)
{
    size_t n = strlen(hex);
    uint8_t *bytes;

    if (n % 2 != 0)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "hex text \"%s\" has an odd number of digits", hex);
    bytes = spec_alloc(spec, n / 2 + 1);
    if (bytes == NULL)
        return TK_ERR_INTERNAL;
    if (tk_util_hex_decode(hex, n, bytes, n / 2 + 1) != (long)(n / 2) ||
        strpbrk(hex, " \t\r\n#") != NULL)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "\"%s\" is not hex text", hex);
    *out = (tk_view){bytes, n / 2};
    return TK_OK;
}

/* Joins the description's folder and a relative file name into a malloc'd
 * path; an absolute name is kept. */
static char *spec_path(const tk_suitspec *spec, const char *name)
{
    size_t n;
    char *path;

    if (name[0] == '/' || spec->base_dir == NULL)
        return strdup(name);
    n = strlen(spec->base_dir) + strlen(name) + 2;
    path = malloc(n);
    if (path != NULL)
        snprintf(path, n, "%s/%s", spec->base_dir, name);
    return path;
}

/* Reads a whole file named by the description into its memory. */
static tk_err spec_read_file(tk_suitspec *spec, const char *where,
                             const char *name, tk_view *out)
{
    char *path = spec_path(spec, name);
    uint8_t *data;
    size_t len;
    tk_err err;

    if (path == NULL)
        return spec_fail(spec, TK_ERR_INTERNAL, where, "out of memory");
    if (tk_util_read_file(path, SPEC_MAX_FILE, &data, &len) != 0) {
        err = spec_fail(spec, TK_ERR_NOT_FOUND, where, "cannot read %s: %s",
                        path, strerror(errno));
        free(path);
        return err;
    }
    free(path);
    err = spec_copy(spec, where, data, len, out);
    free(data);
    return err;
}

tk_err spec_file_size(tk_suitspec *spec, const char *where, const char *name,
                      uint64_t *size)
{
    char *path = spec_path(spec, name);
    struct stat st;
    tk_err err = TK_OK;

    if (path == NULL)
        return spec_fail(spec, TK_ERR_INTERNAL, where, "out of memory");
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        err = spec_fail(spec, TK_ERR_NOT_FOUND, where,
                        "cannot read %s: %s", path,
                        errno != 0 ? strerror(errno) : "not a regular file");
    else
        *size = (uint64_t)st.st_size;
    free(path);
    return err;
}

tk_err spec_bytes(tk_suitspec *spec, const char *where, const json_t *value,
                  tk_view *out)
{
    const json_t *hex = json_object_get(value, "hex");
    const json_t *file = json_object_get(value, "file");

    if (json_is_string(value))
        return spec_copy(spec, where, json_string_value(value),
                         json_string_length(value), out);
    if (json_is_object(value) && json_object_size(value) == 1) {
        if (json_is_string(hex))
            return spec_hex(spec, where, json_string_value(hex), out);
        if (json_is_string(file))
            return spec_read_file(spec, where, json_string_value(file), out);
    }
    return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                     "expected a text string, {\"hex\": \"...\"} or "
                     "{\"file\": \"name\"}");
}

tk_err spec_uuid(tk_suitspec *spec, const char *where, const json_t *value,
                 tk_view *out)
{
    char hex[33];
    size_t n = 0;
    tk_err err;

    if (json_is_string(value)) {
        const char *text = json_string_value(value);

        for (size_t i = 0; text[i] != '\0'; i++) {
            bool dash_at = i == 8 || i == 13 || i == 18 || i == 23;

            if (text[i] == '-' && dash_at && strlen(text) == 36)
                continue;
            if (n == 32)
                break;
            hex[n++] = text[i];
        }
        hex[n] = '\0';
        if (n != 32 || (strlen(text) != 32 && strlen(text) != 36))
            return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                             "\"%s\" is not a UUID", text);
        return spec_hex(spec, where, hex, out);
    }
    err = spec_bytes(spec, where, value, out);
    if (err == TK_OK && out->len != 16)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "a UUID has 16 bytes, not %zu", out->len);
    return err;
}

tk_err spec_uint(tk_suitspec *spec, const char *where, const json_t *value,
                 uint64_t *out)
{
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected an unsigned integer");
    *out = (uint64_t)json_integer_value(value);
    return TK_OK;
}

/* Reads a digest algorithm given by name ("sha256", "sha-256") or by its
 * COSE number. */
static tk_err spec_digest_alg(tk_suitspec *spec, const char *where,
                              const json_t *value, tk_alg *alg)
{
    static const struct {
        const char *name;
        tk_alg alg;
    } names[] = {
        {"sha256", TK_ALG_SHA256}, {"sha-256", TK_ALG_SHA256},
        {"sha384", TK_ALG_SHA384}, {"sha-384", TK_ALG_SHA384},
        {"sha512", TK_ALG_SHA512}, {"sha-512", TK_ALG_SHA512},
    };

    if (value == NULL) {
        *alg = TK_ALG_SHA256;
        return TK_OK;
    }
    if (json_is_integer(value)) {
        json_int_t n = json_integer_value(value);

        if (n == TK_ALG_SHA256 || n == TK_ALG_SHA384 || n == TK_ALG_SHA512) {
            *alg = (tk_alg)n;
            return TK_OK;
        }
    }
    for (size_t i = 0; json_is_string(value) && i < 6; i++) {
        if (strcasecmp(json_string_value(value), names[i].name) == 0) {
            *alg = names[i].alg;
            return TK_OK;
        }
    }
    return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                     "unsupported digest algorithm; use sha-256, sha-384 or "
                     "sha-512");
}

/* Digests a file in chunks with the builder's streaming payload digest. */
static tk_err digest_file(tk_suitspec *spec, const char *where,
                          const char *name, tk_alg alg,
                          tk_suit_build_digest *digest)
{
    char *path = spec_path(spec, name);
    FILE *f = path != NULL ? fopen(path, "rb") : NULL;
    tk_suit_build_payload payload;
    uint8_t chunk[16384];
    uint64_t size;
    size_t n;
    tk_err err;

    if (f == NULL) {
        err = spec_fail(spec, TK_ERR_NOT_FOUND, where, "cannot read %s: %s",
                        path != NULL ? path : name, strerror(errno));
        free(path);
        return err;
    }
    tk_suit_build_payload_start(&payload, spec->crypto, alg);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        tk_suit_build_payload_update(&payload, chunk, n);
    if (ferror(f)) {
        tk_suit_build_payload_abort(&payload);
        err = spec_fail(spec, TK_ERR_NOT_FOUND, where, "cannot read %s: %s",
                        path, strerror(errno));
    } else {
        err = tk_suit_build_payload_finish(&payload, digest, &size);
        if (err != TK_OK)
            spec_fail(spec, err, where, "digesting %s failed: %s", path,
                      tk_strerror(err));
    }
    fclose(f);
    free(path);
    return err;
}

tk_err spec_digest(tk_suitspec *spec, const char *where, const json_t *value,
                   const tk_suit_build_digest **out)
{
    tk_suit_build_digest *digest = spec_alloc(spec, sizeof(*digest));
    const json_t *file = json_object_get(value, "file");
    const json_t *alg_json = json_object_get(value, "algorithm-id");
    const json_t *bytes = json_object_get(value, "digest-bytes");
    tk_view raw;
    tk_alg alg;
    tk_err err;

    if (digest == NULL)
        return TK_ERR_INTERNAL;
    if (!json_is_object(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected {\"file\": \"name\"} or {\"algorithm-id\": "
                         "\"sha256\", \"digest-bytes\": \"hex\"}");
    err = spec_digest_alg(spec, where, alg_json, &alg);
    if (err != TK_OK)
        return err;
    if (json_is_string(file) && bytes == NULL) {
        err = digest_file(spec, where, json_string_value(file), alg, digest);
    } else if (json_is_string(bytes) && file == NULL) {
        err = spec_hex(spec, where, json_string_value(bytes), &raw);
        if (err == TK_OK && raw.len != tk_crypto_hash_size(alg))
            err = spec_fail(spec, TK_ERR_INVALID_ARG, where,
                            "digest-bytes has %zu bytes; the algorithm "
                            "makes %zu", raw.len, tk_crypto_hash_size(alg));
        if (err == TK_OK) {
            digest->alg = alg;
            digest->len = raw.len;
            memcpy(digest->bytes, raw.ptr, raw.len);
        }
    } else {
        err = spec_fail(spec, TK_ERR_INVALID_ARG, where,
                        "give either \"file\" or \"digest-bytes\"");
    }
    *out = digest;
    return err;
}

tk_err spec_component_id(tk_suitspec *spec, const char *where,
                         const json_t *value, bool hex_strings,
                         tk_suit_build_component_id *out)
{
    char at[WHERE_SIZE];
    tk_view *segments;
    size_t n = json_array_size(value);

    if (!json_is_array(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "a component identifier is a list of byte strings");
    segments = spec_alloc(spec, (n + 1) * sizeof(*segments));
    if (segments == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        const json_t *seg = json_array_get(value, i);
        tk_err err;

        spec_where(at, sizeof(at), "%s[%zu]", where, i);
        if (hex_strings && json_is_string(seg))
            err = spec_hex(spec, at, json_string_value(seg), &segments[i]);
        else
            err = spec_bytes(spec, at, seg, &segments[i]);
        if (err != TK_OK)
            return err;
    }
    out->segments = segments;
    out->count = n;
    return TK_OK;
}

/* ---------------------------------------------------------------------- */
/* The teepkit form                                                       */
/* ---------------------------------------------------------------------- */

/* Extra names accepted for parameters, beside the CDDL ones. */
static bool parameter_label(const char *name, int64_t *label)
{
    static const struct {
        const char *name;
        int64_t label;
    } aliases[] = {
        {"vendor-id", TK_SUIT_BUILD_PARAM_VENDOR_ID},
        {"class-id", TK_SUIT_BUILD_PARAM_CLASS_ID},
        {"device-id", TK_SUIT_BUILD_PARAM_DEVICE_ID},
        {"slot", TK_SUIT_BUILD_PARAM_COMPONENT_SLOT},
    };
    char *end;
    long long n;

    if (tk_suitnames_label(TK_SUITNAMES_PARAMETER, name, label))
        return true;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcmp(name, aliases[i].name) == 0) {
            *label = aliases[i].label;
            return true;
        }
    }
    errno = 0;
    n = strtoll(name, &end, 10);
    if (errno == 0 && *end == '\0' && end != name && n < 0) {
        *label = n;
        return true;
    }
    return false;
}

/* Encodes a small CBOR item for a description, through a callback that
 * writes it; the bytes live as long as the description. */
static tk_err spec_encode(tk_suitspec *spec, const char *where,
                          tk_err (*write)(tk_cbor_enc *, const void *),
                          const void *arg, tk_view *out)
{
    tk_cbor_enc enc;
    size_t len = 0;
    uint8_t *buf;
    tk_err err;

    tk_cbor_enc_init(&enc, NULL, 0, TK_CBOR_ENC_DETERMINISTIC);
    write(&enc, arg);
    err = tk_cbor_enc_finish(&enc, &len);
    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL)
        return spec_fail(spec, err, where, "cannot encode: %s",
                         tk_strerror(err));
    buf = spec_alloc(spec, len + 1);
    if (buf == NULL)
        return TK_ERR_INTERNAL;
    tk_cbor_enc_init(&enc, buf, len, TK_CBOR_ENC_DETERMINISTIC);
    write(&enc, arg);
    err = tk_cbor_enc_finish(&enc, &len);
    if (err != TK_OK)
        return spec_fail(spec, err, where, "cannot encode: %s",
                         tk_strerror(err));
    *out = (tk_view){buf, len};
    return TK_OK;
}

struct version_match {
    int64_t comparison;
    const json_t *value;
};

static tk_err write_version_match(tk_cbor_enc *enc, const void *arg)
{
    const struct version_match *v = arg;

    tk_cbor_enc_put_array(enc, 2);
    tk_cbor_enc_put_int(enc, v->comparison);
    tk_cbor_enc_put_array(enc, json_array_size(v->value));
    for (size_t i = 0; i < json_array_size(v->value); i++)
        tk_cbor_enc_put_int(enc,
                            json_integer_value(json_array_get(v->value, i)));
    return tk_cbor_enc_error(enc);
}

/* Reads suit-parameter-version: {"comparison": "greater-equal", "value":
 * [1, 2, 0]} or pre-encoded bytes. */
static tk_err spec_version(tk_suitspec *spec, const char *where,
                           const json_t *value, tk_view *out)
{
    static const char *const comparisons[] = {
        "greater", "greater-equal", "equal", "lesser-equal", "lesser",
    };
    const json_t *cmp = json_object_get(value, "comparison");
    struct version_match v = {0, json_object_get(value, "value")};

    if (cmp == NULL)
        return spec_bytes(spec, where, value, out);
    for (size_t i = 0; i < 5 && json_is_string(cmp); i++) {
        if (strcmp(json_string_value(cmp), comparisons[i]) == 0)
            v.comparison = (int64_t)i + 1;
    }
    if (v.comparison == 0 || !json_is_array(v.value) ||
        json_array_size(v.value) == 0)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected {\"comparison\": \"greater-equal\", "
                         "\"value\": [1, 0]}");
    for (size_t i = 0; i < json_array_size(v.value); i++) {
        if (!json_is_integer(json_array_get(v.value, i)))
            return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                             "version components are integers");
    }
    return spec_encode(spec, where, write_version_match, &v, out);
}

/* Reads the value of one parameter according to its label. */
static tk_err spec_param_value(tk_suitspec *spec, const char *where,
                               const json_t *value, tk_suit_build_param *p)
{
    const json_t *file = json_object_get(value, "file");

    switch (p->label) {
    case TK_SUIT_BUILD_PARAM_VENDOR_ID:
        if (json_is_object(value) && json_object_get(value, "pen") != NULL) {
            const char *pen = json_string_value(json_object_get(value, "pen"));

            if (pen == NULL)
                return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                                 "\"pen\" is the hex of a CBOR PEN");
            p->type = TK_SUIT_BUILD_VALUE_PEN;
            return spec_hex(spec, where, pen, &p->bytes);
        }
        /* fall through */
    case TK_SUIT_BUILD_PARAM_CLASS_ID:
    case TK_SUIT_BUILD_PARAM_DEVICE_ID:
        p->type = TK_SUIT_BUILD_VALUE_BSTR;
        return spec_uuid(spec, where, value, &p->bytes);
    case TK_SUIT_BUILD_PARAM_IMAGE_DIGEST:
        p->type = TK_SUIT_BUILD_VALUE_DIGEST;
        return spec_digest(spec, where, value, &p->digest);
    case TK_SUIT_BUILD_PARAM_IMAGE_SIZE:
        p->type = TK_SUIT_BUILD_VALUE_UINT;
        if (json_is_string(file))
            return spec_file_size(spec, where, json_string_value(file),
                                  &p->uint_value);
        return spec_uint(spec, where, value, &p->uint_value);
    case TK_SUIT_BUILD_PARAM_USE_BEFORE:
    case TK_SUIT_BUILD_PARAM_COMPONENT_SLOT:
    case TK_SUIT_BUILD_PARAM_SOURCE_COMPONENT:
    case TK_SUIT_BUILD_PARAM_MINIMUM_BATTERY:
        p->type = TK_SUIT_BUILD_VALUE_UINT;
        return spec_uint(spec, where, value, &p->uint_value);
    case TK_SUIT_BUILD_PARAM_STRICT_ORDER:
    case TK_SUIT_BUILD_PARAM_SOFT_FAILURE:
        if (!json_is_boolean(value))
            return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                             "expected true or false");
        p->type = TK_SUIT_BUILD_VALUE_BOOL;
        p->bool_value = json_is_true(value);
        return TK_OK;
    case TK_SUIT_BUILD_PARAM_URI:
        if (!json_is_string(value))
            return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                             "expected a URI string");
        p->type = TK_SUIT_BUILD_VALUE_TSTR;
        return spec_copy(spec, where, json_string_value(value),
                         json_string_length(value), &p->bytes);
    case TK_SUIT_BUILD_PARAM_UPDATE_PRIORITY:
        if (!json_is_integer(value))
            return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                             "expected an integer");
        p->type = TK_SUIT_BUILD_VALUE_INT;
        p->int_value = json_integer_value(value);
        return TK_OK;
    case TK_SUIT_BUILD_PARAM_VERSION:
        p->type = TK_SUIT_BUILD_VALUE_BSTR_CBOR;
        return spec_version(spec, where, value, &p->bytes);
    case TK_SUIT_BUILD_PARAM_ENCRYPTION_INFO:
    case TK_SUIT_BUILD_PARAM_WAIT_INFO:
    case TK_SUIT_BUILD_PARAM_COMPONENT_METADATA:
        p->type = TK_SUIT_BUILD_VALUE_BSTR_CBOR;
        return spec_bytes(spec, where, value, &p->bytes);
    default:
        break;
    }
    if (p->label >= 0) {
        p->type = TK_SUIT_BUILD_VALUE_BSTR;
        return spec_bytes(spec, where, value, &p->bytes);
    }
    /* A custom parameter: int, bool, text or bytes. */
    if (json_is_integer(value)) {
        p->type = TK_SUIT_BUILD_VALUE_INT;
        p->int_value = json_integer_value(value);
        return TK_OK;
    }
    if (json_is_boolean(value)) {
        p->type = TK_SUIT_BUILD_VALUE_BOOL;
        p->bool_value = json_is_true(value);
        return TK_OK;
    }
    if (json_is_string(value)) {
        p->type = TK_SUIT_BUILD_VALUE_TSTR;
        return spec_copy(spec, where, json_string_value(value),
                         json_string_length(value), &p->bytes);
    }
    p->type = TK_SUIT_BUILD_VALUE_BSTR;
    return spec_bytes(spec, where, value, &p->bytes);
}

static tk_err spec_params(tk_suitspec *spec, const char *where,
                          const json_t *value, tk_suit_build_command *cmd)
{
    char at[WHERE_SIZE];
    tk_suit_build_param *params;
    const char *name;
    json_t *item;
    size_t i = 0;

    if (!json_is_object(value) || json_object_size(value) == 0)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected a map of parameter names to values");
    params = spec_alloc(spec, json_object_size(value) * sizeof(*params));
    if (params == NULL)
        return TK_ERR_INTERNAL;
    json_object_foreach((json_t *)value, name, item) {
        tk_err err;

        spec_where(at, sizeof(at), "%s.%s", where, name);
        if (!parameter_label(name, &params[i].label))
            return spec_fail(spec, TK_ERR_INVALID_ARG, at,
                             "unknown parameter");
        err = spec_param_value(spec, at, item, &params[i]);
        if (err != TK_OK)
            return err;
        i++;
    }
    cmd->params = params;
    cmd->param_count = i;
    return TK_OK;
}

static tk_err spec_sequence(tk_suitspec *spec, const char *where,
                            const json_t *value, unsigned depth,
                            tk_suit_build_sequence *out);

static tk_err spec_index(tk_suitspec *spec, const char *where,
                         const json_t *value, tk_suit_build_command *cmd)
{
    uint64_t *list;

    if (json_is_true(value)) {
        cmd->index_type = TK_SUIT_BUILD_INDEX_ALL;
        return TK_OK;
    }
    if (!json_is_array(value)) {
        cmd->index_type = TK_SUIT_BUILD_INDEX_ONE;
        return spec_uint(spec, where, value, &cmd->index);
    }
    list = spec_alloc(spec, (json_array_size(value) + 1) * sizeof(*list));
    if (list == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < json_array_size(value); i++) {
        tk_err err = spec_uint(spec, where, json_array_get(value, i),
                               &list[i]);
        if (err != TK_OK)
            return err;
    }
    cmd->index_type = TK_SUIT_BUILD_INDEX_LIST;
    cmd->index_list = list;
    cmd->index_count = json_array_size(value);
    return TK_OK;
}

static tk_err spec_try_each(tk_suitspec *spec, const char *where,
                            const json_t *value, unsigned depth,
                            tk_suit_build_command *cmd)
{
    char at[WHERE_SIZE];
    size_t n = json_array_size(value);
    tk_suit_build_sequence *seqs;

    if (!json_is_array(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected a list of command lists, optionally "
                         "ending with null");
    if (n > 0 && json_is_null(json_array_get(value, n - 1))) {
        cmd->try_each_nil = true;
        n--;
    }
    seqs = spec_alloc(spec, (n + 1) * sizeof(*seqs));
    if (seqs == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        tk_err err;

        spec_where(at, sizeof(at), "%s[%zu]", where, i);
        err = spec_sequence(spec, at, json_array_get(value, i), depth + 1,
                            &seqs[i]);
        if (err != TK_OK)
            return err;
    }
    cmd->sequences = seqs;
    cmd->sequence_count = n;
    return TK_OK;
}

struct custom_value {
    const json_t *value;
    tk_view bytes;
};

static tk_err write_custom_value(tk_cbor_enc *enc, const void *arg)
{
    const struct custom_value *c = arg;

    if (json_is_integer(c->value))
        return tk_cbor_enc_put_int(enc, json_integer_value(c->value));
    if (json_is_string(c->value))
        return tk_cbor_enc_put_tstr(enc, json_string_value(c->value),
                                    json_string_length(c->value));
    if (json_is_null(c->value) || c->value == NULL)
        return tk_cbor_enc_put_null(enc);
    return tk_cbor_enc_put_bstr(enc, c->bytes.ptr, c->bytes.len);
}

/* Reads {"label": -N, "value": int | text | {"hex": ...} | null}. */
static tk_err spec_custom(tk_suitspec *spec, const char *where,
                          const json_t *value, tk_suit_build_command *cmd)
{
    const json_t *label = json_object_get(value, "label");
    struct custom_value c = {json_object_get(value, "value"), {NULL, 0}};
    tk_err err;

    if (!json_is_integer(label) || json_integer_value(label) >= 0)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "a custom command needs a negative \"label\"");
    cmd->label = json_integer_value(label);
    if (json_is_object(c.value)) {
        err = spec_bytes(spec, where, c.value, &c.bytes);
        if (err != TK_OK)
            return err;
    } else if (c.value != NULL && !json_is_integer(c.value) &&
               !json_is_string(c.value) && !json_is_null(c.value)) {
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "the value of a custom command is an integer, a "
                         "text, {\"hex\": ...} or null");
    }
    return spec_encode(spec, where, write_custom_value, &c, &cmd->raw);
}

/* Reads one command: an object with a single key naming it. */
static tk_err spec_command(tk_suitspec *spec, const char *where,
                           const json_t *value, unsigned depth,
                           tk_suit_build_command *cmd)
{
    char at[WHERE_SIZE];
    const char *name;
    const json_t *arg;
    void *iter = json_object_iter((json_t *)value);

    if (!json_is_object(value) || json_object_size(value) != 1)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "a command is an object with one key, the command "
                         "name");
    name = json_object_iter_key(iter);
    arg = json_object_iter_value(iter);
    spec_where(at, sizeof(at), "%s.%s", where, name);
    if (strcmp(name, "custom") == 0)
        return spec_custom(spec, at, arg, cmd);
    if (!tk_suitnames_label(TK_SUITNAMES_COMMAND, name, &cmd->label))
        return spec_fail(spec, TK_ERR_INVALID_ARG, at, "unknown command");
    switch (cmd->label) {
    case TK_SUIT_BUILD_DIR_SET_COMPONENT_INDEX:
        return spec_index(spec, at, arg, cmd);
    case TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS:
    case TK_SUIT_BUILD_DIR_SET_PARAMETERS:
        return spec_params(spec, at, arg, cmd);
    case TK_SUIT_BUILD_DIR_TRY_EACH:
        return spec_try_each(spec, at, arg, depth, cmd);
    case TK_SUIT_BUILD_DIR_RUN_SEQUENCE: {
        tk_suit_build_sequence *seq = spec_alloc(spec, sizeof(*seq));

        if (seq == NULL)
            return TK_ERR_INTERNAL;
        cmd->sequences = seq;
        cmd->sequence_count = 1;
        return spec_sequence(spec, at, arg, depth + 1, seq);
    }
    case TK_SUIT_BUILD_DIR_OVERRIDE_MULTIPLE:
    case TK_SUIT_BUILD_DIR_COPY_PARAMS:
        return spec_bytes(spec, at, arg, &cmd->raw);
    default:
        return spec_uint(spec, at, arg, &cmd->policy);
    }
}

static tk_err spec_sequence(tk_suitspec *spec, const char *where,
                            const json_t *value, unsigned depth,
                            tk_suit_build_sequence *out)
{
    char at[WHERE_SIZE];
    tk_suit_build_command *cmds;
    size_t n = json_array_size(value);

    if (!json_is_array(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected a list of commands");
    if (depth > SPEC_MAX_DEPTH)
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "command lists nest deeper than %d levels",
                         SPEC_MAX_DEPTH);
    cmds = spec_alloc(spec, (n + 1) * sizeof(*cmds));
    if (cmds == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        tk_err err;

        spec_where(at, sizeof(at), "%s[%zu]", where, i);
        err = spec_command(spec, at, json_array_get(value, i), depth,
                           &cmds[i]);
        if (err != TK_OK)
            return err;
    }
    out->commands = cmds;
    out->count = n;
    return TK_OK;
}

/* Reads the text entries of one map of the "text" member. */
static tk_err spec_text_entries(tk_suitspec *spec, const char *where,
                                const json_t *value, tk_suitnames_space space,
                                const tk_suit_build_text_entry **out,
                                size_t *count)
{
    char at[WHERE_SIZE];
    tk_suit_build_text_entry *entries;
    const char *name;
    json_t *item;
    size_t n = 0;

    entries = spec_alloc(spec, (json_object_size(value) + 1) *
                                   sizeof(*entries));
    if (entries == NULL)
        return TK_ERR_INTERNAL;
    json_object_foreach((json_t *)value, name, item) {
        tk_err err;

        if (strcmp(name, "components") == 0 ||
            strcmp(name, "component-index") == 0)
            continue;
        spec_where(at, sizeof(at), "%s.%s", where, name);
        if (!tk_suitnames_label(space, name, &entries[n].key) ||
            !json_is_string(item))
            return spec_fail(spec, TK_ERR_INVALID_ARG, at,
                             "unknown text key, or a value that is not text");
        err = spec_copy(spec, at, json_string_value(item),
                        json_string_length(item), &entries[n].text);
        if (err != TK_OK)
            return err;
        n++;
    }
    *out = entries;
    *count = n;
    return TK_OK;
}

static tk_err spec_text_language(tk_suitspec *spec, const char *where,
                                 const json_t *value,
                                 tk_suit_build_text_language *lang)
{
    char at[WHERE_SIZE];
    const json_t *comps = json_object_get(value, "components");
    tk_suit_build_text_component *list;
    tk_err err;

    if (!json_is_object(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected a map of text keys to text");
    err = spec_text_entries(spec, where, value, TK_SUITNAMES_TEXT,
                            &lang->entries, &lang->count);
    if (err != TK_OK || comps == NULL)
        return err;
    list = spec_alloc(spec, (json_array_size(comps) + 1) * sizeof(*list));
    if (list == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < json_array_size(comps); i++) {
        const json_t *c = json_array_get(comps, i);
        uint64_t index = 0;

        spec_where(at, sizeof(at), "%s.components[%zu]", where, i);
        err = spec_uint(spec, at, json_object_get(c, "component-index"),
                        &index);
        if (err == TK_OK)
            err = spec_text_entries(spec, at, c, TK_SUITNAMES_TEXT_COMPONENT,
                                    &list[i].entries, &list[i].count);
        if (err != TK_OK)
            return err;
        list[i].component_index = (size_t)index;
    }
    lang->components = list;
    lang->component_count = json_array_size(comps);
    return TK_OK;
}

static tk_err spec_text(tk_suitspec *spec, const json_t *value)
{
    char at[WHERE_SIZE];
    tk_suit_build_text_language *langs;
    const char *tag;
    json_t *item;
    size_t n = 0;

    if (!json_is_object(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, "text",
                         "expected a map of language tags to text maps");
    langs = spec_alloc(spec, (json_object_size(value) + 1) * sizeof(*langs));
    if (langs == NULL)
        return TK_ERR_INTERNAL;
    json_object_foreach((json_t *)value, tag, item) {
        tk_err err;

        spec_where(at, sizeof(at), "text.%s", tag);
        err = spec_copy(spec, at, tag, strlen(tag), &langs[n].tag);
        if (err == TK_OK)
            err = spec_text_language(spec, at, item, &langs[n]);
        if (err != TK_OK)
            return err;
        n++;
    }
    spec->manifest.text = langs;
    spec->manifest.text_count = n;
    return TK_OK;
}

static tk_err spec_integrated(tk_suitspec *spec, const char *where,
                              const json_t *value,
                              const tk_suit_build_integrated **out,
                              size_t *count)
{
    char at[WHERE_SIZE];
    tk_suit_build_integrated *list;
    const char *key;
    json_t *item;
    size_t n = 0;

    if (!json_is_object(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected a map of envelope keys to byte strings");
    list = spec_alloc(spec, (json_object_size(value) + 1) * sizeof(*list));
    if (list == NULL)
        return TK_ERR_INTERNAL;
    json_object_foreach((json_t *)value, key, item) {
        tk_err err;

        spec_where(at, sizeof(at), "%s.%s", where, key);
        err = spec_copy(spec, at, key, strlen(key), &list[n].key);
        if (err == TK_OK)
            err = spec_bytes(spec, at, item, &list[n].data);
        if (err != TK_OK)
            return err;
        n++;
    }
    *out = list;
    *count = n;
    return TK_OK;
}

static tk_err spec_dependencies(tk_suitspec *spec, const json_t *value)
{
    char at[WHERE_SIZE];
    tk_suit_build_dependency *deps;

    if (!json_is_array(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, "dependencies",
                         "expected a list of {\"component-index\": N}");
    deps = spec_alloc(spec, (json_array_size(value) + 1) * sizeof(*deps));
    if (deps == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < json_array_size(value); i++) {
        const json_t *d = json_array_get(value, i);
        const json_t *prefix = json_object_get(d, "prefix");
        tk_err err;

        spec_where(at, sizeof(at), "dependencies[%zu]", i);
        err = spec_uint(spec, at, json_object_get(d, "component-index"),
                        &deps[i].index);
        if (err == TK_OK && prefix != NULL) {
            tk_suit_build_component_id *id = spec_alloc(spec, sizeof(*id));

            if (id == NULL)
                return TK_ERR_INTERNAL;
            err = spec_component_id(spec, at, prefix, false, id);
            deps[i].prefix = id;
        }
        if (err != TK_OK)
            return err;
    }
    spec->manifest.dependencies = deps;
    spec->manifest.dependency_count = json_array_size(value);
    return TK_OK;
}

/* Sequence members of the teepkit form, by JSON key. */
static tk_suit_build_sequence *sequence_member(tk_suitspec *spec,
                                               const char *key)
{
    tk_suit_build_manifest *m = &spec->manifest;

    if (strcmp(key, "shared-sequence") == 0)
        return &m->shared;
    if (strcmp(key, "validate") == 0)
        return &m->validate;
    if (strcmp(key, "load") == 0)
        return &m->load;
    if (strcmp(key, "invoke") == 0)
        return &m->invoke;
    if (strcmp(key, "uninstall") == 0)
        return &m->uninstall;
    if (strcmp(key, "dependency-resolution") == 0)
        return &m->dependency_resolution;
    if (strcmp(key, "payload-fetch") == 0)
        return &m->payload_fetch;
    if (strcmp(key, "candidate-verification") == 0)
        return &m->candidate_verification;
    if (strcmp(key, "install") == 0)
        return &m->install;
    return NULL;
}

/* Reads "sever": true for every severable member present, or a list of
 * member names. */
static tk_err spec_sever(tk_suitspec *spec, const json_t *value)
{
    static const char *const names[] = {
        "dependency-resolution", "payload-fetch", "candidate-verification",
        "install", "text",
    };

    if (json_is_boolean(value)) {
        const tk_suit_build_manifest *m = &spec->manifest;
        bool present[5] = {
            m->dependency_resolution.count > 0, m->payload_fetch.count > 0,
            m->candidate_verification.count > 0, m->install.count > 0,
            m->text_count > 0,
        };

        for (size_t k = 0; k < 5 && json_is_true(value); k++) {
            if (present[k])
                spec->manifest.sever |= 1u << k;
        }
        return TK_OK;
    }
    for (size_t i = 0; json_is_array(value) && i < json_array_size(value);
         i++) {
        const char *name = json_string_value(json_array_get(value, i));
        size_t k = 0;

        while (k < 5 && (name == NULL || strcmp(name, names[k]) != 0))
            k++;
        if (k == 5)
            return spec_fail(spec, TK_ERR_INVALID_ARG, "sever",
                             "only dependency-resolution, payload-fetch, "
                             "candidate-verification, install and text can "
                             "be severed");
        spec->manifest.sever |= 1u << k;
    }
    if (!json_is_array(value))
        return spec_fail(spec, TK_ERR_INVALID_ARG, "sever",
                         "expected true, false or a list of member names");
    return TK_OK;
}

static tk_err spec_set_version(tk_suitspec *spec, const json_t *value)
{
    int64_t *list;

    if (!json_is_array(value) || json_array_size(value) == 0)
        return spec_fail(spec, TK_ERR_INVALID_ARG, "set-version",
                         "expected a list of integers");
    list = spec_alloc(spec, json_array_size(value) * sizeof(*list));
    if (list == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < json_array_size(value); i++) {
        if (!json_is_integer(json_array_get(value, i)))
            return spec_fail(spec, TK_ERR_INVALID_ARG, "set-version",
                             "expected a list of integers");
        list[i] = json_integer_value(json_array_get(value, i));
    }
    spec->manifest.set_version = list;
    spec->manifest.set_version_count = json_array_size(value);
    return TK_OK;
}

static tk_err spec_components(tk_suitspec *spec, const json_t *value)
{
    char at[WHERE_SIZE];
    tk_suit_build_component_id *ids;

    if (!json_is_array(value) || json_array_size(value) == 0)
        return spec_fail(spec, TK_ERR_INVALID_ARG, "components",
                         "expected a non-empty list of component "
                         "identifiers");
    ids = spec_alloc(spec, json_array_size(value) * sizeof(*ids));
    if (ids == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < json_array_size(value); i++) {
        tk_err err;

        spec_where(at, sizeof(at), "components[%zu]", i);
        err = spec_component_id(spec, at, json_array_get(value, i), false,
                                &ids[i]);
        if (err != TK_OK)
            return err;
    }
    spec->manifest.components = ids;
    spec->manifest.component_count = json_array_size(value);
    return TK_OK;
}

/* Reads one top-level member of the teepkit form other than "sever". */
static tk_err spec_member(tk_suitspec *spec, const char *key,
                          const json_t *value)
{
    tk_suit_build_manifest *m = &spec->manifest;
    tk_suit_build_sequence *seq = sequence_member(spec, key);
    uint64_t version = 0;
    tk_err err;

    if (seq != NULL)
        return spec_sequence(spec, key, value, 1, seq);
    if (strcmp(key, "manifest-version") == 0) {
        err = spec_uint(spec, key, value, &version);
        if (err == TK_OK && version != 1)
            return spec_fail(spec, TK_ERR_INVALID_ARG, key,
                             "only manifest version 1 exists");
        return err;
    }
    if (strcmp(key, "manifest-sequence-number") == 0)
        return spec_uint(spec, key, value, &m->sequence_number);
    if (strcmp(key, "components") == 0)
        return spec_components(spec, value);
    if (strcmp(key, "dependencies") == 0)
        return spec_dependencies(spec, value);
    if (strcmp(key, "manifest-component-id") == 0) {
        tk_suit_build_component_id *id = spec_alloc(spec, sizeof(*id));

        if (id == NULL)
            return TK_ERR_INTERNAL;
        m->manifest_component_id = id;
        return spec_component_id(spec, key, value, false, id);
    }
    if (strcmp(key, "reference-uri") == 0) {
        if (!json_is_string(value))
            return spec_fail(spec, TK_ERR_INVALID_ARG, key,
                             "expected a URI string");
        return spec_copy(spec, key, json_string_value(value),
                         json_string_length(value), &m->reference_uri);
    }
    if (strcmp(key, "set-version") == 0)
        return spec_set_version(spec, value);
    if (strcmp(key, "text") == 0)
        return spec_text(spec, value);
    if (strcmp(key, "omit-severed") == 0) {
        spec->envelope.omit_severed = json_is_true(value);
        return TK_OK;
    }
    if (strcmp(key, "digest-algorithm") == 0)
        return spec_digest_alg(spec, key, value, &spec->envelope.digest_alg);
    if (strcmp(key, "integrated-payloads") == 0)
        return spec_integrated(spec, key, value, &spec->envelope.payloads,
                               &spec->envelope.payload_count);
    if (strcmp(key, "integrated-dependencies") == 0)
        return spec_integrated(spec, key, value,
                               &spec->envelope.dependencies,
                               &spec->envelope.dependency_count);
    return spec_fail(spec, TK_ERR_INVALID_ARG, key, "unknown member");
}

/* Fills spec from the teepkit form. "sever" is read last because `true`
 * depends on which members are present. */
static tk_err spec_parse_teepkit_form(tk_suitspec *spec, const json_t *root)
{
    const char *key;
    json_t *value;

    if (json_object_get(root, "manifest-sequence-number") == NULL)
        return spec_fail(spec, TK_ERR_INVALID_ARG, "manifest-sequence-number",
                         "missing; every manifest needs a sequence number");
    json_object_foreach((json_t *)root, key, value) {
        tk_err err;

        if (strcmp(key, "sever") == 0 || strcmp(key, "severable") == 0)
            continue;
        err = spec_member(spec, key, value);
        if (err != TK_OK)
            return err;
    }
    if (json_object_get(root, "sever") != NULL)
        return spec_sever(spec, json_object_get(root, "sever"));
    if (json_object_get(root, "severable") != NULL)
        return spec_sever(spec, json_object_get(root, "severable"));
    return TK_OK;
}

/* Tells the component form (objects in "components") from the teepkit
 * form (lists in "components"). */
static bool is_components_form(const json_t *root)
{
    const json_t *comps = json_object_get(root, "components");

    return json_is_array(comps) && json_array_size(comps) > 0 &&
           json_is_object(json_array_get(comps, 0));
}

tk_err tk_suitspec_parse(const char *json, size_t json_len,
                         const char *base_dir, const tk_crypto *crypto,
                         tk_suitspec **out, char *msg, size_t msg_size)
{
    tk_suitspec *spec;
    json_error_t jerr;
    json_t *root;
    tk_err err;

    if (json == NULL || crypto == NULL || out == NULL || msg == NULL ||
        msg_size == 0)
        return TK_ERR_INVALID_ARG;
    *out = NULL;
    msg[0] = '\0';
    spec = calloc(1, sizeof(*spec));
    if (spec == NULL)
        return TK_ERR_INTERNAL;
    spec->crypto = crypto;
    spec->base_dir = base_dir;
    spec->msg = msg;
    spec->msg_size = msg_size;
    spec->envelope.manifest = &spec->manifest;
    root = json_loadb(json, json_len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(msg, msg_size, "line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        tk_suitspec_free(spec);
        return TK_ERR_INVALID_ARG;
    }
    if (!json_is_object(root))
        err = spec_fail(spec, TK_ERR_INVALID_ARG, "top level",
                        "expected a JSON object");
    else if (is_components_form(root))
        err = spec_parse_components_form(spec, root);
    else
        err = spec_parse_teepkit_form(spec, root);
    json_decref(root);
    spec->base_dir = NULL;
    if (err != TK_OK) {
        tk_suitspec_free(spec);
        return err;
    }
    *out = spec;
    return TK_OK;
}

tk_err tk_suitspec_load(const char *path, const tk_crypto *crypto,
                        tk_suitspec **spec, char *msg, size_t msg_size)
{
    uint8_t *json;
    size_t len;
    char *copy, *dir;
    tk_err err;

    if (path == NULL || msg == NULL || msg_size == 0)
        return TK_ERR_INVALID_ARG;
    if (tk_util_read_file(path, SPEC_MAX_JSON, &json, &len) != 0) {
        snprintf(msg, msg_size, "cannot read %s: %s", path, strerror(errno));
        return TK_ERR_NOT_FOUND;
    }
    copy = strdup(path);
    if (copy == NULL) {
        free(json);
        return TK_ERR_INTERNAL;
    }
    dir = dirname(copy);
    err = tk_suitspec_parse((const char *)json, len,
                            strcmp(path, "-") == 0 ? "." : dir, crypto, spec,
                            msg, msg_size);
    free(copy);
    free(json);
    return err;
}

const tk_suit_build_envelope *tk_suitspec_envelope(const tk_suitspec *spec)
{
    return spec != NULL ? &spec->envelope : NULL;
}

void tk_suitspec_free(tk_suitspec *spec)
{
    if (spec == NULL)
        return;
    while (spec->blocks != NULL) {
        struct spec_block *next = spec->blocks->next;

        free(spec->blocks);
        spec->blocks = next;
    }
    free(spec);
}
