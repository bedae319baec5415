/*
 * The agent: opening its store, the callbacks of lib/teep's state
 * machine, message handling with state persistence, and the session
 * loop of the Broker.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"
#include "log.h"
#include "util.h"

/* Peer id of every trusted TAM key: the keys of one TAM are
 * interchangeable, so its Update is accepted whichever key signed the
 * QueryRequest. */
static const char tam_peer_id[] = "tam";

/*
 * Environment variable of a test hook: hex bytes that replace the
 * challenge in the agent's evidence, so a test can send evidence with a
 * stale eat_nonce. The agent logs a warning whenever it is used.
 */
#define AGENT_TEST_NONCE_ENV "TK_TEST_EVIDENCE_NONCE"

/*
 * Environment variable of a test hook: seconds added to the agent's clock
 * (negative: subtracted), so a test can run an agent that was offline
 * for a long time or whose clock is wrong. The agent logs a warning.
 */
#define AGENT_TEST_CLOCK_ENV "TK_TEST_CLOCK_OFFSET"

/* Largest clock offset accepted, in seconds: 100 years. */
#define AGENT_TEST_CLOCK_MAX ((long long)100 * 366 * 86400)

/*
 * Environment variable of a test hook that the component store shares:
 * the process sends itself SIGKILL at the named point. The agent's own
 * points surround the state file write that follows a QueryRequest or an
 * Update: agent-before-save-query, agent-after-save-query,
 * agent-before-save-update and agent-after-save-update.
 */
#define AGENT_TEST_CRASH_ENV TK_SUITDEV_CRASH_ENV

/* Seconds a process waits for another one to release the store folder. */
#define AGENT_LOCK_WAIT 30

const char *tk_agent_exit_text(tk_agent_exit code)
{
    switch (code) {
    case TK_AGENT_EXIT_OK:
        return "the session succeeded";
    case TK_AGENT_EXIT_INTERNAL:
        return "internal error";
    case TK_AGENT_EXIT_USAGE:
        return "invalid command line";
    case TK_AGENT_EXIT_STORE:
        return "the store folder, a key file or the state file is unusable";
    case TK_AGENT_EXIT_TRANSPORT:
        return "the TAM could not be reached or replied with an error status";
    case TK_AGENT_EXIT_REJECTED:
        return "a message of the TAM was rejected";
    case TK_AGENT_EXIT_NEGOTIATION:
        return "no common protocol version, cipher suite or freshness "
               "mechanism with the TAM";
    case TK_AGENT_EXIT_MANIFEST:
        return "a manifest or a deletion failed";
    case TK_AGENT_EXIT_TAM_ERROR:
        return "the TAM reported an error, for example a failed attestation";
    case TK_AGENT_EXIT_PROTOCOL:
        return "the TAM did not end the session properly";
    }
    return "unknown exit status";
}

/* Returns the name of a TEEP message type for logs. */
static const char *type_name(uint32_t type)
{
    switch (type) {
    case TK_TEEP_QUERY_REQUEST:
        return "QueryRequest";
    case TK_TEEP_QUERY_RESPONSE:
        return "QueryResponse";
    case TK_TEEP_UPDATE:
        return "Update";
    case TK_TEEP_SUCCESS:
        return "Success";
    case TK_TEEP_ERROR:
        return "Error";
    case 0:
        return "message that did not verify or decode";
    default:
        return "message of unknown type";
    }
}

/* ---------------------------------------------------------------------- */
/* Callbacks                                                              */
/* ---------------------------------------------------------------------- */

static int64_t cb_now(void *ctx)
{
    const tk_agent *agent = ctx;

    return (int64_t)time(NULL) + agent->clock_offset;
}

/* Sends the process SIGKILL when the crash test hook names point. */
static void crash_point(const char *point)
{
    const char *target = getenv(AGENT_TEST_CRASH_ENV);

    if (target != NULL && strcmp(target, point) == 0)
        kill(getpid(), SIGKILL);
}

