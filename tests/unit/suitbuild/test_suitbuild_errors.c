/*
 * Every error path of the SUIT builder: each test starts from a valid
 * one-component manifest, breaks one rule, and checks the specific error
 * and the location the builder reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "suitbuild_test.h"
#include "teepkit/cbor.h"
#include "teepkit/suit_build.h"

static const uint8_t vendor_uuid[16] = {
    0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad, 0x5f, 0xdf,
    0xbe, 0x9d, 0xe6, 0x63, 0xe4, 0xd4, 0x1f, 0xfe,
};

/* A valid description that each test changes in one place. */
struct fixture {
    tk_view segment;
    tk_suit_build_component_id component;
    tk_suit_build_digest digest;
    tk_suit_build_param params[3];
    tk_suit_build_command shared[3];
    tk_suit_build_command install[3];
    tk_suit_build_command validate[1];
    tk_suit_build_manifest manifest;
    tk_suit_build_envelope envelope;
    uint8_t out[2048];
    size_t len;
    tk_suit_build_where where;
};

static struct fixture fx;

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof(fx));
    fx.segment = (tk_view){(const uint8_t *)"\x00", 1};
    fx.component = (tk_suit_build_component_id){&fx.segment, 1};
    fx.digest.alg = TK_ALG_SHA256;
    fx.digest.len = 32;
    memset(fx.digest.bytes, 0x5a, 32);
    fx.params[0] = tk_suit_build_param_bytes(
        TK_SUIT_BUILD_PARAM_VENDOR_ID, TK_SUIT_BUILD_VALUE_BSTR,
        (tk_view){vendor_uuid, 16});
    fx.params[1] = tk_suit_build_param_digest(TK_SUIT_BUILD_PARAM_IMAGE_DIGEST,
                                              &fx.digest);
    fx.params[2] = tk_suit_build_param_uint(TK_SUIT_BUILD_PARAM_IMAGE_SIZE, 5);
    fx.shared[0] = tk_suit_build_cmd_params(
        TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS, fx.params, 3);
    fx.shared[1] = tk_suit_build_cmd_policy(
        TK_SUIT_BUILD_COND_VENDOR_IDENTIFIER, 15);
    fx.install[0] = tk_suit_build_cmd_index(0);
    fx.install[1] = tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_FETCH, 2);
    fx.install[2] = tk_suit_build_cmd_policy(TK_SUIT_BUILD_COND_IMAGE_MATCH,
                                             15);
    fx.validate[0] = tk_suit_build_cmd_policy(TK_SUIT_BUILD_COND_IMAGE_MATCH,
                                              15);
    fx.manifest.sequence_number = 1;
    fx.manifest.components = &fx.component;
    fx.manifest.component_count = 1;
    fx.manifest.shared = (tk_suit_build_sequence){fx.shared, 2};
    fx.manifest.install = (tk_suit_build_sequence){fx.install, 3};
    fx.manifest.validate = (tk_suit_build_sequence){fx.validate, 1};
    fx.envelope.manifest = &fx.manifest;
    return 0;
}

/* Encodes fx.manifest and returns the result. */
static tk_err encode_manifest(void)
{
    return tk_suit_build_encode_manifest(&fx.manifest, tk_crypto_openssl(),
                                         TK_ALG_NONE, fx.out,
                                         sizeof(fx.out), &fx.len, &fx.where);
}

/* Encodes fx.envelope unsigned and returns the result. */
static tk_err encode_envelope(void)
{
    return tk_suit_build_encode_envelope(&fx.envelope, tk_crypto_openssl(),
                                         NULL, 0, fx.out, sizeof(fx.out),
                                         &fx.len, &fx.where);
}

static void fixture_is_valid(void **state)
{
    (void)state;
    assert_int_equal(encode_manifest(), TK_OK);
    assert_int_equal(tk_cbor_validate(fx.out, fx.len,
                                      TK_CBOR_CHECK_DETERMINISTIC, NULL),
                     TK_OK);
    assert_int_equal(encode_envelope(), TK_OK);
}

static void no_components(void **state)
{
    (void)state;
    fx.manifest.component_count = 0;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_NO_COMPONENTS);
    assert_int_equal(fx.len, 0);
}

static void index_out_of_range(void **state)
{
    (void)state;
    fx.install[0].index = 1;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_INDEX);
    assert_int_equal(fx.where.member, TK_SUIT_BUILD_MAN_INSTALL);
    assert_int_equal(fx.where.command, 0);
    assert_int_equal(fx.where.label, TK_SUIT_BUILD_DIR_SET_COMPONENT_INDEX);
}

