/*
 * Procedures (draft-ietf-suit-manifest-37 sections 6 and 8.4.6,
 * draft-ietf-suit-trust-domains-11 sections 4 and 7): which command
 * sequences run for which operation, the shared sequence before each,
 * rollback protection, and the platform's transaction around them.
 */
#include "suit_internal.h"

/* Manifest key of the shared sequence in records and errors. */
#define SECTION_SHARED TK_SUIT_MANIFEST_COMMON

tk_err tk_suit_processor_init(tk_suit_processor *proc,
                              const tk_suit_config *cfg)
{
    if (proc == NULL || cfg == NULL)
        return TK_ERR_INVALID_ARG;
    memset(proc, 0, sizeof(*proc));
    if (cfg->crypto == NULL || cfg->platform == NULL ||
        cfg->platform->find_key == NULL || cfg->platform->stat == NULL ||
        (cfg->records == NULL && cfg->record_cap > 0) ||
        (cfg->work == NULL && cfg->work_len > 0))
        return TK_ERR_INVALID_ARG;
    proc->cfg = *cfg;
    proc->error.component = TK_SUIT_NO_COMPONENT;
    return TK_OK;
}

const tk_suit_error *tk_suit_processor_error(const tk_suit_processor *proc)
{
    return proc != NULL ? &proc->error : NULL;
}

const tk_suit_manifest *tk_suit_processor_manifest(
    const tk_suit_processor *proc)
{
    if (proc == NULL || proc->manifest_count == 0 ||
        !proc->manifests[0].decoded)
        return NULL;
    return &proc->manifests[0].manifest;
}

size_t tk_suit_processor_record_count(const tk_suit_processor *proc)
{
    return proc != NULL ? proc->record_count : 0;
}

/* Checks one rollback key (an encoded component identifier) of manifest
 * m against the platform's record. */
static tk_err rollback_key(tk_suit_processor *proc, const tk_suit_loaded *m,
                           tk_view id)
{
    const tk_suit_platform *pf = proc->cfg.platform;
    tk_suit_installed rec;
    memset(&rec, 0, sizeof(rec));
    tk_err e = pf->get_installed(pf->ctx, id, &rec);
    if (e == TK_ERR_NOT_FOUND)
        return TK_OK;
    if (e != TK_OK)
        return e;
    if ((proc->cfg.flags & TK_SUIT_FLAG_ALLOW_ROLLBACK) != 0)
        return TK_OK;
    if (m->manifest.sequence_number < rec.sequence_number)
        return TK_ERR_SUIT_ROLLBACK;
    if (m->manifest.sequence_number > rec.sequence_number)
        return TK_OK;
    /* Equal numbers: only the very same manifest may run again. */
    if (rec.digest_alg == 0 || rec.digest_len == 0)
        return TK_OK;
    if (rec.digest_len > sizeof(rec.digest) ||
        !tk_suit_digest_matches(&m->env.digest, rec.digest_alg, rec.digest,
                                rec.digest_len))
        return TK_ERR_SUIT_ROLLBACK_DIGEST;
    return TK_OK;
}

/*
 * The rollback keys of a manifest are its suit-manifest-component-id and
 * the identifiers of the components it lists (dependencies excepted,
 * since their own manifests carry their numbers).
 */
tk_err tk_suit_check_rollback(tk_suit_processor *proc, size_t manifest)
{
    tk_suit_loaded *m = &proc->manifests[manifest];
    tk_err e = TK_OK;
    if (proc->cfg.platform->get_installed == NULL) {
        m->rollback_checked = true;
        return TK_OK;
    }
    if (m->manifest.component_id.len > 0)
        e = rollback_key(proc, m, m->manifest.component_id);
    for (uint32_t i = 0; e == TK_OK && i < m->manifest.component_count; i++) {
        tk_view id = m->manifest.components[i];
        if (id.len > 0 && !tk_suit_is_dependency(m, i))
            e = rollback_key(proc, m, id);
    }
    if (e != TK_OK)
        return e;
    m->rollback_checked = true;
    return TK_OK;
}

