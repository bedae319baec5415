/*
 * A test runner for the Cortex-M4 test images of tests/embedded. Each
 * image lists its cases and calls tk_runner_main() from main(); the output
 * is TAP (Test Anything Protocol) through semihosting, and the exit status
 * is the number of failed cases (at most 100). QEMU exits with that status,
 * which is the result CTest sees.
 *
 * The checks stop the running case at the first failure and print the
 * file, the line, the expression and both values.
 */
#ifndef TK_RUNNER_H
#define TK_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "teepkit/error.h"

typedef struct tk_runner_case {
    const char *name;
    void (*run)(void);
} tk_runner_case;

#define TK_RUNNER_CASE(fn) {#fn, fn}

/* Runs every case of suite and returns the number that failed. */
int tk_runner_main(const char *suite, const tk_runner_case *cases,
                   size_t count);

/* Reports a failed check of the running case. */
void tk_runner_fail(const char *file, int line, const char *expr);
void tk_runner_fail_int(const char *file, int line, const char *expr,
                        int64_t actual, int64_t expected);
void tk_runner_fail_err(const char *file, int line, const char *expr,
                        tk_err actual, tk_err expected);
void tk_runner_fail_mem(const char *file, int line, const char *expr,
                        const uint8_t *actual, const uint8_t *expected,
                        size_t len);

/* Writes a diagnostic line ("# text") of the running case. */
void tk_runner_note(const char *text, int64_t value);

#define TK_CHECK(cond)                                          \
    do {                                                        \
        if (!(cond)) {                                          \
            tk_runner_fail(__FILE__, __LINE__, #cond);          \
            return;                                             \
        }                                                       \
    } while (0)

#define TK_CHECK_INT(actual, expected)                                   \
    do {                                                                 \
        int64_t tk_a_ = (int64_t)(actual);                               \
        int64_t tk_e_ = (int64_t)(expected);                             \
        if (tk_a_ != tk_e_) {                                            \
            tk_runner_fail_int(__FILE__, __LINE__, #actual, tk_a_, tk_e_); \
            return;                                                      \
        }                                                                \
    } while (0)

#define TK_CHECK_ERR(actual, expected)                                   \
    do {                                                                 \
        tk_err tk_a_ = (actual);                                         \
        tk_err tk_e_ = (expected);                                       \
        if (tk_a_ != tk_e_) {                                            \
            tk_runner_fail_err(__FILE__, __LINE__, #actual, tk_a_, tk_e_); \
            return;                                                      \
        }                                                                \
    } while (0)

#define TK_CHECK_OK(actual) TK_CHECK_ERR(actual, TK_OK)

#define TK_CHECK_MEM(actual, expected, len)                              \
    do {                                                                 \
        const uint8_t *tk_a_ = (const uint8_t *)(actual);                \
        const uint8_t *tk_e_ = (const uint8_t *)(expected);              \
        size_t tk_n_ = (len);                                            \
        if (memcmp(tk_a_, tk_e_, tk_n_) != 0) {                          \
            tk_runner_fail_mem(__FILE__, __LINE__, #actual, tk_a_, tk_e_, \
                               tk_n_);                                   \
            return;                                                      \
        }                                                                \
    } while (0)

#endif /* TK_RUNNER_H */
