/* Fixed keys, views and signing helpers; see hs.h. */
#include "hs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hs_keys g_keys;
static bool g_keys_ready;

static void die(const char *what, tk_err err)
{
    fprintf(stderr, "hostile support: %s: %s\n", what, tk_errname(err));
    abort();
}

const tk_crypto *hs_crypto(void)
{
    const tk_crypto *c = tk_crypto_openssl();
    if (c == NULL)
        die("the OpenSSL backend did not initialize", TK_ERR_STATE);
    return c;
}

tk_view hs_view(const void *p, size_t len)
{
    return (tk_view){(const uint8_t *)p, len};
}

tk_view hs_str(const char *s)
{
    return (tk_view){(const uint8_t *)s, strlen(s)};
}

/* Imports the private key whose scalar (or Ed25519 seed) is 32 bytes of
 * the pattern seed, seed + 1, ...; the public part is derived. */
static void import_private(tk_key *key, int32_t kty, int32_t crv, uint8_t seed,
                           const char *kid)
{
    uint8_t d[32];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(seed + i);
    tk_key_params p;
    memset(&p, 0, sizeof p);
    p.kty = kty;
    p.crv = crv;
    p.d = hs_view(d, sizeof d);
    if (kid != NULL)
        p.kid = hs_str(kid);
    tk_key_init(key);
    const tk_crypto *c = hs_crypto();
    tk_err err = c->key_import(c->ctx, &p, key);
    if (err != TK_OK)
        die("key import failed", err);
}

static void import_symmetric(tk_key *key, uint8_t fill, size_t len)
{
    uint8_t k[64];
    memset(k, fill, len);
    tk_key_init(key);
    tk_err err = tk_key_init_symmetric(key, hs_view(k, len));
    if (err != TK_OK)
        die("symmetric key setup failed", err);
}

const hs_keys *hs_keys_get(void)
{
    if (g_keys_ready)
        return &g_keys;
    import_private(&g_keys.tam_p256, TK_KTY_EC2, TK_CRV_P256, 0x11,
                   HS_TAM_P256_KID);
    import_private(&g_keys.tam_ed25519, TK_KTY_OKP, TK_CRV_ED25519, 0x21,
                   HS_TAM_ED25519_KID);
    import_private(&g_keys.agent_p256, TK_KTY_EC2, TK_CRV_P256, 0x31, NULL);
    import_private(&g_keys.agent_ed25519, TK_KTY_OKP, TK_CRV_ED25519, 0x41,
                   NULL);
    import_private(&g_keys.attester, TK_KTY_EC2, TK_CRV_P256, 0x51,
                   HS_ATTESTER_KID);
    import_private(&g_keys.suit_p256, TK_KTY_EC2, TK_CRV_P256, 0x61, NULL);
    import_private(&g_keys.suit_ed25519, TK_KTY_OKP, TK_CRV_ED25519, 0x71,
                   NULL);
    import_private(&g_keys.ecdh_p256, TK_KTY_EC2, TK_CRV_P256, 0x81, NULL);
    import_symmetric(&g_keys.hmac256, 'h', 32);
    import_symmetric(&g_keys.aes128, 'a', 16);
    import_symmetric(&g_keys.aes256, 'b', 32);
    tk_err err = tk_cose_key_thumbprint(hs_crypto(), &g_keys.agent_p256,
                                        g_keys.agent_kid);
    if (err == TK_OK)
        err = tk_cose_key_thumbprint(hs_crypto(), &g_keys.agent_ed25519,
                                     g_keys.agent_ed_kid);
    if (err != TK_OK)
        die("thumbprint failed", err);
    g_keys.agent_p256.kid = hs_view(g_keys.agent_kid, sizeof g_keys.agent_kid);
    g_keys.agent_ed25519.kid =
        hs_view(g_keys.agent_ed_kid, sizeof g_keys.agent_ed_kid);
    g_keys_ready = true;
    return &g_keys;
}

tk_err hs_sign1(const tk_key *key, tk_alg alg, tk_view kid, tk_view payload,
                uint8_t *out, size_t cap, size_t *len)
{
    uint8_t scratch[HS_BUF + 256];
    tk_cose_build b;
    memset(&b, 0, sizeof b);
    b.alg = alg;
    b.key = key;
    b.kid = kid;
    b.flags = TK_COSE_BUILD_KID_PROTECTED;
    b.scratch = scratch;
    b.scratch_len = sizeof scratch;
    return tk_cose_sign1_sign(hs_crypto(), &b, payload, out, cap, len);
}

void hs_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    const tk_crypto *c = hs_crypto();
    tk_view part = hs_view(data, len);
    size_t got = 0;
    tk_err err = c->hash(c->ctx, TK_ALG_SHA256, &part, 1, out, 32, &got);
    if (err != TK_OK || got != 32)
        die("SHA-256 failed", err);
}
