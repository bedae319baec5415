/* Tests of the shared error table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "teepkit/error.h"

static void strerror_known_codes(void **state)
{
    (void)state;
    assert_string_equal(tk_strerror(TK_OK), "success");
    assert_string_equal(tk_errname(TK_ERR_BUFFER_TOO_SMALL),
                        "TK_ERR_BUFFER_TOO_SMALL");
}

static void strerror_unknown_code(void **state)
{
    (void)state;
    assert_string_equal(tk_strerror((tk_err)399), "unknown error code");
    assert_string_equal(tk_errname((tk_err)399), "TK_ERR_UNKNOWN");
}

/* Every defined code has a non-empty message with no trailing period. */
static void strerror_every_code_described(void **state)
{
    (void)state;
    for (int value = 0; value < 400; value++) {
        const char *name = tk_errname((tk_err)value);
        if (strcmp(name, "TK_ERR_UNKNOWN") == 0)
            continue;
        const char *text = tk_strerror((tk_err)value);
        size_t len = strlen(text);
        assert_true(len > 0);
        assert_true(text[len - 1] != '.');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strerror_known_codes),
        cmocka_unit_test(strerror_unknown_code),
        cmocka_unit_test(strerror_every_code_described),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
