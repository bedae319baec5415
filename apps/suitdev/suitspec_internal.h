/*
 * Declarations shared by the two description forms of tk_suitspec; not
 * part of its API.
 */
#ifndef TK_SUITSPEC_INTERNAL_H
#define TK_SUITSPEC_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "suitspec.h"

/* One allocation owned by a description. */
struct spec_block {
    struct spec_block *next;
    max_align_t align[];
};

struct tk_suitspec {
    struct spec_block *blocks;
    tk_suit_build_manifest manifest;
    tk_suit_build_envelope envelope;
    const tk_crypto *crypto;
    const char *base_dir;
    char *msg;
    size_t msg_size;
};

/* Allocates size zeroed bytes that live as long as spec, or returns NULL
 * after writing "out of memory" to the message. */
void *spec_alloc(tk_suitspec *spec, size_t size);

/* Writes "WHERE: MESSAGE" to the message and returns err. */
tk_err spec_fail(tk_suitspec *spec, tk_err err, const char *where,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Formats a JSON path for messages into out (capacity size), truncating
 * a path too long to fit. */
void spec_where(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies len bytes into the description and returns a view of them. */
tk_err spec_copy(tk_suitspec *spec, const char *where, const void *data,
                 size_t len, tk_view *out);

/* Reads a byte string given as text (its UTF-8 bytes), {"hex": "..."} or
 * {"file": "name"}. */
tk_err spec_bytes(tk_suitspec *spec, const char *where, const json_t *value,
                  tk_view *out);

/* Decodes hex text (even length, no separators) into the description. */
tk_err spec_hex(tk_suitspec *spec, const char *where, const char *hex,
                tk_view *out);

/* Reads a 16-byte UUID given as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
 * as 32 hex digits or as {"hex": "..."}. */
tk_err spec_uuid(tk_suitspec *spec, const char *where, const json_t *value,
                 tk_view *out);

/* Reads a non-negative JSON integer. */
tk_err spec_uint(tk_suitspec *spec, const char *where, const json_t *value,
                 uint64_t *out);

/*
 * Reads a SUIT_Digest: {"file": "name"} digests that file (with
 * "algorithm-id" when given, else SHA-256); otherwise "algorithm-id" and
 * "digest-bytes" (hex) give it directly.
 */
tk_err spec_digest(tk_suitspec *spec, const char *where, const json_t *value,
                   const tk_suit_build_digest **out);

/* Returns the size of the file name relative to the description's folder
 * in *size. */
tk_err spec_file_size(tk_suitspec *spec, const char *where, const char *name,
                      uint64_t *size);

/* Reads a component identifier: a list of segments, each text or
 * {"hex": "..."}; with hex_strings set, plain strings are hex too (the
 * component form's install-id). */
tk_err spec_component_id(tk_suitspec *spec, const char *where,
                         const json_t *value, bool hex_strings,
                         tk_suit_build_component_id *out);

/* Fills spec from the component form of the manifest draft's examples. */
tk_err spec_parse_components_form(tk_suitspec *spec, const json_t *root);

#endif /* TK_SUITSPEC_INTERNAL_H */
