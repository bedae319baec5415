/*
 * TAM state machine (draft-ietf-teep-protocol section "TAM Behavior").
 *
 * Each call takes one message and produces at most one. Between calls the
 * TAM keeps only sessions, which the caller stores under their tokens and
 * which session_take() consumes atomically. A token matches exactly one
 * response, so a replayed QueryResponse, Success or Error finds nothing.
 * A session is taken only after the response's signature verified, so
 * forged messages cannot burn tokens.
 */
#include <string.h>

#include "teep_internal.h"

/* Default session lifetime: 24 hours, because an agent may take hours to
 * resolve dependencies before it replies to an Update. */
#define DEFAULT_LIFETIME (24 * 60 * 60)

/* Error messages of the Updates that report a problem to the agent. */
#define MSG_ATTESTATION                                                        \
    "attestation failed: evidence missing, stale or not trusted"
#define MSG_ITEMS "QueryResponse lacks a requested tc-list or ext-list"
#define MSG_REPORTS "SUIT report nonce does not match the token"
#define MSG_VERSION "selected TEEP version was not offered"

void tk_teep_tam_init(tk_teep_tam *tam)
{
    if (tam == NULL)
        return;
    memset(tam, 0, sizeof(*tam));
    tam->profiles = tk_teep_default_profiles;
    tam->profile_count = 4;
    tam->data_items =
        TK_TEEP_ITEM_ATTESTATION | TK_TEEP_ITEM_TRUSTED_COMPONENTS;
    tam->freshness = 1u << TK_TEEP_FRESHNESS_NONCE;
    tam->token_len = 16;
    tam->challenge_len = 32;
    tam->session_lifetime = DEFAULT_LIFETIME;
}

static bool tam_strict(const tk_teep_tam *tam)
{
    return (tam->flags & TK_TEEP_STRICT_ALG_IDS) != 0;
}

static tk_err check_tam(const tk_teep_tam *tam)
{
    const tk_teep_tam_ops *ops = &tam->ops;
    if (tam->crypto == NULL || tam->signers == NULL || tam->signer_count == 0 ||
        tam->scratch == NULL)
        return TK_ERR_INVALID_ARG;
    if (tam->signer_count > TK_TEEP_MAX_SIGNERS ||
        tam->signer_count > TK_TEEP_MAX_SUITES ||
        tam->profile_count > TK_TEEP_MAX_PROFILES ||
        (tam->profile_count > 0 && tam->profiles == NULL))
        return TK_ERR_INVALID_ARG;
    if (tam->token_len < TK_TEEP_TOKEN_MIN ||
        tam->token_len > TK_TEEP_TOKEN_MAX ||
        tam->challenge_len < TK_TEEP_CHALLENGE_MIN ||
        tam->challenge_len > TK_TEEP_CHALLENGE_MAX)
        return TK_ERR_INVALID_ARG;
    if (ops->now == NULL || ops->session_save == NULL ||
        ops->session_take == NULL || ops->agent_key == NULL ||
        ops->appraise == NULL || ops->policy == NULL || ops->record == NULL)
        return TK_ERR_INVALID_ARG;
    return TK_OK;
}

static void reset_result(tk_teep_tam_result *res)
{
    memset(res, 0, sizeof(*res));
    res->outcome = TK_TEEP_TAM_REJECTED;
    res->attestation = TK_EAT_STATUS_NONE;
}

/* Ends a call that sends nothing: the input is rejected with reason. */
static tk_err reject(tk_teep_tam_result *res, tk_err reason)
{
    res->outcome = TK_TEEP_TAM_REJECTED;
    res->reason = reason;
    res->out_len = 0;
    return reason;
}

static tk_err set_device(tk_teep_tam_result *res, tk_view device_id)
{
    if (device_id.len > TK_TEEP_MAX_DEVICE_ID)
        return TK_ERR_LIMIT;
    res->device_id_len = device_id.len;
    if (device_id.len > 0)
        memcpy(res->device_id, device_id.ptr, device_id.len);
    return TK_OK;
}

