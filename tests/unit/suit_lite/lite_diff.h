/*
 * Differential checks of the lite SUIT processor against the full one on
 * the in-memory test platform of tests/unit/suit.
 *
 * tl_diff_process() has the signature of tk_suit_process(). It runs the
 * lite processor on a deep copy of the platform that the full processor
 * uses, then the full processor on the platform itself, and returns the
 * full processor's result, so a test of the full processor compiled with
 * tk_suit_process defined as tl_diff_process keeps its own assertions and
 * gains these:
 *   - when the lite processor rejects, its copy of the platform is
 *     unchanged (committed images and rollback records);
 *   - when the lite processor accepts, the full one accepts too, and both
 *     platforms end with the same images, records and invocations.
 * With tl_mode set to TL_EQUAL, the two must also agree on every
 * rejection.
 */
#ifndef LITE_DIFF_H
#define LITE_DIFF_H

#include "suit_test_platform.h"
#include "teepkit/suit.h"
#include "teepkit/suit_lite.h"

typedef enum tl_mode_kind {
    TL_SUBSET = 0, /* the lite processor accepts no more than the full */
    TL_EQUAL       /* ... and rejects no more */
} tl_mode_kind;

/* Counts over every tl_diff_process() call of the program. */
typedef struct tl_stats {
    unsigned long runs;
    unsigned long compared;     /* runs where the accept check applied */
    unsigned long lite_accepts;
    unsigned long full_accepts;
} tl_stats;

extern tl_mode_kind tl_mode;
extern tl_stats tl_counts;

/* The lite fetch callback of the test platform: serves its URIs in
 * chunks of fetch_chunk bytes. ctx is the tp_platform. */
tk_err tl_fetch(void *ctx, const tk_suit_fetch_request *req,
                tk_suit_lite_sink *sink);

/* Runs the lite processor on tp with crypto. */
tk_err tl_lite_run(tp_platform *tp, const tk_crypto *crypto, tk_view input,
                   tk_suit_operation op, tk_suit_lite_error *error);

/* See the file comment. */
tk_err tl_diff_process(tk_suit_processor *proc, tk_view input,
                       tk_suit_operation op);

#ifdef TL_MODE_EQUAL
/* A program built with TL_MODE_EQUAL compares in TL_EQUAL mode. */
__attribute__((constructor)) static void tl_mode_equal(void)
{
    tl_mode = TL_EQUAL;
}
#endif

#endif /* LITE_DIFF_H */