/* Reads the clock offset test hook into agent->clock_offset. */
static tk_err read_clock_offset(tk_agent *agent, char *msg, size_t msg_size)
{
    const char *text = getenv(AGENT_TEST_CLOCK_ENV);
    char *end = NULL;
    long long value;

    agent->clock_offset = 0;
    if (text == NULL || text[0] == '\0')
        return TK_OK;
    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < -AGENT_TEST_CLOCK_MAX ||
        value > AGENT_TEST_CLOCK_MAX) {
        agent_set_msg(msg, msg_size, "%s must be a whole number of seconds "
                      "between -%lld and %lld, not '%s'",
                      AGENT_TEST_CLOCK_ENV, AGENT_TEST_CLOCK_MAX,
                      AGENT_TEST_CLOCK_MAX, text);
        return TK_ERR_INVALID_ARG;
    }
    agent->clock_offset = (int64_t)value;
    TK_LOG_WARN(AGENT_LOG, "test hook %s: the clock runs %lld seconds %s",
                AGENT_TEST_CLOCK_ENV, value < 0 ? -value : value,
                value < 0 ? "behind" : "ahead");
    return TK_OK;
}

/* Returns true when key verifies signatures of alg. */
static bool tam_key_fits(const tk_key *key, tk_alg alg)
{
    if (alg == TK_ALG_ES256 || alg == TK_ALG_ESP256)
        return key->kty == TK_KTY_EC2 && key->crv == TK_CRV_P256;
    if (alg == TK_ALG_EDDSA || alg == TK_ALG_ED25519)
        return key->kty == TK_KTY_OKP && key->crv == TK_CRV_ED25519;
    return false;
}

/*
 * Finds a trusted TAM key: the one whose COSE_Key kid or RFC 9679
 * thumbprint is kid. A message without a kid may use the first key of
 * the right type.
 */
static tk_err cb_tam_key(void *ctx, tk_alg alg, tk_view kid,
                         const tk_key **key, tk_view *peer_id)
{
    tk_agent *agent = ctx;

    for (size_t i = 0; i < agent->tam_key_count; i++) {
        const agent_key *k = &agent->tam_keys[i];
        bool named = kid.len > 0 &&
                     ((kid.len == k->info.kid_len &&
                       memcmp(kid.ptr, k->info.kid, kid.len) == 0) ||
                      (kid.len == sizeof(k->thumbprint) &&
                       memcmp(kid.ptr, k->thumbprint, kid.len) == 0));

        if (tam_key_fits(&k->key, alg) && (named || kid.len == 0)) {
            *key = &k->key;
            *peer_id = (tk_view){(const uint8_t *)tam_peer_id,
                                 sizeof(tam_peer_id) - 1};
            return TK_OK;
        }
    }
    TK_LOG_WARN(AGENT_LOG, "no trusted TAM key for a %s signature with a "
                "kid of %zu bytes", agent_alg_name(alg), kid.len);
    return TK_ERR_NOT_FOUND;
}

/* Applies the stale-nonce test hook to request. */
static void apply_test_nonce(tk_teep_evidence_request *request,
                             uint8_t *buf, size_t cap)
{
    const char *hex = getenv(AGENT_TEST_NONCE_ENV);
    long n;

    if (hex == NULL || hex[0] == '\0')
        return;
    n = tk_util_hex_decode(hex, strlen(hex), buf, cap);
    if (n <= 0) {
        TK_LOG_WARN(AGENT_LOG, "%s is not hex; ignored", AGENT_TEST_NONCE_ENV);
        return;
    }
    TK_LOG_WARN(AGENT_LOG, "test hook %s: the evidence carries a replaced "
                "eat_nonce", AGENT_TEST_NONCE_ENV);
    request->challenge = (tk_view){buf, (size_t)n};
}

static tk_err cb_evidence(void *ctx, const tk_teep_evidence_request *req,
                          uint8_t *buf, size_t cap, size_t *len,
                          tk_view *format)
{
    tk_agent *agent = ctx;
    tk_teep_evidence_request request = *req;
    uint8_t nonce[TK_TEEP_CHALLENGE_MAX];
    tk_eat_claims claims;
    tk_err err = agent_device_claims(agent, &claims);

    (void)format;
    apply_test_nonce(&request, nonce, sizeof(nonce));
    if (err == TK_OK)
        err = tk_teep_agent_evidence(agent->crypto, &agent->attest_signer,
                                     &claims, &request, cb_now(agent),
                                     agent->evidence_scratch,
                                     AGENT_EVIDENCE_SIZE, buf, cap, len);
    if (err != TK_OK) {
        agent->callback_error = err;
        TK_LOG_ERROR(AGENT_LOG, "cannot build the attestation evidence: %s",
                     tk_strerror(err));
        return err;
    }
    TK_LOG_INFO(AGENT_LOG, "attestation evidence: %zu bytes, entries in "
                "manifests %zu, eat_nonce of %zu bytes", *len,
                claims.manifest_count, request.challenge.len);
    return TK_OK;
}

