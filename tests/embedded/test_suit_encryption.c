/*
 * Encrypted SUIT payloads on Cortex-M4 (draft-ietf-suit-firmware-
 * encryption-24): the published manifests with an AES-KW recipient
 * (authenticated with HMAC 256/256) and an ECDH-ES + A128KW recipient
 * (signed with ESP256) decrypt their A128GCM content with the device
 * crypto configuration. A wrong key-encryption key, a wrong receiver key
 * and a wrong MAC key each fail with their error and install nothing.
 */
#include "device.h"
#include "suit_vectors.h"
#include "target_util.h"
#include "teepkit/cose.h"
#include "tk_dev_platform.h"
#include "tk_runner.h"

static uint8_t storage[16 * 1024] __attribute__((section(".tk_storage")));
static tk_suit_processor processor;
static tkd_platform platform;

static const char plaintext[] = "This is a real firmware image.";
#define PLAIN_LEN (sizeof(plaintext) - 1)

/* The examples' keys: the 32-byte MAC key and the 16-byte key-encryption
 * key 'kid-1' are the letter 'a' repeated. */
static const uint8_t aaaa[32] = {
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};

/* Encoded component identifiers ['plaintext-firmware'] and
 * ['decrypted-firmware']. */
static const uint8_t plaintext_id[] = {
    0x81, 0x52, 'p', 'l', 'a', 'i', 'n', 't', 'e', 'x', 't',
    '-', 'f', 'i', 'r', 'm', 'w', 'a', 'r', 'e'};
static const uint8_t decrypted_id[] = {
    0x81, 0x52, 'd', 'e', 'c', 'r', 'y', 'p', 't', 'e', 'd',
    '-', 'f', 'i', 'r', 'm', 'w', 'a', 'r', 'e'};

static tk_key mac_key;
static tk_key kek;
static tk_key receiver;
static tk_key example_key;
static tk_key other_key;

/* Starts a platform that trusts manifest_key and decrypts with
 * decryption_key, and a processor on it. */
static tk_err setup(const tk_key *manifest_key, const tk_key *decryption_key)
{
    tk_suit_config cfg;

    tkd_init(&platform, tkt_crypto(), manifest_key, storage,
             sizeof(storage));
    platform.decryption_key = decryption_key;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tkt_crypto();
    cfg.platform = &platform.pf;
    return tk_suit_processor_init(&processor, &cfg);
}

/* Runs the update procedure on envelope and notes its stack. */
static tk_err update(const unsigned char *envelope, size_t len)
{
    uintptr_t base;
    tk_err err;

    tk_stack_paint();
    base = tk_stack_pointer();
    err = tk_suit_process(&processor, (tk_view){envelope, len},
                          TK_SUIT_OP_UPDATE);
    tk_runner_note("stack of the update (bytes):",
                   (int64_t)tk_stack_used_below(base));
    return err;
}

static bool installed_plaintext(const uint8_t *id, size_t id_len)
{
    tkd_component *c = tkd_component_get(&platform, (tk_view){id, id_len},
                                         false);

    return c != NULL && c->active.present && c->active.len == PLAIN_LEN &&
           memcmp(c->active.data, plaintext, PLAIN_LEN) == 0;
}

static bool installed_anything(const uint8_t *id, size_t id_len)
{
    tkd_component *c = tkd_component_get(&platform, (tk_view){id, id_len},
                                         false);

    return c != NULL && c->active.present;
}

/* What a build without MAC authentication or payload decryption gives
 * for an envelope that needs them (mac: authenticated by a COSE_Mac0),
 * or TK_OK for a build with both. */
static tk_err left_out(bool mac)
{
    if (mac && (!TK_SUIT_WITH_MAC || !TK_COSE_WITH_MAC))
        return TK_ERR_SUIT_ALG_UNSUPPORTED;
    if (!TK_SUIT_WITH_DECRYPTION)
        return TK_ERR_SUIT_PARAMETER_UNSUPPORTED;
    return TK_OK;
}

/* AES-KW recipient, A128GCM content in suit-parameter-content, the
 * envelope MACed with HMAC 256/256. */
static void aes_kw_content(void)
{
    TK_CHECK_OK(setup(&mac_key, &kek));
    if (left_out(true) != TK_OK) {
        TK_CHECK_ERR(update(suit_aes_kw_content, sizeof(suit_aes_kw_content)),
                     left_out(true));
        TK_CHECK(!installed_anything(plaintext_id, sizeof(plaintext_id)));
        return;
    }
    TK_CHECK_OK(update(suit_aes_kw_content, sizeof(suit_aes_kw_content)));
    TK_CHECK(installed_plaintext(plaintext_id, sizeof(plaintext_id)));
    TK_CHECK_INT(platform.commits, 1);
}

