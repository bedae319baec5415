/*
 * Self-authenticating tokens of the QueryRequests that start sessions.
 *
 * An empty POST needs no store write: the TAM writes what the session
 * needs into the token itself and authenticates it with a key that all
 * workers of the database share. The attestation challenge is derived
 * from the token, so the QueryResponse alone brings back everything the
 * TAM sent. The token is used once: the exchange of the QueryResponse
 * records its digest in used_tokens, whose primary key makes a second
 * use fail. docs/internals/store.md gives the security argument.
 *
 * A token (TAM_TOKEN_LEN bytes):
 *
 *   0      format, TAM_TOKEN_FORMAT
 *   1      id of the secret that authenticates it
 *   2      data items the QueryRequest requested
 *   3      freshness mechanisms it offered, a bit per mechanism
 *   4..5   length of the challenge, big-endian, 0 when none was sent
 *   6..13  expiry, seconds since the epoch, big-endian two's complement
 *   14..29 16 bytes from the CSPRNG
 *   30..45 the first 16 bytes of HMAC-SHA-256(tag key, bytes 0..29)
 *
 * The challenge is HMAC-SHA-256(challenge key, token || counter), one
 * 32-byte block per counter value 1, 2, ..., cut to its length. Both keys
 * are HMAC-SHA-256 of the stored secret with a label of their own.
 *
 * With token_rotation set, time is cut into epochs of that many seconds.
 * Epoch N has a secret of its own with id 2 + N % 254, stored as
 * "tam-token-eN" by the first worker that needs it. A token is accepted
 * with the secret of the current epoch or of the one before. That covers
 * its lifetime, because a rotation shorter than session_lifetime is
 * raised to it.
 * With token_rotation 0 one secret, "tam-token-1" with id 1, serves for
 * ever.
 *
 * lib/teep draws the token and the challenge of a QueryRequest from the
 * crypto table's random function. While a request starts a session, the
 * TAM gives the state machine a table whose random function returns the
 * token and the challenge (tam_token_issue_begin()); session_save then
 * checks that the QueryRequest carries exactly those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tam_internal.h"

/* Name and id of the one secret used when token_rotation is 0. */
#define FIXED_SECRET_NAME "tam-token-1"
#define FIXED_SECRET_ID 1

/* Epoch number of a slot without keys. */
#define NO_EPOCH INT64_MIN

/* Bytes of a fresh secret. */
#define SECRET_LEN 32

/* Bytes of the HMAC-SHA-256 tag kept in a token. */
#define TAG_LEN 16

/* Offsets of the fields of a token. */
#define AT_SECRET 1
#define AT_ITEMS 2
#define AT_FRESHNESS 3
#define AT_CHALLENGE_LEN 4
#define AT_EXPIRES 6
#define AT_NONCE 14
#define NONCE_LEN 16
#define AT_TAG (AT_NONCE + NONCE_LEN)

_Static_assert(AT_TAG + TAG_LEN == TAM_TOKEN_LEN, "token layout");
_Static_assert(TAM_TOKEN_LEN >= TK_TEEP_TOKEN_MIN &&
                   TAM_TOKEN_LEN <= TK_TEEP_TOKEN_MAX,
               "a token of the size draft-ietf-teep-protocol allows");

static const char tag_label[] = "teepkit TAM token tag";
static const char challenge_label[] = "teepkit TAM token challenge";

/* The keys of one epoch's secret. */
typedef struct token_slot {
    int64_t epoch; /* NO_EPOCH when empty */
    tk_key tag;
    tk_key challenge;
} token_slot;

/* The keys of the current and the previous epoch that this TAM has
 * loaded, shared by its threads. */
struct tam_token_keys {
    pthread_mutex_t lock;
    token_slot slots[2];
};

/* The token being issued on this thread, between tam_token_issue_begin()
 * and tam_token_issue_end(). */
static _Thread_local tam_token_issue *issuing;

