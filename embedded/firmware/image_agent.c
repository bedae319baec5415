/*
 * Size and stack image of the whole TEEP Agent: the agent state machine
 * (lib/teep), the EAT evidence builder (lib/eat), the SUIT processor and
 * report encoder (lib/suit), COSE, CBOR and the Mbed TLS backend, with the
 * device platform.
 *
 * It runs one TEEP exchange. A TAM stand-in in this file builds and signs
 * the TAM's messages with the same library calls the agent uses
 * (tk_teep_encode, tk_teep_sign), so the stand-in adds no library code:
 *   1. QueryRequest (nonce freshness, attestation and the installed
 *      components requested): the agent replies with a QueryResponse
 *      carrying an EAT signed by its attestation key;
 *   2. Update carrying SUIT example 1 (draft-ietf-suit-manifest-37
 *      appendix B): the agent fetches and installs the payload and
 *      replies with a Success carrying the SUIT report.
 * It prints the stack used by each tk_teep_agent_handle() call, split as
 * image_suit.c does, the Mbed TLS arena's high-water mark and the sizes of
 * the structures the caller provides, as "metric" lines, and exits with
 * the number of failed steps.
 */
#include <string.h>

#include "device.h"
#include "suit_examples.h"
#include "suit_vectors.h"
#include "teepkit/teep.h"
#include "tk_crypto_proxy.h"
#include "tk_dev_crypto.h"
#include "tk_dev_platform.h"
#include "tk_out.h"

/* Buffers of the agent, sized for this exchange with some room: the
 * QueryResponse with its EAT is about 450 bytes, the Update about 600.
 * Each buffer serves two uses that never overlap, as teep.h allows. The
 * scratch is the agent's and the evidence builder's. The payload buffer
 * contains the EAT of a QueryResponse or the SUIT reports of an Update.
 * The message buffer contains the received message, then the reply. */
#define AGENT_SCRATCH 1024
#define AGENT_PAYLOAD 512
#define AGENT_MESSAGE 1024

/* Seconds since the epoch that the device's clock reports. */
#define AGENT_NOW 1767225600

/* What the device keeps for the agent (RAM of a product). */
typedef struct device {
    tk_teep_agent agent;
    tk_teep_agent_state state;
    tk_teep_signer signer;
    tk_key agent_key;     /* signs TEEP messages and the EAT */
    tk_key tam_key;       /* the trusted TAM's public key */
    tk_key manifest_key;  /* trusted SUIT manifest signer */
    uint8_t scratch[AGENT_SCRATCH];
    uint8_t payload[AGENT_PAYLOAD];
    uint8_t message[AGENT_MESSAGE]; /* the transport's buffer */
    tk_suit_processor processor;
    tkd_platform platform;
} device;

/* The TAM stand-in. */
typedef struct tam {
    tk_key key;            /* private */
    tk_teep_signer signer;
    uint8_t token[16];
    uint8_t challenge[32];
    uint8_t plain[AGENT_MESSAGE];
    tk_teep_message msg;   /* built or decoded */
} tam;

static device dev;
static tam tam_side;
static tk_crypto_proxy proxy;
static const tk_crypto *crypto;
static uint8_t storage[64 * 1024] __attribute__((section(".tk_storage")));

static const uint8_t tam_kid[] = {'t', 'a', 'm'};
static const uint8_t agent_kid[] = {'a', 'g', 'e', 'n', 't'};
/* UEID of type RAND (0x01) with 16 random bytes, an IEEE OUI as OEM id,
 * and a model name: the device claims that the TEEP profile requires. */
static const uint8_t device_ueid[17] = {0x01, 0x5a, 0x3c, 0x21, 0x9e, 0x04,
                                        0x77, 0xb1, 0x6d, 0x18, 0xc2, 0x40,
                                        0x93, 0xee, 0x0f, 0x51, 0xa8};
static const uint8_t device_oemid[3] = {0x00, 0x00, 0x5e};
static const char device_hwmodel[] = "qemu-mps2-an386";
/* The manifests claim: one entry of content type 60 (application/cbor)
 * with an empty map. */
static const uint8_t no_manifests[] = {0xa0};

static int fail(const char *step, tk_err err)
{
    tk_out_str("image_agent: ");
    tk_out_str(step);
    tk_out_str(" failed with tk_err ");
    tk_out_int(err);
    tk_out_str("\n");
    return 1;
}

/* ---- Agent callbacks ------------------------------------------------ */

