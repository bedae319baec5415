/*
 * `teepkit cose`: COSE_Sign1 and COSE_Encrypt0 for scripting and
 * debugging. `sign1` and `encrypt0` build a structure from a payload file,
 * `verify1` and `decrypt0` check one and write its payload. Errors name
 * the failing rule by its teepkit error code.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"
#include "teepkit/cose.h"
#include "util.h"

const char tk_cli_cose_summary[] =
    "sign, verify, encrypt and decrypt COSE messages (cose)";

/* Largest payload or message read, in bytes. */
#define COSE_MAX_INPUT (64u * 1024u * 1024u)

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: teepkit cose sign1 --key KEY --payload FILE -o OUT\n"
            "                          [--alg ALG] [--kid TEXT] [--detached]"
            " [--aad FILE]\n"
            "       teepkit cose verify1 --key KEY IN [--payload FILE] "
            "[--aad FILE]\n"
            "                          [-o PAYLOAD_OUT] [--untagged]\n"
            "       teepkit cose encrypt0 --key KEY --payload FILE -o OUT\n"
            "                          [--alg ALG] [--kid TEXT] [--aad FILE]\n"
            "                          [--detached --ciphertext CT_OUT]\n"
            "       teepkit cose decrypt0 --key KEY IN -o PLAIN_OUT "
            "[--aad FILE]\n"
            "                          [--ciphertext CT_FILE] [--untagged]\n"
            "\n"
            "KEY is a PEM or COSE_Key file; encryption needs a symmetric\n"
            "COSE_Key (`teepkit key generate --alg A128GCM -o KEY`).\n"
            "  --alg ALG        ES256, ESP256, ES384, EdDSA, Ed25519; A128GCM,\n"
            "                   A192GCM, A256GCM, ChaCha20/Poly1305, A128CTR,\n"
            "                   A256CTR; or a COSE algorithm number. Default: "
            "the\n"
            "                   COSE_Key's alg, else what the key type fits\n"
            "  --kid TEXT       kid header (default: the COSE_Key's kid)\n"
            "  --payload FILE   content to protect; for verify1 the detached\n"
            "                   payload of a message whose payload is nil\n"
            "  --detached       leave the payload (or ciphertext) out of the\n"
            "                   message\n"
            "  --aad FILE       external additional authenticated data\n"
            "  --ciphertext F   detached ciphertext written by encrypt0 or "
            "read by\n"
            "                   decrypt0\n"
            "  --untagged       accept a message without its CBOR tag\n"
            "  -o FILE          output file (\"-\" is standard output)\n"
            "\n"
            "Exits 0 on success, 1 when a message or key is rejected (the "
            "rule\n"
            "and teepkit error code go to standard error), 2 on a usage or "
            "file\n"
            "error.\n");
}

/* Options of every subcommand. */
struct cose_options {
    const char *cmd;
    const char *input;
    const char *key;
    const char *alg;
    const char *kid;
    const char *payload;
    const char *aad;
    const char *ciphertext;
    const char *out;
    bool detached;
    bool untagged;
};

/* Parses the arguments of a subcommand. Returns 0, 1 after --help, or 2
 * after reporting a usage error. */
static int parse(const char *cmd, int argc, char **argv,
                 struct cose_options *opt)
{
    static const struct {
        const char *name;
        size_t offset;
    } valued[] = {
        {"--key", offsetof(struct cose_options, key)},
        {"--alg", offsetof(struct cose_options, alg)},
        {"--kid", offsetof(struct cose_options, kid)},
        {"--payload", offsetof(struct cose_options, payload)},
        {"--aad", offsetof(struct cose_options, aad)},
        {"--ciphertext", offsetof(struct cose_options, ciphertext)},
        {"-o", offsetof(struct cose_options, out)},
    };

