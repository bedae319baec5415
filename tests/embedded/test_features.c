/*
 * The feature switches of include/teepkit/config.h on Cortex-M4. Each
 * case runs in every profile. When the build has the feature, the input
 * that needs it gets the feature's own outcome. When the build leaves it
 * out, the same input fails with the specific error that config.h names,
 * and nothing is installed.
 *
 * The manifests are encoded and signed on the target with the published
 * ES256 example key of draft-ietf-suit-manifest-37, one small manifest
 * per command or parameter under test.
 */
#include "suit_vectors.h"
#include "target_util.h"
#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "tk_dev_platform.h"
#include "tk_runner.h"

static uint8_t storage[8 * 1024] __attribute__((section(".tk_storage")));
static tk_suit_processor processor;
static tkd_platform platform;
static tk_key signing_key;   /* the example key with its private part */
static uint8_t envelope[768];
static size_t envelope_len;
static uint8_t report[256];

/* A component identifier [h'00'] and the vendor and class of the
 * examples (fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe,
 * 1492af14-2569-5e48-bf42-9b2d51f2ab45). */
static const uint8_t id0[] = {0x81, 0x41, 0x00};
static const uint8_t vendor[16] = {0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad,
                                   0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63,
                                   0xe4, 0xd4, 0x1f, 0xfe};
static const uint8_t class_id[16] = {0x14, 0x92, 0xaf, 0x14, 0x25, 0x69,
                                     0x5e, 0x48, 0xbf, 0x42, 0x9b, 0x2d,
                                     0x51, 0xf2, 0xab, 0x45};

/* Parts of a manifest under test. */
typedef struct manifest_parts {
    tk_view dependencies; /* encoded SUIT_Dependencies, or empty */
    tk_view validate;     /* encoded command sequence of suit-validate */
    tk_view text;         /* encoded SUIT_Text_Map, or empty */
    tk_view delegation;   /* content of suit-delegation, or empty */
} manifest_parts;

/* Encodes the manifest of parts into buf: one component [h'00'] (two with
 * dependencies), a shared sequence that checks vendor and class, and the
 * validate sequence. Returns its length, 0 when it does not fit. */
static size_t manifest_encode(const manifest_parts *parts, uint8_t *buf,
                              size_t cap)
{
    uint8_t shared[64];
    uint8_t common[128];
    tk_cbor_enc enc;
    size_t shared_len = 0;
    size_t common_len = 0;
    size_t len = 0;

    /* [set-component-index 0, override-parameters {vendor, class},
     *  vendor-identifier 15, class-identifier 15] */
    tk_cbor_enc_init(&enc, shared, sizeof(shared), 0);
    tk_cbor_enc_put_array(&enc, 8);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_DIR_SET_COMPONENT_INDEX);
    tk_cbor_enc_put_uint(&enc, 0);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_DIR_OVERRIDE_PARAMETERS);
    tk_cbor_enc_put_map(&enc, 2);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_PARAM_VENDOR_ID);
    tk_cbor_enc_put_bstr(&enc, vendor, sizeof(vendor));
    tk_cbor_enc_put_uint(&enc, TK_SUIT_PARAM_CLASS_ID);
    tk_cbor_enc_put_bstr(&enc, class_id, sizeof(class_id));
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COND_VENDOR_IDENTIFIER);
    tk_cbor_enc_put_uint(&enc, 15);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COND_CLASS_IDENTIFIER);
    tk_cbor_enc_put_uint(&enc, 15);
    if (tk_cbor_enc_finish(&enc, &shared_len) != TK_OK)
        return 0;

    bool deps = parts->dependencies.len > 0;
    tk_cbor_enc_init(&enc, common, sizeof(common), 0);
    tk_cbor_enc_put_map(&enc, deps ? 3 : 2);
    if (deps) {
        tk_cbor_enc_put_uint(&enc, TK_SUIT_COMMON_DEPENDENCIES);
        tk_cbor_enc_put_raw(&enc, parts->dependencies.ptr,
                            parts->dependencies.len);
    }
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COMMON_COMPONENTS);
    tk_cbor_enc_put_array(&enc, deps ? 2 : 1);
    tk_cbor_enc_put_raw(&enc, id0, sizeof(id0));
    if (deps) {
        static const uint8_t id1[] = {0x81, 0x41, 0x01};
        tk_cbor_enc_put_raw(&enc, id1, sizeof(id1));
    }
    tk_cbor_enc_put_uint(&enc, TK_SUIT_COMMON_SHARED_SEQUENCE);
    tk_cbor_enc_put_bstr(&enc, shared, shared_len);
    if (tk_cbor_enc_finish(&enc, &common_len) != TK_OK)
        return 0;

    bool text = parts->text.len > 0;
    tk_cbor_enc_init(&enc, buf, cap, 0);
    tk_cbor_enc_put_map(&enc, text ? 5 : 4);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_VERSION);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_SEQUENCE_NUMBER);
    tk_cbor_enc_put_uint(&enc, 1);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_COMMON);
    tk_cbor_enc_put_bstr(&enc, common, common_len);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_VALIDATE);
    tk_cbor_enc_put_bstr(&enc, parts->validate.ptr, parts->validate.len);
    if (text) {
        tk_cbor_enc_put_uint(&enc, TK_SUIT_MANIFEST_TEXT);
        tk_cbor_enc_put_bstr(&enc, parts->text.ptr, parts->text.len);
    }
    return tk_cbor_enc_finish(&enc, &len) == TK_OK ? len : 0;
}

