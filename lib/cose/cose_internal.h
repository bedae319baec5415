/*
 * Declarations shared by the files of lib/cose. Not part of the public
 * interface.
 */
#ifndef TK_COSE_INTERNAL_H
#define TK_COSE_INTERNAL_H

#include "teepkit/cbor.h"
#include "teepkit/cose.h"

/* CBOR major types used by the head writer. */
#define TK_COSE_MAJOR_UINT 0u
#define TK_COSE_MAJOR_NINT 1u
#define TK_COSE_MAJOR_BSTR 2u
#define TK_COSE_MAJOR_TSTR 3u
#define TK_COSE_MAJOR_ARRAY 4u
#define TK_COSE_MAJOR_MAP 5u
#define TK_COSE_MAJOR_TAG 6u

/* ---------------------------------------------------------------------- */
/* Algorithms (cose_alg.c)                                                */
/* ---------------------------------------------------------------------- */

/* What an algorithm identifier does in a COSE layer. */
typedef enum tk_cose_alg_class {
    TK_COSE_CLASS_UNKNOWN = 0,
    TK_COSE_CLASS_SIGN,        /* ECDSA, EdDSA */
    TK_COSE_CLASS_MAC,         /* HMAC */
    TK_COSE_CLASS_AEAD,        /* AES-GCM, ChaCha20/Poly1305 */
    TK_COSE_CLASS_CTR,         /* AES-CTR (RFC 9459) */
    TK_COSE_CLASS_DIRECT,      /* direct (-6) */
    TK_COSE_CLASS_KW,          /* A128KW, A192KW, A256KW */
    TK_COSE_CLASS_ECDH_DIRECT, /* ECDH-ES + HKDF-256/512 */
    TK_COSE_CLASS_ECDH_KW      /* ECDH-ES + A128KW/A192KW/A256KW */
} tk_cose_alg_class;

/* Returns the class of alg, TK_COSE_CLASS_UNKNOWN when unsupported. */
tk_cose_alg_class tk_cose_alg_class_of(int64_t alg);

/* Tells whether alg is one of the recipient classes. */
bool tk_cose_alg_is_recipient(int64_t alg);

/* Size of the COSE tag of a MAC alg: 8 for HMAC 256/64, else the hash
 * size; 0 for other algs. */
size_t tk_cose_mac_tag_size(int64_t alg);

/* Key size, in bytes, that a recipient must deliver for the content or MAC
 * alg: the AES or ChaCha20 key size, or the hash size of an HMAC alg (RFC
 * 9053 section 3.1 sizes HMAC keys by their hash); 0 when unknown. */
size_t tk_cose_content_key_size(int64_t alg);

/* IV size of a content alg: 12 for AEAD, 16 for AES-CTR, else 0. */
size_t tk_cose_iv_size(int64_t alg);

/* Key wrap alg inside an ECDH-ES + AES-KW alg; TK_ALG_NONE for others. */
tk_alg tk_cose_ecdh_wrap_alg(int64_t alg);

/* HKDF hash of an ECDH alg: SHA-256 or SHA-512; TK_ALG_NONE for others. */
tk_alg tk_cose_ecdh_hash(int64_t alg);

/* ---------------------------------------------------------------------- */
/* Output writer (cose_write.c)                                           */
/* ---------------------------------------------------------------------- */

/*
 * A cursor over the caller's output buffer. Writes past cap are counted
 * but not stored, so len ends as the size the whole output needs. err
 * keeps the first encoding error other than running out of space.
 */
typedef struct tk_cose_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    tk_err err;
} tk_cose_writer;

void tk_cose_w_init(tk_cose_writer *w, uint8_t *buf, size_t cap);

/* Writes a CBOR head of major type major with argument value. */
void tk_cose_w_head(tk_cose_writer *w, unsigned major, uint64_t value);

/* Writes n raw bytes. */
void tk_cose_w_bytes(tk_cose_writer *w, const uint8_t *p, size_t n);

/* Writes a byte string item. */
void tk_cose_w_bstr(tk_cose_writer *w, tk_view v);

/* Writes an integer item. */
void tk_cose_w_int(tk_cose_writer *w, int64_t v);

/*
 * Reserves n bytes and returns where they start, or NULL when they do not
 * fit (they are still counted).
 */
uint8_t *tk_cose_w_reserve(tk_cose_writer *w, size_t n);

/*
 * Starts enc on the free part of the writer's buffer (a measuring encoder
 * when nothing is free), for one top-level item.
 */
void tk_cose_w_enc_begin(tk_cose_writer *w, tk_cbor_enc *enc);

/* Ends an encoder started with tk_cose_w_enc_begin and advances the
 * writer by the item's size. */
void tk_cose_w_enc_end(tk_cose_writer *w, tk_cbor_enc *enc);

