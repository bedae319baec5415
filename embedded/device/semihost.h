/*
 * ARM semihosting (the "Semihosting for AArch32 and AArch64" specification,
 * version 2.0) for output and exit status under QEMU or a debugger. On a
 * Cortex-M a semihosting call is BKPT 0xAB with the operation in r0 and
 * its argument in r1; without a debugger attached, a real device stops in
 * a HardFault at the first call, so production firmware leaves these out.
 */
#ifndef TK_DEVICE_SEMIHOST_H
#define TK_DEVICE_SEMIHOST_H

#include <stddef.h>

/* Writes a NUL-terminated string to the host's console (SYS_WRITE0). */
void tk_semihost_write0(const char *text);

/* Ends the program with exit status code (SYS_EXIT_EXTENDED with reason
 * ADP_Stopped_ApplicationExit); QEMU exits with that status. */
_Noreturn void tk_semihost_exit(int code);

#endif /* TK_DEVICE_SEMIHOST_H */
