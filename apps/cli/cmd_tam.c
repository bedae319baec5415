/*
 * `teepkit tam`: the TAM service and its operator commands.
 *
 *   init       creates the store and the TAM's signing keys
 *   serve      runs the TEEP endpoint (HTTP, optionally CoAP)
 *   device     add, list, show, remove devices and their keys
 *   component  add (a signed SUIT envelope), list, remove components
 *   policy     set, list or remove which device or class gets which
 *              component
 *   reports    lists the SUIT reports of Success and Error messages
 *   audit      lists the audit log
 *
 * Every command works on the store given by --db (or by db in --config)
 * and prints plain text tables, or with --json the objects of the admin
 * API (docs/openapi.yaml). docs/tam.md is the operator guide.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "keyfile.h"
#include "store.h"
#include "tam.h"
#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "util.h"

const char tk_cli_tam_summary[] =
    "run the TAM and manage its devices, components and policy";

/* Repeatable options keep at most this many values. */
#define MAX_VALUES 8

/* Largest SUIT envelope or payload file read by component add. */
#define MAX_FILE (64u * 1024u * 1024u)

static void print_usage(FILE *out)
{
    fprintf(out,
        "usage: teepkit tam init --db FILE|URL [--key-dir DIR]\n"
        "       teepkit tam serve --db FILE|URL [--listen ADDR:PORT] "
        "[--coap ADDR:PORT]\n"
        "                         [--config FILE] [--key-dir DIR] "
        "[--port-file FILE]\n"
        "                         [--log-level LEVEL] [--admin ADDR:PORT]\n"
        "                         [--admin-token-file FILE] "
        "[--admin-port-file FILE]\n"
        "       teepkit tam device add --id ID --agent-key PUB "
        "[--attestation-key PUB]\n"
        "                         [--hwmodel HEX] [--hwversion TEXT] "
        "[--class NAME] [--name TEXT]\n"
        "       teepkit tam device list | show ID | remove ID\n"
        "       teepkit tam component add FILE.suit [--signer PUB]... "
        "[--name TEXT]\n"
        "                         [--payload KEY=FILE]...\n"
        "       teepkit tam component list | remove COMPONENT\n"
        "       teepkit tam policy set --device ID|--class NAME "
        "--component COMPONENT [--absent]\n"
        "       teepkit tam policy list [--device ID|--class NAME]\n"
        "       teepkit tam policy remove RULE | --device ID|--class NAME "
        "--component COMPONENT\n"
        "       teepkit tam reports [--device ID]\n"
        "       teepkit tam audit\n"
        "\n"
        "Every command takes --db FILE|URL (an SQLite file, sqlite:PATH, "
        "or a postgresql:// URL)\n"
        "or --config FILE with a db key. --json prints the result as "
        "JSON, in the\n"
        "forms of the admin API (docs/openapi.yaml).\n"
        "ID is the device's UEID in hex. COMPONENT is the number that "
        "`component list`\n"
        "prints, a component name, or the encoded SUIT component "
        "identifier in hex.\n"
        "RULE is the number that `policy list` prints (`policy show` is "
        "the same as\n"
        "`policy list`).\n"
        "--agent-key, --attestation-key, --hwmodel and --hwversion may be "
        "repeated.\n"
        "serve prints \"listening on ADDRESS:PORT\" once it accepts "
        "requests; --listen\n"
        "with port 0 takes a free port, and --port-file writes it to "
        "FILE.\n"
        "--admin starts the admin API, metrics and dashboard on their own "
        "listener;\n"
        "its bearer token comes from admin_token or --admin-token-file.\n"
        "\n"
        "Exits 0 on success, 1 when the store or the input rejects the "
        "command,\n"
        "2 on a usage error or a file that cannot be read.\n");
}

/* The arguments of one subcommand. */
struct args {
    const char *sub;          /* "device add", for messages */
    const char *db;
    const char *config;
    const char *key_dir;
    const char *listen;
    const char *coap;
    const char *port_file;
    const char *log_level;
    const char *id;
    const char *name;
    const char *class_name;
    const char *device;
    const char *component;
    const char *admin;
    const char *admin_token_file;
    const char *admin_port_file;
    bool absent;
    bool json;
    const char *agent_keys[MAX_VALUES];
    size_t agent_key_count;
    const char *attestation_keys[MAX_VALUES];
    size_t attestation_key_count;
    const char *hwmodels[MAX_VALUES];
    size_t hwmodel_count;
    const char *hwversions[MAX_VALUES];
    size_t hwversion_count;
    const char *signers[MAX_VALUES];
    size_t signer_count;
    const char *payloads[MAX_VALUES];
    size_t payload_count;
    const char *positional[2];
    size_t positional_count;
};

/* An option that takes a value: where the value goes. */
struct option_slot {
    const char *name;
    const char **single;
    const char **list;
    size_t *count;
};

static int usage_error(const struct args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const struct args *a, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "teepkit tam %s: ", a->sub);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return 2;
}

static int fail(const struct args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(const struct args *a, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "teepkit tam %s: ", a->sub);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return 1;
}

/* Fills the option table of a. */
static size_t option_slots(struct args *a, struct option_slot *s)
{
    const struct option_slot slots[] = {
        {"--db", &a->db, NULL, NULL},
        {"--config", &a->config, NULL, NULL},
        {"--key-dir", &a->key_dir, NULL, NULL},
        {"--listen", &a->listen, NULL, NULL},
        {"--coap", &a->coap, NULL, NULL},
        {"--port-file", &a->port_file, NULL, NULL},
        {"--log-level", &a->log_level, NULL, NULL},
        {"--id", &a->id, NULL, NULL},
        {"--name", &a->name, NULL, NULL},
        {"--class", &a->class_name, NULL, NULL},
        {"--device", &a->device, NULL, NULL},
        {"--component", &a->component, NULL, NULL},
        {"--admin", &a->admin, NULL, NULL},
        {"--admin-token-file", &a->admin_token_file, NULL, NULL},
        {"--admin-port-file", &a->admin_port_file, NULL, NULL},
        {"--agent-key", NULL, a->agent_keys, &a->agent_key_count},
        {"--attestation-key", NULL, a->attestation_keys,
         &a->attestation_key_count},
        {"--hwmodel", NULL, a->hwmodels, &a->hwmodel_count},
        {"--hwversion", NULL, a->hwversions, &a->hwversion_count},
        {"--signer", NULL, a->signers, &a->signer_count},
        {"--payload", NULL, a->payloads, &a->payload_count},
    };
    size_t n = sizeof(slots) / sizeof(slots[0]);
    memcpy(s, slots, sizeof(slots));
    return n;
}

/* Stores the value of option slot. Returns 0 or 2 after a usage error. */
static int take_value(struct args *a, const struct option_slot *slot,
                      const char *value)
{
    if (slot->single != NULL) {
        *slot->single = value;
        return 0;
    }
    if (*slot->count == MAX_VALUES)
        return usage_error(a, "%s may be given at most %d times", slot->name,
                           MAX_VALUES);
    slot->list[(*slot->count)++] = value;
    return 0;
}

/* Parses argv (after the subcommand words). Returns 0, 1 after --help,
 * or 2 after a usage error. */