    memset(opt, 0, sizeof(*opt));
    opt->cmd = cmd;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool matched = false;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(stdout);
            return 1;
        }
        if (strcmp(arg, "--detached") == 0) {
            opt->detached = true;
            continue;
        }
        if (strcmp(arg, "--untagged") == 0) {
            opt->untagged = true;
            continue;
        }
        for (size_t j = 0; j < sizeof(valued) / sizeof(valued[0]); j++) {
            if (strcmp(arg, valued[j].name) == 0) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "teepkit cose %s: option %s needs a "
                                    "value\n", cmd, arg);
                    return 2;
                }
                *(const char **)((char *)opt + valued[j].offset) = argv[++i];
                matched = true;
            }
        }
        if (matched) {
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "teepkit cose %s: unknown option '%s'\n", cmd,
                    arg);
            return 2;
        }
        if (opt->input != NULL) {
            fprintf(stderr, "teepkit cose %s: unexpected argument '%s'\n",
                    cmd, arg);
            return 2;
        }
        opt->input = arg;
    }
    if (opt->key == NULL) {
        fprintf(stderr, "teepkit cose %s: --key is required\n", cmd);
        return 2;
    }
    return 0;
}

/* Algorithm names of --alg. */
static const struct {
    const char *name;
    tk_alg alg;
} alg_names[] = {
    {"ES256", TK_ALG_ES256},       {"ESP256", TK_ALG_ESP256},
    {"ES384", TK_ALG_ES384},       {"ESP384", TK_ALG_ESP384},
    {"EdDSA", TK_ALG_EDDSA},       {"Ed25519", TK_ALG_ED25519},
    {"A128GCM", TK_ALG_A128GCM},   {"A192GCM", TK_ALG_A192GCM},
    {"A256GCM", TK_ALG_A256GCM},   {"ChaCha20/Poly1305",
                                    TK_ALG_CHACHA20_POLY1305},
    {"A128CTR", TK_ALG_A128CTR},   {"A192CTR", TK_ALG_A192CTR},
    {"A256CTR", TK_ALG_A256CTR},
};

/* Parses --alg: a name or a number. Returns TK_ALG_NONE when unknown. */
static tk_alg parse_alg(const char *text)
{
    char *end = NULL;
    long n;

    for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++) {
        if (strcmp(alg_names[i].name, text) == 0) {
            return alg_names[i].alg;
        }
    }
    errno = 0;
    n = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || n == 0 ||
        n < INT32_MIN || n > INT32_MAX) {
        return TK_ALG_NONE;
    }
    return (tk_alg)n;
}

/* Reads a whole file, reporting failures. Returns 0 or 2. */
static int read_input(const struct cose_options *opt, const char *what,
                      const char *path, uint8_t **data, size_t *len)
{
    if (tk_util_read_file(path, COSE_MAX_INPUT, data, len) != 0) {
        fprintf(stderr, "teepkit cose %s: cannot read %s %s: %s\n", opt->cmd,
                what, path, strerror(errno));
        return 2;
    }
    return 0;
}

/* Writes a whole file, reporting failures. Returns 0 or 2. */
static int write_output(const struct cose_options *opt, const char *path,
                        const uint8_t *data, size_t len)
{
    if (tk_util_write_file(path, data, len, 0644) != 0) {
        fprintf(stderr, "teepkit cose %s: cannot write %s: %s\n", opt->cmd,
                path, strerror(errno));
        return 2;
    }
    return 0;
}

/* Tells whether err comes from decoding, where the error offset of the
 * decoded structure points at the offending item. */
static bool is_decode_error(tk_err err)
{
    switch (err) {
    case TK_ERR_COSE_SIGNATURE_INVALID:
    case TK_ERR_COSE_MAC_INVALID:
    case TK_ERR_COSE_DECRYPT_FAILED:
    case TK_ERR_COSE_KEY_NOT_FOUND:
    case TK_ERR_COSE_KEY_MISMATCH:
    case TK_ERR_COSE_NO_RECIPIENT:
    case TK_ERR_COSE_SCRATCH_TOO_SMALL:
        return false;
    default:
        return (err >= 20 && err < 60) || (err >= 80 && err < 120);
    }
}

