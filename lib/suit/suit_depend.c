/*
 * Dependencies (draft-ietf-suit-trust-domains-11 section 5 and the
 * uninstall sequence of its section 6):
 * loading a dependency envelope from its component, its integrity check,
 * process-dependency, and the rollback check every manifest of the tree
 * passes before it runs.
 *
 * Choices where the texts leave room or disagree:
 * - process-dependency requires the dependency's manifest digest to be
 *   bound to the dependent's suit-parameter-image-digest within the
 *   procedure: by suit-condition-dependency-integrity, by
 *   suit-condition-image-match on the dependency, or, when neither ran,
 *   by the same check done by process-dependency itself when the digest
 *   parameter is set. The published TEEP and trust-domains examples rely
 *   on the last two forms; each gives the same binding.
 * - In the uninstall procedure, a dependency already installed in its
 *   component may be processed without such a binding (the TEEP
 *   personalization example does so); every other procedure requires it.
 * - The dependency's signature is always verified, with the key that
 *   find_key returns for its depth and storage component.
 */
#include "suit_internal.h"

int32_t tk_suit_section_key(tk_suit_section section)
{
    static const int32_t keys[TK_SUIT_SECTION_COUNT] = {
        TK_SUIT_MANIFEST_DEPENDENCY_RESOLUTION,
        TK_SUIT_MANIFEST_PAYLOAD_FETCH,
        TK_SUIT_MANIFEST_CANDIDATE_VERIFICATION,
        TK_SUIT_MANIFEST_INSTALL,
        TK_SUIT_MANIFEST_VALIDATE,
        TK_SUIT_MANIFEST_LOAD,
        TK_SUIT_MANIFEST_INVOKE,
        TK_SUIT_MANIFEST_UNINSTALL,
    };
    return (unsigned)section < TK_SUIT_SECTION_COUNT ? keys[section] : 0;
}

/* Sink adapter that copies a component into the work buffer. */
typedef struct copy_arg {
    uint8_t *dst;
    size_t len;
} copy_arg;

static tk_err copy_sink(void *arg, const uint8_t *data, size_t len)
{
    copy_arg *c = arg;
    memcpy(c->dst + c->len, data, len);
    c->len += len;
    return TK_OK;
}

/* Gets the bytes of the dependency envelope in component index: from the
 * integrated payload or content just written, from map(), or read into
 * the processor's work buffer. */
static tk_err dependency_bytes(tk_suit_exec *ex, uint32_t index,
                               tk_view *bytes)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_platform *pf = proc->cfg.platform;
    tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_component c;
    tk_suit_component_info info;
    tk_err e;

    if (p->image_view.ptr != NULL) {
        *bytes = p->image_view;
        return TK_OK;
    }
    tk_suit_component_of(ex, index, &c);
    memset(&info, 0, sizeof(info));
    e = pf->stat(pf->ctx, &c, &info);
    if (e != TK_OK)
        return e;
    if (!info.present)
        return TK_ERR_SUIT_COMPONENT_ABSENT;
    if (pf->map != NULL) {
        e = pf->map(pf->ctx, &c, bytes);
        if (e != TK_ERR_UNSUPPORTED)
            return e;
    }
    if (proc->cfg.work == NULL || info.size > proc->cfg.work_len ||
        proc->work_used > proc->cfg.work_len - info.size)
        return TK_ERR_SUIT_WORK_BUFFER;
    copy_arg arg = {proc->cfg.work + proc->work_used, 0};
    e = tk_suit_component_read(ex, &c, info.size, copy_sink, &arg);
    if (e != TK_OK)
        return e;
    proc->work_used += arg.len;
    bytes->ptr = arg.dst;
    bytes->len = arg.len;
    return TK_OK;
}

/* Copies a manifest-level error of a dependency into the processor's
 * error, located at the dependent's command. */