static int parse_args(struct args *a, int argc, char **argv)
{
    struct option_slot slots[32];
    size_t n = option_slots(a, slots);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(stdout);
            return 1;
        }
        if (strcmp(arg, "--absent") == 0) {
            a->absent = true;
            continue;
        }
        if (strcmp(arg, "--json") == 0) {
            a->json = true;
            continue;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
            if (a->positional_count == 2)
                return usage_error(a, "unexpected argument '%s'", arg);
            a->positional[a->positional_count++] = arg;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        const struct option_slot *slot = NULL;
        for (size_t k = 0; k < n && slot == NULL; k++)
            if (strlen(slots[k].name) == name_len &&
                strncmp(slots[k].name, arg, name_len) == 0)
                slot = &slots[k];
        if (slot == NULL)
            return usage_error(a, "unknown option '%s'; see teepkit tam "
                                  "--help", arg);
        const char *value = eq != NULL ? eq + 1 : NULL;
        if (value == NULL && i + 1 >= argc)
            return usage_error(a, "option %s needs a value", slot->name);
        if (value == NULL)
            value = argv[++i];
        int status = take_value(a, slot, value);
        if (status != 0)
            return status;
    }
    return 0;
}

/* Reads --config (when given) and applies the command-line options over
 * it. Returns 0 or an exit status. */
static int load_config(struct args *a, tk_tam_config *cfg)
{
    char msg[512] = "";
    tk_tam_config_init(cfg);
    if (a->config != NULL) {
        tk_err err = tk_tam_config_load(cfg, a->config, msg, sizeof(msg));
        if (err != TK_OK) {
            fprintf(stderr, "teepkit tam %s: %s\n", a->sub, msg);
            return err == TK_ERR_NOT_FOUND ? 2 : 1;
        }
    }
    const struct {
        const char *key;
        const char *value;
    } overrides[] = {
        {"db", a->db},           {"key_dir", a->key_dir},
        {"listen", a->listen},   {"coap", a->coap},
        {"log_level", a->log_level}, {"admin", a->admin},
        {"admin_token_file", a->admin_token_file},
    };
    for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
        if (overrides[i].value == NULL)
            continue;
        if (tk_tam_config_set(cfg, overrides[i].key, overrides[i].value, msg,
                              sizeof(msg)) != TK_OK) {
            fprintf(stderr, "teepkit tam %s: %s\n", a->sub, msg);
            return 2;
        }
    }
    for (size_t i = 0; i < a->signer_count; i++)
        tk_tam_config_set(cfg, "component_signer", a->signers[i], msg,
                          sizeof(msg));
    if (cfg->db == NULL)
        return usage_error(a, "no database: give --db FILE|URL");
    if (cfg->key_dir == NULL)
        cfg->key_dir = tk_tam_default_key_dir(cfg->db);
    return 0;
}

/* Opens the store of cfg. Returns 0 or 1 after reporting the failure. */
static int open_store(const struct args *a, const tk_tam_config *cfg,
                      tk_store **store)
{
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_open(cfg->db, NULL, store, &detail);
    if (err != TK_OK)
        return fail(a, "cannot open the store: %s",
                    detail.text[0] != '\0' ? detail.text : tk_strerror(err));
    return 0;
}

/* Reports a failed store call with its detail. */
static int store_fail(const struct args *a, tk_err err,
                      const tk_store_detail *detail)
{
    return fail(a, "%s (%s)",
                detail->text[0] != '\0' ? detail->text : tk_strerror(err),
                tk_errname(err));
}

/* Prints value (a reference that is taken) as indented JSON. */
static int print_json(const struct args *a, json_t *value)
{
    if (value == NULL)
        return fail(a, "cannot build the JSON output: out of memory");
    int rc = json_dumpf(value, stdout, JSON_INDENT(2));
    json_decref(value);
    printf("\n");
    return rc == 0 ? 0 : fail(a, "cannot write the JSON output");
}

