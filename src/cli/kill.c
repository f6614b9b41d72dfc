/* envrun kill [--all|-a] ID [SIGNAL]  (SIGTERM by default)  */
#include "config-host.h"

#include "cli.h"

#include <envrun/container.h>

#include <getopt.h>
#include <signal.h>

CLI_VERB (kill)
{
  static const struct option opts[]
      = { { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
  envrun_error_t err = NULL;
  bool all = false;
  int sig = SIGTERM, c;

  while ((c = getopt_long (argc, argv, "a", opts, NULL)) != -1)
    if (c == 'a')
      all = true;
    else
      return cli_failf (g, "kill: invalid option");
  if (optind >= argc || argc - optind > 2)
    return cli_failf (g, "kill: usage: kill [--all] ID [SIGNAL]");
  if (argc - optind == 2
      && envrun_parse_signal (argv[optind + 1], &sig, &err) < 0)
    return cli_fail (g, &err);
  if (envrun_container_kill (g->root, argv[optind], sig, all, &err) < 0)
    return cli_fail (g, &err);
  return 0;
}