/* Reports a COSE error with its code, rule and byte offset. Returns 1. */
static int report(const struct cose_options *opt, const char *what,
                  tk_err err, size_t offset, bool has_offset)
{
    if (has_offset) {
        fprintf(stderr, "teepkit cose %s: %s: %s: %s (at byte %zu)\n",
                opt->cmd, what, tk_errname(err), tk_strerror(err), offset);
    } else {
        fprintf(stderr, "teepkit cose %s: %s: %s: %s\n", opt->cmd, what,
                tk_errname(err), tk_strerror(err));
    }
    return 1;
}

/* Loaded inputs of one run, freed by release_inputs. */
struct inputs {
    tk_key key;
    tk_keyfile_info info;
    uint8_t *payload;
    size_t payload_len;
    uint8_t *aad;
    size_t aad_len;
    uint8_t *msg;
    size_t msg_len;
    uint8_t *ciphertext;
    size_t ciphertext_len;
};

static void release_inputs(struct inputs *in)
{
    tk_key_release(&in->key);
    free(in->payload);
    free(in->aad);
    free(in->msg);
    free(in->ciphertext);
}

/* Loads the key and the files the options name. Returns 0 or a status. */
static int load_inputs(const struct cose_options *opt, const tk_crypto *c,
                       struct inputs *in)
{
    char msg[256];
    tk_err err;
    int status = 0;

    memset(in, 0, sizeof(*in));
    tk_key_init(&in->key);
    msg[0] = '\0';
    err = tk_keyfile_load(c, opt->key, &in->key, &in->info, msg,
                          sizeof(msg));
    if (err != TK_OK) {
        fprintf(stderr, "teepkit cose %s: %s\n", opt->cmd, msg);
        return err == TK_ERR_NOT_FOUND ? 2 : 1;
    }
    if (opt->payload != NULL) {
        status = read_input(opt, "payload", opt->payload, &in->payload,
                            &in->payload_len);
    }
    if (status == 0 && opt->aad != NULL) {
        status = read_input(opt, "AAD", opt->aad, &in->aad, &in->aad_len);
    }
    if (status == 0 && opt->input != NULL) {
        status = read_input(opt, "message", opt->input, &in->msg,
                            &in->msg_len);
    }
    return status;
}

/* Chooses the algorithm: --alg, the COSE_Key's alg, or a default. */
static tk_alg choose_alg(const struct cose_options *opt,
                         const struct inputs *in, tk_alg fallback)
{
    if (opt->alg != NULL) {
        return parse_alg(opt->alg);
    }
    if (in->info.alg != TK_ALG_NONE) {
        return in->info.alg;
    }
    return fallback;
}

/* Fills the kid of a build: --kid, else the COSE_Key's kid. */
static tk_view choose_kid(const struct cose_options *opt,
                          const struct inputs *in)
{
    if (opt->kid != NULL) {
        return (tk_view){(const uint8_t *)opt->kid, strlen(opt->kid)};
    }
    return (tk_view){in->info.kid, in->info.kid_len};
}