/* Formats a time as ISO 8601 UTC, or "never" for 0. */
static const char *format_time(int64_t t, char *out, size_t cap)
{
    if (t == 0) {
        snprintf(out, cap, "never");
        return out;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

static void hex_text(tk_view v, char *out, size_t cap)
{
    if (v.len == 0) {
        snprintf(out, cap, "-");
        return;
    }
    size_t n = v.len;
    if (2 * n + 1 > cap)
        n = (cap - 1) / 2;
    tk_util_hex_encode(v.ptr, n, out);
}

/* Prints an encoded component identifier in diagnostic notation. */
static void component_text(tk_view id, char *out, size_t cap)
{
    size_t len = 0;
    if (tk_cbor_diag(id.ptr, id.len, out, cap, &len, 0, NULL, NULL, NULL) !=
            TK_OK &&
        len == 0)
        hex_text(id, out, cap);
}

/* Decodes hex text into a malloc'd buffer of at most max bytes. */
static bool parse_hex(const char *text, size_t max, uint8_t **out,
                      size_t *len)
{
    size_t cap = strlen(text) / 2 + 1;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return false;
    long n = tk_util_hex_decode(text, strlen(text), buf, cap);
    if (n <= 0 || (size_t)n > max) {
        free(buf);
        return false;
    }
    *out = buf;
    *len = (size_t)n;
    return true;
}

/* ---- Lookups shared by the commands ------------------------------------ */

/* Finds a device by its UEID in hex. */
static int find_device(const struct args *a, tk_store *store,
                       const char *id, tk_store_mem *mem,
                       tk_store_device *out)
{
    uint8_t *ueid = NULL;
    size_t len = 0;
    if (!parse_hex(id, 64, &ueid, &len))
        return usage_error(a, "device id '%s' is not 1 to 64 bytes of hex",
                           id);
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_device_find(store, (tk_view){ueid, len}, mem, out,
                                      &detail);
    free(ueid);
    if (err == TK_ERR_STORE_NOT_FOUND)
        return fail(a, "no device with id %s; %s", id,
                    tk_strerror(TK_ERR_TAM_DEVICE_UNKNOWN));
    if (err != TK_OK)
        return store_fail(a, err, &detail);
    return 0;
}

/* Finds a class by name, creating it when create is set. */
static int find_class(const struct args *a, tk_store *store,
                      const char *name, bool create, int64_t *id)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_class cls;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_class_find(store, name, &mem, &cls, &detail);
    if (err == TK_OK)
        *id = cls.id;
    tk_store_mem_free(&mem);
    if (err == TK_ERR_STORE_NOT_FOUND && create) {
        tk_store_class add;
        memset(&add, 0, sizeof(add));
        add.name = name;
        err = tk_store_class_add(store, &add, "cli", id, &detail);
    } else if (err == TK_ERR_STORE_NOT_FOUND) {
        return fail(a, "no device class named '%s'", name);
    }
    return err == TK_OK ? 0 : store_fail(a, err, &detail);
}

/* Tells whether text is a decimal number. */
static bool is_number(const char *text)
{
    if (*text == '\0')
        return false;
    for (const char *p = text; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* Finds a component by store id, by name, or by its encoded identifier
 * in hex, in that order. */
static int find_component(const struct args *a, tk_store *store,
                          const char *text, tk_store_mem *mem,
                          tk_store_component *out)
{
    tk_store_detail detail = {{0}};
    tk_err err = TK_ERR_STORE_NOT_FOUND;
    if (is_number(text))
        err = tk_store_component_get(store, strtoll(text, NULL, 10), mem,
                                     out, &detail);
    size_t matches = 0;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    while (err == TK_ERR_STORE_NOT_FOUND) {
        tk_store_components list;
        tk_err lerr = tk_store_component_list(store, &page, mem, &list,
                                              &detail);
        if (lerr != TK_OK)
            return store_fail(a, lerr, &detail);
        for (size_t i = 0; i < list.count; i++)
            if (strcmp(list.items[i].name, text) == 0) {
                *out = list.items[i];
                matches++;
            }
        page.after = list.next;
        if (page.after == 0)
            break;
    }
    if (matches > 1)
        return fail(a, "%zu components are named '%s'; give the number "
                       "from `teepkit tam component list`",
                    matches, text);
    if (matches == 1)
        err = TK_OK;
    uint8_t *id = NULL;
    size_t len = 0;
    if (err == TK_ERR_STORE_NOT_FOUND && parse_hex(text, 1024, &id, &len)) {
        err = tk_store_component_find(store, (tk_view){id, len}, mem, out,
                                      &detail);
        free(id);
    }
    if (err == TK_ERR_STORE_NOT_FOUND)
        return fail(a, "no component '%s'; %s", text,
                    tk_strerror(TK_ERR_TAM_COMPONENT_UNKNOWN));
    return err == TK_OK ? 0 : store_fail(a, err, &detail);
}

/* ---- init and serve ---------------------------------------------------- */

/* Prints what init did as JSON: the store and the TAM's key files. */
static int init_json(const struct args *a, const tk_tam_config *cfg,
                     const char *backend, uint32_t version, bool created)
{
    char paths[4][1024];
    const char *names[4] = {TK_TAM_PUB_ESP256, TK_TAM_PUB_ED25519,
                            TK_TAM_COSE_ESP256, TK_TAM_COSE_ED25519};
    for (size_t i = 0; i < 4; i++)
        snprintf(paths[i], sizeof(paths[i]), "%s/%s", cfg->key_dir,
                 names[i]);
    return print_json(
        a, json_pack("{s:{s:s, s:i}, s:s, s:b, s:{s:s, s:s}, s:{s:s, s:s}}",
                     "store", "backend", backend, "schema_version",
                     (int)version, "key_dir", cfg->key_dir, "keys_created",
                     created, "public_keys", "esp256", paths[0], "ed25519",
                     paths[1], "cose_keys", "esp256", paths[2], "ed25519",
                     paths[3]));
}

static int cmd_init(struct args *a)
{
    tk_tam_config cfg;
    int status = load_config(a, &cfg);
    tk_store *store = NULL;
    if (status == 0)
        status = open_store(a, &cfg, &store);
    if (status == 0) {
        uint32_t version = 0;
        tk_store_schema_version(store, &version, NULL);
        const char *backend = tk_store_backend(store);
        if (!a->json)
            printf("store: %s (%s, schema version %u)\n", cfg.db, backend,
                   (unsigned)version);
        char msg[512] = "";
        bool created = false;
        tk_err err = tk_tam_keys_create(tk_crypto_openssl(), cfg.key_dir,
                                        &created, msg, sizeof(msg));
        if (err != TK_OK)
            status = fail(a, "%s", msg);
        else if (a->json)
            status = init_json(a, &cfg, backend, version, created);
        else
            printf("TAM keys %s in %s\n"
                   "public keys that agents trust:\n"
                   "  %s/%s\n  %s/%s\n"
                   "the same keys as COSE_Key with their kid:\n"
                   "  %s/%s\n  %s/%s\n",
                   created ? "created" : "already present", cfg.key_dir,
                   cfg.key_dir, TK_TAM_PUB_ESP256, cfg.key_dir,
                   TK_TAM_PUB_ED25519, cfg.key_dir, TK_TAM_COSE_ESP256,
                   cfg.key_dir, TK_TAM_COSE_ED25519);
        tk_store_close(store);
    }
    tk_tam_config_free(&cfg);
    return status;
}

static int cmd_serve(struct args *a)
{
    tk_tam_config cfg;
    int status = load_config(a, &cfg);
    if (status != 0)
        return status;
    if (a->json) {
        tk_tam_config_free(&cfg);
        return usage_error(a, "--json applies to the store commands, not "
                              "to serve");
    }
    tk_tam_serve_options opt = {.port_file = a->port_file, .stop_fd = -1};
    tk_admin_serve admin;
    char msg[512] = "";
    if (tk_admin_serve_init(&admin, &cfg, a->admin_port_file, &opt, msg,
                            sizeof(msg)) != TK_OK) {
        fprintf(stderr, "teepkit tam %s: %s\n", a->sub, msg);
        status = 2;
    } else {
        status = tk_tam_serve(&cfg, &opt);
    }
    tk_admin_serve_free(&admin);
    tk_tam_config_free(&cfg);
    return status;
}

/* ---- device ------------------------------------------------------------ */

/* Loads a public key file and stores it for the device. */
static int add_key(const struct args *a, tk_store *store, int64_t device,
                   tk_store_key_use use, const char *path)
{
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_key key;
    tk_keyfile_info info;
    char msg[512];
    tk_key_init(&key);
    tk_err err = tk_keyfile_load(crypto, path, &key, &info, msg, sizeof(msg));
    if (err != TK_OK) {
        fprintf(stderr, "teepkit tam %s: %s\n", a->sub, msg);
        return err == TK_ERR_NOT_FOUND ? 2 : 1;
    }
    uint8_t thumbprint[TK_COSE_THUMBPRINT_SIZE];
    tk_alg alg = info.alg != TK_ALG_NONE ? info.alg
                                         : tk_keyfile_signature_alg(&key);
    uint8_t cose[512];
    size_t cose_len = 0;
    tk_view kid = {info.kid, info.kid_len};
    key.kid = (tk_view){NULL, 0};
    err = tk_cose_key_thumbprint(crypto, &key, thumbprint);
    if (kid.len == 0)
        kid = (tk_view){thumbprint, sizeof(thumbprint)};
    if (err == TK_OK && alg == TK_ALG_NONE)
        err = TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    if (err == TK_OK)
        err = tk_cose_key_encode(&key, alg, false, cose, sizeof(cose),
                                 &cose_len);
    tk_key_release(&key);
    if (err != TK_OK)
        return fail(a, "%s is not a signing public key: %s", path,
                    tk_strerror(err));
    tk_store_key row;
    memset(&row, 0, sizeof(row));
    row.device_id = device;
    row.use = use;
    row.kid = kid;
    row.alg = alg;
    row.cose_key = (tk_view){cose, cose_len};
    tk_store_detail detail = {{0}};
    err = tk_store_key_add(store, &row, "cli", NULL, &detail);
    if (err != TK_OK)
        return store_fail(a, err, &detail);
    char kid_hex[2 * 64 + 1];
    hex_text(kid, kid_hex, sizeof(kid_hex));
    if (!a->json)
        printf("%s key %s kid %s\n",
           use == TK_STORE_KEY_AGENT ? "agent" : "attestation", path,
           kid_hex);
    return 0;
}

/* Adds the reference values of device add. */
static int add_refvals(const struct args *a, tk_store *store, int64_t device)
{
    for (size_t i = 0; i < a->hwmodel_count + a->hwversion_count; i++) {
        bool model = i < a->hwmodel_count;
        const char *text = model ? a->hwmodels[i]
                                 : a->hwversions[i - a->hwmodel_count];
        tk_store_refval v;
        memset(&v, 0, sizeof(v));
        v.device_id = device;
        uint8_t *bytes = NULL;
        if (model) {
            v.kind = TK_STORE_REF_HWMODEL;
            if (!parse_hex(text, 32, &bytes, &v.value.len))
                return usage_error(a, "--hwmodel '%s' is not 1 to 32 bytes "
                                      "of hex",
                                   text);
            v.value.ptr = bytes;
        } else {
            v.kind = TK_STORE_REF_HWVERSION;
            v.value = (tk_view){(const uint8_t *)text, strlen(text)};
        }
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_refval_add(store, &v, "cli", NULL, &detail);
        free(bytes);
        if (err != TK_OK)
            return store_fail(a, err, &detail);
    }
    return 0;
}

/* Returns the JSON form of a device with its class name. */
static json_t *device_json(tk_store *store, const tk_store_device *d,
                           tk_store_mem *mem)
{
    json_t *o = tk_admin_json_device(d);
    tk_store_class cls;
    if (o != NULL && d->class_id != 0 &&
        tk_store_class_get(store, d->class_id, mem, &cls, NULL) == TK_OK)
        json_object_set_new(o, "class", json_string(cls.name));
    else if (o != NULL)
        json_object_set_new(o, "class", json_null());
    return o;
}

/* Returns what `device show --json` prints: the device with its keys,
 * reference values (its class's included), installed components and
 * latest attestation result. */
static json_t *device_detail_json(tk_store *store, const tk_store_device *d,
                                  tk_store_mem *mem)
{
    json_t *o = device_json(store, d, mem);
    json_t *keys = json_array();
    json_t *refvals = json_array();
    json_t *installed = json_array();
    if (o == NULL || keys == NULL || refvals == NULL || installed == NULL) {
        json_decref(o);
        json_decref(keys);
        json_decref(refvals);
        json_decref(installed);
        return NULL;
    }
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_keys key_list;
    if (tk_store_key_list(store, d->id, &page, mem, &key_list, NULL) == TK_OK)
        for (size_t i = 0; i < key_list.count; i++)
            json_array_append_new(keys, tk_admin_json_key(&key_list.items[i]));
    tk_store_refvals values;
    if (tk_store_refval_for_device(store, d->id, mem, &values, NULL) == TK_OK)
        for (size_t i = 0; i < values.count; i++)
            json_array_append_new(refvals,
                                  tk_admin_json_refval(&values.items[i]));
    tk_store_installeds items;
    if (tk_store_installed_list(store, d->id, &page, mem, &items, NULL) ==
        TK_OK)
        for (size_t i = 0; i < items.count; i++)
            json_array_append_new(installed,
                                  tk_admin_json_installed(&items.items[i]));
    json_object_set_new(o, "keys", keys);
    json_object_set_new(o, "reference_values", refvals);
    json_object_set_new(o, "installed", installed);
    tk_store_attestation at;
    if (tk_store_attestation_latest(store, d->id, mem, &at, NULL) == TK_OK)
        json_object_set_new(o, "latest_attestation",
                            tk_admin_json_attestation(&at));
    else
        json_object_set_new(o, "latest_attestation", json_null());
    return o;
}

static int device_add(struct args *a, tk_store *store)
{
    if (a->id == NULL || a->agent_key_count == 0)
        return usage_error(a, "--id ID and --agent-key PUB are required");
    uint8_t *ueid = NULL;
    size_t ueid_len = 0;
    if (!parse_hex(a->id, 64, &ueid, &ueid_len))
        return usage_error(a, "--id '%s' is not 1 to 64 bytes of hex",
                           a->id);
    tk_store_device d;
    memset(&d, 0, sizeof(d));
    d.ueid = (tk_view){ueid, ueid_len};
    d.name = a->name;
    int status = 0;
    if (a->class_name != NULL)
        status = find_class(a, store, a->class_name, true, &d.class_id);
    int64_t id = 0;
    tk_store_detail detail = {{0}};
    if (status == 0) {
        tk_err err = tk_store_device_add(store, &d, "cli", &id, &detail);
        if (err != TK_OK)
            status = store_fail(a, err, &detail);
    }
    free(ueid);
    for (size_t i = 0; status == 0 && i < a->agent_key_count; i++)
        status = add_key(a, store, id, TK_STORE_KEY_AGENT, a->agent_keys[i]);
    for (size_t i = 0; status == 0 && i < a->attestation_key_count; i++)
        status = add_key(a, store, id, TK_STORE_KEY_ATTESTATION,
                         a->attestation_keys[i]);
    if (status == 0)
        status = add_refvals(a, store, id);
    if (status != 0 && id != 0) {
        /* Leave no half-registered device behind. */
        tk_store_device_delete(store, id, NULL, NULL);
        return status;
    }
    if (status == 0 && a->json) {
        tk_store_mem mem = TK_STORE_MEM_INIT;
        tk_store_detail detail = {{0}};
        tk_store_device added;
        tk_err err = tk_store_device_get(store, id, &mem, &added, &detail);
        status = err == TK_OK
                     ? print_json(a, device_detail_json(store, &added, &mem))
                     : store_fail(a, err, &detail);
        tk_store_mem_free(&mem);
    } else if (status == 0) {
        printf("device %lld added: id %s\n", (long long)id, a->id);
    }
    return status;
}

static const char *state_name(tk_store_device_state state)
{
    static const char *const names[] = {"pending", "active", "blocked",
                                        "retired"};
    return (unsigned)state < 4 ? names[state] : "unknown";
}

static int device_list(const struct args *a, tk_store *store)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    json_t *all = a->json ? json_array() : NULL;
    if (a->json && all == NULL)
        return fail(a, "out of memory");
    if (!a->json)
        printf("%-6s %-34s %-8s %-7s %-20s %s\n", "NUMBER", "ID", "STATE",
               "CLASS", "LAST-SEEN", "NAME");
    do {
        tk_store_mem mem = TK_STORE_MEM_INIT;
        tk_store_devices list;
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_device_list(store, 0, -1, &page, &mem, &list,
                                          &detail);
        if (err != TK_OK) {
            tk_store_mem_free(&mem);
            json_decref(all);
            return store_fail(a, err, &detail);
        }
        for (size_t i = 0; all != NULL && i < list.count; i++)
            json_array_append_new(all,
                                  device_json(store, &list.items[i], &mem));
        for (size_t i = 0; all == NULL && i < list.count; i++) {
            const tk_store_device *d = &list.items[i];
            char ueid[2 * 64 + 1];
            char seen[32];
            char cls[24];
            hex_text(d->ueid, ueid, sizeof(ueid));
            snprintf(cls, sizeof(cls), "%lld", (long long)d->class_id);
            printf("%-6lld %-34s %-8s %-7s %-20s %s\n", (long long)d->id,
                   ueid, state_name(d->state), d->class_id ? cls : "-",
                   format_time(d->last_seen, seen, sizeof(seen)),
                   d->name != NULL && d->name[0] != '\0' ? d->name : "-");
        }
        page.after = list.next;
        tk_store_mem_free(&mem);
    } while (page.after != 0);
    return all != NULL ? print_json(a, all) : 0;
}

static const char *use_name(tk_store_key_use use)
{
    return use == TK_STORE_KEY_AGENT ? "agent" : "attestation";
}

static const char *refval_name(tk_store_refval_kind kind)
{
    switch (kind) {
    case TK_STORE_REF_HWMODEL:
        return "hwmodel";
    case TK_STORE_REF_HWVERSION:
        return "hwversion";
    case TK_STORE_REF_MEASUREMENT:
        return "measurement";
    case TK_STORE_REF_ATTEST_KEY:
        return "attestation-key";
    case TK_STORE_REF_OEMID:
        return "oemid";
    }
    return "unknown";
}

static void show_keys(tk_store *store, const tk_store_device *d,
                      tk_store_mem *mem)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_keys keys;
    printf("\nkeys\n  %-6s %-12s %-5s %s\n", "NUMBER", "USE", "ALG", "KID");
    if (tk_store_key_list(store, d->id, &page, mem, &keys, NULL) != TK_OK)
        return;
    for (size_t i = 0; i < keys.count; i++) {
        char kid[2 * 64 + 1];
        hex_text(keys.items[i].kid, kid, sizeof(kid));
        printf("  %-6lld %-12s %-5lld %s\n", (long long)keys.items[i].id,
               use_name(keys.items[i].use), (long long)keys.items[i].alg,
               kid);
    }
}

static void show_refvals(tk_store *store, const tk_store_device *d,
                         tk_store_mem *mem)
{
    tk_store_refvals values;
    printf("\nreference values\n  %-6s %-16s %s\n", "NUMBER", "KIND",
           "VALUE");
    if (tk_store_refval_for_device(store, d->id, mem, &values, NULL) != TK_OK)
        return;
    for (size_t i = 0; i < values.count; i++) {
        const tk_store_refval *v = &values.items[i];
        char text[2 * 128 + 1];
        if (v->kind == TK_STORE_REF_HWVERSION)
            snprintf(text, sizeof(text), "%.*s", (int)v->value.len,
                     (const char *)v->value.ptr);
        else
            hex_text(v->value, text, sizeof(text));
        printf("  %-6lld %-16s %s%s\n", (long long)v->id,
               refval_name(v->kind), text, v->class_id ? " (class)" : "");
    }
}

static void show_installed(tk_store *store, const tk_store_device *d,
                           tk_store_mem *mem)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_installeds items;
    printf("\ninstalled components\n  %-8s %-20s %s\n", "SEQUENCE",
           "REPORTED", "COMPONENT");
    if (tk_store_installed_list(store, d->id, &page, mem, &items, NULL) !=
        TK_OK)
        return;
    for (size_t i = 0; i < items.count; i++) {
        char id[512];
        char when[32];
        component_text(items.items[i].component_id, id, sizeof(id));
        printf("  %-8llu %-20s %s\n",
               (unsigned long long)items.items[i].sequence,
               format_time(items.items[i].reported, when, sizeof(when)), id);
    }
}