/* ECDH-ES + A128KW recipient with the receiver key 'kid-2', the envelope
 * signed with ESP256 by the example key. */
static void es_ecdh_content(void)
{
    TK_CHECK_OK(setup(&example_key, &receiver));
    if (left_out(false) != TK_OK) {
        TK_CHECK_ERR(update(suit_es_ecdh_content,
                            sizeof(suit_es_ecdh_content)),
                     left_out(false));
        TK_CHECK(!installed_anything(decrypted_id, sizeof(decrypted_id)));
        return;
    }
    TK_CHECK_OK(update(suit_es_ecdh_content, sizeof(suit_es_ecdh_content)));
    TK_CHECK(installed_plaintext(decrypted_id, sizeof(decrypted_id)));
}

/* Another key-encryption key cannot unwrap the content key. */
static void aes_kw_wrong_kek(void)
{
    tk_key wrong;

    TK_CHECK_OK(tk_key_init_symmetric(
        &wrong, TK_VIEW_STR("bbbbbbbbbbbbbbbb")));
    TK_CHECK_OK(setup(&mac_key, &wrong));
    TK_CHECK_ERR(update(suit_aes_kw_content, sizeof(suit_aes_kw_content)),
                 left_out(true) != TK_OK ? left_out(true)
                                         : TK_ERR_SUIT_DECRYPT);
    TK_CHECK(!installed_anything(plaintext_id, sizeof(plaintext_id)));
    TK_CHECK_INT(platform.commits, 0);
}

/* Another P-256 key derives another key-encryption key. */
static void es_ecdh_wrong_receiver(void)
{
    TK_CHECK_OK(setup(&example_key, &other_key));
    TK_CHECK_ERR(update(suit_es_ecdh_content, sizeof(suit_es_ecdh_content)),
                 left_out(false) != TK_OK ? left_out(false)
                                          : TK_ERR_SUIT_DECRYPT);
    TK_CHECK(!installed_anything(decrypted_id, sizeof(decrypted_id)));
}

/* A MAC key other than the sender's fails authentication before any
 * command runs. */
static void aes_kw_wrong_mac_key(void)
{
    tk_key wrong;

    TK_CHECK_OK(tk_key_init_symmetric(
        &wrong, TK_VIEW_STR("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")));
    TK_CHECK_OK(setup(&wrong, &kek));
    /* Authentication comes first: a build with MAC authentication finds
     * the wrong key before the encryption info matters. */
    TK_CHECK_ERR(update(suit_aes_kw_content, sizeof(suit_aes_kw_content)),
                 TK_SUIT_WITH_MAC && TK_COSE_WITH_MAC
                     ? TK_ERR_SUIT_SIGNATURE
                     : TK_ERR_SUIT_ALG_UNSUPPORTED);
    TK_CHECK(!installed_anything(plaintext_id, sizeof(plaintext_id)));
}

/* Imports the COSE_Keys of the published vectors and makes the others. */
static tk_err keys_init(void)
{
    const tk_crypto *c = tkt_crypto();
    tk_err err;

    if (c == NULL) {
        return TK_ERR_CRYPTO_BACKEND;
    }
    err = tk_key_init_symmetric(&mac_key, (tk_view){aaaa, 32});
    if (err == TK_OK) {
        err = tk_key_init_symmetric(&kek, (tk_view){aaaa, 16});
    }
    if (err == TK_OK) {
        tk_key_init(&receiver);
        err = tk_cose_key_import(c,
                                 (tk_view){suit_receiver_key,
                                           sizeof(suit_receiver_key)},
                                 &receiver, NULL);
    }
    if (err == TK_OK) {
        tk_key_init(&example_key);
        err = tk_cose_key_import(c,
                                 (tk_view){suit_example_public_key,
                                           sizeof(suit_example_public_key)},
                                 &example_key, NULL);
    }
    if (err == TK_OK) {
        tk_key_init(&other_key);
        err = tk_cose_key_import(c,
                                 (tk_view){suit_example_private_key,
                                           sizeof(suit_example_private_key)},
                                 &other_key, NULL);
    }
    return err;
}

int main(void)
{
    static const tk_runner_case cases[] = {
        TK_RUNNER_CASE(aes_kw_content),
        TK_RUNNER_CASE(es_ecdh_content),
        TK_RUNNER_CASE(aes_kw_wrong_kek),
        TK_RUNNER_CASE(es_ecdh_wrong_receiver),
        TK_RUNNER_CASE(aes_kw_wrong_mac_key),
    };

    if (keys_init() != TK_OK) {
        return 100;
    }
    return tk_runner_main("SUIT encryption", cases,
                          sizeof(cases) / sizeof(cases[0]));
}
