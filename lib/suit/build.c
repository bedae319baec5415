/*
 * SUIT builder: checks a manifest description and encodes it, then wraps
 * it in a signed envelope (see teepkit/suit_build.h).
 *
 * Every map is written with the deterministic encoder, which sorts its
 * entries when it closes, so the order in which members are written does
 * not matter for the output. They are written in ascending label order
 * anyway, which keeps the in-place sort a no-op.
 *
 * Severed members and the manifest digest need the encoded bytes before
 * the final encoding, and the builder has no buffer of its own, so it
 * encodes each of them into the caller's output buffer first, hashes it,
 * and encodes everything again into the same buffer. Deterministic
 * encoding makes the second pass reproduce the hashed bytes exactly, and
 * tk_suit_build_encode_envelope() checks that it did before returning.
 */
#include <string.h>

#include "teepkit/cbor.h"
#include "teepkit/suit_build.h"

/* The deepest item of an envelope: tag, map, manifest bstr, map, member
 * bstr and sequence array (6 levels), three per nested sequence, then a
 * parameter map, a bstr-wrapped digest and its array (3 levels). */
_Static_assert(6 + 3 * (TK_SUIT_BUILD_MAX_DEPTH - 1) + 3 <= TK_CBOR_MAX_DEPTH,
               "TK_SUIT_BUILD_MAX_DEPTH needs a larger TK_CBOR_MAX_DEPTH");

/* Members that can be severed, in the order of the TK_SUIT_BUILD_SEVER_*
 * bits. */
#define SEVERABLE_COUNT 5

static const int64_t severable_label[SEVERABLE_COUNT] = {
    TK_SUIT_BUILD_MAN_DEPENDENCY_RESOLUTION,
    TK_SUIT_BUILD_MAN_PAYLOAD_FETCH,
    TK_SUIT_BUILD_MAN_CANDIDATE_VERIFICATION,
    TK_SUIT_BUILD_MAN_INSTALL,
    TK_SUIT_BUILD_MAN_TEXT,
};

/* State of one encoding pass. */
struct build {
    tk_cbor_enc enc;
    const tk_suit_build_manifest *manifest;
    tk_suit_build_where where;
    /* Digests written in place of severed members; zero-filled while
     * measuring. */
    tk_suit_build_digest severed[SEVERABLE_COUNT];
};

/* Kind of argument that a command label takes. */
enum command_kind {
    KIND_UNKNOWN = 0,
    KIND_CONDITION,  /* reporting policy; allowed in the shared sequence */
    KIND_DIRECTIVE,  /* reporting policy; not allowed in the shared one */
    KIND_INDEX,      /* set-component-index */
    KIND_PARAMS,     /* override-parameters, set-parameters */
    KIND_RUN,        /* run-sequence */
    KIND_TRY_EACH,
    KIND_RAW_MAP,    /* override-multiple, copy-params: a pre-encoded map */
};

static enum command_kind command_kind(int64_t label)
{
    switch (label) {
    case TK_SUIT_BUILD_COND_VENDOR_IDENTIFIER:
    case TK_SUIT_BUILD_COND_CLASS_IDENTIFIER:
    case TK_SUIT_BUILD_COND_IMAGE_MATCH:
    case TK_SUIT_BUILD_COND_USE_BEFORE:
    case TK_SUIT_BUILD_COND_COMPONENT_SLOT:
    case TK_SUIT_BUILD_COND_CHECK_CONTENT:
    case TK_SUIT_BUILD_COND_DEPENDENCY_INTEGRITY:
    case TK_SUIT_BUILD_COND_IS_DEPENDENCY:
    case TK_SUIT_BUILD_COND_ABORT:
    case TK_SUIT_BUILD_COND_DEVICE_IDENTIFIER:
    case TK_SUIT_BUILD_COND_IMAGE_NOT_MATCH:
    case TK_SUIT_BUILD_COND_MINIMUM_BATTERY:
    case TK_SUIT_BUILD_COND_UPDATE_AUTHORIZED:
    case TK_SUIT_BUILD_COND_VERSION:
        return KIND_CONDITION;
    case TK_SUIT_BUILD_DIR_PROCESS_DEPENDENCY:
    case TK_SUIT_BUILD_DIR_WRITE:
    case TK_SUIT_BUILD_DIR_FETCH:
    case TK_SUIT_BUILD_DIR_COPY:
    case TK_SUIT_BUILD_DIR_INVOKE:
    case TK_SUIT_BUILD_DIR_WAIT:
    case TK_SUIT_BUILD_DIR_SWAP:
    case TK_SUIT_BUILD_DIR_UNLINK:
        return KIND_DIRECTIVE;
    case TK_SUIT_BUILD_DIR_SET_COMPONENT_INDEX:
        return KIND_INDEX;
    case TK_SUIT_BUILD_DIR_SET_PARAMETERS:
    case TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS:
        return KIND_PARAMS;
    case TK_SUIT_BUILD_DIR_RUN_SEQUENCE:
        return KIND_RUN;
    case TK_SUIT_BUILD_DIR_TRY_EACH:
        return KIND_TRY_EACH;
    case TK_SUIT_BUILD_DIR_OVERRIDE_MULTIPLE:
    case TK_SUIT_BUILD_DIR_COPY_PARAMS:
        return KIND_RAW_MAP;
    default:
        return KIND_UNKNOWN;
    }
}

/* Records the label at fault and returns err. */
static tk_err fail(struct build *b, tk_err err, int64_t label)
{
    b->where.label = label;
    return err;
}

/* Returns true when text[0..len) is well-formed UTF-8 (RFC 3629): no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
static bool is_utf8(const uint8_t *text, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t c = text[i];
        size_t extra;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1fu;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0fu;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (len - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((text[i + k] & 0xc0u) != 0x80u)
                return false;
            cp = (cp << 6) | (text[i + k] & 0x3fu);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += extra + 1;
    }
    return true;
}

/* Returns the digest size of a SUIT digest algorithm, 0 when the builder
 * does not support it. */
static size_t digest_size(tk_alg alg)
{
    switch (alg) {
    case TK_ALG_SHA256:
        return 32;
    case TK_ALG_SHA384:
        return 48;
    case TK_ALG_SHA512:
        return 64;
    default:
        return 0;
    }
}