static int cose_sign1(const struct cose_options *opt, const tk_crypto *c)
{
    struct inputs in;
    tk_cose_build b;
    uint8_t *out = NULL;
    size_t out_len = 0;
    tk_err err;
    int status;

    if (opt->payload == NULL || opt->out == NULL) {
        fprintf(stderr, "teepkit cose sign1: --payload and -o are "
                        "required\n");
        return 2;
    }
    status = load_inputs(opt, c, &in);
    memset(&b, 0, sizeof(b));
    b.alg = choose_alg(opt, &in, tk_keyfile_signature_alg(&in.key));
    if (status == 0 && !in.key.has_private) {
        fprintf(stderr, "teepkit cose sign1: %s: a public key cannot sign; "
                        "give the private key\n", opt->key);
        status = 1;
    }
    if (status == 0 && b.alg == TK_ALG_NONE) {
        fprintf(stderr, "teepkit cose sign1: no signature algorithm: pass "
                        "--alg\n");
        status = 2;
    }
    if (status == 0) {
        b.key = &in.key;
        b.kid = choose_kid(opt, &in);
        b.external_aad = (tk_view){in.aad, in.aad_len};
        b.flags = opt->detached ? TK_COSE_BUILD_DETACHED : 0;
        /* EdDSA signs the whole to-be-signed structure in one piece. */
        b.scratch_len = TK_COSE_TBS_SIZE(16, 0, in.aad_len, in.payload_len);
        b.scratch = malloc(b.scratch_len);
        out = malloc(in.payload_len + 512);
        if (b.scratch == NULL || out == NULL) {
            fprintf(stderr, "teepkit cose sign1: out of memory\n");
            status = 2;
        }
    }
    if (status == 0) {
        err = tk_cose_sign1_sign(c, &b, (tk_view){in.payload, in.payload_len},
                                 out, in.payload_len + 512, &out_len);
        status = err == TK_OK ? write_output(opt, opt->out, out, out_len)
                              : report(opt, "signing failed", err, 0, false);
    }
    free(b.scratch);
    free(out);
    release_inputs(&in);
    return status;
}

static int cose_verify1(const struct cose_options *opt, const tk_crypto *c)
{
    struct inputs in;
    tk_cose_opts o;
    tk_cose_sign1 s;
    tk_view detached;
    char kid[2 * TK_KEYFILE_MAX_KID + 1];
    tk_err err;
    int status;

    if (opt->input == NULL) {
        fprintf(stderr, "teepkit cose verify1: the message file is "
                        "required\n");
        return 2;
    }
    status = load_inputs(opt, c, &in);
    if (status != 0) {
        release_inputs(&in);
        return status;
    }
    memset(&o, 0, sizeof(o));
    o.key = &in.key;
    o.flags = opt->untagged ? TK_COSE_OPT_UNTAGGED_OK : 0;
    o.external_aad = (tk_view){in.aad, in.aad_len};
    if (opt->payload != NULL) {
        detached = (tk_view){in.payload, in.payload_len};
        o.detached = &detached;
    }
    o.scratch_len = TK_COSE_TBS_SIZE(in.msg_len, 0, in.aad_len,
                                     in.msg_len + in.payload_len);
    o.scratch = malloc(o.scratch_len);
    if (o.scratch == NULL) {
        fprintf(stderr, "teepkit cose verify1: out of memory\n");
        release_inputs(&in);
        return 2;
    }
    err = tk_cose_sign1_verify(c, (tk_view){in.msg, in.msg_len}, &o, &s);
    if (err != TK_OK) {
        status = report(opt, opt->input, err, s.error_offset,
                        is_decode_error(err));
    } else {
        size_t n = s.hdr.kid.len < TK_KEYFILE_MAX_KID ? s.hdr.kid.len
                                                       : TK_KEYFILE_MAX_KID;

        tk_util_hex_encode(s.hdr.kid.ptr, n, kid);
        fprintf(stderr, "teepkit cose verify1: %s: signature valid (alg %d, "
                        "kid %s, %s payload of %zu bytes)\n",
                opt->input, (int)s.hdr.alg, n > 0 ? kid : "none",
                s.detached ? "detached" : "attached", s.payload.len);
        if (opt->out != NULL) {
            status = write_output(opt, opt->out, s.payload.ptr,
                                  s.payload.len);
        }
    }
    free(o.scratch);
    release_inputs(&in);
    return status;
}

/* Picks a content algorithm that fits a symmetric key's length. */
static tk_alg aead_for_key(const tk_key *key)
{
    switch (key->k_len) {
    case 16:
        return TK_ALG_A128GCM;
    case 24:
        return TK_ALG_A192GCM;
    case 32:
        return TK_ALG_A256GCM;
    default:
        return TK_ALG_NONE;
    }
}

