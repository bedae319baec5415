/*
 * The agent state file: tk_teep_agent_state as a deterministically
 * encoded CBOR map, written atomically (temporary file, fsync, rename,
 * folder fsync) after every message the state machine accepted.
 *
 *   {0: version, 1: phase, 2: alg, 3: deadline, 4: tam kid,
 *    5: [* seen Update token], 6: index of the next token to replace}
 *
 * Every member is required and checked against the limits of teep.h, so
 * a damaged or foreign file is rejected as a whole instead of giving the
 * state machine a partial replay window.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "log.h"
#include "teepkit/cbor.h"
#include "util.h"

/* Keys of the state map. */
enum {
    STATE_VERSION = 0,
    STATE_PHASE = 1,
    STATE_ALG = 2,
    STATE_DEADLINE = 3,
    STATE_TAM_KID = 4,
    STATE_SEEN = 5,
    STATE_SEEN_NEXT = 6,
    STATE_MEMBERS = 7
};

/* Largest encoded state. */
#define STATE_MAX_SIZE                                                     \
    (64u + TK_TEEP_MAX_KID +                                               \
     TK_TEEP_MAX_SEEN_TOKENS * (TK_TEEP_TOKEN_MAX + 2u))

tk_err agent_state_encode(const tk_teep_agent_state *state, uint8_t *buf,
                          size_t cap, size_t *len)
{
    tk_cbor_enc enc;

    if (state->seen_count > TK_TEEP_MAX_SEEN_TOKENS ||
        state->tam_kid_len > TK_TEEP_MAX_KID)
        return TK_ERR_INVALID_ARG;
    tk_cbor_enc_init(&enc, buf, cap, TK_CBOR_ENC_DETERMINISTIC);
    tk_cbor_enc_put_map(&enc, STATE_MEMBERS);
    tk_cbor_enc_put_uint(&enc, STATE_VERSION);
    tk_cbor_enc_put_uint(&enc, AGENT_FORMAT_VERSION);
    tk_cbor_enc_put_uint(&enc, STATE_PHASE);
    tk_cbor_enc_put_uint(&enc, state->phase);
    tk_cbor_enc_put_uint(&enc, STATE_ALG);
    tk_cbor_enc_put_int(&enc, state->alg);
    tk_cbor_enc_put_uint(&enc, STATE_DEADLINE);
    tk_cbor_enc_put_int(&enc, state->deadline);
    tk_cbor_enc_put_uint(&enc, STATE_TAM_KID);
    tk_cbor_enc_put_bstr(&enc, state->tam_kid, state->tam_kid_len);
    tk_cbor_enc_put_uint(&enc, STATE_SEEN);
    tk_cbor_enc_put_array(&enc, state->seen_count);
    for (size_t i = 0; i < state->seen_count; i++) {
        if (state->seen[i].len > TK_TEEP_TOKEN_MAX)
            return TK_ERR_INVALID_ARG;
        tk_cbor_enc_put_bstr(&enc, state->seen[i].token, state->seen[i].len);
    }
    tk_cbor_enc_put_uint(&enc, STATE_SEEN_NEXT);
    tk_cbor_enc_put_uint(&enc, state->seen_next);
    return tk_cbor_enc_finish(&enc, len);
}

/* Reads the label of the next map entry, which must be expected. */
static void expect_label(tk_cbor_dec *dec, int64_t expected)
{
    int64_t label = -1;

    if (tk_cbor_dec_get_label(dec, &label) == TK_OK && label != expected)
        tk_cbor_dec_fail(dec, TK_ERR_AGENT_STATE_FILE);
}

/* Reads an unsigned value of at most max. */
static uint64_t get_bounded(tk_cbor_dec *dec, uint64_t max)
{
    uint64_t value = 0;

    if (tk_cbor_dec_get_uint(dec, &value) == TK_OK && value > max)
        tk_cbor_dec_fail(dec, TK_ERR_AGENT_STATE_FILE);
    return value <= max ? value : 0;
}

/* Reads a byte string of at most cap bytes into out. */
static size_t get_bytes(tk_cbor_dec *dec, uint8_t *out, size_t cap)
{
    tk_view v = {NULL, 0};

    if (tk_cbor_dec_get_bstr(dec, &v) != TK_OK)
        return 0;
    if (v.len > cap) {
        tk_cbor_dec_fail(dec, TK_ERR_AGENT_STATE_FILE);
        return 0;
    }
    if (v.len > 0)
        memcpy(out, v.ptr, v.len);
    return v.len;
}

