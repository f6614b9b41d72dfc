/* envrun events [--stats] [--interval D] ID: runc's event stream, one JSON
   object a line: {"type":"stats","id":ID,"data":{...}} every interval and
   {"type":"oom","id":ID} when the kernel OOM-kills in the container.
   With --stats, one stats event and exit.  Ends when the container's
   cgroup goes away.  */
#include "config-host.h"

#include "cgroup-verbs.h"
#include "cleanup.h"
#include "cli.h"
#include "json.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A Go-style duration ("5s", "250ms", "1m30s" is not needed: one number
   and one unit; a bare number is seconds).  */
static int
parse_interval (const char *s, int *ms, envrun_error_t *err)
{
  static const struct
  {
    const char *unit;
    double ms;
  } units[] = { { "ns", 1e-6 }, { "us", 1e-3 },   { "ms", 1 }, { "s", 1000 },
                { "m", 60000 }, { "h", 3600000 }, { "", 1000 } };
  char *end;
  double v;

  errno = 0;
  v = strtod (s, &end);
  if (errno == 0 && end != s && v > 0 && isfinite (v))
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
      if (strcmp (end, units[i].unit) == 0)
        {
          double t = v * units[i].ms;

          if (t < 1 || t > 86400000.0)
            break;
          *ms = (int)t;
          return 0;
        }
  return envrun_error_set (err, EINVAL,
                           "events: --interval: `%s`: expected"
                           " a duration such as 5s or 500ms (1ms..24h)",
                           s);
}

static int
print_event (const char *type, const char *id, struct cgroup_handle *h,
             envrun_error_t *err)
{
  struct json_gen *gen = json_gen_new (false);
  cleanup_free char *text = NULL;
  size_t len;
  int ret = 0;

  if (gen == NULL)
    return envrun_error_set (err, ENOMEM, "events");
  json_gen_object_open (gen);
  json_gen_kv_string (gen, "type", type);
  json_gen_kv_string (gen, "id", id);
  if (h)
    {
      json_gen_key (gen, "data");
      ret = cgroup_stats_json (h, gen, err);
    }
  json_gen_object_close (gen);
  if (ret == 0)
    ret = json_gen_finish (gen, &text, &len, err);
  json_gen_free (gen);
  if (ret < 0)
    return ret;
  printf ("%s\n", text);
  fflush (stdout);
  return 0;
}

static bool
cgroup_gone (const struct cgroup_handle *h)
{
  for (size_t i = 0; i < h->n_hier; i++)
    if (access (h->hier[i].dir, F_OK) == 0)
      return false;
  return true;
}

static int
stream (const char *id, struct cgroup_handle *h, int interval_ms,
        envrun_error_t *err)
{
  struct cgroup_oom_watch *w = NULL;
  int ret = 0;

  /* no memory cgroup: stats only */
  if (cgroup_oom_watch_open (h, &w, NULL) < 0)
    w = NULL;
  while (ret == 0 && !cgroup_gone (h))
    {
      struct pollfd pfd = { w ? cgroup_oom_watch_fd (w) : -1, POLLIN, 0 };
      uint64_t n = 0;
      int r = poll (&pfd, 1, interval_ms);

      if (r < 0 && errno != EINTR)
        ret = envrun_error_set (err, errno, "events: poll");
      else if (r > 0 && w)
        {
          ret = cgroup_oom_watch_read (w, &n, err);
          /* v1 also signals the eventfd when the cgroup is removed */
          for (uint64_t i = 0; ret == 0 && i < n && !cgroup_gone (h); i++)
            ret = print_event ("oom", id, NULL, err);
        }
      else if (r == 0)
        ret = print_event ("stats", id, h, err);
    }
  cgroup_oom_watch_free (w);
  return ret;
}

CLI_VERB (events)
{
  static const struct option opts[]
      = { { "stats", no_argument, NULL, 's' },
          { "interval", required_argument, NULL, 'i' },
          { NULL, 0, NULL, 0 } };
  struct cgverb_target t;
  envrun_error_t err = NULL;
  bool stats = false;
  int interval_ms = 5000, c, ret = 0;

  memset (&t, 0, sizeof t);
  t.dirfd = -1;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    if (c == 's')
      stats = true;
    else if (c == 'i')
      ret = ret ? ret : parse_interval (optarg, &interval_ms, &err);
    else
      return cli_failf (g, "events: invalid option");
  if (ret == 0 && optind != argc - 1)
    ret = envrun_error_set (&err, EINVAL,
                            "events: usage: events [--stats]"
                            " [--interval D] ID");
  if (ret == 0)
    ret = cgverb_open (g->root, argv[optind], &t, &err);
  if (ret == 0 && t.status == ENVRUN_STATUS_STOPPED)
    ret = envrun_error_set (&err, EINVAL, "container `%s` is stopped",
                            argv[optind]);
  /* streaming lasts as long as the container: let delete proceed */
  cgverb_release (&t);
  if (ret == 0 && stats)
    ret = print_event ("stats", argv[optind], t.cgroup, &err);
  else if (ret == 0)
    ret = stream (argv[optind], t.cgroup, interval_ms, &err);
  cgverb_close (&t);
  return ret < 0 ? cli_fail (g, &err) : 0;
}
