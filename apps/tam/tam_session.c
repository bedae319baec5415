/*
 * Session storage of the TAM: the state machine's session_save and
 * session_take callbacks over the store's sessions and single-use tokens.
 *
 * One store session row follows one exchange with an agent, from the
 * QueryRequest to the last Success or Error. Every message the TAM sends
 * adds a token to it. Its context contains the state machine's session
 * and what the TAM sent (tam_context), encoded as CBOR so that workers of
 * other builds and machines read it the same way. The token is consumed
 * in one atomic store operation, so of two workers that receive the same
 * response only one gets the session.
 */
#include <stdlib.h>
#include <string.h>

#include "tam_internal.h"
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

/* Decodes a context written by tam_context_encode(). Any deviation gives
 * TK_ERR_TAM_SESSION_CONTEXT. */
tk_err tam_context_decode(tk_view in, tam_context *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
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
        memset(ctx, 0, sizeof(*ctx));
        return TK_ERR_TAM_SESSION_CONTEXT;
    }
    return TK_OK;
}

/*
 * session_save callback: stores the session of the message being sent.
 * The first message of an exchange creates a store session; later ones
 * add their token to the session whose token the request consumed.
 */
tk_err tam_session_save(void *ctx, const tk_teep_tam_session *session)
{
    tam_request *r = ctx;
    tk_tam *tam = r->tam;
    r->pending.teep = *session;
    if (session->kind != TK_TEEP_UPDATE) {
        r->pending.manifest_count = 0;
        r->pending.unneeded_count = 0;
    }
    uint8_t *buf = malloc(CONTEXT_MAX);
    if (buf == NULL)
        return TK_ERR_STORE_NOMEM;
    size_t len = 0;
    tk_err err = tam_context_encode(&r->pending, buf, CONTEXT_MAX, &len);
    if (err != TK_OK) {
        free(buf);
        tam_set_detail(r, "cannot encode the session: %s", tk_strerror(err));
        return err;
    }
    tk_view token = {session->token, session->token_len};
    tk_view context = {buf, len};
    int64_t device = r->has_device ? r->device.id : 0;
    tk_store_detail detail = {{0}};
    if (r->has_taken) {
        tk_store_session_change change;
        memset(&change, 0, sizeof(change));
        change.id = r->session_id;
        change.expected_state = TK_STORE_ANY_STATE;
        change.state = (int32_t)session->kind;
        change.device_id = device;
        change.set_context = true;
        change.context = context;
        change.expires = session->expires;
        change.next_token = token;
        tam_write_lock(tam);
        err = tk_store_session_update(tam->store, &change, &detail);
        tam_write_unlock(tam);
        r->saved_session_id = r->session_id;
    } else {
        tk_store_session s;
        memset(&s, 0, sizeof(s));
        /* The challenge stays in the context only: the token is what
         * must be used once, and registering the challenge as a second
         * single-use value would cost one more write per session. */
        s.device_id = device;
        s.state = (int32_t)session->kind;
        s.context = context;
        s.expires = session->expires;
        tam_write_lock(tam);
        err = tk_store_session_create(tam->store, &s, token,
                                      &r->saved_session_id, &detail);
        tam_write_unlock(tam);
    }
    free(buf);
    if (err != TK_OK) {
        tam_set_detail(r, "%s", detail.text);
        return err;
    }
    tam_short_id(tam->crypto, token, r->sid_out);
    return TK_OK;
}

/*
 * session_take callback: consumes token and returns its session. A token
 * that was never issued or is already used gives TK_ERR_NOT_FOUND, which
 * the state machine reports as TK_ERR_TEEP_TOKEN_UNKNOWN.
 */
tk_err tam_session_take(void *ctx, tk_view token,
                        tk_teep_tam_session *session)
{
    tam_request *r = ctx;
    tk_tam *tam = r->tam;
    tam_short_id(tam->crypto, token, r->sid_in);
    tk_store_session stored;
    tk_store_detail detail = {{0}};
    tam_write_lock(tam);
    tk_err err = tk_store_token_consume(tam->store, TK_STORE_TOKEN, token,
                                        &r->mem, &stored, &detail);
    tam_write_unlock(tam);
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
