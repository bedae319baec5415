/*
 * TEEP Agent state machine (draft-ietf-teep-protocol section "TEEP Agent
 * Behavior").
 *
 * The agent replies to a QueryRequest with a QueryResponse or an Error,
 * and to an Update with a Success or an Error. An Update is accepted only while
 * the agent waits for one after its QueryResponse, from the TAM key that
 * sent the QueryRequest, with the negotiated suite and with a token not
 * seen before, so a replayed Update is rejected without touching any
 * manifest. State changes are made on a copy and stored only when the
 * input was accepted.
 */
#include <string.h>

#include "teep_internal.h"

/* Default wait for an Update after a QueryResponse: 24 hours. */
#define DEFAULT_UPDATE_WAIT (24 * 60 * 60)

/* Every manifest of an Update may yield one SUIT report in the reply. */
_Static_assert(TK_TEEP_MAX_SUIT_REPORTS >= TK_TEEP_MAX_MANIFESTS,
               "TK_TEEP_MAX_SUIT_REPORTS must be at least "
               "TK_TEEP_MAX_MANIFESTS");

/* Phases of tk_teep_agent_state. */
#define PHASE_IDLE 0u
#define PHASE_WAIT_UPDATE 1u

void tk_teep_agent_init(tk_teep_agent *agent)
{
    if (agent == NULL)
        return;
    memset(agent, 0, sizeof(*agent));
    agent->profiles = tk_teep_default_profiles;
    agent->profile_count = 4;
    agent->freshness = 1u << TK_TEEP_FRESHNESS_NONCE;
    agent->update_wait = DEFAULT_UPDATE_WAIT;
}

void tk_teep_agent_state_init(tk_teep_agent_state *state)
{
    if (state != NULL)
        memset(state, 0, sizeof(*state));
}

static bool agent_strict(const tk_teep_agent *agent)
{
    return (agent->flags & TK_TEEP_STRICT_ALG_IDS) != 0;
}

static tk_err check_agent(const tk_teep_agent *agent)
{
    const tk_teep_agent_ops *ops = &agent->ops;
    if (agent->crypto == NULL || agent->signers == NULL ||
        agent->signer_count == 0 || agent->signer_count > TK_TEEP_MAX_SUITES ||
        agent->scratch == NULL || agent->report_buf == NULL ||
        agent->profile_count > TK_TEEP_MAX_PROFILES ||
        (agent->profile_count > 0 && agent->profiles == NULL))
        return TK_ERR_INVALID_ARG;
    if (ops->now == NULL || ops->tam_key == NULL ||
        ops->process_manifest == NULL)
        return TK_ERR_INVALID_ARG;
    return TK_OK;
}

/* A bump allocator over the agent's scratch buffer: tc-list entries are
 * encoded at its start, the unsigned message after them. */
typedef struct arena {
    uint8_t *buf;
    size_t cap;
    size_t used;
} arena;

/* What the handling of an input needs from it once its message struct
 * contains the reply: views into the input bytes. */
typedef struct input_request {
    bool has_token;
    tk_view token;
    tk_view challenge;     /* the challenge, or the token without one */
    uint32_t data_items;
    bool has_err_code;
    uint32_t err_code;
    size_t manifest_count;
    tk_view manifests[TK_TEEP_MAX_MANIFESTS];
    size_t unneeded_count;
    tk_view unneeded[TK_TEEP_MAX_UNNEEDED];
} input_request;

/* Everything one incoming message needs while it is handled. One message
 * struct serves the input and then the reply, which begin_reply() starts
 * once req has kept what the reply needs from the input. */
typedef struct agent_call {
    tk_teep_agent *agent;
    tk_teep_agent_state state; /* working copy, stored on acceptance */
    tk_teep_verified verified;
    bool verified_ok;
    tk_teep_message msg;
    input_request req;
    arena scratch;
    uint8_t *out;
    size_t cap;
    tk_teep_agent_result *res;
} agent_call;

/* Finds the agent signer for alg and copies it with alg as given. */
static bool signer_for(const tk_teep_agent *agent, tk_alg alg,
                       tk_teep_signer *out)
{
    return tk_teep_signer_for(agent->signers, agent->signer_count,
                              agent_strict(agent), alg, out);
}

