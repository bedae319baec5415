/*
 * Processor semantics on small signed manifests: component index
 * selection (integer, true, arrays), parameter scoping in try-each and
 * run-sequence, soft failure, set versus override parameters,
 * override-multiple and copy-params, every condition and directive with
 * its failure code, and the limits.
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

typedef struct fixture {
    tp_platform tp;
    tk_suit_processor proc;
    tk_suit_record records[64];
    uint8_t env[8192];
    size_t env_len;
    uint8_t id[3][3];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    tk_suit_config cfg;
    assert_non_null(f);
    tp_init(&f->tp);
    tp_add_key(&f->tp, TK_SUIT_KEY_MANIFEST, 0, NULL, -1,
               tu_example_public());
    for (uint8_t i = 0; i < 3; i++)
        tp_id_byte(f->id[i], i);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = tu_crypto();
    cfg.platform = &f->tp.pf;
    cfg.records = f->records;
    cfg.record_cap = 64;
    /* Many manifests with the same sequence number run on one platform,
     * so rollback records are off here (test_suit_dependencies covers
     * them). */
    cfg.flags = TK_SUIT_FLAG_RECORD_ALL | TK_SUIT_FLAG_NO_INSTALL_RECORD;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
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

/* Signs a manifest whose common lists n components [h'00'].. and whose
 * install (key 20) or other members are given. */
static tk_err run_text(fixture *f, const char *members, size_t n,
                       tk_suit_operation op)
{
    static const char *const lists[] = {"", "[h'00']", "[h'00'], [h'01']",
                                        "[h'00'], [h'01'], [h'02']"};
    char text[8192];
    snprintf(text, sizeof(text), "{1: 1, 2: 1, 3: << {2: [%s]} >>, %s}",
             lists[n], members);
    f->env_len = tu_envelope(text, NULL, NULL, 0, f->env, sizeof(f->env));
    return tk_suit_process(&f->proc, (tk_view){f->env, f->env_len}, op);
}

static tk_err run_install(fixture *f, const char *install, size_t n)
{
    char members[8192];
    snprintf(members, sizeof(members), "20: << [%s] >>", install);
    return run_text(f, members, n, TK_SUIT_OP_UPDATE);
}

static void assert_content(fixture *f, size_t i, const char *text)
{
    const tp_image *img = tp_image_of(&f->tp, (tk_view){f->id[i], 3});
    assert_non_null(img);
    assert_int_equal(img->len, strlen(text));
    assert_memory_equal(img->data, text, img->len);
}

static void assert_absent(fixture *f, size_t i)
{
    assert_null(tp_image_of(&f->tp, (tk_view){f->id[i], 3}));
}

static const tk_suit_error *error(fixture *f)
{
    return tk_suit_processor_error(&f->proc);
}

/* ---- component index ---------------------------------------------------- */

static void index_true_applies_to_all(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f, "12, true, 20, {18: 'same'}, 18, 15", 3),
                     TK_OK);
    assert_content(f, 0, "same");
    assert_content(f, 1, "same");
    assert_content(f, 2, "same");
    /* One record per component, in component order. */
    size_t n = tk_suit_processor_record_count(&f->proc);
    size_t writes = 0;
    for (size_t i = 0; i < n; i++)
        if (f->records[i].command == TK_SUIT_DIR_WRITE)
            assert_int_equal(f->records[i].component, writes++);
    assert_int_equal(writes, 3);
}

static void index_array_applies_to_listed(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f, "12, [2, 0], 20, {18: 'x'}, 18, 15", 3),
                     TK_OK);
    assert_content(f, 0, "x");
    assert_content(f, 2, "x");
    assert_absent(f, 1);
    /* Records follow the array's order: 2 then 0. */
    size_t n = tk_suit_processor_record_count(&f->proc);
    uint32_t order[2];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 2; i++)
        if (f->records[i].command == TK_SUIT_DIR_WRITE)
            order[k++] = f->records[i].component;
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 0);
}

