/* cmd_version.c — ntrace version. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_version(int argc, char **argv)
{
    printf("ntrace %s\n", NT_VERSION);
    return CLI_OK;
}
