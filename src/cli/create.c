/* envrun create [--bundle DIR] [--console-socket S] [--pid-file F]
                 [--preserve-fds N] [--no-pivot] ID  */
#include "config-host.h"

#include "bundle.h"
#include "seal.h"

CLI_VERB (create)
{
  struct bundle_args b;
  envrun_error_t err = NULL;
  int ret;

  if (cli_seal_binary (g, argv) != 0)
    return 1;
  ret = bundle_parse_args (g, argc, argv, false, &b);

  if (ret == 0 && envrun_container_create (&b.opts, b.cfg, &err) < 0)
    ret = cli_fail (g, &err);
  bundle_args_release (&b);
  return ret;
}