/* Stages the rollback records of every manifest the update ran. */
static tk_err record_installs(tk_suit_processor *proc)
{
    const tk_suit_platform *pf = proc->cfg.platform;
    if (pf->set_installed == NULL ||
        (proc->cfg.flags & TK_SUIT_FLAG_NO_INSTALL_RECORD) != 0)
        return TK_OK;
    for (size_t mi = 0; mi < proc->manifest_count; mi++) {
        const tk_suit_loaded *m = &proc->manifests[mi];
        tk_suit_installed rec;
        tk_err e = TK_OK;
        if (!m->decoded || m->stale)
            continue;
        memset(&rec, 0, sizeof(rec));
        rec.sequence_number = m->manifest.sequence_number;
        rec.digest_alg = m->env.digest.alg;
        rec.digest_len = m->env.digest.bytes.len;
        memcpy(rec.digest, m->env.digest.bytes.ptr, rec.digest_len);
        if (m->manifest.component_id.len > 0)
            e = pf->set_installed(pf->ctx, m->manifest.component_id, &rec);
        for (uint32_t i = 0; e == TK_OK && i < m->manifest.component_count;
             i++) {
            tk_view id = m->manifest.components[i];
            if (id.len > 0 && !tk_suit_is_dependency(m, i))
                e = pf->set_installed(pf->ctx, id, &rec);
        }
        if (e != TK_OK)
            return e;
    }
    return TK_OK;
}

/* Checks after a section of a dependent that every dependency loaded by
 * it ran the same section, if it has one
 * (draft-ietf-suit-trust-domains-11 section 5.1). */
static tk_err dependencies_ran(tk_suit_processor *proc, size_t mi,
                               tk_suit_section section)
{
    for (size_t i = 1; i < proc->manifest_count; i++) {
        const tk_suit_loaded *d = &proc->manifests[i];
        if (d->parent != mi || d->stale || !d->decoded)
            continue;
        if (d->manifest.sequence[section].presence == TK_SUIT_ABSENT)
            continue;
        if ((d->sections_done & (1u << section)) == 0)
            return TK_ERR_SUIT_SEQUENCE_MISSING;
    }
    return TK_OK;
}

tk_err tk_suit_run_section(tk_suit_processor *proc, size_t manifest,
                           tk_suit_section section,
                           const uint8_t *manifest_id, uint8_t depth)
{
    tk_suit_loaded *m = &proc->manifests[manifest];
    const tk_suit_member *mem = &m->manifest.sequence[section];
    tk_suit_outcome out;
    tk_suit_exec ex;
    tk_err e;

    memset(&ex, 0, sizeof(ex));
    ex.proc = proc;
    ex.manifest = manifest;
    ex.section_id = section;
    ex.manifest_depth = depth;
    if (manifest_id != NULL && depth > 0)
        memcpy(ex.manifest_id, manifest_id, depth);
    ex.section = tk_suit_section_key(section);

    if (mem->presence == TK_SUIT_ABSENT)
        return TK_OK;
    if (mem->presence == TK_SUIT_SEVERED)
        return tk_suit_exec_fail(&ex, TK_ERR_SUIT_SEVERED_MISSING,
                                 m->env.manifest.ptr, 0,
                                 TK_SUIT_NO_COMPONENT);
    if (m->manifest.shared_sequence.len > 0) {
        ex.shared = true;
        ex.section = SECTION_SHARED;
        ex.section_bytes = m->manifest.shared_sequence;
        e = tk_suit_run_sequence(&ex, m->manifest.shared_sequence, 0, false,
                                 -1, &out);
        if (e != TK_OK)
            return e;
    }
    ex.shared = false;
    ex.section = tk_suit_section_key(section);
    ex.section_bytes = mem->bytes;
    for (size_t i = 1; i < proc->manifest_count; i++)
        if (proc->manifests[i].parent == manifest)
            proc->manifests[i].sections_done &= ~(1u << section);
    e = tk_suit_run_sequence(&ex, mem->bytes, 0, false, -1, &out);
    if (e != TK_OK)
        return e;
    e = dependencies_ran(proc, manifest, section);
    return tk_suit_exec_fail(&ex, e, mem->bytes.ptr + mem->bytes.len, 0,
                             TK_SUIT_NO_COMPONENT);
}

