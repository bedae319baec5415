/* Line-oriented logging to standard error; see log.h. */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static tk_log_level min_level = TK_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void tk_log_set_level(tk_log_level level)
{
    min_level = level;
}

int tk_log_parse_level(const char *name, tk_log_level *level)
{
    static const char *const names[] = {"debug", "info", "warn", "error",
                                        "off"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, names[i]) == 0) {
            *level = (tk_log_level)i;
            return 0;
        }
    }
    return -1;
}

int tk_log_enabled(tk_log_level level)
{
    return level >= min_level && level < TK_LOG_OFF;
}

void tk_log(tk_log_level level, const char *component, const char *fmt, ...)
{
    if (!tk_log_enabled(level))
        return;
    char line[1024];
    struct timespec now;
    struct tm utc;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &utc);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ",
                     utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec,
                     now.tv_nsec / 1000000, level_names[level], component);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    va_list args;
    va_start(args, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, args);
    va_end(args);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}
