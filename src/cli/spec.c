/* envrun spec [--bundle DIR] [--rootless]: write runc's default
   config.json into the bundle; refuses to overwrite one.  */
#include "config-host.h"

#include "cli.h"

#include <envrun/spec.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

CLI_VERB (spec)
{
  static const struct option opts[]
      = { { "bundle", required_argument, NULL, 'b' },
          { "rootless", no_argument, NULL, 'r' },
          { NULL, 0, NULL, 0 } };
  envrun_error_t err = NULL;
  const char *bundle = ".";
  bool rootless = false;
  char path[PATH_MAX], *json = NULL;
  int c, fd;

  while ((c = getopt_long (argc, argv, "b:", opts, NULL)) != -1)
    if (c == 'b')
      bundle = optarg;
    else if (c == 'r')
      rootless = true;
    else
      return cli_failf (g, "spec: invalid option");
  if (optind != argc)
    return cli_failf (g, "spec: takes no arguments");
  if (envrun_spec_json (rootless, &json, &err) < 0)
    return cli_fail (g, &err);
  snprintf (path, sizeof path, "%s/config.json", bundle);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      free (json);
      return cli_failf (g, "spec: %s: %s", path,
                        errno == EEXIST ? "already exists" : strerror (errno));
    }
  size_t len = strlen (json);
  bool ok = write (fd, json, len) == (ssize_t) len && write (fd, "\n", 1) == 1;
  close (fd);
  free (json);
  if (!ok)
    return cli_failf (g, "spec: write %s: %s", path, strerror (errno));
  return 0;
}
