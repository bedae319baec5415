/*
 * Tests of TEEP over HTTPS: the server with a certificate made for the
 * test (ECDSA P-256, subjectAltName IP 127.0.0.1) and the client that
 * trusts it, or does not.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "http_client.h"
#include "http_server.h"
#include "log.h"

static char *cert_pem;
static char *key_pem;
static char ca_path[64];

/* Returns the contents of a memory BIO as a NUL-terminated string. */
static char *bio_text(BIO *bio)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *text = malloc((size_t)len + 1);
    assert_non_null(text);
    memcpy(text, data, (size_t)len);
    text[len] = '\0';
    return text;
}

/* Makes a self-signed certificate for 127.0.0.1 valid for one hour. */
static void make_certificate(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    assert_non_null(key);
    assert_non_null(cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"teepkit test TAM", -1,
                               -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *san =
        X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
    assert_non_null(san);
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);

    BIO *cert_bio = BIO_new(BIO_s_mem());
    BIO *key_bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(cert_bio, cert), 1);
    assert_int_equal(
        PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL), 1);
    cert_pem = bio_text(cert_bio);
    key_pem = bio_text(key_bio);
    BIO_free(cert_bio);
    BIO_free(key_bio);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static int setup(void **state)
{
    (void)state;
    make_certificate();
    snprintf(ca_path, sizeof ca_path, "/tmp/teepkit-tls-test-XXXXXX");
    int fd = mkstemp(ca_path);
    if (fd < 0)
        return -1;
    size_t len = strlen(cert_pem);
    ssize_t written = write(fd, cert_pem, len);
    close(fd);
    return written == (ssize_t)len ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unlink(ca_path);
    free(cert_pem);
    free(key_pem);
    return 0;
}

static tk_err echo_handler(void *ctx, const tk_net_request *req,
                           tk_net_response *resp)
{
    (void)ctx;
    if (req->body.len == 0)
        return TK_OK;
    return tk_net_response_set_body(resp, NULL, req->body.ptr, req->body.len);
}

static const tk_http_route routes[] = {
    {.path = "/tam",
     .methods = TK_NET_POST,
     .kind = TK_HTTP_ROUTE_TEEP,
     .handler = echo_handler},
};

static tk_http_server *start_https(void)
{
    tk_http_server_config cfg;
    tk_http_server_config_init(&cfg);
    cfg.threads = 2;
    cfg.routes = routes;
    cfg.route_count = 1;
    cfg.tls_cert_pem = cert_pem;
    cfg.tls_key_pem = key_pem;
    tk_http_server *srv = NULL;
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_OK);
    return srv;
}

static tk_http_client *new_client(const char *ca_file)
{
    tk_http_client_config cfg;
    tk_http_client_config_init(&cfg);
    cfg.timeout_ms = 20000;
    cfg.ca_file = ca_file;
    tk_http_client *client = NULL;
    assert_int_equal(tk_http_client_new(&cfg, &client), TK_OK);
    return client;
}

static void https_round_trip(void **state)
{
    (void)state;
    tk_http_server *srv = start_https();
    tk_http_client *client = new_client(ca_path);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/tam",
             (unsigned)tk_http_server_port(srv));
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, url, NULL, 0, &reply), TK_OK);
    assert_int_equal(reply.status, 204);
    assert_int_equal(reply.done, 1);
    static const uint8_t msg[] = {0x82, 0x05, 0xa0};
    assert_int_equal(tk_http_client_post(client, url, msg, sizeof msg, &reply),
                     TK_OK);
    assert_int_equal(reply.status, 200);
    assert_int_equal(reply.body.len, sizeof msg);
    assert_memory_equal(reply.body.ptr, msg, sizeof msg);
    tk_http_client_free(client);
    tk_http_server_stop(srv);
}

static void untrusted_certificate_rejected(void **state)
{
    (void)state;
    tk_http_server *srv = start_https();
    /* The system CA bundle does not contain the test certificate. */
    tk_http_client *client = new_client(NULL);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/tam",
             (unsigned)tk_http_server_port(srv));
    tk_net_reply reply;
    assert_int_equal(tk_http_client_post(client, url, NULL, 0, &reply),
                     TK_ERR_NET_TLS);
    assert_int_equal(reply.status, 0);
    tk_http_client_free(client);
    tk_http_server_stop(srv);
}

static void plain_http_to_https_fails(void **state)
{
    (void)state;
    tk_http_server *srv = start_https();
    tk_http_client *client = new_client(ca_path);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/tam",
             (unsigned)tk_http_server_port(srv));
    tk_net_reply reply;
    tk_err err = tk_http_client_post(client, url, NULL, 0, &reply);
    assert_int_not_equal(err, TK_OK);
    assert_int_equal(reply.done, 0);
    tk_http_client_free(client);
    tk_http_server_stop(srv);
}

static void half_tls_config_rejected(void **state)
{
    (void)state;
    tk_http_server_config cfg;
    tk_http_server_config_init(&cfg);
    cfg.routes = routes;
    cfg.route_count = 1;
    cfg.tls_cert_pem = cert_pem;
    tk_http_server *srv = NULL;
    assert_int_equal(tk_http_server_start(&cfg, &srv), TK_ERR_NET_CONFIG);
    assert_null(srv);
}

int main(void)
{
    tk_log_set_level(TK_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(https_round_trip),
        cmocka_unit_test(untrusted_certificate_rejected),
        cmocka_unit_test(plain_http_to_https_fails),
        cmocka_unit_test(half_tls_config_rejected),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
