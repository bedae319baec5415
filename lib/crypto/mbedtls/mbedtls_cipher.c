/*
 * Symmetric ciphers for the Mbed TLS backend: one-shot AEAD (AES-GCM,
 * ChaCha20/Poly1305) and the streaming AES-CTR / AES-GCM /
 * ChaCha20-Poly1305 cipher.
 *
 * Streaming ChaCha20/Poly1305 uses the chachapoly context directly: its
 * update takes chunks of any size and, when decrypting, authenticates the
 * ciphertext before it overwrites it, so in-place decryption works. A
 * configuration without MBEDTLS_CHACHAPOLY_C has no ChaCha20/Poly1305 at
 * all (TK_ERR_CRYPTO_UNSUPPORTED_ALG), so it needs none of those
 * functions.
 *
 * Mbed TLS 2.28's GCM update takes a partial block only as the last call,
 * but the streaming interface promises chunks of any size with exactly as
 * many bytes out as in. So streaming GCM produces the keystream with AES in
 * CTR mode from the second counter block (inc32 of IV || 1, the GCM
 * counter layout for a 96-bit IV; see NIST SP 800-38D section 7.1) and
 * feeds the ciphertext to an Mbed TLS GCM context in decrypt mode, in whole
 * blocks, only to compute the tag. That costs two AES operations per block.
 */
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>

#include "mbedtls_internal.h"

/* GCM limit on plaintext: 2^32 - 2 blocks (NIST SP 800-38D section 5.2.1.1). */
#define TK_MBED_GCM_MAX_BYTES ((((uint64_t)1 << 32) - 2) * 16)

/* Tells whether len more bytes after total exceed the GCM limit. The
 * uint64_t parameters keep the check valid where size_t is 32 bits. */
static bool gcm_too_long(uint64_t total, uint64_t len)
{
    return len > TK_MBED_GCM_MAX_BYTES || total > TK_MBED_GCM_MAX_BYTES - len;
}

/* Encrypts (tag written) or decrypts (tag checked) with AES-GCM. */
static int gcm_run(const tk_key *key, tk_view iv, tk_view aad,
                   const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag,
                   bool enc)
{
    mbedtls_gcm_context gcm;
    int rc;

    mbedtls_gcm_init(&gcm);
    rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key->k,
                            (unsigned int)(key->k_len * 8));
    if (rc == 0 && enc) {
        rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, iv.ptr,
                                       iv.len, aad.ptr, aad.len, in, out,
                                       TK_CRYPTO_AEAD_TAG_SIZE, tag);
    } else if (rc == 0) {
        /* auth_decrypt compares in constant time and wipes out on a
         * mismatch. */
        rc = mbedtls_gcm_auth_decrypt(&gcm, len, iv.ptr, iv.len, aad.ptr,
                                      aad.len, tag, TK_CRYPTO_AEAD_TAG_SIZE,
                                      in, out);
    }
    mbedtls_gcm_free(&gcm);
    return rc;
}

/* The same with ChaCha20/Poly1305 (RFC 8439), which the frame lets
 * through only when the configuration has it. */
static int chachapoly_run(const tk_key *key, tk_view iv, tk_view aad,
                          const uint8_t *in, size_t len, uint8_t *out,
                          uint8_t *tag, bool enc)
{
#if !TK_MBED_CHACHAPOLY
    (void)key;
    (void)iv;
    (void)aad;
    (void)in;
    (void)len;
    (void)out;
    (void)tag;
    (void)enc;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
#else
    mbedtls_chachapoly_context cp;
    int rc;

    mbedtls_chachapoly_init(&cp);
    rc = mbedtls_chachapoly_setkey(&cp, key->k);
    if (rc == 0 && enc) {
        rc = mbedtls_chachapoly_encrypt_and_tag(&cp, len, iv.ptr, aad.ptr,
                                                aad.len, in, out, tag);
    } else if (rc == 0) {
        rc = mbedtls_chachapoly_auth_decrypt(&cp, len, iv.ptr, aad.ptr,
                                             aad.len, tag, in, out);
    }
    mbedtls_chachapoly_free(&cp);
    return rc;
#endif
}

/* Runs the AEAD alg and maps the result. */
static tk_err aead_run(tk_alg alg, const tk_key *key, tk_view iv,
                       tk_view aad, const uint8_t *in, size_t len,
                       uint8_t *out, uint8_t *tag, bool enc)
{
    int rc = alg == TK_ALG_CHACHA20_POLY1305
                 ? chachapoly_run(key, iv, aad, in, len, out, tag, enc)
                 : gcm_run(key, iv, aad, in, len, out, tag, enc);

    if (rc == MBEDTLS_ERR_GCM_AUTH_FAILED ||
        rc == MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED) {
        return TK_ERR_CRYPTO_TAG_INVALID;
    }
    return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
}

