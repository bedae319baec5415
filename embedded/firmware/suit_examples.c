/* The published SUIT examples on the device platform: see
 * suit_examples.h. */
#include "suit_examples.h"

#include <string.h>

#include "suit_vectors.h"

const uint8_t tke_digest_p[32] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
    0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
    0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
const uint8_t tke_digest_q[32] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba,
    0x98, 0x76, 0x54, 0x32, 0x10, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

/* The sizes are the examples' suit-parameter-image-size values. */
const tkd_payload tke_image_p = {"", 34768, 7, 1};
const tkd_payload tke_image_q = {"", 76834, 13, 5};

static const uint8_t id0[] = {0x81, 0x41, 0x00};
static const uint8_t id1[] = {0x81, 0x41, 0x01};
static const uint8_t id2[] = {0x81, 0x41, 0x02};
const tk_view tke_id0 = {id0, sizeof(id0)};
const tk_view tke_id1 = {id1, sizeof(id1)};
const tk_view tke_id2 = {id2, sizeof(id2)};

/* fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe and
 * 1492af14-2569-5e48-bf42-9b2d51f2ab45. */
static const uint8_t vendor[16] = {0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad,
                                   0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63,
                                   0xe4, 0xd4, 0x1f, 0xfe};
static const uint8_t class[16] = {0x14, 0x92, 0xaf, 0x14, 0x25, 0x69,
                                  0x5e, 0x48, 0xbf, 0x42, 0x9b, 0x2d,
                                  0x51, 0xf2, 0xab, 0x45};
const tk_view tke_vendor_id = {vendor, sizeof(vendor)};
const tk_view tke_class_id = {class, sizeof(class)};

static const tk_view any_id = {NULL, 0};

/* Serves payload at uri. */
static tk_err serve(tkd_platform *tp, const tkd_payload *payload,
                    const char *uri)
{
    tkd_payload p = *payload;

    p.uri = uri;
    return tkd_add_payload(tp, &p);
}

/* Reports the placeholder digests for P and Q on any component. */
static tk_err alias_both(tkd_platform *tp)
{
    tk_err e = tkd_add_alias(tp, any_id, &tke_image_p, tke_digest_p);
    return e == TK_OK ? tkd_add_alias(tp, any_id, &tke_image_q, tke_digest_q)
                      : e;
}

/* Example 0: secure boot of an installed image. */
static tk_err setup_boot(tkd_platform *tp)
{
    tk_err e = tkd_set_image(tp, tke_id0, &tke_image_p);
    return e == TK_OK ? alias_both(tp) : e;
}

/* Example 1: download and install. */
static tk_err setup_example1(tkd_platform *tp)
{
    tk_err e = serve(tp, &tke_image_p, "http://example.com/file.bin");
    return e == TK_OK ? alias_both(tp) : e;
}

/* Example 2: the same with a long URI, then boot. */
static tk_err setup_example2(tkd_platform *tp)
{
    tk_err e = serve(tp, &tke_image_p,
                     "http://example.com/very/long/path/to/file/file.bin");
    return e == TK_OK ? alias_both(tp) : e;
}

/* Example 3: A/B images; the slot decides which URI is fetched. */
static tk_err setup_example3(tkd_platform *tp)
{
    tk_err e = serve(tp, &tke_image_p, "http://example.com/file1.bin");
    if (e == TK_OK) {
        e = serve(tp, &tke_image_q, "http://example.com/file2.bin");
    }
    return e == TK_OK ? alias_both(tp) : e;
}

/* The trust-domains examples write their payloads from the manifests. */
static tk_err setup_nothing(tkd_platform *tp)
{
    (void)tp;
    return TK_OK;
}

/* Example 4: fetch to staging, copy to install, copy to RAM ([h'01']),
 * whose copy the example expects with the second digest. */
static tk_err setup_example4(tkd_platform *tp)
{
    tk_err e = serve(tp, &tke_image_p, "http://example.com/file.bin");
    if (e == TK_OK) {
        e = tkd_add_alias(tp, tke_id1, &tke_image_p, tke_digest_q);
    }
    return e == TK_OK ? tkd_add_alias(tp, any_id, &tke_image_p, tke_digest_p)
                      : e;
}

