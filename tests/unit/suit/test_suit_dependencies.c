/*
 * Trust domains (draft-ietf-suit-trust-domains-11): the published
 * dependency examples, the TEEP SUIT examples (a Trusted Component by
 * URI, integrated, and personalization data that depends on it), and
 * rollback protection on every path that installs: directly, as a
 * dependency, and after a failed attempt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suit_test_platform.h"
#include "suit_test_util.h"
#include "teepkit/suit.h"

static const uint8_t teep_vendor[16] = {
    0xc0, 0xdd, 0xd5, 0xf1, 0x52, 0x43, 0x56, 0x60,
    0x87, 0xdb, 0x4f, 0x5b, 0x0a, 0xa2, 0x6c, 0x2f};
static const uint8_t teep_class[16] = {
    0xdb, 0x42, 0xf7, 0x09, 0x3d, 0x8c, 0x55, 0xba,
    0xa8, 0xc5, 0x26, 0x5f, 0xc5, 0x82, 0x0f, 0x4e};
static const char ta_uri[] =
    "https://example.org/8d82573a-926d-4754-9353-32dc29997f74.ta";
static const char ta_suit_uri[] =
    "https://example.org/8d82573a-926d-4754-9353-32dc29997f74.suit";
static const char config_json[] =
    "{\"name\":\"FOO Bar\",\"secret\":\"0123456789abfcdef0123456789abcd\"}";

typedef struct fixture {
    tp_platform tp;
    tk_suit_processor proc;
    tk_suit_record records[64];
    uint8_t work[4096];
    tk_key receiver;
    uint8_t *envelope;
    size_t envelope_len;
    uint8_t *other;
    size_t other_len;
    uint8_t buf[16384];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_suit_config cfg;
    assert_non_null(f);
    tp_init(&f->tp);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    tu_key("suit/encryption/receiver-private-key-kid-2.cose.hex",
           &f->receiver);
    tp_add_key(&f->tp, TK_SUIT_KEY_DECRYPTION, -29, NULL, -1, &f->receiver);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tu_crypto();
    cfg.platform = &f->tp.pf;
    cfg.records = f->records;
    cfg.record_cap = 64;
    cfg.work = f->work;
    cfg.work_len = sizeof(f->work);
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tp_free(&f->tp);
    tk_key_release(&f->receiver);
    free(f->envelope);
    free(f->other);
    free(f);
    return 0;
}

static tk_err run(fixture *f, tk_suit_operation op)
{
    return tk_suit_process(&f->proc, (tk_view){f->envelope, f->envelope_len},
                           op);
}

/* Encodes ['TEEP-Device', 'SecureFS', <Trusted Component UUID>, last], or
 * the first three parts only when last is NULL. */
static tk_view teep_id(uint8_t *out, const char *last)
{
    static const char uuid[16] = {
        (char)0x8d, (char)0x82, 0x57, 0x3a, (char)0x92, 0x6d, 0x47, 0x54,
        (char)0x93, 0x53, 0x32, (char)0xdc, 0x29, (char)0x99, 0x7f, 0x74};
    const char *parts[4] = {"TEEP-Device", "SecureFS", uuid, last};
    size_t lens[4] = {11, 8, 16, last != NULL ? strlen(last) : 0};
    return tp_id(out, 96, last != NULL ? 4 : 3, parts, lens);
}

static tk_view text_id(uint8_t *out, const char *part)
{
    size_t len = strlen(part);
    return tp_id(out, 96, 1, &part, &len);
}

static void assert_image(fixture *f, tk_view id, const void *data,
                         size_t len)
{
    const tp_image *img = tp_image_of(&f->tp, id);
    assert_non_null(img);
    assert_int_equal(img->len, len);
    assert_memory_equal(img->data, data, len);
}

static void use_teep_ids(fixture *f)
{
    memcpy(f->tp.vendor, teep_vendor, 16);
    memcpy(f->tp.class_id, teep_class, 16);
}

/* The dependency of the trust-domains examples on its own. */
static void dependency_alone(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    f->envelope = tu_vector("suit/trust-domains/example0_dependent.hex",
                            &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE_AND_BOOT), TK_OK);
    assert_image(f, text_id(id, "00"), "hello world", 11);
    assert_int_equal(f->tp.ninvoked, 1);
    assert_int_equal(f->tp.invoked[0].args_len, 6);
    assert_memory_equal(f->tp.invoked[0].args, "cat 00", 6);
}

