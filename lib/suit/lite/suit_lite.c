/*
 * The lean SUIT processor (include/teepkit/suit_lite.h): envelope,
 * authentication and manifest read straight from their bytes by a small
 * CBOR head reader, and command sequences interpreted in one pass each
 * (draft-ietf-suit-manifest-37 sections 6 and 8).
 *
 * The reader accepts definite lengths only, and only the major types each
 * place allows, so no generic skip and no recursion over CBOR exist here.
 * The interpreter recurses only for try-each and run-sequence, one level
 * below a top-level sequence (MAX_NESTING).
 */
#include <string.h>

#include "teepkit/suit_lite.h"

/* Levels of try-each and run-sequence below a top-level sequence. */
#define MAX_NESTING 1u

/* Bytes of a SHA-256 digest. */
#define SHA256_SIZE 32u

/* Byte strings in one component identifier. */
#define MAX_ID_PARTS 8u

/* Manifest key of the shared sequence in errors. */
#define SECTION_SHARED 3

/* CBOR major types. */
enum { M_UINT = 0, M_NINT, M_BSTR, M_TSTR, M_ARRAY, M_MAP, M_TAG, M_SIMPLE };
#define CBOR_TRUE 21u
#define HEAD_ERROR 0xffu

/* A position in a CBOR item and the first error met. */
typedef struct cbor_reader {
    const uint8_t *p;
    const uint8_t *end;
    tk_err err;
} cbor_reader;

static void rd_init(cbor_reader *r, tk_view v)
{
    r->p = v.ptr;
    r->end = v.ptr != NULL ? v.ptr + v.len : NULL;
    r->err = TK_OK;
}

static void rd_fail(cbor_reader *r, tk_err e)
{
    if (r->err == TK_OK)
        r->err = e;
    r->p = r->end;
}

/* Major type of the next item without reading it, or HEAD_ERROR. */
static uint8_t rd_peek(const cbor_reader *r)
{
    return r->err == TK_OK && r->p < r->end ? (uint8_t)(*r->p >> 5)
                                            : HEAD_ERROR;
}

/* Reads one head: returns its major type and sets *val, or HEAD_ERROR.
 * Indefinite lengths, reserved values and floats are refused. */
static uint8_t rd_head(cbor_reader *r, uint64_t *val)
{
    *val = 0;
    if (r->err != TK_OK || r->p >= r->end) {
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
        return HEAD_ERROR;
    }
    uint8_t ib = *r->p++;
    uint8_t major = (uint8_t)(ib >> 5);
    uint8_t ai = (uint8_t)(ib & 31u);
    uint64_t v = ai;
    if (ai >= 24) {
        size_t n = (size_t)1 << (ai - 24);
        if (ai > 27 || major == M_SIMPLE || (size_t)(r->end - r->p) < n) {
            rd_fail(r, TK_ERR_SUIT_MALFORMED);
            return HEAD_ERROR;
        }
        v = 0;
        for (size_t i = 0; i < n; i++)
            v = (v << 8) | *r->p++;
    }
    *val = v;
    return major;
}

/* Reads a head of major type `major`; fails on another type. */
static uint64_t rd_expect(cbor_reader *r, uint8_t major)
{
    uint64_t v;
    if (rd_head(r, &v) != major)
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    return r->err == TK_OK ? v : 0;
}

/* Reads a byte or text string (major 2 or 3). */
static tk_view rd_str(cbor_reader *r, uint8_t major)
{
    tk_view v = {r->p, 0};
    uint64_t len = rd_expect(r, major);
    if (r->err == TK_OK && len > (uint64_t)(r->end - r->p))
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    if (r->err != TK_OK)
        return (tk_view){NULL, 0};
    v.ptr = r->p;
    v.len = (size_t)len;
    r->p += len;
    return v;
}

/* Reads a byte string and sets *wrapped to it with its head. */
static tk_view rd_wrapped(cbor_reader *r, tk_view *wrapped)
{
    const uint8_t *start = r->p;
    tk_view v = rd_str(r, M_BSTR);
    wrapped->ptr = start;
    wrapped->len = r->err == TK_OK ? (size_t)(r->p - start) : 0;
    return v;
}

/* Reads an array or map head; its count is at most the bytes left, since
 * every item takes at least one. */
static size_t rd_count(cbor_reader *r, uint8_t major)
{
    uint64_t n = rd_expect(r, major);
    if (r->err == TK_OK && n > (uint64_t)(r->end - r->p))
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    return r->err == TK_OK ? (size_t)n : 0;
}

/* Ends a reader: its item must fill the view. */
static tk_err rd_done(cbor_reader *r)
{
    if (r->err == TK_OK && r->p != r->end)
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    return r->err;
}

/* Reads a SUIT_Digest, which must be SHA-256: [-16, bstr .size 32]. */
static const uint8_t *rd_digest(cbor_reader *r)
{
    if (rd_count(r, M_ARRAY) != 2)
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    if (rd_expect(r, M_NINT) != 15 && r->err == TK_OK)
        rd_fail(r, TK_ERR_SUIT_DIGEST_ALG);
    tk_view d = rd_str(r, M_BSTR);
    if (r->err == TK_OK && d.len != SHA256_SIZE)
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    return r->err == TK_OK ? d.ptr : NULL;
}

/* Decodes a whole bstr content holding a SHA-256 SUIT_Digest. */
static const uint8_t *digest_of(tk_view bytes, tk_err *err)
{
    cbor_reader r;
    rd_init(&r, bytes);
    const uint8_t *d = rd_digest(&r);
    *err = rd_done(&r);
    return *err == TK_OK ? d : NULL;
}