/* The first signer with an algorithm of a mandatory suite, in its current
 * id: it signs Errors about negotiation (section "TEEP Messages"). */
static bool mandatory_signer(const tk_teep_agent *agent, tk_teep_signer *out)
{
    bool strict = agent_strict(agent);
    for (size_t i = 0; i < agent->signer_count; i++) {
        if (!tk_teep_alg_mandatory(agent->signers[i].alg, strict))
            continue;
        *out = agent->signers[i];
        out->alg = tk_teep_current_alg(out->alg, strict);
        return true;
    }
    return false;
}

/* Signs the reply in c->msg with signer into c->out. */
static tk_err seal_reply(agent_call *c, const tk_teep_signer *signer)
{
    size_t len = 0;
    arena *a = &c->scratch;
    tk_err err =
        tk_teep_seal(c->agent->crypto, &c->msg, signer, 1, a->buf + a->used,
                     a->cap - a->used, c->out, c->cap, &len);
    if (err != TK_OK)
        return err;
    c->res->sent_type = c->msg.type;
    c->res->out_len = len;
    return TK_OK;
}

/* Starts a reply of type with the input's token, when the input verified
 * and carried one. */
static void begin_reply(agent_call *c, uint32_t type)
{
    memset(&c->msg, 0, sizeof(c->msg));
    c->msg.type = type;
    if (c->verified_ok && c->req.has_token) {
        c->msg.token = c->req.token;
        TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_TOKEN);
    }
}

/* Keeps in c->req what the reply to the decoded input in c->msg needs. */
static void keep_request(agent_call *c)
{
    const tk_teep_message *in = &c->msg;
    input_request *r = &c->req;
    r->has_token = TK_TEEP_HAS(in, TK_TEEP_LABEL_TOKEN);
    r->token = in->token;
    r->challenge =
        TK_TEEP_HAS(in, TK_TEEP_LABEL_CHALLENGE) ? in->challenge : in->token;
    r->data_items = in->data_items;
    r->has_err_code = TK_TEEP_HAS(in, TK_TEEP_LABEL_ERR_CODE);
    r->err_code = in->err_code;
    r->manifest_count = in->manifest_count;
    memcpy(r->manifests, in->manifests, sizeof(r->manifests));
    r->unneeded_count = in->unneeded_count;
    memcpy(r->unneeded, in->unneeded, sizeof(r->unneeded));
}

static void set_err_msg(tk_teep_message *m, const char *text)
{
    m->err_msg = (tk_view){(const uint8_t *)text, strlen(text)};
    TK_TEEP_SET(m, TK_TEEP_LABEL_ERR_MSG);
}

/*
 * Sends an Error with code and text, signed with the suite of the input
 * when it verified, else the negotiated or a mandatory suite. Returns
 * reason, the rejection that the caller reports.
 */
static tk_err send_error(agent_call *c, uint32_t code, const char *text,
                         tk_err reason)
{
    begin_reply(c, TK_TEEP_ERROR);
    c->msg.err_code = code;
    set_err_msg(&c->msg, text);
    tk_teep_signer signer;
    bool found = false;
    if (c->verified_ok)
        found = signer_for(c->agent, c->verified.alg, &signer);
    if (!found && c->state.alg != TK_ALG_NONE)
        found = signer_for(c->agent, c->state.alg, &signer);
    if (!found)
        found = mandatory_signer(c->agent, &signer);
    if (!found)
        signer = c->agent->signers[0];
    c->res->err_code = code;
    c->res->reason = reason;
    if (seal_reply(c, &signer) != TK_OK)
        c->res->out_len = 0;
    return reason;
}

/* Sends a negotiation Error (err-code 3, 4 or 5) with the agent's lists,
 * signed with a mandatory suite. */
