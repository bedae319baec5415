/*
 * The command interpreter (draft-ietf-suit-manifest-37 sections 6.4, 6.5
 * and 8.4.10): runs one SUIT_Command_Sequence, with component index
 * selection, try-each, run-sequence, parameter directives, and the
 * soft-failure scoping rules.
 *
 * Recursion happens only through try-each and run-sequence, whose depth
 * TK_SUIT_MAX_TRY_DEPTH bounds, and through process-dependency, which
 * TK_SUIT_MAX_DEPENDENCY_DEPTH bounds. Every loop walks a byte string of
 * the manifest once.
 *
 * Scoping rules chosen where the text leaves room:
 * - A nested sequence (try-each or run-sequence argument) starts with the
 *   component index its command iterates over, and its own
 *   set-component-index does not leak to the enclosing sequence.
 * - Parameters set by a nested sequence that succeeds persist; those set
 *   by a sequence that ends in an absorbed soft failure are undone, so
 *   run-sequence "halts with no side-effects" on parameters.
 * - Soft failure belongs to the sequence that sets it: it starts true in
 *   each try-each sequence and false in each run-sequence argument, and
 *   setting it in a top-level sequence aborts.
 */
#include "suit_internal.h"

/* Returns true for the condition labels this processor implements. */
static bool is_condition(int64_t label)
{
    switch (label) {
    case TK_SUIT_COND_VENDOR_IDENTIFIER:
    case TK_SUIT_COND_CLASS_IDENTIFIER:
    case TK_SUIT_COND_IMAGE_MATCH:
    case TK_SUIT_COND_USE_BEFORE:
    case TK_SUIT_COND_COMPONENT_SLOT:
    case TK_SUIT_COND_CHECK_CONTENT:
    case TK_SUIT_COND_DEPENDENCY_INTEGRITY:
    case TK_SUIT_COND_IS_DEPENDENCY:
    case TK_SUIT_COND_ABORT:
    case TK_SUIT_COND_DEVICE_IDENTIFIER:
    case TK_SUIT_COND_IMAGE_NOT_MATCH:
    case TK_SUIT_COND_MINIMUM_BATTERY:
    case TK_SUIT_COND_UPDATE_AUTHORIZED:
    case TK_SUIT_COND_VERSION:
        return true;
    default:
        return false;
    }
}

/* Returns false for the commands that this build leaves out
 * (TK_SUIT_WITH_* in teepkit/config.h): they fail with
 * TK_ERR_SUIT_COMMAND_UNSUPPORTED. */
static bool command_built(int64_t label)
{
    switch (label) {
    case TK_SUIT_COND_USE_BEFORE:
    case TK_SUIT_COND_IMAGE_NOT_MATCH:
    case TK_SUIT_COND_MINIMUM_BATTERY:
    case TK_SUIT_COND_UPDATE_AUTHORIZED:
    case TK_SUIT_COND_VERSION:
    case TK_SUIT_DIR_WAIT:
    case TK_SUIT_DIR_OVERRIDE_MULTIPLE:
    case TK_SUIT_DIR_COPY_PARAMS:
        return TK_SUIT_WITH_UPDATE_MANAGEMENT;
    case TK_SUIT_COND_DEPENDENCY_INTEGRITY:
    case TK_SUIT_COND_IS_DEPENDENCY:
    case TK_SUIT_DIR_PROCESS_DEPENDENCY:
    case TK_SUIT_DIR_UNLINK:
        return TK_SUIT_WITH_DEPENDENCIES;
    default:
        return true;
    }
}

/* Returns true for directives whose argument is a reporting policy. */
static bool is_policy_directive(int64_t label)
{
    switch (label) {
    case TK_SUIT_DIR_PROCESS_DEPENDENCY:
    case TK_SUIT_DIR_WRITE:
    case TK_SUIT_DIR_FETCH:
    case TK_SUIT_DIR_COPY:
    case TK_SUIT_DIR_INVOKE:
    case TK_SUIT_DIR_WAIT:
    case TK_SUIT_DIR_SWAP:
    case TK_SUIT_DIR_UNLINK:
        return true;
    default:
        return false;
    }
}

