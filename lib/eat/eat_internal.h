/* Declarations shared by the files of lib/eat. */
#ifndef TK_EAT_INTERNAL_H
#define TK_EAT_INTERNAL_H

#include "teepkit/cbor.h"
#include "teepkit/eat.h"

/* Returns true when a and b have the same length and bytes. */
bool tk_eat_view_equal(tk_view a, tk_view b);

/*
 * Maps an error kept by a CBOR decoder over claims to the EAT code that
 * names the problem: duplicate keys, non-preferred heads, wrong types and
 * plain malformation. EAT codes pass through unchanged.
 */
tk_err tk_eat_map_cbor_error(tk_err err);

#endif /* TK_EAT_INTERNAL_H */