/* Finds the TAM signer for alg and copies it with alg as given. */
static bool signer_for(const tk_teep_tam *tam, tk_alg alg, tk_teep_signer *out)
{
    return tk_teep_signer_for(tam->signers, tam->signer_count,
                              tam_strict(tam), alg, out);
}

/* Fills session fields shared by every request and draws a fresh token. */
static tk_err new_session(tk_teep_tam *tam, uint32_t kind, tk_view device_id,
                          tk_alg alg, tk_teep_tam_session *s)
{
    memset(s, 0, sizeof(*s));
    if (device_id.len > TK_TEEP_MAX_DEVICE_ID)
        return TK_ERR_LIMIT;
    s->kind = kind;
    s->alg = alg;
    s->token_len = tam->token_len;
    tk_err err = tam->crypto->random(tam->crypto->ctx, s->token, s->token_len);
    if (err != TK_OK)
        return err;
    s->created = tam->ops.now(tam->ops.ctx);
    s->expires = s->created + tam->session_lifetime;
    s->device_id_len = device_id.len;
    if (device_id.len > 0)
        memcpy(s->device_id, device_id.ptr, device_id.len);
    return TK_OK;
}

/*
 * Builds, signs and saves a QueryRequest. alg selects the suite: with
 * TK_ALG_NONE every signer signs (COSE_Sign). freshness is the set of
 * mechanisms to offer. retries is carried into the new session.
 */
static tk_err send_query(tk_teep_tam *tam, tk_view device_id, tk_alg alg,
                         uint32_t freshness, uint32_t retries, uint8_t *out,
                         size_t cap, tk_teep_tam_result *res)
{
    tk_teep_tam_session s;
    tk_err err = new_session(tam, TK_TEEP_QUERY_REQUEST, device_id, alg, &s);
    if (err != TK_OK)
        return err;
    s.data_items = tam->data_items;
    s.freshness = freshness;
    s.retries = retries;

    tk_teep_message msg;
    memset(&msg, 0, sizeof(msg));
    msg.type = TK_TEEP_QUERY_REQUEST;
    msg.token = (tk_view){s.token, s.token_len};
    TK_TEEP_SET(&msg, TK_TEEP_LABEL_TOKEN);
    msg.versions[0] = 0;
    msg.version_count = 1;
    TK_TEEP_SET(&msg, TK_TEEP_LABEL_VERSIONS);
    if ((tam->data_items & TK_TEEP_ITEM_ATTESTATION) != 0) {
        if ((freshness & (1u << TK_TEEP_FRESHNESS_NONCE)) != 0) {
            s.challenge_len = tam->challenge_len;
            err = tam->crypto->random(tam->crypto->ctx, s.challenge,
                                      s.challenge_len);
            if (err != TK_OK)
                return err;
            msg.challenge = (tk_view){s.challenge, s.challenge_len};
            TK_TEEP_SET(&msg, TK_TEEP_LABEL_CHALLENGE);
        }
        /* Absent means "nonce only" (section 4.2), so it is sent only
         * when the TAM offers something else. */
        if (freshness != (1u << TK_TEEP_FRESHNESS_NONCE)) {
            for (uint32_t m = 0; m < 32; m++)
                if ((freshness & (1u << m)) != 0 &&
                    msg.freshness_count < TK_TEEP_MAX_FRESHNESS)
                    msg.freshness[msg.freshness_count++] = m;
            TK_TEEP_SET(&msg, TK_TEEP_LABEL_SUPPORTED_FRESHNESS);
        }
    }
    for (size_t i = 0; i < tam->signer_count; i++)
        tk_teep_suite_sign1(&msg.suites[msg.suite_count++],
                            tam->signers[i].alg);
    for (size_t i = 0; i < tam->profile_count; i++)
        msg.profiles[msg.profile_count++] = tam->profiles[i];
    msg.data_items = tam->data_items;

    tk_teep_signer one;
    const tk_teep_signer *signers = tam->signers;
    size_t signer_count = tam->signer_count;
    if (alg != TK_ALG_NONE) {
        if (!signer_for(tam, alg, &one))
            return TK_ERR_TEEP_NO_COMMON_SUITE;
        signers = &one;
        signer_count = 1;
    }
    size_t len = 0;
    err = tk_teep_seal(tam->crypto, &msg, signers, signer_count, tam->scratch,
                       tam->scratch_cap, out, cap, &len);
    if (err == TK_OK)
        err = tam->ops.session_save(tam->ops.ctx, &s);
    if (err != TK_OK)
        return err;
    res->outcome = TK_TEEP_TAM_SEND_QUERY;
    res->out_len = len;
    return TK_OK;
}