/* Per-component parameters: one component's parameters do not leak to
 * another. */
static void parameters_are_per_component(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f,
                                 "12, 0, 20, {18: 'zero'}, 12, 1,"
                                 " 20, {18: 'one'}, 12, [0, 1], 18, 15",
                                 2),
                     TK_OK);
    assert_content(f, 0, "zero");
    assert_content(f, 1, "one");
    /* Component 1 without content fails: nothing to write. */
    assert_int_equal(run_install(f, "12, 0, 20, {18: 'a'}, 12, 1, 18, 15",
                                 2),
                     TK_ERR_SUIT_PARAMETER_MISSING);
    assert_int_equal(error(f)->component, 1);
}

/* ---- try-each, run-sequence and soft failure ---------------------------- */

/* A failed try-each branch leaves no parameter behind; the branch that
 * succeeds keeps its parameters. */
static void try_each_scoping(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f,
                                 "15, [<< [20, {18: 'first'}, 14, 15] >>,"
                                 " << [20, {21: \"u\"}] >>],"
                                 " 19, {18: 'fallback'}, 18, 15",
                                 1),
                     TK_OK);
    /* The first branch's content was undone, so set-parameters applied. */
    assert_content(f, 0, "fallback");
}

static void try_each_all_fail(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f,
                                 "15, [<< [14, 15] >>, << [14, 15] >>],"
                                 " 20, {18: 'x'}, 18, 15",
                                 1),
                     TK_ERR_SUIT_TRY_EACH_FAILED);
    assert_int_equal(error(f)->command, TK_SUIT_DIR_TRY_EACH);
    assert_absent(f, 0);
    /* A trailing nil lets every branch fail. */
    assert_int_equal(run_install(f,
                                 "15, [<< [14, 15] >>, << [14, 15] >>, null],"
                                 " 20, {18: 'x'}, 18, 15",
                                 1),
                     TK_OK);
    assert_content(f, 0, "x");
}

/* Soft failure set false inside a branch makes its condition failure
 * abort the whole try-each. */
static void try_each_hard_condition(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f,
                                 "15, [<< [20, {13: false}, 14, 15] >>,"
                                 " << [] >>]",
                                 1),
                     TK_ERR_SUIT_ABORT);
    assert_int_equal(error(f)->command, TK_SUIT_COND_ABORT);
}

/* A directive failure inside a branch aborts even with soft failure. */
static void try_each_directive_failure(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f,
                                 "15, [<< [18, 15] >>, << [] >>]", 1),
                     TK_ERR_SUIT_PARAMETER_MISSING);
    assert_int_equal(error(f)->command, TK_SUIT_DIR_WRITE);
}

/* run-sequence: soft failure false by default; with soft failure true a
 * condition failure halts it without side effects. */
static void run_sequence_soft_failure(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f, "32, << [14, 15] >>", 1),
                     TK_ERR_SUIT_ABORT);
    assert_int_equal(run_install(f,
                                 "32, << [20, {13: true, 18: 'lost'}, 14, 15]"
                                 " >>, 19, {18: 'kept'}, 18, 15",
                                 1),
                     TK_OK);
    assert_content(f, 0, "kept");
}

/* run-sequence with index true runs once per component. */
static void run_sequence_per_component(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f,
                                 "12, true, 32, << [20, {18: 'each'}, 18, 15]"
                                 " >>",
                                 2),
                     TK_OK);
    assert_content(f, 0, "each");
    assert_content(f, 1, "each");
}

/* Nesting deeper than TK_SUIT_MAX_TRY_DEPTH is rejected. */
static void nesting_limit(void **state)
{
    fixture *f = *state;
    char seq[1024] = "14, 15";
    char next[2048];
    for (int i = 0; i <= TK_SUIT_MAX_TRY_DEPTH; i++) {
        snprintf(next, sizeof(next), "32, << [%s] >>", seq);
        assert_true(strlen(next) < sizeof(seq));
        memcpy(seq, next, strlen(next) + 1);
    }
    assert_int_equal(run_install(f, seq, 1), TK_ERR_SUIT_DEPTH);
}

