/*
 * Test hooks of the TAM service, read from the environment. Neither may
 * be set in production. The TAM logs a warning when its clock is moved.
 *
 *   TK_TEST_CRASH_AT=POINT     the process sends itself SIGKILL when a
 *                              request reaches POINT
 *   TK_TEST_CLOCK_OFFSET=SECS  the clock of `teepkit tam serve` and its
 *                              store runs SECS seconds ahead of time()
 *                              (behind when negative)
 *
 * Crash points, in the order a session meets them:
 *
 *   tam-before-save-query   a QueryRequest is signed, its session not stored
 *   tam-after-save-query    the QueryRequest's session is stored, the reply
 *                           not sent
 *   tam-after-take-query    a QueryResponse's token is consumed, nothing
 *                           else stored
 *   tam-before-save-update  an Update is signed, its session not stored
 *   tam-after-save-update   the Update's session is stored, the reply not
 *                           sent
 *   tam-after-take-update   a Success's or Error's token is consumed,
 *                           nothing else stored
 *   tam-after-reports       its SUIT reports are stored, the installed
 *                           state and the audit entry not yet
 *   tam-after-record        every record of the Success or Error is
 *                           stored, the reply not sent
 */
#ifndef TK_TAM_TESTHOOKS_H
#define TK_TAM_TESTHOOKS_H

#include <stdint.h>

#define TAM_TEST_CRASH_ENV "TK_TEST_CRASH_AT"
#define TAM_TEST_CLOCK_ENV "TK_TEST_CLOCK_OFFSET"

/* Largest offset accepted, in seconds: 100 years. */
#define TAM_TEST_CLOCK_MAX ((int64_t)100 * 366 * 86400)

/* Sends the process SIGKILL when TK_TEST_CRASH_AT names point. */
void tam_crash_point(const char *point);

/*
 * Returns the seconds of TK_TEST_CLOCK_OFFSET, 0 when it is unset. The
 * variable is read once per process. An invalid value is logged as an
 * error and counts as 0.
 */
int64_t tam_test_clock_offset(void);

/* Returns time() plus tam_test_clock_offset(): the clock of
 * tk_tam_options for `teepkit tam serve` when the hook is set. */
int64_t tam_test_clock(void *ctx);

#endif /* TK_TAM_TESTHOOKS_H */
