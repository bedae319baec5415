/*
 * Session storage of the TAM: the state machine's session_save and
 * session_take callbacks over the store's sessions and single-use tokens,
 * and the commit of everything a request writes.
 *
 * The QueryRequest that starts a session stores nothing: its token is
 * self-authenticating (tam_token.c) and carries what the QueryResponse
 * needs. From the reply to that QueryResponse on, one store session row
 * follows the exchange with the agent until the last Success or Error.
 * Every message the TAM sends from then on adds a token to it. Its
 * context contains the state machine's session and what the TAM sent
 * (tam_context), encoded as CBOR so that workers of other builds and
 * machines read it the same way. session_take only checks the token.
 * tam_session_commit() consumes it (or records a self-authenticating one
 * as used) at the end of the request in the same store transaction as
 * the records and the reply's session, so of two workers that receive
 * the same response only one commits, and a worker that stops halfway
 * leaves nothing behind.
 */
#include <stdlib.h>
#include <string.h>

#include "tam_internal.h"
#include "tam_testhooks.h"
#include "teepkit/cbor.h"

/* Version of the context encoding; a worker rejects other versions. */
#define CONTEXT_FORMAT 1

/* Bytes needed to encode any context: every id and digest at its maximum
 * plus the fixed fields. */
#define CONTEXT_MAX                                                        \
    (1024 + TK_TEEP_MAX_MANIFESTS * (TAM_MAX_COMPONENT_ID + 128) +         \
     TK_TEEP_MAX_UNNEEDED * (2 * TAM_MAX_COMPONENT_ID + 16) +              \
     TK_TEEP_CHALLENGE_MAX + TK_TEEP_TOKEN_MAX + TK_TEEP_MAX_DEVICE_ID)

static void put_manifests(tk_cbor_enc *enc, const tam_context *ctx)
{
    tk_cbor_enc_put_array(enc, ctx->manifest_count);
    for (size_t i = 0; i < ctx->manifest_count; i++) {
        const tam_sent_manifest *m = &ctx->manifests[i];
        tk_cbor_enc_put_array(enc, 5);
        tk_cbor_enc_put_int(enc, m->component);
        tk_cbor_enc_put_int(enc, m->version);
        tk_cbor_enc_put_uint(enc, m->sequence);
        tk_cbor_enc_put_bstr(enc, m->digest, m->digest_len);
        tk_cbor_enc_put_bstr(enc, m->id, m->id_len);
    }
}

static void put_unneeded(tk_cbor_enc *enc, const tam_context *ctx)
{
    tk_cbor_enc_put_array(enc, ctx->unneeded_count);
    for (size_t i = 0; i < ctx->unneeded_count; i++) {
        const tam_sent_unneeded *u = &ctx->unneeded[i];
        tk_cbor_enc_put_array(enc, 2);
        tk_cbor_enc_put_bstr(enc, u->manifest_id, u->manifest_id_len);
        tk_cbor_enc_put_bstr(enc, u->id, u->id_len);
    }
}

/*
 * Encodes ctx as [format, kind, token, challenge, data_items, freshness,
 * alg, created, expires, device_id, manifest_count, retries, manifests,
 * unneeded] into buf (capacity cap).
 */
tk_err tam_context_encode(const tam_context *ctx, uint8_t *buf, size_t cap,
                          size_t *len)
{
    const tk_teep_tam_session *s = &ctx->teep;
    tk_cbor_enc enc;
    tk_cbor_enc_init(&enc, buf, cap, 0);
    tk_cbor_enc_put_array(&enc, 14);
    tk_cbor_enc_put_uint(&enc, CONTEXT_FORMAT);
    tk_cbor_enc_put_uint(&enc, s->kind);
    tk_cbor_enc_put_bstr(&enc, s->token, s->token_len);
    tk_cbor_enc_put_bstr(&enc, s->challenge, s->challenge_len);
    tk_cbor_enc_put_uint(&enc, s->data_items);
    tk_cbor_enc_put_uint(&enc, s->freshness);
    tk_cbor_enc_put_int(&enc, s->alg);
    tk_cbor_enc_put_int(&enc, s->created);
    tk_cbor_enc_put_int(&enc, s->expires);
    tk_cbor_enc_put_bstr(&enc, s->device_id, s->device_id_len);
    tk_cbor_enc_put_uint(&enc, s->manifest_count);
    tk_cbor_enc_put_uint(&enc, s->retries);
    put_manifests(&enc, ctx);
    put_unneeded(&enc, ctx);
    return tk_cbor_enc_finish(&enc, len);
}

