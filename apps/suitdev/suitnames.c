/* Tables of SUIT label names; see suitnames.h. */
#include "suitnames.h"

#include <stddef.h>
#include <string.h>

struct label_name {
    int64_t label;
    const char *name;
};

static const struct label_name envelope_names[] = {
    {2, "authentication-wrapper"},
    {3, "manifest"},
    {14, "coswid"},
    {15, "dependency-resolution"},
    {16, "payload-fetch"},
    {18, "candidate-verification"},
    {20, "install"},
    {23, "text"},
};

static const struct label_name manifest_names[] = {
    {1, "manifest-version"},
    {2, "manifest-sequence-number"},
    {3, "common"},
    {4, "reference-uri"},
    {5, "manifest-component-id"},
    {6, "set-version"},
    {7, "validate"},
    {8, "load"},
    {9, "invoke"},
    {14, "coswid"},
    {15, "dependency-resolution"},
    {16, "payload-fetch"},
    {18, "candidate-verification"},
    {20, "install"},
    {23, "text"},
    {24, "uninstall"},
};

static const struct label_name common_names[] = {
    {1, "dependencies"},
    {2, "components"},
    {4, "shared-sequence"},
};

static const struct label_name command_names[] = {
    {1, "condition-vendor-identifier"},
    {2, "condition-class-identifier"},
    {3, "condition-image-match"},
    {4, "condition-use-before"},
    {5, "condition-component-slot"},
    {6, "condition-check-content"},
    {7, "condition-dependency-integrity"},
    {8, "condition-is-dependency"},
    {11, "directive-process-dependency"},
    {12, "directive-set-component-index"},
    {14, "condition-abort"},
    {15, "directive-try-each"},
    {18, "directive-write"},
    {19, "directive-set-parameters"},
    {20, "directive-override-parameters"},
    {21, "directive-fetch"},
    {22, "directive-copy"},
    {23, "directive-invoke"},
    {24, "condition-device-identifier"},
    {25, "condition-image-not-match"},
    {26, "condition-minimum-battery"},
    {27, "condition-update-authorized"},
    {28, "condition-version"},
    {29, "directive-wait"},
    {31, "directive-swap"},
    {32, "directive-run-sequence"},
    {33, "directive-unlink"},
    {34, "directive-override-multiple"},
    {35, "directive-copy-params"},
};

static const struct label_name parameter_names[] = {
    {1, "vendor-identifier"},
    {2, "class-identifier"},
    {3, "image-digest"},
    {4, "use-before"},
    {5, "component-slot"},
    {12, "strict-order"},
    {13, "soft-failure"},
    {14, "image-size"},
    {18, "content"},
    {19, "encryption-info"},
    {21, "uri"},
    {22, "source-component"},
    {23, "invoke-args"},
    {24, "device-identifier"},
    {25, "fetch-arguments"},
    {26, "minimum-battery"},
    {27, "update-priority"},
    {28, "version"},
    {29, "wait-info"},
    {30, "component-metadata"},
};

static const struct label_name text_names[] = {
    {1, "manifest-description"},
    {2, "update-description"},
    {3, "manifest-json-source"},
    {4, "manifest-yaml-source"},
};

static const struct label_name text_component_names[] = {
    {1, "vendor-name"},
    {2, "model-name"},
    {3, "vendor-domain"},
    {4, "model-info"},
    {5, "component-description"},
    {6, "component-version"},
    {7, "version-required"},
    {8, "current-version"},
};

static const struct label_name cose_alg_names[] = {
    {-7, "ES256"},
    {-8, "EdDSA"},
    {-9, "ESP256"},
    {-16, "SHA-256"},
    {-19, "Ed25519"},
    {-29, "ECDH-ES+A128KW"},
    {-3, "A128KW"},
    {-43, "SHA-384"},
    {-44, "SHA-512"},
    {1, "A128GCM"},
    {5, "HMAC 256/256"},
    {-65534, "A128CTR"},
};

static const struct label_name cose_header_names[] = {
    {1, "alg"},
    {2, "crit"},
    {3, "content-type"},
    {4, "kid"},
    {5, "IV"},
    {6, "Partial IV"},
    {-1, "ephemeral-key"},
    {-20, "salt"},
};

static const struct label_name report_names[] = {
    {2, "report-nonce"},
    {3, "report-records"},
    {4, "report-result"},
    {5, "report-result-code"},
    {6, "report-result-record"},
    {7, "report-result-reason"},
    {8, "report-capability-report"},
    {99, "reference"},
};

static const struct label_name reason_names[] = {
    {0, "reason-ok"},
    {1, "reason-cbor-parse"},
    {2, "reason-cose-unsupported"},
    {3, "reason-alg-unsupported"},
    {4, "reason-unauthorised"},
    {5, "reason-command-unsupported"},
    {6, "reason-component-unsupported"},
    {7, "reason-component-unauthorised"},
    {8, "reason-parameter-unsupported"},
    {9, "reason-severing-unsupported"},
    {10, "reason-condition-failed"},
    {11, "reason-operation-failed"},
    {12, "reason-invoke-pending"},
};

struct table {
    const struct label_name *entries;
    size_t count;
};

#define TABLE(t) {t, sizeof(t) / sizeof(t[0])}

static const struct table tables[TK_SUITNAMES_SPACE_COUNT] = {
    TABLE(envelope_names),       TABLE(manifest_names),
    TABLE(common_names),         TABLE(command_names),
    TABLE(parameter_names),      TABLE(text_names),
    TABLE(text_component_names), TABLE(cose_alg_names),
    TABLE(cose_header_names),    TABLE(report_names),
    TABLE(reason_names),
};

const char *tk_suitnames_name(tk_suitnames_space space, int64_t label)
{
    if ((unsigned)space >= TK_SUITNAMES_SPACE_COUNT)
        return NULL;
    for (size_t i = 0; i < tables[space].count; i++) {
        if (tables[space].entries[i].label == label)
            return tables[space].entries[i].name;
    }
    return NULL;
}

bool tk_suitnames_label(tk_suitnames_space space, const char *name,
                        int64_t *label)
{
    if ((unsigned)space >= TK_SUITNAMES_SPACE_COUNT || name == NULL)
        return false;
    if (strncmp(name, "suit-", 5) == 0)
        name += 5;
    for (size_t i = 0; i < tables[space].count; i++) {
        if (strcmp(tables[space].entries[i].name, name) == 0) {
            *label = tables[space].entries[i].label;
            return true;
        }
    }
    return false;
}
