/* `teepkit version`: prints the version of this build. */
#include <stdio.h>

const char tk_cli_version_summary[] = "print the teepkit version";

int tk_cli_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("teepkit %s\n", TK_VERSION);
    return 0;
}
