/* Helpers of the SUIT tests; see suit_test_util.h. */
#include "suit_test_util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teepkit/cbor.h"
#include "teepkit/cose.h"
#include "tk_test.h"

static void die(const char *what, const char *where)
{
    fprintf(stderr, "suit test util: %s at \"%.40s\"\n", what, where);
    abort();
}

const tk_crypto *tu_crypto(void)
{
    const tk_crypto *c = tk_crypto_openssl();
    if (c == NULL)
        die("no crypto backend", "");
    return c;
}

uint8_t *tu_vector(const char *relative, size_t *len)
{
    return tk_test_read_hex(tk_test_vector(relative), len);
}

uint8_t *tu_file(const char *relative, size_t *len)
{
    return tk_test_read_file(tk_test_vector(relative), len);
}

void tu_key(const char *relative, tk_key *key)
{
    /* key->kid points into the COSE_Key bytes, so they are kept in this
     * pool for the life of the test program. */
    static uint8_t pool[4096];
    static size_t used;
    size_t len = 0;
    uint8_t *cbor = tu_vector(relative, &len);
    if (len > sizeof(pool) - used)
        die("key pool full", relative);
    memcpy(pool + used, cbor, len);
    free(cbor);
    tk_key_init(key);
    if (tk_cose_key_import(tu_crypto(), (tk_view){pool + used, len}, key,
                           NULL) != TK_OK)
        die("cannot import key", relative);
    used += len;
}

void tu_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    const tk_crypto *c = tu_crypto();
    tk_view part = {data, len};
    size_t n = 0;
    if (c->hash(c->ctx, TK_ALG_SHA256, &part, 1, out, 32, &n) != TK_OK)
        die("hash failed", "");
}

/* ---- diagnostic notation ------------------------------------------------ */

typedef struct edn {
    const char *p;
    tk_cbor_enc *enc;
} edn;

