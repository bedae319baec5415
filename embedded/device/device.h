/*
 * Start-up support of the teepkit Cortex-M4 images: stack painting and
 * high-water marks. The startup code (startup.c) copies .data, zeroes
 * .bss, paints the unused stack with TK_STACK_PAINT and calls main(); the
 * value main() returns becomes the semihosting exit status.
 */
#ifndef TK_DEVICE_H
#define TK_DEVICE_H

#include <stddef.h>
#include <stdint.h>

/* Word written over unused stack. */
#define TK_STACK_PAINT 0xa5a5a5a5u

/* Returns the current stack pointer. */
uintptr_t tk_stack_pointer(void);

/* Paints the stack from its limit up to just below the caller's frame,
 * erasing the marks of earlier calls. */
void tk_stack_paint(void);

/* Returns the lowest stack address written since the last paint. */
uintptr_t tk_stack_low_water(void);

/* Returns the bytes of stack used below base since the last paint; base
 * is a tk_stack_pointer() value taken before the measured call. */
size_t tk_stack_used_below(uintptr_t base);

/* Returns the size of the stack region in bytes. */
size_t tk_stack_size(void);

#endif /* TK_DEVICE_H */