/* set-parameters does not replace a set value; override does. */
static void set_versus_override(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f,
                                 "20, {18: 'first'}, 19, {18: 'second'},"
                                 " 18, 15",
                                 1),
                     TK_OK);
    assert_content(f, 0, "first");
    assert_int_equal(run_install(f,
                                 "19, {18: 'first'}, 20, {18: 'second'},"
                                 " 18, 15",
                                 1),
                     TK_OK);
    assert_content(f, 0, "second");
}

/* override-multiple sets each listed component and leaves the index at
 * the last one; copy-params copies named parameters. */
static void override_multiple_and_copy_params(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f,
                                 "34, {0: {18: 'zero'}, 2: {18: 'two'}},"
                                 " 18, 15, 12, 1, 35, {0: [18]}, 18, 15",
                                 3),
                     TK_OK);
    assert_content(f, 2, "two");
    assert_content(f, 1, "zero");
    assert_absent(f, 0);
}

/* ---- conditions --------------------------------------------------------- */

static void check_content_condition(void **state)
{
    fixture *f = *state;
    tp_set_image(&f->tp, (tk_view){f->id[0], 3}, (const uint8_t *)"abc", 3);
    assert_int_equal(run_install(f, "20, {18: 'abc'}, 6, 15", 1), TK_OK);
    assert_int_equal(run_install(f, "20, {18: 'abd'}, 6, 15", 1),
                     TK_ERR_SUIT_CONTENT_MISMATCH);
    assert_int_equal(run_install(f, "20, {18: 'ab'}, 6, 15", 1),
                     TK_ERR_SUIT_CONTENT_MISMATCH);
}

static void image_not_match_condition(void **state)
{
    fixture *f = *state;
    uint8_t d[32];
    char text[512];
    char hex[65];
    tp_set_image(&f->tp, (tk_view){f->id[0], 3}, (const uint8_t *)"abc", 3);
    tu_sha256((const uint8_t *)"abc", 3, d);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    snprintf(text, sizeof(text), "20, {3: << [-16, h'%s'] >>}, 25, 15", hex);
    assert_int_equal(run_install(f, text, 1), TK_ERR_SUIT_IMAGE_MATCHES);
    snprintf(text, sizeof(text), "20, {3: << [-16, h'%s'] >>}, 3, 15", hex);
    assert_int_equal(run_install(f, text, 1), TK_OK);
    /* Without the platform's digest callback the library hashes. */
    f->tp.use_digest = false;
    assert_int_equal(run_install(f, text, 1), TK_OK);
    assert_int_equal(run_install(f, "3, 15", 1),
                     TK_ERR_SUIT_PARAMETER_MISSING);
}

static void device_identifier_condition(void **state)
{
    fixture *f = *state;
    const char *cond = "20, {24: h'00112233445566778899aabbccddeeff'}, 24, 15";
    assert_int_equal(run_install(f, cond, 1), TK_ERR_SUIT_DEVICE_ID);
    memcpy(f->tp.device, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb"
                         "\xcc\xdd\xee\xff",
           16);
    f->tp.have_device = true;
    assert_int_equal(run_install(f, cond, 1), TK_OK);
}