/* Returns true for the commands the shared sequence may contain: those
 * without effects outside the parameters (draft-ietf-suit-manifest-37
 * section 5.3.2 and 6.2; custom commands are excluded). */
static bool shared_allowed(int64_t label)
{
    if (is_condition(label))
        return true;
    switch (label) {
    case TK_SUIT_DIR_SET_COMPONENT_INDEX:
    case TK_SUIT_DIR_TRY_EACH:
    case TK_SUIT_DIR_SET_PARAMETERS:
    case TK_SUIT_DIR_OVERRIDE_PARAMETERS:
    case TK_SUIT_DIR_RUN_SEQUENCE:
    case TK_SUIT_DIR_OVERRIDE_MULTIPLE:
    case TK_SUIT_DIR_COPY_PARAMS:
        return true;
    default:
        return false;
    }
}

/* Returns true when a condition's error is a condition failure, which
 * soft failure may absorb, rather than an operational error. */
static bool condition_soft(tk_err e)
{
    switch (e) {
    case TK_ERR_SUIT_VENDOR_ID:
    case TK_ERR_SUIT_CLASS_ID:
    case TK_ERR_SUIT_DEVICE_ID:
    case TK_ERR_SUIT_IMAGE_MISMATCH:
    case TK_ERR_SUIT_CONTENT_MISMATCH:
    case TK_ERR_SUIT_SLOT_MISMATCH:
    case TK_ERR_SUIT_ABORT:
    case TK_ERR_SUIT_COMPONENT_VERSION:
    case TK_ERR_SUIT_EXPIRED:
    case TK_ERR_SUIT_BATTERY:
    case TK_ERR_SUIT_UPDATE_UNAUTHORIZED:
    case TK_ERR_SUIT_IMAGE_MATCHES:
    case TK_ERR_SUIT_PARAMETER_MISSING:
    case TK_ERR_SUIT_IS_DEPENDENCY:
    case TK_ERR_SUIT_CONDITION_FAILED:
        return true;
    default:
        return false;
    }
}

void tk_suit_component_of(tk_suit_exec *ex, uint32_t index,
                          tk_suit_component *c)
{
    const tk_suit_loaded *m = &ex->proc->manifests[ex->manifest];
    const tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_param_value slot;
    memset(c, 0, sizeof(*c));
    c->id = m->manifest.components[index];
    c->index = index;
    if (tk_suit_param_get(p, TK_SUIT_P_COMPONENT_SLOT, &slot)) {
        c->has_slot = true;
        c->slot = slot.num;
    }
    c->is_dependency = tk_suit_is_dependency(m, index);
}

tk_err tk_suit_check_access(tk_suit_exec *ex, uint32_t index,
                            tk_suit_access access)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    const tk_suit_loaded *m = &ex->proc->manifests[ex->manifest];
    tk_suit_requester who;
    tk_suit_component c;
    bool allowed = false;
    if (pf->allow == NULL)
        return TK_OK;
    who.signer = m->env.signer;
    who.depth = m->depth;
    who.manifest_component_id = m->manifest.component_id;
    who.storage_id = m->storage_id;
    tk_suit_component_of(ex, index, &c);
    tk_err e = pf->allow(pf->ctx, &who, &c, access, &allowed);
    if (e != TK_OK)
        return e;
    return allowed ? TK_OK : TK_ERR_SUIT_COMPONENT_UNAUTHORIZED;
}

/* Fills the location fields of a record for a command at `at`. */
static void record_init(tk_suit_exec *ex, tk_suit_record *rec, int64_t label,
                        uint32_t component, uint8_t policy, const uint8_t *at)
{
    memset(rec, 0, sizeof(*rec));
    memcpy(rec->manifest_id, ex->manifest_id, sizeof(rec->manifest_id));
    rec->manifest_depth = ex->manifest_depth;
    rec->section = ex->section;
    rec->offset = (uint32_t)tk_suit_offset_in(ex->section_bytes, at);
    rec->component = component;
    rec->command = label;
    rec->policy = policy;
}