static tk_err put_digest(tk_cbor_enc *enc, const tk_suit_build_digest *d)
{
    if (d == NULL || digest_size(d->alg) == 0 || d->len != digest_size(d->alg))
        return TK_ERR_SUIT_BUILD_BAD_DIGEST;
    tk_cbor_enc_put_array(enc, 2);
    tk_cbor_enc_put_int(enc, d->alg);
    return tk_cbor_enc_put_bstr(enc, d->bytes, d->len);
}

static tk_err put_component_id(tk_cbor_enc *enc,
                               const tk_suit_build_component_id *id)
{
    if (id == NULL || (id->count > 0 && id->segments == NULL))
        return TK_ERR_INVALID_ARG;
    tk_cbor_enc_put_array(enc, id->count);
    for (size_t i = 0; i < id->count; i++)
        tk_cbor_enc_put_bstr(enc, id->segments[i].ptr, id->segments[i].len);
    return tk_cbor_enc_error(enc);
}

/*
 * Returns the component identifier of index, or NULL when index names no
 * component. An index past suit-components names a dependency that has a
 * suit-dependency-prefix, which is then its identifier: the published
 * draft-ietf-suit-trust-domains-11 examples number dependencies that way.
 */
static const tk_suit_build_component_id *
component_at(const tk_suit_build_manifest *m, uint64_t index)
{
    if (index < m->component_count)
        return &m->components[index];
    for (size_t i = 0; i < m->dependency_count && m->dependencies != NULL;
         i++) {
        if (m->dependencies[i].index == index)
            return m->dependencies[i].prefix;
    }
    return NULL;
}

/* Bit of a value type in the accepted-types masks below. */
#define TYPE_BIT(t) (1u << (unsigned)(t))

/* Returns the value types a parameter label accepts (0 for an unknown
 * label) and, through *uuid, whether a bstr must be a 16-byte UUID. */
static unsigned param_types(int64_t label, bool *uuid)
{
    *uuid = false;
    if (label < 0)
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_UINT) |
               TYPE_BIT(TK_SUIT_BUILD_VALUE_INT) |
               TYPE_BIT(TK_SUIT_BUILD_VALUE_BOOL) |
               TYPE_BIT(TK_SUIT_BUILD_VALUE_TSTR) |
               TYPE_BIT(TK_SUIT_BUILD_VALUE_BSTR);
    switch (label) {
    case TK_SUIT_BUILD_PARAM_VENDOR_ID:
        *uuid = true;
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_BSTR) |
               TYPE_BIT(TK_SUIT_BUILD_VALUE_PEN);
    case TK_SUIT_BUILD_PARAM_CLASS_ID:
    case TK_SUIT_BUILD_PARAM_DEVICE_ID:
        *uuid = true;
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_BSTR);
    case TK_SUIT_BUILD_PARAM_IMAGE_DIGEST:
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_DIGEST);
    case TK_SUIT_BUILD_PARAM_USE_BEFORE:
    case TK_SUIT_BUILD_PARAM_COMPONENT_SLOT:
    case TK_SUIT_BUILD_PARAM_IMAGE_SIZE:
    case TK_SUIT_BUILD_PARAM_SOURCE_COMPONENT:
    case TK_SUIT_BUILD_PARAM_MINIMUM_BATTERY:
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_UINT);
    case TK_SUIT_BUILD_PARAM_STRICT_ORDER:
    case TK_SUIT_BUILD_PARAM_SOFT_FAILURE:
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_BOOL);
    case TK_SUIT_BUILD_PARAM_CONTENT:
    case TK_SUIT_BUILD_PARAM_INVOKE_ARGS:
    case TK_SUIT_BUILD_PARAM_FETCH_ARGUMENTS:
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_BSTR);
    case TK_SUIT_BUILD_PARAM_URI:
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_TSTR);
    case TK_SUIT_BUILD_PARAM_UPDATE_PRIORITY:
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_UINT) |
               TYPE_BIT(TK_SUIT_BUILD_VALUE_INT);
    case TK_SUIT_BUILD_PARAM_ENCRYPTION_INFO:
    case TK_SUIT_BUILD_PARAM_VERSION:
    case TK_SUIT_BUILD_PARAM_WAIT_INFO:
    case TK_SUIT_BUILD_PARAM_COMPONENT_METADATA:
        return TYPE_BIT(TK_SUIT_BUILD_VALUE_BSTR_CBOR);
    default:
        return 0;
    }
}

/* Checks one parameter against the CDDL of its label. */
static tk_err check_param(const struct build *b, const tk_suit_build_param *p)
{
    bool uuid;
    unsigned types = param_types(p->label, &uuid);

    if ((unsigned)p->type >= 32 || (types & TYPE_BIT(p->type)) == 0)
        return TK_ERR_SUIT_BUILD_BAD_PARAMETER;
    switch (p->type) {
    case TK_SUIT_BUILD_VALUE_BSTR:
    case TK_SUIT_BUILD_VALUE_PEN:
        if (p->bytes.len > 0 && p->bytes.ptr == NULL)
            return TK_ERR_INVALID_ARG;
        if (p->type == TK_SUIT_BUILD_VALUE_BSTR && uuid &&
            p->bytes.len != 16)
            return TK_ERR_SUIT_BUILD_BAD_PARAMETER;
        break;
    case TK_SUIT_BUILD_VALUE_TSTR:
        if (p->bytes.len > 0 && p->bytes.ptr == NULL)
            return TK_ERR_INVALID_ARG;
        if (!is_utf8(p->bytes.ptr, p->bytes.len))
            return TK_ERR_SUIT_BUILD_BAD_PARAMETER;
        break;
    case TK_SUIT_BUILD_VALUE_BSTR_CBOR:
        if (p->bytes.ptr == NULL ||
            tk_cbor_validate(p->bytes.ptr, p->bytes.len, 0, NULL) != TK_OK)
            return TK_ERR_SUIT_BUILD_BAD_PARAMETER;
        break;
    case TK_SUIT_BUILD_VALUE_DIGEST:
        if (p->digest == NULL || digest_size(p->digest->alg) == 0 ||
            p->digest->len != digest_size(p->digest->alg))
            return TK_ERR_SUIT_BUILD_BAD_DIGEST;
        break;
    default:
        break;
    }
    if (p->label == TK_SUIT_BUILD_PARAM_SOURCE_COMPONENT &&
        component_at(b->manifest, p->uint_value) == NULL)
        return TK_ERR_SUIT_BUILD_BAD_INDEX;
    return TK_OK;
}

