/* envrun state ID: the OCI state JSON.  */
#include "config-host.h"

#include "cli.h"

#include <envrun/container.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

CLI_VERB (state)
{
  envrun_error_t err = NULL;
  struct envrun_container_state *s = NULL;
  char *json = NULL;

  if (getopt (argc, argv, "") != -1 || optind != argc - 1)
    return cli_failf (g, "state: expected exactly one container id");
  if (envrun_container_state (g->root, argv[optind], &s, &err) < 0
      || envrun_container_state_json (s, &json, &err) < 0)
    {
      envrun_container_state_free (s);
      return cli_fail (g, &err);
    }
  puts (json);
  free (json);
  envrun_container_state_free (s);
  return 0;
}
