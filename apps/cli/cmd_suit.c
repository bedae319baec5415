/*
 * `teepkit suit`: builds, signs, verifies, shows and encrypts SUIT
 * manifests (draft-ietf-suit-manifest-37), and processes them on the
 * simulated device of apps/suitdev. docs/suit.md is the user guide.
 *
 * Exit status of every subcommand: 0 success, 1 the input was rejected or
 * the operation failed, 2 a usage error or an unreadable file.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "keyfile.h"
#include "suitdev.h"
#include "suitnames.h"
#include "suitshow.h"
#include "suitspec.h"
#include "teepkit/cose.h"
#include "teepkit/suit.h"
#include "teepkit/suit_build.h"
#include "util.h"

const char tk_cli_suit_summary[] =
    "build, sign, verify, show, encrypt and process SUIT manifests";

/* Largest envelope or payload read, in bytes. */
#define SUIT_MAX_INPUT (256u * 1024u * 1024u)

/* Keys one command line may name. */
#define MAX_KEYS TK_SUIT_BUILD_MAX_SIGNERS

/* Folders that `process` may fetch file: URIs from. */
#define MAX_FETCH_DIRS 8

/* SUIT records kept for the report of `process`. */
#define MAX_RECORDS 128

/* --component-version options of one command line. */
#define MAX_VERSION_OPTIONS TK_SUITDEV_MAX_VERSIONS

static const char usage_text[] =
    "usage: teepkit suit COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  create SPEC.json -o OUT [--key KEY [--alg ALG] [--kid KID]]...\n"
    "                [--omit-severed]\n"
    "      build an envelope from a JSON description (docs/suit.md); with\n"
    "      --key, sign it, else give it a digest and no signature\n"
    "  sign --key KEY [--alg ALG] [--kid KID]... IN -o OUT\n"
    "      add one signature per key to an envelope\n"
    "  verify --key PUB... IN\n"
    "      check the envelope's digest and signatures with trusted keys\n"
    "  show IN [--json] [--report]\n"
    "      print an envelope (or a SUIT report) with the names of its\n"
    "      members, commands and parameters\n"
    "  encrypt --recipient KEY --payload FILE -o OUT [--info INFO]\n"
    "          [--alg A128KW|ECDH-ES+A128KW] [--content A128GCM|A128CTR]\n"
    "          [--kid KID]\n"
    "      encrypt a payload into OUT and write its encryption info to\n"
    "      INFO (default OUT.info)\n"
    "  process --key PUB... --store DIR IN [--allow-rollback]\n"
    "          [--keep-tombstones]\n"
    "          [--fetch-dir DIR]... [--decrypt-key KEY]...\n"
    "          [--delegation-anchor PUB]...\n"
    "          [--vendor-id UUID] [--class-id UUID] [--device-id UUID]\n"
    "          [--slot N] [--operation OP] [--nonce HEX] [--json]\n"
    "          [--device-settings FILE] [--battery MWH]\n"
    "          [--authorize yes|no|PRIORITY] [--component-version NAME=V]...\n"
    "          [--report-out FILE]\n"
    "      process the envelope on the simulated device whose components\n"
    "      are the files of DIR, and print the SUIT report; --report-out\n"
    "      also writes the report's CBOR to FILE (read it with show --report);\n"
    "      --keep-tombstones keeps the sequence number of each deleted\n"
    "      component (or of the deleting manifest, when higher), so that an\n"
    "      older manifest cannot install it again;\n"
    "      a manifest signed under a suit-delegation chain needs the chain's\n"
    "      trust anchor as --delegation-anchor\n"
    "\n"
    "Signature algorithms (--alg of create and sign): ES256, ESP256, EdDSA,\n"
    "Ed25519; the default is ESP256 for a P-256 key, Ed25519 for an Ed25519\n"
    "key, or the alg of a COSE_Key. Keys are PEM files (P-256, Ed25519,\n"
    "X25519), COSE_Key files, or symmetric keys of 16, 24 or 32 bytes, raw\n"
    "or as hex text.\n"
    "\n"
    "process operations: update (default), boot, update-and-boot, stage,\n"
    "install, uninstall. file: URIs are fetched only from the folder of IN\n"
    "and the --fetch-dir folders; http URIs only from 127.0.0.1. The device\n"
    "settings file (docs/suit.md) gives the battery level, authorization,\n"
    "network state, clock, component versions and custom commands; the\n"
    "options after it override it.\n"
    "\n"
    "Exits 0 on success, 1 when the input is rejected or the operation\n"
    "fails, 2 on a usage error or an unreadable file.\n";

/* One key given on the command line, with its algorithm and kid. */
struct key_arg {
    const char *path;
    tk_alg alg;        /* TK_ALG_NONE: chosen from the key type */
    const char *kid;
    tk_key key;
    tk_keyfile_info info; /* key.kid points into it */
    bool loaded;
};

/* Largest key file read. */
#define KEY_FILE_MAX 65536

/* Every option of every subcommand; each subcommand checks which it
 * takes. */
struct options {
    const char *command;
    const char *input;
    const char *output;
    const char *info;
    const char *payload;
    const char *store;
    const char *recipient;
    const char *content;
    const char *key_alg;
    const char *operation;
    const char *nonce;
    const char *vendor_id;
    const char *class_id;
    const char *device_id;
    const char *slot;
    const char *kid;
    const char *device_settings;
    const char *battery;
    const char *authorize;
    const char *report_out;
    const char *versions[MAX_VERSION_OPTIONS];
    size_t version_count;
    struct key_arg keys[MAX_KEYS];
    size_t key_count;
    struct key_arg decrypt_keys[MAX_KEYS];
    size_t decrypt_key_count;
    struct key_arg anchor_keys[MAX_KEYS];
    size_t anchor_key_count;
    const char *fetch_dirs[MAX_FETCH_DIRS];
    size_t fetch_dir_count;
    bool json;
    bool report;
    bool omit_severed;
    bool allow_rollback;
    bool keep_tombstones;
    bool help;
};