/* Fills the state machine's configuration of agent. */
static void machine_init(tk_agent *agent, int64_t update_wait)
{
    tk_teep_agent *m = &agent->machine;
    tk_teep_agent_ops *ops = &m->ops;

    tk_teep_agent_init(m);
    m->crypto = agent->crypto;
    m->signers = agent->signers;
    m->signer_count = agent->key_count;
    if (update_wait > 0)
        m->update_wait = update_wait;
    m->scratch = agent->scratch;
    m->scratch_cap = AGENT_SCRATCH_SIZE;
    m->evidence_buf = agent->evidence;
    m->evidence_cap = AGENT_EVIDENCE_SIZE;
    m->report_buf = agent->reports;
    m->report_cap = AGENT_REPORT_SIZE;
    ops->ctx = agent;
    ops->now = cb_now;
    ops->tam_key = cb_tam_key;
    ops->evidence = cb_evidence;
    ops->component = agent_cb_component;
    ops->requested = agent_cb_requested;
    ops->unneeded = agent_cb_unneeded;
    ops->process_manifest = agent_cb_process_manifest;
    ops->unlink_manifest = agent_cb_unlink_manifest;
}

/* ---------------------------------------------------------------------- */
/* Opening and closing                                                    */
/* ---------------------------------------------------------------------- */

/* Loads the trust anchors of opts. */
static tk_err load_trust(tk_agent *agent, const tk_agent_options *opts,
                         char *msg, size_t msg_size)
{
    tk_err err = TK_OK;

    if (opts->tam_key_count > TK_AGENT_MAX_TRUSTED ||
        opts->signer_key_count > TK_AGENT_MAX_TRUSTED ||
        opts->delegation_key_count > TK_AGENT_MAX_TRUSTED ||
        opts->decrypt_key_count > TK_AGENT_MAX_TRUSTED) {
        agent_set_msg(msg, msg_size, "at most %d keys of each kind",
                      TK_AGENT_MAX_TRUSTED);
        return TK_ERR_LIMIT;
    }
    for (size_t i = 0; err == TK_OK && i < opts->tam_key_count; i++) {
        err = agent_trust_load(agent, opts->tam_keys[i], &agent->tam_keys[i],
                               msg, msg_size);
        agent->tam_key_count = i + 1;
    }
    for (size_t i = 0; err == TK_OK && i < opts->signer_key_count; i++) {
        err = agent_trust_load(agent, opts->signer_keys[i],
                               &agent->signer_keys[i], msg, msg_size);
        agent->signer_key_count = i + 1;
    }
    for (size_t i = 0; err == TK_OK && i < opts->delegation_key_count; i++) {
        err = agent_trust_load(agent, opts->delegation_keys[i],
                               &agent->delegation_keys[i], msg, msg_size);
        agent->delegation_key_count = i + 1;
    }
    for (size_t i = 0; err == TK_OK && i < opts->decrypt_key_count; i++) {
        err = agent_decrypt_key_load(agent, opts->decrypt_keys[i],
                                     &agent->decrypt_keys[i], msg, msg_size);
        agent->decrypt_key_count = i + 1;
    }
    return err;
}

/* Copies the fetch folders of opts into agent. */
static tk_err copy_fetch_dirs(tk_agent *agent, const tk_agent_options *opts,
                              char *msg, size_t msg_size)
{
    if (opts->fetch_dir_count > TK_AGENT_MAX_FETCH_DIRS) {
        agent_set_msg(msg, msg_size, "at most %d fetch folders",
                      TK_AGENT_MAX_FETCH_DIRS);
        return TK_ERR_LIMIT;
    }
    for (size_t i = 0; i < opts->fetch_dir_count; i++) {
        agent->fetch_dirs[i] = strdup(opts->fetch_dirs[i]);
        if (agent->fetch_dirs[i] == NULL)
            return TK_ERR_INTERNAL;
        agent->fetch_dir_count = i + 1;
    }
    return TK_OK;
}

