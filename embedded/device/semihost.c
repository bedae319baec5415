/* ARM semihosting calls: see semihost.h. */
#include "semihost.h"

#include <stdint.h>

/* Operation numbers of the semihosting specification. */
enum {
    SYS_WRITE0 = 0x04,
    SYS_EXIT = 0x18,
    SYS_EXIT_EXTENDED = 0x20
};

/* Reason code of a normal application exit. */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

/* Issues semihosting operation op with argument arg and returns r0. */
static uintptr_t semihost_call(uintptr_t op, const void *arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;

    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void tk_semihost_write0(const char *text)
{
    semihost_call(SYS_WRITE0, text);
}

void tk_semihost_exit(int code)
{
    /* The exit status travels in the second word; plain SYS_EXIT can
     * only report success or failure on AArch32. */
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};

    semihost_call(SYS_EXIT_EXTENDED, block);
    /* A host without SYS_EXIT_EXTENDED ignores it: fall back. */
    semihost_call(SYS_EXIT, (const void *)(uintptr_t)(
                                code == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                          : 0x20023u /* RunTimeErrorUnknown */));
    for (;;) {
    }
}