/* Copies a byte string of at most cap bytes into out. */
static void get_bytes(tk_cbor_dec *dec, uint8_t *out, size_t cap,
                      size_t *len)
{
    tk_view v = {NULL, 0};
    *len = 0;
    if (tk_cbor_dec_get_bstr(dec, &v) != TK_OK)
        return;
    if (v.len > cap) {
        tk_cbor_dec_fail(dec, TK_ERR_TAM_SESSION_CONTEXT);
        return;
    }
    if (v.len > 0)
        memcpy(out, v.ptr, v.len);
    *len = v.len;
}

/* Reads an unsigned value that must fit in 32 bits. */
static uint32_t get_u32(tk_cbor_dec *dec)
{
    uint64_t v = 0;
    tk_cbor_dec_get_uint(dec, &v);
    if (v > UINT32_MAX)
        tk_cbor_dec_fail(dec, TK_ERR_TAM_SESSION_CONTEXT);
    return (uint32_t)v;
}

static void get_manifests(tk_cbor_dec *dec, tam_context *ctx)
{
    uint64_t count = 0;
    tk_cbor_dec_enter_array(dec, &count);
    if (count > TK_TEEP_MAX_MANIFESTS) {
        tk_cbor_dec_fail(dec, TK_ERR_TAM_SESSION_CONTEXT);
        return;
    }
    for (size_t i = 0; i < count && tk_cbor_dec_error(dec) == TK_OK; i++) {
        tam_sent_manifest *m = &ctx->manifests[i];
        tk_cbor_dec_enter_array(dec, NULL);
        tk_cbor_dec_get_int(dec, &m->component);
        tk_cbor_dec_get_int(dec, &m->version);
        tk_cbor_dec_get_uint(dec, &m->sequence);
        get_bytes(dec, m->digest, sizeof(m->digest), &m->digest_len);
        get_bytes(dec, m->id, sizeof(m->id), &m->id_len);
        tk_cbor_dec_exit(dec);
    }
    ctx->manifest_count = (size_t)count;
    tk_cbor_dec_exit(dec);
}

static void get_unneeded(tk_cbor_dec *dec, tam_context *ctx)
{
    uint64_t count = 0;
    tk_cbor_dec_enter_array(dec, &count);
    if (count > TK_TEEP_MAX_UNNEEDED) {
        tk_cbor_dec_fail(dec, TK_ERR_TAM_SESSION_CONTEXT);
        return;
    }
    for (size_t i = 0; i < count && tk_cbor_dec_error(dec) == TK_OK; i++) {
        tam_sent_unneeded *u = &ctx->unneeded[i];
        tk_cbor_dec_enter_array(dec, NULL);
        get_bytes(dec, u->manifest_id, sizeof(u->manifest_id),
                  &u->manifest_id_len);
        get_bytes(dec, u->id, sizeof(u->id), &u->id_len);
        tk_cbor_dec_exit(dec);
    }
    ctx->unneeded_count = (size_t)count;
    tk_cbor_dec_exit(dec);
}

/* Empties ctx. The entries of its lists are read only below their
 * counts, so they keep their bytes: zeroing all of them would write
 * 26 KiB per message. */
static void context_clear(tam_context *ctx)
{
    memset(&ctx->teep, 0, sizeof(ctx->teep));
    ctx->manifest_count = 0;
    ctx->unneeded_count = 0;
}

/* Decodes a context written by tam_context_encode(). Any deviation gives
 * TK_ERR_TAM_SESSION_CONTEXT. */