/*
 * Opens the component store, closing a handle opened before. Opening
 * completes or discards an install that a crash interrupted, so it runs
 * with the store lock held.
 */
static tk_err open_components(tk_agent *agent, char *msg, size_t msg_size)
{
    tk_suitdev_config config;
    char *dir = agent_path(agent->store_dir, TK_AGENT_COMPONENT_DIR);
    tk_err err;

    if (dir == NULL)
        return TK_ERR_INTERNAL;
    tk_suitdev_close(agent->device);
    agent->device = NULL;
    memset(&config, 0, sizeof(config));
    config.store_dir = dir;
    config.fetch_dirs = (const char *const *)agent->fetch_dirs;
    config.fetch_dir_count = agent->fetch_dir_count;
    config.allow_http = 1;
    /* Deleted components keep their sequence numbers (docs/agent.md,
     * "Rollback protection"). */
    config.keep_tombstones = 1;
    err = tk_suitdev_open(&config, &agent->device);
    if (err != TK_OK)
        agent_set_msg(msg, msg_size, "cannot open the component store %s: "
                      "%s", dir, tk_strerror(err));
    free(dir);
    return err;
}

/*
 * Takes the lock of the store folder (a POSIX record lock on agent.lock),
 * waiting up to AGENT_LOCK_WAIT seconds for another teep-agent process
 * to release it. Returns TK_OK, TK_ERR_AGENT_STORE_BUSY or
 * TK_ERR_SUIT_DEVICE_IO.
 */
static tk_err store_lock(tk_agent *agent, char *msg, size_t msg_size)
{
    struct flock lock;
    int fd = open(agent->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        agent_set_msg(msg, msg_size, "cannot open %s: %s", agent->lock_path,
                      strerror(errno));
        return TK_ERR_SUIT_DEVICE_IO;
    }
    memset(&lock, 0, sizeof(lock));
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    for (int i = 0; i < AGENT_LOCK_WAIT * 10; i++) {
        struct timespec pause = {0, 100 * 1000 * 1000};

        if (fcntl(fd, F_SETLK, &lock) == 0) {
            agent->lock_fd = fd;
            return TK_OK;
        }
        if (errno != EACCES && errno != EAGAIN)
            break;
        if (i == 0)
            TK_LOG_INFO(AGENT_LOG, "waiting for another teep-agent process "
                        "to release %s", agent->store_dir);
        nanosleep(&pause, NULL);
    }
    agent_set_msg(msg, msg_size, "%s: %s", agent->store_dir,
                  tk_strerror(TK_ERR_AGENT_STORE_BUSY));
    close(fd);
    return TK_ERR_AGENT_STORE_BUSY;
}

/* Releases the lock of the store folder. */
static void store_unlock(tk_agent *agent)
{
    if (agent->lock_fd >= 0)
        close(agent->lock_fd);
    agent->lock_fd = -1;
}

/*
 * Reads the state that other processes may have changed since this agent
 * last held the lock: the state file and the component store.
 */
static tk_err store_reload(tk_agent *agent, char *msg, size_t msg_size)
{
    tk_err err = agent_state_load(agent, msg, msg_size);

    if (err == TK_OK)
        err = open_components(agent, msg, msg_size);
    if (err == TK_OK)
        err = agent_inventory_refresh(agent);
    return err;
}

/* Allocates the work buffers. */
static tk_err alloc_buffers(tk_agent *agent)
{
    agent->scratch = malloc(AGENT_SCRATCH_SIZE);
    agent->evidence = malloc(AGENT_EVIDENCE_SIZE);
    agent->evidence_scratch = malloc(AGENT_EVIDENCE_SIZE);
    agent->reports = malloc(AGENT_REPORT_SIZE);
    agent->out = malloc(AGENT_OUT_SIZE);
    if (agent->scratch == NULL || agent->evidence == NULL ||
        agent->evidence_scratch == NULL || agent->reports == NULL ||
        agent->out == NULL)
        return TK_ERR_INTERNAL;
    return TK_OK;
}

