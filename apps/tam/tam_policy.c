/*
 * The TAM's policy and its records.
 *
 * Policy (draft-ietf-teep-protocol, "Handling a QueryResponse Message"):
 * the tc-list of an attested agent replaces the device's installed state
 * in the store. Then the store's plan names what the device's rules (its
 * own, else its class's) require. A component the device lacks is
 * installed, one it reported with a lower sequence number is updated, and
 * one that a rule forbids is deleted. The agent's requested-tc-list adds
 * components that no rule forbids, and its unneeded-manifest-list removes
 * components that no rule requires. Nothing else is ever sent.
 *
 * Records: the SUIT reports of a Success or Error are stored once, and
 * the installed state follows what the reports and the message say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tam_internal.h"
#include "tam_testhooks.h"
#include "teepkit/suit.h"

/* Everything the policy builds for one QueryResponse. */
typedef struct policy_run {
    tam_request *r;
    const tk_teep_message *msg;
    tk_teep_policy_output *out;
    size_t budget;            /* manifest bytes still allowed */
    bool requested[TK_TEEP_MAX_MANIFESTS]; /* added for requested-tc-list */
} policy_run;

/* ---- Installed state from the tc-list ---------------------------------- */

/* Finds the entry of component id in items[0..count). */
static tk_store_installed *find_installed(tk_store_installed *items,
                                          size_t count, tk_view id)
{
    for (size_t i = 0; i < count; i++)
        if (tam_view_equal(items[i].component_id, id))
            return &items[i];
    return NULL;
}

/*
 * Builds the installed state from the tc-list. An entry without a
 * sequence number keeps the one the store had for that component (what
 * the TAM installed), else 0, which any version updates.
 */
static tk_err read_tc_list(policy_run *p, tk_store_installed *items,
                           size_t *count, bool *changed)
{
    tam_request *r = p->r;
    tk_store_installeds before = r->installed;
    if (!r->has_installed) {
        /* No appraisal read it (attestation is not required). */
        tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_installed_list(r->tam->store, r->device.id,
                                             &page, &r->mem, &before,
                                             &detail);
        if (err != TK_OK) {
            tam_set_detail(r, "%s", detail.text);
            return err;
        }
    }
    *count = 0;
    for (size_t i = 0; i < p->msg->tc_count; i++) {
        tk_teep_tc_info info;
        if (tk_teep_tc_info_decode(p->msg->tc_list[i], &info) != TK_OK ||
            info.component_id.len == 0) {
            TK_LOG_WARN(TAM_LOG, "tc-list entry %zu is unreadable and "
                                 "ignored device=%lld id=%s",
                        i, (long long)r->device.id, r->request_id);
            continue;
        }
        uint64_t sequence = 0;
        const tk_store_installed *old = NULL;
        for (size_t j = 0; j < before.count && old == NULL; j++)
            if (tam_view_equal(before.items[j].component_id,
                               info.component_id))
                old = &before.items[j];
        if (info.has_sequence)
            sequence = info.sequence;
        else if (old != NULL)
            sequence = old->sequence;
        if (sequence > INT64_MAX)
            sequence = INT64_MAX;
        tk_store_installed *dup =
            find_installed(items, *count, info.component_id);
        if (dup != NULL) {
            if (sequence > dup->sequence)
                dup->sequence = sequence;
            continue;
        }
        tk_store_installed *it = &items[(*count)++];
        memset(it, 0, sizeof(*it));
        it->component_id = info.component_id;
        it->sequence = sequence;
        if (old != NULL && old->sequence == sequence)
            it->digest = old->digest;
    }
    /* Every reported entry is distinct, so equal counts and every entry
     * found unchanged mean the same state. */
    *changed = *count != before.count;
    for (size_t i = 0; i < *count && !*changed; i++) {
        const tk_store_installed *it = &items[i];
        bool same = false;
        for (size_t j = 0; j < before.count && !same; j++)
            same = tam_view_equal(before.items[j].component_id,
                                  it->component_id) &&
                   before.items[j].sequence == it->sequence;
        *changed = !same;
    }
    return TK_OK;
}