/* HMAC-SHA-256 of parts with key into out (32 bytes). */
static tk_err hmac(const tk_crypto *crypto, const tk_key *key,
                   const tk_view *parts, size_t count, uint8_t out[32])
{
    size_t len = 0;
    tk_err err = crypto->mac(crypto->ctx, TK_ALG_HMAC_256_256, key, parts,
                             count, out, 32, &len);
    if (err == TK_OK && len != 32)
        err = TK_ERR_INTERNAL;
    return err;
}

/* Derives one key from the secret: HMAC-SHA-256(secret, label). */
static tk_err derive_key(const tk_crypto *crypto, tk_view secret,
                         const char *label, tk_key *out)
{
    tk_key master;
    tk_key_init(out);
    tk_err err = tk_key_init_symmetric(&master, secret);
    if (err != TK_OK)
        return err;
    uint8_t bytes[32];
    tk_view part = {(const uint8_t *)label, strlen(label)};
    err = hmac(crypto, &master, &part, 1, bytes);
    tk_key_release(&master);
    if (err == TK_OK)
        err = tk_key_init_symmetric(out, (tk_view){bytes, sizeof(bytes)});
    memset(bytes, 0, sizeof(bytes));
    return err;
}

/* Returns the epoch of time now: 0 when tokens do not rotate. */
static int64_t epoch_of(const tk_tam *tam, int64_t now)
{
    int64_t period = tam->cfg.token_rotation;
    if (period <= 0 || now <= 0)
        return 0;
    return now / period;
}

/* Returns the secret id that tokens of epoch carry. */
static uint8_t secret_id(const tk_tam *tam, int64_t epoch)
{
    if (tam->cfg.token_rotation <= 0)
        return FIXED_SECRET_ID;
    return (uint8_t)(2 + epoch % 254);
}

/* Reads the secret of epoch from the store, drawing it when no worker has
 * yet, and derives its keys into slot. */
static tk_err load_slot(const tk_tam *tam, int64_t epoch, token_slot *slot,
                        char *msg, size_t msg_size)
{
    char name[TK_STORE_SECRET_NAME_MAX + 1];
    if (tam->cfg.token_rotation <= 0)
        snprintf(name, sizeof(name), "%s", FIXED_SECRET_NAME);
    else
        snprintf(name, sizeof(name), "tam-token-e%lld", (long long)epoch);
    uint8_t candidate[SECRET_LEN];
    tk_err err = tam->crypto->random(tam->crypto->ctx, candidate,
                                     sizeof(candidate));
    if (err != TK_OK) {
        snprintf(msg, msg_size, "cannot draw the token secret: %s",
                 tk_strerror(err));
        return err;
    }
    tk_store_mem mem = TK_STORE_MEM_INIT;
    tk_store_detail detail = {{0}};
    tk_view secret = {NULL, 0};
    err = tk_store_secret(tam->store, name,
                          (tk_view){candidate, sizeof(candidate)}, &mem,
                          &secret, &detail);
    memset(candidate, 0, sizeof(candidate));
    if (err != TK_OK) {
        snprintf(msg, msg_size, "cannot read the token secret %s: %s", name,
                 detail.text[0] != '\0' ? detail.text : tk_strerror(err));
        tk_store_mem_free(&mem);
        return err;
    }
    tk_key_release(&slot->tag);
    tk_key_release(&slot->challenge);
    slot->epoch = NO_EPOCH;
    err = derive_key(tam->crypto, secret, tag_label, &slot->tag);
    if (err == TK_OK)
        err = derive_key(tam->crypto, secret, challenge_label,
                         &slot->challenge);
    memset((void *)secret.ptr, 0, secret.len);
    tk_store_mem_free(&mem);
    if (err != TK_OK) {
        snprintf(msg, msg_size, "cannot derive the token keys: %s",
                 tk_strerror(err));
        return err;
    }
    slot->epoch = epoch;
    if (tam->cfg.token_rotation > 0)
        TK_LOG_INFO(TAM_LOG, "token secret of epoch %lld in use (%s)",
                    (long long)epoch, name);
    else
        TK_LOG_INFO(TAM_LOG, "token secret in use (%s), without rotation",
                    name);
    return TK_OK;
}

