/* Helpers of the Cortex-M4 test images: see target_util.h. */
#include "target_util.h"

#include <string.h>

#include "tk_dev_crypto.h"

static uint8_t pool[8192];
static size_t pool_used;

static int nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

tk_view tkt_hex(const char *hex)
{
    uint8_t *out = pool + pool_used;
    size_t len = 0;
    int hi = -1;

    /* Spaces only separate bytes for the reader. */
    for (; *hex != '\0'; hex++) {
        if (*hex == ' ') {
            continue;
        }
        int v = nibble(*hex);
        if (v < 0) {
            return (tk_view){NULL, 0};
        }
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (len >= sizeof(pool) - pool_used) {
            return (tk_view){NULL, 0};
        }
        out[len++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0) {
        return (tk_view){NULL, 0}; /* an odd number of digits */
    }
    pool_used += len;
    /* An empty string is a valid empty view, with a pointer. */
    return (tk_view){out, len};
}

void tkt_hex_reset(void)
{
    pool_used = 0;
}

const tk_crypto *tkt_crypto(void)
{
    static uint32_t seed = 0x9e3779b9u;
    static const tk_crypto *crypto;

    if (crypto == NULL) {
        crypto = tk_dev_crypto_init(tk_dev_test_entropy, &seed);
    }
    return crypto;
}

tk_err tkt_import_p256(tk_key *key, const char *x, const char *y,
                       const char *d)
{
    const tk_crypto *c = tkt_crypto();
    tk_key_params params;

    memset(&params, 0, sizeof(params));
    params.kty = TK_KTY_EC2;
    params.crv = TK_CRV_P256;
    if (x != NULL) {
        params.x = tkt_hex(x);
    }
    if (y != NULL) {
        params.y = tkt_hex(y);
    }
    if (d != NULL) {
        params.d = tkt_hex(d);
    }
    tk_key_init(key);
    return c->key_import(c->ctx, &params, key);
}