/* Dependency fetched by URI, integrity-checked and processed. */
static void dependency_fetched(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    f->other = tu_vector("suit/trust-domains/example0_dependent.hex",
                         &f->other_len);
    tp_add_uri(&f->tp, "http://example.com/dependent.suit", f->other,
               f->other_len);
    f->envelope = tu_vector("suit/trust-domains/example1_process.hex",
                            &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_image(f, text_id(id, "00"), "hello world", 11);
    assert_image(f, text_id(id, "10"), " in multiple trust domains", 26);
    assert_image(f, text_id(id, "dependent.suit"), f->other, f->other_len);
    assert_int_equal(f->tp.nfetches, 1);
    /* The dependency's key was requested at depth 1, naming the key that
     * verified its dependent. */
    assert_int_equal(f->tp.last_key_depth, 1);
    assert_ptr_equal(f->tp.last_dependent_signer, tu_example_public());

    /* Both manifests recorded their sequence numbers. */
    tp_component *c = tp_component_get(&f->tp, text_id(id, "depending.suit"),
                                       false);
    assert_non_null(c);
    assert_true(c->has_record);
    c = tp_component_get(&f->tp, text_id(id, "dependent.suit"), false);
    assert_true(c->has_record);
    assert_int_equal(c->record.sequence_number, 0);

    /* The invocation procedure runs the dependent's invoke only. */
    assert_int_equal(run(f, TK_SUIT_OP_BOOT), TK_OK);
    assert_int_equal(f->tp.ninvoked, 1);
    assert_memory_equal(f->tp.invoked[0].id, text_id(id, "10").ptr, 4);
    assert_memory_equal(f->tp.invoked[0].args, "cat 00 10", 9);
}

/* A fetched dependency whose bytes differ from the digest is rejected
 * before it runs. */
static void dependency_wrong_digest(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    f->other = tu_vector("suit/trust-domains/example2_integrated.hex",
                         &f->other_len);
    /* Serve another (validly signed) manifest instead. */
    tp_add_uri(&f->tp, "http://example.com/dependent.suit", f->other,
               190);
    f->envelope = tu_vector("suit/trust-domains/example1_process.hex",
                            &f->envelope_len);
    tk_err e = run(f, TK_SUIT_OP_UPDATE);
    assert_int_not_equal(e, TK_OK);
    assert_null(tp_image_of(&f->tp, text_id(id, "00")));
    assert_null(tp_image_of(&f->tp, text_id(id, "10")));
}

/* Integrated dependency: no platform fetch; processed after an image
 * match on the dependency component. */
static void dependency_integrated(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    f->envelope = tu_vector("suit/trust-domains/example2_integrated.hex",
                            &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_image(f, text_id(id, "00"), "hello world", 11);
    assert_image(f, text_id(id, "10"), " in multiple trust domains", 26);
    assert_int_equal(f->tp.nfetches, 0);
}

/* The signer of a dependency may be denied a component by the platform:
 * a dependent may only operate on what its authority allows. */
static void dependency_denied_component(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    uint8_t before[32], after[32];
    f->envelope = tu_vector("suit/trust-domains/example2_integrated.hex",
                            &f->envelope_len);
    tk_view denied = text_id(id, "00");
    f->tp.deny_depth = 1;
    memcpy(f->tp.deny_id, denied.ptr, denied.len);
    f->tp.deny_id_len = denied.len;
    tp_fingerprint(&f->tp, before);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE),
                     TK_ERR_SUIT_COMPONENT_UNAUTHORIZED);
    const tk_suit_error *err = tk_suit_processor_error(&f->proc);
    assert_int_equal(err->manifest_depth, 1);
    assert_int_equal(err->manifest_id[0], 1);
    assert_int_equal(err->command, TK_SUIT_DIR_WRITE);
    tp_fingerprint(&f->tp, after);
    assert_memory_equal(before, after, 32);
}

