/*
 * Test hooks of the TAM service (tam_testhooks.h).
 */
#include "tam_testhooks.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tam_internal.h"

void tam_crash_point(const char *point)
{
    const char *target = getenv(TAM_TEST_CRASH_ENV);
    if (target != NULL && strcmp(target, point) == 0)
        kill(getpid(), SIGKILL);
}

static pthread_once_t clock_once = PTHREAD_ONCE_INIT;
static int64_t clock_offset;

/* Reads TK_TEST_CLOCK_OFFSET into clock_offset, once. */
static void read_clock_offset(void)
{
    const char *text = getenv(TAM_TEST_CLOCK_ENV);
    if (text == NULL || text[0] == '\0')
        return;
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < -TAM_TEST_CLOCK_MAX ||
        value > TAM_TEST_CLOCK_MAX) {
        TK_LOG_ERROR(TAM_LOG,
                     "test hook %s ignored: '%s' is not a whole number of "
                     "seconds between -%lld and %lld",
                     TAM_TEST_CLOCK_ENV, text,
                     (long long)TAM_TEST_CLOCK_MAX,
                     (long long)TAM_TEST_CLOCK_MAX);
        return;
    }
    clock_offset = (int64_t)value;
    TK_LOG_WARN(TAM_LOG, "test hook %s: the clock runs %lld seconds %s",
                TAM_TEST_CLOCK_ENV, value < 0 ? -value : value,
                value < 0 ? "behind" : "ahead");
}

int64_t tam_test_clock_offset(void)
{
    pthread_once(&clock_once, read_clock_offset);
    return clock_offset;
}

int64_t tam_test_clock(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL) + tam_test_clock_offset();
}