tk_err tk_suit_exec_fail(tk_suit_exec *ex, tk_err code, const uint8_t *at,
                         int64_t command, uint32_t component)
{
    tk_suit_processor *proc = ex->proc;
    tk_suit_error *err = &proc->error;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    if (code == TK_OK || err->code != TK_OK)
        return code;
    err->code = code;
    err->offset = tk_suit_offset_in(m->env.raw, at);
    err->section = ex->section;
    err->section_offset = tk_suit_offset_in(ex->section_bytes, at);
    err->command = command;
    err->component = component;
    memcpy(err->manifest_id, ex->manifest_id, sizeof(err->manifest_id));
    err->manifest_depth = ex->manifest_depth;
    if (!proc->have_failure) {
        record_init(ex, &proc->failure, command, component, 0, at);
        proc->failure.result = code;
        proc->have_failure = true;
    }
    return code;
}

/* Appends rec to the record table when its policy (or the processor's
 * flags) requests it, and keeps it as the failure record on error. */
static tk_err record_push(tk_suit_exec *ex, const tk_suit_record *rec)
{
    tk_suit_processor *proc = ex->proc;
    bool want = (proc->cfg.flags & TK_SUIT_FLAG_RECORD_ALL) != 0;
    if (rec->result == TK_OK)
        want = want || (rec->policy & TK_SUIT_RECORD_ON_SUCCESS) != 0;
    else
        want = want || (rec->policy & TK_SUIT_RECORD_ON_FAILURE) != 0;
    if (rec->result != TK_OK && !proc->have_failure) {
        proc->failure = *rec;
        proc->have_failure = true;
    }
    if (!want || proc->cfg.records == NULL)
        return TK_OK;
    if (proc->record_count >= proc->cfg.record_cap)
        return TK_ERR_SUIT_RECORD_LIMIT;
    proc->cfg.records[proc->record_count++] = *rec;
    return TK_OK;
}

/* Returns true when index names a component of the running manifest. */
static bool index_valid(tk_suit_exec *ex, uint64_t index)
{
    const tk_suit_manifest *m = &ex->proc->manifests[ex->manifest].manifest;
    return index < m->component_count && m->components[index].len > 0;
}

/* Parses the argument of set-component-index: uint, true or [+uint].
 * This and the other argument readers below are kept out of line, so
 * that their decoders are not on the stack while commands run. */
TK_SUIT_NOINLINE static tk_err selection_parse(tk_suit_exec *ex, tk_view arg,
                              tk_suit_selection *sel)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    uint64_t index = 0;
    tk_suit_selection s;
    memset(&s, 0, sizeof(s));
    if (arg.len == 1 && arg.ptr[0] < 24) {
        /* A small index: one byte, read without the decoder. */
        if (!index_valid(ex, arg.ptr[0]))
            return TK_ERR_SUIT_COMPONENT_INDEX;
        s.count = 1;
        s.list[0] = arg.ptr[0];
        *sel = s;
        return TK_OK;
    }
    tk_cbor_dec_init(&dec, arg.ptr, arg.len, TK_SUIT_DEC_FLAGS);
    if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
        return tk_suit_cbor_err(tk_cbor_dec_error(&dec));
    if (item.type == TK_CBOR_TRUE) {
        tk_cbor_dec_get_bool(&dec, NULL);
        s.all = 1;
    } else if (item.type == TK_CBOR_UINT) {
        tk_cbor_dec_get_uint(&dec, &index);
        if (!index_valid(ex, index))
            return TK_ERR_SUIT_COMPONENT_INDEX;
        s.count = 1;
        s.list[0] = (uint8_t)index;
    } else if (item.type == TK_CBOR_ARRAY) {
        tk_cbor_dec_enter_array(&dec, NULL);
        while (tk_cbor_dec_more(&dec)) {
            if (tk_cbor_dec_get_uint(&dec, &index) != TK_OK)
                break;
            if (!index_valid(ex, index))
                return TK_ERR_SUIT_COMPONENT_INDEX;
            if (s.count >= TK_SUIT_MAX_COMPONENTS)
                return TK_ERR_LIMIT;
            s.list[s.count++] = (uint8_t)index;
        }
        tk_cbor_dec_exit(&dec);
        if (s.count == 0)
            return TK_ERR_SUIT_MALFORMED;
    } else {
        return TK_ERR_SUIT_MALFORMED;
    }
    tk_err e = tk_suit_cbor_err(tk_cbor_dec_finish(&dec));
    if (e == TK_OK)
        *sel = s;
    return e;
}

