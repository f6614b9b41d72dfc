/* envrun features: the OCI features document.  */
#include "config-host.h"

#include "cli.h"

#include <envrun/spec.h>

#include <stdio.h>
#include <stdlib.h>

CLI_VERB (features)
{
  envrun_error_t err = NULL;
  char *json = NULL;

  if (argc != 1)
    return cli_failf (g, "features: takes no arguments");
  if (envrun_features_json (&json, &err) < 0)
    return cli_fail (g, &err);
  puts (json);
  free (json);
  return 0;
}