static void index_list_empty_or_out_of_range(void **state)
{
    (void)state;
    static const uint64_t list[] = {0, 3};

    fx.install[0].index_type = TK_SUIT_BUILD_INDEX_LIST;
    fx.install[0].index_list = list;
    fx.install[0].index_count = 0;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_INDEX);
    fx.install[0].index_count = 2;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_INDEX);
    fx.install[0].index_count = 1;
    assert_int_equal(encode_manifest(), TK_OK);
    fx.install[0].index_type = TK_SUIT_BUILD_INDEX_ALL;
    assert_int_equal(encode_manifest(), TK_OK);
}

static void source_component_out_of_range(void **state)
{
    (void)state;
    fx.params[2] = tk_suit_build_param_uint(
        TK_SUIT_BUILD_PARAM_SOURCE_COMPONENT, 1);
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_INDEX);
    assert_int_equal(fx.where.member, TK_SUIT_BUILD_COMMON_SHARED_SEQUENCE);
    assert_int_equal(fx.where.label, TK_SUIT_BUILD_PARAM_SOURCE_COMPONENT);
}

static void dependency_index_out_of_range(void **state)
{
    (void)state;
    tk_suit_build_dependency deps[2] = {{0, NULL}, {0, NULL}};

    fx.manifest.dependencies = deps;
    fx.manifest.dependency_count = 2;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_DUPLICATE_LABEL);
    deps[1].index = 4;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_INDEX);
    /* Past the component list, a dependency with a prefix is identified
     * by it, and commands may select its index. */
    deps[1].prefix = &fx.component;
    fx.install[0].index = 4;
    assert_int_equal(encode_manifest(), TK_OK);
    fx.install[0].index = 3;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_INDEX);
    fx.install[0].index = 0;
    fx.manifest.dependency_count = 1;
    assert_int_equal(encode_manifest(), TK_OK);
}

static void unknown_command(void **state)
{
    (void)state;
    fx.install[1].label = 99;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
    assert_int_equal(fx.where.command, 1);
    assert_int_equal(fx.where.label, 99);
}

static void policy_out_of_range(void **state)
{
    (void)state;
    fx.install[2].policy = 16;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
    assert_int_equal(fx.where.command, 2);
}

/* The shared sequence takes no directive with side effects and no custom
 * command. */
static void shared_rejects_directives(void **state)
{
    (void)state;
    fx.shared[1] = tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_FETCH, 2);
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
    assert_int_equal(fx.where.member, TK_SUIT_BUILD_COMMON_SHARED_SEQUENCE);
    fx.shared[1] = tk_suit_build_cmd_policy(-5, 0);
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
}

static void custom_command_argument(void **state)
{
    (void)state;
    fx.install[1] = tk_suit_build_cmd_policy(-5, 0);
    assert_int_equal(encode_manifest(), TK_OK);
    fx.install[1].raw = (tk_view){(const uint8_t *)"\xa0", 1};
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
    fx.install[1].raw = (tk_view){(const uint8_t *)"\x63" "abc", 4};
    assert_int_equal(encode_manifest(), TK_OK);
    fx.install[1].raw = (tk_view){(const uint8_t *)"\x63" "ab", 3};
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
}

static void raw_map_commands(void **state)
{
    (void)state;
    fx.install[1] = tk_suit_build_cmd_policy(
        TK_SUIT_BUILD_DIR_OVERRIDE_MULTIPLE, 0);
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
    fx.install[1].raw = (tk_view){(const uint8_t *)"\xa1\x00\xa1\x0e\x01", 5};
    assert_int_equal(encode_manifest(), TK_OK);
    fx.install[1].raw = (tk_view){(const uint8_t *)"\x81\x00", 2};
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
}

static void run_sequence_needs_one_sequence(void **state)
{
    (void)state;
    tk_suit_build_sequence seqs[2] = {{fx.validate, 1}, {fx.validate, 1}};

    fx.install[1] = tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_RUN_SEQUENCE,
                                             0);
    fx.install[1].sequences = seqs;
    fx.install[1].sequence_count = 2;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
    fx.install[1].sequence_count = 1;
    assert_int_equal(encode_manifest(), TK_OK);
}

