/*
 * Size and stack image of the SUIT processor: tk_suit_process() with the
 * CBOR and COSE libraries, the Mbed TLS backend and the device platform,
 * and nothing else of teepkit. It runs each published example (examples
 * 0-5, example 3 in both slots, example 2 severed) and prints, per example,
 * the result and the stack used below main():
 *
 *   metric <example> result <tk_err>
 *   metric <example> stack_core <bytes>    caller side: processor, CBOR,
 *                                          COSE and platform callbacks
 *   metric <example> stack_crypto <bytes>  inside one crypto call
 *   metric <example> stack_total <bytes>   both together
 *   metric <example> state <digest>        what the run left on the
 *                                          device (tkd_state_digest)
 *
 * then the arena high-water mark of Mbed TLS and the sizes of the
 * structures the caller provides. The exit status is the number of
 * examples whose result differs from tke_example_expected(): an example
 * that needs a part the profile leaves out must fail with that part's
 * error. bench/embedded/run.sh reads the metric lines.
 */
#include <string.h>

#include "device.h"
#include "suit_examples.h"
#include "teepkit/cbor.h"
#include "tk_crypto_proxy.h"
#include "tk_dev_crypto.h"
#include "tk_dev_platform.h"
#include "tk_out.h"

/* Component images: example 5 writes the most, 109 KiB, and each
 * procedure stages its writes next to the committed images. */
static uint8_t storage[256 * 1024] __attribute__((section(".tk_storage")));

/* The processor takes several KiB (the sizeof_tk_suit_processor line of
 * the output), so it is static, not on the stack. */
static tk_suit_processor processor;
static tkd_platform platform;
static tk_crypto_proxy proxy;

static void metric(const char *name, const char *key, uint64_t value)
{
    tk_out_str("metric ");
    tk_out_str(name);
    tk_out_str(" ");
    tk_out_str(key);
    tk_out_str(" ");
    tk_out_uint(value);
    tk_out_str("\n");
}

/* Prints the first 8 bytes of the platform's state digest
 * (tkd_state_digest), which tests/embedded/compare_suit_lite.sh compares
 * with the lite processor's image. */
static void state(const char *name, const tk_crypto *crypto)
{
    uint8_t digest[32];
    uint64_t v = 0;
    if (tkd_state_digest(&platform, crypto, digest) != TK_OK) {
        return;
    }
    for (size_t i = 0; i < 8; i++) {
        v = (v << 8) | digest[i];
    }
    metric(name, "state", v);
}

/* Runs one example; returns its result. */
static tk_err run_example(const tk_crypto *crypto, const tk_key *key,
                          const tke_example *ex)
{
    tk_suit_config cfg;
    tk_err err;

    tkd_init(&platform, crypto, key, storage, sizeof(storage));
    err = tke_example_setup(&platform, ex);
    if (err != TK_OK) {
        return err;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.platform = &platform.pf;
    err = tk_suit_processor_init(&processor, &cfg);
    if (err != TK_OK) {
        return err;
    }
    tk_crypto_proxy_start(&proxy, tk_stack_pointer());
    err = tk_suit_process(&processor, (tk_view){ex->envelope, ex->len},
                          ex->op);
    tk_crypto_proxy_stop(&proxy);
    return err;
}

int main(void)
{
    uint32_t seed = 0x2545f491u;
    const tk_crypto *backend = tk_dev_crypto_init(tk_dev_test_entropy, &seed);
    const tk_crypto *crypto;
    tk_key key;
    int failures = 0;

    if (backend == NULL) {
        tk_out_str("image_suit: the Mbed TLS backend failed to seed\n");
        return 100;
    }
    crypto = tk_crypto_proxy_init(&proxy, backend);
    if (tke_example_key(backend, &key) != TK_OK) {
        tk_out_str("image_suit: cannot import the example key\n");
        return 101;
    }
    for (size_t i = 0; i < tke_example_count; i++) {
        const tke_example *ex = &tke_examples[i];
        tk_err err = run_example(crypto, &key, ex);

        metric(ex->name, "result", (uint64_t)err);
        metric(ex->name, "stack_core", proxy.caller_peak);
        metric(ex->name, "stack_crypto", proxy.crypto_peak);
        metric(ex->name, "stack_total", proxy.total_peak);
        state(ex->name, backend);
        if (err != tke_example_expected(ex)) {
            /* The code only: tk_errname() would link every message. */
            tk_out_str("image_suit: ");
            tk_out_str(ex->name);
            tk_out_str(" failed with tk_err ");
            tk_out_int(err);
            tk_out_str("\n");
            failures++;
        }
    }
    metric("image", "heap_high_water", tk_dev_heap_high_water());
    metric("image", "heap_arena", TK_DEV_HEAP_SIZE);
    metric("image", "sizeof_tk_suit_processor", sizeof(tk_suit_processor));
    metric("image", "sizeof_tk_suit_work", TK_SUIT_WORK_SIZE);
    metric("image", "sizeof_tkd_platform", sizeof(tkd_platform));
    metric("image", "sizeof_tk_cbor_dec", sizeof(tk_cbor_dec));
    metric("image", "sizeof_tk_cbor_enc", sizeof(tk_cbor_enc));
    /* The nesting limits bound the processor's recursion; stack.py uses
     * them for its worst case. */
    metric("image", "limit_try_depth", TK_SUIT_MAX_TRY_DEPTH);
    metric("image", "limit_dependency_depth", TK_SUIT_MAX_DEPENDENCY_DEPTH);
    tk_key_release(&key);
    tk_out_flush();
    return failures;
}
