/*
 * Table checks of the hostile tests: a test runs many generated cases,
 * reports every case whose result differs from the expected one (with its
 * description), and fails once at the end, so that one run lists all
 * mismatches instead of only the first.
 */
#ifndef HT_H
#define HT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "teepkit/error.h"

typedef struct ht_table {
    const char *name;
    size_t cases;
    size_t mismatches;
} ht_table;

/* Records one case: got must equal want. */
static inline void ht_expect(ht_table *t, tk_err got, tk_err want,
                             const char *what)
{
    t->cases++;
    if (got == want)
        return;
    t->mismatches++;
    if (t->mismatches <= 40)
        print_message("%s: %s: got %s, expected %s\n", t->name, what,
                      tk_errname(got), tk_errname(want));
}

/* Records one case that must hold. */
static inline void ht_true(ht_table *t, int cond, const char *what)
{
    t->cases++;
    if (cond)
        return;
    t->mismatches++;
    if (t->mismatches <= 40)
        print_message("%s: %s: check failed\n", t->name, what);
}

/* Fails the test when any case mismatched; also fails an empty table,
 * which would test nothing. */
static inline void ht_done(ht_table *t)
{
    print_message("%s: %zu cases\n", t->name, t->cases);
    assert_true(t->cases > 0);
    assert_int_equal(t->mismatches, 0);
}

#endif /* HT_H */