tk_err tam_context_decode(tk_view in, tam_context *ctx)
{
    context_clear(ctx);
    tk_teep_tam_session *s = &ctx->teep;
    tk_cbor_dec dec;
    uint64_t count = 0;
    int64_t alg = 0;
    tk_cbor_dec_init(&dec, in.ptr, in.len, 0);
    tk_cbor_dec_enter_array(&dec, &count);
    if (count != 14 || get_u32(&dec) != CONTEXT_FORMAT)
        tk_cbor_dec_fail(&dec, TK_ERR_TAM_SESSION_CONTEXT);
    s->kind = get_u32(&dec);
    get_bytes(&dec, s->token, sizeof(s->token), &s->token_len);
    get_bytes(&dec, s->challenge, sizeof(s->challenge), &s->challenge_len);
    s->data_items = get_u32(&dec);
    s->freshness = get_u32(&dec);
    tk_cbor_dec_get_int(&dec, &alg);
    if (alg < INT32_MIN || alg > INT32_MAX)
        tk_cbor_dec_fail(&dec, TK_ERR_TAM_SESSION_CONTEXT);
    s->alg = (tk_alg)alg;
    tk_cbor_dec_get_int(&dec, &s->created);
    tk_cbor_dec_get_int(&dec, &s->expires);
    get_bytes(&dec, s->device_id, sizeof(s->device_id), &s->device_id_len);
    s->manifest_count = get_u32(&dec);
    s->retries = get_u32(&dec);
    get_manifests(&dec, ctx);
    get_unneeded(&dec, ctx);
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK) {
        context_clear(ctx);
        return TK_ERR_TAM_SESSION_CONTEXT;
    }
    return TK_OK;
}

/*
 * session_save callback: keeps the session of the message being sent for
 * tam_session_commit(). The QueryRequest of an empty POST needs nothing
 * stored, once its token is checked to be the one the TAM issued. The
 * reply to a self-authenticating token creates a store session. Later
 * messages add their token to the session whose token the request
 * carried.
 */
tk_err tam_session_save(void *ctx, const tk_teep_tam_session *session)
{
    tam_request *r = ctx;
    tam_writes *w = &r->writes;
    if (r->issue != NULL && !r->has_taken) {
        tk_err err = tam_token_check_issued(r->issue, session);
        if (err != TK_OK) {
            tam_set_detail(r, "the QueryRequest does not carry the token "
                              "and challenge that the TAM issued for it");
            return err;
        }
        tam_short_id(r->tam->crypto,
                     (tk_view){session->token, session->token_len},
                     r->sid_out);
        return TK_OK;
    }
    r->pending.teep = *session;
    if (session->kind != TK_TEEP_UPDATE) {
        r->pending.manifest_count = 0;
        r->pending.unneeded_count = 0;
    }
    if (w->context == NULL) {
        w->context = malloc(CONTEXT_MAX);
        if (w->context == NULL)
            return TK_ERR_STORE_NOMEM;
    }
    tk_err err = tam_context_encode(&r->pending, w->context, CONTEXT_MAX,
                                    &w->context_len);
    if (err != TK_OK) {
        tam_set_detail(r, "cannot encode the session: %s", tk_strerror(err));
        return err;
    }
    w->save = true;
    w->session = *session;
    if (r->session_id != 0)
        r->saved_session_id = r->session_id;
    tam_short_id(r->tam->crypto,
                 (tk_view){session->token, session->token_len}, r->sid_out);
    return TK_OK;
}

/* session_take of a self-authenticating token: verifies it and rebuilds
 * the session from it, without the store. Whether it was used before is
 * decided when tam_session_commit() records it. */
static tk_err take_own(tam_request *r, tk_view token,
                       tk_teep_tam_session *session)
{
    tk_tam *tam = r->tam;
    tk_err err = tam_token_digest(tam->crypto, token, r->used_digest,
                                  r->sid_in);
    if (err == TK_OK)
        err = tam_token_open(tam, token, r->now, &r->taken.teep,
                             &r->used_expires);
    if (err == TK_ERR_NOT_FOUND) {
        tam_set_detail(r, "the token (%zu bytes) does not verify: no TAM "
                          "of this database issued it, or it was altered",
                       token.len);
        return TK_ERR_NOT_FOUND;
    }
    if (err != TK_OK)
        return err;
    tam_crash_point("tam-after-take-query");
    r->session_id = 0;
    r->has_taken = true;
    r->used = true;
    *session = r->taken.teep;
    return TK_OK;
}

/*
 * session_take callback: checks token and returns its session, without
 * consuming the token yet: tam_session_commit() consumes it together with
 * everything the message changes. A token that was never issued or is
 * already used gives TK_ERR_NOT_FOUND, which the state machine reports as
 * TK_ERR_TEEP_TOKEN_UNKNOWN.
 */
