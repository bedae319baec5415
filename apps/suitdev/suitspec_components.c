/*
 * The component form of a SUIT manifest description: the input format of
 * the manifest draft's examples (draft-ietf-suit-manifest-37 appendix B),
 * in which "components" lists images and the command sequences follow from
 * their fields. The sequences built here reproduce the published examples
 * 0 to 5; docs/suit.md lists the rules.
 */
#define _XOPEN_SOURCE 700

#include <stdio.h>
#include <string.h>

#include "suitnames.h"
#include "suitspec_internal.h"

#define WHERE_SIZE 256

/* Reporting policies of the published examples: conditions report
 * everything, component-slot only success, directives failure records. */
#define POLICY_CONDITION 15
#define POLICY_SLOT 5
#define POLICY_DIRECTIVE 2

/* Index of "no component". */
#define NO_INDEX SIZE_MAX

/* One entry of "components": an image variant. */
struct image {
    const json_t *json;
    char where[WHERE_SIZE];
    tk_suit_build_component_id install_id;
    size_t install_index;
    size_t download_index;
    size_t load_index;
    const tk_suit_build_digest *install_digest;
    const tk_suit_build_digest *download_digest;
    const tk_suit_build_digest *load_digest;
    bool has_install_size, has_download_size, has_load_size;
    uint64_t install_size, download_size, load_size;
    tk_view vendor_id, class_id, device_id, uri;
    bool has_slot;
    uint64_t slot;
    bool bootable, loadable, install_on_download;
};

/* Images that share one install-id: one component with slot variants. */
struct group {
    struct image *first;
    struct image **variants;
    size_t count;
};

/* A command list under construction, with room fixed in advance. */
struct list {
    tk_suit_build_command *cmds;
    size_t count;
    size_t cap;
    bool overflow;   /* a command did not fit */
};

struct form {
    tk_suitspec *spec;
    struct image *images;
    size_t image_count;
    struct group *groups;
    size_t group_count;
    tk_suit_build_component_id *components;
    size_t component_count;
};

static const char *const image_fields[] = {
    "install-id", "install-digest", "install-size", "download-id",
    "install-on-download", "download-digest", "download-size", "load-id",
    "load-digest", "load-size", "vendor-id", "class-id", "device-id", "uri",
    "slot", "bootable", "loadable", "description",
};

static const char *const top_fields[] = {
    "components", "manifest-version", "manifest-sequence-number",
    "reference-uri", "description", "severable", "include-json",
    "omit-severed",
};

static bool is_known(const char *key, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(key, names[i]) == 0)
            return true;
    }
    return false;
}

static bool same_id(const tk_suit_build_component_id *a,
                    const tk_suit_build_component_id *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        if (a->segments[i].len != b->segments[i].len ||
            (a->segments[i].len > 0 &&
             memcmp(a->segments[i].ptr, b->segments[i].ptr,
                    a->segments[i].len) != 0))
            return false;
    }
    return true;
}

static bool same_view(tk_view a, tk_view b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Returns the index of id in the component list, adding it when new. */
static size_t component_index(struct form *f,
                              const tk_suit_build_component_id *id)
{
    for (size_t i = 0; i < f->component_count; i++) {
        if (same_id(&f->components[i], id))
            return i;
    }
    f->components[f->component_count] = *id;
    return f->component_count++;
}

static tk_err read_bool(tk_suitspec *spec, const char *where,
                        const json_t *obj, const char *key, bool *out)
{
    const json_t *v = json_object_get(obj, key);

    if (v == NULL)
        return TK_OK;
    if (!json_is_boolean(v))
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "%s must be true or false", key);
    *out = json_is_true(v);
    return TK_OK;
}

/* Reads an optional size: an integer or {"file": "name"}. */
static tk_err read_size(tk_suitspec *spec, const char *where,
                        const json_t *obj, const char *key, bool *has,
                        uint64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    const json_t *file = json_object_get(v, "file");
    char at[WHERE_SIZE];

    if (v == NULL)
        return TK_OK;
    *has = true;
    spec_where(at, sizeof(at), "%s.%s", where, key);
    if (json_is_string(file))
        return spec_file_size(spec, at, json_string_value(file), out);
    return spec_uint(spec, at, v, out);
}

