/* Tests of the helpers shared by the transports: media types, Accept
 * matching and response building. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net.h"
#include "net_internal.h"

static void media_type_exact_and_case(void **state)
{
    (void)state;
    assert_true(
        tk_net_media_type_is("application/teep+cbor", TK_NET_MEDIA_TEEP));
    assert_true(
        tk_net_media_type_is("Application/TEEP+CBOR", TK_NET_MEDIA_TEEP));
    assert_true(tk_net_media_type_is(" application/teep+cbor ; x=1",
                                     TK_NET_MEDIA_TEEP));
}

static void media_type_mismatch(void **state)
{
    (void)state;
    assert_false(tk_net_media_type_is(NULL, TK_NET_MEDIA_TEEP));
    assert_false(tk_net_media_type_is("", TK_NET_MEDIA_TEEP));
    assert_false(tk_net_media_type_is("application/cbor", TK_NET_MEDIA_TEEP));
    assert_false(
        tk_net_media_type_is("application/teep+cbor2", TK_NET_MEDIA_TEEP));
    assert_false(
        tk_net_media_type_is("application/teep+cose", TK_NET_MEDIA_TEEP));
}

static void accept_admits(void **state)
{
    (void)state;
    const char *yes[] = {
        "application/teep+cbor",
        "*/*",
        "application/*",
        "text/html, application/teep+cbor;q=0.5",
        "application/json;q=1, APPLICATION/TEEP+CBOR",
        "application/teep+cbor;q=1.000",
        "application/teep+cbor; q=0.001",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(tk_net_accept_allows(yes[i], TK_NET_MEDIA_TEEP));
}

static void accept_rejects(void **state)
{
    (void)state;
    const char *no[] = {
        "",
        "application/json",
        "text/*",
        "application/teep+cbor;q=0",
        "application/teep+cbor;q=0.000",
        "*/*;q=0",
        "application/teep+cbor;q=2",
        "application/teep+cbor;q=abc",
        "application/teep+cbor;q=0.5x",
        "application/teep",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(tk_net_accept_allows(no[i], TK_NET_MEDIA_TEEP));
    assert_false(tk_net_accept_allows(NULL, TK_NET_MEDIA_TEEP));
}

static void method_names(void **state)
{
    (void)state;
    assert_int_equal(tk_net_method_from_name("POST"), TK_NET_POST);
    assert_int_equal(tk_net_method_from_name("GET"), TK_NET_GET);
    assert_int_equal(tk_net_method_from_name("FETCH"), TK_NET_FETCH);
    /* Method names are case-sensitive. */
    assert_int_equal(tk_net_method_from_name("post"), TK_NET_OTHER);
    assert_int_equal(tk_net_method_from_name("BREW"), TK_NET_OTHER);
    assert_int_equal(tk_net_method_from_name(NULL), TK_NET_OTHER);
}

static void response_body_copy(void **state)
{
    (void)state;
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    uint8_t data[] = {0x83, 0x01, 0xa0, 0x00};
    assert_int_equal(tk_net_response_set_body(&resp, NULL, data, sizeof data),
                     TK_OK);
    data[0] = 0; /* the response keeps its own copy */
    assert_int_equal(resp.body_len, 4);
    assert_int_equal(resp.body[0], 0x83);
    assert_null(resp.content_type);
    assert_int_equal(
        tk_net_response_set_body(&resp, "application/json", "{}", 2), TK_OK);
    assert_string_equal(resp.content_type, "application/json");
    assert_int_equal(resp.body_len, 2);
    assert_int_equal(tk_net_response_set_body(&resp, NULL, NULL, 1),
                     TK_ERR_INVALID_ARG);
    assert_int_equal(
        tk_net_response_set_body(&resp, "text/plain\r\nX: y", "a", 1),
        TK_ERR_NET_HEADER);
    tk_net_response_clear(&resp);
    assert_null(resp.body);
    assert_int_equal(resp.body_len, 0);
}

static void response_headers_checked(void **state)
{
    (void)state;
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    assert_int_equal(tk_net_response_add_header(&resp, "X-Device", "7"), TK_OK);
    assert_string_equal(tk_net_response_header(&resp, "x-device"), "7");
    assert_int_equal(tk_net_response_add_header(&resp, "X-A", "1\r\nX-B: 2"),
                     TK_ERR_NET_HEADER);
    assert_int_equal(tk_net_response_add_header(&resp, "X-A\n", "1"),
                     TK_ERR_NET_HEADER);
    assert_int_equal(tk_net_response_add_header(&resp, "Bad Name", "1"),
                     TK_ERR_NET_HEADER);
    assert_int_equal(tk_net_response_add_header(&resp, "", "1"),
                     TK_ERR_NET_HEADER);
    assert_int_equal(tk_net_response_add_header(&resp, "Content-Length", "1"),
                     TK_ERR_NET_HEADER);
    assert_int_equal(tk_net_response_add_header(&resp, "content-type", "a/b"),
                     TK_ERR_NET_HEADER);
    assert_int_equal(resp.header_count, 1);
    tk_net_response_clear(&resp);
    assert_int_equal(resp.header_count, 0);
}

static void response_header_limit(void **state)
{
    (void)state;
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    for (int i = 0; i < TK_NET_MAX_HEADERS; i++)
        assert_int_equal(tk_net_response_add_header(&resp, "X-N", "v"), TK_OK);
    assert_int_equal(tk_net_response_add_header(&resp, "X-N", "v"),
                     TK_ERR_LIMIT);
    assert_int_equal(resp.header_count, TK_NET_MAX_HEADERS);
    tk_net_response_clear(&resp);
}

static void take_body_frees_on_error(void **state)
{
    (void)state;
    tk_net_response resp;
    memset(&resp, 0, sizeof resp);
    /* The sanitizer's leak check fails this test if data is not freed. */
    char *data = malloc(4);
    assert_non_null(data);
    assert_int_equal(tk_net_response_take_body(&resp, "bad\ntype", data, 4),
                     TK_ERR_NET_HEADER);
    assert_null(resp.body);
    tk_net_response_clear(&resp);
}

static void listen_address_parsing(void **state)
{
    (void)state;
    struct sockaddr_storage addr;
    socklen_t len;
    assert_int_equal(tk_net_parse_listen_address("127.0.0.1", 80, &addr, &len),
                     0);
    assert_int_equal(addr.ss_family, AF_INET);
    assert_int_equal(tk_net_parse_listen_address("::1", 80, &addr, &len), 0);
    assert_int_equal(addr.ss_family, AF_INET6);
    assert_int_equal(tk_net_parse_listen_address("localhost", 80, &addr, &len),
                     -1);
    assert_int_equal(
        tk_net_parse_listen_address("127.0.0.256", 80, &addr, &len), -1);
}

static void request_ids_unique(void **state)
{
    (void)state;
    char first[TK_NET_REQUEST_ID_SIZE];
    char second[TK_NET_REQUEST_ID_SIZE];
    tk_net_new_request_id(first);
    tk_net_new_request_id(second);
    assert_int_equal(strlen(first), 16);
    assert_string_not_equal(first, second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(media_type_exact_and_case),
        cmocka_unit_test(media_type_mismatch),
        cmocka_unit_test(accept_admits),
        cmocka_unit_test(accept_rejects),
        cmocka_unit_test(method_names),
        cmocka_unit_test(response_body_copy),
        cmocka_unit_test(response_headers_checked),
        cmocka_unit_test(response_header_limit),
        cmocka_unit_test(take_body_frees_on_error),
        cmocka_unit_test(listen_address_parsing),
        cmocka_unit_test(request_ids_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