/* Builds envelope: parts' manifest, its SHA-256 digest and a detached
 * COSE_Sign1 over the digest by signing_key (draft-ietf-suit-manifest-37
 * section 8.3). Returns TK_OK or the first error. */
static tk_err envelope_make(const manifest_parts *parts)
{
    const tk_crypto *c = tkt_crypto();
    uint8_t manifest[256];
    uint8_t wrapped[264];
    uint8_t digest[2 + 2 + 32] = {0x82, 0x2f, 0x58, 0x20};
    uint8_t sign1[128];
    uint8_t auth[200];
    size_t manifest_len = manifest_encode(parts, manifest, sizeof(manifest));
    size_t wrapped_len = 0;
    size_t sign1_len = 0;
    size_t auth_len = 0;
    size_t digest_len = 0;
    tk_cbor_enc enc;
    tk_cose_build build;

    if (manifest_len == 0)
        return TK_ERR_BUFFER_TOO_SMALL;
    /* The digest covers the manifest bstr with its head. */
    tk_cbor_enc_init(&enc, wrapped, sizeof(wrapped), 0);
    tk_cbor_enc_put_bstr(&enc, manifest, manifest_len);
    tk_err err = tk_cbor_enc_finish(&enc, &wrapped_len);
    tk_view whole = {wrapped, wrapped_len};
    if (err == TK_OK)
        err = c->hash(c->ctx, TK_ALG_SHA256, &whole, 1, digest + 4, 32,
                      &digest_len);
    memset(&build, 0, sizeof(build));
    build.alg = TK_ALG_ES256;
    build.key = &signing_key;
    build.flags = TK_COSE_BUILD_DETACHED;
    if (err == TK_OK)
        err = tk_cose_sign1_sign(c, &build, (tk_view){digest, sizeof(digest)},
                                 sign1, sizeof(sign1), &sign1_len);
    if (err != TK_OK)
        return err;
    tk_cbor_enc_init(&enc, auth, sizeof(auth), 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_bstr(&enc, digest, sizeof(digest));
    tk_cbor_enc_put_bstr(&enc, sign1, sign1_len);
    err = tk_cbor_enc_finish(&enc, &auth_len);
    if (err != TK_OK)
        return err;

    bool delegation = parts->delegation.len > 0;
    tk_cbor_enc_init(&enc, envelope, sizeof(envelope), 0);
    tk_cbor_enc_put_tag(&enc, TK_SUIT_ENVELOPE_TAG);
    tk_cbor_enc_put_map(&enc, delegation ? 3 : 2);
    if (delegation) {
        tk_cbor_enc_put_uint(&enc, TK_SUIT_ENV_DELEGATION);
        tk_cbor_enc_put_bstr(&enc, parts->delegation.ptr,
                             parts->delegation.len);
    }
    tk_cbor_enc_put_uint(&enc, TK_SUIT_ENV_AUTHENTICATION);
    tk_cbor_enc_put_bstr(&enc, auth, auth_len);
    tk_cbor_enc_put_uint(&enc, TK_SUIT_ENV_MANIFEST);
    tk_cbor_enc_put_bstr(&enc, manifest, manifest_len);
    return tk_cbor_enc_finish(&enc, &envelope_len);
}

/* An unlink callback that accepts every component. */
static tk_err accept_unlink(void *ctx, const tk_suit_component *c)
{
    (void)ctx;
    (void)c;
    return TK_OK;
}

/* Empties the platform and starts a processor on it that trusts the
 * example key. */
static tk_err setup(void)
{
    tk_suit_config cfg;

    tkd_init(&platform, tkt_crypto(), &signing_key, storage,
             sizeof(storage));
    platform.vendor_id = (tk_view){vendor, sizeof(vendor)};
    platform.class_id = (tk_view){class_id, sizeof(class_id)};
    platform.pf.unlink = accept_unlink;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tkt_crypto();
    cfg.platform = &platform.pf;
    return tk_suit_processor_init(&processor, &cfg);
}

/* Builds and signs a manifest whose validate sequence is the hex string
 * validate, runs op on it and returns the result. */
static tk_err run_validate(const char *validate, tk_suit_operation op)
{
    manifest_parts parts;

    memset(&parts, 0, sizeof(parts));
    parts.validate = tkt_hex(validate);
    tk_err err = setup();
    if (err == TK_OK)
        err = envelope_make(&parts);
    if (err == TK_OK)
        err = tk_suit_process(&processor, (tk_view){envelope, envelope_len},
                              op);
    return err;
}

/* The result that input needing a feature gets: built when the feature
 * is, else the switched-off error. */
static tk_err outcome(bool built, tk_err when_built, tk_err when_left_out)
{
    return built ? when_built : when_left_out;
}

/* A manifest of the core commands only runs in every profile: the
 * baseline of the cases below. */
static void core_manifest_runs(void)
{
    /* [set-component-index 0, vendor-identifier 15] */
    TK_CHECK_OK(run_validate("84 0c 00 01 0f", TK_SUIT_OP_BOOT));
    TK_CHECK_INT(platform.commits, 1);
}

/* Conditions and directives of draft-ietf-suit-update-management-14: a
 * build with them reports the missing parameter, a build without them
 * the command. */
static void update_management_commands(void)
{
    static const struct {
        const char *validate;
        int64_t command;
    } cases[] = {
        {"82 04 0f", TK_SUIT_COND_USE_BEFORE},
        {"82 18 19 0f", TK_SUIT_COND_IMAGE_NOT_MATCH},
        {"82 18 1a 0f", TK_SUIT_COND_MINIMUM_BATTERY},
        {"82 18 1b 0f", TK_SUIT_COND_UPDATE_AUTHORIZED},
        {"82 18 1c 0f", TK_SUIT_COND_VERSION},
        {"82 18 1d 0f", TK_SUIT_DIR_WAIT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tkt_hex_reset();
        TK_CHECK_ERR(run_validate(cases[i].validate, TK_SUIT_OP_BOOT),
                     outcome(TK_SUIT_WITH_UPDATE_MANAGEMENT,
                             TK_ERR_SUIT_PARAMETER_MISSING,
                             TK_ERR_SUIT_COMMAND_UNSUPPORTED));
        TK_CHECK_INT(tk_suit_processor_error(&processor)->command,
                     cases[i].command);
        TK_CHECK_INT(platform.commits, 0);
    }
    /* override-multiple {0: {image-size: 1}} and copy-params
     * {0: [image-size]}, which succeed where they are built. */
    static const char *const directives[] = {"82 18 22 a1 00 a1 0e 01",
                                             "82 18 23 a1 00 81 0e"};
    for (size_t i = 0; i < 2; i++) {
        tkt_hex_reset();
        TK_CHECK_ERR(run_validate(directives[i], TK_SUIT_OP_BOOT),
                     outcome(TK_SUIT_WITH_UPDATE_MANAGEMENT, TK_OK,
                             TK_ERR_SUIT_COMMAND_UNSUPPORTED));
    }
}

/* The parameters of update management, and suit-parameter-encryption-info
 * of payload decryption, set by override-parameters. */
static void switched_parameters(void)
{
    static const struct {
        const char *validate;
        bool built;
    } cases[] = {
        /* use-before 1 */
        {"82 14 a1 04 01", TK_SUIT_WITH_UPDATE_MANAGEMENT},
        /* minimum-battery 1 */
        {"82 14 a1 18 1a 01", TK_SUIT_WITH_UPDATE_MANAGEMENT},
        /* update-priority 1 */
        {"82 14 a1 18 1b 01", TK_SUIT_WITH_UPDATE_MANAGEMENT},
        /* version << [1, [1]] >> */
        {"82 14 a1 18 1c 44 82 01 81 01", TK_SUIT_WITH_UPDATE_MANAGEMENT},
        /* wait-info << {} >> and component-metadata << {} >> */
        {"82 14 a1 18 1d 41 a0", TK_SUIT_WITH_UPDATE_MANAGEMENT},
        {"82 14 a1 18 1e 41 a0", TK_SUIT_WITH_UPDATE_MANAGEMENT},
        /* encryption-info << [] >>, kept as bytes until a fetch uses it */
        {"82 14 a1 13 41 80", TK_SUIT_WITH_DECRYPTION},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tkt_hex_reset();
        TK_CHECK_ERR(run_validate(cases[i].validate, TK_SUIT_OP_BOOT),
                     outcome(cases[i].built, TK_OK,
                             TK_ERR_SUIT_PARAMETER_UNSUPPORTED));
    }
}

/* The commands of draft-ietf-suit-trust-domains-11 on a component that is
 * not a dependency, and the uninstall procedure. */
static void dependency_commands(void)
{
    static const struct {
        const char *validate;
        tk_err when_built;
    } cases[] = {
        {"82 07 0f", TK_ERR_SUIT_NOT_DEPENDENCY},  /* dependency-integrity */
        {"82 08 0f", TK_ERR_SUIT_IS_DEPENDENCY},   /* is-dependency */
        {"82 0b 0f", TK_ERR_SUIT_NOT_DEPENDENCY},  /* process-dependency */
        {"82 18 21 0f", TK_OK},                    /* unlink */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tkt_hex_reset();
        TK_CHECK_ERR(run_validate(cases[i].validate, TK_SUIT_OP_BOOT),
                     outcome(TK_SUIT_WITH_DEPENDENCIES, cases[i].when_built,
                             TK_ERR_SUIT_COMMAND_UNSUPPORTED));
    }
    /* The manifest has no suit-uninstall, so where it is built the
     * procedure has nothing to do. */
    tkt_hex_reset();
    TK_CHECK_ERR(run_validate("84 0c 00 01 0f", TK_SUIT_OP_UNINSTALL),
                 outcome(TK_SUIT_WITH_DEPENDENCIES, TK_OK,
                         TK_ERR_UNSUPPORTED));
}

/* A manifest that declares a dependency: rejected as a whole by a build
 * without dependencies, which would otherwise run it as a plain
 * component. */
static void dependencies_member(void)
{
    manifest_parts parts;

    memset(&parts, 0, sizeof(parts));
    parts.dependencies = tkt_hex("a1 01 a0"); /* {1: {}} */
    parts.validate = tkt_hex("84 0c 00 01 0f");
    TK_CHECK_OK(setup());
    TK_CHECK_OK(envelope_make(&parts));
    TK_CHECK_ERR(tk_suit_process(&processor,
                                 (tk_view){envelope, envelope_len},
                                 TK_SUIT_OP_BOOT),
                 outcome(TK_SUIT_WITH_DEPENDENCIES, TK_OK,
                         TK_ERR_SUIT_UNKNOWN_MEMBER));
}

/* An envelope with suit-delegation: a build with delegation finds no
 * chain in an empty array, a build without it rejects the member. */
static void delegation_member(void)
{
    manifest_parts parts;

    memset(&parts, 0, sizeof(parts));
    parts.delegation = tkt_hex("80");
    parts.validate = tkt_hex("84 0c 00 01 0f");
    TK_CHECK_OK(setup());
    TK_CHECK_OK(envelope_make(&parts));
    TK_CHECK_ERR(tk_suit_process(&processor,
                                 (tk_view){envelope, envelope_len},
                                 TK_SUIT_OP_BOOT),
                 outcome(TK_SUIT_WITH_DELEGATION, TK_ERR_SUIT_DELEGATION,
                         TK_ERR_SUIT_UNKNOWN_MEMBER));
    TK_CHECK_INT(platform.commits, 0);
}

/* The published manifest with an AES-KW recipient is authenticated by a
 * COSE_Mac0: a build without MAC authentication rejects the block, one
 * without decryption the encryption info. */
static void mac_authentication(void)
{
    static const uint8_t aaaa[32] = {
        'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
        'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
        'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};
    tk_key mac_key;
    tk_key kek;
    tk_err want = TK_OK;

    TK_CHECK_OK(tk_key_init_symmetric(&mac_key, (tk_view){aaaa, 32}));
    TK_CHECK_OK(tk_key_init_symmetric(&kek, (tk_view){aaaa, 16}));
    TK_CHECK_OK(setup());
    platform.manifest_key = &mac_key;
    platform.decryption_key = &kek;
    if (!TK_SUIT_WITH_MAC || !TK_COSE_WITH_MAC)
        want = TK_ERR_SUIT_ALG_UNSUPPORTED;
    else if (!TK_SUIT_WITH_DECRYPTION)
        want = TK_ERR_SUIT_PARAMETER_UNSUPPORTED;
    TK_CHECK_ERR(tk_suit_process(&processor,
                                 (tk_view){suit_aes_kw_content,
                                           sizeof(suit_aes_kw_content)},
                                 TK_SUIT_OP_UPDATE),
                 want);
    TK_CHECK_INT(platform.commits, want == TK_OK ? 1 : 0);
}

/* A manifest with suit-text runs in every build; only a build with text
 * reads it. */
static void text_member(void)
{
    manifest_parts parts;
    tk_view value = {NULL, 0};

    memset(&parts, 0, sizeof(parts));
    parts.text = tkt_hex("a1 62 656e a1 01 62 6869"); /* {"en": {1: "hi"}} */
    parts.validate = tkt_hex("84 0c 00 01 0f");
    TK_CHECK_OK(setup());
    TK_CHECK_OK(envelope_make(&parts));
    TK_CHECK_OK(tk_suit_process(&processor,
                                (tk_view){envelope, envelope_len},
                                TK_SUIT_OP_BOOT));
    const tk_suit_manifest *m = tk_suit_processor_manifest(&processor);
    TK_CHECK(m != NULL);
    TK_CHECK_INT(m->text.presence, TK_SUIT_PRESENT);
    TK_CHECK_ERR(tk_suit_text_get(m, TK_VIEW_STR("en"), (tk_view){NULL, 0},
                                  1, &value),
                 outcome(TK_SUIT_WITH_TEXT, TK_OK, TK_ERR_UNSUPPORTED));
    if (TK_SUIT_WITH_TEXT) {
        TK_CHECK_INT(value.len, 2);
        TK_CHECK_MEM(value.ptr, "hi", 2);
    }
}

/* SUIT reports after a run. */
static void report_encoding(void)
{
    size_t len = 1;

    tkt_hex_reset();
    TK_CHECK_OK(run_validate("84 0c 00 01 0f", TK_SUIT_OP_BOOT));
    TK_CHECK_ERR(tk_suit_report_encode(&processor, (tk_view){NULL, 0}, false,
                                       report, sizeof(report), &len),
                 outcome(TK_SUIT_WITH_REPORT, TK_OK, TK_ERR_UNSUPPORTED));
    TK_CHECK(TK_SUIT_WITH_REPORT ? len > 0 : len == 0);
}

/* COSE_Sign: built, verified and reported as supported, or left out. */
static void cose_sign_structure(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_cose_signer signer = {TK_ALG_ESP256, &signing_key, {NULL, 0}};
    tk_cose_build build;
    tk_cose_opts opts;
    uint8_t msg[192];
    size_t len = 0;

    TK_CHECK(tk_cose_type_supported(TK_COSE_TYPE_SIGN1));
    TK_CHECK_INT(tk_cose_type_supported(TK_COSE_TYPE_SIGN),
                 TK_COSE_WITH_SIGN);
    TK_CHECK_INT(tk_cose_type_supported(TK_COSE_TYPE_MAC0),
                 TK_COSE_WITH_MAC);
    TK_CHECK_INT(tk_cose_type_supported(TK_COSE_TYPE_ENCRYPT),
                 TK_COSE_WITH_ENCRYPT);
    memset(&build, 0, sizeof(build));
    build.signers = &signer;
    build.signer_count = 1;
    TK_CHECK_ERR(tk_cose_sign_sign(c, &build, TK_VIEW_STR("payload"), msg,
                                   sizeof(msg), &len),
                 outcome(TK_COSE_WITH_SIGN, TK_OK,
                         TK_ERR_COSE_STRUCTURE_UNSUPPORTED));
    if (!TK_COSE_WITH_SIGN) {
        /* A COSE_Sign of one signature: 98([h'', {}, h'00', [[h'a10126',
         * {}, h'00']]]). Its tag alone decides the result. */
        tk_view sign = tkt_hex("d8 62 84 40 a0 41 00 81 83 43 a1 01 26 a0 "
                               "41 00");
        memset(&opts, 0, sizeof(opts));
        opts.key = &signing_key;
        TK_CHECK_ERR(tk_cose_verify(c, sign, &opts, NULL),
                     TK_ERR_COSE_STRUCTURE_UNSUPPORTED);
        TK_CHECK_ERR(tk_cose_sign_verify(c, sign, &opts, NULL),
                     TK_ERR_COSE_STRUCTURE_UNSUPPORTED);
        return;
    }
    memset(&opts, 0, sizeof(opts));
    opts.key = &signing_key;
    opts.signature_index = TK_COSE_ANY_SIGNATURE;
    TK_CHECK_OK(tk_cose_verify(c, (tk_view){msg, len}, &opts, NULL));
}

/* Floats of CBOR: decoded and encoded, or TK_ERR_UNSUPPORTED. */
static void cbor_floats(void)
{
    tk_cbor_dec dec;
    tk_cbor_enc enc;
    uint8_t out[16];
    double value = 0;
    tk_view half = tkt_hex("f9 3c 00"); /* 1.0 */

    tk_cbor_dec_init(&dec, half.ptr, half.len, 0);
    TK_CHECK_ERR(tk_cbor_dec_get_float(&dec, &value),
                 outcome(TK_CBOR_WITH_FLOAT, TK_OK, TK_ERR_UNSUPPORTED));
    TK_CHECK(TK_CBOR_WITH_FLOAT ? value == 1.0 : value == 0);
    tk_cbor_enc_init(&enc, out, sizeof(out), 0);
    TK_CHECK_ERR(tk_cbor_enc_put_float(&enc, 1.5),
                 outcome(TK_CBOR_WITH_FLOAT, TK_OK, TK_ERR_UNSUPPORTED));
}

int main(void)
{
    static const tk_runner_case cases[] = {
        TK_RUNNER_CASE(core_manifest_runs),
        TK_RUNNER_CASE(update_management_commands),
        TK_RUNNER_CASE(switched_parameters),
        TK_RUNNER_CASE(dependency_commands),
        TK_RUNNER_CASE(dependencies_member),
        TK_RUNNER_CASE(delegation_member),
        TK_RUNNER_CASE(mac_authentication),
        TK_RUNNER_CASE(text_member),
        TK_RUNNER_CASE(report_encoding),
        TK_RUNNER_CASE(cose_sign_structure),
        TK_RUNNER_CASE(cbor_floats),
    };
    const tk_crypto *c = tkt_crypto();

    tk_key_init(&signing_key);
    if (c == NULL ||
        tk_cose_key_import(c,
                           (tk_view){suit_example_private_key,
                                     sizeof(suit_example_private_key)},
                           &signing_key, NULL) != TK_OK) {
        return 100;
    }
    return tk_runner_main("feature switches", cases,
                          sizeof(cases) / sizeof(cases[0]));
}