/* Streaming state of AES-CTR and AES-GCM. */
typedef struct tk_mbed_aes_stream {
    mbedtls_aes_context aes; /* CTR keystream, for both algorithms */
    uint8_t counter[16];
    uint8_t stream_block[16];
    size_t stream_offset;
    uint64_t total;          /* bytes processed, for the GCM limit */
    mbedtls_gcm_context gcm; /* GCM only: computes the tag */
    uint8_t pending[16];     /* GCM ciphertext not yet given to gcm */
    size_t pending_len;
} tk_mbed_aes_stream;

/* Layout of tk_crypto_cipher_state for this backend. */
typedef struct tk_mbed_cipher_state {
    tk_crypto_cipher_head head;
    union {
        tk_mbed_aes_stream aes;                /* CTR and GCM */
#if TK_MBED_CHACHAPOLY
        mbedtls_chachapoly_context chachapoly; /* ChaCha20/Poly1305 */
#endif
    } u;
} tk_mbed_cipher_state;

_Static_assert(sizeof(tk_mbed_cipher_state) <= TK_CRYPTO_CIPHER_STATE_SIZE,
               "TK_CRYPTO_CIPHER_STATE_SIZE is too small for Mbed TLS");

static tk_mbed_cipher_state *cipher_state(tk_crypto_cipher_state *state)
{
    return (tk_mbed_cipher_state *)state->opaque.bytes;
}

/* Sets up the GCM part of a: tag computation and the counter. */
static int gcm_start(tk_mbed_aes_stream *a, const tk_key *key, tk_view iv,
                     tk_view aad)
{
    int rc = mbedtls_gcm_setkey(&a->gcm, MBEDTLS_CIPHER_ID_AES, key->k,
                                (unsigned int)(key->k_len * 8));
    if (rc == 0) {
        rc = mbedtls_gcm_starts(&a->gcm, MBEDTLS_GCM_DECRYPT, iv.ptr, iv.len,
                                aad.ptr, aad.len);
    }
    /* First data counter block: IV || 00000002. */
    memcpy(a->counter, iv.ptr, 12);
    a->counter[12] = 0;
    a->counter[13] = 0;
    a->counter[14] = 0;
    a->counter[15] = 2;
    return rc;
}

/* Starts AES-CTR or AES-GCM in a. */
static int aes_start(tk_mbed_aes_stream *a, bool ctr, const tk_key *key,
                     tk_view iv, tk_view aad)
{
    mbedtls_aes_init(&a->aes);
    mbedtls_gcm_init(&a->gcm);
    int rc = mbedtls_aes_setkey_enc(&a->aes, key->k,
                                    (unsigned int)(key->k_len * 8));
    if (rc == 0 && ctr) {
        memcpy(a->counter, iv.ptr, 16);
    } else if (rc == 0) {
        rc = gcm_start(a, key, iv, aad);
    }
    if (rc != 0) {
        mbedtls_aes_free(&a->aes);
        mbedtls_gcm_free(&a->gcm);
    }
    return rc;
}

/* Starts ChaCha20/Poly1305 in st (RFC 8439 section 2.8). */
static int chachapoly_start(tk_mbed_cipher_state *st, const tk_key *key,
                            tk_view iv, tk_view aad, tk_crypto_dir dir)
{
#if !TK_MBED_CHACHAPOLY
    (void)st;
    (void)key;
    (void)iv;
    (void)aad;
    (void)dir;
    return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
#else
    mbedtls_chachapoly_context *cp = &st->u.chachapoly;
    mbedtls_chachapoly_init(cp);
    int rc = mbedtls_chachapoly_setkey(cp, key->k);
    if (rc == 0) {
        rc = mbedtls_chachapoly_starts(cp, iv.ptr,
                                       dir == TK_CRYPTO_ENCRYPT
                                           ? MBEDTLS_CHACHAPOLY_ENCRYPT
                                           : MBEDTLS_CHACHAPOLY_DECRYPT);
    }
    if (rc == 0 && aad.len > 0) {
        rc = mbedtls_chachapoly_update_aad(cp, aad.ptr, aad.len);
    }
    if (rc != 0) {
        mbedtls_chachapoly_free(cp);
    }
    return rc;
#endif
}

static tk_err cipher_start(tk_crypto_cipher_state *state, tk_alg alg,
                           const tk_key *key, tk_view iv, tk_view aad,
                           tk_crypto_dir dir)
{
    tk_mbed_cipher_state *st = cipher_state(state);
    int rc = alg == TK_ALG_CHACHA20_POLY1305
                 ? chachapoly_start(st, key, iv, aad, dir)
                 : aes_start(&st->u.aes, tk_crypto_alg_is_ctr(alg), key, iv,
                             aad);

    return rc == 0 ? TK_OK : TK_ERR_CRYPTO_BACKEND;
}

/* Feeds len bytes of ciphertext to the GCM tag computation, in whole
 * blocks; a partial block waits in a->pending. */
static int gcm_absorb(tk_mbed_aes_stream *a, const uint8_t *ct, size_t len)
{
    uint8_t discard[16];
    int rc = 0;

    while (rc == 0 && len > 0) {
        size_t take = 16 - a->pending_len;
        if (take > len) {
            take = len;
        }
        if (a->pending_len == 0 && len >= 16) {
            rc = mbedtls_gcm_update(&a->gcm, 16, ct, discard);
            take = 16;
        } else {
            memcpy(a->pending + a->pending_len, ct, take);
            a->pending_len += take;
            if (a->pending_len == 16) {
                rc = mbedtls_gcm_update(&a->gcm, 16, a->pending, discard);
                a->pending_len = 0;
            }
        }
        ct += take;
        len -= take;
    }
    tk_crypto_wipe(discard, sizeof(discard));
    return rc;
}

