/*
 * Encrypted payloads (draft-ietf-suit-firmware-encryption-24): the
 * published manifests with AES-KW and ECDH-ES+A128KW recipients and
 * A128GCM content decrypt "This is a real firmware image." into their
 * component; the published encryption infos of all four combinations
 * decrypt through write, copy and fetch; a wrong key or a changed
 * ciphertext leaves the component untouched.
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

static const char plaintext[] = "This is a real firmware image.";
#define PLAIN_LEN (sizeof(plaintext) - 1)

/* 'aaaa...': 32 bytes of MAC key and 16 bytes of key-encryption key. */
static const uint8_t aaaa[32] = {
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};

typedef struct fixture {
    tp_platform tp;
    tk_suit_processor proc;
    tk_suit_record records[32];
    tk_key mac_key;
    tk_key kek;
    tk_key receiver;
    tk_key dependent_signer;
    uint8_t *envelope;
    size_t envelope_len;
    uint8_t buf[8192];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_suit_config cfg;
    assert_non_null(f);
    tp_init(&f->tp);
    tk_key_init(&f->mac_key);
    tk_key_init(&f->kek);
    assert_int_equal(tk_key_init_symmetric(&f->mac_key,
                                           (tk_view){aaaa, 32}), TK_OK);
    assert_int_equal(tk_key_init_symmetric(&f->kek, (tk_view){aaaa, 16}),
                     TK_OK);
    tu_key("suit/encryption/receiver-private-key-kid-2.cose.hex",
           &f->receiver);
    tu_key("suit/encryption/dependent-signer-public-key.cose.hex",
           &f->dependent_signer);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, TK_ALG_HMAC_256_256, NULL, -1,
               &f->mac_key);
    tp_add_key(&f->tp, TK_SUIT_KEY_DECRYPTION, TK_ALG_A128KW, "kid-1", -1,
               &f->kek);
    tp_add_key(&f->tp, TK_SUIT_KEY_DECRYPTION, -29, NULL, -1, &f->receiver);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tu_crypto();
    cfg.platform = &f->tp.pf;
    cfg.records = f->records;
    cfg.record_cap = 32;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tp_free(&f->tp);
    tk_key_release(&f->mac_key);
    tk_key_release(&f->kek);
    tk_key_release(&f->receiver);
    tk_key_release(&f->dependent_signer);
    free(f->envelope);
    free(f);
    return 0;
}

/* Encodes a component identifier of one text-as-bytes part. */
static tk_view text_id(uint8_t *out, const char *part)
{
    size_t len = strlen(part);
    return tp_id(out, 64, 1, &part, &len);
}

static void load(fixture *f, const char *name)
{
    char path[160];
    snprintf(path, sizeof(path), "suit/encryption/%s", name);
    free(f->envelope);
    f->envelope = tu_vector(path, &f->envelope_len);
}

static tk_err run(fixture *f, tk_suit_operation op)
{
    return tk_suit_process(&f->proc, (tk_view){f->envelope, f->envelope_len},
                           op);
}

static void assert_plaintext(fixture *f, tk_view id)
{
    const tp_image *img = tp_image_of(&f->tp, id);
    assert_non_null(img);
    assert_int_equal(img->len, PLAIN_LEN);
    assert_memory_equal(img->data, plaintext, PLAIN_LEN);
}

/* AES-KW + A128GCM, payload in suit-parameter-content, COSE_Mac0. */
static void aes_kw_write(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    load(f, "suit-manifest-aes-kw-content.hex.signed");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, text_id(id, "plaintext-firmware"));
}

/* AES-KW + A128GCM: fetch the ciphertext, decrypt by copy. */
static void aes_kw_fetch_copy(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    size_t len = 0;
    uint8_t *cipher = tu_vector(
        "suit/encryption/encrypted-payload-aes-kw-aes-gcm.hex", &len);
    assert_int_equal(len, PLAIN_LEN + 16);
    load(f, "suit-manifest-aes-kw.hex.signed");
    tp_add_uri(&f->tp, "coaps://example.com/encrypted-firmware", cipher,
               len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, text_id(id, "plaintext-firmware"));
    const tp_image *enc = tp_image_of(&f->tp,
                                      text_id(id, "encrypted-firmware"));
    assert_non_null(enc);
    assert_int_equal(enc->len, len);
    assert_memory_equal(enc->data, cipher, len);
    free(cipher);
}

