/* Shared run of the SUIT size images, described in suit_harness.h. */
#include "suit_harness.h"

#include "device.h"
#include "tk_crypto_proxy.h"
#include "tk_dev_crypto.h"
#include "tk_out.h"

/* Storage pool of the component images. Example 5 writes the largest
 * amount, 109 KiB, and each procedure stages its writes next to the
 * committed images. */
static uint8_t storage[256 * 1024] __attribute__((section(".tk_storage")));

static tkd_platform platform;
static tk_crypto_proxy proxy;

/* Prints the first 8 bytes of the platform's state digest
 * (tkd_state_digest), which tests/embedded/compare_suit_lite.sh compares
 * between the two images. */
static void state(const char *name, const tk_crypto *crypto)
{
    uint8_t digest[32];
    uint64_t value = 0;

    if (tkd_state_digest(&platform, crypto, digest) != TK_OK) {
        return;
    }
    for (size_t i = 0; i < 8; i++) {
        value = (value << 8) | digest[i];
    }
    tk_out_metric(name, "state", value);
}

/* Runs one example and returns its result. */
static tk_err run_example(const tkh_processor *processor,
                          const tk_crypto *crypto, const tk_key *key,
                          const tke_example *example)
{
    tk_err err;

    tkd_init(&platform, crypto, key, storage, sizeof(storage));
    err = tke_example_setup(&platform, example);
    if (err != TK_OK) {
        return err;
    }
    err = processor->init(&platform, crypto);
    if (err != TK_OK) {
        return err;
    }
    tk_crypto_proxy_start(&proxy, tk_stack_pointer());
    err = processor->process((tk_view){example->envelope, example->len},
                             example->op);
    tk_crypto_proxy_stop(&proxy);
    return err;
}

int tkh_run(const tkh_processor *processor)
{
    uint32_t seed = 0x2545f491u;
    const tk_crypto *backend = tk_dev_crypto_init(tk_dev_test_entropy, &seed);
    const tk_crypto *crypto;
    tk_key key;
    int failures = 0;

    if (backend == NULL) {
        tk_out_str(processor->name);
        tk_out_str(": the Mbed TLS backend failed to seed\n");
        return 100;
    }
    crypto = tk_crypto_proxy_init(&proxy, backend);
    if (tke_example_key(backend, &key) != TK_OK) {
        tk_out_str(processor->name);
        tk_out_str(": cannot import the example key\n");
        return 101;
    }
    for (size_t i = 0; i < tke_example_count; i++) {
        const tke_example *example = &tke_examples[i];
        tk_err err = run_example(processor, crypto, &key, example);

        tk_out_metric(example->name, "result", (uint64_t)err);
        tk_out_metric(example->name, "stack_core", proxy.caller_peak);
        tk_out_metric(example->name, "stack_crypto", proxy.crypto_peak);
        tk_out_metric(example->name, "stack_total", proxy.total_peak);
        state(example->name, backend);
        if (err != processor->expected(example)) {
            /* Prints the code only, because tk_errname() would link every
             * message. */
            tk_out_str(processor->name);
            tk_out_str(": ");
            tk_out_str(example->name);
            tk_out_str(" failed with tk_err ");
            tk_out_int(err);
            tk_out_str("\n");
            failures++;
        }
    }
    tk_out_metric("image", "heap_high_water", tk_dev_heap_high_water());
    tk_out_metric("image", "heap_arena", TK_DEV_HEAP_SIZE);
    for (size_t i = 0; i < processor->image_metric_count; i++) {
        tk_out_metric("image", processor->image_metrics[i].key,
               processor->image_metrics[i].value);
    }
    tk_key_release(&key);
    tk_out_flush();
    return failures;
}
