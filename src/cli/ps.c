/* envrun ps [--format table|json] ID: the container's processes.  JSON is
   runc's shape, an array of host pids.  */
#include "config-host.h"

#include "cgroup-verbs.h"
#include "cleanup.h"
#include "cli.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
print_json (const pid_t *pids, size_t n, envrun_error_t *err)
{
  struct json_gen *gen = json_gen_new (false);
  cleanup_free char *text = NULL;
  size_t len;
  int ret;

  if (gen == NULL)
    return envrun_error_set (err, ENOMEM, "ps");
  json_gen_array_open (gen);
  for (size_t i = 0; i < n; i++)
    json_gen_int (gen, pids[i]);
  json_gen_array_close (gen);
  ret = json_gen_finish (gen, &text, &len, err);
  json_gen_free (gen);
  if (ret < 0)
    return ret;
  puts (text);
  return 0;
}

/* One /proc/<pid> field set: uid, ppid and the command line.  */
static void
print_row (pid_t pid)
{
  char path[64], cmd[256] = "", line[256];
  cleanup_fclose FILE *st = NULL;
  long ppid = 0, uid = -1;
  ssize_t n;
  int fd;

  snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
  st = fopen (path, "re");
  while (st && fgets (line, sizeof line, st))
    if (sscanf (line, "PPid: %ld", &ppid) == 1)
      continue;
    else if (sscanf (line, "Uid: %ld", &uid) == 1)
      continue;
  snprintf (path, sizeof path, "/proc/%d/cmdline", (int)pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  n = fd >= 0 ? read (fd, cmd, sizeof cmd - 1) : -1;
  if (fd >= 0)
    close (fd);
  for (ssize_t i = 0; i < n - 1; i++)
    if (cmd[i] == '\0')
      cmd[i] = ' ';
  if (n > 0)
    cmd[n] = '\0';
  printf ("%-8ld %-8d %-8ld %s\n", uid, (int)pid, ppid, cmd);
}

CLI_VERB (ps)
{
  static const struct option opts[]
      = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  const char *format = "table";
  struct cgverb_target t;
  envrun_error_t err = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int c, ret;

  while ((c = getopt_long (argc, argv, "f:", opts, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else
      return cli_failf (g, "ps: invalid option");
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cli_failf (g, "ps: --format: `%s`: expected table or json", format);
  /* runc passes arguments after the id to ps(1); we have no ps(1) to pass
     them to, so refuse rather than ignore them */
  if (optind != argc - 1)
    return cli_failf (g, "ps: usage: ps [--format table|json] ID");
  ret = cgverb_open (g->root, argv[optind], &t, &err);
  if (ret == 0)
    ret = cgroup_pids (t.cgroup, &pids, &n, &err);
  cgverb_close (&t);
  if (ret == 0 && strcmp (format, "json") == 0)
    ret = print_json (pids, n, &err);
  else if (ret == 0)
    {
      printf ("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
      for (size_t i = 0; i < n; i++)
        print_row (pids[i]);
    }
  return ret < 0 ? cli_fail (g, &err) : 0;
}