/*
 * Locks the keys and returns the slot of epoch, loading it over the slot
 * of the older epoch when it is not there. On TK_OK the caller computes
 * with the slot and then calls unlock_keys(). On an error nothing stays
 * locked.
 */
static tk_err lock_keys(const tk_tam *tam, int64_t epoch, token_slot **out)
{
    tam_token_keys *keys = tam->token_keys;
    pthread_mutex_lock(&keys->lock);
    token_slot *slot = &keys->slots[0];
    for (size_t i = 0; i < 2; i++) {
        if (keys->slots[i].epoch == epoch) {
            *out = &keys->slots[i];
            return TK_OK;
        }
        if (keys->slots[i].epoch < slot->epoch)
            slot = &keys->slots[i];
    }
    char msg[256];
    tk_err err = load_slot(tam, epoch, slot, msg, sizeof(msg));
    if (err != TK_OK) {
        pthread_mutex_unlock(&keys->lock);
        TK_LOG_ERROR(TAM_LOG, "%s", msg);
        return err;
    }
    *out = slot;
    return TK_OK;
}

static void unlock_keys(const tk_tam *tam)
{
    pthread_mutex_unlock(&tam->token_keys->lock);
}

tk_err tam_tokens_init(tk_tam *tam, char *msg, size_t msg_size)
{
    /* A token must not outlive the two secrets that are accepted. */
    int64_t rotation = tam->cfg.token_rotation;
    if (rotation != 0 && rotation < tam->cfg.session_lifetime) {
        tam->cfg.token_rotation = tam->cfg.session_lifetime;
        TK_LOG_WARN(TAM_LOG,
                    "token_rotation %lld is shorter than session_lifetime: "
                    "token secrets rotate every %lld seconds",
                    (long long)rotation,
                    (long long)tam->cfg.token_rotation);
    }
    tam_token_keys *keys = calloc(1, sizeof(*keys));
    if (keys == NULL) {
        snprintf(msg, msg_size, "out of memory for the token keys");
        return TK_ERR_STORE_NOMEM;
    }
    pthread_mutex_init(&keys->lock, NULL);
    for (size_t i = 0; i < 2; i++) {
        keys->slots[i].epoch = NO_EPOCH;
        tk_key_init(&keys->slots[i].tag);
        tk_key_init(&keys->slots[i].challenge);
    }
    tam->token_keys = keys;
    /* Load the current epoch's secret at once, so that a store that
     * cannot give one stops the start. */
    return load_slot(tam, epoch_of(tam, tam_now(tam)), &keys->slots[0], msg,
                     msg_size);
}

void tam_tokens_release(tk_tam *tam)
{
    tam_token_keys *keys = tam->token_keys;
    if (keys == NULL)
        return;
    for (size_t i = 0; i < 2; i++) {
        tk_key_release(&keys->slots[i].tag);
        tk_key_release(&keys->slots[i].challenge);
    }
    pthread_mutex_destroy(&keys->lock);
    free(keys);
    tam->token_keys = NULL;
}

static void put_be(uint8_t *out, uint64_t value, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(value >> (8 * (len - 1 - i)));
}

static uint64_t get_be(const uint8_t *in, size_t len)
{
    uint64_t value = 0;
    for (size_t i = 0; i < len; i++)
        value = (value << 8) | in[i];
    return value;
}

/* Computes the tag of the first AT_TAG bytes of token with the keys of
 * epoch. */
static tk_err token_tag(const tk_tam *tam, int64_t epoch,
                        const uint8_t *token, uint8_t out[32])
{
    token_slot *slot;
    tk_err err = lock_keys(tam, epoch, &slot);
    if (err != TK_OK)
        return err;
    tk_view part = {token, AT_TAG};
    err = hmac(tam->crypto, &slot->tag, &part, 1, out);
    unlock_keys(tam);
    return err;
}

/* Derives the challenge of a token into out (len bytes, at most
 * TK_TEEP_CHALLENGE_MAX) with the keys of epoch. */