tk_err tam_session_take(void *ctx, tk_view token,
                        tk_teep_tam_session *session)
{
    tam_request *r = ctx;
    tk_tam *tam = r->tam;
    if (tam_token_is_own(token))
        return take_own(r, token, session);
    tam_short_id(tam->crypto, token, r->sid_in);
    tk_store_session stored;
    tk_store_detail detail = {{0}};
    tk_err err = tk_store_token_check(tam->store, TK_STORE_TOKEN, token,
                                      &r->mem, &stored, &detail);
    if (err == TK_ERR_STORE_TOKEN_UNKNOWN || err == TK_ERR_STORE_TOKEN_USED) {
        tam_set_detail(r, "%s", detail.text);
        return TK_ERR_NOT_FOUND;
    }
    if (err == TK_ERR_STORE_TOKEN_EXPIRED)
        return TK_ERR_TEEP_TOKEN_EXPIRED;
    if (err != TK_OK) {
        tam_set_detail(r, "%s", detail.text);
        return err;
    }
    tam_crash_point(stored.state == TK_TEEP_UPDATE ? "tam-after-take-update"
                                                   : "tam-after-take-query");
    err = tam_context_decode(stored.context, &r->taken);
    if (err != TK_OK) {
        tam_set_detail(r, "session %lld has unreadable data",
                       (long long)stored.id);
        return err;
    }
    r->session_id = stored.id;
    r->has_taken = true;
    *session = r->taken.teep;
    return TK_OK;
}

/* True for store errors after which the agent may send the message again
 * (HTTP 503): the request then writes nothing. */
static bool store_unavailable(tk_err err)
{
    return err == TK_ERR_STORE_BUSY || err == TK_ERR_STORE_TIMEOUT ||
           err == TK_ERR_STORE_CONNECT;
}

/* The parts of a store exchange, alive while it runs. */
typedef struct exchange_parts {
    tk_store_exchange x;
    tk_store_session_change change;
    tk_store_session fresh;
    tk_store_audit audit[TAM_MAX_AUDIT + 1];
} exchange_parts;

/*
 * Fills p from the request: the token it carried, the attestation result
 * with its audit entry and, when all is true, every other record and the
 * session of the reply. Returns false when there is nothing to write.
 */
static bool fill_exchange(tam_request *r, bool all, exchange_parts *p)
{
    tam_writes *w = &r->writes;
    tk_store_exchange *x = &p->x;
    memset(p, 0, sizeof(*p));
    if (r->used) {
        x->used_digest = (tk_view){r->used_digest, sizeof(r->used_digest)};
        x->used_expires = r->used_expires;
    } else if (r->has_taken) {
        x->token = (tk_view){r->taken.teep.token, r->taken.teep.token_len};
        x->session_id = r->session_id;
    }
    x->device_id = r->has_device ? r->device.id : 0;
    x->actor = TAM_ACTOR;
    x->audit = p->audit;
    if (w->attestation) {
        w->result.claims = w->claims;
        x->attestation = &w->result;
        x->activate_device = w->activate && x->device_id != 0;
        if (w->attestation_audit)
            p->audit[x->audit_count++] = w->attestation_entry;
    }
    if (!all)
        return x->token.len > 0 || x->used_digest.len > 0 ||
               x->attestation != NULL;
    for (size_t i = 0; i < w->audit_count; i++)
        p->audit[x->audit_count++] = w->audit[i];
    x->replace_installed = w->replace_installed;
    x->installed = w->installed;
    x->installed_count = w->installed_count;
    x->installed_set = w->set;
    x->installed_set_count = w->set_count;
    x->installed_remove = w->remove;
    x->installed_remove_count = w->remove_count;
    x->reports = w->reports;
    x->report_count = w->report_count;
    if (w->save) {
        tk_view token = {w->session.token, w->session.token_len};
        tk_view context = {w->context, w->context_len};
        int32_t state = (int32_t)w->session.kind;
        if (r->session_id != 0) {
            p->change.id = r->session_id;
            p->change.expected_state = TK_STORE_ANY_STATE;
            p->change.state = state;
            p->change.device_id = x->device_id;
            p->change.set_context = true;
            p->change.context = context;
            p->change.expires = w->session.expires;
            p->change.next_token = token;
            x->update = &p->change;
        } else {
            /* The reply to a self-authenticating token. The challenge
             * stays in the context only: the token is what must be used
             * once, and registering the challenge as a second single-use
             * value would cost one more row per session. */
            p->fresh.device_id = x->device_id;
            p->fresh.state = state;
            p->fresh.context = context;
            p->fresh.expires = w->session.expires;
            x->create = &p->fresh;
            x->create_token = token;
        }
    }
    return x->token.len > 0 || x->used_digest.len > 0 ||
           x->attestation != NULL || x->replace_installed ||
           x->installed_set_count > 0 || x->installed_remove_count > 0 ||
           x->report_count > 0 || x->audit_count > 0 || x->update != NULL ||
           x->create != NULL;
}