static void show_attestation(tk_store *store, const tk_store_device *d,
                             tk_store_mem *mem)
{
    static const char *const verdicts[] = {"-", "affirming", "warning",
                                           "contraindicated", "failed"};
    tk_store_attestation at;
    printf("\nlatest attestation\n");
    if (tk_store_attestation_latest(store, d->id, mem, &at, NULL) != TK_OK) {
        printf("  none\n");
        return;
    }
    char when[32];
    printf("  verdict  %s\n  time     %s\n  reason   %s\n  claims   %s\n",
           (unsigned)at.verdict < 5 ? verdicts[at.verdict] : "unknown",
           format_time(at.created, when, sizeof(when)),
           at.reason != NULL && at.reason[0] != '\0' ? at.reason : "-",
           at.claims != NULL && at.claims[0] != '\0' ? at.claims : "-");
}

static int device_show(const struct args *a, tk_store *store)
{
    if (a->positional_count != 1)
        return usage_error(a, "give the device id: device show ID");
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    int status = find_device(a, store, a->positional[0], &mem, &d);
    if (status != 0 || a->json) {
        if (status == 0)
            status = print_json(a, device_detail_json(store, &d, &mem));
        tk_store_mem_free(&mem);
        return status;
    }
    char ueid[2 * 64 + 1];
    char created[32];
    char seen[32];
    hex_text(d.ueid, ueid, sizeof(ueid));
    printf("device %lld\n  id         %s\n  name       %s\n  state      %s\n"
           "  class      %lld\n  created    %s\n  last seen  %s\n",
           (long long)d.id, ueid,
           d.name != NULL && d.name[0] != '\0' ? d.name : "-",
           state_name(d.state), (long long)d.class_id,
           format_time(d.created, created, sizeof(created)),
           format_time(d.last_seen, seen, sizeof(seen)));
    show_keys(store, &d, &mem);
    show_refvals(store, &d, &mem);
    show_installed(store, &d, &mem);
    show_attestation(store, &d, &mem);
    tk_store_mem_free(&mem);
    return 0;
}

