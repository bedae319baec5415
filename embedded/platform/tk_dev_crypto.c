/* Crypto set-up of a device: see tk_dev_crypto.h. */
#include "tk_dev_crypto.h"

#include <stdint.h>
#include <string.h>

#include <mbedtls/memory_buffer_alloc.h>

#include "semihost.h"

/* Byte written over the free arena, so that the high-water mark can be
 * read back. */
#define TK_DEV_HEAP_PAINT 0xa5u
/* Bytes at the arena start that the allocator's first block header may
 * use; they are not painted. */
#define TK_DEV_HEAP_HEADER 64u

static unsigned char tk_dev_heap[TK_DEV_HEAP_SIZE]
    __attribute__((aligned(8)));

const tk_crypto *tk_dev_crypto_init(tk_crypto_entropy_fn entropy,
                                    void *entropy_ctx)
{
    /* The allocator zeroes the arena and writes one header at its start.
     * It touches the rest only when it hands it out, so paint shows use. */
    mbedtls_memory_buffer_alloc_init(tk_dev_heap, sizeof(tk_dev_heap));
    memset(tk_dev_heap + TK_DEV_HEAP_HEADER, TK_DEV_HEAP_PAINT,
           sizeof(tk_dev_heap) - TK_DEV_HEAP_HEADER);
    if (entropy != NULL &&
        tk_crypto_mbedtls_set_entropy(entropy, entropy_ctx) != TK_OK) {
        return NULL;
    }
    return tk_crypto_mbedtls();
}

size_t tk_dev_heap_high_water(void)
{
    /* First fit from the arena start: every allocation, and the header
     * split off behind it, lies below the highest written byte. */
    size_t end = sizeof(tk_dev_heap);

    while (end > TK_DEV_HEAP_HEADER && tk_dev_heap[end - 1] == TK_DEV_HEAP_PAINT) {
        end--;
    }
    return end;
}

void tk_dev_mbedtls_exit(int status)
{
    (void)status;
    tk_semihost_write0("fatal: Mbed TLS found its allocation arena "
                       "corrupted\n");
    tk_semihost_exit(99);
}

int tk_dev_test_entropy(void *ctx, unsigned char *out, size_t len,
                        size_t *out_len)
{
    uint32_t *state = ctx;
    uint32_t x = *state;

    /* xorshift32: a reproducible byte stream, nothing more. */
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (unsigned char)x;
    }
    *state = x;
    *out_len = len;
    return 0;
}
