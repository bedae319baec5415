/*
 * Decoding of the SUIT envelope and manifest (draft-ietf-suit-manifest-37
 * section 8, with the members of its extensions), and the small helpers
 * the other files share.
 *
 * The envelope decoder looks only at the envelope map. The manifest is
 * decoded by tk_suit_manifest_decode(), which refuses to run before the
 * envelope is verified, so no byte of an unauthenticated manifest is
 * parsed.
 */
#include "suit_internal.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */
/* ---------------------------------------------------------------------- */

tk_err tk_suit_cbor_err(tk_err err)
{
    switch (err) {
    case TK_ERR_CBOR_DUP_KEY:
        return TK_ERR_SUIT_DUPLICATE_KEY;
    case TK_ERR_CBOR_TYPE:
    case TK_ERR_CBOR_NO_MORE:
    case TK_ERR_CBOR_BAD_MAP_LABEL:
    case TK_ERR_CBOR_WRONG_TAG:
    case TK_ERR_CBOR_INT_RANGE:
    case TK_ERR_CBOR_CHUNKED:
        return TK_ERR_SUIT_MALFORMED;
    default:
        return err;
    }
}

tk_err tk_suit_fail(tk_suit_error *err, tk_err code, size_t offset)
{
    if (err != NULL && err->code == TK_OK && code != TK_OK) {
        err->code = code;
        err->offset = offset;
    }
    return code;
}

size_t tk_suit_offset_in(tk_view base, const uint8_t *p)
{
    if (p == NULL || base.ptr == NULL || p < base.ptr ||
        p > base.ptr + base.len)
        return 0;
    return (size_t)(p - base.ptr);
}

bool tk_suit_view_eq(tk_view a, tk_view b)
{
    if (a.len != b.len)
        return false;
    return a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0;
}

bool tk_suit_hash_supported(int64_t alg)
{
    return alg == TK_ALG_SHA256 || alg == TK_ALG_SHA384 ||
           alg == TK_ALG_SHA512;
}

/* Resets an error context to "no error". */
static void error_reset(tk_suit_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
        err->component = TK_SUIT_NO_COMPONENT;
    }
}

/* Ends a decoder and returns its first error translated for SUIT, with
 * the error's offset (relative to base_off) stored in err. */
static tk_err dec_result(tk_cbor_dec *dec, tk_suit_error *err,
                         size_t base_off)
{
    tk_err e = tk_cbor_dec_finish(dec);
    if (e != TK_OK)
        return tk_suit_fail(err, tk_suit_cbor_err(e),
                            base_off + tk_cbor_dec_error_offset(dec));
    return TK_OK;
}

tk_err tk_suit_digest_read(tk_cbor_dec *dec, tk_suit_digest *d)
{
    uint64_t count = 0;
    tk_err e = tk_cbor_dec_enter_array(dec, &count);
    if (e != TK_OK)
        return e;
    if (count != TK_CBOR_INDEFINITE && count < 2)
        return tk_cbor_dec_fail(dec, TK_ERR_SUIT_MALFORMED);
    tk_cbor_dec_get_int(dec, &d->alg);
    tk_cbor_dec_get_bstr(dec, &d->bytes);
    /* SUIT_Digest extensions may follow; they are ignored. */
    return tk_cbor_dec_exit(dec);
}

/* Decodes the usual encoding of a SUIT_Digest without the CBOR decoder:
 * 0x82, the algorithm (-16, -43 or -44) and a bstr of its digest size,
 * nothing after. Returns false for any other bytes, which the decoder then
 * reads. */
static bool digest_decode_short(tk_view b, tk_suit_digest *d)
{
    size_t pos;
    int64_t alg;
    if (b.len < 4 || b.ptr[0] != 0x82)
        return false;
    if (b.ptr[1] == 0x2f) { /* -16 */
        alg = TK_ALG_SHA256;
        pos = 2;
    } else if (b.ptr[1] == 0x38 && (b.ptr[2] == 0x2a || b.ptr[2] == 0x2b)) {
        alg = -1 - (int64_t)b.ptr[2]; /* -43 or -44 */
        pos = 3;
    } else {
        return false;
    }
    size_t size = tk_crypto_hash_size((tk_alg)alg);
    if (size == 0 || b.len != pos + 2 + size || b.ptr[pos] != 0x58 ||
        b.ptr[pos + 1] != size)
        return false;
    d->alg = alg;
    d->bytes.ptr = b.ptr + pos + 2;
    d->bytes.len = size;
    return true;
}