static int64_t agent_now(void *ctx)
{
    (void)ctx;
    return AGENT_NOW;
}

static tk_err agent_tam_key(void *ctx, tk_alg alg, tk_view kid,
                            const tk_key **key, tk_view *peer_id)
{
    device *d = ctx;

    (void)alg;
    if (kid.len != sizeof(tam_kid) || memcmp(kid.ptr, tam_kid, kid.len) != 0) {
        return TK_ERR_NOT_FOUND;
    }
    *key = &d->tam_key;
    *peer_id = (tk_view){tam_kid, sizeof(tam_kid)};
    return TK_OK;
}

static tk_err agent_evidence(void *ctx, const tk_teep_evidence_request *req,
                             uint8_t *buf, size_t cap, size_t *len,
                             tk_view *format)
{
    device *d = ctx;
    tk_eat_claims claims;
    tk_eat_signer attester = {TK_ALG_ESP256, &d->agent_key,
                              {agent_kid, sizeof(agent_kid)}};

    (void)format;
    memset(&claims, 0, sizeof(claims));
    claims.present = TK_EAT_HAS_UEID | TK_EAT_HAS_OEMID |
                     TK_EAT_HAS_HWMODEL | TK_EAT_HAS_HWVERSION |
                     TK_EAT_HAS_MANIFESTS;
    claims.ueid = (tk_view){device_ueid, sizeof(device_ueid)};
    claims.oemid = (tk_view){device_oemid, sizeof(device_oemid)};
    claims.hwmodel = (tk_view){(const uint8_t *)device_hwmodel,
                               sizeof(device_hwmodel) - 1};
    claims.hwversion.version = (tk_view){(const uint8_t *)"1.0", 3};
    claims.manifest_count = 1;
    claims.manifests[0].content_type = 60;
    claims.manifests[0].content = (tk_view){no_manifests,
                                            sizeof(no_manifests)};
    return tk_teep_agent_evidence(crypto, &attester, &claims, req, AGENT_NOW,
                                  d->scratch, sizeof(d->scratch), buf, cap,
                                  len);
}

/* Lists the components that hold an image. */
static tk_err agent_component(void *ctx, size_t index, tk_teep_tc_info *info)
{
    device *d = ctx;
    size_t seen = 0;

    for (size_t i = 0; i < d->platform.component_count; i++) {
        const tkd_component *c = &d->platform.components[i];
        if (!c->active.present || seen++ != index) {
            continue;
        }
        memset(info, 0, sizeof(*info));
        info->component_id = (tk_view){c->id, c->id_len};
        info->has_image_size = true;
        info->image_size = c->active.len;
        info->has_sequence = c->has_record;
        info->sequence = c->record.sequence_number;
        return TK_OK;
    }
    return TK_ERR_NOT_FOUND;
}

/* Runs the update procedure on one envelope and reports it. */
static tk_err agent_process_manifest(void *ctx, tk_view envelope,
                                     tk_view token, uint8_t *report,
                                     size_t cap, size_t *report_len)
{
    device *d = ctx;
    tk_suit_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.platform = &d->platform.pf;
    tk_err err = tk_suit_processor_init(&d->processor, &cfg);
    if (err != TK_OK) {
        return err;
    }
    tk_err result = tk_suit_process(&d->processor, envelope,
                                    TK_SUIT_OP_UPDATE);
    err = tk_suit_report_encode(&d->processor, token, false, report, cap,
                                report_len);
    if (err != TK_OK) {
        *report_len = 0;
    }
    return result;
}

/* ---- The TAM stand-in ------------------------------------------------- */

static tk_err tam_agent_key(void *ctx, tk_alg alg, tk_view kid,
                            const tk_key **key, tk_view *peer_id)
{
    (void)ctx;
    (void)alg;
    if (kid.len != sizeof(agent_kid) ||
        memcmp(kid.ptr, agent_kid, kid.len) != 0) {
        return TK_ERR_NOT_FOUND;
    }
    *key = &dev.agent_key;
    *peer_id = (tk_view){NULL, 0};
    return TK_OK;
}

/* Encodes and signs tam_side.msg into dev.message; sets *len. */
static tk_err tam_send(size_t *len)
{
    size_t plain_len = 0;
    tk_err err = tk_teep_encode(&tam_side.msg, tam_side.plain,
                                sizeof(tam_side.plain), &plain_len);
    if (err != TK_OK) {
        return err;
    }
    return tk_teep_sign(crypto, &tam_side.signer, 1,
                        (tk_view){tam_side.plain, plain_len}, NULL, 0,
                        dev.message, sizeof(dev.message), len);
}