static tk_err put_param_value(tk_cbor_enc *enc, const tk_suit_build_param *p)
{
    switch (p->type) {
    case TK_SUIT_BUILD_VALUE_UINT:
        return tk_cbor_enc_put_uint(enc, p->uint_value);
    case TK_SUIT_BUILD_VALUE_INT:
        return tk_cbor_enc_put_int(enc, p->int_value);
    case TK_SUIT_BUILD_VALUE_BOOL:
        return tk_cbor_enc_put_bool(enc, p->bool_value);
    case TK_SUIT_BUILD_VALUE_BSTR:
        return tk_cbor_enc_put_bstr(enc, p->bytes.ptr, p->bytes.len);
    case TK_SUIT_BUILD_VALUE_TSTR:
        return tk_cbor_enc_put_tstr(enc, (const char *)p->bytes.ptr,
                                    p->bytes.len);
    case TK_SUIT_BUILD_VALUE_DIGEST:
        tk_cbor_enc_bstr_wrap_begin(enc);
        put_digest(enc, p->digest);
        return tk_cbor_enc_bstr_wrap_end(enc);
    case TK_SUIT_BUILD_VALUE_BSTR_CBOR:
        return tk_cbor_enc_put_bstr(enc, p->bytes.ptr, p->bytes.len);
    case TK_SUIT_BUILD_VALUE_PEN:
        tk_cbor_enc_put_tag(enc, 112);
        return tk_cbor_enc_put_bstr(enc, p->bytes.ptr, p->bytes.len);
    }
    return TK_ERR_SUIT_BUILD_BAD_PARAMETER;
}

/* Writes the parameter map of override-parameters or set-parameters. The
 * CDDL wants at least one entry and every label once (a duplicate label
 * in a SUIT parameter map is a known attack on decoders). */
static tk_err put_params(struct build *b, const tk_suit_build_command *cmd)
{
    if (cmd->param_count == 0 || cmd->params == NULL)
        return fail(b, TK_ERR_SUIT_BUILD_BAD_COMMAND, cmd->label);
    for (size_t i = 0; i < cmd->param_count; i++) {
        const tk_suit_build_param *p = &cmd->params[i];
        tk_err err = check_param(b, p);

        if (err != TK_OK)
            return fail(b, err, p->label);
        for (size_t j = 0; j < i; j++) {
            if (cmd->params[j].label == p->label)
                return fail(b, TK_ERR_SUIT_BUILD_DUPLICATE_LABEL, p->label);
        }
    }
    tk_cbor_enc_put_map(&b->enc, cmd->param_count);
    for (size_t i = 0; i < cmd->param_count; i++) {
        tk_cbor_enc_put_int(&b->enc, cmd->params[i].label);
        put_param_value(&b->enc, &cmd->params[i]);
    }
    return tk_cbor_enc_error(&b->enc);
}

static tk_err put_index(struct build *b, const tk_suit_build_command *cmd)
{
    const tk_suit_build_manifest *m = b->manifest;

    switch (cmd->index_type) {
    case TK_SUIT_BUILD_INDEX_ONE:
        if (component_at(m, cmd->index) == NULL)
            return fail(b, TK_ERR_SUIT_BUILD_BAD_INDEX, cmd->label);
        return tk_cbor_enc_put_uint(&b->enc, cmd->index);
    case TK_SUIT_BUILD_INDEX_ALL:
        return tk_cbor_enc_put_bool(&b->enc, true);
    case TK_SUIT_BUILD_INDEX_LIST:
        if (cmd->index_count == 0 || cmd->index_list == NULL)
            return fail(b, TK_ERR_SUIT_BUILD_BAD_INDEX, cmd->label);
        for (size_t i = 0; i < cmd->index_count; i++) {
            if (component_at(m, cmd->index_list[i]) == NULL)
                return fail(b, TK_ERR_SUIT_BUILD_BAD_INDEX, cmd->label);
        }
        tk_cbor_enc_put_array(&b->enc, cmd->index_count);
        for (size_t i = 0; i < cmd->index_count; i++)
            tk_cbor_enc_put_uint(&b->enc, cmd->index_list[i]);
        return tk_cbor_enc_error(&b->enc);
    }
    return fail(b, TK_ERR_SUIT_BUILD_BAD_COMMAND, cmd->label);
}

/* Checks that raw is one well-formed item whose initial byte has a major
 * type in the mask (bit per major type 0..7), or is null when allow_null
 * is set. */
static bool raw_item_is(tk_view raw, unsigned major_mask, bool allow_null)
{
    if (raw.len == 0 || raw.ptr == NULL ||
        tk_cbor_validate(raw.ptr, raw.len, 0, NULL) != TK_OK)
        return false;
    if (allow_null && raw.ptr[0] == 0xf6)
        return true;
    return (major_mask & (1u << (raw.ptr[0] >> 5))) != 0;
}

static tk_err put_sequence(struct build *b, const tk_suit_build_sequence *seq,
                           unsigned depth, bool shared);

/* Writes a sequence bstr-wrapped, as every sequence argument and member
 * is. */
static tk_err put_wrapped_sequence(struct build *b,
                                   const tk_suit_build_sequence *seq,
                                   unsigned depth, bool shared)
{
    tk_err err;

    tk_cbor_enc_bstr_wrap_begin(&b->enc);
    err = put_sequence(b, seq, depth, shared);
    if (err != TK_OK)
        return err;
    return tk_cbor_enc_bstr_wrap_end(&b->enc);
}

static tk_err put_try_each(struct build *b, const tk_suit_build_command *cmd,
                           unsigned depth, bool shared)
{
    if (cmd->sequence_count < 2 || cmd->sequences == NULL)
        return fail(b, TK_ERR_SUIT_BUILD_BAD_TRY_EACH, cmd->label);
    if (depth >= TK_SUIT_BUILD_MAX_DEPTH)
        return fail(b, TK_ERR_SUIT_BUILD_TOO_DEEP, cmd->label);
    tk_cbor_enc_put_array(&b->enc,
                          cmd->sequence_count + (cmd->try_each_nil ? 1 : 0));
    for (size_t i = 0; i < cmd->sequence_count; i++) {
        tk_err err = put_wrapped_sequence(b, &cmd->sequences[i], depth + 1,
                                          shared);
        if (err != TK_OK)
            return err;
    }
    if (cmd->try_each_nil)
        tk_cbor_enc_put_null(&b->enc);
    return tk_cbor_enc_error(&b->enc);
}

