/*
 * Installing and deleting Trusted Components: the process_manifest and
 * unlink_manifest callbacks of the TEEP agent.
 *
 * A manifest runs through lib/suit's processor on the platform of an
 * apps/suitdev session, which stages every write and applies it at the
 * end of a successful procedure, one component at a time with write,
 * fsync and rename. The agent puts its own platform table in front of
 * the session's to
 *   - pick the Trusted Component signer key, or the delegation anchor, by
 *     the kid of each signature (the session's own lookup takes the first
 *     key of a type), and
 *   - check every rollback record once more before it is staged, against
 *     the installed metadata or the tombstone of a deleted component. So
 *     no path through the processor (a dependency, a retried install, an
 *     install after a delete) can lower a sequence number.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "log.h"
#include "teepkit/cbor.h"
#include "teepkit/suit.h"

/* The agent's platform in front of a suitdev session. */
typedef struct agent_platform {
    tk_suit_platform outer;
    const tk_suit_platform *inner;
    tk_agent *agent;
    bool delegated;  /* the envelope carries a delegation chain */
} agent_platform;

/* Returns the inner platform of ctx. */
static const tk_suit_platform *inner_of(void *ctx)
{
    return ((agent_platform *)ctx)->inner;
}

/* Returns true when key signs with alg (either identifier of a suite). */
static bool key_fits(const tk_key *key, tk_alg alg)
{
    switch (alg) {
    case TK_ALG_ES256:
    case TK_ALG_ESP256:
        return key->kty == TK_KTY_EC2 && key->crv == TK_CRV_P256;
    case TK_ALG_ES384:
    case TK_ALG_ESP384:
        return key->kty == TK_KTY_EC2 && key->crv == TK_CRV_P384;
    case TK_ALG_EDDSA:
    case TK_ALG_ED25519:
        return key->kty == TK_KTY_OKP && key->crv == TK_CRV_ED25519;
    default:
        return false;
    }
}

/* Returns true when kid names key k: its COSE_Key kid or its RFC 9679
 * thumbprint. */
static bool kid_names(const agent_key *k, tk_view kid)
{
    if (kid.len == k->info.kid_len && kid.len > 0 &&
        memcmp(kid.ptr, k->info.kid, kid.len) == 0)
        return true;
    return kid.len == sizeof(k->thumbprint) &&
           memcmp(kid.ptr, k->thumbprint, kid.len) == 0;
}

/*
 * Finds a trusted key among keys[0..count): the one the kid names, else,
 * with any_kidless, the first key of the right type whose file carries no
 * kid (a PEM file). A kid never selects a key that claims another kid.
 */