static tk_err read_digest(tk_suitspec *spec, const char *where,
                          const json_t *obj, const char *key,
                          const tk_suit_build_digest **out)
{
    const json_t *v = json_object_get(obj, key);
    char at[WHERE_SIZE];

    if (v == NULL)
        return TK_OK;
    spec_where(at, sizeof(at), "%s.%s", where, key);
    return spec_digest(spec, at, v, out);
}

/* Reads an optional component identifier field (a list of hex strings)
 * and returns its index in the component list, or NO_INDEX. */
static tk_err read_id(struct form *f, const char *where, const json_t *obj,
                      const char *key, tk_suit_build_component_id *id,
                      size_t *index)
{
    const json_t *v = json_object_get(obj, key);
    char at[WHERE_SIZE];
    tk_err err;

    *index = NO_INDEX;
    if (v == NULL)
        return TK_OK;
    spec_where(at, sizeof(at), "%s.%s", where, key);
    err = spec_component_id(f->spec, at, v, true, id);
    if (err == TK_OK)
        *index = component_index(f, id);
    return err;
}

static tk_err read_identity(tk_suitspec *spec, struct image *img)
{
    static const char *const keys[] = {"vendor-id", "class-id", "device-id"};
    tk_view *outs[] = {&img->vendor_id, &img->class_id, &img->device_id};
    const json_t *uri = json_object_get(img->json, "uri");
    char at[WHERE_SIZE];

    for (size_t i = 0; i < 3; i++) {
        const json_t *v = json_object_get(img->json, keys[i]);
        tk_err err;

        if (v == NULL)
            continue;
        spec_where(at, sizeof(at), "%s.%s", img->where, keys[i]);
        err = spec_uuid(spec, at, v, outs[i]);
        if (err != TK_OK)
            return err;
    }
    if (uri == NULL)
        return TK_OK;
    spec_where(at, sizeof(at), "%s.uri", img->where);
    if (!json_is_string(uri))
        return spec_fail(spec, TK_ERR_INVALID_ARG, at, "expected a string");
    return spec_copy(spec, at, json_string_value(uri),
                     json_string_length(uri), &img->uri);
}

/* Reads one entry of "components". */
static tk_err read_image(struct form *f, struct image *img)
{
    tk_suitspec *spec = f->spec;
    const json_t *slot = json_object_get(img->json, "slot");
    tk_suit_build_component_id other;
    const char *key;
    json_t *value;
    tk_err err;

    if (!json_is_object(img->json))
        return spec_fail(spec, TK_ERR_INVALID_ARG, img->where,
                         "expected an object");
    json_object_foreach((json_t *)img->json, key, value) {
        if (!is_known(key, image_fields,
                      sizeof(image_fields) / sizeof(image_fields[0])))
            return spec_fail(spec, TK_ERR_INVALID_ARG, img->where,
                             "unknown field \"%s\"", key);
    }
    if (json_object_get(img->json, "install-id") == NULL)
        return spec_fail(spec, TK_ERR_INVALID_ARG, img->where,
                         "install-id is missing");
    err = read_id(f, img->where, img->json, "install-id", &img->install_id,
                  &img->install_index);
    if (err == TK_OK)
        err = read_id(f, img->where, img->json, "download-id", &other,
                      &img->download_index);
    if (err == TK_OK)
        err = read_id(f, img->where, img->json, "load-id", &other,
                      &img->load_index);
    if (err == TK_OK)
        err = read_digest(spec, img->where, img->json, "install-digest",
                          &img->install_digest);
    if (err == TK_OK)
        err = read_digest(spec, img->where, img->json, "download-digest",
                          &img->download_digest);
    if (err == TK_OK)
        err = read_digest(spec, img->where, img->json, "load-digest",
                          &img->load_digest);
    if (err == TK_OK)
        err = read_size(spec, img->where, img->json, "install-size",
                        &img->has_install_size, &img->install_size);
    if (err == TK_OK)
        err = read_size(spec, img->where, img->json, "download-size",
                        &img->has_download_size, &img->download_size);
    if (err == TK_OK)
        err = read_size(spec, img->where, img->json, "load-size",
                        &img->has_load_size, &img->load_size);
    if (err == TK_OK)
        err = read_bool(spec, img->where, img->json, "bootable",
                        &img->bootable);
    if (err == TK_OK)
        err = read_bool(spec, img->where, img->json, "loadable",
                        &img->loadable);
    if (err == TK_OK)
        err = read_bool(spec, img->where, img->json, "install-on-download",
                        &img->install_on_download);
    if (err == TK_OK)
        err = read_identity(spec, img);
    if (err == TK_OK && slot != NULL) {
        img->has_slot = true;
        err = spec_uint(spec, img->where, slot, &img->slot);
    }
    if (err == TK_OK && img->loadable && img->load_index == NO_INDEX)
        err = spec_fail(spec, TK_ERR_INVALID_ARG, img->where,
                        "a loadable image needs a load-id");
    return err;
}