/* Encrypts the payload for a detached ciphertext: the structure from
 * tk_cose_encrypt_prepare, the ciphertext from the backend's cipher. */
static tk_err encrypt_detached(const tk_crypto *c, const tk_cose_build *b,
                               const struct inputs *in, uint8_t *out,
                               size_t out_cap, size_t *out_len, uint8_t *ct,
                               size_t *ct_len)
{
    uint8_t aad[TK_COSE_STACK_STRUCTURE_SIZE];
    tk_cose_content_key ck;
    uint8_t *aad_buf = aad;
    size_t aad_cap = sizeof(aad);
    tk_crypto_cipher_state st;
    tk_err err;

    if (in->aad_len + 64 > aad_cap) {
        aad_cap = in->aad_len + 64;
        aad_buf = malloc(aad_cap);
        if (aad_buf == NULL) {
            return TK_ERR_BUFFER_TOO_SMALL;
        }
    }
    err = tk_cose_encrypt_prepare(c, b, out, out_cap, out_len, aad_buf,
                                  aad_cap, &ck);
    if (err == TK_OK) {
        tk_view iv = {ck.iv, ck.iv_len};
        bool ctr = ck.aad.len == 0 && ck.iv_len == TK_CRYPTO_CTR_IV_SIZE;

        memset(&st, 0, sizeof(st));
        if (ctr) {
            err = c->cipher_start(c->ctx, &st, ck.alg, &ck.cek, iv,
                                  (tk_view){NULL, 0}, TK_CRYPTO_ENCRYPT);
            if (err == TK_OK && in->payload_len > 0) {
                err = c->cipher_update(c->ctx, &st, in->payload,
                                       in->payload_len, ct);
            }
            if (err == TK_OK) {
                err = c->cipher_finish(c->ctx, &st, (tk_view){NULL, 0}, NULL,
                                       0);
            }
            *ct_len = in->payload_len;
        } else {
            err = c->aead_encrypt(c->ctx, ck.alg, &ck.cek, iv, ck.aad,
                                  (tk_view){in->payload, in->payload_len}, ct,
                                  in->payload_len + TK_CRYPTO_AEAD_TAG_SIZE,
                                  ct_len);
        }
        tk_key_release(&ck.cek);
    }
    if (aad_buf != aad) {
        free(aad_buf);
    }
    return err;
}

static int cose_encrypt0(const struct cose_options *opt, const tk_crypto *c)
{
    struct inputs in;
    tk_cose_build b;
    uint8_t *out = NULL;
    uint8_t *ct = NULL;
    size_t out_len = 0;
    size_t ct_len = 0;
    tk_err err;
    int status;

    if (opt->payload == NULL || opt->out == NULL ||
        opt->detached != (opt->ciphertext != NULL)) {
        fprintf(stderr, "teepkit cose encrypt0: --payload and -o are "
                        "required, and --detached goes with "
                        "--ciphertext\n");
        return 2;
    }
    status = load_inputs(opt, c, &in);
    if (status == 0 && in.key.kty != TK_KTY_SYMMETRIC) {
        fprintf(stderr, "teepkit cose encrypt0: %s: encryption needs a "
                        "symmetric COSE_Key\n", opt->key);
        status = 1;
    }
    memset(&b, 0, sizeof(b));
    b.alg = choose_alg(opt, &in, aead_for_key(&in.key));
    b.key = &in.key;
    b.kid = choose_kid(opt, &in);
    b.external_aad = (tk_view){in.aad, in.aad_len};
    b.scratch_len = TK_COSE_ENC_STRUCTURE_SIZE(16, in.aad_len);
    b.scratch = malloc(b.scratch_len);
    out = malloc(in.payload_len + 512);
    ct = malloc(in.payload_len + TK_CRYPTO_AEAD_TAG_SIZE + 1);
    if (status == 0 && (out == NULL || ct == NULL || b.scratch == NULL)) {
        fprintf(stderr, "teepkit cose encrypt0: out of memory\n");
        status = 2;
    }
    if (status == 0) {
        if (opt->detached) {
            err = encrypt_detached(c, &b, &in, out, in.payload_len + 512,
                                   &out_len, ct, &ct_len);
        } else {
            err = tk_cose_encrypt0_encrypt(
                c, &b, (tk_view){in.payload, in.payload_len}, out,
                in.payload_len + 512, &out_len);
        }
        status = err == TK_OK ? write_output(opt, opt->out, out, out_len)
                              : report(opt, "encryption failed", err, 0,
                                       false);
        if (status == 0 && opt->detached) {
            status = write_output(opt, opt->ciphertext, ct, ct_len);
        }
    }
    free(out);
    free(ct);
    free(b.scratch);
    release_inputs(&in);
    return status;
}

