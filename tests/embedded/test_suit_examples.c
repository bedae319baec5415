/*
 * The published SUIT manifest examples 0-5 (draft-ietf-suit-manifest-37
 * appendix B) and the dependency examples of
 * draft-ietf-suit-trust-domains-11 appendix B on Cortex-M4. Each verifies
 * with the published ES256 key and runs on the device platform to the
 * outcome the draft describes. Altered envelopes, a wrong device and a
 * rollback fail with their specific errors and leave the components
 * unchanged.
 */
#include "suit_examples.h"
#include "suit_vectors.h"
#include "target_util.h"
#include "tk_dev_platform.h"
#include "tk_runner.h"

#define RECORDS 32

static uint8_t storage[256 * 1024] __attribute__((section(".tk_storage")));
static tk_suit_processor processor;
static tkd_platform platform;
static tk_suit_record records[RECORDS];
static tk_key example_key;
/* A copy of an envelope to alter. */
static uint8_t envelope[1024];

/* Empties the platform, prepares it for example ex and starts a
 * processor that keeps records. */
static tk_err setup(const tke_example *ex)
{
    tk_suit_config cfg;

    tkd_init(&platform, tkt_crypto(), &example_key, storage,
             sizeof(storage));
    tk_err err = tke_example_setup(&platform, ex);
    if (err != TK_OK) {
        return err;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tkt_crypto();
    cfg.platform = &platform.pf;
    cfg.records = records;
    cfg.record_cap = RECORDS;
    return tk_suit_processor_init(&processor, &cfg);
}

static const tke_example *example(const char *name)
{
    for (size_t i = 0; i < tke_example_count; i++) {
        if (strcmp(tke_examples[i].name, name) == 0) {
            return &tke_examples[i];
        }
    }
    return NULL;
}

static tk_err run(const tke_example *ex, tk_suit_operation op)
{
    return tk_suit_process(&processor, (tk_view){ex->envelope, ex->len}, op);
}

static bool invoked(tk_view id)
{
    return platform.invoked_id_len == id.len &&
           memcmp(platform.invoked_id, id.ptr, id.len) == 0;
}

/* Every example decodes, verifies with the example key and decodes its
 * manifest through the public calls, one step at a time. */
static void examples_verify(void)
{
    for (size_t i = 0; i < tke_example_count; i++) {
        const tke_example *ex = &tke_examples[i];
        tk_suit_envelope env;
        tk_suit_manifest m;
        tk_suit_error err;

        TK_CHECK_OK(setup(ex));
        TK_CHECK_OK(tk_suit_envelope_decode((tk_view){ex->envelope, ex->len},
                                            &env, &err));
        TK_CHECK(env.tagged);
        TK_CHECK(!env.verified);
        TK_CHECK_ERR(tk_suit_manifest_decode(&env, tkt_crypto(), 0, &m, &err),
                     TK_ERR_SUIT_NOT_VERIFIED);
        TK_CHECK_OK(tk_suit_envelope_verify(&env, tkt_crypto(),
                                            platform.pf.find_key, &platform,
                                            0, (tk_view){NULL, 0}, &err));
        TK_CHECK(env.verified);
        TK_CHECK(env.signer == &example_key);
        TK_CHECK_INT(env.auth_block_count, 1);
        TK_CHECK_ERR(tk_suit_manifest_decode(&env, tkt_crypto(), 0, &m, &err),
                     tke_example_expected(ex));
        if (tke_example_expected(ex) != TK_OK) {
            continue;
        }
        TK_CHECK_INT(m.version, 1);
        TK_CHECK_INT(m.sequence_number, ex->sequence);
    }
}

/* Example 0: secure boot of the installed image, recorded as the draft's
 * reporting policies ask. */
static void example0_boot(void)
{
    const tke_example *ex = example("example0");

    TK_CHECK_OK(setup(ex));
    TK_CHECK_OK(run(ex, ex->op));
    TK_CHECK_INT(platform.invokes, 1);
    TK_CHECK(invoked(tke_id0));
    TK_CHECK_INT(platform.commits, 1);
    /* The shared sequence before validate and before invoke, and the
     * image match of validate. */
    TK_CHECK_INT(tk_suit_processor_record_count(&processor), 5);
    TK_CHECK_INT(records[2].section, TK_SUIT_MANIFEST_VALIDATE);
    TK_CHECK_INT(records[2].command, TK_SUIT_COND_IMAGE_MATCH);
    TK_CHECK_INT(records[2].measured_len, 32);
    TK_CHECK_MEM(records[2].measured, tke_digest_p, 32);
}

/* Example 0 refuses to boot an image with another digest and names the
 * failing command. */
static void example0_wrong_image(void)
{
    const tke_example *ex = example("example0");
    const tk_suit_error *err;

    TK_CHECK_OK(setup(ex));
    TK_CHECK_OK(tkd_set_image(&platform, tke_id0, &tke_image_q));
    TK_CHECK_ERR(run(ex, ex->op), TK_ERR_SUIT_IMAGE_MISMATCH);
    err = tk_suit_processor_error(&processor);
    TK_CHECK_INT(err->command, TK_SUIT_COND_IMAGE_MATCH);
    TK_CHECK_INT(err->section, TK_SUIT_MANIFEST_VALIDATE);
    TK_CHECK_INT(err->component, 0);
    TK_CHECK_INT(platform.invokes, 0);
    TK_CHECK_INT(platform.discards, 1);
}

/* Example 1: download and install; the rollback record is the
 * manifest's. */
static void example1_update(void)
{
    const tke_example *ex = example("example1");
    tkd_component *c;

    TK_CHECK_OK(setup(ex));
    TK_CHECK_OK(run(ex, ex->op));
    TK_CHECK(tkd_image_is(&platform, tke_id0, &tke_image_p));
    TK_CHECK_INT(platform.fetches, 1);
    TK_CHECK_INT(platform.invokes, 0);
    c = tkd_component_get(&platform, tke_id0, false);
    TK_CHECK(c != NULL);
    TK_CHECK(c->has_record);
    TK_CHECK_INT(c->record.sequence_number, 1);
    TK_CHECK_INT(c->record.digest_len, 32);
}

/* Example 1 with a payload larger than suit-parameter-image-size stops
 * the fetch and installs nothing. */
static void example1_oversized_fetch(void)
{
    const tke_example *ex = example("example1");
    tkd_payload big = tke_image_q;

    TK_CHECK_OK(setup(ex));
    platform.payload_count = 0;
    big.uri = "http://example.com/file.bin";
    TK_CHECK_OK(tkd_add_payload(&platform, &big));
    TK_CHECK_ERR(run(ex, ex->op), TK_ERR_SUIT_IMAGE_SIZE);
    TK_CHECK_INT(tk_suit_processor_error(&processor)->command,
                 TK_SUIT_DIR_FETCH);
    TK_CHECK(!tkd_image_is(&platform, tke_id0, &tke_image_q));
    TK_CHECK_INT(platform.commits, 0);
}

/* Example 2: severable install and text, update then boot. */
static void example2_update_and_boot(void)
{
    const tke_example *ex = example("example2");
    const tk_suit_manifest *m;
    tk_view text;

    TK_CHECK_OK(setup(ex));
    TK_CHECK_OK(run(ex, ex->op));
    TK_CHECK(tkd_image_is(&platform, tke_id0, &tke_image_p));
    TK_CHECK_INT(platform.invokes, 1);
    TK_CHECK_INT(platform.commits, 2);
    m = tk_suit_processor_manifest(&processor);
    TK_CHECK(m != NULL);
    TK_CHECK_INT(m->sequence[TK_SUIT_SECTION_INSTALL].presence,
                 TK_SUIT_PRESENT);
    TK_CHECK(m->sequence[TK_SUIT_SECTION_INSTALL].severable);
    if (!TK_SUIT_WITH_TEXT) {
        TK_CHECK_ERR(tk_suit_text_get(m, TK_VIEW_STR("en-US"),
                                      (tk_view){NULL, 0}, 1, &text),
                     TK_ERR_UNSUPPORTED);
        return;
    }
    TK_CHECK_OK(tk_suit_text_get(m, TK_VIEW_STR("en-US"), (tk_view){NULL, 0},
                                 1, &text));
    TK_CHECK(text.len > 26);
    TK_CHECK_MEM(text.ptr, "## Example 2: Simultaneous", 26);
}

/* Example 2 without its severed members boots but cannot update, and the
 * failed update leaves the installed image. */
static void example2_severed(void)
{
    const tke_example *ex = example("example2-severed");

    TK_CHECK_OK(setup(ex));
    TK_CHECK_OK(run(ex, TK_SUIT_OP_BOOT));
    TK_CHECK_INT(platform.invokes, 1);
    TK_CHECK_INT(tk_suit_processor_manifest(&processor)->text.presence,
                 TK_SUIT_SEVERED);
    TK_CHECK_ERR(run(ex, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_SEVERED_MISSING);
    TK_CHECK_INT(tk_suit_processor_error(&processor)->section,
                 TK_SUIT_MANIFEST_INSTALL);
    TK_CHECK(tkd_image_is(&platform, tke_id0, &tke_image_p));
}

/* Example 3: the component's slot picks the image. */
static void example3_slots(void)
{
    const tke_example *a = example("example3-slot-a");
    const tke_example *b = example("example3-slot-b");

    TK_CHECK_OK(setup(a));
    TK_CHECK_OK(run(a, a->op));
    TK_CHECK(tkd_image_is(&platform, tke_id0, &tke_image_p));
    TK_CHECK_INT(platform.fetches, 1);

    TK_CHECK_OK(setup(b));
    TK_CHECK_OK(run(b, b->op));
    TK_CHECK(tkd_image_is(&platform, tke_id0, &tke_image_q));
    TK_CHECK_INT(platform.fetches, 1);
}

/* Example 3 on a slot that neither branch of try-each accepts. */
static void example3_unknown_slot(void)
{
    const tke_example *ex = example("example3-slot-a");

    TK_CHECK_OK(setup(ex));
    tkd_component_get(&platform, tke_id0, false)->slot = 7;
    TK_CHECK_ERR(run(ex, ex->op), TK_ERR_SUIT_TRY_EACH_FAILED);
    TK_CHECK_INT(tk_suit_processor_error(&processor)->command,
                 TK_SUIT_DIR_TRY_EACH);
    TK_CHECK_INT(platform.fetches, 0);
}

/* Example 4: fetch to staging, install by copy, load into RAM by copy,
 * invoke from RAM. */
static void example4_load(void)
{
    const tke_example *ex = example("example4");

    TK_CHECK_OK(setup(ex));
    TK_CHECK_OK(run(ex, ex->op));
    TK_CHECK(tkd_image_is(&platform, tke_id2, &tke_image_p));
    TK_CHECK(tkd_image_is(&platform, tke_id0, &tke_image_p));
    TK_CHECK(tkd_image_is(&platform, tke_id1, &tke_image_p));
    TK_CHECK_INT(platform.invokes, 1);
    TK_CHECK(invoked(tke_id1));
}

/* Example 5: two images, one component index per sequence. */
static void example5_two_images(void)
{
    const tke_example *ex = example("example5");

    TK_CHECK_OK(setup(ex));
    TK_CHECK_OK(run(ex, ex->op));
    TK_CHECK(tkd_image_is(&platform, tke_id0, &tke_image_p));
    TK_CHECK(tkd_image_is(&platform, tke_id1, &tke_image_q));
    TK_CHECK_INT(platform.fetches, 2);
    TK_CHECK(invoked(tke_id0));
}

/* Encoded component identifiers ['00'] and ['10'] of the trust-domains
 * examples. */
static const uint8_t text_id_00[] = {0x81, 0x42, '0', '0'};
static const uint8_t text_id_10[] = {0x81, 0x42, '1', '0'};

static bool image_equals(const uint8_t *id, size_t id_len, const char *text)
{
    tkd_component *c = tkd_component_get(&platform, (tk_view){id, id_len},
                                         false);
    size_t len = strlen(text);

    return c != NULL && c->active.present && c->active.len == len &&
           memcmp(c->active.data, text, len) == 0;
}

/* The dependency of the trust-domains examples on its own: it writes
 * "hello world" into ['00'] and invokes it with arguments. */
static void dependency_alone(void)
{
    const tke_example *ex = example("dependency");

    TK_CHECK_OK(setup(ex));
    TK_CHECK_OK(run(ex, ex->op));
    TK_CHECK(image_equals(text_id_00, sizeof(text_id_00), "hello world"));
    TK_CHECK_INT(platform.invokes, 1);
    TK_CHECK(invoked((tk_view){text_id_00, sizeof(text_id_00)}));
}

/* The same dependency integrated into its dependent: checked against the
 * dependent's digest, processed, and both payloads written. A build
 * without dependencies rejects the dependent and writes nothing. */
static void dependency_integrated(void)
{
    const tke_example *ex = example("integrated-dependency");

    TK_CHECK_OK(setup(ex));
    if (!TK_SUIT_WITH_DEPENDENCIES) {
        TK_CHECK_ERR(run(ex, ex->op), TK_ERR_SUIT_UNKNOWN_MEMBER);
        TK_CHECK(!image_equals(text_id_00, sizeof(text_id_00),
                               "hello world"));
        TK_CHECK_INT(platform.commits, 0);
        return;
    }
    TK_CHECK_OK(run(ex, ex->op));
    TK_CHECK(image_equals(text_id_00, sizeof(text_id_00), "hello world"));
    TK_CHECK(image_equals(text_id_10, sizeof(text_id_10),
                          " in multiple trust domains"));
    TK_CHECK_INT(platform.fetches, 0);
    TK_CHECK_INT(platform.commits, 1);
}

/* A flipped bit in example 1's signature, or in its manifest, is
 * rejected before any command runs. */
static void altered_envelope(void)
{
    const tke_example *ex = example("example1");
    size_t at = 0;

    TK_CHECK(ex->len <= sizeof(envelope));
    /* The signature follows its head 58 40 after the nil payload f6. */
    while (at + 3 < ex->len && memcmp(ex->envelope + at, "\xf6\x58\x40", 3)) {
        at++;
    }
    TK_CHECK(at + 3 + 64 <= ex->len);

    TK_CHECK_OK(setup(ex));
    memcpy(envelope, ex->envelope, ex->len);
    envelope[at + 3 + 10] ^= 1;
    TK_CHECK_ERR(tk_suit_process(&processor, (tk_view){envelope, ex->len},
                                 ex->op),
                 TK_ERR_SUIT_SIGNATURE);

    memcpy(envelope, ex->envelope, ex->len);
    envelope[ex->len - 1] ^= 1;
    TK_CHECK_ERR(tk_suit_process(&processor, (tk_view){envelope, ex->len},
                                 ex->op),
                 TK_ERR_SUIT_MANIFEST_DIGEST);
    TK_CHECK_INT(platform.fetches, 0);
    TK_CHECK_INT(platform.commits, 0);
}

/* A manifest signed by a key the device does not trust. */
static void untrusted_signer(void)
{
    const tke_example *ex = example("example0");

    TK_CHECK_OK(setup(ex));
    platform.manifest_key = NULL;
    TK_CHECK_ERR(run(ex, ex->op), TK_ERR_SUIT_KEY_NOT_FOUND);
    TK_CHECK_INT(platform.invokes, 0);
}

/* A device of another vendor stops at the shared sequence. */
static void other_vendor(void)
{
    const tke_example *ex = example("example1");
    static const uint8_t vendor[16] = {0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad,
                                       0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63,
                                       0xe4, 0xd4, 0x1f, 0xff};

    TK_CHECK_OK(setup(ex));
    platform.vendor_id = (tk_view){vendor, sizeof(vendor)};
    TK_CHECK_ERR(run(ex, ex->op), TK_ERR_SUIT_VENDOR_ID);
    TK_CHECK_INT(tk_suit_processor_error(&processor)->command,
                 TK_SUIT_COND_VENDOR_IDENTIFIER);
    TK_CHECK_INT(platform.fetches, 0);
}

/* Example 1 (sequence number 1) after example 5 (sequence number 5) on
 * the same component is a rollback. */
static void rollback_rejected(void)
{
    const tke_example *newer = example("example5");
    const tke_example *older = example("example1");

    TK_CHECK_OK(setup(newer));
    TK_CHECK_OK(run(newer, TK_SUIT_OP_UPDATE));
    TK_CHECK_ERR(run(older, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_ROLLBACK);
    TK_CHECK(tkd_image_is(&platform, tke_id0, &tke_image_p));
    TK_CHECK(tkd_image_is(&platform, tke_id1, &tke_image_q));
}

int main(void)
{
    static const tk_runner_case cases[] = {
        TK_RUNNER_CASE(examples_verify),
        TK_RUNNER_CASE(example0_boot),
        TK_RUNNER_CASE(example0_wrong_image),
        TK_RUNNER_CASE(example1_update),
        TK_RUNNER_CASE(example1_oversized_fetch),
        TK_RUNNER_CASE(example2_update_and_boot),
        TK_RUNNER_CASE(example2_severed),
        TK_RUNNER_CASE(example3_slots),
        TK_RUNNER_CASE(example3_unknown_slot),
        TK_RUNNER_CASE(example4_load),
        TK_RUNNER_CASE(example5_two_images),
        TK_RUNNER_CASE(dependency_alone),
        TK_RUNNER_CASE(dependency_integrated),
        TK_RUNNER_CASE(altered_envelope),
        TK_RUNNER_CASE(untrusted_signer),
        TK_RUNNER_CASE(other_vendor),
        TK_RUNNER_CASE(rollback_rejected),
    };

    if (tkt_crypto() == NULL ||
        tke_example_key(tkt_crypto(), &example_key) != TK_OK) {
        return 100;
    }
    return tk_runner_main("SUIT examples", cases,
                          sizeof(cases) / sizeof(cases[0]));
}