tk_err tk_suit_digest_decode(tk_view bytes, tk_suit_digest *d)
{
    tk_cbor_dec dec;
    memset(d, 0, sizeof(*d));
    if (digest_decode_short(bytes, d))
        return TK_OK;
    tk_cbor_dec_init(&dec, bytes.ptr, bytes.len, TK_SUIT_DEC_FLAGS);
    tk_suit_digest_read(&dec, d);
    tk_err e = tk_cbor_dec_finish(&dec);
    if (e != TK_OK)
        return tk_suit_cbor_err(e);
    if (!tk_suit_hash_supported(d->alg))
        return TK_ERR_SUIT_DIGEST_ALG;
    if (d->bytes.len != tk_crypto_hash_size((tk_alg)d->alg))
        return TK_ERR_SUIT_MALFORMED;
    return TK_OK;
}

tk_err tk_suit_hash(const tk_crypto *crypto, int64_t alg, tk_view data,
                    uint8_t *out, size_t *len)
{
    *len = 0;
    if (!tk_suit_hash_supported(alg))
        return TK_ERR_SUIT_DIGEST_ALG;
    return crypto->hash(crypto->ctx, (tk_alg)alg, &data, 1, out,
                        TK_CRYPTO_MAX_HASH_SIZE, len);
}

bool tk_suit_digest_matches(const tk_suit_digest *expected, int64_t alg,
                            const uint8_t *digest, size_t len)
{
    if (expected->alg != alg || expected->bytes.len != len || len == 0)
        return false;
    return tk_crypto_ct_equal(expected->bytes.ptr, digest, len);
}

/* Reads a SUIT_Component_Identifier at the decoder's position and sets
 * *raw to its encoding. */
static tk_err component_id_read(tk_cbor_dec *dec, tk_view *raw)
{
    size_t parts = 0;
    tk_view part;
    if (tk_cbor_dec_enter_array(dec, NULL) != TK_OK ||
        tk_cbor_dec_container_raw(dec, raw) != TK_OK)
        return tk_cbor_dec_error(dec);
    while (tk_cbor_dec_more(dec)) {
        if (++parts > TK_SUIT_MAX_COMPONENT_ID_PARTS)
            return tk_cbor_dec_fail(dec, TK_ERR_LIMIT);
        if (tk_cbor_dec_get_bstr(dec, &part) != TK_OK)
            return tk_cbor_dec_error(dec);
    }
    return tk_cbor_dec_exit(dec);
}

tk_err tk_suit_component_id_check(tk_view id)
{
    tk_cbor_dec dec;
    tk_view raw;
    tk_cbor_dec_init(&dec, id.ptr, id.len, TK_SUIT_DEC_FLAGS);
    component_id_read(&dec, &raw);
    return tk_suit_cbor_err(tk_cbor_dec_finish(&dec));
}

tk_err tk_suit_component_id_part(tk_view id, size_t i, tk_view *part)
{
    tk_cbor_dec dec;
    tk_view value = {NULL, 0};
    bool found = false;
    size_t n = 0;
    if (part == NULL)
        return TK_ERR_INVALID_ARG;
    tk_cbor_dec_init(&dec, id.ptr, id.len, TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        tk_view v;
        if (tk_cbor_dec_get_bstr(&dec, &v) != TK_OK)
            break;
        if (n++ == i) {
            value = v;
            found = true;
        }
    }
    tk_cbor_dec_exit(&dec);
    if (tk_cbor_dec_finish(&dec) != TK_OK)
        return TK_ERR_SUIT_MALFORMED;
    if (!found)
        return TK_ERR_NOT_FOUND;
    *part = value;
    return TK_OK;
}

/* ---------------------------------------------------------------------- */
/* Envelope                                                               */
/* ---------------------------------------------------------------------- */

/* Index in tk_suit_envelope.severed of a severable member key, or -1. */
static int severable_index(int64_t key)
{
    switch (key) {
    case TK_SUIT_MANIFEST_DEPENDENCY_RESOLUTION:
        return TK_SUIT_SEV_DEPENDENCY_RESOLUTION;
    case TK_SUIT_MANIFEST_PAYLOAD_FETCH:
        return TK_SUIT_SEV_PAYLOAD_FETCH;
    case TK_SUIT_MANIFEST_CANDIDATE_VERIFICATION:
        return TK_SUIT_SEV_CANDIDATE_VERIFICATION;
    case TK_SUIT_MANIFEST_INSTALL:
        return TK_SUIT_SEV_INSTALL;
    case TK_SUIT_MANIFEST_TEXT:
        return TK_SUIT_SEV_TEXT;
    case TK_SUIT_MANIFEST_COSWID:
        return TK_SUIT_SEV_COSWID;
    default:
        return -1;
    }
}