static void update_management_conditions(void **state)
{
    fixture *f = *state;
    f->tp.now = 1000;
    assert_int_equal(run_install(f, "20, {4: 2000}, 4, 15", 1), TK_OK);
    assert_int_equal(run_install(f, "20, {4: 999}, 4, 15", 1),
                     TK_ERR_SUIT_EXPIRED);
    f->tp.battery_mwh = 500;
    assert_int_equal(run_install(f, "20, {26: 500}, 26, 15", 1), TK_OK);
    assert_int_equal(run_install(f, "20, {26: 501}, 26, 15", 1),
                     TK_ERR_SUIT_BATTERY);
    assert_int_equal(run_install(f, "20, {27: -5}, 27, 15", 1), TK_OK);
    f->tp.authorized = false;
    assert_int_equal(run_install(f, "20, {27: -5}, 27, 15", 1),
                     TK_ERR_SUIT_UPDATE_UNAUTHORIZED);
    assert_int_equal(run_install(f, "29, 15", 1),
                     TK_ERR_SUIT_PARAMETER_MISSING);
    assert_int_equal(run_install(f, "20, {29: << {5: 0} >>}, 29, 15", 1),
                     TK_OK);
    assert_int_equal(f->tp.nwaits, 1);
}

/* suit-condition-version with the five comparison types
 * (draft-ietf-suit-update-management-14 section 4.4). */
static void version_condition(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *match;
        tk_err want;
    } cases[] = {
        {"[1, [1, 2]]", TK_ERR_SUIT_COMPONENT_VERSION}, /* 1.2.x is not
                                                           greater */
        {"[1, [1, 1]]", TK_OK},                       /* 1.2.3 > 1.1 */
        {"[2, [1, 2, 3]]", TK_OK},                    /* >= */
        {"[3, [1]]", TK_OK},                          /* = 1.x */
        {"[3, [1, 3]]", TK_ERR_SUIT_COMPONENT_VERSION},
        {"[4, [1, 2, 3]]", TK_OK},                    /* <= */
        {"[5, [1, 10]]", TK_OK},                      /* < 1.10 */
        {"[5, [1, 2, 3]]", TK_ERR_SUIT_COMPONENT_VERSION},
        {"[2, [1, 2, 3, -1, 1]]", TK_OK},             /* >= 1.2.3-rc1 */
        {"[1, [2]]", TK_ERR_SUIT_COMPONENT_VERSION},
    };
    f->tp.version[0] = 1;
    f->tp.version[1] = 2;
    f->tp.version[2] = 3;
    f->tp.version_n = 3;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "20, {28: << %s >>}, 28, 15",
                 cases[i].match);
        tk_err want = cases[i].want;
        tk_err e = run_install(f, text, 1);
        if (e != want)
            fail_msg("case %zu: expected %s, got %s", i, tk_errname(want),
                     tk_errname(e));
    }
}

/* Conditions fail softly inside try-each, so a device picks a branch. */
static void condition_selects_branch(void **state)
{
    fixture *f = *state;
    f->tp.battery_mwh = 10;
    assert_int_equal(run_install(f,
                                 "15, [<< [20, {26: 100, 18: 'full'}, 26, 15,"
                                 " 18, 15] >>, << [20, {18: 'eco'}, 18, 15]"
                                 " >>]",
                                 1),
                     TK_OK);
    assert_content(f, 0, "eco");
}

/* ---- directives --------------------------------------------------------- */

static void copy_and_swap(void **state)
{
    fixture *f = *state;
    tp_set_image(&f->tp, (tk_view){f->id[1], 3}, (const uint8_t *)"src", 3);
    tp_set_image(&f->tp, (tk_view){f->id[2], 3}, (const uint8_t *)"dst", 3);
    assert_int_equal(run_install(f, "12, 0, 20, {22: 1}, 22, 15", 3),
                     TK_OK);
    assert_content(f, 0, "src");
    assert_int_equal(run_install(f, "12, 2, 20, {22: 1}, 31, 15", 3),
                     TK_OK);
    assert_content(f, 2, "src");
    assert_content(f, 1, "dst");
    /* Copy from an absent component, and onto itself. */
    tp_free(&f->tp);
    f->tp.ncomps = 0;
    assert_int_equal(run_install(f, "12, 0, 20, {22: 1}, 22, 15", 2),
                     TK_ERR_SUIT_COMPONENT_ABSENT);
    assert_int_equal(run_install(f, "12, 0, 20, {22: 0}, 22, 15", 2),
                     TK_ERR_SUIT_COMMAND_NOT_ALLOWED);
    assert_int_equal(run_install(f, "12, 0, 22, 15", 2),
                     TK_ERR_SUIT_PARAMETER_MISSING);
}

