/*
 * Console output of the device images without printf: strings, decimal
 * and hexadecimal numbers, written through semihosting a line at a time.
 * Output is buffered until a newline or tk_out_flush().
 */
#ifndef TK_OUT_H
#define TK_OUT_H

#include <stddef.h>
#include <stdint.h>

void tk_out_str(const char *text);
void tk_out_bytes(const char *text, size_t len);
void tk_out_uint(uint64_t value);
void tk_out_int(int64_t value);
/* Writes the line "metric NAME KEY VALUE" that bench/embedded/run.sh
 * collects from an image's output. */
void tk_out_metric(const char *name, const char *key, uint64_t value);
/* Writes len bytes as lowercase hex digits. */
void tk_out_hex(const uint8_t *data, size_t len);
void tk_out_flush(void);

#endif /* TK_OUT_H */
