/* `teepkit version` (or `teepkit --version`): prints the version of this
 * build. */
#include <stdio.h>
#include <string.h>

const char tk_cli_version_summary[] = "print the teepkit version";

int tk_cli_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
                     strcmp(argv[1], "-h") == 0)) {
        printf("usage: teepkit version\n       teepkit --version\n\n"
               "Prints the version of this build of teepkit.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "teepkit version: unexpected argument '%s'; the "
                "command takes none\n", argv[1]);
        return 2;
    }
    printf("teepkit %s\n", TK_VERSION);
    return 0;
}
