/*
 * Every crypto call that a COSE operation makes is checked. The crypto
 * fault wrapper fails the operation's first call, then its second, and so
 * on. Each time the operation must return an error, never TK_OK, and must
 * not leave plaintext or a content key behind.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cose_test.h"
#include "tk_crypto_fault.h"

static const uint8_t content[] = "This is the content.";
#define CONTENT ((tk_view){content, sizeof(content) - 1})

/* One operation under test: builds or checks with the given table. */
typedef struct op op;
struct op {
    const char *name;
    tk_err (*run)(const op *o, const tk_crypto *c);
    tk_cose_build build;
    tk_cose_opts opts;
    tk_cose_recipient_params rp[2];
    tk_cose_signer signers[2];
    uint8_t msg[1024];
    size_t msg_len;
    bool alternatives; /* another signature can stand in for a failed one */
};

/* Plaintext and key outputs of the last run, checked after a failure. */
static uint8_t last_plain[256];
static size_t last_plain_len;
static tk_cose_content_key last_ck;

static tk_err run_sign1_sign(const op *o, const tk_crypto *c)
{
    uint8_t out[256];
    size_t len;

    return tk_cose_sign1_sign(c, &o->build, CONTENT, out, sizeof(out), &len);
}

static tk_err run_sign1_verify(const op *o, const tk_crypto *c)
{
    return tk_cose_sign1_verify(c, (tk_view){o->msg, o->msg_len}, &o->opts,
                                NULL);
}

static tk_err run_sign_sign(const op *o, const tk_crypto *c)
{
    uint8_t out[512];
    size_t len;

    return tk_cose_sign_sign(c, &o->build, CONTENT, out, sizeof(out), &len);
}

static tk_err run_sign_verify(const op *o, const tk_crypto *c)
{
    return tk_cose_sign_verify(c, (tk_view){o->msg, o->msg_len}, &o->opts,
                               NULL);
}

static tk_err run_mac0_create(const op *o, const tk_crypto *c)
{
    uint8_t out[256];
    size_t len;

    return tk_cose_mac0_create(c, &o->build, CONTENT, out, sizeof(out), &len);
}

static tk_err run_mac0_verify(const op *o, const tk_crypto *c)
{
    return tk_cose_mac0_verify(c, (tk_view){o->msg, o->msg_len}, &o->opts,
                               NULL);
}

static tk_err run_mac_create(const op *o, const tk_crypto *c)
{
    uint8_t out[512];
    size_t len;

    return tk_cose_mac_create(c, &o->build, CONTENT, out, sizeof(out), &len);
}

static tk_err run_mac_verify(const op *o, const tk_crypto *c)
{
    return tk_cose_mac_verify(c, (tk_view){o->msg, o->msg_len}, &o->opts,
                              NULL);
}

static tk_err run_encrypt0(const op *o, const tk_crypto *c)
{
    uint8_t out[256];
    size_t len;

    return tk_cose_encrypt0_encrypt(c, &o->build, CONTENT, out, sizeof(out),
                                    &len);
}

static tk_err run_decrypt0(const op *o, const tk_crypto *c)
{
    memset(last_plain, 0xee, sizeof(last_plain));
    return tk_cose_encrypt0_decrypt(c, (tk_view){o->msg, o->msg_len},
                                    &o->opts, last_plain, sizeof(last_plain),
                                    &last_plain_len, NULL);
}

static tk_err run_encrypt(const op *o, const tk_crypto *c)
{
    uint8_t out[1024];
    size_t len;

    return tk_cose_encrypt_encrypt(c, &o->build, CONTENT, out, sizeof(out),
                                   &len);
}

static tk_err run_decrypt(const op *o, const tk_crypto *c)
{
    memset(last_plain, 0xee, sizeof(last_plain));
    return tk_cose_encrypt_decrypt(c, (tk_view){o->msg, o->msg_len},
                                   &o->opts, last_plain, sizeof(last_plain),
                                   &last_plain_len, NULL);
}

static tk_err run_encrypt_prepare(const op *o, const tk_crypto *c)
{
    uint8_t out[1024];
    uint8_t aad[64];
    size_t len;
    tk_err err = tk_cose_encrypt_prepare(c, &o->build, out, sizeof(out), &len,
                                         aad, sizeof(aad), &last_ck);

    if (err == TK_OK) {
        tk_key_release(&last_ck.cek);
    }
    return err;
}

static tk_err run_decrypt_prepare(const op *o, const tk_crypto *c)
{
    uint8_t aad[64];
    tk_err err = tk_cose_decrypt_prepare(c, (tk_view){o->msg, o->msg_len},
                                         &o->opts, aad, sizeof(aad),
                                         &last_ck);

    if (err == TK_OK) {
        tk_key_release(&last_ck.cek);
    }
    return err;
}