/* Processes len bytes with AES-CTR or AES-GCM. Returns 0, an Mbed TLS
 * error, or 1 when GCM would exceed its length limit. */
static int aes_update(tk_mbed_aes_stream *a, bool gcm, tk_crypto_dir dir,
                      const uint8_t *in, size_t len, uint8_t *out)
{
    if (gcm && gcm_too_long(a->total, len)) {
        return 1;
    }
    a->total += len;

    int rc = 0;
    if (gcm && dir == TK_CRYPTO_DECRYPT) {
        rc = gcm_absorb(a, in, len); /* before out overwrites in */
    }
    if (rc == 0 && len > 0) {
        rc = mbedtls_aes_crypt_ctr(&a->aes, len, &a->stream_offset,
                                   a->counter, a->stream_block, in, out);
    }
    if (rc == 0 && gcm && dir == TK_CRYPTO_ENCRYPT) {
        rc = gcm_absorb(a, out, len);
    }
    return rc;
}

static tk_err cipher_update(tk_crypto_cipher_state *state, const uint8_t *in,
                            size_t len, uint8_t *out)
{
    tk_mbed_cipher_state *st = cipher_state(state);
    int rc = 0;

    if (st->head.alg == TK_ALG_CHACHA20_POLY1305) {
#if TK_MBED_CHACHAPOLY
        if (len > 0) {
            rc = mbedtls_chachapoly_update(&st->u.chachapoly, len, in, out);
        }
#endif
    } else {
        rc = aes_update(&st->u.aes, tk_crypto_alg_is_gcm(st->head.alg),
                        st->head.dir, in, len, out);
    }
    if (rc != 0) {
        return rc == 1 ? TK_ERR_CRYPTO_INPUT_LENGTH : TK_ERR_CRYPTO_BACKEND;
    }
    return TK_OK;
}

/* Computes the tag of an AEAD state into tag: the GCM tag over the
 * ciphertext and the pending partial block, or the Poly1305 tag. */
static int aead_tag(tk_mbed_cipher_state *st, uint8_t *tag)
{
    uint8_t discard[16];
    int rc = 0;

    if (st->head.alg == TK_ALG_CHACHA20_POLY1305) {
#if TK_MBED_CHACHAPOLY
        return mbedtls_chachapoly_finish(&st->u.chachapoly, tag);
#else
        return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
#endif
    }
    tk_mbed_aes_stream *a = &st->u.aes;
    if (a->pending_len > 0) {
        rc = mbedtls_gcm_update(&a->gcm, a->pending_len, a->pending,
                                discard);
    }
    if (rc == 0) {
        rc = mbedtls_gcm_finish(&a->gcm, tag, TK_CRYPTO_AEAD_TAG_SIZE);
    }
    tk_crypto_wipe(discard, sizeof(discard));
    return rc;
}

/* Finishes AES-GCM or ChaCha20/Poly1305. Writes the tag to tag_out when
 * encrypting, or checks expected_tag when decrypting. */
static tk_err cipher_finish(tk_crypto_cipher_state *state, uint8_t *tag_out,
                            const uint8_t *expected_tag)
{
    uint8_t tag[TK_CRYPTO_AEAD_TAG_SIZE];
    tk_err err = TK_OK;

    if (aead_tag(cipher_state(state), tag_out != NULL ? tag_out : tag) != 0) {
        err = TK_ERR_CRYPTO_BACKEND;
    } else if (expected_tag != NULL &&
               !tk_crypto_ct_equal(tag, expected_tag, sizeof(tag))) {
        err = TK_ERR_CRYPTO_TAG_INVALID;
    }
    tk_crypto_wipe(tag, sizeof(tag));
    return err;
}

static void cipher_release(tk_crypto_cipher_state *state)
{
    tk_mbed_cipher_state *st = cipher_state(state);

    if (st->head.alg == TK_ALG_CHACHA20_POLY1305) {
#if TK_MBED_CHACHAPOLY
        mbedtls_chachapoly_free(&st->u.chachapoly);
#endif
    } else {
        mbedtls_aes_free(&st->u.aes.aes);
        mbedtls_gcm_free(&st->u.aes.gcm);
    }
}

const tk_crypto_cipher_primitives tk_mbed_cipher_primitives = {
    .kw_max_input = SIZE_MAX - TK_CRYPTO_KW_OVERHEAD,
    .kw = tk_mbed_kw,
    /* The GCM limit, which bounds one-shot ChaCha20/Poly1305 too. */
    .aead_max_input = TK_MBED_GCM_MAX_BYTES,
    .aead = aead_run,
    .start = cipher_start,
    .update = cipher_update,
    .finish = cipher_finish,
    .release = cipher_release,
};
