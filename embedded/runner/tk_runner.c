/* Test runner of the Cortex-M4 test images: see tk_runner.h. */
#include "tk_runner.h"

#include "tk_out.h"

/* Whether the running case has failed. */
static bool tk_runner_failed;

/* Writes the "# file:line: expr" head of a failure. */
static void fail_head(const char *file, int line, const char *expr)
{
    tk_runner_failed = true;
    tk_out_str("# ");
    tk_out_str(file);
    tk_out_str(":");
    tk_out_int(line);
    tk_out_str(": check failed: ");
    tk_out_str(expr);
}

void tk_runner_fail(const char *file, int line, const char *expr)
{
    fail_head(file, line, expr);
    tk_out_str("\n");
}

void tk_runner_fail_int(const char *file, int line, const char *expr,
                        int64_t actual, int64_t expected)
{
    fail_head(file, line, expr);
    tk_out_str(" is ");
    tk_out_int(actual);
    tk_out_str(", expected ");
    tk_out_int(expected);
    tk_out_str("\n");
}

void tk_runner_fail_err(const char *file, int line, const char *expr,
                        tk_err actual, tk_err expected)
{
    fail_head(file, line, expr);
    tk_out_str(" is ");
    tk_out_str(tk_errname(actual));
    tk_out_str(" (");
    tk_out_str(tk_strerror(actual));
    tk_out_str("), expected ");
    tk_out_str(tk_errname(expected));
    tk_out_str("\n");
}

void tk_runner_fail_mem(const char *file, int line, const char *expr,
                        const uint8_t *actual, const uint8_t *expected,
                        size_t len)
{
    size_t at = 0;

    while (at < len && actual[at] == expected[at]) {
        at++;
    }
    fail_head(file, line, expr);
    tk_out_str(" differs at byte ");
    tk_out_uint(at);
    tk_out_str(" of ");
    tk_out_uint(len);
    tk_out_str(": ");
    tk_out_hex(actual + at, len - at < 16 ? len - at : 16);
    tk_out_str(" instead of ");
    tk_out_hex(expected + at, len - at < 16 ? len - at : 16);
    tk_out_str("\n");
}

void tk_runner_note(const char *text, int64_t value)
{
    tk_out_str("# ");
    tk_out_str(text);
    tk_out_str(" ");
    tk_out_int(value);
    tk_out_str("\n");
}

int tk_runner_main(const char *suite, const tk_runner_case *cases,
                   size_t count)
{
    int failed = 0;

    tk_out_str("# ");
    tk_out_str(suite);
    tk_out_str(" on Cortex-M4\n1..");
    tk_out_uint(count);
    tk_out_str("\n");
    for (size_t i = 0; i < count; i++) {
        tk_runner_failed = false;
        cases[i].run();
        tk_out_str(tk_runner_failed ? "not ok " : "ok ");
        tk_out_uint(i + 1);
        tk_out_str(" - ");
        tk_out_str(cases[i].name);
        tk_out_str("\n");
        if (tk_runner_failed) {
            failed++;
        }
    }
    tk_out_str("# ");
    tk_out_uint(count - (size_t)failed);
    tk_out_str(" passed, ");
    tk_out_uint((size_t)failed);
    tk_out_str(" failed\n");
    tk_out_flush();
    return failed > 100 ? 100 : failed;
}