static tk_err dependency_fail(tk_suit_exec *ex, const tk_suit_error *err,
                              uint32_t index)
{
    tk_suit_error *pe = &ex->proc->error;
    if (pe->code == TK_OK) {
        *pe = *err;
        pe->component = index;
        pe->section = ex->section;
        pe->command = ex->command;
        pe->section_offset = tk_suit_offset_in(ex->section_bytes, ex->at);
        memcpy(pe->manifest_id, ex->manifest_id, sizeof(pe->manifest_id));
        pe->manifest_depth = ex->manifest_depth;
        if (pe->manifest_depth < TK_SUIT_MAX_DEPENDENCY_DEPTH)
            pe->manifest_id[pe->manifest_depth++] = (uint8_t)index;
    }
    return err->code;
}

/* Gives every component index of manifest mi its parameter entry. */
static tk_err params_map(tk_suit_processor *proc, size_t mi)
{
    tk_suit_loaded *m = &proc->manifests[mi];
    for (size_t i = 0; i < m->manifest.component_count; i++) {
        if (m->manifest.components[i].len == 0)
            continue;
        tk_err e = tk_suit_params_entry(proc, m->manifest.components[i],
                                        &m->params_of[i]);
        if (e != TK_OK)
            return e;
    }
    return TK_OK;
}

/* Verifies and decodes a loaded dependency that was only decoded. */
static tk_err dependency_verify(tk_suit_exec *ex, size_t di, uint32_t index)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_platform *pf = proc->cfg.platform;
    tk_suit_loaded *d = &proc->manifests[di];
    tk_suit_key_request base;
    tk_suit_error err;
    memset(&base, 0, sizeof(base));
    base.depth = d->depth;
    base.storage_id = d->storage_id;
    base.dependent_signer = proc->manifests[d->parent].env.signer;
    tk_err e = tk_suit_verify_request(&d->env, proc->cfg.crypto, pf->find_key,
                                      pf->ctx, &base, pf->now, pf->ctx,
                                      &proc->work.u.auth, &err);
    if (e == TK_OK)
        e = tk_suit_manifest_decode(&d->env, proc->cfg.crypto,
                                    proc->cfg.flags, &d->manifest, &err);
    if (e == TK_OK)
        e = params_map(proc, di);
    if (e != TK_OK) {
        if (err.code == TK_OK)
            err.code = e;
        return dependency_fail(ex, &err, index);
    }
    d->decoded = true;
    return TK_OK;
}

tk_err tk_suit_dependency_load(tk_suit_exec *ex, uint32_t index, bool verify,
                               size_t *loaded)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    uint8_t entry = m->params_of[index];
    tk_suit_error err;
    tk_view bytes;

    for (size_t i = 1; i < proc->manifest_count; i++) {
        tk_suit_loaded *d = &proc->manifests[i];
        if (d->stale || d->storage_entry != entry || d->parent != ex->manifest)
            continue;
        *loaded = i;
        return verify && !d->decoded ? dependency_verify(ex, i, index)
                                     : TK_OK;
    }
    if (ex->manifest_depth >= TK_SUIT_MAX_DEPENDENCY_DEPTH)
        return TK_ERR_SUIT_DEPTH;
    if (proc->manifest_count >= TK_SUIT_MAX_MANIFESTS)
        return TK_ERR_LIMIT;
    tk_err e = dependency_bytes(ex, index, &bytes);
    if (e != TK_OK)
        return e;
    size_t di = proc->manifest_count;
    tk_suit_loaded *d = &proc->manifests[di];
    memset(d, 0, sizeof(*d));
    e = tk_suit_envelope_decode(bytes, &d->env, &err);
    if (e != TK_OK)
        return dependency_fail(ex, &err, index);
    proc->manifest_count++;
    d->storage_id = m->manifest.components[index];
    d->storage_entry = entry;
    d->parent = ex->manifest;
    d->depth = (uint8_t)(m->depth + 1u);
    *loaded = di;
    return verify ? dependency_verify(ex, di, index) : TK_OK;
}