/* Reads the reported tc-list into the request's writes: it replaces the
 * device's installed state at the commit, unless the store already has
 * it. */
static tk_err store_tc_list(policy_run *p)
{
    tam_writes *w = &p->r->writes;
    bool changed = true;
    tk_err err = read_tc_list(p, w->installed, &w->installed_count,
                              &changed);
    w->replace_installed = err == TK_OK && changed;
    return err;
}

/* ---- Building the output ------------------------------------------------ */

/* Returns the index of the planned manifest of component id, or -1. */
static int planned_index(const policy_run *p, tk_view id)
{
    const tam_context *pend = &p->r->pending;
    for (size_t i = 0; i < pend->manifest_count; i++)
        if (tam_view_equal((tk_view){pend->manifests[i].id,
                                     pend->manifests[i].id_len},
                           id))
            return (int)i;
    return -1;
}

/*
 * Adds the envelope of version to the Update when it fits: at most
 * TK_TEEP_MAX_MANIFESTS manifests and max_update bytes. What does not fit
 * waits for the device's next session. known is the version with its
 * envelope when the caller has it, else NULL to read it.
 */
static tk_err add_manifest(policy_run *p, int64_t component, tk_view id,
                           int64_t version_id, const tk_store_version *known,
                           bool requested)
{
    tam_request *r = p->r;
    if (planned_index(p, id) >= 0)
        return TK_OK;
    if (id.len > TAM_MAX_COMPONENT_ID ||
        p->out->manifest_count == TK_TEEP_MAX_MANIFESTS) {
        TK_LOG_WARN(TAM_LOG, "component %lld waits for the next session: "
                             "the Update is full device=%lld id=%s",
                    (long long)component, (long long)r->device.id,
                    r->request_id);
        return TK_OK;
    }
    tk_store_version v;
    if (known != NULL) {
        v = *known;
    } else {
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_version_get(r->tam->store, version_id, &r->mem,
                                          &v, &detail);
        if (err != TK_OK) {
            tam_set_detail(r, "%s", detail.text);
            return err;
        }
    }
    if (v.envelope.len > r->tam->cfg.max_update) {
        TK_LOG_ERROR(TAM_LOG, "component %lld version %lld is never sent: "
                              "%s (%zu bytes, max_update %zu) device=%lld "
                              "id=%s",
                     (long long)component, (long long)version_id,
                     tk_strerror(TK_ERR_TAM_UPDATE_TOO_LARGE),
                     v.envelope.len, r->tam->cfg.max_update,
                     (long long)r->device.id, r->request_id);
        return TK_OK;
    }
    if (v.envelope.len > p->budget) {
        TK_LOG_WARN(TAM_LOG, "component %lld version %lld waits for the "
                             "next session: %zu bytes exceed what "
                             "max_update leaves (%zu) device=%lld id=%s",
                    (long long)component, (long long)version_id,
                    v.envelope.len, p->budget, (long long)r->device.id,
                    r->request_id);
        return TK_OK;
    }
    p->budget -= v.envelope.len;
    p->requested[p->out->manifest_count] = requested;
    p->out->manifests[p->out->manifest_count++] = v.envelope;
    tam_sent_manifest *m = &r->pending.manifests[r->pending.manifest_count++];
    memset(m, 0, sizeof(*m));
    m->component = component;
    m->version = version_id;
    m->sequence = v.sequence;
    m->digest_len = v.digest.len <= TAM_MAX_DIGEST ? v.digest.len : 0;
    memcpy(m->digest, v.digest.ptr, m->digest_len);
    m->id_len = id.len;
    memcpy(m->id, id.ptr, id.len);
    return TK_OK;
}

/* Adds manifest_id to the unneeded-manifest-list, remembering that it
 * removes the installed entry of component id. */