/* Writes the label and argument of one command of a sequence at depth. */
static tk_err put_command(struct build *b, const tk_suit_build_command *cmd,
                          unsigned depth, bool shared)
{
    enum command_kind kind = command_kind(cmd->label);

    if (cmd->label < 0) {
        /* Custom commands are not allowed in the shared sequence, which
         * every device runs before it has checked vendor and class. */
        bool raw_ok = cmd->raw.len == 0 || raw_item_is(cmd->raw, 0x0fu, true);

        if (shared || !raw_ok)
            return fail(b, TK_ERR_SUIT_BUILD_BAD_COMMAND, cmd->label);
        tk_cbor_enc_put_int(&b->enc, cmd->label);
        if (cmd->raw.len == 0)
            return tk_cbor_enc_put_null(&b->enc);
        return tk_cbor_enc_put_raw(&b->enc, cmd->raw.ptr, cmd->raw.len);
    }
    if (kind == KIND_UNKNOWN ||
        (shared && (kind == KIND_DIRECTIVE || kind == KIND_RAW_MAP)))
        return fail(b, TK_ERR_SUIT_BUILD_BAD_COMMAND, cmd->label);
    tk_cbor_enc_put_int(&b->enc, cmd->label);
    switch (kind) {
    case KIND_CONDITION:
    case KIND_DIRECTIVE:
        if (cmd->policy > 15)
            return fail(b, TK_ERR_SUIT_BUILD_BAD_COMMAND, cmd->label);
        return tk_cbor_enc_put_uint(&b->enc, cmd->policy);
    case KIND_INDEX:
        return put_index(b, cmd);
    case KIND_PARAMS:
        return put_params(b, cmd);
    case KIND_RUN:
        if (cmd->sequence_count != 1 || cmd->sequences == NULL)
            return fail(b, TK_ERR_SUIT_BUILD_BAD_COMMAND, cmd->label);
        if (depth >= TK_SUIT_BUILD_MAX_DEPTH)
            return fail(b, TK_ERR_SUIT_BUILD_TOO_DEEP, cmd->label);
        return put_wrapped_sequence(b, &cmd->sequences[0], depth + 1, shared);
    case KIND_TRY_EACH:
        return put_try_each(b, cmd, depth, shared);
    case KIND_RAW_MAP:
        if (!raw_item_is(cmd->raw, 1u << 5, false))
            return fail(b, TK_ERR_SUIT_BUILD_BAD_COMMAND, cmd->label);
        return tk_cbor_enc_put_raw(&b->enc, cmd->raw.ptr, cmd->raw.len);
    case KIND_UNKNOWN:
        break;
    }
    return fail(b, TK_ERR_SUIT_BUILD_BAD_COMMAND, cmd->label);
}

/* Writes a SUIT_Command_Sequence (or a SUIT_Shared_Sequence when shared
 * is set) at nesting depth, 1 being a manifest member. */
static tk_err put_sequence(struct build *b, const tk_suit_build_sequence *seq,
                           unsigned depth, bool shared)
{
    if (seq->count == 0 || seq->commands == NULL)
        return fail(b, TK_ERR_SUIT_BUILD_EMPTY_SEQUENCE, 0);
    tk_cbor_enc_put_array(&b->enc, 2 * (uint64_t)seq->count);
    for (size_t i = 0; i < seq->count; i++) {
        tk_err err;

        if (depth == 1)
            b->where.command = i;
        err = put_command(b, &seq->commands[i], depth, shared);
        if (err != TK_OK)
            return err;
    }
    return tk_cbor_enc_error(&b->enc);
}

/* Returns true when tag is a language tag as the CDDL of suit-text
 * spells it: [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*. */
static bool is_language_tag(tk_view tag)
{
    size_t run = 0;
    bool first = true;

    if (tag.len == 0 || tag.ptr == NULL)
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
        if (!(alpha || (digit && !first)) || ++run > 8)
            return false;
    }
    return run > 0;
}

/* Writes text entries (integer key => tstr); max_key is the highest
 * standard key allowed, and negative keys are application-specific. */
static tk_err put_text_entries(struct build *b,
                               const tk_suit_build_text_entry *entries,
                               size_t count, int64_t max_key)
{
    for (size_t i = 0; i < count; i++) {
        if (entries[i].key == 0 || entries[i].key > max_key ||
            (entries[i].text.len > 0 && entries[i].text.ptr == NULL) ||
            !is_utf8(entries[i].text.ptr, entries[i].text.len))
            return fail(b, TK_ERR_SUIT_BUILD_BAD_TEXT, entries[i].key);
        for (size_t j = 0; j < i; j++) {
            if (entries[j].key == entries[i].key)
                return fail(b, TK_ERR_SUIT_BUILD_DUPLICATE_LABEL,
                            entries[i].key);
        }
        tk_cbor_enc_put_int(&b->enc, entries[i].key);
        tk_cbor_enc_put_tstr(&b->enc, (const char *)entries[i].text.ptr,
                             entries[i].text.len);
    }
    return tk_cbor_enc_error(&b->enc);
}

static tk_err put_text_language(struct build *b,
                                const tk_suit_build_text_language *lang)
{
    const tk_suit_build_manifest *m = b->manifest;
    tk_err err;

    if (lang->count > 0 && lang->entries == NULL)
        return fail(b, TK_ERR_INVALID_ARG, 0);
    if (lang->component_count > 0 && lang->components == NULL)
        return fail(b, TK_ERR_INVALID_ARG, 0);
    tk_cbor_enc_put_map(&b->enc, lang->count + lang->component_count);
    err = put_text_entries(b, lang->entries, lang->count,
                           TK_SUIT_BUILD_TEXT_MANIFEST_YAML_SOURCE);
    if (err != TK_OK)
        return err;
    for (size_t i = 0; i < lang->component_count; i++) {
        const tk_suit_build_text_component *c = &lang->components[i];

        if (component_at(m, c->component_index) == NULL ||
            (c->count > 0 && c->entries == NULL))
            return fail(b, TK_ERR_SUIT_BUILD_BAD_TEXT, 0);
        for (size_t j = 0; j < i; j++) {
            if (lang->components[j].component_index == c->component_index)
                return fail(b, TK_ERR_SUIT_BUILD_DUPLICATE_LABEL, 0);
        }
        put_component_id(&b->enc, component_at(m, c->component_index));
        tk_cbor_enc_put_map(&b->enc, c->count);
        err = put_text_entries(b, c->entries, c->count,
                               TK_SUIT_BUILD_TEXT_CURRENT_VERSION);
        if (err != TK_OK)
            return err;
    }
    return tk_cbor_enc_error(&b->enc);
}

