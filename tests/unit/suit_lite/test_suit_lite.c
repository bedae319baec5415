/*
 * The lite SUIT processor's own rules: where it is stricter than the full
 * processor, its error locations, its fetch sink, and its argument
 * checks. The published examples and the mutated manifests are compared
 * with the full processor by the test_suit_lite_diff_* programs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lite_diff.h"
#include "suit_test_util.h"

typedef struct fixture {
    tp_platform tp;
    uint8_t env[8192];
    size_t env_len;
    uint8_t id0[3];
    uint8_t fingerprint[32];
    tk_suit_lite_error error;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    tp_init(&f->tp);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    tp_id_byte(f->id0, 0x00);
    tp_set_image(&f->tp, (tk_view){f->id0, 3}, (const uint8_t *)"old", 3);
    tp_add_uri(&f->tp, "http://example.com/file.bin",
               (const uint8_t *)"firmware image", 14);
    tp_fingerprint(&f->tp, f->fingerprint);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tp_free(&f->tp);
    free(f);
    return 0;
}

/* Signs a manifest with one component [h'00'] and the given members. */
static void sign(fixture *f, const char *members)
{
    char text[4096];
    snprintf(text, sizeof(text), "{1: 1, 2: 1, 3: << {2: [[h'00']]} >>, %s}",
             members);
    f->env_len = tu_envelope(text, NULL, NULL, 0, f->env, sizeof(f->env));
}

static tk_err run(fixture *f, tk_suit_operation op)
{
    return tl_lite_run(&f->tp, tu_crypto(), (tk_view){f->env, f->env_len}, op,
                       &f->error);
}

/* Asserts a rejection with code that left the platform unchanged. */
static void assert_rejected(fixture *f, tk_suit_operation op, tk_err code)
{
    uint8_t after[32];
    tk_err e = run(f, op);
    if (e != code)
        fail_msg("expected %s, got %s", tk_errname(code), tk_errname(e));
    tp_fingerprint(&f->tp, after);
    assert_memory_equal(f->fingerprint, after, 32);
}

/* An install by fetch and a write run, and commit their images. */
static void fetch_and_write(void **state)
{
    fixture *f = *state;
    sign(f, "20: << [20, {21: \"http://example.com/file.bin\", 14: 14}, 21, "
            "2, 20, {18: 'written'}, 18, 2] >>");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    const tp_image *img = tp_image_of(&f->tp, (tk_view){f->id0, 3});
    assert_non_null(img);
    assert_int_equal(img->len, 7);
    assert_memory_equal(img->data, "written", 7);
    assert_int_equal(f->tp.nfetches, 1);
    assert_int_equal(f->tp.commits, 1);
}

/* A fetch beyond suit-parameter-image-size fails and writes nothing. */
static void fetch_beyond_size(void **state)
{
    fixture *f = *state;
    sign(f, "20: << [20, {21: \"http://example.com/file.bin\", 14: 13}, 21, "
            "2] >>");
    assert_rejected(f, TK_SUIT_OP_UPDATE, TK_ERR_SUIT_IMAGE_SIZE);
    assert_int_equal(f->error.command, TK_SUIT_DIR_FETCH);
    assert_int_equal(f->error.section, 20);
    assert_int_equal(f->error.component, 0);
}

/* The error names the failing command, its section and its byte. */
static void error_location(void **state)
{
    fixture *f = *state;
    sign(f, "7: << [20, {1: h'fa6b4a53d5ad5fdfbe9de663e4d41ffe'}, 1, 15, 3, "
            "15] >>");
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_PARAMETER_MISSING);
    assert_int_equal(f->error.section, 7);
    assert_int_equal(f->error.command, TK_SUIT_COND_IMAGE_MATCH);
    assert_true(f->error.offset < f->env_len);
    /* The offset is the command's label: 3, followed by its policy 15. */
    assert_int_equal(f->env[f->error.offset], 0x03);
    assert_int_equal(f->env[f->error.offset + 1], 0x0f);
}

/* A try-each inside a try-each is one level too deep for this processor
 * (the full one allows it). */