static void add_unneeded(policy_run *p, tk_view manifest_id, tk_view id)
{
    tam_context *pend = &p->r->pending;
    if (manifest_id.len > TAM_MAX_COMPONENT_ID ||
        id.len > TAM_MAX_COMPONENT_ID)
        return;
    for (size_t i = 0; i < pend->unneeded_count; i++)
        if (tam_view_equal((tk_view){pend->unneeded[i].id,
                                     pend->unneeded[i].id_len},
                           id))
            return;
    if (pend->unneeded_count == TK_TEEP_MAX_UNNEEDED) {
        TK_LOG_WARN(TAM_LOG, "a deletion waits for the next session: the "
                             "unneeded list is full device=%lld id=%s",
                    (long long)p->r->device.id, p->r->request_id);
        return;
    }
    tam_sent_unneeded *u = &pend->unneeded[pend->unneeded_count++];
    u->manifest_id_len = manifest_id.len;
    memcpy(u->manifest_id, manifest_id.ptr, manifest_id.len);
    u->id_len = id.len;
    memcpy(u->id, id.ptr, id.len);
}

/* The id that names a component's manifest in unneeded-manifest-list:
 * suit-manifest-component-id of its newest version, else its own id. */
static tk_view manifest_id_of(tam_request *r, int64_t component, tk_view id)
{
    tk_store_version v;
    tk_store_detail detail = {{0}};
    tk_view manifest_id = id;
    if (tk_store_version_latest(r->tam->store, component, &r->mem, &v,
                                &detail) == TK_OK &&
        tam_manifest_component_id(v.envelope, &manifest_id) != TK_OK)
        manifest_id = id;
    return manifest_id;
}

/* Returns the version a plan item installs when the plan carries its
 * envelope (filled into v), else NULL. */
static const tk_store_version *planned_version(const tk_store_plan_item *it,
                                               tk_store_version *v)
{
    if (it->size == 0 || it->envelope.len != it->size)
        return NULL;
    memset(v, 0, sizeof(*v));
    v->id = it->version_id;
    v->component = it->component;
    v->sequence = it->sequence;
    v->digest = it->digest;
    v->envelope = it->envelope;
    v->size = it->size;
    return v;
}

/* Turns the store's plan into manifests and deletions: against the
 * reported installed state when the message has a tc-list (it is stored
 * only at the commit), else against the stored one. */
static tk_err apply_plan(policy_run *p, bool reported)
{
    tam_request *r = p->r;
    const tam_writes *w = &r->writes;
    tk_store_plan plan;
    tk_store_detail detail = {{0}};
    tk_err err;
    if (reported)
        err = tk_store_plan_for(r->tam->store, r->device.id, w->installed,
                                w->installed_count, r->tam->cfg.max_update,
                                &r->mem, &plan, &detail);
    else
        err = tk_store_plan_get(r->tam->store, r->device.id, &r->mem, &plan,
                                &detail);
    if (err != TK_OK) {
        tam_set_detail(r, "%s", detail.text);
        return err;
    }
    for (size_t i = 0; i < plan.count && err == TK_OK; i++) {
        const tk_store_plan_item *it = &plan.items[i];
        tk_store_version v;
        if (it->action == TK_STORE_PLAN_DELETE)
            add_unneeded(p, manifest_id_of(r, it->component, it->component_id),
                         it->component_id);
        else
            err = add_manifest(p, it->component, it->component_id,
                               it->version_id, planned_version(it, &v),
                               false);
    }
    return err;
}

/* Finds the rule of the device for component (device rule first, then
 * class rule); 0 when none applies. */
static tk_err rule_for(tam_request *r, int64_t component,
                       tk_store_policy_action *action)
{
    *action = 0;
    int64_t owners[2] = {r->device.id, r->device.class_id};
    for (size_t k = 0; k < 2 && *action == 0; k++) {
        if (owners[k] == 0)
            continue;
        tk_store_policies rules;
        tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
        tk_store_detail detail = {{0}};
        tk_err err = tk_store_policy_list(
            r->tam->store, k == 0 ? owners[0] : 0, k == 1 ? owners[1] : 0,
            &page, &r->mem, &rules, &detail);
        if (err != TK_OK) {
            tam_set_detail(r, "%s", detail.text);
            return err;
        }
        for (size_t i = 0; i < rules.count; i++)
            if (rules.items[i].component == component)
                *action = rules.items[i].action;
    }
    return TK_OK;
}

