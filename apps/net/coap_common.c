/* libcoap set-up and code mapping shared by the CoAP server and client. */
#include "coap_internal.h"

#include <pthread.h>
#include <string.h>

#include "log.h"

static pthread_once_t coap_once = PTHREAD_ONCE_INIT;

/* Passes a libcoap log line to tk_log without its trailing newline. */
static void on_coap_log(coap_log_t level, const char *message)
{
    size_t len = strlen(message);
    while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == '\r'))
        len--;
    tk_log_level ours = level <= LOG_ERR       ? TK_LOG_ERROR
                        : level == LOG_WARNING ? TK_LOG_WARN
                                               : TK_LOG_DEBUG;
    tk_log(ours, "libcoap", "%.*s", (int)len, message);
}

static void init_once(void)
{
    coap_startup();
    coap_set_log_handler(on_coap_log);
    coap_set_log_level(LOG_WARNING);
}

void tk_coap_init(void)
{
    pthread_once(&coap_once, init_once);
}

unsigned tk_coap_status_from_code(coap_pdu_code_t code)
{
    unsigned value = (unsigned)code;
    return (value >> 5) * 100u + (value & 0x1fu);
}

coap_pdu_code_t tk_coap_code_from_status(unsigned status)
{
    /* Codes whose CoAP meaning matches the HTTP status of the same number;
     * 4.02 and 4.08, for example, mean something else than 402 and 408. */
    static const unsigned defined[] = {
        400, 401, 403, 404, 405, 406, 409, 412, 413,
        415, 422, 429, 500, 501, 502, 503, 504,
    };
    if (status == 201)
        return (coap_pdu_code_t)COAP_RESPONSE_CODE(201);
    if (status >= 200 && status < 300)
        return (coap_pdu_code_t)COAP_RESPONSE_CODE(204);
    for (size_t i = 0; i < sizeof defined / sizeof defined[0]; i++) {
        if (defined[i] == status)
            return (coap_pdu_code_t)COAP_RESPONSE_CODE(status);
    }
    if (status >= 400 && status < 500)
        return (coap_pdu_code_t)COAP_RESPONSE_CODE(400);
    return (coap_pdu_code_t)COAP_RESPONSE_CODE(500);
}

int tk_coap_option_uint(const coap_pdu_t *pdu, coap_option_num_t number,
                        uint32_t *value)
{
    coap_opt_iterator_t iter;
    coap_opt_t *opt = coap_check_option(pdu, number, &iter);
    if (opt == NULL)
        return 0;
    *value = (uint32_t)coap_decode_var_bytes(coap_opt_value(opt),
                                             coap_opt_length(opt));
    return 1;
}