/* Reads a bstr member value and its wrapped form (head included); base
 * is the start of the decoder's input. */
static tk_err read_wrapped(tk_cbor_dec *dec, const uint8_t *base,
                           tk_view *content, tk_view *wrapped)
{
    size_t start = tk_cbor_dec_offset(dec);
    tk_err e = tk_cbor_dec_get_bstr(dec, content);
    if (e == TK_OK) {
        wrapped->ptr = base + start;
        wrapped->len = tk_cbor_dec_offset(dec) - start;
    }
    return e;
}

/* Reads one int-keyed envelope member. *seen collects the members found. */
static tk_err envelope_member(tk_cbor_dec *dec, int64_t key,
                              tk_suit_envelope *env, unsigned *seen)
{
    int sev = severable_index(key);
    if (key == TK_SUIT_ENV_DELEGATION)
        return tk_cbor_dec_get_bstr(dec, &env->delegation);
    if (key == TK_SUIT_ENV_AUTHENTICATION) {
        *seen |= 1u;
        return tk_cbor_dec_get_bstr(dec, &env->authentication);
    }
    if (key == TK_SUIT_ENV_MANIFEST) {
        *seen |= 2u;
        return read_wrapped(dec, env->raw.ptr, &env->manifest,
                            &env->manifest_wrapped);
    }
    if (sev >= 0)
        return read_wrapped(dec, env->raw.ptr, &env->severed[sev],
                            &env->severed_wrapped[sev]);
    /* Other members are extensions outside the signed manifest, so they
     * cannot change what the manifest does: skip them. */
    return tk_cbor_dec_skip(dec, NULL);
}

tk_err tk_suit_envelope_decode(tk_view input, tk_suit_envelope *env,
                               tk_suit_error *err)
{
    tk_cbor_dec dec;
    tk_cbor_item item;
    tk_suit_labels labels;
    unsigned seen = 0;

    error_reset(err);
    memset(&labels, 0, sizeof(labels));
    if (env == NULL || (input.ptr == NULL && input.len > 0))
        return tk_suit_fail(err, TK_ERR_INVALID_ARG, 0);
    memset(env, 0, sizeof(*env));
    env->raw = input;

    tk_cbor_dec_init(&dec, input.ptr, input.len, TK_SUIT_DEC_FLAGS);
    if (tk_cbor_dec_peek(&dec, &item) == TK_OK &&
        item.type == TK_CBOR_TAG) {
        tk_cbor_dec_expect_tag(&dec, TK_SUIT_ENVELOPE_TAG);
        env->tagged = true;
    }
    tk_cbor_dec_enter_map(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        int64_t key;
        if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
            break;
        if (item.type == TK_CBOR_TSTR) {
            tk_suit_integrated *in;
            if (env->integrated_count >= TK_SUIT_MAX_INTEGRATED) {
                tk_cbor_dec_fail(&dec, TK_ERR_LIMIT);
                break;
            }
            in = &env->integrated[env->integrated_count];
            if (tk_cbor_dec_get_tstr(&dec, &in->key) != TK_OK)
                break;
            for (size_t i = 0; i < env->integrated_count; i++)
                if (tk_suit_view_eq(env->integrated[i].key, in->key))
                    tk_cbor_dec_fail(&dec, TK_ERR_SUIT_DUPLICATE_KEY);
            env->integrated_count++;
            tk_cbor_dec_get_bstr(&dec, &in->bytes);
            continue;
        }
        if (tk_suit_get_label(&dec, &labels, &key) != TK_OK)
            break;
        if (envelope_member(&dec, key, env, &seen) != TK_OK)
            break;
    }
    tk_cbor_dec_exit(&dec);
    tk_err e = dec_result(&dec, err, 0);
    if (e != TK_OK)
        return e;
    if ((seen & 3u) != 3u)
        return tk_suit_fail(err, TK_ERR_SUIT_MISSING_MEMBER, 0);
    return TK_OK;
}

/* ---------------------------------------------------------------------- */
/* Manifest                                                               */
/* ---------------------------------------------------------------------- */

