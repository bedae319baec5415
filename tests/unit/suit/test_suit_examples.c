/*
 * The published SUIT manifest examples 0-5 (draft-ietf-suit-manifest-37
 * appendix B) decode, verify with the example key and run on the test
 * platform to the outcome the draft describes: which components end up
 * with which bytes, which sequences and commands ran, what was invoked.
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

/* Placeholder digests of the examples and the test images that the
 * platform reports them for. */
static const uint8_t digest_p[32] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
    0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
    0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
static const uint8_t digest_q[32] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba,
    0x98, 0x76, 0x54, 0x32, 0x10, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

#define IMAGE_P_SIZE 34768
#define IMAGE_Q_SIZE 76834
static uint8_t image_p[IMAGE_P_SIZE];
static uint8_t image_q[IMAGE_Q_SIZE];

typedef struct fixture {
    tp_platform tp;
    tk_suit_processor proc;
    tk_suit_record records[64];
    uint8_t *envelope;
    size_t envelope_len;
    uint8_t id0[3], id1[3], id2[3];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_suit_config cfg;
    assert_non_null(f);
    for (size_t i = 0; i < IMAGE_P_SIZE; i++)
        image_p[i] = (uint8_t)(i * 7u + 1u);
    for (size_t i = 0; i < IMAGE_Q_SIZE; i++)
        image_q[i] = (uint8_t)(i * 13u + 5u);
    tp_init(&f->tp);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    tp_add_alias(&f->tp, (tk_view){NULL, 0}, image_p, IMAGE_P_SIZE,
                 digest_p);
    tp_add_alias(&f->tp, (tk_view){NULL, 0}, image_q, IMAGE_Q_SIZE,
                 digest_q);
    tp_id_byte(f->id0, 0x00);
    tp_id_byte(f->id1, 0x01);
    tp_id_byte(f->id2, 0x02);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tu_crypto();
    cfg.platform = &f->tp.pf;
    cfg.records = f->records;
    cfg.record_cap = 64;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tp_free(&f->tp);
    free(f->envelope);
    free(f);
    return 0;
}

static tk_view id_view(const uint8_t id[3])
{
    return (tk_view){id, 3};
}

static void load(fixture *f, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "suit/manifest/%s.hex", name);
    free(f->envelope);
    f->envelope = tu_vector(path, &f->envelope_len);
}

static tk_err run(fixture *f, tk_suit_operation op)
{
    return tk_suit_process(&f->proc, (tk_view){f->envelope, f->envelope_len},
                           op);
}

static void assert_image(fixture *f, const uint8_t id[3], const uint8_t *data,
                         size_t len)
{
    const tp_image *img = tp_image_of(&f->tp, id_view(id));
    assert_non_null(img);
    assert_int_equal(img->len, len);
    assert_memory_equal(img->data, data, len);
}

static void assert_record(const tk_suit_record *r, int32_t section,
                          int64_t command, uint32_t component)
{
    assert_int_equal(r->section, section);
    assert_int_equal(r->command, command);
    assert_int_equal(r->component, component);
    assert_int_equal(r->result, TK_OK);
}

/* Example 0: secure boot of one component. */
static void example0_boot(void **state)
{
    fixture *f = *state;
    load(f, "example0");
    tp_set_image(&f->tp, id_view(f->id0), image_p, IMAGE_P_SIZE);
    assert_int_equal(run(f, TK_SUIT_OP_BOOT), TK_OK);

    assert_int_equal(f->tp.ninvoked, 1);
    assert_memory_equal(f->tp.invoked[0].id, f->id0, 3);
    assert_int_equal(f->tp.invoked[0].args_len, 0);
    /* Shared sequence before validate and before invoke; load is absent.
     * Invoke has policy 2 (record on failure), so it is not recorded. */
    assert_int_equal(tk_suit_processor_record_count(&f->proc), 5);
    assert_record(&f->records[0], 3, TK_SUIT_COND_VENDOR_IDENTIFIER, 0);
    assert_record(&f->records[1], 3, TK_SUIT_COND_CLASS_IDENTIFIER, 0);
    assert_record(&f->records[2], 7, TK_SUIT_COND_IMAGE_MATCH, 0);
    assert_record(&f->records[3], 3, TK_SUIT_COND_VENDOR_IDENTIFIER, 0);
    assert_record(&f->records[4], 3, TK_SUIT_COND_CLASS_IDENTIFIER, 0);
    assert_int_equal(f->records[2].measured_len, 32);
    assert_memory_equal(f->records[2].measured, digest_p, 32);
    assert_int_equal(f->tp.commits, 1);

    const tk_suit_manifest *m = tk_suit_processor_manifest(&f->proc);
    assert_non_null(m);
    assert_int_equal(m->sequence_number, 0);
    assert_int_equal(m->component_count, 1);
}