/* Ends the writer: TK_OK with *out_len the size written,
 * TK_ERR_BUFFER_TOO_SMALL with *out_len the size needed, or err. */
tk_err tk_cose_w_finish(const tk_cose_writer *w, size_t *out_len);

/* Writes the head of major type major and value to p (which may be NULL
 * to measure) and returns its length (1 to 9). */
size_t tk_cose_put_head(uint8_t *p, unsigned major, uint64_t value);

/* Header parameters of one map being written. A member is written when
 * its view is not empty or its flag is set. */
typedef struct tk_cose_hdr_out {
    bool has_alg;
    int64_t alg;
    bool has_content_type;
    uint64_t content_type;
    const tk_key *ephemeral; /* public part written as a COSE_Key (-1) */
    tk_view salt;
    tk_view kid;
    tk_view iv;
} tk_cose_hdr_out;

/* Writes a header map. Labels go in this order: alg, content type,
 * ephemeral key, salt, kid, IV, the order of the COSE working group
 * examples, so that outputs compare byte for byte. */
void tk_cose_w_header_map(tk_cose_writer *w, const tk_cose_hdr_out *h);

/*
 * Writes a protected header bstr for h: an empty bstr when h sets nothing.
 * *prot receives a view of the map bytes in the buffer ({NULL, len} when
 * they did not fit).
 */
void tk_cose_w_protected(tk_cose_writer *w, const tk_cose_hdr_out *h,
                         tk_view *prot);

/* Writes a COSE_Key map of the public part of key (the ephemeral key
 * header): kty, crv, x and y for EC2, kty, crv and x for OKP. */
void tk_cose_w_public_key(tk_cose_writer *w, const tk_key *key);

/* ---------------------------------------------------------------------- */
/* To-be-signed, MAC and AAD structures (cose_tbs.c)                      */
/* ---------------------------------------------------------------------- */

/* Number of parts of the largest structure: one head run per field plus
 * the field contents. */
#define TK_COSE_TBS_PARTS 12

/*
 * A structure such as ["Signature1", protected, external_aad, payload],
 * held as parts (heads written in heads[], contents as views into the
 * message) so that crypto streams it without a copy.
 */
typedef struct tk_cose_tbs {
    uint8_t heads[80];
    size_t heads_len;
    tk_view parts[TK_COSE_TBS_PARTS];
    size_t nparts;
    size_t total;
} tk_cose_tbs;

/* Starts a structure: the array head of fields items and the context
 * string. */
void tk_cose_tbs_start(tk_cose_tbs *t, size_t fields, const char *context);

/* Appends a byte string field. */
void tk_cose_tbs_bstr(tk_cose_tbs *t, tk_view v);

/*
 * Copies the structure into buf (capacity cap) and sets *flat. Returns
 * TK_ERR_COSE_SCRATCH_TOO_SMALL when it does not fit.
 */
tk_err tk_cose_tbs_flatten(const tk_cose_tbs *t, uint8_t *buf, size_t cap,
                           tk_view *flat);

/*
 * The forms of a protected header to try in a structure: the received
 * bytes, preceded by the zero-length form when the bytes are h'A0' (see
 * teepkit/cose.h). Returns the number of forms (1 or 2).
 */
size_t tk_cose_protected_forms(tk_view prot, tk_view forms[2]);

/* ---------------------------------------------------------------------- */
/* Decoding (cose_decode.c, cose_header.c)                                */
/* ---------------------------------------------------------------------- */

/* Tells whether err is one of the CBOR library's codes. */
bool tk_cose_is_cbor_err(tk_err err);

/*
 * Turns the error kept by a structure decoder into the COSE code that
 * names it: a wrong CBOR type or a missing member is
 * TK_ERR_COSE_MALFORMED, trailing bytes TK_ERR_COSE_TRAILING.
 */
tk_err tk_cose_map_err(tk_err err);

/*
 * Starts dec over msg and enters the structure's array: reads the tag
 * (which must be expected; no tag only with TK_COSE_OPT_UNTAGGED_OK) and
 * the array head, whose definite count must lie between min_count and
 * max_count. *count receives the count, or max_count for an indefinite
 * array, whose length is checked at its end.
 */
tk_err tk_cose_open(tk_cbor_dec *dec, tk_view msg, const tk_cose_opts *opts,
                    tk_cose_type expected, uint64_t min_count,
                    uint64_t max_count, uint64_t *count);

/* Reads the next member of the current array or map with next(), which
 * enters a container member. No member left is TK_ERR_COSE_MALFORMED. */
tk_err tk_cose_next_member(tk_cbor_dec *dec, tk_cbor_item *item);

/* Leaves the array and finishes dec. Returns the mapped first error. */
tk_err tk_cose_close(tk_cbor_dec *dec);