/* Handles one requested-tc-list entry (RequestTA). */
static tk_err add_requested(policy_run *p, const tk_teep_requested_tc *tc,
                            const tk_store_installed *installed,
                            size_t installed_count)
{
    tam_request *r = p->r;
    tk_store *store = r->tam->store;
    tk_store_detail detail = {{0}};
    char name[256];
    tam_component_diag(tc->component_id, name, sizeof(name));
    tk_store_component c;
    tk_err err = tk_store_component_find(store, tc->component_id, &r->mem,
                                         &c, &detail);
    if (err == TK_ERR_STORE_NOT_FOUND) {
        TK_LOG_INFO(TAM_LOG, "requested component %s is unknown "
                             "device=%lld id=%s",
                    name, (long long)r->device.id, r->request_id);
        return TK_OK;
    }
    tk_store_policy_action action = 0;
    if (err == TK_OK)
        err = rule_for(r, c.id, &action);
    if (err != TK_OK)
        return err;
    if (action == TK_STORE_POLICY_FORBID ||
        (action == 0 && !r->tam->cfg.open_requests)) {
        TK_LOG_INFO(TAM_LOG, "requested component %s is not allowed for "
                             "the device device=%lld id=%s",
                    name, (long long)r->device.id, r->request_id);
        return TK_OK;
    }
    tk_store_version latest;
    err = tk_store_version_latest(store, c.id, &r->mem, &latest, &detail);
    if (err == TK_ERR_STORE_NOT_FOUND)
        return TK_OK;
    if (err != TK_OK)
        return err;
    tk_store_installed *have = find_installed(
        (tk_store_installed *)installed, installed_count, c.component_id);
    if ((have != NULL && have->sequence >= latest.sequence) ||
        (tc->has_sequence && latest.sequence < tc->sequence)) {
        TK_LOG_INFO(TAM_LOG, "requested component %s needs no manifest: "
                             "newest sequence %llu device=%lld id=%s",
                    name, (unsigned long long)latest.sequence,
                    (long long)r->device.id, r->request_id);
        return TK_OK;
    }
    return add_manifest(p, c.id, c.component_id, latest.id, &latest, true);
}

/* Drops planned manifest number index from the output. */
static void drop_manifest(policy_run *p, size_t index)
{
    tk_teep_policy_output *out = p->out;
    tam_context *pend = &p->r->pending;
    p->budget += out->manifests[index].len;
    for (size_t i = index + 1; i < out->manifest_count; i++) {
        out->manifests[i - 1] = out->manifests[i];
        pend->manifests[i - 1] = pend->manifests[i];
        p->requested[i - 1] = p->requested[i];
    }
    out->manifest_count--;
    pend->manifest_count--;
}

/* Finds the TAM component that manifest_id names: by the
 * suit-manifest-component-id of its newest version or by its own id. */
static tk_err component_of_manifest(tam_request *r, tk_view manifest_id,
                                    tk_store_component *found, bool *hit)
{
    *hit = false;
    tk_store_page page = {0, TK_STORE_MAX_PAGE, false};
    tk_store_detail detail = {{0}};
    do {
        tk_store_components list;
        tk_err err = tk_store_component_list(r->tam->store, &page, &r->mem,
                                             &list, &detail);
        if (err != TK_OK)
            return err;
        for (size_t i = 0; i < list.count; i++) {
            const tk_store_component *c = &list.items[i];
            if (tam_view_equal(c->component_id, manifest_id) ||
                tam_view_equal(manifest_id_of(r, c->id, c->component_id),
                               manifest_id)) {
                *found = *c;
                *hit = true;
                return TK_OK;
            }
        }
        page.after = list.next;
    } while (page.after != 0);
    return TK_OK;
}