/* Writes the component indices of sel into list; returns their number. */
static size_t selection_list(tk_suit_exec *ex, const tk_suit_selection *sel,
                             uint32_t *list)
{
    const tk_suit_manifest *m = &ex->proc->manifests[ex->manifest].manifest;
    size_t n = 0;
    if (!sel->all) {
        for (size_t i = 0; i < sel->count; i++)
            list[n++] = sel->list[i];
        return n;
    }
    for (size_t i = 0; i < m->component_count; i++)
        if (m->components[i].len > 0)
            list[n++] = (uint32_t)i;
    return n;
}

/* Reads the reporting policy argument of a condition or directive. */
TK_SUIT_NOINLINE static tk_err policy_parse(tk_view arg, uint8_t *policy)
{
    tk_cbor_dec dec;
    uint64_t value = 0;
    if (arg.len == 1 && arg.ptr[0] < 24) {
        /* The usual policy: one byte, read without the decoder. */
        *policy = arg.ptr[0];
        return TK_OK;
    }
    tk_cbor_dec_init(&dec, arg.ptr, arg.len, 0);
    tk_cbor_dec_get_uint(&dec, &value);
    tk_err e = tk_cbor_dec_finish(&dec);
    if (e != TK_OK)
        return tk_suit_cbor_err(e);
    *policy = (uint8_t)(value & 0xffu);
    return TK_OK;
}

/* Runs a custom command through the platform. A false result is a
 * condition failure. */