/*
 * Groups the images by install-id. Variants of one component must agree
 * on everything but the slot, digest, size and URI, and each needs a slot
 * so that try-each can tell them apart.
 */
static tk_err group_images(struct form *f)
{
    tk_suitspec *spec = f->spec;

    f->groups = spec_alloc(spec, f->image_count * sizeof(*f->groups));
    if (f->groups == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < f->image_count; i++) {
        struct image *img = &f->images[i];
        struct group *g = NULL;

        for (size_t k = 0; k < f->group_count; k++) {
            if (f->groups[k].first->install_index == img->install_index)
                g = &f->groups[k];
        }
        if (g == NULL) {
            g = &f->groups[f->group_count++];
            g->first = img;
            g->variants = spec_alloc(spec, f->image_count *
                                               sizeof(*g->variants));
            if (g->variants == NULL)
                return TK_ERR_INTERNAL;
        } else if (!img->has_slot || !g->first->has_slot ||
                   !same_view(img->vendor_id, g->first->vendor_id) ||
                   !same_view(img->class_id, g->first->class_id) ||
                   img->download_index != NO_INDEX ||
                   img->loadable || g->first->loadable) {
            return spec_fail(spec, TK_ERR_INVALID_ARG, img->where,
                             "images with the same install-id are slot "
                             "variants: each needs a slot, the same "
                             "vendor-id and class-id, and no download-id or "
                             "load-id");
        }
        for (size_t v = 0; v < g->count; v++) {
            if (g->variants[v]->slot == img->slot)
                return spec_fail(spec, TK_ERR_INVALID_ARG, img->where,
                                 "another image of this install-id already "
                                 "uses slot %llu",
                                 (unsigned long long)img->slot);
        }
        g->variants[g->count++] = img;
    }
    return TK_OK;
}

static tk_err list_init(tk_suitspec *spec, struct list *l, size_t cap)
{
    l->cmds = spec_alloc(spec, (cap + 1) * sizeof(*l->cmds));
    l->count = 0;
    l->cap = cap;
    l->overflow = false;
    return l->cmds != NULL ? TK_OK : TK_ERR_INTERNAL;
}

/* Appends a command and returns it, or marks the list as overflowed and
 * returns NULL when it is full (build_sequences() then fails). */
static tk_suit_build_command *list_add(struct list *l, int64_t label)
{
    tk_suit_build_command *c;

    if (l->count == l->cap) {
        l->overflow = true;
        return NULL;
    }
    c = &l->cmds[l->count++];
    memset(c, 0, sizeof(*c));
    c->label = label;
    return c;
}

static void add_policy(struct list *l, int64_t label, uint64_t policy)
{
    tk_suit_build_command *c = list_add(l, label);

    if (c != NULL)
        c->policy = policy;
}