/* Verifies and decodes the agent's reply into tam_side.msg. */
static tk_err tam_receive(size_t len)
{
    tk_teep_verified verified;
    tk_alg accept = TK_ALG_ESP256;
    tk_err err = tk_teep_verify(crypto, (tk_view){dev.message, len}, &accept,
                                1, tam_agent_key, NULL, NULL, 0, &verified);
    if (err != TK_OK) {
        return err;
    }
    return tk_teep_decode(verified.payload.ptr, verified.payload.len,
                          &tam_side.msg, NULL);
}

static tk_err tam_query_request(size_t *len)
{
    tk_teep_message *m = &tam_side.msg;
    tk_err err = crypto->random(crypto->ctx, tam_side.token,
                                sizeof(tam_side.token));
    if (err == TK_OK) {
        err = crypto->random(crypto->ctx, tam_side.challenge,
                             sizeof(tam_side.challenge));
    }
    if (err != TK_OK) {
        return err;
    }
    memset(m, 0, sizeof(*m));
    m->type = TK_TEEP_QUERY_REQUEST;
    m->token = (tk_view){tam_side.token, sizeof(tam_side.token)};
    TK_TEEP_SET(m, TK_TEEP_LABEL_TOKEN);
    m->challenge = (tk_view){tam_side.challenge, sizeof(tam_side.challenge)};
    TK_TEEP_SET(m, TK_TEEP_LABEL_CHALLENGE);
    m->version_count = 1;
    m->versions[0] = 0;
    TK_TEEP_SET(m, TK_TEEP_LABEL_VERSIONS);
    tk_teep_suite_sign1(&m->suites[m->suite_count++], TK_ALG_ESP256);
    m->profiles[m->profile_count++] = tk_teep_default_profiles[0];
    m->data_items = TK_TEEP_ITEM_ATTESTATION | TK_TEEP_ITEM_TRUSTED_COMPONENTS;
    return tam_send(len);
}

static tk_err tam_update(size_t *len)
{
    tk_teep_message *m = &tam_side.msg;
    tk_err err = crypto->random(crypto->ctx, tam_side.token,
                                sizeof(tam_side.token));
    if (err != TK_OK) {
        return err;
    }
    memset(m, 0, sizeof(*m));
    m->type = TK_TEEP_UPDATE;
    m->token = (tk_view){tam_side.token, sizeof(tam_side.token)};
    TK_TEEP_SET(m, TK_TEEP_LABEL_TOKEN);
    m->manifest_count = 1;
    m->manifests[0] = (tk_view){suit_example1, sizeof(suit_example1)};
    TK_TEEP_SET(m, TK_TEEP_LABEL_MANIFEST_LIST);
    return tam_send(len);
}

/* ---- Set-up and the exchange ------------------------------------------ */

static tk_err device_setup(void)
{
    tk_teep_agent *a = &dev.agent;
    tk_err err = crypto->key_generate(crypto->ctx, TK_CRV_P256, &dev.agent_key);
    tk_key_params pub;

    if (err == TK_OK) {
        err = crypto->key_generate(crypto->ctx, TK_CRV_P256, &tam_side.key);
    }
    /* The device trusts the public half of the TAM's key. */
    if (err == TK_OK) {
        err = tk_key_export_public(&tam_side.key, &pub);
    }
    if (err == TK_OK) {
        err = crypto->key_import(crypto->ctx, &pub, &dev.tam_key);
    }
    if (err == TK_OK) {
        err = tke_example_key(crypto, &dev.manifest_key);
    }
    if (err != TK_OK) {
        return err;
    }
    tam_side.signer = (tk_teep_signer){TK_ALG_ESP256, &tam_side.key,
                                       {tam_kid, sizeof(tam_kid)}};
    dev.signer = (tk_teep_signer){TK_ALG_ESP256, &dev.agent_key,
                                  {agent_kid, sizeof(agent_kid)}};

    tkd_init(&dev.platform, crypto, &dev.manifest_key, storage,
             sizeof(storage));
    err = tke_example_setup(&dev.platform, &tke_examples[1]);
    if (err != TK_OK) {
        return err;
    }
    tk_teep_agent_init(a);
    tk_teep_agent_state_init(&dev.state);
    a->crypto = crypto;
    a->signers = &dev.signer;
    a->signer_count = 1;
    a->scratch = dev.scratch;
    a->scratch_cap = sizeof(dev.scratch);
    a->evidence_buf = dev.payload;
    a->evidence_cap = sizeof(dev.payload);
    a->report_buf = dev.payload;
    a->report_cap = sizeof(dev.payload);
    a->ops.ctx = &dev;
    a->ops.now = agent_now;
    a->ops.tam_key = agent_tam_key;
    a->ops.evidence = agent_evidence;
    a->ops.component = agent_component;
    a->ops.process_manifest = agent_process_manifest;
    return TK_OK;
}

