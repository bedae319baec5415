/*
 * Size and stack image of the SUIT processor: tk_suit_process() with the
 * CBOR and COSE libraries, the Mbed TLS backend and the device platform,
 * and nothing else of teepkit. suit_harness.c runs the published examples
 * and prints the metric lines that bench/embedded/run.sh reads.
 *
 * This file adds the processor's calls and its own lines: the sizes of the
 * structures the caller provides and the nesting limits. The exit status
 * is the number of examples whose result differs from
 * tke_example_expected(), so an example that needs a part the profile
 * leaves out must fail with that part's error.
 */
#include <string.h>

#include "suit_harness.h"
#include "teepkit/cbor.h"

/* The processor takes several KiB (the sizeof_tk_suit_processor line of
 * the output), so it is static, not on the stack. */
static tk_suit_processor processor;

static tk_err init(tkd_platform *platform, const tk_crypto *crypto)
{
    tk_suit_config config;

    memset(&config, 0, sizeof(config));
    config.crypto = crypto;
    config.platform = &platform->pf;
    return tk_suit_processor_init(&processor, &config);
}

static tk_err process(tk_view envelope, tk_suit_operation operation)
{
    return tk_suit_process(&processor, envelope, operation);
}

/* The nesting limits bound the processor's recursion, so stack.py uses
 * them for its worst case. */
static const tkh_image_metric image_metrics[] = {
    {"sizeof_tk_suit_processor", sizeof(tk_suit_processor)},
    {"sizeof_tk_suit_work", TK_SUIT_WORK_SIZE},
    {"sizeof_tkd_platform", sizeof(tkd_platform)},
    {"sizeof_tk_cbor_dec", sizeof(tk_cbor_dec)},
    {"sizeof_tk_cbor_enc", sizeof(tk_cbor_enc)},
    {"limit_try_depth", TK_SUIT_MAX_TRY_DEPTH},
    {"limit_dependency_depth", TK_SUIT_MAX_DEPENDENCY_DEPTH},
};

static const tkh_processor full_processor = {
    .name = "image_suit",
    .init = init,
    .process = process,
    .expected = tke_example_expected,
    .image_metrics = image_metrics,
    .image_metric_count = sizeof(image_metrics) / sizeof(image_metrics[0]),
};

int main(void)
{
    return tkh_run(&full_processor);
}