/* Example 0 fails to boot an image whose digest differs, and names the
 * failing command. */
static void example0_wrong_image(void **state)
{
    fixture *f = *state;
    load(f, "example0");
    tp_set_image(&f->tp, id_view(f->id0), image_q, 100);
    assert_int_equal(run(f, TK_SUIT_OP_BOOT), TK_ERR_SUIT_IMAGE_MISMATCH);
    const tk_suit_error *err = tk_suit_processor_error(&f->proc);
    assert_int_equal(err->code, TK_ERR_SUIT_IMAGE_MISMATCH);
    assert_int_equal(err->command, TK_SUIT_COND_IMAGE_MATCH);
    assert_int_equal(err->section, 7);
    assert_int_equal(err->section_offset, 1); /* after the array head */
    assert_int_equal(err->component, 0);
    assert_int_equal(f->tp.ninvoked, 0);
    /* The failed image match is recorded (policy 15). */
    assert_int_equal(tk_suit_processor_record_count(&f->proc), 3);
    assert_int_equal(f->records[2].result, TK_ERR_SUIT_IMAGE_MISMATCH);
}

/* Example 1: download and install, no invoke. */
static void example1_update(void **state)
{
    fixture *f = *state;
    load(f, "example1");
    tp_add_uri(&f->tp, "http://example.com/file.bin", image_p, IMAGE_P_SIZE);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);

    assert_image(f, f->id0, image_p, IMAGE_P_SIZE);
    assert_int_equal(f->tp.nfetches, 1);
    assert_int_equal(f->tp.ninvoked, 0);
    /* install: shared (2) + image-match; validate: shared (2) +
     * image-match. Fetch (policy 2) succeeded unrecorded. */
    assert_int_equal(tk_suit_processor_record_count(&f->proc), 6);
    assert_record(&f->records[2], 20, TK_SUIT_COND_IMAGE_MATCH, 0);
    assert_record(&f->records[5], 7, TK_SUIT_COND_IMAGE_MATCH, 0);

    /* The rollback record of the component is the manifest's. */
    tp_component *c = tp_component_get(&f->tp, id_view(f->id0), false);
    assert_true(c->has_record);
    assert_int_equal(c->record.sequence_number, 1);
    assert_int_equal(c->record.digest_len, 32);
}

/* Example 1 with a fetched image larger than suit-parameter-image-size. */
static void example1_oversized_fetch(void **state)
{
    fixture *f = *state;
    load(f, "example1");
    tp_add_uri(&f->tp, "http://example.com/file.bin", image_q, IMAGE_Q_SIZE);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_IMAGE_SIZE);
    assert_null(tp_image_of(&f->tp, id_view(f->id0)));
    assert_int_equal(tk_suit_processor_error(&f->proc)->command,
                     TK_SUIT_DIR_FETCH);
}

/* Example 2: severable install and text in the envelope, update then
 * boot. */