static tk_err custom_run(tk_suit_exec *ex, int64_t label, uint32_t index,
                         tk_view arg)
{
    const tk_suit_platform *pf = ex->proc->cfg.platform;
    tk_suit_component c;
    bool ok = false;
    if (pf->custom == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    tk_suit_component_of(ex, index, &c);
    tk_err e = pf->custom(pf->ctx, label, &c, arg, &ok);
    if (e != TK_OK)
        return e;
    return ok ? TK_OK : TK_ERR_SUIT_CONDITION_FAILED;
}

/* Runs one condition, directive or custom command on one component and
 * records it in the processor's current record, which
 * process-dependency saves for the commands of a dependency. */
TK_SUIT_NOINLINE static tk_err exec_one(tk_suit_exec *ex, int64_t label,
                                        uint32_t index, uint8_t policy,
                                        tk_view arg, const uint8_t *at,
                                        tk_suit_outcome *out)
{
    tk_suit_record *rec = &ex->proc->current;
    tk_err e;
    bool condition = false;
    record_init(ex, rec, label, index, policy, at);
    ex->command = label;
    ex->at = at;
    if (label < 0) {
        e = custom_run(ex, label, index, arg);
        condition = e == TK_ERR_SUIT_CONDITION_FAILED;
    } else if (is_condition(label)) {
        e = tk_suit_condition(ex, label, index, rec);
        condition = condition_soft(e);
    } else {
        e = tk_suit_directive(ex, label, index, rec);
    }
    rec->result = e;
    /* The record goes first, so that a failure keeps its measurements. */
    tk_err r = record_push(ex, rec);
    if (e != TK_OK)
        tk_suit_exec_fail(ex, e, at, label, index);
    if (e != TK_OK) {
        out->condition = condition;
        return e;
    }
    return r != TK_OK ? tk_suit_exec_fail(ex, r, at, label, index) : TK_OK;
}

/* Runs a nested sequence for try-each or run-sequence on one component.
 * *absorbed is set when the sequence ended in a soft condition failure,
 * whose parameter changes and error context are then undone. */
static tk_err nested_run(tk_suit_exec *ex, tk_view seq, unsigned depth,
                         bool soft_default, uint32_t index, bool *absorbed,
                         tk_suit_outcome *out)
{
    tk_suit_processor *proc = ex->proc;
    tk_suit_error saved = proc->error;
    bool saved_failure = proc->have_failure;
    size_t mark = proc->undo_count;
    tk_suit_outcome sub = {false, false};
    *absorbed = false;
    proc->undo_depth++;
    tk_err e = tk_suit_run_sequence(ex, seq, depth + 1, soft_default,
                                    (int32_t)index, &sub);
    proc->undo_depth--;
    if (e == TK_OK) {
        if (proc->undo_depth == 0)
            proc->undo_count = mark;
        return TK_OK;
    }
    if (sub.condition && sub.soft) {
        tk_suit_undo_to(proc, mark);
        proc->error = saved;
        proc->have_failure = saved_failure;
        *absorbed = true;
        return TK_OK;
    }
    out->condition = sub.condition;
    return e;
}

/* suit-directive-try-each on one component. Kept out of line, so that its
 * decoder is on the stack only inside a try-each. */
TK_SUIT_NOINLINE static tk_err try_each(tk_suit_exec *ex, tk_view arg,
                                        unsigned depth, uint32_t index,
                                        const uint8_t *at,
                                        tk_suit_outcome *out)
{
    tk_cbor_dec dec;
    size_t sequences = 0;
    bool has_nil = false;
    tk_cbor_dec_init(&dec, arg.ptr, arg.len, 0);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        tk_cbor_item item;
        bool absorbed = false;
        /* nil must be the last entry. */
        if (has_nil) {
            tk_cbor_dec_fail(&dec, TK_ERR_SUIT_MALFORMED);
            break;
        }
        if (tk_cbor_dec_next(&dec, &item) != TK_OK)
            break;
        if (item.type == TK_CBOR_NULL) {
            has_nil = true;
            continue;
        }
        if (item.type != TK_CBOR_BSTR ||
            (item.flags & TK_CBOR_ITEM_INDEFINITE) != 0) {
            tk_cbor_dec_fail(&dec, item.type == TK_CBOR_BSTR
                                       ? TK_ERR_CBOR_CHUNKED
                                       : TK_ERR_CBOR_TYPE);
            break;
        }
        sequences++;
        tk_err e = nested_run(ex, item.str, depth, true, index, &absorbed,
                              out);
        if (e != TK_OK || !absorbed)
            return e;
    }
    tk_cbor_dec_exit(&dec);
    tk_err e = tk_suit_cbor_err(tk_cbor_dec_finish(&dec));
    if (e == TK_OK && sequences == 0)
        e = TK_ERR_SUIT_MALFORMED;
    if (e == TK_OK && !has_nil)
        e = TK_ERR_SUIT_TRY_EACH_FAILED;
    return tk_suit_exec_fail(ex, e, at, TK_SUIT_DIR_TRY_EACH, index);
}

/* suit-directive-run-sequence on one component. */
static tk_err run_sequence_cmd(tk_suit_exec *ex, tk_view seq, unsigned depth,
                               uint32_t index, tk_suit_outcome *out)
{
    bool absorbed = false;
    return nested_run(ex, seq, depth, false, index, &absorbed, out);
}

/* suit-directive-override-multiple: {+ index => {+ parameters}}. The
 * component index ends at the last index listed. */