/*
 * Builds, signs and saves an Update to the device: the policy's manifests
 * and unneeded ids, or (with err_code not 0) an error report.
 */
static tk_err send_update(tk_teep_tam *tam, tk_view device_id, tk_alg alg,
                          const tk_teep_policy_output *policy,
                          uint32_t err_code, const char *err_msg, uint8_t *out,
                          size_t cap, tk_teep_tam_result *res)
{
    tk_teep_tam_session s;
    tk_err err = new_session(tam, TK_TEEP_UPDATE, device_id, alg, &s);
    if (err != TK_OK)
        return err;

    tk_teep_message msg;
    memset(&msg, 0, sizeof(msg));
    msg.type = TK_TEEP_UPDATE;
    msg.token = (tk_view){s.token, s.token_len};
    TK_TEEP_SET(&msg, TK_TEEP_LABEL_TOKEN);
    if (policy != NULL && policy->manifest_count > 0) {
        msg.manifest_count = policy->manifest_count;
        memcpy(msg.manifests, policy->manifests,
               policy->manifest_count * sizeof(tk_view));
        TK_TEEP_SET(&msg, TK_TEEP_LABEL_MANIFEST_LIST);
    }
    if (policy != NULL && policy->unneeded_count > 0) {
        msg.unneeded_count = policy->unneeded_count;
        memcpy(msg.unneeded, policy->unneeded,
               policy->unneeded_count * sizeof(tk_view));
        TK_TEEP_SET(&msg, TK_TEEP_LABEL_UNNEEDED_MANIFEST_LIST);
    }
    if (err_code != 0) {
        msg.err_code = err_code;
        TK_TEEP_SET(&msg, TK_TEEP_LABEL_ERR_CODE);
        msg.err_msg = (tk_view){(const uint8_t *)err_msg, strlen(err_msg)};
        TK_TEEP_SET(&msg, TK_TEEP_LABEL_ERR_MSG);
    }
    s.manifest_count = msg.manifest_count;

    tk_teep_signer signer;
    if (!signer_for(tam, alg, &signer))
        return TK_ERR_TEEP_NO_COMMON_SUITE;
    size_t len = 0;
    err = tk_teep_seal(tam->crypto, &msg, &signer, 1, tam->scratch,
                       tam->scratch_cap, out, cap, &len);
    if (err == TK_OK)
        err = tam->ops.session_save(tam->ops.ctx, &s);
    if (err != TK_OK)
        return err;
    res->outcome = TK_TEEP_TAM_SEND_UPDATE;
    res->out_len = len;
    res->err_code = err_code;
    res->manifests_sent = msg.manifest_count;
    res->unneeded_sent = msg.unneeded_count;
    return TK_OK;
}

tk_err tk_teep_tam_start(tk_teep_tam *tam, tk_view device_id, tk_alg alg,
                         uint8_t *out, size_t cap, tk_teep_tam_result *res)
{
    if (res == NULL)
        return TK_ERR_INVALID_ARG;
    reset_result(res);
    if (tam == NULL || out == NULL ||
        (device_id.ptr == NULL && device_id.len > 0))
        return reject(res, TK_ERR_INVALID_ARG);
    tk_err err = check_tam(tam);
    if (err == TK_OK)
        err = set_device(res, device_id);
    if (err == TK_OK)
        err = send_query(tam, device_id, alg, tam->freshness, 0, out, cap, res);
    if (err != TK_OK)
        return reject(res, err);
    res->reason = TK_OK;
    return TK_OK;
}

