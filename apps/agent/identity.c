/*
 * The device identity in the store folder: agent.json, the agent and
 * attestation keys, and the trust anchors given on the command line.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_internal.h"
#include "log.h"
#include "util.h"

/* Defaults of tk_agent_init_store(). */
#define DEFAULT_HWMODEL "teepkit-simulated-tee"
#define DEFAULT_HWVERSION "1.0"

void agent_set_msg(char *msg, size_t msg_size, const char *fmt, ...)
{
    va_list ap;

    if (msg == NULL || msg_size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, msg_size, fmt, ap);
    va_end(ap);
}

char *agent_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);

    if (path != NULL)
        snprintf(path, len, "%s/%s", dir, name);
    return path;
}

/* Signing algorithms with their names and curves. */
static const struct {
    const char *name;
    const char *file; /* stem of the key file names */
    tk_alg alg;
    int32_t crv;
} algs[] = {
    {"ESP256", "esp256", TK_ALG_ESP256, TK_CRV_P256},
    {"ES256", "es256", TK_ALG_ES256, TK_CRV_P256},
    {"Ed25519", "ed25519", TK_ALG_ED25519, TK_CRV_ED25519},
    {"EdDSA", "eddsa", TK_ALG_EDDSA, TK_CRV_ED25519},
};
#define ALG_COUNT (sizeof(algs) / sizeof(algs[0]))

const char *agent_alg_name(tk_alg alg)
{
    for (size_t i = 0; i < ALG_COUNT; i++) {
        if (algs[i].alg == alg)
            return algs[i].name;
    }
    return "unknown";
}

tk_alg tk_agent_alg_parse(const char *text)
{
    char *end;
    long value;

    for (size_t i = 0; i < ALG_COUNT; i++) {
        if (strcasecmp(text, algs[i].name) == 0)
            return algs[i].alg;
    }
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || end == text)
        return TK_ALG_NONE;
    for (size_t i = 0; i < ALG_COUNT; i++) {
        if (algs[i].alg == value)
            return algs[i].alg;
    }
    return TK_ALG_NONE;
}

/* Returns the curve that alg signs with, or TK_CRV_NONE. */
static int32_t alg_curve(tk_alg alg)
{
    for (size_t i = 0; i < ALG_COUNT; i++) {
        if (algs[i].alg == alg)
            return algs[i].crv;
    }
    return TK_CRV_NONE;
}

/* Returns the file name stem of alg's key files. */
static const char *alg_file(tk_alg alg)
{
    for (size_t i = 0; i < ALG_COUNT; i++) {
        if (algs[i].alg == alg)
            return algs[i].file;
    }
    return "unknown";
}

int agent_uuid_parse(const char *text, uint8_t out[16])
{
    char hex[33];
    size_t n = 0;

    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '-')
            continue;
        if (n == 32)
            return -1;
        hex[n++] = *p;
    }
    if (n != 32 || tk_util_hex_decode(hex, 32, out, 16) != 16)
        return -1;
    return 0;
}