/* Reads the list of seen tokens into s. */
static void get_seen(tk_cbor_dec *dec, tk_teep_agent_state *s)
{
    uint64_t count = 0;

    if (tk_cbor_dec_enter_array(dec, &count) != TK_OK)
        return;
    if (count > TK_TEEP_MAX_SEEN_TOKENS) {
        tk_cbor_dec_fail(dec, TK_ERR_AGENT_STATE_FILE);
        return;
    }
    s->seen_count = (size_t)count;
    for (size_t i = 0; i < s->seen_count; i++) {
        s->seen[i].len = get_bytes(dec, s->seen[i].token, TK_TEEP_TOKEN_MAX);
        if (s->seen[i].len == 0)
            tk_cbor_dec_fail(dec, TK_ERR_AGENT_STATE_FILE);
    }
    tk_cbor_dec_exit(dec);
}

tk_err agent_state_decode(const uint8_t *buf, size_t len,
                          tk_teep_agent_state *state)
{
    tk_teep_agent_state s;
    tk_cbor_dec dec;
    uint64_t pairs = 0;
    int64_t alg = 0;

    tk_teep_agent_state_init(&s);
    tk_cbor_dec_init(&dec, buf, len, TK_CBOR_CHECK_DETERMINISTIC);
    if (tk_cbor_dec_enter_map(&dec, &pairs) == TK_OK &&
        pairs != STATE_MEMBERS)
        tk_cbor_dec_fail(&dec, TK_ERR_AGENT_STATE_FILE);
    expect_label(&dec, STATE_VERSION);
    if (get_bounded(&dec, UINT32_MAX) != AGENT_FORMAT_VERSION)
        tk_cbor_dec_fail(&dec, TK_ERR_AGENT_STATE_FILE);
    expect_label(&dec, STATE_PHASE);
    s.phase = (uint32_t)get_bounded(&dec, 1);
    expect_label(&dec, STATE_ALG);
    if (tk_cbor_dec_get_int(&dec, &alg) == TK_OK &&
        (alg < INT32_MIN || alg > INT32_MAX))
        tk_cbor_dec_fail(&dec, TK_ERR_AGENT_STATE_FILE);
    s.alg = (tk_alg)(alg >= INT32_MIN && alg <= INT32_MAX ? alg : 0);
    expect_label(&dec, STATE_DEADLINE);
    tk_cbor_dec_get_int(&dec, &s.deadline);
    expect_label(&dec, STATE_TAM_KID);
    s.tam_kid_len = get_bytes(&dec, s.tam_kid, TK_TEEP_MAX_KID);
    expect_label(&dec, STATE_SEEN);
    get_seen(&dec, &s);
    expect_label(&dec, STATE_SEEN_NEXT);
    s.seen_next = (size_t)get_bounded(&dec, TK_TEEP_MAX_SEEN_TOKENS - 1);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return TK_ERR_AGENT_STATE_FILE;
    *state = s;
    return TK_OK;
}

tk_err agent_state_load(tk_agent *agent, char *msg, size_t msg_size)
{
    uint8_t *data = NULL;
    size_t len = 0;
    tk_err err;

    if (tk_util_read_file(agent->state_path, STATE_MAX_SIZE, &data, &len) !=
        0) {
        if (errno == ENOENT) {
            tk_teep_agent_state_init(&agent->state);
            return TK_OK;
        }
        err = errno == EFBIG ? TK_ERR_AGENT_STATE_FILE : TK_ERR_SUIT_DEVICE_IO;
        agent_set_msg(msg, msg_size, "cannot read %s: %s", agent->state_path,
                      err == TK_ERR_AGENT_STATE_FILE ? tk_strerror(err)
                                                     : strerror(errno));
        return err;
    }
    err = agent_state_decode(data, len, &agent->state);
    free(data);
    if (err != TK_OK)
        agent_set_msg(msg, msg_size, "%s: %s", agent->state_path,
                      tk_strerror(err));
    return err;
}

tk_err agent_state_save(tk_agent *agent)
{
    uint8_t buf[STATE_MAX_SIZE];
    size_t len = 0;
    tk_err err = agent_state_encode(&agent->state, buf, sizeof(buf), &len);

    if (err != TK_OK) {
        TK_LOG_ERROR(AGENT_LOG, "cannot encode the agent state: %s",
                     tk_strerror(err));
        return err;
    }
    if (tk_util_write_file(agent->state_path, buf, len, 0600) != 0) {
        TK_LOG_ERROR(AGENT_LOG, "cannot write %s: %s", agent->state_path,
                     strerror(errno));
        return TK_ERR_SUIT_DEVICE_IO;
    }
    return TK_OK;
}