static void example2_update_and_boot(void **state)
{
    fixture *f = *state;
    load(f, "example2");
    tp_add_uri(&f->tp, "http://example.com/very/long/path/to/file/file.bin",
               image_p, IMAGE_P_SIZE);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE_AND_BOOT), TK_OK);
    assert_image(f, f->id0, image_p, IMAGE_P_SIZE);
    assert_int_equal(f->tp.ninvoked, 1);
    assert_int_equal(f->tp.commits, 2);

    const tk_suit_manifest *m = tk_suit_processor_manifest(&f->proc);
    assert_non_null(m);
    assert_int_equal(m->sequence[TK_SUIT_SECTION_INSTALL].presence,
                     TK_SUIT_PRESENT);
    assert_true(m->sequence[TK_SUIT_SECTION_INSTALL].severable);
    assert_int_equal(m->text.presence, TK_SUIT_PRESENT);
    assert_int_equal(m->reference_uri.len, strlen("https://git.io/JJYoj"));
    assert_memory_equal(m->reference_uri.ptr, "https://git.io/JJYoj", 20);
    tk_view text;
    assert_int_equal(tk_suit_text_get(m, TK_VIEW_STR("en-US"),
                                      (tk_view){NULL, 0}, 1, &text),
                     TK_OK);
    assert_true(text.len > 20);
    assert_memory_equal(text.ptr, "## Example 2: Simultaneous", 26);
    assert_int_equal(tk_suit_text_get(m, TK_VIEW_STR("fr"),
                                      (tk_view){NULL, 0}, 1, &text),
                     TK_ERR_NOT_FOUND);
}

/* Example 2 without its severed members boots, and refuses to update. */
static void example2_severed(void **state)
{
    fixture *f = *state;
    uint8_t before[32], after[32];
    load(f, "example2-signed-severed");
    tp_set_image(&f->tp, id_view(f->id0), image_p, IMAGE_P_SIZE);
    assert_int_equal(run(f, TK_SUIT_OP_BOOT), TK_OK);
    assert_int_equal(f->tp.ninvoked, 1);
    const tk_suit_manifest *m = tk_suit_processor_manifest(&f->proc);
    assert_int_equal(m->sequence[TK_SUIT_SECTION_INSTALL].presence,
                     TK_SUIT_SEVERED);
    assert_int_equal(m->text.presence, TK_SUIT_SEVERED);

    tp_fingerprint(&f->tp, before);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_SEVERED_MISSING);
    assert_int_equal(tk_suit_processor_error(&f->proc)->section, 20);
    tp_fingerprint(&f->tp, after);
    assert_memory_equal(before, after, 32);
}

/* Example 3: A/B images chosen by the component's slot. */
static void example3_slot(fixture *f, uint64_t slot, const char *uri,
                          const uint8_t *image, size_t len)
{
    load(f, "example3");
    tp_component *c = tp_component_get(&f->tp, id_view(f->id0), true);
    c->has_slot = true;
    c->slot = slot;
    tp_add_uri(&f->tp, uri, image, len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_image(f, f->id0, image, len);
    assert_int_equal(f->tp.nfetches, 1);
}

static void example3_slot_a(void **state)
{
    example3_slot(*state, 0, "http://example.com/file1.bin", image_p,
                  IMAGE_P_SIZE);
}

static void example3_slot_b(void **state)
{
    example3_slot(*state, 1, "http://example.com/file2.bin", image_q,
                  IMAGE_Q_SIZE);
}

/* Example 3 on a component in no known slot: both try-each branches fail
 * their slot condition. */
static void example3_no_slot(void **state)
{
    fixture *f = *state;
    load(f, "example3");
    tp_component *c = tp_component_get(&f->tp, id_view(f->id0), true);
    c->has_slot = true;
    c->slot = 7;
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_TRY_EACH_FAILED);
    assert_int_equal(tk_suit_processor_error(&f->proc)->command,
                     TK_SUIT_DIR_TRY_EACH);
    assert_int_equal(tk_suit_processor_error(&f->proc)->section, 3);
    assert_int_equal(f->tp.nfetches, 0);
}

/* Example 4: fetch into a staging component, install by copy, load into
 * a RAM component by copy, invoke from RAM. */
static void example4_load(void **state)
{
    fixture *f = *state;
    load(f, "example4");
    tp_add_uri(&f->tp, "http://example.com/file.bin", image_p, IMAGE_P_SIZE);
    /* The loaded image in RAM has the example's second digest. */
    f->tp.naliases = 0;
    tp_add_alias(&f->tp, id_view(f->id1), image_p, IMAGE_P_SIZE, digest_q);
    tp_add_alias(&f->tp, (tk_view){NULL, 0}, image_p, IMAGE_P_SIZE,
                 digest_p);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE_AND_BOOT), TK_OK);
    assert_image(f, f->id2, image_p, IMAGE_P_SIZE);  /* staging */
    assert_image(f, f->id0, image_p, IMAGE_P_SIZE);  /* installed */
    assert_image(f, f->id1, image_p, IMAGE_P_SIZE);  /* loaded to RAM */
    assert_int_equal(f->tp.ninvoked, 1);
    assert_memory_equal(f->tp.invoked[0].id, f->id1, 3);