/* Writes a UUID in its 8-4-4-4-12 form into text (capacity 37). */
static void uuid_format(const uint8_t id[16], char text[37])
{
    char hex[33];

    tk_util_hex_encode(id, 16, hex);
    snprintf(text, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
}

void agent_key_release(agent_key *key)
{
    tk_key_release(&key->key);
    free(key->path);
    memset(key, 0, sizeof(*key));
}

/* ---------------------------------------------------------------------- */
/* Initialization                                                         */
/* ---------------------------------------------------------------------- */

/* The identity being created by tk_agent_init_store(). */
struct new_identity {
    uint8_t ueid[TK_EAT_UEID_MAX];
    size_t ueid_len;
    uint8_t oemid[16];
    size_t oemid_len;
    const char *hwmodel;
    const char *hwversion;
    tk_alg algs[TK_AGENT_MAX_KEYS];
    size_t alg_count;
    tk_alg attest_alg;
};

/* Decodes the hex option name into out, requiring a length in [min, max]
 * or exactly one of the sizes min and max when exact is set. */
static tk_err parse_hex_option(const char *name, const char *text,
                               uint8_t *out, size_t min, size_t max,
                               bool exact, size_t *len, char *msg,
                               size_t msg_size)
{
    long n = tk_util_hex_decode(text, strlen(text), out, max);
    bool ok = n >= (long)min && n <= (long)max;

    if (exact)
        ok = n == (long)min || n == (long)max;
    if (!ok) {
        agent_set_msg(msg, msg_size,
                      "%s '%s' is invalid: give %zu%s%zu bytes as hex", name,
                      text, min, exact ? " or " : " to ", max);
        return TK_ERR_INVALID_ARG;
    }
    *len = (size_t)n;
    return TK_OK;
}

/* Checks the options of tk_agent_init_store() and fills *id. */
static tk_err check_init_options(const tk_crypto *crypto,
                                 const tk_agent_init_options *o,
                                 struct new_identity *id, char *msg,
                                 size_t msg_size)
{
    tk_err err = TK_OK;

    memset(id, 0, sizeof(*id));
    id->alg_count = o->alg_count;
    for (size_t i = 0; i < o->alg_count; i++) {
        id->algs[i] = o->algs[i];
        for (size_t j = 0; j < i; j++) {
            if (alg_curve(o->algs[j]) == alg_curve(o->algs[i])) {
                agent_set_msg(msg, msg_size, "--alg %s and %s use the same "
                              "curve: give one key per cipher suite",
                              agent_alg_name(o->algs[j]),
                              agent_alg_name(o->algs[i]));
                return TK_ERR_INVALID_ARG;
            }
        }
    }
    if (id->alg_count == 0) {
        id->algs[0] = TK_ALG_ESP256;
        id->algs[1] = TK_ALG_ED25519;
        id->alg_count = 2;
    }
    id->attest_alg = o->attest_alg != TK_ALG_NONE ? o->attest_alg
                                                  : TK_ALG_ESP256;
    if (o->ueid_hex != NULL) {
        err = parse_hex_option("--ueid", o->ueid_hex, id->ueid,
                               TK_EAT_UEID_MIN, TK_EAT_UEID_MAX, false,
                               &id->ueid_len, msg, msg_size);
    } else {
        id->ueid[0] = 0x01; /* RAND type of RFC 9711 section 4.2.1.1 */
        id->ueid_len = 17;
        err = crypto->random(crypto->ctx, id->ueid + 1, 16);
    }
    if (err == TK_OK && o->oemid_hex != NULL) {
        err = parse_hex_option("--oemid", o->oemid_hex, id->oemid, 3, 16,
                               true, &id->oemid_len, msg, msg_size);
    } else if (err == TK_OK) {
        id->oemid_len = 16;
        err = crypto->random(crypto->ctx, id->oemid, 16);
    }
    if (err != TK_OK)
        return err;
    id->hwmodel = o->hwmodel != NULL ? o->hwmodel : DEFAULT_HWMODEL;
    id->hwversion = o->hwversion != NULL ? o->hwversion : DEFAULT_HWVERSION;
    if (strlen(id->hwmodel) < 1 || strlen(id->hwmodel) > 32) {
        agent_set_msg(msg, msg_size, "--hwmodel must be 1 to 32 bytes");
        return TK_ERR_INVALID_ARG;
    }
    if (strlen(id->hwversion) < 1 || strlen(id->hwversion) > 63) {
        agent_set_msg(msg, msg_size, "--hwversion must be 1 to 63 bytes");
        return TK_ERR_INVALID_ARG;
    }
    return TK_OK;
}

/*
 * Generates a key for alg and writes STEM.key (private PEM, 0600),
 * STEM.pub (public PEM) and STEM.cose (public COSE_Key with the RFC 9679
 * thumbprint as kid and alg) into dir.
 */
static tk_err create_key(const tk_crypto *crypto, const char *dir,
                         const char *stem, tk_alg alg, char *msg,
                         size_t msg_size)
{
    uint8_t kid[TK_COSE_THUMBPRINT_SIZE];
    const char *suffix[3] = {".key", ".pub", ".cose"};
    char *path[3] = {NULL, NULL, NULL};
    tk_key key;
    tk_err err;

    tk_key_init(&key);
    err = crypto->key_generate(crypto->ctx, alg_curve(alg), &key);
    if (err == TK_OK)
        err = tk_cose_key_thumbprint(crypto, &key, kid);
    for (size_t i = 0; err == TK_OK && i < 3; i++) {
        char name[64];

        snprintf(name, sizeof(name), "%s%s", stem, suffix[i]);
        path[i] = agent_path(dir, name);
        if (path[i] == NULL)
            err = TK_ERR_INTERNAL;
    }
    if (err != TK_OK)
        agent_set_msg(msg, msg_size, "cannot create the %s key %s: %s",
                      agent_alg_name(alg), stem, tk_strerror(err));
    if (err == TK_OK)
        err = tk_keyfile_save_pem(path[0], &key, true, msg, msg_size);
    if (err == TK_OK)
        err = tk_keyfile_save_pem(path[1], &key, false, msg, msg_size);
    if (err == TK_OK) {
        key.kid = (tk_view){kid, sizeof(kid)};
        err = tk_keyfile_save_cose(path[2], &key, alg, false, msg, msg_size);
    }
    tk_key_release(&key);
    for (size_t i = 0; i < 3; i++)
        free(path[i]);
    return err;
}

/* Builds the agent.json object of a new identity. */
static json_t *identity_json(const struct new_identity *id,
                             const tk_agent_init_options *o)
{
    char hex[2 * TK_EAT_UEID_MAX + 1];
    char hwmodel[65];
    char name[64];
    json_t *root = json_object();
    json_t *keys = json_array();

    json_object_set_new(root, "version", json_integer(AGENT_FORMAT_VERSION));
    tk_util_hex_encode(id->ueid, id->ueid_len, hex);
    json_object_set_new(root, "ueid", json_string(hex));
    tk_util_hex_encode(id->oemid, id->oemid_len, hex);
    json_object_set_new(root, "oemid", json_string(hex));
    tk_util_hex_encode((const uint8_t *)id->hwmodel, strlen(id->hwmodel),
                       hwmodel);
    json_object_set_new(root, "hwmodel", json_string(hwmodel));
    json_object_set_new(root, "hwversion", json_string(id->hwversion));
    if (o->vendor_id != NULL)
        json_object_set_new(root, "vendor-id", json_string(o->vendor_id));
    if (o->class_id != NULL)
        json_object_set_new(root, "class-id", json_string(o->class_id));
    for (size_t i = 0; i < id->alg_count; i++) {
        snprintf(name, sizeof(name), "agent-%s.key", alg_file(id->algs[i]));
        json_array_append_new(
            keys, json_pack("{s:s, s:s}", "alg", agent_alg_name(id->algs[i]),
                            "file", name));
    }
    json_object_set_new(root, "agent-keys", keys);
    json_object_set_new(root, "attestation-key",
                        json_pack("{s:s, s:s}", "alg",
                                  agent_alg_name(id->attest_alg), "file",
                                  TK_AGENT_ATTEST_KEY));
    return root;
}

/* Creates dir with mode 0700 unless it exists as a folder. */
static tk_err make_dir(const char *dir, char *msg, size_t msg_size)
{
    struct stat st;

    if (mkdir(dir, 0700) == 0)
        return TK_OK;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return TK_OK;
    agent_set_msg(msg, msg_size, "cannot create the folder %s: %s", dir,
                  strerror(errno));
    return TK_ERR_SUIT_DEVICE_IO;
}

/* Writes agent.json of id into the store folder. */
static tk_err write_config(const struct new_identity *id,
                           const tk_agent_init_options *o, char *msg,
                           size_t msg_size)
{
    json_t *root = identity_json(id, o);
    char *text = root != NULL ? json_dumps(root, JSON_INDENT(2)) : NULL;
    char *path = agent_path(o->store_dir, TK_AGENT_CONFIG_FILE);
    tk_err err = TK_OK;

    if (text == NULL || path == NULL) {
        err = TK_ERR_INTERNAL;
        agent_set_msg(msg, msg_size, "out of memory writing %s",
                      TK_AGENT_CONFIG_FILE);
    } else {
        size_t len = strlen(text);

        text[len] = '\n';
        if (tk_util_write_file(path, (const uint8_t *)text, len + 1, 0600) !=
            0) {
            err = TK_ERR_SUIT_DEVICE_IO;
            agent_set_msg(msg, msg_size, "cannot write %s: %s", path,
                          strerror(errno));
        }
        text[len] = '\0';
    }
    free(path);
    free(text);
    json_decref(root);
    return err;
}

tk_err tk_agent_init_store(const tk_crypto *crypto,
                           const tk_agent_init_options *o, char *msg,
                           size_t msg_size)
{
    struct new_identity id;
    uint8_t uuid[16];
    char *config;
    char *components;
    tk_err err;

    if (crypto == NULL || o == NULL || o->store_dir == NULL) {
        agent_set_msg(msg, msg_size, "missing store folder");
        return TK_ERR_INVALID_ARG;
    }
    if ((o->vendor_id != NULL && agent_uuid_parse(o->vendor_id, uuid) != 0) ||
        (o->class_id != NULL && agent_uuid_parse(o->class_id, uuid) != 0)) {
        agent_set_msg(msg, msg_size, "--vendor-id and --class-id must be "
                      "UUIDs such as fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe");
        return TK_ERR_INVALID_ARG;
    }
    err = check_init_options(crypto, o, &id, msg, msg_size);
    if (err != TK_OK)
        return err;
    err = make_dir(o->store_dir, msg, msg_size);
    if (err != TK_OK)
        return err;
    config = agent_path(o->store_dir, TK_AGENT_CONFIG_FILE);
    components = agent_path(o->store_dir, TK_AGENT_COMPONENT_DIR);
    if (config == NULL || components == NULL) {
        err = TK_ERR_INTERNAL;
    } else if (access(config, F_OK) == 0) {
        err = TK_ERR_AGENT_EXISTS;
        agent_set_msg(msg, msg_size, "%s already exists: %s", config,
                      tk_strerror(err));
    }
    if (err == TK_OK)
        err = make_dir(components, msg, msg_size);
    for (size_t i = 0; err == TK_OK && i < id.alg_count; i++) {
        char stem[32];

        snprintf(stem, sizeof(stem), "agent-%s", alg_file(id.algs[i]));
        err = create_key(crypto, o->store_dir, stem, id.algs[i], msg,
                         msg_size);
    }
    if (err == TK_OK)
        err = create_key(crypto, o->store_dir, "attest", id.attest_alg, msg,
                         msg_size);
    /* agent.json comes last: a folder without it holds no identity, so an
     * interrupted init can simply run again. */
    if (err == TK_OK)
        err = write_config(&id, o, msg, msg_size);
    free(config);
    free(components);
    return err;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                */
/* ---------------------------------------------------------------------- */

/* Reads the hex member name of root into out (size in [min, max]). */
static tk_err config_hex(json_t *root, const char *name, uint8_t *out,
                         size_t min, size_t max, size_t *len, char *msg,
                         size_t msg_size)
{
    const char *text = json_string_value(json_object_get(root, name));
    long n = text != NULL ? tk_util_hex_decode(text, strlen(text), out, max)
                          : -1;

    if (n < (long)min || n > (long)max) {
        agent_set_msg(msg, msg_size, "%s: \"%s\" must be %zu to %zu bytes "
                      "in hex", TK_AGENT_CONFIG_FILE, name, min, max);
        return TK_ERR_AGENT_CONFIG;
    }
    *len = (size_t)n;
    return TK_OK;
}

/* Reads an optional UUID member. */
static tk_err config_uuid(json_t *root, const char *name, uint8_t out[16],
                          bool *present, char *msg, size_t msg_size)
{
    json_t *value = json_object_get(root, name);

    *present = value != NULL;
    if (value == NULL)
        return TK_OK;
    if (!json_is_string(value) ||
        agent_uuid_parse(json_string_value(value), out) != 0) {
        agent_set_msg(msg, msg_size, "%s: \"%s\" must be a UUID",
                      TK_AGENT_CONFIG_FILE, name);
        return TK_ERR_AGENT_CONFIG;
    }
    return TK_OK;
}

/*
 * Loads the private key that the object entry of agent.json names
 * ({"alg": ..., "file": ...}) into *out, checking that it fits its alg.
 */
static tk_err load_private_key(tk_agent *agent, json_t *entry,
                               const char *what, agent_key *out, char *msg,
                               size_t msg_size)
{
    const char *alg_text = json_string_value(json_object_get(entry, "alg"));
    const char *file = json_string_value(json_object_get(entry, "file"));
    tk_alg alg = alg_text != NULL ? tk_agent_alg_parse(alg_text) : TK_ALG_NONE;
    tk_err err;

    if (alg == TK_ALG_NONE || file == NULL || file[0] == '\0' ||
        strchr(file, '/') != NULL) {
        agent_set_msg(msg, msg_size, "%s: %s needs \"alg\" (ESP256, ES256, "
                      "Ed25519 or EdDSA) and \"file\", a file name in the "
                      "store folder", TK_AGENT_CONFIG_FILE, what);
        return TK_ERR_AGENT_CONFIG;
    }
    out->path = agent_path(agent->store_dir, file);
    if (out->path == NULL)
        return TK_ERR_INTERNAL;
    err = tk_keyfile_load(agent->crypto, out->path, &out->key, &out->info,
                          msg, msg_size);
    if (err != TK_OK)
        return err;
    if (!out->key.has_private || out->key.crv != alg_curve(alg)) {
        agent_set_msg(msg, msg_size, "%s is not a private %s key",
                      out->path, agent_alg_name(alg));
        return TK_ERR_AGENT_CONFIG;
    }
    out->alg = alg;
    err = tk_cose_key_thumbprint(agent->crypto, &out->key, out->thumbprint);
    out->key.kid = (tk_view){out->thumbprint, sizeof(out->thumbprint)};
    return err;
}

/* Loads the keys that agent.json lists. */
static tk_err load_keys(tk_agent *agent, json_t *root, char *msg,
                        size_t msg_size)
{
    json_t *keys = json_object_get(root, "agent-keys");
    size_t count = json_array_size(keys);
    tk_err err = TK_OK;

    if (!json_is_array(keys) || count == 0 || count > TK_AGENT_MAX_KEYS) {
        agent_set_msg(msg, msg_size, "%s: \"agent-keys\" must list 1 to %d "
                      "keys", TK_AGENT_CONFIG_FILE, TK_AGENT_MAX_KEYS);
        return TK_ERR_AGENT_CONFIG;
    }
    for (size_t i = 0; err == TK_OK && i < count; i++) {
        agent_key *k = &agent->keys[i];

        err = load_private_key(agent, json_array_get(keys, i), "an agent key",
                               k, msg, msg_size);
        agent->signers[i].alg = k->alg;
        agent->signers[i].key = &k->key;
        agent->signers[i].kid = k->key.kid;
        agent->key_count = i + 1;
    }
    if (err == TK_OK)
        err = load_private_key(agent, json_object_get(root, "attestation-key"),
                               "\"attestation-key\"", &agent->attester, msg,
                               msg_size);
    agent->attest_signer.alg = agent->attester.alg;
    agent->attest_signer.key = &agent->attester.key;
    agent->attest_signer.kid = agent->attester.key.kid;
    return err;
}

/* Reads the claims of agent.json. */
static tk_err load_claims(tk_agent *agent, json_t *root, char *msg,
                          size_t msg_size)
{
    json_t *version = json_object_get(root, "version");
    const char *hwversion;
    tk_err err;

    if (!json_is_integer(version) ||
        json_integer_value(version) != AGENT_FORMAT_VERSION) {
        agent_set_msg(msg, msg_size, "%s: \"version\" must be %d",
                      TK_AGENT_CONFIG_FILE, AGENT_FORMAT_VERSION);
        return TK_ERR_AGENT_CONFIG;
    }
    err = config_hex(root, "ueid", agent->ueid, TK_EAT_UEID_MIN,
                     TK_EAT_UEID_MAX, &agent->ueid_len, msg, msg_size);
    if (err == TK_OK)
        err = config_hex(root, "oemid", agent->oemid, 3, 16,
                         &agent->oemid_len, msg, msg_size);
    if (err == TK_OK)
        err = config_hex(root, "hwmodel", agent->hwmodel, 1, 32,
                         &agent->hwmodel_len, msg, msg_size);
    if (err == TK_OK)
        err = config_uuid(root, "vendor-id", agent->vendor_id,
                          &agent->has_vendor_id, msg, msg_size);
    if (err == TK_OK)
        err = config_uuid(root, "class-id", agent->class_id,
                          &agent->has_class_id, msg, msg_size);
    if (err != TK_OK)
        return err;
    hwversion = json_string_value(json_object_get(root, "hwversion"));
    if (hwversion == NULL || hwversion[0] == '\0' ||
        strlen(hwversion) >= sizeof(agent->hwversion)) {
        agent_set_msg(msg, msg_size, "%s: \"hwversion\" must be text of 1 "
                      "to 63 bytes", TK_AGENT_CONFIG_FILE);
        return TK_ERR_AGENT_CONFIG;
    }
    strcpy(agent->hwversion, hwversion);
    if (agent->oemid_len != 3 && agent->oemid_len != 16) {
        agent_set_msg(msg, msg_size, "%s: \"oemid\" must be 3 or 16 bytes",
                      TK_AGENT_CONFIG_FILE);
        return TK_ERR_AGENT_CONFIG;
    }
    return TK_OK;
}

tk_err agent_identity_load(tk_agent *agent, char *msg, size_t msg_size)
{
    char *path = agent_path(agent->store_dir, TK_AGENT_CONFIG_FILE);
    uint8_t *data = NULL;
    size_t len = 0;
    json_error_t jerr;
    json_t *root = NULL;
    tk_err err = TK_OK;

    if (path == NULL)
        return TK_ERR_INTERNAL;
    if (tk_util_read_file(path, AGENT_MAX_FILE, &data, &len) != 0) {
        err = errno == ENOENT ? TK_ERR_NOT_FOUND : TK_ERR_SUIT_DEVICE_IO;
        agent_set_msg(msg, msg_size, "cannot read %s: %s%s", path,
                      strerror(errno),
                      errno == ENOENT ? "; run `teep-agent init` first" : "");
    } else {
        root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES,
                          &jerr);
        if (!json_is_object(root)) {
            err = TK_ERR_AGENT_CONFIG;
            agent_set_msg(msg, msg_size, "%s line %d: %s", path, jerr.line,
                          root == NULL ? jerr.text : "not a JSON object");
        }
    }
    if (err == TK_OK)
        err = load_claims(agent, root, msg, msg_size);
    if (err == TK_OK)
        err = load_keys(agent, root, msg, msg_size);
    json_decref(root);
    free(data);
    free(path);
    return err;
}

tk_err agent_trust_load(tk_agent *agent, const char *path, agent_key *out,
                        char *msg, size_t msg_size)
{
    tk_err err;

    memset(out, 0, sizeof(*out));
    out->path = strdup(path);
    if (out->path == NULL)
        return TK_ERR_INTERNAL;
    err = tk_keyfile_load(agent->crypto, path, &out->key, &out->info, msg,
                          msg_size);
    if (err != TK_OK)
        return err;
    if (out->key.kty == TK_KTY_SYMMETRIC ||
        tk_keyfile_signature_alg(&out->key) == TK_ALG_NONE) {
        agent_set_msg(msg, msg_size, "%s is not a P-256, P-384 or Ed25519 "
                      "public key", path);
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    }
    out->alg = out->info.alg;
    return tk_cose_key_thumbprint(agent->crypto, &out->key, out->thumbprint);
}

/*
 * Reads a raw symmetric key file as `teepkit suit` writes them: 16, 24 or
 * 32 bytes, as the bytes themselves or as hex text. Returns TK_OK or
 * TK_ERR_NOT_FOUND when the file is not such a key.
 */
static tk_err load_raw_symmetric(const char *path, tk_key *key)
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t bytes[32];
    long n = -1;
    tk_err err = TK_ERR_NOT_FOUND;

    if (tk_util_read_file(path, AGENT_MAX_FILE, &data, &len) != 0)
        return TK_ERR_NOT_FOUND;
    if (len == 16 || len == 24 || len == 32) {
        memcpy(bytes, data, len);
        n = (long)len;
    } else {
        n = tk_util_hex_decode((const char *)data, len, bytes,
                               sizeof(bytes));
    }
    if (n == 16 || n == 24 || n == 32)
        err = tk_key_init_symmetric(key, (tk_view){bytes, (size_t)n});
    tk_crypto_wipe(bytes, sizeof(bytes));
    tk_crypto_wipe(data, len);
    free(data);
    return err == TK_OK ? TK_OK : TK_ERR_NOT_FOUND;
}