static int usage_error(const struct options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const struct options *o, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "teepkit suit %s: ", o->command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nRun `teepkit suit --help` for the options.\n");
    return 2;
}

static void print_failure(const struct options *o, tk_err err,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints "teepkit suit CMD: MESSAGE: description (NAME)". */
static void print_failure(const struct options *o, tk_err err,
                          const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "teepkit suit %s: ", o->command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err != TK_OK)
        fprintf(stderr, ": %s (%s)", tk_strerror(err), tk_errname(err));
    fputc('\n', stderr);
}

/* Parses an algorithm name of --alg. Returns TK_ALG_NONE when unknown. */
static tk_alg signature_alg(const char *name)
{
    static const struct {
        const char *name;
        tk_alg alg;
    } names[] = {
        {"ES256", TK_ALG_ES256},   {"ESP256", TK_ALG_ESP256},
        {"EdDSA", TK_ALG_EDDSA},   {"Ed25519", TK_ALG_ED25519},
        {"-7", TK_ALG_ES256},      {"-9", TK_ALG_ESP256},
        {"-8", TK_ALG_EDDSA},      {"-19", TK_ALG_ED25519},
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].alg;
    }
    return TK_ALG_NONE;
}

/* Returns the value of option argv[*i] ("--opt VALUE" or "--opt=VALUE"),
 * or NULL when it is missing. */
static const char *option_value(int argc, char **argv, int *i,
                                const char *name)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], name) != 0)
        return NULL;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static bool is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);

    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Options that take a value, and where each value goes. */
static const char **string_option(struct options *o, const char *arg)
{
    static const char *const names[] = {
        "-o", "--output", "--info", "--payload", "--store", "--recipient",
        "--content", "--operation", "--nonce", "--vendor-id", "--class-id",
        "--device-id", "--slot", "--device-settings", "--battery",
        "--authorize", "--report-out",
    };
    const char **slots[] = {
        &o->output, &o->output, &o->info, &o->payload, &o->store,
        &o->recipient, &o->content, &o->operation, &o->nonce, &o->vendor_id,
        &o->class_id, &o->device_id, &o->slot, &o->device_settings,
        &o->battery, &o->authorize, &o->report_out,
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (is_option(arg, names[i]))
            return slots[i];
    }
    return NULL;
}

/* Handles --key, --decrypt-key, --delegation-anchor, --alg, --kid and
 * --fetch-dir. Returns 1 when arg was one of them, 0 when not, 2 after a
 * usage error. */
static int list_option(struct options *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *value;
    struct key_arg *last = o->key_count > 0 ? &o->keys[o->key_count - 1]
                                            : NULL;

    struct key_list {
        const char *name;
        struct key_arg *keys;
        size_t *count;
    } lists[] = {
        {"--key", o->keys, &o->key_count},
        {"--decrypt-key", o->decrypt_keys, &o->decrypt_key_count},
        {"--delegation-anchor", o->anchor_keys, &o->anchor_key_count},
    };
    for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        const struct key_list *l = &lists[k];

        if (!is_option(arg, l->name))
            continue;
        value = option_value(argc, argv, i, l->name);
        if (value == NULL)
            return usage_error(o, "%s is missing its key file", arg);
        if (l->keys == o->anchor_keys && strcmp(o->command, "process") != 0)
            return usage_error(o, "--delegation-anchor applies to process "
                               "only");
        if (*l->count == MAX_KEYS)
            return usage_error(o, "more than %d keys", MAX_KEYS);
        memset(&l->keys[*l->count], 0, sizeof(l->keys[0]));
        l->keys[(*l->count)++].path = value;
        return 1;
    }
    if (is_option(arg, "--alg")) {
        value = option_value(argc, argv, i, "--alg");
        if (value == NULL)
            return usage_error(o, "--alg is missing its algorithm name");
        if (strcmp(o->command, "encrypt") == 0) {
            o->key_alg = value;
            return 1;
        }
        if (last == NULL)
            return usage_error(o, "--alg applies to the --key before it");
        last->alg = signature_alg(value);
        if (last->alg == TK_ALG_NONE)
            return usage_error(o, "unknown signature algorithm '%s'; use "
                               "ES256, ESP256, EdDSA or Ed25519", value);
        return 1;
    }
    if (is_option(arg, "--kid")) {
        value = option_value(argc, argv, i, "--kid");
        if (value == NULL)
            return usage_error(o, "--kid is missing its key id");
        if (strcmp(o->command, "encrypt") == 0)
            o->kid = value;
        else if (last == NULL)
            return usage_error(o, "--kid applies to the --key before it");
        else
            last->kid = value;
        return 1;
    }
    if (is_option(arg, "--component-version")) {
        value = option_value(argc, argv, i, "--component-version");
        if (value == NULL)
            return usage_error(o, "--component-version is missing its "
                               "NAME=VERSION");
        if (o->version_count == MAX_VERSION_OPTIONS)
            return usage_error(o, "more than %d --component-version options",
                               MAX_VERSION_OPTIONS);
        o->versions[o->version_count++] = value;
        return 1;
    }
    if (is_option(arg, "--fetch-dir")) {
        value = option_value(argc, argv, i, "--fetch-dir");
        if (value == NULL)
            return usage_error(o, "--fetch-dir is missing its folder");
        if (o->fetch_dir_count == MAX_FETCH_DIRS)
            return usage_error(o, "more than %d --fetch-dir folders",
                               MAX_FETCH_DIRS);
        o->fetch_dirs[o->fetch_dir_count++] = value;
        return 1;
    }
    return 0;
}