static void wrong_parameter_values(void **state)
{
    (void)state;
    fx.params[0].bytes.len = 15;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_PARAMETER);
    assert_int_equal(fx.where.label, TK_SUIT_BUILD_PARAM_VENDOR_ID);
    setup(NULL);
    fx.params[0] = tk_suit_build_param_bytes(TK_SUIT_BUILD_PARAM_URI,
                                             TK_SUIT_BUILD_VALUE_BSTR,
                                             (tk_view){vendor_uuid, 4});
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_PARAMETER);
    fx.params[0] = tk_suit_build_param_bytes(
        TK_SUIT_BUILD_PARAM_URI, TK_SUIT_BUILD_VALUE_TSTR,
        (tk_view){(const uint8_t *)"\xc3\x28", 2});
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_PARAMETER);
    fx.params[0] = tk_suit_build_param_uint(99, 1);
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_PARAMETER);
    fx.params[0] = tk_suit_build_param_bytes(
        TK_SUIT_BUILD_PARAM_ENCRYPTION_INFO, TK_SUIT_BUILD_VALUE_BSTR_CBOR,
        (tk_view){(const uint8_t *)"\x82\x01", 2});
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_PARAMETER);
    fx.params[0] = tk_suit_build_param_bool(-3, true);
    assert_int_equal(encode_manifest(), TK_OK);
}

/* A parameter map with one label twice is rejected, the duplicate-key
 * attack on SUIT decoders. */
static void duplicate_parameter(void **state)
{
    (void)state;
    fx.params[2] = fx.params[0];
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_DUPLICATE_LABEL);
    assert_int_equal(fx.where.label, TK_SUIT_BUILD_PARAM_VENDOR_ID);
}

static void empty_parameter_map(void **state)
{
    (void)state;
    fx.shared[0].param_count = 0;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_COMMAND);
}

static void try_each_needs_two_sequences(void **state)
{
    (void)state;
    tk_suit_build_sequence seqs[2] = {{fx.validate, 1}, {NULL, 0}};

    fx.install[1] = tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_TRY_EACH, 0);
    fx.install[1].sequences = seqs;
    fx.install[1].sequence_count = 1;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_TRY_EACH);
    fx.install[1].sequence_count = 2;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_EMPTY_SEQUENCE);
    seqs[1] = seqs[0];
    fx.install[1].try_each_nil = true;
    assert_int_equal(encode_manifest(), TK_OK);
}

static void nesting_too_deep(void **state)
{
    (void)state;
    tk_suit_build_command nested[TK_SUIT_BUILD_MAX_DEPTH + 1];
    tk_suit_build_sequence seqs[TK_SUIT_BUILD_MAX_DEPTH + 1];

    /* nested[i] runs seqs[i], which contains nested[i + 1]; the last runs a
     * condition. */
    for (int i = 0; i <= TK_SUIT_BUILD_MAX_DEPTH; i++) {
        nested[i] = tk_suit_build_cmd_policy(TK_SUIT_BUILD_DIR_RUN_SEQUENCE,
                                             0);
        nested[i].sequences = &seqs[i];
        nested[i].sequence_count = 1;
        seqs[i] = (tk_suit_build_sequence){
            i < TK_SUIT_BUILD_MAX_DEPTH ? &nested[i + 1] : fx.validate, 1};
    }
    /* From nested[2], the deepest sequence is at depth
     * TK_SUIT_BUILD_MAX_DEPTH (the install sequence being 1). */
    fx.install[1] = nested[2];
    assert_int_equal(encode_manifest(), TK_OK);
    fx.install[1] = nested[1];
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_TOO_DEEP);
    assert_int_equal(fx.where.command, 1);
}

static void empty_member_sequence_is_absent(void **state)
{
    (void)state;
    tk_view unused;

    fx.manifest.install.count = 0;
    assert_int_equal(encode_manifest(), TK_OK);
    assert_false(suitbuild_map_get((tk_view){fx.out, fx.len}, 20, &unused));
}

static void bad_digests(void **state)
{
    (void)state;
    fx.digest.len = 31;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_DIGEST);
    fx.digest.len = 32;
    fx.digest.alg = -18; /* SHAKE128: not supported by the builder */
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_DIGEST);
    setup(NULL);
    fx.envelope.digest_alg = TK_ALG_ES256;
    assert_int_equal(encode_envelope(), TK_ERR_SUIT_BUILD_BAD_DIGEST);
}

static void sever_rules(void **state)
{
    (void)state;
    fx.manifest.sever = TK_SUIT_BUILD_SEVER_TEXT;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_SEVER);
    fx.manifest.sever = 1u << 7;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_SEVER);
    fx.manifest.sever = TK_SUIT_BUILD_SEVER_INSTALL;
    assert_int_equal(encode_manifest(), TK_OK);
}