/* Everything one incoming message needs while it is handled. */
typedef struct tam_call {
    tk_teep_tam *tam;
    tk_teep_verified verified;
    tk_teep_message msg;
    tk_teep_tam_session session;
    uint8_t *out;
    size_t cap;
    tk_teep_tam_result *res;
} tam_call;

static tk_view call_device(const tam_call *c)
{
    return (tk_view){c->res->device_id, c->res->device_id_len};
}

/*
 * Replies to a QueryResponse whose attestation failed. Nothing is
 * installed. As configured, the TAM sends a fresh QueryRequest with a new
 * challenge, or an Update carrying ERR_ATTESTATION_REQUIRED.
 */
static tk_err attestation_failed(tam_call *c, tk_err reason)
{
    tk_teep_tam *tam = c->tam;
    tk_err err;
    if ((tam->flags & TK_TEEP_TAM_REQUERY_ON_ATTESTATION_FAILURE) != 0)
        err = send_query(tam, call_device(c), c->verified.alg, tam->freshness,
                         0, c->out, c->cap, c->res);
    else
        err = send_update(tam, call_device(c), c->verified.alg, NULL,
                          TK_TEEP_ERR_ATTESTATION_REQUIRED, MSG_ATTESTATION,
                          c->out, c->cap, c->res);
    if (err != TK_OK)
        return reject(c->res, err);
    if (c->res->attestation == TK_EAT_STATUS_NONE)
        c->res->attestation = TK_EAT_STATUS_CONTRAINDICATED;
    c->res->reason = reason;
    return TK_OK;
}

/* Returns true when format names an EAT in CWT form: absent, or the media
 * type application/eat+cwt with or without parameters. */
static bool format_is_eat(tk_view format)
{
    static const char eat[] = TK_TEEP_EAT_MEDIA_TYPE;
    size_t n = sizeof(eat) - 1;
    if (format.len == 0)
        return true;
    if (format.len < n || memcmp(format.ptr, eat, n) != 0)
        return false;
    return format.len == n || format.ptr[n] == ';' || format.ptr[n] == ' ';
}

/* Appraises the attestation payload that the session requested. Returns
 * TK_OK when the agent may be trusted, else the reason it may not. */
static tk_err appraise(tam_call *c, tk_eat_result *result)
{
    tk_teep_tam *tam = c->tam;
    const tk_teep_message *msg = &c->msg;
    if (!TK_TEEP_HAS(msg, TK_TEEP_LABEL_ATTESTATION_PAYLOAD))
        return TK_ERR_TEEP_ATTESTATION_MISSING;
    /* An unknown format is never forwarded to the verifier. */
    if (!format_is_eat(msg->attestation_format))
        return TK_ERR_TEEP_ATTESTATION_FORMAT;

    tk_teep_evidence ev;
    memset(&ev, 0, sizeof(ev));
    ev.format = msg->attestation_format;
    ev.payload = msg->attestation_payload;
    ev.challenge = (tk_view){c->session.challenge, c->session.challenge_len};
    ev.device_id = call_device(c);
    ev.agent_key = c->verified.key;
    ev.agent_alg = c->verified.alg;
    ev.now = tam->ops.now(tam->ops.ctx);
    memset(result, 0, sizeof(*result));
    result->status = TK_EAT_STATUS_CONTRAINDICATED;
    result->reason = TK_ERR_TEEP_ATTESTATION_FAILED;
    tk_err err = tam->ops.appraise(tam->ops.ctx, &ev, result);
    c->res->attestation = result->status;
    if (err != TK_OK) {
        c->res->attestation = TK_EAT_STATUS_CONTRAINDICATED;
        return err;
    }
    if (result->status == TK_EAT_STATUS_AFFIRMING)
        return TK_OK;
    if (result->status == TK_EAT_STATUS_WARNING &&
        (tam->flags & TK_TEEP_TAM_ACCEPT_WARNING) != 0)
        return TK_OK;
    return result->reason != TK_OK ? result->reason
                                   : TK_ERR_TEEP_ATTESTATION_FAILED;
}