/* Parses argv (argv[0] is the subcommand name). Returns 0 or 2. */
static int parse_options(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->command = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = string_option(o, arg);
        int listed;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            o->help = true;
            continue;
        }
        if (slot != NULL) {
            const char *name = arg[1] == 'o' && arg[2] == '\0' ? "-o" : arg;
            char *eq = strchr(arg, '=');
            char buf[32];

            if (eq != NULL && (size_t)(eq - arg) < sizeof(buf)) {
                memcpy(buf, arg, (size_t)(eq - arg));
                buf[eq - arg] = '\0';
                name = buf;
            }
            *slot = option_value(argc, argv, &i, name);
            if (*slot == NULL)
                return usage_error(o, "%s is missing its value", arg);
            continue;
        }
        listed = list_option(o, argc, argv, &i);
        if (listed == 2)
            return 2;
        if (listed == 1)
            continue;
        if (strcmp(arg, "--json") == 0)
            o->json = true;
        else if (strcmp(arg, "--report") == 0)
            o->report = true;
        else if (strcmp(arg, "--omit-severed") == 0)
            o->omit_severed = true;
        else if (strcmp(arg, "--allow-rollback") == 0)
            o->allow_rollback = true;
        else if (strcmp(arg, "--keep-tombstones") == 0)
            o->keep_tombstones = true;
        else if (arg[0] == '-' && arg[1] != '\0')
            return usage_error(o, "unknown option '%s'", arg);
        else if (o->input != NULL)
            return usage_error(o, "more than one input file ('%s')", arg);
        else
            o->input = arg;
    }
    return 0;
}

/* Returns the signature algorithm `create` and `sign` give a key by
 * default: ESP256 for P-256, Ed25519 for Ed25519, or the alg of a
 * COSE_Key when it is one of the four that the builder signs with. */
static tk_alg default_signature_alg(const struct key_arg *k)
{
    switch (k->info.alg) {
    case TK_ALG_ES256:
    case TK_ALG_ESP256:
    case TK_ALG_EDDSA:
    case TK_ALG_ED25519:
        return k->info.alg;
    default:
        break;
    }
    if (k->key.kty == TK_KTY_EC2 && k->key.crv == TK_CRV_P256)
        return TK_ALG_ESP256;
    if (k->key.kty == TK_KTY_OKP && k->key.crv == TK_CRV_ED25519)
        return TK_ALG_ED25519;
    return TK_ALG_NONE;
}

/* Reads a symmetric key of 16, 24 or 32 bytes given as raw bytes or as
 * hex text into key. Returns false for any other content. */
static bool symmetric_key_read(const uint8_t *data, size_t len, tk_key *key)
{
    uint8_t raw[32];
    long n = -1;
    bool ok;

    if (len == 16 || len == 24 || len == 32) {
        memcpy(raw, data, len);
        n = (long)len;
    }
    if (n < 0 || len >= 32) {
        long hex = tk_util_hex_decode((const char *)data, len, raw,
                                      sizeof(raw));

        if (hex == 16 || hex == 24 || hex == 32)
            n = hex;
    }
    ok = (n == 16 || n == 24 || n == 32) &&
         tk_key_init_symmetric(key, (tk_view){raw, (size_t)n}) == TK_OK;
    tk_crypto_wipe(raw, sizeof(raw));
    return ok;
}

/*
 * Reads one key file: PEM or COSE_Key (apps/common/keyfile.h), or else a
 * symmetric key of 16, 24 or 32 bytes, raw or as hex text. Returns TK_OK
 * or an error with a sentence in msg.
 */
static tk_err key_file_load(const tk_crypto *crypto, struct key_arg *k,
                            char *msg, size_t msg_size)
{
    uint8_t *data;
    size_t len;
    tk_err err;

    if (tk_util_read_file(k->path, KEY_FILE_MAX, &data, &len) != 0) {
        snprintf(msg, msg_size, "cannot read key file %s: %s", k->path,
                 strerror(errno));
        return TK_ERR_NOT_FOUND;
    }
    err = tk_keyfile_load_mem(crypto, k->path, data, len, &k->key, &k->info,
                              msg, msg_size);
    if (err != TK_OK && k->info.format == 0 &&
        symmetric_key_read(data, len, &k->key)) {
        err = TK_OK;
    } else if (err != TK_OK && strstr(msg, "not a PEM key") != NULL) {
        size_t used = strlen(msg);

        snprintf(msg + used, msg_size - used, "; nor a symmetric key of 16, "
                 "24 or 32 bytes, raw or as hex text");
    }
    tk_crypto_wipe(data, len);
    free(data);
    return err;
}

/* Loads the key files of list with crypto. Returns 0, 2 for a file that
 * cannot be read, or 1 for a file that holds no valid key. */
static int load_keys(const struct options *o, const tk_crypto *crypto,
                     struct key_arg *list, size_t count)
{
    char msg[512];

    for (size_t i = 0; i < count; i++) {
        tk_err err = key_file_load(crypto, &list[i], msg, sizeof(msg));

        if (err != TK_OK) {
            fprintf(stderr, "teepkit suit %s: %s\n", o->command, msg);
            return err == TK_ERR_NOT_FOUND ? 2 : 1;
        }
        list[i].loaded = true;
        if (list[i].alg == TK_ALG_NONE)
            list[i].alg = default_signature_alg(&list[i]);
    }
    return 0;
}

static void release_keys(struct key_arg *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (list[i].loaded)
            tk_key_release(&list[i].key);
    }
}

/* Fills signers from the --key options. Returns 0, or 1 for a key that
 * cannot sign. */