static void text_rules(void **state)
{
    (void)state;
    tk_suit_build_text_entry entries[2] = {
        {TK_SUIT_BUILD_TEXT_MANIFEST_DESCRIPTION, TK_VIEW_STR("demo")},
        {TK_SUIT_BUILD_TEXT_UPDATE_DESCRIPTION, TK_VIEW_STR("update")},
    };
    tk_suit_build_text_component comps[2] = {{0, entries, 1},
                                             {0, entries, 1}};
    tk_suit_build_text_language lang = {TK_VIEW_STR("en-US"), entries, 2,
                                        comps, 1};

    fx.manifest.text = &lang;
    fx.manifest.text_count = 1;
    assert_int_equal(encode_manifest(), TK_OK);

    lang.tag = TK_VIEW_STR("en_US");
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_TEXT);
    lang.tag = TK_VIEW_STR("1en");
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_TEXT);
    lang.tag = TK_VIEW_STR("en-");
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_TEXT);
    lang.tag = TK_VIEW_STR("en-US");

    entries[1].key = 5; /* a component key at the manifest level */
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_TEXT);
    assert_int_equal(fx.where.member, TK_SUIT_BUILD_MAN_TEXT);
    entries[1].key = TK_SUIT_BUILD_TEXT_MANIFEST_DESCRIPTION;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_DUPLICATE_LABEL);
    entries[1].key = -1;
    assert_int_equal(encode_manifest(), TK_OK);

    comps[0].component_index = 1;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_BAD_TEXT);
    comps[0].component_index = 0;
    lang.component_count = 2;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_DUPLICATE_LABEL);
}

static void duplicate_languages(void **state)
{
    (void)state;
    tk_suit_build_text_language langs[2] = {
        {TK_VIEW_STR("en"), NULL, 0, NULL, 0},
        {TK_VIEW_STR("en"), NULL, 0, NULL, 0},
    };

    fx.manifest.text = langs;
    fx.manifest.text_count = 2;
    assert_int_equal(encode_manifest(), TK_ERR_SUIT_BUILD_DUPLICATE_LABEL);
}

static void integrated_keys_unique(void **state)
{
    (void)state;
    tk_suit_build_integrated payloads[1] = {
        {TK_VIEW_STR("#app"), TK_VIEW_STR("image")}};
    tk_suit_build_integrated deps[1] = {
        {TK_VIEW_STR("#app"), TK_VIEW_STR("\xa0")}};
    tk_view value;

    fx.envelope.payloads = payloads;
    fx.envelope.payload_count = 1;
    assert_int_equal(encode_envelope(), TK_OK);
    assert_int_equal(suitbuild_map_size((tk_view){fx.out, fx.len}), 3);
    fx.envelope.dependencies = deps;
    fx.envelope.dependency_count = 1;
    assert_int_equal(encode_envelope(), TK_ERR_SUIT_BUILD_DUPLICATE_LABEL);
    deps[0].key = TK_VIEW_STR("#dep");
    assert_int_equal(encode_envelope(), TK_OK);
    assert_int_equal(suitbuild_map_size((tk_view){fx.out, fx.len}), 4);
    assert_false(suitbuild_map_get((tk_view){fx.out, fx.len}, 20, &value));
}

static void signer_rules(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    tk_key key;
    tk_suit_build_signer signers[TK_SUIT_BUILD_MAX_SIGNERS + 1];

    tk_key_init(&key);
    assert_int_equal(crypto->key_generate(crypto->ctx, TK_CRV_P256, &key),
                     TK_OK);
    for (size_t i = 0; i <= TK_SUIT_BUILD_MAX_SIGNERS; i++)
        signers[i] = (tk_suit_build_signer){TK_ALG_ES256, &key, {NULL, 0}};
    assert_int_equal(tk_suit_build_encode_envelope(
                         &fx.envelope, crypto, signers,
                         TK_SUIT_BUILD_MAX_SIGNERS + 1, fx.out,
                         sizeof(fx.out), &fx.len, NULL),
                     TK_ERR_LIMIT);
    signers[0].alg = TK_ALG_ES384;
    assert_int_equal(tk_suit_build_encode_envelope(&fx.envelope, crypto,
                                                   signers, 1, fx.out,
                                                   sizeof(fx.out), &fx.len,
                                                   NULL),
                     TK_ERR_SUIT_BUILD_BAD_SIGNER);
    signers[0].alg = TK_ALG_ES256;
    signers[0].key = NULL;
    assert_int_equal(tk_suit_build_encode_envelope(&fx.envelope, crypto,
                                                   signers, 1, fx.out,
                                                   sizeof(fx.out), &fx.len,
                                                   NULL),
                     TK_ERR_SUIT_BUILD_BAD_SIGNER);
    /* An Ed25519 signer with a P-256 key: the crypto error comes back. */
    signers[0] = (tk_suit_build_signer){TK_ALG_ED25519, &key, {NULL, 0}};
    assert_int_equal(tk_suit_build_encode_envelope(&fx.envelope, crypto,
                                                   signers, 1, fx.out,
                                                   sizeof(fx.out), &fx.len,
                                                   NULL),
                     TK_ERR_CRYPTO_KEY_MISMATCH);
    tk_key_release(&key);
}