static tk_err send_negotiation_error(agent_call *c, uint32_t code,
                                     const char *text, tk_err reason)
{
    tk_teep_agent *agent = c->agent;
    bool strict = agent_strict(agent);
    begin_reply(c, TK_TEEP_ERROR);
    c->msg.err_code = code;
    set_err_msg(&c->msg, text);
    if (code == TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES) {
        for (size_t i = 0; i < agent->signer_count; i++)
            tk_teep_suite_sign1(
                &c->msg.suites[c->msg.suite_count++],
                tk_teep_current_alg(agent->signers[i].alg, strict));
        TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_SUPPORTED_SUITES);
    } else if (code == TK_TEEP_ERR_UNSUPPORTED_MSG_VERSION) {
        c->msg.versions[0] = 0;
        c->msg.version_count = 1;
        TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_VERSIONS);
    } else {
        for (uint32_t m = 0; m < 32; m++)
            if ((agent->freshness & (1u << m)) != 0 &&
                c->msg.freshness_count < TK_TEEP_MAX_FRESHNESS)
                c->msg.freshness[c->msg.freshness_count++] = m;
        TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_SUPPORTED_FRESHNESS);
    }
    tk_teep_signer signer;
    if (!mandatory_signer(agent, &signer))
        signer = agent->signers[0];
    c->res->err_code = code;
    c->res->reason = reason;
    if (seal_reply(c, &signer) != TK_OK)
        c->res->out_len = 0;
    return reason;
}

/*
 * Chooses the suite: preferred when the TAM offers it (the algorithm of
 * the signature that verified a COSE_Sign, so that the Update comes from
 * the same TAM key), else the first agent signer (in preference order)
 * that one of the TAM's suites names. Among the TAM's suites for that
 * algorithm the current id wins, so a legacy id is used only when the TAM
 * offered nothing else. Returns TK_ALG_NONE when there is no common suite.
 */
static tk_alg choose_suite(const tk_teep_agent *agent, const tk_teep_message *m,
                           tk_alg preferred)
{
    bool strict = agent_strict(agent);
    for (size_t k = 0; k <= agent->signer_count; k++) {
        /* Round 0 tries the preferred algorithm, then the signers. */
        tk_alg mine = tk_teep_current_alg(preferred, strict);
        if (k > 0)
            mine = tk_teep_current_alg(agent->signers[k - 1].alg, strict);
        if (mine == TK_ALG_NONE)
            continue;
        tk_alg best = TK_ALG_NONE;
        for (size_t j = 0; j < m->suite_count; j++) {
            if (tk_teep_suite_alg(&m->suites[j], strict) != mine)
                continue;
            tk_alg offered = (tk_alg)m->suites[j].ops[0].alg;
            if (best == TK_ALG_NONE || offered == mine)
                best = offered;
        }
        if (best != TK_ALG_NONE)
            return best;
    }
    return TK_ALG_NONE;
}

/* Chooses the freshness mechanism: the first one the TAM offers (nonce
 * when it lists none) that the agent supports, or -1. */
static int choose_freshness(const tk_teep_agent *agent,
                            const tk_teep_message *m)
{
    if (!TK_TEEP_HAS(m, TK_TEEP_LABEL_SUPPORTED_FRESHNESS))
        return (agent->freshness & (1u << TK_TEEP_FRESHNESS_NONCE)) != 0
                   ? TK_TEEP_FRESHNESS_NONCE
                   : -1;
    for (size_t i = 0; i < m->freshness_count; i++)
        if (m->freshness[i] < 32 &&
            (agent->freshness & (1u << m->freshness[i])) != 0)
            return (int)m->freshness[i];
    return -1;
}

static bool offers_version_zero(const tk_teep_message *m)
{
    if (!TK_TEEP_HAS(m, TK_TEEP_LABEL_VERSIONS))
        return true;
    for (size_t i = 0; i < m->version_count; i++)
        if (m->versions[i] == 0)
            return true;
    return false;
}

/* Names the TAM that signed the input: the peer_id of its key, or the
 * kid when the key callback gave none. */
static tk_view tam_identity(const agent_call *c)
{
    if (c->verified.peer_id.len > 0)
        return c->verified.peer_id;
    return c->verified.kid;
}