/* Copy through the platform's map() and through read() with a source
 * larger than the destination's size limit. */
static void copy_size_limit(void **state)
{
    fixture *f = *state;
    tp_set_image(&f->tp, (tk_view){f->id[1], 3},
                 (const uint8_t *)"0123456789", 10);
    assert_int_equal(run_install(f, "12, 0, 20, {22: 1, 14: 9}, 22, 15", 2),
                     TK_ERR_SUIT_IMAGE_SIZE);
    assert_absent(f, 0);
    f->tp.use_map = true;
    assert_int_equal(run_install(f, "12, 0, 20, {22: 1, 14: 10}, 22, 15",
                                 2),
                     TK_OK);
    assert_content(f, 0, "0123456789");
}

static void invoke_with_arguments(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_text(f, "9: << [20, {23: 'console=ttyS0'}, 23, 2]"
                                 " >>",
                              1, TK_SUIT_OP_BOOT),
                     TK_OK);
    assert_int_equal(f->tp.ninvoked, 1);
    assert_int_equal(f->tp.invoked[0].args_len, 13);
    assert_memory_equal(f->tp.invoked[0].args, "console=ttyS0", 13);
}

static void fetch_integrated_missing(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f, "20, {21: \"#absent\"}, 21, 15", 1),
                     TK_ERR_SUIT_INTEGRATED_MISSING);
    assert_int_equal(f->tp.nfetches, 0);
    /* A URI the platform cannot fetch. */
    assert_int_equal(run_install(f, "20, {21: \"http://x/\"}, 21, 15", 1),
                     TK_ERR_NOT_FOUND);
}

static void unsupported_callbacks(void **state)
{
    fixture *f = *state;
    f->tp.pf.swap = NULL;
    f->tp.pf.invoke = NULL;
    tp_set_image(&f->tp, (tk_view){f->id[1], 3}, (const uint8_t *)"s", 1);
    assert_int_equal(run_install(f, "12, 0, 20, {22: 1}, 31, 15", 2),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    assert_int_equal(run_install(f, "23, 15", 1),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
    /* Custom commands need the platform's custom callback. */
    assert_int_equal(run_install(f, "-300, 15", 1),
                     TK_ERR_SUIT_COMMAND_UNSUPPORTED);
}

/* Dependencies: process-dependency on a component that is not one. */
static void dependency_commands_on_components(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_install(f, "11, 15", 1), TK_ERR_SUIT_NOT_DEPENDENCY);
    assert_int_equal(run_install(f, "8, 15", 1), TK_ERR_SUIT_IS_DEPENDENCY);
    assert_int_equal(run_install(f, "15, [<< [8, 15, 18, 15] >>, null]", 1),
                     TK_OK);
    assert_int_equal(run_install(f, "7, 15", 1), TK_ERR_SUIT_NOT_DEPENDENCY);
}

/* The shared sequence runs before each section and may not set
 * parameters with side effects outside of it. */
static void shared_sequence_runs_first(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_text(f,
                              "7: << [6, 15] >>, 20: << [18, 15] >>", 1,
                              TK_SUIT_OP_UPDATE),
                     TK_ERR_SUIT_PARAMETER_MISSING);
    char members[512];
    snprintf(members, sizeof(members), "20: << [18, 15] >>");
    f->env_len = tu_envelope("{1: 1, 2: 1, 3: << {2: [[h'00']],"
                             " 4: << [20, {18: 'shared'}] >>} >>,"
                             " 7: << [6, 15] >>, 20: << [18, 15] >>}",
                             NULL, NULL, 0, f->env, sizeof(f->env));
    assert_int_equal(tk_suit_process(&f->proc,
                                     (tk_view){f->env, f->env_len},
                                     TK_SUIT_OP_UPDATE),
                     TK_OK);
    assert_content(f, 0, "shared");
}