/* Adds set-component-index when the manifest has several components: the
 * manifest draft requires it at the start of each group of commands. */
static void add_index(const struct form *f, struct list *l, size_t index)
{
    tk_suit_build_command *c;

    if (f->component_count < 2)
        return;
    c = list_add(l, TK_SUIT_BUILD_DIR_SET_COMPONENT_INDEX);
    if (c != NULL)
        c->index = index;
}

/* A parameter map under construction. */
struct params {
    tk_suit_build_param *p;
    size_t count;
};

static tk_err params_init(tk_suitspec *spec, struct params *ps)
{
    ps->p = spec_alloc(spec, 8 * sizeof(*ps->p));
    ps->count = 0;
    return ps->p != NULL ? TK_OK : TK_ERR_INTERNAL;
}

static void param_bytes(struct params *ps, int64_t label,
                        tk_suit_build_value_type type, tk_view bytes)
{
    if (bytes.len > 0 || type == TK_SUIT_BUILD_VALUE_TSTR)
        ps->p[ps->count++] =
            tk_suit_build_param_bytes(label, type, bytes);
}

static void param_digest(struct params *ps, const tk_suit_build_digest *d)
{
    if (d != NULL)
        ps->p[ps->count++] =
            tk_suit_build_param_digest(TK_SUIT_BUILD_PARAM_IMAGE_DIGEST, d);
}

static void param_uint(struct params *ps, int64_t label, bool has,
                       uint64_t value)
{
    if (has)
        ps->p[ps->count++] = tk_suit_build_param_uint(label, value);
}

/* Adds override-parameters with the map, unless it is empty. */
static void add_override(struct list *l, const struct params *ps)
{
    tk_suit_build_command *c;

    if (ps->count == 0)
        return;
    c = list_add(l, TK_SUIT_BUILD_DIR_OVERRIDE_PARAMETERS);
    if (c != NULL) {
        c->params = ps->p;
        c->param_count = ps->count;
    }
}

/* Parameters that a slot variant sets after its slot check: the image
 * digest and size (shared sequence) or the URI (install). */
enum variant_part { VARIANT_IMAGE, VARIANT_URI };

/* Adds try-each over the slot variants of g: each alternative sets the
 * slot, checks it, then overrides the part's parameters. */
static tk_err add_slot_try_each(tk_suitspec *spec, struct list *l,
                                const struct group *g, enum variant_part part)
{
    tk_suit_build_sequence *seqs =
        spec_alloc(spec, g->count * sizeof(*seqs));
    tk_suit_build_command *c;

    if (seqs == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < g->count; i++) {
        const struct image *img = g->variants[i];
        struct list alt;
        struct params slot, rest;
        tk_err err = list_init(spec, &alt, 3);

        if (err == TK_OK)
            err = params_init(spec, &slot);
        if (err == TK_OK)
            err = params_init(spec, &rest);
        if (err != TK_OK)
            return err;
        param_uint(&slot, TK_SUIT_BUILD_PARAM_COMPONENT_SLOT, true, img->slot);
        add_override(&alt, &slot);
        add_policy(&alt, TK_SUIT_BUILD_COND_COMPONENT_SLOT, POLICY_SLOT);
        if (part == VARIANT_IMAGE) {
            param_digest(&rest, img->install_digest);
            param_uint(&rest, TK_SUIT_BUILD_PARAM_IMAGE_SIZE,
                       img->has_install_size, img->install_size);
        } else {
            param_bytes(&rest, TK_SUIT_BUILD_PARAM_URI,
                        TK_SUIT_BUILD_VALUE_TSTR, img->uri);
        }
        add_override(&alt, &rest);
        seqs[i] = (tk_suit_build_sequence){alt.cmds, alt.count};
    }
    c = list_add(l, TK_SUIT_BUILD_DIR_TRY_EACH);
    if (c != NULL) {
        c->sequences = seqs;
        c->sequence_count = g->count;
    }
    return TK_OK;
}