static tk_err token_challenge(const tk_tam *tam, int64_t epoch,
                              const uint8_t *token, uint8_t *out, size_t len)
{
    token_slot *slot;
    tk_err err = lock_keys(tam, epoch, &slot);
    if (err != TK_OK)
        return err;
    uint8_t block[32];
    for (size_t done = 0, n = 1; err == TK_OK && done < len; n++) {
        uint8_t counter[2] = {(uint8_t)(n >> 8), (uint8_t)n};
        tk_view parts[2] = {{token, TAM_TOKEN_LEN},
                            {counter, sizeof(counter)}};
        err = hmac(tam->crypto, &slot->challenge, parts, 2, block);
        size_t take = len - done < sizeof(block) ? len - done : sizeof(block);
        if (err == TK_OK)
            memcpy(out + done, block, take);
        done += take;
    }
    memset(block, 0, sizeof(block));
    unlock_keys(tam);
    return err;
}

bool tam_token_is_own(tk_view token)
{
    return token.len == TAM_TOKEN_LEN && token.ptr[0] == TAM_TOKEN_FORMAT;
}

/* Writes a fresh token for st into st->token. */
static tk_err issue_token(tam_token_issue *st)
{
    const tk_tam *tam = st->tam;
    uint8_t *t = st->token;
    t[0] = TAM_TOKEN_FORMAT;
    t[AT_SECRET] = secret_id(tam, st->epoch);
    t[AT_ITEMS] = (uint8_t)st->data_items;
    t[AT_FRESHNESS] = (uint8_t)st->freshness;
    put_be(t + AT_CHALLENGE_LEN, st->challenge_len, 2);
    put_be(t + AT_EXPIRES, (uint64_t)st->expires, 8);
    tk_err err = st->real->random(st->real->ctx, t + AT_NONCE, NONCE_LEN);
    uint8_t tag[32];
    if (err == TK_OK)
        err = token_tag(tam, st->epoch, t, tag);
    if (err == TK_OK)
        memcpy(t + AT_TAG, tag, TAG_LEN);
    return err;
}

/*
 * random function of tam->issuing: the first draw of TAM_TOKEN_LEN bytes
 * gets the token, the next draw of the challenge's length the challenge
 * of that token, any other draw random bytes.
 */
static tk_err issuing_random(void *ctx, uint8_t *out, size_t len)
{
    tam_token_issue *st = issuing;
    if (st == NULL)
        return TK_ERR_INTERNAL;
    if (!st->issued && len == TAM_TOKEN_LEN) {
        tk_err err = issue_token(st);
        if (err != TK_OK)
            return err;
        st->issued = true;
        memcpy(out, st->token, len);
        return TK_OK;
    }
    if (st->issued && !st->challenged && st->challenge_len > 0 &&
        len == st->challenge_len) {
        tk_err err = token_challenge(st->tam, st->epoch, st->token,
                                     st->challenge, len);
        if (err != TK_OK)
            return err;
        st->challenged = true;
        memcpy(out, st->challenge, len);
        return TK_OK;
    }
    return st->real->random(ctx, out, len);
}

void tam_token_issuer_init(tk_tam *tam)
{
    tam->issuing = *tam->crypto;
    tam->issuing.random = issuing_random;
}

tk_err tam_token_issue_begin(tam_token_issue *st, const tk_tam *tam,
                             int64_t now, uint32_t data_items,
                             uint32_t freshness, size_t challenge_len)
{
    memset(st, 0, sizeof(*st));
    /* Each field has its byte (two for the length) in the token. */
    if (data_items > UINT8_MAX || freshness > UINT8_MAX ||
        challenge_len > TK_TEEP_CHALLENGE_MAX)
        return TK_ERR_LIMIT;
    st->tam = tam;
    st->real = tam->crypto;
    st->epoch = epoch_of(tam, now);
    st->expires = now + tam->cfg.session_lifetime;
    st->data_items = data_items;
    st->freshness = freshness;
    st->challenge_len = challenge_len;
    issuing = st;
    return TK_OK;
}

void tam_token_issue_end(void)
{
    issuing = NULL;
}

