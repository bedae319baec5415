/*
 * Types shared by every teepkit library.
 */
#ifndef TEEPKIT_COMMON_H
#define TEEPKIT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "teepkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read-only view of bytes owned by someone else: decoders return views into
 * their input instead of copies. A view with len 0 may have ptr NULL.
 */
typedef struct tk_view {
    const uint8_t *ptr;
    size_t len;
} tk_view;

/* Builds a view over a NUL-terminated string, without the NUL. */
#define TK_VIEW_STR(s) ((tk_view){(const uint8_t *)(s), sizeof(s) - 1})

#ifdef __cplusplus
}
#endif

#endif /* TEEPKIT_COMMON_H */