static void nesting_beyond_one_level(void **state)
{
    fixture *f = *state;
    sign(f, "20: << [15, [<< [15, [<< [14, 15] >>, null]] >>, null]] >>");
    assert_rejected(f, TK_SUIT_OP_UPDATE, TK_ERR_SUIT_DEPTH);
    sign(f, "20: << [32, << [32, << [14, 15] >>] >>] >>");
    assert_rejected(f, TK_SUIT_OP_UPDATE, TK_ERR_SUIT_DEPTH);
    /* One level is fine: the abort is absorbed, nil ends the try-each. */
    sign(f, "20: << [15, [<< [14, 15] >>, null]] >>");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
}

/* A failed try-each sequence leaves none of its parameters behind. */
static void try_each_undoes_parameters(void **state)
{
    fixture *f = *state;
    sign(f, "20: << [15, [<< [20, {18: 'first'}, 14, 15] >>, "
            "<< [20, {3: << [-16, h'00'] >>}] >>]] >>");
    assert_rejected(f, TK_SUIT_OP_UPDATE, TK_ERR_SUIT_MALFORMED);
    sign(f, "20: << [15, [<< [20, {18: 'first'}, 14, 15] >>, null], "
            "18, 2] >>");
    assert_rejected(f, TK_SUIT_OP_UPDATE, TK_ERR_SUIT_PARAMETER_MISSING);
    assert_int_equal(f->error.command, TK_SUIT_DIR_WRITE);
}

/* Members, parameters and commands outside this processor's set are
 * rejected, never skipped. */
static void unknown_rejected(void **state)
{
    fixture *f = *state;
    sign(f, "5: [h'00'], 7: << [14, 15] >>");
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_UNKNOWN_MEMBER);
    sign(f, "7: << [6, 15] >>");
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    sign(f, "7: << [20, {13: true}] >>");
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_PARAMETER_UNSUPPORTED);
    sign(f, "7: << [20, {14: 1, 14: 2}] >>");
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_DUPLICATE_KEY);
    /* A SHA-512 image digest: only SHA-256 is supported. */
    sign(f, "7: << [20, {3: << [-44, h'00'] >>}] >>");
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_DIGEST_ALG);
}

/* The same component identifier twice is rejected. */
static void duplicate_component(void **state)
{
    fixture *f = *state;
    f->env_len = tu_envelope("{1: 1, 2: 1, 3: << {2: [[h'00'], [h'00']]} >>,"
                             " 7: << [12, 0, 14, 15] >>}",
                             NULL, NULL, 0, f->env, sizeof(f->env));
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_MALFORMED);
}

/* An indefinite-length manifest map is rejected. */
static void indefinite_rejected(void **state)
{
    fixture *f = *state;
    static const uint8_t manifest[] = {
        0xbf, 0x01, 0x01, 0x02, 0x01, 0x03, 0x46, 0xa1, 0x02,
        0x81, 0x81, 0x41, 0x00, 0xff};
    f->env_len = tu_envelope_raw(manifest, sizeof(manifest), NULL, 0, 0,
                                 tu_example_private(), TK_ALG_ES256, f->env,
                                 sizeof(f->env));
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_MALFORMED);
    assert_int_equal(f->error.section, 0);
}

/* An untrusted signer and an altered manifest are rejected before any
 * command runs. */
static void authentication(void **state)
{
    fixture *f = *state;
    sign(f, "9: << [23, 2] >>");
    f->env[f->env_len - 2] ^= 1; /* the invoke's label */
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_MANIFEST_DIGEST);
    tp_free(&f->tp);
    tp_init(&f->tp);
    tp_id_byte(f->id0, 0x00);
    tp_fingerprint(&f->tp, f->fingerprint);
    sign(f, "9: << [23, 2] >>");
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_KEY_NOT_FOUND);
    assert_int_equal(f->tp.ninvoked, 0);
}

/* A rollback to a lower sequence number is rejected. */
static void rollback(void **state)
{
    fixture *f = *state;
    tp_set_record(&f->tp, (tk_view){f->id0, 3}, 2, NULL, 0);
    tp_fingerprint(&f->tp, f->fingerprint);
    sign(f, "9: << [23, 2] >>");
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_ROLLBACK);
}

