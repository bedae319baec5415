/*
 * Mutated manifests: each wrong digest, signature, identifier, sequence
 * number, component index, severed member, truncation, duplicate key,
 * attached authentication payload and unsupported algorithm is rejected
 * with its own error code, and the platform's components are unchanged.
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
#include "teepkit/cose.h"
#include "teepkit/suit.h"

/* A manifest in the shape of example 1, with the example identifiers. */
#define VENDOR "h'fa6b4a53d5ad5fdfbe9de663e4d41ffe'"
#define CLASS "h'1492af1425695e48bf429b2d51f2ab45'"
#define IMAGE "'firmware image'"
#define IMAGE_DIGEST                                                         \
    "h'a1d4f0d2d3e1c0c1dfc2c3c1f9e3d6c0f5f2f1f7b0ccd1d2e1d3c8d0f2d1e0e5'"

typedef struct fixture {
    tp_platform tp;
    tk_suit_processor proc;
    uint8_t env[8192];
    size_t env_len;
    uint8_t fingerprint[32];
    uint8_t image_id[3];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_suit_config cfg;
    assert_non_null(f);
    tp_init(&f->tp);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    tp_id_byte(f->image_id, 0x00);
    /* An installed image and record that every failure must keep. */
    tp_set_image(&f->tp, (tk_view){f->image_id, 3},
                 (const uint8_t *)"old image", 9);
    tp_set_record(&f->tp, (tk_view){f->image_id, 3}, 1, NULL, 0);
    tp_add_uri(&f->tp, "http://example.com/file.bin",
               (const uint8_t *)"firmware image", 14);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tu_crypto();
    cfg.platform = &f->tp.pf;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
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

/* Returns the lowercase hex of data in a static buffer. */
static const char *hex(const uint8_t *data, size_t len)
{
    static char out[2][16384];
    static int which;
    char *o = out[which ^= 1];
    for (size_t i = 0; i < len && 2 * i + 2 < sizeof(out[0]); i++)
        sprintf(o + 2 * i, "%02x", data[i]);
    o[2 * len] = 0;
    return o;
}

/* The manifest of the tests, with seq, vendor and class substituted. */
static const char *manifest_text(unsigned seq, const char *vendor,
                                 const char *klass)
{
    static char text[2048];
    snprintf(text, sizeof(text),
             "{1: 1, 2: %u, 3: << {2: [[h'00']], 4: << [20, {1: %s, 2: %s,"
             " 3: << [-16, h'%s'] >>, 14: 14}, 1, 15, 2, 15] >>} >>,"
             " 7: << [3, 15] >>,"
             " 20: << [20, {21: \"http://example.com/file.bin\"}, 21, 2,"
             " 3, 15] >>}",
             seq, vendor, klass, "%s");
    /* The image digest: SHA-256 of "firmware image". */
    static char filled[2048];
    uint8_t d[32];
    tu_sha256((const uint8_t *)"firmware image", 14, d);
    snprintf(filled, sizeof(filled), text, hex(d, 32));
    return filled;
}

static void sign(fixture *f, const char *manifest, const char *extra)
{
    f->env_len = tu_envelope(manifest, extra, NULL, 0, f->env,
                             sizeof(f->env));
}

static tk_err run(fixture *f)
{
    return tk_suit_process(&f->proc, (tk_view){f->env, f->env_len},
                           TK_SUIT_OP_UPDATE);
}

/* Asserts that processing fails with code and changes nothing. */
static void assert_rejected(fixture *f, tk_err code)
{
    uint8_t after[32];
    tk_err e = run(f);
    if (e != code)
        fail_msg("expected %s, got %s", tk_errname(code), tk_errname(e));
    assert_int_equal(tk_suit_processor_error(&f->proc)->code, code);
    tp_fingerprint(&f->tp, after);
    assert_memory_equal(f->fingerprint, after, 32);
}

/* The unmodified manifest installs: the baseline of every mutation. */
static void baseline_installs(void **state)
{
    fixture *f = *state;
    sign(f, manifest_text(2, VENDOR, CLASS), NULL);
    assert_int_equal(run(f), TK_OK);
    const tp_image *img = tp_image_of(&f->tp, (tk_view){f->image_id, 3});
    assert_non_null(img);
    assert_memory_equal(img->data, "firmware image", 14);
}

/* Finds needle in the envelope; fails the test when absent. */
static size_t find(fixture *f, const uint8_t *needle, size_t len)
{
    for (size_t i = 0; i + len <= f->env_len; i++)
        if (memcmp(f->env + i, needle, len) == 0)
            return i;
    fail_msg("pattern not found");
    return 0;
}

static void wrong_digest(void **state)
{
    fixture *f = *state;
    tk_suit_envelope env;
    sign(f, manifest_text(2, VENDOR, CLASS), NULL);
    assert_int_equal(tk_suit_envelope_decode((tk_view){f->env, f->env_len},
                                             &env, NULL),
                     TK_OK);
    /* The digest's last byte, inside the authentication wrapper. */
    size_t at = find(f, (const uint8_t *)"\x82\x2f\x58\x20", 4) + 4 + 31;
    f->env[at] ^= 0x01;
    assert_rejected(f, TK_ERR_SUIT_MANIFEST_DIGEST);
    assert_int_equal(f->tp.begins, 0);
}

static void wrong_signature(void **state)
{
    fixture *f = *state;
    sign(f, manifest_text(2, VENDOR, CLASS), NULL);
    size_t at = find(f, (const uint8_t *)"\xf6\x58\x40", 3) + 3 + 10;
    f->env[at] ^= 0x01;
    assert_rejected(f, TK_ERR_SUIT_SIGNATURE);
}

static void unknown_signer(void **state)
{
    fixture *f = *state;
    f->tp.nkeys = 0;
    sign(f, manifest_text(2, VENDOR, CLASS), NULL);
    assert_rejected(f, TK_ERR_SUIT_KEY_NOT_FOUND);
}

static void wrong_vendor(void **state)
{
    fixture *f = *state;
    sign(f, manifest_text(2, "h'fa6b4a53d5ad5fdfbe9de663e4d41fff'", CLASS),
         NULL);
    assert_rejected(f, TK_ERR_SUIT_VENDOR_ID);
    assert_int_equal(tk_suit_processor_error(&f->proc)->command,
                     TK_SUIT_COND_VENDOR_IDENTIFIER);
}

static void wrong_class(void **state)
{
    fixture *f = *state;
    sign(f, manifest_text(2, VENDOR, "h'1492af1425695e48bf429b2d51f2ab46'"),
         NULL);
    assert_rejected(f, TK_ERR_SUIT_CLASS_ID);
}

static void rolled_back_sequence(void **state)
{
    fixture *f = *state;
    sign(f, manifest_text(0, VENDOR, CLASS), NULL);
    assert_rejected(f, TK_ERR_SUIT_ROLLBACK);
}

static void component_index_out_of_range(void **state)
{
    fixture *f = *state;
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>,"
         " 20: << [12, 1, 20, {18: 'x'}, 18, 15] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_COMPONENT_INDEX);
    assert_int_equal(tk_suit_processor_error(&f->proc)->command,
                     TK_SUIT_DIR_SET_COMPONENT_INDEX);
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00'], [h'01']]} >>,"
         " 20: << [12, [0, 2], 20, {18: 'x'}, 18, 15] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_COMPONENT_INDEX);
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>,"
         " 20: << [20, {22: 4}, 22, 15] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_COMPONENT_INDEX);
}

/* A severed install whose envelope copy does not match its digest. */
static void severed_bad_digest(void **state)
{
    fixture *f = *state;
    uint8_t install[256];
    uint8_t wrapped[300];
    uint8_t digest[32];
    char text[4096];
    char extra[1024];
    size_t len = tu_edn("[20, {21: \"http://example.com/file.bin\"}, 21, 2]",
                        install, sizeof(install));
    /* The digest covers the bstr-wrapped member. */
    assert_true(len >= 24 && len < 256);
    if (len < 24 || len >= 256)
        return; /* unreachable; tells the optimizer that len - 1 is valid */
    wrapped[0] = 0x58;
    wrapped[1] = (uint8_t)len;
    memcpy(wrapped + 2, install, len);
    tu_sha256(wrapped, len + 2, digest);
    snprintf(text, sizeof(text),
             "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>, 20: [-16, h'%s']}",
             hex(digest, 32));
    install[len - 1] ^= 0x01; /* reporting policy 2 becomes 3 */
    snprintf(extra, sizeof(extra), "20: h'%s'", hex(install, len));
    sign(f, text, extra);
    assert_rejected(f, TK_ERR_SUIT_SEVERED_DIGEST);

    /* With the right member the same manifest installs. */
    install[len - 1] ^= 0x01;
    snprintf(extra, sizeof(extra), "20: h'%s'", hex(install, len));
    sign(f, text, extra);
    assert_int_equal(run(f), TK_OK);
}

/* Every truncation of a valid envelope is rejected before any effect. */
static void truncated_everywhere(void **state)
{
    fixture *f = *state;
    sign(f, manifest_text(2, VENDOR, CLASS), NULL);
    size_t full = f->env_len;
    for (size_t n = 0; n < full; n++) {
        tk_err e = tk_suit_process(&f->proc, (tk_view){f->env, n},
                                   TK_SUIT_OP_UPDATE);
        if (e == TK_OK)
            fail_msg("truncation at %zu accepted", n);
        assert_int_equal(f->tp.begins, 0);
    }
    uint8_t after[32];
    tp_fingerprint(&f->tp, after);
    assert_memory_equal(f->fingerprint, after, 32);
    /* The decoder names the truncation. */
    assert_int_equal(tk_suit_process(&f->proc, (tk_view){f->env, full - 1},
                                     TK_SUIT_OP_UPDATE),
                     TK_ERR_CBOR_TRUNCATED);
}

static void duplicate_keys(void **state)
{
    fixture *f = *state;
    /* In the manifest map. */
    sign(f, "{1: 1, 2: 2, 2: 3, 3: << {2: [[h'00']]} >>}", NULL);
    assert_rejected(f, TK_ERR_SUIT_DUPLICATE_KEY);
    /* In suit-common. */
    sign(f, "{1: 1, 2: 2, 3: << {2: [[h'00']], 2: [[h'01']]} >>}", NULL);
    assert_rejected(f, TK_ERR_SUIT_DUPLICATE_KEY);
    /* In a parameter map (faults row 4: SUIT parameter map). */
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>,"
         " 20: << [20, {18: 'a', 18: 'b'}, 18, 15] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_DUPLICATE_KEY);
    /* In override-multiple, copy-params and suit-dependencies, and a
     * custom parameter outside -64..63. */
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>,"
         " 20: << [34, {0: {18: 'a'}, 0: {18: 'b'}}] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_DUPLICATE_KEY);
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>,"
         " 20: << [35, {0: [18], 0: [19]}] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_DUPLICATE_KEY);
    sign(f,
         "{1: 1, 2: 2, 3: << {1: {1: {1: ['d']}, 1: {1: ['e']}},"
         " 2: [[h'00']]} >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_DUPLICATE_KEY);
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>,"
         " 20: << [20, {-300: 1, -300: 2}] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_DUPLICATE_KEY);
    /* In the envelope (two integrated payloads with one key): rejected
     * before any procedure starts. */
    f->tp.begins = 0;
    sign(f, "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>}",
         "\"#a\": h'00', \"#a\": h'01'");
    assert_rejected(f, TK_ERR_SUIT_DUPLICATE_KEY);
    assert_int_equal(f->tp.begins, 0);
}

/* Builds an envelope from a manifest and a prebuilt authentication
 * block. */
static void envelope_with_block(fixture *f, const uint8_t *manifest,
                                size_t manifest_len, const uint8_t *digest,
                                size_t digest_len, const uint8_t *block,
                                size_t block_len)
{
    char text[16384];
    snprintf(text, sizeof(text), "107({2: << [h'%s', h'%s'] >>, 3: h'%s'})",
             hex(digest, digest_len), hex(block, block_len),
             hex(manifest, manifest_len));
    /* hex() keeps two buffers, so the third call reuses the first. */
    char manifest_hex[8192];
    snprintf(manifest_hex, sizeof(manifest_hex), "%s",
             hex(manifest, manifest_len));
    snprintf(text, sizeof(text), "107({2: << [h'%s', h'%s'] >>, 3: h'%s'})",
             hex(digest, digest_len), hex(block, block_len), manifest_hex);
    f->env_len = tu_edn(text, f->env, sizeof(f->env));
}

/* The SUIT_Digest item of a manifest. */
static size_t digest_item(const uint8_t *manifest, size_t len, uint8_t *out)
{
    uint8_t wrapped[4096];
    uint8_t d[32];
    size_t head = len < 24 ? 1 : len < 256 ? 2 : 3;
    if (head == 1) {
        wrapped[0] = (uint8_t)(0x40 | len);
    } else if (head == 2) {
        wrapped[0] = 0x58;
        wrapped[1] = (uint8_t)len;
    } else {
        wrapped[0] = 0x59;
        wrapped[1] = (uint8_t)(len >> 8);
        wrapped[2] = (uint8_t)len;
    }
    memcpy(wrapped + head, manifest, len);
    tu_sha256(wrapped, len + head, d);
    out[0] = 0x82;
    out[1] = 0x2f;
    out[2] = 0x58;
    out[3] = 0x20;
    memcpy(out + 4, d, 32);
    return 36;
}

/* Faults row 10: a COSE_Sign1 authentication block with a payload, even a
 * validly signed one, is rejected; the wrapper's digest is the only one
 * used. */
static void attached_auth_payload(void **state)
{
    fixture *f = *state;
    uint8_t manifest[2048];
    uint8_t digest[64];
    uint8_t block[256];
    size_t block_len = 0;
    size_t m_len = tu_edn(manifest_text(2, VENDOR, CLASS), manifest,
                          sizeof(manifest));
    size_t d_len = digest_item(manifest, m_len, digest);
    tk_cose_build build;
    memset(&build, 0, sizeof(build));
    build.alg = TK_ALG_ES256;
    build.key = tu_example_private();
    /* The attacker's digest as attached payload, correctly signed. */
    uint8_t attacker[36];
    memcpy(attacker, digest, 36);
    attacker[10] ^= 0xff;
    assert_int_equal(tk_cose_sign1_sign(tu_crypto(), &build,
                                        (tk_view){attacker, 36}, block,
                                        sizeof(block), &block_len),
                     TK_OK);
    envelope_with_block(f, manifest, m_len, digest, d_len, block, block_len);
    assert_rejected(f, TK_ERR_SUIT_AUTH_PAYLOAD);

    /* The same with the genuine digest attached. */
    assert_int_equal(tk_cose_sign1_sign(tu_crypto(), &build,
                                        (tk_view){digest, d_len}, block,
                                        sizeof(block), &block_len),
                     TK_OK);
    envelope_with_block(f, manifest, m_len, digest, d_len, block, block_len);
    assert_rejected(f, TK_ERR_SUIT_AUTH_PAYLOAD);
}

/* Faults row 4 in a SUIT block: alg in both header buckets. */
static void duplicate_header_label(void **state)
{
    fixture *f = *state;
    uint8_t manifest[2048];
    uint8_t digest[64];
    uint8_t block[256];
    size_t m_len = tu_edn(manifest_text(2, VENDOR, CLASS), manifest,
                          sizeof(manifest));
    size_t d_len = digest_item(manifest, m_len, digest);
    char text[512];
    snprintf(text, sizeof(text), "18([<< {1: -7} >>, {1: -8}, null, h'%s'])",
             "0000000000000000000000000000000000000000000000000000000000000000"
             "0000000000000000000000000000000000000000000000000000000000000000");
    size_t b_len = tu_edn(text, block, sizeof(block));
    envelope_with_block(f, manifest, m_len, digest, d_len, block, b_len);
    assert_rejected(f, TK_ERR_COSE_DUPLICATE_LABEL);
    /* And twice in the protected map: 45 A2 01 26 01 27. */
    snprintf(text, sizeof(text), "18([h'a201260127', {}, null, h'%s'])",
             "0000000000000000000000000000000000000000000000000000000000000000"
             "0000000000000000000000000000000000000000000000000000000000000000");
    b_len = tu_edn(text, block, sizeof(block));
    envelope_with_block(f, manifest, m_len, digest, d_len, block, b_len);
    assert_rejected(f, TK_ERR_COSE_DUPLICATE_LABEL);
}

static void unsupported_algorithms(void **state)
{
    fixture *f = *state;
    uint8_t manifest[2048];
    uint8_t digest[64];
    uint8_t block[256];
    size_t m_len = tu_edn(manifest_text(2, VENDOR, CLASS), manifest,
                          sizeof(manifest));
    size_t d_len = digest_item(manifest, m_len, digest);
    char text[512];
    /* A signature algorithm no backend implements. */
    snprintf(text, sizeof(text), "18([<< {1: -260} >>, {}, null, h'%s'])",
             "0000000000000000000000000000000000000000000000000000000000000000"
             "0000000000000000000000000000000000000000000000000000000000000000");
    size_t b_len = tu_edn(text, block, sizeof(block));
    envelope_with_block(f, manifest, m_len, digest, d_len, block, b_len);
    assert_rejected(f, TK_ERR_SUIT_ALG_UNSUPPORTED);
    /* A digest algorithm (SHAKE128) the processor does not compute. */
    digest[1] = 0x31;
    envelope_with_block(f, manifest, m_len, digest, d_len, block, b_len);
    assert_rejected(f, TK_ERR_SUIT_DIGEST_ALG);
    /* An authentication block that is not a COSE signature or MAC. */
    snprintf(text, sizeof(text), "16([h'', {}, null])");
    b_len = tu_edn(text, block, sizeof(block));
    digest[1] = 0x2f;
    envelope_with_block(f, manifest, m_len, digest, d_len, block, b_len);
    assert_rejected(f, TK_ERR_SUIT_ALG_UNSUPPORTED);
}

static void no_authentication_block(void **state)
{
    fixture *f = *state;
    uint8_t manifest[2048];
    uint8_t digest[64];
    char text[8192];
    char m_hex[4096];
    size_t m_len = tu_edn(manifest_text(2, VENDOR, CLASS), manifest,
                          sizeof(manifest));
    size_t d_len = digest_item(manifest, m_len, digest);
    snprintf(m_hex, sizeof(m_hex), "%s", hex(manifest, m_len));
    snprintf(text, sizeof(text), "107({2: << [h'%s'] >>, 3: h'%s'})",
             hex(digest, d_len), m_hex);
    f->env_len = tu_edn(text, f->env, sizeof(f->env));
    assert_rejected(f, TK_ERR_SUIT_NO_SIGNATURE);
}

static void missing_members(void **state)
{
    fixture *f = *state;
    /* An envelope without a manifest. */
    f->env_len = tu_edn("107({2: << [h'822f40'] >>})", f->env,
                        sizeof(f->env));
    assert_rejected(f, TK_ERR_SUIT_MISSING_MEMBER);
    /* A manifest without common. */
    sign(f, "{1: 1, 2: 2}", NULL);
    assert_rejected(f, TK_ERR_SUIT_MISSING_MEMBER);
    /* An envelope under another tag. */
    f->env_len = tu_edn("1070({2: h'', 3: h''})", f->env, sizeof(f->env));
    assert_rejected(f, TK_ERR_SUIT_MALFORMED);
}

static void unsupported_version(void **state)
{
    fixture *f = *state;
    sign(f, "{1: 2, 2: 2, 3: << {2: [[h'00']]} >>}", NULL);
    assert_rejected(f, TK_ERR_SUIT_MANIFEST_VERSION);
}

static void unknown_members(void **state)
{
    fixture *f = *state;
    sign(f, "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>, 99: 0}", NULL);
    assert_rejected(f, TK_ERR_SUIT_UNKNOWN_MEMBER);
    sign(f, "{1: 1, 2: 2, 3: << {2: [[h'00']], 7: 0} >>}", NULL);
    assert_rejected(f, TK_ERR_SUIT_UNKNOWN_MEMBER);
    /* The policy flag ignores them. */
    tk_suit_config cfg = f->proc.cfg;
    cfg.flags |= TK_SUIT_FLAG_ALLOW_UNKNOWN_MEMBERS;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    assert_int_equal(run(f), TK_OK);
}

static void unsupported_command_and_parameter(void **state)
{
    fixture *f = *state;
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>,"
         " 20: << [30, 15] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>,"
         " 20: << [20, {99: 1}] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_PARAMETER_UNSUPPORTED);
    /* A directive with effects in the shared sequence. */
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']], 4: << [20, {18: 'x'}, 18, 15]"
         " >>} >>, 20: << [1, 15] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_COMMAND_NOT_ALLOWED);
    /* Soft failure outside try-each and run-sequence. */
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>, 20: << [20, {13: true}] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_SOFT_FAILURE_SCOPE);
    /* A multi-component sequence that does not set the index first. */
    sign(f,
         "{1: 1, 2: 2, 3: << {2: [[h'00'], [h'01']]} >>,"
         " 20: << [20, {18: 'x'}, 18, 15] >>}",
         NULL);
    assert_rejected(f, TK_ERR_SUIT_SET_INDEX_REQUIRED);
}

/* Malformed parameter values. */
static void malformed_parameters(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = {
        "{1: h'0102'}",                 /* vendor UUID of 2 bytes */
        "{2: 5}",                       /* class id not a bstr */
        "{3: h'00'}",                   /* digest not a SUIT_Digest */
        "{14: -1}",                     /* negative size */
        "{21: h'00'}",                  /* URI not text */
        "{28: << [9, [1]] >>}",         /* unknown comparison type */
        "{}",                           /* empty map */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "{1: 1, 2: 2, 3: << {2: [[h'00']]} >>, 20: << [20, %s] >>}",
                 bad[i]);
        sign(f, text, NULL);
        assert_rejected(f, TK_ERR_SUIT_MALFORMED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(baseline_installs, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_signer, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_vendor, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_class, setup, teardown),
        cmocka_unit_test_setup_teardown(rolled_back_sequence, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(component_index_out_of_range, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(severed_bad_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_everywhere, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(duplicate_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(attached_auth_payload, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(duplicate_header_label, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unsupported_algorithms, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(no_authentication_block, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(missing_members, setup, teardown),
        cmocka_unit_test_setup_teardown(unsupported_version, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unknown_members, setup, teardown),
        cmocka_unit_test_setup_teardown(unsupported_command_and_parameter,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_parameters, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
