/* The `env` verb's sub-commands, split across src/cli/env*.c.  */
#ifndef ENVRUN_ENV_CLI_H
#define ENVRUN_ENV_CLI_H

#include "cli.h"

#include <envrun/env.h>

int env_cli_open_store (struct cli_global *g, struct envrun_store **s);
int env_cli_create (struct cli_global *g, int argc, char **argv);
int env_cli_export (struct cli_global *g, int argc, char **argv);
int env_cli_run (struct cli_global *g, int argc, char **argv);

#endif
