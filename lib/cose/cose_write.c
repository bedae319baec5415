/*
 * Output helpers: the writer that lays a COSE structure into the caller's
 * buffer, header maps, and the Sig_structure, MAC_structure and
 * Enc_structure builders (RFC 9052 sections 4.4, 5.3 and 6.3).
 */
#include <string.h>

#include "cose_internal.h"

size_t tk_cose_put_head(uint8_t *p, unsigned major, uint64_t value)
{
    uint8_t ib = (uint8_t)(major << 5);
    size_t n;

    if (value < 24) {
        if (p != NULL) {
            p[0] = (uint8_t)(ib | value);
        }
        return 1;
    }
    if (value <= 0xffu) {
        n = 1;
        ib |= 24;
    } else if (value <= 0xffffu) {
        n = 2;
        ib |= 25;
    } else if (value <= 0xffffffffu) {
        n = 4;
        ib |= 26;
    } else {
        n = 8;
        ib |= 27;
    }
    if (p != NULL) {
        p[0] = ib;
        for (size_t i = 0; i < n; i++) {
            p[n - i] = (uint8_t)(value >> (8 * i));
        }
    }
    return n + 1;
}

void tk_cose_w_init(tk_cose_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf == NULL ? 0 : cap;
    w->len = 0;
    w->err = TK_OK;
}

uint8_t *tk_cose_w_reserve(tk_cose_writer *w, size_t n)
{
    uint8_t *p = NULL;

    if (w->len <= w->cap && n <= w->cap - w->len) {
        p = w->buf + w->len;
    }
    if (n > SIZE_MAX - w->len) {
        w->err = w->err != TK_OK ? w->err : TK_ERR_INVALID_ARG;
        return NULL;
    }
    w->len += n;
    return p;
}

void tk_cose_w_bytes(tk_cose_writer *w, const uint8_t *p, size_t n)
{
    uint8_t *dst = tk_cose_w_reserve(w, n);

    if (dst != NULL && n > 0) {
        memcpy(dst, p, n);
    }
}

void tk_cose_w_head(tk_cose_writer *w, unsigned major, uint64_t value)
{
    uint8_t head[TK_CBOR_HEAD_MAX];
    size_t n = tk_cose_put_head(head, major, value);

    tk_cose_w_bytes(w, head, n);
}

void tk_cose_w_bstr(tk_cose_writer *w, tk_view v)
{
    tk_cose_w_head(w, TK_COSE_MAJOR_BSTR, v.len);
    tk_cose_w_bytes(w, v.ptr, v.len);
}

void tk_cose_w_int(tk_cose_writer *w, int64_t v)
{
    if (v >= 0) {
        tk_cose_w_head(w, TK_COSE_MAJOR_UINT, (uint64_t)v);
    } else {
        tk_cose_w_head(w, TK_COSE_MAJOR_NINT, (uint64_t)(-1 - v));
    }
}

void tk_cose_w_enc_begin(tk_cose_writer *w, tk_cbor_enc *enc)
{
    if (w->len < w->cap) {
        (void)tk_cbor_enc_init(enc, w->buf + w->len, w->cap - w->len, 0);
    } else {
        (void)tk_cbor_enc_init(enc, NULL, 0, 0);
    }
}

void tk_cose_w_enc_end(tk_cose_writer *w, tk_cbor_enc *enc)
{
    size_t n = 0;
    tk_err err = tk_cbor_enc_finish(enc, &n);

    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL) {
        if (w->err == TK_OK) {
            w->err = err;
        }
        return;
    }
    /* The bytes that fitted are already in place; the rest only counts. */
    (void)tk_cose_w_reserve(w, n);
}

tk_err tk_cose_w_finish(const tk_cose_writer *w, size_t *out_len)
{
    if (w->err != TK_OK) {
        *out_len = 0;
        return w->err;
    }
    *out_len = w->len;
    return w->len > w->cap ? TK_ERR_BUFFER_TOO_SMALL : TK_OK;
}

/* Writes label and the public part of key as a COSE_Key map. */
static void put_public_key(tk_cbor_enc *enc, const tk_key *key)
{
    bool ec2 = key->kty == TK_KTY_EC2;

    tk_cbor_enc_put_map(enc, ec2 ? 4 : 3);
    tk_cbor_enc_put_int(enc, TK_COSE_KEY_KTY);
    tk_cbor_enc_put_int(enc, key->kty);
    tk_cbor_enc_put_int(enc, TK_COSE_KEY_CRV);
    tk_cbor_enc_put_int(enc, key->crv);
    tk_cbor_enc_put_int(enc, TK_COSE_KEY_X);
    tk_cbor_enc_put_bstr(enc, key->x, key->coord_len);
    if (ec2) {
        tk_cbor_enc_put_int(enc, TK_COSE_KEY_Y);
        tk_cbor_enc_put_bstr(enc, key->y, key->coord_len);
    }
}

void tk_cose_w_public_key(tk_cose_writer *w, const tk_key *key)
{
    tk_cbor_enc enc;

    tk_cose_w_enc_begin(w, &enc);
    put_public_key(&enc, key);
    tk_cose_w_enc_end(w, &enc);
}

/* Counts the entries tk_cose_w_header_map writes for h. */
static size_t header_entries(const tk_cose_hdr_out *h)
{
    return (size_t)h->has_alg + (size_t)h->has_content_type +
           (size_t)(h->ephemeral != NULL) + (size_t)(h->salt.len > 0) +
           (size_t)(h->kid.len > 0) + (size_t)(h->iv.len > 0);
}

