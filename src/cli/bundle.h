/* Shared by create and run: the options they have in common and loading
   the bundle's config.json.  */
#ifndef ENVRUN_CLI_BUNDLE_H
#define ENVRUN_CLI_BUNDLE_H

#include "cli.h"

#include <envrun/container.h>

#include <limits.h>

struct bundle_args
{
  struct envrun_run_options opts;
  char bundle[PATH_MAX];
  char *config_text;
  size_t config_len;
  struct envrun_config *cfg;
};

/* Parse create/run options; `is_run` adds -d/--detach and --keep.
   Returns 0, or the exit status to return (after printing).  */
int bundle_parse_args (struct cli_global *g, int argc, char **argv,
                       bool is_run, struct bundle_args *b);
void bundle_args_release (struct bundle_args *b);

#endif