/* Lists the installed components as encoded tc-list entries. */
static tk_err list_components(agent_call *c)
{
    const tk_teep_agent_ops *ops = &c->agent->ops;
    tk_teep_message *r = &c->msg;
    TK_TEEP_SET(r, TK_TEEP_LABEL_TC_LIST);
    if (ops->component == NULL)
        return TK_OK;
    for (size_t i = 0;; i++) {
        tk_teep_tc_info info;
        memset(&info, 0, sizeof(info));
        tk_err err = ops->component(ops->ctx, i, &info);
        if (err == TK_ERR_NOT_FOUND)
            return TK_OK;
        if (err != TK_OK)
            return err;
        if (r->tc_count == TK_TEEP_MAX_TC_LIST)
            return TK_ERR_TEEP_TOO_MANY;
        arena *a = &c->scratch;
        size_t len = 0;
        err = tk_teep_tc_info_encode(&info, a->buf + a->used, a->cap - a->used,
                                     &len);
        if (err != TK_OK)
            return err;
        r->tc_list[r->tc_count++] = (tk_view){a->buf + a->used, len};
        a->used += len;
    }
}

/* Lists the components requested for installation and the manifests no
 * longer needed. */
static tk_err list_requests(agent_call *c)
{
    const tk_teep_agent_ops *ops = &c->agent->ops;
    tk_teep_message *r = &c->msg;
    for (size_t i = 0; ops->requested != NULL; i++) {
        tk_teep_requested_tc tc;
        memset(&tc, 0, sizeof(tc));
        tk_err err = ops->requested(ops->ctx, i, &tc);
        if (err == TK_ERR_NOT_FOUND)
            break;
        if (err != TK_OK)
            return err;
        if (r->requested_count == TK_TEEP_MAX_REQUESTED_TC)
            return TK_ERR_TEEP_TOO_MANY;
        r->requested[r->requested_count++] = tc;
    }
    for (size_t i = 0; ops->unneeded != NULL; i++) {
        tk_view id = {NULL, 0};
        tk_err err = ops->unneeded(ops->ctx, i, &id);
        if (err == TK_ERR_NOT_FOUND)
            break;
        if (err != TK_OK)
            return err;
        if (r->unneeded_count == TK_TEEP_MAX_UNNEEDED)
            return TK_ERR_TEEP_TOO_MANY;
        r->unneeded[r->unneeded_count++] = id;
    }
    if (r->requested_count > 0)
        TK_TEEP_SET(r, TK_TEEP_LABEL_REQUESTED_TC_LIST);
    if (r->unneeded_count > 0)
        TK_TEEP_SET(r, TK_TEEP_LABEL_UNNEEDED_MANIFEST_LIST);
    return TK_OK;
}

/* Adds the attestation payload, with the challenge as eat_nonce (or, in
 * the passport model without a challenge, the token). */
static tk_err add_evidence(agent_call *c, const tk_teep_signer *signer,
                           int freshness)
{
    tk_teep_agent *agent = c->agent;
    if (agent->ops.evidence == NULL || agent->evidence_buf == NULL)
        return TK_ERR_UNSUPPORTED;
    tk_teep_evidence_request request;
    request.challenge = c->req.challenge;
    request.freshness = (uint32_t)freshness;
    request.signer = signer;
    size_t len = 0;
    tk_view format = {NULL, 0};
    tk_err err =
        agent->ops.evidence(agent->ops.ctx, &request, agent->evidence_buf,
                            agent->evidence_cap, &len, &format);
    if (err != TK_OK)
        return err;
    if (len > agent->evidence_cap)
        return TK_ERR_CALLBACK;
    c->msg.attestation_payload = (tk_view){agent->evidence_buf, len};
    TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_ATTESTATION_PAYLOAD);
    if (format.len > 0) {
        c->msg.attestation_format = format;
        TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_ATTESTATION_FORMAT);
    }
    return TK_OK;
}

/* Handles a QueryRequest: negotiates, then replies with a QueryResponse
 * carrying the items that data-item-requested names. */
