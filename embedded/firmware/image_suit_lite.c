/*
 * Size and stack image of the lite SUIT processor (lib/suit/lite):
 * tk_suit_lite_process() with the Mbed TLS backend and the device
 * platform, and nothing else of teepkit (no CBOR or COSE library).
 * suit_harness.c runs the published examples and prints the metric lines.
 * bench/embedded/run.sh reads them, and tests/embedded/compare_suit_lite.sh
 * compares them with those of tk_image_suit.
 *
 * This file adds the processor's calls and the sizes of the structures the
 * caller provides. The exit status is the number of examples whose result
 * differs from the expected one: TK_OK for the manifest examples, and
 * TK_ERR_SUIT_UNKNOWN_MEMBER for the trust-domains examples, because this
 * processor rejects their dependencies.
 */
#include <string.h>

#include "suit_harness.h"

/* The processor is static, not on the stack (sizeof_tk_suit_lite). */
static tk_suit_lite processor;

static tk_err init(tkd_platform *platform, const tk_crypto *crypto)
{
    tk_suit_lite_config config;

    memset(&config, 0, sizeof(config));
    config.crypto = crypto;
    config.platform = &platform->pf;
    config.fetch = tkd_lite_fetch;
    config.fetch_ctx = platform;
    return tk_suit_lite_init(&processor, &config);
}

static tk_err process(tk_view envelope, tk_suit_operation operation)
{
    return tk_suit_lite_process(&processor, envelope, operation);
}

/* Returns TK_OK for the manifest examples. The trust-domains examples
 * declare dependencies or integrated dependency envelopes, which this
 * processor rejects. */
static tk_err expected(const tke_example *example)
{
    return strncmp(example->name, "example", 7) == 0
               ? TK_OK
               : TK_ERR_SUIT_UNKNOWN_MEMBER;
}

static const tkh_image_metric image_metrics[] = {
    {"sizeof_tk_suit_lite", sizeof(tk_suit_lite)},
    {"sizeof_tkd_platform", sizeof(tkd_platform)},
};

static const tkh_processor lite_processor = {
    .name = "image_suit_lite",
    .init = init,
    .process = process,
    .expected = expected,
    .image_metrics = image_metrics,
    .image_metric_count = sizeof(image_metrics) / sizeof(image_metrics[0]),
};

int main(void)
{
    return tkh_run(&lite_processor);
}