static int device_remove(const struct args *a, tk_store *store)
{
    if (a->positional_count != 1)
        return usage_error(a, "give the device id: device remove ID");
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    int status = find_device(a, store, a->positional[0], &mem, &d);
    tk_store_mem_free(&mem);
    if (status != 0)
        return status;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_device_delete(store, d.id, "cli", &detail);
    if (err != TK_OK)
        return store_fail(a, err, &detail);
    if (a->json)
        return print_json(a, json_pack("{s:{s:I}}", "removed", "device",
                                       (json_int_t)d.id));
    printf("device %lld removed\n", (long long)d.id);
    return 0;
}

/* ---- component --------------------------------------------------------- */

/* Attaches the --payload KEY=FILE members to *envelope. */
static int attach_payloads(const struct args *a, uint8_t **envelope,
                           size_t *len)
{
    for (size_t i = 0; i < a->payload_count; i++) {
        const char *eq = strchr(a->payloads[i], '=');
        if (eq == NULL || eq == a->payloads[i] || eq[1] == '\0')
            return usage_error(a, "--payload needs KEY=FILE, such as "
                                  "'#app=app.bin', not '%s'",
                               a->payloads[i]);
        char key[256];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - a->payloads[i]),
                 a->payloads[i]);
        uint8_t *data = NULL;
        size_t data_len = 0;
        if (tk_util_read_file(eq + 1, MAX_FILE, &data, &data_len) != 0) {
            fprintf(stderr, "teepkit tam %s: cannot read %s: %s\n", a->sub,
                    eq + 1, strerror(errno));
            return 2;
        }
        uint8_t *joined = NULL;
        size_t joined_len = 0;
        tk_err err = tk_tam_envelope_add_payload((tk_view){*envelope, *len},
                                                 key,
                                                 (tk_view){data, data_len},
                                                 &joined, &joined_len);
        free(data);
        if (err != TK_OK)
            return fail(a, "cannot add payload %s: %s", key,
                        tk_strerror(err));
        free(*envelope);
        *envelope = joined;
        *len = joined_len;
    }
    return 0;
}