/* Handles one unneeded-manifest-list entry of the agent (UnrequestTA). */
static tk_err add_unrequested(policy_run *p, tk_view manifest_id,
                              const tk_store_installed *installed,
                              size_t installed_count)
{
    tam_request *r = p->r;
    char name[256];
    tam_component_diag(manifest_id, name, sizeof(name));
    tk_store_component c;
    bool hit = false;
    tk_err err = component_of_manifest(r, manifest_id, &c, &hit);
    if (err != TK_OK || !hit)
        return err;
    tk_store_policy_action action = 0;
    err = rule_for(r, c.id, &action);
    if (err != TK_OK)
        return err;
    if (action == TK_STORE_POLICY_INSTALL) {
        TK_LOG_INFO(TAM_LOG, "component %s stays: the policy requires it "
                             "device=%lld id=%s",
                    name, (long long)r->device.id, r->request_id);
        return TK_OK;
    }
    int index = planned_index(p, c.component_id);
    if (index >= 0 && p->requested[index])
        drop_manifest(p, (size_t)index);
    if (find_installed((tk_store_installed *)installed, installed_count,
                       c.component_id) != NULL)
        add_unneeded(p, manifest_id, c.component_id);
    return TK_OK;
}

/* Copies the pending unneeded ids into the output views. */
static void fill_unneeded(policy_run *p)
{
    const tam_context *pend = &p->r->pending;
    p->out->unneeded_count = pend->unneeded_count;
    for (size_t i = 0; i < pend->unneeded_count; i++)
        p->out->unneeded[i] = (tk_view){pend->unneeded[i].manifest_id,
                                        pend->unneeded[i].manifest_id_len};
}

/*
 * policy callback: decides the Update of an attested device. Returns an
 * error only when the store fails. The state machine then rejects the
 * message, and the reply's HTTP status reports a failure of the TAM.
 */
tk_err tam_policy(void *ctx, const tk_teep_policy_input *input,
                  tk_teep_policy_output *output)
{
    tam_request *r = ctx;
    if (!r->has_device)
        return TK_ERR_INTERNAL;
    policy_run p;
    memset(&p, 0, sizeof(p));
    p.r = r;
    p.msg = input->response;
    p.out = output;
    p.budget = r->tam->cfg.max_update;
    r->pending.manifest_count = 0;
    r->pending.unneeded_count = 0;

    const tk_store_installed *installed = r->writes.installed;
    r->writes.installed_count = 0;
    bool reported = TK_TEEP_HAS(p.msg, TK_TEEP_LABEL_TC_LIST);
    tk_err err = TK_OK;
    if (reported)
        err = store_tc_list(&p);
    size_t installed_count = r->writes.installed_count;
    if (err == TK_OK)
        err = apply_plan(&p, reported);
    for (size_t i = 0; err == TK_OK && i < p.msg->requested_count; i++)
        err = add_requested(&p, &p.msg->requested[i], installed,
                            installed_count);
    for (size_t i = 0; err == TK_OK && i < p.msg->unneeded_count; i++)
        err = add_unrequested(&p, p.msg->unneeded[i], installed,
                              installed_count);
    if (err != TK_OK) {
        output->manifest_count = 0;
        output->unneeded_count = 0;
        return err;
    }
    fill_unneeded(&p);
    return TK_OK;
}

/* ---- Records of Success and Error --------------------------------------- */

/* Decodes one SUIT report; a signed one is verified with the agent key
 * that verified the message. */
static bool read_report(tam_request *r, tk_view bytes, tk_suit_report *rep)
{
    tk_suit_record records[16];
    const tk_key *key = r->key_count > 0 ? r->keys[0].key : NULL;
    return tk_suit_report_decode(bytes, r->tam->crypto, key, rep, records,
                                 16) == TK_OK;
}

/* Finds the sent manifest whose digest a report names. */
static const tam_sent_manifest *sent_by_digest(const tam_context *ctx,
                                               tk_view digest)
{
    for (size_t i = 0; i < ctx->manifest_count; i++)
        if (tam_view_equal((tk_view){ctx->manifests[i].digest,
                                     ctx->manifests[i].digest_len},
                           digest))
            return &ctx->manifests[i];
    return NULL;
}