/* Shared sequence: identity and image of each installed component, and
 * the vendor and class checks. */
static tk_err build_shared(struct form *f, struct list *l)
{
    for (size_t k = 0; k < f->group_count; k++) {
        const struct group *g = &f->groups[k];
        const struct image *img = g->first;
        struct params ps;
        tk_err err = params_init(f->spec, &ps);

        if (err != TK_OK)
            return err;
        add_index(f, l, img->install_index);
        param_bytes(&ps, TK_SUIT_BUILD_PARAM_VENDOR_ID,
                    TK_SUIT_BUILD_VALUE_BSTR, img->vendor_id);
        param_bytes(&ps, TK_SUIT_BUILD_PARAM_CLASS_ID,
                    TK_SUIT_BUILD_VALUE_BSTR, img->class_id);
        param_bytes(&ps, TK_SUIT_BUILD_PARAM_DEVICE_ID,
                    TK_SUIT_BUILD_VALUE_BSTR, img->device_id);
        if (g->count == 1) {
            param_digest(&ps, img->install_digest);
            param_uint(&ps, TK_SUIT_BUILD_PARAM_IMAGE_SIZE,
                       img->has_install_size, img->install_size);
        }
        add_override(l, &ps);
        if (g->count > 1) {
            err = add_slot_try_each(f->spec, l, g, VARIANT_IMAGE);
            if (err != TK_OK)
                return err;
        }
        if (img->vendor_id.len > 0)
            add_policy(l, TK_SUIT_BUILD_COND_VENDOR_IDENTIFIER,
                       POLICY_CONDITION);
        if (img->class_id.len > 0)
            add_policy(l, TK_SUIT_BUILD_COND_CLASS_IDENTIFIER,
                       POLICY_CONDITION);
        if (img->device_id.len > 0)
            add_policy(l, TK_SUIT_BUILD_COND_DEVICE_IDENTIFIER,
                       POLICY_CONDITION);
    }
    return TK_OK;
}

/* Validate: image-match on each installed component that has a digest. */
static void build_validate(struct form *f, struct list *l)
{
    for (size_t k = 0; k < f->group_count; k++) {
        const struct image *img = f->groups[k].first;

        if (img->install_digest == NULL)
            continue;
        add_index(f, l, img->install_index);
        add_policy(l, TK_SUIT_BUILD_COND_IMAGE_MATCH, POLICY_CONDITION);
    }
}

/* Load: copy each loadable image from its installed component to its
 * load component and check the copy. */
static tk_err build_load(struct form *f, struct list *l)
{
    for (size_t k = 0; k < f->group_count; k++) {
        const struct image *img = f->groups[k].first;
        struct params ps;
        tk_err err;

        if (!img->loadable)
            continue;
        err = params_init(f->spec, &ps);
        if (err != TK_OK)
            return err;
        add_index(f, l, img->load_index);
        param_digest(&ps, img->load_digest);
        param_uint(&ps, TK_SUIT_BUILD_PARAM_IMAGE_SIZE, img->has_load_size,
                   img->load_size);
        param_uint(&ps, TK_SUIT_BUILD_PARAM_SOURCE_COMPONENT, true,
                   img->install_index);
        add_override(l, &ps);
        add_policy(l, TK_SUIT_BUILD_DIR_COPY, POLICY_DIRECTIVE);
        if (img->load_digest != NULL)
            add_policy(l, TK_SUIT_BUILD_COND_IMAGE_MATCH, POLICY_CONDITION);
    }
    return TK_OK;
}

/*
 * Invoke: each bootable component, from its load component when it has
 * one. A component with slot variants is not invoked, as in the published
 * example 3, whose envelope has no invoke sequence.
 */
static void build_invoke(struct form *f, struct list *l)
{
    for (size_t k = 0; k < f->group_count; k++) {
        const struct group *g = &f->groups[k];
        const struct image *img = g->first;

        if (!img->bootable || g->count > 1)
            continue;
        add_index(f, l, img->loadable ? img->load_index : img->install_index);
        add_policy(l, TK_SUIT_BUILD_DIR_INVOKE, POLICY_DIRECTIVE);
    }
}

