/*
 * Parsed public keys of the TAM, shared by its threads.
 *
 * Importing a P-256 key (decoding, point validation, the backend's parsed
 * form) costs about as much as half a signature check, and every message
 * of an agent needs its agent key, every QueryResponse its attestation
 * keys. The cache is keyed by the COSE_Key bytes themselves, so a hit can
 * never return another key than the store contains. The store is still
 * asked for the key on every message, so a removed key stops working at
 * once. Only the parsing is saved.
 *
 * Entries live until tk_tam_close(). A full table is not an error: the
 * caller then imports the key for the request alone.
 */
#include <stdlib.h>
#include <string.h>

#include "tam_internal.h"
#include "teepkit/cose.h"

/* Probes of one lookup before the table counts as full there. */
#define PROBES 8

/* FNV-1a over the COSE_Key bytes. */
static uint64_t hash_bytes(tk_view v)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < v.len; i++) {
        h ^= v.ptr[i];
        h *= 1099511628211u;
    }
    return h;
}

tk_err tam_keycache_init(tam_keycache *cache)
{
    memset(cache, 0, sizeof(*cache));
    cache->entries = calloc(TAM_KEY_CACHE_SIZE, sizeof(*cache->entries));
    if (cache->entries == NULL)
        return TK_ERR_STORE_NOMEM;
    if (pthread_mutex_init(&cache->lock, NULL) != 0) {
        free(cache->entries);
        cache->entries = NULL;
        return TK_ERR_INTERNAL;
    }
    return TK_OK;
}

void tam_keycache_free(tam_keycache *cache)
{
    if (cache->entries == NULL)
        return;
    for (size_t i = 0; i < TAM_KEY_CACHE_SIZE; i++)
        if (cache->entries[i].used)
            tk_key_release(&cache->entries[i].key);
    free(cache->entries);
    cache->entries = NULL;
    pthread_mutex_destroy(&cache->lock);
}

/* Finds the entry of cose_key in the probe window of hash, or a free slot
 * for it; NULL when neither exists. Called with the lock held. */
static tam_cached_key *probe(tam_keycache *cache, tk_view cose_key,
                             uint64_t hash, bool *found)
{
    *found = false;
    for (size_t i = 0; i < PROBES; i++) {
        tam_cached_key *e =
            &cache->entries[(hash + i) % TAM_KEY_CACHE_SIZE];
        if (!e->used)
            return e;
        if (e->hash == hash && e->len == cose_key.len &&
            memcmp(e->bytes, cose_key.ptr, cose_key.len) == 0) {
            *found = true;
            return e;
        }
    }
    return NULL;
}

/*
 * Returns the parsed key of the COSE_Key cose_key in *key, importing it on
 * the first use. *key is NULL (with TK_OK) when the key does not fit the
 * cache; the caller then imports it itself. Returns the import's error
 * for a malformed key.
 */
tk_err tam_keycache_get(tam_keycache *cache, const tk_crypto *crypto,
                        tk_view cose_key, const tk_key **key)
{
    *key = NULL;
    if (cache->entries == NULL || cose_key.len > TAM_KEY_CACHE_BYTES)
        return TK_OK;
    uint64_t hash = hash_bytes(cose_key);
    bool found = false;
    tk_err err = TK_OK;
    pthread_mutex_lock(&cache->lock);
    tam_cached_key *e = probe(cache, cose_key, hash, &found);
    if (e != NULL && !found) {
        tk_key_init(&e->key);
        err = tk_cose_key_import(crypto, cose_key, &e->key, NULL);
        if (err == TK_OK) {
            /* The kid view of an import points into cose_key, which the
             * caller frees: a cached key has none. */
            e->key.kid = (tk_view){NULL, 0};
            memcpy(e->bytes, cose_key.ptr, cose_key.len);
            e->len = cose_key.len;
            e->hash = hash;
            e->used = true;
            found = true;
        }
    }
    if (found)
        *key = &e->key;
    pthread_mutex_unlock(&cache->lock);
    return err;
}

/*
 * Returns in *key the parsed key of cose_key: from the cache, or imported
 * into own (then *owned is true and the caller releases own) when the
 * cache is full.
 */
tk_err tam_key_get(tk_tam *tam, tk_view cose_key, tk_key *own, bool *owned,
                   const tk_key **key)
{
    *owned = false;
    tk_err err = tam_keycache_get(&tam->key_cache, tam->crypto, cose_key,
                                  key);
    if (err != TK_OK || *key != NULL)
        return err;
    tk_key_init(own);
    err = tk_cose_key_import(tam->crypto, cose_key, own, NULL);
    if (err != TK_OK)
        return err;
    own->kid = (tk_view){NULL, 0};
    *owned = true;
    *key = own;
    return TK_OK;
}