tk_err tk_agent_open(const tk_agent_options *opts, tk_agent **out, char *msg,
                     size_t msg_size)
{
    tk_agent *agent;
    tk_err err;

    if (opts == NULL || opts->store_dir == NULL || out == NULL) {
        agent_set_msg(msg, msg_size, "missing store folder");
        return TK_ERR_INVALID_ARG;
    }
    *out = NULL;
    agent = calloc(1, sizeof(*agent));
    if (agent == NULL)
        return TK_ERR_INTERNAL;
    agent->lock_fd = -1;
    agent->retries = TK_AGENT_RETRIES;
    agent->retry_delay_ms = TK_AGENT_RETRY_DELAY_MS;
    agent->crypto = opts->crypto != NULL ? opts->crypto : tk_crypto_openssl();
    agent->store_dir = strdup(opts->store_dir);
    agent->state_path = agent_path(opts->store_dir, TK_AGENT_STATE_FILE);
    agent->lock_path = agent_path(opts->store_dir, TK_AGENT_LOCK_FILE);
    err = agent->store_dir != NULL && agent->state_path != NULL &&
                  agent->lock_path != NULL
              ? alloc_buffers(agent)
              : TK_ERR_INTERNAL;
    if (err == TK_OK)
        err = read_clock_offset(agent, msg, msg_size);
    if (err == TK_OK)
        err = agent_identity_load(agent, msg, msg_size);
    if (err == TK_OK)
        err = load_trust(agent, opts, msg, msg_size);
    if (err == TK_OK)
        err = copy_fetch_dirs(agent, opts, msg, msg_size);
    if (err == TK_OK)
        err = store_lock(agent, msg, msg_size);
    if (err == TK_OK)
        err = store_reload(agent, msg, msg_size);
    store_unlock(agent);
    if (err != TK_OK) {
        if (err == TK_ERR_INTERNAL)
            agent_set_msg(msg, msg_size, "out of memory opening the agent");
        tk_agent_close(agent);
        return err;
    }
    agent_self_reference(agent);
    machine_init(agent, opts->update_wait);
    *out = agent;
    return TK_OK;
}

void tk_agent_close(tk_agent *agent)
{
    if (agent == NULL)
        return;
    for (size_t i = 0; i < TK_AGENT_MAX_KEYS; i++)
        agent_key_release(&agent->keys[i]);
    agent_key_release(&agent->attester);
    for (size_t i = 0; i < TK_AGENT_MAX_TRUSTED; i++) {
        agent_key_release(&agent->tam_keys[i]);
        agent_key_release(&agent->signer_keys[i]);
        agent_key_release(&agent->delegation_keys[i]);
        agent_key_release(&agent->decrypt_keys[i]);
    }
    tk_suitdev_close(agent->device);
    for (size_t i = 0; i < agent->fetch_dir_count; i++)
        free(agent->fetch_dirs[i]);
    free(agent->components);
    free(agent->scratch);
    free(agent->evidence);
    free(agent->evidence_scratch);
    free(agent->reports);
    free(agent->out);
    free(agent->store_dir);
    free(agent->state_path);
    free(agent->lock_path);
    store_unlock(agent);
    free(agent);
}

/* ---------------------------------------------------------------------- */
/* Messages and sessions                                                  */
/* ---------------------------------------------------------------------- */

/* Returns true when a and b encode to the same state file. */
static bool state_equal(const tk_teep_agent_state *a,
                        const tk_teep_agent_state *b)
{
    uint8_t ea[512 + TK_TEEP_MAX_SEEN_TOKENS * TK_TEEP_TOKEN_MAX];
    uint8_t eb[sizeof(ea)];
    size_t la = 0;
    size_t lb = 0;

    if (agent_state_encode(a, ea, sizeof(ea), &la) != TK_OK ||
        agent_state_encode(b, eb, sizeof(eb), &lb) != TK_OK)
        return false;
    return la == lb && memcmp(ea, eb, la) == 0;
}

/* Logs what one message did, after the lines of the manifests that it
 * carried. */