/* A short buffer reports the exact size needed, for the manifest and for
 * a signed envelope, and the retry produces the same bytes. */
static void buffer_too_small_reports_size(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();
    uint8_t small[40], again[2048];
    size_t need, len;
    tk_key key;
    tk_suit_build_signer signer = {TK_ALG_ED25519, &key,
                                   TK_VIEW_STR("kid-1")};

    fx.manifest.sever = TK_SUIT_BUILD_SEVER_INSTALL;
    assert_int_equal(tk_suit_build_encode_manifest(&fx.manifest, crypto,
                                                   TK_ALG_NONE, small,
                                                   sizeof(small), &need,
                                                   NULL),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(encode_manifest(), TK_OK);
    assert_int_equal(need, fx.len);

    tk_key_init(&key);
    assert_int_equal(crypto->key_generate(crypto->ctx, TK_CRV_ED25519, &key),
                     TK_OK);
    assert_int_equal(tk_suit_build_encode_envelope(&fx.envelope, crypto,
                                                   &signer, 1, small,
                                                   sizeof(small), &need,
                                                   NULL),
                     TK_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(tk_suit_build_encode_envelope(&fx.envelope, crypto,
                                                   &signer, 1, again,
                                                   sizeof(again), &len, NULL),
                     TK_OK);
    assert_int_equal(need, len);
    /* Exactly the measured size is enough. */
    assert_int_equal(tk_suit_build_encode_envelope(&fx.envelope, crypto,
                                                   &signer, 1, again, need,
                                                   &len, NULL),
                     TK_OK);
    tk_key_release(&key);
}

static void null_arguments(void **state)
{
    (void)state;
    const tk_crypto *crypto = tk_crypto_openssl();

    assert_int_equal(tk_suit_build_encode_manifest(NULL, crypto, TK_ALG_NONE,
                                                   fx.out, sizeof(fx.out),
                                                   &fx.len, NULL),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_suit_build_encode_manifest(&fx.manifest, crypto,
                                                   TK_ALG_NONE, NULL, 10,
                                                   &fx.len, NULL),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_suit_build_encode_envelope(&fx.envelope, NULL, NULL,
                                                   0, fx.out, sizeof(fx.out),
                                                   &fx.len, NULL),
                     TK_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(fixture_is_valid, setup),
        cmocka_unit_test_setup(no_components, setup),
        cmocka_unit_test_setup(index_out_of_range, setup),
        cmocka_unit_test_setup(index_list_empty_or_out_of_range, setup),
        cmocka_unit_test_setup(source_component_out_of_range, setup),
        cmocka_unit_test_setup(dependency_index_out_of_range, setup),
        cmocka_unit_test_setup(unknown_command, setup),
        cmocka_unit_test_setup(policy_out_of_range, setup),
        cmocka_unit_test_setup(shared_rejects_directives, setup),
        cmocka_unit_test_setup(custom_command_argument, setup),
        cmocka_unit_test_setup(raw_map_commands, setup),
        cmocka_unit_test_setup(run_sequence_needs_one_sequence, setup),
        cmocka_unit_test_setup(wrong_parameter_values, setup),
        cmocka_unit_test_setup(duplicate_parameter, setup),
        cmocka_unit_test_setup(empty_parameter_map, setup),
        cmocka_unit_test_setup(try_each_needs_two_sequences, setup),
        cmocka_unit_test_setup(nesting_too_deep, setup),
        cmocka_unit_test_setup(empty_member_sequence_is_absent, setup),
        cmocka_unit_test_setup(bad_digests, setup),
        cmocka_unit_test_setup(sever_rules, setup),
        cmocka_unit_test_setup(text_rules, setup),
        cmocka_unit_test_setup(duplicate_languages, setup),
        cmocka_unit_test_setup(integrated_keys_unique, setup),
        cmocka_unit_test_setup(signer_rules, setup),
        cmocka_unit_test_setup(buffer_too_small_reports_size, setup),
        cmocka_unit_test_setup(null_arguments, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
