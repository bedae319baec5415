/*
 * Shared run of the two SUIT size images: tk_image_suit (the full
 * processor of lib/suit) and tk_image_suit_lite (the lean processor of
 * lib/suit/lite). Each image passes in the calls of its own processor, so
 * it links only that processor.
 *
 * tkh_run() seeds the Mbed TLS backend and imports the key of the
 * examples. It then runs each published example on the device platform:
 * examples 0-5, example 3 in both slots, example 2 severed, and the
 * trust-domains dependency alone and integrated. Per example it prints
 * these lines, with the stack measured below the processor call:
 *
 *   metric <example> result <tk_err>
 *   metric <example> stack_core <bytes>    caller side: processor, CBOR,
 *                                          COSE and platform callbacks
 *   metric <example> stack_crypto <bytes>  inside one crypto call
 *   metric <example> stack_total <bytes>   both together
 *   metric <example> state <digest>        what the run left on the
 *                                          device (tkd_state_digest)
 *
 * After the examples it prints "metric image heap_high_water" and
 * "heap_arena" (the Mbed TLS arena), then the image's own lines.
 * bench/embedded/run.sh reads the metric lines, and
 * tests/embedded/compare_suit_lite.sh compares the result and state lines
 * of the two images.
 */
#ifndef TK_SUIT_HARNESS_H
#define TK_SUIT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "suit_examples.h"
#include "tk_dev_platform.h"

/* Key and value of one "metric image KEY VALUE" line. */
typedef struct tkh_image_metric {
    const char *key;
    size_t value;
} tkh_image_metric;

/* Calls and output lines that differ between the two images. */
typedef struct tkh_processor {
    /* Program name, printed before each error message. */
    const char *name;
    /* Sets up the image's processor for one example on platform, with
     * crypto for its crypto calls. */
    tk_err (*init)(tkd_platform *platform, const tk_crypto *crypto);
    /* Runs the processor that init set up on envelope. The stack of this
     * call counts as the example's, so it should end by calling the
     * processor. The compiler then releases its own frame before the
     * jump. */
    tk_err (*process)(tk_view envelope, tk_suit_operation operation);
    /* Result that example must give with this processor. */
    tk_err (*expected)(const tke_example *example);
    /* Lines printed after the heap lines, in this order. */
    const tkh_image_metric *image_metrics;
    size_t image_metric_count;
} tkh_processor;

/* Runs every example with processor. Returns the number of examples
 * whose result differs from processor->expected, 100 when the backend
 * fails to seed, or 101 when the example key fails to import. */
int tkh_run(const tkh_processor *processor);

#endif /* TK_SUIT_HARNESS_H */