/* Writes the SUIT_Text_Map, bstr-wrapped. */
static tk_err put_text(struct build *b)
{
    const tk_suit_build_manifest *m = b->manifest;

    b->where.member = TK_SUIT_BUILD_MAN_TEXT;
    tk_cbor_enc_bstr_wrap_begin(&b->enc);
    tk_cbor_enc_put_map(&b->enc, m->text_count);
    for (size_t i = 0; i < m->text_count; i++) {
        const tk_suit_build_text_language *lang = &m->text[i];
        tk_err err;

        if (!is_language_tag(lang->tag))
            return fail(b, TK_ERR_SUIT_BUILD_BAD_TEXT, 0);
        for (size_t j = 0; j < i; j++) {
            if (m->text[j].tag.len == lang->tag.len &&
                memcmp(m->text[j].tag.ptr, lang->tag.ptr, lang->tag.len) == 0)
                return fail(b, TK_ERR_SUIT_BUILD_DUPLICATE_LABEL, 0);
        }
        tk_cbor_enc_put_tstr(&b->enc, (const char *)lang->tag.ptr,
                             lang->tag.len);
        err = put_text_language(b, lang);
        if (err != TK_OK)
            return err;
    }
    return tk_cbor_enc_bstr_wrap_end(&b->enc);
}

/* Returns the sequence of a severable member, NULL for text. */
static const tk_suit_build_sequence *
severable_sequence(const tk_suit_build_manifest *m, size_t i)
{
    switch (severable_label[i]) {
    case TK_SUIT_BUILD_MAN_DEPENDENCY_RESOLUTION:
        return &m->dependency_resolution;
    case TK_SUIT_BUILD_MAN_PAYLOAD_FETCH:
        return &m->payload_fetch;
    case TK_SUIT_BUILD_MAN_CANDIDATE_VERIFICATION:
        return &m->candidate_verification;
    case TK_SUIT_BUILD_MAN_INSTALL:
        return &m->install;
    default:
        return NULL;
    }
}

static bool severable_present(const tk_suit_build_manifest *m, size_t i)
{
    const tk_suit_build_sequence *seq = severable_sequence(m, i);

    return seq != NULL ? seq->count > 0 : m->text_count > 0;
}

/* Writes the bstr that contains severable member i, as the envelope
 * carries it and as its digest covers it. */
static tk_err put_severable_bstr(struct build *b, size_t i)
{
    const tk_suit_build_sequence *seq = severable_sequence(b->manifest, i);

    if (seq == NULL)
        return put_text(b);
    b->where.member = severable_label[i];
    return put_wrapped_sequence(b, seq, 1, false);
}

/* Writes one unseverable sequence member when present. */
static tk_err put_member_sequence(struct build *b, int64_t label,
                                  const tk_suit_build_sequence *seq)
{
    if (seq->count == 0)
        return TK_OK;
    b->where.member = label;
    tk_cbor_enc_put_int(&b->enc, label);
    return put_wrapped_sequence(b, seq, 1, false);
}

static tk_err put_dependencies(struct build *b)
{
    const tk_suit_build_manifest *m = b->manifest;

    if (m->dependency_count > 0 && m->dependencies == NULL)
        return TK_ERR_INVALID_ARG;
    tk_cbor_enc_put_map(&b->enc, m->dependency_count);
    for (size_t i = 0; i < m->dependency_count; i++) {
        const tk_suit_build_dependency *dep = &m->dependencies[i];

        /* Past the component list, the prefix identifies the
         * dependency. */
        if (dep->index >= m->component_count && dep->prefix == NULL)
            return fail(b, TK_ERR_SUIT_BUILD_BAD_INDEX, 0);
        for (size_t j = 0; j < i; j++) {
            if (m->dependencies[j].index == dep->index)
                return fail(b, TK_ERR_SUIT_BUILD_DUPLICATE_LABEL, 0);
        }
        tk_cbor_enc_put_uint(&b->enc, dep->index);
        if (dep->prefix == NULL) {
            tk_cbor_enc_put_map(&b->enc, 0);
            continue;
        }
        tk_cbor_enc_put_map(&b->enc, 1);
        tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_DEPENDENCY_PREFIX);
        put_component_id(&b->enc, dep->prefix);
    }
    return tk_cbor_enc_error(&b->enc);
}

/* Writes SUIT_Common, bstr-wrapped. */
static tk_err put_common(struct build *b)
{
    const tk_suit_build_manifest *m = b->manifest;
    tk_err err;

    if (m->component_count == 0 || m->components == NULL)
        return TK_ERR_SUIT_BUILD_NO_COMPONENTS;
    tk_cbor_enc_bstr_wrap_begin(&b->enc);
    tk_cbor_enc_put_map(&b->enc, 1u + (m->dependency_count > 0 ? 1u : 0u) +
                                     (m->shared.count > 0 ? 1u : 0u));
    if (m->dependency_count > 0) {
        tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_COMMON_DEPENDENCIES);
        err = put_dependencies(b);
        if (err != TK_OK)
            return err;
    }
    tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_COMMON_COMPONENTS);
    tk_cbor_enc_put_array(&b->enc, m->component_count);
    for (size_t i = 0; i < m->component_count; i++) {
        err = put_component_id(&b->enc, &m->components[i]);
        if (err != TK_OK)
            return err;
    }
    if (m->shared.count > 0) {
        b->where.member = TK_SUIT_BUILD_COMMON_SHARED_SEQUENCE;
        tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_COMMON_SHARED_SEQUENCE);
        err = put_wrapped_sequence(b, &m->shared, 1, true);
        if (err != TK_OK)
            return err;
        b->where.member = 0;
    }
    return tk_cbor_enc_bstr_wrap_end(&b->enc);
}

/* Counts the members of the manifest map. */
static uint64_t manifest_member_count(const tk_suit_build_manifest *m)
{
    const tk_suit_build_sequence *seqs[] = {
        &m->validate, &m->load, &m->invoke, &m->uninstall,
    };
    uint64_t n = 3;

    n += m->reference_uri.len > 0 ? 1 : 0;
    n += m->manifest_component_id != NULL ? 1 : 0;
    n += m->set_version_count > 0 ? 1 : 0;
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        n += seqs[i]->count > 0 ? 1 : 0;
    for (size_t i = 0; i < SEVERABLE_COUNT; i++)
        n += severable_present(m, i) ? 1 : 0;
    return n;
}