/* Returns true when the top level of the shared sequence checks both the
 * vendor and the class identifier. Kept out of line, so that its decoder
 * is not on the stack while the procedure runs. */
TK_SUIT_NOINLINE static bool shared_checks_identity(const tk_suit_manifest *m)
{
    tk_cbor_dec dec;
    bool vendor = false;
    bool klass = false;
    tk_cbor_dec_init(&dec, m->shared_sequence.ptr, m->shared_sequence.len,
                     0);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        int64_t label;
        if (tk_cbor_dec_get_int(&dec, &label) != TK_OK ||
            tk_cbor_dec_skip(&dec, NULL) != TK_OK)
            break;
        vendor = vendor || label == TK_SUIT_COND_VENDOR_IDENTIFIER;
        klass = klass || label == TK_SUIT_COND_CLASS_IDENTIFIER;
    }
    return vendor && klass;
}

/* Sections of a procedure, in order; returns their number. */
static size_t procedure_sections(tk_suit_operation op, tk_suit_section *out)
{
    static const tk_suit_section update[] = {
        TK_SUIT_SECTION_DEPENDENCY_RESOLUTION, TK_SUIT_SECTION_PAYLOAD_FETCH,
        TK_SUIT_SECTION_CANDIDATE_VERIFICATION, TK_SUIT_SECTION_INSTALL,
        TK_SUIT_SECTION_VALIDATE};
    static const tk_suit_section boot[] = {TK_SUIT_SECTION_VALIDATE,
                                           TK_SUIT_SECTION_LOAD,
                                           TK_SUIT_SECTION_INVOKE};
    static const tk_suit_section stage[] = {
        TK_SUIT_SECTION_DEPENDENCY_RESOLUTION, TK_SUIT_SECTION_PAYLOAD_FETCH};
    static const tk_suit_section install[] = {
        TK_SUIT_SECTION_CANDIDATE_VERIFICATION, TK_SUIT_SECTION_INSTALL,
        TK_SUIT_SECTION_VALIDATE};
    static const tk_suit_section uninstall[] = {TK_SUIT_SECTION_UNINSTALL};
    const tk_suit_section *list;
    size_t n;
    switch (op) {
    case TK_SUIT_OP_UPDATE:
        list = update;
        n = sizeof(update) / sizeof(update[0]);
        break;
    case TK_SUIT_OP_BOOT:
        list = boot;
        n = sizeof(boot) / sizeof(boot[0]);
        break;
    case TK_SUIT_OP_STAGE:
        list = stage;
        n = sizeof(stage) / sizeof(stage[0]);
        break;
    case TK_SUIT_OP_INSTALL:
        list = install;
        n = sizeof(install) / sizeof(install[0]);
        break;
    case TK_SUIT_OP_UNINSTALL:
        list = uninstall;
        n = 1;
        break;
    default:
        return 0;
    }
    memcpy(out, list, n * sizeof(*list));
    return n;
}

/* Forgets every dependency and parameter of an earlier procedure: a new
 * procedure starts from empty parameter storage
 * (draft-ietf-suit-manifest-37 section 6.1). */
static tk_err procedure_reset(tk_suit_processor *proc)
{
    proc->manifest_count = 1;
    proc->param_count = 0;
    proc->undo_count = 0;
    proc->undo_depth = 0;
    proc->work_used = 0;
    proc->manifests[0].sections_done = 0;
    proc->manifests[0].rollback_checked = false;
    memset(proc->manifests[0].params_of, 0,
           sizeof(proc->manifests[0].params_of));
    const tk_suit_manifest *m = &proc->manifests[0].manifest;
    for (size_t i = 0; i < m->component_count; i++) {
        if (m->components[i].len == 0)
            continue;
        tk_err e = tk_suit_params_entry(proc, m->components[i],
                                        &proc->manifests[0].params_of[i]);
        if (e != TK_OK)
            return e;
    }
    return TK_OK;
}