tk_err agent_decrypt_key_load(tk_agent *agent, const char *path,
                              agent_key *out, char *msg, size_t msg_size)
{
    tk_err err;

    memset(out, 0, sizeof(*out));
    out->path = strdup(path);
    if (out->path == NULL)
        return TK_ERR_INTERNAL;
    err = tk_keyfile_load(agent->crypto, path, &out->key, &out->info, msg,
                          msg_size);
    if (err != TK_OK && load_raw_symmetric(path, &out->key) == TK_OK)
        err = TK_OK;
    if (err != TK_OK)
        return err;
    if (out->key.kty != TK_KTY_SYMMETRIC && !out->key.has_private) {
        agent_set_msg(msg, msg_size, "%s is a public key: a decryption key "
                      "must be symmetric or private", path);
        return TK_ERR_CRYPTO_KEY_INVALID;
    }
    out->alg = out->info.alg;
    return TK_OK;
}

/* ---------------------------------------------------------------------- */
/* Description                                                            */
/* ---------------------------------------------------------------------- */

/* Returns the malloc'd hex text of data. */
static char *hex_text(const uint8_t *data, size_t len)
{
    char *text = malloc(2 * len + 1);

    if (text != NULL)
        tk_util_hex_encode(data, len, text);
    return text;
}