/* The same with slot components [h'00'] and [h'01'], read through map(). */
static void aes_kw_slots_mapped(void **state)
{
    fixture *f = *state;
    uint8_t id[4];
    size_t len = 0;
    uint8_t *cipher = tu_vector(
        "suit/encryption/encrypted-payload-aes-kw-aes-gcm.hex", &len);
    load(f, "suit-manifest-aes-kw-slot.hex.signed");
    f->tp.use_map = true;
    tp_add_uri(&f->tp, "coaps://example.com/encrypted-firmware", cipher,
               len);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, tp_id_byte(id, 0x00));
    free(cipher);
}

/* ECDH-ES + A128KW with A128GCM, payload in content, signed ESP256. */
static void ecdh_write(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    load(f, "suit-manifest-es-ecdh-content.hex.signed");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, text_id(id, "decrypted-firmware"));
}

/* The dependent (another signer) sets the content and the encryption
 * info; its integrated dependency (the example key) writes and checks
 * the plaintext digest. */
static void ecdh_dependency(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, 0,
               &f->dependent_signer);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, 1,
               tu_example_public());
    load(f, "suit-manifest-es-ecdh-dependency.hex.signed");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, text_id(id, "decrypted-firmware"));
    /* The dependency envelope was stored in its component. */
    const tp_image *dep = tp_image_of(&f->tp,
                                      text_id(id, "dependency-manifest.suit"));
    assert_non_null(dep);
    assert_int_equal(dep->len, 247);
    /* The dependency's image match on the plaintext was recorded with its
     * manifest id [1]. */
    size_t n = tk_suit_processor_record_count(&f->proc);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        const tk_suit_record *r = &f->records[i];
        if (r->manifest_depth == 1 && r->command == TK_SUIT_COND_IMAGE_MATCH) {
            assert_int_equal(r->manifest_id[0], 1);
            assert_int_equal(r->section, 20);
            assert_int_equal(r->result, TK_OK);
            found = true;
        }
    }
    assert_true(found);
}

/* Without the dependency's signer the dependency is rejected. */
static void ecdh_dependency_untrusted(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, 0,
               &f->dependent_signer);
    load(f, "suit-manifest-es-ecdh-dependency.hex.signed");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_KEY_NOT_FOUND);
    const tk_suit_error *err = tk_suit_processor_error(&f->proc);
    assert_int_equal(err->command, TK_SUIT_COND_DEPENDENCY_INTEGRITY);
    assert_int_equal(err->component, 1);
    assert_null(tp_image_of(&f->tp, text_id(id, "decrypted-firmware")));
    assert_null(tp_image_of(&f->tp,
                            text_id(id, "dependency-manifest.suit")));
}

/* Builds and signs a manifest whose install writes (or fetches, when uri
 * is set) the payload with encryption info info into ['plain']. */
static void build_write(fixture *f, const uint8_t *info, size_t info_len,
                        const uint8_t *payload, size_t payload_len,
                        const char *uri, bool digest)
{
    static char text[8192];
    char info_hex[1024];
    char payload_hex[1024];
    for (size_t i = 0; i < info_len; i++)
        sprintf(info_hex + 2 * i, "%02x", info[i]);
    for (size_t i = 0; i < payload_len; i++)
        sprintf(payload_hex + 2 * i, "%02x", payload[i]);
    const char *check = digest ? "3: << [-16, h'36921488fe6680712f734e11f58d"
                                 "87eeb66d4b21a8a1ad3441060814da16d50f'] >>,"
                               : "";
    if (uri != NULL)
        snprintf(text, sizeof(text),
                 "{1: 1, 2: 1, 3: << {2: [['plain']]} >>,"
                 " 20: << [20, {%s 19: h'%s', 21: \"%s\"}, 21, 15%s] >>}",
                 check, info_hex, uri, digest ? ", 3, 15" : "");
    else
        snprintf(text, sizeof(text),
                 "{1: 1, 2: 1, 3: << {2: [['plain']]} >>,"
                 " 20: << [20, {%s 18: h'%s', 19: h'%s'}, 18, 15%s] >>}",
                 check, payload_hex, info_hex, digest ? ", 3, 15" : "");
    f->envelope_len = tu_envelope(text, NULL, NULL, 0, f->buf,
                                  sizeof(f->buf));
    free(f->envelope);
    f->envelope = malloc(f->envelope_len);
    assert_non_null(f->envelope);
    memcpy(f->envelope, f->buf, f->envelope_len);
}