/* Consumes the token of a dropped message, with its attestation result,
 * because the TAM expires a token after the first validly signed response
 * (draft-ietf-teep-protocol, "token"). A failure is logged: the token then
 * stays usable. */
static void commit_dropped(tam_request *r)
{
    exchange_parts *p = malloc(sizeof(*p));
    if (p == NULL)
        return;
    if (fill_exchange(r, false, p)) {
        tk_store_detail detail = {{0}};
        tk_store_exchange_result out;
        if (tk_store_exchange_record(r->tam->store, &p->x, &out, &detail) ==
            TK_OK) {
            if (out.activated)
                r->device.state = TK_STORE_DEVICE_ACTIVE;
        } else {
            TK_LOG_WARN(TAM_LOG, "the token of a dropped message stays "
                                 "unused: %s id=%s",
                        detail.text, r->request_id);
        }
    }
    free(p);
}

/* Drops a message whose records could not be stored; returns the reason
 * for tk_tam_status_for(). */
static tk_err drop(tam_request *r, tk_teep_tam_result *res, tk_err err)
{
    tk_err reason = err;
    bool token_rejected = true;
    if (err == TK_ERR_STORE_TOKEN_UNKNOWN || err == TK_ERR_STORE_TOKEN_USED)
        reason = TK_ERR_TEEP_TOKEN_UNKNOWN;
    else if (err == TK_ERR_STORE_TOKEN_EXPIRED)
        reason = TK_ERR_TEEP_TOKEN_EXPIRED;
    else
        token_rejected = false;
    if (!token_rejected && !store_unavailable(err))
        commit_dropped(r);
    /* A used self-authenticating token is found only after the appraisal,
     * so drop the verdict, as tam_session_take() does for a stored token. */
    if (token_rejected)
        res->attestation = TK_EAT_STATUS_NONE;
    res->outcome = TK_TEEP_TAM_REJECTED;
    res->out_len = 0;
    res->reason = reason;
    return reason;
}

tk_err tam_session_commit(tam_request *r, tk_err handled,
                          tk_teep_tam_result *res)
{
    if (handled != TK_OK) {
        /* A store that failed during the request gets no more writes, so
         * the agent may send the message again. */
        if (r->has_taken && !store_unavailable(handled))
            commit_dropped(r);
        return handled;
    }
    exchange_parts *p = malloc(sizeof(*p));
    if (p == NULL)
        return drop(r, res, TK_ERR_STORE_NOMEM);
    if (!fill_exchange(r, true, p)) {
        free(p);
        /* A QueryRequest that starts a session stores nothing; its crash
         * points stay for the tests that stop the TAM there. */
        if (r->issue != NULL) {
            tam_crash_point("tam-before-save-query");
            tam_crash_point("tam-after-save-query");
        }
        return TK_OK;
    }
    tam_writes *w = &r->writes;
    bool update = w->session.kind == TK_TEEP_UPDATE;
    if (w->save)
        tam_crash_point(update ? "tam-before-save-update"
                               : "tam-before-save-query");
    tk_store_detail detail = {{0}};
    tk_store_exchange_result out;
    tk_err err = tk_store_exchange_record(r->tam->store, &p->x, &out, &detail);
    free(p);
    if (err != TK_OK) {
        tam_set_detail(r, "%s", detail.text);
        return drop(r, res, err);
    }
    if (out.activated)
        r->device.state = TK_STORE_DEVICE_ACTIVE;
    if (w->save && r->session_id == 0)
        r->saved_session_id = out.created_session;
    if (w->save)
        tam_crash_point(update ? "tam-after-save-update"
                               : "tam-after-save-query");
    if (w->recorded)
        tam_crash_point("tam-after-record");
    return TK_OK;
}

void tam_writes_free(tam_writes *w)
{
    free(w->context);
    free(w->claims);
    w->context = NULL;
    w->claims = NULL;
}