static void log_result(tk_err err, const tk_teep_agent_result *res,
                       size_t in_len)
{
    TK_LOG_INFO(AGENT_LOG, "handled %s (%zu bytes)",
                type_name(res->received_type), in_len);
    if (err != TK_OK)
        TK_LOG_WARN(AGENT_LOG, "message rejected: %s (%s)", tk_strerror(err),
                    tk_errname(err));
    if (res->tam_err_code != 0)
        TK_LOG_WARN(AGENT_LOG, "the TAM sent err-code %u",
                    (unsigned)res->tam_err_code);
    if (res->installed + res->failed + res->unlinked > 0)
        TK_LOG_INFO(AGENT_LOG, "update result: manifests applied %zu, "
                    "failed %zu, components deleted %zu", res->installed,
                    res->failed, res->unlinked);
    if (res->out_len > 0 && res->sent_type == TK_TEEP_ERROR)
        TK_LOG_INFO(AGENT_LOG, "sending Error with err-code %u (%zu bytes)",
                    (unsigned)res->err_code, res->out_len);
    else if (res->out_len > 0)
        TK_LOG_INFO(AGENT_LOG, "sending %s (%zu bytes)",
                    type_name(res->sent_type), res->out_len);
}

tk_err tk_agent_handle(tk_agent *agent, const uint8_t *in, size_t len,
                       const uint8_t **out, size_t *out_len,
                       tk_teep_agent_result *res)
{
    tk_teep_agent_state before = agent->state;
    tk_err err = agent_inventory_refresh(agent);
    tk_err save;

    memset(res, 0, sizeof(*res));
    *out = agent->out;
    *out_len = 0;
    if (err != TK_OK)
        return err;
    agent->callback_error = TK_OK;
    err = tk_teep_agent_handle(&agent->machine, &agent->state,
                               (tk_view){in, len}, agent->out,
                               AGENT_OUT_SIZE, res);
    log_result(err, res, len);
    /* The state is saved before the reply leaves, so an Update that was
     * processed is never accepted again after a restart. */
    if (!state_equal(&before, &agent->state)) {
        bool update = res->received_type == TK_TEEP_UPDATE;

        crash_point(update ? "agent-before-save-update"
                           : "agent-before-save-query");
        save = agent_state_save(agent);
        if (save != TK_OK)
            return save;
        crash_point(update ? "agent-after-save-update"
                           : "agent-after-save-query");
    }
    *out_len = res->out_len;
    return err;
}

/* Records the first failure of a session. */
static void session_fail(tk_agent_session *s, tk_agent_exit exit,
                         tk_err reason)
{
    if (s->exit != TK_AGENT_EXIT_OK)
        return;
    s->exit = exit;
    s->reason = reason != TK_OK ? reason : TK_ERR_INTERNAL;
}

/* Classifies the outcome of one handled message into s. */
static void session_account(tk_agent *agent, tk_agent_session *s, tk_err err,
                            const tk_teep_agent_result *res)
{
    s->messages++;
    s->installed += res->installed;
    s->failed += res->failed;
    s->unlinked += res->unlinked;
    if (res->sent_type == TK_TEEP_ERROR)
        s->err_code_sent = res->err_code;
    if (res->tam_err_code != 0)
        s->tam_err_code = res->tam_err_code;
    if (res->err_code == TK_TEEP_ERR_UNSUPPORTED_MSG_VERSION ||
        res->err_code == TK_TEEP_ERR_UNSUPPORTED_CIPHER_SUITES ||
        res->err_code == TK_TEEP_ERR_UNSUPPORTED_FRESHNESS_MECHANISMS)
        session_fail(s, TK_AGENT_EXIT_NEGOTIATION, err);
    else if (err != TK_OK && agent->callback_error != TK_OK)
        session_fail(s, TK_AGENT_EXIT_STORE, agent->callback_error);
    else if (err == TK_ERR_SUIT_DEVICE_IO || err == TK_ERR_AGENT_STATE_FILE)
        session_fail(s, TK_AGENT_EXIT_STORE, err);
    else if (err != TK_OK)
        session_fail(s, TK_AGENT_EXIT_REJECTED, err);
    if (res->failed > 0)
        session_fail(s, TK_AGENT_EXIT_MANIFEST, res->reason);
    if (res->tam_err_code != 0)
        session_fail(s, TK_AGENT_EXIT_TAM_ERROR, TK_ERR_TEEP_PEER_ERROR);
}