static void skip_space(edn *s)
{
    for (;;) {
        while (isspace((unsigned char)*s->p) || *s->p == ',')
            s->p++;
        if (*s->p != '/')
            return;
        const char *end = strchr(s->p + 1, '/');
        if (end == NULL)
            die("unterminated comment", s->p);
        s->p = end + 1;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void item(edn *s);

static void items_until(edn *s, const char *close)
{
    for (;;) {
        skip_space(s);
        if (strncmp(s->p, close, strlen(close)) == 0) {
            s->p += strlen(close);
            return;
        }
        if (*s->p == 0)
            die("missing close", close);
        item(s);
        if (strcmp(close, "}") == 0) {
            skip_space(s);
            if (*s->p != ':')
                die("expected ':'", s->p);
            s->p++;
            item(s);
        }
    }
}

static void hex_string(edn *s)
{
    uint8_t buf[4096];
    size_t n = 0;
    int high = -1;
    s->p += 2;
    while (*s->p != '\'') {
        if (*s->p == 0)
            die("unterminated h''", s->p);
        int v = hexval(*s->p);
        if (v >= 0) {
            if (high < 0) {
                high = v;
            } else {
                if (n >= sizeof(buf))
                    die("hex too long", s->p);
                buf[n++] = (uint8_t)(high << 4 | v);
                high = -1;
            }
        } else if (!isspace((unsigned char)*s->p)) {
            die("bad hex digit", s->p);
        }
        s->p++;
    }
    if (high >= 0)
        die("odd hex digits", s->p);
    s->p++;
    tk_cbor_enc_put_bstr(s->enc, buf, n);
}

static void quoted(edn *s, char quote)
{
    const char *start = ++s->p;
    while (*s->p != quote) {
        if (*s->p == 0)
            die("unterminated string", start);
        s->p++;
    }
    size_t n = (size_t)(s->p - start);
    s->p++;
    if (quote == '"')
        tk_cbor_enc_put_tstr(s->enc, start, n);
    else
        tk_cbor_enc_put_bstr(s->enc, (const uint8_t *)start, n);
}

static void number(edn *s)
{
    bool neg = *s->p == '-';
    if (neg)
        s->p++;
    char *end = NULL;
    unsigned long long v = strtoull(s->p, &end, 10);
    if (end == s->p)
        die("bad number", s->p);
    s->p = end;
    skip_space(s);
    if (!neg && *s->p == '(') {
        s->p++;
        tk_cbor_enc_put_tag(s->enc, v);
        item(s);
        skip_space(s);
        if (*s->p != ')')
            die("expected ')'", s->p);
        s->p++;
        return;
    }
    if (neg)
        tk_cbor_enc_put_nint(s->enc, v - 1);
    else
        tk_cbor_enc_put_uint(s->enc, v);
}

static void item(edn *s)
{
    skip_space(s);
    const char *p = s->p;
    if (p[0] == 'h' && p[1] == '\'') {
        hex_string(s);
    } else if (*p == '"' || *p == '\'') {
        quoted(s, *p);
    } else if (*p == '[') {
        s->p++;
        tk_cbor_enc_array_begin(s->enc);
        items_until(s, "]");
        tk_cbor_enc_array_end(s->enc);
    } else if (*p == '{') {
        s->p++;
        tk_cbor_enc_map_begin(s->enc);
        items_until(s, "}");
        tk_cbor_enc_map_end(s->enc);
    } else if (p[0] == '<' && p[1] == '<') {
        s->p += 2;
        tk_cbor_enc_bstr_wrap_begin(s->enc);
        items_until(s, ">>");
        tk_cbor_enc_bstr_wrap_end(s->enc);
    } else if (strncmp(p, "true", 4) == 0) {
        s->p += 4;
        tk_cbor_enc_put_bool(s->enc, true);
    } else if (strncmp(p, "false", 5) == 0) {
        s->p += 5;
        tk_cbor_enc_put_bool(s->enc, false);
    } else if (strncmp(p, "null", 4) == 0) {
        s->p += 4;
        tk_cbor_enc_put_null(s->enc);
    } else if (*p == '-' || isdigit((unsigned char)*p)) {
        number(s);
    } else {
        die("unexpected character", p);
    }
}

size_t tu_edn(const char *text, uint8_t *out, size_t cap)
{
    tk_cbor_enc enc;
    edn s = {text, &enc};
    size_t len = 0;
    tk_cbor_enc_init(&enc, out, cap, 0);
    item(&s);
    skip_space(&s);
    if (*s.p != 0)
        die("trailing text", s.p);
    if (tk_cbor_enc_finish(&enc, &len) != TK_OK)
        die("encoding failed", text);
    return len;
}

/* ---- envelopes ---------------------------------------------------------- */

static tk_key example_private;
static tk_key example_public;
static bool keys_loaded;

static void keys_load(void)
{
    if (keys_loaded)
        return;
    tu_key("suit/manifest/example-es256-private-key.cose.hex",
           &example_private);
    tu_key("suit/manifest/example-es256-public-key.cose.hex",
           &example_public);
    keys_loaded = true;
}

const tk_key *tu_example_private(void)
{
    keys_load();
    return &example_private;
}

const tk_key *tu_example_public(void)
{
    keys_load();
    return &example_public;
}

size_t tu_envelope_raw(const uint8_t *manifest, size_t manifest_len,
                       const uint8_t *extra, size_t extra_len,
                       size_t extra_pairs, const tk_key *key, tk_alg alg,
                       uint8_t *out, size_t cap)
{
    const tk_crypto *crypto = tu_crypto();
    uint8_t wrapped[8192];
    uint8_t digest_item[64];
    uint8_t sign1[256];
    uint8_t hash[32];
    size_t wrapped_len = 0;
    size_t digest_len = 0;
    size_t sign1_len = 0;
    size_t len = 0;
    tk_cbor_enc enc;

    /* The digest covers the manifest bstr with its head. */
    tk_cbor_enc_init(&enc, wrapped, sizeof(wrapped), 0);
    tk_cbor_enc_put_bstr(&enc, manifest, manifest_len);
    if (tk_cbor_enc_finish(&enc, &wrapped_len) != TK_OK)
        die("manifest too long", "");
    tu_sha256(wrapped, wrapped_len, hash);
    tk_cbor_enc_init(&enc, digest_item, sizeof(digest_item), 0);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_int(&enc, TK_ALG_SHA256);
    tk_cbor_enc_put_bstr(&enc, hash, 32);
    tk_cbor_enc_finish(&enc, &digest_len);

    tk_cose_build build;
    memset(&build, 0, sizeof(build));
    build.flags = TK_COSE_BUILD_DETACHED;
    build.alg = alg;
    build.key = key;
    if (tk_cose_sign1_sign(crypto, &build, (tk_view){digest_item, digest_len},
                           sign1, sizeof(sign1), &sign1_len) != TK_OK)
        die("signing failed", "");

    tk_cbor_enc_init(&enc, out, cap, 0);
    tk_cbor_enc_put_tag(&enc, TK_SUIT_ENVELOPE_TAG);
    tk_cbor_enc_put_map(&enc, 2 + extra_pairs);
    tk_cbor_enc_put_uint(&enc, 2);
    tk_cbor_enc_bstr_wrap_begin(&enc);
    tk_cbor_enc_put_array(&enc, 2);
    tk_cbor_enc_put_bstr(&enc, digest_item, digest_len);
    tk_cbor_enc_put_bstr(&enc, sign1, sign1_len);
    tk_cbor_enc_bstr_wrap_end(&enc);
    tk_cbor_enc_put_uint(&enc, 3);
    tk_cbor_enc_put_bstr(&enc, manifest, manifest_len);
    /* extra contains the key and value items of the further members, one
     * after the other. */
    size_t pos = 0;
    for (size_t i = 0; i < 2 * extra_pairs; i++) {
        tk_cbor_dec dec;
        tk_view raw;
        tk_cbor_dec_init(&dec, extra + pos, extra_len - pos, 0);
        if (tk_cbor_dec_skip(&dec, &raw) != TK_OK)
            die("bad extra member", "");
        tk_cbor_enc_put_raw(&enc, raw.ptr, raw.len);
        pos += raw.len;
    }
    if (tk_cbor_enc_finish(&enc, &len) != TK_OK)
        die("envelope encoding", "");
    return len;
}

size_t tu_envelope(const char *manifest, const char *extra, const tk_key *key,
                   tk_alg alg, uint8_t *out, size_t cap)
{
    uint8_t m[8192];
    uint8_t x[8192];
    size_t m_len = tu_edn(manifest, m, sizeof(m));
    size_t x_len = 0;
    size_t pairs = 0;
    if (extra != NULL) {
        /* Compile "{extra}" and strip the map head, counting its pairs. */
        char wrapped[16384];
        snprintf(wrapped, sizeof(wrapped), "{%s}", extra);
        uint8_t map[8192];
        size_t map_len = tu_edn(wrapped, map, sizeof(map));
        tk_cbor_dec dec;
        uint64_t n = 0;
        tk_cbor_dec_init(&dec, map, map_len, 0);
        tk_cbor_dec_enter_map(&dec, &n);
        /* The items after the map head are the pairs: decode them as a
         * sequence of top-level items in tu_envelope_raw. */
        size_t off = tk_cbor_dec_offset(&dec);
        pairs = (size_t)n;
        x_len = map_len - off;
        memcpy(x, map + off, x_len);
    }
    return tu_envelope_raw(m, m_len, x, x_len, pairs,
                           key != NULL ? key : tu_example_private(),
                           alg != 0 ? alg : TK_ALG_ES256, out, cap);
}
