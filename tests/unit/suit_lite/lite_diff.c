/*
 * Differential checks of the lite SUIT processor (see lite_diff.h).
 */
#include "lite_diff.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

tl_mode_kind tl_mode = TL_SUBSET;
tl_stats tl_counts;

tk_err tl_fetch(void *ctx, const tk_suit_fetch_request *req,
                tk_suit_lite_sink *sink)
{
    tp_platform *tp = ctx;
    tp->nfetches++;
    for (size_t i = 0; i < tp->nuris; i++) {
        const tp_uri *u = &tp->uris[i];
        if (strlen(u->uri) != req->uri.len ||
            memcmp(u->uri, req->uri.ptr, req->uri.len) != 0)
            continue;
        size_t chunk = tp->fetch_chunk > 0 ? tp->fetch_chunk : 7;
        for (size_t off = 0; off < u->len; off += chunk) {
            size_t n = u->len - off < chunk ? u->len - off : chunk;
            tk_err e = tk_suit_lite_sink_write(sink, u->data + off, n);
            if (e != TK_OK)
                return e;
        }
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

tk_err tl_lite_run(tp_platform *tp, const tk_crypto *crypto, tk_view input,
                   tk_suit_operation op, tk_suit_lite_error *error)
{
    static tk_suit_lite lite;
    tk_suit_lite_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.platform = &tp->pf;
    cfg.fetch = tl_fetch;
    cfg.fetch_ctx = tp;
    assert_int_equal(tk_suit_lite_init(&lite, &cfg), TK_OK);
    tk_err e = tk_suit_lite_process(&lite, input, op);
    assert_int_equal(tk_suit_lite_error_of(&lite)->code, e);
    if (e != TK_OK)
        assert_true(tk_suit_lite_error_of(&lite)->offset <= input.len);
    if (error != NULL)
        *error = *tk_suit_lite_error_of(&lite);
    return e;
}

/* Copies an image with its own buffer. */
static void image_dup(tp_image *img)
{
    if (img->data == NULL)
        return;
    uint8_t *copy = malloc(img->len > 0 ? img->len : 1);
    assert_non_null(copy);
    memcpy(copy, img->data, img->len);
    img->data = copy;
}

/* Makes dst a deep copy of src whose callbacks act on dst. */
static void platform_clone(tp_platform *dst, const tp_platform *src)
{
    *dst = *src;
    dst->pf.ctx = dst;
    for (size_t i = 0; i < dst->ncomps; i++) {
        image_dup(&dst->comps[i].committed);
        image_dup(&dst->comps[i].staged);
        dst->comps[i].wbuf = NULL;
        dst->comps[i].wlen = 0;
        dst->comps[i].writing = false;
    }
}

/* Tells whether a rejection of the full processor comes from its
 * configuration rather than from the manifest: flags the lite processor
 * does not have, a full record table, injected faults. */
static bool configuration_rejects(const tk_suit_processor *proc,
                                  const tp_platform *tp, tk_err full)
{
    return (proc->cfg.flags & TK_SUIT_FLAG_REQUIRE_VENDOR_CLASS) != 0 ||
           tp->fail_at != 0 || full == TK_ERR_SUIT_RECORD_LIMIT;
}

/* Asserts that every committed image of a is in b with the same bytes. */
static void images_within(const tp_platform *a, const tp_platform *b)
{
    for (size_t i = 0; i < a->ncomps; i++) {
        const tp_component *ca = &a->comps[i];
        const tp_component *cb = NULL;
        if (!ca->committed.present)
            continue;
        for (size_t k = 0; k < b->ncomps && cb == NULL; k++)
            if (b->comps[k].id_len == ca->id_len &&
                memcmp(b->comps[k].id, ca->id, ca->id_len) == 0)
                cb = &b->comps[k];
        assert_non_null(cb);
        assert_true(cb->committed.present);
        assert_int_equal(cb->committed.len, ca->committed.len);
        if (ca->committed.len > 0)
            assert_memory_equal(cb->committed.data, ca->committed.data,
                                ca->committed.len);
    }
}

tk_err tl_diff_process(tk_suit_processor *proc, tk_view input,
                       tk_suit_operation op)
{
    tp_platform *tp = proc->cfg.platform->ctx;
    tp_platform *copy = malloc(sizeof(*copy));
    uint8_t before[32];
    uint8_t lite_after[32];
    uint8_t full_after[32];
    assert_non_null(copy);
    platform_clone(copy, tp);
    copy->fail_at = 0;
    tp_fingerprint(copy, before);
    size_t commits_before = copy->commits;

    tk_err lite = tl_lite_run(copy, proc->cfg.crypto, input, op, NULL);
    tp_fingerprint(copy, lite_after);
    tk_err full = tk_suit_process(proc, input, op);
    tp_fingerprint(tp, full_after);

    tl_counts.runs++;
    if (lite == TK_OK)
        tl_counts.lite_accepts++;
    if (full == TK_OK)
        tl_counts.full_accepts++;
    /* Update-and-boot commits its update before the boot can fail. */
    if (lite != TK_OK && copy->commits == commits_before) {
        if (memcmp(before, lite_after, 32) != 0)
            fail_msg("the lite processor failed with %s and changed the "
                     "platform",
                     tk_errname(lite));
    }
    if (!configuration_rejects(proc, tp, full)) {
        tl_counts.compared++;
        if (lite == TK_OK && full != TK_OK)
            fail_msg("the lite processor accepted what the full one "
                     "rejects with %s",
                     tk_errname(full));
        if (tl_mode == TL_EQUAL && lite != TK_OK && full == TK_OK)
            fail_msg("the lite processor rejected with %s what the full "
                     "one accepts",
                     tk_errname(lite));
        if (lite == TK_OK) {
            /* Without install records in the full processor, only the
             * images are compared. */
            if ((proc->cfg.flags & TK_SUIT_FLAG_NO_INSTALL_RECORD) == 0)
                assert_memory_equal(lite_after, full_after, 32);
            images_within(copy, tp);
            images_within(tp, copy);
            assert_int_equal(copy->ninvoked, tp->ninvoked);
            for (size_t i = 0; i < tp->ninvoked && i < TP_MAX_LOG; i++) {
                assert_int_equal(copy->invoked[i].id_len,
                                 tp->invoked[i].id_len);
                assert_memory_equal(copy->invoked[i].id, tp->invoked[i].id,
                                    tp->invoked[i].id_len);
                assert_int_equal(copy->invoked[i].args_len,
                                 tp->invoked[i].args_len);
                assert_memory_equal(copy->invoked[i].args,
                                    tp->invoked[i].args,
                                    tp->invoked[i].args_len);
            }
        }
    }
    tp_free(copy);
    free(copy);
    return full;
}

/* Prints the counts when the program ends, so a run shows how many
 * comparisons it made. */
__attribute__((destructor)) static void tl_print_counts(void)
{
    if (tl_counts.runs > 0)
        fprintf(stderr,
                "lite differential: %lu runs, %lu compared, lite accepted "
                "%lu, full accepted %lu\n",
                tl_counts.runs, tl_counts.compared, tl_counts.lite_accepts,
                tl_counts.full_accepts);
}
