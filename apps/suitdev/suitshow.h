/*
 * tk_suitshow: prints SUIT envelopes and reports for people and scripts,
 * with the names of members, commands, parameters and algorithms.
 *
 * The printer walks the CBOR with the structure of a SUIT envelope in
 * mind: byte strings that wrap CBOR (the manifest, sequences, digests,
 * COSE blocks) are opened, command sequences are shown as label/argument
 * pairs with the command name, and parameter maps with parameter names.
 * Host code: it allocates.
 */
#ifndef TK_SUITSHOW_H
#define TK_SUITSHOW_H

#include <stdio.h>

#include "teepkit/common.h"

/* What the input is. */
typedef enum tk_suitshow_kind {
    TK_SUITSHOW_ENVELOPE = 0, /* a SUIT_Envelope, tagged or not */
    TK_SUITSHOW_REPORT        /* an unprotected SUIT_Report */
} tk_suitshow_kind;

/*
 * Writes input in diagnostic notation (RFC 8949 section 8) to out, one
 * array element or map entry per line, each named label followed by its
 * name as a comment: `/ install / 20: << [ ... ] >>`. Returns TK_OK, or the
 * decoder's error (with its byte offset in *err_off, which may be NULL)
 * for input that is not well-formed CBOR; nothing is written then.
 */
tk_err tk_suitshow_diag(FILE *out, tk_view input, tk_suitshow_kind kind,
                        size_t *err_off);

/*
 * Writes input as JSON to out: maps become objects keyed by member,
 * parameter or text names (or the label as a string when it has none),
 * sequences become lists of {"command-name": argument}, byte strings that
 * wrap CBOR are opened, other byte strings become hex strings, and UUIDs
 * are written as such. Returns as tk_suitshow_diag() does.
 */
tk_err tk_suitshow_json(FILE *out, tk_view input, tk_suitshow_kind kind,
                        size_t *err_off);

#endif /* TK_SUITSHOW_H */