tk_err tk_suit_dependency_integrity(tk_suit_exec *ex, uint32_t index,
                                    tk_suit_record *rec)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_param_value v;
    tk_suit_digest want;
    size_t di;

    if (!tk_suit_is_dependency(m, index))
        return TK_ERR_SUIT_NOT_DEPENDENCY;
    if (!tk_suit_param_get(p, TK_SUIT_P_IMAGE_DIGEST, &v))
        return TK_ERR_SUIT_DEPENDENCY_UNCHECKED;
    rec->param_key = TK_SUIT_PARAM_IMAGE_DIGEST;
    rec->param_value = v.bytes;
    tk_err e = tk_suit_digest_decode(v.bytes, &want);
    if (e == TK_OK)
        e = tk_suit_dependency_load(ex, index, true, &di);
    if (e != TK_OK)
        return e;
    /* Verification recomputed the dependency's manifest digest and
     * compared it with its wrapper; now bind that digest to ours. */
    const tk_suit_digest *got = &proc->manifests[di].env.digest;
    rec->measured_alg = got->alg;
    rec->measured_len = (uint8_t)got->bytes.len;
    memcpy(rec->measured, got->bytes.ptr, got->bytes.len);
    if (!tk_suit_digest_matches(&want, got->alg, got->bytes.ptr,
                                got->bytes.len))
        return TK_ERR_SUIT_DEPENDENCY_DIGEST;
    p->integrity_checked = 1;
    return TK_OK;
}

/*
 * Returns true when process-dependency may run a dependency without a
 * digest binding: in the uninstall procedure, for the dependency that is
 * installed in its component (not written by this procedure). Its
 * signature is still verified. The published TEEP personalization example
 * uninstalls its dependency this way.
 */
static bool uninstall_installed(tk_suit_exec *ex, uint32_t index)
{
    const tk_suit_params *p = tk_suit_params_of(ex, index);
    tk_suit_param_value v;
    return ex->proc->op == TK_SUIT_OP_UNINSTALL &&
           p->image_view.ptr == NULL &&
           !tk_suit_param_get(p, TK_SUIT_P_IMAGE_DIGEST, &v);
}

tk_err tk_suit_dependency_process(tk_suit_exec *ex, uint32_t index)
{
    tk_suit_processor *proc = ex->proc;
    const tk_suit_loaded *m = &proc->manifests[ex->manifest];
    tk_suit_params *p = tk_suit_params_of(ex, index);
    uint8_t id[TK_SUIT_MAX_DEPENDENCY_DEPTH];
    tk_suit_record scratch;
    size_t di;
    tk_err e;

    if (!tk_suit_is_dependency(m, index))
        return TK_ERR_SUIT_NOT_DEPENDENCY;
    if (ex->shared)
        return TK_ERR_SUIT_COMMAND_NOT_ALLOWED;
    if (ex->manifest_depth >= TK_SUIT_MAX_DEPENDENCY_DEPTH)
        return TK_ERR_SUIT_DEPTH;
    if (!p->integrity_checked && !uninstall_installed(ex, index)) {
        memset(&scratch, 0, sizeof(scratch));
        e = tk_suit_dependency_integrity(ex, index, &scratch);
        if (e != TK_OK)
            return e;
    }
    e = tk_suit_dependency_load(ex, index, true, &di);
    if (e != TK_OK)
        return e;
    if (!proc->manifests[di].rollback_checked) {
        e = tk_suit_check_rollback(proc, di);
        if (e != TK_OK)
            return e;
    }
    memcpy(id, ex->manifest_id, sizeof(id));
    id[ex->manifest_depth] = (uint8_t)index;
    /* The dependency's commands use the processor's current record: keep
     * this command's record for when they are done. */
    scratch = proc->current;
    e = tk_suit_run_section(proc, di, ex->section_id, id,
                            (uint8_t)(ex->manifest_depth + 1u));
    proc->current = scratch;
    if (e == TK_OK)
        proc->manifests[di].sections_done |= 1u << ex->section_id;
    return e;
}