static tk_err put_set_version(struct build *b)
{
    const tk_suit_build_manifest *m = b->manifest;

    if (m->set_version == NULL)
        return TK_ERR_INVALID_ARG;
    tk_cbor_enc_put_int(&b->enc, TK_SUIT_BUILD_MAN_SET_VERSION);
    tk_cbor_enc_bstr_wrap_begin(&b->enc);
    tk_cbor_enc_put_array(&b->enc, m->set_version_count);
    for (size_t i = 0; i < m->set_version_count; i++)
        tk_cbor_enc_put_int(&b->enc, m->set_version[i]);
    return tk_cbor_enc_bstr_wrap_end(&b->enc);
}

/* Writes the members up to suit-set-version (labels 1 to 6). */
static tk_err put_manifest_head(struct build *b)
{
    const tk_suit_build_manifest *m = b->manifest;
    tk_err err;

    tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_MAN_VERSION);
    tk_cbor_enc_put_uint(&b->enc, 1);
    tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_MAN_SEQUENCE_NUMBER);
    tk_cbor_enc_put_uint(&b->enc, m->sequence_number);
    tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_MAN_COMMON);
    err = put_common(b);
    if (err != TK_OK)
        return err;
    if (m->reference_uri.len > 0) {
        if (m->reference_uri.ptr == NULL ||
            !is_utf8(m->reference_uri.ptr, m->reference_uri.len))
            return fail(b, TK_ERR_INVALID_ARG, TK_SUIT_BUILD_MAN_REFERENCE_URI);
        tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_MAN_REFERENCE_URI);
        tk_cbor_enc_put_tstr(&b->enc, (const char *)m->reference_uri.ptr,
                             m->reference_uri.len);
    }
    if (m->manifest_component_id != NULL) {
        tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_MAN_COMPONENT_ID);
        err = put_component_id(&b->enc, m->manifest_component_id);
        if (err != TK_OK)
            return err;
    }
    if (m->set_version_count > 0)
        return put_set_version(b);
    return tk_cbor_enc_error(&b->enc);
}

/* Writes the SUIT_Manifest map, with the digests in b->severed standing
 * for the severed members. */
static tk_err put_manifest(struct build *b)
{
    const tk_suit_build_manifest *m = b->manifest;
    tk_err err;

    tk_cbor_enc_put_map(&b->enc, manifest_member_count(m));
    err = put_manifest_head(b);
    if (err == TK_OK)
        err = put_member_sequence(b, TK_SUIT_BUILD_MAN_VALIDATE, &m->validate);
    if (err == TK_OK)
        err = put_member_sequence(b, TK_SUIT_BUILD_MAN_LOAD, &m->load);
    if (err == TK_OK)
        err = put_member_sequence(b, TK_SUIT_BUILD_MAN_INVOKE, &m->invoke);
    for (size_t i = 0; err == TK_OK && i < SEVERABLE_COUNT; i++) {
        if (!severable_present(m, i))
            continue;
        tk_cbor_enc_put_int(&b->enc, severable_label[i]);
        if ((m->sever & (1u << i)) != 0)
            err = put_digest(&b->enc, &b->severed[i]);
        else
            err = put_severable_bstr(b, i);
    }
    if (err == TK_OK)
        err = put_member_sequence(b, TK_SUIT_BUILD_MAN_UNINSTALL,
                                  &m->uninstall);
    if (err != TK_OK)
        return err;
    b->where.member = 0;
    return tk_cbor_enc_error(&b->enc);
}

/* Starts a pass over buf (NULL with cap 0 to measure). */
static void start_pass(struct build *b, uint8_t *buf, size_t cap)
{
    tk_cbor_enc_init(&b->enc, buf, cap, TK_CBOR_ENC_DETERMINISTIC);
    memset(&b->where, 0, sizeof(b->where));
}

/* Ends a pass: returns the first error of the pass, the semantic one
 * (err) before the encoder's. */
static tk_err end_pass(struct build *b, tk_err err, size_t *len)
{
    size_t n = 0;
    tk_err enc_err = tk_cbor_enc_finish(&b->enc, &n);

    *len = n;
    return err != TK_OK ? err : enc_err;
}

/*
 * Fills b->severed with the digests of the severed members, encoding each
 * into buf (capacity cap) to hash it. With crypto NULL or buf too small
 * the digests are zero-filled placeholders of the right size, which is
 * enough to measure, and *measured is set.
 */
static tk_err digest_severed(struct build *b, const tk_crypto *crypto,
                             tk_alg alg, uint8_t *buf, size_t cap,
                             bool *measured)
{
    const tk_suit_build_manifest *m = b->manifest;

    *measured = false;
    if ((m->sever & ~((1u << SEVERABLE_COUNT) - 1)) != 0)
        return TK_ERR_SUIT_BUILD_BAD_SEVER;
    for (size_t i = 0; i < SEVERABLE_COUNT; i++) {
        tk_suit_build_digest *d = &b->severed[i];
        tk_view part;
        size_t len;
        tk_err err;

        memset(d, 0, sizeof(*d));
        d->alg = alg;
        d->len = digest_size(alg);
        if ((m->sever & (1u << i)) == 0)
            continue;
        if (!severable_present(m, i))
            return fail(b, TK_ERR_SUIT_BUILD_BAD_SEVER, severable_label[i]);
        start_pass(b, buf, cap);
        err = end_pass(b, put_severable_bstr(b, i), &len);
        if (err == TK_ERR_BUFFER_TOO_SMALL || crypto == NULL) {
            *measured = true;
            continue;
        }
        if (err != TK_OK)
            return err;
        part = (tk_view){buf, len};
        err = crypto->hash(crypto->ctx, alg, &part, 1, d->bytes,
                           sizeof(d->bytes), &d->len);
        if (err != TK_OK)
            return err;
    }
    return TK_OK;
}

/* Normalizes the digest algorithm: TK_ALG_NONE selects SHA-256. */
static tk_err pick_digest_alg(tk_alg *alg)
{
    if (*alg == TK_ALG_NONE)
        *alg = TK_ALG_SHA256;
    return digest_size(*alg) != 0 ? TK_OK : TK_ERR_SUIT_BUILD_BAD_DIGEST;
}