/* State of one manifest decode: the decoder's offsets are relative to the
 * manifest bstr, errors report them relative to the envelope. */
typedef struct manifest_ctx {
    const tk_suit_envelope *env;
    const tk_crypto *crypto;
    uint32_t flags;
    tk_suit_manifest *m;
    tk_suit_error *err;
    size_t base;  /* offset of the manifest content in the envelope */
} manifest_ctx;

/* Fails the decode at the decoder's current position. */
static tk_err mfail(manifest_ctx *mc, tk_cbor_dec *dec, tk_err code,
                    size_t base)
{
    tk_cbor_dec_fail(dec, code);
    return tk_suit_fail(mc->err, code, base + tk_cbor_dec_offset(dec));
}

/* Index of a command sequence key in tk_suit_manifest.sequence, or -1. */
static int section_index(int64_t key)
{
    switch (key) {
    case TK_SUIT_MANIFEST_DEPENDENCY_RESOLUTION:
        return TK_SUIT_SECTION_DEPENDENCY_RESOLUTION;
    case TK_SUIT_MANIFEST_PAYLOAD_FETCH:
        return TK_SUIT_SECTION_PAYLOAD_FETCH;
    case TK_SUIT_MANIFEST_CANDIDATE_VERIFICATION:
        return TK_SUIT_SECTION_CANDIDATE_VERIFICATION;
    case TK_SUIT_MANIFEST_INSTALL:
        return TK_SUIT_SECTION_INSTALL;
    case TK_SUIT_MANIFEST_VALIDATE:
        return TK_SUIT_SECTION_VALIDATE;
    case TK_SUIT_MANIFEST_LOAD:
        return TK_SUIT_SECTION_LOAD;
    case TK_SUIT_MANIFEST_INVOKE:
        return TK_SUIT_SECTION_INVOKE;
    case TK_SUIT_MANIFEST_UNINSTALL:
        return TK_SUIT_SECTION_UNINSTALL;
    default:
        return -1;
    }
}

/*
 * Reads a member that is either its bstr or, when severed, a SUIT_Digest
 * of the bstr. A severed member found in the envelope must match the
 * digest; one missing from the envelope is marked TK_SUIT_SEVERED.
 */
static tk_err severable_read(manifest_ctx *mc, tk_cbor_dec *dec,
                             int64_t key, bool severable_allowed,
                             tk_suit_member *mem)
{
    tk_cbor_item item;
    size_t at = tk_cbor_dec_offset(dec);
    if (tk_cbor_dec_peek(dec, &item) != TK_OK)
        return tk_cbor_dec_error(dec);
    if (item.type == TK_CBOR_BSTR) {
        mem->presence = TK_SUIT_PRESENT;
        return tk_cbor_dec_get_bstr(dec, &mem->bytes);
    }
    if (!severable_allowed || item.type != TK_CBOR_ARRAY)
        return mfail(mc, dec, TK_ERR_SUIT_MALFORMED, mc->base);
    if (tk_suit_digest_read(dec, &mem->digest) != TK_OK)
        return tk_cbor_dec_error(dec);
    mem->severable = true;
    if (!tk_suit_hash_supported(mem->digest.alg)) {
        tk_cbor_dec_fail(dec, TK_ERR_SUIT_DIGEST_ALG);
        return tk_suit_fail(mc->err, TK_ERR_SUIT_DIGEST_ALG, mc->base + at);
    }
    int sev = severable_index(key);
    tk_view wrapped = mc->env->severed_wrapped[sev];
    if (wrapped.ptr == NULL) {
        mem->presence = TK_SUIT_SEVERED;
        return TK_OK;
    }
    uint8_t digest[TK_CRYPTO_MAX_HASH_SIZE];
    size_t len = 0;
    tk_err e = tk_suit_hash(mc->crypto, mem->digest.alg, wrapped, digest,
                            &len);
    if (e == TK_OK &&
        !tk_suit_digest_matches(&mem->digest, mem->digest.alg, digest, len))
        e = TK_ERR_SUIT_SEVERED_DIGEST;
    if (e != TK_OK) {
        tk_cbor_dec_fail(dec, e);
        return tk_suit_fail(mc->err, e,
                            tk_suit_offset_in(mc->env->raw, wrapped.ptr));
    }
    mem->presence = TK_SUIT_PRESENT;
    mem->bytes = mc->env->severed[sev];
    return TK_OK;
}