/* Runs one published encryption info with its payload through write and
 * through fetch with several chunk sizes. */
static void encryption_info_case(fixture *f, const char *info_name,
                                 const char *payload_name)
{
    char path[160];
    uint8_t id[64];
    size_t info_len = 0;
    size_t payload_len = 0;
    snprintf(path, sizeof(path), "suit/encryption/%s", info_name);
    uint8_t *info = tu_vector(path, &info_len);
    snprintf(path, sizeof(path), "suit/encryption/%s", payload_name);
    uint8_t *payload = tu_vector(path, &payload_len);
    tk_view plain_id = text_id(id, "plain");

    /* Each case installs sequence number 1 again with another manifest,
     * which rollback protection rejects on a used platform. */
    tp_free(&f->tp);
    f->tp.ncomps = 0;
    build_write(f, info, info_len, payload, payload_len, NULL, true);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, plain_id);

    static const size_t chunks[] = {1, 7, 16, 17, 1000};
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        tp_free(&f->tp);
        f->tp.ncomps = 0;
        f->tp.nuris = 0;
        f->tp.fetch_chunk = chunks[i];
        tp_add_uri(&f->tp, "https://example.com/enc", payload, payload_len);
        build_write(f, info, info_len, payload, payload_len,
                    "https://example.com/enc", true);
        assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
        assert_plaintext(f, plain_id);
    }
    free(info);
    free(payload);
}

static void encryption_infos(void **state)
{
    fixture *f = *state;
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    encryption_info_case(f, "suit-encryption-info-aes-kw-aes-gcm.hex",
                         "encrypted-payload-aes-kw-aes-gcm.hex");
    encryption_info_case(f, "suit-encryption-info-aes-kw-aes-ctr.hex",
                         "encrypted-payload-aes-kw-aes-ctr.hex");
    encryption_info_case(f, "suit-encryption-info-es-ecdh-aes-gcm.hex",
                         "encrypted-payload-es-ecdh-aes-gcm.hex");
    encryption_info_case(f, "suit-encryption-info-es-ecdh-aes-ctr.hex",
                         "encrypted-payload-es-ecdh-aes-ctr.hex");
}

/* A changed GCM ciphertext fails the tag check and nothing is written; a
 * changed CTR ciphertext decrypts to bytes that fail the image match. */
static void tampered_ciphertext(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    size_t info_len = 0;
    size_t payload_len = 0;
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    uint8_t *info = tu_vector(
        "suit/encryption/suit-encryption-info-aes-kw-aes-gcm.hex", &info_len);
    uint8_t *payload = tu_vector(
        "suit/encryption/encrypted-payload-aes-kw-aes-gcm.hex", &payload_len);
    payload[3] ^= 0x01;
    build_write(f, info, info_len, payload, payload_len, NULL, false);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_DECRYPT);
    assert_null(tp_image_of(&f->tp, text_id(id, "plain")));
    /* A truncated GCM payload shorter than its tag. */
    build_write(f, info, info_len, payload, 10, NULL, false);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_DECRYPT);
    free(info);
    free(payload);

    info = tu_vector("suit/encryption/suit-encryption-info-aes-kw-aes-ctr.hex",
                     &info_len);
    payload = tu_vector("suit/encryption/encrypted-payload-aes-kw-aes-ctr.hex",
                        &payload_len);
    payload[0] ^= 0x80;
    build_write(f, info, info_len, payload, payload_len, NULL, true);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_IMAGE_MISMATCH);
    assert_null(tp_image_of(&f->tp, text_id(id, "plain")));
    free(info);
    free(payload);
}