/* The vendor and class policy flag requires both checks. */
static void vendor_class_policy(void **state)
{
    fixture *f = *state;
    tk_suit_config cfg = f->proc.cfg;
    cfg.flags |= TK_SUIT_FLAG_REQUIRE_VENDOR_CLASS;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    assert_int_equal(run_install(f, "20, {18: 'x'}, 18, 15", 1),
                     TK_ERR_SUIT_VENDOR_CLASS_REQUIRED);
    f->env_len = tu_envelope(
        "{1: 1, 2: 1, 3: << {2: [[h'00']], 4: << [20, {1: h'fa6b4a53d5ad5fd"
        "fbe9de663e4d41ffe', 2: h'1492af1425695e48bf429b2d51f2ab45'}, 1, 15,"
        " 2, 15] >>} >>}",
        NULL, NULL, 0, f->env, sizeof(f->env));
    assert_int_equal(tk_suit_process(&f->proc,
                                     (tk_view){f->env, f->env_len},
                                     TK_SUIT_OP_UPDATE),
                     TK_OK);
}

/* The record table is bounded: overflowing it is an error. */
static void record_limit(void **state)
{
    fixture *f = *state;
    tk_suit_record small[2];
    tk_suit_config cfg = f->proc.cfg;
    cfg.records = small;
    cfg.record_cap = 2;
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    assert_int_equal(run_install(f, "20, {18: 'x'}, 18, 15, 18, 15, 18, 15",
                                 1),
                     TK_ERR_SUIT_RECORD_LIMIT);
    assert_absent(f, 0);
}

/* Records locate each command: section and offset in its sequence. */
static void record_locations(void **state)
{
    fixture *f = *state;
    tk_suit_config cfg = f->proc.cfg;
    cfg.flags &= ~(uint32_t)TK_SUIT_FLAG_RECORD_ALL; /* as policies ask */
    assert_int_equal(tk_suit_processor_init(&f->proc, &cfg), TK_OK);
    assert_int_equal(run_install(f, "20, {18: 'x'}, 18, 1, 6, 2, 6, 3", 1),
                     TK_OK);
    /* write (policy 1: success recorded), check-content (policy 2: only
     * failure, not recorded), check-content (policy 3: recorded). */
    assert_int_equal(tk_suit_processor_record_count(&f->proc), 2);
    assert_int_equal(f->records[0].command, TK_SUIT_DIR_WRITE);
    assert_int_equal(f->records[0].section, 20);
    assert_int_equal(f->records[0].offset, 6);
    assert_int_equal(f->records[0].policy, 1);
    assert_int_equal(f->records[1].command, TK_SUIT_COND_CHECK_CONTENT);
    assert_int_equal(f->records[1].offset, 10);
    assert_int_equal(f->records[1].param_key, TK_SUIT_PARAM_CONTENT);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(index_true_applies_to_all),
        T(index_array_applies_to_listed),
        T(parameters_are_per_component),
        T(try_each_scoping),
        T(try_each_all_fail),
        T(try_each_hard_condition),
        T(try_each_directive_failure),
        T(run_sequence_soft_failure),
        T(run_sequence_per_component),
        T(nesting_limit),
        T(set_versus_override),
        T(override_multiple_and_copy_params),
        T(check_content_condition),
        T(image_not_match_condition),
        T(device_identifier_condition),
        T(update_management_conditions),
        T(version_condition),
        T(condition_selects_branch),
        T(copy_and_swap),
        T(copy_size_limit),
        T(invoke_with_arguments),
        T(fetch_integrated_missing),
        T(unsupported_callbacks),
        T(dependency_commands_on_components),
        T(shared_sequence_runs_first),
        T(vendor_class_policy),
        T(record_limit),
        T(record_locations),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
