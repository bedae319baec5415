/*
 * Logging for the TAM, the agent and the CLI: one line per event on standard
 * error, "TIME LEVEL component: message key=value ...". Thread-safe.
 * Never pass a key, token or other secret to these functions.
 */
#ifndef TK_APP_LOG_H
#define TK_APP_LOG_H

typedef enum tk_log_level {
    TK_LOG_DEBUG = 0,
    TK_LOG_INFO = 1,
    TK_LOG_WARN = 2,
    TK_LOG_ERROR = 3,
    TK_LOG_OFF = 4,
} tk_log_level;

/* Sets the lowest level that is printed (default TK_LOG_INFO). */
void tk_log_set_level(tk_log_level level);

/* Parses "debug", "info", "warn", "error" or "off". Returns 0, or -1 when
 * the name is unknown. */
int tk_log_parse_level(const char *name, tk_log_level *level);

/* Returns non-zero when messages at level are printed. */
int tk_log_enabled(tk_log_level level);

/* Prints one log line. component names the part that logs ("tam", "http",
 * "agent"); the message is printf-formatted and must not end in a newline. */
void tk_log(tk_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TK_LOG_DEBUG(component, ...) tk_log(TK_LOG_DEBUG, component, __VA_ARGS__)
#define TK_LOG_INFO(component, ...) tk_log(TK_LOG_INFO, component, __VA_ARGS__)
#define TK_LOG_WARN(component, ...) tk_log(TK_LOG_WARN, component, __VA_ARGS__)
#define TK_LOG_ERROR(component, ...) tk_log(TK_LOG_ERROR, component, __VA_ARGS__)

#endif /* TK_APP_LOG_H */