/* Fetch of an image into its download component. */
static tk_err add_download(struct form *f, struct list *l,
                           const struct image *img)
{
    struct params ps;
    tk_err err = params_init(f->spec, &ps);

    if (err != TK_OK)
        return err;
    add_index(f, l, img->download_index);
    param_digest(&ps, img->download_digest);
    param_uint(&ps, TK_SUIT_BUILD_PARAM_IMAGE_SIZE, img->has_download_size,
               img->download_size);
    param_bytes(&ps, TK_SUIT_BUILD_PARAM_URI, TK_SUIT_BUILD_VALUE_TSTR,
                img->uri);
    add_override(l, &ps);
    add_policy(l, TK_SUIT_BUILD_DIR_FETCH, POLICY_DIRECTIVE);
    if (img->download_digest != NULL)
        add_policy(l, TK_SUIT_BUILD_COND_IMAGE_MATCH, POLICY_CONDITION);
    return TK_OK;
}

/* Payload fetch and install: fetch each image into a download component
 * (in payload-fetch, or in install with install-on-download) and copy it
 * to its component, or fetch it directly into its component. */
static tk_err build_install(struct form *f, struct list *fetch,
                            struct list *install)
{
    for (size_t k = 0; k < f->group_count; k++) {
        const struct group *g = &f->groups[k];
        const struct image *img = g->first;
        struct params ps;
        tk_err err = params_init(f->spec, &ps);

        if (err != TK_OK)
            return err;
        if (img->download_index != NO_INDEX) {
            err = add_download(f, img->install_on_download ? install : fetch,
                               img);
            if (err != TK_OK)
                return err;
            add_index(f, install, img->install_index);
            param_uint(&ps, TK_SUIT_BUILD_PARAM_SOURCE_COMPONENT, true,
                       img->download_index);
            add_override(install, &ps);
            add_policy(install, TK_SUIT_BUILD_DIR_COPY, POLICY_DIRECTIVE);
        } else if (img->uri.len > 0) {
            add_index(f, install, img->install_index);
            if (g->count > 1) {
                err = add_slot_try_each(f->spec, install, g, VARIANT_URI);
                if (err != TK_OK)
                    return err;
            } else {
                param_bytes(&ps, TK_SUIT_BUILD_PARAM_URI,
                            TK_SUIT_BUILD_VALUE_TSTR, img->uri);
                add_override(install, &ps);
            }
            add_policy(install, TK_SUIT_BUILD_DIR_FETCH, POLICY_DIRECTIVE);
        } else {
            continue;
        }
        if (img->install_digest != NULL)
            add_policy(install, TK_SUIT_BUILD_COND_IMAGE_MATCH,
                       POLICY_CONDITION);
    }
    return TK_OK;
}

static tk_suit_build_sequence as_sequence(const struct list *l)
{
    return (tk_suit_build_sequence){l->count > 0 ? l->cmds : NULL, l->count};
}

static tk_err build_sequences(struct form *f)
{
    tk_suit_build_manifest *m = &f->spec->manifest;
    /* At most 8 commands per image in any one sequence. */
    size_t cap = 8 * f->image_count + 8;
    struct list shared, validate, load, invoke, fetch, install;
    tk_err err = list_init(f->spec, &shared, cap);

    if (err == TK_OK)
        err = list_init(f->spec, &validate, cap);
    if (err == TK_OK)
        err = list_init(f->spec, &load, cap);
    if (err == TK_OK)
        err = list_init(f->spec, &invoke, cap);
    if (err == TK_OK)
        err = list_init(f->spec, &fetch, cap);
    if (err == TK_OK)
        err = list_init(f->spec, &install, cap);
    if (err == TK_OK)
        err = build_shared(f, &shared);
    if (err == TK_OK)
        err = build_load(f, &load);
    if (err == TK_OK)
        err = build_install(f, &fetch, &install);
    if (err != TK_OK)
        return err;
    build_validate(f, &validate);
    build_invoke(f, &invoke);
    if (shared.overflow || validate.overflow || load.overflow ||
        invoke.overflow || fetch.overflow || install.overflow)
        return spec_fail(f->spec, TK_ERR_INTERNAL, "components",
                         "a command sequence outgrew its %zu commands", cap);
    m->shared = as_sequence(&shared);
    m->validate = as_sequence(&validate);
    m->load = as_sequence(&load);
    m->invoke = as_sequence(&invoke);
    m->payload_fetch = as_sequence(&fetch);
    m->install = as_sequence(&install);
    return TK_OK;
}

