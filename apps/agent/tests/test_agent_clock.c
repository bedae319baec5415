/*
 * The device clock of the agent's component store (apps/suitdev) under
 * the TK_TEST_CLOCK_OFFSET test hook, which the agent passes on as the
 * policy's clock offset: delegation CWTs (RFC 8392 exp and nbf, checked
 * by lib/suit with the platform clock) are judged at the moved time, a
 * fixed clock of the device settings stays fixed, and an offset that
 * would move the clock before 1970 is an error.
 *
 * The published example key is the delegation anchor of the device's
 * policy (tk_suitdev_policy.delegation_keys), and a key made by the test
 * is the one the CWT delegates to.
 */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "suit_test_util.h"
#include "suitdev.h"
#include "teepkit/cose.h"
#include "teepkit/suit.h"

/* Installs the text "delegated" into component [h'00']. */
#define MANIFEST                                                             \
    "{1: 1, 2: 1, 3: << {2: [[h'00']]} >>,"                                   \
    " 20: << [20, {18: 'delegated'}, 18, 15] >>}"

/* One hour, and the offsets that move the device clock past it. */
#define HOUR 3600
#define AHEAD (2 * HOUR)

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

typedef struct fixture {
    char dir[64];
    tk_suitdev *device;
    tk_key delegate;          /* the key the CWT delegates to */
    tk_key other;             /* a key that anchors nothing here */
    tk_suitdev_state state;   /* device settings, for the fixed clock */
    uint8_t env[8192];
    size_t env_len;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const tk_crypto *c = tu_crypto();
    tk_suitdev_config config;

    assert_non_null(f);
    strcpy(f->dir, "/tmp/tk-agent-clock-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    memset(&config, 0, sizeof(config));
    config.store_dir = f->dir;
    assert_int_equal(tk_suitdev_open(&config, &f->device), TK_OK);
    tk_key_init(&f->delegate);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &f->delegate),
                     TK_OK);
    tk_key_init(&f->other);
    assert_int_equal(c->key_generate(c->ctx, TK_CRV_P256, &f->other),
                     TK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    tk_suitdev_close(f->device);
    tk_key_release(&f->delegate);
    tk_key_release(&f->other);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Appends the CBOR head of an unsigned integer that fits 32 bits. */
static size_t put_uint32(uint8_t *out, uint32_t value)
{
    out[0] = 0x1a;
    out[1] = (uint8_t)(value >> 24);
    out[2] = (uint8_t)(value >> 16);
    out[3] = (uint8_t)(value >> 8);
    out[4] = (uint8_t)value;
    return 5;
}

/*
 * Writes, as hex text, a CWT signed with the example key whose cnf
 * (RFC 8747) is f->delegate, with an exp or nbf claim when not 0.
 */
static void cwt_hex(const fixture *f, int64_t exp, int64_t nbf, char *out)
{
    uint8_t claims[256];
    uint8_t cwt[512];
    size_t len = 1;
    size_t key_len = 0;
    size_t cwt_len = 0;
    tk_cose_build build;

    claims[0] = (uint8_t)(0xa1 + (exp != 0) + (nbf != 0));
    if (exp != 0) {
        claims[len++] = 0x04;
        len += put_uint32(claims + len, (uint32_t)exp);
    }
    if (nbf != 0) {
        claims[len++] = 0x05;
        len += put_uint32(claims + len, (uint32_t)nbf);
    }
    claims[len++] = 0x08;   /* cnf: {1 (COSE_Key): key} */
    claims[len++] = 0xa1;
    claims[len++] = 0x01;
    assert_int_equal(tk_cose_key_encode(&f->delegate, 0, false, claims + len,
                                        sizeof(claims) - len, &key_len),
                     TK_OK);
    len += key_len;
    memset(&build, 0, sizeof(build));
    build.alg = TK_ALG_ES256;
    build.key = tu_example_private();
    assert_int_equal(tk_cose_sign1_sign(tu_crypto(), &build,
                                        (tk_view){claims, len}, cwt,
                                        sizeof(cwt), &cwt_len),
                     TK_OK);
    for (size_t i = 0; i < cwt_len; i++)
        sprintf(out + 2 * i, "%02x", cwt[i]);
}

/* Which keys the device's policy trusts. */
typedef enum trust {
    TRUST_ANCHOR,        /* the example key anchors delegations */
    TRUST_NONE,          /* no key at all */
    TRUST_WRONG_ANCHOR,  /* another key anchors delegations */
    TRUST_AS_SIGNER      /* the example key verifies manifests only */
} trust;

/*
 * Processes the manifest, signed by the delegated key under a one-link
 * chain with the given claims, on the device whose clock runs offset
 * seconds ahead and that trusts the keys of trusted; fixed selects the
 * fixed clock of the settings.
 */
static tk_err run_on(fixture *f, int64_t exp, int64_t nbf, int64_t offset,
                     bool fixed, trust trusted)
{
    const tk_key *example[1] = {tu_example_public()};
    const tk_key *other[1] = {&f->other};
    char cwt[1100];
    char extra[1300];
    tk_suitdev_policy policy;
    tk_suitdev_session *session = NULL;
    tk_suit_processor *proc = calloc(1, sizeof(*proc));
    tk_suit_config cfg;
    tk_err err;

    assert_non_null(proc);
    cwt_hex(f, exp, nbf, cwt);
    snprintf(extra, sizeof(extra), "1: << [[h'%s']] >>", cwt);
    f->env_len = tu_envelope(MANIFEST, extra, &f->delegate, TK_ALG_ES256,
                             f->env, sizeof(f->env));
    memset(&policy, 0, sizeof(policy));
    policy.clock_offset = offset;
    policy.state = fixed ? &f->state : NULL;
    if (trusted == TRUST_ANCHOR || trusted == TRUST_WRONG_ANCHOR) {
        policy.delegation_keys = trusted == TRUST_ANCHOR ? example : other;
        policy.delegation_key_count = 1;
    } else if (trusted == TRUST_AS_SIGNER) {
        policy.manifest_keys = example;
        policy.manifest_key_count = 1;
    }
    assert_int_equal(tk_suitdev_session_open(f->device, &policy, &session),
                     TK_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tu_crypto();
    cfg.platform = tk_suitdev_session_platform(session);
    assert_int_equal(tk_suit_processor_init(proc, &cfg), TK_OK);
    err = tk_suit_process(proc, (tk_view){f->env, f->env_len},
                          TK_SUIT_OP_UPDATE);
    if (err != TK_OK)
        assert_int_equal(tk_suit_processor_error(proc)->code, err);
    tk_suitdev_session_close(session);
    free(proc);
    return err;
}

/* run_on() with the example key as the delegation anchor. */
static tk_err run(fixture *f, int64_t exp, int64_t nbf, int64_t offset,
                  bool fixed)
{
    return run_on(f, exp, nbf, offset, fixed, TRUST_ANCHOR);
}

/* Returns true when the store holds the image the manifest installs. */
static bool installed(const fixture *f)
{
    char path[128];
    uint8_t image[16];
    FILE *file;
    size_t n;

    snprintf(path, sizeof(path), "%s/c_h00.img", f->dir);
    file = fopen(path, "rb");
    if (file == NULL)
        return false;
    n = fread(image, 1, sizeof(image), file);
    fclose(file);
    return n == 9 && memcmp(image, "delegated", 9) == 0;
}

/* The device reads the host clock moved by the offset. */
static void clock_moves(void **state)
{
    fixture *f = *state;
    tk_suitdev_policy policy;
    tk_suitdev_session *session = NULL;
    const tk_suit_platform *platform;
    uint64_t seconds = 0;
    int64_t before;

    memset(&policy, 0, sizeof(policy));
    policy.clock_offset = 400 * 86400;
    assert_int_equal(tk_suitdev_session_open(f->device, &policy, &session),
                     TK_OK);
    platform = tk_suitdev_session_platform(session);
    before = (int64_t)time(NULL);
    assert_int_equal(platform->now(platform->ctx, &seconds), TK_OK);
    assert_true((int64_t)seconds >= before + 400 * 86400);
    assert_true((int64_t)seconds <= (int64_t)time(NULL) + 400 * 86400);
    tk_suitdev_session_close(session);
}

/* RFC 8392 section 3.1.4 at the moved time: a CWT that expires in an
 * hour is valid now and expired two hours ahead. */
static void delegation_expires_ahead(void **state)
{
    fixture *f = *state;
    int64_t exp = (int64_t)time(NULL) + HOUR;

    assert_int_equal(run(f, exp, 0, AHEAD, false),
                     TK_ERR_SUIT_DELEGATION_EXPIRED);
    assert_false(installed(f));
    assert_int_equal(run(f, exp, 0, 0, false), TK_OK);
    assert_true(installed(f));
    /* A clock moved back keeps it valid too. */
    assert_int_equal(run(f, exp, 0, -AHEAD, false), TK_OK);
}

/* RFC 8392 section 3.1.5 at the moved time: a CWT valid from an hour ago
 * is not yet valid two hours behind. */
static void delegation_not_yet_valid_behind(void **state)
{
    fixture *f = *state;
    int64_t nbf = (int64_t)time(NULL) - HOUR;

    assert_int_equal(run(f, 0, nbf, -AHEAD, false),
                     TK_ERR_SUIT_DELEGATION_NOT_YET_VALID);
    assert_false(installed(f));
    assert_int_equal(run(f, 0, nbf, 0, false), TK_OK);
    assert_true(installed(f));
    /* A CWT valid only from an hour ahead passes two hours ahead. */
    nbf = (int64_t)time(NULL) + HOUR;
    assert_int_equal(run(f, 0, nbf, 0, false),
                     TK_ERR_SUIT_DELEGATION_NOT_YET_VALID);
    assert_int_equal(run(f, 0, nbf, AHEAD, false), TK_OK);
}

/* A fixed clock of the device settings ignores the offset. */
static void fixed_clock_stays(void **state)
{
    fixture *f = *state;
    int64_t now = (int64_t)time(NULL);

    f->state.has_time = true;
    f->state.time = (uint64_t)now;
    assert_int_equal(run(f, now + HOUR, 0, AHEAD, true), TK_OK);
    assert_true(installed(f));
    f->state.time = (uint64_t)(now + AHEAD);
    assert_int_equal(run(f, now + HOUR, 0, 0, true),
                     TK_ERR_SUIT_DELEGATION_EXPIRED);
}

/* An offset that moves the clock before 1970 fails the clock, and with
 * it the chain, instead of wrapping around to a time far ahead. */
static void offset_before_1970_fails(void **state)
{
    fixture *f = *state;
    int64_t now = (int64_t)time(NULL);

    assert_int_equal(run(f, now + HOUR, 0, -(now + 10 * HOUR), false),
                     TK_ERR_INVALID_ARG);
    assert_false(installed(f));
}

/* A chain, valid at any time, is accepted only when its anchor is a
 * delegation anchor of the policy: not without anchors, not with another
 * anchor, and not with the anchor's key trusted as a manifest key. */
static void delegation_needs_anchor(void **state)
{
    static const trust rejected[] = {TRUST_NONE, TRUST_WRONG_ANCHOR,
                                     TRUST_AS_SIGNER};
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
        assert_int_equal(run_on(f, 0, 0, 0, false, rejected[i]),
                         TK_ERR_SUIT_DELEGATION);
        assert_false(installed(f));
    }
    assert_int_equal(tk_suit_error_reason(TK_ERR_SUIT_DELEGATION),
                     TK_SUIT_REASON_UNAUTHORISED);
    assert_int_equal(run_on(f, 0, 0, 0, false, TRUST_ANCHOR), TK_OK);
    assert_true(installed(f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clock_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(delegation_expires_ahead, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(delegation_not_yet_valid_behind,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(fixed_clock_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(offset_before_1970_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(delegation_needs_anchor, setup,
                                        teardown),
    };
    tk_log_set_level(TK_LOG_OFF);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