/* Returns the path of the public key file with suffix beside key's
 * private key file STEM.key. */
static char *public_path(const agent_key *key, const char *suffix)
{
    size_t len = strlen(key->path);
    char *path = malloc(len + strlen(suffix) + 1);

    if (path == NULL)
        return NULL;
    memcpy(path, key->path, len + 1);
    if (len > 4 && strcmp(path + len - 4, ".key") == 0)
        path[len - 4] = '\0';
    strcat(path, suffix);
    return path;
}

/* Adds the description of one key to obj. */
static void describe_key(json_t *obj, const agent_key *key)
{
    char *kid = hex_text(key->thumbprint, sizeof(key->thumbprint));
    char *pem = public_path(key, ".pub");
    char *cose = public_path(key, ".cose");

    json_object_set_new(obj, "alg", json_string(agent_alg_name(key->alg)));
    json_object_set_new(obj, "kid", json_string(kid != NULL ? kid : ""));
    json_object_set_new(obj, "public", json_string(pem != NULL ? pem : ""));
    json_object_set_new(obj, "cose", json_string(cose != NULL ? cose : ""));
    free(kid);
    free(pem);
    free(cose);
}

/* Builds the JSON description of tk_agent_describe(). */
static json_t *describe_json(const tk_agent *agent)
{
    char text[2 * AGENT_MAX_REFERENCE + 8];
    json_t *root = json_object();
    json_t *keys = json_array();
    json_t *attester = json_object();
    json_t *components = json_array();

    tk_util_hex_encode(agent->ueid, agent->ueid_len, text);
    json_object_set_new(root, "ueid", json_string(text));
    tk_util_hex_encode(agent->oemid, agent->oemid_len, text);
    json_object_set_new(root, "oemid", json_string(text));
    tk_util_hex_encode(agent->hwmodel, agent->hwmodel_len, text);
    json_object_set_new(root, "hwmodel", json_string(text));
    json_object_set_new(root, "hwversion", json_string(agent->hwversion));
    if (agent->has_vendor_id) {
        uuid_format(agent->vendor_id, text);
        json_object_set_new(root, "vendor-id", json_string(text));
    }
    if (agent->has_class_id) {
        uuid_format(agent->class_id, text);
        json_object_set_new(root, "class-id", json_string(text));
    }
    for (size_t i = 0; i < agent->key_count; i++) {
        json_t *key = json_object();

        describe_key(key, &agent->keys[i]);
        json_array_append_new(keys, key);
    }
    json_object_set_new(root, "agent-keys", keys);
    describe_key(attester, &agent->attester);
    json_object_set_new(root, "attestation-key", attester);
    for (size_t i = 0; i < agent->component_count; i++) {
        const agent_component *c = &agent->components[i];
        const tk_suitdev_meta *m = &c->meta;
        json_t *entry = json_object();

        json_object_set_new(entry, "name", json_string(c->name));
        char *id = hex_text(c->id, c->id_len);

        json_object_set_new(entry, "component-id",
                            json_string(id != NULL ? id : ""));
        free(id);
        json_object_set_new(entry, "sequence",
                            json_integer((json_int_t)m->sequence_number));
        json_object_set_new(entry, "size",
                            json_integer((json_int_t)m->image_size));
        tk_util_hex_encode(m->image_digest, sizeof(m->image_digest), text);
        json_object_set_new(entry, "image-sha256", json_string(text));
        tk_util_hex_encode(m->manifest_digest, m->manifest_digest_len, text);
        json_object_set_new(entry, "manifest-digest", json_string(text));
        json_array_append_new(components, entry);
    }
    json_object_set_new(root, "components", components);
    return root;
}

