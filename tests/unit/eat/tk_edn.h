/*
 * CBOR diagnostic notation (RFC 8949 section 8, with the extensions of
 * RFC 8610 appendix G) to CBOR bytes, for tests that compare published
 * .diag files with their hex dumps and with what our decoders return.
 *
 * The converter is written independently of lib/cbor so that it can act as
 * an oracle. It emits preferred serialization (shortest heads, definite
 * lengths) and supports what the published TEEP and EAT examples use:
 * unsigned and negative integers, h'..' and '..' byte strings, "..." text,
 * juxtaposed strings (concatenated), arrays, maps, tags N(...), embedded
 * CBOR <<...>>, true, false, null, undefined and / comments /.
 * Floating-point numbers and indefinite lengths are not supported.
 */
#ifndef TK_EDN_H
#define TK_EDN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Converts the diagnostic notation in text (one data item, optionally
 * followed by whitespace and comments) to CBOR in out (capacity cap).
 * Returns the number of bytes written, or -1 with a message naming the
 * line of the problem in err (capacity err_cap).
 */
long tk_edn_to_cbor(const char *text, uint8_t *out, size_t cap, char *err,
                    size_t err_cap);

/* Reads a .diag file below TK_VECTOR_DIR and converts it into a malloc'd
 * buffer. Aborts the test program with the message when conversion fails. */
uint8_t *tk_edn_read_vector(const char *relative, size_t *len);

#endif /* TK_EDN_H */