/* TEEP: Trusted Component fetched by URI, untagged envelope. */
static void teep_uri(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    size_t ta_len = 0;
    uint8_t *ta = tu_file(
        "suit/teep/8d82573a-926d-4754-9353-32dc29997f74.ta", &ta_len);
    use_teep_ids(f);
    tp_add_uri(&f->tp, ta_uri, ta, ta_len);
    f->envelope = tu_vector("suit/teep/suit_uri.hex.txt", &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_image(f, teep_id(id, "ta"), "Hello, Secure World!", 20);
    tp_component *c = tp_component_get(&f->tp, teep_id(id, "suit"), false);
    assert_non_null(c);
    assert_int_equal(c->record.sequence_number, 3);

    /* Uninstall unlinks the component. */
    assert_int_equal(run(f, TK_SUIT_OP_UNINSTALL), TK_OK);
    assert_int_equal(f->tp.nunlinked, 1);
    free(ta);
}

/* TEEP: Trusted Component integrated as "#tc". */
static void teep_integrated(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    use_teep_ids(f);
    f->envelope = tu_vector("suit/teep/suit_integrated.hex.txt",
                            &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_image(f, teep_id(id, "ta"), "Hello, Secure World!", 20);
    assert_int_equal(f->tp.nfetches, 0);
}

/* TEEP: another vendor's device rejects the manifest. */
static void teep_wrong_vendor(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    f->envelope = tu_vector("suit/teep/suit_integrated.hex.txt",
                            &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_VENDOR_ID);
    assert_null(tp_image_of(&f->tp, teep_id(id, "ta")));
}

/* TEEP: personalization data depending on the Trusted Component's
 * manifest, with ECDH-ES + A128KW and A128CTR encrypted content. */
static void teep_personalization(void **state)
{
    fixture *f = *state;
    uint8_t id[96];
    size_t ta_len = 0;
    uint8_t *ta = tu_file(
        "suit/teep/8d82573a-926d-4754-9353-32dc29997f74.ta", &ta_len);
    use_teep_ids(f);
    f->other = tu_vector("suit/teep/suit_uri.hex.txt", &f->other_len);
    tp_add_uri(&f->tp, ta_suit_uri, f->other, f->other_len);
    tp_add_uri(&f->tp, ta_uri, ta, ta_len);
    f->envelope = tu_vector("suit/teep/suit_personalization.hex.txt",
                            &f->envelope_len);
    f->tp.use_map = true; /* the dependency is parsed in place */
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);

    const char *parts[3] = {"TEEP-Device", "SecureFS", "config.json"};
    size_t lens[3] = {11, 8, 11};
    assert_image(f, tp_id(id, sizeof(id), 3, parts, lens), config_json,
                 strlen(config_json));
    assert_image(f, teep_id(id, "ta"), "Hello, Secure World!", 20);
    assert_image(f, teep_id(id, "suit"), f->other, f->other_len);
    assert_int_equal(f->tp.nfetches, 2);

    /* Uninstall processes the dependency's uninstall too. */
    assert_int_equal(run(f, TK_SUIT_OP_UNINSTALL), TK_OK);
    assert_int_equal(f->tp.nunlinked, 2);
    free(ta);
}

/* ---- rollback (a validly signed manifest for an installed component) -- */

/* Builds a manifest for the component ['TEEP-Device', 'SecureFS', uuid]
 * that writes content; fails is true for one whose validate fails after
 * the write. */
static void rollback_manifest(fixture *f, unsigned seq, const char *content,
                              bool fails, uint8_t **out, size_t *out_len)
{
    char validate[256];
    char text[2048];
    if (fails)
        snprintf(validate, sizeof(validate), "14, 15");
    else
        snprintf(validate, sizeof(validate), "20, {18: '%s'}, 6, 15",
                 content);
    snprintf(text, sizeof(text),
             "{1: 1, 2: %u, 3: << {2: [['TEEP-Device', 'SecureFS',"
             " h'8D82573A926D4754935332DC29997F74']]} >>,"
             " 7: << [%s] >>,"
             " 20: << [20, {18: '%s'}, 18, 15] >>}",
             seq, validate, content);
    size_t len = tu_envelope(text, NULL, NULL, 0, f->buf, sizeof(f->buf));
    *out = malloc(len);
    assert_non_null(*out);
    memcpy(*out, f->buf, len);
    *out_len = len;
}

static void rollback_install_5(fixture *f)
{
    uint8_t *env = NULL;
    size_t len = 0;
    rollback_manifest(f, 5, "version five", false, &env, &len);
    assert_int_equal(tk_suit_process(&f->proc, (tk_view){env, len},
                                     TK_SUIT_OP_UPDATE),
                     TK_OK);
    free(env);
}

static void assert_still_5(fixture *f)
{
    uint8_t id[96];
    tk_view cid = teep_id(id, NULL);
    assert_image(f, cid, "version five", 12);
    tp_component *c = tp_component_get(&f->tp, cid, false);
    assert_int_equal(c->record.sequence_number, 5);
}

/* Path (a): directly. */
static void rollback_direct(void **state)
{
    fixture *f = *state;
    rollback_install_5(f);
    rollback_manifest(f, 4, "version four", false, &f->envelope,
                      &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_ROLLBACK);
    assert_int_equal(f->tp.begins, 2);
    assert_still_5(f);
}

/* Equal sequence number with another manifest digest. */
static void rollback_equal_other_digest(void **state)
{
    fixture *f = *state;
    rollback_install_5(f);
    rollback_manifest(f, 5, "another five", false, &f->envelope,
                      &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_ROLLBACK_DIGEST);
    assert_still_5(f);
    /* The policy flag allows a deliberate downgrade. */
    tk_suit_config cfg = f->proc.cfg;
    cfg.flags |= TK_SUIT_FLAG_ALLOW_ROLLBACK;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
}

/* The same manifest may run again (the boot procedure does). */
static void rollback_same_manifest(void **state)
{
    fixture *f = *state;
    rollback_manifest(f, 5, "version five", false, &f->envelope,
                      &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_int_equal(run(f, TK_SUIT_OP_BOOT), TK_OK);
    assert_still_5(f);
}

/* Path (b): as a dependency pulled in by a newer parent (seq 10). */
static void rollback_as_dependency(void **state)
{
    fixture *f = *state;
    uint8_t *dep = NULL;
    size_t dep_len = 0;
    char dep_hex[4096];
    char parent[8192];
    char extra[8192];
    uint8_t digest_item[40];
    rollback_install_5(f);
    rollback_manifest(f, 4, "version four", false, &dep, &dep_len);

    /* The dependency's manifest digest, read from its envelope. */
    tk_suit_envelope env;
    assert_int_equal(tk_suit_envelope_decode((tk_view){dep, dep_len}, &env,
                                             NULL),
                     TK_OK);
    tu_sha256(env.manifest_wrapped.ptr, env.manifest_wrapped.len,
              digest_item);
    char digest_hex[65];
    for (size_t i = 0; i < 32; i++)
        sprintf(digest_hex + 2 * i, "%02x", digest_item[i]);
    for (size_t i = 0; i < dep_len; i++)
        sprintf(dep_hex + 2 * i, "%02x", dep[i]);
    snprintf(parent, sizeof(parent),
             "{1: 1, 2: 10, 3: << {1: {1: {1: ['dep.suit']}},"
             " 2: [['parent-data']]} >>,"
             " 20: << [12, 1, 20, {3: << [-16, h'%s'] >>, 21: \"#dep\"},"
             " 21, 15, 7, 15, 11, 15] >>}",
             digest_hex);
    snprintf(extra, sizeof(extra), "\"#dep\": h'%s'", dep_hex);
    f->envelope_len = tu_envelope(parent, extra, NULL, 0, f->buf,
                                  sizeof(f->buf));
    f->envelope = malloc(f->envelope_len);
    memcpy(f->envelope, f->buf, f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_ROLLBACK);
    const tk_suit_error *err = tk_suit_processor_error(&f->proc);
    assert_int_equal(err->command, TK_SUIT_DIR_PROCESS_DEPENDENCY);
    assert_still_5(f);
    free(dep);
}

/* Path (c): right after a failed install of sequence 6. */
static void rollback_after_failed_attempt(void **state)
{
    fixture *f = *state;
    uint8_t *six = NULL;
    size_t six_len = 0;
    rollback_install_5(f);
    rollback_manifest(f, 6, "version six", true, &six, &six_len);
    assert_int_equal(tk_suit_process(&f->proc, (tk_view){six, six_len},
                                     TK_SUIT_OP_UPDATE),
                     TK_ERR_SUIT_ABORT);
    assert_still_5(f);
    rollback_manifest(f, 4, "version four", false, &f->envelope,
                      &f->envelope_len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_ROLLBACK);
    assert_still_5(f);
    free(six);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dependency_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(dependency_fetched, setup, teardown),
        cmocka_unit_test_setup_teardown(dependency_wrong_digest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dependency_integrated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dependency_denied_component, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(teep_uri, setup, teardown),
        cmocka_unit_test_setup_teardown(teep_integrated, setup, teardown),
        cmocka_unit_test_setup_teardown(teep_wrong_vendor, setup, teardown),
        cmocka_unit_test_setup_teardown(teep_personalization, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rollback_direct, setup, teardown),
        cmocka_unit_test_setup_teardown(rollback_equal_other_digest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rollback_same_manifest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rollback_as_dependency, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rollback_after_failed_attempt, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