/* Reads SUIT_Dependencies into m->dependencies. */
static tk_err dependencies_read(manifest_ctx *mc, tk_cbor_dec *dec,
                                size_t base)
{
    tk_suit_manifest *m = mc->m;
    tk_suit_labels indices;
    memset(&indices, 0, sizeof(indices));
    if (tk_cbor_dec_enter_map(dec, NULL) != TK_OK)
        return tk_cbor_dec_error(dec);
    while (tk_cbor_dec_more(dec)) {
        uint64_t index;
        tk_suit_dependency *dep;
        tk_suit_labels labels;
        if (tk_cbor_dec_get_uint(dec, &index) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (index < 64 && tk_suit_label_add(&indices, (int64_t)index) != TK_OK)
            return tk_cbor_dec_fail(dec, TK_ERR_SUIT_DUPLICATE_KEY);
        if (m->dependency_count >= TK_SUIT_MAX_DEPENDENCIES)
            return mfail(mc, dec, TK_ERR_LIMIT, base);
        if (index >= TK_SUIT_MAX_COMPONENTS)
            return mfail(mc, dec, TK_ERR_SUIT_COMPONENT_INDEX, base);
        dep = &m->dependencies[m->dependency_count++];
        dep->index = (uint32_t)index;
        if (tk_cbor_dec_enter_map(dec, NULL) != TK_OK ||
            tk_cbor_dec_container_raw(dec, &dep->metadata) != TK_OK)
            return tk_cbor_dec_error(dec);
        memset(&labels, 0, sizeof(labels));
        while (tk_cbor_dec_more(dec)) {
            int64_t label;
            if (tk_suit_get_label(dec, &labels, &label) != TK_OK)
                return tk_cbor_dec_error(dec);
            if (label == TK_SUIT_DEPENDENCY_PREFIX) {
                if (component_id_read(dec, &dep->prefix) != TK_OK)
                    return tk_cbor_dec_error(dec);
            } else if (tk_cbor_dec_skip(dec, NULL) != TK_OK) {
                /* $$SUIT_Dependency_Extensions are informational. */
                return tk_cbor_dec_error(dec);
            }
        }
        if (tk_cbor_dec_exit(dec) != TK_OK)
            return tk_cbor_dec_error(dec);
    }
    return tk_cbor_dec_exit(dec);
}

/* Reads suit-components into m->components. */
static tk_err components_read(manifest_ctx *mc, tk_cbor_dec *dec,
                              size_t base)
{
    tk_suit_manifest *m = mc->m;
    if (tk_cbor_dec_enter_array(dec, NULL) != TK_OK)
        return tk_cbor_dec_error(dec);
    while (tk_cbor_dec_more(dec)) {
        if (m->component_count >= TK_SUIT_MAX_COMPONENTS)
            return mfail(mc, dec, TK_ERR_LIMIT, base);
        if (component_id_read(dec, &m->components[m->component_count]) !=
            TK_OK)
            return tk_cbor_dec_error(dec);
        m->component_count++;
    }
    if (tk_cbor_dec_exit(dec) != TK_OK)
        return tk_cbor_dec_error(dec);
    if (m->component_count == 0)
        return mfail(mc, dec, TK_ERR_SUIT_MALFORMED, base);
    return TK_OK;
}

/*
 * Gives each dependency named past suit-components its prefix as
 * component identifier, so that every index in use has one.
 */
static tk_err dependencies_resolve(manifest_ctx *mc, size_t offset)
{
    tk_suit_manifest *m = mc->m;
    size_t listed = m->component_count;
    for (size_t i = 0; i < m->dependency_count; i++) {
        tk_suit_dependency *dep = &m->dependencies[i];
        if (dep->index < listed)
            continue;
        if (dep->prefix.len == 0)
            return tk_suit_fail(mc->err, TK_ERR_SUIT_COMPONENT_INDEX,
                                offset);
        m->components[dep->index] = dep->prefix;
        if (dep->index + 1u > m->component_count)
            m->component_count = dep->index + 1u;
    }
    return TK_OK;
}

/* Decodes suit-common. */
static tk_err common_decode(manifest_ctx *mc)
{
    tk_suit_manifest *m = mc->m;
    tk_cbor_dec dec;
    size_t base = tk_suit_offset_in(mc->env->raw, m->common.ptr);
    bool have_components = false;
    tk_suit_labels labels;

    memset(&labels, 0, sizeof(labels));
    tk_cbor_dec_init(&dec, m->common.ptr, m->common.len, TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        int64_t key;
        if (tk_suit_get_label(&dec, &labels, &key) != TK_OK)
            break;
        if (key == TK_SUIT_COMMON_DEPENDENCIES) {
            /* Skipping dependencies would run them as plain components,
             * so a build without them rejects the manifest. */
            if (!TK_SUIT_WITH_DEPENDENCIES) {
                mfail(mc, &dec, TK_ERR_SUIT_UNKNOWN_MEMBER, base);
                break;
            }
            if (dependencies_read(mc, &dec, base) != TK_OK)
                break;
        } else if (key == TK_SUIT_COMMON_COMPONENTS) {
            have_components = true;
            if (components_read(mc, &dec, base) != TK_OK)
                break;
        } else if (key == TK_SUIT_COMMON_SHARED_SEQUENCE) {
            if (tk_cbor_dec_get_bstr(&dec, &m->shared_sequence) != TK_OK)
                break;
        } else if ((mc->flags & TK_SUIT_FLAG_ALLOW_UNKNOWN_MEMBERS) != 0) {
            if (tk_cbor_dec_skip(&dec, NULL) != TK_OK)
                break;
        } else {
            mfail(mc, &dec, TK_ERR_SUIT_UNKNOWN_MEMBER, base);
            break;
        }
    }
    tk_cbor_dec_exit(&dec);
    tk_err e = dec_result(&dec, mc->err, base);
    if (e != TK_OK)
        return e;
    if (!have_components)
        return tk_suit_fail(mc->err, TK_ERR_SUIT_MISSING_MEMBER, base);
    return TK_SUIT_WITH_DEPENDENCIES ? dependencies_resolve(mc, base) : TK_OK;
}

/* Checks a language tag: [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*. */
static bool language_tag_valid(tk_view tag)
{
    size_t run = 0;
    bool first = true;
    if (tag.len == 0)
        return false;
    for (size_t i = 0; i < tag.len; i++) {
        uint8_t c = tag.ptr[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (c == '-') {
            if (run == 0)
                return false;
            run = 0;
            first = false;
            continue;
        }
        if (!alpha && !(digit && !first))
            return false;
        if (++run > 8)
            return false;
    }
    return run > 0;
}

/* Returns true when id (encoded) is one of m's component identifiers. */
static bool component_listed(const tk_suit_manifest *m, tk_view id)
{
    for (size_t i = 0; i < m->component_count; i++)
        if (tk_suit_view_eq(m->components[i], id))
            return true;
    return false;
}

/* Reads a map of integer keys to text (SUIT_Text_Keys or
 * SUIT_Text_Component_Keys). */
static tk_err text_keys_read(tk_cbor_dec *dec)
{
    if (tk_cbor_dec_enter_map(dec, NULL) != TK_OK)
        return tk_cbor_dec_error(dec);
    while (tk_cbor_dec_more(dec)) {
        int64_t key;
        tk_view text;
        if (tk_cbor_dec_get_label(dec, &key) != TK_OK ||
            tk_cbor_dec_get_tstr(dec, &text) != TK_OK)
            return tk_cbor_dec_error(dec);
    }
    return tk_cbor_dec_exit(dec);
}

/*
 * Checks the structure of SUIT_Text_Map: language tags mapping to maps of
 * integer keys to text and of component identifiers (listed in common)
 * to maps of integer keys to text.
 */
static tk_err text_check(manifest_ctx *mc, tk_view text)
{
    tk_cbor_dec dec;
    size_t base = tk_suit_offset_in(mc->env->raw, text.ptr);
    tk_cbor_dec_init(&dec, text.ptr, text.len,
                     TK_SUIT_DEC_CHECKED | TK_CBOR_CHECK_UTF8);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        tk_view lang;
        if (tk_cbor_dec_get_tstr(&dec, &lang) != TK_OK)
            break;
        if (!language_tag_valid(lang)) {
            mfail(mc, &dec, TK_ERR_SUIT_MALFORMED, base);
            break;
        }
        if (tk_cbor_dec_enter_map(&dec, NULL) != TK_OK)
            break;
        while (tk_cbor_dec_more(&dec)) {
            tk_cbor_item item;
            if (tk_cbor_dec_peek(&dec, &item) != TK_OK)
                break;
            if (item.type == TK_CBOR_ARRAY) {
                tk_view id;
                if (component_id_read(&dec, &id) != TK_OK)
                    break;
                if (!component_listed(mc->m, id)) {
                    mfail(mc, &dec, TK_ERR_SUIT_MALFORMED, base);
                    break;
                }
                if (text_keys_read(&dec) != TK_OK)
                    break;
            } else {
                int64_t key;
                tk_view value;
                if (tk_cbor_dec_get_label(&dec, &key) != TK_OK ||
                    tk_cbor_dec_get_tstr(&dec, &value) != TK_OK)
                    break;
            }
        }
        if (tk_cbor_dec_exit(&dec) != TK_OK)
            break;
    }
    tk_cbor_dec_exit(&dec);
    return dec_result(&dec, mc->err, base);
}

/* Checks suit-set-version: a bstr holding [+ int]. */
static tk_err set_version_check(manifest_ctx *mc, tk_view bytes)
{
    tk_cbor_dec dec;
    size_t n = 0;
    size_t base = tk_suit_offset_in(mc->env->raw, bytes.ptr);
    tk_cbor_dec_init(&dec, bytes.ptr, bytes.len, TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_array(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        int64_t part;
        if (tk_cbor_dec_get_int(&dec, &part) != TK_OK)
            break;
        n++;
    }
    tk_cbor_dec_exit(&dec);
    tk_err e = dec_result(&dec, mc->err, base);
    if (e == TK_OK && n == 0)
        e = tk_suit_fail(mc->err, TK_ERR_SUIT_MALFORMED, base);
    return e;
}

/* Reads one member of SUIT_Manifest. *seen collects the required ones. */
static tk_err manifest_member(manifest_ctx *mc, tk_cbor_dec *dec,
                              int64_t key, unsigned *seen)
{
    tk_suit_manifest *m = mc->m;
    int section = section_index(key);
    switch (key) {
    case TK_SUIT_MANIFEST_VERSION:
        *seen |= 1u;
        if (tk_cbor_dec_get_uint(dec, &m->version) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (m->version != 1)
            return mfail(mc, dec, TK_ERR_SUIT_MANIFEST_VERSION, mc->base);
        return TK_OK;
    case TK_SUIT_MANIFEST_SEQUENCE_NUMBER:
        *seen |= 2u;
        return tk_cbor_dec_get_uint(dec, &m->sequence_number);
    case TK_SUIT_MANIFEST_COMMON:
        *seen |= 4u;
        return tk_cbor_dec_get_bstr(dec, &m->common);
    case TK_SUIT_MANIFEST_REFERENCE_URI:
        return tk_cbor_dec_get_tstr(dec, &m->reference_uri);
    case TK_SUIT_MANIFEST_COMPONENT_ID:
        return component_id_read(dec, &m->component_id);
    case TK_SUIT_MANIFEST_SET_VERSION:
        return tk_cbor_dec_get_bstr(dec, &m->set_version);
    case TK_SUIT_MANIFEST_TEXT:
        return severable_read(mc, dec, key, true, &m->text);
    case TK_SUIT_MANIFEST_COSWID:
        return severable_read(mc, dec, key, true, &m->coswid);
    default:
        break;
    }
    if (section >= 0)
        return severable_read(mc, dec, key, severable_index(key) >= 0,
                              &m->sequence[section]);
    if ((mc->flags & TK_SUIT_FLAG_ALLOW_UNKNOWN_MEMBERS) != 0)
        return tk_cbor_dec_skip(dec, NULL);
    return mfail(mc, dec, TK_ERR_SUIT_UNKNOWN_MEMBER, mc->base);
}

tk_err tk_suit_manifest_decode(const tk_suit_envelope *env,
                               const tk_crypto *crypto, uint32_t flags,
                               tk_suit_manifest *m, tk_suit_error *err)
{
    tk_cbor_dec dec;
    manifest_ctx mc;
    tk_suit_labels labels;
    unsigned seen = 0;

    error_reset(err);
    memset(&labels, 0, sizeof(labels));
    if (env == NULL || m == NULL || crypto == NULL)
        return tk_suit_fail(err, TK_ERR_INVALID_ARG, 0);
    memset(m, 0, sizeof(*m));
    if (!env->verified)
        return tk_suit_fail(err, TK_ERR_SUIT_NOT_VERIFIED, 0);

    mc.env = env;
    mc.crypto = crypto;
    mc.flags = flags;
    mc.m = m;
    mc.err = err;
    mc.base = tk_suit_offset_in(env->raw, env->manifest.ptr);

    tk_cbor_dec_init(&dec, env->manifest.ptr, env->manifest.len,
                     TK_SUIT_DEC_FLAGS);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        int64_t key;
        if (tk_suit_get_label(&dec, &labels, &key) != TK_OK)
            break;
        if (manifest_member(&mc, &dec, key, &seen) != TK_OK)
            break;
    }
    tk_cbor_dec_exit(&dec);
    tk_err e = dec_result(&dec, err, mc.base);
    if (e != TK_OK)
        return e;
    if ((seen & 7u) != 7u)
        return tk_suit_fail(err, TK_ERR_SUIT_MISSING_MEMBER, mc.base);
    e = common_decode(&mc);
    /* A build without these parts keeps their bytes unchecked: they only
     * inform, they change nothing that the processor does. */
    if (e == TK_OK && TK_SUIT_WITH_UPDATE_MANAGEMENT &&
        m->set_version.len > 0)
        e = set_version_check(&mc, m->set_version);
    if (e == TK_OK && TK_SUIT_WITH_TEXT &&
        m->text.presence == TK_SUIT_PRESENT)
        e = text_check(&mc, m->text.bytes);
    return e;
}

/* ---------------------------------------------------------------------- */
/* Text lookup                                                            */
/* ---------------------------------------------------------------------- */

/* Inside an entered map of integer keys to text, finds key. */
static tk_err text_find_key(tk_cbor_dec *dec, int64_t key, tk_view *value)
{
    while (tk_cbor_dec_more(dec)) {
        int64_t k;
        tk_view v;
        if (tk_cbor_dec_get_label(dec, &k) != TK_OK ||
            tk_cbor_dec_get_tstr(dec, &v) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (k == key) {
            *value = v;
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

/* Inside an entered language map, finds key at the top level or in the
 * map of component_id. */
static tk_err text_find_in_lang(tk_cbor_dec *dec, tk_view component_id,
                                int64_t key, tk_view *value)
{
    while (tk_cbor_dec_more(dec)) {
        tk_cbor_item item;
        if (tk_cbor_dec_peek(dec, &item) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (item.type == TK_CBOR_ARRAY) {
            tk_view id;
            if (component_id_read(dec, &id) != TK_OK)
                return tk_cbor_dec_error(dec);
            if (component_id.len == 0 || !tk_suit_view_eq(id, component_id)) {
                tk_cbor_dec_skip(dec, NULL);
                continue;
            }
            if (tk_cbor_dec_enter_map(dec, NULL) != TK_OK)
                return tk_cbor_dec_error(dec);
            return text_find_key(dec, key, value);
        }
        int64_t k;
        tk_view v;
        if (tk_cbor_dec_get_label(dec, &k) != TK_OK ||
            tk_cbor_dec_get_tstr(dec, &v) != TK_OK)
            return tk_cbor_dec_error(dec);
        if (component_id.len == 0 && k == key) {
            *value = v;
            return TK_OK;
        }
    }
    return TK_ERR_NOT_FOUND;
}

tk_err tk_suit_text_get(const tk_suit_manifest *m, tk_view lang,
                        tk_view component_id, int64_t key, tk_view *value)
{
    tk_cbor_dec dec;
    if (m == NULL || value == NULL)
        return TK_ERR_INVALID_ARG;
    if (!TK_SUIT_WITH_TEXT)
        return TK_ERR_UNSUPPORTED;
    if (m->text.presence != TK_SUIT_PRESENT)
        return TK_ERR_NOT_FOUND;
    tk_cbor_dec_init(&dec, m->text.bytes.ptr, m->text.bytes.len,
                     TK_SUIT_DEC_CHECKED);
    tk_cbor_dec_enter_map(&dec, NULL);
    while (tk_cbor_dec_more(&dec)) {
        tk_view tag;
        if (tk_cbor_dec_get_tstr(&dec, &tag) != TK_OK)
            break;
        if (lang.len > 0 && !tk_suit_view_eq(tag, lang)) {
            tk_cbor_dec_skip(&dec, NULL);
            continue;
        }
        if (tk_cbor_dec_enter_map(&dec, NULL) != TK_OK)
            break;
        tk_err e = text_find_in_lang(&dec, component_id, key, value);
        if (e != TK_ERR_NOT_FOUND || lang.len > 0)
            return e == TK_OK ? TK_OK : tk_suit_cbor_err(e);
        tk_cbor_dec_exit(&dec);
    }
    tk_err e = tk_cbor_dec_error(&dec);
    return e == TK_OK ? TK_ERR_NOT_FOUND : tk_suit_cbor_err(e);
}