/* Tells whether two views hold the same bytes. */
static bool view_eq(tk_view a, tk_view b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Sets a "seen" bit for a map key below 32; false for a repeated key. */
static bool key_once(uint32_t *seen, uint64_t key)
{
    uint32_t bit = key < 32 ? 1u << key : 0;
    if ((*seen & bit) != 0)
        return false;
    *seen |= bit;
    return true;
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                 */
/* ---------------------------------------------------------------------- */

/* Keeps the first failure with the position of `at` in the envelope. */
static tk_err fail_at(tk_suit_lite *lite, tk_err code, const uint8_t *at,
                      int64_t command, uint32_t component)
{
    tk_suit_lite_error *e = &lite->error;
    if (code == TK_OK || e->code != TK_OK)
        return code;
    e->code = code;
    e->offset = at != NULL && at >= lite->input.ptr &&
                        at <= lite->input.ptr + lite->input.len
                    ? (size_t)(at - lite->input.ptr)
                    : 0;
    e->section = lite->section;
    e->command = command;
    e->component = component;
    return code;
}

/* ---------------------------------------------------------------------- */
/* Hashing                                                                */
/* ---------------------------------------------------------------------- */

/* Tells whether the SHA-256 of data equals expected (constant time). */
static tk_err sha256_check(tk_suit_lite *lite, tk_view data,
                           const uint8_t *expected, tk_err mismatch)
{
    const tk_crypto *c = lite->cfg.crypto;
    uint8_t out[SHA256_SIZE];
    size_t len = 0;
    tk_err e = c->hash(c->ctx, TK_ALG_SHA256, &data, 1, out, sizeof(out),
                       &len);
    if (e != TK_OK)
        return e;
    return len == SHA256_SIZE && tk_crypto_ct_equal(out, expected, len)
               ? TK_OK
               : mismatch;
}

/* ---------------------------------------------------------------------- */
/* Authentication (draft-ietf-suit-manifest-37 section 8.3, RFC 9052      */
/* section 4)                                                             */
/* ---------------------------------------------------------------------- */

/* Length of a CBOR head of major type major and value len at out. */
static size_t head_put(uint8_t *out, uint8_t major, size_t len)
{
    uint8_t mt = (uint8_t)(major << 5);
    if (len < 24) {
        out[0] = (uint8_t)(mt | len);
        return 1;
    }
    if (len < 256) {
        out[0] = (uint8_t)(mt | 24u);
        out[1] = (uint8_t)len;
        return 2;
    }
    out[0] = (uint8_t)(mt | 25u);
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)len;
    return 3;
}

/*
 * Verifies one COSE_Sign1_Tagged block over the detached payload (the
 * bstr content of the wrapper's digest). The protected header must be
 * exactly {1: ES256 or ESP256}, the unprotected one empty or {4: kid},
 * the payload nil. The Sig_structure is hashed in pieces: its framing,
 * the protected header and the payload.
 */
static tk_err sign1_verify(tk_suit_lite *lite, tk_view block, tk_view payload)
{
    static const uint8_t context[] = {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a',
                                      't', 'u', 'r', 'e', '1'};
    const tk_suit_platform *pf = lite->cfg.platform;
    const tk_crypto *c = lite->cfg.crypto;
    tk_suit_key_request req;
    const tk_key *key = NULL;
    uint8_t head1[sizeof(context) + 3];
    uint8_t head2[4];
    cbor_reader r;
    cbor_reader h;
    uint64_t v;

    memset(&req, 0, sizeof(req));
    rd_init(&r, block);
    if (rd_head(&r, &v) != M_TAG || v != 18 || rd_count(&r, M_ARRAY) != 4)
        return TK_ERR_SUIT_ALG_UNSUPPORTED;
    tk_view prot = rd_str(&r, M_BSTR);
    rd_init(&h, prot);
    if (rd_count(&h, M_MAP) != 1 || rd_expect(&h, M_UINT) != 1 ||
        rd_head(&h, &v) != M_NINT || (v != 6 && v != 8) ||
        rd_done(&h) != TK_OK)
        return TK_ERR_SUIT_ALG_UNSUPPORTED;
    req.alg = -1 - (tk_alg)v;
    size_t n = rd_count(&r, M_MAP);
    if (n > 1 || (n == 1 && rd_expect(&r, M_UINT) != 4))
        return TK_ERR_SUIT_ALG_UNSUPPORTED;
    if (n == 1)
        req.kid = rd_str(&r, M_BSTR);
    if (r.err == TK_OK && (r.p >= r.end || *r.p++ != 0xf6))
        return TK_ERR_SUIT_AUTH_PAYLOAD;
    tk_view sig = rd_str(&r, M_BSTR);
    if (rd_done(&r) != TK_OK)
        return TK_ERR_SUIT_MALFORMED;

    req.use = TK_SUIT_KEY_MANIFEST;
    tk_err e = pf->find_key(pf->ctx, &req, &key);
    if (e == TK_ERR_NOT_FOUND || (e == TK_OK && key == NULL))
        return TK_ERR_SUIT_KEY_NOT_FOUND;
    if (e != TK_OK)
        return e;
    memcpy(head1, context, sizeof(context));
    tk_view parts[4] = {
        {head1, sizeof(context) + head_put(head1 + sizeof(context), M_BSTR,
                                           prot.len)},
        prot,
        {head2, 1 + head_put(head2 + 1, M_BSTR, payload.len)},
        payload};
    head2[0] = 0x40; /* external_aad: empty bstr */
    if (c->verify(c->ctx, (tk_alg)req.alg, key, parts, 4, sig) != TK_OK)
        return TK_ERR_SUIT_SIGNATURE;
    if (lite->signer == NULL)
        lite->signer = key;
    return TK_OK;
}

/* Checks the authentication wrapper: [bstr .cbor SUIT_Digest, + bstr
 * .cbor COSE_Sign1_Tagged]. Every block must verify. */
static tk_err auth_check(tk_suit_lite *lite, tk_view wrapper)
{
    cbor_reader r;
    rd_init(&r, wrapper);
    size_t n = rd_count(&r, M_ARRAY);
    tk_view payload = rd_str(&r, M_BSTR);
    if (r.err != TK_OK)
        return fail_at(lite, r.err, r.p, 0, TK_SUIT_NO_COMPONENT);
    tk_err e = TK_OK;
    lite->digest = digest_of(payload, &e);
    if (e == TK_OK)
        e = sha256_check(lite, lite->manifest_wrapped, lite->digest,
                         TK_ERR_SUIT_MANIFEST_DIGEST);
    if (e == TK_OK && n < 2)
        e = TK_ERR_SUIT_NO_SIGNATURE;
    if (e == TK_OK && n - 1 > TK_SUIT_MAX_SIGNATURES)
        e = TK_ERR_LIMIT;
    if (e != TK_OK)
        return fail_at(lite, e, payload.ptr, 0, TK_SUIT_NO_COMPONENT);
    for (size_t i = 1; i < n; i++) {
        const uint8_t *at = r.p;
        tk_view block = rd_str(&r, M_BSTR);
        e = r.err != TK_OK ? r.err : sign1_verify(lite, block, payload);
        if (e != TK_OK)
            return fail_at(lite, e, at, 0, TK_SUIT_NO_COMPONENT);
    }
    return fail_at(lite, rd_done(&r), r.p, 0, TK_SUIT_NO_COMPONENT);
}

/* ---------------------------------------------------------------------- */
/* Envelope and manifest                                                  */
/* ---------------------------------------------------------------------- */

/* Index in severed[] of envelope member 16, 20 or 23, or -1. */
static int severed_index(uint64_t key)
{
    switch (key) {
    case 16:
        return 0;
    case 20:
        return 1;
    case 23:
        return 2;
    default:
        return -1;
    }
}

/* Reads the envelope map. Nothing of the manifest is read here. */
static tk_err envelope_read(tk_suit_lite *lite, tk_view *auth)
{
    uint32_t seen = 0;
    uint64_t v;
    cbor_reader r;
    rd_init(&r, lite->input);
    if (rd_peek(&r) == M_TAG &&
        (rd_head(&r, &v) != M_TAG || v != TK_SUIT_ENVELOPE_TAG))
        rd_fail(&r, TK_ERR_SUIT_MALFORMED);
    size_t n = rd_count(&r, M_MAP);
    for (size_t i = 0; i < n && r.err == TK_OK; i++) {
        const uint8_t *at = r.p;
        if (rd_peek(&r) == M_TSTR) {
            tk_view key = rd_str(&r, M_TSTR);
            for (size_t k = 0; k < lite->integrated_count; k++)
                if (view_eq(lite->integrated[k][0], key))
                    rd_fail(&r, TK_ERR_SUIT_DUPLICATE_KEY);
            if (lite->integrated_count >= TK_SUIT_MAX_INTEGRATED)
                rd_fail(&r, TK_ERR_LIMIT);
            if (r.err != TK_OK)
                return fail_at(lite, r.err, at, 0, TK_SUIT_NO_COMPONENT);
            lite->integrated[lite->integrated_count][0] = key;
            lite->integrated[lite->integrated_count++][1] = rd_str(&r, M_BSTR);
            continue;
        }
        uint64_t key = rd_expect(&r, M_UINT);
        int sev = severed_index(key);
        if (r.err == TK_OK && !key_once(&seen, key))
            rd_fail(&r, TK_ERR_SUIT_DUPLICATE_KEY);
        if (key == TK_SUIT_ENV_AUTHENTICATION)
            *auth = rd_str(&r, M_BSTR);
        else if (key == TK_SUIT_ENV_MANIFEST)
            lite->manifest = rd_wrapped(&r, &lite->manifest_wrapped);
        else if (sev >= 0)
            rd_wrapped(&r, &lite->severed[sev]);
        else
            rd_fail(&r, TK_ERR_SUIT_UNKNOWN_MEMBER);
        if (r.err != TK_OK)
            return fail_at(lite, r.err, at, 0, TK_SUIT_NO_COMPONENT);
    }
    if (rd_done(&r) != TK_OK)
        return fail_at(lite, r.err, r.p, 0, TK_SUIT_NO_COMPONENT);
    if ((seen & 0x0cu) != 0x0cu)
        return fail_at(lite, TK_ERR_SUIT_MISSING_MEMBER, lite->input.ptr, 0,
                       TK_SUIT_NO_COMPONENT);
    return TK_OK;
}

/* Reads suit-common: components and the shared sequence. */
static tk_err common_read(tk_suit_lite *lite, tk_view common)
{
    uint32_t seen = 0;
    cbor_reader r;
    rd_init(&r, common);
    size_t n = rd_count(&r, M_MAP);
    for (size_t i = 0; i < n && r.err == TK_OK; i++) {
        uint64_t key = rd_expect(&r, M_UINT);
        if (r.err == TK_OK && !key_once(&seen, key))
            rd_fail(&r, TK_ERR_SUIT_DUPLICATE_KEY);
        if (key == TK_SUIT_COMMON_SHARED_SEQUENCE) {
            lite->shared = rd_str(&r, M_BSTR);
            continue;
        }
        if (key != TK_SUIT_COMMON_COMPONENTS) {
            rd_fail(&r, TK_ERR_SUIT_UNKNOWN_MEMBER);
            break;
        }
        size_t count = rd_count(&r, M_ARRAY);
        if (count > TK_SUIT_MAX_COMPONENTS)
            rd_fail(&r, TK_ERR_LIMIT);
        if (count == 0)
            rd_fail(&r, TK_ERR_SUIT_MALFORMED);
        for (size_t c = 0; c < count && r.err == TK_OK; c++) {
            const uint8_t *start = r.p;
            size_t parts = rd_count(&r, M_ARRAY);
            if (parts > MAX_ID_PARTS)
                rd_fail(&r, TK_ERR_LIMIT);
            for (size_t k = 0; k < parts && r.err == TK_OK; k++)
                rd_str(&r, M_BSTR);
            tk_view id = {start, (size_t)(r.p - start)};
            for (size_t k = 0; k < c; k++)
                if (view_eq(lite->components[k], id))
                    rd_fail(&r, TK_ERR_SUIT_MALFORMED);
            lite->components[c] = id;
        }
        lite->component_count = (uint32_t)count;
    }
    if (rd_done(&r) == TK_OK && lite->component_count == 0)
        r.err = TK_ERR_SUIT_MISSING_MEMBER;
    return fail_at(lite, r.err, r.p, 0, TK_SUIT_NO_COMPONENT);
}

/* Reads a member that may be severed: its bstr, or the digest of the
 * envelope member of the same key, which must match when present. */
static tk_err severable_read(tk_suit_lite *lite, cbor_reader *r, int sev, tk_view *out)
{
    if (rd_peek(r) != M_ARRAY) {
        *out = rd_str(r, M_BSTR);
        return r->err;
    }
    const uint8_t *digest = rd_digest(r);
    tk_view wrapped = lite->severed[sev];
    if (r->err != TK_OK)
        return r->err;
    out->ptr = NULL;
    if (wrapped.ptr == NULL)
        return TK_OK;
    tk_err e = sha256_check(lite, wrapped, digest, TK_ERR_SUIT_SEVERED_DIGEST);
    if (e != TK_OK)
        return fail_at(lite, e, wrapped.ptr, 0, TK_SUIT_NO_COMPONENT);
    cbor_reader w;
    rd_init(&w, wrapped);
    *out = rd_str(&w, M_BSTR);
    return TK_OK;
}

/* Position in sequence[] of a manifest key, or -1. */
static int section_of(uint64_t key)
{
    switch (key) {
    case TK_SUIT_MANIFEST_PAYLOAD_FETCH:
        return TK_SUIT_LITE_FETCH;
    case TK_SUIT_MANIFEST_INSTALL:
        return TK_SUIT_LITE_INSTALL;
    case TK_SUIT_MANIFEST_VALIDATE:
        return TK_SUIT_LITE_VALIDATE;
    case TK_SUIT_MANIFEST_LOAD:
        return TK_SUIT_LITE_LOAD;
    case TK_SUIT_MANIFEST_INVOKE:
        return TK_SUIT_LITE_INVOKE;
    default:
        return -1;
    }
}

/* Checks a language tag: [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*. */
static bool language_valid(tk_view tag)
{
    size_t run = 0;
    bool first = true;
    for (size_t i = 0; i < tag.len; i++) {
        uint8_t c = (uint8_t)(tag.ptr[i] | 0x20u);
        bool alpha = c >= 'a' && c <= 'z';
        bool digit = tag.ptr[i] >= '0' && tag.ptr[i] <= '9';
        if (tag.ptr[i] == '-') {
            if (run == 0)
                return false;
            run = 0;
            first = false;
        } else if ((!alpha && !(digit && !first)) || ++run > 8) {
            return false;
        }
    }
    return run > 0;
}

/* Checks UTF-8 (RFC 3629 section 4): no overlong forms, surrogates or
 * code points above U+10FFFF. */
static bool utf8_valid(tk_view v)
{
    size_t i = 0;
    while (i < v.len) {
        uint8_t c = v.ptr[i];
        size_t n = 0;
        uint32_t min = 0;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            min = 0x80;
        } else if ((c & 0xf0u) == 0xe0) {
            n = 2;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            min = 0x10000;
        } else if (c >= 0x80) {
            return false;
        }
        if (v.len - i <= n)
            return false;
        uint32_t cp = c & (0x7fu >> n);
        for (size_t k = 1; k <= n; k++) {
            if ((v.ptr[i + k] & 0xc0u) != 0x80)
                return false;
            cp = (cp << 6) | (v.ptr[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* Reads one "key => text" entry of a text map: keys 0..31, unique in
 * *seen, with UTF-8 text. */
static void text_entry(cbor_reader *r, uint32_t *seen)
{
    uint64_t key = rd_expect(r, M_UINT);
    tk_view v = rd_str(r, M_TSTR);
    if (key >= 32 || !key_once(seen, key) || !utf8_valid(v))
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
}

/*
 * Checks suit-text, which only informs. Accepted is a subset of
 * SUIT_Text_Map (draft-ietf-suit-manifest-37 section 8.4.4): one language
 * whose map contains unique keys 0..31 and unique listed components, each
 * with a map of unique keys 0..31, all text in UTF-8.
 */
static tk_err text_check(const tk_suit_lite *lite, tk_view text)
{
    uint32_t seen = 0;
    uint32_t components = 0;
    cbor_reader r;
    rd_init(&r, text);
    size_t n = rd_count(&r, M_MAP);
    if (n > 1 || (n == 1 && !language_valid(rd_str(&r, M_TSTR))))
        rd_fail(&r, TK_ERR_SUIT_MALFORMED);
    size_t m = n == 1 ? rd_count(&r, M_MAP) : 0;
    for (size_t i = 0; i < m && r.err == TK_OK; i++) {
        if (rd_peek(&r) != M_ARRAY) {
            text_entry(&r, &seen);
            continue;
        }
        const uint8_t *start = r.p;
        size_t parts = rd_count(&r, M_ARRAY);
        for (size_t k = 0; k < parts && r.err == TK_OK; k++)
            rd_str(&r, M_BSTR);
        uint32_t bit = 0;
        for (uint32_t c = 0; c < lite->component_count; c++)
            if (view_eq(lite->components[c],
                        (tk_view){start, (size_t)(r.p - start)}))
                bit = 1u << c;
        if (bit == 0 || (components & bit) != 0)
            rd_fail(&r, TK_ERR_SUIT_MALFORMED);
        components |= bit;
        uint32_t keys = 0;
        size_t count = rd_count(&r, M_MAP);
        for (size_t k = 0; k < count && r.err == TK_OK; k++)
            text_entry(&r, &keys);
    }
    return rd_done(&r);
}

/* Reads the authenticated manifest. */
static tk_err manifest_read(tk_suit_lite *lite)
{
    uint32_t seen = 0;
    tk_view common = {NULL, 0};
    tk_view text = {NULL, 0};
    cbor_reader r;
    rd_init(&r, lite->manifest);
    size_t n = rd_count(&r, M_MAP);
    for (size_t i = 0; i < n && r.err == TK_OK; i++) {
        const uint8_t *at = r.p;
        uint64_t key = rd_expect(&r, M_UINT);
        int section = section_of(key);
        if (r.err == TK_OK && !key_once(&seen, key))
            rd_fail(&r, TK_ERR_SUIT_DUPLICATE_KEY);
        if (r.err != TK_OK)
            break;
        if (key == TK_SUIT_MANIFEST_VERSION) {
            if (rd_expect(&r, M_UINT) != 1 && r.err == TK_OK)
                rd_fail(&r, TK_ERR_SUIT_MANIFEST_VERSION);
        } else if (key == TK_SUIT_MANIFEST_SEQUENCE_NUMBER) {
            lite->sequence_number = rd_expect(&r, M_UINT);
        } else if (key == TK_SUIT_MANIFEST_COMMON) {
            common = rd_str(&r, M_BSTR);
        } else if (key == TK_SUIT_MANIFEST_REFERENCE_URI) {
            rd_str(&r, M_TSTR);
        } else if (key == TK_SUIT_MANIFEST_TEXT) {
            severable_read(lite, &r, 2, &text);
        } else if (section >= TK_SUIT_LITE_VALIDATE) {
            lite->sequence[section] = rd_str(&r, M_BSTR);
        } else if (section >= 0) {
            if (severable_read(lite, &r, section, &lite->sequence[section]) ==
                    TK_OK &&
                lite->sequence[section].ptr == NULL)
                lite->severed_missing |= (uint8_t)(1u << section);
        } else {
            rd_fail(&r, TK_ERR_SUIT_UNKNOWN_MEMBER);
        }
        if (r.err != TK_OK)
            return fail_at(lite, r.err, at, 0, TK_SUIT_NO_COMPONENT);
        if (lite->error.code != TK_OK)
            return lite->error.code;
    }
    if (rd_done(&r) != TK_OK)
        return fail_at(lite, r.err, r.p, 0, TK_SUIT_NO_COMPONENT);
    if ((seen & 0x0eu) != 0x0eu)
        return fail_at(lite, TK_ERR_SUIT_MISSING_MEMBER, lite->manifest.ptr, 0,
                       TK_SUIT_NO_COMPONENT);
    tk_err e = common_read(lite, common);
    if (e == TK_OK && text.ptr != NULL)
        e = fail_at(lite, text_check(lite, text), text.ptr, 0, TK_SUIT_NO_COMPONENT);
    return e;
}

/* ---------------------------------------------------------------------- */
/* Parameters (draft-ietf-suit-manifest-37 section 8.4.8)                 */
/* ---------------------------------------------------------------------- */

/* Kinds of parameter values. */
enum {
    P_NONE = 0, /* not supported */
    P_UUID,     /* bstr of 16 bytes */
    P_DIGEST,   /* bstr .cbor SUIT_Digest (SHA-256) */
    P_BSTR,
    P_TSTR,
    P_UINT,
    P_INDEX     /* uint naming a component */
};

/* Kind (high nibble) and slot (low nibble) of each parameter key. */
static const uint8_t param_kinds[25] = {
    [TK_SUIT_PARAM_VENDOR_ID] = P_UUID << 4 | 0,
    [TK_SUIT_PARAM_CLASS_ID] = P_UUID << 4 | 1,
    [TK_SUIT_PARAM_IMAGE_DIGEST] = P_DIGEST << 4 | 2,
    [TK_SUIT_PARAM_CONTENT] = P_BSTR << 4 | 3,
    [TK_SUIT_PARAM_URI] = P_TSTR << 4 | 4,
    [TK_SUIT_PARAM_INVOKE_ARGS] = P_BSTR << 4 | 5,
    [TK_SUIT_PARAM_DEVICE_ID] = P_UUID << 4 | 6,
    [TK_SUIT_PARAM_COMPONENT_SLOT] = P_UINT << 4 | 0,
    [TK_SUIT_PARAM_IMAGE_SIZE] = P_UINT << 4 | 1,
    [TK_SUIT_PARAM_SOURCE_COMPONENT] = P_INDEX << 4 | 2,
};

/* Slots of the parameters the commands read. */
enum { V_VENDOR = 0, V_CLASS, V_DIGEST, V_CONTENT, V_URI, V_ARGS, V_DEVICE };
enum { N_SLOT = 0, N_SIZE, N_SOURCE };

static bool has(const tk_suit_lite_params *p, unsigned key)
{
    return (p->set & (1u << key)) != 0;
}

/* Applies the parameter map at r to component `comp`; set-parameters
 * (override false) keeps values already set. */
static tk_err params_apply(tk_suit_lite *lite, cbor_reader *r, uint32_t comp,
                           bool override)
{
    tk_suit_lite_params *p = &lite->params[comp];
    uint32_t seen = 0;
    size_t n = rd_count(r, M_MAP);
    if (n == 0)
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    for (size_t i = 0; i < n && r->err == TK_OK; i++) {
        uint64_t key = rd_expect(r, M_UINT);
        uint8_t kind = key < sizeof(param_kinds) ? param_kinds[key] : 0;
        uint8_t slot = (uint8_t)(kind & 15u);
        tk_view v = {NULL, 0};
        uint64_t num = 0;
        if (r->err != TK_OK)
            break;
        if (!key_once(&seen, key))
            return TK_ERR_SUIT_DUPLICATE_KEY;
        switch (kind >> 4) {
        case P_UUID:
            v = rd_str(r, M_BSTR);
            if (r->err == TK_OK && v.len != 16)
                return TK_ERR_SUIT_MALFORMED;
            break;
        case P_DIGEST: {
            tk_err e = TK_OK;
            v = rd_str(r, M_BSTR);
            if (r->err == TK_OK && digest_of(v, &e) == NULL)
                return e;
            break;
        }
        case P_BSTR:
            v = rd_str(r, M_BSTR);
            break;
        case P_TSTR:
            v = rd_str(r, M_TSTR);
            break;
        case P_UINT:
        case P_INDEX:
            num = rd_expect(r, M_UINT);
            if (r->err == TK_OK && (kind >> 4) == P_INDEX &&
                num >= lite->component_count)
                return TK_ERR_SUIT_COMPONENT_INDEX;
            break;
        default:
            return TK_ERR_SUIT_PARAMETER_UNSUPPORTED;
        }
        if (r->err != TK_OK || (!override && has(p, (unsigned)key)))
            continue;
        p->set |= 1u << key;
        if ((kind >> 4) >= P_UINT)
            p->num[slot] = num;
        else
            p->view[slot] = v;
    }
    return r->err;
}

/* ---------------------------------------------------------------------- */
/* Components                                                             */
/* ---------------------------------------------------------------------- */

/* Describes component index to the platform. */
static void component_of(const tk_suit_lite *lite, uint32_t index,
                         tk_suit_component *c)
{
    const tk_suit_lite_params *p = &lite->params[index];
    memset(c, 0, sizeof(*c));
    c->id = lite->components[index];
    c->index = index;
    c->has_slot = has(p, TK_SUIT_PARAM_COMPONENT_SLOT);
    c->slot = p->num[N_SLOT];
}

/* Asks the platform whether component index may be accessed. */
static tk_err access_check(tk_suit_lite *lite, uint32_t index,
                           tk_suit_access access)
{
    const tk_suit_platform *pf = lite->cfg.platform;
    tk_suit_requester requester;
    tk_suit_component c;
    bool allowed = false;
    if (pf->allow == NULL)
        return TK_OK;
    memset(&requester, 0, sizeof(requester));
    requester.signer = lite->signer;
    component_of(lite, index, &c);
    tk_err e = pf->allow(pf->ctx, &requester, &c, access, &allowed);
    if (e != TK_OK)
        return e;
    return allowed ? TK_OK : TK_ERR_SUIT_COMPONENT_UNAUTHORIZED;
}

/* Streams size bytes of component c into the hash (sink NULL) or into
 * the open sink. */
static tk_err component_stream(tk_suit_lite *lite, const tk_suit_component *c,
                               uint64_t size, tk_suit_lite_sink *sink)
{
    const tk_suit_platform *pf = lite->cfg.platform;
    const tk_crypto *cr = lite->cfg.crypto;
    uint64_t done = 0;
    tk_view map;
    tk_err e = TK_ERR_UNSUPPORTED;
    if (pf->map != NULL)
        e = pf->map(pf->ctx, c, &map);
    if (e != TK_OK && e != TK_ERR_UNSUPPORTED)
        return e;
    if (e != TK_OK && pf->read == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    /* Each pass moves at least one byte or stops. */
    while (done < size) {
        const uint8_t *data = lite->chunk;
        size_t got = 0;
        size_t want = sizeof(lite->chunk);
        if (size - done < want)
            want = (size_t)(size - done);
        if (e == TK_OK) {
            if (map.len < size)
                size = map.len;
            data = map.ptr;
            got = (size_t)size;
            if (got == 0)
                break;
        } else {
            tk_err r = pf->read(pf->ctx, c, done, lite->chunk, want, &got);
            if (r != TK_OK)
                return r;
            if (got == 0)
                return TK_ERR_SUIT_COMPONENT_ABSENT;
            if (got > want)
                return TK_ERR_CALLBACK;
        }
        tk_err w = sink != NULL
                       ? tk_suit_lite_sink_write(sink, data, got)
                       : cr->hash_update(cr->ctx, &lite->hash, data, got);
        if (w != TK_OK)
            return w;
        done += got;
    }
    return TK_OK;
}

/* suit-condition-image-match. */
static tk_err image_match(tk_suit_lite *lite, uint32_t index)
{
    const tk_suit_platform *pf = lite->cfg.platform;
    const tk_crypto *cr = lite->cfg.crypto;
    const tk_suit_lite_params *p = &lite->params[index];
    tk_suit_component c;
    tk_suit_component_info info;
    uint8_t out[TK_CRYPTO_MAX_HASH_SIZE];
    size_t len = 0;
    tk_err e;
    if (!has(p, TK_SUIT_PARAM_IMAGE_DIGEST))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    const uint8_t *want = digest_of(p->view[V_DIGEST], &e);
    component_of(lite, index, &c);
    memset(&info, 0, sizeof(info));
    e = pf->stat(pf->ctx, &c, &info);
    if (e != TK_OK)
        return e;
    if (!info.present)
        return TK_ERR_SUIT_IMAGE_MISMATCH;
    e = TK_ERR_UNSUPPORTED;
    if (pf->digest != NULL)
        e = pf->digest(pf->ctx, &c, TK_ALG_SHA256, out, sizeof(out), &len);
    if (e == TK_ERR_UNSUPPORTED) {
        e = cr->hash_start(cr->ctx, &lite->hash, TK_ALG_SHA256);
        if (e != TK_OK)
            return e;
        e = component_stream(lite, &c, info.size, NULL);
        if (e == TK_OK)
            e = cr->hash_finish(cr->ctx, &lite->hash, out, sizeof(out), &len);
        else
            cr->hash_abort(cr->ctx, &lite->hash);
    }
    if (e != TK_OK)
        return e;
    return len == SHA256_SIZE && tk_crypto_ct_equal(out, want, len)
               ? TK_OK
               : TK_ERR_SUIT_IMAGE_MISMATCH;
}

tk_err tk_suit_lite_sink_write(tk_suit_lite_sink *sink, const uint8_t *data,
                               size_t len)
{
    if (sink == NULL || (data == NULL && len > 0))
        return TK_ERR_INVALID_ARG;
    tk_err e = sink->err;
    if (e == TK_OK && len > 0) {
        if (sink->has_limit &&
            (len > sink->limit || sink->written > sink->limit - len))
            e = TK_ERR_SUIT_IMAGE_SIZE;
        else
            e = sink->platform->write(sink->platform->ctx, &sink->comp,
                                      sink->written, data, len);
        sink->written += len;
    }
    sink->err = e;
    return e;
}

/* Fetch, copy and write: stream into component index. The source is an
 * integrated payload or content (data), the lite fetch callback (uri), or
 * a component (src). */
static tk_err write_image(tk_suit_lite *lite, uint32_t index, int64_t label)
{
    const tk_suit_platform *pf = lite->cfg.platform;
    const tk_suit_lite_params *p = &lite->params[index];
    tk_suit_lite_sink *sink = &lite->sink;
    tk_suit_component src;
    tk_suit_component_info info;
    tk_view data = p->view[V_CONTENT];
    uint64_t size = UINT64_MAX;
    bool stream = false;
    tk_err e;

    memset(sink, 0, sizeof(*sink));
    sink->platform = pf;
    component_of(lite, index, &sink->comp);
    sink->has_limit = has(p, TK_SUIT_PARAM_IMAGE_SIZE);
    sink->limit = p->num[N_SIZE];
    if (label == TK_SUIT_DIR_WRITE && !has(p, TK_SUIT_PARAM_CONTENT))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    if (label == TK_SUIT_DIR_FETCH) {
        tk_view uri = p->view[V_URI];
        if (!has(p, TK_SUIT_PARAM_URI))
            return TK_ERR_SUIT_PARAMETER_MISSING;
        e = access_check(lite, index, TK_SUIT_ACCESS_WRITE);
        if (e != TK_OK)
            return e;
        data.ptr = NULL;
        for (size_t i = 0; i < lite->integrated_count; i++)
            if (view_eq(lite->integrated[i][0], uri))
                data = lite->integrated[i][1];
        if (data.ptr == NULL) {
            if (uri.len > 0 && uri.ptr[0] == '#')
                return TK_ERR_SUIT_INTEGRATED_MISSING;
            if (lite->cfg.fetch == NULL)
                return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
            stream = true;
            if (sink->has_limit)
                size = sink->limit;
        }
    } else if (label == TK_SUIT_DIR_COPY) {
        uint32_t from = (uint32_t)p->num[N_SOURCE];
        if (!has(p, TK_SUIT_PARAM_SOURCE_COMPONENT))
            return TK_ERR_SUIT_PARAMETER_MISSING;
        if (from == index)
            return TK_ERR_SUIT_COMMAND_NOT_ALLOWED;
        e = access_check(lite, from, TK_SUIT_ACCESS_READ);
        if (e == TK_OK)
            e = access_check(lite, index, TK_SUIT_ACCESS_WRITE);
        if (e != TK_OK)
            return e;
        component_of(lite, from, &src);
        memset(&info, 0, sizeof(info));
        e = pf->stat(pf->ctx, &src, &info);
        if (e != TK_OK)
            return e;
        if (!info.present)
            return TK_ERR_SUIT_COMPONENT_ABSENT;
        size = info.size;
    } else {
        e = access_check(lite, index, TK_SUIT_ACCESS_WRITE);
        if (e != TK_OK)
            return e;
    }
    if (label != TK_SUIT_DIR_COPY && !stream)
        size = data.len;
    if (pf->write_begin == NULL || pf->write == NULL ||
        pf->write_end == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    e = pf->write_begin(pf->ctx, &sink->comp, size);
    if (e != TK_OK)
        return e;
    if (label == TK_SUIT_DIR_COPY) {
        e = component_stream(lite, &src, size, sink);
    } else if (stream) {
        tk_suit_fetch_request req;
        memset(&req, 0, sizeof(req));
        req.component = &sink->comp;
        req.uri = p->view[V_URI];
        req.has_size = sink->has_limit;
        req.size = sink->limit;
        e = lite->cfg.fetch(lite->cfg.fetch_ctx, &req, sink);
    } else {
        e = tk_suit_lite_sink_write(sink, data.ptr, data.len);
    }
    if (e == TK_OK)
        e = sink->err;
    tk_err end = pf->write_end(pf->ctx, &sink->comp, e);
    return e != TK_OK ? e : end;
}

/* Identifier conditions: vendor, class and device. */
static tk_err identifier(tk_suit_lite *lite, uint32_t index, unsigned key,
                         tk_suit_identifier kind, unsigned slot, tk_err fail)
{
    const tk_suit_platform *pf = lite->cfg.platform;
    tk_suit_component c;
    bool match = false;
    if (!has(&lite->params[index], key))
        return TK_ERR_SUIT_PARAMETER_MISSING;
    if (pf->match_identifier == NULL)
        return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
    component_of(lite, index, &c);
    tk_err e = pf->match_identifier(pf->ctx, &c, kind,
                                    lite->params[index].view[slot], &match);
    if (e != TK_OK)
        return e;
    return match ? TK_OK : fail;
}

/* Runs condition or directive `label` on component index. *condition
 * is true when a failure is a condition failure that try-each may
 * absorb. */
static tk_err command_one(tk_suit_lite *lite, int64_t label, uint32_t index,
                          bool *condition)
{
    const tk_suit_platform *pf = lite->cfg.platform;
    tk_suit_component c;
    tk_suit_component_info info;
    tk_err e;
    *condition = true;
    switch (label) {
    case TK_SUIT_COND_VENDOR_IDENTIFIER:
        return identifier(lite, index, TK_SUIT_PARAM_VENDOR_ID,
                          TK_SUIT_ID_VENDOR, V_VENDOR, TK_ERR_SUIT_VENDOR_ID);
    case TK_SUIT_COND_CLASS_IDENTIFIER:
        return identifier(lite, index, TK_SUIT_PARAM_CLASS_ID, TK_SUIT_ID_CLASS,
                          V_CLASS, TK_ERR_SUIT_CLASS_ID);
    case TK_SUIT_COND_DEVICE_IDENTIFIER:
        return identifier(lite, index, TK_SUIT_PARAM_DEVICE_ID,
                          TK_SUIT_ID_DEVICE, V_DEVICE, TK_ERR_SUIT_DEVICE_ID);
    case TK_SUIT_COND_IMAGE_MATCH:
        return image_match(lite, index);
    case TK_SUIT_COND_COMPONENT_SLOT:
        if (!has(&lite->params[index], TK_SUIT_PARAM_COMPONENT_SLOT))
            return TK_ERR_SUIT_PARAMETER_MISSING;
        component_of(lite, index, &c);
        memset(&info, 0, sizeof(info));
        e = pf->stat(pf->ctx, &c, &info);
        if (e != TK_OK)
            return e;
        return info.has_slot && info.slot == c.slot
                   ? TK_OK
                   : TK_ERR_SUIT_SLOT_MISMATCH;
    case TK_SUIT_COND_ABORT:
        return TK_ERR_SUIT_ABORT;
    default:
        break;
    }
    *condition = false;
    if (label == TK_SUIT_DIR_INVOKE) {
        e = access_check(lite, index, TK_SUIT_ACCESS_INVOKE);
        if (e != TK_OK)
            return e;
        if (pf->invoke == NULL)
            return TK_ERR_SUIT_COMMAND_UNSUPPORTED;
        component_of(lite, index, &c);
        return pf->invoke(pf->ctx, &c, lite->params[index].view[V_ARGS]);
    }
    return write_image(lite, index, label);
}

/* ---------------------------------------------------------------------- */
/* Command sequences (draft-ietf-suit-manifest-37 sections 6.4 and 8.4)   */
/* ---------------------------------------------------------------------- */

/* Tells whether this processor implements condition or directive
 * label (set-component-index, the parameter directives, try-each and
 * run-sequence excepted). */
static bool supported(int64_t label)
{
    switch (label) {
    case TK_SUIT_COND_VENDOR_IDENTIFIER:
    case TK_SUIT_COND_CLASS_IDENTIFIER:
    case TK_SUIT_COND_IMAGE_MATCH:
    case TK_SUIT_COND_COMPONENT_SLOT:
    case TK_SUIT_COND_ABORT:
    case TK_SUIT_COND_DEVICE_IDENTIFIER:
    case TK_SUIT_DIR_WRITE:
    case TK_SUIT_DIR_FETCH:
    case TK_SUIT_DIR_COPY:
    case TK_SUIT_DIR_INVOKE:
        return true;
    default:
        return false;
    }
}

/* Soft condition failures, which try-each absorbs. */
static bool soft_error(tk_err e)
{
    switch (e) {
    case TK_ERR_SUIT_VENDOR_ID:
    case TK_ERR_SUIT_CLASS_ID:
    case TK_ERR_SUIT_DEVICE_ID:
    case TK_ERR_SUIT_IMAGE_MISMATCH:
    case TK_ERR_SUIT_SLOT_MISMATCH:
    case TK_ERR_SUIT_ABORT:
    case TK_ERR_SUIT_PARAMETER_MISSING:
        return true;
    default:
        return false;
    }
}

/* Reads the argument of set-component-index into list; returns the
 * number of components, 0 on error (*err set). */
static uint32_t selection_read(tk_suit_lite *lite, cbor_reader *r, uint32_t *list,
                               tk_err *err)
{
    uint64_t v;
    uint32_t n = 0;
    uint8_t major = rd_peek(r);
    size_t count = 1;
    *err = TK_OK;
    if (major == M_SIMPLE) {
        if (rd_head(r, &v) == M_SIMPLE && v == CBOR_TRUE) {
            for (n = 0; n < lite->component_count; n++)
                list[n] = n;
            return n;
        }
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    }
    if (major == M_ARRAY) {
        count = rd_count(r, M_ARRAY);
        if (count > TK_SUIT_MAX_COMPONENTS)
            *err = TK_ERR_LIMIT;
        if (count == 0)
            rd_fail(r, TK_ERR_SUIT_MALFORMED);
    }
    for (size_t i = 0; i < count && *err == TK_OK && r->err == TK_OK; i++) {
        v = rd_expect(r, M_UINT);
        if (r->err == TK_OK && v >= lite->component_count)
            *err = TK_ERR_SUIT_COMPONENT_INDEX;
        list[n++] = (uint32_t)v;
    }
    if (*err == TK_OK)
        *err = r->err;
    return *err == TK_OK ? n : 0;
}

/* Checks the whole try-each argument, [+ bstr, ? nil], leaving r after
 * it; returns the number of sequences. */
static size_t try_each_check(cbor_reader *r, bool *has_nil)
{
    size_t n = rd_count(r, M_ARRAY);
    size_t sequences = 0;
    *has_nil = false;
    for (size_t i = 0; i < n && r->err == TK_OK; i++) {
        bool nil = r->p < r->end && *r->p == 0xf6;
        if (*has_nil) {
            /* nil must be the last entry. */
            rd_fail(r, TK_ERR_SUIT_MALFORMED);
        } else if (nil) {
            r->p++;
            *has_nil = true;
        } else {
            rd_str(r, M_BSTR);
            sequences++;
        }
    }
    if (r->err == TK_OK && sequences == 0)
        rd_fail(r, TK_ERR_SUIT_MALFORMED);
    return sequences;
}

static tk_err run_sequence(tk_suit_lite *lite, tk_view seq, unsigned depth,
                           int32_t fixed, bool *condition);

/* Runs try-each (arg at r) on component index. */
static tk_err try_each(tk_suit_lite *lite, cbor_reader arg, unsigned depth,
                       uint32_t index, bool *condition)
{
    bool has_nil = false;
    size_t n = rd_count(&arg, M_ARRAY);
    for (size_t i = 0; i < n; i++) {
        if (*arg.p == 0xf6)
            break;
        tk_view seq = rd_str(&arg, M_BSTR);
        tk_suit_lite_error saved_error = lite->error;
        memcpy(lite->saved, lite->params, sizeof(lite->saved));
        tk_err e = run_sequence(lite, seq, depth + 1, (int32_t)index, condition);
        if (e == TK_OK || !*condition)
            return e;
        /* A soft condition failure: undo the sequence's parameters and
         * try the next one. */
        memcpy(lite->params, lite->saved, sizeof(lite->params));
        lite->error = saved_error;
        has_nil = i + 2 == n;
    }
    *condition = false;
    return has_nil ? TK_OK : TK_ERR_SUIT_TRY_EACH_FAILED;
}

/* Tells whether the shared sequence may hold command label: conditions
 * and parameter directives only (draft-ietf-suit-manifest-37 section
 * 6.2). */
static bool shared_allowed(int64_t label)
{
    return label != TK_SUIT_DIR_WRITE && label != TK_SUIT_DIR_FETCH &&
           label != TK_SUIT_DIR_COPY && label != TK_SUIT_DIR_INVOKE;
}

/*
 * Runs a command sequence. fixed is the component of a nested sequence,
 * or -1 at the top level. *condition is true when a failure
 * is a soft condition failure (for try-each).
 */
static tk_err run_sequence(tk_suit_lite *lite, tk_view seq, unsigned depth,
                           int32_t fixed, bool *condition)
{
    uint32_t list[TK_SUIT_MAX_COMPONENTS];
    uint32_t count = 1;
    tk_err e = TK_OK;
    cbor_reader r;

    *condition = false;
    list[0] = fixed >= 0 ? (uint32_t)fixed : 0;
    rd_init(&r, seq);
    if (depth > MAX_NESTING)
        return fail_at(lite, TK_ERR_SUIT_DEPTH, seq.ptr, 0,
                       TK_SUIT_NO_COMPONENT);
    size_t n = rd_count(&r, M_ARRAY);
    if (n % 2 != 0)
        rd_fail(&r, TK_ERR_SUIT_MALFORMED);
    for (size_t i = 0; i < n / 2 && r.err == TK_OK; i++) {
        const uint8_t *at = r.p;
        uint64_t v = rd_expect(&r, M_UINT);
        int64_t label = v <= 64 ? (int64_t)v : 64;
        cbor_reader arg = r;
        bool sets_index = label == TK_SUIT_DIR_SET_COMPONENT_INDEX;
        if (r.err != TK_OK)
            break;
        if (i == 0 && fixed < 0 && lite->component_count > 1 && !sets_index)
            e = TK_ERR_SUIT_SET_INDEX_REQUIRED;
        else if (lite->in_shared && !shared_allowed(label))
            e = TK_ERR_SUIT_COMMAND_NOT_ALLOWED;
        if (e != TK_OK)
            return fail_at(lite, e, at, label, TK_SUIT_NO_COMPONENT);
        if (sets_index) {
            count = selection_read(lite, &r, list, &e);
            if (e != TK_OK)
                return fail_at(lite, e, at, label, TK_SUIT_NO_COMPONENT);
            continue;
        }
        if (label == TK_SUIT_DIR_TRY_EACH) {
            bool has_nil;
            try_each_check(&r, &has_nil);
        } else if (label == TK_SUIT_DIR_RUN_SEQUENCE) {
            rd_str(&r, M_BSTR);
        } else if (label == TK_SUIT_DIR_SET_PARAMETERS ||
                   label == TK_SUIT_DIR_OVERRIDE_PARAMETERS) {
            /* params_apply() reads the map and moves r past it. */
        } else {
            rd_expect(&r, M_UINT); /* reporting policy */
        }
        if (r.err != TK_OK)
            break;
        for (uint32_t k = 0; k < count && e == TK_OK; k++) {
            cbor_reader a = arg;
            if (label == TK_SUIT_DIR_SET_PARAMETERS ||
                label == TK_SUIT_DIR_OVERRIDE_PARAMETERS) {
                e = params_apply(lite, &a, list[k],
                                 label == TK_SUIT_DIR_OVERRIDE_PARAMETERS);
                r = a;
            } else if (label == TK_SUIT_DIR_TRY_EACH) {
                e = try_each(lite, a, depth, list[k], condition);
            } else if (label == TK_SUIT_DIR_RUN_SEQUENCE) {
                e = run_sequence(lite, rd_str(&a, M_BSTR), depth + 1,
                                 (int32_t)list[k], condition);
            } else if (!supported(label)) {
                e = TK_ERR_SUIT_COMMAND_UNSUPPORTED;
            } else {
                bool cond = false;
                e = command_one(lite, label, list[k], &cond);
                *condition = cond && soft_error(e);
            }
            if (e != TK_OK)
                fail_at(lite, e, at, label, list[k]);
        }
        if (e != TK_OK)
            return e;
    }
    if (rd_done(&r) != TK_OK)
        return fail_at(lite, r.err, r.p, 0, TK_SUIT_NO_COMPONENT);
    return TK_OK;
}

/* ---------------------------------------------------------------------- */
/* Procedures (draft-ietf-suit-manifest-37 section 6)                     */
/* ---------------------------------------------------------------------- */

/* Checks the sequence number against the platform's record of every
 * component: lower is a rollback, equal is allowed only for the same
 * manifest. */
static tk_err rollback_check(tk_suit_lite *lite)
{
    const tk_suit_platform *pf = lite->cfg.platform;
    for (uint32_t i = 0; pf->get_installed != NULL && i < lite->component_count;
         i++) {
        tk_suit_installed rec;
        memset(&rec, 0, sizeof(rec));
        tk_err e = pf->get_installed(pf->ctx, lite->components[i], &rec);
        if (e == TK_ERR_NOT_FOUND)
            continue;
        if (e == TK_OK && lite->sequence_number < rec.sequence_number)
            e = TK_ERR_SUIT_ROLLBACK;
        if (e == TK_OK && lite->sequence_number == rec.sequence_number &&
            rec.digest_alg != 0 && rec.digest_len != 0 &&
            (rec.digest_alg != TK_ALG_SHA256 ||
             rec.digest_len != SHA256_SIZE ||
             !tk_crypto_ct_equal(rec.digest, lite->digest, SHA256_SIZE)))
            e = TK_ERR_SUIT_ROLLBACK_DIGEST;
        if (e != TK_OK)
            return fail_at(lite, e, lite->manifest.ptr, 0, i);
    }
    return TK_OK;
}

/* Stages the rollback record of every component. */
static tk_err record_installs(tk_suit_lite *lite)
{
    const tk_suit_platform *pf = lite->cfg.platform;
    tk_suit_installed rec;
    memset(&rec, 0, sizeof(rec));
    rec.sequence_number = lite->sequence_number;
    rec.digest_alg = TK_ALG_SHA256;
    rec.digest_len = SHA256_SIZE;
    memcpy(rec.digest, lite->digest, SHA256_SIZE);
    for (uint32_t i = 0; pf->set_installed != NULL && i < lite->component_count;
         i++) {
        tk_err e = pf->set_installed(pf->ctx, lite->components[i], &rec);
        if (e != TK_OK)
            return e;
    }
    return TK_OK;
}

/* Runs one section with the shared sequence before it. */
static tk_err section_run(tk_suit_lite *lite, unsigned section)
{
    static const int8_t keys[TK_SUIT_LITE_SECTIONS] = {16, 20, 7, 8, 9};
    tk_view seq = lite->sequence[section];
    bool condition;
    lite->section = keys[section];
    if ((lite->severed_missing & (1u << section)) != 0)
        return fail_at(lite, TK_ERR_SUIT_SEVERED_MISSING, lite->manifest.ptr, 0,
                       TK_SUIT_NO_COMPONENT);
    if (seq.ptr == NULL)
        return TK_OK;
    tk_err e = TK_OK;
    if (lite->shared.ptr != NULL) {
        lite->section = SECTION_SHARED;
        lite->in_shared = true;
        e = run_sequence(lite, lite->shared, 0, -1, &condition);
        lite->in_shared = false;
        lite->section = keys[section];
    }
    return e == TK_OK ? run_sequence(lite, seq, 0, -1, &condition) : e;
}

/* Runs one procedure inside the platform's transaction. */
static tk_err procedure(tk_suit_lite *lite, tk_suit_operation op)
{
    /* Sections of each operation, as positions in sequence[]: update,
     * boot, stage and install (draft-ietf-suit-manifest-37 section 6). */
    static const uint8_t plans[4][3] = {
        {TK_SUIT_LITE_FETCH, TK_SUIT_LITE_INSTALL, TK_SUIT_LITE_VALIDATE},
        {TK_SUIT_LITE_VALIDATE, TK_SUIT_LITE_LOAD, TK_SUIT_LITE_INVOKE},
        {TK_SUIT_LITE_FETCH, TK_SUIT_LITE_SECTIONS, TK_SUIT_LITE_SECTIONS},
        {TK_SUIT_LITE_INSTALL, TK_SUIT_LITE_VALIDATE, TK_SUIT_LITE_SECTIONS}};
    const tk_suit_platform *pf = lite->cfg.platform;
    const uint8_t *plan = plans[op == TK_SUIT_OP_UPDATE  ? 0
                                : op == TK_SUIT_OP_BOOT  ? 1
                                : op == TK_SUIT_OP_STAGE ? 2
                                                         : 3];
    tk_err e = pf->begin != NULL ? pf->begin(pf->ctx, op) : TK_OK;
    if (e != TK_OK)
        return e;
    memset(lite->params, 0, sizeof(lite->params));
    lite->section = 0;
    e = rollback_check(lite);
    for (size_t i = 0; i < 3 && e == TK_OK; i++)
        if (plan[i] < TK_SUIT_LITE_SECTIONS)
            e = section_run(lite, plan[i]);
    lite->section = 0;
    if (e == TK_OK && (op == TK_SUIT_OP_UPDATE || op == TK_SUIT_OP_INSTALL))
        e = record_installs(lite);
    if (pf->end != NULL) {
        tk_err end = pf->end(pf->ctx, e);
        if (e == TK_OK)
            e = end;
    }
    return e;
}

tk_err tk_suit_lite_init(tk_suit_lite *lite, const tk_suit_lite_config *cfg)
{
    if (lite == NULL || cfg == NULL)
        return TK_ERR_INVALID_ARG;
    memset(lite, 0, sizeof(*lite));
    if (cfg->crypto == NULL || cfg->platform == NULL ||
        cfg->platform->find_key == NULL || cfg->platform->stat == NULL)
        return TK_ERR_INVALID_ARG;
    lite->cfg = *cfg;
    return TK_OK;
}

const tk_suit_lite_error *tk_suit_lite_error_of(const tk_suit_lite *lite)
{
    return lite != NULL ? &lite->error : NULL;
}

tk_err tk_suit_lite_process(tk_suit_lite *lite, tk_view input,
                            tk_suit_operation op)
{
    tk_suit_lite_config cfg;
    tk_view auth = {NULL, 0};
    tk_err e = TK_ERR_INVALID_ARG;
    if (lite == NULL || lite->cfg.platform == NULL)
        return e;
    cfg = lite->cfg;
    memset(lite, 0, sizeof(*lite));
    lite->cfg = cfg;
    lite->input = input;
    lite->error.component = TK_SUIT_NO_COMPONENT;
    if (op < TK_SUIT_OP_UPDATE || op > TK_SUIT_OP_INSTALL ||
        (input.ptr == NULL && input.len > 0))
        return fail_at(lite, TK_ERR_INVALID_ARG, NULL, 0,
                       TK_SUIT_NO_COMPONENT);
    e = envelope_read(lite, &auth);
    /* Nothing of the manifest is read before it is authenticated. */
    if (e == TK_OK)
        e = auth_check(lite, auth);
    if (e == TK_OK)
        e = manifest_read(lite);
    if (e == TK_OK && op == TK_SUIT_OP_UPDATE_AND_BOOT) {
        e = procedure(lite, TK_SUIT_OP_UPDATE);
        if (e == TK_OK)
            e = procedure(lite, TK_SUIT_OP_BOOT);
    } else if (e == TK_OK) {
        e = procedure(lite, op);
    }
    return fail_at(lite, e, NULL, 0, TK_SUIT_NO_COMPONENT);
}