/* Prints one key of a JSON description. */
static void describe_key_text(FILE *out, const char *what, json_t *key)
{
    fprintf(out, "%s %s:\n  public key %s\n  COSE_Key   %s\n  kid        %s\n",
            what, json_string_value(json_object_get(key, "alg")),
            json_string_value(json_object_get(key, "public")),
            json_string_value(json_object_get(key, "cose")),
            json_string_value(json_object_get(key, "kid")));
}

/* Prints the text form of a JSON description. */
static void describe_text(json_t *root, FILE *out)
{
    size_t i;
    json_t *value;
    json_t *components;
    const char *hwmodel = json_string_value(json_object_get(root, "hwmodel"));
    uint8_t model[33];
    long model_len = tk_util_hex_decode(hwmodel, strlen(hwmodel), model, 32);
    bool printable = model_len > 0;

    for (long k = 0; k < model_len; k++)
        printable = printable && model[k] >= 0x20 && model[k] < 0x7f;
    fprintf(out, "device id (ueid): %s\n",
            json_string_value(json_object_get(root, "ueid")));
    fprintf(out, "oemid:            %s\n",
            json_string_value(json_object_get(root, "oemid")));
    fprintf(out, "hwmodel:          %s", hwmodel);
    if (printable)
        fprintf(out, " (\"%.*s\")", (int)model_len, (const char *)model);
    fprintf(out, "\nhwversion:        %s\n",
            json_string_value(json_object_get(root, "hwversion")));
    json_array_foreach(json_object_get(root, "agent-keys"), i, value)
        describe_key_text(out, "agent key", value);
    describe_key_text(out, "attestation key",
                      json_object_get(root, "attestation-key"));
    components = json_object_get(root, "components");
    fprintf(out, "installed components: %zu\n", json_array_size(components));
    json_array_foreach(components, i, value) {
        fprintf(out, "  %s  sequence %lld  %lld bytes  sha256 %s\n",
                json_string_value(json_object_get(value, "name")),
                (long long)json_integer_value(json_object_get(value,
                                                              "sequence")),
                (long long)json_integer_value(json_object_get(value, "size")),
                json_string_value(json_object_get(value, "image-sha256")));
    }
}

tk_err tk_agent_describe(tk_agent *agent, FILE *out, bool json)
{
    tk_err err = agent_inventory_refresh(agent);
    json_t *root;

    if (err != TK_OK)
        return err;
    root = describe_json(agent);
    if (root == NULL)
        return TK_ERR_INTERNAL;
    if (json) {
        json_dumpf(root, out, JSON_INDENT(2));
        fputc('\n', out);
    } else {
        describe_text(root, out);
    }
    json_decref(root);
    return TK_OK;
}