/* The test crypto table without streaming ChaCha20/Poly1305, as on a
 * backend that cannot stream it. */
static tk_crypto no_stream;

static tk_err no_stream_cipher_start(void *ctx, tk_crypto_cipher_state *st,
                                     tk_alg alg, const tk_key *key,
                                     tk_view iv, tk_view aad,
                                     tk_crypto_dir dir)
{
    const tk_crypto *c = tu_crypto();
    (void)ctx;
    if (alg == TK_ALG_CHACHA20_POLY1305)
        return TK_ERR_CRYPTO_UNSUPPORTED_ALG;
    return c->cipher_start(c->ctx, st, alg, key, iv, aad, dir);
}

/* Encrypts the test plaintext with ChaCha20/Poly1305 under a fresh
 * content key wrapped for the fixture's key-encryption key. */
static void chacha_encrypt(fixture *f, uint8_t *info, size_t *info_len,
                           uint8_t *cipher, size_t cap, size_t *cipher_len)
{
    const tk_crypto *c = tu_crypto();
    uint8_t aad[128];
    tk_cose_build build;
    tk_cose_recipient_params recipient;
    tk_cose_content_key ck;

    memset(&build, 0, sizeof(build));
    memset(&recipient, 0, sizeof(recipient));
    recipient.alg = TK_ALG_A128KW;
    recipient.key = &f->kek;
    recipient.kid = TK_VIEW_STR("kid-1");
    build.alg = TK_ALG_CHACHA20_POLY1305;
    build.recipients = &recipient;
    build.recipient_count = 1;
    assert_int_equal(tk_cose_encrypt_prepare(c, &build, info, 256, info_len,
                                             aad, sizeof(aad), &ck),
                     TK_OK);
    assert_int_equal(c->aead_encrypt(c->ctx, ck.alg, &ck.cek,
                                     (tk_view){ck.iv, ck.iv_len}, ck.aad,
                                     (tk_view){(const uint8_t *)plaintext,
                                               PLAIN_LEN},
                                     cipher, cap, cipher_len),
                     TK_OK);
    tk_key_release(&ck.cek);
}

/* ChaCha20/Poly1305 content (suit-sha256-ed25519-ecdh-chacha-poly) is
 * streamed like AES-GCM, without a work buffer, for write and fetch in
 * chunks smaller than the tag. */
static void chacha20_poly1305(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    uint8_t info[256];
    uint8_t cipher[128];
    size_t info_len = 0;
    size_t cipher_len = 0;

    chacha_encrypt(f, info, &info_len, cipher, sizeof(cipher), &cipher_len);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    assert_null(f->proc.cfg.work);
    build_write(f, info, info_len, cipher, cipher_len, NULL, true);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, text_id(id, "plain"));

    /* The same through fetch, in chunks of 5 bytes. */
    tp_free(&f->tp);
    f->tp.ncomps = 0;
    f->tp.fetch_chunk = 5;
    tp_add_uri(&f->tp, "https://example.com/enc", cipher, cipher_len);
    build_write(f, info, info_len, cipher, cipher_len,
                "https://example.com/enc", true);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, text_id(id, "plain"));

    /* A changed byte fails the tag: nothing is written. */
    tp_free(&f->tp);
    f->tp.ncomps = 0;
    cipher[2] ^= 0x01;
    build_write(f, info, info_len, cipher, cipher_len, NULL, false);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_DECRYPT);
    assert_null(tp_image_of(&f->tp, text_id(id, "plain")));
    /* So does a ciphertext shorter than the tag. */
    cipher[2] ^= 0x01;
    build_write(f, info, info_len, cipher, 15, NULL, false);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_DECRYPT);
    assert_null(tp_image_of(&f->tp, text_id(id, "plain")));
}

/* On a backend that cannot stream ChaCha20/Poly1305, the ciphertext is
 * collected in the work buffer and decrypted in one piece. */
