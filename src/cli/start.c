/* envrun start ID  */
#include "config-host.h"

#include "cli.h"

#include <envrun/container.h>

#include <getopt.h>

/* The verbs that take exactly one id and no options share this.  */
static const char *
single_id (struct cli_global *g, int argc, char **argv)
{
  if (getopt (argc, argv, "") != -1 || optind != argc - 1)
    {
      cli_failf (g, "%s: expected exactly one container id", argv[0]);
      return NULL;
    }
  return argv[optind];
}

CLI_VERB (start)
{
  envrun_error_t err = NULL;
  const char *id = single_id (g, argc, argv);

  if (id == NULL)
    return 1;
  if (envrun_container_start (g->root, id, &err) < 0)
    return cli_fail (g, &err);
  return 0;
}
