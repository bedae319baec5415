/*
 * tk_suitspec: reads the JSON description of a SUIT manifest that
 * `teepkit suit create` takes, into a tk_suit_build_envelope.
 *
 * Two forms are accepted (docs/suit.md documents both):
 * - the teepkit form, which names every command sequence and command
 *   explicitly ("components" is a list of component identifiers);
 * - the component form of the manifest draft's example inputs, in which
 *   each entry of "components" describes an image by its install-id,
 *   digest, size, URI, slot and boot flags, and the command sequences are
 *   derived from those fields (the form is recognized by "components"
 *   holding objects).
 *
 * File names in a description (payloads whose digest and size are
 * computed, content, encryption info, integrated payloads) are relative to
 * the folder of the JSON file.
 *
 * Host code: it allocates every array of the description and releases them
 * together in tk_suitspec_free().
 */
#ifndef TK_SUITSPEC_H
#define TK_SUITSPEC_H

#include <stddef.h>

#include "teepkit/crypto.h"
#include "teepkit/suit_build.h"

typedef struct tk_suitspec tk_suitspec;

/*
 * Parses the JSON text json (json_len bytes) whose relative file names are
 * resolved against base_dir, computing payload digests with crypto. On
 * success *spec owns the description. On failure the message names the
 * JSON path of the fault, for example
 * "install[2].directive-override-parameters.image-size: expected an
 * unsigned integer", and is written to msg (capacity msg_size).
 *
 * Returns TK_OK, TK_ERR_INVALID_ARG for a description that is not valid,
 * TK_ERR_NOT_FOUND for a named file that cannot be read, or the error of
 * digesting a payload.
 */
tk_err tk_suitspec_parse(const char *json, size_t json_len,
                         const char *base_dir, const tk_crypto *crypto,
                         tk_suitspec **spec, char *msg, size_t msg_size);

/* Reads the JSON file path and parses it as tk_suitspec_parse() does,
 * with the file's folder as base_dir. */
tk_err tk_suitspec_load(const char *path, const tk_crypto *crypto,
                        tk_suitspec **spec, char *msg, size_t msg_size);

/* Returns the envelope description, valid until tk_suitspec_free(). */
const tk_suit_build_envelope *tk_suitspec_envelope(const tk_suitspec *spec);

/* Releases a description and everything it owns. Accepts NULL. */
void tk_suitspec_free(tk_suitspec *spec);

#endif /* TK_SUITSPEC_H */