/* Appends the lowercase hex of data to out (capacity cap). */
static void hex_put(char *out, size_t cap, const uint8_t *data, size_t len)
{
    size_t at = strlen(out);
    for (size_t i = 0; i < len && at + 3 < cap; i++, at += 2)
        snprintf(out + at, cap - at, "%02x", data[i]);
}

/* Encodes "h'<hex of data>'" wrapped in prefix and suffix, then compiles
 * the whole diagnostic text into out. */
static size_t edn_with(const char *prefix, const uint8_t *data, size_t len,
                       const char *suffix, uint8_t *out, size_t cap)
{
    static char text[16384];
    snprintf(text, sizeof(text), "%sh'", prefix);
    hex_put(text, sizeof(text), data, len);
    snprintf(text + strlen(text), sizeof(text) - strlen(text), "'%s",
             suffix);
    return tu_edn(text, out, cap);
}

/* One COSE_Sign1 block over the digest item d of the authentication
 * wrapper: protected and unprotected headers and the payload in
 * diagnostic notation, signed with key under ES256. */
static size_t block_make(const char *protected_edn,
                         const char *unprotected_edn, const char *payload,
                         const tk_key *key, const uint8_t *d, size_t d_len,
                         uint8_t *out, size_t cap)
{
    uint8_t prot[64];
    uint8_t sig_structure[256];
    uint8_t sig[64];
    size_t sig_len = 0;
    char text[1024];
    size_t prot_len = tu_edn(protected_edn, prot, sizeof(prot));
    snprintf(text, sizeof(text), "[\"Signature1\", h'");
    hex_put(text, sizeof(text), prot, prot_len);
    strcat(text, "', h'', h'");
    hex_put(text, sizeof(text), d, d_len);
    strcat(text, "']");
    size_t n = tu_edn(text, sig_structure, sizeof(sig_structure));
    tk_view part = {sig_structure, n};
    const tk_crypto *c = tu_crypto();
    assert_int_equal(c->sign(c->ctx, TK_ALG_ES256, key, &part, 1, sig,
                             sizeof(sig), &sig_len),
                     TK_OK);
    snprintf(text, sizeof(text), "18([h'");
    hex_put(text, sizeof(text), prot, prot_len);
    snprintf(text + strlen(text), sizeof(text) - strlen(text),
             "', %s, %s, h'", unprotected_edn, payload);
    hex_put(text, sizeof(text), sig, sig_len);
    strcat(text, "'])");
    return tu_edn(text, out, cap);
}

/* Builds an envelope of the manifest {1: 1, 2: 1, 3: common, 9: invoke}
 * with the given blocks (count 1 or 2, the second signed by second). */
static void envelope_make(fixture *f, const char *protected_edn,
                          const char *unprotected_edn, const char *payload,
                          const tk_key *second)
{
    uint8_t manifest[256];
    uint8_t wrapped[260];
    uint8_t digest[32];
    uint8_t d[64];
    uint8_t blocks[2][256];
    size_t block_len[2] = {0, 0};
    uint8_t wrapper[1024];
    size_t m = tu_edn("{1: 1, 2: 1, 3: << {2: [[h'00']]} >>, 9: << [23, 2]"
                      " >>}",
                      manifest, sizeof(manifest));
    size_t w = edn_with("", manifest, m, "", wrapped, sizeof(wrapped));
    tu_sha256(wrapped, w, digest);
    size_t d_len = edn_with("[-16, ", digest, 32, "]", d, sizeof(d));
    block_len[0] = block_make(protected_edn, unprotected_edn, payload,
                              tu_example_private(), d, d_len, blocks[0],
                              sizeof(blocks[0]));
    if (second != NULL)
        block_len[1] = block_make("{1: -7}", "{}", "null", second, d, d_len,
                                  blocks[1], sizeof(blocks[1]));
    char text[8192] = "[h'";
    hex_put(text, sizeof(text), d, d_len);
    for (size_t i = 0; i < 2 && block_len[i] > 0; i++) {
        strcat(text, "', h'");
        hex_put(text, sizeof(text), blocks[i], block_len[i]);
    }
    strcat(text, "']");
    size_t wl = tu_edn(text, wrapper, sizeof(wrapper));
    snprintf(text, sizeof(text), "107({2: h'");
    hex_put(text, sizeof(text), wrapper, wl);
    strcat(text, "', 3: h'");
    hex_put(text, sizeof(text), manifest, m);
    strcat(text, "'})");
    f->env_len = tu_edn(text, f->env, sizeof(f->env));
}

