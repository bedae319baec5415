/* Message and name tables for tk_err, generated from the same .def lines
 * as the enum in teepkit/error.h. */
#include "teepkit/error.h"

const char *tk_strerror(tk_err err)
{
    switch (err) {
#define TK_ERRDEF(name, value, text) \
    case name:                       \
        return text;
#include "teepkit/error/common.def"
#include "teepkit/error/cbor.def"
#include "teepkit/error/crypto.def"
#include "teepkit/error/cose.def"
#include "teepkit/error/suit.def"
#include "teepkit/error/suit_build.def"
#include "teepkit/error/eat.def"
#include "teepkit/error/teep.def"
#include "teepkit/error/store.def"
#include "teepkit/error/net.def"
#include "teepkit/error/service.def"
#undef TK_ERRDEF
    case TK_ERR_MAX_:
        break;
    }
    return "unknown error code";
}

const char *tk_errname(tk_err err)
{
    switch (err) {
#define TK_ERRDEF(name, value, text) \
    case name:                       \
        return #name;
#include "teepkit/error/common.def"
#include "teepkit/error/cbor.def"
#include "teepkit/error/crypto.def"
#include "teepkit/error/cose.def"
#include "teepkit/error/suit.def"
#include "teepkit/error/suit_build.def"
#include "teepkit/error/eat.def"
#include "teepkit/error/teep.def"
#include "teepkit/error/store.def"
#include "teepkit/error/net.def"
#include "teepkit/error/service.def"
#undef TK_ERRDEF
    case TK_ERR_MAX_:
        break;
    }
    return "TK_ERR_UNKNOWN";
}