static int make_signers(const struct options *o, tk_suit_build_signer *out)
{
    for (size_t i = 0; i < o->key_count; i++) {
        const struct key_arg *k = &o->keys[i];

        if (k->alg == TK_ALG_NONE) {
            fprintf(stderr, "teepkit suit %s: %s is not a signing key; use "
                    "a P-256 or Ed25519 private key\n", o->command, k->path);
            return 1;
        }
        out[i].alg = k->alg;
        out[i].key = &k->key;
        /* Without --kid, a COSE_Key's own kid names the signer. */
        out[i].kid = k->kid != NULL
                         ? (tk_view){(const uint8_t *)k->kid, strlen(k->kid)}
                         : (tk_view){k->info.kid, k->info.kid_len};
    }
    return 0;
}

/* Reads the input file. Returns 0 or 2. */
static int read_input(const struct options *o, const char *path,
                      uint8_t **data, size_t *len)
{
    if (tk_util_read_file(path, SUIT_MAX_INPUT, data, len) != 0) {
        fprintf(stderr, "teepkit suit %s: cannot read %s: %s\n", o->command,
                strcmp(path, "-") == 0 ? "standard input" : path,
                strerror(errno));
        return 2;
    }
    return 0;
}

static int write_output(const struct options *o, const char *path,
                        const uint8_t *data, size_t len)
{
    if (tk_util_write_file(path, data, len, 0644) != 0) {
        fprintf(stderr, "teepkit suit %s: cannot write %s: %s\n", o->command,
                path, strerror(errno));
        return 2;
    }
    return 0;
}

/* Names a manifest member or the shared sequence for messages, which add
 * the word "sequence" after it ("install sequence", "shared sequence"). */
static const char *member_name(int64_t member)
{
    const char *name;

    if (member == TK_SUIT_BUILD_COMMON_SHARED_SEQUENCE || member == 3)
        return "shared";
    name = tk_suitnames_name(TK_SUITNAMES_MANIFEST, member);
    return name != NULL ? name : "manifest";
}

/* ---------------------------------------------------------------------- */
/* create and sign                                                        */
/* ---------------------------------------------------------------------- */

static int suit_create(struct options *o, const tk_crypto *crypto)
{
    tk_suit_build_signer signers[MAX_KEYS];
    tk_suit_build_envelope env;
    tk_suit_build_where where = {0, 0, 0};
    tk_suitspec *spec = NULL;
    char msg[1024];
    uint8_t *out = NULL;
    size_t len = 0;
    tk_err err;
    int status;

    if (o->input == NULL || o->output == NULL)
        return usage_error(o, "missing argument: give SPEC.json and -o OUT");
    status = load_keys(o, crypto, o->keys, o->key_count);
    if (status == 0)
        status = make_signers(o, signers);
    if (status != 0)
        return status;
    err = tk_suitspec_load(o->input, crypto, &spec, msg, sizeof(msg));
    if (err != TK_OK) {
        fprintf(stderr, "teepkit suit create: %s: %s\n", o->input, msg);
        return err == TK_ERR_NOT_FOUND ? 2 : 1;
    }
    env = *tk_suitspec_envelope(spec);
    env.omit_severed = env.omit_severed || o->omit_severed;
    err = tk_suit_build_encode_envelope(&env, crypto, signers, o->key_count,
                                        NULL, 0, &len, &where);
    if (err == TK_ERR_BUFFER_TOO_SMALL) {
        out = malloc(len);
        err = out == NULL ? TK_ERR_INTERNAL
                          : tk_suit_build_encode_envelope(
                                &env, crypto, signers, o->key_count, out, len,
                                &len, &where);
    }
    if (err != TK_OK) {
        if (where.member != 0)
            print_failure(o, err, "%s: %s sequence, command %zu, label %lld",
                          o->input, member_name(where.member), where.command,
                          (long long)where.label);
        else
            print_failure(o, err, "%s", o->input);
        status = 1;
    } else {
        status = write_output(o, o->output, out, len);
    }
    free(out);
    tk_suitspec_free(spec);
    return status;
}

static int suit_sign(struct options *o, const tk_crypto *crypto)
{
    tk_suit_build_signer signers[MAX_KEYS];
    uint8_t *in = NULL, *out = NULL;
    size_t in_len, out_len, cap, err_off = 0;
    tk_err err;
    int status;

    if (o->input == NULL || o->output == NULL || o->key_count == 0)
        return usage_error(o, "missing argument: give --key KEY, IN and "
                           "-o OUT");
    status = load_keys(o, crypto, o->keys, o->key_count);
    if (status == 0)
        status = make_signers(o, signers);
    if (status == 0)
        status = read_input(o, o->input, &in, &in_len);
    if (status != 0)
        return status;
    /* Each COSE_Sign1 block adds well under 256 bytes plus its kid. */
    cap = in_len + 64;
    for (size_t i = 0; i < o->key_count; i++)
        cap += 256 + signers[i].kid.len;
    out = malloc(cap);
    err = out == NULL ? TK_ERR_INTERNAL
                      : tk_suit_build_sign(crypto, (tk_view){in, in_len},
                                           signers, o->key_count, out, cap,
                                           &out_len, &err_off);
    if (err == TK_ERR_SUIT_BUILD_BAD_ENVELOPE)
        print_failure(o, err, "%s at byte offset %zu", o->input, err_off);
    else if (err != TK_OK)
        print_failure(o, err, "%s", o->input);
    else
        status = write_output(o, o->output, out, out_len);
    free(in);
    free(out);
    return err != TK_OK ? 1 : status;
}

/* ---------------------------------------------------------------------- */
/* verify                                                                 */
/* ---------------------------------------------------------------------- */

/* Trusted keys of verify and process. */
struct trust {
    const tk_key *keys[MAX_KEYS];
    size_t count;
};

