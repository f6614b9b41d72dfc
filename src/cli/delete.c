/* envrun delete [--force|-f] ID  */
#include "config-host.h"

#include "cli.h"

#include <envrun/container.h>

#include <errno.h>
#include <getopt.h>

CLI_VERB (delete)
{
  static const struct option opts[]
      = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  envrun_error_t err = NULL;
  bool force = false;
  int c;

  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1)
    if (c == 'f')
      force = true;
    else
      return cli_failf (g, "delete: invalid option");
  if (optind != argc - 1)
    return cli_failf (g, "delete: expected exactly one container id");
  if (envrun_container_delete (g->root, argv[optind], force, &err) < 0)
    {
      /* runc: deleting a missing container with --force succeeds.  */
      if (force && err && err->status == ENOENT)
        {
          envrun_error_free (&err);
          return 0;
        }
      return cli_fail (g, &err);
    }
  return 0;
}