/* The COSE rules: alg only in the protected header, no crit, a nil
 * payload, and every block verified with a trusted key. */
static void cose_rules(void **state)
{
    fixture *f = *state;
    envelope_make(f, "{1: -7}", "{4: h'6b6964'}", "null", NULL);
    assert_int_equal(run(f, TK_SUIT_OP_BOOT), TK_OK);
    assert_int_equal(f->tp.ninvoked, 1);
    envelope_make(f, "{1: -7, 2: [4]}", "{}", "null", NULL);
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_ALG_UNSUPPORTED);
    envelope_make(f, "{}", "{1: -7}", "null", NULL);
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_ALG_UNSUPPORTED);
    envelope_make(f, "{1: -7}", "{1: -7}", "null", NULL);
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_ALG_UNSUPPORTED);
    envelope_make(f, "{1: -7}", "{}", "h'00'", NULL);
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_AUTH_PAYLOAD);
    envelope_make(f, "{1: -35}", "{}", "null", NULL);
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_ALG_UNSUPPORTED);
    assert_int_equal(f->tp.ninvoked, 1);
}

/* A second block by another signer, which the trusted key does not
 * verify, fails the envelope here, while the full processor accepts it
 * for the first block's sake. */
static void every_block_verified(void **state)
{
    fixture *f = *state;
    tk_key other;
    tk_suit_processor proc;
    tk_suit_config cfg;
    const tk_crypto *c = tu_crypto();
    tk_key_init(&other);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &other), TK_OK);
    envelope_make(f, "{1: -7}", "{}", "null", &other);
    assert_rejected(f, TK_SUIT_OP_BOOT, TK_ERR_SUIT_SIGNATURE);
    assert_int_equal(f->tp.ninvoked, 0);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = c;
    cfg.platform = &f->tp.pf;
    assert_int_equal(tk_suit_processor_init(&proc, &cfg), TK_OK);
    assert_int_equal(tk_suit_process(&proc, (tk_view){f->env, f->env_len},
                                     TK_SUIT_OP_BOOT),
                     TK_OK);
    tk_key_release(&other);
}

/* Arguments. */
static void arguments(void **state)
{
    fixture *f = *state;
    tk_suit_lite lite;
    tk_suit_lite_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(tk_suit_lite_init(NULL, &cfg), TK_ERR_INVALID_ARG);
    assert_int_equal(tk_suit_lite_init(&lite, &cfg), TK_ERR_INVALID_ARG);
    cfg.crypto = tu_crypto();
    cfg.platform = &f->tp.pf;
    assert_int_equal(tk_suit_lite_init(&lite, &cfg), TK_OK);
    sign(f, "9: << [23, 2] >>");
    assert_int_equal(tk_suit_lite_process(&lite, (tk_view){f->env, f->env_len},
                                          TK_SUIT_OP_UNINSTALL),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(tk_suit_lite_sink_write(NULL, NULL, 0),
                     TK_ERR_INVALID_ARG);
    assert_null(tk_suit_lite_error_of(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fetch_and_write, setup, teardown),
        cmocka_unit_test_setup_teardown(fetch_beyond_size, setup, teardown),
        cmocka_unit_test_setup_teardown(error_location, setup, teardown),
        cmocka_unit_test_setup_teardown(nesting_beyond_one_level, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(try_each_undoes_parameters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unknown_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_component, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(indefinite_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(authentication, setup, teardown),
        cmocka_unit_test_setup_teardown(rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(cose_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(every_block_verified, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