tk_err tk_agent_set_retry(tk_agent *agent, unsigned retries,
                          unsigned first_delay_ms)
{
    if (agent == NULL)
        return TK_ERR_INVALID_ARG;
    if (retries > TK_AGENT_MAX_RETRIES ||
        first_delay_ms > TK_AGENT_MAX_RETRY_DELAY_MS)
        return TK_ERR_LIMIT;
    agent->retries = retries;
    agent->retry_delay_ms = first_delay_ms;
    return TK_OK;
}

/*
 * Returns true when a failed POST may succeed if the same message is sent
 * again: no connection, a timeout, a connection that broke before any
 * reply, or a gateway or TAM that is unavailable for now (502, 503, 504).
 * A 4xx reply means that the TAM rejected the message itself, so it is
 * final.
 */
static bool failure_may_pass(tk_err err, unsigned status)
{
    switch (err) {
    case TK_ERR_NET_CONNECT:
    case TK_ERR_NET_TIMEOUT:
        return true;
    case TK_ERR_NET_PROTOCOL:
        return status == 0;
    case TK_ERR_NET_STATUS:
        return status == 502 || status == 503 || status == 504;
    default:
        return false;
    }
}

/*
 * Returns true when the TAM may have received and recorded the message of
 * a failed POST. A connection that was never made delivered nothing, and
 * a 503 from the TAM promises that the message changed nothing.
 */
static bool may_have_arrived(tk_err err, unsigned status)
{
    return err != TK_ERR_NET_CONNECT && status != 503;
}

void tk_agent_set_pause(tk_agent *agent, tk_agent_pause_fn fn, void *ctx)
{
    if (agent == NULL)
        return;
    agent->pause = fn;
    agent->pause_ctx = ctx;
}

/* Pauses for ms milliseconds, or less when a signal arrives; a test's
 * pause function takes the place of the sleep. */
static void pause_ms(tk_agent *agent, unsigned ms)
{
    struct timespec pause = {(time_t)(ms / 1000u),
                             (long)(ms % 1000u) * 1000000L};

    if (agent->pause != NULL) {
        agent->pause(agent->pause_ctx, ms);
        return;
    }
    nanosleep(&pause, NULL);
}

/*
 * Returns the pause before the next retry: the seconds the failed reply
 * asked for (an HTTP Retry-After, RFC 9110 section 10.2.3, or the Max-Age
 * of a CoAP 5.03, RFC 7252 section 5.9.3.4), at most
 * TK_AGENT_MAX_RETRY_DELAY_MS, or else the backoff delay.
 */
static unsigned retry_pause(const tk_net_reply *reply, unsigned backoff,
                            tk_agent_session *s)
{
    uint64_t ms;

    if (!reply->has_retry_after)
        return backoff;
    s->retry_after_used++;
    ms = (uint64_t)reply->retry_after * 1000u;
    if (ms > TK_AGENT_MAX_RETRY_DELAY_MS) {
        TK_LOG_WARN(AGENT_LOG, "the TAM asks for a pause of %lu s, longer "
                    "than the longest of %u ms: pausing %u ms",
                    (unsigned long)reply->retry_after,
                    (unsigned)TK_AGENT_MAX_RETRY_DELAY_MS,
                    (unsigned)TK_AGENT_MAX_RETRY_DELAY_MS);
        return TK_AGENT_MAX_RETRY_DELAY_MS;
    }
    return (unsigned)ms;
}

/*
 * POSTs body, a message of type sent_type (0 for the empty body that
 * starts a session), and sends it again while the failure may pass, up
 * to agent->retries times. A 409 to a retried Success or Error after a
 * copy that may have arrived means that the TAM recorded that copy and
 * would have ended the session, so *reply ends it. Records the final
 * transport failure in s.
 */