/* Collects every report of the message for the commit, which stores each
 * once; marks in applied[] the sent manifests that a successful report
 * names. */
static void collect_reports(tam_request *r, const tk_teep_record *rec,
                            bool *applied)
{
    const tk_teep_message *msg = rec->message;
    tam_writes *w = &r->writes;
    for (size_t i = 0; i < msg->report_count; i++) {
        tk_suit_report rep;
        bool ok = read_report(r, msg->suit_reports[i], &rep);
        tk_store_report *row = &w->reports[w->report_count++];
        memset(row, 0, sizeof(*row));
        row->device_id = r->device.id;
        row->session_id = r->session_id;
        /* The taken session outlives the state machine's copy. */
        row->token = (tk_view){r->taken.teep.token, r->taken.teep.token_len};
        row->item = (uint32_t)i;
        /* 0 is success, so an unreadable report or a failure without a
         * code is stored as -1. */
        row->result = -1;
        if (ok && rep.success)
            row->result = 0;
        else if (ok && rep.result_code != 0)
            row->result = (int32_t)rep.result_code;
        row->report = msg->suit_reports[i];
        const tam_sent_manifest *m =
            ok && rep.success
                ? sent_by_digest(&r->taken, rep.manifest_digest.bytes)
                : NULL;
        if (m != NULL)
            applied[m - r->taken.manifests] = true;
    }
}

/* Brings the installed state in line with the outcome of an Update: the
 * entries to set and remove at the commit. */
static void collect_installed(tam_request *r, bool success,
                              const bool *applied)
{
    const tam_context *t = &r->taken;
    tam_writes *w = &r->writes;
    for (size_t i = 0; i < t->manifest_count; i++) {
        if (!success && !applied[i])
            continue;
        const tam_sent_manifest *m = &t->manifests[i];
        tk_store_installed *item = &w->set[w->set_count++];
        memset(item, 0, sizeof(*item));
        item->device_id = r->device.id;
        item->component_id = (tk_view){m->id, m->id_len};
        item->sequence = m->sequence;
        item->digest = (tk_view){m->digest, m->digest_len};
    }
    for (size_t i = 0; success && i < t->unneeded_count; i++)
        w->remove[w->remove_count++] =
            (tk_view){t->unneeded[i].id, t->unneeded[i].id_len};
}

/*
 * record callback: collects the reports, the installed state and an audit
 * entry of a Success or an Error. tam_session_commit() stores them in one
 * transaction with the consumption of the message's token, so a TAM that
 * stops in between leaves either all of them or none (and the token
 * unused, so the agent's retry goes through).
 */
tk_err tam_record(void *ctx, const tk_teep_record *rec)
{
    tam_request *r = ctx;
    if (!r->has_device || !r->has_taken)
        return TK_ERR_INTERNAL;
    const tk_teep_message *msg = rec->message;
    bool success = msg->type == TK_TEEP_SUCCESS;
    bool applied[TK_TEEP_MAX_MANIFESTS] = {false};
    collect_reports(r, rec, applied);
    tam_crash_point("tam-after-reports");
    if (rec->session->kind == TK_TEEP_UPDATE)
        collect_installed(r, success, applied);
    /* An Update without manifests or deletions only reported a problem
     * (ERR_ATTESTATION_REQUIRED, for example), and the attestation result
     * already records it. */
    if (rec->session->kind == TK_TEEP_UPDATE &&
        r->taken.manifest_count == 0 && r->taken.unneeded_count == 0)
        return TK_OK;

    const char *action = "query.error";
    if (rec->session->kind == TK_TEEP_UPDATE)
        action = success ? "update.success" : "update.error";
    char err_code[32] = "";
    if (!success)
        snprintf(err_code, sizeof(err_code), ", err-code %u",
                 (unsigned)msg->err_code);
    tam_audit(r, action,
              "session %lld: manifests sent %zu, deletions sent %zu, "
              "reports %zu%s",
              (long long)r->session_id, r->taken.manifest_count,
              r->taken.unneeded_count, msg->report_count, err_code);
    r->writes.recorded = true;
    return TK_OK;
}
