/* envrun run [create's options] [-d|--detach] [--keep] ID
   Exits with the container process's status (128+N on signal N).  */
#include "config-host.h"

#include "bundle.h"
#include "seal.h"

CLI_VERB (run)
{
  struct bundle_args b;
  envrun_error_t err = NULL;
  int status = 0;
  int ret;

  if (cli_seal_binary (g, argv) != 0)
    return 1;
  ret = bundle_parse_args (g, argc, argv, true, &b);

  if (ret == 0)
    {
      if (envrun_container_run (&b.opts, b.cfg, &status, &err) < 0)
        ret = cli_fail (g, &err);
      else
        ret = b.opts.detach ? 0 : status;
    }
  bundle_args_release (&b);
  return ret;
}
