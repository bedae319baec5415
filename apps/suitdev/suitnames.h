/*
 * Names of SUIT labels, as the CDDL of draft-ietf-suit-manifest-37 and its
 * extensions spell them without the "suit-" prefix: used by the JSON
 * description format of `teepkit suit create` and by `teepkit suit show`.
 */
#ifndef TK_SUITNAMES_H
#define TK_SUITNAMES_H

#include <stdbool.h>
#include <stdint.h>

/* Namespaces of labels: each SUIT map or list has its own numbering. */
typedef enum tk_suitnames_space {
    TK_SUITNAMES_ENVELOPE = 0, /* envelope members */
    TK_SUITNAMES_MANIFEST,     /* manifest members */
    TK_SUITNAMES_COMMON,       /* SUIT_Common members */
    TK_SUITNAMES_COMMAND,      /* conditions and directives */
    TK_SUITNAMES_PARAMETER,    /* SUIT_Parameters */
    TK_SUITNAMES_TEXT,         /* manifest-level text keys */
    TK_SUITNAMES_TEXT_COMPONENT, /* component-level text keys */
    TK_SUITNAMES_COSE_ALG,     /* COSE algorithms used by SUIT */
    TK_SUITNAMES_COSE_HEADER,  /* COSE header parameters */
    TK_SUITNAMES_REPORT,       /* SUIT_Report members */
    TK_SUITNAMES_REASON,       /* suit-report-result-reason values */
    TK_SUITNAMES_SPACE_COUNT
} tk_suitnames_space;

/* Returns the name of label in space, for example "condition-image-match"
 * for command 3, or NULL when the label has no name. */
const char *tk_suitnames_name(tk_suitnames_space space, int64_t label);

/* Finds the label of name in space; a leading "suit-" is ignored. Returns
 * true when found. */
bool tk_suitnames_label(tk_suitnames_space space, const char *name,
                        int64_t *label);

#endif /* TK_SUITNAMES_H */