static void chacha20_poly1305_work_buffer(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    uint8_t info[256];
    uint8_t cipher[128];
    uint8_t work[256];
    size_t info_len = 0;
    size_t cipher_len = 0;
    tk_suit_config cfg = f->proc.cfg;

    chacha_encrypt(f, info, &info_len, cipher, sizeof(cipher), &cipher_len);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    no_stream = *tu_crypto();
    no_stream.cipher_start = no_stream_cipher_start;
    cfg.crypto = &no_stream;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);

    /* Without a work buffer there is nowhere to collect the ciphertext. */
    build_write(f, info, info_len, cipher, cipher_len, NULL, true);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_WORK_BUFFER);
    assert_null(tp_image_of(&f->tp, text_id(id, "plain")));

    cfg.work = work;
    cfg.work_len = sizeof(work);
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_OK);
    assert_plaintext(f, text_id(id, "plain"));

    /* A ciphertext larger than the buffer. */
    cfg.work_len = cipher_len - 1;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    tp_free(&f->tp);
    f->tp.ncomps = 0;
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_WORK_BUFFER);
    assert_null(tp_image_of(&f->tp, text_id(id, "plain")));
}

/* No key-encryption key for the recipient: decryption fails closed. */
static void unknown_kek(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    f->tp.nkeys = 0;
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, TK_ALG_HMAC_256_256, NULL, -1,
               &f->mac_key);
    load(f, "suit-manifest-aes-kw-content.hex.signed");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_DECRYPT);
    assert_int_equal(tk_suit_processor_error(&f->proc)->command,
                     TK_SUIT_DIR_WRITE);
    assert_null(tp_image_of(&f->tp, text_id(id, "plaintext-firmware")));
}

/* A key-encryption key of the right size but the wrong value. */
static void wrong_kek(void **state)
{
    fixture *f = *state;
    uint8_t id[64];
    tk_key other;
    uint8_t bytes[16];
    memset(bytes, 'b', sizeof(bytes));
    tk_key_init(&other);
    assert_int_equal(tk_key_init_symmetric(&other, (tk_view){bytes, 16}),
                     TK_OK);
    f->tp.nkeys = 0;
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, TK_ALG_HMAC_256_256, NULL, -1,
               &f->mac_key);
    tp_add_key(&f->tp, TK_SUIT_KEY_DECRYPTION, TK_ALG_A128KW, NULL, -1,
               &other);
    load(f, "suit-manifest-aes-kw-content.hex.signed");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_DECRYPT);
    assert_null(tp_image_of(&f->tp, text_id(id, "plaintext-firmware")));
    tk_key_release(&other);
}

/* A MAC with a wrong key is a signature failure. */
static void wrong_mac_key(void **state)
{
    fixture *f = *state;
    tk_key other;
    uint8_t bytes[32];
    memset(bytes, 'b', sizeof(bytes));
    tk_key_init(&other);
    assert_int_equal(tk_key_init_symmetric(&other, (tk_view){bytes, 32}),
                     TK_OK);
    f->tp.nkeys = 0;
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, TK_ALG_HMAC_256_256, NULL, -1,
               &other);
    load(f, "suit-manifest-aes-kw-content.hex.signed");
    assert_int_equal(run(f, TK_SUIT_OP_UPDATE), TK_ERR_SUIT_SIGNATURE);
    assert_int_equal(f->tp.begins, 0);
    tk_key_release(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(aes_kw_write, setup, teardown),
        cmocka_unit_test_setup_teardown(aes_kw_fetch_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(aes_kw_slots_mapped, setup, teardown),
        cmocka_unit_test_setup_teardown(ecdh_write, setup, teardown),
        cmocka_unit_test_setup_teardown(ecdh_dependency, setup, teardown),
        cmocka_unit_test_setup_teardown(ecdh_dependency_untrusted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(encryption_infos, setup, teardown),
        cmocka_unit_test_setup_teardown(tampered_ciphertext, setup, teardown),
        cmocka_unit_test_setup_teardown(chacha20_poly1305, setup, teardown),
        cmocka_unit_test_setup_teardown(chacha20_poly1305_work_buffer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unknown_kek, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_kek, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_mac_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