static tk_err handle_query(agent_call *c)
{
    tk_teep_agent *agent = c->agent;
    const tk_teep_message *in = &c->msg;
    if (!offers_version_zero(in))
        return send_negotiation_error(
            c, TK_TEEP_ERR_UNSUPPORTED_MSG_VERSION,
            "no offered TEEP version is supported; this agent speaks 0",
            TK_ERR_TEEP_NO_COMMON_VERSION);
    tk_alg preferred = c->verified.multi ? c->verified.alg : TK_ALG_NONE;
    tk_alg alg = choose_suite(agent, in, preferred);
    if (alg == TK_ALG_NONE)
        return send_negotiation_error(c, TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES,
                                      "no offered cipher suite is supported",
                                      TK_ERR_TEEP_NO_COMMON_SUITE);
    bool attest = (in->data_items & TK_TEEP_ITEM_ATTESTATION) != 0;
    int freshness = attest ? choose_freshness(agent, in) : -1;
    if (attest && freshness < 0)
        return send_negotiation_error(
            c, TK_TEEP_ERR_UNSUPPORTED_FRESHNESS_MECHANISMS,
            "no offered freshness mechanism is supported",
            TK_ERR_TEEP_NO_COMMON_FRESHNESS);
    if ((agent->flags & TK_TEEP_AGENT_REQUIRE_TAM_ATTESTATION) != 0) {
        /* NOTE: TAM evidence is not appraised here, so a QueryRequest
         * passes this requirement never; the agent fails closed. */
        return send_error(c, TK_TEEP_ERR_ATTESTATION_REQUIRED,
                          "attestation of the TAM is required",
                          TK_ERR_TEEP_ATTESTATION_REQUIRED);
    }

    tk_teep_signer signer;
    if (!signer_for(agent, alg, &signer))
        return send_error(c, TK_TEEP_ERR_PERMANENT_ERROR,
                          "internal error: no key for the chosen suite",
                          TK_ERR_INTERNAL);

    /* Wait for the Update of this TAM, signed with the chosen suite. The
     * TAM's identity is a view into the input, which the caller may reuse
     * for the output, so it is copied before the reply is sealed. The
     * state is stored only when the reply is. */
    c->state.phase = PHASE_WAIT_UPDATE;
    c->state.alg = alg;
    c->state.deadline = agent->ops.now(agent->ops.ctx) + agent->update_wait;
    tk_view tam = tam_identity(c);
    c->state.tam_kid_len = tam.len;
    if (tam.len > 0)
        memcpy(c->state.tam_kid, tam.ptr, tam.len);

    bool versions = TK_TEEP_HAS(in, TK_TEEP_LABEL_VERSIONS);
    begin_reply(c, TK_TEEP_QUERY_RESPONSE);
    if (versions) {
        c->msg.selected_version = 0;
        TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_SELECTED_VERSION);
    }
    tk_err err = TK_OK;
    if (attest)
        err = add_evidence(c, &signer, freshness);
    if (err == TK_OK &&
        (c->req.data_items & TK_TEEP_ITEM_TRUSTED_COMPONENTS))
        err = list_components(c);
    if (err == TK_OK && (c->req.data_items & TK_TEEP_ITEM_EXTENSIONS))
        TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_EXT_LIST);
    if (err == TK_OK)
        err = list_requests(c);
    if (err == TK_OK)
        err = seal_reply(c, &signer);
    if (err != TK_OK) {
        c->scratch.used = 0;
        return send_error(c, TK_TEEP_ERR_TEMPORARY_ERROR,
                          "could not build the QueryResponse", err);
    }
    c->res->reason = TK_OK;
    return TK_OK;
}

/*
 * Sets *id to what identifies the Update for replay detection: its token,
 * or, for an Update without one, the SHA-256 of its payload in digest.
 */
static tk_err update_id(agent_call *c, uint8_t digest[32], tk_view *id)
{
    if (c->req.has_token) {
        *id = c->req.token;
        return TK_OK;
    }
    const tk_crypto *crypto = c->agent->crypto;
    size_t len = 0;
    tk_err err = crypto->hash(crypto->ctx, TK_ALG_SHA256, &c->verified.payload,
                              1, digest, 32, &len);
    if (err != TK_OK)
        return err;
    *id = (tk_view){digest, len};
    return TK_OK;
}

static bool token_seen(const tk_teep_agent_state *state, tk_view token)
{
    for (size_t i = 0; i < state->seen_count && i < TK_TEEP_MAX_SEEN_TOKENS;
         i++) {
        tk_view seen = {state->seen[i].token, state->seen[i].len};
        if (tk_teep_view_equal(seen, token))
            return true;
    }
    return false;
}