/* Handles a QueryResponse: checks it against its QueryRequest, appraises
 * the evidence, calls the policy and sends an Update or nothing. */
static tk_err handle_query_response(tam_call *c)
{
    tk_teep_tam *tam = c->tam;
    const tk_teep_message *msg = &c->msg;
    const tk_teep_tam_session *s = &c->session;
    tk_view device = call_device(c);

    if (TK_TEEP_HAS(msg, TK_TEEP_LABEL_SELECTED_VERSION) &&
        msg->selected_version != 0) {
        c->res->reason = TK_ERR_TEEP_BAD_VERSION;
        return send_update(tam, device, c->verified.alg, NULL,
                           TK_TEEP_ERR_UNSUPPORTED_MSG_VERSION, MSG_VERSION,
                           c->out, c->cap, c->res);
    }
    tk_view token = {s->token, s->token_len};
    if (tk_teep_check_reports(msg, token) != TK_OK) {
        c->res->reason = TK_ERR_TEEP_REPORT_NONCE;
        return send_update(tam, device, c->verified.alg, NULL,
                           TK_TEEP_ERR_PERMANENT_ERROR, MSG_REPORTS, c->out,
                           c->cap, c->res);
    }

    tk_eat_result attestation;
    const tk_eat_result *attested = NULL;
    if ((s->data_items & TK_TEEP_ITEM_ATTESTATION) != 0) {
        tk_err reason = appraise(c, &attestation);
        if (reason != TK_OK)
            return attestation_failed(c, reason);
        attested = &attestation;
    }
    bool missing_tc = (s->data_items & TK_TEEP_ITEM_TRUSTED_COMPONENTS) &&
                      !TK_TEEP_HAS(msg, TK_TEEP_LABEL_TC_LIST);
    bool missing_ext = (s->data_items & TK_TEEP_ITEM_EXTENSIONS) &&
                       !TK_TEEP_HAS(msg, TK_TEEP_LABEL_EXT_LIST);
    if (missing_tc || missing_ext) {
        c->res->reason = TK_ERR_TEEP_ITEM_MISSING;
        return send_update(tam, device, c->verified.alg, NULL,
                           TK_TEEP_ERR_PERMANENT_ERROR, MSG_ITEMS, c->out,
                           c->cap, c->res);
    }

    tk_teep_policy_input input = {device, msg, attested};
    tk_teep_policy_output decision;
    memset(&decision, 0, sizeof(decision));
    tk_err err = tam->ops.policy(tam->ops.ctx, &input, &decision);
    if (err != TK_OK)
        return reject(c->res, err);
    if (decision.manifest_count > TK_TEEP_MAX_MANIFESTS ||
        decision.unneeded_count > TK_TEEP_MAX_UNNEEDED)
        return reject(c->res, TK_ERR_LIMIT);
    if (decision.manifest_count == 0 && decision.unneeded_count == 0) {
        c->res->outcome = TK_TEEP_TAM_DONE;
        c->res->reason = TK_OK;
        return TK_OK;
    }
    err = send_update(tam, device, c->verified.alg, &decision, 0, "", c->out,
                      c->cap, c->res);
    if (err != TK_OK)
        return reject(c->res, err);
    c->res->reason = TK_OK;
    return TK_OK;
}

/* Picks the first TAM signer whose suite the agent's Error lists. */
static tk_alg common_suite(const tk_teep_tam *tam, const tk_teep_message *m)
{
    bool strict = tam_strict(tam);
    for (size_t i = 0; i < tam->signer_count; i++) {
        tk_alg mine = tk_teep_current_alg(tam->signers[i].alg, strict);
        for (size_t j = 0; j < m->suite_count; j++) {
            tk_alg offered = tk_teep_suite_alg(&m->suites[j], strict);
            if (offered != TK_ALG_NONE && offered == mine)
                return (tk_alg)m->suites[j].ops[0].alg;
        }
    }
    return TK_ALG_NONE;
}