/* Collects the language tags used by the top-level and component
 * descriptions, each once, in order of first use. */
static size_t collect_languages(struct form *f, const json_t *top,
                                const char **tags, size_t cap)
{
    size_t n = 0;

    for (size_t k = 0; k <= f->group_count; k++) {
        const json_t *desc =
            k == f->group_count
                ? top
                : json_object_get(f->groups[k].first->json, "description");
        const char *tag;
        json_t *unused;

        json_object_foreach((json_t *)desc, tag, unused) {
            size_t i = 0;

            while (i < n && strcmp(tags[i], tag) != 0)
                i++;
            if (i == n && n < cap)
                tags[n++] = tag;
        }
    }
    return n;
}

/* Reads one language's text map into entries. */
static tk_err read_text(tk_suitspec *spec, const char *where,
                        const json_t *map, tk_suitnames_space space,
                        tk_suit_build_text_entry *entries, size_t *count)
{
    char at[WHERE_SIZE];
    const char *name;
    json_t *value;

    *count = 0;
    if (map == NULL)
        return TK_OK;
    if (!json_is_object(map))
        return spec_fail(spec, TK_ERR_INVALID_ARG, where,
                         "expected a map of text names to text");
    json_object_foreach((json_t *)map, name, value) {
        tk_suit_build_text_entry *e = &entries[*count];
        tk_err err;

        spec_where(at, sizeof(at), "%s.%s", where, name);
        if (!tk_suitnames_label(space, name, &e->key) ||
            !json_is_string(value))
            return spec_fail(spec, TK_ERR_INVALID_ARG, at,
                             "unknown text name, or a value that is not "
                             "text");
        err = spec_copy(spec, at, json_string_value(value),
                        json_string_length(value), &e->text);
        if (err != TK_OK)
            return err;
        (*count)++;
    }
    return TK_OK;
}

static tk_err build_text(struct form *f, const json_t *top)
{
    tk_suitspec *spec = f->spec;
    const char *tags[16];
    size_t n = collect_languages(f, top, tags, 16);
    tk_suit_build_text_language *langs;
    char at[WHERE_SIZE];

    if (n == 0)
        return TK_OK;
    langs = spec_alloc(spec, n * sizeof(*langs));
    if (langs == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        tk_suit_build_text_language *lang = &langs[i];
        tk_suit_build_text_entry *entries = spec_alloc(spec, 8 *
                                                       sizeof(*entries));
        tk_suit_build_text_component *comps =
            spec_alloc(spec, (f->group_count + 1) * sizeof(*comps));
        tk_err err;

        if (entries == NULL || comps == NULL ||
            spec_copy(spec, "description", tags[i], strlen(tags[i]),
                      &lang->tag) != TK_OK)
            return TK_ERR_INTERNAL;
        spec_where(at, sizeof(at), "description.%s", tags[i]);
        err = read_text(spec, at, json_object_get(top, tags[i]),
                        TK_SUITNAMES_TEXT, entries, &lang->count);
        if (err != TK_OK)
            return err;
        lang->entries = entries;
        for (size_t k = 0; k < f->group_count; k++) {
            const struct image *img = f->groups[k].first;
            const json_t *map = json_object_get(
                json_object_get(img->json, "description"), tags[i]);
            tk_suit_build_text_component *c = &comps[lang->component_count];
            tk_suit_build_text_entry *ce;

            if (map == NULL)
                continue;
            ce = spec_alloc(spec, 8 * sizeof(*ce));
            if (ce == NULL)
                return TK_ERR_INTERNAL;
            spec_where(at, sizeof(at), "%s.description.%s", img->where,
                     tags[i]);
            err = read_text(spec, at, map, TK_SUITNAMES_TEXT_COMPONENT, ce,
                            &c->count);
            if (err != TK_OK)
                return err;
            c->entries = ce;
            c->component_index = img->install_index;
            lang->component_count++;
        }
        lang->components = comps;
    }
    spec->manifest.text = langs;
    spec->manifest.text_count = n;
    return TK_OK;
}