static void report_where(const struct build *b, tk_suit_build_where *where)
{
    if (where != NULL)
        *where = b->where;
}

tk_err tk_suit_build_encode_manifest(const tk_suit_build_manifest *manifest,
                                     const tk_crypto *crypto,
                                     tk_alg digest_alg, uint8_t *buf,
                                     size_t cap, size_t *len,
                                     tk_suit_build_where *where)
{
    struct build b;
    bool measured;
    tk_err err;

    if (manifest == NULL || len == NULL || (buf == NULL && cap > 0))
        return TK_ERR_INVALID_ARG;
    *len = 0;
    memset(&b, 0, sizeof(b));
    b.manifest = manifest;
    err = pick_digest_alg(&digest_alg);
    if (err == TK_OK)
        err = digest_severed(&b, crypto, digest_alg, buf, cap, &measured);
    if (err != TK_OK) {
        report_where(&b, where);
        return err;
    }
    if (measured && crypto != NULL) {
        /* Some member did not fit in buf: report the manifest's size. */
        start_pass(&b, NULL, 0);
        err = end_pass(&b, put_manifest(&b), len);
        report_where(&b, where);
        return err == TK_OK || err == TK_ERR_BUFFER_TOO_SMALL
                   ? TK_ERR_BUFFER_TOO_SMALL
                   : err;
    }
    start_pass(&b, buf, cap);
    err = end_pass(&b, put_manifest(&b), len);
    report_where(&b, where);
    return err;
}

/* ---------------------------------------------------------------------- */
/* Envelope                                                               */
/* ---------------------------------------------------------------------- */

static bool is_signing_alg(tk_alg alg)
{
    return alg == TK_ALG_ES256 || alg == TK_ALG_ESP256 ||
           alg == TK_ALG_EDDSA || alg == TK_ALG_ED25519;
}

/* Checks the integrated payloads and dependencies: text keys, unique
 * among themselves, with data present. */
static tk_err check_integrated(const tk_suit_build_envelope *env)
{
    const tk_suit_build_integrated *lists[2] = {env->payloads,
                                                env->dependencies};
    size_t counts[2] = {env->payload_count, env->dependency_count};

    for (size_t l = 0; l < 2; l++) {
        if (counts[l] > 0 && lists[l] == NULL)
            return TK_ERR_INVALID_ARG;
        for (size_t i = 0; i < counts[l]; i++) {
            const tk_suit_build_integrated *e = &lists[l][i];

            if (e->key.ptr == NULL || e->key.len == 0 ||
                !is_utf8(e->key.ptr, e->key.len) ||
                (e->data.len > 0 && e->data.ptr == NULL))
                return TK_ERR_INVALID_ARG;
            for (size_t l2 = 0; l2 <= l; l2++) {
                size_t end = l2 == l ? i : counts[l2];

                for (size_t j = 0; j < end; j++) {
                    const tk_suit_build_integrated *o = &lists[l2][j];

                    if (o->key.len == e->key.len &&
                        memcmp(o->key.ptr, e->key.ptr, e->key.len) == 0)
                        return TK_ERR_SUIT_BUILD_DUPLICATE_LABEL;
                }
            }
        }
    }
    return TK_OK;
}

/* Writes the text-keyed entries of the envelope. */
static void put_integrated(tk_cbor_enc *enc,
                           const tk_suit_build_integrated *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        tk_cbor_enc_put_tstr(enc, (const char *)list[i].key.ptr,
                             list[i].key.len);
        tk_cbor_enc_put_bstr(enc, list[i].data.ptr, list[i].data.len);
    }
}

/* Writes the bstr-wrapped SUIT_Authentication: the manifest digest and
 * one COSE_Sign1 per signer (placeholders when crypto is NULL). */
static tk_err put_authentication(tk_cbor_enc *enc, const tk_crypto *crypto,
                                 const tk_suit_build_digest *digest,
                                 const uint8_t *digest_enc,
                                 size_t digest_enc_len,
                                 const tk_suit_build_signer *signers,
                                 size_t signer_count)
{
    tk_view payload = {digest_enc, digest_enc_len};

    tk_cbor_enc_bstr_wrap_begin(enc);
    tk_cbor_enc_put_array(enc, 1 + (uint64_t)signer_count);
    tk_cbor_enc_bstr_wrap_begin(enc);
    put_digest(enc, digest);
    tk_cbor_enc_bstr_wrap_end(enc);
    for (size_t i = 0; i < signer_count; i++) {
        tk_err err;

        tk_cbor_enc_bstr_wrap_begin(enc);
        err = tk_suit_build_put_sign1(enc, crypto, &signers[i], payload);
        if (err != TK_OK)
            return err;
        tk_cbor_enc_bstr_wrap_end(enc);
    }
    return tk_cbor_enc_bstr_wrap_end(enc);
}

/* Writes the whole tagged envelope. With crypto NULL the signatures are
 * zero-filled placeholders, for measuring. */
static tk_err put_envelope(struct build *b,
                           const tk_suit_build_envelope *env,
                           const tk_crypto *crypto,
                           const tk_suit_build_digest *digest,
                           const uint8_t *digest_enc, size_t digest_enc_len,
                           const tk_suit_build_signer *signers,
                           size_t signer_count)
{
    const tk_suit_build_manifest *m = env->manifest;
    uint64_t entries = 2 + env->payload_count + env->dependency_count;
    tk_err err;

    for (size_t i = 0; i < SEVERABLE_COUNT; i++) {
        if ((m->sever & (1u << i)) != 0 && !env->omit_severed)
            entries++;
    }
    tk_cbor_enc_put_tag(&b->enc, TK_SUIT_BUILD_ENVELOPE_TAG);
    tk_cbor_enc_put_map(&b->enc, entries);
    tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_ENV_AUTHENTICATION);
    err = put_authentication(&b->enc, crypto, digest, digest_enc,
                             digest_enc_len, signers, signer_count);
    if (err != TK_OK)
        return err;
    tk_cbor_enc_put_uint(&b->enc, TK_SUIT_BUILD_ENV_MANIFEST);
    tk_cbor_enc_bstr_wrap_begin(&b->enc);
    err = put_manifest(b);
    if (err != TK_OK)
        return err;
    tk_cbor_enc_bstr_wrap_end(&b->enc);
    for (size_t i = 0; i < SEVERABLE_COUNT && !env->omit_severed; i++) {
        if ((m->sever & (1u << i)) == 0)
            continue;
        tk_cbor_enc_put_int(&b->enc, severable_label[i]);
        err = put_severable_bstr(b, i);
        if (err != TK_OK)
            return err;
    }
    put_integrated(&b->enc, env->payloads, env->payload_count);
    put_integrated(&b->enc, env->dependencies, env->dependency_count);
    return tk_cbor_enc_error(&b->enc);
}

