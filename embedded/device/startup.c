/*
 * Reset handler, vector table and stack painting of the teepkit Cortex-M4
 * images (see device.h). The linker script cortex-m4.ld provides the
 * section and stack symbols.
 */
#include "device.h"

#include <string.h>

#include "semihost.h"

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __stack_top__[], __stack_limit__[];

int main(void);
_Noreturn void tk_reset_handler(void);

/* Bytes left unpainted below the painter's own frame. */
#define TK_STACK_PAINT_MARGIN 64u

uintptr_t tk_stack_pointer(void)
{
    uintptr_t sp;

    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

void tk_stack_paint(void)
{
    volatile uint32_t *p = __stack_limit__;
    uintptr_t end = tk_stack_pointer() - TK_STACK_PAINT_MARGIN;

    while ((uintptr_t)p < end) {
        *p++ = TK_STACK_PAINT;
    }
}

uintptr_t tk_stack_low_water(void)
{
    const volatile uint32_t *p = __stack_limit__;

    while (p < __stack_top__ && *p == TK_STACK_PAINT) {
        p++;
    }
    return (uintptr_t)p;
}

size_t tk_stack_used_below(uintptr_t base)
{
    uintptr_t low = tk_stack_low_water();

    return low < base ? (size_t)(base - low) : 0;
}

size_t tk_stack_size(void)
{
    return (size_t)((uintptr_t)__stack_top__ - (uintptr_t)__stack_limit__);
}

_Noreturn void tk_reset_handler(void)
{
    size_t data_len = (size_t)((uintptr_t)__data_end__ -
                               (uintptr_t)__data_start__);
    size_t bss_len = (size_t)((uintptr_t)__bss_end__ -
                              (uintptr_t)__bss_start__);

    memcpy(__data_start__, __data_load__, data_len);
    memset(__bss_start__, 0, bss_len);
    tk_stack_paint();
    tk_semihost_exit(main());
}

/* Any fault ends the run with exit status 3 and a message. */
static _Noreturn void tk_fault_handler(void)
{
    tk_semihost_write0("fatal: processor fault (HardFault, MemManage, "
                       "BusFault or UsageFault)\n");
    tk_semihost_exit(3);
}

/* Cortex-M vector table: initial stack pointer, then the handlers of the
 * system exceptions. Interrupts stay disabled in these images. */
__attribute__((section(".isr_vector"), used))
static void (*const tk_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top__,
    tk_reset_handler,
    tk_fault_handler, /* NMI */
    tk_fault_handler, /* HardFault */
    tk_fault_handler, /* MemManage */
    tk_fault_handler, /* BusFault */
    tk_fault_handler, /* UsageFault */
    0, 0, 0, 0,
    tk_fault_handler, /* SVCall */
    tk_fault_handler, /* DebugMonitor */
    0,
    tk_fault_handler, /* PendSV */
    tk_fault_handler, /* SysTick */
};
