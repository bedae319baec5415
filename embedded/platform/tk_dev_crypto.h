/*
 * Crypto set-up of a device: the Mbed TLS allocation arena, the entropy
 * source, and the backend table.
 *
 * Mbed TLS allocates its bignums while it computes (about 2 to 3 KiB at
 * once for a P-256 operation with the device configuration). Here the
 * allocations come from one static arena through Mbed TLS's own
 * buffer allocator, so newlib's malloc and _sbrk are never linked.
 */
#ifndef TK_DEV_CRYPTO_H
#define TK_DEV_CRYPTO_H

#include <stddef.h>

#include "teepkit/crypto.h"

/* Bytes of the Mbed TLS arena (default 4 KiB). bench/embedded/run.sh
 * prints the high-water mark of every image, which is how this default was
 * chosen: raise it if an operation fails with TK_ERR_CRYPTO_BACKEND. */
#ifndef TK_DEV_HEAP_SIZE
#define TK_DEV_HEAP_SIZE 4096
#endif

/*
 * Gives Mbed TLS the arena, sets the entropy source (a hardware random
 * generator on a real device) and seeds the backend. Call once, before any
 * crypto. Returns the backend table, or NULL when seeding failed.
 */
const tk_crypto *tk_dev_crypto_init(tk_crypto_entropy_fn entropy,
                                    void *entropy_ctx);

/* Returns the highest number of arena bytes in use at once since
 * tk_dev_crypto_init(), allocator headers included. */
size_t tk_dev_heap_high_water(void);

/* Stops the device after Mbed TLS found its arena corrupted (the exit()
 * of the Mbed TLS configuration). This one prints a message and ends the
 * QEMU run with exit status 99; a product resets instead. */
_Noreturn void tk_dev_mbedtls_exit(int status);

/*
 * Test entropy for QEMU, which emulates no random generator on this
 * board: a fixed sequence. NOT random: a device must pass its hardware
 * generator instead.
 */
int tk_dev_test_entropy(void *ctx, unsigned char *out, size_t len,
                        size_t *out_len);

#endif /* TK_DEV_CRYPTO_H */