static void remember_token(tk_teep_agent_state *state, tk_view token)
{
    size_t slot = state->seen_next % TK_TEEP_MAX_SEEN_TOKENS;
    state->seen[slot].len = token.len;
    memcpy(state->seen[slot].token, token.ptr, token.len);
    state->seen_next = (slot + 1) % TK_TEEP_MAX_SEEN_TOKENS;
    if (state->seen_count < TK_TEEP_MAX_SEEN_TOKENS)
        state->seen_count++;
}

/* Checks that the Update is the one the agent waits for; *id receives
 * what identifies it for replay detection. */
static tk_err check_update(agent_call *c, uint8_t digest[32], tk_view *id)
{
    const tk_teep_agent *agent = c->agent;
    tk_teep_agent_state *state = &c->state;
    bool strict = agent_strict(agent);
    if (state->phase != PHASE_WAIT_UPDATE ||
        agent->ops.now(agent->ops.ctx) > state->deadline)
        return TK_ERR_TEEP_UNEXPECTED_UPDATE;
    tk_view tam = {state->tam_kid, state->tam_kid_len};
    if (!tk_teep_view_equal(tam, tam_identity(c)))
        return TK_ERR_TEEP_UNEXPECTED_UPDATE;
    if (tk_teep_current_alg(state->alg, strict) !=
        tk_teep_current_alg(c->verified.alg, strict))
        return TK_ERR_TEEP_SUITE_MISMATCH;
    tk_err err = update_id(c, digest, id);
    if (err != TK_OK)
        return err;
    if (token_seen(state, *id))
        return TK_ERR_TEEP_UNEXPECTED_UPDATE;
    return TK_OK;
}

/* Unlinks the manifests of unneeded-manifest-list; returns false when one
 * failed. */
static bool unlink_manifests(agent_call *c)
{
    const tk_teep_agent_ops *ops = &c->agent->ops;
    for (size_t i = 0; i < c->req.unneeded_count; i++) {
        tk_err err = TK_ERR_UNSUPPORTED;
        if (ops->unlink_manifest != NULL)
            err = ops->unlink_manifest(ops->ctx, c->req.unneeded[i]);
        if (err != TK_OK) {
            c->res->failed++;
            return false;
        }
        c->res->unlinked++;
    }
    return true;
}

/* Processes every manifest of the Update and collects the SUIT reports
 * in the agent's report buffer. */
static void process_manifests(agent_call *c)
{
    tk_teep_agent *agent = c->agent;
    size_t used = 0;
    for (size_t i = 0; i < c->req.manifest_count; i++) {
        size_t report_len = 0;
        uint8_t *report = agent->report_buf + used;
        tk_err err = agent->ops.process_manifest(
            agent->ops.ctx, c->req.manifests[i], c->req.token, report,
            agent->report_cap - used, &report_len);
        if (err == TK_OK)
            c->res->installed++;
        else
            c->res->failed++;
        if (report_len > 0 && report_len <= agent->report_cap - used) {
            c->msg.suit_reports[c->msg.report_count++] =
                (tk_view){report, report_len};
            used += report_len;
        }
    }
    if (c->msg.report_count > 0)
        TK_TEEP_SET(&c->msg, TK_TEEP_LABEL_SUIT_REPORTS);
}

/* Handles an Update: unlinks, installs, and replies Success or Error. */
static tk_err handle_update(agent_call *c)
{
    uint8_t digest[32];
    tk_view id;
    tk_err err = check_update(c, digest, &id);
    if (err != TK_OK)
        return send_error(c, TK_TEEP_ERR_PERMANENT_ERROR,
                          "unexpected or replayed Update", err);

    /* Accepted: the exchange ends here, whatever the manifests do. */
    c->state.phase = PHASE_IDLE;
    remember_token(&c->state, id);
    if (c->req.has_err_code)
        c->res->tam_err_code = c->req.err_code;
    bool has_work = c->req.manifest_count > 0 || c->req.unneeded_count > 0;
    if (!has_work && c->res->tam_err_code != 0) {
        /* The TAM reports a failure and requests nothing: no reply. */
        c->res->reason = TK_ERR_TEEP_PEER_ERROR;
        return TK_OK;
    }

    tk_teep_signer signer;
    if (!signer_for(c->agent, c->state.alg, &signer))
        return send_error(c, TK_TEEP_ERR_PERMANENT_ERROR,
                          "internal error: no key for the negotiated suite",
                          TK_ERR_INTERNAL);
    bool unlinked = unlink_manifests(c);
    begin_reply(c, TK_TEEP_SUCCESS);
    if (unlinked)
        process_manifests(c);
    if (c->res->failed > 0) {
        c->msg.type = TK_TEEP_ERROR;
        c->msg.err_code = TK_TEEP_ERR_MANIFEST_PROCESSING_FAILED;
        set_err_msg(&c->msg, unlinked ? "manifest processing failed"
                                        : "unlinking a manifest failed");
        c->res->err_code = TK_TEEP_ERR_MANIFEST_PROCESSING_FAILED;
        c->res->reason = TK_ERR_TEEP_MANIFEST_FAILED;
    } else {
        c->res->reason = TK_OK;
    }
    err = seal_reply(c, &signer);
    if (err != TK_OK) {
        c->res->out_len = 0;
        c->res->reason = err;
    }
    return TK_OK;
}

