/*
 * Small helpers of the TAM service: clock, hex, short session ids for
 * logs, component identifiers in diagnostic notation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tam_internal.h"
#include "teepkit/cbor.h"

int64_t tam_now(const tk_tam *tam)
{
    if (tam->clock != NULL)
        return tam->clock(tam->clock_ctx);
    return (int64_t)time(NULL);
}

/* Writes data as lowercase hex into out (capacity cap), cut to fit. */
void tam_hex(const uint8_t *data, size_t len, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < len && n + 2 < cap; i++) {
        out[n++] = digits[data[i] >> 4];
        out[n++] = digits[data[i] & 15];
    }
    out[n] = '\0';
}

/*
 * Writes the short session id of a token: the first TAM_SID_HEX hex
 * digits of its SHA-256. Logs name sessions this way, never by the token
 * itself, which would let a reader of the log reply in the agent's place.
 */
void tam_short_id(const tk_crypto *crypto, tk_view token,
                  char out[TAM_SID_HEX + 1])
{
    uint8_t digest[32];
    size_t len = 0;
    if (token.len == 0 ||
        crypto->hash(crypto->ctx, TK_ALG_SHA256, &token, 1, digest,
                     sizeof(digest), &len) != TK_OK) {
        snprintf(out, TAM_SID_HEX + 1, "-");
        return;
    }
    tam_hex(digest, TAM_SID_HEX / 2, out, TAM_SID_HEX + 1);
}

bool tam_view_equal(tk_view a, tk_view b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

void tam_set_detail(tam_request *r, const char *fmt, ...)
{
    if (r->detail[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
    va_end(ap);
}

/* Prints an encoded component identifier in diagnostic notation, or as
 * hex when it is not well-formed CBOR. */
tk_err tam_component_diag(tk_view id, char *out, size_t cap)
{
    size_t len = 0;
    tk_err err = tk_cbor_diag(id.ptr, id.len, out, cap, &len, 0, NULL, NULL,
                              NULL);
    if (err == TK_OK || err == TK_ERR_BUFFER_TOO_SMALL)
        return err;
    tam_hex(id.ptr, id.len, out, cap);
    return err;
}

bool tam_audit(tam_request *r, const char *action, const char *fmt, ...)
{
    tam_writes *w = &r->writes;
    if (w->audit_count == TAM_MAX_AUDIT)
        return false;
    size_t i = w->audit_count++;
    snprintf(w->audit_object[i], sizeof(w->audit_object[i]), "device/%lld",
             (long long)r->device.id);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->audit_detail[i], sizeof(w->audit_detail[i]), fmt, ap);
    va_end(ap);
    w->audit[i] = (tk_store_audit){0, 0, TAM_ACTOR, action,
                                   w->audit_object[i], w->audit_detail[i]};
    return true;
}
