/*
 * `teepkit key`: key files. `key generate` makes a signing key pair,
 * `key public` writes the public part of a key, `key thumbprint` prints
 * the RFC 9679 COSE_Key thumbprint (the kid TEEP puts in an EAT cnf).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"
#include "teepkit/cose.h"
#include "util.h"

const char tk_cli_key_summary[] =
    "generate keys, write public keys, print thumbprints (key)";

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: teepkit key generate --alg ALG -o KEY [--cose KEY.cose]"
            " [--kid TEXT]\n"
            "       teepkit key public KEY -o PUB [--cose PUB.cose]\n"
            "       teepkit key thumbprint KEY\n"
            "\n"
            "generate   writes a new private key. ALG is ES256 or ESP256 "
            "(P-256\n"
            "           signing), EdDSA or Ed25519 (Ed25519 signing) or "
            "ECDH-ES\n"
            "           (P-256 key agreement, ECDH-ES + HKDF-256) for a PEM "
            "file\n"
            "           (PKCS#8) at KEY, or A128GCM, A256GCM, A128KW, A256KW,\n"
            "           HS256 for a symmetric key, which only a COSE_Key file\n"
            "           can hold (KEY is then a COSE_Key).\n"
            "           --cose also writes the key as a COSE_Key with its alg\n"
            "           and --kid. Private key files get mode 0600.\n"
            "public     writes the public part of KEY (PEM or COSE_Key) as\n"
            "           PEM (SubjectPublicKeyInfo), and as a COSE_Key with "
            "--cose.\n"
            "thumbprint prints the RFC 9679 thumbprint (SHA-256) of KEY in "
            "hex.\n"
            "\n"
            "Exits 0 on success, 1 on an invalid key, 2 on a usage or file "
            "error.\n");
}

/* Algorithms of `key generate`, with the key each needs. */
static const struct {
    const char *name;
    tk_alg alg;
    int32_t crv;        /* curve of a key pair, TK_CRV_NONE if symmetric */
    size_t sym_len;     /* length of a symmetric key */
} gen_algs[] = {
    {"ES256", TK_ALG_ES256, TK_CRV_P256, 0},
    {"ESP256", TK_ALG_ESP256, TK_CRV_P256, 0},
    {"EdDSA", TK_ALG_EDDSA, TK_CRV_ED25519, 0},
    {"Ed25519", TK_ALG_ED25519, TK_CRV_ED25519, 0},
    {"ECDH-ES", TK_COSE_ALG_ECDH_ES_HKDF_256, TK_CRV_P256, 0},
    {"A128GCM", TK_ALG_A128GCM, TK_CRV_NONE, 16},
    {"A256GCM", TK_ALG_A256GCM, TK_CRV_NONE, 32},
    {"A128KW", TK_ALG_A128KW, TK_CRV_NONE, 16},
    {"A256KW", TK_ALG_A256KW, TK_CRV_NONE, 32},
    {"HS256", TK_ALG_HMAC_256_256, TK_CRV_NONE, 32},
};

/* Options shared by the subcommands. */
struct key_options {
    const char *input;
    const char *out;
    const char *cose_out;
    const char *alg;
    const char *kid;
};

/* Parses the arguments of a subcommand. Returns 0, 1 after --help, or 2
 * after reporting a usage error. */
static int parse(const char *cmd, int argc, char **argv,
                 struct key_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char **target = NULL;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(stdout);
            return 1;
        }
        if (strcmp(arg, "-o") == 0) {
            target = &opt->out;
        } else if (strcmp(arg, "--cose") == 0) {
            target = &opt->cose_out;
        } else if (strcmp(arg, "--alg") == 0) {
            target = &opt->alg;
        } else if (strcmp(arg, "--kid") == 0) {
            target = &opt->kid;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "teepkit key %s: unknown option '%s'\n", cmd,
                    arg);
            return 2;
        } else if (opt->input == NULL) {
            opt->input = arg;
            continue;
        } else {
            fprintf(stderr, "teepkit key %s: unexpected argument '%s'\n",
                    cmd, arg);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "teepkit key %s: option %s needs a value\n", cmd,
                    arg);
            return 2;
        }
        *target = argv[++i];
    }
    return 0;
}

/* Returns the crypto backend, or NULL after reporting its failure. */
static const tk_crypto *backend(const char *cmd)
{
    const tk_crypto *c = tk_crypto_openssl();

    if (c == NULL) {
        fprintf(stderr, "teepkit key %s: the OpenSSL backend failed to "
                        "start\n", cmd);
    }
    return c;
}

/* Maps a key-file error to an exit status: 2 for file problems. */
static int key_status(tk_err err)
{
    return err == TK_ERR_NOT_FOUND || err == TK_ERR_CALLBACK ? 2 : 1;
}

