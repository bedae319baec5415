/*
 * The TAM's signing keys: one per mandatory TEEP cipher suite, ESP256
 * (P-256) and Ed25519, kept as PEM files in the key folder. Their kid is
 * the RFC 9679 thumbprint of the public key, which agents find in the
 * COSE_Key files written beside them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "tam.h"
#include "tam_internal.h"
#include "teepkit/cose.h"

/* One key of the TAM: the curve and the file names. */
typedef struct tam_key_files {
    int32_t crv;
    tk_alg alg;
    const char *private_name;
    const char *public_name;
    const char *cose_name;
} tam_key_files;

static const tam_key_files key_files[2] = {
    {TK_CRV_P256, TK_ALG_ESP256, TK_TAM_KEY_ESP256, TK_TAM_PUB_ESP256,
     TK_TAM_COSE_ESP256},
    {TK_CRV_ED25519, TK_ALG_ED25519, TK_TAM_KEY_ED25519, TK_TAM_PUB_ED25519,
     TK_TAM_COSE_ED25519},
};

static void join(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* Writes the public key files of key (PEM and COSE_Key with the
 * thumbprint as kid). */
static tk_err write_public(const tk_crypto *crypto, const char *dir,
                           const tam_key_files *files, tk_key *key,
                           char *msg, size_t msg_size)
{
    uint8_t kid[TK_COSE_THUMBPRINT_SIZE];
    tk_err err = tk_cose_key_thumbprint(crypto, key, kid);
    if (err != TK_OK) {
        snprintf(msg, msg_size, "cannot compute the thumbprint of %s: %s",
                 files->private_name, tk_strerror(err));
        return err;
    }
    char path[4096];
    join(path, sizeof(path), dir, files->public_name);
    err = tk_keyfile_save_pem(path, key, false, msg, msg_size);
    if (err != TK_OK)
        return err;
    tk_view saved = key->kid;
    key->kid = (tk_view){kid, sizeof(kid)};
    join(path, sizeof(path), dir, files->cose_name);
    err = tk_keyfile_save_cose(path, key, files->alg, false, msg, msg_size);
    key->kid = saved;
    return err;
}

/* Creates one key pair unless its private key file exists. */
static tk_err create_key(const tk_crypto *crypto, const char *dir,
                         const tam_key_files *files, bool *created,
                         char *msg, size_t msg_size)
{
    char path[4096];
    join(path, sizeof(path), dir, files->private_name);
    if (access(path, F_OK) == 0)
        return TK_OK;
    tk_key key;
    tk_key_init(&key);
    tk_err err = crypto->key_generate(crypto->ctx, files->crv, &key);
    if (err != TK_OK) {
        snprintf(msg, msg_size, "cannot generate the key %s: %s", path,
                 tk_strerror(err));
        return err;
    }
    err = tk_keyfile_save_pem(path, &key, true, msg, msg_size);
    if (err == TK_OK)
        err = write_public(crypto, dir, files, &key, msg, msg_size);
    tk_key_release(&key);
    if (err == TK_OK)
        *created = true;
    return err;
}

tk_err tk_tam_keys_create(const tk_crypto *crypto, const char *key_dir,
                          bool *created, char *msg, size_t msg_size)
{
    if (crypto == NULL || key_dir == NULL || created == NULL)
        return TK_ERR_INVALID_ARG;
    *created = false;
    if (mkdir(key_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(msg, msg_size, "cannot create the key folder %s: %s",
                 key_dir, strerror(errno));
        return TK_ERR_TAM_KEYS;
    }
    for (size_t i = 0; i < 2; i++) {
        tk_err err = create_key(crypto, key_dir, &key_files[i], created, msg,
                                msg_size);
        if (err != TK_OK)
            return err;
    }
    return TK_OK;
}

/* Loads one private key of the TAM as signer number index. */
static tk_err load_key(tk_tam *tam, size_t index, const char *path,
                       char *msg, size_t msg_size)
{
    const tam_key_files *files = &key_files[index];
    tk_keyfile_info info;
    tk_key *key = &tam->keys[tam->signer_count];
    tk_err err = tk_keyfile_load(tam->crypto, path, key, &info, msg,
                                 msg_size);
    if (err != TK_OK)
        return TK_ERR_TAM_KEYS;
    if (!info.has_private || key->crv != files->crv) {
        snprintf(msg, msg_size, "%s is not a %s private key", path,
                 files->crv == TK_CRV_P256 ? "P-256" : "Ed25519");
        tk_key_release(key);
        return TK_ERR_TAM_KEYS;
    }
    uint8_t *kid = tam->kids[tam->signer_count];
    err = tk_cose_key_thumbprint(tam->crypto, key, kid);
    if (err != TK_OK) {
        snprintf(msg, msg_size, "cannot compute the thumbprint of %s: %s",
                 path, tk_strerror(err));
        tk_key_release(key);
        return TK_ERR_TAM_KEYS;
    }
    key->kid = (tk_view){kid, TK_COSE_THUMBPRINT_SIZE};
    tk_teep_signer *s = &tam->signers[tam->signer_count];
    s->alg = files->alg;
    s->key = key;
    s->kid = key->kid;
    tam->signer_count++;
    return TK_OK;
}

/*
 * Loads the TAM keys named in the configuration, or the default files in
 * the key folder. Both keys are required, because a TAM must support both
 * mandatory cipher suites (draft-ietf-teep-protocol, "Ciphersuites").
 */
tk_err tam_keys_load(tk_tam *tam, char *msg, size_t msg_size)
{
    const char *named[2] = {tam->cfg.key_esp256, tam->cfg.key_ed25519};
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        if (named[i] != NULL)
            snprintf(path, sizeof(path), "%s", named[i]);
        else if (tam->cfg.key_dir != NULL)
            join(path, sizeof(path), tam->cfg.key_dir,
                 key_files[i].private_name);
        else {
            snprintf(msg, msg_size,
                     "no key folder configured; set key_dir or key_%s",
                     i == 0 ? "esp256" : "ed25519");
            return TK_ERR_TAM_KEYS;
        }
        tk_err err = load_key(tam, i, path, msg, msg_size);
        if (err != TK_OK)
            return err;
    }
    return TK_OK;
}

void tam_keys_release(tk_tam *tam)
{
    for (size_t i = 0; i < tam->signer_count; i++)
        tk_key_release(&tam->keys[i]);
    tam->signer_count = 0;
}