static tk_key p256;
static tk_key p256_public;
static tk_key hmac_key;
static tk_key aes_key;

/* Runs op once to count its calls, then fails each call in turn. */
static void fail_each_call(op *o)
{
    tk_crypto_fault fault;
    unsigned long calls;

    tk_crypto_fault_init(&fault, cose_test_crypto());
    assert_int_equal(o->run(o, &fault.table), TK_OK);
    calls = fault.calls;
    assert_true(calls > 0);
    for (unsigned long n = 1; n <= calls; n++) {
        tk_err err;

        tk_crypto_fault_arm(&fault, n, TK_ERR_CRYPTO_FAULT_INJECTED);
        err = o->run(o, &fault.table);
        if (err == TK_OK) {
            fail_msg("%s: succeeded with call %lu of %lu failed", o->name, n,
                     calls);
        }
        assert_int_equal(fault.failures, 1);
        if (o->run == run_decrypt0 || o->run == run_decrypt) {
            /* No plaintext is reported after a failure. */
            assert_int_equal(last_plain_len, 0);
        }
        if (o->run == run_encrypt_prepare || o->run == run_decrypt_prepare) {
            /* The content key is released on every error. */
            assert_int_equal(last_ck.cek.k_len, 0);
        }
    }
    /* A failure with a code that recipient and signature loops skip must
     * still not produce success, unless the message offers another valid
     * signature that the loop then verifies. */
    for (unsigned long n = 1; !o->alternatives && n <= calls; n++) {
        tk_crypto_fault_arm(&fault, n, TK_ERR_CRYPTO_KEY_MISMATCH);
        assert_int_not_equal(o->run(o, &fault.table), TK_OK);
    }
    printf("%-24s %lu crypto calls, each failure caught\n", o->name, calls);
}

/* Makes the message that a verify or decrypt operation reads. */
static void make_msg(op *o, tk_err (*build)(const tk_crypto *,
                                            const tk_cose_build *, tk_view,
                                            uint8_t *, size_t, size_t *))
{
    assert_int_equal(build(cose_test_crypto(), &o->build, CONTENT, o->msg,
                           sizeof(o->msg), &o->msg_len),
                     TK_OK);
}

static void test_signatures(void **state)
{
    op *o = calloc(1, sizeof(*o));

    (void)state;
    o->build.alg = TK_ALG_ES256;
    o->build.key = &p256;
    o->opts.key = &p256_public;
    o->opts.signature_index = TK_COSE_ANY_SIGNATURE;
    o->name = "COSE_Sign1 sign";
    o->run = run_sign1_sign;
    fail_each_call(o);
    make_msg(o, tk_cose_sign1_sign);
    o->name = "COSE_Sign1 verify";
    o->run = run_sign1_verify;
    fail_each_call(o);

    o->signers[0] = (tk_cose_signer){TK_ALG_ES256, &p256, TK_VIEW_STR("a")};
    o->signers[1] = (tk_cose_signer){TK_ALG_ESP256, &p256, TK_VIEW_STR("b")};
    o->build.signers = o->signers;
    o->build.signer_count = 2;
    o->name = "COSE_Sign sign";
    o->run = run_sign_sign;
    fail_each_call(o);
    make_msg(o, tk_cose_sign_sign);
    o->opts.flags = TK_COSE_OPT_ALL_SIGNATURES;
    o->name = "COSE_Sign verify all";
    o->run = run_sign_verify;
    fail_each_call(o);
    o->opts.flags = 0;
    o->alternatives = true;
    o->name = "COSE_Sign verify any";
    fail_each_call(o);
    free(o);
}

static void test_mac(void **state)
{
    op *o = calloc(1, sizeof(*o));

    (void)state;
    o->build.alg = TK_ALG_HMAC_256_64;
    o->build.key = &hmac_key;
    o->opts.key = &hmac_key;
    o->name = "COSE_Mac0 create";
    o->run = run_mac0_create;
    fail_each_call(o);
    make_msg(o, tk_cose_mac0_create);
    o->name = "COSE_Mac0 verify";
    o->run = run_mac0_verify;
    fail_each_call(o);

    o->rp[0] = (tk_cose_recipient_params){.alg = TK_COSE_ALG_ECDH_ES_A128KW,
                                          .key = &p256_public};
    o->rp[1] = (tk_cose_recipient_params){.alg = TK_ALG_A128KW,
                                          .key = &aes_key};
    o->build.recipients = o->rp;
    o->build.recipient_count = 2;
    o->opts.key = &p256;
    o->name = "COSE_Mac create";
    o->run = run_mac_create;
    fail_each_call(o);
    make_msg(o, tk_cose_mac_create);
    o->name = "COSE_Mac verify";
    o->run = run_mac_verify;
    fail_each_call(o);
    free(o);
}

