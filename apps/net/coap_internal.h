/*
 * Helpers shared by the CoAP server and client; not part of their API.
 */
#ifndef TK_COAP_INTERNAL_H
#define TK_COAP_INTERNAL_H

#include <coap3/coap.h>
#include <stdint.h>

/* Starts libcoap once per process and routes its log lines to tk_log. */
void tk_coap_init(void);

/* Returns a CoAP response code written as class * 100 + detail: 2.04 gives
 * 204, 4.13 gives 413. */
unsigned tk_coap_status_from_code(coap_pdu_code_t code);

/*
 * Returns the CoAP response code for an HTTP status that a handler set,
 * for a POST reply. Every 2xx but 201 becomes 2.04 Changed. A 4xx or 5xx
 * keeps its class and detail where CoAP defines that code with the same
 * meaning (RFC 7252 section 12.1.2, RFC 8132, RFC 8516), and otherwise
 * becomes 4.00 or 5.00. Other statuses give 5.00 because CoAP has no
 * redirects.
 */
coap_pdu_code_t tk_coap_code_from_status(unsigned status);

/* Reads the unsigned integer option number of pdu into *value. Returns 1
 * when present, 0 when absent. */
int tk_coap_option_uint(const coap_pdu_t *pdu, coap_option_num_t number,
                        uint32_t *value);

#endif /* TK_COAP_INTERNAL_H */