/* Loads the component signer keys of the configuration. */
static int load_signers(const struct args *a, const tk_tam_config *cfg,
                        tk_key *keys, size_t *count)
{
    *count = 0;
    for (size_t i = 0; i < cfg->signer_count; i++) {
        tk_keyfile_info info;
        char msg[512];
        tk_key_init(&keys[i]);
        tk_err err = tk_keyfile_load(tk_crypto_openssl(), cfg->signers[i],
                                     &keys[i], &info, msg, sizeof(msg));
        if (err != TK_OK) {
            fprintf(stderr, "teepkit tam %s: %s\n", a->sub, msg);
            /* 2 for a file that cannot be read, 1 for an invalid key. */
            return err == TK_ERR_NOT_FOUND ? 2 : 1;
        }
        keys[i].kid = (tk_view){NULL, 0};
        (*count)++;
    }
    return 0;
}

/* Prints the component and version that component add stored. */
static int component_added_json(const struct args *a, tk_store *store,
                                int64_t component, int64_t version)
{
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_component c;
    tk_store_version v;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_component_get(store, component, &mem, &c, &detail);
    if (err == TK_OK)
        err = tk_store_version_get(store, version, &mem, &v, &detail);
    int status = err == TK_OK
                     ? print_json(a, json_pack("{s:o, s:o}", "component",
                                               tk_admin_json_component(&c),
                                               "version",
                                               tk_admin_json_version(&v)))
                     : store_fail(a, err, &detail);
    tk_store_mem_free(&mem);
    return status;
}

/* Verifies the envelope and stores it as a version of its component. */
static int store_envelope(const struct args *a, tk_store *store,
                          const tk_key *const *signers, size_t count,
                          tk_view envelope)
{
    tk_tam_envelope_info info;
    char msg[512] = "";
    tk_err err = tk_tam_envelope_inspect(tk_crypto_openssl(), envelope,
                                         signers, count, &info, msg,
                                         sizeof(msg));
    if (err != TK_OK)
        return fail(a, "%s: %s", a->positional[0], msg);
    if (info.sequence > INT64_MAX)
        return fail(a, "sequence number %llu is above what the store keeps",
                    (unsigned long long)info.sequence);
    tk_store_version v;
    memset(&v, 0, sizeof(v));
    v.sequence = info.sequence;
    v.digest = info.digest;
    v.envelope = envelope;
    v.size = envelope.len;
    const char *name = a->name;
    if (name == NULL) {
        const char *slash = strrchr(a->positional[0], '/');
        name = slash != NULL ? slash + 1 : a->positional[0];
    }
    int64_t component = 0;
    int64_t version = 0;
    tk_store_detail detail = {{0}};
    err = tk_store_version_upload(store, info.component_id, name, &v, "cli",
                                  &component, &version, &detail);
    if (err != TK_OK)
        return store_fail(a, err, &detail);
    if (a->json)
        return component_added_json(a, store, component, version);
    char id[512];
    component_text(info.component_id, id, sizeof(id));
    printf("component %lld version %lld added: sequence %llu, %zu bytes, "
           "id %s\n",
           (long long)component, (long long)version,
           (unsigned long long)info.sequence, envelope.len, id);
    return 0;
}

static int component_add(struct args *a, tk_store *store,
                         const tk_tam_config *cfg)
{
    if (a->positional_count != 1)
        return usage_error(a, "give the envelope: component add FILE.suit");
    tk_key keys[TK_TAM_MAX_SIGNER_KEYS];
    const tk_key *signers[TK_TAM_MAX_SIGNER_KEYS];
    size_t count = 0;
    int status = load_signers(a, cfg, keys, &count);
    uint8_t *envelope = NULL;
    size_t len = 0;
    if (status == 0 &&
        tk_util_read_file(a->positional[0], MAX_FILE, &envelope, &len) !=
            0) {
        fprintf(stderr, "teepkit tam %s: cannot read %s: %s\n", a->sub,
                a->positional[0], strerror(errno));
        status = 2;
    }
    if (status == 0)
        status = attach_payloads(a, &envelope, &len);
    for (size_t i = 0; i < count; i++)
        signers[i] = &keys[i];
    if (status == 0)
        status = store_envelope(a, store, signers, count,
                                (tk_view){envelope, len});
    free(envelope);
    for (size_t i = 0; i < count; i++)
        tk_key_release(&keys[i]);
    return status;
}

/* Prints one component with its version count and newest sequence. */
/* Prints one line of component list, or with all set appends the JSON
 * form of the component to all instead. */
static void print_component(tk_store *store, const tk_store_component *c,
                            tk_store_mem *mem, json_t *all)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_versions versions;
    size_t count = 0;
    uint64_t newest = 0;
    if (tk_store_version_list(store, c->id, &page, mem, &versions, NULL) ==
        TK_OK) {
        count = versions.count;
        for (size_t i = 0; i < versions.count; i++)
            if (versions.items[i].sequence > newest)
                newest = versions.items[i].sequence;
    }
    if (all != NULL) {
        json_t *o = tk_admin_json_component(c);
        if (o != NULL) {
            json_object_set_new(o, "version_count",
                                json_integer((json_int_t)count));
            json_object_set_new(o, "newest_sequence",
                                count > 0 ? json_integer((json_int_t)newest)
                                          : json_null());
        }
        json_array_append_new(all, o);
        return;
    }
    char id[512];
    component_text(c->component_id, id, sizeof(id));
    printf("%-6lld %-20s %-8zu %-8llu %s\n", (long long)c->id,
           c->name != NULL && c->name[0] != '\0' ? c->name : "-", count,
           (unsigned long long)newest, id);
}

static int component_list(const struct args *a, tk_store *store)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    json_t *all = a->json ? json_array() : NULL;
    if (a->json && all == NULL)
        return fail(a, "out of memory");
    if (!a->json)
        printf("%-6s %-20s %-8s %-8s %s\n", "NUMBER", "NAME", "VERSIONS",
               "NEWEST", "COMPONENT-ID");
    do {
        tk_store_mem mem = TK_STORE_MEM_INIT;
        tk_store_components list;
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_component_list(store, &page, &mem, &list,
                                             &detail);
        if (err != TK_OK) {
            tk_store_mem_free(&mem);
            json_decref(all);
            return store_fail(a, err, &detail);
        }
        for (size_t i = 0; i < list.count; i++)
            print_component(store, &list.items[i], &mem, all);
        page.after = list.next;
        tk_store_mem_free(&mem);
    } while (page.after != 0);
    return all != NULL ? print_json(a, all) : 0;
}

static int component_remove(const struct args *a, tk_store *store)
{
    if (a->positional_count != 1)
        return usage_error(a, "give the component: component remove "
                              "COMPONENT");
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_component c;
    int status = find_component(a, store, a->positional[0], &mem, &c);
    tk_store_mem_free(&mem);
    if (status != 0)
        return status;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_component_delete(store, c.id, "cli", &detail);
    if (err == TK_ERR_STORE_REFERENCE)
        return fail(a, "component %lld is still named by a policy rule; "
                       "remove the rule first with `teepkit tam policy "
                       "remove` (%s)",
                    (long long)c.id, detail.text);
    if (err != TK_OK)
        return store_fail(a, err, &detail);
    if (a->json)
        return print_json(a, json_pack("{s:{s:I}}", "removed", "component",
                                       (json_int_t)c.id));
    printf("component %lld removed\n", (long long)c.id);
    return 0;
}