static tk_err session_post(tk_agent *agent, tk_agent_post_fn post,
                           void *post_ctx, const uint8_t *body, size_t len,
                           uint32_t sent_type, tk_net_reply *reply,
                           tk_agent_session *s)
{
    const char *what = len == 0 ? "the empty message" : type_name(sent_type);
    unsigned delay = agent->retry_delay_ms;
    unsigned wait;
    bool arrived = false;
    tk_err err = TK_OK;

    for (unsigned attempt = 0;; attempt++) {
        memset(reply, 0, sizeof(*reply));
        err = post(post_ctx, body, len, reply);
        if (err == TK_OK)
            return TK_OK;
        if (arrived && err == TK_ERR_NET_STATUS && reply->status == 409) {
            if (sent_type == TK_TEEP_SUCCESS || sent_type == TK_TEEP_ERROR) {
                TK_LOG_INFO(AGENT_LOG, "the TAM replied 409 to the %s sent "
                            "again: it had recorded an earlier copy",
                            what);
                s->already_recorded++;
                memset(reply, 0, sizeof(*reply));
                reply->status = 409;
                reply->done = 1;
                return TK_OK;
            }
            TK_LOG_ERROR(AGENT_LOG, "the TAM replied 409 to the %s sent "
                         "again: it had accepted an earlier copy, whose "
                         "reply was lost. The next session starts over",
                         what);
        }
        if (attempt == agent->retries ||
            !failure_may_pass(err, reply->status))
            break;
        arrived = arrived || may_have_arrived(err, reply->status);
        s->retries++;
        wait = retry_pause(reply, delay, s);
        TK_LOG_WARN(AGENT_LOG, "POST to the TAM failed: %s (%s), status %u; "
                    "sending %s again in %u ms%s (retry %u of %u)",
                    tk_strerror(err), tk_errname(err), reply->status, what,
                    wait, reply->has_retry_after ? " as the TAM asked" : "",
                    attempt + 1, agent->retries);
        pause_ms(agent, wait);
        delay = delay < TK_AGENT_MAX_RETRY_DELAY_MS / 2
                    ? delay * 2
                    : TK_AGENT_MAX_RETRY_DELAY_MS;
    }
    s->status = reply->status;
    TK_LOG_ERROR(AGENT_LOG, "POST to the TAM failed: %s (%s), status %u",
                 tk_strerror(err), tk_errname(err), reply->status);
    session_fail(s, TK_AGENT_EXIT_TRANSPORT, err);
    return err;
}

tk_err tk_agent_run_session(tk_agent *agent, tk_agent_post_fn post,
                            void *post_ctx, tk_agent_session *s)
{
    tk_net_reply reply;
    tk_err err;

    char msg[512] = "";

    memset(s, 0, sizeof(*s));
    err = store_lock(agent, msg, sizeof(msg));
    if (err == TK_OK)
        err = store_reload(agent, msg, sizeof(msg));
    if (err != TK_OK) {
        TK_LOG_ERROR(AGENT_LOG, "cannot start a session: %s", msg);
        store_unlock(agent);
        session_fail(s, TK_AGENT_EXIT_STORE, err);
        return s->reason;
    }
    TK_LOG_INFO(AGENT_LOG, "session started: %zu components installed, %zu "
                "requests pending", agent->component_count,
                tk_agent_pending(agent));
    err = session_post(agent, post, post_ctx, NULL, 0, 0, &reply, s);
    while (err == TK_OK && !reply.done) {
        tk_teep_agent_result res;
        const uint8_t *out;
        size_t out_len;

        if (s->messages == TK_AGENT_MAX_SESSION_MESSAGES) {
            TK_LOG_ERROR(AGENT_LOG, "the TAM sent %d messages without ending "
                         "the session", TK_AGENT_MAX_SESSION_MESSAGES);
            session_fail(s, TK_AGENT_EXIT_PROTOCOL,
                         TK_ERR_AGENT_SESSION_LIMIT);
            break;
        }
        err = tk_agent_handle(agent, reply.body.ptr, reply.body.len, &out,
                              &out_len, &res);
        session_account(agent, s, err, &res);
        if (out_len == 0)
            break;
        err = session_post(agent, post, post_ctx, out, out_len,
                           res.sent_type, &reply, s);
    }
    if (err == TK_OK && reply.done)
        TK_LOG_INFO(AGENT_LOG, "the TAM ended the session");
    store_unlock(agent);
    TK_LOG_INFO(AGENT_LOG, "session finished: %s; messages %zu, manifests "
                "applied %zu, failed %zu, components deleted %zu",
                tk_agent_exit_text(s->exit), s->messages, s->installed,
                s->failed, s->unlinked);
    return s->reason;
}