static int cose_decrypt0(const struct cose_options *opt, const tk_crypto *c)
{
    struct inputs in;
    tk_cose_opts o;
    tk_cose_encrypt0 e;
    tk_view detached;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    tk_err err;
    int status;

    if (opt->input == NULL || opt->out == NULL) {
        fprintf(stderr, "teepkit cose decrypt0: the message file and -o are "
                        "required\n");
        return 2;
    }
    status = load_inputs(opt, c, &in);
    if (status == 0 && opt->ciphertext != NULL) {
        status = read_input(opt, "ciphertext", opt->ciphertext,
                            &in.ciphertext, &in.ciphertext_len);
    }
    if (status != 0) {
        release_inputs(&in);
        return status;
    }
    memset(&o, 0, sizeof(o));
    o.key = &in.key;
    o.flags = opt->untagged ? TK_COSE_OPT_UNTAGGED_OK : 0;
    o.external_aad = (tk_view){in.aad, in.aad_len};
    if (opt->ciphertext != NULL) {
        detached = (tk_view){in.ciphertext, in.ciphertext_len};
        o.detached = &detached;
    }
    o.scratch_len = TK_COSE_ENC_STRUCTURE_SIZE(in.msg_len, in.aad_len);
    o.scratch = malloc(o.scratch_len);
    plain = malloc(in.msg_len + in.ciphertext_len + 1);
    if (o.scratch == NULL || plain == NULL) {
        fprintf(stderr, "teepkit cose decrypt0: out of memory\n");
        status = 2;
    } else {
        err = tk_cose_encrypt0_decrypt(c, (tk_view){in.msg, in.msg_len}, &o,
                                       plain, in.msg_len + in.ciphertext_len,
                                       &plain_len, &e);
        status = err == TK_OK
                     ? write_output(opt, opt->out, plain, plain_len)
                     : report(opt, opt->input, err, e.error_offset,
                              is_decode_error(err));
    }
    if (plain != NULL) {
        tk_crypto_wipe(plain, plain_len);
    }
    free(plain);
    free(o.scratch);
    release_inputs(&in);
    return status;
}

int tk_cli_cose(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(const struct cose_options *, const tk_crypto *);
    } cmds[] = {
        {"sign1", cose_sign1},
        {"verify1", cose_verify1},
        {"encrypt0", cose_encrypt0},
        {"decrypt0", cose_decrypt0},
    };
    struct cose_options opt;
    const tk_crypto *c;

    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        int status;

        if (strcmp(argv[1], cmds[i].name) != 0) {
            continue;
        }
        status = parse(cmds[i].name, argc - 2, argv + 2, &opt);
        if (status != 0) {
            return status == 1 ? 0 : status;
        }
        c = tk_crypto_openssl();
        if (c == NULL) {
            fprintf(stderr, "teepkit cose %s: the OpenSSL backend failed to "
                            "start\n", cmds[i].name);
            return 1;
        }
        return cmds[i].run(&opt, c);
    }
    fprintf(stderr, "teepkit cose: unknown subcommand '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
