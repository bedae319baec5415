/*
 * Delegation chains (suit-delegation, envelope key 1): a trust anchor
 * signs a CWT whose confirmation key (cnf, RFC 8747) may sign manifests;
 * chains of CWTs delegate further. A chain not rooted in a trusted key, or
 * whose links do not verify, is rejected.
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

#define MANIFEST                                                             \
    "{1: 1, 2: 1, 3: << {2: [[h'00']]} >>,"                                   \
    " 20: << [20, {18: 'delegated'}, 18, 15] >>}"

typedef struct fixture {
    tp_platform tp;
    tk_suit_processor proc;
    tk_key middle;  /* delegated by the anchor */
    tk_key leaf;    /* delegated by middle */
    uint8_t env[8192];
    size_t env_len;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_suit_config cfg;
    const tk_crypto *c = tu_crypto();
    assert_non_null(f);
    tp_init(&f->tp);
    /* The example key is the trust anchor of delegations only. */
    tp_add_key(&f->tp, TK_SUIT_KEY_DELEGATION, 0, NULL, -1,
               tu_example_public());
    tk_key_init(&f->middle);
    tk_key_init(&f->leaf);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &f->middle), TK_OK);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &f->leaf), TK_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = c;
    cfg.platform = &f->tp.pf;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tp_free(&f->tp);
    tk_key_release(&f->middle);
    tk_key_release(&f->leaf);
    free(f);
    return 0;
}

/* Writes the hex of a CWT, signed by signer, that confirms subject. */
static void cwt_hex(const tk_key *signer, const tk_key *subject, char *out)
{
    uint8_t cose_key[160];
    uint8_t claims[256];
    uint8_t cwt[512];
    size_t key_len = 0;
    size_t cwt_len = 0;
    size_t claims_len = 0;
    assert_int_equal(tk_cose_key_encode(subject, 0, false, cose_key,
                                        sizeof(cose_key), &key_len),
                     TK_OK);
    /* Claims {1 (iss): "suit-author", 8 (cnf): {1 (COSE_Key): key}}
     * (RFC 8392, RFC 8747 section 3.2), built around the encoded key. */
    static const uint8_t head[] = {0xa2, 0x01, 0x6b, 's', 'u', 'i', 't',
                                   '-',  'a',  'u',  't', 'h', 'o', 'r',
                                   0x08, 0xa1, 0x01};
    memcpy(claims, head, sizeof(head));
    memcpy(claims + sizeof(head), cose_key, key_len);
    claims_len = sizeof(head) + key_len;
    tk_cose_build build;
    memset(&build, 0, sizeof(build));
    build.alg = TK_ALG_ES256;
    build.key = signer;
    assert_int_equal(tk_cose_sign1_sign(tu_crypto(), &build,
                                        (tk_view){claims, claims_len}, cwt,
                                        sizeof(cwt), &cwt_len),
                     TK_OK);
    for (size_t i = 0; i < cwt_len; i++)
        sprintf(out + 2 * i, "%02x", cwt[i]);
}

static tk_err run(fixture *f, const char *delegation, const tk_key *signer)
{
    char extra[4096];
    snprintf(extra, sizeof(extra), "1: << %s >>", delegation);
    f->env_len = tu_envelope(MANIFEST, delegation != NULL ? extra : NULL,
                             signer, TK_ALG_ES256, f->env, sizeof(f->env));
    return tk_suit_process(&f->proc, (tk_view){f->env, f->env_len},
                           TK_SUIT_OP_UPDATE);
}

static void one_link(void **state)
{
    fixture *f = *state;
    char cwt[1100];
    char chain[1200];
    uint8_t id[3];
    cwt_hex(tu_example_private(), &f->middle, cwt);
    snprintf(chain, sizeof(chain), "[[h'%s']]", cwt);
    assert_int_equal(run(f, chain, &f->middle), TK_OK);
    const tp_image *img = tp_image_of(&f->tp, tp_id_byte(id, 0));
    assert_non_null(img);
    assert_memory_equal(img->data, "delegated", 9);
}

static void two_links(void **state)
{
    fixture *f = *state;
    char first[1100];
    char second[1100];
    char chain[2400];
    cwt_hex(tu_example_private(), &f->middle, first);
    cwt_hex(&f->middle, &f->leaf, second);
    snprintf(chain, sizeof(chain), "[[h'%s', h'%s']]", first, second);
    assert_int_equal(run(f, chain, &f->leaf), TK_OK);
    /* The middle key is not the end of the chain: it may not sign. */
    assert_int_equal(run(f, chain, &f->middle), TK_ERR_SUIT_SIGNATURE);
}

static void broken_links(void **state)
{
    fixture *f = *state;
    char first[1100];
    char second[1100];
    char chain[2400];
    uint8_t id[3];
    /* Without a delegation the key is unknown. */
    assert_int_equal(run(f, NULL, &f->middle), TK_ERR_SUIT_KEY_NOT_FOUND);
    /* A CWT signed by an untrusted key. */
    cwt_hex(&f->leaf, &f->middle, first);
    snprintf(chain, sizeof(chain), "[[h'%s']]", first);
    assert_int_equal(run(f, chain, &f->middle), TK_ERR_SUIT_DELEGATION);
    /* A second link not signed by the first link's key. */
    cwt_hex(tu_example_private(), &f->middle, first);
    cwt_hex(tu_example_private(), &f->leaf, second);
    snprintf(chain, sizeof(chain), "[[h'%s', h'%s']]", first, second);
    assert_int_equal(run(f, chain, &f->leaf), TK_ERR_SUIT_DELEGATION);
    /* A malformed delegation member. */
    assert_int_equal(run(f, "[]", &f->middle), TK_ERR_SUIT_DELEGATION);
    assert_int_equal(run(f, "[[h'00']]", &f->middle),
                     TK_ERR_SUIT_DELEGATION);
    assert_null(tp_image_of(&f->tp, tp_id_byte(id, 0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_link, setup, teardown),
        cmocka_unit_test_setup_teardown(two_links, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_links, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