/*
 * Finds the manifest bstr (head included) in an encoded envelope. Returns
 * TK_OK or the decoder's error.
 */
static tk_err find_manifest(const uint8_t *envelope, size_t len,
                            tk_view *manifest)
{
    tk_cbor_dec dec;

    tk_cbor_dec_init(&dec, envelope, len, 0);
    tk_cbor_dec_expect_tag(&dec, TK_SUIT_BUILD_ENVELOPE_TAG);
    tk_cbor_dec_enter_map(&dec, NULL);
    if (tk_cbor_dec_map_find(&dec, TK_SUIT_BUILD_ENV_MANIFEST) != TK_OK)
        return TK_ERR_INTERNAL;
    return tk_cbor_dec_skip(&dec, manifest);
}

/* Hashes the bstr-wrapped manifest: encodes it into buf, then digests the
 * bytes with alg. Sets *fits to false (and returns TK_OK) when buf is too
 * small. */
static tk_err digest_manifest(struct build *b, const tk_crypto *crypto,
                              tk_alg alg, uint8_t *buf, size_t cap,
                              tk_suit_build_digest *digest, bool *fits)
{
    size_t len;
    tk_view part;
    tk_err err;

    start_pass(b, buf, cap);
    tk_cbor_enc_bstr_wrap_begin(&b->enc);
    err = put_manifest(b);
    if (err == TK_OK)
        tk_cbor_enc_bstr_wrap_end(&b->enc);
    err = end_pass(b, err, &len);
    *fits = err != TK_ERR_BUFFER_TOO_SMALL;
    if (!*fits)
        return TK_OK;
    if (err != TK_OK)
        return err;
    memset(digest, 0, sizeof(*digest));
    digest->alg = alg;
    part = (tk_view){buf, len};
    return crypto->hash(crypto->ctx, alg, &part, 1, digest->bytes,
                        sizeof(digest->bytes), &digest->len);
}

/* Checks the envelope description and the signers. */
static tk_err check_envelope(const tk_suit_build_envelope *env,
                             const tk_crypto *crypto,
                             const tk_suit_build_signer *signers,
                             size_t signer_count)
{
    if (env == NULL || env->manifest == NULL || crypto == NULL ||
        (signer_count > 0 && signers == NULL))
        return TK_ERR_INVALID_ARG;
    if (signer_count > TK_SUIT_BUILD_MAX_SIGNERS)
        return TK_ERR_LIMIT;
    for (size_t i = 0; i < signer_count; i++) {
        if (signers[i].key == NULL || !is_signing_alg(signers[i].alg))
            return TK_ERR_SUIT_BUILD_BAD_SIGNER;
    }
    return check_integrated(env);
}

/* Encodes the SUIT_Digest of the manifest into out (capacity cap). */
static tk_err encode_digest(const tk_suit_build_digest *digest, uint8_t *out,
                            size_t cap, size_t *len)
{
    tk_cbor_enc enc;

    tk_cbor_enc_init(&enc, out, cap, 0);
    put_digest(&enc, digest);
    return tk_cbor_enc_finish(&enc, len);
}

tk_err tk_suit_build_encode_envelope(
    const tk_suit_build_envelope *envelope, const tk_crypto *crypto,
    const tk_suit_build_signer *signers, size_t signer_count, uint8_t *buf,
    size_t cap, size_t *len, tk_suit_build_where *where)
{
    struct build b;
    tk_alg alg;
    tk_suit_build_digest digest, check;
    uint8_t digest_enc[TK_CRYPTO_MAX_HASH_SIZE + 8];
    size_t digest_enc_len;
    bool measured = false, fits = true;
    tk_view manifest;
    tk_err err;

    if (len == NULL || (buf == NULL && cap > 0))
        return TK_ERR_INVALID_ARG;
    *len = 0;
    err = check_envelope(envelope, crypto, signers, signer_count);
    if (err != TK_OK)
        return err;
    memset(&b, 0, sizeof(b));
    b.manifest = envelope->manifest;
    alg = envelope->digest_alg;
    err = pick_digest_alg(&alg);
    if (err == TK_OK)
        err = digest_severed(&b, crypto, alg, buf, cap, &measured);
    if (err == TK_OK && !measured)
        err = digest_manifest(&b, crypto, alg, buf, cap, &digest, &fits);
    if (err != TK_OK) {
        report_where(&b, where);
        return err;
    }
    if (measured || !fits) {
        memset(&digest, 0, sizeof(digest));
        digest.alg = alg;
        digest.len = digest_size(alg);
    }
    err = encode_digest(&digest, digest_enc, sizeof(digest_enc),
                        &digest_enc_len);
    if (err != TK_OK)
        return err;
    if (measured || !fits) {
        /* Measure with placeholder digests and signatures of the right
         * sizes: the envelope size does not depend on their values. */
        start_pass(&b, NULL, 0);
        err = end_pass(&b,
                       put_envelope(&b, envelope, NULL, &digest, digest_enc,
                                    digest_enc_len, signers, signer_count),
                       len);
        report_where(&b, where);
        return err == TK_OK ? TK_ERR_BUFFER_TOO_SMALL : err;
    }
    start_pass(&b, buf, cap);
    err = end_pass(&b,
                   put_envelope(&b, envelope, crypto, &digest, digest_enc,
                                digest_enc_len, signers, signer_count),
                   len);
    report_where(&b, where);
    if (err != TK_OK)
        return err;

    /* The signatures cover the digest of the first pass: check that the
     * final manifest bytes have that digest. */
    err = find_manifest(buf, *len, &manifest);
    if (err == TK_OK) {
        memset(&check, 0, sizeof(check));
        err = crypto->hash(crypto->ctx, alg, &manifest, 1, check.bytes,
                           sizeof(check.bytes), &check.len);
    }
    if (err == TK_OK && (check.len != digest.len ||
                         memcmp(check.bytes, digest.bytes, digest.len) != 0))
        err = TK_ERR_INTERNAL;
    if (err != TK_OK)
        *len = 0;
    return err;
}