/* Runs one procedure inside the platform's begin()/end() transaction. */
static tk_err procedure_run(tk_suit_processor *proc, tk_suit_operation op)
{
    const tk_suit_platform *pf = proc->cfg.platform;
    tk_suit_section sections[TK_SUIT_SECTION_COUNT];
    size_t n = procedure_sections(op, sections);
    tk_err e = TK_OK;

    if (n == 0)
        return TK_ERR_INVALID_ARG;
    proc->op = op;
    if (pf->begin != NULL)
        e = pf->begin(pf->ctx, op);
    if (e != TK_OK)
        return e;
    e = procedure_reset(proc);
    if (e == TK_OK) {
        e = tk_suit_check_rollback(proc, 0);
        if (e != TK_OK && proc->error.code == TK_OK) {
            const tk_suit_loaded *m = &proc->manifests[0];
            proc->error.code = e;
            proc->error.offset = tk_suit_offset_in(m->env.raw,
                                                   m->env.manifest.ptr);
        }
    }
    for (size_t i = 0; e == TK_OK && i < n; i++)
        e = tk_suit_run_section(proc, 0, sections[i], NULL, 0);
    if (e == TK_OK && op != TK_SUIT_OP_BOOT && op != TK_SUIT_OP_STAGE &&
        op != TK_SUIT_OP_UNINSTALL)
        e = record_installs(proc);
    if (pf->end != NULL) {
        tk_err end = pf->end(pf->ctx, e);
        if (e == TK_OK)
            e = end;
    }
    return e;
}

/* Decodes, verifies and decodes the manifest of the root envelope. */
static tk_err root_load(tk_suit_processor *proc, tk_view input)
{
    const tk_suit_platform *pf = proc->cfg.platform;
    tk_suit_loaded *m = &proc->manifests[0];
    tk_suit_key_request base;
    tk_err e;

    memset(m, 0, sizeof(*m));
    memset(&base, 0, sizeof(base));
    proc->manifest_count = 1;
    e = tk_suit_envelope_decode(input, &m->env, &proc->error);
    if (e == TK_OK)
        e = tk_suit_verify_request(&m->env, proc->cfg.crypto, pf->find_key,
                                   pf->ctx, &base, pf->now, pf->ctx,
                                   &proc->work.u.auth, &proc->error);
    if (e == TK_OK)
        e = tk_suit_manifest_decode(&m->env, proc->cfg.crypto,
                                    proc->cfg.flags, &m->manifest,
                                    &proc->error);
    if (e != TK_OK)
        return e;
    m->decoded = true;
    if ((proc->cfg.flags & TK_SUIT_FLAG_REQUIRE_VENDOR_CLASS) != 0 &&
        !shared_checks_identity(&m->manifest)) {
        proc->error.code = TK_ERR_SUIT_VENDOR_CLASS_REQUIRED;
        proc->error.section = SECTION_SHARED;
        proc->error.offset = tk_suit_offset_in(
            m->env.raw, m->manifest.shared_sequence.ptr);
        return proc->error.code;
    }
    return TK_OK;
}

tk_err tk_suit_process(tk_suit_processor *proc, tk_view input,
                       tk_suit_operation op)
{
    if (proc == NULL || proc->cfg.platform == NULL)
        return TK_ERR_INVALID_ARG;
    memset(&proc->error, 0, sizeof(proc->error));
    proc->error.component = TK_SUIT_NO_COMPONENT;
    memset(&proc->failure, 0, sizeof(proc->failure));
    proc->have_failure = false;
    proc->record_count = 0;
    proc->manifest_count = 0;
    proc->command_count = 0;
    proc->sequence_count = 0;
    proc->recording = false;
    proc->cached_param_count = 0;
    proc->cached_map_count = 0;
    proc->invoked = false;
    proc->ran = true;
    proc->op = op;

    /* The uninstall procedure belongs to the trust domains. */
    tk_err e = TK_ERR_UNSUPPORTED;
    if (op != TK_SUIT_OP_UNINSTALL || TK_SUIT_WITH_DEPENDENCIES)
        e = root_load(proc, input);
    if (e == TK_OK && op == TK_SUIT_OP_UPDATE_AND_BOOT) {
        e = procedure_run(proc, TK_SUIT_OP_UPDATE);
        if (e == TK_OK)
            e = procedure_run(proc, TK_SUIT_OP_BOOT);
    } else if (e == TK_OK) {
        e = procedure_run(proc, op);
    }
    if (e != TK_OK && proc->error.code == TK_OK)
        proc->error.code = e;
    proc->result = e;
    return e;
}