/*
 * Reads the protected bstr and the unprotected map of one layer from dec
 * (whose input starts at base) and applies the header rules of
 * teepkit/cose.h except the alg location rule. Errors are kept in dec.
 */
tk_err tk_cose_headers_read(tk_cbor_dec *dec, const uint8_t *base,
                            const tk_cose_opts *opts, tk_cose_headers *h);

/*
 * Applies the alg rules of a layer that needs alg. The alg must be
 * present, an integer, and of one of the classes in class_mask (bit n for
 * class n). It must be protected unless its class requires an empty
 * protected header (AES-CTR, direct, AES key wrap), which is then checked
 * instead. Errors are kept in dec.
 */
tk_err tk_cose_check_alg(tk_cbor_dec *dec, const tk_cose_headers *h,
                         const tk_cose_opts *opts, uint32_t class_mask);

/* Bit of class c in a class mask. */
#define TK_COSE_CLASS_BIT(c) (1u << (unsigned)(c))

/* Reads a bstr or nil payload (or ciphertext) and applies the detached
 * rules. Errors are kept in dec. */
tk_err tk_cose_read_payload(tk_cbor_dec *dec, const tk_cose_opts *opts,
                            bool detached_ok_without_content,
                            tk_view *payload, bool *detached);

/* Enters an array that must have exactly count members (an indefinite
 * one is checked when it is left). */
tk_err tk_cose_enter_array(tk_cbor_dec *dec, uint64_t count);

/* Leaves an array entered with tk_cose_enter_array: members left over are
 * TK_ERR_COSE_MALFORMED. */
tk_err tk_cose_leave_array(tk_cbor_dec *dec);

/* Reads a byte string member; another type is TK_ERR_COSE_MALFORMED. */
tk_err tk_cose_read_bstr(tk_cbor_dec *dec, tk_view *v);

/*
 * Reads an array of recipients, checking its length (1 to
 * TK_COSE_MAX_RECIPIENTS) and skipping over it. *raw receives the encoded
 * array and *count the number of recipients.
 */
tk_err tk_cose_read_recipients(tk_cbor_dec *dec, tk_view *raw,
                               size_t *count);

/*
 * Resolves the key of a layer: opts->lookup(kid, alg) or opts->key.
 * Returns TK_ERR_COSE_KEY_NOT_FOUND when there is none, or the lookup's
 * other errors.
 */
tk_err tk_cose_resolve_key(const tk_cose_opts *opts,
                           const tk_cose_headers *h, tk_alg alg,
                           const tk_key **key);

/* ---------------------------------------------------------------------- */
/* Recipients (cose_recipient.c)                                          */
/* ---------------------------------------------------------------------- */

/*
 * Tries a content key on the content layer: decrypts or checks the MAC.
 * Returns TK_OK, an authentication failure (TK_ERR_COSE_DECRYPT_FAILED or
 * TK_ERR_COSE_MAC_INVALID), after which the next recipient is tried when
 * the key was not integrity-checked, or another error, which stops.
 */
typedef tk_err (*tk_cose_content_try_fn)(void *arg, const tk_key *cek);

/*
 * Checks every recipient of the encoded array (recursively, without
 * crypto): structure and header rules, alg classes and ciphertext shapes.
 * Decode errors are returned with their offset in *err_off, which is
 * relative to recipients.ptr.
 */
tk_err tk_cose_recipients_check(tk_view recipients, const tk_cose_opts *opts,
                                unsigned depth, size_t *err_off);

/*
 * Obtains the content key for content_alg from the recipients (already
 * checked) and passes each candidate to try_fn (NULL accepts the first).
 * On TK_OK with try_fn NULL, *cek holds the key; the caller releases it.
 */
tk_err tk_cose_recipients_key(const tk_crypto *crypto, tk_view recipients,
                              const tk_cose_opts *opts, int64_t content_alg,
                              tk_cose_content_try_fn try_fn, void *arg,
                              tk_key *cek);

/*
 * Chooses or derives the content key of a message being built for
 * build->recipients (direct or ECDH-ES direct derive it; key wrap uses
 * build->cek or a random key) into *cek, and writes the recipient array.
 */
tk_err tk_cose_w_recipients(tk_cose_writer *w, const tk_crypto *crypto,
                            const tk_cose_build *build, int64_t content_alg,
                            tk_key *cek);

/* ---------------------------------------------------------------------- */
/* Content encryption helpers (cose_encrypt.c)                            */
/* ---------------------------------------------------------------------- */

/*
 * Computes the IV of a content layer from its IV or Partial IV header and
 * opts->base_iv into iv (TK_COSE_MAX_IV_SIZE bytes), *iv_len its length.
 */
tk_err tk_cose_content_iv(const tk_cose_headers *h, const tk_cose_opts *opts,
                          int64_t alg, uint8_t *iv, size_t *iv_len);

#endif /* TK_COSE_INTERNAL_H */
