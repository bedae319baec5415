/*
 * Prints a set of CBOR items in teepkit's deterministic encoding (RFC 8949
 * section 4.2.1), one per line as "NAME HEX", for the interoperability
 * test to decode with another implementation and compare with the values
 * it expects for each NAME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teepkit/cbor.h"

/* One item: its name and the calls that encode it. */
typedef struct item {
    const char *name;
    void (*encode)(tk_cbor_enc *enc);
} item;

static void enc_uints(tk_cbor_enc *e)
{
    static const uint64_t v[] = {0,          23,         24,
                                 255,        256,        65535,
                                 65536,      4294967295u, 4294967296u,
                                 9007199254740992u, UINT64_MAX};

    tk_cbor_enc_put_array(e, sizeof(v) / sizeof(v[0]));
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        tk_cbor_enc_put_uint(e, v[i]);
    }
}

static void enc_nints(tk_cbor_enc *e)
{
    static const int64_t v[] = {-1, -24, -25, -256, -257, -65537,
                                -4294967297, INT64_MIN};

    tk_cbor_enc_put_array(e, sizeof(v) / sizeof(v[0]) + 1);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        tk_cbor_enc_put_int(e, v[i]);
    }
    tk_cbor_enc_put_nint(e, UINT64_MAX); /* -2^64 */
}

static void enc_bstrs(tk_cbor_enc *e)
{
    uint8_t buf[300];

    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)i;
    }
    tk_cbor_enc_put_array(e, 4);
    tk_cbor_enc_put_bstr(e, NULL, 0);
    tk_cbor_enc_put_bstr(e, buf, 1);
    tk_cbor_enc_put_bstr(e, buf, 24);
    tk_cbor_enc_put_bstr(e, buf, 300);
}

static void enc_tstrs(tk_cbor_enc *e)
{
    tk_cbor_enc_put_array(e, 4);
    tk_cbor_enc_put_text(e, "");
    tk_cbor_enc_put_text(e, "a");
    tk_cbor_enc_put_text(e, "IETF");
    tk_cbor_enc_put_text(e, "\xc3\xbc\xe2\x82\xac\xf0\x90\x8d\x88");
}

static void enc_arrays(tk_cbor_enc *e)
{
    tk_cbor_enc_put_array(e, 3);
    tk_cbor_enc_put_array(e, 0);
    tk_cbor_enc_put_array(e, 2);
    tk_cbor_enc_put_uint(e, 1);
    tk_cbor_enc_put_array(e, 2);
    tk_cbor_enc_put_uint(e, 2);
    tk_cbor_enc_put_uint(e, 3);
    tk_cbor_enc_put_array(e, 25);
    for (uint64_t i = 1; i <= 25; i++) {
        tk_cbor_enc_put_uint(e, i);
    }
}

/* A map written in an unsorted order: deterministic mode sorts it. */
static void enc_map(tk_cbor_enc *e)
{
    static const uint8_t zero = 0;

    tk_cbor_enc_put_map(e, 6);
    tk_cbor_enc_put_text(e, "a");
    tk_cbor_enc_put_uint(e, 6);
    tk_cbor_enc_put_int(e, 100);
    tk_cbor_enc_put_uint(e, 5);
    tk_cbor_enc_put_int(e, -1);
    tk_cbor_enc_put_uint(e, 3);
    tk_cbor_enc_put_bstr(e, &zero, 1);
    tk_cbor_enc_put_uint(e, 7);
    tk_cbor_enc_put_int(e, 10);
    tk_cbor_enc_put_uint(e, 4);
    tk_cbor_enc_put_int(e, 1);
    tk_cbor_enc_put_uint(e, 2);
}

static void enc_nested(tk_cbor_enc *e)
{
    static const uint8_t token[] = {1, 2, 3, 4};

    tk_cbor_enc_put_map(e, 1);
    tk_cbor_enc_put_text(e, "teep");
    tk_cbor_enc_put_array(e, 2);
    tk_cbor_enc_put_uint(e, 1);
    tk_cbor_enc_put_map(e, 1);
    tk_cbor_enc_put_uint(e, 20);
    tk_cbor_enc_put_bstr(e, token, sizeof(token));
}

static void enc_tags(tk_cbor_enc *e)
{
    static const uint8_t prot[] = {0xa1, 0x01, 0x26};

    tk_cbor_enc_put_array(e, 2);
    tk_cbor_enc_put_tag(e, 10000);
    tk_cbor_enc_put_bstr(e, prot, 1);
    tk_cbor_enc_put_tag(e, 18);
    tk_cbor_enc_put_array(e, 4);
    tk_cbor_enc_put_bstr(e, prot, sizeof(prot));
    tk_cbor_enc_put_map(e, 0);
    tk_cbor_enc_put_null(e);
    tk_cbor_enc_put_bstr(e, NULL, 0);
}

static void enc_simple(tk_cbor_enc *e)
{
    tk_cbor_enc_put_array(e, 8);
    tk_cbor_enc_put_bool(e, true);
    tk_cbor_enc_put_bool(e, false);
    tk_cbor_enc_put_null(e);
    tk_cbor_enc_put_float(e, 1.5);
    tk_cbor_enc_put_float(e, 100000.0);
    tk_cbor_enc_put_float(e, 1.1);
    tk_cbor_enc_put_float(e, -4.0);
    tk_cbor_enc_put_float(e, 1.0 / 0.0);
}

static const item items[] = {
    {"uints", enc_uints},   {"nints", enc_nints},   {"bstrs", enc_bstrs},
    {"tstrs", enc_tstrs},   {"arrays", enc_arrays}, {"map", enc_map},
    {"nested", enc_nested}, {"tags", enc_tags},     {"simple", enc_simple},
};

int main(void)
{
    static uint8_t buf[4096];

    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        tk_cbor_enc enc;
        size_t len = 0;
        tk_err err;

        tk_cbor_enc_init(&enc, buf, sizeof(buf), TK_CBOR_ENC_DETERMINISTIC);
        items[i].encode(&enc);
        err = tk_cbor_enc_finish(&enc, &len);
        if (err != TK_OK) {
            fprintf(stderr, "interop_items: %s: %s\n", items[i].name,
                    tk_errname(err));
            return 1;
        }
        printf("%s ", items[i].name);
        for (size_t j = 0; j < len; j++) {
            printf("%02x", buf[j]);
        }
        printf("\n");
    }
    return 0;
}