static void test_encryption(void **state)
{
    static const tk_alg content_algs[] = {TK_ALG_A128GCM, TK_ALG_A128CTR};
    op *o = calloc(1, sizeof(*o));

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        memset(o, 0, sizeof(*o));
        o->build.alg = content_algs[i];
        o->build.key = &aes_key;
        o->opts.key = &aes_key;
        o->name = "COSE_Encrypt0 encrypt";
        o->run = run_encrypt0;
        fail_each_call(o);
        make_msg(o, tk_cose_encrypt0_encrypt);
        o->name = "COSE_Encrypt0 decrypt";
        o->run = run_decrypt0;
        fail_each_call(o);
    }

    memset(o, 0, sizeof(*o));
    o->build.alg = TK_ALG_A256GCM;
    o->rp[0] = (tk_cose_recipient_params){.alg = TK_ALG_A128KW,
                                          .key = &aes_key};
    o->build.recipients = o->rp;
    o->build.recipient_count = 1;
    o->opts.key = &aes_key;
    o->name = "COSE_Encrypt A128KW";
    o->run = run_encrypt;
    fail_each_call(o);
    make_msg(o, tk_cose_encrypt_encrypt);
    o->name = "COSE_Encrypt decrypt KW";
    o->run = run_decrypt;
    fail_each_call(o);

    o->rp[0] = (tk_cose_recipient_params){.alg = TK_COSE_ALG_ECDH_ES_HKDF_256,
                                          .key = &p256_public};
    o->opts.key = &p256;
    o->name = "COSE_Encrypt ECDH-ES";
    o->run = run_encrypt;
    fail_each_call(o);
    make_msg(o, tk_cose_encrypt_encrypt);
    o->name = "COSE_Encrypt decrypt ECDH";
    o->run = run_decrypt;
    fail_each_call(o);

    o->rp[0].alg = TK_COSE_ALG_ECDH_ES_A128KW;
    o->build.kdf_supp_pub_other = TK_VIEW_STR("SUIT Payload Encryption");
    o->opts.kdf_supp_pub_other = o->build.kdf_supp_pub_other;
    o->name = "encrypt prepare";
    o->run = run_encrypt_prepare;
    fail_each_call(o);
    {
        uint8_t aad[64];
        tk_cose_content_key ck;

        assert_int_equal(tk_cose_encrypt_prepare(cose_test_crypto(),
                                                 &o->build, o->msg,
                                                 sizeof(o->msg), &o->msg_len,
                                                 aad, sizeof(aad), &ck),
                         TK_OK);
        tk_key_release(&ck.cek);
    }
    o->name = "decrypt prepare";
    o->run = run_decrypt_prepare;
    fail_each_call(o);
    free(o);
}

static void test_key_operations(void **state)
{
    tk_crypto_fault fault;
    uint8_t digest[TK_COSE_THUMBPRINT_SIZE];
    uint8_t cbor[128];
    size_t len;
    tk_key k;

    (void)state;
    tk_crypto_fault_init(&fault, cose_test_crypto());
    tk_crypto_fault_arm(&fault, 1, TK_ERR_CRYPTO_FAULT_INJECTED);
    assert_int_equal(tk_cose_key_thumbprint(&fault.table, &p256, digest),
                     TK_ERR_CRYPTO_FAULT_INJECTED);
    assert_int_equal(tk_cose_key_encode(&p256, TK_ALG_NONE, false, cbor,
                                        sizeof(cbor), &len),
                     TK_OK);
    tk_key_init(&k);
    tk_crypto_fault_arm(&fault, 1, TK_ERR_CRYPTO_FAULT_INJECTED);
    assert_int_equal(tk_cose_key_import(&fault.table, (tk_view){cbor, len},
                                        &k, NULL),
                     TK_ERR_CRYPTO_FAULT_INJECTED);
    tk_key_release(&k);
}

static int setup(void **state)
{
    tk_key_params pub;

    (void)state;
    cose_test_p256_key(&p256, true);
    assert_int_equal(tk_key_export_public(&p256, &pub), TK_OK);
    tk_key_init(&p256_public);
    assert_int_equal(cose_test_crypto()->key_import(cose_test_crypto()->ctx,
                                                    &pub, &p256_public),
                     TK_OK);
    cose_test_sym_key(&hmac_key, 32, 0x11);
    cose_test_sym_key(&aes_key, 16, 0x22);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tk_key_release(&p256);
    tk_key_release(&p256_public);
    tk_key_release(&hmac_key);
    tk_key_release(&aes_key);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_mac),
        cmocka_unit_test(test_encryption),
        cmocka_unit_test(test_key_operations),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