/* ---- policy ------------------------------------------------------------ */

/* Resolves --device or --class into the owner of a rule. */
static int policy_owner(const struct args *a, tk_store *store, bool create,
                        int64_t *device, int64_t *class_id)
{
    *device = 0;
    *class_id = 0;
    if ((a->device == NULL) == (a->class_name == NULL))
        return create ? usage_error(a, "give either --device ID or --class "
                                       "NAME")
                      : 0;
    if (a->class_name != NULL)
        return find_class(a, store, a->class_name, create, class_id);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_device d;
    int status = find_device(a, store, a->device, &mem, &d);
    *device = d.id;
    tk_store_mem_free(&mem);
    return status;
}

static int policy_set(const struct args *a, tk_store *store)
{
    if (a->component == NULL)
        return usage_error(a, "--component COMPONENT is required");
    tk_store_policy rule;
    memset(&rule, 0, sizeof(rule));
    int status = policy_owner(a, store, true, &rule.device_id,
                              &rule.class_id);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_component c;
    if (status == 0)
        status = find_component(a, store, a->component, &mem, &c);
    tk_store_mem_free(&mem);
    if (status != 0)
        return status;
    rule.component = c.id;
    rule.action = a->absent ? TK_STORE_POLICY_FORBID : TK_STORE_POLICY_INSTALL;
    int64_t id = 0;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_policy_set(store, &rule, "cli", &id, &detail);
    if (err != TK_OK)
        return store_fail(a, err, &detail);
    if (a->json) {
        tk_store_policy stored;
        err = tk_store_policy_get(store, id, &mem, &stored, &detail);
        status = err == TK_OK ? print_json(a, tk_admin_json_policy(&stored))
                              : store_fail(a, err, &detail);
        tk_store_mem_free(&mem);
        return status;
    }
    printf("policy rule %lld: %s %lld %s component %lld\n", (long long)id,
           rule.device_id ? "device" : "class",
           (long long)(rule.device_id ? rule.device_id : rule.class_id),
           a->absent ? "must not have" : "gets", (long long)c.id);
    return 0;
}

static int policy_show(const struct args *a, tk_store *store)
{
    int64_t device = 0;
    int64_t class_id = 0;
    int status = policy_owner(a, store, false, &device, &class_id);
    if (status != 0)
        return status;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    json_t *all = a->json ? json_array() : NULL;
    if (a->json && all == NULL)
        return fail(a, "out of memory");
    if (!a->json)
        printf("%-6s %-7s %-6s %-9s %-8s\n", "NUMBER", "FOR", "OWNER",
               "COMPONENT", "ACTION");
    do {
        tk_store_mem mem = TK_STORE_MEM_INIT;
        tk_store_policies list;
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_policy_list(store, device, class_id, &page,
                                          &mem, &list, &detail);
        if (err != TK_OK) {
            tk_store_mem_free(&mem);
            json_decref(all);
            return store_fail(a, err, &detail);
        }
        for (size_t i = 0; all != NULL && i < list.count; i++)
            json_array_append_new(all, tk_admin_json_policy(&list.items[i]));
        for (size_t i = 0; all == NULL && i < list.count; i++) {
            const tk_store_policy *p = &list.items[i];
            printf("%-6lld %-7s %-6lld %-9lld %-8s\n", (long long)p->id,
                   p->device_id ? "device" : "class",
                   (long long)(p->device_id ? p->device_id : p->class_id),
                   (long long)p->component,
                   p->action == TK_STORE_POLICY_INSTALL ? "install"
                                                        : "absent");
        }
        page.after = list.next;
        tk_store_mem_free(&mem);
    } while (page.after != 0);
    return all != NULL ? print_json(a, all) : 0;
}

/* Finds the rule of the owner of --device or --class for --component.
 * Returns 0 with *id set, or an exit status. */
static int find_policy_rule(const struct args *a, tk_store *store,
                            int64_t *id)
{
    int64_t device = 0;
    int64_t class_id = 0;
    int status = policy_owner(a, store, false, &device, &class_id);
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_component c;
    if (status == 0)
        status = find_component(a, store, a->component, &mem, &c);
    tk_store_mem_free(&mem);
    if (status != 0)
        return status;
    *id = 0;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    do {
        tk_store_policies list;
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_policy_list(store, device, class_id, &page,
                                          &mem, &list, &detail);
        if (err != TK_OK) {
            tk_store_mem_free(&mem);
            return store_fail(a, err, &detail);
        }
        for (size_t i = 0; i < list.count && *id == 0; i++)
            if (list.items[i].component == c.id)
                *id = list.items[i].id;
        page.after = list.next;
        tk_store_mem_free(&mem);
    } while (page.after != 0 && *id == 0);
    if (*id == 0)
        return fail(a, "no policy rule for %s '%s' and component %lld; "
                       "`teepkit tam policy list` prints the rules",
                    a->device != NULL ? "device" : "class",
                    a->device != NULL ? a->device : a->class_name,
                    (long long)c.id);
    return 0;
}

/* Removes one rule, named by its number or by its owner and component. */
static int policy_remove(const struct args *a, tk_store *store)
{
    bool by_owner = a->device != NULL || a->class_name != NULL ||
                    a->component != NULL;
    if (a->positional_count > 1)
        return usage_error(a, "give one rule: policy remove RULE");
    if (a->positional_count == 1 && by_owner)
        return usage_error(a, "give either RULE or --device ID|--class NAME "
                              "with --component COMPONENT, not both");
    if (a->positional_count == 0 && !by_owner)
        return usage_error(a, "give the rule number that `policy list` "
                              "prints (policy remove RULE), or --device "
                              "ID|--class NAME with --component COMPONENT");
    if (by_owner && (a->device == NULL) == (a->class_name == NULL))
        return usage_error(a, "give either --device ID or --class NAME "
                              "with --component COMPONENT");
    if (by_owner && a->component == NULL)
        return usage_error(a, "--component COMPONENT is required with "
                              "--device or --class");
    int64_t id = 0;
    if (a->positional_count == 1) {
        const char *text = a->positional[0];
        if (is_number(text) && strlen(text) <= 18)
            id = strtoll(text, NULL, 10);
        if (id <= 0)
            return usage_error(a, "invalid rule number '%s': give a number "
                                  "that `teepkit tam policy list` prints",
                               text);
    } else {
        int status = find_policy_rule(a, store, &id);
        if (status != 0)
            return status;
    }
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_policy_delete(store, id, "cli", &detail);
    if (err == TK_ERR_STORE_NOT_FOUND)
        return fail(a, "no policy rule %lld; `teepkit tam policy list` "
                       "prints the rules (%s)",
                    (long long)id, tk_errname(err));
    if (err != TK_OK)
        return store_fail(a, err, &detail);
    if (a->json)
        return print_json(a, json_pack("{s:{s:I}}", "removed", "policy",
                                       (json_int_t)id));
    printf("policy rule %lld removed\n", (long long)id);
    return 0;
}