/* Freshness mechanisms offered by the TAM and listed in the Error. */
static uint32_t common_freshness(const tk_teep_tam *tam,
                                 const tk_teep_message *m)
{
    uint32_t common = 0;
    for (size_t i = 0; i < m->freshness_count; i++)
        if (m->freshness[i] < 32)
            common |= (1u << m->freshness[i]) & tam->freshness;
    return common;
}

/*
 * After an Error to a QueryRequest, retries the negotiation that the
 * err-code names when the agent's lists leave a common choice.
 */
static tk_err retry_query(tam_call *c)
{
    tk_teep_tam *tam = c->tam;
    const tk_teep_message *msg = &c->msg;
    const tk_teep_tam_session *s = &c->session;
    uint32_t retries = s->retries + 1;
    tk_alg alg = s->alg;
    uint32_t freshness = s->freshness;

    if (msg->err_code == TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES) {
        alg = common_suite(tam, msg);
        c->res->reason = TK_ERR_TEEP_NO_COMMON_SUITE;
        if (alg == TK_ALG_NONE)
            return TK_OK;
    } else if (msg->err_code == TK_TEEP_ERR_UNSUPPORTED_FRESHNESS_MECHANISMS) {
        freshness = common_freshness(tam, msg);
        c->res->reason = TK_ERR_TEEP_NO_COMMON_FRESHNESS;
        if (freshness == 0)
            return TK_OK;
    } else {
        return TK_OK;
    }
    if (retries > TK_TEEP_TAM_MAX_RETRIES)
        return TK_OK;
    tk_err err = send_query(tam, call_device(c), alg, freshness, retries,
                            c->out, c->cap, c->res);
    if (err != TK_OK)
        return reject(c->res, err);
    return TK_OK;
}

/* Handles a Success or an Error: checks the SUIT reports against the
 * token, records the outcome and, after negotiation Errors, sends a new
 * QueryRequest. */
static tk_err handle_result(tam_call *c)
{
    tk_teep_tam *tam = c->tam;
    const tk_teep_message *msg = &c->msg;
    tk_view token = {c->session.token, c->session.token_len};
    tk_err err = tk_teep_check_reports(msg, token);
    if (err != TK_OK)
        return reject(c->res, err);

    tk_teep_record record = {call_device(c), &c->session, msg};
    err = tam->ops.record(tam->ops.ctx, &record);
    if (err != TK_OK)
        return reject(c->res, err);
    c->res->outcome = TK_TEEP_TAM_DONE;
    c->res->reason = TK_OK;
    if (msg->type == TK_TEEP_SUCCESS)
        return TK_OK;

    c->res->err_code = msg->err_code;
    c->res->reason = TK_ERR_TEEP_PEER_ERROR;
    if (msg->err_code == TK_TEEP_ERR_ATTESTATION_REQUIRED) {
        /* NOTE: the TAM has no evidence of its own to offer, so an agent
         * that requires attestation of the TAM cannot be served. */
        c->res->reason = TK_ERR_TEEP_ATTESTATION_REQUIRED;
        return TK_OK;
    }
    if (msg->err_code == TK_TEEP_ERR_UNSUPPORTED_MSG_VERSION) {
        c->res->reason = TK_ERR_TEEP_NO_COMMON_VERSION;
        return TK_OK;
    }
    if (c->session.kind == TK_TEEP_QUERY_REQUEST)
        return retry_query(c);
    return TK_OK;
}

/* Takes the session of the message's token and checks that the message
 * may reply to it. */