static tk_err find_trusted(const agent_key *keys, size_t count,
                           const tk_suit_key_request *req, bool any_kidless,
                           const tk_key **key)
{
    for (size_t i = 0; i < count; i++) {
        const agent_key *k = &keys[i];

        if (key_fits(&k->key, req->alg) && kid_names(k, req->kid)) {
            *key = &k->key;
            return TK_OK;
        }
    }
    for (size_t i = 0; any_kidless && i < count; i++) {
        const agent_key *k = &keys[i];

        if (key_fits(&k->key, req->alg) && k->info.kid_len == 0) {
            *key = &k->key;
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

static tk_err w_find_key(void *ctx, const tk_suit_key_request *req,
                         const tk_key **key)
{
    agent_platform *p = ctx;

    /* A Trusted Component signer key verifies manifests, and a delegation
     * anchor the first CWT of a chain: neither replaces the other.
     * lib/suit tries the chain's key only when no trusted key is found, so
     * in an envelope with a chain a signer key must be named by the kid. */
    if (req->use == TK_SUIT_KEY_MANIFEST)
        return find_trusted(p->agent->signer_keys,
                            p->agent->signer_key_count, req, !p->delegated,
                            key);
    if (req->use == TK_SUIT_KEY_DELEGATION)
        return find_trusted(p->agent->delegation_keys,
                            p->agent->delegation_key_count, req, true, key);
    return p->inner->find_key(p->inner->ctx, req, key);
}

/*
 * Checks a rollback record against the committed metadata of its
 * component: the sequence number may not go down, and an equal one must
 * come from the same manifest. A deleted component is checked against its
 * tombstone, which keeps the highest sequence number it had, so that an
 * older manifest cannot install it again (draft-ietf-suit-manifest
 * section 8.4.2: a recipient rejects a sequence number lower than its
 * current one). The very manifest that was deleted may install it again,
 * as a TAM does when the component is requested once more.
 */
static tk_err check_record(tk_agent *agent, tk_view id,
                           const tk_suit_installed *record)
{
    tk_suitdev_id parsed;
    tk_suitdev_meta meta;
    const char *state = "installed";
    tk_err err = tk_suitdev_id_decode(id, &parsed);

    if (err == TK_OK)
        err = tk_suitdev_get_meta(agent->device, &parsed, &meta);
    if (err == TK_ERR_NOT_FOUND) {
        state = "deleted";
        err = tk_suitdev_get_tombstone(agent->device, &parsed, &meta);
    }
    if (err == TK_ERR_NOT_FOUND)
        return TK_OK;
    if (err != TK_OK)
        return err;
    if (record->sequence_number < meta.sequence_number) {
        TK_LOG_WARN(AGENT_LOG, "rollback rejected: sequence %llu is lower "
                    "than %llu of the %s component",
                    (unsigned long long)record->sequence_number,
                    (unsigned long long)meta.sequence_number, state);
        return TK_ERR_SUIT_ROLLBACK;
    }
    if (record->sequence_number == meta.sequence_number &&
        (record->digest_alg != meta.manifest_digest_alg ||
         record->digest_len != meta.manifest_digest_len ||
         memcmp(record->digest, meta.manifest_digest, record->digest_len) !=
             0)) {
        TK_LOG_WARN(AGENT_LOG, "rollback rejected: sequence %llu equals that "
                    "of the %s component but the manifest differs",
                    (unsigned long long)record->sequence_number, state);
        return TK_ERR_SUIT_ROLLBACK_DIGEST;
    }
    return TK_OK;
}

static tk_err w_set_installed(void *ctx, tk_view id,
                              const tk_suit_installed *record)
{
    agent_platform *p = ctx;
    tk_err err = check_record(p->agent, id, record);

    if (err != TK_OK)
        return err;
    return p->inner->set_installed(p->inner->ctx, id, record);
}

/* ---- Forwarding to the session's platform ---------------------------- */

static tk_err w_begin(void *ctx, tk_suit_operation op)
{
    return inner_of(ctx)->begin(inner_of(ctx)->ctx, op);
}

static tk_err w_end(void *ctx, tk_err result)
{
    return inner_of(ctx)->end(inner_of(ctx)->ctx, result);
}

static tk_err w_stat(void *ctx, const tk_suit_component *c,
                     tk_suit_component_info *info)
{
    return inner_of(ctx)->stat(inner_of(ctx)->ctx, c, info);
}

static tk_err w_read(void *ctx, const tk_suit_component *c, uint64_t offset,
                     uint8_t *buf, size_t len, size_t *out_len)
{
    return inner_of(ctx)->read(inner_of(ctx)->ctx, c, offset, buf, len,
                               out_len);
}

static tk_err w_map(void *ctx, const tk_suit_component *c, tk_view *bytes)
{
    return inner_of(ctx)->map(inner_of(ctx)->ctx, c, bytes);
}

static tk_err w_digest(void *ctx, const tk_suit_component *c, tk_alg alg,
                       uint8_t *out, size_t cap, size_t *out_len)
{
    return inner_of(ctx)->digest(inner_of(ctx)->ctx, c, alg, out, cap,
                                 out_len);
}

static tk_err w_write_begin(void *ctx, const tk_suit_component *c,
                            uint64_t size)
{
    return inner_of(ctx)->write_begin(inner_of(ctx)->ctx, c, size);
}

static tk_err w_write(void *ctx, const tk_suit_component *c, uint64_t offset,
                      const uint8_t *data, size_t len)
{
    return inner_of(ctx)->write(inner_of(ctx)->ctx, c, offset, data, len);
}

static tk_err w_write_end(void *ctx, const tk_suit_component *c,
                          tk_err status)
{
    return inner_of(ctx)->write_end(inner_of(ctx)->ctx, c, status);
}

static tk_err w_fetch(void *ctx, const tk_suit_fetch_request *req,
                      tk_suit_sink *sink)
{
    return inner_of(ctx)->fetch(inner_of(ctx)->ctx, req, sink);
}

static tk_err w_swap(void *ctx, const tk_suit_component *a,
                     const tk_suit_component *b)
{
    return inner_of(ctx)->swap(inner_of(ctx)->ctx, a, b);
}

static tk_err w_invoke(void *ctx, const tk_suit_component *c, tk_view args)
{
    return inner_of(ctx)->invoke(inner_of(ctx)->ctx, c, args);
}

static tk_err w_unlink(void *ctx, const tk_suit_component *c)
{
    return inner_of(ctx)->unlink(inner_of(ctx)->ctx, c);
}

static tk_err w_match_identifier(void *ctx, const tk_suit_component *c,
                                 tk_suit_identifier kind, tk_view id,
                                 bool *match)
{
    return inner_of(ctx)->match_identifier(inner_of(ctx)->ctx, c, kind, id,
                                           match);
}

static tk_err w_version(void *ctx, const tk_suit_component *c,
                        int64_t *parts, size_t *count)
{
    return inner_of(ctx)->version(inner_of(ctx)->ctx, c, parts, count);
}

static tk_err w_battery(void *ctx, uint64_t *mwh)
{
    return inner_of(ctx)->battery(inner_of(ctx)->ctx, mwh);
}

static tk_err w_authorize(void *ctx, int64_t priority, bool *authorized)
{
    return inner_of(ctx)->authorize(inner_of(ctx)->ctx, priority,
                                    authorized);
}

static tk_err w_now(void *ctx, uint64_t *seconds)
{
    return inner_of(ctx)->now(inner_of(ctx)->ctx, seconds);
}

static tk_err w_wait(void *ctx, tk_view wait_info)
{
    return inner_of(ctx)->wait(inner_of(ctx)->ctx, wait_info);
}

static tk_err w_allow(void *ctx, const tk_suit_requester *requester,
                      const tk_suit_component *c, tk_suit_access access,
                      bool *allowed)
{
    return inner_of(ctx)->allow(inner_of(ctx)->ctx, requester, c, access,
                                allowed);
}

static tk_err w_get_installed(void *ctx, tk_view id, tk_suit_installed *out)
{
    return inner_of(ctx)->get_installed(inner_of(ctx)->ctx, id, out);
}

static tk_err w_custom(void *ctx, int64_t label, const tk_suit_component *c,
                       tk_view argument, bool *ok)
{
    return inner_of(ctx)->custom(inner_of(ctx)->ctx, label, c, argument, ok);
}

/* Fills p->outer with the agent's callbacks and forwarders for every
 * callback that the inner platform has; a missing one stays NULL. */
static void platform_wrap(agent_platform *p, tk_agent *agent,
                          const tk_suit_platform *inner)
{
    tk_suit_platform *o = &p->outer;

    memset(p, 0, sizeof(*p));
    p->inner = inner;
    p->agent = agent;
    o->ctx = p;
    o->find_key = w_find_key;
#define FORWARD(name) o->name = inner->name != NULL ? w_##name : NULL
    FORWARD(begin);
    FORWARD(end);
    FORWARD(stat);
    FORWARD(read);
    FORWARD(map);
    FORWARD(digest);
    FORWARD(write_begin);
    FORWARD(write);
    FORWARD(write_end);
    FORWARD(fetch);
    FORWARD(swap);
    FORWARD(invoke);
    FORWARD(unlink);
    FORWARD(match_identifier);
    FORWARD(version);
    FORWARD(battery);
    FORWARD(authorize);
    FORWARD(now);
    FORWARD(wait);
    FORWARD(allow);
    FORWARD(get_installed);
    FORWARD(set_installed);
    FORWARD(custom);
#undef FORWARD
}

/* ---------------------------------------------------------------------- */
/* Reports                                                                */
/* ---------------------------------------------------------------------- */

/* SUIT_Report labels (draft-ietf-suit-report-18 section 4). */
enum {
    REPORT_NONCE = 2,
    REPORT_RECORDS = 3,
    REPORT_RESULT = 4,
    REPORT_RESULT_CODE = 5,
    REPORT_RESULT_RECORD = 6,
    REPORT_RESULT_REASON = 7,
    REPORT_REFERENCE = 99
};

/* Writes the result map of a failure that lies outside any command. */
static void put_failure_result(tk_cbor_enc *enc, tk_err err)
{
    tk_cbor_enc_put_map(enc, 3);
    tk_cbor_enc_put_uint(enc, REPORT_RESULT_CODE);
    tk_cbor_enc_put_int(enc, (int64_t)err);
    tk_cbor_enc_put_uint(enc, REPORT_RESULT_RECORD);
    /* No command failed: an empty record. */
    tk_cbor_enc_put_array(enc, 5);
    tk_cbor_enc_put_array(enc, 0);
    tk_cbor_enc_put_uint(enc, 0);
    tk_cbor_enc_put_uint(enc, 0);
    tk_cbor_enc_put_uint(enc, 0);
    tk_cbor_enc_put_map(enc, 0);
    tk_cbor_enc_put_uint(enc, REPORT_RESULT_REASON);
    tk_cbor_enc_put_uint(enc, (uint64_t)tk_suit_error_reason(err));
}

/*
 * Writes a SUIT_Report without records: the nonce, the result (true when
 * err is TK_OK, else err with its reason) and the reference to the digest
 * of the manifest as received. It replaces the full report where that
 * cannot be written.
 */
static tk_err write_short_report(const tk_crypto *crypto, tk_view envelope,
                                 tk_view nonce, tk_err err, uint8_t *out,
                                 size_t cap, size_t *len)
{
    tk_suit_envelope env;
    tk_view part = envelope;
    uint8_t digest[32];
    size_t digest_len = 0;
    tk_cbor_enc enc;
    tk_err herr;

    if (tk_suit_envelope_decode(envelope, &env, NULL) == TK_OK)
        part = env.manifest_wrapped;
    herr = crypto->hash(crypto->ctx, TK_ALG_SHA256, &part, 1, digest,
                        sizeof(digest), &digest_len);
    if (herr != TK_OK)
        return herr;
    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_map(&enc, nonce.len > 0 ? 4 : 3);
    if (nonce.len > 0) {
        tk_cbor_enc_put_uint(&enc, REPORT_NONCE);
        tk_cbor_enc_put_bstr(&enc, nonce.ptr, nonce.len);
    }
    tk_cbor_enc_put_uint(&enc, REPORT_RECORDS);
    tk_cbor_enc_put_array(&enc, 0);
    tk_cbor_enc_put_uint(&enc, REPORT_RESULT);
    if (err == TK_OK)
        tk_cbor_enc_put_bool(&enc, true);
    else
        put_failure_result(&enc, err);
    tk_cbor_enc_put_uint(&enc, REPORT_REFERENCE);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_text(&enc, "");
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, TK_ALG_SHA256);
    tk_cbor_enc_put_bstr(&enc, digest, digest_len);
    return tk_cbor_enc_finish(&enc, len);
}

tk_err agent_failure_report(const tk_crypto *crypto, tk_view envelope,
                            tk_view nonce, tk_err err, uint8_t *out,
                            size_t cap, size_t *len)
{
    return write_short_report(crypto, envelope, nonce,
                              err != TK_OK ? err : TK_ERR_INTERNAL, out, cap,
                              len);
}

/*
 * Writes the report of the last run of proc. When the processor
 * authenticated no manifest (tk_suit_report_encode() then returns
 * TK_ERR_STATE) it writes the failure report. When the records do not fit,
 * for example because a parameter carries a large image, it writes the
 * report without records, so the TAM still learns the outcome.
 */
static void write_report(tk_agent *agent, const tk_suit_processor *proc,
                         tk_view envelope, tk_view token, tk_err result,
                         uint8_t *report, size_t cap, size_t *report_len)
{
    tk_err err = tk_suit_report_encode(proc, token, false, report, cap,
                                       report_len);

    if (err == TK_ERR_STATE)
        err = agent_failure_report(agent->crypto, envelope, token,
                                   result != TK_OK ? result : TK_ERR_INTERNAL,
                                   report, cap, report_len);
    else if (err == TK_ERR_BUFFER_TOO_SMALL) {
        TK_LOG_WARN(AGENT_LOG, "the SUIT report with its records needs %zu "
                    "bytes, more than the %zu available: sending it "
                    "without records", *report_len, cap);
        err = write_short_report(agent->crypto, envelope, token, result,
                                 report, cap, report_len);
    }
    if (err != TK_OK) {
        TK_LOG_WARN(AGENT_LOG, "no SUIT report for this manifest: %s",
                    tk_strerror(err));
        *report_len = 0;
    }
}

/* ---------------------------------------------------------------------- */
/* Processing                                                             */
/* ---------------------------------------------------------------------- */

/* Logs an invocation, which the simulated device does not run. */
static void log_invoke(void *arg, const tk_suitdev_id *id, tk_view args)
{
    char name[TK_SUITDEV_NAME_SIZE];

    (void)arg;
    if (tk_suitdev_component_name(id, name) != TK_OK)
        strcpy(name, "?");
    TK_LOG_INFO(AGENT_LOG, "invoke of component %s requested (%zu bytes of "
                "arguments); the simulated TEE does not run it", name,
                args.len);
}

/* Logs the components that a successful run installed. */
static void log_installed(const tk_suit_processor *proc)
{
    const tk_suit_manifest *m = tk_suit_processor_manifest(proc);

    for (size_t i = 0; m != NULL && i < m->component_count; i++) {
        tk_suitdev_id id;
        char name[TK_SUITDEV_NAME_SIZE];

        if (m->components[i].len == 0 ||
            tk_suitdev_id_decode(m->components[i], &id) != TK_OK ||
            tk_suitdev_component_name(&id, name) != TK_OK)
            continue;
        TK_LOG_INFO(AGENT_LOG, "manifest processed: component %s sequence "
                    "%llu installed", name,
                    (unsigned long long)m->sequence_number);
    }
}

/* Logs why a run failed, where, and the last error of the store. */
static void log_failure(const tk_agent *agent, const tk_suit_processor *proc,
                        tk_err err)
{
    const tk_suit_error *e = tk_suit_processor_error(proc);
    const tk_suit_manifest *m = tk_suit_processor_manifest(proc);
    const char *detail = tk_suitdev_last_error(agent->device);

    if (m != NULL)
        TK_LOG_WARN(AGENT_LOG, "manifest rejected: sequence %llu: %s (%s); "
                    "section %d, command %lld, byte offset %zu%s%s",
                    (unsigned long long)m->sequence_number, tk_strerror(err),
                    tk_errname(err), (int)e->section, (long long)e->command,
                    e->offset, detail[0] != '\0' ? "; store: " : "", detail);
    else
        TK_LOG_WARN(AGENT_LOG, "manifest rejected before authentication: %s "
                    "(%s), byte offset %zu", tk_strerror(err),
                    tk_errname(err), e->offset);
}

/* Returns true when envelope carries a suit-delegation member. */
static bool has_delegation(tk_view envelope)
{
    tk_suit_envelope *env = calloc(1, sizeof(*env));
    bool found = false;

    if (env != NULL && tk_suit_envelope_decode(envelope, env, NULL) == TK_OK)
        found = env->delegation.len > 0;
    free(env);
    return found;
}

/* Runs the update procedure on envelope with a session of the store. */
static tk_err run_update(tk_agent *agent, tk_suit_processor *proc,
                         tk_suit_record *records, tk_view envelope, bool *ran)
{
    const tk_key *trusted[TK_AGENT_MAX_TRUSTED];
    const tk_key *anchors[TK_AGENT_MAX_TRUSTED];
    const tk_key *decrypt[TK_AGENT_MAX_TRUSTED];
    tk_suitdev_policy policy;
    tk_suitdev_session *session = NULL;
    agent_platform platform;
    tk_suit_config cfg;
    tk_err err;

    memset(&policy, 0, sizeof(policy));
    for (size_t i = 0; i < agent->signer_key_count; i++)
        trusted[i] = &agent->signer_keys[i].key;
    policy.manifest_keys = trusted;
    policy.manifest_key_count = agent->signer_key_count;
    for (size_t i = 0; i < agent->delegation_key_count; i++)
        anchors[i] = &agent->delegation_keys[i].key;
    policy.delegation_keys = anchors;
    policy.delegation_key_count = agent->delegation_key_count;
    for (size_t i = 0; i < agent->decrypt_key_count; i++)
        decrypt[i] = &agent->decrypt_keys[i].key;
    policy.decryption_keys = decrypt;
    policy.decryption_key_count = agent->decrypt_key_count;
    policy.vendor_id = agent->has_vendor_id ? agent->vendor_id : NULL;
    policy.class_id = agent->has_class_id ? agent->class_id : NULL;
    policy.on_invoke = log_invoke;
    /* The device clock follows the TK_TEST_CLOCK_OFFSET test hook too. */
    policy.clock_offset = agent->clock_offset;
    err = tk_suitdev_session_open(agent->device, &policy, &session);
    if (err != TK_OK)
        return err;
    platform_wrap(&platform, agent, tk_suitdev_session_platform(session));
    platform.delegated = has_delegation(envelope);
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = agent->crypto;
    cfg.platform = &platform.outer;
    if (agent->has_vendor_id && agent->has_class_id)
        cfg.flags |= TK_SUIT_FLAG_REQUIRE_VENDOR_CLASS;
    cfg.records = records;
    cfg.record_cap = AGENT_MAX_RECORDS;
    err = tk_suit_processor_init(proc, &cfg);
    if (err == TK_OK) {
        *ran = true;
        err = tk_suit_process(proc, envelope, TK_SUIT_OP_UPDATE);
    }
    tk_suitdev_session_close(session);
    return err;
}

tk_err agent_cb_process_manifest(void *ctx, tk_view envelope, tk_view token,
                                 uint8_t *report, size_t cap,
                                 size_t *report_len)
{
    tk_agent *agent = ctx;
    tk_suit_processor *proc = calloc(1, sizeof(*proc));
    tk_suit_record *records = calloc(AGENT_MAX_RECORDS, sizeof(*records));
    tk_err err = TK_ERR_INTERNAL;
    bool ran = false;

    *report_len = 0;
    TK_LOG_INFO(AGENT_LOG, "processing a manifest of %zu bytes",
                envelope.len);
    if (proc != NULL && records != NULL && envelope.len > AGENT_MAX_ENVELOPE)
        err = TK_ERR_LIMIT;
    else if (proc != NULL && records != NULL)
        err = run_update(agent, proc, records, envelope, &ran);
    if (ran)
        write_report(agent, proc, envelope, token, err, report, cap,
                     report_len);
    else if (agent_failure_report(agent->crypto, envelope, token, err,
                                  report, cap, report_len) != TK_OK)
        *report_len = 0;
    if (err == TK_OK)
        log_installed(proc);
    else if (ran)
        log_failure(agent, proc, err);
    else
        TK_LOG_WARN(AGENT_LOG, "manifest rejected: %s (%s)",
                    tk_strerror(err), tk_errname(err));
    free(records);
    free(proc);
    return err;
}

tk_err agent_cb_unlink_manifest(void *ctx, tk_view manifest_id)
{
    tk_agent *agent = ctx;
    tk_suitdev_id id;
    tk_suitdev_meta meta;
    char name[TK_SUITDEV_NAME_SIZE];
    tk_err err = tk_suitdev_id_decode(manifest_id, &id);

    if (err == TK_OK)
        err = tk_suitdev_component_name(&id, name);
    if (err != TK_OK) {
        TK_LOG_WARN(AGENT_LOG, "unlink rejected: the manifest id is not a "
                    "component identifier (%s)", tk_errname(err));
        return err;
    }
    if (tk_suitdev_get_meta(agent->device, &id, &meta) != TK_OK)
        meta.sequence_number = 0;
    /* The store keeps a tombstone with the sequence number, which
     * check_record() compares with later installs. */
    err = tk_suitdev_delete(agent->device, &id);
    if (err == TK_ERR_NOT_FOUND) {
        TK_LOG_INFO(AGENT_LOG, "unlink: component %s is not installed", name);
        return TK_OK;
    }
    if (err != TK_OK) {
        TK_LOG_WARN(AGENT_LOG, "unlink of component %s failed: %s", name,
                    tk_suitdev_last_error(agent->device));
        return err;
    }
    TK_LOG_INFO(AGENT_LOG, "component %s (sequence %llu) deleted", name,
                (unsigned long long)meta.sequence_number);
    return TK_OK;
}
