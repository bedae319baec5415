/*
 * `teepkit cbor`: CBOR tools. `teepkit cbor diag` prints the diagnostic
 * notation (RFC 8949 section 8) of a CBOR file, of hex text or of standard
 * input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teepkit/cbor.h"
#include "util.h"

const char tk_cli_cbor_summary[] =
    "print CBOR as diagnostic notation (cbor diag)";

/* Largest input read, in bytes: far above any TEEP or SUIT message. */
#define CBOR_MAX_INPUT (64u * 1024u * 1024u)

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: teepkit cbor diag [FILE] [--hex] [--pretty] [--embedded]\n"
            "                         [--strict] [--deterministic]\n"
            "\n"
            "Prints the CBOR data item in FILE (standard input when FILE is\n"
            "missing or \"-\") in diagnostic notation (RFC 8949 section 8).\n"
            "\n"
            "  --hex            read hex text: whitespace is ignored and '#'\n"
            "                   starts a comment that runs to the end of the "
            "line\n"
            "  --pretty         one array element or map entry per line, "
            "indented\n"
            "  --embedded       show byte strings that hold one CBOR item as\n"
            "                   << item >>\n"
            "  --strict         also reject duplicate map keys, invalid "
            "UTF-8 and\n"
            "                   standard tags with content of the wrong type\n"
            "  --deterministic  also reject what is not deterministically "
            "encoded\n"
            "                   (RFC 8949 section 4.2.1)\n"
            "\n"
            "Exits 0 on success, 1 when the input is not valid CBOR (the "
            "error and\n"
            "its byte offset go to standard error), 2 on a usage or file "
            "error.\n");
}

/* Options of `cbor diag`. */
struct diag_options {
    const char *path;
    bool hex;
    uint32_t flags;
};

/* Parses the arguments after "diag". Returns 0, 1 after --help, or 2 on a
 * usage error (already reported). */
static int parse_options(int argc, char **argv, struct diag_options *opt)
{
    opt->path = "-";
    opt->hex = false;
    opt->flags = 0;
    bool have_path = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(stdout);
            return 1;
        } else if (strcmp(arg, "--hex") == 0) {
            opt->hex = true;
        } else if (strcmp(arg, "--pretty") == 0) {
            opt->flags |= TK_CBOR_DIAG_PRETTY;
        } else if (strcmp(arg, "--embedded") == 0) {
            opt->flags |= TK_CBOR_DIAG_EMBEDDED;
        } else if (strcmp(arg, "--strict") == 0) {
            opt->flags |= TK_CBOR_CHECK_DUP_KEYS | TK_CBOR_CHECK_UTF8 |
                          TK_CBOR_CHECK_TAG_CONTENT;
        } else if (strcmp(arg, "--deterministic") == 0) {
            opt->flags |= TK_CBOR_CHECK_DETERMINISTIC;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "teepkit cbor diag: unknown option '%s'\n\n", arg);
            print_usage(stderr);
            return 2;
        } else if (have_path) {
            fprintf(stderr,
                    "teepkit cbor diag: more than one input file ('%s')\n",
                    arg);
            return 2;
        } else {
            opt->path = arg;
            have_path = true;
        }
    }
    return 0;
}

/* Converts hex text in place into bytes. Returns 0, or 2 after reporting
 * invalid text. */
static int decode_hex_input(const char *path, uint8_t *data, size_t *len)
{
    /* Bytes never outnumber hex digits, so the text buffer can hold them,
     * and the decoder reads each digit before writing over it. */
    long n = tk_util_hex_decode((const char *)data, *len, data, *len);
    if (n < 0) {
        fprintf(stderr,
                "teepkit cbor diag: %s: invalid hex text (a non-hex "
                "character or an odd number of digits)\n",
                strcmp(path, "-") == 0 ? "standard input" : path);
        return 2;
    }
    *len = (size_t)n;
    return 0;
}

/* Prints the diagnostic notation of data. Returns the exit status. */
static int print_diag(const uint8_t *data, size_t len, uint32_t flags)
{
    size_t needed = 0, err_off = 0;
    char probe[1];
    tk_err err = tk_cbor_diag(data, len, probe, sizeof probe, &needed, flags,
                              NULL, NULL, &err_off);
    if (err != TK_OK && err != TK_ERR_BUFFER_TOO_SMALL) {
        fprintf(stderr,
                "teepkit cbor diag: %s: %s at byte offset %zu of %zu\n",
                tk_errname(err), tk_strerror(err), err_off, len);
        return 1;
    }
    char *text = malloc(needed + 1);
    if (text == NULL) {
        fprintf(stderr, "teepkit cbor diag: out of memory for %zu bytes\n",
                needed + 1);
        return 2;
    }
    err = tk_cbor_diag(data, len, text, needed + 1, &needed, flags, NULL,
                       NULL, &err_off);
    if (err == TK_OK)
        printf("%s\n", text);
    else
        fprintf(stderr, "teepkit cbor diag: %s: %s\n", tk_errname(err),
                tk_strerror(err));
    free(text);
    return err == TK_OK ? 0 : 1;
}

static int cbor_diag(int argc, char **argv)
{
    struct diag_options opt;
    int status = parse_options(argc, argv, &opt);
    if (status != 0)
        return status == 1 ? 0 : status;

    uint8_t *data = NULL;
    size_t len = 0;
    if (tk_util_read_file(opt.path, CBOR_MAX_INPUT, &data, &len) != 0) {
        fprintf(stderr, "teepkit cbor diag: cannot read %s: %s\n",
                strcmp(opt.path, "-") == 0 ? "standard input" : opt.path,
                strerror(errno));
        return 2;
    }
    status = opt.hex ? decode_hex_input(opt.path, data, &len) : 0;
    if (status == 0)
        status = print_diag(data, len, opt.flags);
    free(data);
    return status;
}

int tk_cli_cbor(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "diag") == 0)
        return cbor_diag(argc - 2, argv + 2);
    fprintf(stderr, "teepkit cbor: unknown subcommand '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