static tk_err take_session(tam_call *c)
{
    tk_teep_tam *tam = c->tam;
    const tk_teep_message *msg = &c->msg;
    tk_err err = tam->ops.session_take(tam->ops.ctx, msg->token, &c->session);
    if (err == TK_ERR_NOT_FOUND)
        return TK_ERR_TEEP_TOKEN_UNKNOWN;
    if (err != TK_OK)
        return err;
    const tk_teep_tam_session *s = &c->session;
    if (!tk_teep_view_equal((tk_view){s->token, s->token_len}, msg->token))
        return TK_ERR_TEEP_TOKEN_UNKNOWN;
    if (tam->ops.now(tam->ops.ctx) > s->expires)
        return TK_ERR_TEEP_TOKEN_EXPIRED;
    tk_view bound = {s->device_id, s->device_id_len};
    if (s->device_id_len > 0 && !tk_teep_view_equal(bound, call_device(c)))
        return TK_ERR_TEEP_DEVICE_MISMATCH;
    bool replies_to_query = s->kind == TK_TEEP_QUERY_REQUEST;
    if ((msg->type == TK_TEEP_QUERY_RESPONSE && !replies_to_query) ||
        (msg->type == TK_TEEP_SUCCESS && replies_to_query))
        return TK_ERR_TEEP_WRONG_RESPONSE;
    /* The negotiated suite signs everything but an Error, which an agent
     * signs with a mandatory suite when it rejects the offered ones. */
    bool strict = tam_strict(tam);
    if (msg->type != TK_TEEP_ERROR && s->alg != TK_ALG_NONE &&
        tk_teep_current_alg(s->alg, strict) !=
            tk_teep_current_alg(c->verified.alg, strict))
        return TK_ERR_TEEP_SUITE_MISMATCH;
    return TK_OK;
}

tk_err tk_teep_tam_handle(tk_teep_tam *tam, tk_view in, uint8_t *out,
                          size_t cap, tk_teep_tam_result *res)
{
    if (res == NULL)
        return TK_ERR_INVALID_ARG;
    reset_result(res);
    if (tam == NULL || out == NULL || (in.ptr == NULL && in.len > 0))
        return reject(res, TK_ERR_INVALID_ARG);
    tk_err err = check_tam(tam);
    if (err != TK_OK)
        return reject(res, err);

    tam_call c;
    memset(&c, 0, sizeof(c));
    c.tam = tam;
    c.out = out;
    c.cap = cap;
    c.res = res;
    tk_alg accept[2 * TK_TEEP_MAX_SIGNERS];
    size_t accept_count = tk_teep_accepted_algs(
        tam->signers, tam->signer_count, tam_strict(tam), accept);
    err = tk_teep_verify(tam->crypto, in, accept, accept_count,
                         tam->ops.agent_key, tam->ops.ctx, tam->scratch,
                         tam->scratch_cap, &c.verified);
    if (err == TK_OK)
        err = set_device(res, c.verified.peer_id);
    if (err != TK_OK)
        return reject(res, err);

    err = tk_teep_decode(c.verified.payload.ptr, c.verified.payload.len, &c.msg,
                         NULL);
    res->received_type = c.msg.type;
    if (err != TK_OK)
        return reject(res, err);
    if (c.msg.type == TK_TEEP_QUERY_REQUEST || c.msg.type == TK_TEEP_UPDATE)
        return reject(res, TK_ERR_TEEP_WRONG_DIRECTION);

    if (!TK_TEEP_HAS(&c.msg, TK_TEEP_LABEL_TOKEN)) {
        if (c.msg.type != TK_TEEP_QUERY_RESPONSE)
            return reject(res, TK_ERR_TEEP_TOKEN_MISSING);
        /* An unsolicited QueryResponse proves nothing fresh: install
         * nothing and ask the device again with a new challenge. */
        err = send_query(tam, call_device(&c), c.verified.alg, tam->freshness,
                         0, out, cap, res);
        if (err != TK_OK)
            return reject(res, err);
        res->reason = TK_ERR_TEEP_TOKEN_MISSING;
        return TK_OK;
    }
    err = take_session(&c);
    if (err != TK_OK)
        return reject(res, err);
    if (c.msg.type == TK_TEEP_QUERY_RESPONSE)
        err = handle_query_response(&c);
    else
        err = handle_result(&c);
    if (err != TK_OK)
        return reject(res, err);
    return TK_OK;
}