const tke_example tke_examples[] = {
    {"example0", suit_example0, sizeof(suit_example0), TK_SUIT_OP_BOOT, 0,
     -1, setup_boot, false},
    {"example1", suit_example1, sizeof(suit_example1), TK_SUIT_OP_UPDATE, 1,
     -1, setup_example1, false},
    {"example2", suit_example2, sizeof(suit_example2),
     TK_SUIT_OP_UPDATE_AND_BOOT, 2, -1, setup_example2, false},
    {"example2-severed", suit_example2_severed,
     sizeof(suit_example2_severed), TK_SUIT_OP_BOOT, 2, -1, setup_boot, false},
    {"example3-slot-a", suit_example3, sizeof(suit_example3),
     TK_SUIT_OP_UPDATE, 3, 0, setup_example3, false},
    {"example3-slot-b", suit_example3, sizeof(suit_example3),
     TK_SUIT_OP_UPDATE, 3, 1, setup_example3, false},
    {"example4", suit_example4, sizeof(suit_example4),
     TK_SUIT_OP_UPDATE_AND_BOOT, 4, -1, setup_example4, false},
    {"example5", suit_example5, sizeof(suit_example5),
     TK_SUIT_OP_UPDATE_AND_BOOT, 5, -1, setup_example3, false},
    {"dependency", suit_dependency, sizeof(suit_dependency),
     TK_SUIT_OP_UPDATE_AND_BOOT, 0, -1, setup_nothing, false},
    {"integrated-dependency", suit_integrated_dependency,
     sizeof(suit_integrated_dependency), TK_SUIT_OP_UPDATE, 0, -1,
     setup_nothing, true},
};
const size_t tke_example_count = sizeof(tke_examples) / sizeof(tke_examples[0]);

tk_err tke_example_expected(const tke_example *ex)
{
    if (ex->dependencies && !TK_SUIT_WITH_DEPENDENCIES)
        return TK_ERR_SUIT_UNKNOWN_MEMBER;
    return TK_OK;
}

/* The coordinates of the published ES256 public key
 * (example-es256-public-key.cose.hex). A device keeps its trust anchors
 * in raw form, so the images need no COSE_Key decoder. */
static const uint8_t example_x[32] = {
    0x84, 0x96, 0x81, 0x1a, 0xae, 0x0b, 0xaa, 0xab, 0xd2, 0x61, 0x57,
    0x18, 0x9e, 0xec, 0xda, 0x26, 0xbe, 0xaa, 0x8b, 0xf1, 0x1b, 0x6f,
    0x3f, 0xe6, 0xe2, 0xb5, 0x65, 0x9c, 0x85, 0xdb, 0xc0, 0xad};
static const uint8_t example_y[32] = {
    0x3b, 0x1f, 0x2a, 0x4b, 0x6c, 0x09, 0x81, 0x31, 0xc0, 0xa3, 0x6d,
    0xac, 0xd1, 0xd7, 0x8b, 0xd3, 0x81, 0xdc, 0xdf, 0xb0, 0x9c, 0x05,
    0x2d, 0xb3, 0x39, 0x91, 0xdb, 0x73, 0x38, 0xb4, 0xa8, 0x96};

tk_err tke_example_key(const tk_crypto *crypto, tk_key *key)
{
    tk_key_params params;

    memset(&params, 0, sizeof(params));
    params.kty = TK_KTY_EC2;
    params.crv = TK_CRV_P256;
    params.x = (tk_view){example_x, sizeof(example_x)};
    params.y = (tk_view){example_y, sizeof(example_y)};
    tk_key_init(key);
    return crypto->key_import(crypto->ctx, &params, key);
}

tk_err tke_example_setup(tkd_platform *tp, const tke_example *ex)
{
    tp->vendor_id = tke_vendor_id;
    tp->class_id = tke_class_id;
    if (ex->slot >= 0) {
        tkd_component *c = tkd_component_get(tp, tke_id0, true);
        if (c == NULL) {
            return TK_ERR_LIMIT;
        }
        c->has_slot = true;
        c->slot = (uint64_t)ex->slot;
    }
    return ex->setup(tp);
}