/* Hands len bytes of dev.message to the agent, which replies into the same
 * buffer, measuring the stack as step. */
static tk_err agent_step(const char *step, size_t len,
                         tk_teep_agent_result *res)
{
    tk_crypto_proxy_start(&proxy, tk_stack_pointer());
    tk_err err = tk_teep_agent_handle(&dev.agent, &dev.state,
                                      (tk_view){dev.message, len},
                                      dev.message, sizeof(dev.message), res);
    tk_crypto_proxy_stop(&proxy);
    tk_out_metric(step, "result", (uint64_t)err);
    tk_out_metric(step, "stack_core", proxy.caller_peak);
    tk_out_metric(step, "stack_crypto", proxy.crypto_peak);
    tk_out_metric(step, "stack_total", proxy.total_peak);
    tk_out_metric(step, "message_in", len);
    tk_out_metric(step, "message_out", res->out_len);
    return err;
}

static int exchange(void)
{
    tk_teep_agent_result res;
    size_t len = 0;
    int failures = 0;
    tk_err err = tam_query_request(&len);

    if (err != TK_OK) {
        return fail("building the QueryRequest", err);
    }
    err = agent_step("query", len, &res);
    if (err != TK_OK || res.sent_type != TK_TEEP_QUERY_RESPONSE) {
        return fail("handling the QueryRequest", err != TK_OK ? err : res.reason);
    }
    err = tam_receive(res.out_len);
    if (err != TK_OK || tam_side.msg.type != TK_TEEP_QUERY_RESPONSE ||
        !TK_TEEP_HAS(&tam_side.msg, TK_TEEP_LABEL_ATTESTATION_PAYLOAD)) {
        failures += fail("checking the QueryResponse", err);
    }

    err = tam_update(&len);
    if (err != TK_OK) {
        return failures + fail("building the Update", err);
    }
    err = agent_step("update", len, &res);
    if (err != TK_OK || res.sent_type != TK_TEEP_SUCCESS ||
        res.installed != 1) {
        return failures + fail("handling the Update",
                               err != TK_OK ? err : res.reason);
    }
    err = tam_receive(res.out_len);
    if (err != TK_OK || tam_side.msg.type != TK_TEEP_SUCCESS ||
        tam_side.msg.report_count != 1) {
        failures += fail("checking the Success", err);
    }
    if (!tkd_image_is(&dev.platform, tke_id0, &tke_image_p)) {
        failures += fail("checking the installed image", TK_ERR_STATE);
    }
    return failures;
}

int main(void)
{
    uint32_t seed = 0x6d2b79f5u;
    const tk_crypto *backend = tk_dev_crypto_init(tk_dev_test_entropy, &seed);
    int failures;

    if (backend == NULL) {
        tk_out_str("image_agent: the Mbed TLS backend failed to seed\n");
        return 100;
    }
    crypto = tk_crypto_proxy_init(&proxy, backend);
    tk_err err = device_setup();
    if (err != TK_OK) {
        failures = fail("setting up the device", err);
    } else {
        failures = exchange();
    }
    tk_out_metric("image", "heap_high_water", tk_dev_heap_high_water());
    tk_out_metric("image", "heap_arena", TK_DEV_HEAP_SIZE);
    tk_out_metric("image", "sizeof_device", sizeof(device));
    /* What a product keeps for the agent: the device minus the test
     * platform, which replaces the product's storage code here. */
    tk_out_metric("image", "sizeof_agent_contexts",
           sizeof(device) - sizeof(tkd_platform));
    tk_out_metric("image", "sizeof_tk_suit_processor", sizeof(tk_suit_processor));
    tk_out_metric("image", "sizeof_tk_teep_agent_state", sizeof(tk_teep_agent_state));
    tk_out_metric("image", "sizeof_tk_teep_message", sizeof(tk_teep_message));
    tk_out_metric("image", "sizeof_tkd_platform", sizeof(tkd_platform));
    tk_out_flush();
    return failures;
}