static tk_err read_top(tk_suitspec *spec, const json_t *root)
{
    const char *key;
    json_t *value;
    const json_t *version = json_object_get(root, "manifest-version");
    const json_t *uri = json_object_get(root, "reference-uri");

    json_object_foreach((json_t *)root, key, value) {
        if (!is_known(key, top_fields,
                      sizeof(top_fields) / sizeof(top_fields[0])))
            return spec_fail(spec, TK_ERR_INVALID_ARG, key,
                             "unknown member of the component form");
    }
    if (version != NULL &&
        (!json_is_integer(version) || json_integer_value(version) != 1))
        return spec_fail(spec, TK_ERR_INVALID_ARG, "manifest-version",
                         "only manifest version 1 exists");
    if (spec_uint(spec, "manifest-sequence-number",
                  json_object_get(root, "manifest-sequence-number"),
                  &spec->manifest.sequence_number) != TK_OK)
        return TK_ERR_INVALID_ARG;
    if (uri != NULL) {
        if (!json_is_string(uri))
            return spec_fail(spec, TK_ERR_INVALID_ARG, "reference-uri",
                             "expected a URI string");
        if (spec_copy(spec, "reference-uri", json_string_value(uri),
                      json_string_length(uri),
                      &spec->manifest.reference_uri) != TK_OK)
            return TK_ERR_INTERNAL;
    }
    spec->envelope.omit_severed =
        json_is_true(json_object_get(root, "omit-severed"));
    return TK_OK;
}

/* Severs every severable member present, for "severable": true. */
static void sever_all(tk_suit_build_manifest *m)
{
    if (m->payload_fetch.count > 0)
        m->sever |= TK_SUIT_BUILD_SEVER_PAYLOAD_FETCH;
    if (m->install.count > 0)
        m->sever |= TK_SUIT_BUILD_SEVER_INSTALL;
    if (m->text_count > 0)
        m->sever |= TK_SUIT_BUILD_SEVER_TEXT;
}

tk_err spec_parse_components_form(tk_suitspec *spec, const json_t *root)
{
    const json_t *list = json_object_get(root, "components");
    struct form f;
    tk_err err = read_top(spec, root);

    if (err != TK_OK)
        return err;
    memset(&f, 0, sizeof(f));
    f.spec = spec;
    f.image_count = json_array_size(list);
    f.images = spec_alloc(spec, f.image_count * sizeof(*f.images));
    f.components = spec_alloc(spec, 3 * f.image_count * sizeof(*f.components));
    if (f.images == NULL || f.components == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; i < f.image_count; i++) {
        struct image *img = &f.images[i];

        img->json = json_array_get(list, i);
        spec_where(img->where, sizeof(img->where), "components[%zu]", i);
        err = read_image(&f, img);
        if (err != TK_OK)
            return err;
    }
    err = group_images(&f);
    if (err == TK_OK)
        err = build_sequences(&f);
    if (err == TK_OK)
        err = build_text(&f, json_object_get(root, "description"));
    if (err != TK_OK)
        return err;
    spec->manifest.components = f.components;
    spec->manifest.component_count = f.component_count;
    if (json_is_true(json_object_get(root, "severable")))
        sever_all(&spec->manifest);
    return TK_OK;
}