TK_SUIT_NOINLINE static tk_err override_multiple(tk_suit_exec *ex, tk_view arg,
                                tk_suit_selection *sel, bool allow_soft,
                                bool *soft)
{
    tk_cbor_dec dec;
    uint64_t last = 0;
    bool any = false;
    tk_err e = TK_OK;
    tk_suit_labels labels;
    memset(&labels, 0, sizeof(labels));
    tk_cbor_dec_init(&dec, arg.ptr, arg.len, TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (e == TK_OK && tk_cbor_dec_more(&dec)) {
        uint64_t index;
        tk_view map;
        if (tk_cbor_dec_get_uint(&dec, &index) != TK_OK ||
            tk_cbor_dec_skip(&dec, &map) != TK_OK)
            break;
        if (index < 64 && tk_suit_label_add(&labels, (int64_t)index) != TK_OK)
            return TK_ERR_SUIT_DUPLICATE_KEY;
        if (!index_valid(ex, index))
            return TK_ERR_SUIT_COMPONENT_INDEX;
        e = tk_suit_params_apply(ex, map, (uint32_t)index, true, allow_soft,
                                 soft);
        last = index;
        any = true;
    }
    if (e != TK_OK)
        return e;
    tk_cbor_dec_exit(&dec);
    e = tk_suit_cbor_err(tk_cbor_dec_finish(&dec));
    if (e == TK_OK && !any)
        e = TK_ERR_SUIT_MALFORMED;
    if (e == TK_OK) {
        memset(sel, 0, sizeof(*sel));
        sel->count = 1;
        sel->list[0] = (uint8_t)last;
    }
    return e;
}

/* Reads the bstr argument of run-sequence. */
TK_SUIT_NOINLINE static tk_err bstr_arg(tk_view arg, tk_view *content)
{
    tk_cbor_dec dec;
    tk_cbor_dec_init(&dec, arg.ptr, arg.len, 0);
    tk_cbor_dec_get_bstr(&dec, content);
    return tk_suit_cbor_err(tk_cbor_dec_finish(&dec));
}

/* Frame of one running command sequence. */
typedef struct frame {
    tk_suit_selection sel;
    unsigned depth;
    bool soft;
} frame;

/* Executes one command for every selected component. */
TK_SUIT_NOINLINE static tk_err command_run(tk_suit_exec *ex, frame *f,
                                           int64_t label,
                          tk_view arg, const uint8_t *at,
                          tk_suit_outcome *out)
{
    uint32_t list[TK_SUIT_MAX_COMPONENTS];
    size_t n;
    tk_err e = TK_OK;

    if (!command_built(label))
        return tk_suit_exec_fail(ex, TK_ERR_SUIT_COMMAND_UNSUPPORTED, at,
                                 label, TK_SUIT_NO_COMPONENT);
    if (label == TK_SUIT_DIR_SET_COMPONENT_INDEX) {
        e = selection_parse(ex, arg, &f->sel);
        return tk_suit_exec_fail(ex, e, at, label, TK_SUIT_NO_COMPONENT);
    }
    if (label == TK_SUIT_DIR_OVERRIDE_MULTIPLE &&
        TK_SUIT_WITH_UPDATE_MANAGEMENT) {
        e = override_multiple(ex, arg, &f->sel, f->depth > 0, &f->soft);
        return tk_suit_exec_fail(ex, e, at, label, TK_SUIT_NO_COMPONENT);
    }
    n = selection_list(ex, &f->sel, list);
    if (label == TK_SUIT_DIR_OVERRIDE_PARAMETERS ||
        label == TK_SUIT_DIR_SET_PARAMETERS) {
        bool override = label == TK_SUIT_DIR_OVERRIDE_PARAMETERS;
        for (size_t i = 0; i < n && e == TK_OK; i++) {
            e = tk_suit_params_apply(ex, arg, list[i], override,
                                     f->depth > 0, &f->soft);
            tk_suit_exec_fail(ex, e, at, label, list[i]);
        }
        return e;
    }
    if (label == TK_SUIT_DIR_COPY_PARAMS) {
        for (size_t i = 0; i < n && e == TK_OK; i++) {
            e = tk_suit_params_copy(ex, arg, list[i]);
            tk_suit_exec_fail(ex, e, at, label, list[i]);
        }
        return e;
    }
    if (label == TK_SUIT_DIR_TRY_EACH) {
        for (size_t i = 0; i < n && e == TK_OK; i++)
            e = try_each(ex, arg, f->depth, list[i], at, out);
        return e;
    }
    if (label == TK_SUIT_DIR_RUN_SEQUENCE) {
        tk_view seq;
        e = bstr_arg(arg, &seq);
        for (size_t i = 0; i < n && e == TK_OK; i++)
            e = run_sequence_cmd(ex, seq, f->depth, list[i], out);
        return tk_suit_exec_fail(ex, e, at, label, TK_SUIT_NO_COMPONENT);
    }
    uint8_t policy = 0;
    if (label >= 0) {
        if (!is_condition(label) && !is_policy_directive(label))
            return tk_suit_exec_fail(ex, TK_ERR_SUIT_COMMAND_UNSUPPORTED, at,
                                     label, TK_SUIT_NO_COMPONENT);
        e = policy_parse(arg, &policy);
        if (e != TK_OK)
            return tk_suit_exec_fail(ex, e, at, label, TK_SUIT_NO_COMPONENT);
    }
    for (size_t i = 0; i < n && e == TK_OK; i++)
        e = exec_one(ex, label, list[i], policy, arg, at, out);
    return e;
}

/* Checks the position rules of one command of a sequence: the first
 * command of a top-level sequence of a multi-component manifest selects
 * components, and the shared sequence has no effects outside the
 * parameters. */
static tk_err command_allowed(tk_suit_exec *ex, size_t index, int64_t label,
                              int32_t fixed_component, const uint8_t *at)
{
    const tk_suit_manifest *m = &ex->proc->manifests[ex->manifest].manifest;
    if (index == 0 && fixed_component < 0 && m->component_count > 1 &&
        label != TK_SUIT_DIR_SET_COMPONENT_INDEX &&
        label != TK_SUIT_DIR_OVERRIDE_MULTIPLE)
        return tk_suit_exec_fail(ex, TK_ERR_SUIT_SET_INDEX_REQUIRED, at,
                                 label, TK_SUIT_NO_COMPONENT);
    if (ex->shared && !shared_allowed(label))
        return tk_suit_exec_fail(ex, TK_ERR_SUIT_COMMAND_NOT_ALLOWED, at,
                                 label, TK_SUIT_NO_COMPONENT);
    return TK_OK;
}

#if TK_SUIT_MAX_CACHED_COMMANDS > 0
/* Returns the remembered commands of seq, or NULL. Only the root
 * manifest's sequences are remembered: its bytes are the caller's input,
 * which stays unchanged during tk_suit_process(), while a dependency's
 * envelope may be read again into the same memory. */
static const tk_suit_cached_sequence *cache_find(tk_suit_exec *ex,
                                                 tk_view seq)
{
    tk_suit_processor *proc = ex->proc;
    if (ex->manifest != 0)
        return NULL;
    for (size_t i = 0; i < proc->sequence_count; i++)
        if (proc->sequences[i].bytes == seq.ptr &&
            proc->sequences[i].len == seq.len)
            return &proc->sequences[i];
    return NULL;
}

/* Starts remembering the commands of seq while it is decoded, unless
 * another sequence is being remembered or the tables are full. */
static bool cache_start(tk_suit_exec *ex, tk_view seq)
{
    tk_suit_processor *proc = ex->proc;
    if (ex->manifest != 0 || proc->recording || seq.len > UINT32_MAX ||
        proc->sequence_count >= TK_SUIT_MAX_CACHED_SEQUENCES ||
        proc->command_count >= TK_SUIT_MAX_CACHED_COMMANDS)
        return false;
    proc->recording = true;
    proc->sequences[proc->sequence_count].first =
        (uint16_t)proc->command_count;
    return true;
}

/* Remembers one command; returns false when it cannot be kept. */
static bool cache_add(tk_suit_exec *ex, tk_view seq, int64_t label,
                      const uint8_t *at, tk_view arg)
{
    tk_suit_processor *proc = ex->proc;
    if (proc->command_count >= TK_SUIT_MAX_CACHED_COMMANDS ||
        label < INT32_MIN || label > INT32_MAX)
        return false;
    tk_suit_cached_command *c = &proc->commands[proc->command_count++];
    c->label = (int32_t)label;
    c->at = (uint32_t)(at - seq.ptr);
    c->arg = (uint32_t)(arg.ptr - seq.ptr);
    c->arg_len = (uint32_t)arg.len;
    return true;
}

/* Ends remembering: keeps the commands when the whole sequence was
 * decoded and ran (keep), drops them otherwise. */
static void cache_end(tk_suit_exec *ex, tk_view seq, bool keep)
{
    tk_suit_processor *proc = ex->proc;
    tk_suit_cached_sequence *s = &proc->sequences[proc->sequence_count];
    proc->recording = false;
    if (!keep) {
        proc->command_count = s->first;
        return;
    }
    s->bytes = seq.ptr;
    s->len = seq.len;
    s->count = (uint16_t)(proc->command_count - s->first);
    proc->sequence_count++;
}

/* Runs a sequence from its remembered commands. */
static tk_err run_cached(tk_suit_exec *ex, const tk_suit_cached_sequence *c,
                         frame *f, int32_t fixed_component,
                         tk_suit_outcome *out)
{
    for (size_t i = 0; i < c->count; i++) {
        const tk_suit_cached_command *cmd =
            &ex->proc->commands[c->first + i];
        const uint8_t *at = c->bytes + cmd->at;
        tk_view arg = {c->bytes + cmd->arg, cmd->arg_len};
        tk_err e = command_allowed(ex, i, cmd->label, fixed_component, at);
        if (e == TK_OK)
            e = command_run(ex, f, cmd->label, arg, at, out);
        if (e != TK_OK) {
            out->soft = f->soft;
            return e;
        }
    }
    return TK_OK;
}
#endif

tk_err tk_suit_run_sequence(tk_suit_exec *ex, tk_view seq, unsigned depth,
                            bool soft_default, int32_t fixed_component,
                            tk_suit_outcome *out)
{
    tk_cbor_dec dec;
    frame f;
    size_t commands = 0;
    bool record = false;
    tk_err e = TK_OK;

    out->condition = false;
    out->soft = false;
    if (depth > TK_SUIT_MAX_TRY_DEPTH)
        return tk_suit_exec_fail(ex, TK_ERR_SUIT_DEPTH, seq.ptr, 0,
                                 TK_SUIT_NO_COMPONENT);
    memset(&f, 0, sizeof(f));
    f.depth = depth;
    f.soft = soft_default;
    f.sel.count = 1;
    f.sel.list[0] = (uint8_t)(fixed_component >= 0 ? fixed_component : 0);

#if TK_SUIT_MAX_CACHED_COMMANDS > 0
    const tk_suit_cached_sequence *cached = cache_find(ex, seq);
    if (cached != NULL)
        return run_cached(ex, cached, &f, fixed_component, out);
    record = cache_start(ex, seq);
#endif
    /* A command sequence is flat: a label, then an argument taken
     * whole. */
    tk_cbor_dec_init(&dec, seq.ptr, seq.len, 0);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (e == TK_OK && tk_cbor_dec_more(&dec)) {
        const uint8_t *at = seq.ptr + tk_cbor_dec_offset(&dec);
        int64_t label;
        tk_view arg;
        if (tk_cbor_dec_get_int(&dec, &label) != TK_OK ||
            tk_cbor_dec_skip(&dec, &arg) != TK_OK)
            break;
#if TK_SUIT_MAX_CACHED_COMMANDS > 0
        if (record && !cache_add(ex, seq, label, at, arg)) {
            cache_end(ex, seq, false);
            record = false;
        }
#endif
        e = command_allowed(ex, commands++, label, fixed_component, at);
        if (e == TK_OK)
            e = command_run(ex, &f, label, arg, at, out);
        if (e != TK_OK)
            out->soft = f.soft;
    }
    if (e == TK_OK) {
        tk_cbor_dec_exit(&dec);
        e = tk_cbor_dec_finish(&dec);
        if (e != TK_OK)
            e = tk_suit_exec_fail(ex, tk_suit_cbor_err(e),
                                  seq.ptr + tk_cbor_dec_error_offset(&dec),
                                  0, TK_SUIT_NO_COMPONENT);
    }
#if TK_SUIT_MAX_CACHED_COMMANDS > 0
    if (record)
        cache_end(ex, seq, e == TK_OK);
#else
    (void)record;
#endif
    return e;
}