/* ---- reports and audit ------------------------------------------------- */

/* Describes the result code of a stored SUIT report: "-" for success,
 * else the code with its teepkit error name when it is one. */
static void report_error_text(int32_t result, char *out, size_t cap)
{
    const char *name = result > 0 && result < (int32_t)TK_ERR_MAX_
                           ? tk_errname((tk_err)result)
                           : "TK_ERR_UNKNOWN";
    if (result == 0)
        snprintf(out, cap, "-");
    else if (result == -1)
        snprintf(out, cap, "-1 (unreadable report or no result code)");
    else if (strcmp(name, "TK_ERR_UNKNOWN") != 0)
        snprintf(out, cap, "%d (%s)", (int)result, name);
    else
        snprintf(out, cap, "%d", (int)result);
}

static int cmd_reports(const struct args *a, tk_store *store)
{
    int64_t device = 0;
    if (a->device != NULL) {
        tk_store_mem mem = TK_STORE_MEM_INIT;
        tk_store_device d;
        int status = find_device(a, store, a->device, &mem, &d);
        device = d.id;
        tk_store_mem_free(&mem);
        if (status != 0)
            return status;
    }
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    json_t *all = a->json ? json_array() : NULL;
    if (a->json && all == NULL)
        return fail(a, "out of memory");
    if (!a->json)
        printf("%-6s %-6s %-7s %-4s %-6s %-7s %-20s %s\n", "NUMBER",
               "DEVICE", "SESSION", "ITEM", "RESULT", "BYTES", "TIME",
               "ERROR");
    do {
        tk_store_mem mem = TK_STORE_MEM_INIT;
        tk_store_reports list;
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_report_list(store, device, 0, &page, &mem,
                                          &list, &detail);
        if (err != TK_OK) {
            tk_store_mem_free(&mem);
            json_decref(all);
            return store_fail(a, err, &detail);
        }
        for (size_t i = 0; all != NULL && i < list.count; i++)
            json_array_append_new(all,
                                  tk_admin_json_report(&list.items[i], false));
        for (size_t i = 0; all == NULL && i < list.count; i++) {
            const tk_store_report *r = &list.items[i];
            char when[32];
            char error[96];
            report_error_text(r->result, error, sizeof(error));
            printf("%-6lld %-6lld %-7lld %-4u %-6s %-7zu %-20s %s\n",
                   (long long)r->id, (long long)r->device_id,
                   (long long)r->session_id, (unsigned)r->item,
                   r->result == 0 ? "ok" : "failed", r->report.len,
                   format_time(r->created, when, sizeof(when)), error);
        }
        page.after = list.next;
        tk_store_mem_free(&mem);
    } while (page.after != 0);
    return all != NULL ? print_json(a, all) : 0;
}

static int cmd_audit(const struct args *a, tk_store *store)
{
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    json_t *all = a->json ? json_array() : NULL;
    if (a->json && all == NULL)
        return fail(a, "out of memory");
    if (!a->json)
        printf("%-6s %-20s %-12s %-20s %-12s %s\n", "NUMBER", "TIME",
               "ACTOR", "ACTION", "OBJECT", "DETAIL");
    do {
        tk_store_mem mem = TK_STORE_MEM_INIT;
        tk_store_audits list;
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_audit_list(store, NULL, &page, &mem, &list,
                                         &detail);
        if (err != TK_OK) {
            tk_store_mem_free(&mem);
            json_decref(all);
            return store_fail(a, err, &detail);
        }
        for (size_t i = 0; all != NULL && i < list.count; i++)
            json_array_append_new(all, tk_admin_json_audit(&list.items[i]));
        for (size_t i = 0; all == NULL && i < list.count; i++) {
            const tk_store_audit *e = &list.items[i];
            char when[32];
            printf("%-6lld %-20s %-12s %-20s %-12s %s\n", (long long)e->id,
                   format_time(e->time, when, sizeof(when)), e->actor,
                   e->action, e->object,
                   e->detail != NULL && e->detail[0] != '\0' ? e->detail
                                                             : "-");
        }
        page.after = list.next;
        tk_store_mem_free(&mem);
    } while (page.after != 0);
    return all != NULL ? print_json(a, all) : 0;
}

/* ---- dispatch ---------------------------------------------------------- */

/* The commands that work on an open store. */
static int run_store_command(struct args *a, const char *group,
                             const char *verb, const tk_tam_config *cfg,
                             tk_store *store)
{
    bool dev = strcmp(group, "device") == 0;
    bool comp = strcmp(group, "component") == 0;
    bool pol = strcmp(group, "policy") == 0;
    if (dev && strcmp(verb, "add") == 0)
        return device_add(a, store);
    if (dev && strcmp(verb, "list") == 0)
        return device_list(a, store);
    if (dev && strcmp(verb, "show") == 0)
        return device_show(a, store);
    if (dev && strcmp(verb, "remove") == 0)
        return device_remove(a, store);
    if (comp && strcmp(verb, "add") == 0)
        return component_add(a, store, cfg);
    if (comp && strcmp(verb, "list") == 0)
        return component_list(a, store);
    if (comp && strcmp(verb, "remove") == 0)
        return component_remove(a, store);
    if (pol && strcmp(verb, "set") == 0)
        return policy_set(a, store);
    if (pol && (strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0))
        return policy_show(a, store);
    if (pol && strcmp(verb, "remove") == 0)
        return policy_remove(a, store);
    if (strcmp(group, "reports") == 0)
        return cmd_reports(a, store);
    if (strcmp(group, "audit") == 0)
        return cmd_audit(a, store);
    return usage_error(a, "unknown command; see teepkit tam --help");
}

/* Tells whether a command group takes a verb word. */
static bool has_verb(const char *group)
{
    return strcmp(group, "device") == 0 || strcmp(group, "component") == 0 ||
           strcmp(group, "policy") == 0;
}

int tk_cli_tam(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *group = argv[1];
    const char *verb = "";
    int first = 2;
    if (has_verb(group)) {
        if (argc < 3 || argv[2][0] == '-') {
            fprintf(stderr, "teepkit tam %s: give a command such as "
                            "'%s list'\n",
                    group, group);
            return 2;
        }
        verb = argv[2];
        first = 3;
    }
    char sub[64];
    snprintf(sub, sizeof(sub), "%s%s%s", group, verb[0] ? " " : "", verb);
    struct args a;
    memset(&a, 0, sizeof(a));
    a.sub = sub;
    int status = parse_args(&a, argc - first, argv + first);
    if (status != 0)
        return status == 1 ? 0 : status;
    if (strcmp(group, "init") == 0)
        return cmd_init(&a);
    if (strcmp(group, "serve") == 0)
        return cmd_serve(&a);

    tk_tam_config cfg;
    status = load_config(&a, &cfg);
    tk_store *store = NULL;
    if (status == 0)
        status = open_store(&a, &cfg, &store);
    if (status == 0)
        status = run_store_command(&a, group, verb, &cfg, store);
    tk_store_close(store);
    tk_tam_config_free(&cfg);
    return status;
}
