/* envrun resume ID: thaw a paused container.  */
#include "config-host.h"

#include "cgroup-verbs.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>

CLI_VERB (resume)
{
  struct cgverb_target t;
  envrun_error_t err = NULL;
  int ret;

  if (getopt (argc, argv, "") != -1 || optind != argc - 1)
    return cli_failf (g, "resume: usage: resume ID");
  ret = cgverb_open (g->root, argv[optind], &t, &err);
  if (ret == 0 && t.status != ENVRUN_STATUS_PAUSED)
    ret = envrun_error_set (&err, EINVAL,
                            "container `%s` is %s, not "
                            "paused",
                            argv[optind], envrun_status_name (t.status));
  if (ret == 0)
    ret = cgroup_freeze (t.cgroup, false, &err);
  cgverb_close (&t);
  return ret < 0 ? cli_fail (g, &err) : 0;
}