#if TK_SUIT_MAX_CACHED_COMMANDS >= 20 && TK_SUIT_MAX_CACHED_SEQUENCES >= 6 && \
    TK_SUIT_MAX_CACHED_PARAMS >= 10 && TK_SUIT_MAX_CACHED_MAPS >= 4
    /* Each sequence and parameter map was decoded once, although the
     * shared sequence ran six times and validate twice: the shared, fetch,
     * install, validate, load and invoke sequences (20 commands) and the
     * parameter maps of shared, fetch, install and load (10 parameters). */
    assert_int_equal(f->proc.sequence_count, 6);
    assert_int_equal(f->proc.command_count, 20);
    assert_int_equal(f->proc.cached_map_count, 4);
    assert_int_equal(f->proc.cached_param_count, 10);
#endif
}

/* Example 5: two images, one component index per sequence. */
static void example5_two_images(void **state)
{
    fixture *f = *state;
    load(f, "example5");
    tp_add_uri(&f->tp, "http://example.com/file1.bin", image_p, IMAGE_P_SIZE);
    tp_add_uri(&f->tp, "http://example.com/file2.bin", image_q, IMAGE_Q_SIZE);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE_AND_BOOT), TK_OK);
    assert_image(f, f->id0, image_p, IMAGE_P_SIZE);
    assert_image(f, f->id1, image_q, IMAGE_Q_SIZE);
    assert_int_equal(f->tp.nfetches, 2);
    assert_int_equal(f->tp.ninvoked, 1);
    assert_memory_equal(f->tp.invoked[0].id, f->id0, 3);
}

/* Every example verifies with the example key through the public API. */
static void examples_verify(void **state)
{
    fixture *f = *state;
    const char *names[] = {"example0", "example1", "example2", "example3",
                           "example4", "example5", "example2-signed-severed"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        tk_suit_envelope env;
        tk_suit_manifest m;
        tk_suit_error err;
        load(f, names[i]);
        tk_view in = {f->envelope, f->envelope_len};
        assert_int_equal(tk_suit_envelope_decode(in, &env, &err), TK_OK);
        assert_true(env.tagged);
        assert_false(env.verified);
        assert_int_equal(tk_suit_manifest_decode(&env, tu_crypto(), 0, &m,
                                                 &err),
                         TK_ERR_SUIT_NOT_VERIFIED);
        assert_int_equal(tk_suit_envelope_verify(&env, tu_crypto(),
                                                 f->tp.pf.find_key, &f->tp,
                                                 0, (tk_view){NULL, 0}, &err),
                         TK_OK);
        assert_true(env.verified);
        assert_ptr_equal(env.signer, tu_example_public());
        assert_int_equal(env.auth_block_count, 1);
        assert_int_equal(tk_suit_manifest_decode(&env, tu_crypto(), 0, &m,
                                                 &err),
                         TK_OK);
        assert_int_equal(m.version, 1);
        assert_int_equal(m.sequence_number, i < 6 ? i : 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(examples_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(example0_boot, setup, teardown),
        cmocka_unit_test_setup_teardown(example0_wrong_image, setup, teardown),
        cmocka_unit_test_setup_teardown(example1_update, setup, teardown),
        cmocka_unit_test_setup_teardown(example1_oversized_fetch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(example2_update_and_boot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(example2_severed, setup, teardown),
        cmocka_unit_test_setup_teardown(example3_slot_a, setup, teardown),
        cmocka_unit_test_setup_teardown(example3_slot_b, setup, teardown),
        cmocka_unit_test_setup_teardown(example3_no_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(example4_load, setup, teardown),
        cmocka_unit_test_setup_teardown(example5_two_images, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
