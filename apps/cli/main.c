/*
 * teepkit: the command-line tool. Dispatches `teepkit NAME ARGS...` to the
 * subcommand defined in cmd_NAME.c.
 */
#include <stdio.h>
#include <string.h>

#define TK_CLI_COMMAND(name)                         \
    int tk_cli_##name(int argc, char **argv);        \
    extern const char tk_cli_##name##_summary[];
#include "tk_cli_commands.inc"
#undef TK_CLI_COMMAND

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct cli_command commands[] = {
#define TK_CLI_COMMAND(name) {#name, tk_cli_##name, tk_cli_##name##_summary},
#include "tk_cli_commands.inc"
#undef TK_CLI_COMMAND
    {NULL, NULL, NULL},
};

static void print_usage(FILE *out)
{
    fprintf(out, "usage: teepkit COMMAND [ARGS...]\n\ncommands:\n");
    for (const struct cli_command *c = commands; c->name != NULL; c++)
        fprintf(out, "  %-8s %s\n", c->name, c->summary);
    fprintf(out, "\nRun `teepkit COMMAND --help` for the options of one "
                 "command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        print_usage(stdout);
        return 0;
    }
    /* `teepkit --version` is the same as `teepkit version`. */
    if (strcmp(argv[1], "--version") == 0)
        argv[1] = "version";
    for (const struct cli_command *c = commands; c->name != NULL; c++) {
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "teepkit: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