static tk_err trust_find_key(void *ctx, const tk_suit_key_request *req,
                             const tk_key **key)
{
    const struct trust *t = ctx;
    bool ec = req->alg == TK_ALG_ES256 || req->alg == TK_ALG_ESP256;
    bool ed = req->alg == TK_ALG_EDDSA || req->alg == TK_ALG_ED25519;

    if (req->use != TK_SUIT_KEY_MANIFEST)
        return TK_ERR_NOT_FOUND;
    for (size_t i = 0; i < t->count; i++) {
        const tk_key *k = t->keys[i];

        if ((ec && k->kty == TK_KTY_EC2 && k->crv == TK_CRV_P256) ||
            (ed && k->kty == TK_KTY_OKP && k->crv == TK_CRV_ED25519)) {
            *key = k;
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

/* The host clock, for the validity of delegation CWTs. */
static tk_err host_now(void *ctx, uint64_t *seconds)
{
    time_t now = time(NULL);

    (void)ctx;
    if (now < 0)
        return TK_ERR_INTERNAL;
    *seconds = (uint64_t)now;
    return TK_OK;
}

static void print_hex_line(FILE *out, tk_view bytes)
{
    for (size_t i = 0; i < bytes.len; i++)
        fprintf(out, "%02x", bytes.ptr[i]);
    fputc('\n', out);
}

static int suit_verify(struct options *o, const tk_crypto *crypto)
{
    struct trust trust = {{NULL}, 0};
    tk_suit_envelope env;
    tk_suit_manifest manifest;
    tk_suit_error where;
    uint8_t *in = NULL;
    size_t in_len;
    tk_err err;
    int status;

    if (o->input == NULL || o->key_count == 0)
        return usage_error(o, "missing argument: give --key PUB and IN");
    status = load_keys(o, crypto, o->keys, o->key_count);
    if (status == 0)
        status = read_input(o, o->input, &in, &in_len);
    if (status != 0)
        return status;
    for (size_t i = 0; i < o->key_count; i++)
        trust.keys[trust.count++] = &o->keys[i].key;
    memset(&where, 0, sizeof(where));
    err = tk_suit_envelope_decode((tk_view){in, in_len}, &env, &where);
    if (err == TK_OK)
        err = tk_suit_envelope_verify_clock(&env, crypto, trust_find_key,
                                            &trust, 0, (tk_view){NULL, 0},
                                            host_now, NULL, &where);
    if (err == TK_OK)
        err = tk_suit_manifest_decode(&env, crypto, 0, &manifest, &where);
    if (err != TK_OK) {
        print_failure(o, err, "%s rejected at byte offset %zu", o->input,
                      where.offset);
        free(in);
        return 1;
    }
    printf("verified: %s\n", o->input);
    printf("manifest-sequence-number: %llu\n",
           (unsigned long long)manifest.sequence_number);
    printf("manifest-digest: %s ",
           tk_suitnames_name(TK_SUITNAMES_COSE_ALG, env.digest.alg) != NULL
               ? tk_suitnames_name(TK_SUITNAMES_COSE_ALG, env.digest.alg)
               : "unknown");
    print_hex_line(stdout, env.digest.bytes);
    printf("authentication-blocks: %zu\n", env.auth_block_count);
    printf("components: %zu\n", manifest.component_count);
    free(in);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* show                                                                   */
/* ---------------------------------------------------------------------- */

static int suit_show(struct options *o)
{
    uint8_t *in = NULL;
    size_t in_len, err_off = 0;
    tk_suitshow_kind kind =
        o->report ? TK_SUITSHOW_REPORT : TK_SUITSHOW_ENVELOPE;
    tk_err err;
    int status;

    if (o->input == NULL)
        return usage_error(o, "missing argument: give the envelope file IN");
    status = read_input(o, o->input, &in, &in_len);
    if (status != 0)
        return status;
    err = o->json ? tk_suitshow_json(stdout, (tk_view){in, in_len}, kind,
                                     &err_off)
                  : tk_suitshow_diag(stdout, (tk_view){in, in_len}, kind,
                                     &err_off);
    if (err != TK_OK)
        print_failure(o, err, "%s is not well-formed at byte offset %zu",
                      o->input, err_off);
    free(in);
    return err == TK_OK ? 0 : 1;
}

/* ---------------------------------------------------------------------- */
/* encrypt                                                                */
/* ---------------------------------------------------------------------- */

/* Picks the algorithms of encrypt from the options and the key type.
 * Returns 0 or 2. */
static int encryption_algs(const struct options *o, const tk_key *key,
                           tk_suit_build_encryption *params)
{
    const char *content = o->content != NULL ? o->content : "A128GCM";

    if (strcasecmp(content, "A128GCM") == 0)
        params->content_alg = TK_ALG_A128GCM;
    else if (strcasecmp(content, "A128CTR") == 0)
        params->content_alg = TK_ALG_A128CTR;
    else
        return usage_error(o, "unknown content encryption '%s'; use A128GCM "
                           "or A128CTR", content);
    if (o->key_alg == NULL)
        params->key_alg = key->kty == TK_KTY_SYMMETRIC
                              ? TK_ALG_A128KW
                              : TK_COSE_ALG_ECDH_ES_A128KW;
    else if (strcasecmp(o->key_alg, "A128KW") == 0)
        params->key_alg = TK_ALG_A128KW;
    else if (strcasecmp(o->key_alg, "ECDH-ES+A128KW") == 0)
        params->key_alg = TK_COSE_ALG_ECDH_ES_A128KW;
    else
        return usage_error(o, "unknown key distribution '%s'; use A128KW or "
                           "ECDH-ES+A128KW", o->key_alg);
    return 0;
}

/* Encrypts the payload of o with params; writes the ciphertext and the
 * encryption info. Returns the exit status. */
static int encrypt_payload(struct options *o, const tk_crypto *crypto,
                           const tk_suit_build_encryption *params)
{
    tk_suit_build_encryptor enc;
    uint8_t info[1024], tag[TK_CRYPTO_AEAD_TAG_SIZE];
    uint8_t *plain = NULL, *cipher = NULL;
    size_t plain_len, info_len, tag_len = 0;
    char *info_path = NULL;
    tk_err err;
    int status = read_input(o, o->payload, &plain, &plain_len);

    if (status != 0)
        return status;
    cipher = malloc(plain_len + sizeof(tag) + 1);
    err = cipher == NULL ? TK_ERR_INTERNAL
                         : tk_suit_build_encrypt_start(&enc, crypto, params,
                                                       info, sizeof(info),
                                                       &info_len);
    if (err == TK_OK)
        err = tk_suit_build_encrypt_update(&enc, plain, plain_len, cipher);
    if (err == TK_OK)
        err = tk_suit_build_encrypt_finish(&enc, tag, sizeof(tag), &tag_len);
    if (err != TK_OK) {
        print_failure(o, err, "encrypting %s failed", o->payload);
        status = 1;
    } else {
        memcpy(cipher + plain_len, tag, tag_len);
        if (o->info == NULL) {
            info_path = malloc(strlen(o->output) + 6);
            if (info_path != NULL)
                sprintf(info_path, "%s.info", o->output);
        }
        status = write_output(o, o->output, cipher, plain_len + tag_len);
        if (status == 0)
            status = write_output(o, o->info != NULL ? o->info : info_path,
                                  info, info_len);
    }
    free(info_path);
    free(plain);
    free(cipher);
    return status;
}

static int suit_encrypt(struct options *o, const tk_crypto *crypto)
{
    struct key_arg recipient;
    tk_suit_build_encryption params;
    int status;

    if (o->recipient == NULL || o->payload == NULL || o->output == NULL)
        return usage_error(o, "missing argument: give --recipient KEY, "
                           "--payload FILE and -o OUT");
    memset(&recipient, 0, sizeof(recipient));
    recipient.path = o->recipient;
    status = load_keys(o, crypto, &recipient, 1);
    if (status != 0)
        return status;
    memset(&params, 0, sizeof(params));
    status = encryption_algs(o, &recipient.key, &params);
    params.recipient = &recipient.key;
    if (o->kid != NULL)
        params.kid = (tk_view){(const uint8_t *)o->kid, strlen(o->kid)};
    else if (recipient.info.kid_len > 0)
        params.kid = (tk_view){recipient.info.kid, recipient.info.kid_len};
    if (status == 0)
        status = encrypt_payload(o, crypto, &params);
    release_keys(&recipient, 1);
    return status;
}

/* ---------------------------------------------------------------------- */
/* process                                                                */
/* ---------------------------------------------------------------------- */

/* Reads a UUID option ("xxxxxxxx-xxxx-..." or 32 hex digits). */
static int parse_uuid(const struct options *o, const char *name,
                      const char *text, uint8_t out[16])
{
    char hex[33];
    size_t n = 0;

    for (const char *p = text; *p != '\0' && n < 33; p++) {
        if (*p != '-')
            hex[n++] = *p;
    }
    if (n != 32 || tk_util_hex_decode(hex, 32, out, 16) != 16)
        return usage_error(o, "%s '%s' is not a UUID", name, text);
    return 0;
}

static tk_suit_operation parse_operation(const char *name)
{
    static const struct {
        const char *name;
        tk_suit_operation op;
    } ops[] = {
        {"update", TK_SUIT_OP_UPDATE},
        {"boot", TK_SUIT_OP_BOOT},
        {"update-and-boot", TK_SUIT_OP_UPDATE_AND_BOOT},
        {"stage", TK_SUIT_OP_STAGE},
        {"install", TK_SUIT_OP_INSTALL},
        {"uninstall", TK_SUIT_OP_UNINSTALL},
    };

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(name, ops[i].name) == 0)
            return ops[i].op;
    }
    return (tk_suit_operation)0;
}

/* Prints an invocation of the simulated device. */
static void print_invoke(void *arg, const tk_suitdev_id *id, tk_view args)
{
    char name[TK_SUITDEV_NAME_SIZE];

    (void)arg;
    if (tk_suitdev_component_name(id, name) != TK_OK)
        strcpy(name, "?");
    fprintf(stderr, "teepkit suit process: invoked component %s", name);
    if (args.len > 0)
        fprintf(stderr, " with %zu bytes of arguments", args.len);
    fputc('\n', stderr);
}

/* Prints a custom command that the simulated device ran. */
static void print_custom(void *arg, int64_t label, const tk_suitdev_id *id,
                         tk_view argument, bool result)
{
    char name[TK_SUITDEV_NAME_SIZE];

    (void)arg;
    (void)argument;
    if (tk_suitdev_component_name(id, name) != TK_OK)
        strcpy(name, "?");
    fprintf(stderr, "teepkit suit process: custom command %lld on component "
            "%s: %s\n", (long long)label, name, result ? "true" : "false");
}

/* Identity and policy of the device from the options. */
struct device_options {
    uint8_t vendor[16], class_id[16], device[16];
    tk_suitdev_policy policy;
    tk_suitdev_state state;
    const tk_key *trusted[MAX_KEYS];
    const tk_key *decrypt[MAX_KEYS];
    const tk_key *anchors[MAX_KEYS];
    uint8_t nonce[64];
    size_t nonce_len;
    tk_suit_operation op;
};

/* Reads the device settings file, then --battery, --authorize and
 * --component-version over it. Returns 0 or 2. */
static int device_state_options(struct options *o, struct device_options *d)
{
    char msg[512];
    char *end;

    d->policy.state = &d->state;
    if (o->device_settings != NULL &&
        tk_suitdev_state_load(o->device_settings, &d->state, msg,
                              sizeof(msg)) != TK_OK) {
        fprintf(stderr, "teepkit suit %s: %s\n", o->command, msg);
        return 2;
    }
    if (o->battery != NULL) {
        errno = 0;
        d->state.battery_mwh = strtoull(o->battery, &end, 10);
        if (errno != 0 || *end != '\0' || end == o->battery ||
            o->battery[0] == '-')
            return usage_error(o, "--battery '%s' is not a number of mWh",
                               o->battery);
        d->state.has_battery = true;
    }
    if (o->authorize != NULL) {
        if (strcmp(o->authorize, "yes") == 0) {
            d->state.authorization = TK_SUITDEV_AUTHORIZE_ALL;
        } else if (strcmp(o->authorize, "no") == 0) {
            d->state.authorization = TK_SUITDEV_AUTHORIZE_NONE;
        } else {
            errno = 0;
            d->state.max_priority = strtoll(o->authorize, &end, 10);
            if (errno != 0 || *end != '\0' || end == o->authorize)
                return usage_error(o, "--authorize '%s' is not yes, no or "
                                   "a priority", o->authorize);
            d->state.authorization = TK_SUITDEV_AUTHORIZE_PRIORITY;
        }
    }
    for (size_t i = 0; i < o->version_count; i++) {
        if (tk_suitdev_state_set_version(&d->state, o->versions[i], msg,
                                         sizeof(msg)) != TK_OK)
            return usage_error(o, "--component-version: %s", msg);
    }
    return 0;
}

static int device_options(struct options *o, struct device_options *d)
{
    memset(d, 0, sizeof(*d));
    d->op = parse_operation(o->operation != NULL ? o->operation : "update");
    if (d->op == 0)
        return usage_error(o, "unknown --operation '%s'", o->operation);
    if (o->vendor_id != NULL) {
        if (parse_uuid(o, "--vendor-id", o->vendor_id, d->vendor) != 0)
            return 2;
        d->policy.vendor_id = d->vendor;
    }
    if (o->class_id != NULL) {
        if (parse_uuid(o, "--class-id", o->class_id, d->class_id) != 0)
            return 2;
        d->policy.class_id = d->class_id;
    }
    if (o->device_id != NULL) {
        if (parse_uuid(o, "--device-id", o->device_id, d->device) != 0)
            return 2;
        d->policy.device_id = d->device;
    }
    if (o->slot != NULL) {
        char *end;

        errno = 0;
        d->policy.slot = strtoull(o->slot, &end, 10);
        if (errno != 0 || *end != '\0' || end == o->slot)
            return usage_error(o, "--slot '%s' is not a number", o->slot);
        d->policy.has_slot = true;
    }
    if (o->nonce != NULL) {
        long n = tk_util_hex_decode(o->nonce, strlen(o->nonce), d->nonce,
                                    sizeof(d->nonce));

        if (n < 0)
            return usage_error(o, "--nonce needs at most 64 bytes of hex");
        d->nonce_len = (size_t)n;
    }
    for (size_t i = 0; i < o->key_count; i++)
        d->trusted[i] = &o->keys[i].key;
    for (size_t i = 0; i < o->decrypt_key_count; i++)
        d->decrypt[i] = &o->decrypt_keys[i].key;
    d->policy.manifest_keys = d->trusted;
    d->policy.manifest_key_count = o->key_count;
    d->policy.decryption_keys = d->decrypt;
    d->policy.decryption_key_count = o->decrypt_key_count;
    for (size_t i = 0; i < o->anchor_key_count; i++)
        d->anchors[i] = &o->anchor_keys[i].key;
    d->policy.delegation_keys = d->anchors;
    d->policy.delegation_key_count = o->anchor_key_count;
    d->policy.on_invoke = print_invoke;
    d->policy.on_custom = print_custom;
    return device_state_options(o, d);
}

/* Describes where a procedure failed, on standard error. */
static void print_process_failure(const struct options *o,
                                  const tk_suit_error *e,
                                  const tk_suitdev *device)
{
    const char *command = tk_suitnames_name(TK_SUITNAMES_COMMAND, e->command);
    const char *detail = tk_suitdev_last_error(device);

    print_failure(o, e->code, "%s rejected", o->input);
    if (e->section != 0) {
        fprintf(stderr, "  at: %s sequence, command %s (%lld) at offset %zu "
                "of the sequence",
                member_name(e->section), command != NULL ? command : "?",
                (long long)e->command, e->section_offset);
        if (e->component != TK_SUIT_NO_COMPONENT)
            fprintf(stderr, ", component index %u", e->component);
        fputc('\n', stderr);
    }
    fprintf(stderr, "  byte offset: %zu%s\n", e->offset,
            e->manifest_depth > 0 ? " of the dependency envelope" : "");
    if (detail[0] != '\0')
        fprintf(stderr, "  device: %s\n", detail);
}

/* Prints the SUIT report of the last run and, with --report-out, writes
 * its CBOR to that file. Returns 0, 1 when no report could be made (the
 * manifest was never authenticated), or 2 when the file cannot be
 * written. */
static int print_report(const struct options *o, tk_suit_processor *proc,
                        const struct device_options *d)
{
    size_t len = 0;
    uint8_t *report;
    tk_view nonce = {d->nonce, d->nonce_len};
    tk_err err = tk_suit_report_encode(proc, nonce, false, NULL, 0, &len);

    if (err != TK_ERR_BUFFER_TOO_SMALL && err != TK_OK)
        return 1;
    report = malloc(len + 1);
    if (report == NULL)
        return 1;
    err = tk_suit_report_encode(proc, nonce, false, report, len, &len);
    if (err == TK_OK && o->report_out != NULL &&
        write_output(o, o->report_out, report, len) != 0) {
        free(report);
        return 2;
    }
    if (err == TK_OK)
        err = o->json ? tk_suitshow_json(stdout, (tk_view){report, len},
                                         TK_SUITSHOW_REPORT, NULL)
                      : tk_suitshow_diag(stdout, (tk_view){report, len},
                                         TK_SUITSHOW_REPORT, NULL);
    free(report);
    return err == TK_OK ? 0 : 1;
}

/* Opens the device of o (store and fetch folders). Returns 0 or 2. */
static int open_device(struct options *o, tk_suitdev **device)
{
    const char *dirs[MAX_FETCH_DIRS + 1];
    char *copy = strdup(o->input);
    tk_suitdev_config config;
    tk_err err;

    if (copy == NULL)
        return 2;
    /* The folder of the envelope is allowed, then the --fetch-dir ones. */
    dirs[0] = dirname(copy);
    for (size_t i = 0; i < o->fetch_dir_count; i++)
        dirs[i + 1] = o->fetch_dirs[i];
    memset(&config, 0, sizeof(config));
    config.store_dir = o->store;
    config.fetch_dirs = dirs;
    config.fetch_dir_count = o->fetch_dir_count + 1;
    config.allow_http = 1;
    config.keep_tombstones = o->keep_tombstones;
    err = tk_suitdev_open(&config, device);
    free(copy);
    struct stat st;
    if (err != TK_OK && stat(o->store, &st) != 0) {
        print_failure(o, TK_OK, "cannot open the store %s: %s; create the "
                      "folder first", o->store, strerror(errno));
        return 2;
    }
    if (err != TK_OK) {
        print_failure(o, err, "cannot open the store %s or a fetch folder",
                      o->store);
        return 2;
    }
    return 0;
}

/* Runs the processor over the envelope in. Returns the exit status. */
static int run_process(struct options *o, const tk_crypto *crypto,
                       tk_suitdev *device, struct device_options *d,
                       tk_view in)
{
    tk_suitdev_session *session = NULL;
    tk_suit_processor *proc = calloc(1, sizeof(*proc));
    tk_suit_record *records = calloc(MAX_RECORDS, sizeof(*records));
    tk_suit_config cfg;
    tk_err err = proc != NULL && records != NULL
                     ? tk_suitdev_session_open(device, &d->policy, &session)
                     : TK_ERR_INTERNAL;
    int status = 1;

    if (err == TK_OK) {
        memset(&cfg, 0, sizeof(cfg));
        cfg.crypto = crypto;
        cfg.platform = tk_suitdev_session_platform(session);
        cfg.flags = o->allow_rollback ? TK_SUIT_FLAG_ALLOW_ROLLBACK : 0;
        cfg.records = records;
        cfg.record_cap = MAX_RECORDS;
        err = tk_suit_processor_init(proc, &cfg);
    }
    if (err == TK_OK) {
        err = tk_suit_process(proc, in, d->op);
        int report_status = print_report(o, proc, d);
        if (err != TK_OK)
            print_process_failure(o, tk_suit_processor_error(proc), device);
        else if (report_status == 1)
            print_failure(o, TK_ERR_INTERNAL, "cannot encode the SUIT report");
        status = err != TK_OK ? 1 : report_status;
    } else {
        print_failure(o, err, "cannot start the processor");
    }
    tk_suitdev_session_close(session);
    free(records);
    free(proc);
    return status;
}

static int suit_process(struct options *o, const tk_crypto *crypto)
{
    struct device_options d;
    tk_suitdev *device = NULL;
    uint8_t *in = NULL;
    size_t in_len;
    int status;

    if (o->input == NULL || o->store == NULL ||
        o->key_count + o->anchor_key_count == 0)
        return usage_error(o, "missing argument: give --key PUB (or "
                           "--delegation-anchor PUB), --store DIR and IN");
    status = load_keys(o, crypto, o->keys, o->key_count);
    if (status == 0)
        status = load_keys(o, crypto, o->decrypt_keys, o->decrypt_key_count);
    if (status == 0)
        status = load_keys(o, crypto, o->anchor_keys, o->anchor_key_count);
    if (status == 0)
        status = device_options(o, &d);
    if (status == 0)
        status = read_input(o, o->input, &in, &in_len);
    if (status == 0)
        status = open_device(o, &device);
    if (status == 0)
        status = run_process(o, crypto, device, &d, (tk_view){in, in_len});
    tk_suitdev_close(device);
    free(in);
    return status;
}

/* ---------------------------------------------------------------------- */
/* Dispatch                                                               */
/* ---------------------------------------------------------------------- */

int tk_cli_suit(int argc, char **argv)
{
    static const char *const commands[] = {
        "create", "sign", "verify", "show", "encrypt", "process",
    };
    const tk_crypto *crypto = tk_crypto_openssl();
    struct options o;
    int status;
    size_t i = 0;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    while (i < 6 && strcmp(argv[1], commands[i]) != 0)
        i++;
    if (i == 6) {
        fprintf(stderr, "teepkit suit: unknown command '%s'\nRun `teepkit "
                        "suit --help` for the commands.\n", argv[1]);
        return 2;
    }
    status = parse_options(argc - 1, argv + 1, &o);
    if (status != 0)
        return status;
    if (o.help) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (crypto == NULL) {
        fprintf(stderr, "teepkit suit: the OpenSSL crypto backend failed to "
                        "start\n");
        return 2;
    }
    switch (i) {
    case 0:
        status = suit_create(&o, crypto);
        break;
    case 1:
        status = suit_sign(&o, crypto);
        break;
    case 2:
        status = suit_verify(&o, crypto);
        break;
    case 3:
        status = suit_show(&o);
        break;
    case 4:
        status = suit_encrypt(&o, crypto);
        break;
    default:
        status = suit_process(&o, crypto);
        break;
    }
    release_keys(o.keys, o.key_count);
    release_keys(o.decrypt_keys, o.decrypt_key_count);
    release_keys(o.anchor_keys, o.anchor_key_count);
    return status;
}