tk_err tam_token_check_issued(const tam_token_issue *st,
                              const tk_teep_tam_session *s)
{
    if (!st->issued || s->token_len != TAM_TOKEN_LEN ||
        memcmp(s->token, st->token, TAM_TOKEN_LEN) != 0)
        return TK_ERR_INTERNAL;
    /* The QueryRequest must be the one the token describes, so that the
     * QueryResponse's session comes out of the token as it was. */
    if (s->kind != TK_TEEP_QUERY_REQUEST || s->alg != TK_ALG_NONE ||
        s->device_id_len != 0 || s->retries != 0 ||
        s->data_items != st->data_items || s->freshness != st->freshness ||
        s->challenge_len != st->challenge_len ||
        (s->challenge_len > 0 &&
         (!st->challenged ||
          memcmp(s->challenge, st->challenge, s->challenge_len) != 0)))
        return TK_ERR_INTERNAL;
    return TK_OK;
}

tk_err tam_token_open(const tk_tam *tam, tk_view token, int64_t now,
                      tk_teep_tam_session *s, int64_t *expires)
{
    memset(s, 0, sizeof(*s));
    if (!tam_token_is_own(token))
        return TK_ERR_NOT_FOUND;
    /* A token of the current epoch, or of the previous one while its
     * lifetime lasts. */
    int64_t epoch = epoch_of(tam, now);
    if (token.ptr[AT_SECRET] != secret_id(tam, epoch)) {
        if (epoch == 0 ||
            token.ptr[AT_SECRET] != secret_id(tam, epoch - 1)) {
            /* No kept secret can check the token. Its expiry, although
             * not authenticated, separates an old token from an unknown
             * one, and both are refused. */
            if ((int64_t)get_be(token.ptr + AT_EXPIRES, 8) <= now)
                return TK_ERR_TEEP_TOKEN_EXPIRED;
            return TK_ERR_NOT_FOUND;
        }
        epoch--;
    }
    uint8_t tag[32];
    tk_err err = token_tag(tam, epoch, token.ptr, tag);
    if (err != TK_OK)
        return err;
    if (!tk_crypto_ct_equal(tag, token.ptr + AT_TAG, TAG_LEN))
        return TK_ERR_NOT_FOUND;
    /* Authentic from here on: the TAM wrote every field. */
    size_t challenge_len = (size_t)get_be(token.ptr + AT_CHALLENGE_LEN, 2);
    *expires = (int64_t)get_be(token.ptr + AT_EXPIRES, 8);
    if (challenge_len > TK_TEEP_CHALLENGE_MAX)
        return TK_ERR_INTERNAL;
    if (*expires <= now)
        return TK_ERR_TEEP_TOKEN_EXPIRED;
    s->kind = TK_TEEP_QUERY_REQUEST;
    s->token_len = token.len;
    memcpy(s->token, token.ptr, token.len);
    s->data_items = token.ptr[AT_ITEMS];
    s->freshness = token.ptr[AT_FRESHNESS];
    s->alg = TK_ALG_NONE;
    s->expires = *expires;
    s->created = *expires - tam->cfg.session_lifetime;
    s->challenge_len = challenge_len;
    if (challenge_len > 0)
        err = token_challenge(tam, epoch, token.ptr, s->challenge,
                              challenge_len);
    return err;
}

tk_err tam_token_digest(const tk_crypto *crypto, tk_view token,
                        uint8_t digest[TAM_DIGEST_LEN],
                        char sid[TAM_SID_HEX + 1])
{
    size_t len = 0;
    tk_err err = crypto->hash(crypto->ctx, TK_ALG_SHA256, &token, 1, digest,
                              TAM_DIGEST_LEN, &len);
    if (err == TK_OK && len != TAM_DIGEST_LEN)
        err = TK_ERR_INTERNAL;
    if (err == TK_OK)
        tam_hex(digest, TAM_SID_HEX / 2, sid, TAM_SID_HEX + 1);
    else
        snprintf(sid, TAM_SID_HEX + 1, "-");
    return err;
}