/* Verifies and decodes the input. On failure it sends the Error that the
 * protocol requires and returns the reason. */
static tk_err open_input(agent_call *c, tk_view in)
{
    tk_teep_agent *agent = c->agent;
    tk_alg accept[2 * TK_TEEP_MAX_SUITES];
    size_t accept_count = tk_teep_accepted_algs(
        agent->signers, agent->signer_count, agent_strict(agent), accept);
    tk_err err = tk_teep_verify(
        agent->crypto, in, accept, accept_count, agent->ops.tam_key,
        agent->ops.ctx, agent->scratch, agent->scratch_cap, &c->verified);
    if (err == TK_ERR_TEEP_SUITE_MISMATCH)
        return send_negotiation_error(
            c, TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES,
            "message signed with an unsupported algorithm", err);
    if (err != TK_OK)
        return send_error(c, TK_TEEP_ERR_PERMANENT_ERROR,
                          "message is not signed by a trusted TAM", err);
    c->verified_ok = true;

    err = tk_teep_decode(c->verified.payload.ptr, c->verified.payload.len,
                         &c->msg, NULL);
    keep_request(c);
    c->res->received_type = c->msg.type;
    if (err == TK_ERR_TEEP_UNKNOWN_TYPE)
        return send_error(c, TK_TEEP_ERR_PERMANENT_ERROR,
                          "unknown TEEP message type", err);
    if (err != TK_OK)
        return send_error(c, TK_TEEP_ERR_PERMANENT_ERROR,
                          "malformed TEEP message", err);
    if (c->msg.type != TK_TEEP_QUERY_REQUEST && c->msg.type != TK_TEEP_UPDATE)
        return send_error(c, TK_TEEP_ERR_PERMANENT_ERROR,
                          "message type not accepted by a TEEP Agent",
                          TK_ERR_TEEP_WRONG_DIRECTION);
    if (tam_identity(c).len > TK_TEEP_MAX_KID)
        return send_error(c, TK_TEEP_ERR_PERMANENT_ERROR,
                          "TAM key id or peer id too long", TK_ERR_LIMIT);
    return TK_OK;
}

tk_err tk_teep_agent_handle(tk_teep_agent *agent, tk_teep_agent_state *state,
                            tk_view in, uint8_t *out, size_t cap,
                            tk_teep_agent_result *res)
{
    if (res == NULL)
        return TK_ERR_INVALID_ARG;
    memset(res, 0, sizeof(*res));
    if (agent == NULL || state == NULL || out == NULL ||
        (in.ptr == NULL && in.len > 0))
        return res->reason = TK_ERR_INVALID_ARG;
    tk_err err = check_agent(agent);
    if (err != TK_OK)
        return res->reason = err;

    agent_call c;
    memset(&c, 0, sizeof(c));
    c.agent = agent;
    c.state = *state;
    c.scratch = (arena){agent->scratch, agent->scratch_cap, 0};
    c.out = out;
    c.cap = cap;
    c.res = res;

    err = open_input(&c, in);
    if (err != TK_OK)
        return err;
    if (c.msg.type == TK_TEEP_QUERY_REQUEST)
        err = handle_query(&c);
    else
        err = handle_update(&c);
    if (err == TK_OK)
        *state = c.state;
    return err;
}
