/*
 * The published SUIT manifest examples 0-5 (draft-ietf-suit-manifest-37
 * appendix B) and two dependency examples (draft-ietf-suit-trust-domains-11
 * appendix B). Each comes with what a device needs to run it: the payloads
 * behind its URIs, the images already installed, the component slot, and
 * aliases for the placeholder digests the examples carry.
 */
#ifndef TK_SUIT_EXAMPLES_H
#define TK_SUIT_EXAMPLES_H

#include <stddef.h>

#include "tk_dev_platform.h"

/* Payload P: 34768 bytes, reported with digest 0011...3210. */
extern const tkd_payload tke_image_p;
/* Payload Q: 76834 bytes, reported with digest 0123...eeff. */
extern const tkd_payload tke_image_q;
extern const uint8_t tke_digest_p[32];
extern const uint8_t tke_digest_q[32];

/* Encoded component identifiers [h'00'], [h'01'] and [h'02']. */
extern const tk_view tke_id0, tke_id1, tke_id2;

/* Vendor and class identifiers of every example. */
extern const tk_view tke_vendor_id, tke_class_id;

typedef struct tke_example {
    const char *name;
    const unsigned char *envelope;
    size_t len;
    tk_suit_operation op;
    uint64_t sequence;      /* its manifest sequence number */
    int slot;               /* slot of component [h'00'] (example 3), or
                               -1 for a component without slots */
    tk_err (*setup)(tkd_platform *tp);
    bool dependencies;      /* declares a dependency, which a build with
                               TK_SUIT_WITH_DEPENDENCIES=0 rejects */
} tke_example;

/* Examples 0-5, example 3 once per slot, example 2 with its severed
 * members removed (boot only), and the trust-domains dependency on its
 * own and integrated into its dependent. */
extern const tke_example tke_examples[];
extern const size_t tke_example_count;

/* Returns what tk_suit_process() gives for example ex in this build:
 * TK_OK, or TK_ERR_SUIT_UNKNOWN_MEMBER for an example with a dependency
 * in a build without dependencies. */
tk_err tke_example_expected(const tke_example *ex);

/* Imports the published ES256 public key of the examples into key. */
tk_err tke_example_key(const tk_crypto *crypto, tk_key *key);

/* Prepares tp for example ex: identifiers, payloads, images, aliases. */
tk_err tke_example_setup(tkd_platform *tp, const tke_example *ex);

#endif /* TK_SUIT_EXAMPLES_H */