static int key_generate(int argc, char **argv)
{
    struct key_options opt;
    const tk_crypto *c;
    char msg[256];
    tk_key key;
    size_t i;
    tk_err err;
    int status = parse("generate", argc, argv, &opt);

    if (status != 0) {
        return status == 1 ? 0 : status;
    }
    if (opt.alg == NULL || opt.out == NULL || opt.input != NULL) {
        fprintf(stderr, "teepkit key generate: --alg and -o are required, "
                        "and no input file is taken\n");
        return 2;
    }
    for (i = 0; i < sizeof(gen_algs) / sizeof(gen_algs[0]); i++) {
        if (strcmp(gen_algs[i].name, opt.alg) == 0) {
            break;
        }
    }
    if (i == sizeof(gen_algs) / sizeof(gen_algs[0])) {
        fprintf(stderr, "teepkit key generate: unknown --alg '%s'; use "
                        "ES256, ESP256, EdDSA, Ed25519, ECDH-ES, A128GCM, "
                        "A256GCM, A128KW, A256KW or HS256\n", opt.alg);
        return 2;
    }
    c = backend("generate");
    if (c == NULL) {
        return 1;
    }
    tk_key_init(&key);
    if (gen_algs[i].crv != TK_CRV_NONE) {
        err = c->key_generate(c->ctx, gen_algs[i].crv, &key);
    } else {
        uint8_t k[32];

        err = c->random(c->ctx, k, gen_algs[i].sym_len);
        if (err == TK_OK) {
            err = tk_key_init_symmetric(&key,
                                        (tk_view){k, gen_algs[i].sym_len});
        }
        tk_crypto_wipe(k, sizeof(k));
    }
    if (err != TK_OK) {
        fprintf(stderr, "teepkit key generate: key generation failed: %s\n",
                tk_strerror(err));
        return 1;
    }
    if (opt.kid != NULL) {
        key.kid = (tk_view){(const uint8_t *)opt.kid, strlen(opt.kid)};
    }
    msg[0] = '\0';
    if (gen_algs[i].crv == TK_CRV_NONE) {
        err = tk_keyfile_save_cose(opt.out, &key, gen_algs[i].alg, true, msg,
                                   sizeof(msg));
    } else {
        err = tk_keyfile_save_pem(opt.out, &key, true, msg, sizeof(msg));
    }
    if (err == TK_OK && opt.cose_out != NULL) {
        err = tk_keyfile_save_cose(opt.cose_out, &key, gen_algs[i].alg, true,
                                   msg, sizeof(msg));
    }
    tk_key_release(&key);
    if (err != TK_OK) {
        fprintf(stderr, "teepkit key generate: %s\n", msg);
        return key_status(err);
    }
    return 0;
}

/* Loads opt->input, reporting errors. Returns 0 or an exit status. */
static int load(const char *cmd, const tk_crypto *c, const char *path,
                tk_key *key, tk_keyfile_info *info)
{
    char msg[256];
    tk_err err;

    if (path == NULL) {
        fprintf(stderr, "teepkit key %s: a key file is required\n", cmd);
        return 2;
    }
    msg[0] = '\0';
    err = tk_keyfile_load(c, path, key, info, msg, sizeof(msg));
    if (err != TK_OK) {
        fprintf(stderr, "teepkit key %s: %s\n", cmd, msg);
        return key_status(err);
    }
    return 0;
}

static int key_public(int argc, char **argv)
{
    struct key_options opt;
    const tk_crypto *c;
    tk_keyfile_info info;
    char msg[256];
    tk_key key;
    tk_err err = TK_OK;
    int status = parse("public", argc, argv, &opt);

    if (status != 0) {
        return status == 1 ? 0 : status;
    }
    if (opt.out == NULL && opt.cose_out == NULL) {
        fprintf(stderr, "teepkit key public: -o or --cose is required\n");
        return 2;
    }
    c = backend("public");
    if (c == NULL) {
        return 1;
    }
    status = load("public", c, opt.input, &key, &info);
    if (status != 0) {
        return status;
    }
    if (key.kty == TK_KTY_SYMMETRIC) {
        fprintf(stderr, "teepkit key public: %s: a symmetric key has no "
                        "public part\n", opt.input);
        tk_key_release(&key);
        return 1;
    }
    msg[0] = '\0';
    if (opt.out != NULL) {
        err = tk_keyfile_save_pem(opt.out, &key, false, msg, sizeof(msg));
    }
    if (err == TK_OK && opt.cose_out != NULL) {
        err = tk_keyfile_save_cose(opt.cose_out, &key, info.alg, false, msg,
                                   sizeof(msg));
    }
    tk_key_release(&key);
    if (err != TK_OK) {
        fprintf(stderr, "teepkit key public: %s\n", msg);
        return key_status(err);
    }
    return 0;
}

static int key_thumbprint(int argc, char **argv)
{
    struct key_options opt;
    const tk_crypto *c;
    tk_keyfile_info info;
    uint8_t digest[TK_COSE_THUMBPRINT_SIZE];
    char hex[2 * TK_COSE_THUMBPRINT_SIZE + 1];
    tk_key key;
    tk_err err;
    int status = parse("thumbprint", argc, argv, &opt);

    if (status != 0) {
        return status == 1 ? 0 : status;
    }
    c = backend("thumbprint");
    if (c == NULL) {
        return 1;
    }
    status = load("thumbprint", c, opt.input, &key, &info);
    if (status != 0) {
        return status;
    }
    err = tk_cose_key_thumbprint(c, &key, digest);
    tk_key_release(&key);
    if (err != TK_OK) {
        fprintf(stderr, "teepkit key thumbprint: %s: %s\n", opt.input,
                tk_strerror(err));
        return 1;
    }
    tk_util_hex_encode(digest, sizeof(digest), hex);
    printf("%s\n", hex);
    return 0;
}

int tk_cli_key(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "generate") == 0) {
        return key_generate(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "public") == 0) {
        return key_public(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "thumbprint") == 0) {
        return key_thumbprint(argc - 2, argv + 2);
    }
    fprintf(stderr, "teepkit key: unknown subcommand '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