/* Writes the entries of h into an open encoder, in the documented order. */
static void put_header_map(tk_cbor_enc *enc, const tk_cose_hdr_out *h)
{
    tk_cbor_enc_put_map(enc, header_entries(h));
    if (h->has_alg) {
        tk_cbor_enc_put_int(enc, TK_COSE_HDR_ALG);
        tk_cbor_enc_put_int(enc, h->alg);
    }
    if (h->has_content_type) {
        tk_cbor_enc_put_int(enc, TK_COSE_HDR_CONTENT_TYPE);
        tk_cbor_enc_put_uint(enc, h->content_type);
    }
    if (h->ephemeral != NULL) {
        tk_cbor_enc_put_int(enc, TK_COSE_HDR_EPHEMERAL_KEY);
        put_public_key(enc, h->ephemeral);
    }
    if (h->salt.len > 0) {
        tk_cbor_enc_put_int(enc, TK_COSE_HDR_SALT);
        tk_cbor_enc_put_bstr(enc, h->salt.ptr, h->salt.len);
    }
    if (h->kid.len > 0) {
        tk_cbor_enc_put_int(enc, TK_COSE_HDR_KID);
        tk_cbor_enc_put_bstr(enc, h->kid.ptr, h->kid.len);
    }
    if (h->iv.len > 0) {
        tk_cbor_enc_put_int(enc, TK_COSE_HDR_IV);
        tk_cbor_enc_put_bstr(enc, h->iv.ptr, h->iv.len);
    }
}

void tk_cose_w_header_map(tk_cose_writer *w, const tk_cose_hdr_out *h)
{
    tk_cbor_enc enc;

    tk_cose_w_enc_begin(w, &enc);
    put_header_map(&enc, h);
    tk_cose_w_enc_end(w, &enc);
}

void tk_cose_w_protected(tk_cose_writer *w, const tk_cose_hdr_out *h,
                         tk_view *prot)
{
    tk_cbor_enc enc;
    size_t map_len = 0;
    uint8_t *start;

    *prot = (tk_view){NULL, 0};
    if (header_entries(h) == 0) {
        tk_cose_w_head(w, TK_COSE_MAJOR_BSTR, 0);
        return;
    }
    /* Measure the map first, because its bstr head comes before it. */
    (void)tk_cbor_enc_init(&enc, NULL, 0, 0);
    put_header_map(&enc, h);
    tk_err err = tk_cbor_enc_finish(&enc, &map_len);
    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL) {
        w->err = w->err != TK_OK ? w->err : err;
        return;
    }
    tk_cose_w_head(w, TK_COSE_MAJOR_BSTR, map_len);
    start = w->len + map_len <= w->cap ? w->buf + w->len : NULL;
    tk_cose_w_header_map(w, h);
    *prot = (tk_view){start, map_len};
}

/* ---------------------------------------------------------------------- */
/* Structures for signing, MAC and AAD                                    */
/* ---------------------------------------------------------------------- */

/* Appends a head to t->heads and, when it continues the previous head
 * run, extends that part instead of adding one. */
static void tbs_head(tk_cose_tbs *t, unsigned major, uint64_t value)
{
    uint8_t *p = t->heads + t->heads_len;
    size_t n = tk_cose_put_head(p, major, value);
    tk_view *last = t->nparts > 0 ? &t->parts[t->nparts - 1] : NULL;

    if (last != NULL && last->ptr + last->len == p) {
        last->len += n;
    } else {
        t->parts[t->nparts++] = (tk_view){p, n};
    }
    t->heads_len += n;
    t->total += n;
}

void tk_cose_tbs_start(tk_cose_tbs *t, size_t fields, const char *context)
{
    size_t len = strlen(context);

    t->heads_len = 0;
    t->nparts = 0;
    t->total = 0;
    tbs_head(t, TK_COSE_MAJOR_ARRAY, fields);
    tbs_head(t, TK_COSE_MAJOR_TSTR, len);
    /* The context strings are at most 16 bytes ("CounterSignature0"
     * excluded), so they fit in heads[] with five bstr heads of 9. */
    memcpy(t->heads + t->heads_len, context, len);
    t->parts[t->nparts - 1].len += len;
    t->heads_len += len;
    t->total += len;
}

void tk_cose_tbs_bstr(tk_cose_tbs *t, tk_view v)
{
    tbs_head(t, TK_COSE_MAJOR_BSTR, v.len);
    if (v.len > 0) {
        t->parts[t->nparts++] = v;
        t->total += v.len;
    }
}

tk_err tk_cose_tbs_flatten(const tk_cose_tbs *t, uint8_t *buf, size_t cap,
                           tk_view *flat)
{
    size_t off = 0;

    if (buf == NULL || t->total > cap) {
        return TK_ERR_COSE_SCRATCH_TOO_SMALL;
    }
    for (size_t i = 0; i < t->nparts; i++) {
        if (t->parts[i].len > 0) {
            memmove(buf + off, t->parts[i].ptr, t->parts[i].len);
        }
        off += t->parts[i].len;
    }
    *flat = (tk_view){buf, off};
    return TK_OK;
}

size_t tk_cose_protected_forms(tk_view prot, tk_view forms[2])
{
    if (prot.len == 1 && prot.ptr[0] == 0xa0) {
        forms[0] = (tk_view){NULL, 0};
        forms[1] = prot;
        return 2;
    }
    forms[0] = prot;
    return 1;
}
